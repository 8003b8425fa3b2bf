"""Clusters, capacity providers and the cluster's capacity provider strategy, account
settings, attributes, container instances, and tags on every ECS resource."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ecs.common import (
    NAME,
    arn,
    client_error,
    cluster_name,
    cluster_not_found,
    invalid,
    last_part,
    new_id,
    now,
    public,
    tag_list,
    tag_map,
)

if TYPE_CHECKING:
    from overcast.services.ecs.provider import Provider

BUILT_IN_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
#: Account settings ECS has, with their defaults for a new account.
ACCOUNT_DEFAULTS: dict[str, str] = {
    "serviceLongArnFormat": "enabled",
    "taskLongArnFormat": "enabled",
    "containerInstanceLongArnFormat": "enabled",
    "awsvpcTrunking": "disabled",
    "containerInsights": "disabled",
    "dualStackIPv6": "disabled",
    "fargateFIPSMode": "disabled",
    "tagResourceAuthorization": "on",
    "fargateTaskRetirementWaitPeriod": "7",
    "guardDutyActivate": "off",
    "defaultLogDriverMode": "non-blocking",
}
SETTING_VALUES: dict[str, tuple[str, ...]] = {
    "containerInsights": ("enabled", "disabled", "enhanced"),
    "tagResourceAuthorization": ("on", "off"),
    "guardDutyActivate": ("on", "off"),
    "fargateTaskRetirementWaitPeriod": ("0", "7", "14"),
    "defaultLogDriverMode": ("blocking", "non-blocking"),
}
CLUSTER_INCLUDES = ("ATTACHMENTS", "CONFIGURATIONS", "SETTINGS", "STATISTICS", "TAGS")
ATTRIBUTE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,127}$")


class ClusterMixin:
    # -- clusters -------------------------------------------------------------------------------

    def cluster_row(self: Provider, context: RequestContext, reference: str | None) -> dict[str, Any]:  # type: ignore[misc]
        row = self.clusters.get(self.scope_of(context), cluster_name(reference))
        if row is None or row["status"] != "ACTIVE":
            raise cluster_not_found()
        return dict(row)

    def create_cluster(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params.get("clusterName") or "default"
        if not NAME.match(name):
            raise invalid(
                "Cluster name can contain only letters (uppercase and lowercase), numbers, "
                "underscores, and hyphens, and be at most 255 characters long."
            )
        scope = self.scope_of(context)
        tags = tag_map(params.get("tags"))
        settings = params.get("settings") or [
            {"name": "containerInsights", "value": self.account_setting(context, "containerInsights")}
        ]
        strategy = params.get("defaultCapacityProviderStrategy") or []
        providers = params.get("capacityProviders") or []
        self._check_providers(context, providers, strategy)
        with self.store.transaction():
            existing = self.clusters.get(scope, name)
            if existing is not None and existing["status"] == "ACTIVE":
                return {"cluster": self.cluster_output(context, existing, CLUSTER_INCLUDES)}
            row: dict[str, Any] = {
                "clusterArn": arn(context.region, context.account, f"cluster/{name}"),
                "clusterName": name,
                "status": "ACTIVE",
                "settings": settings,
                "capacityProviders": providers,
                "defaultCapacityProviderStrategy": strategy,
                "attachments": [],
                "_tags": tags,
            }
            if params.get("configuration"):
                row["configuration"] = params["configuration"]
            if params.get("serviceConnectDefaults"):
                row["serviceConnectDefaults"] = {
                    "namespace": self._namespace_arn(context, params["serviceConnectDefaults"]["namespace"])
                }
            self.clusters.put(scope, name, row)
        return {"cluster": self.cluster_output(context, row, CLUSTER_INCLUDES)}

    def _namespace_arn(self: Provider, context: RequestContext, namespace: str) -> str:  # type: ignore[misc]
        if namespace.startswith("arn:"):
            return namespace
        return f"arn:aws:servicediscovery:{context.region}:{context.account}:namespace/{namespace}"

    def cluster_output(  # type: ignore[misc]
        self: Provider, context: RequestContext, row: dict[str, Any], include: tuple[str, ...] | list[str]
    ) -> dict[str, Any]:
        out = public(row)
        name = row["clusterName"]
        scope = self.scope_of(context)
        # Counts by launch type, as the STATISTICS include splits them (EC2 or Fargate).
        counts: dict[str, int] = {}

        def count(key: str) -> None:
            counts[key] = counts.get(key, 0) + 1

        for _, task in self.tasks.scan(scope, prefix=name + "/"):
            kind = "Fargate" if task.get("launchType") == "FARGATE" else "EC2"
            if task["lastStatus"] == "RUNNING":
                count(f"running{kind}TasksCount")
            elif task["lastStatus"] in ("PROVISIONING", "PENDING", "ACTIVATING"):
                count(f"pending{kind}TasksCount")
        for _, service in self.services.scan(scope, prefix=name + "/"):
            kind = "Fargate" if service.get("launchType") == "FARGATE" else "EC2"
            if service["status"] == "ACTIVE":
                count(f"active{kind}ServiceCount")
            elif service["status"] == "DRAINING":
                count(f"draining{kind}ServiceCount")
        instances = sum(
            1 for _, i in self.instances.scan(scope, prefix=name + "/") if i["status"] != "INACTIVE"
        )
        out.update(
            runningTasksCount=counts.get("runningEC2TasksCount", 0)
            + counts.get("runningFargateTasksCount", 0),
            pendingTasksCount=counts.get("pendingEC2TasksCount", 0)
            + counts.get("pendingFargateTasksCount", 0),
            activeServicesCount=counts.get("activeEC2ServiceCount", 0)
            + counts.get("activeFargateServiceCount", 0),
            registeredContainerInstancesCount=instances,
            statistics=[],
        )
        if "STATISTICS" in include:
            out["statistics"] = [
                {"name": key, "value": str(counts.get(key, 0))}
                for key in (
                    "runningEC2TasksCount",
                    "runningFargateTasksCount",
                    "pendingEC2TasksCount",
                    "pendingFargateTasksCount",
                    "activeEC2ServiceCount",
                    "activeFargateServiceCount",
                    "drainingEC2ServiceCount",
                    "drainingFargateServiceCount",
                )
            ]
        if "TAGS" in include:
            out["tags"] = tag_list(row.get("_tags"))
        if "SETTINGS" not in include:
            out.pop("settings", None)
        if "CONFIGURATIONS" not in include:
            out.pop("configuration", None)
        if "ATTACHMENTS" not in include:
            out.pop("attachments", None)
        return out

    def describe_clusters(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        include = params.get("include") or []
        scope = self.scope_of(context)
        clusters, failures = [], []
        for reference in params.get("clusters") or ["default"]:
            row = self.clusters.get(scope, cluster_name(reference))
            if row is None:
                failures.append(
                    {
                        "arn": reference
                        if reference.startswith("arn:")
                        else arn(context.region, context.account, f"cluster/{reference}"),
                        "reason": "MISSING",
                    }
                )
                continue
            clusters.append(self.cluster_output(context, row, include))
        return {"clusters": clusters, "failures": failures}

    def list_clusters(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arns = [
            row["clusterArn"]
            for _, row in self.clusters.scan(self.scope_of(context))
            if row["status"] == "ACTIVE"
        ]
        return self.page(context, "ListClusters", params, arns)

    def delete_cluster(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self.cluster_row(context, params["cluster"])
            name = row["clusterName"]
            if any(
                s["status"] in ("ACTIVE", "DRAINING") for _, s in self.services.scan(scope, prefix=name + "/")
            ):
                raise ServiceError(
                    "ClusterContainsServicesException",
                    "The Cluster cannot be deleted while Services are active.",
                )
            if any(t["lastStatus"] != "STOPPED" for _, t in self.tasks.scan(scope, prefix=name + "/")):
                raise ServiceError(
                    "ClusterContainsTasksException", "The Cluster cannot be deleted while Tasks are active."
                )
            if any(i["status"] != "INACTIVE" for _, i in self.instances.scan(scope, prefix=name + "/")):
                raise ServiceError(
                    "ClusterContainsContainerInstancesException",
                    "The Cluster cannot be deleted while Container Instances are active or draining.",
                )
            row["status"] = "INACTIVE"
            self.clusters.put(scope, name, row)
        return {"cluster": self.cluster_output(context, row, ())}

    def update_cluster(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self.cluster_row(context, params["cluster"])
            if params.get("settings") is not None:
                row["settings"] = _merge_settings(row.get("settings") or [], params["settings"])
            if params.get("configuration") is not None:
                row["configuration"] = params["configuration"]
            if params.get("serviceConnectDefaults") is not None:
                row["serviceConnectDefaults"] = {
                    "namespace": self._namespace_arn(context, params["serviceConnectDefaults"]["namespace"])
                }
            self.clusters.put(scope, row["clusterName"], row)
        return {"cluster": self.cluster_output(context, row, CLUSTER_INCLUDES)}

    def update_cluster_settings(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        for setting in params["settings"]:
            if setting.get("name") != "containerInsights":
                raise invalid(f"Invalid cluster setting name: {setting.get('name')}")
            if setting.get("value") not in SETTING_VALUES["containerInsights"]:
                raise invalid(
                    "Invalid value for containerInsights. Valid values are enabled, disabled, enhanced."
                )
        with self.store.transaction():
            row = self.cluster_row(context, params["cluster"])
            row["settings"] = _merge_settings(row.get("settings") or [], params["settings"])
            self.clusters.put(scope, row["clusterName"], row)
        return {"cluster": self.cluster_output(context, row, ("SETTINGS",))}

    # -- capacity providers ---------------------------------------------------------------------

    def _check_providers(  # type: ignore[misc]
        self: Provider, context: RequestContext, providers: list[str], strategy: list[dict]
    ) -> None:
        scope = self.scope_of(context)
        for name in providers:
            if name in BUILT_IN_PROVIDERS:
                continue
            row = self.capacity_providers.get(scope, last_part(name))
            if row is None or row["status"] != "ACTIVE":
                raise invalid(
                    f"The specified capacity provider '{name}' is not in an ACTIVE state. Specify a valid capacity provider and try again."
                )
        for item in strategy:
            if item["capacityProvider"] not in providers:
                raise invalid(
                    f"The specified capacity provider strategy cannot contain a capacity provider "
                    f"that is not associated with the cluster. Associate the capacity provider "
                    f"{item['capacityProvider']} with the cluster or specify a valid capacity provider and try again."
                )
            if not 0 <= item.get("weight", 0) <= 1000 or not 0 <= item.get("base", 0) <= 100000:
                raise invalid("The capacity provider strategy weight must be 0-1000 and base 0-100000.")
        if sum(1 for item in strategy if item.get("base")) > 1:
            raise invalid(
                "Only one capacity provider in a capacity provider strategy can have a base defined."
            )

    def create_capacity_provider(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["name"]
        if not NAME.match(name) or name.lower().startswith(("aws", "ecs", "fargate")):
            raise invalid(
                "The specified capacity provider name is invalid. Up to 255 characters are allowed, "
                "including letters (upper and lowercase), numbers, underscores, and hyphens. The "
                'name cannot be prefixed with "aws", "ecs", or "fargate". Specify a valid name and try again.'
            )
        if not params.get("autoScalingGroupProvider") and not params.get("managedInstancesProvider"):
            raise invalid("An autoScalingGroupProvider or managedInstancesProvider must be specified.")
        scope = self.scope_of(context)
        with self.store.transaction():
            existing = self.capacity_providers.get(scope, name)
            if existing is not None and existing["status"] == "ACTIVE":
                raise client_error(
                    "The specified capacity provider already exists. Specify a unique name and try again."
                )
            row: dict[str, Any] = {
                "capacityProviderArn": arn(context.region, context.account, f"capacity-provider/{name}"),
                "name": name,
                "status": "ACTIVE",
                "type": "EC2_AUTOSCALING" if params.get("autoScalingGroupProvider") else "MANAGED_INSTANCES",
                "_tags": tag_map(params.get("tags")),
            }
            group = params.get("autoScalingGroupProvider")
            if group:
                scaling = {
                    "status": "ENABLED",
                    "targetCapacity": 100,
                    "minimumScalingStepSize": 1,
                    "maximumScalingStepSize": 10000,
                    "instanceWarmupPeriod": 300,
                }
                scaling.update(group.get("managedScaling") or {})
                row["autoScalingGroupProvider"] = {
                    "autoScalingGroupArn": group["autoScalingGroupArn"],
                    "managedScaling": scaling,
                    "managedTerminationProtection": group.get("managedTerminationProtection", "DISABLED"),
                    "managedDraining": group.get("managedDraining", "ENABLED"),
                }
            if params.get("managedInstancesProvider"):
                row["managedInstancesProvider"] = params["managedInstancesProvider"]
            if params.get("cluster"):
                row["cluster"] = cluster_name(params["cluster"])
            self.capacity_providers.put(scope, name, row)
        return {"capacityProvider": self.capacity_provider_output(row)}

    @staticmethod
    def capacity_provider_output(row: dict[str, Any], tags: bool = True) -> dict[str, Any]:
        out = public(row)
        out.pop("cluster", None)
        if tags:
            out["tags"] = tag_list(row.get("_tags"))
        return out

    def _built_in(self: Provider, context: RequestContext, name: str) -> dict[str, Any]:  # type: ignore[misc]
        return {
            "capacityProviderArn": arn(context.region, context.account, f"capacity-provider/{name}"),
            "name": name,
            "status": "ACTIVE",
            "type": "FARGATE",
            "tags": [],
        }

    def describe_capacity_providers(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        include_tags = "TAGS" in (params.get("include") or [])
        names = params.get("capacityProviders")
        found, failures = [], []
        if not names:
            found = [self._built_in(context, n) for n in BUILT_IN_PROVIDERS]
            found += [
                self.capacity_provider_output(row, include_tags)
                for _, row in self.capacity_providers.scan(scope)
                if row["status"] == "ACTIVE"
            ]
        else:
            for reference in names:
                name = last_part(reference)
                if name in BUILT_IN_PROVIDERS:
                    found.append(self._built_in(context, name))
                    continue
                row = self.capacity_providers.get(scope, name)
                if row is None:
                    failures.append(
                        {
                            "arn": arn(context.region, context.account, f"capacity-provider/{name}"),
                            "reason": "MISSING",
                        }
                    )
                else:
                    found.append(self.capacity_provider_output(row, include_tags))
        out = self.page(context, "DescribeCapacityProviders", params, found)
        out["failures"] = failures
        return out

    def delete_capacity_provider(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        name = last_part(params["capacityProvider"])
        with self.store.transaction():
            row = self.capacity_providers.get(scope, name)
            if row is None or row["status"] != "ACTIVE":
                raise client_error(
                    "The specified capacity provider does not exist. Specify a valid name or ARN and try again."
                )
            for _, cluster in self.clusters.scan(scope):
                if cluster["status"] == "ACTIVE" and name in cluster.get("capacityProviders", []):
                    raise ServiceError(
                        "ResourceInUseException",
                        "The specified capacity provider is in use and cannot be removed.",
                    )
            row["status"] = "INACTIVE"
            row["updateStatus"] = "DELETE_COMPLETE"
            self.capacity_providers.delete(scope, name)
        return {"capacityProvider": self.capacity_provider_output(row)}

    def update_capacity_provider(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        name = last_part(params["name"])
        with self.store.transaction():
            row = self.capacity_providers.get(scope, name)
            if row is None or row["status"] != "ACTIVE":
                raise client_error(
                    "The specified capacity provider does not exist. Specify a valid name or ARN and try again."
                )
            update = params.get("autoScalingGroupProvider") or {}
            group = row.get("autoScalingGroupProvider")
            if group is not None:
                if update.get("managedScaling"):
                    group["managedScaling"].update(update["managedScaling"])
                for key in ("managedTerminationProtection", "managedDraining"):
                    if update.get(key):
                        group[key] = update[key]
            if params.get("managedInstancesProvider"):
                row["managedInstancesProvider"] = params["managedInstancesProvider"]
            row["updateStatus"] = "UPDATE_COMPLETE"
            self.capacity_providers.put(scope, name, row)
        return {"capacityProvider": self.capacity_provider_output(row)}

    def put_cluster_capacity_providers(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        providers = params["capacityProviders"]
        strategy = params["defaultCapacityProviderStrategy"]
        self._check_providers(context, providers, strategy)
        with self.store.transaction():
            row = self.cluster_row(context, params["cluster"])
            row["capacityProviders"] = list(providers)
            row["defaultCapacityProviderStrategy"] = list(strategy)
            self.clusters.put(scope, row["clusterName"], row)
        return {"cluster": self.cluster_output(context, row, CLUSTER_INCLUDES)}

    # -- account settings -----------------------------------------------------------------------

    def _principal(self: Provider, context: RequestContext, given: str | None) -> str:  # type: ignore[misc]
        return given or context.principal_arn

    def account_setting(  # type: ignore[misc]
        self: Provider, context: RequestContext, name: str, principal: str | None = None
    ) -> str:
        """The effective value of a setting for a principal: its own, else the account's default."""
        scope = self.scope_of(context)
        own = self.settings.get(scope, f"{principal or context.principal_arn}|{name}")
        if own is not None:
            return str(own["value"])
        default = self.settings.get(scope, f"|{name}")
        return str(default["value"]) if default is not None else ACCOUNT_DEFAULTS[name]

    def _check_setting(self: Provider, name: str, value: str) -> None:  # type: ignore[misc]
        if name not in ACCOUNT_DEFAULTS:
            raise invalid(f"Invalid setting name: {name}")
        allowed = SETTING_VALUES.get(name, ("enabled", "disabled"))
        if value not in allowed:
            raise invalid(
                f"Invalid value {value!r} for setting {name}: valid values are {', '.join(allowed)}."
            )

    def put_account_setting(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self._check_setting(params["name"], params["value"])
        principal = self._principal(context, params.get("principalArn"))
        record = {"name": params["name"], "value": params["value"], "principalArn": principal, "type": "user"}
        self.settings.put(self.scope_of(context), f"{principal}|{params['name']}", record)
        return {"setting": record}

    def put_account_setting_default(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self._check_setting(params["name"], params["value"])
        root = f"arn:aws:iam::{context.account}:root"
        record = {"name": params["name"], "value": params["value"], "principalArn": root, "type": "user"}
        self.settings.put(self.scope_of(context), f"|{params['name']}", record)
        return {"setting": record}

    def delete_account_setting(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["name"]
        if name not in ACCOUNT_DEFAULTS:
            raise invalid(f"Invalid setting name: {name}")
        principal = self._principal(context, params.get("principalArn"))
        key = f"{principal}|{name}"
        scope = self.scope_of(context)
        record = self.settings.get(scope, key)
        if record is None:
            raise invalid("The specified setting was not found.")
        self.settings.delete(scope, key)
        return {"setting": record}

    def list_account_settings(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        principal = self._principal(context, params.get("principalArn"))
        names = [params["name"]] if params.get("name") else list(ACCOUNT_DEFAULTS)
        scope = self.scope_of(context)
        found = []
        for name in names:
            if name not in ACCOUNT_DEFAULTS:
                raise invalid(f"Invalid setting name: {name}")
            own = self.settings.get(scope, f"{principal}|{name}")
            if own is not None:
                found.append(own)
            elif params.get("effectiveSettings") or not params.get("principalArn"):
                default = self.settings.get(scope, f"|{name}")
                found.append(
                    default
                    if default is not None
                    else {
                        "name": name,
                        "value": ACCOUNT_DEFAULTS[name],
                        "principalArn": principal,
                        "type": "aws_managed",
                    }
                )
        if params.get("value") is not None:
            found = [s for s in found if s["value"] == params["value"]]
        return self.page(context, "ListAccountSettings", params, found)

    # -- container instances --------------------------------------------------------------------

    def _instance(  # type: ignore[misc]
        self: Provider, context: RequestContext, cluster: str, reference: str
    ) -> tuple[str, dict[str, Any]]:
        key = f"{cluster}/{reference.rsplit('/', 1)[-1]}"
        row = self.instances.get(self.scope_of(context), key)
        if row is None:
            raise invalid("Container instance not found.")
        return key, row

    def register_container_instance(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = self.cluster_row(context, params.get("cluster"))["clusterName"]
        scope = self.scope_of(context)
        instance_id = new_id()
        document = params.get("instanceIdentityDocument") or "{}"
        try:
            import json

            ec2_id = json.loads(document).get("instanceId", "")
        except ValueError:
            raise invalid("The instance identity document is not valid JSON.") from None
        resources = params.get("totalResources") or [
            {"name": "CPU", "type": "INTEGER", "integerValue": 2048},
            {"name": "MEMORY", "type": "INTEGER", "integerValue": 3768},
        ]
        row = {
            "containerInstanceArn": arn(
                context.region, context.account, f"container-instance/{cluster}/{instance_id}"
            ),
            "ec2InstanceId": ec2_id,
            "version": 1,
            "versionInfo": params.get("versionInfo") or {},
            "remainingResources": resources,
            "registeredResources": resources,
            "status": "ACTIVE",
            "agentConnected": False,
            "runningTasksCount": 0,
            "pendingTasksCount": 0,
            "attributes": params.get("attributes") or [],
            "registeredAt": now(),
            "attachments": [],
            "_tags": tag_map(params.get("tags")),
        }
        self.instances.put(scope, f"{cluster}/{instance_id}", row)
        return {"containerInstance": public(row)}

    def deregister_container_instance(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = self.cluster_row(context, params.get("cluster"))["clusterName"]
        key, row = self._instance(context, cluster, params["containerInstance"])
        row["status"] = "INACTIVE"
        self.instances.delete(self.scope_of(context), key)
        return {"containerInstance": public(row)}

    def describe_container_instances(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = self.cluster_row(context, params.get("cluster"))["clusterName"]
        found, failures = [], []
        for reference in params["containerInstances"]:
            try:
                _, row = self._instance(context, cluster, reference)
            except ServiceError:
                failures.append({"arn": reference, "reason": "MISSING"})
                continue
            out = public(row)
            if "TAGS" in (params.get("include") or []):
                out["tags"] = tag_list(row.get("_tags"))
            found.append(out)
        return {"containerInstances": found, "failures": failures}

    def list_container_instances(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = self.cluster_row(context, params.get("cluster"))["clusterName"]
        status = params.get("status")
        if params.get("filter"):
            raise invalid(
                "Container instance filters need the cluster query language, which Overcast does not evaluate."
            )
        arns = [
            row["containerInstanceArn"]
            for _, row in self.instances.scan(self.scope_of(context), prefix=cluster + "/")
            if status is None or row["status"] == status
        ]
        return self.page(context, "ListContainerInstances", params, arns)

    def update_container_instances_state(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = self.cluster_row(context, params.get("cluster"))["clusterName"]
        if params["status"] not in (
            "ACTIVE",
            "DRAINING",
            "REGISTERING",
            "DEREGISTERING",
            "REGISTRATION_FAILED",
        ):
            raise invalid("Container instance status must be ACTIVE or DRAINING.")
        found, failures = [], []
        for reference in params["containerInstances"]:
            try:
                key, row = self._instance(context, cluster, reference)
            except ServiceError:
                failures.append({"arn": reference, "reason": "MISSING"})
                continue
            row["status"] = params["status"]
            row["version"] += 1
            self.instances.put(self.scope_of(context), key, row)
            found.append(public(row))
        return {"containerInstances": found, "failures": failures}

    def update_container_agent(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = self.cluster_row(context, params.get("cluster"))["clusterName"]
        self._instance(context, cluster, params["containerInstance"])
        raise ServiceError(
            "MissingVersionException",
            "Amazon ECS is unable to determine the current version of the Amazon ECS container "
            "agent on the container instance and does not have enough information to proceed "
            "with an update.",
        )

    # -- attributes -----------------------------------------------------------------------------

    def _attribute_target(self: Provider, context: RequestContext, cluster: str, attribute: dict) -> str:  # type: ignore[misc]
        target = attribute.get("targetId")
        if not target:
            raise invalid("Attribute targetId must be specified.")
        if attribute.get("targetType", "container-instance") != "container-instance":
            raise invalid("Attribute targetType must be container-instance.")
        try:
            self._instance(context, cluster, target)
        except ServiceError:
            raise ServiceError("TargetNotFoundException", f"Could not find {target}.") from None
        return target.rsplit("/", 1)[-1]

    def put_attributes(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = self.cluster_row(context, params.get("cluster"))["clusterName"]
        scope = self.scope_of(context)
        if len(params["attributes"]) > 10:
            raise ServiceError(
                "AttributeLimitExceededException", "You can apply up to 10 custom attributes per resource."
            )
        with self.store.transaction():
            for attribute in params["attributes"]:
                if not ATTRIBUTE_NAME.match(attribute["name"]):
                    raise invalid(f"Invalid attribute name {attribute['name']!r}.")
                target = self._attribute_target(context, cluster, attribute)
                self.attributes.put(
                    scope,
                    f"{cluster}/{target}/{attribute['name']}",
                    {
                        "name": attribute["name"],
                        "value": attribute.get("value"),
                        "targetType": "container-instance",
                        "targetId": arn(
                            context.region, context.account, f"container-instance/{cluster}/{target}"
                        ),
                    },
                )
        return {"attributes": params["attributes"]}

    def delete_attributes(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = self.cluster_row(context, params.get("cluster"))["clusterName"]
        scope = self.scope_of(context)
        with self.store.transaction():
            for attribute in params["attributes"]:
                target = self._attribute_target(context, cluster, attribute)
                self.attributes.delete(scope, f"{cluster}/{target}/{attribute['name']}")
        return {"attributes": params["attributes"]}

    def list_attributes(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = self.cluster_row(context, params.get("cluster"))["clusterName"]
        if params["targetType"] != "container-instance":
            raise invalid("targetType must be container-instance.")
        if params.get("attributeValue") is not None and not params.get("attributeName"):
            raise invalid("attributeValue requires attributeName.")
        found = []
        for _, row in self.attributes.scan(self.scope_of(context), prefix=cluster + "/"):
            if params.get("attributeName") and row["name"] != params["attributeName"]:
                continue
            if params.get("attributeValue") is not None and row.get("value") != params["attributeValue"]:
                continue
            found.append({k: v for k, v in row.items() if v is not None})
        return self.page(context, "ListAttributes", params, found)

    # -- tags -----------------------------------------------------------------------------------

    def _tagged(  # type: ignore[misc]
        self: Provider, context: RequestContext, resource_arn: str
    ) -> tuple[Any, str, dict[str, Any]]:
        """(table, key, row) of the resource an ARN names."""
        parts = resource_arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "ecs":
            raise invalid("The ARN is not a valid Amazon ECS resource ARN.")
        kind, _, rest = parts[5].partition("/")
        scope = self.scope_of(context)
        table: Any
        if kind == "cluster":
            table, key = self.clusters, rest
        elif kind == "service":
            table, key = self.services, rest
        elif kind == "task":
            table, key = self.tasks, rest
        elif kind == "task-definition":
            family, _, revision = rest.partition(":")
            table, key = self.taskdefs, f"{family}|{int(revision) if revision.isdigit() else 0:08d}"
        elif kind == "capacity-provider":
            table, key = self.capacity_providers, rest
        elif kind == "container-instance":
            table, key = self.instances, rest
        else:
            raise invalid("The ARN is not a valid Amazon ECS resource ARN.")
        row = table.get(scope, key) if key else None
        if row is None or (kind == "cluster" and row["status"] != "ACTIVE"):
            if kind == "cluster":
                raise cluster_not_found()
            raise invalid(
                "The specified resource is not found." if kind != "service" else "Service not found."
            )
        return table, key, row

    def tag_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        added = tag_map(params["tags"])
        with self.store.transaction():
            table, key, row = self._tagged(context, params["resourceArn"])
            tags = {**(row.get("_tags") or {}), **added}
            if len(tags) > 50:
                raise invalid("The maximum number of tags for a resource is 50.")
            row["_tags"] = tags
            table.put(self.scope_of(context), key, row)
        return {}

    def untag_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            table, key, row = self._tagged(context, params["resourceArn"])
            row["_tags"] = {k: v for k, v in (row.get("_tags") or {}).items() if k not in params["tagKeys"]}
            table.put(self.scope_of(context), key, row)
        return {}

    def list_tags_for_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, _, row = self._tagged(context, params["resourceArn"])
        return {"tags": tag_list(row.get("_tags"))}


def _merge_settings(old: list[dict[str, str]], new: list[dict[str, str]]) -> list[dict[str, str]]:
    merged = {s["name"]: s for s in old}
    for setting in new:
        merged[setting["name"]] = setting
    return list(merged.values())
