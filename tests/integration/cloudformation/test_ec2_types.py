"""EC2's resource types, in the shape CDK's ec2.Vpc construct synthesizes (a VPC with a public
and a private subnet per zone, an internet gateway, a NAT gateway with its Elastic IP, route
tables and their routes and associations) plus a security group with rules, a network ACL, an
S3 gateway endpoint, a key pair, a launch template, an instance and a volume; checked through
EC2 and deleted with their stack."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.integration.cloudformation.conftest import outputs, resources, settle

TEMPLATE = """
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.60.0.0/16
      EnableDnsHostnames: true
      EnableDnsSupport: true
      InstanceTenancy: default
      Tags: [{Key: Name, Value: cdk-vpc}]
  PublicSubnet1:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.60.0.0/18
      AvailabilityZone: !Select [0, !GetAZs ""]
      MapPublicIpOnLaunch: true
      Tags: [{Key: aws-cdk:subnet-type, Value: Public}]
  PublicSubnet1RouteTable:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: !Ref Vpc}
  PublicSubnet1RouteTableAssociation:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {RouteTableId: !Ref PublicSubnet1RouteTable, SubnetId: !Ref PublicSubnet1}
  PublicSubnet1DefaultRoute:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref PublicSubnet1RouteTable, DestinationCidrBlock: 0.0.0.0/0, GatewayId: !Ref IGW}
    DependsOn: [VPCGW]
  PublicSubnet1EIP:
    Type: AWS::EC2::EIP
    Properties: {Domain: vpc}
  PublicSubnet1NATGateway:
    Type: AWS::EC2::NatGateway
    Properties:
      SubnetId: !Ref PublicSubnet1
      AllocationId: !GetAtt PublicSubnet1EIP.AllocationId
    DependsOn: [PublicSubnet1DefaultRoute, PublicSubnet1RouteTableAssociation]
  PrivateSubnet1:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.60.128.0/18
      AvailabilityZone: !Select [0, !GetAZs ""]
      MapPublicIpOnLaunch: false
  PrivateSubnet1RouteTable:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: !Ref Vpc}
  PrivateSubnet1RouteTableAssociation:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {RouteTableId: !Ref PrivateSubnet1RouteTable, SubnetId: !Ref PrivateSubnet1}
  PrivateSubnet1DefaultRoute:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref PrivateSubnet1RouteTable, DestinationCidrBlock: 0.0.0.0/0, NatGatewayId: !Ref PublicSubnet1NATGateway}
  IGW:
    Type: AWS::EC2::InternetGateway
  VPCGW:
    Type: AWS::EC2::VPCGatewayAttachment
    Properties: {VpcId: !Ref Vpc, InternetGatewayId: !Ref IGW}
  S3Endpoint:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcId: !Ref Vpc
      ServiceName: !Sub com.amazonaws.${AWS::Region}.s3
      RouteTableIds: [!Ref PrivateSubnet1RouteTable]
  WebGroup:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      VpcId: !Ref Vpc
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}
  AppGroup:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: app
      VpcId: !Ref Vpc
      SecurityGroupEgress:
        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}
  AppFromWeb:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: {GroupId: !Ref AppGroup, IpProtocol: tcp, FromPort: 8080, ToPort: 8080, SourceSecurityGroupId: !GetAtt WebGroup.GroupId}
  DataAcl:
    Type: AWS::EC2::NetworkAcl
    Properties: {VpcId: !Ref Vpc}
  DataAclIn:
    Type: AWS::EC2::NetworkAclEntry
    Properties: {NetworkAclId: !Ref DataAcl, RuleNumber: 100, Protocol: 6, RuleAction: allow, CidrBlock: 10.60.0.0/16, PortRange: {From: 5432, To: 5432}}
  Key:
    Type: AWS::EC2::KeyPair
    Properties: {KeyName: !Sub "${AWS::StackName}-key"}
  Template:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        ImageId: "{{resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64}}"
        InstanceType: t3.micro
        KeyName: !Ref Key
        SecurityGroupIds: [!GetAtt AppGroup.GroupId]
  Server:
    Type: AWS::EC2::Instance
    Properties:
      SubnetId: !Ref PrivateSubnet1
      LaunchTemplate: {LaunchTemplateId: !Ref Template, Version: !GetAtt Template.LatestVersionNumber}
      Tags: [{Key: Name, Value: app-1}]
  Data:
    Type: AWS::EC2::Volume
    Properties: {AvailabilityZone: !GetAtt Server.AvailabilityZone, Size: 10, VolumeType: gp3}
Outputs:
  Vpc: {Value: !Ref Vpc}
  DefaultGroup: {Value: !GetAtt Vpc.DefaultSecurityGroup}
  PublicIp: {Value: !Ref PublicSubnet1EIP}
  Nat: {Value: !Ref PublicSubnet1NATGateway}
  Server: {Value: !Ref Server}
  ServerIp: {Value: !GetAtt Server.PrivateIp}
  KeyId: {Value: !GetAtt Key.KeyPairId}
  AppGroup: {Value: !Ref AppGroup}
"""


def test_cdk_shaped_vpc_and_instance(cfn, client, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=TEMPLATE)
    stack = settle(cfn, stack_name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)
    ec2 = client("ec2")
    vpc = ec2.describe_vpcs(VpcIds=[out["Vpc"]])["Vpcs"][0]
    tags = {t["Key"]: t["Value"] for t in vpc["Tags"]}
    assert tags["Name"] == "cdk-vpc" and tags["aws:cloudformation:stack-name"] == stack_name
    assert (
        ec2.describe_security_groups(GroupIds=[out["DefaultGroup"]])["SecurityGroups"][0]["GroupName"]
        == "default"
    )
    nat = ec2.describe_nat_gateways(NatGatewayIds=[out["Nat"]])["NatGateways"][0]
    assert nat["State"] == "available" and nat["NatGatewayAddresses"][0]["PublicIp"] == out["PublicIp"]
    instance = ec2.describe_instances(InstanceIds=[out["Server"]])["Reservations"][0]["Instances"][0]
    assert instance["State"]["Name"] == "running" and instance["PrivateIpAddress"] == out["ServerIp"]
    assert instance["PrivateIpAddress"].startswith("10.60.1") and instance["KeyName"] == f"{stack_name}-key"
    app = ec2.describe_security_groups(GroupIds=[out["AppGroup"]])["SecurityGroups"][0]
    assert [(p["IpProtocol"], p.get("FromPort")) for p in app["IpPermissionsEgress"]] == [("tcp", 443)]
    assert app["IpPermissions"][0]["FromPort"] == 8080
    ssm = client("ssm")
    private = ssm.get_parameter(Name=f"/ec2/keypair/{out['KeyId']}", WithDecryption=True)["Parameter"][
        "Value"
    ]
    assert private.startswith("-----BEGIN RSA PRIVATE KEY-----")
    found = resources(cfn, stack_name)
    assert found["Data"]["ResourceStatus"] == "CREATE_COMPLETE"

    cfn.delete_stack(StackName=stack_name)
    stack = settle(cfn, stack["StackId"], timeout=120)
    assert stack["StackStatus"] == "DELETE_COMPLETE", stack.get("StackStatusReason")
    with pytest.raises(ClientError) as error:
        ec2.describe_vpcs(VpcIds=[out["Vpc"]])
    assert error.value.response["Error"]["Code"] == "InvalidVpcID.NotFound"
