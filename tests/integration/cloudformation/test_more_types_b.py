"""More resource types of services Overcast already has: RDS option groups and global
clusters, ElastiCache cache security groups and their ingress, Route 53 CIDR collections and an
Auto Scaling group's warm pool. Each is created by a stack, read back through its service,
updated in place and deleted with the stack; the EC2-Classic DB security group fails its stack
with RDS's own refusal."""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.integration.cloudformation.conftest import outputs, resources, settle


def _template(suffix: str, image: str, subnet: str, *, updated: bool) -> str:
    options = (
        [
            {
                "OptionName": "MARIADB_AUDIT_PLUGIN",
                "OptionSettings": [{"Name": "SERVER_AUDIT_EVENTS", "Value": "CONNECT"}],
            }
        ]
        if updated
        else []
    )
    locations = [{"LocationName": "office", "CidrList": ["192.0.2.0/24"]}]
    if updated:
        locations = [
            {"LocationName": "office", "CidrList": ["192.0.2.0/24", "198.51.100.0/24"]},
            {"LocationName": "lab", "CidrList": ["203.0.113.0/24"]},
        ]
    return json.dumps(
        {
            "Resources": {
                "Options": {
                    "Type": "AWS::RDS::OptionGroup",
                    "Properties": {
                        "EngineName": "mysql",
                        "MajorEngineVersion": "8.0",
                        "OptionGroupDescription": "audit options",
                        "OptionConfigurations": options,
                        "Tags": [{"Key": "team", "Value": "blue"}],
                    },
                },
                "Global": {
                    "Type": "AWS::RDS::GlobalCluster",
                    "Properties": {
                        "GlobalClusterIdentifier": f"global-{suffix}",
                        "Engine": "aurora-postgresql",
                        "DeletionProtection": False,
                    },
                },
                "CacheGroup": {
                    "Type": "AWS::ElastiCache::SecurityGroup",
                    "Properties": {
                        "Description": "cache access",
                        "Tags": [{"Key": "tier", "Value": "updated" if updated else "first"}],
                    },
                },
                "CacheIngress": {
                    "Type": "AWS::ElastiCache::SecurityGroupIngress",
                    "Properties": {
                        "CacheSecurityGroupName": {"Ref": "CacheGroup"},
                        "EC2SecurityGroupName": "web-servers-2" if updated else "web-servers",
                    },
                },
                "Cidrs": {
                    "Type": "AWS::Route53::CidrCollection",
                    "Properties": {"Name": f"cidrs-{suffix}", "Locations": locations},
                },
                "Config": {
                    "Type": "AWS::AutoScaling::LaunchConfiguration",
                    "Properties": {"ImageId": image, "InstanceType": "t3.micro"},
                },
                "Group": {
                    "Type": "AWS::AutoScaling::AutoScalingGroup",
                    "Properties": {
                        "LaunchConfigurationName": {"Ref": "Config"},
                        "MinSize": "0",
                        "MaxSize": "2",
                        "DesiredCapacity": "0",
                        "VPCZoneIdentifier": [subnet],
                    },
                },
                "Warm": {
                    "Type": "AWS::AutoScaling::WarmPool",
                    "Properties": {
                        "AutoScalingGroupName": {"Ref": "Group"},
                        "MinSize": 2 if updated else 1,
                        "PoolState": "Running" if updated else "Stopped",
                        "InstanceReusePolicy": {"ReuseOnScaleIn": True},
                    },
                },
            },
            "Outputs": {
                "Options": {"Value": {"Ref": "Options"}},
                "Global": {"Value": {"Ref": "Global"}},
                "GlobalEndpoint": {"Value": {"Fn::GetAtt": ["Global", "GlobalEndpoint.Address"]}},
                "CacheGroup": {"Value": {"Ref": "CacheGroup"}},
                "Cidrs": {"Value": {"Ref": "Cidrs"}},
                "CidrsId": {"Value": {"Fn::GetAtt": ["Cidrs", "Id"]}},
                "CidrsArn": {"Value": {"Fn::GetAtt": ["Cidrs", "Arn"]}},
                "Group": {"Value": {"Ref": "Group"}},
            },
        }
    )


def _blocks(route53, collection: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for location in route53.list_cidr_locations(CollectionId=collection)["CidrLocations"]:
        name = location["LocationName"]
        blocks = route53.list_cidr_blocks(CollectionId=collection, LocationName=name)["CidrBlocks"]
        found[name] = sorted(b["CidrBlock"] for b in blocks)
    return found


def test_option_group_global_cluster_cache_groups_cidrs_and_warm_pool(cfn, client, stack_name):
    rds, elasticache, route53, asg, ec2 = (
        client(name) for name in ("rds", "elasticache", "route53", "autoscaling", "ec2")
    )
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    subnet = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][0][
        "SubnetId"
    ]
    suffix = uuid.uuid4().hex[:8]
    cfn.create_stack(StackName=stack_name, TemplateBody=_template(suffix, image, subnet, updated=False))
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)

    group = rds.describe_option_groups(OptionGroupName=out["Options"])["OptionGroupsList"][0]
    assert (group["EngineName"], group["MajorEngineVersion"]) == ("mysql", "8.0")
    assert group["OptionGroupDescription"] == "audit options"
    assert group["Options"] == []
    tags = rds.list_tags_for_resource(ResourceName=group["OptionGroupArn"])["TagList"]
    assert {"Key": "team", "Value": "blue"} in tags

    assert out["Global"] == f"global-{suffix}"
    global_cluster = rds.describe_global_clusters(GlobalClusterIdentifier=out["Global"])["GlobalClusters"][0]
    assert global_cluster["Engine"] == "aurora-postgresql"
    assert out["GlobalEndpoint"] == global_cluster["Endpoint"]

    cache_group = elasticache.describe_cache_security_groups(CacheSecurityGroupName=out["CacheGroup"])[
        "CacheSecurityGroups"
    ][0]
    assert cache_group["Description"] == "cache access"
    assert [g["EC2SecurityGroupName"] for g in cache_group["EC2SecurityGroups"]] == ["web-servers"]
    assert cache_group["EC2SecurityGroups"][0]["EC2SecurityGroupOwnerId"] == stack["StackId"].split(":")[4]

    assert out["Cidrs"] == out["CidrsId"]
    collections = {c["Id"]: c for c in route53.list_cidr_collections()["CidrCollections"]}
    assert collections[out["Cidrs"]]["Name"] == f"cidrs-{suffix}"
    assert collections[out["Cidrs"]]["Arn"] == out["CidrsArn"]
    assert _blocks(route53, out["Cidrs"]) == {"office": ["192.0.2.0/24"]}

    warm = asg.describe_warm_pool(AutoScalingGroupName=out["Group"])["WarmPoolConfiguration"]
    assert (warm["MinSize"], warm["PoolState"]) == (1, "Stopped")
    assert warm["InstanceReusePolicy"] == {"ReuseOnScaleIn": True}
    assert resources(cfn, stack_name)["Warm"]["PhysicalResourceId"] == out["Group"]

    cfn.update_stack(StackName=stack_name, TemplateBody=_template(suffix, image, subnet, updated=True))
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert outputs(stack)["Options"] == out["Options"]  # updated in place
    group = rds.describe_option_groups(OptionGroupName=out["Options"])["OptionGroupsList"][0]
    assert [o["OptionName"] for o in group["Options"]] == ["MARIADB_AUDIT_PLUGIN"]
    assert group["Options"][0]["OptionSettings"] == [{"Name": "SERVER_AUDIT_EVENTS", "Value": "CONNECT"}]
    cache_group = elasticache.describe_cache_security_groups(CacheSecurityGroupName=out["CacheGroup"])[
        "CacheSecurityGroups"
    ][0]
    # The ingress is replaced: the new rule authorized, the old one revoked.
    assert [g["EC2SecurityGroupName"] for g in cache_group["EC2SecurityGroups"]] == ["web-servers-2"]
    cache_tags = elasticache.list_tags_for_resource(ResourceName=cache_group["ARN"])["TagList"]
    assert {"Key": "tier", "Value": "updated"} in cache_tags
    assert _blocks(route53, out["Cidrs"]) == {
        "lab": ["203.0.113.0/24"],
        "office": ["192.0.2.0/24", "198.51.100.0/24"],
    }
    warm = asg.describe_warm_pool(AutoScalingGroupName=out["Group"])["WarmPoolConfiguration"]
    assert (warm["MinSize"], warm["PoolState"]) == (2, "Running")

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError) as gone:
        rds.describe_option_groups(OptionGroupName=out["Options"])
    assert gone.value.response["Error"]["Code"] == "OptionGroupNotFoundFault"
    with pytest.raises(ClientError) as gone:
        rds.describe_global_clusters(GlobalClusterIdentifier=out["Global"])
    assert gone.value.response["Error"]["Code"] == "GlobalClusterNotFoundFault"
    with pytest.raises(ClientError) as gone:
        elasticache.describe_cache_security_groups(CacheSecurityGroupName=out["CacheGroup"])
    assert gone.value.response["Error"]["Code"] == "CacheSecurityGroupNotFound"
    assert out["Cidrs"] not in {c["Id"] for c in route53.list_cidr_collections()["CidrCollections"]}
    assert asg.describe_auto_scaling_groups(AutoScalingGroupNames=[out["Group"]])["AutoScalingGroups"] == []


DB_SECURITY_GROUP = """
Resources:
  Legacy:
    Type: AWS::RDS::DBSecurityGroup
    Properties:
      GroupDescription: classic access
      DBSecurityGroupIngress: [{CIDRIP: 10.0.0.0/16}]
"""


def test_db_security_group_fails_with_rds_refusal(cfn, stack_name):
    stack_id = cfn.create_stack(StackName=stack_name, TemplateBody=DB_SECURITY_GROUP, OnFailure="DELETE")[
        "StackId"
    ]
    stack = settle(cfn, stack_id)
    assert stack["StackStatus"] == "DELETE_COMPLETE"
    events = cfn.describe_stack_events(StackName=stack["StackId"])["StackEvents"]
    failed = [
        e for e in events if e["LogicalResourceId"] == "Legacy" and e["ResourceStatus"] == "CREATE_FAILED"
    ]
    assert "Non-VPC DB Security Groups can no longer be created" in failed[0]["ResourceStatusReason"]


def _self_signed(common_name: str, *, ca: bool = False) -> tuple[bytes, bytes, Any]:
    """(certificate PEM, PKCS8 key PEM, key) for `common_name`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
    )
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    certificate = builder.sign(key, hashes.SHA256())
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM), private, key


def _crl(ca_key: Any, serials: tuple[int, ...]) -> bytes:
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Test CA")])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(name)
        .last_update(now)
        .next_update(now + datetime.timedelta(days=1))
    )
    for serial in serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build()
        )
    return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


ELB_TEMPLATE = """
Parameters:
  SubnetA: {Type: String}
  SubnetB: {Type: String}
  DefaultCert: {Type: String}
  ExtraCert: {Type: String}
  Bucket: {Type: String}
  BundleKey: {Type: String}
  Team: {Type: String}
Resources:
  Alb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Subnets: [!Ref SubnetA, !Ref SubnetB]
  Https:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Alb
      Protocol: HTTPS
      Port: 443
      Certificates: [{CertificateArn: !Ref DefaultCert}]
      DefaultActions: [{Type: fixed-response, FixedResponseConfig: {StatusCode: '200'}}]
  Extra:
    Type: AWS::ElasticLoadBalancingV2::ListenerCertificate
    Properties:
      ListenerArn: !Ref Https
      Certificates: [{CertificateArn: !Ref ExtraCert}]
  Store:
    Type: AWS::ElasticLoadBalancingV2::TrustStore
    Properties:
      CaCertificatesBundleS3Bucket: !Ref Bucket
      CaCertificatesBundleS3Key: !Ref BundleKey
      Tags: [{Key: team, Value: !Ref Team}]
  Revoked:
    Type: AWS::ElasticLoadBalancingV2::TrustStoreRevocation
    Properties:
      TrustStoreArn: !Ref Store
      RevocationContents: [{S3Bucket: !Ref Bucket, S3Key: crl.pem, RevocationType: CRL}]
Outputs:
  Listener: {Value: !Ref Https}
  Store: {Value: !Ref Store}
  StoreArn: {Value: !GetAtt Store.TrustStoreArn}
  StoreStatus: {Value: !GetAtt Store.Status}
  StoreCount: {Value: !GetAtt Store.NumberOfCaCertificates}
  Revoked: {Value: !Ref Revoked}
  RevocationId: {Value: !GetAtt Revoked.RevocationId}
"""


def test_listener_certificate_and_trust_store(cfn, client, stack_name):
    elb, acm, s3, ec2 = (client(name) for name in ("elbv2", "acm", "s3", "ec2"))
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    subnet_a, subnet_b = sorted({s["AvailabilityZone"]: s["SubnetId"] for s in subnets}.values())[:2]
    certificates = []
    for common_name in ("app.example.com", "api.example.com", "admin.example.com"):
        cert, key, _ = _self_signed(common_name)
        certificates.append(acm.import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"])
    bucket = f"trust-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    ca, _, ca_key = _self_signed("Test CA", ca=True)
    other_ca, _, _ = _self_signed("Other CA", ca=True)
    s3.put_object(Bucket=bucket, Key="one.pem", Body=ca)
    s3.put_object(Bucket=bucket, Key="two.pem", Body=ca + other_ca)
    s3.put_object(Bucket=bucket, Key="crl.pem", Body=_crl(ca_key, (1001, 1002, 1003)))

    def parameters(extra: str, bundle: str, team: str) -> list[dict[str, str]]:
        given = {
            "SubnetA": subnet_a,
            "SubnetB": subnet_b,
            "DefaultCert": certificates[0],
            "ExtraCert": extra,
            "Bucket": bucket,
            "BundleKey": bundle,
            "Team": team,
        }
        return [{"ParameterKey": k, "ParameterValue": v} for k, v in given.items()]

    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=ELB_TEMPLATE,
        Parameters=parameters(certificates[1], "one.pem", "a"),
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)
    listed = elb.describe_listener_certificates(ListenerArn=out["Listener"])["Certificates"]
    assert {(c["CertificateArn"], c["IsDefault"]) for c in listed} == {
        (certificates[0], True),
        (certificates[1], False),
    }
    assert out["Store"] == out["StoreArn"]
    store = elb.describe_trust_stores(TrustStoreArns=[out["Store"]])["TrustStores"][0]
    assert (out["StoreStatus"], out["StoreCount"]) == ("ACTIVE", "1")
    assert store["NumberOfCaCertificates"] == 1
    assert store["Name"].startswith(stack_name[:10])
    tags = elb.describe_tags(ResourceArns=[out["Store"]])["TagDescriptions"][0]["Tags"]
    assert {"Key": "team", "Value": "a"} in tags
    revocations = elb.describe_trust_store_revocations(TrustStoreArn=out["Store"])["TrustStoreRevocations"]
    assert [(r["RevocationId"], r["NumberOfRevokedEntries"]) for r in revocations] == [
        (int(out["RevocationId"]), 3)
    ]
    assert out["Revoked"] == f"{out['RevocationId']}|{out['Store']}"

    cfn.update_stack(
        StackName=stack_name,
        TemplateBody=ELB_TEMPLATE,
        Parameters=parameters(certificates[2], "two.pem", "b"),
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert outputs(stack)["Store"] == out["Store"]  # the bundle changes in place
    assert outputs(stack)["StoreCount"] == "2"
    listed = elb.describe_listener_certificates(ListenerArn=out["Listener"])["Certificates"]
    assert {c["CertificateArn"] for c in listed} == {certificates[0], certificates[2]}
    tags = elb.describe_tags(ResourceArns=[out["Store"]])["TagDescriptions"][0]["Tags"]
    assert {"Key": "team", "Value": "b"} in tags

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError) as gone:
        elb.describe_trust_stores(TrustStoreArns=[out["Store"]])
    assert gone.value.response["Error"]["Code"] == "TrustStoreNotFound"
    with pytest.raises(ClientError) as gone:
        elb.describe_listener_certificates(ListenerArn=out["Listener"])
    assert gone.value.response["Error"]["Code"] == "ListenerNotFound"


DNSSEC_TEMPLATE = """
Parameters:
  Domain: {Type: String}
  Status: {Type: String, Default: ACTIVE}
Resources:
  SigningKey:
    Type: AWS::KMS::Key
    Properties:
      KeySpec: ECC_NIST_P256
      KeyUsage: SIGN_VERIFY
      KeyPolicy:
        Version: '2012-10-17'
        Statement:
          - {Effect: Allow, Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}, Action: "kms:*", Resource: "*"}
          - {Effect: Allow, Principal: {Service: dnssec-route53.amazonaws.com}, Action: ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"], Resource: "*"}
  Zone:
    Type: AWS::Route53::HostedZone
    Properties: {Name: !Ref Domain}
  Ksk:
    Type: AWS::Route53::KeySigningKey
    Properties:
      HostedZoneId: !Ref Zone
      Name: primary_ksk
      Status: !Ref Status
      KeyManagementServiceArn: !GetAtt SigningKey.Arn
  Signing:
    Type: AWS::Route53::DNSSEC
    DependsOn: Ksk
    Properties: {HostedZoneId: !Ref Zone}
Outputs:
  Zone: {Value: !Ref Zone}
  Ksk: {Value: !Ref Ksk}
  Signing: {Value: !Ref Signing}
  KeyArn: {Value: !GetAtt SigningKey.Arn}
"""


def test_key_signing_key_and_dnssec(cfn, client, stack_name):
    route53 = client("route53")
    domain = f"sec{uuid.uuid4().hex[:6]}.test"
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=DNSSEC_TEMPLATE,
        Parameters=[{"ParameterKey": "Domain", "ParameterValue": domain}],
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)
    zone = out["Zone"]
    assert out["Ksk"] == f"{zone}|primary_ksk"
    assert out["Signing"] == zone
    dnssec = route53.get_dnssec(HostedZoneId=zone)
    assert dnssec["Status"]["ServeSignature"] == "SIGNING"
    [key] = dnssec["KeySigningKeys"]
    assert (key["Name"], key["Status"], key["KmsArn"]) == ("primary_ksk", "ACTIVE", out["KeyArn"])

    # The only active key of a signing zone cannot be deactivated: the update fails and rolls back.
    cfn.update_stack(
        StackName=stack_name,
        TemplateBody=DNSSEC_TEMPLATE,
        Parameters=[
            {"ParameterKey": "Domain", "UsePreviousValue": True},
            {"ParameterKey": "Status", "ParameterValue": "INACTIVE"},
        ],
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
    failed = [e for e in events if e["LogicalResourceId"] == "Ksk" and e["ResourceStatus"] == "UPDATE_FAILED"]
    assert "only KSK" in failed[0]["ResourceStatusReason"]
    assert route53.get_dnssec(HostedZoneId=zone)["KeySigningKeys"][0]["Status"] == "ACTIVE"

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError) as gone:
        route53.get_dnssec(HostedZoneId=zone)
    assert gone.value.response["Error"]["Code"] == "NoSuchHostedZone"


CLOUDFRONT_TEMPLATE = """
Parameters:
  Rate: {Type: Number, Default: 10}
  MetricsStatus: {Type: String, Default: Enabled}
  HttpPort: {Type: Number, Default: 80}
  AddressType: {Type: String, Default: ipv4}
  LoadBalancerArn: {Type: String}
Resources:
  Site:
    Type: AWS::S3::Bucket
  Distribution:
    Type: AWS::CloudFront::Distribution
    Properties:
      DistributionConfig:
        Enabled: true
        Origins:
          - {Id: site, DomainName: !GetAtt Site.RegionalDomainName, S3OriginConfig: {OriginAccessIdentity: ""}}
        DefaultCacheBehavior:
          TargetOriginId: site
          ViewerProtocolPolicy: allow-all
          CachePolicyId: 658327ea-f89d-4fab-a63d-7e88639e58f6
  Metrics:
    Type: AWS::CloudFront::MonitoringSubscription
    Properties:
      DistributionId: !Ref Distribution
      MonitoringSubscription:
        RealtimeMetricsSubscriptionConfig: {RealtimeMetricsSubscriptionStatus: !Ref MetricsStatus}
  Stream:
    Type: AWS::Kinesis::Stream
    Properties: {ShardCount: 1}
  LogRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement: [{Effect: Allow, Principal: {Service: cloudfront.amazonaws.com}, Action: sts:AssumeRole}]
  Logs:
    Type: AWS::CloudFront::RealtimeLogConfig
    Properties:
      Name: !Sub "${AWS::StackName}-logs"
      SamplingRate: !Ref Rate
      Fields: [timestamp, c-ip, sc-status]
      EndPoints:
        - StreamType: Kinesis
          KinesisStreamConfig: {RoleArn: !GetAtt LogRole.Arn, StreamArn: !GetAtt Stream.Arn}
  Origin:
    Type: AWS::CloudFront::VpcOrigin
    Properties:
      VpcOriginEndpointConfig:
        Name: !Sub "${AWS::StackName}-origin"
        Arn: !Ref LoadBalancerArn
        HTTPPort: !Ref HttpPort
        OriginProtocolPolicy: http-only
  Addresses:
    Type: AWS::CloudFront::AnycastIpList
    Properties:
      Name: !Sub "${AWS::StackName}-ips"
      IpCount: 3
      IpAddressType: !Ref AddressType
Outputs:
  Distribution: {Value: !Ref Distribution}
  Metrics: {Value: !Ref Metrics}
  Logs: {Value: !Ref Logs}
  LogsArn: {Value: !GetAtt Logs.Arn}
  Origin: {Value: !Ref Origin}
  OriginArn: {Value: !GetAtt Origin.Arn}
  OriginStatus: {Value: !GetAtt Origin.Status}
  Addresses: {Value: !Ref Addresses}
  AddressesArn: {Value: !GetAtt Addresses.AnycastIpList.Arn}
  AddressList: {Value: !Join [",", !GetAtt Addresses.AnycastIpList.AnycastIps]}
"""


def test_cloudfront_logs_metrics_vpc_origin_and_anycast_ips(cfn, client, stack_name):
    cloudfront = client("cloudfront")
    balancer = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/50dc6c495c0c9188"
    given = [{"ParameterKey": "LoadBalancerArn", "ParameterValue": balancer}]
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=CLOUDFRONT_TEMPLATE,
        Parameters=given,
        Capabilities=["CAPABILITY_IAM"],
    )
    stack = settle(cfn, stack_name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)

    assert out["Metrics"] == out["Distribution"]
    subscription = cloudfront.get_monitoring_subscription(DistributionId=out["Distribution"])
    config = subscription["MonitoringSubscription"]["RealtimeMetricsSubscriptionConfig"]
    assert config["RealtimeMetricsSubscriptionStatus"] == "Enabled"

    assert out["Logs"] == out["LogsArn"]
    logs = cloudfront.get_realtime_log_config(ARN=out["Logs"])["RealtimeLogConfig"]
    assert (logs["Name"], logs["SamplingRate"], logs["Fields"]) == (
        f"{stack_name}-logs",
        10,
        ["timestamp", "c-ip", "sc-status"],
    )
    stream = resources(cfn, stack_name)["Stream"]["PhysicalResourceId"]
    assert logs["EndPoints"][0]["StreamType"] == "Kinesis"
    assert logs["EndPoints"][0]["KinesisStreamConfig"]["StreamARN"].endswith(f":stream/{stream}")

    origin = cloudfront.get_vpc_origin(Id=out["Origin"])["VpcOrigin"]
    assert origin["Arn"] == out["OriginArn"]
    assert out["OriginStatus"] == origin["Status"]
    endpoint = origin["VpcOriginEndpointConfig"]
    assert (endpoint["Arn"], endpoint["HTTPPort"], endpoint["OriginProtocolPolicy"]) == (
        balancer,
        80,
        "http-only",
    )

    addresses = cloudfront.get_anycast_ip_list(Id=out["Addresses"])["AnycastIpList"]
    assert addresses["Arn"] == out["AddressesArn"]
    assert out["AddressList"].split(",") == addresses["AnycastIps"]
    assert (addresses["IpCount"], addresses["IpAddressType"]) == (3, "ipv4")

    updated = [
        *given,
        {"ParameterKey": "Rate", "ParameterValue": "50"},
        {"ParameterKey": "MetricsStatus", "ParameterValue": "Disabled"},
        {"ParameterKey": "HttpPort", "ParameterValue": "8080"},
        {"ParameterKey": "AddressType", "ParameterValue": "dualstack"},
    ]
    cfn.update_stack(
        StackName=stack_name,
        TemplateBody=CLOUDFRONT_TEMPLATE,
        Parameters=updated,
        Capabilities=["CAPABILITY_IAM"],
    )
    stack = settle(cfn, stack_name, timeout=120)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert {k: outputs(stack)[k] for k in ("Logs", "Origin", "Addresses")} == {
        k: out[k] for k in ("Logs", "Origin", "Addresses")
    }
    assert cloudfront.get_realtime_log_config(ARN=out["Logs"])["RealtimeLogConfig"]["SamplingRate"] == 50
    subscription = cloudfront.get_monitoring_subscription(DistributionId=out["Distribution"])
    config = subscription["MonitoringSubscription"]["RealtimeMetricsSubscriptionConfig"]
    assert config["RealtimeMetricsSubscriptionStatus"] == "Disabled"
    origin = cloudfront.get_vpc_origin(Id=out["Origin"])["VpcOrigin"]
    assert origin["VpcOriginEndpointConfig"]["HTTPPort"] == 8080
    assert (
        cloudfront.get_anycast_ip_list(Id=out["Addresses"])["AnycastIpList"]["IpAddressType"] == "dualstack"
    )

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"], timeout=180)["StackStatus"] == "DELETE_COMPLETE"
    for call, kwargs, code in (
        (cloudfront.get_realtime_log_config, {"ARN": out["Logs"]}, "NoSuchRealtimeLogConfig"),
        (cloudfront.get_vpc_origin, {"Id": out["Origin"]}, "EntityNotFound"),
        (cloudfront.get_anycast_ip_list, {"Id": out["Addresses"]}, "EntityNotFound"),
        (
            cloudfront.get_monitoring_subscription,
            {"DistributionId": out["Distribution"]},
            "NoSuchDistribution",
        ),
    ):
        with pytest.raises(ClientError) as gone:
            call(**kwargs)
        assert gone.value.response["Error"]["Code"] == code


RTMP_TEMPLATE = """
Resources:
  Media:
    Type: AWS::CloudFront::StreamingDistribution
    Properties:
      StreamingDistributionConfig:
        Comment: media
        Enabled: true
        PriceClass: PriceClass_All
        S3Origin: {DomainName: media.s3.amazonaws.com, OriginAccessIdentity: ""}
        TrustedSigners: {Enabled: false}
"""


def test_streaming_distribution_fails_as_discontinued(cfn, stack_name):
    stack_id = cfn.create_stack(StackName=stack_name, TemplateBody=RTMP_TEMPLATE)["StackId"]
    stack = settle(cfn, stack_id)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
    failed = [
        e for e in events if e["LogicalResourceId"] == "Media" and e["ResourceStatus"] == "CREATE_FAILED"
    ]
    assert "RTMP distributions are no longer supported" in failed[0]["ResourceStatusReason"]
    cfn.delete_stack(StackName=stack_id)
    assert settle(cfn, stack_id)["StackStatus"] == "DELETE_COMPLETE"


ACCOUNT_SETTINGS_TEMPLATE = """
Parameters:
  Days: {Type: Number}
  Filter: {Type: String}
Resources:
  AcmSettings:
    Type: AWS::CertificateManager::Account
    Properties:
      ExpiryEventsConfiguration: {DaysBeforeExpiry: !Ref Days}
  Signing:
    Type: AWS::ECR::SigningConfiguration
    Properties:
      Rules:
        - SigningProfileArn: !Sub "arn:aws:signer:${AWS::Region}:${AWS::AccountId}:/signing-profiles/images"
          RepositoryFilters: [{Filter: !Ref Filter, FilterType: WILDCARD_MATCH}]
Outputs:
  Acm: {Value: !Ref AcmSettings}
  AccountId: {Value: !GetAtt AcmSettings.AccountId}
  Signing: {Value: !Ref Signing}
  RegistryId: {Value: !GetAtt Signing.RegistryId}
"""


def test_acm_account_and_ecr_signing_configuration(endpoint, stack_name):
    import boto3

    # Account-wide settings: a fresh account of their own, so no other test sees them change.
    account = str(uuid.uuid4().int % 10**12).zfill(12)
    session = boto3.session.Session(
        aws_access_key_id=account, aws_secret_access_key="test", region_name="us-east-1"
    )
    cfn, acm, ecr = (session.client(name, endpoint_url=endpoint) for name in ("cloudformation", "acm", "ecr"))
    given = [
        {"ParameterKey": "Days", "ParameterValue": "30"},
        {"ParameterKey": "Filter", "ParameterValue": "prod-*"},
    ]
    cfn.create_stack(StackName=stack_name, TemplateBody=ACCOUNT_SETTINGS_TEMPLATE, Parameters=given)
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)
    assert out == {"Acm": account, "AccountId": account, "Signing": account, "RegistryId": account}
    assert acm.get_account_configuration()["ExpiryEvents"]["DaysBeforeExpiry"] == 30
    rules = ecr.get_signing_configuration()["signingConfiguration"]["rules"]
    assert rules[0]["repositoryFilters"] == [{"filter": "prod-*", "filterType": "WILDCARD_MATCH"}]
    assert rules[0]["signingProfileArn"].endswith("/signing-profiles/images")

    given = [
        {"ParameterKey": "Days", "ParameterValue": "10"},
        {"ParameterKey": "Filter", "ParameterValue": "web-*"},
    ]
    cfn.update_stack(StackName=stack_name, TemplateBody=ACCOUNT_SETTINGS_TEMPLATE, Parameters=given)
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert acm.get_account_configuration()["ExpiryEvents"]["DaysBeforeExpiry"] == 10
    rules = ecr.get_signing_configuration()["signingConfiguration"]["rules"]
    assert rules[0]["repositoryFilters"][0]["filter"] == "web-*"

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert acm.get_account_configuration()["ExpiryEvents"]["DaysBeforeExpiry"] == 45
    with pytest.raises(ClientError) as gone:
        ecr.get_signing_configuration()
    assert gone.value.response["Error"]["Code"] == "SigningConfigurationNotFoundException"


TASK_SET_TEMPLATE = """
Parameters:
  Leader: {Type: String, AllowedValues: [blue, green]}
  GreenScale: {Type: Number}
Conditions:
  BlueFirst: !Equals [!Ref Leader, blue]
Resources:
  Cluster:
    Type: AWS::ECS::Cluster
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ContainerDefinitions: [{Name: web, Image: overcast-test/none:1, Memory: 32}]
  Service:
    Type: AWS::ECS::Service
    Properties:
      Cluster: !Ref Cluster
      DesiredCount: 0
      DeploymentController: {Type: EXTERNAL}
  Blue:
    Type: AWS::ECS::TaskSet
    Properties:
      Cluster: !Ref Cluster
      Service: !Ref Service
      TaskDefinition: !Ref Task
      LaunchType: EC2
      ExternalId: blue
      Scale: {Unit: PERCENT, Value: 100}
  Green:
    Type: AWS::ECS::TaskSet
    Properties:
      Cluster: !Ref Cluster
      Service: !Ref Service
      TaskDefinition: !Ref Task
      LaunchType: EC2
      ExternalId: green
      Scale: {Unit: PERCENT, Value: !Ref GreenScale}
  Primary:
    Type: AWS::ECS::PrimaryTaskSet
    Properties:
      Cluster: !Ref Cluster
      Service: !Ref Service
      TaskSetId: !If [BlueFirst, !GetAtt Blue.Id, !GetAtt Green.Id]
Outputs:
  Cluster: {Value: !Ref Cluster}
  Service: {Value: !Ref Service}
  Blue: {Value: !Ref Blue}
  BlueId: {Value: !GetAtt Blue.Id}
  Green: {Value: !Ref Green}
"""


def test_task_sets_and_primary_task_set(cfn, client, stack_name):
    ecs = client("ecs")

    def parameters(primary: str, green_scale: str) -> list[dict[str, str]]:
        return [
            {"ParameterKey": "Leader", "ParameterValue": primary},
            {"ParameterKey": "GreenScale", "ParameterValue": green_scale},
        ]

    cfn.create_stack(StackName=stack_name, TemplateBody=TASK_SET_TEMPLATE, Parameters=parameters("blue", "0"))
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)
    assert out["Blue"] == out["BlueId"] and out["Blue"].startswith("ecs-svc/")

    def task_sets() -> dict[str, dict]:
        found = ecs.describe_task_sets(cluster=out["Cluster"], service=out["Service"])["taskSets"]
        return {t["externalId"]: t for t in found if t["status"] != "DRAINING"}

    found = task_sets()
    assert {k: (t["id"], t["status"]) for k, t in found.items()} == {
        "blue": (out["Blue"], "PRIMARY"),
        "green": (out["Green"], "ACTIVE"),
    }
    assert found["green"]["scale"] == {"unit": "PERCENT", "value": 0.0}

    cfn.update_stack(
        StackName=stack_name, TemplateBody=TASK_SET_TEMPLATE, Parameters=parameters("green", "100")
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert outputs(stack)["Green"] == out["Green"]  # the scale changes in place
    found = task_sets()
    assert (found["green"]["status"], found["green"]["scale"]["value"]) == ("PRIMARY", 100.0)
    assert found["blue"]["status"] == "ACTIVE"

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError):
        ecs.describe_task_sets(cluster=out["Cluster"], service=out["Service"])


HTTP_API_TEMPLATE = """
Parameters:
  DomainText: {Type: String}
  Certificate: {Type: String}
  Priority: {Type: Number}
  Header: {Type: String}
  StageNote: {Type: String}
Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: !Sub "${AWS::StackName}-api"
      ProtocolType: HTTP
      Target: https://example.com/backend
  Overrides:
    Type: AWS::ApiGatewayV2::ApiGatewayManagedOverrides
    Properties:
      ApiId: !Ref Api
      Route: {OperationName: proxy-everything}
      Integration: {TimeoutInMillis: 12000, Description: the backend}
      Stage: {Description: !Ref StageNote}
  Domain:
    Type: AWS::ApiGatewayV2::DomainName
    Properties:
      DomainName: !Ref DomainText
      DomainNameConfigurations: [{CertificateArn: !Ref Certificate, EndpointType: REGIONAL}]
  Rule:
    Type: AWS::ApiGatewayV2::RoutingRule
    Properties:
      DomainNameArn: !GetAtt Domain.DomainNameArn
      Priority: !Ref Priority
      Conditions: [{MatchHeaders: {AnyOf: [{Header: x-version, ValueGlob: !Ref Header}]}}]
      Actions: [{InvokeApi: {ApiId: !Ref Api, Stage: $default, StripBasePath: false}}]
Outputs:
  Api: {Value: !Ref Api}
  Rule: {Value: !Ref Rule}
  RuleId: {Value: !GetAtt Rule.RoutingRuleId}
  RuleArn: {Value: !GetAtt Rule.RoutingRuleArn}
"""


def test_http_api_overrides_and_routing_rule(cfn, client, stack_name):
    apigw, acm = client("apigatewayv2"), client("acm")
    domain = f"api{uuid.uuid4().hex[:6]}.example.com"
    cert, key, _ = _self_signed(domain)
    certificate = acm.import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]

    def parameters(priority: str, header: str, note: str) -> list[dict[str, str]]:
        given = {"DomainText": domain, "Certificate": certificate, "Priority": priority, "Header": header}
        given["StageNote"] = note
        return [{"ParameterKey": k, "ParameterValue": v} for k, v in given.items()]

    cfn.create_stack(
        StackName=stack_name, TemplateBody=HTTP_API_TEMPLATE, Parameters=parameters("50", "v1", "first")
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)
    api = out["Api"]
    [route] = apigw.get_routes(ApiId=api)["Items"]
    assert (route["RouteKey"], route["OperationName"]) == ("$default", "proxy-everything")
    [integration] = apigw.get_integrations(ApiId=api)["Items"]
    assert (integration["TimeoutInMillis"], integration["Description"]) == (12000, "the backend")
    assert apigw.get_stage(ApiId=api, StageName="$default")["Description"] == "first"

    assert out["Rule"] == out["RuleArn"] and out["RuleArn"].endswith(f"/routingrules/{out['RuleId']}")
    rule = apigw.get_routing_rule(DomainName=domain, RoutingRuleId=out["RuleId"])
    assert rule["Priority"] == 50
    assert rule["Conditions"] == [{"MatchHeaders": {"AnyOf": [{"Header": "x-version", "ValueGlob": "v1"}]}}]
    assert rule["Actions"][0]["InvokeApi"]["ApiId"] == api

    cfn.update_stack(
        StackName=stack_name, TemplateBody=HTTP_API_TEMPLATE, Parameters=parameters("7", "v2", "second")
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert outputs(stack)["RuleId"] == out["RuleId"]  # updated in place
    rule = apigw.get_routing_rule(DomainName=domain, RoutingRuleId=out["RuleId"])
    assert rule["Priority"] == 7
    assert rule["Conditions"][0]["MatchHeaders"]["AnyOf"][0]["ValueGlob"] == "v2"
    assert apigw.get_stage(ApiId=api, StageName="$default")["Description"] == "second"

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError) as gone:
        apigw.get_domain_name(DomainName=domain)
    assert gone.value.response["Error"]["Code"] == "NotFoundException"
    with pytest.raises(ClientError) as gone:
        apigw.get_api(ApiId=api)
    assert gone.value.response["Error"]["Code"] == "NotFoundException"


EKS_TEMPLATE = """
Parameters:
  UseSecond: {Type: String, AllowedValues: ["yes", "no"]}
Conditions:
  Second: !Equals [!Ref UseSecond, "yes"]
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.61.0.0/16}
  SubnetA:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.61.1.0/24, AvailabilityZone: us-east-1a}
  SubnetB:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.61.2.0/24, AvailabilityZone: us-east-1b}
  Cluster:
    Type: AWS::EKS::Cluster
    Properties:
      RoleArn: arn:aws:iam::000000000000:role/eks
      Version: "1.34"
      ResourcesVpcConfig: {SubnetIds: [!Ref SubnetA, !Ref SubnetB]}
  FirstRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement: [{Effect: Allow, Principal: {Service: capabilities.eks.amazonaws.com}, Action: [sts:AssumeRole, sts:TagSession]}]
  SecondRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement: [{Effect: Allow, Principal: {Service: capabilities.eks.amazonaws.com}, Action: [sts:AssumeRole, sts:TagSession]}]
  Kro:
    Type: AWS::EKS::Capability
    Properties:
      ClusterName: !Ref Cluster
      CapabilityName: kro
      Type: KRO
      RoleArn: !If [Second, !GetAtt SecondRole.Arn, !GetAtt FirstRole.Arn]
      DeletePropagationPolicy: RETAIN
Outputs:
  Cluster: {Value: !Ref Cluster}
  Kro: {Value: !Ref Kro}
  KroArn: {Value: !GetAtt Kro.Arn}
  KroStatus: {Value: !GetAtt Kro.Status}
  SecondRole: {Value: !GetAtt SecondRole.Arn}
"""


def test_eks_capability(cfn, client, stack_name):
    eks = client("eks")
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=EKS_TEMPLATE,
        Parameters=[{"ParameterKey": "UseSecond", "ParameterValue": "no"}],
        Capabilities=["CAPABILITY_IAM"],
    )
    stack = settle(cfn, stack_name, timeout=180)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)
    assert out["Kro"] == f"{out['Cluster']}|kro"
    found = eks.describe_capability(clusterName=out["Cluster"], capabilityName="kro")["capability"]
    assert (found["arn"], found["type"], out["KroStatus"]) == (out["KroArn"], "KRO", found["status"])
    assert found["roleArn"] != out["SecondRole"]

    cfn.update_stack(
        StackName=stack_name,
        TemplateBody=EKS_TEMPLATE,
        Parameters=[{"ParameterKey": "UseSecond", "ParameterValue": "yes"}],
        Capabilities=["CAPABILITY_IAM"],
    )
    stack = settle(cfn, stack_name, timeout=180)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert outputs(stack)["KroArn"] == out["KroArn"]  # the role changes in place
    found = eks.describe_capability(clusterName=out["Cluster"], capabilityName="kro")["capability"]
    assert found["roleArn"] == out["SecondRole"]

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"], timeout=180)["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError) as gone:
        eks.describe_capability(clusterName=out["Cluster"], capabilityName="kro")
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"


TENANT_TEMPLATE = """
Parameters:
  TenantDomain: {Type: String}
  GroupIpv6: {Type: String, AllowedValues: ["true", "false"]}
Resources:
  Site:
    Type: AWS::S3::Bucket
  Shared:
    Type: AWS::CloudFront::Distribution
    Properties:
      DistributionConfig:
        Enabled: true
        ConnectionMode: tenant-only
        Origins:
          - {Id: site, DomainName: !GetAtt Site.RegionalDomainName, S3OriginConfig: {OriginAccessIdentity: ""}}
        DefaultCacheBehavior:
          TargetOriginId: site
          ViewerProtocolPolicy: allow-all
          CachePolicyId: 658327ea-f89d-4fab-a63d-7e88639e58f6
  Group:
    Type: AWS::CloudFront::ConnectionGroup
    Properties:
      Name: !Sub "${AWS::StackName}-group"
      Ipv6Enabled: !Ref GroupIpv6
      Enabled: true
  Tenant:
    Type: AWS::CloudFront::DistributionTenant
    Properties:
      DistributionId: !Ref Shared
      Name: !Sub "${AWS::StackName}-tenant"
      Domains: [!Ref TenantDomain]
      ConnectionGroupId: !Ref Group
      Enabled: true
Outputs:
  Distribution: {Value: !Ref Shared}
  Group: {Value: !Ref Group}
  GroupArn: {Value: !GetAtt Group.Arn}
  RoutingEndpoint: {Value: !GetAtt Group.RoutingEndpoint}
  Tenant: {Value: !Ref Tenant}
  TenantArn: {Value: !GetAtt Tenant.Arn}
"""


def test_connection_group_and_distribution_tenant(cfn, client, stack_name):
    cloudfront = client("cloudfront")

    def parameters(domain: str, ipv6: str) -> list[dict[str, str]]:
        return [
            {"ParameterKey": "TenantDomain", "ParameterValue": domain},
            {"ParameterKey": "GroupIpv6", "ParameterValue": ipv6},
        ]

    first, second = (f"{name}{uuid.uuid4().hex[:6]}.example.com" for name in ("shop", "store"))
    cfn.create_stack(StackName=stack_name, TemplateBody=TENANT_TEMPLATE, Parameters=parameters(first, "true"))
    stack = settle(cfn, stack_name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)
    group = cloudfront.get_connection_group(Identifier=out["Group"])["ConnectionGroup"]
    assert (group["Arn"], group["RoutingEndpoint"], group["Ipv6Enabled"]) == (
        out["GroupArn"],
        out["RoutingEndpoint"],
        True,
    )
    tenant = cloudfront.get_distribution_tenant(Identifier=out["Tenant"])["DistributionTenant"]
    assert tenant["Arn"] == out["TenantArn"]
    assert (tenant["DistributionId"], tenant["ConnectionGroupId"]) == (out["Distribution"], out["Group"])
    assert [d["Domain"] for d in tenant["Domains"]] == [first]

    cfn.update_stack(
        StackName=stack_name, TemplateBody=TENANT_TEMPLATE, Parameters=parameters(second, "false")
    )
    stack = settle(cfn, stack_name, timeout=120)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert {k: outputs(stack)[k] for k in ("Group", "Tenant")} == {k: out[k] for k in ("Group", "Tenant")}
    assert cloudfront.get_connection_group(Identifier=out["Group"])["ConnectionGroup"]["Ipv6Enabled"] is False
    tenant = cloudfront.get_distribution_tenant(Identifier=out["Tenant"])["DistributionTenant"]
    assert [d["Domain"] for d in tenant["Domains"]] == [second]

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"], timeout=180)["StackStatus"] == "DELETE_COMPLETE"
    for call, identifier in (
        (cloudfront.get_distribution_tenant, out["Tenant"]),
        (cloudfront.get_connection_group, out["Group"]),
    ):
        with pytest.raises(ClientError) as gone:
            call(Identifier=identifier)
        assert gone.value.response["Error"]["Code"] == "EntityNotFound"


MTLS_TEMPLATE = """
Parameters:
  Bucket: {Type: String}
  BundleKey: {Type: String}
  Allowed: {Type: String}
Resources:
  Store:
    Type: AWS::CloudFront::TrustStore
    Properties:
      Name: !Sub "${AWS::StackName}-ts"
      CaCertificatesBundleSource:
        CaCertificatesBundleS3Location: {Bucket: !Ref Bucket, Key: !Ref BundleKey, Region: us-east-1}
  Gate:
    Type: AWS::CloudFront::ConnectionFunction
    Properties:
      Name: !Sub "${AWS::StackName}-gate"
      AutoPublish: true
      ConnectionFunctionConfig: {Comment: sni gate, Runtime: cloudfront-js-2.0}
      ConnectionFunctionCode: !Sub "function handler(connection) { return {allow: connection.sni === '${Allowed}'}; }"
Outputs:
  Store: {Value: !Ref Store}
  StoreArn: {Value: !GetAtt Store.Arn}
  StoreCount: {Value: !GetAtt Store.NumberOfCaCertificates}
  Gate: {Value: !Ref Gate}
  GateArn: {Value: !GetAtt Gate.ConnectionFunctionArn}
  GateStage: {Value: !GetAtt Gate.Stage}
"""


def test_cloudfront_trust_store_and_connection_function(cfn, client, stack_name):
    cloudfront, s3 = client("cloudfront"), client("s3")
    bucket = f"mtls-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    first_ca, _, _ = _self_signed("First CA", ca=True)
    second_ca, _, _ = _self_signed("Second CA", ca=True)
    s3.put_object(Bucket=bucket, Key="one.pem", Body=first_ca)
    s3.put_object(Bucket=bucket, Key="two.pem", Body=first_ca + second_ca)

    def parameters(key: str, allowed: str) -> list[dict[str, str]]:
        given = {"Bucket": bucket, "BundleKey": key, "Allowed": allowed}
        return [{"ParameterKey": k, "ParameterValue": v} for k, v in given.items()]

    def allows(function_id: str, sni: str) -> bool:
        etag = cloudfront.describe_connection_function(Identifier=function_id, Stage="LIVE")["ETag"]
        result = cloudfront.test_connection_function(
            Id=function_id, IfMatch=etag, Stage="LIVE", ConnectionObject=json.dumps({"sni": sni}).encode()
        )["ConnectionFunctionTestResult"]
        return bool(json.loads(result["ConnectionFunctionOutput"])["allow"])

    cfn.create_stack(
        StackName=stack_name, TemplateBody=MTLS_TEMPLATE, Parameters=parameters("one.pem", "a.example.com")
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)
    store = cloudfront.get_trust_store(Identifier=out["Store"])["TrustStore"]
    assert (store["Arn"], store["NumberOfCaCertificates"], out["StoreCount"]) == (out["StoreArn"], 1, "1")
    summary = cloudfront.describe_connection_function(Identifier=out["Gate"], Stage="LIVE")[
        "ConnectionFunctionSummary"
    ]
    assert (summary["ConnectionFunctionArn"], out["GateStage"]) == (out["GateArn"], "LIVE")
    assert allows(out["Gate"], "a.example.com") and not allows(out["Gate"], "b.example.com")

    cfn.update_stack(
        StackName=stack_name, TemplateBody=MTLS_TEMPLATE, Parameters=parameters("two.pem", "b.example.com")
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert outputs(stack)["Store"] == out["Store"] and outputs(stack)["StoreCount"] == "2"
    assert cloudfront.get_trust_store(Identifier=out["Store"])["TrustStore"]["NumberOfCaCertificates"] == 2
    assert allows(out["Gate"], "b.example.com") and not allows(out["Gate"], "a.example.com")

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    for call, kwargs in (
        (cloudfront.get_trust_store, {"Identifier": out["Store"]}),
        (cloudfront.describe_connection_function, {"Identifier": out["Gate"]}),
    ):
        with pytest.raises(ClientError) as gone:
            call(**kwargs)
        assert gone.value.response["Error"]["Code"] == "EntityNotFound"


CONTINUOUS_TEMPLATE = """
Parameters:
  Weight: {Type: Number}
Resources:
  Site:
    Type: AWS::S3::Bucket
  Staging:
    Type: AWS::CloudFront::Distribution
    Properties:
      DistributionConfig:
        Enabled: true
        Staging: true
        Origins:
          - {Id: site, DomainName: !GetAtt Site.RegionalDomainName, S3OriginConfig: {OriginAccessIdentity: ""}}
        DefaultCacheBehavior:
          TargetOriginId: site
          ViewerProtocolPolicy: allow-all
          CachePolicyId: 658327ea-f89d-4fab-a63d-7e88639e58f6
  Policy:
    Type: AWS::CloudFront::ContinuousDeploymentPolicy
    Properties:
      ContinuousDeploymentPolicyConfig:
        Enabled: true
        StagingDistributionDnsNames: [!GetAtt Staging.DomainName]
        TrafficConfig:
          Type: SingleWeight
          SingleWeightConfig:
            Weight: !Ref Weight
            SessionStickinessConfig: {IdleTTL: 300, MaximumTTL: 600}
Outputs:
  Policy: {Value: !Ref Policy}
  PolicyId: {Value: !GetAtt Policy.Id}
  StagingDomain: {Value: !GetAtt Staging.DomainName}
"""


def test_continuous_deployment_policy(cfn, client, stack_name):
    cloudfront = client("cloudfront")
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=CONTINUOUS_TEMPLATE,
        Parameters=[{"ParameterKey": "Weight", "ParameterValue": "0.05"}],
    )
    stack = settle(cfn, stack_name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)
    assert out["Policy"] == out["PolicyId"]
    config = cloudfront.get_continuous_deployment_policy(Id=out["Policy"])["ContinuousDeploymentPolicy"][
        "ContinuousDeploymentPolicyConfig"
    ]
    assert config["StagingDistributionDnsNames"] == {"Quantity": 1, "Items": [out["StagingDomain"]]}
    weight = config["TrafficConfig"]["SingleWeightConfig"]
    assert (config["TrafficConfig"]["Type"], weight["Weight"]) == ("SingleWeight", 0.05)
    assert weight["SessionStickinessConfig"] == {"IdleTTL": 300, "MaximumTTL": 600}

    cfn.update_stack(
        StackName=stack_name,
        TemplateBody=CONTINUOUS_TEMPLATE,
        Parameters=[{"ParameterKey": "Weight", "ParameterValue": "0.1"}],
    )
    stack = settle(cfn, stack_name, timeout=120)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert outputs(stack)["Policy"] == out["Policy"]
    config = cloudfront.get_continuous_deployment_policy(Id=out["Policy"])["ContinuousDeploymentPolicy"][
        "ContinuousDeploymentPolicyConfig"
    ]
    assert config["TrafficConfig"]["SingleWeightConfig"]["Weight"] == 0.1

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"], timeout=180)["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError) as gone:
        cloudfront.get_continuous_deployment_policy(Id=out["Policy"])
    assert gone.value.response["Error"]["Code"] == "NoSuchContinuousDeploymentPolicy"


DAEMON_TEMPLATE = """
Parameters:
  Image: {Type: String}
Resources:
  Cluster:
    Type: AWS::ECS::Cluster
  Instances:
    Type: AWS::ECS::CapacityProvider
    Properties:
      AutoScalingGroupProvider:
        AutoScalingGroupArn: !Sub "arn:aws:autoscaling:${AWS::Region}:${AWS::AccountId}:autoScalingGroup:1:autoScalingGroupName/${AWS::StackName}"
  Agent:
    Type: AWS::ECS::DaemonTaskDefinition
    Properties:
      ContainerDefinitions: [{Name: agent, Image: !Ref Image, Memory: "32"}]
  Daemon:
    Type: AWS::ECS::Daemon
    Properties:
      ClusterArn: !GetAtt Cluster.Arn
      DaemonName: agent
      DaemonTaskDefinitionArn: !Ref Agent
      CapacityProviderArns: [!GetAtt Instances.Arn]
Outputs:
  Agent: {Value: !Ref Agent}
  AgentArn: {Value: !GetAtt Agent.DaemonTaskDefinitionArn}
  Daemon: {Value: !Ref Daemon}
  DaemonArn: {Value: !GetAtt Daemon.DaemonArn}
  DaemonStatus: {Value: !GetAtt Daemon.DaemonStatus}
  Deployment: {Value: !GetAtt Daemon.DeploymentArn}
"""


def test_daemon_and_daemon_task_definition(cfn, client, stack_name):
    ecs = client("ecs")
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=DAEMON_TEMPLATE,
        Parameters=[{"ParameterKey": "Image", "ParameterValue": "busybox:1"}],
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)
    assert out["Agent"] == out["AgentArn"] and out["Daemon"] == out["DaemonArn"]
    definition = ecs.describe_daemon_task_definition(daemonTaskDefinition=out["Agent"])[
        "daemonTaskDefinition"
    ]
    assert definition["containerDefinitions"][0]["image"] == "busybox:1"
    daemon = ecs.describe_daemon(daemonArn=out["Daemon"])["daemon"]
    assert (daemon["status"], out["DaemonStatus"], daemon["deploymentArn"]) == (
        "ACTIVE",
        "ACTIVE",
        out["Deployment"],
    )

    cfn.update_stack(
        StackName=stack_name,
        TemplateBody=DAEMON_TEMPLATE,
        Parameters=[{"ParameterKey": "Image", "ParameterValue": "busybox:2"}],
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    updated = outputs(stack)
    assert updated["Daemon"] == out["Daemon"]  # the daemon is deployed again, not replaced
    assert updated["Agent"] != out["Agent"]  # a new definition replaces the old
    definition = ecs.describe_daemon_task_definition(daemonTaskDefinition=updated["Agent"])[
        "daemonTaskDefinition"
    ]
    assert definition["containerDefinitions"][0]["image"] == "busybox:2"
    assert updated["Deployment"] != out["Deployment"]
    deployment = ecs.describe_daemon_deployments(daemonDeploymentArns=[updated["Deployment"]])[
        "daemonDeployments"
    ][0]
    assert deployment["status"] == "SUCCESSFUL"
    old = ecs.describe_daemon_task_definition(daemonTaskDefinition=out["Agent"])["daemonTaskDefinition"]
    assert old["status"] == "DELETE_IN_PROGRESS"  # the replaced revision is deleted

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert ecs.describe_daemon(daemonArn=out["Daemon"])["daemon"]["status"] == "DELETE_IN_PROGRESS"


GLOBAL_CACHE_TEMPLATE = """
Parameters:
  Note: {Type: String}
Resources:
  Primary:
    Type: AWS::ElastiCache::ReplicationGroup
    Properties:
      ReplicationGroupDescription: primary cache
      Engine: redis
      CacheNodeType: cache.t3.micro
      NumCacheClusters: 1
  Global:
    Type: AWS::ElastiCache::GlobalReplicationGroup
    Properties:
      GlobalReplicationGroupIdSuffix: !Sub "${AWS::StackName}-g"
      GlobalReplicationGroupDescription: !Ref Note
      Members: [{ReplicationGroupId: !Ref Primary, ReplicationGroupRegion: !Ref "AWS::Region", Role: PRIMARY}]
Outputs:
  Primary: {Value: !Ref Primary}
  Global: {Value: !Ref Global}
  GlobalId: {Value: !GetAtt Global.GlobalReplicationGroupId}
  Status: {Value: !GetAtt Global.Status}
"""


def test_elasticache_global_replication_group(cfn, client, stack_name):
    elasticache = client("elasticache")
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=GLOBAL_CACHE_TEMPLATE,
        Parameters=[{"ParameterKey": "Note", "ParameterValue": "first"}],
    )
    stack = settle(cfn, stack_name, timeout=180)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)
    assert out["Global"] == out["GlobalId"] and out["Global"].endswith(f"-{stack_name}-g")
    found = elasticache.describe_global_replication_groups(
        GlobalReplicationGroupId=out["Global"], ShowMemberInfo=True
    )["GlobalReplicationGroups"][0]
    assert (found["GlobalReplicationGroupDescription"], found["Status"], out["Status"]) == (
        "first",
        "primary-only",
        "primary-only",
    )
    assert [(m["ReplicationGroupId"], m["Role"]) for m in found["Members"]] == [(out["Primary"], "PRIMARY")]

    cfn.update_stack(
        StackName=stack_name,
        TemplateBody=GLOBAL_CACHE_TEMPLATE,
        Parameters=[{"ParameterKey": "Note", "ParameterValue": "second"}],
    )
    stack = settle(cfn, stack_name, timeout=180)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    found = elasticache.describe_global_replication_groups(GlobalReplicationGroupId=out["Global"])[
        "GlobalReplicationGroups"
    ][0]
    assert found["GlobalReplicationGroupDescription"] == "second"

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"], timeout=180)["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError) as gone:
        elasticache.describe_global_replication_groups(GlobalReplicationGroupId=out["Global"])
    assert gone.value.response["Error"]["Code"] == "GlobalReplicationGroupNotFoundFault"


EXPRESS_TEMPLATE = """
Parameters:
  MaxTasks: {Type: Number}
Resources:
  Cluster:
    Type: AWS::ECS::Cluster
  Web:
    Type: AWS::ECS::ExpressGatewayService
    Properties:
      Cluster: !Ref Cluster
      ExecutionRoleArn: !Sub "arn:aws:iam::${AWS::AccountId}:role/ecsTaskExecutionRole"
      InfrastructureRoleArn: !Sub "arn:aws:iam::${AWS::AccountId}:role/ecsInfrastructureRole"
      PrimaryContainer: {Image: overcast-test/none:1, ContainerPort: 8080}
      HealthCheckPath: /health
      ScalingTarget: {MinTaskCount: 0, MaxTaskCount: !Ref MaxTasks}
Outputs:
  Web: {Value: !Ref Web}
  WebArn: {Value: !GetAtt Web.ServiceArn}
  Status: {Value: !GetAtt Web.Status.StatusCode}
"""


def test_express_gateway_service(cfn, client, stack_name):
    ecs = client("ecs")

    def parameters(count: str) -> list[dict[str, str]]:
        return [{"ParameterKey": "MaxTasks", "ParameterValue": count}]

    cfn.create_stack(StackName=stack_name, TemplateBody=EXPRESS_TEMPLATE, Parameters=parameters("4"))
    stack = settle(cfn, stack_name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)
    assert (out["Web"], out["Status"]) == (out["WebArn"], "ACTIVE")
    service = ecs.describe_express_gateway_service(serviceArn=out["Web"])["service"]
    config = service["activeConfigurations"][0]
    assert (config["healthCheckPath"], config["scalingTarget"]["maxTaskCount"]) == ("/health", 4)
    assert config["primaryContainer"]["image"] == "overcast-test/none:1"

    cfn.update_stack(StackName=stack_name, TemplateBody=EXPRESS_TEMPLATE, Parameters=parameters("6"))
    stack = settle(cfn, stack_name, timeout=120)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert outputs(stack)["Web"] == out["Web"]
    service = ecs.describe_express_gateway_service(serviceArn=out["Web"])["service"]
    assert service["activeConfigurations"][0]["scalingTarget"]["maxTaskCount"] == 6

    cfn.delete_stack(StackName=stack_name)
    deleted = settle(cfn, stack["StackId"], timeout=180)
    events = cfn.describe_stack_events(StackName=stack["StackId"])["StackEvents"]
    reasons = [e.get("ResourceStatusReason") for e in events if e["ResourceStatus"] == "DELETE_FAILED"]
    assert deleted["StackStatus"] == "DELETE_COMPLETE", reasons
    status = ecs.describe_express_gateway_service(serviceArn=out["Web"])["service"]["status"]["statusCode"]
    assert status == "INACTIVE"  # the stack waited for its tasks to drain
