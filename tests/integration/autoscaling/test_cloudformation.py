"""Auto Scaling's and Application Auto Scaling's CloudFormation types: a stack with a launch
configuration, a group, a step policy, a scheduled action and a lifecycle hook, and an ECS
service's scalable target with a target tracking policy; updated and deleted."""

from __future__ import annotations

import json

from tests.integration.autoscaling.conftest import in_service, unique, wait_for
from tests.integration.cloudformation.conftest import outputs, settle


def _template(image: str, subnet: str, desired: int) -> str:
    return json.dumps(
        {
            "Resources": {
                "Config": {
                    "Type": "AWS::AutoScaling::LaunchConfiguration",
                    "Properties": {"ImageId": image, "InstanceType": "t3.micro"},
                },
                "Group": {
                    "Type": "AWS::AutoScaling::AutoScalingGroup",
                    "Properties": {
                        "LaunchConfigurationName": {"Ref": "Config"},
                        "MinSize": "0",
                        "MaxSize": "4",
                        "DesiredCapacity": str(desired),
                        "VPCZoneIdentifier": [subnet],
                        "Tags": [{"Key": "stack", "Value": "yes", "PropagateAtLaunch": "true"}],
                    },
                },
                "StepOut": {
                    "Type": "AWS::AutoScaling::ScalingPolicy",
                    "Properties": {
                        "AutoScalingGroupName": {"Ref": "Group"},
                        "PolicyType": "StepScaling",
                        "AdjustmentType": "ChangeInCapacity",
                        "StepAdjustments": [{"MetricIntervalLowerBound": "0", "ScalingAdjustment": "1"}],
                    },
                },
                "Nightly": {
                    "Type": "AWS::AutoScaling::ScheduledAction",
                    "Properties": {
                        "AutoScalingGroupName": {"Ref": "Group"},
                        "Recurrence": "0 2 * * *",
                        "MinSize": "0",
                    },
                },
                "Hook": {
                    "Type": "AWS::AutoScaling::LifecycleHook",
                    "Properties": {
                        "AutoScalingGroupName": {"Ref": "Group"},
                        "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
                        "HeartbeatTimeout": "60",
                        "DefaultResult": "CONTINUE",
                    },
                },
                "Cluster": {"Type": "AWS::ECS::Cluster"},
                "TaskDef": {
                    "Type": "AWS::ECS::TaskDefinition",
                    "Properties": {
                        "ContainerDefinitions": [
                            {"Name": "web", "Image": "overcast-test/none:1", "Memory": 32}
                        ]
                    },
                },
                "Service": {
                    "Type": "AWS::ECS::Service",
                    "Properties": {
                        "Cluster": {"Ref": "Cluster"},
                        "TaskDefinition": {"Ref": "TaskDef"},
                        "DesiredCount": 0,
                    },
                },
                "Target": {
                    "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
                    "Properties": {
                        "ServiceNamespace": "ecs",
                        "ScalableDimension": "ecs:service:DesiredCount",
                        "ResourceId": {
                            "Fn::Join": [
                                "/",
                                ["service", {"Ref": "Cluster"}, {"Fn::GetAtt": ["Service", "Name"]}],
                            ]
                        },
                        "MinCapacity": 1,
                        "MaxCapacity": 3,
                    },
                },
                "Tracking": {
                    "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
                    "Properties": {
                        "PolicyName": "cpu",
                        "PolicyType": "TargetTrackingScaling",
                        "ScalingTargetId": {"Ref": "Target"},
                        "TargetTrackingScalingPolicyConfiguration": {
                            "TargetValue": 60,
                            "PredefinedMetricSpecification": {
                                "PredefinedMetricType": "ECSServiceAverageCPUUtilization"
                            },
                        },
                    },
                },
            },
            "Outputs": {
                "Group": {"Value": {"Ref": "Group"}},
                "Policy": {"Value": {"Ref": "StepOut"}},
                "PolicyArn": {"Value": {"Fn::GetAtt": ["StepOut", "Arn"]}},
                "Target": {"Value": {"Ref": "Target"}},
                "Cluster": {"Value": {"Ref": "Cluster"}},
                "ServiceName": {"Value": {"Fn::GetAtt": ["Service", "Name"]}},
            },
        }
    )


def test_stack_with_auto_scaling_resources(client, asg, image, subnets):
    cfn = client("cloudformation")
    ecs = client("ecs")
    aas = client("application-autoscaling")
    name = unique("asg-stack")
    cfn.create_stack(StackName=name, TemplateBody=_template(image, subnets[0], 1))
    stack = settle(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)
    group = out["Group"]
    assert out["Policy"] == out["PolicyArn"]
    assert out["Policy"].endswith(
        f":autoScalingGroupName/{group}:policyName/" + out["Policy"].rsplit("/", 1)[-1]
    )
    wait_for(lambda: in_service(asg, group, 1))
    assert [
        a["Recurrence"]
        for a in asg.describe_scheduled_actions(AutoScalingGroupName=group)["ScheduledUpdateGroupActions"]
    ] == ["0 2 * * *"]
    hooks = asg.describe_lifecycle_hooks(AutoScalingGroupName=group)["LifecycleHooks"]
    assert hooks[0]["LifecycleTransition"] == "autoscaling:EC2_INSTANCE_TERMINATING"
    resource_id, dimension, namespace = out["Target"].split("|")
    assert (dimension, namespace) == ("ecs:service:DesiredCount", "ecs")
    service = ecs.describe_services(cluster=out["Cluster"], services=[out["ServiceName"]])["services"][0]
    assert service["desiredCount"] == 1  # brought up to the target's minimum
    policies = aas.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource_id)[
        "ScalingPolicies"
    ]
    assert [p["PolicyName"] for p in policies] == ["cpu"]
    assert len(policies[0]["Alarms"]) == 2

    cfn.update_stack(StackName=name, TemplateBody=_template(image, subnets[0], 2))
    assert settle(cfn, name)["StackStatus"] == "UPDATE_COMPLETE"
    wait_for(lambda: in_service(asg, group, 2))

    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE"
    assert asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"] == []
    assert (
        aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource_id])["ScalableTargets"]
        == []
    )
