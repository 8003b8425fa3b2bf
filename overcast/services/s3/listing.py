"""ListObjects (v1 and v2) and ListObjectVersions: index scans from the first key asked for,
skipping a whole common prefix with one new seek, so a page costs O(page), not O(bucket)."""

from __future__ import annotations

import base64
import binascii
import itertools
from datetime import UTC, datetime
from itertools import islice
from typing import TYPE_CHECKING
from urllib.parse import quote

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.protocols.serializers.xml import RawXml
from overcast.services.s3 import acl as acls
from overcast.services.s3 import entries
from overcast.services.s3.object_ops import is_restored
from overcast.services.s3.objects import SEPARATOR, URL_SAFE, is_version_id, listed, unpack

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.s3.provider import Provider

#: Sorts after every character a key can hold: "p" + this is past every key under prefix "p".
_PAST = "\U0010ffff"
MAX_KEYS = 1000


def _encode_token(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode("utf-8", "surrogatepass")).decode()


def _decode_token(token: str) -> str:
    try:
        if token:  # an empty token names no position
            return base64.urlsafe_b64decode(token.encode()).decode("utf-8", "surrogatepass")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        pass
    raise ServiceError(
        "InvalidArgument",
        "The continuation token provided is incorrect",
        400,
        ArgumentName="continuation-token",
    )


_INT32_MAX = 2147483647


def count_argument(params: dict, member: str, wire: str, default: int, range_name: str | None = None) -> int:
    """A count or marker S3 reads as a 32-bit integer (max-keys, max-parts, part-number-marker...):
    one past an int32 is not an integer to S3, a negative one is out of range."""
    value = params.get(member)
    if value is None:
        return default
    if not -_INT32_MAX - 1 <= value <= _INT32_MAX:
        raise ServiceError(
            "InvalidArgument",
            f"Provided {wire} not an integer or within integer range",
            400,
            ArgumentName=wire,
            ArgumentValue=str(value),
        )
    if value < 0:
        raise ServiceError(
            "InvalidArgument",
            f"Argument {range_name or wire} must be an integer between 0 and {_INT32_MAX}",
            400,
            ArgumentName=wire,
            ArgumentValue=str(value),
        )
    return value


def _max_keys(params: dict) -> int:
    return min(count_argument(params, "MaxKeys", "max-keys", MAX_KEYS, "maxkeys"), MAX_KEYS)


def _check_encoding(params: dict) -> str | None:
    encoding = params.get("EncodingType")
    if encoding is not None and encoding != "url":
        raise ServiceError(
            "InvalidArgument",
            "Invalid Encoding Method specified in Request",
            400,
            ArgumentName="encoding-type",
            ArgumentValue=encoding,
        )
    return encoding


def _url(value: str | None, encoding: str | None) -> str | None:
    if value is None or encoding is None or entries.url_safe(value):
        return value
    return quote(value, safe="/")


def _resume_after(value: str | None, delimiter: str | None, prefix: str = "") -> str | None:
    """Where to start after a marker: past the whole common prefix it is, or lies in (S3 does
    not list again the common prefix a marker falls inside)."""
    if value is None:
        return None
    if delimiter and value.startswith(prefix):
        cut = value.find(delimiter, len(prefix))
        if cut >= 0:
            return value[: cut + len(delimiter)] + _PAST
    return value


class _Page:
    """Walks rows in key order, folding keys that share a prefix up to the delimiter into one
    common prefix and seeking past them. `key_of(row key, record)` is the object key of a row
    (by default the record's "Key")."""

    def __init__(
        self,
        scan,
        prefix: str,
        delimiter: str | None,
        limit: int,
        start_after: str | None,
        key_of=None,
        with_keys: bool = False,
    ) -> None:
        self.scan = scan  # scan(start_after) -> iterator of (row key, record)
        self.prefix = prefix
        self.delimiter = delimiter or None
        self.limit = limit
        self.start_after = start_after
        self.key_of = key_of or _record_key
        self.with_keys = with_keys  # entries are (key, record) rather than records
        self.entries: list = []
        self.prefixes: list[str] = []
        self.truncated = False
        self.last: str | None = None  # the last key or common prefix returned

    def run(self) -> _Page:
        if self.limit == 0:
            return self
        prefix, delimiter, key_of, limit = self.prefix, self.delimiter, self.key_of, self.limit
        append, with_keys = self.entries.append, self.with_keys
        start = self.start_after
        if not delimiter:  # no common prefixes to fold: the page is the next `limit` rows
            rows = self.scan(start)
            taken = list(islice(rows, limit))
            if taken:
                last_key, last_value = taken[-1]
                self.last = last_key if key_of is _row_key else key_of(last_key, last_value)
                self.entries = taken if with_keys else [value for _, value in taken]
            self.truncated = len(taken) == limit and next(rows, None) is not None
            return self
        count = 0
        key = None
        while True:
            rows = self.scan(start)
            restart = None
            for row_key, record in rows:
                key = row_key if key_of is _row_key else key_of(row_key, record)
                if delimiter:
                    cut = key.find(delimiter, len(prefix))
                    if cut >= 0:
                        common = key[: cut + len(delimiter)]
                        if count >= limit:
                            self.truncated = True
                            return self
                        self.prefixes.append(common)
                        self.last = common
                        count += 1
                        restart = common + _PAST
                        break
                if count >= limit:
                    self.truncated = True
                    return self
                append((key, record) if with_keys else record)
                self.last = key
                count += 1
                if count >= limit:
                    self.truncated = next(rows, None) is not None
                    return self
            if restart is None:
                return self
            start = restart

    def tail(self, output: dict, delimiter: str | None, encoding: str | None) -> dict:
        """The members every listing ends with: common prefixes, delimiter, encoding type."""
        if self.prefixes:
            output["CommonPrefixes"] = [{"Prefix": _url(p, encoding)} for p in self.prefixes]
        if delimiter:
            output["Delimiter"] = _url(delimiter, encoding)
        if encoding:
            output["EncodingType"] = encoding
        return output


def _record_key(row_key: str, record: dict) -> str:
    return record["Key"]


def _row_key(row_key: str, entry) -> str:
    return row_key


def _restore_status(restore: dict | None, params: dict) -> dict | None:
    if not restore or "RestoreStatus" not in (params.get("OptionalObjectAttributes") or ()):
        return None
    record = {"Restore": restore}
    restored = is_restored(record)
    status = {"IsRestoreInProgress": not restored and restore["Ready"] > 0}
    if restored:
        status["RestoreExpiryDate"] = datetime.fromtimestamp(restore["Expiry"], UTC)
    return status


class ListingOperations:
    def _object_entry(self: Provider, record: dict, owner: bool, params: dict) -> dict:  # type: ignore[misc]
        entry = {
            "Key": record["Key"],
            "LastModified": record["LastModified"],
            "ETag": record["ETag"],
            "Size": record["Size"],
            "StorageClass": record.get("StorageClass", "STANDARD"),
        }
        if record.get("Checksums"):
            entry["ChecksumAlgorithm"] = list(record["Checksums"])
            entry["ChecksumType"] = record.get("ChecksumType", "FULL_OBJECT")
        if owner:
            entry["Owner"] = acls.owner(record.get("Owner") or "000000000000")
        status = _restore_status(record.get("Restore"), params)
        if status is not None:
            entry["RestoreStatus"] = status
        return entry

    def _contents(self: Provider, page: _Page, owner: bool, params: dict, encoding: str | None) -> RawXml:  # type: ignore[misc]
        """The Contents of a ListObjects(V2) page as XML, spliced into the response as it is:
        each row holds its entry, Key through StorageClass (entries.py)."""
        restore = "RestoreStatus" in (params.get("OptionalObjectAttributes") or ())
        if not owner and not restore:  # the common page: each row's text as it is (objects.listing_text)
            return RawXml(
                "".join(
                    [
                        f"<Contents>{row[4 : 4 + (row[2] << 8 | row[3])].decode()}</Contents>"
                        if row[1] & URL_SAFE or not encoding
                        else self._entry(key, row, False, False, params, encoding)
                        for key, row in page.entries
                    ]
                )
            )
        return RawXml(
            "".join([self._entry(key, row, owner, restore, params, encoding) for key, row in page.entries])
        )

    @staticmethod
    def _entry(key: str, row, owner: bool, restore: bool, params: dict, encoding: str | None) -> str:
        """One `<Contents>` element, from an object's row."""
        listing, owner_id = listed(key, row)
        assert listing is not None  # a current version is never a delete marker: it has its entry
        parts = [f"<Contents>{entries.key_element(key, encoding)}{entries.without_key(listing)}"]
        if owner:
            parts.append(entries.owner(owner_id or "000000000000"))
        if restore:
            status = _restore_status(unpack(key, row).get("Restore"), params)
            if status is not None:
                parts.append(entries.restore_status(status))
        parts.append("</Contents>")
        return "".join(parts)

    def _objects_page(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict, start_after: str | None
    ) -> tuple[dict, _Page, str | None]:
        """The bucket, the page of current versions and the encoding of a ListObjects(V2) request."""
        bucket = self.bucket(context, params["Bucket"])
        encoding = _check_encoding(params)
        limit = _max_keys(params)
        prefix = params.get("Prefix") or ""
        data = self.data
        # Entries are (key, row): compact rows do not hold their key. One scan of a page hands
        # out at most limit + 1 rows (each is listed or ends the scan; the last tells truncation).
        page = _Page(
            lambda after: data.scan_current(bucket, prefix, after, limit + 1),
            prefix,
            params.get("Delimiter"),
            limit,
            start_after,
            _row_key,
            with_keys=True,
        )
        return bucket, page.run(), encoding

    def list_objects_v2(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        token = params.get("ContinuationToken")
        delimiter = params.get("Delimiter")
        if token is not None:
            start_after = _resume_after(_decode_token(token), delimiter, params.get("Prefix") or "")
        else:
            start_after = params.get("StartAfter")
        bucket, page, encoding = self._objects_page(context, params, start_after)
        output = {
            "Name": bucket["Name"],
            "Prefix": _url(params.get("Prefix") or "", encoding),
            "MaxKeys": params.get("MaxKeys", MAX_KEYS),
            "KeyCount": len(page.entries) + len(page.prefixes),
            "IsTruncated": page.truncated,
            "BucketRegion": bucket["Region"],
        }
        contents = self._contents(page, bool(params.get("FetchOwner")), params, encoding)
        if contents:
            output["Contents"] = contents
        page.tail(output, delimiter, encoding)
        if token is not None:
            output["ContinuationToken"] = token
        elif params.get("StartAfter") is not None:  # a token overrides StartAfter, which is then not echoed
            output["StartAfter"] = _url(params["StartAfter"], encoding)
        if page.truncated and page.last is not None:
            output["NextContinuationToken"] = _encode_token(page.last)
        return output

    def list_objects(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        marker = params.get("Marker")
        delimiter = params.get("Delimiter")
        bucket, page, encoding = self._objects_page(
            context, params, _resume_after(marker, delimiter, params.get("Prefix") or "")
        )
        output = {
            "Name": bucket["Name"],
            "Prefix": _url(params.get("Prefix") or "", encoding),
            "Marker": _url(marker or "", encoding),
            "MaxKeys": params.get("MaxKeys", MAX_KEYS),
            "IsTruncated": page.truncated,
            "BucketRegion": bucket["Region"],
        }
        contents = self._contents(page, True, params, encoding)
        if contents:
            output["Contents"] = contents
        page.tail(output, delimiter, encoding)
        if delimiter and page.truncated and page.last is not None:
            output["NextMarker"] = _url(page.last, encoding)
        return output

    def list_object_versions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.bucket(context, params["Bucket"])
        encoding = _check_encoding(params)
        limit = _max_keys(params)
        prefix = params.get("Prefix") or ""
        delimiter = params.get("Delimiter")
        key_marker = params.get("KeyMarker")
        version_marker = params.get("VersionIdMarker")
        after_key = None
        lead: dict | None = None
        if version_marker and not key_marker:
            raise ServiceError(
                "InvalidArgument",
                "A version-id marker cannot be specified without a key marker.",
                400,
                ArgumentName="version-id-marker",
                ArgumentValue=version_marker,
            )
        if key_marker is None:
            start_after = None
        elif version_marker:
            record = self.data.version(bucket, key_marker, version_marker)
            if record is None and version_marker != "null" and len(version_marker) != 32:
                raise ServiceError(
                    "InvalidArgument",
                    "Invalid version id specified",
                    400,
                    ArgumentName="version-id-marker",
                    ArgumentValue=version_marker,
                )
            if record is None and is_version_id(version_marker):
                # A version that is gone still has its place in the key's history (its id
                # carries its order): the listing resumes at the versions older than it, the
                # current one included when it is older (AWS recorded).
                order = version_marker[:16]
                start_after = key_marker + SEPARATOR + order
                after_key = key_marker
                current = self.data.current(bucket, key_marker)
                if current is not None and current["Order"] > order:
                    lead = current
            elif record is None:
                start_after = key_marker + SEPARATOR + _PAST
            else:
                current = self.data.current(bucket, key_marker)
                is_current = current is not None and current["Order"] == record["Order"]
                start_after = key_marker if is_current else key_marker + SEPARATOR + record["Order"]
                after_key = key_marker
        else:
            start_after = _resume_after(key_marker, delimiter, prefix)
            if start_after == key_marker:
                start_after = key_marker + SEPARATOR + _PAST
        data = self.data

        def scan(after):
            rows = data.scan_versions(bucket, prefix, after, after_key if after == start_after else None)
            if lead is None or after != start_after:
                return rows
            return itertools.chain(((key_marker, {**lead, "IsLatest": True}),), rows)

        page = _Page(scan, prefix, delimiter, limit, start_after).run()
        versions, markers = [], []
        for record in page.entries:
            key = _url(record["Key"], encoding)
            owner = acls.owner(record.get("Owner") or bucket["Account"])
            if record.get("DeleteMarker"):
                markers.append(
                    {
                        "Owner": owner,
                        "Key": key,
                        "VersionId": record["VersionId"],
                        "IsLatest": record["IsLatest"],
                        "LastModified": record["LastModified"],
                    }
                )
                continue
            entry = self._object_entry(record, True, params)
            entry["Key"] = key
            entry["VersionId"] = record["VersionId"]
            entry["IsLatest"] = record["IsLatest"]
            versions.append(entry)
        output = {
            "Name": bucket["Name"],
            "Prefix": _url(prefix, encoding),
            "KeyMarker": _url(key_marker or "", encoding),
            "VersionIdMarker": version_marker or "",
            "MaxKeys": params.get("MaxKeys", MAX_KEYS),
            "IsTruncated": page.truncated,
        }
        if versions:
            output["Versions"] = versions
        if markers:
            output["DeleteMarkers"] = markers
        page.tail(output, delimiter, encoding)
        if page.truncated and page.last is not None:
            last_entry = page.entries[-1] if page.entries else None
            if last_entry is not None and last_entry["Key"] == page.last:
                output["NextKeyMarker"] = _url(page.last, encoding)
                output["NextVersionIdMarker"] = last_entry["VersionId"]
            else:
                output["NextKeyMarker"] = _url(page.last, encoding)
        return output
