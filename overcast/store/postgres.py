"""The PostgreSQL backend: the same rows as SQLite's, in a PostgreSQL database several Overcast
processes can share (`overcast start --state postgresql://user:password@host:port/database`).

Rows live in `overcast_items`. Keys are stored as their UTF-8 bytes (surrogates passed
through), so PostgreSQL's byte order is the code point order the Store promises and any key a
service makes — NUL characters included, which PostgreSQL text refuses — round-trips. Scopes and
table names are plain text in the "C" collation.

A transaction takes a transaction-scoped advisory lock first, so writers across every process
on the database take turns as SQLite's BEGIN IMMEDIATE makes them do within one. Statements
outside a transaction commit on their own, as with SQLite.

The driver is pg8000 (pure Python), imported only when this backend is used.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from overcast import __version__
from overcast.store.backend import IncompatibleStateError, StoreError
from overcast.store.sqlite import SCHEMA_VERSION, check_snapshot, create_snapshot, snapshot_layouts

__all__ = ["PostgresBackend"]

#: The advisory lock every writing transaction holds ("OVCT"), and the one that guards setup.
_WRITE_LOCK = 0x4F564354
_SETUP_LOCK = 0x4F564355
_SCHEMA = (
    'CREATE TABLE IF NOT EXISTS overcast_items (tbl TEXT COLLATE "C" NOT NULL, scope TEXT COLLATE "C" NOT NULL,'
    " key BYTEA NOT NULL, value BYTEA NOT NULL, PRIMARY KEY (tbl, scope, key))",
    'CREATE TABLE IF NOT EXISTS overcast_layouts (tbl TEXT COLLATE "C" PRIMARY KEY, layout INTEGER NOT NULL,'
    " resume_scope TEXT, resume_key TEXT)",
    "CREATE TABLE IF NOT EXISTS overcast_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
)
_PUT = (
    "INSERT INTO overcast_items (tbl, scope, key, value) VALUES (:t, :s, :k, :v)"
    " ON CONFLICT (tbl, scope, key) DO UPDATE SET value = EXCLUDED.value"
)


def _key(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _text(raw: bytes) -> str:
    return bytes(raw).decode("utf-8", "surrogatepass")


def connect(url: str) -> Any:
    """A pg8000 connection to a postgresql:// URL (StoreError naming the URL's host if none)."""
    try:
        import pg8000.native
    except ImportError:  # pragma: no cover - a runtime dependency
        raise StoreError(
            "the PostgreSQL state backend needs the pg8000 package (pip install pg8000)"
        ) from None
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.path.strip("/"):
        raise StoreError(f"--state {_redacted(url)}: expected postgresql://user:password@host:port/database")
    try:
        return pg8000.native.Connection(
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password) if parts.password else None,
            host=parts.hostname or "localhost",
            port=parts.port or 5432,
            database=unquote(parts.path.strip("/")),
            application_name="overcast",
        )
    except Exception as error:  # the driver's own errors: refused, auth, no such database
        raise StoreError(f"cannot use the PostgreSQL state at {_redacted(url)}: {error}") from None


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


class PostgresBackend:
    #: A failed statement aborts the whole transaction: every block needs a savepoint.
    atomic_statements = False

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn = connect(url)
        self._in_transaction = False
        try:
            self._prepare()
        except BaseException:
            self.close()
            raise

    def _run(self, sql: str, **params: Any) -> list[list[Any]]:
        return self._conn.run(sql, **params) or []

    def _prepare(self) -> None:
        """Create the tables once (processes starting together take turns), and refuse state
        a newer Overcast wrote."""
        self._run("SELECT pg_advisory_lock(:k)", k=_SETUP_LOCK)
        try:
            for statement in _SCHEMA:
                self._run(statement)
            found = self._run("SELECT value FROM overcast_meta WHERE name = 'format'")
            version = int(found[0][0]) if found else None
            if version is not None and version > SCHEMA_VERSION:
                writer = self._run("SELECT value FROM overcast_meta WHERE name = 'written_by'")
                raise IncompatibleStateError(
                    f"the PostgreSQL state at {_redacted(self.url)} was written by a newer Overcast"
                    f"{f' ({writer[0][0]})' if writer else ''} (format {version}); this Overcast ({__version__})"
                    f" reads formats up to {SCHEMA_VERSION}."
                )
            for name, value in (("format", str(SCHEMA_VERSION)), ("written_by", __version__)):
                self._run(
                    "INSERT INTO overcast_meta (name, value) VALUES (:n, :v)"
                    " ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
                    n=name,
                    v=value,
                )
        finally:
            self._run("SELECT pg_advisory_unlock(:k)", k=_SETUP_LOCK)

    # -- layouts --------------------------------------------------------------------------

    def layouts(self) -> dict[str, tuple[int, tuple[str, str] | None]]:
        rows = self._run("SELECT tbl, layout, resume_scope, resume_key FROM overcast_layouts")
        return {tbl: (layout, None if scope is None else (scope, key)) for tbl, layout, scope, key in rows}

    def set_layout(self, tbl: str, layout: int, resume: tuple[str, str] | None) -> None:
        scope, key = resume if resume is not None else (None, None)
        self._run(
            "INSERT INTO overcast_layouts (tbl, layout, resume_scope, resume_key) VALUES (:t, :l, :s, :k)"
            " ON CONFLICT (tbl) DO UPDATE SET layout = EXCLUDED.layout, resume_scope = EXCLUDED.resume_scope,"
            " resume_key = EXCLUDED.resume_key",
            t=tbl,
            l=layout,
            s=scope,
            k=key,
        )

    # -- rows -----------------------------------------------------------------------------

    def get(self, tbl: str, scope: str, key: str) -> bytes | None:
        rows = self._run(
            "SELECT value FROM overcast_items WHERE tbl = :t AND scope = :s AND key = :k",
            t=tbl,
            s=scope,
            k=_key(key),
        )
        return bytes(rows[0][0]) if rows else None

    def put(self, tbl: str, scope: str, key: str, value: bytes) -> None:
        self._run(_PUT, t=tbl, s=scope, k=_key(key), v=value)

    def put_unless_holding(self, tbl: str, scope: str, key: str, value: bytes, marker: bytes) -> bool:
        self._run(
            _PUT + " WHERE position(:m IN overcast_items.value) = 0",
            t=tbl,
            s=scope,
            k=_key(key),
            v=value,
            m=marker,
        )
        return bool(self._conn.row_count and self._conn.row_count > 0)

    def delete(self, tbl: str, scope: str, key: str) -> bool:
        self._run(
            "DELETE FROM overcast_items WHERE tbl = :t AND scope = :s AND key = :k",
            t=tbl,
            s=scope,
            k=_key(key),
        )
        return bool(self._conn.row_count and self._conn.row_count > 0)

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
        sql = ["SELECT key, value FROM overcast_items WHERE tbl = :t AND scope = :s AND key ",
               ">= :low" if low_inclusive else "> :low"]  # fmt: skip
        params: dict[str, Any] = {"t": tbl, "s": scope, "low": _key(low), "n": limit}
        if high is not None:
            sql.append(" AND key < :high")
            params["high"] = _key(high)
        sql.append(" ORDER BY key DESC LIMIT :n" if reverse else " ORDER BY key LIMIT :n")
        return [(_text(key), bytes(value)) for key, value in self._run("".join(sql), **params)]

    def count(self, tbl: str, scope: str, low: str, high: str | None) -> int:
        sql = "SELECT count(*) FROM overcast_items WHERE tbl = :t AND scope = :s AND key >= :low"
        params: dict[str, Any] = {"t": tbl, "s": scope, "low": _key(low)}
        if high is not None:
            sql += " AND key < :high"
            params["high"] = _key(high)
        return int(self._run(sql, **params)[0][0])

    def next_scope(self, tbl: str, after: str) -> str | None:
        rows = self._run(
            "SELECT scope FROM overcast_items WHERE tbl = :t AND scope > :a ORDER BY scope LIMIT 1",
            t=tbl,
            a=after,
        )
        return rows[0][0] if rows else None

    def next_table(self, after: str) -> str | None:
        rows = self._run("SELECT tbl FROM overcast_items WHERE tbl > :a ORDER BY tbl LIMIT 1", a=after)
        return rows[0][0] if rows else None

    def clear(self) -> None:
        self._run("DELETE FROM overcast_items")

    # -- transactions ---------------------------------------------------------------------

    def begin(self) -> None:
        self._run("BEGIN")
        self._in_transaction = True
        self._run("SELECT pg_advisory_xact_lock(:k)", k=_WRITE_LOCK)

    def commit(self) -> None:
        self._run("COMMIT")
        self._in_transaction = False

    @property
    def in_transaction(self) -> bool:
        return self._in_transaction

    def rollback(self) -> None:
        if self._in_transaction:
            self._run("ROLLBACK")
            self._in_transaction = False

    def savepoint(self, name: str) -> None:
        self._run(f"SAVEPOINT {name}")

    def release(self, name: str) -> None:
        self._run(f"RELEASE SAVEPOINT {name}")

    def rollback_to(self, name: str) -> None:
        self._run(f"ROLLBACK TO SAVEPOINT {name}")
        self._run(f"RELEASE SAVEPOINT {name}")

    # -- whole state ----------------------------------------------------------------------

    def snapshot_to(self, path: Path) -> None:
        """Every row and layout, read in one snapshot, written as the export's SQLite file."""
        self._run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            rows = self._run("SELECT tbl, scope, key, value FROM overcast_items")
            layouts = self._run("SELECT tbl, layout, resume_scope, resume_key FROM overcast_layouts")
        finally:
            self._run("COMMIT")
        target = create_snapshot(path)
        try:
            with target:
                target.executemany(
                    "INSERT INTO items (tbl, scope, key, value) VALUES (?, ?, ?, ?)",
                    ((tbl, scope, _text(key), bytes(value)) for tbl, scope, key, value in rows),
                )
                target.executemany(
                    "INSERT INTO layouts (tbl, layout, resume_scope, resume_key) VALUES (?, ?, ?, ?)", layouts
                )
        finally:
            target.close()

    def replace_from(
        self,
        path: Path,
        check_value: Callable[[bytes], object],
        check_layouts: Callable[[dict[str, int]], object],
    ) -> None:
        try:
            source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"its state database cannot be opened: {exc}") from exc
        try:
            try:
                version = check_snapshot(source, "main", check_value)
                layouts = snapshot_layouts(source, "main") if version >= 2 else {}
                rows = source.execute("SELECT tbl, scope, key, value FROM items").fetchall()
                layout_rows = (
                    source.execute("SELECT tbl, layout, resume_scope, resume_key FROM layouts").fetchall()
                    if version >= 2
                    else []
                )
            except sqlite3.DatabaseError as exc:
                raise ValueError(f"its state database is damaged or not SQLite: {exc}") from exc
        finally:
            source.close()
        check_layouts(layouts)
        self.begin()
        try:
            self._run("DELETE FROM overcast_items")
            for tbl, scope, key, value in rows:
                self._run(_PUT, t=tbl, s=scope, k=_key(key), v=value)
            self._run("DELETE FROM overcast_layouts")
            for tbl, layout, scope, key in layout_rows:
                self.set_layout(tbl, layout, None if scope is None else (scope, key))
            self.commit()
        except BaseException:
            self.rollback()
            raise

    def close(self) -> None:
        conn = getattr(self, "_conn", None)
        if conn is not None:
            try:
                conn.close()
            except Exception:  # the server went away: nothing left to close
                pass
            self._conn = None
