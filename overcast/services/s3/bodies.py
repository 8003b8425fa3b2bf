"""Object bodies: taken in from a request (bytes, or a stream decoded from aws-chunked framing
on the fly), digested as they pass (MD5 for the ETag, the requested checksums, SHA-256 when the
client declared one), written to a file under a generated name, and read back in ranges.

Small bodies are kept inline in the object's row (one write instead of a file and a row);
everything else is a file named by a random id, never by the key, so no key can reach a path
outside the store's files directory."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import uuid
from pathlib import Path

from overcast.errors import ServiceError
from overcast.http import BodyStalled, BodyStream
from overcast.services.s3 import checksums
from overcast.services.s3.sealing import SealingWriter, Segment, seal_bytes, seal_record
from overcast.signing import chunk_header, content_sha256_mismatch, trailer_lines

#: Bodies up to this size live in the object's row rather than in a file of their own.
INLINE_LIMIT = 8 * 1024
#: S3's limit for one PUT (larger objects take a multipart upload).
MAX_PUT_SIZE = 5 * 1024**3
_READ_SIZE = 1 << 20


class Body:
    """A body taken in: where it is (inline bytes or a file name) and its digests."""

    __slots__ = ("checksums", "data", "file", "md5", "segment", "size", "trailers")

    def __init__(self) -> None:
        self.size = 0
        self.md5 = ""
        self.checksums: dict[str, str] = {}
        self.data: bytes | None = None
        self.file: str | None = None
        self.trailers: dict[str, str] = {}
        #: The sealed segment the body was written as (see sealing.py), None when in clear.
        self.segment: Segment | None = None

    def record_fields(self) -> dict:
        """The record fields that hold this body: inline bytes or a file, and its seal."""
        fields: dict = {}
        if self.data is not None:
            fields["Data"] = self.data
        elif self.file is not None:
            fields["File"] = self.file
        if self.segment is not None and self.size:
            fields.update(seal_record([self.segment]))
        return fields


class Files:
    """The files directory S3 bodies live in."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._base = str(root)

    def path(self, name: str) -> str:
        return f"{self._base}/{name[:2]}/{name}"

    def new_name(self) -> str:
        return uuid.uuid4().hex

    def scratch(self) -> Path:
        return self.root / f".upload-{uuid.uuid4().hex}"

    def commit(self, scratch: Path, name: str) -> None:
        target = self.path(name)
        try:
            os.replace(scratch, target)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.replace(scratch, target)

    def write(self, name: str, data: bytes) -> None:
        scratch = self.scratch()
        with open(scratch, "wb") as handle:
            handle.write(data)
        self.commit(scratch, name)

    def remove(self, name: str | None) -> None:
        if name:
            try:
                os.unlink(self.path(name))
            except FileNotFoundError:
                pass

    def copy(self, name: str) -> str:
        """A new file with the same content (a hard link: files are never rewritten in place)."""
        new = self.new_name()
        target = self.path(new)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        try:
            os.link(self.path(name), target)
        except OSError:
            scratch = self.scratch()
            with open(self.path(name), "rb") as source, open(scratch, "wb") as out:
                while chunk := source.read(_READ_SIZE):
                    out.write(chunk)
            self.commit(scratch, new)
        return new


def parse_content_md5(value: str | None) -> bytes | None:
    if value is None:
        return None
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 16:
        error = ServiceError("InvalidDigest", "The Content-MD5 you specified was invalid.", 400)
        error.fields["Content-MD5"] = value  # S3's element name, which no keyword can spell
        raise error
    return digest


class _Digests:
    __slots__ = ("md5", "sha256", "sums")

    def __init__(self, algorithms: tuple[str, ...], want_sha256: bool) -> None:
        self.md5 = hashlib.md5()
        self.sums = {name: checksums.new(name) for name in algorithms}
        self.sha256 = hashlib.sha256() if want_sha256 else None

    def update(self, data) -> None:
        self.md5.update(data)
        for hasher in self.sums.values():
            hasher.update(data)
        if self.sha256 is not None:
            self.sha256.update(data)


async def take_in(
    payload,
    headers: dict[str, str],
    files: Files,
    algorithms: tuple[str, ...],
    content_md5: bytes | None,
    inline: bool = True,
    key: bytes | None = None,
) -> Body:
    """Store a request body and check it against what the client declared (Content-MD5, an
    x-amz-checksum-* header or trailer, x-amz-content-sha256). Raises S3's error, leaving nothing
    behind, if it does not match. With a `key`, the body is sealed under it as it is written
    (digests and size stay those of the plaintext)."""
    declared_sha = headers.get("x-amz-content-sha256", "")
    want_sha = len(declared_sha) == 64
    digests = _Digests(algorithms, want_sha)
    body = Body()
    if payload is None:
        payload = b""
    if type(payload) is not BodyStream and not hasattr(payload, "read"):
        data = bytes(payload)
        digests.update(data)
        body.size = len(data)
        if body.size > MAX_PUT_SIZE:
            raise _too_large(body.size)
        if key is not None and body.size:
            data, body.segment = seal_bytes(key, data)
        if inline and body.size <= INLINE_LIMIT:
            body.data = data
        elif body.size:
            body.file = files.new_name()
            files.write(body.file, data)
    else:
        scratch = files.scratch()
        try:
            with open(scratch, "wb") as out:
                sealer = SealingWriter(out, key) if key is not None else None
                write = sealer.write if sealer is not None else out.write
                if type(payload) is BodyStream:
                    decoder = AwsChunkedDecoder(payload.chunk_signer) if payload.aws_chunked else None
                    source = payload.chunks()
                else:  # a binary file from another service's Python call
                    decoder, source = None, _file_chunks(payload)
                async for chunk in source:
                    for piece in decoder.feed(chunk) if decoder is not None else (chunk,):
                        if piece:
                            digests.update(piece)
                            write(piece)
                            body.size += len(piece)
                            if body.size > MAX_PUT_SIZE:
                                raise _too_large(body.size)
                if sealer is not None:
                    body.segment = sealer.finish()
                if decoder is not None:
                    body.trailers = decoder.finish()
                    declared = headers.get("x-amz-decoded-content-length")
                    if declared is not None and declared.isdigit() and int(declared) != body.size:
                        raise _incomplete()
            if body.size:
                body.file = files.new_name()
                files.commit(scratch, body.file)
        except BodyStalled:  # the client stopped sending: nothing is stored
            raise _timed_out() from None
        except ConnectionError:  # the client went away mid-body: nothing is stored
            raise _incomplete() from None
        finally:
            if scratch.exists():
                scratch.unlink()
    try:
        _verify(body, digests, headers, content_md5, declared_sha, want_sha)
    except ServiceError:
        files.remove(body.file)
        raise
    return body


async def _file_chunks(handle):
    while chunk := handle.read(_READ_SIZE):
        yield chunk


def _verify(body: Body, digests: _Digests, headers, content_md5, declared_sha, want_sha) -> None:
    md5 = digests.md5.digest()
    body.md5 = md5.hex()
    if content_md5 is not None and content_md5 != md5:
        raise ServiceError(
            "BadDigest",
            "The Content-MD5 you specified did not match what we received.",
            400,
            ExpectedDigest=content_md5.hex(),
            CalculatedDigest=base64.b64encode(md5).decode(),
        )
    if want_sha and digests.sha256 is not None:
        computed = digests.sha256.hexdigest()
        if computed != declared_sha:
            raise content_sha256_mismatch(declared_sha, computed)
    for name, hasher in digests.sums.items():
        value = checksums.encode(hasher.digest())
        header = checksums.HEADERS[name]
        declared = body.trailers.get(header) or headers.get(header)
        if declared is not None and not checksums.well_formed(name, declared):
            raise ServiceError("InvalidRequest", f"Value for {header} header is invalid.", 400)
        if declared is not None and declared != value:
            raise ServiceError(
                "BadDigest", f"The {name} you specified did not match the calculated checksum.", 400
            )
        body.checksums[name] = value


def _too_large(size: int) -> ServiceError:
    return ServiceError(
        "EntityTooLarge",
        "Your proposed upload exceeds the maximum allowed size",
        400,
        ProposedSize=str(size),
        MaxSizeAllowed=str(MAX_PUT_SIZE),
    )


def requested_algorithms(params: dict, headers: dict[str, str]) -> tuple[str, ...]:
    """The checksum algorithms a request asks S3 to compute and store."""
    found = []
    algorithm = params.get("ChecksumAlgorithm") or headers.get("x-amz-sdk-checksum-algorithm")
    if algorithm:
        algorithm = algorithm.upper()
        if algorithm not in checksums.ALGORITHMS:
            raise checksums.invalid_algorithm(algorithm)
        found.append(algorithm)
    trailer = headers.get("x-amz-trailer", "").strip().lower()
    for name, member, header in checksums.FIELDS:
        if (params.get(member) or trailer == header) and name not in found:
            found.append(name)
    if len(found) > 1:
        raise ServiceError(
            "InvalidRequest",
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
            400,
        )
    return tuple(found)


class AwsChunkedDecoder:
    """Incremental decoder of `aws-chunked` framing: `<hex size>[;chunk-signature=...]\\r\\n`
    `<data>\\r\\n` ... `0\\r\\n<trailer headers>\\r\\n\\r\\n`. Given a ChunkSigner (the
    request's signature was verified and its chunks are signed), each chunk's signature and a
    signed trailer are checked as they arrive."""

    def __init__(self, signer=None) -> None:
        self._buffer = bytearray()
        self._remaining = 0  # bytes of chunk data still to come
        self._state = "size"  # size | data | crlf | trailer
        self._trailer = bytearray()
        self._signer = signer
        self._chunk_signature: str | None = None

    def feed(self, chunk: bytes) -> list:
        out = []
        buffer = self._buffer
        buffer += chunk
        position = 0
        while True:
            state = self._state
            if state == "data":
                take = min(self._remaining, len(buffer) - position)
                if take <= 0:
                    break
                piece = bytes(buffer[position : position + take])
                out.append(piece)
                position += take
                self._remaining -= take
                if self._signer is not None:
                    self._signer.update(piece)
                    if self._remaining == 0:
                        self._signer.end_chunk(self._chunk_signature)
                if self._remaining == 0:
                    self._state = "crlf"
            elif state == "crlf":
                if len(buffer) - position < 2:
                    break
                if buffer[position : position + 2] != b"\r\n":
                    raise _incomplete()
                position += 2
                self._state = "size"
            elif state == "size":
                end = buffer.find(b"\r\n", position)
                if end < 0:
                    if len(buffer) - position > 4096:
                        raise _incomplete()
                    break
                if self._signer is not None:
                    size, self._chunk_signature = chunk_header(bytes(buffer[position:end]))
                    if size is None:
                        raise _incomplete()
                else:
                    text = bytes(buffer[position:end]).split(b";", 1)[0].strip()
                    try:
                        size = int(text, 16)
                    except ValueError:
                        raise _incomplete() from None
                position = end + 2
                if size == 0:
                    if self._signer is not None:
                        self._signer.end_chunk(self._chunk_signature)
                    self._state = "trailer"
                else:
                    self._remaining = size
                    self._state = "data"
            else:
                self._trailer += buffer[position:]
                position = len(buffer)
                break
        del buffer[:position]
        return out

    def finish(self) -> dict[str, str]:
        if self._state != "trailer":
            raise _incomplete()
        pairs = trailer_lines(bytes(self._trailer))
        if self._signer is not None and self._signer.trailer:
            self._signer.verify_trailer(pairs)
        return dict(pairs)


def _incomplete() -> ServiceError:
    return ServiceError("IncompleteBody", "The request body terminated unexpectedly", 400)


def _timed_out() -> ServiceError:
    return ServiceError(
        "RequestTimeout",
        "Your socket connection to the server was not read from or written to within the timeout period."
        " Idle connections will be closed.",
        400,
    )


class RangeReader:
    """A file-like view of bytes [start, start+length) of a file, closed after reading: the
    server streams it in large chunks."""

    def __init__(self, path: str | Path, start: int, length: int) -> None:
        self._handle = open(path, "rb")
        if start:
            self._handle.seek(start)
        self._left = length

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        if size < 0 or size > self._left:
            size = self._left
        data = self._handle.read(size)
        self._left -= len(data)
        if not data:
            self._left = 0
        return data

    def close(self) -> None:
        self._handle.close()
