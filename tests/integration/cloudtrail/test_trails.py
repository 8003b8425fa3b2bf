"""Trails: lifecycle, validation, selectors, tags, shadow trails in other regions."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.integration.cloudtrail.policies import trail_bucket, trail_bucket_policy


def code_of(call, *args, **kwargs) -> str:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"]["Code"]


@pytest.fixture
def bucket(ours, account) -> str:
    name = f"ct-trail-logs-{account}"
    return trail_bucket(ours("s3"), name)


def test_trail_lifecycle(ours, account, bucket):
    ct = ours("cloudtrail")
    created = ct.create_trail(
        Name="life", S3BucketName=bucket, S3KeyPrefix="audit", TagsList=[{"Key": "team", "Value": "sec"}]
    )
    arn = f"arn:aws:cloudtrail:us-east-1:{account}:trail/life"
    assert created["TrailARN"] == arn
    assert created["IncludeGlobalServiceEvents"] is True
    assert created["IsMultiRegionTrail"] is False
    assert created["LogFileValidationEnabled"] is False
    assert created["S3KeyPrefix"] == "audit"

    [described] = ct.describe_trails()["trailList"]
    assert described["Name"] == "life" and described["HomeRegion"] == "us-east-1"
    assert described["HasCustomEventSelectors"] is False and described["HasInsightSelectors"] is False
    assert ct.get_trail(Name=arn)["Trail"]["TrailARN"] == arn
    assert ct.list_trails()["Trails"] == [{"TrailARN": arn, "Name": "life", "HomeRegion": "us-east-1"}]

    status = ct.get_trail_status(Name="life")
    assert status["IsLogging"] is False
    ct.start_logging(Name="life")
    status = ct.get_trail_status(Name="life")
    assert status["IsLogging"] is True and "StartLoggingTime" in status
    ct.stop_logging(Name=arn)
    status = ct.get_trail_status(Name="life")
    assert status["IsLogging"] is False and "StopLoggingTime" in status

    updated = ct.update_trail(Name="life", S3KeyPrefix="other", EnableLogFileValidation=True)
    assert updated["S3KeyPrefix"] == "other" and updated["LogFileValidationEnabled"] is True
    assert ct.get_trail(Name="life")["Trail"]["LogFileValidationEnabled"] is True
    assert ct.list_tags(ResourceIdList=[arn])["ResourceTagList"] == [
        {"ResourceId": arn, "TagsList": [{"Key": "team", "Value": "sec"}]}
    ]

    ct.delete_trail(Name="life")
    assert code_of(ct.get_trail, Name="life") == "TrailNotFoundException"
    assert ct.describe_trails()["trailList"] == []


@pytest.mark.parametrize(
    "name, message",
    [
        (
            "ab",
            "Trail name too short. Minimum allowed length: 3 characters. Specified name length: 2 characters.",
        ),
        ("-abc", "Trail name must starts with a letter or number."),
        ("abc-", "Trail name must ends with a letter or number."),
        (
            "ab$c",
            "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), "
            "hyphens (-), and underscores (_).",
        ),
        (
            "a" * 129,
            "Trail name too long. Maximum allowed length: 128 characters. Specified name length: 129 characters.",
        ),
    ],
)
def test_invalid_trail_names(ours, bucket, name, message):
    with pytest.raises(ClientError) as caught:
        ours("cloudtrail").create_trail(Name=name, S3BucketName=bucket)
    assert caught.value.response["Error"]["Code"] == "InvalidTrailNameException"
    assert caught.value.response["Error"]["Message"] == message


def test_create_errors(ours, account, bucket):
    ct = ours("cloudtrail")
    assert (
        code_of(ct.create_trail, Name="nobucket", S3BucketName=f"missing-{account}")
        == "S3BucketDoesNotExistException"
    )
    ct.create_trail(Name="dup", S3BucketName=bucket)
    with pytest.raises(ClientError) as caught:
        ct.create_trail(Name="dup", S3BucketName=bucket)
    assert caught.value.response["Error"]["Code"] == "TrailAlreadyExistsException"
    assert caught.value.response["Error"]["Message"] == f"Trail dup already exists for customer: {account}"
    for i in range(4):
        ct.create_trail(Name=f"more-{i}", S3BucketName=bucket)
    assert (
        code_of(ct.create_trail, Name="sixth", S3BucketName=bucket)
        == "MaximumNumberOfTrailsExceededException"
    )
    assert code_of(ct.start_logging, Name="ghost") == "TrailNotFoundException"
    assert code_of(ct.get_trail_status, Name="ghost") == "TrailNotFoundException"
    assert code_of(ct.delete_trail, Name="ghost") == "TrailNotFoundException"
    assert (
        code_of(ct.update_trail, Name="dup", S3BucketName=f"missing-{account}")
        == "S3BucketDoesNotExistException"
    )


def test_multi_region_trail_is_a_shadow_elsewhere(ours, account, bucket):
    home, other = ours("cloudtrail"), ours("cloudtrail", region="eu-west-1")
    home.create_trail(Name="everywhere", S3BucketName=bucket, IsMultiRegionTrail=True)
    home.create_trail(Name="local", S3BucketName=bucket)
    names = [t["Name"] for t in other.describe_trails()["trailList"]]
    assert names == ["everywhere"]
    assert other.describe_trails(includeShadowTrails=False)["trailList"] == []
    assert other.get_trail(Name="everywhere")["Trail"]["HomeRegion"] == "us-east-1"
    assert code_of(other.start_logging, Name="everywhere") == "InvalidHomeRegionException"
    assert code_of(other.get_trail, Name="local") == "TrailNotFoundException"
    assert (
        code_of(
            home.create_trail,
            Name="xyz",
            S3BucketName=bucket,
            IsMultiRegionTrail=True,
            IncludeGlobalServiceEvents=False,
        )
        == "InvalidParameterCombinationException"
    )


def test_event_selectors(ours, bucket):
    ct = ours("cloudtrail")
    arn = ct.create_trail(Name="selective", S3BucketName=bucket)["TrailARN"]
    default = ct.get_event_selectors(TrailName="selective")
    assert default["EventSelectors"] == [
        {
            "ReadWriteType": "All",
            "IncludeManagementEvents": True,
            "DataResources": [],
            "ExcludeManagementEventSources": [],
        }
    ]
    basic = [
        {
            "ReadWriteType": "WriteOnly",
            "IncludeManagementEvents": True,
            "DataResources": [{"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{bucket}/"]}],
        }
    ]
    put = ct.put_event_selectors(TrailName="selective", EventSelectors=basic)
    assert put["TrailARN"] == arn
    got = ct.get_event_selectors(TrailName=arn)["EventSelectors"][0]
    assert got["ReadWriteType"] == "WriteOnly" and got["DataResources"] == basic[0]["DataResources"]
    assert ct.get_trail(Name="selective")["Trail"]["HasCustomEventSelectors"] is True

    advanced = [
        {
            "Name": "s3 writes",
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Data"]},
                {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                {"Field": "readOnly", "Equals": ["false"]},
            ],
        }
    ]
    ct.put_event_selectors(TrailName="selective", AdvancedEventSelectors=advanced)
    got = ct.get_event_selectors(TrailName="selective")
    assert got["AdvancedEventSelectors"] == advanced and "EventSelectors" not in got

    assert (
        code_of(
            ct.put_event_selectors,
            TrailName="selective",
            EventSelectors=basic,
            AdvancedEventSelectors=advanced,
        )
        == "InvalidParameterCombinationException"
    )
    assert (
        code_of(
            ct.put_event_selectors,
            TrailName="selective",
            EventSelectors=[{"DataResources": [{"Type": "AWS::Nope::Thing", "Values": ["x"]}]}],
        )
        == "InvalidEventSelectorsException"
    )
    assert (
        code_of(
            ct.put_event_selectors,
            TrailName="selective",
            AdvancedEventSelectors=[{"FieldSelectors": [{"Field": "readOnly", "Equals": ["true"]}]}],
        )
        == "InvalidEventSelectorsException"
    )


def test_insight_selectors(ours, bucket):
    ct = ours("cloudtrail")
    ct.create_trail(Name="insightful", S3BucketName=bucket)
    assert code_of(ct.get_insight_selectors, TrailName="insightful") == "InsightNotEnabledException"
    ct.put_insight_selectors(TrailName="insightful", InsightSelectors=[{"InsightType": "ApiCallRateInsight"}])
    got = ct.get_insight_selectors(TrailName="insightful")
    assert got["InsightSelectors"] == [{"InsightType": "ApiCallRateInsight"}]
    assert ct.get_trail(Name="insightful")["Trail"]["HasInsightSelectors"] is True
    assert (
        code_of(
            ct.put_insight_selectors,
            TrailName="insightful",
            InsightSelectors=[{"InsightType": "ApiCallRateInsight"}] * 2,
        )
        == "InvalidInsightSelectorsException"
    )


def test_tags(ours, account, bucket):
    ct = ours("cloudtrail")
    arn = ct.create_trail(Name="tagged", S3BucketName=bucket)["TrailARN"]
    ct.add_tags(ResourceId=arn, TagsList=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    ct.remove_tags(ResourceId=arn, TagsList=[{"Key": "a"}])
    assert ct.list_tags(ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"] == [
        {"Key": "b", "Value": "2"}
    ]
    missing = f"arn:aws:cloudtrail:us-east-1:{account}:trail/none"
    assert (
        code_of(ct.add_tags, ResourceId=missing, TagsList=[{"Key": "a", "Value": "1"}])
        == "ResourceNotFoundException"
    )
    assert code_of(ct.list_tags, ResourceIdList=["not-an-arn"]) == "CloudTrailARNInvalidException"
    too_many = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    assert code_of(ct.add_tags, ResourceId=arn, TagsList=too_many) == "TagsLimitExceededException"


def test_guide_trail_commands_with_the_cli(aws_as, ours, account):
    bucket = trail_bucket(ours("s3"), f"my-audit-logs-bucket-{account}")
    created = aws_as(
        "cloudtrail",
        "create-trail",
        "--name",
        "my-audit-trail",
        "--s3-bucket-name",
        bucket,
        "--include-global-service-events",
        "--is-multi-region-trail",
        "--enable-log-file-validation",
    )
    assert created["IsMultiRegionTrail"] is True and created["LogFileValidationEnabled"] is True
    assert aws_as("cloudtrail", "start-logging", "--name", "my-audit-trail") is None
    status = aws_as("cloudtrail", "get-trail-status", "--name", "my-audit-trail")
    assert status["IsLogging"] is True
    trails = aws_as("cloudtrail", "describe-trails")["trailList"]
    assert [t["Name"] for t in trails] == ["my-audit-trail"]


def test_bucket_policy_must_let_cloudtrail_write(ours, account):
    """CloudTrail refuses a trail whose bucket policy does not let cloudtrail.amazonaws.com check
    the bucket's ACL and put log files under the trail's prefix (InsufficientS3BucketPolicy)."""
    ct, s3 = ours("cloudtrail"), ours("s3")
    bucket = f"ct-policy-{account}"
    s3.create_bucket(Bucket=bucket)
    refused = "InsufficientS3BucketPolicyException"
    with pytest.raises(ClientError) as caught:
        ct.create_trail(Name="unwritable", S3BucketName=bucket)
    assert caught.value.response["Error"] == {
        "Code": refused,
        "Message": f"Incorrect S3 bucket policy is detected for bucket: {bucket}",
    }
    statements = json.loads(trail_bucket_policy(bucket))["Statement"]
    # Only the ACL check allowed: still refused; so is a write allowed to another prefix only.
    s3.put_bucket_policy(
        Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements[:1]})
    )
    assert code_of(ct.create_trail, Name="unwritable", S3BucketName=bucket) == refused
    narrow = dict(statements[1], Resource=f"arn:aws:s3:::{bucket}/audit/AWSLogs/{account}/*")
    s3.put_bucket_policy(
        Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statements[0], narrow]})
    )
    assert code_of(ct.create_trail, Name="unwritable", S3BucketName=bucket) == refused
    created = ct.create_trail(Name="writable", S3BucketName=bucket, S3KeyPrefix="audit")
    assert created["S3KeyPrefix"] == "audit"
    # Moving the trail to a prefix the policy does not cover is refused as well.
    assert code_of(ct.update_trail, Name="writable", S3KeyPrefix="elsewhere") == refused
    assert ct.get_trail(Name="writable")["Trail"]["S3KeyPrefix"] == "audit"
    # A Deny for CloudTrail wins over the Allow.
    deny = {**statements[1], "Effect": "Deny", "Sid": "NoTrail"}
    deny.pop("Condition")
    s3.put_bucket_policy(
        Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [*statements, deny]})
    )
    assert code_of(ct.create_trail, Name="denied", S3BucketName=bucket) == refused
