"""The X-Ray daemon's UDP protocol, which the AWS X-Ray SDKs send segments to (127.0.0.1:2000
unless AWS_XRAY_DAEMON_ADDRESS says otherwise): each datagram is a header line
`{"format": "json", "version": 1}` and one segment document.

The socket is bound when the server starts: an idle UDP socket costs no memory or time worth
measuring, and the SDKs send without any API call first that could start it later. The X-Ray
service itself (and its filter-language parser) loads only when the first datagram arrives.
A segment belongs to the account whose trace it continues (a traced Lambda function's),
otherwise to the default account and region, as the daemon's own credentials would say."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from overcast.runtime import Runtime

log = logging.getLogger(__name__)


def split_datagram(data: bytes) -> str | None:
    """The segment document of one daemon datagram, or None when its header is not X-Ray's."""
    header, newline, body = data.partition(b"\n")
    if not newline:
        return None
    try:
        parsed = json.loads(header)
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
    """The listening socket, once bound."""

    def __init__(self, runtime: Runtime, address: tuple[str, int]) -> None:
        self.runtime = runtime
        self.address = address
        self.transport: asyncio.DatagramTransport | None = None

    async def listen(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Protocol(self.runtime), local_addr=self.address
            )
        except OSError as error:
            host, port = self.address
            log.warning(
                "X-Ray daemon address %s:%d is not available (%s): no UDP segments", host, port, error
            )
            return
        self.transport = transport

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None
