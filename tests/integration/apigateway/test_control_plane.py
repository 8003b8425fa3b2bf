"""The control plane through boto3 and the aws CLI: REST APIs and their parts, patch
operations, errors in API Gateway's words, pagination, stages and deployments, keys and
plans, domains, certificates, VPC links, the account, tags, documentation, OpenAPI."""

from __future__ import annotations

import json

import pytest
import yaml
from botocore.exceptions import ClientError

from .helpers import Api, unique


@pytest.fixture(scope="module")
def apigw(client):
    return client("apigateway")


def error_of(excinfo) -> tuple[str, int, str]:
    response = excinfo.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def test_rest_api_lifecycle_and_errors(apigw):
    created = apigw.create_rest_api(
        name=unique("api"), description="d", binaryMediaTypes=["image/png"], tags={"team": "a"}
    )
    api_id = created["id"]
    assert len(api_id) == 10
    assert created["endpointConfiguration"]["types"] == ["EDGE"]
    assert created["apiKeySource"] == "HEADER"
    fetched = apigw.get_rest_api(restApiId=api_id)
    assert fetched["name"] == created["name"]
    assert fetched["tags"] == {"team": "a"}
    updated = apigw.update_rest_api(
        restApiId=api_id,
        patchOperations=[
            {"op": "replace", "path": "/description", "value": "new"},
            {"op": "add", "path": "/binaryMediaTypes/image~1jpeg"},
            {"op": "replace", "path": "/minimumCompressionSize", "value": "1024"},
        ],
    )
    assert updated["description"] == "new"
    assert updated["binaryMediaTypes"] == ["image/png", "image/jpeg"]
    assert updated["minimumCompressionSize"] == 1024
    with pytest.raises(ClientError) as excinfo:
        apigw.update_rest_api(
            restApiId=api_id, patchOperations=[{"op": "replace", "path": "/nope", "value": "x"}]
        )
    assert error_of(excinfo)[:2] == ("BadRequestException", 400)
    models = {m["name"] for m in apigw.get_models(restApiId=api_id)["items"]}
    assert models == {"Empty", "Error"}
    apigw.delete_rest_api(restApiId=api_id)
    with pytest.raises(ClientError) as excinfo:
        apigw.get_rest_api(restApiId=api_id)
    assert error_of(excinfo) == (
        "NotFoundException",
        404,
        f"Invalid API identifier specified 000000000000:{api_id}",
    )


def test_resources_methods_and_integrations(apigw):
    api = Api(apigw)
    resource = api.resource("/a/{id}")
    with pytest.raises(ClientError) as excinfo:
        apigw.create_resource(restApiId=api.id, parentId=api.resources["/a"], pathPart="{id}")
    assert error_of(excinfo)[0] == "ConflictException"
    apigw.put_method(
        restApiId=api.id,
        resourceId=resource,
        httpMethod="GET",
        authorizationType="NONE",
        requestParameters={"method.request.path.id": True},
    )
    apigw.put_integration(
        restApiId=api.id,
        resourceId=resource,
        httpMethod="GET",
        type="HTTP",
        integrationHttpMethod="GET",
        uri="http://example.com/{id}",
    )
    apigw.put_method_response(restApiId=api.id, resourceId=resource, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(
        restApiId=api.id, resourceId=resource, httpMethod="GET", statusCode="200", selectionPattern=""
    )
    method = apigw.get_method(restApiId=api.id, resourceId=resource, httpMethod="GET")
    assert method["methodIntegration"]["type"] == "HTTP"
    assert method["methodIntegration"]["integrationResponses"]["200"]["statusCode"] == "200"
    assert method["methodResponses"]["200"] == {"statusCode": "200"}
    integration = apigw.update_integration(
        restApiId=api.id,
        resourceId=resource,
        httpMethod="GET",
        patchOperations=[{"op": "replace", "path": "/timeoutInMillis", "value": "5000"}],
    )
    assert integration["timeoutInMillis"] == 5000
    updated = apigw.update_method(
        restApiId=api.id,
        resourceId=resource,
        httpMethod="GET",
        patchOperations=[{"op": "replace", "path": "/apiKeyRequired", "value": "true"}],
    )
    assert updated["apiKeyRequired"] is True
    listed = apigw.get_resources(restApiId=api.id, embed=["methods"])["items"]
    by_path = {r["path"]: r for r in listed}
    assert set(by_path) == {"/", "/a", "/a/{id}"}
    assert by_path["/a/{id}"]["resourceMethods"]["GET"]["httpMethod"] == "GET"
    with pytest.raises(ClientError) as excinfo:
        apigw.get_method(restApiId=api.id, resourceId=resource, httpMethod="POST")
    assert error_of(excinfo) == ("NotFoundException", 404, "Invalid Method identifier specified")
    with pytest.raises(ClientError) as excinfo:
        apigw.put_integration(
            restApiId=api.id,
            resourceId=resource,
            httpMethod="GET",
            type="HTTP",
            integrationHttpMethod="GET",
            uri="not-a-url",
        )
    assert error_of(excinfo)[0] == "BadRequestException"
    apigw.delete_resource(restApiId=api.id, resourceId=api.resources["/a"])
    assert [r["path"] for r in apigw.get_resources(restApiId=api.id)["items"]] == ["/"]


def test_deployments_and_stages(apigw):
    api = Api(apigw)
    with pytest.raises(ClientError) as excinfo:
        apigw.create_deployment(restApiId=api.id, stageName="s")
    assert error_of(excinfo) == ("BadRequestException", 400, "The REST API doesn't contain any methods")
    api.method("/x", "GET", {"type": "MOCK"})
    deployment = apigw.create_deployment(restApiId=api.id, stageName="dev", variables={"a": "1"})
    stage = apigw.get_stage(restApiId=api.id, stageName="dev")
    assert stage["deploymentId"] == deployment["id"]
    assert stage["variables"] == {"a": "1"}
    apigw.create_stage(restApiId=api.id, stageName="prod", deploymentId=deployment["id"], tags={"k": "v"})
    assert {s["stageName"] for s in apigw.get_stages(restApiId=api.id)["item"]} == {"dev", "prod"}
    updated = apigw.update_stage(
        restApiId=api.id,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/variables/b", "value": "2"},
            {"op": "replace", "path": "/tracingEnabled", "value": "true"},
            {"op": "replace", "path": "/~1x/GET/logging/loglevel", "value": "INFO"},
            {
                "op": "replace",
                "path": "/accessLogSettings/destinationArn",
                "value": "arn:aws:logs:us-east-1:000000000000:log-group:access",
            },
            {"op": "replace", "path": "/accessLogSettings/format", "value": "$context.requestId"},
        ],
    )
    assert updated["variables"] == {"b": "2"}
    assert updated["tracingEnabled"] is True
    assert updated["methodSettings"]["x/GET"]["loggingLevel"] == "INFO"
    assert updated["accessLogSettings"]["format"] == "$context.requestId"
    summary = apigw.get_deployment(restApiId=api.id, deploymentId=deployment["id"], embed=["apisummary"])
    assert summary["apiSummary"]["/x"]["GET"] == {"authorizationType": "NONE", "apiKeyRequired": False}
    with pytest.raises(ClientError) as excinfo:
        apigw.delete_deployment(restApiId=api.id, deploymentId=deployment["id"])
    assert error_of(excinfo)[0] == "BadRequestException"
    with pytest.raises(ClientError) as excinfo:
        apigw.create_stage(restApiId=api.id, stageName="prod", deploymentId=deployment["id"])
    assert error_of(excinfo)[0] == "ConflictException"
    arn = f"arn:aws:apigateway:us-east-1::/restapis/{api.id}/stages/prod"
    apigw.tag_resource(resourceArn=arn, tags={"x": "y"})
    assert apigw.get_tags(resourceArn=arn)["tags"] == {"k": "v", "x": "y"}
    apigw.untag_resource(resourceArn=arn, tagKeys=["k"])
    assert apigw.get_tags(resourceArn=arn)["tags"] == {"x": "y"}
    apigw.delete_stage(restApiId=api.id, stageName="prod")
    with pytest.raises(ClientError) as excinfo:
        apigw.get_stage(restApiId=api.id, stageName="prod")
    assert error_of(excinfo) == ("NotFoundException", 404, "Invalid stage identifier specified")


def test_models_validators_authorizers_and_gateway_responses(apigw):
    api = Api(apigw)
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}},
    }
    apigw.create_model(
        restApiId=api.id, name="Thing", contentType="application/json", schema=json.dumps(schema)
    )
    template = apigw.get_model_template(restApiId=api.id, modelName="Thing")["value"]
    assert "$input.path('$.name')" in template
    with pytest.raises(ClientError) as excinfo:
        apigw.create_model(restApiId=api.id, name="Thing", contentType="application/json", schema="{}")
    assert error_of(excinfo)[0] == "ConflictException"
    validator = apigw.create_request_validator(restApiId=api.id, name="v", validateRequestBody=True)
    assert apigw.get_request_validator(restApiId=api.id, requestValidatorId=validator["id"])[
        "validateRequestBody"
    ]
    authorizer = apigw.create_authorizer(
        restApiId=api.id,
        name="a",
        type="TOKEN",
        authorizerUri="arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:"
        "000000000000:function:f/invocations",
        identitySource="method.request.header.Authorization",
    )
    assert authorizer["authorizerResultTtlInSeconds"] == 300
    updated = apigw.update_authorizer(
        restApiId=api.id,
        authorizerId=authorizer["id"],
        patchOperations=[{"op": "replace", "path": "/authorizerResultTtlInSeconds", "value": "60"}],
    )
    assert updated["authorizerResultTtlInSeconds"] == 60
    responses = apigw.get_gateway_responses(restApiId=api.id, limit=100)["items"]
    assert any(r["responseType"] == "THROTTLED" and r["statusCode"] == "429" for r in responses)
    apigw.put_gateway_response(restApiId=api.id, responseType="THROTTLED", statusCode="503")
    assert apigw.get_gateway_response(restApiId=api.id, responseType="THROTTLED")["defaultResponse"] is False
    apigw.delete_gateway_response(restApiId=api.id, responseType="THROTTLED")
    assert apigw.get_gateway_response(restApiId=api.id, responseType="THROTTLED")["defaultResponse"] is True
    with pytest.raises(ClientError) as excinfo:
        apigw.put_gateway_response(restApiId=api.id, responseType="NOT_A_TYPE")
    assert error_of(excinfo)[1] == 400


def test_pagination_of_rest_apis(apigw):
    names = {unique("page") for _ in range(5)}
    for name in names:
        apigw.create_rest_api(name=name)
    seen = set()
    for page in apigw.get_paginator("get_rest_apis").paginate(PaginationConfig={"PageSize": 2}):
        assert len(page["items"]) <= 2
        seen.update(item["name"] for item in page["items"])
    assert names <= seen


def test_keys_plans_domains_certificates_vpc_links_account(apigw):
    key = apigw.create_api_key(name=unique("key"), enabled=True, value="k" * 30)
    assert "value" not in apigw.get_api_key(apiKey=key["id"])
    assert apigw.get_api_key(apiKey=key["id"], includeValue=True)["value"] == "k" * 30
    with pytest.raises(ClientError) as excinfo:
        apigw.create_api_key(name="dup", value="k" * 30)
    assert error_of(excinfo)[0] == "ConflictException"
    imported = apigw.import_api_keys(body=b"name,key,enabled\nimp," + b"i" * 25 + b",true\n", format="csv")
    assert len(imported["ids"]) == 1
    plan = apigw.create_usage_plan(name=unique("plan"), throttle={"rateLimit": 10.0, "burstLimit": 5})
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert [k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]] == [key["id"]]
    assert plan["id"] in [p["id"] for p in apigw.get_usage_plans(keyId=key["id"])["items"]]
    updated = apigw.update_usage_plan(
        usagePlanId=plan["id"],
        patchOperations=[
            {"op": "replace", "path": "/throttle/rateLimit", "value": "20"},
            {"op": "replace", "path": "/quota/limit", "value": "100"},
            {"op": "replace", "path": "/quota/period", "value": "MONTH"},
        ],
    )
    assert updated["throttle"]["rateLimit"] == 20.0
    assert updated["quota"] == {"limit": 100, "period": "MONTH"}
    apigw.delete_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])
    apigw.delete_usage_plan(usagePlanId=plan["id"])
    apigw.delete_api_key(apiKey=key["id"])
    with pytest.raises(ClientError) as excinfo:
        apigw.get_api_key(apiKey=key["id"])
    assert error_of(excinfo)[:2] == ("NotFoundException", 404)

    domain = f"{unique('d')}.example.org"
    created = apigw.create_domain_name(
        domainName=domain, certificateArn="arn:aws:acm:us-east-1:000000000000:certificate/c"
    )
    assert created["distributionDomainName"].endswith(".cloudfront.net")
    assert apigw.get_domain_name(domainName=domain)["domainNameStatus"] == "AVAILABLE"
    apigw.delete_domain_name(domainName=domain)

    certificate = apigw.generate_client_certificate(description="c")
    assert certificate["pemEncodedCertificate"].startswith("-----BEGIN CERTIFICATE-----")
    apigw.delete_client_certificate(clientCertificateId=certificate["clientCertificateId"])

    link = apigw.create_vpc_link(
        name="l", targetArns=["arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/n/1"]
    )
    assert apigw.get_vpc_link(vpcLinkId=link["id"])["status"] == "AVAILABLE"
    apigw.delete_vpc_link(vpcLinkId=link["id"])

    account = apigw.update_account(
        patchOperations=[
            {"op": "replace", "path": "/cloudwatchRoleArn", "value": "arn:aws:iam::000000000000:role/cw"}
        ]
    )
    assert account["cloudwatchRoleArn"] == "arn:aws:iam::000000000000:role/cw"
    assert apigw.get_account()["throttleSettings"] == {"burstLimit": 5000, "rateLimit": 10000.0}


def test_documentation_parts_and_versions(apigw):
    api = Api(apigw)
    part = apigw.create_documentation_part(
        restApiId=api.id, location={"type": "API"}, properties=json.dumps({"description": "the api"})
    )
    assert (
        apigw.get_documentation_part(restApiId=api.id, documentationPartId=part["id"])["location"]["type"]
        == "API"
    )
    api.method("/x", "GET", {"type": "MOCK"})
    api.deploy("s")
    version = apigw.create_documentation_version(restApiId=api.id, documentationVersion="1.0", stageName="s")
    assert version["version"] == "1.0"
    assert apigw.get_stage(restApiId=api.id, stageName="s")["documentationVersion"] == "1.0"
    assert [v["version"] for v in apigw.get_documentation_versions(restApiId=api.id)["items"]] == ["1.0"]


def test_sdk_generation_is_refused_and_sdk_types_listed(apigw):
    api = Api(apigw)
    api.method("/x", "GET", {"type": "MOCK"})
    api.deploy("s")
    with pytest.raises(ClientError) as excinfo:
        apigw.get_sdk(restApiId=api.id, stageName="s", sdkType="javascript")
    assert error_of(excinfo)[1] == 501
    assert {t["id"] for t in apigw.get_sdk_types()["items"]} >= {"javascript", "java", "android"}


def test_openapi_import_export_round_trip(apigw, endpoint):
    document = {
        "openapi": "3.0.1",
        "info": {"title": unique("imported"), "version": "1.0"},
        "paths": {
            "/pets/{petId}": {
                "get": {
                    "parameters": [
                        {"name": "petId", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {"200": {"description": "ok"}},
                    "x-amazon-apigateway-integration": {
                        "type": "mock",
                        "requestTemplates": {"application/json": '{"statusCode": 200}'},
                        "responses": {
                            "default": {
                                "statusCode": "200",
                                "responseTemplates": {
                                    "application/json": '{"pet": "$input.params(\'petId\')"}'
                                },
                            }
                        },
                    },
                }
            }
        },
        "components": {"schemas": {"Pet": {"type": "object", "properties": {"name": {"type": "string"}}}}},
        "x-amazon-apigateway-binary-media-types": ["image/png"],
    }
    imported = apigw.import_rest_api(body=json.dumps(document).encode())
    api_id = imported["id"]
    assert imported["binaryMediaTypes"] == ["image/png"]
    paths = {r["path"] for r in apigw.get_resources(restApiId=api_id)["items"]}
    assert paths == {"/", "/pets", "/pets/{petId}"}
    assert "Pet" in {m["name"] for m in apigw.get_models(restApiId=api_id)["items"]}
    apigw.create_deployment(restApiId=api_id, stageName="v1")
    from .helpers import call

    assert call(f"{endpoint}/_aws/execute-api/{api_id}/v1/pets/9").json() == {"pet": "9"}
    exported = json.loads(
        apigw.get_export(
            restApiId=api_id, stageName="v1", exportType="oas30", parameters={"extensions": "integrations"}
        )["body"].read()
    )
    operation = exported["paths"]["/pets/{petId}"]["get"]
    assert operation["x-amazon-apigateway-integration"]["type"] == "MOCK"
    assert exported["components"]["schemas"]["Pet"]["properties"]["name"] == {"type": "string"}
    swagger = yaml.safe_load(
        apigw.get_export(restApiId=api_id, stageName="v1", exportType="swagger", accepts="application/yaml")[
            "body"
        ].read()
    )
    assert swagger["swagger"] == "2.0"
    assert swagger["basePath"] == "/v1"
    document["paths"]["/cats"] = document["paths"].pop("/pets/{petId}")
    document["paths"]["/cats"]["get"]["parameters"] = []
    apigw.put_rest_api(restApiId=api_id, mode="overwrite", body=json.dumps(document).encode())
    assert {r["path"] for r in apigw.get_resources(restApiId=api_id)["items"]} == {"/", "/cats"}
    with pytest.raises(ClientError) as excinfo:
        apigw.import_rest_api(body=b"not an openapi document")
    assert error_of(excinfo)[0] == "BadRequestException"


def test_aws_cli_creates_and_lists(aws):
    created = aws("apigateway", "create-rest-api", "--name", unique("cli"))
    listed = aws("apigateway", "get-rest-apis")
    assert created["id"] in [item["id"] for item in listed["items"]]
    resources = aws("apigateway", "get-resources", "--rest-api-id", created["id"])
    assert resources["items"][0]["path"] == "/"


def test_test_invoke_method(apigw):
    api = Api(apigw)
    resource = api.method(
        "/t/{name}",
        "GET",
        {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
        responses={
            "200": {"responseTemplates": {"application/json": '{"hello": "$input.params(\'name\')"}'}}
        },
    )
    result = apigw.test_invoke_method(
        restApiId=api.id, resourceId=resource, httpMethod="GET", pathWithQueryString="/t/world"
    )
    assert result["status"] == 200
    assert json.loads(result["body"]) == {"hello": "world"}


def test_aws_cli_imports_a_file_and_exports_to_one(aws, tmp_path):
    spec = {
        "openapi": "3.0.1",
        "info": {"title": unique("cli-import"), "version": "1"},
        "paths": {
            "/ping": {
                "get": {
                    "x-amazon-apigateway-integration": {
                        "type": "mock",
                        "requestTemplates": {"application/json": '{"statusCode": 200}'},
                        "responses": {"default": {"statusCode": "200"}},
                    }
                }
            }
        },
    }
    source = tmp_path / "api.json"
    source.write_text(json.dumps(spec))
    created = aws("apigateway", "import-rest-api", "--body", f"fileb://{source}")
    aws("apigateway", "create-deployment", "--rest-api-id", created["id"], "--stage-name", "v1")
    target = tmp_path / "out.yaml"
    answer = aws(
        "apigateway",
        "get-export",
        "--rest-api-id",
        created["id"],
        "--stage-name",
        "v1",
        "--export-type",
        "oas30",
        "--accepts",
        "application/yaml",
        str(target),
    )
    assert answer["contentType"] == "application/yaml"
    exported = yaml.safe_load(target.read_text())
    assert list(exported["paths"]) == ["/ping"]
    assert exported["info"]["title"] == spec["info"]["title"]


def test_api_key_limits_are_refused_in_api_gateways_words(apigw):
    def refused(call, **params) -> str:
        with pytest.raises(ClientError) as error:
            call(**params)
        assert error.value.response["Error"]["Code"] == "BadRequestException"
        return error.value.response["Error"]["Message"]

    assert refused(apigw.create_api_key, name="a" * 1025) == (
        "Invalid API Key name, can be at most 1024 characters."
    )
    assert refused(apigw.create_api_key, value="short") == "API Key value should be at least 20 characters"
    assert refused(apigw.create_api_key, value="a" * 129) == (
        "API Key value exceeds maximum size of 128 characters"
    )
    assert refused(apigw.create_api_key, description="a" * 125001) == "Invalid API Key description specified."
    key = apigw.create_api_key(name="", value="")  # empty name and value: a generated value
    assert len(key["value"]) >= 20
    patch = [{"op": "replace", "path": "/description", "value": "a" * 125001}]
    assert refused(apigw.update_api_key, apiKey=key["id"], patchOperations=patch) == (
        "Invalid API Key description specified."
    )
    apigw.update_api_key(
        apiKey=key["id"], patchOperations=[{"op": "replace", "path": "/description", "value": "fine"}]
    )
    assert apigw.get_api_key(apiKey=key["id"])["description"] == "fine"


def test_vpc_link_without_a_name_or_with_a_malformed_target_is_refused(apigw):
    with pytest.raises(ClientError) as error:
        apigw.create_vpc_link(name="", targetArns=[])
    assert error.value.response["Error"]["Message"] == "Name cannot be empty"
    with pytest.raises(ClientError) as error:
        apigw.create_vpc_link(name="link", targetArns=["invalid-arn"])
    assert error.value.response["Error"]["Code"] == "BadRequestException"
    assert error.value.response["Error"]["Message"] == "Invalid ARN. ARN is not well formed invalid-arn"


def test_rest_api_with_an_empty_description_or_a_negative_compression_size_is_refused(apigw):
    with pytest.raises(ClientError) as error:
        apigw.create_rest_api(name=unique("api"), description="")
    assert error.value.response["Error"]["Message"] == "Description cannot be an empty string"
    with pytest.raises(ClientError) as error:
        apigw.create_rest_api(name=unique("api"), minimumCompressionSize=-1)
    assert error.value.response["Error"]["Code"] == "BadRequestException"
    assert error.value.response["Error"]["Message"] == (
        "Invalid minimum compression size, must be between 0 and 10485760"
    )
    api = apigw.create_rest_api(name=unique("api"), minimumCompressionSize=0, version="v1")
    assert api["minimumCompressionSize"] == 0 and api["version"] == "v1"
    apigw.delete_rest_api(restApiId=api["id"])
