"""ECS's control plane through boto3: clusters, capacity providers, task definitions and
their validation, account settings, container instances and attributes, tags, and the
refusals AWS answers. None of these needs a container engine."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.integration.ecs.conftest import SUBNETS, family


def _error(excinfo) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def test_cluster_lifecycle(ecs):
    created = ecs.create_cluster(
        clusterName="cp-life",
        tags=[{"key": "team", "value": "a"}],
        settings=[{"name": "containerInsights", "value": "enabled"}],
    )["cluster"]
    assert created["clusterArn"] == "arn:aws:ecs:us-east-1:000000000000:cluster/cp-life"
    assert created["status"] == "ACTIVE"
    again = ecs.create_cluster(clusterName="cp-life")["cluster"]
    assert again["clusterArn"] == created["clusterArn"]
    described = ecs.describe_clusters(clusters=["cp-life", "nope"], include=["TAGS", "SETTINGS"])
    assert described["clusters"][0]["tags"] == [{"key": "team", "value": "a"}]
    assert described["clusters"][0]["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert described["failures"] == [
        {"arn": "arn:aws:ecs:us-east-1:000000000000:cluster/nope", "reason": "MISSING"}
    ]
    assert created["clusterArn"] in ecs.list_clusters()["clusterArns"]
    updated = ecs.update_cluster_settings(
        cluster="cp-life", settings=[{"name": "containerInsights", "value": "disabled"}]
    )
    assert updated["cluster"]["settings"] == [{"name": "containerInsights", "value": "disabled"}]
    assert ecs.delete_cluster(cluster="cp-life")["cluster"]["status"] == "INACTIVE"
    assert created["clusterArn"] not in ecs.list_clusters()["clusterArns"]
    with pytest.raises(ClientError) as excinfo:
        ecs.list_services(cluster="cp-life")
    assert _error(excinfo) == ("ClusterNotFoundException", "Cluster not found.")


def test_cluster_with_services_cannot_be_deleted(ecs, cluster):
    arn = ecs.register_task_definition(
        family=family(), containerDefinitions=[{"name": "a", "image": "busybox", "memory": 64}]
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster=cluster, serviceName="idle", taskDefinition=arn, desiredCount=0)
    with pytest.raises(ClientError) as excinfo:
        ecs.delete_cluster(cluster=cluster)
    assert _error(excinfo)[0] == "ClusterContainsServicesException"
    assert ecs.delete_service(cluster=cluster, service="idle")["service"]["status"] == "DRAINING"


def test_task_definition_revisions(ecs):
    name = family()
    container = {
        "name": "web",
        "image": "nginx:1.25",
        "memory": 128,
        "memoryReservation": 64,
        "portMappings": [{"containerPort": 80, "hostPort": 0}],
        "environment": [{"name": "A", "value": "1"}],
        "dockerLabels": {"x.y": "z"},
        "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 2048}],
        "healthCheck": {"command": ["CMD-SHELL", "true"], "interval": 10, "timeout": 2, "retries": 2},
        "linuxParameters": {"initProcessEnabled": True},
        "stopTimeout": 5,
    }
    first = ecs.register_task_definition(
        family=name, containerDefinitions=[container], tags=[{"key": "k", "value": "v"}]
    )
    definition = first["taskDefinition"]
    assert definition["revision"] == 1
    assert definition["networkMode"] == "bridge"
    assert definition["compatibilities"] == ["EC2", "EXTERNAL"]
    stored = definition["containerDefinitions"][0]
    for key, value in container.items():
        if key == "portMappings":
            assert stored[key] == [{"containerPort": 80, "hostPort": 0, "protocol": "tcp"}]
        else:
            assert stored[key] == value
    assert stored["essential"] is True
    assert {"name": "com.amazonaws.ecs.capability.container-health-check"} in definition["requiresAttributes"]
    second = ecs.register_task_definition(family=name, containerDefinitions=[container])["taskDefinition"]
    assert second["revision"] == 2
    assert ecs.describe_task_definition(taskDefinition=name)["taskDefinition"]["revision"] == 2
    tagged = ecs.describe_task_definition(taskDefinition=f"{name}:1", include=["TAGS"])
    assert tagged["tags"] == [{"key": "k", "value": "v"}]
    listed = ecs.list_task_definitions(familyPrefix=name)["taskDefinitionArns"]
    assert listed == [definition["taskDefinitionArn"], second["taskDefinitionArn"]]
    assert ecs.list_task_definitions(familyPrefix=name, sort="DESC")["taskDefinitionArns"] == listed[::-1]
    ecs.deregister_task_definition(taskDefinition=f"{name}:2")
    assert ecs.describe_task_definition(taskDefinition=name)["taskDefinition"]["revision"] == 1
    assert ecs.list_task_definitions(familyPrefix=name, status="INACTIVE")["taskDefinitionArns"] == [
        second["taskDefinitionArn"]
    ]
    assert name in ecs.list_task_definition_families(familyPrefix=name)["families"]
    deleted = ecs.delete_task_definitions(taskDefinitions=[f"{name}:1", f"{name}:2"])
    assert [d["revision"] for d in deleted["taskDefinitions"]] == [2]
    assert deleted["failures"][0]["arn"].endswith(f"{name}:1")


def test_fargate_task_definition(ecs):
    definition = ecs.register_task_definition(
        family=family(),
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="1 vCPU",
        memory="2 GB",
        containerDefinitions=[{"name": "app", "image": "busybox"}],
    )["taskDefinition"]
    assert (definition["cpu"], definition["memory"]) == ("1024", "2048")
    assert definition["compatibilities"] == ["EC2", "FARGATE"]


@pytest.mark.parametrize(
    ("extra", "container", "message"),
    [
        (
            {},
            {"name": "a", "image": "x"},
            "At least one of 'memory' or 'memoryReservation' must be specified.",
        ),
        (
            {"requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512"},
            {"name": "a", "image": "x"},
            "Fargate only supports network mode 'awsvpc'.",
        ),
        (
            {"requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "4096"},
            {"name": "a", "image": "x"},
            "No Fargate configuration exists for given values",
        ),
        (
            {"networkMode": "awsvpc"},
            {
                "name": "a",
                "image": "x",
                "memory": 64,
                "portMappings": [{"containerPort": 80, "hostPort": 81}],
            },
            "must match",
        ),
        (
            {},
            {"name": "a", "image": "x", "memory": 64, "essential": False},
            "at least one essential container",
        ),
        ({}, {"name": "a", "image": "x", "memory": 64, "memoryReservation": 128}, "memoryReservation"),
        (
            {},
            {
                "name": "a",
                "image": "x",
                "memory": 64,
                "dependsOn": [{"containerName": "b", "condition": "START"}],
            },
            "not in the task definition",
        ),
    ],
)
def test_task_definition_validation(ecs, extra, container, message):
    with pytest.raises(ClientError) as excinfo:
        ecs.register_task_definition(family=family(), containerDefinitions=[container], **extra)
    code, text = _error(excinfo)
    assert code == "ClientException"
    assert message in text


def test_run_task_refusals(ecs, cluster):
    fargate = ecs.register_task_definition(
        family=family(),
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "a", "image": "x"}],
    )["taskDefinition"]["taskDefinitionArn"]
    bridge = ecs.register_task_definition(
        family=family(), containerDefinitions=[{"name": "a", "image": "x", "memory": 32}]
    )["taskDefinition"]["taskDefinitionArn"]
    with pytest.raises(ClientError) as excinfo:
        ecs.run_task(cluster=cluster, taskDefinition=fargate, launchType="FARGATE")
    assert _error(excinfo) == (
        "InvalidParameterException",
        "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
    )
    with pytest.raises(ClientError) as excinfo:
        ecs.run_task(cluster=cluster, taskDefinition=bridge, launchType="FARGATE")
    assert _error(excinfo) == ("ClientException", "Task definition does not support launch_type FARGATE.")
    with pytest.raises(ClientError) as excinfo:
        ecs.run_task(
            cluster=cluster,
            taskDefinition=fargate,
            launchType="FARGATE",
            networkConfiguration=SUBNETS,
            capacityProviderStrategy=[{"capacityProvider": "FARGATE"}],
        )
    assert "Specifying both a launch type and capacity provider strategy" in _error(excinfo)[1]
    with pytest.raises(ClientError) as excinfo:
        ecs.run_task(cluster="no-such-cluster", taskDefinition=bridge)
    assert _error(excinfo)[0] == "ClusterNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        ecs.stop_task(cluster=cluster, task="0123456789abcdef0123456789abcdef")
    assert _error(excinfo) == ("InvalidParameterException", "The referenced task was not found.")


def test_capacity_providers(ecs, cluster):
    asg = "arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:1:autoScalingGroupName/asg"
    created = ecs.create_capacity_provider(
        name="cp-one",
        autoScalingGroupProvider={
            "autoScalingGroupArn": asg,
            "managedScaling": {"status": "ENABLED", "targetCapacity": 80},
        },
    )["capacityProvider"]
    assert created["status"] == "ACTIVE"
    assert created["autoScalingGroupProvider"]["managedScaling"]["targetCapacity"] == 80
    with pytest.raises(ClientError) as excinfo:
        ecs.create_capacity_provider(name="ecs-bad", autoScalingGroupProvider={"autoScalingGroupArn": asg})
    assert _error(excinfo)[0] == "InvalidParameterException"
    names = [p["name"] for p in ecs.describe_capacity_providers()["capacityProviders"]]
    assert {"FARGATE", "FARGATE_SPOT", "cp-one"} <= set(names)
    updated = ecs.put_cluster_capacity_providers(
        cluster=cluster,
        capacityProviders=["FARGATE", "cp-one"],
        defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1, "base": 1}],
    )["cluster"]
    assert updated["capacityProviders"] == ["FARGATE", "cp-one"]
    with pytest.raises(ClientError) as excinfo:
        ecs.delete_capacity_provider(capacityProvider="cp-one")
    assert _error(excinfo)[0] == "ResourceInUseException"
    ecs.put_cluster_capacity_providers(
        cluster=cluster, capacityProviders=[], defaultCapacityProviderStrategy=[]
    )
    assert (
        ecs.update_capacity_provider(
            name="cp-one", autoScalingGroupProvider={"managedTerminationProtection": "DISABLED"}
        )["capacityProvider"]["updateStatus"]
        == "UPDATE_COMPLETE"
    )
    assert ecs.delete_capacity_provider(capacityProvider="cp-one")["capacityProvider"]["status"] == "INACTIVE"


def test_account_settings(ecs):
    defaults = {s["name"]: s["value"] for s in ecs.list_account_settings(effectiveSettings=True)["settings"]}
    assert defaults["taskLongArnFormat"] == "enabled"
    ecs.put_account_setting_default(name="containerInsights", value="enabled")
    assert {
        s["name"]: s["value"]
        for s in ecs.list_account_settings(name="containerInsights", effectiveSettings=True)["settings"]
    } == {"containerInsights": "enabled"}
    mine = ecs.put_account_setting(name="awsvpcTrunking", value="enabled")["setting"]
    assert mine["principalArn"] == "arn:aws:iam::000000000000:root"
    assert ecs.delete_account_setting(name="awsvpcTrunking")["setting"]["value"] == "enabled"
    with pytest.raises(ClientError) as excinfo:
        ecs.put_account_setting(name="containerInsights", value="sometimes")
    assert _error(excinfo)[0] == "InvalidParameterException"
    ecs.put_account_setting_default(name="containerInsights", value="disabled")


def test_container_instances_and_attributes(ecs, cluster):
    instance = ecs.register_container_instance(
        cluster=cluster, instanceIdentityDocument='{"instanceId": "i-0123456789abcdef0"}'
    )["containerInstance"]
    arn = instance["containerInstanceArn"]
    assert instance["ec2InstanceId"] == "i-0123456789abcdef0"
    assert ecs.list_container_instances(cluster=cluster)["containerInstanceArns"] == [arn]
    ecs.put_attributes(cluster=cluster, attributes=[{"name": "stack", "value": "prod", "targetId": arn}])
    listed = ecs.list_attributes(cluster=cluster, targetType="container-instance", attributeName="stack")[
        "attributes"
    ]
    assert listed == [{"name": "stack", "value": "prod", "targetType": "container-instance", "targetId": arn}]
    with pytest.raises(ClientError) as excinfo:
        ecs.put_attributes(cluster=cluster, attributes=[{"name": "x", "targetId": "nope"}])
    assert _error(excinfo)[0] == "TargetNotFoundException"
    ecs.delete_attributes(cluster=cluster, attributes=[{"name": "stack", "targetId": arn}])
    drained = ecs.update_container_instances_state(
        cluster=cluster, containerInstances=[arn], status="DRAINING"
    )
    assert drained["containerInstances"][0]["status"] == "DRAINING"
    ecs.deregister_container_instance(cluster=cluster, containerInstance=arn)
    assert ecs.list_container_instances(cluster=cluster)["containerInstanceArns"] == []


def test_tags(ecs, cluster):
    arn = ecs.describe_clusters(clusters=[cluster])["clusters"][0]["clusterArn"]
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
    ecs.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert ecs.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "b", "value": "2"}]
    with pytest.raises(ClientError) as excinfo:
        ecs.tag_resource(resourceArn=arn, tags=[{"key": "aws:x", "value": "1"}])
    assert _error(excinfo)[0] == "InvalidParameterException"


def test_execute_command_needs_the_agent(ecs, cluster, client):
    definition = ecs.register_task_definition(
        family=family(), containerDefinitions=[{"name": "a", "image": "x", "memory": 32}]
    )["taskDefinition"]["taskDefinitionArn"]
    task = ecs.run_task(cluster=cluster, taskDefinition=definition)["tasks"][0]
    with pytest.raises(ClientError) as excinfo:
        ecs.execute_command(cluster=cluster, task=task["taskArn"], command="/bin/sh", interactive=True)
    code, message = _error(excinfo)
    assert code == "InvalidParameterException"
    assert "execute command was not enabled" in message


def test_external_services_take_task_sets(ecs, cluster):
    definition = ecs.register_task_definition(
        family=family(), containerDefinitions=[{"name": "a", "image": "x", "memory": 32}]
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster=cluster, serviceName="ecs-ctl", taskDefinition=definition, desiredCount=0)
    with pytest.raises(ClientError) as excinfo:
        ecs.create_task_set(cluster=cluster, service="ecs-ctl", taskDefinition=definition)
    assert "external deployment controllers" in _error(excinfo)[1]
    ecs.create_service(
        cluster=cluster, serviceName="ext", desiredCount=0, deploymentController={"type": "EXTERNAL"}
    )
    task_set = ecs.create_task_set(
        cluster=cluster,
        service="ext",
        taskDefinition=definition,
        externalId="blue",
        scale={"value": 50, "unit": "PERCENT"},
    )["taskSet"]
    assert task_set["status"] == "PRIMARY"
    sets = ecs.describe_task_sets(cluster=cluster, service="ext")["taskSets"]
    assert [s["externalId"] for s in sets] == ["blue"]
    assert (
        ecs.update_task_set(
            cluster=cluster, service="ext", taskSet=task_set["id"], scale={"value": 100, "unit": "PERCENT"}
        )["taskSet"]["scale"]["value"]
        == 100
    )
    assert (
        ecs.update_service_primary_task_set(
            cluster=cluster, service="ext", primaryTaskSet=task_set["taskSetArn"]
        )["taskSet"]["status"]
        == "PRIMARY"
    )
    assert (
        ecs.delete_task_set(cluster=cluster, service="ext", taskSet=task_set["id"])["taskSet"]["status"]
        == "DRAINING"
    )


def test_service_connect_is_stored(ecs, cluster):
    definition = ecs.register_task_definition(
        family=family(), containerDefinitions=[{"name": "a", "image": "x", "memory": 32}]
    )["taskDefinition"]["taskDefinitionArn"]
    namespace = "arn:aws:servicediscovery:us-east-1:000000000000:namespace/ns-abcdefghijklmnop"
    service = ecs.create_service(
        cluster=cluster,
        serviceName="sc",
        taskDefinition=definition,
        desiredCount=0,
        serviceConnectConfiguration={
            "enabled": True,
            "namespace": namespace,
            "services": [{"portName": "web", "clientAliases": [{"port": 80}]}],
        },
        serviceRegistries=[{"registryArn": "arn:aws:servicediscovery:us-east-1:000000000000:service/srv-1"}],
    )["service"]
    assert service["serviceRegistries"][0]["registryArn"].endswith("srv-1")
    assert service["serviceArn"] in ecs.list_services_by_namespace(namespace=namespace)["serviceArns"]
    deployments = ecs.list_service_deployments(cluster=cluster, service="sc")["serviceDeployments"]
    assert len(deployments) == 1
    described = ecs.describe_service_deployments(
        serviceDeploymentArns=[deployments[0]["serviceDeploymentArn"]]
    )
    revision = described["serviceDeployments"][0]["targetServiceRevision"]["arn"]
    revisions = ecs.describe_service_revisions(serviceRevisionArns=[revision])["serviceRevisions"]
    assert revisions[0]["taskDefinition"] == definition
    assert revisions[0]["serviceConnectConfiguration"]["namespace"] == namespace


def test_daemons(ecs, cluster):
    asg = "arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:1:autoScalingGroupName/d"
    provider = ecs.create_capacity_provider(
        name=f"dm-{cluster}", autoScalingGroupProvider={"autoScalingGroupArn": asg}
    )["capacityProvider"]
    first = ecs.register_daemon_task_definition(
        family=f"agent-{cluster}", containerDefinitions=[{"name": "agent", "image": "busybox", "memory": 32}]
    )["daemonTaskDefinitionArn"]
    assert first.endswith(f":daemon-task-definition/agent-{cluster}:1")
    described = ecs.describe_daemon_task_definition(daemonTaskDefinition=f"agent-{cluster}")[
        "daemonTaskDefinition"
    ]
    assert described["containerDefinitions"][0]["essential"] is True
    cluster_arn = ecs.describe_clusters(clusters=[cluster])["clusters"][0]["clusterArn"]
    with pytest.raises(ClientError) as excinfo:
        ecs.create_daemon(
            daemonName="agent",
            clusterArn=cluster_arn,
            daemonTaskDefinitionArn=first,
            capacityProviderArns=["FARGATE"],
        )
    assert _error(excinfo)[0] == "InvalidParameterException"
    created = ecs.create_daemon(
        daemonName="agent",
        clusterArn=cluster_arn,
        daemonTaskDefinitionArn=first,
        capacityProviderArns=[provider["capacityProviderArn"]],
    )
    assert created["status"] == "ACTIVE"
    daemon = ecs.describe_daemon(daemonArn=created["daemonArn"])["daemon"]
    assert daemon["currentRevisions"][0]["totalRunningCount"] == 0
    second = ecs.register_daemon_task_definition(
        family=f"agent-{cluster}",
        containerDefinitions=[{"name": "agent", "image": "busybox:2", "memory": 32}],
    )["daemonTaskDefinitionArn"]
    updated = ecs.update_daemon(
        daemonArn=created["daemonArn"],
        daemonTaskDefinitionArn=second,
        capacityProviderArns=[provider["capacityProviderArn"]],
    )
    deployments = ecs.list_daemon_deployments(daemonArn=created["daemonArn"])["daemonDeployments"]
    assert [d["daemonDeploymentArn"] for d in deployments] == [
        updated["deploymentArn"],
        created["deploymentArn"],
    ]
    detail = ecs.describe_daemon_deployments(
        daemonDeploymentArns=[
            updated["deploymentArn"],
            "arn:aws:ecs:us-east-1:000000000000:daemon-deployment/x/y/z",
        ]
    )
    assert detail["daemonDeployments"][0]["status"] == "SUCCESSFUL"
    assert len(detail["failures"]) == 1
    revision = detail["daemonDeployments"][0]["targetDaemonRevision"]["arn"]
    revisions = ecs.describe_daemon_revisions(daemonRevisionArns=[revision])["daemonRevisions"]
    assert revisions[0]["containerImages"] == [{"containerName": "agent", "image": "busybox:2"}]
    assert [d["daemonArn"] for d in ecs.list_daemons(clusterArn=cluster_arn)["daemonSummariesList"]] == [
        created["daemonArn"]
    ]
    with pytest.raises(ClientError) as excinfo:
        ecs.delete_daemon_task_definition(daemonTaskDefinition=second)
    assert _error(excinfo)[0] == "ClientException"
    assert ecs.delete_daemon(daemonArn=created["daemonArn"])["status"] == "DELETE_IN_PROGRESS"
    assert ecs.delete_daemon_task_definition(daemonTaskDefinition=first)["daemonTaskDefinitionArn"] == first
    listed = ecs.list_daemon_task_definitions(familyPrefix=f"agent-{cluster}", status="ALL")[
        "daemonTaskDefinitions"
    ]
    assert [d["status"] for d in listed] == ["DELETE_IN_PROGRESS", "ACTIVE"]
