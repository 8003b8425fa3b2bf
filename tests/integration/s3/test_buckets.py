"""Buckets: names, regions, the global namespace, listing, deletion, addressing styles."""

from __future__ import annotations

import boto3
import pytest

from tests.integration.s3.conftest import error_of, signed_raw, unique


def other_account_client(endpoint, account="111111111111", region="us-east-1"):
    return boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=account, aws_secret_access_key="x", region_name=region
    )


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "a" * 64,
        "Upper-Case",
        "under_score",
        "-start",
        "end-",
        "two..dots",
        "192.168.1.1",
        "xn--punycode",
        "name-s3alias",
        "dot-.dash",
    ],
)
def test_invalid_bucket_names(s3, name):
    code, status, message = error_of(s3.create_bucket, Bucket=name)
    assert (code, status, message) == ("InvalidBucketName", 400, "The specified bucket is not valid.")


def test_location_constraint_rules(s3, endpoint):
    name = unique()
    assert error_of(
        s3.create_bucket, Bucket=name, CreateBucketConfiguration={"LocationConstraint": "us-east-1"}
    )[:2] == ("InvalidLocationConstraint", 400)
    west = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="eu-west-1",
    )
    assert error_of(west.create_bucket, Bucket=name)[:2] == ("IllegalLocationConstraintException", 400)
    assert error_of(
        west.create_bucket, Bucket=name, CreateBucketConfiguration={"LocationConstraint": "us-west-2"}
    )[:2] == ("IllegalLocationConstraintException", 400)
    assert error_of(
        west.create_bucket, Bucket=name, CreateBucketConfiguration={"LocationConstraint": "moon-1"}
    ) == (
        "IllegalLocationConstraintException",
        400,
        "The moon-1 location constraint is incompatible for the region specific endpoint this request was sent to.",
    )
    assert error_of(
        west.create_bucket, Bucket=name, CreateBucketConfiguration={"LocationConstraint": "us-east-1"}
    ) == (
        "IllegalLocationConstraintException",
        400,
        "The us-east-1 location constraint is incompatible for the region specific endpoint this request was "
        "sent to.",
    )
    assert error_of(
        s3.create_bucket, Bucket=name, CreateBucketConfiguration={"LocationConstraint": "moon-1"}
    )[:2] == ("InvalidLocationConstraint", 400)
    west.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert west.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
    head = west.head_bucket(Bucket=name)
    assert head["BucketRegion"] == "eu-west-1"
    assert head["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/xml"  # as its GET's
    us = unique()
    s3.create_bucket(Bucket=us)
    assert s3.get_bucket_location(Bucket=us)["LocationConstraint"] is None
    # The us-east-1 endpoint creates buckets in other regions; "EU" is eu-west-1, reported as given.
    elsewhere = unique()
    s3.create_bucket(Bucket=elsewhere, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    assert s3.get_bucket_location(Bucket=elsewhere)["LocationConstraint"] == "eu-central-1"
    assert s3.head_bucket(Bucket=elsewhere)["BucketRegion"] == "eu-central-1"
    eu = unique()
    west.create_bucket(Bucket=eu, CreateBucketConfiguration={"LocationConstraint": "EU"})
    assert west.get_bucket_location(Bucket=eu)["LocationConstraint"] == "EU"
    assert west.head_bucket(Bucket=eu)["BucketRegion"] == "eu-west-1"


def test_global_namespace(s3, endpoint):
    name = unique()
    s3.create_bucket(Bucket=name)
    # us-east-1 answers a re-create of one's own bucket with 200 (legacy); see test_recreate.py
    assert s3.create_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
    west = other_account_client(endpoint, "000000000000", "eu-west-1")
    west_name = unique()
    west.create_bucket(Bucket=west_name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert error_of(
        west.create_bucket, Bucket=west_name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )[:2] == ("BucketAlreadyOwnedByYou", 409)
    other = other_account_client(endpoint)
    assert error_of(other.create_bucket, Bucket=name)[:2] == ("BucketAlreadyExists", 409)
    assert name not in [b["Name"] for b in other.list_buckets()["Buckets"]]


def test_list_buckets_parameters(s3, endpoint):
    client = other_account_client(endpoint, "222222222222")
    prefix = unique("lb")
    names = [f"{prefix}-{i}" for i in range(5)]
    for name in names:
        client.create_bucket(Bucket=name)
    listed = client.list_buckets(Prefix=prefix, MaxBuckets=2)
    assert [b["Name"] for b in listed["Buckets"]] == names[:2]
    assert listed["Prefix"] == prefix
    rest = client.list_buckets(Prefix=prefix, MaxBuckets=10, ContinuationToken=listed["ContinuationToken"])
    assert [b["Name"] for b in rest["Buckets"]] == names[2:]
    assert "ContinuationToken" not in rest
    assert all(b["BucketRegion"] == "us-east-1" for b in rest["Buckets"])
    assert client.list_buckets(BucketRegion="eu-west-1", Prefix=prefix)["Buckets"] == []
    assert rest["Owner"]["ID"]


def test_head_and_delete(s3):
    name = unique()
    assert error_of(s3.head_bucket, Bucket=name)[:2] == ("404", 404)
    s3.create_bucket(Bucket=name)
    s3.head_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    assert error_of(s3.delete_bucket, Bucket=name)[:2] == ("BucketNotEmpty", 409)
    s3.delete_object(Bucket=name, Key="k")
    s3.delete_bucket(Bucket=name)
    assert error_of(s3.delete_bucket, Bucket=name)[:2] == ("NoSuchBucket", 404)
    # Re-created, the bucket starts empty.
    s3.create_bucket(Bucket=name)
    assert s3.list_objects_v2(Bucket=name)["KeyCount"] == 0


def test_versioned_bucket_not_empty_until_all_versions_go(s3):
    name = unique()
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    s3.delete_object(Bucket=name, Key="k")
    assert error_of(s3.delete_bucket, Bucket=name)[:2] == ("BucketNotEmpty", 409)
    for version in s3.list_object_versions(Bucket=name).get("Versions", []):
        s3.delete_object(Bucket=name, Key="k", VersionId=version["VersionId"])
    for marker in s3.list_object_versions(Bucket=name).get("DeleteMarkers", []):
        s3.delete_object(Bucket=name, Key="k", VersionId=marker["VersionId"])
    s3.delete_bucket(Bucket=name)


def test_virtual_hosted_and_path_style(s3, endpoint):
    name = unique()
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="dir/file.txt", Body=b"hosted")
    port = endpoint.rsplit(":", 1)[1]
    for host in (
        f"{name}.s3.localhost.localstack.cloud:{port}",
        f"{name}.s3.us-east-1.amazonaws.com",
        f"{name}.s3.amazonaws.com",
    ):
        status, _, body = signed_raw(endpoint, "GET", host, "/dir/file.txt")
        assert (status, body) == (200, b"hosted"), host
    status, _, body = signed_raw(
        endpoint, "PUT", f"{name}.s3.localhost.localstack.cloud:{port}", "/v.txt", body=b"put virtually"
    )
    assert status == 200
    assert s3.get_object(Bucket=name, Key="v.txt")["Body"].read() == b"put virtually"
    status, _, body = signed_raw(endpoint, "GET", f"localhost:{port}", f"/{name}/dir/file.txt")
    assert (status, body) == (200, b"hosted")


def test_cli_mb_rb(aws, s3):
    name = unique()
    made = aws("s3", "mb", f"s3://{name}", "--region", "us-east-1", check=False)
    assert made.returncode == 0 and f"make_bucket: {name}" in made.stdout, made.stderr
    s3.head_bucket(Bucket=name)
    result = aws("s3", "rb", f"s3://{name}", check=False)
    assert result.returncode == 0, result.stderr
    assert error_of(s3.head_bucket, Bucket=name)[:2] == ("404", 404)
