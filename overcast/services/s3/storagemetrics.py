"""S3's daily storage metrics in AWS/S3, free for every bucket as on AWS: BucketSizeBytes
(bytes, by BucketName and StorageType — StandardStorage, StandardIAStorage, ...) and
NumberOfObjects (by BucketName and StorageType AllStorageTypes: every version and delete
marker). Measured once a day (a lifecycle "day", which tests may shorten) and a few seconds
after the server starts, each datapoint stamped with the day's start (00:00 UTC)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from overcast.services.cloudwatch.publish import publish_metric
from overcast.services.s3.lifecycle import day_seconds
from overcast.services.s3.objects import GLOBAL

if TYPE_CHECKING:
    from overcast.services.s3.provider import Provider

log = logging.getLogger(__name__)

NAMESPACE = "AWS/S3"
#: A version's StorageClass → the StorageType its bytes are reported under.
STORAGE_TYPES = {
    "STANDARD": "StandardStorage",
    "STANDARD_IA": "StandardIAStorage",
    "ONEZONE_IA": "OneZoneIAStorage",
    "REDUCED_REDUNDANCY": "ReducedRedundancyStorage",
    "INTELLIGENT_TIERING": "IntelligentTieringFAStorage",
    "GLACIER": "GlacierStorage",
    "DEEP_ARCHIVE": "DeepArchiveStorage",
    "GLACIER_IR": "GlacierInstantRetrievalStorage",
    "EXPRESS_ONEZONE": "ExpressOneZone",
}
#: Seconds after S3 starts before its first measurement.
FIRST_AFTER = 5.0
#: Versions measured between two yields to the event loop.
_BATCH = 2000


def start(provider: Provider) -> None:
    if not provider.runtime.config.service_enabled("cloudwatch"):
        return
    provider.runtime.every(
        min(86400.0, max(1.0, day_seconds())), lambda: measure(provider), name="s3 storage metrics"
    )


async def measure(provider: Provider) -> None:
    """One pass over every bucket: its storage metrics for today."""
    now = time.time()
    day = now - now % 86400 if day_seconds() >= 86400 else now
    for name, bucket in list(provider.data.buckets.scan(GLOBAL)):
        if bucket is None:
            continue
        sizes: dict[str, float] = {}
        count = 0
        try:
            for _, record in provider.data.scan_versions(bucket, "", None):
                count += 1
                if not record.get("DeleteMarker"):
                    kind = STORAGE_TYPES.get(record.get("StorageClass") or "STANDARD", "StandardStorage")
                    sizes[kind] = sizes.get(kind, 0.0) + float(record.get("Size") or 0)
                if count % _BATCH == 0:
                    await asyncio.sleep(0)  # a large bucket does not hold up requests
        except Exception:
            log.exception("measuring bucket %s failed", name)
            continue
        account, region = bucket["Account"], bucket.get("Region") or "us-east-1"
        runtime = provider.runtime
        for kind, size in (sizes or {"StandardStorage": 0.0}).items():
            dims = {"BucketName": name, "StorageType": kind}
            publish_metric(runtime, account, region, NAMESPACE, "BucketSizeBytes", dims, size, "Bytes", day)
        dims = {"BucketName": name, "StorageType": "AllStorageTypes"}
        publish_metric(
            runtime, account, region, NAMESPACE, "NumberOfObjects", dims, float(count), "Count", day
        )
