"""Policy documents: parsed once into statements the evaluator can match quickly, and validated
as IAM validates them (MalformedPolicyDocument with AWS's messages)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from overcast.common import jsontext
from overcast.policy.conditions import OPERATORS, parse_operator

VERSIONS = ("2008-10-17", "2012-10-17")
_TOP_ELEMENTS = {"Version", "Id", "Statement"}
_STATEMENT_ELEMENTS = {
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
}
_PRINCIPAL_TYPES = {"AWS", "Service", "Federated", "CanonicalUser"}
_VENDOR = re.compile(r"^[A-Za-z0-9\-.*?]+$")
_TRUST_ACTIONS = re.compile(
    r"^sts:(AssumeRole|AssumeRoleWithSAML|AssumeRoleWithWebIdentity|TagSession|SetSourceIdentity|SetContext|\*)$|^\*$",
    re.I,
)

#: What a document is for decides which elements it must and must not have.
IDENTITY = "identity"  # managed, inline, boundary and session policies
RESOURCE = "resource"  # bucket, queue, topic, function ... policies
TRUST = "trust"  # a role's assume-role policy


class MalformedPolicy(ValueError):
    """The document is not a valid policy; str(error) is AWS's message."""


@dataclass(frozen=True)
class Statement:
    index: int
    sid: str | None
    effect: str  # "Allow" | "Deny"
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    principals: dict[str, tuple[str, ...]] | None  # "*" is {"AWS": ("*",)}
    not_principals: dict[str, tuple[str, ...]] | None
    #: (operator name, qualifier, if_exists, key, values) for each condition entry.
    conditions: tuple[tuple[str, str | None, bool, str, tuple[Any, ...]], ...]
    #: Where the statement sits in the document text, for MatchedStatements (line, column).
    start: tuple[int, int] = (1, 1)
    end: tuple[int, int] = (1, 1)


@dataclass
class Policy:
    """A parsed policy document. `policy_id` and `policy_type` say where it came from
    (e.g. "arn:aws:iam::aws:policy/ReadOnlyAccess", "IAM Policy") for matched statements."""

    version: str
    statements: list[Statement]
    policy_id: str = ""
    policy_type: str = ""
    document: str = ""
    id: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def variables(self) -> bool:
        """Policy variables are substituted only under version 2012-10-17."""
        return self.version == "2012-10-17"


def _strings(value: Any, element: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if element == "Resource" and isinstance(value, list) and None in value:
        # AWS accepts a null among resources and ignores it (not a null alone).
        value = [item for item in value if item is not None] or None
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return tuple(value)
    if isinstance(value, list) and not value:
        raise MalformedPolicy(
            f"Policy statement must contain {'actions' if 'Action' in element else 'resources'}."
        )
    raise MalformedPolicy("Syntax errors in policy.")


_AWS_PRINCIPAL = re.compile(
    r"^(\*|\d{12}|A[A-Z]{3}[A-Z0-9]{13,}|arn:[\w-]+:(iam::(\d{12}|\*):(root|user/.+|role/.+|group/.+)"
    r"|sts::\d{12}:(assumed-role/.+|federated-user/.+)))$"
)
_SERVICE_PRINCIPAL = re.compile(
    r"^[a-z0-9*][a-z0-9.*-]*(\.amazonaws\.com(\.cn)?|\.amazon\.com|\.aws\.internal)$|^\*$"
)


def _check_principal(kind: str, name: str) -> None:
    valid = {
        "AWS": lambda: _AWS_PRINCIPAL.match(name),
        "Service": lambda: _SERVICE_PRINCIPAL.match(name),
        "Federated": lambda: bool(name),
        "CanonicalUser": lambda: bool(name),
    }[kind]()
    if not valid:
        label = "SERVICE" if kind == "Service" else kind
        raise MalformedPolicy(f'Invalid principal in policy: "{label}":"{name}"')


def _principal_block(value: Any) -> dict[str, tuple[str, ...]]:
    if value == "*":
        return {"AWS": ("*",)}
    if not isinstance(value, dict) or not value:
        raise MalformedPolicy("Syntax errors in policy.")
    block = {}
    for kind, names in value.items():
        if kind not in _PRINCIPAL_TYPES:
            raise MalformedPolicy("Syntax errors in policy.")
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise MalformedPolicy("Syntax errors in policy.")
        for name in names:
            _check_principal(kind, name)
        block[kind] = tuple(names)
    return block


def _check_action(action: str) -> None:
    if action == "*":
        return
    parts = action.split(":")
    if len(parts) == 1:
        raise MalformedPolicy("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
    if len(parts) > 2:
        raise MalformedPolicy("Actions/Condition can contain only one colon.")
    if not _VENDOR.match(parts[0]):
        raise MalformedPolicy(f"Vendor {parts[0]} is not valid")


_PARTITIONS = (
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
    "*",
)


def _check_resource(resource: str) -> None:
    if resource == "*" or resource.startswith("${"):
        return
    if ":" not in resource:
        raise MalformedPolicy(f'Resource {resource} must be in ARN format or "*".')
    parts = resource.split(":", 5)
    partition = parts[1]
    if partition not in _PARTITIONS:
        filled = (parts[2:] + ["*"] * 4)[:4]
        filled = [p or "*" if i == 0 else p for i, p in enumerate(filled)]
        raise MalformedPolicy(
            f'Partition "{partition}" is not valid for resource "arn:{partition}:{":".join(filled)}".'
        )
    if len(parts) < 3 or not parts[2]:
        raise MalformedPolicy("Resource vendor must be fully qualified and cannot contain regexes.")
    region = parts[3] if len(parts) > 3 else ""
    if parts[2] == "iam" and region and region != "*":
        raise MalformedPolicy(f"IAM resource {resource} cannot contain region information.")
    if (
        parts[2] == "s3"
        and region
        and region != "*"
        and not (len(parts) > 5 and parts[5].startswith(("accesspoint/", "job/", "storage-lens/")))
    ):
        raise MalformedPolicy(f"Resource {resource} can not contain region information.")


def _conditions(value: Any) -> tuple:
    if not isinstance(value, dict):
        raise MalformedPolicy("Syntax errors in policy.")
    entries = []
    for operator, block in value.items():
        if block == {}:
            continue  # an empty block holds no condition: AWS accepts it, whatever its operator
        parsed = parse_operator(operator)
        if parsed is None or not isinstance(block, dict):
            raise MalformedPolicy("Syntax errors in policy.")
        name, qualifier, if_exists = parsed
        for key, values in block.items():
            if not isinstance(values, list):
                values = [values]
            for item in values:
                if isinstance(item, (dict, list)) or item is None:
                    raise MalformedPolicy("Syntax errors in policy.")
            # A key without a vendor prefix is accepted (AWS does); it matches no request value.
            values = tuple(
                ("true" if item else "false")
                if isinstance(item, bool)
                else (str(item) if isinstance(item, (int, float)) else item)
                for item in values
            )
            entries.append((name, qualifier, if_exists, key, values))
    return tuple(entries)


_STRUCTURE = re.compile(r'\\.|"|[{}\[\]]')


def _positions(text: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) line/column of each statement object, for matched-statement positions.
    Best effort: finds the top-level objects inside "Statement". Only the structural characters
    are visited (a regex skips the rest), so this stays cheap on the hot path."""
    found: list[tuple[tuple[int, int], tuple[int, int]]] = []
    at = text.find('"Statement"')
    if at < 0:
        return found
    depth = 0
    in_string = False
    start = None
    first = None
    for match in _STRUCTURE.finditer(text, text.find(":", at) + 1):
        token = match.group()
        if token[0] == "\\":
            continue
        if token == '"':
            in_string = not in_string
            continue
        if in_string:
            continue
        if token in "[{":
            if first is None:
                first = token
            depth += 1
            if token == "{" and depth == (2 if first == "[" else 1):
                start = match.start()
        else:
            depth -= 1
            if token == "}" and start is not None and depth == (1 if first == "[" else 0):
                found.append((_line_col(text, start), _line_col(text, match.end())))
                start = None
            if depth == 0:
                break
    return found


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def parse(document: str | dict, kind: str = IDENTITY, policy_id: str = "", policy_type: str = "") -> Policy:
    """Parse and validate a policy document; raises MalformedPolicy with AWS's message."""
    text = document if isinstance(document, str) else json.dumps(document)
    try:
        data = jsontext.loads(text) if isinstance(document, str) else document
    except ValueError:
        raise MalformedPolicy("Syntax errors in policy.") from None
    if not isinstance(data, dict) or not set(data) <= _TOP_ELEMENTS or "Statement" not in data:
        raise MalformedPolicy("Syntax errors in policy.")
    version = data.get("Version", "2008-10-17")
    if version not in VERSIONS:
        raise MalformedPolicy("Policy document must be version 2012-10-17 or greater.")
    if "Id" in data and not isinstance(data["Id"], str):
        raise MalformedPolicy("Syntax errors in policy.")
    raw = data["Statement"]
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(s, dict) for s in raw):
        raise MalformedPolicy("Syntax errors in policy.")
    positions = _positions(text)
    statements = []
    sids = set()
    for index, item in enumerate(raw):
        if not set(item) <= _STATEMENT_ELEMENTS:
            raise MalformedPolicy("Syntax errors in policy.")
        if "Effect" not in item or item["Effect"] not in ("Allow", "Deny"):
            raise MalformedPolicy("Syntax errors in policy.")
        for a, b in (("Action", "NotAction"), ("Resource", "NotResource"), ("Principal", "NotPrincipal")):
            if a in item and b in item:
                raise MalformedPolicy("Syntax errors in policy.")
        sid = item.get("Sid")
        if sid is not None:
            if not isinstance(sid, str):
                raise MalformedPolicy("Syntax errors in policy.")
            if sid in sids and sid:
                raise MalformedPolicy("Statement IDs (SID) in a single policy must be unique.")
            sids.add(sid)
        if "Action" not in item and "NotAction" not in item:
            raise MalformedPolicy("Policy statement must contain actions.")
        actions = _strings(item["Action"], "Action") if "Action" in item else None
        not_actions = _strings(item["NotAction"], "NotAction") if "NotAction" in item else None
        has_resource = "Resource" in item or "NotResource" in item
        if kind == TRUST and has_resource:
            raise MalformedPolicy("Has prohibited field Resource.")
        if kind != TRUST and not has_resource:
            raise MalformedPolicy("Policy statement must contain resources.")
        resources = _strings(item["Resource"], "Resource") if "Resource" in item else None
        not_resources = _strings(item["NotResource"], "NotResource") if "NotResource" in item else None
        has_principal = "Principal" in item or "NotPrincipal" in item
        if kind == IDENTITY and has_principal:
            raise MalformedPolicy("Policy document should not specify a principal.")
        if kind != IDENTITY and not has_principal:
            raise MalformedPolicy("Missing required field Principal")
        principals = _principal_block(item["Principal"]) if "Principal" in item else None
        not_principals = _principal_block(item["NotPrincipal"]) if "NotPrincipal" in item else None
        conditions = _conditions(item["Condition"]) if "Condition" in item else ()
        for action in actions or not_actions or ():
            _check_action(action)
            if kind == TRUST and not _TRUST_ACTIONS.match(action):
                raise MalformedPolicy(
                    "Trust Policy statement actions can only be sts:AssumeRole, "
                    "sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity"
                )
        for resource in resources or not_resources or ():
            _check_resource(resource)
        start, end = positions[index] if index < len(positions) else ((1, 1), (1, 1))
        statements.append(
            Statement(
                index,
                sid,
                item["Effect"],
                actions,
                not_actions,
                resources,
                not_resources,
                principals,
                not_principals,
                conditions,
                start,
                end,
            )
        )
    return Policy(version, statements, policy_id, policy_type, text, data.get("Id"))


__all__ = ["IDENTITY", "OPERATORS", "RESOURCE", "TRUST", "MalformedPolicy", "Policy", "Statement", "parse"]
