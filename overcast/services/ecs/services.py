"""Services: the scheduler that keeps each service's desired count of tasks running, rolling
deployments within minimumHealthyPercent/maximumPercent, the deployment circuit breaker and
its rollback, the service throttle, and service events (deployments.py keeps the records of
deployments and revisions, and the task sets of externally deployed services).

Every OVERCAST_ECS_SERVICE_SECONDS the scheduler looks at each ACTIVE (or DRAINING) service:
tasks of a deployment carry its id as startedBy (as on AWS); stopped tasks are replaced, a new
deployment's tasks start as room under maximumPercent allows and the old deployments' stop as
the healthy count above minimumHealthyPercent allows."""

from __future__ import annotations

import math
import random
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.services.ecs.common import (
    NAME,
    arn,
    client_error,
    cluster_name,
    invalid,
    new_id,
    now,
    public,
    service_not_active,
    service_not_found,
    tag_list,
    tag_map,
)
from overcast.services.ecs.deployments import failure_threshold

if TYPE_CHECKING:
    from overcast.services.ecs.provider import Provider

MAX_EVENTS = 100
#: The service throttle: consecutive failed starts before launches wait, the first wait and
#: the longest, in seconds.
THROTTLE_AFTER, THROTTLE_BASE_SECONDS, THROTTLE_MAX_SECONDS = 3, 5, 900
#: How long a stopped task stays visible.
STOPPED_TASK_SECONDS = 3600
STARTING = ("PROVISIONING", "PENDING", "ACTIVATING")


def deployment_id() -> str:
    return "ecs-svc/" + "".join(random.choice("0123456789") for _ in range(19))


def service_output(row: dict[str, Any], include_tags: bool = False) -> dict[str, Any]:
    out = public(row)
    out["deployments"] = [public(d) for d in row["deployments"]]
    out["taskSets"] = [public(t) for t in row.get("taskSets", [])]
    if row["deployments"]:
        out["currentServiceDeployment"] = row["deployments"][0]["_deployment_arn"]
        out["currentServiceRevisions"] = [
            {
                "arn": d["_revision"],
                "requestedTaskCount": d["desiredCount"],
                "runningTaskCount": d["runningCount"],
                "pendingTaskCount": d["pendingCount"],
            }
            for d in row["deployments"]
        ]
    if include_tags:
        out["tags"] = tag_list(row.get("_tags"))
    return out


class ServiceMixin:
    # -- the API -------------------------------------------------------------------------------

    def service_key(  # type: ignore[misc]
        self: Provider, context: RequestContext, cluster: str | None, service: str
    ) -> tuple[str, str]:
        name = self.cluster_row(context, cluster)["clusterName"]
        return self.scope_of(context), f"{name}/{cluster_name(service)}"

    def _deployment(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        service: dict[str, Any],
        definition: str,
        params: dict,
        status: str = "PRIMARY",
    ) -> dict[str, Any]:
        ident = deployment_id()
        moment = now()
        cluster = service["clusterArn"].rsplit("/", 1)[-1]
        deployment: dict[str, Any] = {
            "id": ident,
            "status": status,
            "taskDefinition": definition,
            "desiredCount": service["desiredCount"],
            "pendingCount": 0,
            "runningCount": 0,
            "failedTasks": 0,
            "createdAt": moment,
            "updatedAt": moment,
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": "ECS deployment " + ident + " in progress.",
            "_revision": arn(
                context.region,
                context.account,
                f"service-revision/{cluster}/{service['serviceName']}/{ident.split('/')[1]}",
            ),
            "_deployment_arn": arn(
                context.region,
                context.account,
                f"service-deployment/{cluster}/{service['serviceName']}/{ident.split('/')[1]}",
            ),
        }
        for key in (
            "launchType",
            "capacityProviderStrategy",
            "platformVersion",
            "platformFamily",
            "networkConfiguration",
        ):
            if service.get(key):
                deployment[key] = service[key]
        if service.get("_serviceConnect"):
            deployment["serviceConnectConfiguration"] = service["_serviceConnect"]
        if service.get("_volumeConfigurations"):
            deployment["volumeConfigurations"] = service["_volumeConfigurations"]
        return deployment

    def create_service(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = self.cluster_row(context, params.get("cluster"))
        name = params["serviceName"]
        if not NAME.match(name):
            raise invalid(
                "Service name can contain only letters, numbers, underscores, and hyphens, up to 255 characters."
            )
        strategy_kind = params.get("schedulingStrategy") or "REPLICA"
        controller = (params.get("deploymentController") or {}).get("type", "ECS")
        desired = params.get("desiredCount")
        if strategy_kind == "DAEMON":
            if desired is not None:
                raise invalid("The daemon scheduling strategy does not support a desired count for services.")
            desired = 1
        elif desired is None:
            desired = 0 if controller == "EXTERNAL" else 1
        if desired < 0:
            raise invalid("desiredCount must be greater than or equal to 0.")
        definition = None
        if params.get("taskDefinition"):
            definition = self.find_task_definition(context, params["taskDefinition"])
            if definition["status"] != "ACTIVE":
                raise client_error("TaskDefinition is inactive")
        elif controller == "ECS":
            raise invalid("TaskDefinition must be specified for services with the ECS deployment controller.")
        launch, strategy = self.launch_type_of(context, cluster, params)
        if definition is not None:
            self.check_network(definition, params.get("networkConfiguration"), launch)
        config = _deployment_configuration(params.get("deploymentConfiguration"), strategy_kind)
        scope = self.scope_of(context)
        key = f"{cluster['clusterName']}/{name}"
        with self.store.transaction():
            existing = self.services.get(scope, key)
            if existing is not None and existing["status"] in ("ACTIVE", "DRAINING"):
                raise invalid("Creation of service was not idempotent.")
            service: dict[str, Any] = {
                "serviceArn": arn(
                    context.region, context.account, f"service/{cluster['clusterName']}/{name}"
                ),
                "serviceName": name,
                "clusterArn": cluster["clusterArn"],
                "loadBalancers": params.get("loadBalancers") or [],
                "serviceRegistries": params.get("serviceRegistries") or [],
                "status": "ACTIVE",
                "desiredCount": desired,
                "runningCount": 0,
                "pendingCount": 0,
                "deploymentConfiguration": config,
                "deployments": [],
                "taskSets": [],
                "events": [],
                "createdAt": now(),
                "placementConstraints": params.get("placementConstraints") or [],
                "placementStrategy": params.get("placementStrategy") or [],
                "schedulingStrategy": strategy_kind,
                "deploymentController": {"type": controller},
                "createdBy": context.principal_arn,
                "enableECSManagedTags": bool(params.get("enableECSManagedTags")),
                "propagateTags": params.get("propagateTags") or "NONE",
                "enableExecuteCommand": bool(params.get("enableExecuteCommand")),
                "_tags": tag_map(params.get("tags")),
                "_deployment_history": [],
            }
            if launch and not strategy:
                service["launchType"] = launch
            if strategy:
                service["capacityProviderStrategy"] = strategy
            if launch == "FARGATE":
                service["platformVersion"] = params.get("platformVersion") or "LATEST"
                service["platformFamily"] = "Linux"
            for field in (
                "networkConfiguration",
                "healthCheckGracePeriodSeconds",
                "roleArn",
                "availabilityZoneRebalancing",
            ):
                if params.get(field) is not None:
                    service[field] = params[field]
            if params.get("volumeConfigurations"):
                service["_volumeConfigurations"] = params["volumeConfigurations"]
            if params.get("serviceConnectConfiguration"):
                service["_serviceConnect"] = self._service_connect(
                    context, cluster, params["serviceConnectConfiguration"]
                )
            if definition is not None:
                service["taskDefinition"] = definition["taskDefinitionArn"]
                if controller == "ECS":
                    service["deployments"] = [
                        self._deployment(context, service, definition["taskDefinitionArn"], params)
                    ]
                    self._record_deployment(service, service["deployments"][0], [])
            self.services.put(scope, key, service)
        self.reconcile_soon()
        return {"service": service_output(service)}

    def _service_connect(  # type: ignore[misc]
        self: Provider, context: RequestContext, cluster: dict[str, Any], config: dict[str, Any]
    ) -> dict[str, Any]:
        config = dict(config)
        if config.get("enabled") and not config.get("namespace"):
            default = (cluster.get("serviceConnectDefaults") or {}).get("namespace")
            if not default:
                raise invalid(
                    "Service Connect needs a namespace: the service names none and its cluster has no default."
                )
            config["namespace"] = default
        return config

    def describe_services(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = self.cluster_row(context, params.get("cluster"))
        if len(params["services"]) > 10:
            raise invalid("services can have at most 10 items.")
        include_tags = "TAGS" in (params.get("include") or [])
        scope = self.scope_of(context)
        found, failures = [], []
        for reference in params["services"]:
            row = self.services.get(scope, f"{cluster['clusterName']}/{cluster_name(reference)}")
            if row is None:
                failures.append(
                    {
                        "arn": reference
                        if reference.startswith("arn:")
                        else arn(
                            context.region, context.account, f"service/{cluster['clusterName']}/{reference}"
                        ),
                        "reason": "MISSING",
                    }
                )
            else:
                found.append(service_output(row, include_tags))
        return {"services": found, "failures": failures}

    def list_services(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = self.cluster_row(context, params.get("cluster"))
        arns = [
            row["serviceArn"]
            for _, row in self.services.scan(self.scope_of(context), prefix=cluster["clusterName"] + "/")
            if row["status"] in ("ACTIVE", "DRAINING")
            and (not params.get("launchType") or row.get("launchType") == params["launchType"])
            and (
                not params.get("schedulingStrategy")
                or row["schedulingStrategy"] == params["schedulingStrategy"]
            )
            and (not params.get("resourceManagementType") or params["resourceManagementType"] == "CUSTOMER")
        ]
        return self.page(context, "ListServices", params, arns)

    def list_services_by_namespace(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        namespace = params["namespace"]
        wanted = {namespace, namespace.rsplit("/", 1)[-1]}
        arns = []
        for _, row in self.services.scan(self.scope_of(context)):
            found = (row.get("_serviceConnect") or {}).get("namespace")
            if (
                row["status"] == "ACTIVE"
                and found
                and (found in wanted or found.rsplit("/", 1)[-1] in wanted)
            ):
                arns.append(row["serviceArn"])
        return self.page(context, "ListServicesByNamespace", params, arns)

    def update_service(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, key = self.service_key(context, params.get("cluster"), params["service"])
        with self.store.transaction():
            service = self.services.get(scope, key)
            if service is None:
                raise service_not_found()
            if service["status"] != "ACTIVE":
                raise service_not_active()
            new_definition = None
            if params.get("taskDefinition"):
                definition = self.find_task_definition(context, params["taskDefinition"])
                if definition["status"] != "ACTIVE":
                    raise client_error("TaskDefinition is inactive")
                new_definition = definition["taskDefinitionArn"]
                self.check_network(
                    definition,
                    params.get("networkConfiguration") or service.get("networkConfiguration"),
                    service.get("launchType") or "EC2",
                )
            if params.get("desiredCount") is not None:
                if params["desiredCount"] < 0:
                    raise invalid("desiredCount must be greater than or equal to 0.")
                if service["schedulingStrategy"] == "DAEMON":
                    raise invalid(
                        "The daemon scheduling strategy does not support a desired count for services."
                    )
                service["desiredCount"] = params["desiredCount"]
                for deployment in service["deployments"]:
                    if deployment["status"] == "PRIMARY":
                        deployment["desiredCount"] = params["desiredCount"]
            changed_spec = False
            if params.get("deploymentConfiguration") is not None:
                service["deploymentConfiguration"] = _deployment_configuration(
                    {**service["deploymentConfiguration"], **params["deploymentConfiguration"]},
                    service["schedulingStrategy"],
                )
            for field in (
                "networkConfiguration",
                "platformVersion",
                "placementConstraints",
                "placementStrategy",
                "loadBalancers",
                "serviceRegistries",
            ):
                if params.get(field) is not None and params[field] != service.get(field):
                    service[field] = params[field]
                    changed_spec = True
            if params.get("volumeConfigurations") is not None:
                service["_volumeConfigurations"] = params["volumeConfigurations"]
                changed_spec = True
            if params.get("capacityProviderStrategy") is not None:
                service["capacityProviderStrategy"] = params["capacityProviderStrategy"]
                changed_spec = True
            if params.get("serviceConnectConfiguration") is not None:
                cluster = self.cluster_row(context, params.get("cluster"))
                service["_serviceConnect"] = self._service_connect(
                    context, cluster, params["serviceConnectConfiguration"]
                )
                changed_spec = True
            for field in (
                "healthCheckGracePeriodSeconds",
                "enableExecuteCommand",
                "enableECSManagedTags",
                "propagateTags",
                "availabilityZoneRebalancing",
            ):
                if params.get(field) is not None:
                    service[field] = params[field]
            if new_definition is not None:
                changed_spec = changed_spec or new_definition != service.get("taskDefinition")
                service["taskDefinition"] = new_definition
            if service["deploymentController"]["type"] == "ECS" and (
                changed_spec or params.get("forceNewDeployment")
            ):
                self.new_deployment(context, service, service["taskDefinition"])
            self.services.put(scope, key, service)
        self.reconcile_soon()
        return {"service": service_output(service)}

    def new_deployment(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        service: dict[str, Any],
        definition: str,
        rollback_of: str | None = None,
    ) -> dict[str, Any]:
        """A new PRIMARY deployment; the previous ones become ACTIVE and drain."""
        sources = []
        for old in service["deployments"]:
            if old["status"] == "PRIMARY":
                old["status"] = "ACTIVE"
                old["updatedAt"] = now()
            sources.append(old)
        deployment = self._deployment(context, service, definition, {})
        service["deployments"].insert(0, deployment)
        self._throttle(service, False)  # a new deployment starts its tasks at once
        self._record_deployment(service, deployment, sources, rollback_of)
        return deployment

    def _record_deployment(  # type: ignore[misc]
        self: Provider,
        service: dict[str, Any],
        deployment: dict[str, Any],
        sources: list[dict[str, Any]],
        rollback_of: str | None = None,
    ) -> None:
        history = service.setdefault("_deployment_history", [])
        history.insert(
            0,
            {
                "serviceDeploymentArn": deployment["_deployment_arn"],
                "serviceArn": service["serviceArn"],
                "clusterArn": service["clusterArn"],
                "createdAt": deployment["createdAt"],
                "startedAt": deployment["createdAt"],
                "updatedAt": deployment["createdAt"],
                "status": "ROLLBACK_IN_PROGRESS" if rollback_of else "IN_PROGRESS",
                "targetServiceRevisionArn": deployment["_revision"],
                "_sources": [s["_revision"] for s in sources],
                "_deployment_id": deployment["id"],
            },
        )
        del history[50:]
        revisions = service.setdefault("_revisions", {})
        revisions[deployment["_revision"]] = {
            "serviceRevisionArn": deployment["_revision"],
            "serviceArn": service["serviceArn"],
            "clusterArn": service["clusterArn"],
            "taskDefinition": deployment["taskDefinition"],
            "loadBalancers": service.get("loadBalancers") or [],
            "serviceRegistries": service.get("serviceRegistries") or [],
            "createdAt": deployment["createdAt"],
            **{
                k: service[k]
                for k in (
                    "launchType",
                    "capacityProviderStrategy",
                    "platformVersion",
                    "platformFamily",
                    "networkConfiguration",
                )
                if service.get(k)
            },
        }
        if service.get("_serviceConnect"):
            revisions[deployment["_revision"]]["serviceConnectConfiguration"] = service["_serviceConnect"]
        if service.get("_volumeConfigurations"):
            revisions[deployment["_revision"]]["volumeConfigurations"] = service["_volumeConfigurations"]

    def delete_service(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, key = self.service_key(context, params.get("cluster"), params["service"])
        with self.store.transaction():
            service = self.services.get(scope, key)
            if service is None or service["status"] == "INACTIVE":
                raise service_not_found()
            if (
                service["desiredCount"] > 0
                and not params.get("force")
                and service["schedulingStrategy"] == "REPLICA"
            ):
                raise invalid("The service cannot be stopped while it is scaled above 0.")
            service["status"] = "DRAINING"
            service["desiredCount"] = 0
            for deployment in service["deployments"]:
                deployment["desiredCount"] = 0
            self.services.put(scope, key, service)
        self.reconcile_soon()
        return {"service": service_output(service)}

    # -- the scheduler -------------------------------------------------------------------------

    def reconcile_soon(self: Provider) -> None:  # type: ignore[misc]
        self.runtime.scheduler.at(
            "ecs:reconcile", self.runtime.scheduler.now(), lambda key, due: self.reconcile_all()
        )

    def reconcile_all(self: Provider) -> None:  # type: ignore[misc]
        for scope in self.services.scopes():
            for key, service in list(self.services.scan(scope)):
                if service["status"] == "INACTIVE":
                    continue
                try:
                    self.reconcile(scope, key)
                except Exception:  # one service's trouble must not stop the others'
                    import logging

                    logging.getLogger(__name__).exception("ECS service %s", key)

    def _service_tasks(self: Provider, scope: str, service: dict[str, Any]) -> list[dict[str, Any]]:  # type: ignore[misc]
        cluster = service["clusterArn"].rsplit("/", 1)[-1]
        group = f"service:{service['serviceName']}"
        return [row for _, row in self.tasks.scan(scope, prefix=cluster + "/") if row.get("group") == group]

    def reconcile(self: Provider, scope: str, key: str) -> None:  # type: ignore[misc]
        account, _, region = scope.partition("/")
        context = RequestContext.internal("ecs", account, region)
        service = self.services.get(scope, key)
        if service is None:
            return
        tasks = self._service_tasks(scope, service)
        live = [t for t in tasks if t["desiredStatus"] == "RUNNING"]
        if service["deploymentController"]["type"] != "ECS":
            units = [
                (t["id"], t["taskDefinition"], t["computedDesiredCount"], t)
                for t in service.get("taskSets", [])
            ]
        else:
            units = [
                (d["id"], d["taskDefinition"], d["desiredCount"] if d["status"] == "PRIMARY" else 0, d)
                for d in service["deployments"]
            ]
        config = service["deploymentConfiguration"]
        desired = service["desiredCount"]
        maximum = math.floor(desired * config.get("maximumPercent", 200) / 100) if desired else 0
        minimum = math.ceil(desired * config.get("minimumHealthyPercent", 100) / 100)
        started: list[str] = []
        stopped: list[str] = []
        cluster = self.clusters.get(scope, service["clusterArn"].rsplit("/", 1)[-1])
        for ident, definition_arn, want, unit in units:
            mine = [t for t in live if t.get("startedBy") == ident]
            if unit.get("rolloutState") == "FAILED" and unit.get("status") == "PRIMARY":
                want = len(mine)
            missing = want - len(mine)
            throttled = service.get("_launch_after", 0) > time.time()
            if missing > 0 and cluster is not None and cluster["status"] == "ACTIVE" and not throttled:
                room = (
                    missing
                    if service["deploymentController"]["type"] != "ECS"
                    else min(missing, max(maximum - len(live), 0))
                )
                if (
                    service["deploymentController"]["type"] == "ECS"
                    and maximum <= desired
                    and not any(t.get("startedBy") != ident for t in live)
                ):
                    room = missing  # nothing old to make room for
                definition = self.find_task_definition(context, definition_arn.rsplit("/", 1)[-1])
                params = {
                    "networkConfiguration": unit.get("networkConfiguration")
                    or service.get("networkConfiguration"),
                    "platformVersion": service.get("platformVersion")
                    if service.get("platformVersion") != "LATEST"
                    else None,
                    "enableExecuteCommand": service.get("enableExecuteCommand"),
                    "enableECSManagedTags": service.get("enableECSManagedTags"),
                }
                if service.get("propagateTags") == "SERVICE":
                    params["tags"] = tag_list(service.get("_tags"))
                launch = unit.get("launchType") or service.get("launchType") or "EC2"
                strategy = (
                    unit.get("capacityProviderStrategy") or service.get("capacityProviderStrategy") or []
                )
                for _ in range(room):
                    row = self.new_task(
                        context,
                        cluster,
                        definition,
                        params,
                        launch,
                        strategy,
                        f"service:{service['serviceName']}",
                        ident,
                    )
                    self.launch(context, row)
                    live.append(row)
                    started.append(row["taskArn"])
            elif missing < 0:
                surplus = sorted(
                    mine,
                    key=lambda t: (
                        bool((t.get("_protection") or {}).get("protectionEnabled")),
                        t["lastStatus"] == "RUNNING",
                    ),
                )
                for row in surplus[:-missing]:
                    if (row.get("_protection") or {}).get("protectionEnabled") and (
                        row["_protection"].get("expirationDate") or now()
                    ) > now():
                        continue
                    if service["deploymentController"]["type"] == "ECS" and unit.get("status") != "PRIMARY":
                        healthy = sum(
                            1
                            for t in live
                            if t["lastStatus"] == "RUNNING"
                            and t.get("healthStatus") != "UNHEALTHY"
                            and t.get("desiredStatus") == "RUNNING"
                        )
                        primary_running = sum(
                            1
                            for t in live
                            if t["lastStatus"] == "RUNNING" and t.get("startedBy") == units[0][0]
                        )
                        if (
                            row["lastStatus"] == "RUNNING"
                            and healthy - 1 < minimum
                            and primary_running < desired
                        ):
                            continue
                    reason = f"Scaling activity initiated by (deployment {ident})"
                    task_key = "/".join(row["taskArn"].split("/")[-2:])
                    self.stop_one(account, region, scope, task_key, "ServiceSchedulerInitiated", reason)
                    row["desiredStatus"] = "STOPPED"
                    stopped.append(row["taskArn"])
        self._update_counts(context, scope, key, started, stopped)

    def _update_counts(  # type: ignore[misc]
        self: Provider, context: RequestContext, scope: str, key: str, started: list[str], stopped: list[str]
    ) -> None:
        with self.store.transaction():
            service = self.services.get(scope, key)
            if service is None:
                return
            tasks = self._service_tasks(scope, service)
            live = [t for t in tasks if t["desiredStatus"] == "RUNNING"]
            service["runningCount"] = sum(1 for t in live if t["lastStatus"] == "RUNNING")
            service["pendingCount"] = sum(1 for t in live if t["lastStatus"] in STARTING)
            name = service["serviceName"]
            if started:
                self._service_event(
                    service, f"(service {name}) has started {len(started)} tasks: {_ids(started)}."
                )
            if stopped:
                self._service_event(
                    service, f"(service {name}) has stopped {len(stopped)} running tasks: {_ids(stopped)}."
                )
            units = (
                service["deployments"]
                if service["deploymentController"]["type"] == "ECS"
                else service.get("taskSets", [])
            )
            for unit in units:
                mine = [t for t in live if t.get("startedBy") == unit["id"]]
                unit["runningCount"] = sum(1 for t in mine if t["lastStatus"] == "RUNNING")
                unit["pendingCount"] = sum(1 for t in mine if t["lastStatus"] in STARTING)
            if service["deploymentController"]["type"] == "ECS":
                self._progress_deployments(context, service, live)
            else:
                for unit in units:
                    stable = (
                        unit["runningCount"] == unit["computedDesiredCount"] and unit["pendingCount"] == 0
                    )
                    status = "STEADY_STATE" if stable else "STABILIZING"
                    if unit["stabilityStatus"] != status:
                        unit["stabilityStatus"], unit["stabilityStatusAt"] = status, now()
                service["taskSets"] = [
                    u
                    for u in units
                    if not (u["status"] == "DRAINING" and u["runningCount"] == 0 and u["pendingCount"] == 0)
                ]
            if service["status"] == "DRAINING" and not live:
                service["status"] = "INACTIVE"
                service["deployments"] = []
            self.services.put(scope, key, service)

    def _progress_deployments(  # type: ignore[misc]
        self: Provider, context: RequestContext, service: dict[str, Any], live: list[dict[str, Any]]
    ) -> None:
        if not service["deployments"]:
            return
        primary = service["deployments"][0]
        name = service["serviceName"]
        others = [d for d in service["deployments"][1:]]
        # Old deployments with nothing left go away, as on AWS.
        service["deployments"] = [primary] + [d for d in others if d["runningCount"] or d["pendingCount"]]
        record = next(
            (r for r in service.get("_deployment_history", []) if r["_deployment_id"] == primary["id"]), None
        )
        if primary["rolloutState"] == "IN_PROGRESS":
            breaker = service["deploymentConfiguration"].get("deploymentCircuitBreaker") or {}
            if breaker.get("enable") and primary["failedTasks"] >= failure_threshold(service["desiredCount"]):
                primary["rolloutState"] = "FAILED"
                primary["rolloutStateReason"] = "ECS deployment circuit breaker: tasks failed to start."
                primary["updatedAt"] = now()
                self._service_event(
                    service,
                    f"(service {name}) (deployment {primary['id']}) deployment failed: tasks failed to start.",
                )
                self._deployment_event(
                    context,
                    service,
                    primary,
                    "SERVICE_DEPLOYMENT_FAILED",
                    "ERROR",
                    primary["rolloutStateReason"],
                )
                previous = next(
                    (
                        r
                        for r in service.get("_deployment_history", [])
                        if r["status"] in ("SUCCESSFUL", "ROLLBACK_SUCCESSFUL")
                        and r["_deployment_id"] != primary["id"]
                    ),
                    None,
                )
                if record is not None:
                    record["status"] = (
                        "ROLLBACK_REQUESTED" if breaker.get("rollback") and previous else "STOPPED"
                    )
                    record["statusReason"] = primary["rolloutStateReason"]
                    record["finishedAt"] = now()
                if breaker.get("rollback") and previous is not None:
                    target = service["_revisions"][previous["targetServiceRevisionArn"]]
                    rollback = self.new_deployment(
                        context, service, target["taskDefinition"], rollback_of=primary["id"]
                    )
                    service["taskDefinition"] = target["taskDefinition"]
                    self._service_event(
                        service, f"(service {name}) rolling back to deployment {previous['_deployment_id']}."
                    )
                    del rollback
                return
            old_live = [t for t in live if t.get("startedBy") != primary["id"]]
            if (
                primary["runningCount"] == primary["desiredCount"]
                and primary["pendingCount"] == 0
                and not old_live
            ):
                primary["rolloutState"] = "COMPLETED"
                primary["rolloutStateReason"] = f"ECS deployment {primary['id']} completed."
                primary["updatedAt"] = now()
                if record is not None:
                    record["status"] = (
                        "ROLLBACK_SUCCESSFUL" if record["status"] == "ROLLBACK_IN_PROGRESS" else "SUCCESSFUL"
                    )
                    record["finishedAt"] = now()
                self._service_event(
                    service, f"(service {name}) (deployment {primary['id']}) deployment completed."
                )
                self._deployment_event(
                    context,
                    service,
                    primary,
                    "SERVICE_DEPLOYMENT_COMPLETED",
                    "INFO",
                    primary["rolloutStateReason"],
                )
                self._service_event(service, f"(service {name}) has reached a steady state.")
                self._action_event(context, service, "SERVICE_STEADY_STATE", "INFO")

    def task_stopped(self: Provider, run: Any) -> None:  # type: ignore[misc]
        """A task's run ended: count a service task that never ran as a failed one of its
        deployment, and let the scheduler replace it."""
        row = self.tasks.get(run.scope, run.key)
        if row is None or not str(row.get("group", "")).startswith("service:"):
            return
        service_key = f"{run.key.split('/')[0]}/{row['group'].split(':', 1)[1]}"
        with self.store.transaction():
            service = self.services.get(run.scope, service_key)
            if service is None:
                return
            failed = (
                not row.get("startedAt")
                or row.get("stopCode") == "TaskFailedToStart"
                or (
                    row.get("stopCode") == "EssentialContainerExited"
                    and row.get("startedAt")
                    and (now() - row["startedAt"]) < timedelta(seconds=30)
                )
                or row.get("stoppedReason") == "Task failed container health checks"
            )
            failed = bool(failed) and row.get("stopCode") != "UserInitiated"
            for unit in service["deployments"]:
                if unit["id"] == row.get("startedBy") and failed:
                    unit["failedTasks"] = unit.get("failedTasks", 0) + 1
            self._throttle(service, failed)
            if (
                row.get("stopCode") not in ("ServiceSchedulerInitiated",)
                or row.get("stoppedReason") == "Task failed container health checks"
            ):
                self._service_event(
                    service,
                    f"(service {service['serviceName']}) has stopped 1 running tasks: (task {row['taskArn'].rsplit('/', 1)[-1]}).",
                )
            self.services.put(run.scope, service_key, service)
        self.reconcile_soon()

    def _throttle(self: Provider, service: dict[str, Any], failed: bool) -> None:  # type: ignore[misc]
        """ECS's service throttle: after THROTTLE_AFTER tasks in a row fail to start, the next
        launch waits, twice as long after each further failure (up to 15 minutes), so a service
        whose tasks cannot run does not churn through them."""
        if not failed:
            service["_failed_starts"] = 0
            service.pop("_launch_after", None)
            return
        count = service.get("_failed_starts", 0) + 1
        service["_failed_starts"] = count
        if count >= THROTTLE_AFTER:
            wait = min(THROTTLE_BASE_SECONDS * 2 ** (count - THROTTLE_AFTER), THROTTLE_MAX_SECONDS)
            service["_launch_after"] = time.time() + wait
            self._service_event(
                service,
                f"(service {service['serviceName']}) is unable to consistently start tasks successfully. "
                "For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.",
            )
            _, _, _, region, account, _ = service["serviceArn"].split(":", 5)
            self.publish_event(
                account, region, "ECS Service Action", [service["serviceArn"]],
                {"eventType": "WARN", "eventName": "SERVICE_TASK_START_IMPAIRED", "clusterArn": service["clusterArn"], "createdAt": now()},
            )  # fmt: skip

    def sweep_stopped_tasks(self: Provider) -> None:  # type: ignore[misc]
        """Forget tasks stopped more than an hour ago, as ECS does (DescribeTasks: MISSING)."""
        horizon = now() - timedelta(seconds=STOPPED_TASK_SECONDS)
        for scope in self.tasks.scopes():
            for key, row in list(self.tasks.scan(scope)):
                if row["lastStatus"] == "STOPPED" and row.get("stoppedAt") and row["stoppedAt"] < horizon:
                    self.tasks.delete(scope, key)

    def _service_event(self: Provider, service: dict[str, Any], message: str) -> None:  # type: ignore[misc]
        service["events"].insert(
            0,
            {
                "id": f"{new_id()[:8]}-{new_id()[:4]}-{new_id()[:4]}-{new_id()[:4]}-{new_id()[:12]}",
                "createdAt": now(),
                "message": message,
            },
        )
        del service["events"][MAX_EVENTS:]

    def _action_event(  # type: ignore[misc]
        self: Provider, context: RequestContext, service: dict[str, Any], name: str, kind: str
    ) -> None:
        self.publish_event(
            context.account,
            context.region,
            "ECS Service Action",
            [service["serviceArn"]],
            {"eventType": kind, "eventName": name, "clusterArn": service["clusterArn"], "createdAt": now()},
        )

    def _deployment_event(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        service: dict[str, Any],
        deployment: dict[str, Any],
        name: str,
        kind: str,
        reason: str,
    ) -> None:
        self.publish_event(
            context.account,
            context.region,
            "ECS Deployment State Change",
            [service["serviceArn"]],
            {
                "eventType": kind,
                "eventName": name,
                "deploymentId": deployment["id"],
                "updatedAt": now(),
                "reason": reason,
            },
        )


def _ids(arns: list[str]) -> str:
    return ", ".join(f"(task {a.rsplit('/', 1)[-1]})" for a in arns)


def _deployment_configuration(given: dict[str, Any] | None, strategy: str) -> dict[str, Any]:
    config = dict(given or {})
    breaker = dict(config.get("deploymentCircuitBreaker") or {"enable": False, "rollback": False})
    breaker.setdefault("enable", False)
    breaker.setdefault("rollback", False)
    config["deploymentCircuitBreaker"] = breaker
    config.setdefault("maximumPercent", 100 if strategy == "DAEMON" else 200)
    config.setdefault("minimumHealthyPercent", 0 if strategy == "DAEMON" else 100)
    if config["maximumPercent"] < config["minimumHealthyPercent"]:
        raise invalid("maximumPercent must be greater than or equal to minimumHealthyPercent.")
    if config["maximumPercent"] < 100 and config["minimumHealthyPercent"] >= 100:
        raise invalid("maximumPercent must be at least 100 when minimumHealthyPercent is 100.")
    return config
