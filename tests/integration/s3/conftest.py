"""Fixtures for the S3 object tests: a boto3 client, a fresh bucket per test, raw HTTP."""

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
    name = f"obj-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    return name


def unique(prefix: str = "b") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def raw(endpoint: str, method: str, path: str, headers: dict | None = None, body: bytes = b""):
    """A plain HTTP request: (status, headers with lower-case names, body)."""
    parts = urlsplit(endpoint)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def error_of(call, *args, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    error = caught.value.response
    return (
        error["Error"]["Code"],
        error["ResponseMetadata"]["HTTPStatusCode"],
        error["Error"].get("Message", ""),
    )


def signed_raw(
    endpoint: str,
    method: str,
    host: str,
    path: str,
    headers: dict | None = None,
    body: bytes = b"",
    region: str = "us-east-1",
    payload_hash: str | None = None,
):
    """A request signed with test/test for `host` (e.g. a virtual-hosted bucket name), sent to
    the test server whatever DNS says about that host."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method=method, url=f"http://{host}{path}", data=body, headers=dict(headers or {}))
    signer = S3SigV4Auth(Credentials("test", "test"), "s3", region)
    if payload_hash is not None:  # e.g. STREAMING-UNSIGNED-PAYLOAD-TRAILER for an aws-chunked body
        signer.payload = lambda _request: payload_hash
    signer.add_auth(request)
    sent = {name: value for name, value in request.headers.items()}
    sent["Host"] = host
    return raw(endpoint, method, path, sent, body)
