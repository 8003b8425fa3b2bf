"""Owner-only files: the data dir holds every secret of the state (IAM secret keys, KMS key
material, S3 bodies), so it and what is in it are readable by the user Overcast runs as only,
whatever the umask. A data dir left wider by an earlier version is tightened at start."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600
#: The mask a server process works under, so that what it creates is owner-only too (S3
#: bodies, Lambda's unpacked code, exports), without a mode at every call.
UMASK = 0o077


def private_dir(path: Path) -> None:
    """Create `path` (and its parents) if needed and make it owner-only, saying so once when
    it was wider."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & ~DIR_MODE:
        os.chmod(path, DIR_MODE)
        log.info("data dir %s was readable by others (mode %04o): now %04o", path, mode, DIR_MODE)


def private_file(path: Path) -> None:
    """Create `path` empty if it is missing, and make it owner-only. SQLite gives the WAL and
    shared-memory files it creates the database file's own mode; existing ones are tightened."""
    fd = os.open(path, os.O_RDONLY | os.O_CREAT, FILE_MODE)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) & ~FILE_MODE:
            os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        try:
            if stat.S_IMODE(companion.stat().st_mode) & ~FILE_MODE:
                os.chmod(companion, FILE_MODE)
        except FileNotFoundError:
            pass
