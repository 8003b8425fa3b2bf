"""The latest records of each shard, in memory, as GetRecords writes them.

Consumers read at a shard's tip: a Lambda poller, a KCL worker or a SubscribeToShard feed asks
for what arrived since its last read. The records table answers that with a range scan and a
row decoded per record; a tail answers it with a slice and a join. A tail is only a copy: every
record is written to the store first (the tail learns of it once the write is committed), and a
read the tail cannot answer in full goes to the store.

A tail holds the records of one shard from its `start` counter on, without a gap, up to the
last one written: a record that cannot join it in order (a sealed record, written while the
stream was encrypted, or a counter past a gap) starts the shard's tail again. A tail keeps at
most TAIL_BYTES of rendered records (the oldest half goes when it is full), and all tails
together at most BUDGET bytes (the tails written longest ago go first)."""

from __future__ import annotations

import threading
from typing import Any

#: What one shard's tail holds at most (well under GetRecords' 10 MiB answer).
TAIL_BYTES = 1 << 20
#: What all tails hold at most.
BUDGET = 32 << 20

Shard = tuple[str, str, int]  # (scope, stream uid, shard index)


class Tail:
    __slots__ = ("arrivals", "size", "start", "texts")

    def __init__(self, start: int) -> None:
        self.start = start
        self.texts: list[bytes] = []
        self.arrivals: list[float] = []
        self.size = 0


class Tails:
    """Every shard's tail. Writers (requests on the event loop, deliveries from worker
    threads) and readers take one lock: a tail's counter and lists change together."""

    __slots__ = ("_held", "_lock", "_tails", "budget", "tail_bytes")

    def __init__(self, tail_bytes: int = TAIL_BYTES, budget: int = BUDGET) -> None:
        self._tails: dict[Shard, Tail] = {}
        self._held = 0
        self._lock = threading.Lock()
        self.tail_bytes = tail_bytes
        self.budget = budget

    def clear(self) -> None:
        with self._lock:
            self._tails.clear()
            self._held = 0

    def forget(self, shard: Shard) -> None:
        with self._lock:
            self._forget(shard)

    def _forget(self, shard: Shard) -> None:
        tail = self._tails.pop(shard, None)
        if tail is not None:
            self._held -= tail.size

    def forget_stream(self, scope: str, uid: str) -> None:
        with self._lock:
            for shard in [s for s in self._tails if s[0] == scope and s[1] == uid]:
                self._forget(shard)

    def append(self, shard: Shard, records: list[tuple[int, float, bytes | None]]) -> None:
        """Committed records of one shard, in counter order: (counter, arrival, rendered
        text, or None for a record the tail does not hold)."""
        with self._lock:
            tail = self._tails.get(shard)
            for counter, arrival, text in records:
                if text is None:
                    self._forget(shard)
                    tail = None
                    continue
                if tail is None or tail.start + len(tail.texts) != counter:
                    self._forget(shard)
                    tail = self._tails[shard] = Tail(counter)
                tail.texts.append(text)
                tail.arrivals.append(arrival)
                tail.size += len(text)
                self._held += len(text)
            if tail is None:
                return
            if tail.size > self.tail_bytes:
                self._halve(tail)
            if self._held > self.budget:
                self._evict(shard)

    def _halve(self, tail: Tail) -> None:
        drop = len(tail.texts) // 2 or 1
        dropped = sum(len(text) for text in tail.texts[:drop])
        del tail.texts[:drop]
        del tail.arrivals[:drop]
        tail.start += drop
        tail.size -= dropped
        self._held -= dropped

    def _evict(self, keep: Shard) -> None:
        # Dicts keep insertion order: the tails started longest ago go first.
        for shard in list(self._tails):
            if self._held <= self.budget:
                return
            if shard != keep:
                self._forget(shard)

    def trim(self, shard: Shard, floor: int) -> None:
        """Retention removed the shard's records before counter `floor`."""
        with self._lock:
            tail = self._tails.get(shard)
            if tail is None or floor <= tail.start:
                return
            if floor >= tail.start + len(tail.texts):
                self._forget(shard)
                return
            drop = floor - tail.start
            dropped = sum(len(text) for text in tail.texts[:drop])
            del tail.texts[:drop]
            del tail.arrivals[:drop]
            tail.start = floor
            tail.size -= dropped
            self._held -= dropped

    def read(
        self, shard: Shard, counter: int, count: int, horizon: float
    ) -> tuple[list[bytes], int, float | None] | None:
        """(up to `count` records from `counter` on, skipping those that arrived before
        `horizon`; the counter after the last one read; the last one's arrival), or None when
        the tail does not hold the records from `counter` on."""
        with self._lock:
            tail = self._tails.get(shard)
            if tail is None:
                return None
            start, texts, arrivals = tail.start, tail.texts, tail.arrivals
            end = start + len(texts)
            if not start <= counter <= end:
                return None
            low = counter - start
            high = min(low + count, end - start)
            if low == high:
                return [], counter, None
            # Arrivals grow along a shard: only the oldest records read can have expired.
            while low < high and arrivals[low] < horizon:
                low += 1
            if low == high:
                return [], start + high, None
            return texts[low:high], start + high, arrivals[high - 1]

    def held(self) -> int:
        return self._held

    def __contains__(self, shard: Any) -> bool:
        return shard in self._tails
