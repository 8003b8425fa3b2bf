"""application/vnd.amazon.eventstream: the framing of an event-stream response payload (Lambda's
InvokeWithResponseStream, S3's SelectObjectContent, Logs' StartLiveTail), driven by the model.

`encode_event(stream_shape, name, value)` frames one event of an event-stream union: its
`eventpayload` member (a blob or string) is the message payload as it is, `eventheader`
members become typed headers, and any other members form a JSON body. Each message is
prelude (total and header lengths, their CRC32), headers, payload, and the message CRC32.
The rest serializers pass the framed bytes (or an iterator of them) through as the body.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.model import Shape

_STRING, _BYTES, _BOOL_TRUE, _BOOL_FALSE, _INT32, _INT64 = 7, 6, 0, 1, 4, 5


def _header(name: str, value: Any) -> bytes:
    key = name.encode()
    head = struct.pack("!B", len(key)) + key
    if isinstance(value, bool):
        return head + struct.pack("!B", _BOOL_TRUE if value else _BOOL_FALSE)
    if isinstance(value, int):
        return head + struct.pack("!Bq", _INT64, value)
    if isinstance(value, (bytes, bytearray)):
        return head + struct.pack("!BH", _BYTES, len(value)) + bytes(value)
    text = str(value).encode()
    return head + struct.pack("!BH", _STRING, len(text)) + text


def encode_message(headers: dict[str, Any], payload: bytes) -> bytes:
    """One event-stream message with these headers (in order) and payload."""
    encoded = b"".join(_header(name, value) for name, value in headers.items())
    total = 12 + len(encoded) + len(payload) + 4
    prelude = struct.pack("!II", total, len(encoded))
    prelude += struct.pack("!I", zlib.crc32(prelude))
    message = prelude + encoded + payload
    return message + struct.pack("!I", zlib.crc32(message))


def encode_event(stream_shape: Shape, name: str, value: dict[str, Any]) -> bytes:
    """Frames the event `name` (a member of the event-stream union `stream_shape`)."""
    event_shape = stream_shape.members[name]
    headers: dict[str, Any] = {":event-type": name}
    payload, content_type = b"", ""
    body: dict[str, Any] = {}
    for member_name, member in event_shape.members.items():
        if member_name not in value:
            continue
        given = value[member_name]
        if member.serialization.get("eventpayload"):
            if member.type_name == "blob":
                payload, content_type = bytes(given), "application/octet-stream"
            elif member.type_name == "string":
                payload, content_type = str(given).encode(), "text/plain"
            else:
                payload, content_type = json.dumps(given).encode(), "application/json"
        elif member.serialization.get("eventheader"):
            headers[member_name] = given
        else:
            body[member_name] = given
    if body:
        payload, content_type = json.dumps(body).encode(), "application/json"
    if content_type:
        headers[":content-type"] = content_type
    headers[":message-type"] = "event"
    return encode_message(headers, payload)
