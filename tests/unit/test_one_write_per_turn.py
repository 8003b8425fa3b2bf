"""The server's transport wrapper: a response's head and body leave in one write per loop turn;
large writes go at once and in order; closing sends what waits first."""

from __future__ import annotations

import asyncio

from overcast.server import OneWritePerTurn


class Recording:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        assert not self.closed
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str):
        return ("127.0.0.1", 4566) if name == "sockname" else None


def test_small_writes_of_one_turn_leave_as_one():
    async def run() -> list[bytes]:
        transport = Recording()
        wrapped = OneWritePerTurn(transport, asyncio.get_running_loop())
        wrapped.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        wrapped.write(b"ok")
        assert transport.writes == []  # not yet: the turn is not over
        await asyncio.sleep(0)
        wrapped.write(b"next")
        await asyncio.sleep(0)
        return transport.writes

    assert asyncio.run(run()) == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok", b"next"]


def test_a_large_write_goes_at_once_after_what_waits():
    async def run() -> list[bytes]:
        transport = Recording()
        wrapped = OneWritePerTurn(transport, asyncio.get_running_loop())
        wrapped.write(b"head")
        chunk = b"x" * (1 << 20)
        wrapped.write(chunk)
        assert transport.writes == [b"head", chunk]  # nothing held back: a stream stays unbuffered
        await asyncio.sleep(0)
        return transport.writes

    assert asyncio.run(run()) == [b"head", b"x" * (1 << 20)]


def test_close_sends_what_waits_and_the_rest_is_the_transports():
    async def run() -> Recording:
        transport = Recording()
        wrapped = OneWritePerTurn(transport, asyncio.get_running_loop())
        wrapped.write(b"bye")
        wrapped.close()
        assert wrapped.get_extra_info("sockname") == ("127.0.0.1", 4566)
        await asyncio.sleep(0)  # the scheduled flush finds nothing left
        return transport

    transport = asyncio.run(run())
    assert transport.writes == [b"bye"] and transport.closed


def test_writes_waiting_when_the_connection_is_lost_are_dropped():
    async def run() -> Recording:
        transport = Recording()
        wrapped = OneWritePerTurn(transport, asyncio.get_running_loop())
        wrapped.write(b"late")
        transport.close()  # the client went away before the turn ended
        await asyncio.sleep(0)
        return transport

    assert asyncio.run(run()).writes == []
