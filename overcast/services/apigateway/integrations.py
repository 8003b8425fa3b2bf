"""Integrations, executed for real: AWS_PROXY (the Lambda proxy event and response), AWS
(Lambda non-proxy, and AWS service actions or paths run through the service's own protocol
parser and handler as the integration's credentials role), HTTP and HTTP_PROXY (outbound
HTTP), MOCK; with parameter mappings, request and response mapping templates, passthrough
behaviours and integration response selection."""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

import orjson

from overcast.common import jsontext, outbound
from overcast.common.arns import partition
from overcast.common.waiting import within
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.http import Response
from overcast.services.apigateway.errors import GatewayError
from overcast.services.apigateway.vtl import Input, TemplateError, render, select

if TYPE_CHECKING:
    from overcast.services.apigateway.invoke import Call
    from overcast.services.apigateway.provider import Provider

_FUNCTION_URI = re.compile(
    r"^arn:[^:]+:apigateway:([^:]*):lambda:path/[^/]+/functions/(?P<function>.+)/invocations$"
)
_SERVICE_URI = re.compile(
    r"^arn:[^:]+:apigateway:(?P<region>[^:]*):(?P<service>[^:/]+)(?::[^:/]*)?:(?P<kind>action|path)/(?P<rest>.*)$"
)
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "te",
    "trailer",
}


def _dumps(event: dict[str, Any]) -> bytes:
    """The proxy event as compact JSON; the standard encoder for what orjson refuses (an
    authorizer's context may carry an integer wider than 64 bits)."""
    try:
        return orjson.dumps(event)
    except TypeError:
        return json.dumps(event).encode()


def _loads(payload: bytes) -> Any:
    """A function's response: orjson first, then the standard parser (nesting bounded) for what
    orjson refuses but Python's json writes (NaN, Infinity)."""
    try:
        return orjson.loads(payload)
    except ValueError:
        return jsontext.loads(payload, jsontext.MAX_PAYLOAD_DEPTH)


class IntegrationResult:
    __slots__ = ("body", "error", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: bytes, error: str | None = None) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.error = error


class IntegrationsMixin:
    # -- what the integration sees -----------------------------------------------------------------

    def context_variables(self, call: Call) -> dict[str, Any]:
        """`$context` (the proxy event's requestContext), made once per request: what the
        authorizer and the API key add is part of it once they are known."""
        cached = call.__dict__.get("_context")
        if cached is not None and cached[0] is call.authorizer and cached[1] is call.api_key:
            return dict(cached[2])
        out = self._context_variables(call)
        call.__dict__["_context"] = (call.authorizer, call.api_key, out)
        return dict(out)

    def _context_variables(self, call: Call) -> dict[str, Any]:
        request = call.request
        identity = {
            "cognitoIdentityPoolId": None,
            "accountId": None,
            "cognitoIdentityId": None,
            "caller": None,
            "sourceIp": request.client_ip,
            "principalOrgId": None,
            "accessKey": None,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": request.headers.get("user-agent"),
            "user": None,
        }
        identity.update(call.__dict__.get("identity") or {})
        if call.api_key is not None:
            identity["apiKey"] = call.api_key["value"]
            identity["apiKeyId"] = call.api_key["id"]
        resource = call.resource or {}
        out: dict[str, Any] = {
            "resourceId": resource.get("id"),
            "resourcePath": resource.get("path"),
            "httpMethod": call.verb,
            "extendedRequestId": call.extended_id,
            "requestTime": _request_time(call.started),
            "path": f"/{call.stage_name}{call.path}",
            "accountId": call.account,
            "protocol": "HTTP/1.1",
            "stage": call.stage_name,
            "domainPrefix": call.domain.split(".")[0],
            "requestTimeEpoch": int(call.started * 1000),
            "requestId": call.request_id,
            "identity": identity,
            "domainName": call.domain,
            "deploymentId": call.stage["deploymentId"],
            "apiId": call.api_id,
        }
        if call.authorizer is not None:
            out["authorizer"] = dict(call.authorizer)
        return out

    def proxy_event(self, call: Call) -> dict[str, Any]:
        request = call.request
        headers = {name: value for name, value in request.headers.items()}
        query = request.query
        binary = self.is_binary(call, request.headers.get("content-type", ""))
        body: str | None
        if not request.body:
            body = None
        elif binary:
            body = base64.b64encode(request.body).decode()
        else:
            body = request.body.decode("utf-8", errors="replace")
        return {
            "resource": (call.resource or {}).get("path"),
            "path": call.path,
            "httpMethod": call.verb,
            "headers": headers or None,
            "multiValueHeaders": {name: [value] for name, value in headers.items()} or None,
            "queryStringParameters": {name: values[-1] for name, values in query.items()} or None,
            "multiValueQueryStringParameters": {name: list(values) for name, values in query.items()} or None,
            "pathParameters": dict(call.path_params) or None,
            "stageVariables": dict(call.variables) or None,
            "requestContext": self.context_variables(call),
            "body": body,
            "isBase64Encoded": bool(binary and request.body),
        }

    def is_binary(self, call: Call, content_type: str) -> bool:
        types = call.snapshot.get("binaryMediaTypes") or []
        if not types or not content_type:
            return False
        kind = content_type.split(";")[0].strip().lower()
        for pattern in types:
            pattern = pattern.lower()
            if pattern in ("*/*", kind) or (pattern.endswith("/*") and kind.startswith(pattern[:-1])):
                return True
        return False

    def method_params(self, call: Call) -> dict[str, dict[str, str]]:
        return {
            "path": dict(call.path_params),
            "querystring": {name: values[-1] for name, values in call.request.query.items()},
            "header": dict(call.request.headers),
        }

    def parameter_value(self, call: Call, source: str) -> str | None:
        """The value of `method.request.header.X` (querystring, path, multivalue…), stage
        variables and context variables, for identity sources and parameter mappings."""
        source = source.strip()
        if source.startswith("method.request."):
            rest = source[len("method.request.") :]
            if rest == "body":
                return call.request.body.decode("utf-8", errors="replace")
            if rest.startswith("body."):
                try:
                    value = select(jsontext.loads(call.request.body or b"null"), "$." + rest[5:])
                except (ValueError, TemplateError):
                    return None
                return None if value is None else (value if isinstance(value, str) else json.dumps(value))
            location, _, name = rest.partition(".")
            if location == "header":
                return call.request.headers.get(name.lower())
            if location == "multivalueheader":
                return call.request.headers.get(name.lower())
            if location in ("querystring", "multivaluequerystring"):
                values = call.request.query.get(name)
                if not values:
                    return None
                return values[-1] if location == "querystring" else ",".join(values)
            if location == "path":
                return call.path_params.get(name)
            return None
        if source.startswith("stageVariables."):
            return call.variables.get(source[len("stageVariables.") :])
        if source.startswith("context."):
            found: Any = self.context_variables(call)
            for part in source[len("context.") :].split("."):
                found = found.get(part) if isinstance(found, dict) else None
            return None if found is None else str(found)
        return None

    def mapped_value(
        self, call: Call | None, expression: str, response: IntegrationResult | None = None
    ) -> str | None:
        expression = expression.strip()
        if len(expression) >= 2 and expression[0] == "'" and expression[-1] == "'":
            return expression[1:-1]
        if call is None:
            return None
        if response is not None and expression.startswith("integration.response."):
            rest = expression[len("integration.response.") :]
            if rest == "body":
                return response.body.decode("utf-8", errors="replace")
            if rest.startswith("body."):
                try:
                    value = select(jsontext.loads(response.body or b"null"), "$." + rest[5:])
                except (ValueError, TemplateError):
                    return None
                return None if value is None else (value if isinstance(value, str) else json.dumps(value))
            location, _, name = rest.partition(".")
            if location in ("header", "multivalueheader"):
                for key, value in response.headers.items():
                    if key.lower() == name.lower():
                        return value
            return None
        return self.parameter_value(call, expression)

    # -- running the integration -----------------------------------------------------------------

    async def integrate(self: Provider, call: Call) -> Response:  # type: ignore[misc]
        assert call.method is not None
        integration = call.method.get("methodIntegration")
        if not integration:
            raise _config_error()
        kind = integration["type"]
        if kind == "AWS_PROXY":
            return await self.lambda_proxy(call, integration)
        if kind == "HTTP_PROXY":
            return await self.http_proxy(call, integration)
        headers, query, path_values = self.integration_parameters(call, integration)
        body = self.request_body(call, integration)
        if kind == "MOCK":
            result = self.mock(body)
        elif kind == "HTTP":
            uri = self.expand_uri(call, integration.get("uri") or "", path_values)
            result = await self.http_request(_verb(integration, call), uri, headers, query, body, integration)
        else:
            uri = _STAGE_VARIABLE.sub(
                lambda m: call.variables.get(m.group(1), ""), integration.get("uri") or ""
            )
            function = _FUNCTION_URI.match(uri)
            invocation_type = next(
                (v for k, v in headers.items() if k.lower() == "x-amz-invocation-type"), "RequestResponse"
            )
            if function and invocation_type == "Event":
                result = await self.invoke_function_async(
                    call, uri, body, integration.get("credentials") or ""
                )
            elif function:
                status, payload, error = await self.invoke_function(
                    call, uri, body, integration.get("credentials") or "", self.source_arn(call)
                )
                if error is not None:
                    result = IntegrationResult(200, {}, payload, error=str(error.get("errorMessage") or ""))
                else:
                    result = IntegrationResult(status, {}, payload)
            else:
                result = await self.aws_service(call, integration, uri, headers, query, path_values, body)
        return self.integration_response(call, integration, result)

    def integration_parameters(
        self, call: Call, integration: dict[str, Any]
    ) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        headers: dict[str, str] = {}
        query: dict[str, str] = {}
        path_values: dict[str, str] = {}
        for target, source in (integration.get("requestParameters") or {}).items():
            value = self.mapped_value(call, source)
            if value is None:
                continue
            _, _, location, name = target.split(".", 3) if target.count(".") >= 3 else ("", "", "", "")
            if location == "header":
                headers[name] = value
            elif location in ("querystring", "multivaluequerystring"):
                query[name] = value
            elif location == "path":
                path_values[name] = value
        return headers, query, path_values

    def request_body(self, call: Call, integration: dict[str, Any]) -> bytes:
        body = self._converted_request(call, integration)
        templates = integration.get("requestTemplates") or {}
        content_type = (call.request.headers.get("content-type") or "application/json").split(";")[0].strip()
        template = templates.get(content_type)
        passthrough = integration.get("passthroughBehavior") or "WHEN_NO_MATCH"
        if template is None:
            if (passthrough == "WHEN_NO_TEMPLATES" and templates) or passthrough == "NEVER":
                raise GatewayError("UNSUPPORTED_MEDIA_TYPE", "Unsupported Media Type")
            return body
        if not template:
            return b""
        try:
            return render(
                template,
                body=body,
                params=self.method_params(call),
                context=self.context_variables(call),
                stage_variables=call.variables,
            ).encode()
        except TemplateError as error:
            raise GatewayError("BAD_REQUEST_BODY", str(error), 400) from None

    def _converted_request(self, call: Call, integration: dict[str, Any]) -> bytes:
        """The request payload after contentHandling: a binary payload (by the API's binary
        media types) as base64 text for CONVERT_TO_TEXT, base64 text decoded for
        CONVERT_TO_BINARY; as received otherwise."""
        body = call.request.body
        handling = integration.get("contentHandling")
        if not handling or not body:
            return body
        binary = self.is_binary(call, call.request.headers.get("content-type", ""))
        if handling == "CONVERT_TO_TEXT" and binary:
            return base64.b64encode(body)
        if handling == "CONVERT_TO_BINARY" and not binary:
            try:
                return base64.b64decode(body, validate=True)
            except ValueError:
                return body
        return body

    def mock(self, body: bytes) -> IntegrationResult:
        status = 200
        if body.strip():
            try:
                parsed = jsontext.loads(body)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict) and parsed.get("statusCode") is not None:
                try:
                    status = int(parsed["statusCode"])
                except (TypeError, ValueError):
                    status = 500
            elif parsed is None:
                status = 500
        return IntegrationResult(status, {}, b"")

    def integration_response(
        self, call: Call, integration: dict[str, Any], result: IntegrationResult
    ) -> Response:
        responses = integration.get("integrationResponses") or {}
        subject = result.error if result.error is not None else str(result.status)
        chosen = None
        default = None
        for response in responses.values():
            pattern = response.get("selectionPattern")
            if not pattern:
                default = default or response
                continue
            try:
                if re.fullmatch(pattern, subject, re.DOTALL):
                    chosen = response
                    break
            except re.error:
                continue
        chosen = chosen or default
        if chosen is None:
            raise GatewayError("API_CONFIGURATION_ERROR", "Internal server error", 500)
        status = int(chosen["statusCode"])
        handling = chosen.get("contentHandling")
        if handling == "CONVERT_TO_BINARY":
            try:
                result.body = base64.b64decode(result.body, validate=True)
            except ValueError:
                raise GatewayError("API_CONFIGURATION_ERROR", "Internal server error", 500) from None
        elif handling == "CONVERT_TO_TEXT":
            result.body = base64.b64encode(result.body)
        templates = chosen.get("responseTemplates") or {}
        accept = (call.request.headers.get("accept") or "").split(",")[0].split(";")[0].strip()
        template = templates.get(accept) if accept in templates else templates.get("application/json")
        if template is None and templates:
            template = next(iter(templates.values()))
        body = result.body
        content_type = "application/json"
        override: dict[str, Any] = {"status": None, "header": {}}
        if template:
            context = self.context_variables(call)
            context["responseOverride"] = override
            try:
                body = render(
                    template,
                    body=b"",
                    params=self.method_params(call),
                    context=context,
                    stage_variables=call.variables,
                    input_override=Input(result.body, self.method_params(call)),
                ).encode()
            except TemplateError:
                raise GatewayError("API_CONFIGURATION_ERROR", "Internal server error", 500) from None
            content_type = (
                accept
                if accept in templates
                else next((ct for ct in templates if templates[ct] == template), "application/json")
            )
        elif template == "":
            body = b""
        else:
            content_type = (
                result.headers.get("Content-Type") or result.headers.get("content-type") or content_type
            )
        headers = {"Content-Type": content_type}
        for target, source in (chosen.get("responseParameters") or {}).items():
            if not target.startswith("method.response.header."):
                continue
            value = self.mapped_value(call, source, result)
            if value is not None:
                headers[target[len("method.response.header.") :]] = value
        # `#set($context.responseOverride.status = 404)` and `.header.Name` in the template win.
        for name, value in (override.get("header") or {}).items():
            headers[str(name)] = str(value)
        if override.get("status") is not None:
            try:
                status = int(override["status"])
            except (TypeError, ValueError):
                pass
        return Response(status, headers, body)

    # -- Lambda ----------------------------------------------------------------------------------

    async def invoke_function(  # type: ignore[misc]
        self: Provider, call: Call, uri: str, payload: bytes, credentials: str = "", source_arn: str = ""
    ) -> tuple[int, bytes, dict | None]:
        """(status, payload, error) of a synchronous invocation of the function a URI names.
        Without `credentials` (a role API Gateway assumes), the function's resource policy
        must let apigateway.amazonaws.com invoke it for `source_arn` (checked under
        --enforce-iam, as every authorization is)."""
        account, region, name, qualifier, invoked_arn = self.function_target(call, uri)
        if not self.runtime.serves("lambda"):
            raise GatewayError("API_CONFIGURATION_ERROR", "Internal server error", 500)
        self.check_invoke_permission(call, invoked_arn, credentials, source_arn)
        try:
            trace = None
            if call.trace_header is not None:
                root = call.trace_header.split(";")[0]
                trace = f"{root};Parent={call.segment_id};Sampled=1"
            running = asyncio.get_running_loop().create_task(
                self.runtime.provider("lambda").execute(
                    account, region, name, qualifier, payload, trace_header=trace
                )
            )
            try:
                # The function runs on past the integration's timeout, as on AWS; the client
                # gets API Gateway's 504 meanwhile.
                outcome, _ = await within(running, _timeout(call))
            except TimeoutError:
                running.add_done_callback(lambda task: task.cancelled() or task.exception())
                raise GatewayError("INTEGRATION_TIMEOUT", "Endpoint request timed out", 504) from None
        except ServiceError as error:
            if error.code == "TooManyRequestsException":
                raise GatewayError("THROTTLED", "Too Many Requests") from None
            raise GatewayError("API_CONFIGURATION_ERROR", "Internal server error", 500) from None
        if outcome.error is not None:
            return 200, json.dumps(outcome.error).encode(), outcome.error
        return 200, outcome.payload, None

    def function_target(  # type: ignore[misc]
        self: Provider, call: Call, uri: str
    ) -> tuple[str, str, str, str | None, str]:
        """(account, region, function name, qualifier, invoked function ARN) of a Lambda
        integration URI, its stage variables filled in: a URI without them parses once."""
        if "${" in uri:
            uri = _STAGE_VARIABLE.sub(lambda m: call.variables.get(m.group(1), ""), uri)
        key = (uri, call.scope)
        target = self.function_targets.get(key)
        if target is not None:
            return target
        match = _FUNCTION_URI.match(uri)
        if match is None:
            raise GatewayError("API_CONFIGURATION_ERROR", "Internal server error", 500)
        function = match.group("function")
        account, region, name, qualifier = call.account, call.region, function, None
        if function.startswith("arn:"):
            parts = function.split(":")
            if len(parts) < 7:
                raise GatewayError("API_CONFIGURATION_ERROR", "Internal server error", 500)
            region, account, name = parts[3], parts[4], parts[6]
            qualifier = parts[7] if len(parts) > 7 else None
        function_arn = f"arn:{partition(region)}:lambda:{region}:{account}:function:{name}"
        target = (account, region, name, qualifier, function_arn + (f":{qualifier}" if qualifier else ""))
        if len(self.function_targets) > 4096:
            self.function_targets.clear()
        self.function_targets[key] = target
        return target

    def check_invoke_permission(  # type: ignore[misc]
        self: Provider, call: Call, function_arn: str, credentials: str, source_arn: str
    ) -> None:
        """Under --enforce-iam, without credentials, the function's resource policy must let
        apigateway.amazonaws.com invoke it for `source_arn`."""
        if not self.runtime.config.enforce_iam or credentials:
            return
        allowed = self.runtime.provider("iam").service_may_deliver(
            "apigateway.amazonaws.com",
            "lambda:InvokeFunction",
            function_arn,
            source_arn or call.method_arn(),
            call.account,
        )
        if not allowed:
            # AWS logs "Invalid permissions on Lambda function" and answers a 500.
            raise GatewayError("API_CONFIGURATION_ERROR", "Internal server error", 500)

    async def invoke_function_async(  # type: ignore[misc]
        self: Provider, call: Call, uri: str, payload: bytes, credentials: str
    ) -> IntegrationResult:
        """An asynchronous invocation (the integration maps X-Amz-Invocation-Type to 'Event'):
        Lambda queues it, with its own retries and destinations, and answers 202."""
        function = _FUNCTION_URI.match(_STAGE_VARIABLE.sub(lambda m: call.variables.get(m.group(1), ""), uri))
        handler = self.runtime.handler("lambda", "Invoke")
        if function is None or handler is None:
            raise GatewayError("API_CONFIGURATION_ERROR", "Internal server error", 500)
        name = function.group("function")
        region = name.split(":")[3] if name.startswith("arn:") else call.region
        function_arn = (
            name
            if name.startswith("arn:")
            else f"arn:{partition(region)}:lambda:{region}:{call.account}:function:{name}"
        )
        self.check_invoke_permission(call, function_arn, credentials, self.source_arn(call))
        context = RequestContext.internal("lambda", call.account, region)
        try:
            output = handler(context, {"FunctionName": name, "InvocationType": "Event", "Payload": payload})
            if inspect.isawaitable(output):
                output = await output
        except ServiceError:
            raise GatewayError("API_CONFIGURATION_ERROR", "Internal server error", 500) from None
        return IntegrationResult(int((output or {}).get("StatusCode") or 202), {}, b"")

    def source_arn(self, call: Call) -> str:
        """The execute-api ARN a Lambda permission's SourceArn is matched against: the
        method's resource path (`.../{stage}/{VERB}/pets/{id}`)."""
        resource_path = (call.resource or {}).get("path") or call.path
        return (
            f"arn:{partition(call.region)}:execute-api:{call.region}:{call.account}:{call.api_id}/"
            f"{call.stage_name}/{call.verb}{resource_path}"
        )

    async def lambda_proxy(self: Provider, call: Call, integration: dict[str, Any]) -> Response:  # type: ignore[misc]
        _, payload, error = await self.invoke_function(
            call,
            integration.get("uri") or "",
            _dumps(self.proxy_event(call)),
            integration.get("credentials") or "",
            # The ARN a resource policy is matched against, only where policies are enforced.
            self.source_arn(call) if self.runtime.config.enforce_iam else "",
        )
        if error is not None:
            raise GatewayError("INTEGRATION_FAILURE", "Internal server error", 502)
        try:
            result = _loads(payload or b"null")
        except ValueError:
            raise GatewayError("INTEGRATION_FAILURE", "Internal server error", 502) from None
        if not isinstance(result, dict):
            raise GatewayError("INTEGRATION_FAILURE", "Internal server error", 502)
        allowed = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded", "cookies"}
        if set(result) - allowed:
            raise GatewayError("INTEGRATION_FAILURE", "Internal server error", 502)
        try:
            status = int(result.get("statusCode") or 200)
        except (TypeError, ValueError):
            raise GatewayError("INTEGRATION_FAILURE", "Internal server error", 502) from None
        headers: dict[str, str] = {}
        for name, value in (result.get("headers") or {}).items():
            headers[str(name)] = str(value)
        for name, values in (result.get("multiValueHeaders") or {}).items():
            if isinstance(values, list) and values:
                headers[str(name)] = ", ".join(str(v) for v in values)
        body = result.get("body")
        if body is None:
            data = b""
        elif not isinstance(body, str):
            raise GatewayError("INTEGRATION_FAILURE", "Internal server error", 502)
        elif result.get("isBase64Encoded") and self._wants_binary(call, headers):
            try:
                data = base64.b64decode(body)
            except ValueError:
                raise GatewayError("INTEGRATION_FAILURE", "Internal server error", 502) from None
        else:
            # A base64 body reaches the client as that text unless the API's binary media
            # types cover what the client accepts (AWS converts only then).
            data = body.encode()
        headers.setdefault("Content-Type", "application/json")
        return Response(status, headers, data)

    def _wants_binary(self, call: Call, headers: dict[str, str]) -> bool:
        accept = (call.request.headers.get("accept") or "").split(",")[0].split(";")[0].strip()
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        return self.is_binary(call, accept) or self.is_binary(call, content_type)

    # -- HTTP ------------------------------------------------------------------------------------

    def expand_uri(self, call: Call, uri: str, path_values: dict[str, str]) -> str:
        uri = _STAGE_VARIABLE.sub(lambda m: call.variables.get(m.group(1), ""), uri)

        def value(m: re.Match) -> str:
            # A greedy {proxy+} value keeps its slashes, and so does a mapping of it to {proxy}.
            name = m.group(1).rstrip("+")
            return quote(path_values.get(name, ""), safe="/")

        return re.sub(r"\{([A-Za-z0-9_.+-]+)\}", value, uri)

    async def http_proxy(self, call: Call, integration: dict[str, Any]) -> Response:
        headers, query, path_values = self.integration_parameters(call, integration)
        for name, value in call.path_params.items():
            path_values.setdefault(name, value)
        uri = self.expand_uri(call, integration.get("uri") or "", path_values)
        forwarded = {
            name: value for name, value in call.request.headers.items() if name.lower() not in _HOP_BY_HOP
        }
        forwarded.update(headers)
        merged = {name: values[-1] for name, values in call.request.query.items()}
        merged.update(query)
        result = await self.http_request(
            _verb(integration, call), uri, forwarded, merged, call.request.body, integration
        )
        out_headers = {
            name: value for name, value in result.headers.items() if name.lower() not in _HOP_BY_HOP
        }
        return Response(result.status, out_headers, result.body)

    async def http_request(
        self,
        verb: str,
        uri: str,
        headers: dict[str, str],
        query: dict[str, str],
        body: bytes,
        integration: dict[str, Any],
    ) -> IntegrationResult:
        parts = urlsplit(uri)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise GatewayError("API_CONFIGURATION_ERROR", "Internal server error", 500)
        target = parts.path or "/"
        query_text = "&".join(filter(None, [parts.query, urlencode(query) if query else ""]))
        if query_text:
            target += "?" + query_text
        timeout = float(integration.get("timeoutInMillis") or 29000) / 1000

        try:
            answer = await outbound.pool().request(
                parts.scheme, parts.hostname, parts.port, verb, target, headers, body or None, timeout
            )
            return IntegrationResult(answer.status, dict(answer.headers), answer.body)
        except TimeoutError:
            raise GatewayError("INTEGRATION_TIMEOUT", "Endpoint request timed out", 504) from None
        except OSError:
            raise GatewayError("INTEGRATION_FAILURE", "Internal server error", 502) from None

    # -- AWS services ----------------------------------------------------------------------------

    # -- test invocations ------------------------------------------------------------------------


def _timeout(call: Call) -> float:
    """The method's integration timeout in seconds (29 by default)."""
    integration = (call.method or {}).get("methodIntegration") or {}
    return float(integration.get("timeoutInMillis") or 29000) / 1000


def _verb(integration: dict[str, Any], call: Call) -> str:
    """The integration's method; ANY passes the client's on."""
    verb = (integration.get("httpMethod") or "ANY").upper()
    return call.verb if verb == "ANY" else verb


def _config_error() -> Exception:
    return GatewayError("API_CONFIGURATION_ERROR", "Internal server error", 500)


@lru_cache(maxsize=4)
def _second_text(second: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(second, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def _request_time(moment: float) -> str:
    """`$context.requestTime` (CLF format); the requests of one second share the text."""
    return _second_text(int(moment))
