"""Run Command: SendCommand (to instance ids or targets, with the document's parameters
checked), ListCommands, ListCommandInvocations, GetCommandInvocation and CancelCommand.
Commands reach managed nodes only (nodes.py); their invocations follow runs.py."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from overcast.common.arns import parse_arn
from overcast.common.pagination import paginate_list
from overcast.common.times import iso_millis
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ssm import docparams, nodes, runs

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

DEFAULT_TIMEOUT = 3600
DEFAULT_CONCURRENCY = "50"
DEFAULT_ERRORS = "0"
#: What Command carries over from the SendCommand request as given.
_COPIED = (
    "Comment", "OutputS3Region", "OutputS3BucketName", "OutputS3KeyPrefix", "NotificationConfig",
    "CloudWatchOutputConfig", "AlarmConfiguration",
)  # fmt: skip
_EXECUTION_STAGES = {
    "Executing": frozenset({"Pending", "InProgress", "Cancelling"}),
    "Complete": runs.TERMINAL,
}


def _bad_token() -> ServiceError:
    return ServiceError("InvalidNextToken", "The specified token isn't valid.")


def _no_command() -> ServiceError:
    return ServiceError("InvalidCommandId", "")


def _when(text: str) -> float:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ServiceError(
            "InvalidFilterValue",
            f"The filter value {text} is not a valid timestamp (for example 2024-01-31T12:00:00Z).",
        ) from None


def _filter_test(entry: dict) -> Any:
    key, value = entry["key"], entry["value"]
    if key == "InvokedAfter":
        moment = _when(value)
        return lambda command: command["RequestedDateTime"] >= moment
    if key == "InvokedBefore":
        moment = _when(value)
        return lambda command: command["RequestedDateTime"] <= moment
    if key == "Status":
        return lambda command: command["Status"] == value
    if key == "ExecutionStage":
        if value not in _EXECUTION_STAGES:
            raise ServiceError(
                "InvalidFilterValue", f"The filter value {value} is not valid for ExecutionStage."
            )
        return lambda command: command["Status"] in _EXECUTION_STAGES[value]
    if key == "DocumentName":
        return lambda command: command["DocumentName"] == value
    raise ServiceError("InvalidFilterKey", f"The filter key {key} is not valid.")


def _check_notification(config: dict | None) -> None:
    arn = (config or {}).get("NotificationArn")
    if arn is None:
        return
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != "sns":
        raise ServiceError(
            "InvalidNotificationConfig", f"The notification ARN {arn} is not an Amazon SNS topic ARN."
        )


def _iso(moment: float) -> str:
    return iso_millis(moment)


class CommandMixin:
    def _notify_command(self: Provider, command: dict, previous: str | None) -> None:  # type: ignore[misc]
        """Publish the command's new status to its NotificationConfig's topic, as AWS does for
        NotificationType Command and the events it names (inside the caller's transaction)."""
        config = command.get("NotificationConfig") or {}
        arn, status = config.get("NotificationArn"), command["Status"]
        if not arn or status == previous or config.get("NotificationType", "Command") != "Command":
            return
        events = config.get("NotificationEvents") or ["All"]
        if "All" not in events and status not in events:
            return
        message = {
            "commandId": command["CommandId"],
            "documentName": command["DocumentName"],
            "instanceIds": command["InstanceIds"],
            "requestedDateTime": _iso(command["RequestedDateTime"]),
            "expiresAfter": _iso(command["ExpiresAfter"]),
            "outputS3BucketName": command.get("OutputS3BucketName", ""),
            "outputS3KeyPrefix": command.get("OutputS3KeyPrefix", ""),
            "status": status,
            "eventTime": _iso(time.time()),
        }
        self.runtime.bus.deliver(arn, json.dumps(message), attempts=3, backoff=1.0)

    def send_command(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        instance_ids = params.get("InstanceIds") or []
        targets = params.get("Targets") or []
        if instance_ids and targets:
            raise ServiceError("InvalidParameters", "InstanceIds and Targets can't be specified together.")
        if not instance_ids and not targets:
            raise ServiceError("InvalidParameters", "Either InstanceIds or Targets must be specified.")
        if len(set(instance_ids)) != len(instance_ids):
            raise ServiceError("DuplicateInstanceId", "Instance IDs can't be repeated.")
        runs.check_rate_control(params.get("MaxConcurrency"), params.get("MaxErrors"))
        document, version = self.document_for_run(
            context, params["DocumentName"], params.get("DocumentVersion")
        )
        if document["DocumentType"] != "Command":
            raise ServiceError(
                "InvalidDocument",
                f"Document type {document['DocumentType']} is not supported by Run Command.",
            )
        if params.get("DocumentHash") and params["DocumentHash"] != version["Hash"]:
            raise ServiceError("InvalidDocument", "The document hash doesn't match the document.")
        values = docparams.resolve(version, params.get("Parameters"))
        nodes.check_targets(targets)
        if instance_ids:
            nodes.require_managed(context, instance_ids)
            node_ids = list(instance_ids)
        else:
            node_ids = nodes.resolve_targets(context, targets)
        now = time.time()
        timeout = params.get("TimeoutSeconds") or DEFAULT_TIMEOUT
        command: dict[str, Any] = {
            "CommandId": str(uuid.uuid4()),
            "DocumentName": params["DocumentName"],
            "DocumentVersion": str(version["DocumentVersion"]),
            "ExpiresAfter": now + timeout,
            "Parameters": params.get("Parameters") or {},
            "InstanceIds": instance_ids,
            "Targets": targets,
            "RequestedDateTime": now,
            "Status": "Pending",
            "StatusDetails": "Pending",
            "MaxConcurrency": params.get("MaxConcurrency") or DEFAULT_CONCURRENCY,
            "MaxErrors": params.get("MaxErrors") or DEFAULT_ERRORS,
            "TimeoutSeconds": timeout,
            "resolved": values,
        }
        command.update({key: params[key] for key in _COPIED if params.get(key) is not None})
        if params.get("ServiceRoleArn"):
            command["ServiceRole"] = params["ServiceRoleArn"]
        _check_notification(params.get("NotificationConfig"))
        invocations = [self._new_invocation(command, node_id) for node_id in node_ids]
        runs.settle(command, invocations)
        where = self._scope(context)
        with self.store.transaction():
            self.commands.put(where, command["CommandId"], command)
            self._notify_command(command, None)
            for invocation in invocations:
                self.invocations.put(where, f"{command['CommandId']} {invocation['InstanceId']}", invocation)
        return {"Command": self._render_command(command)}

    @staticmethod
    def _new_invocation(command: dict, instance_id: str) -> dict[str, Any]:
        return {
            "CommandId": command["CommandId"],
            "InstanceId": instance_id,
            "DocumentName": command["DocumentName"],
            "DocumentVersion": command["DocumentVersion"],
            "RequestedDateTime": command["RequestedDateTime"],
            "Status": "Pending",
            "StatusDetails": "Pending",
            "plugins": [],
        }

    @staticmethod
    def _render_command(command: dict) -> dict:
        return {key: value for key, value in command.items() if key[0].isupper()}

    def _command(self: Provider, context: RequestContext, command_id: str) -> dict:  # type: ignore[misc]
        command = self.commands.get(self._scope(context), command_id)
        if command is None:
            raise _no_command()
        return command

    def _command_invocations(self: Provider, context: RequestContext, command_id: str) -> list[dict]:  # type: ignore[misc]
        return [record for _, record in self.invocations.scan(self._scope(context), prefix=f"{command_id} ")]

    def list_commands(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        tests = [_filter_test(entry) for entry in params.get("Filters") or []]
        if params.get("CommandId"):
            commands = [self._command(context, params["CommandId"])]
        else:
            commands = [record for _, record in self.commands.scan(self._scope(context))]
        instance_id = params.get("InstanceId")
        if instance_id:
            commands = [
                c
                for c in commands
                if instance_id in c["InstanceIds"] or self._invoked_on(context, c, instance_id)
            ]
        commands = [c for c in commands if all(test(c) for test in tests)]
        commands.sort(key=lambda c: c["RequestedDateTime"], reverse=True)
        return paginate_list(
            self.store, "ssm", "ListCommands", params, commands,
            bad_token=_bad_token, default_limit=50, render=self._render_command,
        )  # fmt: skip

    def _invoked_on(self: Provider, context: RequestContext, command: dict, instance_id: str) -> bool:  # type: ignore[misc]
        return self.invocations.get(self._scope(context), f"{command['CommandId']} {instance_id}") is not None

    def list_command_invocations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        tests = [_filter_test(entry) for entry in params.get("Filters") or []]
        if params.get("CommandId"):
            command_ids = [self._command(context, params["CommandId"])["CommandId"]]
        else:
            command_ids = [key for key, _ in self.commands.scan(self._scope(context))]
        found = [inv for command_id in command_ids for inv in self._command_invocations(context, command_id)]
        if params.get("InstanceId"):
            found = [inv for inv in found if inv["InstanceId"] == params["InstanceId"]]
        found = [inv for inv in found if all(test(inv) for test in tests)]
        found.sort(key=lambda inv: inv["RequestedDateTime"], reverse=True)
        details = bool(params.get("Details"))

        def render(invocation: dict) -> dict:
            out = {key: value for key, value in invocation.items() if key[0].isupper()}
            out["CommandPlugins"] = invocation["plugins"] if details else []
            return out

        return paginate_list(
            self.store, "ssm", "ListCommandInvocations", params, found,
            bad_token=_bad_token, default_limit=50, render=render,
        )  # fmt: skip

    def get_command_invocation(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        command = self._command(context, params["CommandId"])
        invocation = self.invocations.get(
            self._scope(context), f"{command['CommandId']} {params['InstanceId']}"
        )
        if invocation is None:
            raise ServiceError("InvocationDoesNotExist", "")
        plugins = invocation["plugins"]
        name = params.get("PluginName")
        plugin = (
            next((p for p in plugins if p["Name"] == name), None)
            if name
            else (plugins[0] if plugins else None)
        )
        if name and plugin is None:
            raise ServiceError("InvalidPluginName", "")
        out: dict[str, Any] = {
            "CommandId": command["CommandId"],
            "InstanceId": invocation["InstanceId"],
            "DocumentName": command["DocumentName"],
            "DocumentVersion": command["DocumentVersion"],
            "Status": invocation["Status"],
            "StatusDetails": invocation["StatusDetails"],
            "ResponseCode": -1,
            "StandardOutputContent": "",
            "StandardErrorContent": "",
        }
        if command.get("Comment"):
            out["Comment"] = command["Comment"]
        if plugin is not None:
            out.update(
                PluginName=plugin["Name"],
                ResponseCode=plugin.get("ResponseCode", -1),
                StandardOutputContent=plugin.get("Output", ""),
            )
        return out

    def cancel_command(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        instance_ids = params.get("InstanceIds") or []
        if len(set(instance_ids)) != len(instance_ids):
            raise ServiceError("DuplicateInstanceId", "Instance IDs can't be repeated.")
        where = self._scope(context)
        with self.store.transaction():
            command = self._command(context, params["CommandId"])
            invocations = self._command_invocations(context, command["CommandId"])
            chosen = [inv for inv in invocations if not instance_ids or inv["InstanceId"] in instance_ids]
            if instance_ids and len(chosen) != len(instance_ids):
                raise ServiceError("InvalidInstanceId", "")
            previous = command["Status"]
            for invocation in runs.cancel(command, chosen):
                self.invocations.put(where, f"{command['CommandId']} {invocation['InstanceId']}", invocation)
            runs.settle(command, invocations)
            self.commands.put(where, command["CommandId"], command)
            self._notify_command(command, previous)
        return {}
