"""GetMetricData: metric queries and metric math expressions over a time range, and the same
evaluation for metric-math alarms."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from overcast.services.cloudwatch import mathexpr, stats
from overcast.services.cloudwatch.errors import bad_token, invalid, missing, validation
from overcast.services.cloudwatch.mathexpr import MathError, Series
from overcast.services.cloudwatch.metrics import align_start, check_dimensions, metric_id, seconds
from overcast.services.cloudwatch.search import compile_search

if TYPE_CHECKING:
    from overcast.context import RequestContext
    from overcast.services.cloudwatch.datastore import MetricStore
    from overcast.services.cloudwatch.provider import Provider

ID = re.compile(r"^[a-z][a-zA-Z0-9_]*$")
MAX_QUERIES = 500
MAX_SEARCH_RESULTS = 500
MAX_DATAPOINTS = 100_800
#: How far back an anomaly band's model looks: two weeks, as CloudWatch trains on.
HISTORY = 14 * 86400


def check_queries(queries: list[dict[str, Any]], *, alarm: bool = False) -> None:
    if not queries:
        raise missing("MetricDataQueries")
    if len(queries) > MAX_QUERIES:
        raise invalid(f"The collection MetricDataQueries must not have a size greater than {MAX_QUERIES}.")
    seen: set[str] = set()
    returned = 0
    for index, query in enumerate(queries, 1):
        ident = query.get("Id")
        if not ident:
            raise missing(f"MetricDataQueries.member.{index}.Id")
        if not ID.match(ident):
            raise validation(
                f"Invalid metric data query id {ident}: the Id must start with a lowercase letter "
                "and contain only letters, numbers and underscores."
            )
        if ident in seen:
            raise validation(f"The value {ident} for field Id must be unique.")
        seen.add(ident)
        has_stat, has_expr = query.get("MetricStat") is not None, query.get("Expression") is not None
        if has_stat == has_expr:
            raise validation(
                f"Exactly one of MetricStat and Expression must be specified in MetricDataQueries.member.{index}."
            )
        if has_stat:
            stat = query["MetricStat"]
            for member in ("Metric", "Period", "Stat"):
                if stat.get(member) is None:
                    raise missing(f"MetricDataQueries.member.{index}.MetricStat.{member}")
            metric = stat["Metric"]
            if not metric.get("Namespace") or not metric.get("MetricName"):
                raise missing(f"MetricDataQueries.member.{index}.MetricStat.Metric.MetricName")
            check_dimensions(
                metric.get("Dimensions") or [],
                f"MetricDataQueries.member.{index}.MetricStat.Metric.Dimensions",
            )
            if stat["Stat"] not in stats.PLAIN and not stats.valid_extended(stat["Stat"]):
                raise validation(f"Invalid statistic {stat['Stat']} in MetricDataQueries.member.{index}.")
            period = stat["Period"]
            if (
                period <= 0
                or (period < 60 and period not in (1, 5, 10, 20, 30))
                or (period >= 60 and period % 60)
            ):
                raise validation(
                    f"The value {period} for parameter MetricDataQueries.member.{index}.MetricStat.Period "
                    "must be 1, 5, 10, 20, 30, 60, or any multiple of 60."
                )
        else:
            try:
                mathexpr.parse(query["Expression"])
            except MathError as error:
                raise validation(str(error)) from None
        if query.get("ReturnData", True):
            returned += 1
    if alarm and returned != 1:
        raise validation("Exactly one element of the metrics list should return data.")


class Evaluation:
    """One evaluation of a list of queries over [start, end)."""

    def __init__(
        self, data: MetricStore, scope: str, queries: list[dict[str, Any]], start: float, end: float
    ) -> None:
        self.data = data
        self.scope = scope
        self.queries = {q["Id"]: q for q in queries}
        self.order = [q["Id"] for q in queries]
        self.start_raw = start
        self.end = math.ceil(end)
        self.values: dict[str, mathexpr.Value] = {}
        self.messages: dict[str, list[dict[str, str]]] = {}
        self._busy: set[str] = set()

    def period_of(self, query: dict[str, Any]) -> int:
        if query.get("Period"):
            return int(query["Period"])
        if query.get("MetricStat"):
            return int(query["MetricStat"]["Period"])
        periods = [int(q["MetricStat"]["Period"]) for q in self.queries.values() if q.get("MetricStat")]
        return min(periods) if periods else 60

    def metric_series(
        self, metric: dict[str, Any], stat: str, period: int, unit: str | None, label: str, ident: str
    ) -> Series:
        start = int(align_start(self.start_raw, period))
        mid = metric_id(metric["Namespace"], metric["MetricName"], metric.get("Dimensions") or [])
        if stat in stats.PLAIN:
            return Series(
                label, self.data.plain_series(self.scope, mid, start, self.end, period, stat, unit), ident
            )
        groups = self.data.aggregate(self.scope, mid, start, self.end, period, unit)
        points: dict[int, float] = {}
        for (slot, _), bucket in groups.items():
            value = stats.compute(bucket, stat)
            if value is not None:
                points[slot] = value
        return Series(label, points, ident)

    def value(self, ident: str) -> mathexpr.Value:
        if ident in self.values:
            return self.values[ident]
        query = self.queries.get(ident)
        if query is None:
            raise MathError(f"Unrecognized metric or expression id {ident}.")
        if ident in self._busy:
            raise MathError(f"Circular dependency: the expression with id {ident} references itself.")
        self._busy.add(ident)
        try:
            if query.get("MetricStat"):
                stat = query["MetricStat"]
                label = query.get("Label") or stat["Metric"]["MetricName"]
                result: mathexpr.Value = self.metric_series(
                    stat["Metric"], stat["Stat"], int(stat["Period"]), stat.get("Unit"), label, ident
                )
            else:
                result = self.expression(query)
        finally:
            self._busy.discard(ident)
        self.values[ident] = result
        return result

    def expression(self, query: dict[str, Any]) -> mathexpr.Value:
        period = self.period_of(query)
        start = int(align_start(self.start_raw, period))
        ident = query["Id"]

        def all_metrics(wanted: str) -> list[Series]:
            out = []
            for other in self.order:
                if other == ident or (wanted and wanted not in other):
                    continue
                candidate = self.queries[other]
                if candidate.get("MetricStat"):
                    value = self.value(other)
                    if isinstance(value, Series):
                        out.append(value)
            return out

        def search(text: str, stat: str, search_period: int) -> list[Series]:
            if stat not in stats.PLAIN and not stats.valid_extended(stat):
                raise MathError(f"Invalid statistic {stat} in SEARCH.")
            matcher = compile_search(text)
            found = []
            for _, record in self.data.list(self.scope):
                if matcher(record):
                    label = " ".join([*(d["Value"] for d in record["Dimensions"]), record["MetricName"]])
                    found.append(self.metric_series(record, stat, search_period, None, label, ident))
                    if len(found) > MAX_SEARCH_RESULTS:
                        raise MathError("The SEARCH expression matched more than 500 metrics.")
            return found

        def history(ident: str) -> Series:
            query = self.queries.get(ident)
            if query is None or not query.get("MetricStat"):
                return Series("")
            stat = query["MetricStat"]
            earlier = Evaluation(self.data, self.scope, [query], self.start_raw - HISTORY, self.start_raw)
            return earlier.metric_series(
                stat["Metric"], stat["Stat"], int(stat["Period"]), stat.get("Unit"), "", ident
            )

        context = mathexpr.Context(
            history=history,
            resolve=self.value,
            period=period,
            start=start,
            end=self.end,
            all_metrics=all_metrics,
            search=search,
        )
        result = mathexpr.evaluate(query["Expression"], context)
        if isinstance(result, str):
            raise MathError("The expression must return a number or time series, not a string.")
        if isinstance(result, float):
            label = query.get("Label") or ident
            grid = sorted({ts for v in self.values.values() if isinstance(v, Series) for ts in v.points})
            return Series(
                label,
                {ts: result for ts in (grid or context.timeline())} if not math.isnan(result) else {},
                ident,
            )
        if isinstance(result, Series):
            return Series(
                query.get("Label") or (result.label if "SEARCH" in query["Expression"] else ident),
                result.points,
                ident,
            )
        return [Series(s.label if s.label else ident, s.points, ident) for s in result]

    def results(self, descending: bool = True) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for ident in self.order:
            query = self.queries[ident]
            if not query.get("ReturnData", True):
                continue
            try:
                value = self.value(ident)
            except MathError as error:
                raise validation(f"Error in expression {ident}: {error}") from None
            series_list = value if isinstance(value, list) else [value] if isinstance(value, Series) else []
            for series in series_list:
                points = series.points
                stamps = sorted(points, reverse=descending)
                values = list(map(points.__getitem__, stamps))
                if not all(map(math.isfinite, values)):
                    kept = [(ts, v) for ts, v in zip(stamps, values, strict=True) if math.isfinite(v)]
                    stamps, values = [ts for ts, _ in kept], [v for _, v in kept]
                out.append(
                    {
                        "Id": ident,
                        "Label": query.get("Label") or series.label,
                        "Timestamps": list(map(float, stamps)),
                        "Values": values,
                        "StatusCode": "Complete",
                        "Messages": [],
                    }
                )
        return out

    def single(self, skip: str | None = None) -> Series:
        """The one series a metric-math alarm evaluates (the query that returns data, other
        than its band's)."""
        for ident in self.order:
            if ident != skip and self.queries[ident].get("ReturnData", True):
                try:
                    value = self.value(ident)
                except MathError:
                    return Series(ident)
                if isinstance(value, list):
                    return value[0] if value else Series(ident)
                return value if isinstance(value, Series) else Series(ident)
        return Series("")


class QueryMixin:
    def get_metric_data(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        queries = params.get("MetricDataQueries") or []
        check_queries(queries)
        start, end = seconds(params["StartTime"]), seconds(params["EndTime"])
        if start >= end:
            raise validation("The parameter StartTime must be less than the parameter EndTime.")
        scan_by = params.get("ScanBy", "TimestampDescending")
        if scan_by not in ("TimestampDescending", "TimestampAscending"):
            raise validation(f"The value {scan_by} for parameter ScanBy is invalid.")
        limit = params.get("MaxDatapoints") or MAX_DATAPOINTS
        evaluation = Evaluation(self.data, self.scope_of(context), queries, start, end)
        results = evaluation.results(descending=scan_by == "TimestampDescending")
        total = sum(len(r["Values"]) for r in results)
        if not params.get("NextToken") and total <= limit:
            return {"MetricDataResults": results, "Messages": []}
        offset = 0
        if params.get("NextToken"):
            position = self.decode_token("GetMetricData", params["NextToken"])
            if not isinstance(position, int) or position < 0:
                raise bad_token()
            offset = position
        flat = [
            (r_index, p_index) for r_index, r in enumerate(results) for p_index in range(len(r["Values"]))
        ]
        window = flat[offset : offset + limit]
        keep: dict[int, list[int]] = {}
        for r_index, p_index in window:
            keep.setdefault(r_index, []).append(p_index)
        page = []
        for r_index, result in enumerate(results):
            chosen = keep.get(r_index, [])
            if offset and not chosen:
                continue
            page.append(
                {
                    **result,
                    "Timestamps": [result["Timestamps"][i] for i in chosen],
                    "Values": [result["Values"][i] for i in chosen],
                    "StatusCode": "Complete" if len(chosen) == len(result["Values"]) else "PartialData",
                }
            )
        out: dict[str, Any] = {"MetricDataResults": page, "Messages": []}
        if offset + limit < len(flat):
            out["NextToken"] = self.encode_token("GetMetricData", offset + limit)
        return out
