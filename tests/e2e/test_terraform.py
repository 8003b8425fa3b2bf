"""Terraform's real AWS provider reads the caller identity from Overcast."""

from __future__ import annotations

import json

from tests.e2e.terraform import requires_terraform, terraform, workspace

pytestmark = requires_terraform


def test_caller_identity_data_source(endpoint, tmp_path):
    workspace(
        tmp_path,
        endpoint,
        ("sts",),
        region="eu-west-1",
        resources="""
data "aws_caller_identity" "me" {}
output "account" { value = data.aws_caller_identity.me.account_id }
output "arn" { value = data.aws_caller_identity.me.arn }
""",
    )
    terraform(tmp_path, "init", "-input=false")
    terraform(tmp_path, "apply", "-auto-approve", "-input=false")
    outputs = json.loads(terraform(tmp_path, "output", "-json"))
    assert outputs["account"]["value"] == "000000000000"
    assert outputs["arn"]["value"] == "arn:aws:iam::000000000000:root"
