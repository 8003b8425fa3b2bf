"""A group outlives a restart: after Overcast starts again on the same data dir, the group is
still there with its instances, and it goes on replacing an instance terminated outside it."""

from __future__ import annotations

import boto3

from tests.conftest import Server
from tests.integration.autoscaling.conftest import in_service, wait_for


def _clients(endpoint: str):
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    return session.client("autoscaling", endpoint_url=endpoint), session.client("ec2", endpoint_url=endpoint)


def test_group_keeps_capacity_after_a_restart(tmp_path):
    data_dir = str(tmp_path / "data")
    server = Server("--data-dir", data_dir, "--quiet")
    try:
        asg, ec2 = _clients(server.endpoint)
        image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        ec2.create_launch_template(
            LaunchTemplateName="durable", LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro"}
        )
        asg.create_auto_scaling_group(
            AutoScalingGroupName="durable",
            LaunchTemplate={"LaunchTemplateName": "durable"},
            MinSize=2,
            MaxSize=2,
            AvailabilityZones=["us-east-1a"],
        )
        before = wait_for(lambda: in_service(asg, "durable", 2))
    finally:
        server.stop()
    server = Server("--data-dir", data_dir, "--quiet")
    try:
        asg, ec2 = _clients(server.endpoint)
        assert sorted(wait_for(lambda: in_service(asg, "durable", 2))) == sorted(before)
        ec2.terminate_instances(InstanceIds=[before[0]])
        after = wait_for(lambda: (ids := in_service(asg, "durable", 2)) and before[0] not in ids and ids)
        assert before[1] in after
    finally:
        server.stop()
