"""`sam deploy` of the guide's SAM template (Transform AWS::Serverless-2016-10-31: a function
with two Api events, Globals, a DynamoDBCrudPolicy, a SimpleTable) against Overcast through
AWS_ENDPOINT_URL: the managed artifacts stack (--resolve-s3), the code uploaded to it, the
deployed API answering through the function and the table, a second deploy with nothing to
change, `sam list resources`, and `sam delete`."""

from __future__ import annotations

import json
import urllib.request
import uuid
from pathlib import Path

from tests.e2e.tools import requires_sam, run, sam, tool_env

pytestmark = [requires_sam]

# The guide's template, as written there.
TEMPLATE = """AWSTemplateFormatVersion: '2010-09-09'
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
      Handler: handler.lambda_handler
      CodeUri: src/
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
"""

HANDLER = """import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def lambda_handler(event, context):
    if event["httpMethod"] == "POST":
        item = json.loads(event["body"])
        table.put_item(Item=item)
        return {"statusCode": 201, "body": json.dumps(item)}
    found = table.get_item(Key={"userId": event["pathParameters"]["userId"]}).get("Item")
    return {"statusCode": 200 if found else 404, "body": json.dumps(found or {})}
"""


def test_sam_deploy_of_the_guides_template(endpoint, client, tmp_path: Path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "handler.py").write_text(HANDLER)
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    env = tool_env(endpoint, tmp_path)
    stack = f"sam-{uuid.uuid4().hex[:8]}"
    deploy = [
        sam(),
        "deploy",
        "--stack-name",
        stack,
        "--resolve-s3",
        "--capabilities",
        "CAPABILITY_IAM",
        "--no-confirm-changeset",
        "--no-progressbar",
    ]
    output = run([*deploy], tmp_path, env)  # type: ignore[list-item]
    assert f"Successfully created/updated stack - {stack}" in output

    cfn = client("cloudformation")
    found = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    assert found["StackStatus"] == "CREATE_COMPLETE"
    api = cfn.describe_stack_resource(StackName=stack, LogicalResourceId="ServerlessRestApi")[
        "StackResourceDetail"
    ]["PhysicalResourceId"]
    base = f"{endpoint}/_aws/execute-api/{api}/Prod"
    created = urllib.request.urlopen(
        urllib.request.Request(
            f"{base}/users", data=json.dumps({"userId": "u1", "name": "Ada"}).encode(), method="POST"
        ),
        timeout=60,
    )
    assert created.status == 201
    fetched = urllib.request.urlopen(f"{base}/users/u1", timeout=60)
    assert json.loads(fetched.read()) == {"userId": "u1", "name": "Ada"}

    again = run([*deploy, "--no-fail-on-empty-changeset"], tmp_path, env)  # type: ignore[list-item]
    assert "No changes to deploy" in again
    listed = json.loads(
        run([sam(), "list", "resources", "--stack-name", stack, "--output", "json"], tmp_path, env)
    )  # type: ignore[list-item]
    assert {entry["LogicalResourceId"] for entry in listed} >= {
        "UsersFunction",
        "UsersTable",
        "ServerlessRestApi",
    }

    run([sam(), "delete", "--stack-name", stack, "--no-prompts"], tmp_path, env)  # type: ignore[list-item]
    assert cfn.describe_stacks(StackName=found["StackId"])["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
