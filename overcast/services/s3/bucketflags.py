"""Two one-value bucket settings: attribute-based access control (ABAC) and the default
storage class, which objects written without a storage class of their own take
(`object_defaults` in config.py reads it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from overcast.context import RequestContext
from overcast.services.s3.configstore import malformed_xml

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.s3.provider import Provider

#: The storage classes a bucket may default to (the model's enum).
DEFAULT_STORAGE_CLASSES = ("STANDARD", "INTELLIGENT_TIERING")


class BucketFlagOperations:
    def put_bucket_abac(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        status = (params.get("AbacStatus") or {}).get("Status")
        if status not in ("Enabled", "Disabled"):
            raise malformed_xml()
        self.configs.put(bucket, "abac", status)
        return {}

    def get_bucket_abac(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        # A bucket starts with ABAC off.
        return {"AbacStatus": {"Status": self.configs.get(bucket, "abac", "Disabled")}}

    def put_bucket_default_storage_class(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        storage_class = (params.get("DefaultStorageClassConfiguration") or {}).get("DefaultStorageClass")
        if storage_class not in DEFAULT_STORAGE_CLASSES:
            raise malformed_xml()
        if storage_class == "STANDARD":
            self.configs.delete(bucket, "default_storage_class")
        else:
            self.configs.put(bucket, "default_storage_class", storage_class)
        return {}

    def get_bucket_default_storage_class(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        storage_class = self.configs.get(bucket, "default_storage_class", "STANDARD")
        return {"DefaultStorageClassConfiguration": {"DefaultStorageClass": storage_class}}

    def default_storage_class(self: Provider, bucket: dict) -> str | None:  # type: ignore[misc]
        """The storage class an object written without one takes, None for STANDARD."""
        return self.configs.get(bucket, "default_storage_class")
