"""One row of the `points` table: sixty slots of one resolution, as packed columns.

A chunk holds, per slot, the sample count n, sum s, minimum lo and maximum hi, each column an
array of sixty doubles, and the slot's distribution (its [[value, count], ...], sorted by
value) where it is not implied: a filled slot whose values were all the same (lo == hi) has
the distribution [[lo, n]] and stores none; a slot whose distribution is unknown (a statistic
set with lo < hi was merged in) holds None, as on AWS only the plain statistics are then known.

Stored as one byte string of little-endian doubles — the four columns, then for each slot
with a distribution: slot, pair count (-1: unknown), then value, count, value, count, ... —
so that writing a chunk is four buffer copies and reading one is a single `frombytes`, and a
query over plain statistics never looks at the distributions (they are decoded on first use).
"""

from __future__ import annotations

import sys
from array import array
from typing import Any

SLOTS = 60
_COLUMNS = 4 * SLOTS
_SWAP = sys.byteorder != "little"
_UNKNOWN = -1.0


class Chunk:
    __slots__ = ("_dists", "_tail", "hi", "lo", "n", "s")

    def __init__(self) -> None:
        self.n = array("d", bytes(8 * SLOTS))
        self.s = array("d", bytes(8 * SLOTS))
        self.lo = array("d", bytes(8 * SLOTS))
        self.hi = array("d", bytes(8 * SLOTS))
        self._dists: dict[int, list[list[float]] | None] | None = {}
        self._tail: array | None = None

    # -- bytes -----------------------------------------------------------------------------------

    @classmethod
    def from_bytes(cls, data: bytes) -> Chunk:
        packed = array("d")
        packed.frombytes(data)
        if _SWAP:
            packed.byteswap()
        chunk = cls.__new__(cls)
        chunk.n = packed[0:SLOTS]
        chunk.s = packed[SLOTS : 2 * SLOTS]
        chunk.lo = packed[2 * SLOTS : 3 * SLOTS]
        chunk.hi = packed[3 * SLOTS : _COLUMNS]
        if len(packed) > _COLUMNS:
            chunk._dists, chunk._tail = None, packed
        else:
            chunk._dists, chunk._tail = {}, None
        return chunk

    def to_bytes(self) -> bytes:
        packed = self.n + self.s + self.lo + self.hi
        dists = self.distributions
        for slot in sorted(dists):
            pairs = dists[slot]
            if pairs is None:
                packed.extend((float(slot), _UNKNOWN))
                continue
            packed.extend((float(slot), float(len(pairs))))
            for value, count in pairs:
                packed.extend((value, count))
        if _SWAP:
            packed.byteswap()
        return packed.tobytes()

    @property
    def distributions(self) -> dict[int, list[list[float]] | None]:
        dists = self._dists
        if dists is None:
            dists = self._dists = {}
            packed = self._tail
            assert packed is not None
            at, end = _COLUMNS, len(packed)
            while at < end:
                slot, pairs = int(packed[at]), int(packed[at + 1])
                at += 2
                if pairs < 0:
                    dists[slot] = None
                    continue
                dists[slot] = [[packed[i], packed[i + 1]] for i in range(at, at + 2 * pairs, 2)]
                at += 2 * pairs
            self._tail = None
        return dists

    # -- slots -----------------------------------------------------------------------------------

    def bucket(self, slot: int) -> dict[str, Any]:
        """A filled slot as a stats bucket of its own (the caller may change it)."""
        held = self._view(slot)
        if held["v"] is not None:
            held["v"] = [list(pair) for pair in held["v"]]
        return held

    def _view(self, slot: int) -> dict[str, Any]:
        """A filled slot as a stats bucket whose distribution is the chunk's own list."""
        n, lo = self.n[slot], self.lo[slot]
        dists = self.distributions
        values = dists.get(slot, [[lo, n]])
        return {"n": n, "s": self.s[slot], "lo": lo, "hi": self.hi[slot], "v": values}

    def merge(self, slot: int, bucket: dict[str, Any]) -> None:
        """Add a stats bucket to a slot (the bucket is not changed)."""
        from overcast.services.cloudwatch import stats

        if self.n[slot] > 0:
            held = self._view(slot)
            # stats.merge leaves both distributions as they were: held's becomes a new list.
            stats.merge(held, bucket)
            values = held["v"]
            bucket = held
        else:
            values = bucket["v"]
            if values is not None:
                values = [list(pair) for pair in values]
        self.n[slot] = bucket["n"]
        self.s[slot] = bucket["s"]
        lo = self.lo[slot] = bucket["lo"]
        hi = self.hi[slot] = bucket["hi"]
        dists = self.distributions
        if values is not None and lo == hi:
            dists.pop(slot, None)
        else:
            dists[slot] = values

    def clear(self, slot: int) -> None:
        self.n[slot] = self.s[slot] = self.lo[slot] = self.hi[slot] = 0.0
        self.distributions.pop(slot, None)

    def filled(self) -> bool:
        return any(self.n)

    # -- the layout before this one --------------------------------------------------------------

    @classmethod
    def from_columns(cls, row: dict[str, list]) -> Chunk:
        """A chunk of layout 1: a map of five lists (n, s, lo, hi, v; v's entry 0 for the same
        value throughout the slot, None for unknown, else the pairs)."""
        chunk = cls()
        for column in ("n", "s", "lo", "hi"):
            getattr(chunk, column)[:] = array("d", (float(x) for x in row[column]))
        dists = chunk.distributions
        for slot, (count, values) in enumerate(zip(row["n"], row["v"], strict=True)):
            if count > 0 and type(values) is not int:
                dists[slot] = None if values is None else [[float(v), float(c)] for v, c in values]
        return chunk
