"""EC2's Python interface to other services (load balancers, Auto Scaling, VPC-attached
resources): subnets, VPCs, instances and security groups as Describe shows them, the default
VPC, and CloudFormation's system tags."""

from __future__ import annotations

from overcast.context import RequestContext

ACCOUNT, REGION = "000000000000", "us-east-1"


def test_lookups_answer_as_describe_does(runtime):
    ec2 = runtime.provider("ec2")
    context = RequestContext.internal("ec2", ACCOUNT, REGION)
    vpc_id = ec2.default_vpc_id(ACCOUNT, REGION)
    assert vpc_id is not None and ec2.find_vpc(ACCOUNT, REGION, vpc_id)["CidrBlock"] == "172.31.0.0/16"
    subnet = ec2.describe_subnets(context, {})["Subnets"][0]
    assert ec2.find_subnet(ACCOUNT, REGION, subnet["SubnetId"]) == subnet
    group = ec2.describe_security_groups(context, {})["SecurityGroups"][0]
    assert ec2.find_security_group(ACCOUNT, REGION, group["GroupId"]) == group
    assert ec2.find_subnet(ACCOUNT, REGION, "subnet-00000000") is None
    assert ec2.find_instance(ACCOUNT, REGION, "i-00000000") is None
    assert ec2.default_vpc_id("111111111111", "eu-west-1") != vpc_id
    ec2.tag_as_system(ACCOUNT, REGION, vpc_id, [{"Key": "aws:cloudformation:stack-name", "Value": "s"}])
    assert {"Key": "aws:cloudformation:stack-name", "Value": "s"} in ec2.find_vpc(ACCOUNT, REGION, vpc_id)[
        "Tags"
    ]
