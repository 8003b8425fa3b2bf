"""The AWS::Serverless-2016-10-31 transform, through the real SAM translator: a function
with a policy template and an SQS event, and a SimpleTable; the event source really
delivers to the function, which writes to the table."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from tests.integration.cloudformation.conftest import outputs, resources, settle

SAM = """
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
  Inbox:
    Type: AWS::SQS::Queue

  UsersFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      MemorySize: 256
      InlineCode: |
        import json, os, boto3
        def handler(event, context):
            table = boto3.client("dynamodb")
            for record in event["Records"]:
                body = json.loads(record["body"])
                table.put_item(TableName=os.environ["TABLE_NAME"], Item={"userId": {"S": body["userId"]}})
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref UsersTable
      Events:
        FromQueue:
          Type: SQS
          Properties:
            Queue: !GetAtt Inbox.Arn
            BatchSize: 1

  UsersTable:
    Type: AWS::Serverless::SimpleTable
    Properties:
      PrimaryKey:
        Name: userId
        Type: String

Outputs:
  Table: {Value: !Ref UsersTable}
"""


def test_serverless_transform(cfn, client, stack_name):
    with pytest.raises(ClientError) as refused:
        cfn.create_stack(StackName=stack_name, TemplateBody=SAM, Capabilities=["CAPABILITY_IAM"])
    assert refused.value.response["Error"]["Message"] == "Requires capabilities : [CAPABILITY_AUTO_EXPAND]"
    summary = cfn.get_template_summary(TemplateBody=SAM)
    assert summary["DeclaredTransforms"] == ["AWS::Serverless-2016-10-31"]

    cfn.create_stack(
        StackName=stack_name, TemplateBody=SAM, Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
    )
    stack = settle(cfn, stack_name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    made = resources(cfn, stack_name)
    assert {"UsersFunction", "UsersFunctionRole", "UsersFunctionFromQueue", "UsersTable", "Inbox"} <= set(
        made
    )
    assert made["UsersFunctionFromQueue"]["ResourceType"] == "AWS::Lambda::EventSourceMapping"

    processed = cfn.get_template(StackName=stack_name, TemplateStage="Processed")["TemplateBody"]
    processed = processed if isinstance(processed, dict) else json.loads(processed)
    assert processed["Resources"]["UsersFunction"]["Type"] == "AWS::Lambda::Function"
    original = cfn.get_template(StackName=stack_name)["TemplateBody"]
    assert "AWS::Serverless::Function" in original

    client("sqs").send_message(
        QueueUrl=made["Inbox"]["PhysicalResourceId"], MessageBody=json.dumps({"userId": "sam"})
    )
    table = outputs(stack)["Table"]
    dynamodb = client("dynamodb")
    deadline = time.monotonic() + 60
    item = None
    while item is None and time.monotonic() < deadline:
        item = dynamodb.get_item(TableName=table, Key={"userId": {"S": "sam"}}).get("Item")
        time.sleep(0.2)
    assert item == {"userId": {"S": "sam"}}

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE"
