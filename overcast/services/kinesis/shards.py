"""Shards: hash key ranges over the 128-bit MD5 space, sequence numbers, and the resharding
operations (split, merge, uniform scaling) that close parents and open children.

A stream row keeps its shards as a list of dicts, open and closed alike:
    ShardId, index, start / end (hash keys, decimal text), opened (epoch seconds),
    closed (epoch seconds, or None while open), ParentShardId / AdjacentParentShardId,
    head (the counter after the shard's last record, fixed once the shard is closed),
    floor (the counter retention has trimmed the shard to).

A sequence number is 56 digits: "49", the stream's 16-digit stamp, the shard's 6-digit index
and a 32-digit counter that grows by one per record in the shard. So numbers order within a
shard, a child's numbers are all greater than its parents' (a higher index), and a number says
which stream and shard it belongs to."""

from __future__ import annotations

import bisect
import hashlib
from typing import Any

from .errors import invalid

MAX_HASH_KEY = 2**128 - 1
_PREFIX = "49"
_STAMP, _INDEX, _COUNTER = 16, 6, 32


def shard_id(index: int) -> str:
    return f"shardId-{index:012d}"


def sequence_number(stamp: int, index: int, counter: int) -> str:
    return f"{_PREFIX}{stamp:0{_STAMP}d}{index:0{_INDEX}d}{counter:0{_COUNTER}d}"


def sequence_prefix(stamp: int, index: int) -> str:
    """The part of a shard's sequence numbers before the counter (32 digits follow)."""
    return f"{_PREFIX}{stamp:0{_STAMP}d}{index:0{_INDEX}d}"


def parse_sequence(text: str) -> tuple[int, int, int] | None:
    """(stamp, shard index, counter) of a sequence number, or None if it is not one of ours."""
    if len(text) != 2 + _STAMP + _INDEX + _COUNTER or not text.isdigit() or not text.startswith(_PREFIX):
        return None
    at = 2
    stamp = int(text[at : at + _STAMP])
    at += _STAMP
    index = int(text[at : at + _INDEX])
    return stamp, index, int(text[at + _INDEX :])


def hash_key(partition_key: str, explicit: str | None) -> int:
    if explicit is not None:
        if not explicit.isdigit() or int(explicit) > MAX_HASH_KEY:
            raise invalid(
                f"Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, {MAX_HASH_KEY}]. "
                f"Specified value was {explicit}"
            )
        return int(explicit)
    return int.from_bytes(hashlib.md5(partition_key.encode(), usedforsecurity=False).digest(), "big")


def uniform_ranges(count: int) -> list[tuple[int, int]]:
    """`count` contiguous ranges splitting the hash key space evenly, as CreateStream makes."""
    size = (MAX_HASH_KEY + 1) // count
    ranges = []
    for i in range(count):
        start = i * size
        end = MAX_HASH_KEY if i == count - 1 else (i + 1) * size - 1
        ranges.append((start, end))
    return ranges


def new_shard(index: int, start: int, end: int, now: float, head: int = 0, **parents: str) -> dict[str, Any]:
    shard: dict[str, Any] = {
        "ShardId": shard_id(index),
        "index": index,
        "start": str(start),
        "end": str(end),
        "opened": now,
        "closed": None,
        "head": head,
        "floor": 0,
    }
    shard.update({k: v for k, v in parents.items() if v})
    return shard


def shard_output(stream: dict[str, Any], shard: dict[str, Any]) -> dict[str, Any]:
    stamp = stream["stamp"]
    numbers = {"StartingSequenceNumber": sequence_number(stamp, shard["index"], 0)}
    if shard["closed"] is not None:
        numbers["EndingSequenceNumber"] = sequence_number(stamp, shard["index"], max(shard["head"] - 1, 0))
    out: dict[str, Any] = {"ShardId": shard["ShardId"]}
    for parent in ("ParentShardId", "AdjacentParentShardId"):
        if shard.get(parent):
            out[parent] = shard[parent]
    out["HashKeyRange"] = {"StartingHashKey": shard["start"], "EndingHashKey": shard["end"]}
    out["SequenceNumberRange"] = numbers
    return out


class Router:
    """The open shards of a stream by the start of their hash key range: which shard a hash
    key goes to is a bisection."""

    __slots__ = ("shards", "starts")

    def __init__(self, shards: list[dict[str, Any]]) -> None:
        opened = sorted((s for s in shards if s["closed"] is None), key=lambda s: int(s["start"]))
        self.starts = [int(s["start"]) for s in opened]
        self.shards = opened

    def route(self, key: int) -> dict[str, Any]:
        return self.shards[bisect.bisect_right(self.starts, key) - 1]


def open_shards(stream: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in stream["shards"] if s["closed"] is None]


def find_shard(stream: dict[str, Any], shard_id_text: str) -> dict[str, Any] | None:
    for shard in stream["shards"]:
        if shard["ShardId"] == shard_id_text:
            return shard
    return None


def close(shard: dict[str, Any], head: int, now: float) -> None:
    shard["closed"] = now
    shard["head"] = head


def children_of(stream: dict[str, Any], shard: dict[str, Any]) -> list[dict[str, Any]]:
    """The shards a closed shard was split or merged into (ChildShards of a read at its end)."""
    out = []
    for child in stream["shards"]:
        if shard["ShardId"] in (child.get("ParentShardId"), child.get("AdjacentParentShardId")):
            parents = [child["ParentShardId"]]
            if child.get("AdjacentParentShardId"):
                parents.append(child["AdjacentParentShardId"])
            out.append(
                {
                    "ShardId": child["ShardId"],
                    "ParentShards": parents,
                    "HashKeyRange": {"StartingHashKey": child["start"], "EndingHashKey": child["end"]},
                }
            )
    return out
