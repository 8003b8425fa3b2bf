"""Replication configuration: stored and validated as S3 does (objects are not replicated)."""

from __future__ import annotations

import uuid

from tests.integration.s3_config.conftest import error_code

ROLE = "arn:aws:iam::000000000000:role/replication"


def _versioned(s3) -> str:
    name = f"cfg-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def _rule(destination: str, **extra) -> dict:
    return {
        "Status": "Enabled",
        "Priority": 1,
        "DeleteMarkerReplication": {"Status": "Disabled"},
        "Filter": {"Prefix": "Tax"},
        "Destination": {"Bucket": f"arn:aws:s3:::{destination}"},
        **extra,
    }


def test_replication_round_trip(s3, bucket, aws):
    source, destination = _versioned(s3), _versioned(s3)
    assert error_code(s3.get_bucket_replication, Bucket=source) == (
        "ReplicationConfigurationNotFoundError",
        404,
        "The replication configuration was not found",
    )
    s3.put_bucket_replication(
        Bucket=source, ReplicationConfiguration={"Role": ROLE, "Rules": [_rule(destination, ID="tax")]}
    )
    got = s3.get_bucket_replication(Bucket=source)["ReplicationConfiguration"]
    assert got == {"Role": ROLE, "Rules": [_rule(destination, ID="tax")]}
    aws(
        "s3api",
        "put-bucket-replication",
        "--bucket",
        source,
        "--replication-configuration",
        f'{{"Role": "{ROLE}", "Rules": [{{"Status": "Disabled", "Prefix": "logs/", '
        f'"Destination": {{"Bucket": "arn:aws:s3:::{destination}"}}}}]}}',
    )
    (rule,) = s3.get_bucket_replication(Bucket=source)["ReplicationConfiguration"]["Rules"]
    assert rule["ID"] and rule["Prefix"] == "logs/" and rule["Status"] == "Disabled"
    assert s3.delete_bucket_replication(Bucket=source)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.delete_bucket_replication(Bucket=source)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_code(s3.get_bucket_replication, Bucket=source)[:2] == (
        "ReplicationConfigurationNotFoundError",
        404,
    )


def test_invalid_replication_configurations(s3, bucket):
    destination = _versioned(s3)
    assert error_code(
        s3.put_bucket_replication,
        Bucket=bucket,
        ReplicationConfiguration={"Role": ROLE, "Rules": [_rule(destination)]},
    ) == (
        "InvalidRequest",
        400,
        "Versioning must be 'Enabled' on the bucket to apply a replication configuration",
    )
    source = _versioned(s3)
    assert error_code(
        s3.put_bucket_replication, Bucket=source, ReplicationConfiguration={"Role": ROLE, "Rules": []}
    ) == (
        "MalformedXML",
        400,
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
    for target in (f"cfg-missing-{uuid.uuid4().hex[:8]}", bucket):  # missing, then not versioned
        assert error_code(
            s3.put_bucket_replication,
            Bucket=source,
            ReplicationConfiguration={"Role": ROLE, "Rules": [_rule(target)]},
        ) == ("InvalidRequest", 400, "Destination bucket must have versioning enabled.")
    assert error_code(s3.get_bucket_replication, Bucket=f"cfg-missing-{uuid.uuid4().hex[:8]}")[:2] == (
        "NoSuchBucket",
        404,
    )
