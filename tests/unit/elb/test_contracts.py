"""What other services rely on: classic ELB's register_instances and deregister_instances
(Auto Scaling groups that name classic load balancers)."""

from __future__ import annotations

import pytest

from overcast.context import RequestContext
from overcast.errors import ServiceError

ACCOUNT, REGION = "111122223333", "eu-west-1"


def test_register_and_deregister_instances(runtime):
    elb, ec2 = runtime.provider("elb"), runtime.provider("ec2")
    context = RequestContext.internal("elb", ACCOUNT, REGION)
    ec2_context = RequestContext.internal("ec2", ACCOUNT, REGION)
    zone = ec2.describe_availability_zones(ec2_context, {})["AvailabilityZones"][0]["ZoneName"]
    elb.create_load_balancer(
        context,
        {
            "LoadBalancerName": "asg",
            "Listeners": [{"Protocol": "TCP", "LoadBalancerPort": 80, "InstancePort": 80}],
            "AvailabilityZones": [zone],
        },
    )
    image = ec2.describe_images(ec2_context, {"Owners": ["amazon"]})["Images"][0]["ImageId"]
    instance = ec2.run_instances(
        ec2_context, {"ImageId": image, "MinCount": 1, "MaxCount": 1, "InstanceType": "t3.micro"}
    )
    instance_id = instance["Instances"][0]["InstanceId"]
    elb.register_instances(ACCOUNT, REGION, "asg", [instance_id])
    described = elb.describe_load_balancers(context, {"LoadBalancerNames": ["asg"]})[
        "LoadBalancerDescriptions"
    ][0]
    assert described["Instances"] == [{"InstanceId": instance_id}]
    elb.deregister_instances(ACCOUNT, REGION, "asg", [instance_id, "i-0000000000000000f"])
    described = elb.describe_load_balancers(context, {"LoadBalancerNames": ["asg"]})[
        "LoadBalancerDescriptions"
    ][0]
    assert described["Instances"] == []
    with pytest.raises(ServiceError) as error:
        elb.register_instances(ACCOUNT, REGION, "asg", ["i-0000000000000000f"])
    assert error.value.code == "InvalidInstance"
