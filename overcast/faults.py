"""Failures of the machine rather than of a request: a full disk, a folder Overcast cannot use.

Said in words a user acts on, never as raw errno text ("[Errno 20] Not a directory"), and told
apart from bugs so that a full disk answers an AWS-shaped error instead of a traceback."""

from __future__ import annotations

import errno
import sqlite3

#: errno values that mean the file system has no room left (for everyone, or for this user).
_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})
#: SQLite's result code for "database or disk is full".
_SQLITE_FULL = 13

DISK_FULL_MESSAGE = (
    "Overcast's storage is full: the disk holding its data dir has no space left."
    " Free space (deleting resources works) and try again."
)

#: What an errno means for a folder or file Overcast was told to use, in words.
_IN_WORDS = {
    errno.ENOENT: "it does not exist, or a folder above it does not",
    errno.ENOTDIR: "a part of that path is a file, not a folder",
    errno.EEXIST: "it is a file, not a folder",
    errno.EISDIR: "it is a folder, not a file",
    errno.EACCES: "permission denied (Overcast's user may not write there)",
    errno.EPERM: "the operation is not permitted there",
    errno.EROFS: "it is on a read-only file system",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.ENAMETOOLONG: "the name is too long",
    errno.ELOOP: "it is a loop of symbolic links",
}


def is_disk_full(error: BaseException | None) -> bool:
    """Whether `error` (or what caused it) is the disk having no room left."""
    seen = 0
    while error is not None and seen < 8:
        if isinstance(error, OSError) and error.errno in _NO_SPACE:
            return True
        if isinstance(error, sqlite3.Error):
            code = getattr(error, "sqlite_errorcode", None)
            if code is not None and code & 0xFF == _SQLITE_FULL:
                return True
            if "database or disk is full" in str(error):
                return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def in_words(error: OSError) -> str:
    """Why an operation on a path failed, without errno numbers."""
    words = _IN_WORDS.get(error.errno or 0)
    if words is None:
        words = (error.strerror or str(error)).strip() or type(error).__name__
        words = words[0].lower() + words[1:]
    return words


def path_problem(what: str, path: object, error: OSError) -> str:
    """One line: `what` at `path` cannot be used, and why (e.g. "cannot use data dir /x: it is a
    file, not a folder")."""
    return f"cannot use {what} {path}: {in_words(error)}"
