"""DynamoDB's Kinesis streaming destination: item changes reach the stream as DynamoDB writes
them, until the destination is disabled."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from .conftest import read_all


def _stream_records(kinesis, name: str, count: int) -> list[dict]:
    found: list[dict] = []
    for _ in range(100):
        found = [
            json.loads(r["Data"])
            for s in kinesis.list_shards(StreamName=name)["Shards"]
            for r in read_all(kinesis, name, s["ShardId"])
        ]
        if len(found) >= count:
            break
        time.sleep(0.05)
    return found


def test_item_changes_reach_the_stream(client, kinesis, stream):
    ddb = client("dynamodb")
    table = f"t-{uuid.uuid4().hex[:10]}"
    ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    arn = stream["StreamARN"]
    enabled = ddb.enable_kinesis_streaming_destination(TableName=table, StreamArn=arn)
    assert enabled["DestinationStatus"] == "ENABLING"
    described = ddb.describe_kinesis_streaming_destination(TableName=table)["KinesisDataStreamDestinations"]
    assert described == [
        {
            "StreamArn": arn,
            "DestinationStatus": "ACTIVE",
            "ApproximateCreationDateTimePrecision": "MILLISECOND",
        }
    ]
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    ddb.update_item(
        TableName=table,
        Key={"pk": {"S": "a"}},
        UpdateExpression="SET n = :two",
        ExpressionAttributeValues={":two": {"N": "2"}},
    )
    ddb.delete_item(TableName=table, Key={"pk": {"S": "a"}})
    records = _stream_records(kinesis, stream["StreamName"], 3)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    first = records[0]
    assert first["tableName"] == table and first["eventSource"] == "aws:dynamodb"
    assert first["recordFormat"] == "application/json" and first["awsRegion"] == "us-east-1"
    assert first["dynamodb"]["Keys"] == {"pk": {"S": "a"}}
    assert first["dynamodb"]["NewImage"] == {"pk": {"S": "a"}, "n": {"N": "1"}}
    assert "OldImage" not in first["dynamodb"]
    assert records[1]["dynamodb"]["OldImage"]["n"] == {"N": "1"}
    assert records[1]["dynamodb"]["NewImage"]["n"] == {"N": "2"}
    assert abs(first["dynamodb"]["ApproximateCreationDateTime"] / 1000 - time.time()) < 60
    assert first["dynamodb"]["ApproximateCreationDateTimePrecision"] == "MILLISECOND"

    updated = ddb.update_kinesis_streaming_destination(
        TableName=table,
        StreamArn=arn,
        UpdateKinesisStreamingConfiguration={"ApproximateCreationDateTimePrecision": "MICROSECOND"},
    )
    assert updated["DestinationStatus"] == "UPDATING"
    ddb.put_item(TableName=table, Item={"pk": {"S": "b"}})
    records = _stream_records(kinesis, stream["StreamName"], 4)
    assert records[-1]["dynamodb"]["ApproximateCreationDateTimePrecision"] == "MICROSECOND"

    assert ddb.disable_kinesis_streaming_destination(TableName=table, StreamArn=arn)["DestinationStatus"] == (
        "DISABLING"
    )
    ddb.put_item(TableName=table, Item={"pk": {"S": "c"}})
    time.sleep(0.5)
    assert len(_stream_records(kinesis, stream["StreamName"], 5)) == 4
    status = ddb.describe_kinesis_streaming_destination(TableName=table)["KinesisDataStreamDestinations"]
    assert status[0]["DestinationStatus"] == "DISABLED"
    with pytest.raises(ClientError) as missing:
        ddb.enable_kinesis_streaming_destination(TableName=table, StreamArn=arn + "-missing")
    assert missing.value.response["Error"]["Code"] == "ValidationException"
