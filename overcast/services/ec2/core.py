"""What every EC2 resource shares: ids, the in-memory view of an account+region's resources
(written through to the store), tags and their index, the Describe filter engine, pagination,
and EC2's errors.

A resource is a dict in AWS's output shape (VpcId, CidrBlock, Tags, ...) plus internal fields
whose names begin with "_" (`_kind`, and whatever the resource needs), which `public()` leaves
out. Each is one row of table "resources" under its id. An account+region's rows are read once,
when the provider starts or the scope is first used; every change is written through.

Filters (`FILTERS`, filled in by each resource module) map a filter name to a function of the
resource giving its value(s); `tag:<key>`, `tag-key` and `tag-value` work for every resource.
Equality on `tag:<key>` is answered from an index of (key, value) → ids, and instance state from
an index of state → ids, so a filtered Describe costs what it returns, not the fleet."""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from overcast.errors import ServiceError

Record = dict[str, Any]
Getter = Callable[[Record], Any]

#: Filter name → value(s) of a resource, per resource kind.
FILTERS: dict[str, dict[str, Getter]] = {}

#: Id prefix → resource kind, for the resources whose id says what they are.
KIND_OF_PREFIX = {
    "vpc": "vpc",
    "subnet": "subnet",
    "igw": "igw",
    "eigw": "eigw",
    "nat": "nat",
    "rtb": "rtb",
    "acl": "acl",
    "sg": "sg",
    "sgr": "sgr",
    "pl": "pl",
    "vpce": "vpce",
    "pcx": "pcx",
    "eni": "eni",
    "eipalloc": "eip",
    "key": "key",
    "ami": "ami",
    "i": "i",
    "lt": "lt",
    "vol": "vol",
    "snap": "snap",
    "pg": "pg",
    "dopt": "dopt",
}

#: The ResourceType a TagSpecification names for each kind (and DescribeTags reports).
RESOURCE_TYPES = {
    "vpc": "vpc",
    "subnet": "subnet",
    "igw": "internet-gateway",
    "eigw": "egress-only-internet-gateway",
    "nat": "natgateway",
    "rtb": "route-table",
    "acl": "network-acl",
    "sg": "security-group",
    "sgr": "security-group-rule",
    "pl": "prefix-list",
    "vpce": "vpc-endpoint",
    "pcx": "vpc-peering-connection",
    "eni": "network-interface",
    "eip": "elastic-ip",
    "key": "key-pair",
    "ami": "image",
    "i": "instance",
    "lt": "launch-template",
    "vol": "volume",
    "snap": "snapshot",
    "pg": "placement-group",
    "dopt": "dhcp-options",
}

#: (code, message) when a resource is not there; the message names the id.
NOT_FOUND = {
    "vpc": ("InvalidVpcID.NotFound", "The vpc ID '{}' does not exist"),
    "subnet": ("InvalidSubnetID.NotFound", "The subnet ID '{}' does not exist"),
    "igw": ("InvalidInternetGatewayID.NotFound", "The internetGateway ID '{}' does not exist"),
    "eigw": (
        "InvalidEgressOnlyInternetGatewayId.NotFound",
        "The egressOnlyInternetGateway ID '{}' does not exist",
    ),
    "nat": ("NatGatewayNotFound", "The Nat Gateway {} was not found"),
    "rtb": ("InvalidRouteTableID.NotFound", "The routeTable ID '{}' does not exist"),
    "acl": ("InvalidNetworkAclID.NotFound", "The networkAcl ID '{}' does not exist"),
    "sg": ("InvalidGroup.NotFound", "The security group '{}' does not exist"),
    "sgr": ("InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '{}' does not exist"),
    "pl": ("InvalidPrefixListID.NotFound", "The prefix list ID '{}' does not exist."),
    "vpce": ("InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id '{}' does not exist"),
    "pcx": ("InvalidVpcPeeringConnectionID.NotFound", "The vpcPeeringConnection ID '{}' does not exist"),
    "eni": ("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '{}' does not exist"),
    "eip": ("InvalidAllocationID.NotFound", "The allocation ID '{}' does not exist"),
    "key": ("InvalidKeyPair.NotFound", "The key pair '{}' does not exist"),
    "ami": ("InvalidAMIID.NotFound", "The image id '[{}]' does not exist"),
    "i": ("InvalidInstanceID.NotFound", "The instance ID '{}' does not exist"),
    "lt": (
        "InvalidLaunchTemplateId.NotFound",
        "The specified launch template, with template ID {}, does not exist.",
    ),
    "vol": ("InvalidVolume.NotFound", "The volume '{}' does not exist."),
    "snap": ("InvalidSnapshot.NotFound", "The snapshot '{}' does not exist."),
    "pg": ("InvalidPlacementGroup.Unknown", "The Placement Group '{}' is unknown."),
    "dopt": ("InvalidDhcpOptionID.NotFound", "The dhcpOption ID '{}' does not exist"),
}

#: Ids whose format AWS checks before looking them up: kind → (code, expected prefix).
MALFORMED = {
    "i": ("InvalidInstanceID.Malformed", "i-"),
    "ami": ("InvalidAMIID.Malformed", "ami-"),
    "vol": ("InvalidVolumeID.Malformed", "vol-"),
    "snap": ("InvalidSnapshotID.Malformed", "snap-"),
}
_ID_BODY = re.compile(r"[0-9a-f]{8}([0-9a-f]{9})?")


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(9)[:17]}"


def now() -> datetime:
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def error(code: str, message: str, status: int = 400) -> ServiceError:
    return ServiceError(code, message, status)


def invalid(message: str, code: str = "InvalidParameterValue") -> ServiceError:
    return ServiceError(code, message, 400)


def missing(name: str) -> ServiceError:
    return ServiceError("MissingParameter", f"The request must contain the parameter {name}", 400)


def not_found(kind: str, ident: str) -> ServiceError:
    code, message = NOT_FOUND[kind]
    return ServiceError(code, message.format(ident), 400)


def check_format(kind: str, ident: str) -> None:
    rule = MALFORMED.get(kind)
    if rule is None:
        return
    code, prefix = rule
    if not (ident.startswith(prefix) and _ID_BODY.fullmatch(ident[len(prefix) :])):
        raise ServiceError(code, f'Invalid id: "{ident}" (expecting "{prefix}...")', 400)


def public(record: Record) -> Record:
    """The resource as AWS shows it: no internal fields, no empty tag list."""
    out = {key: value for key, value in record.items() if key[0] != "_"}
    if "Tags" in out and not out["Tags"]:
        del out["Tags"]
    return out


def tags_of(record: Record) -> list[dict[str, str]]:
    return record.get("Tags") or record.get("TagSet") or []


def tag_dict(record: Record) -> dict[str, str]:
    return {tag["Key"]: tag.get("Value", "") for tag in tags_of(record)}


# ---------------------------------------------------------------------------- one scope's state


class ScopeState:
    """An account+region's EC2 resources, in memory, with the indexes filters use."""

    __slots__ = ("by_kind", "by_state", "by_tag", "ready", "tags_indexed")

    def __init__(self) -> None:
        self.by_kind: dict[str, dict[str, Record]] = {}
        #: kind → (tag key, tag value) → ids
        self.by_tag: dict[str, dict[tuple[str, str], set[str]]] = {}
        self.tags_indexed: dict[str, frozenset[tuple[str, str]]] = {}
        #: instance state name → instance ids
        self.by_state: dict[str, set[str]] = {}
        self.ready = False

    def kind(self, kind: str) -> dict[str, Record]:
        found = self.by_kind.get(kind)
        if found is None:
            found = self.by_kind[kind] = {}
        return found

    def index(self, ident: str, record: Record) -> None:
        kind = record["_kind"]
        self.kind(kind)[ident] = record
        pairs = frozenset((t["Key"], t.get("Value", "")) for t in tags_of(record))
        old = self.tags_indexed.get(ident, frozenset())
        if pairs != old:
            index = self.by_tag.setdefault(kind, {})
            for pair in old - pairs:
                ids = index.get(pair)
                if ids is not None:
                    ids.discard(ident)
                    if not ids:
                        del index[pair]
            for pair in pairs - old:
                index.setdefault(pair, set()).add(ident)
            if pairs:
                self.tags_indexed[ident] = pairs
            else:
                self.tags_indexed.pop(ident, None)
        if kind == "i":
            state = record["State"]["Name"]
            previous = record.get("_indexed_state")
            if previous != state:
                if previous is not None:
                    self.by_state.get(previous, set()).discard(ident)
                self.by_state.setdefault(state, set()).add(ident)
                record["_indexed_state"] = state

    def unindex(self, ident: str, record: Record) -> None:
        kind = record["_kind"]
        self.kind(kind).pop(ident, None)
        index = self.by_tag.get(kind, {})
        for pair in self.tags_indexed.pop(ident, frozenset()):
            ids = index.get(pair)
            if ids is not None:
                ids.discard(ident)
        if kind == "i":
            self.by_state.get(record["State"]["Name"], set()).discard(ident)


# ---------------------------------------------------------------------------- filters


def _wildcard(value: str) -> Callable[[str], bool]:
    if "*" not in value and "?" not in value:
        return value.__eq__
    pattern = re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in value), re.DOTALL
    )
    return lambda text: pattern.fullmatch(text) is not None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return str(value)


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_text(v) for v in value if v is not None]
    return [_text(value)]


class Filter:
    __slots__ = ("getter", "name", "tests")

    def __init__(self, name: str, values: list[str], getter: Getter) -> None:
        self.name = name
        self.tests = [_wildcard(v) for v in values]
        self.getter = getter

    def __call__(self, record: Record) -> bool:
        for found in _values(self.getter(record)):
            for test in self.tests:
                if test(found):
                    return True
        return False


def _tag_getter(key: str) -> Getter:
    return lambda record: [t.get("Value", "") for t in tags_of(record) if t["Key"] == key]


def _tag_keys(record: Record) -> list[str]:
    return [t["Key"] for t in tags_of(record)]


def _tag_values(record: Record) -> list[str]:
    return [t.get("Value", "") for t in tags_of(record)]


def compile_filters(kind: str, filters: Iterable[dict[str, Any]] | None) -> list[Filter]:
    table = FILTERS.get(kind, {})
    compiled = []
    for given in filters or ():
        name = given.get("Name")
        if not name:
            raise invalid("The filter 'null' is invalid", "InvalidFilter")
        values = given.get("Values") or []
        if name.startswith("tag:"):
            getter = _tag_getter(name[4:])
        elif name == "tag-key":
            getter = _tag_keys
        elif name == "tag-value":
            getter = _tag_values
        else:
            found = table.get(name)
            if found is None:
                raise invalid(f"The filter '{name}' is invalid", "InvalidParameterValue")
            getter = found
        compiled.append(Filter(name, values, getter))
    return compiled


def candidates(state: ScopeState, kind: str, filters: list[Filter]) -> Iterable[str] | None:
    """The ids an index narrows the filters to, or None when every resource is a candidate."""
    best: set[str] | None = None
    for flt in filters:
        found: set[str] | None = None
        raw = [t for t in flt.tests]
        if flt.name.startswith("tag:") and all(getattr(t, "__self__", None) is not None for t in raw):
            key = flt.name[4:]
            index = state.by_tag.get(kind, {})
            found = set()
            for test in raw:
                found |= index.get((key, test.__self__), set())  # type: ignore[attr-defined]
        elif (
            kind == "i"
            and flt.name == "instance-state-name"
            and all(getattr(t, "__self__", None) is not None for t in raw)
        ):
            found = set()
            for test in raw:
                found |= state.by_state.get(test.__self__, set())  # type: ignore[attr-defined]
        if found is not None and (best is None or len(found) < len(best)):
            best = found
    return best


# ---------------------------------------------------------------------------- pagination


def encode_token(offset: int, what: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([what, offset]).encode()).decode()


def decode_token(token: str, what: str) -> int:
    try:
        kind, offset = json.loads(base64.urlsafe_b64decode(token.encode()))
        if kind != what or not isinstance(offset, int) or offset < 0:
            raise ValueError
        return offset
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise invalid(f"Invalid NextToken value: '{token}'", "InvalidNextToken") from None


def page(
    items: list[Any], params: dict[str, Any], what: str, low: int = 5, high: int = 1000
) -> tuple[list[Any], str | None]:
    """One page of `items` by MaxResults/NextToken; all of them when neither is given."""
    limit = params.get("MaxResults")
    token = params.get("NextToken")
    start = decode_token(token, what) if token else 0
    if limit is None:
        if not token:
            return items, None
        limit = high
    if not low <= limit <= high:
        raise invalid(
            f"Value ( {limit} ) for parameter maxResults is invalid. Expecting a value between {low} and {high}."
        )
    end = start + limit
    return items[start:end], (encode_token(end, what) if end < len(items) else None)
