"""AWS X-Ray: segment documents in (PutTraceSegments, and the daemon's UDP protocol), traces
out (BatchGetTraces, GetTraceSummaries with the filter language, service and trace graphs,
time series), sampling rules and targets, groups, encryption, resource policies, tags and
indexing rules.

Traces live in table "traces", keyed by trace id: the ids begin with their epoch second in
fixed-width hex, so a time range is a key range. Each row holds the trace's segment
documents by segment id, as sent."""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from overcast.common import jsontext, pagination, tagging
from overcast.common.arns import parse_arn
from overcast.common.ids import fast_uuid
from overcast.context import DEFAULT_ACCOUNT, DEFAULT_REGION, RequestContext
from overcast.errors import ServiceError
from overcast.services.base import BaseProvider
from overcast.services.xray import segments as seg
from overcast.services.xray.account import AccountMixin
from overcast.services.xray.filters import FilterError, compile_filter
from overcast.services.xray.graph import Graph, trace_view
from overcast.services.xray.groups import GroupMixin
from overcast.services.xray.sampling import SamplingMixin, invalid
from overcast.store import scope as store_scope

#: A range by event time also looks at the traces whose id (their start) lies up to this long
#: before it: a trace still receiving segments an hour after it began.
EVENT_LOOKBACK = 3600
MAX_TRACE_HOMES = 10_000


def _hex_second(moment: float) -> str:
    return f"1-{max(int(moment), 0):08x}"


def _seconds(moment: datetime | float) -> float:
    return moment.timestamp() if isinstance(moment, datetime) else float(moment)


def _sampling_rate(params: dict[str, Any]) -> float | None:
    """The share of traces a sampled GetTraceSummaries looks at (None: all of them). The
    strategy's Value is that share; X-Ray documents no default, so Overcast's is 10%."""
    if not params.get("Sampling"):
        return None
    value = (params.get("SamplingStrategy") or {}).get("Value")
    if value is None:
        return 0.1
    if not 0 < value <= 1:
        raise invalid("SamplingStrategy Value must be greater than 0 and at most 1.")
    return float(value)


def _trace_fraction(trace_id: str) -> float:
    """Where a trace falls in [0, 1): its random part, so a sample is the same on every call."""
    return int(trace_id[-8:], 16) / 2**32


class Provider(SamplingMixin, GroupMixin, AccountMixin, BaseProvider):
    service = "xray"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.traces = self.store.table("xray", "traces")
        self.rules = self.store.table("xray", "sampling_rules")
        self.sampling_stats = self.store.table("xray", "sampling_stats")
        self.groups = self.store.table("xray", "groups")
        self.settings = self.store.table("xray", "settings")
        self.policies = self.store.table("xray", "resource_policies")
        self.retrievals = self.store.table("xray", "retrievals")
        #: Where the traces Overcast's own services started belong: (account, region) by
        #: trace id, so the segments an SDK sends for them over UDP join them.
        self.trace_homes: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self.tag_rules = tagging.TagRules(
            refuse=tagging.refusals(
                "InvalidRequestException",
                {
                    tagging.TagProblem.TOO_MANY: (
                        "TooManyTagsException",
                        "The number of tags exceeds the limit of 50.",
                    )
                },
                limit=50,
            ),
            max_tags=50,
        )

    @staticmethod
    def scope_of(context: RequestContext) -> str:
        return store_scope(context.account, context.region)

    def page(self, context: RequestContext, operation: str, params: dict[str, Any], items: list[Any]) -> dict:
        return pagination.paginate_list(
            self.store,
            "xray",
            operation,
            params,
            items,
            bad_token=lambda: invalid("Invalid NextToken"),
            default_limit=100,
        )

    # -- segments in ----------------------------------------------------------------------------

    def put_trace_segments(self, context: RequestContext, params: dict) -> dict:
        return {
            "UnprocessedTraceSegments": self.accept_segments(
                context.account, context.region, params["TraceSegmentDocuments"]
            )
        }

    def accept_segments(self, account: str, region: str, documents: list[str]) -> list[dict[str, str]]:
        """Store the segment documents an account sends (through the API, the daemon, or a
        service tracing itself); returns the ones X-Ray leaves unprocessed, with why."""
        scope = store_scope(account, region)
        unprocessed: list[dict[str, str]] = []
        accepted: list[dict[str, Any]] = []
        for text in documents:
            try:
                accepted.append(seg.parse_document(text))
            except seg.SegmentProblem as problem:
                entry = {"ErrorCode": "InvalidSegment", "Message": problem.message}
                if problem.segment_id:
                    entry["Id"] = problem.segment_id
                unprocessed.append(entry)
        with self.store.transaction():
            for doc in accepted:
                row = self.traces.get(scope, doc["trace_id"]) or {"segments": {}}
                row["segments"][doc["id"]] = doc
                row["updated"] = time.time()
                self.traces.put(scope, doc["trace_id"], row)
        return unprocessed

    def record_segments(
        self, account: str, region: str, documents: list[dict[str, Any]]
    ) -> list[dict[str, str]]:
        """Store segments another service records of its own work (Lambda's of a traced
        invocation); returns those X-Ray leaves unprocessed, as PutTraceSegments would."""
        return self.accept_segments(account, region, [json.dumps(doc) for doc in documents])

    def claim_trace(self, account: str, region: str, trace_id: str) -> None:
        """Note that `trace_id` belongs to this account and region: the segments the daemon
        receives for it (without credentials to say whose they are) are stored there."""
        self.trace_homes[trace_id] = (account, region)
        self.trace_homes.move_to_end(trace_id)
        while len(self.trace_homes) > MAX_TRACE_HOMES:
            self.trace_homes.popitem(last=False)

    def accept_daemon_segment(self, document: str) -> None:
        """One segment the daemon's UDP protocol delivered."""
        try:
            trace_id = jsontext.loads(document).get("trace_id")
        except (ValueError, AttributeError):
            trace_id = None
        home = self.trace_homes.get(trace_id) if isinstance(trace_id, str) else None
        if home is None and isinstance(trace_id, str) and seg.TRACE_ID.match(trace_id):
            for scope in self.traces.scopes():
                if self.traces.get(scope, trace_id) is not None:
                    account, _, region = scope.partition("/")
                    home = (account, region)
                    break
        self.accept_segments(*(home or (DEFAULT_ACCOUNT, DEFAULT_REGION)), [document])

    def put_telemetry_records(self, context: RequestContext, params: dict) -> dict:
        # The daemon's health counters: X-Ray keeps them for its own console only.
        return {}

    # -- traces out -----------------------------------------------------------------------------

    def _documents(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        return list(row["segments"].values())

    def batch_get_traces(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        traces, missing = [], []
        for trace_id in params["TraceIds"]:
            row = self.traces.get(scope, trace_id) if seg.TRACE_ID.match(trace_id) else None
            if row is None:
                missing.append(trace_id)
                continue
            docs = self._documents(row)
            summary = seg.summarize(trace_id, docs, context.account)
            traces.append(
                {
                    "Id": trace_id,
                    "Duration": summary["Duration"],
                    "LimitExceeded": False,
                    "Segments": [
                        {"Id": d["id"], "Document": json.dumps(d, separators=(",", ":"))} for d in docs
                    ],
                }
            )
        out = self.page(context, "BatchGetTraces", params, traces)
        out["UnprocessedTraceIds"] = missing
        return out

    def _range(self, params: dict[str, Any]) -> tuple[float, float]:
        start, end = _seconds(params["StartTime"]), _seconds(params["EndTime"])
        if end < start:
            raise invalid("EndTime must be after StartTime")
        return start, end

    def traces_between(
        self, context: RequestContext, start: float, end: float, range_type: str = "Service"
    ) -> Iterator[tuple[str, list[dict[str, Any]], dict[str, Any], float]]:
        """(id, documents, summary, matched time) of the traces in [start, end] by
        `range_type`: TraceId (the id's second, when the trace began), Event (when the trace
        was last updated) or Service (when one of its segments ended)."""
        low = start if range_type == "TraceId" else start - EVENT_LOOKBACK
        for trace_id, row in self.traces.scan(
            self.scope_of(context), start_after=_hex_second(low - 1) + "~", end_before=_hex_second(end + 1)
        ):
            docs = self._documents(row)
            if range_type == "TraceId":
                matched = float(seg.trace_id_seconds(trace_id))
            elif range_type == "Event":
                matched = float(row.get("updated", 0.0))
            else:
                ends = [float(d["end_time"]) for d in docs if isinstance(d.get("end_time"), int | float)]
                matched = next((t for t in sorted(ends) if start <= t <= end), ends[-1] if ends else 0.0)
            if range_type != "TraceId" and not start <= matched <= end:
                continue
            yield trace_id, docs, seg.summarize(trace_id, docs, context.account), matched

    def _predicate(self, expression: str | None) -> Any:
        if not expression:
            return None
        try:
            return compile_filter(expression)
        except FilterError as error:
            raise invalid(str(error)) from None

    def get_trace_summaries(self, context: RequestContext, params: dict) -> dict:
        start, end = self._range(params)
        predicate = self._predicate(params.get("FilterExpression"))
        range_type = params.get("TimeRangeType") or "TraceId"
        rate = _sampling_rate(params)
        matched, processed = [], 0
        for trace_id, docs, summary, when in self.traces_between(context, start, end, range_type):
            if rate is not None and _trace_fraction(trace_id) >= rate:
                continue
            processed += 1
            if predicate is not None and not predicate(trace_view(summary, docs)):
                continue
            summary["Revision"] = len(docs)
            if range_type != "TraceId":
                summary["MatchedEventTime"] = when
            matched.append(summary)
        out = self.page(context, "GetTraceSummaries", params, matched)
        out["ApproximateTime"] = end
        out["TracesProcessedCount"] = processed
        return out

    def _group_predicate(self, context: RequestContext, params: dict[str, Any]) -> Any:
        if params.get("GroupName") is None and params.get("GroupARN") is None:
            return None
        return self._predicate(self.find_group(context, params).get("FilterExpression"))

    def _graph(self, context: RequestContext, params: dict[str, Any]) -> Graph:
        start, end = self._range(params)
        predicate = self._group_predicate(context, params)
        graph = Graph()
        for _trace_id, docs, summary, _when in self.traces_between(context, start, end):
            if predicate is None or predicate(trace_view(summary, docs)):
                graph.add_trace(docs)
        return graph

    def get_service_graph(self, context: RequestContext, params: dict) -> dict:
        graph = self._graph(context, params)
        out = self.page(context, "GetServiceGraph", params, graph.services(context.account))
        out.update(StartTime=params["StartTime"], EndTime=params["EndTime"], ContainsOldGroupVersions=False)
        return out

    def get_trace_graph(self, context: RequestContext, params: dict) -> dict:
        graph = Graph()
        scope = self.scope_of(context)
        for trace_id in params["TraceIds"]:
            row = self.traces.get(scope, trace_id) if seg.TRACE_ID.match(trace_id) else None
            if row is not None:
                graph.add_trace(self._documents(row))
        return self.page(context, "GetTraceGraph", params, graph.services(context.account))

    def get_time_series_service_statistics(self, context: RequestContext, params: dict) -> dict:
        start, end = self._range(params)
        period = params.get("Period") or 60
        if period <= 0 or period % 60 != 0:
            raise invalid("Period must be a multiple of 60 seconds")
        if params.get("EntitySelectorExpression"):
            self._predicate(params["EntitySelectorExpression"])
        predicate = self._group_predicate(context, params)
        buckets: dict[int, Graph] = {}
        for _trace_id, docs, summary, _when in self.traces_between(context, start, end):
            if predicate is None or predicate(trace_view(summary, docs)):
                bucket = int(summary["StartTime"] // period * period)
                buckets.setdefault(bucket, Graph()).add_trace(docs)
        series = []
        for bucket, graph in sorted(buckets.items()):
            calls = [call for node in graph.nodes.values() if not node.inferred for call in node.calls]
            edges = [call for node in graph.nodes.values() for calls in node.edges.values() for call in calls]
            from overcast.services.xray.graph import histogram, statistics

            entry: dict[str, Any] = {
                "Timestamp": float(bucket),
                "ServiceSummaryStatistics": statistics(calls),
                "EdgeSummaryStatistics": statistics(edges),
                "ResponseTimeHistogram": histogram(calls),
            }
            series.append(entry)
        out = self.page(context, "GetTimeSeriesServiceStatistics", params, series)
        out["ContainsOldGroupVersions"] = False
        return out

    # -- trace retrieval (Transaction Search) ---------------------------------------------------

    def start_trace_retrieval(self, context: RequestContext, params: dict) -> dict:
        self._range(params)
        token = fast_uuid()
        with self.store.transaction():
            self.retrievals.put(
                self.scope_of(context), token, {"TraceIds": params["TraceIds"], "Status": "COMPLETE"}
            )
        return {"RetrievalToken": token}

    def _retrieval(self, context: RequestContext, token: str) -> dict[str, Any]:
        row = self.retrievals.get(self.scope_of(context), token)
        if row is None:
            raise ServiceError("ResourceNotFoundException", f"Retrieval token {token} not found", 404)
        return row

    def cancel_trace_retrieval(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            row = self._retrieval(context, params["RetrievalToken"])
            if row["Status"] == "COMPLETE":
                raise invalid("The retrieval has already completed")
        return {}

    def list_retrieved_traces(self, context: RequestContext, params: dict) -> dict:
        row = self._retrieval(context, params["RetrievalToken"])
        fmt = params.get("TraceFormat", "XRAY")
        scope = self.scope_of(context)
        traces = []
        for trace_id in row["TraceIds"]:
            stored = self.traces.get(scope, trace_id)
            if stored is None:
                continue
            docs = self._documents(stored)
            summary = seg.summarize(trace_id, docs, context.account)
            traces.append(
                {
                    "Id": trace_id,
                    "Duration": summary["Duration"],
                    "Spans": [
                        {"Id": d["id"], "Document": json.dumps(d, separators=(",", ":"))} for d in docs
                    ],
                }
            )
        return {"RetrievalStatus": row["Status"], "TraceFormat": fmt, "Traces": traces}

    def get_retrieved_traces_graph(self, context: RequestContext, params: dict) -> dict:
        row = self._retrieval(context, params["RetrievalToken"])
        graph = Graph()
        scope = self.scope_of(context)
        for trace_id in row["TraceIds"]:
            stored = self.traces.get(scope, trace_id)
            if stored is not None:
                graph.add_trace(self._documents(stored))
        services = [{"Service": service, "Links": []} for service in graph.services(context.account)]
        return {"RetrievalStatus": row["Status"], "Services": services}

    # -- insights: X-Ray's answers when no insight exists ---------------------------------------

    def get_insight_summaries(self, context: RequestContext, params: dict) -> dict:
        if params.get("GroupName") is not None or params.get("GroupARN") is not None:
            self.find_group(context, params)
        self._range(params)
        return {"InsightSummaries": []}

    def _no_insight(self, insight_id: str) -> ServiceError:
        return invalid(f"Insight {insight_id} not found")

    def get_insight(self, context: RequestContext, params: dict) -> dict:
        raise self._no_insight(params["InsightId"])

    def get_insight_events(self, context: RequestContext, params: dict) -> dict:
        raise self._no_insight(params["InsightId"])

    def get_insight_impact_graph(self, context: RequestContext, params: dict) -> dict:
        raise self._no_insight(params["InsightId"])

    def resource_tags(self, arn: str) -> dict[str, str] | None:
        parsed = parse_arn(arn)
        if parsed is None:
            return None
        context = RequestContext.internal("xray", parsed.account, parsed.region)
        try:
            return dict(self._tagged(context, arn)[2].get("Tags") or {})
        except ServiceError:
            return None
