"""Who may call a stage's method: AWS_IAM (the SigV4 signature verified; under
--enforce-iam the caller's policies), Lambda TOKEN and REQUEST authorizers with their results
cached by identity source for the TTL, and the API's resource policy."""

from __future__ import annotations

import fnmatch
import json
import re
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.common import jsontext
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.apigateway.errors import GatewayError

if TYPE_CHECKING:
    from overcast.services.apigateway.invoke import Call
    from overcast.services.apigateway.provider import Provider


class AuthorizationMixin:
    async def authorize(self: Provider, call: Call) -> None:  # type: ignore[misc]
        assert call.method is not None
        kind = call.method.get("authorizationType") or "NONE"
        if kind == "NONE":
            return
        if kind == "AWS_IAM":
            self._check_sigv4(call)
            return
        if kind == "COGNITO_USER_POOLS":
            raise GatewayError(
                "AUTHORIZER_CONFIGURATION_ERROR",
                "Cognito user pool authorizers are not available in this Overcast",
                501,
            )
        authorizer = call.snapshot["authorizers"].get(call.method.get("authorizerId") or "")
        if authorizer is None:
            raise GatewayError("AUTHORIZER_CONFIGURATION_ERROR", "Authorizer configuration error")
        output = await self.run_authorizer(call, authorizer)
        call.authorizer = output

    def _check_sigv4(self: Provider, call: Call) -> None:  # type: ignore[misc]
        from overcast import signing

        request = call.request
        if "authorization" not in request.headers and "X-Amz-Signature" not in request.query_string:
            raise GatewayError("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")
        try:
            signing.verify_request(request, self.runtime.secret_for, strict=True, service="execute-api")
        except ServiceError as error:
            kind = "EXPIRED_TOKEN" if "expired" in error.message.lower() else "INVALID_SIGNATURE"
            raise GatewayError(kind, error.message) from None
        from overcast.routing import credential_scope

        scope = credential_scope(request)
        if scope is not None:
            record = self.runtime.resolve_key(scope.access_key_id)
            account = (record or {}).get("Account") or (
                scope.access_key_id
                if scope.access_key_id.isdigit() and len(scope.access_key_id) == 12
                else call.account
            )
            call.principal = (record or {}).get("Arn") or f"arn:aws:iam::{account}:root"
            call.authorizer = None
            call.__dict__["identity"] = {
                "accessKey": scope.access_key_id,
                "accountId": account,
                "caller": (record or {}).get("UserId") or account,
                "user": (record or {}).get("UserId") or account,
                "userArn": call.principal,
            }

    async def run_authorizer(self: Provider, call: Call, authorizer: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        kind = authorizer["type"]
        sources = [s.strip() for s in (authorizer.get("identitySource") or "").split(",") if s.strip()]
        identity = []
        for source in sources:
            value = self.parameter_value(call, source)
            if not value:
                raise GatewayError("UNAUTHORIZED", "Unauthorized")
            identity.append(value)
        if kind == "TOKEN":
            token = identity[0] if identity else ""
            pattern = authorizer.get("identityValidationExpression")
            if pattern and not re.fullmatch(pattern, token):
                raise GatewayError("UNAUTHORIZED", "Unauthorized")
        ttl = int(authorizer.get("authorizerResultTtlInSeconds", 300) or 0)
        cache_key = (call.api_id, call.stage_name, authorizer["id"], "\x00".join(identity))
        cached = self.authorizer_cache.get(cache_key) if ttl and identity else None
        result: Any
        if cached is not None and cached[0] > time.monotonic():
            result = cached[1]
        else:
            if kind == "TOKEN":
                event: dict[str, Any] = {
                    "type": "TOKEN",
                    "authorizationToken": identity[0] if identity else "",
                    "methodArn": call.method_arn(),
                }
            else:
                event = self.proxy_event(call)
                event = {
                    "type": "REQUEST",
                    "methodArn": call.method_arn(),
                    **{k: v for k, v in event.items() if k not in ("body", "isBase64Encoded")},
                }
            _status, payload, error = await self.invoke_function(
                call,
                authorizer.get("authorizerUri") or "",
                json.dumps(event).encode(),
                authorizer.get("authorizerCredentials") or "",
                f"arn:aws:execute-api:{call.region}:{call.account}:{call.api_id}/authorizers/{authorizer['id']}",
            )
            if error is not None:
                if (error.get("errorMessage") or "") == "Unauthorized":
                    raise GatewayError("UNAUTHORIZED", "Unauthorized")
                raise GatewayError("AUTHORIZER_FAILURE", "null", 500)
            try:
                result = jsontext.loads(payload or b"null", jsontext.MAX_PAYLOAD_DEPTH)
            except ValueError:
                result = None
            if not isinstance(result, dict) or "policyDocument" not in result or "principalId" not in result:
                raise GatewayError("AUTHORIZER_CONFIGURATION_ERROR", "null", 500)
            if ttl and identity:
                self.authorizer_cache[cache_key] = (time.monotonic() + ttl, result)
        assert isinstance(result, dict)
        decision = _evaluate_policy(result.get("policyDocument"), call.method_arn())
        if decision != "Allow":
            message = (
                "User is not authorized to access this resource with an explicit deny"
                if decision == "Deny"
                else "User is not authorized to access this resource"
            )
            raise GatewayError("ACCESS_DENIED", message)
        context = result.get("context") or {}
        if not isinstance(context, dict) or any(
            not isinstance(v, (str, int, float, bool)) for v in context.values()
        ):
            # AWS takes only strings, numbers and booleans in an authorizer's context.
            raise GatewayError("AUTHORIZER_CONFIGURATION_ERROR", "null", 500)
        out = {**context, "principalId": result.get("principalId")}
        if kind == "TOKEN" or kind == "REQUEST":
            out["integrationLatency"] = 0
        if result.get("usageIdentifierKey"):
            out["usageIdentifierKey"] = result["usageIdentifierKey"]
        return out

    def check_resource_policy(self: Provider, call: Call) -> None:  # type: ignore[misc]
        """The API's resource policy (as deployed): an explicit deny refuses anyone; a method
        without IAM authorization must also be allowed by it; an AWS_IAM caller by it or by
        their own policies (checked under --enforce-iam); a Lambda authorizer's Allow stands
        unless it denies."""
        assert call.method is not None
        kind = call.method.get("authorizationType") or "NONE"
        if kind == "AWS_IAM" and self.runtime.config.enforce_iam:
            self._check_identity_policies(call)
            return  # the enforcer weighed the resource policy with the caller's own
        text = call.snapshot.get("policy")
        if not text:
            return
        from overcast import policy

        region, account = call.region, call.account
        expanded = expand_policy(text, region, account, call.api_id)
        try:
            document = policy.parse(expanded, policy.RESOURCE, policy_id=call.api_id, policy_type="resource")
        except policy.MalformedPolicy:
            raise GatewayError("API_CONFIGURATION_ERROR", "Internal server error", 500) from None
        identity = call.__dict__.get("identity")
        if kind == "AWS_IAM" and identity is not None:
            principal = policy.Principal(arn=identity["userArn"], account=identity["accountId"])
            who = identity["userArn"]
        else:
            principal = policy.Principal.anonymous()
            who = "anonymous"
        arn = call.method_arn()
        values = {"aws:SourceIp": call.request.client_ip, "aws:CurrentTime": _iso_now()}
        request = policy.AuthorizationRequest(principal, "execute-api:Invoke", arn, account, values, region)
        decision = policy.evaluate(request, (), document)
        refusal = f"User: {who} is not authorized to perform: execute-api:Invoke on resource: {arn}"
        if decision.decision == policy.EXPLICIT_DENY:
            raise GatewayError("ACCESS_DENIED", refusal + " with an explicit deny")
        if kind in ("NONE",) and not decision.allowed:
            raise GatewayError("ACCESS_DENIED", refusal)

    def _check_identity_policies(self: Provider, call: Call) -> None:  # type: ignore[misc]
        """Under --enforce-iam, an AWS_IAM caller needs execute-api:Invoke on the method, from
        their own policies or the API's resource policy (resource_policy below)."""
        from overcast.identity import identify

        identity = call.__dict__.get("identity") or {}
        context = RequestContext.internal("apigateway", call.account, call.region)
        context.request = call.request
        identify(context, identity.get("accessKey"), self.runtime.resolve_key)
        context.extra.pop("internal", None)
        arn = call.method_arn()
        try:
            self.runtime.provider("iam").authorize(context, {}, [("execute-api:Invoke", arn)])
        except ServiceError:
            raise GatewayError(
                "ACCESS_DENIED",
                f"User: {context.principal_arn} is not authorized to perform: execute-api:Invoke on resource: {arn}",
            ) from None

    def resource_policy(self: Provider, arn: str) -> str | dict[str, Any] | None:  # type: ignore[misc]
        """An execute-api ARN's policy: its API's resource policy as deployed to the stage."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "execute-api":
            return None
        api_id, _, rest = parts[5].partition("/")
        stage = rest.split("/", 1)[0]
        found = self.served_document(api_id)
        if found is None:
            return None
        doc = found[1]
        deployment = doc["deployments"].get((doc["stages"].get(stage) or {}).get("deploymentId") or "")
        text = (deployment or {}).get("_snapshot", {}).get("policy")
        return expand_policy(text, parts[3], parts[4], api_id) if text else None


def expand_policy(text: str, region: str, account: str, api_id: str) -> str:
    """A resource policy with `execute-api:/stage/VERB/path` written out as the API's ARNs."""
    prefix = f"arn:aws:execute-api:{region}:{account}:{api_id}/"
    return re.sub(r'"execute-api:/([^"]*)"', lambda m: json.dumps(prefix + m.group(1).lstrip("/")), text)


def _iso_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _evaluate_policy(policy: Any, method_arn: str) -> str:
    """Allow, Deny or "" (no statement matches) for execute-api:Invoke on the method ARN."""
    if isinstance(policy, str):
        try:
            policy = jsontext.loads(policy)
        except ValueError:
            return ""
    if not isinstance(policy, dict):
        return ""
    statements = policy.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    decision = ""
    for statement in statements:
        actions = statement.get("Action") or []
        actions = [actions] if isinstance(actions, str) else actions
        if not any(
            fnmatch.fnmatchcase("execute-api:Invoke", a) or a in ("*", "execute-api:*") for a in actions
        ):
            continue
        resources = statement.get("Resource") or []
        resources = [resources] if isinstance(resources, str) else resources
        if not any(fnmatch.fnmatchcase(method_arn, r) for r in resources):
            continue
        if statement.get("Effect") == "Deny":
            return "Deny"
        if statement.get("Effect") == "Allow":
            decision = "Allow"
    return decision
