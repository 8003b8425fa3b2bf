"""What other services rely on: X-Ray's public provider methods. Lambda records the segments
of a traced invocation (record_segments) and claims its trace, so the segments the handler's
SDK sends over UDP without credentials (accept_daemon_segment) join the function's account."""

from __future__ import annotations

import json
import os
import time

import pytest

from overcast.context import RequestContext

ACCOUNT, REGION = "111122223333", "eu-west-1"


@pytest.fixture
def xray(runtime):
    return runtime.provider("xray")


def trace_id() -> str:
    return f"1-{int(time.time()):08x}-{os.urandom(12).hex()}"


def segment(trace: str, **fields) -> dict:
    now = time.time()
    return {
        "id": os.urandom(8).hex(),
        "trace_id": trace,
        "name": "fn",
        "start_time": now,
        "end_time": now + 0.1,
        **fields,
    }


def stored(xray, account: str, region: str, trace: str) -> list[dict]:
    context = RequestContext.internal("xray", account, region)
    traces = xray.batch_get_traces(context, {"TraceIds": [trace]})["Traces"]
    return [json.loads(s["Document"]) for t in traces for s in t["Segments"]]


def test_record_segments_stores_them_and_reports_bad_ones(xray):
    trace = trace_id()
    good = segment(trace, origin="AWS::Lambda")
    bad = segment("1-nope")
    unprocessed = xray.record_segments(ACCOUNT, REGION, [good, bad])
    assert [u["Id"] for u in unprocessed] == [bad["id"]]
    assert [d["id"] for d in stored(xray, ACCOUNT, REGION, trace)] == [good["id"]]


def test_a_claimed_traces_udp_segments_join_its_account(xray):
    trace = trace_id()
    xray.claim_trace(ACCOUNT, REGION, trace)
    sub = {**segment(trace), "type": "subsegment", "parent_id": os.urandom(8).hex(), "namespace": "aws"}
    xray.accept_daemon_segment(json.dumps(sub))
    assert [d["id"] for d in stored(xray, ACCOUNT, REGION, trace)] == [sub["id"]]


def test_unclaimed_udp_segments_go_to_the_default_account_or_their_traces(xray):
    loose = trace_id()
    xray.accept_daemon_segment(json.dumps(segment(loose)))
    assert len(stored(xray, "000000000000", "us-east-1", loose)) == 1
    known = trace_id()
    xray.record_segments(ACCOUNT, REGION, [segment(known)])
    xray.accept_daemon_segment(json.dumps(segment(known)))
    assert len(stored(xray, ACCOUNT, REGION, known)) == 2
