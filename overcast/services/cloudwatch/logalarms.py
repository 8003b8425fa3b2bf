"""Log alarms (PutLogAlarm): a Logs Insights query run on its schedule over a trailing window
(its QueryString, then `stats` of its AggregationExpression), each run's aggregated values
compared with the threshold, and M out of N recent runs deciding the state — with the same
transitions, history and actions as metric alarms.

The alarm row keeps its recent runs under "_runs": [[time, [values]], ...]."""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any

from overcast.common import schedules
from overcast.services.cloudwatch.alarms import _check_actions, alarm_arn, timer_key
from overcast.services.cloudwatch.errors import missing, validation
from overcast.services.cloudwatch.evaluate import MISSING_MODES, OPERATOR_WORDS, breaches, iso, reason_time

if TYPE_CHECKING:
    from overcast.context import RequestContext
    from overcast.services.cloudwatch.provider import Provider

log = logging.getLogger(__name__)

PLAIN_OPERATORS = (
    "GreaterThanThreshold",
    "GreaterThanOrEqualToThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
)


def rate_seconds(expression: str) -> int:
    try:
        schedule = schedules.parse(expression)
    except schedules.ScheduleError as error:
        raise validation(str(error)) from None
    if not isinstance(schedule, schedules.Rate):
        raise validation("A log alarm's ScheduleExpression is a rate() expression.")
    return schedule.seconds


def full_query(config: dict[str, Any]) -> str:
    aggregation = config["AggregationExpression"].strip()
    if not aggregation.lower().startswith("stats "):
        aggregation = "stats " + aggregation
    return f"{config['QueryString'].rstrip()} | {aggregation}"


def run_values(rows: list[list[dict[str, str]]]) -> list[float]:
    """The aggregated values of one run: each row's aggregate columns (named like f(x))."""
    values = []
    for row in rows:
        for field in row:
            if "(" in field.get("field", "") and not field["field"].startswith("bin("):
                try:
                    values.append(float(field["value"]))
                except (KeyError, ValueError):
                    pass
    return values


class LogAlarmsMixin:
    def put_log_alarm(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params.get("AlarmName")
        if not name:
            raise missing("AlarmName")
        config = params["ScheduledQueryConfiguration"]
        interval = rate_seconds(config["ScheduleConfiguration"]["ScheduleExpression"])
        if config["ScheduleConfiguration"]["StartTimeOffset"] <= (
            config["ScheduleConfiguration"].get("EndTimeOffset") or 0
        ):
            raise validation("StartTimeOffset must be greater than EndTimeOffset.")
        if not config.get("LogGroupIdentifiers") and not config.get("QueryARN"):
            raise validation("LogGroupIdentifiers must name at least one log group.")
        if params["ComparisonOperator"] not in PLAIN_OPERATORS:
            raise validation(
                f"The value {params['ComparisonOperator']} for parameter ComparisonOperator is invalid."
            )
        to_evaluate, to_alarm = params["QueryResultsToEvaluate"], params["QueryResultsToAlarm"]
        if to_evaluate < 1 or not 1 <= to_alarm <= to_evaluate:
            raise validation("QueryResultsToAlarm must be between 1 and QueryResultsToEvaluate.")
        mode = params.get("TreatMissingData") or "missing"
        if mode not in MISSING_MODES:
            raise validation(f"The value {mode} for parameter TreatMissingData is invalid.")
        _check_actions(params)
        self.check_tags(params.get("Tags"))
        if self.runtime.config.service_enabled("logs"):
            from overcast.services.logs.insights_parser import QueryError, parse_query

            try:
                parse_query(full_query(config))
            except QueryError as error:
                raise validation(f"Invalid query: {error}") from None
        scope = self.scope_of(context)
        now = time.time()
        with self.store.transaction():
            old = self.alarms.get(scope, name)
            if old is not None and old["_kind"] != "log":
                raise validation(f"The alarm {name} is not a log alarm.")
            alarm: dict[str, Any] = {
                "_kind": "log",
                "_runs": old.get("_runs", []) if old else [],
                "_interval": interval,
                "AlarmName": name,
                "AlarmArn": alarm_arn(context.account, context.region, name),
                "AlarmConfigurationUpdatedTimestamp": now,
                "ActionsEnabled": params.get("ActionsEnabled", True),
                "OKActions": params.get("OKActions") or [],
                "AlarmActions": params.get("AlarmActions") or [],
                "InsufficientDataActions": params.get("InsufficientDataActions") or [],
                "StateValue": old["StateValue"] if old else "INSUFFICIENT_DATA",
                "StateReason": old["StateReason"] if old else "Unchecked: Initial alarm creation",
                "StateUpdatedTimestamp": old["StateUpdatedTimestamp"] if old else now,
                "StateTransitionedTimestamp": old.get("StateTransitionedTimestamp", now) if old else now,
                "ScheduledQueryConfiguration": config,
                "QueryResultsToEvaluate": to_evaluate,
                "QueryResultsToAlarm": to_alarm,
                "Threshold": params["Threshold"],
                "ComparisonOperator": params["ComparisonOperator"],
                "TreatMissingData": mode,
            }
            for member in (
                "AlarmDescription",
                "ActionLogLineCount",
                "ActionLogLineRoleArn",
                "WarmUpConfiguration",
                "ActionConfiguration",
            ):
                if params.get(member) is not None:
                    alarm[member] = params[member]
            self.alarms.put(scope, name, alarm)
            if params.get("Tags"):
                self.set_tags(scope, alarm["AlarmArn"], params["Tags"])
            summary = f'Alarm "{name}" updated' if old else f'Alarm "{name}" created'
            self.add_history(
                scope,
                alarm,
                "ConfigurationUpdate",
                summary,
                json.dumps({"version": "1.0", "type": "Update" if old else "Create"}),
                now,
            )
        self.runtime.scheduler.at(timer_key(scope, name), self.runtime.scheduler.now() + interval, self._tick)
        return {}

    def evaluate_log_alarm(  # type: ignore[misc]
        self: Provider, scope: str, alarm: dict[str, Any], now: float | None = None
    ) -> None:
        now = time.time() if now is None else now
        config = alarm["ScheduledQueryConfiguration"]
        window = config["ScheduleConfiguration"]
        account, region = scope.split("/")
        values: list[float] = []
        if self.runtime.config.service_enabled("logs"):
            groups = [
                g.split(":log-group:")[-1].removesuffix(":*") for g in config.get("LogGroupIdentifiers") or []
            ]
            try:
                rows = self.runtime.provider("logs").run_insights_query(
                    account, region, full_query(config), groups,
                    int(now - window["StartTimeOffset"]), int(now - (window.get("EndTimeOffset") or 0)),
                )  # fmt: skip
            except Exception as error:  # a query Insights refuses now: no result this run
                log.warning("log alarm %s: query failed: %s", alarm["AlarmName"], error)
                rows = []
            values = run_values(rows)
        with self.store.transaction():
            current = self.alarms.get(scope, alarm["AlarmName"])
            if current is None:
                return
            runs = [*current.get("_runs", []), [now, values]][-current["QueryResultsToEvaluate"] :]
            current["_runs"] = runs
            self.alarms.put(scope, current["AlarmName"], current)
        state, reason, data = judge_runs(current, runs, now)
        if state is not None and state != current["StateValue"]:
            self.transition(
                scope, current["AlarmName"], state, reason, json.dumps(data, separators=(",", ":"))
            )


def judge_runs(
    alarm: dict[str, Any], runs: list[list[Any]], now: float
) -> tuple[str | None, str, dict[str, Any]]:
    operator, threshold = alarm["ComparisonOperator"], float(alarm["Threshold"])
    n, m = alarm["QueryResultsToEvaluate"], alarm["QueryResultsToAlarm"]
    mode = alarm.get("TreatMissingData") or "missing"
    present = [(ts, max(vals) if operator.startswith("Greater") else min(vals)) for ts, vals in runs if vals]
    missing_count = n - len(present)
    data = {
        "version": "1.0",
        "queryDate": iso(now),
        "threshold": threshold,
        "evaluatedDatapoints": [{"timestamp": iso(ts), "value": v} for ts, v in reversed(present)],
    }
    if not present:
        if mode == "ignore":
            return None, "", data
        if mode == "missing":
            return (
                "INSUFFICIENT_DATA",
                f"Insufficient Data: {n} query result{'s' if n != 1 else ''} unknown.",
                data,
            )
        state = "ALARM" if mode == "breaching" else "OK"
        return (
            state,
            f"Threshold Crossed: no query results for {n} runs, treated as [{'Breaching' if state == 'ALARM' else 'NonBreaching'}].",
            data,
        )
    breaching = sum(1 for _, v in present if breaches(operator, v, threshold))
    if mode == "breaching":
        breaching += missing_count
    state = "ALARM" if breaching >= m else "OK"
    words = OPERATOR_WORDS[operator] if state == "ALARM" else f"not {OPERATOR_WORDS[operator]}"
    listed = ", ".join(f"{v!r} ({reason_time(ts)})" for ts, v in reversed(present))
    count = breaching if state == "ALARM" else len(present) - breaching
    reason = (
        f"Threshold Crossed: {count} out of the last {len(present)} query results [{listed}] "
        f"{'was' if count == 1 else 'were'} {words} the threshold ({threshold!r})."
    )
    return state, reason, data
