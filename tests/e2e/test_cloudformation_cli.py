"""The guide's CloudFormation chapter through the real `aws` CLI, its commands as written:
validate-template, `deploy` (create-or-update with parameter overrides, CAPABILITY_IAM and
--no-fail-on-empty-changeset), a preview change set, stack events filtered on CREATE_FAILED,
delete-stack (the table it retains stays); and `aws cloudformation package` + `deploy` of the
guide's SAM template, its code uploaded to S3 and its API answering."""

from __future__ import annotations

import json
import urllib.request
import uuid
from pathlib import Path

from tests.e2e.test_sam import HANDLER
from tests.e2e.test_sam import TEMPLATE as SAM_TEMPLATE

# The guide's cloudformation/api-stack.yaml, as written there.
API_STACK = """AWSTemplateFormatVersion: '2010-09-09'
Description: Serverless API stack with Lambda, API Gateway, and DynamoDB

Parameters:
  Environment:
    Type: String
    Default: dev
    AllowedValues: [dev, staging, prod]
    Description: Deployment environment
  LambdaMemory:
    Type: Number
    Default: 512
    MinValue: 128
    MaxValue: 10240

Conditions:
  IsProd: !Equals [!Ref Environment, prod]

Resources:
  # DynamoDB Table
  UsersTable:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Retain
    Properties:
      TableName: !Sub '${Environment}-Users'
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - AttributeName: userId
          AttributeType: S
      KeySchema:
        - AttributeName: userId
          KeyType: HASH
      PointInTimeRecoverySpecification:
        PointInTimeRecoveryEnabled: !If [IsProd, true, false]
      Tags:
        - Key: Environment
          Value: !Ref Environment

  # IAM Execution Role
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
                Action:
                  - dynamodb:GetItem
                  - dynamodb:PutItem
                  - dynamodb:DeleteItem
                  - dynamodb:Query
                Resource: !GetAtt UsersTable.Arn

  # Lambda Function
  ApiFunction:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: !Sub '${Environment}-users-api'
      Runtime: python3.12
      Handler: handler.lambda_handler
      Role: !GetAtt LambdaExecutionRole.Arn
      MemorySize: !Ref LambdaMemory
      Timeout: 30
      Environment:
        Variables:
          TABLE_NAME: !Ref UsersTable
          ENVIRONMENT: !Ref Environment
      Code:
        ZipFile: |
          def lambda_handler(event, context):
              return {'statusCode': 200, 'body': 'ok'}

  # API Gateway
  ApiGateway:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: !Sub '${Environment}-users-api'
      EndpointConfiguration:
        Types: [REGIONAL]

Outputs:
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


def test_the_guides_cloudformation_commands(aws, client, tmp_path: Path):
    (tmp_path / "api-stack.yaml").write_text(API_STACK)
    template = f"file://{tmp_path / 'api-stack.yaml'}"
    validated = aws("cloudformation", "validate-template", "--template-body", template)
    assert validated["Capabilities"] == ["CAPABILITY_IAM"]
    deploy = (
        "cloudformation", "deploy", "--template-file", str(tmp_path / "api-stack.yaml"),
        "--stack-name", "my-api-dev", "--parameter-overrides", "Environment=dev", "LambdaMemory=256",
        "--capabilities", "CAPABILITY_IAM", "--no-fail-on-empty-changeset",
    )  # fmt: skip
    created = aws(*deploy, check=False)
    assert created.returncode == 0, created.stderr
    cfn = client("cloudformation")
    stack = cfn.describe_stacks(StackName="my-api-dev")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    exports = {export["Name"]: export["Value"] for export in cfn.list_exports()["Exports"]}
    assert exports["my-api-dev-UsersTableArn"].endswith(":table/dev-Users")
    assert client("lambda").get_function_configuration(FunctionName="dev-users-api")["MemorySize"] == 256
    again = aws(*deploy, check=False)
    assert again.returncode == 0, again.stderr
    assert "No changes to deploy" in again.stdout + again.stderr

    aws(
        "cloudformation", "create-change-set", "--stack-name", "my-api-dev", "--change-set-name", "preview",
        "--template-body", template, "--capabilities", "CAPABILITY_IAM",
    )  # fmt: skip
    aws(
        "cloudformation",
        "wait",
        "change-set-create-complete",
        "--stack-name",
        "my-api-dev",
        "--change-set-name",
        "preview",
        check=False,
    )
    preview = aws(
        "cloudformation", "describe-change-set", "--stack-name", "my-api-dev", "--change-set-name", "preview"
    )
    assert preview["StackName"] == "my-api-dev"
    failed = aws(
        "cloudformation", "describe-stack-events", "--stack-name", "my-api-dev",
        "--query", "StackEvents[?ResourceStatus==`CREATE_FAILED`]",
    )  # fmt: skip
    assert failed == []

    stack_id = stack["StackId"]
    aws("cloudformation", "delete-stack", "--stack-name", "my-api-dev")
    aws("cloudformation", "wait", "stack-delete-complete", "--stack-name", stack_id)
    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    # DeletionPolicy: Retain keeps the table.
    dynamodb = client("dynamodb")
    assert dynamodb.describe_table(TableName="dev-Users")["Table"]["TableStatus"] == "ACTIVE"
    dynamodb.delete_table(TableName="dev-Users")


def test_package_and_deploy_the_guides_sam_template(aws, client, tmp_path: Path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "handler.py").write_text(HANDLER)
    (tmp_path / "template.yaml").write_text(SAM_TEMPLATE)
    bucket = f"artifacts-{uuid.uuid4().hex[:8]}"
    client("s3").create_bucket(Bucket=bucket)
    endpoint = client("s3").meta.endpoint_url
    # `package` uploads through an S3 client of its own that --endpoint-url does not reach:
    # AWS_ENDPOINT_URL points every client of the CLI at Overcast.
    packaged = aws(
        "cloudformation", "package", "--template-file", str(tmp_path / "template.yaml"),
        "--s3-bucket", bucket, "--output-template-file", str(tmp_path / "packaged.yaml"), check=False,
        env={"AWS_ENDPOINT_URL": endpoint},
    )  # fmt: skip
    assert packaged.returncode == 0, packaged.stderr
    assert f"s3://{bucket}/" in (tmp_path / "packaged.yaml").read_text()
    stack = f"pkg-{uuid.uuid4().hex[:8]}"
    deployed = aws(
        "cloudformation", "deploy", "--template-file", str(tmp_path / "packaged.yaml"), "--stack-name", stack,
        "--capabilities", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND", check=False,
    )  # fmt: skip
    assert deployed.returncode == 0, deployed.stderr
    cfn = client("cloudformation")
    api = cfn.describe_stack_resource(StackName=stack, LogicalResourceId="ServerlessRestApi")[
        "StackResourceDetail"
    ]["PhysicalResourceId"]
    base = f"{endpoint}/_aws/execute-api/{api}/Prod"
    request = urllib.request.Request(
        f"{base}/users", data=json.dumps({"userId": "p1"}).encode(), method="POST"
    )
    assert urllib.request.urlopen(request, timeout=60).status == 201
    assert json.loads(urllib.request.urlopen(f"{base}/users/p1", timeout=60).read()) == {"userId": "p1"}
    cfn.delete_stack(StackName=stack)
