"""The one scheduler: timers fire once their time comes on its clock, replaced and cancelled
timers do not, and OVERCAST_SCHEDULE_SPEED runs its clock faster than the wall clock."""

from __future__ import annotations

import asyncio
import time

from overcast.config import Config
from overcast.runtime import Runtime


def run_with_loop(runtime: Runtime, seconds: float) -> None:
    async def main() -> None:
        runtime.attach_loop(asyncio.get_running_loop())
        await asyncio.sleep(seconds)

    asyncio.run(main())


def test_timers_fire_in_order_once_due(runtime):
    fired: list[tuple[str, float]] = []
    now = runtime.scheduler.now()
    runtime.scheduler.at("b", now + 0.2, lambda key, due: fired.append((key, due)))
    runtime.scheduler.at("a", now + 0.1, lambda key, due: fired.append((key, due)))
    run_with_loop(runtime, 0.4)
    assert [key for key, _ in fired] == ["a", "b"]
    assert fired[0][1] == now + 0.1


def test_a_replaced_or_cancelled_timer_does_not_fire(runtime):
    fired: list[str] = []
    now = runtime.scheduler.now()
    runtime.scheduler.at("x", now + 0.05, lambda key, due: fired.append("first"))
    runtime.scheduler.at("x", now + 0.1, lambda key, due: fired.append("second"))
    runtime.scheduler.at("y", now + 0.05, lambda key, due: fired.append("cancelled"))
    runtime.scheduler.cancel("y")
    run_with_loop(runtime, 0.3)
    assert fired == ["second"]


def test_speed_runs_the_clock_faster(monkeypatch):
    monkeypatch.setenv("OVERCAST_SCHEDULE_SPEED", "100")
    runtime = Runtime(Config(data_dir=None))
    try:
        fired: list[float] = []
        runtime.scheduler.at(
            "minute", runtime.scheduler.now() + 60, lambda key, due: fired.append(time.monotonic())
        )
        started = time.monotonic()
        run_with_loop(runtime, 1.2)
        assert fired and fired[0] - started < 1.0  # sixty scheduler seconds in about 0.6 real ones
    finally:
        runtime.close()
