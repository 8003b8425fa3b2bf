"""Nested stacks (AWS::CloudFormation::Stack), packaged by `aws cloudformation package`: the
child template and a function's local code directory are uploaded to S3 and the template
rewritten to point at them; deploy creates the parent, the child from its TemplateURL, and
the function from its S3 code."""

from __future__ import annotations

import json

from tests.integration.cloudformation.conftest import outputs, resources, settle

CHILD = """
Parameters:
  Prefix: {Type: String}
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${Prefix}-child"
Outputs:
  QueueArn: {Value: !GetAtt Queue.Arn}
"""

PARENT = """
Parameters:
  Prefix: {Type: String}
Resources:
  Child:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: child.yaml
      Parameters:
        Prefix: !Ref Prefix
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]
  Function:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: !GetAtt Role.Arn
      Code: src/
      Environment:
        Variables:
          QUEUE_ARN: !GetAtt Child.Outputs.QueueArn
Outputs:
  QueueArn: {Value: !GetAtt Child.Outputs.QueueArn}
  Function: {Value: !Ref Function}
"""


def test_package_and_deploy_a_nested_stack(aws, client, cfn, endpoint, stack_name, tmp_path):
    (tmp_path / "child.yaml").write_text(CHILD)
    (tmp_path / "parent.yaml").write_text(PARENT)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(
        "import os\ndef handler(event, context):\n    return {'queue': os.environ['QUEUE_ARN']}\n"
    )
    client("s3").create_bucket(Bucket=stack_name)
    packaged = tmp_path / "packaged.yaml"
    result = aws(
        "cloudformation", "package", "--template-file", str(tmp_path / "parent.yaml"),
        "--s3-bucket", stack_name, "--output-template-file", str(packaged), check=False,
        env={"AWS_ENDPOINT_URL": endpoint},  # package's own S3 client ignores --endpoint-url
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    deployed = aws(
        "cloudformation", "deploy", "--template-file", str(packaged), "--stack-name", stack_name,
        "--parameter-overrides", f"Prefix={stack_name}", "--capabilities", "CAPABILITY_IAM", check=False,
    )  # fmt: skip
    assert deployed.returncode == 0, deployed.stderr + deployed.stdout
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    child_id = resources(cfn, stack_name)["Child"]["PhysicalResourceId"]
    child = cfn.describe_stacks(StackName=child_id)["Stacks"][0]
    assert child["ParentId"] == stack["StackId"] and child["RootId"] == stack["StackId"]
    assert child["StackName"].startswith(f"{stack_name}-Child-")
    queue_arn = outputs(stack)["QueueArn"]
    assert queue_arn.endswith(f":{stack_name}-child")
    answer = client("lambda").invoke(FunctionName=outputs(stack)["Function"])
    assert json.loads(answer["Payload"].read()) == {"queue": queue_arn}

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert cfn.describe_stacks(StackName=child_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
