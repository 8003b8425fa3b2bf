"""Statistics over aggregated datapoints: the five plain ones and the extended ones
(percentiles pNN, trimmed mean tmNN / TM(a%:b%), winsorized mean wm, trimmed count tc, trimmed
sum ts, percentile rank PR(a:b), IQM), as CloudWatch computes them.

A bucket is a dict: n (sample count), s (sum), lo, hi, and v — the exact distribution as
[[value, count], ...], or None once a statistic set without one was merged in (then only the
plain statistics are known, as on AWS)."""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from typing import Any

PLAIN = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")

_PERCENT = r"(\d{1,2}(?:\.\d{1,10})?|100(?:\.0{1,10})?)"
_EXTENDED = re.compile(rf"^(p|tm|wm|tc|ts){_PERCENT}$")
_RANGE = re.compile(r"^(TM|WM|TC|TS|PR)\(([^:()]*):([^:()]*)\)$")
_BOUND = re.compile(r"^(-?\d+(?:\.\d+)?)(%?)$")


def empty() -> dict[str, Any]:
    return {"n": 0.0, "s": 0.0, "lo": math.inf, "hi": -math.inf, "v": []}


def merge(into: dict[str, Any], other: dict[str, Any]) -> None:
    into["n"] += other["n"]
    into["s"] += other["s"]
    into["lo"] = min(into["lo"], other["lo"])
    into["hi"] = max(into["hi"], other["hi"])
    if into["v"] is None or other["v"] is None:
        into["v"] = None
    else:
        into["v"] = _merge_values(into["v"], other["v"])


def _merge_values(a: list[list[float]], b: list[list[float]]) -> list[list[float]]:
    if not a:
        return [list(pair) for pair in b]
    counts: dict[float, float] = {value: count for value, count in a}
    for value, count in b:
        counts[value] = counts.get(value, 0.0) + count
    return [[value, counts[value]] for value in sorted(counts)]


def add_value(bucket: dict[str, Any], value: float, count: float = 1.0) -> None:
    bucket["n"] += count
    bucket["s"] += value * count
    if value < bucket["lo"]:
        bucket["lo"] = value
    if value > bucket["hi"]:
        bucket["hi"] = value
    values = bucket["v"]
    if values is not None:
        # Kept sorted by value: a binary search finds the value's pair or its place ([value]
        # sorts just before [value, count]).
        low = bisect_left(values, [value])
        if low < len(values) and values[low][0] == value:
            values[low][1] += count
        else:
            values.insert(low, [value, count])


def add_set(bucket: dict[str, Any], stats: dict[str, float]) -> None:
    n, s = float(stats["SampleCount"]), float(stats["Sum"])
    lo, hi = float(stats["Minimum"]), float(stats["Maximum"])
    exact = lo == hi or n == 1
    bucket["n"] += n
    bucket["s"] += s
    bucket["lo"] = min(bucket["lo"], lo)
    bucket["hi"] = max(bucket["hi"], hi)
    if bucket["v"] is not None:
        bucket["v"] = _merge_values(bucket["v"], [[lo, n]]) if exact else None


def valid_extended(name: str) -> bool:
    if _EXTENDED.match(name):
        return True
    match = _RANGE.match(name)
    if not match:
        return name == "IQM"
    low, high = match.group(2), match.group(3)
    if not low and not high:
        return False
    return all(not (bound and not _BOUND.match(bound)) for bound in (low, high))


def plain(bucket: dict[str, Any], statistic: str) -> float | None:
    n = bucket["n"]
    if n <= 0:
        return None
    if statistic == "SampleCount":
        return float(n)
    if statistic == "Sum":
        return float(bucket["s"])
    if statistic == "Average":
        return float(bucket["s"]) / n
    if statistic == "Minimum":
        return float(bucket["lo"])
    if statistic == "Maximum":
        return float(bucket["hi"])
    return None


def compute(bucket: dict[str, Any], statistic: str) -> float | None:
    """The value of one statistic (plain or extended) over a bucket; None when unknown."""
    if statistic in PLAIN:
        return plain(bucket, statistic)
    values = bucket["v"]
    if not values or bucket["n"] <= 0:
        return None
    if statistic == "IQM":
        return _trimmed(values, 25.0, 75.0, "tm", percent=True)
    match = _EXTENDED.match(statistic)
    if match:
        kind, pct = match.group(1), float(match.group(2))
        if kind == "p":
            return percentile(values, pct)
        return _trimmed(values, 0.0, pct, kind, percent=True)
    match = _RANGE.match(statistic)
    if not match:
        return None
    kind, low_text, high_text = match.group(1).lower(), match.group(2), match.group(3)
    # An empty bound is open, of the same kind as the other.
    low_percent = low_text.endswith("%") if low_text else high_text.endswith("%")
    high_percent = high_text.endswith("%") if high_text else low_percent
    low = float(low_text.rstrip("%")) if low_text else (0.0 if low_percent else -math.inf)
    high = float(high_text.rstrip("%")) if high_text else (100.0 if high_percent else math.inf)
    if kind == "pr":
        total = sum(count for _, count in values)
        inside = sum(count for value, count in values if low < value <= high)
        return 100.0 * inside / total if total else None
    if low_percent != high_percent:
        # Mixed bounds: convert the percentage one to a value.
        if low_percent:
            low, low_percent = percentile(values, low), False
        else:
            high, high_percent = percentile(values, high), False
    return _trimmed(values, low, high, kind, percent=low_percent)


def _expand(values: list[list[float]]) -> list[float]:
    out: list[float] = []
    for value, count in values:
        out.extend([value] * max(round(count), 1))
    return out


def percentile(values: list[list[float]], pct: float) -> float:
    """The nearest-rank percentile of a distribution."""
    total = sum(count for _, count in values)
    rank = max(math.ceil(pct / 100.0 * total), 1)
    seen = 0.0
    for value, count in values:
        seen += count
        if seen >= rank:
            return float(value)
    return float(values[-1][0])


def _trimmed(values: list[list[float]], low: float, high: float, kind: str, *, percent: bool) -> float | None:
    ordered = _expand(values)
    if percent:
        lo_value = percentile(values, low) if low > 0 else -math.inf
        hi_value = percentile(values, high)
        inside = [v for v in ordered if (v > lo_value if low > 0 else True) and v <= hi_value]
    else:
        lo_value, hi_value = low, high
        inside = [v for v in ordered if lo_value < v <= hi_value]
    if kind == "tc":
        return float(len(inside))
    if kind == "ts":
        return float(sum(inside))
    if kind == "wm":
        if not ordered:
            return None
        clamp_lo = min(inside) if inside else lo_value
        clamp_hi = max(inside) if inside else hi_value
        clamped = [min(max(v, clamp_lo), clamp_hi) for v in ordered]
        return sum(clamped) / len(clamped)
    return sum(inside) / len(inside) if inside else None
