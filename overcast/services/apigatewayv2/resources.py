"""The CloudFormation resource types of HTTP and WebSocket APIs (AWS::ApiGatewayV2::*),
through the provider's own operations. Their properties are the API's members, so one handler
serves the children of an API: it passes the properties its operations take."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, ClassVar

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceHandler,
    ResourceRequest,
    read_or_gone,
)

SERVICE = "apigatewayv2"


@lru_cache(maxsize=128)
def _members(operation: str) -> frozenset[str]:
    from overcast import protocols

    shape = protocols.service_model(SERVICE).operation_model(operation).input_shape
    return frozenset(shape.members) if shape is not None else frozenset()


def _text(value: Any) -> Any:
    return value if isinstance(value, str) else json.dumps(value)


def _response_parameters(value: Any) -> Any:
    """An integration's ResponseParameters as CloudFormation writes them (`{"200":
    {"ResponseParameters": [{"Destination": ..., "Source": ...}]}}`) in the API's form."""
    if not isinstance(value, dict):
        return value
    out = {}
    for status, given in value.items():
        if isinstance(given, dict) and isinstance(given.get("ResponseParameters"), list):
            out[status] = {p["Destination"]: p["Source"] for p in given["ResponseParameters"]}
        else:
            out[status] = given
    return out


def _params(operation: str, properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    members = _members(operation)
    params = {name: value for name, value in properties.items() if name in members and value is not None}
    if "Schema" in params:
        params["Schema"] = _text(params["Schema"])
    if "ResponseParameters" in params and operation.endswith("Integration"):
        params["ResponseParameters"] = _response_parameters(params["ResponseParameters"])
    for name in ("StageVariables", "RouteSettings", "Tags"):
        if isinstance(params.get(name), str):
            params[name] = json.loads(params[name])
    params.update({name: value for name, value in extra.items() if value is not None})
    return params


async def _gone_ok(request: ResourceRequest, operation: str, params: dict[str, Any]) -> None:
    try:
        await request.call(SERVICE, operation, params)
    except ResourceFailed as error:
        if error.code != "NotFoundException":
            raise


class Child(ResourceHandler):
    """A resource made by Create{kind}, changed by Update{kind}, removed by Delete{kind}."""

    kind: ClassVar[str] = ""
    id_member: ClassVar[str] = ""
    parents: ClassVar[tuple[str, ...]] = ("ApiId",)

    def _parents(self, properties: dict[str, Any]) -> dict[str, Any]:
        return {name: properties[name] for name in self.parents}

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        params = _params(f"Create{self.kind}", request.properties)
        output = await request.call(SERVICE, f"Create{self.kind}", params)
        return output[self.id_member], self._attributes(output)

    def _attributes(self, output: dict[str, Any]) -> dict[str, Any]:
        return {self.id_member: output[self.id_member]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        params = _params(
            f"Update{self.kind}",
            request.properties,
            **self._parents(request.properties),
            **{self.id_member: request.physical_id},
        )
        output = await request.call(SERVICE, f"Update{self.kind}", params)
        return self._attributes({**output, self.id_member: request.physical_id})

    async def delete(self, request: ResourceRequest) -> None:
        await _gone_ok(
            request,
            f"Delete{self.kind}",
            {**self._parents(request.properties), self.id_member: request.physical_id},
        )

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        output = await read_or_gone(
            request,
            SERVICE,
            f"Get{self.kind}",
            {**self._parents(request.properties), self.id_member: request.physical_id},
            "NotFoundException",
        )
        return {name: value for name, value in output.items() if name in request.properties}


class Api(ResourceHandler):
    identifier = "ApiId"
    attributes = frozenset({"ApiId", "ApiEndpoint"})
    replace_on = frozenset({"ProtocolType"})

    async def _body(self, request: ResourceRequest) -> str | None:
        properties = request.properties
        if properties.get("Body") is not None:
            return _text(properties["Body"])
        location = properties.get("BodyS3Location")
        if location:
            params = {"Bucket": location["Bucket"], "Key": location["Key"]}
            if location.get("Version"):
                params["VersionId"] = location["Version"]
            if location.get("Etag"):
                params["IfMatch"] = location["Etag"]
            output = await request.call("s3", "GetObject", params)
            data = output.get("Body", b"")
            return bytes(data.read() if hasattr(data, "read") else data).decode()
        return None

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        body = await self._body(request)
        if body is not None:
            api = await request.call(
                SERVICE,
                "ImportApi",
                {
                    "Body": body,
                    "FailOnWarnings": bool(properties.get("FailOnWarnings")),
                    "Basepath": properties.get("BasePath"),
                },
            )
            settings = _params("UpdateApi", properties)
            settings.pop("Target", None)
            settings.pop("RouteKey", None)
            settings.pop("CredentialsArn", None)
            if settings:
                api = await request.call(SERVICE, "UpdateApi", {**settings, "ApiId": api["ApiId"]})
        else:
            if not properties.get("Name") or not properties.get("ProtocolType"):
                raise ResourceFailed(
                    "Properties Name and ProtocolType are required when Body and BodyS3Location are absent"
                )
            api = await request.call(SERVICE, "CreateApi", _params("CreateApi", properties, Tags=None))
        tags = {tag["Key"]: tag["Value"] for tag in request.tags()}
        tags.update(properties.get("Tags") or {})
        if tags:
            arn = f"arn:{request.partition}:apigateway:{request.region}::/apis/{api['ApiId']}"
            await request.call(SERVICE, "TagResource", {"ResourceArn": arn, "Tags": tags})
        return api["ApiId"], {"ApiId": api["ApiId"], "ApiEndpoint": api["ApiEndpoint"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        properties = request.properties
        body = await self._body(request)
        if body is not None:
            await request.call(
                SERVICE,
                "ReimportApi",
                {
                    "ApiId": request.physical_id,
                    "Body": body,
                    "FailOnWarnings": bool(properties.get("FailOnWarnings")),
                },
            )
            settings = _params("UpdateApi", properties)
            for name in ("Target", "RouteKey", "CredentialsArn"):
                settings.pop(name, None)
        else:
            settings = _params("UpdateApi", properties)
        api = await request.call(SERVICE, "UpdateApi", {**settings, "ApiId": request.physical_id})
        return {"ApiId": api["ApiId"], "ApiEndpoint": api["ApiEndpoint"]}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone_ok(request, "DeleteApi", {"ApiId": request.physical_id})

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        api = await request.call(SERVICE, "GetApi", {"ApiId": request.physical_id})
        return {"ApiId": api["ApiId"], "ApiEndpoint": api["ApiEndpoint"]}


class Route(Child):
    kind, id_member = "Route", "RouteId"
    attributes = frozenset({"RouteId"})
    replace_on = frozenset({"ApiId"})


class Integration(Child):
    kind, id_member = "Integration", "IntegrationId"
    attributes = frozenset({"IntegrationId"})
    replace_on = frozenset({"ApiId"})


class Authorizer(Child):
    kind, id_member = "Authorizer", "AuthorizerId"
    attributes = frozenset({"AuthorizerId"})
    replace_on = frozenset({"ApiId"})


class Model(Child):
    kind, id_member = "Model", "ModelId"
    attributes = frozenset({"ModelId"})
    replace_on = frozenset({"ApiId"})


class Deployment(Child):
    kind, id_member = "Deployment", "DeploymentId"
    attributes = frozenset({"DeploymentId"})
    replace_on = frozenset({"ApiId", "StageName"})


class RouteResponse(Child):
    kind, id_member = "RouteResponse", "RouteResponseId"
    parents = ("ApiId", "RouteId")
    attributes = frozenset({"RouteResponseId"})
    replace_on = frozenset({"ApiId", "RouteId"})


class IntegrationResponse(Child):
    kind, id_member = "IntegrationResponse", "IntegrationResponseId"
    parents = ("ApiId", "IntegrationId")
    attributes = frozenset({"IntegrationResponseId"})
    replace_on = frozenset({"ApiId", "IntegrationId"})


class Stage(Child):
    kind, id_member = "Stage", "StageName"
    replace_on = frozenset({"ApiId", "StageName"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        params = _params("CreateStage", request.properties)
        tags = {tag["Key"]: tag["Value"] for tag in request.tags()}
        tags.update(params.get("Tags") or {})
        if tags:
            params["Tags"] = tags
        output = await request.call(SERVICE, "CreateStage", params)
        return output["StageName"], {}

    def _attributes(self, output: dict[str, Any]) -> dict[str, Any]:
        return {}


class ApiMapping(Child):
    kind, id_member = "ApiMapping", "ApiMappingId"
    parents = ("DomainName",)
    attributes = frozenset({"ApiMappingId"})
    replace_on = frozenset({"DomainName"})


class DomainName(ResourceHandler):
    identifier = "DomainName"
    attributes = frozenset({"RegionalDomainName", "RegionalHostedZoneId", "DomainNameArn"})
    replace_on = frozenset({"DomainName"})
    name_property = "DomainName"

    @staticmethod
    def _attributes(output: dict[str, Any]) -> dict[str, Any]:
        configuration = (output.get("DomainNameConfigurations") or [{}])[0]
        return {
            "RegionalDomainName": configuration.get("ApiGatewayDomainName"),
            "RegionalHostedZoneId": configuration.get("HostedZoneId"),
            "DomainNameArn": output.get("DomainNameArn"),
        }

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        params = _params("CreateDomainName", request.properties)
        tags = {tag["Key"]: tag["Value"] for tag in request.tags()}
        tags.update(params.get("Tags") or {})
        if tags:
            params["Tags"] = tags
        output = await request.call(SERVICE, "CreateDomainName", params)
        return output["DomainName"], self._attributes(output)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        output = await request.call(
            SERVICE,
            "UpdateDomainName",
            _params("UpdateDomainName", request.properties, DomainName=request.physical_id),
        )
        return self._attributes(output)

    async def delete(self, request: ResourceRequest) -> None:
        await _gone_ok(request, "DeleteDomainName", {"DomainName": request.physical_id})


class VpcLink(ResourceHandler):
    attributes = frozenset({"VpcLinkId"})
    replace_on = frozenset({"SubnetIds", "SecurityGroupIds"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        output = await request.call(SERVICE, "CreateVpcLink", _params("CreateVpcLink", request.properties))
        return output["VpcLinkId"], {"VpcLinkId": output["VpcLinkId"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call(
            SERVICE, "UpdateVpcLink", {"VpcLinkId": request.physical_id, "Name": request.properties["Name"]}
        )
        return {"VpcLinkId": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone_ok(request, "DeleteVpcLink", {"VpcLinkId": request.physical_id})


def _domain_of(arn: str) -> str:
    """The domain name in a domain name's ARN (…:/domainnames/{name})."""
    return arn.rsplit("/domainnames/", 1)[-1].split("/", 1)[0]


class RoutingRule(ResourceHandler):
    """A routing rule of a custom domain name; its physical id is the rule's ARN."""

    required = ("DomainNameArn", "Priority", "Conditions", "Actions")
    replace_on = frozenset({"DomainNameArn"})
    attributes = frozenset({"RoutingRuleId", "RoutingRuleArn"})

    @staticmethod
    def _rule(properties: dict[str, Any]) -> dict[str, Any]:
        actions = []
        for action in properties["Actions"]:
            invoke = dict(action["InvokeApi"])
            if "StripBasePath" in invoke:
                invoke["StripBasePath"] = str(invoke["StripBasePath"]).lower() == "true"
            actions.append({"InvokeApi": invoke})
        return {
            "DomainName": _domain_of(properties["DomainNameArn"]),
            "Priority": int(properties["Priority"]),
            "Conditions": properties["Conditions"],
            "Actions": actions,
        }

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        output = await request.call(SERVICE, "CreateRoutingRule", self._rule(request.properties))
        return output["RoutingRuleArn"], {
            "RoutingRuleId": output["RoutingRuleId"],
            "RoutingRuleArn": output["RoutingRuleArn"],
        }

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        rule_id = request.physical_id.rsplit("/", 1)[-1]
        await request.call(
            SERVICE, "PutRoutingRule", {**self._rule(request.properties), "RoutingRuleId": rule_id}
        )
        return {"RoutingRuleId": rule_id, "RoutingRuleArn": request.physical_id}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        found = await read_or_gone(
            request,
            SERVICE,
            "GetRoutingRule",
            {
                "DomainName": _domain_of(request.physical_id),
                "RoutingRuleId": request.physical_id.rsplit("/", 1)[-1],
            },
            "NotFoundException",
        )
        return {"Priority": found["Priority"], "Conditions": found["Conditions"], "Actions": found["Actions"]}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone_ok(
            request,
            "DeleteRoutingRule",
            {
                "DomainName": _domain_of(request.physical_id),
                "RoutingRuleId": request.physical_id.rsplit("/", 1)[-1],
            },
        )


class ApiGatewayManagedOverrides(ResourceHandler):
    """Changes to the route, integration and stage that a quick-create API (CreateApi with a
    Target) made; its physical id is "{ApiId}-overrides". Deleting it leaves them as they are."""

    required = ("ApiId",)
    replace_on = frozenset({"ApiId"})

    async def _apply(self, request: ResourceRequest) -> None:
        p = request.properties
        api = p["ApiId"]
        if p.get("Route"):
            routes = (await request.call(SERVICE, "GetRoutes", {"ApiId": api})).get("Items") or []
            route = next((r for r in routes if r["RouteKey"] == "$default"), None)
            if route is None:
                raise ResourceFailed(f"API {api} has no route made by quick create", "NotFoundException")
            await request.call(
                SERVICE,
                "UpdateRoute",
                _params("UpdateRoute", p["Route"], ApiId=api, RouteId=route["RouteId"]),
            )
        if p.get("Integration"):
            integrations = (await request.call(SERVICE, "GetIntegrations", {"ApiId": api})).get("Items") or []
            if not integrations:
                raise ResourceFailed(
                    f"API {api} has no integration made by quick create", "NotFoundException"
                )
            given = dict(p["Integration"])
            if "TimeoutInMillis" in given:
                given["TimeoutInMillis"] = int(given["TimeoutInMillis"])
            await request.call(
                SERVICE,
                "UpdateIntegration",
                _params(
                    "UpdateIntegration", given, ApiId=api, IntegrationId=integrations[0]["IntegrationId"]
                ),
            )
        if p.get("Stage"):
            given = dict(p["Stage"])
            if "AutoDeploy" in given:
                given["AutoDeploy"] = str(given["AutoDeploy"]).lower() == "true"
            await request.call(
                SERVICE, "UpdateStage", _params("UpdateStage", given, ApiId=api, StageName="$default")
            )

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await self._apply(request)
        return f"{request.properties['ApiId']}-overrides", {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._apply(request)
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        return None


HANDLERS = {
    "AWS::ApiGatewayV2::Api": Api,
    "AWS::ApiGatewayV2::Route": Route,
    "AWS::ApiGatewayV2::Integration": Integration,
    "AWS::ApiGatewayV2::Authorizer": Authorizer,
    "AWS::ApiGatewayV2::Model": Model,
    "AWS::ApiGatewayV2::Deployment": Deployment,
    "AWS::ApiGatewayV2::Stage": Stage,
    "AWS::ApiGatewayV2::RouteResponse": RouteResponse,
    "AWS::ApiGatewayV2::IntegrationResponse": IntegrationResponse,
    "AWS::ApiGatewayV2::DomainName": DomainName,
    "AWS::ApiGatewayV2::ApiMapping": ApiMapping,
    "AWS::ApiGatewayV2::VpcLink": VpcLink,
    "AWS::ApiGatewayV2::RoutingRule": RoutingRule,
    "AWS::ApiGatewayV2::ApiGatewayManagedOverrides": ApiGatewayManagedOverrides,
}
