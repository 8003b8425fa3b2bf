"""EKS's CloudFormation resource types, through the EKS provider's own operations:
AWS::EKS::Cluster, Nodegroup, FargateProfile, Addon, AccessEntry, PodIdentityAssociation and
IdentityProviderConfig."""

from __future__ import annotations

from typing import Any

from overcast.services.cloudformation.handlers import ResourceFailed, ResourceHandler, ResourceRequest

#: Members whose values are user maps: their keys are kept as they are.
_VERBATIM = frozenset({"Labels", "Tags", "RequiredClaims"})


def camel(value: Any) -> Any:
    """Template properties (PascalCase) as the EKS API spells them (camelCase)."""
    if isinstance(value, list):
        return [camel(item) for item in value]
    if isinstance(value, dict):
        return {
            key[:1].lower() + key[1:]: (item if key in _VERBATIM else camel(item))
            for key, item in value.items()
        }
    return value


def _value(member: str, value: Any) -> Any:
    """A template property's value for the API: a user map stays as it is."""
    return value if member in _VERBATIM else camel(value)


def _tag_map(request: ResourceRequest, given: Any) -> dict[str, str]:
    if isinstance(given, dict):
        given = [{"Key": k, "Value": v} for k, v in given.items()]
    return {tag["Key"]: str(tag["Value"]) for tag in request.user_tags(given)}


async def _delete(request: ResourceRequest, operation: str, params: dict[str, Any]) -> None:
    try:
        await request.call("eks", operation, params)
    except ResourceFailed as error:
        if error.code != "ResourceNotFoundException":
            raise


def _split(physical_id: str) -> tuple[str, str]:
    cluster, _, name = physical_id.partition("/")
    return cluster, name


class Cluster(ResourceHandler):
    attributes = frozenset({"Arn", "Endpoint", "CertificateAuthorityData", "ClusterSecurityGroupId",
                            "EncryptionConfigKeyArn", "OpenIdConnectIssuerUrl", "Id"})  # fmt: skip
    replace_on = frozenset(
        {"Name", "RoleArn", "KubernetesNetworkConfig", "EncryptionConfig", "OutpostConfig"}
    )
    required = ("RoleArn", "ResourcesVpcConfig")
    name_property = "Name"

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("Name") or request.physical_name(100)
        params: dict[str, Any] = {
            "name": name,
            "roleArn": properties["RoleArn"],
            "resourcesVpcConfig": camel(properties["ResourcesVpcConfig"]),
            "tags": _tag_map(request, properties.get("Tags")),
        }
        for member in ("Version", "KubernetesNetworkConfig", "EncryptionConfig", "AccessConfig", "UpgradePolicy",
                       "ZonalShiftConfig", "ComputeConfig", "StorageConfig", "RemoteNetworkConfig",
                       "DeletionProtection", "BootstrapSelfManagedAddons"):  # fmt: skip
            if properties.get(member) is not None:
                params[member[:1].lower() + member[1:]] = _value(member, properties[member])
        if properties.get("Logging"):
            params["logging"] = _logging(properties["Logging"])
        await request.call("eks", "CreateCluster", params)
        return name, await self._attributes(request, name)

    @staticmethod
    async def _attributes(request: ResourceRequest, name: str) -> dict[str, Any]:
        cluster = (await request.call("eks", "DescribeCluster", {"name": name}))["cluster"]
        keys = [e.get("provider", {}).get("keyArn", "") for e in cluster.get("encryptionConfig") or []]
        return {
            "Arn": cluster["arn"],
            "Endpoint": cluster["endpoint"],
            "CertificateAuthorityData": cluster["certificateAuthority"]["data"],
            "ClusterSecurityGroupId": cluster["resourcesVpcConfig"]["clusterSecurityGroupId"],
            "EncryptionConfigKeyArn": keys[0] if keys else "",
            "OpenIdConnectIssuerUrl": cluster["identity"]["oidc"]["issuer"],
            "Id": cluster["id"],
        }

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        name, properties, old = request.physical_id, request.properties, request.old_properties
        if properties.get("Version") and properties.get("Version") != old.get("Version"):
            await request.call(
                "eks", "UpdateClusterVersion", {"name": name, "version": properties["Version"]}
            )
        if (properties.get("Logging") or {}) != (old.get("Logging") or {}):
            await request.call(
                "eks",
                "UpdateClusterConfig",
                {"name": name, "logging": _logging(properties.get("Logging") or {})},
            )
        vpc, old_vpc = properties["ResourcesVpcConfig"], old.get("ResourcesVpcConfig") or {}
        access = {
            k: vpc[k]
            for k in ("EndpointPublicAccess", "EndpointPrivateAccess", "PublicAccessCidrs")
            if k in vpc
        }
        if access != {k: old_vpc[k] for k in access if k in old_vpc}:
            await request.call(
                "eks", "UpdateClusterConfig", {"name": name, "resourcesVpcConfig": camel(access)}
            )
        for ids in ("SubnetIds", "SecurityGroupIds"):
            if vpc.get(ids) is not None and vpc.get(ids) != old_vpc.get(ids):
                await request.call(
                    "eks", "UpdateClusterConfig", {"name": name, "resourcesVpcConfig": camel({ids: vpc[ids]})}
                )
        mode = (properties.get("AccessConfig") or {}).get("AuthenticationMode")
        if mode and mode != (old.get("AccessConfig") or {}).get("AuthenticationMode"):
            await request.call(
                "eks", "UpdateClusterConfig", {"name": name, "accessConfig": {"authenticationMode": mode}}
            )
        for member in ("UpgradePolicy", "ZonalShiftConfig", "DeletionProtection"):
            if properties.get(member) is not None and properties.get(member) != old.get(member):
                await request.call(
                    "eks",
                    "UpdateClusterConfig",
                    {"name": name, member[:1].lower() + member[1:]: camel(properties[member])},
                )
        arn = (await self._attributes(request, name))["Arn"]
        await _retag(request, arn, old.get("Tags"), properties.get("Tags"))
        return await self._attributes(request, name)

    async def delete(self, request: ResourceRequest) -> None:
        await _delete(request, "DeleteCluster", {"name": request.physical_id})

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._attributes(request, request.physical_id)


def _logging(given: dict) -> dict:
    enabled = [entry["Type"] for entry in (given.get("ClusterLogging") or {}).get("EnabledTypes") or []]
    every = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    groups = [{"types": enabled, "enabled": True}] if enabled else []
    off = [kind for kind in every if kind not in enabled]
    return {"clusterLogging": groups + ([{"types": off, "enabled": False}] if off else [])}


async def _retag(request: ResourceRequest, arn: str, old: Any, new: Any) -> None:
    before, after = _tag_map(request, old), _tag_map(request, new)
    gone = sorted(set(before) - set(after))
    if gone:
        await request.call("eks", "UntagResource", {"resourceArn": arn, "tagKeys": gone})
    if after and after != before:
        await request.call("eks", "TagResource", {"resourceArn": arn, "tags": after})


class Nodegroup(ResourceHandler):
    attributes = frozenset({"Arn", "ClusterName", "NodegroupName"})
    replace_on = frozenset({"ClusterName", "NodegroupName", "NodeRole", "Subnets", "InstanceTypes", "AmiType",
                            "DiskSize", "CapacityType", "RemoteAccess"})  # fmt: skip
    required = ("ClusterName", "NodeRole", "Subnets")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        cluster = properties["ClusterName"]
        name = properties.get("NodegroupName") or request.physical_name(63)
        params: dict[str, Any] = {"clusterName": cluster, "nodegroupName": name,
                                  "tags": _tag_map(request, properties.get("Tags"))}  # fmt: skip
        for member in ("NodeRole", "Subnets", "ScalingConfig", "InstanceTypes", "AmiType", "DiskSize", "Labels",
                       "Taints", "CapacityType", "Version", "ReleaseVersion", "LaunchTemplate", "UpdateConfig",
                       "RemoteAccess", "NodeRepairConfig"):  # fmt: skip
            if properties.get(member) is not None:
                params[member[:1].lower() + member[1:]] = _value(member, properties[member])
        group = (await request.call("eks", "CreateNodegroup", params))["nodegroup"]
        return f"{cluster}/{name}", {
            "Arn": group["nodegroupArn"],
            "ClusterName": cluster,
            "NodegroupName": name,
        }

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        cluster, name = _split(request.physical_id)
        properties, old = request.properties, request.old_properties
        config: dict[str, Any] = {}
        if properties.get("ScalingConfig") != old.get("ScalingConfig") and properties.get("ScalingConfig"):
            config["scalingConfig"] = camel(properties["ScalingConfig"])
        labels, old_labels = properties.get("Labels") or {}, old.get("Labels") or {}
        if labels != old_labels:
            config["labels"] = {
                "addOrUpdateLabels": labels,
                "removeLabels": sorted(set(old_labels) - set(labels)),
            }
        taints, old_taints = properties.get("Taints") or [], old.get("Taints") or []
        if taints != old_taints:
            config["taints"] = {"addOrUpdateTaints": camel(taints),
                                "removeTaints": [camel(t) for t in old_taints if t not in taints]}  # fmt: skip
        if properties.get("UpdateConfig") and properties.get("UpdateConfig") != old.get("UpdateConfig"):
            config["updateConfig"] = camel(properties["UpdateConfig"])
        if config:
            await request.call(
                "eks", "UpdateNodegroupConfig", {"clusterName": cluster, "nodegroupName": name, **config}
            )
        version: dict[str, Any] = {}
        for member in ("Version", "ReleaseVersion", "LaunchTemplate"):
            if properties.get(member) is not None and properties.get(member) != old.get(member):
                version[member[:1].lower() + member[1:]] = camel(properties[member])
        if version:
            await request.call(
                "eks", "UpdateNodegroupVersion", {"clusterName": cluster, "nodegroupName": name, **version}
            )
        group = (
            await request.call("eks", "DescribeNodegroup", {"clusterName": cluster, "nodegroupName": name})
        )["nodegroup"]
        await _retag(request, group["nodegroupArn"], old.get("Tags"), properties.get("Tags"))
        return {"Arn": group["nodegroupArn"], "ClusterName": cluster, "NodegroupName": name}

    async def delete(self, request: ResourceRequest) -> None:
        cluster, name = _split(request.physical_id)
        await _delete(request, "DeleteNodegroup", {"clusterName": cluster, "nodegroupName": name})


class FargateProfile(ResourceHandler):
    attributes = frozenset({"Arn"})
    updatable = False
    required = ("ClusterName", "PodExecutionRoleArn", "Selectors")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        cluster = properties["ClusterName"]
        name = properties.get("FargateProfileName") or request.physical_name(63)
        selectors = [
            {
                "namespace": s["Namespace"],
                "labels": {label["Key"]: label["Value"] for label in s.get("Labels") or []},
            }
            for s in properties["Selectors"]
        ]
        profile = (
            await request.call(
                "eks",
                "CreateFargateProfile",
                {
                    "clusterName": cluster,
                    "fargateProfileName": name,
                    "podExecutionRoleArn": properties["PodExecutionRoleArn"],
                    "subnets": properties.get("Subnets") or [],
                    "selectors": selectors,
                    "tags": _tag_map(request, properties.get("Tags")),
                },
            )
        )["fargateProfile"]
        return f"{cluster}|{name}", {"Arn": profile["fargateProfileArn"]}

    async def delete(self, request: ResourceRequest) -> None:
        cluster, _, name = request.physical_id.partition("|")
        await _delete(request, "DeleteFargateProfile", {"clusterName": cluster, "fargateProfileName": name})


class Addon(ResourceHandler):
    attributes = frozenset({"Arn"})
    replace_on = frozenset({"ClusterName", "AddonName"})
    required = ("ClusterName", "AddonName")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        cluster, name = properties["ClusterName"], properties["AddonName"]
        params: dict[str, Any] = {"clusterName": cluster, "addonName": name,
                                  "tags": _tag_map(request, properties.get("Tags"))}  # fmt: skip
        for member in ("AddonVersion", "ServiceAccountRoleArn", "ResolveConflicts", "ConfigurationValues",
                       "PodIdentityAssociations"):  # fmt: skip
            if properties.get(member) is not None:
                params[member[:1].lower() + member[1:]] = _value(member, properties[member])
        addon = (await request.call("eks", "CreateAddon", params))["addon"]
        return f"{cluster}|{name}", {"Arn": addon["addonArn"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        cluster, _, name = request.physical_id.partition("|")
        properties, old = request.properties, request.old_properties
        params: dict[str, Any] = {}
        for member, cleared in (("AddonVersion", None), ("ServiceAccountRoleArn", ""), ("ConfigurationValues", ""),
                                ("PodIdentityAssociations", [])):  # fmt: skip
            if properties.get(member) != old.get(member):
                value = properties.get(member)
                params[member[:1].lower() + member[1:]] = cleared if value is None else camel(value)
        params = {k: v for k, v in params.items() if v is not None}
        if params:
            if properties.get("ResolveConflicts"):
                params["resolveConflicts"] = properties["ResolveConflicts"]
            await request.call("eks", "UpdateAddon", {"clusterName": cluster, "addonName": name, **params})
        addon = (await request.call("eks", "DescribeAddon", {"clusterName": cluster, "addonName": name}))[
            "addon"
        ]
        await _retag(request, addon["addonArn"], old.get("Tags"), properties.get("Tags"))
        return {"Arn": addon["addonArn"]}

    async def delete(self, request: ResourceRequest) -> None:
        cluster, _, name = request.physical_id.partition("|")
        preserve = request.properties.get("PreserveOnDelete") in (True, "true")
        await _delete(
            request, "DeleteAddon", {"clusterName": cluster, "addonName": name, "preserve": preserve}
        )


class AccessEntry(ResourceHandler):
    attributes = frozenset({"AccessEntryArn"})
    replace_on = frozenset({"ClusterName", "PrincipalArn", "Type"})
    required = ("ClusterName", "PrincipalArn")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        cluster, principal = properties["ClusterName"], properties["PrincipalArn"]
        params: dict[str, Any] = {"clusterName": cluster, "principalArn": principal,
                                  "tags": _tag_map(request, properties.get("Tags"))}  # fmt: skip
        for member in ("KubernetesGroups", "Username", "Type"):
            if properties.get(member) is not None:
                params[member[:1].lower() + member[1:]] = properties[member]
        entry = (await request.call("eks", "CreateAccessEntry", params))["accessEntry"]
        await self._policies(request, cluster, principal, [], properties.get("AccessPolicies") or [])
        return f"{cluster}|{principal}", {"AccessEntryArn": entry["accessEntryArn"]}

    @staticmethod
    async def _policies(request: ResourceRequest, cluster: str, principal: str, old: list, new: list) -> None:
        wanted = {p["PolicyArn"]: p for p in new}
        for policy in old:
            if policy["PolicyArn"] not in wanted:
                await request.call("eks", "DisassociateAccessPolicy",
                                   {"clusterName": cluster, "principalArn": principal, "policyArn": policy["PolicyArn"]})  # fmt: skip
        for arn, policy in wanted.items():
            if policy not in old:
                await request.call("eks", "AssociateAccessPolicy",
                                   {"clusterName": cluster, "principalArn": principal, "policyArn": arn,
                                    "accessScope": camel(policy["AccessScope"])})  # fmt: skip

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        cluster, _, principal = request.physical_id.partition("|")
        properties, old = request.properties, request.old_properties
        changes = {m[:1].lower() + m[1:]: properties.get(m) for m in ("KubernetesGroups", "Username")
                   if properties.get(m) != old.get(m) and properties.get(m) is not None}  # fmt: skip
        if changes:
            await request.call(
                "eks", "UpdateAccessEntry", {"clusterName": cluster, "principalArn": principal, **changes}
            )
        await self._policies(
            request,
            cluster,
            principal,
            old.get("AccessPolicies") or [],
            properties.get("AccessPolicies") or [],
        )
        entry = (
            await request.call(
                "eks", "DescribeAccessEntry", {"clusterName": cluster, "principalArn": principal}
            )
        )["accessEntry"]
        await _retag(request, entry["accessEntryArn"], old.get("Tags"), properties.get("Tags"))
        return {"AccessEntryArn": entry["accessEntryArn"]}

    async def delete(self, request: ResourceRequest) -> None:
        cluster, _, principal = request.physical_id.partition("|")
        await _delete(request, "DeleteAccessEntry", {"clusterName": cluster, "principalArn": principal})


class PodIdentityAssociation(ResourceHandler):
    identifier = "AssociationArn"
    attributes = frozenset({"AssociationArn", "AssociationId"})
    replace_on = frozenset({"ClusterName", "Namespace", "ServiceAccount"})
    required = ("ClusterName", "Namespace", "ServiceAccount", "RoleArn")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        association = (
            await request.call(
                "eks",
                "CreatePodIdentityAssociation",
                {
                    "clusterName": properties["ClusterName"],
                    "namespace": properties["Namespace"],
                    "serviceAccount": properties["ServiceAccount"],
                    "roleArn": properties["RoleArn"],
                    "tags": _tag_map(request, properties.get("Tags")),
                },
            )
        )["association"]
        return association["associationArn"], {
            "AssociationArn": association["associationArn"],
            "AssociationId": association["associationId"],
        }

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        cluster = request.properties["ClusterName"]
        association_id = request.physical_id.rsplit("/", 1)[-1]
        await request.call("eks", "UpdatePodIdentityAssociation",
                           {"clusterName": cluster, "associationId": association_id,
                            "roleArn": request.properties["RoleArn"]})  # fmt: skip
        await _retag(
            request, request.physical_id, request.old_properties.get("Tags"), request.properties.get("Tags")
        )
        return {"AssociationArn": request.physical_id, "AssociationId": association_id}

    async def delete(self, request: ResourceRequest) -> None:
        await _delete(request, "DeletePodIdentityAssociation",
                      {"clusterName": request.properties["ClusterName"],
                       "associationId": request.physical_id.rsplit("/", 1)[-1]})  # fmt: skip


class IdentityProviderConfig(ResourceHandler):
    attributes = frozenset({"IdentityProviderConfigArn"})
    updatable = False
    required = ("ClusterName", "Type", "Oidc")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        cluster = properties["ClusterName"]
        name = properties.get("IdentityProviderConfigName") or request.physical_name(100)
        oidc = camel(properties["Oidc"])
        claims = oidc.pop("requiredClaims", None)
        if claims:
            oidc["requiredClaims"] = (
                {c["Key"]: c["Value"] for c in claims} if isinstance(claims, list) else claims
            )
        await request.call("eks", "AssociateIdentityProviderConfig",
                           {"clusterName": cluster, "oidc": {"identityProviderConfigName": name, **oidc},
                            "tags": _tag_map(request, properties.get("Tags"))})  # fmt: skip
        described = await request.call("eks", "DescribeIdentityProviderConfig",
                                        {"clusterName": cluster, "identityProviderConfig": {"type": "oidc", "name": name}})  # fmt: skip
        return f"{name}|OIDC|{cluster}", {
            "IdentityProviderConfigArn": described["identityProviderConfig"]["oidc"][
                "identityProviderConfigArn"
            ]
        }

    async def delete(self, request: ResourceRequest) -> None:
        name, _, cluster = request.physical_id.split("|", 2)
        await _delete(request, "DisassociateIdentityProviderConfig",
                      {"clusterName": cluster, "identityProviderConfig": {"type": "oidc", "name": name}})  # fmt: skip


class Capability(ResourceHandler):
    """A managed capability (Argo CD, ACK, kro) of a cluster; its physical id is
    "{ClusterName}|{CapabilityName}". Its role and Argo CD settings change in place."""

    required = ("ClusterName", "CapabilityName", "Type", "RoleArn")
    replace_on = frozenset({"ClusterName", "CapabilityName", "Type"})
    name_property = "CapabilityName"
    attributes = frozenset(
        {"Arn", "Status", "Version", "CreatedAt", "ModifiedAt", "Configuration.ArgoCd.ServerUrl"}
    )

    @staticmethod
    def _attributes(found: dict[str, Any]) -> dict[str, Any]:
        attributes = {
            "Arn": found["arn"],
            "Status": found["status"],
            "Version": found.get("version", ""),
            "CreatedAt": str(found["createdAt"]),
            "ModifiedAt": str(found["modifiedAt"]),
        }
        server = ((found.get("configuration") or {}).get("argoCd") or {}).get("serverUrl")
        if server:
            attributes["Configuration.ArgoCd.ServerUrl"] = server
        return attributes

    async def _describe(self, request: ResourceRequest, cluster: str, name: str) -> dict[str, Any]:
        found = await request.call(
            "eks", "DescribeCapability", {"clusterName": cluster, "capabilityName": name}
        )
        return dict(found["capability"])

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        params: dict[str, Any] = {
            "clusterName": p["ClusterName"],
            "capabilityName": p["CapabilityName"],
            "type": p["Type"],
            "roleArn": p["RoleArn"],
            "deletePropagationPolicy": p.get("DeletePropagationPolicy") or "RETAIN",
        }
        if p.get("Configuration"):
            params["configuration"] = camel(p["Configuration"])
        tags = _tag_map(request, p.get("Tags"))
        if tags:
            params["tags"] = tags
        await request.call("eks", "CreateCapability", params)
        found = await self._describe(request, p["ClusterName"], p["CapabilityName"])
        return f"{p['ClusterName']}|{p['CapabilityName']}", self._attributes(found)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        cluster, name = request.physical_id.split("|", 1)
        p, old = request.properties, request.old_properties
        params: dict[str, Any] = {"clusterName": cluster, "capabilityName": name}
        if p.get("RoleArn") != old.get("RoleArn"):
            params["roleArn"] = p["RoleArn"]
        if p.get("DeletePropagationPolicy") != old.get("DeletePropagationPolicy"):
            params["deletePropagationPolicy"] = p.get("DeletePropagationPolicy") or "RETAIN"
        argo = (camel(p.get("Configuration") or {})).get("argoCd") or {}
        before = (camel(old.get("Configuration") or {})).get("argoCd") or {}
        if argo != before:
            new_maps = {m["role"]: m for m in argo.get("rbacRoleMappings") or []}
            old_maps = {m["role"]: m for m in before.get("rbacRoleMappings") or []}
            change: dict[str, Any] = {}
            mappings: dict[str, Any] = {}
            if new_maps:
                mappings["addOrUpdateRoleMappings"] = list(new_maps.values())
            gone = [old_maps[r] for r in old_maps if r not in new_maps]
            if gone:
                mappings["removeRoleMappings"] = gone
            if mappings:
                change["rbacRoleMappings"] = mappings
            if argo.get("networkAccess") is not None:
                change["networkAccess"] = argo["networkAccess"]
            if change:
                params["configuration"] = {"argoCd": change}
        if len(params) > 2:
            await request.call("eks", "UpdateCapability", params)
        return self._attributes(await self._describe(request, cluster, name))

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        cluster, name = request.physical_id.split("|", 1)
        return self._attributes(await self._describe(request, cluster, name))

    async def delete(self, request: ResourceRequest) -> None:
        cluster, name = request.physical_id.split("|", 1)
        try:
            await request.call("eks", "DeleteCapability", {"clusterName": cluster, "capabilityName": name})
        except ResourceFailed as error:
            if error.code != "ResourceNotFoundException":
                raise


HANDLERS = {
    "AWS::EKS::Cluster": Cluster,
    "AWS::EKS::Nodegroup": Nodegroup,
    "AWS::EKS::FargateProfile": FargateProfile,
    "AWS::EKS::Addon": Addon,
    "AWS::EKS::AccessEntry": AccessEntry,
    "AWS::EKS::PodIdentityAssociation": PodIdentityAssociation,
    "AWS::EKS::IdentityProviderConfig": IdentityProviderConfig,
    "AWS::EKS::Capability": Capability,
}
