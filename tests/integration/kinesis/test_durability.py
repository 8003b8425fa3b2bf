"""Records survive a crash of the server, sequence numbers go on after the last one kept, and
retention trims records once they are older than the stream's retention period."""

from __future__ import annotations

import time

import boto3

from tests.conftest import Server

from .conftest import read_all


def _kinesis(server: Server):
    return boto3.client(
        "kinesis",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def test_records_survive_a_kill(tmp_path):
    data_dir = str(tmp_path / "data")
    server = Server("--data-dir", data_dir, "--quiet")
    try:
        kinesis = _kinesis(server)
        kinesis.create_stream(StreamName="durable", ShardCount=1)
        sent = [
            kinesis.put_record(StreamName="durable", Data=f"r{i}".encode(), PartitionKey="k")[
                "SequenceNumber"
            ]
            for i in range(3)
        ]
        kinesis.split_shard(
            StreamName="durable", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127)
        )
    finally:
        server.stop(kill=True)
    server = Server("--data-dir", data_dir, "--quiet")
    try:
        kinesis = _kinesis(server)
        records = read_all(kinesis, "durable", "shardId-000000000000")
        assert [r["Data"] for r in records] == [b"r0", b"r1", b"r2"]
        assert [r["SequenceNumber"] for r in records] == sent
        shards = kinesis.list_shards(StreamName="durable")["Shards"]
        assert [s["ShardId"] for s in shards] == [f"shardId-00000000000{i}" for i in range(3)]
        later = kinesis.put_record(StreamName="durable", Data=b"r3", PartitionKey="k", ExplicitHashKey="0")
        assert later["ShardId"] == "shardId-000000000001"
        assert int(later["SequenceNumber"]) > int(sent[-1])
    finally:
        server.stop()


def test_reads_span_records_kept_before_and_after_a_restart(tmp_path):
    # Records written before a restart are read from the store, those written since from
    # the shard's tail in memory: a read crossing the two sees every record once, in order.
    data_dir = str(tmp_path / "data")
    server = Server("--data-dir", data_dir, "--quiet")
    try:
        kinesis = _kinesis(server)
        kinesis.create_stream(StreamName="spans", ShardCount=1)
        for i in range(3):
            kinesis.put_record(StreamName="spans", Data=f"r{i}".encode(), PartitionKey="k")
    finally:
        server.stop(kill=True)
    server = Server("--data-dir", data_dir, "--quiet")
    try:
        kinesis = _kinesis(server)
        shard = "shardId-000000000000"
        latest = kinesis.get_shard_iterator(StreamName="spans", ShardId=shard, ShardIteratorType="LATEST")
        kinesis.put_records(
            StreamName="spans", Records=[{"Data": f"r{i}".encode(), "PartitionKey": "k"} for i in range(3, 6)]
        )
        records = read_all(kinesis, "spans", shard)
        assert [r["Data"] for r in records] == [f"r{i}".encode() for i in range(6)]
        assert len({r["SequenceNumber"] for r in records}) == 6
        newer = kinesis.get_records(ShardIterator=latest["ShardIterator"])
        assert [r["Data"] for r in newer["Records"]] == [b"r3", b"r4", b"r5"]
        after = kinesis.get_shard_iterator(
            StreamName="spans", ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER",
            StartingSequenceNumber=records[1]["SequenceNumber"],
        )  # fmt: skip
        page = kinesis.get_records(ShardIterator=after["ShardIterator"], Limit=3)
        assert [r["Data"] for r in page["Records"]] == [b"r2", b"r3", b"r4"]
        rest = kinesis.get_records(ShardIterator=page["NextShardIterator"])
        assert [r["Data"] for r in rest["Records"]] == [b"r5"] and rest["MillisBehindLatest"] == 0
        tip = kinesis.get_records(ShardIterator=rest["NextShardIterator"])
        assert tip["Records"] == [] and tip["NextShardIterator"]
        kinesis.put_record(StreamName="spans", Data=b"r6", PartitionKey="k")
        assert [
            r["Data"] for r in kinesis.get_records(ShardIterator=tip["NextShardIterator"])["Records"]
        ] == [b"r6"]
    finally:
        server.stop()


def test_retention_trims_old_records(tmp_path):
    # A retention "hour" of 0.1 s: the 24 hours of a new stream pass in 2.4 s.
    server = Server("--ephemeral", "--quiet", env={"OVERCAST_KINESIS_HOUR_SECONDS": "0.1"})
    try:
        kinesis = _kinesis(server)
        kinesis.create_stream(StreamName="short", ShardCount=1)
        kinesis.put_record(StreamName="short", Data=b"old", PartitionKey="k")
        time.sleep(2.0)
        kinesis.put_record(StreamName="short", Data=b"new", PartitionKey="k")
        deadline = time.monotonic() + 10
        records = read_all(kinesis, "short", "shardId-000000000000")
        while time.monotonic() < deadline and [r["Data"] for r in records] != [b"new"]:
            time.sleep(0.1)
            records = read_all(kinesis, "short", "shardId-000000000000")
        assert [r["Data"] for r in records] == [b"new"]
        # The next record still gets a greater sequence number than the trimmed ones had.
        time.sleep(2.6)
        assert read_all(kinesis, "short", "shardId-000000000000") == []
        last = kinesis.put_record(StreamName="short", Data=b"again", PartitionKey="k")
        assert int(last["SequenceNumber"]) > int(records[0]["SequenceNumber"])
    finally:
        server.stop()
