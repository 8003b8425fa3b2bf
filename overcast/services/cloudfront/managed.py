"""The policies AWS manages, with AWS's own ids (templates and CDK name them by id)."""

from __future__ import annotations

from typing import Any

#: When the managed policies were made (their LastModifiedTime).
_SINCE = 1_600_000_000.0


def _items(values: list[str]) -> dict[str, Any]:
    return {"Quantity": len(values), "Items": values} if values else {"Quantity": 0}


def _cache_policy(
    ident: str,
    name: str,
    comment: str,
    ttls: tuple[int, int, int],
    *,
    compress: bool = True,
    headers: list[str] | None = None,
    cookies: str = "none",
    queries: str = "none",
    query_names: list[str] | None = None,
) -> dict[str, Any]:
    minimum, default, maximum = ttls
    header_config: dict[str, Any] = {"HeaderBehavior": "whitelist" if headers else "none"}
    if headers:
        header_config["Headers"] = _items(headers)
    query_config: dict[str, Any] = {"QueryStringBehavior": queries}
    if query_names:
        query_config["QueryStrings"] = _items(query_names)
    config = {
        "Comment": comment,
        "Name": name,
        "DefaultTTL": default,
        "MaxTTL": maximum,
        "MinTTL": minimum,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": compress,
            "EnableAcceptEncodingBrotli": compress,
            "HeadersConfig": header_config,
            "CookiesConfig": {"CookieBehavior": cookies},
            "QueryStringsConfig": query_config,
        },
    }
    return {"Id": ident, "ETag": "E23ZP02F085DFQ", "Config": config, "Time": _SINCE, "Managed": True}


_ORIGIN_OVERRIDE = ["origin", "x-http-method-override", "x-http-method", "x-method-override", "host"]

CACHE_POLICIES: tuple[dict[str, Any], ...] = (
    _cache_policy(
        "658327ea-f89d-4fab-a63d-7e88639e58f6",
        "Managed-CachingOptimized",
        "Policy with caching enabled. Supports Gzip and Brotli compression.",
        (1, 86400, 31536000),
    ),
    _cache_policy(
        "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
        "Managed-CachingDisabled",
        "Policy with caching disabled",
        (0, 0, 0),
        compress=False,
    ),
    _cache_policy(
        "b2884449-e4de-46a7-ac36-70bc7f1ddd6d",
        "Managed-CachingOptimizedForUncompressedObjects",
        "Default policy when compression is disabled",
        (1, 86400, 31536000),
        compress=False,
    ),
    _cache_policy(
        "83da9c7e-98b4-4e11-a168-04f0df8e2c65",
        "Managed-UseOriginCacheControlHeaders",
        "Policy for origins that return Cache-Control headers. Query strings are not included in the cache key.",
        (0, 0, 31536000),
        headers=_ORIGIN_OVERRIDE,
        cookies="all",
    ),
    _cache_policy(
        "4cc15a8a-d715-48a4-82b8-cc0b614638fe",
        "Managed-UseOriginCacheControlHeaders-QueryStrings",
        "Policy for origins that return Cache-Control headers and serve different content based on values "
        "present in the query string.",
        (0, 0, 31536000),
        headers=_ORIGIN_OVERRIDE,
        cookies="all",
        queries="all",
    ),
    _cache_policy(
        "08627262-05a9-4f76-9ded-b50ca2e3a84f",
        "Managed-Elemental-MediaPackage",
        "Policy for Elemental MediaPackage Origin",
        (0, 86400, 31536000),
        compress=False,
        headers=["origin"],
        queries="whitelist",
        query_names=["aws.manifestfilter", "start", "end", "m"],
    ),
)


def _origin_request_policy(
    ident: str, name: str, comment: str, headers: str, header_names: list[str], cookies: str, queries: str
) -> dict[str, Any]:
    header_config: dict[str, Any] = {"HeaderBehavior": headers}
    if header_names:
        header_config["Headers"] = _items(header_names)
    config = {
        "Comment": comment,
        "Name": name,
        "HeadersConfig": header_config,
        "CookiesConfig": {"CookieBehavior": cookies},
        "QueryStringsConfig": {"QueryStringBehavior": queries},
    }
    return {"Id": ident, "ETag": "E23ZP02F085DFQ", "Config": config, "Time": _SINCE, "Managed": True}


ORIGIN_REQUEST_POLICIES: tuple[dict[str, Any], ...] = (
    _origin_request_policy(
        "216adef6-5c7f-47e4-b989-5492eafa07d3",
        "Managed-AllViewer",
        "Policy to forward all parameters in viewer requests",
        "allViewer",
        [],
        "all",
        "all",
    ),
    _origin_request_policy(
        "b689b0a8-53d0-40ab-baf2-68738e2966ac",
        "Managed-AllViewerExceptHostHeader",
        "Policy to forward all parameters in viewer requests except for the Host header",
        "allExcept",
        ["host"],
        "all",
        "all",
    ),
    _origin_request_policy(
        "59781a5b-3903-41f3-afcb-af62929ccde1",
        "Managed-CORS-CustomOrigin",
        "Policy for custom origin with CORS",
        "whitelist",
        ["origin"],
        "none",
        "none",
    ),
    _origin_request_policy(
        "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf",
        "Managed-CORS-S3Origin",
        "Policy for S3 origin with CORS",
        "whitelist",
        ["origin", "access-control-request-headers", "access-control-request-method"],
        "none",
        "none",
    ),
    _origin_request_policy(
        "acba4595-bd28-49b8-b9fe-13317c0390fa",
        "Managed-UserAgentRefererHeaders",
        "Policy to forward user-agent and referer headers to origin",
        "whitelist",
        ["user-agent", "referer"],
        "none",
        "none",
    ),
    _origin_request_policy(
        "33f36d7e-f396-46d9-90e0-52428a34d9dc",
        "Managed-AllViewerAndCloudFrontHeaders-2022-06",
        "Policy to forward all parameters in viewer requests and all CloudFront headers",
        "allViewerAndWhitelistCloudFront",
        [
            "CloudFront-Viewer-Address",
            "CloudFront-Viewer-Country",
            "CloudFront-Is-Desktop-Viewer",
            "CloudFront-Is-Mobile-Viewer",
            "CloudFront-Is-Tablet-Viewer",
            "CloudFront-Forwarded-Proto",
        ],
        "all",
        "all",
    ),
)


def _cors(preflight: bool) -> dict[str, Any]:
    methods = ["ALL"] if preflight else ["GET", "HEAD", "OPTIONS"]
    return {
        "AccessControlAllowOrigins": _items(["*"]),
        "AccessControlAllowHeaders": _items(["*"]),
        "AccessControlAllowMethods": _items(methods),
        "AccessControlAllowCredentials": False,
        "AccessControlExposeHeaders": _items(["*"]),
        "OriginOverride": False,
    }


_SECURITY = {
    "XSSProtection": {"Override": False, "Protection": True, "ModeBlock": True},
    "FrameOptions": {"Override": False, "FrameOption": "SAMEORIGIN"},
    "ReferrerPolicy": {"Override": False, "ReferrerPolicy": "strict-origin-when-cross-origin"},
    "ContentTypeOptions": {"Override": True},
    "StrictTransportSecurity": {
        "Override": False,
        "IncludeSubdomains": False,
        "Preload": False,
        "AccessControlMaxAgeSec": 31536000,
    },
}


def _headers_policy(ident: str, name: str, comment: str, extra: dict[str, Any]) -> dict[str, Any]:
    config = {"Comment": comment, "Name": name, **extra}
    return {"Id": ident, "ETag": "E23ZP02F085DFQ", "Config": config, "Time": _SINCE, "Managed": True}


RESPONSE_HEADERS_POLICIES: tuple[dict[str, Any], ...] = (
    _headers_policy(
        "60669652-455b-4ae9-85a4-c4c02393f86c",
        "Managed-SimpleCORS",
        "Allows all origins for simple CORS requests",
        {"CorsConfig": _cors(False)},
    ),
    _headers_policy(
        "5cc3b908-e619-4b99-88e5-2cf7f45965bd",
        "Managed-CORS-With-Preflight",
        "Allows all origins for CORS requests, including preflight requests",
        {"CorsConfig": _cors(True)},
    ),
    _headers_policy(
        "67f7725c-6f97-4210-82d7-5512b31e9d03",
        "Managed-SecurityHeadersPolicy",
        "Adds a set of security headers to every response",
        {"SecurityHeadersConfig": _SECURITY},
    ),
    _headers_policy(
        "e61eb60c-9c35-4d20-a928-2b84e02af89c",
        "Managed-CORS-and-SecurityHeadersPolicy",
        "Allows all origins for simple CORS requests and adds security headers",
        {"CorsConfig": _cors(False), "SecurityHeadersConfig": _SECURITY},
    ),
    _headers_policy(
        "eaab4381-ed33-4a86-88ca-d9558dc6cd63",
        "Managed-CORS-with-preflight-and-SecurityHeadersPolicy",
        "Allows all origins for CORS requests, including preflight requests, and adds security headers",
        {"CorsConfig": _cors(True), "SecurityHeadersConfig": _SECURITY},
    ),
)
