"""Function URLs: their configs, and serving them over HTTP on
`<url-id>.lambda-url.<region>.localhost.localstack.cloud` (or `.on.aws`) with the payload
format 2.0 event that AWS sends."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from typing import TYPE_CHECKING, Any

from overcast.common import payload2
from overcast.common.times import iso_millis
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.http import BodyStream, Request, Response

from .names import conflict, function_arn, not_found
from .url_auth import FORBIDDEN, UrlAuthMixin

if TYPE_CHECKING:
    # The methods below run as the Provider this mixin is part of, so their self is typed as
    # it; mypy wants a self type to be a supertype of the class that declares the method, hence
    # the `type: ignore[misc]` on each of them.
    from .provider import Provider

SEP = "\x01"
URL_HOST = re.compile(
    r"^(?P<url_id>[a-z0-9]{32})\.lambda-url\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)\."
    r"(?:localhost\.localstack\.cloud|on\.aws|localhost)(?::\d+)?$"
)
#: The path form, for clients that cannot set a Host (DESIGN §7): /_aws/lambda-url/<url-id>/...
URL_PATH = re.compile(r"^/_aws/lambda-url/(?P<url_id>[a-z0-9]{32})(?P<path>/.*)?$")
_TEXT_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
)


class UrlsMixin(UrlAuthMixin):
    def start_urls(self: Provider) -> None:  # type: ignore[misc]
        self.urls = self.store.table("lambda", "urls")
        #: url id → (scope, function name, qualifier): a URL request names no account.
        self.url_ids: dict[str, tuple[str, str, str]] = {}
        for scope in self.urls.scopes():
            for key, config in self.urls.scan(scope):
                name, _, qualifier = key.partition(SEP)
                self.url_ids[config["UrlId"]] = (scope, name, qualifier)

    def reset_urls(self: Provider) -> None:  # type: ignore[misc]
        self.url_ids.clear()

    def forget_function_urls(self: Provider, scope: str, name: str) -> None:  # type: ignore[misc]
        for key, config in list(self.urls.scan(scope, prefix=name + SEP)):
            self.urls.delete(scope, key)
            self.url_ids.pop(config["UrlId"], None)

    def _url_target(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict, missing: str = "Function does not exist"
    ) -> tuple[str, str, str]:
        """(scope, name, qualifier) of a URL config's function: the qualifier is checked first (an
        alias only), then the function or alias must exist (`missing` otherwise)."""
        from . import names

        name, qualifier = names.parse_function(
            params["FunctionName"], params.get("Qualifier"), context.account, context.region
        )
        if qualifier is not None and (qualifier.isdigit() or qualifier == "$LATEST"):
            raise ServiceError(
                "ValidationException",
                "1 validation error detected: Value '"
                + qualifier
                + "' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression "
                "pattern: ((?!^\\d+$)^[0-9a-zA-Z-_]+$)",
                400,
            )
        scope = self._scope(context)
        record = self.functions.get(scope, name)
        if record is None or (
            qualifier is not None and self.aliases.get(scope, name + SEP + qualifier) is None
        ):
            raise not_found(missing)
        return scope, name, qualifier or ""

    def _url_out(self: Provider, context: RequestContext, name: str, qualifier: str, config: dict) -> dict:  # type: ignore[misc]
        out = {k: v for k, v in config.items() if k != "UrlId"}
        out["FunctionArn"] = function_arn(context.account, context.region, name, qualifier or None)
        return out

    def create_function_url_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _check_invoke_mode(params)
        scope, name, qualifier = self._url_target(context, params)
        key = name + SEP + qualifier
        if self.urls.get(scope, key) is not None:
            raise conflict(
                f"Failed to create function url config for [functionArn = "
                f"{function_arn(context.account, context.region, name, qualifier or None)}]. "
                "Error message:  FunctionUrlConfig exists for this Lambda function"
            )
        url_id = uuid.uuid4().hex
        now = iso_millis()
        config = {
            "UrlId": url_id,
            "FunctionUrl": f"http://{url_id}.lambda-url.{context.region}.localhost.localstack.cloud:"
            f"{self.runtime.config.port}/",
            "AuthType": params["AuthType"],
            "CreationTime": now,
            "LastModifiedTime": now,
            "InvokeMode": params.get("InvokeMode") or "BUFFERED",
        }
        given_mode = params.get("InvokeMode") is not None
        if params.get("Cors"):
            config["Cors"] = params["Cors"]
        self.urls.put(scope, key, config)
        self.url_ids[url_id] = (scope, name, qualifier)
        out = self._url_out(context, name, qualifier, config)
        out.pop("LastModifiedTime", None)
        if not given_mode:
            out.pop("InvokeMode", None)  # AWS's create answer names it only when it was given
        return out

    def _url_config(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        params: dict,
        missing: str = "The resource you requested does not exist.",
    ) -> tuple[str, str, str, dict]:
        scope, name, qualifier = self._url_target(context, params, missing)
        config = self.urls.get(scope, name + SEP + qualifier)
        if config is None:
            raise not_found("The resource you requested does not exist.")
        return scope, name, qualifier, config

    def get_function_url_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, name, qualifier, config = self._url_config(context, params)
        return self._url_out(context, name, qualifier, config)

    def update_function_url_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _check_invoke_mode(params)
        scope, name, qualifier, config = self._url_config(context, params, "Function does not exist")
        for field in ("AuthType", "Cors", "InvokeMode"):
            if params.get(field) is not None:
                config[field] = params[field]
        config["LastModifiedTime"] = iso_millis()
        self.urls.put(scope, name + SEP + qualifier, config)
        return self._url_out(context, name, qualifier, config)

    def delete_function_url_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, name, qualifier, config = self._url_config(context, params)
        self.urls.delete(scope, name + SEP + qualifier)
        self.url_ids.pop(config["UrlId"], None)
        return {}

    def list_function_url_configs(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from overcast.common.pagination import paginate_keys

        from .names import bad_marker

        try:
            record, _ = self._function(context, params["FunctionName"])
        except ServiceError as error:
            if not error.message.startswith("Function not found"):
                raise
            raise not_found("Function does not exist") from None
        name = record["config"]["FunctionName"]
        scope = self._scope(context)
        return paginate_keys(
            self.store, "lambda", "ListFunctionUrlConfigs", params,
            lambda after: self.urls.scan(scope, prefix=name + SEP, start_after=after),
            bad_token=bad_marker, default_limit=50, bind=name,
            render=lambda key, config: self._url_out(context, name, key.partition(SEP)[2], config),
        )  # fmt: skip

    # -- serving -------------------------------------------------------------------------------

    async def serve_url(  # type: ignore[misc]
        self: Provider, request: Request, match: re.Match, context: RequestContext
    ) -> Response:
        return await self._serve_url(request, match.group("url_id"), context, request)

    async def serve_url_path(  # type: ignore[misc]
        self: Provider, request: Request, match: re.Match, context: RequestContext
    ) -> Response | None:
        """The path form of a function URL: the function sees the request as its host form
        would give it (that Host, the path after the URL id); a signature is checked against
        the request as it was sent."""
        url_id = match.group("url_id")
        found = self.url_ids.get(url_id)
        if found is None:
            return _unknown_url()
        region = found[0].split("/")[1]
        port = request.host.rpartition(":")[2] if ":" in request.host else ""
        host = f"{url_id}.lambda-url.{region}.localhost.localstack.cloud" + (f":{port}" if port else "")
        seen = Request(
            method=request.method,
            raw_path=match.group("path") or "/",
            query_string=request.query_string,
            headers={**request.headers, "host": host},
            body=request.body,
            client_ip=request.client_ip,
            scheme=request.scheme,
            client_port=request.client_port,
        )
        response = await self._serve_url(seen, url_id, context, request)
        request.body = seen.body  # read whole by the function's call, if it was a stream
        return response

    async def _serve_url(  # type: ignore[misc]
        self: Provider, request: Request, url_id: str, context: RequestContext, sent: Request
    ) -> Response:
        found = self.url_ids.get(url_id)
        if found is None:
            return _unknown_url()
        scope, name, qualifier = found
        config = self.urls.get(scope, name + SEP + qualifier)
        if config is None:
            return _unknown_url()
        account, region = scope.split("/")
        cors = config.get("Cors") or {}
        if request.method == "OPTIONS" and cors:
            return Response(200, payload2.cors_headers(cors, request), b"")
        if type(request.body) is BodyStream:
            request.body = await request.body.read()
        caller = None
        if config["AuthType"] == "AWS_IAM":
            if sent is not request:
                sent.body = request.body  # the signature covers the body as it was sent
            caller = self.url_caller(sent, context, account, region, name, qualifier)
            if caller is None:
                return _forbidden()
        elif not self.url_public(request, account, region, name, qualifier):
            return _forbidden()
        event = self._url_event(request, url_id, account, config, caller)
        try:
            outcome, _ = await self.execute(
                account, region, name, qualifier or None, json.dumps(event).encode()
            )
        except ServiceError as error:
            if error.status == 429:
                return _json(429, {"Message": "Rate Exceeded."})
            if error.code == "ResourceNotFoundException":
                return _forbidden()  # the URL outlived its alias: AWS refuses it
            return _internal_error()
        if outcome.error is not None:
            return _internal_error()
        response = _url_response(outcome.payload)
        if cors:
            response.headers.update(payload2.cors_headers(cors, request, preflight=False))
        return response

    @staticmethod
    def _url_event(
        request: Request, url_id: str, account: str, config: dict, caller: dict | None = None
    ) -> dict:
        headers = {}
        cookies: list[str] = []
        for name, value in request.headers.items():
            if name in _HOP_BY_HOP:
                continue
            if name == "cookie":
                cookies.extend(part.strip() for part in value.split(";") if part.strip())
            else:
                headers[name] = value
        body = request.body or b""
        content_type = request.headers.get("content-type", "")
        is_text = not body or content_type.startswith(_TEXT_TYPES)
        if is_text:
            try:
                text = body.decode()
            except UnicodeDecodeError:
                is_text = False
        headers.setdefault("x-forwarded-proto", "http")
        headers.setdefault(
            "x-forwarded-port", request.host.rpartition(":")[2] if ":" in request.host else "80"
        )
        # The URL ends in "/": a path appended to it starts with one slash, as AWS sees it.
        raw_path = "/" + request.raw_path.lstrip("/")
        now = time.time()
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": raw_path,
            "rawQueryString": request.query_string,
            "headers": headers,
            "requestContext": {
                "accountId": account if config["AuthType"] == "AWS_IAM" else "anonymous",
                "apiId": url_id,
                "domainName": request.host.split(":")[0],
                "domainPrefix": url_id,
                "http": {
                    "method": request.method,
                    "path": "/" + request.path.lstrip("/"),
                    "protocol": "HTTP/1.1",
                    "sourceIp": request.client_ip,
                    "userAgent": request.headers.get("user-agent", ""),
                },
                "requestId": str(uuid.uuid4()),
                "routeKey": "$default",
                "stage": "$default",
                "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
                "timeEpoch": int(now * 1000),
            },
            "isBase64Encoded": not is_text,
        }
        if caller is not None:
            event["requestContext"]["authorizer"] = {"iam": caller}
        if cookies:
            event["cookies"] = cookies
        if request.query_string:
            event["queryStringParameters"] = {k: ",".join(v) for k, v in request.query.items()}
        if body:
            event["body"] = text if is_text else base64.b64encode(body).decode()
        return event


def _forbidden() -> Response:
    response = _json(403, {"Message": FORBIDDEN})
    response.headers["x-amzn-ErrorType"] = "AccessDeniedException"
    return response


#: Request headers a URL's function never sees (they concern one connection only).
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "upgrade"})


def _check_invoke_mode(params: dict) -> None:
    mode = params.get("InvokeMode")
    if mode is not None and mode not in ("RESPONSE_STREAM", "BUFFERED"):
        # AWS lists the values in its own order, not the model's.
        raise ServiceError(
            "ValidationException",
            f"1 validation error detected: Value '{mode}' at 'invokeMode' failed to satisfy constraint: Member "
            "must satisfy enum value set: [RESPONSE_STREAM, BUFFERED]",
            400,
        )


def _compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _json(status: int, payload: dict) -> Response:
    return Response(status, {"Content-Type": "application/json"}, _compact(payload))


def _unknown_url() -> Response:
    # AWS answers a URL id it does not know as a refusal: 403, {"Message":null}.
    response = _json(403, {"Message": None})
    response.headers["x-amzn-ErrorType"] = "AccessDeniedException"
    return response


def _internal_error() -> Response:
    return Response(502, {"Content-Type": "application/json"}, b"Internal Server Error")


def _url_response(payload: bytes) -> Response:
    """A function's result as the HTTP response (payload format 2.0, as HTTP APIs make it)."""
    return payload2.response(payload)
