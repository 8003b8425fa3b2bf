"""The export file: one tar.gz holding a manifest, the state database and the files tree.

    overcast-export.json   {"format": "overcast-state", "version": 1, ...}  (first member)
    state.sqlite           a standalone snapshot of the state database
    files/<service>/...    the per-service file trees (S3 object bodies)

Everything in it is data (JSON, SQLite, CBOR values, plain files), so importing one runs no
code; extraction refuses links, devices and paths that leave the target directory.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import zlib
from itertools import islice
from pathlib import Path
from typing import Any

__all__ = ["DATABASE_NAME", "FILES_NAME", "MANIFEST_NAME", "pack", "unpack"]

MANIFEST_NAME = "overcast-export.json"
DATABASE_NAME = "state.sqlite"
FILES_NAME = "files"
FORMAT = "overcast-state"
FORMAT_VERSION = 1


def pack(staging: Path, target: Path, manifest: dict[str, Any]) -> None:
    """Write `staging` (holding DATABASE_NAME and FILES_NAME) to `target`. The archive is
    written beside it and renamed into place, so a failed export never leaves half a file
    under the target's name."""
    partial = target.with_name(f".{target.name}.partial")
    body = json.dumps({"format": FORMAT, "version": FORMAT_VERSION, **manifest}, indent=2).encode()
    try:
        # Owner-only whatever the umask: an export holds every secret of the state.
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        os.chmod(partial, 0o600)
        # Level 6: close to 9's size on state data at a fraction of the time on large bodies.
        # dereference: bodies that share an inode (S3 copies are hard links) go in as files of
        # their own, not as hard-link members.
        with tarfile.open(partial, "w:gz", compresslevel=6, dereference=True) as tar:
            info = tarfile.TarInfo(MANIFEST_NAME)
            info.size = len(body)
            info.mtime = int(os.path.getmtime(staging / DATABASE_NAME))
            tar.addfile(info, io.BytesIO(body))
            tar.add(staging / DATABASE_NAME, DATABASE_NAME)
            if (staging / FILES_NAME).is_dir():
                tar.add(staging / FILES_NAME, FILES_NAME)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def unpack(source: Path, staging: Path) -> dict[str, Any]:
    """Extract an export into `staging` and return its manifest. Raises ValueError naming
    the problem if `source` is not an Overcast export this version can read."""
    if not source.is_file():
        raise FileNotFoundError(f"no export file at {source}")
    try:
        with tarfile.open(source, "r:gz") as tar:
            manifest = _read_manifest(source, tar)
            # Iterating a TarFile starts over with the members already read: skip the manifest.
            for member in islice(tar, 1, None):
                _check_member(source, member)
                tar.extract(member, staging, filter="data")
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise ValueError(
            f"{source} is not an Overcast export (not a readable tar.gz archive: {exc})"
        ) from exc
    except OSError as exc:
        # gzip.BadGzipFile and friends; a genuine I/O failure reads the same to the user.
        raise ValueError(
            f"{source} is not an Overcast export (cannot read it as a tar.gz archive: {exc})"
        ) from exc
    if not (staging / DATABASE_NAME).is_file():
        raise ValueError(f"{source} is not a complete Overcast export: it has no {DATABASE_NAME}")
    return manifest


def _read_manifest(source: Path, tar: tarfile.TarFile) -> dict[str, Any]:
    first = tar.next()
    if first is None or first.name != MANIFEST_NAME or not first.isfile():
        raise ValueError(f"{source} is not an Overcast export: it does not start with {MANIFEST_NAME}")
    reader = tar.extractfile(first)
    assert reader is not None  # a regular file member always has a reader
    try:
        manifest = json.loads(reader.read(1 << 20))
    except ValueError as exc:
        raise ValueError(f"{source} is not an Overcast export: its manifest is not JSON") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"{source} is not an Overcast export: its manifest names no {FORMAT!r} format")
    version = manifest.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"{source} is an Overcast export of format version {version!r}; this version of Overcast reads"
            f" up to {FORMAT_VERSION}. Upgrade Overcast to import it."
        )
    return manifest


def _check_member(source: Path, member: tarfile.TarInfo) -> None:
    name = member.name
    top = name.split("/", 1)[0]
    if member.name == MANIFEST_NAME:
        raise ValueError(f"{source} is not a valid Overcast export: it holds two manifests")
    if name == DATABASE_NAME and member.isfile():
        return
    if top == FILES_NAME and (member.isfile() or member.isdir()):
        return
    if top == FILES_NAME and member.islnk() and member.linkname.split("/", 1)[0] == FILES_NAME:
        return  # a hard link between bodies (exports before 2026-12 wrote these)
    raise ValueError(f"{source} is not a valid Overcast export: unexpected member {name!r}")
