"""The event shapes of code that runs at the edge: CloudFront Functions' (`event.request`
with headers/querystring/cookies as {name: {value}}) and Lambda@Edge's
(`Records[0].cf.request/response/config`, headers as {lower-name: [{key, value}]})."""

from __future__ import annotations

import base64
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from overcast.http import parse_qs


class EdgeRequest:
    """The viewer's request as it travels through the edge (functions may change it)."""

    __slots__ = ("body", "client_ip", "headers", "method", "querystring", "uri")

    def __init__(
        self, method: str, uri: str, querystring: str, headers: dict[str, str], client_ip: str, body: bytes
    ) -> None:
        self.method = method
        self.uri = uri
        self.querystring = querystring
        #: lower-case name → value
        self.headers = headers
        self.client_ip = client_ip
        self.body = body


class EdgeResponse:
    __slots__ = ("body", "headers", "status", "status_description", "unreachable")

    def __init__(
        self,
        status: int,
        headers: dict[str, str],
        body: bytes,
        description: str = "",
        unreachable: bool = False,
    ) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.status_description = description
        #: CloudFront's own answer for an origin it could not reach (or that did not answer).
        self.unreachable = unreachable


# -- CloudFront Functions ------------------------------------------------------------------------


def _multi(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            entry = result[name]
            entry.setdefault("multiValue", [{"value": entry["value"]}]).append({"value": value})
        else:
            result[name] = {"value": value}
    return result


def function_event(
    kind: str, request: EdgeRequest, response: EdgeResponse | None, context: dict[str, str]
) -> dict[str, Any]:
    cookies: list[tuple[str, str]] = []
    cookie_header = request.headers.get("cookie")
    if cookie_header:
        jar = SimpleCookie()
        try:
            jar.load(cookie_header)
            cookies = [(name, morsel.value) for name, morsel in jar.items()]
        except Exception:
            cookies = []
    event: dict[str, Any] = {
        "version": "1.0",
        "context": {**context, "eventType": kind},
        "viewer": {"ip": request.client_ip},
        "request": {
            "method": request.method,
            "uri": request.uri,
            "querystring": _multi(parse_qsl(request.querystring, keep_blank_values=True)),
            "headers": {
                name: {"value": value} for name, value in request.headers.items() if name != "cookie"
            },
            "cookies": _multi(cookies),
        },
    }
    if response is not None:
        event["response"] = {
            "statusCode": response.status,
            "statusDescription": response.status_description,
            "headers": {
                name.lower(): {"value": value}
                for name, value in response.headers.items()
                if name.lower() != "set-cookie"
            },
            "cookies": {},
        }
    return event


def _values(entry: Any) -> list[str]:
    if not isinstance(entry, dict):
        return []
    if entry.get("multiValue"):
        return [str(item.get("value", "")) for item in entry["multiValue"] if isinstance(item, dict)]
    return [str(entry.get("value", ""))]


def apply_function_request(request: EdgeRequest, result: dict[str, Any]) -> None:
    request.method = str(result.get("method") or request.method)
    request.uri = str(result.get("uri") or request.uri)
    query = result.get("querystring")
    if isinstance(query, dict):
        request.querystring = urlencode(
            [(name, value) for name, entry in query.items() for value in _values(entry)]
        )
    elif isinstance(query, str):
        request.querystring = query
    headers = result.get("headers")
    if isinstance(headers, dict):
        request.headers = {name.lower(): ", ".join(_values(entry)) for name, entry in headers.items()}
    cookies = result.get("cookies")
    if isinstance(cookies, dict) and cookies:
        request.headers["cookie"] = "; ".join(
            f"{name}={value}" for name, entry in cookies.items() for value in _values(entry)
        )


def function_response(result: dict[str, Any], original: EdgeResponse | None = None) -> EdgeResponse:
    headers = {
        name.lower(): ", ".join(_values(entry)) for name, entry in (result.get("headers") or {}).items()
    }
    cookies = result.get("cookies") or {}
    for name, entry in cookies.items():
        for value in _values(entry):
            headers["set-cookie"] = f"{name}={value}"
    body = result.get("body")
    data = original.body if original is not None and body is None else b""
    if isinstance(body, str):
        data = body.encode()
    elif isinstance(body, dict):
        text = str(body.get("data", ""))
        data = base64.b64decode(text) if body.get("encoding") == "base64" else text.encode()
    return EdgeResponse(
        int(result.get("statusCode") or 200), headers, data, str(result.get("statusDescription") or "")
    )


# -- Lambda@Edge ---------------------------------------------------------------------------------


def lambda_headers(headers: dict[str, str]) -> dict[str, list[dict[str, str]]]:
    return {name.lower(): [{"key": _title(name), "value": value}] for name, value in headers.items()}


def _title(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def from_lambda_headers(headers: Any) -> dict[str, str]:
    result: dict[str, str] = {}
    if isinstance(headers, dict):
        for name, entries in headers.items():
            if isinstance(entries, list):
                values = [str(entry.get("value", "")) for entry in entries if isinstance(entry, dict)]
                result[name.lower()] = ", ".join(values)
    return result


def lambda_event(
    kind: str,
    request: EdgeRequest,
    response: EdgeResponse | None,
    config: dict[str, str],
    origin: dict[str, Any] | None,
    include_body: bool,
) -> dict[str, Any]:
    cf_request: dict[str, Any] = {
        "clientIp": request.client_ip,
        "headers": lambda_headers(request.headers),
        "method": request.method,
        "querystring": request.querystring,
        "uri": request.uri,
    }
    if origin is not None:
        cf_request["origin"] = origin
    if include_body and kind.endswith("request"):
        cf_request["body"] = {
            "action": "read-only",
            "data": base64.b64encode(request.body).decode(),
            "encoding": "base64",
            "inputTruncated": False,
        }
    record: dict[str, Any] = {"config": {**config, "eventType": kind}, "request": cf_request}
    if response is not None:
        record["response"] = {
            "headers": lambda_headers(response.headers),
            "status": str(response.status),
            "statusDescription": response.status_description,
        }
    return {"Records": [{"cf": record}]}


def lambda_origin(origin: dict[str, Any], s3: bool) -> dict[str, Any]:
    custom_headers = lambda_headers(
        {
            header["HeaderName"]: header["HeaderValue"]
            for header in (origin.get("CustomHeaders") or {}).get("Items") or []
        }
    )
    if s3:
        return {
            "s3": {
                "authMethod": "origin-access-identity" if origin.get("OriginAccessControlId") else "none",
                "customHeaders": custom_headers,
                "domainName": origin["DomainName"],
                "path": origin.get("OriginPath") or "",
                "region": "us-east-1",
            }
        }
    custom = origin.get("CustomOriginConfig") or {}
    return {
        "custom": {
            "customHeaders": custom_headers,
            "domainName": origin["DomainName"],
            "keepaliveTimeout": custom.get("OriginKeepaliveTimeout", 5),
            "path": origin.get("OriginPath") or "",
            "port": custom.get("HTTPPort", 80),
            "protocol": "https" if custom.get("OriginProtocolPolicy") == "https-only" else "http",
            "readTimeout": custom.get("OriginReadTimeout", 30),
            "sslProtocols": (custom.get("OriginSslProtocols") or {}).get("Items") or ["TLSv1.2"],
        }
    }


def apply_lambda_request(request: EdgeRequest, result: dict[str, Any]) -> None:
    request.method = str(result.get("method") or request.method)
    request.uri = str(result.get("uri") or request.uri)
    if "querystring" in result:
        request.querystring = str(result.get("querystring") or "")
    if "headers" in result:
        request.headers = from_lambda_headers(result["headers"])


def lambda_response(result: dict[str, Any], original: EdgeResponse | None) -> EdgeResponse:
    headers = (
        from_lambda_headers(result.get("headers"))
        if "headers" in result
        else dict(original.headers if original else {})
    )
    body: bytes
    if "body" in result:
        text = str(result.get("body") or "")
        body = base64.b64decode(text) if result.get("bodyEncoding") == "base64" else text.encode()
    else:
        body = original.body if original is not None else b""
    status = int(result.get("status") or (original.status if original else 200))
    return EdgeResponse(status, headers, body, str(result.get("statusDescription") or ""))


def query_dict(text: str) -> dict[str, list[str]]:
    return parse_qs(text)


def quote_path(path: str) -> str:
    return quote(path, safe="/~!$&'()*+,;=:@%")
