"""How a metric alarm judges its recent periods: the breaching datapoints, TreatMissingData,
M out of N, and the reason text and reason data AWS writes for the outcome."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

OPERATOR_WORDS = {
    "GreaterThanThreshold": "greater than",
    "GreaterThanOrEqualToThreshold": "greater than or equal to",
    "LessThanThreshold": "less than",
    "LessThanOrEqualToThreshold": "less than or equal to",
    "LessThanLowerOrGreaterThanUpperThreshold": "outside the band",
    "LessThanLowerThreshold": "less than the lower thresholds",
    "GreaterThanUpperThreshold": "greater than the upper thresholds",
}
MISSING_MODES = ("breaching", "notBreaching", "ignore", "missing")


@dataclass
class Slot:
    """One period the alarm looks at: its start, the value (None: no data) and, for an
    anomaly band, the band's bounds."""

    start: int
    value: float | None
    sample_count: float | None = None
    lower: float | None = None
    upper: float | None = None


@dataclass
class Outcome:
    state: str | None  # None: stay as it is (TreatMissingData ignore, all missing)
    reason: str
    data: dict[str, Any]


def breaches(
    operator: str,
    value: float,
    threshold: float | None,
    lower: float | None = None,
    upper: float | None = None,
) -> bool:
    if operator == "GreaterThanThreshold":
        return threshold is not None and value > threshold
    if operator == "GreaterThanOrEqualToThreshold":
        return threshold is not None and value >= threshold
    if operator == "LessThanThreshold":
        return threshold is not None and value < threshold
    if operator == "LessThanOrEqualToThreshold":
        return threshold is not None and value <= threshold
    if lower is None or upper is None:
        return False
    if operator == "LessThanLowerOrGreaterThanUpperThreshold":
        return value < lower or value > upper
    if operator == "LessThanLowerThreshold":
        return value < lower
    if operator == "GreaterThanUpperThreshold":
        return value > upper
    return False


def reason_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%d/%m/%y %H:%M:%S")


def iso(ts: float) -> str:
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _number(value: float) -> str:
    return repr(float(value)) if not math.isinf(value) else str(value)


def judge(alarm: dict[str, Any], slots: list[Slot], current: str, now: float) -> Outcome:
    """The state the alarm's slots (oldest first) put it in, and AWS's reason for it."""
    operator = alarm["ComparisonOperator"]
    threshold = alarm.get("Threshold")
    n = len(slots)
    m = alarm.get("DatapointsToAlarm") or n
    mode = alarm.get("TreatMissingData") or "missing"
    present = [s for s in slots if s.value is not None]
    newest_first = sorted(present, key=lambda s: s.start, reverse=True)
    data: dict[str, Any] = {
        "version": "1.0",
        "queryDate": iso(now),
        "startDate": iso(slots[0].start) if slots else iso(now),
    }
    if alarm.get("Statistic"):
        data["statistic"] = alarm["Statistic"]
    elif alarm.get("ExtendedStatistic"):
        data["statistic"] = alarm["ExtendedStatistic"]
    data["period"] = alarm.get("Period") or (alarm.get("_period") or 60)
    data["recentDatapoints"] = [s.value for s in sorted(present, key=lambda s: s.start)]
    if threshold is not None:
        data["threshold"] = float(threshold)
    data["evaluatedDatapoints"] = [
        {
            "timestamp": iso(s.start),
            **({"sampleCount": s.sample_count} if s.sample_count is not None else {}),
            "value": s.value,
        }
        for s in newest_first
    ]
    words = OPERATOR_WORDS.get(operator, operator)
    threshold_text = f"the threshold ({_number(threshold)})" if threshold is not None else "the thresholds"
    if operator in (
        "LessThanLowerOrGreaterThanUpperThreshold",
        "LessThanLowerThreshold",
        "GreaterThanUpperThreshold",
    ):
        threshold_text = "the band"
        words = {
            "LessThanLowerOrGreaterThanUpperThreshold": "outside",
            "LessThanLowerThreshold": "less than the lower bound of",
            "GreaterThanUpperThreshold": "greater than the upper bound of",
        }[operator]

    missing = n - len(present)
    if not present:
        if mode == "ignore":
            return Outcome(None, "", data)
        if mode == "missing":
            noun = "datapoint was" if n == 1 else "datapoints were"
            return Outcome("INSUFFICIENT_DATA", f"Insufficient Data: {n} {noun} unknown.", data)
        treated = "Breaching" if mode == "breaching" else "NonBreaching"
        state = "ALARM" if mode == "breaching" and n >= m else "OK"
        plural = "period" if n == 1 else "periods"
        reason = (
            f"Threshold Crossed: no datapoints were received for {n} {plural} and {n} missing "
            f"datapoint{'s' if n != 1 else ''} {'was' if n == 1 else 'were'} treated as [{treated}]."
        )
        return Outcome(state, reason, data)

    breaching = [s for s in present if breaches(operator, s.value or 0.0, threshold, s.lower, s.upper)]
    count = len(breaching)
    if mode == "breaching":
        count += missing
    state = "ALARM" if count >= m else "OK"
    shown = newest_first
    listed = ", ".join(f"{_number(s.value or 0.0)} ({reason_time(s.start)})" for s in shown)
    if state == "ALARM":
        relevant = len(breaching) if mode != "breaching" else count
        verb_words = words
    else:
        relevant = len(present) - len(breaching)
        verb_words = f"not {words}"
    if n == 1:
        reason = f"Threshold Crossed: 1 datapoint [{listed}] was {verb_words} {threshold_text}."
    else:
        transition = "OK -> ALARM" if state == "ALARM" else "ALARM -> OK"
        needed = m if state == "ALARM" else n - m + 1
        reason = (
            f"Threshold Crossed: {relevant} out of the last {n} datapoints [{listed}] "
            f"{'was' if relevant == 1 else 'were'} {verb_words} {threshold_text} "
            f"(minimum {needed} datapoint{'s' if needed != 1 else ''} for {transition} transition)."
        )
        if missing and mode in ("breaching", "notBreaching"):
            treated = "Breaching" if mode == "breaching" else "NonBreaching"
            reason = (
                reason[:-1]
                + f" {missing} missing datapoint{'s' if missing != 1 else ''} {'was' if missing == 1 else 'were'} treated as [{treated}]."
            )
    return Outcome(state, reason, data)


def reason_json(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"))
