"""Account-wide IAM: instance profiles, account alias, password policy, identity providers,
service-linked roles, and the account's summary and authorization details."""

from __future__ import annotations

import json
import re
import uuid
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from overcast.context import RequestContext
from overcast.services.iam import ids
from overcast.services.iam.base import (
    IamBase,
    already_exists,
    check_path,
    delete_conflict,
    encode_document,
    invalid_input,
    limit_exceeded,
    no_such_entity,
    now,
    tag_list,
    validation_error,
)
from overcast.services.iam.catalog import generic_service_role_name, service_linked_roles
from overcast.services.iam.entities import boundary_shape, check_name

if TYPE_CHECKING:
    # Methods here that use what other mixins give the Provider declare `self: Provider`. mypy
    # accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.iam.provider import Provider

_ALIAS = re.compile(r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$")


class AccountMixin(IamBase):
    # -- instance profiles -----------------------------------------------------------------------

    def _profile(self, account: str, name: str) -> dict:
        record = self._get("instance_profiles", account, name)
        if record is None:
            raise no_such_entity(f"Instance Profile {name} cannot be found.")
        return record

    def _profile_shape(self: Provider, account: str, record: dict) -> dict:  # type: ignore[misc]
        roles = [self._get("roles", account, name) for name in record["Roles"]]
        shape = {
            k: record[k] for k in ("Path", "InstanceProfileName", "InstanceProfileId", "Arn", "CreateDate")
        }
        shape["Roles"] = [self.role_shape(r, full=False) for r in roles if r]
        if record.get("Tags"):
            shape["Tags"] = record["Tags"]
        return shape

    def create_instance_profile(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = check_name(params["InstanceProfileName"], "instanceProfileName")
        if self._get("instance_profiles", context.account, name) is not None:
            raise already_exists(f"Instance Profile {name} already exists.")
        path = check_path(params.get("Path"))
        record = {
            "InstanceProfileName": name,
            "InstanceProfileId": ids.unique_id("instance-profile"),
            "Path": path,
            "Arn": self.arn(context, context.account, f"instance-profile{path}{name}"),
            "CreateDate": now(),
            "Roles": [],
            "Tags": tag_list(params.get("Tags")),
        }
        self._put("instance_profiles", context.account, name, record)
        return {"InstanceProfile": self._profile_shape(context.account, record)}

    def get_instance_profile(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {
            "InstanceProfile": self._profile_shape(
                context.account, self._profile(context.account, params["InstanceProfileName"])
            )
        }

    def delete_instance_profile(self, context, params):
        record = self._profile(context.account, params["InstanceProfileName"])
        if record["Roles"]:
            raise delete_conflict("Cannot delete entity, must remove roles from instance profile first.")
        self._delete("instance_profiles", context.account, record["InstanceProfileName"])
        return {}

    def list_instance_profiles(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        prefix = params.get("PathPrefix") or "/"
        profiles = [
            self._profile_shape(context.account, p)
            for p in self._all("instance_profiles", context.account)
            if p["Path"].startswith(prefix)
        ]
        return self.paginate(profiles, params, "InstanceProfiles")

    def list_instance_profiles_for_role(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        role = self.entity("role", context.account, params["RoleName"])
        profiles = [
            self._get("instance_profiles", context.account, n) for n in role.get("InstanceProfiles") or []
        ]
        return self.paginate(
            [self._profile_shape(context.account, p) for p in profiles if p], params, "InstanceProfiles"
        )

    def add_role_to_instance_profile(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._profile(context.account, params["InstanceProfileName"])
        role = self.entity("role", context.account, params["RoleName"])
        if record["Roles"]:
            raise limit_exceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
        with self.store.transaction():
            record["Roles"].append(role["RoleName"])
            role.setdefault("InstanceProfiles", []).append(record["InstanceProfileName"])
            self._put("instance_profiles", context.account, record["InstanceProfileName"], record)
            self._save("role", context.account, role)
        return {}

    def remove_role_from_instance_profile(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._profile(context.account, params["InstanceProfileName"])
        role = self.entity("role", context.account, params["RoleName"])
        if not any(r.lower() == role["RoleName"].lower() for r in record["Roles"]):
            raise no_such_entity(f"The role with name {role['RoleName']} cannot be found.")
        with self.store.transaction():
            record["Roles"] = [r for r in record["Roles"] if r.lower() != role["RoleName"].lower()]
            role["InstanceProfiles"] = [
                p
                for p in role.get("InstanceProfiles") or []
                if p.lower() != record["InstanceProfileName"].lower()
            ]
            self._put("instance_profiles", context.account, record["InstanceProfileName"], record)
            self._save("role", context.account, role)
        return {}

    # -- account alias and password policy -------------------------------------------------------

    def create_account_alias(self, context, params):
        alias = params["AccountAlias"]
        if not _ALIAS.match(alias):
            raise validation_error(
                f"1 validation error detected: Value '{alias}' at 'accountAlias' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$"
            )
        owners = self.tables["account"]
        for account in owners.scopes():
            if account != context.account and owners.get(account, "alias") == alias:
                raise already_exists(f"The account alias {alias} already exists.")
        self._put("account", context.account, "alias", alias)
        return {}

    def list_account_aliases(self, context, params):
        alias = self._get("account", context.account, "alias")
        return self.paginate([alias] if alias else [], params, "AccountAliases")

    def delete_account_alias(self, context, params):
        if self._get("account", context.account, "alias") != params["AccountAlias"]:
            raise no_such_entity(f"The account alias {params['AccountAlias']} cannot be found.")
        self._delete("account", context.account, "alias")
        return {}

    def update_account_password_policy(self, context, params):
        rules = {
            "MinimumPasswordLength": params.get("MinimumPasswordLength", 6),
            "RequireSymbols": params.get("RequireSymbols", False),
            "RequireNumbers": params.get("RequireNumbers", False),
            "RequireUppercaseCharacters": params.get("RequireUppercaseCharacters", False),
            "RequireLowercaseCharacters": params.get("RequireLowercaseCharacters", False),
            "AllowUsersToChangePassword": params.get("AllowUsersToChangePassword", False),
            "HardExpiry": params.get("HardExpiry", False),
        }
        for optional in ("MaxPasswordAge", "PasswordReusePrevention"):
            if params.get(optional):
                rules[optional] = params[optional]
        self._put("account", context.account, "password-policy", rules)
        return {}

    def get_account_password_policy(self, context, params):
        rules = self._get("account", context.account, "password-policy")
        if rules is None:
            raise no_such_entity(f"The Password Policy with domain name {context.account} cannot be found.")
        return {"PasswordPolicy": {**rules, "ExpirePasswords": bool(rules.get("MaxPasswordAge"))}}

    def delete_account_password_policy(self, context, params):
        if not self._delete("account", context.account, "password-policy"):
            raise no_such_entity(f"The Password Policy with domain name {context.account} cannot be found.")
        return {}

    # -- identity providers ----------------------------------------------------------------------

    def create_open_id_connect_provider(self, context, params):
        url = params["Url"]
        parsed = urlparse(url)
        if parsed.scheme != "https" or not parsed.netloc:
            raise validation_error("Invalid Open ID Connect Provider URL")
        host = (parsed.netloc + parsed.path).rstrip("/")
        arn = self.arn(context, context.account, f"oidc-provider/{host}")
        if self._get("oidc_providers", context.account, arn) is not None:
            raise already_exists(f"Provider with url {url} already exists.")
        clients = params.get("ClientIDList") or []
        thumbprints = params.get("ThumbprintList") or []
        if len(thumbprints) > 5:
            raise limit_exceeded("Thumbprint list must contain fewer than 5 entries.")
        record = {
            "Arn": arn,
            "Url": host,
            "ClientIDList": clients,
            "ThumbprintList": thumbprints,
            "CreateDate": now(),
            "Tags": tag_list(params.get("Tags")),
        }
        for member in ("ContextProvider", "IdentityCenterInstanceArn"):
            if params.get(member) is not None:
                record[member] = params[member]
        self._put("oidc_providers", context.account, arn, record)
        return {"OpenIDConnectProviderArn": arn, **({"Tags": record["Tags"]} if record["Tags"] else {})}

    def _oidc(self, account: str, arn: str) -> dict:
        record = self._get("oidc_providers", account, arn)
        if record is None:
            raise no_such_entity(f"OpenIDConnect Provider not found for arn {arn}")
        return record

    def oidc_provider_for(self, account: str, issuer: str) -> dict | None:
        host = issuer.replace("https://", "").rstrip("/")
        for record in self._all("oidc_providers", account):
            if record["Url"] == host:
                return record
        return None

    def get_open_id_connect_provider(self, context, params):
        record = self._oidc(context.account, params["OpenIDConnectProviderArn"])
        keys = (
            "Url",
            "ClientIDList",
            "ThumbprintList",
            "CreateDate",
            "Tags",
            "ContextProvider",
            "IdentityCenterInstanceArn",
        )
        return {k: record[k] for k in keys if k in record}

    def update_open_id_connect_provider(self, context, params):
        """Sets or removes the trusted identity propagation context provider, or the IAM Identity
        Center association: one of the two per request, a value or its Remove flag, not both."""
        record = self._oidc(context.account, params["OpenIDConnectProviderArn"])
        context_change = params.get("ContextProvider") is not None or params.get("RemoveContextProvider")
        center_change = params.get("IdentityCenterInstanceArn") is not None or params.get(
            "RemoveIdentityCenterInstance"
        )
        if params.get("ContextProvider") is not None and params.get("RemoveContextProvider"):
            raise invalid_input("ContextProvider and RemoveContextProvider cannot both be specified.")
        if params.get("IdentityCenterInstanceArn") is not None and params.get("RemoveIdentityCenterInstance"):
            raise invalid_input(
                "IdentityCenterInstanceArn and RemoveIdentityCenterInstance cannot both be specified."
            )
        if context_change and center_change:
            raise invalid_input(
                "A request can change either the context provider or the IAM Identity Center association, not both."
            )
        if not (context_change or center_change):
            raise invalid_input("Specify a configuration to set or remove.")
        if params.get("RemoveContextProvider"):
            if "IdentityCenterInstanceArn" in record:
                raise invalid_input(
                    "Remove the IAM Identity Center association before removing the context provider."
                )
            record.pop("ContextProvider", None)
        elif params.get("ContextProvider") is not None:
            record["ContextProvider"] = params["ContextProvider"]
        elif params.get("RemoveIdentityCenterInstance"):
            record.pop("IdentityCenterInstanceArn", None)
        else:
            record["IdentityCenterInstanceArn"] = params["IdentityCenterInstanceArn"]
        self._put("oidc_providers", context.account, record["Arn"], record)
        return {}

    def list_open_id_connect_providers(self, context, params):
        return {
            "OpenIDConnectProviderList": [
                {"Arn": r["Arn"]} for r in self._all("oidc_providers", context.account)
            ]
        }

    def delete_open_id_connect_provider(self, context, params):
        self._delete("oidc_providers", context.account, params["OpenIDConnectProviderArn"])
        return {}

    def add_client_id_to_open_id_connect_provider(self, context, params):
        record = self._oidc(context.account, params["OpenIDConnectProviderArn"])
        if params["ClientID"] not in record["ClientIDList"]:
            record["ClientIDList"].append(params["ClientID"])
            self._put("oidc_providers", context.account, record["Arn"], record)
        return {}

    def remove_client_id_from_open_id_connect_provider(self, context, params):
        record = self._oidc(context.account, params["OpenIDConnectProviderArn"])
        record["ClientIDList"] = [c for c in record["ClientIDList"] if c != params["ClientID"]]
        self._put("oidc_providers", context.account, record["Arn"], record)
        return {}

    def update_open_id_connect_provider_thumbprint(self, context, params):
        record = self._oidc(context.account, params["OpenIDConnectProviderArn"])
        record["ThumbprintList"] = params["ThumbprintList"]
        self._put("oidc_providers", context.account, record["Arn"], record)
        return {}

    def create_saml_provider(self, context, params):
        name = params["Name"]
        if not re.match(r"^[\w._-]+$", name):
            raise validation_error("The specified value for name is invalid.")
        document = params["SAMLMetadataDocument"]
        if "EntityDescriptor" not in document:
            raise invalid_input("Could not parse metadata")
        arn = self.arn(context, context.account, f"saml-provider/{name}")
        if self._get("saml_providers", context.account, arn) is not None:
            raise already_exists(f"SAMLProvider {name} already exists")
        record = {
            "Arn": arn,
            "Name": name,
            "SAMLMetadataDocument": document,
            "CreateDate": now(),
            "ValidUntil": None,
            "Tags": tag_list(params.get("Tags")),
        }
        self._put("saml_providers", context.account, arn, record)
        return {"SAMLProviderArn": arn, **({"Tags": record["Tags"]} if record["Tags"] else {})}

    def _saml(self, account: str, arn: str) -> dict:
        record = self._get("saml_providers", account, arn)
        if record is None:
            raise no_such_entity(f"Manifest not found for arn {arn}")
        return record

    def get_saml_provider(self, context, params):
        record = self._saml(context.account, params["SAMLProviderArn"])
        result = {
            "SAMLMetadataDocument": record["SAMLMetadataDocument"],
            "CreateDate": record["CreateDate"],
        }
        if record.get("Tags"):
            result["Tags"] = record["Tags"]
        return result

    def update_saml_provider(self, context, params):
        record = self._saml(context.account, params["SAMLProviderArn"])
        if params.get("SAMLMetadataDocument"):
            record["SAMLMetadataDocument"] = params["SAMLMetadataDocument"]
        self._put("saml_providers", context.account, record["Arn"], record)
        return {"SAMLProviderArn": record["Arn"]}

    def list_saml_providers(self, context, params):
        return {
            "SAMLProviderList": [
                {"Arn": r["Arn"], "CreateDate": r["CreateDate"]}
                for r in self._all("saml_providers", context.account)
            ]
        }

    def delete_saml_provider(self, context, params):
        self._saml(context.account, params["SAMLProviderArn"])
        self._delete("saml_providers", context.account, params["SAMLProviderArn"])
        return {}

    # -- service-linked roles --------------------------------------------------------------------

    def create_service_linked_role(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        service = params["AWSServiceName"]
        if not service.endswith(".amazonaws.com"):
            raise invalid_input(f"Invalid service principal: {service}")
        known = service_linked_roles().get(service)
        suffix = params.get("CustomSuffix")
        if suffix and known is not None and not known["CustomSuffix"]:
            raise invalid_input(f"Custom suffix is not allowed for {service}")
        base = known["RoleName"] if known else generic_service_role_name(service)
        name = f"{base}_{suffix}" if suffix else base
        if self._get("roles", context.account, name) is not None:
            raise invalid_input(
                f"Service role name {name} has been taken in this account, please try a different suffix."
            )
        # AWS writes the trust policy of a service-linked role with single values, not lists.
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
                ],
            }
        )
        policy_arn = f"arn:aws:iam::aws:policy/{known['Policy']}" if known and known["Policy"] else None
        record = self._new(
            context,
            "role",
            name,
            f"/aws-service-role/{service}/",
            AssumeRolePolicyDocument=trust,
            Description=params.get("Description"),
            MaxSessionDuration=3600,
            Tags=[],
            PermissionsBoundary=None,
            RoleLastUsed={},
            ServiceLinked=service,
        )
        with self.store.transaction():
            if policy_arn:
                record["Attached"].append(policy_arn)
                attachments = self._get("attachments", context.account, policy_arn) or {
                    "user": [],
                    "group": [],
                    "role": [],
                }
                attachments["role"].append(name)
                self._put("attachments", context.account, policy_arn, attachments)
            self._save("role", context.account, record)
        return {"Role": self.role_shape(record)}

    def delete_service_linked_role(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        role = self.entity("role", context.account, params["RoleName"])
        if not role.get("ServiceLinked"):
            raise invalid_input(f"Role {role['RoleName']} is not a service-linked role.")
        task = f"task/aws-service-role/{role['ServiceLinked']}/{role['RoleName']}/{uuid.uuid4()}"
        with self.store.transaction():
            for arn in role["Attached"]:
                self._move_attachment(context.account, arn, "role", role["RoleName"], None)
            self._delete("roles", context.account, role["RoleName"])
            self._put("account", context.account, f"slr-task/{task}", "SUCCEEDED")
        return {"DeletionTaskId": task}

    def get_service_linked_role_deletion_status(self, context, params):
        status = self._get("account", context.account, f"slr-task/{params['DeletionTaskId']}")
        if status is None:
            raise no_such_entity(f"Deletion task {params['DeletionTaskId']} cannot be found.")
        return {"Status": status}

    # -- summary and authorization details -------------------------------------------------------

    def get_account_summary(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account = context.account
        users = self._all("users", account)
        counts = {
            "Users": len(users),
            "Groups": len(self._all("groups", account)),
            "Roles": len(self._all("roles", account)),
            "Policies": len(self._all("policies", account)),
            "InstanceProfiles": len(self._all("instance_profiles", account)),
            "MFADevices": len(self._all("mfa_devices", account)),
            "MFADevicesInUse": sum(len(u.get("MFADevices") or []) for u in users),
            "Providers": len(self._all("oidc_providers", account))
            + len(self._all("saml_providers", account)),
            "AccessKeysPerUserQuota": 2,
            "AttachedPoliciesPerGroupQuota": 10,
            "AttachedPoliciesPerRoleQuota": 10,
            "AttachedPoliciesPerUserQuota": 10,
            "AssumeRolePolicySizeQuota": 2048,
            "GroupPolicySizeQuota": 5120,
            "GroupsPerUserQuota": 10,
            "GroupsQuota": 300,
            "InstanceProfilesQuota": 1000,
            "PoliciesQuota": 1500,
            "PolicySizeQuota": 6144,
            "PolicyVersionsInUseQuota": 10000,
            "RolePolicySizeQuota": 10240,
            "RolesQuota": 1000,
            "ServerCertificatesQuota": 20,
            "SigningCertificatesPerUserQuota": 2,
            "UserPolicySizeQuota": 2048,
            "UsersQuota": 5000,
            "VersionsPerPolicyQuota": 5,
            "GlobalEndpointTokenVersion": self.global_endpoint_token_version(account),
            "AccountMFAEnabled": 0,
            "AccountAccessKeysPresent": 1 if self._root_keys(account) else 0,
            "AccountSigningCertificatesPresent": 1
            if self._get("account", account, "root-signing-certificates")
            else 0,
            "ServerCertificates": len(self._all("server_certificates", account)),
            "PolicyVersionsInUse": sum(
                len(u["Attached"])
                for table in ("users", "groups", "roles")
                for u in self._all(table, account)
            ),
        }
        return {"SummaryMap": counts}

    def get_account_authorization_details(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account = context.account
        wanted = set(
            params.get("Filter") or ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"]
        )

        def inline(record: dict) -> list[dict]:
            return [
                {"PolicyName": n, "PolicyDocument": encode_document(d)}
                for n, d in sorted(record["Inline"].items())
            ]

        def attached(record: dict) -> list[dict]:
            return [self.attached_policy(account, arn)[1] for arn in record["Attached"]]

        result: dict[str, list[dict]] = {
            "UserDetailList": [],
            "GroupDetailList": [],
            "RoleDetailList": [],
            "Policies": [],
        }
        if "User" in wanted:
            for user in self._all("users", account):
                detail = self.user_shape(user, full=False)
                detail.update(
                    UserPolicyList=inline(user),
                    GroupList=list(user["Groups"]),
                    AttachedManagedPolicies=attached(user),
                )
                if user.get("PermissionsBoundary"):
                    detail["PermissionsBoundary"] = boundary_shape(user)
                if user.get("Tags"):
                    detail["Tags"] = user["Tags"]
                result["UserDetailList"].append(detail)
        if "Group" in wanted:
            for group in self._all("groups", account):
                detail = self.group_shape(group)
                detail.update(GroupPolicyList=inline(group), AttachedManagedPolicies=attached(group))
                result["GroupDetailList"].append(detail)
        if "Role" in wanted:
            for role in self._all("roles", account):
                detail = self.role_shape(role)
                detail.pop("MaxSessionDuration", None)
                profiles = [
                    self._get("instance_profiles", account, n) for n in role.get("InstanceProfiles") or []
                ]
                detail.update(
                    RolePolicyList=inline(role),
                    AttachedManagedPolicies=attached(role),
                    InstanceProfileList=[self._profile_shape(account, p) for p in profiles if p],
                )
                detail.pop("Description", None)
                result["RoleDetailList"].append(detail)
        policies = []
        if "LocalManagedPolicy" in wanted:
            policies += self._all("policies", account)
        if "AWSManagedPolicy" in wanted:
            used = {
                arn
                for table in ("users", "groups", "roles")
                for r in self._all(table, account)
                for arn in r["Attached"]
            }
            from overcast.services.iam.catalog import aws_managed

            policies += [p for arn, p in aws_managed().items() if arn in used]
        for record in policies:
            shape = self.policy_shape(account, record, tags=False)
            versions = (
                [record["DefaultVersionId"]] if record.get("AwsManaged") else sorted(record["Versions"])
            )
            shape["PolicyVersionList"] = [self._version_shape(record, v, True) for v in versions]
            result["Policies"].append(shape)
        # One page holds everything; Marker/MaxItems still bound it for clients that page.
        page = self.paginate(
            [("UserDetailList", x) for x in result["UserDetailList"]]
            + [("GroupDetailList", x) for x in result["GroupDetailList"]]
            + [("RoleDetailList", x) for x in result["RoleDetailList"]]
            + [("Policies", x) for x in result["Policies"]],
            params,
            "Items",
        )
        out: dict[str, list[dict]] = {
            "UserDetailList": [],
            "GroupDetailList": [],
            "RoleDetailList": [],
            "Policies": [],
        }
        for member, item in page.pop("Items"):
            out[member].append(item)
        return {**out, **page}
