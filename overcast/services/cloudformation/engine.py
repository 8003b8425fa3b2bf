"""Deploying a stack: resources created in dependency order (those independent of each other
at the same time), updated in place or replaced, deleted in reverse order; a failure rolls
back what was done, with the failing resource's own error as the reason.

A deployment runs as a task on the server's loop; the stack's row in the store is the truth
that DescribeStacks reads, written after every step."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from overcast.common.ids import fast_uuid
from overcast.services.cloudformation import template as tpl
from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceHandler,
    ResourceRequest,
    call,
    changed_properties,
    handler_for,
)
from overcast.services.cloudformation.intrinsics import (
    NO_VALUE,
    UNKNOWN,
    Evaluator,
    TemplateError,
    contains_unknown,
)
from overcast.services.cloudformation.typehandlers import registered_handler

if TYPE_CHECKING:
    from overcast.services.cloudformation.provider import Provider

log = logging.getLogger(__name__)

_DYNAMIC = re.compile(r"\{\{resolve:(ssm|ssm-secure|secretsmanager):([^}]*)\}\}")

_KEEPS_REASON = ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")

DONE_STATES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})


class StackFailure(Exception):
    """A whole deployment step failed; the message is the stack's status reason."""


def new_evaluator(
    provider: Provider, stack: dict[str, Any], document: dict[str, Any], preview: bool = False
) -> Evaluator:
    """The evaluator of a stack's template: refs and attributes come from its resources as
    they stand (UNKNOWN for those not created yet, in a preview)."""
    resources = stack.get("Resources", {})
    definitions = document.get("Resources", {})

    def ref(name: str) -> Any:
        state = resources.get(name)
        if state is not None and state.get("PhysicalResourceId") and not state.get("Pending"):
            return state["PhysicalResourceId"]
        if name in definitions:
            if preview:
                return UNKNOWN
            raise TemplateError(f"Template error: resource {name} is not available for Ref")
        raise TemplateError(
            f"Template format error: Unresolved resource dependencies [{name}] in the Resources block of the template"
        )

    def get_att(name: str, attribute: str) -> Any:
        state = resources.get(name)
        definition = definitions.get(name)
        if definition is None:
            raise TemplateError(
                f"Template error: instance of Fn::GetAtt references undefined resource {name}"
            )
        handler = handler_for(definition.get("Type", ""))
        if (
            handler is not None
            and handler.attributes
            and attribute not in handler.attributes
            and not definition["Type"].startswith(("Custom::", "AWS::CloudFormation::CustomResource"))
        ):
            raise TemplateError(
                f"Template error: resource {name} does not support attribute type {attribute} in Fn::GetAtt"
            )
        if state is None or state.get("Pending") or attribute not in state.get("Attributes", {}):
            if preview:
                return UNKNOWN
            if state is not None and state.get("PhysicalResourceId"):
                raise TemplateError(
                    f"Template error: resource {name} does not support attribute type {attribute} in Fn::GetAtt"
                )
            raise TemplateError(f"Template error: resource {name} is not available for Fn::GetAtt")
        return state["Attributes"][attribute]

    def import_value(name: str) -> Any:
        export = provider.export(stack["account"], stack["region"], name)
        if export is None:
            raise TemplateError(f"No export named {name} found.")
        stack.setdefault("Imports", [])
        if name not in stack["Imports"]:
            stack["Imports"].append(name)
        return export["Value"]

    return Evaluator(
        parameters=stack.get("ParameterValues", {}),
        pseudo=pseudo_parameters(stack),
        mappings=document.get("Mappings") or {},
        conditions=document.get("Conditions") or {},
        ref=ref,
        get_att=get_att,
        import_value=import_value,
    )


def pseudo_parameters(stack: dict[str, Any]) -> dict[str, Any]:
    from overcast.common.arns import partition

    region = stack["region"]
    return {
        "AWS::AccountId": stack["account"],
        "AWS::Region": region,
        "AWS::StackId": stack["StackId"],
        "AWS::StackName": stack["StackName"],
        "AWS::Partition": partition(region),
        "AWS::URLSuffix": "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com",
        "AWS::NotificationARNs": list(stack.get("NotificationARNs", [])),
    }


def active_resources(document: dict[str, Any], evaluator: Evaluator) -> dict[str, dict[str, Any]]:
    """The template's resources whose Condition holds."""
    chosen = {}
    for logical_id, definition in document.get("Resources", {}).items():
        condition = definition.get("Condition")
        if condition is None or evaluator.condition(condition):
            chosen[logical_id] = definition
    return chosen


def creation_order(resources: dict[str, dict[str, Any]]) -> list[list[str]]:
    """Batches of logical ids: each batch depends only on earlier ones. A cycle is AWS's
    "Circular dependency" error."""
    pending = {name: tpl.dependencies(definition, resources) for name, definition in resources.items()}
    batches: list[list[str]] = []
    done: set[str] = set()
    while pending:
        ready = sorted(name for name, needs in pending.items() if needs <= done)
        if not ready:
            raise TemplateError(
                "Template format error: Circular dependency between resources: ["
                + ", ".join(sorted(pending))
                + "]"
            )
        batches.append(ready)
        done.update(ready)
        for name in ready:
            del pending[name]
    return batches


class Deployment:
    """One create, update or delete of one stack."""

    def __init__(self, provider: Provider, stack: dict[str, Any]) -> None:
        self.provider = provider
        self.stack = provider.with_template(stack)
        self.runtime = provider.runtime

    # -- bookkeeping ---------------------------------------------------------------------------

    def save(self) -> None:
        self.provider.save_stack(self.stack)

    def set_status(self, status: str, reason: str = "") -> None:
        stack = self.stack
        stack["StackStatus"] = status
        if reason or not status.endswith(_KEEPS_REASON):
            # A rollback's end keeps the reason the rollback began with, as AWS shows it.
            stack["StackStatusReason"] = reason
        self.provider.add_event(
            stack, stack["StackName"], stack["StackId"], "AWS::CloudFormation::Stack", status, reason
        )
        self.save()

    def resource_status(self, logical_id: str, status: str, reason: str = "", **fields: Any) -> None:
        state = self.stack["Resources"].setdefault(logical_id, {})
        state.update(fields)
        state["ResourceStatus"] = status
        state["ResourceStatusReason"] = reason
        state["Timestamp"] = time.time()
        self.provider.add_event(
            self.stack,
            logical_id,
            state.get("PhysicalResourceId", ""),
            state.get("ResourceType", ""),
            status,
            reason,
            state.get("Properties"),
        )
        self.save()

    def request(self, logical_id: str, state: dict[str, Any], properties: dict[str, Any]) -> ResourceRequest:
        return ResourceRequest(
            runtime=self.runtime,
            account=self.stack["account"],
            region=self.stack["region"],
            stack_name=self.stack["StackName"],
            stack_id=self.stack["StackId"],
            logical_id=logical_id,
            resource_type=state.get("ResourceType", ""),
            properties=properties,
            physical_id=state.get("PhysicalResourceId", ""),
            attributes=dict(state.get("Attributes", {})),
            stack_tags=list(self.stack.get("Tags", [])),
        )

    async def resolve_properties(self, evaluator: Evaluator, definition: dict[str, Any]) -> dict[str, Any]:
        try:
            properties = evaluator.resolve(definition.get("Properties") or {})
        except TemplateError as error:
            raise ResourceFailed(str(error)) from None
        if not isinstance(properties, dict):
            raise ResourceFailed("Properties must be an object")
        return await self.dynamic_references(properties)

    async def dynamic_references(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {key: await self.dynamic_references(item) for key, item in value.items()}
        if isinstance(value, list):
            return [await self.dynamic_references(item) for item in value]
        if isinstance(value, str) and "{{resolve:" in value:
            parts = []
            last = 0
            for match in _DYNAMIC.finditer(value):
                parts.append(value[last : match.start()])
                parts.append(await self.dynamic_value(match.group(1), match.group(2)))
                last = match.end()
            parts.append(value[last:])
            return "".join(parts)
        return value

    async def dynamic_value(self, service: str, reference: str) -> str:
        account, region = self.stack["account"], self.stack["region"]
        if service in ("ssm", "ssm-secure"):
            name, _, version = reference.partition(":")
            selector = f"{name}:{version}" if version else name
            try:
                output = await call(
                    self.runtime,
                    "ssm",
                    "GetParameter",
                    account,
                    region,
                    {"Name": selector, "WithDecryption": service == "ssm-secure"},
                )
            except ResourceFailed as error:
                raise ResourceFailed(
                    f"Unable to fetch parameters [{name}] from parameter store for this account."
                ) from error
            return str(output["Parameter"]["Value"])
        # secretsmanager:secret-id:SecretString:json-key:version-stage:version-id; the id may be an ARN.
        fields = reference.split(":")
        if reference.startswith("arn:"):
            fields = [":".join(fields[:7]), *fields[7:]]
        secret_id = fields[0]
        json_key = fields[2] if len(fields) > 2 else ""
        stage = fields[3] if len(fields) > 3 else ""
        version = fields[4] if len(fields) > 4 else ""
        params: dict[str, Any] = {"SecretId": secret_id}
        if stage:
            params["VersionStage"] = stage
        if version:
            params["VersionId"] = version
        output = await call(self.runtime, "secretsmanager", "GetSecretValue", account, region, params)
        text = output.get("SecretString", "")
        if json_key:
            import json

            try:
                text = json.loads(text)[json_key]
            except (ValueError, KeyError, TypeError):
                raise ResourceFailed(f"Could not find the key {json_key} in the secret {secret_id}") from None
        return str(text)

    def known_handler(self, type_name: str) -> ResourceHandler | None:
        """The type's handler: Overcast's, or a registered type's (its package's code)."""
        handler = handler_for(type_name)
        if handler is None and type_name.count("::") == 2 and not type_name.startswith(("AWS::", "Custom::")):
            handler = registered_handler(self.runtime, self.stack["account"], self.stack["region"], type_name)
        return handler

    def handler(self, type_name: str) -> ResourceHandler:
        handler = self.known_handler(type_name)
        if handler is None:
            raise ResourceFailed(f"Unsupported resource type {type_name}")
        return handler

    # -- create ---------------------------------------------------------------------------------

    async def create(self) -> None:
        stack = self.stack
        document = stack["TemplateDoc"]
        self.set_status("CREATE_IN_PROGRESS", "User Initiated")
        try:
            await self.within_timeout(self.create_resources(document))
            self.compute_outputs(document)
        except (StackFailure, ResourceFailed, TemplateError) as failure:
            reason = str(failure)
            if stack.get("OnFailure") == "DO_NOTHING" or stack.get("DisableRollback"):
                self.set_status("CREATE_FAILED", reason)
                return
            if stack.get("OnFailure") == "DELETE":
                self.set_status("ROLLBACK_IN_PROGRESS", reason)
                await self.delete_all(rollback=True)
                self.set_status("ROLLBACK_COMPLETE")
                await self.delete()
                return
            self.set_status("ROLLBACK_IN_PROGRESS", reason)
            try:
                await self.delete_all(rollback=True)
            except StackFailure as error:
                self.set_status("ROLLBACK_FAILED", str(error))
                return
            self.set_status("ROLLBACK_COMPLETE")
            return
        self.set_status("CREATE_COMPLETE")

    async def import_resources(
        self, document: dict[str, Any], imports: list[dict[str, Any]], previous: dict[str, Any]
    ) -> None:
        """Take existing resources into the stack; a failure leaves them as they were, outside it."""
        stack = self.stack
        self.set_status("IMPORT_IN_PROGRESS", "User Initiated")
        evaluator = new_evaluator(self.provider, stack, document)
        taken: list[str] = []
        try:
            for item in imports:
                name = item["LogicalResourceId"]
                definition = document["Resources"][name]
                state = stack["Resources"].setdefault(name, {})
                state.update(
                    {
                        "ResourceType": definition["Type"],
                        "PhysicalResourceId": item["PhysicalResourceId"],
                        "DeletionPolicy": definition.get("DeletionPolicy", "Delete"),
                        "UpdateReplacePolicy": definition.get("UpdateReplacePolicy", "Delete"),
                        "Metadata": definition.get("Metadata"),
                    }
                )
                taken.append(name)
                properties = await self.resolve_properties(evaluator, definition)
                state["Properties"] = properties
                self.resource_status(name, "IMPORT_IN_PROGRESS")
                try:
                    attributes = await self.handler(definition["Type"]).adopt(
                        self.request(name, state, properties)
                    )
                except ResourceFailed as failure:
                    self.resource_status(name, "IMPORT_FAILED", str(failure))
                    raise
                self.resource_status(name, "IMPORT_COMPLETE", Attributes=attributes)
            self.compute_outputs(document)
        except (StackFailure, ResourceFailed, TemplateError) as failure:
            self.set_status("IMPORT_ROLLBACK_IN_PROGRESS", str(failure))
            for name in taken:  # released, never deleted: they were there before
                stack["Resources"].pop(name, None)
            stack.update(previous)
            self.set_status("IMPORT_ROLLBACK_COMPLETE")
            return
        self.set_status("IMPORT_COMPLETE")

    async def within_timeout(self, work: Awaitable[None]) -> None:
        """The stack's TimeoutInMinutes, if it has one: past it, what is still being created
        is cancelled and the creation fails."""
        minutes = self.stack.get("TimeoutInMinutes")
        if not minutes:
            await work
            return
        try:
            await asyncio.wait_for(work, timeout=float(minutes) * 60)
        except TimeoutError:
            for logical_id, state in self.stack["Resources"].items():
                if state.get("ResourceStatus") == "CREATE_IN_PROGRESS":
                    self.resource_status(logical_id, "CREATE_FAILED", "Resource creation cancelled")
            raise StackFailure("Create timed out") from None

    async def create_resources(self, document: dict[str, Any]) -> None:
        evaluator = new_evaluator(self.provider, self.stack, document)
        resources = active_resources(document, evaluator)
        creation_order(resources)  # a cycle is refused before anything is made
        needs = {
            name: tpl.dependencies(definition, resources) & set(resources)
            for name, definition in resources.items()
        }
        failures = await run_graph(
            needs, lambda name: self.create_one(name, resources[name], evaluator), stop_on_failure=True
        )
        if failures:
            raise StackFailure(
                "The following resource(s) failed to create: [" + ", ".join(sorted(failures)) + "]. "
            )

    async def create_one(self, logical_id: str, definition: dict[str, Any], evaluator: Evaluator) -> None:
        type_name = definition["Type"]
        state = self.stack["Resources"].setdefault(logical_id, {})
        state.update({"ResourceType": type_name, "PhysicalResourceId": "", "Attributes": {}, "Pending": True})
        state["DeletionPolicy"] = definition.get("DeletionPolicy", "Delete")
        state["UpdateReplacePolicy"] = definition.get("UpdateReplacePolicy", "Delete")
        state["Metadata"] = definition.get("Metadata")
        state["DependsOn"] = sorted(
            tpl.dependencies(definition, self.stack["TemplateDoc"].get("Resources", {}))
        )
        try:
            handler = self.handler(type_name)
            properties = await self.resolve_properties(evaluator, definition)
            state["Properties"] = properties
            self.resource_status(logical_id, "CREATE_IN_PROGRESS")
            request = self.request(logical_id, state, properties)
            request.creation_policy = definition.get("CreationPolicy")
            physical_id, attributes = await handler.create(request)
        except ResourceFailed as failure:
            self.resource_status(logical_id, "CREATE_FAILED", str(failure))
            raise
        except Exception as error:
            log.exception("creating %s (%s) failed", logical_id, type_name)
            self.resource_status(logical_id, "CREATE_FAILED", f"Internal failure: {error}")
            raise ResourceFailed(str(error)) from error
        state.pop("Pending", None)
        self.resource_status(
            logical_id, "CREATE_COMPLETE", PhysicalResourceId=physical_id, Attributes=attributes
        )

    def compute_outputs(self, document: dict[str, Any]) -> None:
        stack = self.stack
        evaluator = new_evaluator(self.provider, stack, document)
        outputs = []
        exports: dict[str, str] = {}
        for key, output in (document.get("Outputs") or {}).items():
            condition = output.get("Condition")
            if condition is not None and not evaluator.condition(condition):
                continue
            value = evaluator.resolve(output["Value"])
            if isinstance(value, list):
                value = ",".join(str(item) for item in value)
            entry = {"OutputKey": key, "OutputValue": _text(value)}
            if output.get("Description"):
                entry["Description"] = output["Description"]
            if output.get("Export"):
                name = _text(evaluator.resolve(output["Export"].get("Name")))
                entry["ExportName"] = name
                owner = self.provider.export(stack["account"], stack["region"], name)
                if owner is not None and owner["ExportingStackId"] != stack["StackId"]:
                    raise StackFailure(
                        f"Export with name {name} is already exported by stack {owner['StackName']}"
                    )
                exports[name] = entry["OutputValue"]
            outputs.append(entry)
        removed = [name for name in stack.get("Exports", []) if name not in exports]
        for name in removed:
            importers = self.provider.importers(stack["account"], stack["region"], name)
            if importers:
                raise StackFailure(f"Cannot delete export {name} as it is in use by {', '.join(importers)}.")
        stack["Outputs"] = outputs
        self.provider.set_exports(stack, exports)

    # -- delete ---------------------------------------------------------------------------------

    async def delete(self) -> None:
        stack = self.stack
        for name in stack.get("Exports", []):
            importers = self.provider.importers(stack["account"], stack["region"], name)
            if importers:
                self.set_status(
                    "DELETE_FAILED",
                    f"Export {name} cannot be deleted as it is in use by {', '.join(importers)}",
                )
                return
        self.set_status("DELETE_IN_PROGRESS", "User Initiated")
        try:
            await self.delete_all(rollback=False)
        except StackFailure as failure:
            self.set_status("DELETE_FAILED", str(failure))
            return
        self.provider.set_exports(stack, {})
        stack["Imports"] = []
        stack["DeletionTime"] = time.time()
        self.set_status("DELETE_COMPLETE")
        self.provider.forget_name(stack)

    async def delete_all(self, rollback: bool) -> None:
        """Delete every resource the stack has, each once those that depend on it are gone."""
        resources = self.stack["Resources"]
        document = self.stack.get("TemplateDoc", {})
        definitions = {
            name: document.get("Resources", {}).get(name, {"Type": state.get("ResourceType")})
            for name, state in resources.items()
        }
        depends = {
            name: set(_with_recorded_depends(definitions[name], resources[name], definitions)["DependsOn"])
            for name in definitions
        }
        creation_order({name: {"DependsOn": sorted(needs)} for name, needs in depends.items()})
        dependents: dict[str, set[str]] = {name: set() for name in depends}
        for name, needs in depends.items():
            for need in needs:
                dependents[need].add(name)
        failures = await run_graph(
            dependents, lambda name: self.delete_one(name, rollback), stop_on_failure=False
        )
        if failures:
            raise StackFailure(
                "The following resource(s) failed to delete: [" + ", ".join(sorted(failures)) + "]. "
            )

    async def delete_one(self, logical_id: str, rollback: bool) -> None:
        state = self.stack["Resources"][logical_id]
        status = state.get("ResourceStatus", "")
        if status in ("DELETE_COMPLETE", "DELETE_SKIPPED"):
            return
        if not state.get("PhysicalResourceId"):
            self.resource_status(logical_id, "DELETE_COMPLETE")
            return
        policy = state.get("DeletionPolicy", "Delete")
        if policy == "Retain" or (policy == "RetainExceptOnCreate" and not rollback):
            self.resource_status(logical_id, "DELETE_SKIPPED")
            return
        self.resource_status(logical_id, "DELETE_IN_PROGRESS")
        try:
            handler = self.handler(state["ResourceType"])
            await handler.delete(self.request(logical_id, state, state.get("Properties", {})))
        except ResourceFailed as failure:
            self.resource_status(logical_id, "DELETE_FAILED", str(failure))
            raise
        except Exception as error:
            log.exception("deleting %s failed", logical_id)
            self.resource_status(logical_id, "DELETE_FAILED", f"Internal failure: {error}")
            raise ResourceFailed(str(error)) from error
        self.resource_status(logical_id, "DELETE_COMPLETE")

    # -- update ---------------------------------------------------------------------------------

    async def update(
        self, new_document: dict[str, Any], new_parameters: dict[str, Any], previous: dict[str, Any]
    ) -> None:
        """Move the stack to a new template and parameters; `previous` holds what to go back to
        (TemplateDoc, TemplateBody, ParameterValues, Parameters) on a rollback."""
        stack = self.stack
        self.set_status("UPDATE_IN_PROGRESS", "User Initiated")
        journal: list[tuple[str, str, dict[str, Any]]] = []  # (action, logical id, old state)
        try:
            await self.update_resources(new_document, journal)
            self.compute_outputs(new_document)
        except (StackFailure, ResourceFailed, TemplateError) as failure:
            if stack.get("DisableRollback"):
                # Left as it failed; RollbackStack (or another update) goes on from here.
                stack["PendingRollback"] = {"journal": journal, "previous": previous}
                self.set_status("UPDATE_FAILED", str(failure))
                return
            self.set_status("UPDATE_ROLLBACK_IN_PROGRESS", str(failure))
            await self.roll_back_update(journal, previous)
            return
        stack.pop("PendingRollback", None)
        self.set_status("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
        await self.cleanup(journal, rollback=False)
        self.set_status("UPDATE_COMPLETE")

    async def roll_back_update(self, journal: list[Any], previous: dict[str, Any]) -> None:
        """Back to the template, parameters and resources before the update."""
        self.stack.update(previous)
        self.stack.pop("PendingRollback", None)
        await self.undo(journal)
        self.set_status("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
        await self.cleanup(journal, rollback=True)
        self.set_status("UPDATE_ROLLBACK_COMPLETE")

    async def update_resources(
        self, document: dict[str, Any], journal: list[tuple[str, str, dict[str, Any]]]
    ) -> None:
        stack = self.stack
        evaluator = new_evaluator(self.provider, stack, document)
        resources = active_resources(document, evaluator)
        for name in stack["Resources"]:
            if name not in resources:
                journal.append(("remove", name, dict(stack["Resources"][name])))
        creation_order(resources)
        needs = {
            name: tpl.dependencies(definition, resources) & set(resources)
            for name, definition in resources.items()
        }

        async def update(name: str) -> None:
            if stack.get("CancelRequested"):
                raise StackFailure("Resource update cancelled")
            await self.update_one(name, resources[name], evaluator, journal)

        failures = await run_graph(needs, update, stop_on_failure=True)
        stack.pop("CancelRequested", None)
        if failures:
            raise StackFailure(
                "The following resource(s) failed to update: [" + ", ".join(sorted(failures)) + "]. "
            )

    async def update_one(
        self,
        logical_id: str,
        definition: dict[str, Any],
        evaluator: Evaluator,
        journal: list[tuple[str, str, dict[str, Any]]],
    ) -> None:
        stack = self.stack
        old = stack["Resources"].get(logical_id)
        if old is None or not old.get("PhysicalResourceId") or old.get("Pending"):
            stack["Resources"].pop(logical_id, None)
            journal.append(("add", logical_id, {}))
            await self.create_one(logical_id, definition, evaluator)
            return
        snapshot = dict(old)
        try:
            properties = await self.resolve_properties(evaluator, definition)
        except ResourceFailed as failure:
            self.resource_status(logical_id, "UPDATE_FAILED", str(failure))
            raise
        old["DeletionPolicy"] = definition.get("DeletionPolicy", "Delete")
        old["UpdateReplacePolicy"] = definition.get("UpdateReplacePolicy", "Delete")
        old["Metadata"] = definition.get("Metadata")
        type_name = definition["Type"]
        if type_name == old.get("ResourceType") and not changed_properties(
            old.get("Properties", {}), properties
        ):
            return
        handler = self.known_handler(type_name)
        replace = (
            type_name != old.get("ResourceType")
            or handler is None
            or bool(handler.needs_replacement(old.get("Properties", {}), properties))
        )
        if replace:
            name_property = handler.name_property if handler is not None else None
            if (
                name_property
                and properties.get(name_property)
                and properties.get(name_property) == old.get("Properties", {}).get(name_property)
            ):
                reason = (
                    "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
                    f"Rename {properties[name_property]} and update the stack again."
                )
                self.resource_status(logical_id, "UPDATE_FAILED", reason)
                raise ResourceFailed(reason)
            journal.append(("replace", logical_id, snapshot))
            stack["Resources"][logical_id] = {}
            self.resource_status(
                logical_id,
                "UPDATE_IN_PROGRESS",
                "Requested update requires the creation of a new physical resource; hence creating one.",
                ResourceType=type_name,
                PhysicalResourceId=snapshot["PhysicalResourceId"],
                Properties=properties,
            )
            stack["Resources"][logical_id]["PhysicalResourceId"] = ""
            try:
                await self.create_one_as_update(logical_id, definition, properties, handler)
            except ResourceFailed:
                raise
            return
        assert handler is not None
        journal.append(("update", logical_id, snapshot))
        old["Properties"] = properties
        self.resource_status(logical_id, "UPDATE_IN_PROGRESS")
        request = self.request(logical_id, old, properties)
        request.old_properties = snapshot.get("Properties", {})
        try:
            attributes = await handler.update(request)
        except ResourceFailed as failure:
            self.resource_status(logical_id, "UPDATE_FAILED", str(failure))
            raise
        except Exception as error:
            log.exception("updating %s failed", logical_id)
            self.resource_status(logical_id, "UPDATE_FAILED", f"Internal failure: {error}")
            raise ResourceFailed(str(error)) from error
        if request.physical_id != snapshot["PhysicalResourceId"]:
            # The resource answered with a new physical id (a custom resource may): the old
            # one is deleted in cleanup, as for a replacement.
            journal[journal.index(("update", logical_id, snapshot))] = ("replace", logical_id, snapshot)
        self.resource_status(
            logical_id, "UPDATE_COMPLETE", Attributes=attributes, PhysicalResourceId=request.physical_id
        )

    async def create_one_as_update(
        self,
        logical_id: str,
        definition: dict[str, Any],
        properties: dict[str, Any],
        handler: ResourceHandler | None,
    ) -> None:
        state = self.stack["Resources"][logical_id]
        state.update({"ResourceType": definition["Type"], "Attributes": {}, "Pending": True})
        state["DeletionPolicy"] = definition.get("DeletionPolicy", "Delete")
        state["UpdateReplacePolicy"] = definition.get("UpdateReplacePolicy", "Delete")
        try:
            if handler is None:
                raise ResourceFailed(f"Unsupported resource type {definition['Type']}")
            physical_id, attributes = await handler.create(self.request(logical_id, state, properties))
        except ResourceFailed as failure:
            self.resource_status(logical_id, "UPDATE_FAILED", str(failure))
            raise
        except Exception as error:
            log.exception("replacing %s failed", logical_id)
            self.resource_status(logical_id, "UPDATE_FAILED", f"Internal failure: {error}")
            raise ResourceFailed(str(error)) from error
        state.pop("Pending", None)
        self.resource_status(
            logical_id, "UPDATE_COMPLETE", PhysicalResourceId=physical_id, Attributes=attributes
        )

    async def undo(self, journal: list[tuple[str, str, dict[str, Any]]]) -> None:
        """Put back what an update did, newest first: updates reversed, new resources marked
        for cleanup, replaced ones restored."""
        stack = self.stack
        for action, logical_id, snapshot in reversed(journal):
            if action == "update":
                current = stack["Resources"][logical_id]
                handler = self.known_handler(snapshot.get("ResourceType", ""))
                if handler is None:
                    continue
                self.resource_status(logical_id, "UPDATE_IN_PROGRESS")
                request = self.request(logical_id, current, snapshot.get("Properties", {}))
                request.old_properties = current.get("Properties", {})
                try:
                    attributes = await handler.update(request)
                except Exception as error:
                    self.resource_status(logical_id, "UPDATE_FAILED", str(error))
                    continue
                current["Properties"] = snapshot.get("Properties", {})
                self.resource_status(logical_id, "UPDATE_COMPLETE", Attributes=attributes)

    async def cleanup(self, journal: list[tuple[str, str, dict[str, Any]]], rollback: bool) -> None:
        """After an update: delete what was removed and the old resources of replacements.
        After a rollback: delete what the update created and restore what it replaced."""
        stack = self.stack
        for action, logical_id, snapshot in reversed(journal):
            if rollback:
                if action == "add":
                    await self._delete_state(logical_id, stack["Resources"].get(logical_id))
                    stack["Resources"].pop(logical_id, None)
                elif action == "replace":
                    await self._delete_state(logical_id, stack["Resources"].get(logical_id))
                    stack["Resources"][logical_id] = snapshot
                    self.save()
            else:
                if action == "remove":
                    await self._delete_state(logical_id, snapshot)
                    stack["Resources"].pop(logical_id, None)
                    self.save()
                elif action == "replace":
                    # The replaced resource goes as the new definition's UpdateReplacePolicy says.
                    current = stack["Resources"].get(logical_id) or {}
                    await self._delete_state(
                        logical_id, snapshot, current.get("UpdateReplacePolicy", "Delete")
                    )
                    self.save()

    async def _delete_state(
        self, logical_id: str, state: dict[str, Any] | None, policy: str | None = None
    ) -> None:
        if not state or not state.get("PhysicalResourceId") or state.get("Pending"):
            return
        policy = policy or state.get("DeletionPolicy", "Delete")
        if policy == "Retain":
            self.provider.add_event(
                self.stack,
                logical_id,
                state["PhysicalResourceId"],
                state.get("ResourceType", ""),
                "DELETE_SKIPPED",
                "",
            )
            return
        self.provider.add_event(
            self.stack,
            logical_id,
            state["PhysicalResourceId"],
            state.get("ResourceType", ""),
            "DELETE_IN_PROGRESS",
            "",
        )
        try:
            handler = self.handler(state.get("ResourceType", ""))
            await handler.delete(self.request(logical_id, state, state.get("Properties", {})))
        except Exception as error:
            self.provider.add_event(
                self.stack,
                logical_id,
                state["PhysicalResourceId"],
                state.get("ResourceType", ""),
                "DELETE_FAILED",
                str(error),
            )
            return
        self.provider.add_event(
            self.stack,
            logical_id,
            state["PhysicalResourceId"],
            state.get("ResourceType", ""),
            "DELETE_COMPLETE",
            "",
        )


async def run_graph(
    needs: dict[str, set[str]], work: Callable[[str], Awaitable[None]], stop_on_failure: bool
) -> list[str]:
    """Run work(name) for every name once the names it needs are done, as many at once as the
    graph allows; a name whose needs failed is skipped. With stop_on_failure, nothing new
    starts after a failure (what is running finishes). Returns the names that failed."""
    done: dict[str, asyncio.Future[bool]] = {
        name: asyncio.get_running_loop().create_future() for name in needs
    }
    failures: list[str] = []

    async def one(name: str) -> None:
        succeeded = False
        try:
            for need in needs[name]:
                if not await done[need]:
                    return
            if stop_on_failure and failures:
                return
            try:
                await work(name)
            except Exception as error:
                failures.append(name)
                if not isinstance(error, ResourceFailed | StackFailure):
                    log.error("%s failed", name, exc_info=error)
                return
            succeeded = True
        finally:
            done[name].set_result(succeeded)

    await asyncio.gather(*(one(name) for name in needs))
    return failures


def _with_recorded_depends(
    definition: dict[str, Any], state: dict[str, Any], definitions: dict[str, Any]
) -> dict[str, Any]:
    """A definition whose dependencies are those recorded when the resource was created (the
    template may since have changed), limited to resources the stack has."""
    depends = [name for name in state.get("DependsOn", []) if name in definitions]
    if not depends:
        depends = [name for name in tpl.dependencies(definition, definitions) if name in definitions]
    return {"Type": definition.get("Type"), "DependsOn": depends}


def _text(value: Any) -> str:
    if value is UNKNOWN or value is NO_VALUE:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def new_request_token() -> str:
    return fast_uuid()


__all__ = ["Deployment", "StackFailure", "contains_unknown", "creation_order", "new_evaluator"]
