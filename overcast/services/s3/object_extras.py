"""Object operations beside the main read and write path: GetPart (one part of an upload,
in progress or completed), GetObjectTorrent (a real .torrent file for the object),
UpdateObjectEncryption (a new SSE-KMS key for a stored version, without rewriting its data),
and the answers S3 gives a general purpose account for what needs a directory bucket, S3
Select or an Object Lambda access point, none of which exist here."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.s3.configstore import invalid_argument, malformed_xml, s3_error
from overcast.services.s3.multipart import COMPLETED_FIELDS, _check_part_number, _part_key, no_such_upload
from overcast.services.s3.object_ops import checksum_mode, parse_range
from overcast.services.s3.sealing import SEAL_FIELD, open_body, read_all

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.s3.provider import Provider

#: The piece size of the torrents S3 serves, and the tracker they name.
TORRENT_PIECE = 256 * 1024
TORRENT_TRACKER = "http://s3-tracker.amazonaws.com:6969/announce"
#: S3 serves torrents of objects up to 5 GB.
TORRENT_MAX_SIZE = 5 * 1024**3
MAX_DIRECTORY_BUCKETS = 1000


def bencode(value: Any) -> bytes:
    """BitTorrent's encoding (BEP 3): dictionaries with sorted byte-string keys."""
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list):
        return b"l" + b"".join(bencode(item) for item in value) + b"e"
    if isinstance(value, dict):
        items = sorted((key.encode() if isinstance(key, str) else key, item) for key, item in value.items())
        return b"d" + b"".join(bencode(key) + bencode(item) for key, item in items) + b"e"
    raise TypeError(f"cannot bencode {type(value).__name__}")


def _directory_bucket_only(operation: str) -> ServiceError:
    return s3_error(
        "InvalidRequest", f"{operation} is only supported for directory buckets (S3 Express One Zone)."
    )


class ObjectExtraOperations:
    # -- GetPart --------------------------------------------------------------------------------

    def get_part(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.bucket(context, params["Bucket"])
        number = params["PartNumber"]
        _check_part_number(number)
        key, upload_id = params["Key"], params["UploadId"]
        try:
            upload = self._upload(bucket, key, upload_id)
        except ServiceError:
            # A completed upload's parts are the parts of the object it made, while that object
            # is the key's current version.
            current = self.data.current(bucket, key)
            if current is None or current.get("UploadId") != upload_id:
                raise no_such_upload(upload_id) from None
            return self._completed_part(bucket, current, number, params)
        part = self.data.parts.get(bucket["Id"], _part_key(upload_id, number))
        if part is None:
            raise s3_error("NoSuchPart", "The specified part does not exist.", 404, PartNumber=str(number))
        output: dict[str, Any] = {"MultipartUploadStatus": "IN_PROGRESS", "ETag": part["ETag"]}
        defaults = upload.get("Defaults") or {}
        output.update({name: defaults[name] for name in COMPLETED_FIELDS if defaults.get(name) is not None})
        if upload.get("StorageClass", "STANDARD") != "STANDARD":
            output["StorageClass"] = upload["StorageClass"]
        if checksum_mode(params):
            output.update({f"Checksum{name}": value for name, value in (part.get("Checksums") or {}).items()})
        key = self.body_key(bucket, defaults, params)
        return self._part_body(output, part, 0, part["Size"], params, key)

    def _completed_part(self: Provider, bucket: dict, record: dict, number: int, params: dict) -> dict:  # type: ignore[misc]
        sizes = record.get("PartSizes") or [record["Size"]]
        if number > len(sizes):
            raise s3_error("NoSuchPart", "The specified part does not exist.", 404, PartNumber=str(number))
        first = sum(sizes[: number - 1])
        output: dict[str, Any] = {"MultipartUploadStatus": "COMPLETED", "ETag": record["ETag"]}
        if record["VersionId"] != "null":
            output["VersionId"] = record["VersionId"]
        output.update({name: record[name] for name in COMPLETED_FIELDS if record.get(name) is not None})
        if record.get("StorageClass"):
            output["StorageClass"] = record["StorageClass"]
        part_checksums = record.get("PartChecksums") or []
        if checksum_mode(params) and number <= len(part_checksums):
            output.update({f"Checksum{name}": value for name, value in part_checksums[number - 1].items()})
        key = self.body_key(bucket, record, params)
        return self._part_body(output, record, first, sizes[number - 1], params, key)

    def _part_body(  # type: ignore[misc]
        self: Provider, output: dict, holder: dict, offset: int, size: int, params: dict, key: bytes | None
    ) -> dict:
        """The part's bytes (offset..offset+size of the holder's body), or the Range of them."""
        output["AcceptRanges"] = "bytes"
        first, last = 0, size - 1
        if params.get("Range"):
            span = parse_range(params["Range"], size)
            if span is not None:
                first, last = span
                output["ContentRange"] = f"bytes {first}-{last}/{size}"
                for name in [name for name in output if name.startswith("Checksum")]:
                    del output[name]  # they describe the whole part, not this range of it
        output["ContentLength"] = max(last - first + 1, 0)
        length = last - first + 1 if size else 0
        output["Body"] = open_body(self.data.files, holder, key, offset + first, length)
        return output

    # -- GetObjectTorrent -----------------------------------------------------------------------

    def get_object_torrent(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        record = self.find_version(bucket, params["Key"], None, "GET")
        if record.get("SSECustomerAlgorithm"):
            raise s3_error(
                "InvalidRequest",
                "Torrents are not available for objects encrypted with customer-provided keys.",
            )
        if record["Size"] > TORRENT_MAX_SIZE:
            raise s3_error("InvalidRequest", "Torrents are only available for objects smaller than 5 GB.")
        pieces = bytearray()
        for chunk in self._body_chunks(record, self.body_key(bucket, record, params)):
            pieces += hashlib.sha1(chunk).digest()
        key = record["Key"]
        torrent = {
            "announce": TORRENT_TRACKER,
            "info": {
                "length": record["Size"],
                "name": key.rsplit("/", 1)[-1] or key,
                "piece length": TORRENT_PIECE,
                "pieces": bytes(pieces),
                "x-amz-bucket": bucket["Name"],
                "x-amz-key": key,
            },
        }
        return {"Body": bencode(torrent)}

    def _body_chunks(self: Provider, record: dict, key: bytes | None):  # type: ignore[misc]
        """The version's body in torrent pieces."""
        pending = b""
        for chunk in read_all(open_body(self.data.files, record, key, 0, record["Size"])):
            pending += chunk
            while len(pending) >= TORRENT_PIECE:
                yield pending[:TORRENT_PIECE]
                pending = pending[TORRENT_PIECE:]
        if pending:
            yield pending

    # -- UpdateObjectEncryption -----------------------------------------------------------------

    def update_object_encryption(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        sse_kms = (params.get("ObjectEncryption") or {}).get("SSEKMS")
        if not sse_kms or not sse_kms.get("KMSKeyArn"):
            raise malformed_xml()
        key_arn = sse_kms["KMSKeyArn"]
        parts = key_arn.split(":")
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "kms" or not parts[5].startswith("key/"):
            raise invalid_argument("KMSKeyArn must be the ARN of a KMS key", "KMSKeyArn", key_arn)
        if parts[4] != bucket["Account"]:
            raise s3_error("AccessDenied", "Access Denied", 403)
        with self.store.transaction():
            record = self.find_version(bucket, params["Key"], params.get("VersionId"), "PUT")
            algorithm = record.get("ServerSideEncryption")
            if record.get("SSECustomerAlgorithm") or algorithm not in ("AES256", "aws:kms"):
                raise s3_error(
                    "InvalidRequest",
                    "UpdateObjectEncryption does not support objects that are unencrypted or encrypted with "
                    "DSSE-KMS or SSE-C.",
                )
            # The object's data key is re-encrypted under the new key by KMS (which must exist).
            updated = {
                **record,
                "ServerSideEncryption": "aws:kms",
                **self.reseal_data_key(bucket, record, key_arn),
            }
            if sse_kms.get("BucketKeyEnabled"):
                updated["BucketKeyEnabled"] = True
            else:
                updated.pop("BucketKeyEnabled", None)
            updated.pop("SSEKMSEncryptionContext", None)
            replaced_file = None
            if SEAL_FIELD not in record and record["Size"]:
                # A body kept in clear (SSE-S3) is sealed under its new data key.
                body = self._copy_range(
                    record, 0, record["Size"] - 1, None, None, self.open_data_key(bucket, updated)
                )
                for name in ("Data", "File"):
                    updated.pop(name, None)
                updated.update(body.record_fields())
                replaced_file = record.get("File")
            self.data.replace(bucket, updated)
        self.data.files.remove(replaced_file)
        return {}

    # -- what a general purpose account cannot use here -----------------------------------------

    def rename_object(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        # Overcast has no directory buckets (CreateBucket refuses their names), so the bucket
        # named here is a general purpose one.
        self.bucket(context, params["Bucket"])
        raise _directory_bucket_only("RenameObject")

    def create_session(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self.bucket(context, params["Bucket"])
        raise _directory_bucket_only("CreateSession")

    def list_directory_buckets(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        limit = params.get("MaxDirectoryBuckets")
        if limit is not None and not 0 <= limit <= MAX_DIRECTORY_BUCKETS:
            raise invalid_argument(
                "Argument max-directory-buckets must be an integer between 0 and 1000",
                "max-directory-buckets",
                limit,
            )
        # No directory bucket can exist here: the account's list is empty.
        return {"Buckets": []}

    def select_object_content(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        # S3 Select is closed to accounts that did not use it before July 2024; S3 refuses the
        # method for them.
        bucket = self.config_bucket(context, params)
        self.find_version(bucket, params["Key"], None, "POST")
        raise s3_error(
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
            405,
            Method="POST",
            ResourceType="OBJECT",
        )

    def write_get_object_response(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        # A request route and token come from an Object Lambda access point's event; there are
        # no such access points here, so none is valid.
        raise s3_error(
            "InvalidRequest",
            "The request route and token do not belong to an S3 Object Lambda request in progress.",
        )
