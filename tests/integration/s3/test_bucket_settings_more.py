"""Bucket settings added late to S3's API, and the legacy forms of lifecycle and notification
configuration: stored, validated and returned as S3 does, against the real server."""

from __future__ import annotations

import pytest

from tests.integration.s3.conftest import error_of

# -- storage class analysis ----------------------------------------------------------------------


def test_analytics_configuration_round_trip_and_listing(s3, bucket):
    document = {
        "Id": "report",
        "Filter": {"Prefix": "logs/"},
        "StorageClassAnalysis": {
            "DataExport": {
                "OutputSchemaVersion": "V_1",
                "Destination": {
                    "S3BucketDestination": {
                        "Format": "CSV",
                        "Bucket": f"arn:aws:s3:::{bucket}",
                        "Prefix": "out",
                    }
                },
            }
        },
    }
    s3.put_bucket_analytics_configuration(Bucket=bucket, Id="report", AnalyticsConfiguration=document)
    got = s3.get_bucket_analytics_configuration(Bucket=bucket, Id="report")["AnalyticsConfiguration"]
    assert got == document
    listed = s3.list_bucket_analytics_configurations(Bucket=bucket)
    assert listed["IsTruncated"] is False and listed["AnalyticsConfigurationList"] == [document]
    s3.delete_bucket_analytics_configuration(Bucket=bucket, Id="report")
    assert error_of(s3.get_bucket_analytics_configuration, Bucket=bucket, Id="report")[:2] == (
        "NoSuchConfiguration",
        404,
    )


def test_analytics_configuration_refuses_bad_destination_and_mismatched_id(s3, bucket):
    bad = {
        "Id": "a",
        "StorageClassAnalysis": {
            "DataExport": {
                "OutputSchemaVersion": "V_1",
                "Destination": {"S3BucketDestination": {"Format": "CSV", "Bucket": "not-an-arn"}},
            }
        },
    }
    assert (
        error_of(s3.put_bucket_analytics_configuration, Bucket=bucket, Id="a", AnalyticsConfiguration=bad)[0]
        == "InvalidS3DestinationBucket"
    )
    other = {"Id": "b", "StorageClassAnalysis": {}}
    code, status, _ = error_of(
        s3.put_bucket_analytics_configuration, Bucket=bucket, Id="a", AnalyticsConfiguration=other
    )
    assert (code, status) == ("MalformedXML", 400)  # as AWS answers a mismatched id here


# -- ABAC and the default storage class --------------------------------------------------------


def test_abac_starts_disabled_and_keeps_what_is_put(s3, bucket):
    assert s3.get_bucket_abac(Bucket=bucket)["AbacStatus"] == {"Status": "Disabled"}
    s3.put_bucket_abac(Bucket=bucket, AbacStatus={"Status": "Enabled"})
    assert s3.get_bucket_abac(Bucket=bucket)["AbacStatus"] == {"Status": "Enabled"}


def test_default_storage_class_applies_to_new_objects(s3, bucket):
    got = s3.get_bucket_default_storage_class(Bucket=bucket)
    assert got["DefaultStorageClassConfiguration"] == {"DefaultStorageClass": "STANDARD"}
    s3.put_bucket_default_storage_class(
        Bucket=bucket, DefaultStorageClassConfiguration={"DefaultStorageClass": "INTELLIGENT_TIERING"}
    )
    got = s3.get_bucket_default_storage_class(Bucket=bucket)
    assert got["DefaultStorageClassConfiguration"] == {"DefaultStorageClass": "INTELLIGENT_TIERING"}
    s3.put_object(Bucket=bucket, Key="implicit", Body=b"x")
    s3.put_object(Bucket=bucket, Key="explicit", Body=b"x", StorageClass="STANDARD_IA")
    assert s3.head_object(Bucket=bucket, Key="implicit")["StorageClass"] == "INTELLIGENT_TIERING"
    assert s3.head_object(Bucket=bucket, Key="explicit")["StorageClass"] == "STANDARD_IA"


# -- legacy lifecycle and notification forms ---------------------------------------------------


def test_legacy_lifecycle_is_the_current_configuration(s3, bucket):
    s3.put_bucket_lifecycle(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "old",
                    "Prefix": "tmp/",
                    "Status": "Enabled",
                    "Expiration": {"Days": 30},
                    "Transition": {"Days": 10, "StorageClass": "GLACIER"},
                }
            ]
        },
    )
    current = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert current[0]["ID"] == "old" and current[0]["Transitions"] == [
        {"Days": 10, "StorageClass": "GLACIER"}
    ]
    legacy = s3.get_bucket_lifecycle(Bucket=bucket)["Rules"]
    assert legacy == [
        {
            "ID": "old",
            "Prefix": "tmp/",
            "Status": "Enabled",
            "Expiration": {"Days": 30},
            "Transition": {"Days": 10, "StorageClass": "GLACIER"},
        }
    ]
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {"ID": "new", "Filter": {"Prefix": "a/"}, "Status": "Enabled", "Expiration": {"Days": 5}}
            ]
        },
    )
    # Both forms are one request (GET ?lifecycle): the legacy shape has no Filter to read.
    assert s3.get_bucket_lifecycle(Bucket=bucket)["Rules"] == [
        {"ID": "new", "Status": "Enabled", "Expiration": {"Days": 5}}
    ]


def test_legacy_lifecycle_without_configuration_is_missing(s3, bucket):
    assert error_of(s3.get_bucket_lifecycle, Bucket=bucket)[:2] == ("NoSuchLifecycleConfiguration", 404)


def test_legacy_notification_reads_and_writes_the_current_configuration(s3, bucket, client):
    sqs = client("sqs")
    queue_url = sqs.create_queue(QueueName=f"legacy-{bucket}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    s3.put_bucket_notification(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfiguration": {"Id": "q", "Events": ["s3:ObjectCreated:*"], "Queue": queue_arn}
        },
    )
    current = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert current["QueueConfigurations"] == [
        {"Id": "q", "QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}
    ]
    legacy = s3.get_bucket_notification(Bucket=bucket)
    # One request (GET ?notification) for both forms: the legacy shape reads <Event> twice.
    assert legacy["QueueConfiguration"] == {
        "Id": "q",
        "Events": ["s3:ObjectCreated:*"],
        "Event": "s3:ObjectCreated:*",
        "Queue": queue_arn,
    }
    assert "TopicConfiguration" not in legacy


def test_legacy_notification_refuses_a_bad_arn(s3, bucket):
    code, status, _ = error_of(
        s3.put_bucket_notification,
        Bucket=bucket,
        NotificationConfiguration={"TopicConfiguration": {"Events": ["s3:ObjectCreated:*"], "Topic": "nope"}},
    )
    assert (code, status) == ("InvalidArgument", 400)


# -- S3 Metadata ----------------------------------------------------------------------------------


def test_metadata_configuration_is_stored_and_reports_its_tables(s3, bucket):
    assert error_of(s3.get_bucket_metadata_configuration, Bucket=bucket)[:2] == (
        "MetadataConfigurationNotFound",
        404,
    )
    s3.create_bucket_metadata_configuration(
        Bucket=bucket,
        MetadataConfiguration={
            "JournalTableConfiguration": {"RecordExpiration": {"Expiration": "ENABLED", "Days": 10}},
            "InventoryTableConfiguration": {"ConfigurationState": "DISABLED"},
        },
    )
    result = s3.get_bucket_metadata_configuration(Bucket=bucket)["GetBucketMetadataConfigurationResult"][
        "MetadataConfigurationResult"
    ]
    assert result["DestinationResult"]["TableBucketType"] == "aws"
    assert result["DestinationResult"]["TableNamespace"] == f"b_{bucket}"
    journal = result["JournalTableConfigurationResult"]
    assert journal["TableName"] == "journal" and journal["RecordExpiration"] == {
        "Expiration": "ENABLED",
        "Days": 10,
    }
    assert journal["TableStatus"] == "FAILED" and journal["Error"]["ErrorCode"]
    assert result["InventoryTableConfigurationResult"] == {"ConfigurationState": "DISABLED"}
    s3.update_bucket_metadata_journal_table_configuration(
        Bucket=bucket, JournalTableConfiguration={"RecordExpiration": {"Expiration": "DISABLED"}}
    )
    s3.update_bucket_metadata_inventory_table_configuration(
        Bucket=bucket, InventoryTableConfiguration={"ConfigurationState": "ENABLED"}
    )
    result = s3.get_bucket_metadata_configuration(Bucket=bucket)["GetBucketMetadataConfigurationResult"][
        "MetadataConfigurationResult"
    ]
    assert result["JournalTableConfigurationResult"]["RecordExpiration"] == {"Expiration": "DISABLED"}
    assert result["InventoryTableConfigurationResult"]["ConfigurationState"] == "ENABLED"
    assert result["InventoryTableConfigurationResult"]["TableName"] == "inventory"
    s3.delete_bucket_metadata_configuration(Bucket=bucket)
    assert (
        error_of(s3.delete_bucket_metadata_configuration, Bucket=bucket)[0] == "MetadataConfigurationNotFound"
    )


def test_metadata_configuration_validates_expiration(s3, bucket):
    code, _, _ = error_of(
        s3.create_bucket_metadata_configuration,
        Bucket=bucket,
        MetadataConfiguration={"JournalTableConfiguration": {"RecordExpiration": {"Expiration": "ENABLED"}}},
    )
    assert code == "InvalidArgument"


def test_metadata_table_configuration_reports_the_missing_table_bucket(s3, bucket):
    table_bucket = "arn:aws:s3tables:us-east-1:000000000000:bucket/mine"
    s3.create_bucket_metadata_table_configuration(
        Bucket=bucket,
        MetadataTableConfiguration={
            "S3TablesDestination": {"TableBucketArn": table_bucket, "TableName": "j"}
        },
    )
    result = s3.get_bucket_metadata_table_configuration(Bucket=bucket)[
        "GetBucketMetadataTableConfigurationResult"
    ]
    destination = result["MetadataTableConfigurationResult"]["S3TablesDestinationResult"]
    assert destination["TableBucketArn"] == table_bucket and destination["TableName"] == "j"
    assert result["Status"] == "FAILED" and result["Error"]["ErrorCode"] == "TableBucketNotFound"
    s3.delete_bucket_metadata_table_configuration(Bucket=bucket)
    assert error_of(s3.get_bucket_metadata_table_configuration, Bucket=bucket)[:2] == (
        "MetadataConfigurationNotFound",
        404,
    )


@pytest.mark.parametrize("arn", ["arn:aws:s3:::plain-bucket", "garbage"])
def test_metadata_table_configuration_refuses_other_arns(s3, bucket, arn):
    code, status, _ = error_of(
        s3.create_bucket_metadata_table_configuration,
        Bucket=bucket,
        MetadataTableConfiguration={"S3TablesDestination": {"TableBucketArn": arn, "TableName": "j"}},
    )
    assert (code, status) == ("InvalidArgument", 400)
