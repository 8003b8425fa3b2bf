"""Classic Elastic Load Balancing (elb): load balancers with their listeners, health check,
registered instances (their health from real probes of the instances' addresses),
attributes, policies, subnets, zones, security groups and tags. A control plane: classic
load balancers carry no traffic here (the application load balancer does, in elbv2).

Table "load_balancers", scoped by account and region, keyed by name."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import secrets
import time
from typing import Any

from overcast.common import pagination, tagging
from overcast.common.arns import parse_arn
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.base import BaseProvider
from overcast.services.elb import policies as catalogue
from overcast.services.elbv2.common import DNS_SUFFIX, hosted_zone
from overcast.store import scope as store_scope

NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$")
PROTOCOLS = ("HTTP", "HTTPS", "TCP", "SSL")
LAYER = {"HTTP": 7, "HTTPS": 7, "TCP": 4, "SSL": 4}
HEALTH_TARGET = re.compile(r"^(TCP|SSL|HTTP|HTTPS):(\d{1,5})(/.*)?$")
LIMITS = {"classic-load-balancers": 20, "classic-listeners": 100, "classic-registered-instances": 1000}
MAX_TAGS = 50
STICKINESS = {
    "AppCookieStickinessPolicyType": "AppCookieStickinessPolicies",
    "LBCookieStickinessPolicyType": "LBCookieStickinessPolicies",
}


def _error(code: str, message: str, status: int = 400) -> ServiceError:
    return ServiceError(code, message, status)


def _invalid(message: str) -> ServiceError:
    return ServiceError("ValidationError", message, 400)


def _not_found(name: str) -> ServiceError:
    return _error("LoadBalancerNotFound", f"The specified load balancer does not exist: {name}")


def _bad_config(message: str) -> ServiceError:
    return _error("InvalidConfigurationRequest", message, 409)


def _listener(given: dict[str, Any]) -> dict[str, Any]:
    protocol = str(given.get("Protocol") or "").upper()
    if protocol not in PROTOCOLS:
        raise _error(
            "UnsupportedProtocol",
            f"Protocol '{given.get('Protocol')}' is not supported; use HTTP, HTTPS, TCP or SSL",
        )
    instance_protocol = str(given.get("InstanceProtocol") or protocol).upper()
    if instance_protocol not in PROTOCOLS:
        raise _error(
            "UnsupportedProtocol", f"Instance protocol '{given.get('InstanceProtocol')}' is not supported"
        )
    if LAYER[instance_protocol] != LAYER[protocol]:
        raise _bad_config("The instance protocol must be at the same layer as the load balancer protocol")
    for key in ("LoadBalancerPort", "InstancePort"):
        if not 1 <= int(given[key]) <= 65535:
            raise _invalid(f"{key} must be between 1 and 65535")
    out = {
        "Protocol": protocol,
        "LoadBalancerPort": int(given["LoadBalancerPort"]),
        "InstanceProtocol": instance_protocol,
        "InstancePort": int(given["InstancePort"]),
    }
    if protocol in ("HTTPS", "SSL"):
        if not given.get("SSLCertificateId"):
            raise _invalid(f"An SSLCertificateId is required for {protocol} listeners")
        out["SSLCertificateId"] = given["SSLCertificateId"]
    return out


def _health_check(given: dict[str, Any]) -> dict[str, Any]:
    match = HEALTH_TARGET.match(given["Target"])
    if not match or not 1 <= int(match.group(2)) <= 65535:
        raise _invalid(f"Health check target '{given['Target']}' must be PROTOCOL:PORT[/PATH]")
    if match.group(1) in ("HTTP", "HTTPS") and not match.group(3):
        raise _invalid("An HTTP or HTTPS health check target must include a path")
    if match.group(1) in ("TCP", "SSL") and match.group(3):
        raise _invalid("A TCP or SSL health check target cannot include a path")
    if not 5 <= given["Interval"] <= 300:
        raise _invalid("Health check interval must be between 5 and 300 seconds")
    if not 2 <= given["Timeout"] <= 60:
        raise _invalid("Health check timeout must be between 2 and 60 seconds")
    if given["Timeout"] >= given["Interval"]:
        raise _invalid("Health check timeout must be smaller than the interval")
    for key in ("UnhealthyThreshold", "HealthyThreshold"):
        if not 2 <= given[key] <= 10:
            raise _invalid(f"{key} must be between 2 and 10")
    return {k: given[k] for k in ("Target", "Interval", "Timeout", "UnhealthyThreshold", "HealthyThreshold")}


def _description(row: dict[str, Any]) -> dict[str, Any]:
    policies = row["Policies"]
    grouped: dict[str, list] = {
        "AppCookieStickinessPolicies": [],
        "LBCookieStickinessPolicies": [],
        "OtherPolicies": [],
    }
    for policy in policies.values():
        kind = STICKINESS.get(policy["PolicyTypeName"])
        if kind == "AppCookieStickinessPolicies":
            grouped[kind].append(
                {"PolicyName": policy["PolicyName"], "CookieName": policy["Attributes"][0]["AttributeValue"]}
            )
        elif kind == "LBCookieStickinessPolicies":
            entry: dict[str, Any] = {"PolicyName": policy["PolicyName"]}
            if policy["Attributes"]:
                entry["CookieExpirationPeriod"] = int(policy["Attributes"][0]["AttributeValue"])
            grouped[kind].append(entry)
        else:
            grouped["OtherPolicies"].append(policy["PolicyName"])
    out = {
        "LoadBalancerName": row["LoadBalancerName"],
        "DNSName": row["DNSName"],
        "CanonicalHostedZoneNameID": row["CanonicalHostedZoneNameID"],
        "ListenerDescriptions": [
            {"Listener": entry["Listener"], "PolicyNames": list(entry["PolicyNames"])}
            for entry in row["Listeners"]
        ],
        "Policies": grouped,
        "BackendServerDescriptions": [
            {"InstancePort": int(port), "PolicyNames": names}
            for port, names in sorted(row["Backends"].items())
            if names
        ],
        "AvailabilityZones": list(row["AvailabilityZones"]),
        "Subnets": list(row["Subnets"]),
        "VPCId": row["VPCId"],
        "Instances": [{"InstanceId": i} for i in row["Instances"]],
        "HealthCheck": row["HealthCheck"],
        "SourceSecurityGroup": row["SourceSecurityGroup"],
        "SecurityGroups": list(row["SecurityGroups"]),
        "CreatedTime": row["Created"],
        "Scheme": row["Scheme"],
    }
    if row["Scheme"] == "internet-facing":
        out["CanonicalHostedZoneName"] = row["DNSName"]
    return out


def _default_attributes() -> dict[str, Any]:
    return {
        "CrossZoneLoadBalancing": {"Enabled": False},
        "AccessLog": {"Enabled": False},
        "ConnectionDraining": {"Enabled": False, "Timeout": 300},
        "ConnectionSettings": {"IdleTimeout": 60},
        "AdditionalAttributes": [{"Key": "elb.http.desyncmitigationmode", "Value": "defensive"}],
    }


class Provider(BaseProvider):
    service = "elb"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.lbs = self.store.table("elb", "load_balancers")
        self.tag_rules = tagging.TagRules(
            refuse=tagging.refusals(
                "ValidationError",
                {
                    tagging.TagProblem.TOO_MANY: (
                        "TooManyTags",
                        "The quota for the number of tags has been reached",
                    ),
                    tagging.TagProblem.DUPLICATE_KEY: (
                        "DuplicateTagKeys",
                        "A tag key was specified more than once",
                    ),
                },
                limit=MAX_TAGS,
            ),
            max_tags=MAX_TAGS,
        )

    @staticmethod
    def scope_of(context: RequestContext) -> str:
        return store_scope(context.account, context.region)

    def find(self, context: RequestContext, name: str) -> dict[str, Any]:
        row = self.lbs.get(self.scope_of(context), name) if name else None
        if row is None:
            raise _not_found(name)
        return row

    def save(self, context: RequestContext, row: dict[str, Any]) -> None:
        self.lbs.put(self.scope_of(context), row["LoadBalancerName"], row)

    # -- placement -------------------------------------------------------------------------------

    def _subnets(self, context: RequestContext, subnet_ids: list[str]) -> tuple[str, list[str], list[str]]:
        """(VPC id, subnets, zones) of the given subnets, checked."""
        ec2 = self.runtime.provider("ec2")
        vpc_id, zones = "", []
        for subnet_id in subnet_ids:
            subnet = ec2.find_subnet(context.account, context.region, subnet_id)
            if subnet is None:
                raise _error("SubnetNotFound", f"The subnet '{subnet_id}' does not exist")
            if vpc_id and subnet["VpcId"] != vpc_id:
                raise _error("InvalidSubnet", "The subnets must all belong to the same VPC")
            if subnet["AvailabilityZone"] in zones:
                raise _error("InvalidSubnet", "Only one subnet per Availability Zone can be attached")
            vpc_id = subnet["VpcId"]
            zones.append(subnet["AvailabilityZone"])
        return vpc_id, list(subnet_ids), zones

    def _zone_subnets(self, context: RequestContext, vpc_id: str, zones: list[str]) -> list[str]:
        """The subnets of a VPC in the given zones (the default subnet of each, for default VPCs)."""
        found = self.runtime.provider("ec2").describe_subnets(
            context,
            {
                "Filters": [
                    {"Name": "vpc-id", "Values": [vpc_id]},
                    {"Name": "availability-zone", "Values": zones},
                ]
            },
        )["Subnets"]
        by_zone: dict[str, str] = {}
        for subnet in sorted(found, key=lambda s: not s.get("DefaultForAz")):
            by_zone.setdefault(subnet["AvailabilityZone"], subnet["SubnetId"])
        missing = [z for z in zones if z not in by_zone]
        if missing:
            raise _invalid(f"The VPC has no subnet in Availability Zone '{missing[0]}'")
        return [by_zone[z] for z in zones]

    def _groups(self, context: RequestContext, vpc_id: str, groups: list[str] | None) -> list[dict[str, Any]]:
        ec2 = self.runtime.provider("ec2")
        if not groups:
            found = ec2.describe_security_groups(
                context,
                {
                    "Filters": [
                        {"Name": "vpc-id", "Values": [vpc_id]},
                        {"Name": "group-name", "Values": ["default"]},
                    ]
                },
            )["SecurityGroups"]
            return found[:1]
        out = []
        for group_id in groups:
            group = ec2.find_security_group(context.account, context.region, group_id)
            if group is None or group.get("VpcId") != vpc_id:
                raise _error("InvalidSecurityGroup", f"One or more security groups are invalid: {group_id}")
            out.append(group)
        return out

    def _check_certificate(self, context: RequestContext, arn: str) -> None:
        parsed = parse_arn(arn)
        if parsed is None or parsed.service not in ("acm", "iam"):
            raise _error("CertificateNotFound", f"Certificate '{arn}' not found")
        if parsed.service == "acm" and not self.runtime.provider("acm").certificate_exists(arn):
            raise _error("CertificateNotFound", f"Certificate '{arn}' not found")

    # -- load balancers ----------------------------------------------------------------------------

    def create_load_balancer(self, context: RequestContext, params: dict) -> dict:
        name = params["LoadBalancerName"]
        if not NAME.match(name):
            raise _invalid(
                f"LoadBalancerName '{name}' must contain only alphanumeric characters and hyphens, "
                "must not begin or end with a hyphen, and must be at most 32 characters long"
            )
        scheme = params.get("Scheme") or "internet-facing"
        if scheme not in ("internet-facing", "internal"):
            raise _error("InvalidScheme", f"Scheme '{scheme}' must be 'internet-facing' or 'internal'")
        listeners = [_listener(given) for given in params["Listeners"]]
        ports = [x["LoadBalancerPort"] for x in listeners]
        if len(set(ports)) != len(ports):
            raise _error("DuplicateListener", "Listeners cannot share a load balancer port")
        for listener in listeners:
            if listener.get("SSLCertificateId"):
                self._check_certificate(context, listener["SSLCertificateId"])
        if params.get("Subnets") and params.get("AvailabilityZones"):
            raise _invalid("Subnets and AvailabilityZones cannot be specified together")
        if params.get("Subnets"):
            vpc_id, subnets, zones = self._subnets(context, params["Subnets"])
        elif params.get("AvailabilityZones"):
            vpc_id = self.runtime.provider("ec2").default_vpc_id(context.account, context.region) or ""
            if not vpc_id:
                raise _invalid("There is no default VPC: specify subnets")
            zones = list(params["AvailabilityZones"])
            subnets = self._zone_subnets(context, vpc_id, zones)
        else:
            raise _invalid("Either AvailabilityZones or Subnets must be specified")
        groups = self._groups(context, vpc_id, params.get("SecurityGroups"))
        rules = (
            dataclasses.replace(self.tag_rules, reserved_prefix=None)
            if context.extra.get("internal")
            else self.tag_rules
        )
        tags = tagging.tag_map(params.get("Tags"), rules)
        scope = self.scope_of(context)
        with self.store.transaction():
            if self.lbs.get(scope, name) is not None:
                raise _error(
                    "DuplicateLoadBalancerName",
                    f"The specified load balancer name already exists for this account: {name}",
                )
            if self.lbs.count(scope) >= LIMITS["classic-load-balancers"]:
                raise _error("TooManyLoadBalancers", "Exceeded quota of account")
            prefix = "internal-" if scheme == "internal" else ""
            dns = (
                f"{prefix}{name}-{secrets.randbelow(9 * 10**9) + 10**9}.{context.region}.{DNS_SUFFIX}".lower()
            )
            row = {
                "LoadBalancerName": name,
                "DNSName": dns,
                "CanonicalHostedZoneNameID": hosted_zone(context.region, "classic"),
                "Listeners": [{"Listener": x, "PolicyNames": []} for x in listeners],
                "Policies": {},
                "Backends": {},
                "AvailabilityZones": zones,
                "Subnets": subnets,
                "VPCId": vpc_id,
                "Instances": [],
                "HealthCheck": {
                    "Target": f"TCP:{listeners[0]['InstancePort']}",
                    "Interval": 30,
                    "Timeout": 5,
                    "UnhealthyThreshold": 2,
                    "HealthyThreshold": 10,
                },
                "SourceSecurityGroup": {
                    "OwnerAlias": context.account,
                    "GroupName": groups[0]["GroupName"] if groups else "default",
                },
                "SecurityGroups": [g["GroupId"] for g in groups],
                "Created": time.time(),
                "Scheme": scheme,
                "Attributes": _default_attributes(),
                "Tags": tags,
            }
            self.save(context, row)
        return {"DNSName": dns}

    def describe_load_balancers(self, context: RequestContext, params: dict) -> dict:
        names = params.get("LoadBalancerNames")
        page_size = params.get("PageSize")
        if page_size is not None and not 1 <= page_size <= 400:
            raise _invalid("PageSize must be between 1 and 400")
        if names:
            rows = [self.find(context, n) for n in dict.fromkeys(names)]
        else:
            rows = [row for _, row in self.lbs.scan(self.scope_of(context))]
        return pagination.paginate_list(
            self.store,
            "elb",
            "DescribeLoadBalancers",
            params,
            [_description(r) for r in rows],
            bad_token=lambda: _invalid("Invalid Marker"),
            default_limit=400,
        )

    def delete_load_balancer(self, context: RequestContext, params: dict) -> dict:
        self.lbs.delete(self.scope_of(context), params["LoadBalancerName"])
        return {}

    # -- listeners ---------------------------------------------------------------------------------

    def create_load_balancer_listeners(self, context: RequestContext, params: dict) -> dict:
        listeners = [_listener(given) for given in params["Listeners"]]
        with self.store.transaction():
            row = self.find(context, params["LoadBalancerName"])
            for listener in listeners:
                if listener.get("SSLCertificateId"):
                    self._check_certificate(context, listener["SSLCertificateId"])
                same_port = [
                    x
                    for x in row["Listeners"]
                    if x["Listener"]["LoadBalancerPort"] == listener["LoadBalancerPort"]
                ]
                if same_port and same_port[0]["Listener"] != listener:
                    raise _error(
                        "DuplicateListener",
                        f"A listener already exists for {row['LoadBalancerName']} with LoadBalancerPort "
                        f"{listener['LoadBalancerPort']}, but with a different InstancePort, Protocol, or SSLCertificateId",
                    )
                if not same_port:
                    row["Listeners"].append({"Listener": listener, "PolicyNames": []})
            self.save(context, row)
        return {}

    def delete_load_balancer_listeners(self, context: RequestContext, params: dict) -> dict:
        ports = set(params["LoadBalancerPorts"])
        with self.store.transaction():
            row = self.find(context, params["LoadBalancerName"])
            row["Listeners"] = [x for x in row["Listeners"] if x["Listener"]["LoadBalancerPort"] not in ports]
            self.save(context, row)
        return {}

    def set_load_balancer_listener_ssl_certificate(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            row = self.find(context, params["LoadBalancerName"])
            entry = self._listener_at(row, params["LoadBalancerPort"])
            if entry["Listener"]["Protocol"] not in ("HTTPS", "SSL"):
                raise _bad_config("The listener is not an HTTPS or SSL listener")
            self._check_certificate(context, params["SSLCertificateId"])
            entry["Listener"]["SSLCertificateId"] = params["SSLCertificateId"]
            self.save(context, row)
        return {}

    @staticmethod
    def _listener_at(row: dict[str, Any], port: int) -> dict[str, Any]:
        for entry in row["Listeners"]:
            if entry["Listener"]["LoadBalancerPort"] == port:
                return entry
        raise _error(
            "ListenerNotFound",
            f"There is no listener on port {port} of load balancer '{row['LoadBalancerName']}'",
        )

    # -- health and instances ----------------------------------------------------------------------

    def configure_health_check(self, context: RequestContext, params: dict) -> dict:
        check = _health_check(params["HealthCheck"])
        with self.store.transaction():
            row = self.find(context, params["LoadBalancerName"])
            row["HealthCheck"] = check
            self.save(context, row)
        return {"HealthCheck": check}

    def _instances(self, context: RequestContext, given: list[dict[str, Any]]) -> list[str]:
        ec2 = self.runtime.provider("ec2")
        ids = [g.get("InstanceId") or "" for g in given]
        bad = [i for i in ids if ec2.find_instance(context.account, context.region, i) is None]
        if bad:
            raise _error("InvalidInstance", f"The requested instance(s) {', '.join(bad)} are not valid")
        return ids

    def register_instances_with_load_balancer(self, context: RequestContext, params: dict) -> dict:
        ids = self._instances(context, params["Instances"])
        with self.store.transaction():
            row = self.find(context, params["LoadBalancerName"])
            for instance_id in ids:
                if instance_id not in row["Instances"]:
                    row["Instances"].append(instance_id)
            if len(row["Instances"]) > LIMITS["classic-registered-instances"]:
                raise _error("TooManyLoadBalancers", "Exceeded quota of registered instances")
            self.save(context, row)
        return {"Instances": [{"InstanceId": i} for i in row["Instances"]]}

    def deregister_instances_from_load_balancer(self, context: RequestContext, params: dict) -> dict:
        ids = [g.get("InstanceId") or "" for g in params["Instances"]]
        with self.store.transaction():
            row = self.find(context, params["LoadBalancerName"])
            unknown = [i for i in ids if i not in row["Instances"]]
            if unknown:
                raise _error(
                    "InvalidInstance", f"The requested instance(s) {', '.join(unknown)} are not registered"
                )
            row["Instances"] = [i for i in row["Instances"] if i not in ids]
            self.save(context, row)
        return {"Instances": [{"InstanceId": i} for i in row["Instances"]]}

    async def describe_instance_health(self, context: RequestContext, params: dict) -> dict:
        row = self.find(context, params["LoadBalancerName"])
        wanted = [g.get("InstanceId") or "" for g in params.get("Instances") or []] or list(row["Instances"])
        states = await asyncio.gather(*(self._instance_state(context, row, i) for i in wanted))
        return {"InstanceStates": list(states)}

    async def _instance_state(
        self, context: RequestContext, row: dict[str, Any], instance_id: str
    ) -> dict[str, str]:
        """One instance's health, probed now as the health check says."""
        if instance_id not in row["Instances"]:
            raise _error("InvalidInstance", f"The requested instance(s) {instance_id} are not registered")
        instance = self.runtime.provider("ec2").find_instance(context.account, context.region, instance_id)
        state = (instance or {}).get("State", {}).get("Name", "terminated")
        out = {"InstanceId": instance_id}
        if state != "running":
            return {
                **out,
                "State": "OutOfService",
                "ReasonCode": "Instance",
                "Description": f"Instance is in {state} state.",
            }
        match = HEALTH_TARGET.match(row["HealthCheck"]["Target"])
        address = (instance or {}).get("PrivateIpAddress")
        if match is None or not address:
            return {
                **out,
                "State": "Unknown",
                "ReasonCode": "ELB",
                "Description": "A transient error occurred.",
            }
        timeout = min(float(row["HealthCheck"]["Timeout"]), 2.0)
        healthy = await _probe(address, int(match.group(2)), match.group(1), match.group(3) or "/", timeout)
        if healthy:
            return {**out, "State": "InService", "ReasonCode": "N/A", "Description": "N/A"}
        return {
            **out,
            "State": "OutOfService",
            "ReasonCode": "Instance",
            "Description": "Instance has failed at least the UnhealthyThreshold number of health checks consecutively.",
        }

    # -- placement operations ------------------------------------------------------------------------

    def attach_load_balancer_to_subnets(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            row = self.find(context, params["LoadBalancerName"])
            subnets = row["Subnets"] + [s for s in params["Subnets"] if s not in row["Subnets"]]
            vpc_id, subnets, zones = self._subnets(context, subnets)
            if vpc_id != row["VPCId"]:
                raise _error("InvalidSubnet", "The subnets must belong to the load balancer's VPC")
            row["Subnets"], row["AvailabilityZones"] = subnets, zones
            self.save(context, row)
        return {"Subnets": subnets}

    def detach_load_balancer_from_subnets(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            row = self.find(context, params["LoadBalancerName"])
            kept = [s for s in row["Subnets"] if s not in params["Subnets"]]
            if not kept:
                raise _bad_config("A load balancer must remain attached to at least one subnet")
            _, subnets, zones = self._subnets(context, kept)
            row["Subnets"], row["AvailabilityZones"] = subnets, zones
            self.save(context, row)
        return {"Subnets": subnets}

    def enable_availability_zones_for_load_balancer(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            row = self.find(context, params["LoadBalancerName"])
            added = [z for z in params["AvailabilityZones"] if z not in row["AvailabilityZones"]]
            if added:
                subnets = row["Subnets"] + self._zone_subnets(context, row["VPCId"], added)
                _, row["Subnets"], row["AvailabilityZones"] = self._subnets(context, subnets)
            self.save(context, row)
        return {"AvailabilityZones": list(row["AvailabilityZones"])}

    def disable_availability_zones_for_load_balancer(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            row = self.find(context, params["LoadBalancerName"])
            gone = set(params["AvailabilityZones"])
            kept = [
                (s, z)
                for s, z in zip(row["Subnets"], row["AvailabilityZones"], strict=False)
                if z not in gone
            ]
            if not kept:
                raise _bad_config("A load balancer must remain in at least one Availability Zone")
            row["Subnets"] = [s for s, _ in kept]
            row["AvailabilityZones"] = [z for _, z in kept]
            self.save(context, row)
        return {"AvailabilityZones": list(row["AvailabilityZones"])}

    def apply_security_groups_to_load_balancer(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            row = self.find(context, params["LoadBalancerName"])
            groups = self._groups(context, row["VPCId"], params["SecurityGroups"])
            row["SecurityGroups"] = [g["GroupId"] for g in groups]
            self.save(context, row)
        return {"SecurityGroups": list(row["SecurityGroups"])}

    # -- attributes --------------------------------------------------------------------------------

    def describe_load_balancer_attributes(self, context: RequestContext, params: dict) -> dict:
        return {"LoadBalancerAttributes": self.find(context, params["LoadBalancerName"])["Attributes"]}

    def modify_load_balancer_attributes(self, context: RequestContext, params: dict) -> dict:
        given = params["LoadBalancerAttributes"]
        with self.store.transaction():
            row = self.find(context, params["LoadBalancerName"])
            attributes = row["Attributes"]
            log = given.get("AccessLog")
            if log is not None:
                if log["Enabled"] and not log.get("S3BucketName"):
                    raise _invalid("An S3BucketName is required when access logs are enabled")
                if log.get("EmitInterval") is not None and log["EmitInterval"] not in (5, 60):
                    raise _invalid("EmitInterval must be 5 or 60")
                attributes["AccessLog"] = {
                    "Enabled": log["Enabled"],
                    **({"EmitInterval": log.get("EmitInterval", 60)} if log["Enabled"] else {}),
                    **{k: log[k] for k in ("S3BucketName", "S3BucketPrefix") if log.get(k) is not None},
                }
            draining = given.get("ConnectionDraining")
            if draining is not None:
                timeout = draining.get("Timeout", 300)
                if not 1 <= timeout <= 3600:
                    raise _invalid("ConnectionDraining Timeout must be between 1 and 3600 seconds")
                attributes["ConnectionDraining"] = {"Enabled": draining["Enabled"], "Timeout": timeout}
            settings = given.get("ConnectionSettings")
            if settings is not None:
                if not 1 <= settings["IdleTimeout"] <= 4000:
                    raise _invalid("IdleTimeout must be between 1 and 4000 seconds")
                attributes["ConnectionSettings"] = {"IdleTimeout": settings["IdleTimeout"]}
            if given.get("CrossZoneLoadBalancing") is not None:
                attributes["CrossZoneLoadBalancing"] = {"Enabled": given["CrossZoneLoadBalancing"]["Enabled"]}
            for extra in given.get("AdditionalAttributes") or []:
                if extra.get("Key") != "elb.http.desyncmitigationmode":
                    raise _error(
                        "LoadBalancerAttributeNotFound", f"Attribute '{extra.get('Key')}' is not recognized"
                    )
                if extra.get("Value") not in ("monitor", "defensive", "strictest"):
                    raise _invalid("elb.http.desyncmitigationmode must be monitor, defensive or strictest")
                attributes["AdditionalAttributes"] = [{"Key": extra["Key"], "Value": extra["Value"]}]
            self.save(context, row)
        return {"LoadBalancerName": row["LoadBalancerName"], "LoadBalancerAttributes": attributes}

    # -- policies ----------------------------------------------------------------------------------

    def describe_load_balancer_policy_types(self, context: RequestContext, params: dict) -> dict:
        names = params.get("PolicyTypeNames") or list(catalogue.POLICY_TYPES)
        missing = [n for n in names if n not in catalogue.POLICY_TYPES]
        if missing:
            raise _error(
                "PolicyTypeNotFound", f"One or more of the specified policy types do not exist: {missing[0]}"
            )
        return {
            "PolicyTypeDescriptions": [
                {"PolicyTypeName": n, **catalogue.POLICY_TYPES[n]} for n in dict.fromkeys(names)
            ]
        }

    def describe_load_balancer_policies(self, context: RequestContext, params: dict) -> dict:
        if params.get("LoadBalancerName"):
            row = self.find(context, params["LoadBalancerName"])
            known = {
                name: {
                    "PolicyName": name,
                    "PolicyTypeName": policy["PolicyTypeName"],
                    "PolicyAttributeDescriptions": policy["Attributes"],
                }
                for name, policy in row["Policies"].items()
            }
        else:
            known = {p["PolicyName"]: p for p in catalogue.predefined()}
        names = params.get("PolicyNames")
        if names:
            missing = [n for n in names if n not in known]
            if missing:
                raise _error("PolicyNotFound", f"There is no policy with name {missing[0]}")
            return {"PolicyDescriptions": [known[n] for n in dict.fromkeys(names)]}
        return {"PolicyDescriptions": list(known.values())}

    def _add_policy(
        self, context: RequestContext, name: str, policy: str, kind: str, attributes: list[dict]
    ) -> None:
        with self.store.transaction():
            row = self.find(context, name)
            if policy in row["Policies"]:
                raise _error("DuplicatePolicyName", f"Policy '{policy}' already exists")
            if len(row["Policies"]) >= 50:
                raise _error("TooManyPolicies", "Exceeded quota of policies")
            row["Policies"][policy] = {"PolicyName": policy, "PolicyTypeName": kind, "Attributes": attributes}
            self.save(context, row)

    def create_load_balancer_policy(self, context: RequestContext, params: dict) -> dict:
        kind = params["PolicyTypeName"]
        if kind not in catalogue.POLICY_TYPES:
            raise _error("PolicyTypeNotFound", f"There is no policy type named {kind}")
        attributes = [
            {"AttributeName": a.get("AttributeName") or "", "AttributeValue": a.get("AttributeValue") or ""}
            for a in params.get("PolicyAttributes") or []
        ]
        allowed = {
            a["AttributeName"] for a in catalogue.POLICY_TYPES[kind]["PolicyAttributeTypeDescriptions"]
        }
        unknown = [a["AttributeName"] for a in attributes if a["AttributeName"] not in allowed]
        if unknown:
            raise _bad_config(f"Attribute '{unknown[0]}' is not valid for policy type {kind}")
        if kind == "SSLNegotiationPolicyType":
            expanded = catalogue.expand_reference(attributes)
            if expanded is None:
                raise _bad_config("The referenced security policy does not exist")
            attributes = expanded
        self._add_policy(context, params["LoadBalancerName"], params["PolicyName"], kind, attributes)
        return {}

    def create_app_cookie_stickiness_policy(self, context: RequestContext, params: dict) -> dict:
        attributes = [{"AttributeName": "CookieName", "AttributeValue": params["CookieName"]}]
        self._add_policy(
            context,
            params["LoadBalancerName"],
            params["PolicyName"],
            "AppCookieStickinessPolicyType",
            attributes,
        )
        return {}

    def create_lb_cookie_stickiness_policy(self, context: RequestContext, params: dict) -> dict:
        period = params.get("CookieExpirationPeriod")
        attributes = (
            []
            if period is None
            else [{"AttributeName": "CookieExpirationPeriod", "AttributeValue": str(period)}]
        )
        self._add_policy(
            context,
            params["LoadBalancerName"],
            params["PolicyName"],
            "LBCookieStickinessPolicyType",
            attributes,
        )
        return {}

    def delete_load_balancer_policy(self, context: RequestContext, params: dict) -> dict:
        policy = params["PolicyName"]
        with self.store.transaction():
            row = self.find(context, params["LoadBalancerName"])
            used = any(policy in x["PolicyNames"] for x in row["Listeners"]) or any(
                policy in names for names in row["Backends"].values()
            )
            if used:
                raise _bad_config(
                    f"Cannot delete policy {policy}: it is in use by a listener or back-end server"
                )
            row["Policies"].pop(policy, None)
            self.save(context, row)
        return {}

    def _check_policies(self, row: dict[str, Any], names: list[str]) -> None:
        missing = [n for n in names if n not in row["Policies"]]
        if missing:
            raise _error(
                "PolicyNotFound",
                f"There is no policy with name {missing[0]} for load balancer {row['LoadBalancerName']}",
            )

    def set_load_balancer_policies_of_listener(self, context: RequestContext, params: dict) -> dict:
        names = list(params["PolicyNames"])
        with self.store.transaction():
            row = self.find(context, params["LoadBalancerName"])
            entry = self._listener_at(row, params["LoadBalancerPort"])
            self._check_policies(row, names)
            kinds = [row["Policies"][n]["PolicyTypeName"] for n in names]
            if any(k in STICKINESS for k in kinds) and entry["Listener"]["Protocol"] not in ("HTTP", "HTTPS"):
                raise _bad_config("Stickiness policies can only be set on HTTP and HTTPS listeners")
            if sum(1 for k in kinds if k in STICKINESS) > 1:
                raise _bad_config("A listener can have at most one stickiness policy")
            entry["PolicyNames"] = names
            self.save(context, row)
        return {}

    def set_load_balancer_policies_for_backend_server(self, context: RequestContext, params: dict) -> dict:
        names = list(params["PolicyNames"])
        with self.store.transaction():
            row = self.find(context, params["LoadBalancerName"])
            self._check_policies(row, names)
            row["Backends"][str(params["InstancePort"])] = names
            self.save(context, row)
        return {}

    # -- tags and account -----------------------------------------------------------------------------

    def add_tags(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            for name in params["LoadBalancerNames"]:
                row = self.find(context, name)
                row["Tags"] = tagging.add_tags(row["Tags"], params["Tags"], self.tag_rules)
                self.save(context, row)
        return {}

    def remove_tags(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            for name in params["LoadBalancerNames"]:
                row = self.find(context, name)
                row["Tags"] = tagging.remove_tags(row["Tags"], [t.get("Key") or "" for t in params["Tags"]])
                self.save(context, row)
        return {}

    def describe_tags(self, context: RequestContext, params: dict) -> dict:
        names = params["LoadBalancerNames"]
        if len(names) > 20:
            raise _invalid("At most 20 load balancer names can be specified")
        return {
            "TagDescriptions": [
                {"LoadBalancerName": name, "Tags": tagging.tag_list(self.find(context, name)["Tags"])}
                for name in names
            ]
        }

    def describe_account_limits(self, context: RequestContext, params: dict) -> dict:
        limits = [{"Name": name, "Max": str(value)} for name, value in LIMITS.items()]
        return pagination.paginate_list(
            self.store,
            "elb",
            "DescribeAccountLimits",
            params,
            limits,
            bad_token=lambda: _invalid("Invalid Marker"),
            default_limit=400,
        )

    # -- for other services ----------------------------------------------------------------------------

    def register_instances(self, account: str, region: str, name: str, instance_ids: list[str]) -> None:
        """Register instances with a classic load balancer (Auto Scaling's); ServiceError as
        RegisterInstancesWithLoadBalancer answers."""
        self.register_instances_with_load_balancer(
            RequestContext.internal("elb", account, region),
            {"LoadBalancerName": name, "Instances": [{"InstanceId": i} for i in instance_ids]},
        )

    def deregister_instances(self, account: str, region: str, name: str, instance_ids: list[str]) -> None:
        """Deregister instances from a classic load balancer; ones not registered are skipped."""
        row = self.lbs.get(store_scope(account, region), name)
        present = [i for i in instance_ids if row and i in row["Instances"]]
        if present:
            self.deregister_instances_from_load_balancer(
                RequestContext.internal("elb", account, region),
                {"LoadBalancerName": name, "Instances": [{"InstanceId": i} for i in present]},
            )


async def _probe(host: str, port: int, protocol: str, path: str, timeout: float) -> bool:
    import ssl

    tls = ssl._create_unverified_context() if protocol in ("SSL", "HTTPS") else None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=tls), timeout)
    except (TimeoutError, OSError):
        return False
    try:
        if protocol in ("TCP", "SSL"):
            return True
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        line = await asyncio.wait_for(reader.readline(), timeout)
        parts = line.split()
        return len(parts) > 1 and parts[1] == b"200"
    except (TimeoutError, OSError):
        return False
    finally:
        writer.close()
