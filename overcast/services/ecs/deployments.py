"""Service deployments and revisions as ECS records them (ListServiceDeployments,
DescribeServiceDeployments, DescribeServiceRevisions, StopServiceDeployment with its rollback),
and task sets: the deployments of a service whose deployment controller is EXTERNAL or
CODE_DEPLOY, each running its share (scale) of the service's desired count; the scheduler
(services.py) starts and stops their tasks."""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ecs.common import (
    arn,
    invalid,
    now,
    public,
    service_not_active,
    service_not_found,
    tag_list,
    tag_map,
)

if TYPE_CHECKING:
    from overcast.services.ecs.provider import Provider


def failure_threshold(desired: int) -> int:
    """Failed tasks after which the circuit breaker trips: half the desired count, 3 to 200."""
    return max(3, min(200, math.ceil(desired / 2)))


class DeploymentMixin:
    # -- service deployments and revisions -------------------------------------------------------

    def _service_for_arn(  # type: ignore[misc]
        self: Provider, context: RequestContext, resource_arn: str
    ) -> tuple[str, str, dict[str, Any]]:
        parts = resource_arn.split(":", 5)
        if len(parts) != 6:
            raise invalid(f"Invalid ARN {resource_arn}.")
        _, cluster, service, *_ = [*parts[5].split("/"), "", "", ""][:4]
        scope = self.scope_of(context)
        row = self.services.get(scope, f"{cluster}/{service}")
        if row is None:
            raise service_not_found()
        return scope, f"{cluster}/{service}", row

    def _service_deployment_output(  # type: ignore[misc]
        self: Provider, service: dict[str, Any], record: dict[str, Any]
    ) -> dict[str, Any]:
        out = public(record)
        deployment = next((d for d in service["deployments"] if d["id"] == record["_deployment_id"]), None)
        revisions = service.get("_revisions", {})
        target = revisions.get(record["targetServiceRevisionArn"], {})
        out["targetServiceRevision"] = {
            "arn": record["targetServiceRevisionArn"],
            "requestedTaskCount": deployment["desiredCount"] if deployment else 0,
            "runningTaskCount": deployment["runningCount"] if deployment else 0,
            "pendingTaskCount": deployment["pendingCount"] if deployment else 0,
        }
        out.pop("targetServiceRevisionArn", None)
        out["sourceServiceRevisions"] = [
            {"arn": s, "requestedTaskCount": 0, "runningTaskCount": 0, "pendingTaskCount": 0}
            for s in record.get("_sources", [])
        ]
        out["deploymentConfiguration"] = service["deploymentConfiguration"]
        breaker = service["deploymentConfiguration"].get("deploymentCircuitBreaker") or {}
        if breaker.get("enable"):
            out["deploymentCircuitBreaker"] = {
                "status": "TRIGGERED"
                if deployment and deployment.get("rolloutState") == "FAILED"
                else "MONITORING",
                "failureCount": deployment["failedTasks"] if deployment else 0,
                "threshold": failure_threshold(service["desiredCount"]),
            }
        del target
        return out

    def list_service_deployments(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, key = self.service_key(context, params.get("cluster"), params["service"])
        service = self.services.get(scope, key)
        if service is None:
            raise service_not_found()
        wanted = params.get("status")
        created = params.get("createdAt") or {}
        found = []
        for record in service.get("_deployment_history", []):
            if wanted and record["status"] not in wanted:
                continue
            if created.get("before") and record["createdAt"] >= created["before"]:
                continue
            if created.get("after") and record["createdAt"] <= created["after"]:
                continue
            found.append(
                {
                    "serviceDeploymentArn": record["serviceDeploymentArn"],
                    "serviceArn": record["serviceArn"],
                    "clusterArn": record["clusterArn"],
                    "startedAt": record["startedAt"],
                    "createdAt": record["createdAt"],
                    "targetServiceRevisionArn": record["targetServiceRevisionArn"],
                    "status": record["status"],
                    **({"finishedAt": record["finishedAt"]} if record.get("finishedAt") else {}),
                    **({"statusReason": record["statusReason"]} if record.get("statusReason") else {}),
                }
            )
        return self.page(context, "ListServiceDeployments", params, found)

    def describe_service_deployments(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        found, failures = [], []
        for reference in params["serviceDeploymentArns"]:
            try:
                _, _, service = self._service_for_arn(context, reference)
            except ServiceError:
                failures.append({"arn": reference, "reason": "MISSING"})
                continue
            record = next(
                (r for r in service.get("_deployment_history", []) if r["serviceDeploymentArn"] == reference),
                None,
            )
            if record is None:
                failures.append({"arn": reference, "reason": "MISSING"})
            else:
                found.append(self._service_deployment_output(service, record))
        return {"serviceDeployments": found, "failures": failures}

    def describe_service_revisions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        found, failures = [], []
        for reference in params["serviceRevisionArns"]:
            try:
                _, _, service = self._service_for_arn(context, reference)
            except ServiceError:
                failures.append({"arn": reference, "reason": "MISSING"})
                continue
            revision = service.get("_revisions", {}).get(reference)
            if revision is None:
                failures.append({"arn": reference, "reason": "MISSING"})
            else:
                found.append(dict(revision))
        return {"serviceRevisions": found, "failures": failures}

    def stop_service_deployment(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        reference = params["serviceDeploymentArn"]
        scope, key, service = self._service_for_arn(context, reference)
        with self.store.transaction():
            service = self.services.get(scope, key)
            record = next(
                (r for r in service.get("_deployment_history", []) if r["serviceDeploymentArn"] == reference),
                None,
            )
            if record is None:
                raise not_found_deployment()
            if record["status"] not in ("IN_PROGRESS", "PENDING"):
                raise ServiceError(
                    "ConflictException", "The service deployment is not in progress: it cannot be stopped."
                )
            record["status"] = "STOP_REQUESTED"
            previous = [r for r in service["_deployment_history"] if r["status"] == "SUCCESSFUL"]
            if params.get("stopType", "ROLLBACK") == "ROLLBACK" and previous:
                target = service["_revisions"][previous[0]["targetServiceRevisionArn"]]
                record["status"] = "STOPPED"
                record["finishedAt"] = now()
                self.new_deployment(context, service, target["taskDefinition"], rollback_of=reference)
            else:
                record["status"] = "STOPPED"
                record["finishedAt"] = now()
            self.services.put(scope, key, service)
        self.reconcile_soon()
        return {"serviceDeploymentArn": reference}

    def continue_service_deployment(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        reference = params["serviceDeploymentArn"]
        _, _, service = self._service_for_arn(context, reference)
        record = next(
            (r for r in service.get("_deployment_history", []) if r["serviceDeploymentArn"] == reference),
            None,
        )
        if record is None:
            raise not_found_deployment()
        raise ServiceError(
            "ConflictException",
            "The service deployment is not waiting at a lifecycle hook: there is nothing to continue.",
        )

    # -- task sets ------------------------------------------------------------------------------

    def _external_service(  # type: ignore[misc]
        self: Provider, context: RequestContext, cluster: str | None, service_ref: str
    ) -> tuple[str, str, dict[str, Any]]:
        scope, key = self.service_key(context, cluster, service_ref)
        service = self.services.get(scope, key)
        if service is None:
            raise service_not_found()
        if service["status"] != "ACTIVE":
            raise service_not_active()
        if service["deploymentController"]["type"] == "ECS":
            raise invalid(
                "Amazon ECS only supports task set management on services configured to use "
                "external deployment controllers."
            )
        return scope, key, service

    def create_task_set(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, key, service = self._external_service(context, params["cluster"], params["service"])
        cluster = self.cluster_row(context, params["cluster"])
        definition = self.find_task_definition(context, params["taskDefinition"])
        launch, strategy = self.launch_type_of(context, cluster, params)
        self.check_network(definition, params.get("networkConfiguration"), launch)
        scale = params.get("scale") or {"value": 100.0, "unit": "PERCENT"}
        ident = "ecs-svc/" + "".join(random.choice("0123456789") for _ in range(19))
        task_set: dict[str, Any] = {
            "id": ident,
            "taskSetArn": arn(
                context.region,
                context.account,
                f"task-set/{cluster['clusterName']}/{service['serviceName']}/{ident}",
            ),
            "serviceArn": service["serviceArn"],
            "clusterArn": cluster["clusterArn"],
            "status": "ACTIVE" if service.get("taskSets") else "PRIMARY",
            "taskDefinition": definition["taskDefinitionArn"],
            "computedDesiredCount": 0,
            "pendingCount": 0,
            "runningCount": 0,
            "createdAt": now(),
            "updatedAt": now(),
            "loadBalancers": params.get("loadBalancers") or [],
            "serviceRegistries": params.get("serviceRegistries") or [],
            "scale": scale,
            "stabilityStatus": "STABILIZING",
            "stabilityStatusAt": now(),
            "_tags": tag_map(params.get("tags")),
        }
        for field in ("externalId", "networkConfiguration", "platformVersion"):
            if params.get(field):
                task_set[field] = params[field]
        if strategy:
            task_set["capacityProviderStrategy"] = strategy
        else:
            task_set["launchType"] = launch
        task_set["computedDesiredCount"] = math.ceil(service["desiredCount"] * scale["value"] / 100)
        with self.store.transaction():
            service = self.services.get(scope, key)
            service.setdefault("taskSets", []).append(task_set)
            self.services.put(scope, key, service)
        self.reconcile_soon()
        return {"taskSet": _task_set_output(task_set)}

    def _task_set(self: Provider, service: dict[str, Any], reference: str) -> dict[str, Any]:  # type: ignore[misc]
        for task_set in service.get("taskSets", []):
            if reference in (
                task_set["id"],
                task_set["taskSetArn"],
                task_set["taskSetArn"].rsplit("/", 1)[-1],
            ):
                return task_set
        raise ServiceError("TaskSetNotFoundException", "The specified task set does not exist.")

    def describe_task_sets(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, _, service = self._external_service(context, params["cluster"], params["service"])
        include_tags = "TAGS" in (params.get("include") or [])
        found, failures = [], []
        for reference in params.get("taskSets") or [t["taskSetArn"] for t in service.get("taskSets", [])]:
            try:
                found.append(_task_set_output(self._task_set(service, reference), include_tags))
            except ServiceError:
                failures.append({"arn": reference, "reason": "MISSING"})
        return {"taskSets": found, "failures": failures}

    def update_task_set(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, key, service = self._external_service(context, params["cluster"], params["service"])
        with self.store.transaction():
            service = self.services.get(scope, key)
            task_set = self._task_set(service, params["taskSet"])
            task_set["scale"] = params["scale"]
            task_set["computedDesiredCount"] = math.ceil(
                service["desiredCount"] * params["scale"]["value"] / 100
            )
            task_set["updatedAt"] = now()
            self.services.put(scope, key, service)
        self.reconcile_soon()
        return {"taskSet": _task_set_output(task_set)}

    def update_service_primary_task_set(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, key, service = self._external_service(context, params["cluster"], params["service"])
        with self.store.transaction():
            service = self.services.get(scope, key)
            primary = self._task_set(service, params["primaryTaskSet"])
            for task_set in service["taskSets"]:
                task_set["status"] = "PRIMARY" if task_set is primary else "ACTIVE"
            service["taskDefinition"] = primary["taskDefinition"]
            self.services.put(scope, key, service)
        return {"taskSet": _task_set_output(primary)}

    def delete_task_set(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, key, service = self._external_service(context, params["cluster"], params["service"])
        with self.store.transaction():
            service = self.services.get(scope, key)
            task_set = self._task_set(service, params["taskSet"])
            if task_set["status"] == "PRIMARY" and not params.get("force") and len(service["taskSets"]) > 1:
                raise invalid(
                    "The primary task set cannot be deleted while other task sets exist; use force."
                )
            task_set["status"] = "DRAINING"
            task_set["computedDesiredCount"] = 0
            task_set["scale"] = {"value": 0.0, "unit": "PERCENT"}
            self.services.put(scope, key, service)
        self.reconcile_soon()
        return {"taskSet": _task_set_output(task_set)}


def not_found_deployment() -> ServiceError:
    return ServiceError("ServiceDeploymentNotFoundException", "The service deployment does not exist.")


def _task_set_output(task_set: dict[str, Any], include_tags: bool = False) -> dict[str, Any]:
    out = public(task_set)
    if include_tags:
        out["tags"] = tag_list(task_set.get("_tags"))
    return out
