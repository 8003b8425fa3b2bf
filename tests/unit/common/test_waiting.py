"""`within`: wait for work with a time limit that leaves the work running when it passes."""

from __future__ import annotations

import asyncio

import pytest

from overcast.common.waiting import within


async def _later(seconds: float, value: str) -> str:
    await asyncio.sleep(seconds)
    return value


def test_answers_the_work_finished_in_time() -> None:
    async def main() -> str:
        return await within(asyncio.ensure_future(_later(0.01, "done")), 5)

    assert asyncio.run(main()) == "done"


def test_a_finished_future_answers_at_once() -> None:
    async def main() -> str:
        future = asyncio.get_running_loop().create_future()
        future.set_result("ready")
        return await within(future, 0)

    assert asyncio.run(main()) == "ready"


def test_the_work_raising_raises_its_error() -> None:
    async def fails() -> None:
        raise KeyError("gone")

    async def main() -> None:
        await within(asyncio.ensure_future(fails()), 5)

    with pytest.raises(KeyError):
        asyncio.run(main())


def test_timeout_leaves_the_work_running() -> None:
    async def main() -> tuple[bool, str]:
        work = asyncio.ensure_future(_later(0.1, "finished anyway"))
        timed_out = False
        try:
            await within(work, 0.01)
        except TimeoutError:
            timed_out = True
        assert not work.done()
        return timed_out, await work

    assert asyncio.run(main()) == (True, "finished anyway")


def test_cancelling_the_waiter_does_not_cancel_the_work() -> None:
    async def main() -> str:
        work = asyncio.ensure_future(_later(0.05, "kept"))
        waiter = asyncio.ensure_future(within(work, 5))
        await asyncio.sleep(0.01)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        return await work

    assert asyncio.run(main()) == "kept"
