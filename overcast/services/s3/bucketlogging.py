"""Server access logging configuration: stored and validated as S3 does (the target bucket
must exist in the source bucket's region). Access log records are not written."""

from __future__ import annotations

from typing import TYPE_CHECKING

from overcast.context import RequestContext
from overcast.services.s3.configstore import malformed_xml, s3_error

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.s3.provider import Provider

#: S3 documents FULL_CONTROL, READ and WRITE for target grants but takes any ACL permission.
_PERMISSIONS = frozenset({"FULL_CONTROL", "READ", "WRITE", "READ_ACP", "WRITE_ACP"})


class LoggingOperations:
    def put_bucket_logging(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        enabled = (params.get("BucketLoggingStatus") or {}).get("LoggingEnabled")
        if enabled is None:
            self.configs.delete(bucket, "logging")
            return {}
        target_name, prefix = enabled.get("TargetBucket"), enabled.get("TargetPrefix")
        if target_name is None or prefix is None:
            raise malformed_xml()
        for grant in enabled.get("TargetGrants") or []:
            if grant.get("Permission") not in _PERMISSIONS or not grant.get("Grantee"):
                raise malformed_xml()
        target = self.find_bucket(target_name)
        if target is None:
            raise s3_error(
                "InvalidTargetBucketForLogging",
                "The target bucket for logging does not exist",
                TargetBucket=target_name,
            )
        if target["Region"] != bucket["Region"]:
            # (sic) S3's own spelling; it names the source region unless that is us-east-1.
            locations = {"TargetBucketLocation": target["Region"]}
            if bucket["Region"] != "us-east-1":
                locations = {"SourceBucketLocation": bucket["Region"], **locations}
            raise s3_error(
                "CrossLocationLoggingProhibitted", "Cross S3 location logging not allowed. ", 403, **locations
            )
        self.configs.put(
            bucket, "logging", {key: value for key, value in enabled.items() if value is not None}
        )
        return {}

    def get_bucket_logging(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        enabled = self.configs.get(bucket, "logging")
        return {"LoggingEnabled": enabled} if enabled else {}
