"""The in-memory tails of shards: what a read at a shard's tip is answered from."""

from __future__ import annotations

from overcast.services.kinesis.tails import Tails

SHARD = ("000000000000/us-east-1", "uid", 0)


def _records(first: int, count: int, arrival: float = 100.0) -> list[tuple[int, float, bytes | None]]:
    return [(first + i, arrival + i, b"r%d" % (first + i)) for i in range(count)]


def test_reads_from_the_tail_and_declines_what_it_does_not_hold():
    tails = Tails()
    tails.append(SHARD, _records(5, 3))
    assert tails.read(SHARD, 5, 10, 0.0) == ([b"r5", b"r6", b"r7"], 8, 102.0)
    assert tails.read(SHARD, 6, 1, 0.0) == ([b"r6"], 7, 101.0)
    # At the tip: nothing new, the same position.
    assert tails.read(SHARD, 8, 10, 0.0) == ([], 8, None)
    # Before the tail (the store holds those) or past its end (a stale position): not here.
    assert tails.read(SHARD, 4, 10, 0.0) is None
    assert tails.read(SHARD, 9, 10, 0.0) is None
    assert tails.read(("other", "uid", 0), 0, 10, 0.0) is None


def test_a_gap_or_a_record_it_cannot_hold_starts_the_tail_again():
    tails = Tails()
    tails.append(SHARD, _records(0, 2))
    tails.append(SHARD, _records(5, 1))  # a counter past a gap (SequenceNumberForOrdering)
    assert tails.read(SHARD, 0, 10, 0.0) is None
    assert tails.read(SHARD, 5, 10, 0.0) == ([b"r5"], 6, 100.0)
    tails.append(SHARD, [(6, 101.0, None)])  # a sealed record: the store answers from here on
    assert tails.read(SHARD, 6, 10, 0.0) is None and SHARD not in tails
    tails.append(SHARD, _records(7, 1))
    assert tails.read(SHARD, 6, 10, 0.0) is None
    assert tails.read(SHARD, 7, 10, 0.0) == ([b"r7"], 8, 100.0)


def test_expired_records_are_skipped():
    tails = Tails()
    tails.append(SHARD, _records(0, 4, arrival=10.0))  # arrivals 10, 11, 12, 13
    assert tails.read(SHARD, 0, 10, 11.5) == ([b"r2", b"r3"], 4, 13.0)
    assert tails.read(SHARD, 0, 2, 11.5) == ([], 2, None)  # only expired records in reach
    tails.trim(SHARD, 2)
    assert tails.read(SHARD, 1, 10, 0.0) is None
    assert tails.read(SHARD, 2, 10, 0.0) == ([b"r2", b"r3"], 4, 13.0)
    tails.trim(SHARD, 4)
    assert SHARD not in tails and tails.held() == 0


def test_a_full_tail_drops_its_oldest_half_and_the_budget_drops_other_tails():
    tails = Tails(tail_bytes=100, budget=150)
    tails.append(SHARD, [(i, 1.0, b"x" * 10) for i in range(11)])  # 110 bytes: over a tail's 100
    assert tails.read(SHARD, 0, 100, 0.0) is None
    texts, counter, _ = tails.read(SHARD, 5, 100, 0.0)  # type: ignore[misc]
    assert len(texts) == 6 and counter == 11 and tails.held() == 60
    other = ("000000000000/us-east-1", "uid", 1)
    tails.append(other, [(i, 1.0, b"y" * 10) for i in range(9)])  # 150 held in all: within budget
    assert SHARD in tails and other in tails
    tails.append(other, [(9, 1.0, b"y" * 10)])  # 160: the tail started first goes
    assert SHARD not in tails and other in tails and tails.held() == 100


def test_forgetting_a_stream_and_clearing():
    tails = Tails()
    tails.append(SHARD, _records(0, 1))
    tails.append(("000000000000/us-east-1", "uid", 1), _records(0, 1))
    tails.append(("000000000000/us-east-1", "other", 0), _records(0, 1))
    tails.forget_stream("000000000000/us-east-1", "uid")
    assert SHARD not in tails and ("000000000000/us-east-1", "other", 0) in tails
    tails.clear()
    assert tails.held() == 0 and ("000000000000/us-east-1", "other", 0) not in tails
