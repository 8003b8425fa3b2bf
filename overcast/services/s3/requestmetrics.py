"""S3's request metrics in AWS/S3: published only for a bucket with a metrics configuration
(PutBucketMetricsConfiguration), per configuration, dimensions BucketName and FilterId (the
configuration's Id) — AllRequests, GetRequests, PutRequests, DeleteRequests, HeadRequests,
PostRequests, SelectRequests, ListRequests, BytesDownloaded, BytesUploaded, 4xxErrors and
5xxErrors (0 or 1 a request), FirstByteLatency and TotalRequestLatency (milliseconds).

A configuration's filter (a prefix, object tags, an access point, or all of them under And)
picks the object requests it counts; one without a filter counts every request. What a
bucket's configurations are is read once and kept until one of them changes, so a request to
a bucket without any costs two dict lookups."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from overcast.services.cloudwatch.publish import publish_metrics

if TYPE_CHECKING:
    from overcast.context import RequestContext
    from overcast.services.s3.provider import Provider

NAMESPACE = "AWS/S3"
#: The request-type metric each operation counts in, besides AllRequests.
_KIND = {
    "GetObject": "GetRequests",
    "PutObject": "PutRequests",
    "CopyObject": "PutRequests",
    "UploadPart": "PutRequests",
    "UploadPartCopy": "PutRequests",
    "DeleteObject": "DeleteRequests",
    "HeadObject": "HeadRequests",
    "HeadBucket": "HeadRequests",
    "DeleteObjects": "PostRequests",
    "CreateMultipartUpload": "PostRequests",
    "CompleteMultipartUpload": "PostRequests",
    "RestoreObject": "PostRequests",
    "PostObject": "PostRequests",
    "SelectObjectContent": "SelectRequests",
    "ListObjects": "ListRequests",
    "ListObjectsV2": "ListRequests",
    "ListObjectVersions": "ListRequests",
    "ListMultipartUploads": "ListRequests",
    "ListParts": "ListRequests",
}
_CHANGES = frozenset(
    ("PutBucketMetricsConfiguration", "DeleteBucketMetricsConfiguration", "DeleteBucket", "CreateBucket")
)


def filters_of(provider: Provider) -> dict[tuple[str, str], tuple[tuple[str, dict], ...]]:
    """(account, bucket) → its metrics configurations' (Id, Filter), as last read."""
    held = provider.__dict__.get("_metric_filters")
    if held is None:
        held = provider.__dict__["_metric_filters"] = {}
    return held


def observe(
    provider: Provider,
    context: RequestContext,
    params: dict | None,
    output: dict | None,
    error: Exception | None,
) -> None:
    name = params.get("Bucket") if params else None
    if not name:
        return
    operation = context.operation_name
    held = filters_of(provider)
    if operation in _CHANGES:
        for stale in [where for where in held if where[1] == name]:
            del held[stale]
        return
    bucket = provider.find_bucket(name)
    if bucket is None:
        return
    where = (bucket["Account"], name)
    configurations = held.get(where)
    if configurations is None:
        configurations = held[where] = tuple(
            (document.get("Id") or kind.partition("/")[2], document.get("Filter") or {})
            for kind, document in provider.configs.scan(bucket, "metrics/")
            if document is not None
        )
    if not configurations:
        return
    assert params is not None
    key = params.get("Key")
    chosen = [
        ident for ident, rule in configurations if _matches(provider, bucket, rule, key, params, output)
    ]
    if not chosen:
        return
    status = getattr(error, "status", 500) if error is not None else 200
    latency = float(f"{(time.perf_counter() - context.started) * 1000:.3g}")
    values: list[tuple[str, float, str]] = [
        ("AllRequests", 1.0, "Count"),
        ("4xxErrors", 1.0 if 400 <= status < 500 else 0.0, "Count"),
        ("5xxErrors", 1.0 if status >= 500 else 0.0, "Count"),
        ("FirstByteLatency", latency, "Milliseconds"),
        ("TotalRequestLatency", latency, "Milliseconds"),
    ]
    kind = _KIND.get(operation)
    if kind is not None:
        values.append((kind, 1.0, "Count"))
    if error is None and operation == "GetObject" and output is not None:
        values.append(("BytesDownloaded", float(output.get("ContentLength") or 0), "Bytes"))
    elif error is None and kind == "PutRequests" and operation not in ("CopyObject", "UploadPartCopy"):
        length = context.request.headers.get("content-length") if context.request is not None else None
        values.append(("BytesUploaded", float(length or 0), "Bytes"))
    sets = tuple((("BucketName", name), ("FilterId", ident)) for ident in chosen)
    publish_metrics(
        provider.runtime, bucket["Account"], bucket.get("Region") or context.region, NAMESPACE, values, sets
    )


def _matches(
    provider: Provider, bucket: dict, rule: dict, key: str | None, params: dict, output: Any
) -> bool:
    if not rule:
        return True
    if key is None:
        return False  # a filtered configuration counts the requests for its objects
    both = rule.get("And") or {}
    prefix = rule.get("Prefix", both.get("Prefix"))
    if prefix and not key.startswith(prefix):
        return False
    if rule.get("AccessPointArn") or both.get("AccessPointArn"):
        return False  # only requests through that access point count
    wanted = ([rule["Tag"]] if rule.get("Tag") else []) + list(both.get("Tags") or [])
    if wanted:
        version = params.get("VersionId") or (output or {}).get("VersionId")
        tags = provider.configs.get_object(bucket, "tags", key, version) or []
        have = dict(tags.items()) if isinstance(tags, dict) else {t.get("Key"): t.get("Value") for t in tags}
        return all(have.get(tag.get("Key")) == tag.get("Value") for tag in wanted)
    return True
