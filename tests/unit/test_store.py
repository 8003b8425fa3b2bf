"""The state store: exact values, ordered scans, scopes, transactions, reset, export/import."""

from __future__ import annotations

import asyncio
import io
import json
import math
import sqlite3
import tarfile
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from overcast.store import IncompatibleStateError, Store, StoreError, scope

SC = scope("000000000000", "us-east-1")
OTHER = scope("111111111111", "us-east-1")


@pytest.fixture(params=["durable", "ephemeral", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "postgres":
        s = Store.open(tmp_path / "data", request.getfixturevalue("postgres").database())
    else:
        s = Store.open(tmp_path / "data" if request.param == "durable" else None)
    yield s
    s.close()


def reopened(s: Store) -> Store:
    """The same state seen by a fresh process: durable stores are closed and reopened."""
    if s.data_dir is None:
        return s
    data_dir, state_url = s.data_dir, s.state_url
    s.close()
    return Store.open(data_dir, state_url)


# -- values ---------------------------------------------------------------------------------


def assert_identical(got: Any, want: Any) -> None:
    """Equal, and of the same types all the way down (1 == 1.0 == True would pass ==)."""
    assert type(got) is type(want), (got, want)
    if isinstance(want, dict):
        assert list(got) == list(want)
        for k in want:
            assert_identical(got[k], want[k])
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=False):
            assert_identical(g, w)
    elif isinstance(want, float):
        if math.isnan(want):
            assert math.isnan(got)
        else:
            assert got == want and math.copysign(1, got) == math.copysign(1, want)
    elif isinstance(want, Decimal):
        assert got.as_tuple() == want.as_tuple()
    elif isinstance(want, datetime):
        assert got == want and got.utcoffset() == want.utcoffset()
    else:
        assert got == want


VALUES = {
    "none": None,
    "true": True,
    "false": False,
    "int": 42,
    "zero": 0,
    "negative": -7,
    "bigint": 2**100,
    "negbigint": -(2**100) + 1,
    "float": 1.5,
    "float-integral": 1.0,
    "float-negzero": -0.0,
    "float-inf": float("-inf"),
    "float-nan": float("nan"),
    "float-tiny": 5e-324,
    "str": "hello",
    "str-empty": "",
    "str-unicode": "h\u00e9llo \u65e5\u672c \U0001f600 \x00 nul",
    "bytes": bytes(range(256)),
    "bytes-empty": b"",
    "datetime-utc": datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
    "datetime-offset": datetime(2024, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    "datetime-negative-offset": datetime(1999, 12, 31, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=-8))),
    "decimal": Decimal("1.10"),
    "decimal-int": Decimal("3"),
    "decimal-huge": Decimal("1E+400"),
    "decimal-precise": Decimal("-12345678901234567890123456789012345678.000001"),
    "decimal-negzero": Decimal("-0.00"),
    "decimal-nan": Decimal("NaN"),
    "decimal-inf": Decimal("-Infinity"),
    "decimal-inf-positive": Decimal("Infinity"),
    # Bytes holding the first byte of a half float, beside a Decimal that needs the exact encoding.
    "decimal-beside-f9-bytes": {"blob": b"\xf9\x00\xf9\x7e", "n": Decimal("NaN"), "m": Decimal("-0")},
    "list": [1, 1.0, "1", b"1", None, True, Decimal("1")],
    "dict": {"b": 1, "a": 2},
    "nested": {
        "Item": {"pk": {"S": "a"}, "n": {"N": Decimal("2.50")}, "b": {"B": b"\x00\xff"}},
        "When": [datetime(2020, 5, 17, tzinfo=UTC), {"deeper": [[], {}, [b""]]}],
        "$b": "looks like a tag but is user data",
    },
}


@pytest.mark.parametrize("name", list(VALUES))
def test_every_value_type_round_trips_exactly(store: Store, name: str) -> None:
    table = store.table("svc", "values")
    table.put(SC, name, VALUES[name])
    assert_identical(table.get(SC, name, default="missing"), VALUES[name])
    store = reopened(store)
    try:
        assert_identical(store.table("svc", "values").get(SC, name, default="missing"), VALUES[name])
    finally:
        store.close()


def test_all_values_in_one_document_round_trip(store: Store) -> None:
    table = store.table("svc", "values")
    table.put(SC, "all", VALUES)
    assert_identical(table.get(SC, "all"), VALUES)


def test_named_time_zone_keeps_instant_and_offset(store: Store) -> None:
    from zoneinfo import ZoneInfo

    when = datetime(2024, 7, 1, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    table = store.table("svc", "values")
    table.put(SC, "t", when)
    got = table.get(SC, "t")
    assert got == when and got.utcoffset() == timedelta(hours=2)


def test_containers_widen_like_json(store: Store) -> None:
    table = store.table("svc", "values")
    table.put(
        SC,
        "k",
        {
            "tuple": (1, "a"),
            "frozenset": frozenset({1}),
            "set": {b"x"},
            "bytearray": bytearray(b"ab"),
            7: "int key",
        },
    )
    assert_identical(
        table.get(SC, "k"),
        {"tuple": [1, "a"], "frozenset": {1}, "set": {b"x"}, "bytearray": b"ab", 7: "int key"},
    )


def test_values_that_cannot_round_trip_are_refused(store: Store) -> None:
    table = store.table("svc", "values")
    with pytest.raises(TypeError):
        table.put(SC, "naive", datetime(2024, 1, 1))
    with pytest.raises(TypeError):
        table.put(SC, "object", object())
    assert table.get(SC, "naive") is None and table.count(SC) == 0


def test_missing_key_gives_none_or_default(store: Store) -> None:
    table = store.table("svc", "t")
    assert table.get(SC, "nope") is None
    assert table.get(SC, "nope", default=0) == 0
    table.put(SC, "null", None)
    assert table.get(SC, "null", default=0) is None


def test_put_overwrites_and_delete_reports(store: Store) -> None:
    table = store.table("svc", "t")
    table.put(SC, "k", 1)
    table.put(SC, "k", {"v": 2})
    assert table.get(SC, "k") == {"v": 2}
    assert table.count(SC) == 1
    assert table.delete(SC, "k") is True
    assert table.delete(SC, "k") is False
    assert table.get(SC, "k") is None


def test_put_unless_holding_leaves_a_value_with_the_marker(store: Store) -> None:
    t = store.table("svc", "things")
    assert t.put_unless_holding(SC, "k", b"plain", b"MARK") is True  # a new key is written
    assert t.get(SC, "k") == b"plain"
    assert t.put_unless_holding(SC, "k", b"has MARK in it", b"MARK") is True  # overwrites
    assert t.put_unless_holding(SC, "k", b"other", b"MARK") is False  # the old one holds it
    assert t.get(SC, "k") == b"has MARK in it"
    assert t.put_unless_holding(OTHER, "k", b"other", b"MARK") is True  # scopes are apart
    assert reopened(store).table("svc", "things").get(SC, "k") == b"has MARK in it"


def test_keys_and_scopes_are_validated(store: Store) -> None:
    table = store.table("svc", "t")
    with pytest.raises(TypeError):
        table.put(SC, 5, "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        table.get("", "k")
    with pytest.raises(ValueError):
        store.table("s/vc", "t")
    with pytest.raises(ValueError):
        store.table("svc", "")
    with pytest.raises(ValueError):
        store.files_dir("../escape")
    with pytest.raises(ValueError):
        scope("0000/0000", "us-east-1")
    assert scope("000000000000") == "000000000000"
    assert scope("000000000000", "eu-west-1") == "000000000000/eu-west-1"


def test_table_handles_are_cached(store: Store) -> None:
    assert store.table("sqs", "queues") is store.table("sqs", "queues")


# -- ordering and scans ---------------------------------------------------------------------

# Codepoint order differs from UTF-16 order (the emoji sorts below U+FFFF there) and from
# locale orders (é after z); SQLite's BINARY collation over UTF-8 must give codepoint order.
ODD_KEYS = [
    "",
    "\x00",
    "a",
    "a\x00",
    "aa",
    "ab",
    "B",
    "Z",
    "z",
    "\x7f",
    "\u00e9",
    "\u00e9t\u00e9",
    "\u07ff",
    "\u0800",
    "\ud7ff",
    "\ue000",
    "\uffef",
    "\uffff",
    "\U00010000",
    "\U0001f600",
    "\U0010ffff",
    "\U0010ffff\U0010ffff",
    "\u65e5\u672c",
]


def test_scan_orders_keys_by_codepoint(store: Store) -> None:
    table = store.table("svc", "order")
    for key in reversed(ODD_KEYS):
        table.put(SC, key, key)
    assert [k for k, _ in table.scan(SC)] == sorted(ODD_KEYS)
    assert [k for k, _ in table.scan(SC, reverse=True)] == sorted(ODD_KEYS, reverse=True)
    assert all(k == v for k, v in table.scan(SC))


def test_scan_prefix_start_after_end_before_limit_reverse(store: Store) -> None:
    table = store.table("svc", "scan")
    keys = ["a", "b/1", "b/2", "b/3", "b/30", "b0", "c"]
    for key in keys:
        table.put(SC, key, key.upper())
    scan = lambda **kw: [k for k, _ in table.scan(SC, **kw)]  # noqa: E731
    assert scan(prefix="b/") == ["b/1", "b/2", "b/3", "b/30"]
    assert scan(prefix="b/", start_after="b/2") == ["b/3", "b/30"]
    assert scan(prefix="b/", end_before="b/3") == ["b/1", "b/2"]
    assert scan(prefix="b/", limit=2) == ["b/1", "b/2"]
    assert scan(prefix="b/", reverse=True, limit=3) == ["b/30", "b/3", "b/2"]
    assert scan(prefix="b/", reverse=True, end_before="b/30") == ["b/3", "b/2", "b/1"]
    assert scan(start_after="b/3") == ["b/30", "b0", "c"]
    assert scan(start_after="a", end_before="c") == ["b/1", "b/2", "b/3", "b/30", "b0"]
    assert scan(start_after="0", prefix="b") == ["b/1", "b/2", "b/3", "b/30", "b0"]
    assert scan(limit=0) == []
    assert scan(prefix="zzz") == []
    assert scan(start_after="c") == []
    assert dict(table.scan(SC, prefix="b/3")) == {"b/3": "B/3", "b/30": "B/30"}
    assert table.count(SC) == 7
    assert table.count(SC, prefix="b/") == 4
    assert table.count(SC, prefix="b") == 5
    with pytest.raises(ValueError):
        table.scan(SC, limit=-1)
    with pytest.raises(TypeError):
        table.scan(SC, end_before=5)  # type: ignore[arg-type]


def test_prefix_ending_in_highest_codepoints(store: Store) -> None:
    table = store.table("svc", "edge")
    keys = ["a", "a\U0010ffff", "a\U0010ffffx", "b", "\ud7ff", "\ud7ffz", "\ue000"]
    for key in keys:
        table.put(SC, key, 1)
    assert [k for k, _ in table.scan(SC, prefix="a\U0010ffff")] == ["a\U0010ffff", "a\U0010ffffx"]
    assert [k for k, _ in table.scan(SC, prefix="\ud7ff")] == ["\ud7ff", "\ud7ffz"]
    assert table.count(SC, prefix="a") == 3


def test_long_scans_page_through_everything(store: Store) -> None:
    table = store.table("svc", "many")
    keys = [f"k{i:05d}" for i in range(3000)]
    with store.transaction():
        for i, key in enumerate(keys):
            table.put(SC, key, i)
    assert [k for k, _ in table.scan(SC)] == keys
    assert [k for k, _ in table.scan(SC, reverse=True)] == keys[::-1]
    assert [v for _, v in table.scan(SC, limit=1500)] == list(range(1500))
    # The bounds are absolute whatever the direction: reverse pages continue with end_before.
    assert [k for k, _ in table.scan(SC, start_after="k00999", limit=1100, reverse=True)] == keys[1900:][::-1]
    assert [k for k, _ in table.scan(SC, end_before="k02000", limit=1100, reverse=True)] == keys[900:2000][
        ::-1
    ]
    assert table.count(SC, prefix="k01") == 1000


def test_scan_is_lazy_and_sees_a_consistent_page_under_concurrent_writes(store: Store) -> None:
    table = store.table("svc", "lazy")
    for i in range(200):
        table.put(SC, f"k{i:03d}", i)
    it = table.scan(SC)
    first = next(it)
    table.delete(SC, "k150")  # beyond the first page: the scan no longer sees it
    rest = [k for k, _ in it]
    assert first == ("k000", 0)
    assert "k150" not in rest and len(rest) == 198


KEY_ALPHABET = st.sampled_from(
    ["a", "b", "/", "\x00", "\u00e9", "\ud7ff", "\ue000", "\uffff", "\U0001f600", "\U0010ffff"]
)
KEYS = st.text(KEY_ALPHABET, max_size=4)


@settings(max_examples=150, deadline=None)
@given(
    keys=st.sets(KEYS, max_size=25),
    prefix=KEYS,
    start_after=st.none() | KEYS,
    end_before=st.none() | KEYS,
    limit=st.none() | st.integers(0, 30),
    reverse=st.booleans(),
)
def test_scan_matches_a_sorted_list_model(keys, prefix, start_after, end_before, limit, reverse) -> None:
    with Store.open(None) as s:
        table = s.table("svc", "model")
        for key in keys:
            table.put(SC, key, key)
        want = sorted(
            k
            for k in keys
            if k.startswith(prefix)
            and (start_after is None or k > start_after)
            and (end_before is None or k < end_before)
        )
        if reverse:
            want.reverse()
        if limit is not None:
            want = want[:limit]
        got = table.scan(
            SC, prefix=prefix, start_after=start_after, end_before=end_before, limit=limit, reverse=reverse
        )
        assert [k for k, _ in got] == want
        assert table.count(SC, prefix=prefix) == sum(1 for k in keys if k.startswith(prefix))


# -- scopes ---------------------------------------------------------------------------------


def test_scopes_and_tables_are_isolated(store: Store) -> None:
    queues = store.table("sqs", "queues")
    topics = store.table("sns", "topics")
    west = scope("000000000000", "us-west-2")
    queues.put(SC, "q", "east")
    queues.put(west, "q", "west")
    queues.put(OTHER, "q", "other account")
    topics.put(SC, "q", "a topic")
    assert queues.get(SC, "q") == "east"
    assert queues.get(west, "q") == "west"
    assert queues.get(OTHER, "q") == "other account"
    assert topics.get(SC, "q") == "a topic"
    assert topics.get(west, "q") is None
    assert [k for k, _ in queues.scan(SC)] == ["q"]
    assert queues.count(west) == 1
    assert queues.scopes() == sorted([SC, west, OTHER])
    assert topics.scopes() == [SC]
    queues.delete(west, "q")
    assert queues.scopes() == sorted([SC, OTHER])
    users = store.table("iam", "users")
    users.put(scope("000000000000"), "alice", {})
    assert users.scopes() == ["000000000000"]
    # A global scope is not a prefix match of the regional ones.
    assert queues.get(scope("000000000000"), "q") is None


# -- durability -----------------------------------------------------------------------------


def test_each_write_is_committed_when_put_returns(tmp_path: Path) -> None:
    with Store.open(tmp_path) as s:
        table = s.table("svc", "t")
        table.put(SC, "k", "v")
        # Another connection, as another process would see the file.
        with sqlite3.connect(tmp_path / "state.sqlite") as other:
            assert other.execute("SELECT count(*) FROM items WHERE key = 'k'").fetchone()[0] == 1
            table.delete(SC, "k")
            assert other.execute("SELECT count(*) FROM items WHERE key = 'k'").fetchone()[0] == 0


def test_state_survives_close_and_reopen(tmp_path: Path) -> None:
    with Store.open(tmp_path) as s:
        s.table("svc", "t").put(SC, "k", {"v": [1, 2]})
    with Store.open(tmp_path) as s:
        assert s.table("svc", "t").get(SC, "k") == {"v": [1, 2]}


def test_a_data_dir_is_used_by_one_store_at_a_time(tmp_path: Path) -> None:
    s = Store.open(tmp_path)
    with pytest.raises(StoreError, match="in use"):
        Store.open(tmp_path)
    s.close()
    Store.open(tmp_path).close()


def test_state_from_a_newer_schema_is_refused(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    with sqlite3.connect(tmp_path / "state.sqlite") as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(IncompatibleStateError, match="newer Overcast"):
        Store.open(tmp_path)
    # The refusal released the data dir and changed nothing.
    with sqlite3.connect(tmp_path / "state.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 99


def test_foreign_or_damaged_database_is_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    with sqlite3.connect(foreign / "state.sqlite") as db:
        db.execute("CREATE TABLE people (name TEXT)")
    with pytest.raises(IncompatibleStateError, match="not Overcast state"):
        Store.open(foreign)
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "state.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(IncompatibleStateError):
        Store.open(damaged)
    assert (damaged / "state.sqlite").read_bytes() == b"this is not a database" * 100


def test_closed_store_refuses_use(tmp_path: Path) -> None:
    s = Store.open(tmp_path)
    table = s.table("svc", "t")
    s.close()
    s.close()
    with pytest.raises(Exception, match="closed"):
        table.put(SC, "k", 1)


# -- transactions ---------------------------------------------------------------------------


def test_transaction_commits_across_tables(store: Store) -> None:
    a, b = store.table("svc", "a"), store.table("other", "b")
    with store.transaction():
        a.put(SC, "x", 1)
        b.put(OTHER, "y", 2)
        assert a.get(SC, "x") == 1  # reads see the transaction's own writes
    store = reopened(store)
    try:
        assert store.table("svc", "a").get(SC, "x") == 1
        assert store.table("other", "b").get(OTHER, "y") == 2
    finally:
        store.close()


def test_exception_rolls_back_every_write_of_the_transaction(store: Store) -> None:
    a, b = store.table("svc", "a"), store.table("other", "b")
    a.put(SC, "existing", "before")
    b.put(SC, "doomed", "before")
    with pytest.raises(RuntimeError, match="boom"), store.transaction():
        a.put(SC, "new", 1)
        a.put(SC, "existing", "after")
        b.delete(SC, "doomed")
        raise RuntimeError("boom")
    assert a.get(SC, "new") is None
    assert a.get(SC, "existing") == "before"
    assert b.get(SC, "doomed") == "before"
    # The store is usable afterwards, in and out of transactions.
    a.put(SC, "later", 1)
    with store.transaction():
        a.put(SC, "later2", 2)
    assert a.get(SC, "later") == 1 and a.get(SC, "later2") == 2


def test_nested_transactions_join_the_outer_one(tmp_path: Path) -> None:
    with Store.open(tmp_path) as s, sqlite3.connect(tmp_path / "state.sqlite") as other:
        table = s.table("svc", "t")
        visible = lambda key: other.execute("SELECT count(*) FROM items WHERE key = ?", (key,)).fetchone()[0]  # noqa: E731
        with s.transaction():
            table.put(SC, "outer", 1)
            with s.transaction():
                table.put(SC, "inner", 2)
            # The inner block ended but nothing is committed until the outer one ends.
            assert visible("inner") == 0 and visible("outer") == 0
        assert visible("inner") == 1 and visible("outer") == 1


def test_failed_inner_block_undoes_only_itself_when_caught(store: Store) -> None:
    table = store.table("svc", "t")
    with store.transaction():
        table.put(SC, "outer", 1)
        with pytest.raises(KeyError), store.transaction():
            table.put(SC, "inner", 2)
            table.put(SC, "outer", "clobbered")
            raise KeyError("inner")
        table.put(SC, "after", 3)
    assert table.get(SC, "outer") == 1
    assert table.get(SC, "inner") is None
    assert table.get(SC, "after") == 3


def test_exception_through_nested_blocks_rolls_back_all(store: Store) -> None:
    table = store.table("svc", "t")
    with pytest.raises(ValueError), store.transaction():
        table.put(SC, "outer", 1)
        with store.transaction():
            table.put(SC, "inner", 2)
            with store.transaction():
                table.put(SC, "innermost", 3)
            raise ValueError
    assert table.count(SC) == 0


def test_after_commit_runs_once_the_writes_are_committed(store: Store) -> None:
    called: list[str] = []
    store.after_commit(lambda: called.append("outside"))
    assert called == ["outside"]
    with store.transaction():
        store.after_commit(lambda: called.append("outer"))
        with pytest.raises(RuntimeError), store.transaction():
            store.after_commit(lambda: called.append("undone savepoint"))
            raise RuntimeError("inner")
        with store.transaction():
            store.after_commit(lambda: called.append("inner"))
        assert called == ["outside"]
    assert called == ["outside", "outer", "inner"]
    with pytest.raises(RuntimeError), store.transaction():
        store.after_commit(lambda: called.append("rolled back"))
        raise RuntimeError("outer")
    with store.transaction():
        pass
    assert called == ["outside", "outer", "inner"]


def test_other_threads_writes_wait_for_a_transaction_and_are_not_rolled_back(store: Store) -> None:
    table = store.table("svc", "t")
    in_transaction = threading.Event()
    other_done = threading.Event()

    def other_writer() -> None:
        in_transaction.wait()
        table.put(SC, "other-thread", 1)
        other_done.set()

    thread = threading.Thread(target=other_writer)
    thread.start()
    with pytest.raises(RuntimeError), store.transaction():
        table.put(SC, "mine", 1)
        in_transaction.set()
        # The other thread is blocked: its write must not land inside this transaction.
        assert not other_done.wait(0.3)
        raise RuntimeError("roll back")
    thread.join(10)
    assert other_done.is_set()
    assert table.get(SC, "mine") is None
    assert table.get(SC, "other-thread") == 1


def test_a_transaction_spanning_an_await_is_detected(store: Store) -> None:
    table = store.table("svc", "t")

    async def holder(started: asyncio.Event, release: asyncio.Event) -> None:
        with store.transaction():
            table.put(SC, "holder", 1)
            started.set()
            await release.wait()

    async def main() -> None:
        started, release = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(holder(started, release))
        await started.wait()
        with pytest.raises(StoreError, match="await"):
            table.put(SC, "intruder", 1)
        with pytest.raises(StoreError, match="await"), store.transaction():
            pass
        release.set()
        await task

    asyncio.run(main())
    assert table.get(SC, "holder") == 1 and table.get(SC, "intruder") is None


def test_concurrent_writers_lose_nothing(store: Store) -> None:
    table = store.table("svc", "t")
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(300):
                if i % 10 == 0:
                    with store.transaction():
                        table.put(SC, f"w{n}-{i:04d}", i)
                        table.put(OTHER, f"w{n}-{i:04d}", i)
                else:
                    table.put(SC, f"w{n}-{i:04d}", i)
                assert table.get(SC, f"w{n}-{i:04d}") == i
        except BaseException as exc:  # surfaced below: a thread's assert would be lost
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert table.count(SC) == 8 * 300
    assert table.count(OTHER) == 8 * 30
    for n in range(8):
        assert [v for _, v in table.scan(SC, prefix=f"w{n}-")] == list(range(300))


def test_state_changes_are_refused_inside_a_transaction(store: Store, tmp_path: Path) -> None:
    with store.transaction():
        with pytest.raises(StoreError):
            store.reset()
        with pytest.raises(StoreError):
            store.export_to(tmp_path / "x.tar.gz")
        with pytest.raises(StoreError):
            store.import_from(tmp_path / "x.tar.gz")


# -- files, reset ---------------------------------------------------------------------------


def test_files_dir_is_per_service_and_under_the_data_dir(tmp_path: Path) -> None:
    with Store.open(tmp_path / "data") as s:
        s3 = s.files_dir("s3")
        assert s3.is_dir() and s3.is_relative_to(tmp_path / "data")
        assert s.files_dir("lambda") != s3


def test_reset_drops_rows_and_files_and_calls_hooks(store: Store) -> None:
    calls: list[str] = []
    store.on_reset(lambda: calls.append("first"))
    store.on_reset(lambda: calls.append("second"))
    a, b = store.table("svc", "a"), store.table("other", "b")
    a.put(SC, "x", 1)
    b.put(OTHER, "y", 2)
    s3 = store.files_dir("s3")
    (s3 / "bucket").mkdir()
    (s3 / "bucket" / "obj").write_bytes(b"body")
    store.reset()
    assert calls == ["first", "second"]
    assert a.count(SC) == 0 and b.count(OTHER) == 0 and a.scopes() == [] and b.scopes() == []
    assert s3.is_dir() and list(s3.iterdir()) == []  # a cached files_dir path stays usable
    a.put(SC, "x", 3)
    assert a.get(SC, "x") == 3


def test_every_reset_hook_runs_even_if_one_fails(store: Store) -> None:
    calls: list[str] = []

    def broken() -> None:
        raise RuntimeError("hook failed")

    store.on_reset(broken)
    store.on_reset(lambda: calls.append("ran"))
    with pytest.raises(RuntimeError, match="hook failed"):
        store.reset()
    assert calls == ["ran"]


# -- export / import ------------------------------------------------------------------------


def populate(s: Store) -> None:
    queues = s.table("sqs", "queues")
    objects = s.table("s3", "objects")
    users = s.table("iam", "users")
    queues.put(SC, "q1", {"Attributes": {"DelaySeconds": "0"}, "Created": VALUES["datetime-utc"]})
    queues.put(OTHER, "q1", {"other": True})
    objects.put(SC, "bucket/a\u00e9", {"size": 4, "etag": b"\x01\x02", "n": Decimal("1.5")})
    users.put(scope("000000000000"), "alice", VALUES)
    files = s.files_dir("s3")
    (files / "bucket").mkdir(parents=True, exist_ok=True)
    (files / "bucket" / "obj-1").write_bytes(b"body one")
    (files / "bucket" / "big").write_bytes(bytes(range(256)) * 4096)
    (s.files_dir("lambda") / "code.zip").write_bytes(b"PK\x03\x04")


def snapshot(s: Store) -> dict[str, Any]:
    """Everything observable: every known table's rows by scope, and every file."""
    rows = {}
    for service, name in [("sqs", "queues"), ("s3", "objects"), ("iam", "users")]:
        table = s.table(service, name)
        rows[table.name] = {sc: list(table.scan(sc)) for sc in table.scopes()}
    files = {}
    for service in ["s3", "lambda"]:
        root = s.files_dir(service)
        files[service] = {
            str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
        }
    return {"rows": rows, "files": files}


@pytest.mark.parametrize("target_mode", ["durable", "ephemeral"])
def test_export_then_import_into_a_fresh_store_gives_identical_state(
    store: Store, tmp_path: Path, target_mode: str
) -> None:
    populate(store)
    export = tmp_path / "state.tar.gz"
    store.export_to(export)
    calls: list[str] = []
    with Store.open(tmp_path / "target" if target_mode == "durable" else None) as target:
        target.on_reset(lambda: calls.append("import"))
        target.import_from(export)
        assert calls == ["import"]
        got = snapshot(target)
        assert_identical(got, snapshot(store))
        assert_identical(target.table("iam", "users").get(scope("000000000000"), "alice"), VALUES)
        assert len(got["files"]["s3"]) == 2 and got["rows"]["sqs/queues"][OTHER] == [("q1", {"other": True})]


def test_import_replaces_existing_state_entirely(store: Store, tmp_path: Path) -> None:
    populate(store)
    export = tmp_path / "state.tar.gz"
    store.export_to(export)
    want = snapshot(store)
    store.table("sqs", "queues").put(SC, "extra", 1)
    store.table("new", "table").put(SC, "extra", 1)
    (store.files_dir("s3") / "extra").write_bytes(b"x")
    (store.files_dir("s3") / "bucket" / "obj-1").write_bytes(b"changed")
    store.import_from(export)
    assert_identical(snapshot(store), want)
    assert store.table("new", "table").count(SC) == 0


def test_export_is_a_readable_archive_starting_with_a_manifest(store: Store, tmp_path: Path) -> None:
    populate(store)
    store.export_to(tmp_path / "state.tar.gz")
    with tarfile.open(tmp_path / "state.tar.gz") as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile(names[0]))  # type: ignore[arg-type]
    assert names[0] == "overcast-export.json" and manifest["format"] == "overcast-state"
    assert "state.sqlite" in names and "files/s3/bucket/obj-1" in names
    assert not list(tmp_path.glob(".state.tar.gz*"))  # no partial file left beside it


def test_bodies_sharing_an_inode_export_and_import_as_files(store: Store, tmp_path: Path) -> None:
    """Two object bodies that are one file on disk (a copy made by a hard link) go into the
    archive as two regular files, and the export imports."""
    files = store.files_dir("s3")
    (files / "original").write_bytes(b"shared body")
    (files / "copy").hardlink_to(files / "original")
    store.export_to(tmp_path / "state.tar.gz")
    with tarfile.open(tmp_path / "state.tar.gz") as tar:
        kinds = {m.name: m.isfile() for m in tar.getmembers() if m.name.startswith("files/s3/")}
    assert kinds == {"files/s3/original": True, "files/s3/copy": True}
    (files / "copy").unlink()
    store.import_from(tmp_path / "state.tar.gz")
    assert (store.files_dir("s3") / "copy").read_bytes() == b"shared body"


def test_export_leaves_out_scratch_files(store: Store, tmp_path: Path) -> None:
    files = store.files_dir("s3")
    (files / "done").write_bytes(b"whole body")
    (files / ".upload-1").write_bytes(b"half a bo")
    store.export_to(tmp_path / "state.tar.gz")
    with tarfile.open(tmp_path / "state.tar.gz") as tar:
        names = tar.getnames()
    assert "files/s3/done" in names and "files/s3/.upload-1" not in names


def test_export_under_concurrent_writes_is_a_consistent_snapshot(store: Store, tmp_path: Path) -> None:
    table, mirror = store.table("svc", "seq"), store.table("svc", "mirror")
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set() and i < 100_000:
            with store.transaction():
                table.put(SC, f"{i:06d}", i)
                mirror.put(SC, f"{i:06d}", i)
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while table.count(SC) < 200:
            time.sleep(0.001)
        store.export_to(tmp_path / "state.tar.gz")
    finally:
        stop.set()
        thread.join(30)
    with Store.open(None) as copy:
        copy.import_from(tmp_path / "state.tar.gz")
        keys = [k for k, _ in copy.table("svc", "seq").scan(SC)]
        # Some prefix of the writer's sequence, each transaction whole in both tables.
        assert len(keys) >= 200 and keys == [f"{i:06d}" for i in range(len(keys))]
        assert [k for k, _ in copy.table("svc", "mirror").scan(SC)] == keys


def tar_gz(members: dict[str, bytes | Path]) -> bytes:
    """An archive of regular files, or of symlinks where the body is a Path (the target)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            if isinstance(body, Path):
                info.type, info.linkname = tarfile.SYMTYPE, str(body)
                tar.addfile(info)
            else:
                info.size = len(body)
                tar.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


def manifest(**overrides: Any) -> bytes:
    return json.dumps({"format": "overcast-state", "version": 1, **overrides}).encode()


def valid_database(*tamper: str) -> bytes:
    """A real state database (optionally altered by SQL statements), as an export holds it."""
    with tempfile.TemporaryDirectory() as tmp:
        with Store.open(tmp) as s:
            s.table("evil", "t").put(SC, "k", 1)
            s.table("evil", "t").put(SC, "k2", 2)
        db = sqlite3.connect(Path(tmp) / "state.sqlite", isolation_level=None)
        try:
            for statement in tamper:
                db.execute(statement)
            db.execute("PRAGMA journal_mode = DELETE")  # the -wal file is not in the archive
        finally:
            db.close()
        return (Path(tmp) / "state.sqlite").read_bytes()


GARBAGE = {
    "empty": lambda: b"",
    "random": lambda: bytes(range(256)) * 40,
    "gzip-of-text": lambda: __import__("gzip").compress(b"hello world"),
    "truncated": lambda: tar_gz({"overcast-export.json": manifest(), "state.sqlite": valid_database()})[:300],
    "no-manifest": lambda: tar_gz({"state.sqlite": valid_database()}),
    "foreign-manifest": lambda: tar_gz({"overcast-export.json": b'{"format": "other"}', "state.sqlite": b""}),
    "manifest-not-json": lambda: tar_gz({"overcast-export.json": b"{nope", "state.sqlite": b""}),
    "newer-format": lambda: tar_gz(
        {"overcast-export.json": manifest(version=99), "state.sqlite": valid_database()}
    ),
    "no-database": lambda: tar_gz({"overcast-export.json": manifest()}),
    "database-garbage": lambda: tar_gz(
        {"overcast-export.json": manifest(), "state.sqlite": b"garbage" * 1000}
    ),
    "undecodable-value": lambda: tar_gz(
        {
            "overcast-export.json": manifest(),
            "state.sqlite": valid_database("UPDATE items SET value = x'ff' WHERE key = 'k2'"),
        }
    ),
    "text-value": lambda: tar_gz(
        {
            "overcast-export.json": manifest(),
            "state.sqlite": valid_database("UPDATE items SET value = 'text' WHERE key = 'k2'"),
        }
    ),
    "blob-key": lambda: tar_gz(
        {
            "overcast-export.json": manifest(),
            "state.sqlite": valid_database("UPDATE items SET key = x'6b32' WHERE key = 'k2'"),
        }
    ),
    "newer-schema": lambda: tar_gz(
        {"overcast-export.json": manifest(), "state.sqlite": valid_database("PRAGMA user_version = 99")}
    ),
    "layout-text": lambda: tar_gz(
        {
            "overcast-export.json": manifest(),
            "state.sqlite": valid_database("INSERT INTO layouts VALUES ('evil/t', 'two', NULL, NULL)"),
        }
    ),
    "layout-half-resume": lambda: tar_gz(
        {
            "overcast-export.json": manifest(),
            "state.sqlite": valid_database("INSERT INTO layouts VALUES ('evil/t', 1, 'scope', NULL)"),
        }
    ),
    "foreign-database": lambda: tar_gz(
        {"overcast-export.json": manifest(), "state.sqlite": foreign_database()}
    ),
    "path-traversal": lambda: tar_gz(
        {
            "overcast-export.json": manifest(),
            "state.sqlite": valid_database(),
            "files/s3/obj": b"x",
            "files/s3/../../../escaped": b"x",
        }
    ),
    "symlink": lambda: tar_gz(
        {
            "overcast-export.json": manifest(),
            "state.sqlite": valid_database(),
            "files/s3/escaped": Path("/etc/passwd"),
        }
    ),
    "unexpected-member": lambda: tar_gz(
        {"overcast-export.json": manifest(), "state.sqlite": valid_database(), "run.sh": b"rm -rf /"}
    ),
}


def foreign_database() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        with sqlite3.connect(Path(tmp) / "x.sqlite") as db:
            db.execute("CREATE TABLE items (tbl, scope, key, value)")
        return (Path(tmp) / "x.sqlite").read_bytes()


@pytest.mark.parametrize("kind", list(GARBAGE))
def test_importing_a_non_export_raises_and_leaves_state_untouched(
    store: Store, tmp_path: Path, kind: str
) -> None:
    populate(store)
    before = snapshot(store)
    bad = tmp_path / "in" / "bad.tar.gz"
    bad.parent.mkdir()
    bad.write_bytes(GARBAGE[kind]())
    calls: list[str] = []
    store.on_reset(lambda: calls.append("reset"))
    with pytest.raises(ValueError, match="export"):
        store.import_from(bad)
    assert_identical(snapshot(store), before)
    assert calls == []
    for root in {tmp_path, store._work_root()}:
        assert not list(root.rglob("escaped")), (
            "an archive member was written outside the import's scratch dir"
        )
    # No scratch directories are left in the data dir.
    if store.data_dir is not None:
        assert [p.name for p in store.data_dir.iterdir() if p.name.startswith(".")] == []


def test_import_of_a_missing_file_raises_file_not_found(store: Store, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        store.import_from(tmp_path / "nope.tar.gz")


# -- ephemeral ------------------------------------------------------------------------------


def test_ephemeral_store_leaves_nothing_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    temp_root = tmp_path / "tmp"
    temp_root.mkdir()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp_root))
    monkeypatch.chdir(cwd)
    s = Store.open(None)
    assert s.data_dir is None
    populate(s)
    with s.transaction():
        s.table("svc", "t").put(SC, "k", 1)
    s.export_to(tmp_path / "out.tar.gz")
    s.import_from(tmp_path / "out.tar.gz")
    s.reset()
    (s.files_dir("s3") / "again").write_bytes(b"x")
    assert list(temp_root.iterdir())  # its files did live in the temp dir
    s.close()
    assert list(temp_root.iterdir()) == []
    assert list(cwd.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cwd", "out.tar.gz", "tmp"]


def test_ephemeral_stores_are_independent() -> None:
    with Store.open(None) as a, Store.open(None) as b:
        a.table("svc", "t").put(SC, "k", "a")
        assert b.table("svc", "t").get(SC, "k") is None
