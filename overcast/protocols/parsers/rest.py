"""`rest-json` and `rest-xml`: input spread over the URI, query string, headers and body.

Inverse of botocore's BaseRestSerializer and its two subclasses. Everything but the body is
shared: URI labels (the router already decoded them), query parameters (lists repeat the key, a
map of querystring takes the keys no other member claims), headers (lists comma-separated with
quoted items, `jsonvalue` headers base64 JSON, `headers` prefix maps such as `x-amz-meta-*`,
timestamps rfc822 unless the member says otherwise). The body is either one payload member
(blob/string: the raw bytes; structure: a JSON or XML document of its own) or the members
without a location, as one JSON object or one XML element.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from overcast.common import jsontext
from overcast.protocols.parsers import native, xml
from overcast.protocols.parsers.json import decode_json_object, refuse_lone_surrogates
from overcast.protocols.parsers.plans import ABSENT, build_plan_once
from overcast.protocols.parsers.scalars import (
    Convert,
    Malformed,
    decode_base64,
    text_converter,
)

#: Query keys a presigned URL or botocore itself adds; never input members.
_SIGNING_QUERY_KEYS = frozenset(
    {
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Signature",
        "X-Amz-Security-Token",
        "x-id",
    }
)


@dataclass
class RestPlan:
    uri: list[tuple[str, str, Convert]] = field(default_factory=list)
    query: list[tuple[str, str, Convert, bool]] = field(default_factory=list)
    #: (member, value converter, values are lists) for a map-of-querystring member.
    query_map: tuple[str, Convert, bool] | None = None
    claimed_query: frozenset[str] = frozenset()
    #: header name (lower-case) -> (member, converter). Looked up per header the request
    #: carries: a request has a handful, S3's PutObject models sixty.
    headers: dict[str, tuple[str, Convert]] = field(default_factory=dict)
    header_maps: list[tuple[str, str, Convert]] = field(default_factory=list)
    #: (member, kind, converter): kind "blob" / "string" take the raw body, "document" a decoded one.
    payload: tuple[str, str, Convert | None] | None = None
    body: Convert | None = None
    streaming: bool = False


def _uri_query_literals(request_uri: str) -> set[str]:
    _, _, query = request_uri.partition("?")
    return {part.partition("=")[0] for part in query.split("&") if part}


def _header_converter(shape: Any) -> Convert:
    if shape.type_name == "list":
        item = text_converter(shape.member, "rfc822")
        http_dates = shape.member.type_name == "timestamp" and (
            shape.member.serialization.get("timestampFormat", "rfc822").lower() == "rfc822"
        )

        def convert_list(text: str) -> list:
            parts = split_header_list(text)
            if http_dates:
                # An HTTP date has a comma of its own ("Mon, 01 Jan 2024 ..."): rejoin pairs.
                parts = [f"{parts[i]}, {parts[i + 1]}" for i in range(0, len(parts) - 1, 2)]
            return [item(part) for part in parts]

        return convert_list
    if shape.type_name == "string" and shape.serialization.get("jsonvalue"):
        return _json_value
    return text_converter(shape, "rfc822")


def _json_value(text: str) -> Any:
    try:
        return jsontext.loads(decode_base64(text.strip()))
    except ValueError:
        raise Malformed("Invalid JSON value in header", in_body=False) from None


_QUOTED = re.compile(r'\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')


def split_header_list(text: str) -> list[str]:
    """Items of a comma-separated header; items holding a comma or quote arrive quoted, with
    inner quotes backslash-escaped (how botocore and the Smithy spec write them)."""
    if '"' not in text:
        return [part.strip() for part in text.split(",")]
    items: list[str] = []
    position, end = 0, len(text)
    while position <= end:
        match = _QUOTED.match(text, position)
        if match is not None:
            items.append(re.sub(r"\\(.)", r"\1", match.group(1)))
            position = match.end()
            if position >= end:
                break
            continue
        comma = text.find(",", position)
        if comma < 0:
            items.append(text[position:].strip())
            break
        items.append(text[position:comma].strip())
        position = comma + 1
    return items


def build_plan(operation: Any, protocol: str) -> RestPlan:
    plan = RestPlan()
    shape = operation.input_shape
    if shape is None:
        return plan
    model = operation.service_model
    claimed = set(_uri_query_literals(operation.http.get("requestUri", "")))
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            plan.uri.append((name, wire, text_converter(member, "iso8601")))
        elif location == "querystring":
            if member.type_name == "map":
                values_are_lists = member.value.type_name == "list"
                item_shape = member.value.member if values_are_lists else member.value
                plan.query_map = (name, text_converter(item_shape, "iso8601"), values_are_lists)
            elif member.type_name == "list":
                plan.query.append((name, wire, text_converter(member.member, "iso8601"), True))
                claimed.add(wire)
            else:
                convert = text_converter(member, "iso8601")
                if protocol == "rest-xml" and member.type_name not in ("string", "blob"):
                    convert = _empty_is_absent(convert)
                plan.query.append((name, wire, convert, False))
                claimed.add(wire)
        elif location == "header":
            plan.headers[wire.lower()] = (name, _header_converter(member))
        elif location == "headers":
            plan.header_maps.append((name, wire.lower(), text_converter(member.value, "rfc822")))
    plan.claimed_query = frozenset(claimed | _SIGNING_QUERY_KEYS)

    payload_name = shape.serialization.get("payload")
    if payload_name is not None:
        member = shape.members[payload_name]
        if member.type_name in ("blob", "string"):
            plan.payload = (payload_name, member.type_name, None)
            plan.streaming = bool(member.serialization.get("streaming") or member.metadata.get("streaming"))
        elif member.serialization.get("eventstream") or member.metadata.get("eventstream"):
            plan.payload = (payload_name, "blob", None)  # event streams: raw frames for now
        elif protocol == "rest-xml":
            plan.payload = (payload_name, "xml", xml.compiler_for(model).compile(member))
        else:
            plan.payload = (payload_name, "json", native.compiler_for(model, "json").compile(member))
    else:
        body_members = [m for m in shape.members.values() if "location" not in m.serialization]
        if body_members:
            is_body = _is_body_member
            if protocol == "rest-xml":
                plan.body = xml.compiler_for(model).structure(shape, member_filter=is_body)
            else:
                plan.body = native.compiler_for(model, "json").structure(shape, member_filter=is_body)
    return plan


def _is_body_member(member: Any) -> bool:
    return "location" not in member.serialization


_plans: dict[Any, RestPlan] = {}


def _plan(operation: Any, protocol: str) -> RestPlan:
    plan = _plans.get(operation, ABSENT)
    return plan if plan is not ABSENT else build_plan_once(_plans, operation, build_plan, operation, protocol)


def parse(operation: Any, request: Any, uri_params: dict[str, str], protocol: str) -> dict:
    plan = _plan(operation, protocol)
    out: dict[str, Any] = {}
    try:
        for name, label, convert in plan.uri:
            value = uri_params.get(label)
            if value is not None:
                out[name] = convert(value)
        if plan.query or plan.query_map is not None:
            _parse_query(plan, request.query, out)
        headers = request.headers
        body = request.body
        chunked = plan.streaming and _is_aws_chunked(headers)
        if chunked:
            if type(body) is bytes:
                body, trailers = decode_aws_chunked(body)
                headers = {**headers, **trailers}
            else:  # still arriving: its consumer decodes it, and reads the trailers at the end
                body.aws_chunked = True
        if plan.headers or plan.header_maps:
            _parse_headers(plan, headers, out)
    except Malformed as error:
        error.in_body = False
        raise
    if chunked and "ContentEncoding" in out:
        _strip_aws_chunked_encoding(out)
    if plan.payload is not None:
        _parse_payload(plan.payload, body, out)
    elif plan.body is not None and body:
        out.update(_decode_body(plan.body, body, protocol))
    return out


def _parse_headers(plan: RestPlan, headers: dict[str, str], out: dict[str, Any]) -> None:
    members = plan.headers
    prefixes = plan.header_maps
    for header, value in headers.items():
        entry = members.get(header)
        if entry is not None:
            out[entry[0]] = entry[1](value)
            continue
        for name, prefix, convert in prefixes:
            if header.startswith(prefix):
                out.setdefault(name, {})[header[len(prefix) :]] = convert(value)


def _empty_is_absent(convert: Convert) -> Convert:
    # S3 reads `max-keys=` or `part-number-marker=` (an empty number) as not given at all.
    return lambda text: None if text == "" else convert(text)


def _parse_query(plan: RestPlan, query: dict[str, list[str]], out: dict[str, Any]) -> None:
    for name, wire, convert, is_list in plan.query:
        values = query.get(wire)
        if values is not None:
            if is_list:
                out[name] = [convert(v) for v in values]
            elif (value := convert(values[0])) is not None:
                out[name] = value
    if plan.query_map is not None:
        name, convert, values_are_lists = plan.query_map
        claimed = plan.claimed_query
        collected = {
            key: ([convert(v) for v in values] if values_are_lists else convert(values[0]))
            for key, values in query.items()
            if key not in claimed
        }
        if collected:
            out[name] = collected


def _parse_payload(payload: tuple[str, str, Convert | None], body: bytes, out: dict[str, Any]) -> None:
    name, kind, convert = payload
    if not body:
        return  # nothing sent: the member is absent (botocore sends no body for None)
    if kind == "blob":
        out[name] = body  # bytes, or a BodyStream for a streaming payload still arriving
    elif kind == "string":
        try:
            out[name] = body.decode("utf-8")
        except UnicodeDecodeError:
            raise Malformed("The request body is not valid UTF-8") from None
    elif kind == "xml":
        out[name] = convert(xml.parse_xml(body))  # type: ignore[misc]
    else:
        try:
            document = jsontext.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise Malformed(f"Could not parse request body into json: {error}") from None
        refuse_lone_surrogates(body, document)
        out[name] = convert(document)  # type: ignore[misc]


def _decode_body(convert: Convert, body: bytes, protocol: str) -> dict:
    if protocol == "rest-xml":
        if body.isspace():
            return {}
        return convert(xml.parse_xml(body))
    return convert(decode_json_object(body))


# ---------------------------------------------------------------------------- aws-chunked


def _is_aws_chunked(headers: dict[str, str]) -> bool:
    return "aws-chunked" in headers.get("content-encoding", "") or headers.get(
        "x-amz-content-sha256", ""
    ).startswith("STREAMING-")


def decode_aws_chunked(body: bytes) -> tuple[bytes, dict[str, str]]:
    """The payload of an `aws-chunked` body (`<hex size>[;chunk-signature=..]\\r\\n<data>\\r\\n`
    ... `0\\r\\n<trailers>\\r\\n`) and its trailing headers, which carry the checksum. Chunk
    signatures are not verified here (authentication is not this layer's concern)."""
    chunks: list[bytes] = []
    trailers: dict[str, str] = {}
    position = 0
    while True:
        line_end = body.find(b"\r\n", position)
        if line_end < 0:
            raise Malformed("Invalid aws-chunked body")
        size_text = body[position:line_end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise Malformed("Invalid aws-chunked body") from None
        if size < 0 or position + size > len(body):
            raise Malformed("Invalid aws-chunked body")
        position = line_end + 2
        if size == 0:
            break
        chunks.append(body[position : position + size])
        position += size + 2
    for line in body[position:].split(b"\r\n"):
        name, colon, value = line.partition(b":")
        if colon:
            trailers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    return b"".join(chunks), trailers


def _strip_aws_chunked_encoding(out: dict[str, Any]) -> None:
    """`aws-chunked` describes the transfer, not the object: S3 does not store it."""
    codings = [
        c.strip() for c in out["ContentEncoding"].split(",") if c.strip() and c.strip() != "aws-chunked"
    ]
    if codings:
        out["ContentEncoding"] = ",".join(codings)
    else:
        del out["ContentEncoding"]
