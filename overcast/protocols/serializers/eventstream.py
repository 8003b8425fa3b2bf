"""Event streams (`application/vnd.amazon.eventstream`): an output member that is a stream of
events, as CloudWatch Logs' StartLiveTail, Lambda's InvokeWithResponseStream and S3's
SelectObjectContent answer.

A provider returns the stream member as an (async) iterable of events, each a one-key dict
naming the member of the stream's union shape: `{"sessionUpdate": {...}}` (or bytes it framed
itself, passed on as they are). An event whose
member is an error shape (`"exception": true`) goes out as an exception message; the stream
ends after it. Each event is one binary message:

    total length (u32) | headers length (u32) | CRC32 of those 8 bytes
    headers: name length (u8) | name | value type (u8) | value
    payload
    CRC32 of everything before

An event's members marked `eventheader` are headers, a member marked `eventpayload` is the
payload (a blob or string as it is, a structure encoded by the protocol), and otherwise the
payload is the event's remaining members encoded by the protocol (`encode_payload`).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.model import Shape, StructureShape

_BOOL_TRUE, _BOOL_FALSE, _BYTE, _SHORT, _INTEGER, _LONG, _BYTES, _STRING, _TIMESTAMP = range(9)


def _header(name: str, value: Any, type_name: str = "string") -> bytes:
    key = name.encode()
    head = struct.pack("B", len(key)) + key
    if type_name == "boolean":
        return head + struct.pack("B", _BOOL_TRUE if value else _BOOL_FALSE)
    if type_name == "integer":
        return head + struct.pack(">Bi", _INTEGER, value)
    if type_name == "long":
        return head + struct.pack(">Bq", _LONG, value)
    if type_name == "timestamp":
        millis = int(value.timestamp() * 1000) if isinstance(value, datetime) else int(value * 1000)
        return head + struct.pack(">Bq", _TIMESTAMP, millis)
    if type_name == "blob":
        data = bytes(value)
        return head + struct.pack(">BH", _BYTES, len(data)) + data
    data = str(value).encode()
    return head + struct.pack(">BH", _STRING, len(data)) + data


def frame(headers: Iterable[tuple[str, Any, str]], payload: bytes) -> bytes:
    """One event-stream message: `headers` as (name, value, model type name)."""
    encoded = b"".join(_header(name, value, kind) for name, value, kind in headers)
    total = 12 + len(encoded) + len(payload) + 4
    prelude = struct.pack(">II", total, len(encoded))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + encoded + payload
    return message + struct.pack(">I", zlib.crc32(message))


PayloadEncoder = Callable[["Shape", Any], bytes]


def compile_events(
    stream_shape: StructureShape, encode_payload: PayloadEncoder, content_type: str
) -> Callable[[Any], bytes]:
    """`event dict -> message bytes` for the events of `stream_shape` (the stream's union)."""
    plans: dict[str, Callable[[Any], bytes]] = {}
    for name, member in stream_shape.members.items():
        plans[name] = _event_plan(name, member, encode_payload, content_type)

    def encode(event: dict | bytes) -> bytes:
        if isinstance(event, (bytes, bytearray)):
            return bytes(event)  # a message the provider framed itself
        [(name, value)] = event.items()
        plan = plans.get(name)
        if plan is None:
            raise ValueError(f"{name} is not an event of {stream_shape.name}")
        return plan(value or {})

    return encode


def _event_plan(
    name: str, shape: StructureShape, encode_payload: PayloadEncoder, content_type: str
) -> Callable[[Any], bytes]:
    is_error = bool(shape.metadata.get("exception"))
    header_members = {
        member_name: member.type_name
        for member_name, member in shape.members.items()
        if member.serialization.get("eventheader")
    }
    payload_member = next((n for n, m in shape.members.items() if m.serialization.get("eventpayload")), None)
    raw_payload = payload_member is not None and shape.members[payload_member].type_name in ("blob", "string")
    payload_type = "application/octet-stream" if raw_payload else content_type
    if is_error:
        fixed = [(":message-type", "exception", "string"), (":exception-type", name, "string")]
    else:
        fixed = [(":message-type", "event", "string"), (":event-type", name, "string")]

    def plan(value: dict) -> bytes:
        headers = list(fixed)
        for member_name, type_name in header_members.items():
            if value.get(member_name) is not None:
                headers.append((member_name, value[member_name], type_name))
        if payload_member is not None:
            body = value.get(payload_member)
            if raw_payload:
                payload = body.encode() if isinstance(body, str) else bytes(body or b"")
            else:
                payload = encode_payload(shape.members[payload_member], body or {})
        else:
            rest = {k: v for k, v in value.items() if k not in header_members}
            payload = encode_payload(shape, rest)
        headers.append((":content-type", payload_type, "string"))
        return frame(headers, payload)

    return plan


async def stream_messages(
    events: AsyncIterable[Any] | Iterable[Any], encode: Callable[[Any], bytes], first: bytes = b""
) -> AsyncIterator[bytes]:
    """The messages of `events`, after `first` (an initial-response message, where the protocol
    has one). Closing this closes the provider's iterator, so a session it holds ends."""
    if first:
        yield first
    if isinstance(events, AsyncIterable):
        iterator = aiter(events)
        try:
            async for event in iterator:
                yield encode(event)
        finally:
            close = getattr(iterator, "aclose", None)
            if close is not None:
                await close()
    else:
        for event in events:
            yield encode(event)


def initial_response(payload: bytes) -> bytes:
    """The first message of a JSON-protocol stream: the output's other members."""
    headers = [(":message-type", "event", "string"), (":event-type", "initial-response", "string")]
    return frame(headers, payload)
