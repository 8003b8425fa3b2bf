"""Amazon EventBridge Scheduler: schedule groups (every account and region has "default"),
schedules with `at(...)`, `rate(...)` and `cron(...)` expressions that really fire
(firing.py, on the runtime's scheduler) and targets invoked as the schedule's role
(targets.py: templated targets and universal `aws-sdk` targets, retries, dead letters).

Tables, each scoped by account and region: "groups" (by name) and "schedules" (by
"<group> <name>": a space sorts before every character a name may hold, so one group's
schedules are one prefix)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from overcast.common import pagination, schedules, tagging
from overcast.common.arns import build_arn, parse_arn
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.base import BaseProvider
from overcast.services.scheduler import errors, sealing
from overcast.services.scheduler.firing import FiringMixin
from overcast.services.scheduler.targets import TargetsMixin, check_target
from overcast.store import scope as store_scope

DEFAULT_GROUP = "default"
#: AWS's quota of schedule groups per account and Region (the default group included).
MAX_GROUPS = 500
DEFAULT_RETRY_POLICY = {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}
TAG_RULES = tagging.TagRules(refuse=tagging.refusals("ValidationException"), max_tags=200)
#: How far in the past AWS lets a StartDate or EndDate lie.
_PAST_GRACE = timedelta(minutes=5)
#: The members of a schedule that CreateSchedule and UpdateSchedule set (all of them, each time).
_SETTINGS = ("ScheduleExpression", "ScheduleExpressionTimezone", "StartDate", "EndDate", "Description",
             "State", "KmsKeyArn", "Target", "FlexibleTimeWindow", "ActionAfterCompletion")  # fmt: skip


def _bad_token() -> ServiceError:
    return errors.validation("Invalid NextToken.")


class Provider(FiringMixin, TargetsMixin, BaseProvider):
    service = "scheduler"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.groups = self.store.table("scheduler", "groups")
        self.schedules = self.store.table("scheduler", "schedules")

    def start(self) -> None:
        self.start_targets()
        self.start_firing()

    def state_replaced(self) -> None:
        self.forget_sessions()  # the role sessions' keys went with the old state
        self.restart_firing()

    def reset(self) -> None:
        self.runtime.scheduler.cancel_prefix("scheduler:")

    # -- groups ----------------------------------------------------------------------------------

    @staticmethod
    def scope_of(context: RequestContext) -> str:
        return store_scope(context.account, context.region)

    @staticmethod
    def group_arn(account: str, region: str, name: str) -> str:
        return build_arn("scheduler", region, account, f"schedule-group/{name}")

    def group_record(self, scope: str, name: str) -> dict | None:
        record = self.groups.get(scope, name)
        if record is None and name == DEFAULT_GROUP:
            # Every account has its default group; its record is written the first time it is
            # seen, so its creation time stays put.
            account, region = scope.split("/")
            now = datetime.now(UTC)
            record = {"Name": DEFAULT_GROUP, "Arn": self.group_arn(account, region, DEFAULT_GROUP),
                      "State": "ACTIVE", "CreationDate": now, "LastModificationDate": now, "Tags": {}}  # fmt: skip
            with self.store.transaction():
                self.groups.put(scope, name, record)
        return record

    def group(self, scope: str, name: str) -> dict:
        record = self.group_record(scope, name)
        if record is None:
            raise errors.group_not_found(name)
        return record

    @staticmethod
    def render_group(record: dict) -> dict:
        return {key: record[key] for key in ("Arn", "Name", "State", "CreationDate", "LastModificationDate")}

    def create_schedule_group(self, context: RequestContext, params: dict) -> dict:
        scope, name = self.scope_of(context), params["Name"]
        tags = tagging.tag_map(params.get("Tags"), TAG_RULES)
        with self.store.transaction():
            existing = self.group_record(scope, name)
            if existing is not None:
                if params.get("ClientToken") and existing.get("ClientToken") == params["ClientToken"]:
                    return {"ScheduleGroupArn": existing["Arn"]}
                raise errors.conflict(f"Schedule group {name} already exists.")
            self.group_record(scope, DEFAULT_GROUP)  # it counts, seen or not
            if self.groups.count(scope) >= MAX_GROUPS:
                raise errors.quota(
                    f"The maximum of {MAX_GROUPS} schedule groups per account and Region is reached."
                )
            now = datetime.now(UTC)
            arn = self.group_arn(context.account, context.region, name)
            self.groups.put(scope, name, {"Name": name, "Arn": arn, "State": "ACTIVE", "CreationDate": now,
                                          "LastModificationDate": now, "Tags": tags,
                                          "ClientToken": params.get("ClientToken")})  # fmt: skip
        return {"ScheduleGroupArn": arn}

    def get_schedule_group(self, context: RequestContext, params: dict) -> dict:
        return self.render_group(self.group(self.scope_of(context), params["Name"]))

    def delete_schedule_group(self, context: RequestContext, params: dict) -> dict:
        scope, name = self.scope_of(context), params["Name"]
        if name == DEFAULT_GROUP:
            raise errors.validation("Cannot delete the default schedule group.")
        with self.store.transaction():
            self.group(scope, name)
            # Deleting a group deletes its schedules, which stop firing at once.
            for key, _ in list(self.schedules.scan(scope, prefix=name + " ")):
                self.schedules.delete(scope, key)
                self.unschedule(scope, key)
            self.groups.delete(scope, name)
        return {}

    def list_schedule_groups(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        prefix = params.get("NamePrefix") or ""
        if DEFAULT_GROUP.startswith(prefix):
            self.group_record(scope, DEFAULT_GROUP)
        return pagination.paginate_keys(
            self.store, "scheduler", "ListScheduleGroups", params,
            lambda after: self.groups.scan(scope, prefix=prefix, start_after=after),
            bad_token=_bad_token, default_limit=100, bind=prefix,
            render=lambda _key, record: self.render_group(record),
        )  # fmt: skip

    # -- schedules -------------------------------------------------------------------------------

    def schedule_arn(self, account: str, region: str, group: str, name: str) -> str:
        return build_arn("scheduler", region, account, f"schedule/{group}/{name}")

    def _settings(self, context: RequestContext, params: dict) -> dict:
        """The schedule's settings from a Create or Update request, checked as AWS checks them."""
        expression = params["ScheduleExpression"]
        timezone = params.get("ScheduleExpressionTimezone")
        try:
            parsed = schedules.parse(expression, allow_at=True)
        except schedules.ScheduleError:
            raise errors.validation(f"Invalid Schedule Expression {expression}.") from None
        if timezone is not None:
            try:
                schedules.zone_of(timezone)
            except schedules.ScheduleError:
                raise errors.validation(f"Invalid Schedule Expression Timezone {timezone}.") from None
        window = params["FlexibleTimeWindow"]
        if window["Mode"] == "FLEXIBLE" and window.get("MaximumWindowInMinutes") is None:
            raise errors.validation("MaximumWindowInMinutes must be provided when Mode is FLEXIBLE.")
        if window["Mode"] == "OFF" and window.get("MaximumWindowInMinutes") is not None:
            raise errors.validation("MaximumWindowInMinutes must not be provided when Mode is OFF.")
        now = datetime.now(UTC)
        start, end = params.get("StartDate"), params.get("EndDate")
        if not isinstance(parsed, schedules.At):  # a one-time schedule ignores both
            if start is not None and start < now - _PAST_GRACE:
                raise errors.validation("The StartDate you specify cannot be earlier than 5 minutes ago.")
            if end is not None and end < now:
                raise errors.validation("The EndDate you specify cannot be earlier than the current time.")
            if start is not None and end is not None and end <= start:
                raise errors.validation("The StartDate must come before the EndDate.")
        target = dict(params["Target"])
        check_target(target, context)
        if params.get("KmsKeyArn"):
            sealing.check_key(self.runtime, context.account, context.region, params["KmsKeyArn"])
        target.setdefault("RetryPolicy", dict(DEFAULT_RETRY_POLICY))
        return {
            "ScheduleExpression": expression,
            "ScheduleExpressionTimezone": timezone or "UTC",
            "StartDate": start,
            "EndDate": end,
            "Description": params.get("Description"),
            "State": params.get("State") or "ENABLED",
            "KmsKeyArn": params.get("KmsKeyArn"),
            "Target": target,
            "FlexibleTimeWindow": window,
            "ActionAfterCompletion": params.get("ActionAfterCompletion") or "NONE",
        }

    def create_schedule(self, context: RequestContext, params: dict) -> dict:
        scope, name = self.scope_of(context), params["Name"]
        group = params.get("GroupName") or DEFAULT_GROUP
        settings = self._settings(context, params)
        key = f"{group} {name}"
        with self.store.transaction():
            self.group(scope, group)
            existing = self.schedules.get(scope, key)
            if existing is not None:
                # The same request again (its ClientToken) answers as the first did.
                if params.get("ClientToken") and existing.get("ClientToken") == params["ClientToken"]:
                    return {"ScheduleArn": existing["Arn"]}
                raise errors.conflict(f"Schedule {name} already exists.")
            now = datetime.now(UTC)
            record = {"Name": name, "GroupName": group,
                      "Arn": self.schedule_arn(context.account, context.region, group, name),
                      **settings, "CreationDate": now, "LastModificationDate": now,
                      "Anchor": self.runtime.scheduler.now(), "ClientToken": params.get("ClientToken")}  # fmt: skip
            sealing.seal(self.runtime, context.account, context.region, record)
            self.plan(scope, key, record)
        return {"ScheduleArn": record["Arn"]}

    def update_schedule(self, context: RequestContext, params: dict) -> dict:
        scope, name = self.scope_of(context), params["Name"]
        group = params.get("GroupName") or DEFAULT_GROUP
        settings = self._settings(context, params)
        key = f"{group} {name}"
        with self.store.transaction():
            self.group(scope, group)
            record = self.schedules.get(scope, key)
            if record is None:
                raise errors.schedule_not_found(name)
            # UpdateSchedule replaces every setting: one left out takes its default.
            changed_timing = any(
                record.get(member) != settings[member]
                for member in ("ScheduleExpression", "ScheduleExpressionTimezone", "StartDate")
            )
            record.update(settings)
            record["LastModificationDate"] = datetime.now(UTC)
            if changed_timing:
                record["Anchor"] = self.runtime.scheduler.now()
                record.pop("NextDue", None)
            sealing.seal(self.runtime, context.account, context.region, record)
            self.plan(scope, key, record)
        return {"ScheduleArn": record["Arn"]}

    def get_schedule(self, context: RequestContext, params: dict) -> dict:
        scope, name = self.scope_of(context), params["Name"]
        group = params.get("GroupName") or DEFAULT_GROUP
        record = self.schedules.get(scope, f"{group} {name}")
        if record is None:
            self.group(scope, group)  # a missing group is the error to answer first
            raise errors.schedule_not_found(name)
        out = {
            key: record[key] for key in ("Arn", "Name", "GroupName", "CreationDate", "LastModificationDate")
        }
        out.update((member, record[member]) for member in _SETTINGS if record.get(member) is not None)
        out["Target"] = sealing.opened_target(self.runtime, record)
        return out

    def delete_schedule(self, context: RequestContext, params: dict) -> dict:
        scope, name = self.scope_of(context), params["Name"]
        group = params.get("GroupName") or DEFAULT_GROUP
        with self.store.transaction():
            self.group(scope, group)
            if not self.schedules.delete(scope, f"{group} {name}"):
                raise errors.schedule_not_found(name)
            self.unschedule(scope, f"{group} {name}")
        return {}

    def list_schedules(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        group = params.get("GroupName")
        if group is not None:
            self.group(scope, group)
        name_prefix = params.get("NamePrefix") or ""
        state = params.get("State")

        def scan(after: str | None):
            rows = self.schedules.scan(scope, prefix=f"{group} " if group else "", start_after=after)
            for key, record in rows:
                if record["Name"].startswith(name_prefix) and (state is None or record["State"] == state):
                    yield key, record

        return pagination.paginate_keys(
            self.store, "scheduler", "ListSchedules", params, scan,
            bad_token=_bad_token, default_limit=100, bind=f"{group}|{name_prefix}|{state}",
            render=lambda _key, record: {
                "Arn": record["Arn"], "Name": record["Name"], "GroupName": record["GroupName"],
                "State": record["State"], "CreationDate": record["CreationDate"],
                "LastModificationDate": record["LastModificationDate"], "Target": {"Arn": record["Target"]["Arn"]},
            },
        )  # fmt: skip

    # -- tags (schedule groups only) --------------------------------------------------------------

    def _tagged_group(self, context: RequestContext, arn: str) -> tuple[str, str, dict]:
        parsed = parse_arn(arn)
        if (
            parsed is None
            or parsed.service != "scheduler"
            or not parsed.resource.startswith("schedule-group/")
        ):
            raise errors.validation(f"Invalid ResourceArn {arn}.")
        name = parsed.resource[len("schedule-group/") :]
        scope = store_scope(parsed.account or context.account, parsed.region or context.region)
        return scope, name, self.group(scope, name)

    def tag_resource(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            scope, name, record = self._tagged_group(context, params["ResourceArn"])
            record["Tags"] = tagging.add_tags(record.get("Tags"), params["Tags"], TAG_RULES)
            self.groups.put(scope, name, record)
        return {}

    def untag_resource(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            scope, name, record = self._tagged_group(context, params["ResourceArn"])
            record["Tags"] = tagging.remove_tags(record.get("Tags"), params["TagKeys"])
            self.groups.put(scope, name, record)
        return {}

    def list_tags_for_resource(self, context: RequestContext, params: dict) -> dict:
        _, _, record = self._tagged_group(context, params["ResourceArn"])
        return {"Tags": tagging.tag_list(record.get("Tags"))}

    def resource_tags(self, arn: str) -> dict[str, str] | None:
        parsed = parse_arn(arn)
        if parsed is None or not parsed.resource.startswith("schedule-group/"):
            return None
        record = self.groups.get(
            store_scope(parsed.account, parsed.region), parsed.resource[len("schedule-group/") :]
        )
        return (record or {}).get("Tags") or None
