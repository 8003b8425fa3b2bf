"""The X-Ray daemon's UDP protocol, which the AWS X-Ray SDKs send segments to (127.0.0.1:2000
unless AWS_XRAY_DAEMON_ADDRESS says otherwise): each datagram is a header line
`{"format": "json", "version": 1}` and one segment document. On the same address over TCP
the daemon proxies the sampling API the SDKs poll without signing (GetSamplingRules and
GetSamplingTargets, as X-Ray's own rest-json requests), answered for the default account.

The socket is bound when the server starts: an idle UDP socket costs no memory or time worth
measuring, and the SDKs send without any API call first that could start it later. The X-Ray
service itself (and its filter-language parser) loads only when the first datagram arrives.
A segment belongs to the account whose trace it continues (a traced Lambda function's),
otherwise to the default account and region, as the daemon's own credentials would say."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from overcast.common import jsontext
from overcast.context import DEFAULT_ACCOUNT, DEFAULT_REGION, RequestContext
from overcast.errors import ServiceError

if TYPE_CHECKING:
    from overcast.runtime import Runtime

log = logging.getLogger(__name__)

#: The sampling API the daemon proxies: request path → X-Ray operation handler.
PROXIED = {"/GetSamplingRules": "get_sampling_rules", "/SamplingTargets": "get_sampling_targets"}
MAX_BODY = 1 << 20
#: The members of the proxied requests' documents, by type (the optional ones marked), checked
#: here as the API's parser checks them.
_DOCUMENTS: dict[str, dict[str, tuple[type | tuple[type, ...], bool]]] = {
    "SamplingStatisticsDocuments": {
        "RuleName": (str, True),
        "ClientID": (str, True),
        "Timestamp": ((int, float), True),
        "RequestCount": (int, True),
        "SampledCount": (int, True),
        "BorrowCount": (int, False),
    },
    "SamplingBoostStatisticsDocuments": {
        "RuleName": (str, True),
        "ServiceName": (str, True),
        "Timestamp": ((int, float), True),
        "AnomalyCount": (int, True),
        "TotalCount": (int, True),
        "SampledAnomalyCount": (int, True),
    },
}
#: Seconds a proxy connection may take to send a request before it is closed.
READ_TIMEOUT = 10.0


def split_datagram(data: bytes) -> str | None:
    """The segment document of one daemon datagram, or None when its header is not X-Ray's."""
    header, newline, body = data.partition(b"\n")
    if not newline:
        return None
    try:
        parsed = jsontext.loads(header)
    except ValueError:
        return None
    if not isinstance(parsed, dict) or parsed.get("format") != "json" or parsed.get("version") != 1:
        return None
    try:
        return body.decode()
    except UnicodeDecodeError:
        return None


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def datagram_received(self, data: bytes, addr: Any) -> None:
        document = split_datagram(data)
        if document is None:
            return
        try:
            self.runtime.provider("xray").accept_daemon_segment(document)
        except Exception:  # one bad datagram must not stop the listener
            log.exception("X-Ray daemon: a segment could not be stored")


class Daemon:
    """The listening sockets, once bound."""

    def __init__(self, runtime: Runtime, address: tuple[str, int]) -> None:
        self.runtime = runtime
        self.address = address
        self.transport: asyncio.DatagramTransport | None = None
        self.proxy: asyncio.Server | None = None

    async def listen(self) -> None:
        loop = asyncio.get_running_loop()
        host, port = self.address
        try:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Protocol(self.runtime), local_addr=self.address
            )
        except OSError as error:
            log.warning(
                "X-Ray daemon address %s:%d is not available (%s): no UDP segments", host, port, error
            )
            return
        self.transport = transport
        try:
            self.proxy = await asyncio.start_server(self._serve, host, port)
        except OSError as error:
            log.warning(
                "X-Ray daemon address %s:%d (TCP) is not available (%s): no sampling proxy", host, port, error
            )

    def close(self) -> None:
        # The loop may have closed first (a runtime closed after its loop): nothing is left
        # to schedule the sockets' closing on, and the process's end closes them.
        with contextlib.suppress(RuntimeError):
            if self.transport is not None:
                self.transport.close()
            if self.proxy is not None:
                self.proxy.close()
        self.transport = None
        self.proxy = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await asyncio.wait_for(reader.readline(), READ_TIMEOUT)
                if not line:
                    break
                method, path, _version = line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while True:
                    header = await asyncio.wait_for(reader.readline(), READ_TIMEOUT)
                    if header in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = header.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                if not 0 <= length <= MAX_BODY:
                    break
                body = await asyncio.wait_for(reader.readexactly(length), READ_TIMEOUT) if length else b""
                status, payload = self.answer(method, path.split("?")[0], body)
                reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}[status]
                head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/x-amz-json-1.1\r\n"
                writer.write(f"{head}Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
                await writer.drain()
        except (ValueError, TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            pass  # a malformed or stalled request ends its connection
        finally:
            writer.close()

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        """One proxied sampling request: (HTTP status, JSON body)."""
        operation = PROXIED.get(path) if method == "POST" else None
        if operation is None:
            return 404, json.dumps(
                {"__type": "UnknownOperationException", "message": f"{method} {path}"}
            ).encode()
        try:
            params = jsontext.loads(body or b"{}")
            _check(operation, params)
            context = RequestContext.internal("xray", DEFAULT_ACCOUNT, DEFAULT_REGION)
            result = getattr(self.runtime.provider("xray"), operation)(context, params)
        except ServiceError as error:
            return 400, json.dumps({"__type": error.code, "message": error.message}).encode()
        except (ValueError, KeyError, TypeError) as error:
            return 400, json.dumps({"__type": "InvalidRequestException", "message": str(error)}).encode()
        return 200, json.dumps(result, default=_json_time).encode()


def _check(operation: str, params: Any) -> None:
    """ValueError unless `params` is the operation's input, with its members' types."""
    if not isinstance(params, dict):
        raise ValueError("the body is not a JSON object")
    if operation == "get_sampling_rules":
        if not isinstance(params.get("NextToken", ""), str):
            raise ValueError("NextToken must be a string")
        return
    if not isinstance(params.get("SamplingStatisticsDocuments"), list):
        raise ValueError("SamplingStatisticsDocuments is required")
    for key, fields in _DOCUMENTS.items():
        for document in params.get(key) or ():
            if not isinstance(document, dict):
                raise ValueError(f"{key} holds a non-object")
            for name, (kind, required) in fields.items():
                value = document.get(name)
                if value is None and not required:
                    continue
                if isinstance(value, bool) or not isinstance(value, kind):
                    raise ValueError(f"{key}.{name} is missing or of the wrong type")


def _json_time(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON")
