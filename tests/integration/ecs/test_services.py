"""Services keep their desired count of real tasks: a killed task is replaced, a forced new
deployment rolls every task over, a deployment whose tasks fail trips the circuit breaker and
rolls back. Skipped when no Docker Engine is reachable."""

from __future__ import annotations

from overcast.engines.docker import Engine
from tests.integration.ecs.conftest import SUBNETS, family, wait_for


def _definition(ecs, image: str, command: list[str]) -> str:
    return ecs.register_task_definition(
        family=family(),
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": image, "command": command, "stopTimeout": 1}],
    )["taskDefinition"]["taskDefinitionArn"]


def _service(ecs, cluster: str, name: str) -> dict:
    return ecs.describe_services(cluster=cluster, services=[name])["services"][0]


def _running(ecs, cluster: str, name: str) -> list[dict]:
    arns = ecs.list_tasks(cluster=cluster, serviceName=name)["taskArns"]
    if not arns:
        return []
    return [
        t for t in ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if t["lastStatus"] == "RUNNING"
    ]


def test_a_killed_task_is_replaced(ecs, cluster, docker_image):
    definition = _definition(ecs, docker_image, ["sleep", "600"])
    ecs.create_service(
        cluster=cluster,
        serviceName="web",
        taskDefinition=definition,
        desiredCount=2,
        launchType="FARGATE",
        networkConfiguration=SUBNETS,
    )
    first = wait_for(lambda: len(tasks := _running(ecs, cluster, "web")) == 2 and tasks, timeout=60)
    assert all(t["group"] == "service:web" for t in first)
    assert all(t["startedBy"].startswith("ecs-svc/") for t in first)
    wait_for(lambda: _service(ecs, cluster, "web")["runningCount"] == 2)
    described = ecs.describe_clusters(clusters=[cluster], include=["STATISTICS"])["clusters"][0]
    statistics = {s["name"]: s["value"] for s in described["statistics"]}
    assert (described["runningTasksCount"], described["activeServicesCount"]) == (2, 1)
    assert (statistics["runningFargateTasksCount"], statistics["activeFargateServiceCount"]) == ("2", "1")
    assert statistics["runningEC2TasksCount"] == "0"
    victim = first[0]
    Engine.shared().kill(victim["containers"][0]["runtimeId"])
    stopped = wait_for(
        lambda: (
            (t := ecs.describe_tasks(cluster=cluster, tasks=[victim["taskArn"]])["tasks"][0])["lastStatus"]
            == "STOPPED"
            and t
        )
    )
    assert stopped["stopCode"] == "EssentialContainerExited"
    assert stopped["containers"][0]["exitCode"] == 137
    replaced = wait_for(
        lambda: (
            len(tasks := _running(ecs, cluster, "web")) == 2
            and victim["taskArn"] not in [t["taskArn"] for t in tasks]
            and tasks
        ),
        timeout=60,
    )
    assert len(replaced) == 2
    service = _service(ecs, cluster, "web")
    messages = [e["message"] for e in service["events"]]
    assert any("has started 1 tasks" in m for m in messages)
    assert any("has reached a steady state" in m for m in messages)
    ecs.update_service(cluster=cluster, service="web", desiredCount=0)
    wait_for(lambda: not _running(ecs, cluster, "web"), timeout=60)
    ecs.delete_service(cluster=cluster, service="web")


def test_force_new_deployment_rolls_the_tasks(ecs, cluster, docker_image):
    definition = _definition(ecs, docker_image, ["sleep", "600"])
    ecs.create_service(
        cluster=cluster,
        serviceName="roll",
        taskDefinition=definition,
        desiredCount=2,
        launchType="FARGATE",
        networkConfiguration=SUBNETS,
        deploymentConfiguration={"maximumPercent": 200, "minimumHealthyPercent": 50},
    )
    first = wait_for(lambda: len(t := _running(ecs, cluster, "roll")) == 2 and t, timeout=60)
    before = {t["taskArn"] for t in first}
    wait_for(lambda: _service(ecs, cluster, "roll")["deployments"][0]["rolloutState"] == "COMPLETED")
    updated = ecs.update_service(cluster=cluster, service="roll", forceNewDeployment=True)["service"]
    assert [d["status"] for d in updated["deployments"]] == ["PRIMARY", "ACTIVE"]
    primary = updated["deployments"][0]["id"]

    def rolled():
        service = _service(ecs, cluster, "roll")
        tasks = _running(ecs, cluster, "roll")
        return (
            len(service["deployments"]) == 1
            and service["deployments"][0]["rolloutState"] == "COMPLETED"
            and len(tasks) == 2
            and all(t["startedBy"] == primary for t in tasks)
            and tasks
        )

    second = wait_for(rolled, timeout=90)
    after = {t["taskArn"] for t in second}
    assert not before & after
    ecs.get_waiter("services_stable").wait(
        cluster=cluster, services=["roll"], WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    ecs.get_waiter("tasks_running").wait(
        cluster=cluster, tasks=sorted(after), WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    deployments = ecs.list_service_deployments(cluster=cluster, service="roll")["serviceDeployments"]
    assert [d["status"] for d in deployments] == ["SUCCESSFUL", "SUCCESSFUL"]
    ecs.delete_service(cluster=cluster, service="roll", force=True)


def test_circuit_breaker_rolls_back(ecs, cluster, docker_image):
    good = _definition(ecs, docker_image, ["sleep", "600"])
    bad = _definition(ecs, docker_image, ["sh", "-c", "exit 1"])
    ecs.create_service(
        cluster=cluster,
        serviceName="cb",
        taskDefinition=good,
        desiredCount=1,
        launchType="FARGATE",
        networkConfiguration=SUBNETS,
        deploymentConfiguration={
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
        },
    )
    wait_for(
        lambda: _service(ecs, cluster, "cb")["deployments"][0]["rolloutState"] == "COMPLETED", timeout=60
    )
    ecs.update_service(cluster=cluster, service="cb", taskDefinition=bad)

    def rolled_back():
        service = _service(ecs, cluster, "cb")
        primary = service["deployments"][0]
        return primary["taskDefinition"] == good and primary["rolloutState"] == "COMPLETED" and service

    service = wait_for(rolled_back, timeout=120)
    messages = [e["message"] for e in service["events"]]
    assert any("deployment failed: tasks failed to start" in m for m in messages)
    assert service["taskDefinition"] == good
    statuses = [
        d["status"] for d in ecs.list_service_deployments(cluster=cluster, service="cb")["serviceDeployments"]
    ]
    assert statuses[0] == "ROLLBACK_SUCCESSFUL"
    assert "ROLLBACK_REQUESTED" in statuses
    ecs.delete_service(cluster=cluster, service="cb", force=True)


def test_express_service_runs_its_image(ecs, docker_image):
    created = ecs.create_express_gateway_service(
        infrastructureRoleArn="arn:aws:iam::000000000000:role/ecsInfrastructureRole",
        serviceName="express-web",
        primaryContainer={"image": docker_image, "command": ["sleep", "600"], "containerPort": 8080},
        scalingTarget={"minTaskCount": 1, "maxTaskCount": 3},
    )["service"]
    assert created["status"]["statusCode"] == "ACTIVE"
    config = created["activeConfigurations"][0]
    assert config["ingressPaths"] == [{"accessType": "PUBLIC", "endpoint": "http://127.0.0.1:8080"}]
    definition = ecs.describe_task_definition(taskDefinition=config["taskDefinitionArn"])["taskDefinition"]
    assert definition["requiresCompatibilities"] == ["FARGATE"]
    wait_for(lambda: len(_running(ecs, "default", "express-web")) == 1, timeout=60)
    updated = ecs.update_express_gateway_service(
        serviceArn=created["serviceArn"], scalingTarget={"minTaskCount": 2}
    )["service"]
    assert updated["targetConfiguration"]["scalingTarget"]["minTaskCount"] == 2
    wait_for(lambda: len(_running(ecs, "default", "express-web")) == 2, timeout=90)
    described = ecs.describe_express_gateway_service(serviceArn=created["serviceArn"])["service"]
    assert described["currentDeployment"] == updated_deployment(ecs)
    assert (
        ecs.delete_express_gateway_service(serviceArn=created["serviceArn"])["service"]["status"][
            "statusCode"
        ]
        == "DRAINING"
    )
    wait_for(lambda: not _running(ecs, "default", "express-web"), timeout=60)


def updated_deployment(ecs) -> str:
    return _service(ecs, "default", "express-web")["currentServiceDeployment"]


def test_a_service_whose_tasks_cannot_start_is_throttled(ecs, cluster, docker_image):
    definition = _definition(ecs, "overcast-test/absent-image:1", ["true"])
    ecs.create_service(
        cluster=cluster, serviceName="broken", taskDefinition=definition, desiredCount=1,
        launchType="FARGATE", networkConfiguration=SUBNETS,
    )  # fmt: skip

    def throttled():
        events = [e["message"] for e in _service(ecs, cluster, "broken")["events"]]
        return any("unable to consistently start tasks successfully" in m for m in events)

    wait_for(throttled, timeout=90)
    stopped = ecs.list_tasks(cluster=cluster, serviceName="broken", desiredStatus="STOPPED")["taskArns"]
    tasks = ecs.describe_tasks(cluster=cluster, tasks=stopped)["tasks"]
    assert len(tasks) >= 3
    assert all(
        t["stopCode"] == "TaskFailedToStart" and t["stoppedReason"].startswith("CannotPullContainerError")
        for t in tasks
    )
    ecs.delete_service(cluster=cluster, service="broken", force=True)


def test_service_actions_reach_eventbridge(ecs, client, cluster, docker_image):
    import json
    import uuid

    sqs, events = client("sqs"), client("events")
    queue = sqs.create_queue(QueueName=f"ecs-svc-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    rule = f"ecs-svc-{uuid.uuid4().hex[:8]}"
    events.put_rule(
        Name=rule,
        EventPattern=json.dumps(
            {
                "source": ["aws.ecs"],
                "detail-type": ["ECS Service Action", "ECS Deployment State Change"],
                "resources": [{"prefix": f"arn:aws:ecs:us-east-1:000000000000:service/{cluster}/"}],
            }
        ),
    )
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": queue_arn}])
    definition = _definition(ecs, docker_image, ["sleep", "600"])
    ecs.create_service(
        cluster=cluster, serviceName="announced", taskDefinition=definition, desiredCount=1,
        launchType="FARGATE", networkConfiguration=SUBNETS,
    )  # fmt: skip
    seen: dict[str, dict] = {}

    def both():
        for message in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            event = json.loads(message["Body"])
            seen[event["detail"]["eventName"]] = event
        return "SERVICE_STEADY_STATE" in seen and "SERVICE_DEPLOYMENT_COMPLETED" in seen

    wait_for(both, timeout=60)
    assert seen["SERVICE_STEADY_STATE"]["detail-type"] == "ECS Service Action"
    assert seen["SERVICE_DEPLOYMENT_COMPLETED"]["detail-type"] == "ECS Deployment State Change"
    assert seen["SERVICE_STEADY_STATE"]["resources"][0].endswith(f"service/{cluster}/announced")
    ecs.delete_service(cluster=cluster, service="announced", force=True)
