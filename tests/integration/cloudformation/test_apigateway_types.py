"""API Gateway's resource types: a REST API built resource by resource, one imported from an
OpenAPI Body and one from S3, each checked through API Gateway, updated and deleted; and a SAM
function with an Api event, answering through its stage."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration.cloudformation.conftest import outputs, resources, settle

BUILT = """
Parameters:
  Greeting: {Type: String, Default: hello}
  Quota: {Type: Number, Default: 100}
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: !Sub "${AWS::StackName}-api"
      Description: built
      EndpointConfiguration: {Types: [REGIONAL]}
  Items:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref Api
      ParentId: !GetAtt Api.RootResourceId
      PathPart: items
  Validator:
    Type: AWS::ApiGateway::RequestValidator
    Properties:
      RestApiId: !Ref Api
      Name: body-only
      ValidateRequestBody: true
  ItemModel:
    Type: AWS::ApiGateway::Model
    Properties:
      RestApiId: !Ref Api
      Name: Item
      ContentType: application/json
      Schema: {type: object, required: [name], properties: {name: {type: string}}}
  Auth:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      RestApiId: !Ref Api
      Name: cognito
      Type: COGNITO_USER_POOLS
      IdentitySource: method.request.header.Authorization
      ProviderARNs: [!Sub "arn:aws:cognito-idp:${AWS::Region}:${AWS::AccountId}:userpool/us-east-1_abc"]
  GetItems:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Items
      HttpMethod: GET
      AuthorizationType: NONE
      ApiKeyRequired: true
      MethodResponses: [{StatusCode: "200"}]
      Integration:
        Type: MOCK
        RequestTemplates: {application/json: '{"statusCode": 200}'}
        IntegrationResponses:
          - StatusCode: "200"
            ResponseTemplates: {application/json: !Sub '{"say": "${Greeting}"}'}
  PostItems:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Items
      HttpMethod: POST
      AuthorizationType: COGNITO_USER_POOLS
      AuthorizerId: !Ref Auth
      RequestValidatorId: !Ref Validator
      RequestModels: {application/json: !Ref ItemModel}
      Integration: {Type: MOCK, RequestTemplates: {application/json: '{"statusCode": 200}'}}
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: [GetItems, PostItems]
    Properties:
      RestApiId: !Ref Api
      Description: first
  Stage:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      StageName: live
      DeploymentId: !Ref Deployment
      Variables: {color: blue}
      MethodSettings:
        - {ResourcePath: "/*", HttpMethod: "*", MetricsEnabled: true}
        - {ResourcePath: /items, HttpMethod: GET, ThrottlingRateLimit: 50, ThrottlingBurstLimit: 10}
  Key:
    Type: AWS::ApiGateway::ApiKey
    Properties:
      Enabled: true
      Value: abcdefghijklmnopqrstuvwxyz0123456789
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      ApiStages: [{ApiId: !Ref Api, Stage: !Ref Stage}]
      Quota: {Limit: !Ref Quota, Period: DAY}
      Throttle: {BurstLimit: 10, RateLimit: 5}
  PlanKey:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties:
      KeyId: !Ref Key
      KeyType: API_KEY
      UsagePlanId: !Ref Plan
  Missing:
    Type: AWS::ApiGateway::GatewayResponse
    Properties:
      RestApiId: !Ref Api
      ResponseType: MISSING_AUTHENTICATION_TOKEN
      StatusCode: "404"
      ResponseTemplates: {application/json: '{"message": "no such route"}'}
  Certificate:
    Type: AWS::ApiGateway::ClientCertificate
    Properties: {Description: backend}
  Link:
    Type: AWS::ApiGateway::VpcLink
    Properties:
      Name: !Sub "${AWS::StackName}-link"
      TargetArns: [!Sub "arn:aws:elasticloadbalancing:${AWS::Region}:${AWS::AccountId}:loadbalancer/net/nlb/1234567890abcdef"]
  DocPart:
    Type: AWS::ApiGateway::DocumentationPart
    Properties:
      RestApiId: !Ref Api
      Location: {Type: API}
      Properties: '{"description": "the items API"}'
  DocVersion:
    Type: AWS::ApiGateway::DocumentationVersion
    DependsOn: DocPart
    Properties:
      RestApiId: !Ref Api
      DocumentationVersion: v1
      Description: first docs
  Domain:
    Type: AWS::ApiGateway::DomainName
    Properties:
      DomainName: !Sub "${AWS::StackName}.example.com"
      RegionalCertificateArn: !Sub "arn:aws:acm:${AWS::Region}:${AWS::AccountId}:certificate/abc"
      EndpointConfiguration: {Types: [REGIONAL]}
  Mapping:
    Type: AWS::ApiGateway::BasePathMapping
    Properties:
      DomainName: !Ref Domain
      BasePath: v1
      RestApiId: !Ref Api
      Stage: !Ref Stage
Outputs:
  Api: {Value: !Ref Api}
  Root: {Value: !GetAtt Api.RootResourceId}
  ApiId: {Value: !GetAtt Api.RestApiId}
  Items: {Value: !GetAtt Items.ResourceId}
  Validator: {Value: !GetAtt Validator.RequestValidatorId}
  Auth: {Value: !GetAtt Auth.AuthorizerId}
  Deployment: {Value: !GetAtt Deployment.DeploymentId}
  Key: {Value: !GetAtt Key.APIKeyId}
  Plan: {Value: !GetAtt Plan.Id}
  Regional: {Value: !GetAtt Domain.RegionalDomainName}
  DomainArn: {Value: !GetAtt Domain.DomainNameArn}
  Certificate: {Value: !GetAtt Certificate.ClientCertificateId}
  Link: {Value: !GetAtt Link.VpcLinkId}
  DocPart: {Value: !GetAtt DocPart.DocumentationPartId}
"""


def _invoke(endpoint: str, api: str, stage: str, path: str, headers: dict | None = None) -> tuple[int, bytes]:
    url = f"{endpoint}/restapis/{api}/{stage}/_user_request_/{path}"
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_rest_api_built_resource_by_resource(cfn, client, stack_name, endpoint):
    cfn.create_stack(StackName=stack_name, TemplateBody=BUILT)
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)
    api, apigw = out["Api"], client("apigateway")
    assert out["ApiId"] == api
    found = apigw.get_rest_api(restApiId=api)
    assert found["description"] == "built" and found["rootResourceId"] == out["Root"]
    assert found["endpointConfiguration"]["types"] == ["REGIONAL"]
    paths = {r["path"]: r["id"] for r in apigw.get_resources(restApiId=api)["items"]}
    assert paths["/items"] == out["Items"]
    method = apigw.get_method(restApiId=api, resourceId=out["Items"], httpMethod="POST")
    assert method["authorizerId"] == out["Auth"] and method["requestValidatorId"] == out["Validator"]
    assert method["requestModels"] == {"application/json": "Item"}
    assert apigw.get_model(restApiId=api, modelName="Item")["contentType"] == "application/json"
    stage = apigw.get_stage(restApiId=api, stageName="live")
    assert stage["deploymentId"] == out["Deployment"] and stage["variables"] == {"color": "blue"}
    assert stage["methodSettings"]["*/*"]["metricsEnabled"] is True
    assert stage["methodSettings"]["items/GET"]["throttlingRateLimit"] == 50.0
    plan = apigw.get_usage_plan(usagePlanId=out["Plan"])
    assert plan["quota"]["limit"] == 100 and plan["apiStages"][0]["stage"] == "live"
    assert [k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=out["Plan"])["items"]] == [out["Key"]]
    response = apigw.get_gateway_response(restApiId=api, responseType="MISSING_AUTHENTICATION_TOKEN")
    assert response["statusCode"] == "404"
    domain = f"{stack_name}.example.com"
    assert apigw.get_domain_name(domainName=domain)["regionalDomainName"] == out["Regional"]
    assert out["DomainArn"].endswith(f"/domainnames/{domain}")
    assert apigw.get_base_path_mapping(domainName=domain, basePath="v1")["restApiId"] == api
    assert apigw.get_client_certificate(clientCertificateId=out["Certificate"])["description"] == "backend"
    assert apigw.get_vpc_link(vpcLinkId=out["Link"])["name"] == f"{stack_name}-link"
    part = apigw.get_documentation_part(restApiId=api, documentationPartId=out["DocPart"])
    assert json.loads(part["properties"]) == {"description": "the items API"}
    assert (
        apigw.get_documentation_version(restApiId=api, documentationVersion="v1")["description"]
        == "first docs"
    )

    # The stage really answers, with the key the usage plan lets through.
    key = "abcdefghijklmnopqrstuvwxyz0123456789"
    assert _invoke(endpoint, api, "live", "items")[0] == 403
    status, body = _invoke(endpoint, api, "live", "items", {"x-api-key": key})
    assert (status, json.loads(body)) == (200, {"say": "hello"})

    # An update in place: the integration's template, the plan's quota; nothing replaced.
    cfn.update_stack(
        StackName=stack_name,
        TemplateBody=BUILT.replace("Description: first", "Description: second"),
        Parameters=[
            {"ParameterKey": "Greeting", "ParameterValue": "hi"},
            {"ParameterKey": "Quota", "ParameterValue": "7"},
        ],
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert outputs(stack)["Api"] == api
    assert apigw.get_usage_plan(usagePlanId=out["Plan"])["quota"]["limit"] == 7
    integration = apigw.get_integration_response(
        restApiId=api, resourceId=out["Items"], httpMethod="GET", statusCode="200"
    )
    assert integration["responseTemplates"] == {"application/json": '{"say": "hi"}'}
    assert apigw.get_deployment(restApiId=api, deploymentId=out["Deployment"])["description"] == "second"

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError):
        apigw.get_rest_api(restApiId=api)
    with pytest.raises(ClientError):
        apigw.get_api_key(apiKey=out["Key"])
    with pytest.raises(ClientError):
        apigw.get_domain_name(domainName=domain)
    with pytest.raises(ClientError):
        apigw.get_client_certificate(clientCertificateId=out["Certificate"])
    with pytest.raises(ClientError):
        apigw.get_vpc_link(vpcLinkId=out["Link"])


def _spec(title: str, message: str) -> dict:
    return {
        "openapi": "3.0.1",
        "info": {"title": title, "version": "1"},
        "paths": {
            "/ping": {
                "get": {
                    "responses": {"200": {"description": "ok"}},
                    "x-amazon-apigateway-integration": {
                        "type": "mock",
                        "requestTemplates": {"application/json": '{"statusCode": 200}'},
                        "responses": {
                            "default": {
                                "statusCode": "200",
                                "responseTemplates": {"application/json": json.dumps({"m": message})},
                            }
                        },
                    },
                }
            }
        },
    }


def _imported(body: str, stage: str = "v1") -> str:
    return f"""
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      {body}
      Tags: [{{Key: team, Value: red}}]
  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties:
      RestApiId: !Ref Api
      StageName: {stage}
      StageDescription: {{Variables: {{x: "1"}}, MetricsEnabled: true}}
  Account:
    Type: AWS::ApiGateway::Account
    Properties:
      CloudWatchRoleArn: !Sub "arn:aws:iam::${{AWS::AccountId}}:role/apigw-logs"
Outputs:
  Api: {{Value: !Ref Api}}
"""


def test_rest_api_imported_from_body_and_s3(cfn, client, stack_name, endpoint):
    body = json.dumps(_spec("from-body", "one"))
    cfn.create_stack(StackName=stack_name, TemplateBody=_imported(f"Body: {body}"))
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    api = outputs(stack)["Api"]
    apigw = client("apigateway")
    found = apigw.get_rest_api(restApiId=api)
    assert found["name"] == "from-body" and found["tags"]["team"] == "red"
    assert "/ping" in {r["path"] for r in apigw.get_resources(restApiId=api)["items"]}
    assert apigw.get_stage(restApiId=api, stageName="v1")["variables"] == {"x": "1"}
    assert apigw.get_account()["cloudwatchRoleArn"].endswith(":role/apigw-logs")
    status, answer = _invoke(endpoint, api, "v1", "ping")
    assert (status, json.loads(answer)) == (200, {"m": "one"})

    # The same API, its body now read from S3 with a Name that overrides the spec's title.
    s3 = client("s3")
    bucket = f"specs-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="api.json", Body=json.dumps(_spec("from-s3", "two")).encode())
    cfn.update_stack(
        StackName=stack_name,
        TemplateBody=_imported(
            f"Name: renamed\n      BodyS3Location: {{Bucket: {bucket}, Key: api.json}}", "v2"
        ),
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert outputs(stack)["Api"] == api
    assert apigw.get_rest_api(restApiId=api)["name"] == "renamed"
    method = apigw.get_integration_response(
        restApiId=api,
        resourceId={r["path"]: r["id"] for r in apigw.get_resources(restApiId=api)["items"]}["/ping"],
        httpMethod="GET",
        statusCode="200",
    )
    assert json.loads(method["responseTemplates"]["application/json"]) == {"m": "two"}
    deployment = apigw.get_stage(restApiId=api, stageName="v1")["deploymentId"]
    assert apigw.get_stage(restApiId=api, stageName="v2")["deploymentId"] == deployment

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError):
        apigw.get_rest_api(restApiId=api)


SAM_API = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  HelloFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        import json
        def handler(event, context):
            return {"statusCode": 200, "body": json.dumps({"path": event["path"], "method": event["httpMethod"]})}
      Events:
        Hello:
          Type: Api
          Properties:
            Path: /hello
            Method: get
Outputs:
  Api: {Value: !Ref ServerlessRestApi}
"""


def test_sam_function_with_api_event_answers_through_its_stage(cfn, client, stack_name, endpoint):
    cfn.create_stack(
        StackName=stack_name, TemplateBody=SAM_API, Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
    )
    stack = settle(cfn, stack_name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    made = resources(cfn, stack_name)
    assert made["ServerlessRestApi"]["ResourceType"] == "AWS::ApiGateway::RestApi"
    assert made["ServerlessRestApiProdStage"]["ResourceType"] == "AWS::ApiGateway::Stage"
    api = outputs(stack)["Api"]
    deadline = time.monotonic() + 60
    while True:
        status, body = _invoke(endpoint, api, "Prod", "hello")
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status == 200, body
    assert json.loads(body) == {"path": "/hello", "method": "GET"}
    apigw = client("apigateway")
    first = apigw.get_stage(restApiId=api, stageName="Prod")["deploymentId"]

    # Another event: SAM rewrites the API's Body and names a new Deployment; the stage moves
    # to it, the old deployment goes, the API keeps its id.
    more = SAM_API.replace(
        "Outputs:",
        "        Bye:\n          Type: Api\n          Properties: {Path: /bye, Method: post}\nOutputs:",
    )
    cfn.update_stack(
        StackName=stack_name, TemplateBody=more, Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
    )
    stack = settle(cfn, stack_name, timeout=120)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert outputs(stack)["Api"] == api
    request = urllib.request.Request(
        f"{endpoint}/restapis/{api}/Prod/_user_request_/bye", data=b"{}", method="POST"
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert json.loads(response.read()) == {"path": "/bye", "method": "POST"}
    deployments = [d["id"] for d in apigw.get_deployments(restApiId=api)["items"]]
    assert (
        first not in deployments
        and apigw.get_stage(restApiId=api, stageName="Prod")["deploymentId"] in deployments
    )

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError):
        client("apigateway").get_rest_api(restApiId=api)


GUIDE_SAM = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31

Globals:
  Function:
    Runtime: python3.12
    Timeout: 30
    Environment:
      Variables:
        TABLE_NAME: !Ref UsersTable

Resources:
  UsersFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.lambda_handler
      InlineCode: |
        import json, os, boto3
        table = boto3.client("dynamodb")
        def lambda_handler(event, context):
            if event["httpMethod"] == "POST":
                user = json.loads(event["body"])["userId"]
                table.put_item(TableName=os.environ["TABLE_NAME"], Item={"userId": {"S": user}})
                return {"statusCode": 201, "body": json.dumps({"created": user})}
            user = event["pathParameters"]["userId"]
            item = table.get_item(TableName=os.environ["TABLE_NAME"], Key={"userId": {"S": user}}).get("Item")
            return {"statusCode": 200 if item else 404, "body": json.dumps({"found": bool(item)})}
      MemorySize: 512
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref UsersTable
      Events:
        GetUser:
          Type: Api
          Properties:
            Path: /users/{userId}
            Method: GET
        CreateUser:
          Type: Api
          Properties:
            Path: /users
            Method: POST

  UsersTable:
    Type: AWS::Serverless::SimpleTable
    Properties:
      PrimaryKey:
        Name: userId
        Type: String
Outputs:
  Api: {Value: !Ref ServerlessRestApi}
"""


def test_the_guides_sam_api(cfn, stack_name, endpoint):
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=GUIDE_SAM,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    stack = settle(cfn, stack_name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    api = outputs(stack)["Api"]
    base = f"{endpoint}/restapis/{api}/Prod/_user_request_"
    request = urllib.request.Request(
        f"{base}/users", data=json.dumps({"userId": "u7"}).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=60) as response:
        assert (response.status, json.loads(response.read())) == (201, {"created": "u7"})
    status, body = _invoke(endpoint, api, "Prod", "users/u7")
    assert (status, json.loads(body)) == (200, {"found": True})
    assert _invoke(endpoint, api, "Prod", "users/nobody")[0] == 404

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE"


BROKEN = """
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: broken}
  Orphan:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: nosuchres
      HttpMethod: GET
      AuthorizationType: NONE
Outputs:
  Api: {Value: !Ref Api}
"""


def test_a_refused_method_fails_and_rolls_back(cfn, client, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=BROKEN)
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
    failed = [
        e for e in events if e["ResourceStatus"] == "CREATE_FAILED" and e["LogicalResourceId"] == "Orphan"
    ]
    assert failed and "Invalid Resource identifier specified" in failed[0]["ResourceStatusReason"]
    api = next(
        e["PhysicalResourceId"]
        for e in events
        if e["LogicalResourceId"] == "Api" and e["ResourceStatus"] == "CREATE_COMPLETE"
    )
    with pytest.raises(ClientError) as gone:
        client("apigateway").get_rest_api(restApiId=api)
    assert gone.value.response["Error"]["Code"] == "NotFoundException"

    nameless = (
        "Resources:\n  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties: {Description: no name}\n"
    )
    cfn.delete_stack(StackName=stack_name)
    settle(cfn, stack["StackId"])
    cfn.create_stack(StackName=stack_name, TemplateBody=nameless)
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    reasons = [
        e.get("ResourceStatusReason", "")
        for e in cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
    ]
    assert any("Name is required" in reason for reason in reasons)


def _cdk_lambda_rest_api() -> str:
    """What the CDK's LambdaRestApi synthesizes: a {proxy+} resource and ANY methods with an
    AWS_PROXY integration, Lambda permissions, the account's CloudWatch role, a deployment
    and a prod stage, and the endpoint as an output."""
    uri = {
        "Fn::Join": [
            "",
            [
                "arn:", {"Ref": "AWS::Partition"}, ":apigateway:", {"Ref": "AWS::Region"},
                ":lambda:path/2015-03-31/functions/", {"Fn::GetAtt": ["Handler", "Arn"]}, "/invocations",
            ],
        ]
    }  # fmt: skip
    integration = {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST", "Uri": uri}
    source = {
        "Fn::Join": [
            "",
            [
                "arn:", {"Ref": "AWS::Partition"}, ":execute-api:", {"Ref": "AWS::Region"}, ":",
                {"Ref": "AWS::AccountId"}, ":", {"Ref": "Api"}, "/*/*",
            ],
        ]
    }  # fmt: skip
    template = {
        "Resources": {
            "HandlerRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Statement": [
                            {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
                        ],
                        "Version": "2012-10-17",
                    }
                },
            },
            "Handler": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Code": {
                        "ZipFile": "import json\ndef handler(event, context):\n"
                        "    return {'statusCode': 200, 'body': json.dumps({'proxy': (event.get('pathParameters') or {}).get('proxy')})}\n"
                    },
                    "Handler": "index.handler",
                    "Role": {"Fn::GetAtt": ["HandlerRole", "Arn"]},
                    "Runtime": "python3.12",
                },
                "DependsOn": ["HandlerRole"],
            },
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "Api"}},
            "ApiCloudWatchRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Statement": [
                            {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}}
                        ],
                        "Version": "2012-10-17",
                    }
                },
                "UpdateReplacePolicy": "Retain",
                "DeletionPolicy": "Retain",
            },
            "ApiAccount": {
                "Type": "AWS::ApiGateway::Account",
                "Properties": {"CloudWatchRoleArn": {"Fn::GetAtt": ["ApiCloudWatchRole", "Arn"]}},
                "DependsOn": ["Api"],
                "UpdateReplacePolicy": "Retain",
                "DeletionPolicy": "Retain",
            },
            "ApiProxy": {
                "Type": "AWS::ApiGateway::Resource",
                "Properties": {
                    "ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
                    "PathPart": "{proxy+}",
                    "RestApiId": {"Ref": "Api"},
                },
            },
            "ApiProxyANY": {
                "Type": "AWS::ApiGateway::Method",
                "Properties": {
                    "AuthorizationType": "NONE",
                    "HttpMethod": "ANY",
                    "Integration": integration,
                    "ResourceId": {"Ref": "ApiProxy"},
                    "RestApiId": {"Ref": "Api"},
                },
            },
            "ApiANY": {
                "Type": "AWS::ApiGateway::Method",
                "Properties": {
                    "AuthorizationType": "NONE",
                    "HttpMethod": "ANY",
                    "Integration": integration,
                    "ResourceId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
                    "RestApiId": {"Ref": "Api"},
                },
            },
            "ApiPermission": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": {"Fn::GetAtt": ["Handler", "Arn"]},
                    "Principal": "apigateway.amazonaws.com",
                    "SourceArn": source,
                },
            },
            "ApiDeployment": {
                "Type": "AWS::ApiGateway::Deployment",
                "Properties": {"Description": "Automatically created by the RestApi construct", "RestApiId": {"Ref": "Api"}},
                "DependsOn": ["ApiProxyANY", "ApiProxy", "ApiANY"],
            },
            "ApiDeploymentStageprod": {
                "Type": "AWS::ApiGateway::Stage",
                "Properties": {
                    "DeploymentId": {"Ref": "ApiDeployment"},
                    "RestApiId": {"Ref": "Api"},
                    "StageName": "prod",
                },
                "DependsOn": ["ApiAccount"],
            },
        },
        "Outputs": {
            "ApiEndpoint": {
                "Value": {
                    "Fn::Join": [
                        "",
                        [
                            "https://", {"Ref": "Api"}, ".execute-api.", {"Ref": "AWS::Region"}, ".",
                            {"Ref": "AWS::URLSuffix"}, "/", {"Ref": "ApiDeploymentStageprod"}, "/",
                        ],
                    ]
                }
            }
        },
    }  # fmt: skip
    return json.dumps(template)


def test_a_cdk_lambda_rest_api(cfn, stack_name, endpoint):
    cfn.create_stack(
        StackName=stack_name, TemplateBody=_cdk_lambda_rest_api(), Capabilities=["CAPABILITY_IAM"]
    )
    stack = settle(cfn, stack_name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    url = outputs(stack)["ApiEndpoint"]
    assert url.endswith(".execute-api.us-east-1.amazonaws.com/prod/")
    api = url.removeprefix("https://").split(".")[0]
    status, body = _invoke(endpoint, api, "prod", "any/path/here")
    assert (status, json.loads(body)) == (200, {"proxy": "any/path/here"})
    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE"


SAM_KEYED = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Keyed:
    Type: AWS::Serverless::Api
    Properties:
      StageName: live
      Auth:
        ApiKeyRequired: true
        UsagePlan:
          CreateUsagePlan: PER_API
          Quota: {Limit: 1000, Period: DAY}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        def handler(event, context):
            return {"statusCode": 200, "body": "keyed"}
      Events:
        Get:
          Type: Api
          Properties: {RestApiId: !Ref Keyed, Path: /k, Method: get}
Outputs:
  Api: {Value: !Ref Keyed}
"""


def test_sam_api_with_a_usage_plan(cfn, client, stack_name, endpoint):
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=SAM_KEYED,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    stack = settle(cfn, stack_name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    api = outputs(stack)["Api"]
    made = resources(cfn, stack_name)
    key_id = next(
        r["PhysicalResourceId"] for r in made.values() if r["ResourceType"] == "AWS::ApiGateway::ApiKey"
    )
    value = client("apigateway").get_api_key(apiKey=key_id, includeValue=True)["value"]
    assert _invoke(endpoint, api, "live", "k")[0] == 403
    assert _invoke(endpoint, api, "live", "k", {"x-api-key": value}) == (200, b"keyed")
    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE"
