"""Import tasks: copy the events of a CloudTrail Lake event data store into a log group.

The only source AWS imports from is a CloudTrail event data store. CreateImportTask reads the
store's events (within the import filter) through CloudTrail's `event_data_store_events`,
creates the managed log group `aws/cloudtrail/<store id>` as the destination, and splits the
events into batches by the UTC day of their eventTime. The task is IN_PROGRESS while its
batches are written in the background, one after another, each to a stream named by its batch
id (one JSON event per CloudTrail event, at its eventTime); then COMPLETED. CancelImportTask
stops an import in progress: the batches not written yet are CANCELLED.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.common.arns import parse_arn
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.store import scope as store_scope

from .paging import page_keys
from .shared import bad_token, invalid, invalid_operation, now_ms

if TYPE_CHECKING:
    from .provider import Provider

_ROLE_ARN = re.compile(r"arn:[\w-]+:iam::\d{12}:role/[\w+=,.@/-]+")
_PAGE_LIMIT = 50
#: Import task fields DescribeImportTasks answers (the record also keeps its batches).
_TASK_FIELDS = (
    "importId",
    "importSourceArn",
    "importStatus",
    "importDestinationArn",
    "importStatistics",
    "importFilter",
    "creationTime",
    "lastUpdatedTime",
    "errorMessage",
)


def _no_task(import_id: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"Import task {import_id} does not exist.", 400)


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")


class ImportsMixin:
    @property
    def import_tasks(self: Provider) -> Any:  # type: ignore[misc]
        return self.store.table("logs", "imports")

    def create_import_task(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        source = params["importSourceArn"]
        arn = parse_arn(source)
        if arn is None or arn.service != "cloudtrail" or not arn.resource.startswith("eventdatastore/"):
            raise invalid(f"The importSourceArn {source} is not a CloudTrail event data store ARN.")
        if not _ROLE_ARN.fullmatch(params["importRoleArn"]):
            raise invalid(f"The importRoleArn {params['importRoleArn']} is not an IAM role ARN.")
        window = params.get("importFilter") or {}
        start, end = window.get("startEventTime"), window.get("endEventTime")
        if start is not None and end is not None and end < start:
            raise invalid("The endEventTime of the importFilter must not be before its startEventTime.")
        found = None
        if self.runtime.config.service_enabled("cloudtrail"):
            found = self.runtime.provider("cloudtrail").event_data_store_events(
                context.account, context.region, source, start, end
            )
        if found is None:
            raise ServiceError(
                "ResourceNotFoundException", f"The event data store {source} does not exist.", 400
            )
        status, events = found
        if status == "PENDING_DELETION":
            raise invalid_operation(f"The event data store {source} is not active.")
        group_name = f"aws/cloudtrail/{arn.resource.split('/', 1)[1]}"
        scope = store_scope(context.account, context.region)
        group = self.groups.get(scope, group_name) or self.create_group(
            context.account, context.region, group_name
        )
        days = sorted({_day(ms) for ms, _ in events})
        batches = [{"batchId": str(uuid.uuid4()), "status": "IN_PROGRESS", "day": day} for day in days]
        created = now_ms()
        task: dict[str, Any] = {
            "importId": str(uuid.uuid4()),
            "importSourceArn": source,
            "importStatus": "IN_PROGRESS" if batches else "COMPLETED",
            "importDestinationArn": group["logGroupArn"],
            "importStatistics": {"bytesImported": 0},
            "creationTime": created,
            "lastUpdatedTime": created,
            "batches": batches,
        }
        if window:
            task["importFilter"] = dict(window)
        self.import_tasks.put(scope, task["importId"], task)
        if batches:
            self.runtime.spawn(
                self._run_import(context.account, context.region, task["importId"], group_name, events),
                f"logs import {task['importId']}",
            )
        return {
            "importId": task["importId"],
            "importDestinationArn": group["logGroupArn"],
            "creationTime": created,
        }

    async def _run_import(  # type: ignore[misc]
        self: Provider, account: str, region: str, import_id: str, group: str, events: list[tuple[int, dict]]
    ) -> None:
        """Write the task's batches one by one; a cancelled task writes no further batch."""
        scope = store_scope(account, region)
        by_day: dict[str, list[tuple[int, str]]] = {}
        for ms, event in events:
            by_day.setdefault(_day(ms), []).append((ms, json.dumps(event, separators=(",", ":"))))
        task = self.import_tasks.get(scope, import_id)
        for index in range(len(task["batches"]) if task else 0):
            await asyncio.sleep(0)  # a cancel that arrived in between is seen below
            task = self.import_tasks.get(scope, import_id)
            if task is None or task["importStatus"] != "IN_PROGRESS":
                return
            batch = task["batches"][index]
            written = by_day.get(batch["day"], [])
            self.write(account, region, group, batch["batchId"], written)
            batch["status"] = "COMPLETED"
            task["importStatistics"]["bytesImported"] += sum(len(message.encode()) for _, message in written)
            if index == len(task["batches"]) - 1:
                task["importStatus"] = "COMPLETED"
            task["lastUpdatedTime"] = now_ms()
            self.import_tasks.put(scope, import_id, task)

    def _import_task(self: Provider, context: RequestContext, import_id: str) -> dict:  # type: ignore[misc]
        task: dict | None = self.import_tasks.get(store_scope(context.account, context.region), import_id)
        if task is None:
            raise _no_task(import_id)
        return task

    def describe_import_tasks(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = store_scope(context.account, context.region)
        wanted_id, wanted_status = params.get("importId"), params.get("importStatus")
        wanted_source = params.get("importSourceArn")

        def matching(after: str | None) -> Any:
            for key, task in self.import_tasks.scan(scope, start_after=after):
                if wanted_id and key != wanted_id:
                    continue
                if wanted_status and task["importStatus"] != wanted_status:
                    continue
                if wanted_source and task["importSourceArn"] != wanted_source:
                    continue
                yield key, task

        return page_keys(
            self.store, "DescribeImportTasks", params, matching,
            result_key="imports", limit=params.get("limit") or _PAGE_LIMIT, bad_token=bad_token,
            render=lambda task: {k: task[k] for k in _TASK_FIELDS if k in task},
            bind=repr((wanted_id, wanted_status, wanted_source)),
        )  # fmt: skip

    def describe_import_task_batches(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        task = self._import_task(context, params["importId"])
        statuses = set(params.get("batchImportStatus") or ())
        batches = [b for b in task["batches"] if not statuses or b["status"] in statuses]

        def after(position: str | None) -> Any:
            start = int(position) if position else 0
            for index in range(start, len(batches)):
                yield str(index + 1), batches[index]

        out = page_keys(
            self.store, "DescribeImportTaskBatches", params, after,
            result_key="importBatches", limit=params.get("limit") or _PAGE_LIMIT, bad_token=bad_token,
            render=lambda batch: {"batchId": batch["batchId"], "status": batch["status"]},
            bind=repr((task["importId"], sorted(statuses))),
        )  # fmt: skip
        return {"importSourceArn": task["importSourceArn"], "importId": task["importId"], **out}

    def cancel_import_task(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        task = self._import_task(context, params["importId"])
        if task["importStatus"] != "IN_PROGRESS":
            raise invalid_operation(
                f"Import task {task['importId']} cannot be cancelled: it is {task['importStatus']}."
            )
        task["importStatus"] = "CANCELLED"
        for batch in task["batches"]:
            if batch["status"] == "IN_PROGRESS":
                batch["status"] = "CANCELLED"
        task["lastUpdatedTime"] = now_ms()
        self.import_tasks.put(store_scope(context.account, context.region), task["importId"], task)
        return {
            k: task[k]
            for k in ("importId", "importStatistics", "importStatus", "creationTime", "lastUpdatedTime")
        }
