"""The guide's infrastructure commands through the real `aws` CLI: validate-template,
deploy (create, then update through change sets, with parameter overrides and
capabilities; --no-fail-on-empty-changeset), create/describe-change-set, stack events
filtered on CREATE_FAILED, delete-stack. The deployed function, table and queue work."""

from __future__ import annotations

import json

from tests.integration.cloudformation.conftest import outputs, settle

APP = """AWSTemplateFormatVersion: '2010-09-09'
Description: Lambda, table, queue and role

Parameters:
  Environment:
    Type: String
    Default: dev
    AllowedValues: [dev, staging, prod]
  LambdaMemory:
    Type: Number
    Default: 512
    MinValue: 128
    MaxValue: 10240

Conditions:
  IsProd: !Equals [!Ref Environment, prod]

Resources:
  UsersTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub '${AWS::StackName}-${Environment}-Users'
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - AttributeName: userId
          AttributeType: S
      KeySchema:
        - AttributeName: userId
          KeyType: HASH
      PointInTimeRecoverySpecification:
        PointInTimeRecoveryEnabled: !If [IsProd, true, false]

  Events:
    Type: AWS::SQS::Queue

  LambdaExecutionRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal:
              Service: lambda.amazonaws.com
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
      Policies:
        - PolicyName: DynamoDBAccess
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Effect: Allow
                Action: [dynamodb:GetItem, dynamodb:PutItem]
                Resource: !GetAtt UsersTable.Arn
              - Effect: Allow
                Action: sqs:SendMessage
                Resource: !GetAtt Events.Arn

  ApiFunction:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.lambda_handler
      Role: !GetAtt LambdaExecutionRole.Arn
      MemorySize: !Ref LambdaMemory
      Timeout: 30
      Environment:
        Variables:
          TABLE_NAME: !Ref UsersTable
          QUEUE_URL: !Ref Events
          ENVIRONMENT: !Ref Environment
      Code:
        ZipFile: |
          import json, os, boto3
          def lambda_handler(event, context):
              boto3.client("dynamodb").put_item(TableName=os.environ["TABLE_NAME"],
                                                Item={"userId": {"S": event["userId"]}})
              boto3.client("sqs").send_message(QueueUrl=os.environ["QUEUE_URL"],
                                               MessageBody=json.dumps(event))
              return {"statusCode": 200, "env": os.environ["ENVIRONMENT"]}

  # API Gateway
  ApiGateway:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: !Sub '${Environment}-users-api'
      EndpointConfiguration:
        Types: [REGIONAL]

Outputs:
  FunctionName:
    Value: !Ref ApiFunction
  ApiEndpoint:
    Description: API Gateway endpoint URL
    Value: !Sub 'https://${ApiGateway}.execute-api.${AWS::Region}.amazonaws.com/prod'
    Export:
      Name: !Sub '${AWS::StackName}-ApiEndpoint'
  UsersTableArn:
    Description: DynamoDB table ARN
    Value: !GetAtt UsersTable.Arn
    Export:
      Name: !Sub '${AWS::StackName}-UsersTableArn'
"""


def test_deploy_and_use_through_the_cli(aws, client, cfn, stack_name, tmp_path):
    template = tmp_path / "app.yaml"
    template.write_text(APP)
    validated = aws("cloudformation", "validate-template", "--template-body", f"file://{template}")
    assert validated["Capabilities"] == ["CAPABILITY_IAM"]
    assert {p["ParameterKey"] for p in validated["Parameters"]} == {"Environment", "LambdaMemory"}

    deploy = (
        "cloudformation", "deploy", "--template-file", str(template), "--stack-name", stack_name,
        "--parameter-overrides", "Environment=dev", "LambdaMemory=256",
        "--capabilities", "CAPABILITY_IAM", "--no-fail-on-empty-changeset",
    )  # fmt: skip
    created = aws(*deploy, check=False)  # deploy prints progress, not JSON
    assert created.returncode == 0, created.stderr
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    function = outputs(stack)["FunctionName"]
    api = outputs(stack)["ApiEndpoint"].removeprefix("https://").split(".")[0]
    rest_api = client("apigateway").get_rest_api(restApiId=api)
    assert rest_api["name"] == "dev-users-api" and rest_api["endpointConfiguration"]["types"] == ["REGIONAL"]
    lambda_client = client("lambda")
    assert lambda_client.get_function_configuration(FunctionName=function)["MemorySize"] == 256
    answer = lambda_client.invoke(FunctionName=function, Payload=json.dumps({"userId": "u1"}).encode())
    assert json.loads(answer["Payload"].read()) == {"statusCode": 200, "env": "dev"}
    table = f"{stack_name}-dev-Users"
    item = client("dynamodb").get_item(TableName=table, Key={"userId": {"S": "u1"}})["Item"]
    assert item == {"userId": {"S": "u1"}}
    queue = cfn.describe_stack_resource(StackName=stack_name, LogicalResourceId="Events")[
        "StackResourceDetail"
    ]
    message = client("sqs").receive_message(QueueUrl=queue["PhysicalResourceId"], WaitTimeSeconds=5)[
        "Messages"
    ][0]
    assert json.loads(message["Body"]) == {"userId": "u1"}

    # The same deploy again changes nothing: the empty change set is not an error.
    again = aws(*deploy, check=False)
    assert again.returncode == 0, again.stderr
    assert "No changes to deploy" in again.stdout

    # A preview, then an update through deploy: new memory, same function.
    aws(
        "cloudformation", "create-change-set", "--stack-name", stack_name, "--change-set-name", "preview",
        "--template-body", f"file://{template}", "--capabilities", "CAPABILITY_IAM",
        "--parameters", "ParameterKey=Environment,UsePreviousValue=true", "ParameterKey=LambdaMemory,ParameterValue=1024",
    )  # fmt: skip
    preview = aws(
        "cloudformation", "describe-change-set", "--stack-name", stack_name, "--change-set-name", "preview"
    )
    changes = [c["ResourceChange"] for c in preview["Changes"]]
    assert [(c["LogicalResourceId"], c["Action"], c["Replacement"]) for c in changes] == [
        ("ApiFunction", "Modify", "False")
    ]
    update = aws(*deploy[:7], "Environment=dev", "LambdaMemory=1024", *deploy[9:], check=False)
    assert update.returncode == 0, update.stderr
    updated = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    assert updated["StackStatus"] == "UPDATE_COMPLETE"
    assert outputs(updated)["FunctionName"] == function
    assert lambda_client.get_function_configuration(FunctionName=function)["MemorySize"] == 1024

    failed = aws(
        "cloudformation", "describe-stack-events", "--stack-name", stack_name,
        "--query", "StackEvents[?ResourceStatus==`CREATE_FAILED`]",
    )  # fmt: skip
    assert failed == []
    exports = aws("cloudformation", "list-exports")["Exports"]
    assert {f"{stack_name}-UsersTableArn", f"{stack_name}-ApiEndpoint"} <= {e["Name"] for e in exports}

    aws("cloudformation", "delete-stack", "--stack-name", stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert table not in client("dynamodb").list_tables()["TableNames"]


def test_deploy_failure_is_reported_with_its_events(aws, cfn, stack_name, tmp_path):
    template = tmp_path / "bad.yaml"
    template.write_text(
        "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n    Properties:\n      DelaySeconds: 9999\n"
    )
    result = aws(
        "cloudformation", "deploy", "--template-file", str(template), "--stack-name", stack_name, check=False
    )
    assert result.returncode != 0
    failed = aws(
        "cloudformation", "describe-stack-events", "--stack-name", stack_name,
        "--query", "StackEvents[?ResourceStatus==`CREATE_FAILED`]",
    )  # fmt: skip
    assert [event["LogicalResourceId"] for event in failed] == ["Queue"]
    assert "DelaySeconds" in failed[0]["ResourceStatusReason"]
    assert cfn.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
    aws("cloudformation", "delete-stack", "--stack-name", stack_name)
