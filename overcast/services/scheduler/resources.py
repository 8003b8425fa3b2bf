"""EventBridge Scheduler's CloudFormation resource types: AWS::Scheduler::Schedule and
AWS::Scheduler::ScheduleGroup, through the Scheduler provider's own operations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceHandler,
    ResourceRequest,
    read_or_gone,
)

_INTS = frozenset({"MaximumWindowInMinutes", "MaximumEventAgeInSeconds", "MaximumRetryAttempts", "TaskCount"})


def _typed(value: Any, name: str = "") -> Any:
    """Template values (a parameter makes them strings) as the API's types."""
    if isinstance(value, dict):
        return {key: _typed(item, key) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item, name) for item in value]
    if name in _INTS and isinstance(value, str):
        return int(value)
    return value


def _moment(value: Any) -> Any:
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


class Schedule(ResourceHandler):
    attributes = frozenset({"Arn"})
    replace_on = frozenset({"Name", "GroupName"})
    name_property = "Name"
    required = ("FlexibleTimeWindow", "ScheduleExpression", "Target")

    @staticmethod
    def _params(request: ResourceRequest, name: str) -> dict[str, Any]:
        properties = request.properties
        params: dict[str, Any] = {
            "Name": name,
            "ScheduleExpression": properties["ScheduleExpression"],
            "FlexibleTimeWindow": _typed(properties["FlexibleTimeWindow"]),
            "Target": _typed(properties["Target"]),
        }
        if properties.get("GroupName"):
            params["GroupName"] = properties["GroupName"]
        for key in (
            "Description",
            "ScheduleExpressionTimezone",
            "State",
            "KmsKeyArn",
            "ActionAfterCompletion",
        ):
            if properties.get(key) is not None:
                params[key] = properties[key]
        for key in ("StartDate", "EndDate"):
            if properties.get(key):
                params[key] = _moment(properties[key])
        return params

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        name = request.properties.get("Name") or request.physical_name(64)
        output = await request.call("scheduler", "CreateSchedule", self._params(request, name))
        return name, {"Arn": output["ScheduleArn"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        output = await request.call("scheduler", "UpdateSchedule", self._params(request, request.physical_id))
        return {"Arn": output["ScheduleArn"]}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        params: dict[str, Any] = {"Name": request.physical_id}
        if request.properties.get("GroupName"):
            params["GroupName"] = request.properties["GroupName"]
        found = await read_or_gone(request, "scheduler", "GetSchedule", params, "ResourceNotFoundException")
        keys = (
            "ScheduleExpression",
            "ScheduleExpressionTimezone",
            "State",
            "Description",
            "FlexibleTimeWindow",
        )
        return {key: found[key] for key in keys if found.get(key) is not None}

    async def delete(self, request: ResourceRequest) -> None:
        params: dict[str, Any] = {"Name": request.physical_id}
        if request.properties.get("GroupName"):
            params["GroupName"] = request.properties["GroupName"]
        try:
            await request.call("scheduler", "DeleteSchedule", params)
        except ResourceFailed as error:
            if error.code != "ResourceNotFoundException":
                raise


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value or "")


class ScheduleGroup(ResourceHandler):
    identifier = "Name"
    attributes = frozenset({"Arn", "CreationDate", "LastModificationDate", "State"})
    replace_on = frozenset({"Name"})
    name_property = "Name"

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        name = request.properties.get("Name") or request.physical_name(64)
        params: dict[str, Any] = {"Name": name}
        tags = [
            {"Key": t["Key"], "Value": str(t["Value"])}
            for t in request.user_tags(request.properties.get("Tags"))
        ]
        if tags:
            params["Tags"] = tags
        await request.call("scheduler", "CreateScheduleGroup", params)
        return name, await self._attributes(request, name)

    @staticmethod
    async def _attributes(request: ResourceRequest, name: str) -> dict[str, Any]:
        group = await request.call("scheduler", "GetScheduleGroup", {"Name": name})
        return {
            "Arn": group["Arn"],
            "CreationDate": _iso(group.get("CreationDate")),
            "LastModificationDate": _iso(group.get("LastModificationDate")),
            "State": group.get("State", ""),
        }

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        attributes = await self._attributes(request, request.physical_id)
        old = {tag["Key"] for tag in request.old_properties.get("Tags") or []}
        new = [{"Key": t["Key"], "Value": str(t["Value"])} for t in request.properties.get("Tags") or []]
        removed = sorted(old - {tag["Key"] for tag in new})
        if removed:
            await request.call(
                "scheduler", "UntagResource", {"ResourceArn": attributes["Arn"], "TagKeys": removed}
            )
        if new:
            await request.call("scheduler", "TagResource", {"ResourceArn": attributes["Arn"], "Tags": new})
        return attributes

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._attributes(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("scheduler", "DeleteScheduleGroup", {"Name": request.physical_id})
        except ResourceFailed as error:
            if error.code != "ResourceNotFoundException":
                raise


HANDLERS = {
    "AWS::Scheduler::Schedule": Schedule,
    "AWS::Scheduler::ScheduleGroup": ScheduleGroup,
}
