"""EC2's CloudFormation resource types, through the EC2 provider's own operations: the ones
CDK's ec2.Vpc construct and typical templates use (VPC, subnets, gateways, routes, NAT, Elastic
IPs, security groups and their rules, network ACLs, endpoints, instances, launch templates, key
pairs, volumes). Each resource carries the aws:cloudformation:* tags, as on AWS."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from overcast.services.cloudformation.handlers import ResourceFailed, ResourceHandler, ResourceRequest

POLL_SECONDS = 0.2
#: How long a handler waits for a resource that becomes ready on its own (NAT gateways).
READY_SECONDS = 120.0


def _int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


def _bool(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


async def _tag(request: ResourceRequest, ident: str, given: list | None = None) -> None:
    request.runtime.provider("ec2").tag_as_system(request.account, request.region, ident, request.tags(given))


async def _ignore_missing(request: ResourceRequest, operation: str, params: dict[str, Any]) -> None:
    try:
        await request.call("ec2", operation, params)
    except ResourceFailed as error:
        if not (error.code or "").endswith((".NotFound", "NotFound", ".Malformed")):
            raise


class Ec2Handler(ResourceHandler):
    updatable: ClassVar[bool] = False


class VPC(Ec2Handler):
    attributes = frozenset(
        {
            "CidrBlock",
            "CidrBlockAssociations",
            "DefaultNetworkAcl",
            "DefaultSecurityGroup",
            "Ipv6CidrBlocks",
            "VpcId",
        }
    )
    replace_on = frozenset({"CidrBlock", "InstanceTenancy", "Ipv4IpamPoolId", "Ipv4NetmaskLength"})
    updatable = True

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        vpc = (
            await request.call(
                "ec2",
                "CreateVpc",
                {"CidrBlock": p.get("CidrBlock"), "InstanceTenancy": p.get("InstanceTenancy") or "default"},
            )
        )["Vpc"]
        vpc_id = vpc["VpcId"]
        await _tag(request, vpc_id, p.get("Tags"))
        await self._attributes(request, vpc_id)
        return vpc_id, await self._read(request, vpc_id)

    async def _attributes(self, request: ResourceRequest, vpc_id: str) -> None:
        p = request.properties
        for name in ("EnableDnsSupport", "EnableDnsHostnames"):
            if name in p:
                await request.call(
                    "ec2", "ModifyVpcAttribute", {"VpcId": vpc_id, name: {"Value": _bool(p[name])}}
                )

    async def _read(self, request: ResourceRequest, vpc_id: str) -> dict[str, Any]:
        vpc = (await request.call("ec2", "DescribeVpcs", {"VpcIds": [vpc_id]}))["Vpcs"][0]
        acl = (
            await request.call(
                "ec2",
                "DescribeNetworkAcls",
                {
                    "Filters": [
                        {"Name": "vpc-id", "Values": [vpc_id]},
                        {"Name": "default", "Values": ["true"]},
                    ]
                },
            )
        )["NetworkAcls"]
        group = (
            await request.call(
                "ec2",
                "DescribeSecurityGroups",
                {
                    "Filters": [
                        {"Name": "vpc-id", "Values": [vpc_id]},
                        {"Name": "group-name", "Values": ["default"]},
                    ]
                },
            )
        )["SecurityGroups"]
        return {
            "VpcId": vpc_id,
            "CidrBlock": vpc["CidrBlock"],
            "CidrBlockAssociations": [a["AssociationId"] for a in vpc["CidrBlockAssociationSet"]],
            "Ipv6CidrBlocks": [a["Ipv6CidrBlock"] for a in vpc.get("Ipv6CidrBlockAssociationSet", [])],
            "DefaultNetworkAcl": acl[0]["NetworkAclId"] if acl else "",
            "DefaultSecurityGroup": group[0]["GroupId"] if group else "",
        }

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._attributes(request, request.physical_id)
        await _tag(request, request.physical_id, request.properties.get("Tags"))
        return await self._read(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteVpc", {"VpcId": request.physical_id})


class VPCCidrBlock(Ec2Handler):
    attributes = frozenset({"Id", "Ipv6CidrBlock"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        params: dict[str, Any] = {"VpcId": p.get("VpcId")}
        if p.get("CidrBlock"):
            params["CidrBlock"] = p["CidrBlock"]
        if _bool(p.get("AmazonProvidedIpv6CidrBlock")):
            params["AmazonProvidedIpv6CidrBlock"] = True
        out = await request.call("ec2", "AssociateVpcCidrBlock", params)
        association = out.get("CidrBlockAssociation") or out.get("Ipv6CidrBlockAssociation") or {}
        return association["AssociationId"], {
            "Id": association["AssociationId"],
            "Ipv6CidrBlock": association.get("Ipv6CidrBlock", ""),
        }

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DisassociateVpcCidrBlock", {"AssociationId": request.physical_id})


class Subnet(Ec2Handler):
    attributes = frozenset(
        {
            "AvailabilityZone",
            "AvailabilityZoneId",
            "CidrBlock",
            "Ipv6CidrBlocks",
            "NetworkAclAssociationId",
            "OutpostArn",
            "SubnetId",
            "VpcId",
        }
    )
    replace_on = frozenset({"VpcId", "CidrBlock", "AvailabilityZone", "AvailabilityZoneId", "Ipv6CidrBlock"})
    updatable = True

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        params = {
            k: p[k]
            for k in ("VpcId", "CidrBlock", "AvailabilityZone", "AvailabilityZoneId", "Ipv6CidrBlock")
            if p.get(k)
        }
        subnet = (await request.call("ec2", "CreateSubnet", params))["Subnet"]
        subnet_id = subnet["SubnetId"]
        await _tag(request, subnet_id, p.get("Tags"))
        await self._attributes(request, subnet_id)
        return subnet_id, await self._read(request, subnet_id)

    async def _attributes(self, request: ResourceRequest, subnet_id: str) -> None:
        p = request.properties
        for name in ("MapPublicIpOnLaunch", "AssignIpv6AddressOnCreation", "EnableDns64"):
            if name in p:
                await request.call(
                    "ec2", "ModifySubnetAttribute", {"SubnetId": subnet_id, name: {"Value": _bool(p[name])}}
                )

    async def _read(self, request: ResourceRequest, subnet_id: str) -> dict[str, Any]:
        subnet = (await request.call("ec2", "DescribeSubnets", {"SubnetIds": [subnet_id]}))["Subnets"][0]
        acls = (
            await request.call(
                "ec2",
                "DescribeNetworkAcls",
                {"Filters": [{"Name": "association.subnet-id", "Values": [subnet_id]}]},
            )
        )["NetworkAcls"]
        association = next(
            (
                a["NetworkAclAssociationId"]
                for acl in acls
                for a in acl["Associations"]
                if a["SubnetId"] == subnet_id
            ),
            "",
        )
        return {
            "SubnetId": subnet_id,
            "VpcId": subnet["VpcId"],
            "AvailabilityZone": subnet["AvailabilityZone"],
            "AvailabilityZoneId": subnet["AvailabilityZoneId"],
            "CidrBlock": subnet["CidrBlock"],
            "Ipv6CidrBlocks": [a["Ipv6CidrBlock"] for a in subnet.get("Ipv6CidrBlockAssociationSet", [])],
            "NetworkAclAssociationId": association,
            "OutpostArn": "",
        }

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._attributes(request, request.physical_id)
        await _tag(request, request.physical_id, request.properties.get("Tags"))
        return await self._read(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteSubnet", {"SubnetId": request.physical_id})


class InternetGateway(Ec2Handler):
    attributes = frozenset({"InternetGatewayId"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        igw = (await request.call("ec2", "CreateInternetGateway", {}))["InternetGateway"]["InternetGatewayId"]
        await _tag(request, igw, request.properties.get("Tags"))
        return igw, {"InternetGatewayId": igw}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteInternetGateway", {"InternetGatewayId": request.physical_id})


class EgressOnlyInternetGateway(Ec2Handler):
    attributes = frozenset({"Id"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        out = await request.call(
            "ec2", "CreateEgressOnlyInternetGateway", {"VpcId": request.properties.get("VpcId")}
        )
        ident = out["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"]
        return ident, {"Id": ident}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(
            request, "DeleteEgressOnlyInternetGateway", {"EgressOnlyInternetGatewayId": request.physical_id}
        )


class VPCGatewayAttachment(Ec2Handler):
    attributes = frozenset({"AttachmentType"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        if not p.get("InternetGatewayId"):
            raise ResourceFailed("Overcast attaches internet gateways only (no VPN gateways)")
        await request.call(
            "ec2",
            "AttachInternetGateway",
            {"VpcId": p.get("VpcId"), "InternetGatewayId": p["InternetGatewayId"]},
        )
        return f"IGW|{p.get('VpcId')}", {"AttachmentType": "InternetGateway"}

    async def delete(self, request: ResourceRequest) -> None:
        p = request.properties
        try:
            await request.call(
                "ec2",
                "DetachInternetGateway",
                {"VpcId": p.get("VpcId"), "InternetGatewayId": p.get("InternetGatewayId")},
            )
        except ResourceFailed as error:
            if error.code not in ("Gateway.NotAttached", "InvalidInternetGatewayID.NotFound"):
                raise


class RouteTable(Ec2Handler):
    attributes = frozenset({"RouteTableId"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        table = (await request.call("ec2", "CreateRouteTable", {"VpcId": request.properties.get("VpcId")}))[
            "RouteTable"
        ]["RouteTableId"]
        await _tag(request, table, request.properties.get("Tags"))
        return table, {"RouteTableId": table}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteRouteTable", {"RouteTableId": request.physical_id})


ROUTE_TARGETS = (
    "GatewayId",
    "NatGatewayId",
    "InstanceId",
    "NetworkInterfaceId",
    "VpcPeeringConnectionId",
    "EgressOnlyInternetGatewayId",
    "TransitGatewayId",
    "VpcEndpointId",
    "CarrierGatewayId",
    "LocalGatewayId",
    "CoreNetworkArn",
)
ROUTE_DESTINATIONS = ("DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId")


class Route(Ec2Handler):
    attributes = frozenset({"CidrBlock"})

    def _destination(self, p: dict[str, Any]) -> dict[str, Any]:
        return {k: p[k] for k in ROUTE_DESTINATIONS if p.get(k)}

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        params = {
            "RouteTableId": p.get("RouteTableId"),
            **self._destination(p),
            **{k: p[k] for k in ROUTE_TARGETS if p.get(k)},
        }
        await request.call("ec2", "CreateRoute", params)
        destination = next(iter(self._destination(p).values()), "")
        return f"{p.get('RouteTableId')}|{destination}", {"CidrBlock": p.get("DestinationCidrBlock", "")}

    async def delete(self, request: ResourceRequest) -> None:
        p = request.properties
        try:
            await request.call(
                "ec2", "DeleteRoute", {"RouteTableId": p.get("RouteTableId"), **self._destination(p)}
            )
        except ResourceFailed as error:
            if error.code not in ("InvalidRoute.NotFound", "InvalidRouteTableID.NotFound"):
                raise


class SubnetRouteTableAssociation(Ec2Handler):
    attributes = frozenset({"Id"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        out = await request.call(
            "ec2",
            "AssociateRouteTable",
            {"RouteTableId": p.get("RouteTableId"), "SubnetId": p.get("SubnetId")},
        )
        return out["AssociationId"], {"Id": out["AssociationId"]}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("ec2", "DisassociateRouteTable", {"AssociationId": request.physical_id})
        except ResourceFailed as error:
            if error.code != "InvalidAssociationID.NotFound":
                raise


class EIP(Ec2Handler):
    attributes = frozenset({"AllocationId", "PublicIp"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        out = await request.call("ec2", "AllocateAddress", {"Domain": "vpc"})
        await _tag(request, out["AllocationId"], request.properties.get("Tags"))
        instance = request.properties.get("InstanceId")
        if instance:
            await request.call(
                "ec2", "AssociateAddress", {"AllocationId": out["AllocationId"], "InstanceId": instance}
            )
        # Ref gives the address itself, as on AWS.
        return out["PublicIp"], {"AllocationId": out["AllocationId"], "PublicIp": out["PublicIp"]}

    async def delete(self, request: ResourceRequest) -> None:
        allocation = request.attributes.get("AllocationId")
        addresses = (
            await request.call(
                "ec2", "DescribeAddresses", {"Filters": [{"Name": "allocation-id", "Values": [allocation]}]}
            )
        )["Addresses"]
        for address in addresses:
            if address.get("AssociationId"):
                await request.call("ec2", "DisassociateAddress", {"AssociationId": address["AssociationId"]})
            await request.call("ec2", "ReleaseAddress", {"AllocationId": address["AllocationId"]})


class NatGateway(Ec2Handler):
    attributes = frozenset({"NatGatewayId"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        params = {
            k: p[k] for k in ("SubnetId", "AllocationId", "ConnectivityType", "PrivateIpAddress") if p.get(k)
        }
        nat = (await request.call("ec2", "CreateNatGateway", params))["NatGateway"]["NatGatewayId"]
        await _tag(request, nat, p.get("Tags"))
        deadline = asyncio.get_running_loop().time() + READY_SECONDS
        while True:
            state = (await request.call("ec2", "DescribeNatGateways", {"NatGatewayIds": [nat]}))[
                "NatGateways"
            ][0]["State"]
            if state == "available":
                return nat, {"NatGatewayId": nat}
            if state == "failed" or asyncio.get_running_loop().time() > deadline:
                raise ResourceFailed(f"NAT gateway {nat} did not become available ({state})")
            await asyncio.sleep(POLL_SECONDS)

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteNatGateway", {"NatGatewayId": request.physical_id})
        deadline = asyncio.get_running_loop().time() + READY_SECONDS
        while asyncio.get_running_loop().time() < deadline:
            found = (
                await request.call("ec2", "DescribeNatGateways", {"NatGatewayIds": [request.physical_id]})
            )["NatGateways"]
            if not found or found[0]["State"] == "deleted":
                return
            await asyncio.sleep(POLL_SECONDS)


def _permission(rule: dict[str, Any], egress: bool) -> dict[str, Any]:
    protocol = str(rule.get("IpProtocol", "-1"))
    permission: dict[str, Any] = {"IpProtocol": protocol}
    if protocol not in ("-1", "all"):
        permission["FromPort"] = _int(rule.get("FromPort"))
        permission["ToPort"] = _int(rule.get("ToPort"))
    description = {"Description": rule["Description"]} if rule.get("Description") else {}
    if rule.get("CidrIp"):
        permission["IpRanges"] = [{"CidrIp": rule["CidrIp"], **description}]
    elif rule.get("CidrIpv6"):
        permission["Ipv6Ranges"] = [{"CidrIpv6": rule["CidrIpv6"], **description}]
    elif rule.get("SourcePrefixListId") or rule.get("DestinationPrefixListId"):
        permission["PrefixListIds"] = [
            {
                "PrefixListId": rule.get("SourcePrefixListId") or rule.get("DestinationPrefixListId"),
                **description,
            }
        ]
    else:
        group = rule.get("DestinationSecurityGroupId") if egress else rule.get("SourceSecurityGroupId")
        pair: dict[str, Any] = {**description}
        if group:
            pair["GroupId"] = group
        elif rule.get("SourceSecurityGroupName"):
            pair["GroupName"] = rule["SourceSecurityGroupName"]
        if rule.get("SourceSecurityGroupOwnerId"):
            pair["UserId"] = rule["SourceSecurityGroupOwnerId"]
        permission["UserIdGroupPairs"] = [pair]
    return permission


class SecurityGroup(Ec2Handler):
    attributes = frozenset({"GroupId", "VpcId"})
    replace_on = frozenset({"GroupName", "GroupDescription", "VpcId"})
    updatable = True

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        name = p.get("GroupName") or request.physical_name(255)
        params: dict[str, Any] = {"GroupName": name, "Description": p.get("GroupDescription") or ""}
        if p.get("VpcId"):
            params["VpcId"] = p["VpcId"]
        group_id = (await request.call("ec2", "CreateSecurityGroup", params))["GroupId"]
        await _tag(request, group_id, p.get("Tags"))
        await self._rules(request, group_id, {}, p)
        group = (await request.call("ec2", "DescribeSecurityGroups", {"GroupIds": [group_id]}))[
            "SecurityGroups"
        ][0]
        return group_id, {"GroupId": group_id, "VpcId": group.get("VpcId", "")}

    async def _rules(
        self, request: ResourceRequest, group_id: str, old: dict[str, Any], new: dict[str, Any]
    ) -> None:
        for key, egress, grant, revoke in (
            ("SecurityGroupIngress", False, "AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress"),
            ("SecurityGroupEgress", True, "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress"),
        ):
            before = [_permission(r, egress) for r in old.get(key) or []]
            after = [_permission(r, egress) for r in new.get(key) or []]
            if egress and key in new and not before and after:
                # Rules of its own replace the default allow-all egress rule.
                before = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
            for permission in before:
                if permission not in after:
                    try:
                        await request.call(
                            "ec2", revoke, {"GroupId": group_id, "IpPermissions": [permission]}
                        )
                    except ResourceFailed as error:
                        if error.code != "InvalidPermission.NotFound":
                            raise
            for permission in after:
                if permission not in before:
                    await request.call("ec2", grant, {"GroupId": group_id, "IpPermissions": [permission]})

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._rules(request, request.physical_id, request.old_properties, request.properties)
        await _tag(request, request.physical_id, request.properties.get("Tags"))
        return dict(request.attributes)

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteSecurityGroup", {"GroupId": request.physical_id})


class _GroupRule(Ec2Handler):
    egress: ClassVar[bool] = False
    attributes = frozenset({"Id"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        operation = "AuthorizeSecurityGroupEgress" if self.egress else "AuthorizeSecurityGroupIngress"
        params: dict[str, Any] = {"IpPermissions": [_permission(p, self.egress)]}
        if p.get("GroupId"):
            params["GroupId"] = p["GroupId"]
        else:
            params["GroupName"] = p.get("GroupName")
        rule = (await request.call("ec2", operation, params))["SecurityGroupRules"][0]
        return rule["SecurityGroupRuleId"], {"Id": rule["SecurityGroupRuleId"]}

    async def delete(self, request: ResourceRequest) -> None:
        p = request.properties
        operation = "RevokeSecurityGroupEgress" if self.egress else "RevokeSecurityGroupIngress"
        params: dict[str, Any] = {"SecurityGroupRuleIds": [request.physical_id]}
        if p.get("GroupId"):
            params["GroupId"] = p["GroupId"]
        else:
            params["GroupName"] = p.get("GroupName")
        await _ignore_missing(request, operation, params)


class SecurityGroupIngress(_GroupRule):
    egress = False


class SecurityGroupEgress(_GroupRule):
    egress = True


class NetworkAcl(Ec2Handler):
    attributes = frozenset({"Id"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        acl = (await request.call("ec2", "CreateNetworkAcl", {"VpcId": request.properties.get("VpcId")}))[
            "NetworkAcl"
        ]["NetworkAclId"]
        await _tag(request, acl, request.properties.get("Tags"))
        return acl, {"Id": acl}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteNetworkAcl", {"NetworkAclId": request.physical_id})


class NetworkAclEntry(Ec2Handler):
    attributes = frozenset({"Id"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        params: dict[str, Any] = {
            "NetworkAclId": p.get("NetworkAclId"),
            "RuleNumber": _int(p.get("RuleNumber")),
            "Protocol": str(p.get("Protocol")),
            "RuleAction": p.get("RuleAction"),
            "Egress": _bool(p.get("Egress")),
        }
        for key in ("CidrBlock", "Ipv6CidrBlock"):
            if p.get(key):
                params[key] = p[key]
        if p.get("PortRange"):
            params["PortRange"] = {
                "From": _int(p["PortRange"].get("From")),
                "To": _int(p["PortRange"].get("To")),
            }
        if p.get("Icmp"):
            params["IcmpTypeCode"] = {
                "Code": _int(p["Icmp"].get("Code")),
                "Type": _int(p["Icmp"].get("Type")),
            }
        await request.call("ec2", "CreateNetworkAclEntry", params)
        ident = (
            f"{p.get('NetworkAclId')}|{'egress' if params['Egress'] else 'ingress'}|{params['RuleNumber']}"
        )
        return ident, {"Id": ident}

    async def delete(self, request: ResourceRequest) -> None:
        p = request.properties
        try:
            await request.call(
                "ec2",
                "DeleteNetworkAclEntry",
                {
                    "NetworkAclId": p.get("NetworkAclId"),
                    "RuleNumber": _int(p.get("RuleNumber")),
                    "Egress": _bool(p.get("Egress")),
                },
            )
        except ResourceFailed as error:
            if error.code not in ("InvalidNetworkAclEntry.NotFound", "InvalidNetworkAclID.NotFound"):
                raise


class SubnetNetworkAclAssociation(Ec2Handler):
    attributes = frozenset({"AssociationId"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        acls = (
            await request.call(
                "ec2",
                "DescribeNetworkAcls",
                {"Filters": [{"Name": "association.subnet-id", "Values": [p.get("SubnetId")]}]},
            )
        )["NetworkAcls"]
        current = next(
            a["NetworkAclAssociationId"]
            for acl in acls
            for a in acl["Associations"]
            if a["SubnetId"] == p.get("SubnetId")
        )
        new = (
            await request.call(
                "ec2",
                "ReplaceNetworkAclAssociation",
                {"AssociationId": current, "NetworkAclId": p.get("NetworkAclId")},
            )
        )["NewAssociationId"]
        return new, {"AssociationId": new}

    async def delete(self, request: ResourceRequest) -> None:
        p = request.properties
        vpc = (await request.call("ec2", "DescribeSubnets", {"SubnetIds": [p.get("SubnetId")]}))["Subnets"][
            0
        ]["VpcId"]
        default = (
            await request.call(
                "ec2",
                "DescribeNetworkAcls",
                {"Filters": [{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default", "Values": ["true"]}]},
            )
        )["NetworkAcls"][0]
        try:
            await request.call(
                "ec2",
                "ReplaceNetworkAclAssociation",
                {"AssociationId": request.physical_id, "NetworkAclId": default["NetworkAclId"]},
            )
        except ResourceFailed as error:
            if error.code != "InvalidAssociationID.NotFound":
                raise


class VPCEndpoint(Ec2Handler):
    attributes = frozenset({"CreationTimestamp", "DnsEntries", "Id", "NetworkInterfaceIds"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        params: dict[str, Any] = {
            k: p[k]
            for k in (
                "VpcId",
                "ServiceName",
                "VpcEndpointType",
                "RouteTableIds",
                "SubnetIds",
                "SecurityGroupIds",
            )
            if p.get(k)
        }
        if p.get("PolicyDocument"):
            import json

            document = p["PolicyDocument"]
            params["PolicyDocument"] = document if isinstance(document, str) else json.dumps(document)
        if "PrivateDnsEnabled" in p:
            params["PrivateDnsEnabled"] = _bool(p["PrivateDnsEnabled"])
        endpoint = (await request.call("ec2", "CreateVpcEndpoint", params))["VpcEndpoint"]
        ident = endpoint["VpcEndpointId"]
        await _tag(request, ident, p.get("Tags"))
        return ident, {
            "Id": ident,
            "CreationTimestamp": endpoint["CreationTimestamp"].isoformat()
            if hasattr(endpoint["CreationTimestamp"], "isoformat")
            else str(endpoint["CreationTimestamp"]),
            "DnsEntries": [f"{e['HostedZoneId']}:{e['DnsName']}" for e in endpoint.get("DnsEntries", [])],
            "NetworkInterfaceIds": endpoint.get("NetworkInterfaceIds", []),
        }

    async def delete(self, request: ResourceRequest) -> None:
        await request.call("ec2", "DeleteVpcEndpoints", {"VpcEndpointIds": [request.physical_id]})


class KeyPair(Ec2Handler):
    attributes = frozenset({"KeyFingerprint", "KeyPairId"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        name = p.get("KeyName")
        if p.get("PublicKeyMaterial"):
            out = await request.call(
                "ec2",
                "ImportKeyPair",
                {"KeyName": name, "PublicKeyMaterial": p["PublicKeyMaterial"].encode()},
            )
        else:
            out = await request.call(
                "ec2", "CreateKeyPair", {"KeyName": name, "KeyType": p.get("KeyType") or "rsa"}
            )
            # CloudFormation keeps a created key's private half in Parameter Store.
            await request.call(
                "ssm",
                "PutParameter",
                {
                    "Name": f"/ec2/keypair/{out['KeyPairId']}",
                    "Value": out["KeyMaterial"],
                    "Type": "SecureString",
                    "Overwrite": True,
                },
            )
        await _tag(request, out["KeyPairId"], p.get("Tags"))
        return str(name), {"KeyFingerprint": out["KeyFingerprint"], "KeyPairId": out["KeyPairId"]}

    async def delete(self, request: ResourceRequest) -> None:
        await request.call("ec2", "DeleteKeyPair", {"KeyName": request.physical_id})
        if not request.properties.get("PublicKeyMaterial") and request.attributes.get("KeyPairId"):
            try:
                await request.call(
                    "ssm", "DeleteParameter", {"Name": f"/ec2/keypair/{request.attributes['KeyPairId']}"}
                )
            except ResourceFailed:
                pass


def _template_data(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data or {})
    for key in ("DisableApiTermination", "EbsOptimized", "DisableApiStop"):
        if key in out:
            out[key] = _bool(out[key])
    return out


class LaunchTemplate(Ec2Handler):
    attributes = frozenset({"DefaultVersionNumber", "LatestVersionNumber", "LaunchTemplateId"})
    replace_on = frozenset({"LaunchTemplateName"})
    updatable = True

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        name = p.get("LaunchTemplateName") or request.physical_name(128)
        params: dict[str, Any] = {
            "LaunchTemplateName": name,
            "LaunchTemplateData": _template_data(p.get("LaunchTemplateData") or {}),
        }
        if p.get("VersionDescription"):
            params["VersionDescription"] = p["VersionDescription"]
        template = (await request.call("ec2", "CreateLaunchTemplate", params))["LaunchTemplate"]
        await _tag(
            request,
            template["LaunchTemplateId"],
            [t for spec in p.get("TagSpecifications") or [] for t in spec.get("Tags", [])],
        )
        return template["LaunchTemplateId"], {
            "LaunchTemplateId": template["LaunchTemplateId"],
            "DefaultVersionNumber": "1",
            "LatestVersionNumber": "1",
        }

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        version = (
            await request.call(
                "ec2",
                "CreateLaunchTemplateVersion",
                {
                    "LaunchTemplateId": request.physical_id,
                    "LaunchTemplateData": _template_data(request.properties.get("LaunchTemplateData") or {}),
                },
            )
        )["LaunchTemplateVersion"]["VersionNumber"]
        await request.call(
            "ec2",
            "ModifyLaunchTemplate",
            {"LaunchTemplateId": request.physical_id, "DefaultVersion": str(version)},
        )
        return {
            "LaunchTemplateId": request.physical_id,
            "DefaultVersionNumber": str(version),
            "LatestVersionNumber": str(version),
        }

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteLaunchTemplate", {"LaunchTemplateId": request.physical_id})


class Instance(Ec2Handler):
    attributes = frozenset(
        {"AvailabilityZone", "InstanceId", "PrivateDnsName", "PrivateIp", "PublicDnsName", "PublicIp"}
    )

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        params: dict[str, Any] = {"MinCount": 1, "MaxCount": 1}
        for key in (
            "ImageId",
            "InstanceType",
            "KeyName",
            "SubnetId",
            "UserData",
            "PrivateIpAddress",
            "SecurityGroupIds",
            "SecurityGroups",
            "InstanceInitiatedShutdownBehavior",
            "BlockDeviceMappings",
            "NetworkInterfaces",
            "Monitoring",
            "PlacementGroupName",
        ):
            if p.get(key) not in (None, "", []):
                params[key] = p[key]
        if "Monitoring" in params:
            params["Monitoring"] = {"Enabled": _bool(params["Monitoring"])}
        if params.pop("PlacementGroupName", None) or p.get("AvailabilityZone"):
            params["Placement"] = {
                k: v
                for k, v in (
                    ("GroupName", p.get("PlacementGroupName")),
                    ("AvailabilityZone", p.get("AvailabilityZone")),
                )
                if v
            }
        if "DisableApiTermination" in p:
            params["DisableApiTermination"] = _bool(p["DisableApiTermination"])
        if p.get("IamInstanceProfile"):
            profile = p["IamInstanceProfile"]
            params["IamInstanceProfile"] = (
                {"Arn": profile} if profile.startswith("arn:") else {"Name": profile}
            )
        if p.get("LaunchTemplate"):
            template = p["LaunchTemplate"]
            params["LaunchTemplate"] = {
                k: str(template[k])
                for k in ("LaunchTemplateId", "LaunchTemplateName", "Version")
                if template.get(k)
            }
        instance = (await request.call("ec2", "RunInstances", params))["Instances"][0]
        instance_id = instance["InstanceId"]
        await _tag(request, instance_id, p.get("Tags"))
        deadline = asyncio.get_running_loop().time() + READY_SECONDS
        while True:
            found = (await request.call("ec2", "DescribeInstances", {"InstanceIds": [instance_id]}))[
                "Reservations"
            ][0]["Instances"][0]
            if found["State"]["Name"] == "running":
                break
            if asyncio.get_running_loop().time() > deadline:
                raise ResourceFailed(f"Instance {instance_id} did not start")
            await asyncio.sleep(POLL_SECONDS)
        return instance_id, {
            "InstanceId": instance_id,
            "AvailabilityZone": found["Placement"]["AvailabilityZone"],
            "PrivateDnsName": found.get("PrivateDnsName", ""),
            "PrivateIp": found.get("PrivateIpAddress", ""),
            "PublicDnsName": found.get("PublicDnsName", ""),
            "PublicIp": found.get("PublicIpAddress", ""),
        }

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("ec2", "TerminateInstances", {"InstanceIds": [request.physical_id]})
        except ResourceFailed as error:
            if error.code != "InvalidInstanceID.NotFound":
                raise
            return
        # CloudFormation waits for the instance to be gone: its interfaces hold its subnet and groups.
        deadline = asyncio.get_running_loop().time() + READY_SECONDS
        while asyncio.get_running_loop().time() < deadline:
            found = (
                await request.call(
                    "ec2",
                    "DescribeInstances",
                    {"Filters": [{"Name": "instance-id", "Values": [request.physical_id]}]},
                )
            )["Reservations"]
            if not found or found[0]["Instances"][0]["State"]["Name"] == "terminated":
                return
            await asyncio.sleep(POLL_SECONDS)


class Volume(Ec2Handler):
    attributes = frozenset({"VolumeId"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        params: dict[str, Any] = {
            k: p[k] for k in ("AvailabilityZone", "VolumeType", "SnapshotId", "KmsKeyId") if p.get(k)
        }
        for key in ("Size", "Iops", "Throughput"):
            if p.get(key) is not None:
                params[key] = _int(p[key])
        if "Encrypted" in p:
            params["Encrypted"] = _bool(p["Encrypted"])
        volume = await request.call("ec2", "CreateVolume", params)
        await _tag(request, volume["VolumeId"], p.get("Tags"))
        return volume["VolumeId"], {"VolumeId": volume["VolumeId"]}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteVolume", {"VolumeId": request.physical_id})


class VolumeAttachment(Ec2Handler):
    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        deadline = asyncio.get_running_loop().time() + READY_SECONDS
        while (await request.call("ec2", "DescribeVolumes", {"VolumeIds": [p.get("VolumeId")]}))["Volumes"][
            0
        ]["State"] == "creating":
            if asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(POLL_SECONDS)
        await request.call(
            "ec2",
            "AttachVolume",
            {"VolumeId": p.get("VolumeId"), "InstanceId": p.get("InstanceId"), "Device": p.get("Device")},
        )
        return f"{p.get('VolumeId')}|{p.get('InstanceId')}", {}

    async def delete(self, request: ResourceRequest) -> None:
        p = request.properties
        try:
            await request.call(
                "ec2", "DetachVolume", {"VolumeId": p.get("VolumeId"), "InstanceId": p.get("InstanceId")}
            )
        except ResourceFailed as error:
            if error.code not in ("IncorrectState", "InvalidVolume.NotFound"):
                raise
        deadline = asyncio.get_running_loop().time() + READY_SECONDS
        while asyncio.get_running_loop().time() < deadline:
            volumes = (
                await request.call(
                    "ec2",
                    "DescribeVolumes",
                    {"Filters": [{"Name": "volume-id", "Values": [p.get("VolumeId")]}]},
                )
            )["Volumes"]
            if not volumes or not volumes[0]["Attachments"]:
                return
            await asyncio.sleep(POLL_SECONDS)


class PlacementGroup(Ec2Handler):
    attributes = frozenset({"GroupName"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        name = p.get("GroupName") or request.physical_name(255)
        params: dict[str, Any] = {"GroupName": name, "Strategy": p.get("Strategy") or "cluster"}
        if p.get("PartitionCount"):
            params["PartitionCount"] = _int(p["PartitionCount"])
        if p.get("SpreadLevel"):
            params["SpreadLevel"] = p["SpreadLevel"]
        await request.call("ec2", "CreatePlacementGroup", params)
        return name, {"GroupName": name}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeletePlacementGroup", {"GroupName": request.physical_id})


class DHCPOptions(Ec2Handler):
    attributes = frozenset({"DhcpOptionsId"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        keys = {
            "DomainName": "domain-name",
            "DomainNameServers": "domain-name-servers",
            "NtpServers": "ntp-servers",
            "NetbiosNameServers": "netbios-name-servers",
            "NetbiosNodeType": "netbios-node-type",
        }
        configurations = []
        for prop, key in keys.items():
            value = p.get(prop)
            if value not in (None, "", []):
                configurations.append(
                    {
                        "Key": key,
                        "Values": [str(v) for v in value] if isinstance(value, list) else [str(value)],
                    }
                )
        out = (await request.call("ec2", "CreateDhcpOptions", {"DhcpConfigurations": configurations}))[
            "DhcpOptions"
        ]
        await _tag(request, out["DhcpOptionsId"], p.get("Tags"))
        return out["DhcpOptionsId"], {"DhcpOptionsId": out["DhcpOptionsId"]}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteDhcpOptions", {"DhcpOptionsId": request.physical_id})


class VPCDHCPOptionsAssociation(Ec2Handler):
    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        await request.call(
            "ec2", "AssociateDhcpOptions", {"VpcId": p.get("VpcId"), "DhcpOptionsId": p.get("DhcpOptionsId")}
        )
        return f"{p.get('DhcpOptionsId')}|{p.get('VpcId')}", {}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(
            request,
            "AssociateDhcpOptions",
            {"VpcId": request.properties.get("VpcId"), "DhcpOptionsId": "default"},
        )


class VPCPeeringConnection(Ec2Handler):
    attributes = frozenset({"Id"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        params = {k: p[k] for k in ("VpcId", "PeerVpcId", "PeerOwnerId", "PeerRegion") if p.get(k)}
        pcx = (await request.call("ec2", "CreateVpcPeeringConnection", params))["VpcPeeringConnection"][
            "VpcPeeringConnectionId"
        ]
        if not p.get("PeerOwnerId") or p.get("PeerOwnerId") == request.account:
            await request.call("ec2", "AcceptVpcPeeringConnection", {"VpcPeeringConnectionId": pcx})
        await _tag(request, pcx, p.get("Tags"))
        return pcx, {"Id": pcx}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call(
                "ec2", "DeleteVpcPeeringConnection", {"VpcPeeringConnectionId": request.physical_id}
            )
        except ResourceFailed as error:
            if error.code not in ("InvalidVpcPeeringConnectionID.NotFound", "InvalidStateTransition"):
                raise


HANDLERS = {
    "AWS::EC2::VPC": VPC,
    "AWS::EC2::VPCCidrBlock": VPCCidrBlock,
    "AWS::EC2::Subnet": Subnet,
    "AWS::EC2::InternetGateway": InternetGateway,
    "AWS::EC2::EgressOnlyInternetGateway": EgressOnlyInternetGateway,
    "AWS::EC2::VPCGatewayAttachment": VPCGatewayAttachment,
    "AWS::EC2::RouteTable": RouteTable,
    "AWS::EC2::Route": Route,
    "AWS::EC2::SubnetRouteTableAssociation": SubnetRouteTableAssociation,
    "AWS::EC2::EIP": EIP,
    "AWS::EC2::NatGateway": NatGateway,
    "AWS::EC2::SecurityGroup": SecurityGroup,
    "AWS::EC2::SecurityGroupIngress": SecurityGroupIngress,
    "AWS::EC2::SecurityGroupEgress": SecurityGroupEgress,
    "AWS::EC2::NetworkAcl": NetworkAcl,
    "AWS::EC2::NetworkAclEntry": NetworkAclEntry,
    "AWS::EC2::SubnetNetworkAclAssociation": SubnetNetworkAclAssociation,
    "AWS::EC2::VPCEndpoint": VPCEndpoint,
    "AWS::EC2::KeyPair": KeyPair,
    "AWS::EC2::LaunchTemplate": LaunchTemplate,
    "AWS::EC2::Instance": Instance,
    "AWS::EC2::Volume": Volume,
    "AWS::EC2::VolumeAttachment": VolumeAttachment,
    "AWS::EC2::PlacementGroup": PlacementGroup,
    "AWS::EC2::DHCPOptions": DHCPOptions,
    "AWS::EC2::VPCDHCPOptionsAssociation": VPCDHCPOptionsAssociation,
    "AWS::EC2::VPCPeeringConnection": VPCPeeringConnection,
}
