"""Terraform's real AWS provider creates, re-reads (no drift), updates and destroys an
EventBridge Scheduler group and a schedule with an SQS target, which then really fires
(skipped where terraform or its provider is missing)."""

from __future__ import annotations

import json
import time
import uuid

from tests.e2e.terraform import requires_terraform, terraform, workspace

pytestmark = requires_terraform


def _resources(name: str, expression: str) -> str:
    return f"""
resource "aws_sqs_queue" "q" {{
  name = "{name}"
}}
resource "aws_scheduler_schedule_group" "g" {{
  name = "{name}"
  tags = {{
    Team = "ops"
  }}
}}
resource "aws_scheduler_schedule" "s" {{
  name       = "{name}"
  group_name = aws_scheduler_schedule_group.g.name
  flexible_time_window {{
    mode = "OFF"
  }}
  schedule_expression = "{expression}"
  target {{
    arn      = aws_sqs_queue.q.arn
    role_arn = "arn:aws:iam::000000000000:role/scheduler"
    # A literal: jsonencode would escape the context attribute's < and > as \u003c, \u003e.
    input    = chomp(<<EOT
{{"job": "<aws.scheduler.schedule-arn>"}}
EOT
    )
  }}
}}
"""


def test_terraform_schedule_group_and_schedule(endpoint, tmp_path, client):
    scheduler, sqs = client("scheduler"), client("sqs")
    name = f"tf-{uuid.uuid4().hex[:8]}"
    workspace(tmp_path, endpoint, ("scheduler", "sqs"), resources=_resources(name, "rate(1 hour)"))
    terraform(tmp_path, "init", "-input=false")
    terraform(tmp_path, "apply", "-auto-approve", "-input=false")
    schedule = scheduler.get_schedule(Name=name, GroupName=name)
    assert schedule["ScheduleExpression"] == "rate(1 hour)" and schedule["State"] == "ENABLED"
    group_arn = scheduler.get_schedule_group(Name=name)["Arn"]
    assert scheduler.list_tags_for_resource(ResourceArn=group_arn)["Tags"] == [
        {"Key": "Team", "Value": "ops"}
    ]
    # A rate schedule with no StartDate invokes its target at once.
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    deadline = time.monotonic() + 10
    bodies: list[dict] = []
    while time.monotonic() < deadline and not bodies:
        bodies = [
            json.loads(m["Body"])
            for m in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
        ]
    assert bodies == [{"job": schedule["Arn"]}]
    assert "No changes" in terraform(tmp_path, "plan", "-input=false")
    workspace(tmp_path, endpoint, ("scheduler", "sqs"), resources=_resources(name, "cron(0 9 ? * MON-FRI *)"))
    terraform(tmp_path, "apply", "-auto-approve", "-input=false")
    assert (
        scheduler.get_schedule(Name=name, GroupName=name)["ScheduleExpression"] == "cron(0 9 ? * MON-FRI *)"
    )
    assert "No changes" in terraform(tmp_path, "plan", "-input=false")
    terraform(tmp_path, "destroy", "-auto-approve", "-input=false")
    assert name not in [g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]]
