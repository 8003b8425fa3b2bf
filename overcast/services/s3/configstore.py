"""Where bucket and object configuration is kept: tables of this module's own, so the object
operations' record layout can change without touching it.

Bucket configuration: table s3/bucket_config, scope = the owning account, key
"<bucket>/<kind>" (a bucket name has no "/"). Object configuration (tags, ACL, retention,
legal hold): table s3/object_config, key "<bucket>/<kind>/<version>/<object key>" so that all
of one bucket's rows share a prefix and can be dropped with the bucket.

Object writes consult the bucket's configuration on every request, so bucket rows are cached
in memory (every write goes through here; the cache is dropped when the store is reset or
imported), as is whether a bucket has any object rows at all.
"""

from __future__ import annotations

import threading
from typing import Any

from overcast.errors import ServiceError
from overcast.store import scope

#: The version id AWS reports for objects written while versioning was never enabled.
NULL_VERSION = "null"
OBJECT_KINDS = ("tags", "acl", "retention", "legal_hold", "annotations")
_MISSING = object()


def s3_error(code: str, message: str, status: int = 400, **fields: Any) -> ServiceError:
    return ServiceError(code, message, status, **fields)


def malformed_xml() -> ServiceError:
    return s3_error(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    )


def invalid_argument(message: str, name: str | None = None, value: Any = None) -> ServiceError:
    fields = {}
    if name is not None:
        fields = {"ArgumentName": name, "ArgumentValue": "" if value is None else str(value)}
    return s3_error("InvalidArgument", message, 400, **fields)


class ConfigStore:
    """Read and write one bucket's (or object version's) configuration documents."""

    def __init__(self, store) -> None:
        self.buckets = store.table("s3", "bucket_config")
        self.objects = store.table("s3", "object_config")
        #: bucket name → account, for the buckets that have a lifecycle configuration (the
        #: lifecycle worker walks it without looking at every bucket).
        self.lifecycle_index = store.table("s3", "lifecycle_buckets")
        self._cache: dict[tuple[str, str], Any] = {}
        self._has_object_rows: dict[tuple[str, str], bool] = {}
        self._lock = threading.Lock()

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()
            self._has_object_rows.clear()

    # -- bucket level -----------------------------------------------------------------------

    def get(self, bucket: dict, kind: str, default: Any = None) -> Any:
        where, key = scope(bucket["Account"]), f"{bucket['Name']}/{kind}"
        value = self._cache.get((where, key), _MISSING)
        if value is _MISSING:
            value = self.buckets.get(where, key)
            with self._lock:
                self._cache[(where, key)] = value
        return default if value is None else value

    def put(self, bucket: dict, kind: str, value: Any) -> None:
        where, key = scope(bucket["Account"]), f"{bucket['Name']}/{kind}"
        self.buckets.put(where, key, value)
        with self._lock:
            self._cache[(where, key)] = value

    def delete(self, bucket: dict, kind: str) -> bool:
        where, key = scope(bucket["Account"]), f"{bucket['Name']}/{kind}"
        with self._lock:
            self._cache[(where, key)] = None
        return self.buckets.delete(where, key)

    def scan(self, bucket: dict, kind_prefix: str, start_after: str | None = None, limit: int | None = None):
        """(kind, value) of the bucket's configurations whose kind starts with kind_prefix."""
        base = f"{bucket['Name']}/"
        after = base + start_after if start_after is not None else None
        for key, value in self.buckets.scan(
            scope(bucket["Account"]), prefix=base + kind_prefix, start_after=after, limit=limit
        ):
            yield key[len(base) :], value

    # -- object level -----------------------------------------------------------------------

    @staticmethod
    def _object_key(bucket: dict, kind: str, key: str, version_id: str | None) -> str:
        return f"{bucket['Name']}/{kind}/{version_id or NULL_VERSION}/{key}"

    def _any_object_rows(self, bucket: dict) -> bool:
        marker = (bucket["Account"], bucket["Name"])
        known = self._has_object_rows.get(marker)
        if known is None:
            known = (
                next(
                    iter(self.objects.scan(scope(bucket["Account"]), prefix=f"{bucket['Name']}/", limit=1)),
                    None,
                )
                is not None
            )
            with self._lock:
                self._has_object_rows[marker] = known
        return known

    def get_object(
        self, bucket: dict, kind: str, key: str, version_id: str | None, default: Any = None
    ) -> Any:
        if not self._any_object_rows(bucket):
            return default
        return self.objects.get(
            scope(bucket["Account"]), self._object_key(bucket, kind, key, version_id), default
        )

    def put_object(self, bucket: dict, kind: str, key: str, version_id: str | None, value: Any) -> None:
        self.objects.put(scope(bucket["Account"]), self._object_key(bucket, kind, key, version_id), value)
        with self._lock:
            self._has_object_rows[(bucket["Account"], bucket["Name"])] = True

    def delete_object(self, bucket: dict, kind: str, key: str, version_id: str | None) -> bool:
        if not self._any_object_rows(bucket):
            return False
        return self.objects.delete(scope(bucket["Account"]), self._object_key(bucket, kind, key, version_id))

    def forget_object(self, bucket: dict, key: str, version_id: str | None) -> None:
        """Drop a version's tags, ACL, retention and legal hold (it was deleted or replaced)."""
        if not self._any_object_rows(bucket):
            return
        for kind in OBJECT_KINDS:
            self.delete_object(bucket, kind, key, version_id)

    def forget_bucket(self, account: str, name: str) -> None:
        """Drop every configuration of a deleted bucket (a new bucket of that name starts clean)."""
        where = scope(account)
        for table in (self.buckets, self.objects):
            for row_key, _ in list(table.scan(where, prefix=f"{name}/")):
                table.delete(where, row_key)
        self.lifecycle_index.delete("global", name)
        with self._lock:
            for cached in [
                cached for cached in self._cache if cached[0] == where and cached[1].startswith(f"{name}/")
            ]:
                del self._cache[cached]
            self._has_object_rows[(account, name)] = False
