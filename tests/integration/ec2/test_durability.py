"""EC2's state survives a restart: resources, tags (and their index), and an instance caught
mid-transition finishes it after the restart."""

from __future__ import annotations

import boto3

from tests.conftest import Server
from tests.integration.ec2.conftest import latest_al2023, wait_state


def _ec2(server: Server):
    return boto3.client(
        "ec2",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def test_state_and_transitions_survive_a_restart(tmp_path):
    data = str(tmp_path / "data")
    first = Server("--data-dir", data, "--quiet")
    try:
        ec2 = _ec2(first)
        default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0][
            "VpcId"
        ]
        vpc = ec2.create_vpc(
            CidrBlock="10.9.0.0/16",
            TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "keep", "Value": "me"}]}],
        )["Vpc"]["VpcId"]
        instance = ec2.run_instances(
            ImageId=latest_al2023(ec2), InstanceType="t3.micro", MinCount=1, MaxCount=1
        )["Instances"][0]["InstanceId"]
    finally:
        first.stop(kill=True)
    second = Server("--data-dir", data, "--quiet")
    try:
        ec2 = _ec2(second)
        assert (
            ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
            == default_vpc
        )
        assert [
            v["VpcId"] for v in ec2.describe_vpcs(Filters=[{"Name": "tag:keep", "Values": ["me"]}])["Vpcs"]
        ] == [vpc]
        running = wait_state(ec2, instance, "running")
        assert running["PrivateIpAddress"].startswith("172.31.")
    finally:
        second.stop()
