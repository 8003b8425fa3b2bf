"""The user's guide's ECS commands, run with the aws CLI as written: register the guide's task
definition from a file, create the service of two tasks behind a load balancer, force a new
deployment."""

from __future__ import annotations

import json

GUIDE_TASK_DEFINITION = {
    "family": "my-app",
    "networkMode": "awsvpc",
    "requiresCompatibilities": ["FARGATE"],
    "cpu": "256",
    "memory": "512",
    "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
    "taskRoleArn": "arn:aws:iam::123456789012:role/myAppTaskRole",
    "containerDefinitions": [
        {
            "name": "my-app",
            "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-app:latest",
            "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
            "environment": [{"name": "ENV", "value": "production"}],
            "secrets": [
                {
                    "name": "DB_PASSWORD",
                    "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-password",
                }
            ],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": "/ecs/my-app",
                    "awslogs-region": "us-east-1",
                    "awslogs-stream-prefix": "ecs",
                },
            },
            "healthCheck": {
                "command": ["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"],
                "interval": 30,
                "timeout": 5,
                "retries": 3,
            },
        }
    ],
}


def test_guide_commands(aws, tmp_path):
    path = tmp_path / "task-def.json"
    path.write_text(json.dumps(GUIDE_TASK_DEFINITION))
    registered = aws("ecs", "register-task-definition", "--cli-input-json", f"file://{path}")[
        "taskDefinition"
    ]
    assert registered["family"] == "my-app"
    assert registered["containerDefinitions"][0]["healthCheck"]["retries"] == 3
    aws("ecs", "create-cluster", "--cluster-name", "my-cluster")
    service = aws(
        "ecs", "create-service",
        "--cluster", "my-cluster",
        "--service-name", "my-app-svc",
        "--task-definition", f"my-app:{registered['revision']}",
        "--desired-count", "2",
        "--launch-type", "FARGATE",
        "--network-configuration", """awsvpcConfiguration={
    subnets=[subnet-aaa,subnet-bbb],
    securityGroups=[sg-12345678],
    assignPublicIp=DISABLED
  }""",
        "--load-balancers", "targetGroupArn=arn:aws:elasticloadbalancing:...,containerName=my-app,containerPort=8080",
    )["service"]  # fmt: skip
    assert service["desiredCount"] == 2
    assert service["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == ["subnet-aaa", "subnet-bbb"]
    assert service["loadBalancers"][0]["containerPort"] == 8080
    updated = aws(
        "ecs",
        "update-service",
        "--cluster",
        "my-cluster",
        "--service",
        "my-app-svc",
        "--force-new-deployment",
    )["service"]
    assert [d["status"] for d in updated["deployments"]][:2] == ["PRIMARY", "ACTIVE"]
    aws("ecs", "delete-service", "--cluster", "my-cluster", "--service", "my-app-svc", "--force")
