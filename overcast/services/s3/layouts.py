"""The layouts of S3's version rows (`objects` and `versions`), and the migration of the rows
written before the current one (objects.py, layout 3), run once at start by the store.

Before layouts were recorded, one table could hold rows of every earlier layout side by side:
    a dict       the version record itself, Key and LastModified (a datetime) included;
    layout 1     [1, Size, ETag, LastModified, Owner, StorageClass, Checksums, ChecksumType,
                 Restore, tail], LastModified as its wire text, tail the CBOR of the other
                 fields but Key (or None);
    layout 2     [2, listing, url safe, owner, last modified, file, tail], tail the CBOR of
                 the fields not in the list but Key;
    layout 3     bytes (objects.pack), what is written now.
So the one step runs from "before recording" (0) straight to 3, converting each row by its form.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from overcast.services.s3.objects import LAYOUT, SEPARATOR, pack
from overcast.store import Step, Store, TableLayout
from overcast.store.codec import decode

__all__ = ["LAYOUTS"]

_HEAD_1 = ("Size", "ETag", "LastModified", "Owner", "StorageClass", "Checksums", "ChecksumType", "Restore")
_OWNER_2, _MODIFIED_2, _FILE_2, _TAIL_2 = 3, 4, 5, 6


def _record_of_layout_1(row: list[Any]) -> dict[str, Any]:
    tail = row[-1]
    record: dict[str, Any] = decode(tail) if tail is not None else {}
    for name, value in zip(_HEAD_1, row[1:-1], strict=True):
        if value is not None:
            record[name] = value
    return record


def _record_of_layout_2(row: list[Any]) -> dict[str, Any]:
    record: dict[str, Any] = decode(row[_TAIL_2])
    for name, index in (("Owner", _OWNER_2), ("LastModified", _MODIFIED_2), ("File", _FILE_2)):
        if row[index] is not None:
            record[name] = row[index]
    return record


def _record(scope: str, row_key: str, row: Any) -> dict[str, Any]:
    """The version record of a row of an older layout, but its Key."""
    if row.__class__ is dict:
        record = dict(row)
    elif row[0] == 1:
        record = _record_of_layout_1(row)
    elif row[0] == 2:
        record = _record_of_layout_2(row)
    else:
        raise ValueError(f"an S3 row of unknown layout {row[0]!r} at {scope!r} {row_key!r}")
    modified = record.get("LastModified")
    if isinstance(modified, str):
        record["LastModified"] = datetime.fromisoformat(modified)
    return record


def _current_to_layout_3(store: Store, scope: str, row_key: str, row: Any) -> Any:
    """A row of `objects`, keyed by the object's key."""
    if row.__class__ is bytes:
        return row  # written in the current layout
    return pack({**_record(scope, row_key, row), "Key": row_key})


def _version_to_layout_3(store: Store, scope: str, row_key: str, row: Any) -> Any:
    """A row of `versions`, keyed by the object's key, SEPARATOR and the 16-digit order."""
    if row.__class__ is bytes:
        return row
    return pack({**_record(scope, row_key, row), "Key": row_key[: -len(SEPARATOR) - 16]})


#: The tables that have had more than one layout (S3's others are at layout 1).
LAYOUTS = (
    TableLayout("objects", LAYOUT, (Step(0, LAYOUT, _current_to_layout_3),)),
    TableLayout("versions", LAYOUT, (Step(0, LAYOUT, _version_to_layout_3),)),
)
