"""Health checks cost nothing at idle: a target group has a timer on the scheduler only while
a load balancer uses it and it has targets with health checks enabled."""

from __future__ import annotations

from overcast.context import RequestContext
from overcast.services.elbv2.health import TIMER

ACCOUNT, REGION = "111122223333", "eu-west-1"


def test_timer_only_while_used_and_populated(runtime):
    elbv2, ec2 = runtime.provider("elbv2"), runtime.provider("ec2")
    context = RequestContext.internal("elbv2", ACCOUNT, REGION)
    vpc = ec2.default_vpc_id(ACCOUNT, REGION)
    subnets = ec2.describe_subnets(
        RequestContext.internal("ec2", ACCOUNT, REGION), {"Filters": [{"Name": "vpc-id", "Values": [vpc]}]}
    )["Subnets"]
    lb = elbv2.create_load_balancer(
        context, {"Name": "idle", "Subnets": [s["SubnetId"] for s in subnets[:2]]}
    )
    lb_arn = lb["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elbv2.create_target_group(
        context, {"Name": "idle", "Protocol": "HTTP", "Port": 80, "VpcId": vpc, "TargetType": "ip"}
    )["TargetGroups"][0]["TargetGroupArn"]
    timer = TIMER + tg
    scheduler = runtime.scheduler
    target = {"Id": "127.0.0.1", "Port": 9, "AvailabilityZone": "all"}
    elbv2.register_targets(context, {"TargetGroupArn": tg, "Targets": [target]})
    assert scheduler.pending(timer) is None  # no load balancer uses the group yet
    listener = elbv2.create_listener(
        context,
        {
            "LoadBalancerArn": lb_arn,
            "Protocol": "HTTP",
            "Port": 80,
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": tg}],
        },
    )["Listeners"][0]["ListenerArn"]
    assert scheduler.pending(timer) is not None
    elbv2.modify_target_group(context, {"TargetGroupArn": tg, "HealthCheckEnabled": False})
    assert scheduler.pending(timer) is None
    elbv2.modify_target_group(context, {"TargetGroupArn": tg, "HealthCheckEnabled": True})
    assert scheduler.pending(timer) is not None
    elbv2.deregister_targets(context, {"TargetGroupArn": tg, "Targets": [{"Id": "127.0.0.1", "Port": 9}]})
    assert scheduler.pending(timer) is None
    elbv2.register_targets(context, {"TargetGroupArn": tg, "Targets": [target]})
    assert scheduler.pending(timer) is not None
    elbv2.delete_listener(context, {"ListenerArn": listener})
    assert scheduler.pending(timer) is None
    elbv2.create_listener(
        context,
        {
            "LoadBalancerArn": lb_arn,
            "Protocol": "HTTP",
            "Port": 80,
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": tg}],
        },
    )
    assert scheduler.pending(timer) is not None
    elbv2.delete_load_balancer(context, {"LoadBalancerArn": lb_arn})
    assert scheduler.pending(timer) is None
