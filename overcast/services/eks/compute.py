"""Managed node groups and Fargate profiles of a cluster."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.common import pagination, tagging
from overcast.common.arns import build_arn
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.eks import catalogue, errors

if TYPE_CHECKING:
    from .provider import Provider

#: AMI types by Kubernetes version: AL2023 from 1.30 on (AL2 before), as EKS defaults them.
_DEFAULT_AMI = ("AL2_x86_64", "AL2023_x86_64_STANDARD")
_MAX_NODEGROUPS = 30
_MAX_SELECTORS = 5


def _bad_token() -> ServiceError:
    return errors.invalid("The nextToken is not valid.")


def _key(cluster: str, name: str = "") -> str:
    return f"{cluster} {name}"


def _release(version: str, ami_type: str) -> str:
    """The AMI release version EKS would pick for the Kubernetes version (AL2/AL2023 style)."""
    patch = catalogue.BY_MINOR[version].patch if version in catalogue.BY_MINOR else version + ".0"
    if ami_type.startswith("BOTTLEROCKET"):
        return "1.49.0-" + "713f44ce"
    if ami_type.startswith("WINDOWS"):
        return patch
    return f"{patch}-20251120"


class ComputeMixin:
    # -- node groups -----------------------------------------------------------------------------

    def create_nodegroup(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, cluster, name = self.scope_of(context), params["clusterName"], params["nodegroupName"]
        with self.store.transaction():
            record = self.active_cluster(context, cluster)
            existing = self.nodegroups.get(scope, _key(cluster, name))
            if existing is not None:
                raise errors.in_use(
                    f"NodeGroup already exists with name {name} and cluster name {cluster}",
                    clusterName=cluster, nodegroupName=name,
                )  # fmt: skip
            if sum(1 for _ in self.nodegroups.scan(scope, prefix=_key(cluster))) >= _MAX_NODEGROUPS:
                raise errors.limit(
                    f"Cluster {cluster} has reached the maximum of {_MAX_NODEGROUPS} node groups."
                )
            self.check_role(context, params["nodeRole"], "ec2.amazonaws.com")
            self.check_subnets(context, params["subnets"], at_least_two_azs=False)
            scaling = self._scaling(
                {"minSize": 1, "maxSize": 2, "desiredSize": 2}, params.get("scalingConfig") or {}
            )
            version = params.get("version") or record["version"]
            if version != record["version"] and catalogue.BY_MINOR.get(version) is None:
                raise errors.invalid(f"Requested Nodegroup release version {version} is invalid.")
            template = params.get("launchTemplate")
            ami_type = params.get("amiType") or _DEFAULT_AMI[catalogue.minor_key(version) >= (1, 30)]
            if template and (params.get("diskSize") is not None or params.get("remoteAccess") is not None):
                raise errors.invalid(
                    "Disk size and remote access must be specified in the launch template, not on the node group."
                )
            now = datetime.now(UTC)
            group_id = str(uuid.uuid4())
            nodegroup: dict[str, Any] = {
                "nodegroupName": name,
                "nodegroupArn": build_arn(
                    "eks", context.region, context.account, f"nodegroup/{cluster}/{name}/{group_id}"
                ),
                "clusterName": cluster,
                "version": version,
                "releaseVersion": params.get("releaseVersion") or _release(version, ami_type),
                "createdAt": now,
                "modifiedAt": now,
                "status": "ACTIVE",
                "capacityType": params.get("capacityType") or "ON_DEMAND",
                "scalingConfig": scaling,
                "instanceTypes": params.get("instanceTypes") or (None if template else ["t3.medium"]),
                "subnets": params["subnets"],
                "amiType": ami_type,
                "nodeRole": params["nodeRole"],
                "labels": params.get("labels") or {},
                "resources": {"autoScalingGroups": [{"name": f"eks-{name}-{group_id}"}]},
                "diskSize": None if template else params.get("diskSize") or 20,
                "health": {"issues": []},
                "updateConfig": params.get("updateConfig") or {"maxUnavailable": 1},
                "tags": tagging.tag_map(params.get("tags"), self.tag_rules),
            }
            for member in ("taints", "remoteAccess", "launchTemplate", "nodeRepairConfig", "warmPoolConfig"):
                if params.get(member) is not None:
                    nodegroup[member] = params[member]
            if template is not None:
                nodegroup["launchTemplate"] = self._launch_template(context, template)
            self.nodegroups.put(scope, _key(cluster, name), nodegroup)
        return {"nodegroup": self._render(nodegroup, "CREATING")}

    def _launch_template(self: Provider, context: RequestContext, given: dict) -> dict:  # type: ignore[misc]
        """The node group's launch template, which must exist in EC2 (by id or name)."""
        ec2 = self.runtime.provider("ec2")
        request: dict[str, Any] = {}
        if given.get("id"):
            request["LaunchTemplateIds"] = [given["id"]]
        elif given.get("name"):
            request["LaunchTemplateNames"] = [given["name"]]
        else:
            raise errors.invalid("Either the launch template ID or name must be specified.")
        try:
            found = ec2.describe_launch_templates(
                RequestContext.internal("ec2", context.account, context.region), request
            )
        except ServiceError:
            found = {"LaunchTemplates": []}
        if not found["LaunchTemplates"]:
            raise errors.invalid(
                f"The launch template {given.get('id') or given.get('name')} does not exist."
            )
        template = found["LaunchTemplates"][0]
        return {
            "name": template["LaunchTemplateName"],
            "id": template["LaunchTemplateId"],
            "version": str(given.get("version") or template["DefaultVersionNumber"]),
        }

    @staticmethod
    def _scaling(current: dict, given: dict) -> dict:
        scaling = {**current, **{k: v for k, v in given.items() if v is not None}}
        low, high, desired = scaling["minSize"], scaling["maxSize"], scaling["desiredSize"]
        if high < 1:
            raise errors.invalid("Maxsize must be greater than or equal to 1.")
        if low > high:
            raise errors.invalid(f"Minimum capacity {low} can't be greater than max size {high}")
        if not low <= desired <= high:
            raise errors.invalid(
                f"Desired capacity {desired} can't be greater than max size {high}"
                if desired > high
                else f"Desired capacity {desired} can't be less than min size {low}"
            )
        return scaling

    @staticmethod
    def _render(record: dict, status: str | None = None) -> dict:
        out = {k: v for k, v in record.items() if v is not None}
        if status:
            out["status"] = status
        return out

    def _nodegroup(self: Provider, context: RequestContext, cluster: str, name: str) -> dict:  # type: ignore[misc]
        self.cluster_record(context, cluster)
        record = self.nodegroups.get(self.scope_of(context), _key(cluster, name))
        if record is None:
            raise errors.not_found(
                f"No node group found for name: {name}.", clusterName=cluster, nodegroupName=name
            )
        return record

    def describe_nodegroup(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {
            "nodegroup": self._render(
                self._nodegroup(context, params["clusterName"], params["nodegroupName"])
            )
        }

    def list_nodegroups(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = params["clusterName"]
        self.cluster_record(context, cluster)
        return self.list_names(context, self.nodegroups, "ListNodegroups", params, cluster)

    def list_names(  # type: ignore[misc]
        self: Provider, context: RequestContext, table: Any, operation: str, params: dict, cluster: str
    ) -> dict:
        scope, prefix = self.scope_of(context), _key(cluster)
        return pagination.paginate_keys(
            self.store, "eks", operation, params,
            lambda after: table.scan(scope, prefix=prefix, start_after=after),
            bad_token=_bad_token, default_limit=100, bind=prefix,
            render=lambda row_key, _record: row_key[len(prefix):],
        )  # fmt: skip

    def delete_nodegroup(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster, name = params["clusterName"], params["nodegroupName"]
        with self.store.transaction():
            record = self._nodegroup(context, cluster, name)
            scope = self.scope_of(context)
            self.nodegroups.delete(scope, _key(cluster, name))
            for row_key, _ in list(self.updates.scan(scope, prefix=_key(cluster, f"nodegroup:{name}|"))):
                self.updates.delete(scope, row_key)
        return {"nodegroup": self._render(record, "DELETING")}

    def update_nodegroup_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster, name = params["clusterName"], params["nodegroupName"]
        with self.store.transaction():
            record = self._nodegroup(context, cluster, name)
            if record["status"] != "ACTIVE":
                raise errors.in_use(f"Nodegroup {name} is in {record['status']} state.")
            out: list[dict] = []
            if params.get("scalingConfig"):
                record["scalingConfig"] = self._scaling(record["scalingConfig"], params["scalingConfig"])
                for member, kind in (
                    ("minSize", "MinSize"),
                    ("maxSize", "MaxSize"),
                    ("desiredSize", "DesiredSize"),
                ):
                    if params["scalingConfig"].get(member) is not None:
                        out.append(self.param(kind, str(params["scalingConfig"][member])))
            labels = params.get("labels") or {}
            if labels:
                record["labels"] = {
                    **{
                        k: v
                        for k, v in record["labels"].items()
                        if k not in (labels.get("removeLabels") or [])
                    },
                    **(labels.get("addOrUpdateLabels") or {}),
                }
                if labels.get("addOrUpdateLabels"):
                    out.append(self.param("LabelsToAdd", labels["addOrUpdateLabels"]))
                if labels.get("removeLabels"):
                    out.append(self.param("LabelsToRemove", labels["removeLabels"]))
            taints = params.get("taints") or {}
            if taints:
                removed = {(t["key"], t.get("effect")) for t in taints.get("removeTaints") or []}
                kept = [t for t in record.get("taints") or [] if (t["key"], t.get("effect")) not in removed]
                record["taints"] = kept + list(taints.get("addOrUpdateTaints") or [])
                if taints.get("addOrUpdateTaints"):
                    out.append(self.param("TaintsToAdd", taints["addOrUpdateTaints"]))
                if taints.get("removeTaints"):
                    out.append(self.param("TaintsToRemove", taints["removeTaints"]))
            if params.get("updateConfig"):
                record["updateConfig"] = params["updateConfig"]
                for member, kind in (("maxUnavailable", "MaxUnavailable"),
                                     ("maxUnavailablePercentage", "MaxUnavailablePercentage"),
                                     ("updateStrategy", "UpdateStrategy")):  # fmt: skip
                    if params["updateConfig"].get(member) is not None:
                        out.append(self.param(kind, str(params["updateConfig"][member])))
            if params.get("nodeRepairConfig"):
                record["nodeRepairConfig"] = params["nodeRepairConfig"]
                out.append(self.param("NodeRepairEnabled", bool(params["nodeRepairConfig"].get("enabled"))))
            if params.get("warmPoolConfig"):
                record["warmPoolConfig"] = params["warmPoolConfig"]
                out.append(self.param("WarmPoolEnabled", bool(params["warmPoolConfig"].get("enabled"))))
            if not out:
                raise errors.invalid("No changes needed for the node group configuration provided.")
            record["modifiedAt"] = datetime.now(UTC)
            self.nodegroups.put(self.scope_of(context), _key(cluster, name), record)
            update = self.new_update(context, cluster, f"nodegroup:{name}", "ConfigUpdate", out)
        return {"update": update}

    def update_nodegroup_version(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster, name = params["clusterName"], params["nodegroupName"]
        with self.store.transaction():
            cluster_record = self.cluster_record(context, cluster)
            record = self._nodegroup(context, cluster, name)
            version = params.get("version") or cluster_record["version"]
            if catalogue.BY_MINOR.get(version) is None or catalogue.minor_key(version) > catalogue.minor_key(
                cluster_record["version"]
            ):
                raise errors.invalid(
                    f"Requested Kubernetes version {version} is not supported: a node group cannot run a "
                    f"newer version than its cluster ({cluster_record['version']})."
                )
            out = [self.param("Version", version)]
            record["version"] = version
            record["releaseVersion"] = params.get("releaseVersion") or _release(version, record["amiType"])
            out.append(self.param("ReleaseVersion", record["releaseVersion"]))
            if params.get("launchTemplate"):
                record["launchTemplate"] = self._launch_template(context, params["launchTemplate"])
                out.append(self.param("LaunchTemplateName", record["launchTemplate"]["name"]))
                out.append(self.param("LaunchTemplateVersion", record["launchTemplate"]["version"]))
            record["modifiedAt"] = datetime.now(UTC)
            self.nodegroups.put(self.scope_of(context), _key(cluster, name), record)
            update = self.new_update(context, cluster, f"nodegroup:{name}", "VersionUpdate", out)
        return {"update": update}

    # -- Fargate profiles ------------------------------------------------------------------------

    def create_fargate_profile(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, cluster, name = self.scope_of(context), params["clusterName"], params["fargateProfileName"]
        with self.store.transaction():
            self.active_cluster(context, cluster)
            if self.fargate.get(scope, _key(cluster, name)) is not None:
                raise errors.in_use(
                    f"A Fargate Profile already exists with this name: {name}", clusterName=cluster
                )
            self.check_role(context, params["podExecutionRoleArn"], "eks-fargate-pods.amazonaws.com")
            subnets = params.get("subnets") or []
            if subnets:
                self.check_subnets(context, subnets, at_least_two_azs=False)
            selectors = params.get("selectors") or []
            if not selectors or len(selectors) > _MAX_SELECTORS:
                raise errors.invalid(f"A Fargate profile needs between 1 and {_MAX_SELECTORS} selectors.")
            for selector in selectors:
                if not selector.get("namespace"):
                    raise errors.invalid("Every Fargate profile selector must name a namespace.")
            profile = {
                "fargateProfileName": name,
                "fargateProfileArn": build_arn(
                    "eks", context.region, context.account, f"fargateprofile/{cluster}/{name}/{uuid.uuid4()}"
                ),
                "clusterName": cluster,
                "createdAt": datetime.now(UTC),
                "podExecutionRoleArn": params["podExecutionRoleArn"],
                "subnets": subnets,
                "selectors": selectors,
                "status": "ACTIVE",
                "tags": tagging.tag_map(params.get("tags"), self.tag_rules),
                "health": {"issues": []},
            }
            self.fargate.put(scope, _key(cluster, name), profile)
        return {"fargateProfile": self._render(profile, "CREATING")}

    def _profile(self: Provider, context: RequestContext, cluster: str, name: str) -> dict:  # type: ignore[misc]
        self.cluster_record(context, cluster)
        record = self.fargate.get(self.scope_of(context), _key(cluster, name))
        if record is None:
            raise errors.not_found(f"No Fargate Profile found with name: {name}.", clusterName=cluster)
        return record

    def describe_fargate_profile(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"fargateProfile": self._profile(context, params["clusterName"], params["fargateProfileName"])}

    def list_fargate_profiles(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = params["clusterName"]
        self.cluster_record(context, cluster)
        return self.list_names(context, self.fargate, "ListFargateProfiles", params, cluster)

    def delete_fargate_profile(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster, name = params["clusterName"], params["fargateProfileName"]
        with self.store.transaction():
            record = self._profile(context, cluster, name)
            self.fargate.delete(self.scope_of(context), _key(cluster, name))
        return {"fargateProfile": self._render(record, "DELETING")}
