"""AWS CloudFormation: stacks created, updated and deleted from JSON or YAML templates by a real
engine (engine.py) that calls each service's own resource handlers; change sets, events,
exports and imports, stack policies and termination protection.

Stacks live in table "stacks" keyed by the id in their ARN (a deleted stack stays there,
readable by its ARN as AWS's are); "names" maps a live stack's name to that id; "events"
holds each stack's events keyed "{id}/{time}" so that a reverse scan gives the newest first;
"exports" the region's exports by name; "changesets" the change sets by their id."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
import time
from datetime import UTC, datetime
from typing import Any

from overcast.common import pagination
from overcast.common.arns import partition
from overcast.common.httpsfront import close_front
from overcast.common.ids import fast_uuid
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.base import BaseProvider
from overcast.services.cloudformation import parameters as params_module
from overcast.services.cloudformation import template as tpl
from overcast.services.cloudformation.absent import AbsentFeatures
from overcast.services.cloudformation.changesets import ChangeSetMixin
from overcast.services.cloudformation.drift import DriftDetection
from overcast.services.cloudformation.engine import Deployment
from overcast.services.cloudformation.generator import Generator
from overcast.services.cloudformation.handlers import handler_for, registry
from overcast.services.cloudformation.operations import StackOperations, open_operation
from overcast.services.cloudformation.refactor import StackRefactors
from overcast.services.cloudformation.registry import TypeRegistry
from overcast.services.cloudformation.rules import check_conditional_references, check_rules
from overcast.services.cloudformation.sources import TemplateSources
from overcast.services.cloudformation.stacksets import StackSets
from overcast.services.cloudformation.template import validation
from overcast.store import scope as store_scope

log = logging.getLogger(__name__)

#: How long CreateStack, UpdateStack, DeleteStack and ExecuteChangeSet wait for a deployment
#: that finishes quickly before answering: the CLI's waiters poll every 5 to 30 seconds, and a
#: stack that is already complete at their first look saves that wait. AWS answers at once;
#: the answer is the same, only earlier than the stack's end for a slow deployment.
SETTLE_SECONDS = 5.0

_STACK_NAME = re.compile(r"^[a-zA-Z][-a-zA-Z0-9]*$")
STABLE_FOR_UPDATE = frozenset(
    {
        "CREATE_COMPLETE",
        "UPDATE_COMPLETE",
        "UPDATE_ROLLBACK_COMPLETE",
        "UPDATE_FAILED",
        "IMPORT_COMPLETE",
        "IMPORT_ROLLBACK_COMPLETE",
    }
)
IAM_TYPES_NAMED = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
}


#: What an event records for DescribeEvents only.
_INTERNAL_EVENT_KEYS = frozenset({"OperationType", "ChangeSetId"})

#: What a stack that was mid-deployment when Overcast stopped is left as.
_TEMPLATE_KEYS = frozenset({"TemplateBody", "TemplateDoc"})

_INTERRUPTED = {
    "CREATE_IN_PROGRESS": "CREATE_FAILED",
    "ROLLBACK_IN_PROGRESS": "ROLLBACK_FAILED",
    "DELETE_IN_PROGRESS": "DELETE_FAILED",
    "UPDATE_IN_PROGRESS": "UPDATE_FAILED",
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS": "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_IN_PROGRESS": "UPDATE_ROLLBACK_FAILED",
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS": "UPDATE_ROLLBACK_COMPLETE",
    "IMPORT_IN_PROGRESS": "IMPORT_ROLLBACK_FAILED",
    "IMPORT_ROLLBACK_IN_PROGRESS": "IMPORT_ROLLBACK_FAILED",
}


def timestamp(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def not_found(name: str) -> ServiceError:
    return validation(f"Stack with id {name} does not exist")


class Provider(
    ChangeSetMixin,
    DriftDetection,
    StackSets,
    TemplateSources,
    TypeRegistry,
    StackOperations,
    Generator,
    StackRefactors,
    AbsentFeatures,
    BaseProvider,
):
    service = "cloudformation"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.stacks = self.store.table("cloudformation", "stacks")
        self.names = self.store.table("cloudformation", "names")
        self.events = self.store.table("cloudformation", "events")
        self.exports = self.store.table("cloudformation", "exports")
        self.changesets = self.store.table("cloudformation", "changesets")
        self.templates = self.store.table("cloudformation", "templates")
        #: The template version last written to "templates", by stack key.
        self.template_written: dict[str, Any] = {}
        #: Deployments running now, by stack id.
        self.running: dict[str, asyncio.Future[Any]] = {}
        #: Signals (SignalResource) for the resources waiting for them now, by (stack id,
        #: logical id).
        self.awaiting_signals: dict[tuple[str, str], list[dict[str, Any]]] = {}
        #: The stack a running deployment holds and writes, by stack id: every operation on
        #: that stack meanwhile reads and changes this one, so the deployment's next write
        #: keeps what they did.
        self.live: dict[str, dict[str, Any]] = {}

    def start(self) -> None:
        self._interrupted()

    def close(self) -> None:
        close_front(self.runtime.config.host, self.runtime.config.port)

    def state_replaced(self) -> None:
        self.template_written.clear()
        self._interrupted()

    def _interrupted(self) -> None:
        """A deployment the server stopped in the middle of cannot go on: it failed."""
        for scope_name in self.stacks.scopes():
            for key, stack in list(self.stacks.scan(scope_name)):
                if (
                    stack["StackStatus"].endswith("_IN_PROGRESS")
                    and stack["StackStatus"] != "REVIEW_IN_PROGRESS"
                ):
                    failed = _INTERRUPTED.get(stack["StackStatus"], "UPDATE_ROLLBACK_FAILED")
                    stack["StackStatus"] = failed
                    stack["StackStatusReason"] = "Overcast stopped while the stack was being deployed"
                    self.stacks.put(scope_name, key, stack)
        sets = self.store.table("cloudformation", "stacksets")
        for scope_name in sets.scopes():
            for key, record in list(sets.scan(scope_name)):
                running = [op for op in record["Operations"].values() if op["Status"] == "RUNNING"]
                for operation in running:  # else it would hold off every later operation
                    operation["Status"] = "FAILED"
                    operation["EndTimestamp"] = time.time()
                if running:
                    sets.put(scope_name, key, record)

    # -- storage -------------------------------------------------------------------------------

    @staticmethod
    def scope_of(context: RequestContext) -> str:
        return store_scope(context.account, context.region)

    def save_stack(self, stack: dict[str, Any]) -> None:
        """Write a stack. Its template (text and processed) lives in table "templates", written
        only when it changed: the stack's row, read by every DescribeStacks, stays small."""
        scope_name = store_scope(stack["account"], stack["region"])
        key = stack["StackId"].rsplit("/", 1)[1]
        row = {name: value for name, value in stack.items() if name not in _TEMPLATE_KEYS}
        if "TemplateBody" in stack:
            version = stack.get("TemplateVersion")
            if self.template_written.get(key) != version or version is None:
                self.templates.put(
                    scope_name,
                    key,
                    {"TemplateBody": stack["TemplateBody"], "TemplateDoc": stack.get("TemplateDoc", {})},
                )
                self.template_written[key] = version
        self.stacks.put(scope_name, key, row)

    def with_template(self, stack: dict[str, Any]) -> dict[str, Any]:
        """The stack with its template loaded (from table "templates" when the row lacks it)."""
        if "TemplateBody" not in stack:
            stored = self.templates.get(
                store_scope(stack["account"], stack["region"]), stack["StackId"].rsplit("/", 1)[1]
            )
            if stored is not None:
                stack.update(stored)
        return stack

    def add_event(
        self,
        stack: dict[str, Any],
        logical_id: str,
        physical_id: str,
        resource_type: str,
        status: str,
        reason: str,
        properties: Any = None,
    ) -> None:
        scope_name = store_scope(stack["account"], stack["region"])
        now = time.time()
        event = {
            "StackId": stack["StackId"],
            "EventId": fast_uuid(),
            "StackName": stack["StackName"],
            "LogicalResourceId": logical_id,
            "PhysicalResourceId": physical_id,
            "ResourceType": resource_type,
            "Timestamp": now,
            "ResourceStatus": status,
        }
        if reason:
            event["ResourceStatusReason"] = reason
        if properties is not None:
            event["ResourceProperties"] = json.dumps(properties, default=str)
        if logical_id == stack["StackName"] and resource_type == "AWS::CloudFormation::Stack":
            open_operation(stack, status, fast_uuid())
        if stack.get("OperationId"):
            event["OperationId"] = stack["OperationId"]
            event["OperationType"] = stack["OperationType"]
            if stack.get("OperationChangeSetId"):
                event["ChangeSetId"] = stack["OperationChangeSetId"]
        key = f"{stack['StackId'].rsplit('/', 1)[1]}/{time.time_ns():020d}"
        self.events.put(scope_name, key, event)
        if stack.get("NotificationARNs"):
            self.notify(stack, event)

    def notify(self, stack: dict[str, Any], event: dict[str, Any]) -> None:
        """Publish a stack event to the stack's notification topics, in CloudFormation's
        key='value' message format."""
        fields = {
            "StackId": event["StackId"],
            "Timestamp": datetime.fromtimestamp(event["Timestamp"], UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
            + "Z",
            "EventId": event["EventId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "Namespace": stack["account"],
            "PhysicalResourceId": event["PhysicalResourceId"],
            "PrincipalId": stack["account"],
            "ResourceProperties": event.get("ResourceProperties", "null"),
            "ResourceStatus": event["ResourceStatus"],
            "ResourceStatusReason": event.get("ResourceStatusReason", ""),
            "ResourceType": event["ResourceType"],
            "StackName": event["StackName"],
            "ClientRequestToken": "null",
        }
        message = "".join(f"{key}='{value}'\n" for key, value in fields.items())
        publish = self.runtime.handler("sns", "Publish")
        if publish is None:
            return
        for arn in stack["NotificationARNs"]:
            parts = arn.split(":")
            if len(parts) < 6:
                continue
            context = RequestContext.internal("cloudformation", parts[4], parts[3])
            try:
                result = publish(
                    context,
                    {"TopicArn": arn, "Subject": "AWS CloudFormation Notification", "Message": message},
                )
                if inspect.isawaitable(result):
                    self.runtime.spawn(_quietly(result), "cloudformation-notification")
            except ServiceError as error:
                log.info("stack %s: notification to %s refused: %s", stack["StackName"], arn, error.message)

    def find_stack(self, context: RequestContext, name: str, deleted: bool = True) -> dict[str, Any]:
        """A stack by name (live ones) or ARN (deleted ones too); AWS's error when none."""
        stack = self.lookup(context, name, deleted)
        if stack is None:
            raise not_found(name)
        return stack

    def lookup(self, context: RequestContext, name: str, deleted: bool = True) -> dict[str, Any] | None:
        scope_name = self.scope_of(context)
        if name.startswith("arn:"):
            stack = self.live.get(name) or self.stacks.get(scope_name, name.rsplit("/", 1)[-1])
            if stack is None or stack["StackId"] != name:
                return None
            if not deleted and stack["StackStatus"] == "DELETE_COMPLETE":
                return None
            return stack
        stack_key = self.names.get(scope_name, name) or self.alias_target(scope_name, name)
        if stack_key is None:
            return None
        stack = self.stacks.get(scope_name, stack_key)
        if stack is not None and stack["StackId"] in self.live:
            return self.live[stack["StackId"]]
        return stack

    def forget_name(self, stack: dict[str, Any]) -> None:
        scope_name = store_scope(stack["account"], stack["region"])
        if self.names.get(scope_name, stack["StackName"]) == stack["StackId"].rsplit("/", 1)[1]:
            self.names.delete(scope_name, stack["StackName"])
        self.forget_alias(stack)

    # -- exports ---------------------------------------------------------------------------------

    def export(self, account: str, region: str, name: str) -> dict[str, Any] | None:
        result: dict[str, Any] | None = self.exports.get(store_scope(account, region), name)
        return result

    def set_exports(self, stack: dict[str, Any], exports: dict[str, str]) -> None:
        scope_name = store_scope(stack["account"], stack["region"])
        for name in stack.get("Exports", []):
            if name not in exports:
                self.exports.delete(scope_name, name)
        for name, value in exports.items():
            self.exports.put(
                scope_name,
                name,
                {
                    "ExportingStackId": stack["StackId"],
                    "StackName": stack["StackName"],
                    "Name": name,
                    "Value": value,
                },
            )
        stack["Exports"] = sorted(exports)

    def importers(self, account: str, region: str, name: str) -> list[str]:
        scope_name = store_scope(account, region)
        return sorted(
            stack["StackName"]
            for _, stack in self.stacks.scan(scope_name)
            if stack["StackStatus"] != "DELETE_COMPLETE" and name in stack.get("Imports", [])
        )

    # -- running deployments ---------------------------------------------------------------------

    async def run(self, stack: dict[str, Any], work: Any) -> None:
        """Start a deployment in the background and wait a little for it (SETTLE_SECONDS)."""
        stack_id = stack["StackId"]
        loop = asyncio.get_running_loop()
        task = loop.create_task(work)
        self.running[stack_id] = task
        self.live[stack_id] = stack

        def finished(_: Any) -> None:
            self.running.pop(stack_id, None)
            self.live.pop(stack_id, None)

        task.add_done_callback(finished)
        self.runtime._tasks.add(task)
        task.add_done_callback(self.runtime._task_done)
        await asyncio.wait({task}, timeout=SETTLE_SECONDS)

    def new_stack(self, context: RequestContext, name: str) -> dict[str, Any]:
        stack_id = f"arn:{partition(context.region)}:cloudformation:{context.region}:{context.account}:stack/{name}/{fast_uuid()}"
        return {
            "account": context.account,
            "region": context.region,
            "StackId": stack_id,
            "StackName": name,
            "CreationTime": time.time(),
            "StackStatus": "CREATE_IN_PROGRESS",
            "Resources": {},
            "Outputs": [],
            "Exports": [],
            "Imports": [],
        }

    def register(self, context: RequestContext, stack: dict[str, Any]) -> None:
        scope_name = self.scope_of(context)
        self.names.put(scope_name, stack["StackName"], stack["StackId"].rsplit("/", 1)[1])
        self.save_stack(stack)

    @staticmethod
    def check_name(name: str) -> None:
        if not _STACK_NAME.match(name) or len(name) > 128:
            raise validation(
                f"1 validation error detected: Value '{name}' at 'stackName' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*"
            )

    async def prepare(
        self, context: RequestContext, params: dict[str, Any], previous: dict[str, Any] | None
    ) -> tuple[str, dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
        """(template text, processed template, shown parameters, parameter values) of a
        create or update request, checked as CloudFormation checks them."""
        text = await self.template_text(context, params, previous)
        document = await self.process(context, tpl.parse(text), params.get("Capabilities") or [], params)
        tpl.check(document)
        old_values = None
        if previous is not None:
            old_values = {
                entry["ParameterKey"]: entry.get("ParameterValue", "")
                for entry in previous.get("RawParameters", [])
            }
        shown, values = await params_module.resolve(
            document.get("Parameters") or {},
            params.get("Parameters"),
            old_values,
            self._ssm_parameter(context),
        )
        pseudo = {
            "AWS::AccountId": context.account,
            "AWS::Region": context.region,
            "AWS::Partition": partition(context.region),
            "AWS::StackName": params["StackName"],
            "AWS::URLSuffix": "amazonaws.com",
        }
        check_rules(document, values, pseudo)
        check_conditional_references(document, values, pseudo)
        self.check_capabilities(document, params.get("Capabilities") or [])
        self.check_imports(context, document)
        return text, document, shown, values

    def _ssm_parameter(self, context: RequestContext) -> Any:
        async def fetch(name: str) -> str:
            from overcast.services.cloudformation.handlers import ResourceFailed, call

            try:
                output = await call(
                    self.runtime, "ssm", "GetParameter", context.account, context.region, {"Name": name}
                )
            except ResourceFailed:
                raise validation(
                    f"Unable to fetch parameters [{name}] from parameter store for this account."
                ) from None
            return str(output["Parameter"]["Value"])

        return fetch

    @staticmethod
    def check_capabilities(document: dict[str, Any], capabilities: list[str]) -> None:
        needed = None
        for definition in document["Resources"].values():
            if not isinstance(definition, dict) or not isinstance(definition.get("Type"), str):
                continue
            type_name = definition["Type"]
            if type_name in IAM_TYPES_NAMED and (definition.get("Properties") or {}).get(
                IAM_TYPES_NAMED[type_name]
            ):
                needed = "CAPABILITY_NAMED_IAM"
                break
            handler = handler_for(type_name)
            if (handler is not None and handler.needs_iam) or type_name.startswith("AWS::IAM::"):
                needed = needed or "CAPABILITY_IAM"
        if needed == "CAPABILITY_NAMED_IAM" and "CAPABILITY_NAMED_IAM" not in capabilities:
            raise ServiceError(
                "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_NAMED_IAM]"
            )
        if needed == "CAPABILITY_IAM" and not {"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"} & set(capabilities):
            raise ServiceError(
                "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_IAM]"
            )

    def check_imports(self, context: RequestContext, document: dict[str, Any]) -> None:
        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if len(node) == 1 and "Fn::ImportValue" in node and isinstance(node["Fn::ImportValue"], str):
                    name = node["Fn::ImportValue"]
                    if self.export(context.account, context.region, name) is None:
                        raise validation(f"No export named {name} found.")
                    return
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(document.get("Resources"))
        walk(document.get("Outputs"))

    # -- stacks ---------------------------------------------------------------------------------

    @tpl.refuses_malformed
    async def create_stack(self, context: RequestContext, params: dict) -> dict:
        name = params["StackName"]
        self.check_name(name)
        if self.lookup(context, name, deleted=False) is not None:
            raise ServiceError("AlreadyExistsException", f"Stack [{name}] already exists")
        text, document, shown, values = await self.prepare(context, params, None)
        if self.lookup(context, name, deleted=False) is not None:
            raise ServiceError("AlreadyExistsException", f"Stack [{name}] already exists")
        stack = self.new_stack(context, name)
        self.fill(stack, params, text, document, shown, values)
        on_failure = params.get("OnFailure")
        if on_failure is not None and params.get("DisableRollback") is not None:
            raise validation("You cannot specify both DisableRollback and OnFailure.")
        stack["OnFailure"] = on_failure or ("DO_NOTHING" if params.get("DisableRollback") else "ROLLBACK")
        stack["DisableRollback"] = stack["OnFailure"] == "DO_NOTHING"
        stack["EnableTerminationProtection"] = bool(params.get("EnableTerminationProtection"))
        parent_id = context.extra.get("parent")
        if parent_id:  # a nested stack: its parent's, and the root of that tree
            parent = self.lookup(context, parent_id)
            stack["ParentId"] = parent_id
            stack["RootId"] = (parent or {}).get("RootId") or parent_id
        if params.get("StackPolicyBody"):
            stack["StackPolicy"] = params["StackPolicyBody"]
        self.register(context, stack)
        await self.run(stack, Deployment(self, stack).create())
        return {"StackId": stack["StackId"]}

    @staticmethod
    def fill(
        stack: dict[str, Any],
        params: dict[str, Any],
        text: str,
        document: dict[str, Any],
        shown: list[dict[str, Any]],
        values: dict[str, Any],
    ) -> None:
        stack["TemplateBody"] = text
        stack["TemplateDoc"] = document
        stack["TemplateVersion"] = fast_uuid()
        stack["Transformed"] = "Transform" in tpl.parse(text)
        stack["Description"] = document.get("Description")
        stack["Parameters"] = shown
        stack["RawParameters"] = [
            {
                "ParameterKey": entry["ParameterKey"],
                "ParameterValue": values_text(values[entry["ParameterKey"]]),
            }
            for entry in shown
        ]
        stack["ParameterValues"] = values
        stack["Capabilities"] = list(params.get("Capabilities") or [])
        if params.get("NotificationARNs") is not None:
            stack["NotificationARNs"] = list(params["NotificationARNs"])
        if params.get("Tags") is not None:
            stack["Tags"] = [{"Key": tag["Key"], "Value": tag["Value"]} for tag in params["Tags"]]
        if params.get("TimeoutInMinutes") is not None:
            stack["TimeoutInMinutes"] = params["TimeoutInMinutes"]
        if params.get("RoleARN"):
            stack["RoleARN"] = params["RoleARN"]

    @tpl.refuses_malformed
    async def update_stack(self, context: RequestContext, params: dict) -> dict:
        stack = self.with_template(self.find_stack(context, params["StackName"], deleted=False))
        self.check_updatable(stack)
        previous = self.snapshot(stack)
        text, document, shown, values = await self.prepare(context, params, stack)
        changes = self.preview(stack, document, values)
        same_parameters = values == stack.get("ParameterValues")
        same_tags = params.get("Tags") is None or params["Tags"] == stack.get("Tags", [])
        if not changes and text == stack["TemplateBody"] and same_parameters and same_tags:
            raise validation("No updates are to be performed.")
        self.fill(stack, params, text, document, shown, values)
        stack["LastUpdatedTime"] = time.time()
        stack["DisableRollback"] = bool(params.get("DisableRollback"))  # this update's choice
        if params.get("StackPolicyBody"):
            stack["StackPolicy"] = params["StackPolicyBody"]
        self.save_stack(stack)
        await self.run(stack, Deployment(self, stack).update(document, values, previous))
        return {"StackId": stack["StackId"]}

    @staticmethod
    def snapshot(stack: dict[str, Any]) -> dict[str, Any]:
        keys = (
            "TemplateBody",
            "TemplateDoc",
            "TemplateVersion",
            "Description",
            "Parameters",
            "RawParameters",
            "ParameterValues",
            "Capabilities",
            "Tags",
        )
        return {key: stack.get(key) for key in keys if key in stack}

    @staticmethod
    def check_updatable(stack: dict[str, Any]) -> None:
        if stack["StackStatus"] not in STABLE_FOR_UPDATE:
            raise validation(
                f"Stack:{stack['StackId']} is in {stack['StackStatus']} state and can not be updated."
            )

    async def delete_stack(self, context: RequestContext, params: dict) -> dict:
        stack = self.lookup(context, params["StackName"], deleted=False)
        if stack is None or stack["StackStatus"] == "DELETE_COMPLETE":
            return {}
        if stack.get("EnableTerminationProtection"):
            raise validation(
                f"Stack [{stack['StackName']}] cannot be deleted while TerminationProtection is enabled"
            )
        running = self.running.get(stack["StackId"])
        if running is not None:
            if stack["StackStatus"] == "DELETE_IN_PROGRESS":
                return {}
            # A stack being created or updated is deleted once that work ends (AWS cancels
            # it first; Overcast's deployments end quickly enough to be waited for).
            stack_id = stack["StackId"]

            async def delete_after() -> None:
                await asyncio.wait({running})
                current = self.lookup(context, stack_id, deleted=False)
                if current is not None and current["StackStatus"] != "DELETE_COMPLETE":
                    await self.run(current, Deployment(self, current).delete())

            self.runtime.spawn(delete_after(), f"delete {stack['StackName']}")
            return {}
        retain = set(params.get("RetainResources") or [])
        if retain:
            if stack["StackStatus"] != "DELETE_FAILED":
                raise validation(
                    "Invalid operation on stack: RetainResources is only valid for stacks in DELETE_FAILED state"
                )
            for name in retain:
                if name in stack["Resources"]:
                    stack["Resources"][name]["DeletionPolicy"] = "Retain"
        await self.run(stack, Deployment(self, stack).delete())
        return {}

    def describe_stacks(self, context: RequestContext, params: dict) -> dict:
        if params.get("StackName"):
            stacks = [self.find_stack(context, params["StackName"])]
        else:
            stacks = [
                stack
                for _, stack in self.stacks.scan(self.scope_of(context))
                if stack["StackStatus"] != "DELETE_COMPLETE"
            ]
            stacks.sort(key=lambda stack: -stack["CreationTime"])
        return pagination.paginate_list(
            self.store,
            "cloudformation",
            "DescribeStacks",
            params,
            stacks,
            bad_token=lambda: validation("Invalid NextToken"),
            default_limit=100,
            render=self.render_stack,
        )

    @staticmethod
    def render_stack(stack: dict[str, Any]) -> dict[str, Any]:
        shown = {
            "StackId": stack["StackId"],
            "StackName": stack["StackName"],
            "Parameters": stack.get("Parameters", []),
            "CreationTime": timestamp(stack["CreationTime"]),
            "StackStatus": stack["StackStatus"],
            "DisableRollback": bool(stack.get("DisableRollback")),
            "NotificationARNs": stack.get("NotificationARNs", []),
            "Capabilities": stack.get("Capabilities", []),
            "Outputs": stack.get("Outputs", []),
            "Tags": stack.get("Tags", []),
            "EnableTerminationProtection": bool(stack.get("EnableTerminationProtection")),
            "DriftInformation": drift_information(stack),
            "RollbackConfiguration": stack.get("RollbackConfiguration", {}),
        }
        for key in (
            "Description",
            "StackStatusReason",
            "RoleARN",
            "TimeoutInMinutes",
            "ChangeSetId",
            "ParentId",
            "RootId",
            "LastOperations",
            "AliasName",
        ):
            if stack.get(key):
                shown[key] = stack[key]
        for key in ("LastUpdatedTime", "DeletionTime"):
            if stack.get(key):
                shown[key] = timestamp(stack[key])
        if not shown["Outputs"]:
            del shown["Outputs"]
        return shown

    def list_stacks(self, context: RequestContext, params: dict) -> dict:
        wanted = set(params.get("StackStatusFilter") or [])
        stacks = [
            stack
            for _, stack in self.stacks.scan(self.scope_of(context))
            if not wanted or stack["StackStatus"] in wanted
        ]
        stacks.sort(key=lambda stack: -stack["CreationTime"])

        def summary(stack: dict[str, Any]) -> dict[str, Any]:
            entry = {
                "StackId": stack["StackId"],
                "StackName": stack["StackName"],
                "CreationTime": timestamp(stack["CreationTime"]),
                "StackStatus": stack["StackStatus"],
                "DriftInformation": drift_information(stack),
            }
            if stack.get("Description"):
                entry["TemplateDescription"] = stack["Description"]
            for key in ("StackStatusReason", "ParentId", "RootId"):
                if stack.get(key):
                    entry[key] = stack[key]
            for key in ("LastUpdatedTime", "DeletionTime"):
                if stack.get(key):
                    entry[key] = timestamp(stack[key])
            return entry

        return pagination.paginate_list(
            self.store,
            "cloudformation",
            "ListStacks",
            params,
            stacks,
            bad_token=lambda: validation("Invalid NextToken"),
            default_limit=100,
            render=summary,
        )

    def describe_stack_events(self, context: RequestContext, params: dict) -> dict:
        stack = self.find_stack(context, params["StackName"])
        prefix = stack["StackId"].rsplit("/", 1)[1] + "/"
        scope_name = self.scope_of(context)

        def newest_first(after: str | None) -> Any:
            return self.events.scan(scope_name, prefix=prefix, reverse=True, end_before=after)

        return pagination.paginate_keys(
            self.store,
            "cloudformation",
            "DescribeStackEvents",
            params,
            newest_first,
            bad_token=lambda: validation("Invalid NextToken"),
            default_limit=100,
            render=lambda _, event: {
                **{key: value for key, value in event.items() if key not in _INTERNAL_EVENT_KEYS},
                "Timestamp": timestamp(event["Timestamp"]),
            },
            bind=stack["StackId"],
        )

    @staticmethod
    def _resource_entries(stack: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        return [
            (name, state) for name, state in stack.get("Resources", {}).items() if state.get("ResourceStatus")
        ]

    def describe_stack_resources(self, context: RequestContext, params: dict) -> dict:
        if params.get("StackName"):
            stack = self.find_stack(context, params["StackName"])
        elif params.get("PhysicalResourceId"):
            stack = self.stack_of_physical(context, params["PhysicalResourceId"])
        else:
            raise validation("Either StackName or PhysicalResourceId must be specified.")
        resources = []
        for name, state in self._resource_entries(stack):
            if params.get("LogicalResourceId") and name != params["LogicalResourceId"]:
                continue
            if (
                params.get("PhysicalResourceId")
                and state.get("PhysicalResourceId") != params["PhysicalResourceId"]
                and not params.get("StackName")
            ):
                continue
            resources.append(
                {
                    "StackName": stack["StackName"],
                    "StackId": stack["StackId"],
                    **self._resource_fields(name, state),
                    "Timestamp": timestamp(state.get("Timestamp")),
                }
            )
        return {"StackResources": resources}

    def stack_of_physical(self, context: RequestContext, physical_id: str) -> dict[str, Any]:
        for _, stack in self.stacks.scan(self.scope_of(context)):
            if stack["StackStatus"] == "DELETE_COMPLETE":
                continue
            for state in stack.get("Resources", {}).values():
                if state.get("PhysicalResourceId") == physical_id:
                    return stack
        raise validation(f"Stack for {physical_id} does not exist")

    @staticmethod
    def _resource_fields(name: str, state: dict[str, Any]) -> dict[str, Any]:
        fields = {
            "LogicalResourceId": name,
            "ResourceType": state.get("ResourceType", ""),
            "ResourceStatus": state.get("ResourceStatus", ""),
            "DriftInformation": resource_drift_information(state),
        }
        if state.get("PhysicalResourceId"):
            fields["PhysicalResourceId"] = state["PhysicalResourceId"]
        if state.get("ResourceStatusReason"):
            fields["ResourceStatusReason"] = state["ResourceStatusReason"]
        return fields

    def describe_stack_resource(self, context: RequestContext, params: dict) -> dict:
        stack = self.find_stack(context, params["StackName"])
        name = params["LogicalResourceId"]
        state = stack.get("Resources", {}).get(name)
        if state is None or not state.get("ResourceStatus"):
            raise validation(f"Resource {name} does not exist for stack {params['StackName']}")
        detail = {
            "StackName": stack["StackName"],
            "StackId": stack["StackId"],
            **self._resource_fields(name, state),
            "LastUpdatedTimestamp": timestamp(state.get("Timestamp")),
        }
        if state.get("Metadata") is not None:
            detail["Metadata"] = json.dumps(state["Metadata"])
        return {"StackResourceDetail": detail}

    def list_stack_resources(self, context: RequestContext, params: dict) -> dict:
        stack = self.find_stack(context, params["StackName"])
        summaries = [
            {**self._resource_fields(name, state), "LastUpdatedTimestamp": timestamp(state.get("Timestamp"))}
            for name, state in self._resource_entries(stack)
        ]
        return pagination.paginate_list(
            self.store,
            "cloudformation",
            "ListStackResources",
            params,
            summaries,
            bad_token=lambda: validation("Invalid NextToken"),
            default_limit=100,
            bind=stack["StackId"],
        )

    def get_template(self, context: RequestContext, params: dict) -> dict:
        if params.get("ChangeSetName"):
            change_set = self.find_change_set(context, params["ChangeSetName"], params.get("StackName"))
            body = change_set["TemplateBody"]
        else:
            if not params.get("StackName"):
                raise validation("Either StackName or ChangeSetName must be specified.")
            stack = self.with_template(self.find_stack(context, params["StackName"]))
            body = stack.get("TemplateBody", "")
            if params.get("TemplateStage") == "Processed" and stack.get("Transformed"):
                body = json.dumps(stack["TemplateDoc"])
        return {"TemplateBody": body, "StagesAvailable": ["Original", "Processed"]}

    @tpl.refuses_malformed
    async def validate_template(self, context: RequestContext, params: dict) -> dict:
        text = await self.template_text(context, params, None)
        document = tpl.parse(text)
        transforms = _transforms(document)
        if not transforms:
            tpl.check(document)
        params_module.check_declarations(document.get("Parameters") or {})
        output: dict[str, Any] = {
            "Parameters": params_module.declarations_summary(document.get("Parameters") or {})
        }
        if document.get("Description"):
            output["Description"] = str(document["Description"])
        capabilities, reason = self.capabilities_of(document)
        if capabilities:
            output["Capabilities"] = capabilities
            output["CapabilitiesReason"] = reason
        if transforms:
            output["DeclaredTransforms"] = transforms
        return output

    def capabilities_of(self, document: dict[str, Any]) -> tuple[list[str], str]:
        try:
            self.check_capabilities(document, [])
        except ServiceError as error:
            needed = "CAPABILITY_NAMED_IAM" if "NAMED" in error.message else "CAPABILITY_IAM"
            names = sorted(
                name
                for name, definition in document["Resources"].items()
                if isinstance(definition, dict) and str(definition.get("Type", "")).startswith("AWS::IAM::")
            )
            return (
                [needed],
                f"The following resource(s) require capabilities: [{', '.join(sorted({document['Resources'][n]['Type'] for n in names}))}]",
            )
        if _transforms(document):
            return ["CAPABILITY_AUTO_EXPAND"], "The following transforms require capabilities: [" + ", ".join(
                _transforms(document)
            ) + "]"
        return [], ""

    @tpl.refuses_malformed
    async def get_template_summary(self, context: RequestContext, params: dict) -> dict:
        if params.get("StackName"):
            stack = self.with_template(self.find_stack(context, params["StackName"]))
            document = tpl.parse(stack["TemplateBody"])
        else:
            document = tpl.parse(await self.template_text(context, params, None))
        declared = document.get("Parameters") or {}
        summary_parameters = []
        for name, declaration in declared.items():
            entry: dict[str, Any] = {
                "ParameterKey": name,
                "ParameterType": str(declaration.get("Type", "")),
                "NoEcho": str(declaration.get("NoEcho", "false")).lower() == "true",
            }
            if "Default" in declaration:
                entry["DefaultValue"] = params_module._default_text(declaration["Default"])
            if "Description" in declaration:
                entry["Description"] = str(declaration["Description"])
            if "AllowedValues" in declaration:
                entry["ParameterConstraints"] = {
                    "AllowedValues": [str(value) for value in declaration["AllowedValues"]]
                }
            summary_parameters.append(entry)
        resources = document.get("Resources") or {}
        output: dict[str, Any] = {
            "Parameters": summary_parameters,
            "ResourceTypes": sorted(
                {
                    str(definition.get("Type"))
                    for definition in resources.values()
                    if isinstance(definition, dict)
                }
            ),
            "Version": str(document.get("AWSTemplateFormatVersion", "2010-09-09")),
            "DeclaredTransforms": _transforms(document),
        }
        if document.get("Description"):
            output["Description"] = str(document["Description"])
        if document.get("Metadata") is not None:
            output["Metadata"] = json.dumps(document["Metadata"])
        if resources and isinstance(resources, dict):
            capabilities, reason = self.capabilities_of(document)
            if capabilities:
                output["Capabilities"] = capabilities
                output["CapabilitiesReason"] = reason
        return output

    def update_termination_protection(self, context: RequestContext, params: dict) -> dict:
        stack = self.find_stack(context, params["StackName"], deleted=False)
        stack["EnableTerminationProtection"] = bool(params["EnableTerminationProtection"])
        self.save_stack(stack)
        return {"StackId": stack["StackId"]}

    def set_stack_policy(self, context: RequestContext, params: dict) -> dict:
        stack = self.find_stack(context, params["StackName"], deleted=False)
        body = params.get("StackPolicyBody")
        if body is None and params.get("StackPolicyURL"):
            raise validation("StackPolicyURL is not reachable from Overcast; pass StackPolicyBody")
        if body is not None:
            try:
                json.loads(body)
            except ValueError:
                raise validation("Error validating stack policy: Invalid stack policy") from None
        stack["StackPolicy"] = body
        self.save_stack(stack)
        return {}

    def get_stack_policy(self, context: RequestContext, params: dict) -> dict:
        stack = self.find_stack(context, params["StackName"])
        return {"StackPolicyBody": stack["StackPolicy"]} if stack.get("StackPolicy") else {}

    def list_exports(self, context: RequestContext, params: dict) -> dict:
        exports = [
            {"ExportingStackId": export["ExportingStackId"], "Name": export["Name"], "Value": export["Value"]}
            for _, export in self.exports.scan(self.scope_of(context))
        ]
        return pagination.paginate_list(
            self.store,
            "cloudformation",
            "ListExports",
            params,
            exports,
            bad_token=lambda: validation("Invalid NextToken"),
            default_limit=100,
        )

    def list_imports(self, context: RequestContext, params: dict) -> dict:
        name = params["ExportName"]
        importers = self.importers(context.account, context.region, name)
        if not importers:
            raise validation(f"Export '{name}' is not imported by any stack.")
        return pagination.paginate_list(
            self.store,
            "cloudformation",
            "ListImports",
            params,
            importers,
            bad_token=lambda: validation("Invalid NextToken"),
            default_limit=100,
        )

    def describe_account_limits(self, context: RequestContext, params: dict) -> dict:
        return {
            "AccountLimits": [
                {"Name": "StackLimit", "Value": 2000},
                {"Name": "StackOutputsLimit", "Value": 200},
                {"Name": "ConcurrentResourcesLimit", "Value": 2500},
            ]
        }

    @tpl.refuses_malformed
    async def estimate_template_cost(self, context: RequestContext, params: dict) -> dict:
        text = await self.template_text(context, params, None)
        tpl.check(tpl.parse(text))
        return {"Url": "https://calculator.s3.amazonaws.com/calc5.html?key=" + fast_uuid()}

    def cancel_update_stack(self, context: RequestContext, params: dict) -> dict:
        stack = self.find_stack(context, params["StackName"], deleted=False)
        if stack["StackStatus"] != "UPDATE_IN_PROGRESS":
            raise validation(
                f"CancelUpdateStack cannot be called from current stack status {stack['StackStatus']}"
            )
        stack["CancelRequested"] = True
        return {}

    def continue_update_rollback(self, context: RequestContext, params: dict) -> dict:
        stack = self.find_stack(context, params["StackName"], deleted=False)
        if stack["StackStatus"] != "UPDATE_ROLLBACK_FAILED":
            raise validation(
                f"Stack {stack['StackId']} is in {stack['StackStatus']} state and can not continue update rollback"
            )
        stack["StackStatus"] = "UPDATE_ROLLBACK_COMPLETE"
        open_operation(stack, "UPDATE_ROLLBACK_COMPLETE", fast_uuid(), "CONTINUE_ROLLBACK")
        self.add_event(
            stack,
            stack["StackName"],
            stack["StackId"],
            "AWS::CloudFormation::Stack",
            "UPDATE_ROLLBACK_COMPLETE",
            "",
        )
        self.save_stack(stack)
        return {}

    async def rollback_stack(self, context: RequestContext, params: dict) -> dict:
        stack = self.find_stack(context, params["StackName"], deleted=False)
        if stack["StackStatus"] not in ("CREATE_FAILED", "UPDATE_FAILED"):
            raise validation(
                f"Stack {stack['StackName']} is in {stack['StackStatus']} state and can not be rolled back"
            )

        async def roll_back() -> None:
            deployment = Deployment(self, stack)
            if stack["StackStatus"] == "UPDATE_FAILED":
                pending = stack.get("PendingRollback") or {"journal": [], "previous": {}}
                deployment.set_status("UPDATE_ROLLBACK_IN_PROGRESS", "User Initiated")
                await deployment.roll_back_update(pending["journal"], pending["previous"])
                return
            deployment.set_status("ROLLBACK_IN_PROGRESS", "User Initiated")
            await deployment.delete_all(rollback=True)
            deployment.set_status("ROLLBACK_COMPLETE")

        await self.run(stack, roll_back())
        return {"StackId": stack["StackId"]}

    def signal_resource(self, context: RequestContext, params: dict) -> dict:
        stack = self.find_stack(context, params["StackName"], deleted=False)
        name = params["LogicalResourceId"]
        state = stack["Resources"].get(name)
        if state is None:
            raise validation(f"Resource {name} does not exist for stack {stack['StackName']}")
        waiting = self.awaiting_signals.get((stack["StackId"], name))
        if waiting is None:
            raise validation(
                f"Resource {name} is in {state.get('ResourceStatus', 'an unknown')} state and cannot be signaled"
            )
        waiting.append({"UniqueId": params["UniqueId"], "Status": params["Status"]})
        return {}

    # -- the registry of types ----------------------------------------------------------------------

    def list_types(self, context: RequestContext, params: dict) -> dict:
        summaries: list[dict[str, Any]] = []
        if params.get("Visibility") == "PRIVATE":
            summaries = self.private_summaries(context, params)
        elif params.get("Type", "RESOURCE") == "RESOURCE":
            summaries = self.public_summaries(context)
        return pagination.paginate_list(
            self.store,
            "cloudformation",
            "ListTypes",
            params,
            summaries,
            bad_token=lambda: validation("Invalid NextToken"),
            default_limit=100,
        )

    @staticmethod
    def public_summaries(context: RequestContext) -> list[dict[str, Any]]:
        return [
            {
                "Type": "RESOURCE",
                "TypeName": name,
                "TypeArn": f"arn:{partition(context.region)}:cloudformation:{context.region}::type/resource/{name.replace('::', '-')}",
                "IsActivated": True,
                "PublisherName": "AWS",
            }
            for name in sorted(registry())
        ]

    def describe_type(self, context: RequestContext, params: dict) -> dict:
        if params.get("PublisherId"):
            raise ServiceError(
                "TypeNotFoundException", f"The type '{params.get('TypeName')}' cannot be found.", 404
            )
        private = self._lookup_type(context, params)
        if private is not None:
            return self.private_description(context, private, self._version_of(params))
        name = params.get("TypeName") or (params.get("Arn") or "").rsplit("/", 1)[-1].replace("-", "::")
        handler = registry().get(name)
        if handler is None or params.get("Type", "RESOURCE") != "RESOURCE":
            raise ServiceError("TypeNotFoundException", f"The type '{name}' cannot be found.", 404)
        schema = {
            "typeName": name,
            "description": f"{name} as Overcast implements it",
            "readOnlyProperties": [f"/properties/{attribute}" for attribute in sorted(handler.attributes)],
            "createOnlyProperties": [f"/properties/{prop}" for prop in sorted(handler.replace_on)],
            "required": list(handler.required),
        }
        return {
            "Arn": f"arn:{partition(context.region)}:cloudformation:{context.region}::type/resource/{name.replace('::', '-')}",
            "Type": "RESOURCE",
            "TypeName": name,
            "IsDefaultVersion": True,
            "Schema": json.dumps(schema),
            "ProvisioningType": "FULLY_MUTABLE",
            "Visibility": "PUBLIC",
            "IsActivated": True,
        }

    def list_type_versions(self, context: RequestContext, params: dict) -> dict:
        private = self._lookup_type(context, params)
        if private is not None:
            return self.page(
                params, "ListTypeVersions", "TypeVersionSummaries", self.private_versions(context, private)
            )
        name = params.get("TypeName") or (params.get("Arn") or "").rsplit("/", 1)[-1].replace("-", "::")
        if registry().get(name) is None or params.get("Type", "RESOURCE") != "RESOURCE":
            raise ServiceError("TypeNotFoundException", f"The type '{name}' cannot be found.", 404)
        arn = f"arn:{partition(context.region)}:cloudformation:{context.region}::type/resource/{name.replace('::', '-')}"
        return {
            "TypeVersionSummaries": [
                {
                    "Type": "RESOURCE",
                    "TypeName": name,
                    "VersionId": "00000001",
                    "IsDefaultVersion": True,
                    "Arn": f"{arn}/00000001",
                    "Description": f"{name} as Overcast implements it",
                }
            ]
        }


def drift_information(stack: dict[str, Any]) -> dict[str, Any]:
    detection = stack.get("DriftDetection")
    if detection is None:
        return {"StackDriftStatus": "NOT_CHECKED"}
    return {
        "StackDriftStatus": detection["StackDriftStatus"],
        "LastCheckTimestamp": timestamp(detection["Timestamp"]),
    }


def resource_drift_information(state: dict[str, Any]) -> dict[str, Any]:
    drift = state.get("Drift")
    if drift is None:
        return {"StackResourceDriftStatus": "NOT_CHECKED"}
    return {
        "StackResourceDriftStatus": drift["StackResourceDriftStatus"],
        "LastCheckTimestamp": timestamp(drift["Timestamp"]),
    }


async def _quietly(awaitable: Any) -> None:
    try:
        await awaitable
    except ServiceError as error:
        log.info("a stack notification was refused: %s", error.message)


def values_text(value: Any) -> str:
    return ",".join(str(item) for item in value) if isinstance(value, list) else str(value)


def _transforms(document: dict[str, Any]) -> list[str]:
    transform = document.get("Transform")
    if transform is None:
        return []
    items = transform if isinstance(transform, list) else [transform]
    return [item for item in items if isinstance(item, str)]
