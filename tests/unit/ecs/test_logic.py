"""The intricate parts of ECS that need no engine: task definition checks and the fields ECS
derives, task sizes, container start order, template spelling, secret references, and the
Docker Engine client's parsing of image names and of the engine being absent."""

from __future__ import annotations

import json

import pytest

from overcast.context import RequestContext
from overcast.engines.docker import Engine, split_image
from overcast.errors import ServiceError
from overcast.services.ecs.deployments import failure_threshold
from overcast.services.ecs.resources import camel
from overcast.services.ecs.runner import topological
from overcast.services.ecs.taskdefs import task_cpu, task_memory, validate


def _container(**extra):
    return {"name": "a", "image": "x", "memory": 64, **extra}


def test_task_sizes_are_normalised():
    assert task_cpu("1 vCPU") == "1024"
    assert task_cpu(".5 vcpu") == "512"
    assert task_cpu("256") == "256"
    assert task_memory("2 GB") == "2048"
    assert task_memory("512") == "512"
    assert task_memory("0.5GB") == "512"
    with pytest.raises(ServiceError):
        task_cpu("lots")


def test_derived_fields():
    definition = validate(
        {
            "family": "web",
            "taskRoleArn": "arn:aws:iam::000000000000:role/r",
            "containerDefinitions": [
                _container(
                    logConfiguration={"logDriver": "awslogs", "options": {"awslogs-group": "g"}},
                    secrets=[{"name": "S", "valueFrom": "/p"}],
                    portMappings=[{"containerPort": 80}],
                )
            ],
        }
    )
    names = [a["name"] for a in definition["requiresAttributes"]]
    assert "com.amazonaws.ecs.capability.logging-driver.awslogs" in names
    assert "ecs.capability.secrets.asm.environment-variables" in names
    assert "com.amazonaws.ecs.capability.task-iam-role" in names
    assert definition["networkMode"] == "bridge"
    assert definition["compatibilities"] == ["EC2", "EXTERNAL"]
    container = definition["containerDefinitions"][0]
    assert container["essential"] is True
    assert container["portMappings"] == [{"containerPort": 80, "protocol": "tcp"}]


def test_awsvpc_host_ports_default_to_container_ports():
    definition = validate(
        {
            "family": "f",
            "networkMode": "awsvpc",
            "containerDefinitions": [_container(portMappings=[{"containerPort": 8080}])],
        }
    )
    assert definition["containerDefinitions"][0]["portMappings"][0]["hostPort"] == 8080
    assert "FARGATE" not in definition["compatibilities"]  # no task-level cpu and memory


@pytest.mark.parametrize(
    "params",
    [
        {"family": "bad name!", "containerDefinitions": [_container()]},
        {"family": "f", "containerDefinitions": []},
        {"family": "f", "containerDefinitions": [_container(), _container()]},
        {"family": "f", "memory": "64", "containerDefinitions": [_container(memory=128)]},
        {
            "family": "f",
            "containerDefinitions": [
                _container(name="a", dependsOn=[{"containerName": "b", "condition": "START"}]),
                _container(name="b", dependsOn=[{"containerName": "a", "condition": "START"}]),
            ],
        },
        {
            "family": "f",
            "containerDefinitions": [
                _container(name="a", dependsOn=[{"containerName": "b", "condition": "HEALTHY"}]),
                _container(name="b", essential=False),
            ],
        },
        {"family": "f", "containerDefinitions": [_container(healthCheck={"command": ["true"]})]},
        {
            "family": "f",
            "containerDefinitions": [_container(mountPoints=[{"sourceVolume": "v", "containerPath": "/v"}])],
        },
        {"family": "f", "networkMode": "host", "containerDefinitions": [_container(links=["b"])]},
    ],
)
def test_refused_definitions(params):
    with pytest.raises(ServiceError) as excinfo:
        validate(params)
    assert excinfo.value.code == "ClientException"


def test_containers_start_after_what_they_depend_on():
    containers = [
        {
            "name": "app",
            "dependsOn": [
                {"containerName": "db", "condition": "HEALTHY"},
                {"containerName": "init", "condition": "SUCCESS"},
            ],
        },
        {"name": "db", "dependsOn": [{"containerName": "init", "condition": "COMPLETE"}]},
        {"name": "init"},
        {"name": "sidecar"},
    ]
    assert [c["name"] for c in topological(containers)] == ["init", "db", "app", "sidecar"]


def test_circuit_breaker_threshold():
    assert failure_threshold(1) == 3
    assert failure_threshold(10) == 5
    assert failure_threshold(1000) == 200


def test_template_spelling_keeps_user_maps():
    given = {
        "ContainerDefinitions": [
            {
                "Name": "a",
                "LogConfiguration": {"LogDriver": "awslogs", "Options": {"awslogs-group": "G"}},
                "DockerLabels": {"Com.X": "1"},
            }
        ],
        "ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}],
        "Volumes": [{"Name": "v", "EFSVolumeConfiguration": {"FilesystemId": "fs-1"}}],
    }
    assert camel(given) == {
        "containerDefinitions": [
            {
                "name": "a",
                "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "G"}},
                "dockerLabels": {"Com.X": "1"},
            }
        ],
        "settings": [{"name": "containerInsights", "value": "enabled"}],
        "volumes": [{"name": "v", "efsVolumeConfiguration": {"filesystemId": "fs-1"}}],
    }


def test_image_names():
    assert split_image("busybox") == ("busybox", "latest")
    assert split_image("localhost:5000/team/app:1.2") == ("localhost:5000/team/app", "1.2")
    assert split_image("localhost:5000/app") == ("localhost:5000/app", "latest")
    assert split_image("app@sha256:abc") == ("app", "sha256:abc")


def test_an_absent_engine_says_what_to_install(tmp_path):
    reason = Engine(f"unix://{tmp_path}/no.sock").unavailable()
    assert reason is not None and "docker.io" in reason and "DOCKER_HOST" in reason
    assert Engine("ftp://nowhere").unavailable() is not None


def test_secret_references(runtime):
    account, region = "000000000000", "us-east-1"
    ssm = runtime.provider("ssm")
    ssm.put_parameter(
        RequestContext.internal("ssm", account, region), {"Name": "/app/user", "Value": "u", "Type": "String"}
    )
    ssm.put_parameter(
        RequestContext.internal("ssm", account, region),
        {"Name": "plain", "Value": "p", "Type": "SecureString"},
    )
    sm = runtime.provider("secretsmanager")
    secret = sm.create_secret(
        RequestContext.internal("secretsmanager", account, region),
        {
            "Name": "db",
            "SecretString": json.dumps({"password": "pw", "port": 5432}),
            "ClientRequestToken": "a" * 32,
        },
    )
    ecs = runtime.provider("ecs")
    assert ecs.secret_value(account, region, "/app/user") == "u"
    assert ecs.secret_value(account, region, f"arn:aws:ssm:{region}:{account}:parameter/app/user") == "u"
    assert ecs.secret_value(account, region, f"arn:aws:ssm:{region}:{account}:parameter/plain") == "p"
    assert ecs.secret_value(account, region, secret["ARN"]) == json.dumps({"password": "pw", "port": 5432})
    assert ecs.secret_value(account, region, f"{secret['ARN']}:password::") == "pw"
    assert ecs.secret_value(account, region, f"{secret['ARN']}:port:AWSCURRENT:") == "5432"
    with pytest.raises(ServiceError):
        ecs.secret_value(account, region, f"{secret['ARN']}:missing::")
    with pytest.raises(ServiceError):
        ecs.secret_value(account, region, "/app/absent")
