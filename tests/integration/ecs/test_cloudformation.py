"""ECS's CloudFormation types: a stack with a cluster, a capacity provider and its
association, a task definition and a service, updated and deleted."""

from __future__ import annotations

import json
import uuid

from tests.integration.cloudformation.conftest import outputs, settle


def _template(count: int) -> str:
    return json.dumps(
        {
            "Resources": {
                "Cluster": {
                    "Type": "AWS::ECS::Cluster",
                    "Properties": {"ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]},
                },
                "Provider": {
                    "Type": "AWS::ECS::CapacityProvider",
                    "Properties": {
                        "AutoScalingGroupProvider": {
                            "AutoScalingGroupArn": "arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:1:autoScalingGroupName/a",
                            "ManagedScaling": {"Status": "ENABLED", "TargetCapacity": 90},
                        }
                    },
                },
                "Associations": {
                    "Type": "AWS::ECS::ClusterCapacityProviderAssociations",
                    "Properties": {
                        "Cluster": {"Ref": "Cluster"},
                        "CapacityProviders": ["FARGATE", {"Ref": "Provider"}],
                        "DefaultCapacityProviderStrategy": [{"CapacityProvider": "FARGATE", "Weight": 1}],
                    },
                },
                "TaskDef": {
                    "Type": "AWS::ECS::TaskDefinition",
                    "Properties": {
                        "Family": "cfn-web",
                        "Cpu": "256",
                        "Memory": "512",
                        "NetworkMode": "awsvpc",
                        "RequiresCompatibilities": ["FARGATE"],
                        "ContainerDefinitions": [
                            {
                                "Name": "web",
                                "Image": "overcast-test/none:1",
                                "PortMappings": [{"ContainerPort": 8080}],
                                "Environment": [{"Name": "A", "Value": "1"}],
                                "DockerLabels": {"Keep.Case": "yes"},
                            }
                        ],
                    },
                },
                "Service": {
                    "Type": "AWS::ECS::Service",
                    "DependsOn": "Associations",
                    "Properties": {
                        "Cluster": {"Ref": "Cluster"},
                        "TaskDefinition": {"Ref": "TaskDef"},
                        "DesiredCount": count,
                        "LaunchType": "FARGATE",
                        "NetworkConfiguration": {"AwsvpcConfiguration": {"Subnets": ["subnet-1"]}},
                    },
                },
            },
            "Outputs": {
                "Cluster": {"Value": {"Ref": "Cluster"}},
                "ClusterArn": {"Value": {"Fn::GetAtt": ["Cluster", "Arn"]}},
                "TaskDef": {"Value": {"Ref": "TaskDef"}},
                "Service": {"Value": {"Fn::GetAtt": ["Service", "Name"]}},
                "Provider": {"Value": {"Ref": "Provider"}},
            },
        }
    )


def test_ecs_stack(client):
    cfn, ecs = client("cloudformation"), client("ecs")
    name = f"ecs-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(StackName=name, TemplateBody=_template(0))
    stack = settle(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack
    out = outputs(stack)
    cluster = ecs.describe_clusters(clusters=[out["Cluster"]], include=["SETTINGS"])["clusters"][0]
    assert cluster["clusterArn"] == out["ClusterArn"]
    assert cluster["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert cluster["capacityProviders"] == ["FARGATE", out["Provider"]]
    definition = ecs.describe_task_definition(taskDefinition=out["TaskDef"])["taskDefinition"]
    assert definition["containerDefinitions"][0]["dockerLabels"] == {"Keep.Case": "yes"}
    assert definition["containerDefinitions"][0]["portMappings"][0]["containerPort"] == 8080
    service = ecs.describe_services(cluster=out["Cluster"], services=[out["Service"]])["services"][0]
    assert service["taskDefinition"] == out["TaskDef"]
    cfn.update_stack(
        StackName=name, TemplateBody=_template(0).replace('"TargetCapacity": 90', '"TargetCapacity": 70')
    )
    assert settle(cfn, name)["StackStatus"] == "UPDATE_COMPLETE"
    provider = ecs.describe_capacity_providers(capacityProviders=[out["Provider"]])["capacityProviders"][0]
    assert provider["autoScalingGroupProvider"]["managedScaling"]["targetCapacity"] == 70
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert ecs.describe_clusters(clusters=[out["Cluster"]])["clusters"][0]["status"] == "INACTIVE"
