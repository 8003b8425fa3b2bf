"""More resource types of services Overcast already has: RDS option groups and global
clusters, ElastiCache cache security groups and their ingress, Route 53 CIDR collections and an
Auto Scaling group's warm pool. Each is created by a stack, read back through its service,
updated in place and deleted with the stack; the EC2-Classic DB security group fails its stack
with RDS's own refusal."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

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
