"""Where datapoints live: the `metrics` and `points` tables and the reads and writes on them.

Tables (scope = account/region):
  metrics   metric id → {Namespace, MetricName, Dimensions, last}: every metric ever put
            (`last`: when data last arrived, for RecentlyActive)
  points    metric id SEP SEP chunk start SEP resolution SEP unit → a chunk: sixty slots of
            one resolution (a minute of seconds, an hour of minutes, five hours of five-minute
            slots, 60 hours of hours), held as columns n (sample count), s (sum), lo, hi and
            v (each slot's distribution as [[value, count], ...], None once unknown)

One row per sixty slots keeps a day of one-minute data at 24 rows a metric: a query reads
few rows and walks plain lists, and a write rewrites one row.

Roll-up (AWS's retention): one-second slots are kept 3 hours and then merged into their
minute; minutes 15 days, then five minutes; five minutes 63 days, then hours; hours 455
days, then dropped. `roll_up` does it, run periodically by the provider.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from overcast.services.cloudwatch import stats

if TYPE_CHECKING:
    from overcast.store import Table

SEP = "\x1f"
SLOTS = 60
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


def empty_chunk() -> dict[str, list]:
    return {
        "n": [0.0] * SLOTS,
        "s": [0.0] * SLOTS,
        "lo": [0.0] * SLOTS,
        "hi": [0.0] * SLOTS,
        "v": [None] * SLOTS,
    }


def place(ts: int, resolution: int) -> tuple[int, int]:
    """(chunk start, slot) of a timestamp at a resolution."""
    span = SLOTS * resolution
    start = ts - ts % span
    return start, (ts - start) // resolution


#: A slot's distribution when every value in it was the same (lo == hi): [[lo, n]], not stored.
SAME = 0


def merge_slot(chunk: dict[str, list], slot: int, bucket: dict[str, Any]) -> None:
    held = bucket
    if chunk["n"][slot] > 0:
        held = slot_bucket(chunk, slot)
        stats.merge(held, bucket)
    chunk["n"][slot] = held["n"]
    chunk["s"][slot] = held["s"]
    chunk["lo"][slot] = held["lo"]
    chunk["hi"][slot] = held["hi"]
    values = held["v"]
    chunk["v"][slot] = SAME if values is not None and held["lo"] == held["hi"] else values


def slot_bucket(chunk: dict[str, list], slot: int) -> dict[str, Any]:
    n, lo, values = chunk["n"][slot], chunk["lo"][slot], chunk["v"][slot]
    return {
        "n": n,
        "s": chunk["s"][slot],
        "lo": lo,
        "hi": chunk["hi"][slot],
        "v": [[lo, n]] if type(values) is int else values,
    }


class MetricStore:
    """The metric tables of one store."""

    def __init__(self, metrics: Table, points: Table) -> None:
        self.metrics = metrics
        self.points = points
        #: When each metric's `last` was last written: written at most once a minute.
        self._touched: dict[tuple[str, str], float] = {}

    def forget(self) -> None:
        self._touched.clear()

    # -- writing ---------------------------------------------------------------------------------

    def record(self, scope: str, metric: dict[str, Any], pending: Pending, now: float) -> None:
        """Merge a metric's new buckets into its chunks (in the caller's transaction)."""
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
        for (start, resolution, unit), slots in pending.items():
            key = chunk_key(mid, start, resolution, unit)
            chunk = self.points.get(scope, key) or empty_chunk()
            for slot, bucket in slots.items():
                merge_slot(chunk, slot, bucket)
            self.points.put(scope, key, chunk)

    # -- reading ---------------------------------------------------------------------------------

    def chunks(self, scope: str, mid: str, start: float, end: float) -> Iterator[tuple[int, int, str, dict]]:
        """(chunk start, resolution, unit, chunk) of the chunks that may hold [start, end)."""
        prefix = mid + SEP + SEP
        # A chunk spans at most 60 hours: those starting that long before `start` may reach it.
        low = prefix + f"{max(math.floor(start) - SLOTS * 3600, 0):011d}"
        high = prefix + f"{math.ceil(end):011d}"
        for key, chunk in self.points.scan(scope, prefix=prefix, start_after=low, end_before=high):
            _, chunk_start, resolution, unit = parse_chunk_key(key)
            if chunk_start + SLOTS * resolution > start:
                yield chunk_start, resolution, unit, chunk

    def buckets(self, scope: str, mid: str, start: float, end: float) -> Iterator[tuple[int, int, str, dict]]:
        """(ts, resolution, unit, bucket) of a metric's filled slots with start <= ts < end."""
        for chunk_start, resolution, unit, chunk in self.chunks(scope, mid, start, end):
            n = chunk["n"]
            for slot in range(SLOTS):
                if n[slot] > 0:
                    ts = chunk_start + slot * resolution
                    if start <= ts < end:
                        yield ts, resolution, unit, slot_bucket(chunk, slot)

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
                column = _DIRECT[statistic]
                if column == "avg":
                    direct.update(
                        (ts, total / count)
                        for ts, count, total in zip(stamps, chunk["n"], chunk["s"], strict=True)
                        if count > 0 and start <= ts < end
                    )
                else:
                    direct.update(
                        (ts, float(value))
                        for ts, count, value in zip(stamps, chunk["n"], chunk[column], strict=True)
                        if count > 0 and start <= ts < end
                    )
                continue
            if direct:
                # Resolutions differ within the range (rolled-up data beside fresh): the general way.
                return self._plain_general(scope, mid, start, end, period, statistic, unit)
            ts = chunk_start
            for count, total, low, high in zip(chunk["n"], chunk["s"], chunk["lo"], chunk["hi"], strict=True):
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
            return {k: float(v) for k, v in n_of.items()}
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
        resolutions as their age calls for; returns how many chunks were folded or dropped."""
        total = 0
        for _ in ROLL_UP:
            changed = self._roll_up_once(scope, now)
            if not changed:
                break
            total += changed
        return total

    def _roll_up_once(self, scope: str, now: float) -> int:
        folded: dict[str, dict[str, list]] = {}
        stale: list[str] = []
        for key, chunk in self.points.scan(scope):
            mid, chunk_start, resolution, unit = parse_chunk_key(key)
            for res, keep, coarser in ROLL_UP:
                if res != resolution or chunk_start + SLOTS * res > now - keep:
                    continue
                stale.append(key)
                if not coarser:
                    continue
                for slot in range(SLOTS):
                    if chunk["n"][slot] <= 0:
                        continue
                    ts = chunk_start + slot * res
                    target_start, target_slot = place(ts - ts % coarser, coarser)
                    target = chunk_key(mid, target_start, coarser, unit)
                    into = folded.get(target)
                    if into is None:
                        into = folded[target] = self.points.get(scope, target) or empty_chunk()
                    merge_slot(into, target_slot, slot_bucket(chunk, slot))
        for key in stale:
            self.points.delete(scope, key)
        for key, chunk in folded.items():
            self.points.put(scope, key, chunk)
        return len(stale)
