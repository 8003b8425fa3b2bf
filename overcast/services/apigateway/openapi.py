"""OpenAPI 2.0 (Swagger) and 3.0 documents in and out: ImportRestApi, PutRestApi (merge or
overwrite) and GetExport, with API Gateway's `x-amazon-apigateway-*` extensions
(integration, authorizer, authtype, any-method, binary-media-types, request-validators,
gateway-responses, api-key-source, policy, documentation)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import yaml  # type: ignore[import-untyped]

from overcast.common import jsontext
from overcast.context import RequestContext
from overcast.services.apigateway.common import bad_request, new_id, not_found, now, public
from overcast.services.apigateway.restapis import (
    GATEWAY_RESPONSES,
    HTTP_METHODS,
    PATH_PART,
    new_document,
)

if TYPE_CHECKING:
    from overcast.services.apigateway.provider import Provider

_VERBS = ("get", "post", "put", "patch", "delete", "head", "options")
_LOCATIONS = {"path": "path", "query": "querystring", "header": "header"}


def parse_document(body: Any) -> dict[str, Any]:
    text = body.decode("utf-8") if isinstance(body, (bytes, bytearray)) else str(body)
    try:
        spec = jsontext.loads(text)
    except ValueError:
        try:
            spec = yaml.safe_load(text)
        except (yaml.YAMLError, RecursionError):
            spec = None
    if not isinstance(spec, dict):
        raise bad_request("Invalid OpenAPI input.")
    return spec


def model_template(model: dict[str, Any], models: dict[str, Any]) -> str:
    """A mapping template that renders the model's shape from the JSON input (GetModelTemplate)."""
    try:
        schema = jsontext.loads(model.get("schema") or "{}")
    except ValueError:
        schema = {}

    def render(node: dict[str, Any], path: str, depth: int) -> str:
        ref = node.get("$ref")
        if ref and depth < 5:
            name = ref.rsplit("/", 1)[-1]
            if name in models:
                try:
                    return render(jsontext.loads(models[name].get("schema") or "{}"), path, depth + 1)
                except ValueError:
                    return '""'
        kind = node.get("type")
        if kind == "object":
            fields = [
                f'  "{name}" : {render(sub, f"{path}.{name}", depth + 1)}'
                for name, sub in (node.get("properties") or {}).items()
            ]
            return "{\n" + ",\n".join(fields) + "\n}"
        if kind == "array":
            item = render(node.get("items") or {}, "$elem", depth + 1)
            return f"[\n#foreach($elem in $input.path('{path}'))\n{item}#if($foreach.hasNext),#end\n#end\n]"
        if kind in ("integer", "number", "boolean"):
            return f"$input.path('{path}')"
        return f"\"$input.path('{path}')\""

    return "#set($inputRoot = $input.path('$'))\n" + render(schema, "$", 0)


class OpenApiMixin:
    def import_rest_api(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        spec = parse_document(params["body"])
        api = {"id": self.fresh_api_id(), "createdDate": now()}
        doc = new_document(api)
        self._apply_spec(context, doc, spec, params.get("parameters") or {}, overwrite=True)
        self.save(context, doc)
        return public(doc["api"])

    def put_rest_api(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        spec = parse_document(params["body"])
        mode = params.get("mode") or "merge"
        if mode not in ("merge", "overwrite"):
            raise bad_request("Invalid mode specified. Valid options are merge,overwrite")
        self._apply_spec(context, doc, spec, params.get("parameters") or {}, overwrite=mode == "overwrite")
        self.save(context, doc)
        return public(doc["api"])

    def _apply_spec(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        doc: dict[str, Any],
        spec: dict[str, Any],
        parameters: dict[str, str],
        overwrite: bool,
    ) -> None:
        if not (spec.get("swagger") or spec.get("openapi")):
            raise bad_request("Invalid OpenAPI input: no 'swagger' or 'openapi' version field.")
        if spec.get("openapi") is not None and not str(spec["openapi"]).startswith("3."):
            raise bad_request("Only OpenAPI 3.x.x are currently supported")
        if spec.get("swagger") is not None and str(spec["swagger"]) != "2.0":
            raise bad_request("Only Swagger 2.0 and OpenAPI 3.x.x are currently supported")
        if "paths" not in spec:
            raise bad_request(
                "Failed to parse the uploaded OpenAPI document due to: 'paths' is a required property"
            )
        if not isinstance(spec["paths"], dict):
            raise bad_request(
                "Failed to parse the uploaded OpenAPI document due to: 'paths' is not an object"
            )
        api = doc["api"]
        info = spec.get("info") or {}
        # PutRestApi keeps the API's name and description; an import takes them from info.
        if not api.get("name"):
            api["name"] = str(info.get("title") or api.get("name") or "imported-api")
            if info.get("description") is not None:
                api["description"] = str(info["description"])
            if info.get("version") is not None:
                api["version"] = str(info["version"])
        api.setdefault("apiKeySource", "HEADER")
        api.setdefault("tags", {})
        api.setdefault("disableExecuteApiEndpoint", False)
        api.setdefault("apiStatus", "AVAILABLE")
        kind = (parameters.get("endpointConfigurationTypes") or "").upper()
        api.setdefault("endpointConfiguration", {"types": [kind or "EDGE"], "ipAddressType": "dualstack"})
        if spec.get("x-amazon-apigateway-binary-media-types") is not None:
            api["binaryMediaTypes"] = list(spec["x-amazon-apigateway-binary-media-types"])
        if spec.get("x-amazon-apigateway-api-key-source") is not None:
            api["apiKeySource"] = spec["x-amazon-apigateway-api-key-source"]
        if spec.get("x-amazon-apigateway-policy") is not None:
            api["policy"] = json.dumps(spec["x-amazon-apigateway-policy"])
        if overwrite:
            # Overwriting replaces every resource, the root included.
            root_id = api["rootResourceId"] = new_id(10)
            doc["resources"] = {root_id: {"id": root_id, "path": "/", "resourceMethods": {}}}
            doc["authorizers"] = {}
            doc["validators"] = {}
            doc["responses"] = {}
        # models
        schemas = spec.get("definitions") or (spec.get("components") or {}).get("schemas") or {}
        for name, schema in schemas.items():
            text = json.dumps(_rewrite_refs(schema))
            existing = doc["models"].get(name)
            doc["models"][name] = {
                "id": existing["id"] if existing else new_id(6),
                "name": name,
                "contentType": "application/json",
                "schema": text,
            }
        # authorizers and API-key schemes
        schemes = (
            spec.get("securityDefinitions") or (spec.get("components") or {}).get("securitySchemes") or {}
        )
        authorizer_ids: dict[str, str] = {}
        api_key_schemes: set[str] = set()
        for name, scheme in schemes.items():
            extension = scheme.get("x-amazon-apigateway-authorizer")
            if extension:
                kind = str(extension.get("type", "token")).upper()
                if kind == "COGNITO_USER_POOLS":
                    kind = "COGNITO_USER_POOLS"
                authorizer: dict[str, Any] = {
                    "id": next(
                        (a["id"] for a in doc["authorizers"].values() if a["name"] == name), new_id(6)
                    ),
                    "name": name,
                    "type": kind,
                    "authType": scheme.get("x-amazon-apigateway-authtype", "custom"),
                    "authorizerResultTtlInSeconds": int(extension.get("authorizerResultTtlInSeconds", 300)),
                }
                for key in (
                    "authorizerUri",
                    "authorizerCredentials",
                    "identityValidationExpression",
                    "providerARNs",
                ):
                    if extension.get(key) is not None:
                        authorizer[key] = extension[key]
                if extension.get("identitySource"):
                    authorizer["identitySource"] = extension["identitySource"]
                elif kind == "TOKEN" and scheme.get("in") == "header":
                    authorizer["identitySource"] = f"method.request.header.{scheme.get('name')}"
                doc["authorizers"][authorizer["id"]] = authorizer
                authorizer_ids[name] = authorizer["id"]
            elif scheme.get("type") == "apiKey":
                api_key_schemes.add(name)
            elif scheme.get("x-amazon-apigateway-authtype") == "awsSigv4":
                authorizer_ids[name] = "AWS_IAM"
        # validators
        validators = spec.get("x-amazon-apigateway-request-validators") or {}
        validator_ids: dict[str, str] = {}
        for name, settings in validators.items():
            validator = {
                "id": new_id(6),
                "name": name,
                "validateRequestBody": bool(settings.get("validateRequestBody", False)),
                "validateRequestParameters": bool(settings.get("validateRequestParameters", False)),
            }
            doc["validators"][validator["id"]] = validator
            validator_ids[name] = validator["id"]
        default_validator = spec.get("x-amazon-apigateway-request-validator")
        # gateway responses
        for response_type, response in (spec.get("x-amazon-apigateway-gateway-responses") or {}).items():
            if response_type in GATEWAY_RESPONSES:
                doc["responses"][response_type] = {
                    "responseType": response_type,
                    "defaultResponse": False,
                    "responseParameters": response.get("responseParameters") or {},
                    "responseTemplates": response.get("responseTemplates") or {},
                    **({"statusCode": str(response["statusCode"])} if response.get("statusCode") else {}),
                }
        # paths
        base = spec.get("basePath") or ""
        if parameters.get("basepath") == "prepend" and base not in ("", "/"):
            prefix = base.rstrip("/")
        else:
            prefix = ""
        for raw_path, item in (spec.get("paths") or {}).items():
            if not isinstance(item, dict):
                raise bad_request(f"Invalid path item for {raw_path}")
            resource = self._ensure_path(doc, prefix + raw_path)
            shared = item.get("parameters") or []
            for verb, operation in item.items():
                name = verb.lower()
                if name == "x-amazon-apigateway-any-method":
                    name = "any"
                if name not in _VERBS and name != "any":
                    continue
                method = self._import_method(
                    doc,
                    name.upper(),
                    operation or {},
                    shared,
                    spec,
                    authorizer_ids,
                    api_key_schemes,
                    validator_ids,
                    default_validator,
                )
                resource.setdefault("resourceMethods", {})[method["httpMethod"]] = method
        # documentation
        documentation = spec.get("x-amazon-apigateway-documentation") or {}
        for given in documentation.get("documentationParts") or []:
            properties = given.get("properties")
            part = {
                "id": new_id(6),
                "location": given.get("location") or {},
                "properties": properties if isinstance(properties, str) else json.dumps(properties),
            }
            doc["parts"][part["id"]] = part

    def _ensure_path(self, doc: dict[str, Any], path: str) -> dict[str, Any]:
        root_id = doc["api"]["rootResourceId"]
        current = doc["resources"][root_id]
        for part in [p for p in path.split("/") if p]:
            if not PATH_PART.match(part):
                raise bad_request(f"Invalid resource path part: {part}")
            child = next(
                (
                    r
                    for r in doc["resources"].values()
                    if r.get("parentId") == current["id"] and r["pathPart"] == part
                ),
                None,
            )
            if child is None:
                child_path = ("" if current["path"] == "/" else current["path"]) + "/" + part
                child = {
                    "id": new_id(6),
                    "parentId": current["id"],
                    "pathPart": part,
                    "path": child_path,
                    "resourceMethods": {},
                }
                doc["resources"][child["id"]] = child
            current = child
        return current

    def _import_method(
        self,
        doc: dict[str, Any],
        verb: str,
        operation: dict[str, Any],
        shared: list[dict[str, Any]],
        spec: dict[str, Any],
        authorizer_ids: dict[str, str],
        api_key_schemes: set[str],
        validator_ids: dict[str, str],
        default_validator: str | None,
    ) -> dict[str, Any]:
        if verb not in HTTP_METHODS:
            raise bad_request(f"Invalid HTTP method {verb}")
        method: dict[str, Any] = {"httpMethod": verb, "authorizationType": "NONE", "apiKeyRequired": False}
        if operation.get("operationId"):
            method["operationName"] = operation["operationId"]
        security = operation.get("security", spec.get("security")) or []
        for requirement in security:
            for name, scopes in requirement.items():
                if name in api_key_schemes:
                    method["apiKeyRequired"] = True
                elif authorizer_ids.get(name) == "AWS_IAM":
                    method["authorizationType"] = "AWS_IAM"
                elif name in authorizer_ids:
                    authorizer = doc["authorizers"][authorizer_ids[name]]
                    method["authorizationType"] = (
                        "COGNITO_USER_POOLS" if authorizer["type"] == "COGNITO_USER_POOLS" else "CUSTOM"
                    )
                    method["authorizerId"] = authorizer["id"]
                    if scopes:
                        method["authorizationScopes"] = list(scopes)
        request_parameters: dict[str, bool] = {}
        for parameter in [*shared, *(operation.get("parameters") or [])]:
            location = _LOCATIONS.get(parameter.get("in", ""))
            if location:
                request_parameters[f"method.request.{location}.{parameter['name']}"] = bool(
                    parameter.get("required", False)
                )
            elif parameter.get("in") == "body":
                ref = (parameter.get("schema") or {}).get("$ref")
                if ref:
                    method["requestModels"] = {"application/json": ref.rsplit("/", 1)[-1]}
        if request_parameters:
            method["requestParameters"] = request_parameters
        body = operation.get("requestBody") or {}
        for content_type, media in (body.get("content") or {}).items():
            ref = (media.get("schema") or {}).get("$ref")
            if ref:
                method.setdefault("requestModels", {})[content_type] = ref.rsplit("/", 1)[-1]
        validator = operation.get("x-amazon-apigateway-request-validator", default_validator)
        if validator:
            if validator not in validator_ids:
                raise bad_request(f"Invalid request validator {validator}")
            method["requestValidatorId"] = validator_ids[validator]
        responses: dict[str, Any] = {}
        for status, response in (operation.get("responses") or {}).items():
            if not str(status).isdigit():
                continue
            out: dict[str, Any] = {"statusCode": str(status)}
            headers = (response or {}).get("headers") or {}
            if headers:
                out["responseParameters"] = {f"method.response.header.{h}": False for h in headers}
            schema_ref = ((response or {}).get("schema") or {}).get("$ref")
            for content_type, media in ((response or {}).get("content") or {}).items():
                schema_ref = (media.get("schema") or {}).get("$ref") or schema_ref
                if schema_ref:
                    out.setdefault("responseModels", {})[content_type] = schema_ref.rsplit("/", 1)[-1]
            if schema_ref and "responseModels" not in out:
                out["responseModels"] = {"application/json": schema_ref.rsplit("/", 1)[-1]}
            responses[str(status)] = out
        if responses:
            method["methodResponses"] = responses
        extension = operation.get("x-amazon-apigateway-integration")
        if extension:
            integration: dict[str, Any] = {
                "type": str(extension.get("type", "")).upper(),
                "passthroughBehavior": str(extension.get("passthroughBehavior", "WHEN_NO_MATCH")).upper(),
                "timeoutInMillis": int(extension.get("timeoutInMillis", 29000)),
                "cacheNamespace": extension.get("cacheNamespace") or new_id(6),
                "cacheKeyParameters": extension.get("cacheKeyParameters") or [],
                "connectionType": extension.get("connectionType", "INTERNET"),
            }
            if integration["type"] not in ("HTTP", "AWS", "MOCK", "HTTP_PROXY", "AWS_PROXY"):
                raise bad_request(f"Invalid integration type {extension.get('type')}")
            if extension.get("httpMethod"):
                integration["httpMethod"] = str(extension["httpMethod"]).upper()
            for key in (
                "uri",
                "credentials",
                "requestParameters",
                "requestTemplates",
                "contentHandling",
                "connectionId",
                "tlsConfig",
            ):
                if extension.get(key) is not None:
                    integration[key] = extension[key]
            integration_responses: dict[str, Any] = {}
            for pattern, response in (extension.get("responses") or {}).items():
                status = str(response.get("statusCode", "200"))
                out = {"statusCode": status}
                if pattern != "default":
                    out["selectionPattern"] = pattern
                for key in ("responseParameters", "responseTemplates", "contentHandling"):
                    if response.get(key) is not None:
                        out[key] = response[key]
                integration_responses[status] = out
            if integration_responses:
                integration["integrationResponses"] = integration_responses
            method["methodIntegration"] = integration
        return method

    # -- export ----------------------------------------------------------------------------------

    def get_export(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        stage = self.stage_of(doc, params["stageName"])
        kind = params["exportType"]
        if kind not in ("swagger", "oas30"):
            raise bad_request("No API exporter for type " + kind)
        extensions = (params.get("parameters") or {}).get("extensions", "")
        with_integrations = "integrations" in extensions or "apigateway" in extensions
        with_authorizers = "authorizers" in extensions or "apigateway" in extensions
        deployment = doc["deployments"].get(stage["deploymentId"])
        snapshot = deployment["_snapshot"] if deployment else self.snapshot(doc)
        spec = self.export_spec(context, doc, snapshot, stage, kind, with_integrations, with_authorizers)
        accepts = params.get("accepts") or "application/json"
        if "yaml" in accepts:
            body = yaml.safe_dump(spec, sort_keys=False).encode()
            content_type = "application/yaml"
            suffix = "yaml"
        else:
            body = json.dumps(spec, indent=2).encode()
            content_type = "application/octet-stream"
            suffix = "json"
        return {
            "contentType": content_type,
            "contentDisposition": f'attachment; filename="{kind}_{stage["stageName"]}.{suffix}"',
            "body": body,
        }

    def export_spec(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        doc: dict[str, Any],
        snapshot: dict[str, Any],
        stage: dict[str, Any],
        kind: str,
        with_integrations: bool,
        with_authorizers: bool,
    ) -> dict[str, Any]:
        api = doc["api"]
        oas3 = kind == "oas30"
        host = f"{api['id']}.execute-api.{context.region}.amazonaws.com"
        spec: dict[str, Any] = {"openapi": "3.0.1"} if oas3 else {"swagger": "2.0"}
        info: dict[str, Any] = {
            "title": api["name"],
            "version": api.get("version") or _iso(api["createdDate"]),
        }
        if api.get("description"):
            info["description"] = api["description"]
        spec["info"] = info
        if oas3:
            spec["servers"] = [
                {
                    "url": f"https://{host}/{{basePath}}",
                    "variables": {"basePath": {"default": stage["stageName"]}},
                }
            ]
        else:
            spec["host"] = host
            spec["basePath"] = f"/{stage['stageName']}"
            spec["schemes"] = ["https"]
        paths: dict[str, Any] = {}
        schemes: dict[str, Any] = {}
        for resource in sorted(snapshot["resources"].values(), key=lambda r: r["path"]):
            methods = resource.get("resourceMethods") or {}
            if not methods:
                continue
            item: dict[str, Any] = {}
            for verb, method in methods.items():
                operation: dict[str, Any] = {}
                if method.get("operationName"):
                    operation["operationId"] = method["operationName"]
                parameters = []
                for name, required in (method.get("requestParameters") or {}).items():
                    _, _, location, param = name.split(".", 3)
                    where = {"path": "path", "querystring": "query", "header": "header"}.get(
                        location, location
                    )
                    entry: dict[str, Any] = {
                        "name": param,
                        "in": where,
                        "required": bool(required) or where == "path",
                    }
                    if oas3:
                        entry["schema"] = {"type": "string"}
                    else:
                        entry["type"] = "string"
                    parameters.append(entry)
                if parameters:
                    operation["parameters"] = parameters
                models = method.get("requestModels") or {}
                if models:
                    if oas3:
                        operation["requestBody"] = {
                            "content": {
                                ct: {"schema": {"$ref": f"#/components/schemas/{m}"}}
                                for ct, m in models.items()
                            },
                            "required": True,
                        }
                    else:
                        model = next(iter(models.values()))
                        operation.setdefault("parameters", []).append(
                            {
                                "in": "body",
                                "name": model,
                                "required": True,
                                "schema": {"$ref": f"#/definitions/{model}"},
                            }
                        )
                responses: dict[str, Any] = {}
                for status, response in (method.get("methodResponses") or {}).items():
                    out: dict[str, Any] = {"description": f"{status} response"}
                    headers = {
                        name.rsplit(".", 1)[-1]: (
                            {"schema": {"type": "string"}} if oas3 else {"type": "string"}
                        )
                        for name in (response.get("responseParameters") or {})
                    }
                    if headers:
                        out["headers"] = headers
                    for ct, model in (response.get("responseModels") or {}).items():
                        if oas3:
                            out.setdefault("content", {})[ct] = {
                                "schema": {"$ref": f"#/components/schemas/{model}"}
                            }
                        else:
                            out["schema"] = {"$ref": f"#/definitions/{model}"}
                    responses[status] = out
                operation["responses"] = responses
                security: list[dict[str, list[str]]] = []
                if method.get("apiKeyRequired"):
                    security.append({"api_key": []})
                    schemes["api_key"] = {"type": "apiKey", "name": "x-api-key", "in": "header"}
                if method.get("authorizationType") == "AWS_IAM":
                    security.append({"sigv4": []})
                    schemes["sigv4"] = {
                        "type": "apiKey",
                        "name": "Authorization",
                        "in": "header",
                        "x-amazon-apigateway-authtype": "awsSigv4",
                    }
                authorizer = snapshot["authorizers"].get(method.get("authorizerId") or "")
                if authorizer is not None:
                    security.append({authorizer["name"]: list(method.get("authorizationScopes") or [])})
                    scheme: dict[str, Any] = {
                        "type": "apiKey",
                        "name": (authorizer.get("identitySource") or "Authorization").rsplit(".", 1)[-1],
                        "in": "header",
                        "x-amazon-apigateway-authtype": authorizer.get("authType") or "custom",
                    }
                    if with_authorizers:
                        extension = {
                            key: authorizer[key]
                            for key in (
                                "authorizerUri",
                                "authorizerCredentials",
                                "identitySource",
                                "identityValidationExpression",
                                "authorizerResultTtlInSeconds",
                                "providerARNs",
                            )
                            if authorizer.get(key) is not None
                        }
                        extension["type"] = authorizer["type"].lower()
                        scheme["x-amazon-apigateway-authorizer"] = extension
                    schemes[authorizer["name"]] = scheme
                if security:
                    operation["security"] = security
                integration = method.get("methodIntegration")
                if with_integrations and integration:
                    extension = {
                        key: value
                        for key, value in public(integration).items()
                        if key not in ("integrationResponses", "cacheNamespace", "cacheKeyParameters")
                    }
                    responses_out = {}
                    for status, response in (integration.get("integrationResponses") or {}).items():
                        entry = {k: v for k, v in response.items() if k != "selectionPattern"}
                        responses_out[response.get("selectionPattern") or "default"] = entry
                    if responses_out:
                        extension["responses"] = responses_out
                    operation["x-amazon-apigateway-integration"] = extension
                key = "x-amazon-apigateway-any-method" if verb == "ANY" else verb.lower()
                item[key] = operation
            paths[resource["path"]] = item
        spec["paths"] = paths
        models = {name: jsontext.loads(m.get("schema") or "{}") for name, m in snapshot["models"].items()}
        models = {name: _export_refs(schema, oas3) for name, schema in models.items()}
        if oas3:
            components: dict[str, Any] = {"schemas": models}
            if schemes:
                components["securitySchemes"] = schemes
            spec["components"] = components
        else:
            spec["definitions"] = models
            if schemes:
                spec["securityDefinitions"] = schemes
        if with_integrations:
            if snapshot.get("binaryMediaTypes"):
                spec["x-amazon-apigateway-binary-media-types"] = snapshot["binaryMediaTypes"]
            if snapshot.get("responses"):
                spec["x-amazon-apigateway-gateway-responses"] = {
                    kind_: {k: v for k, v in r.items() if k not in ("responseType", "defaultResponse")}
                    for kind_, r in snapshot["responses"].items()
                }
            if snapshot.get("validators"):
                spec["x-amazon-apigateway-request-validators"] = {
                    v["name"]: {
                        "validateRequestBody": v["validateRequestBody"],
                        "validateRequestParameters": v["validateRequestParameters"],
                    }
                    for v in snapshot["validators"].values()
                }
        return spec


def _rewrite_refs(schema: Any) -> Any:
    """Schema references as API Gateway stores them: to its models' URLs."""
    if isinstance(schema, dict):
        out = {}
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/"):
                out[key] = (
                    "https://apigateway.amazonaws.com/restapis/{api}/models/" + value.rsplit("/", 1)[-1]
                )
            else:
                out[key] = _rewrite_refs(value)
        return out
    if isinstance(schema, list):
        return [_rewrite_refs(item) for item in schema]
    return schema


def _export_refs(schema: Any, oas3: bool) -> Any:
    if isinstance(schema, dict):
        out = {}
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str) and "/models/" in value:
                name = value.rsplit("/", 1)[-1]
                out[key] = f"#/components/schemas/{name}" if oas3 else f"#/definitions/{name}"
            else:
                out[key] = _export_refs(value, oas3)
        return out
    if isinstance(schema, list):
        return [_export_refs(item, oas3) for item in schema]
    return schema


def _iso(moment: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_ = not_found
