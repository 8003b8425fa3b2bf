"""The Parquet writer's files as a real Parquet reader reads them."""

from __future__ import annotations

import io

import pyarrow.parquet as pq

from overcast.common import parquet

COLUMNS = [("id", "int64"), ("name", "string"), ("score", "double"), ("ok", "boolean"), ("raw", "binary")]


def read(data: bytes):
    return pq.read_table(io.BytesIO(data))


def test_every_kind_of_column_with_nulls_reads_back():
    rows = [(1, "a", 1.5, True, b"\x00\x01"), (2, None, None, False, None), (None, "ccc", -3.25, None, b"")]
    rows += [(i, "é" * i, i / 2, i % 3 == 0, bytes([i])) for i in range(200)]
    table = read(parquet.write(COLUMNS, rows))
    assert [str(t) for t in table.schema.types] == ["int64", "string", "double", "bool", "binary"]
    assert table.num_rows == len(rows)
    assert [tuple(r.values()) for r in table.to_pylist()] == [tuple(r) for r in rows]


def test_an_empty_table_and_a_column_of_nulls():
    assert read(parquet.write(COLUMNS, [])).num_rows == 0
    table = read(parquet.write([("n", "int64"), ("s", "string")], [(None, None)] * 20))
    assert table.to_pylist() == [{"n": None, "s": None}] * 20


def test_many_columns_and_long_runs():
    columns = [(f"c{i}", "int64") for i in range(20)]
    rows = [tuple(range(i, i + 20)) for i in range(1000)]
    table = read(parquet.write(columns, rows))
    assert table.column("c19").to_pylist() == [i + 19 for i in range(1000)]
