"""SQS's CloudFormation resource types: AWS::SQS::Queue and AWS::SQS::QueuePolicy, through the
SQS provider's own operations."""

from __future__ import annotations

import json
from typing import Any

from overcast.services.cloudformation.handlers import (
    ResourceHandler,
    ResourceRequest,
    policy_text,
    read_or_gone,
)

#: Queue properties that are queue attributes, by their attribute name.
_ATTRIBUTES = (
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "DelaySeconds",
    "FifoThroughputLimit",
    "KmsDataKeyReusePeriodSeconds",
    "KmsMasterKeyId",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "RedriveAllowPolicy",
    "RedrivePolicy",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
)


def _attribute_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _attributes(properties: dict[str, Any]) -> dict[str, str]:
    attributes = {name: _attribute_text(properties[name]) for name in _ATTRIBUTES if name in properties}
    if str(properties.get("FifoQueue", "")).lower() == "true":
        attributes["FifoQueue"] = "true"
    return attributes


class Queue(ResourceHandler):
    identifier = "QueueUrl"
    replace_on = frozenset({"QueueName", "FifoQueue"})
    name_property = "QueueName"
    attributes = frozenset({"Arn", "QueueName", "QueueUrl"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("QueueName")
        if not name:
            fifo = str(properties.get("FifoQueue", "")).lower() == "true"
            name = request.physical_name(80 - (5 if fifo else 0)) + (".fifo" if fifo else "")
        params: dict[str, Any] = {"QueueName": name, "Attributes": _attributes(properties)}
        tags = {tag["Key"]: tag["Value"] for tag in request.user_tags(properties.get("Tags"))}
        if tags:
            params["tags"] = tags
        url = (await request.call("sqs", "CreateQueue", params))["QueueUrl"]
        return url, await self._attributes(request, url)

    async def _attributes(self, request: ResourceRequest, url: str) -> dict[str, Any]:
        output = await request.call(
            "sqs", "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["QueueArn"]}
        )
        return {"Arn": output["Attributes"]["QueueArn"], "QueueUrl": url, "QueueName": url.rsplit("/", 1)[1]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        url = request.physical_id
        attributes = _attributes(request.properties)
        attributes.pop("FifoQueue", None)
        # Attributes the template no longer sets go back to SQS's defaults.
        defaults = {
            "DelaySeconds": "0",
            "MaximumMessageSize": "262144",
            "MessageRetentionPeriod": "345600",
            "ReceiveMessageWaitTimeSeconds": "0",
            "VisibilityTimeout": "30",
            "RedrivePolicy": "",
        }
        for name, default in defaults.items():
            if name in request.old_properties and name not in request.properties:
                attributes[name] = default
        if attributes:
            await request.call("sqs", "SetQueueAttributes", {"QueueUrl": url, "Attributes": attributes})
        old_tags = {tag["Key"] for tag in request.old_properties.get("Tags", [])}
        new_tags = {tag["Key"]: tag["Value"] for tag in request.properties.get("Tags", [])}
        removed = sorted(old_tags - set(new_tags))
        if removed:
            await request.call("sqs", "UntagQueue", {"QueueUrl": url, "TagKeys": removed})
        if new_tags:
            await request.call("sqs", "TagQueue", {"QueueUrl": url, "Tags": new_tags})
        return await self._attributes(request, url)

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        output = await read_or_gone(
            request,
            "sqs",
            "GetQueueAttributes",
            {"QueueUrl": request.physical_id, "AttributeNames": ["All"]},
            "AWS.SimpleQueueService.NonExistentQueue",
            "QueueDoesNotExist",
        )
        attributes = output.get("Attributes", {})
        current: dict[str, Any] = {name: attributes[name] for name in _ATTRIBUTES if name in attributes}
        if "RedrivePolicy" in current:
            current["RedrivePolicy"] = json.loads(current["RedrivePolicy"])
        return current

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._attributes(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        from overcast.services.cloudformation.handlers import ResourceFailed

        try:
            await request.call("sqs", "DeleteQueue", {"QueueUrl": request.physical_id})
        except ResourceFailed as error:
            if "NonExistentQueue" not in error.code and "QueueDoesNotExist" not in error.code:
                raise


class QueuePolicy(ResourceHandler):
    attributes = frozenset({"Id"})
    required = ("PolicyDocument", "Queues")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await self._apply(request, request.properties)
        physical_id = request.physical_name(255)
        return physical_id, {"Id": physical_id}

    async def _apply(self, request: ResourceRequest, properties: dict[str, Any]) -> None:
        text = policy_text(properties.get("PolicyDocument", {}))
        for url in properties.get("Queues", []):
            await request.call("sqs", "SetQueueAttributes", {"QueueUrl": url, "Attributes": {"Policy": text}})

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        for url in set(request.old_properties.get("Queues", [])) - set(request.properties.get("Queues", [])):
            await request.call("sqs", "SetQueueAttributes", {"QueueUrl": url, "Attributes": {"Policy": ""}})
        await self._apply(request, request.properties)
        return {"Id": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        from overcast.services.cloudformation.handlers import ResourceFailed

        for url in request.properties.get("Queues", []):
            try:
                await request.call(
                    "sqs", "SetQueueAttributes", {"QueueUrl": url, "Attributes": {"Policy": ""}}
                )
            except ResourceFailed:
                pass  # the queue went first: its policy went with it


class QueueInlinePolicy(ResourceHandler):
    replace_on = frozenset({"Queue"})
    required = ("PolicyDocument", "Queue")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await self._put(request)
        return request.physical_name(255), {}

    @staticmethod
    async def _put(request: ResourceRequest) -> None:
        await request.call(
            "sqs",
            "SetQueueAttributes",
            {
                "QueueUrl": request.properties["Queue"],
                "Attributes": {"Policy": policy_text(request.properties["PolicyDocument"])},
            },
        )

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._put(request)
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        from overcast.services.cloudformation.handlers import ResourceFailed

        try:
            await request.call(
                "sqs",
                "SetQueueAttributes",
                {"QueueUrl": request.properties["Queue"], "Attributes": {"Policy": ""}},
            )
        except ResourceFailed:
            pass  # the queue went first: its policy went with it


HANDLERS = {
    "AWS::SQS::Queue": Queue,
    "AWS::SQS::QueuePolicy": QueuePolicy,
    "AWS::SQS::QueueInlinePolicy": QueueInlinePolicy,
}
