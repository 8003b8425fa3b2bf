"""Segment documents as X-Ray checks them, and what a trace's segments add up to: its
duration, response time, fault/error/throttle flags, HTTP summary, annotations, users and
services (the fields of a TraceSummary)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from overcast.common import jsontext

TRACE_ID = re.compile(r"^1-[0-9a-f]{8}-[0-9a-f]{24}$")
SEGMENT_ID = re.compile(r"^[0-9a-f]{16}$")
#: Annotation keys: letters, digits and underscores (X-Ray drops anything else).
ANNOTATION_KEY = re.compile(r"^[A-Za-z0-9_]{1,500}$")
MAX_DOCUMENT = 64 * 1024
#: The node X-Ray infers for an AWS service a subsegment calls (the SDKs name it differently:
#: "dynamodb" from Python's, "DynamoDB" from Java's): its name and type, by lowercased name.
INFERRED_NODES = {
    "dynamodb": ("DynamoDB", "AWS::DynamoDB::Table"),
    "s3": ("S3", "AWS::S3::Bucket"),
    "sqs": ("SQS", "AWS::SQS::Queue"),
    "sns": ("SNS", "AWS::SNS"),
    "lambda": ("Lambda", "AWS::Lambda"),
    "kinesis": ("Kinesis", "AWS::Kinesis::Stream"),
}


class SegmentProblem(Exception):
    """A segment X-Ray leaves unprocessed: its id (when readable), code and message."""

    def __init__(self, segment_id: str | None, message: str) -> None:
        super().__init__(message)
        self.segment_id = segment_id
        self.message = message


#: How deep subsegments may nest: deeper is no real program's trace, and not walked.
MAX_DEPTH = 64


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_parts(doc: Mapping[str, Any], segment_id: str | None, depth: int) -> None:
    """The members every segment and subsegment may have, of the types X-Ray expects."""
    for key in ("http", "aws", "annotations", "metadata", "cause"):
        if key in doc and not isinstance(doc[key], dict):
            raise SegmentProblem(segment_id, f"Invalid {key}")
    http = doc.get("http") or {}
    for key in ("request", "response"):
        if key in http and not isinstance(http[key], dict):
            raise SegmentProblem(segment_id, f"Invalid http.{key}")
    for key in ("fault", "error", "throttle"):
        if key in doc and not isinstance(doc[key], bool):
            raise SegmentProblem(segment_id, f"Invalid {key}")
    children = doc.get("subsegments")
    if children is not None:
        if not isinstance(children, list):
            raise SegmentProblem(segment_id, "Invalid subsegments")
        if depth >= MAX_DEPTH:
            raise SegmentProblem(segment_id, "Subsegments nested too deeply")
        for child in children:
            _check_subsegment(child, segment_id, depth + 1)


def _check_subsegment(doc: Mapping[str, Any], segment_id: str | None, depth: int) -> None:
    if not isinstance(doc, Mapping):
        raise SegmentProblem(segment_id, "Invalid subsegment")
    if not isinstance(doc.get("id"), str) or not SEGMENT_ID.match(doc["id"]):
        raise SegmentProblem(segment_id, "Invalid subsegment id")
    if not isinstance(doc.get("name"), str) or not doc["name"]:
        raise SegmentProblem(segment_id, "Invalid subsegment name")
    _check_times(doc, segment_id)
    _check_parts(doc, segment_id, depth)


def _check_times(doc: Mapping[str, Any], segment_id: str | None) -> None:
    if not _number(doc.get("start_time")):
        raise SegmentProblem(segment_id, "Invalid start_time")
    in_progress = doc.get("in_progress") is True
    if "end_time" in doc:
        if not _number(doc["end_time"]):
            raise SegmentProblem(segment_id, "Invalid end_time")
        if in_progress:
            raise SegmentProblem(segment_id, "Segment has both end_time and in_progress")
    elif not in_progress:
        raise SegmentProblem(segment_id, "Segment has neither end_time nor in_progress")


def parse_document(text: str) -> dict[str, Any]:
    """The segment document `text`, checked as X-Ray checks it, or SegmentProblem."""
    if len(text.encode()) > MAX_DOCUMENT:
        raise SegmentProblem(None, "Segment document exceeds 64 KB")
    try:
        doc = jsontext.loads(text)
    except (ValueError, RecursionError):
        raise SegmentProblem(None, "Invalid segment. ErrorCode: InvalidSegment") from None
    if not isinstance(doc, dict):
        raise SegmentProblem(None, "Invalid segment. ErrorCode: InvalidSegment")
    segment_id = doc.get("id") if isinstance(doc.get("id"), str) else None
    if segment_id is None or not SEGMENT_ID.match(segment_id):
        raise SegmentProblem(segment_id, "Invalid segment id")
    if not isinstance(doc.get("trace_id"), str) or not TRACE_ID.match(doc["trace_id"]):
        raise SegmentProblem(segment_id, "Invalid trace id")
    if doc.get("type") == "subsegment":
        # An independently sent subsegment names its parent segment.
        if not isinstance(doc.get("parent_id"), str) or not SEGMENT_ID.match(doc["parent_id"]):
            raise SegmentProblem(segment_id, "Invalid parent id")
    elif not isinstance(doc.get("name"), str) or not 1 <= len(doc["name"]) <= 200:
        raise SegmentProblem(segment_id, "Invalid segment name")
    _check_times(doc, segment_id)
    _check_parts(doc, segment_id, 0)
    return doc


def trace_id_seconds(trace_id: str) -> int:
    """The epoch second a trace id names in its second field."""
    return int(trace_id.split("-")[1], 16)


def walk(doc: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The document and every subsegment within it, depth first."""
    yield doc
    for child in doc.get("subsegments") or ():
        if isinstance(child, Mapping):
            yield from walk(child)


def service_type(doc: Mapping[str, Any]) -> str | None:
    """The node type X-Ray gives a segment: its origin, or None for a plain service."""
    origin = doc.get("origin")
    return origin if isinstance(origin, str) else None


def remote_type(sub: Mapping[str, Any]) -> tuple[str, str] | None:
    """(name, type) of the downstream node a subsegment calls, if it is one: an AWS call
    (namespace aws) is the service's node, a remote HTTP call is a remote node."""
    namespace = sub.get("namespace")
    if namespace == "aws":
        name = str(sub.get("name"))
        return INFERRED_NODES.get(name.lower(), (name, f"AWS::{name}"))
    if namespace == "remote":
        return str(sub.get("name")), "remote"
    return None


def _end(doc: Mapping[str, Any]) -> float:
    end = doc.get("end_time")
    return float(end) if isinstance(end, int | float) else float(doc["start_time"])


def _status(doc: Mapping[str, Any]) -> int | None:
    response = (doc.get("http") or {}).get("response") or {}
    status = response.get("status") if isinstance(response, Mapping) else None
    return status if isinstance(status, int) and not isinstance(status, bool) else None


def service_id(doc: Mapping[str, Any], account: str) -> dict[str, Any]:
    out: dict[str, Any] = {"Name": doc["name"], "Names": [doc["name"]], "AccountId": account}
    kind = service_type(doc)
    if kind:
        out["Type"] = kind
    return out


def root_segment(segments: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The segment no other segment of the trace is the parent of: the trace's entry."""
    ids = {seg["id"] for seg in segments}
    roots = [seg for seg in segments if seg.get("parent_id") not in ids and seg.get("type") != "subsegment"]
    return min(roots, key=lambda seg: seg["start_time"]) if roots else None


def summarize(trace_id: str, segments: Sequence[Mapping[str, Any]], account: str) -> dict[str, Any]:
    """The TraceSummary of a trace's segments (without Revision or MatchedEventTime)."""
    start = min(float(seg["start_time"]) for seg in segments)
    end = max(_end(seg) for seg in segments)
    root = root_segment(segments) or segments[0]
    fault = error = throttle = False
    annotations: dict[str, list[dict[str, Any]]] = {}
    users: dict[str, list[dict[str, Any]]] = {}
    services: dict[str, dict[str, Any]] = {}
    resources: list[dict[str, str]] = []
    for seg in segments:
        named = "name" in seg and seg.get("type") != "subsegment"
        ident = service_id(seg, account) if named else None
        if ident and ident["Name"] not in services:
            services[ident["Name"]] = ident
        arn = seg.get("resource_arn")
        if isinstance(arn, str) and {"ARN": arn} not in resources:
            resources.append({"ARN": arn})
        if isinstance(seg.get("user"), str):
            users.setdefault(seg["user"], []).append(ident or {})
        for part in walk(seg):
            fault = fault or part.get("fault") is True
            error = error or part.get("error") is True
            throttle = throttle or part.get("throttle") is True
            remote = remote_type(part)
            if remote and remote[0] not in services:
                services[remote[0]] = {"Name": remote[0], "Names": [remote[0]], "Type": remote[1]}
            for key, value in (part.get("annotations") or {}).items():
                annotations.setdefault(key, []).append(
                    {"AnnotationValue": annotation_value(value), "ServiceIds": [ident] if ident else []}
                )
    summary: dict[str, Any] = {
        "Id": trace_id,
        "StartTime": start,
        "Duration": round(end - start, 3),
        "ResponseTime": round(_end(root) - float(root["start_time"]), 3),
        "HasFault": fault,
        "HasError": error,
        "HasThrottle": throttle,
        "IsPartial": any(seg.get("in_progress") is True for seg in segments),
        "Annotations": annotations,
        "Users": [{"UserName": name, "ServiceIds": [i for i in ids if i]} for name, ids in users.items()],
        "ServiceIds": list(services.values()),
        "ResourceARNs": resources,
        "InstanceIds": [],
        "AvailabilityZones": [],
        "FaultRootCauses": root_causes(segments, "fault", account, root),
        "ErrorRootCauses": root_causes(segments, "error", account, root),
        "ResponseTimeRootCauses": [],
    }
    if "name" in root:
        summary["EntryPoint"] = service_id(root, account)
    http = http_summary(root)
    if http:
        summary["Http"] = http
    return summary


def http_summary(doc: Mapping[str, Any]) -> dict[str, Any]:
    http = doc.get("http") or {}
    request = http.get("request") or {}
    out: dict[str, Any] = {}
    for field, key in (("url", "HttpURL"), ("method", "HttpMethod"), ("user_agent", "UserAgent")):
        if isinstance(request.get(field), str):
            out[key] = request[field]
    if isinstance(request.get("client_ip"), str):
        out["ClientIp"] = request["client_ip"]
    status = _status(doc)
    if status is not None:
        out["HttpStatus"] = status
    return out


def annotation_value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BooleanValue": value}
    if _number(value):
        return {"NumberValue": float(value)}
    return {"StringValue": str(value)}


def _exceptions(part: Mapping[str, Any]) -> list[dict[str, str]]:
    cause = part.get("cause")
    found = cause.get("exceptions") if isinstance(cause, Mapping) else None
    out = []
    for exception in found or ():
        if isinstance(exception, Mapping):
            entry = {"Name": str(exception.get("type") or "")}
            if exception.get("message") is not None:
                entry["Message"] = str(exception["message"])
            out.append(entry)
    return out


def _deepest(part: Mapping[str, Any], flag: str) -> list[Mapping[str, Any]]:
    """The path from `part` down to the last entity along it that has `flag` set."""
    for child in part.get("subsegments") or ():
        if isinstance(child, Mapping) and child.get(flag) is True:
            return [part, *_deepest(child, flag)]
    return [part]


def root_causes(
    segments: Sequence[Mapping[str, Any]], flag: str, account: str, root: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Where a trace's faults (or errors) began: each segment with `flag` set whose own
    downstream segments do not have it, down the path of its subsegments that have it to the
    last one, with that one's exceptions; a remote call at the end is an inferred service."""
    owners: dict[str, Mapping[str, Any]] = {}
    for doc in segments:
        for part in walk(doc):
            owners[str(part.get("id"))] = doc
    downstream_flagged = {
        id(owners[str(doc.get("parent_id"))])
        for doc in segments
        if doc.get(flag) is True and str(doc.get("parent_id")) in owners
    }
    causes = []
    for doc in segments:
        if doc.get(flag) is not True or id(doc) in downstream_flagged or doc.get("type") == "subsegment":
            continue
        path = _deepest(doc, flag)
        last = path[-1]
        remote = remote_type(last) if last is not doc else None
        entities: list[dict[str, Any]] = [{"Name": str(p.get("name", ""))} for p in path]
        entities[-1]["Exceptions"] = _exceptions(last)
        entities[-1]["Remote"] = remote is not None
        if remote is not None:
            service = {"Name": remote[0], "Names": [remote[0]], "Type": remote[1], "Inferred": True}
        else:
            service = {**service_id(doc, account), "Inferred": False}
        service["EntityPath"] = entities
        causes.append({"Services": [service], "ClientImpacting": root.get(flag) is True})
    return causes
