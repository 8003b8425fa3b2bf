"""DynamoDB's CloudFormation resource type AWS::DynamoDB::Table, through the DynamoDB
provider's own operations."""

from __future__ import annotations

import asyncio
from typing import Any

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceHandler,
    ResourceRequest,
    as_bool,
    as_int,
    read_or_gone,
)


def _throughput(value: dict[str, Any] | None) -> dict[str, int] | None:
    if not value:
        return None
    return {
        "ReadCapacityUnits": as_int(value.get("ReadCapacityUnits")) or 0,
        "WriteCapacityUnits": as_int(value.get("WriteCapacityUnits")) or 0,
    }


def _index(index: dict[str, Any]) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        key: index[key] for key in ("IndexName", "KeySchema", "Projection") if key in index
    }
    throughput = _throughput(index.get("ProvisionedThroughput"))
    if throughput:
        shaped["ProvisionedThroughput"] = throughput
    return shaped


class Table(ResourceHandler):
    identifier = "TableName"
    replace_on = frozenset({"TableName", "KeySchema", "LocalSecondaryIndexes"})
    name_property = "TableName"
    required = ("KeySchema",)
    attributes = frozenset({"Arn", "StreamArn"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("TableName") or request.physical_name(255)
        params: dict[str, Any] = {
            "TableName": name,
            "KeySchema": properties.get("KeySchema"),
            "AttributeDefinitions": properties.get("AttributeDefinitions", []),
            "BillingMode": properties.get("BillingMode", "PROVISIONED"),
        }
        throughput = _throughput(properties.get("ProvisionedThroughput"))
        if throughput:
            params["ProvisionedThroughput"] = throughput
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if properties.get(key):
                params[key] = [_index(index) for index in properties[key]]
        stream = properties.get("StreamSpecification")
        if stream:
            params["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": stream["StreamViewType"],
            }
        sse = properties.get("SSESpecification")
        if sse:
            params["SSESpecification"] = {
                key: (as_bool(value) if key == "SSEEnabled" else value) for key, value in sse.items()
            }
            if "SSEEnabled" in params["SSESpecification"]:
                params["SSESpecification"]["Enabled"] = params["SSESpecification"].pop("SSEEnabled")
        if properties.get("TableClass"):
            params["TableClass"] = properties["TableClass"]
        if "DeletionProtectionEnabled" in properties:
            params["DeletionProtectionEnabled"] = as_bool(properties["DeletionProtectionEnabled"])
        tags = request.user_tags(properties.get("Tags"))
        if tags:
            params["Tags"] = tags
        await request.call("dynamodb", "CreateTable", params)
        await self._settle(request, name)
        await self._settings(request, name, properties, {})
        return name, await self._attributes(request, name)

    async def _settle(self, request: ResourceRequest, name: str) -> None:
        for _ in range(600):
            table = (await request.call("dynamodb", "DescribeTable", {"TableName": name}))["Table"]
            busy = table["TableStatus"] != "ACTIVE" or any(
                index.get("IndexStatus") not in (None, "ACTIVE")
                for index in table.get("GlobalSecondaryIndexes", [])
            )
            if not busy:
                return
            await asyncio.sleep(0.05)
        raise ResourceFailed(f"Table {name} did not become ACTIVE")

    async def _settings(
        self, request: ResourceRequest, name: str, new: dict[str, Any], old: dict[str, Any]
    ) -> None:
        ttl, old_ttl = new.get("TimeToLiveSpecification"), old.get("TimeToLiveSpecification")
        if ttl != old_ttl and (ttl or old_ttl):
            spec = ttl or {**old_ttl, "Enabled": False}  # type: ignore[dict-item]
            await request.call(
                "dynamodb",
                "UpdateTimeToLive",
                {
                    "TableName": name,
                    "TimeToLiveSpecification": {
                        "Enabled": as_bool(spec.get("Enabled")),
                        "AttributeName": spec["AttributeName"],
                    },
                },
            )
        pitr, old_pitr = (
            new.get("PointInTimeRecoverySpecification"),
            old.get("PointInTimeRecoverySpecification"),
        )
        if pitr != old_pitr and (pitr or old_pitr):
            enabled = as_bool((pitr or {}).get("PointInTimeRecoveryEnabled"))
            await request.call(
                "dynamodb",
                "UpdateContinuousBackups",
                {
                    "TableName": name,
                    "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": enabled},
                },
            )

    async def _attributes(self, request: ResourceRequest, name: str) -> dict[str, Any]:
        table = (await request.call("dynamodb", "DescribeTable", {"TableName": name}))["Table"]
        attributes = {"Arn": table["TableArn"]}
        if table.get("LatestStreamArn"):
            attributes["StreamArn"] = table["LatestStreamArn"]
        return attributes

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        name, new, old = request.physical_id, request.properties, request.old_properties
        params: dict[str, Any] = {"TableName": name}
        if new.get("BillingMode", "PROVISIONED") != old.get("BillingMode", "PROVISIONED"):
            params["BillingMode"] = new.get("BillingMode", "PROVISIONED")
        throughput = _throughput(new.get("ProvisionedThroughput"))
        if throughput and throughput != _throughput(old.get("ProvisionedThroughput")):
            params["ProvisionedThroughput"] = throughput
        if new.get("StreamSpecification") != old.get("StreamSpecification"):
            stream = new.get("StreamSpecification")
            params["StreamSpecification"] = (
                {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
                if stream
                else {"StreamEnabled": False}
            )
        if "DeletionProtectionEnabled" in new or "DeletionProtectionEnabled" in old:
            wanted = as_bool(new.get("DeletionProtectionEnabled", False))
            if wanted != as_bool(old.get("DeletionProtectionEnabled", False)):
                params["DeletionProtectionEnabled"] = wanted
        old_indexes = {index["IndexName"]: index for index in old.get("GlobalSecondaryIndexes", [])}
        new_indexes = {index["IndexName"]: index for index in new.get("GlobalSecondaryIndexes", [])}
        updates: list[dict[str, Any]] = []
        for index_name in old_indexes.keys() - new_indexes.keys():
            updates.append({"Delete": {"IndexName": index_name}})
        for index_name in new_indexes.keys() - old_indexes.keys():
            updates.append({"Create": _index(new_indexes[index_name])})
        if len(params) > 1:
            params["AttributeDefinitions"] = new.get("AttributeDefinitions", [])
            await request.call("dynamodb", "UpdateTable", params)
            await self._settle(request, name)
        for update in updates:  # DynamoDB takes one index change per UpdateTable
            await request.call(
                "dynamodb",
                "UpdateTable",
                {
                    "TableName": name,
                    "AttributeDefinitions": new.get("AttributeDefinitions", []),
                    "GlobalSecondaryIndexUpdates": [update],
                },
            )
            await self._settle(request, name)
        await self._settings(request, name, new, old)
        return await self._attributes(request, name)

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        table = (
            await read_or_gone(
                request,
                "dynamodb",
                "DescribeTable",
                {"TableName": request.physical_id},
                "ResourceNotFoundException",
            )
        )["Table"]
        current: dict[str, Any] = {
            "TableName": table["TableName"],
            "KeySchema": table["KeySchema"],
            "BillingMode": (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED"),
        }
        throughput = table.get("ProvisionedThroughput") or {}
        if current["BillingMode"] == "PROVISIONED":
            current["ProvisionedThroughput"] = {
                "ReadCapacityUnits": throughput.get("ReadCapacityUnits"),
                "WriteCapacityUnits": throughput.get("WriteCapacityUnits"),
            }
        return current

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._attributes(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("dynamodb", "DeleteTable", {"TableName": request.physical_id})
        except ResourceFailed as error:
            if error.code != "ResourceNotFoundException":
                raise


_TABLE_KEYS = (
    "TableName",
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "StreamSpecification",
    "SSESpecification",
    "TimeToLiveSpecification",
)


class GlobalTable(ResourceHandler):
    """One table whose replicas (DynamoDB's version 2019.11.21 global tables) live in the
    regions its Replicas list, made through UpdateTable's ReplicaUpdates."""

    replace_on = frozenset({"TableName", "KeySchema", "LocalSecondaryIndexes"})
    name_property = "TableName"
    required = ("AttributeDefinitions", "KeySchema", "Replicas")
    attributes = frozenset({"Arn", "StreamArn", "TableId"})

    @staticmethod
    def _as_table(request: ResourceRequest, properties: dict[str, Any]) -> ResourceRequest:
        table = {key: properties[key] for key in _TABLE_KEYS if key in properties}
        here: dict[str, Any] = next(
            (r for r in properties.get("Replicas", []) if r.get("Region") == request.region), {}
        )
        if here.get("PointInTimeRecoverySpecification"):
            table["PointInTimeRecoverySpecification"] = here["PointInTimeRecoverySpecification"]
        if here.get("Tags"):
            table["Tags"] = here["Tags"]
        capacity = (properties.get("WriteProvisionedThroughputSettings") or {}).get(
            "WriteCapacityAutoScalingSettings"
        )
        if table.get("BillingMode") == "PROVISIONED" and capacity:
            units = capacity.get("MinCapacity", 1)
            table["ProvisionedThroughput"] = {"ReadCapacityUnits": units, "WriteCapacityUnits": units}
        return ResourceRequest(**{**request.__dict__, "properties": table})

    @staticmethod
    def _regions(request: ResourceRequest, properties: dict[str, Any]) -> list[str]:
        regions = [str(replica["Region"]) for replica in properties.get("Replicas", [])]
        if request.region not in regions:
            raise ResourceFailed(f"Replicas must include the stack's region {request.region}")
        return [region for region in regions if region != request.region]

    async def _replicas(self, request: ResourceRequest, name: str, add: list[str], remove: list[str]) -> None:
        table = Table()
        for region in add:
            await request.call(
                "dynamodb",
                "UpdateTable",
                {"TableName": name, "ReplicaUpdates": [{"Create": {"RegionName": region}}]},
            )
            await table._settle(request, name)
        for region in remove:
            await request.call(
                "dynamodb",
                "UpdateTable",
                {"TableName": name, "ReplicaUpdates": [{"Delete": {"RegionName": region}}]},
            )
            await table._settle(request, name)

    async def _attributes(self, request: ResourceRequest, name: str) -> dict[str, Any]:
        table = (await request.call("dynamodb", "DescribeTable", {"TableName": name}))["Table"]
        attributes = {"Arn": table["TableArn"], "TableId": table.get("TableId", "")}
        if table.get("LatestStreamArn"):
            attributes["StreamArn"] = table["LatestStreamArn"]
        return attributes

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        others = self._regions(request, request.properties)
        name, _ = await Table().create(self._as_table(request, request.properties))
        try:
            await self._replicas(request, name, others, [])
        except ResourceFailed:
            await Table().delete(ResourceRequest(**{**request.__dict__, "physical_id": name}))
            raise
        return name, await self._attributes(request, name)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        name = request.physical_id
        new, old = self._regions(request, request.properties), self._regions(request, request.old_properties)
        table_request = self._as_table(request, request.properties)
        table_request.old_properties = self._as_table(request, request.old_properties).properties
        await Table().update(table_request)
        await self._replicas(
            request, name, [r for r in new if r not in old], [r for r in old if r not in new]
        )
        return await self._attributes(request, name)

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await self._replicas(request, request.physical_id, [], self._regions(request, request.properties))
        except ResourceFailed as error:
            if error.code != "ResourceNotFoundException":
                raise
        await Table().delete(request)


HANDLERS = {"AWS::DynamoDB::Table": Table, "AWS::DynamoDB::GlobalTable": GlobalTable}
