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


def test_the_sampling_api_is_proxied_on_the_daemon_address(daemon_server):
    """The SDKs poll sampling rules and targets from the daemon, unsigned, over TCP."""
    from botocore import UNSIGNED
    from botocore.client import Config

    _server, port = daemon_server
    proxy = boto3.client(
        "xray",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )
    rules = proxy.get_sampling_rules()["SamplingRuleRecords"]
    assert [r["SamplingRule"]["RuleName"] for r in rules] == ["Default"]
    report = {
        "RuleName": "Default",
        "ClientID": "e" * 24,
        "Timestamp": time.time(),
        "RequestCount": 4,
        "SampledCount": 1,
    }
    targets = proxy.get_sampling_targets(SamplingStatisticsDocuments=[report])
    assert targets["SamplingTargetDocuments"][0]["FixedRate"] == 0.05
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        body = b'{"SamplingStatisticsDocuments": [{"RuleName": "Default", "RequestCount": "many"}]}'
        connection.sendall(b"POST /SamplingTargets HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        assert connection.recv(100).startswith(b"HTTP/1.1 400")


def test_the_sdk_with_centralized_sampling_records(daemon_server):
    server, port = daemon_server
    recorder = AWSXRayRecorder()
    recorder.configure(daemon_address=f"127.0.0.1:{port}", sampling=True, context_missing="LOG_ERROR")
    segment = recorder.begin_segment("sampled-app")
    sampled = segment.sampled
    recorder.end_segment()
    assert sampled  # the Default rule's reservoir takes the first request of a second
    assert traces_of(server.endpoint, segment.trace_id)
