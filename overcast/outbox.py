"""The outbox: deliveries between services that have not happened yet, kept in the store.

Each pending delivery is one row of the table "bus/outbox" (scope: the service that owns it,
see `owner_of`), written in whatever store transaction is open when it is added, so it
commits, or vanishes, with the state change that caused it. A row records the target ARN,
the message, the options for the target's ``deliver``, its retry schedule (the waits before
each retry), how many attempts were made, when the next one is due, and the *name* of its
failure handler with that handler's arguments. Nothing in a row is code: after a restart the
owning service re-registers its handlers when it starts, and the row resumes where it was.

A row goes away when the target takes the message, or when the attempts are used up (or the
target refuses for good) and the failure handler has run: the handler's own work (enqueueing
to a dead-letter queue) and the removal commit together.

An attempt whose target delivers synchronously runs inside one store transaction with the
entry's removal, so the target's writes and the removal commit at once. Idle costs nothing:
no task runs while no delivery waits for a later time. An entry due now is attempted by a
task spawned when it is added; entries due later wait in an in-memory heap
that one worker task sleeps on until the earliest is due (woken when an earlier one joins),
and the worker ends when the heap is empty.
"""

from __future__ import annotations

import asyncio
import collections
import heapq
import inspect
import itertools
import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from overcast.config import tuning
from overcast.faults import Condition, is_disk_full

if TYPE_CHECKING:
    from overcast.runtime import Runtime

log = logging.getLogger(__name__)

#: The row layout of "bus/outbox" (the "layout" field of every row).
OUTBOX_LAYOUT = 1
OUTBOX_SERVICE, OUTBOX_TABLE = "bus", "outbox"
#: Seconds every delivery is held before its first attempt (default 0). It opens, on purpose,
#: the window between a write and its deliveries, so a test can kill Overcast inside it.
HOLD_SETTING = "OVERCAST_DELIVERY_HOLD_SECONDS"

#: At most this many due entries are attempted in one store transaction.
_BATCH = 256
#: A failure handler: (message, reason, args) → None. It runs inside the store transaction
#: that removes the entry, so it must be synchronous and must not await; what it hands on
#: (a dead-letter delivery) commits with that removal.
FailureHandler = Callable[[Any, str, dict], None]
#: One attempt: the bus's hand_over, which returns the target's result (or the awaitable of an
#: asynchronous target) and raises DeliveryError (with its `retryable`) when it refuses.
Attempt = Callable[..., Any]


def hold_seconds() -> float:
    return tuning(HOLD_SETTING)


def backoff_delays(attempts: int, backoff: float) -> list[float]:
    """The waits before each retry of `attempts` tries with exponential backoff: backoff,
    2×backoff, 4×backoff, ..."""
    return [backoff * 2**retry for retry in range(max(1, attempts) - 1)]


def owner_of(target_arn: str, on_failure: str | None) -> str:
    """The service an entry belongs to: the one that named its failure handler (it must run
    to register the handler), else the target's."""
    if on_failure:
        return on_failure.partition(".")[0]
    parts = target_arn.split(":", 3)
    return parts[2] if len(parts) > 2 and parts[2] else "bus"


def new_entry(
    target_arn: str,
    message: Any,
    options: dict,
    delays: Sequence[float],
    on_failure: str | None,
    failure_args: dict | None,
    due: float,
) -> dict:
    return {
        "layout": OUTBOX_LAYOUT,
        "target": target_arn,
        "message": message,
        "options": options,
        "delays": [float(delay) for delay in delays],
        "attempts": 0,
        "due": due,
        "on_failure": on_failure,
        "failure_args": failure_args or {},
    }


def next_step(entry: dict, retryable: bool, now: float) -> float | None:
    """After a failed attempt (entry["attempts"] already counts it): when to try again, or
    None when the schedule is used up or retrying cannot help."""
    attempts, delays = entry["attempts"], entry["delays"]
    if not retryable or attempts > len(delays):
        return None
    return now + delays[attempts - 1]


class Outbox:
    def __init__(self, runtime: Runtime, attempt: Attempt) -> None:
        self._runtime = runtime
        self._attempt_delivery = attempt
        self._table = runtime.store.table(OUTBOX_SERVICE, OUTBOX_TABLE)
        self._hold = hold_seconds()
        # Keys are ordered by creation, and unique across restarts while the clock moves on.
        self._keys = itertools.count(time.time_ns())
        self._handlers: dict[str, FailureHandler] = {}
        #: (due, owner, key) of entries waiting for a later time.
        self._heap: list[tuple[float, str, str]] = []
        #: Keys of entries scheduled or being attempted: resume() must not start them twice.
        self._active: set[str] = set()
        self._worker_running = False
        #: A delivery that cannot write for want of space, logged once while it lasts.
        self._disk_full = Condition(log, "outbox deliveries")
        self._wake: asyncio.Event | None = None
        #: Entries due now, attempted together by one drain task: (owner, key, entry or None
        #: when it must be read). A deque: threads that commit entries append to it.
        self._ready: collections.deque[tuple[str, str, dict | None]] = collections.deque()
        self._draining = False
        #: Delivered entries whose rows are deleted together, once per turn of the loop.
        self._delivered: list[tuple[str, str]] = []
        runtime.store.on_reset(self._forget)

    # -- registration and adding --------------------------------------------------------------

    def register(self, name: str, handler: FailureHandler) -> None:
        """Make `handler` the failure handler called `name` ("<service>.<what>")."""
        if "." not in name:
            raise ValueError(f"a failure handler is named '<service>.<name>', not {name!r}")
        self._handlers[name] = handler

    def add(self, entry: dict) -> str:
        """Write the entry (inside the open store transaction, if any) and schedule it."""
        owner = owner_of(entry["target"], entry["on_failure"])
        key = f"{next(self._keys):020d}"
        if self._hold:
            entry["due"] += self._hold
        self._table.put(owner, key, entry)
        # Nothing is attempted before the row is committed, nor ever if its transaction is undone.
        self._runtime.store.after_commit(lambda: self._committed(owner, key, entry))
        return key

    def _committed(self, owner: str, key: str, entry: dict) -> None:
        self._active.add(key)
        if entry["due"] <= time.time():
            self._make_ready(owner, key, entry)
        else:
            self._runtime.spawn(self._schedule_soon(entry["due"], owner, key), "outbox schedule")

    def pending(self) -> int:
        """How many entries the outbox holds (all owners)."""
        return sum(self._table.count(owner) for owner in self._table.scopes())

    # -- resuming after a start ---------------------------------------------------------------

    def resume(self) -> None:
        """Pick up the entries a previous run left: start their owners (which register their
        failure handlers) and schedule each at its recorded time. One index seek when empty."""
        from overcast import services

        runtime = self._runtime
        for owner in self._table.scopes():
            if owner in services.implemented() and runtime.config.service_enabled(owner):
                runtime.provider(owner)
            for key, entry in self._table.scan(owner):
                if key not in self._active:
                    self._active.add(key)
                    self._runtime.spawn(self._schedule_soon(entry["due"], owner, key), "outbox resume")

    # -- the work ------------------------------------------------------------------------------

    async def _schedule_soon(self, due: float, owner: str, key: str) -> None:
        self._schedule(due, owner, key)

    def _schedule(self, due: float, owner: str, key: str) -> None:
        """On the loop: attempt the entry at `due` (epoch seconds)."""
        heapq.heappush(self._heap, (due, owner, key))
        if not self._worker_running:
            self._worker_running = True
            self._wake = asyncio.Event()
            self._runtime.spawn(self._run_worker(), "outbox")
        elif self._heap[0][2] == key and self._wake is not None:
            self._wake.set()  # the new entry is the earliest: the worker sleeps too long

    async def _run_worker(self) -> None:
        heap = self._heap
        try:
            while heap:
                now = time.time()
                while heap and heap[0][0] <= now:
                    _, owner, key = heapq.heappop(heap)
                    self._make_ready(owner, key, None)
                if not heap:
                    break
                assert self._wake is not None
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), heap[0][0] - now)
                except TimeoutError:
                    pass
        finally:
            self._worker_running = False

    def _make_ready(self, owner: str, key: str, entry: dict | None) -> None:
        """Queue an entry for an attempt now (from any thread); one drain task takes them."""
        self._ready.append((owner, key, entry))
        if not self._draining:
            self._draining = True
            self._runtime.spawn(self._drain(), "outbox drain")

    async def _drain(self) -> None:
        ready = self._ready
        try:
            while ready:
                batch = [ready.popleft() for _ in range(min(len(ready), _BATCH))]
                self._attempt_batch(batch)
                if ready:
                    await asyncio.sleep(0)  # let requests run between large batches
        finally:
            self._draining = False
            if ready:  # appended by another thread after the loop's last look
                self._make_ready(*ready.popleft())

    def _attempt_batch(self, batch: list[tuple[str, str, dict | None]]) -> None:
        """Attempt due entries in one store transaction. A target that delivers synchronously
        (SQS, Lambda's queue, SNS's fan-out) writes in it, and each entry's removal commits
        with its target's writes: one commit for the whole batch. Each attempt is a savepoint,
        so a refusal undoes only that target's writes. A target that delivers asynchronously
        (an HTTP POST) is awaited afterwards, in a task of its own."""
        failures: list[tuple[str, str, dict, Exception]] = []
        waiting: list[tuple[str, str, dict, Any]] = []
        store = self._runtime.store
        with store.transaction():
            for owner, key, known in batch:
                entry = self._table.get(owner, key) if known is None else known
                if entry is None or key not in self._active:  # the state was reset
                    self._active.discard(key)
                    continue
                try:
                    with store.transaction():
                        outcome = self._attempt_delivery(
                            entry["target"], entry["message"], **entry["options"]
                        )
                        if not inspect.isawaitable(outcome):
                            self._table.delete(owner, key)
                            self._active.discard(key)
                            continue
                except Exception as error:
                    failures.append((owner, key, entry, error))
                    continue
                waiting.append((owner, key, entry, outcome))
        for owner, key, entry, refusal in failures:
            self._refused(owner, key, entry, refusal)
        for owner, key, entry, outcome in waiting:
            self._runtime.spawn(self._await(owner, key, entry, outcome), f"deliver {entry['target']}")

    async def _await(self, owner: str, key: str, entry: dict, outcome: Any) -> None:
        try:
            await outcome
        except Exception as error:
            self._refused(owner, key, entry, error)
            return
        self._delivered.append((owner, key))
        if len(self._delivered) == 1:
            asyncio.get_running_loop().call_soon(self._remove_delivered)

    def _refused(self, owner: str, key: str, entry: dict, error: Exception) -> None:
        retryable = getattr(error, "retryable", None)
        if retryable is None and is_disk_full(error):  # retried; said once while it lasts
            self._disk_full.failed(error)
            reason = "the disk is full"
        elif retryable is None:  # not a refusal but a provider bug: retried, and never silent
            log.exception("delivery to %s failed", entry["target"], exc_info=error)
            reason = f"{type(error).__name__}: {error}"
        else:
            reason = str(error)
        self._failed(owner, key, entry, reason, retryable is not False)

    def _failed(self, owner: str, key: str, entry: dict, reason: str, retryable: bool) -> None:
        if key not in self._active:
            return  # the state was reset while the attempt ran: the entry is gone with it
        entry["attempts"] += 1
        entry["reason"] = reason
        due = next_step(entry, retryable, time.time())
        if due is not None:
            entry["due"] = due
            self._table.put(owner, key, entry)
            self._schedule(due, owner, key)
            return
        self._active.discard(key)
        self.give_up(owner, key, entry, reason)

    def give_up(self, owner: str, key: str, entry: dict, reason: str) -> None:
        """Hand the message to its failure handler and remove the entry, in one transaction;
        without a handler (or when it fails) the loss is logged."""
        name = entry["on_failure"]
        handler = self._handler(name) if name else None
        store = self._runtime.store
        try:
            with store.transaction():
                if handler is not None:
                    handler(entry["message"], reason, entry["failure_args"])
                self._table.delete(owner, key)
            if handler is not None:
                return
        except Exception:
            log.exception("the failure handler %s for %s failed", name, entry["target"])
            self._table.delete(owner, key)
        if name and handler is None:
            log.warning("no failure handler %r is registered", name)
        log.warning(
            "message to %s dropped after %d attempt(s): %s", entry["target"], entry["attempts"], reason
        )

    def _handler(self, name: str) -> FailureHandler | None:
        handler = self._handlers.get(name)
        if handler is None:
            from overcast import services

            owner = name.partition(".")[0]
            runtime = self._runtime
            if owner in services.implemented() and runtime.config.service_enabled(owner):
                runtime.provider(owner)  # its start() registers its handlers
                handler = self._handlers.get(name)
        return handler

    def _remove_delivered(self) -> None:
        delivered, self._delivered = self._delivered, []
        try:
            with self._runtime.store.transaction():
                for owner, key in delivered:
                    self._table.delete(owner, key)
        finally:
            for _, key in delivered:
                self._active.discard(key)

    def _forget(self) -> None:
        """The store was reset or replaced: what was scheduled is gone with it, and what an
        imported state holds is resumed (later, on the loop: this runs under the store's lock)."""
        self._heap.clear()
        self._active.clear()
        self._ready.clear()
        self._delivered.clear()
        self._runtime.spawn(self._resume_soon(), "outbox resume")

    async def _resume_soon(self) -> None:
        self.resume()
