"""Tasks that really run as containers on the Docker Engine: their environment and secrets,
output in CloudWatch Logs, exit codes and essential containers, dependsOn ordering, stop
timeouts, health checks, the metadata and credentials endpoints, and a task calling Overcast
S3 as its task role. Skipped when no engine is reachable."""

from __future__ import annotations

import json
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.integration.ecs.conftest import SUBNETS, family, log_messages, wait_for, wait_task

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def awslogs(group: str, prefix: str = "ecs") -> dict:
    return {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": group,
            "awslogs-region": "us-east-1",
            "awslogs-stream-prefix": prefix,
            "awslogs-create-group": "true",
        },
    }


def fargate(ecs, containers: list[dict], **extra) -> str:
    return ecs.register_task_definition(
        family=family(),
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        executionRoleArn="arn:aws:iam::000000000000:role/ecsTaskExecutionRole",
        containerDefinitions=containers,
        **extra,
    )["taskDefinition"]["taskDefinitionArn"]


def run(ecs, cluster: str, definition: str, **extra) -> str:
    task = ecs.run_task(
        cluster=cluster,
        taskDefinition=definition,
        launchType="FARGATE",
        networkConfiguration=SUBNETS,
        **extra,
    )["tasks"][0]
    assert task["lastStatus"] == "PROVISIONING"
    assert task["desiredStatus"] == "RUNNING"
    return task["taskArn"]


def test_environment_and_secrets_reach_the_logs(ecs, logs, client, cluster, docker_image):
    client("ssm").put_parameter(Name="/ecs-test/db-user", Value="admin", Type="String")
    secret = client("secretsmanager").create_secret(
        Name=f"ecs-{uuid.uuid4().hex[:6]}", SecretString=json.dumps({"password": "hunter2"})
    )
    group = f"/ecs/{uuid.uuid4().hex[:8]}"
    definition = fargate(
        ecs,
        [
            {
                "name": "app",
                "image": docker_image,
                "command": [
                    "sh",
                    "-c",
                    "echo ENV=$GREETING; echo USER=$DB_USER; echo PASS=$DB_PASS; echo OVERRIDE=$EXTRA >&2",
                ],
                "environment": [{"name": "GREETING", "value": "hello"}],
                "secrets": [
                    {
                        "name": "DB_USER",
                        "valueFrom": "arn:aws:ssm:us-east-1:000000000000:parameter/ecs-test/db-user",
                    },
                    {"name": "DB_PASS", "valueFrom": f"{secret['ARN']}:password::"},
                ],
                "logConfiguration": awslogs(group),
            }
        ],
    )
    arn = run(
        ecs,
        cluster,
        definition,
        overrides={
            "containerOverrides": [{"name": "app", "environment": [{"name": "EXTRA", "value": "yes"}]}]
        },
    )
    task = wait_task(ecs, cluster, arn)
    assert task["stopCode"] == "EssentialContainerExited"
    assert task["containers"][0]["exitCode"] == 0
    for moment in ("pullStartedAt", "pullStoppedAt", "startedAt", "stoppingAt", "stoppedAt"):
        assert moment in task
    task_id = arn.rsplit("/", 1)[-1]
    messages = log_messages(logs, group, f"ecs/app/{task_id}", want=4)
    assert sorted(messages) == ["ENV=hello", "OVERRIDE=yes", "PASS=hunter2", "USER=admin"]


def test_essential_exit_stops_the_task_with_its_code(ecs, cluster, docker_image):
    definition = fargate(
        ecs,
        [
            {"name": "main", "image": docker_image, "command": ["sh", "-c", "sleep 5; exit 7"]},
            {"name": "helper", "image": docker_image, "command": ["sh", "-c", "exit 0"], "essential": False},
            {
                "name": "sidecar",
                "image": docker_image,
                "command": ["sleep", "300"],
                "essential": False,
                "stopTimeout": 2,
            },
        ],
    )
    arn = run(ecs, cluster, definition)
    running = wait_task(ecs, cluster, arn, "RUNNING")
    assert running["lastStatus"] == "RUNNING"
    task = wait_task(ecs, cluster, arn)
    codes = {c["name"]: c.get("exitCode") for c in task["containers"]}
    assert codes["main"] == 7
    assert codes["helper"] == 0
    assert codes["sidecar"] == 137  # SIGKILL after the stop timeout: sh as PID 1 ignores SIGTERM
    assert task["stopCode"] == "EssentialContainerExited"
    assert task["stoppedReason"] == "Essential container in task exited"
    assert all(c["lastStatus"] == "STOPPED" for c in task["containers"])


def test_depends_on_orders_containers_sharing_a_volume(ecs, logs, cluster, docker_image):
    group = f"/ecs/{uuid.uuid4().hex[:8]}"
    definition = fargate(
        ecs,
        [
            {
                "name": "init",
                "image": docker_image,
                "command": ["sh", "-c", "sleep 1; echo prepared > /data/state"],
                "essential": False,
                "mountPoints": [{"sourceVolume": "shared", "containerPath": "/data"}],
            },
            {
                "name": "main",
                "image": docker_image,
                "command": ["sh", "-c", "cat /data/state"],
                "dependsOn": [{"containerName": "init", "condition": "SUCCESS"}],
                "mountPoints": [{"sourceVolume": "shared", "containerPath": "/data"}],
                "logConfiguration": awslogs(group),
            },
        ],
        volumes=[{"name": "shared"}],
    )
    arn = run(ecs, cluster, definition)
    task = wait_task(ecs, cluster, arn)
    assert {c["name"]: c.get("exitCode") for c in task["containers"]} == {"init": 0, "main": 0}
    assert log_messages(logs, group, f"ecs/main/{arn.rsplit('/', 1)[-1]}") == ["prepared"]


def test_stop_task_honours_the_stop_timeout(ecs, cluster, docker_image):
    definition = fargate(
        ecs, [{"name": "sleeper", "image": docker_image, "command": ["sleep", "300"], "stopTimeout": 2}]
    )
    arn = run(ecs, cluster, definition)
    wait_task(ecs, cluster, arn, "RUNNING")
    with urllib.request.urlopen(f"{ecs.meta.endpoint_url}/_overcast/ps", timeout=10) as response:
        engines = json.loads(response.read())["engines"]  # `overcast ps` lists the container
    mine = [e for e in engines if e.get("name") == f"{arn.rsplit('/', 1)[-1]}/sleeper"]
    assert [(e["kind"], e["state"]) for e in mine] == [("ecs container", "running")], engines
    began = time.monotonic()
    stopping = ecs.stop_task(cluster=cluster, task=arn, reason="enough")["task"]
    assert stopping["desiredStatus"] == "STOPPED"
    task = wait_task(ecs, cluster, arn)
    assert 1.5 <= time.monotonic() - began < 20
    assert (task["stopCode"], task["stoppedReason"]) == ("UserInitiated", "enough")
    assert task["containers"][0]["exitCode"] == 137
    assert arn not in ecs.list_tasks(cluster=cluster)["taskArns"]
    assert arn in ecs.list_tasks(cluster=cluster, desiredStatus="STOPPED")["taskArns"]


def test_a_missing_image_fails_the_task(ecs, cluster, docker_image):
    definition = fargate(ecs, [{"name": "ghost", "image": "overcast-test/no-such-image:1"}])
    task = wait_task(ecs, cluster, run(ecs, cluster, definition))
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith("CannotPullContainerError:")
    assert task["containers"][0]["reason"].startswith("CannotPullContainerError:")


def test_a_missing_secret_fails_the_task(ecs, cluster, docker_image):
    definition = fargate(
        ecs,
        [{"name": "a", "image": docker_image, "secrets": [{"name": "X", "valueFrom": "/ecs-test/missing"}]}],
    )
    task = wait_task(ecs, cluster, run(ecs, cluster, definition))
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith("ResourceInitializationError: unable to pull secrets")


def test_health_checks(ecs, cluster, docker_image):
    definition = fargate(
        ecs,
        [
            {
                "name": "db",
                "image": docker_image,
                "command": ["sh", "-c", "sleep 1; touch /tmp/ready; sleep 300"],
                "healthCheck": {
                    "command": ["CMD-SHELL", "test -f /tmp/ready"],
                    "interval": 5,
                    "timeout": 2,
                    "retries": 1,
                    "startPeriod": 0,
                },
            },
            {
                "name": "app",
                "image": docker_image,
                "command": ["sleep", "300"],
                "dependsOn": [{"containerName": "db", "condition": "HEALTHY"}],
            },
        ],
    )
    arn = run(ecs, cluster, definition)
    task = wait_task(ecs, cluster, arn, "RUNNING", timeout=60)
    assert task["lastStatus"] == "RUNNING"
    task = wait_for(
        lambda: (
            (t := ecs.describe_tasks(cluster=cluster, tasks=[arn])["tasks"][0])["healthStatus"] == "HEALTHY"
            and t
        )
    )
    assert {c["name"]: c.get("healthStatus") for c in task["containers"]}["db"] == "HEALTHY"
    ecs.stop_task(cluster=cluster, task=arn)


def test_metadata_and_credentials_endpoints(ecs, logs, client, cluster, docker_image):
    role = client("iam").create_role(RoleName=f"task-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=TRUST)[
        "Role"
    ]
    group = f"/ecs/{uuid.uuid4().hex[:8]}"
    script = (
        'wget -q -O - "$ECS_CONTAINER_METADATA_URI_V4/task"; echo; '
        'wget -q -O - --header "Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN" "$AWS_CONTAINER_CREDENTIALS_FULL_URI"; echo; '
        'wget -q -O - --header "Authorization: wrong" "$AWS_CONTAINER_CREDENTIALS_FULL_URI" 2>/dev/null || echo REFUSED'
    )
    definition = fargate(
        ecs,
        [
            {
                "name": "probe",
                "image": docker_image,
                "command": ["sh", "-c", script],
                "logConfiguration": awslogs(group),
            }
        ],
        taskRoleArn=role["Arn"],
    )
    arn = run(ecs, cluster, definition, tags=[{"key": "team", "value": "blue"}], enableECSManagedTags=True)
    task = wait_task(ecs, cluster, arn)
    assert task["attachments"][0]["status"] == "DELETED"
    tags = {
        t["key"]: t["value"]
        for t in ecs.describe_tasks(cluster=cluster, tasks=[arn], include=["TAGS"])["tasks"][0]["tags"]
    }
    assert tags == {"team": "blue", "aws:ecs:clusterName": cluster}
    messages = log_messages(logs, group, f"ecs/probe/{arn.rsplit('/', 1)[-1]}", want=3)
    metadata = json.loads(messages[0])
    assert metadata["TaskARN"] == arn
    assert metadata["Containers"][0]["Name"] == "probe"
    assert metadata["Family"] == definition.split("/")[-1].split(":")[0]
    credentials = json.loads(messages[1])
    assert credentials["RoleArn"] == role["Arn"]
    assert messages[2] == "REFUSED"
    sts = client(
        "sts",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["Token"],
    )
    identity = sts.get_caller_identity()
    assert identity["Arn"].startswith(f"arn:aws:sts::000000000000:assumed-role/{role['RoleName']}/")


def test_task_calls_overcast_s3_as_its_role(ecs, logs, client, cluster, docker_image):
    """The host's Python and this venv's boto3, mounted into the busybox image: the SDK finds
    the credentials endpoint and AWS_ENDPOINT_URL by itself."""
    base, prefix = Path(sys.base_prefix), Path(sys.prefix)
    if not Path("/usr/lib").is_dir():
        pytest.skip("no /usr/lib to lend the container")
    role = client("iam").create_role(RoleName=f"s3-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=TRUST)[
        "Role"
    ]
    bucket = f"ecs-{uuid.uuid4().hex[:10]}"
    client("s3").create_bucket(Bucket=bucket)
    group = f"/ecs/{uuid.uuid4().hex[:8]}"
    code = (
        "import boto3, os; "
        "print(boto3.client('sts').get_caller_identity()['Arn']); "
        f"boto3.client('s3').put_object(Bucket='{bucket}', Key='from-task', Body=b'hi from ' + os.environ['AWS_EXECUTION_ENV'].encode())"
    )
    python = prefix / "bin" / "python"
    definition = ecs.register_task_definition(
        family=family(),
        networkMode="host",
        containerDefinitions=[
            {
                "name": "py",
                "image": docker_image,
                "memory": 256,
                "command": [str(python), "-c", code],
                "mountPoints": [
                    {"sourceVolume": "usr", "containerPath": "/usr", "readOnly": True},
                    {"sourceVolume": "base", "containerPath": str(base), "readOnly": True},
                    {"sourceVolume": "venv", "containerPath": str(prefix), "readOnly": True},
                ],
                "logConfiguration": awslogs(group),
            }
        ],
        taskRoleArn=role["Arn"],
        volumes=[
            {"name": "usr", "host": {"sourcePath": "/usr"}},
            {"name": "base", "host": {"sourcePath": str(base)}},
            {"name": "venv", "host": {"sourcePath": str(prefix)}},
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    arn = ecs.run_task(cluster=cluster, taskDefinition=definition, launchType="EC2")["tasks"][0]["taskArn"]
    task = wait_task(ecs, cluster, arn, timeout=180)
    messages = log_messages(logs, group, f"ecs/py/{arn.rsplit('/', 1)[-1]}")
    assert task["containers"][0].get("exitCode") == 0, messages
    assert messages[0].startswith(f"arn:aws:sts::000000000000:assumed-role/{role['RoleName']}/")
    body = client("s3").get_object(Bucket=bucket, Key="from-task")["Body"].read()
    assert body == b"hi from AWS_ECS_EC2"


def test_task_state_changes_reach_eventbridge(ecs, client, cluster, docker_image):
    sqs, events = client("sqs"), client("events")
    queue = sqs.create_queue(QueueName=f"ecs-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    rule = f"ecs-{uuid.uuid4().hex[:8]}"
    events.put_rule(
        Name=rule,
        EventPattern=json.dumps(
            {
                "source": ["aws.ecs"],
                "detail-type": ["ECS Task State Change"],
                "detail": {"lastStatus": ["STOPPED"], "clusterArn": [{"suffix": f"/{cluster}"}]},
            }
        ),
    )
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": queue_arn}])
    definition = fargate(ecs, [{"name": "a", "image": docker_image, "command": ["true"]}])
    arn = run(ecs, cluster, definition)
    wait_task(ecs, cluster, arn)
    messages = wait_for(
        lambda: sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages"), timeout=20
    )
    event = json.loads(messages[0]["Body"])
    assert event["detail-type"] == "ECS Task State Change"
    assert event["detail"]["taskArn"] == arn
    assert event["detail"]["stopCode"] == "EssentialContainerExited"


def test_bridge_task_publishes_ports_and_reaches_overcast(ecs, logs, cluster, docker_image):
    """On Docker's bridge a container reaches Overcast at the bridge's gateway (relayed to
    Overcast's loopback address), and its port mapping is published on a host port."""
    import urllib.request

    group = f"/ecs/{uuid.uuid4().hex[:8]}"
    script = (
        'wget -q -O - "$AWS_ENDPOINT_URL/_overcast/health" >/dev/null && echo REACHED $AWS_ENDPOINT_URL; '
        "mkdir -p /www && echo served > /www/index.html && httpd -f -p 8080 -h /www"
    )
    definition = ecs.register_task_definition(
        family=family(),
        containerDefinitions=[
            {
                "name": "web",
                "image": docker_image,
                "memory": 64,
                "command": ["sh", "-c", script],
                "portMappings": [{"containerPort": 8080, "hostPort": 0}],
                "logConfiguration": awslogs(group),
                "stopTimeout": 1,
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    arn = ecs.run_task(cluster=cluster, taskDefinition=definition, launchType="EC2")["tasks"][0]["taskArn"]
    task = wait_task(ecs, cluster, arn, "RUNNING")
    binding = task["containers"][0]["networkBindings"][0]
    assert binding["containerPort"] == 8080 and binding["hostPort"] > 0
    body = wait_for(lambda: _fetch(urllib.request, f"http://127.0.0.1:{binding['hostPort']}/"), timeout=20)
    assert body == b"served\n"
    messages = log_messages(logs, group, f"ecs/web/{arn.rsplit('/', 1)[-1]}")
    assert messages and messages[0].startswith("REACHED http://")
    assert "127.0.0.1" not in messages[0]
    ecs.stop_task(cluster=cluster, task=arn)
    wait_task(ecs, cluster, arn)


def _fetch(request_module, url: str) -> bytes | None:
    try:
        with request_module.urlopen(url, timeout=2) as answer:
            return answer.read()
    except OSError:
        return None


def test_restart_policy_restarts_a_container_in_place(ecs, logs, cluster, docker_image):
    group = f"/ecs/{uuid.uuid4().hex[:8]}"
    definition = fargate(
        ecs,
        [
            {
                "name": "flaky",
                "image": docker_image,
                "command": ["sh", "-c", "echo started; sleep 61; exit 3"],
                "restartPolicy": {"enabled": True, "ignoredExitCodes": [0], "restartAttemptPeriod": 60},
                "logConfiguration": awslogs(group),
                "stopTimeout": 1,
            }
        ],
    )
    arn = run(ecs, cluster, definition)
    stream = f"ecs/flaky/{arn.rsplit('/', 1)[-1]}"
    assert log_messages(logs, group, stream, want=2, timeout=120) == ["started", "started"]
    task = ecs.describe_tasks(cluster=cluster, tasks=[arn])["tasks"][0]
    assert task["lastStatus"] == "RUNNING"
    ecs.stop_task(cluster=cluster, task=arn)
    wait_task(ecs, cluster, arn)


def test_awslogs_multiline_events(ecs, logs, cluster, docker_image):
    group = f"/ecs/{uuid.uuid4().hex[:8]}"
    config = awslogs(group)
    config["options"]["awslogs-datetime-format"] = "%Y-%m-%d %H:%M:%S"
    script = (
        "echo '2026-01-01 10:00:00 first'; echo 'Traceback:'; echo '  line 1'; "
        "echo '2026-01-01 10:00:01 second'; sleep 2; echo '2026-01-01 10:00:02 third'"
    )
    definition = fargate(
        ecs,
        [{"name": "app", "image": docker_image, "command": ["sh", "-c", script], "logConfiguration": config}],
    )
    arn = run(ecs, cluster, definition)
    wait_task(ecs, cluster, arn)
    messages = log_messages(logs, group, f"ecs/app/{arn.rsplit('/', 1)[-1]}", want=3)
    assert messages == [
        "2026-01-01 10:00:00 first\nTraceback:\n  line 1",
        "2026-01-01 10:00:01 second",
        "2026-01-01 10:00:02 third",
    ]


def test_execute_command_without_a_session_agent(ecs, cluster, docker_image):
    definition = fargate(
        ecs, [{"name": "app", "image": docker_image, "command": ["sleep", "300"], "stopTimeout": 1}]
    )
    arn = run(ecs, cluster, definition, enableExecuteCommand=True)
    assert wait_task(ecs, cluster, arn, "RUNNING")["enableExecuteCommand"] is True
    with pytest.raises(ecs.exceptions.TargetNotConnectedException):
        ecs.execute_command(cluster=cluster, task=arn, container="app", command="/bin/sh", interactive=True)
    ecs.stop_task(cluster=cluster, task=arn)


def test_a_task_runs_an_image_pushed_to_overcast_ecr(ecs, client, cluster, docker_image, tmp_path):
    """The guide's flow: docker push to the repository URI, then a task definition naming that
    URI (and AWS's form of it) — Overcast pulls it from its own registry for the task."""
    import base64
    import subprocess

    ecr = client("ecr")
    repository = ecr.create_repository(repositoryName=f"tasks/app-{uuid.uuid4().hex[:6]}")["repository"]
    uri = repository["repositoryUri"] + ":v1"
    token = ecr.get_authorization_token()["authorizationData"][0]
    password = base64.b64decode(token["authorizationToken"]).decode().split(":", 1)[1]
    docker = ["docker", "--config", str(tmp_path)]
    host = uri.split("/", 1)[0]
    subprocess.run([*docker, "login", "-u", "AWS", "--password-stdin", host], input=password, text=True,
                   check=True, capture_output=True)  # fmt: skip
    subprocess.run([*docker, "tag", docker_image, uri], check=True, capture_output=True)
    subprocess.run([*docker, "push", uri], check=True, capture_output=True)
    subprocess.run([*docker, "rmi", uri], check=True, capture_output=True)  # the task must pull it
    aws_form = f"000000000000.dkr.ecr.us-east-1.amazonaws.com/{repository['repositoryName']}:v1"
    for image in (uri, aws_form):
        definition = fargate(ecs, [{"name": "app", "image": image, "command": ["sh", "-c", "exit 3"]}])
        task = wait_task(ecs, cluster, run(ecs, cluster, definition))
        assert task["stopCode"] == "EssentialContainerExited", task.get("stoppedReason")
        assert task["containers"][0]["exitCode"] == 3
        assert task["containers"][0]["imageDigest"].startswith("sha256:")
