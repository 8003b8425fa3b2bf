"""Maintenance windows: Create/Get/Update/Delete/DescribeMaintenanceWindows and
DescribeMaintenanceWindowSchedule, with the schedule settings window_schedule.py reads.
Their targets and tasks are in window_tasks.py, their runs in window_runs.py."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ssm import records, window_schedule
from overcast.services.ssm.errors import validation

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

#: AWS's quota of maintenance windows per account and Region.
WINDOW_LIMIT = 50
#: What a window returns of what it stores, in the model's order.
_WINDOW_FIELDS = (
    "WindowId", "Name", "Description", "StartDate", "EndDate", "Schedule", "ScheduleTimezone",
    "ScheduleOffset", "Duration", "Cutoff", "AllowUnassociatedTargets", "Enabled",
)  # fmt: skip
_IDENTITY_FIELDS = (
    "WindowId", "Name", "Description", "Enabled", "Duration", "Cutoff", "Schedule", "ScheduleTimezone",
    "ScheduleOffset", "EndDate", "StartDate",
)  # fmt: skip
#: What CreateMaintenanceWindow requires, and so an update with Replace.
_REQUIRED = ("Name", "Schedule", "Duration", "Cutoff", "AllowUnassociatedTargets")
_OPTIONAL = ("Description", "StartDate", "EndDate", "ScheduleTimezone", "ScheduleOffset")
_SCHEDULE_FILTERS = ("ScheduledBefore", "ScheduledAfter")
#: How many upcoming runs of each window DescribeMaintenanceWindowSchedule lists.
SCHEDULE_RUNS = 50
_SCHEDULE_FIELDS = ("Schedule", "ScheduleTimezone", "ScheduleOffset", "StartDate")
_WINDOW_FILTERS = {"Name": "Name", "Enabled": "Enabled"}


def window_missing(window_id: str) -> ServiceError:
    return records.does_not_exist(f"Maintenance window {window_id} does not exist")


def _pick(record: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {field: record[field] for field in fields if record.get(field) is not None}


class WindowMixin:
    def _window(self: Provider, context: RequestContext, window_id: str) -> dict[str, Any]:  # type: ignore[misc]
        record = self.windows.get(self._scope(context), window_id)
        if record is None:
            raise window_missing(window_id)
        return record

    def _next_run(self, record: dict[str, Any]) -> tuple[datetime, datetime] | None:
        """(run time, schedule match) of an enabled window's next run."""
        if not record.get("Enabled"):
            return None
        runs = window_schedule.upcoming(record, datetime.now(UTC), 1)
        return runs[0] if runs else None

    def _with_next(self, record: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
        out = _pick(record, fields)
        upcoming = self._next_run(record)
        if upcoming is not None:
            out["NextExecutionTime"] = window_schedule.render(upcoming[0], record)
        return out

    def create_maintenance_window(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where = self._scope(context)
        now = time.time()
        record: dict[str, Any] = {
            "Name": params["Name"],
            "Schedule": params["Schedule"],
            "Duration": params["Duration"],
            "Cutoff": params["Cutoff"],
            "AllowUnassociatedTargets": params["AllowUnassociatedTargets"],
            "Enabled": True,
            "CreatedDate": now,
            "ModifiedDate": now,
            "ScheduleFrom": now,
            **{field: params[field] for field in _OPTIONAL if params.get(field) is not None},
        }
        window_schedule.check(record)
        tags = self._checked_tags(params.get("Tags"))

        def create() -> str:
            if self.windows.count(where) >= WINDOW_LIMIT:
                raise ServiceError(
                    "ResourceLimitExceededException",
                    f"Maximum number of maintenance windows ({WINDOW_LIMIT}) exceeded.",
                )
            record["WindowId"] = records.window_id()
            record["tags"] = tags
            record["Revision"] = 1
            self.windows.put(where, record["WindowId"], record)
            self.store.after_commit(lambda: self._plan_window(where, record))
            return str(record["WindowId"])

        with self.store.transaction():
            made = records.idempotent(self.tokens, where, "CreateMaintenanceWindow", params, create)
        return {"WindowId": made}

    def get_maintenance_window(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._window(context, params["WindowId"])
        out = self._with_next(record, _WINDOW_FIELDS)
        out["CreatedDate"] = record["CreatedDate"]
        out["ModifiedDate"] = record["ModifiedDate"]
        return out

    def update_maintenance_window(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where = self._scope(context)
        with self.store.transaction():
            record = self._window(context, params["WindowId"])
            updated = dict(record)
            if params.get("Replace"):
                # Replace: what the request leaves out is reset (optional fields removed); the
                # required fields must then be given again.
                for field in _OPTIONAL:
                    updated.pop(field, None)
                missing = [f for f in _REQUIRED if params.get(f) is None]
                if missing:
                    raise validation(
                        "With Replace set, the request must specify every required field: "
                        + ", ".join(missing)
                    )
            for field in _WINDOW_FIELDS[1:]:
                if params.get(field) is not None:
                    updated[field] = params[field]
            window_schedule.check(updated)
            updated["ModifiedDate"] = time.time()
            updated["Revision"] = record.get("Revision", 0) + 1
            if any(updated.get(f) != record.get(f) for f in _SCHEDULE_FIELDS):
                # A new schedule takes effect now: its matches count from here.
                updated.pop("LastScheduled", None)
                updated["ScheduleFrom"] = updated["ModifiedDate"]
            self.windows.put(where, record["WindowId"], updated)
            self.store.after_commit(lambda: self._plan_window(where, updated))
        return _pick(updated, _WINDOW_FIELDS)

    def delete_maintenance_window(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where, window_id = self._scope(context), params["WindowId"]
        with self.store.transaction():
            # AWS answers a window that is not there with its id, as if deleted.
            self.windows.delete(where, window_id)
            for key, _ in list(self.window_targets.scan(where, prefix=window_id + "/")):
                self.window_targets.delete(where, key)
            for key, _ in list(self.window_tasks.scan(where, prefix=window_id + "/")):
                self.window_tasks.delete(where, key)
            self.store.after_commit(lambda: self._wake_window(where, window_id))
        return {"WindowId": window_id}

    def describe_maintenance_windows(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        wanted = records.filter_values(
            params.get("Filters"), tuple(_WINDOW_FILTERS), "DescribeMaintenanceWindows"
        )
        found = [
            self._with_next(record, _IDENTITY_FIELDS)
            for _, record in self.windows.scan(self._scope(context))
            if records.matches(record, wanted, _WINDOW_FILTERS)
        ]
        return records.page(self.store, "DescribeMaintenanceWindows", params, found)

    def describe_maintenance_window_schedule(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where = self._scope(context)
        if params.get("WindowId"):
            windows = [self._window(context, params["WindowId"])]
        elif params.get("Targets"):
            if not params.get("ResourceType"):
                raise validation("ResourceType must be specified with Targets.")
            ids = self._windows_for_target(where, params["Targets"], params["ResourceType"])
            windows = [self.windows.get(where, window_id) for window_id in ids]
        else:
            windows = [record for _, record in self.windows.scan(where)]
        # The CLI's documented filters: ScheduledBefore and ScheduledAfter, ISO-8601 times.
        wanted = records.filter_values(
            params.get("Filters"), _SCHEDULE_FILTERS, "DescribeMaintenanceWindowSchedule"
        )
        before = [window_schedule.parse_date(v, "ScheduledBefore") for v in wanted.get("ScheduledBefore", [])]
        after = [window_schedule.parse_date(v, "ScheduledAfter") for v in wanted.get("ScheduledAfter", [])]
        now = max([datetime.now(UTC), *after])
        runs: list[tuple[datetime, dict[str, Any]]] = []
        for record in windows:
            if record is None or not record.get("Enabled"):
                continue
            runs.extend(
                (moment, record)
                for moment, _ in window_schedule.upcoming(record, now, SCHEDULE_RUNS)
                if all(moment < limit for limit in before)
            )
        runs.sort(key=lambda run: run[0])
        found = [
            {"WindowId": record["WindowId"], "Name": record["Name"],
             "ExecutionTime": window_schedule.render(moment, record)}
            for moment, record in runs
        ]  # fmt: skip
        return records.page(self.store, "DescribeMaintenanceWindowSchedule", params, found)
