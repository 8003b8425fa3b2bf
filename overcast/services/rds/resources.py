"""RDS's CloudFormation resource types, through the RDS provider's own operations. A DB instance
(or cluster) is CREATE_COMPLETE once it is available, as CloudFormation waits for it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from overcast.services.cloudformation.handlers import ResourceFailed, ResourceHandler, ResourceRequest

#: How long a stack waits for an instance or cluster to become available.
WAIT_SECONDS = 600.0


def _tags(request: ResourceRequest, given: Any) -> list[dict[str, str]]:
    return [{"Key": t["Key"], "Value": str(t["Value"])} for t in request.user_tags(given)]


def _bool(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


async def _gone(request: ResourceRequest, operation: str, params: dict[str, Any], *missing: str) -> None:
    try:
        await request.call("rds", operation, params)
    except ResourceFailed as error:
        if error.code not in missing:
            raise


async def _wait_instance(
    request: ResourceRequest, identifier: str, wanted: str = "available"
) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            found = await request.call("rds", "DescribeDBInstances", {"DBInstanceIdentifier": identifier})
        except ResourceFailed as error:
            if wanted == "deleted" and error.code == "DBInstanceNotFound":
                return {}
            raise
        instance = found["DBInstances"][0]
        status = instance["DBInstanceStatus"]
        if status == wanted:
            return dict(instance)
        if status in ("failed", "incompatible-parameters", "incompatible-restore"):
            raise ResourceFailed(f"DB instance {identifier} is {status}")
        if time.monotonic() > deadline:
            raise ResourceFailed(f"DB instance {identifier} did not become {wanted} in time")
        await asyncio.sleep(0.2)


class DBInstance(ResourceHandler):
    identifier = "DBInstanceIdentifier"
    name_property = "DBInstanceIdentifier"
    attributes = frozenset(
        {
            "Endpoint.Address",
            "Endpoint.Port",
            "Endpoint.HostedZoneId",
            "DBInstanceArn",
            "DbiResourceId",
            "MasterUserSecret.SecretArn",
            "DBSystemId",
        }
    )
    replace_on = frozenset(
        {
            "DBInstanceIdentifier",
            "Engine",
            "DBName",
            "MasterUsername",
            "DBClusterIdentifier",
            "SourceDBInstanceIdentifier",
            "DBSnapshotIdentifier",
            "StorageEncrypted",
            "KmsKeyId",
            "AvailabilityZone",
            "CharacterSetName",
            "Timezone",
        }
    )

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        identifier = (p.get("DBInstanceIdentifier") or request.physical_name(63, lowercase=True)).lower()
        if identifier[0].isdigit():
            identifier = "db" + identifier[:61]
        tags = _tags(request, p.get("Tags"))
        if p.get("SourceDBInstanceIdentifier"):
            params: dict[str, Any] = {
                "DBInstanceIdentifier": identifier,
                "SourceDBInstanceIdentifier": p["SourceDBInstanceIdentifier"],
                "Tags": tags,
            }
            for name in ("DBInstanceClass", "Port", "DBParameterGroupName", "VpcSecurityGroups"):
                if p.get(name) is not None:
                    params["VpcSecurityGroupIds" if name == "VpcSecurityGroups" else name] = p[name]
            if "Port" in params:
                params["Port"] = int(params["Port"])
            await request.call("rds", "CreateDBInstanceReadReplica", params)
        elif p.get("DBSnapshotIdentifier"):
            params = {
                "DBInstanceIdentifier": identifier,
                "DBSnapshotIdentifier": p["DBSnapshotIdentifier"],
                "DBInstanceClass": p.get("DBInstanceClass") or "db.t3.micro",
                "Tags": tags,
            }
            await request.call("rds", "RestoreDBInstanceFromDBSnapshot", params)
        else:
            params = {
                "DBInstanceIdentifier": identifier,
                "DBInstanceClass": p.get("DBInstanceClass") or "db.t3.micro",
                "Engine": p.get("Engine") or "",
                "Tags": tags,
            }
            for name in (
                "EngineVersion",
                "MasterUsername",
                "MasterUserPassword",
                "DBName",
                "DBParameterGroupName",
                "DBSubnetGroupName",
                "OptionGroupName",
                "PreferredBackupWindow",
                "PreferredMaintenanceWindow",
                "StorageType",
                "AvailabilityZone",
                "DBClusterIdentifier",
                "CACertificateIdentifier",
                "KmsKeyId",
                "NetworkType",
                "CharacterSetName",
                "LicenseModel",
            ):
                if p.get(name) not in (None, ""):
                    params[name] = p[name]
            for name in (
                "AllocatedStorage",
                "BackupRetentionPeriod",
                "Iops",
                "StorageThroughput",
                "MaxAllocatedStorage",
                "MonitoringInterval",
                "PromotionTier",
                "Port",
            ):
                if _int(p.get(name)) is not None:
                    params[name] = _int(p[name])
            for name in (
                "MultiAZ",
                "PubliclyAccessible",
                "StorageEncrypted",
                "DeletionProtection",
                "CopyTagsToSnapshot",
                "EnableIAMDatabaseAuthentication",
                "AutoMinorVersionUpgrade",
                "ManageMasterUserPassword",
                "EnablePerformanceInsights",
            ):
                if p.get(name) is not None:
                    params[name] = _bool(p[name])
            if p.get("VPCSecurityGroups"):
                params["VpcSecurityGroupIds"] = list(p["VPCSecurityGroups"])
            if p.get("EnableCloudwatchLogsExports"):
                params["EnableCloudwatchLogsExports"] = list(p["EnableCloudwatchLogsExports"])
            await request.call("rds", "CreateDBInstance", params)
        instance = await _wait_instance(request, identifier)
        return identifier, _instance_attributes(instance)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        p = request.properties
        params: dict[str, Any] = {"DBInstanceIdentifier": request.physical_id, "ApplyImmediately": True}
        for name in (
            "DBInstanceClass",
            "EngineVersion",
            "MasterUserPassword",
            "DBParameterGroupName",
            "PreferredBackupWindow",
            "PreferredMaintenanceWindow",
            "StorageType",
            "CACertificateIdentifier",
            "DBSubnetGroupName",
            "OptionGroupName",
        ):
            if p.get(name) not in (None, "") and p.get(name) != request.old_properties.get(name):
                params[name] = p[name]
        for name in ("AllocatedStorage", "BackupRetentionPeriod", "Iops", "MaxAllocatedStorage"):
            if _int(p.get(name)) is not None and p.get(name) != request.old_properties.get(name):
                params[name] = _int(p[name])
        if p.get("Port") is not None and p.get("Port") != request.old_properties.get("Port"):
            params["DBPortNumber"] = int(p["Port"])
        for name in (
            "MultiAZ",
            "PubliclyAccessible",
            "DeletionProtection",
            "CopyTagsToSnapshot",
            "EnableIAMDatabaseAuthentication",
            "AutoMinorVersionUpgrade",
        ):
            if p.get(name) is not None:
                params[name] = _bool(p[name])
        if p.get("VPCSecurityGroups") is not None:
            params["VpcSecurityGroupIds"] = list(p["VPCSecurityGroups"])
        if params.get("EngineVersion"):
            params["AllowMajorVersionUpgrade"] = _bool(p.get("AllowMajorVersionUpgrade"))
        await request.call("rds", "ModifyDBInstance", params)
        instance = await _wait_instance(request, request.physical_id)
        arn = instance["DBInstanceArn"]
        old = {t["Key"] for t in request.old_properties.get("Tags") or []}
        new = _tags(request, p.get("Tags"))
        gone = sorted(old - {t["Key"] for t in new})
        if gone:
            await request.call("rds", "RemoveTagsFromResource", {"ResourceName": arn, "TagKeys": gone})
        if new:
            await request.call("rds", "AddTagsToResource", {"ResourceName": arn, "Tags": new})
        return _instance_attributes(instance)

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return _instance_attributes(await _wait_instance(request, request.physical_id))

    async def delete(self, request: ResourceRequest) -> None:
        # A stack's instance goes without a final snapshot unless its DeletionPolicy says Snapshot,
        # which CloudFormation asks for by a snapshot of its own before the delete.
        await _gone(
            request,
            "DeleteDBInstance",
            {"DBInstanceIdentifier": request.physical_id, "SkipFinalSnapshot": True},
            "DBInstanceNotFound",
        )
        await _wait_instance(request, request.physical_id, "deleted")


def _instance_attributes(instance: dict[str, Any]) -> dict[str, Any]:
    out = {
        "Endpoint.Address": instance["Endpoint"]["Address"],
        "Endpoint.Port": str(instance["Endpoint"]["Port"]),
        "Endpoint.HostedZoneId": instance["Endpoint"].get("HostedZoneId", ""),
        "DBInstanceArn": instance["DBInstanceArn"],
        "DbiResourceId": instance["DbiResourceId"],
        "DBSystemId": instance.get("DBSystemId", ""),
    }
    if instance.get("MasterUserSecret"):
        out["MasterUserSecret.SecretArn"] = instance["MasterUserSecret"]["SecretArn"]
    return out


class DBSubnetGroup(ResourceHandler):
    identifier = "DBSubnetGroupName"
    name_property = "DBSubnetGroupName"
    replace_on = frozenset({"DBSubnetGroupName"})
    required = ("DBSubnetGroupDescription", "SubnetIds")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        name = (p.get("DBSubnetGroupName") or request.physical_name(255, lowercase=True)).lower()
        await request.call(
            "rds",
            "CreateDBSubnetGroup",
            {
                "DBSubnetGroupName": name,
                "DBSubnetGroupDescription": p["DBSubnetGroupDescription"],
                "SubnetIds": list(p["SubnetIds"]),
                "Tags": _tags(request, p.get("Tags")),
            },
        )
        return name, {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        p = request.properties
        await request.call(
            "rds",
            "ModifyDBSubnetGroup",
            {
                "DBSubnetGroupName": request.physical_id,
                "DBSubnetGroupDescription": p["DBSubnetGroupDescription"],
                "SubnetIds": list(p["SubnetIds"]),
            },
        )
        return {}

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call("rds", "DescribeDBSubnetGroups", {"DBSubnetGroupName": request.physical_id})
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone(
            request,
            "DeleteDBSubnetGroup",
            {"DBSubnetGroupName": request.physical_id},
            "DBSubnetGroupNotFoundFault",
        )


class _ParameterGroup(ResourceHandler):
    cluster = False
    replace_on = frozenset({"Family", "Description", "DBParameterGroupName", "DBClusterParameterGroupName"})
    required = ("Family", "Description")

    @property
    def _name_key(self) -> str:
        return "DBClusterParameterGroupName" if self.cluster else "DBParameterGroupName"

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        name = (p.get(self._name_key) or request.physical_name(255, lowercase=True)).lower()
        operation = "CreateDBClusterParameterGroup" if self.cluster else "CreateDBParameterGroup"
        await request.call(
            "rds",
            operation,
            {
                self._name_key: name,
                "DBParameterGroupFamily": p["Family"],
                "Description": p["Description"],
                "Tags": _tags(request, p.get("Tags")),
            },
        )
        await self._apply(request, name, p.get("Parameters") or {}, {})
        return name, {self._name_key: name}

    async def _apply(
        self, request: ResourceRequest, name: str, new: dict[str, Any], old: dict[str, Any]
    ) -> None:
        prefix = "DBCluster" if self.cluster else "DB"
        changed = [
            {"ParameterName": k, "ParameterValue": str(v), "ApplyMethod": "pending-reboot"}
            for k, v in new.items()
            if old.get(k) != v
        ]
        for start in range(0, len(changed), 20):
            await request.call(
                "rds",
                f"Modify{prefix}ParameterGroup",
                {self._name_key: name, "Parameters": changed[start : start + 20]},
            )
        removed = [{"ParameterName": k, "ApplyMethod": "pending-reboot"} for k in old if k not in new]
        if removed:
            await request.call(
                "rds", f"Reset{prefix}ParameterGroup", {self._name_key: name, "Parameters": removed}
            )

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._apply(
            request,
            request.physical_id,
            request.properties.get("Parameters") or {},
            request.old_properties.get("Parameters") or {},
        )
        return {self._name_key: request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        operation = "DeleteDBClusterParameterGroup" if self.cluster else "DeleteDBParameterGroup"
        await _gone(request, operation, {self._name_key: request.physical_id}, "DBParameterGroupNotFound")


class DBParameterGroup(_ParameterGroup):
    identifier = "DBParameterGroupName"
    name_property = "DBParameterGroupName"
    attributes = frozenset({"DBParameterGroupName"})


class DBClusterParameterGroup(_ParameterGroup):
    cluster = True
    identifier = "DBClusterParameterGroupName"
    name_property = "DBClusterParameterGroupName"
    attributes = frozenset({"DBClusterParameterGroupName"})


class EventSubscription(ResourceHandler):
    identifier = "SubscriptionName"
    name_property = "SubscriptionName"
    replace_on = frozenset({"SubscriptionName", "SnsTopicArn"})
    required = ("SnsTopicArn",)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        name = p.get("SubscriptionName") or request.physical_name(255)
        params: dict[str, Any] = {
            "SubscriptionName": name,
            "SnsTopicArn": p["SnsTopicArn"],
            "Enabled": _bool(p.get("Enabled", True)),
            "Tags": _tags(request, p.get("Tags")),
        }
        for key in ("SourceType", "SourceIds", "EventCategories"):
            if p.get(key):
                params[key] = p[key]
        await request.call("rds", "CreateEventSubscription", params)
        return name, {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        p = request.properties
        params: dict[str, Any] = {
            "SubscriptionName": request.physical_id,
            "Enabled": _bool(p.get("Enabled", True)),
        }
        if p.get("SourceType"):
            params["SourceType"] = p["SourceType"]
        params["EventCategories"] = list(p.get("EventCategories") or [])
        await request.call("rds", "ModifyEventSubscription", params)
        old, new = set(request.old_properties.get("SourceIds") or []), set(p.get("SourceIds") or [])
        for source in sorted(new - old):
            await request.call(
                "rds",
                "AddSourceIdentifierToSubscription",
                {"SubscriptionName": request.physical_id, "SourceIdentifier": source},
            )
        for source in sorted(old - new):
            await request.call(
                "rds",
                "RemoveSourceIdentifierFromSubscription",
                {"SubscriptionName": request.physical_id, "SourceIdentifier": source},
            )
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone(
            request,
            "DeleteEventSubscription",
            {"SubscriptionName": request.physical_id},
            "SubscriptionNotFound",
        )


class DBProxy(ResourceHandler):
    identifier = "DBProxyName"
    name_property = "DBProxyName"
    replace_on = frozenset({"DBProxyName", "EngineFamily", "VpcSubnetIds"})
    required = ("DBProxyName", "EngineFamily", "RoleArn", "VpcSubnetIds")
    attributes = frozenset({"DBProxyArn", "Endpoint", "VpcId"})

    @staticmethod
    def _attributes(proxy: dict[str, Any]) -> dict[str, Any]:
        return {"DBProxyArn": proxy["DBProxyArn"], "Endpoint": proxy["Endpoint"], "VpcId": proxy["VpcId"]}

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        params: dict[str, Any] = {
            "DBProxyName": p["DBProxyName"],
            "EngineFamily": p["EngineFamily"],
            "RoleArn": p["RoleArn"],
            "VpcSubnetIds": list(p["VpcSubnetIds"]),
            "VpcSecurityGroupIds": list(p.get("VpcSecurityGroupIds") or []),
            "RequireTLS": _bool(p.get("RequireTLS", False)),
            "DebugLogging": _bool(p.get("DebugLogging", False)),
            "Tags": _tags(request, p.get("Tags")),
        }
        if p.get("Auth"):
            params["Auth"] = list(p["Auth"])
        if p.get("IdleClientTimeout") is not None:
            params["IdleClientTimeout"] = _int(p["IdleClientTimeout"])
        proxy = (await request.call("rds", "CreateDBProxy", params))["DBProxy"]
        return proxy["DBProxyName"], self._attributes(proxy)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        p = request.properties
        params: dict[str, Any] = {
            "DBProxyName": request.physical_id,
            "RoleArn": p["RoleArn"],
            "RequireTLS": _bool(p.get("RequireTLS", False)),
            "DebugLogging": _bool(p.get("DebugLogging", False)),
            "SecurityGroups": list(p.get("VpcSecurityGroupIds") or []),
        }
        if p.get("Auth"):
            params["Auth"] = list(p["Auth"])
        if p.get("IdleClientTimeout") is not None:
            params["IdleClientTimeout"] = _int(p["IdleClientTimeout"])
        return self._attributes((await request.call("rds", "ModifyDBProxy", params))["DBProxy"])

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        found = await request.call("rds", "DescribeDBProxies", {"DBProxyName": request.physical_id})
        return self._attributes(found["DBProxies"][0])

    async def delete(self, request: ResourceRequest) -> None:
        await _gone(request, "DeleteDBProxy", {"DBProxyName": request.physical_id}, "DBProxyNotFoundFault")


class DBProxyTargetGroup(ResourceHandler):
    replace_on = frozenset({"DBProxyName", "TargetGroupName"})
    required = ("DBProxyName", "TargetGroupName")
    attributes = frozenset({"TargetGroupArn"})

    async def _register(self, request: ResourceRequest, old: dict[str, Any] | None) -> None:
        p = request.properties
        name, group = p["DBProxyName"], p["TargetGroupName"]
        if p.get("ConnectionPoolConfigurationInfo"):
            pool = {
                k: (_int(v) if k.endswith(("Percent", "Timeout")) else v)
                for k, v in p["ConnectionPoolConfigurationInfo"].items()
            }
            await request.call(
                "rds",
                "ModifyDBProxyTargetGroup",
                {"DBProxyName": name, "TargetGroupName": group, "ConnectionPoolConfig": pool},
            )
        wanted = {
            "DBInstanceIdentifiers": list(p.get("DBInstanceIdentifiers") or []),
            "DBClusterIdentifiers": list(p.get("DBClusterIdentifiers") or []),
        }
        had = {key: list((old or {}).get(key) or []) for key in wanted}
        if wanted == had:
            return
        if any(had.values()):
            await request.call(
                "rds", "DeregisterDBProxyTargets", {"DBProxyName": name, "TargetGroupName": group, **had}
            )
        if any(wanted.values()):
            await request.call(
                "rds", "RegisterDBProxyTargets", {"DBProxyName": name, "TargetGroupName": group, **wanted}
            )

    async def _arn(self, request: ResourceRequest) -> dict[str, Any]:
        p = request.properties
        found = await request.call(
            "rds",
            "DescribeDBProxyTargetGroups",
            {"DBProxyName": p["DBProxyName"], "TargetGroupName": p["TargetGroupName"]},
        )
        return {"TargetGroupArn": found["TargetGroups"][0]["TargetGroupArn"]}

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await self._register(request, None)
        attributes = await self._arn(request)
        return attributes["TargetGroupArn"], attributes

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._register(request, request.old_properties)
        return await self._arn(request)

    async def delete(self, request: ResourceRequest) -> None:
        p = request.properties
        targets = {
            "DBInstanceIdentifiers": list(p.get("DBInstanceIdentifiers") or []),
            "DBClusterIdentifiers": list(p.get("DBClusterIdentifiers") or []),
        }
        if any(targets.values()):
            await _gone(
                request,
                "DeregisterDBProxyTargets",
                {"DBProxyName": p["DBProxyName"], "TargetGroupName": p["TargetGroupName"], **targets},
                "DBProxyNotFoundFault",
                "DBProxyTargetNotFoundFault",
                "DBProxyTargetGroupNotFoundFault",
            )


class DBProxyEndpoint(ResourceHandler):
    identifier = "DBProxyEndpointName"
    name_property = "DBProxyEndpointName"
    replace_on = frozenset({"DBProxyEndpointName", "DBProxyName", "VpcSubnetIds", "TargetRole"})
    required = ("DBProxyEndpointName", "DBProxyName", "VpcSubnetIds")
    attributes = frozenset({"DBProxyEndpointArn", "Endpoint", "VpcId", "IsDefault", "TargetRole"})

    @staticmethod
    def _attributes(endpoint: dict[str, Any]) -> dict[str, Any]:
        return {
            k: endpoint[k] for k in ("DBProxyEndpointArn", "Endpoint", "VpcId", "IsDefault", "TargetRole")
        }

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        endpoint = (
            await request.call(
                "rds",
                "CreateDBProxyEndpoint",
                {
                    "DBProxyName": p["DBProxyName"],
                    "DBProxyEndpointName": p["DBProxyEndpointName"],
                    "VpcSubnetIds": list(p["VpcSubnetIds"]),
                    "VpcSecurityGroupIds": list(p.get("VpcSecurityGroupIds") or []),
                    "TargetRole": p.get("TargetRole") or "READ_WRITE",
                    "Tags": _tags(request, p.get("Tags")),
                },
            )
        )["DBProxyEndpoint"]
        return endpoint["DBProxyEndpointName"], self._attributes(endpoint)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        p = request.properties
        endpoint = await request.call(
            "rds",
            "ModifyDBProxyEndpoint",
            {
                "DBProxyEndpointName": request.physical_id,
                "VpcSecurityGroupIds": list(p.get("VpcSecurityGroupIds") or []),
            },
        )
        return self._attributes(endpoint["DBProxyEndpoint"])

    async def delete(self, request: ResourceRequest) -> None:
        await _gone(
            request,
            "DeleteDBProxyEndpoint",
            {"DBProxyEndpointName": request.physical_id},
            "DBProxyEndpointNotFoundFault",
        )


class DBCluster(ResourceHandler):
    identifier = "DBClusterIdentifier"
    name_property = "DBClusterIdentifier"
    attributes = frozenset(
        {
            "Endpoint.Address",
            "Endpoint.Port",
            "ReadEndpoint.Address",
            "DBClusterArn",
            "DBClusterResourceId",
            "MasterUserSecret.SecretArn",
        }
    )
    replace_on = frozenset(
        {
            "DBClusterIdentifier",
            "Engine",
            "DatabaseName",
            "MasterUsername",
            "SnapshotIdentifier",
            "StorageEncrypted",
            "KmsKeyId",
        }
    )

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        identifier = (p.get("DBClusterIdentifier") or request.physical_name(63, lowercase=True)).lower()
        if identifier[0].isdigit():
            identifier = "db" + identifier[:61]
        params: dict[str, Any] = {
            "DBClusterIdentifier": identifier,
            "Engine": p.get("Engine") or "",
            "Tags": _tags(request, p.get("Tags")),
        }
        for name in (
            "EngineVersion",
            "MasterUsername",
            "MasterUserPassword",
            "DatabaseName",
            "DBClusterParameterGroupName",
            "DBSubnetGroupName",
            "PreferredBackupWindow",
            "PreferredMaintenanceWindow",
            "EngineMode",
            "KmsKeyId",
            "StorageType",
            "NetworkType",
        ):
            if p.get(name) not in (None, ""):
                params[name] = p[name]
        for name in ("Port", "BackupRetentionPeriod"):
            if _int(p.get(name)) is not None:
                params[name] = _int(p[name])
        for name in (
            "StorageEncrypted",
            "DeletionProtection",
            "EnableIAMDatabaseAuthentication",
            "EnableHttpEndpoint",
            "CopyTagsToSnapshot",
            "ManageMasterUserPassword",
        ):
            if p.get(name) is not None:
                params[name] = _bool(p[name])
        if p.get("VpcSecurityGroupIds"):
            params["VpcSecurityGroupIds"] = list(p["VpcSecurityGroupIds"])
        if p.get("ServerlessV2ScalingConfiguration"):
            params["ServerlessV2ScalingConfiguration"] = p["ServerlessV2ScalingConfiguration"]
        if p.get("SnapshotIdentifier"):
            restore = {
                k: v
                for k, v in params.items()
                if k
                in (
                    "DBClusterIdentifier",
                    "Engine",
                    "EngineVersion",
                    "Port",
                    "DBSubnetGroupName",
                    "VpcSecurityGroupIds",
                    "Tags",
                    "DeletionProtection",
                    "DBClusterParameterGroupName",
                )
            }
            await request.call(
                "rds",
                "RestoreDBClusterFromSnapshot",
                {**restore, "SnapshotIdentifier": p["SnapshotIdentifier"]},
            )
        else:
            await request.call("rds", "CreateDBCluster", params)
        return identifier, await self._attributes(request, identifier)

    @staticmethod
    async def _attributes(request: ResourceRequest, identifier: str) -> dict[str, Any]:
        cluster = (await request.call("rds", "DescribeDBClusters", {"DBClusterIdentifier": identifier}))[
            "DBClusters"
        ][0]
        out = {
            "Endpoint.Address": cluster["Endpoint"],
            "Endpoint.Port": str(cluster["Port"]),
            "ReadEndpoint.Address": cluster["ReaderEndpoint"],
            "DBClusterArn": cluster["DBClusterArn"],
            "DBClusterResourceId": cluster["DbClusterResourceId"],
        }
        if cluster.get("MasterUserSecret"):
            out["MasterUserSecret.SecretArn"] = cluster["MasterUserSecret"]["SecretArn"]
        return out

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        p, old = request.properties, request.old_properties
        params: dict[str, Any] = {"DBClusterIdentifier": request.physical_id, "ApplyImmediately": True}
        for name in (
            "MasterUserPassword",
            "DBClusterParameterGroupName",
            "PreferredBackupWindow",
            "PreferredMaintenanceWindow",
        ):
            if p.get(name) not in (None, "") and p.get(name) != old.get(name):
                params[name] = p[name]
        if _int(p.get("BackupRetentionPeriod")) is not None:
            params["BackupRetentionPeriod"] = _int(p["BackupRetentionPeriod"])
        for name in (
            "DeletionProtection",
            "EnableIAMDatabaseAuthentication",
            "EnableHttpEndpoint",
            "CopyTagsToSnapshot",
        ):
            if p.get(name) is not None:
                params[name] = _bool(p[name])
        if p.get("VpcSecurityGroupIds") is not None:
            params["VpcSecurityGroupIds"] = list(p["VpcSecurityGroupIds"])
        await request.call("rds", "ModifyDBCluster", params)
        return await self._attributes(request, request.physical_id)

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._attributes(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        await _gone(
            request,
            "DeleteDBCluster",
            {"DBClusterIdentifier": request.physical_id, "SkipFinalSnapshot": True},
            "DBClusterNotFoundFault",
        )


def _option(config: dict[str, Any]) -> dict[str, Any]:
    """One OptionConfiguration of the template as ModifyOptionGroup's OptionsToInclude entry."""
    option: dict[str, Any] = {"OptionName": config["OptionName"]}
    if config.get("Port") not in (None, ""):
        option["Port"] = int(config["Port"])
    for key in ("OptionVersion", "DBSecurityGroupMemberships", "VpcSecurityGroupMemberships"):
        if config.get(key):
            option[key] = config[key]
    if config.get("OptionSettings"):
        option["OptionSettings"] = [
            {"Name": s["Name"], "Value": str(s.get("Value", ""))} for s in config["OptionSettings"]
        ]
    return option


class OptionGroup(ResourceHandler):
    identifier = "OptionGroupName"
    name_property = "OptionGroupName"
    replace_on = frozenset({"EngineName", "MajorEngineVersion", "OptionGroupDescription", "OptionGroupName"})
    required = ("EngineName", "MajorEngineVersion", "OptionGroupDescription")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        name = (p.get("OptionGroupName") or request.physical_name(255, lowercase=True)).lower()
        await request.call(
            "rds",
            "CreateOptionGroup",
            {
                "OptionGroupName": name,
                "EngineName": p["EngineName"],
                "MajorEngineVersion": str(p["MajorEngineVersion"]),
                "OptionGroupDescription": p["OptionGroupDescription"],
                "Tags": _tags(request, p.get("Tags")),
            },
        )
        try:
            await self._apply(request, name, p.get("OptionConfigurations") or [], [])
        except ResourceFailed:
            await _gone(request, "DeleteOptionGroup", {"OptionGroupName": name}, "OptionGroupNotFoundFault")
            raise
        return name, {}

    async def _apply(
        self, request: ResourceRequest, name: str, new: list[dict[str, Any]], old: list[dict[str, Any]]
    ) -> None:
        wanted = {c["OptionName"] for c in new}
        params: dict[str, Any] = {"OptionGroupName": name, "ApplyImmediately": True}
        include = [_option(c) for c in new if c not in old]
        remove = sorted({c["OptionName"] for c in old} - wanted)
        if include:
            params["OptionsToInclude"] = include
        if remove:
            params["OptionsToRemove"] = remove
        if include or remove:
            await request.call("rds", "ModifyOptionGroup", params)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._apply(
            request,
            request.physical_id,
            request.properties.get("OptionConfigurations") or [],
            request.old_properties.get("OptionConfigurations") or [],
        )
        return {}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        from overcast.services.cloudformation.handlers import read_or_gone

        found = await read_or_gone(
            request,
            "rds",
            "DescribeOptionGroups",
            {"OptionGroupName": request.physical_id},
            "OptionGroupNotFoundFault",
        )
        group = found["OptionGroupsList"][0]
        return {
            "EngineName": group["EngineName"],
            "MajorEngineVersion": group["MajorEngineVersion"],
            "OptionGroupDescription": group["OptionGroupDescription"],
        }

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call("rds", "DescribeOptionGroups", {"OptionGroupName": request.physical_id})
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone(
            request, "DeleteOptionGroup", {"OptionGroupName": request.physical_id}, "OptionGroupNotFoundFault"
        )


class GlobalCluster(ResourceHandler):
    identifier = "GlobalClusterIdentifier"
    name_property = "GlobalClusterIdentifier"
    replace_on = frozenset(
        {"GlobalClusterIdentifier", "SourceDBClusterIdentifier", "StorageEncrypted", "Engine"}
    )
    attributes = frozenset({"GlobalEndpoint.Address"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        identifier = p.get("GlobalClusterIdentifier") or request.physical_name(63, lowercase=True)
        params: dict[str, Any] = {"GlobalClusterIdentifier": identifier}
        for key in ("Engine", "EngineVersion", "EngineLifecycleSupport", "SourceDBClusterIdentifier"):
            if p.get(key):
                params[key] = p[key]
        for key in ("StorageEncrypted", "DeletionProtection"):
            if p.get(key) is not None:
                params[key] = _bool(p[key])
        tags = _tags(request, p.get("Tags"))
        if tags:
            params["Tags"] = tags
        found = await request.call("rds", "CreateGlobalCluster", params)
        return identifier, self._attributes(found["GlobalCluster"])

    @staticmethod
    def _attributes(cluster: dict[str, Any]) -> dict[str, Any]:
        return {"GlobalEndpoint.Address": cluster.get("Endpoint", "")}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        p, old = request.properties, request.old_properties
        params: dict[str, Any] = {"GlobalClusterIdentifier": request.physical_id}
        if _bool(p.get("DeletionProtection", False)) != _bool(old.get("DeletionProtection", False)):
            params["DeletionProtection"] = _bool(p.get("DeletionProtection", False))
        if p.get("EngineVersion") and p.get("EngineVersion") != old.get("EngineVersion"):
            params["EngineVersion"] = p["EngineVersion"]
            params["AllowMajorVersionUpgrade"] = True
        found = await request.call("rds", "ModifyGlobalCluster", params)
        return self._attributes(found["GlobalCluster"])

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        from overcast.services.cloudformation.handlers import read_or_gone

        found = await read_or_gone(
            request,
            "rds",
            "DescribeGlobalClusters",
            {"GlobalClusterIdentifier": request.physical_id},
            "GlobalClusterNotFoundFault",
        )
        cluster = found["GlobalClusters"][0]
        return {
            "Engine": cluster["Engine"],
            "EngineVersion": cluster["EngineVersion"],
            "DeletionProtection": cluster["DeletionProtection"],
            "StorageEncrypted": cluster["StorageEncrypted"],
        }

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        found = await request.call(
            "rds", "DescribeGlobalClusters", {"GlobalClusterIdentifier": request.physical_id}
        )
        return self._attributes(found["GlobalClusters"][0])

    async def delete(self, request: ResourceRequest) -> None:
        identifier = request.physical_id
        try:
            found = await request.call(
                "rds", "DescribeGlobalClusters", {"GlobalClusterIdentifier": identifier}
            )
        except ResourceFailed as error:
            if error.code == "GlobalClusterNotFoundFault":
                return
            raise
        if found["GlobalClusters"][0].get("DeletionProtection"):
            raise ResourceFailed(
                "Cannot delete protected Global Cluster, please disable deletion protection and try again.",
                "InvalidGlobalClusterStateFault",
            )
        await _gone(
            request,
            "DeleteGlobalCluster",
            {"GlobalClusterIdentifier": identifier},
            "GlobalClusterNotFoundFault",
        )


class DBSecurityGroup(ResourceHandler):
    """An EC2-Classic DB security group: RDS no longer creates them, and the stack fails with
    RDS's own refusal."""

    required = ("GroupDescription", "DBSecurityGroupIngress")
    replace_on = frozenset({"GroupDescription", "EC2VpcId"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        name = request.physical_name(255, lowercase=True)
        params: dict[str, Any] = {
            "DBSecurityGroupName": name,
            "DBSecurityGroupDescription": p["GroupDescription"],
        }
        tags = _tags(request, p.get("Tags"))
        if tags:
            params["Tags"] = tags
        await request.call("rds", "CreateDBSecurityGroup", params)
        for rule in p.get("DBSecurityGroupIngress") or []:
            await request.call("rds", "AuthorizeDBSecurityGroupIngress", _ingress(name, rule))
        return name, {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        old = request.old_properties.get("DBSecurityGroupIngress") or []
        new = request.properties.get("DBSecurityGroupIngress") or []
        for rule in old:
            if rule not in new:
                await request.call("rds", "RevokeDBSecurityGroupIngress", _ingress(request.physical_id, rule))
        for rule in new:
            if rule not in old:
                await request.call(
                    "rds", "AuthorizeDBSecurityGroupIngress", _ingress(request.physical_id, rule)
                )
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone(
            request,
            "DeleteDBSecurityGroup",
            {"DBSecurityGroupName": request.physical_id},
            "DBSecurityGroupNotFound",
        )


def _ingress(group: str, rule: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {"DBSecurityGroupName": group}
    for key in ("CIDRIP", "EC2SecurityGroupId", "EC2SecurityGroupName", "EC2SecurityGroupOwnerId"):
        if rule.get(key):
            params[key] = rule[key]
    return params


class DBSecurityGroupIngress(ResourceHandler):
    """One ingress rule of an EC2-Classic DB security group, through RDS's own operation."""

    required = ("DBSecurityGroupName",)
    updatable = False

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await request.call(
            "rds",
            "AuthorizeDBSecurityGroupIngress",
            _ingress(request.properties["DBSecurityGroupName"], request.properties),
        )
        return request.physical_name(255), {}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone(
            request,
            "RevokeDBSecurityGroupIngress",
            _ingress(request.properties["DBSecurityGroupName"], request.properties),
            "DBSecurityGroupNotFound",
            "AuthorizationNotFound",
        )


HANDLERS: dict[str, type[ResourceHandler]] = {
    "AWS::RDS::DBInstance": DBInstance,
    "AWS::RDS::DBSubnetGroup": DBSubnetGroup,
    "AWS::RDS::DBParameterGroup": DBParameterGroup,
    "AWS::RDS::DBCluster": DBCluster,
    "AWS::RDS::DBClusterParameterGroup": DBClusterParameterGroup,
    "AWS::RDS::EventSubscription": EventSubscription,
    "AWS::RDS::DBProxy": DBProxy,
    "AWS::RDS::DBProxyTargetGroup": DBProxyTargetGroup,
    "AWS::RDS::DBProxyEndpoint": DBProxyEndpoint,
    "AWS::RDS::OptionGroup": OptionGroup,
    "AWS::RDS::GlobalCluster": GlobalCluster,
    "AWS::RDS::DBSecurityGroup": DBSecurityGroup,
    "AWS::RDS::DBSecurityGroupIngress": DBSecurityGroupIngress,
}
