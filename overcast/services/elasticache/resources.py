"""ElastiCache's CloudFormation resource types, through the ElastiCache provider's own operations.
A cache cluster, replication group or serverless cache is CREATE_COMPLETE once it is available,
as CloudFormation waits for it; its endpoint attributes name the engine a client reaches."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from overcast.services.cloudformation.handlers import ResourceFailed, ResourceHandler, ResourceRequest

#: How long a stack waits for a cache to become available (or to be gone).
WAIT_SECONDS = 300.0


def _tags(request: ResourceRequest, given: Any) -> list[dict[str, str]]:
    return [{"Key": t["Key"], "Value": str(t["Value"])} for t in request.user_tags(given)]


def _bool(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _copy(properties: dict[str, Any], params: dict[str, Any], names: dict[str, Callable[[Any], Any]]) -> None:
    for name, convert in names.items():
        if properties.get(name) is not None:
            params[name] = convert(properties[name])


async def _gone(request: ResourceRequest, operation: str, params: dict[str, Any], *missing: str) -> None:
    try:
        await request.call("elasticache", operation, params)
    except ResourceFailed as error:
        if error.code not in missing:
            raise


async def _wait(
    request: ResourceRequest,
    describe: Callable[[], Any],
    status_of: Callable[[dict[str, Any]], str],
    missing: str,
    wanted: str = "available",
) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            found = await describe()
        except ResourceFailed as error:
            if wanted == "deleted" and error.code == missing:
                return {}
            raise
        status = status_of(found)
        if status == wanted:
            return dict(found)
        if status in ("failed", "create-failed", "incompatible-network"):
            raise ResourceFailed(f"The cache is {status}")
        if time.monotonic() > deadline:
            raise ResourceFailed(f"The cache did not become {wanted} in time")
        await asyncio.sleep(0.1)


_LIST = list
_INT = int
_STR = str


class CacheCluster(ResourceHandler):
    identifier = "ClusterName"
    name_property = "ClusterName"
    attributes = frozenset(
        {
            "ConfigurationEndpoint.Address",
            "ConfigurationEndpoint.Port",
            "RedisEndpoint.Address",
            "RedisEndpoint.Port",
        }
    )
    replace_on = frozenset(
        {
            "ClusterName",
            "Engine",
            "CacheSubnetGroupName",
            "Port",
            "SnapshotName",
            "SnapshotArns",
            "NetworkType",
        }
    )
    required = ("CacheNodeType", "Engine", "NumCacheNodes")

    async def _cluster(
        self, request: ResourceRequest, name: str, wanted: str = "available"
    ) -> dict[str, Any]:
        async def describe() -> Any:
            found = await request.call(
                "elasticache", "DescribeCacheClusters", {"CacheClusterId": name, "ShowCacheNodeInfo": True}
            )
            return found["CacheClusters"][0]

        return await _wait(
            request, describe, lambda c: c["CacheClusterStatus"], "CacheClusterNotFound", wanted
        )

    @staticmethod
    def _attributes(cluster: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if cluster.get("ConfigurationEndpoint"):
            out["ConfigurationEndpoint.Address"] = cluster["ConfigurationEndpoint"]["Address"]
            out["ConfigurationEndpoint.Port"] = str(cluster["ConfigurationEndpoint"]["Port"])
        if cluster["Engine"] != "memcached" and cluster.get("CacheNodes"):
            out["RedisEndpoint.Address"] = cluster["CacheNodes"][0]["Endpoint"]["Address"]
            out["RedisEndpoint.Port"] = str(cluster["CacheNodes"][0]["Endpoint"]["Port"])
        return out

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        name = (p.get("ClusterName") or request.physical_name(40, lowercase=True)).lower()
        params: dict[str, Any] = {
            "CacheClusterId": name,
            "Engine": p["Engine"],
            "CacheNodeType": p["CacheNodeType"],
            "NumCacheNodes": int(p["NumCacheNodes"]),
            "Tags": _tags(request, p.get("Tags")),
        }
        _copy(
            p,
            params,
            {
                "EngineVersion": _STR, "CacheParameterGroupName": _STR, "CacheSubnetGroupName": _STR,
                "CacheSecurityGroupNames": _LIST, "Port": _INT, "SnapshotName": _STR, "SnapshotArns": _LIST,
                "PreferredAvailabilityZone": _STR, "PreferredMaintenanceWindow": _STR, "AZMode": _STR,
                "SnapshotRetentionLimit": _INT, "SnapshotWindow": _STR, "NotificationTopicArn": _STR,
                "TransitEncryptionEnabled": _bool, "AutoMinorVersionUpgrade": _bool, "NetworkType": _STR,
                "IpDiscovery": _STR,
            },
        )  # fmt: skip
        if p.get("VpcSecurityGroupIds") is not None:
            params["SecurityGroupIds"] = list(p["VpcSecurityGroupIds"])
        await request.call("elasticache", "CreateCacheCluster", params)
        return name, self._attributes(await self._cluster(request, name))

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        p = request.properties
        params: dict[str, Any] = {"CacheClusterId": request.physical_id, "ApplyImmediately": True}
        _copy(
            p,
            params,
            {
                "NumCacheNodes": _INT, "CacheParameterGroupName": _STR, "EngineVersion": _STR,
                "CacheNodeType": _STR, "SnapshotRetentionLimit": _INT, "SnapshotWindow": _STR,
                "PreferredMaintenanceWindow": _STR, "AutoMinorVersionUpgrade": _bool,
            },
        )  # fmt: skip
        current = await self._cluster(request, request.physical_id)
        count = params.get("NumCacheNodes")
        if count is not None and count < len(current.get("CacheNodes") or []):
            params["CacheNodeIdsToRemove"] = [n["CacheNodeId"] for n in current["CacheNodes"]][count:]
        if p.get("VpcSecurityGroupIds") is not None:
            params["SecurityGroupIds"] = list(p["VpcSecurityGroupIds"])
        await request.call("elasticache", "ModifyCacheCluster", params)
        return self._attributes(await self._cluster(request, request.physical_id))

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return self._attributes(await self._cluster(request, request.physical_id))

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await self._cluster(request, request.physical_id)
        except ResourceFailed as error:
            if error.code == "CacheClusterNotFound":
                return
            # A failed cache is deleted as it is; anything else waits until it settles.
        await _gone(
            request, "DeleteCacheCluster", {"CacheClusterId": request.physical_id}, "CacheClusterNotFound"
        )
        await self._cluster(request, request.physical_id, "deleted")


class ReplicationGroup(ResourceHandler):
    identifier = "ReplicationGroupId"
    name_property = "ReplicationGroupId"
    attributes = frozenset(
        {
            "PrimaryEndPoint.Address", "PrimaryEndPoint.Port", "ReaderEndPoint.Address", "ReaderEndPoint.Port",
            "ReadEndPoint.Addresses", "ReadEndPoint.Ports", "ReadEndPoint.Addresses.List", "ReadEndPoint.Ports.List",
        }
    )  # fmt: skip
    replace_on = frozenset(
        {
            "ReplicationGroupId", "Engine", "CacheSubnetGroupName", "Port", "SnapshotName", "SnapshotArns",
            "NumNodeGroups", "AtRestEncryptionEnabled", "KmsKeyId", "PrimaryClusterId", "GlobalReplicationGroupId",
        }
    )  # fmt: skip
    required = ("ReplicationGroupDescription",)

    async def _group(self, request: ResourceRequest, name: str, wanted: str = "available") -> dict[str, Any]:
        async def describe() -> Any:
            found = await request.call(
                "elasticache", "DescribeReplicationGroups", {"ReplicationGroupId": name}
            )
            return found["ReplicationGroups"][0]

        return await _wait(request, describe, lambda g: g["Status"], "ReplicationGroupNotFoundFault", wanted)

    @staticmethod
    def _attributes(group: dict[str, Any]) -> dict[str, Any]:
        node_group = group["NodeGroups"][0]
        reads = [m["ReadEndpoint"] for m in node_group["NodeGroupMembers"]]
        return {
            "PrimaryEndPoint.Address": node_group["PrimaryEndpoint"]["Address"],
            "PrimaryEndPoint.Port": str(node_group["PrimaryEndpoint"]["Port"]),
            "ReaderEndPoint.Address": node_group["ReaderEndpoint"]["Address"],
            "ReaderEndPoint.Port": str(node_group["ReaderEndpoint"]["Port"]),
            "ReadEndPoint.Addresses": ",".join(r["Address"] for r in reads),
            "ReadEndPoint.Ports": ",".join(str(r["Port"]) for r in reads),
            "ReadEndPoint.Addresses.List": [r["Address"] for r in reads],
            "ReadEndPoint.Ports.List": [str(r["Port"]) for r in reads],
        }

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        name = (p.get("ReplicationGroupId") or request.physical_name(40, lowercase=True)).lower()
        params: dict[str, Any] = {
            "ReplicationGroupId": name,
            "ReplicationGroupDescription": p["ReplicationGroupDescription"],
            "Tags": _tags(request, p.get("Tags")),
        }
        _copy(
            p,
            params,
            {
                "Engine": _STR, "EngineVersion": _STR, "CacheNodeType": _STR, "NumCacheClusters": _INT,
                "ReplicasPerNodeGroup": _INT, "NumNodeGroups": _INT, "AutomaticFailoverEnabled": _bool,
                "MultiAZEnabled": _bool, "AuthToken": _STR, "TransitEncryptionEnabled": _bool,
                "AtRestEncryptionEnabled": _bool, "KmsKeyId": _STR, "CacheParameterGroupName": _STR,
                "CacheSubnetGroupName": _STR, "SecurityGroupIds": _LIST, "SnapshotName": _STR,
                "SnapshotArns": _LIST, "UserGroupIds": _LIST, "PrimaryClusterId": _STR, "Port": _INT,
                "SnapshotRetentionLimit": _INT, "SnapshotWindow": _STR, "PreferredMaintenanceWindow": _STR,
                "PreferredCacheClusterAZs": _LIST, "GlobalReplicationGroupId": _STR, "TransitEncryptionMode": _STR,
                "ClusterMode": _STR, "NetworkType": _STR, "IpDiscovery": _STR, "AutoMinorVersionUpgrade": _bool,
            },
        )  # fmt: skip
        await request.call("elasticache", "CreateReplicationGroup", params)
        return name, self._attributes(await self._group(request, name))

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        p, old = request.properties, request.old_properties
        params: dict[str, Any] = {"ReplicationGroupId": request.physical_id, "ApplyImmediately": True}
        _copy(
            p,
            params,
            {
                "ReplicationGroupDescription": _STR, "AutomaticFailoverEnabled": _bool, "MultiAZEnabled": _bool,
                "CacheParameterGroupName": _STR, "EngineVersion": _STR, "CacheNodeType": _STR,
                "SnapshotRetentionLimit": _INT, "SnapshotWindow": _STR, "PreferredMaintenanceWindow": _STR,
            },
        )  # fmt: skip
        if p.get("AuthToken") and p.get("AuthToken") != old.get("AuthToken"):
            params.update(AuthToken=p["AuthToken"], AuthTokenUpdateStrategy="ROTATE")
        before, after = set(old.get("UserGroupIds") or []), set(p.get("UserGroupIds") or [])
        if after - before:
            params["UserGroupIdsToAdd"] = sorted(after - before)
        if before - after:
            params["UserGroupIdsToRemove"] = sorted(before - after)
        await request.call("elasticache", "ModifyReplicationGroup", params)
        group = await self._group(request, request.physical_id)
        wanted = p.get("NumCacheClusters")
        if wanted is not None and int(wanted) != len(group["MemberClusters"]):
            operation = (
                "IncreaseReplicaCount"
                if int(wanted) > len(group["MemberClusters"])
                else "DecreaseReplicaCount"
            )
            await request.call(
                "elasticache",
                operation,
                {
                    "ReplicationGroupId": request.physical_id,
                    "NewReplicaCount": int(wanted) - 1,
                    "ApplyImmediately": True,
                },
            )
            group = await self._group(request, request.physical_id)
        return self._attributes(group)

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return self._attributes(await self._group(request, request.physical_id))

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await self._group(request, request.physical_id)
        except ResourceFailed as error:
            if error.code == "ReplicationGroupNotFoundFault":
                return
            # A failed cache is deleted as it is; anything else waits until it settles.
        await _gone(
            request,
            "DeleteReplicationGroup",
            {"ReplicationGroupId": request.physical_id},
            "ReplicationGroupNotFoundFault",
        )
        await self._group(request, request.physical_id, "deleted")


class SubnetGroup(ResourceHandler):
    identifier = "CacheSubnetGroupName"
    name_property = "CacheSubnetGroupName"
    replace_on = frozenset({"CacheSubnetGroupName"})
    required = ("Description", "SubnetIds")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        name = (p.get("CacheSubnetGroupName") or request.physical_name(255, lowercase=True)).lower()
        await request.call(
            "elasticache",
            "CreateCacheSubnetGroup",
            {
                "CacheSubnetGroupName": name,
                "CacheSubnetGroupDescription": p["Description"],
                "SubnetIds": list(p["SubnetIds"]),
                "Tags": _tags(request, p.get("Tags")),
            },
        )
        return name, {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        p = request.properties
        await request.call(
            "elasticache",
            "ModifyCacheSubnetGroup",
            {
                "CacheSubnetGroupName": request.physical_id,
                "CacheSubnetGroupDescription": p["Description"],
                "SubnetIds": list(p["SubnetIds"]),
            },
        )
        return {}

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call(
            "elasticache", "DescribeCacheSubnetGroups", {"CacheSubnetGroupName": request.physical_id}
        )
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone(
            request,
            "DeleteCacheSubnetGroup",
            {"CacheSubnetGroupName": request.physical_id},
            "CacheSubnetGroupNotFoundFault",
        )


class ParameterGroup(ResourceHandler):
    identifier = "CacheParameterGroupName"
    name_property = "CacheParameterGroupName"
    replace_on = frozenset({"CacheParameterGroupFamily", "CacheParameterGroupName", "Description"})
    required = ("CacheParameterGroupFamily", "Description")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        name = (p.get("CacheParameterGroupName") or request.physical_name(255, lowercase=True)).lower()
        await request.call(
            "elasticache",
            "CreateCacheParameterGroup",
            {
                "CacheParameterGroupName": name,
                "CacheParameterGroupFamily": p["CacheParameterGroupFamily"],
                "Description": p["Description"],
                "Tags": _tags(request, p.get("Tags")),
            },
        )
        await self._apply(request, name, p.get("Properties") or {}, {})
        return name, {}

    async def _apply(
        self, request: ResourceRequest, name: str, new: dict[str, Any], old: dict[str, Any]
    ) -> None:
        changed = [{"ParameterName": k, "ParameterValue": str(v)} for k, v in new.items() if old.get(k) != v]
        if changed:
            await request.call(
                "elasticache",
                "ModifyCacheParameterGroup",
                {"CacheParameterGroupName": name, "ParameterNameValues": changed},
            )
        gone = [{"ParameterName": k} for k in old if k not in new]
        if gone:
            await request.call(
                "elasticache",
                "ResetCacheParameterGroup",
                {"CacheParameterGroupName": name, "ParameterNameValues": gone},
            )

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._apply(
            request,
            request.physical_id,
            request.properties.get("Properties") or {},
            request.old_properties.get("Properties") or {},
        )
        return {}

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call(
            "elasticache", "DescribeCacheParameterGroups", {"CacheParameterGroupName": request.physical_id}
        )
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone(
            request,
            "DeleteCacheParameterGroup",
            {"CacheParameterGroupName": request.physical_id},
            "CacheParameterGroupNotFound",
        )


class User(ResourceHandler):
    identifier = "UserId"
    attributes = frozenset({"Arn", "Status"})
    replace_on = frozenset({"UserId", "UserName", "Engine"})
    required = ("UserId", "UserName", "Engine")

    def _auth(self, p: dict[str, Any], params: dict[str, Any]) -> None:
        if p.get("AuthenticationMode"):
            mode = dict(p["AuthenticationMode"])
            params["AuthenticationMode"] = {
                "Type": mode["Type"],
                **({"Passwords": list(mode["Passwords"])} if mode.get("Passwords") else {}),
            }
        if p.get("Passwords"):
            params["Passwords"] = list(p["Passwords"])
        if p.get("NoPasswordRequired") is not None:
            params["NoPasswordRequired"] = _bool(p["NoPasswordRequired"])

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        params: dict[str, Any] = {
            "UserId": p["UserId"],
            "UserName": p["UserName"],
            "Engine": p["Engine"],
            "AccessString": p.get("AccessString") or "off -@all",
            "Tags": _tags(request, p.get("Tags")),
        }
        self._auth(p, params)
        user = await request.call("elasticache", "CreateUser", params)
        return p["UserId"], {"Arn": user["ARN"], "Status": user["Status"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        p = request.properties
        params: dict[str, Any] = {"UserId": request.physical_id}
        if p.get("AccessString"):
            params["AccessString"] = p["AccessString"]
        self._auth(p, params)
        user = await request.call("elasticache", "ModifyUser", params)
        return {"Arn": user["ARN"], "Status": user["Status"]}

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        found = await request.call("elasticache", "DescribeUsers", {"UserId": request.physical_id})
        user = found["Users"][0]
        return {"Arn": user["ARN"], "Status": user["Status"]}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone(request, "DeleteUser", {"UserId": request.physical_id}, "UserNotFound")


class UserGroup(ResourceHandler):
    identifier = "UserGroupId"
    attributes = frozenset({"Arn", "Status"})
    replace_on = frozenset({"UserGroupId", "Engine"})
    required = ("UserGroupId", "Engine", "UserIds")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        group = await request.call(
            "elasticache",
            "CreateUserGroup",
            {
                "UserGroupId": p["UserGroupId"],
                "Engine": p["Engine"],
                "UserIds": list(p["UserIds"]),
                "Tags": _tags(request, p.get("Tags")),
            },
        )
        return p["UserGroupId"], {"Arn": group["ARN"], "Status": group["Status"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        new, old = set(request.properties["UserIds"]), set(request.old_properties.get("UserIds") or [])
        params: dict[str, Any] = {"UserGroupId": request.physical_id}
        if new - old:
            params["UserIdsToAdd"] = sorted(new - old)
        if old - new:
            params["UserIdsToRemove"] = sorted(old - new)
        group = await request.call("elasticache", "ModifyUserGroup", params)
        return {"Arn": group["ARN"], "Status": group["Status"]}

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        found = await request.call("elasticache", "DescribeUserGroups", {"UserGroupId": request.physical_id})
        group = found["UserGroups"][0]
        return {"Arn": group["ARN"], "Status": group["Status"]}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone(request, "DeleteUserGroup", {"UserGroupId": request.physical_id}, "UserGroupNotFound")


class ServerlessCache(ResourceHandler):
    identifier = "ServerlessCacheName"
    name_property = "ServerlessCacheName"
    attributes = frozenset(
        {
            "ARN", "Status", "CreateTime", "FullEngineVersion", "Endpoint.Address", "Endpoint.Port",
            "ReaderEndpoint.Address", "ReaderEndpoint.Port",
        }
    )  # fmt: skip
    replace_on = frozenset(
        {
            "ServerlessCacheName",
            "Engine",
            "KmsKeyId",
            "SnapshotArnsToRestore",
            "SubnetIds",
            "MajorEngineVersion",
        }
    )
    required = ("ServerlessCacheName", "Engine")

    async def _cache(self, request: ResourceRequest, name: str, wanted: str = "available") -> dict[str, Any]:
        async def describe() -> Any:
            found = await request.call(
                "elasticache", "DescribeServerlessCaches", {"ServerlessCacheName": name}
            )
            return found["ServerlessCaches"][0]

        return await _wait(request, describe, lambda c: c["Status"], "ServerlessCacheNotFoundFault", wanted)

    @staticmethod
    def _attributes(cache: dict[str, Any]) -> dict[str, Any]:
        created = cache["CreateTime"]
        return {
            "ARN": cache["ARN"],
            "Status": cache["Status"],
            "CreateTime": created.isoformat() if hasattr(created, "isoformat") else str(created),
            "FullEngineVersion": cache["FullEngineVersion"],
            "Endpoint.Address": cache["Endpoint"]["Address"],
            "Endpoint.Port": str(cache["Endpoint"]["Port"]),
            "ReaderEndpoint.Address": cache["ReaderEndpoint"]["Address"],
            "ReaderEndpoint.Port": str(cache["ReaderEndpoint"]["Port"]),
        }

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        name = p["ServerlessCacheName"].lower()
        params: dict[str, Any] = {
            "ServerlessCacheName": name,
            "Engine": p["Engine"],
            "Tags": _tags(request, p.get("Tags")),
        }
        _copy(
            p,
            params,
            {
                "MajorEngineVersion": _STR, "Description": _STR, "CacheUsageLimits": dict, "KmsKeyId": _STR,
                "SecurityGroupIds": _LIST, "SubnetIds": _LIST, "UserGroupId": _STR, "SnapshotArnsToRestore": _LIST,
                "SnapshotRetentionLimit": _INT, "DailySnapshotTime": _STR,
            },
        )  # fmt: skip
        await request.call("elasticache", "CreateServerlessCache", params)
        return name, self._attributes(await self._cache(request, name))

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        p = request.properties
        params: dict[str, Any] = {"ServerlessCacheName": request.physical_id}
        _copy(
            p,
            params,
            {
                "Description": _STR, "CacheUsageLimits": dict, "SecurityGroupIds": _LIST, "UserGroupId": _STR,
                "SnapshotRetentionLimit": _INT, "DailySnapshotTime": _STR,
            },
        )  # fmt: skip
        if request.old_properties.get("UserGroupId") and not p.get("UserGroupId"):
            params["RemoveUserGroup"] = True
        await request.call("elasticache", "ModifyServerlessCache", params)
        return self._attributes(await self._cache(request, request.physical_id))

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return self._attributes(await self._cache(request, request.physical_id))

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await self._cache(request, request.physical_id)
        except ResourceFailed as error:
            if error.code == "ServerlessCacheNotFoundFault":
                return
            # A failed cache is deleted as it is; anything else waits until it settles.
        await _gone(
            request,
            "DeleteServerlessCache",
            {"ServerlessCacheName": request.physical_id},
            "ServerlessCacheNotFoundFault",
        )
        await self._cache(request, request.physical_id, "deleted")


class SecurityGroup(ResourceHandler):
    """A cache security group (EC2-Classic style), through ElastiCache's own operations."""

    required = ("Description",)
    replace_on = frozenset({"Description"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        name = request.physical_name(255, lowercase=True)
        params: dict[str, Any] = {
            "CacheSecurityGroupName": name,
            "Description": request.properties["Description"],
        }
        tags = _tags(request, request.properties.get("Tags"))
        if tags:
            params["Tags"] = tags
        await request.call("elasticache", "CreateCacheSecurityGroup", params)
        return name, {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        arn = (
            await request.call(
                "elasticache", "DescribeCacheSecurityGroups", {"CacheSecurityGroupName": request.physical_id}
            )
        )["CacheSecurityGroups"][0]["ARN"]
        old = {t["Key"] for t in request.old_properties.get("Tags") or []}
        new = _tags(request, request.properties.get("Tags"))
        removed = sorted(old - {t["Key"] for t in new})
        if removed:
            await request.call(
                "elasticache", "RemoveTagsFromResource", {"ResourceName": arn, "TagKeys": removed}
            )
        if new:
            await request.call("elasticache", "AddTagsToResource", {"ResourceName": arn, "Tags": new})
        return {}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        from overcast.services.cloudformation.handlers import read_or_gone

        found = await read_or_gone(
            request,
            "elasticache",
            "DescribeCacheSecurityGroups",
            {"CacheSecurityGroupName": request.physical_id},
            "CacheSecurityGroupNotFound",
        )
        return {"Description": found["CacheSecurityGroups"][0]["Description"]}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone(
            request,
            "DeleteCacheSecurityGroup",
            {"CacheSecurityGroupName": request.physical_id},
            "CacheSecurityGroupNotFound",
        )


class SecurityGroupIngress(ResourceHandler):
    """One EC2 security group authorized into a cache security group."""

    required = ("CacheSecurityGroupName", "EC2SecurityGroupName")
    updatable = False

    @staticmethod
    def _params(request: ResourceRequest, properties: dict[str, Any]) -> dict[str, Any]:
        return {
            "CacheSecurityGroupName": properties["CacheSecurityGroupName"],
            "EC2SecurityGroupName": properties["EC2SecurityGroupName"],
            "EC2SecurityGroupOwnerId": properties.get("EC2SecurityGroupOwnerId") or request.account,
        }

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await request.call(
            "elasticache", "AuthorizeCacheSecurityGroupIngress", self._params(request, request.properties)
        )
        return request.physical_name(255), {}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone(
            request,
            "RevokeCacheSecurityGroupIngress",
            self._params(request, request.properties),
            "CacheSecurityGroupNotFound",
            "AuthorizationNotFound",
        )


class GlobalReplicationGroup(ResourceHandler):
    """A global datastore made from the PRIMARY member its Members name; secondaries join it
    from their own regions (a replication group naming its GlobalReplicationGroupId)."""

    required = ("Members",)
    replace_on = frozenset({"GlobalReplicationGroupIdSuffix"})
    attributes = frozenset({"GlobalReplicationGroupId", "Status"})

    def needs_replacement(self, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
        # Secondaries join and leave from their own regions; another primary is a new datastore.
        changed = super().needs_replacement(old, new)
        try:
            if self._primary(old) != self._primary(new):
                changed.append("Members")
        except ResourceFailed:
            changed.append("Members")
        return changed

    @staticmethod
    def _primary(properties: dict[str, Any]) -> str:
        primaries = [m for m in properties.get("Members") or [] if m.get("Role", "PRIMARY") == "PRIMARY"]
        if len(primaries) != 1:
            raise ResourceFailed("Members must name exactly one PRIMARY replication group")
        return str(primaries[0]["ReplicationGroupId"])

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        params: dict[str, Any] = {
            "GlobalReplicationGroupIdSuffix": p.get("GlobalReplicationGroupIdSuffix")
            or request.physical_name(40, lowercase=True),
            "PrimaryReplicationGroupId": self._primary(p),
        }
        if p.get("GlobalReplicationGroupDescription"):
            params["GlobalReplicationGroupDescription"] = p["GlobalReplicationGroupDescription"]
        found = (await request.call("elasticache", "CreateGlobalReplicationGroup", params))[
            "GlobalReplicationGroup"
        ]
        group_id = found["GlobalReplicationGroupId"]
        modify = self._changes(p, {})
        if modify:
            found = (
                await request.call(
                    "elasticache",
                    "ModifyGlobalReplicationGroup",
                    {"GlobalReplicationGroupId": group_id, "ApplyImmediately": True, **modify},
                )
            )["GlobalReplicationGroup"]
        return group_id, {"GlobalReplicationGroupId": group_id, "Status": found["Status"]}

    @staticmethod
    def _changes(new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for key in ("CacheNodeType", "EngineVersion", "CacheParameterGroupName"):
            if new.get(key) and new.get(key) != old.get(key):
                changes[key] = new[key]
        if old and new.get("GlobalReplicationGroupDescription") != old.get(
            "GlobalReplicationGroupDescription"
        ):
            changes["GlobalReplicationGroupDescription"] = new.get("GlobalReplicationGroupDescription") or " "
        if new.get("AutomaticFailoverEnabled") is not None and new.get("AutomaticFailoverEnabled") != old.get(
            "AutomaticFailoverEnabled"
        ):
            changes["AutomaticFailoverEnabled"] = _bool(new["AutomaticFailoverEnabled"])
        return changes

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        changes = self._changes(request.properties, request.old_properties)
        params = {"GlobalReplicationGroupId": request.physical_id, "ApplyImmediately": True, **changes}
        if changes:
            found = (await request.call("elasticache", "ModifyGlobalReplicationGroup", params))[
                "GlobalReplicationGroup"
            ]
        else:
            found = (
                await request.call(
                    "elasticache",
                    "DescribeGlobalReplicationGroups",
                    {"GlobalReplicationGroupId": request.physical_id},
                )
            )["GlobalReplicationGroups"][0]
        return {"GlobalReplicationGroupId": request.physical_id, "Status": found["Status"]}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone(
            request,
            "DeleteGlobalReplicationGroup",
            {"GlobalReplicationGroupId": request.physical_id, "RetainPrimaryReplicationGroup": True},
            "GlobalReplicationGroupNotFoundFault",
        )


HANDLERS: dict[str, type[ResourceHandler]] = {
    "AWS::ElastiCache::CacheCluster": CacheCluster,
    "AWS::ElastiCache::ReplicationGroup": ReplicationGroup,
    "AWS::ElastiCache::SubnetGroup": SubnetGroup,
    "AWS::ElastiCache::ParameterGroup": ParameterGroup,
    "AWS::ElastiCache::User": User,
    "AWS::ElastiCache::UserGroup": UserGroup,
    "AWS::ElastiCache::ServerlessCache": ServerlessCache,
    "AWS::ElastiCache::SecurityGroup": SecurityGroup,
    "AWS::ElastiCache::SecurityGroupIngress": SecurityGroupIngress,
    "AWS::ElastiCache::GlobalReplicationGroup": GlobalReplicationGroup,
}
