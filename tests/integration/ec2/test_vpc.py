"""VPC: the default VPC, VPCs and subnets, gateways, route tables, network ACLs, security groups,
endpoints, peering, interfaces and Elastic IPs, tags, filters, pagination and DryRun."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.integration.ec2.conftest import code, wait_for


def test_the_default_vpc_is_there_from_the_first_request(ec2):
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    assert len(vpcs) == 1
    vpc = vpcs[0]
    assert vpc["CidrBlock"] == "172.31.0.0/16" and vpc["State"] == "available"
    assert vpc["VpcId"].startswith("vpc-") and len(vpc["VpcId"]) == 21
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
    zones = ec2.describe_availability_zones()["AvailabilityZones"]
    assert sorted(s["AvailabilityZone"] for s in subnets) == sorted(z["ZoneName"] for z in zones)
    assert all(s["DefaultForAz"] and s["MapPublicIpOnLaunch"] for s in subnets)
    assert all(s["AvailableIpAddressCount"] == 4091 for s in subnets)
    [group] = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    assert group["IpPermissionsEgress"] == [
        {
            "IpProtocol": "-1",
            "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            "Ipv6Ranges": [],
            "PrefixListIds": [],
            "UserIdGroupPairs": [],
        }
    ]
    assert group["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == group["GroupId"]
    [acl] = ec2.describe_network_acls(Filters=[{"Name": "default", "Values": ["true"]}])["NetworkAcls"]
    rules = sorted((e["Egress"], e["RuleNumber"], e["RuleAction"]) for e in acl["Entries"])
    assert rules == [
        (False, 100, "allow"),
        (False, 32767, "deny"),
        (True, 100, "allow"),
        (True, 32767, "deny"),
    ]
    assert len(acl["Associations"]) == len(subnets)
    [main] = ec2.describe_route_tables(Filters=[{"Name": "association.main", "Values": ["true"]}])[
        "RouteTables"
    ]
    assert {
        "DestinationCidrBlock": "172.31.0.0/16",
        "GatewayId": "local",
        "Origin": "CreateRouteTable",
        "State": "active",
    } in main["Routes"]
    attributes = ec2.describe_account_attributes(AttributeNames=["default-vpc"])["AccountAttributes"]
    assert attributes[0]["AttributeValues"][0]["AttributeValue"] == vpc["VpcId"]
    dhcp = ec2.describe_dhcp_options(DhcpOptionsIds=[vpc["DhcpOptionsId"]])["DhcpOptions"][0]
    assert {"Key": "domain-name", "Values": [{"Value": "ec2.internal"}]} in dhcp["DhcpConfigurations"]


def test_the_guide_three_tier_vpc(ec2):
    vpc = ec2.create_vpc(
        CidrBlock="10.0.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "my-vpc"}]}],
    )["Vpc"]
    vpc_id = vpc["VpcId"]
    assert vpc["Tags"] == [{"Key": "Name", "Value": "my-vpc"}]
    ids = {}
    for cidr, zone in (
        ("10.0.1.0/24", "us-east-1a"),
        ("10.0.2.0/24", "us-east-1b"),
        ("10.0.10.0/24", "us-east-1a"),
        ("10.0.20.0/24", "us-east-1a"),
    ):
        subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]
        assert subnet["AvailableIpAddressCount"] == 251 and subnet["AvailabilityZoneId"].startswith("use1-az")
        ids[cidr] = subnet["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=ids["10.0.1.0/24"], MapPublicIpOnLaunch={"Value": True})
    assert ec2.describe_subnets(SubnetIds=[ids["10.0.1.0/24"]])["Subnets"][0]["MapPublicIpOnLaunch"] is True
    with pytest.raises(ClientError) as error:
        ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.128/25")
    assert code(error) == "InvalidSubnet.Conflict"
    with pytest.raises(ClientError) as error:
        ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.1.0.0/24")
    assert code(error) == "InvalidSubnet.Range"
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(VpcId=vpc_id, InternetGatewayId=igw)
    table = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    with pytest.raises(ClientError) as error:
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    assert code(error) == "RouteAlreadyExists"
    association = ec2.associate_route_table(RouteTableId=table, SubnetId=ids["10.0.1.0/24"])["AssociationId"]
    found = ec2.describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": [ids["10.0.1.0/24"]]}]
    )["RouteTables"]
    assert [t["RouteTableId"] for t in found] == [table]
    # A NAT gateway for the private app subnet: pending, then available.
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=ids["10.0.1.0/24"], AllocationId=allocation)["NatGateway"]
    assert nat["State"] == "pending"
    wait_for(
        lambda: (
            ec2.describe_nat_gateways(NatGatewayIds=[nat["NatGatewayId"]])["NatGateways"][0]["State"]
            == "available"
        )
    )
    address = ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0]
    assert address["AssociationId"].startswith("eipassoc-") and address["NetworkInterfaceId"].startswith(
        "eni-"
    )
    private = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=private, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat["NatGatewayId"])
    # Deleting the NAT gateway turns its route into a blackhole.
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
    routes = ec2.describe_route_tables(RouteTableIds=[private])["RouteTables"][0]["Routes"]
    assert [r["State"] for r in routes if r.get("NatGatewayId")] == ["blackhole"]
    wait_for(
        lambda: (
            ec2.describe_nat_gateways(NatGatewayIds=[nat["NatGatewayId"]])["NatGateways"][0]["State"]
            == "deleted"
        )
    )
    assert "AssociationId" not in ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0]
    # A VPC with dependencies cannot go; its pieces can, then it can.
    with pytest.raises(ClientError) as error:
        ec2.delete_vpc(VpcId=vpc_id)
    assert code(error) == "DependencyViolation"
    with pytest.raises(ClientError) as error:
        ec2.delete_internet_gateway(InternetGatewayId=igw)
    assert code(error) == "DependencyViolation"
    ec2.disassociate_route_table(AssociationId=association)
    ec2.delete_route_table(RouteTableId=table)
    ec2.delete_route_table(RouteTableId=private)
    ec2.detach_internet_gateway(VpcId=vpc_id, InternetGatewayId=igw)
    ec2.delete_internet_gateway(InternetGatewayId=igw)
    for subnet_id in ids.values():
        ec2.delete_subnet(SubnetId=subnet_id)
    ec2.delete_vpc(VpcId=vpc_id)
    with pytest.raises(ClientError) as error:
        ec2.describe_vpcs(VpcIds=[vpc_id])
    assert code(error) == "InvalidVpcID.NotFound"


def test_vpc_attributes_and_cidrs(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.1.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    assert ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsSupport")["EnableDnsSupport"] == {
        "Value": True
    }
    assert ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")["EnableDnsHostnames"] == {
        "Value": False
    }
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    assert ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")["EnableDnsHostnames"] == {
        "Value": True
    }
    association = ec2.associate_vpc_cidr_block(VpcId=vpc_id, CidrBlock="10.2.0.0/16")["CidrBlockAssociation"]
    vpc = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    assert [c["CidrBlock"] for c in vpc["CidrBlockAssociationSet"]] == ["10.1.0.0/16", "10.2.0.0/16"]
    assert vpc["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"].endswith("::/56")
    ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.2.5.0/24")
    found = ec2.describe_vpcs(Filters=[{"Name": "cidr-block-association.cidr-block", "Values": ["10.2.*"]}])[
        "Vpcs"
    ]
    assert [v["VpcId"] for v in found] == [vpc_id]
    with pytest.raises(ClientError) as error:
        ec2.create_vpc(CidrBlock="10.0.0.0/8")
    assert code(error) == "InvalidVpc.Range"
    assert association["CidrBlockState"]["State"] == "associating"


def test_security_group_rules(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    web = ec2.create_security_group(GroupName="web", Description="web tier", VpcId=vpc_id)["GroupId"]
    app = ec2.create_security_group(GroupName="app", Description="app tier", VpcId=vpc_id)["GroupId"]
    with pytest.raises(ClientError) as error:
        ec2.create_security_group(GroupName="web", Description="again", VpcId=vpc_id)
    assert code(error) == "InvalidGroup.Duplicate"
    created = ec2.authorize_security_group_ingress(
        GroupId=app,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": web}]},
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "ssh"}],
            },
        ],
    )["SecurityGroupRules"]
    assert all(r["SecurityGroupRuleId"].startswith("sgr-") for r in created)
    with pytest.raises(ClientError) as error:
        ec2.authorize_security_group_ingress(
            GroupId=app, IpProtocol="tcp", FromPort=22, ToPort=22, CidrIp="10.0.0.0/8"
        )
    assert code(error) == "InvalidPermission.Duplicate"
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [app]}])[
        "SecurityGroupRules"
    ]
    assert sorted((r["IsEgress"], r["IpProtocol"], r["FromPort"]) for r in rules) == [
        (False, "tcp", 22),
        (False, "tcp", 8080),
        (True, "-1", -1),
    ]
    referencing = ec2.describe_security_groups(Filters=[{"Name": "ip-permission.group-id", "Values": [web]}])[
        "SecurityGroups"
    ]
    assert [g["GroupId"] for g in referencing] == [app]
    with pytest.raises(ClientError) as error:
        ec2.delete_security_group(GroupId=web)
    assert code(error) == "DependencyViolation"
    ssh = next(r for r in created if r["FromPort"] == 22)
    ec2.modify_security_group_rules(
        GroupId=app,
        SecurityGroupRules=[
            {
                "SecurityGroupRuleId": ssh["SecurityGroupRuleId"],
                "SecurityGroupRule": {
                    "IpProtocol": "tcp",
                    "FromPort": 2222,
                    "ToPort": 2222,
                    "CidrIpv4": "10.0.0.0/16",
                },
            }
        ],
    )
    ec2.revoke_security_group_ingress(
        GroupId=app,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": web}]}
        ],
    )
    group = ec2.describe_security_groups(GroupIds=[app])["SecurityGroups"][0]
    assert [(p["FromPort"], p["IpRanges"]) for p in group["IpPermissions"]] == [
        (2222, [{"CidrIp": "10.0.0.0/16"}])
    ]
    ec2.delete_security_group(GroupId=web)
    # By name, a group is looked for in the default VPC.
    ec2.create_security_group(GroupName="by-name", Description="default vpc group")
    ec2.authorize_security_group_ingress(
        GroupName="by-name", IpProtocol="tcp", FromPort=443, ToPort=443, CidrIp="0.0.0.0/0"
    )
    assert (
        ec2.describe_security_groups(GroupNames=["by-name"])["SecurityGroups"][0]["IpPermissions"][0][
            "FromPort"
        ]
        == 443
    )
    # Prefix lists may be referenced too.
    pl = ec2.create_managed_prefix_list(
        PrefixListName="office", MaxEntries=5, AddressFamily="IPv4", Entries=[{"Cidr": "192.0.2.0/24"}]
    )["PrefixList"]["PrefixListId"]
    ec2.authorize_security_group_egress(
        GroupId=app,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "PrefixListIds": [{"PrefixListId": pl}]}
        ],
    )
    assert ec2.get_managed_prefix_list_entries(PrefixListId=pl)["Entries"] == [{"Cidr": "192.0.2.0/24"}]
    with pytest.raises(ClientError) as error:
        ec2.delete_security_group(GroupName="default")
    assert code(error) == "CannotDelete"


def test_network_acl_entries(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.4.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.4.1.0/24")["Subnet"]["SubnetId"]
    acl = ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]
    assert [(e["RuleNumber"], e["RuleAction"]) for e in acl["Entries"]] == [(32767, "deny"), (32767, "deny")]
    ec2.create_network_acl_entry(
        NetworkAclId=acl["NetworkAclId"],
        RuleNumber=100,
        Protocol="6",
        RuleAction="allow",
        Egress=False,
        CidrBlock="0.0.0.0/0",
        PortRange={"From": 443, "To": 443},
    )
    with pytest.raises(ClientError) as error:
        ec2.create_network_acl_entry(
            NetworkAclId=acl["NetworkAclId"],
            RuleNumber=100,
            Protocol="6",
            RuleAction="deny",
            Egress=False,
            CidrBlock="0.0.0.0/0",
            PortRange={"From": 80, "To": 80},
        )
    assert code(error) == "NetworkAclEntryAlreadyExists"
    default = ec2.describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default", "Values": ["true"]}]
    )["NetworkAcls"][0]
    association = next(a for a in default["Associations"] if a["SubnetId"] == subnet)
    ec2.replace_network_acl_association(
        AssociationId=association["NetworkAclAssociationId"], NetworkAclId=acl["NetworkAclId"]
    )
    found = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])[
        "NetworkAcls"
    ]
    assert [a["NetworkAclId"] for a in found] == [acl["NetworkAclId"]]
    with pytest.raises(ClientError) as error:
        ec2.delete_network_acl(NetworkAclId=acl["NetworkAclId"])
    assert code(error) == "DependencyViolation"


def test_endpoints_peering_interfaces_and_addresses(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    other = ec2.create_vpc(CidrBlock="10.6.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.5.1.0/24", AvailabilityZone="us-east-1a")[
        "Subnet"
    ]["SubnetId"]
    table = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    names = ec2.describe_vpc_endpoint_services()["ServiceNames"]
    assert "com.amazonaws.us-east-1.s3" in names
    gateway = ec2.create_vpc_endpoint(
        VpcId=vpc_id, ServiceName="com.amazonaws.us-east-1.s3", RouteTableIds=[table]
    )["VpcEndpoint"]
    assert gateway["State"] == "available"
    routes = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Routes"]
    assert any(
        r.get("GatewayId") == gateway["VpcEndpointId"] and r["DestinationPrefixListId"].startswith("pl-")
        for r in routes
    )
    interface = ec2.create_vpc_endpoint(
        VpcId=vpc_id,
        ServiceName="com.amazonaws.us-east-1.sqs",
        VpcEndpointType="Interface",
        SubnetIds=[subnet],
    )["VpcEndpoint"]
    assert interface["State"] == "pending" and interface["DnsEntries"][0]["DnsName"].endswith(
        ".sqs.us-east-1.vpce.amazonaws.com"
    )
    wait_for(
        lambda: (
            ec2.describe_vpc_endpoints(VpcEndpointIds=[interface["VpcEndpointId"]])["VpcEndpoints"][0][
                "State"
            ]
            == "available"
        )
    )
    with pytest.raises(ClientError) as error:
        ec2.create_vpc_endpoint(VpcId=vpc_id, ServiceName="com.amazonaws.us-east-1.nothing")
    assert code(error) == "InvalidServiceName"
    pcx = ec2.create_vpc_peering_connection(VpcId=vpc_id, PeerVpcId=other)["VpcPeeringConnection"][
        "VpcPeeringConnectionId"
    ]
    assert (
        ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"][0][
            "Status"
        ]["Code"]
        == "pending-acceptance"
    )
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="10.6.0.0/16", VpcPeeringConnectionId=pcx)
    ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    routes = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Routes"]
    assert [r["State"] for r in routes if r.get("VpcPeeringConnectionId")] == ["blackhole"]
    eni = ec2.create_network_interface(SubnetId=subnet, PrivateIpAddress="10.5.1.50", Description="mine")[
        "NetworkInterface"
    ]
    assert eni["PrivateIpAddress"] == "10.5.1.50"
    with pytest.raises(ClientError) as error:
        ec2.create_network_interface(SubnetId=subnet, PrivateIpAddress="10.5.1.50")
    assert code(error) == "InvalidIPAddress.InUse"
    allocation = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(
        AllocationId=allocation["AllocationId"], NetworkInterfaceId=eni["NetworkInterfaceId"]
    )
    found = ec2.describe_network_interfaces(
        Filters=[{"Name": "association.public-ip", "Values": [allocation["PublicIp"]]}]
    )["NetworkInterfaces"]
    assert [n["NetworkInterfaceId"] for n in found] == [eni["NetworkInterfaceId"]]
    with pytest.raises(ClientError) as error:
        ec2.release_address(AllocationId=allocation["AllocationId"])
    assert code(error) == "InvalidIPAddress.InUse"
    ec2.disassociate_address(
        AssociationId=ec2.describe_addresses(AllocationIds=[allocation["AllocationId"]])["Addresses"][0][
            "AssociationId"
        ]
    )
    ec2.release_address(AllocationId=allocation["AllocationId"])
    ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])


def test_tags_filters_pagination_and_dry_run(ec2):
    vpc_ids = [
        ec2.create_vpc(
            CidrBlock=f"10.{10 + n}.0.0/16",
            TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "team", "Value": f"t{n % 2}"}]}],
        )["Vpc"]["VpcId"]
        for n in range(6)
    ]
    ec2.create_tags(Resources=vpc_ids[:1], Tags=[{"Key": "env", "Value": "prod"}])
    assert [
        v["VpcId"] for v in ec2.describe_vpcs(Filters=[{"Name": "tag:env", "Values": ["prod"]}])["Vpcs"]
    ] == vpc_ids[:1]
    assert len(ec2.describe_vpcs(Filters=[{"Name": "tag:team", "Values": ["t0"]}])["Vpcs"]) == 3
    assert len(ec2.describe_vpcs(Filters=[{"Name": "tag:team", "Values": ["t*"]}])["Vpcs"]) == 6
    assert len(ec2.describe_vpcs(Filters=[{"Name": "tag-key", "Values": ["env"]}])["Vpcs"]) == 1
    ec2.delete_tags(Resources=vpc_ids[:1], Tags=[{"Key": "env"}])
    assert ec2.describe_vpcs(Filters=[{"Name": "tag:env", "Values": ["prod"]}])["Vpcs"] == []
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [vpc_ids[1]]}])["Tags"]
    assert tags == [{"Key": "team", "ResourceId": vpc_ids[1], "ResourceType": "vpc", "Value": "t1"}]
    pages = list(ec2.get_paginator("describe_vpcs").paginate(PaginationConfig={"PageSize": 5}))
    assert len(pages) == 2 and sum(len(p["Vpcs"]) for p in pages) == 7
    with pytest.raises(ClientError) as error:
        ec2.create_vpc(CidrBlock="10.99.0.0/16", DryRun=True)
    assert code(error) == "DryRunOperation"
    with pytest.raises(ClientError) as error:
        ec2.describe_vpcs(Filters=[{"Name": "no-such-filter", "Values": ["x"]}])
    assert code(error) == "InvalidParameterValue"


def test_regions_zones_and_instance_types(ec2, session, endpoint):
    regions = {r["RegionName"] for r in ec2.describe_regions()["Regions"]}
    assert {"us-east-1", "eu-west-1", "ap-southeast-2"} <= regions
    west = session.client("ec2", endpoint_url=endpoint, region_name="eu-west-1")
    zones = west.describe_availability_zones()["AvailabilityZones"]
    assert [(z["ZoneName"], z["ZoneId"]) for z in zones] == [
        ("eu-west-1a", "euw1-az1"),
        ("eu-west-1b", "euw1-az2"),
        ("eu-west-1c", "euw1-az3"),
    ]
    types = ec2.describe_instance_types(InstanceTypes=["t3.micro", "m5.large"])["InstanceTypes"]
    by_name = {t["InstanceType"]: t for t in types}
    assert (
        by_name["t3.micro"]["MemoryInfo"]["SizeInMiB"] == 1024
        and by_name["t3.micro"]["VCpuInfo"]["DefaultVCpus"] == 2
    )
    assert by_name["m5.large"]["MemoryInfo"]["SizeInMiB"] == 8192
    arm = ec2.describe_instance_types(
        Filters=[{"Name": "processor-info.supported-architecture", "Values": ["arm64"]}]
    )
    assert arm["InstanceTypes"] and all(
        "arm64" in t["ProcessorInfo"]["SupportedArchitectures"] for t in arm["InstanceTypes"]
    )
    offerings = ec2.describe_instance_type_offerings(
        LocationType="availability-zone", Filters=[{"Name": "instance-type", "Values": ["t3.micro"]}]
    )["InstanceTypeOfferings"]
    assert {o["Location"] for o in offerings} == {
        z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]
    }


def test_flow_logs_and_ipv6_addresses(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    block = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
    subnet_block = block.replace("00::/56", "00::/64")
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.7.1.0/24", Ipv6CidrBlock=subnet_block)["Subnet"][
        "SubnetId"
    ]
    created = ec2.create_flow_logs(
        ResourceType="VPC",
        ResourceIds=[vpc, "vpc-00000000"],
        TrafficType="REJECT",
        LogGroupName="vpc-flow",
        DeliverLogsPermissionArn="arn:aws:iam::000000000000:role/flow",
    )
    assert len(created["FlowLogIds"]) == 1 and created["Unsuccessful"][0]["ResourceId"] == "vpc-00000000"
    [flow] = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc]}])["FlowLogs"]
    assert (
        flow["TrafficType"] == "REJECT"
        and flow["LogGroupName"] == "vpc-flow"
        and flow["FlowLogStatus"] == "ACTIVE"
    )
    ec2.delete_flow_logs(FlowLogIds=created["FlowLogIds"])
    assert ec2.describe_flow_logs(FlowLogIds=created["FlowLogIds"])["FlowLogs"] == []
    eni = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    assigned = ec2.assign_ipv6_addresses(NetworkInterfaceId=eni, Ipv6AddressCount=2)["AssignedIpv6Addresses"]
    assert len(assigned) == 2
    shown = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0][
        "Ipv6Addresses"
    ]
    assert sorted(a["Ipv6Address"] for a in shown) == sorted(assigned)
    ec2.unassign_ipv6_addresses(NetworkInterfaceId=eni, Ipv6Addresses=assigned[:1])
    assert (
        len(
            ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0][
                "Ipv6Addresses"
            ]
        )
        == 1
    )
