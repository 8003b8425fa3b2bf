"""What other services rely on of S3: the public methods DynamoDB's exports and imports write
and read objects through (write_object, object_keys, read_object), never S3's tables."""

from __future__ import annotations

import asyncio

import pytest

from overcast.context import RequestContext
from overcast.errors import ServiceError

ACCOUNT, REGION = "123456789012", "us-east-1"


@pytest.fixture
def bucket(provider) -> str:
    provider.create_bucket(RequestContext.internal("s3", ACCOUNT, REGION), {"Bucket": "exchange"})
    return "exchange"


def test_written_objects_are_listed_and_read_back(provider, bucket):
    big = b"x" * (300 * 1024)  # above the inline limit: kept in a file
    for key, body in (("exports/a.json", b'{"a":1}'), ("exports/b.bin", big), ("other", b"o")):
        asyncio.run(provider.write_object(ACCOUNT, REGION, bucket, key, body, "application/json"))
    assert provider.object_keys(ACCOUNT, REGION, bucket, "exports/") == ["exports/a.json", "exports/b.bin"]
    assert provider.object_keys(ACCOUNT, REGION, bucket) == ["exports/a.json", "exports/b.bin", "other"]
    assert provider.read_object(ACCOUNT, REGION, bucket, "exports/a.json") == b'{"a":1}'
    assert provider.read_object(ACCOUNT, REGION, bucket, "exports/b.bin") == big
    head = provider.head_object(
        RequestContext.internal("s3", ACCOUNT, REGION), {"Bucket": bucket, "Key": "other"}
    )
    assert head["ContentType"] == "application/json"


def test_listing_pages_through_every_key(provider, bucket):
    for i in range(1005):
        asyncio.run(provider.write_object(ACCOUNT, REGION, bucket, f"k{i:04d}", b"", "text/plain"))
    assert len(provider.object_keys(ACCOUNT, REGION, bucket, "k")) == 1005


def test_s3_errors_reach_the_caller(provider, bucket):
    with pytest.raises(ServiceError) as info:
        asyncio.run(provider.write_object(ACCOUNT, REGION, "no-such-bucket", "k", b"", "text/plain"))
    assert info.value.code == "NoSuchBucket"
    with pytest.raises(ServiceError) as info:
        provider.object_keys(ACCOUNT, REGION, "no-such-bucket")
    assert info.value.code == "NoSuchBucket"
    with pytest.raises(ServiceError) as info:
        provider.read_object(ACCOUNT, REGION, bucket, "missing")
    assert info.value.code == "NoSuchKey"


# -- what IAM's enforcement relies on: find_bucket and acl_allows -----------------------------


def test_find_bucket_names_the_buckets_account_and_region(provider, bucket):
    record = provider.find_bucket(bucket)
    assert (record["Account"], record["Region"]) == (ACCOUNT, REGION)
    assert provider.find_bucket("no-such-bucket") is None


def test_acl_allows_answers_for_another_account_from_the_acls(provider, bucket):
    from overcast.services.s3 import acl

    context = RequestContext.internal("s3", ACCOUNT, REGION)
    other = "210987654321"
    asyncio.run(provider.write_object(ACCOUNT, REGION, bucket, "k", b"x", "text/plain"))
    object_arn, bucket_arn = f"arn:aws:s3:::{bucket}/k", f"arn:aws:s3:::{bucket}"
    assert not provider.acl_allows("s3:GetObject", object_arn, other)  # private by default
    provider.put_bucket_ownership_controls(
        context,
        {"Bucket": bucket, "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}},
    )
    asyncio.run(
        provider.put_object_acl(
            context, {"Bucket": bucket, "Key": "k", "GrantRead": f'id="{acl.canonical_id(other)}"'}
        )
    )
    assert provider.acl_allows("s3:GetObject", object_arn, other)
    assert not provider.acl_allows("s3:GetObject", object_arn, "333333333333")
    assert not provider.acl_allows("s3:PutObject", bucket_arn, other)
    provider.put_bucket_acl(context, {"Bucket": bucket, "ACL": "authenticated-read"})
    assert provider.acl_allows("s3:ListBucket", bucket_arn, "333333333333")
    assert not provider.acl_allows("s3:GetObject", "arn:aws:s3:::no-such-bucket/k", other)
