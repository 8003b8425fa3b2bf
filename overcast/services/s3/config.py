"""S3 bucket and object configuration: policy, ownership and ACLs, public access block, CORS,
website, lifecycle, tagging, encryption, object lock and notifications.

The object operations (provider.py) call the hooks below at the points AWS applies each
configuration; every hook's body here is the behaviour of a bucket with no configuration."""

from __future__ import annotations

from typing import Any


class BucketConfigOperations:
    def object_defaults(self, context, bucket: dict, params: dict) -> dict:
        """Settings a new object takes from its bucket when the request does not give them
        (default encryption, default object lock retention), merged into the stored object."""
        return {}

    def check_object_lock(self, context, bucket: dict, obj: dict, bypass_governance: bool) -> None:
        """Raise AccessDenied if the version's retention or legal hold forbids deleting or
        overwriting it."""

    def object_event(self, context, bucket: dict, event_name: str, obj: dict[str, Any]) -> None:
        """An object changed; event_name as AWS names it without the "s3:" prefix
        ("ObjectCreated:Put", "ObjectRemoved:DeleteMarkerCreated", ...). Delivers to the
        bucket's notification configuration."""
