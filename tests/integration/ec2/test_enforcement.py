"""Under --enforce-iam, EC2 answers UnauthorizedOperation (with an encoded authorization message)
to a caller without permission, and DryRun tells an allowed caller DryRunOperation without doing
anything; instance actions are authorized against the instance's ARN."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError


def _client(server, service: str, key: dict | None = None):
    return boto3.client(
        service,
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"] if key else "test",
        aws_secret_access_key=key["SecretAccessKey"] if key else "test",
    )


def test_unauthorized_operation_and_dry_run(enforced):
    admin, iam = _client(enforced, "ec2"), _client(enforced, "iam")
    image = admin.describe_images(
        Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023*"]}]
    )["Images"][0]["ImageId"]
    instance = admin.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1)[
        "Instances"
    ][0]["InstanceId"]
    user = iam.create_user(UserName=f"ops-{uuid.uuid4().hex[:8]}")["User"]["UserName"]
    iam.put_user_policy(
        UserName=user,
        PolicyName="describe-and-stop-one",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["ec2:DescribeInstances", "ec2:DescribeVpcs"],
                        "Resource": "*",
                    },
                    {
                        "Effect": "Allow",
                        "Action": "ec2:StopInstances",
                        "Resource": f"arn:aws:ec2:us-east-1:000000000000:instance/{instance}",
                    },
                ],
            }
        ),
    )
    key = iam.create_access_key(UserName=user)["AccessKey"]
    ops = _client(enforced, "ec2", key)
    assert ops.describe_instances(InstanceIds=[instance])["Reservations"]
    with pytest.raises(ClientError) as error:
        ops.stop_instances(InstanceIds=[instance], DryRun=True)
    assert error.value.response["Error"]["Code"] == "DryRunOperation"
    with pytest.raises(ClientError) as error:
        ops.create_vpc(CidrBlock="10.0.0.0/16", DryRun=True)
    assert error.value.response["Error"]["Code"] == "UnauthorizedOperation"
    assert "Encoded authorization failure message" in error.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as error:
        ops.terminate_instances(InstanceIds=[instance])
    assert error.value.response["Error"]["Code"] == "UnauthorizedOperation"
    assert (
        admin.describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0]["State"]["Name"]
        != "shutting-down"
    )
