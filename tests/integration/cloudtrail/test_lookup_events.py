"""Every call Overcast serves becomes a CloudTrail event that LookupEvents finds."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.integration.cloudtrail.policies import trail_bucket


def lookup(ct, key=None, value=None, **kwargs):
    if key is not None:
        kwargs["LookupAttributes"] = [{"AttributeKey": key, "AttributeValue": value}]
    return ct.lookup_events(**kwargs)["Events"]


def test_sts_call_is_recorded_in_aws_shape(ours, account):
    answer = ours("sts").get_caller_identity()
    events = lookup(ours("cloudtrail"), "EventName", "GetCallerIdentity")
    assert len(events) == 1
    entry = events[0]
    assert entry["EventName"] == "GetCallerIdentity"
    assert entry["EventSource"] == "sts.amazonaws.com"
    assert entry["ReadOnly"] == "true"
    assert entry["AccessKeyId"] == account
    assert entry["Username"] == "root"
    assert abs((datetime.now(UTC) - entry["EventTime"]).total_seconds()) < 60
    event = json.loads(entry["CloudTrailEvent"])
    assert event["eventVersion"] in ("1.08", "1.09")
    assert event["eventSource"] == "sts.amazonaws.com"
    assert event["eventName"] == "GetCallerIdentity"
    assert event["awsRegion"] == "us-east-1"
    assert event["sourceIPAddress"] == "127.0.0.1"
    assert event["userAgent"].startswith("Boto3/")
    assert event["userIdentity"] == {
        "type": "Root",
        "principalId": account,
        "arn": f"arn:aws:iam::{account}:root",
        "accountId": account,
        "accessKeyId": account,
    }
    assert event["requestParameters"] is None and event["responseElements"] is None
    assert event["requestID"] == answer["ResponseMetadata"]["RequestId"]
    assert event["eventID"] == entry["EventId"]
    assert event["readOnly"] is True
    assert event["eventType"] == "AwsApiCall"
    assert event["managementEvent"] is True
    assert event["recipientAccountId"] == account
    assert event["eventCategory"] == "Management"
    assert datetime.strptime(event["eventTime"], "%Y-%m-%dT%H:%M:%SZ")


def test_write_call_records_parameters_and_response(ours, account):
    ct = ours("cloudtrail")
    trail_bucket(ours("s3"), f"ct-params-{account}")
    ct.create_trail(Name="params-trail", S3BucketName=f"ct-params-{account}")
    [entry] = lookup(ct, "EventName", "CreateTrail")
    event = json.loads(entry["CloudTrailEvent"])
    assert event["readOnly"] is False
    assert event["requestParameters"] == {"name": "params-trail", "s3BucketName": f"ct-params-{account}"}
    assert (
        event["responseElements"]["trailARN"] == f"arn:aws:cloudtrail:us-east-1:{account}:trail/params-trail"
    )
    assert entry["Resources"] == [{"ResourceType": "AWS::CloudTrail::Trail", "ResourceName": "params-trail"}]


def test_failed_call_records_error(ours):
    ct = ours("cloudtrail")
    with pytest.raises(ClientError):
        ct.get_trail(Name="no-such-trail")
    [entry] = lookup(ct, "EventName", "GetTrail")
    event = json.loads(entry["CloudTrailEvent"])
    assert event["errorCode"] == "TrailNotFoundException"
    assert event["errorMessage"].startswith("Unknown trail: arn:aws:cloudtrail:us-east-1:")


def test_global_service_recorded_in_us_east_1(ours):
    iam = ours("iam", region="eu-west-1")
    try:
        iam.list_users()
    except ClientError:
        pass  # recorded either way
    assert lookup(ours("cloudtrail", region="us-east-1"), "EventSource", "iam.amazonaws.com")
    assert not lookup(ours("cloudtrail", region="eu-west-1"), "EventSource", "iam.amazonaws.com")


def test_regional_events_stay_in_their_region(ours):
    ours("sts", region="eu-central-1").get_caller_identity()
    assert lookup(ours("cloudtrail", region="eu-central-1"), "EventName", "GetCallerIdentity")
    assert not lookup(ours("cloudtrail", region="us-west-2"), "EventName", "GetCallerIdentity")


def test_data_events_are_not_returned(ours, account):
    s3 = ours("s3")
    bucket = f"ct-data-{account}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="a.txt")
    ct = ours("cloudtrail")
    assert not lookup(ct, "EventName", "PutObject")
    assert not lookup(ct, "EventName", "DeleteObject")
    [entry] = lookup(ct, "EventName", "CreateBucket")
    assert entry["Resources"] == [{"ResourceType": "AWS::S3::Bucket", "ResourceName": bucket}]
    assert json.loads(entry["CloudTrailEvent"])["requestParameters"]["bucketName"] == bucket
    assert lookup(ct, "ResourceName", bucket)[0]["EventName"] == "CreateBucket"
    assert {e["EventName"] for e in lookup(ct, "ResourceType", "AWS::S3::Bucket")} == {"CreateBucket"}


def test_every_lookup_attribute(ours, account):
    sts, ct = ours("sts"), ours("cloudtrail")
    sts.get_caller_identity()
    other_key = ours("sts", key="AKIDOTHERKEY0001")
    other_key.get_caller_identity()  # another account's call: never in ours
    all_events = lookup(ct)
    target = next(e for e in all_events if e["EventName"] == "GetCallerIdentity")
    assert [e["EventId"] for e in lookup(ct, "EventId", target["EventId"])] == [target["EventId"]]
    assert lookup(ct, "EventId", "00000000-0000-4000-8000-000000000000") == []
    assert {e["EventName"] for e in lookup(ct, "EventSource", "sts.amazonaws.com")} == {"GetCallerIdentity"}
    assert all(e["ReadOnly"] == "true" for e in lookup(ct, "ReadOnly", "true"))
    assert all(e["ReadOnly"] == "false" for e in lookup(ct, "ReadOnly", "false"))
    assert lookup(ct, "Username", "root")
    assert lookup(ct, "Username", "alice") == []
    assert lookup(ct, "AccessKeyId", account)
    assert lookup(ct, "AccessKeyId", "AKIDOTHERKEY0001") == []
    assert lookup(ct, "EventName", "NoSuchOperation") == []


def test_newest_first_and_pagination(ours):
    sts, ct = ours("sts"), ours("cloudtrail")
    for _ in range(7):
        sts.get_caller_identity()
    pages, token = [], None
    while True:
        kwargs = {"NextToken": token} if token else {}
        answer = ct.lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetCallerIdentity"}],
            MaxResults=3,
            **kwargs,
        )
        pages.append(answer["Events"])
        token = answer.get("NextToken")
        if not token:
            break
    assert [len(p) for p in pages] == [3, 3, 1]
    flat = [e for p in pages for e in p]
    assert len({e["EventId"] for e in flat}) == 7
    times = [json.loads(e["CloudTrailEvent"])["eventTime"] for e in flat]
    assert times == sorted(times, reverse=True)
    stamps = [e["EventId"][:13] for e in flat]  # ids lead with their millisecond
    assert stamps == sorted(stamps, reverse=True)


def test_paginator_over_all_events(ours):
    sts, ct = ours("sts"), ours("cloudtrail")
    for _ in range(4):
        sts.get_caller_identity()
    pages = list(ct.get_paginator("lookup_events").paginate(PaginationConfig={"PageSize": 2}))
    assert sum(len(p["Events"]) for p in pages) >= 4
    assert all(len(p["Events"]) <= 2 for p in pages)


def test_time_range(ours):
    sts, ct = ours("sts"), ours("cloudtrail")
    sts.get_caller_identity()
    time.sleep(1.1)
    middle = datetime.now(UTC)
    time.sleep(1.1)
    sts.get_caller_identity()
    later = lookup(ct, "EventName", "GetCallerIdentity", StartTime=middle)
    earlier = lookup(ct, "EventName", "GetCallerIdentity", EndTime=middle)
    assert len(later) == 1 and len(earlier) == 1
    assert later[0]["EventTime"] > earlier[0]["EventTime"]
    future = datetime.now(UTC) + timedelta(hours=1)
    assert lookup(ct, StartTime=future, EndTime=future + timedelta(hours=1)) == []


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"MaxResults": 51}, "ValidationException"),  # the modelled bound, checked as AWS checks constraints
        (
            {
                "LookupAttributes": [
                    {"AttributeKey": "EventName", "AttributeValue": "a"},
                    {"AttributeKey": "Username", "AttributeValue": "b"},
                ]
            },
            "InvalidLookupAttributesException",
        ),
        (
            {"StartTime": datetime(2026, 1, 2, tzinfo=UTC), "EndTime": datetime(2026, 1, 1, tzinfo=UTC)},
            "InvalidTimeRangeException",
        ),
        ({"NextToken": "garbage"}, "InvalidNextTokenException"),
    ],
)
def test_lookup_validation(ours, kwargs, code):
    with pytest.raises(ClientError) as caught:
        ours("cloudtrail").lookup_events(**kwargs)
    assert caught.value.response["Error"]["Code"] == code


def test_token_from_another_query_is_refused(ours):
    sts, ct = ours("sts"), ours("cloudtrail")
    for _ in range(3):
        sts.get_caller_identity()
    token = ct.lookup_events(MaxResults=1)["NextToken"]
    with pytest.raises(ClientError) as caught:
        ct.lookup_events(
            MaxResults=1,
            NextToken=token,
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetCallerIdentity"}],
        )
    assert caught.value.response["Error"]["Code"] == "InvalidNextTokenException"


def test_lookup_events_calls_are_recorded(ours):
    ct = ours("cloudtrail")
    ct.lookup_events(MaxResults=1)
    [entry] = lookup(ct, "EventName", "LookupEvents", MaxResults=1)
    assert entry["ReadOnly"] == "true"
    assert entry["EventSource"] == "cloudtrail.amazonaws.com"


def test_guide_lookup_commands_with_the_cli(aws_as, ours, account):
    s3 = ours("s3")
    s3.create_bucket(Bucket=f"ct-guide-{account}")
    s3.put_object(Bucket=f"ct-guide-{account}", Key="k", Body=b"1")
    s3.delete_object(Bucket=f"ct-guide-{account}", Key="k")
    found = aws_as(
        "cloudtrail",
        "lookup-events",
        "--lookup-attributes",
        "AttributeKey=Username,AttributeValue=alice",
        "--max-results",
        "10",
    )
    assert found["Events"] == []
    found = aws_as(
        "cloudtrail",
        "lookup-events",
        "--lookup-attributes",
        "AttributeKey=EventName,AttributeValue=DeleteObject",
    )
    assert found["Events"] == []  # object-level calls are data events, which LookupEvents never returns
    found = aws_as(
        "cloudtrail",
        "lookup-events",
        "--lookup-attributes",
        "AttributeKey=EventName,AttributeValue=CreateBucket",
        "--max-results",
        "10",
    )
    assert [e["EventName"] for e in found["Events"]] == ["CreateBucket"]
    assert json.loads(found["Events"][0]["CloudTrailEvent"])["userAgent"].startswith("Boto3/")
    cli_calls = aws_as(
        "cloudtrail",
        "lookup-events",
        "--lookup-attributes",
        "AttributeKey=EventName,AttributeValue=LookupEvents",
        "--max-results",
        "1",
    )
    assert json.loads(cli_calls["Events"][0]["CloudTrailEvent"])["userAgent"].startswith("aws-cli/")
