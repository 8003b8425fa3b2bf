"""Nested stacks: AWS::CloudFormation::Stack creates, updates and deletes a stack of its own
from its TemplateURL, through the CloudFormation operations, and waits for it; the nested
stack's outputs are its attributes (Fn::GetAtt Nested.Outputs.Name)."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.cloudformation.handlers import ResourceFailed, ResourceHandler, ResourceRequest, as_int

#: Nested stacks may hold any resource the parent may: they get every capability.
_CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


def _parameters(properties: dict[str, Any]) -> list[dict[str, str]]:
    given = properties.get("Parameters") or {}
    return [
        {
            "ParameterKey": key,
            "ParameterValue": ",".join(map(str, value)) if isinstance(value, list) else str(value),
        }
        for key, value in given.items()
    ]


class NestedStack(ResourceHandler):
    required = ("TemplateURL",)

    async def _call(self, request: ResourceRequest, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        handler = request.runtime.handler("cloudformation", operation)
        if handler is None:
            raise ResourceFailed("CloudFormation is not enabled")
        context = RequestContext.internal("cloudformation", request.account, request.region)
        context.extra["parent"] = request.stack_id
        try:
            output = handler(context, params)
            if inspect.isawaitable(output):
                output = await output
        except ServiceError as error:
            raise ResourceFailed(error.message, error.code) from error
        return output or {}

    async def _settle(self, request: ResourceRequest, stack_id: str) -> dict[str, Any]:
        while True:
            stack = (await self._call(request, "DescribeStacks", {"StackName": stack_id}))["Stacks"][0]
            if not stack["StackStatus"].endswith("_IN_PROGRESS"):
                return stack
            await asyncio.sleep(0.05)

    @staticmethod
    def _attributes(stack: dict[str, Any]) -> dict[str, Any]:
        return {
            f"Outputs.{output['OutputKey']}": output["OutputValue"] for output in stack.get("Outputs", [])
        }

    def _common(self, request: ResourceRequest) -> dict[str, Any]:
        properties = request.properties
        params: dict[str, Any] = {
            "TemplateURL": properties["TemplateURL"],
            "Parameters": _parameters(properties),
            "Capabilities": _CAPABILITIES,
            "Tags": request.user_tags(properties.get("Tags")),
        }
        if properties.get("NotificationARNs"):
            params["NotificationARNs"] = properties["NotificationARNs"]
        return params

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        params = {"StackName": request.physical_name(128), **self._common(request)}
        if request.properties.get("TimeoutInMinutes"):
            params["TimeoutInMinutes"] = as_int(request.properties["TimeoutInMinutes"])
        stack_id = (await self._call(request, "CreateStack", params))["StackId"]
        stack = await self._settle(request, stack_id)
        if stack["StackStatus"] != "CREATE_COMPLETE":
            raise ResourceFailed(
                f"Embedded stack {stack_id} was not successfully created: {stack.get('StackStatusReason', '')}".rstrip()
            )
        return stack_id, self._attributes(stack)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        stack_id = request.physical_id
        try:
            await self._call(request, "UpdateStack", {"StackName": stack_id, **self._common(request)})
        except ResourceFailed as error:
            if "No updates are to be performed" not in str(error):
                raise
        stack = await self._settle(request, stack_id)
        if stack["StackStatus"] != "UPDATE_COMPLETE" and not stack["StackStatus"].startswith(
            "CREATE_COMPLETE"
        ):
            raise ResourceFailed(
                f"Embedded stack {stack_id} was not successfully updated. Currently in {stack['StackStatus']} "
                f"with reason: {stack.get('StackStatusReason', '')}"
            )
        return self._attributes(stack)

    async def delete(self, request: ResourceRequest) -> None:
        stack_id = request.physical_id
        await self._call(request, "DeleteStack", {"StackName": stack_id})
        stack = await self._settle(request, stack_id)
        if stack["StackStatus"] != "DELETE_COMPLETE":
            raise ResourceFailed(
                f"Embedded stack {stack_id} was not successfully deleted: {stack.get('StackStatusReason', '')}"
            )


HANDLERS = {"AWS::CloudFormation::Stack": NestedStack}
