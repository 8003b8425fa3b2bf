"""Kinesis through the aws CLI (version 1 here: --data is sent as given): create a stream, wait
for it, put and read a record."""

from __future__ import annotations

import base64
import uuid


def test_cli_put_and_get(aws):
    name = f"cli-{uuid.uuid4().hex[:8]}"
    aws("kinesis", "create-stream", "--stream-name", name, "--shard-count", "1")
    aws("kinesis", "wait", "stream-exists", "--stream-name", name)
    put = aws(
        "kinesis", "put-record", "--stream-name", name, "--partition-key", "user-1",
        "--data", "hello from the cli",
    )  # fmt: skip
    assert put["ShardId"] == "shardId-000000000000"
    iterator = aws(
        "kinesis", "get-shard-iterator", "--stream-name", name, "--shard-id", put["ShardId"],
        "--shard-iterator-type", "TRIM_HORIZON",
    )["ShardIterator"]  # fmt: skip
    records = aws("kinesis", "get-records", "--shard-iterator", iterator)["Records"]
    assert [base64.b64decode(r["Data"]) for r in records] == [b"hello from the cli"]
    assert records[0]["SequenceNumber"] == put["SequenceNumber"]
    summary = aws("kinesis", "describe-stream-summary", "--stream-name", name)["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 1
    aws("kinesis", "delete-stream", "--stream-name", name)
    assert name not in aws("kinesis", "list-streams")["StreamNames"]
