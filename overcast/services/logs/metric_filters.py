"""Metric filters: a filter pattern over a group's events and the metric each match emits.

Tables (scope = account/region):
  metric_filters   group SEP filter → filter record
CloudWatch reads a group's filters through `metric_filters_for`; the transformations are
stored exactly as given.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from overcast.common.pagination import paginate_list
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.cloudwatch.publish import emf_metrics, publish_metric
from overcast.store import scope as store_scope

from .patterns import PatternError, compile_pattern, extracted_values
from .shared import SEP, bad_token, invalid, not_found, now_ms, validation

if TYPE_CHECKING:
    from overcast.store import Table

    from .provider import Provider

#: AWS's quota of metric filters per log group.
MAX_FILTERS_PER_GROUP = 100
MAX_DIMENSIONS = 3
#: A metric value is a number or a reference to a field the pattern names: $.json.path or $name.
_METRIC_VALUE = re.compile(r"^(-?\d+(\.\d+)?|\$\.[\w.\[\]\-]+|\$[A-Za-z_][\w]*)$")


#: The model's patterns for these members, which AWS enforces (the protocol layer checks lengths).
_MEMBER_PATTERNS = {
    "logGroupName": re.compile(r"[\.\-_/#A-Za-z0-9]+"),
    "filterName": re.compile(r"[^:*]*"),
    "filterNamePrefix": re.compile(r"[^:*]*"),
}


def _check_patterns(params: dict) -> None:
    for member, pattern in _MEMBER_PATTERNS.items():
        value = params.get(member)
        if value is not None and not pattern.fullmatch(value):
            raise validation(
                value, member, f"Member must satisfy regular expression pattern: {pattern.pattern}"
            )


def _transformation_text(item: dict) -> str:
    """How AWS prints a transformation in its validation messages."""
    fields = ("metricName", "metricNamespace", "metricValue", "defaultValue", "unit", "dimensions")
    inner = ", ".join(f"{f}={item.get(f) if item.get(f) is not None else 'null'}" for f in fields)
    return f"MetricTransformation({inner})"


def compile_filter_pattern(text: str) -> None:
    try:
        compile_pattern(text)
    except PatternError as error:
        raise invalid(str(error) or "Invalid metric filter pattern") from None


def _check_transformations(transformations: list[dict]) -> None:
    if len(transformations) > 1:
        listed = ", ".join(_transformation_text(t) for t in transformations)
        raise validation(
            f"[{listed}]", "metricTransformations", "Member must have length less than or equal to 1"
        )
    for item in transformations:
        value = item["metricValue"]
        if not _METRIC_VALUE.match(value):
            raise invalid(f"Invalid metric value: {value}")
        dimensions = item.get("dimensions") or {}
        if len(dimensions) > MAX_DIMENSIONS:
            raise ServiceError("LimitExceededException", "Metric filters can have at most 3 dimensions.", 400)
        if dimensions and item.get("defaultValue") is not None:
            raise invalid("Invalid metric transformation: defaultValue can't be set when dimensions are set")
        for dimension in dimensions.values():
            if not dimension.startswith("$"):
                raise invalid(f"Invalid dimension value: {dimension}. Dimension values must be fields.")


class MetricFilters:
    @property
    def metric_filters(self: Provider) -> Table:  # type: ignore[misc]
        return self.store.table("logs", "metric_filters")

    # -- for CloudWatch ----------------------------------------------------------------------

    def metric_filters_for(self: Provider, account: str, region: str, group: str) -> list[dict]:  # type: ignore[misc]
        """The metric filters of a log group, as DescribeMetricFilters renders them."""
        scope = store_scope(account, region)
        return [record for _, record in self.metric_filters.scan(scope, prefix=group + SEP)]

    def metrics_of_events(  # type: ignore[misc]
        self: Provider, account: str, region: str, group: str, events: list[tuple[str, int, str]]
    ) -> None:
        """Turn newly written events into the metrics of the group's filters (and EMF lines into
        theirs), handed to CloudWatch: (namespace, name, dimensions, value, unit, time)."""
        if not self.runtime.config.service_enabled("cloudwatch"):
            return
        metrics: list[tuple[str, str, dict[str, str], float, str, float | None]] = []
        for record in self.metric_filters_for(account, region, group):
            metrics.extend(_filter_metrics(record, events))
        for _, _, message in events:
            if '"_aws"' in message:
                metrics.extend(emf_metrics(message))
        for namespace, name, dimensions, value, unit, moment in metrics:
            publish_metric(self.runtime, account, region, namespace, name, dimensions, value, unit, moment)

    # -- operations --------------------------------------------------------------------------

    def put_metric_filter(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _check_patterns(params)
        scope = self._scope(context)
        group_name, filter_name = params["logGroupName"], params["filterName"]
        group = self._group(scope, group_name)
        compile_filter_pattern(params["filterPattern"])
        transformations = params["metricTransformations"]
        _check_transformations(transformations)
        key = group_name + SEP + filter_name
        existing = self.metric_filters.get(scope, key)
        if existing is None and self.metric_filters.count(scope, group_name + SEP) >= MAX_FILTERS_PER_GROUP:
            raise ServiceError("LimitExceededException", "Resource limit exceeded.", 400)
        record = {
            "filterName": filter_name,
            "filterPattern": params["filterPattern"],
            "metricTransformations": transformations,
            "creationTime": existing["creationTime"] if existing else now_ms(),
            "logGroupName": group_name,
            "applyOnTransformedLogs": bool(params.get("applyOnTransformedLogs")),
        }
        for optional in ("fieldSelectionCriteria", "emitSystemFieldDimensions"):
            if params.get(optional) is not None:
                record[optional] = params[optional]
        with self.store.transaction():
            self.metric_filters.put(scope, key, record)
            group["metricFilterCount"] = self.metric_filters.count(scope, group_name + SEP)
            self.groups.put(scope, group_name, group)
        return {}

    def describe_metric_filters(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _check_patterns(params)
        scope = self._scope(context)
        group_name = params.get("logGroupName")
        prefix = params.get("filterNamePrefix") or ""
        metric_name, namespace = params.get("metricName"), params.get("metricNamespace")
        if bool(metric_name) != bool(namespace):
            raise invalid("metricName and metricNamespace must be specified together.")
        if group_name:
            self._group(scope, group_name)
            rows = self.metric_filters.scan(scope, prefix=group_name + SEP + prefix)
            found = [record for _, record in rows]
        else:
            found = [r for _, r in self.metric_filters.scan(scope) if r["filterName"].startswith(prefix)]
            found.sort(key=lambda r: (r["filterName"], r["logGroupName"]))
        if metric_name:
            found = [
                r
                for r in found
                if any(
                    t["metricName"] == metric_name and t["metricNamespace"] == namespace
                    for t in r["metricTransformations"]
                )
            ]
        bind = f"{group_name}{SEP}{prefix}{SEP}{metric_name}{SEP}{namespace}"
        return paginate_list(
            self.store, "logs", "DescribeMetricFilters", params, found, bad_token=bad_token,
            default_limit=50, bind=bind,
        )  # fmt: skip

    def delete_metric_filter(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _check_patterns(params)
        scope = self._scope(context)
        group_name = params["logGroupName"]
        group = self._group(scope, group_name)
        with self.store.transaction():
            if not self.metric_filters.delete(scope, group_name + SEP + params["filterName"]):
                raise not_found("The specified resource does not exist.")
            group["metricFilterCount"] = self.metric_filters.count(scope, group_name + SEP)
            self.groups.put(scope, group_name, group)
        return {}


def _field(message: str, parsed: dict[str, str], selector: str) -> Any:
    """A metric value or dimension reference: $.json.path into the event, or $name, a field
    of a space-delimited pattern."""
    if selector.startswith("$."):
        try:
            value: Any = json.loads(message)
        except ValueError:
            return None
        for part in re.findall(r"[^.\[\]]+", selector[2:]):
            if isinstance(value, dict):
                value = value.get(part)
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                return None
        return value
    return parsed.get(selector)


def _filter_metrics(
    record: dict, events: list[tuple[str, int, str]]
) -> list[tuple[str, str, dict[str, str], float, str, float | None]]:
    try:
        matches = compile_pattern(record["filterPattern"])
    except PatternError:
        return []
    out: list[tuple[str, str, dict[str, str], float, str, float | None]] = []
    for item in record["metricTransformations"]:
        matched = False
        unit = item.get("unit") or "None"
        for _, stamp, message in events:
            if not matches(message):
                continue
            parsed = extracted_values(record["filterPattern"], message)
            raw = item["metricValue"]
            value = _field(message, parsed, raw) if raw.startswith("$") else raw
            try:
                number = float(value)
            except (TypeError, ValueError):
                continue
            dimensions = {}
            for name, selector in (item.get("dimensions") or {}).items():
                found = _field(message, parsed, selector)
                if found is None:
                    break
                dimensions[name] = str(found)
            else:
                matched = True
                out.append(
                    (item["metricNamespace"], item["metricName"], dimensions, number, unit, stamp / 1000)
                )
        if not matched and item.get("defaultValue") is not None and events:
            out.append(
                (
                    item["metricNamespace"],
                    item["metricName"],
                    {},
                    float(item["defaultValue"]),
                    unit,
                    events[-1][1] / 1000,
                )
            )
    return out
