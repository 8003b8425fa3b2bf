"""Records: puts with ordering sequence numbers and explicit hash keys, the five iterator types,
GetRecords' limits and MillisBehindLatest, errors for bad input, encryption through KMS,
deliveries from EventBridge and CloudWatch Logs subscriptions."""

from __future__ import annotations

import gzip
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from .conftest import read_all

SHARD0 = "shardId-000000000000"


def test_put_and_get_in_order(kinesis, stream):
    name = stream["StreamName"]
    numbers = []
    for i in range(5):
        answer = kinesis.put_record(
            StreamName=name, Data=f"r{i}".encode(), PartitionKey="same", ExplicitHashKey="7"
        )
        assert answer["ShardId"] == SHARD0 and answer["EncryptionType"] == "NONE"
        numbers.append(int(answer["SequenceNumber"]))
    assert numbers == sorted(numbers) and len(set(numbers)) == 5
    records = read_all(kinesis, name, SHARD0)
    assert [r["Data"] for r in records] == [f"r{i}".encode() for i in range(5)]
    assert records[0]["PartitionKey"] == "same"
    assert isinstance(records[0]["ApproximateArrivalTimestamp"], datetime)


def test_partition_keys_route_by_md5(kinesis, stream):
    name = stream["StreamName"]
    shards = kinesis.list_shards(StreamName=name)["Shards"]
    import hashlib

    for key in ("alpha", "beta", "gamma", "delta"):
        answer = kinesis.put_record(StreamName=name, Data=b"d", PartitionKey=key)
        hashed = int.from_bytes(hashlib.md5(key.encode()).digest(), "big")
        owner = next(
            s["ShardId"]
            for s in shards
            if int(s["HashKeyRange"]["StartingHashKey"]) <= hashed <= int(s["HashKeyRange"]["EndingHashKey"])
        )
        assert answer["ShardId"] == owner


def test_put_records_batch(kinesis, stream):
    name = stream["StreamName"]
    answer = kinesis.put_records(
        StreamARN=stream["StreamARN"],
        Records=[{"Data": f"b{i}".encode(), "PartitionKey": f"key-{i}"} for i in range(20)],
    )
    assert answer["FailedRecordCount"] == 0 and len(answer["Records"]) == 20
    total = sum(
        len(read_all(kinesis, name, s["ShardId"])) for s in kinesis.list_shards(StreamName=name)["Shards"]
    )
    assert total == 20
    with pytest.raises(ClientError) as refused:
        kinesis.put_records(StreamName=name, Records=[{"Data": b"x", "PartitionKey": "k" * 257}])
    assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_iterator_types(kinesis, stream):
    name = stream["StreamName"]
    sent = [
        kinesis.put_record(StreamName=name, Data=f"v{i}".encode(), PartitionKey="p", ExplicitHashKey="0")[
            "SequenceNumber"
        ]
        for i in range(4)
    ]
    at = read_all(kinesis, name, SHARD0, "AT_SEQUENCE_NUMBER", StartingSequenceNumber=sent[1])
    assert [r["Data"] for r in at] == [b"v1", b"v2", b"v3"]
    after = read_all(kinesis, name, SHARD0, "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=sent[1])
    assert [r["Data"] for r in after] == [b"v2", b"v3"]
    latest = kinesis.get_shard_iterator(StreamName=name, ShardId=SHARD0, ShardIteratorType="LATEST")[
        "ShardIterator"
    ]
    assert kinesis.get_records(ShardIterator=latest)["Records"] == []
    kinesis.put_record(StreamName=name, Data=b"new", PartitionKey="p", ExplicitHashKey="0")
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=latest)["Records"]] == [b"new"]
    future = datetime.now(UTC) + timedelta(hours=1)
    assert read_all(kinesis, name, SHARD0, "AT_TIMESTAMP", Timestamp=future) == []
    past = datetime.now(UTC) - timedelta(hours=1)
    assert len(read_all(kinesis, name, SHARD0, "AT_TIMESTAMP", Timestamp=past)) == 5
    with pytest.raises(kinesis.exceptions.InvalidArgumentException) as wrong_shard:
        kinesis.get_shard_iterator(
            StreamName=name, ShardId="shardId-000000000001", ShardIteratorType="AT_SEQUENCE_NUMBER",
            StartingSequenceNumber=sent[0],
        )  # fmt: skip
    assert "It encodes shardId-000000000000" in str(wrong_shard.value)
    with pytest.raises(kinesis.exceptions.ResourceNotFoundException):
        kinesis.get_shard_iterator(
            StreamName=name, ShardId="shardId-000000000009", ShardIteratorType="LATEST"
        )


def test_limit_next_iterator_and_millis_behind(kinesis, stream):
    name = stream["StreamName"]
    for i in range(5):
        kinesis.put_record(StreamName=name, Data=str(i).encode(), PartitionKey="p", ExplicitHashKey="0")
    time.sleep(0.05)
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId=SHARD0, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    first = kinesis.get_records(ShardIterator=iterator, Limit=2)
    assert [r["Data"] for r in first["Records"]] == [b"0", b"1"]
    assert first["MillisBehindLatest"] > 0
    rest = kinesis.get_records(ShardIterator=first["NextShardIterator"], Limit=10)
    assert [r["Data"] for r in rest["Records"]] == [b"2", b"3", b"4"]
    assert rest["MillisBehindLatest"] == 0
    with pytest.raises(kinesis.exceptions.InvalidArgumentException):
        kinesis.get_records(ShardIterator="not-an-iterator")


def test_sequence_number_for_ordering(kinesis, stream):
    name = stream["StreamName"]
    first = kinesis.put_record(StreamName=name, Data=b"a", PartitionKey="k", ExplicitHashKey="0")
    second = kinesis.put_record(
        StreamName=name, Data=b"b", PartitionKey="k", ExplicitHashKey="0",
        SequenceNumberForOrdering=first["SequenceNumber"],
    )  # fmt: skip
    assert int(second["SequenceNumber"]) > int(first["SequenceNumber"])


def test_bad_explicit_hash_key_and_dry_run(kinesis, stream):
    name = stream["StreamName"]
    with pytest.raises(kinesis.exceptions.InvalidArgumentException):
        kinesis.put_record(StreamName=name, Data=b"a", PartitionKey="k", ExplicitHashKey=str(2**128))
    with pytest.raises(ClientError) as dry:
        kinesis.put_record(StreamName=name, Data=b"a", PartitionKey="k", DryRun=True)
    assert dry.value.response["Error"]["Code"] == "DryRunOperationException"
    assert read_all(kinesis, name, SHARD0) == [] and read_all(kinesis, name, "shardId-000000000001") == []


def test_encryption_with_kms(kinesis, client, stream):
    kms = client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    name = stream["StreamName"]
    kinesis.put_record(StreamName=name, Data=b"plain", PartitionKey="p", ExplicitHashKey="0")
    kinesis.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId=key)
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["EncryptionType"] == "KMS" and summary["KeyId"] == key
    put = kinesis.put_record(StreamName=name, Data=b"secret", PartitionKey="p", ExplicitHashKey="0")
    assert put["EncryptionType"] == "KMS"
    records = read_all(kinesis, name, SHARD0)
    assert [r["Data"] for r in records] == [b"plain", b"secret"]
    assert "EncryptionType" not in records[0] and records[1]["EncryptionType"] == "KMS"
    kms.disable_key(KeyId=key)
    time.sleep(1.1)
    with pytest.raises(ClientError) as disabled:
        kinesis.put_record(StreamName=name, Data=b"more", PartitionKey="p")
    assert disabled.value.response["Error"]["Code"] == "KMSDisabledException"
    kms.enable_key(KeyId=key)
    kinesis.stop_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId=key)
    assert kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="p")["EncryptionType"] == "NONE"
    with pytest.raises(ClientError) as missing:
        kinesis.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/does-not-exist")
    assert missing.value.response["Error"]["Code"] == "KMSNotFoundException"


def test_eventbridge_target_writes_records(kinesis, client, stream):
    events = client("events")
    rule = f"to-{stream['StreamName']}"
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["app.orders"]}))
    events.put_targets(
        Rule=rule,
        Targets=[
            {
                "Id": "stream",
                "Arn": stream["StreamARN"],
                "KinesisParameters": {"PartitionKeyPath": "$.detail.customer"},
            }
        ],
    )
    events.put_events(
        Entries=[{"Source": "app.orders", "DetailType": "Order", "Detail": json.dumps({"customer": "c-42"})}]
    )
    found = []
    for _ in range(100):
        found = [
            r
            for s in kinesis.list_shards(StreamName=stream["StreamName"])["Shards"]
            for r in read_all(kinesis, stream["StreamName"], s["ShardId"])
        ]
        if found:
            break
        time.sleep(0.05)
    assert len(found) == 1 and found[0]["PartitionKey"] == "c-42"
    event = json.loads(found[0]["Data"])
    assert event["source"] == "app.orders" and event["detail"] == {"customer": "c-42"}


def test_logs_subscription_filter_delivers_gzip(kinesis, client, stream):
    logs = client("logs")
    group = f"/app/{stream['StreamName']}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="web")
    logs.put_subscription_filter(
        logGroupName=group,
        filterName="to-kinesis",
        filterPattern="ERROR",
        destinationArn=stream["StreamARN"],
        roleArn="arn:aws:iam::000000000000:role/cwl-to-kinesis",
    )
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName="web",
        logEvents=[{"timestamp": now, "message": "ERROR broken"}, {"timestamp": now, "message": "INFO fine"}],
    )
    found = []
    for _ in range(100):
        found = [
            r
            for s in kinesis.list_shards(StreamName=stream["StreamName"])["Shards"]
            for r in read_all(kinesis, stream["StreamName"], s["ShardId"])
        ]
        if len(found) >= 2:
            break
        time.sleep(0.05)
    documents = [json.loads(gzip.decompress(r["Data"])) for r in found]
    assert sorted(d["messageType"] for d in documents) == ["CONTROL_MESSAGE", "DATA_MESSAGE"]
    document = next(d for d in documents if d["messageType"] == "DATA_MESSAGE")
    data_record = next(
        r for r in found if json.loads(gzip.decompress(r["Data"]))["messageType"] == "DATA_MESSAGE"
    )
    assert data_record["PartitionKey"] == "web"
    assert document["messageType"] == "DATA_MESSAGE" and document["logGroup"] == group
    assert document["subscriptionFilters"] == ["to-kinesis"]
    assert [e["message"] for e in document["logEvents"]] == ["ERROR broken"]
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.put_subscription_filter(
            logGroupName=group, filterName="nowhere", filterPattern="", roleArn="arn:aws:iam::000000000000:role/r",
            destinationArn=stream["StreamARN"] + "-missing",
        )  # fmt: skip


def test_logs_destination_of_another_account_delivers_to_its_stream(client, endpoint):
    import boto3

    receiver = {
        "endpoint_url": endpoint,
        "region_name": "us-east-1",
        "aws_access_key_id": "111111111111",
        "aws_secret_access_key": "test",
    }
    their_kinesis, their_logs = boto3.client("kinesis", **receiver), boto3.client("logs", **receiver)
    name = f"central-{int(time.time() * 1000)}"
    their_kinesis.create_stream(StreamName=name, ShardCount=1)
    stream_arn = their_kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
        "StreamARN"
    ]
    destination = their_logs.put_destination(
        destinationName=name, targetArn=stream_arn, roleArn="arn:aws:iam::111111111111:role/cwl"
    )["destination"]
    their_logs.put_destination_policy(
        destinationName=name,
        accessPolicy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "000000000000"},
                        "Action": "logs:PutSubscriptionFilter",
                        "Resource": destination["arn"],
                    }
                ],
            }
        ),
    )
    logs = client("logs")
    group = f"/app/{name}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="api")
    logs.put_subscription_filter(
        logGroupName=group, filterName="central", filterPattern="", destinationArn=destination["arn"]
    )
    logs.put_log_events(
        logGroupName=group,
        logStreamName="api",
        logEvents=[{"timestamp": int(time.time() * 1000), "message": "hi"}],
    )
    found = []
    for _ in range(100):
        found = read_all(their_kinesis, name, "shardId-000000000000")
        if found:
            break
        time.sleep(0.05)
    assert len(found) == 1
    document = json.loads(gzip.decompress(found[0]["Data"]))
    assert document["owner"] == "000000000000" and document["logGroup"] == group
    assert [e["message"] for e in document["logEvents"]] == ["hi"]
