"""AWS's policy evaluation logic ("Policy evaluation logic" in the IAM user guide): an explicit
Deny anywhere wins; otherwise a request needs an Allow from the identity's policies (within its
permissions boundary and session policies) or from the resource's policy, and across accounts
from both; everything else is an implicit deny."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

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
    def anonymous(cls) -> Principal:
        return cls(arn="*", kind=ANONYMOUS, user_id="anonymous")

    @classmethod
    def service(cls, name: str) -> Principal:
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
        seconds = time.time()
        if "aws:currenttime" not in values:
            values["aws:currenttime"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
        values.setdefault("aws:epochtime", str(int(seconds)))
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
    #: Why a request was denied, in the words AWS's AccessDenied messages use: for an explicit
    #: deny the kind of policy that denied ("identity", "resource", "permissions-boundary",
    #: "session"), for an implicit deny the kind that failed to allow.
    denied_by: str = ""

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


def _glob(pattern: str, any_run: str = ".*", any_one: str = ".") -> str:
    return "".join(any_run if c == "*" else any_one if c == "?" else re.escape(c) for c in pattern)


def _arn_regex(pattern: str) -> str:
    """An ARN pattern as a regex that matches as ArnLike does: component by component, a
    wildcard never spanning a colon except in the resource part; short patterns padded."""
    parts = pattern.split(":", 5)
    parts += ["*"] * (6 - len(parts))
    return ":".join(_glob(part) if i == 5 else _glob(part, "[^:]*", "[^:]") for i, part in enumerate(parts))


class _Matcher:
    """Matches a value against a statement's patterns in one step: a set for the exact ones,
    one compiled regex for the wildcards (AWS managed policies list thousands of actions)."""

    __slots__ = ("everything", "exact", "ignore_case", "regex")

    def __init__(self, patterns, ignore_case: bool, arn: bool) -> None:
        self.ignore_case = ignore_case
        self.everything = "*" in patterns
        fold = str.lower if ignore_case else (lambda text: text)
        self.exact = frozenset(fold(p) for p in patterns if "*" not in p and "?" not in p)
        wild = [p for p in patterns if ("*" in p or "?" in p) and p != "*"]
        self.regex: re.Pattern[str] | None = None
        if wild:
            body = "|".join(_arn_regex(p) if arn and p.startswith("arn:") else _glob(p) for p in wild)
            self.regex = re.compile(f"(?:{body})\\Z", re.S | (re.I if ignore_case else 0))

    def __call__(self, value: str) -> bool:
        if self.everything:
            return True
        if (value.lower() if self.ignore_case else value) in self.exact:
            return True
        return self.regex is not None and self.regex.match(value) is not None


def _compiled(statement: Statement, variables: bool) -> tuple:
    """(action matcher, resource matcher, resource patterns with variables) of a statement,
    built once and kept on it."""
    cached = statement.__dict__.get("_compiled")
    if cached is None or cached[0] != variables:
        actions = statement.actions if statement.actions is not None else statement.not_actions
        resources = statement.resources if statement.resources is not None else statement.not_resources or ()
        dynamic = tuple(r for r in resources if variables and "${" in r)
        static = tuple(r for r in resources if r not in dynamic)
        cached = (variables, _Matcher(actions, True, False), _Matcher(static, False, True), dynamic)
        object.__setattr__(statement, "_compiled", cached)
    return cached[1:]


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


def _resource_hit(static: _Matcher, dynamic: tuple, resource: str, values: dict) -> bool:
    return static(resource) or bool(dynamic and resource_matches(dynamic, resource, values))


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
        elif name == principal.account or (
            name.startswith("arn:") and name.endswith(f":iam::{principal.account}:root")
        ):
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
                policy_values = tuple(
                    substitute(v, values) if isinstance(v, str) else v for v in policy_values
                )
            except _Unresolved:
                return False
        if not evaluate_condition(
            operator, qualifier, if_exists, present, request_values or [], policy_values
        ):
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
    policies: Sequence[Policy],
    request: AuthorizationRequest,
    values: dict,
    missing: set,
    with_principal: bool,
) -> _Scan:
    result = _Scan()
    action = request.action
    resource = request.resource
    for policy in policies:
        variables = policy.variables
        for statement in policy.statements:
            action_hit, static, dynamic = _compiled(statement, variables)
            if action_hit(action) != (statement.actions is not None):
                continue
            if statement.resources is not None:
                if not _resource_hit(static, dynamic, resource, values):
                    continue
            elif statement.not_resources is not None and _resource_hit(static, dynamic, resource, values):
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
                policy.policy_id,
                policy.policy_type,
                statement.sid,
                statement.effect,
                statement.start,
                statement.end,
            )
            if statement.effect == "Deny":
                result.deny = True
                result.denies.append(matched)
            else:
                result.allow = True
                result.allow_strength = max(result.allow_strength, strength)
                result.allows.append(matched)
    return result


def _scan_limits(
    policies: Sequence[Policy], request: AuthorizationRequest, values: dict, missing: set
) -> _Scan:
    """Session policies: each is a limit of its own (a scoped-down session's scopes stack on
    its session policy), so the request needs every one to allow it."""
    if len(policies) <= 1:
        return _scan(policies, request, values, missing, False)
    scans = [_scan((one,), request, values, missing, False) for one in policies]
    return _Scan(
        allow=all(s.allow for s in scans),
        deny=any(s.deny for s in scans),
        allows=[m for s in scans for m in s.allows],
        denies=[m for s in scans for m in s.denies],
    )


def evaluate(
    request: AuthorizationRequest,
    identity_policies: Sequence[Policy] = (),
    resource_policy: Policy | Sequence[Policy] | None = None,
    boundaries: Sequence[Policy] | None = None,
    session_policies: Sequence[Policy] | None = None,
    resource_required: bool = False,
) -> Decision:
    """Decide one request. `boundaries`/`session_policies` None means none applies (an empty
    list would mean one applies and allows nothing); each session policy must allow. `resource_required` is for a role's trust
    policy: assuming a role needs its trust policy to allow, even within the account."""
    values = request.condition_values()
    missing: set[str] = set()
    if isinstance(resource_policy, Policy):
        resource_policies: Sequence[Policy] = (resource_policy,)
    else:
        resource_policies = resource_policy or ()
    identity = _scan(identity_policies, request, values, missing, False)
    resource = _scan(resource_policies, request, values, missing, True)
    boundary = _scan(boundaries, request, values, missing, False) if boundaries is not None else None
    session = (
        _scan_limits(session_policies, request, values, missing) if session_policies is not None else None
    )
    scans = [s for s in (identity, resource, boundary, session) if s is not None]
    boundary_allows = None if boundary is None else boundary.allow
    missing_list = sorted(missing)
    if any(s.deny for s in scans):
        denies = [m for s in scans for m in s.denies]
        if identity.deny:
            by = "identity"
        elif resource.deny:
            by = "resource"
        elif boundary is not None and boundary.deny:
            by = "permissions-boundary"
        else:
            by = "session"
        return Decision(EXPLICIT_DENY, denies, missing_list, boundary_allows, denied_by=by)

    principal = request.principal
    within_limits = (boundary is None or boundary.allow) and (session is None or session.allow)
    identity_allows = (identity.allow or principal.kind == ROOT) and within_limits
    strength = resource.allow_strength if resource.allow else NO_MATCH
    if principal.kind in (ANONYMOUS, SERVICE, WEB_IDENTITY):
        allowed = resource.allow
    elif resource_required:
        same_account = request.resource_account in (None, "", principal.account)
        allowed = resource.allow and (
            identity_allows
            if not same_account or strength == DELEGATED
            else strength == SPECIFIC or within_limits
        )
    elif request.resource_account in (None, "", principal.account):
        allowed = identity_allows or strength == SPECIFIC or (strength == BOUNDED and within_limits)
    else:
        allowed = resource.allow and identity_allows

    if not allowed:
        if principal.kind in (ANONYMOUS, SERVICE, WEB_IDENTITY) or (resource_required and not resource.allow):
            gap = "resource"
        elif not (identity.allow or principal.kind == ROOT) and not resource.allow:
            gap = "identity"
        elif boundary is not None and not boundary.allow:
            gap = "permissions-boundary"
        elif session is not None and not session.allow:
            gap = "session"
        elif not resource.allow:
            gap = "resource"
        else:
            gap = "identity"
        return Decision(IMPLICIT_DENY, [], missing_list, boundary_allows, denied_by=gap)
    matched = list(identity.allows) + list(resource.allows)
    for extra in (boundary, session):
        if extra is not None:
            matched += extra.allows
    return Decision(ALLOWED, matched, missing_list, boundary_allows, resource.allow)
