"""The file formats of exports and imports (transfer.py): DynamoDB JSON and Ion lines round-trip
every attribute type; imports read items run together, report bad lines, and type CSV cells."""

from __future__ import annotations

import gzip

import zstandard

from overcast.services.dynamodb import transfer

ITEM = {
    "s": {"S": "x"},
    "n": {"N": "1.5"},
    "i": {"N": "10"},
    "b": {"B": b"\x00\xff"},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": [b"a"]},
    "l": {"L": [{"S": "q"}, {"N": "3"}, {"NULL": True}]},
    "m": {"M": {"k": {"BOOL": True}, "f": {"BOOL": False}}},
}


def test_json_lines_round_trip_and_may_run_together():
    line = transfer.json_line({"Item": ITEM})
    assert line.endswith("\n") and '"B":"AP8="' in line
    assert list(transfer.json_items(line + line.strip() + line)) == [ITEM, ITEM, ITEM]


def test_json_lines_that_are_not_items_are_errors():
    found = list(transfer.json_items('{"pk": {"S": "a"}}\n{"Item": {"pk": {"S": "b"}}}\n{not json'))
    assert isinstance(found[0], transfer.FormatError)
    assert found[1] == {"pk": {"S": "b"}}
    assert isinstance(found[2], transfer.FormatError)


def test_ion_lines_round_trip_with_typed_sets():
    line = transfer.ion_line({"Item": ITEM})
    assert line.startswith("$ion_1_0 {Item:{") and "$dynamodb_SS::" in line and "{{AP8=}}" in line
    assert list(transfer.ion_items(line + line)) == [ITEM, ITEM]
    assert isinstance(next(transfer.ion_items("{Other: 1}")), transfer.FormatError)


def test_csv_cells_are_typed_by_the_key_definitions():
    text = "pk,n,note\nk1,5,hello\nk2,7,\n"
    items = list(transfer.csv_items(text, ",", None, {"pk": "S", "n": "N"}))
    assert items == [
        {"pk": {"S": "k1"}, "n": {"N": "5"}, "note": {"S": "hello"}},
        {"pk": {"S": "k2"}, "n": {"N": "7"}},
    ]
    headed = list(transfer.csv_items("a|b\n", "|", ["pk", "v"], {"pk": "S"}))
    assert headed == [{"pk": {"S": "a"}, "v": {"S": "b"}}]


def test_compressions():
    data = b'{"Item":{"pk":{"S":"a"}}}'
    assert transfer.decompress(gzip.compress(data), "GZIP") == data
    assert transfer.decompress(zstandard.ZstdCompressor().compress(data), "ZSTD") == data
    assert transfer.decompress(data, "NONE") == data
