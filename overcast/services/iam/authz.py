"""From a request's credentials to what the policy engine needs: the principal, and the
identity policies, permissions boundary and session policies that apply to it."""

from __future__ import annotations

import json
import logging
from typing import Any

from overcast import policy
from overcast.common.arns import partition
from overcast.services.iam.base import IamBase, now

log = logging.getLogger(__name__)


class AuthorizationMixin(IamBase):
    def __init__(self, runtime) -> None:
        super().__init__(runtime)
        #: principal key → (generation, (identity policies, boundaries, session policies))
        self._policy_cache: dict = {}

    def principal_for(
        self, identity: dict | None, account: str, region: str = "us-east-1"
    ) -> policy.Principal:
        """The policy engine's principal for a credential record (None: the account's root)."""
        if identity is None:
            return self._principal(identity, account, region)
        key = ("principal", identity.get("AccessKeyId") or identity.get("Arn", ""), account, region)
        cached = self._policy_cache.get(key)
        if cached is not None and cached[0] == self.generation:
            return cached[1]
        principal = self._principal(identity, account, region)
        self._policy_cache[key] = (self.generation, principal)
        return principal

    def _principal(self, identity: dict | None, account: str, region: str) -> policy.Principal:
        if not identity or identity.get("Kind") == "root" or identity.get("SessionType") == "root":
            return policy.Principal(
                f"arn:{partition(region)}:iam::{account}:root", account, policy.ROOT, account
            )
        tags = {t["Key"]: t["Value"] for t in identity.get("PrincipalTags") or []}
        if identity.get("Kind") == "user" or identity.get("SessionType") == "user":
            user = self._get("users", account, identity["UserName"]) or {}
            tags = {t["Key"]: t["Value"] for t in user.get("Tags") or []}
            return policy.Principal(
                user.get("Arn") or identity["Arn"],
                account,
                policy.USER,
                identity["UserId"],
                identity["UserName"],
                tags=tags,
            )
        if identity.get("SessionType") == "federated":
            return policy.Principal(
                identity["Arn"], account, policy.FEDERATED_USER, identity["UserId"], tags=tags
            )
        role = self._get("roles", account, identity.get("RoleName", "")) or {}
        role_tags = {t["Key"]: t["Value"] for t in role.get("Tags") or []}
        return policy.Principal(
            identity["Arn"],
            account,
            policy.ASSUMED_ROLE,
            identity["UserId"],
            role_arn=identity.get("RoleArn", ""),
            tags={**role_tags, **tags},
        )

    def resource_tags(self, arn: str) -> dict[str, str] | None:
        """Tags of the user, role or customer managed policy an ARN names (aws:ResourceTag)."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "iam" or not parts[4].isdigit():
            return None
        kind, _, rest = parts[5].partition("/")
        table = {"user": "users", "role": "roles", "policy": "policies"}.get(kind)
        record = self._get(table, parts[4], rest.rsplit("/", 1)[-1]) if table and rest else None
        if record is None:
            return None
        return {t["Key"]: t["Value"] for t in record.get("Tags") or []}

    def _managed(self, account: str, arns, kind_label: str | None) -> list[policy.Policy]:
        """Managed policies by ARN; kind_label None names them as SimulatePolicy does
        (aws-managed or user-managed)."""
        found = []
        for arn in arns:
            record = self.managed_policy(account, arn)
            if record is None:
                continue
            label = kind_label or ("aws-managed" if record.get("AwsManaged") else "user-managed")
            found.append(self._parsed(self.document_of(record), arn, label))
        return found

    @staticmethod
    def _parsed(text: str, policy_id: str, policy_type: str) -> policy.Policy:
        try:
            parsed = policy.parse(text, policy.IDENTITY)
        except policy.MalformedPolicy:  # stored before validation tightened: it grants nothing
            log.warning("ignoring malformed stored policy %s", policy_id)
            return policy.Policy("2012-10-17", [], policy_id, policy_type)
        parsed.policy_id = policy_id
        parsed.policy_type = policy_type
        return parsed

    def entity_policies(self, kind: str, account: str, record: dict) -> list[policy.Policy]:
        """The inline and attached policies of a user (with its groups'), group or role."""
        found = [self._parsed(text, name, kind) for name, text in record["Inline"].items()]
        found += self._managed(account, record["Attached"], None)
        if kind == "user":
            for group_name in record.get("Groups") or []:
                group = self._get("groups", account, group_name)
                if group:
                    found += [self._parsed(text, name, "group") for name, text in group["Inline"].items()]
                    found += self._managed(account, group["Attached"], None)
        return found

    def policies_for(self, identity: dict, account: str) -> tuple[list, list | None, list | None]:
        """(identity policies, permissions boundaries or None, session policies or None)."""
        cache_key = identity.get("AccessKeyId") or identity.get("Arn", "")
        cached = self._policy_cache.get(cache_key)
        if cached is not None and cached[0] == self.generation:
            return cached[1]
        record = None
        kind = "user"
        if identity.get("Kind") == "user" or identity.get("SessionType") == "user":
            record = self._get("users", account, identity["UserName"])
        elif identity.get("SessionType") == "role":
            kind = "role"
            record = self._get("roles", account, identity["RoleName"])
        identity_policies = self.entity_policies(kind, account, record) if record else []
        boundaries = None
        if record and record.get("PermissionsBoundary"):
            boundaries = self._managed(account, [record["PermissionsBoundary"]], "permissions-boundary")
        sessions = None
        if identity.get("SessionPolicy") or identity.get("PolicyArns"):
            sessions = []
            if identity.get("SessionPolicy"):
                sessions.append(self._parsed(identity["SessionPolicy"], "session-policy", "session"))
            sessions += self._managed(account, identity.get("PolicyArns") or [], "session")
            if len(sessions) > 1:
                # Several session policies act as one: their union bounds the session.
                merged = policy.Policy(
                    "2012-10-17", [s for p in sessions for s in p.statements], "session-policy", "session"
                )
                sessions = [merged]
        if identity.get("ScopedPolicies"):
            # GetScopedCredentials on a session that had a session policy: each scope is a
            # further limit of its own, on top of that policy (evaluate needs every one).
            sessions = list(sessions or [])
            sessions += [
                self._parsed(text, f"scoped-policy-{n}", "session")
                for n, text in enumerate(identity["ScopedPolicies"], 1)
            ]
        if identity.get("SessionType") == "federated":
            # A federation token's user has the federating user's permissions, bounded by the
            # policies passed to GetFederationToken.
            owner = (
                self._get("users", account, identity.get("FederatingUser", ""))
                if identity.get("FederatingUser")
                else None
            )
            identity_policies = (
                self.entity_policies("user", account, owner)
                if owner
                else [
                    policy.parse(
                        json.dumps(
                            {
                                "Version": "2012-10-17",
                                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
                            }
                        )
                    )
                ]
            )
            sessions = sessions if sessions is not None else []
        result = (identity_policies, boundaries, sessions)
        if len(self._policy_cache) > 4096:
            self._policy_cache.clear()
        self._policy_cache[cache_key] = (self.generation, result)
        return result

    # -- for STS: the roles and identity providers it issues credentials through --------------

    def role(self, account: str, name: str) -> dict[str, Any] | None:
        """The role record (RoleName, RoleId, Arn, Path, AssumeRolePolicyDocument,
        MaxSessionDuration, Tags, ...), or None if the account has no role of that name."""
        record: dict[str, Any] | None = self._get("roles", account, name)
        return record

    def note_role_used(self, account: str, name: str, region: str) -> None:
        """The role was assumed just now, from `region` (GetRole answers it as RoleLastUsed)."""
        record = self._get("roles", account, name)
        if record is not None:
            record["RoleLastUsed"] = {"LastUsedDate": now(), "Region": region}
            self._put("roles", account, name, record)

    def saml_provider(self, account: str, arn: str) -> dict[str, Any] | None:
        """The SAML provider record (SAMLMetadataDocument, ...), or None if there is none."""
        record: dict[str, Any] | None = self._get("saml_providers", account, arn)
        return record
