"""GetInsightRuleReport: a Contributor Insights rule run over the log events of its groups
(read from Logs) in a time range — the top contributors by the rule's keys, their values per
period, and the rule's metrics per period."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from overcast.errors import ServiceError
from overcast.services.cloudwatch.errors import invalid
from overcast.services.cloudwatch.metrics import seconds

if TYPE_CHECKING:
    from overcast.context import RequestContext
    from overcast.services.cloudwatch.provider import Provider

METRICS = ("UniqueContributors", "MaxContributorValue", "SampleCount", "Sum", "Minimum", "Maximum", "Average")


def _json_field(document: Any, path: str) -> Any:
    if not path.startswith("$."):
        return None
    value = document
    for part in path[2:].split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _fields(definition: dict[str, Any], message: str) -> Any:
    """A reader of the event's fields: JSON paths, or CLF fields by the rule's Fields names."""
    if definition["LogFormat"] == "JSON":
        try:
            document = json.loads(message)
        except ValueError:
            return None
        return lambda path: _json_field(document, path)
    names = {str(name): int(index) for index, name in (definition.get("Fields") or {}).items()}
    parts = message.split()

    def read(name: str) -> Any:
        index = names.get(name)
        return parts[index - 1] if index is not None and 0 < index <= len(parts) else None

    return read


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _passes(read: Any, filters: list[dict[str, Any]]) -> bool:
    for condition in filters:
        value = read(condition.get("Match", ""))
        if "IsPresent" in condition and (value is not None) != bool(condition["IsPresent"]):
            return False
        if value is None and "IsPresent" not in condition:
            return False
        if "In" in condition and value not in condition["In"] and str(value) not in map(str, condition["In"]):
            return False
        if "NotIn" in condition and (
            value in condition["NotIn"] or str(value) in map(str, condition["NotIn"])
        ):
            return False
        if "StartsWith" in condition and not any(str(value).startswith(p) for p in condition["StartsWith"]):
            return False
        number = _number(value)
        if "GreaterThan" in condition and not (number is not None and number > condition["GreaterThan"]):
            return False
        if "LessThan" in condition and not (number is not None and number < condition["LessThan"]):
            return False
        if "EqualTo" in condition and number != condition["EqualTo"]:
            return False
        if "NotEqualTo" in condition and number == condition["NotEqualTo"]:
            return False
    return True


class ContributorsMixin:
    def get_insight_rule_report(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        rule = self.insight.get(self.scope_of(context), params["RuleName"])
        if rule is None:
            raise ServiceError(
                "ResourceNotFoundException", f"Rule {params['RuleName']} does not exist.", 404,
                ResourceType="InsightRule", ResourceId=params["RuleName"],
            )  # fmt: skip
        start, end, period = seconds(params["StartTime"]), seconds(params["EndTime"]), params["Period"]
        if start >= end:
            raise invalid("The parameter StartTime must be less than the parameter EndTime.")
        if period <= 0 or period % 60:
            raise invalid("The parameter Period must be a multiple of 60.")
        wanted = params.get("Metrics") or []
        for metric in wanted:
            if metric not in METRICS:
                raise invalid(f"The value {metric} for parameter Metrics is invalid.")
        order = params.get("OrderBy") or "Sum"
        if order not in ("Sum", "Maximum"):
            raise invalid(f"The value {order} for parameter OrderBy is invalid.")
        definition = json.loads(rule["Definition"])
        if rule.get("ManagedRule") or "Contribution" not in definition:
            raise invalid("A managed rule's report is not available locally.")
        contribution = definition["Contribution"]
        keys, filters = contribution["Keys"], contribution.get("Filters") or []
        value_of = contribution.get("ValueOf")
        by_sum = definition["AggregateOn"] == "Sum"
        base = int(start) - int(start) % 60
        per_key: dict[tuple[str, ...], dict[int, float]] = {}
        per_period: dict[int, list[float]] = {}
        events: Iterable[tuple[str, int, str]] = ()
        if rule["State"] == "ENABLED" and self.runtime.config.service_enabled("logs"):
            groups = definition.get("LogGroupNames") or [
                a.split(":log-group:")[-1] for a in definition.get("LogGroupARNs") or []
            ]
            events = self.runtime.provider("logs").events_between(
                context.account, context.region, groups, int(start * 1000), int(end * 1000)
            )
        for _, stamp, message in events:
            read = _fields(definition, message)
            if read is None or not _passes(read, filters):
                continue
            values = [read(k) for k in keys]
            if any(v is None for v in values):
                continue
            amount = _number(read(value_of)) if by_sum and value_of else 1.0
            if amount is None:
                continue
            slot = base + (int(stamp / 1000) - base) // period * period
            key = tuple(str(v) for v in values)
            series = per_key.setdefault(key, {})
            series[slot] = series.get(slot, 0.0) + amount
            per_period.setdefault(slot, []).append(amount)
        totals = {key: (sum(s.values()) if order == "Sum" else max(s.values())) for key, s in per_key.items()}
        ranked = sorted(per_key, key=lambda k: totals[k], reverse=True)[
            : params.get("MaxContributorCount") or 10
        ]
        out: dict[str, Any] = {
            "KeyLabels": keys,
            "AggregationStatistic": "Sum" if by_sum else "Count",
            "AggregateValue": float(sum(sum(s.values()) for s in per_key.values())),
            "ApproximateUniqueCount": len(per_key),
            "Contributors": [
                {
                    "Keys": list(key),
                    "ApproximateAggregateValue": float(totals[key]),
                    "Datapoints": [
                        {"Timestamp": float(ts), "ApproximateValue": v}
                        for ts, v in sorted(per_key[key].items())
                    ],
                }
                for key in ranked
            ],
        }
        if wanted:
            points = []
            for slot in sorted(per_period):
                amounts = per_period[slot]
                contributors = {k: s[slot] for k, s in per_key.items() if slot in s}
                computed = {
                    "UniqueContributors": float(len(contributors)),
                    "MaxContributorValue": max(contributors.values()),
                    "SampleCount": float(len(amounts)),
                    "Sum": float(sum(amounts)),
                    "Minimum": min(amounts),
                    "Maximum": max(amounts),
                    "Average": sum(amounts) / len(amounts),
                }
                points.append({"Timestamp": float(slot), **{m: computed[m] for m in wanted}})
            out["MetricDatapoints"] = points
        return out
