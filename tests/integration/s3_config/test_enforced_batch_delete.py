"""DeleteObjects under --enforce-iam: S3 authorizes it key by key (s3:DeleteObject on each
object), and answers a key it may not delete in the response's Errors."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError


def client(endpoint: str, service: str, key: str = "test", secret: str = "test"):
    session = boto3.session.Session(
        aws_access_key_id=key, aws_secret_access_key=secret, region_name="us-east-1"
    )
    return session.client(service, endpoint_url=endpoint)


def keys_of(s3, bucket: str) -> list[str]:
    return [entry["Key"] for entry in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_a_denied_key_is_an_error_of_the_batch(enforced):
    s3 = client(enforced.endpoint, "s3")
    bucket = f"enf-del-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyDelete",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:DeleteObject",
                        "Resource": f"arn:aws:s3:::{bucket}/locked/*",
                    }
                ],
            }
        ),
    )
    for key in ("locked/a", "open/b"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"")

    with pytest.raises(ClientError) as caught:
        s3.delete_object(Bucket=bucket, Key="locked/a")
    assert caught.value.response["Error"]["Code"] == "AccessDenied"

    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "locked/a"}, {"Key": "open/b"}]})
    assert result["Deleted"] == [{"Key": "open/b"}]
    [error] = result["Errors"]
    assert (error["Key"], error["Code"]) == ("locked/a", "AccessDenied")
    assert "explicit deny in a resource-based policy" in error["Message"]
    assert keys_of(s3, bucket) == ["locked/a"]

    s3.delete_bucket_policy(Bucket=bucket)
    assert s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "locked/a"}]})["Deleted"] == [
        {"Key": "locked/a"}
    ]


def test_a_user_allowed_some_keys_deletes_those(enforced):
    root_s3, iam = client(enforced.endpoint, "s3"), client(enforced.endpoint, "iam")
    bucket = f"enf-del-{uuid.uuid4().hex[:12]}"
    root_s3.create_bucket(Bucket=bucket)
    for key in ("tmp/1", "keep/2"):
        root_s3.put_object(Bucket=bucket, Key=key, Body=b"")
    user = f"deleter-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    iam.put_user_policy(
        UserName=user,
        PolicyName="tmp-only",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "s3:DeleteObject",
                        "Resource": f"arn:aws:s3:::{bucket}/tmp/*",
                    }
                ],
            }
        ),
    )
    key = iam.create_access_key(UserName=user)["AccessKey"]
    s3 = client(enforced.endpoint, "s3", key["AccessKeyId"], key["SecretAccessKey"])

    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "tmp/1"}, {"Key": "keep/2"}]})
    assert result["Deleted"] == [{"Key": "tmp/1"}]
    assert [(error["Key"], error["Code"]) for error in result["Errors"]] == [("keep/2", "AccessDenied")]
    assert keys_of(root_s3, bucket) == ["keep/2"]
