"""The AWS::ApiGatewayV2::* resource types deployed by CloudFormation, and a SAM template whose
function has an HttpApi event: the stacks' APIs answer through their URLs."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration.apigateway.helpers import call
from tests.integration.cloudformation.conftest import outputs, resources, settle

from .helpers import url

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]

TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Domain: {Type: String}
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Code:
        ZipFile: |
          def handler(event, context):
              return {"statusCode": 200, "body": event["routeKey"] + " " + event["pathParameters"]["name"]}
  HttpApi:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: cfn-http
      ProtocolType: HTTP
      CorsConfiguration: {AllowOrigins: ['*'], AllowMethods: [GET]}
      Tags: {team: blue}
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref HttpApi
      IntegrationType: AWS_PROXY
      IntegrationUri: !GetAtt Fn.Arn
      PayloadFormatVersion: '2.0'
  Authorizer:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref HttpApi
      AuthorizerType: JWT
      Name: jwt
      IdentitySource: [$request.header.Authorization]
      JwtConfiguration: {Issuer: 'https://issuer.example', Audience: [app]}
  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref HttpApi
      RouteKey: GET /hello/{name}
      Target: !Sub integrations/${Integration}
  Model:
    Type: AWS::ApiGatewayV2::Model
    Properties:
      ApiId: !Ref HttpApi
      Name: Greeting
      Schema: {type: object, properties: {name: {type: string}}}
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      ApiId: !Ref HttpApi
      StageName: $default
      AutoDeploy: true
  Deployment:
    Type: AWS::ApiGatewayV2::Deployment
    DependsOn: Route
    Properties:
      ApiId: !Ref HttpApi
      Description: manual
  DomainName:
    Type: AWS::ApiGatewayV2::DomainName
    Properties:
      DomainName: !Ref Domain
      DomainNameConfigurations: [{EndpointType: REGIONAL}]
  Mapping:
    Type: AWS::ApiGatewayV2::ApiMapping
    DependsOn: [DomainName, Stage]
    Properties:
      DomainName: !Ref Domain
      ApiId: !Ref HttpApi
      Stage: $default
      ApiMappingKey: greet
  Link:
    Type: AWS::ApiGatewayV2::VpcLink
    Properties:
      Name: link
      SubnetIds: [subnet-1]
  WsApi:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: cfn-ws
      ProtocolType: WEBSOCKET
      RouteSelectionExpression: $request.body.action
  WsIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref WsApi
      IntegrationType: MOCK
      RequestTemplates: {$default: '{"statusCode": 200}'}
  WsIntegrationResponse:
    Type: AWS::ApiGatewayV2::IntegrationResponse
    Properties:
      ApiId: !Ref WsApi
      IntegrationId: !Ref WsIntegration
      IntegrationResponseKey: $default
  WsRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref WsApi
      RouteKey: $default
      Target: !Sub integrations/${WsIntegration}
  WsRouteResponse:
    Type: AWS::ApiGatewayV2::RouteResponse
    Properties:
      ApiId: !Ref WsApi
      RouteId: !Ref WsRoute
      RouteResponseKey: $default
Outputs:
  ApiId: {Value: !Ref HttpApi}
  Endpoint: {Value: !GetAtt HttpApi.ApiEndpoint}
  WsApiId: {Value: !Ref WsApi}
  Regional: {Value: !GetAtt DomainName.RegionalDomainName}
"""


def test_stack_of_every_type_serves_its_api(client, endpoint):
    cfn, apigw = client("cloudformation"), client("apigatewayv2")
    name = f"s-{uuid.uuid4().hex[:10]}"
    domain = f"{name}.example.com"
    cfn.create_stack(
        StackName=name,
        TemplateBody=TEMPLATE,
        Parameters=[{"ParameterKey": "Domain", "ParameterValue": domain}],
        Capabilities=CAPABILITIES,
    )
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    found = outputs(stack)
    api_id = found["ApiId"]
    assert found["Endpoint"].startswith(f"http://{api_id}.execute-api.")
    assert found["Regional"].startswith("d-")
    made = resources(cfn, name)
    assert made["Route"]["ResourceType"] == "AWS::ApiGatewayV2::Route"
    api = apigw.get_api(ApiId=api_id)
    assert api["Tags"]["team"] == "blue" and api["Tags"]["aws:cloudformation:stack-name"] == name
    assert [m["Name"] for m in apigw.get_models(ApiId=api_id)["Items"]] == ["Greeting"]
    assert call(url(endpoint, api_id, "$default", "/hello/ada")).body == b"GET /hello/{name} ada"
    assert call(f"{endpoint}/greet/hello/bob", headers={"Host": domain}).body == b"GET /hello/{name} bob"
    ws_api = found["WsApiId"]
    assert [
        r["RouteResponseKey"]
        for r in apigw.get_route_responses(ApiId=ws_api, RouteId=made["WsRoute"]["PhysicalResourceId"])[
            "Items"
        ]
    ] == ["$default"]

    cfn.update_stack(
        StackName=name,
        TemplateBody=TEMPLATE.replace("GET /hello/{name}", "GET /hi/{name}"),
        Parameters=[{"ParameterKey": "Domain", "ParameterValue": domain}],
        Capabilities=CAPABILITIES,
    )
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert call(url(endpoint, api_id, "$default", "/hi/eve")).body == b"GET /hi/{name} eve"

    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError):
        apigw.get_api(ApiId=api_id)
    with pytest.raises(ClientError):
        apigw.get_domain_name(DomainName=domain)


SAM = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  HelloFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        def handler(event, context):
            return {"path": event["rawPath"], "method": event["requestContext"]["http"]["method"], "name": (event.get("pathParameters") or {}).get("name")}
      Events:
        Hello:
          Type: HttpApi
          Properties:
            Path: /hello/{name}
            Method: get
Outputs:
  Api: {Value: !Ref ServerlessHttpApi}
  Url: {Value: !Sub 'https://${ServerlessHttpApi}.execute-api.${AWS::Region}.amazonaws.com/'}
"""


def test_sam_function_with_http_api_event(client, endpoint):
    cfn = client("cloudformation")
    name = f"s-{uuid.uuid4().hex[:10]}"
    cfn.create_stack(StackName=name, TemplateBody=SAM, Capabilities=CAPABILITIES)
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    made = resources(cfn, name)
    assert made["ServerlessHttpApi"]["ResourceType"] == "AWS::ApiGatewayV2::Api"
    api_id = outputs(stack)["Api"]
    deadline = time.monotonic() + 60
    while True:
        answer = call(url(endpoint, api_id, "$default", "/hello/sam"))
        if answer.status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert answer.status == 200, answer.body
    assert json.loads(answer.body) == {"path": "/hello/sam", "method": "GET", "name": "sam"}
    host = outputs(stack)["Url"].split("//")[1].rstrip("/")
    assert call(f"{endpoint}/hello/host", headers={"Host": host}).status == 200
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE"


SAM_EXPLICIT = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      StageName: prod
      CorsConfiguration:
        AllowOrigins: ['https://app.example.com']
        AllowMethods: [GET, POST]
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        def handler(event, context):
            return {"statusCode": 200, "body": event["routeKey"]}
      Events:
        Items:
          Type: HttpApi
          Properties:
            ApiId: !Ref Api
            Path: /items
            Method: post
Outputs:
  Api: {Value: !Ref Api}
"""


def test_sam_http_api_resource_with_a_stage_and_cors(client, endpoint):
    cfn = client("cloudformation")
    name = f"s-{uuid.uuid4().hex[:10]}"
    cfn.create_stack(StackName=name, TemplateBody=SAM_EXPLICIT, Capabilities=CAPABILITIES)
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    api_id = outputs(stack)["Api"]
    assert [s["StageName"] for s in client("apigatewayv2").get_stages(ApiId=api_id)["Items"]] == ["prod"]
    answer = call(
        url(endpoint, api_id, "prod", "/items"),
        method="POST",
        body="{}",
        headers={"Origin": "https://app.example.com"},
    )
    assert answer.status == 200, answer.body
    assert answer.body == b"POST /items"
    assert answer.headers["access-control-allow-origin"] == "https://app.example.com"
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE"
