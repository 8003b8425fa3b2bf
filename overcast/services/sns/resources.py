"""SNS's CloudFormation resource types (Topic, Subscription, TopicPolicy), through the SNS
provider's own operations."""

from __future__ import annotations

import json
from typing import Any

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceHandler,
    ResourceRequest,
    policy_text,
    read_or_gone,
)

#: Topic properties that are topic attributes.
_TOPIC_ATTRIBUTES = (
    "DisplayName",
    "KmsMasterKeyId",
    "ContentBasedDeduplication",
    "SignatureVersion",
    "TracingConfig",
    "ArchivePolicy",
    "FifoThroughputScope",
    "DeliveryStatusLogging",
)
#: Subscription properties that are subscription attributes.
_SUBSCRIPTION_ATTRIBUTES = (
    "DeliveryPolicy",
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
    "ReplayPolicy",
    "SubscriptionRoleArn",
)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


class Topic(ResourceHandler):
    identifier = "TopicArn"
    replace_on = frozenset({"TopicName", "FifoTopic"})
    name_property = "TopicName"
    attributes = frozenset({"TopicArn", "TopicName"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        fifo = str(properties.get("FifoTopic", "")).lower() == "true"
        name = properties.get("TopicName") or request.physical_name(256 - (5 if fifo else 0)) + (
            ".fifo" if fifo else ""
        )
        attributes = {
            key: _text(properties[key])
            for key in _TOPIC_ATTRIBUTES
            if key in properties and key != "DeliveryStatusLogging"
        }
        if fifo:
            attributes["FifoTopic"] = "true"
        if properties.get("DataProtectionPolicy"):
            attributes["DataProtectionPolicy"] = _text(properties["DataProtectionPolicy"])
        params: dict[str, Any] = {"Name": name, "Attributes": attributes}
        tags = request.user_tags(properties.get("Tags"))
        if tags:
            params["Tags"] = tags
        arn = (await request.call("sns", "CreateTopic", params))["TopicArn"]
        try:
            for subscription in properties.get("Subscription", []):
                await request.call(
                    "sns",
                    "Subscribe",
                    {
                        "TopicArn": arn,
                        "Protocol": subscription["Protocol"],
                        "Endpoint": subscription["Endpoint"],
                    },
                )
        except ResourceFailed:
            await request.call("sns", "DeleteTopic", {"TopicArn": arn})
            raise
        return arn, {"TopicArn": arn, "TopicName": name}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        arn, new, old = request.physical_id, request.properties, request.old_properties
        for key in _TOPIC_ATTRIBUTES:
            if key == "DeliveryStatusLogging" or new.get(key) == old.get(key):
                continue
            await request.call(
                "sns",
                "SetTopicAttributes",
                {"TopicArn": arn, "AttributeName": key, "AttributeValue": _text(new.get(key, ""))},
            )
        old_subs = {(s["Protocol"], s["Endpoint"]) for s in old.get("Subscription", [])}
        new_subs = {(s["Protocol"], s["Endpoint"]) for s in new.get("Subscription", [])}
        if old_subs != new_subs:
            existing = (await request.call("sns", "ListSubscriptionsByTopic", {"TopicArn": arn})).get(
                "Subscriptions", []
            )
            for entry in existing:
                if (entry["Protocol"], entry["Endpoint"]) in old_subs - new_subs and entry[
                    "SubscriptionArn"
                ].startswith("arn:"):
                    await request.call("sns", "Unsubscribe", {"SubscriptionArn": entry["SubscriptionArn"]})
            for protocol, endpoint in sorted(new_subs - old_subs):
                await request.call(
                    "sns", "Subscribe", {"TopicArn": arn, "Protocol": protocol, "Endpoint": endpoint}
                )
        if new.get("Tags") != old.get("Tags"):
            removed = sorted(
                {t["Key"] for t in old.get("Tags", [])} - {t["Key"] for t in new.get("Tags", [])}
            )
            if removed:
                await request.call("sns", "UntagResource", {"ResourceArn": arn, "TagKeys": removed})
            if new.get("Tags"):
                await request.call("sns", "TagResource", {"ResourceArn": arn, "Tags": new["Tags"]})
        return {"TopicArn": arn, "TopicName": arn.rsplit(":", 1)[1]}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        output = await read_or_gone(
            request, "sns", "GetTopicAttributes", {"TopicArn": request.physical_id}, "NotFound"
        )
        attributes = output.get("Attributes", {})
        return {key: attributes[key] for key in ("DisplayName", "KmsMasterKeyId") if key in attributes}

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call("sns", "GetTopicAttributes", {"TopicArn": request.physical_id})
        return {"TopicArn": request.physical_id, "TopicName": request.physical_id.rsplit(":", 1)[-1]}

    async def delete(self, request: ResourceRequest) -> None:
        await request.call("sns", "DeleteTopic", {"TopicArn": request.physical_id})


class Subscription(ResourceHandler):
    replace_on = frozenset({"TopicArn", "Protocol", "Endpoint", "Region"})
    required = ("TopicArn", "Protocol")
    attributes = frozenset({"Arn"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {
            "TopicArn": properties["TopicArn"],
            "Protocol": properties["Protocol"],
            "ReturnSubscriptionArn": True,
        }
        if properties.get("Endpoint"):
            params["Endpoint"] = properties["Endpoint"]
        attributes = {key: _text(properties[key]) for key in _SUBSCRIPTION_ATTRIBUTES if key in properties}
        if attributes:
            params["Attributes"] = attributes
        arn = (await request.call("sns", "Subscribe", params))["SubscriptionArn"]
        return arn, {"Arn": arn}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        new, old = request.properties, request.old_properties
        for key in _SUBSCRIPTION_ATTRIBUTES:
            if new.get(key) == old.get(key):
                continue
            default = "false" if key == "RawMessageDelivery" else ""
            value = _text(new[key]) if key in new else default
            await request.call(
                "sns",
                "SetSubscriptionAttributes",
                {"SubscriptionArn": request.physical_id, "AttributeName": key, "AttributeValue": value},
            )
        return {"Arn": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("sns", "Unsubscribe", {"SubscriptionArn": request.physical_id})
        except ResourceFailed as error:
            if error.code != "NotFound":
                raise


class TopicPolicy(ResourceHandler):
    required = ("PolicyDocument", "Topics")
    attributes = frozenset({"Id"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await self._apply(
            request, request.properties.get("Topics", []), policy_text(request.properties["PolicyDocument"])
        )
        physical_id = request.physical_name(255)
        return physical_id, {"Id": physical_id}

    @staticmethod
    async def _apply(request: ResourceRequest, topics: list[str], text: str) -> None:
        for arn in topics:
            await request.call(
                "sns",
                "SetTopicAttributes",
                {"TopicArn": arn, "AttributeName": "Policy", "AttributeValue": text},
            )

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        removed = sorted(
            set(request.old_properties.get("Topics", [])) - set(request.properties.get("Topics", []))
        )
        await self._restore_default(request, removed)
        await self._apply(
            request, request.properties.get("Topics", []), policy_text(request.properties["PolicyDocument"])
        )
        return {"Id": request.physical_id}

    @staticmethod
    async def _restore_default(request: ResourceRequest, topics: list[str]) -> None:
        for arn in topics:
            try:
                await request.call(
                    "sns",
                    "SetTopicAttributes",
                    {"TopicArn": arn, "AttributeName": "Policy", "AttributeValue": _default_policy(arn)},
                )
            except ResourceFailed as error:
                if error.code != "NotFound":
                    raise

    async def delete(self, request: ResourceRequest) -> None:
        await self._restore_default(request, request.properties.get("Topics", []))


def _default_policy(arn: str) -> str:
    """The policy SNS gives a new topic, which a deleted TopicPolicy leaves behind."""
    account = arn.split(":")[4]
    return json.dumps(
        {
            "Version": "2008-10-17",
            "Id": "__default_policy_ID",
            "Statement": [
                {
                    "Sid": "__default_statement_ID",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": [
                        "SNS:GetTopicAttributes",
                        "SNS:SetTopicAttributes",
                        "SNS:AddPermission",
                        "SNS:RemovePermission",
                        "SNS:DeleteTopic",
                        "SNS:Subscribe",
                        "SNS:ListSubscriptionsByTopic",
                        "SNS:Publish",
                    ],
                    "Resource": arn,
                    "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
                }
            ],
        }
    )


class TopicInlinePolicy(ResourceHandler):
    replace_on = frozenset({"TopicArn"})
    required = ("PolicyDocument", "TopicArn")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await TopicPolicy._apply(
            request, [request.properties["TopicArn"]], policy_text(request.properties["PolicyDocument"])
        )
        return request.physical_name(255), {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await TopicPolicy._apply(
            request, [request.properties["TopicArn"]], policy_text(request.properties["PolicyDocument"])
        )
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        await TopicPolicy._restore_default(request, [request.properties["TopicArn"]])


HANDLERS = {
    "AWS::SNS::Topic": Topic,
    "AWS::SNS::Subscription": Subscription,
    "AWS::SNS::TopicPolicy": TopicPolicy,
    "AWS::SNS::TopicInlinePolicy": TopicInlinePolicy,
}
