"""AWS's policy evaluation logic ("Policy evaluation logic" in the IAM user guide): an explicit
Deny anywhere wins; otherwise a request needs an Allow from the identity's policies (within its
permissions boundary and session policies) or from the resource's policy, and across accounts
from both; everything else is an implicit deny."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from overcast.policy.conditions import VARIABLE_OPERATORS, arn_like, evaluate_condition, like
from overcast.policy.document import Policy, Statement

ALLOWED = "allowed"
EXPLICIT_DENY = "explicitDeny"
IMPLICIT_DENY = "implicitDeny"

#: Principal kinds (aws:PrincipalType values, plus the ones that never carry identity policies).
ROOT = "Account"
USER = "User"
ASSUMED_ROLE = "AssumedRole"
FEDERATED_USER = "FederatedUser"
SERVICE = "Service"
ANONYMOUS = "Anonymous"
WEB_IDENTITY = "WebIdentity"  # an OIDC/SAML identity asking to assume a role


@dataclass
class Principal:
    """Who is asking. `arn` is what GetCallerIdentity reports; for a role session `role_arn` is
    the role's ARN (aws:PrincipalArn, and what a role principal in a policy matches)."""

    arn: str
    account: str = ""
    kind: str = ROOT
    user_id: str = ""
    username: str = ""
    role_arn: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    #: For SERVICE: "lambda.amazonaws.com"; for WEB_IDENTITY: the provider (ARN or host).
    name: str = ""
    canonical_id: str = ""

    @property
    def principal_arn(self) -> str:
        return self.role_arn or self.arn

    @classmethod
    def anonymous(cls) -> "Principal":
        return cls(arn="*", kind=ANONYMOUS, user_id="anonymous")

    @classmethod
    def service(cls, name: str) -> "Principal":
        return cls(arn=name, kind=SERVICE, name=name)


@dataclass
class AuthorizationRequest:
    principal: Principal
    action: str
    resource: str = "*"
    #: The account owning the resource (S3 ARNs do not name it); None means the principal's.
    resource_account: str | None = None
    #: Condition keys of the request (aws:SourceIp, s3:prefix, aws:RequestTag/env ...); names are
    #: case-insensitive; values are strings or lists of strings.
    context: dict[str, Any] = field(default_factory=dict)
    region: str = ""

    def condition_values(self) -> dict[str, Any]:
        """Every condition key of this request, lower-cased: the caller's own plus the global
        keys the principal and the clock define."""
        values = {key.lower(): value for key, value in self.context.items()}
        p = self.principal
        now = datetime.now(timezone.utc)
        values.setdefault("aws:currenttime", now.strftime("%Y-%m-%dT%H:%M:%SZ"))
        values.setdefault("aws:epochtime", str(int(time.time())))
        if self.region:
            values.setdefault("aws:requestedregion", self.region)
        if p.kind not in (ANONYMOUS, SERVICE, WEB_IDENTITY):
            values.setdefault("aws:principalarn", p.principal_arn)
            values.setdefault("aws:principalaccount", p.account)
            values.setdefault("aws:principaltype", p.kind)
            values.setdefault("aws:userid", p.user_id)
            if p.kind == USER:
                values.setdefault("aws:username", p.username)
            for key, value in p.tags.items():
                values.setdefault(f"aws:principaltag/{key.lower()}", value)
        elif p.kind == ANONYMOUS:
            values.setdefault("aws:principaltype", "Anonymous")
            values.setdefault("aws:userid", "anonymous")
        elif p.kind == SERVICE:
            values.setdefault("aws:principalservicename", p.name)
        if self.resource_account or p.account:
            values.setdefault("aws:resourceaccount", self.resource_account or p.account)
        return values


@dataclass(frozen=True)
class MatchedStatement:
    policy_id: str
    policy_type: str
    sid: str | None
    effect: str
    start: tuple[int, int]
    end: tuple[int, int]


@dataclass
class Decision:
    decision: str
    matched: list[MatchedStatement] = field(default_factory=list)
    missing_context_values: list[str] = field(default_factory=list)
    #: None when no permissions boundary applied; else whether the boundary allowed.
    allowed_by_boundary: bool | None = None
    allowed_by_resource_policy: bool = False

    @property
    def allowed(self) -> bool:
        return self.decision == ALLOWED


# -- matching -----------------------------------------------------------------------------------

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SPECIAL = {"*": "*", "?": "?", "$": "$"}


class _Unresolved(Exception):
    """A policy variable with no value and no default: the element cannot match."""


def substitute(text: str, values: dict[str, Any]) -> str:
    if "${" not in text:
        return text

    def replace(match: re.Match) -> str:
        body = match.group(1)
        name, _, default = body.partition(",")
        name = name.strip()
        if name in _SPECIAL:
            return _SPECIAL[name]
        value = values.get(name.lower())
        if isinstance(value, list):
            value = value[0] if len(value) == 1 else None
        if value is None or value == "":
            default = default.strip()
            if len(default) >= 2 and default[0] == default[-1] == "'":
                return default[1:-1]
            raise _Unresolved(name)
        return str(value)

    return _VARIABLE.sub(replace, text)


def action_matches(patterns: Sequence[str], action: str) -> bool:
    return any(like(action, pattern, ignore_case=True) for pattern in patterns)


def resource_matches(patterns: Sequence[str], resource: str, values: dict | None) -> bool:
    for pattern in patterns:
        if values is not None and "${" in pattern:
            try:
                pattern = substitute(pattern, values)
            except _Unresolved:
                continue
        if pattern == "*" or pattern == resource:
            return True
        if resource.startswith("arn:") and pattern.startswith("arn:"):
            if arn_like(resource, pattern):
                return True
        elif like(resource, pattern):
            return True
    return False


#: How strongly a resource policy's Principal names the caller. A grant to the principal itself
#: stands on its own; one to a role (for its sessions) or to everyone is bounded by the caller's
#: permissions boundary and session policies; one to the caller's account only delegates to the
#: account's identity policies.
NO_MATCH, DELEGATED, BOUNDED, SPECIFIC = 0, 1, 2, 3


def principal_matches(block: dict[str, tuple[str, ...]], principal: Principal) -> int:
    kind = principal.kind
    if "*" in block.get("AWS", ()):
        return BOUNDED
    if kind == SERVICE:
        return SPECIFIC if principal.name in block.get("Service", ()) else NO_MATCH
    if kind == WEB_IDENTITY:
        return SPECIFIC if principal.name in block.get("Federated", ()) else NO_MATCH
    if kind == ANONYMOUS:
        return NO_MATCH
    if principal.canonical_id and principal.canonical_id in block.get("CanonicalUser", ()):
        return SPECIFIC
    best = NO_MATCH
    unique_id = principal.user_id.split(":")[0] if principal.user_id and kind != ROOT else None
    for name in block.get("AWS", ()):
        if name == principal.arn or name == unique_id:
            return SPECIFIC
        if principal.role_arn and name == principal.role_arn:
            best = max(best, BOUNDED)
        elif name == principal.account or (name.startswith("arn:") and name.endswith(f":iam::{principal.account}:root")):
            best = max(best, SPECIFIC if kind == ROOT else DELEGATED)
    return best


def _condition_keys(statement: Statement) -> Iterable[str]:
    for _, _, _, key, _ in statement.conditions:
        yield key


def conditions_match(statement: Statement, values: dict[str, Any], variables: bool) -> bool:
    for operator, qualifier, if_exists, key, policy_values in statement.conditions:
        name = key.lower()
        if variables and "${" in name:
            try:
                name = substitute(key, values).lower()
            except _Unresolved:
                return False
        present = name in values and values[name] is not None
        request_values = values.get(name)
        if present and not isinstance(request_values, list):
            request_values = [request_values]
        if variables and operator in VARIABLE_OPERATORS:
            try:
                policy_values = tuple(substitute(v, values) if isinstance(v, str) else v for v in policy_values)
            except _Unresolved:
                return False
        if not evaluate_condition(operator, qualifier, if_exists, present, request_values or [], policy_values):
            return False
    return True


@dataclass
class _Scan:
    allow: bool = False
    deny: bool = False
    allow_strength: int = NO_MATCH
    allows: list = field(default_factory=list)
    denies: list = field(default_factory=list)


def _scan(
    policies: Sequence[Policy], request: AuthorizationRequest, values: dict, missing: set, with_principal: bool
) -> _Scan:
    result = _Scan()
    action = request.action
    resource = request.resource
    for policy in policies:
        for statement in policy.statements:
            if statement.actions is not None:
                if not action_matches(statement.actions, action):
                    continue
            elif action_matches(statement.not_actions, action):
                continue
            variables = values if policy.variables else None
            if statement.resources is not None:
                if not resource_matches(statement.resources, resource, variables):
                    continue
            elif statement.not_resources is not None and resource_matches(statement.not_resources, resource, variables):
                continue
            strength = SPECIFIC
            if with_principal:
                if statement.principals is not None:
                    strength = principal_matches(statement.principals, request.principal)
                    if strength == NO_MATCH:
                        continue
                elif statement.not_principals is not None:
                    if principal_matches(statement.not_principals, request.principal) != NO_MATCH:
                        continue
                    strength = BOUNDED
            for key in _condition_keys(statement):
                if key.lower() not in values and "${" not in key:
                    missing.add(key)
            if not conditions_match(statement, values, policy.variables):
                continue
            matched = MatchedStatement(
                policy.policy_id, policy.policy_type, statement.sid, statement.effect, statement.start, statement.end
            )
            if statement.effect == "Deny":
                result.deny = True
                result.denies.append(matched)
            else:
                result.allow = True
                result.allow_strength = max(result.allow_strength, strength)
                result.allows.append(matched)
    return result


def evaluate(
    request: AuthorizationRequest,
    identity_policies: Sequence[Policy] = (),
    resource_policy: Policy | Sequence[Policy] | None = None,
    boundaries: Sequence[Policy] | None = None,
    session_policies: Sequence[Policy] | None = None,
) -> Decision:
    """Decide one request. `boundaries`/`session_policies` None means none applies (an empty
    list would mean one applies and allows nothing)."""
    values = request.condition_values()
    missing: set[str] = set()
    if isinstance(resource_policy, Policy):
        resource_policies: Sequence[Policy] = (resource_policy,)
    else:
        resource_policies = resource_policy or ()
    identity = _scan(identity_policies, request, values, missing, False)
    resource = _scan(resource_policies, request, values, missing, True)
    boundary = _scan(boundaries, request, values, missing, False) if boundaries is not None else None
    session = _scan(session_policies, request, values, missing, False) if session_policies is not None else None
    scans = [s for s in (identity, resource, boundary, session) if s is not None]
    boundary_allows = None if boundary is None else boundary.allow
    missing_list = sorted(missing)
    if any(s.deny for s in scans):
        denies = [m for s in scans for m in s.denies]
        return Decision(EXPLICIT_DENY, denies, missing_list, boundary_allows)

    principal = request.principal
    within_limits = (boundary is None or boundary.allow) and (session is None or session.allow)
    identity_allows = (identity.allow or principal.kind == ROOT) and within_limits
    if principal.kind in (ANONYMOUS, SERVICE, WEB_IDENTITY):
        allowed = resource.allow
    elif request.resource_account in (None, "", principal.account):
        strength = resource.allow_strength if resource.allow else NO_MATCH
        allowed = identity_allows or strength == SPECIFIC or (strength == BOUNDED and within_limits)
    else:
        allowed = resource.allow and identity_allows

    if not allowed:
        return Decision(IMPLICIT_DENY, [], missing_list, boundary_allows)
    matched = list(identity.allows) + list(resource.allows)
    for extra in (boundary, session):
        if extra is not None:
            matched += extra.allows
    return Decision(ALLOWED, matched, missing_list, boundary_allows, resource.allow)
