"""Kinesis queues and channels: records received with a visibility timeout, acknowledged,
dead-lettered after MaxReceiveCount receives, restored; channels as resources."""

from __future__ import annotations

import time
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server


def _active(kinesis, arn: str) -> dict:
    for _ in range(50):
        description = kinesis.describe_queue(QueueARN=arn)["QueueDescription"]
        if description["QueueStatus"] == "ACTIVE":
            return description
        time.sleep(0.1)
    raise AssertionError("the queue never became ACTIVE")


@pytest.fixture
def on_demand(kinesis) -> dict:
    name = f"od-{uuid.uuid4().hex[:10]}"
    kinesis.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    return {"StreamName": name, "StreamARN": arn}


def _queue(kinesis, stream: dict, **attributes) -> str:
    answer = kinesis.create_queue(
        QueueName=f"q-{uuid.uuid4().hex[:8]}",
        StreamConfigurationList=[
            {"StreamARN": stream["StreamARN"], "StartingPosition": {"Type": "TRIM_HORIZON"}}
        ],
        **({"QueueAttributes": attributes} if attributes else {}),
    )["QueueDescription"]
    assert answer["QueueStatus"] == "CREATING"
    _active(kinesis, answer["QueueARN"])
    return answer["QueueARN"]


def test_queue_lifecycle_and_listing(kinesis, on_demand):
    arn = _queue(kinesis, on_demand)
    description = kinesis.describe_queue(QueueARN=arn)["QueueDescription"]
    assert description["QueueAttributes"]["DeadLetterConfiguration"] == {
        "TargetType": "BUILT_IN",
        "MaxReceiveCount": 6,
    }
    assert description["StreamConfigurationList"][0]["StreamARN"] == on_demand["StreamARN"]
    listed = kinesis.list_queues(StreamFilter=[{"StreamARN": on_demand["StreamARN"]}])["QueueSummaries"]
    assert [q["QueueARN"] for q in listed] == [arn]
    updated = kinesis.update_queue(QueueARN=arn, QueueAttributes={"VisibilityTimeoutSeconds": 5})
    assert updated["QueueDescription"]["QueueStatus"] == "UPDATING"
    assert _active(kinesis, arn)["QueueAttributes"]["VisibilityTimeoutSeconds"] == 5
    kinesis.tag_resource(ResourceARN=arn, Tags={"team": "a"})
    assert kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "a"}]
    kinesis.delete_queue(QueueARN=arn)
    with pytest.raises(ClientError) as caught:
        kinesis.describe_queue(QueueARN=arn)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_queue_refusals(kinesis, on_demand, stream):
    with pytest.raises(ClientError) as caught:
        kinesis.create_queue(QueueName="q", StreamConfigurationList=[{"StreamARN": stream["StreamARN"]}])
    assert caught.value.response["Error"]["Code"] == "InvalidArgumentException"  # provisioned stream
    arn = _queue(kinesis, on_demand)
    name = kinesis.describe_queue(QueueARN=arn)["QueueDescription"]["QueueName"]
    with pytest.raises(ClientError) as caught:
        kinesis.create_queue(QueueName=name, StreamConfigurationList=[{"StreamARN": on_demand["StreamARN"]}])
    assert caught.value.response["Error"]["Code"] == "ResourceInUseException"
    with pytest.raises(ClientError) as caught:
        kinesis.update_queue(
            QueueARN=arn,
            QueueAttributes={"DeadLetterConfiguration": {"TargetType": "NONE", "MaxReceiveCount": 3}},
        )
    assert caught.value.response["Error"]["Code"] == "InvalidArgumentException"


def test_receive_hides_until_timeout_and_acknowledge_removes(kinesis, on_demand):
    arn = _queue(kinesis, on_demand)
    for i in range(3):
        kinesis.put_record(StreamName=on_demand["StreamName"], Data=f"r{i}".encode(), PartitionKey=f"k{i}")
    first = kinesis.receive_queue_records(QueueARN=arn, Limit=10, VisibilityTimeoutSeconds=1)["QueueRecords"]
    assert sorted(r["Data"] for r in first) == [b"r0", b"r1", b"r2"]
    assert all(r["ReceiveCount"] == 1 for r in first)
    # In flight: invisible to the next receive.
    assert kinesis.receive_queue_records(QueueARN=arn, Limit=10)["QueueRecords"] == []
    done = next(r for r in first if r["Data"] == b"r0")
    answer = kinesis.acknowledge_queue_records(
        QueueARN=arn, Entries=[{"ReceiptHandle": done["ReceiptHandle"]}]
    )
    assert answer["Successful"] == [{"ReceiptHandle": done["ReceiptHandle"]}] and answer["Failed"] == []
    time.sleep(1.2)
    again = kinesis.receive_queue_records(QueueARN=arn, Limit=10, VisibilityTimeoutSeconds=30)["QueueRecords"]
    assert sorted(r["Data"] for r in again) == [b"r1", b"r2"]
    assert all(r["ReceiveCount"] == 2 for r in again)
    # The old handle no longer acts; visibility 0 makes a record visible at once.
    stale = kinesis.acknowledge_queue_records(
        QueueARN=arn, Entries=[{"ReceiptHandle": first[1]["ReceiptHandle"]}]
    )
    assert stale["Successful"] == [] and stale["Failed"][0]["ErrorCode"]
    one = again[0]
    kinesis.update_queue_records_visibility(
        QueueARN=arn, Entries=[{"ReceiptHandle": one["ReceiptHandle"], "VisibilityTimeoutSeconds": 0}]
    )
    back = kinesis.receive_queue_records(QueueARN=arn, Limit=10)["QueueRecords"]
    assert [r["RecordId"] for r in back] == [one["RecordId"]]
    # The stream itself still has every record.
    shards = kinesis.list_shards(StreamName=on_demand["StreamName"])["Shards"]
    total = 0
    for shard in shards:
        iterator = kinesis.get_shard_iterator(
            StreamName=on_demand["StreamName"], ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        total += len(kinesis.get_records(ShardIterator=iterator)["Records"])
    assert total == 3


def test_long_poll_returns_when_a_record_arrives(kinesis, on_demand):
    arn = _queue(kinesis, on_demand)
    started = time.monotonic()
    assert kinesis.receive_queue_records(QueueARN=arn, WaitTimeSeconds=1)["QueueRecords"] == []
    assert time.monotonic() - started >= 0.9


def test_dead_letter_after_max_receives_then_restore(kinesis, on_demand):
    arn = _queue(kinesis, on_demand, DeadLetterConfiguration={"TargetType": "BUILT_IN", "MaxReceiveCount": 2})
    kinesis.put_record(StreamName=on_demand["StreamName"], Data=b"poison", PartitionKey="p")
    for count in (1, 2):
        got = kinesis.receive_queue_records(QueueARN=arn, VisibilityTimeoutSeconds=0)["QueueRecords"]
        assert [r["ReceiveCount"] for r in got] == [count]
    assert kinesis.receive_queue_records(QueueARN=arn)["QueueRecords"] == []
    dead = kinesis.receive_dead_letter_queue_records(QueueARN=arn, VisibilityTimeoutSeconds=0)["QueueRecords"]
    assert [r["Data"] for r in dead] == [b"poison"]
    # A dead-letter handle is not a live one.
    wrong = kinesis.acknowledge_queue_records(
        QueueARN=arn, Entries=[{"ReceiptHandle": dead[0]["ReceiptHandle"]}]
    )
    assert wrong["Failed"]
    restored = kinesis.restore_dead_letter_queue_records(
        QueueARN=arn, Entries=[{"ReceiptHandle": dead[0]["ReceiptHandle"]}]
    )
    assert restored["Successful"]
    live = kinesis.receive_queue_records(QueueARN=arn, VisibilityTimeoutSeconds=0)["QueueRecords"]
    assert [(r["Data"], r["ReceiveCount"]) for r in live] == [(b"poison", 1)]
    kinesis.receive_queue_records(QueueARN=arn, VisibilityTimeoutSeconds=0)
    dead = kinesis.receive_dead_letter_queue_records(QueueARN=arn, VisibilityTimeoutSeconds=60)[
        "QueueRecords"
    ]
    assert len(dead) == 1
    assert kinesis.receive_dead_letter_queue_records(QueueARN=arn)["QueueRecords"] == []
    kinesis.update_dead_letter_queue_records_visibility(
        QueueARN=arn, Entries=[{"ReceiptHandle": dead[0]["ReceiptHandle"], "VisibilityTimeoutSeconds": 0}]
    )
    dead = kinesis.receive_dead_letter_queue_records(QueueARN=arn)["QueueRecords"]
    gone = kinesis.acknowledge_dead_letter_queue_records(
        QueueARN=arn, Entries=[{"ReceiptHandle": dead[0]["ReceiptHandle"]}]
    )
    assert gone["Successful"]
    assert kinesis.receive_dead_letter_queue_records(QueueARN=arn)["QueueRecords"] == []


def test_latest_starting_position_skips_earlier_records(kinesis, on_demand):
    kinesis.put_record(StreamName=on_demand["StreamName"], Data=b"before", PartitionKey="p")
    arn = kinesis.create_queue(
        QueueName=f"q-{uuid.uuid4().hex[:8]}", StreamConfigurationList=[{"StreamARN": on_demand["StreamARN"]}]
    )["QueueDescription"]["QueueARN"]
    _active(kinesis, arn)
    kinesis.put_record(StreamName=on_demand["StreamName"], Data=b"after", PartitionKey="p")
    got = kinesis.receive_queue_records(QueueARN=arn, Limit=10)["QueueRecords"]
    assert [r["Data"] for r in got] == [b"after"]


def test_channel_lifecycle(kinesis, on_demand):
    name = f"c-{uuid.uuid4().hex[:8]}"
    created = kinesis.create_channel(
        ChannelName=name,
        ServiceExecutionRoleARN="arn:aws:iam::000000000000:role/channel",
        StreamConfigurationList=[
            {"StreamARN": on_demand["StreamARN"], "RecordConfiguration": {"RecordFormatType": "JSON"}}
        ],
        S3DestinationConfiguration={
            "DataFreshnessInSeconds": 60,
            "StorageConfiguration": {
                "BucketARN": "arn:aws:s3:::my-bucket",
                "ExpectedBucketOwner": "000000000000",
                "CompressionType": "GZIP",
            },
        },
        Tags={"k": "v"},
    )["ChannelDescription"]
    arn = created["ChannelARN"]
    assert created["ChannelStatus"] == "CREATING" and arn.endswith(f":channel/{name}")
    time.sleep(0.6)
    described = kinesis.describe_channel(ChannelARN=arn)["ChannelDescription"]
    assert described["ChannelStatus"] == "ACTIVE"
    assert described["S3DestinationConfiguration"]["StorageConfiguration"]["CompressionType"] == "GZIP"
    summaries = kinesis.list_channels(StreamFilter=[{"StreamARN": on_demand["StreamARN"]}])[
        "ChannelSummaries"
    ]
    assert [(c["ChannelARN"], c["ChannelDestinationType"]) for c in summaries] == [(arn, "S3")]
    updated = kinesis.update_channel(
        ChannelARN=arn, S3DestinationConfiguration={"DataFreshnessInSeconds": 120}
    )
    assert updated["ChannelDescription"]["ChannelStatus"] == "UPDATING"
    assert updated["ChannelDescription"]["S3DestinationConfiguration"]["DataFreshnessInSeconds"] == 120
    assert kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "k", "Value": "v"}]
    with pytest.raises(ClientError) as caught:
        kinesis.update_channel(ChannelARN=arn, S3TablesDestinationConfiguration={"DataFreshnessInSeconds": 1})
    assert caught.value.response["Error"]["Code"] in ("ResourceInUseException", "InvalidArgumentException")
    kinesis.delete_channel(ChannelARN=arn)
    with pytest.raises(ClientError) as caught:
        kinesis.describe_channel(ChannelARN=arn)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_channel_needs_exactly_one_destination(kinesis, on_demand):
    with pytest.raises(ClientError) as caught:
        kinesis.create_channel(
            ChannelName="c-none",
            ServiceExecutionRoleARN="arn:aws:iam::000000000000:role/channel",
            StreamConfigurationList=[
                {"StreamARN": on_demand["StreamARN"], "RecordConfiguration": {"RecordFormatType": "STRING"}}
            ],
        )
    assert caught.value.response["Error"]["Code"] == "InvalidArgumentException"


def test_acknowledgements_and_in_flight_records_survive_a_kill(tmp_path):
    def client(server):
        return boto3.client(
            "kinesis",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    data_dir = str(tmp_path / "data")
    server = Server("--data-dir", data_dir, "--quiet")
    try:
        kinesis = client(server)
        kinesis.create_stream(StreamName="q-durable", StreamModeDetails={"StreamMode": "ON_DEMAND"})
        stream = kinesis.describe_stream_summary(StreamName="q-durable")["StreamDescriptionSummary"]
        arn = _queue(kinesis, {"StreamARN": stream["StreamARN"]})
        for data in (b"a", b"b", b"c"):
            kinesis.put_record(StreamName="q-durable", Data=data, PartitionKey=data.decode())
        got = kinesis.receive_queue_records(QueueARN=arn, Limit=10, VisibilityTimeoutSeconds=600)[
            "QueueRecords"
        ]
        assert len(got) == 3
        acked = next(r for r in got if r["Data"] == b"a")
        kinesis.acknowledge_queue_records(QueueARN=arn, Entries=[{"ReceiptHandle": acked["ReceiptHandle"]}])
        held = next(r for r in got if r["Data"] == b"b")
        kinesis.update_queue_records_visibility(
            QueueARN=arn, Entries=[{"ReceiptHandle": held["ReceiptHandle"], "VisibilityTimeoutSeconds": 0}]
        )
    finally:
        server.stop(kill=True)
    server = Server("--data-dir", data_dir, "--quiet")
    try:
        kinesis = client(server)
        again = kinesis.receive_queue_records(QueueARN=arn, Limit=10)["QueueRecords"]
        # "a" was acknowledged, "c" is still in flight: only "b" comes back, on its second receive.
        assert [(r["Data"], r["ReceiveCount"]) for r in again] == [(b"b", 2)]
    finally:
        server.stop()


def test_list_queues_pages(kinesis, on_demand):
    made = {_queue(kinesis, on_demand) for _ in range(3)}
    seen: list[str] = []
    token = None
    while True:
        page = kinesis.list_queues(
            MaxResults=2,
            StreamFilter=[{"StreamARN": on_demand["StreamARN"]}],
            **({"NextToken": token} if token else {}),
        )
        assert len(page["QueueSummaries"]) <= 2
        seen.extend(q["QueueARN"] for q in page["QueueSummaries"])
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(seen) == sorted(made)
