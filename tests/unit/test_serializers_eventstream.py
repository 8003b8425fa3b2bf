"""Event-stream outputs (application/vnd.amazon.eventstream), read back by botocore's own
parser; and the server stopping an endless streamed body when its client goes away."""

from __future__ import annotations

import asyncio

import pytest
from botocore.awsrequest import HeadersDict
from botocore.eventstream import EventStreamBuffer
from botocore.exceptions import EventStreamError
from botocore.parsers import create_parser

from overcast.context import RequestContext
from overcast.http import Request, Response
from overcast.protocols.models import service_model
from overcast.protocols.serializers import serialize_response
from overcast.protocols.serializers.eventstream import frame
from overcast.server import App

START = {"requestId": "r", "sessionId": "s", "logGroupIdentifiers": ["g"]}
RESULT = {
    "logStreamName": "s1",
    "logGroupIdentifier": "g",
    "message": "hello",
    "timestamp": 5,
    "ingestionTime": 6,
}


class RawStream:
    """What botocore's EventStream reads: an object with `stream()` yielding the body."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self):
        yield self.data

    def close(self) -> None:
        pass


async def collect(body) -> bytes:
    return b"".join([chunk async for chunk in body])


def live_tail(events) -> list:
    operation = service_model("logs").operation_model("StartLiveTail")
    context = RequestContext(request=Request("POST", "/", "", {}), request_id="req")
    response = serialize_response(operation, "json", {"responseStream": events}, context)
    assert response.headers["Content-Type"] == "application/vnd.amazon.eventstream"
    data = asyncio.run(collect(response.body))
    headers = HeadersDict({k.lower(): v for k, v in response.headers.items()})
    parsed = create_parser("json").parse(
        {
            "status_code": 200,
            "headers": headers,
            "body": RawStream(data),
            "context": {"operation_name": "StartLiveTail"},
        },
        operation.output_shape,
    )
    return list(parsed["responseStream"])


def test_a_frame_reads_back_with_its_headers_and_payload():
    message = frame([(":event-type", "x", "string"), ("n", 7, "long"), ("ok", True, "boolean")], b'{"a":1}')
    buffer = EventStreamBuffer()
    buffer.add_data(message)
    [decoded] = list(buffer)
    assert decoded.headers == {":event-type": "x", "n": 7, "ok": True}
    assert decoded.payload == b'{"a":1}'


def test_events_read_back_by_botocore_after_the_initial_response():
    events = live_tail(
        [
            {"sessionStart": START},
            {"sessionUpdate": {"sessionMetadata": {"sampled": False}, "sessionResults": [RESULT]}},
        ]
    )
    assert events == [
        {"sessionStart": START},
        {"sessionUpdate": {"sessionMetadata": {"sampled": False}, "sessionResults": [RESULT]}},
    ]


def test_an_exception_event_ends_the_stream_with_its_error():
    async def events():
        yield {"sessionStart": START}
        yield {"SessionTimeoutException": {"message": "timed out"}}

    with pytest.raises(EventStreamError) as raised:
        live_tail(events())
    assert raised.value.response["Error"] == {"Code": "SessionTimeoutException", "Message": "timed out"}


def test_an_endless_body_stops_and_closes_when_the_client_goes_away():
    closed = []

    async def endless():
        try:
            while True:
                yield b"tick"
                await asyncio.sleep(0.01)
        finally:
            closed.append(True)

    async def scenario() -> list:
        sent: list = []
        gone = asyncio.Event()

        async def send(message) -> None:
            sent.append(message)
            if len(sent) == 4:
                gone.set()

        async def receive() -> dict:
            await gone.wait()
            return {"type": "http.disconnect"}

        response = Response(200, {}, endless())
        await asyncio.wait_for(App.send_response(send, response, receive=receive), timeout=5)
        return sent

    sent = asyncio.run(scenario())
    assert closed == [True]
    assert sent[-1] == {"type": "http.response.body", "body": b""}


def rest_stream(service: str, operation_name: str, protocol: str, output: dict) -> tuple:
    operation = service_model(service).operation_model(operation_name)
    context = RequestContext(request=Request("POST", "/", "", {}), request_id="req")
    response = serialize_response(operation, protocol, output, context)
    data = asyncio.run(collect(response.body))
    headers = HeadersDict({k.lower(): v for k, v in response.headers.items()})
    parsed = create_parser(protocol).parse(
        {
            "status_code": response.status,
            "headers": headers,
            "body": RawStream(data),
            "context": {"operation_name": operation_name},
        },
        operation.output_shape,
    )
    return response, parsed


def test_rest_xml_events_with_raw_and_structured_payloads():
    events = [
        {"Records": {"Payload": b"a,b\n"}},
        {"Stats": {"Details": {"BytesScanned": 10, "BytesProcessed": 10, "BytesReturned": 4}}},
        {"End": {}},
    ]
    _, parsed = rest_stream("s3", "SelectObjectContent", "rest-xml", {"Payload": events})
    assert list(parsed["Payload"]) == [
        {"Records": {"Payload": b"a,b\n"}},
        {"Stats": {"Details": {"BytesScanned": 10, "BytesProcessed": 10, "BytesReturned": 4}}},
        {"End": {}},
    ]


def test_rest_json_events_beside_header_members():
    async def events():
        yield {"PayloadChunk": {"Payload": b'{"partial": '}}
        yield {"PayloadChunk": {"Payload": b"true}"}}
        yield {"InvokeComplete": {"LogResult": "bG9ncw=="}}

    output = {"StatusCode": 200, "ExecutedVersion": "$LATEST", "EventStream": events()}
    response, parsed = rest_stream("lambda", "InvokeWithResponseStream", "rest-json", output)
    assert response.headers["X-Amz-Executed-Version"] == "$LATEST"
    assert parsed["ExecutedVersion"] == "$LATEST"
    assert list(parsed["EventStream"]) == [
        {"PayloadChunk": {"Payload": b'{"partial": '}},
        {"PayloadChunk": {"Payload": b"true}"}},
        {"InvokeComplete": {"LogResult": "bG9ncw=="}},
    ]


def test_messages_a_provider_framed_itself_pass_through():
    framed = frame([(":message-type", "event", "string"), (":event-type", "End", "string")], b"")
    _, parsed = rest_stream("s3", "SelectObjectContent", "rest-xml", {"Payload": [framed]})
    assert list(parsed["Payload"]) == [{"End": {}}]
