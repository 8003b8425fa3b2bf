"""When a maintenance window runs: its Schedule (`cron(...)` with AWS's six fields and an
optional leading seconds field, `rate(N minutes|hours|days)`, or a one-time
`at(yyyy-mm-ddThh:mm:ss)`), read in its ScheduleTimezone, moved by ScheduleOffset days (cron
only), and kept between StartDate and EndDate. The cron fields are read by the shared schedule
module (overcast/common/schedules.py), so Overcast has one reading of AWS cron."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from overcast.common import schedules
from overcast.services.ssm.errors import validation

_CRON = re.compile(r"^cron\((.*)\)$")
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_UNIT = {"minute": 60, "hour": 3600, "day": 86400}


def zone(name: str | None) -> tzinfo:
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise validation(f"Invalid schedule timezone: {name}") from None


def parse_date(text: str, field: str) -> datetime:
    """An ISO-8601 StartDate/EndDate; a date without an offset is UTC."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise validation(f"Invalid {field}: {text}. {field} must be in ISO-8601 extended format.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _cron_body(schedule: str) -> str | None:
    match = _CRON.match(schedule)
    if match is None:
        return None
    parts = match.group(1).split()
    # A seventh, leading field gives seconds; windows start on the minute.
    return " ".join(parts[1:] if len(parts) == 7 else parts)


def cron_fields(body: str) -> schedules.Cron:
    """A cron body's fields (the year may be left out); ScheduleError, a ValueError, when AWS
    would refuse it."""
    parts = body.split()
    if len(parts) == 5:
        parts.append("*")
    return schedules.parse_cron(" ".join(parts))


def check(window: dict) -> None:
    """Refuse the schedule settings AWS refuses."""
    schedule = window["Schedule"]
    body = _cron_body(schedule)
    if body is not None:
        try:
            cron_fields(body)
        except ValueError:
            raise validation(f"Invalid cron expression: {schedule}") from None
    elif _RATE.match(schedule) or _AT.match(schedule):
        if window.get("ScheduleOffset"):
            raise validation("ScheduleOffset can only be used with cron expressions.")
    else:
        raise validation(f"Invalid schedule expression: {schedule}")
    zone(window.get("ScheduleTimezone"))
    start = parse_date(window["StartDate"], "StartDate") if window.get("StartDate") else None
    end = parse_date(window["EndDate"], "EndDate") if window.get("EndDate") else None
    # An EndDate already past is kept: the window simply has no run left (and an expired
    # window's configuration can still be updated).
    if start is not None and end is not None and end <= start:
        raise validation("EndDate must be later than StartDate.")
    if window["Cutoff"] >= window["Duration"]:
        raise validation("The cutoff must be less than the duration.")


def _occurrences(window: dict, after: datetime) -> Iterator[tuple[datetime, datetime]]:
    """(run time, the schedule's match it comes from) for the matches after `after`, in order:
    a cron match runs ScheduleOffset days later; rate and at() runs are their matches."""
    schedule, where = window["Schedule"], zone(window.get("ScheduleTimezone"))
    body = _cron_body(schedule)
    if body is not None:
        cron, offset = cron_fields(body), timedelta(days=window.get("ScheduleOffset") or 0)
        cursor = after
        while True:
            fire = cron.next_after(cursor, window.get("ScheduleTimezone"))
            if fire is None:
                return
            cursor = fire
            match = fire.astimezone(where)  # the offset moves the match on the window's wall clock
            yield match + offset, match
    rate = _RATE.match(schedule)
    if rate:
        step = timedelta(seconds=int(rate.group(1)) * _UNIT[rate.group(2).rstrip("s")])
        # A rate counts from the window's start date, or from its creation when that is later.
        anchor = datetime.fromtimestamp(window["CreatedDate"], UTC)
        if window.get("StartDate"):
            anchor = max(anchor, parse_date(window["StartDate"], "StartDate"))
        count = max(0, int((after - anchor) / step) + 1)
        while True:
            moment = (anchor + count * step).astimezone(where)
            yield moment, moment
            count += 1
    at = _AT.match(schedule)
    if at:
        moment = datetime.fromisoformat(at.group(1)).replace(tzinfo=where)
        if moment > after:
            yield moment, moment


def upcoming(window: dict, now: datetime, count: int) -> list[tuple[datetime, datetime]]:
    """The next `count` (at most) runs after `now`, as (run time, match). Only the schedule's
    matches after it took effect (ScheduleFrom: creation, or the last change of schedule),
    after StartDate and after the last match run (LastScheduled) count: a cron match before
    the window existed does not run even when its offset would land it in the future, as AWS
    documents. Runs after EndDate do not happen."""
    bounds = [datetime.fromtimestamp(window.get("ScheduleFrom") or window["CreatedDate"], UTC)]
    if window.get("StartDate"):
        bounds.append(parse_date(window["StartDate"], "StartDate"))
    if window.get("LastScheduled"):
        bounds.append(datetime.fromtimestamp(window["LastScheduled"], UTC))
    # A match more than the offset before now can only run in the past: skip those.
    bounds.append(now - timedelta(days=window.get("ScheduleOffset") or 0))
    end = parse_date(window["EndDate"], "EndDate") if window.get("EndDate") else None
    found: list[tuple[datetime, datetime]] = []
    for moment, match in _occurrences(window, max(bounds)):
        if end is not None and moment > end:
            break
        if moment > now:
            found.append((moment, match))
            if len(found) >= count:
                break
    return found


def render(moment: datetime, window: dict) -> str:
    """AWS's form of a run time: minutes, with "Z" in UTC or the zone's offset."""
    if not window.get("ScheduleTimezone") or moment.utcoffset() == timedelta(0):
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
    text = moment.strftime("%Y-%m-%dT%H:%M%z")
    return text[:-2] + ":" + text[-2:]
