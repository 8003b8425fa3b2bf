"""The HTTP request and response as the protocol layer sees them: plain data, no server types."""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable
from urllib.parse import unquote, unquote_plus


@runtime_checkable
class Readable(Protocol):
    """A file-like body (an open file, S3's RangeReader): read in chunks, closed once sent."""

    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


#: What a response carries: bytes, or a body the server streams out (S3 GetObject, export).
ResponseBody = bytes | bytearray | Readable | Iterable[bytes] | AsyncIterable[bytes]


class cached_property:
    """Computed on first access, then an ordinary instance attribute."""

    def __init__(self, function) -> None:
        self.function = function
        self.name = function.__name__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.function(instance)
        return value


def parse_qs(text: str) -> dict[str, list[str]]:
    """`urllib.parse.parse_qs(text, keep_blank_values=True)`, at a third of the cost: most names
    and values on AWS requests have nothing to unquote."""
    result: dict[str, list[str]] = {}
    for pair in text.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        if "%" in name or "+" in name:
            name = unquote_plus(name)
        if "%" in value or "+" in value:
            value = unquote_plus(value)
        if name in result:
            result[name].append(value)
        else:
            result[name] = [value]
    return result


#: The ASGI scope key the server sets when a request's body stalls.
BODY_STALLED = "overcast.body_stalled"


class ClientGone(ConnectionError):
    """The client closed the connection before sending the whole body."""


class BodyStalled(ConnectionError):
    """The client stopped sending the body: nothing arrived for the idle timeout."""


class BodyTooLarge(Exception):
    """The body passed the size its reader allows (the rest is left unread)."""


class BodyStream:
    """A request body still arriving: the first chunk the server received and the ASGI
    `receive` that yields the rest. Operations whose input is a streaming blob (S3 PutObject,
    UploadPart) get it as their payload member and consume it chunk by chunk; for every other
    request the dispatcher reads it whole first, up to the service's limit (bodylimits.py).
    A body the server marked stalled in the request's ASGI `scope` (server.http_protocol)
    raises BodyStalled."""

    __slots__ = ("_done", "_first", "_receive", "_scope", "aws_chunked", "chunk_signer")

    def __init__(self, first: bytes, receive, scope: dict | None = None) -> None:
        self._first = first
        self._receive = receive
        self._scope = scope if scope is not None else {}
        self._done = False
        #: Set by the protocol layer when the body is `aws-chunked` framing, left to decode.
        self.aws_chunked = False
        #: Set when the request's signature was verified and its chunks are signed too: the
        #: signing.ChunkSigner the decoder checks each chunk with.
        self.chunk_signer = None

    async def chunks(self):
        """The body's chunks as they arrive (once)."""
        if self._done:
            return
        self._done = True
        if self._first:
            yield self._first
        self._first = b""
        scope = self._scope
        while True:
            if scope.get(BODY_STALLED):
                raise BodyStalled("the client stopped sending the body")
            message = await self._receive()
            if scope.get(BODY_STALLED):
                raise BodyStalled("the client stopped sending the body")
            if message["type"] == "http.disconnect":
                raise ClientGone("client disconnected before sending the whole body")
            chunk = message.get("body", b"")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return

    async def read(self, limit: int | None = None) -> bytes:
        """The whole body; BodyTooLarge as soon as more than `limit` bytes have arrived."""
        parts = []
        size = 0
        async for chunk in self.chunks():
            size += len(chunk)
            if limit is not None and size > limit:
                raise BodyTooLarge(f"the body is larger than {limit} bytes")
            parts.append(chunk)
        return b"".join(parts)


@dataclass
class Request:
    method: str
    #: The path as received, still percent-encoded (S3 keys need the exact bytes).
    raw_path: str
    #: The query string as received, without the leading "?".
    query_string: str
    #: Header names lower-cased; repeated headers joined with ", ".
    headers: dict[str, str]
    #: The body, or a BodyStream while a large body is still arriving (see BodyStream).
    body: bytes = b""
    client_ip: str = "127.0.0.1"
    scheme: str = "http"
    #: The client's TCP port (0 when unknown): with its address it names the client's socket.
    client_port: int = 0

    @cached_property
    def path(self) -> str:
        """The decoded path."""
        return unquote(self.raw_path)

    @cached_property
    def query(self) -> dict[str, list[str]]:
        """Query parameters, every value a list (blank values kept: `?acl` is {'acl': ['']})."""
        if not self.query_string:
            return {}
        return parse_qs(self.query_string)

    @cached_property
    def form(self) -> dict[str, list[str]]:
        """The url-encoded form body (query/ec2 protocols), merged over the query string."""
        merged = dict(self.query)
        if (
            self.body
            and type(self.body) is bytes
            and "x-www-form-urlencoded" in self.headers.get("content-type", "")
        ):
            try:
                text = self.body.decode("utf-8")
            except UnicodeDecodeError:
                return merged
            merged.update(parse_qs(text))
        return merged

    def rewrite_path(self, raw_path: str) -> None:
        """Route as if the client had sent this path (virtual-hosted S3 → path style). The
        path as sent stays in `wire_path`: a signature covers that one."""
        self.__dict__.setdefault("wire_path", self.raw_path)
        self.raw_path = raw_path
        self.__dict__.pop("path", None)

    @property
    def host(self) -> str:
        return self.headers.get("host", "")


@dataclass
class Response:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: ResponseBody = b""
