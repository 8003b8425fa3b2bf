"""Server access logging configuration: stored and validated as S3 does (no log records are
written)."""

from __future__ import annotations

import uuid


def test_logging_round_trip(s3, bucket, aws):
    target = f"cfg-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=target)
    assert s3.get_bucket_logging(Bucket=bucket).keys() == {"ResponseMetadata"}
    # S3 takes the configuration without checking the target's permissions.
    s3.put_bucket_logging(
        Bucket=bucket, BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "log"}}
    )
    assert s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"] == {
        "TargetBucket": target,
        "TargetPrefix": "log",
    }
    grants = [
        {
            "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/s3/LogDelivery"},
            "Permission": permission,
        }
        for permission in ("WRITE", "READ_ACP")
    ]
    s3.put_bucket_logging(
        Bucket=bucket,
        BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "", "TargetGrants": grants}
        },
    )
    assert s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]["TargetGrants"] == grants
    aws("s3api", "put-bucket-logging", "--bucket", bucket, "--bucket-logging-status", "{}")
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)


def test_invalid_logging_targets(s3, client, bucket):
    import pytest
    from botocore.exceptions import ClientError

    def error(source_client, source, target, **extra):
        with pytest.raises(ClientError) as caught:
            source_client.put_bucket_logging(
                Bucket=source,
                BucketLoggingStatus={
                    "LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "log", **extra}
                },
            )
        response = caught.value.response
        return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]

    missing = f"cfg-missing-{uuid.uuid4().hex[:12]}"
    assert error(s3, bucket, missing) == (
        400,
        {
            "Code": "InvalidTargetBucketForLogging",
            "Message": "The target bucket for logging does not exist",
            "TargetBucket": missing,
        },
    )
    west = client("s3", region_name="us-west-2")
    elsewhere, ohio = f"cfg-{uuid.uuid4().hex[:16]}", f"cfg-{uuid.uuid4().hex[:16]}"
    west.create_bucket(Bucket=elsewhere, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    assert error(s3, bucket, elsewhere) == (
        403,
        {
            "Code": "CrossLocationLoggingProhibitted",
            "Message": "Cross S3 location logging not allowed. ",
            "TargetBucketLocation": "us-west-2",
        },
    )
    client("s3", region_name="us-east-2").create_bucket(
        Bucket=ohio, CreateBucketConfiguration={"LocationConstraint": "us-east-2"}
    )
    assert error(s3, ohio, elsewhere)[1] == {
        "Code": "CrossLocationLoggingProhibitted",
        "Message": "Cross S3 location logging not allowed. ",
        "SourceBucketLocation": "us-east-2",
        "TargetBucketLocation": "us-west-2",
    }
    target = f"cfg-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=target)
    bad_grant = [{"Grantee": {"Type": "CanonicalUser", "ID": "0" * 64}, "Permission": "EVERYTHING"}]
    assert error(s3, bucket, target, TargetGrants=bad_grant)[1]["Code"] == "MalformedXML"
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)
