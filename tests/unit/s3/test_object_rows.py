"""Object rows in their compact layout: every field round-trips, the listing text is the one the
generic XML writer gives, and rows written by earlier versions (whole dicts, layouts 1 and 2) are
migrated to it when S3 loads, then read, listed, replaced and deleted like any other."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime

from overcast.config import Config
from overcast.context import RequestContext
from overcast.runtime import Runtime
from overcast.services.s3.layouts import LAYOUTS
from overcast.services.s3.objects import SEPARATOR, URL_SAFE, listed, listing_text, pack, unpack
from overcast.store import Store
from overcast.store.codec import decode, encode

from .wire import parsed

UTC = UTC
MOMENT = datetime(2025, 3, 4, 5, 6, 7, 123000, tzinfo=UTC)


def full_record() -> dict:
    return {
        "Key": "photos/2025/a b.jpg",
        "Order": "ffe0123456789abc",
        "VersionId": "ffe0123456789abcXYZ",
        "Size": 12,
        "ETag": '"abc"',
        "LastModified": MOMENT,
        "Owner": "111111111111",
        "ContentType": "image/jpeg",
        "Metadata": {"colour": "blue"},
        "StorageClass": "GLACIER",
        "Checksums": {"CRC32": "AAAAAA=="},
        "ChecksumType": "FULL_OBJECT",
        "Data": b"hello world!",
        "Restore": {"Ready": 1.5, "Expiry": 2.5},
        "ServerSideEncryption": "AES256",
        "PartSizes": [5, 7],
    }


def roundtrip(record: dict) -> dict:
    return unpack(record["Key"], decode(encode(pack(record))))


def test_every_field_round_trips():
    record = full_record()
    assert roundtrip(record) == record


def test_delete_marker_and_minimal_records():
    marker = {
        "Key": "k",
        "Order": "ff00000000000001",
        "VersionId": "v",
        "DeleteMarker": True,
        "LastModified": MOMENT,
        "Owner": "000000000000",
    }
    assert roundtrip(marker) == marker and listed("k", pack(marker))[0] is None  # never in ListObjects
    minimal = {"Key": "k", "Size": 0, "ETag": '""', "LastModified": MOMENT}
    assert roundtrip(minimal) == minimal


def test_microsecond_times_are_kept_exactly():
    record = {**full_record(), "LastModified": datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)}
    assert roundtrip(record)["LastModified"] == record["LastModified"]


def test_listing_text_is_rendered_once():
    record = full_record()
    row = pack(record)
    text = listing_text(row)
    assert text == (
        "<Key>photos/2025/a b.jpg</Key><LastModified>2025-03-04T05:06:07.123Z</LastModified>"
        '<ETag>"abc"</ETag><ChecksumAlgorithm>CRC32</ChecksumAlgorithm>'
        "<ChecksumType>FULL_OBJECT</ChecksumType><Size>12</Size><StorageClass>GLACIER</StorageClass>"
    )
    assert not row[1] & URL_SAFE and pack({**record, "Key": "photos/2025/a_b.jpg"})[1] & URL_SAFE
    assert listed(record["Key"], row) == (text, "111111111111")


def earlier_layouts(record: dict) -> dict:
    """The record's row in each layout written before the current one, as those versions did."""
    layout_1 = [
        1,
        12,
        '"abc"',
        "2025-03-04T05:06:07.123Z",
        "111111111111",
        "GLACIER",
        {"CRC32": "AAAAAA=="},
        "FULL_OBJECT",
        {"Ready": 1.5, "Expiry": 2.5},
        encode(
            {
                name: record[name]
                for name in (
                    "Order",
                    "VersionId",
                    "ContentType",
                    "Metadata",
                    "Data",
                    "ServerSideEncryption",
                    "PartSizes",
                )
            }
        ),
    ]
    layout_2 = [
        2,
        listing_text(pack(record)),
        False,
        "111111111111",
        "2025-03-04T05:06:07.123Z",
        None,
        encode(
            {name: value for name, value in record.items() if name not in ("Key", "LastModified", "Owner")}
        ),
    ]
    return {"dict": dict(record), "1": layout_1, "2": layout_2}


def test_rows_of_every_earlier_layout_migrate_to_the_current_row(tmp_path):
    record = full_record()
    key, bucket_id = record["Key"], "bucket-id"
    with Store.open(tmp_path) as store:  # as an earlier version left it: no layouts recorded
        objects, versions = store.table("s3", "objects"), store.table("s3", "versions")
        for name, row in earlier_layouts(record).items():
            objects.put(
                bucket_id, f"{key}-{name}", row if name != "dict" else {**row, "Key": f"{key}-{name}"}
            )
            versions.put(bucket_id, f"{key}-{name}{SEPARATOR}{record['Order']}", row)
        objects.put(bucket_id, "current", pack({**record, "Key": "current"}))
    with Store.open(tmp_path) as store:
        store.upgrade("s3", LAYOUTS)
        objects, versions = store.table("s3", "objects"), store.table("s3", "versions")
        for name in ("dict", "1", "2"):
            # The same record and listing text as the current layout writes (fields may differ
            # in order inside the CBOR).
            want = {**record, "Key": f"{key}-{name}"}
            for row in (
                objects.get(bucket_id, f"{key}-{name}"),
                versions.get(bucket_id, f"{key}-{name}{SEPARATOR}{record['Order']}"),
            ):
                assert type(row) is bytes and row[:1] == b"\x03", name
                assert unpack(want["Key"], row) == want, name
                assert listed(want["Key"], row) == listed(want["Key"], pack(want)), name
        assert objects.get(bucket_id, "current") == pack({**record, "Key": "current"})
        assert unpack("current", objects.get(bucket_id, "current")) == {**record, "Key": "current"}


def test_rows_of_earlier_layouts_work_once_s3_has_loaded(tmp_path):
    bucket_id = None
    runtime = Runtime(Config(data_dir=tmp_path))
    try:
        provider = runtime.provider("s3")
        context = RequestContext.internal("s3", "000000000000")
        provider.create_bucket(context, {"Bucket": "older-rows"})
        bucket_id = provider.bucket(context, "older-rows")["Id"]
    finally:
        runtime.close()
    with Store.open(tmp_path) as store:  # rows an earlier version wrote, beside a forgotten record
        objects = store.table("s3", "objects")
        for name in ("a", "b", "c"):  # a whole dict
            objects.put(
                bucket_id,
                name,
                {
                    "Key": name,
                    "Order": "ff00000000000001",
                    "VersionId": "null",
                    "Size": 1,
                    "ETag": '"x"',
                    "LastModified": MOMENT,
                    "Owner": "000000000000",
                    "ContentType": "text/plain",
                    "Data": name.encode(),
                },
            )
        objects.put(
            bucket_id,
            "d",
            [  # layout 2
                2,
                listing_text(pack({"Key": "d", "Size": 1, "ETag": '"x"', "LastModified": MOMENT})),
                True,
                "000000000000",
                "2025-03-04T05:06:07.123Z",
                None,
                encode(
                    {"Order": "ff00000000000001", "VersionId": "null", "Size": 1, "ETag": '"x"', "Data": b"d"}
                ),
            ],
        )
        store._backend.set_layout("s3/objects", 0, None)  # what an unrecorded table is taken to be
    runtime = Runtime(Config(data_dir=tmp_path))
    try:
        provider = runtime.provider("s3")
        context = RequestContext.internal("s3", "000000000000")
        assert all(type(row) is bytes for _, row in provider.data.objects.scan(bucket_id))
        page = parsed("ListObjectsV2", provider.list_objects_v2(context, {"Bucket": "older-rows"}))
        assert [(o["Key"], o["Size"], o["LastModified"]) for o in page["Contents"]] == [
            ("a", 1, MOMENT),
            ("b", 1, MOMENT),
            ("c", 1, MOMENT),
            ("d", 1, MOMENT),
        ]
        assert provider.get_object(context, {"Bucket": "older-rows", "Key": "d"})["Body"] == b"d"
        got = provider.get_object(context, {"Bucket": "older-rows", "Key": "b"})
        assert got["Body"] == b"b" and got["ContentType"] == "text/plain" and got["LastModified"] == MOMENT
        asyncio.run(provider.put_object(context, {"Bucket": "older-rows", "Key": "b", "Body": b"new"}))
        assert provider.get_object(context, {"Bucket": "older-rows", "Key": "b"})["Body"] == b"new"
        provider.delete_object(context, {"Bucket": "older-rows", "Key": "a"})
        versions = provider.list_object_versions(context, {"Bucket": "older-rows"})
        assert [v["Key"] for v in versions["Versions"]] == ["b", "c", "d"]
    finally:
        runtime.close()


def test_a_body_file_round_trips_and_an_overwrite_removes_the_one_it_replaces(provider):
    assert roundtrip({**full_record(), "File": "ab/cdef"})["File"] == "ab/cdef"
    context = RequestContext.internal("s3", "000000000000")
    provider.create_bucket(context, {"Bucket": "overwrites"})
    bucket = provider.bucket(context, "overwrites")

    def put(body: bytes) -> str | None:
        asyncio.run(provider.put_object(context, {"Bucket": "overwrites", "Key": "k", "Body": body}))
        return provider.data.current(bucket, "k").get("File")

    first = put(b"x" * 20000)  # past the inline limit: a file of its own
    assert first and os.path.exists(provider.data.files.path(first))
    second = put(b"y" * 30000)
    assert second != first and not os.path.exists(provider.data.files.path(first))
    assert put(b"small") is None and not os.path.exists(provider.data.files.path(second))
    assert provider.get_object(context, {"Bucket": "overwrites", "Key": "k"})["Body"] == b"small"
    third = put(b"z" * 20000)  # an inline row replaced by one with a file
    assert third and os.path.exists(provider.data.files.path(third))
    with open(provider.data.files.path(third), "rb") as handle:
        assert handle.read() == b"z" * 20000
