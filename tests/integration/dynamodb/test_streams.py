"""DynamoDB Streams through boto3: records for every change, iterators of every type, TTL
deletions with the service's identity; and state that survives a restart and kill -9."""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.integration.dynamodb.helpers import make_table


def shard_of(streams, arn: str) -> str:
    return streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]


def read_all(streams, arn: str, kind: str = "TRIM_HORIZON", **extra) -> list:
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard_of(streams, arn), ShardIteratorType=kind, **extra
    )["ShardIterator"]
    records = []
    while iterator:
        page = streams.get_records(ShardIterator=iterator, Limit=3)
        records += page["Records"]
        if not page["Records"]:
            break
        iterator = page.get("NextShardIterator")
    return records


@pytest.mark.parametrize("view", ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"])
def test_records_for_each_view_type(ddb, streams, view):
    name = make_table(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": view})
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    key = {"pk": {"S": "a"}, "sk": {"S": "1"}}
    ddb.put_item(TableName=name, Item={**key, "v": {"N": "1"}})
    ddb.put_item(TableName=name, Item={**key, "v": {"N": "1"}})  # no change: no record
    ddb.update_item(
        TableName=name,
        Key=key,
        UpdateExpression="SET v = :two",
        ExpressionAttributeValues={":two": {"N": "2"}},
    )
    ddb.delete_item(TableName=name, Key=key)
    records = read_all(streams, arn)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    sequences = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert sequences == sorted(sequences) and len(set(sequences)) == 3
    for record in records:
        assert record["eventSource"] == "aws:dynamodb" and record["awsRegion"] == "us-east-1"
        assert record["dynamodb"]["Keys"] == key and record["dynamodb"]["StreamViewType"] == view
    images = [(("NewImage" in r["dynamodb"]), ("OldImage" in r["dynamodb"])) for r in records]
    expected = {
        "KEYS_ONLY": [(False, False)] * 3,
        "NEW_IMAGE": [(True, False), (True, False), (False, False)],
        "OLD_IMAGE": [(False, False), (False, True), (False, True)],
        "NEW_AND_OLD_IMAGES": [(True, False), (True, True), (False, True)],
    }[view]
    assert images == expected
    if view == "NEW_AND_OLD_IMAGES":
        assert records[1]["dynamodb"]["OldImage"]["v"] == {"N": "1"}
        assert records[1]["dynamodb"]["NewImage"]["v"] == {"N": "2"}


def test_iterator_types_and_listing(ddb, streams):
    name = make_table(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    listed = streams.list_streams(TableName=name)["Streams"]
    assert listed == [{"StreamArn": arn, "TableName": name, "StreamLabel": arn.rsplit("/", 1)[1]}]
    for i in range(5):
        ddb.put_item(TableName=name, Item={"pk": {"S": str(i)}, "sk": {"S": "x"}})
    records = read_all(streams, arn)
    sequences = [r["dynamodb"]["SequenceNumber"] for r in records]
    assert len(sequences) == 5
    at = read_all(streams, arn, "AT_SEQUENCE_NUMBER", SequenceNumber=sequences[2])
    assert [r["dynamodb"]["SequenceNumber"] for r in at] == sequences[2:]
    after = read_all(streams, arn, "AFTER_SEQUENCE_NUMBER", SequenceNumber=sequences[2])
    assert [r["dynamodb"]["SequenceNumber"] for r in after] == sequences[3:]
    latest = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard_of(streams, arn), ShardIteratorType="LATEST"
    )["ShardIterator"]
    assert streams.get_records(ShardIterator=latest)["Records"] == []
    ddb.put_item(TableName=name, Item={"pk": {"S": "late"}, "sk": {"S": "x"}})
    assert [
        r["dynamodb"]["Keys"]["pk"]["S"] for r in streams.get_records(ShardIterator=latest)["Records"]
    ] == ["late"]
    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert description["StreamStatus"] == "ENABLED" and description["TableName"] == name
    assert description["KeySchema"][0] == {"AttributeName": "pk", "KeyType": "HASH"}
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    closed = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert closed["StreamStatus"] == "DISABLED"
    assert closed["Shards"][0]["SequenceNumberRange"]["EndingSequenceNumber"] == sequences[-1][:-1] + "6"
    with pytest.raises(ClientError) as info:
        streams.describe_stream(StreamArn=arn + "x")
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_ttl_deletes_with_service_identity_and_state_survives_kill(tmp_path):
    server = Server("--data-dir", str(tmp_path), "--quiet", env={"OVERCAST_DYNAMODB_TTL_INTERVAL": "0.2"})
    try:

        def clients(endpoint):
            kwargs = dict(
                endpoint_url=endpoint,
                region_name="us-east-1",
                aws_access_key_id="test",
                aws_secret_access_key="test",
            )
            return boto3.client("dynamodb", **kwargs), boto3.client("dynamodbstreams", **kwargs)

        ddb, streams = clients(server.endpoint)
        name = make_table(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": "OLD_IMAGE"})
        ddb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"}
        )
        now = int(time.time())
        ddb.put_item(TableName=name, Item={"pk": {"S": "old"}, "sk": {"S": "1"}, "exp": {"N": str(now - 10)}})
        ddb.put_item(
            TableName=name, Item={"pk": {"S": "new"}, "sk": {"S": "1"}, "exp": {"N": str(now + 3600)}}
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and ddb.scan(TableName=name)["Count"] != 1:
            time.sleep(0.1)
        assert [i["pk"]["S"] for i in ddb.scan(TableName=name)["Items"]] == ["new"]
        arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
        # The stream record follows the delete (as on AWS, not in the same instant); the sweep
        # may come before or after the second put.
        removals: list[dict] = []
        while time.monotonic() < deadline and not removals:
            removals = [r for r in read_all(streams, arn) if r["eventName"] == "REMOVE"]
            time.sleep(0.1)
        assert len(removals) == 1
        removal = removals[0]
        assert removal["userIdentity"] == {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}
        assert removal["dynamodb"]["OldImage"]["pk"] == {"S": "old"}

        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": name, "Item": {"pk": {"S": f"t{i}"}, "sk": {"S": "1"}}}}
                for i in range(10)
            ]
        )
        server.stop(kill=True)
        server = Server("--data-dir", str(tmp_path), "--quiet")
        ddb, streams = clients(server.endpoint)
        assert ddb.scan(TableName=name, Select="COUNT")["Count"] == 11
        assert (
            ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]["TimeToLiveStatus"]
            == "ENABLED"
        )
        records = read_all(streams, arn)
        assert len(records) == 13
        sequences = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
        ddb.put_item(TableName=name, Item={"pk": {"S": "after"}, "sk": {"S": "1"}})
        later = read_all(streams, arn)[-1]
        assert int(later["dynamodb"]["SequenceNumber"]) > max(sequences)
    finally:
        server.stop()


def test_iterator_shape_and_reading_an_empty_shard_at_its_start(ddb, streams):
    name = make_table(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    start = shard["SequenceNumberRange"]["StartingSequenceNumber"]
    # AWS's iterators read `<stream arn>|1|<opaque>`.
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=start
    )["ShardIterator"]
    assert iterator.startswith(f"{arn}|1|")
    page = streams.get_records(ShardIterator=iterator)
    assert page["Records"] == [] and page["NextShardIterator"].startswith(f"{arn}|1|")
    ddb.put_item(TableName=name, Item={"pk": {"S": "first"}, "sk": {"S": "x"}})
    records = streams.get_records(ShardIterator=page["NextShardIterator"])["Records"]
    assert [r["dynamodb"]["SequenceNumber"] for r in records] == [start]
