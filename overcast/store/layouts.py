"""Row layouts: each table records the layout its rows are in, and a service declares, per
table, its current layout and the steps that bring older rows to it.

    LAYOUTS = (TableLayout("objects", current=3, steps=(Step(0, 3, to_layout_3),)),)

Before a service serves its first request (at start for a service with state), the runtime
calls `Store.upgrade(service, LAYOUTS)`: each table found at an older layout is migrated, step
by step, in batches of rows, each batch in one transaction that also records how far the step
got, so a kill mid-way resumes where it stopped and converts no row twice. A table recorded at
its current layout costs one dict lookup, so a start with nothing to migrate stays fast.

A table of the service that no declaration names is at layout 1 and has no steps. A table with
no record (state written before layouts were recorded) is taken to be at the oldest layout its
declaration knows (the lowest `source` of its steps), which a step from there must read in
whatever forms that era wrote.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from overcast.store.backend import Backend, IncompatibleStateError
from overcast.store.codec import decode, encode

if TYPE_CHECKING:
    from overcast.store import Store

__all__ = ["BATCH_ROWS", "PROGRESS_ROWS", "LayoutState", "Step", "TableLayout", "upgrade"]

log = logging.getLogger(__name__)

#: Rows converted per transaction: large enough that commits are few, small enough that the
#: store's lock (which requests to other services wait on) is never held for long.
BATCH_ROWS = 500
#: A migration logs its progress every this many rows.
PROGRESS_ROWS = 10_000

#: The layout of a table that no declaration names.
DEFAULT_LAYOUT = 1

#: convert(store, scope, key, value) -> the row's value in the step's target layout. Returning
#: `value` itself (the same object) leaves the row as it is. The row keeps its key; a step may
#: write rows of *other* tables through `store` (they commit with the batch), never other rows
#: of its own table, which the step is walking in key order.
Convert = Callable[["Store", str, str, Any], Any]


class LayoutState(NamedTuple):
    """What the store records of a table: its rows' layout, and while a step to the next one
    is under way, the (scope, key) of the last row it converted."""

    layout: int
    resume: tuple[str, str] | None


@dataclass(frozen=True)
class Step:
    """A migration of every row of a table from layout `source` to layout `target`."""

    source: int
    target: int
    convert: Convert


@dataclass(frozen=True)
class TableLayout:
    """A table of a service (`name` without the service), its current layout, and the steps
    from each older layout it can still upgrade."""

    name: str
    current: int
    steps: tuple[Step, ...] = ()

    @property
    def oldest(self) -> int:
        """The layout assumed for rows written before layouts were recorded."""
        return min((step.source for step in self.steps), default=self.current)

    def step_from(self, layout: int) -> Step | None:
        for step in self.steps:
            if step.source == layout:
                return step
        return None


def upgrade(store: Store, service: str, declared: Iterable[TableLayout]) -> None:
    """Bring every table of `service` to its current layout (see the module's docstring).
    Raises IncompatibleStateError for a table at a layout this version cannot read: newer
    than its current one (written by a newer Overcast), or older with no step from it."""
    wanted = {f"{service}/{table.name}": table for table in declared}
    backend = store._backend
    with store._lock:
        names = set(wanted) | set(_tables_of(backend, service))
    unrecorded: dict[str, int] = {}
    for name in sorted(names):
        table = wanted.get(name) or TableLayout(name.partition("/")[2], DEFAULT_LAYOUT)
        state = store._layouts.get(name)
        if state is None:
            with store._lock:
                has_rows = backend.next_scope(name, "") is not None
            layout = table.oldest if has_rows else table.current
            if layout == table.current:
                unrecorded[name] = layout
                continue
        else:
            layout = state.layout
        if layout > table.current:
            raise IncompatibleStateError(
                f"{name} holds rows of layout {layout}, written by a newer Overcast; this version"
                f" reads layout {table.current}. Upgrade Overcast or use another data dir."
            )
        while layout < table.current:
            step = table.step_from(layout)
            if step is None:
                raise IncompatibleStateError(
                    f"{name} holds rows of layout {layout}, which this version of Overcast no longer"
                    f" upgrades (it reads layout {table.current}). Start the release before it once"
                    " on this data dir to upgrade it, then this one."
                )
            _run(store, name, step)
            layout = step.target
    if unrecorded:
        with store.transaction():
            for name, layout in unrecorded.items():
                backend.set_layout(name, layout, None)
        store._layouts.update((name, LayoutState(layout, None)) for name, layout in unrecorded.items())


def _tables_of(backend: Backend, service: str) -> Iterator[str]:
    """The tables of `service` that hold rows: one index seek each."""
    prefix = f"{service}/"
    after = prefix
    while (found := backend.next_table(after)) is not None and found.startswith(prefix):
        yield found
        after = found


def _scopes(backend: Backend, name: str, after: str) -> Iterator[str]:
    while (after_scope := backend.next_scope(name, after)) is not None:
        yield after_scope
        after = after_scope


def _count(backend: Backend, name: str) -> int:
    return sum(backend.count(name, scope, "", None) for scope in _scopes(backend, name, ""))


def _rows_after(
    backend: Backend, name: str, position: tuple[str, str] | None, limit: int
) -> list[tuple[str, str, bytes]]:
    """Up to `limit` rows (scope, key, value) of table `name` after `position` (a scope and a
    key), in scope and then key order."""
    found: list[tuple[str, str, bytes]] = []
    if position is None:
        scope: str | None = backend.next_scope(name, "")
        low, inclusive = "", True
    else:
        scope, (low, inclusive) = position[0], (position[1], False)
    while scope is not None and len(found) < limit:
        wanted = limit - len(found)
        page = backend.scan(name, scope, low, inclusive, None, False, wanted)
        found.extend((scope, key, value) for key, value in page)
        if len(page) == wanted:
            break
        scope = backend.next_scope(name, scope)
        low, inclusive = "", True
    return found


def _run(store: Store, name: str, step: Step) -> None:
    """Run one step over every row of table `name`, resuming where an interrupted run stopped."""
    started = time.monotonic()
    backend = store._backend
    with store._lock:
        total = _count(backend, name)
    state = store._layouts.get(name)
    position = state.resume if state is not None and state.layout == step.source else None
    if position is None:
        log.info("migrating %s from layout %d to %d (%d rows)", name, step.source, step.target, total)
    else:
        log.info("resuming the migration of %s from layout %d to %d", name, step.source, step.target)
    done = 0
    while True:
        with store.transaction():
            rows = _rows_after(backend, name, position, BATCH_ROWS)
            for scope, key, data in rows:
                value = decode(data)
                converted = step.convert(store, scope, key, value)
                if converted is not value:
                    backend.put(name, scope, key, encode(converted))
            state = (
                LayoutState(step.source, (rows[-1][0], rows[-1][1]))
                if rows
                else LayoutState(step.target, None)
            )
            backend.set_layout(name, state.layout, state.resume)
        # Only once the batch committed: a failed batch leaves the cache as the database is.
        store._layouts[name] = state
        if not rows:
            break
        position = state.resume
        before, done = done, done + len(rows)
        if before // PROGRESS_ROWS != done // PROGRESS_ROWS:
            log.info("migrating %s: %d of %d rows", name, done, total)
    log.info(
        "migrated %s to layout %d: %d rows in %.1f s", name, step.target, done, time.monotonic() - started
    )
