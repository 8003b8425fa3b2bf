"""Application Auto Scaling changes the capacity of real resources: an ECS service's desired
count (registration bounds, step policies run by alarms, scheduled actions), a DynamoDB table's
provisioned throughput, target tracking alarms, tags."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_for(check, timeout: float = 30, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting: last value {value!r}")
        time.sleep(interval)


@pytest.fixture(scope="module")
def aas(client):
    return client("application-autoscaling")


@pytest.fixture(scope="module")
def ecs(client):
    return client("ecs")


@pytest.fixture
def service(ecs) -> tuple[str, str]:
    cluster = unique("aas")
    ecs.create_cluster(clusterName=cluster)
    definition = ecs.register_task_definition(
        family=unique("aas"), containerDefinitions=[{"name": "a", "image": "busybox", "memory": 32}]
    )["taskDefinition"]["taskDefinitionArn"]
    name = unique("web")
    ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=definition, desiredCount=0)
    return cluster, name


def _desired(ecs, cluster: str, name: str) -> int:
    return ecs.describe_services(cluster=cluster, services=[name])["services"][0]["desiredCount"]


def test_registering_an_ecs_service_brings_it_into_bounds(aas, ecs, service):
    cluster, name = service
    resource = f"service/{cluster}/{name}"
    arn = aas.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=resource,
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=2,
        MaxCapacity=6,
    )["ScalableTargetARN"]
    assert arn.startswith("arn:aws:application-autoscaling:us-east-1:")
    assert _desired(ecs, cluster, name) == 2
    targets = aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource])["ScalableTargets"]
    assert (targets[0]["MinCapacity"], targets[0]["MaxCapacity"]) == (2, 6)
    assert targets[0]["SuspendedState"] == {
        "DynamicScalingInSuspended": False,
        "DynamicScalingOutSuspended": False,
        "ScheduledScalingSuspended": False,
    }
    activities = aas.describe_scaling_activities(ServiceNamespace="ecs", ResourceId=resource)[
        "ScalingActivities"
    ]
    assert activities[0]["Description"] == "Setting desired count to 2."
    assert (
        activities[0]["StatusMessage"]
        == "Successfully set desired count to 2. Change successfully fulfilled by ecs."
    )
    # Updating one bound keeps the other; the service is brought under the new maximum.
    aas.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=resource,
        ScalableDimension="ecs:service:DesiredCount",
        MaxCapacity=2,
    )
    aas.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=resource,
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
    )
    target = aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource])["ScalableTargets"][
        0
    ]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 2)
    with pytest.raises(ClientError) as excinfo:
        aas.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=f"service/{cluster}/missing",
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=1,
            MaxCapacity=2,
        )
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"
    aas.deregister_scalable_target(
        ServiceNamespace="ecs", ResourceId=resource, ScalableDimension="ecs:service:DesiredCount"
    )
    with pytest.raises(ClientError) as excinfo:
        aas.deregister_scalable_target(
            ServiceNamespace="ecs", ResourceId=resource, ScalableDimension="ecs:service:DesiredCount"
        )
    assert excinfo.value.response["Error"]["Code"] == "ObjectNotFoundException"


def test_alarm_runs_a_step_policy_on_the_ecs_service(aas, ecs, client, service):
    cloudwatch = client("cloudwatch")
    cluster, name = service
    resource = f"service/{cluster}/{name}"
    aas.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=resource,
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=5,
    )
    assert _desired(ecs, cluster, name) == 1
    policy = aas.put_scaling_policy(
        PolicyName="scale-out",
        ServiceNamespace="ecs",
        ResourceId=resource,
        ScalableDimension="ecs:service:DesiredCount",
        PolicyType="StepScaling",
        StepScalingPolicyConfiguration={
            "AdjustmentType": "ChangeInCapacity",
            "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 2}],
            "Cooldown": 60,
            "MetricAggregationType": "Average",
        },
    )["PolicyARN"]
    assert f":resource/ecs/{resource}:policyName/scale-out" in policy
    alarm = unique("ecs-cpu")
    cloudwatch.put_metric_alarm(
        AlarmName=alarm,
        Namespace="AWS/ECS",
        MetricName="CPUUtilization",
        Dimensions=[{"Name": "ClusterName", "Value": cluster}, {"Name": "ServiceName", "Value": name}],
        Statistic="Average",
        Period=60,
        EvaluationPeriods=1,
        Threshold=75,
        ComparisonOperator="GreaterThanThreshold",
        AlarmActions=[policy],
    )
    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="busy")
    wait_for(lambda: _desired(ecs, cluster, name) == 3)
    activities = aas.describe_scaling_activities(ServiceNamespace="ecs", ResourceId=resource)[
        "ScalingActivities"
    ]
    assert f"monitor alarm {alarm} in state ALARM triggered policy scale-out" in activities[0]["Cause"]
    # Inside the policy's 60-second cooldown a second alarm does not scale out again.
    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="calm")
    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="busy again")
    time.sleep(1)
    assert _desired(ecs, cluster, name) == 3
    policies = aas.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource)["ScalingPolicies"]
    assert [p["PolicyName"] for p in policies] == ["scale-out"]
    aas.delete_scaling_policy(
        PolicyName="scale-out",
        ServiceNamespace="ecs",
        ResourceId=resource,
        ScalableDimension="ecs:service:DesiredCount",
    )
    assert aas.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource)["ScalingPolicies"] == []


def test_scheduled_action_changes_the_ecs_service(aas, ecs, service):
    cluster, name = service
    resource = f"service/{cluster}/{name}"
    aas.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=resource,
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=0,
        MaxCapacity=5,
    )
    at = (datetime.now(UTC) + timedelta(seconds=3)).strftime("%Y-%m-%dT%H:%M:%S")
    aas.put_scheduled_action(
        ServiceNamespace="ecs",
        ScheduledActionName="rush",
        ResourceId=resource,
        ScalableDimension="ecs:service:DesiredCount",
        Schedule=f"at({at})",
        ScalableTargetAction={"MinCapacity": 3, "MaxCapacity": 5},
    )
    wait_for(lambda: _desired(ecs, cluster, name) == 3)
    target = aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource])["ScalableTargets"][
        0
    ]
    assert target["MinCapacity"] == 3
    actions = aas.describe_scheduled_actions(ServiceNamespace="ecs", ResourceId=resource)["ScheduledActions"]
    assert actions[0]["Schedule"] == f"at({at})"
    assert ":scheduledAction:" in actions[0]["ScheduledActionARN"]
    with pytest.raises(ClientError) as excinfo:
        aas.put_scheduled_action(
            ServiceNamespace="ecs",
            ScheduledActionName="bad",
            ResourceId=resource,
            ScalableDimension="ecs:service:DesiredCount",
            Schedule="sometimes",
        )
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"
    aas.delete_scheduled_action(
        ServiceNamespace="ecs",
        ScheduledActionName="rush",
        ResourceId=resource,
        ScalableDimension="ecs:service:DesiredCount",
    )
    assert (
        aas.describe_scheduled_actions(ServiceNamespace="ecs", ResourceId=resource)["ScheduledActions"] == []
    )


def test_dynamodb_throughput_and_target_tracking_alarms(aas, client):
    dynamodb = client("dynamodb")
    cloudwatch = client("cloudwatch")
    table = unique("scaled")
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
    )
    aas.register_scalable_target(
        ServiceNamespace="dynamodb",
        ResourceId=f"table/{table}",
        ScalableDimension="dynamodb:table:WriteCapacityUnits",
        MinCapacity=5,
        MaxCapacity=50,
    )
    throughput = dynamodb.describe_table(TableName=table)["Table"]["ProvisionedThroughput"]
    assert (throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]) == (1, 5)
    out = aas.put_scaling_policy(
        PolicyName="writes",
        ServiceNamespace="dynamodb",
        ResourceId=f"table/{table}",
        ScalableDimension="dynamodb:table:WriteCapacityUnits",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 70.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "DynamoDBWriteCapacityUtilization"},
        },
    )
    names = sorted(a["AlarmName"] for a in out["Alarms"])
    assert names[0].startswith(f"TargetTracking-table/{table}-AlarmHigh-")
    assert [n.split(f"table/{table}-")[1].split("-")[0] for n in names] == [
        "AlarmHigh",
        "AlarmLow",
        "ProvisionedCapacityHigh",
        "ProvisionedCapacityLow",
    ]
    alarms = {a["AlarmName"]: a for a in cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"]}
    high = alarms[names[0]]
    # Consumed capacity is a per-minute sum: 70% of 5 units for 60 seconds.
    assert (high["MetricName"], high["Statistic"], high["Threshold"]) == (
        "ConsumedWriteCapacityUnits",
        "Sum",
        210.0,
    )
    assert alarms[names[2]]["MetricName"] == "ProvisionedWriteCapacityUnits"
    assert {a["Namespace"] for a in alarms.values()} == {"AWS/DynamoDB"}
    cloudwatch.set_alarm_state(AlarmName=names[0], StateValue="ALARM", StateReason="busy")
    wait_for(
        lambda: (
            dynamodb.describe_table(TableName=table)["Table"]["ProvisionedThroughput"]["WriteCapacityUnits"]
            > 5
        )
    )
    aas.deregister_scalable_target(
        ServiceNamespace="dynamodb",
        ResourceId=f"table/{table}",
        ScalableDimension="dynamodb:table:WriteCapacityUnits",
    )
    assert cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"] == []


def test_tags_on_scalable_targets(aas):
    resource = "fleet/sample"
    arn = aas.register_scalable_target(
        ServiceNamespace="appstream",
        ResourceId=resource,
        ScalableDimension="appstream:fleet:DesiredCapacity",
        MinCapacity=1,
        MaxCapacity=3,
        Tags={"env": "test"},
    )["ScalableTargetARN"]
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"env": "test"}
    aas.tag_resource(ResourceARN=arn, Tags={"team": "core"})
    aas.untag_resource(ResourceARN=arn, TagKeys=["env"])
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"team": "core"}
    with pytest.raises(ClientError) as excinfo:
        aas.list_tags_for_resource(
            ResourceARN="arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target/0000"
        )
    assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        aas.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId="not-a-service",
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=1,
            MaxCapacity=2,
        )
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"
