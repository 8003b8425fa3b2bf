"""Where S3's XML documents differ from what the model alone would write: ListBuckets puts the
Owner before the Buckets, a listing its Name before its Contents, and GetBucketLocation of a us-east-1 bucket is an empty, self-closed
`<LocationConstraint/>` (AWS's recorded answers)."""

from __future__ import annotations

from xml.etree import ElementTree

from tests.integration.s3.conftest import signed_raw

NAMESPACE = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def test_list_buckets_writes_the_owner_before_the_buckets(bucket, endpoint):
    host = endpoint.split("//", 1)[1]
    status, _, body = signed_raw(endpoint, "GET", host, "/")
    assert status == 200
    children = [child.tag.removeprefix(NAMESPACE) for child in ElementTree.fromstring(body)]
    assert children[:2] == ["Owner", "Buckets"]


def test_object_listings_write_their_parameters_before_the_contents(s3, bucket, endpoint):
    s3.put_object(Bucket=bucket, Key="dir/a", Body=b"a")
    s3.put_object(Bucket=bucket, Key="top", Body=b"t")
    host = endpoint.split("//", 1)[1]
    expected = {
        "": ["Name", "Prefix", "Marker", "MaxKeys", "Delimiter", "IsTruncated", "Contents", "CommonPrefixes"],
        "&versions": [
            "Name",
            "Prefix",
            "KeyMarker",
            "VersionIdMarker",
            "MaxKeys",
            "Delimiter",
            "IsTruncated",
            "Version",
            "CommonPrefixes",
        ],
        "&list-type=2": [
            "Name",
            "Prefix",
            "KeyCount",
            "MaxKeys",
            "Delimiter",
            "IsTruncated",
            "Contents",
            "CommonPrefixes",
        ],
    }
    for query, order in expected.items():
        status, _, body = signed_raw(endpoint, "GET", host, f"/{bucket}?delimiter=%2F{query}")
        assert status == 200
        children = [child.tag.removeprefix(NAMESPACE) for child in ElementTree.fromstring(body)]
        assert [tag for index, tag in enumerate(children) if tag not in children[:index]] == order


def test_an_empty_location_constraint_is_self_closed(s3, bucket, endpoint):
    host = endpoint.split("//", 1)[1]
    status, _, body = signed_raw(endpoint, "GET", host, f"/{bucket}?location")
    assert status == 200
    assert body.endswith(b'<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>')
    assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] is None
