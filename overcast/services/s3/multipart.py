"""Multipart uploads: create, upload part (and part copy), complete, abort, list parts and
uploads. Parts are bodies of their own until completion joins them into one file."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import time
from typing import TYPE_CHECKING
from urllib.parse import quote

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.s3 import acl as acls
from overcast.services.s3 import checksums, ssec
from overcast.services.s3.bodies import Body, parse_content_md5, requested_algorithms, take_in
from overcast.services.s3.listing import count_argument
from overcast.services.s3.object_ops import (
    CONTENT_FIELDS,
    DEFAULT_FIELDS,
    check_conditions,
    check_key,
    check_metadata,
    check_storage_class,
    checksum_output,
    declared_checksums,
    decoded_metadata,
    now,
)
from overcast.services.s3.objects import SEPARATOR
from overcast.services.s3.sealing import (
    SEAL_FIELD,
    SealingWriter,
    open_body,
    read_all,
    seal_bytes,
    sealed_size,
)

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.s3.provider import Provider

MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PARTS = 10000
_COPY_RANGE = re.compile(r"^bytes=(\d+)-(\d+)$")


def no_such_upload(upload_id: str) -> ServiceError:
    return ServiceError(
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the "
        "upload may have been aborted or completed.",
        404,
        UploadId=upload_id,
    )


def _part_key(upload_id: str, number: int) -> str:
    return f"{upload_id}{SEPARATOR}{number:05d}"


#: The encryption CompleteMultipartUpload and GetPart report (their outputs have no SSE-C
#: members), and UploadPart and UploadPartCopy (no encryption context).
COMPLETED_FIELDS = ("ServerSideEncryption", "SSEKMSKeyId", "BucketKeyEnabled")
PART_FIELDS = (*COMPLETED_FIELDS, "SSECustomerAlgorithm", "SSECustomerKeyMD5")


def _invalid_part(upload_id: str, number: int, etag: str) -> ServiceError:
    return ServiceError(
        "InvalidPart",
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the "
        "specified entity tag may not match the part's entity tag.",
        400,
        UploadId=upload_id,
        PartNumber=str(number),
        ETag=etag.strip('"'),
    )


def _default_checksum(part: dict) -> dict[str, str]:
    """The part's checksum of S3's default algorithm, requested or computed implicitly."""
    default = checksums.DEFAULT_ALGORITHM
    value = (part.get("Implicit") or {}).get(default) or (part.get("Checksums") or {}).get(default)
    return {default: value} if value else {}


def _check_part_number(number: int) -> None:
    if not 1 <= number <= MAX_PARTS:
        raise ServiceError(
            "InvalidArgument",
            "Part number must be an integer between 1 and 10000, inclusive",
            400,
            ArgumentName="partNumber",
            ArgumentValue=str(number),
        )


class MultipartOperations:
    def _upload(self: Provider, bucket: dict, key: str, upload_id: str) -> dict:  # type: ignore[misc]
        upload = self.data.uploads.get(bucket["Id"], key + SEPARATOR + upload_id)
        if upload is None:
            raise no_such_upload(upload_id)
        return upload

    def create_multipart_upload(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.bucket(context, params["Bucket"])
        key = params["Key"]
        check_key(key)
        check_metadata(params.get("Metadata"))
        check_storage_class(params.get("StorageClass"))
        algorithm = params.get("ChecksumAlgorithm")
        if algorithm is not None and algorithm not in checksums.ALGORITHMS:
            raise checksums.invalid_algorithm(algorithm)
        checksum_type = params.get("ChecksumType")
        if checksum_type is not None:
            if algorithm is None:
                raise ServiceError(
                    "InvalidRequest",
                    "The x-amz-checksum-type header can only be used with the "
                    "x-amz-checksum-algorithm header.",
                    400,
                )
            if checksum_type == "FULL_OBJECT" and algorithm not in checksums.FULL_OBJECT_CAPABLE:
                raise ServiceError(
                    "InvalidRequest",
                    f"The FULL_OBJECT checksum type cannot be used with the "
                    f"{algorithm.lower()} checksum algorithm.",
                    400,
                )
            if checksum_type == "COMPOSITE" and algorithm == "CRC64NVME":
                raise ServiceError(
                    "InvalidRequest",
                    "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.",
                    400,
                )
        elif algorithm is not None:
            checksum_type = "FULL_OBJECT" if algorithm == "CRC64NVME" else "COMPOSITE"
        defaults = self.object_defaults(context, bucket, params)
        upload_id = f"{time.time_ns():016x}{secrets.token_urlsafe(24)}"
        upload = {
            "Key": key,
            "UploadId": upload_id,
            "Initiated": now(),
            "Owner": context.account,
            # Who started it, as ListParts names them (the account for its root user).
            "InitiatorName": (context.principal_arn or "").rpartition("/")[2]
            if "/" in (context.principal_arn or "")
            else context.account,
            "Fields": {name: params[name] for name in CONTENT_FIELDS if params.get(name) is not None},
            "Metadata": decoded_metadata(params.get("Metadata") or {}),
            "StorageClass": params.get("StorageClass") or "STANDARD",
            "Defaults": defaults,
        }
        if algorithm:
            upload["ChecksumAlgorithm"] = algorithm
            upload["ChecksumType"] = checksum_type
        self.data.uploads.put(bucket["Id"], key + SEPARATOR + upload_id, upload)
        output = {"Bucket": bucket["Name"], "Key": key, "UploadId": upload_id}
        if algorithm:
            output["ChecksumAlgorithm"] = algorithm
            output["ChecksumType"] = checksum_type
        output.update({name: defaults[name] for name in DEFAULT_FIELDS if defaults.get(name) is not None})
        return output

    def _put_part(  # type: ignore[misc]
        self: Provider, bucket: dict, upload: dict, number: int, body: Body, implicit: dict | None = None
    ) -> dict:
        part = {"PartNumber": number, "ETag": f'"{body.md5}"', "Size": body.size, "LastModified": now()}
        if body.checksums:
            part["Checksums"] = body.checksums
        if implicit:
            part["Implicit"] = implicit
        part.update(body.record_fields())
        row = _part_key(upload["UploadId"], number)
        old = self.data.parts.get(bucket["Id"], row)
        self.data.parts.put(bucket["Id"], row, part)
        if old is not None:
            self.data.files.remove(old.get("File"))
        return part

    async def upload_part(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.bucket(context, params["Bucket"])
        number = params["PartNumber"]
        _check_part_number(number)
        upload = self._upload(bucket, params["Key"], params["UploadId"])
        ssec.check_part(upload.get("Defaults") or {}, params)
        headers = context.request.headers
        algorithms = requested_algorithms(params, headers)
        expected = upload.get("ChecksumAlgorithm")
        if expected and algorithms and expected not in algorithms:
            raise ServiceError(
                "InvalidRequest",
                f"Checksum Type mismatch occurred, expected checksum Type: {expected.lower()}, actual checksum "
                f"Type: {algorithms[0].lower()}",
                400,
            )
        if expected and expected not in algorithms:
            algorithms = (*algorithms, expected)
        # Without an upload algorithm S3 still gives the object its default full-object
        # checksum, combined from each part's: computed here, reported only at completion.
        implicit = [
            name
            for name in checksums.default_algorithms()
            if not upload.get("ChecksumAlgorithm") and name not in algorithms
        ]
        algorithms = (*algorithms, *implicit)
        content_md5 = parse_content_md5(params.get("ContentMD5"))
        try:
            body = await take_in(
                params.get("Body"),
                declared_checksums(params, headers),
                self.data.files,
                algorithms,
                content_md5,
                key=self.body_key(bucket, upload.get("Defaults") or {}, params),
            )
        except ServiceError as error:
            if error.code == "BadDigest" and content_md5 is not None:
                # UploadPart names the expected digest in base64, as it was sent (PutObject: hex).
                error.fields["ExpectedDigest"] = base64.b64encode(content_md5).decode()
            raise
        try:
            upload = self._upload(bucket, params["Key"], params["UploadId"])  # aborted meanwhile?
        except ServiceError:
            self.data.files.remove(body.file)
            raise
        implicit_checksums = {name: body.checksums.pop(name) for name in implicit if name in body.checksums}
        part = self._put_part(bucket, upload, number, body, implicit_checksums)
        output = {"ETag": part["ETag"]}
        output.update({f"Checksum{name}": value for name, value in (part.get("Checksums") or {}).items()})
        defaults = upload.get("Defaults") or {}
        output.update({name: defaults[name] for name in PART_FIELDS if defaults.get(name) is not None})
        return output

    def upload_part_copy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.bucket(context, params["Bucket"])
        number = params["PartNumber"]
        _check_part_number(number)
        upload = self._upload(bucket, params["Key"], params["UploadId"])
        source_bucket, source = self.copy_source(context, params["CopySource"])
        ssec.check_read(source, params, "CopySource")
        source_key = self.body_key(source_bucket, source, params, "CopySource")  # refused if unusable
        check_conditions(source, params, "CopySource")
        size = source["Size"]
        first, last = 0, size - 1
        text = params.get("CopySourceRange")
        if text:
            match = _COPY_RANGE.match(text.strip())
            if match is None or int(match.group(1)) > int(match.group(2)):
                raise ServiceError(
                    "InvalidArgument",
                    "The x-amz-copy-source-range value must be of the form "
                    "bytes=first-last where first and last are the zero-based offsets of the first "
                    "and last bytes to copy",
                    400,
                    ArgumentName="x-amz-copy-source-range",
                    ArgumentValue=text,
                )
            first, last = int(match.group(1)), int(match.group(2))
            if first >= size:
                raise ServiceError(
                    "InvalidRequest", "The specified copy range is invalid for the source object size", 400
                )
            if last >= size:
                raise ServiceError(
                    "InvalidArgument",
                    f"Range specified is not valid for source object of size: {size}",
                    400,
                    ArgumentName="x-amz-copy-source-range",
                    ArgumentValue=text,
                )
        target_key = self.body_key(bucket, upload.get("Defaults") or {}, params)
        body = self._copy_range(source, first, last, upload.get("ChecksumAlgorithm"), source_key, target_key)
        part = self._put_part(bucket, upload, number, body)
        result = {"ETag": part["ETag"], "LastModified": part["LastModified"]}
        result.update({f"Checksum{name}": value for name, value in (part.get("Checksums") or {}).items()})
        output = {"CopyPartResult": result}
        if source["VersionId"] != "null":
            output["CopySourceVersionId"] = source["VersionId"]
        defaults = upload.get("Defaults") or {}
        output.update({name: defaults[name] for name in PART_FIELDS if defaults.get(name) is not None})
        return output

    def _copy_range(  # type: ignore[misc]
        self: Provider,
        source: dict,
        first: int,
        last: int,
        algorithm: str | None,
        source_key: bytes | None = None,
        target_key: bytes | None = None,
    ) -> Body:
        """Bytes first..last of a version's plaintext as a new body, sealed under `target_key`
        when one is given, with its MD5 and (if asked) its checksum."""
        body = Body()
        md5 = hashlib.md5()
        summer = checksums.new(algorithm) if algorithm else None
        length = max(0, last - first + 1)
        files = self.data.files
        plain = open_body(files, source, source_key, first, length)
        if isinstance(plain, bytes):
            md5.update(plain)
            if summer:
                summer.update(plain)
            if target_key is not None and plain:
                plain, body.segment = seal_bytes(target_key, plain)
            body.data = plain
        else:
            scratch = files.scratch()
            try:
                with open(scratch, "wb") as out:
                    sealer = SealingWriter(out, target_key) if target_key is not None else None
                    write = sealer.write if sealer is not None else out.write
                    for chunk in read_all(plain):
                        md5.update(chunk)
                        if summer:
                            summer.update(chunk)
                        write(chunk)
                    if sealer is not None:
                        body.segment = sealer.finish()
                body.file = files.new_name()
                files.commit(scratch, body.file)
            finally:
                if scratch.exists():
                    scratch.unlink()
        body.size = length
        body.md5 = md5.hexdigest()
        if algorithm and summer:
            body.checksums = {algorithm: checksums.encode(summer.digest())}
        return body

    def complete_multipart_upload(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.bucket(context, params["Bucket"])
        key, upload_id = params["Key"], params["UploadId"]
        try:
            upload = self._upload(bucket, key, upload_id)
        except ServiceError:
            # Completing an upload again answers as the first time did while its object is
            # still the key's current version (S3 makes the call idempotent).
            current = self.data.current(bucket, key)
            if current is None or current.get("UploadId") != upload_id:
                raise
            return self._completed_output(bucket, current)
        if params.get("MultipartUpload") is None:  # no body at all
            raise ServiceError("InvalidRequest", "You must specify at least one part", 400)
        requested = params["MultipartUpload"].get("Parts") or []
        if not requested:
            raise ServiceError(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
                400,
            )
        self._check_write_conditions(bucket, params, upload)
        scope = bucket["Id"]
        parts = []
        previous = 0
        for _index, item in enumerate(requested):
            number = item.get("PartNumber")
            if number is None or number <= previous:
                raise ServiceError(
                    "InvalidPartOrder",
                    "The list of parts was not in ascending order. Parts must be ordered by part number.",
                    400,
                    UploadId=upload_id,
                )
            previous = number
            part = self.data.parts.get(scope, _part_key(upload_id, number))
            if part is None or (item.get("ETag") or "").strip('"') != part["ETag"].strip('"'):
                raise ServiceError(
                    "InvalidPart",
                    "One or more of the specified parts could not be found.  The "
                    "part may not have been uploaded, or the specified entity tag may not match the "
                    "part's entity tag.",
                    400,
                    UploadId=upload_id,
                    PartNumber=str(number),
                    ETag=(item.get("ETag") or "").strip('"'),
                )
            parts.append(part)
        for part in parts[:-1]:
            if part["Size"] < MIN_PART_SIZE:
                raise ServiceError(
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed size",
                    400,
                    ProposedSize=str(part["Size"]),
                    MinSizeAllowed=str(MIN_PART_SIZE),
                    PartNumber=str(part["PartNumber"]),
                    ETag=part["ETag"].strip('"'),
                )
        declared_size, total = params.get("MpuObjectSize"), sum(part["Size"] for part in parts)
        if declared_size is not None and declared_size != total:
            raise ServiceError(
                "InvalidRequest",
                f"The provided 'x-amz-mp-object-size' header value {declared_size} does not match what was "
                f"computed: {total}",
                400,
            )
        record_checksums, checksum_type = self._final_checksums(upload, parts, requested, params)
        body = self._join(parts)
        digest = hashlib.md5(b"".join(bytes.fromhex(part["ETag"].strip('"')) for part in parts)).hexdigest()
        order, version_id = self.data.new_version(bucket.get("Versioning") == "Enabled")
        record = {
            "Key": key,
            "Order": order,
            "VersionId": version_id,
            "Size": body.size,
            "ETag": f'"{digest}-{len(parts)}"',
            "LastModified": now(),
            "Owner": upload["Owner"],
            **upload["Fields"],
            "PartSizes": [part["Size"] for part in parts],
            "UploadId": upload_id,
        }
        record.setdefault("ContentType", "binary/octet-stream")
        if upload.get("Metadata"):
            record["Metadata"] = upload["Metadata"]
        if upload.get("StorageClass", "STANDARD") != "STANDARD":
            record["StorageClass"] = upload["StorageClass"]
        if record_checksums:
            record["Checksums"] = record_checksums
            record["ChecksumType"] = checksum_type
            if upload.get("ChecksumAlgorithm"):
                # S3's default checksum is the object's alone: its parts' are not told.
                record["PartChecksums"] = [part.get("Checksums") or {} for part in parts]
        if body.data is not None:
            record["Data"] = body.data
        elif body.file is not None:
            record["File"] = body.file
        if body.size and all(part.get(SEAL_FIELD) for part in parts if part["Size"]):
            # The parts' sealed segments are joined as they are: the object's seal lists them all.
            sealed = [part[SEAL_FIELD] for part in parts if part["Size"]]
            record[SEAL_FIELD] = {
                "Salts": [salt for seal in sealed for salt in seal["Salts"]],
                "Sizes": [size for seal in sealed for size in seal["Sizes"]],
            }
        record.update(upload.get("Defaults") or {})
        self.commit_version(context, bucket, record, "ObjectCreated:CompleteMultipartUpload")
        self._drop_upload(bucket, upload)
        return self._completed_output(bucket, record)

    @staticmethod
    def _completed_output(bucket: dict, record: dict) -> dict:
        key = record["Key"]
        output = {
            "Location": f"http://{bucket['Name']}.s3.amazonaws.com/{quote(key, safe='/')}",
            "Bucket": bucket["Name"],
            "Key": key,
            "ETag": record["ETag"],
        }
        implicit = record.get("Checksums") and "PartChecksums" not in record
        if not (implicit and record.get("ServerSideEncryption", "").startswith("aws:kms")):
            # Under a KMS key S3 keeps the default sum without answering it here (recorded
            # against AWS: LocalStack's test_s3_multipart_upload_sse; GetObject shows it).
            output.update(checksum_output(record))
        if record["VersionId"] != "null":
            output["VersionId"] = record["VersionId"]
        output.update({name: record[name] for name in COMPLETED_FIELDS if record.get(name) is not None})
        return output

    def _final_checksums(  # type: ignore[misc]
        self: Provider, upload: dict, parts: list[dict], requested: list[dict], params: dict
    ) -> tuple[dict[str, str] | None, str | None]:
        algorithm = upload.get("ChecksumAlgorithm")
        asked_mode = params.get("ChecksumType")
        if asked_mode is not None and asked_mode != upload.get("ChecksumType"):
            raise ServiceError(
                "InvalidRequest",
                f"The upload was created using the {upload.get('ChecksumType') or 'null'} checksum mode. The "
                "complete request must use the same checksum mode.",
                400,
            )
        if not algorithm:
            for part, item in zip(parts, requested, strict=False):
                if any(item.get(f"Checksum{name}") is not None for name in checksums.ALGORITHMS):
                    # The parts of an upload without an algorithm keep no checksum to match.
                    raise _invalid_part(upload["UploadId"], part["PartNumber"], part["ETag"])
        if not algorithm and (upload.get("Defaults") or {}).get("SSECustomerAlgorithm"):
            return None, None  # S3 gives a multipart object under a customer key no default sum
        if not algorithm:
            default = checksums.DEFAULT_ALGORITHM
            implicit = [_default_checksum(part).get(default) for part in parts]
            values = [value for value in implicit if value]
            if len(values) != len(parts):  # a part copied in has none: S3's default cannot be combined
                return None, None
            combined = checksums.full_object(
                default, [(value, part["Size"]) for value, part in zip(values, parts, strict=True)]
            )
            return {default: combined}, "FULL_OBJECT"
        values = []
        mode = upload.get("ChecksumType")
        for part, item in zip(parts, requested, strict=False):
            value = (part.get("Checksums") or {}).get(algorithm)
            given = item.get(f"Checksum{algorithm}")
            for other in checksums.ALGORITHMS:
                if other != algorithm and item.get(f"Checksum{other}") is not None:
                    raise ServiceError(
                        "BadDigest",
                        f"The {other.lower()} you specified for part {part['PartNumber']} did not match what "
                        "we received.",
                        400,
                    )
            if given is None and mode == "COMPOSITE":
                raise ServiceError(
                    "InvalidRequest",
                    f"The upload was created using a {algorithm.lower()} checksum. The complete request must "
                    f"include the checksum for each part. It was missing for part {part['PartNumber']} in the "
                    "request.",
                    400,
                )
            if value is None or (given is not None and given != value):
                raise _invalid_part(upload["UploadId"], part["PartNumber"], part["ETag"])
            values.append(value)
        if mode == "FULL_OBJECT":
            combined = checksums.full_object(
                algorithm, [(v, p["Size"]) for v, p in zip(values, parts, strict=False)]
            )
            given = params.get(f"Checksum{algorithm}")
            # A whole-object value of another algorithm matches nothing (AWS recorded: BadDigest
            # naming the upload's algorithm).
            another = any(
                params.get(f"Checksum{name}") is not None
                for name in checksums.ALGORITHMS
                if name != algorithm
            )
            # Without x-amz-checksum-type: FULL_OBJECT, a whole-object value is read as a composite one.
            if another or (
                given is not None and (given != combined or params.get("ChecksumType") != "FULL_OBJECT")
            ):
                raise ServiceError(
                    "BadDigest",
                    f"The {algorithm.lower()} you specified did not match the calculated checksum.",
                    400,
                )
            return {algorithm: combined}, "FULL_OBJECT"
        return {algorithm: checksums.composite(algorithm, values)}, "COMPOSITE"

    def _join(self: Provider, parts: list[dict]) -> Body:  # type: ignore[misc]
        """The parts' bodies as one file (kernel-side copies where the OS allows)."""
        body = Body()
        body.size = sum(part["Size"] for part in parts)
        if body.size == 0:
            return body
        files = self.data.files
        scratch = files.scratch()
        try:
            with open(scratch, "wb") as out:
                for part in parts:
                    if part.get("Data") is not None:
                        out.write(part["Data"])
                        continue
                    if not part.get("File"):
                        continue
                    out.flush()
                    stored = sealed_size(part["Size"]) if part.get(SEAL_FIELD) else part["Size"]
                    with open(files.path(part["File"]), "rb") as source:
                        _copy_file(source, out, stored)
            body.file = files.new_name()
            files.commit(scratch, body.file)
        finally:
            if scratch.exists():
                scratch.unlink()
        return body

    def _drop_upload(self: Provider, bucket: dict, upload: dict) -> None:  # type: ignore[misc]
        scope, upload_id = bucket["Id"], upload["UploadId"]
        rows = list(self.data.parts.scan(scope, prefix=upload_id + SEPARATOR))
        with self.store.transaction():
            for row_key, _ in rows:
                self.data.parts.delete(scope, row_key)
            self.data.uploads.delete(scope, upload["Key"] + SEPARATOR + upload_id)
        for _, part in rows:
            self.data.files.remove(part.get("File"))

    def note_key_changed(self: Provider, bucket: dict, key: str) -> None:  # type: ignore[misc]
        """A delete of the key: its uploads in progress may no longer complete conditionally
        (a write shows in the current version's LastModified; a delete leaves nothing to read)."""
        for row_key, upload in list(self.data.uploads.scan(bucket["Id"], prefix=key + SEPARATOR)):
            if upload["Key"] == key and not upload.get("KeyChanged"):
                self.data.uploads.put(bucket["Id"], row_key, {**upload, "KeyChanged": True})

    def abort_multipart_upload(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.bucket(context, params["Bucket"])
        upload = self._upload(bucket, params["Key"], params["UploadId"])
        self._drop_upload(bucket, upload)
        return {}

    def abort_all_uploads(self: Provider, bucket: dict) -> None:  # type: ignore[misc]
        for _, upload in list(self.data.uploads.scan(bucket["Id"])):
            self._drop_upload(bucket, upload)

    def list_parts(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.bucket(context, params["Bucket"])
        marker = count_argument(params, "PartNumberMarker", "part-number-marker", 0)
        limit = min(count_argument(params, "MaxParts", "max-parts", 1000), 1000)
        upload = self._upload(bucket, params["Key"], params["UploadId"])
        prefix = upload["UploadId"] + SEPARATOR
        start = _part_key(upload["UploadId"], marker) if marker else None
        rows = self.data.parts.scan(bucket["Id"], prefix=prefix, start_after=start, limit=limit + 1)
        parts: list[dict] = []
        truncated = False
        for _, part in rows:
            if len(parts) >= limit:
                truncated = True
                break
            entry = {
                "PartNumber": part["PartNumber"],
                "LastModified": part["LastModified"],
                "ETag": part["ETag"],
                "Size": part["Size"],
            }
            if upload.get("ChecksumAlgorithm"):
                # Only the upload's own algorithm is listed (a part's extra checksum is not).
                value = (part.get("Checksums") or {}).get(upload["ChecksumAlgorithm"])
                if value is not None:
                    entry[f"Checksum{upload['ChecksumAlgorithm']}"] = value
            parts.append(entry)
        owner = acls.owner(upload["Owner"])
        output = {
            "Bucket": bucket["Name"],
            "Key": upload["Key"],
            "UploadId": upload["UploadId"],
            "PartNumberMarker": marker,
            "MaxParts": limit,
            "IsTruncated": truncated,
            "Parts": parts,
            "Initiator": {"ID": owner["ID"], "DisplayName": upload.get("InitiatorName") or upload["Owner"]},
            "Owner": owner,
            "StorageClass": upload.get("StorageClass", "STANDARD"),
        }
        output["NextPartNumberMarker"] = parts[-1]["PartNumber"] if parts else 0
        if upload.get("ChecksumAlgorithm"):
            output["ChecksumAlgorithm"] = upload["ChecksumAlgorithm"]
            output["ChecksumType"] = upload["ChecksumType"]
        return output

    def list_multipart_uploads(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from overcast.services.s3.listing import _PAST, _check_encoding, _Page, _resume_after, _url

        bucket = self.bucket(context, params["Bucket"])
        encoding = _check_encoding(params)
        prefix = params.get("Prefix") or ""
        delimiter = params.get("Delimiter")
        limit = min(count_argument(params, "MaxUploads", "max-uploads", 1000), 1000)
        key_marker, upload_marker = params.get("KeyMarker"), params.get("UploadIdMarker")
        if key_marker is None:
            start = None
        elif upload_marker:
            start = key_marker + SEPARATOR + upload_marker
            if self.data.uploads.get(bucket["Id"], start) is None:
                raise ServiceError(
                    "InvalidArgument",
                    "Invalid uploadId marker",
                    400,
                    ArgumentName="upload-id-marker",
                    ArgumentValue=upload_marker,
                )
        else:
            start = _resume_after(key_marker, delimiter, prefix)
            if start == key_marker:
                start = key_marker + SEPARATOR + _PAST
        uploads_table = self.data.uploads
        page = _Page(
            lambda after: uploads_table.scan(bucket["Id"], prefix=prefix, start_after=after),
            prefix,
            delimiter,
            limit,
            start,
        ).run()
        uploads = []
        for upload in page.entries:
            owner = acls.owner(upload["Owner"])
            entry = {
                "UploadId": upload["UploadId"],
                "Key": _url(upload["Key"], encoding),
                "Initiated": upload["Initiated"],
                "StorageClass": upload.get("StorageClass", "STANDARD"),
                "Owner": owner,
                "Initiator": {
                    "ID": owner["ID"],
                    "DisplayName": upload.get("InitiatorName") or upload["Owner"],
                },
            }
            if upload.get("ChecksumAlgorithm"):
                entry["ChecksumAlgorithm"] = upload["ChecksumAlgorithm"]
                entry["ChecksumType"] = upload["ChecksumType"]
            uploads.append(entry)
        output = {
            "Bucket": bucket["Name"],
            "KeyMarker": _url(key_marker or "", encoding),
            # Without a key marker S3 ignores the upload id marker, and does not echo it.
            "UploadIdMarker": (upload_marker or "") if key_marker is not None else "",
            "MaxUploads": limit,
            "IsTruncated": page.truncated,
            # S3 names the page's last upload, truncated or not ("" for a page without one).
            "NextKeyMarker": _url(page.entries[-1]["Key"], encoding) if page.entries else "",
            "NextUploadIdMarker": page.entries[-1]["UploadId"] if page.entries else "",
        }
        if params.get("Prefix") is not None:
            output["Prefix"] = _url(prefix, encoding)
        if uploads:
            output["Uploads"] = uploads
        page.tail(output, delimiter, encoding)
        return output


def _copy_file(source, out, size: int) -> None:
    try:
        offset = 0
        while offset < size:
            sent = os.sendfile(out.fileno(), source.fileno(), offset, min(size - offset, 1 << 30))
            if sent == 0:
                break
            offset += sent
        out.seek(0, os.SEEK_END)
    except (AttributeError, OSError):
        source.seek(0)
        out.seek(0, os.SEEK_END)
        while chunk := source.read(1 << 20):
            out.write(chunk)
