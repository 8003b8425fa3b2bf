"""What other services rely on: ELBv2's public provider methods. Auto Scaling attaches target
groups by ARN (find_target_group) and registers and deregisters its instances in them
(register_instances, deregister_instances), reading their health (target_health)."""

from __future__ import annotations

import pytest

from overcast.context import RequestContext
from overcast.errors import ServiceError

ACCOUNT, REGION = "111122223333", "eu-west-1"


@pytest.fixture
def setup(runtime):
    elbv2, ec2 = runtime.provider("elbv2"), runtime.provider("ec2")
    context = RequestContext.internal("elbv2", ACCOUNT, REGION)
    vpc = ec2.default_vpc_id(ACCOUNT, REGION)
    tg = elbv2.create_target_group(
        context, {"Name": "asg", "Protocol": "HTTP", "Port": 80, "VpcId": vpc, "TargetType": "ip"}
    )
    return elbv2, tg["TargetGroups"][0]["TargetGroupArn"]


def test_find_target_group(setup):
    elbv2, arn = setup
    found = elbv2.find_target_group(ACCOUNT, REGION, arn)
    assert found is not None and found["TargetGroupArn"] == arn and found["LoadBalancerArns"] == []
    assert elbv2.find_target_group(ACCOUNT, "us-east-1", arn) is None
    assert elbv2.find_target_group(ACCOUNT, REGION, "arn:aws:sqs:eu-west-1:111122223333:q") is None


def test_register_and_deregister_instances(setup):
    elbv2, arn = setup
    elbv2.register_instances(ACCOUNT, REGION, arn, [{"Id": "10.0.0.5", "AvailabilityZone": "all"}])
    health = elbv2.target_health(ACCOUNT, REGION, arn)
    assert [(h["Target"]["Id"], h["Target"]["Port"]) for h in health] == [("10.0.0.5", 80)]
    assert health[0]["TargetHealth"]["State"] == "unused"  # no load balancer uses the group
    elbv2.deregister_instances(ACCOUNT, REGION, arn, [{"Id": "10.0.0.5"}, {"Id": "10.9.9.9"}])
    assert elbv2.target_health(ACCOUNT, REGION, arn) == []
    with pytest.raises(ServiceError) as error:
        elbv2.register_instances(ACCOUNT, REGION, arn, [{"Id": "not-an-ip"}])
    assert error.value.code == "InvalidTarget"
