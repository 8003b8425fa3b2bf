"""APIs and what hangs off them: routes and route responses, integrations and integration
responses, authorizers, models, stages and deployments (with auto-deploy), tags."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.services.apigatewayv2.common import bad_request, conflict, given, new_id, not_found, now, public

if TYPE_CHECKING:
    from overcast.services.apigatewayv2.provider import Provider

_HTTP_ROUTE_KEY = re.compile(r"^(\$default|(GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS|ANY) /\S*)$")
_FUNCTION_ARN = re.compile(r"^arn:[^:]+:lambda:[^:]+:\d{12}:function:[^:/]+(:[^:/]+)?$")
_INTEGRATION_TYPES = {
    "HTTP": ("AWS_PROXY", "HTTP_PROXY"),
    "WEBSOCKET": ("AWS", "AWS_PROXY", "HTTP", "HTTP_PROXY", "MOCK"),
}
_AUTHORIZER_TYPES = {"HTTP": ("REQUEST", "JWT"), "WEBSOCKET": ("REQUEST",)}
_STAGE_NAME = re.compile(r"^(\$default|[A-Za-z0-9_\-]{1,128})$")

#: (document member, id member, kind as AWS names it) of each child of an API.
CHILDREN: dict[str, tuple[str, str, str]] = {
    "route": ("Routes", "RouteId", "Route"),
    "integration": ("Integrations", "IntegrationId", "Integration"),
    "authorizer": ("Authorizers", "AuthorizerId", "Authorizer"),
    "model": ("Models", "ModelId", "Model"),
    "deployment": ("Deployments", "DeploymentId", "Deployment"),
    "stage": ("Stages", "StageName", "Stage"),
}


def _child(doc: dict[str, Any], kind: str, key: str, context: RequestContext) -> dict[str, Any]:
    member, _, label = CHILDREN[kind]
    record = (doc.get(member) or {}).get(key)
    if record is None:
        if kind == "stage":
            raise not_found("Invalid stage identifier specified", label)
        raise not_found(f"Invalid {label} identifier specified {key}", label)
    return record


def _check_key_selection(expression: str | None) -> None:
    if expression is not None and expression not in (
        "$request.header.x-api-key",
        "$context.authorizer.usageIdentifierKey",
    ):
        raise bad_request(
            "Invalid API Key Selection Expression. Supported values are $request.header.x-api-key "
            "and $context.authorizer.usageIdentifierKey"
        )


def new_document(api: dict[str, Any]) -> dict[str, Any]:
    return {
        "Api": api,
        "Routes": {},
        "RouteResponses": {},
        "Integrations": {},
        "IntegrationResponses": {},
        "Authorizers": {},
        "Models": {},
        "Stages": {},
        "Deployments": {},
    }


class ApisMixin:
    # -- APIs ------------------------------------------------------------------------------------

    def api_endpoint(self: Provider, api_id: str, protocol: str) -> str:  # type: ignore[misc]
        scheme = "ws" if protocol == "WEBSOCKET" else "http"
        return f"{scheme}://{api_id}.execute-api.localhost.localstack.cloud:{self.runtime.config.port}"

    def create_api(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        protocol = params["ProtocolType"]
        if protocol == "WEBSOCKET":
            if not params.get("RouteSelectionExpression"):
                raise bad_request("RouteSelectionExpression is required for a WEBSOCKET API.")
            if params.get("Target") or params.get("RouteKey") or params.get("CorsConfiguration"):
                raise bad_request("Target, RouteKey and CorsConfiguration apply only to HTTP APIs.")
        elif params.get("RouteSelectionExpression") not in (None, "${request.method} ${request.path}"):
            raise bad_request(
                "Unsupported RouteSelectionExpression for an HTTP API: use ${request.method} ${request.path}"
            )
        if (params.get("RouteKey") or params.get("CredentialsArn")) and not params.get("Target"):
            raise bad_request("RouteKey and CredentialsArn may be set only with a Target.")
        api_id = self.fresh_api_id()
        api = given(params, "Target", "RouteKey", "CredentialsArn")
        api.update(
            ApiId=api_id,
            ApiEndpoint=self.api_endpoint(api_id, protocol),
            CreatedDate=now(),
            Tags=dict(params.get("Tags") or {}),
            DisableExecuteApiEndpoint=bool(params.get("DisableExecuteApiEndpoint")),
            IpAddressType=params.get("IpAddressType") or "ipv4",
        )
        if protocol == "HTTP":
            api["RouteSelectionExpression"] = "$request.method $request.path"
            api.setdefault("ApiKeySelectionExpression", "$request.header.x-api-key")
        else:
            api.setdefault("ApiKeySelectionExpression", "$request.header.x-api-key")
        self.check_cors(api.get("CorsConfiguration"))
        _check_key_selection(api.get("ApiKeySelectionExpression"))
        doc = new_document(api)
        if params.get("Target"):
            self.quick_create(context, doc, params)
        self.save(context, doc)
        return public(api)

    def quick_create(  # type: ignore[misc]
        self: Provider, context: RequestContext, doc: dict[str, Any], params: dict[str, Any]
    ) -> None:
        """CreateApi with a Target: an integration (Lambda proxy or HTTP proxy), a route to it
        (`$default` unless RouteKey says), and the `$default` stage deploying automatically —
        all managed by API Gateway."""
        target = params["Target"]
        integration: dict[str, Any] = {
            "IntegrationId": new_id(),
            "ApiGatewayManaged": True,
            "ConnectionType": "INTERNET",
            "IntegrationUri": target,
            "TimeoutInMillis": 30000,
        }
        if _FUNCTION_ARN.match(target):
            integration.update(
                IntegrationType="AWS_PROXY", IntegrationMethod="POST", PayloadFormatVersion="2.0"
            )
        elif target.startswith(("http://", "https://")):
            integration.update(
                IntegrationType="HTTP_PROXY", IntegrationMethod="ANY", PayloadFormatVersion="1.0"
            )
        else:
            raise bad_request(f"Invalid target {target}: must be a Lambda function ARN or an HTTP URL.")
        if params.get("CredentialsArn"):
            integration["CredentialsArn"] = params["CredentialsArn"]
        doc["Integrations"][integration["IntegrationId"]] = integration
        route_key = params.get("RouteKey") or "$default"
        self.check_route_key(doc, route_key)
        route = {
            "RouteId": new_id(),
            "RouteKey": route_key,
            "Target": f"integrations/{integration['IntegrationId']}",
            "ApiGatewayManaged": True,
            "ApiKeyRequired": False,
            "AuthorizationType": "NONE",
        }
        doc["Routes"][route["RouteId"]] = route
        stage = self.new_stage(doc, {"StageName": "$default", "AutoDeploy": True})
        stage["ApiGatewayManaged"] = True
        doc["Stages"]["$default"] = stage
        self.auto_deploy(doc)

    def get_api(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        return public(self.load(context, params["ApiId"])["Api"])

    def get_apis(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        items = [public(doc["Api"]) for _, doc in self.apis.scan(self.scope_of(context))]
        items.sort(key=lambda api: api["CreatedDate"])
        return self.page("GetApis", params, items)

    def update_api(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        api = doc["Api"]
        changes = given(params, "ApiId", "Target", "RouteKey", "CredentialsArn")
        if api["ProtocolType"] == "HTTP" and changes.get("RouteSelectionExpression") not in (
            None,
            "${request.method} ${request.path}",
            "$request.method $request.path",
        ):
            raise bad_request("Unsupported RouteSelectionExpression for an HTTP API")
        if api["ProtocolType"] == "WEBSOCKET" and "CorsConfiguration" in changes:
            raise bad_request("CorsConfiguration applies only to HTTP APIs.")
        self.check_cors(changes.get("CorsConfiguration"))
        _check_key_selection(changes.get("ApiKeySelectionExpression"))
        api.update(changes)
        if api["ProtocolType"] == "HTTP":
            api["RouteSelectionExpression"] = "$request.method $request.path"
        if params.get("Target"):
            managed = [r for r in doc["Routes"].values() if r.get("ApiGatewayManaged")]
            for route in managed:
                integration_id = (route.get("Target") or "").partition("/")[2]
                if integration_id in doc["Integrations"]:
                    doc["Integrations"][integration_id]["IntegrationUri"] = params["Target"]
        self.auto_deploy(doc)
        self.save(context, doc)
        return public(api)

    def delete_api(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        self.load(context, params["ApiId"])
        self.drop(context, params["ApiId"])
        self.forget_api(params["ApiId"])
        self.close_connections(params["ApiId"])
        return {}

    def delete_cors_configuration(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        doc = self.load(context, params["ApiId"])
        doc["Api"].pop("CorsConfiguration", None)
        self.auto_deploy(doc)
        self.save(context, doc)
        return {}

    @staticmethod
    def check_cors(cors: dict[str, Any] | None) -> None:
        if not cors:
            return
        if cors.get("AllowCredentials") and "*" in (cors.get("AllowOrigins") or []):
            raise bad_request("allow-credentials is not supported when allow-origin is configured as *")
        max_age = cors.get("MaxAge")
        if max_age is not None and not -1 <= max_age <= 86400:
            raise bad_request("MaxAge must be between -1 and 86400")

    # -- routes ----------------------------------------------------------------------------------

    @staticmethod
    def check_route_key(doc: dict[str, Any], route_key: str, route_id: str | None = None) -> None:
        if doc["Api"]["ProtocolType"] == "HTTP" and not _HTTP_ROUTE_KEY.match(route_key):
            raise bad_request(
                f"Unable to create route {route_key}. The route key must be '$default' or a method "
                "and path such as 'GET /pets'."
            )
        for other in doc["Routes"].values():
            if other["RouteKey"] == route_key and other["RouteId"] != route_id:
                raise conflict(f"Unable to create route {route_key}. The route already exists.")

    def check_route(self, doc: dict[str, Any], route: dict[str, Any], context: RequestContext) -> None:
        target = route.get("Target")
        if target:
            kind, _, integration_id = target.partition("/")
            if kind != "integrations" or integration_id not in doc["Integrations"]:
                raise bad_request(f"Invalid target {target}: an integration of this API must be named.")
        auth = route.get("AuthorizationType") or "NONE"
        allowed = (
            ("NONE", "AWS_IAM", "CUSTOM", "JWT")
            if doc["Api"]["ProtocolType"] == "HTTP"
            else ("NONE", "AWS_IAM", "CUSTOM")
        )
        if auth not in allowed:
            raise bad_request(f"Invalid authorization type {auth}")
        if auth in ("CUSTOM", "JWT"):
            authorizer = doc["Authorizers"].get(route.get("AuthorizerId") or "")
            if authorizer is None:
                raise bad_request("An authorizer of this API must be named for authorization type " + auth)
            expected = "JWT" if auth == "JWT" else "REQUEST"
            if authorizer["AuthorizerType"] != expected:
                raise bad_request(f"Authorization type {auth} needs a {expected} authorizer.")
        if route.get("AuthorizationScopes") and auth != "JWT" and auth != "CUSTOM":
            raise bad_request("AuthorizationScopes apply only to JWT authorizers.")

    def create_route(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        self.check_route_key(doc, params["RouteKey"])
        route = given(params, "ApiId")
        route.update(RouteId=new_id(), ApiKeyRequired=bool(params.get("ApiKeyRequired")))
        route.setdefault("AuthorizationType", "NONE")
        if doc["Api"]["ProtocolType"] == "HTTP" and route.get("RouteResponseSelectionExpression"):
            raise bad_request("RouteResponseSelectionExpression applies only to WebSocket APIs.")
        self.check_route(doc, route, context)
        doc["Routes"][route["RouteId"]] = route
        self.auto_deploy(doc)
        self.save(context, doc)
        return public(route)

    def get_route(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        return public(_child(self.load(context, params["ApiId"]), "route", params["RouteId"], context))

    def get_routes(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        return self.page("GetRoutes", params, [public(r) for r in doc["Routes"].values()])

    def update_route(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        route = _child(doc, "route", params["RouteId"], context)
        changes = given(params, "ApiId", "RouteId")
        if "RouteKey" in changes:
            self.check_route_key(doc, changes["RouteKey"], route["RouteId"])
        updated = {**route, **changes}
        if updated.get("AuthorizationType") == "NONE":
            updated.pop("AuthorizerId", None)
        self.check_route(doc, updated, context)
        doc["Routes"][route["RouteId"]] = updated
        self.auto_deploy(doc)
        self.save(context, doc)
        return public(updated)

    def delete_route(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        route = _child(doc, "route", params["RouteId"], context)
        del doc["Routes"][route["RouteId"]]
        doc["RouteResponses"].pop(route["RouteId"], None)
        self.auto_deploy(doc)
        self.save(context, doc)
        return {}

    def delete_route_request_parameter(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        doc = self.load(context, params["ApiId"])
        route = _child(doc, "route", params["RouteId"], context)
        parameters = route.get("RequestParameters") or {}
        if params["RequestParameterKey"] not in parameters:
            raise not_found(f"Invalid parameter name specified {params['RequestParameterKey']}")
        del parameters[params["RequestParameterKey"]]
        self.auto_deploy(doc)
        self.save(context, doc)
        return {}

    # -- route responses -------------------------------------------------------------------------

    def _route_responses(
        self, doc: dict[str, Any], params: dict[str, Any], context: RequestContext
    ) -> dict[str, Any]:
        route = _child(doc, "route", params["RouteId"], context)
        return doc["RouteResponses"].setdefault(route["RouteId"], {})

    def _route_response(
        self, doc: dict[str, Any], params: dict[str, Any], context: RequestContext
    ) -> dict[str, Any]:
        found = self._route_responses(doc, params, context).get(params["RouteResponseId"])
        if found is None:
            raise not_found(
                f"Invalid RouteResponse identifier specified {params['RouteResponseId']}",
                "RouteResponse",
            )
        return found

    def create_route_response(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        doc = self.load(context, params["ApiId"])
        responses = self._route_responses(doc, params, context)
        if any(r["RouteResponseKey"] == params["RouteResponseKey"] for r in responses.values()):
            raise conflict(f"Route response {params['RouteResponseKey']} already exists for this route.")
        record = given(params, "ApiId", "RouteId")
        record["RouteResponseId"] = new_id()
        responses[record["RouteResponseId"]] = record
        self.auto_deploy(doc)
        self.save(context, doc)
        return public(record)

    def get_route_response(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        return public(self._route_response(self.load(context, params["ApiId"]), params, context))

    def get_route_responses(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        doc = self.load(context, params["ApiId"])
        items = [public(r) for r in self._route_responses(doc, params, context).values()]
        return self.page("GetRouteResponses", params, items)

    def update_route_response(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        doc = self.load(context, params["ApiId"])
        record = self._route_response(doc, params, context)
        record.update(given(params, "ApiId", "RouteId", "RouteResponseId"))
        self.auto_deploy(doc)
        self.save(context, doc)
        return public(record)

    def delete_route_response(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        doc = self.load(context, params["ApiId"])
        self._route_response(doc, params, context)
        del doc["RouteResponses"][params["RouteId"]][params["RouteResponseId"]]
        self.auto_deploy(doc)
        self.save(context, doc)
        return {}

    # -- integrations ----------------------------------------------------------------------------

    def check_integration(self, doc: dict[str, Any], record: dict[str, Any]) -> None:
        protocol = doc["Api"]["ProtocolType"]
        kind = record["IntegrationType"]
        if kind not in _INTEGRATION_TYPES[protocol]:
            raise bad_request(f"Integration type {kind} is not supported for {protocol} APIs.")
        subtype = record.get("IntegrationSubtype")
        if subtype:
            from overcast.services.apigatewayv2.services import SUBTYPES, check_parameters

            if protocol != "HTTP" or kind != "AWS_PROXY":
                raise bad_request("IntegrationSubtype applies only to AWS_PROXY integrations of HTTP APIs.")
            if subtype not in SUBTYPES:
                raise bad_request(f"Unsupported integration subtype {subtype}")
            check_parameters(subtype, record.get("RequestParameters"))
        elif kind != "MOCK" and not record.get("IntegrationUri"):
            raise bad_request(f"IntegrationUri is required for {kind} integrations.")
        if kind == "HTTP_PROXY" and protocol == "HTTP" and not record.get("IntegrationMethod"):
            raise bad_request("IntegrationMethod is required for HTTP_PROXY integrations.")
        version = record.get("PayloadFormatVersion")
        if version not in (None, "1.0", "2.0"):
            raise bad_request(f"Invalid payload format version {version}")
        if version == "2.0" and (protocol != "HTTP" or kind != "AWS_PROXY"):
            raise bad_request(
                "Payload format version 2.0 applies only to Lambda proxy integrations of HTTP APIs."
            )
        timeout = record.get("TimeoutInMillis")
        if timeout is not None and not 50 <= timeout <= (30000 if protocol == "HTTP" else 29000):
            raise bad_request("TimeoutInMillis is out of range")

    def create_integration(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        record = given(params, "ApiId")
        protocol = doc["Api"]["ProtocolType"]
        record["IntegrationId"] = new_id()
        record.setdefault("ConnectionType", "INTERNET")
        record.setdefault("TimeoutInMillis", 30000 if protocol == "HTTP" else 29000)
        if protocol == "HTTP":
            record.setdefault(
                "PayloadFormatVersion",
                "2.0"
                if record["IntegrationType"] == "AWS_PROXY" and not record.get("IntegrationSubtype")
                else "1.0",
            )
        else:
            record.setdefault("PayloadFormatVersion", "1.0")
            if record["IntegrationType"] in ("AWS", "HTTP", "MOCK"):
                record.setdefault("PassthroughBehavior", "WHEN_NO_MATCH")
                record["IntegrationResponseSelectionExpression"] = "${integration.response.statuscode}"
        if record["IntegrationType"] == "AWS_PROXY" and not record.get("IntegrationSubtype"):
            record.setdefault("IntegrationMethod", "POST")
        self.check_integration(doc, record)
        doc["Integrations"][record["IntegrationId"]] = record
        self.auto_deploy(doc)
        self.save(context, doc)
        return public(record)

    def get_integration(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        return public(
            _child(self.load(context, params["ApiId"]), "integration", params["IntegrationId"], context)
        )

    def get_integrations(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        return self.page("GetIntegrations", params, [public(r) for r in doc["Integrations"].values()])

    def update_integration(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        record = _child(doc, "integration", params["IntegrationId"], context)
        changes = given(params, "ApiId", "IntegrationId")
        if "RequestParameters" in changes:
            # A parameter given an empty value is removed.
            merged = {**(record.get("RequestParameters") or {}), **changes["RequestParameters"]}
            changes["RequestParameters"] = {k: v for k, v in merged.items() if v != ""}
        updated = {**record, **changes}
        self.check_integration(doc, updated)
        doc["Integrations"][record["IntegrationId"]] = updated
        self.auto_deploy(doc)
        self.save(context, doc)
        return public(updated)

    def delete_integration(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        record = _child(doc, "integration", params["IntegrationId"], context)
        target = f"integrations/{record['IntegrationId']}"
        if any(route.get("Target") == target for route in doc["Routes"].values()):
            raise conflict("Cannot delete an integration that routes still target.")
        del doc["Integrations"][record["IntegrationId"]]
        doc["IntegrationResponses"].pop(record["IntegrationId"], None)
        self.auto_deploy(doc)
        self.save(context, doc)
        return {}

    # -- integration responses -------------------------------------------------------------------

    def _integration_responses(
        self, doc: dict[str, Any], params: dict[str, Any], context: RequestContext
    ) -> dict[str, Any]:
        record = _child(doc, "integration", params["IntegrationId"], context)
        return doc["IntegrationResponses"].setdefault(record["IntegrationId"], {})

    def _integration_response(
        self, doc: dict[str, Any], params: dict[str, Any], context: RequestContext
    ) -> dict[str, Any]:
        found = self._integration_responses(doc, params, context).get(params["IntegrationResponseId"])
        if found is None:
            raise not_found(
                f"Invalid IntegrationResponse identifier specified {params['IntegrationResponseId']}",
                "IntegrationResponse",
            )
        return found

    def create_integration_response(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        doc = self.load(context, params["ApiId"])
        responses = self._integration_responses(doc, params, context)
        if any(r["IntegrationResponseKey"] == params["IntegrationResponseKey"] for r in responses.values()):
            raise conflict(f"Integration response {params['IntegrationResponseKey']} already exists.")
        record = given(params, "ApiId", "IntegrationId")
        record["IntegrationResponseId"] = new_id()
        responses[record["IntegrationResponseId"]] = record
        self.auto_deploy(doc)
        self.save(context, doc)
        return public(record)

    def get_integration_response(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return public(self._integration_response(self.load(context, params["ApiId"]), params, context))

    def get_integration_responses(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        doc = self.load(context, params["ApiId"])
        items = [public(r) for r in self._integration_responses(doc, params, context).values()]
        return self.page("GetIntegrationResponses", params, items)

    def update_integration_response(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        doc = self.load(context, params["ApiId"])
        record = self._integration_response(doc, params, context)
        record.update(given(params, "ApiId", "IntegrationId", "IntegrationResponseId"))
        self.auto_deploy(doc)
        self.save(context, doc)
        return public(record)

    def delete_integration_response(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        doc = self.load(context, params["ApiId"])
        self._integration_response(doc, params, context)
        del doc["IntegrationResponses"][params["IntegrationId"]][params["IntegrationResponseId"]]
        self.auto_deploy(doc)
        self.save(context, doc)
        return {}

    # -- authorizers -----------------------------------------------------------------------------

    def check_authorizer(self, doc: dict[str, Any], record: dict[str, Any]) -> None:
        protocol = doc["Api"]["ProtocolType"]
        kind = record["AuthorizerType"]
        if kind not in _AUTHORIZER_TYPES[protocol]:
            raise bad_request(f"Authorizer type {kind} is not supported for {protocol} APIs.")
        if kind == "JWT":
            jwt = record.get("JwtConfiguration") or {}
            if not jwt.get("Issuer") or not jwt.get("Audience"):
                raise bad_request("JwtConfiguration needs an Issuer and an Audience.")
        else:
            if not record.get("AuthorizerUri"):
                raise bad_request("AuthorizerUri is required for REQUEST authorizers.")
            if protocol == "HTTP" and record.get("AuthorizerPayloadFormatVersion") not in ("1.0", "2.0"):
                raise bad_request(
                    "AuthorizerPayloadFormatVersion is a required parameter for REQUEST authorizer"
                )
            if record.get("EnableSimpleResponses") and record.get("AuthorizerPayloadFormatVersion") != "2.0":
                raise bad_request("Simple responses need authorizer payload format version 2.0.")
        ttl = record.get("AuthorizerResultTtlInSeconds")
        if ttl is not None and not 0 <= ttl <= 3600:
            raise bad_request("AuthorizerResultTtlInSeconds must be between 0 and 3600")
        if ttl and not record.get("IdentitySource"):
            raise bad_request("Caching needs an identity source.")

    def create_authorizer(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        record = given(params, "ApiId")
        record["AuthorizerId"] = new_id(6)
        if record["AuthorizerType"] == "REQUEST":
            record.setdefault("AuthorizerResultTtlInSeconds", 0)
        self.check_authorizer(doc, record)
        doc["Authorizers"][record["AuthorizerId"]] = record
        self.auto_deploy(doc)
        self.save(context, doc)
        return public(record)

    def get_authorizer(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        return public(
            _child(self.load(context, params["ApiId"]), "authorizer", params["AuthorizerId"], context)
        )

    def get_authorizers(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        return self.page("GetAuthorizers", params, [public(r) for r in doc["Authorizers"].values()])

    def update_authorizer(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        record = _child(doc, "authorizer", params["AuthorizerId"], context)
        updated = {**record, **given(params, "ApiId", "AuthorizerId")}
        self.check_authorizer(doc, updated)
        doc["Authorizers"][record["AuthorizerId"]] = updated
        self.auto_deploy(doc)
        self.save(context, doc)
        self.forget_authorizer(doc["Api"]["ApiId"])
        return public(updated)

    def delete_authorizer(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        record = _child(doc, "authorizer", params["AuthorizerId"], context)
        if any(route.get("AuthorizerId") == record["AuthorizerId"] for route in doc["Routes"].values()):
            raise conflict("Cannot delete an authorizer that routes still use.")
        del doc["Authorizers"][record["AuthorizerId"]]
        self.auto_deploy(doc)
        self.save(context, doc)
        return {}

    def reset_authorizers_cache(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        doc = self.load(context, params["ApiId"])
        _child(doc, "stage", params["StageName"], context)
        self.forget_authorizer(params["ApiId"], params["StageName"])
        return {}

    # -- models ----------------------------------------------------------------------------------

    @staticmethod
    def check_model(doc: dict[str, Any], record: dict[str, Any], model_id: str | None = None) -> None:
        if not re.fullmatch(r"[A-Za-z0-9]+", record["Name"]):
            raise bad_request("Model name must be alphanumeric.")
        try:
            schema = json.loads(record["Schema"])
        except ValueError:
            raise bad_request("Invalid model schema specified: the schema is not valid JSON.") from None
        if not isinstance(schema, dict):
            raise bad_request("Invalid model schema specified: the schema must be a JSON object.")
        for other in doc["Models"].values():
            if other["Name"] == record["Name"] and other["ModelId"] != model_id:
                raise conflict(f"Model name already exists for this API: {record['Name']}")

    def create_model(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        record = given(params, "ApiId")
        record["ModelId"] = new_id(6)
        record.setdefault("ContentType", "application/json")
        self.check_model(doc, record)
        doc["Models"][record["ModelId"]] = record
        self.save(context, doc)
        return public(record)

    def get_model(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        return public(_child(self.load(context, params["ApiId"]), "model", params["ModelId"], context))

    def get_models(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        return self.page("GetModels", params, [public(r) for r in doc["Models"].values()])

    def get_model_template(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        from overcast.services.apigatewayv2.openapi import model_template

        doc = self.load(context, params["ApiId"])
        record = _child(doc, "model", params["ModelId"], context)
        return {"Value": model_template(json.loads(record["Schema"]))}

    def update_model(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        record = _child(doc, "model", params["ModelId"], context)
        updated = {**record, **given(params, "ApiId", "ModelId")}
        self.check_model(doc, updated, record["ModelId"])
        doc["Models"][record["ModelId"]] = updated
        self.save(context, doc)
        return public(updated)

    def delete_model(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        record = _child(doc, "model", params["ModelId"], context)
        del doc["Models"][record["ModelId"]]
        self.save(context, doc)
        return {}

    # -- tags ------------------------------------------------------------------------------------

    def tagged(self: Provider, context: RequestContext, arn: str) -> tuple[Any, ...]:  # type: ignore[misc]
        """(read, write) of the tags of the resource an ARN names; NotFoundException."""
        path = arn.split("::", 1)[1] if "::" in arn else ""
        parts = path.strip("/").split("/")
        scope = self.scope_of(context)
        if len(parts) == 2 and parts[0] == "apis":
            doc = self.load(context, parts[1])
            return doc["Api"], lambda: self.save(context, doc)
        if len(parts) == 4 and parts[0] == "apis" and parts[2] == "stages":
            doc = self.load(context, parts[1])
            return _child(doc, "stage", parts[3], context), lambda: self.save(context, doc)
        tables = {
            "domainnames": self.domains,
            "vpclinks": self.vpc_links,
            "portals": self.portals,
            "portalproducts": self.products,
        }
        if len(parts) == 2 and parts[0] in tables:
            table = tables[parts[0]]
            record = table.get(scope, parts[1])
            if record is not None:

                def write() -> None:
                    table.put(scope, parts[1], record)
                    self.domain_records.pop(parts[1], None)

                return record, write
        raise not_found(f"Invalid resource identifier specified {arn}")

    def get_tags(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        record, _ = self.tagged(context, params["ResourceArn"])
        return {"Tags": dict(record.get("Tags") or {})}

    def tag_resource(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        record, write = self.tagged(context, params["ResourceArn"])
        tags = {**(record.get("Tags") or {}), **(params.get("Tags") or {})}
        if len(tags) > 50:
            raise bad_request("A resource can have at most 50 tags.")
        record["Tags"] = tags
        write()
        return {}

    def untag_resource(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        record, write = self.tagged(context, params["ResourceArn"])
        record["Tags"] = {
            k: v for k, v in (record.get("Tags") or {}).items() if k not in (params.get("TagKeys") or [])
        }
        write()
        return {}
