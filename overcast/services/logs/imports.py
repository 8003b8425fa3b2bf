"""Import tasks: copy the events of a CloudTrail Lake event data store into a log group.

The only source AWS imports from is a CloudTrail event data store, and this Overcast's
CloudTrail keeps no event data stores, so every source named is missing: CreateImportTask
answers AWS's error for one, the listing is the empty state of an account without imports,
and a task id names no task.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from overcast.common.arns import parse_arn
from overcast.context import RequestContext
from overcast.errors import ServiceError

if TYPE_CHECKING:
    from .provider import Provider


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message, 400)


def _no_task(import_id: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"Import task {import_id} does not exist.", 400)


class ImportsMixin:
    def create_import_task(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        source = params["importSourceArn"]
        arn = parse_arn(source)
        if arn is None or arn.service != "cloudtrail" or not arn.resource.startswith("eventdatastore/"):
            raise _invalid(f"The importSourceArn {source} is not a CloudTrail event data store ARN.")
        window = params.get("importFilter") or {}
        start, end = window.get("startEventTime"), window.get("endEventTime")
        if start is not None and end is not None and end < start:
            raise _invalid("The endEventTime of the importFilter must not be before its startEventTime.")
        raise ServiceError("ResourceNotFoundException", f"The event data store {source} does not exist.", 400)

    def describe_import_tasks(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        # Filters (importId, importStatus, importSourceArn) narrow a list that is empty already.
        if params.get("nextToken"):
            raise _invalid("The specified nextToken is invalid.")
        return {"imports": []}

    def describe_import_task_batches(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        raise _no_task(params["importId"])

    def cancel_import_task(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        raise _no_task(params["importId"])
