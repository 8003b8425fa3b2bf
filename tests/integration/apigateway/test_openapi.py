"""Swagger 2.0 in YAML with API Gateway's extensions: authorizers, API keys, request
validators, gateway responses, ANY methods; served once deployed, exported again."""

from __future__ import annotations

import importlib
import json

import pytest
import yaml

from .helpers import call, lambda_uri, unique

_lambda = importlib.import_module("tests.integration.lambda.helpers")

AUTHORIZER = """
def handler(event, context):
    effect = "Allow" if event["authorizationToken"] == "good" else "Deny"
    return {"principalId": "p", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]}}
"""


@pytest.fixture(scope="module")
def apigw(client):
    return client("apigateway")


def swagger(authorizer_arn: str) -> str:
    mock = {
        "type": "mock",
        "requestTemplates": {"application/json": '{"statusCode": 200}'},
        "responses": {
            "default": {"statusCode": "200", "responseTemplates": {"application/json": '{"ok": true}'}}
        },
    }
    document = {
        "swagger": "2.0",
        "info": {"title": unique("swagger"), "version": "2"},
        "basePath": "/base",
        "securityDefinitions": {
            "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
            "tokenAuth": {
                "type": "apiKey",
                "name": "Authorization",
                "in": "header",
                "x-amazon-apigateway-authtype": "custom",
                "x-amazon-apigateway-authorizer": {
                    "type": "token",
                    "authorizerUri": lambda_uri(authorizer_arn),
                    "authorizerResultTtlInSeconds": 0,
                },
            },
        },
        "x-amazon-apigateway-request-validators": {
            "body": {"validateRequestBody": True, "validateRequestParameters": False}
        },
        "x-amazon-apigateway-gateway-responses": {
            "ACCESS_DENIED": {
                "statusCode": 403,
                "responseTemplates": {"application/json": '{"denied": true}'},
            }
        },
        "definitions": {
            "In": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}
        },
        "paths": {
            "/open": {
                "x-amazon-apigateway-any-method": {"responses": {}, "x-amazon-apigateway-integration": mock}
            },
            "/keyed": {"get": {"security": [{"api_key": []}], "x-amazon-apigateway-integration": mock}},
            "/guarded": {"get": {"security": [{"tokenAuth": []}], "x-amazon-apigateway-integration": mock}},
            "/checked": {
                "post": {
                    "parameters": [
                        {"in": "body", "name": "In", "required": True, "schema": {"$ref": "#/definitions/In"}}
                    ],
                    "x-amazon-apigateway-request-validator": "body",
                    "x-amazon-apigateway-integration": mock,
                }
            },
        },
    }
    return yaml.safe_dump(document)


def test_swagger_import_with_extensions(apigw, client, endpoint):
    lam = client("lambda")
    name = _lambda.create(lam, AUTHORIZER)
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    api_id = apigw.import_rest_api(body=swagger(arn).encode())["id"]
    authorizers = apigw.get_authorizers(restApiId=api_id)["items"]
    assert [(a["name"], a["type"]) for a in authorizers] == [("tokenAuth", "TOKEN")]
    assert authorizers[0]["identitySource"] == "method.request.header.Authorization"
    apigw.create_deployment(restApiId=api_id, stageName="s")
    base = f"{endpoint}/_aws/execute-api/{api_id}/s"
    assert call(f"{base}/open", method="DELETE").json() == {"ok": True}
    assert call(f"{base}/keyed").status == 403
    assert call(f"{base}/guarded", headers={"Authorization": "good"}).json() == {"ok": True}
    denied = call(f"{base}/guarded", headers={"Authorization": "bad"})
    assert (denied.status, denied.json()) == (403, {"denied": True})
    assert (
        call(
            f"{base}/checked", method="POST", body='{"n": 1}', headers={"Content-Type": "application/json"}
        ).status
        == 200
    )
    assert (
        call(
            f"{base}/checked", method="POST", body='{"n": "x"}', headers={"Content-Type": "application/json"}
        ).status
        == 400
    )
    exported = json.loads(
        apigw.get_export(
            restApiId=api_id, stageName="s", exportType="swagger", parameters={"extensions": "apigateway"}
        )["body"].read()
    )
    assert exported["paths"]["/guarded"]["get"]["security"] == [{"tokenAuth": []}]
    assert exported["securityDefinitions"]["tokenAuth"]["x-amazon-apigateway-authorizer"]["type"] == "token"
    assert exported["paths"]["/keyed"]["get"]["security"] == [{"api_key": []}]
    assert "x-amazon-apigateway-any-method" in exported["paths"]["/open"]
    assert exported["x-amazon-apigateway-request-validators"]["body"]["validateRequestBody"] is True
