"""RotationRules: when the next rotation is due. AutomaticallyAfterDays counts days from the
last rotation; ScheduleExpression is `rate(N days|hours)` or AWS's six-field
`cron(minutes hours day-of-month month day-of-week year)`.

Time runs at the speed of OVERCAST_SECRETSMANAGER_DAY_SECONDS (a rotation "day"): a rate
or AutomaticallyAfterDays interval is that many scaled days, and a cron schedule's wait for its
next match (on the real calendar) is scaled by the same factor, so tests see both happen."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta

from overcast.services.secretsmanager.errors import invalid_parameter

_RATE = re.compile(r"^rate\((\d+) (hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
#: (low, high, names) of each cron field in order.
_FIELDS = ((0, 59, ()), (0, 23, ()), (1, 31, ()), (1, 12, _MONTHS), (1, 7, _DAYS), (1970, 2199, ()))
DAY = 86400.0
LAST_DAY = 32


def _bad(expression: str) -> Exception:
    return invalid_parameter(f"Invalid schedule expression: {expression}")


def _value(text: str, low: int, names: tuple[str, ...]) -> int:
    if text.upper() in names:
        return names.index(text.upper()) + low
    return int(text)


def _field(text: str, low: int, high: int, names: tuple[str, ...]) -> frozenset[int] | None:
    """The values a cron field allows; None for `?` (no constraint, the other day field rules).
    The day fields' specials are coded past the field's range: day-of-month `L` (the last day)
    is LAST_DAY; day-of-week `d#n` (the n-th such weekday) is 10*n + d and `dL` (the last such
    weekday of the month) is 70 + d."""
    if text == "?":
        return None
    values: set[int] = set()
    for item in text.split(","):
        if names is _DAYS and "#" in item:
            day, _, nth = item.partition("#")
            if not nth.isdigit() or not 1 <= int(nth) <= 5:
                raise ValueError(item)
            values.add(10 * int(nth) + _value(day, low, names))
            continue
        if item == "L" and low == 1 and high == 31:
            values.add(LAST_DAY)
            continue
        if names is _DAYS and item.endswith("L"):
            values.add(70 + (_value(item[:-1], low, names) if item != "L" else 7))
            continue
        part, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if part == "*":
            first, last = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            first, last = _value(a, low, names), _value(b, low, names)
        else:
            first = _value(part, low, names)
            last = high if step_text else first
        if not (low <= first <= high and low <= last <= high) or step < 1:
            raise ValueError(item)
        values.update(range(first, last + 1, step))
    return frozenset(values)


def parse_cron(expression: str) -> tuple[frozenset[int] | None, ...]:
    match = _CRON.match(expression)
    if not match:
        raise _bad(expression)
    try:
        return cron_fields(match.group(1))
    except ValueError:
        raise _bad(expression) from None


def cron_fields(body: str) -> tuple[frozenset[int] | None, ...]:
    """The fields of a cron body ("0 2 ? * SUN *"); ValueError when AWS would refuse it."""
    parts = body.split()
    if len(parts) == 5:  # the year may be left out
        parts.append("*")
    if len(parts) != 6 or (parts[2] == "?") == (parts[4] == "?"):
        raise ValueError(body)
    return tuple(_field(text, *spec) for text, spec in zip(parts, _FIELDS, strict=True))


def _day_matches(days: frozenset[int] | None, weekdays: frozenset[int] | None, day: datetime) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    weekday = (day.isoweekday() % 7) + 1  # SUN=1 .. SAT=7
    return (days is None or day.day in days or (LAST_DAY in days and day.day == last)) and (
        weekdays is None
        or weekday in weekdays
        or 10 * ((day.day - 1) // 7 + 1) + weekday in weekdays
        or (70 + weekday in weekdays and day.day + 7 > last)
    )


def next_cron(fields: tuple[frozenset[int] | None, ...], after: datetime) -> datetime | None:
    minutes, hours, days, months, weekdays, years = fields
    day = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    start = day
    for _ in range(366 * 5):
        if (
            (years is None or day.year in years)
            and (months is None or day.month in months)
            and _day_matches(days, weekdays, day)
        ):
            for hour in sorted(hours or range(24)):
                for minute in sorted(minutes or range(60)):
                    moment = day.replace(hour=hour, minute=minute)
                    if moment >= start:
                        return moment
        day = (day + timedelta(days=1)).replace(hour=0, minute=0)
        if day.day > calendar.monthrange(day.year, day.month)[1]:
            continue
    return None


def check_rules(rules: dict) -> None:
    """Refuse RotationRules AWS refuses."""
    expression = rules.get("ScheduleExpression")
    if expression is not None:
        if rules.get("AutomaticallyAfterDays") is not None:
            raise invalid_parameter(
                "You cannot specify both rotation frequency and schedule expression together."
            )
        if not _RATE.match(expression):
            parse_cron(expression)
    duration = rules.get("Duration")
    if duration is not None and not re.fullmatch(r"(\d+)h", duration):
        raise invalid_parameter(f"Invalid duration: {duration}")


def next_rotation(rules: dict, last: float, now: float, day_seconds: float) -> float:
    """When (epoch seconds, on Overcast's scaled clock) the rotation after one at `last` is due."""
    days = rules.get("AutomaticallyAfterDays")
    if days is not None:
        return last + days * day_seconds
    expression = rules.get("ScheduleExpression") or ""
    rate = _RATE.match(expression)
    if rate:
        count, unit = int(rate.group(1)), rate.group(2)
        return last + count * (day_seconds if unit.startswith("day") else day_seconds / 24)
    fields = parse_cron(expression)
    moment = next_cron(fields, datetime.fromtimestamp(now, UTC))
    if moment is None:
        return float("inf")
    return now + (moment.timestamp() - now) * day_seconds / DAY
