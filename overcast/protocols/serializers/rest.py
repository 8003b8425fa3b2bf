"""rest-json and rest-xml: what goes in the status line and headers, and what is the body.

A member's `location` places it: `statusCode` is the status, `header` one header (timestamps
as HTTP dates unless the model says otherwise, lists comma-joined, `jsonvalue` strings as
base64 JSON), `headers` a map under a name prefix (S3's `x-amz-meta-`). The output's `payload`
member, when there is one, is the whole body: a blob or string raw, a structure as a document
named after the member. Otherwise the body holds the remaining members.

Streaming: a blob payload may be bytes, or a file-like object (anything with `read`) or an
(async) iterator of byte chunks; the latter two are put in `Response.body` untouched, for the
server to stream, together with the `Content-Length` header when the model has that member
(S3 GetObject's `ContentLength`). The server keeps a `Content-Length` it finds (HEAD, streams).
An event-stream payload (S3 SelectObjectContent, Lambda InvokeWithResponseStream) is the
provider's events, framed as they come by `eventstream.py` (or bytes it framed itself).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from overcast.http import Response
from overcast.protocols.models import wire
from overcast.protocols.serializers import xml as xmlw
from overcast.protocols.serializers.common import (
    NO_BODY_STATUS,
    TIMESTAMP_TEXT,
    ErrorInfo,
    b64,
    base_headers,
    bool_text,
    float_text,
    host_id,
    per_model,
    response_code,
)
from overcast.protocols.serializers.json import (
    bodies_for,
    body_members,
    encode_any,
    encoder,
    error_fields,
    error_headers,
)

if TYPE_CHECKING:
    from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

    from overcast.context import RequestContext
    from overcast.errors import ServiceError

#: Header names the server looks for in one spelling.
CANONICAL_HEADERS = {"content-type": "Content-Type", "content-length": "Content-Length"}

DEFAULT_CONTENT_TYPES = {"rest-json": "application/json", "rest-xml": "application/xml"}
PAYLOAD_CONTENT_TYPES = {
    "blob": "application/octet-stream",
    "string": "text/plain",
    "eventstream": "application/vnd.amazon.eventstream",
}
#: Payloads that are the body as given: bytes, or a stream for the server to send. An event
#: stream payload must already be framed (application/vnd.amazon.eventstream messages).
RAW_PAYLOADS = frozenset({"blob", "string", "eventstream"})

# ---------------------------------------------------------------------------------------------
# Header values.


def _quote_list_item(text: str) -> str:
    if "," in text or '"' in text:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def header_formatter(shape: Shape) -> Callable[[Any], str]:
    type_name = shape.type_name
    if type_name == "string":
        if shape.serialization.get("jsonvalue"):
            return lambda value: b64(json.dumps(value, separators=(",", ":")).encode())
        return str  # a str as it is (one C call), anything else as its text
    if type_name == "timestamp":
        return TIMESTAMP_TEXT[shape.serialization.get("timestampFormat", "rfc822")]
    if type_name == "list":
        item = header_formatter(shape.member)
        quote = shape.member.type_name == "string"
        if quote:
            return lambda value: ", ".join(
                _quote_list_item(item(entry)) for entry in value if entry is not None
            )
        return lambda value: ", ".join(item(entry) for entry in value if entry is not None)
    return _SCALAR_HEADERS.get(type_name, str)


_SCALAR_HEADERS: dict[str, Callable[[Any], str]] = {
    "boolean": bool_text,
    "float": float_text,
    "double": float_text,
    "blob": b64,
}


# ---------------------------------------------------------------------------------------------
# Where each member goes.

HEADER, PREFIX, STATUS = 0, 1, 2


@dataclass
class Placement:
    #: member name -> (HEADER, header name, formatter) | (PREFIX, prefix, str) | (STATUS, "", int)
    located: dict[str, tuple[int, str, Callable[[Any], Any]]]
    payload: str | None
    payload_type: str
    body: list[str]


def placement(shape: StructureShape | None) -> Placement:
    if shape is None:
        return Placement({}, None, "", [])
    located: dict[str, tuple[int, str, Callable[[Any], Any]]] = {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        if location == "header":
            header = member.serialization.get("name", name)
            located[name] = (HEADER, CANONICAL_HEADERS.get(header.lower(), header), header_formatter(member))
        elif location == "headers":
            located[name] = (PREFIX, member.serialization.get("name", ""), str)
        elif location == "statusCode":
            located[name] = (STATUS, "", int)
    payload = shape.serialization.get("payload")
    payload_type = shape.members[payload].type_name if payload else ""
    if payload and shape.members[payload].serialization.get("eventstream"):
        payload_type = "eventstream"
    return Placement(located, payload, payload_type, [] if payload else body_members(shape))


def place(located: dict, output: dict, headers: dict[str, str], status: int) -> int:
    """Puts the located members of `output` in `headers`; returns the status."""
    for name, value in output.items():
        entry = located.get(name)
        if entry is None or value is None:
            continue
        kind, header, fmt = entry
        if kind == HEADER:
            headers[header] = fmt(value)
        elif kind == PREFIX:
            for key, item in value.items():
                if item is not None:
                    headers[header + key] = item if isinstance(item, str) else str(item)
        else:
            status = int(value)
    return status


def raw_payload(value: Any) -> Any:
    """A blob or string payload as body bytes, or the stream it is, unchanged."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    return value  # a file-like object or an iterator of chunks: the server streams it


# ---------------------------------------------------------------------------------------------
# Bodies per protocol.


def xml_namespace_of(model: ServiceModel) -> str:
    """The namespace a rest-xml service's documents are in. Its output shapes rarely say; its
    request payloads do (S3's CreateBucketConfiguration, Route 53's ChangeBatch...)."""

    def find() -> str:
        for name in model.operation_names:
            shape = model.operation_model(name).input_shape
            if shape is None:
                continue
            payload = shape.serialization.get("payload")
            # A request body is either the payload member's document or the input shape's.
            serialization = shape.members[payload].serialization if payload else shape.serialization
            namespace = serialization.get("xmlNamespace")
            if isinstance(namespace, dict) and namespace.get("uri") and not namespace.get("prefix"):
                return namespace["uri"]
        return model.metadata.get("xmlNamespace", "")

    return per_model(model, "rest-xml-namespace", find)


def xml_compiler(model: ServiceModel) -> xmlw.XmlCompiler:
    return per_model(model, "rest-xml", lambda: xmlw.XmlCompiler(millis=wire(model).timestamp_millis))


def _event_stream_body(
    operation: OperationModel,
    where: Placement,
    encode_payload: Callable[[Shape, Any], bytes],
    content_type: str,
) -> Callable[[dict], Any]:
    """The body of an output whose payload is an event stream: the provider's events framed as
    they come (eventstream.py); bytes or a file it gives are the already framed stream."""
    from overcast.protocols.serializers import eventstream

    name = where.payload
    events = eventstream.compile_events(operation.output_shape.members[name], encode_payload, content_type)

    def body(output: dict) -> Any:
        value = output.get(name)
        if value is None:
            return b""
        if isinstance(value, (bytes, bytearray, memoryview, str)) or hasattr(value, "read"):
            return raw_payload(value)
        return eventstream.stream_messages(value, events)

    return body


def _xml_body(operation: OperationModel, where: Placement) -> Callable[[dict], Any]:
    model = operation.service_model
    shape = operation.output_shape
    overlay = wire(model)
    compiler = xml_compiler(model)
    namespace = xml_namespace_of(model)
    if where.payload_type == "eventstream":
        writers: dict[str, Callable[[Any], str]] = {}

        def xml_event(event_shape: Shape, value: Any) -> bytes:
            write = writers.get(event_shape.name)
            if write is None:
                write = writers[event_shape.name] = xmlw.document_writer(
                    compiler, event_shape, event_shape.name, namespace
                )
            return write(value).encode()

        return _event_stream_body(operation, where, xml_event, "text/xml")
    if where.payload:
        member = shape.members[where.payload]
        name = where.payload
        if where.payload_type in RAW_PAYLOADS:
            return lambda output: raw_payload(output[name]) if output.get(name) is not None else b""
        tag = member.serialization.get("name", name)
        # A payload member that names its namespace keeps it, even none (`"xmlNamespace": ""`).
        own = member.serialization.get("xmlNamespace")
        write = xmlw.document_writer(compiler, member, tag, own if own is not None else namespace)
        return lambda output: write(output[name]).encode() if output.get(name) is not None else b""
    if not where.body:
        return lambda output: b""
    text_root = overlay.root_text.get(operation.name)
    if text_root is not None:
        head = f"{xmlw.XML_DECLARATION}<{text_root}{xmlw.namespace_declarations(namespace)}>"
        tail = f"</{text_root}>"
        member_name = where.body[0]
        # An empty text is a self-closed element: `<LocationConstraint xmlns="..."/>`.
        empty = (head[:-1] + "/>").encode()
        return lambda output: (
            (head + xmlw.escape(output[member_name]) + tail).encode() if output.get(member_name) else empty
        )
    tag = overlay.root_elements.get(operation.name) or shape.serialization.get("name", shape.name)
    members = where.body
    order = overlay.root_member_orders.get(operation.name)
    if order is not None:
        rank = {name: index for index, name in enumerate(order)}
        members = sorted(members, key=lambda name: rank.get(name, len(order)))
    write = xmlw.document_writer(
        compiler, shape, tag, shape.serialization.get("xmlNamespace") or namespace, members
    )
    return lambda output: write(output).encode()


def _json_body(operation: OperationModel, where: Placement) -> Callable[[dict], Any]:
    model = operation.service_model
    shape = operation.output_shape
    bodies = bodies_for(model)
    if where.payload_type == "eventstream":
        encoders: dict[str, Callable[[Any], bytes]] = {}

        def json_event(event_shape: Shape, value: Any) -> bytes:
            encode = encoders.get(event_shape.name)
            if encode is None:
                encode = encoders[event_shape.name] = encoder(
                    lambda compiler: compiler.converter(event_shape), bodies
                )
            return encode(value)

        return _event_stream_body(operation, where, json_event, "application/json")
    if where.payload:
        member = shape.members[where.payload]
        name = where.payload
        if where.payload_type in RAW_PAYLOADS:
            return lambda output: raw_payload(output[name]) if output.get(name) is not None else b""
        encode = encoder(lambda compiler: compiler.converter(member), bodies)
        return lambda output: encode(output[name]) if output.get(name) is not None else b""
    if not where.body:
        return lambda output: b""
    members = where.body
    encode = encoder(lambda compiler: compiler.body(shape, members), bodies)
    return encode


BODIES = {"rest-json": _json_body, "rest-xml": _xml_body}


def compile_response(operation: OperationModel, protocol: str) -> Callable[[dict, RequestContext], Response]:
    with_host_id = wire(operation.service_model).host_id
    where = placement(operation.output_shape)
    located = where.located
    body_of = BODIES[protocol](operation, where)
    default_status = response_code(operation)
    content_type = (
        PAYLOAD_CONTENT_TYPES.get(where.payload_type) or DEFAULT_CONTENT_TYPES[protocol]
        if where.payload
        else DEFAULT_CONTENT_TYPES[protocol]
    )

    # A HEAD answers with the headers its GET would, Content-Type too (S3 HeadBucket: XML).
    typed_when_empty = operation.http.get("method") == "HEAD"

    def serialize_rest(output: dict, context: RequestContext) -> Response:
        headers = base_headers(with_host_id, None, context)
        status = place(located, output, headers, default_status) if located else default_status
        if status in NO_BODY_STATUS:
            return Response(status, headers, b"")
        if status == 200 and "Content-Range" in headers:
            status = 206  # a part of the representation (S3 GetObject with Range or partNumber)
        body = body_of(output)
        if (body != b"" or typed_when_empty) and "Content-Type" not in headers:
            headers["Content-Type"] = content_type
        return Response(status, headers, body)

    return serialize_rest


# ---------------------------------------------------------------------------------------------
# Errors.


def _error_placement(model: ServiceModel, shape: StructureShape | None) -> Placement:
    if shape is None:
        return Placement({}, None, "", [])
    return per_model(model, f"error-placement:{shape.name}", lambda: placement(shape))


def serialize_error(
    model: ServiceModel,
    operation: OperationModel | None,
    protocol: str,
    info: ErrorInfo,
    error: ServiceError,
    context: RequestContext,
) -> Response:
    where = _error_placement(model, info.shape)
    headers = base_headers(wire(model).host_id, None, context)
    if error.headers:
        headers.update(error.headers)
    if info.status in NO_BODY_STATUS:  # 304 Not Modified: a conditional GET's answer has no body
        return Response(info.status, headers, b"")
    fields = error.fields
    if where.located and fields:
        place(where.located, fields, headers, info.status)
        fields = {k: v for k, v in fields.items() if k not in where.located}
    if protocol == "rest-json":
        error_headers(model, info, headers)
        body = {info.message_key: error.message or ""}
        body.update(error_fields(model, info, fields, where.body if info.shape is not None else None))
        headers["Content-Type"] = "application/json"
        return Response(info.status, headers, encode_any(body))
    headers["Content-Type"] = "application/xml"
    return Response(info.status, headers, _xml_error(model, info, error, fields, context).encode())


def _xml_error(
    model: ServiceModel, info: ErrorInfo, error: ServiceError, fields: dict, context: RequestContext
) -> str:
    compiler = xml_compiler(model)
    code = xmlw.escape(info.query_code)
    message = xmlw.escape(error.message or "")
    request_id = xmlw.escape(context.request_id)
    if wire(model).host_id:
        out = [f"{xmlw.XML_DECLARATION}<Error><Code>{code}</Code><Message>{message}</Message>"]
        xmlw.write_error_fields(compiler, info.shape, info.message_member, fields, out)
        out.append(
            f"<RequestId>{request_id}</RequestId><HostId>{xmlw.escape(host_id(context))}</HostId></Error>"
        )
        return "".join(out)
    kind = "Sender" if info.sender else "Receiver"
    out = [
        f"{xmlw.XML_DECLARATION}<ErrorResponse{xmlw.namespace_declarations(xml_namespace_of(model))}>"
        f"<Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message>"
    ]
    xmlw.write_error_fields(compiler, info.shape, info.message_member, fields, out)
    out.append(f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>")
    return "".join(out)
