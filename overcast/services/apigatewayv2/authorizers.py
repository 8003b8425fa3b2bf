"""Authorization of HTTP and WebSocket API routes: AWS_IAM (the SigV4 signature, and
execute-api:Invoke under --enforce-iam), JWT authorizers, and Lambda REQUEST authorizers with
simple or IAM policy responses, their results cached by identity source for their TTL."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from overcast.common import jsontext
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.apigatewayv2 import jwt
from overcast.services.apigatewayv2.dataplane import (
    HttpCall,
    HttpError,
    evaluate,
    identity_expression,
    internal_error,
)

if TYPE_CHECKING:
    from overcast.services.apigatewayv2.provider import Provider


class AuthorizersMixin:
    async def authorize_http(self: Provider, call: HttpCall) -> None:  # type: ignore[misc]
        route = call.route or {}
        kind = route.get("AuthorizationType") or "NONE"
        if kind == "NONE":
            return
        if kind == "AWS_IAM":
            self.check_sigv4(call)
            return
        authorizer = call.snapshot["Authorizers"].get(route.get("AuthorizerId") or "")
        if authorizer is None:
            raise internal_error()
        if authorizer["AuthorizerType"] == "JWT":
            await self.check_jwt(call, authorizer, route.get("AuthorizationScopes") or [])
        else:
            await self.run_lambda_authorizer(call, authorizer)

    def check_sigv4(self: Provider, call: HttpCall) -> None:  # type: ignore[misc]
        from overcast import signing
        from overcast.routing import credential_scope

        request = call.request
        if "authorization" not in request.headers and "X-Amz-Signature" not in request.query_string:
            raise HttpError(403, "Forbidden")
        try:
            signing.verify_request(request, self.runtime.secret_for, strict=True, service="execute-api")
        except ServiceError as error:
            raise HttpError(403, error.message) from None
        scope = credential_scope(request)
        if scope is None:
            raise HttpError(403, "Forbidden")
        record = self.runtime.resolve_key(scope.access_key_id) or {}
        key = scope.access_key_id
        account = record.get("Account") or (key if key.isdigit() and len(key) == 12 else call.account)
        arn = record.get("Arn") or f"arn:aws:iam::{account}:root"
        if self.runtime.config.enforce_iam:
            self.check_invoke_allowed(call, key)
        call.authorizer = {
            "iam": {
                "accessKey": key,
                "accountId": account,
                "callerId": record.get("UserId") or account,
                "principalOrgId": None,
                "userArn": arn,
                "userId": record.get("UserId") or account,
                "cognitoIdentity": None,
            }
        }

    def check_invoke_allowed(self: Provider, call: HttpCall, access_key: str) -> None:  # type: ignore[misc]
        """Under --enforce-iam, an AWS_IAM caller needs execute-api:Invoke on the route."""
        from overcast.identity import identify

        context = RequestContext.internal("apigatewayv2", call.account, call.region)
        context.request = call.request
        identify(context, access_key, self.runtime.resolve_key)
        context.extra.pop("internal", None)
        arn = call.route_arn()
        try:
            self.runtime.provider("iam").authorize(context, {}, [("execute-api:Invoke", arn)])
        except ServiceError:
            raise HttpError(
                403,
                f"User: {context.principal_arn} is not authorized to perform: execute-api:Invoke on resource: {arn}",
            ) from None

    async def check_jwt(  # type: ignore[misc]
        self: Provider, call: HttpCall, authorizer: dict[str, Any], scopes: list[str]
    ) -> None:
        source = (authorizer.get("IdentitySource") or ["$request.header.Authorization"])[0]
        token = evaluate(call, source) or ""
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        if not token:
            raise HttpError(401, "Unauthorized", {"www-authenticate": "Bearer"})
        configuration = authorizer.get("JwtConfiguration") or {}
        try:
            claims, token_scopes = await asyncio.to_thread(
                jwt.verify,
                token,
                configuration.get("Issuer") or "",
                list(configuration.get("Audience") or []),
                self.key_sets,
                scopes,
            )
        except jwt.JwtRefused as refused:
            description = str(refused).replace('"', "'")
            if refused.status == 403:
                raise HttpError(
                    403, "Forbidden", {"www-authenticate": 'Bearer scope="" error="insufficient_scope"'}
                ) from None
            raise HttpError(
                401,
                "Unauthorized",
                {"www-authenticate": f'Bearer error="invalid_token" error_description="{description}"'},
            ) from None
        shown = {
            name: value
            if isinstance(value, str)
            else "[" + " ".join(str(v) for v in value) + "]"
            if isinstance(value, list)
            else str(value)
            for name, value in claims.items()
        }
        call.authorizer = {"jwt": {"claims": shown, "scopes": token_scopes}}

    async def run_lambda_authorizer(self: Provider, call: HttpCall, authorizer: dict[str, Any]) -> None:  # type: ignore[misc]
        sources = authorizer.get("IdentitySource") or []
        values = [evaluate(call, identity_expression(source)) for source in sources]
        if any(value in (None, "") for value in values):
            raise HttpError(401, "Unauthorized")
        identity = [str(value) for value in values]
        ttl = int(authorizer.get("AuthorizerResultTtlInSeconds") or 0)
        cache_key = (call.api_id, call.stage_name, authorizer["AuthorizerId"], *identity)
        if ttl > 0:
            cached = self.authorizer_cache.get(cache_key)
            if cached is not None and cached[0] > time.monotonic():
                if cached[1].get("_denied"):
                    raise HttpError(403, "Forbidden")
                call.authorizer = cached[1]
                return
        version = authorizer.get("AuthorizerPayloadFormatVersion") or "1.0"
        if version == "2.0":
            event = self.event_v2(call)
            event.pop("body", None)
            event.pop("isBase64Encoded", None)
            event.update(type="REQUEST", routeArn=call.route_arn(), identitySource=identity)
            event.pop("version")
            event = {"version": "2.0", **event}
        else:
            event = self.event_v1(call)
            event.pop("body", None)
            event.pop("isBase64Encoded", None)
            event.update(type="REQUEST", methodArn=call.route_arn(), identitySource=",".join(identity))
        started = time.monotonic()
        try:
            payload, error = await self.invoke_lambda(call, authorizer["AuthorizerUri"], event, 10.0)
        except HttpError:
            raise internal_error() from None
        if error is not None:
            raise internal_error()
        try:
            result = jsontext.loads(payload or b"null")
        except ValueError:
            raise internal_error() from None
        latency = int((time.monotonic() - started) * 1000)
        if not isinstance(result, dict):
            raise internal_error()
        if authorizer.get("EnableSimpleResponses"):
            if not isinstance(result.get("isAuthorized"), bool):
                raise internal_error()
            allowed = result["isAuthorized"]
            output: dict[str, Any] = {"lambda": dict(result.get("context") or {})}
        else:
            if "policyDocument" not in result:
                raise internal_error()
            from overcast.services.apigateway.authorization import _evaluate_policy

            allowed = _evaluate_policy(result["policyDocument"], call.route_arn()) == "Allow"
            output = {"lambda": dict(result.get("context") or {})}
            if result.get("principalId") is not None:
                output["principalId"] = result["principalId"]
            if result.get("usageIdentifierKey"):
                output["usageIdentifierKey"] = str(result["usageIdentifierKey"])
        output["integrationLatency"] = latency
        if ttl > 0:
            self.authorizer_cache[cache_key] = (
                time.monotonic() + ttl,
                output if allowed else {"_denied": True},
            )
        if not allowed:
            raise HttpError(403, "Forbidden")
        call.authorizer = output
