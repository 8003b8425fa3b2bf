"""Kinesis's CloudFormation resource types: AWS::Kinesis::Stream, AWS::Kinesis::StreamConsumer,
AWS::Kinesis::ResourcePolicy and AWS::Kinesis::Queue, through the Kinesis provider's own
operations."""

from __future__ import annotations

from typing import Any

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceHandler,
    ResourceRequest,
    policy_text,
    read_or_gone,
)

#: The retention a stream has when the template sets none, in hours.
_DEFAULT_RETENTION = 24


def _mode(properties: dict[str, Any]) -> str:
    return str((properties.get("StreamModeDetails") or {}).get("StreamMode") or "PROVISIONED")


def _encryption(properties: dict[str, Any]) -> dict[str, str] | None:
    given = properties.get("StreamEncryption")
    if not given:
        return None
    return {"EncryptionType": given.get("EncryptionType", "KMS"), "KeyId": given["KeyId"]}


class Stream(ResourceHandler):
    identifier = "Name"
    attributes = frozenset({"Arn"})
    replace_on = frozenset({"Name", "MaxRecordSizeInKiB"})
    name_property = "Name"

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("Name") or request.physical_name(128)
        mode = _mode(properties)
        params: dict[str, Any] = {"StreamName": name, "StreamModeDetails": {"StreamMode": mode}}
        if mode == "PROVISIONED":
            params["ShardCount"] = int(properties.get("ShardCount") or 1)
        if properties.get("MaxRecordSizeInKiB") is not None:
            params["MaxRecordSizeInKiB"] = int(properties["MaxRecordSizeInKiB"])
        tags = {tag["Key"]: str(tag["Value"]) for tag in request.user_tags(properties.get("Tags"))}
        if tags:
            params["Tags"] = tags
        await request.call("kinesis", "CreateStream", params)
        retention = int(properties.get("RetentionPeriodHours") or _DEFAULT_RETENTION)
        if retention != _DEFAULT_RETENTION:
            await request.call(
                "kinesis",
                "IncreaseStreamRetentionPeriod",
                {"StreamName": name, "RetentionPeriodHours": retention},
            )
        encryption = _encryption(properties)
        if encryption:
            await request.call("kinesis", "StartStreamEncryption", {"StreamName": name, **encryption})
        metrics = properties.get("DesiredShardLevelMetrics")
        if metrics:
            await request.call(
                "kinesis",
                "EnableEnhancedMonitoring",
                {"StreamName": name, "ShardLevelMetrics": list(metrics)},
            )
        return name, await self._attributes(request, name)

    @staticmethod
    async def _attributes(request: ResourceRequest, name: str) -> dict[str, Any]:
        summary = await request.call("kinesis", "DescribeStreamSummary", {"StreamName": name})
        return {"Arn": summary["StreamDescriptionSummary"]["StreamARN"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        name = request.physical_id
        properties, old = request.properties, request.old_properties
        mode = _mode(properties)
        if mode != _mode(old):
            arn = (await self._attributes(request, name))["Arn"]
            await request.call(
                "kinesis", "UpdateStreamMode", {"StreamARN": arn, "StreamModeDetails": {"StreamMode": mode}}
            )
        if mode == "PROVISIONED":
            count = int(properties.get("ShardCount") or 1)
            summary = await request.call("kinesis", "DescribeStreamSummary", {"StreamName": name})
            if summary["StreamDescriptionSummary"]["OpenShardCount"] != count:
                await request.call(
                    "kinesis",
                    "UpdateShardCount",
                    {"StreamName": name, "TargetShardCount": count, "ScalingType": "UNIFORM_SCALING"},
                )
        retention = int(properties.get("RetentionPeriodHours") or _DEFAULT_RETENTION)
        was = int(old.get("RetentionPeriodHours") or _DEFAULT_RETENTION)
        if retention != was:
            operation = (
                "IncreaseStreamRetentionPeriod" if retention > was else "DecreaseStreamRetentionPeriod"
            )
            await request.call("kinesis", operation, {"StreamName": name, "RetentionPeriodHours": retention})
        encryption, old_encryption = _encryption(properties), _encryption(old)
        if encryption != old_encryption:
            if old_encryption:
                await request.call("kinesis", "StopStreamEncryption", {"StreamName": name, **old_encryption})
            if encryption:
                await request.call("kinesis", "StartStreamEncryption", {"StreamName": name, **encryption})
        metrics = set(properties.get("DesiredShardLevelMetrics") or [])
        old_metrics = set(old.get("DesiredShardLevelMetrics") or [])
        if old_metrics - metrics:
            await request.call(
                "kinesis",
                "DisableEnhancedMonitoring",
                {"StreamName": name, "ShardLevelMetrics": sorted(old_metrics - metrics)},
            )
        if metrics - old_metrics:
            await request.call(
                "kinesis",
                "EnableEnhancedMonitoring",
                {"StreamName": name, "ShardLevelMetrics": sorted(metrics - old_metrics)},
            )
        old_tags = {tag["Key"] for tag in old.get("Tags") or []}
        new_tags = {tag["Key"]: str(tag["Value"]) for tag in properties.get("Tags") or []}
        if old_tags - set(new_tags):
            await request.call(
                "kinesis",
                "RemoveTagsFromStream",
                {"StreamName": name, "TagKeys": sorted(old_tags - set(new_tags))},
            )
        if new_tags:
            await request.call("kinesis", "AddTagsToStream", {"StreamName": name, "Tags": new_tags})
        return await self._attributes(request, name)

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        output = await read_or_gone(
            request,
            "kinesis",
            "DescribeStreamSummary",
            {"StreamName": request.physical_id},
            "ResourceNotFoundException",
        )
        summary = output["StreamDescriptionSummary"]
        current: dict[str, Any] = {
            "RetentionPeriodHours": summary["RetentionPeriodHours"],
            "StreamModeDetails": summary.get("StreamModeDetails") or {"StreamMode": "PROVISIONED"},
        }
        if current["StreamModeDetails"]["StreamMode"] == "PROVISIONED":
            current["ShardCount"] = summary["OpenShardCount"]
        return current

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._attributes(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call(
                "kinesis",
                "DeleteStream",
                {"StreamName": request.physical_id, "EnforceConsumerDeletion": True},
            )
        except ResourceFailed as error:
            if error.code != "ResourceNotFoundException":
                raise


class StreamConsumer(ResourceHandler):
    attributes = frozenset(
        {"ConsumerARN", "ConsumerCreationTimestamp", "ConsumerName", "ConsumerStatus", "StreamARN"}
    )
    updatable = False
    required = ("ConsumerName", "StreamARN")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {
            "StreamARN": properties["StreamARN"],
            "ConsumerName": properties["ConsumerName"],
        }
        tags = {tag["Key"]: str(tag["Value"]) for tag in request.user_tags(properties.get("Tags"))}
        if tags:
            params["Tags"] = tags
        consumer = (await request.call("kinesis", "RegisterStreamConsumer", params))["Consumer"]
        created = consumer.get("ConsumerCreationTimestamp")
        return consumer["ConsumerARN"], {
            "ConsumerARN": consumer["ConsumerARN"],
            "ConsumerName": consumer["ConsumerName"],
            "ConsumerStatus": consumer.get("ConsumerStatus", ""),
            "ConsumerCreationTimestamp": created.isoformat()
            if hasattr(created, "isoformat")
            else str(created),
            "StreamARN": properties["StreamARN"],
        }

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("kinesis", "DeregisterStreamConsumer", {"ConsumerARN": request.physical_id})
        except ResourceFailed as error:
            if error.code != "ResourceNotFoundException":
                raise


class ResourcePolicy(ResourceHandler):
    replace_on = frozenset({"ResourceArn"})
    required = ("ResourceArn", "ResourcePolicy")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await self._put(request)
        return request.properties["ResourceArn"], {}

    @staticmethod
    async def _put(request: ResourceRequest) -> None:
        await request.call(
            "kinesis",
            "PutResourcePolicy",
            {
                "ResourceARN": request.properties["ResourceArn"],
                "Policy": policy_text(request.properties["ResourcePolicy"]),
            },
        )

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._put(request)
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("kinesis", "DeleteResourcePolicy", {"ResourceARN": request.physical_id})
        except ResourceFailed as error:
            if error.code != "ResourceNotFoundException":
                raise


def _queue_attributes(given: dict[str, Any]) -> dict[str, Any]:
    """QueueAttributes with its numbers as numbers (a template's parameters arrive as text)."""
    out = dict(given)
    if out.get("VisibilityTimeoutSeconds") is not None:
        out["VisibilityTimeoutSeconds"] = int(out["VisibilityTimeoutSeconds"])
    dead = out.get("DeadLetterConfiguration")
    if dead and dead.get("MaxReceiveCount") is not None:
        out["DeadLetterConfiguration"] = {**dead, "MaxReceiveCount": int(dead["MaxReceiveCount"])}
    return out


class Queue(ResourceHandler):
    """A queue over one stream. Its properties are CreateQueue's members (QueueName,
    StreamConfigurationList, QueueAttributes, Tags as a list of Key/Value); Ref is its ARN.
    QueueAttributes update in place (UpdateQueue); anything else replaces the queue."""

    attributes = frozenset({"Arn", "QueueARN"})
    replace_on = frozenset({"QueueName", "StreamConfigurationList"})
    required = ("StreamConfigurationList",)
    name_property = "QueueName"

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {
            "QueueName": properties.get("QueueName") or request.physical_name(128),
            "StreamConfigurationList": properties["StreamConfigurationList"],
        }
        if properties.get("QueueAttributes"):
            params["QueueAttributes"] = _queue_attributes(properties["QueueAttributes"])
        tags = {tag["Key"]: str(tag["Value"]) for tag in request.user_tags(properties.get("Tags"))}
        if tags:
            params["Tags"] = tags
        arn = (await request.call("kinesis", "CreateQueue", params))["QueueDescription"]["QueueARN"]
        return arn, {"Arn": arn, "QueueARN": arn}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        attributes = request.properties.get("QueueAttributes")
        if attributes and attributes != request.old_properties.get("QueueAttributes"):
            await request.call(
                "kinesis",
                "UpdateQueue",
                {"QueueARN": request.physical_id, "QueueAttributes": _queue_attributes(attributes)},
            )
        return {"Arn": request.physical_id, "QueueARN": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("kinesis", "DeleteQueue", {"QueueARN": request.physical_id})
        except ResourceFailed as error:
            if error.code != "ResourceNotFoundException":
                raise


class Channel(ResourceHandler):
    """A channel from streams to S3. Its properties are CreateChannel's members (Tags as a list
    of Key/Value); Ref is its ARN. The data freshness and logging update in place (UpdateChannel);
    anything else replaces the channel, as AWS allows no other change."""

    attributes = frozenset({"Arn", "ChannelARN", "ChannelId"})
    replace_on = frozenset(
        {"ChannelName", "ServiceExecutionRoleARN", "StreamConfigurationList", "EncryptionConfiguration"}
    )
    required = ("ServiceExecutionRoleARN", "StreamConfigurationList")
    name_property = "ChannelName"
    _PASSED = (
        "ServiceExecutionRoleARN",
        "StreamConfigurationList",
        "S3DestinationConfiguration",
        "S3TablesDestinationConfiguration",
        "EncryptionConfiguration",
        "LoggingConfiguration",
    )

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {"ChannelName": properties.get("ChannelName") or request.physical_name(128)}
        params.update({key: properties[key] for key in self._PASSED if properties.get(key) is not None})
        for key in ("S3DestinationConfiguration", "S3TablesDestinationConfiguration"):
            if params.get(key, {}).get("DataFreshnessInSeconds") is not None:
                params[key] = {
                    **params[key],
                    "DataFreshnessInSeconds": int(params[key]["DataFreshnessInSeconds"]),
                }
        tags = {tag["Key"]: str(tag["Value"]) for tag in request.user_tags(properties.get("Tags"))}
        if tags:
            params["Tags"] = tags
        channel = (await request.call("kinesis", "CreateChannel", params))["ChannelDescription"]
        arn = channel["ChannelARN"]
        return arn, {"Arn": arn, "ChannelARN": arn, "ChannelId": channel["ChannelId"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        params: dict[str, Any] = {"ChannelARN": request.physical_id}
        for key in ("S3DestinationConfiguration", "S3TablesDestinationConfiguration"):
            given = request.properties.get(key) or {}
            if given.get("DataFreshnessInSeconds") is not None:
                params[key] = {"DataFreshnessInSeconds": int(given["DataFreshnessInSeconds"])}
        if request.properties.get("LoggingConfiguration") is not None:
            params["LoggingConfiguration"] = request.properties["LoggingConfiguration"]
        channel = (await request.call("kinesis", "UpdateChannel", params))["ChannelDescription"]
        return {
            "Arn": request.physical_id,
            "ChannelARN": request.physical_id,
            "ChannelId": channel["ChannelId"],
        }

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("kinesis", "DeleteChannel", {"ChannelARN": request.physical_id})
        except ResourceFailed as error:
            if error.code != "ResourceNotFoundException":
                raise


HANDLERS = {
    "AWS::Kinesis::Stream": Stream,
    "AWS::Kinesis::StreamConsumer": StreamConsumer,
    "AWS::Kinesis::ResourcePolicy": ResourcePolicy,
    "AWS::Kinesis::Queue": Queue,
    "AWS::Kinesis::Channel": Channel,
}
