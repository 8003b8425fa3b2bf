"""Event source mapping FilterCriteria are validated and applied: records that match no filter
never reach the function (SQS messages are deleted, stream records skipped)."""

from __future__ import annotations

import json
import time

import pytest

from .helpers import create, unique
from .test_triggers import RECORDER, recorded


def test_sqs_messages_matching_no_filter_are_deleted_unseen(client):
    lam, sqs, logs = client("lambda"), client("sqs"), client("logs")
    name = create(lam, RECORDER)
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for body in (json.dumps({"kind": "order", "n": 5}), json.dumps({"kind": "refund"}), "plain text"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName=name,
        BatchSize=10,
        MaximumBatchingWindowInSeconds=1,
        FilterCriteria={
            "Filters": [{"Pattern": json.dumps({"body": {"kind": ["order"], "n": [{"numeric": [">", 1]}]}})}]
        },
    )
    events = recorded(logs, name)
    bodies = [json.loads(r["body"]) for event in events for r in event["Records"]]
    assert bodies == [{"kind": "order", "n": 5}]
    for _ in range(50):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        if (
            attributes["ApproximateNumberOfMessages"]
            == attributes["ApproximateNumberOfMessagesNotVisible"]
            == "0"
        ):
            break
        time.sleep(0.1)
    assert (
        attributes["ApproximateNumberOfMessages"]
        == attributes["ApproximateNumberOfMessagesNotVisible"]
        == "0"
    )
    time.sleep(0.5)
    assert len(recorded(logs, name)) == 1


def test_stream_records_matching_no_filter_are_skipped(client):
    lam, ddb, logs = client("lambda"), client("dynamodb"), client("logs")
    table = unique("tbl")
    stream_arn = ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]["LatestStreamArn"]
    name = create(lam, RECORDER)
    ddb.put_item(TableName=table, Item={"pk": {"S": "skip-me"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "keep-1"}})
    ddb.delete_item(TableName=table, Key={"pk": {"S": "skip-me"}})
    lam.create_event_source_mapping(
        EventSourceArn=stream_arn,
        FunctionName=name,
        StartingPosition="TRIM_HORIZON",
        FilterCriteria={
            "Filters": [
                {
                    "Pattern": json.dumps(
                        {
                            "eventName": ["INSERT"],
                            "dynamodb": {"NewImage": {"pk": {"S": [{"prefix": "keep"}]}}},
                        }
                    )
                }
            ]
        },
    )
    events = recorded(logs, name)
    time.sleep(1.0)
    records = [r for event in recorded(logs, name) for r in event["Records"]]
    assert [r["dynamodb"]["NewImage"]["pk"]["S"] for r in records] == ["keep-1"]
    assert events


def test_exists_false_matches_a_field_holding_an_object(client):
    """Matching looks only at leaves: an image attribute ({"S": ...}) is an object, so
    `exists: false` on it matches, as AWS delivers both records."""
    lam, ddb, logs = client("lambda"), client("dynamodb"), client("logs")
    table = unique("tbl")
    stream_arn = ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]["LatestStreamArn"]
    name = create(lam, RECORDER)
    ddb.put_item(TableName=table, Item={"id": {"S": "one"}})
    ddb.put_item(TableName=table, Item={"id": {"S": "two"}, "presentKey": {"S": "presentValue"}})
    lam.create_event_source_mapping(
        EventSourceArn=stream_arn,
        FunctionName=name,
        StartingPosition="TRIM_HORIZON",
        FilterCriteria={
            "Filters": [
                {"Pattern": json.dumps({"dynamodb": {"NewImage": {"presentKey": [{"exists": False}]}}})}
            ]
        },
    )
    deadline = time.monotonic() + 30
    ids: list[str] = []
    while len(ids) < 2 and time.monotonic() < deadline:
        ids = [
            r["dynamodb"]["NewImage"]["id"]["S"] for event in recorded(logs, name) for r in event["Records"]
        ]
        time.sleep(0.5)
    assert sorted(ids) == ["one", "two"]


@pytest.mark.parametrize("pattern", ["not json", json.dumps({"body": "scalar"})])
def test_invalid_filter_patterns_are_refused(client, pattern):
    lam, sqs = client("lambda"), client("sqs")
    name = create(lam, RECORDER)
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.create_event_source_mapping(
            EventSourceArn=arn, FunctionName=name, FilterCriteria={"Filters": [{"Pattern": pattern}]}
        )
    assert raised.value.response["Error"]["Message"] == "Invalid filter pattern definition."


def test_sqs_batches_over_ten_need_a_window_on_update_too(client):
    lam, sqs = client("lambda"), client("sqs")
    name = create(lam, RECORDER)
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, Enabled=False)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.update_event_source_mapping(UUID=mapping["UUID"], BatchSize=11)
    assert (
        "Maximum batch window in seconds must be greater than 0" in raised.value.response["Error"]["Message"]
    )
    updated = lam.update_event_source_mapping(
        UUID=mapping["UUID"], BatchSize=11, MaximumBatchingWindowInSeconds=1
    )
    assert updated["BatchSize"] == 11
