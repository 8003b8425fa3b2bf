"""Scaling that happens on its own: policies run by CloudWatch alarms and ExecutePolicy, target
tracking's alarms, scheduled actions that fire, lifecycle hooks that wait and notify, the
EventBridge events, instance refresh."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.integration.autoscaling.conftest import group_of, in_service, unique, wait_for


def _group(asg, template, subnets, **extra) -> str:
    name = unique(extra.pop("prefix", "scale"))
    asg.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"]},
        VPCZoneIdentifier=subnets[0],
        **{"MinSize": 1, "MaxSize": 5, "DesiredCapacity": 1, **extra},
    )
    return name


def test_alarm_in_alarm_state_runs_a_step_policy(asg, cloudwatch, template, subnets):
    name = _group(asg, template, subnets, prefix="step")
    wait_for(lambda: in_service(asg, name, 1))
    policy = asg.put_scaling_policy(
        AutoScalingGroupName=name,
        PolicyName="out",
        PolicyType="StepScaling",
        AdjustmentType="ChangeInCapacity",
        StepAdjustments=[
            {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 20, "ScalingAdjustment": 1},
            {"MetricIntervalLowerBound": 20, "ScalingAdjustment": 2},
        ],
    )
    assert ":scalingPolicy:" in policy["PolicyARN"]
    assert policy["PolicyARN"].endswith(f":autoScalingGroupName/{name}:policyName/out")
    alarm = unique("cpu-high")
    cloudwatch.put_metric_alarm(
        AlarmName=alarm,
        Namespace="AWS/EC2",
        MetricName="CPUUtilization",
        Dimensions=[{"Name": "AutoScalingGroupName", "Value": name}],
        Statistic="Average",
        Period=60,
        EvaluationPeriods=1,
        Threshold=70,
        ComparisonOperator="GreaterThanThreshold",
        AlarmActions=[policy["PolicyARN"]],
    )
    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="testing")
    wait_for(lambda: group_of(asg, name)["DesiredCapacity"] == 2)
    wait_for(lambda: in_service(asg, name, 2))
    activities = asg.describe_scaling_activities(AutoScalingGroupName=name)["Activities"]
    assert (
        f"a monitor alarm {alarm} in state ALARM triggered policy out changing the desired capacity from 1 to 2"
        in (activities[0]["Cause"])
    )
    history = cloudwatch.describe_alarm_history(AlarmName=alarm, HistoryItemType="Action")[
        "AlarmHistoryItems"
    ]
    assert history[0]["HistorySummary"] == f"Successfully executed action {policy['PolicyARN']}"


def test_execute_policy_and_simple_scaling_cooldown(asg, template, subnets):
    name = _group(asg, template, subnets, prefix="simple")
    asg.put_scaling_policy(
        AutoScalingGroupName=name,
        PolicyName="double",
        AdjustmentType="PercentChangeInCapacity",
        ScalingAdjustment=100,
        Cooldown=300,
    )
    asg.execute_policy(AutoScalingGroupName=name, PolicyName="double")
    assert group_of(asg, name)["DesiredCapacity"] == 2
    with pytest.raises(ClientError) as excinfo:
        asg.execute_policy(AutoScalingGroupName=name, PolicyName="double", HonorCooldown=True)
    assert excinfo.value.response["Error"]["Code"] == "ScalingActivityInProgress"
    asg.execute_policy(AutoScalingGroupName=name, PolicyName="double")
    assert group_of(asg, name)["DesiredCapacity"] == 4
    asg.put_scaling_policy(
        AutoScalingGroupName=name,
        PolicyName="steps",
        PolicyType="StepScaling",
        AdjustmentType="ExactCapacity",
        StepAdjustments=[{"MetricIntervalUpperBound": 0, "ScalingAdjustment": 1}],
    )
    asg.execute_policy(AutoScalingGroupName=name, PolicyName="steps", MetricValue=10, BreachThreshold=20)
    assert group_of(asg, name)["DesiredCapacity"] == 1
    with pytest.raises(ClientError) as excinfo:
        asg.put_scaling_policy(
            AutoScalingGroupName=name,
            PolicyName="gappy",
            PolicyType="StepScaling",
            AdjustmentType="ChangeInCapacity",
            StepAdjustments=[
                {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 10, "ScalingAdjustment": 1},
                {"MetricIntervalLowerBound": 20, "ScalingAdjustment": 2},
            ],
        )
    assert excinfo.value.response["Error"]["Code"] == "ValidationError"
    names = [p["PolicyName"] for p in asg.describe_policies(AutoScalingGroupName=name)["ScalingPolicies"]]
    assert sorted(names) == ["double", "steps"]
    asg.delete_policy(AutoScalingGroupName=name, PolicyName="double")
    assert [p["PolicyName"] for p in asg.describe_policies(AutoScalingGroupName=name)["ScalingPolicies"]] == [
        "steps"
    ]


def test_target_tracking_creates_and_deletes_its_alarms(asg, cloudwatch, template, subnets):
    name = _group(asg, template, subnets, prefix="track", DesiredCapacity=0, MinSize=0)
    out = asg.put_scaling_policy(
        AutoScalingGroupName=name,
        PolicyName="cpu50",
        PolicyType="TargetTrackingScaling",
        TargetTrackingConfiguration={
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
            "TargetValue": 50.0,
        },
    )
    names = sorted(a["AlarmName"] for a in out["Alarms"])
    assert names[0].startswith(f"TargetTracking-{name}-AlarmHigh-")
    assert names[1].startswith(f"TargetTracking-{name}-AlarmLow-")
    alarms = {a["AlarmName"]: a for a in cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"]}
    high = alarms[names[0]]
    assert (high["MetricName"], high["Namespace"], high["Threshold"]) == ("CPUUtilization", "AWS/EC2", 50.0)
    assert high["ComparisonOperator"] == "GreaterThanThreshold"
    assert high["AlarmActions"] == [out["PolicyARN"]]
    assert alarms[names[1]]["Threshold"] == 45.0
    assert high["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": name}]
    cloudwatch.set_alarm_state(AlarmName=names[0], StateValue="ALARM", StateReason="hot")
    wait_for(lambda: group_of(asg, name)["DesiredCapacity"] == 1)
    asg.delete_policy(AutoScalingGroupName=name, PolicyName="cpu50")
    assert cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"] == []


def test_scheduled_action_fires(asg, template, subnets):
    name = _group(asg, template, subnets, prefix="sched", MinSize=0, DesiredCapacity=0)
    start = datetime.now(UTC) + timedelta(seconds=3)
    asg.put_scheduled_update_group_action(
        AutoScalingGroupName=name,
        ScheduledActionName="morning",
        StartTime=start,
        DesiredCapacity=2,
        MinSize=1,
    )
    asg.put_scheduled_update_group_action(
        AutoScalingGroupName=name, ScheduledActionName="weekdays", Recurrence="0 8 * * 1-5", MinSize=1
    )
    actions = {
        a["ScheduledActionName"]: a
        for a in asg.describe_scheduled_actions(AutoScalingGroupName=name)["ScheduledUpdateGroupActions"]
    }
    assert actions["weekdays"]["Recurrence"] == "0 8 * * 1-5"
    assert actions["weekdays"]["StartTime"].hour == 8
    assert ":scheduledUpdateGroupAction:" in actions["morning"]["ScheduledActionARN"]
    wait_for(lambda: group_of(asg, name)["DesiredCapacity"] == 2, timeout=30)
    group = group_of(asg, name)
    assert group["MinSize"] == 1
    wait_for(lambda: in_service(asg, name, 2))
    # A one-time action is gone once it has run; the recurring one stays.
    remaining = asg.describe_scheduled_actions(AutoScalingGroupName=name)["ScheduledUpdateGroupActions"]
    assert [a["ScheduledActionName"] for a in remaining] == ["weekdays"]
    activities = asg.describe_scaling_activities(AutoScalingGroupName=name)["Activities"]
    assert (
        "a scheduled action update of AutoScalingGroup constraints to min: 1, desired: 2"
        in activities[-1]["Cause"]
    )
    with pytest.raises(ClientError) as excinfo:
        asg.put_scheduled_update_group_action(
            AutoScalingGroupName=name, ScheduledActionName="bad", Recurrence="not cron", MinSize=1
        )
    assert excinfo.value.response["Error"]["Code"] == "ValidationError"
    asg.delete_scheduled_action(AutoScalingGroupName=name, ScheduledActionName="weekdays")
    assert asg.describe_scheduled_actions(AutoScalingGroupName=name)["ScheduledUpdateGroupActions"] == []


def test_lifecycle_hooks_wait_notify_and_continue(client, asg, template, subnets):
    sqs = client("sqs")
    events = client("events")
    queue = sqs.create_queue(QueueName=unique("hooks"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    event_queue = sqs.create_queue(QueueName=unique("asg-events"))["QueueUrl"]
    event_arn = sqs.get_queue_attributes(QueueUrl=event_queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    name = _group(asg, template, subnets, prefix="hooked", MinSize=0, DesiredCapacity=0)
    rule = unique("asg-rule")
    events.put_rule(
        Name=rule,
        EventPattern=json.dumps({"source": ["aws.autoscaling"], "detail": {"AutoScalingGroupName": [name]}}),
    )
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": event_arn}])
    asg.put_lifecycle_hook(
        AutoScalingGroupName=name,
        LifecycleHookName="boot",
        LifecycleTransition="autoscaling:EC2_INSTANCE_LAUNCHING",
        NotificationTargetARN=queue_arn,
        RoleARN="arn:aws:iam::000000000000:role/hooks",
        HeartbeatTimeout=300,
        NotificationMetadata="hello",
    )
    hooks = asg.describe_lifecycle_hooks(AutoScalingGroupName=name)["LifecycleHooks"]
    assert hooks[0]["DefaultResult"] == "ABANDON"
    assert hooks[0]["GlobalTimeout"] == 30000
    test_message = json.loads(sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5)["Messages"][0]["Body"])
    assert test_message["Event"] == "autoscaling:TEST_NOTIFICATION"
    asg.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=1)
    waiting = wait_for(
        lambda: [i for i in group_of(asg, name)["Instances"] if i["LifecycleState"] == "Pending:Wait"]
    )
    instance = waiting[0]["InstanceId"]

    def hook_message():
        for message in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", []):
            body = json.loads(message["Body"])
            if body.get("LifecycleTransition"):
                return body
        return None

    body = wait_for(hook_message)
    assert body["EC2InstanceId"] == instance
    assert body["LifecycleHookName"] == "boot"
    assert body["NotificationMetadata"] == "hello"
    asg.record_lifecycle_action_heartbeat(
        AutoScalingGroupName=name, LifecycleHookName="boot", LifecycleActionToken=body["LifecycleActionToken"]
    )
    asg.complete_lifecycle_action(
        AutoScalingGroupName=name,
        LifecycleHookName="boot",
        LifecycleActionToken=body["LifecycleActionToken"],
        LifecycleActionResult="CONTINUE",
    )
    assert wait_for(lambda: in_service(asg, name, 1)) == [instance]
    with pytest.raises(ClientError) as excinfo:
        asg.complete_lifecycle_action(
            AutoScalingGroupName=name,
            LifecycleHookName="boot",
            LifecycleActionToken=body["LifecycleActionToken"],
            LifecycleActionResult="CONTINUE",
        )
    assert excinfo.value.response["Error"]["Code"] == "ValidationError"
    kinds: set[str] = set()

    def seen_events():
        for message in sqs.receive_message(QueueUrl=event_queue, WaitTimeSeconds=1).get("Messages", []):
            kinds.add(json.loads(message["Body"])["detail-type"])
        return {"EC2 Instance-launch Lifecycle Action", "EC2 Instance Launch Successful"} <= kinds

    wait_for(seen_events)


def test_instance_refresh_replaces_instances(asg, ec2, image, template, subnets):
    name = _group(asg, template, subnets, prefix="refresh", DesiredCapacity=2)
    before = wait_for(lambda: in_service(asg, name, 2))
    newer = ec2.create_launch_template(
        LaunchTemplateName=unique("refresh-lt"),
        LaunchTemplateData={"ImageId": image, "InstanceType": "t3.large"},
    )["LaunchTemplate"]
    refresh = asg.start_instance_refresh(
        AutoScalingGroupName=name,
        DesiredConfiguration={
            "LaunchTemplate": {"LaunchTemplateId": newer["LaunchTemplateId"], "Version": "$Latest"}
        },
        Preferences={"MinHealthyPercentage": 50},
    )["InstanceRefreshId"]
    with pytest.raises(ClientError) as excinfo:
        asg.start_instance_refresh(AutoScalingGroupName=name)
    assert excinfo.value.response["Error"]["Code"] == "InstanceRefreshInProgress"

    def finished():
        found = asg.describe_instance_refreshes(AutoScalingGroupName=name, InstanceRefreshIds=[refresh])
        status = found["InstanceRefreshes"][0]
        return status if status["Status"] == "Successful" else None

    status = wait_for(finished, timeout=60)
    assert status["PercentageComplete"] == 100
    after = wait_for(lambda: in_service(asg, name, 2))
    assert not set(after) & set(before)
    reservations = ec2.describe_instances(InstanceIds=after)["Reservations"]
    assert {i["InstanceType"] for r in reservations for i in r["Instances"]} == {"t3.large"}


def test_warm_pool_and_notifications_are_kept(client, asg, template, subnets):
    sns = client("sns")
    topic = sns.create_topic(Name=unique("asg-topic"))["TopicArn"]
    name = _group(asg, template, subnets, prefix="warm", MinSize=0, DesiredCapacity=0)
    asg.put_warm_pool(AutoScalingGroupName=name, MinSize=1, PoolState="Stopped")
    pool = asg.describe_warm_pool(AutoScalingGroupName=name)
    assert pool["WarmPoolConfiguration"] == {"MinSize": 1, "PoolState": "Stopped"}
    asg.delete_warm_pool(AutoScalingGroupName=name)
    assert "WarmPoolConfiguration" not in asg.describe_warm_pool(AutoScalingGroupName=name)
    asg.put_notification_configuration(
        AutoScalingGroupName=name, TopicARN=topic, NotificationTypes=["autoscaling:EC2_INSTANCE_LAUNCH"]
    )
    found = asg.describe_notification_configurations(AutoScalingGroupNames=[name])[
        "NotificationConfigurations"
    ]
    assert found == [
        {
            "AutoScalingGroupName": name,
            "TopicARN": topic,
            "NotificationType": "autoscaling:EC2_INSTANCE_LAUNCH",
        }
    ]
    asg.attach_load_balancer_target_groups(
        AutoScalingGroupName=name,
        TargetGroupARNs=[
            "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef"
        ],
    )
    assert (
        asg.describe_load_balancer_target_groups(AutoScalingGroupName=name)["LoadBalancerTargetGroups"][0][
            "State"
        ]
        == "Added"
    )
    assert group_of(asg, name)["TargetGroupARNs"][0].endswith("targetgroup/web/0123456789abcdef")
