"""The data plane: a deployed stage answering HTTP requests on port 4566.

Reached by Host (`{api-id}.execute-api.localhost.localstack.cloud`, `{api-id}.execute-api.
{region}.amazonaws.com`, a custom domain name with base path mappings) or by path
(`/restapis/{id}/{stage}/_user_request_/...`, `/_aws/execute-api/{id}/{stage}/...`).
A request goes: stage (canary split) → resource and method → throttling → authorization
(AWS_IAM with SigV4 verified, Lambda TOKEN/REQUEST authorizers with cached results) → API key
and usage plan (quota, throttle) → request validation → integration (integrations.py) →
the response, or a gateway response in API Gateway's error shape."""

from __future__ import annotations

import base64
import json
import logging
import os
import random
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from overcast.common import jsontext
from overcast.common.ids import fast_uuid
from overcast.context import RequestContext
from overcast.http import BodyStream, BodyTooLarge, Request, Response
from overcast.services.apigateway import metrics, routes
from overcast.services.apigateway.errors import GatewayError
from overcast.services.apigateway.integrations import IntegrationsMixin
from overcast.services.apigateway.restapis import DEFAULT_RESPONSE_TEMPLATE
from overcast.services.apigateway.vtl import TemplateError, render

if TYPE_CHECKING:
    from overcast.services.apigateway.provider import Provider

log = logging.getLogger(__name__)

#: The account-level throttle of a region, as GetAccount reports it.
ACCOUNT_RATE, ACCOUNT_BURST = 10000.0, 5000
#: API Gateway's payload limit (10 MB).
MAX_PAYLOAD = 10 * 1024 * 1024
#: Gateway response type → (status, x-amzn-ErrorType) when the API does not say otherwise.
ERRORS: dict[str, tuple[int, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": (403, "MissingAuthenticationTokenException"),
    "ACCESS_DENIED": (403, "AccessDeniedException"),
    "INVALID_API_KEY": (403, "ForbiddenException"),
    "INVALID_SIGNATURE": (403, "InvalidSignatureException"),
    "EXPIRED_TOKEN": (403, "ExpiredTokenException"),
    "UNAUTHORIZED": (401, "UnauthorizedException"),
    "THROTTLED": (429, "TooManyRequestsException"),
    "QUOTA_EXCEEDED": (429, "LimitExceededException"),
    "BAD_REQUEST_BODY": (400, "BadRequestException"),
    "BAD_REQUEST_PARAMETERS": (400, "BadRequestException"),
    "UNSUPPORTED_MEDIA_TYPE": (415, "UnsupportedMediaTypeException"),
    "AUTHORIZER_CONFIGURATION_ERROR": (500, "AuthorizerConfigurationException"),
    "AUTHORIZER_FAILURE": (500, "AuthorizerFailureException"),
    "API_CONFIGURATION_ERROR": (500, "InternalServerErrorException"),
    "INTEGRATION_FAILURE": (502, "InternalServerErrorException"),
    "INTEGRATION_TIMEOUT": (504, "InternalServerErrorException"),
    "REQUEST_TOO_LARGE": (413, "RequestTooLargeException"),
    "DEFAULT_4XX": (403, "ForbiddenException"),
    "DEFAULT_5XX": (500, "InternalServerErrorException"),
}


@dataclass
class Call:
    """One request to a stage, as it goes through the pipeline."""

    request: Request
    api_id: str
    stage_name: str
    path: str
    scope: str
    doc: dict[str, Any]
    stage: dict[str, Any]
    snapshot: dict[str, Any]
    variables: dict[str, str]
    request_id: str = field(default_factory=fast_uuid)
    extended_id: str = ""
    resource: dict[str, Any] | None = None
    method: dict[str, Any] | None = None
    path_params: dict[str, str] = field(default_factory=dict)
    authorizer: dict[str, Any] | None = None
    api_key: dict[str, Any] | None = None
    principal: str | None = None
    domain: str = ""
    canary: bool = False
    started: float = field(default_factory=time.time)
    #: The X-Amzn-Trace-Id the integration is called with, on a stage with tracing enabled.
    trace_header: str | None = None
    segment_id: str = ""
    #: For the AWS/ApiGateway metrics: how long the integration took (ms), and whether the
    #: stage's cache answered (None: the method is not cached).
    integration_ms: float | None = None
    cache_hit: bool | None = None

    def begin_trace(self, incoming: str | None) -> None:
        """Join the caller's trace (its Root and Parent) or start one; API Gateway's segment
        becomes the parent of what the integration records."""
        fields = dict(part.split("=", 1) for part in (incoming or "").split(";") if "=" in part)
        root = fields.get("Root") or f"1-{int(self.started):08x}-{os.urandom(12).hex()}"
        self.segment_id = os.urandom(8).hex()
        parent = f";Parent={fields['Parent']}" if fields.get("Parent") else ""
        self.trace_header = f"Root={root}{parent};Sampled=1"

    @property
    def account(self) -> str:
        return self.scope.split("/")[0]

    @property
    def region(self) -> str:
        return self.scope.split("/")[1]

    @property
    def verb(self) -> str:
        return self.request.method.upper()

    def method_arn(self) -> str:
        resource_path = self.path.lstrip("/")
        return f"arn:aws:execute-api:{self.region}:{self.account}:{self.api_id}/{self.stage_name}/{self.verb}/{resource_path}"


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


def _quote_json(text: str) -> str:
    return json.dumps(text)


class InvokeMixin(IntegrationsMixin):
    def init_invoke(self: Provider) -> None:  # type: ignore[misc]
        #: (api id, deployment id) → the route tree of that deployment's resources.
        self.route_trees: dict[tuple[str, str], routes.Node] = {}
        #: (Lambda integration URI, scope) → (account, region, name, qualifier, invoked ARN).
        self.function_targets: dict[tuple[str, str], tuple[str, str, str, str | None, str]] = {}
        #: (api id, stage, method key) → throttle bucket; (plan, key) → plan bucket.
        self.buckets: dict[tuple[str, ...], TokenBucket] = {}
        #: (api id, stage, authorizer id, identity) → (expiry, authorizer output).
        self.authorizer_cache: dict[tuple[str, ...], tuple[float, dict[str, Any]]] = {}
        #: (api id, stage, verb, resource path, cache key values) → (expiry, response).
        self.response_cache: dict[tuple[str, ...], tuple[float, tuple[int, dict[str, str], bytes]]] = {}

    def reset_invoke(self: Provider) -> None:  # type: ignore[misc]
        self.route_trees.clear()
        self.buckets.clear()
        self.authorizer_cache.clear()
        self.response_cache.clear()

    def forget_stage_caches(self: Provider, api_id: str, stage: str, responses: bool = False) -> None:  # type: ignore[misc]
        for key in [k for k in self.authorizer_cache if k[0] == api_id and k[1] == stage]:
            del self.authorizer_cache[key]
        for key in [k for k in self.buckets if k[0] == api_id and k[1] == stage]:
            del self.buckets[key]
        if responses:
            for key in [k for k in self.response_cache if k[0] == api_id and k[1] == stage]:
                del self.response_cache[key]

    def forget_plan_buckets(self: Provider, plan_id: str) -> None:  # type: ignore[misc]
        for key in [k for k in self.buckets if k[0] == "plan" and k[1] == plan_id]:
            del self.buckets[key]

    # -- entry points ----------------------------------------------------------------------------

    def other_api(self: Provider, api_id: str) -> bool:  # type: ignore[misc]
        """Whether the id is an HTTP or WebSocket API's (whose own data plane answers it)."""
        if api_id in self.api_homes:
            return False
        other = self.runtime.providers.get("apigatewayv2")
        knows = getattr(other, "knows_api", None)
        return knows is not None and bool(knows(api_id))

    async def serve_host(  # type: ignore[misc]
        self: Provider, request: Request, match: re.Match, context: RequestContext
    ) -> Response | None:
        api_id = match.group("api_id")
        if self.other_api(api_id):
            return None
        stage, _, rest = request.raw_path.lstrip("/").partition("/")
        return await self.invoke(request, api_id, stage, "/" + rest, request.host.split(":")[0])

    async def serve_path(  # type: ignore[misc]
        self: Provider, request: Request, match: re.Match, context: RequestContext
    ) -> Response | None:
        if self.other_api(match.group("api_id")):
            return None
        return await self.invoke(
            request, match.group("api_id"), match.group("stage"), match.group("path") or "/", ""
        )

    async def serve_domain(  # type: ignore[misc]
        self: Provider, request: Request, match: re.Match, context: RequestContext
    ) -> Response | None:
        name = match.group("domain").lower()
        record = self.served_domain(name)
        if record is None:
            return None
        mappings = record.get("_mappings") or {}
        path = request.raw_path
        first, _, rest = path.lstrip("/").partition("/")
        mapping = mappings.get(first) if first else None
        if mapping is not None:
            path = "/" + rest
        else:
            mapping = mappings.get("(none)")
        if mapping is None:
            return self.error_response(
                None, GatewayError("MISSING_AUTHENTICATION_TOKEN", "Forbidden"), fast_uuid(), 403
            )
        stage = mapping.get("stage")
        if not stage:
            stage, _, rest = path.lstrip("/").partition("/")
            path = "/" + rest
        return await self.invoke(request, mapping["restApiId"], stage, path, name, custom_domain=True)

    # -- the pipeline ----------------------------------------------------------------------------

    async def invoke(  # type: ignore[misc]
        self: Provider,
        request: Request,
        api_id: str,
        stage_name: str,
        path: str,
        domain: str,
        custom_domain: bool = False,
    ) -> Response:
        if type(request.body) is BodyStream:
            try:
                request.body = await request.body.read(MAX_PAYLOAD)
            except BodyTooLarge:
                return self.error_response(
                    None, GatewayError("REQUEST_TOO_LARGE", "Request Too Long", 413), fast_uuid(), 413
                )
        found = self.served_document(api_id)
        if found is None or stage_name not in found[1]["stages"]:
            return self.error_response(None, GatewayError("DEFAULT_4XX", "Forbidden", 403), fast_uuid(), 403)
        scope, doc = found
        stage = doc["stages"][stage_name]
        deployment_id = stage["deploymentId"]
        variables = dict(stage.get("variables") or {})
        canary = stage.get("canarySettings")
        is_canary = False
        if canary and canary.get("percentTraffic") and random.uniform(0, 100) < canary["percentTraffic"]:
            deployment_id = canary.get("deploymentId") or deployment_id
            variables.update(canary.get("stageVariableOverrides") or {})
            is_canary = True
        deployment = doc["deployments"].get(deployment_id)
        if deployment is None:
            return self.error_response(None, GatewayError("DEFAULT_4XX", "Forbidden", 403), fast_uuid(), 403)
        snapshot = deployment["_snapshot"]
        if snapshot.get("disableExecuteApiEndpoint") and not custom_domain:
            # Only its custom domain names reach an API whose default endpoint is disabled.
            return self.error_response(None, GatewayError("DEFAULT_4XX", "Forbidden", 403), fast_uuid(), 403)
        call = Call(
            request=request,
            api_id=api_id,
            stage_name=stage_name,
            path=path.split("?")[0] or "/",
            scope=scope,
            doc=doc,
            stage=stage,
            snapshot=snapshot,
            variables=variables,
            domain=domain or f"{api_id}.execute-api.{scope.split('/')[1]}.amazonaws.com",
            canary=is_canary,
        )
        call.extended_id = base64.b64encode(os.urandom(11)).decode()[:15] + "="
        if stage.get("tracingEnabled"):
            call.begin_trace(request.headers.get("x-amzn-trace-id"))
        try:
            response = await self.run(call, deployment_id)
        except GatewayError as error:
            response = self.error_response(call, error, call.request_id)
        except Exception:
            # A fault of Overcast's own is still answered in API Gateway's shape, never a crash.
            log.exception("API %s stage %s: %s %s failed", api_id, stage_name, request.method, call.path)
            failure = GatewayError("DEFAULT_5XX", "Internal server error", 500)
            response = self.error_response(call, failure, call.request_id)
        response.headers["x-amzn-RequestId"] = call.request_id
        response.headers["x-amz-apigw-id"] = call.extended_id
        if call.trace_header is not None:
            response.headers["X-Amzn-Trace-Id"] = call.trace_header.split(";Parent=")[0]
            self.record_trace(call, response)
        self.access_log(call, response)
        self.execution_log(call, response)
        metrics.publish_request(self.runtime, call, response.status)
        return response

    def record_trace(self: Provider, call: Call, response: Response) -> None:  # type: ignore[misc]
        """A traced stage's segment for the request, in X-Ray (origin AWS::ApiGateway::Stage)."""
        if not self.runtime.serves("xray") or call.trace_header is None:
            return
        fields = dict(part.split("=", 1) for part in call.trace_header.split(";") if "=" in part)
        segment: dict[str, Any] = {
            "name": f"{call.api_id}/{call.stage_name}",
            "id": call.segment_id,
            "trace_id": fields.get("Root", ""),
            "start_time": call.started,
            "end_time": time.time(),
            "origin": "AWS::ApiGateway::Stage",
            "resource_arn": f"arn:aws:apigateway:{call.region}::/restapis/{call.api_id}/stages/{call.stage_name}",
            "http": {
                "request": {
                    "url": f"https://{call.domain}/{call.stage_name}{call.path}",
                    "method": call.verb,
                    "client_ip": call.request.client_ip,
                    "user_agent": call.request.headers.get("user-agent", ""),
                },
                "response": {"status": response.status},
            },
            "aws": {
                "api_gateway": {
                    "account_id": call.account,
                    "rest_api_id": call.api_id,
                    "stage": call.stage_name,
                    "request_id": call.request_id,
                }
            },
            "annotations": {"aws:api_id": call.api_id, "aws:api_stage": call.stage_name},
        }
        if fields.get("Parent"):
            segment["parent_id"] = fields["Parent"]
        if 400 <= response.status < 500:
            segment["error"] = True
            if response.status == 429:
                segment["throttle"] = True
        elif response.status >= 500:
            segment["fault"] = True
        try:
            self.runtime.provider("xray").record_segments(call.account, call.region, [segment])
        except Exception:  # a trace that cannot be kept must not fail the request
            log.exception("API %s: the trace segment could not be recorded", call.api_id)

    async def run(self: Provider, call: Call, deployment_id: str) -> Response:  # type: ignore[misc]
        tree = self.route_trees.get((call.api_id, deployment_id))
        if tree is None:
            tree = self.route_trees[(call.api_id, deployment_id)] = routes.build(call.snapshot["resources"])
        matched = routes.match(tree, call.path)
        if matched is None:
            raise GatewayError("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")
        resource, path_params = matched
        methods = resource.get("resourceMethods") or {}
        method = methods.get(call.verb) or methods.get("ANY")
        if method is None:
            raise GatewayError("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")
        call.resource, call.method, call.path_params = resource, method, path_params
        self.throttle(call)
        await self.authorize(call)
        self.check_resource_policy(call)
        self.check_api_key(call)
        self.validate(call)
        cache = self.response_cache_key(call)
        if cache is not None:
            key, ttl = cache
            cached = self.response_cache.get(key)
            call.cache_hit = cached is not None and cached[0] > time.monotonic()
            if cached is not None and call.cache_hit:
                status, headers, body = cached[1]
                return Response(status, dict(headers), body)
            response = await self.integrated(call)
            if 200 <= response.status < 300 and isinstance(response.body, (bytes, bytearray)):
                self.response_cache[key] = (
                    time.monotonic() + ttl,
                    (response.status, dict(response.headers), bytes(response.body)),
                )
            return response
        return await self.integrated(call)

    async def integrated(self: Provider, call: Call) -> Response:  # type: ignore[misc]
        """The integration's response, timed (IntegrationLatency)."""
        started = time.perf_counter()
        try:
            return await self.integrate(call)
        finally:
            call.integration_ms = (time.perf_counter() - started) * 1000

    def response_cache_key(self, call: Call) -> tuple[tuple[str, ...], int] | None:
        """(cache key, TTL) when the stage has a cache cluster and the method's settings (its
        own, else `*/*`) enable caching: the key is the method and the values of the
        integration's cache key parameters."""
        stage = call.stage
        if not stage.get("cacheClusterEnabled"):
            return None
        settings = stage.get("methodSettings") or {}
        assert call.resource is not None and call.method is not None
        chosen = settings.get(call.resource["path"][1:] + "/" + call.method["httpMethod"]) or settings.get(
            "*/*"
        )
        if not chosen or not chosen.get("cachingEnabled"):
            return None
        ttl = int(chosen.get("cacheTtlInSeconds", 300) or 0)
        if ttl <= 0:
            return None
        integration = call.method.get("methodIntegration") or {}
        values = tuple(
            f"{name}={self.parameter_value(call, name) or ''}"
            for name in integration.get("cacheKeyParameters") or []
        )
        return (call.api_id, call.stage_name, call.verb, call.resource["path"], *values), ttl

    # -- throttling ------------------------------------------------------------------------------

    def throttle(self: Provider, call: Call) -> None:  # type: ignore[misc]
        """The account's regional limit (AWS's 10,000 requests/s, bursts of 5,000), then the
        stage's method settings (a method's own, else `*/*`)."""
        account = self.buckets.get(("account", call.scope))
        if account is None:
            account = self.buckets[("account", call.scope)] = TokenBucket(ACCOUNT_RATE, ACCOUNT_BURST)
        if not account.take():
            raise GatewayError("THROTTLED", "Too Many Requests")
        settings = call.stage.get("methodSettings") or {}
        if not settings:
            return
        assert call.resource is not None and call.method is not None
        key = call.resource["path"][1:] + "/" + call.method["httpMethod"]
        chosen = settings.get(key) or settings.get("*/*")
        if not chosen:
            return
        bucket_key = (call.api_id, call.stage_name, key if key in settings else "*/*")
        bucket = self.buckets.get(bucket_key)
        if bucket is None:
            bucket = self.buckets[bucket_key] = TokenBucket(
                float(chosen.get("throttlingRateLimit", 10000.0)),
                int(chosen.get("throttlingBurstLimit", 5000)),
            )
        if not bucket.take():
            raise GatewayError("THROTTLED", "Too Many Requests")

    # -- API keys and usage plans ----------------------------------------------------------------

    def check_api_key(self: Provider, call: Call) -> None:  # type: ignore[misc]
        assert call.method is not None
        if not call.method.get("apiKeyRequired"):
            return
        if call.snapshot.get("apiKeySource") == "AUTHORIZER":
            value = (call.authorizer or {}).get("usageIdentifierKey")
        else:
            value = call.request.headers.get("x-api-key")
        if not value:
            raise GatewayError("INVALID_API_KEY", "Forbidden")
        found = self.key_by_value(value)
        if found is None or found[0] != call.scope or not found[1].get("enabled"):
            raise GatewayError("INVALID_API_KEY", "Forbidden")
        key = found[1]
        call.api_key = key
        for _, plan in self.plans.scan(call.scope):
            if key["id"] not in (plan.get("_keys") or {}):
                continue
            api_stage = next(
                (
                    s
                    for s in plan.get("apiStages") or []
                    if s.get("apiId") == call.api_id and s.get("stage") == call.stage_name
                ),
                None,
            )
            if api_stage is None:
                continue
            self._plan_throttle(call, plan, api_stage, key["id"])
            if not self.count_request(call.scope, plan, key["id"]):
                raise GatewayError("QUOTA_EXCEEDED", "Limit Exceeded")
            return
        raise GatewayError("INVALID_API_KEY", "Forbidden")

    def _plan_throttle(self: Provider, call: Call, plan: dict, api_stage: dict, key_id: str) -> None:  # type: ignore[misc]
        assert call.resource is not None and call.method is not None
        method_key = f"{call.resource['path']}/{call.method['httpMethod']}"
        throttle = (api_stage.get("throttle") or {}).get(method_key) or plan.get("throttle")
        if not throttle:
            return
        bucket_key = (
            "plan",
            plan["id"],
            key_id,
            method_key if (api_stage.get("throttle") or {}).get(method_key) else "",
        )
        bucket = self.buckets.get(bucket_key)
        if bucket is None:
            rate = float(throttle.get("rateLimit", 0) or 0)
            burst = int(throttle.get("burstLimit", 0) or 0)
            bucket = self.buckets[bucket_key] = TokenBucket(rate, burst or max(int(rate), 1))
        if not bucket.take():
            raise GatewayError("THROTTLED", "Too Many Requests")

    # -- request validation ----------------------------------------------------------------------

    def validate(self: Provider, call: Call) -> None:  # type: ignore[misc]
        assert call.method is not None
        validator = call.snapshot["validators"].get(call.method.get("requestValidatorId") or "")
        if validator is None:
            return
        if validator.get("validateRequestParameters"):
            missing = []
            for name, required in (call.method.get("requestParameters") or {}).items():
                if not required:
                    continue
                _, _, location, param = name.split(".", 3)
                if location == "path":
                    present = param in call.path_params
                elif location == "querystring":
                    present = param in call.request.query
                else:
                    present = param.lower() in call.request.headers
                if not present:
                    missing.append(param)
            if missing:
                raise GatewayError(
                    "BAD_REQUEST_PARAMETERS", f"Missing required request parameters: [{', '.join(missing)}]"
                )
        if validator.get("validateRequestBody"):
            models = call.method.get("requestModels") or {}
            content_type = (
                (call.request.headers.get("content-type") or "application/json").split(";")[0].strip()
            )
            name = models.get(content_type) or models.get("$default")
            model = call.snapshot["models"].get(name or "")
            if model is None or not model.get("schema"):
                return
            self._validate_body(call, model)

    def _validate_body(self, call: Call, model: dict[str, Any]) -> None:
        import jsonschema

        try:
            body = jsontext.loads(call.request.body or b"null")
        except ValueError:
            raise GatewayError("BAD_REQUEST_BODY", "Invalid request body") from None
        try:
            schema = jsontext.loads(model["schema"])
        except ValueError:
            return
        models = call.snapshot["models"]

        def resolve(node: Any) -> Any:
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str) and "/models/" in ref:
                    name = ref.rsplit("/", 1)[-1]
                    if name in models:
                        try:
                            return resolve(jsontext.loads(models[name]["schema"]))
                        except ValueError:
                            return {}
                return {k: resolve(v) for k, v in node.items() if k != "$schema"}
            if isinstance(node, list):
                return [resolve(v) for v in node]
            return node

        validator_class = jsonschema.Draft4Validator
        errors = sorted(validator_class(resolve(schema)).iter_errors(body), key=lambda e: list(e.path))
        if errors:
            details = ", ".join(f"{e.message}" for e in errors[:5])
            raise GatewayError("BAD_REQUEST_BODY", f"Invalid request body: [{details}]")

    # -- authorization ---------------------------------------------------------------------------

    # -- errors ----------------------------------------------------------------------------------

    def error_response(  # type: ignore[misc]
        self: Provider, call: Call | None, error: GatewayError, request_id: str, status: int | None = None
    ) -> Response:
        response_type = error.response_type
        default_status, error_type = ERRORS.get(response_type, (500, "InternalServerErrorException"))
        if error.status is not None:
            default_status = error.status
        custom = None
        if call is not None:
            responses = call.snapshot.get("responses") or {}
            custom = responses.get(response_type)
            if custom is None:
                family = "DEFAULT_4XX" if default_status < 500 else "DEFAULT_5XX"
                custom = responses.get(family)
        code = int((custom or {}).get("statusCode") or status or default_status)
        templates = (custom or {}).get("responseTemplates") or {"application/json": DEFAULT_RESPONSE_TEMPLATE}
        template = templates.get("application/json") or next(
            iter(templates.values()), DEFAULT_RESPONSE_TEMPLATE
        )
        context = {
            "requestId": request_id,
            "error": {
                "message": error.message,
                "messageString": _quote_json(error.message),
                "responseType": response_type,
                "validationErrorString": error.message,
            },
        }
        if call is not None:
            context.update(self.context_variables(call))
            context["error"] = {
                "message": error.message,
                "messageString": _quote_json(error.message),
                "responseType": response_type,
                "validationErrorString": error.message,
            }
        try:
            body = render(
                template, body=b"", params={}, context=context, stage_variables=call.variables if call else {}
            )
        except TemplateError:
            body = json.dumps({"message": error.message})
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": error_type}
        for name, value in ((custom or {}).get("responseParameters") or {}).items():
            if name.startswith("gatewayresponse.header."):
                mapped = self.mapped_value(call, value) if call else value.strip("'")
                if mapped is not None:
                    headers[name[len("gatewayresponse.header.") :]] = mapped
        return Response(code, headers, body.encode())

    # -- logs ------------------------------------------------------------------------------------

    def execution_log(self: Provider, call: Call, response: Response) -> None:  # type: ignore[misc]
        """The stage's execution log (methodSettings loggingLevel INFO or ERROR, the method's
        own or */*) in group API-Gateway-Execution-Logs_{api-id}/{stage}: at INFO every request,
        at ERROR those that failed."""
        settings = call.stage.get("methodSettings") or {}
        if not settings or not self.runtime.serves("logs"):
            return
        method = (call.method or {}).get("httpMethod", call.verb)
        key = ((call.resource or {}).get("path") or "/")[1:] + "/" + method
        level = (settings.get(key) or settings.get("*/*") or {}).get("loggingLevel") or "OFF"
        if level == "OFF" or (level == "ERROR" and response.status < 400):
            return
        request = call.request
        rid = call.request_id
        lines = [
            f"({rid}) Extended Request Id: {call.extended_id}",
            f"({rid}) Starting execution for request: {rid}",
            f"({rid}) HTTP Method: {call.verb}, Resource Path: {call.path}",
            f"({rid}) Method request path: {call.path_params}",
            f"({rid}) Method request query string: { {k: v[-1] for k, v in request.query.items()} }",
            f"({rid}) Method request headers: {dict(request.headers)}",
        ]
        if isinstance(request.body, bytes) and (level == "INFO" or response.status >= 400):
            lines.append(
                f"({rid}) Method request body before transformations: {request.body[:1024].decode('utf-8', 'replace')}"
            )
        if response.status >= 400:
            lines.append(
                f"({rid}) Method completed with status: {response.status} ({response.headers.get('x-amzn-ErrorType', '')})"
            )
        else:
            lines.append(f"({rid}) Method completed with status: {response.status}")
        if level == "ERROR":
            lines = lines[-2:]
        moment = int(time.time() * 1000)
        group = f"API-Gateway-Execution-Logs_{call.api_id}/{call.stage_name}"
        try:
            self.runtime.provider("logs").append(
                call.account,
                call.region,
                group,
                call.extended_id.rstrip("="),
                [(moment, line) for line in lines],
            )
        except Exception:  # a log that cannot be written must not fail the request
            log.exception("API %s: the execution log could not be written", call.api_id)

    def access_log(self: Provider, call: Call, response: Response) -> None:  # type: ignore[misc]
        settings = call.stage.get("accessLogSettings") or {}
        destination, template = settings.get("destinationArn"), settings.get("format")
        if not destination or not template or not self.runtime.serves("logs"):
            return
        variables = self.context_variables(call)
        variables["status"] = response.status
        variables["responseLength"] = (
            len(response.body) if isinstance(response.body, (bytes, bytearray)) else 0
        )
        variables["responseLatency"] = int((time.time() - call.started) * 1000)

        def lookup(m: re.Match) -> str:
            value: Any = variables
            for part in m.group(1).split("."):
                value = value.get(part) if isinstance(value, dict) else None
            return "-" if value is None else str(value)

        line = re.sub(r"\$context\.([A-Za-z0-9_.]+)", lookup, template)
        group = destination.split(":log-group:", 1)[-1].split(":")[0]
        stream = f"{call.api_id}-{call.stage_name}"
        try:
            self.runtime.provider("logs").append(
                call.account, call.region, group, stream, [(int(time.time() * 1000), line)]
            )
        except Exception:  # an access log that cannot be written must not fail the request
            pass
