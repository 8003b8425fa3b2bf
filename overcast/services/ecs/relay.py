"""Where a `bridge` task's containers reach Overcast. On Docker's bridge network the host is
the bridge's gateway address (172.17.0.1 by default), and Overcast usually listens on
127.0.0.1 only; so Overcast relays connections made to the gateway address, on its own port
when free, to its real address. The relay starts with the first bridge task and listens only
on the bridge's address: what reaches it is the machine's own containers."""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(ConnectionError, OSError):
            writer.close()


class Relay:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.server: asyncio.Server | None = None
        self.address: tuple[str, int] | None = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))

    async def listen(self, host: str, port: int) -> tuple[str, int]:
        """Listen on host:port (another free port when that one is taken): the address."""
        if self.server is not None and self.address is not None:
            return self.address
        try:
            self.server = await asyncio.start_server(self._serve, host, port)
        except OSError:
            self.server = await asyncio.start_server(self._serve, host, 0)
        bound = self.server.sockets[0].getsockname()
        self.address = (host, int(bound[1]))
        log.info("relaying %s:%d to Overcast for bridge tasks", *self.address)
        return self.address

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
            self.address = None
