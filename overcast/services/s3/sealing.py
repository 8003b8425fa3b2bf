"""Object bodies encrypted at rest: an SSE-KMS object's body under its KMS data key, an SSE-C
object's under the customer's key.

A body is one or more segments (a multipart object has one per part, joined without being
re-encrypted). Each segment has a random salt, from which HKDF derives the segment's own
AES-256-GCM key, and is cut into fixed plaintext chunks of `CHUNK` bytes, each sealed on its
own with its index as the nonce and followed by its 16-byte tag. A range therefore decrypts
only the chunks it touches, a body is streamed in and out a chunk at a time, and a tampered,
truncated or reordered chunk fails its tag. Sizes, ETags and checksums stay those of the
plaintext, as S3 reports them.

The record keeps `BodySeal`: {"Salts": [...base64...], "Sizes": [plaintext size of each]}."""

from __future__ import annotations

import base64
import hmac
import os
from collections.abc import Iterator
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from overcast.errors import ServiceError

#: The record field naming a body's segments; its absence means the body is stored in clear.
SEAL_FIELD = "BodySeal"
#: Plaintext bytes per sealed chunk.
CHUNK = 64 * 1024
TAG = 16
_SALT = 16
_INFO = b"overcast s3 object body"


def sealed_size(size: int) -> int:
    """Bytes on disk of a segment of `size` plaintext bytes."""
    return size + TAG * -(-size // CHUNK)


def derive(key: bytes, salt: bytes) -> bytes:
    """HKDF-SHA256 (RFC 5869) of a 32-byte segment key, written out with the standard library's
    one-shot HMAC: the `cryptography` HKDF object costs more than the AES-GCM of a small body."""
    pseudorandom = hmac.digest(salt, key, "sha256")
    return hmac.digest(pseudorandom, _INFO + b"\x01", "sha256")


def _nonce(index: int) -> bytes:
    return index.to_bytes(12, "big")


class Segment:
    """One sealed segment: its cipher and plaintext size."""

    __slots__ = ("aead", "salt", "size")

    def __init__(self, key: bytes, salt: bytes, size: int = 0) -> None:
        self.salt = salt
        self.size = size
        self.aead = AESGCM(derive(key, salt))

    @classmethod
    def new(cls, key: bytes) -> Segment:
        return cls(key, os.urandom(_SALT))

    def seal(self, index: int, chunk: bytes | memoryview) -> bytes:
        return self.aead.encrypt(_nonce(index), chunk, None)

    def open(self, index: int, sealed: bytes) -> bytes:
        try:
            return self.aead.decrypt(_nonce(index), sealed, None)
        except InvalidTag:
            raise ServiceError(
                "InternalError", "We encountered an internal error. Please try again.", 500
            ) from None


def seal_record(segments: list[Segment]) -> dict[str, Any]:
    """The record field describing `segments`."""
    return {
        SEAL_FIELD: {
            "Salts": [base64.b64encode(segment.salt).decode() for segment in segments],
            "Sizes": [segment.size for segment in segments],
        }
    }


def segments_of(record: dict, key: bytes) -> list[Segment]:
    seal = record[SEAL_FIELD]
    return [
        Segment(key, base64.b64decode(salt), size)
        for salt, size in zip(seal["Salts"], seal["Sizes"], strict=True)
    ]


def seal_bytes(key: bytes, data: bytes) -> tuple[bytes, Segment]:
    """A whole body held in memory (an inline body, or one given as bytes), sealed."""
    segment = Segment.new(key)
    segment.size = len(data)
    out = bytearray()
    for index, start in enumerate(range(0, len(data), CHUNK)):
        out += segment.seal(index, data[start : start + CHUNK])
    return bytes(out), segment


class SealingWriter:
    """Writes plaintext given in any pieces to a file as one sealed segment."""

    def __init__(self, out, key: bytes) -> None:
        self._out = out
        self.segment = Segment.new(key)
        self._pending = bytearray()
        self._index = 0

    def write(self, data: bytes) -> None:
        self.segment.size += len(data)
        pending = self._pending
        pending += data
        if len(pending) < CHUNK:
            return
        whole = len(pending) - len(pending) % CHUNK
        view = memoryview(pending)
        for start in range(0, whole, CHUNK):
            self._out.write(self.segment.seal(self._index, view[start : start + CHUNK]))
            self._index += 1
        view.release()
        del pending[:whole]

    def finish(self) -> Segment:
        if self._pending:
            self._out.write(self.segment.seal(self._index, bytes(self._pending)))
            self._pending.clear()
        return self.segment


class SealedReader:
    """A file-like view of plaintext bytes [first, first+length) of a sealed body (a file, or
    the inline bytes), decrypting only the chunks the range covers, one at a time."""

    def __init__(self, source, segments: list[Segment], first: int, length: int) -> None:
        self._handle = open(source, "rb") if isinstance(source, str) else None
        self._data: bytes = b"" if isinstance(source, str) else source
        self._chunks = self._plaintext(segments, first, length)
        self._buffer = b""
        self._left = length

    def _read_at(self, offset: int, size: int) -> bytes:
        if self._handle is None:
            return bytes(self._data[offset : offset + size])
        self._handle.seek(offset)
        return self._handle.read(size)

    def _plaintext(self, segments: list[Segment], first: int, length: int) -> Iterator[bytes]:
        end = first + length
        base = 0  # plaintext offset of the segment
        disk = 0  # file offset of the segment
        for segment in segments:
            if base >= end:
                break
            if base + segment.size > first:
                start = max(first - base, 0)
                stop = min(end - base, segment.size)
                for index in range(start // CHUNK, -(-stop // CHUNK)):
                    chunk_start = index * CHUNK
                    plain_size = min(CHUNK, segment.size - chunk_start)
                    sealed = self._read_at(disk + index * (CHUNK + TAG), plain_size + TAG)
                    plain = segment.open(index, sealed)
                    yield plain[max(start - chunk_start, 0) : stop - chunk_start]
            base += segment.size
            disk += sealed_size(segment.size)

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        if size < 0 or size > self._left:
            size = self._left
        pieces = [self._buffer]
        have = len(self._buffer)
        while have < size:
            piece = next(self._chunks, None)
            if piece is None:
                break
            pieces.append(piece)
            have += len(piece)
        joined = b"".join(pieces)
        data, self._buffer = joined[:size], joined[size:]
        self._left -= len(data)
        if not data:
            self._left = 0
        return data

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()


def open_body(files, record: dict, key: bytes | None, first: int, length: int):
    """Plaintext bytes [first, first+length) of a version's (or a part's) body: bytes for an
    inline body, else a file-like reader the server streams."""
    from overcast.services.s3.bodies import RangeReader

    data = record.get("Data")
    if record.get(SEAL_FIELD) is None:
        if data is not None:
            return data[first : first + length]
        if record.get("File") and length > 0:
            return RangeReader(files.path(record["File"]), first, length)
        return b""
    if key is None:  # every caller resolves the key of a sealed body before reading it
        raise ServiceError("InternalError", "We encountered an internal error. Please try again.", 500)
    if length <= 0:
        return b""
    reader = SealedReader(
        data if data is not None else files.path(record["File"]), segments_of(record, key), first, length
    )
    if data is not None:
        return reader.read()
    return reader


def read_all(body) -> Iterator[bytes]:
    """The pieces of what `open_body` returned."""
    if isinstance(body, bytes | bytearray | memoryview):
        if body:
            yield bytes(body)
        return
    try:
        while chunk := body.read(1 << 20):
            yield chunk
    finally:
        body.close()
