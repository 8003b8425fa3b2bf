"""X-Ray's trace API against the real server: segments in (and the bad ones left
unprocessed), traces, summaries filtered by the expression language, service and trace
graphs, time series."""

from __future__ import annotations

import json
import os
import time

import pytest
from botocore.exceptions import ClientError


def new_trace_id(at: float | None = None) -> str:
    return f"1-{int(at or time.time()):08x}-{os.urandom(12).hex()}"


def new_id() -> str:
    return os.urandom(8).hex()


@pytest.fixture
def xray(client):
    return client("xray")


def api_trace(status: int = 200, fault: bool = False, annotation: str = "checkout") -> tuple[str, list[str]]:
    """A trace of an API whose handler calls DynamoDB, as two segments and a subsegment."""
    now = time.time()
    trace_id = new_trace_id(now)
    api_id, worker_id, call_id = new_id(), new_id(), new_id()
    api = {
        "id": api_id,
        "trace_id": trace_id,
        "name": "shop-api",
        "start_time": now,
        "end_time": now + 0.3,
        "fault": fault,
        "http": {
            "request": {"url": "https://shop.example/cart", "method": "POST", "user_agent": "curl/8"},
            "response": {"status": status},
        },
        "annotations": {"flow": annotation},
        "subsegments": [{"id": new_id(), "name": "worker", "start_time": now + 0.01, "end_time": now + 0.29}],
    }
    worker = {
        "id": worker_id,
        "trace_id": trace_id,
        "parent_id": api["subsegments"][0]["id"],
        "name": "cart-worker",
        "origin": "AWS::EC2::Instance",
        "start_time": now + 0.02,
        "end_time": now + 0.28,
        "subsegments": [
            {
                "id": call_id,
                "name": "DynamoDB",
                "namespace": "aws",
                "start_time": now + 0.05,
                "end_time": now + 0.15,
                "aws": {"operation": "PutItem", "table_name": "carts"},
            }
        ],
    }
    return trace_id, [json.dumps(api), json.dumps(worker)]


def window() -> dict:
    now = time.time()
    return {"StartTime": now - 120, "EndTime": now + 120}


def test_segments_are_stored_and_bad_ones_left_unprocessed(xray):
    trace_id, documents = api_trace()
    bad_trace = json.dumps({"id": new_id(), "trace_id": "1-xyz", "name": "n", "start_time": 1, "end_time": 2})
    no_end = json.dumps({"id": "abcdef0123456789", "trace_id": new_trace_id(), "name": "n", "start_time": 1})
    out = xray.put_trace_segments(TraceSegmentDocuments=[*documents, bad_trace, "not json", no_end])
    unprocessed = out["UnprocessedTraceSegments"]
    assert len(unprocessed) == 3
    assert {"Id": "abcdef0123456789"}.items() <= unprocessed[2].items()
    traces = xray.batch_get_traces(TraceIds=[trace_id, new_trace_id()])
    assert [t["Id"] for t in traces["Traces"]] == [trace_id]
    assert len(traces["UnprocessedTraceIds"]) == 1
    trace = traces["Traces"][0]
    assert trace["Duration"] == pytest.approx(0.3, abs=0.01)
    assert {json.loads(s["Document"])["name"] for s in trace["Segments"]} == {"shop-api", "cart-worker"}


def test_an_in_progress_segment_makes_the_trace_partial(xray):
    now = time.time()
    trace_id = new_trace_id(now)
    doc = {"id": new_id(), "trace_id": trace_id, "name": "slow", "start_time": now, "in_progress": True}
    assert xray.put_trace_segments(TraceSegmentDocuments=[json.dumps(doc)])["UnprocessedTraceSegments"] == []
    summaries = xray.get_trace_summaries(**window(), FilterExpression="partial")["TraceSummaries"]
    assert trace_id in [s["Id"] for s in summaries]


def test_summaries_follow_the_filter_expression(xray):
    ok_id, ok_docs = api_trace(annotation="browse")
    fault_id, fault_docs = api_trace(status=502, fault=True, annotation="checkout")
    xray.put_trace_segments(TraceSegmentDocuments=ok_docs + fault_docs)

    def matching(expression: str) -> set[str]:
        found = xray.get_trace_summaries(**window(), FilterExpression=expression)["TraceSummaries"]
        return {s["Id"] for s in found} & {ok_id, fault_id}

    assert matching("fault") == {fault_id}
    assert matching("NOT fault") == {ok_id}
    assert matching("http.status >= 500") == {fault_id}
    assert matching('annotation.flow = "browse"') == {ok_id}
    assert matching('http.url CONTAINS "cart" AND http.method = "POST"') == {ok_id, fault_id}
    assert matching('service("cart-worker") { responsetime > 0.2 }') == {ok_id, fault_id}
    assert matching('service(id(name: "DynamoDB", type: "AWS::DynamoDB::Table"))') == {ok_id, fault_id}
    assert matching('edge("cart-worker", "DynamoDB") { responsetime < 0.05 }') == set()
    assert matching("responsetime > 5 OR fault") == {fault_id}
    summary = next(s for s in xray.get_trace_summaries(**window())["TraceSummaries"] if s["Id"] == fault_id)
    assert summary["HasFault"] is True
    assert summary["Http"]["HttpStatus"] == 502
    assert summary["EntryPoint"]["Name"] == "shop-api"
    assert summary["Annotations"]["flow"][0]["AnnotationValue"] == {"StringValue": "checkout"}
    assert {s["Name"] for s in summary["ServiceIds"]} == {"shop-api", "cart-worker", "DynamoDB"}


def test_a_bad_filter_expression_is_refused(xray):
    with pytest.raises(ClientError) as error:
        xray.get_trace_summaries(**window(), FilterExpression="responsetime >")
    assert error.value.response["Error"]["Code"] == "InvalidRequestException"
    with pytest.raises(ClientError):
        xray.get_trace_summaries(**window(), FilterExpression="nosuchkeyword = 1")


def test_the_service_graph_has_client_service_and_inferred_nodes(xray):
    trace_id, documents = api_trace()
    xray.put_trace_segments(TraceSegmentDocuments=documents)
    services = xray.get_trace_graph(TraceIds=[trace_id])["Services"]
    by_name = {(s.get("Name"), s.get("Type")): s for s in services}
    client_node = by_name[(None, "client")]
    api = by_name[("shop-api", None)]
    worker = by_name[("cart-worker", "AWS::EC2::Instance")]
    table = by_name[("DynamoDB", "AWS::DynamoDB::Table")]
    assert client_node["Root"] is True
    assert [e["ReferenceId"] for e in client_node["Edges"]] == [api["ReferenceId"]]
    assert [e["ReferenceId"] for e in api["Edges"]] == [worker["ReferenceId"]]
    edge = worker["Edges"][0]
    assert edge["ReferenceId"] == table["ReferenceId"]
    assert edge["SummaryStatistics"]["TotalCount"] == 1
    assert edge["ResponseTimeHistogram"][0]["Value"] == pytest.approx(0.1, abs=0.002)
    graph = xray.get_service_graph(**window())["Services"]
    assert {(s.get("Name"), s.get("Type")) for s in graph} >= set(by_name)


def test_a_group_selects_the_traces_of_its_graph(xray):
    _ok_id, ok_docs = api_trace()
    xray.put_trace_segments(TraceSegmentDocuments=ok_docs)
    xray.create_group(GroupName="faults-only", FilterExpression='service("nobody-has-this")')
    try:
        assert xray.get_service_graph(**window(), GroupName="faults-only")["Services"] == []
        assert xray.get_service_graph(**window(), GroupName="Default")["Services"] != []
    finally:
        xray.delete_group(GroupName="faults-only")


def test_time_series_counts_the_requests(xray):
    _trace_id, documents = api_trace(fault=True)
    xray.put_trace_segments(TraceSegmentDocuments=documents)
    series = xray.get_time_series_service_statistics(**window(), Period=60)["TimeSeriesServiceStatistics"]
    assert sum(p["ServiceSummaryStatistics"]["FaultStatistics"]["TotalCount"] for p in series) >= 1
    with pytest.raises(ClientError):
        xray.get_time_series_service_statistics(**window(), Period=61)


def test_trace_retrieval_returns_the_traces_asked_for(xray):
    trace_id, documents = api_trace()
    xray.put_trace_segments(TraceSegmentDocuments=documents)
    token = xray.start_trace_retrieval(TraceIds=[trace_id], **window())["RetrievalToken"]
    listed = xray.list_retrieved_traces(RetrievalToken=token)
    assert listed["RetrievalStatus"] == "COMPLETE"
    assert [t["Id"] for t in listed["Traces"]] == [trace_id]
    graph = xray.get_retrieved_traces_graph(RetrievalToken=token)["Services"]
    assert {s["Service"].get("Name") for s in graph} >= {"shop-api", "cart-worker"}
    with pytest.raises(ClientError) as error:
        xray.list_retrieved_traces(RetrievalToken="no-such-token")
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_no_insights_exist(xray):
    assert xray.get_insight_summaries(**window())["InsightSummaries"] == []
    with pytest.raises(ClientError) as error:
        xray.get_insight(InsightId="0123456789abcdef")
    assert error.value.response["Error"]["Code"] == "InvalidRequestException"


def test_the_time_range_type_picks_which_time_counts(xray):
    now = time.time()
    began = now - 1800  # a trace that began half an hour ago and whose segment ended now
    trace_id = new_trace_id(began)
    doc = {"id": new_id(), "trace_id": trace_id, "name": "long-job", "start_time": began, "end_time": now}
    xray.put_trace_segments(TraceSegmentDocuments=[json.dumps(doc)])

    def found(kind: str) -> list[dict]:
        summaries = xray.get_trace_summaries(**window(), TimeRangeType=kind)["TraceSummaries"]
        return [s for s in summaries if s["Id"] == trace_id]

    assert found("TraceId") == []
    by_service = found("Service")
    assert len(by_service) == 1 and by_service[0]["MatchedEventTime"].timestamp() == pytest.approx(
        now, abs=0.01
    )
    assert len(found("Event")) == 1
    old_window = {"StartTime": began - 60, "EndTime": began + 60}
    assert [s["Id"] for s in xray.get_trace_summaries(**old_window)["TraceSummaries"]].count(trace_id) == 1


def test_a_sampled_summary_looks_at_a_stable_share_of_the_traces(xray):
    ids = []
    for _ in range(40):
        trace_id, documents = api_trace(annotation="sampled-run")
        xray.put_trace_segments(TraceSegmentDocuments=documents)
        ids.append(trace_id)
    query = {**window(), "FilterExpression": 'annotation.flow = "sampled-run"'}
    everything = {s["Id"] for s in xray.get_trace_summaries(**query)["TraceSummaries"]}
    assert everything == set(ids)
    strategy = {"Name": "FixedRate", "Value": 0.5}
    first = {
        s["Id"]
        for s in xray.get_trace_summaries(**query, Sampling=True, SamplingStrategy=strategy)["TraceSummaries"]
    }
    again = {
        s["Id"]
        for s in xray.get_trace_summaries(**query, Sampling=True, SamplingStrategy=strategy)["TraceSummaries"]
    }
    assert first == again and 0 < len(first) < len(ids)
    with pytest.raises(ClientError):
        xray.get_trace_summaries(**query, Sampling=True, SamplingStrategy={"Name": "FixedRate", "Value": 5})


def test_the_root_cause_of_a_fault_is_where_it_began(xray):
    trace_id, documents = api_trace(status=500, fault=True)
    api, worker = (json.loads(d) for d in documents)
    worker["fault"] = True
    call = worker["subsegments"][0]
    call["fault"] = True
    call["cause"] = {"exceptions": [{"id": new_id(), "type": "InternalServerError", "message": "table busy"}]}
    xray.put_trace_segments(TraceSegmentDocuments=[json.dumps(api), json.dumps(worker)])
    summary = next(s for s in xray.get_trace_summaries(**window())["TraceSummaries"] if s["Id"] == trace_id)
    [cause] = summary["FaultRootCauses"]
    assert cause["ClientImpacting"] is True
    [service] = cause["Services"]
    assert (service["Name"], service["Type"], service["Inferred"]) == (
        "DynamoDB",
        "AWS::DynamoDB::Table",
        True,
    )
    assert [e["Name"] for e in service["EntityPath"]] == ["cart-worker", "DynamoDB"]
    assert service["EntityPath"][-1]["Exceptions"] == [
        {"Name": "InternalServerError", "Message": "table busy"}
    ]
    assert summary["ErrorRootCauses"] == []
