"""Where datapoints live: the `metrics` and `points` tables and the reads and writes on them.

Tables (scope = account/region):
  metrics   metric id → {Namespace, MetricName, Dimensions, last}: every metric ever put
            (`last`: when data last arrived, for RecentlyActive)
  points    metric id SEP SEP chunk start SEP resolution SEP unit → a chunk: sixty slots of
            one resolution (a minute of seconds, an hour of minutes, five hours of five-minute
            slots, 60 hours of hours), packed columns n (sample count), s (sum), lo, hi and
            the slots' distributions (chunk.py; layout 2 — layout 1 held lists in a map)

One row per sixty slots keeps a day of one-minute data at 24 rows a metric: a query reads
few rows and walks packed columns, and a write rewrites one row (the chunk of the current
minute stays decoded in memory between writes).

Roll-up (AWS's retention): one-second slots are kept 3 hours and then merged into their
minute; minutes 15 days, then five minutes; five minutes 63 days, then hours; hours 455
days, then dropped. `roll_up` does it, run periodically by the provider.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from functools import partial
from itertools import compress
from operator import truediv
from typing import TYPE_CHECKING, Any

from overcast.services.cloudwatch import stats
from overcast.services.cloudwatch.chunk import SLOTS, Chunk
from overcast.store import Step, TableLayout

if TYPE_CHECKING:
    from overcast.store import Store, Table

SEP = "\x1f"
#: The chunk column each plain statistic reads when a slot is a whole period.
_DIRECT = {"SampleCount": "n", "Sum": "s", "Minimum": "lo", "Maximum": "hi", "Average": "avg"}
#: (resolution, kept that long, then merged into this coarser resolution; 0: dropped)
ROLL_UP = ((1, 3 * 3600, 60), (60, 15 * 86400, 300), (300, 63 * 86400, 3600), (3600, 455 * 86400, 0))
#: Buckets put into one chunk in one write: {(chunk start, resolution, unit): {slot: bucket}}
Pending = dict[tuple[int, int, str], dict[int, dict[str, Any]]]


def metric_id(namespace: str, name: str, dimensions: Any) -> str:
    dims = sorted((d["Name"], d["Value"]) for d in dimensions)
    return SEP.join([namespace, name, *(f"{k}={v}" for k, v in dims)])


def chunk_key(mid: str, start: int, resolution: int, unit: str) -> str:
    return f"{mid}{SEP}{SEP}{start:011d}{SEP}{resolution}{SEP}{unit}"


def parse_chunk_key(key: str) -> tuple[str, int, int, str]:
    mid, _, rest = key.partition(SEP + SEP)
    start, resolution, unit = rest.split(SEP)
    return mid, int(start), int(resolution), unit


def place(ts: int, resolution: int) -> tuple[int, int]:
    """(chunk start, slot) of a timestamp at a resolution."""
    span = SLOTS * resolution
    start = ts - ts % span
    return start, (ts - start) // resolution


class MetricStore:
    """The metric tables of one store."""

    #: Chunks kept decoded for the next write to them (the current minutes of the busy metrics).
    CACHED_CHUNKS = 4096

    def __init__(self, metrics: Table, points: Table, store: Store) -> None:
        self.metrics = metrics
        self.points = points
        self.store = store
        #: When each metric's `last` was last written: written at most once a minute.
        self._touched: dict[tuple[str, str], float] = {}
        #: (scope, chunk key) → the chunk as last committed, so that a write to the chunk of the
        #: current minute merges into it without reading and decoding the row. Every write of
        #: a chunk goes through this class: it takes the entry out and puts the new chunk back
        #: only once its transaction commits; reset and import clear them all (`forget`).
        self._chunks: dict[tuple[str, str], Chunk] = {}

    def forget(self) -> None:
        self._touched.clear()
        self._chunks.clear()

    # -- writing ---------------------------------------------------------------------------------

    def record(self, scope: str, metric: dict[str, Any], pending: Pending, now: float, mid: str = "") -> None:
        """Merge a metric's new buckets into its chunks (in the caller's transaction)."""
        if not mid:
            mid = metric_id(metric["Namespace"], metric["MetricName"], metric.get("Dimensions") or [])
        touched = self._touched.get((scope, mid))
        if touched is None or now - touched > 60:
            self.metrics.put(
                scope,
                mid,
                {
                    "Namespace": metric["Namespace"],
                    "MetricName": metric["MetricName"],
                    "Dimensions": sorted(metric.get("Dimensions") or [], key=lambda d: d["Name"]),
                    "last": now,
                },
            )
            self._touched[(scope, mid)] = now
        cache = self._chunks
        for (start, resolution, unit), slots in pending.items():
            key = chunk_key(mid, start, resolution, unit)
            where = (scope, key)
            chunk = cache.pop(where, None)
            if chunk is None:
                data = self.points.get(scope, key)
                chunk = Chunk() if data is None else Chunk.from_bytes(data)
            for slot, bucket in slots.items():
                chunk.merge(slot, bucket)
            self.points.put(scope, key, chunk.to_bytes())
            self.store.after_commit(partial(self._keep, where, chunk))

    def _keep(self, where: tuple[str, str], chunk: Chunk) -> None:
        cache = self._chunks
        if len(cache) >= self.CACHED_CHUNKS and where not in cache:
            del cache[next(iter(cache))]  # the one written longest ago
        cache[where] = chunk

    def _put_chunk(self, scope: str, key: str, chunk: Chunk) -> None:
        self._chunks.pop((scope, key), None)
        self.points.put(scope, key, chunk.to_bytes())

    def _delete_chunk(self, scope: str, key: str) -> None:
        self._chunks.pop((scope, key), None)
        self.points.delete(scope, key)

    # -- reading ---------------------------------------------------------------------------------

    def chunks(self, scope: str, mid: str, start: float, end: float) -> Iterator[tuple[int, int, str, Chunk]]:
        """(chunk start, resolution, unit, chunk) of the chunks that may hold [start, end)."""
        prefix = mid + SEP + SEP
        # A chunk spans at most 60 hours: those starting that long before `start` may reach it.
        low = prefix + f"{max(math.floor(start) - SLOTS * 3600, 0):011d}"
        high = prefix + f"{math.ceil(end):011d}"
        for key, data in self.points.scan(scope, prefix=prefix, start_after=low, end_before=high):
            _, chunk_start, resolution, unit = parse_chunk_key(key)
            if chunk_start + SLOTS * resolution > start:
                yield chunk_start, resolution, unit, Chunk.from_bytes(data)

    def buckets(self, scope: str, mid: str, start: float, end: float) -> Iterator[tuple[int, int, str, dict]]:
        """(ts, resolution, unit, bucket) of a metric's filled slots with start <= ts < end."""
        for chunk_start, resolution, unit, chunk in self.chunks(scope, mid, start, end):
            n = chunk.n
            for slot in range(SLOTS):
                if n[slot] > 0:
                    ts = chunk_start + slot * resolution
                    if start <= ts < end:
                        yield ts, resolution, unit, chunk.bucket(slot)

    def aggregate(
        self,
        scope: str,
        mid: str,
        start: float,
        end: float,
        period: int,
        unit: str | None = None,
        by_unit: bool = False,
    ) -> dict[tuple[int, str], dict[str, Any]]:
        """The metric's slots merged per period (aligned on `start`), {(period start, unit): bucket};
        the unit is "" unless by_unit."""
        out: dict[tuple[int, str], dict[str, Any]] = {}
        base = int(start)
        for ts, _, bucket_unit, bucket in self.buckets(scope, mid, start, end):
            if unit is not None and bucket_unit != unit:
                continue
            key = (base + ((ts - base) // period) * period, bucket_unit if by_unit else "")
            into = out.get(key)
            if into is None:
                out[key] = bucket  # a fresh dict of its own: merged into in place from here
            else:
                stats.merge(into, bucket)
        return out

    def plain_series(
        self,
        scope: str,
        mid: str,
        start: float,
        end: float,
        period: int,
        statistic: str,
        unit: str | None = None,
    ) -> dict[int, float]:
        """One plain statistic per period, straight from the chunks' columns: the fast path
        of GetMetricData and alarms."""
        return self._plain(scope, mid, start, end, period, statistic, unit, fast=True)

    def _plain_general(
        self, scope: str, mid: str, start: float, end: float, period: int, statistic: str, unit: str | None
    ) -> dict[int, float]:
        return self._plain(scope, mid, start, end, period, statistic, unit, fast=False)

    def _plain(
        self, scope: str, mid: str, start: float, end: float, period: int, statistic: str, unit: str | None,
        *, fast: bool,
    ) -> dict[int, float]:  # fmt: skip
        base = int(start)
        n_of: dict[int, float] = {}
        s_of: dict[int, float] = {}
        lo_of: dict[int, float] = {}
        hi_of: dict[int, float] = {}
        direct: dict[int, float] = {}
        for chunk_start, resolution, chunk_unit, chunk in self.chunks(scope, mid, start, end):
            if unit is not None and chunk_unit != unit:
                continue
            if fast and resolution == period and (chunk_start - base) % period == 0 and not n_of:
                # One slot per period, aligned: each slot is its period's value as it stands.
                stamps = range(chunk_start, chunk_start + SLOTS * resolution, resolution)
                counts = chunk.n
                column = _DIRECT[statistic]
                if chunk_start >= start and chunk_start + SLOTS * resolution <= end and 0.0 not in counts:
                    # Every slot filled and in range (most of a busy metric's chunks).
                    if column == "avg":
                        direct.update(zip(stamps, map(truediv, chunk.s, counts)))  # noqa: B905
                    else:
                        direct.update(zip(stamps, getattr(chunk, column)))  # noqa: B905
                    continue
                inside = [start <= ts < end and count > 0 for ts, count in zip(stamps, counts, strict=True)]
                values: Iterable[float]
                if column == "avg":
                    values = map(truediv, compress(chunk.s, inside), compress(counts, inside))
                else:
                    values = compress(getattr(chunk, column), inside)
                direct.update(zip(compress(stamps, inside), values))  # noqa: B905
                continue
            if direct:
                # Resolutions differ within the range (rolled-up data beside fresh): the general way.
                return self._plain_general(scope, mid, start, end, period, statistic, unit)
            ts = chunk_start
            for count, total, low, high in zip(chunk.n, chunk.s, chunk.lo, chunk.hi, strict=True):
                if count > 0 and start <= ts < end:
                    key = base + ((ts - base) // period) * period
                    if key in n_of:
                        n_of[key] += count
                        s_of[key] += total
                        if low < lo_of[key]:
                            lo_of[key] = low
                        if high > hi_of[key]:
                            hi_of[key] = high
                    else:
                        n_of[key], s_of[key], lo_of[key], hi_of[key] = count, total, low, high
                ts += resolution
        if direct:
            return direct
        if statistic == "SampleCount":
            return n_of
        if statistic == "Sum":
            return s_of
        if statistic == "Average":
            return {k: s_of[k] / n_of[k] for k in n_of}
        if statistic == "Minimum":
            return lo_of
        return hi_of

    def list(self, scope: str, namespace: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        prefix = namespace + SEP if namespace else ""
        return self.metrics.scan(scope, prefix=prefix)

    # -- roll-up ---------------------------------------------------------------------------------

    def roll_up(self, scope: str, now: float) -> int:
        """Merge or drop the slots AWS no longer keeps at their resolution, through as many
        resolutions as their age calls for; returns how many chunks were folded or dropped
        (in the caller's transaction)."""
        total = 0
        for _ in ROLL_UP:
            changed = self._roll_up_once(scope, now)
            if not changed:
                break
            total += changed
        return total

    def _roll_up_once(self, scope: str, now: float) -> int:
        folded: dict[str, Chunk] = {}
        stale: list[str] = []
        for key, data in self.points.scan(scope):
            mid, chunk_start, resolution, unit = parse_chunk_key(key)
            for res, keep, coarser in ROLL_UP:
                if res != resolution or chunk_start + SLOTS * res > now - keep:
                    continue
                stale.append(key)
                if not coarser:
                    continue
                chunk = Chunk.from_bytes(data)
                for slot in range(SLOTS):
                    if chunk.n[slot] <= 0:
                        continue
                    ts = chunk_start + slot * res
                    target_start, target_slot = place(ts - ts % coarser, coarser)
                    target = chunk_key(mid, target_start, coarser, unit)
                    into = folded.get(target)
                    if into is None:
                        held = self.points.get(scope, target)
                        into = folded[target] = Chunk() if held is None else Chunk.from_bytes(held)
                    into.merge(target_slot, chunk.bucket(slot))
        for key in stale:
            self._delete_chunk(scope, key)
        for key, chunk in folded.items():
            self._put_chunk(scope, key, chunk)
        return len(stale)


def upgrade_chunk(store: Any, scope: str, key: str, row: Any) -> Any:
    """Layout 1 → 2 of the points table: a map of five lists becomes the packed bytes."""
    if isinstance(row, bytes):
        return row
    return Chunk.from_columns(row).to_bytes()


LAYOUTS = (TableLayout("points", 2, (Step(1, 2, upgrade_chunk),)),)
