"""EventBridge's CloudFormation resource types, AWS::Events::Rule and AWS::Events::EventBus,
through the EventBridge provider's own operations."""

from __future__ import annotations

import json
from typing import Any

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceHandler,
    ResourceRequest,
    read_or_gone,
)

_TARGET_KEYS = (
    "Id",
    "Arn",
    "RoleArn",
    "Input",
    "InputPath",
    "InputTransformer",
    "SqsParameters",
    "DeadLetterConfig",
    "RetryPolicy",
    "HttpParameters",
    "KinesisParameters",
    "RunCommandParameters",
    "EcsParameters",
    "BatchParameters",
    "AppSyncParameters",
    "RedshiftDataParameters",
    "SageMakerPipelineParameters",
)


def _target(target: dict[str, Any]) -> dict[str, Any]:
    shaped = {key: target[key] for key in _TARGET_KEYS if key in target}
    retry = shaped.get("RetryPolicy")
    if retry:
        shaped["RetryPolicy"] = {key: int(value) for key, value in retry.items()}
    return shaped


class Rule(ResourceHandler):
    replace_on = frozenset({"Name", "EventBusName"})
    name_property = "Name"
    attributes = frozenset({"Arn"})

    def _rule(self, request: ResourceRequest, name: str) -> dict[str, Any]:
        properties = request.properties
        params: dict[str, Any] = {"Name": name, "State": properties.get("State", "ENABLED")}
        if properties.get("EventPattern") is not None:
            pattern = properties["EventPattern"]
            params["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
        for key in ("ScheduleExpression", "Description", "RoleArn", "EventBusName"):
            if properties.get(key):
                params[key] = properties[key]
        return params

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("Name") or request.physical_name(64)
        params = self._rule(request, name)
        tags = request.user_tags(properties.get("Tags"))
        if tags:
            params["Tags"] = tags
        arn = (await request.call("events", "PutRule", params))["RuleArn"]
        bus = properties.get("EventBusName")
        try:
            await self._targets(request, name, bus, properties.get("Targets", []), [])
        except ResourceFailed:
            await self._remove(request, name, bus, properties.get("Targets", []))
            raise
        physical_id = f"{bus}|{name}" if bus and bus != "default" else name
        return physical_id, {"Arn": arn}

    async def _targets(
        self,
        request: ResourceRequest,
        name: str,
        bus: str | None,
        targets: list[dict[str, Any]],
        old: list[dict[str, Any]],
    ) -> None:
        scope = {"Rule": name, **({"EventBusName": bus} if bus else {})}
        removed = sorted({target["Id"] for target in old} - {target["Id"] for target in targets})
        if removed:
            await request.call("events", "RemoveTargets", {**scope, "Ids": removed})
        if targets:
            output = await request.call(
                "events", "PutTargets", {**scope, "Targets": [_target(target) for target in targets]}
            )
            if output.get("FailedEntryCount"):
                entry = output["FailedEntries"][0]
                raise ResourceFailed(f"{entry.get('ErrorCode')}: {entry.get('ErrorMessage')}")

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        name = request.physical_id.split("|")[-1]
        arn = (await request.call("events", "PutRule", self._rule(request, name)))["RuleArn"]
        await self._targets(
            request,
            name,
            request.properties.get("EventBusName"),
            request.properties.get("Targets", []),
            request.old_properties.get("Targets", []),
        )
        return {"Arn": arn}

    async def _remove(
        self, request: ResourceRequest, name: str, bus: str | None, targets: list[dict[str, Any]]
    ) -> None:
        scope = {"Name": name, **({"EventBusName": bus} if bus else {})}
        try:
            if targets:
                await request.call(
                    "events",
                    "RemoveTargets",
                    {
                        "Rule": name,
                        "Ids": [target["Id"] for target in targets],
                        **({"EventBusName": bus} if bus else {}),
                    },
                )
            await request.call("events", "DeleteRule", scope)
        except ResourceFailed as error:
            if error.code != "ResourceNotFoundException":
                raise

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        params: dict[str, Any] = {"Name": request.physical_id.split("|")[-1]}
        if request.properties.get("EventBusName"):
            params["EventBusName"] = request.properties["EventBusName"]
        rule = await read_or_gone(request, "events", "DescribeRule", params, "ResourceNotFoundException")
        current: dict[str, Any] = {"Name": rule["Name"], "State": rule.get("State")}
        for key in ("ScheduleExpression", "Description", "RoleArn"):
            if rule.get(key):
                current[key] = rule[key]
        if rule.get("EventPattern"):
            current["EventPattern"] = json.loads(rule["EventPattern"])
        return current

    async def delete(self, request: ResourceRequest) -> None:
        name = request.physical_id.split("|")[-1]
        await self._remove(
            request, name, request.properties.get("EventBusName"), request.properties.get("Targets", [])
        )


class EventBus(ResourceHandler):
    replace_on = frozenset({"Name", "EventSourceName"})
    name_property = "Name"
    required = ("Name",)
    attributes = frozenset({"Arn", "Name", "Policy"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {"Name": properties["Name"]}
        for key in ("EventSourceName", "Description", "KmsKeyIdentifier", "DeadLetterConfig"):
            if properties.get(key):
                params[key] = properties[key]
        tags = request.user_tags(properties.get("Tags"))
        if tags:
            params["Tags"] = tags
        arn = (await request.call("events", "CreateEventBus", params))["EventBusArn"]
        policy = properties.get("Policy")
        if policy:
            await request.call(
                "events",
                "PutPermission",
                {
                    "EventBusName": properties["Name"],
                    "Policy": policy if isinstance(policy, str) else json.dumps(policy),
                },
            )
        return properties["Name"], {
            "Arn": arn,
            "Name": properties["Name"],
            "Policy": json.dumps(policy) if isinstance(policy, dict) else policy or "",
        }

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        properties = request.properties
        params: dict[str, Any] = {"Name": request.physical_id}
        for key in ("Description", "KmsKeyIdentifier", "DeadLetterConfig"):
            if key in properties:
                params[key] = properties[key]
        arn = (await request.call("events", "UpdateEventBus", params))["Arn"]
        policy = properties.get("Policy")
        if policy != request.old_properties.get("Policy"):
            if policy:
                await request.call(
                    "events",
                    "PutPermission",
                    {
                        "EventBusName": request.physical_id,
                        "Policy": policy if isinstance(policy, str) else json.dumps(policy),
                    },
                )
            else:
                await request.call(
                    "events",
                    "RemovePermission",
                    {"EventBusName": request.physical_id, "RemoveAllPermissions": True},
                )
        return {
            "Arn": arn,
            "Name": request.physical_id,
            "Policy": json.dumps(policy) if isinstance(policy, dict) else policy or "",
        }

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("events", "DeleteEventBus", {"Name": request.physical_id})
        except ResourceFailed as error:
            if error.code != "ResourceNotFoundException":
                raise


class Archive(ResourceHandler):
    replace_on = frozenset({"ArchiveName", "SourceArn"})
    name_property = "ArchiveName"
    required = ("SourceArn",)
    attributes = frozenset({"Arn", "ArchiveName"})

    @staticmethod
    def _settings(properties: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if properties.get("EventPattern") is not None:
            pattern = properties["EventPattern"]
            params["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
        if properties.get("Description"):
            params["Description"] = properties["Description"]
        if properties.get("RetentionDays") is not None:
            params["RetentionDays"] = int(properties["RetentionDays"])
        return params

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("ArchiveName") or request.physical_name(48)
        output = await request.call(
            "events",
            "CreateArchive",
            {"ArchiveName": name, "EventSourceArn": properties["SourceArn"], **self._settings(properties)},
        )
        return name, {"Arn": output["ArchiveArn"], "ArchiveName": name}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        output = await request.call(
            "events",
            "UpdateArchive",
            {"ArchiveName": request.physical_id, **self._settings(request.properties)},
        )
        return {"Arn": output["ArchiveArn"], "ArchiveName": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("events", "DeleteArchive", {"ArchiveName": request.physical_id})
        except ResourceFailed as error:
            if error.code != "ResourceNotFoundException":
                raise


class Connection(ResourceHandler):
    replace_on = frozenset({"Name"})
    name_property = "Name"
    required = ("AuthorizationType", "AuthParameters")
    attributes = frozenset({"Arn", "ArnForPolicy", "SecretArn"})

    async def _attributes(self, request: ResourceRequest, name: str) -> dict[str, Any]:
        described = await request.call("events", "DescribeConnection", {"Name": name})
        arn = described["ConnectionArn"]
        return {"Arn": arn, "ArnForPolicy": arn, "SecretArn": described.get("SecretArn", "")}

    def _settings(self, properties: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {
            key: properties[key]
            for key in ("AuthorizationType", "AuthParameters", "Description")
            if key in properties
        }
        if properties.get("InvocationConnectivityParameters"):
            params["InvocationConnectivityParameters"] = properties["InvocationConnectivityParameters"]
        return params

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        name = request.properties.get("Name") or request.physical_name(64)
        await request.call("events", "CreateConnection", {"Name": name, **self._settings(request.properties)})
        return name, await self._attributes(request, name)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call(
            "events", "UpdateConnection", {"Name": request.physical_id, **self._settings(request.properties)}
        )
        return await self._attributes(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("events", "DeleteConnection", {"Name": request.physical_id})
        except ResourceFailed as error:
            if error.code != "ResourceNotFoundException":
                raise


class ApiDestination(ResourceHandler):
    replace_on = frozenset({"Name"})
    name_property = "Name"
    required = ("ConnectionArn", "HttpMethod", "InvocationEndpoint")
    attributes = frozenset({"Arn", "ArnForPolicy"})

    @staticmethod
    def _settings(properties: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {
            key: properties[key]
            for key in ("ConnectionArn", "HttpMethod", "InvocationEndpoint", "Description")
            if key in properties
        }
        if properties.get("InvocationRateLimitPerSecond") is not None:
            params["InvocationRateLimitPerSecond"] = int(properties["InvocationRateLimitPerSecond"])
        return params

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        name = request.properties.get("Name") or request.physical_name(64)
        arn = (
            await request.call(
                "events", "CreateApiDestination", {"Name": name, **self._settings(request.properties)}
            )
        )["ApiDestinationArn"]
        return name, {"Arn": arn, "ArnForPolicy": arn}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        arn = (
            await request.call(
                "events",
                "UpdateApiDestination",
                {"Name": request.physical_id, **self._settings(request.properties)},
            )
        )["ApiDestinationArn"]
        return {"Arn": arn, "ArnForPolicy": arn}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("events", "DeleteApiDestination", {"Name": request.physical_id})
        except ResourceFailed as error:
            if error.code != "ResourceNotFoundException":
                raise


class EventBusPolicy(ResourceHandler):
    """One statement of an event bus's resource policy; the physical id is
    "{bus}|{statement id}"."""

    replace_on = frozenset({"EventBusName", "StatementId"})
    required = ("StatementId",)

    async def _put(self, request: ResourceRequest) -> None:
        properties = request.properties
        bus = properties.get("EventBusName") or "default"
        sid = properties["StatementId"]
        if properties.get("Statement"):
            described = await request.call("events", "DescribeEventBus", {"Name": bus})
            policy = json.loads(described["Policy"]) if described.get("Policy") else {}
            statements = [s for s in policy.get("Statement", []) if s.get("Sid") != sid]
            statement = {**properties["Statement"], "Sid": sid}
            document = {"Version": policy.get("Version", "2012-10-17"), "Statement": [*statements, statement]}
            await request.call(
                "events", "PutPermission", {"EventBusName": bus, "Policy": json.dumps(document)}
            )
            return
        params: dict[str, Any] = {
            "EventBusName": bus,
            "StatementId": sid,
            "Action": properties.get("Action", "events:PutEvents"),
            "Principal": properties.get("Principal", ""),
        }
        if properties.get("Condition"):
            params["Condition"] = properties["Condition"]
        await request.call("events", "PutPermission", params)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await self._put(request)
        bus = request.properties.get("EventBusName") or "default"
        return f"{bus}|{request.properties['StatementId']}", {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._remove(request)
        await self._put(request)
        return {}

    async def _remove(self, request: ResourceRequest) -> None:
        bus, _, sid = request.physical_id.partition("|")
        try:
            await request.call("events", "RemovePermission", {"EventBusName": bus, "StatementId": sid})
        except ResourceFailed as error:
            if error.code != "ResourceNotFoundException":
                raise

    async def delete(self, request: ResourceRequest) -> None:
        await self._remove(request)


_ENDPOINT_ATTRIBUTES = {
    "Arn": "Arn",
    "EndpointId": "EndpointId",
    "EndpointUrl": "EndpointUrl",
    "State": "State",
    "StateReason": "StateReason",
}


class Endpoint(ResourceHandler):
    identifier = "Name"
    replace_on = frozenset({"Name"})
    name_property = "Name"
    required = ("RoutingConfig", "EventBuses")
    attributes = frozenset(_ENDPOINT_ATTRIBUTES)

    @staticmethod
    def _params(properties: dict[str, Any]) -> dict[str, Any]:
        return {
            key: properties[key]
            for key in ("Description", "RoutingConfig", "ReplicationConfig", "EventBuses", "RoleArn")
            if properties.get(key) is not None
        }

    async def _attributes(self, request: ResourceRequest, name: str) -> dict[str, Any]:
        found = await request.call("events", "DescribeEndpoint", {"Name": name})
        return {attribute: found.get(member, "") for attribute, member in _ENDPOINT_ATTRIBUTES.items()}

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        name = request.properties.get("Name") or request.physical_name(64)
        await request.call("events", "CreateEndpoint", {"Name": name, **self._params(request.properties)})
        return name, await self._attributes(request, name)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call(
            "events", "UpdateEndpoint", {"Name": request.physical_id, **self._params(request.properties)}
        )
        return await self._attributes(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("events", "DeleteEndpoint", {"Name": request.physical_id})
        except ResourceFailed as error:
            if error.code != "ResourceNotFoundException":
                raise

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._attributes(request, request.physical_id)

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        found = await read_or_gone(
            request, "events", "DescribeEndpoint", {"Name": request.physical_id}, "ResourceNotFoundException"
        )
        return {
            key: found[key]
            for key in ("Description", "RoutingConfig", "ReplicationConfig", "EventBuses", "RoleArn")
            if found.get(key) is not None
        }


HANDLERS = {
    "AWS::Events::Rule": Rule,
    "AWS::Events::EventBus": EventBus,
    "AWS::Events::Archive": Archive,
    "AWS::Events::Connection": Connection,
    "AWS::Events::ApiDestination": ApiDestination,
    "AWS::Events::EventBusPolicy": EventBusPolicy,
    "AWS::Events::Endpoint": Endpoint,
}
