"""AWS service integrations: `arn:aws:apigateway:{region}:{service}:action/{Action}` and
`...:path/{path}` run as an HTTP request to the service would, through its own protocol
parser and handler in this process, as a session of the integration's credentials role."""

from __future__ import annotations

import asyncio
import inspect
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from overcast.common.arns import partition
from overcast.common.waiting import within
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.http import Readable, Request
from overcast.services.apigateway.errors import GatewayError
from overcast.services.apigateway.integrations import _SERVICE_URI, IntegrationResult

if TYPE_CHECKING:
    from overcast.services.apigateway.invoke import Call
    from overcast.services.apigateway.provider import Provider


class AwsCallsMixin:
    async def aws_service(  # type: ignore[misc]
        self: Provider,
        call: Call,
        integration: dict[str, Any],
        uri: str,
        headers: dict[str, str],
        query: dict[str, str],
        path_values: dict[str, str],
        body: bytes,
    ) -> IntegrationResult:
        """Call an AWS service's operation the way API Gateway does: an HTTP request to the
        service, run through its protocol parser and handler as the credentials role."""
        from overcast import protocols

        match = _SERVICE_URI.match(uri)
        if match is None:
            raise GatewayError("API_CONFIGURATION_ERROR", "Internal server error", 500)
        region = match.group("region") or call.region
        service = _service_name(match.group("service"))
        if service is None or not self.runtime.serves(service):
            raise GatewayError("API_CONFIGURATION_ERROR", "Internal server error", 500)
        model = protocols.service_model(service)
        verb = (integration.get("httpMethod") or "POST").upper()
        lowered = {name.lower(): value for name, value in headers.items()}
        query_pairs = dict(query)
        if match.group("kind") == "action":
            action = match.group("rest").split("&")[0]
            path = "/"
            prefix = model.metadata.get("targetPrefix")
            if prefix and "json" in protocols.protocols_of(model):
                lowered["x-amz-target"] = f"{prefix}.{action}"
                lowered.setdefault(
                    "content-type", f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.0')}"
                )
            else:
                query_pairs["Action"] = action
                query_pairs.setdefault("Version", model.api_version)
                if body:
                    lowered.setdefault("content-type", "application/x-www-form-urlencoded")
        else:
            path = "/" + self.expand_uri(call, match.group("rest"), path_values).lstrip("/")
            if "?" in path:
                path, _, extra = path.partition("?")
                for pair in extra.split("&"):
                    name, _, value = pair.partition("=")
                    query_pairs.setdefault(name, value)
        lowered["host"] = f"{match.group('service')}.{region}.amazonaws.com"
        lowered["content-length"] = str(len(body))
        request = Request(verb, quote(path, safe="/%"), urlencode(query_pairs), lowered, body)
        role = integration.get("credentials") or ""
        context = RequestContext.internal(
            service, call.account, region, role if role.startswith("arn:") else ""
        )
        context.request = request
        context.service_model = model
        protocol = context.protocol = protocols.detect_protocol(model, request)
        try:
            operation, uri_params = protocols.match_operation(model, protocol, request)
            context.operation = operation
            params = protocols.parse_request(operation, protocol, request, uri_params)
            if self.runtime.config.enforce_iam:
                self.authorize_role(context, role, service, model, params)
            handler = self.runtime.handler(service, operation.name)
            if handler is None:
                raise ServiceError("NotImplemented", f"{service} {operation.name} is not available", 501)
            output = handler(context, params)
            if inspect.isawaitable(output):
                # A long call (an SQS long poll) answers the client API Gateway's 504 at the
                # integration's timeout.
                running = asyncio.ensure_future(output)
                try:
                    output = await within(running, float(integration.get("timeoutInMillis") or 29000) / 1000)
                except TimeoutError:
                    running.add_done_callback(lambda task: task.cancelled() or task.exception())
                    raise GatewayError("INTEGRATION_TIMEOUT", "Endpoint request timed out", 504) from None
            response = protocols.serialize_response(operation, protocol, output or {}, context)
            if context.status is not None:
                response.status = context.status
        except ServiceError as error:
            response = protocols.serialize_error(model, context.operation, protocol, error, context)
        data = await _read_body(response.body)
        return IntegrationResult(response.status, dict(response.headers), data)

    def authorize_role(  # type: ignore[misc]
        self: Provider, context: RequestContext, role: str, service: str, model: Any, params: dict
    ) -> None:
        """Under --enforce-iam: API Gateway acts as a session of the integration's credentials
        role, which must trust apigateway.amazonaws.com and be allowed the action (the
        service's own AccessDenied otherwise)."""
        from overcast.identity import identify
        from overcast.policy import actions

        if not role.startswith("arn:"):
            raise GatewayError("API_CONFIGURATION_ERROR", "Internal server error", 500)
        try:
            issued = self.runtime.provider("sts").credentials_for_service(
                role, "BackplaneAssumeRoleSession", "apigateway.amazonaws.com", context.region
            )
        except ServiceError:
            # AWS logs "API Gateway does not have permission to assume the provided role".
            raise GatewayError("API_CONFIGURATION_ERROR", "Internal server error", 500) from None
        identify(context, issued["Credentials"]["AccessKeyId"], self.runtime.resolve_key)
        context.extra.pop("internal", None)
        prefix = model.metadata.get("signingName") or model.metadata.get("endpointPrefix") or service
        operation = context.operation
        assert operation is not None
        targets = actions.resolve(service, prefix, operation.name, params, context, partition(context.region))
        if targets:
            self.runtime.provider("iam").authorize(context, params, targets)


async def _read_body(body: Any) -> bytes:
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if isinstance(body, Readable):
        try:
            return body.read()
        finally:
            body.close()
    if hasattr(body, "__aiter__"):
        return b"".join([chunk async for chunk in body])
    return b"".join(body)


@lru_cache(maxsize=64)
def _service_name(prefix: str) -> str | None:
    """The botocore service an integration ARN's service part (an endpoint prefix) names."""
    from overcast.protocols.catalog import load

    for info in load():
        if info.endpoint_prefix == prefix and info.name == prefix:
            return info.name
    for info in load():
        if info.endpoint_prefix == prefix:
            return info.name
    return None
