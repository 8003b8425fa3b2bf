"""CloudWatch Logs' CloudFormation resource types (LogGroup, LogStream, MetricFilter,
SubscriptionFilter), through the Logs provider's own operations."""

from __future__ import annotations

import json
from typing import Any

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceGone,
    ResourceHandler,
    ResourceRequest,
    as_int,
)


async def _ignore_missing(request: ResourceRequest, operation: str, params: dict[str, Any]) -> None:
    try:
        await request.call("logs", operation, params)
    except ResourceFailed as error:
        if error.code != "ResourceNotFoundException":
            raise


class LogGroup(ResourceHandler):
    identifier = "LogGroupName"
    replace_on = frozenset({"LogGroupName", "LogGroupClass"})
    name_property = "LogGroupName"
    attributes = frozenset({"Arn"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("LogGroupName") or request.physical_name(512)
        params: dict[str, Any] = {"logGroupName": name}
        if properties.get("KmsKeyId"):
            params["kmsKeyId"] = properties["KmsKeyId"]
        if properties.get("LogGroupClass"):
            params["logGroupClass"] = properties["LogGroupClass"]
        tags = {tag["Key"]: tag["Value"] for tag in request.user_tags(properties.get("Tags"))}
        if tags:
            params["tags"] = tags
        await request.call("logs", "CreateLogGroup", params)
        if properties.get("RetentionInDays") is not None:
            try:
                await request.call(
                    "logs",
                    "PutRetentionPolicy",
                    {"logGroupName": name, "retentionInDays": as_int(properties["RetentionInDays"])},
                )
            except ResourceFailed:
                await _ignore_missing(request, "DeleteLogGroup", {"logGroupName": name})
                raise
        return name, {"Arn": self._arn(request, name)}

    @staticmethod
    def _arn(request: ResourceRequest, name: str) -> str:
        return f"arn:{request.partition}:logs:{request.region}:{request.account}:log-group:{name}:*"

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        name, new, old = request.physical_id, request.properties, request.old_properties
        if new.get("RetentionInDays") != old.get("RetentionInDays"):
            if new.get("RetentionInDays") is None:
                await request.call("logs", "DeleteRetentionPolicy", {"logGroupName": name})
            else:
                await request.call(
                    "logs",
                    "PutRetentionPolicy",
                    {"logGroupName": name, "retentionInDays": as_int(new["RetentionInDays"])},
                )
        if new.get("KmsKeyId") != old.get("KmsKeyId"):
            if new.get("KmsKeyId"):
                await request.call(
                    "logs", "AssociateKmsKey", {"logGroupName": name, "kmsKeyId": new["KmsKeyId"]}
                )
            else:
                await request.call("logs", "DisassociateKmsKey", {"logGroupName": name})
        if new.get("Tags") != old.get("Tags"):
            arn = self._arn(request, name)[:-2]
            removed = sorted(
                {t["Key"] for t in old.get("Tags", [])} - {t["Key"] for t in new.get("Tags", [])}
            )
            if removed:
                await request.call("logs", "UntagResource", {"resourceArn": arn, "tagKeys": removed})
            if new.get("Tags"):
                await request.call(
                    "logs",
                    "TagResource",
                    {"resourceArn": arn, "tags": {t["Key"]: t["Value"] for t in new["Tags"]}},
                )
        return {"Arn": self._arn(request, name)}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        groups = (
            await request.call("logs", "DescribeLogGroups", {"logGroupNamePrefix": request.physical_id})
        ).get("logGroups", [])
        group = next((item for item in groups if item["logGroupName"] == request.physical_id), None)
        if group is None:
            raise ResourceGone
        current: dict[str, Any] = {"LogGroupName": group["logGroupName"]}
        if group.get("retentionInDays") is not None:
            current["RetentionInDays"] = group["retentionInDays"]
        return current

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        try:
            await self.read(request)
        except ResourceGone:
            raise ResourceFailed(f"Log group {request.physical_id} does not exist") from None
        return {"Arn": self._arn(request, request.physical_id)}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteLogGroup", {"logGroupName": request.physical_id})


class LogStream(ResourceHandler):
    updatable = False
    required = ("LogGroupName",)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("LogStreamName") or request.physical_name(512)
        await request.call(
            "logs", "CreateLogStream", {"logGroupName": properties["LogGroupName"], "logStreamName": name}
        )
        return name, {}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(
            request,
            "DeleteLogStream",
            {"logGroupName": request.properties["LogGroupName"], "logStreamName": request.physical_id},
        )


def _transformation(item: dict[str, Any]) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "metricName": item["MetricName"],
        "metricNamespace": item["MetricNamespace"],
        "metricValue": str(item["MetricValue"]),
    }
    if item.get("DefaultValue") is not None:
        shaped["defaultValue"] = float(item["DefaultValue"])
    if item.get("Unit"):
        shaped["unit"] = item["Unit"]
    if item.get("Dimensions"):
        shaped["dimensions"] = {dimension["Key"]: dimension["Value"] for dimension in item["Dimensions"]}
    return shaped


class MetricFilter(ResourceHandler):
    replace_on = frozenset({"FilterName", "LogGroupName"})
    name_property = "FilterName"
    required = ("FilterPattern", "LogGroupName", "MetricTransformations")

    async def _put(self, request: ResourceRequest, name: str) -> None:
        properties = request.properties
        await request.call(
            "logs",
            "PutMetricFilter",
            {
                "logGroupName": properties["LogGroupName"],
                "filterName": name,
                "filterPattern": properties.get("FilterPattern", ""),
                "metricTransformations": [
                    _transformation(item) for item in properties["MetricTransformations"]
                ],
            },
        )

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        name = request.properties.get("FilterName") or request.physical_name(512)
        await self._put(request, name)
        return name, {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._put(request, request.physical_id)
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(
            request,
            "DeleteMetricFilter",
            {"logGroupName": request.properties["LogGroupName"], "filterName": request.physical_id},
        )


class SubscriptionFilter(ResourceHandler):
    replace_on = frozenset({"FilterName", "LogGroupName"})
    name_property = "FilterName"
    required = ("DestinationArn", "FilterPattern", "LogGroupName")

    async def _put(self, request: ResourceRequest, name: str) -> None:
        properties = request.properties
        params: dict[str, Any] = {
            "logGroupName": properties["LogGroupName"],
            "filterName": name,
            "filterPattern": properties.get("FilterPattern", ""),
            "destinationArn": properties["DestinationArn"],
        }
        if properties.get("RoleArn"):
            params["roleArn"] = properties["RoleArn"]
        if properties.get("Distribution"):
            params["distribution"] = properties["Distribution"]
        await request.call("logs", "PutSubscriptionFilter", params)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        name = request.properties.get("FilterName") or request.physical_name(512)
        await self._put(request, name)
        return name, {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._put(request, request.physical_id)
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(
            request,
            "DeleteSubscriptionFilter",
            {"logGroupName": request.properties["LogGroupName"], "filterName": request.physical_id},
        )


class ResourcePolicy(ResourceHandler):
    replace_on = frozenset({"PolicyName"})
    name_property = "PolicyName"
    required = ("PolicyDocument", "PolicyName")

    async def _put(self, request: ResourceRequest) -> None:
        document = request.properties["PolicyDocument"]
        await request.call(
            "logs",
            "PutResourcePolicy",
            {
                "policyName": request.properties["PolicyName"],
                "policyDocument": document if isinstance(document, str) else json.dumps(document),
            },
        )

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await self._put(request)
        return request.properties["PolicyName"], {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._put(request)
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteResourcePolicy", {"policyName": request.physical_id})


class Destination(ResourceHandler):
    replace_on = frozenset({"DestinationName"})
    name_property = "DestinationName"
    required = ("DestinationName", "RoleArn", "TargetArn")
    attributes = frozenset({"Arn"})

    async def _put(self, request: ResourceRequest) -> str:
        properties = request.properties
        output = await request.call(
            "logs",
            "PutDestination",
            {
                "destinationName": properties["DestinationName"],
                "targetArn": properties["TargetArn"],
                "roleArn": properties["RoleArn"],
            },
        )
        policy = properties.get("DestinationPolicy")
        if policy:
            await request.call(
                "logs",
                "PutDestinationPolicy",
                {
                    "destinationName": properties["DestinationName"],
                    "accessPolicy": policy if isinstance(policy, str) else json.dumps(policy),
                },
            )
        return str(output["destination"]["arn"])

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        arn = await self._put(request)
        return request.properties["DestinationName"], {"Arn": arn}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        return {"Arn": await self._put(request)}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteDestination", {"destinationName": request.physical_id})


HANDLERS = {
    "AWS::Logs::LogGroup": LogGroup,
    "AWS::Logs::LogStream": LogStream,
    "AWS::Logs::MetricFilter": MetricFilter,
    "AWS::Logs::SubscriptionFilter": SubscriptionFilter,
    "AWS::Logs::ResourcePolicy": ResourcePolicy,
    "AWS::Logs::Destination": Destination,
}
