"""When schedules fire, on the runtime's scheduler (overcast/scheduler.py).

Each enabled schedule's record holds its next nominal time ("NextDue", epoch seconds on the
schedule clock) and the moment chosen to invoke it ("FireAt": NextDue itself, or a moment
drawn within its FlexibleTimeWindow); the timer is keyed "scheduler:<scope>:<group> <name>".
A firing enqueues the invocation and writes the next times in one store transaction, so a
crash loses neither and repeats neither.

* at(...) fires once, at that wall-clock time in its timezone (at once when that time is
  past); rate(...) every period from its StartDate (or from its creation, at once);
  cron(...) at the calendar moments it names in ScheduleExpressionTimezone.
  StartDate and EndDate bound recurring schedules; one-time schedules ignore them.
* Once a schedule has no firing left it is complete: ActionAfterCompletion DELETE deletes it.
* At start, a schedule whose NextDue passed while Overcast was down fires once, at once (as
  AWS catches up, within the target's MaximumEventAgeInSeconds), then resumes its times."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from overcast.common import schedules

if TYPE_CHECKING:
    from overcast.services.scheduler.provider import Provider

log = logging.getLogger(__name__)

TIMER_PREFIX = "scheduler:"


def timer_key(scope: str, key: str) -> str:
    return f"{TIMER_PREFIX}{scope}:{key}"


def next_due(record: dict, after: float, first: bool = False) -> float | None:
    """The schedule's first nominal time strictly after `after` (a one-time schedule's own
    time when `first`, even if past), or None when it has none left."""
    try:
        schedule = schedules.parse(record["ScheduleExpression"], allow_at=True)
    except schedules.ScheduleError:
        return None
    timezone = record.get("ScheduleExpressionTimezone")
    if isinstance(schedule, schedules.At):
        once = schedule.moment.replace(tzinfo=schedules.zone_of(timezone)).timestamp()
        return once if first or once > after else None
    start_date = record.get("StartDate")
    end_date = record.get("EndDate")
    moment = datetime.fromtimestamp(after, UTC)
    fire: datetime | None
    if isinstance(schedule, schedules.Rate):
        # The first firing is the StartDate, or without one the creation ("starts invoking
        # the target immediately"), then one every period.
        base = start_date if start_date is not None else datetime.fromtimestamp(record["Anchor"], UTC)
        if first and start_date is None and base >= moment - timedelta(seconds=1):
            return base.timestamp()
        fire = schedule.next_after(moment, base - timedelta(seconds=schedule.seconds))
    else:
        if start_date is not None and moment < start_date:
            moment = start_date - timedelta(microseconds=1)
        fire = schedule.next_after(moment, timezone)
    if fire is None or (end_date is not None and fire > end_date):
        return None
    return fire.timestamp()


def fire_at(record: dict, due: float) -> float:
    """When to invoke a firing due at `due`: within the flexible window, at a random moment."""
    window = record.get("FlexibleTimeWindow") or {}
    if window.get("Mode") == "FLEXIBLE" and window.get("MaximumWindowInMinutes"):
        return due + random.uniform(0, window["MaximumWindowInMinutes"] * 60)
    return due


class FiringMixin:
    def start_firing(self: Provider) -> None:  # type: ignore[misc]
        """Register every enabled schedule again; fire once those that came due while down."""
        now = self.runtime.scheduler.now()
        for scope in self.schedules.scopes():
            with self.store.transaction():
                for key, record in list(self.schedules.scan(scope)):
                    if record.get("State") != "ENABLED" or record.get("NextDue") is None:
                        continue
                    # A sped-up clock (OVERCAST_SCHEDULE_SPEED) starts again from the wall
                    # clock after a restart: times it left in the future are taken back.
                    if record.get("Anchor", now) > now:
                        record["Anchor"] = now
                    fresh = next_due(record, now)
                    if record["NextDue"] <= now:
                        max_age = (record["Target"].get("RetryPolicy") or {}).get(
                            "MaximumEventAgeInSeconds", 86400
                        )
                        if now - record["NextDue"] <= max_age:
                            self.invoke(record, record["NextDue"])
                        record["NextDue"] = fresh
                        record.pop("FireAt", None)
                    elif fresh is not None and record["NextDue"] > fresh:
                        record["NextDue"] = fresh
                        record.pop("FireAt", None)
                    self._settle(scope, key, record)

    def restart_firing(self: Provider) -> None:  # type: ignore[misc]
        self.runtime.scheduler.cancel_prefix(TIMER_PREFIX)
        self.start_firing()

    def unschedule(self: Provider, scope: str, key: str) -> None:  # type: ignore[misc]
        self.runtime.scheduler.cancel(timer_key(scope, key))

    def plan(self: Provider, scope: str, key: str, record: dict) -> None:  # type: ignore[misc]
        """Store a created or updated schedule with its first time, and register its timer
        (in the open store transaction)."""
        record.pop("FireAt", None)
        if record["State"] == "ENABLED":
            record["NextDue"] = next_due(record, self.runtime.scheduler.now(), first=True)
        else:
            record["NextDue"] = None
        self._settle(scope, key, record)

    def _settle(self: Provider, scope: str, key: str, record: dict) -> None:  # type: ignore[misc]
        """Write the record and register (or forget) its timer; a schedule with no time left
        is complete, and deleted when its ActionAfterCompletion says so."""
        due = record.get("NextDue") if record.get("State") == "ENABLED" else None
        if due is None:
            self.unschedule(scope, key)
            record.pop("FireAt", None)
            if record.get("State") == "ENABLED" and record.get("ActionAfterCompletion") == "DELETE":
                self.schedules.delete(scope, key)
                return
            self.schedules.put(scope, key, record)
            return
        if record.get("FireAt") is None:
            record["FireAt"] = fire_at(record, due)
        self.schedules.put(scope, key, record)
        self.runtime.scheduler.at(timer_key(scope, key), record["FireAt"], self._fire)

    def _fire(self: Provider, timer: str, fire_moment: float) -> None:  # type: ignore[misc]
        scope, _, key = timer[len(TIMER_PREFIX) :].partition(":")
        with self.store.transaction():
            record = self.schedules.get(scope, key)
            if record is None or record.get("State") != "ENABLED" or record.get("FireAt") != fire_moment:
                return
            due = record["NextDue"]
            self.invoke(record, due)
            current = self.schedules.get(scope, key)
            if current is None or current.get("LastModificationDate") != record.get("LastModificationDate"):
                return  # its own invocation deleted or updated it (a universal target can)
            # After a late firing the next time is counted from now: no burst of missed ones.
            record["NextDue"] = next_due(record, max(due, self.runtime.scheduler.now() - 1))
            record.pop("FireAt", None)
            self._settle(scope, key, record)
