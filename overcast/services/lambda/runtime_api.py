"""The Lambda Runtime API an execution environment's runtime talks to: one loopback listener
per environment (AWS_LAMBDA_RUNTIME_API is that listener's host:port), a minimal keep-alive
HTTP/1.1 server, and the four routes of the API:

    GET  /2018-06-01/runtime/invocation/next            (long-polls for the next event)
    POST /2018-06-01/runtime/invocation/{id}/response
    POST /2018-06-01/runtime/invocation/{id}/error
    POST /2018-06-01/runtime/init/error

The server is a protocol on the event loop, not a task per connection: a request is answered
in the turn its bytes arrive. Requests may be pipelined (HTTP/1.1 allows it, and Overcast's
Python runtime sends its response and its next GET in one write); answers then wait for the one
still pending, so a warm invocation costs the runtime one write and one wake-up, not two.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

from overcast.common import jsontext

if TYPE_CHECKING:
    from .environment import Environment, Invocation

_PREFIX = "/2018-06-01/runtime/"
_MAX_BODY = 16 << 20
#: The longest request head accepted (the runtime's requests have a few short headers).
_MAX_HEAD = 1 << 16
_ACCEPTED = b'{"status":"OK"}'


def _response(status: int, reason: str, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    head = f"HTTP/1.1 {status} {reason}\r\nContent-Length: {len(body)}\r\nContent-Type: application/json\r\n"
    if headers:
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return (head + "\r\n").encode("latin-1") + body


_ACCEPTED_RESPONSE = _response(202, "Accepted", _ACCEPTED)


def _error(status: int, error_type: str, message: str) -> bytes:
    body = json.dumps({"errorType": error_type, "errorMessage": message}).encode()
    return _response(status, "Error", body)


def _event(invocation: Invocation) -> bytes:
    """The answer to GET .../invocation/next: the event, its id, deadline, ARN and trace."""
    out = {
        "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
        "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
        "Lambda-Runtime-Invoked-Function-Arn": invocation.invoked_arn,
        "Lambda-Runtime-Trace-Id": invocation.trace_id,
    }
    if invocation.client_context:
        out["Lambda-Runtime-Client-Context"] = invocation.client_context
    return _response(200, "OK", invocation.payload, out)


class _Connection(asyncio.Protocol):
    """One runtime's connection: requests parsed from the buffer as they complete, answered in
    order; a GET for the next invocation parks the connection until the environment has one."""

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        #: Answers not yet written: they go out with the next one, in one write.
        self.pending: list[bytes] = []
        #: The environment's future for the next invocation while a GET waits on it.
        self.parked: asyncio.Future | None = None
        #: Whether the request whose body is awaited was told to go on (Expect: 100-continue).
        self.continued = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        parked, self.parked = self.parked, None
        if parked is not None and not parked.done():
            parked.cancel()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.parked is None:
            self._serve()

    def _serve(self) -> None:
        buffer = self.buffer
        while self.parked is None and self.transport is not None:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > _MAX_HEAD:
                    self._close_with(_error(431, "RequestHeaderFieldsTooLarge", "request head too large"))
                break
            lines = buffer[:end].decode("latin-1").split("\r\n")
            method, _, rest = lines[0].partition(" ")
            path = rest.partition(" ")[0]
            headers = {}
            for line in lines[1:]:
                if line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            try:
                length = int(headers.get("content-length") or 0)
            except ValueError:
                length = -1
            if length < 0 or length > _MAX_BODY:
                self._close_with(_error(413, "RequestEntityTooLarge", "body too large"))
                return
            start = end + 4
            if len(buffer) < start + length:
                if headers.get("expect", "").lower() == "100-continue" and not self.continued:
                    # curl (a custom runtime's bootstrap) waits for this before a larger body.
                    self.continued = True
                    self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                break
            self.continued = False
            body = bytes(buffer[start : start + length])
            del buffer[: start + length]
            answer = _route(self.environment, method, path, headers, body)
            if isinstance(answer, bytes):
                self.pending.append(answer)
            else:
                self.parked = answer
                answer.add_done_callback(self._next_ready)
        self._flush()

    def _next_ready(self, future: asyncio.Future) -> None:
        if future is not self.parked:
            return
        self.parked = None
        if future.cancelled() or self.transport is None:
            return
        self.pending.append(_event(future.result()))
        self._serve()

    def _flush(self) -> None:
        if self.pending and self.transport is not None and self.parked is None:
            data = self.pending[0] if len(self.pending) == 1 else b"".join(self.pending)
            self.pending.clear()
            self.transport.write(data)

    def _close_with(self, answer: bytes) -> None:
        self.pending.append(answer)
        self._flush()
        if self.transport is not None:
            self.transport.close()
            self.transport = None


async def serve(environment: Environment) -> asyncio.Server:
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: _Connection(environment), "127.0.0.1", 0)


def _route(env: Environment, method: str, path: str, headers: dict, body: bytes) -> bytes | asyncio.Future:
    """The answer to one request, or for GET .../invocation/next a future of the invocation."""
    if not path.startswith(_PREFIX):
        return _error(404, "NotFound", f"no route {path}")
    route = path[len(_PREFIX) :]
    if route == "invocation/next" and method == "GET":
        ready = env.next_invocation()
        if isinstance(ready, asyncio.Future):
            return ready
        return _event(ready)
    if method != "POST":
        return _error(405, "MethodNotAllowed", f"{method} {path}")
    if route == "init/error":
        env.init_error(_error_body(body, headers))
        return _ACCEPTED_RESPONSE
    if route.startswith("invocation/"):
        request_id, _, outcome = route[len("invocation/") :].partition("/")
        if outcome == "response":
            accepted = env.complete(request_id, body, None)
        elif outcome == "error":
            accepted = env.complete(request_id, None, _error_body(body, headers))
        else:
            return _error(404, "NotFound", f"no route {path}")
        if not accepted:
            return _error(400, "InvalidRequestID", f"unknown or finished request {request_id}")
        return _ACCEPTED_RESPONSE
    return _error(404, "NotFound", f"no route {path}")


def _error_body(body: bytes, headers: dict) -> dict:
    """The error a runtime reported, in the shape Invoke returns it."""
    try:
        report = jsontext.loads(body, jsontext.MAX_PAYLOAD_DEPTH) if body else {}
    except ValueError:
        report = {}
    if not isinstance(report, dict):
        report = {"errorMessage": str(report)}
    error_type = report.get("errorType") or headers.get("lambda-runtime-function-error-type") or "Unhandled"
    shaped = {"errorMessage": report.get("errorMessage", ""), "errorType": error_type}
    if "requestId" in report:
        shaped["requestId"] = report["requestId"]
    if "stackTrace" in report:
        shaped["stackTrace"] = report["stackTrace"]
    elif "trace" in report:
        shaped["trace"] = report["trace"]
    return shaped
