"""Bucket replication configuration: stored and validated as S3 does (source and destination
versioned, at least one rule). Objects are not replicated."""

from __future__ import annotations

import base64
import os
from typing import TYPE_CHECKING

from overcast.context import RequestContext
from overcast.services.s3.configstore import malformed_xml, s3_error

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.s3.provider import Provider


def _destination_name(bucket_arn: str) -> str | None:
    head, _, name = bucket_arn.rpartition(":::")
    if not head.startswith("arn:aws") or not head.endswith(":s3") or not name:
        return None
    return name


class ReplicationOperations:
    def put_bucket_replication(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        if bucket.get("Versioning") != "Enabled":
            raise s3_error(
                "InvalidRequest",
                "Versioning must be 'Enabled' on the bucket to apply a replication configuration",
            )
        document = params.get("ReplicationConfiguration") or {}
        rules = document.get("Rules") or []
        if not rules or not document.get("Role"):
            raise malformed_xml()
        stored_rules = []
        for rule in rules:
            destination = rule.get("Destination") or {}
            if rule.get("Status") not in ("Enabled", "Disabled") or not destination.get("Bucket"):
                raise malformed_xml()
            name = _destination_name(destination["Bucket"])
            target = self.find_bucket(name) if name else None
            # S3 gives the same answer whether the destination is missing or unversioned.
            if target is None or target.get("Versioning") != "Enabled":
                raise s3_error("InvalidRequest", "Destination bucket must have versioning enabled.")
            stored = {key: value for key, value in rule.items() if value is not None}
            if not stored.get("ID"):
                # S3 names a rule given without an ID.
                stored["ID"] = base64.b64encode(os.urandom(36)).decode()[:48]
            stored_rules.append(stored)
        self.configs.put(bucket, "replication", {"Role": document["Role"], "Rules": stored_rules})
        return {}

    def get_bucket_replication(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        stored = self.configs.get(bucket, "replication")
        if stored is None:
            raise s3_error(
                "ReplicationConfigurationNotFoundError",
                "The replication configuration was not found",
                404,
                BucketName=bucket["Name"],
            )
        return {"ReplicationConfiguration": stored}

    def delete_bucket_replication(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        self.configs.delete(bucket, "replication")
        return {}
