"""The short way through the server (overcast/exchange.py): running a handler at once, and
writing its response as one HTTP message."""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from overcast import exchange
from overcast.http import Response

STATUS = {200: b"HTTP/1.1 200 OK\r\n", 204: b"HTTP/1.1 204 No Content\r\n"}


def test_a_handler_that_never_waits_is_answered_without_a_task():
    async def handler() -> Response:
        return Response(200, {}, b"hi")

    seen = []

    async def main():
        task = exchange.run_now(handler(), lambda response, error: seen.append((response, error)))
        assert task is None
        assert seen and seen[0][0].body == b"hi" and seen[0][1] is None

    asyncio.run(main())


def test_a_handler_that_waits_goes_on_as_a_task_and_reads_what_it_waited_for():
    async def main():
        future = asyncio.get_running_loop().create_future()
        failing = asyncio.get_running_loop().create_future()

        async def handler() -> Response:
            await asyncio.sleep(0)  # a bare turn
            value = await future
            try:
                await failing
            except KeyError as error:
                value += f" and {error.args[0]}"
            return Response(200, {}, value.encode())

        seen = []
        task = exchange.run_now(handler(), lambda response, error: seen.append((response, error)))
        assert task is not None and not seen
        await asyncio.sleep(0)
        future.set_result("waited")
        failing.set_exception(KeyError("caught"))
        await task
        assert seen[0][0].body == b"waited and caught"

    asyncio.run(main())


def test_a_failing_handler_reports_its_exception():
    async def main():
        async def at_once() -> Response:
            raise ValueError("no")

        async def later() -> Response:
            await asyncio.sleep(0)
            raise LookupError("later")

        seen = []
        assert exchange.run_now(at_once(), lambda response, error: seen.append(error)) is None
        task = exchange.run_now(later(), lambda response, error: seen.append(error))
        await task
        assert [type(error) for error in seen] == [ValueError, LookupError]

    asyncio.run(main())


def test_each_request_runs_in_a_context_of_its_own():
    mark: contextvars.ContextVar[str] = contextvars.ContextVar("mark", default="unset")

    async def handler(value: str) -> Response:
        before = mark.get()
        mark.set(value)
        await asyncio.sleep(0)
        return Response(200, {}, f"{before}->{mark.get()}".encode())

    async def main():
        seen: list[bytes] = []
        tasks = [
            exchange.run_now(handler(name), lambda response, error: seen.append(response.body))
            for name in ("a", "b")
        ]
        await asyncio.gather(*[task for task in tasks if task is not None])
        assert sorted(seen) == [b"unset->a", b"unset->b"]
        assert mark.get() == "unset"

    asyncio.run(main())


def test_a_cancelled_request_is_cancelled_where_it_waits():
    async def main():
        cleaned = []

        async def handler() -> Response:
            try:
                await asyncio.sleep(60)
            finally:
                cleaned.append(True)
            return Response(200)

        seen = []
        task = exchange.run_now(handler(), lambda response, error: seen.append(error))
        await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert cleaned == [True]
        assert type(seen[0]) is asyncio.CancelledError

    asyncio.run(main())


def test_encode_writes_one_message_with_its_length():
    message = exchange.encode(
        Response(200, {"Content-Type": "text/xml"}, b"<a/>"), False, True, STATUS, [(b"date", b"D")]
    )
    assert message == b"HTTP/1.1 200 OK\r\ndate: D\r\ncontent-type: text/xml\r\ncontent-length: 4\r\n\r\n<a/>"


def test_encode_head_no_content_and_closing():
    head = exchange.encode(Response(200, {}, b"abc"), True, True, STATUS, [])
    assert head == b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\n"
    empty = exchange.encode(Response(204, {}, b""), False, True, STATUS, [])
    assert empty == b"HTTP/1.1 204 No Content\r\n\r\n"
    closing = exchange.encode(Response(200, {"Content-Length": "0"}, b""), False, False, STATUS, [])
    assert closing == b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    unknown = exchange.encode(Response(299, {}, b""), False, True, STATUS, [])
    assert unknown.startswith(b"HTTP/1.1 299 \r\n")


@pytest.mark.parametrize("name, value", [("x-a", "one\r\nx-b: two"), ("bad name", "v"), ("x-c", "\x00")])
def test_encode_refuses_a_header_that_would_split_the_message(name, value):
    with pytest.raises(ValueError):
        exchange.encode(Response(200, {name: value}, b""), False, True, STATUS, [])


def test_headers_of_joins_repeated_headers():
    assert exchange.headers_of([(b"a", b"1"), (b"b", b"2"), (b"a", b"3")]) == {"a": "1, 3", "b": "2"}
    assert exchange.headers_of([(b"a", b"\xe9")]) == {"a": "é"}


def test_no_request_path_code_needs_a_task_of_its_own():
    """A handler runs outside a Task until it first waits (exchange.run_now): asyncio.timeout,
    which needs the Task it would cancel, fails there; asyncio.wait_for does not."""
    from pathlib import Path

    package = Path(exchange.__file__).parent
    users = [
        str(p.relative_to(package)) for p in package.rglob("*.py") if "asyncio.timeout(" in p.read_text()
    ]
    assert users == []
