"""A small Apache Parquet writer: one row group, one uncompressed data page (v1) per column,
PLAIN values, RLE definition levels; every column optional (nullable). Enough for exports
that Parquet readers (Spark, Athena, pyarrow, DuckDB) open, without a native dependency.

Column kinds: "int64", "double", "boolean", "string" (UTF8 byte arrays), "binary" (raw byte
arrays); a value of another Python type goes in a string column as its str()."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

MAGIC = b"PAR1"
#: Parquet physical types and (converted type) for each column kind.
KINDS: dict[str, tuple[int, int | None]] = {
    "boolean": (0, None),
    "int64": (2, None),
    "double": (5, None),
    "string": (6, 0),  # BYTE_ARRAY, UTF8
    "binary": (6, None),
}
PLAIN, RLE = 0, 3

# Thrift compact protocol field types.
T_BOOL_TRUE, T_I32, T_I64, T_BINARY, T_LIST, T_STRUCT = 1, 5, 6, 8, 9, 12


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _zigzag(n: int) -> bytes:
    return _varint((n << 1) ^ (n >> 63))


class _Struct:
    """A Thrift struct in the compact protocol, its fields added in increasing id order."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.last = 0

    def _field(self, fid: int, ftype: int) -> None:
        delta = fid - self.last
        if 0 < delta <= 15:
            self.out.append((delta << 4) | ftype)
        else:
            self.out.append(ftype)
            self.out += _zigzag(fid)
        self.last = fid

    def i32(self, fid: int, value: int) -> _Struct:
        self._field(fid, T_I32)
        self.out += _zigzag(value)
        return self

    def i64(self, fid: int, value: int) -> _Struct:
        self._field(fid, T_I64)
        self.out += _zigzag(value)
        return self

    def binary(self, fid: int, value: bytes) -> _Struct:
        self._field(fid, T_BINARY)
        self.out += _varint(len(value)) + value
        return self

    def struct(self, fid: int, value: _Struct) -> _Struct:
        self._field(fid, T_STRUCT)
        self.out += value.done()
        return self

    def list(self, fid: int, etype: int, items: Sequence[bytes]) -> _Struct:
        self._field(fid, T_LIST)
        if len(items) < 15:
            self.out.append((len(items) << 4) | etype)
        else:
            self.out.append(0xF0 | etype)
            self.out += _varint(len(items))
        for item in items:
            self.out += item
        return self

    def done(self) -> bytes:
        return bytes(self.out) + b"\x00"


def _levels(defined: list[bool]) -> bytes:
    """Definition levels (bit width 1) in the RLE/bit-packed hybrid, as RLE runs, with the
    4-byte length a v1 data page puts before them."""
    out = bytearray()
    i = 0
    while i < len(defined):
        j = i
        while j < len(defined) and defined[j] == defined[i]:
            j += 1
        out += _varint((j - i) << 1) + bytes([1 if defined[i] else 0])
        i = j
    return struct.pack("<I", len(out)) + bytes(out)


def _plain(kind: str, values: list[Any]) -> bytes:
    if kind == "int64":
        return struct.pack(f"<{len(values)}q", *(int(v) for v in values))
    if kind == "double":
        return struct.pack(f"<{len(values)}d", *(float(v) for v in values))
    if kind == "boolean":
        packed = bytearray((len(values) + 7) // 8)
        for i, value in enumerate(values):
            if value:
                packed[i // 8] |= 1 << (i % 8)
        return bytes(packed)
    out = bytearray()
    for value in values:
        raw = value if isinstance(value, bytes | bytearray | memoryview) else str(value).encode()
        out += struct.pack("<I", len(raw)) + bytes(raw)
    return bytes(out)


def write(
    columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]], created_by: str = "overcast"
) -> bytes:
    """A Parquet file of `rows`, whose columns are (name, kind) pairs; None is null."""
    body = bytearray(MAGIC)
    chunks = []
    for index, (name, kind) in enumerate(columns):
        physical, _ = KINDS[kind]
        cells = [row[index] for row in rows]
        present = [c for c in cells if c is not None]
        page = _levels([c is not None for c in cells]) + _plain(kind, present)
        header = (
            _Struct()
            .i32(1, 0)  # DATA_PAGE
            .i32(2, len(page))
            .i32(3, len(page))
            .struct(5, _Struct().i32(1, len(cells)).i32(2, PLAIN).i32(3, RLE).i32(4, RLE))
            .done()
        )
        offset = len(body)
        body += header + page
        size = len(header) + len(page)
        meta = (
            _Struct()
            .i32(1, physical)
            .list(2, T_I32, [_zigzag(PLAIN), _zigzag(RLE)])
            .list(3, T_BINARY, [_varint(len(name.encode())) + name.encode()])
            .i32(4, 0)  # UNCOMPRESSED
            .i64(5, len(cells))
            .i64(6, size)
            .i64(7, size)
            .i64(9, offset)
        )
        chunks.append((_Struct().i64(2, offset).struct(3, meta).done(), size))
    schema = [_Struct().binary(4, b"schema").i32(5, len(columns)).done()]
    for name, kind in columns:
        physical, converted = KINDS[kind]
        element = _Struct().i32(1, physical).i32(3, 1).binary(4, name.encode())  # OPTIONAL
        if converted is not None:
            element.i32(6, converted)
        schema.append(element.done())
    group = (
        _Struct()
        .list(1, T_STRUCT, [c for c, _ in chunks])
        .i64(2, sum(size for _, size in chunks))
        .i64(3, len(rows))
        .done()
    )
    footer = (
        _Struct()
        .i32(1, 1)
        .list(2, T_STRUCT, schema)
        .i64(3, len(rows))
        .list(4, T_STRUCT, [group])
        .binary(6, created_by.encode())
        .done()
    )
    body += footer + struct.pack("<I", len(footer)) + MAGIC
    return bytes(body)
