"""Event-stream framing, read back by botocore's own event-stream parser."""

from __future__ import annotations

import io

import botocore.session
from botocore.eventstream import EventStream, EventStreamBuffer
from botocore.parsers import EventStreamJSONParser

from overcast.protocols.eventstream import encode_event, encode_message


class _Raw:
    """What botocore reads an event stream from: a raw HTTP body."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def stream(self):
        while chunk := self._data.read(7):  # small reads: messages span several chunks
            yield chunk

    def close(self) -> None:
        pass


def _stream_shape():
    model = botocore.session.get_session().get_service_model("lambda")
    return model.operation_model("InvokeWithResponseStream").output_shape.members["EventStream"]


def test_botocore_parses_the_framed_events():
    shape = _stream_shape()
    body = encode_event(shape, "PayloadChunk", {"Payload": b'{"hello": '}) + encode_event(
        shape, "PayloadChunk", {"Payload": b'"world"}'}
    )
    body += encode_event(
        shape, "InvokeComplete", {"ErrorCode": "E", "ErrorDetails": "d", "LogResult": "bG9n"}
    )
    events = list(EventStream(_Raw(body), shape, EventStreamJSONParser(), "InvokeWithResponseStream"))
    assert events == [
        {"PayloadChunk": {"Payload": b'{"hello": '}},
        {"PayloadChunk": {"Payload": b'"world"}'}},
        {"InvokeComplete": {"ErrorCode": "E", "ErrorDetails": "d", "LogResult": "bG9n"}},
    ]


def test_message_framing_and_checksums():
    message = encode_message({":event-type": "X", "flag": True, "count": 3, "raw": b"\x00"}, b"payload")
    buffer = EventStreamBuffer()
    buffer.add_data(message)
    (parsed,) = list(buffer)  # the parser verifies both CRCs and the lengths
    assert parsed.headers == {":event-type": "X", "flag": True, "count": 3, "raw": b"\x00"}
    assert parsed.payload == b"payload"
