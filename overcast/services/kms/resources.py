"""KMS's CloudFormation resource types, AWS::KMS::Key and AWS::KMS::Alias, through the KMS
provider's own operations."""

from __future__ import annotations

from typing import Any

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceGone,
    ResourceHandler,
    ResourceRequest,
    as_bool,
    as_int,
    policy_text,
    read_or_gone,
)


def _default_policy(request: ResourceRequest) -> str:
    return policy_text(
        {
            "Version": "2012-10-17",
            "Id": "key-default-1",
            "Statement": [
                {
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{request.partition}:iam::{request.account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    )


class Key(ResourceHandler):
    replace_on = frozenset({"KeySpec", "KeyUsage", "MultiRegion", "Origin"})
    attributes = frozenset({"Arn", "KeyId"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {
            "Policy": policy_text(properties["KeyPolicy"])
            if properties.get("KeyPolicy")
            else _default_policy(request)
        }
        for key in ("Description", "KeySpec", "KeyUsage", "Origin"):
            if properties.get(key):
                params[key] = properties[key]
        if properties.get("MultiRegion") is not None:
            params["MultiRegion"] = as_bool(properties["MultiRegion"])
        if properties.get("BypassPolicyLockoutSafetyCheck") is not None:
            params["BypassPolicyLockoutSafetyCheck"] = as_bool(properties["BypassPolicyLockoutSafetyCheck"])
        tags = request.user_tags(properties.get("Tags"))
        if tags:
            params["Tags"] = [{"TagKey": tag["Key"], "TagValue": tag["Value"]} for tag in tags]
        metadata = (await request.call("kms", "CreateKey", params))["KeyMetadata"]
        key_id = metadata["KeyId"]
        try:
            await self._settings(request, key_id, properties, {})
        except ResourceFailed:
            await request.call("kms", "ScheduleKeyDeletion", {"KeyId": key_id, "PendingWindowInDays": 7})
            raise
        return key_id, {"Arn": metadata["Arn"], "KeyId": key_id}

    async def _settings(
        self, request: ResourceRequest, key_id: str, new: dict[str, Any], old: dict[str, Any]
    ) -> None:
        rotation, old_rotation = (
            as_bool(new.get("EnableKeyRotation", False)),
            as_bool(old.get("EnableKeyRotation", False)),
        )
        if rotation != old_rotation:
            await request.call(
                "kms", "EnableKeyRotation" if rotation else "DisableKeyRotation", {"KeyId": key_id}
            )
        enabled, old_enabled = as_bool(new.get("Enabled", True)), as_bool(old.get("Enabled", True))
        if enabled != old_enabled:
            await request.call("kms", "EnableKey" if enabled else "DisableKey", {"KeyId": key_id})

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        key_id, new, old = request.physical_id, request.properties, request.old_properties
        if new.get("Description") != old.get("Description"):
            await request.call(
                "kms", "UpdateKeyDescription", {"KeyId": key_id, "Description": new.get("Description", "")}
            )
        if new.get("KeyPolicy") != old.get("KeyPolicy"):
            policy = policy_text(new["KeyPolicy"]) if new.get("KeyPolicy") else _default_policy(request)
            await request.call(
                "kms", "PutKeyPolicy", {"KeyId": key_id, "PolicyName": "default", "Policy": policy}
            )
        await self._settings(request, key_id, new, old)
        if new.get("Tags") != old.get("Tags"):
            removed = sorted(
                {t["Key"] for t in old.get("Tags", [])} - {t["Key"] for t in new.get("Tags", [])}
            )
            if removed:
                await request.call("kms", "UntagResource", {"KeyId": key_id, "TagKeys": removed})
            if new.get("Tags"):
                await request.call(
                    "kms",
                    "TagResource",
                    {
                        "KeyId": key_id,
                        "Tags": [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in new["Tags"]],
                    },
                )
        return request.attributes

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        metadata = (
            await read_or_gone(
                request, "kms", "DescribeKey", {"KeyId": request.physical_id}, "NotFoundException"
            )
        )["KeyMetadata"]
        if metadata.get("KeyState") == "PendingDeletion":
            raise ResourceGone
        rotation = await request.call("kms", "GetKeyRotationStatus", {"KeyId": request.physical_id})
        return {
            "Description": metadata.get("Description", ""),
            "Enabled": metadata.get("Enabled", True),
            "EnableKeyRotation": rotation.get("KeyRotationEnabled", False),
            "KeySpec": metadata.get("KeySpec"),
            "KeyUsage": metadata.get("KeyUsage"),
        }

    async def delete(self, request: ResourceRequest) -> None:
        window = as_int(request.properties.get("PendingWindowInDays")) or 30
        try:
            await request.call(
                "kms", "ScheduleKeyDeletion", {"KeyId": request.physical_id, "PendingWindowInDays": window}
            )
        except ResourceFailed as error:
            if error.code not in ("NotFoundException", "KMSInvalidStateException"):
                raise


class Alias(ResourceHandler):
    replace_on = frozenset({"AliasName"})
    name_property = "AliasName"
    required = ("AliasName", "TargetKeyId")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        await request.call(
            "kms",
            "CreateAlias",
            {"AliasName": properties["AliasName"], "TargetKeyId": properties["TargetKeyId"]},
        )
        return properties["AliasName"], {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call(
            "kms",
            "UpdateAlias",
            {"AliasName": request.physical_id, "TargetKeyId": request.properties["TargetKeyId"]},
        )
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("kms", "DeleteAlias", {"AliasName": request.physical_id})
        except ResourceFailed as error:
            if error.code != "NotFoundException":
                raise


class ReplicaKey(ResourceHandler):
    """A replica, in the stack's region, of a multi-Region primary key in another region:
    ReplicateKey is asked of the primary's region, as KMS requires."""

    replace_on = frozenset({"PrimaryKeyArn"})
    required = ("PrimaryKeyArn", "KeyPolicy")
    attributes = frozenset({"Arn", "KeyId"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        from overcast.common.arns import parse_arn
        from overcast.services.cloudformation.handlers import call

        properties = request.properties
        primary = parse_arn(properties["PrimaryKeyArn"])
        if primary is None or primary.service != "kms":
            raise ResourceFailed(
                f"Invalid PrimaryKeyArn {properties['PrimaryKeyArn']}", "ValidationException"
            )
        params: dict[str, Any] = {
            "KeyId": properties["PrimaryKeyArn"],
            "ReplicaRegion": request.region,
            "Policy": policy_text(properties["KeyPolicy"]),
        }
        if properties.get("Description"):
            params["Description"] = properties["Description"]
        tags = request.user_tags(properties.get("Tags"))
        if tags:
            params["Tags"] = [{"TagKey": tag["Key"], "TagValue": tag["Value"]} for tag in tags]
        metadata = (
            await call(request.runtime, "kms", "ReplicateKey", request.account, primary.region, params)
        )["ReplicaKeyMetadata"]
        key_id = metadata["KeyId"]
        if not as_bool(properties.get("Enabled", True)):
            await request.call("kms", "DisableKey", {"KeyId": key_id})
        return key_id, {"Arn": metadata["Arn"], "KeyId": key_id}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        key_id, new, old = request.physical_id, request.properties, request.old_properties
        if new.get("Description", "") != old.get("Description", ""):
            await request.call(
                "kms", "UpdateKeyDescription", {"KeyId": key_id, "Description": new.get("Description", "")}
            )
        if new.get("KeyPolicy") != old.get("KeyPolicy"):
            await request.call(
                "kms",
                "PutKeyPolicy",
                {"KeyId": key_id, "PolicyName": "default", "Policy": policy_text(new["KeyPolicy"])},
            )
        enabled, was = as_bool(new.get("Enabled", True)), as_bool(old.get("Enabled", True))
        if enabled != was:
            await request.call("kms", "EnableKey" if enabled else "DisableKey", {"KeyId": key_id})
        metadata = (await request.call("kms", "DescribeKey", {"KeyId": key_id}))["KeyMetadata"]
        return {"Arn": metadata["Arn"], "KeyId": key_id}

    async def delete(self, request: ResourceRequest) -> None:
        params: dict[str, Any] = {"KeyId": request.physical_id}
        if request.properties.get("PendingWindowInDays"):
            params["PendingWindowInDays"] = as_int(request.properties["PendingWindowInDays"])
        try:
            await request.call("kms", "ScheduleKeyDeletion", params)
        except ResourceFailed as error:
            if error.code not in ("NotFoundException", "KMSInvalidStateException"):
                raise


HANDLERS = {
    "AWS::KMS::Key": Key,
    "AWS::KMS::Alias": Alias,
    "AWS::KMS::ReplicaKey": ReplicaKey,
}
