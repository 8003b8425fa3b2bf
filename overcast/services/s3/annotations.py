"""Object annotations: named UTF-8 payloads (1 byte to 1 MiB, up to 1,000 per object version)
attached to an object version, kept with its other configuration (configstore.py: one row per
version, dropped with the version)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from overcast.common.pagination import decode_token, encode_token
from overcast.context import RequestContext
from overcast.services.s3 import checksums
from overcast.services.s3.configstore import invalid_argument, s3_error
from overcast.services.s3.object_ops import checksum_mode, now

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.s3.provider import Provider

MAX_ANNOTATIONS = 1000
MAX_NAME_BYTES = 512
MAX_PAYLOAD_BYTES = 1024 * 1024
KIND = "annotations"
#: The checksum an annotation gets when the request names none (S3's default for new data).
DEFAULT_ALGORITHM = "CRC64NVME"


def _check_name(name: str) -> None:
    if len(name.encode()) > MAX_NAME_BYTES:
        raise s3_error("AnnotationNameTooLong", "The annotation name exceeds 512 bytes.")
    if not name or any(ord(char) < 32 or ord(char) == 127 for char in name):
        raise s3_error("InvalidAnnotationName", "The annotation name you provided is invalid.")


def _payload_text(payload: Any) -> str:
    data = payload.encode() if isinstance(payload, str) else bytes(payload or b"")
    if not 1 <= len(data) <= MAX_PAYLOAD_BYTES:
        raise s3_error("InvalidRequest", "The annotation payload must be between 1 byte and 1 MiB in size.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise s3_error(
            "UnsupportedMediaType", "The annotation payload is not valid UTF-8 encoded text.", 415
        ) from None


def _no_such_annotation(name: str):
    return s3_error(
        "NoSuchAnnotation",
        "The specified annotation does not exist on this object.",
        404,
        AnnotationName=name,
    )


class AnnotationOperations:
    async def _annotated(self: Provider, context: RequestContext, params: dict) -> tuple[dict, dict, dict]:  # type: ignore[misc]
        """The bucket, the object version and its annotations (name → record)."""
        bucket = self.config_bucket(context, params)
        obj = await self.config_object(context, bucket, params)
        if_match = params.get("ObjectIfMatch")
        if if_match is not None and if_match.strip('"') != obj["ETag"].strip('"') and if_match != "*":
            raise s3_error(
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
                412,
                Condition="x-amz-object-if-match",
            )
        annotations = self.configs.get_object(bucket, KIND, obj["Key"], obj.get("VersionId")) or {}
        return bucket, obj, annotations

    @staticmethod
    def _version_header(obj: dict) -> dict:
        version = obj.get("VersionId")
        return {"ObjectVersionId": version} if version and version != "null" else {}

    async def put_object_annotation(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["AnnotationName"]
        _check_name(name)
        text = _payload_text(params.get("AnnotationPayload"))
        data = text.encode()
        algorithm = params.get("ChecksumAlgorithm") or DEFAULT_ALGORITHM
        given = {
            name_: params[f"Checksum{name_}"]
            for name_ in checksums.ALGORITHMS
            if params.get(f"Checksum{name_}") is not None
        }
        if given:
            algorithm = next(iter(given))
        if algorithm not in checksums.ALGORITHMS:
            raise checksums.invalid_algorithm(algorithm)
        value = checksums.compute(algorithm, data)
        if given and given[algorithm] != value:
            raise s3_error(
                "BadDigest", f"The {algorithm} you specified did not match the calculated checksum."
            )
        with self.store.transaction():
            bucket, obj, annotations = await self._annotated(context, params)
            if name not in annotations and len(annotations) >= MAX_ANNOTATIONS:
                raise s3_error(
                    "AnnotationLimitExceeded",
                    "The request would exceed the maximum number of annotations allowed per object.",
                )
            record = {
                "Payload": text,
                "Size": len(data),
                "ETag": f'"{hashlib.md5(data).hexdigest()}"',
                "LastModified": now(),
                "ChecksumAlgorithm": algorithm,
                "Checksum": value,
            }
            self.configs.put_object(
                bucket, KIND, obj["Key"], obj.get("VersionId"), {**annotations, name: record}
            )
            self.object_event(context, bucket, "ObjectAnnotation:Put", obj)
        return {
            "Key": obj["Key"],
            "AnnotationName": name,
            **self._version_header(obj),
            "ETag": record["ETag"],
            f"Checksum{algorithm}": value,
            "ChecksumType": "FULL_OBJECT",
            "ServerSideEncryption": obj.get("ServerSideEncryption") or "AES256",
        }

    async def get_object_annotation(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, obj, annotations = await self._annotated(context, params)
        record = annotations.get(params["AnnotationName"])
        if record is None:
            raise _no_such_annotation(params["AnnotationName"])
        output = {
            "AnnotationPayload": record["Payload"].encode(),
            **self._version_header(obj),
            "LastModified": record["LastModified"],
            "ContentLength": record["Size"],
            "ETag": record["ETag"],
            "ServerSideEncryption": obj.get("ServerSideEncryption") or "AES256",
        }
        if checksum_mode(params):
            output[f"Checksum{record['ChecksumAlgorithm']}"] = record["Checksum"]
            output["ChecksumType"] = "FULL_OBJECT"
        return output

    async def delete_object_annotation(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            bucket, obj, annotations = await self._annotated(context, params)
            name = params["AnnotationName"]
            if name not in annotations:
                raise _no_such_annotation(name)
            remaining = {key: value for key, value in annotations.items() if key != name}
            if remaining:
                self.configs.put_object(bucket, KIND, obj["Key"], obj.get("VersionId"), remaining)
            else:
                self.configs.delete_object(bucket, KIND, obj["Key"], obj.get("VersionId"))
            self.object_event(context, bucket, "ObjectAnnotation:Delete", obj)
        return self._version_header(obj)

    async def list_object_annotations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket, obj, annotations = await self._annotated(context, params)
        prefix = params.get("AnnotationPrefix") or ""
        limit = params.get("MaxAnnotationResults")
        if limit is None:
            limit = MAX_ANNOTATIONS
        if not 1 <= limit <= MAX_ANNOTATIONS:
            raise invalid_argument(
                "max-annotation-results must be between 1 and 1000", "max-annotation-results", limit
            )
        token = params.get("ContinuationToken")
        after = None
        bind = f"{bucket['Name']}/{obj['Key']}/{obj.get('VersionId')}"
        if token:
            try:
                after = decode_token(self.store, "s3:annotations", token, bind=bind)
            except ValueError:
                after = None
            if not isinstance(after, str):
                raise invalid_argument(
                    "The continuation token provided is incorrect", "continuation-token", token
                )
        names = sorted(
            name for name in annotations if name.startswith(prefix) and (after is None or name > after)
        )
        page = names[:limit]
        output: dict[str, Any] = {
            "Annotations": [
                {
                    "AnnotationName": name,
                    "LastModified": annotations[name]["LastModified"],
                    "ETag": annotations[name]["ETag"],
                    "ChecksumAlgorithm": [annotations[name]["ChecksumAlgorithm"]],
                    "Size": annotations[name]["Size"],
                }
                for name in page
            ],
            "Bucket": bucket["Name"],
            "Key": obj["Key"],
            **self._version_header(obj),
            "MaxAnnotationResults": limit,
            "AnnotationCount": len(page),
        }
        if prefix:
            output["AnnotationPrefix"] = prefix
        if token:
            output["ContinuationToken"] = token
        if len(names) > limit:
            output["NextContinuationToken"] = encode_token(self.store, "s3:annotations", page[-1], bind=bind)
        return output
