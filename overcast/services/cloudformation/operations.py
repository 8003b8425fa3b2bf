"""Stack operations as CloudFormation groups them (each create, update, delete, rollback and
continued rollback has an operation id shown in DescribeStacks' LastOperations and on its
events, read back by DescribeEvents), stack aliases (SetAlias/RemoveAlias: a second name a
stack answers to) and the account's organizations access flag.

Aliases live in table "aliases" (alias → stack key, per account and region); the flag in
table "organizations" (per account)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from overcast.common import pagination
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.cloudformation.template import validation
from overcast.store import scope as store_scope

if TYPE_CHECKING:
    from overcast.runtime import Runtime

#: The stack status that opens an operation, and the operation's type.
OPENING_STATUS = {
    "CREATE_IN_PROGRESS": "CREATE_STACK",
    "UPDATE_IN_PROGRESS": "UPDATE_STACK",
    "DELETE_IN_PROGRESS": "DELETE_STACK",
    "IMPORT_IN_PROGRESS": "UPDATE_STACK",
    "ROLLBACK_IN_PROGRESS": "ROLLBACK",
    "UPDATE_ROLLBACK_IN_PROGRESS": "ROLLBACK",
}
_ALIAS = re.compile(r"^[a-zA-Z][-a-zA-Z0-9]*$")
_FAILED = ("_FAILED",)


def open_operation(stack: dict[str, Any], status: str, operation_id: str, kind: str | None = None) -> None:
    """Record a new operation on the stack when its own status opens one."""
    kind = kind or OPENING_STATUS.get(status)
    if kind is None:
        return
    stack["OperationId"] = operation_id
    stack["OperationType"] = kind
    stack["OperationChangeSetId"] = stack.pop("ExecutingChangeSet", None)
    operations = [entry for entry in stack.get("LastOperations", []) if entry["OperationType"] != kind]
    stack["LastOperations"] = [{"OperationType": kind, "OperationId": operation_id}, *operations][:5]


def event_type(status: str) -> str:
    return "PROVISIONING_ERROR" if status.endswith(_FAILED) else "STACK_EVENT"


class StackOperations:
    runtime: Runtime

    if TYPE_CHECKING:

        @staticmethod
        def scope_of(context: RequestContext) -> str: ...

        def find_stack(self, context: RequestContext, name: str, deleted: bool = True) -> dict[str, Any]: ...

        def save_stack(self, stack: dict[str, Any]) -> None: ...

        def find_change_set(
            self, context: RequestContext, name: str, stack_name: str | None
        ) -> dict[str, Any]: ...

        def lookup(
            self, context: RequestContext, name: str, deleted: bool = True
        ) -> dict[str, Any] | None: ...

    # -- aliases ----------------------------------------------------------------------------------

    def alias_target(self, scope_name: str, name: str) -> str | None:
        target: str | None = self.runtime.store.table("cloudformation", "aliases").get(scope_name, name)
        return target

    def set_alias(self, context: RequestContext, params: dict) -> dict:
        alias = params["AliasName"]
        if not _ALIAS.match(alias):
            raise validation(
                f"1 validation error detected: Value '{alias}' at 'aliasName' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"
            )
        stack = self.find_stack(context, params["StackName"], deleted=False)
        scope_name = self.scope_of(context)
        names = self.runtime.store.table("cloudformation", "names")
        if names.get(scope_name, alias) is not None or self.alias_target(scope_name, alias) is not None:
            raise ServiceError(
                "AlreadyExistsException", f"A stack or an alias named {alias} already exists", 400
            )
        if stack.get("AliasName"):
            raise ServiceError(
                "LimitExceededException",
                f"Stack {stack['StackName']} already has the alias {stack['AliasName']}; remove it first",
                400,
            )
        self.runtime.store.table("cloudformation", "aliases").put(
            scope_name, alias, stack["StackId"].rsplit("/", 1)[1]
        )
        stack["AliasName"] = alias
        self.save_stack(stack)
        return {}

    def remove_alias(self, context: RequestContext, params: dict) -> dict:
        alias = params["AliasName"]
        scope_name = self.scope_of(context)
        if self.alias_target(scope_name, alias) is None:
            raise validation(f"Alias {alias} does not exist")
        stack = self.lookup(context, alias)
        self.runtime.store.table("cloudformation", "aliases").delete(scope_name, alias)
        if stack is not None:
            stack.pop("AliasName", None)
            self.save_stack(stack)
        return {}

    def forget_alias(self, stack: dict[str, Any]) -> None:
        alias = stack.pop("AliasName", None)
        if alias:
            self.runtime.store.table("cloudformation", "aliases").delete(
                store_scope(stack["account"], stack["region"]), alias
            )

    # -- organizations access ---------------------------------------------------------------------

    def _organizations(self) -> Any:
        return self.runtime.store.table("cloudformation", "organizations")

    def activate_organizations_access(self, context: RequestContext, params: dict) -> dict:
        self._organizations().put(context.account, "access", {"Status": "ENABLED"})
        return {}

    def deactivate_organizations_access(self, context: RequestContext, params: dict) -> dict:
        if self._organizations().get(context.account, "access") is None:
            raise ServiceError(
                "InvalidOperationException", "Organizations access is not activated for this account", 400
            )
        self._organizations().delete(context.account, "access")
        return {}

    def describe_organizations_access(self, context: RequestContext, params: dict) -> dict:
        record = self._organizations().get(context.account, "access")
        return {"Status": "ENABLED" if record else "DISABLED"}

    # -- events by operation ----------------------------------------------------------------------

    def describe_events(self, context: RequestContext, params: dict) -> dict:
        events_table = self.runtime.store.table("cloudformation", "events")
        scope_name = self.scope_of(context)
        prefix = ""
        change_set_id = None
        if params.get("ChangeSetName"):
            prefix, change_set_id = self._changeset_events(context, params)
        elif params.get("StackName"):
            prefix = self.find_stack(context, params["StackName"])["StackId"].rsplit("/", 1)[1] + "/"
        elif not params.get("OperationId"):
            raise validation("Specify StackName, ChangeSetName or OperationId")
        operation = params.get("OperationId")
        failed_only = bool((params.get("Filters") or {}).get("FailedEvents"))
        selected = [
            event
            for _, event in events_table.scan(scope_name, prefix=prefix, reverse=True)
            if (operation is None or event.get("OperationId") == operation)
            and (change_set_id is None or event.get("ChangeSetId") == change_set_id)
            and (not failed_only or event["ResourceStatus"].endswith(_FAILED))
            and event.get("OperationId")
        ]
        if operation is not None and not selected and not prefix:
            raise validation(f"Operation {operation} does not exist")
        return pagination.paginate_list(
            self.runtime.store,
            "cloudformation",
            "DescribeEvents",
            params,
            selected,
            bad_token=lambda: validation("Invalid NextToken"),
            default_limit=100,
            render=_operation_event,
        )

    def _changeset_events(self, context: RequestContext, params: dict[str, Any]) -> tuple[str, str]:
        """(the stack's event prefix, the change set's id) of the change set named."""
        change_set = self.find_change_set(context, params["ChangeSetName"], params.get("StackName"))
        return change_set["StackId"].rsplit("/", 1)[1] + "/", change_set["ChangeSetId"]


def _operation_event(event: dict[str, Any]) -> dict[str, Any]:
    from overcast.services.cloudformation.provider import timestamp

    shown: dict[str, Any] = {
        "EventId": event["EventId"],
        "StackId": event["StackId"],
        "OperationId": event["OperationId"],
        "OperationType": event.get("OperationType", ""),
        "EventType": event_type(event["ResourceStatus"]),
        "LogicalResourceId": event["LogicalResourceId"],
        "PhysicalResourceId": event["PhysicalResourceId"],
        "ResourceType": event["ResourceType"],
        "Timestamp": timestamp(event["Timestamp"]),
        "ResourceStatus": event["ResourceStatus"],
    }
    for key in ("ResourceStatusReason", "ResourceProperties"):
        if event.get(key):
            shown[key] = event[key]
    return shown
