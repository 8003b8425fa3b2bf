"""Load balancers: application, network and gateway; their subnets and zones, security
groups, address type, DNS name, state and attributes."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.services.elbv2 import common as c

if TYPE_CHECKING:
    from overcast.services.elbv2.provider import Provider

#: How long a new load balancer stays "provisioning" before it is "active".
PROVISIONING_SECONDS = 1.0
SCHEMES = ("internet-facing", "internal")


def lb_output(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k not in ("Attributes", "Tags", "Capacity")}
    state = "active" if time.time() - row["Created"] >= PROVISIONING_SECONDS else "provisioning"
    out["State"] = {"Code": state}
    out["CreatedTime"] = row["Created"]
    del out["Created"]
    return out


class BalancerMixin:
    # -- lookups -----------------------------------------------------------------------------

    def find_lb(self: Provider, context: RequestContext, arn: str) -> dict[str, Any]:  # type: ignore[misc]
        row = self.lbs.get(self.scope_of(context), arn) if c.resource_of(arn, "loadbalancer") else None
        if row is None:
            raise c.lb_not_found()
        return row

    def all_lbs(self: Provider, context: RequestContext) -> list[dict[str, Any]]:  # type: ignore[misc]
        return [row for _, row in self.lbs.scan(self.scope_of(context))]

    # -- subnets and groups ------------------------------------------------------------------

    def _zones(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        lb_type: str,
        subnets: list[str] | None,
        mappings: list[dict] | None,
    ) -> tuple[str, list[dict[str, Any]]]:
        """(VPC id, AvailabilityZones) of the subnets a load balancer is placed in."""
        if subnets and mappings:
            raise c.invalid("You can specify subnets or subnet mappings, not both")
        given = [{"SubnetId": s} for s in subnets or []] or list(mappings or [])
        if not given:
            raise c.invalid("At least one subnet must be specified")
        ec2 = self.runtime.provider("ec2")
        vpc_id = ""
        zones: list[dict[str, Any]] = []
        for mapping in given:
            subnet = ec2.find_subnet(context.account, context.region, mapping.get("SubnetId") or "")
            if subnet is None:
                raise c.error("SubnetNotFound", f"The subnet ID '{mapping.get('SubnetId')}' is not valid")
            if vpc_id and subnet["VpcId"] != vpc_id:
                raise c.error("InvalidSubnet", "The subnets must belong to the same VPC")
            vpc_id = subnet["VpcId"]
            if any(z["ZoneName"] == subnet["AvailabilityZone"] for z in zones):
                raise c.error(
                    "InvalidConfigurationRequest",
                    "You cannot specify multiple subnets in the same Availability Zone",
                )
            addresses = []
            if mapping.get("AllocationId") or mapping.get("PrivateIPv4Address"):
                if lb_type != "network":
                    raise c.invalid(
                        "Elastic IP addresses and private IPv4 addresses can only be set on network load balancers"
                    )
                address = {k: mapping[k] for k in ("AllocationId", "PrivateIPv4Address") if mapping.get(k)}
                addresses.append(address)
            zones.append(
                {
                    "ZoneName": subnet["AvailabilityZone"],
                    "SubnetId": subnet["SubnetId"],
                    "LoadBalancerAddresses": addresses,
                }
            )
        if lb_type == "application" and len(zones) < 2:
            raise c.invalid("At least two subnets in two different Availability Zones must be specified")
        return vpc_id, zones

    def _groups(  # type: ignore[misc]
        self: Provider, context: RequestContext, vpc_id: str, groups: list[str] | None
    ) -> list[str]:
        ec2 = self.runtime.provider("ec2")
        for group_id in groups or []:
            group = ec2.find_security_group(context.account, context.region, group_id)
            if group is None or group.get("VpcId") != vpc_id:
                raise c.error("InvalidSecurityGroup", f"Security group '{group_id}' does not exist")
        return list(groups or [])

    def _default_group(self: Provider, context: RequestContext, vpc_id: str) -> list[str]:  # type: ignore[misc]
        found = self.runtime.provider("ec2").describe_security_groups(
            context,
            {
                "Filters": [
                    {"Name": "vpc-id", "Values": [vpc_id]},
                    {"Name": "group-name", "Values": ["default"]},
                ]
            },
        )
        return [g["GroupId"] for g in found.get("SecurityGroups", [])[:1]]

    # -- operations --------------------------------------------------------------------------

    def create_load_balancer(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["Name"]
        if not c.NAME.match(name):
            raise c.invalid(
                f"Load balancer name '{name}' can contain only alphanumeric characters and hyphens, "
                "must not begin or end with a hyphen, and must be at most 32 characters long"
            )
        if name.lower().startswith("internal-"):
            raise c.invalid("Load balancer name cannot begin with 'internal-'")
        lb_type = params.get("Type") or "application"
        scheme = params.get("Scheme") or "internet-facing"
        address_type = params.get("IpAddressType") or "ipv4"
        if lb_type == "gateway" and params.get("SecurityGroups"):
            raise c.invalid("Security groups are not supported for load balancers with type 'gateway'")
        if lb_type == "gateway" and params.get("Scheme"):
            raise c.invalid("Scheme is not supported for load balancers with type 'gateway'")
        vpc_id, zones = self._zones(context, lb_type, params.get("Subnets"), params.get("SubnetMappings"))
        groups = self._groups(context, vpc_id, params.get("SecurityGroups"))
        if lb_type == "application" and not groups:
            groups = self._default_group(context, vpc_id)
        tags = self.tags_of(context, params.get("Tags"))
        scope = self.scope_of(context)
        with self.store.transaction():
            for existing in self.all_lbs(context):
                if existing["LoadBalancerName"] != name:
                    continue
                same = (
                    existing["Type"] == lb_type
                    and existing.get("Scheme") == (None if lb_type == "gateway" else scheme)
                    and sorted(z["SubnetId"] for z in existing["AvailabilityZones"])
                    == sorted(z["SubnetId"] for z in zones)
                )
                if not same:
                    raise c.error(
                        "DuplicateLoadBalancerName", f"A load balancer with the name '{name}' already exists"
                    )
                return {"LoadBalancers": [lb_output(existing)]}
            if len(self.all_lbs(context)) >= self.limit("application-load-balancers"):
                raise c.error(
                    "TooManyLoadBalancers", "The quota for the number of load balancers has been reached"
                )
            lb_id = c.new_id()
            short = c.TYPE_SHORT[lb_type]
            arn = c.arn(context.region, context.account, f"loadbalancer/{short}/{name}/{lb_id}")
            prefix = "internal-" if scheme == "internal" and lb_type != "gateway" else ""
            dns = f"{prefix}{name}-{int(lb_id[:8], 16)}.{context.region}.{c.DNS_SUFFIX}".lower()
            row: dict[str, Any] = {
                "LoadBalancerArn": arn,
                "DNSName": dns,
                "CanonicalHostedZoneId": c.hosted_zone(context.region, lb_type),
                "Created": time.time(),
                "LoadBalancerName": name,
                "VpcId": vpc_id,
                "Type": lb_type,
                "AvailabilityZones": zones,
                "IpAddressType": address_type,
                "Attributes": dict(c.LB_ATTRIBUTES[lb_type]),
                "Tags": tags,
            }
            if lb_type != "gateway":
                row["Scheme"] = scheme
            if groups or (lb_type == "network" and params.get("SecurityGroups") is not None):
                row["SecurityGroups"] = groups
            self.lbs.put(scope, arn, row)
        self.changed()
        return {"LoadBalancers": [lb_output(row)]}

    def describe_load_balancers(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arns, names = params.get("LoadBalancerArns"), params.get("Names")
        if arns and names:
            raise c.invalid("Load balancer names and load balancer ARNs cannot be specified at the same time")
        rows = sorted(self.all_lbs(context), key=lambda r: r["Created"])
        if arns:
            by_arn = {r["LoadBalancerArn"]: r for r in rows}
            if any(a not in by_arn for a in arns):
                raise c.lb_not_found()
            rows = [by_arn[a] for a in dict.fromkeys(arns)]
        elif names:
            by_name = {r["LoadBalancerName"]: r for r in rows}
            if any(n not in by_name for n in names):
                raise c.error(
                    "LoadBalancerNotFound",
                    f"Load balancers '{[n for n in names if n not in by_name]}' not found",
                )
            rows = [by_name[n] for n in dict.fromkeys(names)]
        return self.page("DescribeLoadBalancers", params, [lb_output(r) for r in rows])

    def delete_load_balancer(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = params["LoadBalancerArn"]
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self.lbs.get(scope, arn) if c.resource_of(arn, "loadbalancer") else None
            if row is None:
                return {}
            if row["Attributes"].get("deletion_protection.enabled") == "true":
                raise c.error(
                    "OperationNotPermitted",
                    f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled",
                )
            actions = []
            for listener in self.listeners_of(context, arn):
                actions += [
                    a for rule in self.rules_of(scope, listener["ListenerArn"]) for a in rule["Actions"]
                ]
                self.drop_listener(scope, listener)
            self.lbs.delete(scope, arn)
        self.changed()
        self.watch_forwarded(scope, actions)  # its target groups may no longer be in use
        return {}

    def set_security_groups(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self.find_lb(context, params["LoadBalancerArn"])
            if row["Type"] == "gateway":
                raise c.invalid("Security groups are not supported for load balancers with type 'gateway'")
            if row["Type"] == "network" and "SecurityGroups" not in row:
                raise c.invalid(
                    "You cannot set security groups on a Network Load Balancer which was created without any"
                )
            groups = self._groups(context, row["VpcId"], params["SecurityGroups"])
            if row["Type"] == "application" and not groups:
                raise c.invalid("At least one security group must be specified")
            row["SecurityGroups"] = groups
            self.lbs.put(self.scope_of(context), row["LoadBalancerArn"], row)
        out: dict[str, Any] = {"SecurityGroupIds": groups}
        if params.get("EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic"):
            out["EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic"] = params[
                "EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic"
            ]
        return out

    def set_subnets(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self.find_lb(context, params["LoadBalancerArn"])
            vpc_id, zones = self._zones(
                context, row["Type"], params.get("Subnets"), params.get("SubnetMappings")
            )
            if vpc_id != row["VpcId"]:
                raise c.error("InvalidSubnet", "The subnets must belong to the load balancer's VPC")
            row["AvailabilityZones"] = zones
            if params.get("IpAddressType"):
                row["IpAddressType"] = params["IpAddressType"]
            self.lbs.put(self.scope_of(context), row["LoadBalancerArn"], row)
        return {"AvailabilityZones": zones, "IpAddressType": row["IpAddressType"]}

    def set_ip_address_type(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        kind = params["IpAddressType"]
        with self.store.transaction():
            row = self.find_lb(context, params["LoadBalancerArn"])
            if kind == "dualstack-without-public-ipv4" and row["Type"] != "application":
                raise c.invalid(
                    "IP address type 'dualstack-without-public-ipv4' is only supported by application load balancers"
                )
            if kind == "dualstack-without-public-ipv4" and row.get("Scheme") == "internal":
                raise c.invalid("Internal load balancers cannot be 'dualstack-without-public-ipv4'")
            row["IpAddressType"] = kind
            self.lbs.put(self.scope_of(context), row["LoadBalancerArn"], row)
        return {"IpAddressType": kind}

    def describe_load_balancer_attributes(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self.find_lb(context, params["LoadBalancerArn"])
        return {"Attributes": c.attribute_list(row["Attributes"])}

    def modify_load_balancer_attributes(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self.find_lb(context, params["LoadBalancerArn"])
            changes = c.check_attributes(params["Attributes"], c.LB_ATTRIBUTES[row["Type"]], "Load balancer")
            for kind in ("access_logs", "connection_logs", "health_check_logs"):
                merged = {**row["Attributes"], **changes}
                if merged.get(f"{kind}.s3.enabled") == "true" and not merged.get(f"{kind}.s3.bucket"):
                    raise c.invalid(
                        f"The value of '{kind}.s3.bucket' cannot be empty when '{kind}.s3.enabled' is true"
                    )
            row["Attributes"].update(changes)
            self.lbs.put(self.scope_of(context), row["LoadBalancerArn"], row)
        self.changed()
        return {"Attributes": c.attribute_list(row["Attributes"])}

    def describe_capacity_reservation(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self.find_lb(context, params["LoadBalancerArn"])
        return self._capacity_output(row)

    def modify_capacity_reservation(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        reset, wanted = params.get("ResetCapacityReservation"), params.get("MinimumLoadBalancerCapacity")
        if bool(reset) == bool(wanted):
            raise c.invalid("Specify either MinimumLoadBalancerCapacity or ResetCapacityReservation")
        with self.store.transaction():
            row = self.find_lb(context, params["LoadBalancerArn"])
            if row["Type"] == "gateway":
                raise c.error(
                    "OperationNotPermitted",
                    "Capacity reservations are not supported for gateway load balancers",
                )
            capacity = dict(row.get("Capacity") or {"DecreaseRequestsRemaining": 4})
            old = (capacity.get("MinimumLoadBalancerCapacity") or {}).get("CapacityUnits", 0)
            units = 0 if reset or not wanted else int(wanted["CapacityUnits"])
            if units and units < 100:
                raise c.error("CapacityUnitsLimitExceeded", "The minimum capacity is 100 units")
            if units < old:
                if capacity["DecreaseRequestsRemaining"] <= 0:
                    raise c.error(
                        "CapacityDecreaseRequestsLimitExceeded", "No capacity decrease requests remain today"
                    )
                capacity["DecreaseRequestsRemaining"] -= 1
            capacity["MinimumLoadBalancerCapacity"] = {"CapacityUnits": units} if units else None
            capacity["LastModifiedTime"] = time.time()
            row["Capacity"] = capacity
            self.lbs.put(self.scope_of(context), row["LoadBalancerArn"], row)
        return self._capacity_output(row)

    @staticmethod
    def _capacity_output(row: dict[str, Any]) -> dict[str, Any]:
        capacity = row.get("Capacity") or {}
        out: dict[str, Any] = {"DecreaseRequestsRemaining": capacity.get("DecreaseRequestsRemaining", 4)}
        if capacity.get("LastModifiedTime"):
            out["LastModifiedTime"] = capacity["LastModifiedTime"]
        units = (capacity.get("MinimumLoadBalancerCapacity") or {}).get("CapacityUnits")
        if units:
            out["MinimumLoadBalancerCapacity"] = {"CapacityUnits": units}
        share = (units or 0) / max(len(row["AvailabilityZones"]), 1)
        out["CapacityReservationState"] = [
            {
                "State": {"Code": "provisioned"},
                "AvailabilityZone": z["ZoneName"],
                "EffectiveCapacityUnits": share,
            }
            for z in row["AvailabilityZones"]
        ]
        return out
