"""OpenAPI 3 definitions of HTTP APIs: ImportApi and ReimportApi (with the
`x-amazon-apigateway-*` extensions), ExportApi, and GetModelTemplate."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import yaml  # type: ignore[import-untyped]

from overcast.context import RequestContext
from overcast.services.apigatewayv2.apis import new_document
from overcast.services.apigatewayv2.common import bad_request, new_id, now, public

if TYPE_CHECKING:
    from overcast.services.apigatewayv2.provider import Provider

_VERBS = ("get", "put", "post", "delete", "options", "head", "patch")
#: x-amazon-apigateway-integration member → CreateIntegration member.
_INTEGRATION_FIELDS = {
    "uri": "IntegrationUri",
    "httpMethod": "IntegrationMethod",
    "payloadFormatVersion": "PayloadFormatVersion",
    "connectionType": "ConnectionType",
    "connectionId": "ConnectionId",
    "credentials": "CredentialsArn",
    "timeoutInMillis": "TimeoutInMillis",
    "integrationSubtype": "IntegrationSubtype",
    "requestParameters": "RequestParameters",
    "responseParameters": "ResponseParameters",
    "description": "Description",
    "tlsConfig": "TlsConfig",
}
_AUTHORIZER_FIELDS = {
    "authorizerUri": "AuthorizerUri",
    "authorizerCredentials": "AuthorizerCredentialsArn",
    "authorizerPayloadFormatVersion": "AuthorizerPayloadFormatVersion",
    "enableSimpleResponses": "EnableSimpleResponses",
    "authorizerResultTtlInSeconds": "AuthorizerResultTtlInSeconds",
    "identityValidationExpression": "IdentityValidationExpression",
}
_CORS_FIELDS = {
    "allowOrigins": "AllowOrigins",
    "allowMethods": "AllowMethods",
    "allowHeaders": "AllowHeaders",
    "exposeHeaders": "ExposeHeaders",
    "maxAge": "MaxAge",
    "allowCredentials": "AllowCredentials",
}


def _parse(body: str) -> dict[str, Any]:
    try:
        definition = json.loads(body)
    except ValueError:
        try:
            definition = yaml.safe_load(body)
        except yaml.YAMLError:
            definition = None
    if not isinstance(definition, dict):
        raise bad_request("Invalid OpenAPI input: the body is neither JSON nor YAML of an object.")
    if not str(definition.get("openapi") or "").startswith("3.") and "swagger" not in definition:
        raise bad_request("Invalid OpenAPI input: only OpenAPI 3.0 definitions are supported.")
    if not isinstance(definition.get("paths") or {}, dict):
        raise bad_request("Invalid OpenAPI input: paths must be an object.")
    return definition


def _camel(fields: dict[str, str], given: dict[str, Any]) -> dict[str, Any]:
    return {ours: given[theirs] for theirs, ours in fields.items() if given.get(theirs) is not None}


def _identity_source(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def _missing_references(
    path: str, verb: str, operation: dict[str, Any], definition: dict[str, Any]
) -> list[str]:
    """The parse issues of an operation's schema references that name no schema of the
    definition, as API Gateway words them."""
    schemas = ((definition.get("components") or {}).get("schemas")) or {}
    found = []
    places: list[tuple[str, Any]] = [
        (f"responses.{code}", response) for code, response in (operation.get("responses") or {}).items()
    ]
    if isinstance(operation.get("requestBody"), dict):
        places.append(("requestBody", operation["requestBody"]))
    for where, holder in places:
        for content in ((holder or {}).get("content") or {}).values():
            ref = ((content or {}).get("schema") or {}).get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                if ref.rsplit("/", 1)[1] not in schemas:
                    found.append(
                        f"Parse issue: attribute paths.'{path}'({verb}).{where}.content.schema.{ref} is missing"
                    )
    return found


def build_document(
    provider: Provider, api: dict[str, Any], definition: dict[str, Any], warnings: list[str], fail: bool
) -> dict[str, Any]:
    """A new API document from an OpenAPI definition (its id and endpoint from `api`)."""
    info = definition.get("info") or {}
    if not info.get("title"):
        raise bad_request("Invalid OpenAPI input: info.title is required.")
    api.update(
        Name=str(info["title"]),
        ProtocolType="HTTP",
        RouteSelectionExpression="$request.method $request.path",
        ApiKeySelectionExpression="$request.header.x-api-key",
        DisableExecuteApiEndpoint=bool(definition.get("x-amazon-apigateway-disable-execute-api-endpoint")),
    )
    if info.get("version") is not None:
        api["Version"] = str(info["version"])
    if info.get("description"):
        api["Description"] = str(info["description"])
    cors = definition.get("x-amazon-apigateway-cors")
    if isinstance(cors, dict):
        api["CorsConfiguration"] = _camel(_CORS_FIELDS, cors)
    doc = new_document(api)
    authorizers: dict[str, str] = {}
    schemes = ((definition.get("components") or {}).get("securitySchemes")) or {}
    for name, scheme in schemes.items():
        extension = (scheme or {}).get("x-amazon-apigateway-authorizer")
        if not isinstance(extension, dict):
            continue
        kind = str(extension.get("type") or "").upper()
        record: dict[str, Any] = {"AuthorizerId": new_id(6), "Name": name}
        if kind == "JWT":
            jwt = extension.get("jwtConfiguration") or {}
            record.update(
                AuthorizerType="JWT",
                IdentitySource=_identity_source(
                    extension.get("identitySource") or "$request.header.Authorization"
                ),
                JwtConfiguration={"Issuer": jwt.get("issuer"), "Audience": list(jwt.get("audience") or [])},
            )
        elif kind == "REQUEST":
            record.update(
                AuthorizerType="REQUEST", IdentitySource=_identity_source(extension.get("identitySource"))
            )
            record.update(_camel(_AUTHORIZER_FIELDS, extension))
            record.setdefault("AuthorizerResultTtlInSeconds", 0)
        else:
            message = f"Unsupported authorizer type {extension.get('type')} for {name}"
            warnings.append(message)
            continue
        doc["Authorizers"][record["AuthorizerId"]] = record
        authorizers[name] = record["AuthorizerId"]
    for name, schema in (((definition.get("components") or {}).get("schemas")) or {}).items():
        model = {
            "ModelId": new_id(6),
            "Name": name,
            "ContentType": "application/json",
            "Schema": json.dumps(schema),
        }
        doc["Models"][model["ModelId"]] = model
    default_security = definition.get("security")
    for path, item in (definition.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for verb, operation in item.items():
            if verb == "x-amazon-apigateway-any-method":
                method = "ANY"
            elif verb in _VERBS:
                method = verb.upper()
            else:
                continue
            operation = operation or {}
            route_key = "$default" if path == "/$default" else f"{method} {path}"
            route: dict[str, Any] = {
                "RouteId": new_id(),
                "RouteKey": route_key,
                "ApiKeyRequired": False,
                "AuthorizationType": "NONE",
                "AuthorizationScopes": [],
                "RequestParameters": {},
            }
            warnings.extend(_missing_references(path, verb, operation, definition))
            if operation.get("operationId"):
                route["OperationName"] = operation["operationId"]
            security = operation.get("security", default_security) or []
            for requirement in security:
                for scheme_name, scopes in (requirement or {}).items():
                    if scheme_name in authorizers:
                        authorizer = doc["Authorizers"][authorizers[scheme_name]]
                        route["AuthorizerId"] = authorizer["AuthorizerId"]
                        route["AuthorizationType"] = (
                            "JWT" if authorizer["AuthorizerType"] == "JWT" else "CUSTOM"
                        )
                        if scopes:
                            route["AuthorizationScopes"] = list(scopes)
                    elif (schemes.get(scheme_name) or {}).get("x-amazon-apigateway-authtype") == "awsSigv4":
                        route["AuthorizationType"] = "AWS_IAM"
            extension = operation.get("x-amazon-apigateway-integration")
            if isinstance(extension, dict):
                kind = str(extension.get("type") or "").upper()
                if kind not in ("AWS_PROXY", "HTTP_PROXY"):
                    message = f"Unsupported integration type {extension.get('type')} for {route_key}"
                    warnings.append(message)
                else:
                    integration: dict[str, Any] = {
                        "IntegrationId": new_id(),
                        "IntegrationType": kind,
                        "ConnectionType": "INTERNET",
                    }
                    integration.update(_camel(_INTEGRATION_FIELDS, extension))
                    integration.setdefault("TimeoutInMillis", 30000)
                    integration.setdefault(
                        "PayloadFormatVersion",
                        "2.0" if kind == "AWS_PROXY" and not integration.get("IntegrationSubtype") else "1.0",
                    )
                    integration["IntegrationMethod"] = integration.get("IntegrationMethod") or (
                        "POST" if kind == "AWS_PROXY" else "ANY"
                    )
                    doc["Integrations"][integration["IntegrationId"]] = integration
                    route["Target"] = f"integrations/{integration['IntegrationId']}"
            doc["Routes"][route["RouteId"]] = route
    if fail and warnings:
        raise bad_request("Warnings found during import:\n\t" + "\n\t".join(warnings))
    return doc


def export(
    doc: dict[str, Any], snapshot: dict[str, Any] | None, extensions: bool, stage: str | None
) -> dict[str, Any]:
    """An OpenAPI 3.0 definition of an HTTP API: as deployed to a stage, or as it is now."""
    api = doc["Api"]
    source = snapshot if snapshot is not None else doc
    out: dict[str, Any] = {
        "openapi": "3.0.1",
        "info": {"title": api["Name"], "version": api.get("Version") or _stamp(api["CreatedDate"])},
        "paths": {},
    }
    if api.get("Description"):
        out["info"]["description"] = api["Description"]
    out["servers"] = [
        {
            "url": f"{api['ApiEndpoint']}/{'' if not stage or stage == '$default' else stage}".rstrip("/"),
            "variables": {"basePath": {"default": "" if not stage or stage == "$default" else stage}},
        }
    ]
    schemes: dict[str, Any] = {}
    for authorizer in (source.get("Authorizers") or {}).values():
        extension: dict[str, Any] = {"identitySource": ",".join(authorizer.get("IdentitySource") or [])}
        if authorizer["AuthorizerType"] == "JWT":
            jwt = authorizer.get("JwtConfiguration") or {}
            extension.update(
                type="jwt", jwtConfiguration={"issuer": jwt.get("Issuer"), "audience": jwt.get("Audience")}
            )
            scheme: dict[str, Any] = {"type": "oauth2", "flows": {}}
        else:
            extension["type"] = "request"
            for theirs, ours in _AUTHORIZER_FIELDS.items():
                if authorizer.get(ours) is not None:
                    extension[theirs] = authorizer[ours]
            scheme = {"type": "apiKey", "name": "Unused", "in": "header"}
        if extensions:
            scheme["x-amazon-apigateway-authorizer"] = extension
        schemes[authorizer["Name"]] = scheme
    names = {a["AuthorizerId"]: a["Name"] for a in (source.get("Authorizers") or {}).values()}
    integrations = source.get("Integrations") or {}
    for route in sorted((source.get("Routes") or {}).values(), key=lambda r: r["RouteKey"]):
        key = route["RouteKey"]
        if key == "$default":
            verb, path = "x-amazon-apigateway-any-method", "/$default"
        else:
            method, _, path = key.partition(" ")
            verb = "x-amazon-apigateway-any-method" if method == "ANY" else method.lower()
        operation: dict[str, Any] = {"responses": {"default": {"description": "Default response for " + key}}}
        if route.get("OperationName"):
            operation["operationId"] = route["OperationName"]
        parameters = [
            {"name": part[1:-1].rstrip("+"), "in": "path", "required": True, "schema": {"type": "string"}}
            for part in path.split("/")
            if part.startswith("{") and part.endswith("}")
        ]
        if parameters:
            operation["parameters"] = parameters
        if route.get("AuthorizerId") in names:
            operation["security"] = [
                {names[route["AuthorizerId"]]: list(route.get("AuthorizationScopes") or [])}
            ]
        integration = integrations.get((route.get("Target") or "").partition("/")[2])
        if integration is not None and extensions:
            extension = {"type": integration["IntegrationType"].lower()}
            for theirs, ours in _INTEGRATION_FIELDS.items():
                if integration.get(ours) is not None:
                    extension[theirs] = integration[ours]
            operation["x-amazon-apigateway-integration"] = extension
        out["paths"].setdefault(path, {})[verb] = operation
    components: dict[str, Any] = {}
    if schemes:
        components["securitySchemes"] = schemes
    models = source.get("Models") or {}
    if models:
        components["schemas"] = {m["Name"]: json.loads(m["Schema"]) for m in models.values()}
    if components:
        out["components"] = components
    cors = (snapshot or {}).get("CorsConfiguration") if snapshot is not None else api.get("CorsConfiguration")
    if cors and extensions:
        out["x-amazon-apigateway-cors"] = {
            theirs: cors[ours] for theirs, ours in _CORS_FIELDS.items() if ours in cors
        }
    if extensions:
        out["x-amazon-apigateway-importexport-version"] = "1.0"
    return out


def _stamp(moment: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S")


def model_template(schema: dict[str, Any]) -> str:
    """A mapping template that builds a body of the model's shape from the input."""

    def body(node: dict[str, Any], path: str, depth: int) -> str:
        indent = "  " * (depth + 1)
        kind = node.get("type")
        if kind == "object" or "properties" in node:
            parts = [
                f'{indent}"{name}" : {body(child or {}, f"{path}.{name}", depth + 1)}'
                for name, child in (node.get("properties") or {}).items()
            ]
            return "{\n" + ",\n".join(parts) + "\n" + "  " * depth + "}"
        if kind == "array":
            return (
                f"[\n{indent}#foreach($elem in $inputRoot{path})\n{indent}$elem\n{indent}#if($foreach.hasNext),#end\n{indent}#end\n"
                + "  " * depth
                + "]"
            )
        if kind in ("integer", "number", "boolean"):
            return f"$inputRoot{path}"
        return f'"$inputRoot{path}"'

    return "#set($inputRoot = $input.path('$'))\n" + body(schema, "", 0)


class OpenApiMixin:
    def import_api(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        definition = _parse(params["Body"])
        api_id = self.fresh_api_id()
        api: dict[str, Any] = {
            "ApiId": api_id,
            "ApiEndpoint": self.api_endpoint(api_id, "HTTP"),
            "CreatedDate": now(),
            "Tags": {},
            "IpAddressType": "ipv4",
        }
        warnings: list[str] = []
        doc = build_document(self, api, definition, warnings, bool(params.get("FailOnWarnings")))
        if warnings:
            api["Warnings"] = warnings
        self.save(context, doc)
        return public(api)

    def reimport_api(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        old = self.load(context, params["ApiId"])
        if old["Api"]["ProtocolType"] != "HTTP":
            raise bad_request("Only HTTP APIs can be reimported.")
        definition = _parse(params["Body"])
        kept = {
            k: old["Api"][k]
            for k in ("ApiId", "ApiEndpoint", "CreatedDate", "Tags", "IpAddressType")
            if k in old["Api"]
        }
        warnings: list[str] = []
        doc = build_document(self, kept, definition, warnings, bool(params.get("FailOnWarnings")))
        doc["Stages"] = old["Stages"]
        doc["Deployments"] = old["Deployments"]
        if warnings:
            doc["Api"]["Warnings"] = warnings
        self.auto_deploy(doc)
        self.save(context, doc)
        return public(doc["Api"])

    def export_api(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        if doc["Api"]["ProtocolType"] != "HTTP":
            raise bad_request("Only HTTP APIs can be exported.")
        if params["Specification"] != "OAS30":
            raise bad_request(f"Unsupported specification {params['Specification']}")
        snapshot = None
        stage_name = params.get("StageName")
        if stage_name:
            stage = doc["Stages"].get(stage_name)
            if stage is None:
                raise bad_request(f"Invalid stage identifier specified {stage_name}")
            deployment = doc["Deployments"].get(stage.get("DeploymentId") or "")
            if deployment is None:
                raise bad_request(f"The stage {stage_name} has no deployment to export.")
            snapshot = deployment["_Snapshot"]
        extensions = params.get("IncludeExtensions")
        definition = export(doc, snapshot, True if extensions is None else bool(extensions), stage_name)
        if params["OutputType"] == "YAML":
            text = yaml.safe_dump(definition, sort_keys=False)
        elif params["OutputType"] == "JSON":
            text = json.dumps(definition, indent=2)
        else:
            raise bad_request(f"Unsupported output type {params['OutputType']}")
        return {"body": text.encode()}
