"""Object operations: put, get, head, delete, copy, attributes, restore."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import quopri
import re
import time
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, unquote_plus

from overcast.config import tuning
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.s3 import checksums, ssec
from overcast.services.s3.bodies import Body, parse_content_md5, requested_algorithms, take_in
from overcast.services.s3.config import parse_tagging_header
from overcast.services.s3.objects import _MAX, is_version_id
from overcast.services.s3.sealing import SEAL_FIELD, open_body, read_all

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.s3.provider import Provider

MAX_KEY_BYTES = 1024
MAX_METADATA_BYTES = 2048
ARCHIVED = frozenset({"GLACIER", "DEEP_ARCHIVE"})
#: The storage classes of a general purpose bucket (OUTPOSTS, SNOW and EXPRESS_ONEZONE belong
#: to Outposts, Snow devices and directory buckets: S3 refuses them here).
STORAGE_CLASSES = frozenset(
    {
        "STANDARD",
        "REDUCED_REDUNDANCY",
        "STANDARD_IA",
        "ONEZONE_IA",
        "INTELLIGENT_TIERING",
        "GLACIER",
        "DEEP_ARCHIVE",
        "GLACIER_IR",
    }
)
#: Seconds a RestoreObject takes to complete (AWS: minutes to hours); OVERCAST_S3_RESTORE_SECONDS.
RESTORE_SECONDS = tuning("OVERCAST_S3_RESTORE_SECONDS")

#: Request members stored with the object and answered by GET/HEAD under the same name.
CONTENT_FIELDS = (
    "ContentType",
    "ContentEncoding",
    "ContentDisposition",
    "ContentLanguage",
    "CacheControl",
    "Expires",
    "WebsiteRedirectLocation",
)
#: Settings the configuration half adds (encryption, object lock), answered as stored.
DEFAULT_FIELDS = (
    "ServerSideEncryption",
    "SSEKMSKeyId",
    "BucketKeyEnabled",
    "SSECustomerAlgorithm",
    "SSECustomerKeyMD5",
    "SSEKMSEncryptionContext",
)
#: response-* parameters: the output member each sets, and its query parameter.
_RESPONSE_OVERRIDES = {
    "ResponseContentType": ("ContentType", "response-content-type"),
    "ResponseContentLanguage": ("ContentLanguage", "response-content-language"),
    "ResponseExpires": ("Expires", "response-expires"),
    "ResponseCacheControl": ("CacheControl", "response-cache-control"),
    "ResponseContentDisposition": ("ContentDisposition", "response-content-disposition"),
    "ResponseContentEncoding": ("ContentEncoding", "response-content-encoding"),
}


#: The last second now() answered, and its datetime (immutable, so shared by every write in it).
_second: tuple[int, datetime] = (-1, datetime.min.replace(tzinfo=UTC))


def now() -> datetime:
    # S3 keeps LastModified (and upload and part times) to the second: listings show .000Z.
    # Building an aware datetime costs a write more than the rest of its timekeeping: one per
    # second does.
    global _second
    whole = int(time.time())
    last = _second
    if last[0] == whole:
        return last[1]
    moment = datetime.fromtimestamp(whole, UTC)
    _second = (whole, moment)
    return moment


def checksum_mode(params: dict) -> bool:
    """x-amz-checksum-mode: ENABLED, in any case (S3 reads "enabled" too)."""
    return (params.get("ChecksumMode") or "").upper() == "ENABLED"


def written_since(record: dict, upload: dict) -> bool:
    """Whether a version was written after the upload began. Both carry the clock at the
    nanosecond (a version's order counts down from _MAX; an upload id starts with the time in
    hex), where their times are whole seconds."""
    try:
        started = int(upload["UploadId"][:16], 16)
        written = _MAX - int(record["Order"], 16)
    except (KeyError, ValueError):
        return record["LastModified"] >= upload["Initiated"]
    return written > started


def shows_version(bucket: dict, version_id: str) -> bool:
    """Whether a read or copy names the version: always a real one; the null version only in
    a bucket that has versioning (enabled or suspended), as S3 sends x-amz-version-id: null."""
    return version_id != "null" or bool(bucket.get("Versioning"))


def well_formed_version(version_id: str) -> bool:
    """Whether a version id could name a version here ("null" or one of ours); S3 refuses
    others as invalid rather than missing."""
    return version_id == "null" or is_version_id(version_id)


def invalid_version(version_id: str) -> ServiceError:
    return ServiceError(
        "InvalidArgument",
        "Invalid version id specified",
        400,
        ArgumentName="versionId",
        ArgumentValue=version_id,
    )


def no_such_version(key: str, version_id: str) -> ServiceError:
    return ServiceError(
        "NoSuchVersion", "The specified version does not exist.", 404, Key=key, VersionId=version_id
    )


def no_such_key(key: str) -> ServiceError:
    return ServiceError("NoSuchKey", "The specified key does not exist.", 404, Key=key)


def _delete_marker_headers(marker: dict) -> dict[str, str]:
    return {"x-amz-delete-marker": "true", "x-amz-version-id": marker["VersionId"]}


def precondition_failed(condition: str) -> ServiceError:
    return ServiceError(
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        412,
        Condition=condition,
    )


def unsupported_condition(header: str, why: str | None = None) -> ServiceError:
    return ServiceError(
        "NotImplemented",
        "A header you provided implies functionality that is not implemented",
        501,
        Header=header,
        additionalMessage=why or f"We don't accept the provided value of {header} header for this API",
    )


def conditional_conflict(condition: str, key: str) -> ServiceError:
    return ServiceError(
        "ConditionalRequestConflict",
        "The conditional request cannot succeed due to a conflicting operation against this resource.",
        409,
        Condition=condition,
        Key=key,
    )


def not_modified(record: dict) -> ServiceError:
    # A 304 carries the validators a cache revalidates with (RFC 9110 15.4.5), as S3's does.
    error = ServiceError("NotModified", "Not Modified", 304)
    error.headers = {
        "ETag": record["ETag"],
        "Last-Modified": format_datetime(record["LastModified"], usegmt=True),
    }
    return error


def invalid_object_state(record: dict) -> ServiceError:
    return ServiceError(
        "InvalidObjectState",
        "The operation is not valid for the object's storage class",
        403,
        StorageClass=record.get("StorageClass", "STANDARD"),
    )


def _etag_matches(condition: str, etag: str) -> bool:
    for item in condition.split(","):
        item = item.strip()
        if item == "*" or item.strip('"') == etag.strip('"'):
            return True
    return False


def _seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def check_conditions(record: dict, params: dict, prefix: str = "") -> None:
    """If-Match / If-Unmodified-Since (412) then If-None-Match / If-Modified-Since (304), as S3
    combines them (RFC 7232 with S3's documented precedence). `prefix` "CopySource" reads the
    copy-source conditions, which fail with 412 in all four cases."""
    if_match = params.get(f"{prefix}IfMatch")
    if_none_match = params.get(f"{prefix}IfNoneMatch")
    unmodified_since = params.get(f"{prefix}IfUnmodifiedSince")
    modified_since = params.get(f"{prefix}IfModifiedSince")
    if if_match is None and if_none_match is None and unmodified_since is None and modified_since is None:
        return  # the usual read: nothing to compare
    etag, modified = record["ETag"], _seconds(record["LastModified"])
    named = "x-amz-copy-source-" if prefix else ""
    if if_match is not None:
        if not _etag_matches(if_match, etag):
            raise precondition_failed(f"{named}If-Match")
    elif unmodified_since is not None and modified > unmodified_since:
        raise precondition_failed(f"{named}If-Unmodified-Since")
    if if_none_match is not None:
        if _etag_matches(if_none_match, etag):
            if prefix:
                raise precondition_failed("x-amz-copy-source-If-None-Match")
            raise not_modified(record)
    elif modified_since is not None and modified <= modified_since and modified_since <= now():
        if prefix:
            raise precondition_failed("x-amz-copy-source-If-Modified-Since")
        raise not_modified(record)


def parse_range(text: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a `bytes=` range, None to send the whole object (S3 ignores a
    range it cannot parse); InvalidRange when it cannot be satisfied."""
    unit, _, spec = text.strip().partition("=")
    if unit.strip() != "bytes" or "," in spec:
        return None
    first_text, dash, last_text = spec.strip().partition("-")
    if not dash:
        return None
    try:
        if first_text == "":
            suffix = int(last_text)
            if suffix <= 0 or size == 0:
                raise _invalid_range(text, size)
            return max(0, size - suffix), size - 1
        first = int(first_text)
        last = int(last_text) if last_text else size - 1
    except ValueError:
        return None
    if first < 0 or (last_text and last < first):
        return None
    if first >= size:
        raise _invalid_range(text, size)
    return first, min(last, size - 1)


def _invalid_range(text: str, size: int) -> ServiceError:
    return ServiceError(
        "InvalidRange",
        "The requested range is not satisfiable",
        416,
        RangeRequested=text,
        ActualObjectSize=str(size),
    )


def _names_version(source) -> bool:
    if isinstance(source, dict):
        return bool(source.get("VersionId"))
    return "versionId=" in str(source)


def sequencer(record: dict) -> str:
    return format(_MAX - int(record["Order"], 16), "016X")


def event_object(record: dict) -> dict:
    return {
        "Key": record["Key"],
        "Size": record.get("Size", 0),
        "ETag": record.get("ETag"),
        "VersionId": record["VersionId"],
        "Sequencer": sequencer(record),
        "LastModified": record["LastModified"],
        "StorageClass": record.get("StorageClass", "STANDARD"),
    }


def restore_header(record: dict) -> str | None:
    restore = record.get("Restore")
    if not restore:
        return None
    if time.time() < restore["Ready"]:
        return 'ongoing-request="true"'
    expiry = datetime.fromtimestamp(restore["Expiry"], UTC)
    return f'ongoing-request="false", expiry-date="{format_datetime(expiry, usegmt=True)}"'


def is_restored(record: dict) -> bool:
    restore = record.get("Restore")
    if not restore:
        return False
    return restore["Ready"] <= time.time() < restore["Expiry"]


def check_key(key: str) -> None:
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise ServiceError(
            "KeyTooLongError",
            "Your key is too long",
            400,
            MaxSizeAllowed=str(MAX_KEY_BYTES),
            Size=str(len(key.encode("utf-8", "surrogatepass"))),
        )


def check_metadata(metadata: dict | None) -> None:
    if not metadata:
        return
    size = sum(len(name.encode()) + len(str(value).encode()) for name, value in metadata.items())
    if size > MAX_METADATA_BYTES:
        raise ServiceError(
            "MetadataTooLarge",
            "Your metadata headers exceed the maximum allowed metadata size.",
            400,
            Size=str(size),
            MaxSizeAllowed=str(MAX_METADATA_BYTES),
        )


#: Text an HTTP header carries as it is (printable US-ASCII and tab), and what one can carry at
#: all (ISO-8859-1 without control characters).
_PLAIN_HEADER = re.compile(r"[\t\x20-\x7e]*").fullmatch
_HEADER_TEXT = re.compile(r"[\t\x20-\x7e\x80-\xff]*").fullmatch
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]").search


def mail_safe(value: str) -> str:
    """A metadata value that arrived as Unicode (a browser upload's field, a presigned URL's
    query), as S3 keeps and returns it: as it is if plain ASCII, else RFC 2047-encoded UTF-8,
    Q-encoded while mostly ASCII, else (or when it holds control characters) B-encoded."""
    if _PLAIN_HEADER(value):
        return value
    data = value.encode("utf-8", "surrogatepass")
    non_ascii = sum(1 for char in value if ord(char) > 0x7E)
    if _CONTROL(value) or non_ascii >= len(value) - non_ascii:
        return f"=?UTF-8?B?{base64.b64encode(data).decode()}?="
    text = "".join(
        "_" if byte == 0x20 else chr(byte) if 0x20 < byte < 0x7F and byte not in b"=?_" else f"={byte:02X}"
        for byte in data
    )
    return f"=?UTF-8?Q?{text}?="


_ENCODED_WORD = re.compile(r"^=\?UTF-8\?([BQ])\?(.*)\?=$", re.IGNORECASE)
_COPY_SOURCE_URL = re.compile(r"https?://", re.IGNORECASE).match


def decoded_metadata(metadata: dict[str, str]) -> dict[str, str]:
    """User metadata as S3 keeps it: a value sent as one RFC 2047 encoded-word is decoded,
    then kept as any value is (plain if ASCII, else encoded again by mail_safe)."""
    if not any(value.startswith("=?") for value in metadata.values()):
        return metadata
    kept = {}
    for name, value in metadata.items():
        match = _ENCODED_WORD.match(value)
        if match is not None:
            try:
                if match.group(1).upper() == "B":
                    data = base64.b64decode(match.group(2), validate=True)
                else:
                    data = quopri.decodestring(match.group(2).replace("_", " ").encode(), header=True)
                value = mail_safe(data.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                pass  # not a well-formed encoded-word: kept as sent
        kept[name] = value
    return kept


def header_text(value: str) -> str:
    """A system header's value that arrived as Unicode, as S3 keeps it: what ISO-8859-1 cannot
    carry, and control characters, become spaces."""
    if _HEADER_TEXT(value):
        return value
    return "".join(ch if _HEADER_TEXT(ch) else " " for ch in value)


def check_response_override(wire: str, value) -> None:
    """A response-* parameter becomes a response header: text no header can carry is refused."""
    if value.__class__ is str and not _HEADER_TEXT(value):
        message = (
            "Header value cannot contain control characters."
            if _CONTROL(value)
            else "Header value cannot be represented using ISO-8859-1."
        )
        raise ServiceError("InvalidArgument", message, 400, ArgumentName=wire, ArgumentValue=value)


def check_storage_class(value: str | None) -> None:
    if value is not None and value not in STORAGE_CLASSES:
        raise ServiceError(
            "InvalidStorageClass",
            "The storage class you specified is not valid",
            400,
            StorageClassRequested=value,
        )


def declared_checksums(params: dict, headers: dict[str, str]) -> dict[str, str]:
    """Request headers with the checksum members the parser took from trailers folded in."""
    merged = headers
    for _, member, header in checksums.FIELDS:
        value = params.get(member)
        if value is not None and header not in headers:
            if merged is headers:
                merged = dict(headers)
            merged[header] = value
    return merged


def checksum_output(record: dict) -> dict:
    output = {}
    for name, value in (record.get("Checksums") or {}).items():
        output[f"Checksum{name}"] = value
    if output:
        output["ChecksumType"] = record.get("ChecksumType", "FULL_OBJECT")
    return output


def _span_checksums(output: dict, record: dict, params: dict, first: int, last: int) -> None:
    """Checksums of a GET/HEAD of part of an object: a part of a multipart object gets that
    part's; a range keeps the object's only when it covers the whole object (as S3 answers)."""
    if "ChecksumType" not in output:
        return
    part = params.get("PartNumber")
    part_checksums = record.get("PartChecksums")
    if record.get("ChecksumType") == "FULL_OBJECT":
        part_checksums = None  # a part of a full-object sum has none of its own to give
    if part is not None and part_checksums and part <= len(part_checksums):
        for name in checksums.ALGORITHMS:
            output.pop(f"Checksum{name}", None)
        output.update({f"Checksum{name}": value for name, value in part_checksums[part - 1].items()})
    elif not (first == 0 and last == record["Size"] - 1):
        for name in checksums.ALGORITHMS:
            output.pop(f"Checksum{name}", None)
        output.pop("ChecksumType", None)


def _remove_files(data, names: list[str]) -> None:
    """Remove replaced bodies once their rows are gone (an after_commit callback: never raises)."""
    try:
        data.remove_files(names)
    except OSError as error:
        log.warning("could not remove replaced object bodies %s: %s", names, error)


class ObjectOperations:
    # -- writes --------------------------------------------------------------------------------

    def new_record(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        bucket: dict,
        params: dict,
        body: Body,
        metadata: dict | None = None,
    ) -> dict:
        order, version_id = self.data.new_version(bucket.get("Versioning") == "Enabled")
        record = {
            "Key": params["Key"],
            "Order": order,
            "VersionId": version_id,
            "Size": body.size,
            "ETag": f'"{body.md5}"',
            "LastModified": now(),
            "Owner": context.account,
        }
        for name in CONTENT_FIELDS:
            value = params.get(name)
            if value is not None:
                record[name] = value
        record.setdefault("ContentType", "binary/octet-stream")
        if metadata is not None:
            if metadata:
                record["Metadata"] = metadata
        elif params.get("Metadata"):
            given = params["Metadata"]
            # Header metadata is decoded; a form upload's fields are kept as mail_safe made them.
            record["Metadata"] = given if context.extra.get("s3_created_event") else decoded_metadata(given)
        storage_class = params.get("StorageClass")
        if storage_class and storage_class != "STANDARD":
            record["StorageClass"] = storage_class
        if body.checksums:
            record["Checksums"] = body.checksums
        record.update(body.record_fields())
        return record

    def commit_version(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        bucket: dict,
        record: dict,
        event: str,
        bypass_governance: bool = False,
        grouped: bool = False,
    ) -> asyncio.Future[None] | None:
        """Make record the key's newest version; a replaced null version's lock is checked first.
        Its event notifications are enqueued in the transaction that writes it: a crash loses
        both or neither. `grouped`: the writes join the event loop's group commit, and the
        caller awaits what this returns before it answers."""
        announce = self.wants_events(bucket)
        # Never versioned and no object lock: the key's one row is replaced, and of the version
        # it held only the body file matters. (That one row alone needs no transaction.)
        replace_only = (
            bucket.get("Versioning") is None
            and not record.get("DeleteMarker")
            and self.lock_configuration(bucket) is None
        )
        current = None
        if not replace_only:
            current = self.data.current(bucket, record["Key"])
            if record["VersionId"] == "null":
                replaced = self.data.null_version(bucket, record["Key"], current)
                if replaced is not None and not replaced.get("DeleteMarker"):
                    self.check_object_lock(context, bucket, replaced, bypass_governance)
        if grouped:
            # Replacing the key's one row is the block's one write (the row it replaces is
            # only read); versions and notifications write more.
            single = replace_only and not announce
            block: AbstractContextManager[asyncio.Future[None] | None] = self.store.grouped(single)
        elif announce or not replace_only:
            block = self.store.transaction()
        else:
            block = nullcontext()
        with block as committed:
            if replace_only:
                garbage = self.data.replace_current(bucket, record)
            else:
                garbage = self.data.put_version(bucket, record, current)
            if announce:
                self.object_event(context, bucket, event, event_object(record))
            if garbage:
                # The replaced bodies go once no committed row points at them.
                self.store.after_commit(partial(_remove_files, self.data, garbage))
        return committed

    def _check_write_conditions(  # type: ignore[misc]
        self: Provider, bucket: dict, params: dict, upload: dict | None = None
    ) -> None:
        """If-None-Match: * and If-Match: <etag> on a write. For CompleteMultipartUpload
        (`upload`), a write or delete of the key since the upload began makes a condition that
        would otherwise hold a ConditionalRequestConflict, as S3 answers."""
        if_none_match, if_match = params.get("IfNoneMatch"), params.get("IfMatch")
        if if_none_match is None and if_match is None:
            return
        if if_none_match is not None and if_match is not None:
            raise unsupported_condition(
                "If-Match,If-None-Match", "Multiple conditional request headers present in the request"
            )
        if if_none_match is not None and if_none_match.strip() != "*":
            raise unsupported_condition("If-None-Match")
        if if_match is not None and if_match.strip() == "*":
            raise unsupported_condition("If-Match")
        current = self.data.current(bucket, params["Key"])
        if if_none_match is not None:
            if current is not None:
                raise precondition_failed("If-None-Match")
            if upload is not None and upload.get("KeyChanged"):
                raise conditional_conflict("If-None-Match", params["Key"])
            return
        if current is None:
            raise no_such_key(params["Key"])
        if if_match is None or not _etag_matches(if_match, current["ETag"]):
            raise precondition_failed("If-Match")
        if upload is not None and (upload.get("KeyChanged") or written_since(current, upload)):
            raise conditional_conflict("If-Match", params["Key"])

    async def put_object(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.bucket(context, params["Bucket"])
        key = params["Key"]
        check_key(key)
        check_metadata(params.get("Metadata"))
        check_storage_class(params.get("StorageClass"))
        content_md5 = parse_content_md5(params.get("ContentMD5"))
        self._check_write_conditions(bucket, params)
        defaults = self.object_defaults(context, bucket, params)
        headers = context.request.headers
        algorithms = requested_algorithms(params, headers) or checksums.default_algorithms()
        body = await take_in(
            params.get("Body"),
            declared_checksums(params, headers),
            self.data.files,
            algorithms,
            content_md5,
            key=self.body_key(bucket, defaults, params),
        )
        try:
            self._check_write_conditions(bucket, params)  # again: another write may have landed meanwhile
        except ServiceError:
            self.data.files.remove(body.file)
            raise
        record = self.new_record(context, bucket, params, body)
        if defaults:
            record.update(defaults)
        # A browser-based (form POST) upload is ObjectCreated:Post.
        event = context.extra.get("s3_created_event", "ObjectCreated:Put")
        try:
            committed = self.commit_version(
                context,
                bucket,
                record,
                event,
                params.get("BypassGovernanceRetention", False),
                grouped=self.store.can_group(),
            )
            if committed is not None:
                await committed
        except Exception:  # e.g. the disk is full: no row points at the body, so it goes
            self.data.files.remove(body.file)
            raise
        output = self.write_output(record)
        tags = parse_tagging_header(params["Tagging"]) if params.get("Tagging") else []
        expiration = self.expiration_header(bucket, record, tags)
        if expiration:
            output["Expiration"] = expiration
        return output

    @staticmethod
    def write_output(record: dict) -> dict:
        output = {"ETag": record["ETag"], **checksum_output(record)}
        # A write does not name the null version it made, even in a suspended bucket.
        if record["VersionId"] != "null":
            output["VersionId"] = record["VersionId"]
        for name in DEFAULT_FIELDS:
            if record.get(name) is not None:
                output[name] = record[name]
        return output

    # -- reads ---------------------------------------------------------------------------------

    def find_version(  # type: ignore[misc]
        self: Provider, bucket: dict, key: str, version_id: str | None, method: str = "GET"
    ) -> dict:
        """The version asked for; NoSuchKey / NoSuchVersion / MethodNotAllowed (a delete marker
        asked for by id) as S3 answers."""
        if version_id is None:
            record = self.data.current(bucket, key)
            if record is None:
                raise self._missing_key(bucket, key)
            return record
        record = self.data.version(bucket, key, version_id)
        if record is None:
            if not well_formed_version(version_id):
                raise invalid_version(version_id)
            raise no_such_version(key, version_id)
        if record.get("DeleteMarker"):
            error = ServiceError(
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
                405,
                Method=method,
                ResourceType="DeleteMarker",
            )
            error.headers = {
                **_delete_marker_headers(record),
                "Allow": "DELETE",
                "Last-Modified": format_datetime(record["LastModified"], usegmt=True),
            }
            raise error
        return record

    def _missing_key(self: Provider, bucket: dict, key: str) -> ServiceError:  # type: ignore[misc]
        """NoSuchKey; when the key's newest version is a delete marker, S3 says so in headers."""
        error = no_such_key(key)
        if bucket.get("Versioning"):
            latest = self.data.latest(bucket, key)
            if latest is not None and latest.get("DeleteMarker"):
                error.headers = _delete_marker_headers(latest)
        return error

    def read_output(  # type: ignore[misc]
        self: Provider, context: RequestContext, bucket: dict, record: dict, params: dict
    ) -> dict:
        output = {
            "AcceptRanges": "bytes",
            "LastModified": record["LastModified"],
            "ContentLength": record["Size"],
            "ETag": record["ETag"],
        }
        if shows_version(bucket, record["VersionId"]):
            output["VersionId"] = record["VersionId"]
        for name in CONTENT_FIELDS:
            value = record.get(name)
            if value is not None:
                output[name] = value
        for name in DEFAULT_FIELDS:
            value = record.get(name)
            if value is not None:
                output[name] = value
        if record.get("Metadata"):
            output["Metadata"] = record["Metadata"]
        if record.get("StorageClass"):
            output["StorageClass"] = record["StorageClass"]
        if record.get("PartSizes"):
            output["PartsCount"] = len(record["PartSizes"]) if params.get("PartNumber") else None
            if output["PartsCount"] is None:
                del output["PartsCount"]
        restore = restore_header(record)
        if restore:
            output["Restore"] = restore
        if params.get("VersionId") is None:
            expiration = self.expiration_header(bucket, record)
            if expiration:
                output["Expiration"] = expiration
        if checksum_mode(params):
            output.update(checksum_output(record))
        fields = self.object_read_fields(context, bucket, record)
        if fields:
            output.update(fields)
        for member, (field, wire) in _RESPONSE_OVERRIDES.items():
            if params.get(member) is not None:
                check_response_override(wire, params[member])
                output[field] = params[member]
        return output

    def _read_target(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict, method: str
    ) -> tuple[dict, dict, bytes | None]:
        """The bucket, the version read and, for a GET, the key its body is sealed under."""
        bucket = self.bucket(context, params["Bucket"])
        record = self.find_version(bucket, params["Key"], params.get("VersionId"), method)
        ssec.check_read(record, params)
        # A key disabled or deleted since refuses the read; the body is opened with it.
        key = self.body_key(bucket, record, params) if method == "GET" else None
        if record.get("StorageClass") in ARCHIVED and method == "GET" and not is_restored(record):
            raise invalid_object_state(record)
        check_conditions(record, params)
        return bucket, record, key

    def _span(self: Provider, record: dict, params: dict) -> tuple[int, int] | None:  # type: ignore[misc]
        """The (first, last) bytes a Range or PartNumber selects, or None for all."""
        size = record["Size"]
        part = params.get("PartNumber")
        if part is not None and params.get("Range"):
            raise ServiceError(
                "InvalidRequest", "Cannot specify both Range header and partNumber query parameter", 400
            )
        if part is not None:
            sizes = record.get("PartSizes") or [size]
            if part < 1 or part > len(sizes):
                raise ServiceError(
                    "InvalidPartNumber",
                    "The requested partnumber is not satisfiable",
                    416,
                    PartNumberRequested=str(part),
                    ActualPartCount=str(len(sizes)),
                )
            if "PartSizes" not in record:
                # An object uploaded whole is its own part 1, still answered as a part (206).
                return (0, size - 1) if size else None
            first = sum(sizes[: part - 1])
            return first, first + sizes[part - 1] - 1
        text = params.get("Range")
        if text:
            return parse_range(text, size)
        return None

    def get_object(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket, record, key = self._read_target(context, params, "GET")
        output = self.read_output(context, bucket, record, params)
        span = self._span(record, params)
        size = record["Size"]
        if span is not None:
            first, last = span
            output["ContentRange"] = f"bytes {first}-{last}/{size}"
            output["ContentLength"] = last - first + 1
            _span_checksums(output, record, params, first, last)
        else:
            first, last = 0, size - 1
        if params.get("PartNumber") is not None and record.get("PartSizes"):
            output["PartsCount"] = len(record["PartSizes"])
        data = record.get("Data")
        if data is not None and span is None and SEAL_FIELD not in record:
            output["Body"] = data
        else:
            output["Body"] = open_body(self.data.files, record, key, first, last - first + 1)
        return output

    def head_object(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket, record, _ = self._read_target(context, params, "HEAD")
        output = self.read_output(context, bucket, record, params)
        span = self._span(record, params)
        if span is not None:
            first, last = span
            output["ContentRange"] = f"bytes {first}-{last}/{record['Size']}"
            output["ContentLength"] = last - first + 1
            _span_checksums(output, record, params, first, last)
        if params.get("PartNumber") is not None and record.get("PartSizes"):
            output["PartsCount"] = len(record["PartSizes"])
        return output

    def get_object_attributes(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.bucket(context, params["Bucket"])
        record = self.find_version(bucket, params["Key"], params.get("VersionId"), "GET")
        ssec.check_read(record, params)
        wanted = set(params.get("ObjectAttributes") or [])
        output = {"LastModified": record["LastModified"]}
        if shows_version(bucket, record["VersionId"]):
            output["VersionId"] = record["VersionId"]
        if "ETag" in wanted:
            output["ETag"] = record["ETag"].strip('"')
        if "Checksum" in wanted and record.get("Checksums"):
            # A composite checksum is given without its "-<parts>" suffix here (the parts are
            # listed under ObjectParts), unlike on GET/HEAD.
            output["Checksum"] = {
                name: value.split("-", 1)[0] if name.startswith("Checksum") else value
                for name, value in checksum_output(record).items()
            }
        if "StorageClass" in wanted:
            output["StorageClass"] = record.get("StorageClass", "STANDARD")
        if "ObjectSize" in wanted:
            output["ObjectSize"] = record["Size"]
        if "ObjectParts" in wanted and record.get("PartSizes"):
            output["ObjectParts"] = self._object_parts(record, params)
        return output

    @staticmethod
    def _object_parts(record: dict, params: dict) -> dict:
        sizes = record["PartSizes"]
        if record.get("ChecksumType") != "COMPOSITE":
            # Parts are listed only where their checksums make the object's (S3 answers the
            # count alone for an object without checksums or with a full-object one).
            return {"TotalPartsCount": len(sizes)}
        marker = params.get("PartNumberMarker") or 0
        limit = params.get("MaxParts") or 1000
        numbers = list(range(marker + 1, len(sizes) + 1))[:limit]
        part_checksums = record.get("PartChecksums") or []
        parts = []
        for number in numbers:
            part = {"PartNumber": number, "Size": sizes[number - 1]}
            if part_checksums and part_checksums[number - 1]:
                part.update({f"Checksum{name}": value for name, value in part_checksums[number - 1].items()})
            parts.append(part)
        result = {
            "TotalPartsCount": len(sizes),
            "PartNumberMarker": marker,
            "MaxParts": limit,
            "IsTruncated": bool(numbers) and numbers[-1] < len(sizes),
            "Parts": parts,
        }
        result["NextPartNumberMarker"] = numbers[-1] if numbers else 0
        return result

    # -- deletes -------------------------------------------------------------------------------

    def delete_object(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.bucket(context, params["Bucket"])
        self._check_bypass_header(bucket, params)
        return self._delete_key(
            context,
            bucket,
            params["Key"],
            params.get("VersionId"),
            params.get("BypassGovernanceRetention", False),
            params.get("IfMatch"),
        )

    def _check_bypass_header(self: Provider, bucket: dict, params: dict) -> None:  # type: ignore[misc]
        """x-amz-bypass-governance-retention, true or false, only where object lock is on."""
        if params.get("BypassGovernanceRetention") is not None and self.lock_configuration(bucket) is None:
            raise ServiceError(
                "InvalidArgument",
                "x-amz-bypass-governance-retention is only applicable to Object Lock enabled buckets.",
                400,
                ArgumentName="x-amz-bypass-governance-retention",
            )

    def _delete_key(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        bucket: dict,
        key: str,
        version_id: str | None,
        bypass: bool,
        if_match: str | None = None,
        strict_version: bool = False,
    ) -> dict:
        if if_match is not None:
            current = self.data.current(bucket, key)
            if current is None:
                raise no_such_key(key)
            if not _etag_matches(if_match, current["ETag"]):
                raise precondition_failed("If-Match")
        if version_id is not None:
            record = self.data.version(bucket, key, version_id)
            if record is None:
                if not well_formed_version(version_id):
                    # An id that cannot be one: DeleteObjects reports NoSuchVersion for the key,
                    # DeleteObject refuses it.
                    if strict_version:
                        raise no_such_version(key, version_id)
                    raise invalid_version(version_id)
                return {"VersionId": version_id}  # gone already: deleting it again succeeds
            if not record.get("DeleteMarker"):
                self.check_object_lock(context, bucket, record, bypass)
            with self.store.transaction():
                garbage = self.data.remove_version(bucket, record)
                self.object_event(context, bucket, "ObjectRemoved:Delete", event_object(record))
            self.data.remove_files(garbage)
            output: dict[str, Any] = {"VersionId": version_id}
            if record.get("DeleteMarker"):
                output["DeleteMarker"] = True
            return output
        versioning = bucket.get("Versioning")
        if not versioning:
            record = self.data.current(bucket, key)
            if record is None:
                if strict_version:
                    # DeleteObjects announces every key it was given, deleted or never there.
                    with self.store.transaction():
                        self.object_event(context, bucket, "ObjectRemoved:Delete", {"Key": key})
                return {}
            self.check_object_lock(context, bucket, record, bypass)
            with self.store.transaction():
                garbage = self.data.remove_version(bucket, record)
                self.object_event(context, bucket, "ObjectRemoved:Delete", event_object(record))
                self.note_key_changed(bucket, key)
            self.data.remove_files(garbage)
            return {}
        order, new_id = self.data.new_version(versioning == "Enabled")
        marker = {
            "Key": key,
            "Order": order,
            "VersionId": new_id,
            "DeleteMarker": True,
            "LastModified": now(),
            "Owner": context.account,
        }
        self.commit_version(context, bucket, marker, "ObjectRemoved:DeleteMarkerCreated", bypass)
        self.note_key_changed(bucket, key)
        return {"DeleteMarker": True, "VersionId": new_id}

    def delete_objects(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.bucket(context, params["Bucket"])
        request = params.get("Delete") or {}
        items = request.get("Objects") or []
        if len(items) > 1000:
            raise ServiceError(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
                400,
            )
        quiet = request.get("Quiet", False)
        self._check_bypass_header(bucket, params)
        bypass = params.get("BypassGovernanceRetention", False)
        deleted, errors = [], []
        authorize = self.item_authorizer(context)
        for item in items:
            key, version_id = item["Key"], item.get("VersionId")
            if authorize is not None:
                # S3 authorizes DeleteObjects key by key: a denied key is one of its Errors.
                action = "s3:DeleteObjectVersion" if version_id else "s3:DeleteObject"
                denied = authorize(action, bucket, key, {"Bucket": bucket["Name"], "Key": key})
                if denied is not None:
                    errors.append(
                        {
                            "Key": key,
                            "Code": denied.code,
                            "Message": denied.message,
                            **({"VersionId": version_id} if version_id else {}),
                        }
                    )
                    continue
            try:
                result = self._delete_key(
                    context, bucket, key, version_id, bypass, item.get("ETag"), strict_version=True
                )
            except ServiceError as error:
                errors.append(
                    {
                        "Key": key,
                        "Code": error.code,
                        "Message": error.message,
                        **({"VersionId": version_id} if version_id else {}),
                    }
                )
                continue
            if quiet:
                continue
            entry = {"Key": key}
            if version_id:
                entry["VersionId"] = version_id
                if result.get("DeleteMarker"):
                    entry["DeleteMarker"] = True
                    entry["DeleteMarkerVersionId"] = version_id
            elif result.get("DeleteMarker"):
                entry["DeleteMarker"] = True
                entry["DeleteMarkerVersionId"] = result["VersionId"]
            deleted.append(entry)
        output = {}
        if deleted:
            output["Deleted"] = deleted
        if errors:
            output["Errors"] = errors
        return output

    # -- copy ----------------------------------------------------------------------------------

    def copy_source(self: Provider, context: RequestContext, source: str | dict) -> tuple[dict, dict]:  # type: ignore[misc]
        """The (bucket, version record) an x-amz-copy-source names."""
        if isinstance(source, dict):
            name, key, version_id = source.get("Bucket"), source.get("Key"), source.get("VersionId")
        else:
            text = str(source)
            if _COPY_SOURCE_URL(text):
                # A whole URL of the source (path style) is taken for its path, as S3 takes it.
                text = "/" + text.split("//", 1)[1].partition("/")[2]
            path, _, query = text.partition("?")
            path = unquote_plus(path).lstrip("/")  # "+" is a space there, as forms write it
            name, _, key = path.partition("/")
            version_id = None
            if query:
                for pair in query.split("&"):
                    field, _, value = pair.partition("=")
                    if field == "versionId":
                        version_id = unquote(value)
        if not name or not key:
            raise ServiceError(
                "InvalidArgument",
                "Invalid copy source object key",
                400,
                # S3 names the header as both argument name and value.
                ArgumentName="x-amz-copy-source",
                ArgumentValue="x-amz-copy-source",
            )
        bucket = self.bucket(context, name)
        record = self.find_version(bucket, key, version_id, "GET")
        if record.get("StorageClass") in ARCHIVED and not is_restored(record):
            raise ServiceError(
                "InvalidObjectState",
                "Operation is not valid for the source object's storage class",
                403,
                StorageClass=record["StorageClass"],
            )
        return bucket, record

    def copy_body(self: Provider, record: dict) -> tuple[bytes | None, str | None]:  # type: ignore[misc]
        """A new home for a version's body (inline bytes, or a hard link to its file)."""
        if record.get("Data") is not None:
            return record["Data"], None
        if record.get("File"):
            return None, self.data.files.copy(record["File"])
        return None, None

    def copy_object(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.bucket(context, params["Bucket"])
        key = params["Key"]
        check_key(key)
        check_storage_class(params.get("StorageClass"))
        source_bucket, source = self.copy_source(context, params["CopySource"])
        ssec.check_read(source, params, "CopySource")
        source_key = self.body_key(source_bucket, source, params, "CopySource")  # refused if unusable
        check_conditions(source, params, "CopySource")
        directive = params.get("MetadataDirective", "COPY")
        if directive not in ("COPY", "REPLACE"):
            raise ServiceError(
                "InvalidArgument",
                "Unknown metadata directive.",
                400,
                ArgumentName="x-amz-metadata-directive",
                ArgumentValue=directive,
            )
        same = source_bucket["Name"] == bucket["Name"] and source["Key"] == key
        defaults = self.object_defaults(context, bucket, params)
        # Copying a named version onto its own key is allowed as it is (it restores that version);
        # so is a copy that changes the object's encryption, which a bucket encryption
        # configuration of its own is taken to do.
        if (
            same
            and directive == "COPY"
            and not _names_version(params["CopySource"])
            and not any(
                params.get(name)
                for name in (
                    "StorageClass",
                    "WebsiteRedirectLocation",
                    "ServerSideEncryption",
                    "SSEKMSKeyId",
                    "ChecksumAlgorithm",
                )
            )
            and defaults.get("ServerSideEncryption") == source.get("ServerSideEncryption")
            and not self.encryption_configured(bucket)
        ):
            raise ServiceError(
                "InvalidRequest",
                "This copy request is illegal because it is trying to copy an "
                "object to itself without changing the object's metadata, storage class, website "
                "redirect location or encryption attributes.",
                400,
            )
        if directive == "REPLACE":
            check_metadata(params.get("Metadata"))
            fields = {name: params[name] for name in CONTENT_FIELDS if params.get(name) is not None}
            metadata = decoded_metadata(params.get("Metadata") or {})
        else:
            fields = {name: source[name] for name in CONTENT_FIELDS if source.get(name) is not None}
            if params.get("WebsiteRedirectLocation"):
                fields["WebsiteRedirectLocation"] = params["WebsiteRedirectLocation"]
            metadata = source.get("Metadata") or {}
        self._check_write_conditions(bucket, params)
        target_key = self.body_key(bucket, defaults, params)
        if source_key is None and target_key is None:
            data, file = self.copy_body(source)
            body_fields = {"Data": data} if data is not None else {"File": file} if file is not None else {}
        else:  # sealed on either side: the body is re-encrypted under the copy's own key
            body_fields = self._copy_range(
                source, 0, source["Size"] - 1, None, source_key, target_key
            ).record_fields()
        order, version_id = self.data.new_version(bucket.get("Versioning") == "Enabled")
        record = {
            "Key": key,
            "Order": order,
            "VersionId": version_id,
            "Size": source["Size"],
            "ETag": source["ETag"],
            "LastModified": now(),
            "Owner": context.account,
            **fields,
        }
        record.setdefault("ContentType", "binary/octet-stream")
        if metadata:
            record["Metadata"] = metadata
        if params.get("StorageClass") and params["StorageClass"] != "STANDARD":
            record["StorageClass"] = params["StorageClass"]
        if source.get("PartSizes"):
            # A copy is written whole: one part, its ETag the MD5 of its bytes (AWS's answer).
            record["ETag"] = f'"{self._digest_of(source, hashlib.md5(), source_key)}"'
        algorithm = params.get("ChecksumAlgorithm")
        if algorithm:
            record["Checksums"] = {algorithm: self._checksum_of(source, algorithm, source_key)}
        elif source.get("Checksums") and source.get("ChecksumType", "FULL_OBJECT") == "FULL_OBJECT":
            record["Checksums"] = source["Checksums"]
        elif source.get("Checksums"):
            # A composite sum does not describe the copy: its algorithm over the whole object does.
            composite = next(iter(source["Checksums"]))
            record["Checksums"] = {composite: self._checksum_of(source, composite, source_key)}
        elif checksums.default_algorithms():
            default = checksums.DEFAULT_ALGORITHM
            record["Checksums"] = {default: self._checksum_of(source, default, source_key)}
        record.update(body_fields)
        if defaults:
            record.update(defaults)
        self.commit_version(
            context, bucket, record, "ObjectCreated:Copy", params.get("BypassGovernanceRetention", False)
        )
        result = {"ETag": record["ETag"], "LastModified": record["LastModified"]}
        result.update({name: value for name, value in checksum_output(record).items()})
        output: dict[str, Any] = {"CopyObjectResult": result}
        if shows_version(bucket, version_id):
            output["VersionId"] = version_id
        if source["VersionId"] != "null":
            output["CopySourceVersionId"] = source["VersionId"]
        for name in DEFAULT_FIELDS:
            if record.get(name) is not None:
                output[name] = record[name]
        return output

    def _checksum_of(self: Provider, record: dict, algorithm: str, key: bytes | None = None) -> str:  # type: ignore[misc]
        if algorithm not in checksums.ALGORITHMS:
            raise checksums.invalid_algorithm(algorithm)
        hasher = checksums.new(algorithm)
        self._feed(record, hasher, key)
        return checksums.encode(hasher.digest())

    def _digest_of(self: Provider, record: dict, hasher, key: bytes | None = None) -> str:  # type: ignore[misc]
        self._feed(record, hasher, key)
        return hasher.hexdigest()

    def _feed(self: Provider, record: dict, hasher, key: bytes | None = None) -> None:  # type: ignore[misc]
        """Pass a version's bytes (its plaintext, opened with `key` if sealed) through a hasher."""
        for chunk in read_all(open_body(self.data.files, record, key, 0, record["Size"])):
            hasher.update(chunk)

    # -- storage classes -----------------------------------------------------------------------

    def restore_object(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.bucket(context, params["Bucket"])
        record = self.find_version(bucket, params["Key"], params.get("VersionId"), "POST")
        if record.get("StorageClass") not in ARCHIVED:
            raise ServiceError(
                "InvalidObjectState",
                "Restore is not allowed for the object's current storage class",
                403,
                StorageClass=record.get("StorageClass", "STANDARD"),
            )
        request = params.get("RestoreRequest") or {}
        days = request.get("Days")
        if days is None or days < 1:
            raise ServiceError(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
                400,
            )
        restore = record.get("Restore")
        moment = time.time()
        if restore and moment < restore["Ready"]:
            raise ServiceError("RestoreAlreadyInProgress", "Object restore is already in progress", 409)
        if restore and moment < restore["Expiry"]:
            # Already restored: only the expiry moves, and S3 answers 200 instead of 202.
            ready = restore["Ready"]
            context.status = 200
        else:
            ready = moment + RESTORE_SECONDS
            context.status = 202
        # Restored copies expire at midnight UTC after the requested days, as S3 rounds them.
        expiry = datetime.fromtimestamp(ready, UTC) + timedelta(days=days + 1)
        expiry = expiry.replace(hour=0, minute=0, second=0, microsecond=0)
        updated = {**record, "Restore": {"Ready": ready, "Expiry": expiry.timestamp()}}
        with self.store.transaction():  # the event commits with the restore it announces
            self.data.replace(bucket, updated)
            # With its restore times: S3 announces the restore's completion too.
            self.object_event(
                context,
                bucket,
                "ObjectRestore:Post",
                {**event_object(updated), "Restore": updated["Restore"]},
            )
        return {}

    def transition_object(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        bucket: dict,
        key: str,
        version_id: str | None,
        storage_class: str,
    ) -> None:
        """Move a version to another storage class (the lifecycle worker's transitions)."""
        record = self.find_version(bucket, key, version_id, "PUT")
        updated = {**record, "StorageClass": storage_class}
        updated.pop("Restore", None)
        if storage_class == "STANDARD":
            del updated["StorageClass"]
        self.data.replace(bucket, updated)
