"""Terraform's real AWS provider builds a REST API in front of a Lambda function (resource,
method, proxy integration, deployment, stage, permission), re-reads it with no drift, the
stage answers over HTTP, and it is destroyed (skipped where terraform or its provider is
missing)."""

from __future__ import annotations

import importlib
import json

from tests.e2e.terraform import requires_terraform, terraform, workspace
from tests.integration.apigateway.helpers import call

helpers = importlib.import_module("tests.integration.lambda.helpers")
unique, zip_bytes = helpers.unique, helpers.zip_bytes

pytestmark = requires_terraform

HANDLER = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"id": event["pathParameters"]["id"]})}
"""


def test_terraform_rest_api_in_front_of_lambda(endpoint, tmp_path, client):
    apigw = client("apigateway")
    name = unique("tf-api")
    (tmp_path / "fn.zip").write_bytes(zip_bytes({"handler.py": HANDLER}))
    workspace(
        tmp_path,
        endpoint,
        ("lambda", "iam", "apigateway"),
        resources=f"""
resource "aws_iam_role" "r" {{
  name = "{name}-role"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{ Effect = "Allow", Principal = {{ Service = "lambda.amazonaws.com" }}, Action = "sts:AssumeRole" }}]
  }})
}}
resource "aws_lambda_function" "f" {{
  function_name    = "{name}"
  role             = aws_iam_role.r.arn
  handler          = "handler.handler"
  runtime          = "python3.12"
  filename         = "fn.zip"
  source_code_hash = filebase64sha256("fn.zip")
}}
resource "aws_api_gateway_rest_api" "api" {{
  name        = "{name}"
  description = "made by terraform"
  endpoint_configuration {{ types = ["REGIONAL"] }}
}}
resource "aws_api_gateway_resource" "items" {{
  rest_api_id = aws_api_gateway_rest_api.api.id
  parent_id   = aws_api_gateway_rest_api.api.root_resource_id
  path_part   = "items"
}}
resource "aws_api_gateway_resource" "item" {{
  rest_api_id = aws_api_gateway_rest_api.api.id
  parent_id   = aws_api_gateway_resource.items.id
  path_part   = "{{id}}"
}}
resource "aws_api_gateway_method" "get" {{
  rest_api_id   = aws_api_gateway_rest_api.api.id
  resource_id   = aws_api_gateway_resource.item.id
  http_method   = "GET"
  authorization = "NONE"
}}
resource "aws_api_gateway_integration" "lambda" {{
  rest_api_id             = aws_api_gateway_rest_api.api.id
  resource_id             = aws_api_gateway_resource.item.id
  http_method             = aws_api_gateway_method.get.http_method
  integration_http_method = "POST"
  type                    = "AWS_PROXY"
  uri                     = aws_lambda_function.f.invoke_arn
}}
resource "aws_lambda_permission" "apigw" {{
  statement_id  = "AllowAPIGateway"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.f.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${{aws_api_gateway_rest_api.api.execution_arn}}/*/*"
}}
resource "aws_api_gateway_deployment" "d" {{
  rest_api_id = aws_api_gateway_rest_api.api.id
  depends_on  = [aws_api_gateway_integration.lambda]
}}
resource "aws_api_gateway_stage" "prod" {{
  rest_api_id   = aws_api_gateway_rest_api.api.id
  deployment_id = aws_api_gateway_deployment.d.id
  stage_name    = "prod"
  variables     = {{ env = "prod" }}
}}
output "api_id" {{
  value = aws_api_gateway_rest_api.api.id
}}
output "invoke_url" {{
  value = aws_api_gateway_stage.prod.invoke_url
}}
""",
    )
    terraform(tmp_path, "init", "-input=false")
    terraform(tmp_path, "apply", "-auto-approve", "-input=false")
    outputs = json.loads(terraform(tmp_path, "output", "-json"))
    api_id = outputs["api_id"]["value"]
    assert outputs["invoke_url"]["value"].startswith(f"https://{api_id}.execute-api.us-east-1.amazonaws.com")
    assert apigw.get_stage(restApiId=api_id, stageName="prod")["variables"] == {"env": "prod"}
    answer = call(f"{endpoint}/_aws/execute-api/{api_id}/prod/items/42")
    assert answer.status == 200, answer.body
    assert answer.json() == {"id": "42"}
    assert "No changes" in terraform(tmp_path, "plan", "-input=false")
    terraform(tmp_path, "destroy", "-auto-approve", "-input=false")
    assert api_id not in [item["id"] for item in apigw.get_rest_apis()["items"]]
