"""A task's life on the Docker Engine: PROVISIONING → PENDING (secrets, log groups, images) →
containers created and started in dependsOn order → RUNNING → (DEACTIVATING →) STOPPING →
(DEPROVISIONING →) STOPPED, each change written to the task's row and announced as an
"ECS Task State Change" event.

Networking. Overcast binds 127.0.0.1 unless told otherwise, and the SDKs accept a credentials
endpoint only on a loopback address (or ECS's link-local 169.254.170.2, which would need host
routing changes). So the containers of an `awsvpc` or `host` task share the host's network
namespace (Docker's host networking): the task's private IP is 127.0.0.1, a container port is
reachable there as on the task's ENI, and AWS_ENDPOINT_URL, the metadata endpoint v4 and the
credentials endpoint are Overcast's own 127.0.0.1:<port>. In `bridge` mode each container is on
Docker's bridge with its port mappings published on the host (hostPort 0: one the engine
picks, reported in networkBindings); there Overcast is reached at the bridge's gateway address,
relayed to Overcast's own (relay.py).

The awslogs driver is emulated: each container's stdout and stderr are read from the engine
as they are written and appended to the log group, stream `prefix/container/task-id`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.engines.docker import Engine, EngineError
from overcast.errors import ServiceError
from overcast.services.ecs.awslogs import Pump, event_start
from overcast.services.ecs.common import new_id, now

if TYPE_CHECKING:
    from overcast.services.ecs.provider import Provider

log = logging.getLogger(__name__)

TASK_LABEL = "com.amazonaws.ecs.task-arn"
CONTAINER_LABEL = "com.amazonaws.ecs.container-name"
#: Seconds between health status reads of a task whose containers have health checks.
HEALTH_POLL = 1.0
DEFAULT_STOP_TIMEOUT = 30
#: Seconds a container waits for its dependencies (startTimeout) unless it says otherwise.
DEFAULT_START_TIMEOUT = 180
#: Seconds a container with a restart policy must have run before it is restarted.
DEFAULT_RESTART_PERIOD = 300


@dataclass
class TaskRun:
    """What Overcast holds in memory of a task it runs."""

    scope: str
    key: str
    account: str
    region: str
    task_arn: str
    containers: dict[str, str] = field(default_factory=dict)  # name → engine id
    images: dict[str, str] = field(default_factory=dict)  # name → the engine's image reference
    exit_codes: dict[str, int] = field(default_factory=dict)
    started: set[str] = field(default_factory=set)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    stop_code: str = ""
    stop_reason: str = ""
    done: asyncio.Event = field(default_factory=asyncio.Event)
    log_threads: list[threading.Thread] = field(default_factory=list)
    watchers: list[asyncio.Future[Any]] = field(default_factory=list)


class StartFailure(Exception):
    """The task cannot start: its stoppedReason (and the failing container's reason)."""

    def __init__(self, reason: str, container_reason: str = "", container: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.container_reason = container_reason or reason
        self.container = container


def _ns(seconds: float) -> int:
    return int(seconds * 1_000_000_000)


def topological(containers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Containers with each after the ones it depends on (the definition's order otherwise)."""
    by_name = {c["name"]: c for c in containers}
    ordered: list[dict[str, Any]] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for dependency in by_name[name].get("dependsOn") or []:
            visit(dependency["containerName"])
        ordered.append(by_name[name])

    for container in containers:
        visit(container["name"])
    return ordered


class RunnerMixin:
    engine: Engine

    # -- state ---------------------------------------------------------------------------------

    def full_task(self: Provider, scope: str, key: str) -> dict[str, Any] | None:  # type: ignore[misc]
        """A task's row with what only its run reads: its definition and endpoint tokens."""
        row = self.tasks.get(scope, key)
        if row is not None:
            row.update(self.specs.get(scope, key) or {})
        return row

    def update_task(  # type: ignore[misc]
        self: Provider, run: TaskRun, announce: bool = True, **changes: Any
    ) -> dict[str, Any] | None:
        """Apply changes to the task's row (containers by name under `_containers`)."""
        container_changes: dict[str, dict[str, Any]] = changes.pop("_containers", {})
        with self.store.transaction():
            row = self.tasks.get(run.scope, run.key)
            if row is None:
                return None
            old_status = row["lastStatus"]
            row.update(changes)
            for container in row["containers"]:
                if container["name"] in container_changes:
                    container.update(container_changes[container["name"]])
            row["version"] = row.get("version", 1) + 1
            self.tasks.put(run.scope, run.key, row)
        if announce and (changes.get("lastStatus", old_status) != old_status or "desiredStatus" in changes):
            self.task_event(run.account, run.region, row)
        return row

    def task_event(self: Provider, account: str, region: str, row: dict[str, Any]) -> None:  # type: ignore[misc]
        from overcast.services.ecs.tasks import task_output

        detail = task_output(row)
        detail["updatedAt"] = now()
        self.publish_event(account, region, "ECS Task State Change", [row["taskArn"]], detail)

    def publish_event(  # type: ignore[misc]
        self: Provider,
        account: str,
        region: str,
        detail_type: str,
        resources: list[str],
        detail: dict[str, Any],
    ) -> None:
        bus = self.runtime.bus
        if not bus.has_subscribers("events:put"):
            return
        event = {
            "version": "0",
            "id": new_id()[:8]
            + "-"
            + new_id()[:4]
            + "-"
            + new_id()[:4]
            + "-"
            + new_id()[:4]
            + "-"
            + new_id()[:12],
            "detail-type": detail_type,
            "source": "aws.ecs",
            "account": account,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "region": region,
            "resources": resources,
            "detail": json.loads(json.dumps(detail, default=_iso)),
        }
        bus.publish("events:put", event)

    # -- running -------------------------------------------------------------------------------

    async def execute_run(self: Provider, run: TaskRun) -> None:  # type: ignore[misc]
        """Run one task to its end (or until Overcast stops)."""
        try:
            await self._run_task(run)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a bug must not leave the task RUNNING forever
            log.exception("ECS task %s failed", run.task_arn)
            await self._finish(run, "TaskFailedToStart", f"InternalError: {error}")
        finally:
            run.done.set()
            self.runs.pop(run.task_arn, None)

    async def _run_task(self: Provider, run: TaskRun) -> None:  # type: ignore[misc]
        row = self.full_task(run.scope, run.key)
        if row is None:
            return
        definition = row["_definition"]
        reason = await asyncio.to_thread(self.engine.unavailable)
        if reason is not None:
            await self._finish(
                run, "TaskFailedToStart", f"CannotStartContainerError: Docker Engine unavailable: {reason}"
            )
            return
        if run.stopping.is_set():
            await self._finish(run, run.stop_code, run.stop_reason)
            return
        self.update_task(run, lastStatus="PENDING", pullStartedAt=now())
        try:
            base = self.endpoint()
            if definition["networkMode"] == "bridge":
                base = await self.bridge_endpoint()
            environments = self._environments(run, row, base)
            await asyncio.to_thread(self._check_log_groups, run, row)
            for container in definition["containerDefinitions"]:
                run.images[container["name"]] = await asyncio.to_thread(
                    self._ensure_image, container["image"], container["name"]
                )
            self.update_task(run, announce=False, pullStoppedAt=now())
            if run.stopping.is_set():
                await self._finish(run, run.stop_code, run.stop_reason)
                return
            await self._start_containers(run, row, environments)
        except StartFailure as failure:
            changes = {}
            if failure.container:
                changes[failure.container] = {"reason": failure.container_reason, "lastStatus": "STOPPED"}
            await self._finish(run, "TaskFailedToStart", failure.reason, changes)
            return
        if run.stopping.is_set() or not run.started:
            await self._finish(
                run,
                run.stop_code or "EssentialContainerExited",
                run.stop_reason or "Essential container in task exited",
            )
            return
        self.update_task(
            run,
            lastStatus="RUNNING",
            startedAt=now(),
            connectivity="CONNECTED",
            connectivityAt=now(),
            attachments=_attachments(row, "ATTACHED"),
        )
        health = any(c.get("healthCheck") for c in definition["containerDefinitions"])
        watcher = asyncio.ensure_future(self._watch_health(run, row)) if health else None
        await run.stopping.wait()
        if watcher is not None:
            watcher.cancel()
        await self._finish(run, run.stop_code, run.stop_reason)

    def request_stop(self: Provider, run: TaskRun, code: str, reason: str) -> None:  # type: ignore[misc]
        if run.stopping.is_set():
            return
        run.stop_code, run.stop_reason = code, reason
        run.stopping.set()

    # -- before the containers ------------------------------------------------------------------

    async def bridge_endpoint(self: Provider) -> str:  # type: ignore[misc]
        """Overcast's address as a container on Docker's bridge reaches it: the bridge's
        gateway, through a relay unless Overcast already listens on every address."""
        gateway = await asyncio.to_thread(self.engine.gateway, "bridge")
        if gateway is None:
            return self.endpoint()
        config = self.runtime.config
        if config.host in ("0.0.0.0", "::", ""):
            return f"http://{gateway}:{config.port}"
        host, port = await self.relay.listen(gateway, config.port)
        return f"http://{host}:{port}"

    def _environments(  # type: ignore[misc]
        self: Provider, run: TaskRun, row: dict[str, Any], base: str
    ) -> dict[str, dict[str, str]]:
        """Each container's environment: the definition's, the overrides', the secrets', and
        the variables ECS sets (metadata and credentials endpoints, the region)."""
        definition = row["_definition"]
        overrides = {
            o["name"]: o
            for o in (row.get("overrides") or {}).get("containerOverrides") or []
            if o.get("name")
        }
        out: dict[str, dict[str, str]] = {}
        for container in definition["containerDefinitions"]:
            name = container["name"]
            env: dict[str, str] = {
                "AWS_REGION": run.region,
                "AWS_DEFAULT_REGION": run.region,
                "AWS_EXECUTION_ENV": "AWS_ECS_FARGATE"
                if row.get("launchType") == "FARGATE"
                else "AWS_ECS_EC2",
                "ECS_CONTAINER_METADATA_URI_V4": f"{base}/_aws/ecs/v4/{row['_tokens'][name]}",
                "ECS_CONTAINER_METADATA_URI": f"{base}/_aws/ecs/v3/{row['_tokens'][name]}",
                "AWS_ENDPOINT_URL": base,
            }
            if row["_definition"].get("taskRoleArn") or (row.get("overrides") or {}).get("taskRoleArn"):
                env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = (
                    f"{base}/_aws/ecs/credentials/{run.key.split('/')[-1]}"
                )
                env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = row["_credentials_token"]
            for item in container.get("environment") or []:
                env[item["name"]] = item.get("value", "")
            override = overrides.get(name) or {}
            for item in override.get("environment") or []:
                env[item["name"]] = item.get("value", "")
            for secret in container.get("secrets") or []:
                try:
                    env[secret["name"]] = self.secret_value(run.account, run.region, secret["valueFrom"])
                except ServiceError as error:
                    raise StartFailure(
                        "ResourceInitializationError: unable to pull secrets or registry auth: "
                        f"execution resource retrieval failed: unable to retrieve secret from "
                        f"{secret['valueFrom']}: {error.code}: {error.message}",
                        container=name,
                    ) from None
            if container.get("environmentFiles") or override.get("environmentFiles"):
                for item in list(container.get("environmentFiles") or []) + list(
                    override.get("environmentFiles") or []
                ):
                    env.update(self._environment_file(run, name, item["value"]))
            out[name] = env
        return out

    def _environment_file(self: Provider, run: TaskRun, container: str, object_arn: str) -> dict[str, str]:  # type: ignore[misc]
        """The variables of an S3 environment file (arn:aws:s3:::bucket/key.env)."""
        path = object_arn.split(":::", 1)[-1]
        bucket, _, key = path.partition("/")
        s3 = self.runtime.provider("s3")
        try:
            body = s3.read_object(run.account, run.region, bucket, key)
        except ServiceError as error:
            raise StartFailure(
                f"ResourceInitializationError: failed to download env files: file download command: "
                f"non empty error stream: {object_arn}: {getattr(error, 'message', error)}",
                container=container,
            ) from None
        env: dict[str, str] = {}
        for line in body.decode(errors="replace").splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                name, _, value = line.partition("=")
                env.setdefault(name.strip(), value)
        return env

    def secret_value(self: Provider, account: str, region: str, value_from: str) -> str:  # type: ignore[misc]
        """A secret's value from Secrets Manager (an ARN, with ECS's optional
        :json-key:version-stage:version-id suffix) or SSM Parameter Store (a name or ARN)."""
        parts = value_from.split(":")
        if value_from.startswith("arn:") and len(parts) >= 7 and parts[2] == "secretsmanager":
            secret_arn = ":".join(parts[:7])
            json_key, stage, version = [*parts[7:], "", "", ""][:3]
            params: dict[str, Any] = {"SecretId": secret_arn}
            if stage:
                params["VersionStage"] = stage
            if version:
                params["VersionId"] = version
            sm = self.runtime.provider("secretsmanager")
            value = sm.get_secret_value(
                RequestContext.internal("secretsmanager", parts[4] or account, parts[3] or region), params
            )
            text = str(value.get("SecretString") or "")
            if json_key:
                try:
                    document = json.loads(text)
                    return (
                        str(document[json_key])
                        if not isinstance(document[json_key], str)
                        else document[json_key]
                    )
                except (ValueError, KeyError, TypeError):
                    raise ServiceError(
                        "ResourceNotFoundException",
                        f"retrieved secret from Secrets Manager did not contain json key {json_key}",
                    ) from None
            return text
        name = value_from
        where = (account, region)
        if value_from.startswith("arn:"):
            if len(parts) < 6 or parts[2] != "ssm":
                raise ServiceError(
                    "InvalidParameterException",
                    f"The valueFrom {value_from} is neither an SSM parameter nor a secret.",
                )
            name = parts[5].split("/", 1)[1] if parts[5].startswith("parameter/") else parts[5]
            name = name if name.startswith("/") or "/" not in name else "/" + name
            if parts[5].startswith("parameter/") and not parts[5][len("parameter/") :].count("/"):
                name = parts[5][len("parameter/") :]
            where = (parts[4] or account, parts[3] or region)
        ssm = self.runtime.provider("ssm")
        got = ssm.get_parameter(
            RequestContext.internal("ssm", *where), {"Name": name, "WithDecryption": True}
        )
        return str(got["Parameter"]["Value"])

    def _check_log_groups(self: Provider, run: TaskRun, row: dict[str, Any]) -> None:  # type: ignore[misc]
        logs = self.runtime.provider("logs")
        for container in row["_definition"]["containerDefinitions"]:
            config = container.get("logConfiguration") or {}
            if config.get("logDriver") != "awslogs":
                continue
            options = config.get("options") or {}
            group = options["awslogs-group"]
            region = options.get("awslogs-region") or run.region
            if logs.group_exists(run.account, region, group):
                continue
            if str(options.get("awslogs-create-group", "")).lower() == "true":
                logs.create_group(run.account, region, group)
                continue
            raise StartFailure(
                "ResourceInitializationError: failed to validate logger args: create stream has "
                "been retried 1 times: failed to create Cloudwatch log stream: "
                "ResourceNotFoundException: The specified log group does not exist. : exit status 1",
                container=container["name"],
            )

    def _ensure_image(self: Provider, image: str, container: str) -> str:  # type: ignore[misc]
        """The reference the engine runs the container's image by, pulled if it has no such
        image. An image of Overcast's ECR (by the URI the API gave, or AWS's form of it) is
        pulled from Overcast's registry, logged in as the repository's account (the task
        execution role's pull, which Overcast makes on the task's behalf)."""
        ecr = self.runtime.provider("ecr") if self.runtime.config.service_enabled("ecr") else None
        try:
            if self.engine.image(image) is not None:
                return image
            parsed = ecr.parse_image_uri(image) if ecr is not None else None
            reference = ecr.pull_reference(image) if ecr is not None else None
            if ecr is None or parsed is None or reference is None:
                self.engine.pull(image)
                return image
            if self.engine.image(reference) is None:
                self.engine.pull(reference, ecr.registry_credentials(parsed[0], parsed[1]))
            return reference
        except EngineError as error:
            raise StartFailure(
                f"CannotPullContainerError: pull image manifest has been retried 1 time(s): "
                f"failed to resolve ref {image}: {error.message}",
                container=container,
            ) from None

    # -- containers ----------------------------------------------------------------------------

    def _container_spec(  # type: ignore[misc]
        self: Provider, run: TaskRun, row: dict[str, Any], container: dict[str, Any], env: dict[str, str]
    ) -> dict[str, Any]:
        definition = row["_definition"]
        mode = definition["networkMode"]
        override: dict[str, Any] = next(
            (
                o
                for o in (row.get("overrides") or {}).get("containerOverrides") or []
                if o.get("name") == container["name"]
            ),
            {},
        )
        host: dict[str, Any] = {
            "NetworkMode": {"awsvpc": "host", "host": "host", "none": "none"}.get(mode, "bridge"),
            "Privileged": bool(container.get("privileged")),
            "ReadonlyRootfs": bool(container.get("readonlyRootFilesystem")),
        }
        memory = override.get("memory") or container.get("memory")
        if memory:
            host["Memory"] = int(memory) * 1024 * 1024
        reservation = override.get("memoryReservation") or container.get("memoryReservation")
        if reservation:
            host["MemoryReservation"] = int(reservation) * 1024 * 1024
        cpu = override.get("cpu") if override.get("cpu") is not None else container.get("cpu")
        host["CpuShares"] = max(int(cpu or 0), 2)
        if host["NetworkMode"] == "bridge":
            bindings: dict[str, list[dict[str, str]]] = {}
            for mapping in container.get("portMappings") or []:
                if mapping.get("containerPort") is None:
                    continue
                port = f"{mapping['containerPort']}/{mapping.get('protocol', 'tcp')}"
                bindings[port] = [{"HostIp": "", "HostPort": str(mapping.get("hostPort") or "")}]
            host["PortBindings"] = bindings
            links = [
                f"{_docker_name(row, link.split(':')[0])}:{link.split(':')[-1]}"
                for link in container.get("links") or []
            ]
            if links:
                host["Links"] = links
        for key, target in (
            ("dnsServers", "Dns"),
            ("dnsSearchDomains", "DnsSearch"),
            ("dockerSecurityOptions", "SecurityOpt"),
        ):
            if container.get(key):
                host[target] = list(container[key])
        if container.get("extraHosts"):
            host["ExtraHosts"] = [f"{h['hostname']}:{h['ipAddress']}" for h in container["extraHosts"]]
        if container.get("ulimits"):
            host["Ulimits"] = [
                {"Name": u["name"], "Soft": u["softLimit"], "Hard": u["hardLimit"]}
                for u in container["ulimits"]
            ]
        if container.get("systemControls"):
            host["Sysctls"] = {s["namespace"]: s["value"] for s in container["systemControls"]}
        linux = container.get("linuxParameters") or {}
        if linux.get("initProcessEnabled"):
            host["Init"] = True
        if linux.get("capabilities"):
            host["CapAdd"] = linux["capabilities"].get("add") or None
            host["CapDrop"] = linux["capabilities"].get("drop") or None
        if linux.get("sharedMemorySize"):
            host["ShmSize"] = int(linux["sharedMemorySize"]) * 1024 * 1024
        if linux.get("tmpfs"):
            host["Tmpfs"] = {
                t["containerPath"]: ",".join([f"size={t['size']}m", *(t.get("mountOptions") or [])])
                for t in linux["tmpfs"]
            }
        volumes = {v["name"]: v for v in definition.get("volumes") or []}
        binds = []
        for mount in container.get("mountPoints") or []:
            volume = volumes[mount["sourceVolume"]]
            source = (volume.get("host") or {}).get("sourcePath")
            if not source:
                config = volume.get("dockerVolumeConfiguration") or {}
                shared = config.get("scope") == "shared"
                source = volume["name"] if shared else f"ecs-{run.key.split('/')[-1]}-{volume['name']}"
            binds.append(f"{source}:{mount['containerPath']}{':ro' if mount.get('readOnly') else ''}")
        if binds:
            host["Binds"] = binds
        if container.get("volumesFrom"):
            host["VolumesFrom"] = [
                _docker_name(row, v["sourceContainer"]) + (":ro" if v.get("readOnly") else "")
                for v in container["volumesFrom"]
            ]
        spec: dict[str, Any] = {
            # A published port must be exposed, or the engine publishes nothing.
            "ExposedPorts": {port: {} for port in host.get("PortBindings") or {}},
            "Image": run.images.get(container["name"], container["image"]),
            "Env": [f"{k}={v}" for k, v in env.items()],
            "Labels": {
                **(container.get("dockerLabels") or {}),
                TASK_LABEL: run.task_arn,
                CONTAINER_LABEL: container["name"],
                "com.amazonaws.ecs.cluster": row["clusterArn"],
                "com.amazonaws.ecs.task-definition-family": definition["family"],
                "com.amazonaws.ecs.task-definition-version": str(definition["revision"]),
            },
            "HostConfig": host,
            "Tty": False,
            "OpenStdin": bool(container.get("interactive")),
            "StopTimeout": int(container.get("stopTimeout") or DEFAULT_STOP_TIMEOUT),
        }
        command = override.get("command") or container.get("command")
        if command:
            spec["Cmd"] = list(command)
        if container.get("entryPoint"):
            spec["Entrypoint"] = list(container["entryPoint"])
        if container.get("workingDirectory"):
            spec["WorkingDir"] = container["workingDirectory"]
        if container.get("user"):
            spec["User"] = container["user"]
        if container.get("hostname") and host["NetworkMode"] == "bridge":
            spec["Hostname"] = container["hostname"]
        check = container.get("healthCheck")
        if check:
            spec["Healthcheck"] = {
                "Test": list(check["command"]),
                "Interval": _ns(check.get("interval", 30)),
                "Timeout": _ns(check.get("timeout", 5)),
                "Retries": int(check.get("retries", 3)),
                "StartPeriod": _ns(check.get("startPeriod", 0)),
            }
        return spec

    async def _start_containers(  # type: ignore[misc]
        self: Provider, run: TaskRun, row: dict[str, Any], environments: dict[str, dict[str, str]]
    ) -> None:
        definition = row["_definition"]
        containers = topological(definition["containerDefinitions"])
        for container in containers:
            name = container["name"]
            spec = self._container_spec(run, row, container, environments[name])
            try:
                run.containers[name] = await asyncio.to_thread(
                    self.engine.create, _docker_name(row, name), spec
                )
            except EngineError as error:
                raise StartFailure(
                    f"CannotCreateContainerError: Error response from daemon: {error.message}",
                    container=name,
                ) from None
        for container in containers:
            name = container["name"]
            if run.stopping.is_set():
                return
            if not await self._dependencies_met(run, container):
                if run.stopping.is_set():
                    return
                raise StartFailure(
                    f"DependencyViolation: the dependencies of container {name} were not met",
                    container=name,
                )
            try:
                await asyncio.to_thread(self.engine.start, run.containers[name])
            except EngineError as error:
                raise StartFailure(
                    f"CannotStartContainerError: Error response from daemon: {error.message}",
                    container=name,
                ) from None
            run.started.add(name)
            details = await asyncio.to_thread(self.engine.inspect, run.containers[name]) or {}
            self.update_task(
                run,
                announce=False,
                _containers={
                    name: {
                        "lastStatus": "RUNNING",
                        "runtimeId": run.containers[name],
                        "imageDigest": _digest(details),
                        "networkBindings": _bindings(details, container, definition["networkMode"]),
                    }
                },
            )
            self._stream_logs(run, row, container)
            run.watchers.append(asyncio.ensure_future(self._watch_exit(run, container, row)))

    async def _dependencies_met(self: Provider, run: TaskRun, container: dict[str, Any]) -> bool:  # type: ignore[misc]
        # startTimeout: how long a container waits for its dependencies before ECS gives up.
        deadline = time.monotonic() + int(container.get("startTimeout") or DEFAULT_START_TIMEOUT)
        for dependency in container.get("dependsOn") or []:
            target, condition = dependency["containerName"], dependency["condition"]
            while not run.stopping.is_set():
                if time.monotonic() > deadline:
                    return False
                if condition == "START" and target in run.started:
                    break
                if condition in ("COMPLETE", "SUCCESS") and target in run.exit_codes:
                    if condition == "SUCCESS" and run.exit_codes[target] != 0:
                        return False
                    break
                if condition == "HEALTHY":
                    status = await asyncio.to_thread(self._health, run.containers[target])
                    if status == "HEALTHY":
                        break
                    if status == "UNHEALTHY" or target in run.exit_codes:
                        return False
                if target in run.exit_codes and condition == "START":
                    break
                await asyncio.sleep(0.1 if condition != "HEALTHY" else 0.5)
        return not run.stopping.is_set()

    def _health(self: Provider, container_id: str) -> str:  # type: ignore[misc]
        details = self.engine.inspect(container_id) or {}
        health = ((details.get("State") or {}).get("Health") or {}).get("Status")
        return {"healthy": "HEALTHY", "unhealthy": "UNHEALTHY"}.get(health or "", "UNKNOWN")

    async def _watch_exit(  # type: ignore[misc]
        self: Provider, run: TaskRun, container: dict[str, Any], row: dict[str, Any] | None = None
    ) -> None:
        name = container["name"]
        policy = container.get("restartPolicy") or {}
        while True:
            began = time.monotonic()
            try:
                code = await asyncio.to_thread(self.engine.wait, run.containers[name])
            except EngineError as error:
                log.warning("lost ECS container %s: %s", name, error.message)
                code = 137
            # A restart policy restarts the container in place, unless its exit code is one it
            # ignores or it ran less than restartAttemptPeriod (then it exits as any would).
            period = int(policy.get("restartAttemptPeriod") or DEFAULT_RESTART_PERIOD)
            if (
                not policy.get("enabled")
                or run.stopping.is_set()
                or row is None
                or code in (policy.get("ignoredExitCodes") or [])
                or time.monotonic() - began < period
            ):
                break
            try:
                await asyncio.to_thread(self.engine.start, run.containers[name])
            except EngineError as error:
                log.warning("could not restart ECS container %s: %s", name, error.message)
                break
            self._stream_logs(run, row, container, since=int(time.time()))
        run.exit_codes[name] = code
        changes: dict[str, Any] = {"lastStatus": "STOPPED", "exitCode": code}
        self.update_task(run, announce=False, _containers={name: changes})
        if container.get("essential", True) and not run.stopping.is_set():
            self.request_stop(run, "EssentialContainerExited", "Essential container in task exited")

    async def _watch_health(self: Provider, run: TaskRun, row: dict[str, Any]) -> None:  # type: ignore[misc]
        checked = [c for c in row["_definition"]["containerDefinitions"] if c.get("healthCheck")]
        last: str | None = None
        while not run.stopping.is_set():
            statuses: dict[str, str] = {}
            for container in checked:
                name = container["name"]
                if name in run.containers and name not in run.exit_codes:
                    statuses[name] = await asyncio.to_thread(self._health, run.containers[name])
            essential = [
                statuses[c["name"]] for c in checked if c.get("essential", True) and c["name"] in statuses
            ]
            task_health = (
                "UNHEALTHY"
                if "UNHEALTHY" in essential
                else "HEALTHY"
                if essential and all(s == "HEALTHY" for s in essential)
                else "UNKNOWN"
            )
            if task_health != last:
                self.update_task(
                    run,
                    announce=False,
                    healthStatus=task_health,
                    _containers={name: {"healthStatus": status} for name, status in statuses.items()},
                )
                last = task_health
            if task_health == "UNHEALTHY" and str(row.get("group", "")).startswith("service:"):
                self.request_stop(run, "ServiceSchedulerInitiated", "Task failed container health checks")
                return
            await asyncio.sleep(HEALTH_POLL)

    def _stream_logs(  # type: ignore[misc]
        self: Provider, run: TaskRun, row: dict[str, Any], container: dict[str, Any], since: int = 0
    ) -> None:
        config = container.get("logConfiguration") or {}
        if config.get("logDriver") != "awslogs":
            return
        options = config.get("options") or {}
        group = options["awslogs-group"]
        region = options.get("awslogs-region") or run.region
        prefix = options.get("awslogs-stream-prefix")
        task_id = run.key.split("/")[-1]
        container_id = run.containers[container["name"]]
        stream = f"{prefix}/{container['name']}/{task_id}" if prefix else container_id
        logs = self.runtime.provider("logs")
        loop = self.runtime.loop
        engine = self.engine

        def deliver(events: list[tuple[int, str]]) -> None:
            logs.append(run.account, region, group, stream, events)

        def lines() -> Iterator[bytes]:
            try:
                for _, line in engine.logs(container_id, follow=True, since=since):
                    yield line
            except EngineError as error:
                log.warning("awslogs for %s stopped: %s", container["name"], error.message)

        pump = Pump(lines(), deliver, loop, event_start(options)).run
        thread = threading.Thread(target=pump, name=f"ecs-logs-{task_id}-{container['name']}", daemon=True)
        thread.start()
        run.log_threads.append(thread)

    # -- stopping ------------------------------------------------------------------------------

    async def _finish(  # type: ignore[misc]
        self: Provider,
        run: TaskRun,
        code: str,
        reason: str,
        container_changes: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        row = self.full_task(run.scope, run.key)
        if row is None or row["lastStatus"] == "STOPPED":
            return
        awsvpc = row["_definition"]["networkMode"] == "awsvpc"
        self.update_task(
            run,
            desiredStatus="STOPPED",
            stopCode=code,
            stoppedReason=reason,
            stoppingAt=row.get("stoppingAt") or now(),
            lastStatus="DEACTIVATING" if awsvpc and row["lastStatus"] == "RUNNING" else row["lastStatus"],
            _containers=container_changes or {},
        )
        if run.containers:
            self.update_task(run, lastStatus="STOPPING")
            timeouts = {
                c["name"]: int(c.get("stopTimeout") or DEFAULT_STOP_TIMEOUT)
                for c in row["_definition"]["containerDefinitions"]
            }
            order = [c["name"] for c in reversed(topological(row["_definition"]["containerDefinitions"]))]
            for name in order:
                if name in run.containers and name in run.started and name not in run.exit_codes:
                    try:
                        await asyncio.to_thread(self.engine.stop, run.containers[name], timeouts[name])
                    except EngineError as error:
                        log.warning("could not stop ECS container %s: %s", name, error.message)
            for name in list(run.containers):
                if name in run.started:
                    for _ in range(50):
                        if name in run.exit_codes:
                            break
                        await asyncio.sleep(0.05)
            for thread in run.log_threads:
                await asyncio.to_thread(thread.join, 5)
        changes = {}
        for container in row["containers"]:
            name = container["name"]
            change: dict[str, Any] = {"lastStatus": "STOPPED"}
            if name in run.exit_codes:
                change["exitCode"] = run.exit_codes[name]
            changes[name] = change
        if awsvpc:
            self.update_task(run, lastStatus="DEPROVISIONING", _containers=changes)
        self.update_task(
            run,
            lastStatus="STOPPED",
            stoppedAt=now(),
            executionStoppedAt=now(),
            attachments=_attachments(row, "DELETED"),
            _containers=changes,
        )
        self.forget_tokens(row)
        for container_id in run.containers.values():
            try:
                await asyncio.to_thread(self.engine.remove, container_id)
            except EngineError as error:
                log.warning("could not remove ECS container %s: %s", container_id, error.message)
        self.task_stopped(run)


def _attachments(row: dict[str, Any], status: str) -> list[dict[str, Any]]:
    """The task's ENI attachments in a new state (PRECREATED, ATTACHED, DELETED)."""
    return [{**attachment, "status": status} for attachment in row.get("attachments") or []]


def _docker_name(row: dict[str, Any], container: str) -> str:
    definition = row["_definition"]
    return (
        f"ecs-{definition['family']}-{definition['revision']}-{container}-{row['taskArn'].rsplit('/', 1)[-1]}"
    )


def _digest(details: dict[str, Any]) -> str:
    image = str(details.get("Image") or "")
    return image if image.startswith("sha256:") else ""


def _bindings(details: dict[str, Any], container: dict[str, Any], mode: str) -> list[dict[str, Any]]:
    if mode in ("host",):
        return [
            {
                "bindIP": "0.0.0.0",
                "containerPort": m["containerPort"],
                "hostPort": m.get("hostPort", m["containerPort"]),
                "protocol": m.get("protocol", "tcp"),
            }
            for m in container.get("portMappings") or []
            if m.get("containerPort") is not None
        ]
    if mode != "bridge":
        return []
    out = []
    ports = ((details.get("NetworkSettings") or {}).get("Ports")) or {}
    for port, bound in ports.items():
        number, _, protocol = port.partition("/")
        for binding in bound or []:
            if ":" in binding.get("HostIp", ""):
                continue
            out.append(
                {
                    "bindIP": binding.get("HostIp") or "0.0.0.0",
                    "containerPort": int(number),
                    "hostPort": int(binding["HostPort"]),
                    "protocol": protocol,
                }
            )
    return out


def _iso(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat().replace("+00:00", "Z")
    raise TypeError(f"not JSON: {type(value).__name__}")
