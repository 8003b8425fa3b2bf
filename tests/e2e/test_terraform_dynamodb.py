"""Terraform's real AWS provider creates and re-reads (no drift) a DynamoDB table with a GSI, TTL,
point-in-time recovery, a stream and tags (skipped where terraform or its provider is missing)."""

from __future__ import annotations

import json

from tests.e2e.terraform import requires_terraform, terraform, workspace
from tests.integration.dynamodb.helpers import unique

pytestmark = requires_terraform


def test_terraform_table(endpoint, tmp_path, client):
    ddb = client("dynamodb")
    name = unique("tf")
    workspace(
        tmp_path,
        endpoint,
        ("dynamodb",),
        resources=f"""
resource "aws_dynamodb_table" "t" {{
  name             = "{name}"
  billing_mode     = "PAY_PER_REQUEST"
  hash_key         = "userId"
  range_key        = "orderId"
  stream_enabled   = true
  stream_view_type = "NEW_AND_OLD_IMAGES"
  attribute {{
    name = "userId"
    type = "S"
  }}
  attribute {{
    name = "orderId"
    type = "S"
  }}
  attribute {{
    name = "createdAt"
    type = "S"
  }}
  global_secondary_index {{
    name            = "CreatedAtIndex"
    hash_key        = "userId"
    range_key       = "createdAt"
    projection_type = "ALL"
  }}
  ttl {{
    attribute_name = "expires"
    enabled        = true
  }}
  point_in_time_recovery {{
    enabled = true
  }}
  tags = {{
    Environment = "test"
  }}
}}
output "arn" {{
  value = aws_dynamodb_table.t.arn
}}
output "stream" {{
  value = aws_dynamodb_table.t.stream_arn
}}
""",
    )
    terraform(tmp_path, "init", "-input=false")
    terraform(tmp_path, "apply", "-auto-approve", "-input=false")
    outputs = json.loads(terraform(tmp_path, "output", "-json"))
    table = ddb.describe_table(TableName=name)["Table"]
    assert outputs["arn"]["value"] == table["TableArn"]
    assert outputs["stream"]["value"] == table["LatestStreamArn"]
    assert table["GlobalSecondaryIndexes"][0]["IndexName"] == "CreatedAtIndex"
    assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"
    assert "No changes" in terraform(tmp_path, "plan", "-input=false")
