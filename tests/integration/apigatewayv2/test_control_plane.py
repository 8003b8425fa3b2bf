"""The control plane of HTTP and WebSocket APIs through boto3: what each resource holds,
API Gateway's refusals, auto-deploy, OpenAPI import and export, domain names, VPC links,
portals and tags."""

from __future__ import annotations

import json

import pytest
import yaml
from botocore.exceptions import ClientError

from .helpers import unique

LAMBDA = "arn:aws:lambda:us-east-1:000000000000:function:nobody"


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_api_lifecycle(client):
    apigw = client("apigatewayv2")
    created = apigw.create_api(
        Name=unique("api"), ProtocolType="HTTP", Description="first", Tags={"team": "a"}, Version="1"
    )
    api_id = created["ApiId"]
    assert created["RouteSelectionExpression"] == "$request.method $request.path"
    assert created["ApiKeySelectionExpression"] == "$request.header.x-api-key"
    assert created["ApiEndpoint"].endswith(
        ".execute-api.localhost.localstack.cloud:" + created["ApiEndpoint"].rsplit(":", 1)[1]
    )
    assert created["DisableExecuteApiEndpoint"] is False
    got = apigw.get_api(ApiId=api_id)
    assert got["Name"] == created["Name"] and got["Tags"] == {"team": "a"}
    updated = apigw.update_api(ApiId=api_id, Description="second", CorsConfiguration={"AllowOrigins": ["*"]})
    assert updated["Description"] == "second" and updated["CorsConfiguration"] == {"AllowOrigins": ["*"]}
    apigw.delete_cors_configuration(ApiId=api_id)
    assert "CorsConfiguration" not in apigw.get_api(ApiId=api_id)
    assert api_id in [api["ApiId"] for api in apigw.get_apis()["Items"]]
    apigw.delete_api(ApiId=api_id)
    with pytest.raises(ClientError) as missing:
        apigw.get_api(ApiId=api_id)
    assert error_code(missing) == "NotFoundException"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_refusals(client):
    apigw = client("apigatewayv2")
    with pytest.raises(ClientError) as no_selection:
        apigw.create_api(Name="ws", ProtocolType="WEBSOCKET")
    assert error_code(no_selection) == "BadRequestException"
    api_id = apigw.create_api(Name=unique("api"), ProtocolType="HTTP")["ApiId"]
    with pytest.raises(ClientError) as bad_key:
        apigw.create_route(ApiId=api_id, RouteKey="FETCH /x")
    assert error_code(bad_key) == "BadRequestException"
    apigw.create_route(ApiId=api_id, RouteKey="GET /x")
    with pytest.raises(ClientError) as twice:
        apigw.create_route(ApiId=api_id, RouteKey="GET /x")
    assert error_code(twice) == "ConflictException"
    with pytest.raises(ClientError) as bad_target:
        apigw.create_route(ApiId=api_id, RouteKey="GET /y", Target="integrations/nothing")
    assert error_code(bad_target) == "BadRequestException"
    with pytest.raises(ClientError) as mock_on_http:
        apigw.create_integration(ApiId=api_id, IntegrationType="MOCK")
    assert error_code(mock_on_http) == "BadRequestException"
    with pytest.raises(ClientError) as bad_subtype:
        apigw.create_integration(
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationSubtype="SQS-SendMessage",
            PayloadFormatVersion="1.0",
        )
    assert error_code(bad_subtype) == "BadRequestException"
    with pytest.raises(ClientError) as credentials_on_wildcard:
        apigw.update_api(ApiId=api_id, CorsConfiguration={"AllowOrigins": ["*"], "AllowCredentials": True})
    assert error_code(credentials_on_wildcard) == "BadRequestException"
    with pytest.raises(ClientError) as no_routes:
        apigw.create_deployment(ApiId=apigw.create_api(Name=unique("e"), ProtocolType="HTTP")["ApiId"])
    assert error_code(no_routes) == "BadRequestException"
    with pytest.raises(ClientError) as unknown_route:
        apigw.get_route(ApiId=api_id, RouteId="nothing")
    assert error_code(unknown_route) == "NotFoundException"


def test_routes_integrations_and_auto_deploy(client):
    apigw = client("apigatewayv2")
    api_id = apigw.create_api(Name=unique("api"), ProtocolType="HTTP")["ApiId"]
    integration = apigw.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=LAMBDA, PayloadFormatVersion="2.0"
    )
    assert integration["IntegrationMethod"] == "POST" and integration["TimeoutInMillis"] == 30000
    assert integration["ConnectionType"] == "INTERNET"
    integration_id = integration["IntegrationId"]
    route = apigw.create_route(ApiId=api_id, RouteKey="GET /a", Target=f"integrations/{integration_id}")
    assert route["AuthorizationType"] == "NONE" and route["ApiKeyRequired"] is False
    stage = apigw.create_stage(ApiId=api_id, StageName="live", AutoDeploy=True, StageVariables={"v": "1"})
    first = stage["DeploymentId"]
    assert apigw.get_deployment(ApiId=api_id, DeploymentId=first)["AutoDeployed"] is True
    apigw.update_route(ApiId=api_id, RouteId=route["RouteId"], RouteKey="GET /b")
    second = apigw.get_stage(ApiId=api_id, StageName="live")["DeploymentId"]
    assert second != first
    assert apigw.get_route(ApiId=api_id, RouteId=route["RouteId"])["RouteKey"] == "GET /b"
    with pytest.raises(ClientError) as in_use:
        apigw.delete_integration(ApiId=api_id, IntegrationId=integration_id)
    assert error_code(in_use) == "ConflictException"
    updated = apigw.update_integration(ApiId=api_id, IntegrationId=integration_id, TimeoutInMillis=5000)
    assert updated["TimeoutInMillis"] == 5000
    assert len(apigw.get_routes(ApiId=api_id)["Items"]) == 1
    assert len(apigw.get_integrations(ApiId=api_id)["Items"]) == 1
    staged = apigw.update_stage(ApiId=api_id, StageName="live", StageVariables={"w": "2"}, Description="d")
    assert staged["StageVariables"] == {"v": "1", "w": "2"}
    with pytest.raises(ClientError) as manual:
        apigw.create_deployment(ApiId=api_id, StageName="live")
    assert error_code(manual) == "BadRequestException"
    apigw.delete_route(ApiId=api_id, RouteId=route["RouteId"])
    apigw.delete_integration(ApiId=api_id, IntegrationId=integration_id)
    apigw.delete_stage(ApiId=api_id, StageName="live")
    assert apigw.get_stages(ApiId=api_id)["Items"] == []


def test_route_settings_and_pagination(client):
    apigw = client("apigatewayv2")
    api_id = apigw.create_api(Name=unique("api"), ProtocolType="HTTP")["ApiId"]
    for index in range(5):
        apigw.create_route(ApiId=api_id, RouteKey=f"GET /r{index}")
    first = apigw.get_routes(ApiId=api_id, MaxResults="2")
    assert len(first["Items"]) == 2 and first["NextToken"]
    paginated = [
        r for page in apigw.get_paginator("get_routes").paginate(ApiId=api_id) for r in page["Items"]
    ]
    assert len(paginated) == 5
    apigw.create_stage(
        ApiId=api_id,
        StageName="s",
        RouteSettings={"GET /r1": {"ThrottlingBurstLimit": 5, "ThrottlingRateLimit": 2.0}},
        DefaultRouteSettings={"ThrottlingBurstLimit": 100},
    )
    with pytest.raises(ClientError) as unknown:
        apigw.update_stage(
            ApiId=api_id, StageName="s", RouteSettings={"GET /nope": {"ThrottlingBurstLimit": 1}}
        )
    assert error_code(unknown) == "NotFoundException"
    apigw.delete_route_settings(ApiId=api_id, StageName="s", RouteKey="GET /r1")
    assert apigw.get_stage(ApiId=api_id, StageName="s")["RouteSettings"] == {}
    with pytest.raises(ClientError) as logs_on_http:
        apigw.update_stage(ApiId=api_id, StageName="s", DefaultRouteSettings={"LoggingLevel": "INFO"})
    assert error_code(logs_on_http) == "BadRequestException"


def test_authorizers_and_models(client):
    apigw = client("apigatewayv2")
    api_id = apigw.create_api(Name=unique("api"), ProtocolType="HTTP")["ApiId"]
    jwt = apigw.create_authorizer(
        ApiId=api_id,
        AuthorizerType="JWT",
        Name="jwt",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": "https://issuer.example", "Audience": ["a"]},
    )
    assert jwt["JwtConfiguration"]["Audience"] == ["a"]
    with pytest.raises(ClientError) as no_version:
        apigw.create_authorizer(
            ApiId=api_id,
            AuthorizerType="REQUEST",
            Name="r",
            IdentitySource=["$request.header.x"],
            AuthorizerUri=LAMBDA,
        )
    assert error_code(no_version) == "BadRequestException"
    updated = apigw.update_authorizer(ApiId=api_id, AuthorizerId=jwt["AuthorizerId"], Name="renamed")
    assert updated["Name"] == "renamed"
    route = apigw.create_route(
        ApiId=api_id, RouteKey="GET /x", AuthorizationType="JWT", AuthorizerId=jwt["AuthorizerId"]
    )
    with pytest.raises(ClientError) as in_use:
        apigw.delete_authorizer(ApiId=api_id, AuthorizerId=jwt["AuthorizerId"])
    assert error_code(in_use) == "ConflictException"
    apigw.update_route(ApiId=api_id, RouteId=route["RouteId"], AuthorizationType="NONE")
    apigw.delete_authorizer(ApiId=api_id, AuthorizerId=jwt["AuthorizerId"])

    schema = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}
    model = apigw.create_model(ApiId=api_id, Name="Pet", Schema=json.dumps(schema))
    assert model["ContentType"] == "application/json"
    template = apigw.get_model_template(ApiId=api_id, ModelId=model["ModelId"])["Value"]
    assert '"name" : "$inputRoot.name"' in template and '"age" : $inputRoot.age' in template
    with pytest.raises(ClientError) as bad_schema:
        apigw.create_model(ApiId=api_id, Name="Bad", Schema="{not json")
    assert error_code(bad_schema) == "BadRequestException"
    apigw.delete_model(ApiId=api_id, ModelId=model["ModelId"])
    assert apigw.get_models(ApiId=api_id)["Items"] == []


def test_websocket_route_and_integration_responses(client):
    apigw = client("apigatewayv2")
    api_id = apigw.create_api(
        Name=unique("ws"), ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    integration = apigw.create_integration(ApiId=api_id, IntegrationType="MOCK")
    assert integration["IntegrationResponseSelectionExpression"] == "${integration.response.statuscode}"
    response = apigw.create_integration_response(
        ApiId=api_id, IntegrationId=integration["IntegrationId"], IntegrationResponseKey="$default"
    )
    listed = apigw.get_integration_responses(ApiId=api_id, IntegrationId=integration["IntegrationId"])[
        "Items"
    ]
    assert [r["IntegrationResponseId"] for r in listed] == [response["IntegrationResponseId"]]
    apigw.update_integration_response(
        ApiId=api_id,
        IntegrationId=integration["IntegrationId"],
        IntegrationResponseId=response["IntegrationResponseId"],
        ResponseTemplates={"$default": "{}"},
    )
    route = apigw.create_route(
        ApiId=api_id, RouteKey="$default", Target=f"integrations/{integration['IntegrationId']}"
    )
    route_response = apigw.create_route_response(
        ApiId=api_id, RouteId=route["RouteId"], RouteResponseKey="$default"
    )
    got = apigw.get_route_response(
        ApiId=api_id, RouteId=route["RouteId"], RouteResponseId=route_response["RouteResponseId"]
    )
    assert got["RouteResponseKey"] == "$default"
    apigw.delete_route_response(
        ApiId=api_id, RouteId=route["RouteId"], RouteResponseId=route_response["RouteResponseId"]
    )
    assert apigw.get_route_responses(ApiId=api_id, RouteId=route["RouteId"])["Items"] == []
    with pytest.raises(ClientError) as unknown:
        apigw.get_route_response(ApiId=api_id, RouteId=route["RouteId"], RouteResponseId="nothing")
    assert error_code(unknown) == "NotFoundException"


OPENAPI = {
    "openapi": "3.0.1",
    "info": {"title": "imported", "version": "2024-01-01"},
    "x-amazon-apigateway-cors": {"allowOrigins": ["https://a.example"], "maxAge": 60},
    "paths": {
        "/pets": {
            "get": {
                "operationId": "listPets",
                "security": [{"jwt": ["read"]}],
                "x-amazon-apigateway-integration": {
                    "type": "aws_proxy",
                    "uri": LAMBDA,
                    "payloadFormatVersion": "2.0",
                },
            }
        },
        "/{proxy+}": {
            "x-amazon-apigateway-any-method": {
                "x-amazon-apigateway-integration": {
                    "type": "http_proxy",
                    "uri": "http://127.0.0.1:9/{proxy}",
                    "httpMethod": "ANY",
                    "payloadFormatVersion": "1.0",
                }
            }
        },
    },
    "components": {
        "securitySchemes": {
            "jwt": {
                "type": "oauth2",
                "x-amazon-apigateway-authorizer": {
                    "type": "jwt",
                    "identitySource": "$request.header.Authorization",
                    "jwtConfiguration": {"issuer": "https://issuer.example", "audience": ["aud"]},
                },
            }
        }
    },
}


def test_import_reimport_and_export(client):
    apigw = client("apigatewayv2")
    imported = apigw.import_api(Body=json.dumps(OPENAPI))
    api_id = imported["ApiId"]
    assert imported["Name"] == "imported" and imported["Version"] == "2024-01-01"
    assert imported["CorsConfiguration"] == {"AllowOrigins": ["https://a.example"], "MaxAge": 60}
    routes = {r["RouteKey"]: r for r in apigw.get_routes(ApiId=api_id)["Items"]}
    assert set(routes) == {"GET /pets", "ANY /{proxy+}"}
    assert routes["GET /pets"]["AuthorizationType"] == "JWT"
    assert routes["GET /pets"]["AuthorizationScopes"] == ["read"]
    assert routes["GET /pets"]["OperationName"] == "listPets"
    kinds = sorted(i["IntegrationType"] for i in apigw.get_integrations(ApiId=api_id)["Items"])
    assert kinds == ["AWS_PROXY", "HTTP_PROXY"]
    exported = json.loads(
        apigw.export_api(ApiId=api_id, Specification="OAS30", OutputType="JSON")["body"].read()
    )
    assert exported["info"]["title"] == "imported"
    assert exported["paths"]["/pets"]["get"]["x-amazon-apigateway-integration"]["uri"] == LAMBDA
    assert exported["paths"]["/pets"]["get"]["security"] == [{"jwt": ["read"]}]
    assert exported["components"]["securitySchemes"]["jwt"]["x-amazon-apigateway-authorizer"]["type"] == "jwt"
    plain = yaml.safe_load(
        apigw.export_api(ApiId=api_id, Specification="OAS30", OutputType="YAML", IncludeExtensions=False)[
            "body"
        ].read()
    )
    assert "x-amazon-apigateway-integration" not in plain["paths"]["/pets"]["get"]
    changed = dict(
        OPENAPI, info={"title": "renamed", "version": "2"}, paths={"/only": OPENAPI["paths"]["/pets"]}
    )
    reimported = apigw.reimport_api(ApiId=api_id, Body=yaml.safe_dump(changed))
    assert reimported["ApiId"] == api_id and reimported["Name"] == "renamed"
    assert [r["RouteKey"] for r in apigw.get_routes(ApiId=api_id)["Items"]] == ["GET /only"]
    with pytest.raises(ClientError) as bad:
        apigw.import_api(Body="{]")
    assert error_code(bad) == "BadRequestException"
    missing_model = dict(
        OPENAPI,
        paths={
            "/m": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "d",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Nothing"}}
                            },
                        }
                    }
                }
            }
        },
    )
    with pytest.raises(ClientError) as warned:
        apigw.reimport_api(ApiId=api_id, Body=json.dumps(missing_model), FailOnWarnings=True)
    assert warned.value.response["Error"]["Message"] == (
        "Warnings found during import:\n\tParse issue: attribute paths.'/m'(get).responses.200.content.schema"
        ".#/components/schemas/Nothing is missing"
    )
    assert apigw.get_api(ApiId=api_id)["Name"] == "renamed"  # unchanged by the refused import


def test_domain_names_mappings_and_routing_rules(client):
    apigw = client("apigatewayv2")
    api_id = apigw.create_api(Name=unique("api"), ProtocolType="HTTP", Target=LAMBDA)["ApiId"]
    domain = f"{unique('d')}.example.com"
    created = apigw.create_domain_name(
        DomainName=domain,
        DomainNameConfigurations=[{"CertificateArn": "arn:aws:acm:us-east-1:000000000000:certificate/abc"}],
        Tags={"k": "v"},
    )
    configuration = created["DomainNameConfigurations"][0]
    assert configuration["EndpointType"] == "REGIONAL" and configuration["DomainNameStatus"] == "AVAILABLE"
    assert configuration["ApiGatewayDomainName"].startswith("d-")
    with pytest.raises(ClientError) as twice:
        apigw.create_domain_name(DomainName=domain)
    assert error_code(twice) == "ConflictException"
    mapping = apigw.create_api_mapping(DomainName=domain, ApiId=api_id, Stage="$default", ApiMappingKey="v1")
    with pytest.raises(ClientError) as same_key:
        apigw.create_api_mapping(DomainName=domain, ApiId=api_id, Stage="$default", ApiMappingKey="v1")
    assert error_code(same_key) == "ConflictException"
    with pytest.raises(ClientError) as no_stage:
        apigw.create_api_mapping(DomainName=domain, ApiId=api_id, Stage="nothing", ApiMappingKey="v2")
    assert error_code(no_stage) == "BadRequestException"
    updated = apigw.update_api_mapping(
        DomainName=domain, ApiMappingId=mapping["ApiMappingId"], ApiId=api_id, ApiMappingKey="v3"
    )
    assert updated["ApiMappingKey"] == "v3"
    assert [m["ApiMappingKey"] for m in apigw.get_api_mappings(DomainName=domain)["Items"]] == ["v3"]
    rule = apigw.create_routing_rule(
        DomainName=domain,
        Priority=10,
        Conditions=[{"MatchBasePaths": {"AnyOf": ["orders"]}}],
        Actions=[{"InvokeApi": {"ApiId": api_id, "Stage": "$default", "StripBasePath": True}}],
    )
    assert rule["RoutingRuleArn"].endswith(rule["RoutingRuleId"])
    assert [r["Priority"] for r in apigw.list_routing_rules(DomainName=domain)["RoutingRules"]] == [10]
    apigw.put_routing_rule(
        DomainName=domain,
        RoutingRuleId=rule["RoutingRuleId"],
        Priority=20,
        Conditions=rule["Conditions"],
        Actions=rule["Actions"],
    )
    assert apigw.get_routing_rule(DomainName=domain, RoutingRuleId=rule["RoutingRuleId"])["Priority"] == 20
    apigw.delete_routing_rule(DomainName=domain, RoutingRuleId=rule["RoutingRuleId"])
    apigw.delete_api_mapping(DomainName=domain, ApiMappingId=mapping["ApiMappingId"])
    arn = created["DomainNameArn"]
    assert apigw.get_tags(ResourceArn=arn)["Tags"] == {"k": "v"}
    apigw.delete_domain_name(DomainName=domain)
    with pytest.raises(ClientError) as gone:
        apigw.get_domain_name(DomainName=domain)
    assert error_code(gone) == "NotFoundException"


def test_vpc_links_portals_and_tags(client):
    apigw = client("apigatewayv2")
    link = apigw.create_vpc_link(
        Name="link", SubnetIds=["subnet-1"], SecurityGroupIds=["sg-1"], Tags={"a": "b"}
    )
    assert link["VpcLinkStatus"] == "AVAILABLE" and link["VpcLinkVersion"] == "V2"
    assert apigw.update_vpc_link(VpcLinkId=link["VpcLinkId"], Name="renamed")["Name"] == "renamed"
    assert link["VpcLinkId"] in [v["VpcLinkId"] for v in apigw.get_vpc_links()["Items"]]
    apigw.delete_vpc_link(VpcLinkId=link["VpcLinkId"])
    with pytest.raises(ClientError):
        apigw.get_vpc_link(VpcLinkId=link["VpcLinkId"])

    product = apigw.create_portal_product(DisplayName="Pets", Description="pet APIs")
    page = apigw.create_product_page(
        PortalProductId=product["PortalProductId"], DisplayContent={"Title": "Intro", "Body": "# Hello"}
    )
    assert apigw.get_product_page(
        PortalProductId=product["PortalProductId"], ProductPageId=page["ProductPageId"]
    )["DisplayContent"] == {"Title": "Intro", "Body": "# Hello"}
    apigw.put_portal_product_sharing_policy(
        PortalProductId=product["PortalProductId"], PolicyDocument='{"Version": "2012-10-17"}'
    )
    assert apigw.get_portal_product_sharing_policy(PortalProductId=product["PortalProductId"])[
        "PolicyDocument"
    ]
    portal = apigw.create_portal(
        Authorization={"None": {}},
        EndpointConfiguration={"None": {}},
        PortalContent={
            "DisplayName": "Portal",
            "Theme": {
                "CustomColors": {
                    name: "#000000"
                    for name in (
                        "AccentColor",
                        "NavigationColor",
                        "HeaderColor",
                        "ErrorValidationColor",
                        "TextColor",
                        "BackgroundColor",
                    )
                }
            },
        },
        IncludedPortalProductArns=[product["PortalProductArn"]],
    )
    assert portal["PublishStatus"] == "UNPUBLISHED"
    apigw.publish_portal(PortalId=portal["PortalId"], Description="first")
    published = apigw.get_portal(PortalId=portal["PortalId"])
    assert published["PublishStatus"] == "PUBLISHED" and published["LastPublishedDescription"] == "first"
    apigw.disable_portal(PortalId=portal["PortalId"])
    assert apigw.get_portal(PortalId=portal["PortalId"])["PublishStatus"] == "DISABLED"

    api = apigw.create_api(Name=unique("api"), ProtocolType="HTTP")
    arn = f"arn:aws:apigateway:us-east-1::/apis/{api['ApiId']}"
    apigw.tag_resource(ResourceArn=arn, Tags={"x": "1", "y": "2"})
    apigw.untag_resource(ResourceArn=arn, TagKeys=["x"])
    assert apigw.get_tags(ResourceArn=arn)["Tags"] == {"y": "2"}
    with pytest.raises(ClientError) as unknown:
        apigw.get_tags(ResourceArn="arn:aws:apigateway:us-east-1::/apis/nothing")
    assert error_code(unknown) == "NotFoundException"
