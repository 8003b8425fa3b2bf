"""API Gateway's CloudFormation resource types (AWS::ApiGateway::*), through the API Gateway
provider's own operations: REST APIs (with an OpenAPI Body or BodyS3Location imported), their
resources, methods, deployments, stages, authorizers, models and validators, API keys, usage
plans, gateway responses, custom domains and the account's settings."""

from __future__ import annotations

import json
from typing import Any

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceHandler,
    ResourceRequest,
    policy_text,
    read_or_gone,
)

_NOT_FOUND = ("NotFoundException",)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _tags(request: ResourceRequest, given: list[dict[str, Any]] | None) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in request.user_tags(given)}


def _replace(path: str, value: Any) -> dict[str, str]:
    return {"op": "replace", "path": path, "value": _text(value)}


def _changes(
    request: ResourceRequest, paths: dict[str, str], defaults: dict[str, Any] | None = None
) -> list[dict[str, str]]:
    """Patch operations for the scalar properties (property → patch path) that changed."""
    operations = []
    for name, path in paths.items():
        old, new = request.old_properties.get(name), request.properties.get(name)
        if old == new:
            continue
        if new is None:
            new = (defaults or {}).get(name, "")
        operations.append(_replace(path, new))
    return operations


async def _gone_ok(request: ResourceRequest, operation: str, params: dict[str, Any]) -> None:
    """A delete that treats an already-deleted resource (or its deleted API) as done."""
    try:
        await request.call("apigateway", operation, params)
    except ResourceFailed as error:
        if error.code not in _NOT_FOUND:
            raise


def _endpoint(properties: dict[str, Any]) -> dict[str, Any] | None:
    given = properties.get("EndpointConfiguration")
    if not given:
        return None
    config: dict[str, Any] = {"types": list(given.get("Types") or ["EDGE"])}
    if given.get("VpcEndpointIds"):
        config["vpcEndpointIds"] = list(given["VpcEndpointIds"])
    return config


class RestApi(ResourceHandler):
    identifier = "RestApiId"
    attributes = frozenset({"RestApiId", "RootResourceId"})
    replace_on = frozenset({"CloneFrom"})

    async def _body(self, request: ResourceRequest, properties: dict[str, Any]) -> bytes | None:
        if properties.get("Body") is not None:
            body = properties["Body"]
            return (body if isinstance(body, str) else json.dumps(body)).encode()
        location = properties.get("BodyS3Location")
        if location:
            params = {"Bucket": location["Bucket"], "Key": location["Key"]}
            if location.get("Version"):
                params["VersionId"] = location["Version"]
            if location.get("ETag"):
                params["IfMatch"] = location["ETag"]
            output = await request.call("s3", "GetObject", params)
            data = output.get("Body", b"")
            return bytes(data.read() if hasattr(data, "read") else data)
        return None

    @staticmethod
    def _settings(properties: dict[str, Any]) -> list[dict[str, str]]:
        """Patch operations for the settings an imported API takes after its import."""
        operations = []
        if properties.get("Name"):
            operations.append(_replace("/name", properties["Name"]))
        if properties.get("Description") is not None:
            operations.append(_replace("/description", properties["Description"]))
        if properties.get("ApiKeySourceType"):
            operations.append(_replace("/apiKeySource", properties["ApiKeySourceType"]))
        if properties.get("MinimumCompressionSize") is not None:
            operations.append(_replace("/minimumCompressionSize", properties["MinimumCompressionSize"]))
        if properties.get("DisableExecuteApiEndpoint") is not None:
            operations.append(_replace("/disableExecuteApiEndpoint", properties["DisableExecuteApiEndpoint"]))
        if properties.get("Policy"):
            operations.append(_replace("/policy", policy_text(properties["Policy"])))
        for media in properties.get("BinaryMediaTypes") or []:
            operations.append({"op": "add", "path": "/binaryMediaTypes/" + media.replace("/", "~1")})
        return operations

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        body = await self._body(request, properties)
        if body is not None:
            params: dict[str, Any] = {"body": body, "failOnWarnings": bool(properties.get("FailOnWarnings"))}
            if properties.get("Parameters"):
                params["parameters"] = {k: _text(v) for k, v in properties["Parameters"].items()}
            if properties.get("EndpointConfiguration"):
                types = (properties["EndpointConfiguration"].get("Types") or ["EDGE"])[0]
                params.setdefault("parameters", {})["endpointConfigurationTypes"] = types
            api = await request.call("apigateway", "ImportRestApi", params)
            operations = self._settings(properties)
            if operations:
                await request.call(
                    "apigateway", "UpdateRestApi", {"restApiId": api["id"], "patchOperations": operations}
                )
            tags = _tags(request, properties.get("Tags"))
            if tags:
                arn = f"arn:{request.partition}:apigateway:{request.region}::/restapis/{api['id']}"
                await request.call("apigateway", "TagResource", {"resourceArn": arn, "tags": tags})
        else:
            if not properties.get("Name") and not properties.get("CloneFrom"):
                raise ResourceFailed("Property Name is required when Body and BodyS3Location are absent")
            params = {"name": properties.get("Name") or request.physical_name(255)}
            for name, key in (
                ("Description", "description"),
                ("CloneFrom", "cloneFrom"),
                ("ApiKeySourceType", "apiKeySource"),
                ("MinimumCompressionSize", "minimumCompressionSize"),
                ("DisableExecuteApiEndpoint", "disableExecuteApiEndpoint"),
                ("BinaryMediaTypes", "binaryMediaTypes"),
            ):
                if properties.get(name) is not None:
                    params[key] = properties[name]
            if properties.get("Policy"):
                params["policy"] = policy_text(properties["Policy"])
            endpoint = _endpoint(properties)
            if endpoint:
                params["endpointConfiguration"] = endpoint
            tags = _tags(request, properties.get("Tags"))
            if tags:
                params["tags"] = tags
            api = await request.call("apigateway", "CreateRestApi", params)
        return api["id"], await self._attributes(request, api["id"])

    @staticmethod
    async def _attributes(request: ResourceRequest, api_id: str) -> dict[str, Any]:
        api = await request.call("apigateway", "GetRestApi", {"restApiId": api_id})
        return {"RestApiId": api_id, "RootResourceId": api.get("rootResourceId", "")}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        api_id = request.physical_id
        properties, old = request.properties, request.old_properties
        if properties.get("Body") != old.get("Body") or properties.get("BodyS3Location") != old.get(
            "BodyS3Location"
        ):
            body = await self._body(request, properties)
            if body is not None:
                params: dict[str, Any] = {
                    "restApiId": api_id,
                    "body": body,
                    "mode": properties.get("Mode") or "overwrite",
                    "failOnWarnings": bool(properties.get("FailOnWarnings")),
                }
                await request.call("apigateway", "PutRestApi", params)
        operations = _changes(
            request,
            {
                "Name": "/name",
                "Description": "/description",
                "ApiKeySourceType": "/apiKeySource",
                "MinimumCompressionSize": "/minimumCompressionSize",
                "DisableExecuteApiEndpoint": "/disableExecuteApiEndpoint",
            },
            {"ApiKeySourceType": "HEADER", "DisableExecuteApiEndpoint": False},
        )
        if properties.get("Policy") != old.get("Policy"):
            operations.append(
                _replace("/policy", policy_text(properties["Policy"]) if properties.get("Policy") else "")
            )
        old_media = set(old.get("BinaryMediaTypes") or [])
        new_media = set(properties.get("BinaryMediaTypes") or [])
        for media in sorted(old_media - new_media):
            operations.append({"op": "remove", "path": "/binaryMediaTypes/" + media.replace("/", "~1")})
        for media in sorted(new_media - old_media):
            operations.append({"op": "add", "path": "/binaryMediaTypes/" + media.replace("/", "~1")})
        if operations:
            await request.call(
                "apigateway", "UpdateRestApi", {"restApiId": api_id, "patchOperations": operations}
            )
        return await self._attributes(request, api_id)

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._attributes(request, request.physical_id)

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        api = await read_or_gone(
            request, "apigateway", "GetRestApi", {"restApiId": request.physical_id}, *_NOT_FOUND
        )
        current: dict[str, Any] = {"Name": api.get("name"), "ApiKeySourceType": api.get("apiKeySource")}
        if api.get("description") is not None:
            current["Description"] = api["description"]
        if api.get("endpointConfiguration"):
            current["EndpointConfiguration"] = {"Types": api["endpointConfiguration"].get("types", [])}
        return current

    async def delete(self, request: ResourceRequest) -> None:
        await _gone_ok(request, "DeleteRestApi", {"restApiId": request.physical_id})


class Resource(ResourceHandler):
    attributes = frozenset({"ResourceId"})
    replace_on = frozenset({"RestApiId"})
    required = ("ParentId", "PathPart", "RestApiId")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        output = await request.call(
            "apigateway",
            "CreateResource",
            {
                "restApiId": properties["RestApiId"],
                "parentId": properties["ParentId"],
                "pathPart": properties["PathPart"],
            },
        )
        return output["id"], {"ResourceId": output["id"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        operations = _changes(request, {"ParentId": "/parentId", "PathPart": "/pathPart"})
        if operations:
            await request.call(
                "apigateway",
                "UpdateResource",
                {
                    "restApiId": request.properties["RestApiId"],
                    "resourceId": request.physical_id,
                    "patchOperations": operations,
                },
            )
        return {"ResourceId": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone_ok(
            request,
            "DeleteResource",
            {"restApiId": request.properties["RestApiId"], "resourceId": request.physical_id},
        )


def _integration_params(integration: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {"type": integration.get("Type", "MOCK")}
    for name, key in (
        ("Uri", "uri"),
        ("IntegrationHttpMethod", "integrationHttpMethod"),
        ("Credentials", "credentials"),
        ("RequestParameters", "requestParameters"),
        ("RequestTemplates", "requestTemplates"),
        ("PassthroughBehavior", "passthroughBehavior"),
        ("ContentHandling", "contentHandling"),
        ("CacheNamespace", "cacheNamespace"),
        ("CacheKeyParameters", "cacheKeyParameters"),
        ("ConnectionType", "connectionType"),
        ("ConnectionId", "connectionId"),
        ("TimeoutInMillis", "timeoutInMillis"),
    ):
        if integration.get(name) is not None:
            value = integration[name]
            params[key] = int(value) if key == "timeoutInMillis" else value
    return params


class Method(ResourceHandler):
    replace_on = frozenset({"RestApiId", "ResourceId", "HttpMethod"})
    required = ("HttpMethod", "ResourceId", "RestApiId")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await self._put(request, request.properties)
        properties = request.properties
        return f"{properties['RestApiId']}|{properties['ResourceId']}|{properties['HttpMethod'].upper()}", {}

    @staticmethod
    def _key(properties: dict[str, Any]) -> dict[str, str]:
        return {
            "restApiId": properties["RestApiId"],
            "resourceId": properties["ResourceId"],
            "httpMethod": properties["HttpMethod"].upper(),
        }

    async def _put(self, request: ResourceRequest, properties: dict[str, Any]) -> None:
        key = self._key(properties)
        params: dict[str, Any] = {**key, "authorizationType": properties.get("AuthorizationType") or "NONE"}
        for name, param in (
            ("AuthorizerId", "authorizerId"),
            ("ApiKeyRequired", "apiKeyRequired"),
            ("OperationName", "operationName"),
            ("RequestParameters", "requestParameters"),
            ("RequestModels", "requestModels"),
            ("RequestValidatorId", "requestValidatorId"),
            ("AuthorizationScopes", "authorizationScopes"),
        ):
            if properties.get(name) is not None:
                value = properties[name]
                if param == "apiKeyRequired":
                    value = str(value).lower() == "true"
                elif param == "requestParameters":
                    value = {k: str(v).lower() == "true" for k, v in value.items()}
                params[param] = value
        await request.call("apigateway", "PutMethod", params)
        for response in properties.get("MethodResponses") or []:
            response_params: dict[str, Any] = {**key, "statusCode": str(response["StatusCode"])}
            if response.get("ResponseParameters"):
                response_params["responseParameters"] = {
                    k: str(v).lower() == "true" for k, v in response["ResponseParameters"].items()
                }
            if response.get("ResponseModels"):
                response_params["responseModels"] = response["ResponseModels"]
            await request.call("apigateway", "PutMethodResponse", response_params)
        integration = properties.get("Integration")
        if integration:
            await request.call("apigateway", "PutIntegration", {**key, **_integration_params(integration)})
            for response in integration.get("IntegrationResponses") or []:
                response_params = {**key, "statusCode": str(response["StatusCode"])}
                for name, param in (
                    ("SelectionPattern", "selectionPattern"),
                    ("ResponseParameters", "responseParameters"),
                    ("ResponseTemplates", "responseTemplates"),
                    ("ContentHandling", "contentHandling"),
                ):
                    if response.get(name) is not None:
                        response_params[param] = response[name]
                await request.call("apigateway", "PutIntegrationResponse", response_params)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        # The method is put again whole: PutMethod replaces its settings, responses and integration.
        await _gone_ok(request, "DeleteMethod", self._key(request.old_properties))
        await self._put(request, request.properties)
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone_ok(request, "DeleteMethod", self._key(request.properties))


def _stage_patches(properties: dict[str, Any], old: dict[str, Any] | None = None) -> list[dict[str, str]]:
    """Patch operations that bring a stage's settings to those of a Stage (or a Deployment's
    StageDescription)."""
    old = old or {}
    operations: list[dict[str, str]] = []
    for name, path in (
        ("Description", "/description"),
        ("CacheClusterEnabled", "/cacheClusterEnabled"),
        ("CacheClusterSize", "/cacheClusterSize"),
        ("TracingEnabled", "/tracingEnabled"),
        ("ClientCertificateId", "/clientCertificateId"),
        ("DocumentationVersion", "/documentationVersion"),
    ):
        if properties.get(name) is not None and properties.get(name) != old.get(name):
            operations.append(_replace(path, properties[name]))
    old_variables = old.get("Variables") or {}
    variables = properties.get("Variables") or {}
    for key in sorted(set(old_variables) - set(variables)):
        operations.append({"op": "remove", "path": f"/variables/{key}"})
    for key, value in sorted(variables.items()):
        if old_variables.get(key) != value:
            operations.append(_replace(f"/variables/{key}", value))
    log = properties.get("AccessLogSetting")
    if log and log != old.get("AccessLogSetting"):
        if log.get("DestinationArn"):
            operations.append(_replace("/accessLogSettings/destinationArn", log["DestinationArn"]))
        if log.get("Format"):
            operations.append(_replace("/accessLogSettings/format", log["Format"]))
    elif old.get("AccessLogSetting") and not log:
        operations.append({"op": "remove", "path": "/accessLogSettings"})
    for setting in properties.get("MethodSettings") or []:
        path = setting.get("ResourcePath", "/*")
        prefix = "/" + path.replace("/", "~1") if path != "/*" else "/*"
        prefix = f"{prefix}/{setting.get('HttpMethod', '*')}"
        for name, member in (
            ("LoggingLevel", "logging/loglevel"),
            ("DataTraceEnabled", "logging/dataTrace"),
            ("MetricsEnabled", "metrics/enabled"),
            ("ThrottlingBurstLimit", "throttling/burstLimit"),
            ("ThrottlingRateLimit", "throttling/rateLimit"),
            ("CachingEnabled", "caching/enabled"),
            ("CacheTtlInSeconds", "caching/ttlInSeconds"),
            ("CacheDataEncrypted", "caching/dataEncrypted"),
        ):
            if setting.get(name) is not None:
                operations.append(_replace(f"{prefix}/{member}", setting[name]))
    return operations


class Deployment(ResourceHandler):
    attributes = frozenset({"DeploymentId"})
    replace_on = frozenset({"RestApiId", "DeploymentCanarySettings"})
    required = ("RestApiId",)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {"restApiId": properties["RestApiId"]}
        if properties.get("Description") is not None:
            params["description"] = properties["Description"]
        stage = properties.get("StageDescription") or {}
        if properties.get("StageName"):
            params["stageName"] = properties["StageName"]
            if stage.get("Description") is not None:
                params["stageDescription"] = stage["Description"]
            if stage.get("Variables"):
                params["variables"] = stage["Variables"]
            if stage.get("TracingEnabled") is not None:
                params["tracingEnabled"] = str(stage["TracingEnabled"]).lower() == "true"
            if stage.get("CacheClusterEnabled") is not None:
                params["cacheClusterEnabled"] = str(stage["CacheClusterEnabled"]).lower() == "true"
            if stage.get("CacheClusterSize"):
                params["cacheClusterSize"] = stage["CacheClusterSize"]
        output = await request.call("apigateway", "CreateDeployment", params)
        if properties.get("StageName") and stage:
            rest = {k: v for k, v in stage.items() if k not in ("Description", "Variables", "TracingEnabled")}
            operations = _stage_patches(rest)
            tags = _tags(request, stage.get("Tags"))
            if operations:
                await request.call(
                    "apigateway",
                    "UpdateStage",
                    {
                        "restApiId": properties["RestApiId"],
                        "stageName": properties["StageName"],
                        "patchOperations": operations,
                    },
                )
            if tags:
                arn = (
                    f"arn:{request.partition}:apigateway:{request.region}::/restapis/"
                    f"{properties['RestApiId']}/stages/{properties['StageName']}"
                )
                await request.call("apigateway", "TagResource", {"resourceArn": arn, "tags": tags})
        return output["id"], {"DeploymentId": output["id"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        properties = request.properties
        operations = _changes(request, {"Description": "/description"})
        if operations:
            await request.call(
                "apigateway",
                "UpdateDeployment",
                {
                    "restApiId": properties["RestApiId"],
                    "deploymentId": request.physical_id,
                    "patchOperations": operations,
                },
            )
        if properties.get("StageName") and properties["StageName"] != request.old_properties.get("StageName"):
            # A new stage name: the deployment gets that stage, as CreateDeployment would give it.
            try:
                await request.call(
                    "apigateway",
                    "UpdateStage",
                    {
                        "restApiId": properties["RestApiId"],
                        "stageName": properties["StageName"],
                        "patchOperations": [_replace("/deploymentId", request.physical_id)],
                    },
                )
            except ResourceFailed as error:
                if error.code not in _NOT_FOUND:
                    raise
                await request.call(
                    "apigateway",
                    "CreateStage",
                    {
                        "restApiId": properties["RestApiId"],
                        "stageName": properties["StageName"],
                        "deploymentId": request.physical_id,
                    },
                )
        if properties.get("StageName"):
            stage_ops = _stage_patches(
                properties.get("StageDescription") or {}, request.old_properties.get("StageDescription") or {}
            )
            if stage_ops:
                await request.call(
                    "apigateway",
                    "UpdateStage",
                    {
                        "restApiId": properties["RestApiId"],
                        "stageName": properties["StageName"],
                        "patchOperations": stage_ops,
                    },
                )
        return {"DeploymentId": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        properties = request.properties
        if properties.get("StageName"):
            # The stages the deployment made (under this and earlier stage names) go with it;
            # one another deployment took over stays.
            try:
                stages = await request.call(
                    "apigateway",
                    "GetStages",
                    {"restApiId": properties["RestApiId"], "deploymentId": request.physical_id},
                )
            except ResourceFailed as error:
                if error.code not in _NOT_FOUND:
                    raise
                stages = {}
            for stage in stages.get("item") or []:
                await _gone_ok(
                    request,
                    "DeleteStage",
                    {"restApiId": properties["RestApiId"], "stageName": stage["stageName"]},
                )
        await _gone_ok(
            request,
            "DeleteDeployment",
            {"restApiId": properties["RestApiId"], "deploymentId": request.physical_id},
        )


class Stage(ResourceHandler):
    replace_on = frozenset({"RestApiId", "StageName"})
    name_property = "StageName"
    required = ("RestApiId",)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("StageName") or request.physical_name(128)
        params: dict[str, Any] = {
            "restApiId": properties["RestApiId"],
            "stageName": name,
            "deploymentId": properties.get("DeploymentId", ""),
        }
        if not params["deploymentId"]:
            raise ResourceFailed("Property DeploymentId is required")
        for prop, key in (
            ("Description", "description"),
            ("CacheClusterSize", "cacheClusterSize"),
            ("Variables", "variables"),
            ("DocumentationVersion", "documentationVersion"),
        ):
            if properties.get(prop) is not None:
                params[key] = properties[prop]
        for prop, key in (
            ("CacheClusterEnabled", "cacheClusterEnabled"),
            ("TracingEnabled", "tracingEnabled"),
        ):
            if properties.get(prop) is not None:
                params[key] = str(properties[prop]).lower() == "true"
        canary = properties.get("CanarySetting")
        if canary:
            params["canarySettings"] = {
                key: canary[prop]
                for prop, key in (
                    ("DeploymentId", "deploymentId"),
                    ("PercentTraffic", "percentTraffic"),
                    ("StageVariableOverrides", "stageVariableOverrides"),
                    ("UseStageCache", "useStageCache"),
                )
                if prop in canary
            }
        tags = _tags(request, properties.get("Tags"))
        if tags:
            params["tags"] = tags
        await request.call("apigateway", "CreateStage", params)
        rest: dict[str, Any] = {
            k: properties[k]
            for k in ("AccessLogSetting", "MethodSettings", "ClientCertificateId")
            if k in properties
        }
        operations = _stage_patches(rest)
        if operations:
            await request.call(
                "apigateway",
                "UpdateStage",
                {"restApiId": properties["RestApiId"], "stageName": name, "patchOperations": operations},
            )
        return name, {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        properties = request.properties
        operations = _stage_patches(properties, request.old_properties)
        if properties.get("DeploymentId") != request.old_properties.get("DeploymentId"):
            operations.insert(0, _replace("/deploymentId", properties["DeploymentId"]))
        if operations:
            await request.call(
                "apigateway",
                "UpdateStage",
                {
                    "restApiId": properties["RestApiId"],
                    "stageName": request.physical_id,
                    "patchOperations": operations,
                },
            )
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone_ok(
            request,
            "DeleteStage",
            {"restApiId": request.properties["RestApiId"], "stageName": request.physical_id},
        )


class Authorizer(ResourceHandler):
    attributes = frozenset({"AuthorizerId"})
    replace_on = frozenset({"RestApiId"})
    required = ("Name", "RestApiId", "Type")
    _FIELDS = (
        ("Name", "name", "/name"),
        ("Type", "type", "/type"),
        ("AuthorizerUri", "authorizerUri", "/authorizerUri"),
        ("AuthorizerCredentials", "authorizerCredentials", "/authorizerCredentials"),
        ("IdentitySource", "identitySource", "/identitySource"),
        ("IdentityValidationExpression", "identityValidationExpression", "/identityValidationExpression"),
        ("AuthorizerResultTtlInSeconds", "authorizerResultTtlInSeconds", "/authorizerResultTtlInSeconds"),
        ("AuthType", "authType", "/authType"),
    )

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {"restApiId": properties["RestApiId"]}
        for prop, key, _ in self._FIELDS:
            if properties.get(prop) is not None:
                value = properties[prop]
                params[key] = int(value) if key == "authorizerResultTtlInSeconds" else value
        if properties.get("ProviderARNs"):
            params["providerARNs"] = properties["ProviderARNs"]
        output = await request.call("apigateway", "CreateAuthorizer", params)
        return output["id"], {"AuthorizerId": output["id"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        operations = _changes(request, {prop: path for prop, _, path in self._FIELDS})
        if operations:
            await request.call(
                "apigateway",
                "UpdateAuthorizer",
                {
                    "restApiId": request.properties["RestApiId"],
                    "authorizerId": request.physical_id,
                    "patchOperations": operations,
                },
            )
        return {"AuthorizerId": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone_ok(
            request,
            "DeleteAuthorizer",
            {"restApiId": request.properties["RestApiId"], "authorizerId": request.physical_id},
        )


def _schema_text(schema: Any) -> str:
    return schema if isinstance(schema, str) else json.dumps(schema)


class Model(ResourceHandler):
    replace_on = frozenset({"RestApiId", "Name", "ContentType"})
    name_property = "Name"
    required = ("RestApiId",)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("Name") or "".join(ch for ch in request.physical_name(60) if ch.isalnum())
        params: dict[str, Any] = {
            "restApiId": properties["RestApiId"],
            "name": name,
            "contentType": properties.get("ContentType") or "application/json",
        }
        if properties.get("Description") is not None:
            params["description"] = properties["Description"]
        if properties.get("Schema") is not None:
            params["schema"] = _schema_text(properties["Schema"])
        await request.call("apigateway", "CreateModel", params)
        return name, {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        operations = _changes(request, {"Description": "/description"})
        if request.properties.get("Schema") != request.old_properties.get("Schema"):
            operations.append(_replace("/schema", _schema_text(request.properties.get("Schema") or {})))
        if operations:
            await request.call(
                "apigateway",
                "UpdateModel",
                {
                    "restApiId": request.properties["RestApiId"],
                    "modelName": request.physical_id,
                    "patchOperations": operations,
                },
            )
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone_ok(
            request,
            "DeleteModel",
            {"restApiId": request.properties["RestApiId"], "modelName": request.physical_id},
        )


class RequestValidator(ResourceHandler):
    attributes = frozenset({"RequestValidatorId"})
    replace_on = frozenset({"RestApiId"})
    required = ("RestApiId",)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {
            "restApiId": properties["RestApiId"],
            "name": properties.get("Name") or request.physical_name(128),
            "validateRequestBody": str(properties.get("ValidateRequestBody", False)).lower() == "true",
            "validateRequestParameters": str(properties.get("ValidateRequestParameters", False)).lower()
            == "true",
        }
        output = await request.call("apigateway", "CreateRequestValidator", params)
        return output["id"], {"RequestValidatorId": output["id"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        operations = _changes(
            request,
            {
                "Name": "/name",
                "ValidateRequestBody": "/validateRequestBody",
                "ValidateRequestParameters": "/validateRequestParameters",
            },
            {"ValidateRequestBody": False, "ValidateRequestParameters": False},
        )
        if operations:
            await request.call(
                "apigateway",
                "UpdateRequestValidator",
                {
                    "restApiId": request.properties["RestApiId"],
                    "requestValidatorId": request.physical_id,
                    "patchOperations": operations,
                },
            )
        return {"RequestValidatorId": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone_ok(
            request,
            "DeleteRequestValidator",
            {"restApiId": request.properties["RestApiId"], "requestValidatorId": request.physical_id},
        )


class ApiKey(ResourceHandler):
    attributes = frozenset({"APIKeyId"})
    replace_on = frozenset({"Name", "Value", "GenerateDistinctId"})
    name_property = "Name"

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {
            "name": properties.get("Name") or request.physical_name(128),
            "enabled": str(properties.get("Enabled", False)).lower() == "true",
        }
        for prop, key in (
            ("Description", "description"),
            ("Value", "value"),
            ("CustomerId", "customerId"),
            ("GenerateDistinctId", "generateDistinctId"),
        ):
            if properties.get(prop) is not None:
                params[key] = properties[prop]
        if properties.get("StageKeys"):
            params["stageKeys"] = [
                {"restApiId": key.get("RestApiId"), "stageName": key.get("StageName")}
                for key in properties["StageKeys"]
            ]
        tags = _tags(request, properties.get("Tags"))
        if tags:
            params["tags"] = tags
        output = await request.call("apigateway", "CreateApiKey", params)
        return output["id"], {"APIKeyId": output["id"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        operations = _changes(
            request,
            {"Description": "/description", "Enabled": "/enabled", "CustomerId": "/customerId"},
            {"Enabled": False},
        )
        old_keys = {
            f"{k['RestApiId']}/{k['StageName']}" for k in request.old_properties.get("StageKeys") or []
        }
        new_keys = {f"{k['RestApiId']}/{k['StageName']}" for k in request.properties.get("StageKeys") or []}
        operations += [
            {"op": "remove", "path": "/stages", "value": key} for key in sorted(old_keys - new_keys)
        ]
        operations += [{"op": "add", "path": "/stages", "value": key} for key in sorted(new_keys - old_keys)]
        if operations:
            await request.call(
                "apigateway", "UpdateApiKey", {"apiKey": request.physical_id, "patchOperations": operations}
            )
        return {"APIKeyId": request.physical_id}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        key = await read_or_gone(
            request, "apigateway", "GetApiKey", {"apiKey": request.physical_id}, *_NOT_FOUND
        )
        current: dict[str, Any] = {"Name": key.get("name"), "Enabled": bool(key.get("enabled"))}
        if key.get("description") is not None:
            current["Description"] = key["description"]
        return current

    async def delete(self, request: ResourceRequest) -> None:
        await _gone_ok(request, "DeleteApiKey", {"apiKey": request.physical_id})


def _api_stage(stage: dict[str, Any]) -> str:
    return f"{stage['ApiId']}:{stage['Stage']}"


class UsagePlan(ResourceHandler):
    attributes = frozenset({"Id"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {"name": properties.get("UsagePlanName") or request.physical_name(128)}
        if properties.get("Description") is not None:
            params["description"] = properties["Description"]
        if properties.get("ApiStages"):
            params["apiStages"] = [
                {"apiId": s["ApiId"], "stage": s["Stage"]} for s in properties["ApiStages"]
            ]
        if properties.get("Throttle"):
            params["throttle"] = _throttle(properties["Throttle"])
        if properties.get("Quota"):
            params["quota"] = _quota(properties["Quota"])
        tags = _tags(request, properties.get("Tags"))
        if tags:
            params["tags"] = tags
        output = await request.call("apigateway", "CreateUsagePlan", params)
        return output["id"], {"Id": output["id"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        properties, old = request.properties, request.old_properties
        operations = _changes(request, {"UsagePlanName": "/name", "Description": "/description"})
        old_stages = {_api_stage(s) for s in old.get("ApiStages") or []}
        new_stages = {_api_stage(s) for s in properties.get("ApiStages") or []}
        operations += [
            {"op": "remove", "path": "/apiStages", "value": s} for s in sorted(old_stages - new_stages)
        ]
        operations += [
            {"op": "add", "path": "/apiStages", "value": s} for s in sorted(new_stages - old_stages)
        ]
        if properties.get("Throttle") != old.get("Throttle"):
            if properties.get("Throttle"):
                throttle = _throttle(properties["Throttle"])
                operations += [_replace(f"/throttle/{k}", v) for k, v in throttle.items()]
            else:
                operations.append({"op": "remove", "path": "/throttle"})
        if properties.get("Quota") != old.get("Quota"):
            if properties.get("Quota"):
                quota = _quota(properties["Quota"])
                operations += [_replace(f"/quota/{k}", v) for k, v in quota.items()]
            else:
                operations.append({"op": "remove", "path": "/quota"})
        if operations:
            await request.call(
                "apigateway",
                "UpdateUsagePlan",
                {"usagePlanId": request.physical_id, "patchOperations": operations},
            )
        return {"Id": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone_ok(request, "DeleteUsagePlan", {"usagePlanId": request.physical_id})


def _throttle(given: dict[str, Any]) -> dict[str, Any]:
    throttle: dict[str, Any] = {}
    if given.get("BurstLimit") is not None:
        throttle["burstLimit"] = int(given["BurstLimit"])
    if given.get("RateLimit") is not None:
        throttle["rateLimit"] = float(given["RateLimit"])
    return throttle


def _quota(given: dict[str, Any]) -> dict[str, Any]:
    quota: dict[str, Any] = {}
    if given.get("Limit") is not None:
        quota["limit"] = int(given["Limit"])
    if given.get("Offset") is not None:
        quota["offset"] = int(given["Offset"])
    if given.get("Period"):
        quota["period"] = given["Period"]
    return quota


class UsagePlanKey(ResourceHandler):
    attributes = frozenset({"Id"})
    updatable = False
    required = ("KeyId", "KeyType", "UsagePlanId")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        output = await request.call(
            "apigateway",
            "CreateUsagePlanKey",
            {
                "usagePlanId": properties["UsagePlanId"],
                "keyId": properties["KeyId"],
                "keyType": properties["KeyType"],
            },
        )
        physical_id = output["id"]  # as AWS's Ref: the key's id
        return physical_id, {"Id": physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone_ok(
            request,
            "DeleteUsagePlanKey",
            {"usagePlanId": request.properties["UsagePlanId"], "keyId": request.properties["KeyId"]},
        )


class GatewayResponse(ResourceHandler):
    attributes = frozenset({"Id"})
    replace_on = frozenset({"RestApiId", "ResponseType"})
    required = ("ResponseType", "RestApiId")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await self._put(request)
        physical_id = request.physical_name(128)
        return physical_id, {"Id": physical_id}

    @staticmethod
    async def _put(request: ResourceRequest) -> None:
        properties = request.properties
        params: dict[str, Any] = {
            "restApiId": properties["RestApiId"],
            "responseType": properties["ResponseType"],
        }
        for prop, key in (
            ("StatusCode", "statusCode"),
            ("ResponseParameters", "responseParameters"),
            ("ResponseTemplates", "responseTemplates"),
        ):
            if properties.get(prop) is not None:
                params[key] = str(properties[prop]) if key == "statusCode" else properties[prop]
        await request.call("apigateway", "PutGatewayResponse", params)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._put(request)
        return {"Id": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone_ok(
            request,
            "DeleteGatewayResponse",
            {
                "restApiId": request.properties["RestApiId"],
                "responseType": request.properties["ResponseType"],
            },
        )


class DomainName(ResourceHandler):
    identifier = "DomainName"
    attributes = frozenset(
        {
            "DistributionDomainName",
            "DistributionHostedZoneId",
            "RegionalDomainName",
            "RegionalHostedZoneId",
            "DomainNameArn",
        }
    )
    replace_on = frozenset({"DomainName"})
    name_property = "DomainName"
    required = ("DomainName",)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {"domainName": properties["DomainName"]}
        for prop, key in (
            ("CertificateArn", "certificateArn"),
            ("RegionalCertificateArn", "regionalCertificateArn"),
            ("SecurityPolicy", "securityPolicy"),
            ("OwnershipVerificationCertificateArn", "ownershipVerificationCertificateArn"),
        ):
            if properties.get(prop) is not None:
                params[key] = properties[prop]
        endpoint = _endpoint(properties)
        if endpoint:
            params["endpointConfiguration"] = endpoint
        tls = properties.get("MutualTlsAuthentication")
        if tls:
            params["mutualTlsAuthentication"] = {
                key: tls[prop]
                for prop, key in (
                    ("TruststoreUri", "truststoreUri"),
                    ("TruststoreVersion", "truststoreVersion"),
                )
                if prop in tls
            }
        tags = _tags(request, properties.get("Tags"))
        if tags:
            params["tags"] = tags
        output = await request.call("apigateway", "CreateDomainName", params)
        return properties["DomainName"], self._out(request, output)

    @staticmethod
    def _out(request: ResourceRequest, output: dict[str, Any]) -> dict[str, Any]:
        return {
            "DistributionDomainName": output.get("distributionDomainName", ""),
            "DistributionHostedZoneId": output.get("distributionHostedZoneId", ""),
            "RegionalDomainName": output.get("regionalDomainName", ""),
            "RegionalHostedZoneId": output.get("regionalHostedZoneId", ""),
            "DomainNameArn": output.get("domainNameArn")
            or f"arn:{request.partition}:apigateway:{request.region}::/domainnames/{output.get('domainName')}",
        }

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        operations = _changes(
            request,
            {
                "CertificateArn": "/certificateArn",
                "RegionalCertificateArn": "/regionalCertificateArn",
                "SecurityPolicy": "/securityPolicy",
            },
        )
        if operations:
            await request.call(
                "apigateway",
                "UpdateDomainName",
                {"domainName": request.physical_id, "patchOperations": operations},
            )
        output = await request.call("apigateway", "GetDomainName", {"domainName": request.physical_id})
        return self._out(request, output)

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        output = await request.call("apigateway", "GetDomainName", {"domainName": request.physical_id})
        return self._out(request, output)

    async def delete(self, request: ResourceRequest) -> None:
        await _gone_ok(request, "DeleteDomainName", {"domainName": request.physical_id})


class BasePathMapping(ResourceHandler):
    replace_on = frozenset({"DomainName", "BasePath"})
    required = ("DomainName",)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {
            "domainName": properties["DomainName"],
            "restApiId": properties.get("RestApiId", ""),
        }
        if properties.get("BasePath"):
            params["basePath"] = properties["BasePath"]
        if properties.get("Stage"):
            params["stage"] = properties["Stage"]
        output = await request.call("apigateway", "CreateBasePathMapping", params)
        return f"{properties['DomainName']}|{output.get('basePath', '(none)')}", {}

    @staticmethod
    def _base_path(properties: dict[str, Any]) -> str:
        return properties.get("BasePath") or "(none)"

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        operations = _changes(request, {"RestApiId": "/restapiId", "Stage": "/stage"})
        if operations:
            await request.call(
                "apigateway",
                "UpdateBasePathMapping",
                {
                    "domainName": request.properties["DomainName"],
                    "basePath": self._base_path(request.properties),
                    "patchOperations": operations,
                },
            )
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone_ok(
            request,
            "DeleteBasePathMapping",
            {"domainName": request.properties["DomainName"], "basePath": self._base_path(request.properties)},
        )


class Account(ResourceHandler):
    attributes = frozenset({"Id"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await self._apply(request)
        physical_id = request.physical_name(128)
        return physical_id, {"Id": physical_id}

    @staticmethod
    async def _apply(request: ResourceRequest) -> None:
        role = request.properties.get("CloudWatchRoleArn")
        if role is not None or request.old_properties.get("CloudWatchRoleArn"):
            await request.call(
                "apigateway",
                "UpdateAccount",
                {"patchOperations": [_replace("/cloudwatchRoleArn", role or "")]},
            )

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._apply(request)
        return {"Id": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        # As AWS's: the account's settings stay as they are when the resource goes.
        return None


class ClientCertificate(ResourceHandler):
    attributes = frozenset({"ClientCertificateId"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = {}
        if request.properties.get("Description") is not None:
            params["description"] = request.properties["Description"]
        tags = _tags(request, request.properties.get("Tags"))
        if tags:
            params["tags"] = tags
        output = await request.call("apigateway", "GenerateClientCertificate", params)
        certificate = output["clientCertificateId"]
        return certificate, {"ClientCertificateId": certificate}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        operations = _changes(request, {"Description": "/description"})
        if operations:
            await request.call(
                "apigateway",
                "UpdateClientCertificate",
                {"clientCertificateId": request.physical_id, "patchOperations": operations},
            )
        return {"ClientCertificateId": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone_ok(request, "DeleteClientCertificate", {"clientCertificateId": request.physical_id})


class VpcLink(ResourceHandler):
    attributes = frozenset({"VpcLinkId"})
    replace_on = frozenset({"TargetArns"})
    required = ("Name", "TargetArns")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {"name": properties["Name"], "targetArns": list(properties["TargetArns"])}
        if properties.get("Description") is not None:
            params["description"] = properties["Description"]
        tags = _tags(request, properties.get("Tags"))
        if tags:
            params["tags"] = tags
        output = await request.call("apigateway", "CreateVpcLink", params)
        return output["id"], {"VpcLinkId": output["id"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        operations = _changes(request, {"Name": "/name", "Description": "/description"})
        if operations:
            await request.call(
                "apigateway",
                "UpdateVpcLink",
                {"vpcLinkId": request.physical_id, "patchOperations": operations},
            )
        return {"VpcLinkId": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone_ok(request, "DeleteVpcLink", {"vpcLinkId": request.physical_id})


class DocumentationPart(ResourceHandler):
    attributes = frozenset({"DocumentationPartId"})
    replace_on = frozenset({"RestApiId", "Location"})
    required = ("Location", "Properties", "RestApiId")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        location = {
            key: properties["Location"][prop]
            for prop, key in (
                ("Type", "type"),
                ("Path", "path"),
                ("Method", "method"),
                ("StatusCode", "statusCode"),
                ("Name", "name"),
            )
            if properties["Location"].get(prop) is not None
        }
        output = await request.call(
            "apigateway",
            "CreateDocumentationPart",
            {
                "restApiId": properties["RestApiId"],
                "location": location,
                "properties": properties["Properties"],
            },
        )
        return output["id"], {"DocumentationPartId": output["id"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        operations = _changes(request, {"Properties": "/properties"})
        if operations:
            await request.call(
                "apigateway",
                "UpdateDocumentationPart",
                {
                    "restApiId": request.properties["RestApiId"],
                    "documentationPartId": request.physical_id,
                    "patchOperations": operations,
                },
            )
        return {"DocumentationPartId": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone_ok(
            request,
            "DeleteDocumentationPart",
            {"restApiId": request.properties["RestApiId"], "documentationPartId": request.physical_id},
        )


class DocumentationVersion(ResourceHandler):
    replace_on = frozenset({"RestApiId", "DocumentationVersion"})
    required = ("DocumentationVersion", "RestApiId")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {
            "restApiId": properties["RestApiId"],
            "documentationVersion": properties["DocumentationVersion"],
        }
        if properties.get("Description") is not None:
            params["description"] = properties["Description"]
        await request.call("apigateway", "CreateDocumentationVersion", params)
        return properties["DocumentationVersion"], {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        operations = _changes(request, {"Description": "/description"})
        if operations:
            await request.call(
                "apigateway",
                "UpdateDocumentationVersion",
                {
                    "restApiId": request.properties["RestApiId"],
                    "documentationVersion": request.physical_id,
                    "patchOperations": operations,
                },
            )
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone_ok(
            request,
            "DeleteDocumentationVersion",
            {"restApiId": request.properties["RestApiId"], "documentationVersion": request.physical_id},
        )


HANDLERS = {
    "AWS::ApiGateway::RestApi": RestApi,
    "AWS::ApiGateway::Resource": Resource,
    "AWS::ApiGateway::Method": Method,
    "AWS::ApiGateway::Deployment": Deployment,
    "AWS::ApiGateway::Stage": Stage,
    "AWS::ApiGateway::Authorizer": Authorizer,
    "AWS::ApiGateway::Model": Model,
    "AWS::ApiGateway::RequestValidator": RequestValidator,
    "AWS::ApiGateway::ApiKey": ApiKey,
    "AWS::ApiGateway::UsagePlan": UsagePlan,
    "AWS::ApiGateway::UsagePlanKey": UsagePlanKey,
    "AWS::ApiGateway::GatewayResponse": GatewayResponse,
    "AWS::ApiGateway::DomainName": DomainName,
    "AWS::ApiGateway::BasePathMapping": BasePathMapping,
    "AWS::ApiGateway::Account": Account,
    "AWS::ApiGateway::ClientCertificate": ClientCertificate,
    "AWS::ApiGateway::VpcLink": VpcLink,
    "AWS::ApiGateway::DocumentationPart": DocumentationPart,
    "AWS::ApiGateway::DocumentationVersion": DocumentationVersion,
}
