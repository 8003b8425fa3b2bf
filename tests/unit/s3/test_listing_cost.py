"""A listing page costs O(page): rows read grow with the page, not with the bucket."""

from __future__ import annotations

import asyncio

from overcast.context import RequestContext

from .wire import parsed


def test_rows_read_per_page(provider):
    context = RequestContext.internal("s3", "000000000000")
    provider.create_bucket(context, {"Bucket": "big-bucket"})

    async def fill():
        keys = [f"logs/{n:05d}" for n in range(3000)] + [f"top{n:02d}" for n in range(20)]
        for key in keys:
            await provider.put_object(context, {"Bucket": "big-bucket", "Key": key, "Body": b""})

    asyncio.run(fill())
    read = []

    class Counting:
        """The table, counting the rows its scans hand out."""

        def __init__(self, table):
            self.table = table

        def __getattr__(self, name):
            return getattr(self.table, name)

        def scan(self, *args, **kwargs):
            for row in self.table.scan(*args, **kwargs):
                read.append(row[0])
                yield row

    provider.data.objects = Counting(provider.data.objects)
    provider.data.versions = Counting(provider.data.versions)
    page = parsed(
        "ListObjectsV2",
        provider.list_objects_v2(context, {"Bucket": "big-bucket", "Delimiter": "/", "MaxKeys": 5}),
    )
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["logs/"]
    assert [o["Key"] for o in page["Contents"]] == ["top00", "top01", "top02", "top03"]
    assert len(read) <= 10  # one row of logs/, then a seek past it: not 3,000 rows
    read.clear()
    page = parsed(
        "ListObjectsV2",
        provider.list_objects_v2(
            context, {"Bucket": "big-bucket", "Prefix": "logs/", "StartAfter": "logs/02000", "MaxKeys": 10}
        ),
    )
    assert page["Contents"][0]["Key"] == "logs/02001" and len(page["Contents"]) == 10
    assert len(read) <= 11
    read.clear()
    versions = provider.list_object_versions(
        context, {"Bucket": "big-bucket", "KeyMarker": "logs/02990", "MaxKeys": 3}
    )
    assert [v["Key"] for v in versions["Versions"]] == ["logs/02991", "logs/02992", "logs/02993"]
    assert len(read) <= 8  # objects and versions are merged: a look-ahead row from each
