"""AWS schedule expressions, as EventBridge rules, EventBridge Scheduler and other services
write them: `rate(value unit)`, six-field `cron(minutes hours day-of-month month day-of-week
year)` and the Scheduler's one-time `at(yyyy-mm-ddThh:mm:ss)`; and when each next fires.

Cron fields (AWS's dialect, not Unix's): `*`, `,` lists, `-` ranges, `/` steps, month and day
names (JAN-DEC, SUN-SAT), `?` in exactly one of day-of-month and day-of-week, `L` (the last
day of the month, `L-3` three days before it; in day-of-week `6L` the month's last Friday),
`W` (`15W` the weekday
nearest the 15th, `LW` the last weekday), `#` (`3#2` the second Tuesday). Day-of-week counts
SUN=1 to SAT=7. Times are UTC unless a timezone (an IANA name) is given, then the fields are
that zone's wall clock: a wall time daylight saving skips is skipped, one it repeats fires once
(at its first occurrence), as EventBridge Scheduler documents.

A malformed expression raises ScheduleError; each service words the error it answers."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_RATE = re.compile(r"^rate\((\d+) ([a-z]+)\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
#: How far ahead a cron expression is searched for its next match (its year field ends at 2199).
_SEARCH_YEARS = 10


class ScheduleError(ValueError):
    """A schedule expression AWS would refuse; the text says what is wrong."""


@dataclass(frozen=True)
class Rate:
    seconds: int
    expression: str

    def next_after(self, moment: datetime, start: datetime) -> datetime:
        """The first firing strictly after `moment` of a rate that started at `start`."""
        if moment < start:
            return start + timedelta(seconds=self.seconds)
        periods = int((moment - start).total_seconds() // self.seconds) + 1
        return start + timedelta(seconds=periods * self.seconds)


@dataclass(frozen=True)
class At:
    moment: datetime  # naive: wall clock in the schedule's timezone
    expression: str


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: str  # the day-of-month field, resolved per month (L, W depend on the month)
    months: frozenset[int]
    weekdays: str  # the day-of-week field, resolved per month (L, # depend on the month)
    years: frozenset[int]
    expression: str

    def month_days(self, year: int, month: int) -> list[int]:
        """The days of a month this expression fires on."""
        last = calendar.monthrange(year, month)[1]
        if self.days != "?":
            return sorted(_resolve_month_days(self.days, year, month, last))
        return sorted(_resolve_weekdays(self.weekdays, year, month, last))

    def next_after(self, moment: datetime, timezone: str | None = None) -> datetime | None:
        """The first firing strictly after `moment` (aware, any zone), in UTC; None when the
        expression never fires again."""
        zone = zone_of(timezone)
        local = moment.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0) + timedelta(minutes=1)
        for year in range(local.year, min(local.year + _SEARCH_YEARS, 2199) + 1):
            if year not in self.years:
                continue
            for month in sorted(self.months):
                if (year, month) < (local.year, local.month):
                    continue
                for day in self.month_days(year, month):
                    if (year, month, day) < (local.year, local.month, local.day):
                        continue
                    same_day = (year, month, day) == (local.year, local.month, local.day)
                    for hour in sorted(self.hours):
                        if same_day and hour < local.hour:
                            continue
                        for minute in sorted(self.minutes):
                            if same_day and hour == local.hour and minute < local.minute:
                                continue
                            wall = datetime(year, month, day, hour, minute, tzinfo=zone)
                            fire = wall.astimezone(UTC)
                            if fire.astimezone(zone).replace(tzinfo=None) != wall.replace(tzinfo=None):
                                continue  # a wall time daylight saving skips never comes
                            if fire > moment:
                                return fire
        return None


Schedule = Rate | Cron | At


def zone_of(timezone: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"Invalid timezone: {timezone}") from None


def parse(expression: str, *, allow_at: bool = False) -> Schedule:
    """A rate, cron or (where allowed) at expression; ScheduleError if malformed."""
    text = expression  # AWS refuses surrounding spaces, as it refuses " rate(...)"
    if match := _RATE.match(text):
        return _rate(expression, int(match.group(1)), match.group(2))
    if match := _CRON.match(text):
        return parse_cron(match.group(1), expression)
    if allow_at and (match := _AT.match(text)):
        try:
            return At(datetime.fromisoformat(match.group(1)), expression)
        except ValueError:
            raise ScheduleError(f"Invalid date in {expression}") from None
    raise ScheduleError(f"Invalid schedule expression: {expression}")


def _rate(expression: str, value: int, unit: str) -> Rate:
    singular = unit[:-1] if unit.endswith("s") else unit
    if singular not in _UNITS or value < 1:
        raise ScheduleError(f"Invalid rate expression: {expression}")
    if (value == 1) != (unit == singular):  # AWS: "1 minute", "5 minutes"
        raise ScheduleError(f"Invalid rate unit for value {value}: {expression}")
    return Rate(value * _UNITS[singular], expression)


def parse_cron(body: str, expression: str = "") -> Cron:
    fields = body.split()
    expression = expression or f"cron({body})"
    if len(fields) != 6:
        raise ScheduleError(f"A cron expression has six fields: {expression}")
    minutes, hours, days, months, weekdays, years = fields
    if (days == "?") == (weekdays == "?"):
        raise ScheduleError(f"One of day-of-month and day-of-week must be '?': {expression}")
    try:
        cron = Cron(
            minutes=_values(minutes, 0, 59),
            hours=_values(hours, 0, 23),
            days=days,
            months=_values(months, 1, 12, _MONTHS),
            weekdays=weekdays,
            years=_values(years, 1970, 2199),
            expression=expression,
        )
        # Check the day fields once against a month with every shape of week and length.
        if days != "?":
            _resolve_month_days(days, 2024, 1, 31)
        if weekdays != "?":
            _resolve_weekdays(weekdays, 2024, 1, 31)
    except (ValueError, IndexError):
        raise ScheduleError(f"Invalid cron expression: {expression}") from None
    return cron


def _number(text: str, names: tuple[str, ...] = (), low: int = 0) -> int:
    upper = text.upper()
    if upper in names:
        return names.index(upper) + low
    if not text.isdigit():
        raise ValueError(text)
    return int(text)


def _values(text: str, low: int, high: int, names: tuple[str, ...] = ()) -> frozenset[int]:
    """The values a plain field (`*`, lists, ranges, steps, names) allows."""
    values: set[int] = set()
    for item in text.split(","):
        part, slash, step_text = item.partition("/")
        step = _number(step_text) if slash else 1
        if part == "*":
            first, last = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            first, last = _number(a, names, low), _number(b, names, low)
        else:
            first = _number(part, names, low)
            last = high if slash else first
        if not (low <= first <= high and low <= last <= high) or step < 1:
            raise ValueError(item)
        if first <= last:
            values.update(range(first, last + 1, step))
        else:  # a range that wraps (FRI-MON, 22-2)
            values.update(v for v in range(first, last + (high - low + 1) + 1, step))
            values = {low + (v - low) % (high - low + 1) for v in values}
    return frozenset(values)


def _nearest_weekday(year: int, month: int, day: int, last: int) -> int:
    weekday = calendar.weekday(year, month, day)  # Monday=0
    if weekday == 5:  # Saturday → Friday, unless that leaves the month
        return day - 1 if day > 1 else day + 2
    if weekday == 6:  # Sunday → Monday, unless that leaves the month
        return day + 1 if day < last else day - 2
    return day


def _resolve_month_days(text: str, year: int, month: int, last: int) -> set[int]:
    days: set[int] = set()
    for item in text.split(","):
        if item == "L":
            days.add(last)
        elif item == "LW":
            days.add(_nearest_weekday(year, month, last, last))
        elif item.startswith("L-") and item[2:].isdigit():
            days.add(max(1, last - int(item[2:])))
        elif item.endswith("W") and item[:-1].isdigit():
            day = int(item[:-1])
            if not 1 <= day <= 31:
                raise ValueError(item)
            if day <= last:
                days.add(_nearest_weekday(year, month, day, last))
        else:
            days.update(day for day in _values(item, 1, 31) if day <= last)
    return days


def _aws_weekday(year: int, month: int, day: int) -> int:
    """SUN=1 .. SAT=7."""
    return (calendar.weekday(year, month, day) + 1) % 7 + 1


def _resolve_weekdays(text: str, year: int, month: int, last: int) -> set[int]:
    days: set[int] = set()
    for item in text.split(","):
        if "#" in item:
            weekday_text, _, nth_text = item.partition("#")
            weekday, nth = _number(weekday_text, _DAYS, 1), _number(nth_text)
            if not (1 <= weekday <= 7 and 1 <= nth <= 5):
                raise ValueError(item)
            matching = [d for d in range(1, last + 1) if _aws_weekday(year, month, d) == weekday]
            if nth <= len(matching):
                days.add(matching[nth - 1])
        elif item == "L":
            days.update(d for d in range(last - 6, last + 1) if _aws_weekday(year, month, d) == 7)
        elif item.endswith("L"):
            weekday = _number(item[:-1], _DAYS, 1)
            if not 1 <= weekday <= 7:
                raise ValueError(item)
            days.update(d for d in range(last - 6, last + 1) if _aws_weekday(year, month, d) == weekday)
        else:
            allowed = _values(item, 1, 7, _DAYS)
            days.update(d for d in range(1, last + 1) if _aws_weekday(year, month, d) in allowed)
    return days


def next_fire(
    schedule: Schedule, after: datetime, start: datetime, timezone: str | None = None
) -> datetime | None:
    """When a schedule next fires after `after` (aware): a rate counts periods from `start`, a
    cron matches the calendar in `timezone`, an at fires once. None: it never fires again."""
    if isinstance(schedule, Rate):
        return schedule.next_after(after, start)
    if isinstance(schedule, Cron):
        return schedule.next_after(after, timezone)
    fire = schedule.moment.replace(tzinfo=zone_of(timezone)).astimezone(UTC)
    return fire if fire > after else None
