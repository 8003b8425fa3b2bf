"""Blob storage: image layers, configs and manifests' blobs, content-addressed files under the
data dir (`files/ecr/blobs/sha256/<2>/<hex>`), written by streaming uploads.

A blob's file is shared by every repository that holds it (a mount or a second push of the
same layer costs no copy); which repositories hold which blobs is the `layers` table's, in the
provider. An upload in progress is a scratch file (`.upload-<id>`, left out of exports and
removed at the next open if a crash leaves it), hashed as it arrives so that completing it
costs no second read; its hash state lives in memory, and is rebuilt from the file after a
restart."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

DIGEST = re.compile(r"sha256:[a-f0-9]{64}")
_READ = 1 << 20


class DigestMismatch(ValueError):
    """The bytes received do not hash to the digest the client named."""


class Blobs:
    def __init__(self, root: Path) -> None:
        self.root = root
        #: upload id → the running sha256 of what the upload has received (its file's bytes).
        self._hashes: dict[str, Any] = {}

    # -- stored blobs ----------------------------------------------------------------------------

    def path(self, digest: str) -> Path:
        hex_digest = digest.split(":", 1)[1]
        return self.root / "blobs" / "sha256" / hex_digest[:2] / hex_digest

    def exists(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def size(self, digest: str) -> int | None:
        try:
            return self.path(digest).stat().st_size
        except OSError:
            return None

    def open(self, digest: str):
        return open(self.path(digest), "rb")

    def read(self, digest: str) -> bytes:
        return self.path(digest).read_bytes()

    def put_bytes(self, data: bytes) -> str:
        """Store `data` (a manifest, a small blob); its digest."""
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if not target.is_file():
            scratch = self.root / f".blob-{os.urandom(8).hex()}"
            scratch.write_bytes(data)
            self._place(scratch, target)
        return digest

    def remove(self, digest: str) -> None:
        try:
            os.unlink(self.path(digest))
        except FileNotFoundError:
            pass

    @staticmethod
    def _place(scratch: Path, target: Path) -> None:
        try:
            os.replace(scratch, target)
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(scratch, target)

    # -- uploads ---------------------------------------------------------------------------------

    def upload_path(self, upload_id: str) -> Path:
        return self.root / f".upload-{upload_id}"

    def begin(self, upload_id: str) -> None:
        self.upload_path(upload_id).touch()
        self._hashes[upload_id] = hashlib.sha256()

    def received(self, upload_id: str) -> int:
        """How many bytes the upload holds (-1: no such upload)."""
        try:
            return self.upload_path(upload_id).stat().st_size
        except OSError:
            return -1

    def _hash(self, upload_id: str):
        running = self._hashes.get(upload_id)
        if running is None:  # after a restart: the hash of what the file holds so far
            running = hashlib.sha256()
            with open(self.upload_path(upload_id), "rb") as handle:
                while chunk := handle.read(_READ):
                    running.update(chunk)
            self._hashes[upload_id] = running
        return running

    def append(self, upload_id: str, data: bytes) -> int:
        """Add bytes to an upload; its new size."""
        running = self._hash(upload_id)
        with open(self.upload_path(upload_id), "ab") as handle:
            handle.write(data)
            running.update(data)
            return handle.tell()

    async def append_stream(self, upload_id: str, chunks: AsyncIterator[bytes]) -> int:
        """Add a request body, chunk by chunk as it arrives (never held whole); the new size."""
        running = self._hash(upload_id)
        with open(self.upload_path(upload_id), "ab", buffering=0) as handle:
            pending: list[bytes] = []
            held = 0
            async for chunk in chunks:
                running.update(chunk)
                pending.append(chunk)
                held += len(chunk)
                if held >= _READ:  # one write call a megabyte, not one a network read
                    handle.write(b"".join(pending))
                    pending.clear()
                    held = 0
            if pending:
                handle.write(b"".join(pending))
            return handle.tell()

    def complete(self, upload_id: str, digest: str) -> int:
        """Check the upload against `digest` and store it as that blob; its size. Raises
        DigestMismatch (the upload is kept: the client may still send the rest)."""
        actual = "sha256:" + self._hash(upload_id).hexdigest()
        if actual != digest:
            raise DigestMismatch(actual)
        scratch = self.upload_path(upload_id)
        size = scratch.stat().st_size
        target = self.path(digest)
        if target.is_file():
            scratch.unlink()
        else:
            self._place(scratch, target)
        self._hashes.pop(upload_id, None)
        return size

    def discard(self, upload_id: str) -> None:
        self._hashes.pop(upload_id, None)
        try:
            self.upload_path(upload_id).unlink()
        except FileNotFoundError:
            pass

    def forget(self) -> None:
        self._hashes.clear()


def read_range(handle, start: int, end: int) -> Iterator[bytes]:
    """Bytes start..end (inclusive) of an open file, in chunks; closes it."""
    try:
        handle.seek(start)
        left = end - start + 1
        while left > 0:
            chunk = handle.read(min(_READ, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk
    finally:
        handle.close()
