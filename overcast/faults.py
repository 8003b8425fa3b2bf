"""Failures of the machine rather than of a request: a full disk, a folder Overcast cannot use.

Said in words a user acts on, never as raw errno text ("[Errno 20] Not a directory"), and told
apart from bugs so that a full disk answers an AWS-shaped error instead of a traceback."""

from __future__ import annotations

import errno
import logging
import sqlite3

from overcast.errors import ServiceError

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
        if isinstance(error, OSError) and error.errno in _NO_SPACE:  # StorageFull too
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


class StorageFull(OSError):
    """The store refuses a write that would grow the state while the disk is full (deletes
    still run, on the space the store keeps in reserve)."""

    def __init__(self) -> None:
        super().__init__(errno.ENOSPC, DISK_FULL_MESSAGE)


#: Each service's own error for a failure on AWS's side (its modelled internal error, else
#: the common `InternalFailure`), which a full disk is answered with.
_INTERNAL_ERRORS = {
    "s3": "InternalError",
    "dynamodb": "InternalServerError",
    "dynamodbstreams": "InternalServerError",
    "iam": "ServiceFailure",
    "kms": "KMSInternalException",
    "lambda": "ServiceException",
    "logs": "ServiceUnavailableException",
    "secretsmanager": "InternalServiceError",
    "sns": "InternalError",
    "ssm": "InternalServerError",
}


def storage_full_error(service: str) -> ServiceError:
    """The AWS-shaped answer to a request that found the disk full."""
    return ServiceError(
        _INTERNAL_ERRORS.get(service, "InternalFailure"), DISK_FULL_MESSAGE, 500, sender_fault=False
    )


class Condition:
    """A lasting fault of one background task (a flush that finds the disk full), logged once
    when it begins and once when it ends, not with a traceback on every cycle."""

    def __init__(self, logger: logging.Logger, what: str) -> None:
        self._log = logger
        self._what = what
        self.active = False

    def failed(self, error: BaseException) -> None:
        """Log `error`: a full disk once while it lasts; anything else (a bug) in full."""
        if not is_disk_full(error):
            self._log.error("%s failed", self._what, exc_info=error)
            return
        if not self.active:
            self.active = True
            self._log.warning("%s cannot write: the disk is full; retrying until there is room", self._what)

    def succeeded(self) -> None:
        if self.active:
            self.active = False
            self._log.warning("%s writes again: the disk has room", self._what)
