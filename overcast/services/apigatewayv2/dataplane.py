"""The data plane of HTTP APIs: a stage answering HTTP requests on port 4566.

Reached by Host (`{api-id}.execute-api.localhost.localstack.cloud`, `{api-id}.execute-api.
{region}.amazonaws.com`, a custom domain name with API mappings or routing rules) or by path
(`/_aws/execute-api/{api-id}/{stage}/...`); the `$default` stage answers without a stage
segment. A request goes: CORS preflight (answered by API Gateway) → route → throttling
(route settings) → authorization (JWT, Lambda REQUEST authorizers with cached results,
AWS_IAM) → parameter mapping → integration (Lambda proxy with payload 1.0 or 2.0, HTTP proxy,
AWS service subtypes) → response mapping and CORS headers → access log."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import orjson

from overcast.common import jsontext, outbound, payload2
from overcast.common.arns import partition
from overcast.common.waiting import within
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.http import BodyStream, BodyTooLarge, Request, Response, parse_qs
from overcast.services.apigatewayv2 import jwt, metrics
from overcast.services.apigatewayv2.routing import RouteTable

if TYPE_CHECKING:
    from overcast.services.apigatewayv2.provider import Provider

log = logging.getLogger(__name__)

MAX_PAYLOAD = 10 * 1024 * 1024
_FUNCTION_URI = re.compile(
    r"^arn:[^:]+:apigateway:[^:]*:lambda:path/[^/]+/functions/(?P<function>.+)/invocations$"
)
_EXPRESSION = re.compile(
    r"\$\{([^}]+)\}|\$((?:request|context|stageVariables|response)\.[A-Za-z0-9_\-.]+|request\.path|request\.body)"
)
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length", "te", "trailer"}
)


class HttpError(Exception):
    """A request API Gateway answers itself: `{"message": ...}` with a status."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def not_found_error() -> HttpError:
    return HttpError(404, "Not Found")


def internal_error() -> HttpError:
    return HttpError(500, "Internal Server Error")


@dataclass
class HttpCall:
    """One request to a stage of an HTTP API, as it goes through the pipeline."""

    request: Request
    api_id: str
    stage_name: str
    path: str
    scope: str
    doc: dict[str, Any]
    stage: dict[str, Any]
    snapshot: dict[str, Any]
    domain: str
    started: float = field(default_factory=time.time)
    request_id: str = field(
        default_factory=lambda: (
            base64.b64encode(random.getrandbits(88).to_bytes(11, "big")).decode()[:15] + "="
        )
    )
    route: dict[str, Any] | None = None
    path_params: dict[str, str] = field(default_factory=dict)
    #: requestContext.authorizer of the event, once an authorizer has run.
    authorizer: dict[str, Any] | None = None
    integration_status: int | None = None
    integration_latency: int | None = None
    error_message: str = ""
    #: A WebSocket API's connection and event (CONNECT, MESSAGE, DISCONNECT).
    connection_id: str = ""
    event_type: str = ""
    _body_json: Any = None

    @property
    def account(self) -> str:
        return self.scope.split("/")[0]

    @property
    def region(self) -> str:
        return self.scope.split("/")[1]

    @property
    def variables(self) -> dict[str, str]:
        return self.stage.get("StageVariables") or {}

    @property
    def route_key(self) -> str:
        return (self.route or {}).get("RouteKey", "-")

    def route_arn(self) -> str:
        """The execute-api ARN an authorizer's policy is matched against: `.../{stage}/{VERB}
        {path}` for HTTP APIs, `.../{stage}/{route key}` for WebSocket APIs."""
        prefix = f"arn:{partition(self.region)}:execute-api:{self.region}:{self.account}:{self.api_id}/{self.stage_name}"
        if self.doc["Api"]["ProtocolType"] == "WEBSOCKET":
            return f"{prefix}/{self.route_key}"
        return f"{prefix}/{self.request.method}{self.path}"

    def body_json(self) -> Any:
        if self._body_json is None:
            try:
                self._body_json = jsontext.loads(self.request.body or b"null")
            except ValueError:
                self._body_json = {}
        return self._body_json

    def context_variables(self) -> dict[str, Any]:
        request = self.request
        out: dict[str, Any] = {
            "accountId": self.account,
            "apiId": self.api_id,
            "domainName": self.domain,
            "domainPrefix": self.domain.split(".")[0],
            "httpMethod": request.method,
            "path": self.path,
            "protocol": "HTTP/1.1",
            "requestId": self.request_id,
            "extendedRequestId": self.request_id,
            "requestTime": payload2.request_time(self.started),
            "requestTimeEpoch": int(self.started * 1000),
            "routeKey": self.route_key,
            "stage": self.stage_name,
            "identity": {"sourceIp": request.client_ip, "userAgent": request.headers.get("user-agent", "")},
            "integrationStatus": self.integration_status,
            "integrationLatency": self.integration_latency,
            "error": {"message": self.error_message or None},
            "integrationErrorMessage": self.error_message or None,
        }
        if self.connection_id:
            out.update(connectionId=self.connection_id, eventType=self.event_type or "MESSAGE")
        if self.authorizer is not None:
            authorizer = dict(self.authorizer.get("lambda") or {})
            if "jwt" in self.authorizer:
                authorizer["claims"] = self.authorizer["jwt"].get("claims") or {}
                authorizer["scopes"] = self.authorizer["jwt"].get("scopes")
            if "iam" in self.authorizer:
                out["identity"].update(self.authorizer["iam"])
            if "principalId" in self.authorizer:
                authorizer["principalId"] = self.authorizer["principalId"]
            out["authorizer"] = authorizer
        return out


def lookup(value: Any, dotted: str) -> Any:
    for part in [p for p in dotted.split(".") if p]:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


#: WebSocket APIs name identity sources without the `$` (`route.request.header.Auth`).
_IDENTITY_FORMS = (
    ("route.request.", "$request."),
    ("context.", "$context."),
    ("stageVariables.", "$stageVariables."),
)


def identity_expression(source: str) -> str:
    for given, ours in _IDENTITY_FORMS:
        if source.startswith(given):
            return ours + source[len(given) :]
    return source


def evaluate(call: HttpCall, expression: str, response: Response | None = None) -> str | None:
    """One mapping value: `$request.header.name`, `$request.querystring.name`,
    `$request.path.name`, `$request.path`, `$request.body.a.b`, `$context.x`,
    `$stageVariables.x`, `$response.header.x`, `$response.body.a`; anything else is literal
    text, and `${...}` references may be mixed with it."""
    if "$" not in expression:
        return expression
    whole = _EXPRESSION.fullmatch(expression)
    if whole:
        return _reference(call, whole.group(1) or whole.group(2), response)
    return _EXPRESSION.sub(lambda m: _reference(call, m.group(1) or m.group(2), response) or "", expression)


def _reference(call: HttpCall, name: str, response: Response | None) -> str | None:
    source, _, rest = name.partition(".")
    request = call.request
    if source == "request":
        kind, _, key = rest.partition(".")
        if kind == "header":
            return request.headers.get(key.lower())
        if kind == "querystring":
            values = request.query.get(key)
            return ",".join(values) if values else None
        if kind == "path":
            return call.path_params.get(key) if key else call.path
        if kind == "body":
            return _text(lookup(call.body_json(), key) if key else call.body_json())
        return None
    if source == "context":
        return _text(lookup(call.context_variables(), rest))
    if source == "stageVariables":
        return call.variables.get(rest)
    if source == "response" and response is not None:
        kind, _, key = rest.partition(".")
        if kind == "header":
            return next((v for k, v in response.headers.items() if k.lower() == key.lower()), None)
        if kind == "body":
            try:
                body = jsontext.loads(
                    bytes(response.body) if isinstance(response.body, (bytes, bytearray)) else b"null"
                )
            except ValueError:
                return None
            return _text(lookup(body, key) if key else body)
    return None


class TokenBucket:
    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = max(burst, 0)
        self.tokens = float(self.burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        moment = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (moment - self.stamp) * self.rate)
        self.stamp = moment
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def error_response(error: HttpError) -> Response:
    headers = {"Content-Type": "application/json"}
    headers.update(error.headers)
    return Response(error.status, headers, json.dumps({"message": error.message}).encode())


class DataPlaneMixin:
    def init_dataplane(self: Provider) -> None:  # type: ignore[misc]
        #: (api id, deployment id) → the route table of that deployment.
        self.route_tables: dict[tuple[str, str], RouteTable] = {}
        #: (api id, stage, route key) → throttle bucket.
        self.buckets: dict[tuple[str, str, str], TokenBucket] = {}
        #: (api id, stage, authorizer id, identity...) → (expiry, authorizer context).
        self.authorizer_cache: dict[tuple[str, ...], tuple[float, dict[str, Any]]] = {}
        self.key_sets = jwt.KeySets()

    def reset_dataplane(self: Provider) -> None:  # type: ignore[misc]
        self.route_tables.clear()
        self.buckets.clear()
        self.authorizer_cache.clear()
        self.key_sets.clear()

    def forget_api(self: Provider, api_id: str) -> None:  # type: ignore[misc]
        for table_key in [k for k in self.route_tables if k[0] == api_id]:
            del self.route_tables[table_key]
        self.forget_authorizer(api_id)
        for key in [k for k in self.buckets if k[0] == api_id]:
            del self.buckets[key]

    def forget_authorizer(self: Provider, api_id: str, stage: str | None = None) -> None:  # type: ignore[misc]
        for key in [k for k in self.authorizer_cache if k[0] == api_id and (stage is None or k[1] == stage)]:
            del self.authorizer_cache[key]

    def forget_stage(self: Provider, api_id: str, stage: str) -> None:  # type: ignore[misc]
        self.forget_authorizer(api_id, stage)
        for key in [k for k in self.buckets if k[0] == api_id and k[1] == stage]:
            del self.buckets[key]

    # -- entry points ----------------------------------------------------------------------------

    async def serve_host(  # type: ignore[misc]
        self: Provider, request: Request, match: re.Match, context: RequestContext
    ) -> Response | None:
        api_id = match.group("api_id")
        if api_id not in self.api_homes:
            return None  # a REST API's, or nobody's: the REST API data plane answers
        return await self.serve_api(request, api_id, request.raw_path, request.host.split(":")[0])

    async def serve_path(  # type: ignore[misc]
        self: Provider, request: Request, match: re.Match, context: RequestContext
    ) -> Response | None:
        api_id = match.group("api_id")
        if api_id not in self.api_homes:
            return None
        return await self.serve_api(request, api_id, match.group("path") or "/", "")

    async def serve_domain(  # type: ignore[misc]
        self: Provider, request: Request, match: re.Match, context: RequestContext
    ) -> Response | None:
        record = self.served_domain(match.group("domain").lower())
        if record is None:
            return None
        name = record["DomainName"]
        target = self.domain_target(record, request)
        if target is None:
            return error_response(not_found_error())
        api_id, stage, path = target
        return await self.serve_api(request, api_id, path, name, stage=stage, custom_domain=True)

    def served_domain(self: Provider, name: str) -> dict[str, Any] | None:  # type: ignore[misc]
        """A custom domain's record for the data plane, cached; never changed by readers."""
        record = self.domain_records.get(name)
        if record is None:
            scope = self.domain_homes.get(name)
            record = self.domains.get(scope, name) if scope is not None else None
            if record is not None:
                self.domain_records[name] = record
        return record

    @staticmethod
    def domain_target(record: dict[str, Any], request: Request) -> tuple[str, str, str] | None:
        """(api id, stage, path) a request to a custom domain reaches: routing rules by
        priority (ROUTING_RULE_*), then API mappings by their longest matching key."""
        path = request.raw_path
        mode = record.get("RoutingMode") or "API_MAPPING_ONLY"
        if mode != "API_MAPPING_ONLY":
            for rule in sorted((record.get("Rules") or {}).values(), key=lambda r: r["Priority"]):
                if _rule_matches(rule, request):
                    action = rule["Actions"][0]["InvokeApi"]
                    rest = path
                    if action.get("StripBasePath"):
                        for condition in rule["Conditions"]:
                            for base in (condition.get("MatchBasePaths") or {}).get("AnyOf") or []:
                                if path.lstrip("/").startswith(base):
                                    rest = "/" + path.lstrip("/")[len(base) :].lstrip("/")
                    return action["ApiId"], action["Stage"], rest
            if mode == "ROUTING_RULE_ONLY":
                return None
        best = None
        stripped = path.lstrip("/")
        for mapping in (record.get("Mappings") or {}).values():
            key = mapping.get("ApiMappingKey") or ""
            if key and not (stripped == key or stripped.startswith(key + "/")):
                continue
            if best is None or len(key) > len(best.get("ApiMappingKey") or ""):
                best = mapping
        if best is None:
            return None
        key = best.get("ApiMappingKey") or ""
        rest = "/" + stripped[len(key) :].lstrip("/") if key else path
        return best["ApiId"], best["Stage"], rest

    async def serve_api(  # type: ignore[misc]
        self: Provider,
        request: Request,
        api_id: str,
        path: str,
        domain: str,
        stage: str | None = None,
        custom_domain: bool = False,
    ) -> Response:
        found = self.served_document(api_id)
        if found is None:
            return error_response(not_found_error())
        scope, doc = found
        if doc["Api"].get("DisableExecuteApiEndpoint") and not custom_domain:
            return error_response(HttpError(403, "Forbidden"))
        if stage is None:
            first, _, rest = path.lstrip("/").partition("/")
            if first and first != "$default" and first in doc["Stages"]:
                stage, path = first, "/" + rest
            elif "$default" in doc["Stages"]:
                stage = "$default"
            else:
                return error_response(not_found_error())
        if doc["Api"]["ProtocolType"] == "WEBSOCKET":
            return await self.serve_connections(request, doc, stage, path)
        record = doc["Stages"].get(stage)
        deployment = doc["Deployments"].get((record or {}).get("DeploymentId") or "")
        if record is None or deployment is None:
            return error_response(not_found_error())
        call = HttpCall(
            request=request,
            api_id=api_id,
            stage_name=stage,
            path=path.split("?")[0] or "/",
            scope=scope,
            doc=doc,
            stage=record,
            snapshot=deployment["_Snapshot"],
            domain=domain or f"{api_id}.execute-api.{scope.split('/')[1]}.amazonaws.com",
        )
        try:
            if type(request.body) is BodyStream:
                try:
                    request.body = await request.body.read(MAX_PAYLOAD)
                except BodyTooLarge:
                    raise HttpError(413, "Request Entity Too Large") from None
            response = await self.run_http(call, deployment["DeploymentId"])
        except HttpError as error:
            call.error_message = error.message
            response = error_response(error)
        except Exception:
            # A fault of Overcast's own is still answered in API Gateway's shape, never a crash.
            log.exception("API %s stage %s: %s %s failed", api_id, stage, request.method, call.path)
            call.error_message = "Internal Server Error"
            response = error_response(internal_error())
        cors = call.snapshot.get("CorsConfiguration")
        if cors and "origin" in request.headers and not call.__dict__.get("preflight"):
            for name in [n for n in response.headers if n.lower().startswith("access-control-")]:
                del response.headers[name]  # the gateway's CORS configuration wins
            response.headers.update(payload2.cors_headers(cors, request, preflight=False))
        response.headers["apigw-requestid"] = call.request_id
        self.access_log(call, response)
        metrics.publish_request(self.runtime, call, response)
        return response

    # -- the pipeline ----------------------------------------------------------------------------

    async def run_http(self: Provider, call: HttpCall, deployment_id: str) -> Response:  # type: ignore[misc]
        request = call.request
        cors = call.snapshot.get("CorsConfiguration")
        if (
            cors
            and request.method == "OPTIONS"
            and "origin" in request.headers
            and "access-control-request-method" in request.headers
        ):
            call.__dict__["preflight"] = True
            return Response(204, payload2.cors_headers(cors, request))
        table = self.route_tables.get((call.api_id, deployment_id))
        if table is None:
            table = self.route_tables[(call.api_id, deployment_id)] = RouteTable(call.snapshot["Routes"])
        found = table.match(request.method, call.path)
        if found is None:
            raise not_found_error()
        call.route, call.path_params = found
        self.throttle(call)
        await self.authorize_http(call)
        integration = call.snapshot["Integrations"].get((call.route.get("Target") or "").partition("/")[2])
        if integration is None:
            raise internal_error()
        started = time.monotonic()
        response = await self.integrate_http(call, integration)
        call.integration_latency = int((time.monotonic() - started) * 1000)
        call.integration_status = response.status
        return self.map_response(call, integration, response)

    def throttle(self: Provider, call: HttpCall) -> None:  # type: ignore[misc]
        """The route's settings in the stage (its own, else the stage's defaults)."""
        key = call.route_key
        own = (call.stage.get("RouteSettings") or {}).get(key) or {}
        defaults = call.stage.get("DefaultRouteSettings") or {}
        rate = own.get("ThrottlingRateLimit", defaults.get("ThrottlingRateLimit"))
        burst = own.get("ThrottlingBurstLimit", defaults.get("ThrottlingBurstLimit"))
        if rate is None and burst is None:
            return
        bucket_key = (call.api_id, call.stage_name, key if own else "*")
        bucket = self.buckets.get(bucket_key)
        if bucket is None:
            rate_value = float(rate if rate is not None else 10000.0)
            bucket = self.buckets[bucket_key] = TokenBucket(
                rate_value, int(burst if burst is not None else max(int(rate_value), 1))
            )
        if not bucket.take():
            raise HttpError(429, "Too Many Requests")

    # -- integrations ----------------------------------------------------------------------------

    async def integrate_http(self: Provider, call: HttpCall, integration: dict[str, Any]) -> Response:  # type: ignore[misc]
        self.map_request(call, integration)
        kind = integration["IntegrationType"]
        timeout = float(integration.get("TimeoutInMillis") or 30000) / 1000
        if kind == "AWS_PROXY" and integration.get("IntegrationSubtype"):
            return await self.aws_service(call, integration, timeout)
        if kind == "AWS_PROXY":
            version = integration.get("PayloadFormatVersion") or "2.0"
            event = self.event_v2(call) if version == "2.0" else self.event_v1(call)
            payload, error = await self.invoke_lambda(
                call, integration.get("IntegrationUri") or "", event, timeout
            )
            if error is not None:
                call.error_message = str(error.get("errorMessage") or "")
                raise internal_error()
            if version == "2.0":
                try:
                    return payload2.response(payload)
                except (ValueError, TypeError):
                    raise internal_error() from None
            return self.response_v1(payload)
        if kind == "HTTP_PROXY":
            return await self.http_proxy(call, integration, timeout)
        raise internal_error()

    def response_v1(self, payload: bytes) -> Response:
        try:
            result = jsontext.loads(payload or b"null")
        except ValueError:
            raise internal_error() from None
        if not isinstance(result, dict) or "statusCode" not in result:
            raise internal_error()
        try:
            status = int(result["statusCode"])
        except (TypeError, ValueError):
            raise internal_error() from None
        headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
        for name, values in (result.get("multiValueHeaders") or {}).items():
            if isinstance(values, list) and values:
                headers[str(name)] = ", ".join(str(v) for v in values)
        body = result.get("body")
        if body is None:
            data = b""
        elif result.get("isBase64Encoded"):
            try:
                data = base64.b64decode(str(body))
            except ValueError:
                raise internal_error() from None
        else:
            data = (body if isinstance(body, str) else json.dumps(body)).encode()
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"
        return Response(status, headers, data)

    async def invoke_lambda(  # type: ignore[misc]
        self: Provider, call: HttpCall, uri: str, event: dict[str, Any], timeout: float
    ) -> tuple[bytes, dict | None]:
        """(payload, error) of a synchronous invocation of the function a URI names (a
        function ARN or API Gateway's `.../functions/{arn}/invocations` form)."""
        uri = re.sub(
            r"\$\{stageVariables\.([A-Za-z0-9_]+)\}", lambda m: call.variables.get(m.group(1), ""), uri
        )
        match = _FUNCTION_URI.match(uri)
        function = match.group("function") if match else uri
        account, region, name, qualifier = call.account, call.region, function, None
        if function.startswith("arn:"):
            parts = function.split(":")
            if len(parts) < 7:
                raise internal_error()
            region, account, name = parts[3], parts[4], parts[6]
            qualifier = parts[7] if len(parts) > 7 else None
        if not self.runtime.serves("lambda"):
            raise internal_error()
        self.check_invoke_permission(
            call, f"arn:{partition(region)}:lambda:{region}:{account}:function:{name}"
        )
        running = asyncio.get_running_loop().create_task(
            self.runtime.provider("lambda").execute(account, region, name, qualifier, _event_json(event))
        )
        try:
            outcome, _ = await within(running, timeout)
        except TimeoutError:
            # The function runs on past the integration's timeout, as on AWS; the client gets
            # API Gateway's 503 meanwhile.
            running.add_done_callback(lambda task: task.cancelled() or task.exception())
            raise HttpError(503, "Service Unavailable") from None
        except ServiceError as error:
            if error.code == "TooManyRequestsException":
                raise HttpError(429, "Too Many Requests") from None
            call.error_message = error.message
            raise internal_error() from None
        return outcome.payload, outcome.error

    def check_invoke_permission(self: Provider, call: HttpCall, function_arn: str) -> None:  # type: ignore[misc]
        """Under --enforce-iam, the function's resource policy must let API Gateway invoke it
        for the route's execute-api ARN."""
        if not self.runtime.config.enforce_iam:
            return
        allowed = self.runtime.provider("iam").service_may_deliver(
            "apigateway.amazonaws.com", "lambda:InvokeFunction", function_arn, call.route_arn(), call.account
        )
        if not allowed:
            raise internal_error()

    # -- parameter mapping -----------------------------------------------------------------------

    def map_request(self, call: HttpCall, integration: dict[str, Any]) -> None:
        """The integration's request parameters (`overwrite:`, `append:`, `remove:` of
        `header.*`, `querystring.*` and `path`) applied to what the integration receives."""
        mappings = integration.get("RequestParameters") or {}
        if not mappings or integration.get("IntegrationSubtype"):
            return
        headers = dict(call.request.headers)
        query = parse_qs(call.request.query_string)
        path = call.path
        for target, expression in mappings.items():
            action, _, where = target.partition(":")
            kind, _, name = where.partition(".")
            value = evaluate(call, expression)
            if kind == "header":
                name = name.lower()
                if action == "remove":
                    headers.pop(name, None)
                elif value is not None:
                    headers[name] = (
                        f"{headers[name]},{value}" if action == "append" and name in headers else value
                    )
            elif kind == "querystring":
                if action == "remove":
                    query.pop(name, None)
                elif value is not None:
                    query[name] = [*query.get(name, []), value] if action == "append" else [value]
            elif kind == "path" and action == "overwrite" and value is not None:
                path = value if value.startswith("/") else "/" + value
        call.__dict__["mapped_headers"] = headers
        call.__dict__["mapped_query"] = "&".join(
            f"{quote(k, safe='')}={quote(v, safe='')}" for k, values in query.items() for v in values
        )
        call.__dict__["mapped_path"] = path

    def map_response(self, call: HttpCall, integration: dict[str, Any], response: Response) -> Response:
        """The integration's response parameters for the status code: `overwrite:statuscode`
        and `overwrite:`, `append:`, `remove:` of `header.*`."""
        mappings = (integration.get("ResponseParameters") or {}).get(str(response.status))
        if not mappings:
            return response
        headers = dict(response.headers)
        status = response.status
        for target, expression in mappings.items():
            action, _, where = target.partition(":")
            value = evaluate(call, expression, response)
            if where == "statuscode" and action == "overwrite" and value and value.isdigit():
                status = int(value)
                continue
            kind, _, name = where.partition(".")
            if kind != "header":
                continue
            existing = next((k for k in headers if k.lower() == name.lower()), None)
            if action == "remove":
                if existing:
                    del headers[existing]
            elif value is not None:
                if action == "append" and existing:
                    headers[existing] = f"{headers[existing]},{value}"
                else:
                    if existing:
                        del headers[existing]
                    headers[name] = value
        return Response(status, headers, response.body)

    # -- HTTP proxy ------------------------------------------------------------------------------

    async def http_proxy(  # type: ignore[misc]
        self: Provider, call: HttpCall, integration: dict[str, Any], timeout: float
    ) -> Response:
        uri = integration.get("IntegrationUri") or ""
        if integration.get("ConnectionType") == "VPC_LINK":
            # A private integration names a load balancer listener or Cloud Map service: there
            # is no such thing to reach here.
            raise HttpError(503, "Service Unavailable")
        uri = re.sub(
            r"\$\{stageVariables\.([A-Za-z0-9_]+)\}", lambda m: call.variables.get(m.group(1), ""), uri
        )
        uri = re.sub(
            r"\{([A-Za-z0-9_.\-]+?)\+?\}",
            lambda m: quote(call.path_params.get(m.group(1), ""), safe="/"),
            uri,
        )
        parts = urlsplit(uri)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise internal_error()
        mapped_path = call.__dict__.get("mapped_path")
        target = parts.path or "/"
        if mapped_path is not None and mapped_path != call.path:
            target = mapped_path
        query = call.__dict__.get("mapped_query", call.request.query_string)
        if parts.query or query:
            target += "?" + "&".join(filter(None, [parts.query, query]))
        headers = {
            name: value
            for name, value in (call.__dict__.get("mapped_headers") or call.request.headers).items()
            if name.lower() not in _HOP_BY_HOP
        }
        headers["x-forwarded-for"] = call.request.client_ip
        headers["x-forwarded-proto"] = "http"
        headers["forwarded"] = (
            f"by={call.request.client_ip};for={call.request.client_ip};host={call.domain};proto=http"
        )
        method = (integration.get("IntegrationMethod") or "ANY").upper()
        verb = call.request.method if method == "ANY" else method
        body = call.request.body

        try:
            answer = await outbound.pool().request(
                parts.scheme,
                parts.hostname,
                parts.port,
                verb,
                target,
                headers,
                bytes(body) if body else None,
                timeout,
            )
            status, answer_headers, data = answer.status, answer.headers, answer.body
        except TimeoutError:
            raise HttpError(504, "Gateway Timeout") from None
        except OSError:
            raise HttpError(502, "Bad Gateway") from None
        out: dict[str, str] = {}
        for name, value in answer_headers:
            if name.lower() in _HOP_BY_HOP:
                continue
            out[name] = f"{out[name]}, {value}" if name in out else value
        return Response(status, out, data)

    # -- AWS services ----------------------------------------------------------------------------

    async def aws_service(  # type: ignore[misc]
        self: Provider, call: HttpCall, integration: dict[str, Any], timeout: float
    ) -> Response:
        from overcast.services.apigatewayv2 import services

        subtype = integration["IntegrationSubtype"]
        values = {}
        for name, expression in (integration.get("RequestParameters") or {}).items():
            value = evaluate(call, expression)
            if value is not None:
                values[name] = value
        try:
            service, operation, params, region = services.operation_input(subtype, values)
        except (ValueError, KeyError, TypeError):
            raise HttpError(400, "Bad Request") from None
        if not self.runtime.serves(service):
            raise internal_error()
        role = integration.get("CredentialsArn") or ""
        context = RequestContext.internal(
            service, call.account, region or call.region, role if role.startswith("arn:") else ""
        )
        context.operation = operation
        handler = self.runtime.handler(service, operation.name)
        if handler is None:
            raise internal_error()
        error: ServiceError | None = None
        output = None
        try:
            output = handler(context, params)
            if asyncio.iscoroutine(output) or isinstance(output, asyncio.Future):
                output = await asyncio.wait_for(output, timeout)
        except ServiceError as refused:
            error = refused
        except TimeoutError:
            raise HttpError(503, "Service Unavailable") from None
        response = services.serialize(operation, service, output, error, context)
        body = response.body
        if not isinstance(body, (bytes, bytearray)):
            body = b""
        headers = {
            k: v for k, v in response.headers.items() if k.lower() in ("content-type", "x-amzn-requestid")
        }
        return Response(response.status, headers, bytes(body))

    # -- access logs -----------------------------------------------------------------------------

    def access_log(self: Provider, call: HttpCall, response: Response) -> None:  # type: ignore[misc]
        settings = call.stage.get("AccessLogSettings") or {}
        destination, template = settings.get("DestinationArn"), settings.get("Format")
        if not destination or not template or not self.runtime.serves("logs"):
            return
        variables = call.context_variables()
        variables["status"] = response.status
        variables["responseLength"] = (
            len(response.body) if isinstance(response.body, (bytes, bytearray)) else 0
        )
        variables["responseLatency"] = int((time.time() - call.started) * 1000)

        def replace(m: re.Match) -> str:
            value = lookup(variables, m.group(1))
            return "-" if value is None else str(value)

        line = re.sub(r"\$context\.([A-Za-z0-9_.]+)", replace, template)
        group = destination.split(":log-group:", 1)[-1].split(":")[0]
        try:
            self.runtime.provider("logs").append(
                call.account,
                call.region,
                group,
                f"{call.api_id}_{call.stage_name}",
                [(int(time.time() * 1000), line)],
            )
        except Exception:  # an access log that cannot be written must not fail the request
            log.exception("API %s: the access log could not be written", call.api_id)


def _rule_matches(rule: dict[str, Any], request: Request) -> bool:
    import fnmatch

    stripped = request.raw_path.lstrip("/")
    for condition in rule.get("Conditions") or []:
        bases = (condition.get("MatchBasePaths") or {}).get("AnyOf")
        if bases is not None and not any(
            stripped == b or stripped.startswith(b.rstrip("/") + "/") for b in bases
        ):
            return False
        headers = (condition.get("MatchHeaders") or {}).get("AnyOf")
        if headers is not None and not any(
            fnmatch.fnmatchcase(
                request.headers.get(str(h.get("Header", "")).lower(), ""), h.get("ValueGlob", "")
            )
            for h in headers
        ):
            return False
    return True


def _event_json(event: dict[str, Any]) -> bytes:
    """The event as compact JSON by orjson; the standard encoder for what orjson refuses (an
    authorizer's context may carry an integer wider than 64 bits)."""
    try:
        return orjson.dumps(event)
    except TypeError:
        return json.dumps(event, separators=(",", ":")).encode()
