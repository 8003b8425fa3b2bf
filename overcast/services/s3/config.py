"""S3 bucket and object configuration: policy, ownership and ACLs, public access block, CORS,
website, lifecycle, tagging, encryption, object lock, notifications, replication and access
logging. The configuration lives in tables of its own (configstore.py).

The contract with the object operations (provider.py), both ways:

Hooks they call here
  object_defaults(context, bucket, params) -> dict
      before writing an object (PutObject, CopyObject, CreateMultipartUpload): default
      encryption and object lock retention, merged into the stored object; raises S3's error
      for lock headers on a bucket without object lock.
  encryption_configured(bucket) -> bool
      whether the bucket has an encryption configuration of its own (copy in place allowed).
  check_object_lock(context, bucket, obj, bypass_governance)
      before deleting or overwriting a specific version.
  object_event(context, bucket, event_name, obj)
      after every change ("ObjectCreated:Put", "ObjectRemoved:DeleteMarkerCreated", ...);
      obj needs Key, and Size, ETag, VersionId where AWS's event has them.
  object_read_fields(context, bucket, obj) -> dict
      merged into GetObject/HeadObject output: TagCount and the version's current retention and
      legal hold (which PutObjectRetention/PutObjectLegalHold change after the write).

What this code uses of theirs
  bucket(context, name) -> record with Name, Account, Region, CreationDate, Versioning.
  The handlers head_object, get_object, delete_object, list_object_versions,
  list_multipart_uploads, abort_multipart_upload, called with an internal context.
  transition_object(context, bucket, key, version_id, storage_class): move a version to
  another storage class in place, keeping its LastModified (lifecycle transitions).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.s3 import acl as acls
from overcast.services.s3 import requestmetrics, ssec, storagemetrics
from overcast.services.s3.access import PAB_FIELDS, AccessOperations
from overcast.services.s3.bucketflags import BucketFlagOperations
from overcast.services.s3.bucketlogging import LoggingOperations
from overcast.services.s3.configstore import ConfigStore, invalid_argument, malformed_xml, s3_error
from overcast.services.s3.cors import CorsOperations
from overcast.services.s3.extras import IdConfigurationOperations
from overcast.services.s3.legacy import LegacyConfigurationOperations
from overcast.services.s3.lifecycle import LifecycleOperations
from overcast.services.s3.metadata import MetadataOperations
from overcast.services.s3.notifications import NotificationOperations
from overcast.services.s3.objectlock import ObjectLockOperations
from overcast.services.s3.replication import ReplicationOperations
from overcast.services.s3.website import WebsiteOperations

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.s3.provider import Provider

SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")
DEFAULT_ENCRYPTION = {
    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]
}
MAX_BUCKET_TAGS = 50
MAX_OBJECT_TAGS = 10
#: What tag keys and values may hold: letters, digits, spaces and + - = . _ : / @ (AWS's rule).
_TAG_TEXT = re.compile(r"^[\w\s+\-=._:/@]*$")

#: Operations that write an object and may carry an ACL or tags, checked before they run.
_OBJECT_WRITES = ("PutObject", "CopyObject", "CreateMultipartUpload")


#: Operations S3 refuses with MethodNotAllowed (rather than NoSuchKey) when the key's current
#: version is a delete marker.
_DELETE_MARKER_REFUSED = frozenset(
    {"PutObjectTagging", "GetObjectTagging", "DeleteObjectTagging", "PutObjectAcl"}
)

#: HeadObject output member → the object field name the configuration code uses.
_HEAD_FIELDS = {
    "VersionId": "VersionId",
    "ContentLength": "Size",
    "ETag": "ETag",
    "LastModified": "LastModified",
    "StorageClass": "StorageClass",
    "ObjectLockMode": "ObjectLockMode",
    "ObjectLockRetainUntilDate": "ObjectLockRetainUntilDate",
    "ObjectLockLegalHoldStatus": "ObjectLockLegalHoldStatus",
    "WebsiteRedirectLocation": "WebsiteRedirectLocation",
}


async def _awaited(result):
    return (await result) if inspect.isawaitable(result) else result


def validate_tags(tags: list[dict], limit: int) -> list[dict]:
    """Check a TagSet as S3 does; returns it as stored."""
    if len(tags) > limit:
        if limit == MAX_OBJECT_TAGS:
            raise s3_error("BadRequest", "Object tags cannot be greater than 10")
        raise s3_error("InvalidTag", "Bucket tag count cannot be greater than 50")
    seen = set()
    for tag in tags:
        key, value = tag.get("Key"), tag.get("Value")
        if key is None or value is None:
            raise malformed_xml()
        if key in seen:
            raise s3_error("InvalidTag", "Cannot provide multiple Tags with the same key", TagKey=key)
        seen.add(key)
        if not key or len(key) > 128:
            raise s3_error(
                "InvalidTag",
                "The TagKey you have provided is too long, max 128"
                if key
                else "The TagKey you have provided is invalid",
                TagKey=key,
            )
        if not _TAG_TEXT.match(key):
            raise s3_error("InvalidTag", "The TagKey you have provided is invalid", TagKey=key)
        if len(value) > 256:
            raise s3_error(
                "InvalidTag",
                "The TagValue you have provided is too long, max 256",
                TagKey=key,
                TagValue=value,
            )
        if not _TAG_TEXT.match(value):
            raise s3_error(
                "InvalidTag", "The TagValue you have provided is invalid", TagKey=key, TagValue=value
            )
        if key.lower().startswith("aws:"):
            if limit == MAX_OBJECT_TAGS:
                raise s3_error("InvalidTag", "Your TagKey cannot be prefixed with aws:", TagKey=key)
            raise s3_error("InvalidTag", "System tags cannot be added/updated by requester", TagKey=key)
    return [{"Key": tag["Key"], "Value": tag["Value"]} for tag in tags]


def creation_tags(params: dict) -> list[dict]:
    """The tags CreateBucket's configuration gives the new bucket, validated as S3 does."""
    tags = (params.get("CreateBucketConfiguration") or {}).get("Tags") or []
    for tag in tags:
        if (tag.get("Key") or "").lower().startswith("aws:"):
            raise s3_error(
                "InvalidTag",
                'User-defined tag keys can\'t start with "aws:". This prefix is reserved for system tags. '
                'Remove "aws:" from your tag keys and try again.',
            )
    return validate_tags(tags, MAX_BUCKET_TAGS) if tags else []


def parse_tagging_header(text: str) -> list[dict]:
    """The x-amz-tagging header (URL-encoded "k1=v1&k2=v2")."""
    pairs = parse_qsl(text, keep_blank_values=True)
    malformed = invalid_argument(
        "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters "
        "without tag name duplicates.",
        "x-amz-tagging",
        text,
    )
    if len({key for key, _ in pairs}) != len(pairs):
        raise malformed
    try:
        return validate_tags([{"Key": key, "Value": value} for key, value in pairs], MAX_OBJECT_TAGS)
    except ServiceError as error:
        # Characters a tag may not hold mean the header was not encoded as S3 asks.
        if error.code == "InvalidTag" and error.message.endswith("is invalid"):
            raise malformed from None
        raise


class BucketConfigOperations(
    AccessOperations,
    CorsOperations,
    WebsiteOperations,
    LifecycleOperations,
    NotificationOperations,
    ObjectLockOperations,
    IdConfigurationOperations,
    ReplicationOperations,
    LoggingOperations,
    BucketFlagOperations,
    LegacyConfigurationOperations,
    MetadataOperations,
):
    # -- plumbing -----------------------------------------------------------------------------

    @property
    def configs(self: Provider) -> ConfigStore:  # type: ignore[misc]
        configs = self.__dict__.get("_configs")
        if configs is None:
            configs = self.__dict__["_configs"] = ConfigStore(self.store)
        return configs

    def start(self: Provider) -> None:  # type: ignore[misc]
        super().start()
        self.start_lifecycle()
        storagemetrics.start(self)

    def config_bucket(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.bucket(context, params["Bucket"])
        expected = params.get("ExpectedBucketOwner")
        if expected and expected != bucket["Account"]:
            raise s3_error("AccessDenied", "Access Denied", 403)
        return bucket

    def find_bucket(self: Provider, name: str) -> dict | None:  # type: ignore[misc]
        return self.data.bucket(name)  # the cached record, or None: no context to build per request

    def resource_owner(self: Provider, arn: str) -> str | None:  # type: ignore[misc]
        """The account of the bucket a bucket or object ARN names (S3's ARNs name no account)."""
        parts = arn.split(":", 5)
        bucket = self.find_bucket(parts[5].split("/", 1)[0]) if len(parts) == 6 else None
        return bucket["Account"] if bucket else None

    @staticmethod
    def internal_context(bucket: dict) -> RequestContext:
        return RequestContext.internal("s3", bucket["Account"], bucket["Region"])

    async def object_for_config(  # type: ignore[misc]
        self: Provider, context: RequestContext, bucket: dict, key: str, version_id: str | None
    ) -> dict:
        """The object version as HeadObject reports it (its errors if there is none)."""
        params = {"Bucket": bucket["Name"], "Key": key}
        if version_id:
            params["VersionId"] = version_id
        output = await _awaited(self.head_object(self.internal_context(bucket), params))
        obj = {
            name: output[member] for member, name in _HEAD_FIELDS.items() if output.get(member) is not None
        }
        obj["Key"] = key
        return obj

    async def config_object(self: Provider, context: RequestContext, bucket: dict, params: dict) -> dict:  # type: ignore[misc]
        """The object version a configuration request names (NoSuchKey/NoSuchVersion if none;
        MethodNotAllowed, naming this request's method, for a delete marker)."""
        try:
            return await self.object_for_config(context, bucket, params["Key"], params.get("VersionId"))
        except ServiceError as error:
            marker = error.headers is not None and error.headers.get("x-amz-delete-marker") == "true"
            if error.code == "MethodNotAllowed" or (
                marker and context.operation_name in _DELETE_MARKER_REFUSED
            ):
                refused = ServiceError(
                    "MethodNotAllowed",
                    "The specified method is not allowed against this resource.",
                    405,
                    Method=context.request.method or "GET",
                    ResourceType="DeleteMarker",
                )
                refused.headers = error.headers
                raise refused from None
            raise

    async def find_object(  # type: ignore[misc]
        self: Provider, context: RequestContext, bucket: dict, key: str, version_id: str | None
    ) -> dict | None:
        try:
            return await self.object_for_config(context, bucket, key, version_id)
        except ServiceError:
            return None

    # -- hooks the object operations call ----------------------------------------------------

    def object_defaults(self: Provider, context: RequestContext, bucket: dict, params: dict) -> dict:  # type: ignore[misc]
        """Settings a new object takes from its bucket when the request does not give them
        (default encryption, default object lock retention), merged into the stored object."""
        defaults: dict[str, Any] = {}
        customer_key = ssec.check_write(params)
        if customer_key is not None:
            defaults.update(customer_key)
        algorithm = params.get("ServerSideEncryption")
        if not algorithm and not params.get("SSECustomerAlgorithm"):
            rule = self.configs.get(bucket, "encryption", DEFAULT_ENCRYPTION)["Rules"][0]
            by_default = rule["ApplyServerSideEncryptionByDefault"]
            defaults["ServerSideEncryption"] = by_default["SSEAlgorithm"]
            if by_default["SSEAlgorithm"] != "AES256":
                default_bucket_key = bool(params.get("BucketKeyEnabled", rule.get("BucketKeyEnabled")))
                defaults.update(
                    self.seal_data_key(
                        bucket, params["Key"], by_default.get("KMSMasterKeyID"), None, default_bucket_key
                    )
                )
                if default_bucket_key:
                    defaults["BucketKeyEnabled"] = True
        elif algorithm:
            # The request's own encryption is the object's, stored and answered on every read.
            defaults["ServerSideEncryption"] = algorithm
            if algorithm.startswith("aws:kms"):
                bucket_key = params.get("BucketKeyEnabled")
                if bucket_key is None:  # unset: the bucket's own setting applies
                    rule = self.configs.get(bucket, "encryption", DEFAULT_ENCRYPTION)["Rules"][0]
                    bucket_key = rule.get("BucketKeyEnabled")
                defaults.update(
                    self.seal_data_key(
                        bucket,
                        params["Key"],
                        params.get("SSEKMSKeyId"),
                        params.get("SSEKMSEncryptionContext"),
                        bool(bucket_key),
                    )
                )
                if bucket_key:
                    defaults["BucketKeyEnabled"] = True
                if params.get("SSEKMSEncryptionContext"):
                    defaults["SSEKMSEncryptionContext"] = params["SSEKMSEncryptionContext"]
        if not params.get("StorageClass"):
            storage_class = self.default_storage_class(bucket)
            if storage_class:
                defaults["StorageClass"] = storage_class
        defaults.update(self.object_lock_defaults(context, bucket, params))
        return defaults

    def encryption_configured(self: Provider, bucket: dict) -> bool:  # type: ignore[misc]
        """Whether the bucket has an encryption configuration of its own (not the SSE-S3 default)."""
        return self.configs.get(bucket, "encryption") is not None

    def object_read_fields(self: Provider, context: RequestContext, bucket: dict, obj: dict) -> dict:  # type: ignore[misc]
        """Output members GetObject/HeadObject report from the object's configuration: its tag
        count and its current retention and legal hold (which change after the write)."""
        fields: dict[str, Any] = {}
        tags = self.configs.get_object(bucket, "tags", obj["Key"], obj.get("VersionId"))
        if tags:
            fields["TagCount"] = len(tags)
        fields.update(self.object_lock_fields(bucket, obj))
        return fields

    # check_object_lock and object_event: objectlock.py and notifications.py.

    # -- requests around the object operations -----------------------------------------------

    def check_configured(self: Provider, context: RequestContext, params: dict) -> Awaitable[None] | None:  # type: ignore[misc]
        """Before an S3 handler runs: anonymous access, then ACL and tagging input of writes.
        Only an unsigned request needs to wait for anything (a coroutine is returned)."""
        if context.access_key_id is None and not context.extra.get("internal"):
            return self._check_anonymous_then_input(context, params)
        self._check_input(context, params)
        return None

    async def _check_anonymous_then_input(self: Provider, context: RequestContext, params: dict) -> None:  # type: ignore[misc]
        await self.check_anonymous(context, params)
        self._check_input(context, params)

    def _check_input(self: Provider, context: RequestContext, params: dict) -> None:  # type: ignore[misc]
        operation = context.operation_name
        if operation in _OBJECT_WRITES:
            self._check_object_write(context, operation, params)
        elif operation == "CreateBucket":
            grants = acls.grants_from_request(params, context.account, acls.BUCKET_CANNED)
            ownership = params.get("ObjectOwnership") or "BucketOwnerEnforced"
            if (
                grants is not None
                and ownership == "BucketOwnerEnforced"
                and not acls.owner_only(grants, context.account)
            ):
                raise s3_error(
                    "InvalidBucketAclWithObjectOwnership",
                    "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
                )
            if grants is not None and acls.is_public(grants) and self.find_bucket(params["Bucket"]) is None:
                # A new bucket starts with every public access block setting on.
                raise s3_error(
                    "InvalidBucketAclWithBlockPublicAccessError",
                    "Bucket cannot have public ACLs set with BlockPublicAccess enabled",
                )

    def _check_object_write(self: Provider, context: RequestContext, operation: str, params: dict) -> None:  # type: ignore[misc]
        tagging = params.get("Tagging")
        if tagging is not None:
            parse_tagging_header(tagging)
        if params.get("ACL") is None and not any(params.get(name) for name in acls._GRANT_HEADERS):
            return
        bucket = self.bucket(context, params["Bucket"])
        grants = acls.grants_from_request(params, context.account, acls.OBJECT_CANNED, bucket["Account"])
        if grants is not None:
            self._check_acl_write(bucket, grants, bucket["Account"])

    def after_request(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        params: dict | None,
        output: dict | None,
        error: Exception | None,
    ) -> None:
        """What follows an S3 operation that succeeded: the configuration it sets as well."""
        requestmetrics.observe(self, context, params, output, error)
        if error is not None or params is None:
            return
        handler = _AFTER.get(context.operation_name)
        if handler is not None:
            handler(self, context, params, output or {})

    def _after_create_bucket(self: Provider, context: RequestContext, params: dict, output: dict) -> None:  # type: ignore[misc]
        bucket = self.bucket(context, params["Bucket"])
        grants = acls.grants_from_request(params, bucket["Account"], acls.BUCKET_CANNED)
        if context.extra.get("s3_existing_bucket"):
            # us-east-1's legacy re-create keeps the bucket and its configuration but, as AWS
            # documents, resets its ACL (to the one this request asks for, private by default).
            if grants is None:
                self.configs.delete(bucket, "acl")
            else:
                self.configs.put(bucket, "acl", grants)
            return
        self.configs.forget_bucket(bucket["Account"], bucket["Name"])
        # New buckets block public access, as AWS has made them since April 2023.
        self.configs.put(bucket, "public_access_block", dict.fromkeys(PAB_FIELDS, True))
        if params.get("ObjectOwnership"):
            self.configs.put(bucket, "ownership", {"Rules": [{"ObjectOwnership": params["ObjectOwnership"]}]})
        if grants is not None:
            self.configs.put(bucket, "acl", grants)
        if params.get("ObjectLockEnabledForBucket"):
            self.configs.put(bucket, "object_lock", {"ObjectLockEnabled": "Enabled"})
        tags = creation_tags(params)
        if tags:
            self.configs.put(bucket, "tags", tags)

    def _after_delete_bucket(self: Provider, context: RequestContext, params: dict, output: dict) -> None:  # type: ignore[misc]
        self.configs.forget_bucket(context.account, params["Bucket"])

    def _after_object_write(self: Provider, context: RequestContext, params: dict, output: dict) -> None:  # type: ignore[misc]
        bucket = self.find_bucket(params["Bucket"])
        if bucket is None:
            return
        key, version = params["Key"], output.get("VersionId")
        self.configs.forget_object(bucket, key, version)
        tags = None
        if context.operation_name == "CopyObject" and params.get("TaggingDirective") != "REPLACE":
            # A copy keeps the source's tags unless told to replace them (x-amz-tagging is
            # then ignored).
            tags = self._copy_source_tags(params, output)
        elif params.get("Tagging") is not None:
            tags = parse_tagging_header(params["Tagging"])
        if tags:
            self.configs.put_object(bucket, "tags", key, version, tags)
        grants = acls.grants_from_request(params, context.account, acls.OBJECT_CANNED, bucket["Account"])
        if grants is not None:
            self.configs.put_object(bucket, "acl", key, version, grants)
        self.after_object_lock_write(bucket, params, key, version)

    def _copy_source_tags(self: Provider, params: dict, output: dict) -> list | None:  # type: ignore[misc]
        source = params.get("CopySource")
        if isinstance(source, dict):
            name, key = source.get("Bucket"), source.get("Key")
        else:
            path = unquote(str(source)).lstrip("/").partition("?versionId=")[0]
            name, _, key = path.partition("/")
        bucket = self.find_bucket(name) if name else None
        if bucket is None or not key:
            return None
        return self.configs.get_object(bucket, "tags", key, output.get("CopySourceVersionId"))

    def _after_create_upload(self: Provider, context: RequestContext, params: dict, output: dict) -> None:  # type: ignore[misc]
        bucket = self.find_bucket(params["Bucket"])
        upload = output.get("UploadId")
        if bucket is None or not upload:
            return
        pending = {
            name: params[name]
            for name in (
                "Tagging",
                "ACL",
                *acls._GRANT_HEADERS,
                "ObjectLockMode",
                "ObjectLockRetainUntilDate",
                "ObjectLockLegalHoldStatus",
            )
            if params.get(name) is not None
        }
        if pending:
            self.configs.put(bucket, f"upload/{upload}", pending)

    def _after_complete_upload(self: Provider, context: RequestContext, params: dict, output: dict) -> None:  # type: ignore[misc]
        bucket = self.find_bucket(params["Bucket"])
        if bucket is None:
            return
        pending = self.configs.get(bucket, f"upload/{params['UploadId']}")
        if pending is None:
            return
        self.configs.delete(bucket, f"upload/{params['UploadId']}")
        self._after_object_write(
            context, {**pending, "Bucket": params["Bucket"], "Key": params["Key"]}, output
        )

    def _after_abort_upload(self: Provider, context: RequestContext, params: dict, output: dict) -> None:  # type: ignore[misc]
        bucket = self.find_bucket(params["Bucket"])
        if bucket is not None:
            self.configs.delete(bucket, f"upload/{params['UploadId']}")

    def _after_delete_object(self: Provider, context: RequestContext, params: dict, output: dict) -> None:  # type: ignore[misc]
        bucket = self.find_bucket(params["Bucket"])
        if bucket is None:
            return
        self._forget_deleted(bucket, params["Key"], params.get("VersionId"), output.get("VersionId"))

    def _after_delete_objects(self: Provider, context: RequestContext, params: dict, output: dict) -> None:  # type: ignore[misc]
        bucket = self.find_bucket(params["Bucket"])
        if bucket is None:
            return
        asked = {
            (item.get("Key"), item.get("VersionId"))
            for item in (params.get("Delete") or {}).get("Objects", [])
        }
        for deleted in output.get("Deleted") or []:
            requested = (
                deleted.get("VersionId") if (deleted.get("Key"), deleted.get("VersionId")) in asked else None
            )
            self._forget_deleted(bucket, deleted.get("Key"), requested, deleted.get("DeleteMarkerVersionId"))

    def _forget_deleted(  # type: ignore[misc]
        self: Provider, bucket: dict, key: str | None, requested_version: str | None, new_version: str | None
    ) -> None:
        if key is None:
            return
        if requested_version:
            self.configs.forget_object(bucket, key, requested_version)
        elif not new_version or new_version == "null":
            # Unversioned (or suspended) buckets replace the null version.
            self.configs.forget_object(bucket, key, None)

    # -- bucket tagging -----------------------------------------------------------------------

    def put_bucket_tagging(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        tags = validate_tags((params.get("Tagging") or {}).get("TagSet") or [], MAX_BUCKET_TAGS)
        self.configs.put(bucket, "tags", tags)
        context.status = 204  # what S3 answers, though its model says 200
        return {}

    def get_bucket_tagging(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        tags = self.configs.get(bucket, "tags")
        if not tags:
            raise s3_error("NoSuchTagSet", "The TagSet does not exist", 404, BucketName=bucket["Name"])
        return {"TagSet": tags}

    def delete_bucket_tagging(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        self.configs.delete(bucket, "tags")
        return {}

    # -- object tagging -----------------------------------------------------------------------

    async def put_object_tagging(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        tags = validate_tags((params.get("Tagging") or {}).get("TagSet") or [], MAX_OBJECT_TAGS)
        obj = await self.config_object(context, bucket, params)
        with self.store.transaction():  # the event commits with the change it announces
            self.configs.put_object(bucket, "tags", obj["Key"], obj.get("VersionId"), tags)
            self.object_event(context, bucket, "ObjectTagging:Put", obj)
        return self._version_output(obj)

    async def get_object_tagging(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        try:
            obj = await self.config_object(context, bucket, params)
        except ServiceError as error:
            if error.code == "NoSuchKey":
                # GetObjectTagging alone names the key with its bucket (AWS recorded).
                error.fields["Key"] = f"{params['Bucket']}/{params['Key']}"
            raise
        tags = self.configs.get_object(bucket, "tags", obj["Key"], obj.get("VersionId")) or []
        return {**self._version_output(obj), "TagSet": tags}

    async def delete_object_tagging(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        obj = await self.config_object(context, bucket, params)
        with self.store.transaction():
            self.configs.delete_object(bucket, "tags", obj["Key"], obj.get("VersionId"))
            self.object_event(context, bucket, "ObjectTagging:Delete", obj)
        return self._version_output(obj)

    @staticmethod
    def _version_output(obj: dict) -> dict:
        version = obj.get("VersionId")
        return {"VersionId": version} if version and version != "null" else {}

    def object_tags(self: Provider, bucket: dict, obj: dict) -> list[dict]:  # type: ignore[misc]
        return self.configs.get_object(bucket, "tags", obj["Key"], obj.get("VersionId")) or []

    # -- encryption ---------------------------------------------------------------------------

    def put_bucket_encryption(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        rules = (params.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
        if len(rules) != 1:
            raise malformed_xml()
        rule = rules[0]
        by_default = rule.get("ApplyServerSideEncryptionByDefault")
        if not by_default or by_default.get("SSEAlgorithm") not in SSE_ALGORITHMS:
            raise malformed_xml()
        algorithm = by_default["SSEAlgorithm"]
        stored: dict[str, Any] = {"SSEAlgorithm": algorithm}
        if by_default.get("KMSMasterKeyID"):
            if algorithm == "AES256":
                # Named by its argument alone, without a value (AWS recorded).
                raise s3_error(
                    "InvalidArgument",
                    "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
                    400,
                    ArgumentName="ApplyServerSideEncryptionByDefault",
                )
            stored["KMSMasterKeyID"] = by_default["KMSMasterKeyID"]
        self.configs.put(
            bucket,
            "encryption",
            {
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": stored,
                        "BucketKeyEnabled": bool(rule.get("BucketKeyEnabled", False)),
                    }
                ]
            },
        )
        return {}

    def get_bucket_encryption(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        return {
            "ServerSideEncryptionConfiguration": self.configs.get(bucket, "encryption", DEFAULT_ENCRYPTION)
        }

    def delete_bucket_encryption(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        # Every bucket is encrypted: deleting the configuration returns it to SSE-S3.
        bucket = self.config_bucket(context, params)
        self.configs.delete(bucket, "encryption")
        return {}

    # -- accelerate and request payment --------------------------------------------------------

    def put_bucket_accelerate_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        status = (params.get("AccelerateConfiguration") or {}).get("Status")
        if "." in bucket["Name"]:
            raise s3_error(
                "InvalidRequest",
                "S3 Transfer Acceleration is not supported for buckets with periods (.) in their names",
            )
        if status not in ("Enabled", "Suspended"):
            raise malformed_xml()
        self.configs.put(bucket, "accelerate", status)
        return {}

    def get_bucket_accelerate_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        status = self.configs.get(bucket, "accelerate")
        return {"Status": status} if status else {}

    def put_bucket_request_payment(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        payer = (params.get("RequestPaymentConfiguration") or {}).get("Payer")
        if payer not in ("Requester", "BucketOwner"):
            raise malformed_xml()
        self.configs.put(bucket, "request_payment", payer)
        return {}

    def get_bucket_request_payment(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        return {"Payer": self.configs.get(bucket, "request_payment", "BucketOwner")}


_AFTER = {
    "CreateBucket": BucketConfigOperations._after_create_bucket,
    "DeleteBucket": BucketConfigOperations._after_delete_bucket,
    "PutObject": BucketConfigOperations._after_object_write,
    "CopyObject": BucketConfigOperations._after_object_write,
    "CreateMultipartUpload": BucketConfigOperations._after_create_upload,
    "CompleteMultipartUpload": BucketConfigOperations._after_complete_upload,
    "AbortMultipartUpload": BucketConfigOperations._after_abort_upload,
    "DeleteObject": BucketConfigOperations._after_delete_object,
    "DeleteObjects": BucketConfigOperations._after_delete_objects,
}
