"""RotationRules: when the next rotation is due. AutomaticallyAfterDays counts days from the
last rotation; ScheduleExpression is `rate(N days|hours)` or AWS's six-field
`cron(minutes hours day-of-month month day-of-week year)`.

Time runs at the speed of OVERCAST_SECRETSMANAGER_DAY_SECONDS (a rotation "day"): a rate
or AutomaticallyAfterDays interval is that many scaled days, and a cron schedule's wait for its
next match (on the real calendar) is scaled by the same factor, so tests see both happen."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from overcast.common import schedules
from overcast.services.secretsmanager.errors import invalid_parameter

_RATE = re.compile(r"^rate\((\d+) (hour|hours|day|days)\)$")
DAY = 86400.0


def _bad(expression: str) -> Exception:
    return invalid_parameter(f"Invalid schedule expression: {expression}")


def parse_cron(expression: str) -> schedules.Cron:
    """A rotation's cron expression, parsed by the shared parser (overcast/common/schedules.py);
    Secrets Manager also takes five fields, the year left out."""
    match = re.match(r"^cron\((.*)\)$", expression)
    if not match:
        raise _bad(expression)
    fields = match.group(1).split()
    if len(fields) == 5:
        fields.append("*")
    try:
        return schedules.parse_cron(" ".join(fields), expression)
    except schedules.ScheduleError:
        raise _bad(expression) from None


def next_cron(cron: schedules.Cron, after: datetime) -> datetime | None:
    """The first match after `after` (UTC), or None when the expression never fires again."""
    return cron.next_after(after)


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
