"""The HTTP event of payload format 2.0 and the response it is answered with: what Lambda
function URLs and API Gateway HTTP APIs both send to a function and make of its result."""

from __future__ import annotations

import base64
import json
import time
from functools import lru_cache
from typing import Any

from overcast.common import jsontext
from overcast.http import Request, Response

#: Content types whose bodies reach the function as text; any other is base64.
TEXT_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
)
#: Request headers a function never sees (they concern one connection only).
HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "upgrade"})


def request_time(moment: float) -> str:
    """`12/Mar/2020:19:03:58 +0000`; the requests of one second share the text."""
    return _second_text(int(moment))


@lru_cache(maxsize=4)
def _second_text(second: int) -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(second))


def event(
    request: Request,
    *,
    raw_path: str,
    route_key: str,
    stage: str,
    api_id: str,
    account: str,
    domain: str,
    request_id: str,
    moment: float,
    path_parameters: dict[str, str] | None = None,
    stage_variables: dict[str, str] | None = None,
    authorizer: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    query_string: str | None = None,
) -> dict[str, Any]:
    """The version 2.0 event of a request: headers lower-case (cookies apart, in `cookies`),
    the query string raw and parsed (repeated values comma-joined), the body as text or base64."""
    given_headers = request.headers if headers is None else headers
    out_headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in given_headers.items():
        name = name.lower()
        if name in HOP_BY_HOP:
            continue
        if name == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
        else:
            out_headers[name] = value
    body = request.body or b""
    content_type = given_headers.get("content-type", "")
    is_text = not body or content_type.startswith(TEXT_TYPES)
    text = ""
    if is_text and body:
        try:
            text = bytes(body).decode()
        except UnicodeDecodeError:
            is_text = False
    out_headers.setdefault("x-forwarded-proto", "http")
    out_headers.setdefault(
        "x-forwarded-port", request.host.rpartition(":")[2] if ":" in request.host else "80"
    )
    out_headers.setdefault("x-forwarded-for", request.client_ip)
    query = request.query_string if query_string is None else query_string
    context: dict[str, Any] = {
        "accountId": account,
        "apiId": api_id,
        "domainName": domain,
        "domainPrefix": domain.split(".")[0],
        "http": {
            "method": request.method,
            "path": raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": request.client_ip,
            "userAgent": given_headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": stage,
        "time": request_time(moment),
        "timeEpoch": int(moment * 1000),
    }
    if authorizer is not None:
        context["authorizer"] = authorizer
    out: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": out_headers,
        "requestContext": context,
        "isBase64Encoded": not is_text,
    }
    if cookies:
        out["cookies"] = cookies
    if query:
        from overcast.http import parse_qs

        out["queryStringParameters"] = {k: ",".join(v) for k, v in parse_qs(query).items()}
    if path_parameters:
        out["pathParameters"] = dict(path_parameters)
    if stage_variables:
        out["stageVariables"] = dict(stage_variables)
    if body:
        out["body"] = text if is_text else base64.b64encode(body).decode()
    return out


def _compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def response(payload: bytes) -> Response:
    """A function's result as the HTTP response: a dict with statusCode is a structured
    response; anything else (valid JSON) is the JSON body of a 200. ValueError when a
    structured response is malformed."""
    try:
        result = jsontext.loads(payload, jsontext.MAX_PAYLOAD_DEPTH) if payload else None
    except ValueError:
        return Response(200, {"Content-Type": "application/json"}, payload)
    if isinstance(result, str):
        return Response(200, {"Content-Type": "application/json"}, result.encode())
    if not isinstance(result, dict) or "statusCode" not in result:
        return Response(200, {"Content-Type": "application/json"}, _compact(result))
    headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    body = result.get("body")
    if body is None:
        data = b""
    elif result.get("isBase64Encoded"):
        data = base64.b64decode(body)
    else:
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
    if not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = "application/json"
    cookies = result.get("cookies") or []
    if cookies:
        headers["Set-Cookie"] = ", ".join(str(c) for c in cookies)
    return Response(int(result["statusCode"]), headers, data)


def cors_headers(cors: dict, request: Request, preflight: bool = True) -> dict[str, str]:
    """The Access-Control-* headers of a CORS configuration (AllowOrigins, AllowMethods,
    AllowHeaders, ExposeHeaders, MaxAge, AllowCredentials) for a request's Origin."""
    headers: dict[str, str] = {}
    origins = cors.get("AllowOrigins") or []
    origin = request.headers.get("origin", "")
    if "*" in origins:
        headers["Access-Control-Allow-Origin"] = "*"
    elif origin in origins:
        headers["Access-Control-Allow-Origin"] = origin
    else:
        return {}
    if cors.get("AllowCredentials"):
        headers["Access-Control-Allow-Credentials"] = "true"
    if cors.get("ExposeHeaders"):
        headers["Access-Control-Expose-Headers"] = ",".join(cors["ExposeHeaders"])
    if preflight:
        if cors.get("AllowMethods"):
            headers["Access-Control-Allow-Methods"] = ",".join(cors["AllowMethods"])
        if cors.get("AllowHeaders"):
            headers["Access-Control-Allow-Headers"] = ",".join(cors["AllowHeaders"])
        if cors.get("MaxAge"):
            headers["Access-Control-Max-Age"] = str(cors["MaxAge"])
    return headers
