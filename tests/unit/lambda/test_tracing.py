"""Which invocations Lambda traces, the trace header its handler sees, and the segments."""

from __future__ import annotations

import importlib

# "lambda" is a keyword, so the module is imported by name.
tracing = importlib.import_module("overcast.services.lambda.tracing")

UPSTREAM = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8"


def test_which_invocations_are_traced():
    assert tracing.begin("PassThrough", None) is None
    assert tracing.begin("PassThrough", UPSTREAM + ";Sampled=0") is None
    assert tracing.begin("Active", UPSTREAM + ";Sampled=0") is None  # the caller decided
    passive = tracing.begin("PassThrough", UPSTREAM + ";Sampled=1")
    assert passive is not None and passive.root == "1-5759e988-bd862e3fe1be46a994272793"
    assert passive.upstream_parent == "53995c3f42cd8ad8"
    active = tracing.begin("Active", None)
    assert active is not None and active.upstream_parent is None
    assert active.header == f"Root={active.root};Parent={active.function_segment};Sampled=1"


def test_an_untraced_invocation_keeps_the_callers_trace():
    assert tracing.untraced_header(UPSTREAM + ";Sampled=0") == UPSTREAM + ";Sampled=0"
    assert tracing.untraced_header(None).endswith(";Sampled=0")


def test_the_segments_of_an_invocation():
    trace = tracing.begin("PassThrough", UPSTREAM + ";Sampled=1")
    service, function = tracing.segments(
        trace,
        function_name="fn",
        function_arn="arn:aws:lambda:us-east-1:000000000000:function:fn",
        request_id="r",
        account="000000000000",
        init_ms=120.0,
        duration_ms=5.0,
        error={"errorType": "ValueError", "errorMessage": "boom"},
    )
    assert (service["origin"], service["parent_id"]) == ("AWS::Lambda", "53995c3f42cd8ad8")
    assert (function["origin"], function["parent_id"]) == ("AWS::Lambda::Function", service["id"])
    assert [s["name"] for s in function["subsegments"]] == ["Initialization", "Invocation", "Overhead"]
    assert function["fault"] is True
    assert function["cause"]["exceptions"][0]["type"] == "ValueError"
