"""CloudFormation's API Gateway types: a GET through a REST API that a stack deployed (the
API imported from an OpenAPI Body, a Deployment with its stage, a DomainName and a
BasePathMapping), to a MOCK integration with a response template. The same request as the
apigateway-mock scenario, on an API the stack made: the two should answer alike.

The stage is reached through the stack's custom domain (Host `cfn.apigw-bench.example`), since
an invoke URL names the API's id, which exists only after setup."""

import json
import time

from scenarios import ClientFactory, HttpRequest, Scenario

DOMAIN = "cfn.apigw-bench.example"
STACK = "bench-apigw-stack"


def _template() -> str:
    spec = {
        "openapi": "3.0.1",
        "info": {"title": "bench", "version": "1"},
        "paths": {
            "/item": {
                "get": {
                    "responses": {"200": {"description": "ok"}},
                    "x-amazon-apigateway-integration": {
                        "type": "mock",
                        "requestTemplates": {"application/json": '{"statusCode": 200}'},
                        "responses": {
                            "default": {
                                "statusCode": "200",
                                "responseTemplates": {
                                    "application/json": '{"ok": true, "id": "$context.requestId"}'
                                },
                            }
                        },
                    },
                }
            }
        },
    }
    return (
        "Resources:\n"
        f"  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties:\n      Body: {json.dumps(spec)}\n"
        "  Deployment:\n    Type: AWS::ApiGateway::Deployment\n"
        "    Properties: {RestApiId: !Ref Api, StageName: bench}\n"
        f"  Domain:\n    Type: AWS::ApiGateway::DomainName\n"
        f"    Properties: {{DomainName: {DOMAIN}, EndpointConfiguration: {{Types: [REGIONAL]}}}}\n"
        "  Mapping:\n    Type: AWS::ApiGateway::BasePathMapping\n    DependsOn: Deployment\n"
        "    Properties: {DomainName: !Ref Domain, RestApiId: !Ref Api, Stage: bench}\n"
    )


def _stack(client: ClientFactory) -> None:
    cfn = client("cloudformation")
    cfn.create_stack(StackName=STACK, TemplateBody=_template())
    while True:
        stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
        if not stack["StackStatus"].endswith("IN_PROGRESS"):
            break
        time.sleep(0.05)
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"{STACK}: {stack['StackStatus']} {stack.get('StackStatusReason')}")


SCENARIOS = (
    Scenario(
        name="cloudformation-apigateway-mock",
        summary="API Gateway GET to a MOCK integration of a REST API a CloudFormation stack deployed",
        setup=_stack,
        requests=(HttpRequest("GET", "/item", (("Host", DOMAIN), ("Accept", "application/json"))),),
    ),
)
