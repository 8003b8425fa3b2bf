"""Hash key ranges, routing and sequence numbers."""

from __future__ import annotations

import hashlib
import itertools

import pytest

from overcast.errors import ServiceError
from overcast.services.kinesis import shards as sh


@pytest.mark.parametrize("count", [1, 2, 3, 7, 500])
def test_uniform_ranges_cover_the_space_without_gaps(count):
    ranges = sh.uniform_ranges(count)
    assert ranges[0][0] == 0 and ranges[-1][1] == sh.MAX_HASH_KEY
    assert all(left[1] + 1 == right[0] for left, right in itertools.pairwise(ranges))


def test_sequence_numbers_round_trip_and_order():
    text = sh.sequence_number(1_700_000_000_000_000, 3, 41)
    assert len(text) == 56 and sh.parse_sequence(text) == (1_700_000_000_000_000, 3, 41)
    assert sh.sequence_prefix(1_700_000_000_000_000, 3) + f"{41:032d}" == text
    assert int(sh.sequence_number(1, 3, 42)) > int(sh.sequence_number(1, 3, 41))
    # A child shard (a higher index) numbers after its parent, whatever the counters.
    assert int(sh.sequence_number(1, 4, 0)) > int(sh.sequence_number(1, 3, 10**20))
    assert sh.parse_sequence("123") is None and sh.parse_sequence("x" * 56) is None


def test_routing_by_md5_and_explicit_hash_keys():
    shards = [sh.new_shard(i, a, b, 0.0) for i, (a, b) in enumerate(sh.uniform_ranges(4))]
    router = sh.Router(shards)
    key = "user-17"
    hashed = int.from_bytes(hashlib.md5(key.encode()).digest(), "big")
    assert sh.hash_key(key, None) == hashed
    chosen = router.route(hashed)
    assert int(chosen["start"]) <= hashed <= int(chosen["end"])
    assert router.route(0)["index"] == 0 and router.route(sh.MAX_HASH_KEY)["index"] == 3
    assert sh.hash_key("ignored", "5") == 5
    with pytest.raises(ServiceError):
        sh.hash_key("k", str(2**128))
    with pytest.raises(ServiceError):
        sh.hash_key("k", "-1")


def test_closed_shards_leave_the_router_and_name_their_children():
    parent = sh.new_shard(0, 0, sh.MAX_HASH_KEY, 0.0)
    stream = {"stamp": 1, "shards": [parent]}
    sh.close(parent, 5, 1.0)
    stream["shards"] += [
        sh.new_shard(1, 0, 9, 1.0, ParentShardId=parent["ShardId"]),
        sh.new_shard(2, 10, sh.MAX_HASH_KEY, 1.0, ParentShardId=parent["ShardId"]),
    ]
    assert [s["index"] for s in sh.Router(stream["shards"]).shards] == [1, 2]
    children = sh.children_of(stream, parent)
    assert [c["ShardId"] for c in children] == ["shardId-000000000001", "shardId-000000000002"]
    out = sh.shard_output(stream, parent)
    assert out["SequenceNumberRange"]["EndingSequenceNumber"] == sh.sequence_number(1, 0, 4)
