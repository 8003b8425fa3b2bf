"""The DNS server: the engine's answers over UDP and TCP (RFC 1035 §4.2.2 length-prefixed
messages) on the configured address. Bound when the first hosted zone exists, or at start
when the setting asks for it."""

from __future__ import annotations

import asyncio
import inspect
import logging
import struct
from collections.abc import Awaitable
from functools import partial
from typing import Any

from overcast.services.route53.engine import Engine, respond

log = logging.getLogger(__name__)
#: Seconds a TCP client may take to send a message before its connection is closed.
READ_TIMEOUT = 10.0


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.transport: asyncio.DatagramTransport | None = None
        #: forwarded queries awaiting their answer (held so they are not collected midway)
        self.pending: set[asyncio.Future[None]] = set()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            resolver = self.engine.resolver
            if resolver is None:
                reply = respond(self.engine, data, addr[0], None)
            else:
                result = resolver.answer(
                    data, addr[0], addr[1], "UDP", lambda: respond(self.engine, data, addr[0], None)
                )
                if inspect.isawaitable(result):
                    task = asyncio.ensure_future(self._send_later(result, addr))
                    self.pending.add(task)
                    task.add_done_callback(self.pending.discard)
                    return
                reply = result
        except Exception:  # one malformed query must not stop the server
            log.exception("DNS: a query could not be answered")
            return
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)

    async def _send_later(self, result: Awaitable[bytes | None], addr: Any) -> None:
        try:
            reply = await result
        except Exception:
            log.exception("DNS: a forwarded query could not be answered")
            return
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)


class DnsServer:
    def __init__(self, engine: Engine, address: tuple[str, int]) -> None:
        self.engine = engine
        self.address = address
        self.bound: tuple[str, int] | None = None
        self.transport: asyncio.DatagramTransport | None = None
        self.tcp: asyncio.Server | None = None
        self.problem: str | None = None

    async def listen(self) -> None:
        loop = asyncio.get_running_loop()
        host, port = self.address
        try:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Udp(self.engine), local_addr=(host, port)
            )
        except OSError as error:
            self.problem = f"{host}:{port} is not available ({error})"
            log.warning("Route 53 DNS server: %s", self.problem)
            return
        self.transport = transport
        bound = transport.get_extra_info("sockname")
        self.bound = (bound[0], bound[1])
        try:
            self.tcp = await asyncio.start_server(self._serve_tcp, host, self.bound[1])
        except OSError as error:
            log.warning("Route 53 DNS server: TCP %s:%d is not available (%s)", host, self.bound[1], error)
        log.info("Route 53 DNS server listening on %s:%d (UDP and TCP)", *self.bound)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None
        if self.tcp is not None:
            self.tcp.close()
            self.tcp = None
        self.bound = None

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername") or ("127.0.0.1", 0)
        try:
            while True:
                head = await asyncio.wait_for(reader.readexactly(2), READ_TIMEOUT)
                (size,) = struct.unpack("!H", head)
                data = await asyncio.wait_for(reader.readexactly(size), READ_TIMEOUT)
                resolver = self.engine.resolver
                if resolver is None:
                    reply = respond(self.engine, data, peer[0], 65535, "TCP")
                else:
                    result = resolver.answer(
                        data,
                        peer[0],
                        peer[1],
                        "TCP",
                        partial(respond, self.engine, data, peer[0], 65535, "TCP"),
                    )
                    reply = await result if inspect.isawaitable(result) else result
                if reply is None:
                    break
                writer.write(struct.pack("!H", len(reply)) + reply)
                await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
