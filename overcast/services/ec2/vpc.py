"""VPCs, subnets (and the private addresses allocated in them), DHCP options, and each
account+region's default VPC, created on its first EC2 request: 172.31.0.0/16, a default subnet
per availability zone, its main route table, default network ACL and security group."""

from __future__ import annotations

import ipaddress
from typing import Any

from overcast.context import RequestContext
from overcast.services.ec2 import catalog, core
from overcast.services.ec2.base import Ctx, Ec2Base
from overcast.services.ec2.core import FILTERS, Record

DEFAULT_CIDR = "172.31.0.0/16"
#: AWS keeps the first four addresses of a subnet and its last one.
RESERVED = 5


def network(cidr: str, name: str = "cidrBlock") -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        raise core.invalid(
            f"Value ({cidr}) for parameter {name} is invalid. This is not a valid CIDR block."
        ) from None


def normal_cidr(cidr: str) -> str:
    return str(network(cidr))


def _cidrs(vpc: Record) -> list[str]:
    return [
        a["CidrBlock"]
        for a in vpc.get("CidrBlockAssociationSet", ())
        if a["CidrBlockState"]["State"] == "associated"
    ]


def _ipv6(vpc: Record) -> list[str]:
    return [
        a["Ipv6CidrBlock"]
        for a in vpc.get("Ipv6CidrBlockAssociationSet", ())
        if a["Ipv6CidrBlockState"]["State"] == "associated"
    ]


FILTERS["vpc"] = {
    "cidr": lambda r: r["CidrBlock"],
    "cidr-block-association.cidr-block": lambda r: [a["CidrBlock"] for a in r["CidrBlockAssociationSet"]],
    "cidr-block-association.association-id": lambda r: [
        a["AssociationId"] for a in r["CidrBlockAssociationSet"]
    ],
    "cidr-block-association.state": lambda r: [
        a["CidrBlockState"]["State"] for a in r["CidrBlockAssociationSet"]
    ],
    "dhcp-options-id": lambda r: r.get("DhcpOptionsId"),
    "ipv6-cidr-block-association.ipv6-cidr-block": lambda r: [
        a["Ipv6CidrBlock"] for a in r.get("Ipv6CidrBlockAssociationSet", ())
    ],
    "ipv6-cidr-block-association.ipv6-pool": lambda r: [
        a.get("Ipv6Pool") for a in r.get("Ipv6CidrBlockAssociationSet", ())
    ],
    "ipv6-cidr-block-association.association-id": lambda r: [
        a["AssociationId"] for a in r.get("Ipv6CidrBlockAssociationSet", ())
    ],
    "ipv6-cidr-block-association.state": lambda r: [
        a["Ipv6CidrBlockState"]["State"] for a in r.get("Ipv6CidrBlockAssociationSet", ())
    ],
    "is-default": lambda r: r["IsDefault"],
    "owner-id": lambda r: r["OwnerId"],
    "state": lambda r: r["State"],
    "vpc-id": lambda r: r["VpcId"],
}

FILTERS["subnet"] = {
    "availability-zone": lambda r: r["AvailabilityZone"],
    "availabilityZone": lambda r: r["AvailabilityZone"],
    "availability-zone-id": lambda r: r["AvailabilityZoneId"],
    "availabilityZoneId": lambda r: r["AvailabilityZoneId"],
    "available-ip-address-count": lambda r: r["AvailableIpAddressCount"],
    "cidr-block": lambda r: r["CidrBlock"],
    "cidr": lambda r: r["CidrBlock"],
    "cidrBlock": lambda r: r["CidrBlock"],
    "default-for-az": lambda r: r["DefaultForAz"],
    "defaultForAz": lambda r: r["DefaultForAz"],
    "ipv6-cidr-block-association.ipv6-cidr-block": lambda r: [
        a["Ipv6CidrBlock"] for a in r.get("Ipv6CidrBlockAssociationSet", ())
    ],
    "ipv6-cidr-block-association.association-id": lambda r: [
        a["AssociationId"] for a in r.get("Ipv6CidrBlockAssociationSet", ())
    ],
    "ipv6-cidr-block-association.state": lambda r: [
        a["Ipv6CidrBlockState"]["State"] for a in r.get("Ipv6CidrBlockAssociationSet", ())
    ],
    "ipv6-native": lambda r: r.get("Ipv6Native", False),
    "map-public-ip-on-launch": lambda r: r["MapPublicIpOnLaunch"],
    "owner-id": lambda r: r["OwnerId"],
    "state": lambda r: r["State"],
    "subnet-arn": lambda r: r["SubnetArn"],
    "subnet-id": lambda r: r["SubnetId"],
    "vpc-id": lambda r: r["VpcId"],
}

FILTERS["dopt"] = {
    "dhcp-options-id": lambda r: r["DhcpOptionsId"],
    "key": lambda r: [c["Key"] for c in r["DhcpConfigurations"]],
    "value": lambda r: [v["Value"] for c in r["DhcpConfigurations"] for v in c["Values"]],
    "owner-id": lambda r: r["OwnerId"],
}


class VpcMixin(Ec2Base):
    # -- the default VPC -------------------------------------------------------------------------

    def create_defaults(self, ctx: Ctx) -> None:
        dopt = self._new_dhcp_options(ctx, self._default_dhcp(ctx.region), [])
        vpc = self._new_vpc(ctx, DEFAULT_CIDR, [], is_default=True, dhcp=dopt["DhcpOptionsId"])
        base = ipaddress.ip_network(DEFAULT_CIDR)
        blocks = list(base.subnets(new_prefix=20))
        for index, zone in enumerate(catalog.zones(ctx.region)):
            self._new_subnet(
                ctx, vpc, str(blocks[index]), zone["ZoneName"], [], default_for_az=True, public_ip=True
            )
        self.create_default_igw(ctx, vpc)

    def create_default_igw(self, ctx: Ctx, vpc: Record) -> None:
        """The default VPC's internet gateway and the main route table's route to it (gateways.py)."""

    def default_vpc(self, ctx: Ctx) -> Record | None:
        for vpc in ctx.state.kind("vpc").values():
            if vpc["IsDefault"]:
                return vpc
        return None

    @staticmethod
    def _default_dhcp(region: str) -> list[dict[str, Any]]:
        domain = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
        return [
            {"Key": "domain-name", "Values": [{"Value": domain}]},
            {"Key": "domain-name-servers", "Values": [{"Value": "AmazonProvidedDNS"}]},
        ]

    # -- VPCs ------------------------------------------------------------------------------------

    def _new_vpc(
        self,
        ctx: Ctx,
        cidr: str,
        tags: list,
        is_default: bool = False,
        dhcp: str | None = None,
        tenancy: str = "default",
        ipv6: bool = False,
    ) -> Record:
        vpc_id = core.new_id("vpc")
        if dhcp is None:
            found = next((d for d in ctx.state.kind("dopt").values() if d.get("_default")), None)
            dhcp = found["DhcpOptionsId"] if found else "default"
        vpc: Record = {
            "OwnerId": ctx.account,
            "InstanceTenancy": tenancy,
            "CidrBlockAssociationSet": [
                {
                    "AssociationId": core.new_id("vpc-cidr-assoc"),
                    "CidrBlock": cidr,
                    "CidrBlockState": {"State": "associated"},
                }
            ],
            "IsDefault": is_default,
            "VpcId": vpc_id,
            "State": "available",
            "CidrBlock": cidr,
            "DhcpOptionsId": dhcp,
            "BlockPublicAccessStates": {"InternetGatewayBlockMode": "off"},
            "_attributes": {
                "enableDnsSupport": True,
                "enableDnsHostnames": is_default,
                "enableNetworkAddressUsageMetrics": False,
            },
        }
        if ipv6:
            vpc["Ipv6CidrBlockAssociationSet"] = [self._amazon_ipv6(ctx)]
        self.new(ctx, "vpc", vpc_id, vpc, tags)
        self.create_vpc_companions(ctx, vpc)
        return vpc

    def create_vpc_companions(self, ctx: Ctx, vpc: Record) -> None:
        """A new VPC's main route table, default network ACL and default security group."""

    @staticmethod
    def _amazon_ipv6(ctx: Ctx) -> dict[str, Any]:
        block = f"2600:1f18:{core.secrets.randbelow(0xFFFF):x}:{core.secrets.randbelow(0xFF):x}00::/56"
        return {
            "AssociationId": core.new_id("vpc-cidr-assoc"),
            "Ipv6CidrBlock": block,
            "Ipv6CidrBlockState": {"State": "associated"},
            "NetworkBorderGroup": ctx.region,
            "Ipv6Pool": "Amazon",
        }

    def create_vpc(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        cidr = params.get("CidrBlock")
        if not cidr:
            if params.get("Ipv4IpamPoolId"):
                raise core.invalid("The IPAM pool is not found.", "InvalidIpamPoolId.NotFound")
            raise core.missing("CidrBlock")
        block = network(cidr)
        if block.version != 4 or not 16 <= block.prefixlen <= 28:
            raise core.invalid(f"The CIDR '{cidr}' is invalid.", "InvalidVpc.Range")
        self.check_tag_types(params, ["vpc"])
        tenancy = params.get("InstanceTenancy") or "default"
        with self.store.transaction():
            vpc = self._new_vpc(
                ctx,
                str(block),
                self.tag_specs(params, "vpc"),
                tenancy=tenancy,
                ipv6=bool(params.get("AmazonProvidedIpv6CidrBlock")),
            )
        shown = core.public(vpc)
        shown["State"] = "pending"
        return {"Vpc": shown}

    def describe_vpcs(self, context: RequestContext, params: dict) -> dict:
        return self.listing(self.ctx(context), "vpc", params, "VpcIds", "Vpcs")

    def delete_vpc(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        vpc = self.get(ctx, "vpc", params.get("VpcId"), "VpcId")
        vpc_id = vpc["VpcId"]
        blockers = (
            [s for s in ctx.state.kind("subnet").values() if s["VpcId"] == vpc_id]
            + [
                g
                for g in ctx.state.kind("igw").values()
                if any(a["VpcId"] == vpc_id for a in g["Attachments"])
            ]
            + [
                g
                for g in ctx.state.kind("sg").values()
                if g["VpcId"] == vpc_id and g["GroupName"] != "default"
            ]
            + [
                t
                for t in ctx.state.kind("rtb").values()
                if t["VpcId"] == vpc_id and not any(a.get("Main") for a in t["Associations"])
            ]
            + [a for a in ctx.state.kind("acl").values() if a["VpcId"] == vpc_id and not a["IsDefault"]]
            + [
                e
                for e in ctx.state.kind("vpce").values()
                if e["VpcId"] == vpc_id and e["State"] not in ("deleted", "deleting")
            ]
            + [n for n in ctx.state.kind("eni").values() if n["VpcId"] == vpc_id]
        )
        if blockers:
            raise core.error(
                "DependencyViolation", f"The vpc '{vpc_id}' has dependencies and cannot be deleted."
            )
        with self.store.transaction():
            for kind in ("rtb", "acl", "sg", "eigw"):
                for record in list(ctx.state.kind(kind).values()):
                    if record.get("VpcId") == vpc_id or any(
                        a.get("VpcId") == vpc_id for a in record.get("Attachments", ())
                    ):
                        self.drop(ctx, record)
            self.drop(ctx, vpc)
        return {}

    def describe_vpc_attribute(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        vpc = self.get(ctx, "vpc", params.get("VpcId"), "VpcId")
        name = params.get("Attribute") or ""
        if name not in vpc["_attributes"]:
            raise core.invalid(f"Value ({name}) for parameter attribute is invalid. Unknown attribute.")
        member = name[0].upper() + name[1:]
        return {"VpcId": vpc["VpcId"], member: {"Value": vpc["_attributes"][name]}}

    def modify_vpc_attribute(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        vpc = self.get(ctx, "vpc", params.get("VpcId"), "VpcId")
        given = [
            (name, params[member]["Value"])
            for name, member in (
                ("enableDnsSupport", "EnableDnsSupport"),
                ("enableDnsHostnames", "EnableDnsHostnames"),
                ("enableNetworkAddressUsageMetrics", "EnableNetworkAddressUsageMetrics"),
            )
            if isinstance(params.get(member), dict) and "Value" in params[member]
        ]
        if len(given) != 1:
            raise (
                core.invalid(
                    "Fields for multiple attribute types specified: enableDnsSupport, enableDnsHostnames",
                    "InvalidParameterCombination",
                )
                if given
                else core.missing("Attribute")
            )
        name, value = given[0]
        if name == "enableDnsHostnames" and value and not vpc["_attributes"]["enableDnsSupport"]:
            raise core.invalid("Cannot enable DNS hostnames without DNS support.", "InvalidParameterValue")
        vpc["_attributes"][name] = bool(value)
        self.save(ctx, vpc)
        return {}

    def associate_vpc_cidr_block(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        vpc = self.get(ctx, "vpc", params.get("VpcId"), "VpcId")
        out: dict[str, Any] = {"VpcId": vpc["VpcId"]}
        if params.get("AmazonProvidedIpv6CidrBlock"):
            if _ipv6(vpc):
                raise core.invalid(
                    f"The vpc {vpc['VpcId']} already has the maximum number of IPv6 CIDR blocks.",
                    "CidrLimitExceeded",
                )
            assoc = self._amazon_ipv6(ctx)
            vpc.setdefault("Ipv6CidrBlockAssociationSet", []).append(assoc)
            self.save(ctx, vpc)
            out["Ipv6CidrBlockAssociation"] = {**assoc, "Ipv6CidrBlockState": {"State": "associating"}}
            return out
        cidr = params.get("CidrBlock")
        if not cidr:
            raise core.missing("CidrBlock")
        block = network(cidr)
        if block.version != 4 or not 16 <= block.prefixlen <= 28:
            raise core.invalid(f"The CIDR '{cidr}' is invalid.", "InvalidVpc.Range")
        if any(block.overlaps(network(c)) for c in _cidrs(vpc)):
            raise core.invalid(f"The CIDR '{cidr}' conflicts with another subnet", "InvalidVpc.Range")
        if len(_cidrs(vpc)) >= 5:
            raise core.invalid(
                f"This network '{vpc['VpcId']}' has met its maximum number of allowed CIDRs: 5",
                "CidrLimitExceeded",
            )
        assoc = {
            "AssociationId": core.new_id("vpc-cidr-assoc"),
            "CidrBlock": str(block),
            "CidrBlockState": {"State": "associated"},
        }
        vpc["CidrBlockAssociationSet"].append(assoc)
        self.save(ctx, vpc)
        out["CidrBlockAssociation"] = {**assoc, "CidrBlockState": {"State": "associating"}}
        return out

    def disassociate_vpc_cidr_block(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        wanted = params.get("AssociationId")
        for vpc in ctx.state.kind("vpc").values():
            for assoc in vpc["CidrBlockAssociationSet"]:
                if assoc["AssociationId"] == wanted:
                    if assoc["CidrBlock"] == vpc["CidrBlock"]:
                        raise core.invalid(
                            f"The vpc CIDR block with association ID {wanted} may not be disassociated. "
                            "It is the primary IPv4 CIDR block of the VPC",
                            "OperationNotPermitted",
                        )
                    vpc["CidrBlockAssociationSet"].remove(assoc)
                    self.save(ctx, vpc)
                    return {
                        "VpcId": vpc["VpcId"],
                        "CidrBlockAssociation": {**assoc, "CidrBlockState": {"State": "disassociating"}},
                    }
            for assoc in vpc.get("Ipv6CidrBlockAssociationSet", ()):
                if assoc["AssociationId"] == wanted:
                    vpc["Ipv6CidrBlockAssociationSet"].remove(assoc)
                    self.save(ctx, vpc)
                    return {
                        "VpcId": vpc["VpcId"],
                        "Ipv6CidrBlockAssociation": {
                            **assoc,
                            "Ipv6CidrBlockState": {"State": "disassociating"},
                        },
                    }
        raise core.invalid(
            f"The vpc CIDR block association ID '{wanted}' does not exist",
            "InvalidVpcCidrBlockAssociationID.NotFound",
        )

    def create_default_vpc(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        if self.default_vpc(ctx) is not None:
            raise core.invalid(
                "A Default VPC already exists for this account in this region.", "DefaultVpcAlreadyExists"
            )
        with self.store.transaction():
            dopt = next((d for d in ctx.state.kind("dopt").values() if d.get("_default")), None)
            if dopt is None:
                dopt = self._new_dhcp_options(ctx, self._default_dhcp(ctx.region), [])
            vpc = self._new_vpc(ctx, DEFAULT_CIDR, [], is_default=True, dhcp=dopt["DhcpOptionsId"])
            blocks = list(ipaddress.ip_network(DEFAULT_CIDR).subnets(new_prefix=20))
            for index, zone in enumerate(catalog.zones(ctx.region)):
                self._new_subnet(ctx, vpc, str(blocks[index]), zone["ZoneName"], [], True, True)
            self.create_default_igw(ctx, vpc)
        return {"Vpc": core.public(vpc)}

    # -- subnets ---------------------------------------------------------------------------------

    def _new_subnet(
        self,
        ctx: Ctx,
        vpc: Record,
        cidr: str,
        zone: str,
        tags: list,
        default_for_az: bool = False,
        public_ip: bool = False,
        ipv6_cidr: str | None = None,
    ) -> Record:
        subnet_id = core.new_id("subnet")
        block = ipaddress.ip_network(cidr)
        subnet: Record = {
            "AvailabilityZoneId": catalog.zone_id(ctx.region, zone),
            "MapCustomerOwnedIpOnLaunch": False,
            "OwnerId": ctx.account,
            "AssignIpv6AddressOnCreation": False,
            "Ipv6CidrBlockAssociationSet": [],
            "SubnetArn": f"arn:aws:ec2:{ctx.region}:{ctx.account}:subnet/{subnet_id}",
            "EnableDns64": False,
            "Ipv6Native": False,
            "PrivateDnsNameOptionsOnLaunch": {
                "HostnameType": "ip-name",
                "EnableResourceNameDnsARecord": False,
                "EnableResourceNameDnsAAAARecord": False,
            },
            "BlockPublicAccessStates": {"InternetGatewayBlockMode": "off"},
            "SubnetId": subnet_id,
            "State": "available",
            "VpcId": vpc["VpcId"],
            "CidrBlock": cidr,
            "AvailableIpAddressCount": block.num_addresses - RESERVED,
            "AvailabilityZone": zone,
            "DefaultForAz": default_for_az,
            "MapPublicIpOnLaunch": public_ip,
            "_next": 4,
            "_free": [],
        }
        if ipv6_cidr:
            subnet["Ipv6CidrBlockAssociationSet"] = [
                {
                    "AssociationId": core.new_id("subnet-cidr-assoc"),
                    "Ipv6CidrBlock": ipv6_cidr,
                    "Ipv6CidrBlockState": {"State": "associated"},
                }
            ]
        self.new(ctx, "subnet", subnet_id, subnet, tags)
        self.subnet_created(ctx, subnet)
        return subnet

    def subnet_created(self, ctx: Ctx, subnet: Record) -> None:
        """Associate the new subnet with its VPC's default network ACL (nacl.py)."""

    def create_subnet(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        vpc = self.get(ctx, "vpc", params.get("VpcId"), "VpcId")
        cidr = params.get("CidrBlock")
        if not cidr:
            if params.get("Ipv6Native"):
                raise core.invalid("IPv6-only subnets are not supported here", "InvalidParameterCombination")
            raise core.missing("CidrBlock")
        block = network(cidr)
        if block.version != 4:
            raise core.invalid(f"The CIDR '{cidr}' is invalid.", "InvalidSubnet.Range")
        if not any(block.subnet_of(network(c)) for c in _cidrs(vpc)):  # type: ignore[arg-type]
            raise core.invalid(f"The CIDR '{cidr}' is invalid.", "InvalidSubnet.Range")
        if not 16 <= block.prefixlen <= 28:
            raise core.invalid(f"The CIDR '{cidr}' is invalid.", "InvalidSubnet.Range")
        for other in ctx.state.kind("subnet").values():
            if other["VpcId"] == vpc["VpcId"] and block.overlaps(network(other["CidrBlock"])):
                raise core.invalid(
                    f"The CIDR '{cidr}' conflicts with another subnet", "InvalidSubnet.Conflict"
                )
        zone = params.get("AvailabilityZone")
        if params.get("AvailabilityZoneId"):
            zone = catalog.zone_name(ctx.region, params["AvailabilityZoneId"])
            if zone is None:
                raise core.invalid(
                    f"Value ({params['AvailabilityZoneId']}) for parameter availabilityZoneId is invalid. "
                    f"Subnets can currently only be created in the following availability zones: "
                    + ", ".join(z["ZoneId"] for z in catalog.zones(ctx.region))
                    + "."
                )
        elif zone:
            if catalog.zone_id(ctx.region, zone) is None:
                raise core.invalid(
                    f"Value ({zone}) for parameter availabilityZone is invalid. Subnets can currently only be "
                    "created in the following availability zones: "
                    + ", ".join(z["ZoneName"] for z in catalog.zones(ctx.region))
                    + "."
                )
        else:
            zones = catalog.zones(ctx.region)
            zone = zones[len(ctx.state.kind("subnet")) % len(zones)]["ZoneName"]
        ipv6 = params.get("Ipv6CidrBlock")
        if ipv6:
            ipv6 = normal_cidr(ipv6)
        self.check_tag_types(params, ["subnet"])
        with self.store.transaction():
            subnet = self._new_subnet(
                ctx, vpc, str(block), zone, self.tag_specs(params, "subnet"), ipv6_cidr=ipv6
            )
        return {"Subnet": core.public(subnet)}

    def describe_subnets(self, context: RequestContext, params: dict) -> dict:
        return self.listing(self.ctx(context), "subnet", params, "SubnetIds", "Subnets")

    def delete_subnet(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        subnet = self.get(ctx, "subnet", params.get("SubnetId"), "SubnetId")
        in_use = any(n["SubnetId"] == subnet["SubnetId"] for n in ctx.state.kind("eni").values()) or any(
            i.get("SubnetId") == subnet["SubnetId"] and i["State"]["Name"] != "terminated"
            for i in ctx.state.kind("i").values()
        )
        if in_use:
            raise core.error(
                "DependencyViolation",
                f"The subnet '{subnet['SubnetId']}' has dependencies and cannot be deleted.",
            )
        with self.store.transaction():
            self.subnet_deleted(ctx, subnet)
            self.drop(ctx, subnet)
        return {}

    def subnet_deleted(self, ctx: Ctx, subnet: Record) -> None:
        """Remove the subnet's route table and network ACL associations."""

    def modify_subnet_attribute(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        subnet = self.get(ctx, "subnet", params.get("SubnetId"), "SubnetId")
        simple = {
            "MapPublicIpOnLaunch": "MapPublicIpOnLaunch",
            "AssignIpv6AddressOnCreation": "AssignIpv6AddressOnCreation",
            "MapCustomerOwnedIpOnLaunch": "MapCustomerOwnedIpOnLaunch",
            "EnableDns64": "EnableDns64",
        }
        for member, field in simple.items():
            given = params.get(member)
            if isinstance(given, dict) and "Value" in given:
                subnet[field] = bool(given["Value"])
        options = subnet["PrivateDnsNameOptionsOnLaunch"]
        if params.get("PrivateDnsHostnameTypeOnLaunch"):
            options["HostnameType"] = params["PrivateDnsHostnameTypeOnLaunch"]
        for member, field in (
            ("EnableResourceNameDnsARecordOnLaunch", "EnableResourceNameDnsARecord"),
            ("EnableResourceNameDnsAAAARecordOnLaunch", "EnableResourceNameDnsAAAARecord"),
        ):
            given = params.get(member)
            if isinstance(given, dict) and "Value" in given:
                options[field] = bool(given["Value"])
        self.save(ctx, subnet)
        return {}

    def associate_subnet_cidr_block(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        subnet = self.get(ctx, "subnet", params.get("SubnetId"), "SubnetId")
        cidr = params.get("Ipv6CidrBlock")
        if not cidr:
            raise core.missing("Ipv6CidrBlock")
        assoc = {
            "AssociationId": core.new_id("subnet-cidr-assoc"),
            "Ipv6CidrBlock": normal_cidr(cidr),
            "Ipv6CidrBlockState": {"State": "associated"},
        }
        subnet["Ipv6CidrBlockAssociationSet"].append(assoc)
        self.save(ctx, subnet)
        return {
            "SubnetId": subnet["SubnetId"],
            "Ipv6CidrBlockAssociation": {**assoc, "Ipv6CidrBlockState": {"State": "associating"}},
        }

    def disassociate_subnet_cidr_block(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        wanted = params.get("AssociationId")
        for subnet in ctx.state.kind("subnet").values():
            for assoc in subnet["Ipv6CidrBlockAssociationSet"]:
                if assoc["AssociationId"] == wanted:
                    subnet["Ipv6CidrBlockAssociationSet"].remove(assoc)
                    self.save(ctx, subnet)
                    return {
                        "SubnetId": subnet["SubnetId"],
                        "Ipv6CidrBlockAssociation": {
                            **assoc,
                            "Ipv6CidrBlockState": {"State": "disassociating"},
                        },
                    }
        raise core.invalid(
            f"The subnet CIDR block with association ID '{wanted}' does not exist",
            "InvalidSubnetCidrBlockAssociationID.NotFound",
        )

    # -- private addresses -----------------------------------------------------------------------

    def allocate_ip(self, ctx: Ctx, subnet: Record, wanted: str | None = None) -> str:
        """A private address of the subnet (the one asked for, if free), marked in use."""
        block = ipaddress.ip_network(subnet["CidrBlock"])
        base = int(block.network_address)
        last = block.num_addresses - 2  # the broadcast address is reserved
        if wanted:
            try:
                offset = int(ipaddress.ip_address(wanted)) - base
            except ValueError:
                raise core.invalid(f"Value ({wanted}) for parameter privateIpAddress is invalid.") from None
            if not 4 <= offset <= last:
                raise core.invalid(
                    f"Address {wanted} does not fall within the subnet's address range",
                    "InvalidParameterValue",
                )
            used = self.addresses_in_use(ctx, subnet)
            if wanted in used:
                raise core.invalid(f"Address {wanted} is in use.", "InvalidIPAddress.InUse")
            if offset >= subnet["_next"]:
                subnet["_free"].extend(range(subnet["_next"], offset))
                subnet["_next"] = offset + 1
            elif offset in subnet["_free"]:
                subnet["_free"].remove(offset)
        elif subnet["_free"]:
            offset = subnet["_free"].pop(0)
        elif subnet["_next"] <= last:
            offset = subnet["_next"]
            subnet["_next"] = offset + 1
        else:
            raise core.error(
                "InsufficientFreeAddressesInSubnet",
                "There are not enough free addresses in subnet "
                + f"'{subnet['SubnetId']}' to satisfy the requested number of instances.",
            )
        subnet["AvailableIpAddressCount"] -= 1
        self.save(ctx, subnet)
        return str(ipaddress.ip_address(base + offset))

    def release_ip(self, ctx: Ctx, subnet_id: str, address: str) -> None:
        subnet = ctx.state.kind("subnet").get(subnet_id)
        if subnet is None:
            return
        offset = int(ipaddress.ip_address(address)) - int(
            ipaddress.ip_network(subnet["CidrBlock"]).network_address
        )
        subnet["_free"].append(offset)
        subnet["AvailableIpAddressCount"] += 1
        self.save(ctx, subnet)

    def addresses_in_use(self, ctx: Ctx, subnet: Record) -> set[str]:
        return {
            p["PrivateIpAddress"]
            for n in ctx.state.kind("eni").values()
            if n["SubnetId"] == subnet["SubnetId"]
            for p in n["PrivateIpAddresses"]
        }

    # -- DHCP options ----------------------------------------------------------------------------

    def _new_dhcp_options(self, ctx: Ctx, configurations: list, tags: list) -> Record:
        dopt_id = core.new_id("dopt")
        record: Record = {
            "OwnerId": ctx.account,
            "DhcpOptionsId": dopt_id,
            "DhcpConfigurations": configurations,
        }
        if not tags and not ctx.state.kind("dopt"):
            record["_default"] = True
        return self.new(ctx, "dopt", dopt_id, record, tags)

    def create_dhcp_options(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        configurations = []
        for item in params.get("DhcpConfigurations") or ():
            key = item.get("Key")
            if key not in (
                "domain-name",
                "domain-name-servers",
                "ntp-servers",
                "netbios-name-servers",
                "netbios-node-type",
                "ipv6-address-preferred-lease-time",
            ):
                raise core.invalid(f"Value ({key}) for parameter name is invalid. Unknown DHCP option")
            configurations.append({"Key": key, "Values": [{"Value": v} for v in item.get("Values") or ()]})
        if not configurations:
            raise core.missing("DhcpConfiguration")
        record = self._new_dhcp_options(ctx, configurations, self.tag_specs(params, "dhcp-options"))
        record.pop("_default", None)
        self.save(ctx, record)
        return {"DhcpOptions": core.public(record)}

    def describe_dhcp_options(self, context: RequestContext, params: dict) -> dict:
        return self.listing(self.ctx(context), "dopt", params, "DhcpOptionsIds", "DhcpOptions")

    def delete_dhcp_options(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        record = self.get(ctx, "dopt", params.get("DhcpOptionsId"), "DhcpOptionsId")
        if any(v.get("DhcpOptionsId") == record["DhcpOptionsId"] for v in ctx.state.kind("vpc").values()):
            raise core.error(
                "DependencyViolation",
                f"The dhcpOptions '{record['DhcpOptionsId']}' has dependencies and cannot be deleted.",
            )
        self.drop(ctx, record)
        return {}

    def associate_dhcp_options(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        vpc = self.get(ctx, "vpc", params.get("VpcId"), "VpcId")
        wanted = params.get("DhcpOptionsId")
        if wanted != "default":
            self.get(ctx, "dopt", wanted, "DhcpOptionsId")
        vpc["DhcpOptionsId"] = wanted
        self.save(ctx, vpc)
        return {}
