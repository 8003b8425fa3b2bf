"""CORS: the bucket's rules, preflight (OPTIONS) requests answered by them, and the
Access-Control-* headers on actual requests that carry an Origin."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.http import Request, Response
from overcast.services.s3.configstore import malformed_xml, s3_error

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.s3.provider import Provider

METHODS = ("GET", "PUT", "HEAD", "POST", "DELETE")
NOT_ALLOWED = (
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, "
    "request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted "
    "by the resource's CORS spec."
)


def _wildcard_match(pattern: str, value: str) -> bool:
    if pattern == "*":
        return True
    if "*" not in pattern:
        return pattern == value
    head, _, tail = pattern.partition("*")
    return len(value) >= len(head) + len(tail) and value.startswith(head) and value.endswith(tail)


def validate(configuration: dict) -> list[dict]:
    rules = configuration.get("CORSRules") or []
    if not rules or len(rules) > 100:
        raise malformed_xml()
    for rule in rules:
        if not rule.get("AllowedMethods") or not rule.get("AllowedOrigins"):
            raise malformed_xml()
        for method in rule["AllowedMethods"]:
            if method not in METHODS:
                raise s3_error(
                    "InvalidRequest",
                    f"Found unsupported HTTP method in CORS config. Unsupported method is {method}",
                )
        for origin in rule["AllowedOrigins"]:
            if origin.count("*") > 1:
                raise s3_error(
                    "InvalidRequest", f'AllowedOrigin "{origin}" can not have more than one wildcard.'
                )
        for header in rule.get("AllowedHeaders") or []:
            if header.count("*") > 1:
                raise s3_error(
                    "InvalidRequest", f'AllowedHeader "{header}" can not have more than one wildcard.'
                )
    return rules


def matching_rule(rules: list[dict], origin: str, method: str, headers: list[str]) -> dict | None:
    """The first rule that allows the origin, the method and every requested header."""
    for rule in rules:
        if method not in rule["AllowedMethods"]:
            continue
        if not any(_wildcard_match(pattern, origin) for pattern in rule["AllowedOrigins"]):
            continue
        allowed = [pattern.lower() for pattern in rule.get("AllowedHeaders") or []]
        if all(any(_wildcard_match(pattern, header) for pattern in allowed) for header in headers):
            return rule
    return None


def rule_headers(rule: dict, origin: str, requested_headers: list[str] | None) -> dict[str, str]:
    headers = {}
    if "*" in rule["AllowedOrigins"]:
        headers["Access-Control-Allow-Origin"] = "*"
    else:
        headers["Access-Control-Allow-Origin"] = origin
        headers["Access-Control-Allow-Credentials"] = "true"
    headers["Access-Control-Allow-Methods"] = ", ".join(rule["AllowedMethods"])
    if requested_headers:
        headers["Access-Control-Allow-Headers"] = ", ".join(requested_headers)
    if rule.get("ExposeHeaders"):
        headers["Access-Control-Expose-Headers"] = ", ".join(rule["ExposeHeaders"])
    if rule.get("MaxAgeSeconds") is not None:
        headers["Access-Control-Max-Age"] = str(rule["MaxAgeSeconds"])
    headers["Vary"] = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
    return headers


def _bucket_and_key(raw_path: str) -> tuple[str, str | None]:
    path = raw_path.split("?", 1)[0]
    name, _, key = path.lstrip("/").partition("/")
    return unquote(name), (unquote(key) if key else None)


class CorsOperations:
    def put_bucket_cors(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        rules = validate(params.get("CORSConfiguration") or {})
        self.configs.put(bucket, "cors", [{k: v for k, v in rule.items() if v is not None} for rule in rules])
        return {}

    def get_bucket_cors(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        rules = self.configs.get(bucket, "cors")
        if not rules:
            raise s3_error(
                "NoSuchCORSConfiguration",
                "The CORS configuration does not exist",
                404,
                BucketName=bucket["Name"],
            )
        return {"CORSRules": rules}

    def delete_bucket_cors(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        self.configs.delete(bucket, "cors")
        return {}

    # -- HTTP ---------------------------------------------------------------------------------

    def _error_response(self: Provider, context: RequestContext, error: ServiceError) -> Response:  # type: ignore[misc]
        from overcast import protocols

        return protocols.serialize_error(protocols.service_model("s3"), None, "rest-xml", error, context)

    def cors_preflight(self: Provider, request: Request, context: RequestContext) -> Response:  # type: ignore[misc]
        """Answer an OPTIONS request as S3 does (it is not an API operation)."""
        origin = request.headers.get("origin")
        method = request.headers.get("access-control-request-method")
        name, key = _bucket_and_key(request.raw_path)
        if not origin:
            return self._error_response(
                context, s3_error("BadRequest", "Insufficient information. Origin request header needed.")
            )
        if method is not None and method not in METHODS:
            return self._error_response(
                context, s3_error("BadRequest", f"Invalid Access-Control-Request-Method: {method}")
            )
        # Without Access-Control-Request-Method S3 refuses the OPTIONS request itself.
        method = method or "OPTIONS"
        bucket = self.find_bucket(name) if name else None
        if bucket is None:
            return self._error_response(
                context,
                s3_error(
                    "AccessForbidden",
                    "CORSResponse: Bucket not found",
                    403,
                    Method=method,
                    ResourceType="BUCKET",
                ),
            )
        rules = self.configs.get(bucket, "cors")
        resource = "OBJECT" if key else "BUCKET"
        if not rules:
            return self._error_response(
                context,
                s3_error(
                    "AccessForbidden",
                    "CORSResponse: CORS is not enabled for this bucket.",
                    403,
                    Method=method,
                    ResourceType="BUCKET",  # the bucket's setting is missing, whatever the path
                ),
            )
        requested = [
            h.strip().lower()
            for h in request.headers.get("access-control-request-headers", "").split(",")
            if h.strip()
        ]
        rule = matching_rule(rules, origin, method, requested)
        if rule is None:
            return self._error_response(
                context, s3_error("AccessForbidden", NOT_ALLOWED, 403, Method=method, ResourceType=resource)
            )
        headers = rule_headers(rule, origin, requested)
        headers["x-amz-request-id"] = context.request_id
        return Response(200, headers, b"")

    def cors_response(self: Provider, request: Request, context: RequestContext, response: Response) -> None:  # type: ignore[misc]
        """Add Access-Control-* headers to a response to a request that carries an Origin."""
        origin = request.headers.get("origin")
        name, _ = _bucket_and_key(request.raw_path)
        if not origin or not name:
            return
        bucket = self.find_bucket(name)
        if bucket is None:
            return
        rules = self.configs.get(bucket, "cors")
        if not rules:
            return
        rule = matching_rule(rules, origin, request.method, [])
        if rule is not None:
            headers = rule_headers(rule, origin, None)
            response.headers.update(headers)
