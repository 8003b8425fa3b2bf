"""Groups keep their desired capacity with real EC2 instances: launched from a launch template
or configuration, tagged, replaced when terminated or unhealthy, scaled in and deleted."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.integration.autoscaling.conftest import group_of, in_service, unique, wait_for


def _error(excinfo) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def _running(ec2, ids: list[str]) -> list[dict]:
    reservations = ec2.describe_instances(InstanceIds=ids)["Reservations"]
    return [i for r in reservations for i in r["Instances"]]


def test_group_reaches_desired_capacity_with_real_instances(asg, ec2, template, subnets):
    name = unique("reach")
    asg.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"], "Version": "$Latest"},
        MinSize=1,
        MaxSize=4,
        DesiredCapacity=3,
        VPCZoneIdentifier=",".join(subnets),
        Tags=[
            {"Key": "team", "Value": "blue", "PropagateAtLaunch": True},
            {"Key": "private", "Value": "yes", "PropagateAtLaunch": False},
        ],
    )
    ids = wait_for(lambda: in_service(asg, name, 3))
    instances = _running(ec2, ids)
    assert {i["State"]["Name"] for i in instances} == {"running"}
    assert {i["SubnetId"] for i in instances} == set(subnets)  # spread over the zones
    for instance in instances:
        tags = {t["Key"]: t["Value"] for t in instance["Tags"]}
        assert tags["team"] == "blue"
        assert "private" not in tags
        assert tags["aws:autoscaling:groupName"] == name
    by_tag = ec2.describe_instances(Filters=[{"Name": "tag:aws:autoscaling:groupName", "Values": [name]}])
    assert {i["InstanceId"] for r in by_tag["Reservations"] for i in r["Instances"]} == set(ids)
    group = group_of(asg, name)
    assert group["DesiredCapacity"] == 3
    assert group["AutoScalingGroupARN"].startswith("arn:aws:autoscaling:us-east-1:")
    assert ":autoScalingGroup:" in group["AutoScalingGroupARN"]
    assert group["LaunchTemplate"]["LaunchTemplateName"] == template["LaunchTemplateName"]
    assert sorted(group["AvailabilityZones"]) == sorted(
        {i["Placement"]["AvailabilityZone"] for i in instances}
    )
    details = asg.describe_auto_scaling_instances(InstanceIds=ids)["AutoScalingInstances"]
    assert {d["AutoScalingGroupName"] for d in details} == {name}
    assert {d["HealthStatus"] for d in details} == {"HEALTHY"}
    activities = asg.describe_scaling_activities(AutoScalingGroupName=name)["Activities"]
    launches = [a for a in activities if a["Description"].startswith("Launching a new EC2 instance: i-")]
    assert len(launches) == 3
    assert (
        "a user request created an AutoScalingGroup changing the desired capacity from 0 to 3"
        in launches[0]["Cause"]
    )
    assert all(a["StatusCode"] == "Successful" for a in launches)


def test_terminated_instance_is_replaced(asg, ec2, template, subnets):
    name = unique("replace")
    asg.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateName": template["LaunchTemplateName"], "Version": "$Default"},
        MinSize=2,
        MaxSize=2,
        VPCZoneIdentifier=subnets[0],
    )
    first = wait_for(lambda: in_service(asg, name, 2))
    ec2.terminate_instances(InstanceIds=[first[0]])
    replaced = wait_for(lambda: (ids := in_service(asg, name, 2)) and first[0] not in ids and ids)
    assert first[1] in replaced
    assert {i["State"]["Name"] for i in _running(ec2, replaced)} == {"running"}
    causes = [a["Cause"] for a in asg.describe_scaling_activities(AutoScalingGroupName=name)["Activities"]]
    assert any(
        "an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped"
        in c
        for c in causes
    )


def test_unhealthy_instance_is_replaced(asg, ec2, template, subnets):
    name = unique("health")
    asg.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"]},
        MinSize=1,
        MaxSize=1,
        VPCZoneIdentifier=subnets[0],
    )
    (first,) = wait_for(lambda: in_service(asg, name, 1))
    asg.set_instance_health(InstanceId=first, HealthStatus="Unhealthy", ShouldRespectGracePeriod=False)
    (second,) = wait_for(lambda: (ids := in_service(asg, name, 1)) and ids[0] != first and ids)
    assert second != first
    state = wait_for(lambda: _running(ec2, [first])[0]["State"]["Name"] in ("shutting-down", "terminated"))
    assert state


def test_set_desired_capacity_scales_in_and_out(asg, ec2, template, subnets):
    name = unique("desired")
    asg.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"], "Version": "1"},
        MinSize=0,
        MaxSize=3,
        DesiredCapacity=0,
        VPCZoneIdentifier=",".join(subnets),
        TerminationPolicies=["NewestInstance"],
    )
    assert group_of(asg, name)["Instances"] == []
    asg.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=3)
    ids = wait_for(lambda: in_service(asg, name, 3))
    asg.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=1)
    left = wait_for(lambda: in_service(asg, name, 1))
    assert left[0] in ids
    gone = [i for i in ids if i != left[0]]
    wait_for(lambda: all(i["State"]["Name"] in ("shutting-down", "terminated") for i in _running(ec2, gone)))
    activities = asg.describe_scaling_activities(AutoScalingGroupName=name)["Activities"]
    terminations = [a for a in activities if a["Description"].startswith("Terminating EC2 instance")]
    assert len(terminations) == 2
    assert (
        "a user request explicitly set group desired capacity changing the desired capacity from 3 to 1"
        in (terminations[0]["Cause"])
    )
    assert "was selected for termination" in terminations[0]["Cause"]
    with pytest.raises(ClientError) as excinfo:
        asg.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=4)
    assert _error(excinfo) == (
        "ValidationError",
        "New SetDesiredCapacity value 4 is above max value 3 for the AutoScalingGroup.",
    )


def test_bounds_and_names_are_checked(asg, template, subnets):
    name = unique("bounds")
    spec = {"LaunchTemplateId": template["LaunchTemplateId"]}
    with pytest.raises(ClientError) as excinfo:
        asg.create_auto_scaling_group(
            AutoScalingGroupName=name, LaunchTemplate=spec, MinSize=3, MaxSize=2, VPCZoneIdentifier=subnets[0]
        )
    assert _error(excinfo) == (
        "ValidationError",
        "Max bound, 2, must be greater than or equal to min bound, 3",
    )
    with pytest.raises(ClientError) as excinfo:
        asg.create_auto_scaling_group(
            AutoScalingGroupName=name,
            LaunchTemplate=spec,
            MinSize=1,
            MaxSize=2,
            DesiredCapacity=5,
            VPCZoneIdentifier=subnets[0],
        )
    assert _error(excinfo) == (
        "ValidationError",
        "Desired capacity:5 must be between the specified min size:1 and max size:2",
    )
    with pytest.raises(ClientError) as excinfo:
        asg.create_auto_scaling_group(
            AutoScalingGroupName=name, MinSize=0, MaxSize=1, VPCZoneIdentifier=subnets[0]
        )
    assert "LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy" in _error(excinfo)[1]
    with pytest.raises(ClientError) as excinfo:
        asg.create_auto_scaling_group(
            AutoScalingGroupName=name,
            LaunchTemplate={"LaunchTemplateId": "lt-0123456789abcdef0"},
            MinSize=0,
            MaxSize=1,
            VPCZoneIdentifier=subnets[0],
        )
    assert _error(excinfo)[1].endswith("with template ID lt-0123456789abcdef0, does not exist.")
    with pytest.raises(ClientError) as excinfo:
        asg.create_auto_scaling_group(
            AutoScalingGroupName=name,
            LaunchTemplate=spec,
            MinSize=0,
            MaxSize=1,
            VPCZoneIdentifier="subnet-000000",
        )
    assert _error(excinfo) == ("ValidationError", "The subnet ID 'subnet-000000' does not exist")
    asg.create_auto_scaling_group(
        AutoScalingGroupName=name, LaunchTemplate=spec, MinSize=0, MaxSize=1, VPCZoneIdentifier=subnets[0]
    )
    with pytest.raises(ClientError) as excinfo:
        asg.create_auto_scaling_group(
            AutoScalingGroupName=name, LaunchTemplate=spec, MinSize=0, MaxSize=1, VPCZoneIdentifier=subnets[0]
        )
    assert _error(excinfo)[0] == "AlreadyExists"
    with pytest.raises(ClientError) as excinfo:
        asg.update_auto_scaling_group(AutoScalingGroupName="no-such-group", MaxSize=3)
    assert _error(excinfo)[0] == "ValidationError"
    assert (
        asg.describe_auto_scaling_groups(AutoScalingGroupNames=["no-such-group"])["AutoScalingGroups"] == []
    )


def test_launch_configuration_group_and_force_delete(asg, ec2, image):
    config = unique("lc")
    asg.create_launch_configuration(
        LaunchConfigurationName=config, ImageId=image, InstanceType="t3.small", UserData="echo hi"
    )
    shown = asg.describe_launch_configurations(LaunchConfigurationNames=[config])["LaunchConfigurations"][0]
    assert shown["InstanceType"] == "t3.small"
    assert ":launchConfiguration:" in shown["LaunchConfigurationARN"]
    with pytest.raises(ClientError) as excinfo:
        asg.create_launch_configuration(
            LaunchConfigurationName=config, ImageId=image, InstanceType="t3.small"
        )
    assert _error(excinfo)[0] == "AlreadyExists"
    with pytest.raises(ClientError) as excinfo:
        asg.create_launch_configuration(
            LaunchConfigurationName=unique("lc"), ImageId="ami-00000000000000000", InstanceType="t3.small"
        )
    assert "does not exist" in _error(excinfo)[1]
    name = unique("lcgroup")
    asg.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchConfigurationName=config,
        MinSize=2,
        MaxSize=2,
        AvailabilityZones=["us-east-1a"],
    )
    ids = wait_for(lambda: in_service(asg, name, 2))
    instances = _running(ec2, ids)
    assert {i["InstanceType"] for i in instances} == {"t3.small"}
    assert {i["Placement"]["AvailabilityZone"] for i in instances} == {"us-east-1a"}
    with pytest.raises(ClientError) as excinfo:
        asg.delete_launch_configuration(LaunchConfigurationName=config)
    assert _error(excinfo)[0] == "ResourceInUse"
    with pytest.raises(ClientError) as excinfo:
        asg.delete_auto_scaling_group(AutoScalingGroupName=name)
    assert _error(excinfo)[0] == "ResourceInUse"
    asg.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)
    wait_for(lambda: not asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"])
    assert all(i["State"]["Name"] in ("shutting-down", "terminated") for i in _running(ec2, ids))
    asg.delete_launch_configuration(LaunchConfigurationName=config)
    assert asg.describe_launch_configurations(LaunchConfigurationNames=[config])["LaunchConfigurations"] == []


def test_standby_detach_protection_and_suspended_processes(asg, ec2, template, subnets):
    name = unique("standby")
    asg.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"]},
        MinSize=0,
        MaxSize=4,
        DesiredCapacity=2,
        VPCZoneIdentifier=subnets[0],
    )
    first, second = wait_for(lambda: in_service(asg, name, 2))
    out = asg.enter_standby(
        AutoScalingGroupName=name, InstanceIds=[first], ShouldDecrementDesiredCapacity=True
    )
    assert out["Activities"][0]["Description"] == f"Moving EC2 instance to Standby: {first}"
    group = group_of(asg, name)
    assert group["DesiredCapacity"] == 1
    assert {i["InstanceId"]: i["LifecycleState"] for i in group["Instances"]}[first] == "Standby"
    asg.exit_standby(AutoScalingGroupName=name, InstanceIds=[first])
    assert group_of(asg, name)["DesiredCapacity"] == 2
    asg.detach_instances(AutoScalingGroupName=name, InstanceIds=[second], ShouldDecrementDesiredCapacity=True)
    group = group_of(asg, name)
    assert [i["InstanceId"] for i in group["Instances"]] == [first]
    assert _running(ec2, [second])[0]["State"]["Name"] == "running"  # detached, not terminated
    asg.attach_instances(AutoScalingGroupName=name, InstanceIds=[second])
    assert group_of(asg, name)["DesiredCapacity"] == 2
    asg.set_instance_protection(AutoScalingGroupName=name, InstanceIds=[first], ProtectedFromScaleIn=True)
    asg.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=1)
    assert wait_for(lambda: in_service(asg, name, 1)) == [first]  # the protected one stays
    asg.suspend_processes(AutoScalingGroupName=name, ScalingProcesses=["Launch"])
    suspended = group_of(asg, name)["SuspendedProcesses"]
    assert [p["ProcessName"] for p in suspended] == ["Launch"]
    asg.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=2)
    assert len(group_of(asg, name)["Instances"]) == 1  # launching is suspended
    asg.resume_processes(AutoScalingGroupName=name, ScalingProcesses=["Launch"])
    wait_for(lambda: in_service(asg, name, 2))


def test_tags_and_filters(asg, template, subnets):
    name = unique("tags")
    asg.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"]},
        MinSize=0,
        MaxSize=1,
        VPCZoneIdentifier=subnets[0],
        Tags=[{"Key": "env", "Value": "test", "PropagateAtLaunch": True}],
    )
    asg.create_or_update_tags(
        Tags=[{"ResourceId": name, "ResourceType": "auto-scaling-group", "Key": "owner", "Value": "me"}]
    )
    tags = asg.describe_tags(Filters=[{"Name": "auto-scaling-group", "Values": [name]}])["Tags"]
    assert {(t["Key"], t["Value"], t["PropagateAtLaunch"]) for t in tags} == {
        ("env", "test", True),
        ("owner", "me", False),
    }
    found = asg.describe_auto_scaling_groups(Filters=[{"Name": "tag:owner", "Values": ["me"]}])
    assert name in [g["AutoScalingGroupName"] for g in found["AutoScalingGroups"]]
    asg.delete_tags(Tags=[{"ResourceId": name, "ResourceType": "auto-scaling-group", "Key": "owner"}])
    tags = asg.describe_tags(Filters=[{"Name": "auto-scaling-group", "Values": [name]}])["Tags"]
    assert [t["Key"] for t in tags] == ["env"]


def test_pagination_of_groups(asg, template, subnets):
    prefix = unique("page")
    for n in range(3):
        asg.create_auto_scaling_group(
            AutoScalingGroupName=f"{prefix}-{n}",
            LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"]},
            MinSize=0,
            MaxSize=1,
            VPCZoneIdentifier=subnets[0],
        )
    names = [f"{prefix}-{n}" for n in range(3)]
    first = asg.describe_auto_scaling_groups(AutoScalingGroupNames=names, MaxRecords=2)
    assert len(first["AutoScalingGroups"]) == 2
    rest = asg.describe_auto_scaling_groups(AutoScalingGroupNames=names, NextToken=first["NextToken"])
    assert len(rest["AutoScalingGroups"]) == 1
    assert "NextToken" not in rest


def test_fixed_answers(asg):
    assert {t["AdjustmentType"] for t in asg.describe_adjustment_types()["AdjustmentTypes"]} == {
        "ChangeInCapacity",
        "ExactCapacity",
        "PercentChangeInCapacity",
    }
    limits = asg.describe_account_limits()
    assert limits["MaxNumberOfAutoScalingGroups"] >= limits["NumberOfAutoScalingGroups"]
    assert "Launch" in [p["ProcessName"] for p in asg.describe_scaling_process_types()["Processes"]]
    assert (
        "autoscaling:EC2_INSTANCE_LAUNCH"
        in asg.describe_auto_scaling_notification_types()["AutoScalingNotificationTypes"]
    )
    assert asg.describe_lifecycle_hook_types()["LifecycleHookTypes"] == [
        "autoscaling:EC2_INSTANCE_LAUNCHING",
        "autoscaling:EC2_INSTANCE_TERMINATING",
    ]


def test_a_launch_ec2_refuses_is_a_failed_activity(asg, ec2, image, subnets):
    template = unique("no-type")
    # No instance type: EC2 falls back to m1.small, which it does not offer here.
    ec2.create_launch_template(LaunchTemplateName=template, LaunchTemplateData={"ImageId": image})
    name = unique("failing")
    asg.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateName": template},
        MinSize=1,
        MaxSize=1,
        VPCZoneIdentifier=subnets[0],
    )
    activities = asg.describe_scaling_activities(AutoScalingGroupName=name)["Activities"]
    assert activities[0]["StatusCode"] == "Failed"
    assert activities[0]["Description"].startswith("Launching a new EC2 instance.  Status Reason: ")
    assert activities[0]["StatusMessage"].endswith(". Launching EC2 instance failed.")
    assert group_of(asg, name)["Instances"] == []


def test_in_service_instances_are_registered_with_the_group_s_target_groups(
    asg, ec2, client, template, subnets
):
    elbv2 = client("elbv2")
    vpc = ec2.describe_subnets(SubnetIds=subnets[:1])["Subnets"][0]["VpcId"]
    target_group = elbv2.create_target_group(
        Name=unique("asg-tg"), Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance"
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.modify_target_group_attributes(
        TargetGroupArn=target_group,
        Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "0"}],
    )

    def targets() -> list[str]:
        found = elbv2.describe_target_health(TargetGroupArn=target_group)["TargetHealthDescriptions"]
        return sorted(t["Target"]["Id"] for t in found if t["TargetHealth"]["State"] != "draining")

    name = unique("asg-lb")
    asg.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"]},
        MinSize=0,
        MaxSize=3,
        DesiredCapacity=2,
        VPCZoneIdentifier=subnets[0],
        TargetGroupARNs=[target_group],
    )
    running = wait_for(lambda: in_service(asg, name, 2))
    assert wait_for(lambda: targets() == sorted(running) and targets()) == sorted(running)
    asg.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=1)
    kept = wait_for(lambda: in_service(asg, name, 1))
    assert wait_for(lambda: targets() == sorted(kept) and targets()) == sorted(kept)
    asg.detach_load_balancer_target_groups(AutoScalingGroupName=name, TargetGroupARNs=[target_group])
    wait_for(lambda: targets() == [] or None)
    asg.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)
