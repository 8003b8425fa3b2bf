"""Where buckets, objects, versions and uploads are kept (the store's tables), and the moves
between them that versioning makes.

Tables (scope in brackets):
    buckets  [global]     name → bucket record (names are one namespace across accounts)
    owned    [account]    name → {} (an account's buckets, for ListBuckets)
    objects  [bucket id]  key → the key's current version, unless that is a delete marker
    versions [bucket id]  key \\0 order → every other version, and delete markers
    nulls    [bucket id]  key → order of the key's "null" version when it is in `versions`
    uploads  [bucket id]  key \\0 upload id → multipart upload
    parts    [bucket id]  upload id \\0 part number → part

Rows of `objects` and `versions` are compact (see `pack`): what a listing sends, its entry's
XML already rendered (see entries.py), leads a byte string that a listing slices without
decoding anything; the rest of the record follows as CBOR, decoded only when it is wanted.
Rows of the earlier layouts are migrated to this one when S3 loads (layouts.py): the readers
here know only this one.

`order` is 16 hex digits that fall as time rises, so a key's versions list newest first, and a
version id starts with its order (a get by version id is one lookup). A bucket's id is fresh on
each creation, so a bucket deleted and re-created starts empty.

Listing objects reads `objects` alone (current versions, in key order); listing versions
merges `objects` and `versions`, which sort into one sequence: "k" < "k\\0..." < "k/...".
"""

from __future__ import annotations

import hashlib
import secrets
import string
import struct
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from overcast.protocols.serializers.common import iso8601_millis
from overcast.services.s3 import entries
from overcast.services.s3.bodies import Files
from overcast.store.codec import decode as decode_value
from overcast.store.codec import encode as encode_value

GLOBAL = "global"
SEPARATOR = "\x00"
_MAX = 0xFFFFFFFFFFFFFFFF


#: The compact row (layout 3) is bytes. A head of 4 bytes: the layout; flags (URL_SAFE when the
#: key reads the same URL-encoded, so the listing text serves URL-encoded listings too; HAS_FILE
#: when the body is in a file of its own, so an overwrite of a row without one reads only this
#: head); the listing text's length in UTF-8 (2 bytes, big-endian; 0 for a delete marker, which
#: ListObjects never shows). Then that text, the object's ListObjects entry as XML, Key through
#: StorageClass. Then the CBOR of the record but its Key (the row's key), LastModified as its wire
#: text (`2024-05-01T12:00:00.000Z`, microseconds when it has them). A listing slices each row's
#: text out, decoding nothing.
LAYOUT = 3
URL_SAFE, HAS_FILE = 1, 2
HEAD = struct.Struct(">BBH")
#: The CBOR of the record's "File" key (a text string of 4 bytes), in every row whose body is
#: in a file of its own.
_FILE_MARKER = b"\x64File"


def pack(record: dict) -> bytes:
    """A version record as its compact row (of layout LAYOUT)."""
    rest = dict(record)
    del rest["Key"]
    modified = rest.get("LastModified")
    if modified is not None:
        rest["LastModified"] = modified = iso8601_millis(modified)  # a datetime costs CBOR more than its text
    listing = entries.render_record(record, modified)
    text = b"" if listing is None else listing.encode()
    flags = (URL_SAFE if entries.url_safe(record["Key"]) else 0) | (HAS_FILE if rest.get("File") else 0)
    return HEAD.pack(LAYOUT, flags, len(text)) + text + encode_value(rest)


def listing_text(row: bytes) -> str:
    """The listing text of a layout-3 row (what the listing's fast path inlines)."""
    return row[4 : 4 + (row[2] << 8 | row[3])].decode()


def _rest(row: bytes) -> dict:
    """The record of a layout-3 row but its Key, LastModified as its wire text."""
    return decode_value(row[4 + (row[2] << 8 | row[3]) :])


def unpack(key: str, row: bytes) -> dict:
    """The version record of a row."""
    record = _rest(row)
    record["Key"] = key
    modified = record.get("LastModified")
    if modified is not None:
        record["LastModified"] = datetime.fromisoformat(modified)
    return record


def listed(key: str, row: bytes) -> tuple[str | None, str | None]:
    """(listing text, owner) of a row."""
    return listing_text(row) or None, _rest(row).get("Owner")


#: The characters of S3's version ids (letters, digits, "." and "_").
VERSION_ALPHABET = string.ascii_letters + string.digits + "._"


def _version_check(body: str) -> str:
    digest = hashlib.sha256(body.encode()).digest()
    number = int.from_bytes(digest[:3], "big")
    return "".join(VERSION_ALPHABET[(number >> shift) & 63] for shift in (18, 12, 6, 0))


def version_id(order: str) -> str:
    """A new version id: the version's order (16 hex digits), 12 random characters and 4 that
    check the rest, so an id that was never made here is told from one that is gone, as S3
    tells them (InvalidArgument against NoSuchVersion)."""
    body = order + "".join(secrets.choice(VERSION_ALPHABET) for _ in range(12))
    return body + _version_check(body)


def is_version_id(value: str) -> bool:
    """Whether `value` is an id version_id made (whether or not its version still exists)."""
    return (
        len(value) == 32
        and all(char in "0123456789abcdef" for char in value[:16])
        and all(char in VERSION_ALPHABET for char in value[16:])
        and _version_check(value[:28]) == value[28:]
    )


class Orders:
    """Version orders: strictly decreasing hex strings, from the clock."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            now = max(time.time_ns(), self._last + 1)
            self._last = now
        return format(_MAX - now, "016x")


class ObjectStore:
    def __init__(self, store) -> None:
        self.store = store
        self.buckets = store.table("s3", "buckets")
        self.owned = store.table("s3", "owned")
        self.objects = store.table("s3", "objects")
        self.versions = store.table("s3", "versions")
        self.nulls = store.table("s3", "nulls")
        self.uploads = store.table("s3", "uploads")
        self.parts = store.table("s3", "parts")
        self.files = Files(store.files_dir("s3"))
        self.orders = Orders()
        self._bucket_cache: dict[str, dict | None] = {}

    def forget_cached(self) -> None:
        """The store was reset or replaced: the cached bucket records are stale."""
        self._bucket_cache.clear()

    # -- buckets -------------------------------------------------------------------------------

    def bucket(self, name: str) -> dict | None:
        cache = self._bucket_cache
        try:
            return cache[name]
        except KeyError:
            pass
        record = self.buckets.get(GLOBAL, name)
        if len(cache) > 10000:
            cache.clear()
        cache[name] = record
        return record

    def put_bucket(self, record: dict) -> None:
        with self.store.transaction():
            self.buckets.put(GLOBAL, record["Name"], record)
            self.owned.put(record["Account"], record["Name"], {})
        self._bucket_cache[record["Name"]] = record

    def delete_bucket(self, record: dict) -> None:
        with self.store.transaction():
            self.buckets.delete(GLOBAL, record["Name"])
            self.owned.delete(record["Account"], record["Name"])
        self._bucket_cache.pop(record["Name"], None)

    def new_bucket_id(self) -> str:
        return uuid.uuid4().hex

    def is_empty(self, bucket: dict) -> bool:
        scope = bucket["Id"]
        return (
            next(self.objects.scan(scope, limit=1), None) is None
            and next(self.versions.scan(scope, limit=1), None) is None
        )

    # -- versions ------------------------------------------------------------------------------

    def new_version(self, versioned: bool) -> tuple[str, str]:
        """(order, version id) for a new version: id "null" unless versioning is enabled."""
        order = self.orders.next()
        return order, (version_id(order) if versioned else "null")

    def _current(self, scope: str, key: str) -> dict | None:
        row = self.objects.get(scope, key)
        return None if row is None else unpack(key, row)

    def _version_row(self, scope: str, key: str, order: str) -> dict | None:
        row = self.versions.get(scope, key + SEPARATOR + order)
        return None if row is None else unpack(key, row)

    def current(self, bucket: dict, key: str) -> dict | None:
        return self._current(bucket["Id"], key)

    def latest(self, bucket: dict, key: str) -> dict | None:
        """The current version, which may be a delete marker."""
        found = self._current(bucket["Id"], key)
        if found is not None:
            return found
        for _, row in self.versions.scan(bucket["Id"], prefix=key + SEPARATOR, limit=1):
            return unpack(key, row)
        return None

    def version(self, bucket: dict, key: str, version_id: str) -> dict | None:
        scope = bucket["Id"]
        current = self._current(scope, key)
        if current is not None and current["VersionId"] == version_id:
            return current
        if version_id == "null":
            return self.null_version(bucket, key, current)
        if len(version_id) < 17:
            return None
        found = self._version_row(scope, key, version_id[:16])
        return found if found is not None and found["VersionId"] == version_id else None

    def null_version(self, bucket: dict, key: str, current: dict | None) -> dict | None:
        """The key's null version, given its current version (read once by the caller)."""
        if current is not None and current["VersionId"] == "null":
            return current
        if bucket.get("Versioning") is None:
            return None  # never versioned: every version is the current one
        order = self.nulls.get(bucket["Id"], key)
        return None if order is None else self._version_row(bucket["Id"], key, order)

    def put_version(self, bucket: dict, record: dict, current: dict | None) -> list[str]:
        """Make `record` (an object or a delete marker) the key's newest version, `current`
        being the key's current version as just read. Returns the body files no longer
        referenced (to remove once the rows are committed)."""
        scope, key = bucket["Id"], record["Key"]
        garbage: list[str] = []
        occupied = current is not None
        if record["VersionId"] == "null":
            if current is not None and current["VersionId"] == "null":
                if current.get("File"):
                    garbage.append(current["File"])
                current = None  # replaced
            elif bucket.get("Versioning") is not None:
                garbage.extend(self._drop_null(scope, key, current))
        if current is not None:
            self._to_versions(scope, current)
        if record.get("DeleteMarker"):
            if occupied:
                self.objects.delete(scope, key)
            self._to_versions(scope, record)
        else:
            self.objects.put(scope, key, pack(record))
        return garbage

    def replace_current(self, bucket: dict, record: dict) -> list[str]:
        """Make `record` the key's one version in a bucket never versioned (where no other can
        exist). Returns the replaced version's body file, if it had one."""
        scope, key = bucket["Id"], record["Key"]
        row = pack(record)
        # Only a replaced row with a body file needs reading first; any other is overwritten
        # by the one statement (most overwrites, and every new key).
        if self.objects.put_unless_holding(scope, key, row, _FILE_MARKER):
            return []
        row, new = self.objects.get(scope, key), row
        self.objects.put(scope, key, new)
        if row is None:
            return []
        file = _rest(row).get("File") if row[1] & HAS_FILE else None
        return [file] if file else []

    def _to_versions(self, scope: str, record: dict) -> None:
        key = record["Key"]
        self.versions.put(scope, key + SEPARATOR + record["Order"], pack(record))
        if record["VersionId"] == "null":
            self.nulls.put(scope, key, record["Order"])

    def _drop_null(self, scope: str, key: str, current: dict | None) -> list[str]:
        order = self.nulls.get(scope, key)
        if order is None:
            return []
        old = self._version_row(scope, key, order)
        self.versions.delete(scope, key + SEPARATOR + order)
        self.nulls.delete(scope, key)
        return [old["File"]] if old and old.get("File") else []

    def replace(self, bucket: dict, record: dict) -> None:
        """Rewrite a version in place (its storage class or restore status changed)."""
        scope, key = bucket["Id"], record["Key"]
        current = self._current(scope, key)
        if current is not None and current["Order"] == record["Order"]:
            self.objects.put(scope, key, pack(record))
        else:
            self.versions.put(scope, key + SEPARATOR + record["Order"], pack(record))

    def remove_version(self, bucket: dict, record: dict) -> list[str]:
        """Delete one version for good; the next newest becomes current. Returns its file."""
        scope, key = bucket["Id"], record["Key"]
        current = self._current(scope, key)
        if current is not None and current["Order"] == record["Order"]:
            self.objects.delete(scope, key)
            current = None
        else:
            self.versions.delete(scope, key + SEPARATOR + record["Order"])
            if record["VersionId"] == "null":
                self.nulls.delete(scope, key)
        if current is None:
            # The newest remaining version becomes current, unless it is a delete marker.
            for row_key, row in self.versions.scan(scope, prefix=key + SEPARATOR, limit=1):
                newest = unpack(key, row)
                if not newest.get("DeleteMarker"):
                    self.versions.delete(scope, row_key)
                    if newest["VersionId"] == "null":
                        self.nulls.delete(scope, key)
                    self.objects.put(scope, key, pack(newest))
        return [record["File"]] if record.get("File") else []

    def remove_files(self, names: list[str]) -> None:
        for name in names:
            self.files.remove(name)

    # -- listings ------------------------------------------------------------------------------

    def scan_current(
        self, bucket: dict, prefix: str, start_after: str | None, limit: int | None = None
    ) -> Iterator[tuple[str, Any]]:
        """(key, row) of current versions in key order, at most `limit`; `listed(key, row)` gives
        what a listing sends."""
        return self.objects.scan(bucket["Id"], prefix=prefix, start_after=start_after, limit=limit)

    def scan_versions(
        self, bucket: dict, prefix: str, start_after: str | None, after_key: str | None = None
    ) -> Iterator[tuple[str, dict]]:
        """Every version of keys under prefix after `start_after` (a row key), in listing order,
        each with IsLatest set."""
        scope = bucket["Id"]
        current = self.objects.scan(scope, prefix=prefix, start_after=start_after)
        older = self.versions.scan(scope, prefix=prefix, start_after=start_after)
        head_current = next(current, None)
        head_older = next(older, None)
        latest_key = after_key  # resuming inside a key: its latest version was on an earlier page
        while True:
            if head_current is not None and (head_older is None or head_current[0] < head_older[0]):
                row_key, row = head_current
                head_current = next(current, None)
                record = unpack(row_key, row)  # a fresh dict
                record["IsLatest"] = True
                latest_key = row_key
                yield row_key, record
            elif head_older is not None:
                row_key, row = head_older
                head_older = next(older, None)
                key = row_key[:-17]  # the key, SEPARATOR, then the 16-digit order
                record = unpack(key, row)
                record["IsLatest"] = key != latest_key
                latest_key = key
                yield row_key, record
            else:
                return  # both scans are done


def version_row_key(record: dict[str, Any], current: bool) -> str:
    return record["Key"] if current else record["Key"] + SEPARATOR + record["Order"]
