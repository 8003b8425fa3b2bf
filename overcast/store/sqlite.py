"""The SQLite backend: all SQL lives here, so another backend (PostgreSQL) can replace it.

The backend is a plain connection wrapper. It does no locking of its own: the Store
serialises every call under its lock, and it alone decides when transactions begin and end.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from overcast.store.backend import IncompatibleStateError

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "SqliteBackend"]

# Written into the database header (PRAGMA application_id) so an Overcast state file can be
# told apart from any other SQLite file; "OVCT".
APPLICATION_ID = 0x4F564354
# Bump on any change to the tables below, and teach _migrate the step from the previous one.
SCHEMA_VERSION = 1

# WITHOUT ROWID clusters the rows on the primary key: a get is one B-tree descent and a scan
# of one table's scope (optionally from a key on) reads contiguous pages. TEXT compares with
# the BINARY collation on UTF-8 bytes, which is Unicode codepoint order.
_SCHEMA = """
CREATE TABLE items (
    tbl   TEXT NOT NULL,
    scope TEXT NOT NULL,
    key   TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (tbl, scope, key)
) WITHOUT ROWID;
"""

_GET = "SELECT value FROM items WHERE tbl = ? AND scope = ? AND key = ?"
_PUT = "INSERT OR REPLACE INTO items (tbl, scope, key, value) VALUES (?, ?, ?, ?)"
_DELETE = "DELETE FROM items WHERE tbl = ? AND scope = ? AND key = ?"
_NEXT_SCOPE = "SELECT scope FROM items WHERE tbl = ? AND scope > ? ORDER BY scope LIMIT 1"
_NEXT_TABLE = "SELECT tbl FROM items WHERE tbl > ? ORDER BY tbl LIMIT 1"


def _connect(target: str) -> sqlite3.Connection:
    # isolation_level=None: no implicit BEGIN, so a statement outside an explicit transaction
    # commits on its own (durable when it returns) and BEGIN/COMMIT mean exactly what they say.
    # check_same_thread=False: worker threads share the connection under the Store's lock.
    return sqlite3.connect(target, isolation_level=None, check_same_thread=False, cached_statements=256)


class SqliteBackend:
    """One SQLite connection holding the `items` table. `path=None` is an in-memory
    database: the same engine and SQL, so ephemeral and durable stores behave alike."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
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
            return
        if app_id != APPLICATION_ID:
            raise IncompatibleStateError(f"{self.path} is a SQLite database but not Overcast state")
        if version > SCHEMA_VERSION:
            raise IncompatibleStateError(
                f"{self.path} was written by a newer Overcast (state schema {version}; this"
                f" version reads up to {SCHEMA_VERSION}). Upgrade Overcast or use another data dir."
            )
        self._migrate(version)

    def _migrate(self, version: int) -> None:
        # Schema 1 is the first; future versions upgrade step by step from `version` here.
        if version != SCHEMA_VERSION:
            raise IncompatibleStateError(f"{self.path}: unknown state schema {version}")

    # -- rows -----------------------------------------------------------------------------

    def get(self, tbl: str, scope: str, key: str) -> bytes | None:
        row = self._conn.execute(_GET, (tbl, scope, key)).fetchone()
        return None if row is None else row[0]

    def put(self, tbl: str, scope: str, key: str, value: bytes) -> None:
        self._conn.execute(_PUT, (tbl, scope, key, value))

    def delete(self, tbl: str, scope: str, key: str) -> bool:
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

    # -- transactions ---------------------------------------------------------------------

    def begin(self) -> None:
        # IMMEDIATE takes the write lock now, so a transaction never fails halfway with
        # SQLITE_BUSY when it first writes (matters once another process reads the file).
        self._conn.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self._conn.execute("COMMIT")

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

    def replace_from(self, path: Path, check_value: Callable[[bytes], object]) -> None:
        """Replace every row with those of the snapshot at `path`, atomically. Raises
        ValueError, leaving the current rows untouched, if it is not Overcast state this
        version can read or `check_value` raises for any of its values."""
        try:
            self._conn.execute("ATTACH DATABASE ? AS incoming", (str(path),))
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"its state database cannot be opened: {exc}") from exc
        try:
            try:
                self._check_incoming(check_value)
            except sqlite3.DatabaseError as exc:
                raise ValueError(f"its state database is damaged or not SQLite: {exc}") from exc
            self.begin()
            try:
                self._conn.execute("DELETE FROM main.items")
                self._conn.execute(
                    "INSERT INTO main.items (tbl, scope, key, value) SELECT tbl, scope, key, value FROM incoming.items"
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

    def _check_incoming(self, check_value: Callable[[bytes], object]) -> None:
        app_id = self._conn.execute("PRAGMA incoming.application_id").fetchone()[0]
        version = self._conn.execute("PRAGMA incoming.user_version").fetchone()[0]
        if app_id != APPLICATION_ID:
            raise ValueError("its state database is not Overcast state")
        if version != SCHEMA_VERSION:
            raise ValueError(
                f"it holds state schema {version}; this version of Overcast reads {SCHEMA_VERSION}"
            )
        # Every row is read once now, so a crafted or damaged export fails here, with the
        # current state intact, instead of at some later get().
        rows = self._conn.execute("SELECT tbl, scope, key, value FROM incoming.items")
        for tbl, scope, key, value in rows:
            if not (type(tbl) is str and type(scope) is str and type(key) is str and type(value) is bytes):
                raise ValueError(f"its row {tbl!r} {scope!r} {key!r} has columns of the wrong types")
            try:
                check_value(value)
            except Exception as exc:
                raise ValueError(
                    f"the value of its row {tbl!r} {scope!r} {key!r} is unreadable: {exc}"
                ) from exc

    def close(self) -> None:
        conn = getattr(self, "_conn", None)
        if conn is not None:
            conn.close()
