"""Under --enforce-iam a Kinesis request is authorized against the stream it names, by name or
ARN, as IAM does for kinesis:* actions."""

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


def test_a_policy_opens_one_stream_only(enforced):
    admin, iam = _client(enforced, "kinesis"), _client(enforced, "iam")
    allowed, other = f"ok-{uuid.uuid4().hex[:8]}", f"no-{uuid.uuid4().hex[:8]}"
    for name in (allowed, other):
        admin.create_stream(StreamName=name, ShardCount=1)
    user = iam.create_user(UserName=f"writer-{uuid.uuid4().hex[:8]}")["User"]["UserName"]
    iam.put_user_policy(
        UserName=user,
        PolicyName="write-one",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["kinesis:PutRecord", "kinesis:DescribeStreamSummary"],
                        "Resource": f"arn:aws:kinesis:us-east-1:000000000000:stream/{allowed}",
                    }
                ],
            }
        ),
    )
    key = iam.create_access_key(UserName=user)["AccessKey"]
    writer = _client(enforced, "kinesis", key)
    writer.put_record(StreamName=allowed, Data=b"x", PartitionKey="k")
    arn = writer.describe_stream_summary(StreamName=allowed)["StreamDescriptionSummary"]["StreamARN"]
    writer.put_record(StreamARN=arn, Data=b"y", PartitionKey="k")
    for call in (
        lambda: writer.put_record(StreamName=other, Data=b"x", PartitionKey="k"),
        lambda: writer.put_record(StreamARN=arn.replace(allowed, other), Data=b"x", PartitionKey="k"),
        lambda: writer.delete_stream(StreamName=allowed),
    ):
        with pytest.raises(ClientError) as refused:
            call()
        assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
