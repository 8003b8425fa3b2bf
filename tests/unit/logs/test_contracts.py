"""What other services rely on of CloudWatch Logs: group_exists (CloudTrail checks a trail's
log group before it delivers), write (CloudTrail's delivery, with create=False) and append
(Lambda's function logs, written soon after, before any read of Logs)."""

from __future__ import annotations

import asyncio

import pytest

from overcast.context import RequestContext
from overcast.errors import ServiceError

ACCOUNT, REGION = "123456789012", "eu-west-1"


@pytest.fixture
def logs(runtime):
    return runtime.provider("logs")


@pytest.fixture
def context():
    return RequestContext.internal("logs", ACCOUNT, REGION)


def messages(logs, context, group: str, stream: str) -> list[str]:
    events = logs.get_log_events(context, {"logGroupName": group, "logStreamName": stream})["events"]
    return [event["message"] for event in events]


def test_group_exists_once_created_in_its_account_and_region(logs, context):
    assert not logs.group_exists(ACCOUNT, REGION, "trail-group")
    logs.create_log_group(context, {"logGroupName": "trail-group"})
    assert logs.group_exists(ACCOUNT, REGION, "trail-group")
    assert not logs.group_exists("210987654321", REGION, "trail-group")
    assert not logs.group_exists(ACCOUNT, "us-east-1", "trail-group")
    logs.delete_log_group(context, {"logGroupName": "trail-group"})
    assert not logs.group_exists(ACCOUNT, REGION, "trail-group")


def test_write_into_an_existing_group_creates_the_stream(logs, context):
    logs.create_log_group(context, {"logGroupName": "delivered"})
    logs.write(
        ACCOUNT, REGION, "delivered", "acct_CloudTrail_eu-west-1", [(1000, "a"), (2000, "b")], create=False
    )
    assert messages(logs, context, "delivered", "acct_CloudTrail_eu-west-1") == ["a", "b"]


def test_write_creates_the_group_by_default(logs, context):
    logs.write(ACCOUNT, REGION, "/aws/lambda/fn", "stream", [(1000, "line")])
    assert logs.group_exists(ACCOUNT, REGION, "/aws/lambda/fn")
    assert messages(logs, context, "/aws/lambda/fn", "stream") == ["line"]


def test_append_outside_an_event_loop_writes_at_once(logs, context):
    logs.append(
        ACCOUNT, REGION, "/aws/lambda/appended", "2024/01/01/[$LATEST]abc", [(1000, "START"), (1001, "END")]
    )
    assert messages(logs, context, "/aws/lambda/appended", "2024/01/01/[$LATEST]abc") == ["START", "END"]


def test_append_on_the_loop_is_seen_by_the_next_read(runtime, logs, context):
    async def scenario():
        runtime.attach_loop(asyncio.get_running_loop())
        logs.append(ACCOUNT, REGION, "/aws/lambda/later", "s", [(1000, "deferred")])
        first = messages(logs, context, "/aws/lambda/later", "s")
        logs.append(ACCOUNT, REGION, "/aws/lambda/made", "s", [(1000, "deferred")])
        return first, logs.group_exists(ACCOUNT, REGION, "/aws/lambda/made")

    assert asyncio.run(scenario()) == (["deferred"], True)


def test_metric_filters_for_gives_a_groups_filters_as_stored(logs, context):
    """CloudWatch reads a group's metric filters through metric_filters_for."""
    logs.create_log_group(context, {"logGroupName": "metered"})
    transformation = {"metricName": "Hits", "metricNamespace": "App", "metricValue": "$.n", "unit": "Count"}
    logs.put_metric_filter(
        context,
        {
            "logGroupName": "metered",
            "filterName": "hits",
            "filterPattern": "{ $.n > 0 }",
            "metricTransformations": [transformation],
        },
    )
    [found] = logs.metric_filters_for(ACCOUNT, REGION, "metered")
    assert found["filterName"] == "hits" and found["metricTransformations"] == [transformation]
    assert logs.metric_filters_for(ACCOUNT, "us-east-1", "metered") == []
    logs.delete_log_group(context, {"logGroupName": "metered"})
    assert logs.metric_filters_for(ACCOUNT, REGION, "metered") == []


def test_what_exports_rely_on_of_s3(runtime):
    """An export checks the bucket with S3's head_bucket (NoSuchBucket, 404, when absent) and
    writes through its put_object handler, awaited."""
    s3 = runtime.provider("s3")
    context = RequestContext.internal("s3", ACCOUNT, REGION)
    with pytest.raises(ServiceError) as error:
        s3.head_bucket(context, {"Bucket": "no-such-export-bucket"})
    assert error.value.status == 404
    s3.create_bucket(
        context, {"Bucket": "export-contract", "CreateBucketConfiguration": {"LocationConstraint": REGION}}
    )
    s3.head_bucket(context, {"Bucket": "export-contract"})
    body = b"Permission Check Successful"
    written = s3.put_object(
        context, {"Bucket": "export-contract", "Key": "k", "Body": body, "ContentLength": len(body)}
    )
    assert asyncio.iscoroutine(written)
    assert asyncio.run(written)["ETag"]


def test_appended_events_go_through_the_groups_transformer(logs, context):
    """Other services' logs are transformed (and masked) like PutLogEvents' events."""
    logs.create_log_group(context, {"logGroupName": "transformed"})
    config = [{"parseKeyValue": {}}, {"upperCaseString": {"withKeys": ["level"]}}]
    logs.put_transformer(context, {"logGroupIdentifier": "transformed", "transformerConfig": config})
    logs.write(ACCOUNT, REGION, "transformed", "s", [(1, "level=warn&code=7")])
    assert messages(logs, context, "transformed", "s") == ['{"level":"WARN","code":"7"}']
