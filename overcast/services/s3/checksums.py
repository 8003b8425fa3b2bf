"""S3's additional checksums (CRC32, CRC32C, CRC64NVME, SHA1, SHA256) and the body digest
S3 always takes (MD5, the ETag), computed incrementally as a body streams in."""

from __future__ import annotations

import base64
import hashlib
import zlib

from overcast.errors import ServiceError

try:
    from awscrt import checksums as _crt
except ImportError:  # pragma: no cover - awscrt is a dependency; keep CRC32/SHA working without it
    _crt = None

ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")
#: Output/input member suffix per algorithm: ChecksumCRC32, ... and its header.
HEADERS = {name: f"x-amz-checksum-{name.lower()}" for name in ALGORITHMS}
#: (algorithm, its request/response member, its header), for loops on the request path.
FIELDS = tuple((name, f"Checksum{name}", HEADERS[name]) for name in ALGORITHMS)
#: Full-object checksums combine across parts (CRC types); the others are composite for multipart.
FULL_OBJECT_CAPABLE = frozenset({"CRC32", "CRC32C", "CRC64NVME"})


class _Crc:
    __slots__ = ("_update", "size", "value")

    def __init__(self, update, size: int) -> None:
        self.value = 0
        self._update = update
        self.size = size

    def update(self, data) -> None:
        self.value = self._update(data, self.value)

    def digest(self) -> bytes:
        return self.value.to_bytes(self.size, "big")


def new(algorithm: str):
    """An object with update(bytes) and digest() for the algorithm."""
    if algorithm == "CRC32":
        return _Crc(zlib.crc32, 4)
    if algorithm == "SHA1":
        return hashlib.sha1()
    if algorithm == "SHA256":
        return hashlib.sha256()
    if _crt is None:
        raise ServiceError(
            "NotImplemented", f"Overcast needs the awscrt package for {algorithm} checksums", 501
        )
    if algorithm == "CRC32C":
        return _Crc(_crt.crc32c, 4)
    if algorithm == "CRC64NVME":
        return _Crc(_crt.crc64nvme, 8)
    raise invalid_algorithm(algorithm)


#: The checksum S3 computes and keeps for a new object whose writer names none (since 2024).
DEFAULT_ALGORITHM = "CRC64NVME"


def default_algorithms() -> tuple[str, ...]:
    """What to compute for a write that names no checksum: S3's default, where awscrt (which
    computes it) is installed."""
    return (DEFAULT_ALGORITHM,) if _crt is not None else ()


#: The digest size of each algorithm, in bytes.
DIGEST_SIZES = {"CRC32": 4, "CRC32C": 4, "CRC64NVME": 8, "SHA1": 20, "SHA256": 32}


def well_formed(algorithm: str, value: str) -> bool:
    """Whether a declared checksum is base64 of a digest of the algorithm's size."""
    try:
        return len(base64.b64decode(value, validate=True)) == DIGEST_SIZES[algorithm]
    except (ValueError, KeyError):
        return False


def encode(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def compute(algorithm: str, data: bytes) -> str:
    hasher = new(algorithm)
    hasher.update(data)
    return encode(hasher.digest())


def invalid_algorithm(algorithm: str) -> ServiceError:
    return ServiceError(
        "InvalidRequest",
        "Checksum algorithm provided is unsupported. Please try again with any "
        "of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
        400,
    )


def composite(algorithm: str, part_checksums: list[str]) -> str:
    """The checksum of a multipart object from its parts' checksums: the algorithm over the
    concatenated part digests, suffixed -N (S3's COMPOSITE type)."""
    hasher = new(algorithm)
    for value in part_checksums:
        hasher.update(base64.b64decode(value))
    return f"{encode(hasher.digest())}-{len(part_checksums)}"


# CRC combination (zlib's crc32_combine, generalised to any reflected CRC) for full-object
# checksums of multipart uploads: the CRC of A+B from crc(A), crc(B) and len(B).
_POLYS = {"CRC32": (0xEDB88320, 32), "CRC32C": (0x82F63B78, 32), "CRC64NVME": (0x9A6C9329AC4BC9B5, 64)}


def _gf2_times(matrix: list[int], vector: int) -> int:
    total = 0
    index = 0
    while vector:
        if vector & 1:
            total ^= matrix[index]
        vector >>= 1
        index += 1
    return total


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, row) for row in matrix]


def crc_combine(algorithm: str, crc1: int, crc2: int, length2: int) -> int:
    poly, bits = _POLYS[algorithm]
    if length2 <= 0:
        return crc1
    odd = [poly] + [1 << i for i in range(bits - 1)]
    even = _gf2_square(odd)
    odd = _gf2_square(even)
    while True:
        even = _gf2_square(odd)
        if length2 & 1:
            crc1 = _gf2_times(even, crc1)
        length2 >>= 1
        if not length2:
            break
        odd = _gf2_square(even)
        if length2 & 1:
            crc1 = _gf2_times(odd, crc1)
        length2 >>= 1
        if not length2:
            break
    return crc1 ^ crc2


def full_object(algorithm: str, parts: list[tuple[str, int]]) -> str:
    """The full-object CRC of a multipart object from (part checksum, part size) pairs."""
    _, bits = _POLYS[algorithm]
    value = 0
    for index, (checksum, size) in enumerate(parts):
        crc = int.from_bytes(base64.b64decode(checksum), "big")
        value = crc if index == 0 else crc_combine(algorithm, value, crc, size)
    return encode(value.to_bytes(bits // 8, "big"))
