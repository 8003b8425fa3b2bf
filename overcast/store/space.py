"""Room on disk for a data dir: what lets a full disk be emptied again.

A delete writes too (SQLite logs the pages it changes), so on a disk with no byte left
nothing, not even a delete, could free space. The data dir therefore keeps a reserve file of
RESERVE_BYTES. When a write finds the disk full, the reserve is released and the store is
`full`: writes that would grow the state are refused at once (StorageFull), while deletes,
the requests that free space (DeleteObject, DeleteTable, ...; see `freeing`) and a reset run
on the released room. Once the disk has room for the reserve again, it is taken back and
writes are accepted again.
"""

from __future__ import annotations

import contextvars
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from overcast.faults import StorageFull, is_disk_full

log = logging.getLogger(__name__)

RESERVE_FILE = "space.reserve"
RESERVE_BYTES = 512 << 10
#: Room beyond the reserve the disk must have before writes are accepted again, so that the
#: first write after does not fill it at once.
HEADROOM_BYTES = 256 << 10
#: How often a full store looks whether room came back (a statvfs call).
_RECHECK_SECONDS = 0.5

#: Set while a request that frees space runs: its writes may use the released reserve.
_freeing: contextvars.ContextVar[bool] = contextvars.ContextVar("overcast_freeing", default=False)


@contextmanager
def freeing() -> Iterator[None]:
    """Within this block, writes are those of a request that frees space (a delete): they are
    let through while the disk is full."""
    token = _freeing.set(True)
    try:
        yield
    finally:
        _freeing.reset(token)


class Room:
    """The reserve of one data dir (None: an ephemeral store, which keeps none)."""

    def __init__(self, root: Path | None) -> None:
        self._path = None if root is None else root / RESERVE_FILE
        self._lock = threading.Lock()
        self.full = False
        self._checked = 0.0
        if self._path is not None and not self._take_reserve():
            self.full = True
            log.warning("the disk holding %s is full: only deletes are accepted until there is room", root)

    def check_growth(self) -> None:
        """Raise StorageFull if the disk is full and this is no freeing request."""
        if self.full and not _freeing.get() and not self.room_again():
            raise StorageFull()

    def noticed(self, error: BaseException) -> None:
        """A write failed: if for want of space, release the reserve so deletes can run."""
        if self._path is None or not is_disk_full(error):
            return
        with self._lock:
            if self.full:
                return
            self.full = True
            self._checked = time.monotonic()
            self._path.unlink(missing_ok=True)
        log.warning(
            "the disk holding %s is full: writes answer an error saying so; deletes still run",
            self._path.parent,
        )

    def room_again(self, now: bool = False) -> bool:
        """Whether the disk has room again (then the reserve is taken back). Looked at no more
        than every _RECHECK_SECONDS unless `now`."""
        if not self.full:
            return True
        with self._lock:
            if not self.full:
                return True
            moment = time.monotonic()
            if not now and moment - self._checked < _RECHECK_SECONDS:
                return False
            self._checked = moment
            if not self._take_reserve():
                return False
            self.full = False
        log.warning(
            "the disk holding %s has room again: writes are accepted", self._path.parent if self._path else ""
        )
        return True

    def _take_reserve(self) -> bool:
        """Make sure the reserve file holds RESERVE_BYTES (with headroom beyond it, so a write
        right after does not fail at once); False if the disk has no room for that."""
        path = self._path
        if path is None:
            return True
        try:
            stats = os.statvfs(path.parent)
            have = path.stat().st_size if path.exists() else 0
            if stats.f_bavail * stats.f_frsize < (RESERVE_BYTES - have) + HEADROOM_BYTES:
                return False
            if have < RESERVE_BYTES:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
                try:
                    os.posix_fallocate(fd, 0, RESERVE_BYTES)
                finally:
                    os.close(fd)
        except OSError as exc:
            if is_disk_full(exc):
                path.unlink(missing_ok=True)
                return False
            raise
        return True
