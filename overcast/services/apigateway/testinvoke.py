"""TestInvokeMethod and TestInvokeAuthorizer: a method or an authorizer run on the API as it
is now (not as deployed), without the client's authorization, with a log of the run."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.http import Request
from overcast.services.apigateway.awscalls import _read_body
from overcast.services.apigateway.errors import GatewayError

if TYPE_CHECKING:
    from overcast.services.apigateway.provider import Provider


class TestInvokeMixin:
    async def test_invoke_method(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from overcast.services.apigateway.invoke import Call
        from overcast.services.apigateway.restapis import find_method, find_resource

        doc = self.load(context, params["restApiId"])
        resource = find_resource(doc, params["resourceId"])
        method = find_method(doc, params["resourceId"], params["httpMethod"])
        if not method.get("methodIntegration"):
            raise ServiceError("BadRequestException", "Invalid Integration identifier specified", 400)
        target = params.get("pathWithQueryString") or resource["path"]
        path, _, query = target.partition("?")
        headers = {k.lower(): v for k, v in (params.get("headers") or {}).items()}
        for name, values in (params.get("multiValueHeaders") or {}).items():
            headers[name.lower()] = ", ".join(values)
        request = Request(
            params["httpMethod"].upper(), path, query, headers, (params.get("body") or "").encode()
        )
        snapshot = self.snapshot(doc)
        path_params: dict[str, str] = {}
        from overcast.services.apigateway import routes

        matched = routes.match(routes.build(snapshot["resources"]), path)
        if matched is not None and matched[0]["id"] == resource["id"]:
            path_params = matched[1]
        call = Call(
            request=request,
            api_id=doc["api"]["id"],
            stage_name="test-invoke-stage",
            path=path,
            scope=self.scope_of(context),
            doc=doc,
            stage={"deploymentId": "test-invoke-deployment-id", "stageName": "test-invoke-stage"},
            snapshot=snapshot,
            variables=dict(params.get("stageVariables") or {}),
            resource=snapshot["resources"][resource["id"]],
            method=snapshot["resources"][resource["id"]]["resourceMethods"][method["httpMethod"]],
            path_params=path_params,
        )
        started = time.monotonic()
        try:
            self.validate(call)
            response = await self.integrate(call)
        except GatewayError as error:
            response = self.error_response(call, error, call.request_id)
        body = await _read_body(response.body)
        latency = int((time.monotonic() - started) * 1000)
        log = (
            f"Execution log for request {call.request_id}\n"
            f"Starting execution for request: {call.request_id}\n"
            f"HTTP Method: {call.verb}, Resource Path: {path}\n"
            f"Method completed with status: {response.status}\n"
        )
        return {
            "status": response.status,
            "body": body.decode("utf-8", errors="replace"),
            "headers": {k: str(v) for k, v in response.headers.items()},
            "multiValueHeaders": {k: [str(v)] for k, v in response.headers.items()},
            "log": log,
            "latency": latency,
        }

    async def test_invoke_authorizer(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from overcast.services.apigateway.invoke import Call

        doc = self.load(context, params["restApiId"])
        authorizer = self._authorizer(doc, params["authorizerId"])
        if authorizer["type"] == "COGNITO_USER_POOLS":
            raise ServiceError(
                "NotImplemented",
                "Cognito user pool authorizers are not available in this Overcast",
                501,
                False,
            )
        target = params.get("pathWithQueryString") or "/"
        path, _, query = target.partition("?")
        headers = {k.lower(): v for k, v in (params.get("headers") or {}).items()}
        request = Request("GET", path, query, headers, (params.get("body") or "").encode())
        snapshot = self.snapshot(doc)
        call = Call(
            request=request,
            api_id=doc["api"]["id"],
            stage_name="test-invoke-stage",
            path=path,
            scope=self.scope_of(context),
            doc=doc,
            stage={"deploymentId": "test-invoke-deployment-id", "stageName": "test-invoke-stage"},
            snapshot=snapshot,
            variables=dict(params.get("stageVariables") or {}),
            resource={"id": "", "path": path},
            method={"httpMethod": "GET"},
        )
        started = time.monotonic()
        status, principal, policy, extra = 200, None, None, {}
        probe = dict(authorizer, authorizerResultTtlInSeconds=0)
        try:
            output = await self.run_authorizer(call, probe)
            principal = output.get("principalId")
            extra = {k: str(v) for k, v in output.items() if k not in ("principalId", "integrationLatency")}
        except GatewayError as error:
            status = {"UNAUTHORIZED": 401, "ACCESS_DENIED": 403}.get(error.response_type, 500)
        out: dict[str, Any] = {
            "clientStatus": status,
            "log": f"Execution log for request {call.request_id}\nAuthorizer completed with status {status}\n",
            "latency": int((time.monotonic() - started) * 1000),
            "authorization": {},
            "claims": extra,
        }
        if principal is not None:
            out["principalId"] = str(principal)
        if policy is not None:
            out["policy"] = policy
        return out
