"""Tagging (bucket and object), default encryption, object lock, and the small bucket
settings (accelerate, request payment)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from tests.integration.s3_config.conftest import error_code


def test_bucket_tagging(s3, bucket, aws):
    assert error_code(s3.get_bucket_tagging, Bucket=bucket) == (
        "NoSuchTagSet",
        404,
        "The TagSet does not exist",
    )
    aws("s3api", "put-bucket-tagging", "--bucket", bucket, "--tagging", "TagSet=[{Key=team,Value=data}]")
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "team", "Value": "data"}]
    duplicate = {"TagSet": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]}
    assert error_code(s3.put_bucket_tagging, Bucket=bucket, Tagging=duplicate) == (
        "InvalidTag",
        400,
        "Cannot provide multiple Tags with the same key",
    )
    system = {"TagSet": [{"Key": "aws:cloudformation", "Value": "x"}]}
    assert error_code(s3.put_bucket_tagging, Bucket=bucket, Tagging=system)[0] == "InvalidTag"
    s3.delete_bucket_tagging(Bucket=bucket)
    assert error_code(s3.get_bucket_tagging, Bucket=bucket)[:2] == ("NoSuchTagSet", 404)


def test_object_tagging(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v", Tagging="project=blue&owner=me%20too")
    assert sorted(s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"], key=lambda t: t["Key"]) == [
        {"Key": "owner", "Value": "me too"},
        {"Key": "project", "Value": "blue"},
    ]
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": [{"Key": "only", "Value": "one"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == [{"Key": "only", "Value": "one"}]
    eleven = {"TagSet": [{"Key": f"k{i}", "Value": "v"} for i in range(11)]}
    assert error_code(s3.put_object_tagging, Bucket=bucket, Key="k", Tagging=eleven) == (
        "BadRequest",
        400,
        "Object tags cannot be greater than 10",
    )
    long_key = {"TagSet": [{"Key": "x" * 129, "Value": "v"}]}
    assert error_code(s3.put_object_tagging, Bucket=bucket, Key="k", Tagging=long_key) == (
        "InvalidTag",
        400,
        "The TagKey you have provided is too long, max 128",
    )
    long_value = {"TagSet": [{"Key": "x", "Value": "v" * 257}]}
    assert error_code(s3.put_object_tagging, Bucket=bucket, Key="k", Tagging=long_value)[:2] == (
        "InvalidTag",
        400,
    )
    assert error_code(s3.put_object, Bucket=bucket, Key="k2", Body=b"", Tagging="a=1&a=2")[:2] == (
        "InvalidArgument",
        400,
    )
    assert error_code(s3.get_object_tagging, Bucket=bucket, Key="missing")[:2] == ("NoSuchKey", 404)
    s3.delete_object_tagging(Bucket=bucket, Key="k")
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []
    # An overwrite replaces the tags with the new request's (none here).
    s3.put_object(Bucket=bucket, Key="k3", Body=b"v", Tagging="a=1")
    s3.put_object(Bucket=bucket, Key="k3", Body=b"w")
    assert s3.get_object_tagging(Bucket=bucket, Key="k3")["TagSet"] == []


def test_tags_follow_versions(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=bucket, Key="k", Body=b"1", Tagging="v=1")["VersionId"]
    second = s3.put_object(Bucket=bucket, Key="k", Body=b"2", Tagging="v=2")["VersionId"]
    assert s3.get_object_tagging(Bucket=bucket, Key="k", VersionId=first)["TagSet"] == [
        {"Key": "v", "Value": "1"}
    ]
    latest = s3.get_object_tagging(Bucket=bucket, Key="k")
    assert latest["VersionId"] == second and latest["TagSet"] == [{"Key": "v", "Value": "2"}]


def test_default_encryption(s3, bucket, client):
    kms = client("kms")
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    alias = f"alias/{bucket}"
    kms.create_alias(AliasName=alias, TargetKeyId=key_arn)
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0][
        "ApplyServerSideEncryptionByDefault"
    ] == {"SSEAlgorithm": "AES256"}
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": alias,
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule == {
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": alias},
        "BucketKeyEnabled": True,
    }
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ServerSideEncryption"] == "aws:kms" and head["BucketKeyEnabled"] is True
    assert head["SSEKMSKeyId"] == key_arn  # the alias resolved by KMS to its key
    bad = {
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": "k"}}]
    }
    assert error_code(s3.put_bucket_encryption, Bucket=bucket, ServerSideEncryptionConfiguration=bad)[:2] == (
        "InvalidArgument",
        400,
    )
    s3.delete_bucket_encryption(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k2", Body=b"v")
    assert s3.head_object(Bucket=bucket, Key="k2")["ServerSideEncryption"] == "AES256"


def test_object_lock(s3):
    name = "cfg-locked-bucket"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled"
    }
    assert error_code(s3.put_bucket_versioning, Bucket=name, VersioningConfiguration={"Status": "Suspended"})[
        :2
    ] == ("InvalidBucketState", 409)
    s3.put_object_lock_configuration(
        Bucket=name,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}},
        },
    )
    version = s3.put_object(Bucket=name, Key="k", Body=b"v")["VersionId"]
    retention = s3.get_object_retention(Bucket=name, Key="k", VersionId=version)["Retention"]
    assert retention["Mode"] == "GOVERNANCE"
    assert retention["RetainUntilDate"] > datetime.now(UTC) + timedelta(hours=23)
    assert error_code(s3.delete_object, Bucket=name, Key="k", VersionId=version)[:2] == ("AccessDenied", 403)
    s3.delete_object(Bucket=name, Key="k", VersionId=version, BypassGovernanceRetention=True)

    until = datetime.now(UTC) + timedelta(days=2)
    version = s3.put_object(
        Bucket=name, Key="c", Body=b"v", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until
    )["VersionId"]
    assert s3.head_object(Bucket=name, Key="c")["ObjectLockMode"] == "COMPLIANCE"
    assert error_code(
        s3.delete_object, Bucket=name, Key="c", VersionId=version, BypassGovernanceRetention=True
    )[:2] == ("AccessDenied", 403)
    shorter = {"Mode": "COMPLIANCE", "RetainUntilDate": until - timedelta(days=1)}
    assert error_code(s3.put_object_retention, Bucket=name, Key="c", Retention=shorter)[:2] == (
        "AccessDenied",
        403,
    )

    s3.put_object(Bucket=name, Key="held", Body=b"v")
    s3.put_object_retention(Bucket=name, Key="held", Retention={}, BypassGovernanceRetention=True)
    s3.put_object_legal_hold(Bucket=name, Key="held", LegalHold={"Status": "ON"})
    assert s3.get_object_legal_hold(Bucket=name, Key="held")["LegalHold"] == {"Status": "ON"}
    held = s3.head_object(Bucket=name, Key="held")["VersionId"]
    assert error_code(s3.delete_object, Bucket=name, Key="held", VersionId=held)[:2] == ("AccessDenied", 403)
    s3.put_object_legal_hold(Bucket=name, Key="held", LegalHold={"Status": "OFF"})
    s3.delete_object(Bucket=name, Key="held", VersionId=held)
    past = {"Mode": "GOVERNANCE", "RetainUntilDate": datetime.now(UTC) - timedelta(days=1)}
    assert error_code(s3.put_object_retention, Bucket=name, Key="c", Retention=past)[:2] == (
        "InvalidArgument",
        400,
    )


def test_object_lock_default_retention_must_be_positive(s3):
    name = "cfg-locked-periods"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    for period in ({"Days": 0}, {"Years": 0}, {"Days": -1}):
        configuration = {
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", **period}},
        }
        assert error_code(
            s3.put_object_lock_configuration, Bucket=name, ObjectLockConfiguration=configuration
        ) == (
            "InvalidArgument",
            400,
            "Default retention period must be a positive integer value",
        )
    assert s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled"
    }


def test_object_lock_needs_a_lock_enabled_bucket(s3, bucket):
    assert error_code(s3.get_object_lock_configuration, Bucket=bucket)[:2] == (
        "ObjectLockConfigurationNotFoundError",
        404,
    )
    assert error_code(
        s3.put_object_lock_configuration,
        Bucket=bucket,
        ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"},
    )[:2] == ("InvalidBucketState", 409)
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    assert error_code(s3.put_object_legal_hold, Bucket=bucket, Key="k", LegalHold={"Status": "ON"}) == (
        "InvalidRequest",
        400,
        "Bucket is missing Object Lock Configuration",
    )
    assert error_code(s3.put_object, Bucket=bucket, Key="k", Body=b"v", ObjectLockLegalHoldStatus="ON")[
        :2
    ] == ("InvalidRequest", 400)


def test_accelerate_and_request_payment(s3, bucket):
    assert "Status" not in s3.get_bucket_accelerate_configuration(Bucket=bucket)
    s3.put_bucket_accelerate_configuration(Bucket=bucket, AccelerateConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_accelerate_configuration(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "BucketOwner"
    s3.put_bucket_request_payment(Bucket=bucket, RequestPaymentConfiguration={"Payer": "Requester"})
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "Requester"


def test_metrics_configurations(s3, bucket):
    assert error_code(s3.get_bucket_metrics_configuration, Bucket=bucket, Id="all")[:2] == (
        "NoSuchConfiguration",
        404,
    )
    for number in range(3):
        s3.put_bucket_metrics_configuration(
            Bucket=bucket,
            Id=f"m{number}",
            MetricsConfiguration={"Id": f"m{number}", "Filter": {"Prefix": f"p{number}/"}},
        )
    assert s3.get_bucket_metrics_configuration(Bucket=bucket, Id="m1")["MetricsConfiguration"] == {
        "Id": "m1",
        "Filter": {"Prefix": "p1/"},
    }
    listed = s3.list_bucket_metrics_configurations(Bucket=bucket)
    assert [item["Id"] for item in listed["MetricsConfigurationList"]] == ["m0", "m1", "m2"]
    assert listed["IsTruncated"] is False
    assert error_code(
        s3.put_bucket_metrics_configuration, Bucket=bucket, Id="a", MetricsConfiguration={"Id": "b"}
    )[:2] == ("InvalidArgument", 400)
    s3.delete_bucket_metrics_configuration(Bucket=bucket, Id="m1")
    assert error_code(s3.delete_bucket_metrics_configuration, Bucket=bucket, Id="m1")[:2] == (
        "NoSuchConfiguration",
        404,
    )


def test_metrics_configurations_page_by_opaque_tokens(s3, bucket):
    for number in range(101):
        s3.put_bucket_metrics_configuration(
            Bucket=bucket, Id=f"m{number:03d}", MetricsConfiguration={"Id": f"m{number:03d}"}
        )
    first = s3.list_bucket_metrics_configurations(Bucket=bucket)
    assert len(first["MetricsConfigurationList"]) == 100 and first["IsTruncated"] is True
    token = first["NextContinuationToken"]
    assert base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)) != b"m099"  # not the id in base64
    second = s3.list_bucket_metrics_configurations(Bucket=bucket, ContinuationToken=token)
    assert [item["Id"] for item in second["MetricsConfigurationList"]] == ["m100"]
    assert second["IsTruncated"] is False and second["ContinuationToken"] == token
    forged = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert error_code(s3.list_bucket_metrics_configurations, Bucket=bucket, ContinuationToken=forged)[:2] == (
        "InvalidArgument",
        400,
    )
    # A metrics token does not page another kind of configuration.
    assert error_code(s3.list_bucket_inventory_configurations, Bucket=bucket, ContinuationToken=token)[
        :2
    ] == ("InvalidArgument", 400)


def test_intelligent_tiering_configurations(s3, bucket):
    document = {
        "Id": "archive",
        "Status": "Enabled",
        "Tierings": [{"Days": 90, "AccessTier": "ARCHIVE_ACCESS"}],
    }
    s3.put_bucket_intelligent_tiering_configuration(
        Bucket=bucket, Id="archive", IntelligentTieringConfiguration=document
    )
    assert (
        s3.get_bucket_intelligent_tiering_configuration(Bucket=bucket, Id="archive")[
            "IntelligentTieringConfiguration"
        ]
        == document
    )
    too_soon = {**document, "Tierings": [{"Days": 30, "AccessTier": "ARCHIVE_ACCESS"}]}
    assert error_code(
        s3.put_bucket_intelligent_tiering_configuration,
        Bucket=bucket,
        Id="archive",
        IntelligentTieringConfiguration=too_soon,
    )[:2] == ("InvalidArgument", 400)
    listed = s3.list_bucket_intelligent_tiering_configurations(Bucket=bucket)
    assert listed["IntelligentTieringConfigurationList"] == [document]


def test_get_object_reports_the_tag_count(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v", Tagging="a=1&b=2")
    assert s3.get_object(Bucket=bucket, Key="k")["TagCount"] == 2
    s3.put_object(Bucket=bucket, Key="plain", Body=b"v")
    assert "TagCount" not in s3.get_object(Bucket=bucket, Key="plain")
