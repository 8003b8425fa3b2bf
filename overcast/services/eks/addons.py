"""Add-ons: the catalogue's versions (DescribeAddonVersions), and a cluster's installed add-ons
with their configuration values and the pod identity associations they own."""

from __future__ import annotations

import json
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

#: Add-ons whose pods need AWS permissions (an IAM role through IRSA or pod identity).
_NEEDS_IAM = frozenset({"vpc-cni", "aws-ebs-csi-driver", "aws-efs-csi-driver", "aws-mountpoint-s3-csi-driver",
                        "amazon-cloudwatch-observability"})  # fmt: skip
#: The service account each add-on's pods run as (for its pod identity associations).
_SERVICE_ACCOUNTS = {
    "vpc-cni": "aws-node",
    "aws-ebs-csi-driver": "ebs-csi-controller-sa",
    "aws-efs-csi-driver": "efs-csi-controller-sa",
    "aws-mountpoint-s3-csi-driver": "s3-csi-driver-sa",
    "amazon-cloudwatch-observability": "cloudwatch-agent",
}


def _bad_token() -> ServiceError:
    return errors.invalid("The nextToken is not valid.")


def _key(cluster: str, name: str = "") -> str:
    return f"{cluster} {name}"


def _spec(name: str, cluster_version: str | None = None) -> catalogue.AddonSpec:
    spec = catalogue.ADDONS_BY_NAME.get(name)
    if spec is None or (cluster_version and not catalogue.addon_versions(spec, cluster_version)):
        raise errors.invalid(
            f"Addon {name} specified is not supported in {cluster_version} kubernetes version"
            if spec is not None
            else f"Addon {name} specified is not supported"
        )
    return spec


def _check_configuration(values: str | None) -> None:
    """configurationValues are JSON (or YAML, whose JSON subset is all Overcast reads) holding
    an object."""
    if not values:
        return
    try:
        parsed = json.loads(values)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise errors.invalid(
            "ConfigurationValue provided in request is not supported: Json schema validation failed "
            "with error: the configuration values must be a JSON object"
        )


class AddonsMixin:
    def describe_addon_versions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        minor = params.get("kubernetesVersion")
        types = set(params.get("types") or [])
        publishers = set(params.get("publishers") or [])
        owners = set(params.get("owners") or [])
        rows = []
        for spec in catalogue.ADDONS:
            if params.get("addonName") and spec.name != params["addonName"]:
                continue
            if (types and spec.kind not in types) or (publishers and "eks" not in publishers):
                continue
            if owners and "aws" not in owners:
                continue
            versions = (
                catalogue.addon_versions(spec, minor) if minor is None or minor in catalogue.BY_MINOR else []
            )
            if not versions:
                continue
            rows.append(
                {
                    "addonName": spec.name,
                    "type": spec.kind,
                    "addonVersions": [self._addon_version(spec, v, minor) for v in versions],
                    "publisher": "eks",
                    "owner": "aws",
                    "defaultNamespace": spec.namespace,
                }
            )
        return pagination.paginate_list(
            self.store, "eks", "DescribeAddonVersions", params, rows, bad_token=_bad_token, default_limit=100
        )

    @staticmethod
    def _addon_version(spec: catalogue.AddonSpec, version: str, minor: str | None) -> dict:
        low_high = next((low, high) for v, low, high in spec.versions if v == version)
        minors = [v.minor for v in catalogue.VERSIONS
                  if catalogue.minor_key(low_high[0]) <= catalogue.minor_key(v.minor) <= catalogue.minor_key(low_high[1])
                  and (minor is None or v.minor == minor)]  # fmt: skip
        return {
            "addonVersion": version,
            "architecture": ["amd64", "arm64"],
            "computeTypes": ["ec2", "hybrid"] if spec.name != "coredns" else ["ec2", "fargate", "hybrid"],
            "compatibilities": [
                {
                    "clusterVersion": m,
                    "platformVersions": ["*"],
                    "defaultVersion": catalogue.addon_versions(spec, m)[0] == version,
                }
                for m in minors
            ],
            "requiresConfiguration": False,
            "requiresIamPermissions": spec.name in _NEEDS_IAM,
        }

    def describe_addon_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        spec = _spec(params["addonName"])
        if params["addonVersion"] not in catalogue.addon_versions(spec, None):
            raise errors.invalid(f"Addon version {params['addonVersion']} is not supported for {spec.name}")
        account = _SERVICE_ACCOUNTS.get(spec.name)
        return {
            "addonName": spec.name,
            "addonVersion": params["addonVersion"],
            "configurationSchema": spec.schema,
            "podIdentityConfiguration": (
                [{"serviceAccount": account, "recommendedManagedPolicies": []}] if account else []
            ),
        }

    def _addon(self: Provider, context: RequestContext, cluster: str, name: str) -> dict:  # type: ignore[misc]
        self.cluster_record(context, cluster)
        record = self.addons.get(self.scope_of(context), _key(cluster, name))
        if record is None:
            raise errors.not_found(
                f"No addon: {name} found in cluster: {cluster}", clusterName=cluster, addonName=name
            )
        return record

    def create_addon(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, cluster, name = self.scope_of(context), params["clusterName"], params["addonName"]
        with self.store.transaction():
            record = self.active_cluster(context, cluster)
            spec = _spec(name, record["version"])
            if self.addons.get(scope, _key(cluster, name)) is not None:
                raise errors.in_use("Addon already exists.", clusterName=cluster, addonName=name)
            versions = catalogue.addon_versions(spec, record["version"])
            version = params.get("addonVersion") or versions[0]
            if version not in versions:
                raise errors.invalid(
                    f"Addon version specified is not supported by the cluster's Kubernetes version "
                    f"{record['version']}: {version}"
                )
            if params.get("serviceAccountRoleArn"):
                self.check_role(context, params["serviceAccountRoleArn"], "pods.eks.amazonaws.com")
            _check_configuration(params.get("configurationValues"))
            now = datetime.now(UTC)
            addon: dict[str, Any] = {
                "addonName": name,
                "clusterName": cluster,
                "status": "ACTIVE",
                "addonVersion": version,
                "health": {"issues": []},
                "addonArn": build_arn(
                    "eks", context.region, context.account, f"addon/{cluster}/{name}/{uuid.uuid4()}"
                ),
                "createdAt": now,
                "modifiedAt": now,
                "tags": tagging.tag_map(params.get("tags"), self.tag_rules),
                "publisher": "eks",
                "owner": "aws",
            }
            for member in ("serviceAccountRoleArn", "configurationValues", "namespaceConfig"):
                if params.get(member):
                    addon[member] = params[member]
            addon["podIdentityAssociations"] = [
                self.associate_pod_identity(context, cluster, "kube-system", item["serviceAccount"],
                                            item["roleArn"], owner=addon["addonArn"])["associationArn"]
                for item in params.get("podIdentityAssociations") or []
            ]  # fmt: skip
            self.addons.put(scope, _key(cluster, name), addon)
        return {"addon": {**addon, "status": "CREATING"}}

    def describe_addon(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"addon": self._addon(context, params["clusterName"], params["addonName"])}

    def list_addons(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = params["clusterName"]
        self.cluster_record(context, cluster)
        return self.list_names(context, self.addons, "ListAddons", params, cluster)

    def update_addon(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, cluster, name = self.scope_of(context), params["clusterName"], params["addonName"]
        with self.store.transaction():
            addon = self._addon(context, cluster, name)
            cluster_record = self.cluster_record(context, cluster)
            out: list[dict] = []
            if params.get("addonVersion"):
                versions = catalogue.addon_versions(_spec(name), cluster_record["version"])
                if params["addonVersion"] not in versions:
                    raise errors.invalid(
                        f"Addon version specified is not supported: {params['addonVersion']}"
                    )
                addon["addonVersion"] = params["addonVersion"]
                out.append(self.param("AddonVersion", params["addonVersion"]))
            if params.get("serviceAccountRoleArn") is not None:
                if params["serviceAccountRoleArn"]:
                    self.check_role(context, params["serviceAccountRoleArn"], "pods.eks.amazonaws.com")
                    addon["serviceAccountRoleArn"] = params["serviceAccountRoleArn"]
                else:
                    addon.pop("serviceAccountRoleArn", None)
                out.append(self.param("ServiceAccountRoleArn", params["serviceAccountRoleArn"]))
            if params.get("resolveConflicts"):
                out.append(self.param("ResolveConflicts", params["resolveConflicts"]))
            if params.get("configurationValues") is not None:
                _check_configuration(params["configurationValues"])
                addon["configurationValues"] = params["configurationValues"]
                out.append(self.param("ConfigurationValues", params["configurationValues"]))
            if params.get("podIdentityAssociations") is not None:
                self.drop_owned_associations(context, cluster, addon["addonArn"])
                addon["podIdentityAssociations"] = [
                    self.associate_pod_identity(context, cluster, "kube-system", item["serviceAccount"],
                                                item["roleArn"], owner=addon["addonArn"])["associationArn"]
                    for item in params["podIdentityAssociations"]
                ]  # fmt: skip
                out.append(self.param("PodIdentityAssociations", addon["podIdentityAssociations"]))
            addon["modifiedAt"] = datetime.now(UTC)
            self.addons.put(scope, _key(cluster, name), addon)
            update = self.new_update(context, cluster, f"addon:{name}", "AddonUpdate", out)
        return {"update": update}

    def delete_addon(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, cluster, name = self.scope_of(context), params["clusterName"], params["addonName"]
        with self.store.transaction():
            addon = self._addon(context, cluster, name)
            self.drop_owned_associations(context, cluster, addon["addonArn"])
            self.addons.delete(scope, _key(cluster, name))
            for row_key, _ in list(self.updates.scan(scope, prefix=_key(cluster, f"addon:{name}|"))):
                self.updates.delete(scope, row_key)
        return {"addon": {**addon, "status": "DELETING"}}
