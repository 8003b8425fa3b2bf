"""Enhanced fan-out: consumers and SubscribeToShard's event stream."""

from __future__ import annotations

import threading
import time

import pytest


def test_register_describe_list_deregister(kinesis, stream):
    arn = stream["StreamARN"]
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="reader")["Consumer"]
    assert consumer["ConsumerARN"].startswith(f"{arn}/consumer/reader:")
    assert consumer["ConsumerStatus"] == "ACTIVE"
    described = kinesis.describe_stream_consumer(ConsumerARN=consumer["ConsumerARN"])["ConsumerDescription"]
    assert described["StreamARN"] == arn
    by_name = kinesis.describe_stream_consumer(StreamARN=arn, ConsumerName="reader")["ConsumerDescription"]
    assert by_name["ConsumerARN"] == consumer["ConsumerARN"]
    kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="second")
    page = kinesis.list_stream_consumers(StreamARN=arn, MaxResults=1)
    assert len(page["Consumers"]) == 1
    rest = kinesis.list_stream_consumers(StreamARN=arn, NextToken=page["NextToken"])
    assert {c["ConsumerName"] for c in page["Consumers"] + rest["Consumers"]} == {"reader", "second"}
    assert kinesis.describe_stream_summary(StreamARN=arn)["StreamDescriptionSummary"]["ConsumerCount"] == 2
    with pytest.raises(kinesis.exceptions.ResourceInUseException):
        kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="reader")
    with pytest.raises(kinesis.exceptions.ResourceInUseException):
        kinesis.delete_stream(StreamARN=arn)
    kinesis.tag_resource(ResourceARN=consumer["ConsumerARN"], Tags={"role": "reader"})
    assert kinesis.list_tags_for_resource(ResourceARN=consumer["ConsumerARN"])["Tags"] == [
        {"Key": "role", "Value": "reader"}
    ]
    kinesis.deregister_stream_consumer(ConsumerARN=consumer["ConsumerARN"])
    with pytest.raises(kinesis.exceptions.ResourceNotFoundException):
        kinesis.describe_stream_consumer(ConsumerARN=consumer["ConsumerARN"])
    kinesis.delete_stream(StreamARN=arn, EnforceConsumerDeletion=True)


def test_subscribe_to_shard_pushes_records(kinesis, stream):
    name, arn = stream["StreamName"], stream["StreamARN"]
    kinesis.put_record(StreamName=name, Data=b"old", PartitionKey="p", ExplicitHashKey="0")
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="efo")["Consumer"]
    answer = kinesis.subscribe_to_shard(
        ConsumerARN=consumer["ConsumerARN"],
        ShardId="shardId-000000000000",
        StartingPosition={"Type": "TRIM_HORIZON"},
    )
    with pytest.raises(kinesis.exceptions.ResourceInUseException):
        kinesis.subscribe_to_shard(
            ConsumerARN=consumer["ConsumerARN"],
            ShardId="shardId-000000000000",
            StartingPosition={"Type": "LATEST"},
        )
    received: list[bytes] = []
    started = time.monotonic()
    writer = threading.Timer(
        0.3, lambda: kinesis.put_record(StreamName=name, Data=b"live", PartitionKey="p", ExplicitHashKey="0")
    )
    writer.start()
    last = None
    for event in answer["EventStream"]:
        body = event["SubscribeToShardEvent"]
        received += [r["Data"] for r in body["Records"]]
        last = body
        if len(received) >= 2:
            break
    answer["EventStream"].close()
    assert received == [b"old", b"live"]
    assert time.monotonic() - started < 15  # pushed as it came, not at the end of the subscription
    assert last is not None and last["MillisBehindLatest"] == 0
    assert last["ContinuationSequenceNumber"].isdigit()
