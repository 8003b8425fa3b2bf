"""Change sets: a preview of what an update (or a creation) would do, resource by resource,
with Replacement and Scope as CloudFormation computes them, executed later as the update."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from overcast.common.arns import partition
from overcast.common.ids import fast_uuid
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.cloudformation.engine import (
    Deployment,
    active_resources,
    creation_order,
    new_evaluator,
)
from overcast.services.cloudformation.handlers import changed_properties, handler_for
from overcast.services.cloudformation.intrinsics import UNKNOWN, TemplateError, contains_unknown
from overcast.services.cloudformation.template import refuses_malformed, validation
from overcast.store import scope as store_scope

if TYPE_CHECKING:
    from overcast.services.cloudformation.provider import Provider

_CHANGE_SET_NAME = re.compile(r"^[a-zA-Z][-a-zA-Z0-9]*$")
EMPTY_REASON = (
    "The submitted information didn't contain changes. Submit different information to create a change set."
)


def _timestamp(seconds: float) -> Any:
    from overcast.services.cloudformation.provider import timestamp

    return timestamp(seconds)


class ChangeSetMixin:
    def preview(  # type: ignore[misc]
        self: Provider, stack: dict[str, Any], document: dict[str, Any], values: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The Changes list of moving `stack` to a template and parameter values."""
        # Resources the change replaces are unknown to those that refer to them: the trial
        # stack marks them pending as the walk (in creation order) finds them.
        trial_resources = {name: dict(state) for name, state in stack.get("Resources", {}).items()}
        trial = {
            **stack,
            "ParameterValues": values,
            "Imports": list(stack.get("Imports", [])),
            "Resources": trial_resources,
        }
        evaluator = new_evaluator(self, trial, document, preview=True)
        try:
            wanted = active_resources(document, evaluator)
            order = [name for batch in creation_order(wanted) for name in batch]
        except TemplateError as error:
            raise validation(str(error)) from None
        current = {
            name: state
            for name, state in stack.get("Resources", {}).items()
            if state.get("PhysicalResourceId")
        }
        changes = []
        for name in order:
            definition = wanted[name]
            old = current.get(name)
            type_name = definition["Type"]
            if old is None:
                changes.append(
                    {
                        "Action": "Add",
                        "LogicalResourceId": name,
                        "ResourceType": type_name,
                        "Scope": [],
                        "Details": [],
                    }
                )
                continue
            try:
                properties = evaluator.resolve(definition.get("Properties") or {})
            except TemplateError as error:
                raise validation(str(error)) from None
            old_properties = old.get("Properties", {})
            changed = changed_properties(old_properties, properties)
            if type_name == old.get("ResourceType") and not changed:
                continue
            handler = handler_for(type_name)
            replacing = (
                set(handler.needs_replacement(old_properties, properties))
                if handler is not None
                else set(changed)
            )
            details: list[dict[str, Any]] = []
            for prop in changed:
                dynamic = contains_unknown(properties.get(prop))
                recreation = "Always" if prop in replacing else "Never"
                if dynamic and prop in replacing:
                    recreation = "Conditionally"
                details.append(
                    {
                        "Target": {"Attribute": "Properties", "Name": prop, "RequiresRecreation": recreation},
                        "Evaluation": "Dynamic" if dynamic else "Static",
                        "ChangeSource": "ResourceReference" if dynamic else "DirectModification",
                    }
                )
            if type_name != old.get("ResourceType") or any(
                detail["Target"]["RequiresRecreation"] == "Always" for detail in details
            ):
                replacement = "True"
            elif any(detail["Target"]["RequiresRecreation"] == "Conditionally" for detail in details):
                replacement = "Conditional"
            else:
                replacement = "False"
            if replacement != "False":
                trial_resources[name]["Pending"] = True
            changes.append(
                {
                    "Action": "Modify",
                    "LogicalResourceId": name,
                    "PhysicalResourceId": old["PhysicalResourceId"],
                    "ResourceType": type_name,
                    "Replacement": replacement,
                    "Scope": ["Properties"] if changed else [],
                    "Details": details,
                }
            )
        for name, old in current.items():
            if name not in wanted:
                changes.append(
                    {
                        "Action": "Remove",
                        "LogicalResourceId": name,
                        "PhysicalResourceId": old["PhysicalResourceId"],
                        "ResourceType": old.get("ResourceType", ""),
                        "PolicyAction": "Retain" if old.get("DeletionPolicy") == "Retain" else "Delete",
                        "Scope": [],
                        "Details": [],
                    }
                )
        return changes

    # -- operations ----------------------------------------------------------------------------------

    @refuses_malformed
    async def create_change_set(self: Provider, context: RequestContext, params: dict) -> dict:
        name = params["ChangeSetName"]
        if not _CHANGE_SET_NAME.match(name) or len(name) > 128:
            raise validation(
                f"1 validation error detected: Value '{name}' at 'changeSetName' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"
            )
        kind = params.get("ChangeSetType") or "UPDATE"
        stack_name = params["StackName"]
        stack = self.lookup(context, stack_name, deleted=False)
        if stack is not None:
            self.with_template(stack)
        if kind == "IMPORT":
            if not params.get("ResourcesToImport"):
                raise validation("ResourcesToImport must be specified for an IMPORT change set.")
            if stack is None:
                self.check_name(stack_name)
            elif stack["StackStatus"] != "REVIEW_IN_PROGRESS":
                self.check_updatable(stack)
        elif kind == "CREATE":
            self.check_name(stack_name)
            if stack is not None and stack["StackStatus"] != "REVIEW_IN_PROGRESS":
                raise ServiceError(
                    "AlreadyExistsException",
                    f"Stack [{stack_name}] already exists and cannot be created again with the changeSet [{name}].",
                )
        elif stack is None or stack["StackStatus"] == "REVIEW_IN_PROGRESS":
            raise validation(f"Stack [{stack_name}] does not exist")
        else:
            self.check_updatable(stack)
        if stack is not None and self._change_set_named(stack, name) is not None:
            raise ServiceError("AlreadyExistsException", f"ChangeSet [{name}] already exists")
        base = (
            stack
            if kind == "UPDATE" or (kind == "IMPORT" and stack is not None and stack["Resources"])
            else None
        )
        text, document, shown, values = await self.prepare(context, params, base)
        imports = (
            self.check_imports_requested(stack, document, params.get("ResourcesToImport") or [])
            if kind == "IMPORT"
            else []
        )
        if stack is None:
            stack = self.new_stack(context, stack_name)
            stack["StackStatus"] = "REVIEW_IN_PROGRESS"
            stack["StackStatusReason"] = "User Initiated"
            self.register(context, stack)
            self.add_event(
                stack,
                stack_name,
                stack["StackId"],
                "AWS::CloudFormation::Stack",
                "REVIEW_IN_PROGRESS",
                "User Initiated",
            )
        if kind == "IMPORT":
            changes = [
                {
                    "Action": "Import",
                    "LogicalResourceId": item["LogicalResourceId"],
                    "PhysicalResourceId": item["PhysicalResourceId"],
                    "ResourceType": item["ResourceType"],
                    "Scope": [],
                    "Details": [],
                }
                for item in imports
            ]
        elif kind == "UPDATE":
            changes = self.preview(stack, document, values)
        else:
            changes = self.preview({**stack, "Resources": {}}, document, values)
        change_set_id = f"arn:{partition(context.region)}:cloudformation:{context.region}:{context.account}:changeSet/{name}/{fast_uuid()}"
        change_set: dict[str, Any] = {
            "ChangeSetId": change_set_id,
            "ChangeSetName": name,
            "StackId": stack["StackId"],
            "StackName": stack["StackName"],
            "ChangeSetType": kind,
            "CreationTime": time.time(),
            "TemplateBody": text,
            "TemplateDoc": document,
            "Parameters": shown,
            "ParameterValues": values,
            "Capabilities": list(params.get("Capabilities") or []),
            "NotificationARNs": list(params.get("NotificationARNs") or []),
            "Tags": list(params.get("Tags") or stack.get("Tags", [])),
            "Changes": [{"Type": "Resource", "ResourceChange": change} for change in changes],
            "Status": "CREATE_COMPLETE",
            "ExecutionStatus": "AVAILABLE",
            "Imports": imports,
            "Request": {
                key: value
                for key, value in params.items()
                if key
                in (
                    "Parameters",
                    "Capabilities",
                    "NotificationARNs",
                    "Tags",
                    "RoleARN",
                    "TemplateBody",
                    "TemplateURL",
                    "UsePreviousTemplate",
                )
            },
        }
        if params.get("Description"):
            change_set["Description"] = params["Description"]
        if params.get("OnStackFailure"):
            change_set["OnStackFailure"] = params["OnStackFailure"]
        if kind == "UPDATE" and not changes:
            same = (
                text == stack.get("TemplateBody")
                and values == stack.get("ParameterValues")
                and (params.get("Tags") is None or params["Tags"] == stack.get("Tags", []))
            )
            if same:
                change_set["Status"] = "FAILED"
                change_set["ExecutionStatus"] = "UNAVAILABLE"
                change_set["StatusReason"] = EMPTY_REASON
        self.changesets.put(self.scope_of(context), change_set_id.rsplit("/", 1)[1], change_set)
        stack.setdefault("ChangeSets", []).append(change_set_id)
        self.save_stack(stack)
        return {"Id": change_set_id, "StackId": stack["StackId"]}

    def check_imports_requested(  # type: ignore[misc]
        self: Provider,
        stack: dict[str, Any] | None,
        document: dict[str, Any],
        requested: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """The resources to import, each with its physical id, checked as AWS checks them."""
        existing = set((stack or {}).get("Resources", {}))
        definitions = document["Resources"]
        found = []
        for item in requested:
            name, type_name = item["LogicalResourceId"], item["ResourceType"]
            definition = definitions.get(name)
            if definition is None or definition.get("Type") != type_name:
                raise validation(f"Resource {name} of type {type_name} to import is not in the template")
            if name in existing:
                raise validation(f"Resource {name} already exists in the stack")
            if "DeletionPolicy" not in definition:
                raise validation(
                    f"The following resources to import [{name}] must have DeletionPolicy attribute specified in the template."
                )
            handler = handler_for(type_name)
            identifier = handler.identifier if handler is not None else None
            if identifier is None:
                raise validation(f"ResourceType {type_name} does not support resource import")
            value = (item.get("ResourceIdentifier") or {}).get(identifier)
            if not value:
                raise validation(f"Resource {name} needs the identifier {identifier} to be imported")
            found.append({"LogicalResourceId": name, "ResourceType": type_name, "PhysicalResourceId": value})
        importing = {item["LogicalResourceId"] for item in found}
        added = sorted(set(definitions) - existing - importing)
        if added:
            raise validation(
                f"As part of the import operation, you cannot modify or add [{', '.join(added)}]"
            )
        return found

    def _change_set_named(self: Provider, stack: dict[str, Any], name: str) -> dict[str, Any] | None:  # type: ignore[misc]
        scope_name = store_scope(stack["account"], stack["region"])
        for change_set_id in stack.get("ChangeSets", []):
            change_set = self.changesets.get(scope_name, change_set_id.rsplit("/", 1)[1])
            if change_set is not None and change_set["ChangeSetName"] == name:
                return change_set
        return None

    def find_change_set(  # type: ignore[misc]
        self: Provider, context: RequestContext, name: str, stack_name: str | None
    ) -> dict[str, Any]:
        change_set = None
        if name.startswith("arn:"):
            change_set = self.changesets.get(self.scope_of(context), name.rsplit("/", 1)[1])
            if change_set is not None and change_set["ChangeSetId"] != name:
                change_set = None
        else:
            if not stack_name:
                raise validation("StackName must be specified if ChangeSetName is not specified as an ARN.")
            stack = self.lookup(context, stack_name)
            if stack is None:
                raise ServiceError("ChangeSetNotFound", f"ChangeSet [{name}] does not exist", 404)
            change_set = self._change_set_named(stack, name)
        if change_set is None:
            raise ServiceError("ChangeSetNotFound", f"ChangeSet [{name}] does not exist", 404)
        return change_set

    def describe_change_set(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        change_set = self.find_change_set(context, params["ChangeSetName"], params.get("StackName"))
        shown: dict[str, Any] = {
            key: change_set[key]
            for key in (
                "ChangeSetName",
                "ChangeSetId",
                "StackId",
                "StackName",
                "Parameters",
                "ExecutionStatus",
                "Status",
                "NotificationARNs",
                "Capabilities",
                "Tags",
                "Changes",
                "Description",
                "StatusReason",
                "OnStackFailure",
            )
            if key in change_set
        }
        shown["CreationTime"] = _timestamp(change_set["CreationTime"])
        shown["IncludeNestedStacks"] = False
        shown["RollbackConfiguration"] = {}
        return shown

    def describe_change_set_hooks(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        """No hook can be activated here, so a change set has none to run."""
        change_set = self.find_change_set(context, params["ChangeSetName"], params.get("StackName"))
        return {
            "ChangeSetId": change_set["ChangeSetId"],
            "ChangeSetName": change_set["ChangeSetName"],
            "Hooks": [],
            "Status": "UNAVAILABLE",
            "StackId": change_set["StackId"],
            "StackName": change_set["StackName"],
        }

    def list_change_sets(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        stack = self.find_stack(context, params["StackName"])
        summaries = []
        scope_name = self.scope_of(context)
        for change_set_id in stack.get("ChangeSets", []):
            change_set = self.changesets.get(scope_name, change_set_id.rsplit("/", 1)[1])
            if change_set is None:
                continue
            entry = {
                key: change_set[key]
                for key in (
                    "StackId",
                    "StackName",
                    "ChangeSetId",
                    "ChangeSetName",
                    "ExecutionStatus",
                    "Status",
                    "StatusReason",
                    "Description",
                )
                if key in change_set
            }
            entry["CreationTime"] = _timestamp(change_set["CreationTime"])
            entry["IncludeNestedStacks"] = False
            summaries.append(entry)
        return {"Summaries": summaries}

    def delete_change_set(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        change_set = self.find_change_set(context, params["ChangeSetName"], params.get("StackName"))
        if change_set["ExecutionStatus"] in ("EXECUTE_IN_PROGRESS", "EXECUTE_COMPLETE"):
            raise ServiceError(
                "InvalidChangeSetStatus",
                f"ChangeSet [{change_set['ChangeSetId']}] cannot be deleted in its current status of [{change_set['ExecutionStatus']}]",
            )
        scope_name = self.scope_of(context)
        self.changesets.delete(scope_name, change_set["ChangeSetId"].rsplit("/", 1)[1])
        stack = self.lookup(context, change_set["StackId"])
        if stack is not None:
            stack["ChangeSets"] = [
                item for item in stack.get("ChangeSets", []) if item != change_set["ChangeSetId"]
            ]
            self.save_stack(stack)
        return {}

    async def execute_change_set(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        change_set = self.find_change_set(context, params["ChangeSetName"], params.get("StackName"))
        if change_set["ExecutionStatus"] != "AVAILABLE":
            raise ServiceError(
                "InvalidChangeSetStatus",
                f"ChangeSet [{change_set['ChangeSetId']}] cannot be executed in its current status of [{change_set['ExecutionStatus']}]",
            )
        stack = self.with_template(self.find_stack(context, change_set["StackId"], deleted=False))
        scope_name = self.scope_of(context)
        # Executing one change set removes the stack's others, as AWS does.
        for other in stack.get("ChangeSets", []):
            if other != change_set["ChangeSetId"]:
                self.changesets.delete(scope_name, other.rsplit("/", 1)[1])
        stack["ChangeSets"] = [change_set["ChangeSetId"]]
        change_set["ExecutionStatus"] = "EXECUTE_IN_PROGRESS"
        key = change_set["ChangeSetId"].rsplit("/", 1)[1]
        self.changesets.put(scope_name, key, change_set)
        request = dict(change_set["Request"])
        stack["ChangeSetId"] = change_set["ChangeSetId"]
        stack["ExecutingChangeSet"] = change_set["ChangeSetId"]
        disable_rollback = params.get("DisableRollback")
        if change_set["ChangeSetType"] == "IMPORT":
            previous = self.snapshot(stack)
            self.fill(
                stack,
                request,
                change_set["TemplateBody"],
                change_set["TemplateDoc"],
                change_set["Parameters"],
                change_set["ParameterValues"],
            )
            self.save_stack(stack)
            work = Deployment(self, stack).import_resources(
                change_set["TemplateDoc"], change_set["Imports"], previous
            )
        elif change_set["ChangeSetType"] == "CREATE":
            self.fill(
                stack,
                request,
                change_set["TemplateBody"],
                change_set["TemplateDoc"],
                change_set["Parameters"],
                change_set["ParameterValues"],
            )
            stack["CreationTime"] = time.time()
            on_failure = change_set.get("OnStackFailure") or (
                "DO_NOTHING" if disable_rollback else "ROLLBACK"
            )
            stack["OnFailure"] = on_failure
            stack["DisableRollback"] = on_failure == "DO_NOTHING"
            self.save_stack(stack)
            work = Deployment(self, stack).create()
        else:
            self.check_updatable(stack)
            previous = self.snapshot(stack)
            stack["DisableRollback"] = bool(disable_rollback)
            self.fill(
                stack,
                request,
                change_set["TemplateBody"],
                change_set["TemplateDoc"],
                change_set["Parameters"],
                change_set["ParameterValues"],
            )
            stack["LastUpdatedTime"] = time.time()
            self.save_stack(stack)
            work = Deployment(self, stack).update(
                change_set["TemplateDoc"], change_set["ParameterValues"], previous
            )

        async def execute() -> None:
            try:
                await work
            finally:
                final = self.changesets.get(scope_name, key)
                if final is not None:
                    final["ExecutionStatus"] = (
                        "EXECUTE_COMPLETE"
                        if stack["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
                        else "EXECUTE_FAILED"
                    )
                    self.changesets.put(scope_name, key, final)

        await self.run(stack, execute())
        return {}


__all__ = ["EMPTY_REASON", "UNKNOWN", "ChangeSetMixin"]
