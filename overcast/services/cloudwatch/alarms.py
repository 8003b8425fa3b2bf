"""Alarms: metric alarms (one metric, or metric math), composite alarms (the rule language),
their evaluation on the scheduler, state transitions with reasons and history, and the
actions AWS takes on a transition (an SNS publish, a Lambda invocation).

Tables (scope = account/region):
  alarms    alarm name → the alarm as DescribeAlarms renders it, plus "_kind"
            ("metric" | "composite")
  history   alarm name SEP time SEP id → a DescribeAlarmHistory item
"""

from __future__ import annotations

import json
import logging
import math
import time
import uuid
from typing import TYPE_CHECKING, Any

from overcast.common.arns import build_arn
from overcast.services.cloudwatch import evaluate as judge_mod
from overcast.services.cloudwatch import rules, stats
from overcast.services.cloudwatch.actions import ActionsMixin, alarm_period, lower_keys
from overcast.services.cloudwatch.errors import combination, invalid, missing, not_found, validation
from overcast.services.cloudwatch.evaluate import MISSING_MODES, OPERATOR_WORDS, Slot, iso
from overcast.services.cloudwatch.metrics import check_dimensions, metric_id, seconds
from overcast.services.cloudwatch.querydata import Evaluation, check_queries

if TYPE_CHECKING:
    from overcast.context import RequestContext
    from overcast.services.cloudwatch.provider import Provider

log = logging.getLogger(__name__)

SEP = "\x1f"
STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")
ALARM_TYPES = {"metric": "MetricAlarm", "composite": "CompositeAlarm", "log": "LogAlarm"}
MAX_ACTIONS = 5
#: The longest an alarm can look back: EvaluationPeriods × Period.
MAX_EVALUATION_SECONDS = 7 * 86400
_ACTION_SERVICES = ("sns", "lambda", "autoscaling", "automate", "ssm", "ssm-incidents", "swf")


def alarm_arn(account: str, region: str, name: str) -> str:
    return build_arn("cloudwatch", region, account, f"alarm:{name}")


def timer_key(scope: str, name: str) -> str:
    return f"cloudwatch/alarm/{scope}/{name}"


def _check_actions(params: dict[str, Any]) -> None:
    for member in ("AlarmActions", "OKActions", "InsufficientDataActions"):
        actions = params.get(member) or []
        if len(actions) > MAX_ACTIONS:
            raise validation(f"The collection {member} must not have a size greater than {MAX_ACTIONS}.")
        for arn in actions:
            parts = arn.split(":")
            if len(parts) < 6 or parts[0] != "arn" or parts[2] not in _ACTION_SERVICES:
                raise validation(f"Invalid arn syntax: {arn}")


def _check_metric_alarm(params: dict[str, Any]) -> None:
    has_metric = params.get("MetricName") is not None
    has_metrics = bool(params.get("Metrics"))
    if has_metric and has_metrics:
        raise combination(
            "The parameters MetricName and Metrics are mutually exclusive and you have specified both."
        )
    if not has_metric and not has_metrics:
        raise validation("One of MetricName or Metrics must be specified.")
    if params.get("EvaluationPeriods") is None:
        raise missing("EvaluationPeriods")
    periods = params["EvaluationPeriods"]
    if periods < 1:
        raise validation("The parameter EvaluationPeriods must be greater than or equal to 1.")
    to_alarm = params.get("DatapointsToAlarm")
    if to_alarm is not None and not 1 <= to_alarm <= periods:
        raise validation(
            "DatapointsToAlarm must be greater than 0 and less than or equal to EvaluationPeriods."
        )
    operator = params.get("ComparisonOperator")
    if operator is None:
        raise missing("ComparisonOperator")
    if operator not in OPERATOR_WORDS:
        raise validation(f"The value {operator} for parameter ComparisonOperator is invalid.")
    band = operator in (
        "LessThanLowerOrGreaterThanUpperThreshold",
        "LessThanLowerThreshold",
        "GreaterThanUpperThreshold",
    )
    if band:
        if not params.get("ThresholdMetricId"):
            raise validation(
                "ThresholdMetricId must be specified for the comparison operator " + operator + "."
            )
        if params.get("Threshold") is not None:
            raise combination(
                "The parameters Threshold and ThresholdMetricId are mutually exclusive and you have specified both."
            )
    elif params.get("Threshold") is None:
        raise validation("Threshold must be specified for the comparison operator " + operator + ".")
    mode = params.get("TreatMissingData")
    if mode is not None and mode not in MISSING_MODES:
        raise validation(f"The value {mode} for parameter TreatMissingData is invalid.")
    if has_metric:
        for member in ("Namespace", "Period"):
            if params.get(member) is None:
                raise missing(member)
        if params.get("Statistic") and params.get("ExtendedStatistic"):
            raise combination(
                "The parameters Statistic and ExtendedStatistic are mutually exclusive and you have specified both."
            )
        if not params.get("Statistic") and not params.get("ExtendedStatistic"):
            raise missing("Statistic")
        if params.get("Statistic") and params["Statistic"] not in stats.PLAIN:
            raise validation(f"The value {params['Statistic']} for parameter Statistic is invalid.")
        if params.get("ExtendedStatistic") and not stats.valid_extended(params["ExtendedStatistic"]):
            raise validation(
                f"The value {params['ExtendedStatistic']} for parameter ExtendedStatistic is invalid."
            )
        period = params["Period"]
        if period <= 0 or (period < 60 and period not in (10, 20, 30)) or (period >= 60 and period % 60):
            raise validation("Period must be 10, 20, 30 or a multiple of 60.")
        check_dimensions(params.get("Dimensions") or [], "Dimensions")
        if period * periods > MAX_EVALUATION_SECONDS:
            raise validation(
                "Metrics cannot be checked across more than a week (EvaluationPeriods * Period must be <= 604800)"
            )
    else:
        for member in ("Namespace", "Period", "Statistic", "ExtendedStatistic", "Dimensions", "Unit"):
            if params.get(member):
                raise combination(
                    f"The parameters {member} and Metrics are mutually exclusive and you have specified both."
                )
        metrics = params["Metrics"]
        band_id = params.get("ThresholdMetricId") if band else None
        # The band an alarm compares with returns data too (AWS's own examples say so).
        check_queries([q for q in metrics if q["Id"] != band_id] if band_id else metrics, alarm=True)
        if band:
            ids = {q["Id"] for q in metrics}
            if params["ThresholdMetricId"] not in ids:
                raise validation(
                    f"ThresholdMetricId {params['ThresholdMetricId']} does not refer to a metric of the alarm."
                )


class AlarmsMixin(ActionsMixin):
    # -- scheduling ------------------------------------------------------------------------------

    def schedule_all(self: Provider) -> None:  # type: ignore[misc]
        for scope in self.alarms.scopes():
            for name, alarm in self.alarms.scan(scope):
                if alarm["_kind"] in ("metric", "log"):
                    self.schedule(scope, name, alarm, first=True)

    def schedule(self: Provider, scope: str, name: str, alarm: dict[str, Any], first: bool = False) -> None:  # type: ignore[misc]
        scheduler = self.runtime.scheduler
        interval = alarm["_interval"] if alarm["_kind"] == "log" else min(alarm_period(alarm), 60)
        due = scheduler.now() + (0.05 if first else interval)
        scheduler.at(timer_key(scope, name), due, self._tick)

    def _tick(self: Provider, key: str, due: float) -> None:  # type: ignore[misc]
        # A scope is account/region: the name follows its second slash.
        parts = key[len("cloudwatch/alarm/") :].split("/", 2)
        scope, name = f"{parts[0]}/{parts[1]}", parts[2]
        alarm = self.alarms.get(scope, name)
        if alarm is None or alarm["_kind"] == "composite":
            return
        try:
            if alarm["_kind"] == "log":
                self.evaluate_log_alarm(scope, alarm)
            else:
                self.evaluate_alarm(scope, alarm)
        except Exception:
            log.exception("evaluating alarm %s failed", name)
        self.schedule(scope, name, alarm)

    # -- evaluation ------------------------------------------------------------------------------

    def slots_of(self: Provider, scope: str, alarm: dict[str, Any], now: float) -> list[Slot]:  # type: ignore[misc]
        period = alarm_period(alarm)
        n = int(alarm["EvaluationPeriods"])
        # The N most recent periods: the current one when it has data already, else the N
        # that ended last (a period just begun is not yet missing its data).
        end = int(now) - int(now) % period + period
        start = end - (n + 1) * period
        slots = {s: Slot(s, None) for s in range(start, end, period)}
        if alarm.get("MetricName") is not None:
            mid = metric_id(alarm["Namespace"], alarm["MetricName"], alarm.get("Dimensions") or [])
            statistic = alarm.get("Statistic") or alarm["ExtendedStatistic"]
            for (slot, _), bucket in self.data.aggregate(
                scope, mid, start, end, period, alarm.get("Unit")
            ).items():
                if slot in slots:
                    slots[slot].value = stats.compute(bucket, statistic)
                    slots[slot].sample_count = float(bucket["n"])
        else:
            evaluation = Evaluation(self.data, scope, alarm["Metrics"], start, end)
            series = evaluation.single(skip=alarm.get("ThresholdMetricId"))
            for ts, value in series.points.items():
                if ts in slots and not math.isnan(value):
                    slots[ts].value = value
            band_id = alarm.get("ThresholdMetricId")
            if band_id:
                try:
                    band = evaluation.value(band_id)
                except Exception:
                    band = []
                if isinstance(band, list) and len(band) >= 2:
                    for ts, held in slots.items():
                        held.lower = band[0].points.get(ts)
                        held.upper = band[1].points.get(ts)
        ordered = [slots[s] for s in sorted(slots)]
        return ordered[1:] if ordered[-1].value is not None else ordered[:-1]

    def evaluate_alarm(self: Provider, scope: str, alarm: dict[str, Any], now: float | None = None) -> None:  # type: ignore[misc]
        now = time.time() if now is None else now
        slots = self.slots_of(scope, alarm, now)
        outcome = judge_mod.judge(alarm, slots, alarm["StateValue"], now)
        if outcome.state is None or outcome.state == alarm["StateValue"]:
            return
        self.transition(
            scope, alarm["AlarmName"], outcome.state, outcome.reason, judge_mod.reason_json(outcome.data)
        )

    # -- transitions -----------------------------------------------------------------------------

    def transition(  # type: ignore[misc]
        self: Provider,
        scope: str,
        name: str,
        state: str,
        reason: str,
        reason_data: str | None,
        *,
        cascade: bool = True,
    ) -> None:
        now = time.time()
        account, region = scope.split("/")
        with self.store.transaction():
            alarm = self.alarms.get(scope, name)
            if alarm is None:
                return
            old_state, old_reason = alarm["StateValue"], alarm.get("StateReason", "")
            alarm["StateValue"] = state
            alarm["StateReason"] = reason
            if reason_data is not None:
                alarm["StateReasonData"] = reason_data
            else:
                alarm.pop("StateReasonData", None)
            alarm["StateUpdatedTimestamp"] = now
            if state != old_state:
                alarm["StateTransitionedTimestamp"] = now
            self.alarms.put(scope, name, alarm)
            new_state: dict[str, Any] = {"stateValue": state, "stateReason": reason}
            if reason_data:
                try:
                    new_state["stateReasonData"] = json.loads(reason_data)
                except ValueError:
                    pass
            self.add_history(
                scope,
                alarm,
                "StateUpdate",
                f"Alarm updated from {old_state} to {state}",
                json.dumps(
                    {
                        "version": "1.0",
                        "oldState": {"stateValue": old_state, "stateReason": old_reason},
                        "newState": new_state,
                    }
                ),
                now,
            )
            if state != old_state:
                self.take_actions(scope, alarm, old_state, now)
        if state != old_state:
            self.runtime.bus.publish("events:put", self.state_change_event(account, region, alarm, old_state))
        if cascade and state != old_state:
            self.evaluate_parents(scope, name, account, region)

    def add_history(  # type: ignore[misc]
        self: Provider, scope: str, alarm: dict[str, Any], kind: str, summary: str, data: str, now: float
    ) -> None:
        key = f"{alarm['AlarmName']}{SEP}{now:017.6f}{SEP}{uuid.uuid4().hex[:8]}"
        self.history.put(
            scope,
            key,
            {
                "AlarmName": alarm["AlarmName"],
                "AlarmType": ALARM_TYPES[alarm["_kind"]],
                "Timestamp": now,
                "HistoryItemType": kind,
                "HistorySummary": summary,
                "HistoryData": data,
            },
        )

    # -- composite alarms ------------------------------------------------------------------------

    def suppressed(self: Provider, scope: str, alarm: dict[str, Any]) -> bool:  # type: ignore[misc]
        suppressor = alarm.get("ActionsSuppressor")
        if not suppressor:
            return False
        name = suppressor.split(":alarm:", 1)[1] if ":alarm:" in suppressor else suppressor
        other = self.alarms.get(scope, name)
        return other is not None and other["StateValue"] == "ALARM"

    def evaluate_parents(self: Provider, scope: str, child: str, account: str, region: str) -> None:  # type: ignore[misc]
        for name, alarm in list(self.alarms.scan(scope)):
            if alarm["_kind"] == "composite" and child in rules.children(alarm["AlarmRule"]):
                self.evaluate_composite(scope, alarm)

    def evaluate_composite(self: Provider, scope: str, alarm: dict[str, Any]) -> None:  # type: ignore[misc]
        states: dict[str, dict[str, Any] | None] = {}

        def state_of(name: str) -> str | None:
            if name not in states:
                states[name] = self.alarms.get(scope, name)
            found = states[name]
            return found["StateValue"] if found else None

        fired = rules.evaluate(alarm["AlarmRule"], state_of)
        state = "ALARM" if fired else "OK"
        if state == alarm["StateValue"]:
            return
        triggering = []
        for name in rules.children(alarm["AlarmRule"]):
            child = states.get(name) or self.alarms.get(scope, name)
            if child is not None:
                triggering.append(child)
        latest = max(triggering, key=lambda a: a.get("StateUpdatedTimestamp", 0), default=None)
        if latest is not None:
            when = time.strftime("%A %d %B, %Y %H:%M:%S UTC", time.gmtime(latest["StateUpdatedTimestamp"]))
            reason = f"{latest['AlarmArn']} transitioned to {latest['StateValue']} at {when}"
        else:
            reason = "The alarm rule evaluated to " + ("TRUE" if fired else "FALSE") + "."
        data = {
            "triggeringAlarms": [
                {
                    "arn": child["AlarmArn"],
                    "state": {"value": child["StateValue"], "timestamp": iso(child["StateUpdatedTimestamp"])},
                }
                for child in triggering
            ]
        }
        self.transition(scope, alarm["AlarmName"], state, reason, json.dumps(data, separators=(",", ":")))

    # -- operations ------------------------------------------------------------------------------

    def put_metric_alarm(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params.get("AlarmName")
        if not name:
            raise missing("AlarmName")
        _check_metric_alarm(params)
        _check_actions(params)
        self.check_tags(params.get("Tags"))
        scope = self.scope_of(context)
        now = time.time()
        with self.store.transaction():
            old = self.alarms.get(scope, name)
            if old is not None and old["_kind"] != "metric":
                raise validation(f"The alarm {name} is a composite alarm.")
            alarm: dict[str, Any] = {
                "_kind": "metric",
                "AlarmName": name,
                "AlarmArn": alarm_arn(context.account, context.region, name),
                "AlarmDescription": params.get("AlarmDescription"),
                "AlarmConfigurationUpdatedTimestamp": now,
                "ActionsEnabled": params.get("ActionsEnabled", True),
                "OKActions": params.get("OKActions") or [],
                "AlarmActions": params.get("AlarmActions") or [],
                "InsufficientDataActions": params.get("InsufficientDataActions") or [],
                "StateValue": old["StateValue"] if old else "INSUFFICIENT_DATA",
                "StateReason": old["StateReason"] if old else "Unchecked: Initial alarm creation",
                "StateUpdatedTimestamp": old["StateUpdatedTimestamp"] if old else now,
                "StateTransitionedTimestamp": old.get("StateTransitionedTimestamp", now) if old else now,
                "EvaluationPeriods": params["EvaluationPeriods"],
                "ComparisonOperator": params["ComparisonOperator"],
                "TreatMissingData": params.get("TreatMissingData") or "missing",
            }
            if old and old.get("StateReasonData"):
                alarm["StateReasonData"] = old["StateReasonData"]
            for member in (
                "MetricName",
                "Namespace",
                "Statistic",
                "ExtendedStatistic",
                "Dimensions",
                "Period",
                "Unit",
                "DatapointsToAlarm",
                "Threshold",
                "EvaluateLowSampleCountPercentile",
                "Metrics",
                "ThresholdMetricId",
            ):
                if params.get(member) is not None:
                    alarm[member] = params[member]
            if alarm.get("MetricName") is not None:
                alarm.setdefault("Dimensions", [])
            if alarm.get("AlarmDescription") is None:
                alarm.pop("AlarmDescription")
            self.alarms.put(scope, name, alarm)
            if params.get("Tags"):
                self.set_tags(scope, alarm["AlarmArn"], params["Tags"])
            summary = f'Alarm "{name}" updated' if old else f'Alarm "{name}" created'
            self.add_history(
                scope, alarm, "ConfigurationUpdate", summary, json.dumps(_history_config(alarm, old)), now
            )
        self.schedule(scope, name, alarm, first=True)
        return {}

    def put_composite_alarm(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params.get("AlarmName")
        if not name:
            raise missing("AlarmName")
        rule = params.get("AlarmRule")
        if not rule:
            raise missing("AlarmRule")
        try:
            named = rules.children(rule)
        except rules.RuleError as error:
            raise validation(str(error)) from None
        _check_actions(params)
        self.check_tags(params.get("Tags"))
        scope = self.scope_of(context)
        absent = [child for child in named if child != name and self.alarms.get(scope, child) is None]
        if absent:
            raise validation(
                f"Could not save the composite alarm as alarms [{', '.join(absent)}] in the alarm rule do not exist"
            )
        if name in named or self._reaches(scope, named, name):
            raise validation("Could not save the composite alarm as the alarm rule creates a cycle.")
        suppressor = params.get("ActionsSuppressor")
        if suppressor:
            target = suppressor.split(":alarm:", 1)[1] if ":alarm:" in suppressor else suppressor
            if self.alarms.get(scope, target) is None:
                raise validation(
                    f"Could not save the composite alarm as the actions suppressor {suppressor} does not exist"
                )
        elif (
            params.get("ActionsSuppressorWaitPeriod") is not None
            or params.get("ActionsSuppressorExtensionPeriod") is not None
        ):
            raise validation(
                "ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod need an ActionsSuppressor."
            )
        now = time.time()
        with self.store.transaction():
            old = self.alarms.get(scope, name)
            if old is not None and old["_kind"] != "composite":
                raise validation(f"The alarm {name} is a metric alarm.")
            alarm: dict[str, Any] = {
                "_kind": "composite",
                "AlarmName": name,
                "AlarmArn": alarm_arn(context.account, context.region, name),
                "AlarmConfigurationUpdatedTimestamp": now,
                "ActionsEnabled": params.get("ActionsEnabled", True),
                "OKActions": params.get("OKActions") or [],
                "AlarmActions": params.get("AlarmActions") or [],
                "InsufficientDataActions": params.get("InsufficientDataActions") or [],
                "AlarmRule": rule,
                "StateValue": old["StateValue"] if old else "INSUFFICIENT_DATA",
                "StateReason": old["StateReason"] if old else "Unchecked: Initial alarm creation",
                "StateUpdatedTimestamp": old["StateUpdatedTimestamp"] if old else now,
                "StateTransitionedTimestamp": old.get("StateTransitionedTimestamp", now) if old else now,
            }
            if params.get("AlarmDescription") is not None:
                alarm["AlarmDescription"] = params["AlarmDescription"]
            if suppressor:
                alarm["ActionsSuppressor"] = suppressor
                alarm["ActionsSuppressorWaitPeriod"] = params.get("ActionsSuppressorWaitPeriod", 60)
                alarm["ActionsSuppressorExtensionPeriod"] = params.get("ActionsSuppressorExtensionPeriod", 60)
            self.alarms.put(scope, name, alarm)
            if params.get("Tags"):
                self.set_tags(scope, alarm["AlarmArn"], params["Tags"])
            summary = f'Alarm "{name}" updated' if old else f'Alarm "{name}" created'
            self.add_history(
                scope, alarm, "ConfigurationUpdate", summary, json.dumps(_history_config(alarm, old)), now
            )
        self.evaluate_composite(scope, alarm)
        return {}

    def _reaches(self: Provider, scope: str, start: list[str], target: str) -> bool:  # type: ignore[misc]
        seen: set[str] = set()
        todo = list(start)
        while todo:
            name = todo.pop()
            if name == target:
                return True
            if name in seen:
                continue
            seen.add(name)
            alarm = self.alarms.get(scope, name)
            if alarm is not None and alarm["_kind"] == "composite":
                todo.extend(rules.children(alarm["AlarmRule"]))
        return False

    def _render(self: Provider, alarm: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        out = {k: v for k, v in alarm.items() if not k.startswith("_")}
        if alarm["_kind"] == "composite" and alarm.get("ActionsSuppressor"):
            out.setdefault("ActionsSuppressedBy", "None")
            out.setdefault("ActionsSuppressedReason", "")
        return out

    def describe_alarms(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        names = params.get("AlarmNames")
        prefix = params.get("AlarmNamePrefix")
        if names and prefix:
            raise combination(
                "The parameters AlarmNames and AlarmNamePrefix are mutually exclusive and you have specified both."
            )
        types = params.get("AlarmTypes") or ["MetricAlarm"]
        for kind in types:
            if kind not in ("MetricAlarm", "CompositeAlarm", "LogAlarm"):
                raise validation(f"The value {kind} for parameter AlarmTypes is invalid.")
        state = params.get("StateValue")
        if state is not None and state not in STATES:
            raise validation(f"The value {state} for parameter StateValue is invalid.")
        action_prefix = params.get("ActionPrefix")
        children_of, parents_of = params.get("ChildrenOfAlarmName"), params.get("ParentsOfAlarmName")
        if children_of and parents_of:
            raise combination(
                "The parameters ChildrenOfAlarmName and ParentsOfAlarmName are mutually exclusive."
            )
        wanted_names: set[str] | None = set(names) if names else None
        if children_of:
            parent = self.alarms.get(scope, children_of)
            wanted_names = (
                set(rules.children(parent["AlarmRule"]))
                if parent and parent["_kind"] == "composite"
                else set()
            )
            types = ["MetricAlarm", "CompositeAlarm"] if not params.get("AlarmTypes") else types
        if parents_of:
            wanted_names = {
                n
                for n, a in self.alarms.scan(scope)
                if a["_kind"] == "composite" and parents_of in rules.children(a["AlarmRule"])
            }
            types = ["CompositeAlarm"] if not params.get("AlarmTypes") else types

        def keep(alarm: dict[str, Any]) -> bool:
            if ALARM_TYPES[alarm["_kind"]] not in types:
                return False
            if wanted_names is not None and alarm["AlarmName"] not in wanted_names:
                return False
            if state and alarm["StateValue"] != state:
                return False
            if action_prefix:
                actions = (
                    (alarm.get("AlarmActions") or [])
                    + (alarm.get("OKActions") or [])
                    + (alarm.get("InsufficientDataActions") or [])
                )
                if not any(a.startswith(action_prefix) for a in actions):
                    return False
            return True

        def scan(after: str | None):
            for key, alarm in self.alarms.scan(scope, prefix=prefix or "", start_after=after):
                if keep(alarm):
                    yield key, alarm

        page = self.page_keys("DescribeAlarms", params, scan, lambda k, a: a, default_limit=100)
        found = page.pop("MetricAlarms", None)
        if found is None:
            found = page.pop("CompositeAlarms", [])
        page.pop("CompositeAlarms", None)
        out: dict[str, Any] = {
            "MetricAlarms": [self._render(a) for a in found if a["_kind"] == "metric"],
            "CompositeAlarms": [self._render(a) for a in found if a["_kind"] == "composite"],
        }
        if "LogAlarm" in types:
            out["LogAlarms"] = [self._render(a) for a in found if a["_kind"] == "log"]
        if page.get("NextToken"):
            out["NextToken"] = page["NextToken"]
        return out

    def describe_alarms_for_metric(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        want_dims = params.get("Dimensions")
        check_dimensions(want_dims or [], "Dimensions")
        found = []
        for _, alarm in self.alarms.scan(scope):
            if alarm["_kind"] != "metric" or alarm.get("MetricName") != params["MetricName"]:
                continue
            if alarm.get("Namespace") != params["Namespace"]:
                continue
            for member in ("Statistic", "ExtendedStatistic", "Period", "Unit"):
                if params.get(member) is not None and alarm.get(member) != params[member]:
                    break
            else:
                if want_dims is not None and sorted((d["Name"], d["Value"]) for d in want_dims) != sorted(
                    (d["Name"], d["Value"]) for d in alarm.get("Dimensions") or []
                ):
                    continue
                found.append(self._render(alarm))
        return {"MetricAlarms": found}

    def delete_alarms(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        names = params.get("AlarmNames") or []
        if len(names) > 100:
            raise validation("The collection AlarmNames must not have a size greater than 100.")
        with self.store.transaction():
            absent = [n for n in names if self.alarms.get(scope, n) is None]
            if absent:
                raise not_found(f"{len(absent)} alarm(s) not found")
            deleting = set(names)
            for _, other in self.alarms.scan(scope):
                if other["_kind"] == "composite" and other["AlarmName"] not in deleting:
                    used = deleting.intersection(rules.children(other["AlarmRule"]))
                    if used:
                        raise validation(
                            f"Alarm {sorted(used)[0]} can not be deleted because it is referenced in the "
                            f"alarm rule of composite alarm {other['AlarmName']}."
                        )
            for name in names:
                alarm = self.alarms.get(scope, name)
                self.alarms.delete(scope, name)
                self.drop_tags(scope, alarm["AlarmArn"])
                for key, _ in list(self.history.scan(scope, prefix=name + SEP)):
                    self.history.delete(scope, key)
        for name in names:
            self.runtime.scheduler.cancel(timer_key(scope, name))
        return {}

    def describe_alarm_history(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        name = params.get("AlarmName")
        kind = params.get("HistoryItemType")
        if kind is not None and kind not in (
            "ConfigurationUpdate",
            "StateUpdate",
            "Action",
            "AlarmContributorStateUpdate",
            "AlarmContributorAction",
        ):
            raise validation(f"The value {kind} for parameter HistoryItemType is invalid.")
        start = params.get("StartDate")
        end = params.get("EndDate")
        start_s = None if start is None else seconds(start)
        end_s = None if end is None else seconds(end)
        types = params.get("AlarmTypes") or ["MetricAlarm", "CompositeAlarm", "LogAlarm"]
        rows = [
            item
            for _, item in self.history.scan(scope, prefix=name + SEP if name else "")
            if (kind is None or item["HistoryItemType"] == kind)
            and item["AlarmType"] in types
            and (start_s is None or item["Timestamp"] >= start_s)
            and (end_s is None or item["Timestamp"] <= end_s)
        ]
        descending = params.get("ScanBy", "TimestampDescending") == "TimestampDescending"
        rows.sort(key=lambda item: item["Timestamp"], reverse=descending)
        return self.page_list("DescribeAlarmHistory", params, rows, default_limit=100)

    def set_alarm_state(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        name = params["AlarmName"]
        state = params["StateValue"]
        if state not in STATES:
            raise validation(f"The value {state} for parameter StateValue is invalid.")
        data = params.get("StateReasonData")
        if data is not None:
            try:
                json.loads(data)
            except ValueError:
                raise invalid("Reason Data is not valid JSON.") from None
        alarm = self.alarms.get(scope, name)
        if alarm is None:
            raise not_found(f"Alarm {name} not found")
        self.transition(scope, name, state, params["StateReason"], data)
        return {}

    def _set_actions(self: Provider, context: RequestContext, params: dict, enabled: bool) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            for name in params.get("AlarmNames") or []:
                alarm = self.alarms.get(scope, name)
                if alarm is not None:
                    alarm["ActionsEnabled"] = enabled
                    self.alarms.put(scope, name, alarm)
        return {}

    def enable_alarm_actions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._set_actions(context, params, True)

    def disable_alarm_actions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._set_actions(context, params, False)

    def describe_alarm_contributors(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        alarm = self.alarms.get(self.scope_of(context), params["AlarmName"])
        if alarm is None:
            raise not_found(f"Alarm {params['AlarmName']} not found")
        # Contributors belong to multi-time-series alarms (Metrics Insights queries); an alarm
        # on one metric or one expression has none.
        return {"AlarmContributors": []}


def _history_config(alarm: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    def shown(a: dict[str, Any]) -> dict[str, Any]:
        return lower_keys({k: v for k, v in a.items() if not k.startswith("_") and not k.startswith("State")})

    data: dict[str, Any] = {"version": "1.0", "type": "Update" if old else "Create"}
    if old:
        data["originalConfiguration"] = shown(old)
        data["updatedConfiguration"] = shown(alarm)
    else:
        data["createdAlarm"] = shown(alarm)
    return data
