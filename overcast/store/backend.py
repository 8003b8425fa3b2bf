"""What the Store needs from a database, so a server database can stand in for SQLite.

A backend stores opaque value bytes under (table, scope, key) and answers range reads in key
order (Unicode codepoint order). It does no locking and starts no transaction of its own:
the Store serialises calls and drives begin/commit/savepoints.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

__all__ = ["Backend", "IncompatibleStateError", "StoreError"]


class StoreError(Exception):
    """The store cannot do what was asked (data dir in use, store misuse)."""


class IncompatibleStateError(StoreError):
    """Existing state that this version of Overcast cannot use: not Overcast's, damaged, or
    written by a newer version."""


class Backend(Protocol):
    def get(self, tbl: str, scope: str, key: str) -> bytes | None: ...

    def put(self, tbl: str, scope: str, key: str, value: bytes) -> None: ...

    def put_unless_holding(self, tbl: str, scope: str, key: str, value: bytes, marker: bytes) -> bool: ...

    def delete(self, tbl: str, scope: str, key: str) -> bool: ...

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
        """Rows with low <(=) key < high (no upper bound if None), in key order, descending
        if reverse, at most limit of them."""
        ...

    def count(self, tbl: str, scope: str, low: str, high: str | None) -> int: ...

    def next_scope(self, tbl: str, after: str) -> str | None:
        """The least scope of tbl greater than after, by an index seek."""
        ...

    def next_table(self, after: str) -> str | None:
        """The first table after `after` (in order) that holds rows, or None."""
        ...

    def clear(self) -> None:
        """Delete every row (the tables' recorded layouts stay)."""
        ...

    def layouts(self) -> dict[str, tuple[int, tuple[str, str] | None]]:
        """Every table's recorded row layout, and the (scope, key) a migration step under way
        has converted up to (overcast/store/layouts.py)."""
        ...

    def set_layout(self, tbl: str, layout: int, resume: tuple[str, str] | None) -> None: ...

    #: Whether a failed statement changes nothing and leaves the transaction open.
    atomic_statements: bool

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open (the database may end one itself on an I/O error)."""
        ...

    def begin(self) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def savepoint(self, name: str) -> None: ...

    def release(self, name: str) -> None: ...

    def rollback_to(self, name: str) -> None:
        """Undo the writes since savepoint `name` and drop the savepoint."""
        ...

    def snapshot_to(self, path: Path) -> None:
        """A consistent copy of all rows as a standalone SQLite file (the export format,
        whatever the backend)."""
        ...

    def replace_from(
        self,
        path: Path,
        check_value: Callable[[bytes], object],
        check_layouts: Callable[[dict[str, int]], object],
    ) -> None:
        """Atomically replace all rows and recorded layouts with a snapshot's; ValueError, rows
        untouched, if the snapshot is not Overcast state this version reads or check_value
        raises for one of its values or check_layouts for its {table: layout}."""
        ...

    def close(self) -> None: ...
