"""ECS's CloudFormation resource types: AWS::ECS::Cluster, TaskDefinition, Service,
CapacityProvider and ClusterCapacityProviderAssociations, through the ECS provider's own
operations. Templates spell properties in PascalCase where the API uses camelCase; the values
of map properties (log driver options, Docker labels) are the user's and stay as written."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceHandler,
    ResourceRequest,
    read_or_gone,
)

#: Properties whose values are maps with the user's own keys.
#: How long a deleted service may take to drain before its stack goes on without waiting.
_DRAIN_SECONDS = 600
_MAPS = frozenset({"Options", "DockerLabels", "SecretOptions", "DriverOpts", "Labels"})
#: Template names the API spells otherwise than by lowering the first letter.
_NAMES = {
    "EFSVolumeConfiguration": "efsVolumeConfiguration",
    "FSxWindowsFileServerVolumeConfiguration": "fsxWindowsFileServerVolumeConfiguration",
    "ClusterSettings": "settings",
}


def camel(value: Any) -> Any:
    """A template value in the API's spelling."""
    if isinstance(value, list):
        return [camel(item) for item in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        name = _NAMES.get(key) or (key[:1].lower() + key[1:])
        out[name] = item if key in _MAPS else camel(item)
    return out


def _numbers(container: dict[str, Any]) -> dict[str, Any]:
    """Template values arrive as strings where the API wants integers."""
    for key in ("cpu", "memory", "memoryReservation", "startTimeout", "stopTimeout"):
        if isinstance(container.get(key), str) and container[key].isdigit():
            container[key] = int(container[key])
    for mapping in container.get("portMappings") or []:
        for key in ("containerPort", "hostPort"):
            if isinstance(mapping.get(key), str):
                mapping[key] = int(mapping[key])
    check = container.get("healthCheck")
    if check:
        for key in ("interval", "timeout", "retries", "startPeriod"):
            if isinstance(check.get(key), str):
                check[key] = int(check[key])
    if isinstance(container.get("essential"), str):
        container["essential"] = container["essential"].lower() == "true"
    return container


def _tags(request: ResourceRequest, given: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    return [{"key": t["Key"], "value": t["Value"]} for t in request.user_tags(given)]


class Cluster(ResourceHandler):
    identifier = "ClusterName"
    attributes = frozenset({"Arn"})
    replace_on = frozenset({"ClusterName"})
    name_property = "ClusterName"

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("ClusterName") or request.physical_name(255)
        params = {k: v for k, v in camel(properties).items() if k not in ("clusterName", "tags")}
        params["clusterName"] = name
        tags = _tags(request, properties.get("Tags"))
        if tags:
            params["tags"] = tags
        cluster = (await request.call("ecs", "CreateCluster", params))["cluster"]
        return name, {"Arn": cluster["clusterArn"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        params = camel(request.properties)
        update: dict[str, Any] = {"cluster": request.physical_id}
        for key in ("settings", "configuration", "serviceConnectDefaults"):
            if params.get(key) is not None:
                update[key] = params[key]
        cluster = (await request.call("ecs", "UpdateCluster", update))["cluster"]
        if "capacityProviders" in params or "defaultCapacityProviderStrategy" in params:
            await request.call(
                "ecs",
                "PutClusterCapacityProviders",
                {
                    "cluster": request.physical_id,
                    "capacityProviders": params.get("capacityProviders") or [],
                    "defaultCapacityProviderStrategy": params.get("defaultCapacityProviderStrategy") or [],
                },
            )
        return {"Arn": cluster["clusterArn"]}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        out = await read_or_gone(request, "ecs", "DescribeClusters", {"clusters": [request.physical_id]})
        if not out["clusters"] or out["clusters"][0]["status"] != "ACTIVE":
            from overcast.services.cloudformation.handlers import ResourceGone

            raise ResourceGone
        return {"ClusterName": out["clusters"][0]["clusterName"]}

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        out = await request.call("ecs", "DescribeClusters", {"clusters": [request.physical_id]})
        if not out["clusters"]:
            raise ResourceFailed(f"Cluster {request.physical_id} not found", "ClusterNotFoundException")
        return {"Arn": out["clusters"][0]["clusterArn"]}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("ecs", "DeleteCluster", {"cluster": request.physical_id})
        except ResourceFailed as error:
            if error.code != "ClusterNotFoundException":
                raise


class TaskDefinition(ResourceHandler):
    attributes = frozenset({"TaskDefinitionArn"})
    updatable = False

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params = camel({k: v for k, v in properties.items() if k != "Tags"})
        params.setdefault("family", request.physical_name(255))
        params["containerDefinitions"] = [_numbers(c) for c in params.get("containerDefinitions") or []]
        for key in ("cpu", "memory"):
            if params.get(key) is not None:
                params[key] = str(params[key])
        tags = _tags(request, properties.get("Tags"))
        if tags:
            params["tags"] = tags
        definition = (await request.call("ecs", "RegisterTaskDefinition", params))["taskDefinition"]
        return definition["taskDefinitionArn"], {"TaskDefinitionArn": definition["taskDefinitionArn"]}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("ecs", "DeregisterTaskDefinition", {"taskDefinition": request.physical_id})
        except ResourceFailed as error:
            if error.code != "ClientException":
                raise


class Service(ResourceHandler):
    attributes = frozenset({"Name", "ServiceArn"})
    replace_on = frozenset(
        {"ServiceName", "Cluster", "LaunchType", "SchedulingStrategy", "Role", "DeploymentController"}
    )
    name_property = "ServiceName"

    @staticmethod
    def _params(properties: dict[str, Any]) -> dict[str, Any]:
        params = camel({k: v for k, v in properties.items() if k not in ("Tags", "Role")})
        if properties.get("Role"):
            params["roleArn"] = properties["Role"]
        if isinstance(params.get("desiredCount"), str):
            params["desiredCount"] = int(params["desiredCount"])
        return params

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params = self._params(properties)
        params.setdefault("serviceName", request.physical_name(255))
        tags = _tags(request, properties.get("Tags"))
        if tags:
            params["tags"] = tags
        service = (await request.call("ecs", "CreateService", params))["service"]
        return service["serviceArn"], {"Name": service["serviceName"], "ServiceArn": service["serviceArn"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        params = self._params(request.properties)
        update: dict[str, Any] = {
            "service": request.physical_id,
            "cluster": params.get("cluster") or "default",
        }
        for key in (
            "desiredCount",
            "taskDefinition",
            "deploymentConfiguration",
            "networkConfiguration",
            "platformVersion",
            "healthCheckGracePeriodSeconds",
            "enableExecuteCommand",
            "loadBalancers",
            "serviceRegistries",
            "serviceConnectConfiguration",
            "capacityProviderStrategy",
            "placementConstraints",
            "placementStrategy",
            "propagateTags",
            "enableECSManagedTags",
        ):
            if params.get(key) is not None:
                update[key] = params[key]
        service = (await request.call("ecs", "UpdateService", update))["service"]
        return {"Name": service["serviceName"], "ServiceArn": service["serviceArn"]}

    async def delete(self, request: ResourceRequest) -> None:
        """Deleted once drained (INACTIVE), as CloudFormation waits: the cluster it runs on is
        deleted after it and refuses while a service is still DRAINING."""
        cluster = request.properties.get("Cluster") or "default"
        wanted = {"service": request.physical_id, "cluster": cluster}
        try:
            await request.call("ecs", "DeleteService", {**wanted, "force": True})
            deadline = time.monotonic() + _DRAIN_SECONDS
            while time.monotonic() < deadline:
                found = await request.call(
                    "ecs", "DescribeServices", {"cluster": cluster, "services": [wanted["service"]]}
                )
                services = found.get("services") or []
                if not services or services[0].get("status") == "INACTIVE":
                    return
                await asyncio.sleep(0.25)
        except ResourceFailed as error:
            if error.code not in ("ServiceNotFoundException", "ClusterNotFoundException"):
                raise


class CapacityProvider(ResourceHandler):
    attributes = frozenset({"Arn"})
    replace_on = frozenset({"Name"})
    name_property = "Name"

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params = camel({k: v for k, v in properties.items() if k != "Tags"})
        # A made-up name must not begin with what ECS reserves (aws, ecs, fargate), as a stack's may.
        params["name"] = properties.get("Name") or "cp-" + request.physical_name(252)
        tags = _tags(request, properties.get("Tags"))
        if tags:
            params["tags"] = tags
        provider = (await request.call("ecs", "CreateCapacityProvider", params))["capacityProvider"]
        return provider["name"], {"Arn": provider["capacityProviderArn"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        params = camel(request.properties)
        update: dict[str, Any] = {"name": request.physical_id}
        group = dict(params.get("autoScalingGroupProvider") or {})
        group.pop("autoScalingGroupArn", None)
        update["autoScalingGroupProvider"] = group
        provider = (await request.call("ecs", "UpdateCapacityProvider", update))["capacityProvider"]
        return {"Arn": provider["capacityProviderArn"]}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("ecs", "DeleteCapacityProvider", {"capacityProvider": request.physical_id})
        except ResourceFailed as error:
            if error.code != "ClientException":
                raise


class ClusterCapacityProviderAssociations(ResourceHandler):
    replace_on = frozenset({"Cluster"})
    required = ("Cluster", "CapacityProviders", "DefaultCapacityProviderStrategy")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        params = camel(request.properties)
        await request.call("ecs", "PutClusterCapacityProviders", params)
        return params["cluster"], {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call("ecs", "PutClusterCapacityProviders", camel(request.properties))
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call(
                "ecs",
                "PutClusterCapacityProviders",
                {
                    "cluster": request.physical_id,
                    "capacityProviders": [],
                    "defaultCapacityProviderStrategy": [],
                },
            )
        except ResourceFailed as error:
            if error.code != "ClusterNotFoundException":
                raise


class TaskSet(ResourceHandler):
    """A task set of a service run by an EXTERNAL deployment controller; its physical id is the
    task set's id, and only its Scale changes in place."""

    required = ("Cluster", "Service", "TaskDefinition")
    attributes = frozenset({"Id"})
    replace_on = frozenset(
        {
            "Cluster",
            "Service",
            "TaskDefinition",
            "ExternalId",
            "LaunchType",
            "LoadBalancers",
            "NetworkConfiguration",
            "PlatformVersion",
            "ServiceRegistries",
            "CapacityProviderStrategy",
            "Tags",
        }
    )

    @staticmethod
    def _scale(properties: dict[str, Any]) -> dict[str, Any]:
        scale = properties.get("Scale") or {"Unit": "PERCENT", "Value": 100}
        return {"unit": scale.get("Unit", "PERCENT"), "value": float(scale.get("Value", 100))}

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        params = camel(
            {k: v for k, v in p.items() if k not in ("Tags", "Scale", "Cluster", "Service", "TaskDefinition")}
        )
        params.update(
            cluster=p["Cluster"],
            service=p["Service"],
            taskDefinition=p["TaskDefinition"],
            scale=self._scale(p),
        )
        for balancer in params.get("loadBalancers") or []:
            if isinstance(balancer.get("containerPort"), str):
                balancer["containerPort"] = int(balancer["containerPort"])
        tags = _tags(request, p.get("Tags"))
        if tags:
            params["tags"] = tags
        found = (await request.call("ecs", "CreateTaskSet", params))["taskSet"]
        return found["id"], {"Id": found["id"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        p = request.properties
        await request.call(
            "ecs",
            "UpdateTaskSet",
            {
                "cluster": p["Cluster"],
                "service": p["Service"],
                "taskSet": request.physical_id,
                "scale": self._scale(p),
            },
        )
        return {"Id": request.physical_id}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        from overcast.services.cloudformation.handlers import ResourceGone

        p = request.properties
        found = await read_or_gone(
            request,
            "ecs",
            "DescribeTaskSets",
            {"cluster": p["Cluster"], "service": p["Service"], "taskSets": [request.physical_id]},
            "ServiceNotFoundException",
            "ClusterNotFoundException",
        )
        live = [t for t in found.get("taskSets") or [] if t["status"] != "DRAINING"]
        if not live:
            raise ResourceGone
        scale = live[0]["scale"]
        return {"Scale": {"Unit": scale["unit"], "Value": scale["value"]}}

    async def delete(self, request: ResourceRequest) -> None:
        p = request.properties
        try:
            await request.call(
                "ecs",
                "DeleteTaskSet",
                {
                    "cluster": p["Cluster"],
                    "service": p["Service"],
                    "taskSet": request.physical_id,
                    "force": True,
                },
            )
        except ResourceFailed as error:
            if error.code not in (
                "TaskSetNotFoundException",
                "ServiceNotFoundException",
                "ServiceNotActiveException",
                "ClusterNotFoundException",
            ):
                raise


class PrimaryTaskSet(ResourceHandler):
    """Which task set of an EXTERNAL service is primary; its physical id is "{Cluster}|{Service}".
    ECS has no way to unset a primary task set, so deleting the resource leaves it as it is."""

    required = ("Cluster", "Service", "TaskSetId")
    replace_on = frozenset({"Cluster", "Service"})

    async def _apply(self, request: ResourceRequest) -> None:
        p = request.properties
        await request.call(
            "ecs",
            "UpdateServicePrimaryTaskSet",
            {"cluster": p["Cluster"], "service": p["Service"], "primaryTaskSet": p["TaskSetId"]},
        )

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await self._apply(request)
        return f"{request.properties['Cluster']}|{request.properties['Service']}", {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._apply(request)
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        return None


class DaemonTaskDefinition(ResourceHandler):
    """A revision of a daemon task definition; every change registers a new revision (a
    replacement) and the old one is deleted, as with task definitions."""

    updatable = False
    required = ("ContainerDefinitions",)
    attributes = frozenset({"DaemonTaskDefinitionArn"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        params = camel({k: v for k, v in p.items() if k != "Tags"})
        params["family"] = p.get("Family") or request.physical_name(255)
        params["containerDefinitions"] = [_numbers(c) for c in params["containerDefinitions"]]
        tags = _tags(request, p.get("Tags"))
        if tags:
            params["tags"] = tags
        found = await request.call("ecs", "RegisterDaemonTaskDefinition", params)
        arn = found["daemonTaskDefinitionArn"]
        return arn, {"DaemonTaskDefinitionArn": arn}

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call(
            "ecs", "DescribeDaemonTaskDefinition", {"daemonTaskDefinition": request.physical_id}
        )
        return {"DaemonTaskDefinitionArn": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call(
                "ecs", "DeleteDaemonTaskDefinition", {"daemonTaskDefinition": request.physical_id}
            )
        except ResourceFailed as error:
            if "does not exist" not in str(error):
                raise


class Daemon(ResourceHandler):
    """A daemon: its task definition run on every instance of its capacity providers; a change
    of definition, providers or settings is a new deployment of the same daemon."""

    required = ("DaemonTaskDefinitionArn", "CapacityProviderArns")
    replace_on = frozenset({"ClusterArn", "DaemonName"})
    name_property = "DaemonName"
    attributes = frozenset({"DaemonArn", "DaemonStatus", "CreatedAt", "UpdatedAt", "DeploymentArn"})

    @staticmethod
    def _settings(properties: dict[str, Any]) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "daemonTaskDefinitionArn": properties["DaemonTaskDefinitionArn"],
            "capacityProviderArns": list(properties["CapacityProviderArns"]),
        }
        for key, member in (
            ("EnableECSManagedTags", "enableECSManagedTags"),
            ("EnableExecuteCommand", "enableExecuteCommand"),
        ):
            if properties.get(key) is not None:
                settings[member] = str(properties[key]).lower() == "true"
        if properties.get("PropagateTags"):
            settings["propagateTags"] = properties["PropagateTags"]
        if properties.get("DeploymentConfiguration"):
            settings["deploymentConfiguration"] = camel(properties["DeploymentConfiguration"])
        return settings

    async def _attributes(self, request: ResourceRequest, arn: str) -> dict[str, Any]:
        found = (await request.call("ecs", "DescribeDaemon", {"daemonArn": arn}))["daemon"]
        return {
            "DaemonArn": found["daemonArn"],
            "DaemonStatus": found["status"],
            "CreatedAt": str(found["createdAt"]),
            "UpdatedAt": str(found["updatedAt"]),
            "DeploymentArn": found["deploymentArn"],
        }

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        params = {"daemonName": p.get("DaemonName") or request.physical_name(255), **self._settings(p)}
        if p.get("ClusterArn"):
            params["clusterArn"] = p["ClusterArn"]
        tags = _tags(request, p.get("Tags"))
        if tags:
            params["tags"] = tags
        arn = (await request.call("ecs", "CreateDaemon", params))["daemonArn"]
        return arn, await self._attributes(request, arn)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call(
            "ecs", "UpdateDaemon", {"daemonArn": request.physical_id, **self._settings(request.properties)}
        )
        return await self._attributes(request, request.physical_id)

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._attributes(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("ecs", "DeleteDaemon", {"daemonArn": request.physical_id})
        except ResourceFailed as error:
            if error.code not in ("DaemonNotFoundException", "DaemonNotActiveException"):
                raise


class ExpressGatewayService(ResourceHandler):
    """An Express service (a Fargate service with its task definition made from one container);
    its physical id is the service's ARN, and its container, size, scaling and network change in
    place through UpdateExpressGatewayService."""

    required = ("ExecutionRoleArn", "InfrastructureRoleArn", "PrimaryContainer")
    replace_on = frozenset({"Cluster", "ServiceName", "InfrastructureRoleArn"})
    name_property = "ServiceName"
    attributes = frozenset({"ServiceArn", "CreatedAt", "UpdatedAt", "Status.StatusCode", "Endpoint"})

    @staticmethod
    def _settings(properties: dict[str, Any]) -> dict[str, Any]:
        settings = camel(
            {
                k: v
                for k, v in properties.items()
                if k not in ("Tags", "Cluster", "ServiceName", "InfrastructureRoleArn")
            }
        )
        container = settings.get("primaryContainer") or {}
        if isinstance(container.get("containerPort"), str):
            container["containerPort"] = int(container["containerPort"])
        for key in ("minTaskCount", "maxTaskCount"):
            target = settings.get("scalingTarget") or {}
            if isinstance(target.get(key), str):
                target[key] = int(target[key])
        return settings

    async def _attributes(self, request: ResourceRequest, arn: str) -> dict[str, Any]:
        found = (await request.call("ecs", "DescribeExpressGatewayService", {"serviceArn": arn}))["service"]
        paths = ((found.get("activeConfigurations") or [{}])[0]).get("ingressPaths") or [{}]
        return {
            "ServiceArn": found["serviceArn"],
            "CreatedAt": str(found["createdAt"]),
            "UpdatedAt": str(found["updatedAt"]),
            "Status.StatusCode": found["status"]["statusCode"],
            "Endpoint": paths[0].get("endpoint", ""),
        }

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        params = {"infrastructureRoleArn": p["InfrastructureRoleArn"], **self._settings(p)}
        if p.get("Cluster"):
            params["cluster"] = p["Cluster"]
        params["serviceName"] = p.get("ServiceName") or request.physical_name(255)
        tags = _tags(request, p.get("Tags"))
        if tags:
            params["tags"] = tags
        arn = (await request.call("ecs", "CreateExpressGatewayService", params))["service"]["serviceArn"]
        return arn, await self._attributes(request, arn)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call(
            "ecs",
            "UpdateExpressGatewayService",
            {"serviceArn": request.physical_id, **self._settings(request.properties)},
        )
        return await self._attributes(request, request.physical_id)

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._attributes(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("ecs", "DeleteExpressGatewayService", {"serviceArn": request.physical_id})
        except ResourceFailed as error:
            if error.code not in ("ResourceNotFoundException", "ServiceNotActiveException"):
                raise
        # As for a service: the stack goes on once the service's tasks have drained.
        cluster, name = request.physical_id.split("/")[-2:]
        deadline = time.monotonic() + _DRAIN_SECONDS
        while time.monotonic() < deadline:
            try:
                found = await request.call(
                    "ecs", "DescribeServices", {"cluster": cluster, "services": [name]}
                )
            except ResourceFailed as error:
                if error.code == "ClusterNotFoundException":
                    return
                raise
            services = found.get("services") or []
            if not services or services[0].get("status") == "INACTIVE":
                return
            await asyncio.sleep(0.25)


HANDLERS: dict[str, type[ResourceHandler]] = {
    "AWS::ECS::Cluster": Cluster,
    "AWS::ECS::TaskSet": TaskSet,
    "AWS::ECS::PrimaryTaskSet": PrimaryTaskSet,
    "AWS::ECS::DaemonTaskDefinition": DaemonTaskDefinition,
    "AWS::ECS::Daemon": Daemon,
    "AWS::ECS::ExpressGatewayService": ExpressGatewayService,
    "AWS::ECS::TaskDefinition": TaskDefinition,
    "AWS::ECS::Service": Service,
    "AWS::ECS::CapacityProvider": CapacityProvider,
    "AWS::ECS::ClusterCapacityProviderAssociations": ClusterCapacityProviderAssociations,
}
