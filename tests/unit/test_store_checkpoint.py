"""The WAL checkpointer: commits never checkpoint on the committing thread; a thread of the
store's copies the WAL into the database file and keeps the WAL bounded."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from overcast.store import Store, scope
from overcast.store import sqlite as sqlite_backend

SC = scope("000000000000", "us-east-1")


def wal_frames(data_dir: Path) -> int:
    """Frames in the WAL, read from the WAL file's length (32-byte header, 24-byte frame
    headers, 4 KiB pages)."""
    wal = data_dir / "state.sqlite-wal"
    size = wal.stat().st_size if wal.exists() else 0
    return 0 if size <= 32 else (size - 32) // (24 + 4096)


def test_commits_leave_checkpoints_to_the_checkpointer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A checkpointer that never wakes: what the WAL holds is what the commits left there.
    monkeypatch.setattr(sqlite_backend, "_CHECKPOINT_INTERVAL", 3600.0)
    with Store.open(tmp_path) as s:
        table = s.table("svc", "t")
        for i in range(1500):  # past SQLite's own 1,000-page automatic checkpoint
            table.put(SC, f"k{i:05d}", "x" * 3000)
        assert wal_frames(tmp_path) > 3000  # SQLite would have started it over at 1,000
        # Committed and visible to another connection, as to another process.
        with sqlite3.connect(tmp_path / "state.sqlite") as other:
            assert other.execute("SELECT count(*) FROM items").fetchone()[0] == 1500


def test_the_checkpointer_copies_the_wal_and_starts_it_over_at_the_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_backend, "_CHECKPOINT_INTERVAL", 3600.0)
    monkeypatch.setattr(sqlite_backend, "_CHECKPOINT_CAP_FRAMES", 200)
    with Store.open(tmp_path) as s:
        table = s.table("svc", "t")
        checkpointer = s._backend._checkpointer  # type: ignore[attr-defined]
        for i in range(20):  # each row spills into an overflow page: about 4 frames a put
            table.put(SC, f"k{i:05d}", "x" * 3000)
        frames, copied = checkpointer.checkpoint()
        assert 0 < frames < 200
        assert copied == frames
        for i in range(20, 400):
            table.put(SC, f"k{i:05d}", "x" * 3000)
        frames, copied = checkpointer.checkpoint()
        assert frames == copied >= 200
        # Past the cap every frame was copied with writers held off, so the next commit
        # starts the WAL over, and the WAL file stops growing.
        size = wal_frames(tmp_path)
        table.put(SC, "after", 1)
        assert checkpointer.checkpoint()[0] < 10
        for round_ in range(5):
            for i in range(100):
                table.put(SC, f"r{round_}-{i:03d}", "x" * 3000)
            checkpointer.checkpoint()
        assert wal_frames(tmp_path) <= max(size, 200 + 100 * 5)
        assert table.get(SC, "after") == 1
    with Store.open(tmp_path) as s:
        assert s.table("svc", "t").count(SC) == 901


def test_writes_go_on_while_the_checkpointer_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_backend, "_CHECKPOINT_INTERVAL", 0.001)
    monkeypatch.setattr(sqlite_backend, "_CHECKPOINT_CAP_FRAMES", 100)
    with Store.open(tmp_path) as s:
        table = s.table("svc", "t")
        errors: list[BaseException] = []

        def write(start: int) -> None:
            try:
                for i in range(start, start + 300):
                    with s.transaction():
                        table.put(SC, f"k{i:05d}", "x" * 2000)
                        table.put(SC, f"m{i:05d}", i)
            except BaseException as exc:
                errors.append(exc)

        writers = [threading.Thread(target=write, args=(n * 1000,)) for n in range(2)]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()
        assert errors == []
        assert table.count(SC) == 1200
    # Closing copies everything into the database file and removes the WAL.
    assert not (tmp_path / "state.sqlite-wal").exists()
    with Store.open(tmp_path) as s:
        assert s.table("svc", "t").count(SC) == 1200


def test_closing_stops_the_checkpointer_thread(tmp_path: Path) -> None:
    before = {t for t in threading.enumerate() if t.name == "overcast-checkpoint"}
    s = Store.open(tmp_path)
    assert {t for t in threading.enumerate() if t.name == "overcast-checkpoint"} - before
    s.close()
    assert {t for t in threading.enumerate() if t.name == "overcast-checkpoint"} <= before
    with Store.open(None):  # an ephemeral store has no WAL and no checkpointer
        assert {t for t in threading.enumerate() if t.name == "overcast-checkpoint"} <= before


def test_an_overwrite_of_the_same_size_rewrites_its_pages_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_backend, "_CHECKPOINT_INTERVAL", 3600.0)
    with Store.open(tmp_path) as s:
        table = s.table("svc", "t")
        table.put(SC, "k", "a" * 1400)  # larger than a 4 KiB page keeps in its leaf
        checkpointer = s._backend._checkpointer  # type: ignore[attr-defined]
        checkpointer.checkpoint()  # all copied: the next commit starts the WAL over
        for letter in "bcdefghijk":
            table.put(SC, "k", letter * 1400)
        # Each commit wrote the leaf and its overflow page; none freed and reallocated pages.
        assert checkpointer.checkpoint()[0] == 20
        assert table.get(SC, "k") == "k" * 1400


def test_an_idle_checkpointer_sleeps_until_a_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No background work at idle: without writes the thread makes no pass at all.
    monkeypatch.setattr(sqlite_backend, "_CHECKPOINT_INTERVAL", 0.01)
    passes = []
    original = sqlite_backend.Checkpointer.checkpoint

    def counted(self: sqlite_backend.Checkpointer) -> tuple[int, int]:
        passes.append(1)
        return original(self)

    monkeypatch.setattr(sqlite_backend.Checkpointer, "checkpoint", counted)
    with Store.open(tmp_path) as s:
        threading.Event().wait(0.2)
        assert passes == []
        s.table("svc", "t").put(SC, "k", "v")
        deadline = threading.Event()
        for _ in range(100):
            if passes:
                break
            deadline.wait(0.02)
        assert len(passes) == 1
        threading.Event().wait(0.2)
        assert len(passes) == 1  # one write, one pass: then asleep again
