"""Scheduled actions: at StartTime, or on a Recurrence (Unix cron, five fields, in TimeZone),
set a group's min, max and desired capacity. Each action's next firing is a timer on the
scheduler; a one-time action is deleted once it has run, as AWS does."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.common import schedules
from overcast.context import RequestContext
from overcast.services.autoscaling.common import SEP, arn, group_not_found, now, stamp, validation, when

if TYPE_CHECKING:
    from overcast.services.autoscaling.provider import Provider

PUBLIC = (
    "AutoScalingGroupName",
    "ScheduledActionName",
    "ScheduledActionARN",
    "Time",
    "StartTime",
    "EndTime",
    "Recurrence",
    "MinSize",
    "MaxSize",
    "DesiredCapacity",
    "TimeZone",
)
_DOW_NUMBER = re.compile(r"\d+")


def aws_cron(recurrence: str) -> schedules.Cron:
    """A Unix cron expression (minute hour day month weekday, Sunday 0 or 7) as AWS's dialect."""
    fields = recurrence.split()
    if len(fields) != 5:
        raise validation(f"Given recurrence string {recurrence} is invalid")
    minute, hour, day, month, weekday = fields
    weekday = _DOW_NUMBER.sub(lambda m: str(int(m.group()) % 7 + 1), weekday)
    if weekday == "*":
        weekday = "?"
    elif day == "*":
        day = "?"
    else:
        weekday = "?"
    try:
        return schedules.parse_cron(f"{minute} {hour} {day} {month} {weekday} *")
    except schedules.ScheduleError:
        raise validation(f"Given recurrence string {recurrence} is invalid") from None


def next_due(action: dict[str, Any], after: float) -> float | None:
    start = action.get("StartTime")
    end = action.get("EndTime")
    if action.get("Recurrence"):
        moment = max(after, start or after)
        cron = aws_cron(action["Recurrence"])
        fire = cron.next_after(datetime.fromtimestamp(moment, UTC), action.get("TimeZone"))
        if fire is None:
            return None
        due = fire.timestamp()
        return None if end is not None and due > end else due
    if start is not None and start > after - 1:
        return start
    return None


class ScheduledMixin:
    def _timer_key(self, scope: str, key: str) -> str:
        return f"autoscaling/scheduled/{scope}/{key}"

    def arm(self: Provider, scope: str, key: str, action: dict[str, Any]) -> None:  # type: ignore[misc]
        scheduler = self.runtime.scheduler
        due = next_due(action, max(scheduler.now(), action.get("_last", 0) + 1))
        if due is None:
            scheduler.cancel(self._timer_key(scope, key))
            return
        scheduler.at(self._timer_key(scope, key), due, self._fire_scheduled)

    def arm_all(self: Provider) -> None:  # type: ignore[misc]
        for scope in self.scheduled.scopes():
            for key, action in self.scheduled.scan(scope):
                self.arm(scope, key, action)

    def _fire_scheduled(self: Provider, timer: str, due: float) -> None:  # type: ignore[misc]
        _, _, account, region, key = timer.split("/", 4)
        scope = f"{account}/{region}"
        action = self.scheduled.get(scope, key)
        if action is None:
            return
        with self.lock:
            group = self.groups.get(scope, action["AutoScalingGroupName"])
            if group is not None and "ScheduledActions" not in self.suspended(group):
                old = group["DesiredCapacity"]
                for member in ("MinSize", "MaxSize", "DesiredCapacity"):
                    if action.get(member) is not None:
                        group[member] = action[member]
                group["MinSize"] = min(group["MinSize"], group["MaxSize"])
                group["DesiredCapacity"] = max(
                    group["MinSize"], min(group["MaxSize"], group["DesiredCapacity"])
                )
                parts = ", ".join(
                    f"{label}: {action[member]}"
                    for label, member in (
                        ("min", "MinSize"),
                        ("max", "MaxSize"),
                        ("desired", "DesiredCapacity"),
                    )
                    if action.get(member) is not None
                )
                group["_cause"] = (
                    f"At {stamp(now())} a scheduled action update of AutoScalingGroup constraints to {parts} "
                    f"changing the desired capacity from {old} to {group['DesiredCapacity']}."
                )
                if old == group["DesiredCapacity"]:
                    group.pop("_cause")
                self.groups.put(scope, group["AutoScalingGroupName"], group)
            action["_last"] = due
            if action.get("Recurrence"):
                self.scheduled.put(scope, key, action)
                self.arm(scope, key, action)
            else:
                self.scheduled.delete(scope, key)
        if group is not None:
            self.reconcile(scope, group["AutoScalingGroupName"])

    # -- operations ----------------------------------------------------------------------------

    def _put_action(self: Provider, context: RequestContext, group_name: str, spec: dict[str, Any]) -> None:  # type: ignore[misc]
        scope = self.scope_of(context)
        if self.groups.get(scope, group_name) is None:
            raise group_not_found(group_name)
        name = spec["ScheduledActionName"]
        key = f"{group_name}{SEP}{name}"
        existing = self.scheduled.get(scope, key)
        start = spec.get("StartTime") if spec.get("StartTime") is not None else spec.get("Time")
        action: dict[str, Any] = {
            "AutoScalingGroupName": group_name,
            "ScheduledActionName": name,
            "ScheduledActionARN": (existing or {}).get("ScheduledActionARN")
            or arn(
                context.region,
                context.account,
                "scheduledUpdateGroupAction",
                f"autoScalingGroupName/{group_name}:scheduledActionName/{name}",
            ),
        }
        if start is not None:
            action["StartTime"] = when(start)
            action["Time"] = action["StartTime"]
        if spec.get("EndTime") is not None:
            action["EndTime"] = when(spec["EndTime"])
        for member in ("Recurrence", "MinSize", "MaxSize", "DesiredCapacity", "TimeZone"):
            if spec.get(member) is not None:
                action[member] = spec[member]
        if all(action.get(m) is None for m in ("MinSize", "MaxSize", "DesiredCapacity")):
            raise validation("At least one of MinSize, MaxSize or DesiredCapacity must be specified.")
        if action.get("Recurrence"):
            aws_cron(action["Recurrence"])
        elif start is None:
            raise validation("Either StartTime or Recurrence must be specified.")
        if action.get("TimeZone"):
            try:
                schedules.zone_of(action["TimeZone"])
            except schedules.ScheduleError:
                raise validation(f"Invalid time zone: {action['TimeZone']}") from None
        if action.get("EndTime") is not None and action.get("StartTime") is not None:
            if action["EndTime"] <= action["StartTime"]:
                raise validation("End time must be after start time.")
        if not action.get("Recurrence") and action["StartTime"] < now() - 1:
            raise validation("Given start time is in the past")
        if action.get("Recurrence") and "StartTime" not in action:
            due = next_due(action, now())
            if due is not None:
                action["StartTime"] = action["Time"] = due
        self.scheduled.put(scope, key, action)
        self.arm(scope, key, action)

    def put_scheduled_update_group_action(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self._put_action(context, params["AutoScalingGroupName"], params)
        return {}

    def batch_put_scheduled_update_group_action(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        failed = []
        for spec in params["ScheduledUpdateGroupActions"]:
            try:
                self._put_action(context, params["AutoScalingGroupName"], spec)
            except Exception as error:
                failed.append(
                    {
                        "ScheduledActionName": spec["ScheduledActionName"],
                        "ErrorCode": getattr(error, "code", "ValidationError"),
                        "ErrorMessage": getattr(error, "message", str(error)),
                    }
                )
        return {"FailedScheduledUpdateGroupActions": failed}

    def _delete_action(self: Provider, context: RequestContext, group_name: str, name: str) -> bool:  # type: ignore[misc]
        scope = self.scope_of(context)
        key = f"{group_name}{SEP}{name}"
        if self.scheduled.get(scope, key) is None:
            return False
        self.scheduled.delete(scope, key)
        self.runtime.scheduler.cancel(self._timer_key(scope, key))
        return True

    def delete_scheduled_action(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self.group(self.scope_of(context), params["AutoScalingGroupName"])
        if not self._delete_action(context, params["AutoScalingGroupName"], params["ScheduledActionName"]):
            raise validation("Scheduled Update Group Action not found")
        return {}

    def batch_delete_scheduled_action(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self.group(self.scope_of(context), params["AutoScalingGroupName"])
        failed = [
            {
                "ScheduledActionName": name,
                "ErrorCode": "ValidationError",
                "ErrorMessage": "Scheduled Update Group Action not found",
            }
            for name in params["ScheduledActionNames"]
            if not self._delete_action(context, params["AutoScalingGroupName"], name)
        ]
        return {"FailedScheduledActions": failed}

    def describe_scheduled_actions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        group_name = params.get("AutoScalingGroupName")
        if group_name:
            self.group(scope, group_name)
        names = params.get("ScheduledActionNames") or []
        start = when(params["StartTime"]) if params.get("StartTime") is not None else None
        end = when(params["EndTime"]) if params.get("EndTime") is not None else None
        prefix = f"{group_name}{SEP}" if group_name else ""
        found = [
            {k: a[k] for k in PUBLIC if k in a}
            for _, a in self.scheduled.scan(scope, prefix=prefix)
            if (not names or a["ScheduledActionName"] in names)
            and (start is None or a.get("StartTime", 0) >= start)
            and (end is None or a.get("StartTime", 0) <= end)
        ]
        return self.page("DescribeScheduledActions", params, found)
