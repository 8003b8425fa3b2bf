"""REST APIs and what they hold: resources, methods, method responses, integrations and
integration responses, models, request validators, authorizers, gateway responses.

A REST API is one stored document (table "apis", key: its id) holding every part of it, so an
operation reads and writes one row; deployments keep a snapshot of the parts a stage serves."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from overcast.common import jsontext
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.apigateway.common import (
    apply_patch,
    bad_request,
    conflict,
    new_id,
    not_found,
    now,
    public,
)

if TYPE_CHECKING:
    from overcast.services.apigateway.provider import Provider

PATH_PART = re.compile(r"^(?:[A-Za-z0-9._:-]+|\{[A-Za-z0-9._:-]+\+?\})$")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")
STATUS_CODE = re.compile(r"^[1-5]\d\d$")
INTEGRATION_TYPES = ("HTTP", "AWS", "MOCK", "HTTP_PROXY", "AWS_PROXY")
AUTHORIZER_TYPES = ("TOKEN", "REQUEST", "COGNITO_USER_POOLS")
MODEL_NAME = re.compile(r"^[A-Za-z0-9]+$")
#: The largest minimumCompressionSize (10 MiB), as CreateRestApi states its range.
MAX_COMPRESSION_SIZE = 10485760

EMPTY_SCHEMA = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "title": "Empty Schema",
    "type": "object",
}
ERROR_SCHEMA = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "title": "Error Schema",
    "type": "object",
    "properties": {"message": {"type": "string"}},
}

#: The gateway response types, with the status each answers by default (None: by the error).
GATEWAY_RESPONSES: dict[str, str | None] = {
    "DEFAULT_4XX": None,
    "DEFAULT_5XX": None,
    "ACCESS_DENIED": "403",
    "API_CONFIGURATION_ERROR": "500",
    "AUTHORIZER_CONFIGURATION_ERROR": "500",
    "AUTHORIZER_FAILURE": "500",
    "BAD_REQUEST_BODY": "400",
    "BAD_REQUEST_PARAMETERS": "400",
    "EXPIRED_TOKEN": "403",
    "INTEGRATION_FAILURE": "504",
    "INTEGRATION_TIMEOUT": "504",
    "INVALID_API_KEY": "403",
    "INVALID_SIGNATURE": "403",
    "MISSING_AUTHENTICATION_TOKEN": "403",
    "QUOTA_EXCEEDED": "429",
    "REQUEST_TOO_LARGE": "413",
    "RESOURCE_NOT_FOUND": "404",
    "THROTTLED": "429",
    "UNAUTHORIZED": "401",
    "UNSUPPORTED_MEDIA_TYPE": "415",
    "WAF_FILTERED": "403",
}
DEFAULT_RESPONSE_TEMPLATE = '{"message":$context.error.messageString}'


def _model(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": new_id(6),
        "name": name,
        "description": f"This is a default {name.lower()} schema model",
        "schema": json.dumps(schema, indent=2),
        "contentType": "application/json",
    }


def new_document(api: dict[str, Any]) -> dict[str, Any]:
    root = new_id(10)
    api["rootResourceId"] = root
    return {
        "api": api,
        "resources": {root: {"id": root, "path": "/", "resourceMethods": {}}},
        "models": {"Empty": _model("Empty", EMPTY_SCHEMA), "Error": _model("Error", ERROR_SCHEMA)},
        "validators": {},
        "authorizers": {},
        "deployments": {},
        "stages": {},
        "responses": {},
        "parts": {},
        "versions": {},
    }


def method_out(method: dict[str, Any]) -> dict[str, Any]:
    out = public(method)
    integration = out.get("methodIntegration")
    if integration is not None:
        out["methodIntegration"] = public(integration)
    return out


def resource_out(resource: dict[str, Any], embed: bool) -> dict[str, Any]:
    out = public(resource)
    methods = resource.get("resourceMethods") or {}
    if methods:
        out["resourceMethods"] = (
            {verb: method_out(method) for verb, method in methods.items()}
            if embed
            else {verb: {} for verb in methods}
        )
    else:
        out.pop("resourceMethods", None)
    return out


def find_resource(doc: dict[str, Any], resource_id: str) -> dict[str, Any]:
    resource = doc["resources"].get(resource_id)
    if resource is None:
        raise not_found("Invalid Resource identifier specified")
    return resource


def find_method(doc: dict[str, Any], resource_id: str, verb: str) -> dict[str, Any]:
    method = (find_resource(doc, resource_id).get("resourceMethods") or {}).get(verb.upper())
    if method is None:
        raise not_found("Invalid Method identifier specified")
    return method


def find_integration(doc: dict[str, Any], resource_id: str, verb: str) -> dict[str, Any]:
    integration = find_method(doc, resource_id, verb).get("methodIntegration")
    if integration is None:
        raise not_found("Invalid Integration identifier specified")
    return integration


def _check_status(code: str) -> None:
    if not STATUS_CODE.match(code):
        raise bad_request("Invalid status code specified. Status code must be a 3-digit number.")


class RestApisMixin:
    # -- REST APIs -------------------------------------------------------------------------------

    def create_rest_api(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        if params.get("description") == "":
            raise bad_request("Description cannot be an empty string")
        size = params.get("minimumCompressionSize")
        if size is not None and not 0 <= size <= MAX_COMPRESSION_SIZE:
            raise bad_request(
                f"Invalid minimum compression size, must be between 0 and {MAX_COMPRESSION_SIZE}"
            )
        if params.get("cloneFrom"):
            source = self.load(context, params["cloneFrom"])
            doc = jsontext.loads(json.dumps(source))
            doc["deployments"], doc["stages"] = {}, {}
            api = doc["api"]
            api.update({"id": self.fresh_api_id(), "name": params["name"], "createdDate": now()})
        else:
            api = {"id": self.fresh_api_id(), "name": params["name"], "createdDate": now()}
            doc = new_document(api)
        for key in (
            "description",
            "version",
            "binaryMediaTypes",
            "minimumCompressionSize",
            "policy",
            "securityPolicy",
            "endpointAccessMode",
        ):
            if params.get(key) is not None:
                api[key] = params[key]
        api["apiKeySource"] = params.get("apiKeySource") or api.get("apiKeySource") or "HEADER"
        if api["apiKeySource"] not in ("HEADER", "AUTHORIZER"):
            raise bad_request("Invalid API Key source specified. Must be 'HEADER' or 'AUTHORIZER'")
        endpoint = params.get("endpointConfiguration") or {"types": ["EDGE"]}
        endpoint.setdefault("types", ["EDGE"])
        if endpoint.get("types") and endpoint["types"][0] not in ("EDGE", "REGIONAL", "PRIVATE"):
            raise bad_request("Invalid endpoint configuration type specified.")
        # PRIVATE APIs answer on both IP versions; the others on IPv4 unless asked.
        endpoint.setdefault("ipAddressType", "dualstack" if endpoint["types"] == ["PRIVATE"] else "ipv4")
        api["endpointConfiguration"] = endpoint
        api["disableExecuteApiEndpoint"] = bool(params.get("disableExecuteApiEndpoint", False))
        api["tags"] = dict(params.get("tags") or {})
        api["apiStatus"] = "AVAILABLE"
        self.save(context, doc)
        return self.api_out(doc)

    def api_out(self, doc: dict[str, Any]) -> dict[str, Any]:
        return public(doc["api"])

    def get_rest_api(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self.api_out(self.load(context, params["restApiId"]))

    def get_rest_apis(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        docs = sorted(self.documents(context), key=lambda doc: doc["api"]["createdDate"])
        return self.page("GetRestApis", params, [self.api_out(doc) for doc in docs])

    def update_rest_api(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        api = apply_patch(
            doc["api"],
            params.get("patchOperations"),
            "RestApi",
            readonly=("id", "createdDate", "rootResourceId", "warnings", "tags", "apiStatus"),
        )
        if api.get("apiKeySource") not in ("HEADER", "AUTHORIZER"):
            raise bad_request("Invalid API Key source specified. Must be 'HEADER' or 'AUTHORIZER'")
        doc["api"] = api
        self.save(context, doc)
        return self.api_out(doc)

    def delete_rest_api(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        for plan_scope, plan_id, plan in self.plans_using(context, doc["api"]["id"]):
            plan["apiStages"] = [s for s in plan.get("apiStages") or [] if s.get("apiId") != doc["api"]["id"]]
            self.plans.put(plan_scope, plan_id, plan)
        self.drop(context, doc["api"]["id"])
        return {}

    # -- resources -------------------------------------------------------------------------------

    def create_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        parent = doc["resources"].get(params["parentId"])
        if parent is None:
            raise not_found("Invalid Resource identifier specified")
        part = params["pathPart"]
        if not PATH_PART.match(part):
            raise bad_request(
                "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end "
                "and an optional plus sign before the closing brace."
            )
        for sibling in doc["resources"].values():
            if sibling.get("parentId") == parent["id"]:
                if sibling["pathPart"] == part:
                    raise conflict(f"Another resource with the same parent already has this name: {part}")
                if part.startswith("{") and sibling["pathPart"].startswith("{"):
                    raise bad_request(
                        "A sibling ({"
                        + sibling["pathPart"].strip("{}+")
                        + "}) of this resource already has a "
                        "variable path part -- only one is allowed"
                    )
        if parent["pathPart" if "pathPart" in parent else "path"].endswith("+}"):
            raise bad_request("Cannot create a child of a resource with a greedy path variable")
        resource_id = new_id(6)
        path = ("" if parent["path"] == "/" else parent["path"]) + "/" + part
        resource = {"id": resource_id, "parentId": parent["id"], "pathPart": part, "path": path}
        resource["resourceMethods"] = {}
        doc["resources"][resource_id] = resource
        self.save(context, doc)
        return resource_out(resource, False)

    def get_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        return resource_out(find_resource(doc, params["resourceId"]), True)

    def get_resources(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        embed = "methods" in (params.get("embed") or [])
        items = [resource_out(r, embed) for r in sorted(doc["resources"].values(), key=lambda r: r["path"])]
        return self.page("GetResources", params, items, default_limit=25)

    def update_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        resource = find_resource(doc, params["resourceId"])
        patched = apply_patch(
            resource, params.get("patchOperations"), "Resource", readonly=("id", "path", "resourceMethods")
        )
        if patched.get("parentId") != resource.get("parentId") or patched.get("pathPart") != resource.get(
            "pathPart"
        ):
            parent = find_resource(doc, patched["parentId"])
            if not PATH_PART.match(patched.get("pathPart") or ""):
                raise bad_request("Invalid path part specified")
            resource.update(patched)
            self._repath(doc, resource, parent)
        self.save(context, doc)
        return resource_out(resource, True)

    def _repath(self, doc: dict[str, Any], resource: dict[str, Any], parent: dict[str, Any]) -> None:
        resource["path"] = ("" if parent["path"] == "/" else parent["path"]) + "/" + resource["pathPart"]
        for child in doc["resources"].values():
            if child.get("parentId") == resource["id"]:
                self._repath(doc, child, resource)

    def delete_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        resource = find_resource(doc, params["resourceId"])
        if resource["id"] == doc["api"]["rootResourceId"]:
            raise bad_request("Cannot delete root resource")
        doomed = {resource["id"]}
        grew = True
        while grew:
            grew = False
            for child in doc["resources"].values():
                if child.get("parentId") in doomed and child["id"] not in doomed:
                    doomed.add(child["id"])
                    grew = True
        for resource_id in doomed:
            del doc["resources"][resource_id]
        self.save(context, doc)
        return {}

    # -- methods ---------------------------------------------------------------------------------

    def put_method(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        resource = find_resource(doc, params["resourceId"])
        verb = params["httpMethod"].upper()
        if verb not in HTTP_METHODS:
            raise bad_request("Invalid HttpMethod specified. Valid options are " + ",".join(HTTP_METHODS))
        auth = params["authorizationType"].upper()
        if auth not in ("NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS"):
            raise bad_request(
                "Invalid authorization type specified. Valid options are NONE,AWS_IAM,CUSTOM,COGNITO_USER_POOLS"
            )
        if auth in ("CUSTOM", "COGNITO_USER_POOLS"):
            authorizer_id = params.get("authorizerId")
            if not authorizer_id or authorizer_id not in doc["authorizers"]:
                raise bad_request(
                    "Invalid authorizer ID specified. Setting the authorization type to "
                    f"{auth} requires a valid authorizer."
                )
        validator = params.get("requestValidatorId")
        if validator and validator not in doc["validators"]:
            raise bad_request("Invalid Request Validator identifier specified")
        for model in (params.get("requestModels") or {}).values():
            if model not in doc["models"]:
                raise bad_request(f"Invalid model identifier specified: {model}")
        method: dict[str, Any] = {
            "httpMethod": verb,
            "authorizationType": auth,
            "apiKeyRequired": bool(params.get("apiKeyRequired", False)),
        }
        for key in (
            "authorizerId",
            "operationName",
            "requestParameters",
            "requestModels",
            "requestValidatorId",
            "authorizationScopes",
        ):
            if params.get(key) is not None:
                method[key] = params[key]
        resource.setdefault("resourceMethods", {})[verb] = method
        self.save(context, doc)
        return method_out(method)

    def get_method(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        return method_out(find_method(doc, params["resourceId"], params["httpMethod"]))

    def update_method(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        method = find_method(doc, params["resourceId"], params["httpMethod"])
        patched = apply_patch(
            method,
            params.get("patchOperations"),
            "Method",
            readonly=("httpMethod", "methodIntegration", "methodResponses"),
        )
        if patched.get("authorizationType") in ("CUSTOM", "COGNITO_USER_POOLS") and (
            patched.get("authorizerId") not in doc["authorizers"]
        ):
            raise bad_request("Invalid authorizer ID specified.")
        method.clear()
        method.update(patched)
        self.save(context, doc)
        return method_out(method)

    def delete_method(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        find_method(doc, params["resourceId"], params["httpMethod"])
        del find_resource(doc, params["resourceId"])["resourceMethods"][params["httpMethod"].upper()]
        self.save(context, doc)
        return {}

    # -- method responses ------------------------------------------------------------------------

    def put_method_response(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        method = find_method(doc, params["resourceId"], params["httpMethod"])
        _check_status(params["statusCode"])
        response: dict[str, Any] = {"statusCode": params["statusCode"]}
        for key in ("responseParameters", "responseModels"):
            if params.get(key) is not None:
                response[key] = params[key]
        method.setdefault("methodResponses", {})[params["statusCode"]] = response
        self.save(context, doc)
        return response

    def _method_response(self, doc: dict, params: dict) -> dict[str, Any]:
        method = find_method(doc, params["resourceId"], params["httpMethod"])
        response = (method.get("methodResponses") or {}).get(params["statusCode"])
        if response is None:
            raise not_found("Invalid Response status code specified")
        return response

    def get_method_response(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return dict(self._method_response(self.load(context, params["restApiId"]), params))

    def update_method_response(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        response = self._method_response(doc, params)
        patched = apply_patch(
            response, params.get("patchOperations"), "MethodResponse", readonly=("statusCode",)
        )
        response.clear()
        response.update(patched)
        self.save(context, doc)
        return dict(response)

    def delete_method_response(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        self._method_response(doc, params)
        del find_method(doc, params["resourceId"], params["httpMethod"])["methodResponses"][
            params["statusCode"]
        ]
        self.save(context, doc)
        return {}

    # -- integrations ----------------------------------------------------------------------------

    def put_integration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        method = find_method(doc, params["resourceId"], params["httpMethod"])
        kind = params["type"]
        if kind not in INTEGRATION_TYPES:
            raise bad_request(
                "Invalid integration type specified. Valid options are " + ",".join(INTEGRATION_TYPES)
            )
        uri = params.get("uri")
        verb = params.get("integrationHttpMethod")
        if kind != "MOCK":
            if not uri:
                raise bad_request(
                    "Enumeration value for HttpMethod must be non-empty"
                    if not verb
                    else "Invalid HTTP endpoint specified for URI"
                )
            if not verb:
                raise bad_request("Enumeration value for HttpMethod must be non-empty")
            if kind in ("HTTP", "HTTP_PROXY") and not re.match(r"^https?://", uri):
                raise bad_request("Invalid HTTP endpoint specified for URI")
            if kind in ("AWS", "AWS_PROXY") and not uri.startswith("arn:"):
                raise bad_request("Invalid ARN specified in the request")
            if kind in ("AWS", "AWS_PROXY") and not re.match(
                r"^arn:[^:]+:apigateway:[^:]*:[^:]+:(?:[^:]*:)?(?:path|action)/", uri
            ):
                raise bad_request("AWS ARN for integration must contain path or action")
            credentials = params.get("credentials") or ""
            if kind == "AWS" and ":lambda:path/" not in uri and not credentials:
                raise bad_request("Role ARN must be specified for AWS integrations")
            role_account = credentials.split(":")[4] if credentials.count(":") >= 5 else ""
            if role_account not in ("", "*", context.account):
                raise ServiceError("AccessDeniedException", "Cross-account pass role is not allowed.", 403)
            if kind == "AWS_PROXY" and ":lambda:path/" not in uri:
                raise bad_request(
                    "Integrations of type 'AWS_PROXY' currently only supports Lambda function "
                    "and Firehose stream invocations."
                )
        passthrough = params.get("passthroughBehavior") or "WHEN_NO_MATCH"
        if passthrough not in ("WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER"):
            raise bad_request(
                "Invalid passthrough behavior specified. Valid options are "
                "WHEN_NO_MATCH,WHEN_NO_TEMPLATES,NEVER"
            )
        integration: dict[str, Any] = {
            "type": kind,
            "passthroughBehavior": passthrough,
            "timeoutInMillis": params.get("timeoutInMillis") or 29000,
            "cacheNamespace": params.get("cacheNamespace") or params["resourceId"],
            "cacheKeyParameters": params.get("cacheKeyParameters") or [],
            "connectionType": params.get("connectionType") or "INTERNET",
        }
        if verb:
            integration["httpMethod"] = verb.upper()
        for key in (
            "uri",
            "connectionId",
            "credentials",
            "requestParameters",
            "requestTemplates",
            "contentHandling",
            "tlsConfig",
            "responseTransferMode",
            "integrationTarget",
        ):
            if params.get(key) is not None:
                integration[key] = params[key]
        old = method.get("methodIntegration") or {}
        if old.get("integrationResponses"):
            integration["integrationResponses"] = old["integrationResponses"]
        method["methodIntegration"] = integration
        self.save(context, doc)
        return public(integration)

    def get_integration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        return public(find_integration(doc, params["resourceId"], params["httpMethod"]))

    def update_integration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        integration = find_integration(doc, params["resourceId"], params["httpMethod"])
        patched = apply_patch(
            integration, params.get("patchOperations"), "Integration", readonly=("integrationResponses",)
        )
        integration.clear()
        integration.update(patched)
        self.save(context, doc)
        return public(integration)

    def delete_integration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        find_integration(doc, params["resourceId"], params["httpMethod"])
        del find_method(doc, params["resourceId"], params["httpMethod"])["methodIntegration"]
        self.save(context, doc)
        return {}

    # -- integration responses -------------------------------------------------------------------

    def put_integration_response(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        integration = find_integration(doc, params["resourceId"], params["httpMethod"])
        _check_status(params["statusCode"])
        pattern = params.get("selectionPattern")
        if pattern:
            try:
                re.compile(pattern)
            except re.error:
                raise bad_request(f"Invalid selection pattern specified: {pattern}") from None
        response: dict[str, Any] = {"statusCode": params["statusCode"]}
        for key in ("selectionPattern", "responseParameters", "responseTemplates", "contentHandling"):
            if params.get(key) is not None:
                response[key] = params[key]
        integration.setdefault("integrationResponses", {})[params["statusCode"]] = response
        self.save(context, doc)
        return response

    def _integration_response(self, doc: dict, params: dict) -> dict[str, Any]:
        integration = find_integration(doc, params["resourceId"], params["httpMethod"])
        response = (integration.get("integrationResponses") or {}).get(params["statusCode"])
        if response is None:
            raise not_found("Invalid Response status code specified")
        return response

    def get_integration_response(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return dict(self._integration_response(self.load(context, params["restApiId"]), params))

    def update_integration_response(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        response = self._integration_response(doc, params)
        patched = apply_patch(
            response, params.get("patchOperations"), "IntegrationResponse", readonly=("statusCode",)
        )
        response.clear()
        response.update(patched)
        self.save(context, doc)
        return dict(response)

    def delete_integration_response(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        self._integration_response(doc, params)
        integration = find_integration(doc, params["resourceId"], params["httpMethod"])
        del integration["integrationResponses"][params["statusCode"]]
        self.save(context, doc)
        return {}

    # -- models ----------------------------------------------------------------------------------

    # -- request validators ----------------------------------------------------------------------

    # -- authorizers -----------------------------------------------------------------------------

    # -- gateway responses -----------------------------------------------------------------------
