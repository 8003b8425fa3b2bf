"""Amazon EC2 and VPC: an exact control plane (VPCs, subnets, gateways, route tables, network
ACLs, security groups, endpoints, peering, interfaces, Elastic IPs, key pairs, AMIs, instances,
launch templates, volumes, snapshots, placement groups), tags and filters on all of them, and the
instance metadata service (imds.py) for one instance at a time.

Every account+region has its default VPC from its first EC2 request. Resources live in table
"resources" (core.py explains the layout); the state of each account+region is held in memory
with the indexes filters use, written through on every change.

Other services (load balancers, Auto Scaling, RDS, Lambda in a VPC) read EC2 through the public
methods at the end of this class, never through its tables."""

from __future__ import annotations

import re
from typing import Any

from overcast.context import RequestContext
from overcast.services.base import HostRoute
from overcast.services.ec2 import catalog, core
from overcast.services.ec2.base import Ctx
from overcast.services.ec2.core import Record
from overcast.services.ec2.flowlogs import FlowLogMixin
from overcast.services.ec2.imds import ImdsMixin

IMDS_PATH = re.compile(r"^/_aws/imds/(?P<instance>i-[0-9a-f]+)(?P<path>/.*)?$")


class Provider(ImdsMixin, FlowLogMixin):
    service = "ec2"
    path_routes = (HostRoute(IMDS_PATH, "serve_imds"),)

    def create_vpc_companions(self, ctx: Ctx, vpc: Record) -> None:
        self._new_route_table(ctx, vpc, [], main=True)
        self.new_acl(ctx, vpc, [], default=True)
        self.new_default_group(ctx, vpc)

    # -- account, regions, zones -----------------------------------------------------------------

    def describe_regions(self, context: RequestContext, params: dict) -> dict:
        wanted = set(params.get("RegionNames") or ())
        regions = []
        for name, part in catalog.regions().items():
            if part != "aws" or (wanted and name not in wanted):
                continue
            regions.append(
                {
                    "Endpoint": f"ec2.{name}.amazonaws.com",
                    "RegionName": name,
                    "OptInStatus": "opt-in-not-required",
                }
            )
        unknown = wanted - {r["RegionName"] for r in regions}
        if unknown:
            raise core.invalid(
                f"Invalid region names: [{', '.join(sorted(unknown))}]", "InvalidParameterValue"
            )
        filters = core.compile_filters("_region", params.get("Filters"))
        return {"Regions": [r for r in regions if all(f(r) for f in filters)]}

    def describe_availability_zones(self, context: RequestContext, params: dict) -> dict:
        zones = list(catalog.zones(context.region))
        names = params.get("ZoneNames")
        ids = params.get("ZoneIds")
        if names:
            for name in names:
                if not any(z["ZoneName"] == name for z in zones):
                    raise core.invalid(f"The zone '{name}' does not exist.", "InvalidParameterValue")
            zones = [z for z in zones if z["ZoneName"] in names]
        if ids:
            zones = [z for z in zones if z["ZoneId"] in ids]
        filters = core.compile_filters("_zone", params.get("Filters"))
        return {"AvailabilityZones": [z for z in zones if all(f(z) for f in filters)]}

    def describe_account_attributes(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        vpc = self.default_vpc(ctx)
        attributes = {
            "supported-platforms": ["VPC"],
            "default-vpc": [vpc["VpcId"] if vpc else "none"],
            "max-instances": ["20"],
            "vpc-max-security-groups-per-interface": ["5"],
            "max-elastic-ips": ["5"],
            "vpc-max-elastic-ips": ["5"],
        }
        wanted = params.get("AttributeNames") or list(attributes)
        return {
            "AccountAttributes": [
                {"AttributeName": name, "AttributeValues": [{"AttributeValue": v} for v in attributes[name]]}
                for name in wanted
                if name in attributes
            ]
        }

    # -- instance types --------------------------------------------------------------------------

    def describe_instance_types(self, context: RequestContext, params: dict) -> dict:
        types = catalog.instance_types()
        wanted = params.get("InstanceTypes")
        if wanted:
            unknown = [t for t in wanted if t not in types]
            if unknown:
                raise core.invalid(
                    f"The following supplied instance types do not exist: [{', '.join(unknown)}]",
                    "InvalidInstanceType",
                )
            chosen = [types[t] for t in wanted]
        else:
            chosen = list(types.values())
        filters = core.compile_filters("_type", params.get("Filters"))
        chosen = [t for t in chosen if all(f(t) for f in filters)]
        chosen, token = core.page(chosen, params, "types", 5, 100)
        out: dict[str, Any] = {"InstanceTypes": chosen}
        if token:
            out["NextToken"] = token
        return out

    def describe_instance_type_offerings(self, context: RequestContext, params: dict) -> dict:
        location_type = params.get("LocationType") or "region"
        if location_type == "region":
            locations = [context.region]
        elif location_type == "availability-zone":
            locations = [z["ZoneName"] for z in catalog.zones(context.region)]
        elif location_type == "availability-zone-id":
            locations = [z["ZoneId"] for z in catalog.zones(context.region)]
        else:
            raise core.invalid(f"Value ({location_type}) for parameter locationType is invalid.")
        offerings = [
            {"InstanceType": name, "LocationType": location_type, "Location": location}
            for name in catalog.instance_types()
            for location in locations
        ]
        filters = core.compile_filters("_offering", params.get("Filters"))
        offerings = [o for o in offerings if all(f(o) for f in filters)]
        offerings, token = core.page(offerings, params, "offerings", 5, 1000)
        out: dict[str, Any] = {"InstanceTypeOfferings": offerings}
        if token:
            out["NextToken"] = token
        return out

    # -- tags ------------------------------------------------------------------------------------

    def _tagged(self, ctx: Ctx, ident: str) -> Record:
        prefix = ident.split("-", 1)[0]
        kind = core.KIND_OF_PREFIX.get(prefix)
        record = ctx.state.kind(kind).get(ident) if kind else None
        if record is None:
            if kind is None:
                raise core.invalid(f'Invalid id: "{ident}"', "InvalidID")
            raise core.not_found(kind, ident)
        return record

    @staticmethod
    def _tag_field(record: Record) -> str:
        return "TagSet" if record["_kind"] == "eni" else "Tags"

    def create_tags(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        resources = params.get("Resources") or []
        tags = params.get("Tags") or []
        for tag in tags:
            if tag.get("Key", "").startswith("aws:"):
                raise core.invalid("Tag keys starting with 'aws:' are reserved for internal use")
        records = [self._tagged(ctx, r) for r in resources]
        with self.store.transaction():
            for record in records:
                field = self._tag_field(record)
                current = {t["Key"]: t.get("Value", "") for t in record.get(field) or []}
                for tag in tags:
                    current[tag["Key"]] = tag.get("Value") or ""
                if len(current) > 50:
                    raise core.error("TagLimitExceeded", "The maximum number of Tags for a resource is 50.")
                record[field] = [{"Key": k, "Value": v} for k, v in current.items()]
                self.save(ctx, record)
        return {}

    def delete_tags(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        records = [self._tagged(ctx, r) for r in params.get("Resources") or []]
        with self.store.transaction():
            for record in records:
                field = self._tag_field(record)
                current = record.get(field) or []
                for tag in params.get("Tags") or [{}]:
                    if not tag:
                        current = []
                    elif "Value" in tag and tag["Value"] is not None:
                        current = [
                            t
                            for t in current
                            if not (t["Key"] == tag["Key"] and t.get("Value") == tag["Value"])
                        ]
                    else:
                        current = [t for t in current if t["Key"] != tag.get("Key")]
                record[field] = current
                self.save(ctx, record)
        return {}

    def describe_tags(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        found = []
        for kind, records in ctx.state.by_kind.items():
            resource_type = core.RESOURCE_TYPES.get(kind)
            if resource_type is None:
                continue
            for ident in sorted(records):
                for tag in core.tags_of(records[ident]):
                    found.append(
                        {
                            "Key": tag["Key"],
                            "ResourceId": ident,
                            "ResourceType": resource_type,
                            "Value": tag.get("Value", ""),
                        }
                    )
        filters = core.compile_filters("_tag", params.get("Filters"))
        found = [t for t in found if all(f(t) for f in filters)]
        found, token = core.page(found, params, "tags", 5, 1000)
        out: dict[str, Any] = {"Tags": found}
        if token:
            out["NextToken"] = token
        return out

    # -- for other services ----------------------------------------------------------------------

    def tag_as_system(self, account: str, region: str, ident: str, tags: list[dict[str, str]]) -> None:
        """Tag a resource on behalf of an AWS service (CloudFormation's aws:cloudformation:*
        tags), which may use the aws: prefix that callers may not."""
        ctx = self.ctx_of(account, region)
        record = self._tagged(ctx, ident)
        field = self._tag_field(record)
        current = {t["Key"]: t.get("Value", "") for t in record.get(field) or []}
        current.update({t["Key"]: str(t.get("Value", "")) for t in tags})
        record[field] = [{"Key": k, "Value": v} for k, v in current.items()]
        self.save(ctx, record)

    def find_subnet(self, account: str, region: str, subnet_id: str) -> dict[str, Any] | None:
        """A subnet as DescribeSubnets shows it, or None."""
        record = self.find(self.ctx_of(account, region), "subnet", subnet_id)
        return core.public(record) if record else None

    def find_vpc(self, account: str, region: str, vpc_id: str) -> dict[str, Any] | None:
        record = self.find(self.ctx_of(account, region), "vpc", vpc_id)
        return core.public(record) if record else None

    def find_instance(self, account: str, region: str, instance_id: str) -> dict[str, Any] | None:
        """An instance as DescribeInstances shows it, or None."""
        record = self.find(self.ctx_of(account, region), "i", instance_id)
        return self.show_instance(record) if record else None

    def find_security_group(self, account: str, region: str, group_id: str) -> dict[str, Any] | None:
        ctx = self.ctx_of(account, region)
        record = self.find(ctx, "sg", group_id)
        return self.show_group(ctx, record) if record else None

    def default_vpc_id(self, account: str, region: str) -> str | None:
        vpc = self.default_vpc(self.ctx_of(account, region))
        return vpc["VpcId"] if vpc else None


core.FILTERS["_region"] = {
    "endpoint": lambda r: r["Endpoint"],
    "opt-in-status": lambda r: r["OptInStatus"],
    "region-name": lambda r: r["RegionName"],
}
core.FILTERS["_zone"] = {
    "group-name": lambda z: z["GroupName"],
    "message": lambda z: [],
    "opt-in-status": lambda z: z["OptInStatus"],
    "region-name": lambda z: z["RegionName"],
    "state": lambda z: z["State"],
    "zone-id": lambda z: z["ZoneId"],
    "zone-name": lambda z: z["ZoneName"],
    "zone-type": lambda z: z["ZoneType"],
    "network-border-group": lambda z: z["NetworkBorderGroup"],
}
core.FILTERS["_type"] = {
    "instance-type": lambda t: t["InstanceType"],
    "current-generation": lambda t: t["CurrentGeneration"],
    "free-tier-eligible": lambda t: t["FreeTierEligible"],
    "burstable-performance-supported": lambda t: t["BurstablePerformanceSupported"],
    "bare-metal": lambda t: t["BareMetal"],
    "hypervisor": lambda t: t["Hypervisor"],
    "processor-info.supported-architecture": lambda t: t["ProcessorInfo"]["SupportedArchitectures"],
    "processor-info.manufacturer": lambda t: t["ProcessorInfo"]["Manufacturer"],
    "vcpu-info.default-vcpus": lambda t: t["VCpuInfo"]["DefaultVCpus"],
    "memory-info.size-in-mib": lambda t: t["MemoryInfo"]["SizeInMiB"],
    "instance-storage-supported": lambda t: t["InstanceStorageSupported"],
    "supported-usage-class": lambda t: t["SupportedUsageClasses"],
    "supported-root-device-type": lambda t: t["SupportedRootDeviceTypes"],
    "supported-virtualization-type": lambda t: t["SupportedVirtualizationTypes"],
    "network-info.ipv6-supported": lambda t: t["NetworkInfo"]["Ipv6Supported"],
    "network-info.ena-support": lambda t: t["NetworkInfo"]["EnaSupport"],
    "hibernation-supported": lambda t: t["HibernationSupported"],
    "nitro-enclaves-support": lambda t: t["NitroEnclavesSupport"],
}
core.FILTERS["_offering"] = {
    "instance-type": lambda o: o["InstanceType"],
    "location": lambda o: o["Location"],
}
core.FILTERS["_tag"] = {
    "key": lambda t: t["Key"],
    "resource-id": lambda t: t["ResourceId"],
    "resource-type": lambda t: t["ResourceType"],
    "value": lambda t: t["Value"],
}
