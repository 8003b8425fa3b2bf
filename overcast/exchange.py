"""The short way through the server for an ordinary request.

Most AWS calls are a small request answered with a small response. uvicorn gives every request
an ASGI cycle: a scope, an asyncio Event, a Task, and two `send` messages that re-validate and
re-encode the response — more than Overcast's own handling of a GetParameter costs. A request
that needs none of that (complete, at most `DIRECT_BODY` bytes, no upgrade, no
`Expect: 100-continue`) is instead answered here: the server's protocol (server.http_protocol)
collects it, hands an `overcast.http.Request` to the app's `direct` handler, runs that
coroutine at once rather than as a new Task, and writes the response's head and body in one
write. Every other request, and any response whose body streams, keeps uvicorn's way.

A handler so runs outside any Task until it first waits: code on the request path uses
asyncio.wait_for rather than asyncio.timeout (which needs the Task it would cancel).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import re
from collections.abc import Callable, Coroutine
from typing import Any

from overcast.http import Request, Response

log = logging.getLogger(__name__)

#: The largest body a request may declare and still go the short way (uvicorn's own
#: read-pause mark: anything larger is read under flow control, as a stream).
DIRECT_BODY = 64 << 10

#: The app side of the short way: a request in, its response out.
DirectHandler = Callable[[Request], Coroutine[Any, Any, Response]]

_BAD_NAME = re.compile(r'[\x00-\x1f\x7f()<>@,;:\[\]={} \t\\"]')
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class Exchange:
    """A request going the short way, in the place uvicorn keeps its cycle (`protocol.cycle`),
    with the attributes the protocol and its sweep read there."""

    __slots__ = ("body", "disconnected", "keep_alive", "message_event", "response_complete", "scope")

    def __init__(self, scope: Any, keep_alive: bool) -> None:
        #: uvicorn's scope of the request (method, raw_path and query_string filled in).
        self.scope = scope
        self.body = bytearray()
        self.keep_alive = keep_alive
        self.disconnected = False
        self.response_complete = False
        self.message_event = _NoEvent


class _NoEvent:
    """Nothing waits on an exchange's body: it is handled once complete."""

    @staticmethod
    def set() -> None:
        pass


def headers_of(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Header names (already lower-cased by the protocol) to values; a repeated header's
    values joined with ", ", in order."""
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in raw}
    if len(headers) != len(raw):
        headers = {}
        for name, value in raw:
            key, text = name.decode("latin-1"), value.decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


def streams(response: Response) -> bool:
    """Whether the response's body is sent in chunks (then uvicorn's way sends it)."""
    return not isinstance(response.body, (bytes, bytearray))


def encode(
    response: Response, head_only: bool, keep_alive: bool, status_lines: dict[int, bytes], defaults: list
) -> bytes:
    """The response as one HTTP/1.1 message, checked as uvicorn checks one: no header name or
    value may carry bytes that would end the line early."""
    body = response.body
    assert isinstance(body, (bytes, bytearray))
    parts = [status_lines.get(response.status) or b"HTTP/1.1 %d \r\n" % response.status]
    for name, value in defaults:
        parts += (name, b": ", value, b"\r\n")
    length_given = False
    close_given = False
    lines = []
    for name, value in response.headers.items():
        text = value if type(value) is str else str(value)
        if _BAD_NAME.search(name) or _BAD_VALUE.search(text):
            raise ValueError(f"invalid HTTP header {name!r}")
        # Names go out lower-cased, as uvicorn's way writes them.
        lower = name.lower()
        if lower == "content-length":
            length_given = True
        elif lower == "connection" and "close" in text.lower():
            close_given = True
        lines.append(f"{lower}: {text}\r\n")
    if not length_given and response.status != 204:
        # A 204 carries no Content-Length (RFC 9110 8.6), as AWS's answers do not.
        lines.append(f"content-length: {len(body)}\r\n")
    if not keep_alive and not close_given:
        lines.append("connection: close\r\n")
    lines.append("\r\n")
    parts.append("".join(lines).encode("latin-1"))
    if not head_only and body:
        parts.append(bytes(body))
    return b"".join(parts)


def run_now(
    coroutine: Coroutine[Any, Any, Response], done: Callable[[Response | None, BaseException | None], None]
) -> asyncio.Task | None:
    """Run `coroutine` at once, as far as it goes without waiting, and call `done` with its
    result or exception when it ends. Most handlers never wait, so most requests finish here
    without a Task; one that does wait continues as a Task (which is returned). Like a Task,
    it runs in a context of its own (the store marks a transaction's owner in one)."""
    context = contextvars.copy_context()
    try:
        waiting_on = context.run(coroutine.send, None)
    except StopIteration as stop:
        done(stop.value, None)
        return None
    except BaseException as error:
        done(None, error)
        return None
    loop = asyncio.get_running_loop()
    return loop.create_task(_go_on(coroutine, waiting_on, done), context=context)


async def _go_on(coroutine: Coroutine[Any, Any, Response], waiting_on: Any, done: Callable) -> None:
    """What a Task does with a coroutine, from its first wait on: wait for what it yielded
    (a future, or None for a bare turn), then resume it; whatever the future raised is raised
    inside the coroutine when it resumes and reads the future."""
    while True:
        cancelled: asyncio.CancelledError | None = None
        try:
            if waiting_on is None:
                await asyncio.sleep(0)
            else:
                waiting_on._asyncio_future_blocking = False
                await asyncio.wait((waiting_on,))
        except asyncio.CancelledError as stop:
            if waiting_on is not None:
                waiting_on.cancel()
            cancelled = stop
        try:
            waiting_on = coroutine.send(None) if cancelled is None else coroutine.throw(cancelled)
        except StopIteration as stop:
            done(stop.value, None)
            return
        except BaseException as error:
            done(None, error)
            return
