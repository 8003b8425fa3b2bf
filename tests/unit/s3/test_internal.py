"""Other services write and read objects through the provider's Python interface."""

from __future__ import annotations

import asyncio
import io

import pytest

from overcast.config import Config
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.runtime import Runtime


@pytest.fixture
def provider(tmp_path):
    runtime = Runtime(Config(data_dir=tmp_path / "state"))
    try:
        yield runtime.provider("s3")
    finally:
        runtime.close()


def run(result):
    return asyncio.run(result) if asyncio.iscoroutine(result) else result


def test_put_object_with_bytes_and_file_bodies(provider):
    context = RequestContext.internal("cloudtrail", "123456789012", "us-east-1")
    run(provider.create_bucket(context, {"Bucket": "trail-logs"}))
    run(
        provider.put_object(
            context,
            {"Bucket": "trail-logs", "Key": "a.json", "Body": b'{"a":1}', "ContentType": "application/json"},
        )
    )
    big = b"log line\n" * 200000
    run(provider.put_object(context, {"Bucket": "trail-logs", "Key": "b.json.gz", "Body": io.BytesIO(big)}))
    got = run(provider.get_object(context, {"Bucket": "trail-logs", "Key": "a.json"}))
    assert got["Body"] == b'{"a":1}' and got["ContentType"] == "application/json"
    streamed = run(provider.get_object(context, {"Bucket": "trail-logs", "Key": "b.json.gz"}))
    body = streamed["Body"]
    assert body.read() == big
    body.close()
    assert provider.bucket(context, "trail-logs")["Account"] == "123456789012"
    with pytest.raises(ServiceError) as caught:
        provider.bucket(context, "missing-bucket")
    assert caught.value.code == "NoSuchBucket"


def test_no_directory_buckets_are_listed(provider):
    # Signed for s3express (its own endpoint in AWS), ListDirectoryBuckets reaches S3 only here.
    context = RequestContext.internal("s3", "123456789012", "us-east-1")
    assert provider.list_directory_buckets(context, {}) == {"Buckets": []}
    with pytest.raises(ServiceError) as caught:
        provider.list_directory_buckets(context, {"MaxDirectoryBuckets": 1001})
    assert caught.value.code == "InvalidArgument"


def test_legacy_lifecycle_and_notification_shapes(provider):
    from overcast.services.s3.legacy import _current_rule, _legacy_rule

    legacy = {
        "ID": "r",
        "Prefix": "p/",
        "Status": "Enabled",
        "Transition": {"Days": 1, "StorageClass": "GLACIER"},
    }
    current = _current_rule(legacy)
    assert current == {"ID": "r", "Prefix": "p/", "Status": "Enabled", "Transitions": [legacy["Transition"]]}
    assert _legacy_rule(current) == legacy
    with pytest.raises(ServiceError):
        _legacy_rule({"ID": "t", "Filter": {"Tag": {"Key": "k", "Value": "v"}}, "Status": "Enabled"})


def test_write_get_object_response_has_no_object_lambda_request_to_answer(provider):
    # Signed for s3-object-lambda (its own endpoint in AWS), it reaches S3 only here.
    context = RequestContext.internal("s3", "123456789012", "us-east-1")
    with pytest.raises(ServiceError) as caught:
        provider.write_get_object_response(context, {"RequestRoute": "io-1", "RequestToken": "t"})
    assert (caught.value.code, caught.value.status) == ("InvalidRequest", 400)
