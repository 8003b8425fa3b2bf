"""The X-Ray daemon's UDP protocol: the AWS X-Ray SDK's segments arrive, and datagrams that
are not X-Ray's are ignored without harm."""

from __future__ import annotations

import socket
import time

import boto3
from aws_xray_sdk.core.recorder import AWSXRayRecorder


def traces_of(endpoint: str, trace_id: str, timeout: float = 10) -> list[dict]:
    xray = boto3.client(
        "xray",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        traces = xray.batch_get_traces(TraceIds=[trace_id])["Traces"]
        if traces:
            return traces
        time.sleep(0.05)
    return []


def test_the_sdks_segments_arrive_over_udp(daemon_server):
    server, port = daemon_server
    recorder = AWSXRayRecorder()
    recorder.configure(daemon_address=f"127.0.0.1:{port}", sampling=False, context_missing="LOG_ERROR")
    segment = recorder.begin_segment("sdk-app")
    segment.put_annotation("order", "42")
    with recorder.in_subsegment("work") as sub:
        sub.put_metadata("size", 3)
    recorder.end_segment()

    traces = traces_of(server.endpoint, segment.trace_id)
    assert traces, "the SDK's segment did not arrive"
    xray = boto3.client(
        "xray",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    now = time.time()
    found = xray.get_trace_summaries(
        StartTime=now - 60, EndTime=now + 60, FilterExpression='annotation.order = "42"'
    )
    assert [s["Id"] for s in found["TraceSummaries"]] == [segment.trace_id]


def test_datagrams_that_are_not_xrays_are_ignored(daemon_server):
    server, port = daemon_server
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for junk in (
            b"no header",
            b'{"format": "xml"}\n{}',
            b'{"format": "json", "version": 1}\n\xff{',
            b"\n",
        ):
            s.sendto(junk, ("127.0.0.1", port))
    assert server.health()["services"] is not None
