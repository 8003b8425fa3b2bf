"""The rest of a cluster's control plane: managed capabilities (ACK, kro, Argo CD), the
rotation of its certificate authority, cluster insights computed from its state, and EKS
Anywhere subscriptions (an account's, not a cluster's)."""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from overcast.common import pagination, tagging
from overcast.common.arns import build_arn
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.eks import catalogue, errors

if TYPE_CHECKING:
    from .provider import Provider

_AUTHORITY_SUMMARY = frozenset({"id", "createdAt", "createdBy", "activatedAt", "activatedBy", "signingStatus",
                                "distributionStatus"})  # fmt: skip
#: Deleting a subscription is allowed this long after it is created (or once it has expired).
_CANCEL_WINDOW = timedelta(days=7)


def _bad_token() -> ServiceError:
    return errors.invalid("The nextToken is not valid.")


def _key(cluster: str, name: str = "") -> str:
    return f"{cluster} {name}"


def certificate_authority() -> str:
    """A real self-signed CA certificate (base64 of its PEM), as EKS hands out for a cluster."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key_pair = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key_pair.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key_pair, hashes.SHA256())
    )
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.PEM)).decode()


class ExtrasMixin:
    # -- capabilities ------------------------------------------------------------------------------

    def create_capability(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, cluster, name = self.scope_of(context), params["clusterName"], params["capabilityName"]
        with self.store.transaction():
            self.active_cluster(context, cluster)
            if self.capabilities.get(scope, _key(cluster, name)) is not None:
                raise errors.in_use(f"Capability {name} already exists.", clusterName=cluster)
            kind = params["type"]
            configuration = params.get("configuration") or {}
            if kind == "ARGOCD" and not configuration.get("argoCd"):
                raise errors.invalid("An Argo CD capability needs an argoCd configuration.")
            if kind != "ARGOCD" and configuration.get("argoCd"):
                raise errors.invalid(
                    f"An argoCd configuration is only for capabilities of type ARGOCD, not {kind}."
                )
            self.check_role(context, params["roleArn"], "capabilities.eks.amazonaws.com")
            now = datetime.now(UTC)
            record: dict[str, Any] = {
                "capabilityName": name,
                "arn": build_arn(
                    "eks", context.region, context.account, f"capability/{cluster}/{name}/{uuid.uuid4()}"
                ),
                "clusterName": cluster,
                "type": kind,
                "roleArn": params["roleArn"],
                "status": "ACTIVE",
                "configuration": _configuration(configuration, context.region),
                "tags": tagging.tag_map(params.get("tags"), self.tag_rules),
                "health": {"issues": []},
                "createdAt": now,
                "modifiedAt": now,
                "deletePropagationPolicy": params["deletePropagationPolicy"],
            }
            self.capabilities.put(scope, _key(cluster, name), record)
        return {"capability": {**record, "status": "CREATING"}}

    def _capability(self: Provider, context: RequestContext, cluster: str, name: str) -> dict:  # type: ignore[misc]
        self.cluster_record(context, cluster)
        record = self.capabilities.get(self.scope_of(context), _key(cluster, name))
        if record is None:
            raise errors.not_found(f"No capability found for name: {name}.", clusterName=cluster)
        return record

    def describe_capability(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"capability": self._capability(context, params["clusterName"], params["capabilityName"])}

    def list_capabilities(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = params["clusterName"]
        self.cluster_record(context, cluster)
        scope, prefix = self.scope_of(context), _key(cluster)
        summary = ("capabilityName", "arn", "type", "status", "version", "createdAt", "modifiedAt")
        return pagination.paginate_keys(
            self.store, "eks", "ListCapabilities", params,
            lambda after: self.capabilities.scan(scope, prefix=prefix, start_after=after),
            bad_token=_bad_token, default_limit=100, bind=prefix,
            render=lambda _key, record: {k: record[k] for k in summary if k in record},
        )  # fmt: skip

    def update_capability(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster, name = params["clusterName"], params["capabilityName"]
        with self.store.transaction():
            record = self._capability(context, cluster, name)
            out: list[dict] = []
            if params.get("roleArn"):
                self.check_role(context, params["roleArn"], "capabilities.eks.amazonaws.com")
                record["roleArn"] = params["roleArn"]
                out.append(self.param("RoleArn", params["roleArn"]))
            if params.get("configuration"):
                argo = params["configuration"].get("argoCd") or {}
                current = (
                    record["configuration"].setdefault("argoCd", {}) if record["type"] == "ARGOCD" else {}
                )
                mappings = {m["role"]: m for m in current.get("rbacRoleMappings") or []}
                for mapping in (argo.get("rbacRoleMappings") or {}).get("addOrUpdateRoleMappings") or []:
                    mappings[mapping["role"]] = mapping
                for mapping in (argo.get("rbacRoleMappings") or {}).get("removeRoleMappings") or []:
                    mappings.pop(mapping["role"], None)
                if argo.get("rbacRoleMappings"):
                    current["rbacRoleMappings"] = list(mappings.values())
                    out.append(self.param("RoleMappingsToAddOrUpdate", argo["rbacRoleMappings"]))
                if argo.get("networkAccess"):
                    current["networkAccess"] = argo["networkAccess"]
                    out.append(self.param("NetworkAccess", argo["networkAccess"]))
            if params.get("deletePropagationPolicy"):
                record["deletePropagationPolicy"] = params["deletePropagationPolicy"]
            record["modifiedAt"] = datetime.now(UTC)
            self.capabilities.put(self.scope_of(context), _key(cluster, name), record)
            update = self.new_update(context, cluster, f"capability:{name}", "CapabilityUpdate", out)
        return {"update": update}

    def delete_capability(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, cluster, name = self.scope_of(context), params["clusterName"], params["capabilityName"]
        with self.store.transaction():
            record = self._capability(context, cluster, name)
            self.capabilities.delete(scope, _key(cluster, name))
            for row_key, _ in list(self.updates.scan(scope, prefix=_key(cluster, f"capability:{name}|"))):
                self.updates.delete(scope, row_key)
        return {"capability": {**record, "status": "DELETING"}}

    # -- certificate authority rotation ------------------------------------------------------------

    def _authorities(self: Provider, context: RequestContext, cluster: dict) -> list[dict]:  # type: ignore[misc]
        """The cluster's CAs, oldest first; the first is the one it was created with."""
        scope = self.scope_of(context)
        rows = [record for _, record in self.authorities.scan(scope, prefix=_key(cluster["name"]))]
        if not rows:
            original = {"id": str(uuid.uuid4()), "createdAt": cluster["createdAt"], "createdBy": "EKS",
                        "activatedAt": cluster["createdAt"], "activatedBy": "EKS", "signingStatus": "IN_USE",
                        "distributionStatus": "COMPLETE", "data": cluster["certificateAuthority"]["data"]}  # fmt: skip
            self.authorities.put(
                scope, _key(cluster["name"], f"{cluster['createdAt'].timestamp():017.6f}"), original
            )
            rows = [original]
        return sorted(rows, key=lambda r: r["createdAt"])

    def _authority(self: Provider, context: RequestContext, cluster: dict, authority_id: str) -> dict:  # type: ignore[misc]
        for record in self._authorities(context, cluster):
            if record["id"] == authority_id:
                return record
        raise errors.not_found(
            f"No certificate authority found with id: {authority_id}.", clusterName=cluster["name"]
        )

    def _put_authority(self: Provider, context: RequestContext, cluster: str, record: dict) -> None:  # type: ignore[misc]
        self.authorities.put(
            self.scope_of(context), _key(cluster, f"{record['createdAt'].timestamp():017.6f}"), record
        )

    @staticmethod
    def _show_authority(record: dict, full: bool = False) -> dict:
        """A CA as Describe shows it (full), or as the summary the other operations answer."""
        if not full:
            return {k: v for k, v in record.items() if k in _AUTHORITY_SUMMARY}
        validity = {"notBefore": record["createdAt"], "notAfter": record["createdAt"] + timedelta(days=3650)}
        return {**record, "validity": validity, "rollbackAvailable": False}

    def create_certificate_authority(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster_name = params["clusterName"]
        with self.store.transaction():
            cluster = self.active_cluster(context, cluster_name)
            open("/tmp/ca_dbg", "a").write(repr(self._authorities(context, cluster)) + "\n")
            if any(r["signingStatus"] == "NOT_USED" for r in self._authorities(context, cluster)):
                raise errors.bad_request("The cluster already has a successor certificate authority.")
            record = {"id": str(uuid.uuid4()), "createdAt": datetime.now(UTC), "createdBy": "CUSTOMER",
                      "signingStatus": "NOT_USED", "distributionStatus": "COMPLETE",
                      "data": certificate_authority()}  # fmt: skip
            self._put_authority(context, cluster_name, record)
            update = self.new_update(
                context, cluster_name, "", "CertificateAuthorityUpdate",
                [self.param("CertificateAuthorityId", record["id"]), self.param("SigningStatus", "NOT_USED")],
            )  # fmt: skip
        return {"update": update, "certificateAuthority": self._show_authority(record)}

    def activate_certificate_authority(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, cluster_name = self.scope_of(context), params["clusterName"]
        with self.store.transaction():
            cluster = self.active_cluster(context, cluster_name)
            record = self._authority(context, cluster, params["certificateAuthorityId"])
            if record["signingStatus"] != "NOT_USED":
                raise errors.bad_request("Only a successor certificate authority can be activated.")
            now = datetime.now(UTC)
            for other in self._authorities(context, cluster):
                if other["signingStatus"] == "IN_USE":
                    other["signingStatus"] = "NOT_USED"
                    self._put_authority(context, cluster_name, other)
            record.update(signingStatus="IN_USE", activatedAt=now, activatedBy="CUSTOMER")
            self._put_authority(context, cluster_name, record)
            cluster["certificateAuthority"] = {"data": record["data"]}
            self.clusters.put(scope, cluster_name, cluster)
            update = self.new_update(
                context, cluster_name, "", "CertificateAuthorityUpdate",
                [self.param("ActiveCertificateAuthority", record["id"]), self.param("SigningStatus", "IN_USE")],
            )  # fmt: skip
        return {"update": update, "certificateAuthority": self._show_authority(record)}

    def delete_certificate_authority(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, cluster_name = self.scope_of(context), params["clusterName"]
        with self.store.transaction():
            cluster = self.active_cluster(context, cluster_name)
            record = self._authority(context, cluster, params["certificateAuthorityId"])
            if record["signingStatus"] == "IN_USE":
                raise errors.bad_request("The certificate authority in use cannot be deleted.")
            self.authorities.delete(scope, _key(cluster_name, f"{record['createdAt'].timestamp():017.6f}"))
            update = self.new_update(
                context, cluster_name, "", "CertificateAuthorityUpdate",
                [self.param("CertificateAuthorityId", record["id"])],
            )  # fmt: skip
        return {
            "update": update,
            "certificateAuthority": {**self._show_authority(record), "distributionStatus": "DELETING"},
        }

    def describe_certificate_authority(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = self.cluster_record(context, params["clusterName"])
        with self.store.transaction():
            record = self._authority(context, cluster, params["certificateAuthorityId"])
        return {"certificateAuthority": self._show_authority(record, full=True)}

    def list_certificate_authorities(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = self.cluster_record(context, params["clusterName"])
        with self.store.transaction():
            rows = self._authorities(context, cluster)
        return pagination.paginate_list(
            self.store, "eks", "ListCertificateAuthorities", params, rows,
            bad_token=_bad_token, default_limit=100, bind=cluster["name"], render=self._show_authority,
        )  # fmt: skip

    # -- insights ----------------------------------------------------------------------------------

    def _insights(self: Provider, context: RequestContext, cluster: dict) -> list[dict]:  # type: ignore[misc]
        """Insights worked out from the cluster's own state each time they are read."""
        scope, name = self.scope_of(context), cluster["name"]
        refreshed = cluster.get("insightsRefreshedAt") or cluster["createdAt"]
        minor = catalogue.minor_key(cluster["version"])
        skewed = []
        for _, group in self.nodegroups.scan(scope, prefix=_key(name)):
            gap = minor[1] - catalogue.minor_key(group["version"])[1]
            if gap:
                skewed.append((group, gap))
        upcoming = catalogue.minors_after(cluster["version"])
        stale = []
        for _, addon in self.addons.scan(scope, prefix=_key(name)):
            spec = catalogue.ADDONS_BY_NAME.get(addon["addonName"])
            if upcoming and spec and addon["addonVersion"] not in catalogue.addon_versions(spec, upcoming):
                stale.append(addon)
        rows = [
            _insight(name, "Kubelet version skew", "UPGRADE_READINESS", cluster["version"], refreshed,
                     "Checks the kubelet version of the cluster's node groups against its control plane.",
                     ("ERROR" if any(gap > 3 for _, gap in skewed) else "WARNING" if skewed else "PASSING"),
                     f"{len(skewed)} node group(s) run another minor version than the cluster."
                     if skewed else "Every node group runs the cluster's minor version.",
                     [{"insightStatus": {"status": "WARNING", "reason": f"Node group runs {g['version']}."},
                       "arn": g["nodegroupArn"]} for g, _ in skewed]),
            _insight(name, "Amazon EKS add-on version compatibility", "UPGRADE_READINESS", cluster["version"],
                     refreshed, "Checks that the cluster's add-ons have versions for the next Kubernetes version.",
                     "WARNING" if stale else "PASSING",
                     f"{len(stale)} add-on(s) need an update before upgrading to {upcoming}."
                     if stale else "Every add-on is compatible with the next Kubernetes version.",
                     [{"insightStatus": {"status": "WARNING", "reason": f"{a['addonName']} {a['addonVersion']} does "
                                         f"not run on {upcoming}."}, "arn": a["addonArn"]} for a in stale]),
            _insight(name, "Cluster health issues", "MISCONFIGURATION", cluster["version"], refreshed,
                     "Checks the cluster for health issues EKS found.",
                     "ERROR", "No Kubernetes API server runs behind this cluster in Overcast.", []),
        ]  # fmt: skip
        return rows

    def list_insights(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = self.cluster_record(context, params["clusterName"])
        wanted = params.get("filter") or {}
        rows = [
            row for row in self._insights(context, cluster)
            if (not wanted.get("categories") or row["category"] in wanted["categories"])
            and (not wanted.get("kubernetesVersions") or row["kubernetesVersion"] in wanted["kubernetesVersions"])
            and (not wanted.get("statuses") or row["insightStatus"]["status"] in wanted["statuses"])
        ]  # fmt: skip
        summary = ("id", "name", "category", "kubernetesVersion", "lastRefreshTime", "lastTransitionTime",
                   "description", "insightStatus")  # fmt: skip
        return pagination.paginate_list(
            self.store, "eks", "ListInsights", params, rows, bad_token=_bad_token, default_limit=100,
            bind=cluster["name"], render=lambda row: {k: row[k] for k in summary},
        )  # fmt: skip

    def describe_insight(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = self.cluster_record(context, params["clusterName"])
        for row in self._insights(context, cluster):
            if row["id"] == params["id"]:
                return {"insight": row}
        raise errors.not_found(f"No insight found with id: {params['id']}.", clusterName=cluster["name"])

    def start_insights_refresh(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["clusterName"]
        with self.store.transaction():
            cluster = self.active_cluster(context, name)
            cluster["insightsRefreshedAt"] = datetime.now(UTC)
            self.clusters.put(self.scope_of(context), name, cluster)
        return {"message": "Insights refresh started.", "status": "IN_PROGRESS"}

    def describe_insights_refresh(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = self.cluster_record(context, params["clusterName"])
        refreshed = cluster.get("insightsRefreshedAt")
        if refreshed is None:
            raise errors.not_found(f"No insights refresh was started for cluster {cluster['name']}.")
        return {"message": "Insights refresh completed.", "status": "COMPLETED", "startedAt": refreshed,
                "endedAt": refreshed}  # fmt: skip

    # -- EKS Anywhere subscriptions -----------------------------------------------------------------

    def create_eks_anywhere_subscription(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        term = params["term"]
        if term.get("unit") != "MONTHS" or term.get("duration") not in (12, 36):
            raise errors.invalid("The subscription term must be 12 or 36 MONTHS.")
        quantity = params.get("licenseQuantity") or 1
        if quantity < 1:
            raise errors.invalid("licenseQuantity must be at least 1.")
        for _, existing in self.subscriptions.scan(scope):
            if existing["name"] == params["name"]:
                raise errors.in_use(f"A subscription named {params['name']} already exists.")
        subscription_id = str(uuid.uuid4())
        now = datetime.now(UTC)
        licenses = [{"id": str(uuid.uuid4()), "token": secrets.token_urlsafe(48)} for _ in range(quantity)]
        record = {
            "id": subscription_id,
            "name": params["name"],
            "arn": build_arn(
                "eks", context.region, context.account, f"eks-anywhere-subscription/{subscription_id}"
            ),
            "createdAt": now,
            "effectiveDate": now,
            "expirationDate": now + timedelta(days=round(term["duration"] * 365 / 12)),
            "licenseQuantity": quantity,
            "licenseType": params.get("licenseType") or "Cluster",
            "term": term,
            "status": "ACTIVE",
            "autoRenew": bool(params.get("autoRenew")),
            "licenseArns": [
                build_arn("license-manager", "", context.account, f"license:l-{secrets.token_hex(16)}")
                for _ in licenses
            ],
            "licenses": licenses,
            "tags": tagging.tag_map(params.get("tags"), self.tag_rules),
        }
        self.subscriptions.put(scope, subscription_id, record)
        return {"subscription": _show_subscription(record)}

    def _subscription(self: Provider, context: RequestContext, subscription_id: str) -> dict:  # type: ignore[misc]
        record = self.subscriptions.get(self.scope_of(context), subscription_id)
        if record is None:
            raise errors.not_found(f"No EKS Anywhere subscription found with id: {subscription_id}.")
        return record

    def describe_eks_anywhere_subscription(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"subscription": _show_subscription(self._subscription(context, params["id"]))}

    def list_eks_anywhere_subscriptions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        statuses = set(params.get("includeStatus") or [])
        rows = sorted(
            (_show_subscription(r) for _, r in self.subscriptions.scan(scope)), key=lambda r: r["createdAt"]
        )
        rows = [r for r in rows if not statuses or r["status"] in statuses]
        return pagination.paginate_list(
            self.store, "eks", "ListEksAnywhereSubscriptions", params, rows, bad_token=_bad_token,
            default_limit=10, bind="|".join(sorted(statuses)),
        )  # fmt: skip

    def update_eks_anywhere_subscription(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            record = self._subscription(context, params["id"])
            record["autoRenew"] = params["autoRenew"]
            self.subscriptions.put(self.scope_of(context), params["id"], record)
        return {"subscription": _show_subscription(record)}

    def delete_eks_anywhere_subscription(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            record = self._subscription(context, params["id"])
            shown = _show_subscription(record)
            if shown["status"] != "EXPIRED" and datetime.now(UTC) - record["createdAt"] > _CANCEL_WINDOW:
                raise errors.bad_request(
                    "Only subscriptions created within the last 7 days, or expired ones, can be deleted."
                )
            self.subscriptions.delete(self.scope_of(context), params["id"])
        return {"subscription": {**shown, "status": "DELETING"}}


def _show_subscription(record: dict) -> dict:
    status = "EXPIRED" if datetime.now(UTC) >= record["expirationDate"] else record["status"]
    return {k: v for k, v in {**record, "status": status}.items() if k != "name"}


def _configuration(given: dict, region: str) -> dict:
    """A capability's configuration as EKS reports it: Argo CD gets its server URL."""
    argo = given.get("argoCd")
    if not argo:
        return {}
    prefix = argo.get("endpointPrefix") or secrets.token_hex(6)
    return {
        "argoCd": {
            "namespace": argo.get("namespace") or "argocd",
            "awsIdc": argo["awsIdc"],
            "rbacRoleMappings": argo.get("rbacRoleMappings") or [],
            "networkAccess": argo.get("networkAccess") or {},
            "serverUrl": f"https://{prefix}.eks-capabilities.{region}.amazonaws.com",
        }
    }


def _insight(cluster: str, name: str, category: str, version: str, refreshed: datetime, description: str,
             status: str, reason: str, resources: list[dict]) -> dict:  # fmt: skip
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"eks-insight/{cluster}/{name}")),
        "name": name,
        "category": category,
        "kubernetesVersion": catalogue.minors_after(version) or version,
        "lastRefreshTime": refreshed,
        "lastTransitionTime": refreshed,
        "description": description,
        "insightStatus": {"status": status, "reason": reason},
        "recommendation": reason,
        "additionalInfo": {},
        "resources": resources,
        "categorySpecificSummary": {},
    }
