"""The kept-alive HTTP client of API Gateway's HTTP integrations, against a loopback server
that answers as real backends do: by length, chunked, to the connection's end, and closing
an idle connection under a client about to reuse it."""

from __future__ import annotations

import asyncio

import pytest

from overcast.common import outbound


async def _serve(answers: list[bytes], seen: list[bytes], close_after_each: bool = False):
    """A server answering each request on a connection with the next answer in `answers`."""
    queue = list(answers)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while queue:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                seen.append(head + (await reader.readexactly(length) if length else b""))
                writer.write(queue.pop(0))
                await writer.drain()
                if close_after_each:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def test_answers_by_length_chunked_and_to_the_end_reuse_the_connection_while_they_can():
    async def scenario() -> None:
        seen: list[bytes] = []
        server, port = await _serve(
            [
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nX-A: 2\r\n\r\nhello",
                b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
                b"HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\nto the end",
            ],
            seen,
        )
        pool = outbound.Pool()
        first = await pool.request("http", "127.0.0.1", port, "GET", "/a?b=c", {"x-in": "1"}, None, 5)
        assert (first.status, first.body) == (200, b"hello")
        assert first.headers == [("Content-Length", "5"), ("X-A", "1"), ("X-A", "2")]
        second = await pool.request("http", "127.0.0.1", port, "POST", "/b", {}, b'{"k": 1}', 5)
        assert (second.status, second.body) == (201, b"abcde")
        third = await pool.request("http", "127.0.0.1", port, "PUT", "/c", {"Host": "api.example"}, None, 5)
        assert (third.status, third.body) == (404, b"to the end")
        assert seen[0].startswith(b"GET /a?b=c HTTP/1.1\r\n")
        assert f"Host: 127.0.0.1:{port}\r\n".encode() in seen[0] and b"x-in: 1\r\n" in seen[0]
        assert seen[1].endswith(b'Content-Length: 8\r\n\r\n{"k": 1}')
        assert b"Host: api.example\r\n" in seen[2] and b"Content-Length: 0\r\n" in seen[2]
        assert b"Host: 127.0.0.1" not in seen[2]
        # One connection carried all three (the server's handler saw them in one loop).
        assert len(seen) == 3
        pool.close()
        server.close()

    asyncio.run(scenario())


def test_a_connection_the_backend_closed_while_idle_is_replaced_not_failed():
    async def scenario() -> None:
        seen: list[bytes] = []
        answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        server, port = await _serve([answer, answer], seen, close_after_each=True)
        pool = outbound.Pool()
        assert (await pool.request("http", "127.0.0.1", port, "GET", "/", {}, None, 5)).body == b"ok"
        await asyncio.sleep(0.05)  # the server has closed its end of the kept connection
        assert (await pool.request("http", "127.0.0.1", port, "GET", "/", {}, None, 5)).body == b"ok"
        assert len(seen) == 2
        pool.close()
        server.close()

    asyncio.run(scenario())


def test_a_backend_that_does_not_answer_in_time_times_out_and_a_closed_port_fails():
    async def scenario() -> None:
        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await asyncio.sleep(1)

        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        pool = outbound.Pool()
        with pytest.raises(TimeoutError):
            await pool.request("http", "127.0.0.1", port, "GET", "/", {}, None, 0.2)
        server.close()
        await server.wait_closed()
        with pytest.raises(OSError):
            await pool.request("http", "127.0.0.1", port, "GET", "/", {}, None, 2)
        pool.close()

    asyncio.run(scenario())
