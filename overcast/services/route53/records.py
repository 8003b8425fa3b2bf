"""Resource record sets: names as Route 53 spells them, the checks a record set passes before a
change batch may hold it, and a change batch applied to a zone's record sets all or nothing.

A record set is a dict in the API's ResourceRecordSet shape, with `Name` canonical (lower case,
absolute, `*` as itself; ListResourceRecordSets spells it `\\052`)."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from overcast.services.route53.errors import invalid

#: The record types Route 53 serves.
TYPES = frozenset(
    {"SOA", "A", "TXT", "NS", "CNAME", "MX", "NAPTR", "PTR", "SRV", "SPF", "AAAA", "CAA", "DS", "TLSA"}
    | {"SSHFP", "SVCB", "HTTPS"}
)
#: Record sets of these routing policies are told apart by SetIdentifier.
POLICY_KEYS = ("Weight", "Region", "GeoLocation", "Failover", "MultiValueAnswer", "CidrRoutingConfig")
POLICY_KEYS_ALL = (*POLICY_KEYS, "GeoProximityLocation")
_OCTAL = re.compile(r"\\(\d{3})")
#: The hosted zone ids of the targets an alias record may name, by kind (AWS's fixed ids for
#: CloudFront; S3 website, ELB and API Gateway ids vary by region and are accepted as given).
CLOUDFRONT_ZONE = "Z2FDTNDATAQYW2"


def bare_id(value: str) -> str:
    """`/hostedzone/Z123` → `Z123` (the SDKs strip the prefix; raw callers may not)."""
    return value.rsplit("/", 1)[-1]


def canonical_name(name: str) -> str:
    """`WWW.Example.com` → `www.example.com.`, octal escapes decoded (`\\052` → `*`)."""
    text = _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), name.strip())
    text = text.lower()
    if not text.endswith("."):
        text += "."
    return text


def display_name(name: str) -> str:
    """A canonical name as Route 53's listings spell it: a wildcard label as `\\052`."""
    if name.startswith("*."):
        return "\\052" + name[1:]
    return name


def sort_key(name: str) -> str:
    """Where a name falls in ListResourceRecordSets' order: by its labels from the right."""
    labels = name.rstrip(".").split(".")
    return ".".join(reversed(labels))


def record_key(record: dict[str, Any]) -> str:
    return "\x01".join((sort_key(record["Name"]), record["Type"], record.get("SetIdentifier") or ""))


def in_zone(name: str, zone: str) -> bool:
    return name == zone or name.endswith("." + zone)


def check_domain_name(name: str, what: str = "DNS name") -> None:
    text = name.rstrip(".")
    if not text or len(name) > 255 or any(not label or len(label) > 63 for label in text.split(".")):
        raise invalid(f"Invalid {what}: {name} is not a valid DNS name")


def _rdata_problem(rtype: str, value: str) -> str | None:
    """Why `value` is not valid data for a `rtype` record, or None."""
    if rtype == "A":
        parts = value.split(".")
        if len(parts) == 4 and all(
            p.isdigit() and len(p) <= 3 and int(p) <= 255 and (p == "0" or p[0] != "0") for p in parts
        ):
            return None
        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            return f"ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '{value}'"
        return None
    if rtype == "AAAA":
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            return (
                f"AAAARRDATAIllegalIPv6Address (Value is not a valid IPv6 address) encountered with '{value}'"
            )
        return None
    if rtype in ("TXT", "SPF") and len(value) > 4000:
        return f"CharacterStringTooLong (Value is too long) encountered with '{value[:64]}'"
    try:
        to_rdata(rtype, value)
    except (dns.exception.DNSException, ValueError, UnicodeError):
        return f"{rtype}RRDATA (Value is not valid for a {rtype} record) encountered with '{value}'"
    return None


def to_rdata(rtype: str, value: str) -> dns.rdata.Rdata:
    return dns.rdata.from_text(
        dns.rdataclass.IN, dns.rdatatype.from_text(rtype), value, origin=dns.name.root, relativize=False
    )


#: Characters Route 53 refuses in a DNS name (it takes the printable ASCII ones, octal escapes
#: and other Unicode): whitespace and control characters.
_UNSUPPORTED = re.compile(r"(?<!\\)[\x00-\x20\x7f]")
_ACTIONS = ("CREATE", "DELETE", "UPSERT")


def unsupported_character(name: str) -> str | None:
    """Route 53's message for a name holding a character it does not take, or None."""
    found = _UNSUPPORTED.search(name)
    if found is None:
        return None
    return f"FATAL problem: UnsupportedCharacter (Value contains unsupported characters) encountered with '{found.group()}'"


def check_change_shape(change: dict[str, Any]) -> None:
    """Route 53's InvalidInput for a change whose record set is not shaped as its action needs
    (checked for every action, DELETE included, before any record is looked up). Messages
    name the change as given: its action, its name as spelled, `null` for a missing member."""
    action, record = change["Action"], change["ResourceRecordSet"]
    if action not in _ACTIONS:
        raise invalid(
            f"Invalid XML ; cvc-enumeration-valid: Value '{action}' is not facet-valid with respect to "
            "enumeration '[CREATE, DELETE, UPSERT]'. It must be a value from the enumeration."
        )
    name, rtype = record["Name"], record["Type"]
    if rtype not in TYPES:
        raise invalid(f"Invalid XML ; cvc-enumeration-valid: Value '{rtype}' is not facet-valid.")
    policies = [key for key in POLICY_KEYS_ALL if record.get(key) is not None]
    set_id = record.get("SetIdentifier")
    where = f"Change with [Action={action}, Name={name}, Type={rtype}, SetIdentifier={set_id or 'null'}]"
    if policies and not set_id:
        raise invalid(f"Invalid request: Missing field 'SetIdentifier' in {where}")
    one_policy = (
        "Invalid request: Expected exactly one of [Weight, Region, Failover, GeoLocation, "
        "MultiValueAnswer, GeoProximityLocation, or CidrRoutingConfig]"
    )
    if set_id and not policies:
        raise invalid(f"{one_policy}, but found none in {where}")
    if len(policies) > 1:
        raise invalid(f"{one_policy}, but found more than one in {where}")
    alias = record.get("AliasTarget")
    values = record.get("ResourceRecords")
    one_kind = "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId]"
    if alias is not None and (values or record.get("TTL") is not None):
        raise invalid(f"{one_kind}, but found more than one in {where}")
    if alias is None and (not values or record.get("TTL") is None):
        raise invalid(f"{one_kind}, but found none in {where}")


def check_record(record: dict[str, Any], zone_name: str) -> list[str]:
    """What is wrong with a record set a change would write into the zone (InvalidChangeBatch
    messages); the change's shape has passed `check_change_shape`."""
    name, rtype = record["Name"], record["Type"]
    problems: list[str] = []
    if not in_zone(name, zone_name):
        return [f"RRSet with DNS name {name} is not permitted in zone {zone_name}"]
    alias = record.get("AliasTarget")
    values = record.get("ResourceRecords") or []
    if alias is not None:
        if record.get("MultiValueAnswer") is not None:
            problems.append(f"Multivalue answer resource record sets cannot be alias records: {name}")
        if rtype in ("SOA", "NS") and name == zone_name:
            problems.append(f"RRSet of type {rtype} with DNS name {name} cannot be an alias at the zone apex")
        target = alias.get("DNSName") or ""
        check_domain_name(target, "alias target DNS name")
        return problems
    if not 0 <= int(record["TTL"]) <= 2147483647:
        raise invalid("TTL must be between 0 and 2147483647")
    if rtype == "CNAME" and len(values) > 1:
        problems.append(f"RRSet of type CNAME with DNS name {name} must contain exactly one resource record")
    if rtype == "CNAME" and name == zone_name:
        problems.append(
            f"RRSet of type CNAME with DNS name {name} is not permitted at apex in zone {zone_name}"
        )
    if rtype == "SOA" and (name != zone_name or len(values) != 1):
        problems.append("A HostedZone must contain exactly one SOA record.")
    seen: set[str] = set()
    for entry in values:
        value = entry["Value"]
        problem = _rdata_problem(rtype, value)
        if problem:
            problems.append(f"Invalid Resource Record: 'FATAL problem: {problem}'")
        elif value in seen:
            problems.append(f"Duplicate Resource Record: '{value}'")
        seen.add(value)
    weight = record.get("Weight")
    if weight is not None and not 0 <= int(weight) <= 255:
        raise invalid("Weight must be between 0 and 255")
    return problems


def describe(record: dict[str, Any]) -> str:
    out = f"[name='{record['Name']}', type='{record['Type']}'"
    if record.get("SetIdentifier"):
        out += f", set-identifier='{record['SetIdentifier']}'"
    return out + "]"


def _comparable(record: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in record.items() if v not in (None, "")}
    if "ResourceRecords" in out:
        out["ResourceRecords"] = sorted(r["Value"] for r in out["ResourceRecords"])
    if "AliasTarget" in out:
        alias = dict(out["AliasTarget"])
        alias["DNSName"] = canonical_name(alias["DNSName"])
        out["AliasTarget"] = alias
    return out


def normalise(record: dict[str, Any]) -> dict[str, Any]:
    """A record set as stored: canonical name, no empty members, the alias target canonical."""
    out = {k: v for k, v in record.items() if v is not None}
    out["Name"] = canonical_name(record["Name"])
    alias = out.get("AliasTarget")
    if alias is not None:
        out["AliasTarget"] = {
            "HostedZoneId": alias["HostedZoneId"].rsplit("/", 1)[-1],
            "DNSName": canonical_name(alias["DNSName"]),
            "EvaluateTargetHealth": bool(alias.get("EvaluateTargetHealth")),
        }
    if out.get("ResourceRecords") is not None:
        out["ResourceRecords"] = [{"Value": r["Value"]} for r in out["ResourceRecords"]]
    return out


def apply_changes(
    zone_name: str,
    current: dict[str, dict[str, Any]],
    changes: list[dict[str, Any]],
    health_checks: set[str] | None = None,
) -> tuple[dict[str, dict[str, Any] | None], list[str]]:
    """The writes a change batch makes to a zone whose record sets are `current` (by
    record_key): key → new record set (None: deleted), and the batch's problems (then nothing
    is written). Each change sees the ones before it, as Route 53 applies a batch in order."""
    view: dict[str, dict[str, Any] | None] = {}
    problems: list[str] = []

    def get(key: str) -> dict[str, Any] | None:
        return view[key] if key in view else current.get(key)

    def names_of(name: str) -> list[dict[str, Any]]:
        prefix = sort_key(name) + "\x01"
        found = {k: v for k, v in current.items() if k.startswith(prefix)}
        for k, v in view.items():
            if k.startswith(prefix):
                found[k] = v  # type: ignore[assignment]
        return [v for v in found.values() if v is not None]

    for change in changes:
        check_change_shape(change)
    for change in changes:
        action = change["Action"]
        record = normalise(change["ResourceRecordSet"])
        key = record_key(record)
        existing = get(key)
        if action == "DELETE":
            if existing is None:
                problems.append(
                    f"Tried to delete resource record set {describe(record)} but it was not found"
                )
                continue
            if _comparable(existing) != _comparable(record):
                problems.append(
                    f"Tried to delete resource record set {describe(record)} but the values provided do not "
                    "match the current values"
                )
                continue
            if record["Name"] == zone_name and record["Type"] in ("SOA", "NS"):
                problems.append(
                    "A HostedZone must contain exactly one SOA record."
                    if record["Type"] == "SOA"
                    else "A HostedZone must contain at least one NS record for the zone itself."
                )
                continue
            view[key] = None
            continue
        found = check_record(record, zone_name)
        hc = record.get("HealthCheckId")
        if hc and health_checks is not None and hc not in health_checks:
            found.append(f"Invalid health check ID: {hc}")
        if found:
            problems.extend(found)
            continue
        if action == "CREATE" and existing is not None:
            problems.append(f"Tried to create resource record set {describe(record)} but it already exists")
            continue
        if record["Type"] == "SOA" and existing is None:
            problems.append("A HostedZone must contain exactly one SOA record.")
            continue
        others = [r for r in names_of(record["Name"]) if record_key(r) != key]
        conflict = _conflict(record, others, zone_name)
        if conflict:
            problems.append(conflict)
            continue
        view[key] = record
    return view, problems


def _conflict(record: dict[str, Any], others: list[dict[str, Any]], zone_name: str) -> str | None:
    name, rtype = record["Name"], record["Type"]
    for other in others:
        if (rtype == "CNAME" and other["Type"] != "CNAME") or (other["Type"] == "CNAME" and rtype != "CNAME"):
            return (
                f"RRSet of type {rtype} with DNS name {name} is not permitted because a conflicting RRSet of "
                f"type {other['Type']} with the same DNS name already exists in zone {zone_name}"
            )
        if other["Type"] != rtype:
            continue
        if bool(other.get("SetIdentifier")) != bool(record.get("SetIdentifier")):
            return (
                f"RRSet with DNS name {name}, type {rtype} cannot be created because a record with the same "
                "name and type already exists with a different routing policy"
                if record.get("SetIdentifier")
                else f"RRSet with DNS name {name}, type {rtype} cannot be created as other RRSets exist with "
                "the same name and type."
            )
        mine = next((k for k in POLICY_KEYS_ALL if record.get(k) is not None), None)
        theirs = next((k for k in POLICY_KEYS_ALL if other.get(k) is not None), None)
        if mine != theirs:
            return (
                f"RRSet with DNS name {name}, type {rtype}, SetIdentifier {record.get('SetIdentifier')} cannot "
                f"be created because a {theirs} RRSet with the same name and type already exists."
            )
        if mine == "Failover" and other.get("Failover") == record.get("Failover"):
            return (
                f"RRSet with DNS name {name}, type {rtype}, SetIdentifier {record.get('SetIdentifier')} cannot "
                f"be created because another {record['Failover']} failover RRSet with the same name and type "
                "already exists."
            )
    return None
