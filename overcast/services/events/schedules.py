"""Scheduled rules: a rule with a ScheduleExpression fires a "Scheduled Event" (source
aws.events, resources the rule's ARN) to its targets at each time its rate or cron expression
names, on the runtime's scheduler (overcast/scheduler.py).

A rate counts its periods from when the rule was created (its "ScheduleAnchor", on the
scheduler's clock); a cron expression matches the UTC calendar. The rules table is the durable
state: at start every enabled scheduled rule is registered again for its next time after now
(AWS does not replay the firings a rule missed)."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from overcast.common import schedules
from overcast.common.times import iso_seconds
from overcast.services.events.rules import ENABLED_STATES
from overcast.services.events.transform import compact_json

if TYPE_CHECKING:
    from overcast.services.events.provider import Provider

log = logging.getLogger(__name__)


def timer_key(scope: str, key: str) -> str:
    return f"events:{scope}:{key}"


class SchedulesMixin:
    def start_schedules(self: Provider) -> None:  # type: ignore[misc]
        for scope in self.rules.scopes():
            for key, rule in self.rules.scan(scope, prefix="default "):
                if rule.get("ScheduleExpression"):
                    self.schedule_rule(scope, key, rule)

    def restart_schedules(self: Provider) -> None:  # type: ignore[misc]
        self.runtime.scheduler.cancel_prefix("events:")
        self.start_schedules()

    def unschedule_rule(self: Provider, scope: str, key: str) -> None:  # type: ignore[misc]
        self.runtime.scheduler.cancel(timer_key(scope, key))

    def schedule_rule(self: Provider, scope: str, key: str, rule: dict) -> None:  # type: ignore[misc]
        """(Re)register a rule's next firing, or forget it when it has no schedule or is off."""
        scheduler = self.runtime.scheduler
        expression = rule.get("ScheduleExpression")
        if not expression or rule.get("State") not in ENABLED_STATES:
            scheduler.cancel(timer_key(scope, key))
            return
        anchor = rule.get("ScheduleAnchor")
        # A sped-up clock (OVERCAST_SCHEDULE_SPEED) starts again from the wall clock after a
        # restart: an anchor it left in the future is taken back to now.
        if anchor is None or anchor > scheduler.now() or rule.get("AnchoredExpression") != expression:
            rule["ScheduleAnchor"] = scheduler.now()
            rule["AnchoredExpression"] = expression
            self.rules.put(scope, key, rule)
        due = self._next_due(rule, scheduler.now())
        if due is None:
            scheduler.cancel(timer_key(scope, key))
        else:
            scheduler.at(timer_key(scope, key), due, self._fire_rule)

    @staticmethod
    def _next_due(rule: dict, now: float) -> float | None:
        try:
            schedule = schedules.parse(rule["ScheduleExpression"])
        except schedules.ScheduleError:
            return None
        start = datetime.fromtimestamp(rule["ScheduleAnchor"], UTC)
        fire = schedules.next_fire(schedule, datetime.fromtimestamp(now, UTC), start)
        return None if fire is None else fire.timestamp()

    def _fire_rule(self: Provider, timer: str, due: float) -> None:  # type: ignore[misc]
        _, scope, key = timer.split(":", 2)
        rule = self.rules.get(scope, key)
        if rule is None or rule.get("State") not in ENABLED_STATES or not rule.get("ScheduleExpression"):
            return
        account, region = scope.split("/")
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": account,
            "time": iso_seconds(due),
            "region": region,
            "resources": [rule["Arn"]],
            "detail": {},
        }
        text = compact_json(event)
        with self.store.transaction():
            for target in rule.get("Targets", ()):
                self.dispatch(scope, rule, target, event, text)
        next_due = self._next_due(rule, due)
        if next_due is not None:
            self.runtime.scheduler.at(timer, next_due, self._fire_rule)
