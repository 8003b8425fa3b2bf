"""AWS schedule expressions as Logs' scheduled queries take them: `cron(minutes hours
day-of-month month day-of-week year)` with AWS's six fields, or `rate(value unit)`, checked by the
shared parser (overcast/common/schedules.py)."""

from __future__ import annotations

from overcast.common import schedules


def valid_schedule(expression: str) -> bool:
    """Whether AWS accepts `expression` as a schedule."""
    try:
        schedules.parse(expression)
    except schedules.ScheduleError:
        return False
    return True
