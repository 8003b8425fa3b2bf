"""What other services rely on of DynamoDB's streams: the public methods DynamoDB Streams (the
service) and Lambda's event source mappings read them through (StreamReadsMixin), never the
stream tables themselves."""

from __future__ import annotations

import pytest

from overcast.context import RequestContext

ACCOUNT, REGION = "123456789012", "eu-west-1"


@pytest.fixture
def ddb(runtime):
    return runtime.provider("dynamodb")


@pytest.fixture
def context():
    return RequestContext.internal("dynamodb", ACCOUNT, REGION)


def make_table(ddb, context, name: str, stream: bool = True) -> dict:
    params = {
        "TableName": name,
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if stream:
        params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    return ddb.create_table(context, params)["TableDescription"]


def put(ddb, context, table: str, key: str, value: str) -> None:
    ddb.put_item(context, {"TableName": table, "Item": {"id": {"S": key}, "v": {"S": value}}})


def test_stream_describes_the_table_stream(ddb, context):
    table = make_table(ddb, context, "described")
    arn = table["LatestStreamArn"]
    stream = ddb.stream(ACCOUNT, REGION, arn)
    assert stream is not None
    assert stream["arn"] == arn
    assert stream["label"] == table["LatestStreamLabel"]
    assert stream["table"] == "described"
    assert stream["view"] == "NEW_AND_OLD_IMAGES"
    assert stream["status"] == "ENABLED"
    assert stream["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert stream["shard"].startswith("shardId-")


def test_stream_is_scoped_by_account_and_region(ddb, context):
    arn = make_table(ddb, context, "scoped")["LatestStreamArn"]
    assert ddb.stream("210987654321", REGION, arn) is None
    assert ddb.stream(ACCOUNT, "us-east-1", arn) is None
    assert ddb.stream(ACCOUNT, REGION, arn + "-nope") is None


def test_stream_answers_a_copy(ddb, context):
    arn = make_table(ddb, context, "copied")["LatestStreamArn"]
    ddb.stream(ACCOUNT, REGION, arn)["status"] = "DISABLED"
    assert ddb.stream(ACCOUNT, REGION, arn)["status"] == "ENABLED"


def test_stream_list_in_arn_order_from_a_start(ddb, context):
    arns = sorted(
        make_table(ddb, context, name)["LatestStreamArn"] for name in ("list-a", "list-b", "list-c")
    )
    make_table(ddb, context, "no-stream", stream=False)
    assert [s["arn"] for s in ddb.stream_list(ACCOUNT, REGION)] == arns
    assert [s["arn"] for s in ddb.stream_list(ACCOUNT, REGION, start_after=arns[0])] == arns[1:]
    assert list(ddb.stream_list("210987654321", REGION)) == []


def test_bounds_and_records_follow_the_writes(ddb, context):
    arn = make_table(ddb, context, "written")["LatestStreamArn"]
    assert ddb.stream_bounds(ACCOUNT, REGION, arn) == (None, 0)
    assert ddb.stream_records(ACCOUNT, REGION, arn, 0, 10) == []
    for index in range(3):
        put(ddb, context, "written", f"k{index}", "one")
    put(ddb, context, "written", "k0", "two")

    oldest, newest = ddb.stream_bounds(ACCOUNT, REGION, arn)
    records = ddb.stream_records(ACCOUNT, REGION, arn, 0, 10)
    assert [r["eventName"] for r in records] == ["INSERT", "INSERT", "INSERT", "MODIFY"]
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert numbers == sorted(numbers) and len(set(numbers)) == 4
    assert (oldest, newest) == (numbers[0], numbers[-1])
    assert records[3]["dynamodb"]["OldImage"] == {"id": {"S": "k0"}, "v": {"S": "one"}}
    # After a sequence number, at most `limit`, oldest first.
    assert ddb.stream_records(ACCOUNT, REGION, arn, numbers[1], 10) == records[2:]
    assert ddb.stream_records(ACCOUNT, REGION, arn, 0, 2) == records[:2]
    assert ddb.stream_records(ACCOUNT, REGION, arn, newest, 10) == []


def test_no_such_stream_has_no_bounds_and_no_records(ddb):
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/missing/stream/2024-01-01T00:00:00.000"
    assert ddb.stream_bounds(ACCOUNT, REGION, arn) == (None, 0)
    assert ddb.stream_records(ACCOUNT, REGION, arn, 0, 10) == []


def test_a_disabled_stream_keeps_its_records_and_says_where_it_ended(ddb, context):
    arn = make_table(ddb, context, "disabled")["LatestStreamArn"]
    put(ddb, context, "disabled", "a", "one")
    ddb.update_table(context, {"TableName": "disabled", "StreamSpecification": {"StreamEnabled": False}})
    stream = ddb.stream(ACCOUNT, REGION, arn)
    _oldest, newest = ddb.stream_bounds(ACCOUNT, REGION, arn)
    assert stream["status"] == "DISABLED"
    assert stream["last"] == newest
    assert len(ddb.stream_records(ACCOUNT, REGION, arn, 0, 10)) == 1
