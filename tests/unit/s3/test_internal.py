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
