"""ListObjects(V2) pages spliced from the XML each row keeps are byte for byte what the generic
writer makes of the same entries, for every member an entry can have."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from overcast.context import RequestContext
from overcast.services.s3 import acl as acls
from overcast.services.s3.objects import pack

from .wire import body, parsed

UTC = UTC
NOW = time.time()
RECORDS = [
    {
        "Key": "a&b<c>\r.txt",
        "Size": 3,
        "ETag": '"e&1"',
        "LastModified": datetime(2025, 1, 2, 3, 4, 5, 678000, UTC),
        "Owner": "111111111111",
        "Checksums": {"CRC32": "AAAAAA==", "SHA256": "x"},
        "ChecksumType": "COMPOSITE",
        "VersionId": "null",
        "Order": "ff00000000000001",
    },
    {
        "Key": "dir/ü space.json",
        "Size": 0,
        "ETag": '"f"',
        "LastModified": datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        "Owner": "000000000000",
        "StorageClass": "GLACIER",
        "VersionId": "null",
        "Order": "ff00000000000002",
        "Restore": {"Ready": NOW - 10, "Expiry": NOW + 86400},
    },
    {
        "Key": "dir/plain.json",
        "Size": 12,
        "ETag": '"g"',
        "LastModified": datetime(2025, 1, 2, 3, 4, 5, 1, UTC),
        "Owner": "000000000000",
        "StorageClass": "DEEP_ARCHIVE",
        "VersionId": "null",
        "Order": "ff00000000000003",
        "Restore": {"Ready": NOW + 3600, "Expiry": NOW + 90000},
    },
]


def generic_entry(record: dict, owner: bool, restore: bool, encoding: str | None) -> dict:
    """The entry as a plain dict, for the generic writer."""
    entry = {
        "Key": quote(record["Key"], safe="/") if encoding else record["Key"],
        "LastModified": record["LastModified"],
        "ETag": record["ETag"],
        "Size": record["Size"],
        "StorageClass": record.get("StorageClass", "STANDARD"),
    }
    if record.get("Checksums"):
        entry["ChecksumAlgorithm"] = list(record["Checksums"])
        entry["ChecksumType"] = record["ChecksumType"]
    if owner:
        entry["Owner"] = acls.owner(record["Owner"])
    if restore and record.get("Restore"):
        ready = record["Restore"]["Ready"] <= NOW
        entry["RestoreStatus"] = {"IsRestoreInProgress": not ready}
        if ready:
            entry["RestoreStatus"]["RestoreExpiryDate"] = datetime.fromtimestamp(
                record["Restore"]["Expiry"], UTC
            )
    return entry


@pytest.mark.parametrize("operation", ["ListObjectsV2", "ListObjects"])
@pytest.mark.parametrize("fetch_owner", [False, True])
@pytest.mark.parametrize("restore", [False, True])
@pytest.mark.parametrize("encoding", [None, "url"])
def test_spliced_entries_are_what_the_generic_writer_writes(
    provider, operation, fetch_owner, restore, encoding
):
    context = RequestContext.internal("s3", "000000000000")
    provider.create_bucket(context, {"Bucket": "entries"})
    bucket = provider.bucket(context, "entries")
    for record in RECORDS:
        provider.data.objects.put(bucket["Id"], record["Key"], pack(record))
    params = {"Bucket": "entries", "FetchOwner": fetch_owner}
    if encoding:
        params["EncodingType"] = encoding
    if restore:
        params["OptionalObjectAttributes"] = ["RestoreStatus"]
    method = provider.list_objects_v2 if operation == "ListObjectsV2" else provider.list_objects
    output = method(context, params)
    owner = fetch_owner or operation == "ListObjects"  # V1 always names the owner
    expected = {
        **output,
        "Contents": [
            generic_entry(r, owner, restore, encoding) for r in sorted(RECORDS, key=lambda r: r["Key"])
        ],
    }
    assert body(operation, output) == body(operation, expected)
    contents = parsed(operation, output)["Contents"]
    assert [c["Key"] for c in contents] == [e["Key"] for e in expected["Contents"]]
