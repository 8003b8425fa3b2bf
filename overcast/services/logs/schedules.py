"""AWS schedule expressions, checked as AWS reads them: `cron(minutes hours day-of-month month
day-of-week year)` with AWS's six fields and their wildcards, or `rate(value unit)`."""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]


@dataclass(frozen=True)
class CronField:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    #: The special characters the field accepts beyond `, - * /`.
    specials: str = ""


FIELDS = (
    CronField("minutes", 0, 59),
    CronField("hours", 0, 23),
    CronField("day-of-month", 1, 31, specials="?LW"),
    CronField("month", 1, 12, tuple(_MONTHS)),
    CronField("day-of-week", 1, 7, tuple(_DAYS), specials="?L#"),
    CronField("year", 1970, 2199),
)
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.*)\)$")


def _number(field: CronField, text: str) -> int | None:
    if text.upper() in field.names:
        return field.names.index(text.upper()) + 1
    if not text.isdigit():
        return None
    value = int(text)
    return value if field.low <= value <= field.high else None


def _valid_item(field: CronField, item: str) -> bool:
    if item == "*":
        return True
    if item == "?":
        return "?" in field.specials
    if "/" in item:
        start, _, step = item.partition("/")
        return step.isdigit() and int(step) > 0 and (start == "*" or _number(field, start) is not None)
    if "L" in field.specials and item.endswith("L"):
        return item == "L" or _number(field, item[:-1]) is not None
    if "W" in field.specials and item.endswith("W"):
        return _number(field, item[:-1]) is not None
    if "#" in field.specials and "#" in item:
        day, _, nth = item.partition("#")
        return _number(field, day) is not None and nth in {"1", "2", "3", "4", "5"}
    if "-" in item:
        low, _, high = item.partition("-")
        return _number(field, low) is not None and _number(field, high) is not None
    return _number(field, item) is not None


def valid_cron(body: str) -> bool:
    parts = body.split()
    if len(parts) != len(FIELDS):
        return False
    if not all(
        _valid_item(f, item) for f, part in zip(FIELDS, parts, strict=True) for item in part.split(",")
    ):
        return False
    day_of_month, day_of_week = parts[2], parts[4]
    # One of the two day fields must be "?": AWS cannot honour both at once.
    return (day_of_month == "?") != (day_of_week == "?")


def valid_schedule(expression: str) -> bool:
    """Whether AWS accepts `expression` as a schedule."""
    rate = _RATE.match(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        # "rate(1 minute)" but "rate(5 minutes)": AWS insists on the number agreeing.
        return value > 0 and (value == 1) == (not unit.endswith("s"))
    cron = _CRON.match(expression)
    return cron is not None and valid_cron(cron.group(1))
