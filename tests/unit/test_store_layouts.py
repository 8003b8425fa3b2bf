"""Row layouts: tables record the layout of their rows, declared steps migrate older rows once
(in batches, resuming after a kill), and state newer than this version is refused."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from overcast.store import IncompatibleStateError, Step, Store, TableLayout, layouts, scope
from overcast.store.sqlite import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[2]
SC = scope("000000000000", "us-east-1")
OTHER = scope("111111111111", "us-east-1")


def add_one(store: Store, sc: str, key: str, value: dict) -> dict:
    """Layout 1 -> 2: counts how often a row was converted (twice would be a bug)."""
    return {**value, "n": value["n"] + 1}


def double(store: Store, sc: str, key: str, value: dict) -> dict:
    """Layout 2 -> 3."""
    return {**value, "n": value["n"] * 2}


COUNTED = (TableLayout("rows", 2, (Step(1, 2, add_one),)),)
CHAINED = (TableLayout("rows", 3, (Step(1, 2, add_one), Step(2, 3, double))),)


@pytest.fixture(params=["durable", "ephemeral"])
def store(request: pytest.FixtureRequest, tmp_path: Path):
    s = Store.open(tmp_path / "data" if request.param == "durable" else None)
    yield s
    s.close()


def recorded(store: Store) -> dict[str, int]:
    return {name: layout for name, (layout, _) in store._backend.layouts().items()}


def old_rows(store: Store, count: int = 30) -> None:
    """Rows as a release before layouts were recorded wrote them, across two scopes."""
    rows = store.table("svc", "rows")
    for i in range(count):
        rows.put(SC if i % 2 else OTHER, f"k{i:04d}", {"n": i})


def test_tables_start_recorded_at_their_current_layout(store: Store) -> None:
    store.table("svc", "undeclared").put(SC, "k", 1)
    store.upgrade("svc", CHAINED)
    assert recorded(store) == {"svc/rows": 3, "svc/undeclared": 1}
    store.table("svc", "rows").put(SC, "k", {"n": 5})
    store.upgrade("svc", CHAINED)  # nothing to do: the row stays as written
    assert store.table("svc", "rows").get(SC, "k") == {"n": 5}


def test_an_upgrade_with_nothing_to_migrate_writes_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_rows(store, 3)
    store.upgrade("svc", CHAINED)
    writes: list[str] = []
    for name in ("begin", "put", "set_layout"):
        real = getattr(store._backend, name)
        monkeypatch.setattr(
            store._backend, name, lambda *a, name=name, real=real: (writes.append(name), real(*a))[1]
        )
    store.upgrade("svc", CHAINED)
    assert writes == []


def test_rows_from_before_layouts_were_recorded_are_migrated_once(store: Store) -> None:
    old_rows(store)
    store.upgrade("svc", CHAINED)
    rows = store.table("svc", "rows")
    assert sorted(v["n"] for sc in (SC, OTHER) for _, v in rows.scan(sc)) == sorted(
        (i + 1) * 2 for i in range(30)
    )
    assert recorded(store)["svc/rows"] == 3
    store.upgrade("svc", CHAINED)
    assert rows.get(SC, "k0001") == {"n": 4}  # not migrated again


def test_migrations_run_in_batches_and_log_progress(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(layouts, "BATCH_ROWS", 4)
    monkeypatch.setattr(layouts, "PROGRESS_ROWS", 10)
    old_rows(store, 25)
    commits = []
    real_commit = store._backend.commit
    monkeypatch.setattr(store._backend, "commit", lambda: (commits.append(1), real_commit()))
    with caplog.at_level(logging.INFO, logger="overcast.store"):
        store.upgrade("svc", COUNTED)
    assert len(commits) == 8  # 7 batches of rows (25 / 4), then the one recording the new layout
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "migrating svc/rows from layout 1 to 2 (25 rows)"
    assert "migrating svc/rows: 12 of 25 rows" in messages and "migrating svc/rows: 20 of 25 rows" in messages
    assert messages[-1].startswith("migrated svc/rows to layout 2: 25 rows in ")


def test_a_migration_that_fails_part_way_resumes_without_converting_a_row_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(layouts, "BATCH_ROWS", 4)
    calls = 0

    def failing(store: Store, sc: str, key: str, value: dict) -> dict:
        nonlocal calls
        calls += 1
        if calls == 11:  # inside the third batch: two have committed
            raise RuntimeError("killed")
        return add_one(store, sc, key, value)

    with Store.open(tmp_path) as store:
        old_rows(store, 25)
        with pytest.raises(RuntimeError, match="killed"):
            store.upgrade("svc", (TableLayout("rows", 2, (Step(1, 2, failing),)),))
        layout, resume = store._backend.layouts()["svc/rows"]
        assert layout == 1 and resume is not None
    with Store.open(tmp_path) as store:
        store.upgrade("svc", COUNTED)
        rows = store.table("svc", "rows")
        assert sorted(v["n"] for sc in (SC, OTHER) for _, v in rows.scan(sc)) == list(range(1, 26))
        assert store._backend.layouts()["svc/rows"] == (2, None)


KILLED_MIGRATION = textwrap.dedent(
    """
    import os, sys
    from overcast.store import Step, Store, TableLayout, layouts
    layouts.BATCH_ROWS = 4
    calls = 0

    def convert(store, sc, key, value):
        global calls
        calls += 1
        if calls == 14:
            os._exit(9)  # as a kill -9 would: no cleanup, no rollback
        return {**value, "n": value["n"] + 1}

    store = Store.open(sys.argv[1])
    store.upgrade("svc", (TableLayout("rows", 2, (Step(1, 2, convert),)),))
    """
)


def test_a_kill_during_a_migration_leaves_a_data_dir_the_next_start_finishes(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        old_rows(store, 25)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.run([sys.executable, "-c", KILLED_MIGRATION, str(tmp_path)], env=env, check=False)
    assert child.returncode == 9
    with Store.open(tmp_path) as store:
        assert store._backend.layouts()["svc/rows"][0] == 1  # part-way
        store.upgrade("svc", COUNTED)
        rows = store.table("svc", "rows")
        assert sorted(v["n"] for sc in (SC, OTHER) for _, v in rows.scan(sc)) == list(range(1, 26))


def test_a_table_at_a_newer_layout_is_refused(store: Store) -> None:
    store.table("svc", "rows").put(SC, "k", {"n": 1})
    store._backend.set_layout("svc/rows", 7, None)
    store._load_layouts()
    with pytest.raises(IncompatibleStateError, match="layout 7, written by a newer Overcast"):
        store.upgrade("svc", COUNTED)
    store._backend.set_layout("svc/undeclared", 2, None)
    store.table("svc", "undeclared").put(SC, "k", 1)
    store._load_layouts()
    with pytest.raises(IncompatibleStateError, match="newer"):
        store.upgrade("svc", (TableLayout("rows", 7),))


def test_a_layout_with_no_step_from_it_is_refused(store: Store) -> None:
    old_rows(store, 3)
    store.upgrade("svc", COUNTED[:0])  # a release where the table was at layout 1, recorded
    with pytest.raises(IncompatibleStateError, match="no longer upgrades"):
        store.upgrade("svc", (TableLayout("rows", 3, (Step(2, 3, double),)),))


def test_reset_keeps_the_recorded_layouts(store: Store) -> None:
    old_rows(store, 3)
    store.upgrade("svc", COUNTED)
    store.reset()
    assert recorded(store) == {"svc/rows": 2}


def test_a_data_dir_of_the_format_before_layouts_is_upgraded_at_open(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        old_rows(store, 3)
    with sqlite3.connect(tmp_path / "state.sqlite") as db:  # as format 1 was: items only
        db.executescript("DROP TABLE layouts; DROP TABLE meta; PRAGMA user_version = 1;")
    with Store.open(tmp_path) as store:
        assert store._backend.layouts() == {}
        store.upgrade("svc", COUNTED)
        assert store.table("svc", "rows").get(SC, "k0001") == {"n": 2}
    with sqlite3.connect(tmp_path / "state.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_newer_data_dir_is_refused_naming_the_version_that_wrote_it(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    with sqlite3.connect(tmp_path / "state.sqlite") as db:  # what the next format's release writes
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        db.execute("UPDATE meta SET value = '9.9.9' WHERE name = 'written_by'")
    with pytest.raises(IncompatibleStateError) as refused:
        Store.open(tmp_path)
    assert f"written by a newer Overcast (9.9.9) (data dir format {SCHEMA_VERSION + 1})" in str(refused.value)
    assert "Upgrade Overcast or use another data dir" in str(refused.value)


def test_an_export_carries_layouts_and_an_older_one_is_migrated_on_import(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a") as source:
        old_rows(source, 3)
        source.upgrade("svc", COUNTED)
        source.export_to(tmp_path / "current.tar.gz")
    with Store.open(tmp_path / "old") as old:  # an export made before layouts were recorded
        old_rows(old, 3)
    with sqlite3.connect(tmp_path / "old" / "state.sqlite") as db:
        db.executescript("DROP TABLE layouts; DROP TABLE meta; PRAGMA user_version = 1;")
    with Store.open(tmp_path / "old") as old:
        old.export_to(tmp_path / "old.tar.gz")
    with Store.open(None) as target:
        target.upgrade("svc", COUNTED)  # the service is loaded, so an import upgrades its rows
        target.import_from(tmp_path / "current.tar.gz")
        assert target.table("svc", "rows").get(SC, "k0001") == {"n": 2}
        assert recorded(target) == {"svc/rows": 2}
        target.import_from(tmp_path / "old.tar.gz")
        assert target.table("svc", "rows").get(SC, "k0001") == {"n": 2}
        assert recorded(target) == {"svc/rows": 2}


def test_an_export_with_a_newer_layout_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a") as source:
        source.table("svc", "rows").put(SC, "k", {"n": 100})
        source._backend.set_layout("svc/rows", 5, None)
        source.export_to(tmp_path / "newer.tar.gz")
    with Store.open(None) as target:
        target.upgrade("svc", COUNTED)
        target.table("svc", "rows").put(SC, "k", {"n": 1})
        with pytest.raises(ValueError, match="layout 5, written by a newer Overcast"):
            target.import_from(tmp_path / "newer.tar.gz")
        assert target.table("svc", "rows").get(SC, "k") == {"n": 1}
        assert recorded(target) == {"svc/rows": 2}
