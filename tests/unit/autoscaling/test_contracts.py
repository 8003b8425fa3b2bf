"""What other services rely on: Provider.alarm_fired (CloudWatch calls it for an alarm action
naming a scaling policy: True when the policy exists and will run) and Provider.group_targets
(Elastic Load Balancing reads a group's target groups and in-service instances)."""

from __future__ import annotations

from overcast.context import RequestContext

ACCOUNT, REGION = "000000000000", "us-east-1"
TARGET_GROUP = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef"


def _group(runtime, name: str) -> RequestContext:
    context = RequestContext.internal("autoscaling", ACCOUNT, REGION)
    ec2 = runtime.provider("ec2")
    image = ec2.describe_images(context, {"Owners": ["amazon"]})["Images"][0]["ImageId"]
    ec2.create_launch_template(
        context, {"LaunchTemplateName": f"{name}-lt", "LaunchTemplateData": {"ImageId": image}}
    )
    runtime.provider("autoscaling").create_auto_scaling_group(
        context,
        {
            "AutoScalingGroupName": name,
            "LaunchTemplate": {"LaunchTemplateName": f"{name}-lt"},
            "MinSize": 0,
            "MaxSize": 2,
            "AvailabilityZones": ["us-east-1a"],
            "TargetGroupARNs": [TARGET_GROUP],
        },
    )
    return context


def test_alarm_fired_answers_whether_the_policy_exists(runtime):
    autoscaling = runtime.provider("autoscaling")
    context = _group(runtime, "contract")
    arn = autoscaling.put_scaling_policy(
        context,
        {
            "AutoScalingGroupName": "contract",
            "PolicyName": "up",
            "AdjustmentType": "ChangeInCapacity",
            "ScalingAdjustment": 1,
        },
    )["PolicyARN"]
    alarm = {"AlarmName": "a", "StateValue": "ALARM", "Threshold": 1.0}
    assert autoscaling.alarm_fired(arn, alarm) is True
    missing = arn.replace("policyName/up", "policyName/gone")
    assert autoscaling.alarm_fired(missing, alarm) is False


def test_group_targets(runtime):
    autoscaling = runtime.provider("autoscaling")
    _group(runtime, "targets")
    found = autoscaling.group_targets(ACCOUNT, REGION, "targets")
    assert found == {"TargetGroupARNs": [TARGET_GROUP], "LoadBalancerNames": [], "InstanceIds": []}
    assert autoscaling.group_targets(ACCOUNT, REGION, "absent") is None


def test_application_auto_scaling_alarm_fired(runtime):
    aas = runtime.provider("application-autoscaling")
    context = RequestContext.internal("application-autoscaling", ACCOUNT, REGION)
    key = {
        "ServiceNamespace": "appstream",
        "ResourceId": "fleet/f",
        "ScalableDimension": "appstream:fleet:DesiredCapacity",
    }
    aas.register_scalable_target(context, {**key, "MinCapacity": 1, "MaxCapacity": 3})
    arn = aas.put_scaling_policy(
        context,
        {
            **key,
            "PolicyName": "p",
            "PolicyType": "StepScaling",
            "StepScalingPolicyConfiguration": {
                "AdjustmentType": "ChangeInCapacity",
                "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
            },
        },
    )["PolicyARN"]
    alarm = {"AlarmName": "a", "StateValue": "ALARM", "Threshold": 1.0}
    assert aas.alarm_fired(arn, alarm) is True
    assert aas.alarm_fired(arn.replace("policyName/p", "policyName/q"), alarm) is False
