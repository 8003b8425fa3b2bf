"""SimulatePrincipalPolicy, SimulateCustomPolicy and the context-key listings, answered by the
same policy engine that enforcement uses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from overcast import policy
from overcast.context import RequestContext
from overcast.services.iam.base import IamBase, invalid_input, malformed, no_such_entity

if TYPE_CHECKING:
    # Methods here that use what other mixins give the Provider declare `self: Provider`. mypy
    # accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.iam.provider import Provider

_LIST_TYPES = ("stringList", "numericList", "booleanList", "dateList", "ipList", "binaryList")


def _context(entries: list[dict] | None) -> dict:
    values = {}
    for entry in entries or []:
        name = entry.get("ContextKeyName")
        if not name:  # optional in the model: an entry naming no key is one no condition reads
            continue
        given = entry.get("ContextKeyValues") or []
        if entry.get("ContextKeyType") in _LIST_TYPES:
            values[name] = list(given)
        elif given:
            values[name] = given[0] if len(given) == 1 else list(given)
    return values


def _parse_inputs(documents: list[str] | None, kind: str, policy_type: str) -> list[policy.Policy]:
    parsed = []
    for index, text in enumerate(documents or []):
        try:
            item = policy.parse(text, kind)
        except policy.MalformedPolicy as error:
            raise malformed(str(error)) from None
        item.policy_id = (
            f"PolicyInputList.{index + 1}"
            if policy_type == "IAM Policy"
            else f"PermissionsBoundaryPolicyInputList.{index + 1}"
            if policy_type == "PermissionsBoundaryPolicy"
            else "ResourcePolicy"
        )
        item.policy_type = policy_type
        parsed.append(item)
    return parsed


def _matched(decision: policy.Decision) -> list[dict]:
    return [
        {
            "SourcePolicyId": m.policy_id,
            "SourcePolicyType": m.policy_type or "none",
            "StartPosition": {"Line": m.start[0], "Column": m.start[1]},
            "EndPosition": {"Line": m.end[0], "Column": m.end[1]},
        }
        for m in decision.matched
    ]


class SimulateMixin(IamBase):
    def _simulate(self, context, params, principal, identity_policies, boundaries) -> dict:
        resource_policy = None
        if params.get("ResourcePolicy"):
            resource_policy = _parse_inputs([params["ResourcePolicy"]], policy.RESOURCE, "resource")[0]
            resource_policy.policy_id = "ResourcePolicy"
        owner = params.get("ResourceOwner")
        owner_account = owner.split(":")[4] if owner and owner.count(":") >= 4 else None
        values = _context(params.get("ContextEntries"))
        results = []
        for action in params["ActionNames"]:
            for resource in params.get("ResourceArns") or ["*"]:
                request = policy.AuthorizationRequest(
                    principal,
                    action,
                    resource,
                    owner_account,
                    values,
                    values.get("aws:RequestedRegion", context.region),
                )
                decision = policy.evaluate(request, identity_policies, resource_policy, boundaries)
                result = {
                    "EvalActionName": action,
                    "EvalResourceName": resource,
                    "EvalDecision": decision.decision,
                    "MatchedStatements": _matched(decision),
                    "MissingContextValues": decision.missing_context_values,
                    "OrganizationsDecisionDetail": {"AllowedByOrganizations": True},
                }
                if decision.allowed_by_boundary is not None:
                    result["PermissionsBoundaryDecisionDetail"] = {
                        "AllowedByPermissionsBoundary": decision.allowed_by_boundary
                    }
                if resource_policy is not None:
                    result["EvalDecisionDetails"] = self._details(decision)
                results.append(result)
        return self.paginate(results, params, "EvaluationResults")

    @staticmethod
    def _details(decision: policy.Decision) -> dict[str, str]:
        """Per policy kind: did it allow, deny explicitly, or not allow (cross-account views)."""

        def verdict(kinds: set[str]) -> str:
            if decision.decision == policy.EXPLICIT_DENY and decision.denied_by in kinds:
                return policy.EXPLICIT_DENY
            if any(m.effect == "Allow" and m.policy_type in kinds for m in decision.matched):
                return policy.ALLOWED
            return policy.IMPLICIT_DENY

        identity_kinds = {"IAM Policy", "user", "group", "role", "aws-managed", "user-managed", "identity"}
        return {"IAM Policy": verdict(identity_kinds), "Resource Policy": verdict({"resource"})}

    def _caller(self, account: str, arn: str | None) -> policy.Principal:
        if not arn:
            return policy.Principal("", account, policy.USER, "", "")
        parts = arn.split(":", 5)
        resource = parts[5] if len(parts) == 6 else ""
        caller_account = parts[4] if len(parts) == 6 else account
        if resource.startswith("user/"):
            name = resource.rsplit("/", 1)[-1]
            user = self._get("users", caller_account, name) or {}
            return policy.Principal(
                arn,
                caller_account,
                policy.USER,
                user.get("UserId", ""),
                name,
                tags={t["Key"]: t["Value"] for t in user.get("Tags") or []},
            )
        if resource.startswith("role/"):
            name = resource.rsplit("/", 1)[-1]
            role = self._get("roles", caller_account, name) or {}
            return policy.Principal(
                arn,
                caller_account,
                policy.ASSUMED_ROLE,
                role.get("RoleId", ""),
                role_arn=arn,
                tags={t["Key"]: t["Value"] for t in role.get("Tags") or []},
            )
        if resource.startswith("assumed-role/"):
            return policy.Principal(arn, caller_account, policy.ASSUMED_ROLE, "")
        if resource == "root":
            return policy.Principal(arn, caller_account, policy.ROOT, caller_account)
        return policy.Principal(arn, caller_account, policy.USER, "", "")

    def _source(self, account: str, arn: str) -> tuple[str, dict]:
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "iam":
            raise invalid_input(f"Invalid ARN: {arn}")
        resource = parts[5]
        kind = resource.split("/", 1)[0]
        if kind not in ("user", "group", "role") or parts[4] != account:
            raise invalid_input(f"Invalid ARN: {arn}")
        record = self._get(f"{kind}s", account, resource.rsplit("/", 1)[-1])
        if record is None or record["Arn"] != arn:
            raise no_such_entity(f"The {kind} with name {resource.rsplit('/', 1)[-1]} cannot be found.")
        return kind, record

    def simulate_principal_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        kind, record = self._source(context.account, params["PolicySourceArn"])
        identity_policies = self.entity_policies(kind, context.account, record)
        identity_policies += _parse_inputs(params.get("PolicyInputList"), policy.IDENTITY, "IAM Policy")
        boundaries = None
        if params.get("PermissionsBoundaryPolicyInputList"):
            boundaries = _parse_inputs(
                params["PermissionsBoundaryPolicyInputList"], policy.IDENTITY, "PermissionsBoundaryPolicy"
            )
        elif record.get("PermissionsBoundary"):
            boundaries = self._managed(
                context.account, [record["PermissionsBoundary"]], "permissions-boundary"
            )
        caller = params.get("CallerArn") or (record["Arn"] if kind != "group" else None)
        return self._simulate(
            context, params, self._caller(context.account, caller), identity_policies, boundaries
        )

    def simulate_custom_policy(self, context, params):
        identity_policies = _parse_inputs(params["PolicyInputList"], policy.IDENTITY, "IAM Policy")
        boundaries = None
        if params.get("PermissionsBoundaryPolicyInputList"):
            boundaries = _parse_inputs(
                params["PermissionsBoundaryPolicyInputList"], policy.IDENTITY, "PermissionsBoundaryPolicy"
            )
        return self._simulate(
            context,
            params,
            self._caller(context.account, params.get("CallerArn")),
            identity_policies,
            boundaries,
        )

    @staticmethod
    def _keys(policies: list[policy.Policy]) -> list[str]:
        keys: dict[str, str] = {}  # lower-cased → as first written
        for item in policies:
            for statement in item.statements:
                for _, _, _, key, _ in statement.conditions:
                    keys.setdefault(key.lower(), key)
        return sorted(keys.values(), key=str.lower)

    def get_context_keys_for_custom_policy(self, context, params):
        return {
            "ContextKeyNames": self._keys(
                _parse_inputs(params["PolicyInputList"], policy.IDENTITY, "IAM Policy")
            )
        }

    def get_context_keys_for_principal_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        kind, record = self._source(context.account, params["PolicySourceArn"])
        policies = self.entity_policies(kind, context.account, record)
        policies += _parse_inputs(params.get("PolicyInputList"), policy.IDENTITY, "IAM Policy")
        return {"ContextKeyNames": self._keys(policies)}
