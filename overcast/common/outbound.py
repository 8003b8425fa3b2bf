"""HTTP/1.1 requests from the event loop to a backend (API Gateway's HTTP and HTTP_PROXY
integrations), over kept-alive connections: a request to a backend answered a moment ago reuses
that connection instead of a new TCP handshake and a thread to wait on it.

The request goes out as http.client would send it (Host unless given, Content-Length for a body
or an empty POST/PUT/PATCH, Accept-Encoding: identity unless given); the response is read by
Content-Length, chunked encoding or to the end of the connection."""

from __future__ import annotations

import asyncio
import ssl
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass

#: Idle connections kept per backend, and for how long: beyond that a backend (or its proxy)
#: may have closed its end, which a request would only find out by failing.
MAX_IDLE = 64
IDLE_SECONDS = 30.0
_MAX_HEAD = 1 << 16
_BODYLESS_STATUS = (204, 304)
_EMPTY_BODY_METHODS = ("POST", "PUT", "PATCH")


@dataclass
class Answer:
    status: int
    #: In the order received, repeated names repeated (http.client's getheaders()).
    headers: list[tuple[str, str]]
    body: bytes


class _Connection:
    __slots__ = ("reader", "used", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.used = time.monotonic()

    def close(self) -> None:
        try:
            self.writer.close()
        except Exception:  # already gone
            pass


class _Stale(Exception):
    """A reused connection the backend had closed before any answer came: try a new one."""


class Pool:
    def __init__(self) -> None:
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._ssl: ssl.SSLContext | None = None

    async def request(
        self,
        scheme: str,
        host: str,
        port: int | None,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
    ) -> Answer:
        """Send one request and read its answer; TimeoutError after `timeout` seconds, OSError
        when the backend cannot be reached or breaks the exchange."""
        port = port or (443 if scheme == "https" else 80)
        key = (scheme, host, port)
        data = _message(method, target, host, port, scheme, headers, body)
        # wait_for, not asyncio.timeout: a request's handler may run outside a Task
        # (exchange.py), and asyncio.timeout needs the Task it would cancel.
        return await asyncio.wait_for(self._send(key, scheme, host, port, method, data), timeout)

    async def _send(
        self, key: tuple[str, str, int], scheme: str, host: str, port: int, method: str, data: bytes
    ) -> Answer:
        while True:
            connection = self._take(key)
            reused = connection is not None
            if connection is None:
                connection = await self._open(scheme, host, port)
            try:
                answer, reusable = await _exchange(connection, data, method, reused)
            except _Stale:
                connection.close()
                continue
            except BaseException:
                connection.close()
                raise
            if reusable:
                self._give_back(key, connection)
            else:
                connection.close()
            return answer

    def close(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    def _take(self, key: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        cutoff = time.monotonic() - IDLE_SECONDS
        while idle:
            connection = idle.pop()
            if (
                connection.used >= cutoff
                and not connection.reader.at_eof()
                and not connection.writer.is_closing()
            ):
                return connection
            connection.close()
        return None

    def _give_back(self, key: tuple[str, str, int], connection: _Connection) -> None:
        idle = self._idle.setdefault(key, [])
        if len(idle) >= MAX_IDLE:
            connection.close()
            return
        connection.used = time.monotonic()
        idle.append(connection)

    async def _open(self, scheme: str, host: str, port: int) -> _Connection:
        context = None
        if scheme == "https":
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            context = self._ssl
        reader, writer = await asyncio.open_connection(host, port, ssl=context, limit=_MAX_HEAD)
        return _Connection(reader, writer)


def _message(
    method: str,
    target: str,
    host: str,
    port: int,
    scheme: str,
    headers: Mapping[str, str],
    body: bytes | None,
) -> bytes:
    given = {name.lower() for name in headers}
    lines = [f"{method} {target} HTTP/1.1"]
    if "host" not in given:
        default = 443 if scheme == "https" else 80
        name = f"[{host}]" if ":" in host else host
        lines.append(f"Host: {name}" if port == default else f"Host: {name}:{port}")
    if "accept-encoding" not in given:
        lines.append("Accept-Encoding: identity")
    if "content-length" not in given and "transfer-encoding" not in given:
        if body:
            lines.append(f"Content-Length: {len(body)}")
        elif method.upper() in _EMPTY_BODY_METHODS:
            lines.append("Content-Length: 0")
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
    return head + body if body else head


async def _exchange(connection: _Connection, data: bytes, method: str, reused: bool) -> tuple[Answer, bool]:
    reader, writer = connection.reader, connection.writer
    writer.write(data)
    try:
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if reused and not error.partial:
            raise _Stale() from None
        raise ConnectionError("the backend closed the connection") from None
    except asyncio.LimitOverrunError:
        raise ConnectionError("the backend's response head is too large") from None
    except ConnectionError:
        if reused:
            raise _Stale() from None
        raise
    lines = head[:-4].decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code = rest.partition(" ")[0]
    if not version.startswith("HTTP/") or not code.isdigit():
        raise ConnectionError("the backend's answer is not HTTP")
    status = int(code)
    headers: list[tuple[str, str]] = []
    length: int | None = None
    chunked = False
    keep_alive = version == "HTTP/1.1"
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name, value = name.strip(), value.strip()
        headers.append((name, value))
        lower = name.lower()
        if lower == "content-length" and value.isdigit():
            length = int(value)
        elif lower == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
        elif lower == "connection":
            tokens = value.lower()
            keep_alive = "close" not in tokens and (keep_alive or "keep-alive" in tokens)
    if 100 <= status < 200:  # an interim answer (100 Continue): the real one follows
        answer, reusable = await _exchange_rest(connection, method)
        return answer, reusable
    if method.upper() == "HEAD" or status in _BODYLESS_STATUS:
        return Answer(status, headers, b""), keep_alive
    try:
        if chunked:
            body = await _read_chunked(reader)
        elif length is not None:
            body = await reader.readexactly(length)
        else:
            body = await reader.read()
            keep_alive = False
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        raise ConnectionError("the backend closed the connection mid-answer") from None
    return Answer(status, headers, body), keep_alive


async def _exchange_rest(connection: _Connection, method: str) -> tuple[Answer, bool]:
    """After an interim answer: read the final one (nothing more to send)."""
    return await _exchange(connection, b"", method, False)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        try:
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
        except ValueError:
            raise ConnectionError("the backend's chunked answer is malformed") from None
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass  # trailers
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Pool] = weakref.WeakKeyDictionary()


def pool() -> Pool:
    """The running event loop's pool (a connection belongs to the loop that opened it)."""
    loop = asyncio.get_running_loop()
    found = _pools.get(loop)
    if found is None:
        found = _pools[loop] = Pool()
    return found
