"""RunTask, StartTask, StopTask and the task listings; task protection; what ECS's container
agent reports (SubmitTaskStateChange and friends); ExecuteCommand's refusal."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ecs.common import (
    arn,
    client_error,
    cluster_name,
    invalid,
    new_id,
    now,
    tag_list,
    tag_map,
)
from overcast.services.ecs.runner import TaskRun

if TYPE_CHECKING:
    from overcast.services.ecs.provider import Provider

MAX_PROTECTION_MINUTES = 2880
FARGATE_PLATFORM = "1.4.0"


#: The fields of a task row that are Overcast's own (its containers have none).
_PRIVATE = ("_tags", "_protection", "_definition", "_tokens", "_credentials_token")


def task_output(row: dict[str, Any], include_tags: bool = False) -> dict[str, Any]:
    # DescribeTasks' hot path: drop the known private fields rather than test every key.
    out = dict(row)
    for key in _PRIVATE:
        out.pop(key, None)
    if include_tags:
        out["tags"] = tag_list(row.get("_tags"))
    return out


def task_key(cluster: str, reference: str) -> str:
    return f"{cluster}/{reference.rsplit('/', 1)[-1]}"


class TaskMixin:
    # -- starting ------------------------------------------------------------------------------

    def launch_type_of(  # type: ignore[misc]
        self: Provider, context: RequestContext, cluster: dict[str, Any], params: dict
    ) -> tuple[str, list[dict]]:
        """(launch type, capacity provider strategy) a task or service gets."""
        launch, strategy = params.get("launchType"), params.get("capacityProviderStrategy")
        if launch and strategy:
            raise invalid(
                "Specifying both a launch type and capacity provider strategy is not supported. "
                "Remove one and try again."
            )
        if strategy:
            for item in strategy:
                if item["capacityProvider"] not in cluster.get("capacityProviders", []):
                    raise invalid(
                        f"The specified capacity provider strategy cannot contain a capacity "
                        f"provider that is not associated with the cluster. Associate the capacity "
                        f"provider {item['capacityProvider']} with the cluster or specify a valid "
                        "capacity provider and try again."
                    )
        elif not launch and cluster.get("defaultCapacityProviderStrategy"):
            strategy = cluster["defaultCapacityProviderStrategy"]
        if strategy:
            first = strategy[0]["capacityProvider"]
            return ("FARGATE" if first in ("FARGATE", "FARGATE_SPOT") else "EC2"), list(strategy)
        return launch or "EC2", []

    def check_network(self: Provider, definition: dict[str, Any], network: dict | None, launch: str) -> None:  # type: ignore[misc]
        mode = definition["networkMode"]
        if launch == "FARGATE" and "FARGATE" not in definition["compatibilities"]:
            raise client_error("Task definition does not support launch_type FARGATE.")
        if launch == "EXTERNAL" and "EXTERNAL" not in definition["compatibilities"]:
            raise client_error("Task definition does not support launch_type EXTERNAL.")
        if mode == "awsvpc":
            config = (network or {}).get("awsvpcConfiguration")
            if not config:
                raise invalid(
                    "Network Configuration must be provided when networkMode 'awsvpc' is specified."
                )
            if not config.get("subnets"):
                raise invalid("subnets can not be empty.")
            if len(config["subnets"]) > 16 or len(config.get("securityGroups") or []) > 5:
                raise invalid("At most 16 subnets and 5 security groups are allowed.")
        elif network:
            raise invalid(
                "Network Configuration is not valid for the given networkMode of this task definition."
            )

    def new_task(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        cluster: dict[str, Any],
        definition: dict[str, Any],
        params: dict,
        launch: str,
        strategy: list[dict],
        group: str,
        started_by: str | None,
        instance_arn: str | None = None,
    ) -> dict[str, Any]:
        """A task's row, PROVISIONING (awsvpc) or PENDING, stored; its run not yet begun."""
        task_id = new_id()
        name = cluster["clusterName"]
        task_arn = arn(context.region, context.account, f"task/{name}/{task_id}")
        overrides = params.get("overrides") or {}
        overrides.setdefault("containerOverrides", [])
        overrides.setdefault("inferenceAcceleratorOverrides", [])
        awsvpc = definition["networkMode"] == "awsvpc"
        containers = []
        tokens = {}
        for container in definition["containerDefinitions"]:
            entry: dict[str, Any] = {
                "containerArn": arn(
                    context.region,
                    context.account,
                    f"container/{name}/{task_id}/{new_id()[:8]}-{new_id()[:4]}",
                ),
                "taskArn": task_arn,
                "name": container["name"],
                "image": container["image"],
                "lastStatus": "PENDING",
                "networkBindings": [],
                "networkInterfaces": [],
                "cpu": str(container.get("cpu", 0)),
            }
            if container.get("memory") is not None:
                entry["memory"] = str(container["memory"])
            if container.get("memoryReservation") is not None:
                entry["memoryReservation"] = str(container["memoryReservation"])
            if container.get("healthCheck"):
                entry["healthStatus"] = "UNKNOWN"
            if awsvpc:
                entry["networkInterfaces"] = [{"attachmentId": "", "privateIpv4Address": "127.0.0.1"}]
            containers.append(entry)
            tokens[container["name"]] = secrets.token_hex(16)
        row: dict[str, Any] = {
            "taskArn": task_arn,
            "clusterArn": cluster["clusterArn"],
            "taskDefinitionArn": definition["taskDefinitionArn"],
            "overrides": overrides,
            "lastStatus": "PROVISIONING" if awsvpc else "PENDING",
            "desiredStatus": "RUNNING",
            "containers": containers,
            "createdAt": now(),
            "version": 1,
            "launchType": launch,
            "group": group,
            "attachments": [],
            "availabilityZone": f"{context.region}a",
            "connectivity": "CONNECTED",
            "enableExecuteCommand": bool(params.get("enableExecuteCommand")),
            "tags": [],
            "_tags": tag_map(params.get("tags")),
        }
        # What only the task's run and endpoints read lives apart, so listings stay cheap.
        spec = {"_definition": definition, "_tokens": tokens, "_credentials_token": secrets.token_urlsafe(32)}
        if strategy:
            row["capacityProviderName"] = strategy[0]["capacityProvider"]
            if not row["capacityProviderName"].startswith("FARGATE"):
                row.pop("launchType")
        if launch == "FARGATE":
            row["platformVersion"] = params.get("platformVersion") or FARGATE_PLATFORM
            row["platformFamily"] = "Linux"
            row["ephemeralStorage"] = definition.get("ephemeralStorage") or {"sizeInGiB": 20}
        if instance_arn:
            row["containerInstanceArn"] = instance_arn
        if started_by:
            row["startedBy"] = started_by
        for key in ("cpu", "memory"):
            value = overrides.get(key) or definition.get(key)
            if value is not None:
                row[key] = str(value)
        if awsvpc:
            config = (params.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
            attachment_id = f"{new_id()[:8]}-{new_id()[:4]}-{new_id()[:4]}-{new_id()[:4]}-{new_id()[:12]}"
            row["attachments"] = [
                {
                    "id": attachment_id,
                    "type": "ElasticNetworkInterface",
                    "status": "PRECREATED",
                    "details": [
                        {"name": "subnetId", "value": (config.get("subnets") or [""])[0]},
                        {"name": "networkInterfaceId", "value": "eni-" + new_id()[:17]},
                        {"name": "macAddress", "value": "02:00:00:00:00:01"},
                        {"name": "privateDnsName", "value": "localhost"},
                        {"name": "privateIPv4Address", "value": "127.0.0.1"},
                    ],
                }
            ]
            for container in containers:
                container["networkInterfaces"][0]["attachmentId"] = attachment_id
        if params.get("propagateTags") == "TASK_DEFINITION":
            row["_tags"] = {**(definition.get("_tags") or {}), **row["_tags"]}
        if params.get("enableECSManagedTags"):
            # ECS's own tags, which users may not set (their aws: prefix is reserved).
            row["_tags"]["aws:ecs:clusterName"] = name
            if group.startswith("service:"):
                row["_tags"]["aws:ecs:serviceName"] = group.split(":", 1)[1]
        scope = self.scope_of(context)
        key = f"{name}/{task_id}"
        with self.store.transaction():
            self.tasks.put(scope, key, row)
            self.specs.put(scope, key, spec)
            for container_name, token in tokens.items():
                self.endpoints.put("all", token, {"scope": scope, "key": key, "container": container_name})
            self.endpoints.put("all", "task-" + task_id, {"scope": scope, "key": key})
        return row

    def launch(self: Provider, context: RequestContext, row: dict[str, Any]) -> None:  # type: ignore[misc]
        """Begin the task's run on the engine (in the background)."""
        scope = self.scope_of(context)
        key = task_key(row["clusterArn"].rsplit("/", 1)[-1], row["taskArn"])
        run = TaskRun(scope, key, context.account, context.region, row["taskArn"])
        self.runs[row["taskArn"]] = run
        self.task_event(context.account, context.region, row)
        self.runtime.spawn(self.execute_run(run), f"ecs task {row['taskArn']}")

    def run_task(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = self.cluster_row(context, params.get("cluster"))
        count = params.get("count", 1)
        if not 1 <= count <= 10:
            raise invalid("count must be between 1 and 10.")
        definition = self.find_task_definition(context, params["taskDefinition"])
        if definition["status"] != "ACTIVE":
            raise client_error("TaskDefinition is inactive")
        launch, strategy = self.launch_type_of(context, cluster, params)
        self.check_network(definition, params.get("networkConfiguration"), launch)
        group = params.get("group") or f"family:{definition['family']}"
        rows = [
            self.new_task(
                context, cluster, definition, params, launch, strategy, group, params.get("startedBy")
            )
            for _ in range(count)
        ]
        for row in rows:
            self.launch(context, row)
        return {"tasks": [task_output(r) for r in rows], "failures": []}

    def start_task(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = self.cluster_row(context, params.get("cluster"))
        definition = self.find_task_definition(context, params["taskDefinition"])
        if definition["status"] != "ACTIVE":
            raise client_error("TaskDefinition is inactive")
        self.check_network(definition, params.get("networkConfiguration"), "EC2")
        instances = params["containerInstances"]
        if not 1 <= len(instances) <= 10:
            raise invalid("containerInstances must list between 1 and 10 container instances.")
        rows, failures = [], []
        scope = self.scope_of(context)
        for reference in instances:
            instance = self.instances.get(scope, f"{cluster['clusterName']}/{reference.rsplit('/', 1)[-1]}")
            if instance is None:
                failures.append({"arn": reference, "reason": "MISSING"})
                continue
            rows.append(
                self.new_task(
                    context,
                    cluster,
                    definition,
                    params,
                    "EC2",
                    [],
                    params.get("group") or f"family:{definition['family']}",
                    params.get("startedBy"),
                    instance["containerInstanceArn"],
                )
            )
        for row in rows:
            self.launch(context, row)
        return {"tasks": [task_output(r) for r in rows], "failures": failures}

    # -- stopping ------------------------------------------------------------------------------

    def stop_task(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = self.cluster_row(context, params.get("cluster"))
        key = task_key(cluster["clusterName"], params["task"])
        scope = self.scope_of(context)
        row = self.tasks.get(scope, key)
        if row is None:
            raise invalid("The referenced task was not found.")
        reason = params.get("reason") or "Task stopped by user"
        self.stop_one(context.account, context.region, scope, key, "UserInitiated", reason)
        return {"task": task_output(self.tasks.get(scope, key))}

    def stop_one(  # type: ignore[misc]
        self: Provider, account: str, region: str, scope: str, key: str, code: str, reason: str
    ) -> None:
        """Ask a task to stop: its run stops its containers; a task with no run here (its
        Overcast restarted) is STOPPED at once."""
        row = self.tasks.get(scope, key)
        if row is None or row["desiredStatus"] == "STOPPED":
            return
        run = self.runs.get(row["taskArn"])
        if run is not None:
            self.update_task(
                run, desiredStatus="STOPPED", stopCode=code, stoppedReason=reason, stoppingAt=now()
            )
            self.request_stop(run, code, reason)
            return
        orphan = TaskRun(scope, key, account, region, row["taskArn"])
        row = self.full_task(scope, key) or row
        self.update_task(
            orphan,
            desiredStatus="STOPPED",
            lastStatus="STOPPED",
            stopCode=code,
            stoppedReason=reason,
            stoppingAt=now(),
            stoppedAt=now(),
            _containers={c["name"]: {"lastStatus": "STOPPED"} for c in row["containers"]},
        )
        self.forget_tokens(row)

    # -- listings ------------------------------------------------------------------------------

    def describe_tasks(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = self.cluster_row(context, params.get("cluster"))
        scope = self.scope_of(context)
        include_tags = "TAGS" in (params.get("include") or [])
        if len(params["tasks"]) > 100:
            raise invalid("Tasks cannot be more than 100.")
        found, failures = [], []
        for reference in params["tasks"]:
            row = self.tasks.get(scope, task_key(cluster["clusterName"], reference))
            if row is None:
                failures.append({"arn": reference, "reason": "MISSING"})
            else:
                found.append(task_output(row, include_tags))
        return {"tasks": found, "failures": failures}

    def list_tasks(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = self.cluster_row(context, params.get("cluster"))
        desired = params.get("desiredStatus") or "RUNNING"
        family = params.get("family")
        service = params.get("serviceName")
        if family and service:
            raise invalid("family and serviceName cannot both be specified.")
        instance = params.get("containerInstance")
        arns = []
        for _, row in self.tasks.scan(self.scope_of(context), prefix=cluster["clusterName"] + "/"):
            if row["desiredStatus"] != desired:
                continue
            if family and row["taskDefinitionArn"].rsplit("/", 1)[-1].rsplit(":", 1)[0] != family:
                continue
            if service and row.get("group") != f"service:{cluster_name(service)}":
                continue
            if params.get("startedBy") and row.get("startedBy") != params["startedBy"]:
                continue
            if params.get("launchType") and row.get("launchType") != params["launchType"]:
                continue
            if instance and not str(row.get("containerInstanceArn", "")).endswith(
                instance.rsplit("/", 1)[-1]
            ):
                continue
            arns.append(row["taskArn"])
        return self.page(context, "ListTasks", params, arns)

    # -- protection ----------------------------------------------------------------------------

    def _protection(self: Provider, row: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        protection = row.get("_protection") or {}
        expires = protection.get("expirationDate")
        enabled = bool(protection.get("protectionEnabled")) and (expires is None or expires > now())
        out: dict[str, Any] = {"taskArn": row["taskArn"], "protectionEnabled": enabled}
        if enabled and expires is not None:
            out["expirationDate"] = expires
        return out

    def get_task_protection(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = self.cluster_row(context, params.get("cluster"))
        scope = self.scope_of(context)
        found, failures = [], []
        references = params.get("tasks") or [
            row["taskArn"]
            for _, row in self.tasks.scan(scope, prefix=cluster["clusterName"] + "/")
            if str(row.get("group", "")).startswith("service:") and row["desiredStatus"] == "RUNNING"
        ]
        for reference in references:
            row = self.tasks.get(scope, task_key(cluster["clusterName"], reference))
            if row is None:
                failures.append(
                    {"arn": reference, "reason": "TASK_NOT_VALID", "detail": "The task was not found."}
                )
            elif not str(row.get("group", "")).startswith("service:"):
                failures.append(
                    {
                        "arn": reference,
                        "reason": "TASK_NOT_VALID",
                        "detail": "The task is not part of a service.",
                    }
                )
            else:
                found.append(self._protection(row))
        return {"protectedTasks": found, "failures": failures}

    def update_task_protection(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from datetime import timedelta

        cluster = self.cluster_row(context, params.get("cluster"))
        scope = self.scope_of(context)
        minutes = params.get("expiresInMinutes", 120)
        if not 1 <= minutes <= MAX_PROTECTION_MINUTES:
            raise invalid(f"expiresInMinutes must be between 1 and {MAX_PROTECTION_MINUTES}.")
        found, failures = [], []
        for reference in params["tasks"]:
            key = task_key(cluster["clusterName"], reference)
            with self.store.transaction():
                row = self.tasks.get(scope, key)
                if row is None or row["desiredStatus"] == "STOPPED":
                    failures.append(
                        {
                            "arn": reference,
                            "reason": "TASK_NOT_VALID",
                            "detail": "The task was not found or is stopping.",
                        }
                    )
                    continue
                if not str(row.get("group", "")).startswith("service:"):
                    failures.append(
                        {
                            "arn": reference,
                            "reason": "TASK_NOT_VALID",
                            "detail": "The task is not part of a service.",
                        }
                    )
                    continue
                if params["protectionEnabled"]:
                    row["_protection"] = {
                        "protectionEnabled": True,
                        "expirationDate": now() + timedelta(minutes=minutes),
                    }
                else:
                    row["_protection"] = {"protectionEnabled": False}
                self.tasks.put(scope, key, row)
            found.append(self._protection(row))
        return {"protectedTasks": found, "failures": failures}

    # -- the container agent's reports ---------------------------------------------------------

    def _agent_task(self: Provider, context: RequestContext, params: dict) -> tuple[str, str, dict[str, Any]]:  # type: ignore[misc]
        cluster = self.cluster_row(context, params.get("cluster"))
        if not params.get("task"):
            raise invalid("task must be specified.")
        scope = self.scope_of(context)
        key = task_key(cluster["clusterName"], params["task"])
        row = self.tasks.get(scope, key)
        if row is None:
            raise invalid("The referenced task was not found.")
        if row["taskArn"] in self.runs:
            raise ServiceError(
                "AccessDeniedException",
                "The task is run by this endpoint's own container engine: no agent reports its state.",
            )
        return scope, key, row

    def submit_task_state_change(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, key, row = self._agent_task(context, params)
        if params.get("status"):
            row["lastStatus"] = params["status"]
        if params.get("reason"):
            row["stoppedReason"] = params["reason"]
        for name in ("pullStartedAt", "pullStoppedAt", "executionStoppedAt"):
            if params.get(name):
                row[name] = params[name]
        by_name = {c["name"]: c for c in row["containers"]}
        for change in params.get("containers") or []:
            container = by_name.get(change.get("containerName"))
            if container is not None:
                for field in ("status", "exitCode", "reason", "networkBindings", "runtimeId", "imageDigest"):
                    if change.get(field) is not None:
                        container["lastStatus" if field == "status" else field] = change[field]
        for change in params.get("attachments") or []:
            for attachment in row["attachments"]:
                if attachment["id"] == change["attachmentArn"].rsplit("/", 1)[-1]:
                    attachment["status"] = change["status"]
        row["version"] = row.get("version", 1) + 1
        self.tasks.put(scope, key, row)
        return {"acknowledgment": "ACK"}

    def submit_container_state_change(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, key, row = self._agent_task(context, params)
        for container in row["containers"]:
            if container["name"] == params.get("containerName"):
                if params.get("status"):
                    container["lastStatus"] = params["status"]
                for field in ("exitCode", "reason", "networkBindings", "runtimeId"):
                    if params.get(field) is not None:
                        container[field] = params[field]
                break
        else:
            raise invalid("The referenced container was not found.")
        self.tasks.put(scope, key, row)
        return {"acknowledgment": "ACK"}

    def submit_attachment_state_changes(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = self.cluster_row(context, params.get("cluster"))
        scope = self.scope_of(context)
        for change in params["attachments"]:
            attachment_id = change["attachmentArn"].rsplit("/", 1)[-1]
            for key, row in self.tasks.scan(scope, prefix=cluster["clusterName"] + "/"):
                hit = [a for a in row.get("attachments", []) if a["id"] == attachment_id]
                if hit:
                    hit[0]["status"] = change["status"]
                    self.tasks.put(scope, key, row)
                    break
            else:
                raise invalid(f"The attachment {change['attachmentArn']} was not found.")
        return {"acknowledgment": "ACK"}

    def discover_poll_endpoint(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        if params.get("cluster"):
            self.cluster_row(context, params["cluster"])
        endpoint = self.endpoint() + "/"
        return {"endpoint": endpoint, "telemetryEndpoint": endpoint, "serviceConnectEndpoint": endpoint}

    def execute_command(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = self.cluster_row(context, params.get("cluster"))
        row = self.tasks.get(self.scope_of(context), task_key(cluster["clusterName"], params["task"]))
        if row is None:
            raise invalid("The referenced task was not found.")
        if not params.get("interactive"):
            raise invalid("Interactive is the only mode supported currently.")
        if not row.get("enableExecuteCommand") or row["lastStatus"] != "RUNNING":
            raise invalid(
                "The execute command failed because execute command was not enabled when the "
                "task was run or the execute command agent isn’t running. Wait and try again or "
                "run a new task with execute command enabled and try again."
            )
        raise ServiceError(
            "TargetNotConnectedException",
            "The execute command failed due to an internal error. Try again later.",
        )
