"""A maintenance window's targets (Register/Update/Deregister/DescribeMaintenanceWindowTargets,
DescribeMaintenanceWindowsForTarget) and tasks (Register/Update/Deregister/Get/
DescribeMaintenanceWindowTasks), with the checks AWS makes of each task type's parameters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from overcast.common.arns import parse_arn, partition
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ssm import records
from overcast.services.ssm.errors import validation

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

#: AWS's quotas per maintenance window.
TARGET_LIMIT = 100
TASK_LIMIT = 20
_TARGET_FIELDS = (
    "WindowId",
    "WindowTargetId",
    "ResourceType",
    "Targets",
    "OwnerInformation",
    "Name",
    "Description",
)
_TARGET_FILTERS = {"WindowTargetId": "WindowTargetId", "OwnerInformation": "OwnerInformation"}
_TASK_FIELDS = (
    "WindowId", "WindowTaskId", "Targets", "TaskArn", "ServiceRoleArn", "TaskType", "TaskParameters",
    "TaskInvocationParameters", "Priority", "MaxConcurrency", "MaxErrors", "LoggingInfo", "Name",
    "Description", "CutoffBehavior", "AlarmConfiguration",
)  # fmt: skip
_TASK_SUMMARY = (
    "WindowId", "WindowTaskId", "TaskArn", "Targets", "TaskParameters", "Priority", "LoggingInfo",
    "ServiceRoleArn", "MaxConcurrency", "MaxErrors", "Name", "Description", "CutoffBehavior",
    "AlarmConfiguration",
)  # fmt: skip
_TASK_FILTERS = {
    "WindowTaskId": "WindowTaskId",
    "TaskArn": "TaskArn",
    "Priority": "Priority",
    "TaskType": "TaskType",
}
#: The TaskInvocationParameters member each task type takes.
INVOCATION_MEMBER = {
    "RUN_COMMAND": "RunCommand",
    "AUTOMATION": "Automation",
    "LAMBDA": "Lambda",
    "STEP_FUNCTIONS": "StepFunctions",
}
SERVICE_LINKED_ROLE = "aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM"
#: The target keys a task may name.
_TASK_TARGET_KEYS = ("WindowTargetIds", "InstanceIds")


def _target_missing(window_id: str, target_id: str) -> ServiceError:
    return records.does_not_exist(
        f"Maintenance window target {target_id} does not exist in window {window_id}"
    )


def _task_missing(window_id: str, task_id: str) -> ServiceError:
    return records.does_not_exist(f"Maintenance window task {task_id} does not exist in window {window_id}")


def _pick(record: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {field: record[field] for field in fields if record.get(field) is not None}


#: The target keys a window target of each resource type may use (tag keys aside).
_RESOURCE_KEYS = {
    "INSTANCE": ("InstanceIds", "tag-key", "resource-groups:Name", "resource-groups:ResourceTypeFilters"),
    "RESOURCE_GROUP": ("resource-groups:Name", "resource-groups:ResourceTypeFilters"),
}


def _check_targets(targets: list[dict[str, Any]], resource_type: str | None = None) -> None:
    for target in targets:
        if not target.get("Key") or not target.get("Values"):
            raise validation("Targets must specify a Key and at least one value.")
        key = target["Key"]
        allowed = _RESOURCE_KEYS.get(resource_type or "")
        if (
            allowed is not None
            and key not in allowed
            and not (resource_type == "INSTANCE" and key.startswith("tag:"))
        ):
            raise validation(f"Target key {key} is not valid for resource type {resource_type}.")
    if resource_type == "RESOURCE_GROUP" and not any(t["Key"] == "resource-groups:Name" for t in targets):
        raise validation("A RESOURCE_GROUP target must name its group with the key resource-groups:Name.")


def _check_task_arn(task_type: str, arn: str) -> None:
    """TaskArn names what the type runs: a document name or ARN for Run Command and
    Automation, a function for Lambda, a state machine ARN for Step Functions."""
    parsed = parse_arn(arn) if arn.startswith("arn:") else None
    if task_type == "STEP_FUNCTIONS" and (parsed is None or parsed.service != "states"):
        raise validation(f"TaskArn {arn} is not a valid Step Functions state machine ARN.")
    if task_type == "LAMBDA" and parsed is not None and parsed.service != "lambda":
        raise validation(f"TaskArn {arn} is not a valid Lambda function ARN.")


class WindowTaskMixin:
    # -- targets -----------------------------------------------------------------------------

    def register_target_with_maintenance_window(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        where, window_id = self._scope(context), params["WindowId"]
        _check_targets(params["Targets"], params["ResourceType"])

        def create() -> str:
            self._window(context, window_id)
            if self.window_targets.count(where, window_id + "/") >= TARGET_LIMIT:
                raise ServiceError(
                    "ResourceLimitExceededException",
                    f"Maximum number of targets ({TARGET_LIMIT}) per maintenance window exceeded.",
                )
            target_id = records.new_uuid()
            record = {"WindowId": window_id, "WindowTargetId": target_id, **_pick(params, _TARGET_FIELDS[2:])}
            self.window_targets.put(where, f"{window_id}/{target_id}", record)
            return target_id

        with self.store.transaction():
            made = records.idempotent(
                self.tokens, where, "RegisterTargetWithMaintenanceWindow", params, create
            )
        return {"WindowTargetId": made}

    def _window_target(self: Provider, context: RequestContext, window_id: str, target_id: str) -> dict:  # type: ignore[misc]
        self._window(context, window_id)
        record = self.window_targets.get(self._scope(context), f"{window_id}/{target_id}")
        if record is None:
            raise _target_missing(window_id, target_id)
        return record

    def update_maintenance_window_target(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where, window_id, target_id = self._scope(context), params["WindowId"], params["WindowTargetId"]
        with self.store.transaction():
            record = self._window_target(context, window_id, target_id)
            if params.get("Replace"):
                if not params.get("Targets"):
                    raise validation("With Replace set, the request must specify Targets.")
                record = {k: record[k] for k in ("WindowId", "WindowTargetId", "ResourceType")}
            if params.get("Targets") is not None:
                _check_targets(params["Targets"], record["ResourceType"])
            for field in ("Targets", "OwnerInformation", "Name", "Description"):
                if params.get(field) is not None:
                    record[field] = params[field]
            self.window_targets.put(where, f"{window_id}/{target_id}", record)
        out = _pick(record, _TARGET_FIELDS)
        out.pop("ResourceType", None)
        return out

    def deregister_target_from_maintenance_window(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        where, window_id, target_id = self._scope(context), params["WindowId"], params["WindowTargetId"]
        with self.store.transaction():
            self._window_target(context, window_id, target_id)
            using = [
                (key, task)
                for key, task in self.window_tasks.scan(where, prefix=window_id + "/")
                if any(
                    t["Key"] == "WindowTargetIds" and target_id in t["Values"]
                    for t in task.get("Targets") or ()
                )
            ]
            if using and params.get("Safe"):
                raise ServiceError(
                    "TargetInUseException",
                    f"Target {target_id} is in use by task(s) "
                    + ", ".join(task["WindowTaskId"] for _, task in using),
                )
            # Unsafe deregistration takes the target out of the tasks that name it.
            for key, task in using:
                for target in task["Targets"]:
                    if target["Key"] == "WindowTargetIds":
                        target["Values"] = [v for v in target["Values"] if v != target_id]
                task["Targets"] = [t for t in task["Targets"] if t["Values"]]
                self.window_tasks.put(where, key, task)
            self.window_targets.delete(where, f"{window_id}/{target_id}")
        return {"WindowId": window_id, "WindowTargetId": target_id}

    def describe_maintenance_window_targets(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        window_id = params["WindowId"]
        self._window(context, window_id)
        wanted = records.filter_values(
            params.get("Filters"), ("Type", *_TARGET_FILTERS), "DescribeMaintenanceWindowTargets"
        )
        wanted_fields = {**_TARGET_FILTERS, "Type": "ResourceType"}
        found = [
            _pick(record, _TARGET_FIELDS)
            for _, record in self.window_targets.scan(self._scope(context), prefix=window_id + "/")
            if records.matches(record, wanted, wanted_fields)
        ]
        return records.page(self.store, "DescribeMaintenanceWindowTargets", params, found)

    def _windows_for_target(self: Provider, where: str, targets: list[dict], resource_type: str) -> list[str]:  # type: ignore[misc]
        """The windows with a registered target that names one of `targets`' values under the
        same key (for instances, also through InstanceIds tasks)."""
        wanted = {(t.get("Key"), value) for t in targets for value in t.get("Values") or ()}
        found: list[str] = []
        for _, record in self.window_targets.scan(where):
            if record.get("ResourceType") != resource_type or record["WindowId"] in found:
                continue
            named = {
                (t.get("Key"), value) for t in record.get("Targets") or () for value in t.get("Values") or ()
            }
            if named & wanted:
                found.append(record["WindowId"])
        return found

    def describe_maintenance_windows_for_target(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        where = self._scope(context)
        ids = self._windows_for_target(where, params["Targets"], params["ResourceType"])
        found = []
        for window_id in sorted(ids):
            record = self.windows.get(where, window_id)
            if record is not None:
                found.append({"WindowId": window_id, "Name": record["Name"]})
        return records.page(self.store, "DescribeMaintenanceWindowsForTarget", params, found)

    # -- tasks -------------------------------------------------------------------------------

    def _check_task(self: Provider, context: RequestContext, window: dict, task: dict) -> None:  # type: ignore[misc]
        task_type = task["TaskType"]
        _check_task_arn(task_type, task["TaskArn"])
        given = task.get("TaskInvocationParameters") or {}
        others = [member for member in given if member != INVOCATION_MEMBER[task_type]]
        if others:
            raise validation(
                f"TaskInvocationParameters.{others[0]} can't be used with a {task_type} task. "
                f"Use TaskInvocationParameters.{INVOCATION_MEMBER[task_type]}."
            )
        targets = task.get("Targets") or []
        _check_targets(targets)
        if task_type == "RUN_COMMAND" and not targets:
            raise validation("Targets must be specified for a RUN_COMMAND task.")
        where = self._scope(context)
        for target in targets:
            if target["Key"] not in _TASK_TARGET_KEYS:
                raise validation(
                    f"Target key {target['Key']} is not valid for a task. Valid keys: WindowTargetIds, InstanceIds"
                )
            if target["Key"] == "InstanceIds" and not window["AllowUnassociatedTargets"]:
                raise validation(
                    "Maintenance window does not allow unregistered targets: register the targets "
                    "with the window and name them with WindowTargetIds."
                )
            if target["Key"] == "WindowTargetIds":
                for target_id in target["Values"]:
                    if self.window_targets.get(where, f"{window['WindowId']}/{target_id}") is None:
                        raise _target_missing(window["WindowId"], target_id)
        if (
            targets
            and task_type == "RUN_COMMAND"
            and (not task.get("MaxConcurrency") or not task.get("MaxErrors"))
        ):
            raise validation("MaxConcurrency and MaxErrors must be specified for a task with targets.")

    def register_task_with_maintenance_window(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where, window_id = self._scope(context), params["WindowId"]

        def create() -> str:
            window = self._window(context, window_id)
            record = _pick(params, _TASK_FIELDS)
            record.setdefault("Priority", 1)
            record.setdefault("TaskParameters", {})
            # Without a role of its own the task runs as Systems Manager's service-linked role.
            record.setdefault(
                "ServiceRoleArn",
                f"arn:{partition(context.region)}:iam::{context.account}:role/{SERVICE_LINKED_ROLE}",
            )
            self._check_task(context, window, record)
            if self.window_tasks.count(where, window_id + "/") >= TASK_LIMIT:
                raise ServiceError(
                    "ResourceLimitExceededException",
                    f"Maximum number of tasks ({TASK_LIMIT}) per maintenance window exceeded.",
                )
            task_id = records.new_uuid()
            record["WindowTaskId"] = task_id
            record.setdefault("CutoffBehavior", "CONTINUE_TASK")
            self.window_tasks.put(where, f"{window_id}/{task_id}", record)
            return task_id

        with self.store.transaction():
            made = records.idempotent(self.tokens, where, "RegisterTaskWithMaintenanceWindow", params, create)
        return {"WindowTaskId": made}

    def _window_task(self: Provider, context: RequestContext, window_id: str, task_id: str) -> dict:  # type: ignore[misc]
        self._window(context, window_id)
        record = self.window_tasks.get(self._scope(context), f"{window_id}/{task_id}")
        if record is None:
            raise _task_missing(window_id, task_id)
        return record

    def get_maintenance_window_task(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return _pick(self._window_task(context, params["WindowId"], params["WindowTaskId"]), _TASK_FIELDS)

    def update_maintenance_window_task(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where, window_id, task_id = self._scope(context), params["WindowId"], params["WindowTaskId"]
        with self.store.transaction():
            record = self._window_task(context, window_id, task_id)
            updated = dict(record)
            if params.get("Replace"):
                updated = {
                    k: record[k] for k in ("WindowId", "WindowTaskId", "TaskType", "TaskArn", "Priority")
                }
            for field in _TASK_FIELDS[2:]:
                if field != "TaskType" and params.get(field) is not None:
                    updated[field] = params[field]
            self._check_task(context, self._window(context, window_id), updated)
            self.window_tasks.put(where, f"{window_id}/{task_id}", updated)
        out = _pick(updated, _TASK_FIELDS)
        out.pop("TaskType", None)
        return out

    def deregister_task_from_maintenance_window(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        where, window_id, task_id = self._scope(context), params["WindowId"], params["WindowTaskId"]
        with self.store.transaction():
            self._window_task(context, window_id, task_id)
            self.window_tasks.delete(where, f"{window_id}/{task_id}")
        return {"WindowId": window_id, "WindowTaskId": task_id}

    def describe_maintenance_window_tasks(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        window_id = params["WindowId"]
        self._window(context, window_id)
        wanted = records.filter_values(
            params.get("Filters"), tuple(_TASK_FILTERS), "DescribeMaintenanceWindowTasks"
        )
        found = []
        for _, record in self.window_tasks.scan(self._scope(context), prefix=window_id + "/"):
            if records.matches(record, wanted, _TASK_FILTERS):
                summary = _pick(record, _TASK_SUMMARY)
                summary["Type"] = record["TaskType"]
                found.append(summary)
        found.sort(key=lambda task: task["Priority"])
        return records.page(self.store, "DescribeMaintenanceWindowTasks", params, found)
