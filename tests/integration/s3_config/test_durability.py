"""Bucket configuration survives kill -9 and comes back on restart, caches included."""

from __future__ import annotations

import json

import boto3

from tests.conftest import Server


def client_for(server: Server):
    return boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )


def test_configuration_survives_kill_and_restart(tmp_path):
    data = str(tmp_path / "data")
    server = Server("--data-dir", data, "--quiet")
    try:
        s3 = client_for(server)
        s3.create_bucket(Bucket="durable-config")
        policy = json.dumps(
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::durable-config/*",
                    }
                ]
            }
        )
        s3.put_public_access_block(
            Bucket="durable-config",
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": False,
                "RestrictPublicBuckets": False,
            },
        )
        s3.put_bucket_policy(Bucket="durable-config", Policy=policy)
        s3.put_bucket_tagging(Bucket="durable-config", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
        s3.put_object(Bucket="durable-config", Key="o", Body=b"x", Tagging="t=1")
    finally:
        server.stop(kill=True)
    server = Server("--data-dir", data, "--quiet")
    try:
        s3 = client_for(server)
        assert s3.get_bucket_policy(Bucket="durable-config")["Policy"] == policy
        assert s3.get_public_access_block(Bucket="durable-config")["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        }
        assert s3.get_bucket_tagging(Bucket="durable-config")["TagSet"] == [{"Key": "k", "Value": "v"}]
        assert s3.get_object_tagging(Bucket="durable-config", Key="o")["TagSet"] == [
            {"Key": "t", "Value": "1"}
        ]
    finally:
        server.stop()
