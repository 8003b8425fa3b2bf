"""Kinesis fixtures: a client and a fresh stream per test."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture(scope="session")
def kinesis(client):
    return client("kinesis")


@pytest.fixture
def name() -> str:
    return f"s-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def stream(kinesis, name) -> dict:
    """A two-shard provisioned stream: its name and ARN."""
    kinesis.create_stream(StreamName=name, ShardCount=2)
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    return {"StreamName": name, "StreamARN": summary["StreamARN"]}


def read_all(kinesis, name: str, shard_id: str, kind: str = "TRIM_HORIZON", **extra) -> list[dict]:
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id, ShardIteratorType=kind, **extra)[
        "ShardIterator"
    ]
    found: list[dict] = []
    while iterator:
        answer = kinesis.get_records(ShardIterator=iterator)
        found.extend(answer["Records"])
        if not answer["Records"]:
            break
        iterator = answer.get("NextShardIterator")
    return found
