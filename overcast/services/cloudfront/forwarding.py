"""What passes between the edge and the origin and back to the viewer: the headers, cookies
and query strings the policies forward, the S3 error body, gzip compression, conditional
answers, and the response headers policy's headers."""

from __future__ import annotations

import gzip
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from overcast.services.cloudfront import edge, signed
from overcast.services.cloudfront.distributions import items

if TYPE_CHECKING:
    from overcast.services.cloudfront.dataplane import Behaviour

_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "proxy-authenticate",
        "proxy-authorization",
        "content-length",
    }
)
_COMPRESSIBLE = (
    "text/",
    "application/json",
    "application/javascript",
    "application/xml",
    "image/svg+xml",
    "application/x-javascript",
    "application/xhtml+xml",
    "application/rss+xml",
)


def behaviour_names(kind: str | None, names: tuple[str, ...]) -> tuple[str, ...] | str:
    if kind == "all":
        return "all"
    if kind in ("whitelist", "allowList") and names:
        return names
    if kind == "allExcept" and names:
        return "!" + ",".join(names)
    return ()


def cookie_values(headers: dict[str, str], names: tuple[str, ...] | str) -> tuple:
    cookie = headers.get("cookie", "")
    found = {}
    for part in cookie.split(";"):
        name, _, value = part.strip().partition("=")
        found[name.lower()] = value
    if isinstance(names, str):
        excluded = set(names[1:].split(","))
        return tuple(sorted((k, v) for k, v in found.items() if k not in excluded))
    return tuple(found.get(name, "") for name in names)


def forwarded_headers(behaviour: Behaviour, headers: dict[str, str]) -> dict[str, str]:
    forward = behaviour.forward_headers
    if forward == "all":
        chosen = {name: value for name, value in headers.items() if name not in _HOP_BY_HOP}
    elif forward and forward[0] == "!":
        excluded = set(forward[1:])
        chosen = {
            name: value for name, value in headers.items() if name not in excluded and name not in _HOP_BY_HOP
        }
    else:
        wanted = set(forward) | set(behaviour.key_headers)
        chosen = {name: value for name, value in headers.items() if name in wanted}
        if behaviour.compress and "accept-encoding" in headers:
            chosen["accept-encoding"] = headers["accept-encoding"]
    # Cookies go by the cookie settings, whatever the header settings say.
    chosen.pop("cookie", None)
    cookies = forwarded_cookies(behaviour.forward_cookies, headers.get("cookie", ""))
    if cookies:
        chosen["cookie"] = cookies
    return chosen


def forwarded_cookies(chosen: tuple[str, ...] | str, header: str) -> str:
    if not header or not chosen:
        return ""
    if chosen == "all":
        return header
    pairs = [part.strip() for part in header.split(";") if part.strip()]
    names = {part.split("=", 1)[0].lower(): part for part in pairs}
    if isinstance(chosen, str):  # "!a,b": all but those
        excluded = set(chosen[1:].split(","))
        return "; ".join(part for name, part in names.items() if name not in excluded)
    return "; ".join(names[name] for name in chosen if name in names)


def not_modified(condition: str | None, headers: dict[str, str]) -> bool:
    """Whether a viewer's If-None-Match names the cached object's ETag (or is `*`)."""
    if not condition:
        return False
    etag = next((value for name, value in headers.items() if name.lower() == "etag"), None)
    if etag is None:
        return False
    wanted = {tag.strip().removeprefix("W/") for tag in condition.split(",")}
    return "*" in wanted or etag.removeprefix("W/") in wanted


def without_body_headers(headers: dict[str, str]) -> dict[str, str]:
    return {
        name: value
        for name, value in headers.items()
        if name.lower() not in ("content-length", "content-type", "content-encoding")
    }


def forwarded_query(chosen: tuple[str, ...] | str, query: str) -> str:
    if not query or not chosen:
        return ""
    if chosen == "all":
        return query
    pairs = [part for part in query.split("&") if part]
    if isinstance(chosen, str):  # "!a,b": all but those
        excluded = set(chosen[1:].split(","))
        return "&".join(part for part in pairs if unquote(part.split("=", 1)[0]) not in excluded)
    wanted = set(chosen)
    return "&".join(part for part in pairs if unquote(part.split("=", 1)[0]) in wanted)


def strip_signing(query: str) -> str:
    if not query:
        return query
    kept = [part for part in query.split("&") if part.split("=", 1)[0] not in signed.SIGNING_PARAMETERS]
    return "&".join(kept)


def s3_error(status: int, code: str, message: str) -> edge.EdgeResponse:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
        f"<RequestId>{secrets.token_hex(8).upper()}</RequestId></Error>"
    ).encode()
    return edge.EdgeResponse(status, {"Content-Type": "application/xml"}, body)


async def read_body(body: Any) -> bytes:
    if hasattr(body, "read"):
        try:
            return bytes(body.read())
        finally:
            getattr(body, "close", lambda: None)()
    if hasattr(body, "__aiter__"):
        return b"".join([chunk async for chunk in body])
    return b"".join(body)


def compress(viewer: edge.EdgeRequest, result: edge.EdgeResponse) -> None:
    """gzip what CloudFront compresses: a compressible type, 1,000 bytes to 10 MB, asked for."""
    if "gzip" not in viewer.headers.get("accept-encoding", ""):
        return
    headers = {name.lower(): name for name in result.headers}
    if "content-encoding" in headers:
        return
    kind = result.headers.get(headers.get("content-type", ""), "")
    if not kind.startswith(_COMPRESSIBLE) or not 1000 <= len(result.body) <= 10_000_000:
        return
    result.body = gzip.compress(result.body, 6)
    result.headers["Content-Encoding"] = "gzip"
    etag = headers.get("etag")
    if etag is not None:
        result.headers[etag] = (
            "W/" + result.headers[etag] if not result.headers[etag].startswith("W/") else result.headers[etag]
        )
    result.headers["Vary"] = "Accept-Encoding"


def apply_response_policy(policy: dict[str, Any], viewer: edge.EdgeRequest, headers: dict[str, str]) -> None:
    lowered = {name.lower(): name for name in headers}

    def put(name: str, value: str, override: bool) -> None:
        existing = lowered.get(name.lower())
        if existing is not None:
            if not override:
                return
            del headers[existing]
        headers[name] = value
        lowered[name.lower()] = name

    cors = policy.get("CorsConfig")
    origin = viewer.headers.get("origin")
    if cors and origin:
        override = bool(cors.get("OriginOverride"))
        allowed = items(cors.get("AccessControlAllowOrigins"))
        if "*" in allowed or origin in allowed:
            put(
                "Access-Control-Allow-Origin",
                "*" if "*" in allowed and not cors.get("AccessControlAllowCredentials") else origin,
                override,
            )
            if cors.get("AccessControlAllowCredentials"):
                put("Access-Control-Allow-Credentials", "true", override)
            exposed = items(cors.get("AccessControlExposeHeaders"))
            if exposed:
                put("Access-Control-Expose-Headers", ",".join(exposed), override)
            if viewer.method == "OPTIONS":
                methods = items(cors.get("AccessControlAllowMethods"))
                put(
                    "Access-Control-Allow-Methods",
                    ",".join(
                        ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]
                        if "ALL" in methods
                        else methods
                    ),
                    override,
                )
                put(
                    "Access-Control-Allow-Headers",
                    ",".join(items(cors.get("AccessControlAllowHeaders"))),
                    override,
                )
                if cors.get("AccessControlMaxAgeSec") is not None:
                    put("Access-Control-Max-Age", str(cors["AccessControlMaxAgeSec"]), override)
    security = policy.get("SecurityHeadersConfig") or {}
    hsts = security.get("StrictTransportSecurity")
    if hsts:
        value = f"max-age={hsts.get('AccessControlMaxAgeSec', 31536000)}"
        if hsts.get("IncludeSubdomains"):
            value += "; includeSubDomains"
        if hsts.get("Preload"):
            value += "; preload"
        put("Strict-Transport-Security", value, bool(hsts.get("Override")))
    if security.get("ContentTypeOptions"):
        put("X-Content-Type-Options", "nosniff", bool(security["ContentTypeOptions"].get("Override")))
    frame = security.get("FrameOptions")
    if frame:
        put("X-Frame-Options", frame.get("FrameOption", "SAMEORIGIN"), bool(frame.get("Override")))
    referrer = security.get("ReferrerPolicy")
    if referrer:
        put(
            "Referrer-Policy",
            referrer.get("ReferrerPolicy", "strict-origin-when-cross-origin"),
            bool(referrer.get("Override")),
        )
    xss = security.get("XSSProtection")
    if xss:
        value = "1" if xss.get("Protection") else "0"
        if xss.get("Protection") and xss.get("ModeBlock"):
            value += "; mode=block"
        elif xss.get("Protection") and xss.get("ReportUri"):
            value += f"; report={xss['ReportUri']}"
        put("X-XSS-Protection", value, bool(xss.get("Override")))
    csp = security.get("ContentSecurityPolicy")
    if csp:
        put("Content-Security-Policy", csp.get("ContentSecurityPolicy", ""), bool(csp.get("Override")))
    for header in items(policy.get("CustomHeadersConfig")):
        put(header["Header"], header["Value"], bool(header.get("Override")))
    for header in items(policy.get("RemoveHeadersConfig")):
        existing = lowered.pop(header["Header"].lower(), None)
        if existing is not None:
            headers.pop(existing, None)
    timing = policy.get("ServerTimingHeadersConfig")
    if timing and timing.get("Enabled"):
        put("Server-Timing", 'cdn-upstream-layer;desc="EDGE",cdn-cache-miss', True)
