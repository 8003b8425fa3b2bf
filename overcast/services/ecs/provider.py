"""Amazon ECS: clusters, capacity providers, task definitions, tasks that run for real as
containers on the local Docker Engine (engines/docker.py), services that keep their desired
count through rolling deployments, and the endpoints a task's containers call.

State, per account and region: clusters, capacity_providers, families and taskdefs (key
`family|revision`), tasks (key `cluster/task-id`), services (key `cluster/service`), settings,
attributes, instances. Table endpoints (scope "all") maps a container's metadata token and a
task's id to where its task lives, for the endpoints the containers call.

A restarted Overcast finds the containers of tasks it was running by their labels: a task
whose containers all still run is adopted (its exit watchers and log streams resume), any
other is stopped and its containers removed."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from overcast.common import pagination
from overcast.config import tuning
from overcast.context import RequestContext
from overcast.engines.docker import Engine, EngineError
from overcast.services.base import BaseProvider
from overcast.services.ecs.clusters import ClusterMixin
from overcast.services.ecs.common import invalid
from overcast.services.ecs.daemons import DaemonMixin
from overcast.services.ecs.deployments import DeploymentMixin
from overcast.services.ecs.endpoints import ROUTES, EndpointMixin
from overcast.services.ecs.express import ExpressMixin
from overcast.services.ecs.relay import Relay
from overcast.services.ecs.runner import CONTAINER_LABEL, TASK_LABEL, RunnerMixin, TaskRun
from overcast.services.ecs.services import ServiceMixin
from overcast.services.ecs.taskdefs import TaskDefinitionMixin
from overcast.services.ecs.tasks import TaskMixin
from overcast.store import scope as store_scope

log = logging.getLogger(__name__)


class Provider(
    ClusterMixin,
    TaskDefinitionMixin,
    TaskMixin,
    ServiceMixin,
    DeploymentMixin,
    DaemonMixin,
    ExpressMixin,
    RunnerMixin,
    EndpointMixin,
    BaseProvider,
):
    service = "ecs"
    path_routes = ROUTES

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        table = self.store.table
        self.clusters = table("ecs", "clusters")
        self.capacity_providers = table("ecs", "capacity_providers")
        self.families = table("ecs", "families")
        self.taskdefs = table("ecs", "taskdefs")
        self.tasks = table("ecs", "tasks")
        self.specs = table("ecs", "task_specs")
        self.services = table("ecs", "services")
        self.settings = table("ecs", "settings")
        self.attributes = table("ecs", "attributes")
        self.instances = table("ecs", "instances")
        self.endpoints = table("ecs", "endpoints")
        self.daemons = table("ecs", "daemons")
        self.engine = Engine.shared()
        self.runs: dict[str, TaskRun] = {}
        self.credentials_cache: dict[str, dict[str, Any]] = {}
        config = runtime.config
        self.relay = Relay(
            config.host if config.host not in ("0.0.0.0", "::", "") else "127.0.0.1", config.port
        )

    @staticmethod
    def scope_of(context: RequestContext) -> str:
        return store_scope(context.account, context.region)

    #: Listings botocore has no paginator for: the member that holds their items.
    UNPAGINATED = {
        "DescribeCapacityProviders": "capacityProviders",
        "ListServiceDeployments": "serviceDeployments",
    }

    def page(self, context: RequestContext, operation: str, params: dict[str, Any], items: list[Any]) -> dict:
        limit = params.get("maxResults")
        if limit is not None and not 1 <= limit <= 100:
            raise invalid("maxResults must be between 1 and 100.")
        if operation in self.UNPAGINATED:
            start = 0
            if params.get("nextToken"):
                try:
                    start = int(pagination.decode_token(self.store, operation, params["nextToken"]))
                except (ValueError, TypeError):
                    raise invalid("Invalid nextToken") from None
            end = start + (limit or 100)
            out: dict[str, Any] = {self.UNPAGINATED[operation]: items[start:end]}
            if end < len(items):
                out["nextToken"] = pagination.encode_token(self.store, operation, end)
            return out
        return pagination.paginate_list(
            self.store,
            "ecs",
            operation,
            params,
            items,
            bad_token=lambda: invalid("Invalid nextToken"),
            default_limit=100,
        )

    def endpoint(self) -> str:
        """Overcast's own address as a container with host networking reaches it."""
        config = self.runtime.config
        host = config.host if config.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{config.port}"

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        self.runtime.every(tuning("OVERCAST_ECS_SERVICE_SECONDS"), self.reconcile_all, "ecs services")
        self.runtime.every(60, self.sweep_stopped_tasks, "ecs stopped tasks")
        if any(
            row["lastStatus"] != "STOPPED"
            for scope in self.tasks.scopes()
            for _, row in self.tasks.scan(scope)
        ):
            self.runtime.spawn(self._adopt(), "ecs adopt")

    def engines(self) -> list[dict[str, Any]]:
        """The containers of the tasks Overcast runs (`overcast ps`, the dashboard's overview)."""
        rows = []
        for arn, run in list(self.runs.items()):
            for name, container_id in list(run.containers.items()):
                exited = name in run.exit_codes
                rows.append(
                    {
                        "kind": "ecs container",
                        "name": f"{arn.rsplit('/', 1)[-1]}/{name}",
                        "state": "exited" if exited else ("running" if name in run.started else "starting"),
                        "id": container_id[:12],
                        "account": run.account,
                        "region": run.region,
                    }
                )
        return rows

    async def _adopt(self) -> None:
        """Resume the tasks a previous run of Overcast left running; stop the others."""
        reason = await asyncio.to_thread(self.engine.unavailable)
        found: dict[str, dict[str, str]] = {}
        if reason is None:
            try:
                for container in await asyncio.to_thread(self.engine.containers, {}, True):
                    labels = container.get("Labels") or {}
                    if TASK_LABEL in labels:
                        found.setdefault(labels[TASK_LABEL], {})[labels.get(CONTAINER_LABEL, "")] = container[
                            "Id"
                        ]
            except EngineError as error:
                reason = error.message
        for scope in self.tasks.scopes():
            account, _, region = scope.partition("/")
            for key, row in list(self.tasks.scan(scope)):
                if row["lastStatus"] == "STOPPED":
                    continue
                row.update(self.specs.get(scope, key) or {})
                run = TaskRun(scope, key, account, region, row["taskArn"])
                containers = found.pop(row["taskArn"], {})
                running = {}
                for name, container_id in containers.items():
                    details = await asyncio.to_thread(self.engine.inspect, container_id) or {}
                    if (details.get("State") or {}).get("Running"):
                        running[name] = container_id
                    else:
                        run.exit_codes[name] = int((details.get("State") or {}).get("ExitCode", 137))
                run.containers = dict(containers)
                essential = [
                    c["name"] for c in row["_definition"]["containerDefinitions"] if c.get("essential", True)
                ]
                self.runs[row["taskArn"]] = run
                if (
                    row["lastStatus"] == "RUNNING"
                    and essential
                    and all(name in running for name in essential)
                ):
                    run.started = set(running)
                    for container in row["_definition"]["containerDefinitions"]:
                        if container["name"] in running:
                            self._stream_logs(run, row, container, since=int(time.time()))
                            run.watchers.append(asyncio.ensure_future(self._watch_exit(run, container, row)))
                    self.runtime.spawn(self._resume(run), f"ecs task {row['taskArn']}")
                else:
                    run.started = set(containers)
                    self.runtime.spawn(self._abandon(run), f"ecs task {row['taskArn']}")
        for containers in found.values():  # containers of tasks this store does not know
            for container_id in containers.values():
                await asyncio.to_thread(self.engine.remove, container_id)

    async def _resume(self, run: TaskRun) -> None:
        try:
            await run.stopping.wait()
            await self._finish(run, run.stop_code, run.stop_reason)
        finally:
            run.done.set()
            self.runs.pop(run.task_arn, None)

    async def _abandon(self, run: TaskRun) -> None:
        try:
            await self._finish(run, "TaskFailedToStart", "Overcast restarted while the task was starting")
        finally:
            run.done.set()
            self.runs.pop(run.task_arn, None)

    def reset(self) -> None:
        for run in list(self.runs.values()):
            self.request_stop(run, "UserInitiated", "Overcast state was reset")
            for container_id in run.containers.values():
                try:
                    self.engine.remove(container_id)
                except EngineError:
                    pass
        self.runs.clear()
        self.credentials_cache.clear()

    def close(self) -> None:
        # With a data dir, running tasks keep running: a restarted Overcast adopts them
        # (start()). Ephemeral state dies with the process, and so do its containers.
        if self.runtime.config.ephemeral:
            for run in list(self.runs.values()):
                for container_id in run.containers.values():
                    try:
                        self.engine.remove(container_id)
                    except EngineError:
                        pass
        self.runs.clear()
        self.relay.close()
