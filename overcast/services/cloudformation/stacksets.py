"""StackSets (self-managed permissions): a template stored once and deployed as stack
instances, each a real stack created in its own Overcast account and region through the
CloudFormation operations. Every change to instances is an operation, run in the background
and recorded with a result per instance."""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from typing import TYPE_CHECKING, Any

from overcast.common.arns import partition
from overcast.common.ids import fast_uuid
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.cloudformation import template as tpl
from overcast.services.cloudformation.template import validation

if TYPE_CHECKING:
    from overcast.services.cloudformation.provider import Provider


def _not_found(name: str) -> ServiceError:
    return ServiceError("StackSetNotFoundException", f"StackSet {name} not found", 404)


def _timestamp(seconds: float | None) -> Any:
    from overcast.services.cloudformation.provider import timestamp

    return timestamp(seconds)


class StackSets:
    # -- records ------------------------------------------------------------------------------------

    def _stack_set(self: Provider, context: RequestContext, name: str) -> dict[str, Any]:  # type: ignore[misc]
        key = name.split(":", 1)[0]
        record: dict[str, Any] | None = self.store.table("cloudformation", "stacksets").get(
            self.scope_of(context), key
        )
        if record is None or (":" in name and record["StackSetId"] != name):
            raise _not_found(name)
        return record

    def _save_set(self: Provider, context: RequestContext, record: dict[str, Any]) -> None:  # type: ignore[misc]
        self.store.table("cloudformation", "stacksets").put(
            self.scope_of(context), record["StackSetName"], record
        )

    async def _internal(  # type: ignore[misc]
        self: Provider, operation: str, account: str, region: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        handler = self.runtime.handler("cloudformation", operation)
        assert handler is not None
        output = handler(RequestContext.internal("cloudformation", account, region), params)
        if inspect.isawaitable(output):
            output = await output
        return output or {}

    async def _settled(self: Provider, account: str, region: str, stack_id: str) -> dict[str, Any]:  # type: ignore[misc]
        while True:
            stack = (await self._internal("DescribeStacks", account, region, {"StackName": stack_id}))[
                "Stacks"
            ][0]
            if not stack["StackStatus"].endswith("_IN_PROGRESS"):
                return stack
            await asyncio.sleep(0.05)

    # -- stack sets ---------------------------------------------------------------------------------

    async def create_stack_set(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["StackSetName"]
        table = self.store.table("cloudformation", "stacksets")
        if table.get(self.scope_of(context), name) is not None:
            raise ServiceError("NameAlreadyExistsException", f"StackSet {name} already exists", 409)
        if params.get("PermissionModel") == "SERVICE_MANAGED":
            raise validation(
                "StackSets with SERVICE_MANAGED permissions need AWS Organizations, which Overcast does not emulate."
            )
        text = await self.template_text(context, params, None)
        document = tpl.parse(text)
        tpl.check(document)
        stack_set_id = f"{name}:{fast_uuid()}"
        record = {
            "StackSetName": name,
            "StackSetId": stack_set_id,
            "Description": params.get("Description") or document.get("Description"),
            "Status": "ACTIVE",
            "TemplateBody": text,
            "Parameters": list(params.get("Parameters") or []),
            "Capabilities": list(params.get("Capabilities") or []),
            "Tags": list(params.get("Tags") or []),
            "StackSetARN": f"arn:{partition(context.region)}:cloudformation:{context.region}:{context.account}:stackset/{stack_set_id}",
            "AdministrationRoleARN": params.get("AdministrationRoleARN")
            or f"arn:{partition(context.region)}:iam::{context.account}:role/AWSCloudFormationStackSetAdministrationRole",
            "ExecutionRoleName": params.get("ExecutionRoleName") or "AWSCloudFormationStackSetExecutionRole",
            "PermissionModel": "SELF_MANAGED",
            "Instances": {},
            "Operations": {},
        }
        self._save_set(context, record)
        return {"StackSetId": stack_set_id}

    def describe_stack_set(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._stack_set(context, params["StackSetName"])
        shown = {
            key: record[key]
            for key in (
                "StackSetName", "StackSetId", "Description", "Status", "TemplateBody", "Parameters",
                "Capabilities", "Tags", "StackSetARN", "AdministrationRoleARN", "ExecutionRoleName", "PermissionModel",
            )
            if record.get(key) is not None
        }  # fmt: skip
        shown["Regions"] = sorted({instance["Region"] for instance in record["Instances"].values()})
        return {"StackSet": shown}

    def list_stack_sets(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        wanted = params.get("Status")
        summaries = [
            {
                key: record[key]
                for key in ("StackSetName", "StackSetId", "Description", "Status", "PermissionModel")
                if record.get(key)
            }
            for _, record in self.store.table("cloudformation", "stacksets").scan(self.scope_of(context))
            if not wanted or record["Status"] == wanted
        ]
        return {"Summaries": summaries}

    async def update_stack_set(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._stack_set(context, params["StackSetName"])
        text = (
            record["TemplateBody"]
            if params.get("UsePreviousTemplate")
            else await self.template_text(context, params, None)
        )
        document = tpl.parse(text)
        tpl.check(document)
        record["TemplateBody"] = text
        for key in ("Parameters", "Capabilities", "Tags", "Description"):
            if params.get(key) is not None:
                record[key] = params[key]
        targets = [
            key for key, instance in record["Instances"].items()
            if (not params.get("Accounts") or instance["Account"] in params["Accounts"])
            and (not params.get("Regions") or instance["Region"] in params["Regions"])
        ]  # fmt: skip
        for key in targets:
            record["Instances"][key]["Status"] = "OUTDATED"
        return await self._start(context, record, "UPDATE", targets, params.get("OperationId"))

    def delete_stack_set(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._stack_set(context, params["StackSetName"])
        if record["Instances"]:
            raise ServiceError(
                "StackSetNotEmptyException",
                f"StackSet {record['StackSetName']} is not empty: delete its stack instances first",
                409,
            )
        self.store.table("cloudformation", "stacksets").delete(self.scope_of(context), record["StackSetName"])
        return {}

    # -- instances ----------------------------------------------------------------------------------

    async def create_stack_instances(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._stack_set(context, params["StackSetName"])
        if not params.get("Accounts"):
            raise validation("Accounts must be specified for a stack set with SELF_MANAGED permissions.")
        targets = []
        for account in params["Accounts"]:
            for region in params["Regions"]:
                key = f"{account}/{region}"
                if key not in record["Instances"]:
                    record["Instances"][key] = {
                        "Account": account,
                        "Region": region,
                        "Status": "OUTDATED",
                        "StackInstanceStatus": {"DetailedStatus": "PENDING"},
                        "ParameterOverrides": list(params.get("ParameterOverrides") or []),
                    }
                targets.append(key)
        return await self._start(context, record, "CREATE", targets, params.get("OperationId"))

    async def update_stack_instances(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._stack_set(context, params["StackSetName"])
        targets = []
        for account in params.get("Accounts") or []:
            for region in params["Regions"]:
                key = f"{account}/{region}"
                instance = record["Instances"].get(key)
                if instance is None:
                    raise ServiceError(
                        "StackInstanceNotFoundException", f"Stack instance {key} not found", 404
                    )
                instance["ParameterOverrides"] = list(params.get("ParameterOverrides") or [])
                instance["Status"] = "OUTDATED"
                targets.append(key)
        return await self._start(context, record, "UPDATE", targets, params.get("OperationId"))

    async def delete_stack_instances(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._stack_set(context, params["StackSetName"])
        targets = [
            f"{account}/{region}"
            for account in params.get("Accounts") or []
            for region in params["Regions"]
            if f"{account}/{region}" in record["Instances"]
        ]
        record["RetainStacks"] = bool(params["RetainStacks"])
        return await self._start(context, record, "DELETE", targets, params.get("OperationId"))

    async def import_stacks_to_stack_set(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        """Existing stacks become the stack set's instances, each keeping its stack: later
        operations on the set update those stacks."""
        record = self._stack_set(context, params["StackSetName"])
        if params.get("OrganizationalUnitIds"):
            raise ServiceError(
                "InvalidOperationException",
                "OrganizationalUnitIds applies to stack sets with SERVICE_MANAGED permissions only",
                400,
            )
        stack_ids = list(params.get("StackIds") or [])
        if params.get("StackIdsUrl"):
            if stack_ids:
                raise validation("Specify either StackIds or StackIdsUrl, not both")
            text = await self.fetch_template(context, params["StackIdsUrl"])
            try:
                listed = json.loads(text)
            except ValueError:
                raise validation("StackIdsUrl must name a JSON list of stack ids") from None
            if not isinstance(listed, list) or not all(isinstance(item, str) for item in listed):
                raise validation("StackIdsUrl must name a JSON list of stack ids")
            stack_ids = listed
        if not stack_ids:
            raise validation("Specify StackIds or StackIdsUrl")
        if len(stack_ids) > 10:
            raise ServiceError("LimitExceededException", "At most 10 stacks can be imported at once", 400)
        targets = []
        for stack_id in stack_ids:
            parts = stack_id.split(":")
            if len(parts) < 6 or not parts[5].startswith("stack/"):
                raise ServiceError("StackNotFoundException", f"Stack with id {stack_id} does not exist", 404)
            account, region = parts[4], parts[3]
            try:
                stack = (await self._internal("DescribeStacks", account, region, {"StackName": stack_id}))[
                    "Stacks"
                ][0]
            except ServiceError:
                raise ServiceError(
                    "StackNotFoundException", f"Stack with id {stack_id} does not exist", 404
                ) from None
            if stack["StackStatus"] == "DELETE_COMPLETE":
                raise ServiceError("StackNotFoundException", f"Stack with id {stack_id} does not exist", 404)
            key = f"{account}/{region}"
            if key in record["Instances"]:
                raise ServiceError(
                    "InvalidOperationException",
                    f"The stack set already has a stack instance in account {account} and region {region}",
                    400,
                )
            record["Instances"][key] = {
                "Account": account,
                "Region": region,
                "StackId": stack_id,
                "Status": "OUTDATED",
                "StackInstanceStatus": {"DetailedStatus": "PENDING"},
                "ParameterOverrides": [],
            }
            targets.append(key)
        return await self._start(context, record, "CREATE", targets, params.get("OperationId"))

    def _instance_view(self: Provider, record: dict[str, Any], instance: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        shown = {
            "StackSetId": record["StackSetId"],
            "Account": instance["Account"],
            "Region": instance["Region"],
            "Status": instance["Status"],
            "StackInstanceStatus": instance["StackInstanceStatus"],
            "DriftStatus": instance.get("DriftStatus", "NOT_CHECKED"),
        }
        if instance.get("LastDriftCheckTimestamp"):
            shown["LastDriftCheckTimestamp"] = _timestamp(instance["LastDriftCheckTimestamp"])
        for key in ("StackId", "StatusReason"):
            if instance.get(key):
                shown[key] = instance[key]
        return shown

    def list_stack_instances(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._stack_set(context, params["StackSetName"])
        summaries = [
            self._instance_view(record, instance)
            for instance in record["Instances"].values()
            if (
                not params.get("StackInstanceAccount")
                or instance["Account"] == params["StackInstanceAccount"]
            )
            and (not params.get("StackInstanceRegion") or instance["Region"] == params["StackInstanceRegion"])
        ]
        return {"Summaries": summaries}

    def describe_stack_instance(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._stack_set(context, params["StackSetName"])
        key = f"{params['StackInstanceAccount']}/{params['StackInstanceRegion']}"
        instance = record["Instances"].get(key)
        if instance is None:
            raise ServiceError(
                "StackInstanceNotFoundException",
                f"Stack instance for account {params['StackInstanceAccount']} and region {params['StackInstanceRegion']} not found",
                404,
            )
        return {
            "StackInstance": {
                **self._instance_view(record, instance),
                "ParameterOverrides": instance["ParameterOverrides"],
            }
        }

    # -- operations ---------------------------------------------------------------------------------

    async def _start(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        record: dict[str, Any],
        action: str,
        targets: list[str],
        operation_id: str | None,
    ) -> dict:
        operation_id = operation_id or fast_uuid()
        if operation_id in record["Operations"]:
            raise ServiceError(
                "OperationIdAlreadyExistsException", f"Operation {operation_id} already exists", 409
            )
        running = [op for op in record["Operations"].values() if op["Status"] == "RUNNING"]
        if running:
            raise ServiceError(
                "OperationInProgressException",
                f"Another operation ({running[0]['OperationId']}) is in progress",
                409,
            )
        record["Operations"][operation_id] = {
            "OperationId": operation_id,
            "StackSetId": record["StackSetId"],
            "Action": action,
            "Status": "RUNNING",
            "CreationTimestamp": time.time(),
            "Results": {},
        }
        self._save_set(context, record)
        task = asyncio.get_running_loop().create_task(
            self._operate(context, record["StackSetName"], operation_id, targets)
        )
        self.runtime._tasks.add(task)
        task.add_done_callback(self.runtime._task_done)
        await asyncio.wait({task}, timeout=5.0)
        return {"OperationId": operation_id}

    async def _operate(  # type: ignore[misc]
        self: Provider, context: RequestContext, name: str, operation_id: str, targets: list[str]
    ) -> None:
        record = self._stack_set(context, name)
        operation = record["Operations"][operation_id]
        results = await asyncio.gather(*(self._apply(record, operation["Action"], key) for key in targets))
        record = self._stack_set(context, name)  # what changed meanwhile (other instances' records)
        operation = record["Operations"][operation_id]
        for key, (status, reason, instance) in zip(targets, results, strict=True):
            operation["Results"][key] = {"Status": status, "StatusReason": reason}
            if instance is None:
                record["Instances"].pop(key, None)
            else:
                record["Instances"][key] = instance
        operation["Status"] = "FAILED" if any(status == "FAILED" for status, _, _ in results) else "SUCCEEDED"
        operation["EndTimestamp"] = time.time()
        self._save_set(context, record)

    async def _apply(  # type: ignore[misc]
        self: Provider, record: dict[str, Any], action: str, key: str
    ) -> tuple[str, str, dict[str, Any] | None]:
        instance = dict(record["Instances"][key])
        account, region = instance["Account"], instance["Region"]
        parameters = {p["ParameterKey"]: p for p in record["Parameters"]}
        parameters.update({p["ParameterKey"]: p for p in instance.get("ParameterOverrides") or []})
        common = {
            "TemplateBody": record["TemplateBody"],
            "Parameters": list(parameters.values()),
            "Capabilities": record["Capabilities"],
            "Tags": record["Tags"],
        }
        try:
            if action == "DETECT_DRIFT":
                if not instance.get("StackId"):
                    raise validation("The stack instance has no stack")
                await self._internal("DetectStackDrift", account, region, {"StackName": instance["StackId"]})
                drifts = (
                    await self._internal(
                        "DescribeStackResourceDrifts", account, region, {"StackName": instance["StackId"]}
                    )
                )["StackResourceDrifts"]
                instance["Drifts"] = [
                    {**drift, "Timestamp": drift["Timestamp"].timestamp()} for drift in drifts
                ]
                drifted = any(d["StackResourceDriftStatus"] in ("MODIFIED", "DELETED") for d in drifts)
                instance["DriftStatus"] = "DRIFTED" if drifted else "IN_SYNC"
                instance["LastDriftCheckTimestamp"] = time.time()
                return "SUCCEEDED", "", instance
            if action == "DELETE":
                if instance.get("StackId") and not record.get("RetainStacks"):
                    await self._internal("DeleteStack", account, region, {"StackName": instance["StackId"]})
                    stack = await self._settled(account, region, instance["StackId"])
                    if stack["StackStatus"] != "DELETE_COMPLETE":
                        raise validation(stack.get("StackStatusReason", "The stack could not be deleted"))
                return "SUCCEEDED", "", None
            if not instance.get("StackId"):
                stack_name = f"StackSet-{record['StackSetName']}-{fast_uuid()}"
                created = await self._internal(
                    "CreateStack", account, region, {"StackName": stack_name, **common}
                )
                instance["StackId"] = created["StackId"]
                wanted = "CREATE_COMPLETE"
            else:
                try:
                    await self._internal(
                        "UpdateStack", account, region, {"StackName": instance["StackId"], **common}
                    )
                except ServiceError as error:
                    if "No updates are to be performed" not in error.message:
                        raise
                wanted = "UPDATE_COMPLETE"
            stack = await self._settled(account, region, instance["StackId"])
            if stack["StackStatus"] not in (wanted, "CREATE_COMPLETE", "UPDATE_COMPLETE"):
                raise validation(stack.get("StackStatusReason") or stack["StackStatus"])
        except ServiceError as error:
            instance.update(
                {
                    "Status": "OUTDATED",
                    "StatusReason": error.message,
                    "StackInstanceStatus": {"DetailedStatus": "FAILED"},
                }
            )
            return "FAILED", error.message, instance
        instance.update(
            {"Status": "CURRENT", "StatusReason": "", "StackInstanceStatus": {"DetailedStatus": "SUCCEEDED"}}
        )
        return "SUCCEEDED", "", instance

    def _operation(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        record = self._stack_set(context, params["StackSetName"])
        operation = record["Operations"].get(params["OperationId"])
        if operation is None:
            raise ServiceError(
                "OperationNotFoundException", f"Operation {params['OperationId']} not found", 404
            )
        return record, operation

    @staticmethod
    def _operation_view(operation: dict[str, Any]) -> dict[str, Any]:
        shown = {key: operation[key] for key in ("OperationId", "StackSetId", "Action", "Status")}
        shown["CreationTimestamp"] = _timestamp(operation["CreationTimestamp"])
        if operation.get("EndTimestamp"):
            shown["EndTimestamp"] = _timestamp(operation["EndTimestamp"])
        return shown

    def describe_stack_set_operation(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, operation = self._operation(context, params)
        return {"StackSetOperation": self._operation_view(operation)}

    def list_stack_set_operations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._stack_set(context, params["StackSetName"])
        operations = sorted(record["Operations"].values(), key=lambda op: -op["CreationTimestamp"])
        summaries = []
        for operation in operations:
            summary = self._operation_view(operation)
            summary.pop("StackSetId")  # the summary shape has no StackSetId
            summaries.append(summary)
        return {"Summaries": summaries}

    def list_stack_set_operation_results(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, operation = self._operation(context, params)
        summaries = []
        for key, result in operation["Results"].items():
            account, region = key.split("/", 1)
            entry = {
                "Account": account,
                "Region": region,
                "Status": result["Status"],
                "AccountGateResult": {"Status": "SKIPPED"},
            }
            if result.get("StatusReason"):
                entry["StatusReason"] = result["StatusReason"]
            summaries.append(entry)
        return {"Summaries": summaries}

    def stop_stack_set_operation(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, operation = self._operation(context, params)
        if operation["Status"] != "RUNNING":
            raise ServiceError(
                "InvalidOperationException", f"Operation {operation['OperationId']} is not running", 400
            )
        return {}

    async def detect_stack_set_drift(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._stack_set(context, params["StackSetName"])
        return await self._start(
            context, record, "DETECT_DRIFT", list(record["Instances"]), params.get("OperationId")
        )

    def list_stack_instance_resource_drifts(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record, operation = self._operation(context, params)
        if operation["Action"] != "DETECT_DRIFT":
            raise ServiceError(
                "OperationNotFoundException",
                f"Operation {params['OperationId']} is not a drift detection",
                404,
            )
        key = f"{params['StackInstanceAccount']}/{params['StackInstanceRegion']}"
        instance = record["Instances"].get(key)
        if instance is None:
            raise ServiceError("StackInstanceNotFoundException", f"Stack instance {key} not found", 404)
        wanted = set(params.get("StackInstanceResourceDriftStatuses") or [])
        summaries = [
            {
                key: value
                for key, value in {
                    "StackId": drift["StackId"],
                    "LogicalResourceId": drift["LogicalResourceId"],
                    "PhysicalResourceId": drift.get("PhysicalResourceId"),
                    "ResourceType": drift["ResourceType"],
                    "PropertyDifferences": drift.get("PropertyDifferences"),
                    "StackResourceDriftStatus": drift["StackResourceDriftStatus"],
                    "Timestamp": _timestamp(drift["Timestamp"]),
                }.items()
                if value is not None
            }
            for drift in instance.get("Drifts", [])
            if not wanted or drift["StackResourceDriftStatus"] in wanted
        ]
        return {"Summaries": summaries}

    def list_stack_set_auto_deployment_targets(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self._stack_set(context, params["StackSetName"])
        return {"Summaries": []}  # auto-deployment is for SERVICE_MANAGED stack sets only
