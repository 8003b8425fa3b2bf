"""The SQLite backend: all SQL lives here, so another backend (PostgreSQL) can replace it.

The backend is a plain connection wrapper. It does no locking of its own: the Store
serialises every call under its lock, and it alone decides when transactions begin and end.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from overcast import __version__
from overcast.faults import Condition, is_disk_full
from overcast.store.backend import IncompatibleStateError

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "Checkpointer",
    "SqliteBackend",
    "check_snapshot",
    "create_snapshot",
    "snapshot_layouts",
]

log = logging.getLogger(__name__)

# Written into the database header (PRAGMA application_id) so an Overcast state file can be
# told apart from any other SQLite file; "OVCT".
APPLICATION_ID = 0x4F564354
# The data dir's format (PRAGMA user_version). Bump it on any change to the tables below and
# whenever a service's table gets a new row layout, so that an older Overcast refuses the data
# dir at open; teach _SCHEMA_STEPS the step from the previous format if the tables changed.
# 1: items only. 2: the layouts and meta tables.
SCHEMA_VERSION = 2

# WITHOUT ROWID clusters the rows on the primary key: a get is one B-tree descent and a scan
# of one table's scope (optionally from a key on) reads contiguous pages. TEXT compares with
# the BINARY collation on UTF-8 bytes, which is Unicode codepoint order.
_ITEMS = """
CREATE TABLE items (
    tbl   TEXT NOT NULL,
    scope TEXT NOT NULL,
    key   TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (tbl, scope, key)
) WITHOUT ROWID;
"""
# A table's row layout (overcast/store/layouts.py), and while a migration step is under way
# the last row it converted; `meta` holds which Overcast last changed the data dir's format.
_LAYOUTS = """
CREATE TABLE layouts (
    tbl          TEXT PRIMARY KEY,
    layout       INTEGER NOT NULL,
    resume_scope TEXT,
    resume_key   TEXT
) WITHOUT ROWID;
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
"""
# The SQL that brings a database of format N - 1 to format N (tables only: row layouts are
# migrated by the services' declared steps, overcast/store/layouts.py).
_SCHEMA_STEPS = {2: _LAYOUTS}
_SCHEMA = _ITEMS + _LAYOUTS

_GET = "SELECT value FROM items WHERE tbl = ? AND scope = ? AND key = ?"
# An upsert rather than INSERT OR REPLACE: REPLACE deletes the old row and inserts the new
# one, freeing and reallocating its overflow pages (and rewriting page 1's freelist count) on
# every overwrite; an update of a value of unchanged size overwrites the cell, overflow pages
# included, in place. An overwrite of a 1.4 KB row costs a quarter of the CPU, and writes a
# third of the WAL pages; other writes cost the same.
_PUT = (
    "INSERT INTO items (tbl, scope, key, value) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (tbl, scope, key) DO UPDATE SET value = excluded.value"
)
# The same upsert, but an existing value whose bytes hold the marker is left as it was (the
# statement then changes no row): one statement where a get and a put would be two.
_PUT_UNLESS_HOLDING = _PUT + " WHERE instr(items.value, ?) = 0"
_DELETE = "DELETE FROM items WHERE tbl = ? AND scope = ? AND key = ?"
_NEXT_SCOPE = "SELECT scope FROM items WHERE tbl = ? AND scope > ? ORDER BY scope LIMIT 1"
_NEXT_TABLE = "SELECT tbl FROM items WHERE tbl > ? ORDER BY tbl LIMIT 1"


def _connect(target: str) -> sqlite3.Connection:
    # isolation_level=None: no implicit BEGIN, so a statement outside an explicit transaction
    # commits on its own (durable when it returns) and BEGIN/COMMIT mean exactly what they say.
    # check_same_thread=False: worker threads share the connection under the Store's lock.
    # timeout: a write waits for the Checkpointer's RESTART, which holds writers off for as long
    # as a checkpoint's fsyncs take, rather than fail with "database is locked".
    return sqlite3.connect(
        target, isolation_level=None, check_same_thread=False, cached_statements=256, timeout=60.0
    )


# How long after a write the checkpointer copies the commits into the database file (writes
# meanwhile join the same pass), and how many WAL frames (4 KiB pages) it lets the WAL hold before it makes writers wait so that
# the next commit starts the WAL over (see Checkpointer).
_CHECKPOINT_INTERVAL = 0.25
_CHECKPOINT_CAP_FRAMES = 4096


class Checkpointer:
    """Copies committed WAL frames into the database file on a thread of its own.

    SQLite's own checkpoint runs inside the commit that crosses 1,000 WAL pages, on the
    thread that committed, and syncs the WAL and then the database file: two fsyncs, each
    milliseconds on a loaded disk, during which the event loop serves no one. Here the
    committing connection never checkpoints; this thread's connection does, in PASSIVE mode,
    which takes no lock a writer needs, so commits go on meanwhile. Durability is unchanged:
    a commit is in the WAL when it returns, as before, and a checkpoint syncs exactly as
    SQLite's own does (synchronous=NORMAL).

    A writer starts the WAL over only if every frame in it was copied when it began. Under
    steady writes a commit usually lands while a pass runs, so the WAL would grow without end;
    once it holds _CHECKPOINT_CAP_FRAMES frames, a RESTART checkpoint holds writers off (they
    wait in SQLite's busy handler) while it copies the frames the passive pass missed, so the
    next commit starts the WAL over. (Not TRUNCATE: rewriting the blocks of a WAL file of
    steady size is cheaper than allocating them again after each truncation.)"""

    def __init__(self, path: Path) -> None:
        self._path = path
        # Said once while a checkpoint keeps failing (a full disk), not on every pass.
        self._condition = Condition(log, f"checkpoint of {path}")
        self._stopping = threading.Event()
        # Set by every write: an idle server's checkpointer sleeps until there is work.
        self._written = threading.Event()
        # The timeout bounds how long a RESTART waits for a writer to finish its transaction.
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=1.0)
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._thread = threading.Thread(target=self._run, name="overcast-checkpoint", daemon=True)
        self._thread.start()

    def wrote(self) -> None:
        """A write was made (or committed): a pass follows within _CHECKPOINT_INTERVAL."""
        if not self._written.is_set():
            self._written.set()

    def _run(self) -> None:
        while True:
            self._written.wait()
            if self._stopping.is_set() or self._stopping.wait(_CHECKPOINT_INTERVAL):
                return
            # Cleared before the pass: a commit that lands during it sets it again.
            self._written.clear()
            try:
                self.checkpoint()
            except sqlite3.Error as exc:  # e.g. the disk is full: commits still go to the WAL
                if is_disk_full(exc):
                    self._condition.failed(exc)
                else:
                    log.warning("checkpoint of %s failed: %s", self._path, exc)
            else:
                self._condition.succeeded()

    def checkpoint(self) -> tuple[int, int]:
        """One pass: (frames in the WAL, frames of them copied into the database file)."""
        _, frames, copied = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if frames >= _CHECKPOINT_CAP_FRAMES:
            _, frames, copied = self._conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
        return frames, copied

    def stop(self) -> None:
        self._stopping.set()
        # Woken until it ends: a pass under way may clear a single wake-up after it was given.
        while self._thread.is_alive():
            self._written.set()
            self._thread.join(0.05)
        self._conn.close()


def _nothing() -> None:
    pass


class SqliteBackend:
    """One SQLite connection holding the `items` table. `path=None` is an in-memory
    database: the same engine and SQL, so ephemeral and durable stores behave alike.

    On disk, a Checkpointer thread copies the WAL into the database file."""

    #: A statement that fails changes nothing and leaves the transaction open (unless the
    #: database itself ends it, which in_transaction then says).
    atomic_statements = True

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._checkpointer: Checkpointer | None = None
        self._wrote: Callable[[], None] = _nothing
        try:
            self._conn = _connect(":memory:" if path is None else str(path))
            if path is None:
                # Rows past about a quarter of a page spill into overflow pages; in memory a
                # larger page only costs a small row's write a little (a 1.5 KB row, an S3
                # object of 1 KiB kept inline, writes twice as fast at 8 KiB). On disk the WAL
                # writes whole pages per commit, so there the default 4 KiB stays (faster for
                # rows under about 1 KB, most of what services keep).
                self._conn.execute("PRAGMA page_size = 8192")
            # A kill -9 cannot lose a WAL commit: the frame is in the OS page cache once
            # write() returns. synchronous=NORMAL skips the fsync that only power loss needs.
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA temp_store = MEMORY")
            # Up to 64 MiB of page cache (allocated as used): random gets over a state larger
            # than the 2 MiB default otherwise go to the OS for most pages (~20% slower).
            self._conn.execute("PRAGMA cache_size = -65536")
            self._prepare()
            if path is not None:
                self._conn.execute("PRAGMA wal_autocheckpoint = 0")
                self._checkpointer = Checkpointer(path)
                self._wrote = self._checkpointer.wrote
        except sqlite3.DatabaseError as exc:
            self.close()
            raise IncompatibleStateError(f"{path} is not a usable SQLite database: {exc}") from exc
        except BaseException:
            self.close()
            raise

    def _prepare(self) -> None:
        app_id = self._conn.execute("PRAGMA application_id").fetchone()[0]
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if app_id == 0 and version == 0:
            has_tables = self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if has_tables:
                raise IncompatibleStateError(f"{self.path} is a SQLite database but not Overcast state")
            self._conn.executescript(
                f"BEGIN; {_SCHEMA} PRAGMA application_id = {APPLICATION_ID};"
                f" PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            )
            self._record_writer()
            return
        if app_id != APPLICATION_ID:
            raise IncompatibleStateError(f"{self.path} is a SQLite database but not Overcast state")
        if version > SCHEMA_VERSION:
            writer = self._meta("written_by")
            raise IncompatibleStateError(
                f"{self.path} was written by a newer Overcast{f' ({writer})' if writer else ''}"
                f" (data dir format {version}); this Overcast"
                f" ({__version__}) reads formats up to {SCHEMA_VERSION}. Upgrade Overcast or use"
                " another data dir."
            )
        if version < SCHEMA_VERSION:
            self._migrate(version)

    def _migrate(self, version: int) -> None:
        """Bring the tables from format `version` to the current one, in one transaction: a
        kill part-way leaves the old format, which the next open upgrades again."""
        if version < 1:
            raise IncompatibleStateError(f"{self.path}: unknown data dir format {version}")
        steps = [_SCHEMA_STEPS.get(step, "") for step in range(version + 1, SCHEMA_VERSION + 1)]
        self._conn.executescript(f"BEGIN; {''.join(steps)} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
        self._record_writer()

    def _record_writer(self) -> None:
        """Note which Overcast set the format, so an older one can name it when it refuses."""
        self._conn.execute(
            "INSERT OR REPLACE INTO meta (name, value) VALUES ('written_by', ?)", (__version__,)
        )

    def _meta(self, name: str) -> str | None:
        try:
            row = self._conn.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        except sqlite3.OperationalError:  # a format without the meta table
            return None
        return None if row is None else str(row[0])

    # -- layouts --------------------------------------------------------------------------

    def layouts(self) -> dict[str, tuple[int, tuple[str, str] | None]]:
        rows = self._conn.execute("SELECT tbl, layout, resume_scope, resume_key FROM layouts")
        return {
            tbl: (layout, None if resume_scope is None else (resume_scope, resume_key))
            for tbl, layout, resume_scope, resume_key in rows
        }

    def set_layout(self, tbl: str, layout: int, resume: tuple[str, str] | None) -> None:
        scope, key = resume if resume is not None else (None, None)
        self._conn.execute(
            "INSERT OR REPLACE INTO layouts (tbl, layout, resume_scope, resume_key) VALUES (?, ?, ?, ?)",
            (tbl, layout, scope, key),
        )

    # -- rows -----------------------------------------------------------------------------

    def get(self, tbl: str, scope: str, key: str) -> bytes | None:
        row = self._conn.execute(_GET, (tbl, scope, key)).fetchone()
        return None if row is None else row[0]

    def put(self, tbl: str, scope: str, key: str, value: bytes) -> None:
        self._conn.execute(_PUT, (tbl, scope, key, value))
        self._wrote()

    def put_unless_holding(self, tbl: str, scope: str, key: str, value: bytes, marker: bytes) -> bool:
        written = self._conn.execute(_PUT_UNLESS_HOLDING, (tbl, scope, key, value, marker)).rowcount > 0
        if written:
            self._wrote()
        return written

    def delete(self, tbl: str, scope: str, key: str) -> bool:
        self._wrote()
        return self._conn.execute(_DELETE, (tbl, scope, key)).rowcount > 0

    def scan(
        self,
        tbl: str,
        scope: str,
        low: str,
        low_inclusive: bool,
        high: str | None,
        reverse: bool,
        limit: int,
    ) -> list[tuple[str, bytes]]:
        """Rows with low <(=) key < high, in key order (descending if reverse), at most limit."""
        sql = [
            "SELECT key, value FROM items WHERE tbl = ? AND scope = ? AND key ",
            ">= ?" if low_inclusive else "> ?",
        ]
        params: list[object] = [tbl, scope, low]
        if high is not None:
            sql.append(" AND key < ?")
            params.append(high)
        sql.append(" ORDER BY key DESC LIMIT ?" if reverse else " ORDER BY key LIMIT ?")
        params.append(limit)
        return self._conn.execute("".join(sql), params).fetchall()

    def count(self, tbl: str, scope: str, low: str, high: str | None) -> int:
        if high is None:
            sql = "SELECT count(*) FROM items WHERE tbl = ? AND scope = ? AND key >= ?"
            return self._conn.execute(sql, (tbl, scope, low)).fetchone()[0]
        sql = "SELECT count(*) FROM items WHERE tbl = ? AND scope = ? AND key >= ? AND key < ?"
        return self._conn.execute(sql, (tbl, scope, low, high)).fetchone()[0]

    def next_scope(self, tbl: str, after: str) -> str | None:
        """The first scope of `tbl` after `after`: one index seek, so listing scopes costs
        one seek per scope instead of a pass over every row."""
        row = self._conn.execute(_NEXT_SCOPE, (tbl, after)).fetchone()
        return None if row is None else row[0]

    def next_table(self, after: str) -> str | None:
        """The first table name after `after` that has rows: one index seek."""
        row = self._conn.execute(_NEXT_TABLE, (after,)).fetchone()
        return None if row is None else row[0]

    def clear(self) -> None:
        self._conn.execute("DELETE FROM items")
        self._wrote()

    # -- transactions ---------------------------------------------------------------------

    def begin(self) -> None:
        # IMMEDIATE takes the write lock now, so a transaction never fails halfway with
        # SQLITE_BUSY when it first writes (matters once another process reads the file).
        self._conn.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self._conn.execute("COMMIT")
        self._wrote()

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    def rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def savepoint(self, name: str) -> None:
        self._conn.execute(f"SAVEPOINT {name}")

    def release(self, name: str) -> None:
        self._conn.execute(f"RELEASE {name}")

    def rollback_to(self, name: str) -> None:
        # ROLLBACK TO keeps the savepoint open; RELEASE then removes it without committing.
        self._conn.execute(f"ROLLBACK TO {name}")
        self._conn.execute(f"RELEASE {name}")

    # -- whole state ----------------------------------------------------------------------

    def snapshot_to(self, path: Path) -> None:
        """Write a consistent copy of the database to a standalone file (no -wal beside it)."""
        target = _connect(str(path))
        try:
            self._conn.backup(target)
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()

    def replace_from(
        self,
        path: Path,
        check_value: Callable[[bytes], object],
        check_layouts: Callable[[dict[str, int]], object],
    ) -> None:
        """Replace every row, and the tables' recorded layouts, with those of the snapshot at
        `path`, atomically. Raises ValueError, leaving the current rows untouched, if it is not
        Overcast state this version can read or `check_value` raises for any of its values or
        `check_layouts` for its layouts. A snapshot of an older format has no recorded layouts:
        its tables are then unrecorded, as in an old data dir."""
        try:
            self._conn.execute("ATTACH DATABASE ? AS incoming", (str(path),))
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"its state database cannot be opened: {exc}") from exc
        try:
            try:
                incoming_version = check_snapshot(self._conn, "incoming", check_value)
                layouts = snapshot_layouts(self._conn, "incoming") if incoming_version >= 2 else {}
            except sqlite3.DatabaseError as exc:
                raise ValueError(f"its state database is damaged or not SQLite: {exc}") from exc
            check_layouts(layouts)
            self.begin()
            try:
                self._conn.execute("DELETE FROM main.items")
                self._conn.execute(
                    "INSERT INTO main.items (tbl, scope, key, value) SELECT tbl, scope, key, value FROM incoming.items"
                )
                self._conn.execute("DELETE FROM main.layouts")
                if incoming_version >= 2:
                    self._conn.execute(
                        "INSERT INTO main.layouts (tbl, layout, resume_scope, resume_key)"
                        " SELECT tbl, layout, resume_scope, resume_key FROM incoming.layouts"
                    )
                self.commit()
            except sqlite3.DatabaseError as exc:
                self.rollback()
                raise ValueError(f"its state database is damaged: {exc}") from exc
            except BaseException:
                self.rollback()
                raise
        finally:
            self._conn.execute("DETACH DATABASE incoming")

    def close(self) -> None:
        # The checkpointer's connection first, so closing the last one copies the whole WAL
        # into the database file and removes it, as SQLite does on close.
        checkpointer = getattr(self, "_checkpointer", None)
        if checkpointer is not None:
            checkpointer.stop()
            self._checkpointer = None
        conn = getattr(self, "_conn", None)
        if conn is not None:
            conn.close()


def create_snapshot(path: Path) -> sqlite3.Connection:
    """A new standalone state file at `path` with the current schema and no rows (the export
    format, whatever the backend), open for writing."""
    target = _connect(str(path))
    target.executescript(
        f"BEGIN; {_SCHEMA} PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
    )
    return target


def snapshot_layouts(conn: sqlite3.Connection, schema: str) -> dict[str, int]:
    """The recorded layouts of the state database attached as `schema`, checked."""
    layouts = {}
    for tbl, layout, resume_scope, resume_key in conn.execute(
        f"SELECT tbl, layout, resume_scope, resume_key FROM {schema}.layouts"
    ):
        resume_ok = (resume_scope is None and resume_key is None) or (
            type(resume_scope) is str and type(resume_key) is str
        )
        if not (type(tbl) is str and type(layout) is int and resume_ok):
            raise ValueError(f"its layout record {tbl!r} has columns of the wrong types")
        layouts[tbl] = layout
    return layouts


def check_snapshot(conn: sqlite3.Connection, schema: str, check_value: Callable[[bytes], object]) -> int:
    """The format of the state database attached as `schema`, once its every row is checked."""
    app_id = conn.execute(f"PRAGMA {schema}.application_id").fetchone()[0]
    version = conn.execute(f"PRAGMA {schema}.user_version").fetchone()[0]
    if app_id != APPLICATION_ID:
        raise ValueError("its state database is not Overcast state")
    if not 1 <= version <= SCHEMA_VERSION:
        raise ValueError(
            f"it holds data dir format {version}; this version of Overcast ({__version__}) reads"
            f" formats 1 to {SCHEMA_VERSION}. Upgrade Overcast to import it."
        )
    # Every row is read once now, so a crafted or damaged export fails here, with the
    # current state intact, instead of at some later get().
    for tbl, scope, key, value in conn.execute(f"SELECT tbl, scope, key, value FROM {schema}.items"):
        if not (type(tbl) is str and type(scope) is str and type(key) is str and type(value) is bytes):
            raise ValueError(f"its row {tbl!r} {scope!r} {key!r} has columns of the wrong types")
        try:
            check_value(value)
        except Exception as exc:
            raise ValueError(f"the value of its row {tbl!r} {scope!r} {key!r} is unreadable: {exc}") from exc
    return int(version)
