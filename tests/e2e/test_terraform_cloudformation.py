"""Terraform's real AWS provider creates a CloudFormation stack (aws_cloudformation_stack),
re-reads it with no changes planned, updates a parameter, and destroys it (skipped where
terraform or its provider is missing)."""

from __future__ import annotations

import uuid

from tests.e2e.terraform import requires_terraform, terraform, workspace

pytestmark = requires_terraform

TEMPLATE = """Parameters:
  Timeout:
    Type: Number
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: !Ref Timeout
Outputs:
  QueueUrl:
    Value: !Ref Queue
"""


def _resources(name: str, timeout: int) -> str:
    return f"""
resource "aws_cloudformation_stack" "s" {{
  name          = "{name}"
  parameters    = {{ Timeout = "{timeout}" }}
  template_body = <<TPL
{TEMPLATE}TPL
  tags = {{ Team = "ops" }}
}}
output "queue_url" {{
  value = aws_cloudformation_stack.s.outputs["QueueUrl"]
}}
"""


def test_terraform_stack(endpoint, tmp_path, client):
    cfn, sqs = client("cloudformation"), client("sqs")
    name = f"tf-{uuid.uuid4().hex[:8]}"
    workspace(tmp_path, endpoint, ("cloudformation",), resources=_resources(name, 40))
    terraform(tmp_path, "init", "-input=false")
    terraform(tmp_path, "apply", "-auto-approve", "-input=false")
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    url = terraform(tmp_path, "output", "-raw", "queue_url").strip()
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"] == {
        "VisibilityTimeout": "40"
    }
    assert "No changes" in terraform(tmp_path, "plan", "-input=false")
    workspace(tmp_path, endpoint, ("cloudformation",), resources=_resources(name, 50))
    terraform(tmp_path, "apply", "-auto-approve", "-input=false")
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"] == {
        "VisibilityTimeout": "50"
    }
    assert "No changes" in terraform(tmp_path, "plan", "-input=false")
    terraform(tmp_path, "destroy", "-auto-approve", "-input=false")
    assert name not in [s["StackName"] for s in cfn.describe_stacks()["Stacks"]]
