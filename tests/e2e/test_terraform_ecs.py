"""Terraform's real AWS provider creates, re-reads (no drift), updates and destroys an ECS
cluster, a Fargate task definition and a service (skipped where terraform or its provider is
missing). The service runs no task, so no container engine is needed."""

from __future__ import annotations

import uuid

from tests.e2e.terraform import requires_terraform, terraform, workspace

pytestmark = requires_terraform


def _resources(name: str, count: int) -> str:
    return f"""
resource "aws_ecs_cluster" "c" {{
  name = "{name}"
  setting {{
    name  = "containerInsights"
    value = "enabled"
  }}
  tags = {{
    Team = "ops"
  }}
}}
resource "aws_ecs_task_definition" "t" {{
  family                   = "{name}"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  cpu                      = "256"
  memory                   = "512"
  container_definitions = jsonencode([{{
    name         = "web"
    image        = "overcast-test/none:1"
    essential    = true
    portMappings = [{{ containerPort = 8080, hostPort = 8080, protocol = "tcp" }}]
    environment  = [{{ name = "ENV", value = "test" }}]
  }}])
}}
resource "aws_ecs_service" "s" {{
  name            = "{name}"
  cluster         = aws_ecs_cluster.c.id
  task_definition = aws_ecs_task_definition.t.arn
  desired_count   = {count}
  launch_type     = "FARGATE"
  network_configuration {{
    subnets = ["subnet-0a1b2c3d"]
  }}
}}
"""


def test_terraform_ecs(endpoint, tmp_path, client):
    ecs = client("ecs")
    name = f"tf-{uuid.uuid4().hex[:8]}"
    workspace(tmp_path, endpoint, ("ecs",), resources=_resources(name, 0))
    terraform(tmp_path, "init", "-input=false")
    terraform(tmp_path, "apply", "-auto-approve", "-input=false")
    cluster = ecs.describe_clusters(clusters=[name], include=["SETTINGS", "TAGS"])["clusters"][0]
    assert cluster["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert cluster["tags"] == [{"key": "Team", "value": "ops"}]
    service = ecs.describe_services(cluster=name, services=[name])["services"][0]
    assert service["taskDefinition"].endswith(f"task-definition/{name}:1")
    assert "No changes" in terraform(tmp_path, "plan", "-input=false")
    workspace(
        tmp_path,
        endpoint,
        ("ecs",),
        resources=_resources(name, 0).replace('value = "test"', 'value = "prod"'),
    )
    terraform(tmp_path, "apply", "-auto-approve", "-input=false")
    service = ecs.describe_services(cluster=name, services=[name])["services"][0]
    assert service["taskDefinition"].endswith(f"task-definition/{name}:2")
    assert "No changes" in terraform(tmp_path, "plan", "-input=false")
    terraform(tmp_path, "destroy", "-auto-approve", "-input=false")
    assert ecs.describe_clusters(clusters=[name])["clusters"][0]["status"] == "INACTIVE"
