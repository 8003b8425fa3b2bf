"""Overcast's state store: every provider keeps all its state here.

    store = Store.open(data_dir)            # durable; Store.open(None) is ephemeral
    queues = store.table("sqs", "queues")
    queues.put(scope(account, region), name, {"url": url, "created": now})

State is key-value tables of JSON-like values (plus bytes, tz-aware datetimes, Decimals),
partitioned by scope (account/region, or account for global services) and read back in key
order by index-backed scans. Every write is committed when the call returns, except inside
a group commit block (Store.grouped), whose writes a hot request handler awaits before it
answers: the blocks of one turn of the event loop then share one commit. This module knows
nothing of SQL: the database sits behind the Backend interface (backend.py).

State formats move forward (layouts.py):

* Every table records the layout of its rows. A service declares, per table, its current
  layout and a migration step from each older layout it still upgrades; its readers know only
  the current layout.
* An upgrade migrates old rows once, when the service loads (at start for a service that has
  state), before it serves a request: in batches, each committed with how far it got, so a
  kill during a migration leaves a data dir the next start finishes. A long one logs its
  progress every 10,000 rows.
* The data dir records its format (sqlite.SCHEMA_VERSION), bumped whenever a table or a layout
  changes; an older Overcast refuses a newer data dir (or export) at open, naming the version
  that wrote it, and never rewrites it.
* Each release keeps the steps from the previous release's layouts, and a fixture of the
  previous release's data dir (tests/fixtures/) that its tests upgrade and read back.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import re
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from overcast import __version__
from overcast.faults import path_problem
from overcast.store import archive, layouts, private
from overcast.store.backend import Backend, IncompatibleStateError, StoreError
from overcast.store.codec import decode, encode
from overcast.store.layouts import LayoutState, Step, TableLayout
from overcast.store.recent import RecentRows
from overcast.store.space import Room

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; one process per data dir is on the user.
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "IncompatibleStateError",
    "Step",
    "Store",
    "StoreError",
    "Table",
    "TableLayout",
    "in_event_loop",
    "scope",
]

DATABASE_FILE = "state.sqlite"
LOCK_FILE = "overcast.lock"
FILES_DIR = archive.FILES_NAME
# Scratch directories live inside the data dir (same filesystem: renames are atomic and
# export can hard-link files); a crash may leave them behind, so open() removes them.
_SCRATCH_PREFIXES = (".export-", ".import-", ".trash-")

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")

# Scans read pages under the lock and yield between them. The first page is small so that
# "the first few keys" stays cheap; later pages grow so long scans make few round trips.
_FIRST_PAGE = 64
_MAX_PAGE = 1024


def scope(account: str, region: str | None = None) -> str:
    """The scope of a regional resource ("000000000000/us-east-1"), or of a global
    service's resource (IAM: "000000000000") when region is None."""
    if not account or "/" in account:
        raise ValueError(f"invalid account for a scope: {account!r}")
    if region is None:
        return account
    if not region or "/" in region:
        raise ValueError(f"invalid region for a scope: {region!r}")
    return f"{account}/{region}"


def in_event_loop() -> bool:
    """Whether this thread runs an event loop, so a handler may use Store.grouped()."""
    return asyncio._get_running_loop() is not None


class Table:
    """One named key-value table of a service. Keys are str, ordered by codepoint."""

    __slots__ = ("_store", "name")

    def __init__(self, store: Store, name: str) -> None:
        self._store = store
        self.name = name

    def get(self, scope: str, key: str, default: Any = None) -> Any:
        _check_key(scope, key)
        store = self._store
        where = (self.name, scope, key)
        with store._lock:
            if store._depth:
                store._check_transaction_owner()
            elif store._group is not None:
                store._end_group()
            data = store._recent.get(where)
            if data is None:
                data = store._backend.get(self.name, scope, key)
                # Only committed values are kept: inside a transaction a row may be its own.
                if data is not None and not store._depth:
                    store._recent.keep(where, data)
        return default if data is None else decode(data)

    def put(self, scope: str, key: str, value: Any) -> None:
        _check_key(scope, key)
        data = encode(value)
        store = self._store
        with store._lock:
            if store._depth:
                store._check_transaction_owner()
            elif store._group is not None:
                store._end_group()
            room = store._room
            if room.full:
                room.check_growth()
            where = (self.name, scope, key)
            recent = store._recent
            if store._depth:
                recent.forget(where)  # the transaction may yet roll back: read it from the database
            try:
                store._backend.put(self.name, scope, key, data)
            except Exception as exc:
                recent.forget(where)
                room.noticed(exc)
                raise
            if not store._depth:
                recent.replace(where, data)  # committed when put returns

    def put_unless_holding(self, scope: str, key: str, value: Any, marker: bytes) -> bool:
        """Put, unless the key's stored value holds `marker` in its encoded bytes (a put that
        would first need to read what it replaces). True if written; False if the key keeps
        its value, and the caller reads it and puts as usual. The test is on bytes: a value
        may hold the marker by chance, which costs only that fallback."""
        _check_key(scope, key)
        data = encode(value)
        store = self._store
        with store._lock:
            if store._depth:
                store._check_transaction_owner()
            elif store._group is not None:
                store._end_group()
            room = store._room
            if room.full:
                room.check_growth()
            store._recent.forget((self.name, scope, key))
            try:
                return store._backend.put_unless_holding(self.name, scope, key, data, marker)
            except Exception as exc:
                room.noticed(exc)
                raise

    def delete(self, scope: str, key: str) -> bool:
        """Remove a key; True if it was there."""
        _check_key(scope, key)
        store = self._store
        with store._lock:
            if store._depth:
                store._check_transaction_owner()
            elif store._group is not None:
                store._end_group()
            store._recent.forget((self.name, scope, key))
            try:
                return store._backend.delete(self.name, scope, key)
            except Exception as exc:
                store._room.noticed(exc)
                raise

    def scan(
        self,
        scope: str,
        prefix: str = "",
        start_after: str | None = None,
        end_before: str | None = None,
        limit: int | None = None,
        reverse: bool = False,
    ) -> Iterator[tuple[str, Any]]:
        """(key, value) pairs of keys starting with prefix, after start_after and before
        end_before (both exclusive), in key order (descending if reverse), at most limit.
        The bounds mean the same in both directions: to continue a reverse scan, pass the
        last key seen as end_before.

        The iterator reads in pages and holds no lock between them, so it sees writes made
        while it is consumed past the current page, like a paginated AWS listing does."""
        _check_key(scope, prefix)
        for bound in (start_after, end_before):
            if bound is not None and type(bound) is not str:
                raise TypeError(f"scan bounds are str keys, not {type(bound).__name__}")
        if limit is not None and limit < 0:
            raise ValueError("limit must not be negative")
        low, low_inclusive = prefix, True
        if start_after is not None and start_after >= prefix:
            low, low_inclusive = start_after, False
        high = _prefix_end(prefix) if prefix else None
        if end_before is not None and (high is None or end_before < high):
            high = end_before
        return self._scan(scope, low, low_inclusive, high, limit, reverse)

    def _scan(
        self, scope: str, low: str, low_inclusive: bool, high: str | None, limit: int | None, reverse: bool
    ) -> Iterator[tuple[str, Any]]:
        store = self._store
        remaining = limit
        # A caller that says how many rows it wants gets them in one read (up to a page).
        page = _FIRST_PAGE if limit is None else min(max(limit, _FIRST_PAGE), _MAX_PAGE)
        while remaining is None or remaining > 0:
            size = page if remaining is None else min(page, remaining)
            with store._lock:
                if store._depth:
                    store._check_transaction_owner()
                elif store._group is not None:
                    store._end_group()
                rows = store._backend.scan(self.name, scope, low, low_inclusive, high, reverse, size)
            for key, data in rows:
                yield key, decode(data)
            if len(rows) < size:
                return
            if remaining is not None:
                remaining -= size
            if reverse:
                high = rows[-1][0]
            else:
                low, low_inclusive = rows[-1][0], False
            page = min(page * 4, _MAX_PAGE)

    def count(self, scope: str, prefix: str = "") -> int:
        _check_key(scope, prefix)
        store = self._store
        with store._lock:
            if store._depth:
                store._check_transaction_owner()
            elif store._group is not None:
                store._end_group()
            return store._backend.count(self.name, scope, prefix, _prefix_end(prefix) if prefix else None)

    def scopes(self) -> list[str]:
        """The scopes that hold rows of this table, in order."""
        store = self._store
        found: list[str] = []
        with store._lock:
            if store._depth:
                store._check_transaction_owner()
            elif store._group is not None:
                store._end_group()
            after = ""
            while (following := store._backend.next_scope(self.name, after)) is not None:
                found.append(following)
                after = following
        return found

    def __repr__(self) -> str:
        return f"<Table {self.name}>"


class Store:
    """All of Overcast's state: tables of rows in a database, and per-service file trees.

    Thread-safe: one lock serialises access to the backend. A transaction holds that lock
    from start to end, so no other thread's write can land inside it."""

    def __init__(self, backend: Backend, root: Path | None, lock_fd: int | None) -> None:
        self._backend = backend
        # Durable: the data dir. Ephemeral: a temp dir made the first time files are needed.
        self._root = root
        self._ephemeral = root is None
        self._lock_fd = lock_fd
        self._lock = threading.RLock()
        #: The data dir's reserve of disk space, and whether the disk is full (space.py).
        self._room = Room(root)
        # Nesting depth of the open transaction. One counter suffices for all threads: the
        # transaction holds the RLock throughout, so only its own thread can see depth > 0.
        self._depth = 0
        #: The open group commit (grouped()): its writes are in an open database transaction
        #: that the end of the loop's turn, or the next use of the store outside a block, commits.
        self._group: _Group | None = None
        # Marks the context (thread or asyncio task) that opened the transaction. An asyncio
        # task on the same thread gets the RLock re-entrantly; without this mark its writes
        # would silently join another task's transaction if that one awaited inside it.
        self._owns_transaction: contextvars.ContextVar[bool] = contextvars.ContextVar(
            f"overcast_store_transaction_{id(self)}", default=False
        )
        self._tables: dict[tuple[str, str], Table] = {}
        #: Committed rows read lately, encoded (recent.py); only rows the Store writes change.
        self._recent = RecentRows()
        #: Each table's recorded layout (read once here; layouts.py keeps it in step).
        self._layouts: dict[str, LayoutState] = {}
        self._load_layouts()
        #: The layouts each service declared when it was upgraded, so an import upgrades the
        #: state it brings before a loaded service reads it.
        self._declared: dict[str, tuple[TableLayout, ...]] = {}
        self._file_services: set[str] = set()
        self._reset_hooks: list[Callable[[], None]] = []
        self._after_commit: list[Callable[[], None]] = []
        self._closed = False
        #: The PostgreSQL database holding the rows, or None for SQLite.
        self.state_url: str | None = None

    @classmethod
    def open(cls, data_dir: str | os.PathLike[str] | None, state_url: str | None = None) -> Store:
        """Open (creating if needed) the durable state in data_dir, or, for None, an
        ephemeral store that keeps everything in memory and a temp dir removed on close.
        With a postgresql:// `state_url`, the rows live in that database (which other
        processes may share) and data_dir holds only the files.

        Raises StoreError if another process uses the data dir, IncompatibleStateError if
        its state is not Overcast's or is from a newer version."""
        from overcast.store.sqlite import SqliteBackend

        if state_url is not None:
            from overcast.store.postgres import PostgresBackend

            if data_dir is None:
                raise StoreError(
                    "state in PostgreSQL needs a data dir for the files beside its rows (S3 bodies):"
                    " leave out --ephemeral"
                )
            root = Path(data_dir).resolve()
            try:
                private.private_dir(root)
            except OSError as exc:
                raise StoreError(path_problem("data dir", root, exc)) from None
            store = cls(PostgresBackend(state_url), root, None)
            store.state_url = state_url
            return store
        if data_dir is None:
            return cls(SqliteBackend(None), None, None)
        root = Path(data_dir).resolve()
        try:
            private.private_dir(root)
            lock_fd = _lock_data_dir(root)
        except OSError as exc:
            raise StoreError(path_problem("data dir", root, exc)) from None
        try:
            for prefix in _SCRATCH_PREFIXES:
                for leftover in root.glob(f"{prefix}*"):
                    shutil.rmtree(leftover, ignore_errors=True)
            _remove_scratch_files(root / FILES_DIR)
            private.private_file(root / DATABASE_FILE)
            backend = SqliteBackend(root / DATABASE_FILE)
        except BaseException:
            _unlock_data_dir(lock_fd)
            raise
        return cls(backend, root, lock_fd)

    @property
    def data_dir(self) -> Path | None:
        """The durable data dir, or None for an ephemeral store."""
        return None if self._ephemeral else self._root

    def table(self, service: str, name: str) -> Table:
        table = self._tables.get((service, name))
        if table is None:
            _check_name("service", service)
            _check_name("table", name)
            table = self._tables.setdefault((service, name), Table(self, f"{service}/{name}"))
        return table

    def upgrade(self, service: str, declared: tuple[TableLayout, ...] = ()) -> None:
        """Migrate `service`'s tables to the layouts it declares (layouts.py). Call it before
        the service reads its state. Raises IncompatibleStateError for a table this version
        cannot read."""
        _check_name("service", service)
        with self._lock:
            self._end_group()
        self._declared[service] = tuple(declared)
        try:
            layouts.upgrade(self, service, declared)
        finally:
            self._recent.clear()  # a migration rewrites rows beneath the tables

    def services_with_state(self) -> set[str]:
        """The services that have rows in any table (one index seek per table)."""
        found: set[str] = set()
        with self._lock:
            self._end_group()
            after = ""
            while (following := self._backend.next_table(after)) is not None:
                found.add(following.partition("/")[0])
                after = following
        return found

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes in the block commit together when it ends, or none do if it raises.

        Nested blocks join the outer transaction; an exception leaving an inner block undoes
        that block's writes (a savepoint), and leaving the outer one undoes everything. Do
        not await inside: the transaction holds the store's lock until it ends."""
        with self._lock:
            if self._depth:
                self._check_transaction_owner()
            elif self._group is not None:
                self._end_group()
            depth = self._depth
            savepoint = f"overcast_{depth}"
            token = None
            # after_commit callbacks registered inside this block; undone with its writes.
            hooks_mark = len(self._after_commit)
            if depth == 0:
                self._backend.begin()
                token = self._owns_transaction.set(True)
            else:
                self._backend.savepoint(savepoint)
            self._depth = depth + 1
            try:
                yield
                if depth == 0:
                    self._backend.commit()
                else:
                    self._backend.release(savepoint)
            except BaseException as exc:
                self._room.noticed(exc)
                if depth == 0:
                    self._backend.rollback()
                else:
                    self._backend.rollback_to(savepoint)
                del self._after_commit[hooks_mark:]
                raise
            finally:
                self._depth = depth
                if token is not None:
                    self._owns_transaction.reset(token)
            if depth == 0 and self._after_commit:
                committed, self._after_commit = self._after_commit, []
                for callback in committed:
                    callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call `callback()` once the writes made so far are committed: at once outside a
        transaction; inside one, when the outermost block commits, and never if the writes
        are undone. It runs under the store's lock: it must be quick (schedule work) and must
        not raise."""
        with self._lock:
            if self._depth and self._owns_transaction.get():
                self._after_commit.append(callback)
                return
        callback()

    def can_group(self) -> bool:
        """Whether a handler here may open a grouped() block: on the event loop's thread and
        outside any transaction (a delivery made inside one writes the ordinary way)."""
        return self._depth == 0 and in_event_loop()

    def grouped(self, single: bool = False) -> _GroupBlock:
        """A block of writes committed together with those of other requests' blocks that run
        in the same turn of the event loop (group commit), for a handler that then awaits the
        commit before it answers:

            with store.grouped() as committed:
                table.put(scope, key, value)
            await committed          # raises if the commit failed: nothing was written

        One commit (one WAL append, one round of locks) then serves every request the loop
        handled in that turn, instead of one per request. What is acknowledged is still
        committed: each request answers only once the commit that holds its writes returned,
        and a kill -9 before that loses only writes nobody was told about.

        Use it only on the event loop's thread, outside any transaction, and do not await
        inside the block. The block is atomic (a savepoint): if it raises, its writes are
        undone and the others' stay. Reads inside the block see the group's earlier writes,
        which is safe because the reader's answer waits for the same commit. Any other use of
        the store, from this thread or another, first commits the open group, so nothing
        outside a block ever sees an uncommitted write, and a write made outside a block is
        committed when its call returns, as always. after_commit callbacks registered in the
        block run once the group commits.

        `single`: the block makes one write, its last act (so it raises only from that write,
        which then wrote nothing); on SQLite it then needs no savepoint of its own."""
        return _GroupBlock(self, single)

    def _end_group(self) -> None:
        """Commit the open group (with the lock held, outside any block): its waiters learn
        the outcome, its after_commit callbacks run if it committed."""
        group = self._group
        if group is None or self._depth:  # none open, or a block of it is still under way
            return
        self._group = None
        try:
            self._backend.commit()
        except BaseException as exc:
            self._room.noticed(exc)
            self._backend.rollback()
            group.settle(exc)
            return
        group.settle(None)
        for callback in group.hooks:
            callback()

    def _commit_group_soon(self, group: _Group) -> None:
        """The loop's turn is over: commit the group if no one did already."""
        with self._lock:
            if self._group is not group:
                return
            if self._depth:  # never expected: a block spans no await. Try again next turn.
                group.loop.call_soon(self._commit_group_soon, group)
                return
            self._end_group()

    def _check_transaction_owner(self) -> None:
        # Called with the lock held and a transaction open, hence opened on this thread.
        if not self._owns_transaction.get():
            raise StoreError(
                "a store transaction opened by another asyncio task is still open on this thread;"
                " a transaction must not span an await"
            )

    def files_dir(self, service: str) -> Path:
        """The directory where `service` keeps large bodies as files (S3 objects).

        Write a file under a temporary name and rename it into place, never rewrite one in
        place: a crash then cannot leave a torn body under a live name, and export (which
        hard-links files) sees each body whole. Write the file before the row that points
        at it and delete it after that row, so rows never point at missing files. Names
        starting with "." are scratch (uploads in progress): export leaves them out, and a
        scratch file directly in this directory that a process killed mid-write left behind is
        removed when the data dir is next opened (the data dir's lock says no one writes it)."""
        _check_name("service", service)
        with self._lock:
            path = self._work_root() / FILES_DIR / service
            path.mkdir(mode=private.DIR_MODE, parents=True, exist_ok=True)
            self._file_services.add(service)
        return path

    def noticed(self, error: BaseException) -> None:
        """A write outside the store (a file body) failed: if the disk is full, the store
        releases its reserve so deletes can run, and refuses growth until there is room."""
        self._room.noticed(error)

    def on_reset(self, callback: Callable[[], None]) -> None:
        """Call `callback` after reset() and import_from() replaced the state, so a provider
        can drop whatever it caches in memory. It runs under the store's lock: it must not
        wait for other threads that use the store."""
        self._reset_hooks.append(callback)

    def reset(self) -> None:
        """Drop all state: every row of every table and every file."""
        with self._lock:
            self._require_no_transaction("reset")
            self._end_group()
            self._recent.clear()
            self._backend.clear()
            self._replace_files(None)
            self._room.room_again(now=True)
            self._run_reset_hooks()

    def export_to(self, path: str | os.PathLike[str]) -> None:
        """Write the whole state, rows and files, to one tar.gz file at `path`."""
        target = Path(path)
        with self._lock:
            self._require_no_transaction("export")
            self._end_group()
            staging = Path(tempfile.mkdtemp(prefix=_SCRATCH_PREFIXES[0], dir=self._work_root()))
        try:
            # Rows and files are captured together under the lock; files are hard-linked,
            # which is quick, so the lock is not held while the archive is compressed.
            with self._lock:
                self._backend.snapshot_to(staging / archive.DATABASE_NAME)
                files = self._work_root() / FILES_DIR
                if files.is_dir():
                    shutil.copytree(
                        files,
                        staging / archive.FILES_NAME,
                        copy_function=_link_or_copy,
                        ignore=_scratch_names,
                    )
            manifest = {"overcast": __version__, "created": datetime.now(UTC).isoformat()}
            archive.pack(staging, target, manifest)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def import_from(self, path: str | os.PathLike[str]) -> None:
        """Replace the whole state with that of an export file. Raises ValueError, and
        changes nothing, if the file is not an Overcast export this version can read."""
        source = Path(path)
        with self._lock:
            self._require_no_transaction("import")
            staging = Path(tempfile.mkdtemp(prefix=_SCRATCH_PREFIXES[1], dir=self._work_root()))
        try:
            archive.unpack(source, staging)
            incoming_files = staging / archive.FILES_NAME
            incoming_files.mkdir(exist_ok=True)
            with self._lock:
                self._require_no_transaction("import")
                self._end_group()
                try:
                    self._backend.replace_from(staging / archive.DATABASE_NAME, decode, self._check_layouts)
                except ValueError as exc:
                    raise ValueError(f"{source} is not a usable Overcast export: {exc}") from exc
                finally:
                    self._recent.clear()
                self._replace_files(incoming_files)
                self._room.room_again(now=True)
                self._load_layouts()
                # Under the lock, so no request reads the imported rows before they are upgraded.
                for service, declared in self._declared.items():
                    layouts.upgrade(self, service, declared)
                self._run_reset_hooks()
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def close(self) -> None:
        """Close the store; an ephemeral store's files are removed. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._require_no_transaction("close")
            self._end_group()
            self._closed = True
            self._backend.close()
            _unlock_data_dir(self._lock_fd)
            self._lock_fd = None
            if self._ephemeral and self._root is not None:
                shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- helpers --------------------------------------------------------------------------

    def _work_root(self) -> Path:
        if self._root is None:
            self._root = Path(tempfile.mkdtemp(prefix="overcast-ephemeral-"))
        return self._root

    def _load_layouts(self) -> None:
        with self._lock:
            self._end_group()
            self._layouts = {
                name: LayoutState(layout, resume)
                for name, (layout, resume) in self._backend.layouts().items()
            }

    def _check_layouts(self, incoming: dict[str, int]) -> None:
        """Refuse an export holding a table of a loaded service at a layout newer than this
        version reads (the others are checked when their service loads)."""
        for name, layout in incoming.items():
            service, _, table = name.partition("/")
            declared = self._declared.get(service)
            if declared is None:
                continue
            current = next((t.current for t in declared if t.name == table), layouts.DEFAULT_LAYOUT)
            if layout > current:
                raise ValueError(
                    f"its table {name} holds rows of layout {layout}, written by a newer Overcast;"
                    f" this version reads layout {current}. Upgrade Overcast to import it."
                )

    def _require_no_transaction(self, action: str) -> None:
        if self._depth:
            raise StoreError(f"cannot {action} the store inside a transaction")

    def _replace_files(self, incoming: Path | None) -> None:
        """Swap the files tree for `incoming` (None: an empty one). The old tree is renamed
        away first, so no reader ever sees a mix of old and new files."""
        if self._root is None and incoming is None:
            return
        root = self._work_root()
        files = root / FILES_DIR
        trash = root / f"{_SCRATCH_PREFIXES[2]}{uuid.uuid4().hex}"
        if files.exists():
            os.replace(files, trash)
        if incoming is not None:
            os.replace(incoming, files)
        for service in self._file_services:
            (files / service).mkdir(parents=True, exist_ok=True)
        shutil.rmtree(trash, ignore_errors=True)

    def _run_reset_hooks(self) -> None:
        # Every hook runs even if one fails: a hook left out would keep serving stale state.
        errors: list[BaseException] = []
        for hook in list(self._reset_hooks):
            try:
                hook()
            except Exception as exc:
                errors.append(exc)
        if errors:
            raise errors[0]


class _Group:
    """A group commit under way: the requests waiting for it, and the after_commit callbacks
    of its blocks."""

    __slots__ = ("hooks", "loop", "thread", "waiters")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.thread = threading.get_ident()
        self.waiters: list[asyncio.Future[None]] = []
        self.hooks: list[Callable[[], None]] = []

    def settle(self, error: BaseException | None) -> None:
        """Tell every waiter the commit's outcome (from whichever thread committed it)."""
        try:
            if threading.get_ident() == self.thread:
                _settle(self.waiters, error)
            else:
                self.loop.call_soon_threadsafe(_settle, self.waiters, error)
        except RuntimeError:  # the loop is closed: no one is left waiting
            pass


def _settle(waiters: list[asyncio.Future[None]], error: BaseException | None) -> None:
    for waiter in waiters:
        if waiter.done():  # the request was cancelled (its client went away)
            continue
        if error is None:
            waiter.set_result(None)
        else:
            waiter.set_exception(error)


class _GroupBlock:
    """One request's block of a group commit (Store.grouped)."""

    __slots__ = ("_hooks_mark", "_savepoint", "_store", "_token")

    def __init__(self, store: Store, single: bool) -> None:
        self._store = store
        # A block of one statement needs no savepoint where a failed statement changes
        # nothing and leaves the transaction open (SQLite; in PostgreSQL it ends it).
        self._savepoint = not (single and store._backend.atomic_statements)

    def __enter__(self) -> asyncio.Future[None]:
        store = self._store
        loop = asyncio.get_running_loop()
        store._lock.acquire()
        try:
            if store._depth:
                raise StoreError("a group commit block cannot open inside a transaction")
            group = store._group
            if group is not None and group.loop is not loop:
                store._end_group()  # opened by another loop (never in a server: one loop)
                group = None
            if group is None:
                store._backend.begin()
                group = store._group = _Group(loop)
                loop.call_soon(store._commit_group_soon, group)
            if self._savepoint:
                store._backend.savepoint("overcast_group")
        except BaseException:
            store._lock.release()
            raise
        waiter = loop.create_future()
        group.waiters.append(waiter)
        self._token = store._owns_transaction.set(True)
        self._hooks_mark = len(store._after_commit)
        store._depth = 1
        return waiter

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: object) -> None:
        store = self._store
        hooks = store._after_commit
        try:
            group = store._group
            assert group is not None
            if kind is None:
                try:
                    if self._savepoint:
                        store._backend.release("overcast_group")
                except BaseException as exc:
                    self._undo(group, exc)
                    raise
                group.hooks.extend(hooks[self._hooks_mark :])
            else:
                self._undo(group, error)
        finally:
            del hooks[self._hooks_mark :]
            store._depth = 0
            store._owns_transaction.reset(self._token)
            store._lock.release()

    def _undo(self, group: _Group, error: BaseException | None) -> None:
        """Undo the block's writes, and only its own while the database keeps the group's."""
        store = self._store
        if error is not None:
            store._room.noticed(error)
        try:
            if self._savepoint:
                store._backend.rollback_to("overcast_group")
            elif not store._backend.in_transaction:
                raise StoreError("the database ended the transaction")
            return
        except BaseException as exc:
            # The database ended the transaction itself (an I/O error, a full disk): the
            # whole group is undone, and each of its requests answers an error.
            failure = error if error is not None else exc
        store._group = None
        store._backend.rollback()
        group.settle(failure)


def _check_key(scope: str, key: str) -> None:
    # SQLite would store an int key as text, so a later get(5) and get("5") would disagree.
    if type(key) is not str:
        raise TypeError(f"store keys are str, not {type(key).__name__}")
    if type(scope) is not str or not scope:
        raise TypeError(f"a scope is a non-empty str from scope(), not {scope!r}")


def _check_name(kind: str, name: str) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"invalid {kind} name {name!r}: use letters, digits, '_', '.', '-'")


def _prefix_end(prefix: str) -> str | None:
    """The least string above every string that starts with `prefix` (None if there is
    none), so a prefix scan is the index range [prefix, end)."""
    for i in range(len(prefix) - 1, -1, -1):
        code = ord(prefix[i])
        if code < 0x10FFFF:
            # Surrogates cannot occur in a stored (UTF-8) key, so skip over them.
            following = 0xE000 if code + 1 == 0xD800 else code + 1
            return prefix[:i] + chr(following)
    return None


def _remove_scratch_files(files: Path) -> None:
    """Remove the scratch files (names starting with ".") directly in each service's files
    directory: writes in flight when a process died. Dot-named folders are a service's caches,
    rebuilt on use, and stay."""
    try:
        services = [entry for entry in os.scandir(files) if entry.is_dir(follow_symlinks=False)]
    except FileNotFoundError:
        return
    for service in services:
        with os.scandir(service.path) as entries:
            for entry in entries:
                if entry.name.startswith(".") and entry.is_file(follow_symlinks=False):
                    try:
                        os.unlink(entry.path)
                    except FileNotFoundError:
                        pass


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _scratch_names(directory: str, names: list[str]) -> list[str]:
    return [name for name in names if name.startswith(".")]


def _lock_data_dir(root: Path) -> int | None:
    """Hold an advisory lock on the data dir: two processes writing one SQLite file and one
    files tree would each cache state the other changes."""
    if fcntl is None:
        return None
    fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, private.FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise StoreError(f"data dir {root} is in use by another Overcast process (pid {holder})") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _unlock_data_dir(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)
