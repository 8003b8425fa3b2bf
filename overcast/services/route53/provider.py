"""Amazon Route 53: hosted zones (public, and private with their VPCs), record sets changed in
atomic change batches, health checks that really probe, traffic policies, DNSSEC signing keys,
query logging, reusable delegation sets, CIDR collections and tags, and a real DNS server
answering from the zones (engine.py, dnsserver.py).

Route 53 is global: every table is scoped by account. Record sets live in table "records",
keyed `{zone id}|{labels reversed}\\x01{type}\\x01{set id}` so a zone's listing is a key range in
Route 53's own order."""

from __future__ import annotations

import ipaddress
import json
import re
import secrets
from datetime import UTC, datetime
from typing import Any

from overcast.context import RequestContext
from overcast.http import Response
from overcast.services.base import BaseProvider, HostRoute
from overcast.services.route53 import records as rr
from overcast.services.route53.advanced import AdvancedMixin
from overcast.services.route53.dnsserver import DnsServer
from overcast.services.route53.engine import TYPE_ANY, Engine
from overcast.services.route53.errors import PUBLIC_ZONE_VPC, change_batch, error, invalid, no_zone
from overcast.services.route53.extras import ExtrasMixin
from overcast.services.route53.health import HealthMixin
from overcast.services.route53.querylog import QueryLog, group_name
from overcast.services.route53.records import bare_id
from overcast.services.route53.traffic import TrafficMixin
from overcast.store import scope as store_scope

#: Seconds a change stays PENDING before Route 53 reports it INSYNC on every name server.
SYNC_SECONDS = 1.0
MAX_ITEMS = 100
SOA_TTL, NS_TTL = 900, 172800
ZONE_LIMIT = 500


def new_id(prefix: str, length: int = 21) -> str:
    return prefix + secrets.token_hex(16).upper()[: length - len(prefix)]


def name_servers(seed: str) -> list[str]:
    number = int.from_bytes(seed.encode()[-4:], "big")
    return [
        f"ns-{number % 512}.awsdns-{number % 64:02d}.com",
        f"ns-{512 + number % 512}.awsdns-{number % 64:02d}.net",
        f"ns-{1024 + number % 512}.awsdns-{number % 64:02d}.org",
        f"ns-{1536 + number % 512}.awsdns-{number % 64:02d}.co.uk",
    ]


def max_items(params: dict[str, Any], default: int = MAX_ITEMS) -> int:
    raw = params.get("MaxItems")
    if raw is None:
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise invalid(
            f"1 validation error detected: Value '{raw}' at 'maxItems' failed to satisfy constraint"
        ) from None
    if value < 1:
        raise invalid("MaxItems must be greater than 0")
    return min(value, default if default > MAX_ITEMS else MAX_ITEMS * 3)


#: A host that may be a name in a hosted zone (serve_alias_host decides).
_ZONE_HOST = re.compile(r"^(?P<host>(?:[A-Za-z0-9-]+\.)+[A-Za-z][A-Za-z0-9-]*)\.?(?::\d+)?$")
_S3_WEBSITE_TARGET = re.compile(r"^(?:.+\.)?s3-website[.-](?P<region>[a-z0-9-]+)\.amazonaws\.com\.$")


class Provider(HealthMixin, ExtrasMixin, TrafficMixin, AdvancedMixin, BaseProvider):
    service = "route53"
    #: A name of a hosted zone aliased to an S3 website endpoint is that website, as the
    #: endpoint serves the bucket named by the Host header (static sites on a custom domain).
    host_routes = (HostRoute(_ZONE_HOST, "serve_alias_host"),)

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        table = self.store.table
        self.zones = table("route53", "zones")
        self.records = table("route53", "records")
        self.changes = table("route53", "changes")
        self.health_checks = table("route53", "health_checks")
        self.delegation_sets = table("route53", "delegation_sets")
        self.query_logging = table("route53", "query_logging")
        self.traffic_policies = table("route53", "traffic_policies")
        self.traffic_instances = table("route53", "traffic_instances")
        self.cidr_collections = table("route53", "cidr_collections")
        self.signing_keys = table("route53", "signing_keys")
        self.vpc_authorizations = table("route53", "vpc_authorizations")
        self.protections = table("route53", "protections")
        self.change_batches = table("route53", "change_batches")
        self.health_check_sources = table("route53", "health_check_sources")
        self.engine = Engine(self.is_healthy, self.cidr_matches)
        self.query_log = QueryLog(runtime)
        self.dns: DnsServer | None = None
        self.init_health()

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        self._load_engine()
        if self.runtime.config.dns_at_start or self.engine.by_id:
            self.ensure_dns()
        self.resume_health()

    def _load_engine(self) -> None:
        self.engine.clear()  # the same engine: the DNS server answers from it
        for account in self.zones.scopes():
            for zone_id, zone in self.zones.scan(account):
                self.engine.add_zone(zone_id, zone["Name"], account, zone["Config"].get("PrivateZone", False))
        for account in self.records.scopes():
            for key, record in self.records.scan(account):
                self.engine.put(key.split("|", 1)[0], record)
        self.engine.query_log = self.query_log
        self.refresh_query_log()

    def refresh_query_log(self) -> None:
        """Point the DNS server's query log at the zones' query logging configs."""
        self.query_log.set_targets(
            {
                row["HostedZoneId"]: (account, group_name(row["CloudWatchLogsLogGroupArn"]))
                for account in self.query_logging.scopes()
                for _, row in self.query_logging.scan(account)
            }
        )

    def ensure_dns(self) -> None:
        address = self.runtime.config.dns_address
        if self.dns is None and address is not None:
            self.dns = DnsServer(self.engine, address)
            self.runtime.spawn(self.dns.listen(), "route53-dns")

    def reset(self) -> None:
        self.stop_health()

    def state_replaced(self) -> None:
        self._load_engine()
        self.status.clear()
        self.resume_health()

    def close(self) -> None:
        self.stop_health()
        if self.dns is not None:
            self.dns.close()

    def internal_request(self, request: Any, subpath: str) -> Response | None:
        if subpath.rstrip("/") == "dns" and request.method == "GET":
            self.ensure_dns()
            bound = self.dns.bound if self.dns else None
            body = {
                "address": f"{bound[0]}:{bound[1]}" if bound else None,
                "problem": self.dns.problem if self.dns else "the DNS server is off",
            }
            return Response(200, {"Content-Type": "application/json"}, json.dumps(body).encode())
        return None

    def serve_alias_host(self, request: Any, match: re.Match[str], context: RequestContext) -> Any:
        name = match.group("host").lower() + "."
        zone = self.engine.zone_for(name)
        if zone is None:
            return None
        for record in zone.rrsets.get((name, "A"), ()):
            target = (record.get("AliasTarget") or {}).get("DNSName", "")
            website = _S3_WEBSITE_TARGET.match(target)
            if website is not None:
                from overcast.services.s3.website import WEBSITE_HOST

                bucket = name.rstrip(".")
                endpoint = WEBSITE_HOST.match(f"{bucket}.s3-website-{website.group('region')}.amazonaws.com")
                if endpoint is None:
                    return None
                return self.runtime.provider("s3").serve_website(request, endpoint, context)
        return None

    # -- what other services ask ----------------------------------------------------------------

    def lookup(self, name: str, rtype: str) -> list[str]:
        """The values Overcast's DNS answers for `name` and `rtype` (ACM's DNS validation)."""
        import dns.rdataclass
        import dns.rdatatype

        from overcast.services.route53.engine import TYPE_CNAME

        code = dns.rdatatype.from_text(rtype)
        answer = self.engine.resolve(rr.canonical_name(name), code)
        out = []
        for owner, t, ttl, data in answer.answers:
            if t == code or (code == TYPE_CNAME and t == TYPE_CNAME):
                out.append(
                    dns.rdata.from_wire(
                        dns.rdataclass.IN, dns.rdatatype.RdataType(t), data, 0, len(data)
                    ).to_text()
                )
        return out

    def targets_of(self, name: str) -> list[str] | None:
        """The names `name` points at in Overcast's DNS: its CNAME's target, or the DNS names
        of its A/AAAA alias records (CloudFront checks a domain points at it). None when no
        hosted zone holds the name."""
        canonical = rr.canonical_name(name)
        zone = self.engine.zone_for(canonical)
        if zone is None:
            return None
        out = [value.lower().rstrip(".") for value in self.lookup(canonical, "CNAME")]
        for rtype in ("A", "AAAA"):
            for record in zone.rrsets.get((canonical, rtype), ()):
                alias = record.get("AliasTarget")
                if alias:
                    out.append(alias["DNSName"].lower().rstrip("."))
        return out

    # -- helpers ------------------------------------------------------------------------------

    @staticmethod
    def scope_of(context: RequestContext) -> str:
        return store_scope(context.account)

    def zone(self, context: RequestContext, zone_id: str) -> dict[str, Any]:
        zone_id = bare_id(zone_id)
        row = self.zones.get(self.scope_of(context), zone_id)
        if row is None:
            raise no_zone(zone_id)
        return row

    def zone_output(self, zone: dict[str, Any]) -> dict[str, Any]:
        config = {"PrivateZone": zone["Config"].get("PrivateZone", False)}
        for key in ("Comment", "HostedZoneTier"):
            if zone["Config"].get(key) is not None:
                config[key] = zone["Config"][key]
        out = {
            "Id": f"/hostedzone/{zone['Id']}",
            "Name": zone["Name"],
            "CallerReference": zone["CallerReference"],
            "Config": config,
            "ResourceRecordSetCount": zone["ResourceRecordSetCount"],
        }
        features = self.zone_features(zone)
        if features:
            out["Features"] = features
        return out

    def delegation_output(self, zone: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"NameServers": list(zone["NameServers"])}
        if zone.get("DelegationSetId"):
            out["Id"] = f"/delegationset/{zone['DelegationSetId']}"
        return out

    def new_change(self, context: RequestContext, comment: str | None = None) -> dict[str, Any]:
        change_id = new_id("C")
        info: dict[str, Any] = {
            "Id": f"/change/{change_id}",
            "Status": "PENDING",
            "SubmittedAt": datetime.now(UTC),
            "at": self.runtime.scheduler.now(),
        }
        if comment:
            info["Comment"] = comment
        self.changes.put(self.scope_of(context), change_id, info)
        return self.change_output(info)

    def change_output(self, info: dict[str, Any]) -> dict[str, Any]:
        status = "INSYNC" if self.runtime.scheduler.now() - info["at"] >= SYNC_SECONDS else "PENDING"
        return {k: v for k, v in {**info, "Status": status}.items() if k != "at"}

    def zone_records(self, account_scope: str, zone_id: str) -> dict[str, dict[str, Any]]:
        prefix = zone_id + "|"
        return {key[len(prefix) :]: value for key, value in self.records.scan(account_scope, prefix)}

    # -- hosted zones -------------------------------------------------------------------------

    def create_hosted_zone(self, context: RequestContext, params: dict) -> dict:
        name = rr.canonical_name(params["Name"])
        rr.check_domain_name(name)
        if name.count(".") < 1 or name == ".":
            raise error("InvalidDomainName", f"{params['Name']} is reserved by AWS!")
        scope = self.scope_of(context)
        reference = params["CallerReference"]
        config = dict(params.get("HostedZoneConfig") or {})
        vpc = params.get("VPC")
        private = bool(vpc) or bool(config.get("PrivateZone"))
        if config.get("PrivateZone") and not vpc:
            raise invalid(
                "When you're creating a private hosted zone (when you specify true for PrivateZone), "
                "you must also specify values for VPCId and VPCRegion."
            )
        if vpc and (not vpc.get("VPCId") or not vpc.get("VPCRegion")):
            raise error("InvalidVPCId", "The VPC ID and VPC region must both be specified.")
        if vpc:
            self.check_vpc(context, vpc)
        delegation_id = params.get("DelegationSetId")
        with self.store.transaction():
            for _, other in self.zones.scan(scope):
                if other["CallerReference"] == reference:
                    raise error(
                        "HostedZoneAlreadyExists",
                        "A hosted zone has already been created with the specified caller reference.",
                    )
            if self.zones.count(scope) >= ZONE_LIMIT:
                raise error(
                    "TooManyHostedZones",
                    f"Limits Exceeded: MAX_HOSTED_ZONES_BY_OWNER - Current count: {ZONE_LIMIT}",
                )
            zone_id = new_id("Z")
            if delegation_id:
                delegation_id = bare_id(delegation_id)
                if private:
                    raise error("InvalidInput", "A private hosted zone cannot use a reusable delegation set.")
                delegation = self.delegation_sets.get(scope, delegation_id)
                if delegation is None:
                    raise error(
                        "NoSuchDelegationSet",
                        f"A reusable delegation set with the specified ID does not exist: {delegation_id}",
                    )
                servers = delegation["NameServers"]
            else:
                servers = name_servers(zone_id)
            zone = {
                "Id": zone_id,
                "Name": name,
                "CallerReference": reference,
                "Config": {
                    "PrivateZone": private,
                    **({"Comment": config["Comment"]} if config.get("Comment") is not None else {}),
                },
                "ResourceRecordSetCount": 2,
                "NameServers": servers,
                "DelegationSetId": delegation_id,
                "VPCs": [{"VPCRegion": vpc["VPCRegion"], "VPCId": vpc["VPCId"]}] if vpc else [],
                "Tags": {},
                "DNSSEC": "NOT_SIGNING",
            }
            self.zones.put(scope, zone_id, zone)
            soa = {
                "Name": name,
                "Type": "SOA",
                "TTL": SOA_TTL,
                "ResourceRecords": [
                    {"Value": f"{servers[0]}. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"}
                ],
            }
            ns = {
                "Name": name,
                "Type": "NS",
                "TTL": NS_TTL,
                "ResourceRecords": [{"Value": f"{s}."} for s in servers],
            }
            for record in (soa, ns):
                self.records.put(scope, f"{zone_id}|{rr.record_key(record)}", record)
            change = self.new_change(context)
        self.engine.add_zone(zone_id, name, context.account, private)
        self.engine.put(zone_id, soa)
        self.engine.put(zone_id, ns)
        self.ensure_dns()
        out: dict[str, Any] = {
            "HostedZone": self.zone_output(zone),
            "ChangeInfo": change,
            "Location": f"https://route53.amazonaws.com/2013-04-01/hostedzone/{zone_id}",
        }
        if vpc:  # a private zone has no delegation set: nothing delegates to it
            out["VPC"] = zone["VPCs"][0]
        else:
            out["DelegationSet"] = self.delegation_output(zone)
        context.status = 201
        return out

    def check_vpc(self, context: RequestContext, vpc: dict[str, Any]) -> None:
        """A VPC named for a private zone must exist (in the account, in its region)."""
        if self.runtime.provider("ec2").find_vpc(context.account, vpc["VPCRegion"], vpc["VPCId"]) is None:
            raise error("InvalidVPCId", "The VPC ID is invalid.")

    def get_hosted_zone(self, context: RequestContext, params: dict) -> dict:
        zone = self.zone(context, params["Id"])
        out: dict[str, Any] = {"HostedZone": self.zone_output(zone)}
        if zone["Config"]["PrivateZone"]:
            out["VPCs"] = zone["VPCs"]
        else:
            out["DelegationSet"] = self.delegation_output(zone)
        return out

    def delete_hosted_zone(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        with self.store.transaction():
            zone = self.zone(context, params["Id"])
            records = self.zone_records(scope, zone["Id"])
            if any(not (r["Name"] == zone["Name"] and r["Type"] in ("SOA", "NS")) for r in records.values()):
                raise error(
                    "HostedZoneNotEmpty",
                    "The specified hosted zone contains non-required resource record sets and so cannot be deleted.",
                )
            if self.protections.count(scope, zone["Id"] + "|"):
                raise error(
                    "HostedZoneNotEmpty",
                    "The specified hosted zone has resource record set protections and so cannot be deleted.",
                )
            for key in records:
                self.records.delete(scope, f"{zone['Id']}|{key}")
            for key, _ in list(self.change_batches.scan(scope, zone["Id"] + "|")):
                self.change_batches.delete(scope, key)
            self.zones.delete(scope, zone["Id"])
            for key, _ in list(self.signing_keys.scan(scope, zone["Id"] + "|")):
                self.signing_keys.delete(scope, key)
            change = self.new_change(context)
        self.engine.remove_zone(zone["Id"])
        return {"ChangeInfo": change}

    def list_hosted_zones(self, context: RequestContext, params: dict) -> dict:
        limit = max_items(params)
        delegation = params.get("DelegationSetId")
        zone_type = params.get("HostedZoneType")
        rows = [z for _, z in self.zones.scan(self.scope_of(context))]
        if delegation:
            rows = [z for z in rows if z.get("DelegationSetId") == bare_id(delegation)]
        if zone_type == "PrivateHostedZone":
            rows = [z for z in rows if z["Config"]["PrivateZone"]]
        marker = params.get("Marker")
        if marker:
            rows = [z for z in rows if z["Id"] >= bare_id(marker)]
        page = rows[:limit]
        out: dict[str, Any] = {
            "HostedZones": [self.zone_output(z) for z in page],
            "IsTruncated": len(rows) > limit,
            "MaxItems": str(limit),
        }
        if marker:
            out["Marker"] = marker
        if len(rows) > limit:
            out["NextMarker"] = rows[limit]["Id"]
        return out

    def list_hosted_zones_by_name(self, context: RequestContext, params: dict) -> dict:
        limit = max_items(params)
        rows = sorted(
            (z for _, z in self.zones.scan(self.scope_of(context))),
            key=lambda z: (rr.sort_key(z["Name"]), z["Id"]),
        )
        dns_name = params.get("DNSName")
        zone_id = params.get("HostedZoneId")
        if zone_id and not dns_name:
            raise invalid("The DNS name must be specified when a hosted zone ID is specified.")
        if dns_name:
            start = (rr.sort_key(rr.canonical_name(dns_name)), bare_id(zone_id) if zone_id else "")
            rows = [z for z in rows if (rr.sort_key(z["Name"]), z["Id"]) >= start]
        page = rows[:limit]
        out: dict[str, Any] = {
            "HostedZones": [self.zone_output(z) for z in page],
            "IsTruncated": len(rows) > limit,
            "MaxItems": str(limit),
        }
        if dns_name:
            out["DNSName"] = dns_name
        if zone_id:
            out["HostedZoneId"] = zone_id
        if len(rows) > limit:
            out["NextDNSName"] = rows[limit]["Name"]
            out["NextHostedZoneId"] = rows[limit]["Id"]
        return out

    def list_hosted_zones_by_vpc(self, context: RequestContext, params: dict) -> dict:
        vpc_id, region = params["VPCId"], params["VPCRegion"]
        found = [
            {"HostedZoneId": z["Id"], "Name": z["Name"], "Owner": {"OwningAccount": context.account}}
            for scope in self.zones.scopes()
            for _, z in self.zones.scan(scope)
            if any(v["VPCId"] == vpc_id and v["VPCRegion"] == region for v in z.get("VPCs", []))
        ]
        limit = max_items(params)
        start = int(params.get("NextToken") or 0) if str(params.get("NextToken") or "0").isdigit() else 0
        page = found[start : start + limit]
        out: dict[str, Any] = {"HostedZoneSummaries": page, "MaxItems": str(limit)}
        if start + limit < len(found):
            out["NextToken"] = str(start + limit)
        return out

    def get_hosted_zone_count(self, context: RequestContext, params: dict) -> dict:
        return {"HostedZoneCount": self.zones.count(self.scope_of(context))}

    def update_hosted_zone_comment(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        with self.store.transaction():
            zone = self.zone(context, params["Id"])
            if params.get("Comment"):
                zone["Config"]["Comment"] = params["Comment"]
            else:
                zone["Config"].pop("Comment", None)
            self.zones.put(scope, zone["Id"], zone)
        return {"HostedZone": self.zone_output(zone)}

    def get_hosted_zone_limit(self, context: RequestContext, params: dict) -> dict:
        zone = self.zone(context, params["HostedZoneId"])
        kind = params["Type"]
        if kind == "MAX_RRSETS_BY_ZONE":
            count = zone["ResourceRecordSetCount"]
            value = 10000
        elif kind == "MAX_VPCS_ASSOCIATED_BY_ZONE":
            count, value = len(zone.get("VPCs", [])), 300
        else:
            raise invalid(f"Invalid limit type: {kind}")
        return {"Limit": {"Type": kind, "Value": value}, "Count": count}

    def get_account_limit(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        kind = params["Type"]
        counts = {
            "MAX_HEALTH_CHECKS_BY_OWNER": (200, lambda: self.health_checks.count(scope)),
            "MAX_HOSTED_ZONES_BY_OWNER": (ZONE_LIMIT, lambda: self.zones.count(scope)),
            "MAX_TRAFFIC_POLICY_INSTANCES_BY_OWNER": (5, lambda: self.traffic_instances.count(scope)),
            "MAX_REUSABLE_DELEGATION_SETS_BY_OWNER": (100, lambda: self.delegation_sets.count(scope)),
            "MAX_TRAFFIC_POLICIES_BY_OWNER": (
                50,
                lambda: len({k.split("|")[0] for k, _ in self.traffic_policies.scan(scope)}),
            ),
        }
        if kind not in counts:
            raise invalid(f"Invalid limit type: {kind}")
        value, count = counts[kind]
        return {"Limit": {"Type": kind, "Value": value}, "Count": count()}

    def associate_vpc_with_hosted_zone(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        vpc = params["VPC"]
        if not vpc.get("VPCId") or not vpc.get("VPCRegion"):
            raise error("InvalidVPCId", "The VPC ID and VPC region must both be specified.")
        with self.store.transaction():
            zone = self.zone(context, params["HostedZoneId"])
            if not zone["Config"]["PrivateZone"]:
                raise error("PublicZoneVPCAssociation", PUBLIC_ZONE_VPC)
            self.check_vpc(context, vpc)
            entry = {"VPCRegion": vpc["VPCRegion"], "VPCId": vpc["VPCId"]}
            if entry in zone["VPCs"]:
                raise error(
                    "ConflictingDomainExists",
                    f"The VPC {vpc['VPCId']} in {vpc['VPCRegion']} region is already associated with the hosted zone.",
                )
            zone["VPCs"].append(entry)
            self.zones.put(scope, zone["Id"], zone)
            change = self.new_change(context, params.get("Comment"))
        return {"ChangeInfo": change}

    def disassociate_vpc_from_hosted_zone(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        vpc = params["VPC"]
        with self.store.transaction():
            zone = self.zone(context, params["HostedZoneId"])
            if not zone["Config"]["PrivateZone"]:
                raise error(
                    "VPCAssociationNotFound", "The specified VPC is not associated with the hosted zone."
                )
            remaining = [
                v
                for v in zone["VPCs"]
                if not (
                    v["VPCId"] == vpc.get("VPCId") and v["VPCRegion"] == vpc.get("VPCRegion", v["VPCRegion"])
                )
            ]
            if len(remaining) == len(zone["VPCs"]):
                raise error(
                    "VPCAssociationNotFound",
                    f"The specified VPC {vpc.get('VPCId')} is not associated with the hosted zone {zone['Id']}.",
                )
            if not remaining:
                raise error(
                    "LastVPCAssociation",
                    "The VPC that you're trying to disassociate from the private hosted zone is the last VPC that is associated with the hosted zone. Amazon Route 53 doesn't support disassociating the last VPC from a hosted zone.",
                )
            zone["VPCs"] = remaining
            self.zones.put(scope, zone["Id"], zone)
            change = self.new_change(context, params.get("Comment"))
        return {"ChangeInfo": change}

    # -- record sets --------------------------------------------------------------------------

    def change_resource_record_sets(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        batch = params["ChangeBatch"]
        changes = batch["Changes"]
        # A batch holds at most 1,000 resource records, an UPSERT's counted twice (AWS's quota).
        weight = sum(
            len(change["ResourceRecordSet"].get("ResourceRecords") or ())
            * (2 if change["Action"] == "UPSERT" else 1)
            for change in changes
        )
        if len(changes) > 1000 or weight > 1000:
            raise error("InvalidChangeBatch", "Number of records limit of 1000 exceeded.")
        for change in changes:
            problem = rr.unsupported_character(change["ResourceRecordSet"]["Name"])
            if problem:
                raise error("InvalidChangeBatch", problem)
        with self.store.transaction():
            zone = self.zone(context, params["HostedZoneId"])
            # Every record set of the names the batch touches: the ones it changes, and the
            # ones a change may conflict with (a CNAME beside other types, mixed policies).
            current = {}
            names = {rr.canonical_name(c["ResourceRecordSet"]["Name"]) for c in changes}
            for name in names:
                prefix = f"{zone['Id']}|{rr.sort_key(name)}\x01"
                for key, value in self.records.scan(scope, prefix):
                    current[key.split("|", 1)[1]] = value
            checks = (
                {k for k, _ in self.health_checks.scan(scope)}
                if any(c["ResourceRecordSet"].get("HealthCheckId") for c in changes)
                else None
            )
            writes, problems = rr.apply_changes(zone["Name"], current, changes, checks)
            if self.protections.count(scope, zone["Id"] + "|"):
                for change in changes:
                    touched = rr.normalise(change["ResourceRecordSet"])
                    if self.protected(scope, zone["Id"], touched):
                        problems.append(
                            f"Tried to {change['Action'].lower()} resource record set {rr.describe(touched)} but it is "
                            "protected by a resource record set protection"
                        )
            for change in changes:
                cidr = change["ResourceRecordSet"].get("CidrRoutingConfig")
                if cidr and change["Action"] != "DELETE":
                    problem = self.check_cidr_location(scope, cidr)
                    if problem:
                        problems.append(problem)
            problems.extend(self._alias_problems(scope, zone, changes, writes))
            if problems:
                raise change_batch(problems)
            delta = 0
            for key, record in writes.items():
                full = f"{zone['Id']}|{key}"
                if record is None:
                    delta -= 1 if key in current else 0
                    self.records.delete(scope, full)
                else:
                    delta += 0 if key in current else 1
                    self.records.put(scope, full, record)
            if delta:
                zone["ResourceRecordSetCount"] += delta
                self.zones.put(scope, zone["Id"], zone)
            change_info = self.new_change(context, batch.get("Comment"))
            self.record_batch(context, zone, change_info, "ChangeResourceRecordSets", changes)
        for key, record in writes.items():
            if record is None:
                self.engine.delete(zone["Id"], current[key])
            else:
                if key in current and rr.record_key(current[key]) == key:
                    self.engine.delete(zone["Id"], current[key])
                self.engine.put(zone["Id"], record)
        if "acm" in self.runtime.providers:  # certificates waiting for these records
            self.runtime.provider("acm").records_changed()
        return {"ChangeInfo": change_info}

    def _alias_problems(
        self, scope: str, zone: dict[str, Any], changes: list[dict[str, Any]], writes: dict[str, Any]
    ) -> list[str]:
        """Alias records to a record set of one of the account's own zones must name a record
        set that exists (after this batch) within that zone, as Route 53 checks."""
        problems = []
        for change in changes:
            record = rr.normalise(change["ResourceRecordSet"])
            alias = record.get("AliasTarget")
            if change["Action"] == "DELETE" or not alias:
                continue
            target_zone = self.zones.get(scope, alias["HostedZoneId"])
            if target_zone is None:
                continue  # an AWS resource's zone (S3 website, CloudFront, ELB, API Gateway)
            target, rtype = alias["DNSName"], record["Type"]
            prefix = f"Tried to create an alias that targets {target}, type {rtype} in zone {alias['HostedZoneId']}"
            if not rr.in_zone(target, target_zone["Name"]):
                problems.append(f"{prefix}, but the alias target name does not lie within the target zone")
                continue
            wanted = rr.sort_key(target) + "\x01" + rtype + "\x01"
            written = (
                [k for k, v in writes.items() if k.startswith(wanted)]
                if target_zone["Id"] == zone["Id"]
                else []
            )
            if any(writes[k] is not None for k in written):
                continue
            stored = [
                k
                for k, _ in self.records.scan(scope, f"{target_zone['Id']}|{wanted}")
                if k.split("|", 1)[1] not in writes
            ]
            if not stored:
                problems.append(f"{prefix}, but that target was not found")
        return problems

    def list_resource_record_sets(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        zone = self.zone(context, params["HostedZoneId"])
        limit = max_items(params, 300)
        start_name = params.get("StartRecordName")
        start_type = params.get("StartRecordType")
        start_id = params.get("StartRecordIdentifier")
        if start_type and not start_name:
            raise invalid("The input is not valid")
        if start_name and rr.unsupported_character(start_name):
            raise invalid(rr.unsupported_character(start_name) or "")
        if start_type and start_type not in rr.TYPES:
            raise invalid(f"Invalid type: {start_type}")
        prefix = zone["Id"] + "|"
        after = None
        if start_name:
            after = prefix + rr.sort_key(rr.canonical_name(start_name)) + "\x01" + (start_type or "")
            if start_type and start_id:
                after += "\x01" + start_id
        rows = []
        # The listing starts at `after` itself: the scan's bound is exclusive, so it starts just
        # below it (no key lies between the two).
        start = None if after is None else after[:-1] + chr(ord(after[-1]) - 1) + "\U0010ffff"
        for _, record in self.records.scan(scope, prefix, start_after=start, limit=limit + 1):
            rows.append(record)
        out: dict[str, Any] = {
            "ResourceRecordSets": [self.record_output(r) for r in rows[:limit]],
            "IsTruncated": len(rows) > limit,
            "MaxItems": str(limit),
        }
        if len(rows) > limit:
            following = rows[limit]
            out["NextRecordName"] = rr.display_name(following["Name"])
            out["NextRecordType"] = following["Type"]
            if following.get("SetIdentifier"):
                out["NextRecordIdentifier"] = following["SetIdentifier"]
        return out

    @staticmethod
    def record_output(record: dict[str, Any]) -> dict[str, Any]:
        out = dict(record)
        out["Name"] = rr.display_name(record["Name"])
        return out

    def get_change(self, context: RequestContext, params: dict) -> dict:
        change_id = bare_id(params["Id"])
        info = self.changes.get(self.scope_of(context), change_id)
        if info is None:
            raise error("NoSuchChange", f"A change with the specified change ID does not exist: {change_id}")
        return {"ChangeInfo": self.change_output(info)}

    def test_dns_answer(self, context: RequestContext, params: dict) -> dict:
        import dns.rdata
        import dns.rdataclass
        import dns.rdatatype

        zone = self.zone(context, params["HostedZoneId"])
        engine_zone = self.engine.by_id.get(zone["Id"])
        name = rr.canonical_name(params["RecordName"])
        rtype = params["RecordType"]
        if rtype not in rr.TYPES:
            raise invalid(f"Invalid type: {rtype}")
        client = params.get("ResolverIP") or params.get("EDNS0ClientSubnetIP") or "127.0.0.1"
        try:
            ipaddress.ip_address(client)
        except ValueError:
            raise invalid(f"Invalid IP address: {client}") from None
        code = dns.rdatatype.from_text(rtype)
        answer = self.engine.resolve(name, code, client, engine_zone)
        values = [
            dns.rdata.from_wire(dns.rdataclass.IN, dns.rdatatype.RdataType(t), data, 0, len(data)).to_text()
            for owner, t, ttl, data in answer.answers
            if t == code or code == TYPE_ANY
        ]
        rcode = {0: "NOERROR", 3: "NXDOMAIN", 5: "REFUSED"}.get(answer.rcode, "SERVFAIL")
        return {
            "Nameserver": zone["NameServers"][0],
            "RecordName": params["RecordName"],
            "RecordType": rtype,
            "RecordData": values,
            "ResponseCode": rcode,
            "Protocol": "UDP",
        }
