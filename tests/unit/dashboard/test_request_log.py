"""The request log's ring and its filters, and the terminal's lines."""

from __future__ import annotations

from overcast import terminal
from overcast.config import Config
from overcast.errors import ServiceError
from overcast.requestlog import INPUT_LIMIT, RequestLog


def add(log: RequestLog, service="sqs", status=200, account="000000000000", error=None, params=None):
    return log.add(service, "Op", status, 1.25, account, "us-east-1", error, params, "rid")


def test_the_ring_keeps_the_newest_and_numbers_every_entry():
    log = RequestLog(3)
    for _ in range(5):
        add(log)
    assert [entry["seq"] for entry in log.query()] == [3, 4, 5]
    assert log.last_seq == 5
    assert log.query(since=4)[0]["seq"] == 5 and log.query(since=5) == []


def test_filters_and_limit():
    log = RequestLog()
    add(log, "s3", 200, "111111111111")
    add(log, "s3", 404, "111111111111", ServiceError("NoSuchKey", "gone", 404), {"Key": "k"})
    add(log, "sqs", 500, "222222222222", RuntimeError("boom"), None)
    add(log, "sqs", 302)
    assert [e["status"] for e in log.query(service="s3")] == [200, 404]
    assert [e["status"] for e in log.query(errors=True)] == [404, 500]
    assert [e["status"] for e in log.query(account="222222222222")] == [500]
    assert [e["status"] for e in log.query(status="3xx")] == [302]
    assert [e["status"] for e in log.query(limit=2)] == [500, 302]  # the newest two, oldest first
    failed = log.query(service="s3", errors=True)[0]
    assert (failed["error_code"], failed["error_message"], failed["input"]) == (
        "NoSuchKey",
        "gone",
        {"Key": "k"},
    )
    crashed = log.query(status="5")[0]
    assert crashed["error_code"] == "RuntimeError" and crashed["error_message"] == "boom"
    assert log.query(status="2xx")[0]["input"] is None and log.query(status="2xx")[0]["error_code"] == ""


def test_inputs_are_made_printable_and_cut():
    log = RequestLog()
    params = {
        "Body": b"\xff\x00binary",
        "Text": b"plain",
        "Stream": open(__file__, "rb"),
        "Big": "x" * 10_000,
    }
    add(
        log,
        status=400,
        error=ServiceError("Bad", "bad"),
        params={k: v for k, v in params.items() if k != "Big"},
    )
    shown = log.query()[0]["input"]
    params["Stream"].close()
    assert (
        shown["Body"] == {"base64": "/wBiaW5hcnk="}
        and shown["Text"] == "plain"
        and shown["Stream"] == "<stream>"
    )
    add(log, status=400, error=ServiceError("Bad", "bad"), params={"Big": "x" * 10_000})
    assert len(log.query()[-1]["input"]["truncated"]) == INPUT_LIMIT


def test_request_lines():
    error = ServiceError("NoSuchBucket", "The specified bucket does not exist", 404)
    line = terminal.request_line("s3.GetObject", 404, 1.234, "111122223333", error, colour=False)
    assert line == "s3.GetObject 404 1.2ms 111122223333 NoSuchBucket: The specified bucket does not exist\n"
    assert terminal.request_line("sts.GetCallerIdentity", 200, 0.4, "000000000000", None, False) == (
        "sts.GetCallerIdentity 200 0.4ms\n"
    )
    coloured = terminal.request_line("a.B", 503, 1, "", None, colour=True)
    assert coloured.startswith("\x1b[31m") and coloured.endswith("\x1b[0m\n")


def test_the_banner_names_the_dashboard_and_the_path_forms():
    config = Config(host="127.0.0.1", port=4566)
    text = terminal.banner(config, ["s3", "sqs"], colour=False)
    assert "Dashboard      http://localhost:4566/_overcast/" in text
    assert "http://{bucket}.s3-website.localhost.localstack.cloud:4566/{key}" in text
    assert "http://localhost:4566/_aws/s3-website/{bucket}/{key}" in text
    assert "execute-api" not in text  # only the enabled services' data planes
    assert text.rstrip().endswith("Services       s3 sqs")
    text = terminal.banner(config, ["apigateway", "apigatewayv2"], colour=False)
    assert "http://{api-id}.execute-api.localhost.localstack.cloud:4566/{stage}/{path}" in text
    assert "http://localhost:4566/restapis/{api-id}/{stage}/_user_request_/{path}" in text
    assert "ws://localhost:4566/_aws/execute-api/{api-id}/{stage}" in text


def test_a_started_server_loads_neither_the_dashboard_nor_the_test_tools():
    import json
    import subprocess
    import sys

    code = (
        "import json, sys; import overcast.cli, overcast.server; from overcast.runtime import Runtime; "
        "print(json.dumps(sorted(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    modules = set(json.loads(result.stdout))
    assert (
        not {"overcast.dashboard", "overcast.testing", "overcast.pytest_plugin", "overcast.cli_observe"}
        & modules
    )
