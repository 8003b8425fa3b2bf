"""The DNS engine: answers a question (name, type) from the hosted zones, as Route 53's name
servers do. SOA/NS, exact names, wildcards, CNAME chains through the zones, alias records
resolved to their target's addresses, and routing policies applied per question (weights
split answers at random, failover and multivalue follow health checks). Names of Overcast's
own endpoints (`*.localhost.localstack.cloud`, execute-api, CloudFront, ECR, ELB, RDS, S3
websites) answer 127.0.0.1.

The engine holds an index of every zone's record sets in memory, kept current by the provider
on each change; an answer that no routing policy or health check shapes is cached as wire
bytes until the next change."""

from __future__ import annotations

import random
import re
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dns.name
import dns.rdatatype

from overcast.services.route53.querylog import QueryLog
from overcast.services.route53.records import in_zone, to_rdata

NOERROR, NXDOMAIN, REFUSED, NOTIMP, FORMERR = 0, 3, 5, 4, 1
TYPE_A, TYPE_CNAME, TYPE_SOA, TYPE_AAAA, TYPE_ANY = 1, 5, 6, 28, 255
#: The TTL of an alias answer to an AWS resource (Route 53 uses the resource's own, 60 s).
ALIAS_TTL = 60
MAX_CHAIN = 8
MAX_MULTIVALUE = 8

#: Names that are Overcast's own endpoints: they resolve to 127.0.0.1, so containers and tools
#: reach the data planes on port 4566 by name.
OWN_NAMES = re.compile(
    r"^(?:(?:.+\.)?localhost\.localstack\.cloud"
    r"|.+\.execute-api\.[a-z0-9-]+\.amazonaws\.com"
    r"|.+\.cloudfront\.net"
    r"|.+\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com"
    r"|.+\.rds\.amazonaws\.com"
    r"|.+\.cache\.amazonaws\.com"
    r"|.+\.elb\.amazonaws\.com"
    r"|(?:.+\.)?s3-website[.-][a-z0-9-]+\.amazonaws\.com"
    r"|(?:.+\.)?s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com"
    r"|.+\.lambda-url\.[a-z0-9-]+\.on\.aws"
    r"|.+\.awsapprunner\.com"
    r")\.$"
)
LOOPBACK_A = bytes([127, 0, 0, 1])
LOOPBACK_AAAA = bytes(15) + b"\x01"


@dataclass
class Answer:
    rcode: int = NOERROR
    #: (owner, type, ttl, rdata wire bytes)
    answers: list[tuple[str, int, int, bytes]] = field(default_factory=list)
    authority: list[tuple[str, int, int, bytes]] = field(default_factory=list)
    authoritative: bool = True
    #: False when a routing policy or a health check chose among records: not cached.
    stable: bool = True


@dataclass
class Zone:
    zone_id: str
    name: str
    account: str
    private: bool
    #: (name, type) → record sets (several when a routing policy tells them apart)
    rrsets: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    #: every name that holds a record, and every name between them and the apex (non-terminals)
    names: dict[str, int] = field(default_factory=dict)


def _wire(rtype: str, value: str) -> bytes:
    if rtype == "A":
        return socket.inet_aton(value)
    if rtype == "AAAA":
        return socket.inet_pton(socket.AF_INET6, value)
    return to_rdata(rtype, value).to_wire() or b""


def _with_wire(record: dict[str, Any]) -> dict[str, Any]:
    values = record.get("ResourceRecords")
    if values:
        wires = []
        for entry in values:
            try:
                wires.append(_wire(record["Type"], entry["Value"]))
            except Exception:  # stored before a stricter check: served as nothing
                continue
        record = {**record, "_wire": wires}
    return record


class Engine:
    def __init__(
        self, health: Callable[[str], bool], cidr_match: Callable[[dict[str, Any], str], bool]
    ) -> None:
        self.zones: dict[str, list[Zone]] = {}
        self.by_id: dict[str, Zone] = {}
        self.health = health
        self.cidr_match = cidr_match
        self.cache: dict[tuple[bytes, int], tuple[bytes, bytes]] = {}
        #: Where answered queries are logged (zones with a query logging config), if anywhere.
        self.query_log: QueryLog | None = None
        #: Route 53 Resolver's policy (firewall, forwarding rules, query logs) when any is in force:
        #: it answers queries first, and hands the rest back to `respond`.
        self.resolver: Any = None

    def clear(self) -> None:
        """Forget every zone (the state was reset or replaced; the provider loads it again)."""
        self.zones.clear()
        self.by_id.clear()
        self.cache.clear()

    # -- the index ----------------------------------------------------------------------------

    def add_zone(self, zone_id: str, name: str, account: str, private: bool) -> None:
        zone = Zone(zone_id, name, account, private)
        self.by_id[zone_id] = zone
        self.zones.setdefault(name, []).append(zone)
        self.cache.clear()

    def remove_zone(self, zone_id: str) -> None:
        zone = self.by_id.pop(zone_id, None)
        if zone is None:
            return
        same = [z for z in self.zones.get(zone.name, []) if z.zone_id != zone_id]
        if same:
            self.zones[zone.name] = same
        else:
            self.zones.pop(zone.name, None)
        self.cache.clear()

    def put(self, zone_id: str, record: dict[str, Any]) -> None:
        zone = self.by_id.get(zone_id)
        if zone is None:
            return
        key = (record["Name"], record["Type"])
        group = [r for r in zone.rrsets.get(key, []) if r.get("SetIdentifier") != record.get("SetIdentifier")]
        if not group and key not in zone.rrsets:
            self._count_name(zone, record["Name"], 1)
        group.append(_with_wire(record))
        zone.rrsets[key] = group
        self.cache.clear()

    def delete(self, zone_id: str, record: dict[str, Any]) -> None:
        zone = self.by_id.get(zone_id)
        if zone is None:
            return
        key = (record["Name"], record["Type"])
        group = [r for r in zone.rrsets.get(key, []) if r.get("SetIdentifier") != record.get("SetIdentifier")]
        if group:
            zone.rrsets[key] = group
        elif key in zone.rrsets:
            del zone.rrsets[key]
            self._count_name(zone, record["Name"], -1)
        self.cache.clear()

    @staticmethod
    def _count_name(zone: Zone, name: str, delta: int) -> None:
        """Every name from `name` up to the apex exists while a record lies at or below it."""
        current = name
        while True:
            count = zone.names.get(current, 0) + delta
            if count > 0:
                zone.names[current] = count
            else:
                zone.names.pop(current, None)
            if current == zone.name or "." not in current.rstrip("."):
                break
            current = current.split(".", 1)[1]

    def zone_for(self, name: str) -> Zone | None:
        current = name
        while True:
            found = self.zones.get(current)
            if found:
                # Zones of one name (each account may have its own): the first that holds
                # the name answers, as a resolver would find it in whichever zone it lives.
                for zone in found:
                    if name in zone.names or self._wildcard(zone, name):
                        return zone
                return found[0]
            if current == ".":
                return None
            current = current.split(".", 1)[1] or "."

    # -- answering ----------------------------------------------------------------------------

    def resolve(self, qname: str, qtype: int, client: str = "127.0.0.1", zone: Zone | None = None) -> Answer:
        """The answer to one question. `qname` is canonical (lower case, absolute)."""
        answer = Answer()
        zone = zone or self.zone_for(qname)
        if zone is None:
            if OWN_NAMES.match(qname):
                if qtype in (TYPE_A, TYPE_ANY):
                    answer.answers.append((qname, TYPE_A, ALIAS_TTL, LOOPBACK_A))
                return answer
            answer.rcode = REFUSED
            answer.authoritative = False
            return answer
        name = qname
        for _ in range(MAX_CHAIN):
            records, owner_found = self._lookup(zone, name, qtype, client, answer)
            if records is None:
                if not owner_found:
                    if name == qname:
                        answer.rcode = NXDOMAIN
                    self._soa(zone, answer)
                    return answer
                if not answer.answers:
                    self._soa(zone, answer)
                return answer
            answer.answers.extend((name, *entry) for entry in records[1])
            target = records[0]
            if target is None:
                if not answer.answers:
                    self._soa(zone, answer)
                return answer
            name = target
            next_zone = self.zone_for(name)
            if next_zone is None:
                return answer
            zone = next_zone
        return answer

    def _soa(self, zone: Zone, answer: Answer) -> None:
        soa = zone.rrsets.get((zone.name, "SOA"))
        if soa and soa[0].get("_wire"):
            record = soa[0]
            minimum = int(record["ResourceRecords"][0]["Value"].split()[-1])
            answer.authority.append(
                (zone.name, TYPE_SOA, min(int(record.get("TTL", 900)), minimum), record["_wire"][0])
            )

    def _lookup(
        self, zone: Zone, name: str, qtype: int, client: str, answer: Answer
    ) -> tuple[tuple[str | None, list[tuple[int, int, bytes]]] | None, bool]:
        """((CNAME target or None, [(type, ttl, rdata)]), whether the name exists) for `name`."""
        exists = name in zone.names
        source = name
        if not exists:
            source = self._wildcard(zone, name) or ""
            if not source:
                return None, False
        type_text = dns.rdatatype.to_text(dns.rdatatype.RdataType(qtype)) if qtype != TYPE_ANY else "ANY"
        if type_text == "ANY":
            out: list[tuple[int, int, bytes]] = []
            for (owner, rtype), group in zone.rrsets.items():
                if owner == source:
                    out.extend(self._values(zone, group, rtype, client, answer))
            return (None, out), True
        found = zone.rrsets.get((source, type_text))
        if found:
            values = self._values(zone, found, type_text, client, answer)
            return ((None, values) if values else None), True
        cname = zone.rrsets.get((source, "CNAME"))
        if cname:
            chosen = self._choose(cname, client, answer)
            if chosen and chosen.get("_wire"):
                target = chosen["ResourceRecords"][0]["Value"].lower()
                target = target if target.endswith(".") else target + "."
                return (target, [(TYPE_CNAME, int(chosen.get("TTL", 300)), chosen["_wire"][0])]), True
            if chosen and chosen.get("AliasTarget"):
                values = self._alias(chosen, type_text, client, answer)
                return ((None, values) if values else None), True
        return None, True

    @staticmethod
    def _wildcard(zone: Zone, name: str) -> str | None:
        """The wildcard name that covers `name` (RFC 4592: below the closest encloser)."""
        current = name
        while current != zone.name and "." in current.rstrip("."):
            parent = current.split(".", 1)[1]
            if parent in zone.names or parent == zone.name:
                candidate = "*." + parent
                return candidate if candidate in zone.names else None
            current = parent
        return None

    def _values(
        self, zone: Zone, group: list[dict[str, Any]], rtype: str, client: str, answer: Answer
    ) -> list[tuple[int, int, bytes]]:
        type_code = dns.rdatatype.from_text(rtype)
        if group[0].get("MultiValueAnswer") is not None:
            answer.stable = False
            healthy = [r for r in group if self._healthy(r)]
            picked = healthy or group
            random.shuffle(picked)
            out: list[tuple[int, int, bytes]] = []
            for record in picked[:MAX_MULTIVALUE]:
                out.extend((type_code, int(record.get("TTL", 300)), wire) for wire in record.get("_wire", ()))
            return out
        chosen = self._choose(group, client, answer)
        if chosen is None:
            return []
        record = chosen
        if record.get("AliasTarget"):
            return self._alias(record, rtype, client, answer)
        return [(type_code, int(record.get("TTL", 300)), wire) for wire in record.get("_wire", ())]

    def _alias(
        self, record: dict[str, Any], rtype: str, client: str, answer: Answer
    ) -> list[tuple[int, int, bytes]]:
        target = record["AliasTarget"]["DNSName"]
        target_zone = self.by_id.get(record["AliasTarget"]["HostedZoneId"]) or self.zone_for(target)
        if target_zone is not None and in_zone(target, target_zone.name):
            inner = self.resolve(target, dns.rdatatype.from_text(rtype), client, target_zone)
            if not inner.stable:
                answer.stable = False
            return [
                (t, ttl, data) for owner, t, ttl, data in inner.answers if t == dns.rdatatype.from_text(rtype)
            ]
        if OWN_NAMES.match(target) or OWN_NAMES.match("x." + target):
            if rtype == "A":
                return [(TYPE_A, ALIAS_TTL, LOOPBACK_A)]
        return []

    def _healthy(self, record: dict[str, Any]) -> bool:
        check = record.get("HealthCheckId")
        if check and not self.health(check):
            return False
        alias = record.get("AliasTarget")
        if alias and alias.get("EvaluateTargetHealth"):
            zone = self.by_id.get(alias["HostedZoneId"]) or self.zone_for(alias["DNSName"])
            if zone is not None and in_zone(alias["DNSName"], zone.name):
                groups = [g for (owner, _), g in zone.rrsets.items() if owner == alias["DNSName"]]
                records = [r for g in groups for r in g]
                if records and not any(self._healthy(r) for r in records):
                    return False
        return True

    def _choose(self, group: list[dict[str, Any]], client: str, answer: Answer) -> dict[str, Any] | None:
        """The record set a routing policy picks among those of one name and type."""
        first = group[0]
        if len(group) == 1 and not first.get("SetIdentifier"):
            return first
        answer.stable = False
        healthy = [r for r in group if self._healthy(r)]
        if first.get("Weight") is not None:
            pool = healthy or group
            weights = [int(r["Weight"]) for r in pool]
            if not any(weights):
                return random.choice(pool)
            return random.choices(pool, weights=weights)[0]
        if first.get("Failover") is not None:
            primary = next((r for r in group if r["Failover"] == "PRIMARY"), None)
            secondary = next((r for r in group if r["Failover"] == "SECONDARY"), None)
            if primary is not None and (self._healthy(primary) or secondary is None):
                return primary
            return secondary
        if first.get("CidrRoutingConfig") is not None:
            for record in healthy:
                if record["CidrRoutingConfig"]["LocationName"] != "*" and self.cidr_match(record, client):
                    return record
            return next((r for r in group if r["CidrRoutingConfig"]["LocationName"] == "*"), None)
        if first.get("GeoLocation") is not None:
            # A loopback client has no location: the default ("*") record answers it.
            default = next((r for r in group if r["GeoLocation"].get("CountryCode") == "*"), None)
            return default
        # Latency and geoproximity: every client is nearest to the first healthy region.
        pool = healthy or group
        return sorted(pool, key=lambda r: str(r.get("Region") or r.get("GeoProximityLocation") or ""))[0]


# -- the wire ---------------------------------------------------------------------------------


def parse_question(data: bytes) -> tuple[int, bytes, int, int] | None:
    """(end offset, qname wire bytes, qtype, qclass) of a query's single question."""
    if len(data) < 17:
        return None
    offset = 12
    length = len(data)
    while True:
        if offset >= length:
            return None
        size = data[offset]
        if size == 0:
            offset += 1
            break
        if size & 0xC0:
            return None
        offset += size + 1
    if offset + 4 > length:
        return None
    qtype, qclass = struct.unpack_from("!HH", data, offset)
    return offset + 4, data[12:offset], qtype, qclass


def wire_to_text(wire: bytes) -> str:
    labels = []
    offset = 0
    while wire[offset]:
        size = wire[offset]
        labels.append(wire[offset + 1 : offset + 1 + size].decode("latin-1").lower())
        offset += size + 1
    return ".".join(labels) + "." if labels else "."


_NAME_WIRE: dict[str, bytes] = {}


def name_wire(name: str) -> bytes:
    wire = _NAME_WIRE.get(name)
    if wire is None:
        wire = dns.name.from_text(name).to_wire() or b""
        if len(_NAME_WIRE) > 100_000:
            _NAME_WIRE.clear()
        _NAME_WIRE[name] = wire
    return wire


def encode_sections(answer: Answer, qname: str) -> tuple[bytes, int, int]:
    """The answer and authority sections' wire bytes and their record counts."""
    parts = []
    for owner, rtype, ttl, data in (*answer.answers, *answer.authority):
        owner_wire = b"\xc0\x0c" if owner == qname else name_wire(owner)
        parts.append(owner_wire + struct.pack("!HHIH", rtype, 1, ttl, len(data)) + data)
    return b"".join(parts), len(answer.answers), len(answer.authority)


def respond(
    engine: Engine, data: bytes, client: str, limit: int | None, protocol: str = "UDP"
) -> bytes | None:
    """The response to one query message (None: not a query worth answering)."""
    if len(data) < 12 or data[2] & 0x80:
        return None
    flags_in = data[2]
    opcode = (flags_in >> 3) & 0x0F
    rd = flags_in & 0x01
    question = parse_question(data) if opcode == 0 and data[4:6] == b"\x00\x01" else None
    if question is None:
        rcode = NOTIMP if opcode else FORMERR
        return data[:2] + bytes([0x80 | (opcode << 3) | rd, rcode]) + b"\x00" * 8
    end, qwire, qtype, qclass = question
    key = (qwire.lower(), qtype)
    cached = engine.cache.get(key)
    if cached is None:
        qname = wire_to_text(qwire)
        answer = engine.resolve(qname, qtype, client) if qclass in (1, 255) else Answer(rcode=REFUSED)
        sections, an, ns = encode_sections(answer, qname)
        flags = 0x80 | (0x04 if answer.authoritative else 0)
        cached = (struct.pack("!BBHHHH", flags, answer.rcode, 1, an, ns, 0), sections)
        if answer.stable and len(engine.cache) < 200_000:
            engine.cache[key] = cached
    head, sections = cached
    query_log = engine.query_log
    if query_log is not None and query_log.targets:
        qname = wire_to_text(qwire)
        zone = engine.zone_for(qname)
        if zone is not None:
            type_text = dns.rdatatype.to_text(dns.rdatatype.RdataType.make(qtype))
            query_log.record(zone.zone_id, qname, type_text, head[1] & 0x0F, protocol, client)
    if limit is None:
        limit = 1232 if data[10:12] != b"\x00\x00" else 512
    if 12 + (end - 12) + len(sections) > limit:
        return (
            data[:2]
            + bytes([head[0] | rd | 0x02, head[1]])
            + b"\x00\x01\x00\x00\x00\x00\x00\x00"
            + data[12:end]
        )
    return data[:2] + bytes([head[0] | rd]) + head[1:] + data[12:end] + sections
