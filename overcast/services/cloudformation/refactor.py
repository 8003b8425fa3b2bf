"""Stack refactors: resources moved from one stack to another (or renamed within a stack)
without touching the resources themselves. CreateStackRefactor compares each stack's new
template with its current one: a resource that leaves one stack and appears in another with
the same type and properties is a move (found automatically, or named by a ResourceMapping);
any other change makes the refactor fail, as AWS's does. ExecuteStackRefactor moves the
resources' records between the stacks and gives each stack its new template.

Refactors live in table "refactors" (per account and region) keyed by the id in their ARN."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from overcast.common import pagination
from overcast.common.arns import partition
from overcast.common.ids import fast_uuid
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.cloudformation import template as tpl
from overcast.services.cloudformation.template import validation

if TYPE_CHECKING:
    from overcast.runtime import Runtime

_STABLE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE")


class RefactorRejected(Exception):
    """The templates ask for more than a refactor: the reason is the refactor's StatusReason."""


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _not_found(refactor_id: str) -> ServiceError:
    return ServiceError("StackRefactorNotFoundException", f"Stack refactor {refactor_id} not found", 404)


class StackRefactors:
    runtime: Runtime

    if TYPE_CHECKING:

        @staticmethod
        def scope_of(context: RequestContext) -> str: ...

        def lookup(
            self, context: RequestContext, name: str, deleted: bool = True
        ) -> dict[str, Any] | None: ...

        def with_template(self, stack: dict[str, Any]) -> dict[str, Any]: ...

        def save_stack(self, stack: dict[str, Any]) -> None: ...

        def new_stack(self, context: RequestContext, name: str) -> dict[str, Any]: ...

        def register(self, context: RequestContext, stack: dict[str, Any]) -> None: ...

        def check_name(self, name: str) -> None: ...

        def add_event(
            self,
            stack: dict[str, Any],
            logical_id: str,
            physical_id: str,
            resource_type: str,
            status: str,
            reason: str,
            properties: Any = None,
        ) -> None: ...

        async def template_text(
            self, context: RequestContext, params: dict[str, Any], previous: dict[str, Any] | None
        ) -> str: ...

    def _refactors(self) -> Any:
        return self.runtime.store.table("cloudformation", "refactors")

    def _refactor(self, context: RequestContext, refactor_id: str) -> dict[str, Any]:
        record: dict[str, Any] | None = self._refactors().get(
            self.scope_of(context), refactor_id.rsplit("/", 1)[-1]
        )
        if record is None or record["StackRefactorId"] != refactor_id:
            raise _not_found(refactor_id)
        return record

    def _save_refactor(self, context: RequestContext, record: dict[str, Any]) -> None:
        self._refactors().put(self.scope_of(context), record["StackRefactorId"].rsplit("/", 1)[1], record)

    # -- creating ---------------------------------------------------------------------------------

    async def create_stack_refactor(self, context: RequestContext, params: dict) -> dict:
        definitions = params["StackDefinitions"]
        if not definitions or len(definitions) > 5:
            raise validation("StackDefinitions must name between 1 and 5 stacks")
        refactor_id = (
            f"arn:{partition(context.region)}:cloudformation:{context.region}:{context.account}:"
            f"stackRefactor/{fast_uuid()}"
        )
        stacks: dict[str, dict[str, Any]] = {}
        for definition in definitions:
            name = definition.get("StackName")
            if not name:
                raise validation("Each stack definition needs a StackName")
            if name in stacks:
                raise validation(f"Stack {name} is defined twice")
            text = await self.template_text(
                context, {key: definition.get(key) for key in ("TemplateBody", "TemplateURL")}, None
            )
            document = tpl.parse(text)
            tpl.check(document)
            if document.get("Transform"):
                raise validation("Stack refactoring does not support templates with transforms")
            stacks[name] = {"TemplateBody": text, "Document": document}
        record: dict[str, Any] = {
            "StackRefactorId": refactor_id,
            "Description": params.get("Description"),
            "EnableStackCreation": bool(params.get("EnableStackCreation")),
            "Definitions": stacks,
            "Mappings": list(params.get("ResourceMappings") or []),
            "Status": "CREATE_IN_PROGRESS",
            "ExecutionStatus": "UNAVAILABLE",
            "StackIds": [],
            "Actions": [],
            "Created": time.time(),
        }
        try:
            record["Actions"], record["StackIds"] = self._plan(context, record)
            record.update({"Status": "CREATE_COMPLETE", "ExecutionStatus": "AVAILABLE"})
        except RefactorRejected as rejected:
            record.update({"Status": "CREATE_FAILED", "StatusReason": str(rejected)})
        self._save_refactor(context, record)
        return {"StackRefactorId": refactor_id}

    def _plan(
        self, context: RequestContext, record: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """The refactor's actions, and the ids of the existing stacks it changes."""
        current: dict[str, dict[str, Any]] = {}
        actions: list[dict[str, Any]] = []
        for name in record["Definitions"]:
            stack = self.lookup(context, name, deleted=False)
            if stack is None:
                if not record["EnableStackCreation"]:
                    raise RefactorRejected(
                        f"Stack {name} does not exist; set EnableStackCreation to create it"
                    )
                self.check_name(name)
                actions.append(
                    {
                        "Action": "CREATE",
                        "Entity": "STACK",
                        "Description": f"Stack {name} is created",
                        "Detection": "AUTO",
                    }
                )
                continue
            stack = self.with_template(stack)
            if stack["StackStatus"] not in _STABLE:
                raise RefactorRejected(f"Stack {name} is in {stack['StackStatus']} state")
            current[name] = stack
        # What leaves each stack and what arrives in each.
        leaving: dict[tuple[str, str], dict[str, Any]] = {}
        arriving: dict[tuple[str, str], dict[str, Any]] = {}
        for name, definition in record["Definitions"].items():
            new_resources = definition["Document"].get("Resources") or {}
            old_resources = (current[name]["TemplateDoc"].get("Resources") or {}) if name in current else {}
            for logical_id, resource in old_resources.items():
                if logical_id not in new_resources:
                    leaving[(name, logical_id)] = resource
            for logical_id, resource in new_resources.items():
                if logical_id not in old_resources:
                    arriving[(name, logical_id)] = resource
                elif _canonical(resource) != _canonical(old_resources[logical_id]):
                    raise RefactorRejected(
                        f"Resource {logical_id} of stack {name} changes; a refactor only moves resources"
                    )
        moves: list[tuple[tuple[str, str], tuple[str, str], str]] = []
        for mapping in record["Mappings"]:
            source = (mapping["Source"]["StackName"], mapping["Source"]["LogicalResourceId"])
            destination = (mapping["Destination"]["StackName"], mapping["Destination"]["LogicalResourceId"])
            if source not in leaving:
                raise RefactorRejected(
                    f"Resource {source[1]} of stack {source[0]} is not removed from its stack's new template"
                )
            if destination not in arriving:
                raise RefactorRejected(
                    f"Resource {destination[1]} is not added to the new template of stack {destination[0]}"
                )
            moves.append((source, destination, "MANUAL"))
            del leaving[source], arriving[destination]
        for source, resource in list(leaving.items()):
            match = next(
                (
                    destination
                    for destination, candidate in arriving.items()
                    if destination[1] == source[1] and _canonical(candidate) == _canonical(resource)
                ),
                None,
            )
            if match is None:
                raise RefactorRejected(
                    f"Resource {source[1]} is removed from stack {source[0]} without being moved to another stack"
                )
            moves.append((source, match, "AUTO"))
            del leaving[source], arriving[match]
        if arriving:
            stack_name, logical_id = next(iter(arriving))
            raise RefactorRejected(
                f"Resource {logical_id} is added to stack {stack_name} but is not moved from another stack"
            )
        for source, destination, detection in moves:
            state = current[source[0]]["Resources"].get(source[1]) or {}
            if not state.get("PhysicalResourceId"):
                raise RefactorRejected(f"Resource {source[1]} of stack {source[0]} has no physical resource")
            old = current[source[0]]["TemplateDoc"]["Resources"][source[1]]
            new = record["Definitions"][destination[0]]["Document"]["Resources"][destination[1]]
            if old.get("Type") != new.get("Type"):
                raise RefactorRejected(f"Resource {destination[1]} must keep the type {old.get('Type')}")
            actions.append(
                {
                    "Action": "MOVE",
                    "Entity": "RESOURCE",
                    "PhysicalResourceId": state["PhysicalResourceId"],
                    "Description": f"Resource {source[1]} moves from stack {source[0]} to stack {destination[0]}"
                    + (f" as {destination[1]}" if destination[1] != source[1] else ""),
                    "Detection": detection,
                    "DetectionReason": "The resource mapping names it"
                    if detection == "MANUAL"
                    else "The resource leaves one template and appears unchanged in another",
                    "ResourceMapping": {
                        "Source": {"StackName": source[0], "LogicalResourceId": source[1]},
                        "Destination": {"StackName": destination[0], "LogicalResourceId": destination[1]},
                    },
                    "TagResources": [],
                    "UntagResources": [],
                }
            )
        if not any(action["Action"] == "MOVE" for action in actions):
            raise RefactorRejected("The templates move no resource")
        return actions, [stack["StackId"] for stack in current.values()]

    # -- reading ----------------------------------------------------------------------------------

    def describe_stack_refactor(self, context: RequestContext, params: dict) -> dict:
        record = self._refactor(context, params["StackRefactorId"])
        shown = {
            key: record[key]
            for key in (
                "Description",
                "StackRefactorId",
                "StackIds",
                "ExecutionStatus",
                "ExecutionStatusReason",
                "Status",
                "StatusReason",
            )
            if record.get(key) is not None
        }
        return shown

    def list_stack_refactors(self, context: RequestContext, params: dict) -> dict:
        wanted = set(params.get("ExecutionStatusFilter") or [])
        records = sorted(
            (
                record
                for _, record in self._refactors().scan(self.scope_of(context))
                if not wanted or record["ExecutionStatus"] in wanted
            ),
            key=lambda record: -record["Created"],
        )
        return pagination.paginate_list(
            self.runtime.store,
            "cloudformation",
            "ListStackRefactors",
            params,
            records,
            bad_token=lambda: validation("Invalid NextToken"),
            default_limit=100,
            render=lambda record: {
                key: record[key]
                for key in (
                    "StackRefactorId",
                    "Description",
                    "ExecutionStatus",
                    "ExecutionStatusReason",
                    "Status",
                    "StatusReason",
                )
                if record.get(key) is not None
            },
        )

    def list_stack_refactor_actions(self, context: RequestContext, params: dict) -> dict:
        record = self._refactor(context, params["StackRefactorId"])
        return pagination.paginate_list(
            self.runtime.store,
            "cloudformation",
            "ListStackRefactorActions",
            params,
            record["Actions"],
            bad_token=lambda: validation("Invalid NextToken"),
            default_limit=100,
            bind=record["StackRefactorId"],
        )

    # -- executing --------------------------------------------------------------------------------

    def execute_stack_refactor(self, context: RequestContext, params: dict) -> dict:
        record = self._refactor(context, params["StackRefactorId"])
        if record["ExecutionStatus"] != "AVAILABLE":
            raise validation(
                f"Stack refactor {record['StackRefactorId']} cannot be executed in its current "
                f"execution status of {record['ExecutionStatus']}"
            )
        try:
            stacks = self._current_stacks(context, record)
        except RefactorRejected as rejected:
            record.update({"ExecutionStatus": "OBSOLETE", "ExecutionStatusReason": str(rejected)})
            self._save_refactor(context, record)
            raise validation(str(rejected)) from None
        record["ExecutionStatus"] = "EXECUTE_IN_PROGRESS"
        self._save_refactor(context, record)
        moved: dict[str, dict[str, Any]] = {}
        for action in record["Actions"]:
            if action["Action"] != "MOVE":
                continue
            source = action["ResourceMapping"]["Source"]
            state = stacks[source["StackName"]]["Resources"].pop(source["LogicalResourceId"])
            moved[
                f"{action['ResourceMapping']['Destination']['StackName']}/{action['ResourceMapping']['Destination']['LogicalResourceId']}"
            ] = state
        now = time.time()
        for name, definition in record["Definitions"].items():
            stack = stacks[name]
            for key, state in moved.items():
                stack_name, logical_id = key.split("/", 1)
                if stack_name == name:
                    stack["Resources"][logical_id] = state
            document = definition["Document"]
            stack["TemplateBody"] = definition["TemplateBody"]
            stack["TemplateDoc"] = document
            stack["TemplateVersion"] = fast_uuid()
            stack["Description"] = document.get("Description")
            keep = set(document.get("Outputs") or {})
            stack["Outputs"] = [output for output in stack.get("Outputs", []) if output["OutputKey"] in keep]
            stack["LastUpdatedTime"] = now
            status = "CREATE_COMPLETE" if stack.get("CreatedByRefactor") else "UPDATE_COMPLETE"
            stack.pop("CreatedByRefactor", None)
            stack["StackStatus"] = status
            stack["StackStatusReason"] = f"Stack refactor {record['StackRefactorId']}"
            for key, state in moved.items():
                stack_name, logical_id = key.split("/", 1)
                if stack_name == name:
                    self.add_event(
                        stack,
                        logical_id,
                        state.get("PhysicalResourceId", ""),
                        state.get("ResourceType", ""),
                        state.get("ResourceStatus", "UPDATE_COMPLETE"),
                        "Resource moved by a stack refactor",
                    )
            self.add_event(
                stack, stack["StackName"], stack["StackId"], "AWS::CloudFormation::Stack", status, ""
            )
            self.save_stack(stack)
        record["ExecutionStatus"] = "EXECUTE_COMPLETE"
        record["StackIds"] = [stacks[name]["StackId"] for name in record["Definitions"]]
        self._save_refactor(context, record)
        return {}

    def _current_stacks(self, context: RequestContext, record: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """The refactor's stacks as they are now (new ones created), after checking that
        nothing changed since the refactor was planned."""
        stacks: dict[str, dict[str, Any]] = {}
        for name in record["Definitions"]:
            stack = self.lookup(context, name, deleted=False)
            if stack is None:
                if not record["EnableStackCreation"]:
                    raise RefactorRejected(f"Stack {name} no longer exists")
                stack = self.new_stack(context, name)
                stack.update({"CreatedByRefactor": True, "Parameters": [], "ParameterValues": {}})
                self.register(context, stack)
            stack = self.with_template(stack)
            if stack["StackStatus"] not in (*_STABLE, "CREATE_IN_PROGRESS") or (
                stack["StackStatus"] == "CREATE_IN_PROGRESS" and not stack.get("CreatedByRefactor")
            ):
                raise RefactorRejected(f"Stack {name} is in {stack['StackStatus']} state")
            stacks[name] = stack
        for action in record["Actions"]:
            if action["Action"] != "MOVE":
                continue
            source = action["ResourceMapping"]["Source"]
            state = stacks[source["StackName"]]["Resources"].get(source["LogicalResourceId"])
            if state is None or state.get("PhysicalResourceId") != action["PhysicalResourceId"]:
                raise RefactorRejected(
                    f"Resource {source['LogicalResourceId']} of stack {source['StackName']} changed since the refactor was created"
                )
        return stacks
