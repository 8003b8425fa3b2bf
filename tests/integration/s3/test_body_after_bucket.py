"""S3 finds the bucket before it reads the request body: a missing or malformed body is
NoSuchBucket for a bucket that does not exist, and the body's own error otherwise."""

from __future__ import annotations

from tests.integration.s3.conftest import signed_raw, unique


def test_malformed_body_for_a_missing_bucket_is_no_such_bucket(bucket, endpoint):
    host = endpoint.split("//", 1)[1]
    broken = b"<ServerSideEncryptionConfiguration><Rule>"
    status, _, body = signed_raw(endpoint, "PUT", host, f"/{unique('absent')}?encryption", body=broken)
    assert status == 404 and b"<Code>NoSuchBucket</Code>" in body
    status, _, body = signed_raw(endpoint, "PUT", host, f"/{bucket}?encryption", body=broken)
    assert status == 400 and b"<Code>MalformedXML</Code>" in body


def test_missing_body_for_a_missing_bucket_is_no_such_bucket(s3, bucket, endpoint):
    host = endpoint.split("//", 1)[1]
    status, _, body = signed_raw(endpoint, "PUT", host, f"/{unique('absent')}?object-lock")
    assert status == 404 and b"<Code>NoSuchBucket</Code>" in body
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    status, _, body = signed_raw(endpoint, "PUT", host, f"/{bucket}?object-lock")
    assert status == 400 and b"<Code>MissingRequestBodyError</Code>" in body
