"""Lifecycle configuration, and rules applied by the worker on a server whose lifecycle day
is one second (OVERCAST_S3_LIFECYCLE_DAY_SECONDS)."""

from __future__ import annotations

import time

import boto3
import pytest

from tests.conftest import Server
from tests.integration.s3_config.conftest import error_code

GUIDE_RULES = {
    "Rules": [
        {
            "ID": "archive-and-expire",
            "Status": "Enabled",
            "Filter": {"Prefix": "logs/"},
            "Transitions": [
                {"Days": 30, "StorageClass": "STANDARD_IA"},
                {"Days": 90, "StorageClass": "GLACIER"},
            ],
            "Expiration": {"Days": 365},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
        }
    ]
}


def test_configuration_round_trip_and_validation(s3, bucket, aws, tmp_path):
    assert error_code(s3.get_bucket_lifecycle_configuration, Bucket=bucket) == (
        "NoSuchLifecycleConfiguration",
        404,
        "The lifecycle configuration does not exist",
    )
    path = tmp_path / "lifecycle.json"
    import json

    path.write_text(json.dumps(GUIDE_RULES))
    aws(
        "s3api",
        "put-bucket-lifecycle-configuration",
        "--bucket",
        bucket,
        "--lifecycle-configuration",
        f"file://{path}",
    )
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert got["Rules"] == GUIDE_RULES["Rules"]
    assert got["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    too_soon = {
        "Rules": [{**GUIDE_RULES["Rules"][0], "Transitions": [{"Days": 5, "StorageClass": "STANDARD_IA"}]}]
    }
    assert error_code(s3.put_bucket_lifecycle_configuration, Bucket=bucket, LifecycleConfiguration=too_soon)[
        :2
    ] == ("InvalidArgument", 400)
    nothing = {"Rules": [{"ID": "x", "Status": "Enabled", "Filter": {}}]}
    assert error_code(
        s3.put_bucket_lifecycle_configuration, Bucket=bucket, LifecycleConfiguration=nothing
    ) == ("InvalidRequest", 400, "At least one action needs to be specified in a rule")
    twice = {
        "Rules": [
            {
                "ID": "twice",
                "Status": "Enabled",
                "Expiration": {"Days": 7},
                "Filter": {"And": {"Tags": [{"Key": "stage", "Value": "a"}, {"Key": "stage", "Value": "b"}]}},
            }
        ]
    }
    assert error_code(s3.put_bucket_lifecycle_configuration, Bucket=bucket, LifecycleConfiguration=twice) == (
        "InvalidRequest",
        400,
        "Duplicate Tag Keys are not allowed.",
    )
    s3.delete_bucket_lifecycle(Bucket=bucket)
    assert error_code(s3.get_bucket_lifecycle_configuration, Bucket=bucket)[:2] == (
        "NoSuchLifecycleConfiguration",
        404,
    )


@pytest.fixture(scope="module")
def fast_s3():
    server = Server("--ephemeral", "--quiet", env={"OVERCAST_S3_LIFECYCLE_DAY_SECONDS": "1"})
    try:
        yield boto3.client(
            "s3",
            endpoint_url=server.endpoint,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name="us-east-1",
        )
    finally:
        server.stop()


def wait_for(condition, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def keys(s3, bucket):
    versions = s3.list_object_versions(Bucket=bucket)
    return sorted((v["Key"], v["IsLatest"]) for v in versions.get("Versions", []))


def test_expiration_and_transition_are_applied(fast_s3):
    s3 = fast_s3
    s3.create_bucket(Bucket="life-expire")
    s3.put_object(Bucket="life-expire", Key="logs/old.log", Body=b"x")
    s3.put_object(Bucket="life-expire", Key="keep/me.txt", Body=b"x")
    s3.put_object(Bucket="life-expire", Key="archive/a.bin", Body=b"x")
    s3.put_bucket_lifecycle_configuration(
        Bucket="life-expire",
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "expire-logs",
                    "Status": "Enabled",
                    "Filter": {"Prefix": "logs/"},
                    "Expiration": {"Days": 2},
                },
                {
                    "ID": "freeze",
                    "Status": "Enabled",
                    "Filter": {"Prefix": "archive/"},
                    "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}],
                },
                {"ID": "off", "Status": "Disabled", "Filter": {"Prefix": "keep/"}, "Expiration": {"Days": 1}},
            ]
        },
    )
    assert wait_for(lambda: ("logs/old.log", True) not in keys(s3, "life-expire"))
    assert wait_for(
        lambda: s3.head_object(Bucket="life-expire", Key="archive/a.bin").get("StorageClass") == "GLACIER"
    )
    assert ("keep/me.txt", True) in keys(s3, "life-expire")


def test_noncurrent_versions_expire(fast_s3):
    s3 = fast_s3
    s3.create_bucket(Bucket="life-versions")
    s3.put_bucket_versioning(Bucket="life-versions", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="life-versions", Key="doc", Body=b"1")
    s3.put_object(Bucket="life-versions", Key="doc", Body=b"2")
    s3.put_bucket_lifecycle_configuration(
        Bucket="life-versions",
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "old-versions",
                    "Status": "Enabled",
                    "Filter": {},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
                },
            ]
        },
    )
    assert wait_for(lambda: keys(s3, "life-versions") == [("doc", True)])
    assert s3.get_object(Bucket="life-versions", Key="doc")["Body"].read() == b"2"


def test_incomplete_uploads_are_aborted_and_lone_delete_markers_removed(fast_s3):
    s3 = fast_s3
    s3.create_bucket(Bucket="life-uploads")
    s3.put_bucket_versioning(Bucket="life-uploads", VersioningConfiguration={"Status": "Enabled"})
    upload = s3.create_multipart_upload(Bucket="life-uploads", Key="big/file.bin")["UploadId"]
    s3.put_object(Bucket="life-uploads", Key="tmp/x", Body=b"x")
    version = s3.head_object(Bucket="life-uploads", Key="tmp/x")["VersionId"]
    s3.delete_object(Bucket="life-uploads", Key="tmp/x")  # a delete marker over the version
    s3.delete_object(Bucket="life-uploads", Key="tmp/x", VersionId=version)  # the marker is alone now
    s3.put_bucket_lifecycle_configuration(
        Bucket="life-uploads",
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "abort",
                    "Status": "Enabled",
                    "Filter": {"Prefix": "big/"},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                },
                {
                    "ID": "markers",
                    "Status": "Enabled",
                    "Filter": {"Prefix": "tmp/"},
                    "Expiration": {"ExpiredObjectDeleteMarker": True},
                },
            ]
        },
    )
    assert wait_for(lambda: not s3.list_multipart_uploads(Bucket="life-uploads").get("Uploads"))
    assert wait_for(lambda: not s3.list_object_versions(Bucket="life-uploads").get("DeleteMarkers"))
    assert upload
