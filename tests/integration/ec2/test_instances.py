"""Instances: the guide's launch (latest Amazon Linux 2023 image, key pair, security group,
subnet, user data, instance profile, tags), the state machine with its EventBridge notifications,
attributes, status, console output, key pairs, images, launch templates, volumes and snapshots."""

from __future__ import annotations

import base64
import hashlib
import importlib
import json

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization

from tests.integration.ec2.conftest import code, instance, latest_al2023, wait_for, wait_state

_helpers = importlib.import_module("tests.integration.lambda.helpers")
_triggers = importlib.import_module("tests.integration.lambda.test_triggers")

TRUST_EC2 = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def profile(session, endpoint, name: str = "MyInstanceProfile", role: str = "MyRoleName") -> str:
    iam = session.client("iam", endpoint_url=endpoint)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST_EC2)
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
    return name


def test_the_guide_launch(ec2, session, endpoint):
    image = latest_al2023(ec2)
    ssm = session.client("ssm", endpoint_url=endpoint)
    parameter = ssm.get_parameter(
        Name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    )
    assert parameter["Parameter"]["Value"] in {
        i["ImageId"]
        for i in ec2.describe_images(
            Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023*"]}]
        )["Images"]
    }
    ec2.create_key_pair(KeyName="my-key-pair")
    group = ec2.create_security_group(GroupName="web", Description="web")["GroupId"]
    subnet = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][0][
        "SubnetId"
    ]
    name = profile(session, endpoint)
    user_data = "#!/bin/bash\nyum update -y\n"
    launched = ec2.run_instances(
        ImageId=image,
        InstanceType="t3.micro",
        KeyName="my-key-pair",
        SecurityGroupIds=[group],
        SubnetId=subnet,
        IamInstanceProfile={"Name": name},
        UserData=user_data,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web-server"}]}],
        MinCount=1,
        MaxCount=1,
    )
    [started] = launched["Instances"]
    assert started["State"] == {"Code": 0, "Name": "pending"} and started["InstanceId"].startswith("i-")
    assert started["SubnetId"] == subnet and started["SecurityGroups"][0]["GroupId"] == group
    assert started["IamInstanceProfile"]["Arn"].endswith(":instance-profile/MyInstanceProfile")
    running = wait_state(ec2, started["InstanceId"], "running")
    assert running["PublicIpAddress"] and running["PrivateIpAddress"].startswith("172.31.")
    found = ec2.describe_instances(
        Filters=[
            {"Name": "tag:Name", "Values": ["web-server"]},
            {"Name": "instance-state-name", "Values": ["running"]},
        ]
    )
    assert [i["InstanceId"] for r in found["Reservations"] for i in r["Instances"]] == [started["InstanceId"]]
    attribute = ec2.describe_instance_attribute(InstanceId=started["InstanceId"], Attribute="userData")
    assert base64.b64decode(attribute["UserData"]["Value"]).decode() == user_data
    [root] = ec2.describe_volumes(
        Filters=[{"Name": "attachment.instance-id", "Values": [started["InstanceId"]]}]
    )["Volumes"]
    assert root["State"] == "in-use" and root["Attachments"][0]["DeleteOnTermination"] is True
    status = ec2.describe_instance_status(InstanceIds=[started["InstanceId"]])["InstanceStatuses"]
    assert status[0]["InstanceStatus"]["Status"] == "ok"
    output = ec2.get_console_output(InstanceId=started["InstanceId"])["Output"]
    assert "cloud-init" in output


def test_state_machine_protection_and_events(ec2, session, endpoint, account):
    lam = session.client("lambda", endpoint_url=endpoint)
    events = session.client("events", endpoint_url=endpoint)
    _helpers.create(lam, _triggers.RECORDER, FunctionName="notify-ops")
    events.put_rule(
        Name="ec2-stopped",
        EventPattern=json.dumps(
            {
                "source": ["aws.ec2"],
                "detail-type": ["EC2 Instance State-change Notification"],
                "detail": {"state": ["stopped"]},
            }
        ),
        State="ENABLED",
    )
    events.put_targets(
        Rule="ec2-stopped",
        Targets=[{"Id": "1", "Arn": f"arn:aws:lambda:us-east-1:{account}:function:notify-ops"}],
    )
    image = latest_al2023(ec2)
    instance_id = ec2.run_instances(
        ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1, DisableApiTermination=True
    )["Instances"][0]["InstanceId"]
    wait_state(ec2, instance_id, "running")
    with pytest.raises(ClientError) as error:
        ec2.terminate_instances(InstanceIds=[instance_id])
    assert code(error) == "OperationNotPermitted"
    stopping = ec2.stop_instances(InstanceIds=[instance_id])["StoppingInstances"][0]
    assert stopping["PreviousState"]["Name"] == "running" and stopping["CurrentState"]["Name"] == "stopping"
    stopped = wait_state(ec2, instance_id, "stopped")
    assert (
        stopped["StateReason"]["Code"] == "Client.UserInitiatedShutdown" and "PublicIpAddress" not in stopped
    )
    [event] = _triggers.recorded(session.client("logs", endpoint_url=endpoint), "notify-ops")
    assert event["detail"] == {"instance-id": instance_id, "state": "stopped"}
    assert event["source"] == "aws.ec2" and event["account"] == account
    ec2.modify_instance_attribute(InstanceId=instance_id, InstanceType={"Value": "t3.small"})
    ec2.modify_instance_attribute(
        InstanceId=instance_id, InstanceInitiatedShutdownBehavior={"Value": "terminate"}
    )
    assert ec2.describe_instance_attribute(
        InstanceId=instance_id, Attribute="instanceInitiatedShutdownBehavior"
    )["InstanceInitiatedShutdownBehavior"] == {"Value": "terminate"}
    ec2.start_instances(InstanceIds=[instance_id])
    assert wait_state(ec2, instance_id, "running")["InstanceType"] == "t3.small"
    ec2.modify_instance_attribute(InstanceId=instance_id, DisableApiTermination={"Value": False})
    ec2.terminate_instances(InstanceIds=[instance_id])
    gone = wait_state(ec2, instance_id, "terminated")
    assert gone["NetworkInterfaces"] == [] and "PrivateIpAddress" not in gone
    assert (
        ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}])["Volumes"]
        == []
    )


def test_counts_security_groups_by_name_and_bad_input(ec2):
    image = latest_al2023(ec2)
    ec2.create_security_group(GroupName="app", Description="app")
    launched = ec2.run_instances(
        ImageId=image, InstanceType="t3.nano", MinCount=2, MaxCount=3, SecurityGroups=["app"]
    )
    assert len(launched["Instances"]) == 3 and sorted(i["AmiLaunchIndex"] for i in launched["Instances"]) == [
        0,
        1,
        2,
    ]
    assert all(i["SecurityGroups"][0]["GroupName"] == "app" for i in launched["Instances"])
    reservations = ec2.describe_instances(
        Filters=[{"Name": "reservation-id", "Values": [launched["ReservationId"]]}]
    )["Reservations"]
    assert len(reservations) == 1 and len(reservations[0]["Instances"]) == 3
    pages = list(ec2.get_paginator("describe_instances").paginate(PaginationConfig={"PageSize": 5}))
    assert sum(len(r["Instances"]) for p in pages for r in p["Reservations"]) == 3
    for params, expected in (
        ({"ImageId": "ami-12345678", "InstanceType": "t3.micro"}, "InvalidAMIID.NotFound"),
        ({"ImageId": "bogus", "InstanceType": "t3.micro"}, "InvalidAMIID.Malformed"),
        ({"ImageId": image, "InstanceType": "t3.huge"}, "InvalidParameterValue"),
        ({"ImageId": image, "InstanceType": "t4g.micro"}, "InvalidParameterValue"),
        ({"ImageId": image, "InstanceType": "t3.micro", "KeyName": "nope"}, "InvalidKeyPair.NotFound"),
        (
            {"ImageId": image, "InstanceType": "t3.micro", "SubnetId": "subnet-12345678"},
            "InvalidSubnetID.NotFound",
        ),
    ):
        with pytest.raises(ClientError) as error:
            ec2.run_instances(MinCount=1, MaxCount=1, **params)
        assert code(error) == expected, params
    with pytest.raises(ClientError) as error:
        ec2.describe_instances(InstanceIds=["i-1234567890abcdef0"])
    assert code(error) == "InvalidInstanceID.NotFound"
    with pytest.raises(ClientError) as error:
        ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1, DryRun=True)
    assert code(error) == "DryRunOperation"


def test_key_pairs_and_fingerprints(ec2):
    created = ec2.create_key_pair(KeyName="made")
    private = serialization.load_pem_private_key(created["KeyMaterial"].encode(), None)
    pkcs8 = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert created["KeyFingerprint"] == ":".join(f"{b:02x}" for b in hashlib.sha1(pkcs8).digest())
    public = private.public_key()
    line = public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    imported = ec2.import_key_pair(KeyName="imported", PublicKeyMaterial=line)
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert imported["KeyFingerprint"] == ":".join(f"{b:02x}" for b in hashlib.md5(der).digest())
    edwards = ec2.create_key_pair(KeyName="ed", KeyType="ed25519")
    assert edwards["KeyMaterial"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    with pytest.raises(ClientError) as error:
        ec2.create_key_pair(KeyName="made")
    assert code(error) == "InvalidKeyPair.Duplicate"
    pairs = ec2.describe_key_pairs(KeyNames=["imported"], IncludePublicKey=True)["KeyPairs"]
    assert pairs[0]["PublicKey"].startswith("ssh-rsa ") and pairs[0]["KeyType"] == "rsa"
    ec2.delete_key_pair(KeyName="imported")
    with pytest.raises(ClientError) as error:
        ec2.describe_key_pairs(KeyNames=["imported"])
    assert code(error) == "InvalidKeyPair.NotFound"


def test_images_templates_volumes_and_snapshots(ec2):
    image = latest_al2023(ec2)
    template = ec2.create_launch_template(
        LaunchTemplateName="web",
        LaunchTemplateData={
            "ImageId": image,
            "InstanceType": "t3.micro",
            "TagSpecifications": [
                {"ResourceType": "instance", "Tags": [{"Key": "from", "Value": "template"}]}
            ],
        },
    )["LaunchTemplate"]
    version = ec2.create_launch_template_version(
        LaunchTemplateId=template["LaunchTemplateId"],
        SourceVersion="1",
        LaunchTemplateData={"InstanceType": "t3.small"},
    )["LaunchTemplateVersion"]
    assert version["VersionNumber"] == 2 and version["LaunchTemplateData"]["ImageId"] == image
    ec2.modify_launch_template(LaunchTemplateId=template["LaunchTemplateId"], DefaultVersion="2")
    versions = ec2.describe_launch_template_versions(
        LaunchTemplateId=template["LaunchTemplateId"], Versions=["$Default"]
    )["LaunchTemplateVersions"]
    assert versions[0]["VersionNumber"] == 2 and versions[0]["DefaultVersion"] is True
    launched = ec2.run_instances(LaunchTemplate={"LaunchTemplateName": "web"}, MinCount=1, MaxCount=1)[
        "Instances"
    ][0]
    assert launched["InstanceType"] == "t3.small" and launched["Tags"] == [
        {"Key": "from", "Value": "template"},
        {"Key": "aws:ec2launchtemplate:id", "Value": template["LaunchTemplateId"]},
        {"Key": "aws:ec2launchtemplate:version", "Value": "2"},
    ]
    running = wait_state(ec2, launched["InstanceId"], "running")
    zone = running["Placement"]["AvailabilityZone"]
    volume = ec2.create_volume(AvailabilityZone=zone, Size=10, VolumeType="gp3")
    assert volume["State"] == "creating" and volume["Iops"] == 3000
    wait_for(
        lambda: ec2.describe_volumes(VolumeIds=[volume["VolumeId"]])["Volumes"][0]["State"] == "available"
    )
    ec2.attach_volume(VolumeId=volume["VolumeId"], InstanceId=launched["InstanceId"], Device="/dev/sdf")
    wait_for(
        lambda: (
            ec2.describe_volumes(VolumeIds=[volume["VolumeId"]])["Volumes"][0]["Attachments"][0]["State"]
            == "attached"
        )
    )
    with pytest.raises(ClientError) as error:
        ec2.delete_volume(VolumeId=volume["VolumeId"])
    assert code(error) == "VolumeInUse"
    ec2.detach_volume(VolumeId=volume["VolumeId"])
    wait_for(
        lambda: ec2.describe_volumes(VolumeIds=[volume["VolumeId"]])["Volumes"][0]["State"] == "available"
    )
    snapshot = ec2.create_snapshot(VolumeId=volume["VolumeId"], Description="backup")
    wait_for(
        lambda: (
            ec2.describe_snapshots(SnapshotIds=[snapshot["SnapshotId"]])["Snapshots"][0]["State"]
            == "completed"
        )
    )
    ec2.delete_volume(VolumeId=volume["VolumeId"])
    created = ec2.create_image(InstanceId=launched["InstanceId"], Name="my-image")["ImageId"]
    wait_for(lambda: ec2.describe_images(ImageIds=[created])["Images"][0]["State"] == "available")
    mine = ec2.describe_images(Owners=["self"])["Images"]
    assert [i["ImageId"] for i in mine] == [created]
    with pytest.raises(ClientError) as error:
        ec2.create_image(InstanceId=launched["InstanceId"], Name="my-image")
    assert code(error) == "InvalidAMIName.Duplicate"
    ec2.deregister_image(ImageId=created)
    assert ec2.describe_images(Owners=["self"])["Images"] == []
    group = ec2.create_placement_group(GroupName="spread", Strategy="spread")["PlacementGroup"]
    assert (
        group["SpreadLevel"] == "rack"
        and ec2.describe_placement_groups(GroupNames=["spread"])["PlacementGroups"][0]["GroupId"]
        == group["GroupId"]
    )
    assert instance(ec2, launched["InstanceId"])["State"]["Name"] == "running"


def test_public_images_agree_with_ssm_parameters(ec2, session, endpoint):
    ssm = session.client("ssm", endpoint_url=endpoint)
    for name in (
        "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
        "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id",
        "/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base",
    ):
        image_id = ssm.get_parameter(Name=name)["Parameter"]["Value"]
        [image] = ec2.describe_images(ImageIds=[image_id])["Images"]
        assert image["State"] == "available" and image["Public"] is True
    windows = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "platform", "Values": ["windows"]}])[
        "Images"
    ]
    assert windows and all(i["Platform"] == "windows" for i in windows)
    ubuntu = ec2.describe_images(
        Owners=["099720109477"], Filters=[{"Name": "name", "Values": ["ubuntu/images/*noble*"]}]
    )["Images"]
    assert {i["Architecture"] for i in ubuntu} == {"x86_64", "arm64"}
