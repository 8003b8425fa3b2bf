"""Which requests are the registry's: its `/v2` paths unless SigV4-signed (API Gateway v2's
control plane lives under `/v2/` too), or anything on AWS's registry host."""

from __future__ import annotations

import pytest

from overcast.http import Request
from overcast.routing import registry_request

SIGV4 = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=0"


@pytest.mark.parametrize(
    ("path", "headers", "query", "expected"),
    [
        ("/v2/", {}, "", True),
        ("/v2", {}, "", True),
        ("/v2/000000000000/us-east-1/app/manifests/latest", {"authorization": "Basic QVdTOng="}, "", True),
        ("/v2/apis", {"authorization": SIGV4}, "", False),
        ("/v2/apis", {}, "X-Amz-Credential=test%2F20240101%2Fus-east-1%2Fapigateway%2Faws4_request", False),
        ("/v2/app/blobs/uploads/", {"host": "000000000000.dkr.ecr.us-east-1.amazonaws.com"}, "", True),
        ("/v2bucket/key", {}, "", False),
        ("/", {}, "", False),
    ],
)
def test_registry_requests(path, headers, query, expected):
    assert registry_request(Request("GET", path, query, headers)) is expected
