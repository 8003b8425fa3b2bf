"""The encoded rows read most recently, kept in memory so a hot get skips the database.

A get of a row the database served a moment ago is most of what a read-heavy call costs
(SSM GetParameter, Secrets Manager GetSecretValue, a KMS key's record on every Encrypt): a
SQLite statement, a read transaction on the WAL and a B-tree descent, several times the cost
of decoding the row. Rows are kept encoded, as the database holds them, so every get still
decodes a value of its own that the caller may change freely.

Correctness rests on the Store, which calls this under its lock:

* Only committed values are kept: a get fills the cache only outside a transaction, and a
  write made inside a transaction forgets the row (the transaction may yet roll back), so a
  row written by an open transaction is never here and reads inside it go to the database.
* Every write of a row through the Store forgets or replaces it; whatever changes rows
  wholesale (reset, import, a layout migration) clears the cache.
* One process owns a data dir (its lock file), so no other writer can change a row behind it.

The cache is bounded by the bytes it holds; past the bound the rows kept longest go first.
"""

from __future__ import annotations

__all__ = ["MAX_ROW", "RecentRows"]

#: Rows larger than this are not kept (large values are rarely read at a rate where the
#: statement's cost matters, and would crowd out the small ones).
MAX_ROW = 16 << 10
#: What the cache holds at most, in encoded bytes.
DEFAULT_BUDGET = 16 << 20

Where = tuple[str, str, str]


class RecentRows:
    """(table, scope, key) → the row's encoded value, as committed."""

    __slots__ = ("_budget", "_held", "_rows")

    def __init__(self, budget: int = DEFAULT_BUDGET) -> None:
        self._rows: dict[Where, bytes] = {}
        self._held = 0
        self._budget = budget

    def get(self, where: Where) -> bytes | None:
        return self._rows.get(where)

    def keep(self, where: Where, data: bytes) -> None:
        """Remember the committed value of a row just read."""
        size = len(data)
        if size > MAX_ROW:
            return
        rows = self._rows
        old = rows.pop(where, None)
        if old is not None:
            self._held -= len(old)
        rows[where] = data
        self._held += size
        if self._held > self._budget:
            self._evict()

    def replace(self, where: Where, data: bytes) -> None:
        """A row was written and committed: a row kept takes the new value, another stays out
        (a write is no sign the row will be read)."""
        rows = self._rows
        old = rows.get(where)
        if old is None:
            return
        if len(data) > MAX_ROW:
            self.forget(where)
            return
        rows[where] = data
        self._held += len(data) - len(old)
        if self._held > self._budget:
            self._evict()

    def forget(self, where: Where) -> None:
        old = self._rows.pop(where, None)
        if old is not None:
            self._held -= len(old)

    def clear(self) -> None:
        self._rows.clear()
        self._held = 0

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def held(self) -> int:
        return self._held

    def _evict(self) -> None:
        # dicts keep insertion order: the first rows are those kept longest ago.
        rows = self._rows
        target = self._budget * 3 // 4  # evict in a batch, not one row per keep
        while self._held > target and rows:
            where = next(iter(rows))
            self._held -= len(rows.pop(where))
