"""A restarted Overcast, on the same data dir, adopts the containers of the tasks it was
running (found by the task ARN they carry as a label): the task is still RUNNING, its output
still reaches CloudWatch Logs, and StopTask still stops it. Skipped without a Docker Engine."""

from __future__ import annotations

import boto3

from tests.conftest import Server
from tests.integration.ecs.conftest import SUBNETS, log_messages, wait_task


def _clients(server: Server):
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    return session.client("ecs", endpoint_url=server.endpoint), session.client(
        "logs", endpoint_url=server.endpoint
    )


def test_running_task_survives_a_kill(tmp_path, docker_image):
    data = str(tmp_path / "data")
    first = Server("--data-dir", data, "--quiet")
    try:
        ecs, _ = _clients(first)
        ecs.create_cluster(clusterName="keep")
        definition = ecs.register_task_definition(
            family="keep", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            executionRoleArn="arn:aws:iam::000000000000:role/exec",
            containerDefinitions=[{
                "name": "ticker", "image": docker_image, "stopTimeout": 1,
                "command": ["sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.5; done"],
                "logConfiguration": {"logDriver": "awslogs", "options": {
                    "awslogs-group": "/keep", "awslogs-stream-prefix": "p", "awslogs-create-group": "true", "awslogs-region": "us-east-1"}},
            }],
        )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip
        arn = ecs.run_task(
            cluster="keep", taskDefinition=definition, launchType="FARGATE", networkConfiguration=SUBNETS
        )["tasks"][0]["taskArn"]
        assert wait_task(ecs, "keep", arn, "RUNNING")["lastStatus"] == "RUNNING"
    finally:
        first.stop(kill=True)
    second = Server("--data-dir", data, "--quiet")
    try:
        ecs, logs = _clients(second)
        task = ecs.describe_tasks(cluster="keep", tasks=[arn])["tasks"][0]
        assert task["lastStatus"] == "RUNNING"
        stream = f"p/ticker/{arn.rsplit('/', 1)[-1]}"
        before = len(log_messages(logs, "/keep", stream))
        assert len(log_messages(logs, "/keep", stream, want=before + 2)) >= before + 2
        ecs.stop_task(cluster="keep", task=arn)
        stopped = wait_task(ecs, "keep", arn)
        assert stopped["stopCode"] == "UserInitiated"
        assert stopped["containers"][0]["exitCode"] == 137
    finally:
        second.stop()
