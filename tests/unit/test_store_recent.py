"""The store's cache of recently read rows (overcast/store/recent.py): a get answers what the
database holds after every kind of write, rollback, reset, import and migration."""

from __future__ import annotations

from pathlib import Path

import pytest

from overcast.store import Step, Store, TableLayout, scope
from overcast.store.recent import MAX_ROW, RecentRows

SC = scope("000000000000", "us-east-1")


@pytest.fixture(params=["durable", "ephemeral"])
def store(request: pytest.FixtureRequest, tmp_path: Path):
    s = Store.open(tmp_path / "data" if request.param == "durable" else None)
    yield s
    s.close()


def _cached(store: Store) -> int:
    return len(store._recent)


def test_a_get_is_served_from_memory_the_second_time(store: Store) -> None:
    table = store.table("svc", "things")
    table.put(SC, "a", {"v": 1})
    assert _cached(store) == 0  # a write alone keeps nothing
    assert table.get(SC, "a") == {"v": 1}
    assert _cached(store) == 1
    # The database is no longer asked: a row changed beneath the store (never done outside
    # tests) shows the cache answered.
    store._backend.put("svc/things", SC, "a", b"\xa1avb\x02")
    assert table.get(SC, "a") == {"v": 1}


def test_each_get_decodes_a_value_of_its_own(store: Store) -> None:
    table = store.table("svc", "things")
    table.put(SC, "a", {"list": [1, 2]})
    first = table.get(SC, "a")
    first["list"].append(3)
    assert table.get(SC, "a") == {"list": [1, 2]}


def test_writes_replace_or_forget_the_cached_row(store: Store) -> None:
    table = store.table("svc", "things")
    table.put(SC, "a", 1)
    assert table.get(SC, "a") == 1
    table.put(SC, "a", 2)
    assert table.get(SC, "a") == 2
    assert table.delete(SC, "a")
    assert table.get(SC, "a") is None
    table.put(SC, "a", {"state": "x"})
    assert table.get(SC, "a") == {"state": "x"}
    assert not table.put_unless_holding(SC, "a", {"state": "y"}, b"x")
    assert table.get(SC, "a") == {"state": "x"}
    assert table.put_unless_holding(SC, "a", {"state": "z"}, b"nothing-like-it")
    assert table.get(SC, "a") == {"state": "z"}


def test_a_rolled_back_write_is_never_served(store: Store) -> None:
    table = store.table("svc", "things")
    table.put(SC, "a", "committed")
    assert table.get(SC, "a") == "committed"
    with pytest.raises(RuntimeError), store.transaction():
        table.put(SC, "a", "undone")
        assert table.get(SC, "a") == "undone"  # the transaction sees its own write
        raise RuntimeError
    assert table.get(SC, "a") == "committed"


def test_a_row_first_read_inside_a_transaction_is_not_kept(store: Store) -> None:
    table = store.table("svc", "things")
    with pytest.raises(RuntimeError), store.transaction():
        table.put(SC, "b", "undone")
        assert table.get(SC, "b") == "undone"
        raise RuntimeError
    assert table.get(SC, "b") is None
    with store.transaction():
        table.put(SC, "b", "kept")
        assert table.get(SC, "b") == "kept"
    assert table.get(SC, "b") == "kept"


def test_a_nested_rollback_restores_the_row(store: Store) -> None:
    table = store.table("svc", "things")
    table.put(SC, "a", "outer")
    table.get(SC, "a")
    with store.transaction():
        with pytest.raises(RuntimeError), store.transaction():
            table.put(SC, "a", "inner")
            raise RuntimeError
        assert table.get(SC, "a") == "outer"
    assert table.get(SC, "a") == "outer"


def test_reset_and_import_clear_the_cache(store: Store, tmp_path: Path) -> None:
    table = store.table("svc", "things")
    table.put(SC, "a", "before")
    export = tmp_path / "state.tar.gz"
    store.export_to(export)
    table.put(SC, "a", "after")
    assert table.get(SC, "a") == "after"
    store.import_from(export)
    assert table.get(SC, "a") == "before"
    store.reset()
    assert table.get(SC, "a") is None


def test_a_migration_clears_the_cache(store: Store) -> None:
    table = store.table("svc", "things")
    table.put(SC, "a", {"old": 1})
    assert table.get(SC, "a") == {"old": 1}
    layout = TableLayout("things", 2, (Step(1, 2, lambda store, scope, key, value: {"new": value["old"]}),))
    store.upgrade("svc", (layout,))
    assert table.get(SC, "a") == {"new": 1}


def test_large_rows_are_not_kept(store: Store) -> None:
    table = store.table("svc", "things")
    table.put(SC, "big", b"x" * (MAX_ROW + 1))
    assert table.get(SC, "big") == b"x" * (MAX_ROW + 1)
    assert _cached(store) == 0


def test_the_budget_bounds_what_is_held() -> None:
    recent = RecentRows(budget=1000)
    for number in range(100):
        recent.keep(("t", "s", str(number)), b"x" * 100)
        assert recent.held <= 1000
    assert recent.held == 100 * len(recent)
    assert recent.get(("t", "s", "99")) == b"x" * 100  # the newest stay
    assert recent.get(("t", "s", "0")) is None
    recent.replace(("t", "s", "99"), b"y" * 10)
    assert recent.held == 100 * (len(recent) - 1) + 10
    recent.replace(("t", "s", "absent"), b"z")
    assert recent.get(("t", "s", "absent")) is None
    recent.forget(("t", "s", "99"))
    assert recent.held == 100 * len(recent)
