"""The file formats of DynamoDB's exports to and imports from S3: DynamoDB JSON and Amazon Ion
lines (each `{"Item": ...}`, or an incremental export's change record), and CSV for imports;
gzip (and, for imports, zstd) compression; the manifests an export writes beside its data.

AWS lays an export out under `<prefix>/AWSDynamoDB/<export id>/`: `manifest-summary.json`,
`manifest-files.json` (one JSON line per data file), their `.md5` files, and `data/<name>.json.gz`
(or `.ion.gz`) holding the items."""

from __future__ import annotations

import base64
import csv
import decimal
import gzip
import hashlib
import io
import json
from collections.abc import Iterator, Mapping
from typing import Any

#: The annotations Ion exports mark sets with.
SET_ANNOTATIONS = {"SS": "$dynamodb_SS", "NS": "$dynamodb_NS", "BS": "$dynamodb_BS"}
ION_SETS = {annotation: kind for kind, annotation in SET_ANNOTATIONS.items()}


class FormatError(ValueError):
    """A line of an import file is not an item of the declared format."""


# -- DynamoDB JSON ----------------------------------------------------------------------------------


def json_line(record: dict) -> str:
    """One line of a DYNAMODB_JSON export (binary values as base64, as the API sends them)."""
    return json.dumps(record, separators=(",", ":"), default=_base64) + "\n"


def _base64(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    raise TypeError(type(value).__name__)


def json_items(text: str) -> Iterator[dict | FormatError]:
    """The items of a DYNAMODB_JSON file: `{"Item": {...}}` objects, one per line or run together."""
    decoder = json.JSONDecoder()
    position, end = 0, len(text)
    while True:
        while position < end and text[position].isspace():
            position += 1
        if position >= end:
            return
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            yield FormatError(f"Unexpected token at position {error.pos}")
            return
        if not isinstance(value, dict) or not isinstance(value.get("Item"), dict) or len(value) != 1:
            yield FormatError("Unexpected field: the line is not an Item")
            continue
        yield _from_json(value["Item"])


def _from_json(item: dict) -> dict:
    return {name: _json_value(value) for name, value in item.items()}


def _json_value(value: Any) -> dict:
    if not isinstance(value, dict) or len(value) != 1:
        raise FormatError("An attribute value must have exactly one type")
    kind, inner = next(iter(value.items()))
    if kind == "B":
        return {"B": base64.b64decode(inner)}
    if kind == "BS":
        return {"BS": [base64.b64decode(v) for v in inner]}
    if kind == "L":
        return {"L": [_json_value(v) for v in inner]}
    if kind == "M":
        return {"M": {k: _json_value(v) for k, v in inner.items()}}
    if kind not in ("S", "N", "BOOL", "NULL", "SS", "NS"):
        raise FormatError(f"Unknown attribute type {kind}")
    return {kind: inner}


# -- Amazon Ion -----------------------------------------------------------------------------------


def ion_line(record: dict) -> str:
    """One line of an ION export: the record with DynamoDB values as Ion values."""
    from amazon.ion import simpleion  # only Ion exports and imports need it

    text = simpleion.dumps(
        {k: _to_ion_item(v) if k in ION_IMAGES else v for k, v in record.items()}, binary=False
    )
    return text + "\n"


ION_IMAGES = ("Item", "Keys", "NewImage", "OldImage")


def _to_ion_item(item: dict) -> dict:
    return {name: _to_ion(value) for name, value in item.items()}


def _to_ion(value: dict) -> Any:
    kind, inner = next(iter(value.items()))
    if kind == "S":
        return inner
    if kind == "N":
        return decimal.Decimal(inner)
    if kind == "B":
        return bytes(inner)
    if kind == "BOOL":
        return bool(inner)
    if kind == "NULL":
        return None
    if kind == "L":
        return [_to_ion(v) for v in inner]
    if kind == "M":
        return {k: _to_ion(v) for k, v in inner.items()}
    from amazon.ion.core import IonType
    from amazon.ion.simple_types import IonPyList

    members = [decimal.Decimal(v) if kind == "NS" else bytes(v) if kind == "BS" else v for v in inner]
    return IonPyList.from_value(IonType.LIST, members, (SET_ANNOTATIONS[kind],))


def ion_items(text: str) -> Iterator[dict | FormatError]:
    from amazon.ion import simpleion

    try:
        values = simpleion.loads(text, single_value=False)
    except Exception as error:  # the Ion reader raises its own (and ValueError) for bad text
        yield FormatError(f"Invalid Ion: {error}")
        return
    for value in values:
        if not isinstance(value, Mapping) or not isinstance(value.get("Item"), Mapping) or len(value) != 1:
            yield FormatError("Unexpected field: the value is not an Item")
            continue
        try:
            yield {name: _from_ion(v) for name, v in value["Item"].items()}
        except FormatError as error:
            yield error


def _from_ion(value: Any) -> dict:
    from amazon.ion.core import IonType

    annotations = getattr(value, "ion_annotations", ())
    ion_type = getattr(value, "ion_type", None)
    annotation = getattr(annotations[0], "text", annotations[0]) if annotations else None
    if annotation in ION_SETS:
        kind = ION_SETS[annotation]
        return {
            kind: [_number_text(v) if kind == "NS" else bytes(v) if kind == "BS" else str(v) for v in value]
        }
    if value is None or ion_type == IonType.NULL:
        return {"NULL": True}
    if isinstance(value, bool) or ion_type == IonType.BOOL:
        return {"BOOL": bool(value)}
    if isinstance(value, str):
        return {"S": str(value)}
    if isinstance(value, bytes | bytearray):
        return {"B": bytes(value)}
    if isinstance(value, int | float | decimal.Decimal):
        return {"N": _number_text(value)}
    if isinstance(value, Mapping):
        return {"M": {k: _from_ion(v) for k, v in value.items()}}
    if isinstance(value, list):
        return {"L": [_from_ion(v) for v in value]}
    raise FormatError(f"Unsupported Ion value of type {ion_type}")


def _number_text(value: Any) -> str:
    if isinstance(value, decimal.Decimal):
        text = format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
        return text.replace("E", "e")
    return str(value)


# -- CSV ------------------------------------------------------------------------------------------


def csv_items(
    text: str, delimiter: str, header: list[str] | None, types: dict[str, str]
) -> Iterator[dict | FormatError]:
    """The items of a CSV file: key attributes typed by the table's definitions, others strings;
    an empty cell leaves the attribute out."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    names = header
    for row in reader:
        if not row:
            continue
        if names is None:
            names = row
            continue
        if len(row) > len(names):
            yield FormatError("The row has more values than the header names")
            continue
        item: dict = {}
        for name, cell in zip(names, row, strict=False):
            if cell == "":
                continue
            kind = types.get(name, "S")
            item[name] = {kind: base64.b64decode(cell) if kind == "B" else cell}
        yield item


# -- compression and manifests -----------------------------------------------------------------------


def decompress(data: bytes, compression: str) -> bytes:
    if compression == "GZIP":
        return gzip.decompress(data)
    if compression == "ZSTD":
        import zstandard

        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    return data


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def md5_base64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
