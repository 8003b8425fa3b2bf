"""Streams and shards: creation in both modes, descriptions, listing with filters and pages,
resharding with parent and child shards, retention, tags, policies, monitoring, limits."""

from __future__ import annotations

import itertools
import json
import time

import pytest
from botocore.exceptions import ClientError

from .conftest import read_all

MAX_HASH = 2**128 - 1


def test_create_describe_and_list(kinesis, name):
    kinesis.create_stream(StreamName=name, ShardCount=3, Tags={"team": "data"})
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1})
    described = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert described["StreamStatus"] == "ACTIVE"
    assert described["StreamARN"] == f"arn:aws:kinesis:us-east-1:000000000000:stream/{name}"
    assert described["RetentionPeriodHours"] == 24
    assert described["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    shards = described["Shards"]
    assert [s["ShardId"] for s in shards] == [f"shardId-00000000000{i}" for i in range(3)]
    assert shards[0]["HashKeyRange"]["StartingHashKey"] == "0"
    assert shards[-1]["HashKeyRange"]["EndingHashKey"] == str(MAX_HASH)
    for left, right in itertools.pairwise(shards):
        assert int(left["HashKeyRange"]["EndingHashKey"]) + 1 == int(right["HashKeyRange"]["StartingHashKey"])
    page = kinesis.describe_stream(StreamName=name, Limit=2)["StreamDescription"]
    assert len(page["Shards"]) == 2 and page["HasMoreShards"] is True
    rest = kinesis.describe_stream(StreamName=name, ExclusiveStartShardId="shardId-000000000001")
    assert [s["ShardId"] for s in rest["StreamDescription"]["Shards"]] == ["shardId-000000000002"]
    summary = kinesis.describe_stream_summary(StreamARN=described["StreamARN"])["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 3 and summary["ConsumerCount"] == 0
    assert name in kinesis.list_streams()["StreamNames"]
    assert kinesis.list_tags_for_stream(StreamName=name)["Tags"] == [{"Key": "team", "Value": "data"}]
    with pytest.raises(kinesis.exceptions.ResourceInUseException):
        kinesis.create_stream(StreamName=name, ShardCount=1)


def test_on_demand_stream_and_mode_switch(kinesis, name):
    kinesis.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"} and summary["OpenShardCount"] == 4
    assert kinesis.describe_limits()["OnDemandStreamCount"] >= 1
    with pytest.raises(ClientError) as refused:
        kinesis.update_shard_count(StreamName=name, TargetShardCount=8, ScalingType="UNIFORM_SCALING")
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    kinesis.update_stream_mode(
        StreamARN=summary["StreamARN"], StreamModeDetails={"StreamMode": "PROVISIONED"}
    )
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
        "StreamModeDetails"
    ] == {"StreamMode": "PROVISIONED"}


def test_missing_stream_and_bad_input(kinesis):
    with pytest.raises(kinesis.exceptions.ResourceNotFoundException) as missing:
        kinesis.describe_stream(StreamName="nope-stream")
    assert "Stream nope-stream under account 000000000000 not found." in str(missing.value)
    with pytest.raises(ClientError) as bad:
        kinesis.create_stream(StreamName="bad name!", ShardCount=1)
    assert bad.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(kinesis.exceptions.InvalidArgumentException):
        kinesis.create_stream(StreamName="no-count")


def test_list_streams_pages(kinesis, name):
    for i in range(3):
        kinesis.create_stream(StreamName=f"{name}-{i}", ShardCount=1)
    names = []
    answer = kinesis.list_streams(Limit=1)
    while True:
        names += answer["StreamNames"]
        assert len(answer["StreamSummaries"]) == len(answer["StreamNames"])
        if not answer["HasMoreStreams"]:
            break
        answer = kinesis.list_streams(Limit=1, NextToken=answer["NextToken"])
    assert [n for n in names if n.startswith(name)] == [f"{name}-{i}" for i in range(3)]


def test_split_and_merge_close_parents(kinesis, stream):
    name = stream["StreamName"]
    kinesis.put_record(StreamName=name, Data=b"before", PartitionKey="p", ExplicitHashKey="1")
    middle = str(2**126)
    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000", NewStartingHashKey=middle)
    shards = {s["ShardId"]: s for s in kinesis.list_shards(StreamName=name)["Shards"]}
    parent = shards["shardId-000000000000"]
    assert "EndingSequenceNumber" in parent["SequenceNumberRange"]
    assert shards["shardId-000000000002"]["ParentShardId"] == "shardId-000000000000"
    assert shards["shardId-000000000002"]["HashKeyRange"]["EndingHashKey"] == str(2**126 - 1)
    assert shards["shardId-000000000003"]["HashKeyRange"]["StartingHashKey"] == middle
    # The closed parent reads to its end, then names its children and gives no next iterator.
    iterator = kinesis.get_shard_iterator(
        StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    answer = kinesis.get_records(ShardIterator=iterator)
    assert [r["Data"] for r in answer["Records"]] == [b"before"]
    assert "NextShardIterator" not in answer
    assert sorted(c["ShardId"] for c in answer["ChildShards"]) == [
        "shardId-000000000002",
        "shardId-000000000003",
    ]
    # A record now goes to a child, with a greater sequence number than the parent's.
    after = kinesis.put_record(StreamName=name, Data=b"after", PartitionKey="p", ExplicitHashKey="1")
    assert after["ShardId"] == "shardId-000000000002"
    assert int(after["SequenceNumber"]) > int(parent["SequenceNumberRange"]["EndingSequenceNumber"])
    with pytest.raises(kinesis.exceptions.InvalidArgumentException):
        kinesis.merge_shards(
            StreamName=name, ShardToMerge="shardId-000000000002", AdjacentShardToMerge="shardId-000000000001"
        )
    kinesis.merge_shards(
        StreamName=name, ShardToMerge="shardId-000000000002", AdjacentShardToMerge="shardId-000000000003"
    )
    merged = kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert sorted(s["ShardId"] for s in merged) == ["shardId-000000000001", "shardId-000000000004"]
    child = next(s for s in merged if s["ShardId"] == "shardId-000000000004")
    assert child["ParentShardId"] == "shardId-000000000002"
    assert child["AdjacentParentShardId"] == "shardId-000000000003"
    assert child["HashKeyRange"] == {"StartingHashKey": "0", "EndingHashKey": str(2**127 - 1)}


def test_update_shard_count_and_list_filters(kinesis, stream):
    name = stream["StreamName"]
    answer = kinesis.update_shard_count(StreamName=name, TargetShardCount=4, ScalingType="UNIFORM_SCALING")
    assert answer["CurrentShardCount"] == 2 and answer["TargetShardCount"] == 4
    latest = kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert len(latest) == 4 and all(s.get("ParentShardId") for s in latest)
    horizon = kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_TRIM_HORIZON"})["Shards"]
    assert [s["ShardId"] for s in horizon] == ["shardId-000000000000", "shardId-000000000001"]
    every = kinesis.list_shards(StreamName=name, ShardFilter={"Type": "FROM_TRIM_HORIZON"})["Shards"]
    assert len(every) == 6
    after = kinesis.list_shards(
        StreamName=name, ShardFilter={"Type": "AFTER_SHARD_ID", "ShardId": "shardId-000000000003"}
    )["Shards"]
    assert [s["ShardId"] for s in after] == ["shardId-000000000004", "shardId-000000000005"]
    first = kinesis.list_shards(StreamName=name, MaxResults=4)
    assert len(first["Shards"]) == 4
    second = kinesis.list_shards(NextToken=first["NextToken"])
    assert [s["ShardId"] for s in second["Shards"]] == ["shardId-000000000004", "shardId-000000000005"]
    # botocore's paginator repeats the StreamName with the token: the same stream is accepted.
    again = kinesis.list_shards(StreamName=name, NextToken=first["NextToken"])
    assert again["Shards"] == second["Shards"]
    with pytest.raises(kinesis.exceptions.InvalidArgumentException):
        kinesis.list_shards(StreamName=name + "-other", NextToken=first["NextToken"])
    paged = [s for page in kinesis.get_paginator("list_shards").paginate(
        StreamName=name, PaginationConfig={"PageSize": 4}) for s in page["Shards"]]  # fmt: skip
    assert len(paged) == 6
    with pytest.raises(kinesis.exceptions.InvalidArgumentException):
        kinesis.update_shard_count(StreamName=name, TargetShardCount=9, ScalingType="UNIFORM_SCALING")
    # Records keyed anywhere still land on an open shard and read back.
    kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="anything")
    total = sum(len(read_all(kinesis, name, s["ShardId"])) for s in latest)
    assert total == 1


def test_retention_monitoring_and_limits(kinesis, stream):
    name = stream["StreamName"]
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    assert kinesis.describe_stream(StreamName=name)["StreamDescription"]["RetentionPeriodHours"] == 48
    with pytest.raises(kinesis.exceptions.InvalidArgumentException) as shorter:
        kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=30)
    assert "Use DecreaseRetentionPeriod API" in str(shorter.value)
    with pytest.raises(kinesis.exceptions.InvalidArgumentException):
        kinesis.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=12)
    kinesis.decrease_stream_retention_period(StreamARN=stream["StreamARN"], RetentionPeriodHours=24)
    enabled = kinesis.enable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["IncomingBytes"])
    assert enabled["CurrentShardLevelMetrics"] == [] and enabled["DesiredShardLevelMetrics"] == [
        "IncomingBytes"
    ]
    everything = kinesis.enable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["ALL"])
    assert len(everything["DesiredShardLevelMetrics"]) == 7
    disabled = kinesis.disable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["ALL"])
    assert disabled["DesiredShardLevelMetrics"] == []
    limits = kinesis.describe_limits()
    assert limits["ShardLimit"] == 500 and limits["OpenShardCount"] >= 2


def test_tags_by_name_and_arn(kinesis, stream):
    name, arn = stream["StreamName"], stream["StreamARN"]
    kinesis.add_tags_to_stream(StreamName=name, Tags={"a": "1", "b": "2"})
    kinesis.tag_resource(ResourceARN=arn, Tags={"c": "3"})
    assert kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "a", "Value": "1"},
        {"Key": "b", "Value": "2"},
        {"Key": "c", "Value": "3"},
    ]
    page = kinesis.list_tags_for_stream(StreamName=name, Limit=1, ExclusiveStartTagKey="a")
    assert page["Tags"] == [{"Key": "b", "Value": "2"}] and page["HasMoreTags"] is True
    kinesis.remove_tags_from_stream(StreamName=name, TagKeys=["a"])
    kinesis.untag_resource(ResourceARN=arn, TagKeys=["b"])
    assert kinesis.list_tags_for_stream(StreamName=name)["Tags"] == [{"Key": "c", "Value": "3"}]
    with pytest.raises(kinesis.exceptions.InvalidArgumentException):
        kinesis.add_tags_to_stream(StreamName=name, Tags={f"k{i}": "v" for i in range(51)})


def test_resource_policy(kinesis, stream):
    arn = stream["StreamARN"]
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                    "Action": "kinesis:GetRecords",
                    "Resource": arn,
                }
            ],
        }
    )
    kinesis.put_resource_policy(ResourceARN=arn, Policy=policy)
    assert json.loads(kinesis.get_resource_policy(ResourceARN=arn)["Policy"]) == json.loads(policy)
    kinesis.delete_resource_policy(ResourceARN=arn)
    assert kinesis.get_resource_policy(ResourceARN=arn)["Policy"] == "{}"
    with pytest.raises(kinesis.exceptions.ResourceNotFoundException):
        kinesis.delete_resource_policy(ResourceARN=arn)


def test_delete_stream(kinesis, stream):
    name = stream["StreamName"]
    kinesis.put_record(StreamName=name, Data=b"gone", PartitionKey="k")
    kinesis.delete_stream(StreamName=name)
    with pytest.raises(kinesis.exceptions.ResourceNotFoundException):
        kinesis.describe_stream_summary(StreamName=name)
    # A stream of the same name made again starts empty.
    kinesis.create_stream(StreamName=name, ShardCount=1)
    time.sleep(0.01)
    assert read_all(kinesis, name, "shardId-000000000000") == []


def test_account_settings(kinesis):
    assert kinesis.describe_account_settings()["MinimumThroughputBillingCommitment"]["Status"] in (
        "DISABLED",
        "ENABLED",
        "ENABLED_UNTIL_EARLIEST_ALLOWED_END",
    )
