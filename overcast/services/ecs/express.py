"""ECS Express Mode services: one call that makes a Fargate service from a container image —
a task definition registered for it, the service in the cluster (`default`, created when
missing), as many tasks as the scaling target's minimum. The tasks run for real as any
service's do. AWS fronts them with a load balancer whose URL is the ingress path; Overcast's
tasks listen on the host's loopback (awsvpc tasks share the host's network), so the ingress
endpoint is the primary container's port there."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ecs.common import cluster_name, invalid, new_id, now, public, tag_list

if TYPE_CHECKING:
    from overcast.services.ecs.provider import Provider

DEFAULT_CPU, DEFAULT_MEMORY, DEFAULT_PORT = "1024", "2048", 80
CONTAINER = "Main"


def express_not_found() -> ServiceError:
    return ServiceError("ResourceNotFoundException", "The specified Express service does not exist.")


class ExpressMixin:
    def _express_definition(  # type: ignore[misc]
        self: Provider, context: RequestContext, name: str, params: dict, old: dict[str, Any] | None
    ) -> str:
        if params.get("taskDefinitionArn"):
            return str(self.find_task_definition(context, params["taskDefinitionArn"])["taskDefinitionArn"])
        base = (old or {}).get("primaryContainer") or {}
        container = {**base, **(params.get("primaryContainer") or {})}
        if not container.get("image"):
            raise invalid("primaryContainer with an image, or taskDefinitionArn, must be given.")
        definition: dict[str, Any] = {
            "name": CONTAINER,
            "image": container["image"],
            "essential": True,
            "portMappings": [
                {"containerPort": container.get("containerPort") or DEFAULT_PORT, "protocol": "tcp"}
            ],
            "environment": container.get("environment") or [],
            "secrets": container.get("secrets") or [],
        }
        if container.get("command"):
            definition["command"] = container["command"]
        if container.get("repositoryCredentials"):
            definition["repositoryCredentials"] = container["repositoryCredentials"]
        logs = container.get("awsLogsConfiguration")
        if logs:
            definition["logConfiguration"] = {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": logs["logGroup"],
                    "awslogs-stream-prefix": logs["logStreamPrefix"],
                    "awslogs-region": context.region,
                    "awslogs-create-group": "true",
                },
            }
        register: dict[str, Any] = {
            "family": f"{name}-express",
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "cpu": params.get("cpu") or (old or {}).get("cpu") or DEFAULT_CPU,
            "memory": params.get("memory") or (old or {}).get("memory") or DEFAULT_MEMORY,
            "containerDefinitions": [definition],
        }
        for key in ("executionRoleArn", "taskRoleArn"):
            value = params.get(key) or (old or {}).get(key)
            if value:
                register[key] = value
        if not register.get("executionRoleArn") and (
            definition.get("logConfiguration") or definition["secrets"]
        ):
            raise invalid(
                "executionRoleArn is required for a container that logs to CloudWatch Logs or takes secrets."
            )
        architecture = params.get("cpuArchitecture") or (old or {}).get("cpuArchitecture")
        if architecture:
            register["runtimePlatform"] = {"cpuArchitecture": architecture, "operatingSystemFamily": "LINUX"}
        return str(self.register_task_definition(context, register)["taskDefinition"]["taskDefinitionArn"])

    def _express_configuration(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        service: dict[str, Any],
        params: dict,
        old: dict[str, Any] | None,
        definition: str,
    ) -> dict[str, Any]:
        base = old or {}
        container = {**(base.get("primaryContainer") or {}), **(params.get("primaryContainer") or {})}
        port = container.get("containerPort") or DEFAULT_PORT
        config: dict[str, Any] = {
            "serviceRevisionArn": service["deployments"][0]["_revision"],
            "taskDefinitionArn": definition,
            "cpu": params.get("cpu") or base.get("cpu") or DEFAULT_CPU,
            "memory": params.get("memory") or base.get("memory") or DEFAULT_MEMORY,
            "networkConfiguration": params.get("networkConfiguration")
            or base.get("networkConfiguration")
            or {"subnets": [], "securityGroups": []},
            "healthCheckPath": params.get("healthCheckPath") or base.get("healthCheckPath") or "/ping",
            "scalingTarget": {
                **{"minTaskCount": 1, "maxTaskCount": 20},
                **(base.get("scalingTarget") or {}),
                **(params.get("scalingTarget") or {}),
            },
            "ingressPaths": [{"accessType": "PUBLIC", "endpoint": f"http://127.0.0.1:{port}"}],
            "createdAt": now(),
        }
        if container:
            config["primaryContainer"] = container
        for key in ("executionRoleArn", "taskRoleArn", "cpuArchitecture"):
            value = params.get(key) or base.get(key)
            if value:
                config[key] = value
        return config

    def _express_network(self: Provider, config: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        network = config["networkConfiguration"]
        subnets = network.get("subnets") or ["default-vpc"]
        return {
            "awsvpcConfiguration": {
                "subnets": subnets,
                "securityGroups": network.get("securityGroups") or [],
                "assignPublicIp": "ENABLED",
            }
        }

    def create_express_gateway_service(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = cluster_name(params.get("cluster"))
        existing = self.clusters.get(self.scope_of(context), cluster)
        if existing is None or existing["status"] != "ACTIVE":
            if params.get("cluster"):
                self.cluster_row(context, cluster)  # a cluster it names must exist
            self.create_cluster(context, {"clusterName": cluster})
        name = params.get("serviceName") or f"express-{new_id()[:12]}"
        definition = self._express_definition(context, name, params, None)
        minimum = ((params.get("scalingTarget") or {}).get("minTaskCount")) or 1
        created = self.create_service(
            context,
            {
                "cluster": cluster,
                "serviceName": name,
                "taskDefinition": definition,
                "desiredCount": minimum,
                "launchType": "FARGATE",
                "networkConfiguration": self._express_network(
                    {"networkConfiguration": params.get("networkConfiguration") or {}}
                ),
                "tags": params.get("tags") or [],
            },
        )["service"]
        service = self.services.get(self.scope_of(context), f"{cluster}/{name}")
        config = self._express_configuration(context, service, params, None, definition)
        record = {
            "cluster": created["clusterArn"],
            "serviceName": name,
            "serviceArn": created["serviceArn"],
            "infrastructureRoleArn": params["infrastructureRoleArn"],
            "status": {"statusCode": "ACTIVE"},
            "currentDeployment": service["deployments"][0]["_deployment_arn"],
            "activeConfigurations": [config],
            "createdAt": now(),
            "updatedAt": now(),
            "_tags": {t["key"]: t.get("value", "") for t in params.get("tags") or []},
        }
        self.daemons.put(self.scope_of(context), "express|" + created["serviceArn"], record)
        return {"service": self._express_output(record)}

    def _express_output(self: Provider, record: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        out = public(record)
        out["tags"] = tag_list(record.get("_tags"))
        return out

    def _express(self: Provider, context: RequestContext, service_arn: str) -> dict[str, Any]:  # type: ignore[misc]
        record = self.daemons.get(self.scope_of(context), "express|" + service_arn)
        if record is None:
            raise express_not_found()
        return dict(record)

    def describe_express_gateway_service(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._express(context, params["serviceArn"])
        cluster, name = record["serviceArn"].split("/")[-2:]
        service = self.services.get(self.scope_of(context), f"{cluster}/{name}")
        if service is not None and service["status"] != "ACTIVE":
            record["status"] = {"statusCode": service["status"]}
        return {"service": self._express_output(record)}

    def update_express_gateway_service(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._express(context, params["serviceArn"])
        if record["status"]["statusCode"] != "ACTIVE":
            raise ServiceError("ServiceNotActiveException", "Service was not ACTIVE.")
        old = record["activeConfigurations"][0]
        cluster, name = record["serviceArn"].split("/")[-2:]
        definition = self._express_definition(context, name, params, old)
        update: dict[str, Any] = {"cluster": cluster, "service": name, "taskDefinition": definition}
        scaling = {**old["scalingTarget"], **(params.get("scalingTarget") or {})}
        update["desiredCount"] = scaling["minTaskCount"]
        if params.get("networkConfiguration"):
            update["networkConfiguration"] = self._express_network(
                {"networkConfiguration": params["networkConfiguration"]}
            )
        self.update_service(context, update)
        service = self.services.get(self.scope_of(context), f"{cluster}/{name}")
        config = self._express_configuration(context, service, params, old, definition)
        record["activeConfigurations"] = [config]
        record["currentDeployment"] = service["deployments"][0]["_deployment_arn"]
        record["updatedAt"] = now()
        self.daemons.put(self.scope_of(context), "express|" + record["serviceArn"], record)
        return {
            "service": {
                "serviceArn": record["serviceArn"], "cluster": record["cluster"], "serviceName": record["serviceName"],
                "status": record["status"], "targetConfiguration": config,
                "createdAt": record["createdAt"], "updatedAt": record["updatedAt"],
            }
        }  # fmt: skip

    def delete_express_gateway_service(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._express(context, params["serviceArn"])
        if record["status"]["statusCode"] != "ACTIVE":
            raise ServiceError("ServiceNotActiveException", "Service was not ACTIVE.")
        cluster, name = record["serviceArn"].split("/")[-2:]
        self.delete_service(context, {"cluster": cluster, "service": name, "force": True})
        record["status"] = {"statusCode": "DRAINING"}
        record["updatedAt"] = now()
        self.daemons.put(self.scope_of(context), "express|" + record["serviceArn"], record)
        return {"service": self._express_output(record)}
