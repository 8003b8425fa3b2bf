"""The one scheduler (DESIGN.md §5): timers and schedules of every service fire from here, on a
clock tests can speed up.

A service keeps its schedules durable in its own tables (a rule's expression, a schedule's next
due time) and registers each with `runtime.scheduler.at(key, due, callback)` when it starts
and whenever one changes: the scheduler holds only the in-memory timers, one task sleeping
until the earliest, so idle costs nothing and a restart re-registers from the store.
`callback(key, due)` (sync or async) runs on the event loop once `due` has come, within a few
milliseconds; it registers the next firing itself.

Times are epoch seconds on the scheduler's clock, `now()`. OVERCAST_SCHEDULE_SPEED (default 1)
makes that clock run faster than the wall clock from the moment Overcast starts: at 60, a
`rate(1 minute)` fires every real second and cron expressions meet their minutes sixty times
sooner, so tests see schedules fire without waiting for them.
"""

from __future__ import annotations

import asyncio
import heapq
import inspect
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from overcast.config import tuning

if TYPE_CHECKING:
    from overcast.runtime import Runtime

log = logging.getLogger(__name__)

SPEED_SETTING = "OVERCAST_SCHEDULE_SPEED"
Callback = Callable[[str, float], Any]


class Scheduler:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self.speed = tuning(SPEED_SETTING) or 1.0
        self._anchor = time.time()
        self._timers: dict[str, tuple[float, Callback]] = {}
        self._heap: list[tuple[float, str]] = []
        self._wake: asyncio.Event | None = None
        self._running = False

    def now(self) -> float:
        """The scheduler's clock: the wall clock, sped up by OVERCAST_SCHEDULE_SPEED."""
        real = time.time()
        return self._anchor + (real - self._anchor) * self.speed

    def real_delay(self, due: float) -> float:
        """Real seconds until the scheduler's clock shows `due`."""
        return max(0.0, (due - self.now()) / self.speed)

    def at(self, key: str, due: float, callback: Callback) -> None:
        """Call `callback(key, due)` once the clock shows `due`; replaces the key's timer."""
        self._timers[key] = (due, callback)
        heapq.heappush(self._heap, (due, key))
        if self._wake is not None:
            self._wake.set()
        if not self._running:
            self._running = True
            self._runtime.spawn(self._run(), name="scheduler")

    def cancel(self, key: str) -> None:
        """Forget a key's timer (its heap entry is skipped when it comes up)."""
        self._timers.pop(key, None)

    def cancel_prefix(self, prefix: str) -> None:
        for key in [key for key in self._timers if key.startswith(prefix)]:
            del self._timers[key]

    def pending(self, key: str) -> float | None:
        timer = self._timers.get(key)
        return timer[0] if timer else None

    async def _run(self) -> None:
        self._wake = asyncio.Event()
        try:
            while True:
                self._fire_due()
                while self._heap and self._stale(self._heap[0]):
                    heapq.heappop(self._heap)
                if not self._heap:
                    return
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), self.real_delay(self._heap[0][0]))
                except TimeoutError:
                    pass
        finally:
            self._running = False
            self._wake = None

    def _stale(self, item: tuple[float, str]) -> bool:
        timer = self._timers.get(item[1])
        return timer is None or timer[0] != item[0]

    def _fire_due(self) -> None:
        now = self.now()
        while self._heap and self._heap[0][0] <= now:
            due, key = heapq.heappop(self._heap)
            timer = self._timers.get(key)
            if timer is None or timer[0] != due:
                continue
            del self._timers[key]
            try:
                result = timer[1](key, due)
                if inspect.isawaitable(result):
                    self._runtime.spawn(_await(result), name=f"schedule {key}")
            except Exception:
                log.exception("scheduled work %s failed", key)


async def _await(result: Any) -> None:
    await result
