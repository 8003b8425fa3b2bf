"""What other services rely on: Provider.deliver (EventBridge, Logs, DynamoDB), stream_by_arn
(Logs, Lambda, DynamoDB check a destination), and the reads Lambda's poller makes: list_shards
and get_shard_iterator with an internal context, read_records with dicts in wire form."""

from __future__ import annotations

import base64

import pytest

from overcast.bus import DeliveryError
from overcast.context import RequestContext

ACCOUNT, REGION = "000000000000", "us-east-1"
ARN = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/contract"


@pytest.fixture
def kinesis(runtime):
    provider = runtime.provider("kinesis")
    provider.create_stream(
        RequestContext.internal("kinesis", ACCOUNT, REGION), {"StreamName": "contract", "ShardCount": 2}
    )
    return provider


@pytest.fixture
def context():
    return RequestContext.internal("kinesis", ACCOUNT, REGION)


def test_stream_by_arn(kinesis):
    scope, row = kinesis.stream_by_arn(ARN)
    assert scope == f"{ACCOUNT}/{REGION}" and row["StreamARN"] == ARN
    assert kinesis.stream_by_arn(ARN + "-missing") is None
    assert kinesis.stream_by_arn("not an arn") is None


def test_deliver_writes_a_record_and_refuses_missing_streams(kinesis, context):
    answer = kinesis.deliver(ARN, {"hello": "world"}, partition_key="pk-1")
    assert answer["ShardId"].startswith("shardId-")
    text = kinesis.deliver(ARN, "plain text")
    raw = kinesis.deliver(ARN, b"\x00\x01", partition_key="pk-1")
    assert raw["ShardId"] == answer["ShardId"]
    with pytest.raises(DeliveryError):
        kinesis.deliver(ARN + "-missing", "x")
    found = []
    for shard in kinesis.list_shards(context, {"StreamARN": ARN})["Shards"]:
        iterator = kinesis.get_shard_iterator(
            context, {"StreamARN": ARN, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON"}
        )["ShardIterator"]
        answer_ = kinesis.read_records(iterator, 100)
        assert "NextShardIterator" in answer_ and answer_["MillisBehindLatest"] >= 0
        found += answer_["Records"]
    datas = sorted(base64.b64decode(r["Data"]) for r in found)
    assert datas == sorted([b'{"hello":"world"}', b"plain text", b"\x00\x01"])
    assert all(isinstance(r["ApproximateArrivalTimestamp"], float) for r in found)
    assert text["SequenceNumber"].isdigit()
