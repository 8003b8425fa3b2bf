"""IAM's CloudFormation resource types (Role, Policy, ManagedPolicy, User, Group,
InstanceProfile, AccessKey, ServiceLinkedRole, ServerCertificate), through the IAM provider's own operations."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceHandler,
    ResourceRequest,
    as_int,
    policy_text,
    read_or_gone,
)

#: principal kind → (name parameter, attach, detach, put inline, delete inline, list attached, list inline)
_KINDS = {
    "Role": ("RoleName", "AttachRolePolicy", "DetachRolePolicy", "PutRolePolicy", "DeleteRolePolicy"),
    "User": ("UserName", "AttachUserPolicy", "DetachUserPolicy", "PutUserPolicy", "DeleteUserPolicy"),
    "Group": ("GroupName", "AttachGroupPolicy", "DetachGroupPolicy", "PutGroupPolicy", "DeleteGroupPolicy"),
}


def permissions_text(document: Any) -> str:
    """A permissions policy as JSON text. The SAM translator's policy templates carry no
    Version: they are given the current policy language, which IAM requires here."""
    if isinstance(document, dict) and "Version" not in document:
        document = {"Version": "2012-10-17", **document}
    return policy_text(document)


async def _ignore_missing(request: ResourceRequest, operation: str, params: dict[str, Any]) -> None:
    try:
        await request.call("iam", operation, params)
    except ResourceFailed as error:
        if error.code != "NoSuchEntity":
            raise


async def sync_policies(
    request: ResourceRequest, kind: str, name: str, new: dict[str, Any], old: dict[str, Any]
) -> None:
    """Attach/detach managed policies and put/delete inline ones to move from old to new."""
    key, attach, detach, put, delete = _KINDS[kind]
    old_arns, new_arns = set(old.get("ManagedPolicyArns", [])), set(new.get("ManagedPolicyArns", []))
    for arn in sorted(old_arns - new_arns):
        await _ignore_missing(request, detach, {key: name, "PolicyArn": arn})
    for arn in sorted(new_arns - old_arns):
        await request.call("iam", attach, {key: name, "PolicyArn": arn})
    old_inline = {policy["PolicyName"]: policy for policy in old.get("Policies", [])}
    new_inline = {policy["PolicyName"]: policy for policy in new.get("Policies", [])}
    for policy_name in sorted(old_inline.keys() - new_inline.keys()):
        await _ignore_missing(request, delete, {key: name, "PolicyName": policy_name})
    for policy_name, policy in new_inline.items():
        if old_inline.get(policy_name) != policy:
            await request.call(
                "iam",
                put,
                {
                    key: name,
                    "PolicyName": policy_name,
                    "PolicyDocument": permissions_text(policy["PolicyDocument"]),
                },
            )


async def drop_policies(request: ResourceRequest, kind: str, name: str, properties: dict[str, Any]) -> None:
    await sync_policies(request, kind, name, {}, properties)


class Role(ResourceHandler):
    identifier = "RoleName"
    replace_on = frozenset({"RoleName", "Path"})
    name_property = "RoleName"
    required = ("AssumeRolePolicyDocument",)
    attributes = frozenset({"Arn", "RoleId"})
    needs_iam = True

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("RoleName") or request.physical_name(64)
        params: dict[str, Any] = {
            "RoleName": name,
            "AssumeRolePolicyDocument": policy_text(properties.get("AssumeRolePolicyDocument")),
            "Path": properties.get("Path", "/"),
        }
        for key in ("Description", "PermissionsBoundary"):
            if properties.get(key):
                params[key] = properties[key]
        if properties.get("MaxSessionDuration"):
            params["MaxSessionDuration"] = as_int(properties["MaxSessionDuration"])
        tags = request.user_tags(properties.get("Tags"))
        if tags:
            params["Tags"] = tags
        role = (await request.call("iam", "CreateRole", params))["Role"]
        try:
            await sync_policies(request, "Role", name, properties, {})
        except ResourceFailed:
            await drop_policies(request, "Role", name, properties)
            await _ignore_missing(request, "DeleteRole", {"RoleName": name})
            raise
        return name, {"Arn": role["Arn"], "RoleId": role["RoleId"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        name, new, old = request.physical_id, request.properties, request.old_properties
        if new.get("AssumeRolePolicyDocument") != old.get("AssumeRolePolicyDocument"):
            await request.call(
                "iam",
                "UpdateAssumeRolePolicy",
                {"RoleName": name, "PolicyDocument": policy_text(new["AssumeRolePolicyDocument"])},
            )
        if new.get("Description") != old.get("Description") or new.get("MaxSessionDuration") != old.get(
            "MaxSessionDuration"
        ):
            params: dict[str, Any] = {"RoleName": name, "Description": new.get("Description", "")}
            if new.get("MaxSessionDuration"):
                params["MaxSessionDuration"] = as_int(new["MaxSessionDuration"])
            await request.call("iam", "UpdateRole", params)
        await sync_policies(request, "Role", name, new, old)
        role = (await request.call("iam", "GetRole", {"RoleName": name}))["Role"]
        return {"Arn": role["Arn"], "RoleId": role["RoleId"]}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        role = (
            await read_or_gone(request, "iam", "GetRole", {"RoleName": request.physical_id}, "NoSuchEntity")
        )["Role"]
        from urllib.parse import unquote

        current: dict[str, Any] = {
            "RoleName": role["RoleName"],
            "Path": role["Path"],
            "AssumeRolePolicyDocument": json.loads(unquote(role["AssumeRolePolicyDocument"]))
            if isinstance(role["AssumeRolePolicyDocument"], str)
            else role["AssumeRolePolicyDocument"],
            "MaxSessionDuration": role.get("MaxSessionDuration", 3600),
        }
        if role.get("Description"):
            current["Description"] = role["Description"]
        return current

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        role = (await request.call("iam", "GetRole", {"RoleName": request.physical_id}))["Role"]
        return {"Arn": role["Arn"], "RoleId": role["RoleId"]}

    async def delete(self, request: ResourceRequest) -> None:
        name = request.physical_id
        await drop_policies(request, "Role", name, request.properties)
        await _ignore_missing(request, "DeleteRole", {"RoleName": name})


class Policy(ResourceHandler):
    required = ("PolicyName", "PolicyDocument")
    attributes = frozenset({"Id"})
    needs_iam = True

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await self._apply(request, request.properties, {})
        physical_id = request.physical_name(64)
        return physical_id, {"Id": physical_id}

    async def _apply(self, request: ResourceRequest, new: dict[str, Any], old: dict[str, Any]) -> None:
        for kind, members in (("Role", "Roles"), ("User", "Users"), ("Group", "Groups")):
            key, _, _, put, delete = _KINDS[kind]
            for name in set(old.get(members, [])) - set(new.get(members, [])):
                await _ignore_missing(request, delete, {key: name, "PolicyName": old["PolicyName"]})
            for name in new.get(members, []):
                if old and old.get("PolicyName") != new.get("PolicyName") and name in old.get(members, []):
                    await _ignore_missing(request, delete, {key: name, "PolicyName": old["PolicyName"]})
                await request.call(
                    "iam",
                    put,
                    {
                        key: name,
                        "PolicyName": new["PolicyName"],
                        "PolicyDocument": permissions_text(new["PolicyDocument"]),
                    },
                )

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._apply(request, request.properties, request.old_properties)
        return {"Id": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        await self._apply(request, {"PolicyName": request.properties.get("PolicyName")}, request.properties)


class ManagedPolicy(ResourceHandler):
    replace_on = frozenset({"ManagedPolicyName", "Path", "Description"})
    name_property = "ManagedPolicyName"
    required = ("PolicyDocument",)
    attributes = frozenset(
        {
            "PolicyArn",
            "PolicyId",
            "AttachmentCount",
            "DefaultVersionId",
            "IsAttachable",
            "CreateDate",
            "UpdateDate",
        }
    )
    needs_iam = True

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {
            "PolicyName": properties.get("ManagedPolicyName") or request.physical_name(128),
            "PolicyDocument": permissions_text(properties["PolicyDocument"]),
            "Path": properties.get("Path", "/"),
        }
        if properties.get("Description"):
            params["Description"] = properties["Description"]
        arn = (await request.call("iam", "CreatePolicy", params))["Policy"]["Arn"]
        await self._attach(request, arn, properties, {})
        return arn, await self._attributes(request, arn)

    async def _attach(
        self, request: ResourceRequest, arn: str, new: dict[str, Any], old: dict[str, Any]
    ) -> None:
        for kind, members in (("Role", "Roles"), ("User", "Users"), ("Group", "Groups")):
            key, attach, detach, _, _ = _KINDS[kind]
            for name in sorted(set(old.get(members, [])) - set(new.get(members, []))):
                await _ignore_missing(request, detach, {key: name, "PolicyArn": arn})
            for name in sorted(set(new.get(members, [])) - set(old.get(members, []))):
                await request.call("iam", attach, {key: name, "PolicyArn": arn})

    async def _attributes(self, request: ResourceRequest, arn: str) -> dict[str, Any]:
        policy = (await request.call("iam", "GetPolicy", {"PolicyArn": arn}))["Policy"]
        return {
            "PolicyArn": arn,
            "PolicyId": policy["PolicyId"],
            "AttachmentCount": policy.get("AttachmentCount", 0),
            "DefaultVersionId": policy.get("DefaultVersionId"),
            "IsAttachable": policy.get("IsAttachable", True),
            "CreateDate": str(policy.get("CreateDate")),
            "UpdateDate": str(policy.get("UpdateDate")),
        }

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        arn, new, old = request.physical_id, request.properties, request.old_properties
        if new.get("PolicyDocument") != old.get("PolicyDocument"):
            versions = (await request.call("iam", "ListPolicyVersions", {"PolicyArn": arn}))["Versions"]
            if len(versions) >= 5:
                oldest = min(
                    (v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"]
                )
                await request.call(
                    "iam", "DeletePolicyVersion", {"PolicyArn": arn, "VersionId": oldest["VersionId"]}
                )
            await request.call(
                "iam",
                "CreatePolicyVersion",
                {
                    "PolicyArn": arn,
                    "PolicyDocument": permissions_text(new["PolicyDocument"]),
                    "SetAsDefault": True,
                },
            )
        await self._attach(request, arn, new, old)
        return await self._attributes(request, arn)

    async def delete(self, request: ResourceRequest) -> None:
        arn = request.physical_id
        await self._attach(request, arn, {}, request.properties)
        try:
            versions = (await request.call("iam", "ListPolicyVersions", {"PolicyArn": arn}))["Versions"]
        except ResourceFailed as error:
            if error.code == "NoSuchEntity":
                return
            raise
        for version in versions:
            if not version["IsDefaultVersion"]:
                await request.call(
                    "iam", "DeletePolicyVersion", {"PolicyArn": arn, "VersionId": version["VersionId"]}
                )
        await _ignore_missing(request, "DeletePolicy", {"PolicyArn": arn})


class User(ResourceHandler):
    replace_on = frozenset({"UserName"})
    name_property = "UserName"
    attributes = frozenset({"Arn"})
    needs_iam = True

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("UserName") or request.physical_name(64)
        params: dict[str, Any] = {"UserName": name, "Path": properties.get("Path", "/")}
        if properties.get("PermissionsBoundary"):
            params["PermissionsBoundary"] = properties["PermissionsBoundary"]
        tags = request.user_tags(properties.get("Tags"))
        if tags:
            params["Tags"] = tags
        user = (await request.call("iam", "CreateUser", params))["User"]
        await self._sync(request, name, properties, {})
        return name, {"Arn": user["Arn"]}

    async def _sync(
        self, request: ResourceRequest, name: str, new: dict[str, Any], old: dict[str, Any]
    ) -> None:
        for group in sorted(set(old.get("Groups", [])) - set(new.get("Groups", []))):
            await _ignore_missing(request, "RemoveUserFromGroup", {"UserName": name, "GroupName": group})
        for group in sorted(set(new.get("Groups", [])) - set(old.get("Groups", []))):
            await request.call("iam", "AddUserToGroup", {"UserName": name, "GroupName": group})
        await sync_policies(request, "User", name, new, old)
        profile, old_profile = new.get("LoginProfile"), old.get("LoginProfile")
        if profile != old_profile:
            if old_profile:
                await _ignore_missing(request, "DeleteLoginProfile", {"UserName": name})
            if profile:
                await request.call(
                    "iam",
                    "CreateLoginProfile",
                    {
                        "UserName": name,
                        "Password": profile["Password"],
                        "PasswordResetRequired": str(profile.get("PasswordResetRequired", "false")).lower()
                        == "true",
                    },
                )

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._sync(request, request.physical_id, request.properties, request.old_properties)
        user = (await request.call("iam", "GetUser", {"UserName": request.physical_id}))["User"]
        return {"Arn": user["Arn"]}

    async def delete(self, request: ResourceRequest) -> None:
        await self._sync(request, request.physical_id, {}, request.properties)
        await _ignore_missing(request, "DeleteUser", {"UserName": request.physical_id})


class Group(ResourceHandler):
    replace_on = frozenset({"GroupName"})
    name_property = "GroupName"
    attributes = frozenset({"Arn"})
    needs_iam = True

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("GroupName") or request.physical_name(128)
        group = (
            await request.call("iam", "CreateGroup", {"GroupName": name, "Path": properties.get("Path", "/")})
        )["Group"]
        await sync_policies(request, "Group", name, properties, {})
        return name, {"Arn": group["Arn"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        name = request.physical_id
        if request.properties.get("Path", "/") != request.old_properties.get("Path", "/"):
            await request.call(
                "iam", "UpdateGroup", {"GroupName": name, "NewPath": request.properties.get("Path", "/")}
            )
        await sync_policies(request, "Group", name, request.properties, request.old_properties)
        group = (await request.call("iam", "GetGroup", {"GroupName": name}))["Group"]
        return {"Arn": group["Arn"]}

    async def delete(self, request: ResourceRequest) -> None:
        await drop_policies(request, "Group", request.physical_id, request.properties)
        await _ignore_missing(request, "DeleteGroup", {"GroupName": request.physical_id})


class InstanceProfile(ResourceHandler):
    replace_on = frozenset({"InstanceProfileName", "Path"})
    name_property = "InstanceProfileName"
    required = ("Roles",)
    attributes = frozenset({"Arn"})
    needs_iam = True

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("InstanceProfileName") or request.physical_name(128)
        profile = (
            await request.call(
                "iam",
                "CreateInstanceProfile",
                {"InstanceProfileName": name, "Path": properties.get("Path", "/")},
            )
        )["InstanceProfile"]
        for role in properties.get("Roles", []):
            await request.call(
                "iam", "AddRoleToInstanceProfile", {"InstanceProfileName": name, "RoleName": role}
            )
        return name, {"Arn": profile["Arn"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        name = request.physical_id
        old, new = set(request.old_properties.get("Roles", [])), set(request.properties.get("Roles", []))
        for role in sorted(old - new):
            await _ignore_missing(
                request, "RemoveRoleFromInstanceProfile", {"InstanceProfileName": name, "RoleName": role}
            )
        for role in sorted(new - old):
            await request.call(
                "iam", "AddRoleToInstanceProfile", {"InstanceProfileName": name, "RoleName": role}
            )
        profile = (await request.call("iam", "GetInstanceProfile", {"InstanceProfileName": name}))[
            "InstanceProfile"
        ]
        return {"Arn": profile["Arn"]}

    async def delete(self, request: ResourceRequest) -> None:
        name = request.physical_id
        for role in request.properties.get("Roles", []):
            await _ignore_missing(
                request, "RemoveRoleFromInstanceProfile", {"InstanceProfileName": name, "RoleName": role}
            )
        await _ignore_missing(request, "DeleteInstanceProfile", {"InstanceProfileName": name})


class AccessKey(ResourceHandler):
    replace_on = frozenset({"UserName", "Serial"})
    required = ("UserName",)
    attributes = frozenset({"SecretAccessKey"})
    needs_iam = True

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        user = request.properties["UserName"]
        key = (await request.call("iam", "CreateAccessKey", {"UserName": user}))["AccessKey"]
        if request.properties.get("Status", "Active") == "Inactive":
            await request.call(
                "iam",
                "UpdateAccessKey",
                {"UserName": user, "AccessKeyId": key["AccessKeyId"], "Status": "Inactive"},
            )
        return key["AccessKeyId"], {"SecretAccessKey": key["SecretAccessKey"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call(
            "iam",
            "UpdateAccessKey",
            {
                "UserName": request.properties["UserName"],
                "AccessKeyId": request.physical_id,
                "Status": request.properties.get("Status", "Active"),
            },
        )
        return request.attributes

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(
            request,
            "DeleteAccessKey",
            {"UserName": request.properties["UserName"], "AccessKeyId": request.physical_id},
        )


class ServiceLinkedRole(ResourceHandler):
    replace_on = frozenset({"AWSServiceName", "CustomSuffix"})
    attributes = frozenset({"RoleName"})
    needs_iam = True

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {"AWSServiceName": properties["AWSServiceName"]}
        for key in ("Description", "CustomSuffix"):
            if properties.get(key):
                params[key] = properties[key]
        role = (await request.call("iam", "CreateServiceLinkedRole", params))["Role"]
        return role["RoleName"], {"RoleName": role["RoleName"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call(
            "iam",
            "UpdateRoleDescription",
            {"RoleName": request.physical_id, "Description": request.properties.get("Description", "")},
        )
        return {"RoleName": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteServiceLinkedRole", {"RoleName": request.physical_id})


class ServerCertificate(ResourceHandler):
    """A certificate uploaded to IAM; only its Path and Tags change in place."""

    replace_on = frozenset({"ServerCertificateName", "CertificateBody", "CertificateChain", "PrivateKey"})
    name_property = "ServerCertificateName"
    attributes = frozenset({"Arn"})
    needs_iam = True

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("ServerCertificateName") or request.physical_name(128)
        params: dict[str, Any] = {"ServerCertificateName": name}
        for key in ("CertificateBody", "PrivateKey", "CertificateChain", "Path", "Tags"):
            if properties.get(key):
                params[key] = properties[key]
        metadata = (await request.call("iam", "UploadServerCertificate", params))["ServerCertificateMetadata"]
        return name, {"Arn": metadata["Arn"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        name = request.physical_id
        old, new = request.old_properties, request.properties
        if old.get("Path", "/") != new.get("Path", "/"):
            await request.call(
                "iam",
                "UpdateServerCertificate",
                {"ServerCertificateName": name, "NewPath": new.get("Path", "/")},
            )
        old_tags = {tag["Key"]: tag.get("Value", "") for tag in old.get("Tags") or []}
        new_tags = {tag["Key"]: tag.get("Value", "") for tag in new.get("Tags") or []}
        if gone := sorted(set(old_tags) - set(new_tags)):
            await request.call(
                "iam", "UntagServerCertificate", {"ServerCertificateName": name, "TagKeys": gone}
            )
        if changed := [{"Key": k, "Value": v} for k, v in new_tags.items() if old_tags.get(k) != v]:
            await request.call(
                "iam", "TagServerCertificate", {"ServerCertificateName": name, "Tags": changed}
            )
        metadata = (await request.call("iam", "GetServerCertificate", {"ServerCertificateName": name}))[
            "ServerCertificate"
        ]["ServerCertificateMetadata"]
        return {"Arn": metadata["Arn"]}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(
            request, "DeleteServerCertificate", {"ServerCertificateName": request.physical_id}
        )


class _InlinePolicy(ResourceHandler):
    """RolePolicy, UserPolicy, GroupPolicy: one inline policy of one principal; the physical
    id is "{PolicyName}|{principal name}" (the pair that identifies it)."""

    kind: ClassVar[str] = "Role"
    needs_iam = True

    @property
    def key(self) -> str:
        return _KINDS[self.kind][0]

    @property
    def replace_on(self) -> frozenset[str]:  # type: ignore[override]
        return frozenset({"PolicyName", self.key})

    def _check(self, request: ResourceRequest) -> None:
        missing = [name for name in ("PolicyName", self.key) if not request.properties.get(name)]
        if missing:
            raise ResourceFailed(
                "Properties validation failed for resource "
                f"{request.logical_id} with message:\n#: required key [{missing[0]}] not found"
            )

    async def _put(self, request: ResourceRequest) -> None:
        properties = request.properties
        document = properties.get("PolicyDocument") or {"Version": "2012-10-17", "Statement": []}
        await request.call(
            "iam",
            _KINDS[self.kind][3],
            {
                self.key: properties[self.key],
                "PolicyName": properties["PolicyName"],
                "PolicyDocument": permissions_text(document),
            },
        )

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        self._check(request)
        await self._put(request)
        return f"{request.properties['PolicyName']}|{request.properties[self.key]}", {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._put(request)
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        policy_name, _, principal = request.physical_id.partition("|")
        await _ignore_missing(request, _KINDS[self.kind][4], {self.key: principal, "PolicyName": policy_name})

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        policy_name, _, principal = request.physical_id.partition("|")
        found = await read_or_gone(
            request,
            "iam",
            f"Get{self.kind}Policy",
            {self.key: principal, "PolicyName": policy_name},
            "NoSuchEntity",
        )
        document = found["PolicyDocument"]
        if isinstance(document, str):
            from urllib.parse import unquote

            document = json.loads(unquote(document))
        return {"PolicyName": policy_name, self.key: principal, "PolicyDocument": document}


class RolePolicy(_InlinePolicy):
    kind = "Role"


class UserPolicy(_InlinePolicy):
    kind = "User"


class GroupPolicy(_InlinePolicy):
    kind = "Group"


class UserToGroupAddition(ResourceHandler):
    required = ("GroupName", "Users")
    replace_on = frozenset({"GroupName"})
    needs_iam = True

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        group = request.properties["GroupName"]
        added: list[str] = []
        try:
            for user in request.properties["Users"]:
                await request.call("iam", "AddUserToGroup", {"GroupName": group, "UserName": user})
                added.append(user)
        except ResourceFailed:
            for user in added:
                await _ignore_missing(request, "RemoveUserFromGroup", {"GroupName": group, "UserName": user})
            raise
        return request.physical_name(128), {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        group = request.properties["GroupName"]
        old, new = set(request.old_properties.get("Users", [])), list(request.properties["Users"])
        for user in sorted(old - set(new)):
            await _ignore_missing(request, "RemoveUserFromGroup", {"GroupName": group, "UserName": user})
        for user in new:
            if user not in old:
                await request.call("iam", "AddUserToGroup", {"GroupName": group, "UserName": user})
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        group = request.properties.get("GroupName")
        for user in request.properties.get("Users", []):
            await _ignore_missing(request, "RemoveUserFromGroup", {"GroupName": group, "UserName": user})


class OIDCProvider(ResourceHandler):
    identifier = "Arn"
    replace_on = frozenset({"Url"})
    attributes = frozenset({"Arn"})
    needs_iam = True

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {
            "Url": properties.get("Url", ""),
            "ClientIDList": list(properties.get("ClientIdList", [])),
            "ThumbprintList": list(properties.get("ThumbprintList", [])),
        }
        tags = request.user_tags(properties.get("Tags"))
        if tags:
            params["Tags"] = tags
        arn = (await request.call("iam", "CreateOpenIDConnectProvider", params))["OpenIDConnectProviderArn"]
        return arn, {"Arn": arn}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        arn, new, old = request.physical_id, request.properties, request.old_properties
        if new.get("ThumbprintList") != old.get("ThumbprintList"):
            await request.call(
                "iam",
                "UpdateOpenIDConnectProviderThumbprint",
                {"OpenIDConnectProviderArn": arn, "ThumbprintList": list(new.get("ThumbprintList", []))},
            )
        before, after = set(old.get("ClientIdList", [])), set(new.get("ClientIdList", []))
        for client in sorted(before - after):
            await request.call(
                "iam",
                "RemoveClientIDFromOpenIDConnectProvider",
                {"OpenIDConnectProviderArn": arn, "ClientID": client},
            )
        for client in sorted(after - before):
            await request.call(
                "iam",
                "AddClientIDToOpenIDConnectProvider",
                {"OpenIDConnectProviderArn": arn, "ClientID": client},
            )
        await _retag(request, "OpenIDConnectProvider", {"OpenIDConnectProviderArn": arn})
        return {"Arn": arn}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(
            request, "DeleteOpenIDConnectProvider", {"OpenIDConnectProviderArn": request.physical_id}
        )

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call(
            "iam", "GetOpenIDConnectProvider", {"OpenIDConnectProviderArn": request.physical_id}
        )
        return {"Arn": request.physical_id}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        found = await read_or_gone(
            request,
            "iam",
            "GetOpenIDConnectProvider",
            {"OpenIDConnectProviderArn": request.physical_id},
            "NoSuchEntity",
        )
        return {
            "Url": "https://" + found["Url"],
            "ClientIdList": found.get("ClientIDList", []),
            "ThumbprintList": found.get("ThumbprintList", []),
        }


async def _retag(request: ResourceRequest, kind: str, identity: dict[str, Any]) -> None:
    """Move a taggable IAM resource's own tags from the old properties to the new."""
    old = {tag["Key"]: str(tag["Value"]) for tag in request.old_properties.get("Tags", [])}
    new = {tag["Key"]: str(tag["Value"]) for tag in request.properties.get("Tags", [])}
    gone = sorted(old.keys() - new.keys())
    if gone:
        await request.call("iam", f"Untag{kind}", {**identity, "TagKeys": gone})
    changed = [{"Key": key, "Value": value} for key, value in new.items() if old.get(key) != value]
    if changed:
        await request.call("iam", f"Tag{kind}", {**identity, "Tags": changed})


class SAMLProvider(ResourceHandler):
    identifier = "Arn"
    replace_on = frozenset({"Name"})
    name_property = "Name"
    required = ("SamlMetadataDocument",)
    attributes = frozenset({"Arn"})
    needs_iam = True

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {
            "Name": properties.get("Name") or request.physical_name(128),
            "SAMLMetadataDocument": properties["SamlMetadataDocument"],
        }
        tags = request.user_tags(properties.get("Tags"))
        if tags:
            params["Tags"] = tags
        arn = (await request.call("iam", "CreateSAMLProvider", params))["SAMLProviderArn"]
        return arn, await self._attributes(request, arn)

    async def _attributes(self, request: ResourceRequest, arn: str) -> dict[str, Any]:
        await request.call("iam", "GetSAMLProvider", {"SAMLProviderArn": arn})
        return {"Arn": arn}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        arn = request.physical_id
        if request.properties.get("SamlMetadataDocument") != request.old_properties.get(
            "SamlMetadataDocument"
        ):
            await request.call(
                "iam",
                "UpdateSAMLProvider",
                {"SAMLProviderArn": arn, "SAMLMetadataDocument": request.properties["SamlMetadataDocument"]},
            )
        await _retag(request, "SAMLProvider", {"SAMLProviderArn": arn})
        return await self._attributes(request, arn)

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteSAMLProvider", {"SAMLProviderArn": request.physical_id})

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._attributes(request, request.physical_id)

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        found = await read_or_gone(
            request, "iam", "GetSAMLProvider", {"SAMLProviderArn": request.physical_id}, "NoSuchEntity"
        )
        return {"SamlMetadataDocument": found["SAMLMetadataDocument"]}


class VirtualMFADevice(ResourceHandler):
    """A virtual MFA device, enabled for the template's Users with two consecutive codes of
    its own seed (as CloudFormation does)."""

    replace_on = frozenset({"VirtualMfaDeviceName", "Path"})
    name_property = "VirtualMfaDeviceName"
    required = ("Users",)
    attributes = frozenset({"SerialNumber"})
    needs_iam = True

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {
            "VirtualMFADeviceName": properties.get("VirtualMfaDeviceName") or request.physical_name(64),
            "Path": properties.get("Path", "/"),
        }
        tags = request.user_tags(properties.get("Tags"))
        if tags:
            params["Tags"] = tags
        device = (await request.call("iam", "CreateVirtualMFADevice", params))["VirtualMFADevice"]
        serial = device["SerialNumber"]
        seed = device["Base32StringSeed"]
        seed = seed.decode() if isinstance(seed, bytes) else seed
        try:
            for user in properties.get("Users", []):
                await self._enable(request, serial, seed, user)
        except ResourceFailed:
            await self.delete(request.__class__(**{**request.__dict__, "physical_id": serial}))
            raise
        return serial, {"SerialNumber": serial}

    async def _enable(self, request: ResourceRequest, serial: str, seed: str, user: str) -> None:
        import time

        from overcast.services.iam.credentials import totp

        step = int(time.time()) // 30
        await request.call(
            "iam",
            "EnableMFADevice",
            {
                "UserName": user,
                "SerialNumber": serial,
                "AuthenticationCode1": totp(seed, step),
                "AuthenticationCode2": totp(seed, step + 1),
            },
        )

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        serial = request.physical_id
        old, new = list(request.old_properties.get("Users", [])), list(request.properties.get("Users", []))
        for user in old:
            if user not in new:
                await _ignore_missing(
                    request, "DeactivateMFADevice", {"UserName": user, "SerialNumber": serial}
                )
        added = [user for user in new if user not in old]
        if added:
            # The seed is only shown at creation: the device's record keeps it.
            seed = await self._seed(request, serial)
            for user in added:
                await self._enable(request, serial, seed, user)
        await _retag(request, "MFADevice", {"SerialNumber": serial})
        return {"SerialNumber": serial}

    async def _seed(self, request: ResourceRequest, serial: str) -> str:
        provider = request.runtime.provider("iam")
        record = provider._get("mfa_devices", request.account, serial)
        if record is None:
            raise ResourceFailed(
                f"VirtualMFADevice with serial number {serial} doesn't exist.", "NoSuchEntity"
            )
        return str(record["Seed"])

    async def delete(self, request: ResourceRequest) -> None:
        serial = request.physical_id
        for user in request.properties.get("Users", []):
            await _ignore_missing(request, "DeactivateMFADevice", {"UserName": user, "SerialNumber": serial})
        await _ignore_missing(request, "DeleteVirtualMFADevice", {"SerialNumber": serial})


HANDLERS = {
    "AWS::IAM::Role": Role,
    "AWS::IAM::Policy": Policy,
    "AWS::IAM::ManagedPolicy": ManagedPolicy,
    "AWS::IAM::User": User,
    "AWS::IAM::Group": Group,
    "AWS::IAM::InstanceProfile": InstanceProfile,
    "AWS::IAM::AccessKey": AccessKey,
    "AWS::IAM::ServiceLinkedRole": ServiceLinkedRole,
    "AWS::IAM::ServerCertificate": ServerCertificate,
    "AWS::IAM::RolePolicy": RolePolicy,
    "AWS::IAM::UserPolicy": UserPolicy,
    "AWS::IAM::GroupPolicy": GroupPolicy,
    "AWS::IAM::UserToGroupAddition": UserToGroupAddition,
    "AWS::IAM::OIDCProvider": OIDCProvider,
    "AWS::IAM::SAMLProvider": SAMLProvider,
    "AWS::IAM::VirtualMFADevice": VirtualMFADevice,
}
