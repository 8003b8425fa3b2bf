"""An object's ListObjects entry as XML text, rendered when the object is written.

A 1,000-key ListObjects(V2) page is a thousand `<Contents>` elements. Building a dict for each
and handing it to the generic XML writer cost more than everything else of the request, so
each stored row carries the part of its entry that never changes between listings (Key
through StorageClass) already rendered, and whether its key reads the same URL-encoded. A
listing wraps each in `<Contents>`, re-rendering the Key only for a URL-encoded listing of a
key that changes when encoded, adds the Owner and RestoreStatus when they are asked for, and
splices the page into the response as `RawXml`. The text is exactly what the generic writer
would produce.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote

from overcast.protocols.serializers.common import bool_text, iso8601_millis
from overcast.protocols.serializers.xml import escape
from overcast.services.s3 import acl as acls

_URL_SAFE = re.compile(r"[A-Za-z0-9/._~-]*").fullmatch
_KEY_END = "</Key>"


def url_safe(text: str) -> bool:
    """Whether `text` reads the same URL-encoded (it then needs no XML escaping either)."""
    return _URL_SAFE(text) is not None


def shown_key(key: str, encoding: str | None) -> str:
    """A key as a listing shows it: URL-encoded when the request asked, XML-escaped."""
    if encoding and not url_safe(key):
        key = quote(key, safe="/")
    return escape(key)


def key_element(key: str, encoding: str | None = None) -> str:
    return f"<Key>{shown_key(key, encoding)}{_KEY_END}"


def without_key(entry: str) -> str:
    """An entry's text from LastModified on (the Key element cut off)."""
    return entry[entry.index(_KEY_END) + len(_KEY_END) :]


def render(size, etag, last_modified, storage_class, checksums, checksum_type) -> str:
    """An entry's members after the Key: LastModified (a datetime or its wire text) to
    StorageClass, in the model's member order."""
    text = f"<LastModified>{iso8601_millis(last_modified)}</LastModified>"
    if etag is not None:
        text += f"<ETag>{escape(etag)}</ETag>"
    if checksums:
        for name in checksums:
            text += f"<ChecksumAlgorithm>{escape(name)}</ChecksumAlgorithm>"
        text += f"<ChecksumType>{escape(checksum_type or 'FULL_OBJECT')}</ChecksumType>"
    if size is not None:
        text += f"<Size>{size}</Size>"
    return text + f"<StorageClass>{escape(storage_class or 'STANDARD')}</StorageClass>"


def render_record(record: dict, last_modified: str | None = None) -> str | None:
    """A version record's entry, Key (as it is, XML-escaped) through StorageClass
    (`last_modified` its LastModified text, when the caller has it); None for a delete marker,
    which ListObjects never shows."""
    if record.get("DeleteMarker") or record.get("LastModified") is None:
        return None
    return key_element(record["Key"]) + render(
        record.get("Size"),
        record.get("ETag"),
        last_modified or record["LastModified"],
        record.get("StorageClass"),
        record.get("Checksums"),
        record.get("ChecksumType"),
    )


@lru_cache(maxsize=1024)
def owner(owner_id: str) -> str:
    """`<Owner>` of an account or canonical id (few distinct ones: cached)."""
    fields = acls.owner(owner_id)
    text = "".join(
        f"<{name}>{escape(fields[name])}</{name}>" for name in ("DisplayName", "ID") if name in fields
    )
    return f"<Owner>{text}</Owner>"


def restore_status(status: dict) -> str:
    """`<RestoreStatus>` of the status a listing reports (IsRestoreInProgress, RestoreExpiryDate)."""
    text = f"<IsRestoreInProgress>{bool_text(status['IsRestoreInProgress'])}</IsRestoreInProgress>"
    if status.get("RestoreExpiryDate") is not None:
        text += f"<RestoreExpiryDate>{iso8601_millis(status['RestoreExpiryDate'])}</RestoreExpiryDate>"
    return f"<RestoreStatus>{text}</RestoreStatus>"
