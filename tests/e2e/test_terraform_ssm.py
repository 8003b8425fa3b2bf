"""Terraform's real AWS provider creates, re-reads (no drift), updates and destroys an SSM
document (YAML, tags, shared with an account) and an association running it on a schedule
(skipped where terraform or its provider is missing)."""

from __future__ import annotations

import uuid

from tests.e2e.terraform import requires_terraform, terraform, workspace

pytestmark = requires_terraform

DOCUMENT = """schemaVersion: '2.2'
description: {description}
parameters:
  Message:
    type: String
    default: hello
mainSteps:
  - action: aws:runShellScript
    name: say
    inputs:
      runCommand:
        - echo {{{{ Message }}}}
"""


def _resources(name: str, description: str) -> str:
    content = DOCUMENT.format(description=description)
    return f"""
resource "aws_ssm_document" "d" {{
  name            = "{name}"
  document_type   = "Command"
  document_format = "YAML"
  content         = <<DOC
{content}DOC
  permissions = {{
    type        = "Share"
    account_ids = "111122223333"
  }}
  tags = {{
    Team = "ops"
  }}
}}
resource "aws_ssm_association" "a" {{
  name                = aws_ssm_document.d.name
  association_name    = "{name}-assoc"
  schedule_expression = "rate(30 minutes)"
  parameters = {{
    Message = "from terraform"
  }}
  targets {{
    key    = "tag:Role"
    values = ["web"]
  }}
}}
output "document_version" {{
  value = aws_ssm_document.d.latest_version
}}
output "association_id" {{
  value = aws_ssm_association.a.association_id
}}
"""


def test_terraform_document_and_association(endpoint, tmp_path, client):
    ssm = client("ssm")
    name = f"tf-{uuid.uuid4().hex[:8]}"
    workspace(tmp_path, endpoint, ("ssm",), resources=_resources(name, "first"))
    terraform(tmp_path, "init", "-input=false")
    terraform(tmp_path, "apply", "-auto-approve", "-input=false")
    described = ssm.describe_document(Name=name)["Document"]
    assert (described["DocumentFormat"], described["Description"]) == ("YAML", "first")
    assert ssm.describe_document_permission(Name=name, PermissionType="Share")["AccountIds"] == [
        "111122223333"
    ]
    associations = ssm.list_associations(AssociationFilterList=[{"key": "Name", "value": name}])[
        "Associations"
    ]
    assert len(associations) == 1 and associations[0]["ScheduleExpression"] == "rate(30 minutes)"
    assert "No changes" in terraform(tmp_path, "plan", "-input=false")
    workspace(tmp_path, endpoint, ("ssm",), resources=_resources(name, "second"))
    terraform(tmp_path, "apply", "-auto-approve", "-input=false")
    described = ssm.describe_document(Name=name)["Document"]
    assert (described["LatestVersion"], described["DefaultVersion"], described["Description"]) == (
        "2",
        "2",
        "second",
    )
    assert "No changes" in terraform(tmp_path, "plan", "-input=false")
    terraform(tmp_path, "destroy", "-auto-approve", "-input=false")
    assert ssm.list_associations(AssociationFilterList=[{"key": "Name", "value": name}])["Associations"] == []
    assert name not in [
        d["Name"]
        for d in ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}])["DocumentIdentifiers"]
    ]
