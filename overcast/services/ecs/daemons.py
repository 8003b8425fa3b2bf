"""ECS daemons: a daemon task definition run once on every container instance of the
capacity providers a daemon names, with deployments and revisions as ECS keeps them.

A daemon runs on the EC2 instances of its (Managed Instances) capacity providers; Overcast's
capacity providers launch no instances, so a daemon's revisions report no running tasks and no
instance without the daemon, and each deployment succeeds at once: nothing has to be replaced.
Daemon task definitions are stored, revised and deleted as ECS does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ecs.common import (
    NAME,
    arn,
    client_error,
    invalid,
    last_part,
    new_id,
    now,
    public,
    tag_map,
)
from overcast.services.ecs.taskdefs import task_cpu, task_memory

if TYPE_CHECKING:
    from overcast.services.ecs.provider import Provider


def daemon_not_found() -> ServiceError:
    return ServiceError("DaemonNotFoundException", "The specified daemon does not exist.")


class DaemonMixin:
    # -- daemon task definitions -----------------------------------------------------------------

    def register_daemon_task_definition(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        family = params["family"]
        if not NAME.match(family):
            raise client_error(
                "Family contains invalid characters: up to 255 letters, numbers, underscores, and hyphens are allowed."
            )
        containers = [dict(c) for c in params["containerDefinitions"]]
        if not containers:
            raise client_error("Container list cannot be empty.")
        names = [c.get("name") for c in containers]
        if any(not n or not NAME.match(n) for n in names) or len(set(names)) != len(names):
            raise client_error(
                "Each container needs a unique name of letters, numbers, hyphens and underscores."
            )
        for container in containers:
            container.setdefault("essential", True)
        if not any(c["essential"] for c in containers):
            raise client_error("Task definition must contain at least one essential container.")
        scope = self.scope_of(context)
        key = "daemon-family|" + family
        with self.store.transaction():
            record = self.daemons.get(scope, key) or {"latest": 0}
            record["latest"] += 1
            self.daemons.put(scope, key, record)
            revision = record["latest"]
            definition: dict[str, Any] = {
                "daemonTaskDefinitionArn": arn(
                    context.region, context.account, f"daemon-task-definition/{family}:{revision}"
                ),
                "family": family,
                "revision": revision,
                "containerDefinitions": containers,
                "volumes": list(params.get("volumes") or []),
                "status": "ACTIVE",
                "registeredAt": now(),
                "registeredBy": context.principal_arn,
                "_tags": tag_map(params.get("tags")),
            }
            for field in ("taskRoleArn", "executionRoleArn", "pidMode", "ipcMode"):
                if params.get(field):
                    definition[field] = params[field]
            if params.get("cpu"):
                definition["cpu"] = task_cpu(params["cpu"])
            if params.get("memory"):
                definition["memory"] = task_memory(params["memory"])
            self.daemons.put(scope, f"daemon-taskdef|{family}|{revision:08d}", definition)
        return {"daemonTaskDefinitionArn": definition["daemonTaskDefinitionArn"]}

    def _daemon_task_definition(  # type: ignore[misc]
        self: Provider, context: RequestContext, reference: str
    ) -> tuple[str, dict[str, Any]]:
        name = last_part(reference)
        family, _, revision = name.partition(":")
        scope = self.scope_of(context)
        if revision:
            key = f"daemon-taskdef|{family}|{int(revision) if revision.isdigit() else -1:08d}"
            row = self.daemons.get(scope, key)
        else:
            found = [
                (k, r)
                for k, r in self.daemons.scan(scope, prefix=f"daemon-taskdef|{family}|")
                if r["status"] == "ACTIVE"
            ]
            key, row = found[-1] if found else ("", None)
        if row is None:
            raise client_error("The specified daemon task definition does not exist.")
        return key, row

    def describe_daemon_task_definition(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, row = self._daemon_task_definition(context, params["daemonTaskDefinition"])
        return {"daemonTaskDefinition": public(row)}

    def delete_daemon_task_definition(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        key, row = self._daemon_task_definition(context, params["daemonTaskDefinition"])
        scope = self.scope_of(context)
        in_use = any(
            d.get("daemonTaskDefinitionArn") == row["daemonTaskDefinitionArn"] and d["status"] == "ACTIVE"
            for _, d in self.daemons.scan(scope, prefix="daemon|")
        )
        if in_use:
            raise client_error("The daemon task definition is in use by an active daemon.")
        row["status"] = "DELETE_IN_PROGRESS"
        row["deleteRequestedAt"] = now()
        self.daemons.put(scope, key, row)
        return {"daemonTaskDefinitionArn": row["daemonTaskDefinitionArn"]}

    def list_daemon_task_definitions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        status = params.get("status") or "ACTIVE"
        rows = [r for _, r in self.daemons.scan(scope, prefix="daemon-taskdef|")]
        if params.get("family"):
            rows = [r for r in rows if r["family"] == params["family"]]
        elif params.get("familyPrefix"):
            rows = [r for r in rows if r["family"].startswith(params["familyPrefix"])]
        if status != "ALL":
            rows = [r for r in rows if r["status"] == status]
        if params.get("revision") == "LAST_REGISTERED":
            latest: dict[str, dict[str, Any]] = {}
            for row in rows:
                latest[row["family"]] = row
            rows = list(latest.values())
        if params.get("sort") == "DESC":
            rows.reverse()
        summaries = []
        for row in rows:
            summary = {k: row[k] for k in ("registeredAt", "registeredBy", "status")}
            summary["arn"] = row["daemonTaskDefinitionArn"]
            if row.get("deleteRequestedAt"):
                summary["deleteRequestedAt"] = row["deleteRequestedAt"]
            summaries.append(summary)
        return self._daemon_page(params, "daemonTaskDefinitions", summaries)

    def _daemon_page(self: Provider, params: dict, member: str, items: list[Any]) -> dict:  # type: ignore[misc]
        from overcast.common import pagination

        limit = params.get("maxResults") or 100
        if not 1 <= limit <= 100:
            raise invalid("maxResults must be between 1 and 100.")
        start = 0
        if params.get("nextToken"):
            try:
                start = int(pagination.decode_token(self.store, member, params["nextToken"]))
            except (ValueError, TypeError):
                raise invalid("Invalid nextToken") from None
        out: dict[str, Any] = {member: items[start : start + limit]}
        if start + limit < len(items):
            out["nextToken"] = pagination.encode_token(self.store, member, start + limit)
        return out

    # -- daemons ---------------------------------------------------------------------------------

    def _daemon_providers(self: Provider, context: RequestContext, providers: list[str]) -> list[str]:  # type: ignore[misc]
        if not providers:
            raise invalid("capacityProviderArns must name at least one capacity provider.")
        arns = []
        for reference in providers:
            name = last_part(reference)
            if name in ("FARGATE", "FARGATE_SPOT"):
                raise invalid(
                    "Daemons run on the instances of Managed Instances capacity providers, not on Fargate."
                )
            row = self.capacity_providers.get(self.scope_of(context), name)
            if row is None or row["status"] != "ACTIVE":
                raise invalid(f"The specified capacity provider {reference} does not exist.")
            arns.append(row["capacityProviderArn"])
        return arns

    def _daemon(self: Provider, context: RequestContext, reference: str) -> tuple[str, dict[str, Any]]:  # type: ignore[misc]
        parts = reference.split(":", 5)
        if len(parts) != 6 or not parts[5].startswith("daemon/"):
            raise invalid(f"Invalid daemon ARN: {reference}")
        key = "daemon|" + parts[5][len("daemon/") :]
        row = self.daemons.get(self.scope_of(context), key)
        if row is None:
            raise daemon_not_found()
        return key, row

    def _daemon_revision(  # type: ignore[misc]
        self: Provider, context: RequestContext, daemon: dict[str, Any], params: dict
    ) -> dict[str, Any]:
        _, definition = self._daemon_task_definition(context, params["daemonTaskDefinitionArn"])
        cluster = daemon["clusterArn"].rsplit("/", 1)[-1]
        revision_arn = arn(
            context.region, context.account, f"daemon-revision/{cluster}/{daemon['_name']}/{new_id()[:19]}"
        )
        return {
            "daemonRevisionArn": revision_arn,
            "clusterArn": daemon["clusterArn"],
            "daemonArn": daemon["daemonArn"],
            "daemonTaskDefinitionArn": definition["daemonTaskDefinitionArn"],
            "createdAt": now(),
            "containerImages": [
                {"containerName": c["name"], "image": c["image"]} for c in definition["containerDefinitions"]
            ],
            "propagateTags": params.get("propagateTags") or "NONE",
            "enableECSManagedTags": bool(params.get("enableECSManagedTags")),
            "enableExecuteCommand": bool(params.get("enableExecuteCommand")),
            "critical": bool(params.get("critical")),
            "_capacityProviders": self._daemon_providers(context, params["capacityProviderArns"]),
        }

    def _daemon_deployment(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        daemon: dict[str, Any],
        revision: dict[str, Any],
        sources: list[dict[str, Any]],
        params: dict,
    ) -> dict[str, Any]:
        cluster = daemon["clusterArn"].rsplit("/", 1)[-1]
        moment = now()

        def detail(rev: dict[str, Any]) -> dict[str, Any]:
            return {
                "arn": rev["daemonRevisionArn"],
                "capacityProviders": [
                    {"arn": p, "runningInstanceCount": 0, "drainingInstanceCount": 0}
                    for p in rev["_capacityProviders"]
                ],
                "totalRunningInstanceCount": 0,
                "totalWithoutDaemonInstanceCount": 0,
                "totalDrainingInstanceCount": 0,
            }

        return {
            "daemonDeploymentArn": arn(
                context.region,
                context.account,
                f"daemon-deployment/{cluster}/{daemon['_name']}/{new_id()[:19]}",
            ),
            "daemonArn": daemon["daemonArn"],
            "clusterArn": daemon["clusterArn"],
            # No instance runs the daemon's old revision: the deployment has nothing to replace.
            "status": "SUCCESSFUL",
            "statusReason": "The daemon deployment completed: its capacity providers have no instances to update.",
            "targetDaemonRevision": detail(revision),
            "sourceDaemonRevisions": [detail(s) for s in sources],
            "circuitBreaker": {"failureCount": 0, "status": "MONITORING_COMPLETE", "threshold": 0},
            "deploymentConfiguration": params.get("deploymentConfiguration")
            or {"drainPercent": 25.0, "bakeTimeInMinutes": 0},
            "createdAt": moment,
            "startedAt": moment,
            "finishedAt": moment,
        }

    def create_daemon(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["daemonName"]
        if not NAME.match(name):
            raise invalid(
                "Daemon names can contain only letters, numbers, underscores, and hyphens, up to 255 characters."
            )
        cluster = self.cluster_row(context, params.get("clusterArn"))
        scope = self.scope_of(context)
        key = f"daemon|{cluster['clusterName']}/{name}"
        with self.store.transaction():
            existing = self.daemons.get(scope, key)
            if existing is not None and existing["status"] == "ACTIVE":
                raise invalid("A daemon of that name already exists in the cluster.")
            daemon: dict[str, Any] = {
                "daemonArn": arn(context.region, context.account, f"daemon/{cluster['clusterName']}/{name}"),
                "clusterArn": cluster["clusterArn"],
                "status": "ACTIVE",
                "createdAt": now(),
                "updatedAt": now(),
                "_name": name,
                "_tags": tag_map(params.get("tags")),
            }
            revision = self._daemon_revision(context, daemon, params)
            deployment = self._daemon_deployment(context, daemon, revision, [], params)
            daemon.update(
                daemonTaskDefinitionArn=revision["daemonTaskDefinitionArn"],
                deploymentArn=deployment["daemonDeploymentArn"],
                _revisions=[revision],
                _deployments=[deployment],
            )
            self.daemons.put(scope, key, daemon)
        return {
            "daemonArn": daemon["daemonArn"],
            "status": "ACTIVE",
            "createdAt": daemon["createdAt"],
            "deploymentArn": daemon["deploymentArn"],
        }

    def update_daemon(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            key, daemon = self._daemon(context, params["daemonArn"])
            if daemon["status"] != "ACTIVE":
                raise ServiceError("DaemonNotActiveException", "The daemon is not ACTIVE.")
            revision = self._daemon_revision(context, daemon, params)
            deployment = self._daemon_deployment(context, daemon, revision, daemon["_revisions"][:1], params)
            daemon["_revisions"].insert(0, revision)
            daemon["_deployments"].insert(0, deployment)
            daemon.update(
                daemonTaskDefinitionArn=revision["daemonTaskDefinitionArn"],
                deploymentArn=deployment["daemonDeploymentArn"],
                updatedAt=now(),
            )
            self.daemons.put(scope, key, daemon)
        return {
            "daemonArn": daemon["daemonArn"], "status": daemon["status"], "createdAt": daemon["createdAt"],
            "updatedAt": daemon["updatedAt"], "deploymentArn": daemon["deploymentArn"],
        }  # fmt: skip

    def delete_daemon(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            key, daemon = self._daemon(context, params["daemonArn"])
            if daemon["status"] != "ACTIVE":
                raise ServiceError("DaemonNotActiveException", "The daemon is not ACTIVE.")
            daemon["status"] = "DELETE_IN_PROGRESS"
            daemon["updatedAt"] = now()
            self.daemons.put(scope, key, daemon)
        return {
            "daemonArn": daemon["daemonArn"], "status": daemon["status"], "createdAt": daemon["createdAt"],
            "updatedAt": daemon["updatedAt"], "deploymentArn": daemon["deploymentArn"],
        }  # fmt: skip

    def describe_daemon(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, daemon = self._daemon(context, params["daemonArn"])
        current = daemon["_revisions"][0]
        return {
            "daemon": {
                "daemonArn": daemon["daemonArn"],
                "clusterArn": daemon["clusterArn"],
                "status": daemon["status"],
                "currentRevisions": [
                    {
                        "arn": current["daemonRevisionArn"],
                        "capacityProviders": [
                            {"arn": p, "runningCount": 0, "withoutDaemonCount": 0}
                            for p in current["_capacityProviders"]
                        ],
                        "totalRunningCount": 0,
                        "totalWithoutDaemonCount": 0,
                    }
                ],
                "deploymentArn": daemon["deploymentArn"],
                "createdAt": daemon["createdAt"],
                "updatedAt": daemon["updatedAt"],
            }
        }

    def list_daemons(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        prefix = "daemon|"
        if params.get("clusterArn"):
            prefix += self.cluster_row(context, params["clusterArn"])["clusterName"] + "/"
        wanted = {last_part(p) for p in params.get("capacityProviderArns") or []}
        found = []
        for _, daemon in self.daemons.scan(scope, prefix=prefix):
            providers = {last_part(p) for p in daemon["_revisions"][0]["_capacityProviders"]}
            if wanted and not wanted & providers:
                continue
            found.append({k: daemon[k] for k in ("daemonArn", "status", "createdAt", "updatedAt")})
        return self._daemon_page(params, "daemonSummariesList", found)

    def _all_deployments(self: Provider, context: RequestContext) -> dict[str, dict[str, Any]]:  # type: ignore[misc]
        return {
            d["daemonDeploymentArn"]: d
            for _, daemon in self.daemons.scan(self.scope_of(context), prefix="daemon|")
            for d in daemon["_deployments"]
        }

    def describe_daemon_deployments(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        known = self._all_deployments(context)
        found, failures = [], []
        for reference in params["daemonDeploymentArns"]:
            deployment = known.get(reference)
            if deployment is None:
                failures.append({"arn": reference, "reason": "MISSING"})
            else:
                found.append({k: v for k, v in deployment.items() if k != "daemonArn"})
        return {"daemonDeployments": found, "failures": failures}

    def list_daemon_deployments(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, daemon = self._daemon(context, params["daemonArn"])
        statuses = params.get("status")
        created = params.get("createdAt") or {}
        found = []
        for deployment in daemon["_deployments"]:
            if statuses and deployment["status"] not in statuses:
                continue
            if created.get("before") and deployment["createdAt"] >= created["before"]:
                continue
            if created.get("after") and deployment["createdAt"] <= created["after"]:
                continue
            summary = {
                k: deployment[k]
                for k in (
                    "daemonDeploymentArn",
                    "daemonArn",
                    "clusterArn",
                    "status",
                    "statusReason",
                    "createdAt",
                    "startedAt",
                    "finishedAt",
                )
            }
            summary["targetDaemonRevisionArn"] = deployment["targetDaemonRevision"]["arn"]
            found.append(summary)
        return self._daemon_page(params, "daemonDeployments", found)

    def describe_daemon_revisions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        known = {
            r["daemonRevisionArn"]: r
            for _, daemon in self.daemons.scan(self.scope_of(context), prefix="daemon|")
            for r in daemon["_revisions"]
        }
        found, failures = [], []
        for reference in params["daemonRevisionArns"]:
            revision = known.get(reference)
            if revision is None:
                failures.append({"arn": reference, "reason": "MISSING"})
            else:
                found.append(public(revision))
        return {"daemonRevisions": found, "failures": failures}
