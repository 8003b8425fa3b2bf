"""X-Ray tracing of invocations, as Lambda does it: with TracingConfig Active, or when the
caller's X-Amzn-Trace-Id says its request is sampled (passive tracing), an invocation
records two segments, the Lambda service's (origin AWS::Lambda) and the function's (origin
AWS::Lambda::Function, with Initialization on a cold start, Invocation and Overhead
subsegments), and the handler sees `_X_AMZN_TRACE_ID` = Root=...;Parent=<function segment>;
Sampled=1, so an X-Ray SDK in it adds its subsegments to the function's segment.

Sampling: Active tracing samples every invocation here (AWS samples the first request each
second and 5% of the rest); an upstream decision (Sampled=0 or 1) is always followed."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

HEADER_FIELDS = ("Root", "Parent", "Sampled")


def parse_header(header: str) -> dict[str, str]:
    """The fields of an X-Amzn-Trace-Id header (`Root=1-...;Parent=...;Sampled=1`)."""
    fields: dict[str, str] = {}
    for part in header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep:
            fields[key] = value
    return fields


def new_trace_id(now: float | None = None) -> str:
    return f"1-{int(now if now is not None else time.time()):08x}-{os.urandom(12).hex()}"


def _segment_id() -> str:
    return os.urandom(8).hex()


@dataclass
class Trace:
    """One traced invocation: its trace id, its caller's segment and its two segment ids."""

    root: str
    upstream_parent: str | None
    service_segment: str
    function_segment: str
    started: float

    @property
    def header(self) -> str:
        """What the handler gets in _X_AMZN_TRACE_ID (and the runtime API's trace header)."""
        return f"Root={self.root};Parent={self.function_segment};Sampled=1"


def begin(mode: str, incoming: str | None) -> Trace | None:
    """The trace an invocation records, or None when it is not traced."""
    fields = parse_header(incoming) if incoming else {}
    decision = fields.get("Sampled")
    if decision == "0" or (mode != "Active" and decision != "1"):
        return None
    root = fields.get("Root") or new_trace_id()
    return Trace(root, fields.get("Parent"), _segment_id(), _segment_id(), time.time())


def untraced_header(incoming: str | None) -> str:
    """The trace header of an untraced invocation: the caller's trace, else a new one,
    not sampled."""
    fields = parse_header(incoming) if incoming else {}
    root = fields.get("Root") or new_trace_id()
    parent = f";Parent={fields['Parent']}" if fields.get("Parent") else ""
    return f"Root={root}{parent};Sampled=0"


def segments(
    trace: Trace,
    *,
    function_name: str,
    function_arn: str,
    request_id: str,
    account: str,
    init_ms: float | None,
    duration_ms: float,
    error: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """The AWS::Lambda and AWS::Lambda::Function segments of a finished invocation."""
    end = time.time()
    start = trace.started
    service: dict[str, Any] = {
        "id": trace.service_segment,
        "trace_id": trace.root,
        "name": function_name,
        "origin": "AWS::Lambda",
        "start_time": start,
        "end_time": end,
        "aws": {"request_id": request_id, "account_id": account},
        "http": {"response": {"status": 200}},
        "resource_arn": function_arn,
    }
    if trace.upstream_parent:
        service["parent_id"] = trace.upstream_parent
    init = (init_ms or 0.0) / 1000
    invocation_start = start + init
    invocation_end = min(invocation_start + duration_ms / 1000, end)
    subsegments = []
    if init_ms is not None:
        subsegments.append(
            {"id": _segment_id(), "name": "Initialization", "start_time": start, "end_time": start + init}
        )
    invocation: dict[str, Any] = {
        "id": _segment_id(),
        "name": "Invocation",
        "start_time": invocation_start,
        "end_time": invocation_end,
    }
    subsegments.append(invocation)
    subsegments.append(
        {"id": _segment_id(), "name": "Overhead", "start_time": invocation_end, "end_time": end}
    )
    function: dict[str, Any] = {
        "id": trace.function_segment,
        "trace_id": trace.root,
        "parent_id": trace.service_segment,
        "name": function_name,
        "origin": "AWS::Lambda::Function",
        "start_time": start,
        "end_time": end,
        "resource_arn": function_arn,
        "aws": {"account_id": account, "function_arn": function_arn, "resource_names": [function_name]},
        "subsegments": subsegments,
    }
    if error is not None:
        # A function error is the function's fault: its segment carries the exception.
        function["fault"] = True
        invocation["fault"] = True
        function["cause"] = {
            "exceptions": [
                {"id": _segment_id(), "type": error.get("errorType"), "message": error.get("errorMessage")}
            ]
        }
    return [service, function]
