"""Terraform's real AWS provider creates, re-reads (no drift), invokes through Overcast and
destroys a Lambda function with its IAM role (skipped where terraform or its provider is
missing)."""

from __future__ import annotations

import importlib
import json

from tests.e2e.terraform import requires_terraform, terraform, workspace

# "lambda" is a keyword, so the helpers module is imported by name.
helpers = importlib.import_module("tests.integration.lambda.helpers")
unique, zip_bytes = helpers.unique, helpers.zip_bytes

pytestmark = requires_terraform


def test_terraform_function(endpoint, tmp_path, client):
    lam = client("lambda")
    name = unique("tf-fn")
    (tmp_path / "fn.zip").write_bytes(
        zip_bytes({"handler.py": "def handler(event, context):\n    return {'got': event}\n"})
    )
    workspace(
        tmp_path,
        endpoint,
        ("lambda", "iam"),
        resources=f"""
resource "aws_iam_role" "r" {{
  name = "{name}-role"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {{ Service = "lambda.amazonaws.com" }}
      Action    = "sts:AssumeRole"
    }}]
  }})
}}
resource "aws_lambda_function" "f" {{
  function_name    = "{name}"
  role             = aws_iam_role.r.arn
  handler          = "handler.handler"
  runtime          = "python3.12"
  filename         = "fn.zip"
  source_code_hash = filebase64sha256("fn.zip")
  timeout          = 10
  environment {{
    variables = {{ STAGE = "test" }}
  }}
  tags = {{ team = "e2e" }}
}}
output "arn" {{
  value = aws_lambda_function.f.arn
}}
""",
    )
    terraform(tmp_path, "init", "-input=false")
    terraform(tmp_path, "apply", "-auto-approve", "-input=false")
    outputs = json.loads(terraform(tmp_path, "output", "-json"))
    config = lam.get_function_configuration(FunctionName=name)
    assert outputs["arn"]["value"] == config["FunctionArn"]
    assert config["Environment"]["Variables"] == {"STAGE": "test"} and config["Timeout"] == 10
    answer = lam.invoke(FunctionName=name, Payload=json.dumps({"k": 1}))
    assert json.loads(answer["Payload"].read()) == {"got": {"k": 1}}
    assert "No changes" in terraform(tmp_path, "plan", "-input=false")
    terraform(tmp_path, "destroy", "-auto-approve", "-input=false")
    pages = lam.get_paginator("list_functions").paginate()
    assert name not in [f["FunctionName"] for page in pages for f in page["Functions"]]
