"""Versioning (enabled, suspended, delete markers, null versions) and listings (v1, v2,
versions): prefixes, delimiters, pagination, start-after, url encoding, owners."""

from __future__ import annotations

import uuid

from tests.integration.s3.conftest import error_of


def test_versioning_lifecycle(s3, bucket):
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"null-version")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=b"two")["VersionId"]
    assert v1 != v2 and len(v1) == 32
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=v1)["Body"].read() == b"one"
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"null-version"
    listed = s3.list_object_versions(Bucket=bucket, Prefix="k")
    assert [(v["VersionId"], v["IsLatest"]) for v in listed["Versions"]] == [
        (v2, True),
        (v1, False),
        ("null", False),
    ]

    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    assert error_of(s3.get_object, Bucket=bucket, Key="k")[:2] == ("NoSuchKey", 404)
    assert error_of(s3.get_object, Bucket=bucket, Key="k", VersionId=marker)[:2] == ("MethodNotAllowed", 405)
    listed = s3.list_object_versions(Bucket=bucket)
    assert [(m["VersionId"], m["IsLatest"]) for m in listed["DeleteMarkers"]] == [(marker, True)]
    assert [v["IsLatest"] for v in listed["Versions"]] == [False, False, False]
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0

    # Removing the marker brings the newest version back.
    s3.delete_object(Bucket=bucket, Key="k", VersionId=marker)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"
    s3.delete_object(Bucket=bucket, Key="k", VersionId=v2)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"one"
    assert error_of(s3.get_object, Bucket=bucket, Key="k", VersionId=v2)[:2] == ("NoSuchVersion", 404)
    assert error_of(s3.get_object, Bucket=bucket, Key="k", VersionId="bogus")[:2] == ("InvalidArgument", 400)


def test_suspended_versioning_writes_null_versions(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    kept = s3.put_object(Bucket=bucket, Key="k", Body=b"kept")["VersionId"]
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert "VersionId" not in s3.put_object(Bucket=bucket, Key="k", Body=b"first null")
    s3.put_object(Bucket=bucket, Key="k", Body=b"second null")  # replaces the null version
    versions = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert [(v["VersionId"], v["IsLatest"]) for v in versions] == [("null", True), (kept, False)]
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"second null"
    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert deleted["VersionId"] == "null" and deleted["DeleteMarker"]
    listed = s3.list_object_versions(Bucket=bucket)
    assert [v["VersionId"] for v in listed["Versions"]] == [kept]
    assert [m["VersionId"] for m in listed["DeleteMarkers"]] == ["null"]


def test_list_v2_prefix_delimiter_pagination(s3, bucket):
    keys = ["a/1", "a/2", "a/b/3", "b/1", "c", "d/x/y", "e"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    top = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [o["Key"] for o in top["Contents"]] == ["c", "e"]
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/", "b/", "d/"]
    assert top["KeyCount"] == 5
    inner = s3.list_objects_v2(Bucket=bucket, Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in inner["Contents"]] == ["a/1", "a/2"]
    assert [p["Prefix"] for p in inner["CommonPrefixes"]] == ["a/b/"]
    # Pages of two, common prefixes counting as entries.
    seen, token = [], None
    while True:
        kwargs = {"ContinuationToken": token} if token else {}
        page = s3.list_objects_v2(Bucket=bucket, Delimiter="/", MaxKeys=2, **kwargs)
        seen += [o["Key"] for o in page.get("Contents", [])] + [
            p["Prefix"] for p in page.get("CommonPrefixes", [])
        ]
        assert page["KeyCount"] <= 2
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert sorted(seen) == ["a/", "b/", "c", "d/", "e"]
    after = s3.list_objects_v2(Bucket=bucket, StartAfter="b/1")
    assert [o["Key"] for o in after["Contents"]] == ["c", "d/x/y", "e"]
    assert after["StartAfter"] == "b/1"
    assert "Owner" not in after["Contents"][0]
    owned = s3.list_objects_v2(Bucket=bucket, FetchOwner=True, MaxKeys=1)
    assert owned["Contents"][0]["Owner"]["ID"] and owned["IsTruncated"]


def test_list_v1_and_markers(s3, bucket):
    for key in ("x/1", "x/2", "y", "z"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    page = s3.list_objects(Bucket=bucket, MaxKeys=2, Delimiter="/")
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["x/"]
    assert [o["Key"] for o in page["Contents"]] == ["y"]
    assert page["IsTruncated"] and page["NextMarker"] == "y"
    rest = s3.list_objects(Bucket=bucket, Marker=page["NextMarker"], Delimiter="/")
    assert [o["Key"] for o in rest["Contents"]] == ["z"] and not rest["IsTruncated"]
    assert rest["Contents"][0]["Owner"]["ID"]


def test_encoding_type_url(s3, bucket, endpoint):
    from tests.integration.s3.conftest import signed_raw

    s3.put_object(Bucket=bucket, Key="sp ace/ü+", Body=b"x")
    listed = s3.list_objects_v2(Bucket=bucket, EncodingType="url")  # asked for, so botocore leaves it encoded
    assert listed["Contents"][0]["Key"] == "sp%20ace/%C3%BC%2B" and listed["EncodingType"] == "url"
    assert s3.list_objects(Bucket=bucket)["Contents"][0]["Key"] == "sp ace/ü+"  # botocore's own encoding
    status, _, body = signed_raw(
        endpoint, "GET", endpoint.split("//")[1], f"/{bucket}?list-type=2&encoding-type=url"
    )
    assert status == 200 and b"<Key>sp%20ace/%C3%BC%2B</Key>" in body


def test_list_object_versions_pagination(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    expected = []
    for key in ("a", "b"):
        for n in range(3):
            expected.append((key, s3.put_object(Bucket=bucket, Key=key, Body=str(n).encode())["VersionId"]))
    expected = [("a", v) for k, v in reversed(expected) if k == "a"] + [
        ("b", v) for k, v in reversed(expected) if k == "b"
    ]
    seen, params = [], {}
    while True:
        page = s3.list_object_versions(Bucket=bucket, MaxKeys=2, **params)
        seen += [(v["Key"], v["VersionId"], v["IsLatest"]) for v in page.get("Versions", [])]
        if not page["IsTruncated"]:
            break
        params = {"KeyMarker": page["NextKeyMarker"], "VersionIdMarker": page["NextVersionIdMarker"]}
    assert [(k, v) for k, v, _ in seen] == expected
    assert [latest for _, _, latest in seen] == [True, False, False, True, False, False]
    assert error_of(s3.list_object_versions, Bucket=bucket, VersionIdMarker="x")[:2] == (
        "InvalidArgument",
        400,
    )


def test_listing_skips_over_common_prefixes(s3, bucket):
    # Many keys under one prefix: the delimiter listing must still come back in one short page.
    s3.delete_objects  # noqa: B018 - the client is warm
    for n in range(50):
        s3.put_object(Bucket=bucket, Key=f"logs/{n:03d}", Body=b"")
    s3.put_object(Bucket=bucket, Key="z", Body=b"")
    page = s3.list_objects_v2(Bucket=bucket, Delimiter="/", MaxKeys=1)
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["logs/"] and page["IsTruncated"]
    rest = s3.list_objects_v2(Bucket=bucket, Delimiter="/", ContinuationToken=page["NextContinuationToken"])
    assert [o["Key"] for o in rest["Contents"]] == ["z"]


def test_list_v2_continuation_token_rules(s3, bucket):
    for key in ("one", "three", "two"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    assert error_of(s3.list_objects_v2, Bucket=bucket, ContinuationToken="") == (
        "InvalidArgument",
        400,
        "The continuation token provided is incorrect",
    )
    first = s3.list_objects_v2(Bucket=bucket, MaxKeys=1, StartAfter="one")
    assert first["StartAfter"] == "one" and [c["Key"] for c in first["Contents"]] == ["three"]
    # The token wins over StartAfter, which the answer then leaves out.
    rest = s3.list_objects_v2(
        Bucket=bucket, StartAfter="one", ContinuationToken=first["NextContinuationToken"]
    )
    assert [c["Key"] for c in rest["Contents"]] == ["two"]
    assert "StartAfter" not in rest and rest["ContinuationToken"] == first["NextContinuationToken"]
    assert error_of(s3.list_objects_v2, Bucket=bucket, MaxKeys=2147483648) == (
        "InvalidArgument",
        400,
        "Provided max-keys not an integer or within integer range",
    )


def test_an_empty_number_in_the_query_is_not_given(client, bucket):
    from botocore.config import Config

    s3 = client("s3", config=Config(parameter_validation=False))  # boto3 would refuse "" for an integer
    for key in ("a", "b"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    page = s3.list_objects_v2(Bucket=bucket, MaxKeys="")
    assert page["MaxKeys"] == 1000 and [c["Key"] for c in page["Contents"]] == ["a", "b"]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"data")
    parts = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload, PartNumberMarker="", MaxParts="")
    assert [p["PartNumber"] for p in parts["Parts"]] == [1] and parts["MaxParts"] == 1000


def test_listings_name_the_bucket_region_in_a_header(s3):
    """ListObjects and ListObjectsV2 answer with x-amz-bucket-region, as HeadBucket does: a
    client that reached the wrong region learns the bucket's."""
    name = f"obj-west-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    try:
        for listing in (s3.list_objects_v2, s3.list_objects):
            headers = listing(Bucket=name)["ResponseMetadata"]["HTTPHeaders"]
            assert headers["x-amz-bucket-region"] == "us-west-2"
        assert (
            s3.head_bucket(Bucket=name)["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"]
            == "us-west-2"
        )
    finally:
        s3.delete_bucket(Bucket=name)


def test_a_version_marker_naming_a_deleted_version_resumes_after_it(s3, bucket):
    """A VersionIdMarker whose version was deleted since the page was listed still marks its
    place: the next page holds the versions older than it, the now-current one first and latest
    (AWS recorded)."""
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    ids = [s3.put_object(Bucket=bucket, Key="prefixed_key", Body=b"")["VersionId"] for _ in range(5)]
    s3.put_object(Bucket=bucket, Key="other", Body=b"")
    page = s3.list_object_versions(Bucket=bucket, Prefix="prefix", MaxKeys=3)
    assert [v["VersionId"] for v in page["Versions"]] == ids[:1:-1]
    marker = page["NextVersionIdMarker"]
    assert marker == ids[2]
    s3.delete_objects(
        Bucket=bucket,
        Delete={"Objects": [{"Key": "prefixed_key", "VersionId": v["VersionId"]} for v in page["Versions"]]},
    )
    after = s3.list_object_versions(
        Bucket=bucket, Prefix="prefix", MaxKeys=5, KeyMarker="prefixed_key", VersionIdMarker=marker
    )
    assert [(v["VersionId"], v["IsLatest"]) for v in after["Versions"]] == [(ids[1], True), (ids[0], False)]
    assert after["VersionIdMarker"] == marker and after["IsTruncated"] is False
    # Paging one at a time from the same marker walks the same versions.
    first = s3.list_object_versions(
        Bucket=bucket, Prefix="prefix", MaxKeys=1, KeyMarker="prefixed_key", VersionIdMarker=marker
    )
    assert [(v["VersionId"], v["IsLatest"]) for v in first["Versions"]] == [(ids[1], True)]
    second = s3.list_object_versions(
        Bucket=bucket,
        Prefix="prefix",
        KeyMarker=first["NextKeyMarker"],
        VersionIdMarker=first["NextVersionIdMarker"],
    )
    assert [(v["VersionId"], v["IsLatest"]) for v in second["Versions"]] == [(ids[0], False)]
