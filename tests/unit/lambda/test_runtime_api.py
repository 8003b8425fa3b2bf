"""The Runtime API server: requests answered in order on a kept-alive connection, a GET for
the next invocation held until one is dispatched, and a pipelined response + GET answered in
one write with the event."""

from __future__ import annotations

import asyncio
import importlib
from dataclasses import dataclass, field

runtime_api = importlib.import_module("overcast.services.lambda.runtime_api")
environment = importlib.import_module("overcast.services.lambda.environment")


@dataclass
class FakeEnvironment:
    """What the server calls on its environment: next_invocation, complete, init_error."""

    queued: list = field(default_factory=list)
    waiter: asyncio.Future | None = None
    completed: list = field(default_factory=list)

    def next_invocation(self):
        if self.queued:
            return self.queued.pop(0)
        self.waiter = asyncio.get_running_loop().create_future()
        return self.waiter

    def dispatch(self, invocation) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(invocation)
        else:
            self.queued.append(invocation)

    def complete(self, request_id, payload, error) -> bool:
        if request_id != "req-1":
            return False
        self.completed.append((request_id, payload, error))
        return True

    def init_error(self, error) -> None:
        self.completed.append(("init", None, error))


def _invocation(request_id: str, payload: bytes):
    return environment.Invocation(request_id=request_id, payload=payload, invoked_arn="arn:fn", timeout=3.0)


def _post(path: str, body: bytes) -> bytes:
    return f"POST /2018-06-01/runtime/{path} HTTP/1.1\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body


NEXT = b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n"


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    body = await reader.readexactly(int(headers["content-length"]))
    return int(lines[0].split()[1]), headers, body


def test_next_waits_for_a_dispatch_and_a_pipelined_response_comes_back_with_the_next_event():
    async def scenario() -> None:
        env = FakeEnvironment()
        server = await runtime_api.serve(env)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(NEXT)
        await asyncio.sleep(0.05)
        assert env.waiter is not None and not reader._buffer  # held: nothing answered yet
        env.dispatch(_invocation("req-1", b'{"n": 1}'))
        status, headers, body = await _read_answer(reader)
        assert (status, body) == (200, b'{"n": 1}')
        assert headers["lambda-runtime-aws-request-id"] == "req-1"
        assert headers["lambda-runtime-invoked-function-arn"] == "arn:fn"
        # The response and the next GET in one write: the 202 waits for the next event.
        writer.write(_post("invocation/req-1/response", b'"done"') + NEXT)
        await asyncio.sleep(0.05)
        assert env.completed == [("req-1", b'"done"', None)]
        assert not reader._buffer
        env.dispatch(_invocation("req-2", b"{}"))
        assert (await _read_answer(reader))[0] == 202
        status, headers, _ = await _read_answer(reader)
        assert (status, headers["lambda-runtime-aws-request-id"]) == (200, "req-2")
        writer.close()
        server.close()

    asyncio.run(scenario())


def test_a_runtime_that_does_not_pipeline_gets_each_answer_at_once():
    async def scenario() -> None:
        env = FakeEnvironment()
        server = await runtime_api.serve(env)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
        writer.write(_post("invocation/req-1/error", b'{"errorMessage": "boom", "errorType": "ValueError"}'))
        assert (await _read_answer(reader))[0] == 202
        assert env.completed[0][2] == {"errorMessage": "boom", "errorType": "ValueError"}
        writer.write(_post("invocation/req-9/response", b"{}"))
        status, _, body = await _read_answer(reader)
        assert status == 400 and b"InvalidRequestID" in body
        writer.write(b"GET /elsewhere HTTP/1.1\r\n\r\n")
        assert (await _read_answer(reader))[0] == 404
        writer.write(b"PUT /2018-06-01/runtime/invocation/next HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
        assert (await _read_answer(reader))[0] == 405
        writer.write(b"POST /2018-06-01/runtime/init/error HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n")
        assert (await _read_answer(reader))[0] == 413
        assert await reader.read() == b""  # and the connection is closed
        server.close()

    asyncio.run(scenario())


def test_a_connection_lost_while_waiting_gives_up_its_claim_on_the_next_invocation():
    async def scenario() -> None:
        env = FakeEnvironment()
        server = await runtime_api.serve(env)
        _reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
        writer.write(NEXT)
        await asyncio.sleep(0.05)
        waiter = env.waiter
        writer.close()
        await asyncio.sleep(0.05)
        assert waiter is not None and waiter.cancelled()
        server.close()

    asyncio.run(scenario())


def test_a_body_sent_after_expect_100_continue_is_asked_for():
    async def scenario() -> None:
        env = FakeEnvironment()
        server = await runtime_api.serve(env)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
        body = b'"' + b"x" * 2000 + b'"'
        head = (
            "POST /2018-06-01/runtime/invocation/req-1/response HTTP/1.1\r\n"
            f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n"
        )
        writer.write(head.encode())
        assert await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2) == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(body)
        assert (await _read_answer(reader))[0] == 202
        assert env.completed == [("req-1", body, None)]
        writer.close()
        server.close()

    asyncio.run(scenario())
