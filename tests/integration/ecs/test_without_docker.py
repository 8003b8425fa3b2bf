"""Without a reachable Docker Engine, ECS is an exact control plane and a task that would run
stops at once, saying what is missing: never a fake RUNNING."""

from __future__ import annotations

import boto3
import pytest

from tests.conftest import Server
from tests.integration.ecs.conftest import SUBNETS, wait_task


@pytest.fixture(scope="module")
def ecs_without_docker():
    server = Server("--ephemeral", "--quiet", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    yield boto3.client(
        "ecs",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    server.stop()


def test_tasks_stop_naming_docker(ecs_without_docker):
    ecs = ecs_without_docker
    ecs.create_cluster(clusterName="nodocker")
    definition = ecs.register_task_definition(
        family="nodocker",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "a", "image": "busybox"}],
    )["taskDefinition"]["taskDefinitionArn"]
    arn = ecs.run_task(
        cluster="nodocker", taskDefinition=definition, launchType="FARGATE", networkConfiguration=SUBNETS
    )["tasks"][0]["taskArn"]
    task = wait_task(ecs, "nodocker", arn, timeout=20)
    assert task["stopCode"] == "TaskFailedToStart"
    assert "Docker Engine" in task["stoppedReason"]
    assert "docker.io" in task["stoppedReason"]
    assert "startedAt" not in task
