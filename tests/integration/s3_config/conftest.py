"""Fixtures for S3 bucket-configuration tests: a boto3 S3 client, a fresh bucket per test and
plain (unsigned) HTTP requests."""

from __future__ import annotations

import http.client
import uuid
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError


@pytest.fixture(scope="session")
def s3(client):
    return client("s3")


@pytest.fixture
def bucket(s3):
    name = f"cfg-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    return name


def raw(endpoint: str, method: str, path: str, headers: dict | None = None, body: bytes = b""):
    """An unsigned request: (status, headers with lower-case names, body)."""
    parts = urlsplit(endpoint)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def error_code(call, *args, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    error = caught.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"], error["Error"].get("Message", "")
