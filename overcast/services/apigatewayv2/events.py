"""The Lambda proxy events of HTTP API requests: payload format 2.0 (common/payload2.py, as
function URLs send it) and 1.0 (the REST API proxy event's shape)."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from overcast.common import payload2
from overcast.http import parse_qs
from overcast.services.apigatewayv2.dataplane import HttpCall

if TYPE_CHECKING:
    from overcast.services.apigatewayv2.provider import Provider


class EventsMixin:
    def event_v2(self: Provider, call: HttpCall) -> dict[str, Any]:  # type: ignore[misc]
        authorizer = None
        if call.authorizer is not None:
            authorizer = {
                k: v
                for k, v in call.authorizer.items()
                if k != "integrationLatency" or "lambda" in call.authorizer
            }
        return payload2.event(
            call.request,
            # A named stage's requests keep its segment in the path the function sees.
            raw_path=call.path if call.stage_name == "$default" else f"/{call.stage_name}{call.path}",
            route_key=call.route_key,
            stage=call.stage_name,
            api_id=call.api_id,
            account=call.account,
            domain=call.domain,
            request_id=call.request_id,
            moment=call.started,
            path_parameters=call.path_params,
            stage_variables=call.variables,
            authorizer=authorizer,
            headers=call.__dict__.get("mapped_headers"),
            query_string=call.__dict__.get("mapped_query"),
        )

    def event_v1(self: Provider, call: HttpCall) -> dict[str, Any]:  # type: ignore[misc]
        """Payload format 1.0: the REST API proxy event's shape."""
        request = call.request
        headers = call.__dict__.get("mapped_headers") or dict(request.headers)
        query = parse_qs(call.__dict__.get("mapped_query", request.query_string) or "")
        content_type = headers.get("content-type", "")
        body: str | None = None
        is_text = True
        if request.body:
            is_text = content_type.startswith(payload2.TEXT_TYPES) or not content_type
            if is_text:
                try:
                    body = bytes(request.body).decode()
                except UnicodeDecodeError:
                    is_text = False
            if not is_text:
                body = base64.b64encode(request.body).decode()
        route_path = call.route_key.partition(" ")[2] or call.path
        authorizer = None
        if call.authorizer is not None:
            authorizer = dict(call.authorizer.get("lambda") or {})
            if "jwt" in call.authorizer:
                authorizer = {
                    "claims": call.authorizer["jwt"]["claims"],
                    "scopes": call.authorizer["jwt"]["scopes"],
                }
            if "principalId" in call.authorizer:
                authorizer["principalId"] = call.authorizer["principalId"]
            if "integrationLatency" in call.authorizer:
                authorizer["integrationLatency"] = call.authorizer["integrationLatency"]
        identity: dict[str, Any] = {
            "accessKey": None,
            "accountId": None,
            "caller": None,
            "cognitoAmr": None,
            "cognitoAuthenticationProvider": None,
            "cognitoAuthenticationType": None,
            "cognitoIdentityId": None,
            "cognitoIdentityPoolId": None,
            "principalOrgId": None,
            "sourceIp": request.client_ip,
            "user": None,
            "userAgent": headers.get("user-agent", ""),
            "userArn": None,
        }
        if call.authorizer is not None and "iam" in call.authorizer:
            iam = call.authorizer["iam"]
            identity.update(
                accessKey=iam["accessKey"],
                accountId=iam["accountId"],
                caller=iam["callerId"],
                user=iam["userId"],
                userArn=iam["userArn"],
            )
        context: dict[str, Any] = {
            "accountId": call.account,
            "apiId": call.api_id,
            "domainName": call.domain,
            "domainPrefix": call.domain.split(".")[0],
            "extendedRequestId": call.request_id,
            "httpMethod": request.method,
            "identity": identity,
            "path": call.path if call.stage_name == "$default" else f"/{call.stage_name}{call.path}",
            "protocol": "HTTP/1.1",
            "requestId": call.request_id,
            "requestTime": payload2.request_time(call.started),
            "requestTimeEpoch": int(call.started * 1000),
            "resourceId": call.route_key,
            "resourcePath": route_path,
            "stage": call.stage_name,
        }
        if authorizer is not None:
            context["authorizer"] = authorizer
        return {
            "version": "1.0",
            "resource": route_path,
            "path": call.path,
            "httpMethod": request.method,
            "headers": headers,
            "multiValueHeaders": {
                name: [part.strip() for part in value.split(",")] for name, value in headers.items()
            },
            "queryStringParameters": {name: values[-1] for name, values in query.items()} or None,
            "multiValueQueryStringParameters": {name: list(values) for name, values in query.items()} or None,
            "requestContext": context,
            "pathParameters": dict(call.path_params) or None,
            "stageVariables": dict(call.variables) or None,
            "body": body,
            "isBase64Encoded": not is_text,
        }
