"""The guide's DynamoDB commands, run as written through the aws CLI."""

from __future__ import annotations

import json

from tests.integration.dynamodb.helpers import unique


def test_guide_commands(aws):
    name = unique("Orders")
    created = aws(
        "dynamodb",
        "create-table",
        "--table-name",
        name,
        "--attribute-definitions",
        "AttributeName=userId,AttributeType=S",
        "AttributeName=orderId,AttributeType=S",
        "AttributeName=createdAt,AttributeType=S",
        "--key-schema",
        "AttributeName=userId,KeyType=HASH",
        "AttributeName=orderId,KeyType=RANGE",
        "--billing-mode",
        "PAY_PER_REQUEST",
        "--global-secondary-indexes",
        """[
    {
      "IndexName": "CreatedAtIndex",
      "KeySchema": [
        {"AttributeName": "userId", "KeyType": "HASH"},
        {"AttributeName": "createdAt", "KeyType": "RANGE"}
      ],
      "Projection": {"ProjectionType": "ALL"}
    }
  ]""",
    )
    assert created["TableDescription"]["GlobalSecondaryIndexes"][0]["IndexName"] == "CreatedAtIndex"
    aws("dynamodb", "wait", "table-exists", "--table-name", name)
    aws(
        "dynamodb",
        "put-item",
        "--table-name",
        name,
        "--item",
        """{
    "userId": {"S": "user#abc"},
    "orderId": {"S": "order#001"},
    "createdAt": {"S": "2026-02-23T10:00:00Z"},
    "status": {"S": "pending"},
    "total": {"N": "49.99"}
  }""",
    )
    result = aws(
        "dynamodb",
        "query",
        "--table-name",
        name,
        "--key-condition-expression",
        "userId = :uid AND begins_with(orderId, :prefix)",
        "--expression-attribute-values",
        """{
    ":uid": {"S": "user#abc"},
    ":prefix": {"S": "order#"}
  }""",
    )
    assert result["Count"] == 1
    assert result["Items"][0]["total"] == {"N": "49.99"}
    by_date = aws(
        "dynamodb",
        "query",
        "--table-name",
        name,
        "--index-name",
        "CreatedAtIndex",
        "--key-condition-expression",
        "userId = :uid AND createdAt >= :d",
        "--expression-attribute-values",
        json.dumps({":uid": {"S": "user#abc"}, ":d": {"S": "2026"}}),
    )
    assert by_date["Items"][0]["orderId"] == {"S": "order#001"}
    assert name in aws("dynamodb", "list-tables")["TableNames"]
    failed = aws("dynamodb", "get-item", "--table-name", name, "--key", '{"userId": {"S": "x"}}', check=False)
    assert failed.returncode != 0
    assert "The provided key element does not match the schema" in failed.stderr
    aws("dynamodb", "delete-table", "--table-name", name)
    aws("dynamodb", "wait", "table-not-exists", "--table-name", name)


def test_guide_lambda_handler_table_access(endpoint, ddb):
    import boto3

    name = unique("Users")
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "userId", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "userId", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    table = boto3.resource(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).Table(name)
    assert table.get_item(Key={"userId": "u1"}).get("Item") is None
    table.put_item(Item={"userId": "u1", "name": "Ada"})
    assert table.get_item(Key={"userId": "u1"})["Item"] == {"userId": "u1", "name": "Ada"}
    table.delete_item(Key={"userId": "u1"})
    assert table.get_item(Key={"userId": "u1"}).get("Item") is None
