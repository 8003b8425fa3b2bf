"""ECS DescribeTasks of ten tasks with one container each (store reads, the shapes of ten
tasks). Task ids exist only after setup, which fills them into the request's parameters
before it is signed. The tasks name an image no engine has, so they stop at once whether or
not a Docker Engine is reachable: describing a stopped task costs what a running one does."""

from typing import Any

from scenarios import AwsCall, ClientFactory, Scenario

CLUSTER = "bench"
_DESCRIBE: dict[str, Any] = {"cluster": CLUSTER, "tasks": []}


def _tasks(client: ClientFactory) -> None:
    ecs = client("ecs")
    ecs.create_cluster(clusterName=CLUSTER)
    definition = ecs.register_task_definition(
        family="bench",
        containerDefinitions=[{"name": "app", "image": "overcast-bench/absent:1", "memory": 64}],
    )["taskDefinition"]["taskDefinitionArn"]
    arns = [
        ecs.run_task(cluster=CLUSTER, taskDefinition=definition)["tasks"][0]["taskArn"] for _ in range(10)
    ]
    _DESCRIBE["tasks"] = arns


SCENARIOS = (
    Scenario(
        name="ecs-describe-tasks",
        summary="ECS DescribeTasks of 10 tasks (json, ten store reads)",
        setup=_tasks,
        requests=(AwsCall("ecs", "DescribeTasks", _DESCRIBE),),
    ),
)
