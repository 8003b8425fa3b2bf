"""Inventory report configurations: kept by id, listed in id order, validated as S3 does (the
reports themselves are not produced)."""

from __future__ import annotations

import copy
import json

from tests.integration.s3_config.conftest import error_code


def _configuration(config_id: str, destination: str) -> dict:
    return {
        "Id": config_id,
        "Destination": {
            "S3BucketDestination": {
                "Bucket": f"arn:aws:s3:::{destination}",
                "Format": "CSV",
                "Prefix": "reports",
                "Encryption": {"SSEKMS": {"KeyId": "k-1"}},
            }
        },
        "IsEnabled": True,
        "Filter": {"Prefix": "data/"},
        "IncludedObjectVersions": "All",
        "OptionalFields": ["Size", "ETag"],
        "Schedule": {"Frequency": "Daily"},
    }


def test_inventory_configurations_round_trip(s3, bucket, aws):
    assert error_code(s3.get_bucket_inventory_configuration, Bucket=bucket, Id="daily") == (
        "NoSuchConfiguration",
        404,
        "The specified configuration does not exist.",
    )
    listed = s3.list_bucket_inventory_configurations(Bucket=bucket)
    assert listed["IsTruncated"] is False and "InventoryConfigurationList" not in listed
    put = s3.put_bucket_inventory_configuration(
        Bucket=bucket, Id="daily", InventoryConfiguration=_configuration("daily", bucket)
    )
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 204
    got = s3.get_bucket_inventory_configuration(Bucket=bucket, Id="daily")["InventoryConfiguration"]
    assert got == _configuration("daily", bucket)
    for config_id in ("z-last", "a-first"):
        aws(
            "s3api",
            "put-bucket-inventory-configuration",
            "--bucket",
            bucket,
            "--id",
            config_id,
            "--inventory-configuration",
            json.dumps(_configuration(config_id, bucket)),
        )
    listed = s3.list_bucket_inventory_configurations(Bucket=bucket)
    assert [item["Id"] for item in listed["InventoryConfigurationList"]] == ["a-first", "daily", "z-last"]
    deleted = s3.delete_bucket_inventory_configuration(Bucket=bucket, Id="z-last")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_code(s3.delete_bucket_inventory_configuration, Bucket=bucket, Id="z-last")[:2] == (
        "NoSuchConfiguration",
        404,
    )
    listed = s3.list_bucket_inventory_configurations(Bucket=bucket)
    assert [item["Id"] for item in listed["InventoryConfigurationList"]] == ["a-first", "daily"]


def test_invalid_inventory_configurations(s3, bucket):
    def put(change, config_id="inv"):
        document = _configuration("inv", bucket)
        change(document)
        return error_code(
            s3.put_bucket_inventory_configuration,
            Bucket=bucket,
            Id=config_id,
            InventoryConfiguration=document,
        )

    assert put(lambda doc: None, config_id="other") == (
        "IdMismatch",
        400,
        "Document ID does not match the specified configuration ID.",
    )
    destination = lambda doc: doc["Destination"]["S3BucketDestination"]  # noqa: E731
    assert put(lambda doc: destination(doc).update(Bucket=bucket)) == (
        "InvalidS3DestinationBucket",
        400,
        "Invalid bucket ARN.",
    )
    malformed = (
        "MalformedXML",
        400,
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
    assert put(lambda doc: destination(doc).update(Format="JSON")) == malformed
    assert put(lambda doc: doc.update(Schedule={"Frequency": "Hourly"})) == malformed
    assert put(lambda doc: doc.update(IncludedObjectVersions="Some")) == malformed
    assert put(lambda doc: doc.update(OptionalFields=["Colour"])) == malformed
    both = {"SSES3": {}, "SSEKMS": {"KeyId": "k-1"}}
    assert put(lambda doc: destination(doc).update(Encryption=copy.deepcopy(both))) == malformed
    assert error_code(s3.get_bucket_inventory_configuration, Bucket=bucket, Id="inv")[:2] == (
        "NoSuchConfiguration",
        404,
    )
