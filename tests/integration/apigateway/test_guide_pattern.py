"""The guide's serverless API pattern, as written: Client → API Gateway (Lambda proxy) →
Lambda (the guide's Python handler) → DynamoDB, called with a plain HTTP client."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from .helpers import Api, call, lambda_uri, unique

_lambda = importlib.import_module("tests.integration.lambda.helpers")

#: The guide's Python handler example, verbatim (its "Python Handler Example").
HANDLER = Path(__file__).parent / "guide_handler.txt"


def test_client_api_gateway_lambda_dynamodb(client, endpoint):
    apigw, lam, dynamodb = client("apigateway"), client("lambda"), client("dynamodb")
    table = unique("Users")
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "userId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "userId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName=table, Item={"userId": {"S": "u1"}, "name": {"S": "Ada"}})
    source = HANDLER.read_text().replace("Table('Users')", f"Table('{table}')")
    name = _lambda.create(lam, source, handler="handler.lambda_handler")
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    lam.add_permission(
        FunctionName=name,
        StatementId="apigw",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
    )
    api = Api(apigw, name="users-api")
    integration = {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": lambda_uri(arn)}
    api.method("/users/{userId}", "GET", integration)
    api.method("/users/{userId}", "DELETE", integration)
    api.method("/users/{userId}", "PUT", integration)
    api.deploy("prod")
    url = api.url(endpoint, "prod", "/users/u1")

    found = call(url)
    assert found.status == 200, found.body
    assert found.json() == {"userId": "u1", "name": "Ada"}
    assert found.headers["access-control-allow-origin"] == "*"
    assert call(api.url(endpoint, "prod", "/users/nobody")).status == 404
    assert call(url, method="PUT", body="{}").json() == {"error": "Method PUT not allowed"}
    assert call(url, method="DELETE").status == 204
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"userId": {"S": "u1"}})
    gone = call(url)
    assert gone.status == 404
    assert json.loads(gone.body) == {"error": "User not found"}
