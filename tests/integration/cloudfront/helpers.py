"""What the CloudFront tests share: a distribution config and an HTTP GET of the data plane."""

from __future__ import annotations

import http.client
import json
import urllib.request
import uuid

CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"


def s3_origin(bucket: str, oac: str = "", origin_id: str = "s3") -> dict:
    return {
        "Id": origin_id,
        "DomainName": f"{bucket}.s3.us-east-1.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
        "OriginAccessControlId": oac,
    }


def custom_origin(domain: str, port: int, origin_id: str = "web", path: str = "") -> dict:
    return {
        "Id": origin_id,
        "DomainName": domain,
        "OriginPath": path,
        "CustomOriginConfig": {"HTTPPort": port, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"},
    }


def distribution_config(origins: list[dict], **extra) -> dict:
    behaviour = {
        "TargetOriginId": origins[0]["Id"],
        "ViewerProtocolPolicy": "allow-all",
        "CachePolicyId": CACHING_OPTIMIZED,
    }
    behaviour.update(extra.pop("behaviour", {}))
    config = {
        "CallerReference": str(uuid.uuid4()),
        "Origins": {"Quantity": len(origins), "Items": origins},
        "DefaultCacheBehavior": behaviour,
        "Comment": "test",
        "Enabled": True,
    }
    config.update(extra)
    return config


def get(endpoint: str, dist_id: str, path: str = "/", headers: dict | None = None, method: str = "GET"):
    """(status, headers, body) of a request through the distribution's path form (redirects
    are answers here, not followed)."""
    host, port = endpoint.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request(method, f"/_aws/cloudfront/{dist_id}{path}", headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def stats(endpoint: str) -> dict:
    with urllib.request.urlopen(f"{endpoint}/_overcast/cloudfront/stats", timeout=10) as response:
        return json.loads(response.read())


def oac_policy(bucket: str, distribution_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllowCloudFrontServicePrincipal",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudfront.amazonaws.com"},
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                    "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
                }
            ],
        }
    )
