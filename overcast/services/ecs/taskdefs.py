"""Task definitions: every revision of a family, each container definition stored as given
(every field AWS has comes back), checked the way ECS checks them at registration."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.services.ecs.common import (
    NAME,
    arn,
    client_error,
    last_part,
    now,
    public,
    tag_list,
    tag_map,
)

if TYPE_CHECKING:
    from overcast.services.ecs.provider import Provider

#: Fargate's task sizes: cpu units → the memory sizes (MiB) it allows.
FARGATE_SIZES: dict[int, range] = {
    256: range(512, 2049, 512),
    512: range(1024, 4097, 1024),
    1024: range(2048, 8193, 1024),
    2048: range(4096, 16385, 1024),
    4096: range(8192, 30721, 1024),
    8192: range(16384, 61441, 4096),
    16384: range(32768, 122881, 8192),
}
NETWORK_MODES = ("bridge", "host", "awsvpc", "none")
DEPENDENCY_CONDITIONS = ("START", "COMPLETE", "SUCCESS", "HEALTHY")
_VCPU = re.compile(r"^\s*(\d*\.?\d+)\s*vcpu\s*$", re.I)
_GB = re.compile(r"^\s*(\d*\.?\d+)\s*gb\s*$", re.I)
_MB = re.compile(r"^\s*(\d+)\s*(?:mb|mib)?\s*$", re.I)
#: Attributes a container definition's features require of the instance, as ECS lists them.
REQUIRES = (
    ("logConfiguration", "com.amazonaws.ecs.capability.logging-driver.{driver}"),
    ("healthCheck", "com.amazonaws.ecs.capability.container-health-check"),
    ("secrets", "ecs.capability.secrets.asm.environment-variables"),
    ("dependsOn", "ecs.capability.container-ordering"),
)


def task_cpu(value: Any) -> str | None:
    """Task-level cpu as ECS stores it: units as a string ("1 vCPU" → "1024")."""
    if value is None or value == "":
        return None
    text = str(value)
    match = _VCPU.match(text)
    if match:
        return str(int(float(match.group(1)) * 1024))
    if text.strip().isdigit():
        return text.strip()
    raise client_error(f"Invalid 'cpu' setting for task. {text!r} is not a valid number of cpu units.")


def task_memory(value: Any) -> str | None:
    """Task-level memory as ECS stores it: MiB as a string ("1 GB" → "1024")."""
    if value is None or value == "":
        return None
    text = str(value)
    match = _GB.match(text)
    if match:
        return str(int(float(match.group(1)) * 1024))
    match = _MB.match(text)
    if match:
        return match.group(1)
    raise client_error(f"Invalid 'memory' setting for task. {text!r} is not a valid amount of memory.")


def _check_container(container: dict[str, Any], mode: str, task_memory_set: bool, fargate: bool) -> None:
    name = container.get("name")
    if not name or not NAME.match(name):
        raise client_error(
            "Container.name should not be null or empty."
            if not name
            else f"Container name '{name}' can contain only letters, numbers, hyphens and underscores."
        )
    if not container.get("image"):
        raise client_error("Container.image should not be null or empty.")
    memory, reservation = container.get("memory"), container.get("memoryReservation")
    if not task_memory_set and memory is None and reservation is None:
        raise client_error(
            f"Invalid setting for container '{name}'. At least one of 'memory' or "
            "'memoryReservation' must be specified."
        )
    for key, value in (("memory", memory), ("memoryReservation", reservation)):
        if value is not None and value < 6:
            raise client_error(
                f"Invalid '{key}' setting for container '{name}'. The memory must be at least 6 MiB."
            )
    if memory is not None and reservation is not None and reservation > memory:
        raise client_error(
            f"Invalid setting for container '{name}'. The 'memoryReservation' must be less "
            "than or equal to 'memory'."
        )
    for mapping in container.get("portMappings") or []:
        port, host = mapping.get("containerPort"), mapping.get("hostPort")
        if port is None and not mapping.get("containerPortRange"):
            raise client_error("Container port must be specified in a port mapping.")
        if mode in ("awsvpc", "host") and host not in (None, port):
            raise client_error(
                f"When networkMode={mode}, the host ports and container ports in port mappings must match."
            )
        if mapping.get("protocol") not in (None, "tcp", "udp"):
            raise client_error("Protocol must be 'tcp' or 'udp'.")
    if container.get("links") and mode != "bridge":
        raise client_error(f"Links are not supported when networkMode={mode}.")
    log = container.get("logConfiguration")
    if log and log.get("logDriver") == "awslogs":
        options = log.get("options") or {}
        if not options.get("awslogs-group"):
            raise client_error("Log driver awslogs requires options: awslogs-group")
        if fargate and not options.get("awslogs-stream-prefix"):
            raise client_error("Log driver awslogs requires options: awslogs-stream-prefix")
    restart = container.get("restartPolicy")
    if restart is not None:
        period = restart.get("restartAttemptPeriod")
        if period is not None and not 60 <= period <= 1800:
            raise client_error(
                f"Invalid 'restartPolicy' setting for container '{name}'. 'restartAttemptPeriod' "
                "must be between 60 and 1800 seconds."
            )
        if len(restart.get("ignoredExitCodes") or []) > 50:
            raise client_error(
                f"Invalid 'restartPolicy' setting for container '{name}'. At most 50 ignoredExitCodes are allowed."
            )
    check = container.get("healthCheck")
    if check is not None:
        command = check.get("command") or []
        if not command or command[0] not in ("CMD", "CMD-SHELL", "NONE"):
            raise client_error(
                f"Invalid 'healthCheck' setting for container '{name}'. The command must begin "
                "with CMD, CMD-SHELL or NONE."
            )
        for key, low, high in (
            ("interval", 5, 300),
            ("timeout", 2, 120),
            ("retries", 1, 10),
            ("startPeriod", 0, 300),
        ):
            if check.get(key) is not None and not low <= check[key] <= high:
                raise client_error(
                    f"Invalid 'healthCheck' setting for container '{name}'. '{key}' must be "
                    f"between {low} and {high}."
                )


def _check_dependencies(containers: list[dict[str, Any]]) -> None:
    by_name = {c["name"]: c for c in containers}
    if len(by_name) != len(containers):
        raise client_error("Container names must be unique within a task definition.")
    for container in containers:
        for dependency in container.get("dependsOn") or []:
            target = by_name.get(dependency.get("containerName"))
            if target is None:
                raise client_error(
                    f"Container {container['name']} depends on the container "
                    f"{dependency.get('containerName')}, which is not in the task definition."
                )
            condition = dependency.get("condition")
            if condition not in DEPENDENCY_CONDITIONS:
                raise client_error(f"Invalid dependency condition {condition!r}.")
            if condition == "HEALTHY" and not target.get("healthCheck"):
                raise client_error(
                    f"Dependency condition HEALTHY for container {target['name']} requires it "
                    "to have a healthCheck."
                )
            if condition in ("COMPLETE", "SUCCESS") and target.get("essential", True):
                raise client_error(
                    f"Container {target['name']} is essential: another container cannot depend "
                    f"on it with condition {condition}."
                )
    seen: set[str] = set()
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        if name in visiting:
            raise client_error("Container dependencies must not form a cycle.")
        visiting.add(name)
        for dependency in by_name[name].get("dependsOn") or []:
            visit(dependency["containerName"])
        visiting.discard(name)
        seen.add(name)

    for name in by_name:
        visit(name)


def validate(params: dict[str, Any]) -> dict[str, Any]:
    """The task definition a RegisterTaskDefinition request describes, checked; the fields
    ECS derives (compatibilities, requiresAttributes) are filled in."""
    family = params["family"]
    if not NAME.match(family):
        raise client_error(
            "Family contains invalid characters: up to 255 letters (uppercase and lowercase), "
            "numbers, underscores, and hyphens are allowed."
        )
    containers = [dict(c) for c in params.get("containerDefinitions") or []]
    if not containers:
        raise client_error("Container list cannot be empty.")
    requires = list(params.get("requiresCompatibilities") or [])
    fargate = "FARGATE" in requires
    mode = params.get("networkMode") or "bridge"
    if mode not in NETWORK_MODES:
        raise client_error(f"Invalid networkMode {mode!r}.")
    cpu = task_cpu(params.get("cpu"))
    memory = task_memory(params.get("memory"))
    if fargate:
        if mode != "awsvpc":
            raise client_error("Fargate only supports network mode 'awsvpc'.")
        if cpu is None:
            raise client_error("Fargate requires that 'cpu' be defined at the task level.")
        if memory is None:
            raise client_error("Fargate requires that 'memory' be defined at the task level.")
        if int(cpu) not in FARGATE_SIZES or int(memory) not in FARGATE_SIZES[int(cpu)]:
            raise client_error(
                f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. "
                "See the Amazon ECS documentation for the valid combinations."
            )
        for container in containers:
            log = container.get("logConfiguration") or {}
            if log.get("logDriver") == "awslogs" and not params.get("executionRoleArn"):
                raise client_error(
                    "Fargate requires task definition to have execution role ARN to support log driver awslogs."
                )
            if container.get("secrets") and not params.get("executionRoleArn"):
                raise client_error(
                    "Fargate requires task definition to have execution role ARN to support ECR images and secrets."
                )
    if memory is not None:
        total = sum(c.get("memory") or c.get("memoryReservation") or 0 for c in containers)
        if total > int(memory):
            raise client_error(
                f"The sum of the container memory reservations exceeds the task memory of {memory} MiB."
            )
    for container in containers:
        _check_container(container, mode, memory is not None, fargate)
        container.setdefault("essential", True)
        for key in ("environment", "mountPoints", "volumesFrom", "portMappings"):
            container.setdefault(key, [])
        container.setdefault("cpu", 0)
        for mapping in container["portMappings"]:
            mapping.setdefault("protocol", "tcp")
            if mode in ("awsvpc", "host") and "containerPort" in mapping:
                mapping.setdefault("hostPort", mapping["containerPort"])
    if not any(c["essential"] for c in containers):
        raise client_error("Task definition must contain at least one essential container.")
    _check_dependencies(containers)
    volumes = [dict(v) for v in params.get("volumes") or []]
    volume_names = {v.get("name") for v in volumes}
    for container in containers:
        for mount in container["mountPoints"]:
            if mount.get("sourceVolume") not in volume_names:
                raise client_error(
                    f"Invalid 'mountPoints' setting for container '{container['name']}'. The "
                    f"source volume {mount.get('sourceVolume')!r} is not a volume of the task definition."
                )
    compatibilities = ["EC2"]
    if mode != "awsvpc":
        compatibilities.append("EXTERNAL")
    elif (
        cpu is not None
        and memory is not None
        and int(memory) in FARGATE_SIZES.get(int(cpu), ())
        and not any(v.get("host") for v in volumes)
    ):
        compatibilities.append("FARGATE")
    for wanted in requires:
        if wanted not in compatibilities and wanted not in ("MANAGED_INSTANCES",):
            raise client_error(f"Task definition does not support compatibility {wanted}.")
    attributes: list[dict[str, str]] = []
    for container in containers:
        for key, attribute in REQUIRES:
            if container.get(key):
                value = attribute.format(
                    driver=(container.get("logConfiguration") or {}).get("logDriver", "")
                )
                if {"name": value} not in attributes:
                    attributes.append({"name": value})
    if params.get("taskRoleArn"):
        attributes.append({"name": "com.amazonaws.ecs.capability.task-iam-role"})
    definition: dict[str, Any] = {
        "family": family,
        "containerDefinitions": containers,
        "networkMode": mode,
        "volumes": volumes,
        "placementConstraints": list(params.get("placementConstraints") or []),
        "compatibilities": compatibilities,
        "requiresAttributes": attributes,
        "requiresCompatibilities": requires,
    }
    for key in (
        "taskRoleArn",
        "executionRoleArn",
        "pidMode",
        "ipcMode",
        "proxyConfiguration",
        "inferenceAccelerators",
        "ephemeralStorage",
        "runtimePlatform",
        "enableFaultInjection",
    ):
        if params.get(key) is not None:
            definition[key] = params[key]
    if cpu is not None:
        definition["cpu"] = cpu
    if memory is not None:
        definition["memory"] = memory
    return definition


class TaskDefinitionMixin:
    def register_task_definition(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        definition = validate(params)
        tags = tag_map(params.get("tags"))
        scope = self.scope_of(context)
        family = definition["family"]
        with self.store.transaction():
            record = self.families.get(scope, family) or {"latest": 0}
            revision = record["latest"] + 1
            record["latest"] = revision
            self.families.put(scope, family, record)
            definition.update(
                taskDefinitionArn=arn(
                    context.region, context.account, f"task-definition/{family}:{revision}"
                ),
                revision=revision,
                status="ACTIVE",
                registeredAt=now(),
                registeredBy=context.principal_arn,
                _tags=tags,
            )
            self.taskdefs.put(scope, _key(family, revision), definition)
        out: dict[str, Any] = {"taskDefinition": public(definition)}
        if tags:
            out["tags"] = tag_list(tags)
        return out

    def find_task_definition(  # type: ignore[misc]
        self: Provider, context: RequestContext, reference: str, *, active_only: bool = False
    ) -> dict[str, Any]:
        """A task definition by family (its latest ACTIVE revision), family:revision or ARN."""
        name = last_part(reference)
        scope = self.scope_of(context)
        family, _, revision = name.partition(":")
        if revision:
            if not revision.isdigit():
                raise client_error("Invalid revision number. Number: " + revision)
            row = self.taskdefs.get(scope, _key(family, int(revision)))
        else:
            row = None
            for _, candidate in self.taskdefs.scan(scope, prefix=family + "|", reverse=True):
                if candidate["status"] == "ACTIVE":
                    row = candidate
                    break
        if row is None or (active_only and row["status"] != "ACTIVE"):
            raise client_error(
                "Unable to describe task definition."
                if not active_only
                else f"TaskDefinition not found: {reference}"
            )
        return dict(row)

    def describe_task_definition(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self.find_task_definition(context, params["taskDefinition"])
        out: dict[str, Any] = {"taskDefinition": public(row)}
        if "TAGS" in (params.get("include") or []):
            out["tags"] = tag_list(row.get("_tags"))
        return out

    def deregister_task_definition(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = last_part(params["taskDefinition"])
        family, _, revision = name.partition(":")
        if not revision.isdigit():
            raise client_error("Invalid revision number. Number: " + (revision or "null"))
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self.taskdefs.get(scope, _key(family, int(revision)))
            if row is None:
                raise client_error("The specified task definition does not exist.")
            if row["status"] == "ACTIVE":
                row["status"] = "INACTIVE"
                row["deregisteredAt"] = now()
                self.taskdefs.put(scope, _key(family, int(revision)), row)
        return {"taskDefinition": public(row)}

    def delete_task_definitions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        deleted, failures = [], []
        for reference in params["taskDefinitions"]:
            name = last_part(reference)
            family, _, revision = name.partition(":")
            full = arn(context.region, context.account, f"task-definition/{name}")
            row = self.taskdefs.get(scope, _key(family, int(revision))) if revision.isdigit() else None
            if row is None:
                failures.append({"arn": full, "reason": "TASK_DEFINITION_NOT_FOUND"})
                continue
            if row["status"] == "ACTIVE":
                failures.append(
                    {
                        "arn": full,
                        "reason": "The specified task definition is still in ACTIVE status. Please deregister the target and try again.",
                    }
                )
                continue
            row["status"] = "DELETE_IN_PROGRESS"
            row["deleteRequestedAt"] = now()
            self.taskdefs.delete(scope, _key(family, int(revision)))
            deleted.append(public(row))
        return {"taskDefinitions": deleted, "failures": failures}

    def list_task_definitions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        status = params.get("status") or "ACTIVE"
        family = params.get("familyPrefix")
        prefix = f"{family}|" if family else ""
        rows = [
            row["taskDefinitionArn"]
            for _, row in self.taskdefs.scan(scope, prefix=prefix)
            if row["status"] == status
        ]
        if params.get("sort") == "DESC":
            rows.reverse()
        return self.page(context, "ListTaskDefinitions", params, rows)

    def list_task_definition_families(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        status = params.get("status") or "ACTIVE"
        prefix = params.get("familyPrefix") or ""
        families = []
        for family, _ in self.families.scan(scope, prefix=prefix):
            statuses = {row["status"] for _, row in self.taskdefs.scan(scope, prefix=family + "|")}
            active = "ACTIVE" in statuses
            if (
                status == "ALL"
                or (status == "ACTIVE" and active)
                or (status == "INACTIVE" and not active and statuses)
            ):
                families.append(family)
        return self.page(context, "ListTaskDefinitionFamilies", params, families)


def _key(family: str, revision: int) -> str:
    return f"{family}|{revision:08d}"
