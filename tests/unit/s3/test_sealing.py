"""Sealed object bodies: chunked AES-GCM segments read back in any range, one chunk at a time,
and refused when a byte on disk changes."""

from __future__ import annotations

import io
import os
import random

import pytest

from overcast.errors import ServiceError
from overcast.services.s3.sealing import (
    CHUNK,
    SealedReader,
    SealingWriter,
    derive,
    seal_bytes,
    seal_record,
    sealed_size,
    segments_of,
)

KEY = os.urandom(32)


def _sealed_file(tmp_path, parts: list[bytes]) -> tuple[str, dict]:
    """A file holding `parts` as consecutive segments, and the record describing it."""
    path = tmp_path / "body"
    segments = []
    with open(path, "wb") as out:
        for part in parts:
            writer = SealingWriter(out, KEY)
            for start in range(0, len(part), 10_000):  # pieces that straddle chunk boundaries
                writer.write(part[start : start + 10_000])
            segments.append(writer.finish())
    return str(path), seal_record(segments)


def test_every_range_reads_back_its_plaintext(tmp_path):
    parts = [os.urandom(3 * CHUNK + 123), os.urandom(CHUNK), os.urandom(7)]
    whole = b"".join(parts)
    path, record = _sealed_file(tmp_path, parts)
    assert os.path.getsize(path) == sum(sealed_size(len(part)) for part in parts)
    segments = segments_of(record, KEY)
    spans = [(0, len(whole)), (CHUNK - 1, 2), (3 * CHUNK + 120, 10), (len(whole) - 1, 1)]
    rng = random.Random(7)
    spans += [(first, rng.randint(1, len(whole) - first)) for first in rng.sample(range(len(whole)), 20)]
    for first, length in spans:
        reader = SealedReader(path, segments, first, length)
        pieces = []
        while piece := reader.read(50_000):
            pieces.append(piece)
        got = b"".join(pieces)
        reader.close()
        assert got == whole[first : first + length], (first, length)


def test_inline_bytes_seal_and_open():
    data = b"inline body" * 100
    sealed, segment = seal_bytes(KEY, data)
    assert data not in sealed and len(sealed) == sealed_size(len(data))
    record = seal_record([segment])
    assert SealedReader(sealed, segments_of(record, KEY), 5, 30).read() == data[5:35]


def test_a_changed_byte_or_another_key_is_refused(tmp_path):
    path, record = _sealed_file(tmp_path, [os.urandom(2 * CHUNK)])
    with open(path, "r+b") as handle:
        handle.seek(CHUNK + 40)  # inside the second chunk
        byte = handle.read(1)
        handle.seek(CHUNK + 40)
        handle.write(bytes([byte[0] ^ 1]))
    segments = segments_of(record, KEY)
    assert len(SealedReader(path, segments, 0, CHUNK).read()) == CHUNK  # the first chunk is intact
    with pytest.raises(ServiceError):
        SealedReader(path, segments, CHUNK, 10).read()
    with pytest.raises(ServiceError):
        SealedReader(path, segments_of(record, os.urandom(32)), 0, 10).read()


def test_writer_output_matches_declared_sizes():
    out = io.BytesIO()
    writer = SealingWriter(out, KEY)
    writer.write(b"x" * (CHUNK * 2))
    segment = writer.finish()
    assert segment.size == 2 * CHUNK and len(out.getvalue()) == sealed_size(2 * CHUNK)


def test_segment_keys_are_hkdf_sha256():
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    salt = os.urandom(16)
    expected = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"overcast s3 object body").derive(
        KEY
    )
    assert derive(KEY, salt) == expected
