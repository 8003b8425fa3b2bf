"""Amazon EKS: the control plane of Kubernetes clusters — clusters with their VPC
configuration, updates, node groups and Fargate profiles (compute.py), add-ons (addons.py),
access entries, pod identity associations and OIDC identity providers (access.py), the
catalogue of versions (catalogue.py) and the cluster's API endpoint (kube.py).

Overcast runs no Kubernetes: each cluster's endpoint authenticates `aws eks get-token` tokens
and the cluster's access entries as EKS does, then answers that no API server runs behind it,
and the cluster's health says the same.

Tables, each scoped by account and region: "clusters" (by name) and "subscriptions" (EKS
Anywhere, by id); per cluster "nodegroups", "fargate", "addons", "capabilities", "access" (by
principal ARN), "pods" (by association id), "idps" (by config name), "authorities" (by creation
time) and "updates" (by "<subject>|<id>") — each keyed "<cluster> <name>" (a space sorts before
every character a name may hold, so one cluster's rows are one prefix)."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from overcast import policy
from overcast.common import pagination, tagging
from overcast.common.arns import build_arn, parse_arn
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.base import BaseProvider, HostRoute
from overcast.services.eks import catalogue, errors
from overcast.services.eks.access import AccessMixin
from overcast.services.eks.addons import AddonsMixin
from overcast.services.eks.compute import ComputeMixin
from overcast.services.eks.extras import ExtrasMixin, certificate_authority
from overcast.services.eks.kube import KUBE_PATH, KubeMixin
from overcast.store import scope as store_scope

TAG_RULES = tagging.TagRules(refuse=tagging.refusals("BadRequestException"), max_tags=50)
EKS_PRINCIPAL = "eks.amazonaws.com"
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
#: UpdateClusterConfig members, each one kind of update with the params it reports.
CONFIG_UPDATES: dict[str, str] = {
    "logging": "LoggingUpdate",
    "accessConfig": "AccessConfigUpdate",
    "upgradePolicy": "UpgradePolicyUpdate",
    "zonalShiftConfig": "ZonalShiftConfigUpdate",
    "computeConfig": "AutoModeUpdate",
    "storageConfig": "AutoModeUpdate",
    "kubernetesNetworkConfig": "AutoModeUpdate",
    "remoteNetworkConfig": "RemoteNetworkConfigUpdate",
    "deletionProtection": "DeletionProtectionUpdate",
    "controlPlaneScalingConfig": "ControlPlaneScalingConfigUpdate",
    "kubeApiServerConfig": "ControlPlaneComponentConfigUpdate",
    "kubeSchedulerConfig": "ControlPlaneComponentConfigUpdate",
    "kubeControllerManagerConfig": "ControlPlaneComponentConfigUpdate",
}
#: Authentication modes in the only order EKS lets a cluster move through them.
AUTH_MODES = ("CONFIG_MAP", "API_AND_CONFIG_MAP", "API")
NO_API_SERVER = (
    "Overcast runs the EKS control plane only: no Kubernetes API server runs behind this cluster, "
    "so kubectl and other Kubernetes clients cannot reach workloads."
)


def _bad_token() -> ServiceError:
    return errors.invalid("The nextToken is not valid.")


def key(cluster: str, name: str = "") -> str:
    return f"{cluster} {name}"


class Provider(ComputeMixin, AccessMixin, AddonsMixin, ExtrasMixin, KubeMixin, BaseProvider):
    service = "eks"
    tag_rules = TAG_RULES
    path_routes = (HostRoute(KUBE_PATH, "serve_kube"),)

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        table = self.store.table
        self.clusters = table("eks", "clusters")
        self.nodegroups = table("eks", "nodegroups")
        self.fargate = table("eks", "fargate")
        self.addons = table("eks", "addons")
        self.access = table("eks", "access")
        self.pods = table("eks", "pods")
        self.idps = table("eks", "idps")
        self.updates = table("eks", "updates")
        self.capabilities = table("eks", "capabilities")
        self.authorities = table("eks", "authorities")
        self.subscriptions = table("eks", "subscriptions")

    @staticmethod
    def scope_of(context: RequestContext) -> str:
        return store_scope(context.account, context.region)

    # -- shared helpers ----------------------------------------------------------------------

    def cluster_record(self, context: RequestContext, name: str) -> dict:
        record = self.clusters.get(self.scope_of(context), name)
        if record is None:
            raise errors.cluster_not_found(name)
        return record

    def active_cluster(self, context: RequestContext, name: str) -> dict:
        record = self.cluster_record(context, name)
        if record["status"] != "ACTIVE":
            raise errors.in_use(f"Cluster {name} is in {record['status']} state.", clusterName=name)
        return record

    def check_role(self, context: RequestContext, role_arn: str, principal: str = EKS_PRINCIPAL) -> None:
        """A role EKS assumes must be an IAM role ARN; under IAM enforcement it must exist and
        trust the EKS service principal, as AWS checks."""
        parsed = parse_arn(role_arn)
        if parsed is None or parsed.service != "iam" or not parsed.resource.startswith("role/"):
            raise errors.invalid(f"The role ARN {role_arn} is not valid.")
        if not getattr(self.runtime.config, "enforce_iam", False):
            return
        iam = self.runtime.provider("iam")
        name = parsed.resource.rsplit("/", 1)[-1]
        refused = errors.invalid(
            f"Role with arn: {role_arn}, could not be assumed because it does not exist or the "
            "trusted entity is not correct"
        )
        try:
            role = iam.get_role(
                RequestContext.internal("iam", parsed.account, context.region), {"RoleName": name}
            )
        except ServiceError:
            raise refused from None
        try:
            trust = policy.parse(role["Role"]["AssumeRolePolicyDocument"], policy.TRUST)
        except policy.MalformedPolicy:
            raise refused from None
        trust.policy_id, trust.policy_type = role_arn, "resource"
        request = policy.AuthorizationRequest(
            policy.Principal.service(principal),
            "sts:AssumeRole",
            role_arn,
            parsed.account,
            {},
            context.region,
        )
        if not policy.evaluate(request, [], trust).allowed:
            raise refused

    def check_subnets(self, context: RequestContext, subnet_ids: list[str], at_least_two_azs: bool) -> str:
        """The VPC of the subnets (which must exist and share one VPC)."""
        ec2 = self.runtime.provider("ec2")
        zones, vpcs = set(), set()
        for subnet_id in subnet_ids:
            subnet = ec2.find_subnet(context.account, context.region, subnet_id)
            if subnet is None:
                raise errors.invalid(f"The subnet ID '{subnet_id}' does not exist")
            zones.add(subnet["AvailabilityZone"])
            vpcs.add(subnet["VpcId"])
        if len(vpcs) > 1:
            raise errors.invalid("Subnets specified must belong to the same VPC.")
        if at_least_two_azs and len(zones) < 2:
            raise errors.invalid("Subnets specified must be in at least two different AZs", clusterName=None)
        return vpcs.pop() if vpcs else ""

    def check_security_groups(self, context: RequestContext, group_ids: list[str]) -> None:
        ec2 = self.runtime.provider("ec2")
        for group_id in group_ids:
            if ec2.find_security_group(context.account, context.region, group_id) is None:
                raise errors.invalid(f"The security group '{group_id}' does not exist")

    def new_update(
        self, context: RequestContext, cluster: str, subject: str, kind: str, params: list[dict]
    ) -> dict:
        """Record an update (done at once: nothing is there to roll) and answer it as AWS does
        when it starts: InProgress."""
        update_id = str(uuid.uuid4())
        record = {"id": update_id, "status": "Successful", "type": kind, "params": params,
                  "createdAt": datetime.now(UTC), "errors": []}  # fmt: skip
        self.updates.put(self.scope_of(context), key(cluster, f"{subject}|{update_id}"), record)
        return {**record, "status": "InProgress"}

    @staticmethod
    def param(kind: str, value: Any) -> dict:
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        if isinstance(value, bool):
            text = "true" if value else "false"
        return {"type": kind, "value": text}

    def endpoint(self, context: RequestContext, record: dict) -> str:
        request = context.request
        host = request.headers.get("host") if context.request_id != "internal" else ""
        base = f"{request.scheme}://{host}" if host else f"http://localhost:{self.runtime.config.port}"
        return f"{base}/_aws/eks/{record['account']}/{record['region']}/{record['name']}"

    # -- clusters ------------------------------------------------------------------------------

    def create_cluster(self, context: RequestContext, params: dict) -> dict:
        scope, name = self.scope_of(context), params["name"]
        existing = self.clusters.get(scope, name)
        if existing is not None:
            token = params.get("clientRequestToken")
            if token and existing.get("clientRequestToken") == token:
                return {"cluster": self.render_cluster(context, existing)}
            raise errors.in_use(f"Cluster already exists with name: {name}", clusterName=name)
        minor = params.get("version") or catalogue.DEFAULT_VERSION
        version = catalogue.supported(minor)
        if version is None:
            raise errors.invalid(f"unsupported Kubernetes version {minor}")
        self.check_role(context, params["roleArn"])
        vpc_in = params["resourcesVpcConfig"]
        subnets = vpc_in.get("subnetIds") or []
        vpc_id = self.check_subnets(context, subnets, at_least_two_azs=True)
        groups = vpc_in.get("securityGroupIds") or []
        self.check_security_groups(context, groups)
        access_in = params.get("accessConfig") or {}
        mode = access_in.get("authenticationMode") or "CONFIG_MAP"
        tags = tagging.tag_map(params.get("tags"), TAG_RULES)
        cluster_id = str(uuid.uuid4())
        record: dict[str, Any] = {
            "name": name,
            "arn": build_arn("eks", context.region, context.account, f"cluster/{name}"),
            "id": cluster_id,
            "account": context.account,
            "region": context.region,
            "createdAt": datetime.now(UTC),
            "version": version.minor,
            "platformVersion": version.platform,
            "roleArn": params["roleArn"],
            "resourcesVpcConfig": {
                "subnetIds": subnets,
                "securityGroupIds": groups,
                "clusterSecurityGroupId": self._cluster_security_group(context, name, cluster_id, vpc_id),
                "vpcId": vpc_id,
                "endpointPublicAccess": vpc_in.get("endpointPublicAccess", True),
                "endpointPrivateAccess": vpc_in.get("endpointPrivateAccess", False),
                "publicAccessCidrs": vpc_in.get("publicAccessCidrs") or ["0.0.0.0/0"],
            },
            "kubernetesNetworkConfig": self._network_config(params.get("kubernetesNetworkConfig") or {}),
            "logging": self._logging(params.get("logging")),
            "identity": {
                "oidc": {
                    "issuer": f"https://oidc.eks.{context.region}.amazonaws.com/id/"
                    f"{secrets.token_hex(16).upper()}"
                }
            },
            "certificateAuthority": {"data": certificate_authority()},
            "status": "ACTIVE",
            "clientRequestToken": params.get("clientRequestToken"),
            "tags": tags,
            "encryptionConfig": params.get("encryptionConfig") or [],
            "accessConfig": {
                "bootstrapClusterCreatorAdminPermissions": access_in.get(
                    "bootstrapClusterCreatorAdminPermissions", True
                ),
                "authenticationMode": mode,
            },
            "upgradePolicy": params.get("upgradePolicy") or {"supportType": "EXTENDED"},
            "creator": context.principal_arn,
        }
        for member in ("zonalShiftConfig", "remoteNetworkConfig", "computeConfig", "storageConfig",
                       "outpostConfig", "controlPlaneScalingConfig"):  # fmt: skip
            if params.get(member) is not None:
                record[member] = params[member]
        if params.get("deletionProtection") is not None:
            record["deletionProtection"] = params["deletionProtection"]
        with self.store.transaction():
            self.clusters.put(scope, name, record)
            if mode != "CONFIG_MAP" and record["accessConfig"]["bootstrapClusterCreatorAdminPermissions"]:
                self.bootstrap_creator_access(context, record)
        return {"cluster": {**self.render_cluster(context, record), "status": "CREATING"}}

    def _cluster_security_group(
        self, context: RequestContext, name: str, cluster_id: str, vpc_id: str
    ) -> str:
        """The security group EKS creates for the cluster (eks-cluster-sg-NAME-ID) in its VPC."""
        ec2 = self.runtime.provider("ec2")
        internal = RequestContext.internal("ec2", context.account, context.region)
        group_name = f"eks-cluster-sg-{name}-{cluster_id.split('-')[0]}"
        created = ec2.create_security_group(
            internal,
            {
                "GroupName": group_name,
                "Description": "EKS created security group applied to ENI that is attached to EKS Control "
                "Plane master nodes, as well as any managed workloads.",
                "VpcId": vpc_id,
                "TagSpecifications": [
                    {
                        "ResourceType": "security-group",
                        "Tags": [
                            {"Key": "Name", "Value": group_name},
                            {"Key": f"kubernetes.io/cluster/{name}", "Value": "owned"},
                        ],
                    }
                ],
            },
        )
        return created["GroupId"]

    def _drop_cluster_security_group(self, context: RequestContext, group_id: str) -> None:
        ec2 = self.runtime.provider("ec2")
        try:
            ec2.delete_security_group(
                RequestContext.internal("ec2", context.account, context.region), {"GroupId": group_id}
            )
        except ServiceError:
            pass  # already gone, or still referenced by the user's own rules: EKS leaves it then

    @staticmethod
    def _network_config(given: dict) -> dict:
        family = given.get("ipFamily") or "ipv4"
        out: dict[str, Any] = {"ipFamily": family}
        if family == "ipv4":
            out["serviceIpv4Cidr"] = given.get("serviceIpv4Cidr") or "10.100.0.0/16"
        else:
            out["serviceIpv6Cidr"] = "fd" + secrets.token_hex(1) + ":" + secrets.token_hex(2) + "::/108"
        if given.get("elasticLoadBalancing") is not None:
            out["elasticLoadBalancing"] = given["elasticLoadBalancing"]
        return out

    @staticmethod
    def _logging(given: dict | None) -> dict:
        """Every log type, enabled or not, in the groups AWS reports them."""
        enabled: set[str] = set()
        for entry in (given or {}).get("clusterLogging") or []:
            for kind in entry.get("types") or []:
                if kind not in LOG_TYPES:
                    raise errors.invalid(f"The type {kind} is not a valid cluster log type.")
                if entry.get("enabled"):
                    enabled.add(kind)
                else:
                    enabled.discard(kind)
        on = [t for t in LOG_TYPES if t in enabled]
        off = [t for t in LOG_TYPES if t not in enabled]
        groups = []
        if on:
            groups.append({"types": on, "enabled": True})
        if off:
            groups.append({"types": off, "enabled": False})
        return {"clusterLogging": groups}

    def render_cluster(self, context: RequestContext, record: dict) -> dict:
        out = {k: v for k, v in record.items() if k not in _INTERNAL}
        if not out.get("clientRequestToken"):
            out.pop("clientRequestToken", None)
        if record.get("connectorConfig") is None:
            out["endpoint"] = self.endpoint(context, record)
            out["health"] = {
                "issues": [
                    {"code": "ClusterUnreachable", "message": NO_API_SERVER, "resourceIds": [record["name"]]}
                ]
            }
        return out

    def describe_cluster(self, context: RequestContext, params: dict) -> dict:
        return {"cluster": self.render_cluster(context, self.cluster_record(context, params["name"]))}

    def list_clusters(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        include = params.get("include") or []
        return pagination.paginate_keys(
            self.store, "eks", "ListClusters", params,
            lambda after: (
                (name, record) for name, record in self.clusters.scan(scope, start_after=after)
                if "connectorConfig" not in record or "all" in include
            ),
            bad_token=_bad_token, default_limit=100, render=lambda name, _record: name,
        )  # fmt: skip

    def delete_cluster(self, context: RequestContext, params: dict) -> dict:
        scope, name = self.scope_of(context), params["name"]
        with self.store.transaction():
            record = self.cluster_record(context, name)
            if record.get("connectorConfig") is not None:
                raise errors.invalid(
                    f"Cluster {name} is a registered cluster: deregister it with DeregisterCluster."
                )
            if record.get("deletionProtection"):
                raise errors.bad_request(
                    f"Cluster {name} has deletion protection enabled: disable it before deleting the cluster."
                )
            if any(True for _ in self.nodegroups.scan(scope, prefix=key(name))):
                raise errors.in_use("Cluster has nodegroups attached", clusterName=name)
            if any(True for _ in self.fargate.scan(scope, prefix=key(name))):
                raise errors.in_use("Cluster has fargate profiles attached", clusterName=name)
            rendered = self.render_cluster(context, record)
            for table in (
                self.addons,
                self.access,
                self.pods,
                self.idps,
                self.updates,
                self.capabilities,
                self.authorities,
            ):
                for row_key, _ in list(table.scan(scope, prefix=key(name))):
                    table.delete(scope, row_key)
            self.clusters.delete(scope, name)
        self._drop_cluster_security_group(context, record["resourcesVpcConfig"]["clusterSecurityGroupId"])
        return {"cluster": {**rendered, "status": "DELETING"}}

    def register_cluster(self, context: RequestContext, params: dict) -> dict:
        """An external cluster registered through the EKS Connector: PENDING until the connector
        agent activates it, which no agent does here — so it stays PENDING, as AWS shows it."""
        scope, name = self.scope_of(context), params["name"]
        if self.clusters.get(scope, name) is not None:
            raise errors.in_use(f"Cluster already exists with name: {name}", clusterName=name)
        connector = params["connectorConfig"]
        self.check_role(context, connector["roleArn"], "ssm.amazonaws.com")
        now = datetime.now(UTC)
        record: dict[str, Any] = {
            "name": name,
            "arn": build_arn("eks", context.region, context.account, f"cluster/{name}"),
            "id": str(uuid.uuid4()),
            "account": context.account,
            "region": context.region,
            "createdAt": now,
            "status": "PENDING",
            "tags": tagging.tag_map(params.get("tags"), TAG_RULES),
            "clientRequestToken": params.get("clientRequestToken"),
            "connectorConfig": {
                "activationId": str(uuid.uuid4()),
                "activationCode": base64.b64encode(secrets.token_bytes(15)).decode(),
                "activationExpiry": now + timedelta(days=3),
                "provider": connector["provider"],
                "roleArn": connector["roleArn"],
            },
        }
        self.clusters.put(scope, name, record)
        return {"cluster": self.render_cluster(context, record)}

    def deregister_cluster(self, context: RequestContext, params: dict) -> dict:
        scope, name = self.scope_of(context), params["name"]
        record = self.cluster_record(context, name)
        if record.get("connectorConfig") is None:
            raise errors.invalid(f"Cluster {name} was not registered: delete it with DeleteCluster.")
        self.clusters.delete(scope, name)
        return {"cluster": {**self.render_cluster(context, record), "status": "DELETING"}}

    # -- cluster updates -----------------------------------------------------------------------

    def update_cluster_version(self, context: RequestContext, params: dict) -> dict:
        scope, name = self.scope_of(context), params["name"]
        with self.store.transaction():
            record = self.active_cluster(context, name)
            target = params["version"]
            if target == record["version"] or catalogue.minors_after(record["version"]) != target:
                raise errors.invalid(
                    f"Unsupported Kubernetes minor version update from {record['version']} to {target}",
                    clusterName=name,
                )
            version = catalogue.supported(target)
            if version is None:
                raise errors.invalid(f"unsupported Kubernetes version {target}", clusterName=name)
            record.update(version=version.minor, platformVersion=version.platform)
            self.clusters.put(scope, name, record)
            update = self.new_update(
                context, name, "", "VersionUpdate",
                [self.param("Version", version.minor), self.param("PlatformVersion", version.platform)],
            )  # fmt: skip
        return {"update": update}

    def update_cluster_config(self, context: RequestContext, params: dict) -> dict:
        scope, name = self.scope_of(context), params["name"]
        given = [m for m in ("resourcesVpcConfig", *CONFIG_UPDATES) if params.get(m) is not None]
        kinds = {CONFIG_UPDATES.get(m, "VpcConfigUpdate") for m in given}
        if not given:
            raise errors.invalid(
                "No changes needed for the cluster configuration provided.", clusterName=name
            )
        if len(kinds) > 1:
            raise errors.invalid("Only one type of update can be allowed.", clusterName=name)
        with self.store.transaction():
            record = self.active_cluster(context, name)
            update_params: list[dict] = []
            kind = kinds.pop()
            for member in given:
                value = params[member]
                if member == "resourcesVpcConfig":
                    kind = self._update_vpc(context, record, value, update_params)
                elif member == "logging":
                    record["logging"] = self._merge_logging(record["logging"], value)
                    update_params.append(self.param("ClusterLogging", record["logging"]["clusterLogging"]))
                elif member == "accessConfig":
                    self._update_access_config(context, record, value, update_params)
                else:
                    record[member] = value
                    update_params.append(
                        self.param(_PARAM_NAMES.get(member, member[0].upper() + member[1:]), value)
                    )
            self.clusters.put(scope, name, record)
            update = self.new_update(context, name, "", kind, update_params)
        return {"update": update}

    def _update_vpc(self, context: RequestContext, record: dict, value: dict, out: list[dict]) -> str:
        vpc = record["resourcesVpcConfig"]
        if value.get("subnetIds") is not None or value.get("securityGroupIds") is not None:
            if value.get("subnetIds") is not None:
                vpc_id = self.check_subnets(context, value["subnetIds"], at_least_two_azs=True)
                if vpc_id != vpc["vpcId"]:
                    raise errors.invalid("Subnets specified must belong to the cluster's VPC.")
                vpc["subnetIds"] = value["subnetIds"]
                out.append(self.param("Subnets", value["subnetIds"]))
            if value.get("securityGroupIds") is not None:
                self.check_security_groups(context, value["securityGroupIds"])
                vpc["securityGroupIds"] = value["securityGroupIds"]
                out.append(self.param("SecurityGroups", value["securityGroupIds"]))
            return "VpcConfigUpdate"
        public = value.get("endpointPublicAccess", vpc["endpointPublicAccess"])
        private = value.get("endpointPrivateAccess", vpc["endpointPrivateAccess"])
        if not public and not private:
            raise errors.invalid("Private and public endpoint access cannot both be disabled.")
        vpc.update(endpointPublicAccess=public, endpointPrivateAccess=private)
        out.extend([self.param("EndpointPublicAccess", public), self.param("EndpointPrivateAccess", private)])
        if value.get("publicAccessCidrs") is not None:
            vpc["publicAccessCidrs"] = value["publicAccessCidrs"]
            out.append(self.param("PublicAccessCidrs", value["publicAccessCidrs"]))
        return "EndpointAccessUpdate"

    def _merge_logging(self, current: dict, given: dict) -> dict:
        enabled = {t for group in current["clusterLogging"] if group["enabled"] for t in group["types"]}
        for entry in given.get("clusterLogging") or []:
            for kind in entry.get("types") or []:
                if entry.get("enabled"):
                    enabled.add(kind)
                else:
                    enabled.discard(kind)
        return self._logging({"clusterLogging": [{"types": sorted(enabled), "enabled": True}]})

    def _update_access_config(
        self, context: RequestContext, record: dict, value: dict, out: list[dict]
    ) -> None:
        if value.get("bootstrapClusterCreatorAdminPermissions") is not None:
            raise errors.invalid(
                "bootstrapClusterCreatorAdminPermissions can only be set when creating a cluster."
            )
        mode = value.get("authenticationMode")
        current = record["accessConfig"]["authenticationMode"]
        if mode is None or mode == current:
            raise errors.invalid(f"The cluster is already in authentication mode {current}.")
        if AUTH_MODES.index(mode) < AUTH_MODES.index(current):
            raise errors.invalid(f"Unsupported authentication mode update from {current} to {mode}")
        record["accessConfig"]["authenticationMode"] = mode
        out.append(self.param("AuthenticationMode", mode))

    def describe_update(self, context: RequestContext, params: dict) -> dict:
        name = params["name"]
        self.cluster_record(context, name)
        subject = self.update_subject(context, params)
        record = self.updates.get(self.scope_of(context), key(name, f"{subject}|{params['updateId']}"))
        if record is None:
            raise errors.not_found(f"No update found with id: {params['updateId']}", clusterName=name)
        return {"update": record}

    def list_updates(self, context: RequestContext, params: dict) -> dict:
        name = params["name"]
        self.cluster_record(context, name)
        prefix = key(name, self.update_subject(context, params) + "|")
        scope = self.scope_of(context)
        return pagination.paginate_keys(
            self.store, "eks", "ListUpdates", params,
            lambda after: self.updates.scan(scope, prefix=prefix, start_after=after),
            bad_token=_bad_token, default_limit=100, bind=prefix, render=lambda _key, record: record["id"],
        )  # fmt: skip

    def update_subject(self, context: RequestContext, params: dict) -> str:
        """Which resource of the cluster an update concerns ("" for the cluster itself); the
        resource must exist."""
        scope, cluster = self.scope_of(context), params["name"]
        if params.get("nodegroupName"):
            if self.nodegroups.get(scope, key(cluster, params["nodegroupName"])) is None:
                raise errors.not_found(f"No node group found for name: {params['nodegroupName']}.")
            return "nodegroup:" + params["nodegroupName"]
        if params.get("addonName"):
            if self.addons.get(scope, key(cluster, params["addonName"])) is None:
                raise errors.not_found(f"No addon: {params['addonName']} found in cluster: {cluster}")
            return "addon:" + params["addonName"]
        if params.get("capabilityName"):
            if self.capabilities.get(scope, key(cluster, params["capabilityName"])) is None:
                raise errors.not_found(f"No capability found for name: {params['capabilityName']}.")
            return "capability:" + params["capabilityName"]
        return ""

    def associate_encryption_config(self, context: RequestContext, params: dict) -> dict:
        scope, name = self.scope_of(context), params["clusterName"]
        with self.store.transaction():
            record = self.active_cluster(context, name)
            if record.get("encryptionConfig"):
                raise errors.invalid("Encryption is already enabled on the cluster.", clusterName=name)
            for entry in params["encryptionConfig"]:
                if entry.get("resources") != ["secrets"]:
                    raise errors.invalid("Only secrets are supported as an encryption resource.")
            record["encryptionConfig"] = params["encryptionConfig"]
            self.clusters.put(scope, name, record)
            update = self.new_update(
                context, name, "", "AssociateEncryptionConfig",
                [self.param("EncryptionConfig", params["encryptionConfig"])],
            )  # fmt: skip
        return {"update": update}

    def cancel_update(self, context: RequestContext, params: dict) -> dict:
        raise errors.bad_request("The update has already completed and can no longer be cancelled.")

    # -- versions --------------------------------------------------------------------------------

    def describe_cluster_versions(self, context: RequestContext, params: dict) -> dict:
        today = catalogue.today()
        wanted = set(params.get("clusterVersions") or [])
        status = params.get("versionStatus") or (params.get("status") or "").upper().replace("-", "_")
        rows = []
        for version in reversed(catalogue.VERSIONS):
            state = version.status(today)
            if wanted and version.minor not in wanted:
                continue
            if status and state != status:
                continue
            if not params.get("includeAll") and not wanted and not status and state == "UNSUPPORTED":
                continue
            if params.get("defaultOnly") and version.minor != catalogue.DEFAULT_VERSION:
                continue
            rows.append(
                {
                    "clusterVersion": version.minor,
                    "clusterType": params.get("clusterType") or "eks",
                    "defaultPlatformVersion": version.platform,
                    "defaultVersion": version.minor == catalogue.DEFAULT_VERSION,
                    "releaseDate": datetime.combine(version.released, datetime.min.time(), UTC),
                    "endOfStandardSupportDate": datetime.combine(
                        version.end_of_standard, datetime.min.time(), UTC
                    ),
                    "endOfExtendedSupportDate": datetime.combine(
                        version.end_of_extended, datetime.min.time(), UTC
                    ),
                    "status": state.lower().replace("_", "-"),
                    "versionStatus": state,
                    "kubernetesPatchVersion": version.patch,
                }
            )
        return pagination.paginate_list(
            self.store,
            "eks",
            "DescribeClusterVersions",
            params,
            rows,
            bad_token=_bad_token,
            default_limit=100,
        )

    # -- tags ------------------------------------------------------------------------------------

    def _tagged(self, context: RequestContext, arn: str) -> tuple[Any, str, dict]:
        """The table, key and record an EKS ARN names."""
        parsed = parse_arn(arn)
        if parsed is None or parsed.service != "eks":
            raise errors.tag_bad_request(f"Invalid ARN: {arn}")
        scope = store_scope(parsed.account, parsed.region)
        kind, _, rest = parsed.resource.partition("/")
        parts = rest.split("/")
        where = {
            "cluster": (self.clusters, parts[0]),
            "nodegroup": (self.nodegroups, key(*parts[:2]) if len(parts) >= 2 else ""),
            "fargateprofile": (self.fargate, key(*parts[:2]) if len(parts) >= 2 else ""),
            "addon": (self.addons, key(*parts[:2]) if len(parts) >= 2 else ""),
            "identityproviderconfig": (self.idps, key(parts[0], parts[2]) if len(parts) >= 3 else ""),
            "podidentityassociation": (self.pods, key(*parts[:2]) if len(parts) >= 2 else ""),
            "capability": (self.capabilities, key(*parts[:2]) if len(parts) >= 2 else ""),
            "eks-anywhere-subscription": (self.subscriptions, parts[0]),
        }
        if kind == "access-entry":
            for row_key, record in self.access.scan(scope, prefix=key(parts[0])):
                if record["accessEntryArn"] == arn:
                    return self.access, row_key, record
            raise errors.tag_not_found(arn)
        if kind not in where:
            raise errors.tag_bad_request(f"Invalid ARN: {arn}")
        table, row_key = where[kind]
        record = table.get(scope, row_key) if row_key else None
        if record is None or record.get(_ARN_MEMBER.get(kind, "arn")) != arn:
            raise errors.tag_not_found(arn)
        return table, row_key, record

    def tag_resource(self, context: RequestContext, params: dict) -> dict:
        arn = params["resourceArn"]
        with self.store.transaction():
            table, row_key, record = self._tagged(context, arn)
            record["tags"] = tagging.add_tags(record.get("tags"), params["tags"], TAG_RULES)
            table.put(_scope_of_arn(arn), row_key, record)
        return {}

    def untag_resource(self, context: RequestContext, params: dict) -> dict:
        arn = params["resourceArn"]
        with self.store.transaction():
            table, row_key, record = self._tagged(context, arn)
            record["tags"] = tagging.remove_tags(record.get("tags"), params["tagKeys"])
            table.put(_scope_of_arn(arn), row_key, record)
        return {}

    def list_tags_for_resource(self, context: RequestContext, params: dict) -> dict:
        _, _, record = self._tagged(context, params["resourceArn"])
        return {"tags": record.get("tags") or {}}

    def resource_tags(self, arn: str) -> dict[str, str] | None:
        try:
            _, _, record = self._tagged(RequestContext.internal("eks", "000000000000"), arn)
        except ServiceError:
            return None
        return record.get("tags") or {}


#: What a cluster's record keeps for Overcast's own use, not shown.
_INTERNAL = frozenset({"account", "region", "creator", "insightsRefreshedAt"})
#: The ARN member of each kind of record, where it is not "arn".
_ARN_MEMBER = {
    "nodegroup": "nodegroupArn",
    "fargateprofile": "fargateProfileArn",
    "addon": "addonArn",
    "identityproviderconfig": "identityProviderConfigArn",
    "podidentityassociation": "associationArn",
}
#: UpdateParamType names of UpdateClusterConfig members whose name is not the member's.
_PARAM_NAMES = {"kubeApiServerConfig": "KubeApiServerConfig"}


def _scope_of_arn(arn: str) -> str:
    parsed = parse_arn(arn)
    assert parsed is not None
    return store_scope(parsed.account, parsed.region)
