"""Who may use a cluster: access entries and their access policies, EKS Pod Identity
associations (a service account's IAM role) and OIDC identity providers."""

from __future__ import annotations

import secrets
import string
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.common import pagination, tagging
from overcast.common.arns import build_arn, parse_arn
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.eks import catalogue, errors

if TYPE_CHECKING:
    from .provider import Provider

_API_MODES = ("API", "API_AND_CONFIG_MAP")
_NODE_TYPES = frozenset(
    {"EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "HYBRID_LINUX", "HYPERPOD_LINUX", "EC2"}
)
_ID_ALPHABET = string.ascii_lowercase + string.digits


def _bad_token() -> ServiceError:
    return errors.invalid("The nextToken is not valid.")


def _key(cluster: str, name: str = "") -> str:
    return f"{cluster} {name}"


def iam_principal(arn: str) -> str:
    """The IAM principal behind a caller's ARN: an assumed-role session is its role."""
    parsed = parse_arn(arn)
    if parsed is not None and parsed.service == "sts" and parsed.resource.startswith("assumed-role/"):
        role = parsed.resource.split("/")[1]
        return f"arn:{parsed.partition}:iam::{parsed.account}:role/{role}"
    return arn


def _principal_parts(arn: str) -> tuple[str, str, str]:
    """(kind, account, name) of an IAM role or user ARN, else InvalidParameterException."""
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != "iam":
        raise errors.invalid(f"The principalArn parameter format is not valid: {arn}")
    kind, _, rest = parsed.resource.partition("/")
    if kind not in ("role", "user") or not rest:
        raise errors.invalid(f"The principalArn parameter format is not valid: {arn}")
    return kind, parsed.account, rest.rsplit("/", 1)[-1]


class AccessMixin:
    # -- access entries --------------------------------------------------------------------------

    def _api_cluster(self: Provider, context: RequestContext, cluster: str) -> dict:  # type: ignore[misc]
        record = self.cluster_record(context, cluster)
        if record.get("accessConfig", {}).get("authenticationMode") not in _API_MODES:
            raise errors.bad_request(
                "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform "
                "this operation."
            )
        return record

    def _entry(self: Provider, context: RequestContext, cluster: str, principal: str) -> dict:  # type: ignore[misc]
        self._api_cluster(context, cluster)
        record = self.access.get(self.scope_of(context), _key(cluster, principal))
        if record is None:
            raise errors.not_found("The specified access entry resource is not found.", clusterName=cluster)
        return record

    def new_access_entry(  # type: ignore[misc]
        self: Provider, context: RequestContext, cluster: str, principal: str, params: dict
    ) -> dict:
        kind, account, name = _principal_parts(principal)
        entry_type = params.get("type") or "STANDARD"
        if entry_type not in catalogue.ACCESS_ENTRY_TYPES:
            raise errors.invalid(f"The type {entry_type} is not a valid access entry type.")
        groups = params.get("kubernetesGroups") or []
        if entry_type in _NODE_TYPES and (groups or params.get("username")):
            raise errors.invalid(
                f"The kubernetesGroups and username parameters cannot be specified for access entries of type {entry_type}."
            )
        if entry_type in _NODE_TYPES and kind != "role":
            raise errors.invalid(f"Access entries of type {entry_type} need an IAM role as their principal.")
        username = params.get("username") or (
            f"arn:aws:sts::{account}:assumed-role/{name}/{{{{SessionName}}}}" if kind == "role" else principal
        )
        if entry_type in ("EC2_LINUX", "EC2_WINDOWS", "EC2"):
            username = "system:node:{{EC2PrivateDNSName}}"
        elif entry_type in ("FARGATE_LINUX", "HYBRID_LINUX", "HYPERPOD_LINUX"):
            username = "system:node:{{SessionName}}"
        now = datetime.now(UTC)
        return {
            "clusterName": cluster,
            "principalArn": principal,
            "kubernetesGroups": groups,
            "accessEntryArn": build_arn(
                "eks",
                context.region,
                context.account,
                f"access-entry/{cluster}/{kind}/{account}/{name}/{uuid.uuid4()}",
            ),
            "createdAt": now,
            "modifiedAt": now,
            "tags": tagging.tag_map(params.get("tags"), self.tag_rules),
            "username": username,
            "type": entry_type,
            "policies": {},
        }

    def bootstrap_creator_access(self: Provider, context: RequestContext, cluster: dict) -> None:  # type: ignore[misc]
        """The cluster creator's access entry with AmazonEKSClusterAdminPolicy, as EKS makes it
        when bootstrapClusterCreatorAdminPermissions is on and access entries are enabled."""
        principal = iam_principal(cluster["creator"])
        try:
            entry = self.new_access_entry(context, cluster["name"], principal, {})
        except ServiceError:
            return  # the root user or a federated caller: no access entry to make
        now = datetime.now(UTC)
        entry["policies"][catalogue.ACCESS_POLICY_PREFIX + "AmazonEKSClusterAdminPolicy"] = {
            "accessScope": {"type": "cluster", "namespaces": []}, "associatedAt": now, "modifiedAt": now,
        }  # fmt: skip
        self.access.put(self.scope_of(context), _key(cluster["name"], principal), entry)

    def create_access_entry(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, cluster, principal = self.scope_of(context), params["clusterName"], params["principalArn"]
        with self.store.transaction():
            self._api_cluster(context, cluster)
            if self.access.get(scope, _key(cluster, principal)) is not None:
                raise errors.in_use(
                    "The specified access entry resource is already in use on this cluster.",
                    clusterName=cluster,
                )
            entry = self.new_access_entry(context, cluster, principal, params)
            self.access.put(scope, _key(cluster, principal), entry)
        return {"accessEntry": _show_entry(entry)}

    def describe_access_entry(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {
            "accessEntry": _show_entry(self._entry(context, params["clusterName"], params["principalArn"]))
        }

    def list_access_entries(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = params["clusterName"]
        self._api_cluster(context, cluster)
        scope, prefix = self.scope_of(context), _key(cluster)
        wanted = params.get("associatedPolicyArn")
        return pagination.paginate_keys(
            self.store, "eks", "ListAccessEntries", params,
            lambda after: (
                (row_key, record) for row_key, record in self.access.scan(scope, prefix=prefix, start_after=after)
                if not wanted or wanted in record["policies"]
            ),
            bad_token=_bad_token, default_limit=100, bind=prefix + (wanted or ""),
            render=lambda _key, record: record["principalArn"],
        )  # fmt: skip

    def update_access_entry(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster, principal = params["clusterName"], params["principalArn"]
        with self.store.transaction():
            entry = self._entry(context, cluster, principal)
            if entry["type"] in _NODE_TYPES and (params.get("kubernetesGroups") or params.get("username")):
                raise errors.invalid(f"Access entries of type {entry['type']} cannot be updated.")
            if params.get("kubernetesGroups") is not None:
                entry["kubernetesGroups"] = params["kubernetesGroups"]
            if params.get("username"):
                entry["username"] = params["username"]
            entry["modifiedAt"] = datetime.now(UTC)
            self.access.put(self.scope_of(context), _key(cluster, principal), entry)
        return {"accessEntry": _show_entry(entry)}

    def delete_access_entry(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster, principal = params["clusterName"], params["principalArn"]
        with self.store.transaction():
            self._entry(context, cluster, principal)
            self.access.delete(self.scope_of(context), _key(cluster, principal))
        return {}

    def list_access_policies(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        rows = [
            {"name": name, "arn": catalogue.ACCESS_POLICY_PREFIX + name} for name in catalogue.ACCESS_POLICIES
        ]
        return pagination.paginate_list(
            self.store, "eks", "ListAccessPolicies", params, rows, bad_token=_bad_token, default_limit=100
        )

    def associate_access_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster, principal, policy_arn = params["clusterName"], params["principalArn"], params["policyArn"]
        if policy_arn.removeprefix(catalogue.ACCESS_POLICY_PREFIX) not in catalogue.ACCESS_POLICIES or not (
            policy_arn.startswith(catalogue.ACCESS_POLICY_PREFIX)
        ):
            raise errors.invalid(f"The policyArn {policy_arn} is not a valid access policy.")
        scope_in = params["accessScope"]
        scope_type = scope_in.get("type")
        namespaces = scope_in.get("namespaces") or []
        if scope_type == "namespace" and not namespaces:
            raise errors.invalid(
                "At least one namespace must be given for an access scope of type namespace."
            )
        if scope_type == "cluster" and namespaces:
            raise errors.invalid("Namespaces cannot be given for an access scope of type cluster.")
        with self.store.transaction():
            entry = self._entry(context, cluster, principal)
            if entry["type"] != "STANDARD":
                raise errors.invalid(
                    f"Access policies cannot be associated with access entries of type {entry['type']}."
                )
            now = datetime.now(UTC)
            previous = entry["policies"].get(policy_arn)
            entry["policies"][policy_arn] = {
                "accessScope": {"type": scope_type, "namespaces": namespaces},
                "associatedAt": previous["associatedAt"] if previous else now,
                "modifiedAt": now,
            }
            self.access.put(self.scope_of(context), _key(cluster, principal), entry)
        return {
            "clusterName": cluster,
            "principalArn": principal,
            "associatedAccessPolicy": {"policyArn": policy_arn, **entry["policies"][policy_arn]},
        }

    def disassociate_access_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster, principal = params["clusterName"], params["principalArn"]
        with self.store.transaction():
            entry = self._entry(context, cluster, principal)
            if entry["policies"].pop(params["policyArn"], None) is None:
                raise errors.not_found(
                    "The specified access policy is not associated with this access entry."
                )
            self.access.put(self.scope_of(context), _key(cluster, principal), entry)
        return {}

    def list_associated_access_policies(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster, principal = params["clusterName"], params["principalArn"]
        entry = self._entry(context, cluster, principal)
        rows = [{"policyArn": arn, **value} for arn, value in sorted(entry["policies"].items())]
        out = pagination.paginate_list(
            self.store, "eks", "ListAssociatedAccessPolicies", params, rows,
            bad_token=_bad_token, default_limit=100, bind=cluster + principal,
        )  # fmt: skip
        return {"clusterName": cluster, "principalArn": principal, **out}

    # -- EKS Pod Identity --------------------------------------------------------------------------

    def associate_pod_identity(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        cluster: str,
        namespace: str,
        service_account: str,
        role_arn: str,
        owner: str | None = None,
        extra: dict | None = None,
    ) -> dict:
        scope = self.scope_of(context)
        for _, existing in self.pods.scan(scope, prefix=_key(cluster)):
            if existing["namespace"] == namespace and existing["serviceAccount"] == service_account:
                raise errors.in_use(
                    f"Association already exists: {existing['associationId']}", clusterName=cluster
                )
        self.check_role(context, role_arn, "pods.eks.amazonaws.com")
        association_id = "a-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(17))
        now = datetime.now(UTC)
        record: dict[str, Any] = {
            "clusterName": cluster,
            "namespace": namespace,
            "serviceAccount": service_account,
            "roleArn": role_arn,
            "associationArn": build_arn(
                "eks", context.region, context.account, f"podidentityassociation/{cluster}/{association_id}"
            ),
            "associationId": association_id,
            "tags": tagging.tag_map((extra or {}).get("tags"), self.tag_rules),
            "createdAt": now,
            "modifiedAt": now,
            "disableSessionTags": bool((extra or {}).get("disableSessionTags")),
        }
        if owner:
            record["ownerArn"] = owner
        for member in ("targetRoleArn", "policy"):
            if (extra or {}).get(member):
                record[member] = extra[member]  # type: ignore[index]
        if record.get("targetRoleArn"):
            record["externalId"] = str(uuid.uuid4())
        self.pods.put(scope, _key(cluster, association_id), record)
        return record

    def drop_owned_associations(self: Provider, context: RequestContext, cluster: str, owner: str) -> None:  # type: ignore[misc]
        scope = self.scope_of(context)
        for row_key, record in list(self.pods.scan(scope, prefix=_key(cluster))):
            if record.get("ownerArn") == owner:
                self.pods.delete(scope, row_key)

    def create_pod_identity_association(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = params["clusterName"]
        with self.store.transaction():
            self.active_cluster(context, cluster)
            record = self.associate_pod_identity(
                context,
                cluster,
                params["namespace"],
                params["serviceAccount"],
                params["roleArn"],
                extra=params,
            )
        return {"association": record}

    def _association(self: Provider, context: RequestContext, cluster: str, association_id: str) -> dict:  # type: ignore[misc]
        self.cluster_record(context, cluster)
        record = self.pods.get(self.scope_of(context), _key(cluster, association_id))
        if record is None:
            raise errors.not_found(f"Association {association_id} not found.", clusterName=cluster)
        return record

    def describe_pod_identity_association(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"association": self._association(context, params["clusterName"], params["associationId"])}

    def list_pod_identity_associations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = params["clusterName"]
        self.cluster_record(context, cluster)
        scope, prefix = self.scope_of(context), _key(cluster)
        namespace, account = params.get("namespace"), params.get("serviceAccount")
        summary = (
            "clusterName",
            "namespace",
            "serviceAccount",
            "associationArn",
            "associationId",
            "ownerArn",
        )
        return pagination.paginate_keys(
            self.store, "eks", "ListPodIdentityAssociations", params,
            lambda after: (
                (row_key, record) for row_key, record in self.pods.scan(scope, prefix=prefix, start_after=after)
                if (not namespace or record["namespace"] == namespace)
                and (not account or record["serviceAccount"] == account)
            ),
            bad_token=_bad_token, default_limit=100, bind=f"{prefix}{namespace}|{account}",
            render=lambda _key, record: {k: record[k] for k in summary if k in record},
        )  # fmt: skip

    def update_pod_identity_association(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster, association_id = params["clusterName"], params["associationId"]
        with self.store.transaction():
            record = self._association(context, cluster, association_id)
            if record.get("ownerArn"):
                raise errors.invalid(
                    f"Association {association_id} is owned by {record['ownerArn']}: update it through its owner."
                )
            if params.get("roleArn"):
                self.check_role(context, params["roleArn"], "pods.eks.amazonaws.com")
                record["roleArn"] = params["roleArn"]
            if params.get("disableSessionTags") is not None:
                record["disableSessionTags"] = params["disableSessionTags"]
            for member in ("targetRoleArn", "policy"):
                if params.get(member) is not None:
                    if params[member]:
                        record[member] = params[member]
                    else:
                        record.pop(member, None)
            if record.get("targetRoleArn") and not record.get("externalId"):
                record["externalId"] = str(uuid.uuid4())
            record["modifiedAt"] = datetime.now(UTC)
            self.pods.put(self.scope_of(context), _key(cluster, association_id), record)
        return {"association": record}

    def delete_pod_identity_association(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster, association_id = params["clusterName"], params["associationId"]
        with self.store.transaction():
            record = self._association(context, cluster, association_id)
            if record.get("ownerArn"):
                raise errors.invalid(
                    f"Association {association_id} is owned by {record['ownerArn']}: delete it through its owner."
                )
            self.pods.delete(self.scope_of(context), _key(cluster, association_id))
        return {"association": record}

    # -- OIDC identity providers -------------------------------------------------------------------

    def associate_identity_provider_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, cluster = self.scope_of(context), params["clusterName"]
        oidc = params["oidc"]
        name = oidc["identityProviderConfigName"]
        if not oidc["issuerUrl"].startswith("https://"):
            raise errors.invalid("The issuerUrl must be an https URL.")
        with self.store.transaction():
            self.active_cluster(context, cluster)
            if self.idps.get(scope, _key(cluster, name)) is not None:
                raise errors.in_use(f"Identity provider config {name} already exists.", clusterName=cluster)
            if any(True for _ in self.idps.scan(scope, prefix=_key(cluster))):
                raise errors.limit("A cluster can have at most one OIDC identity provider config.")
            tags = tagging.tag_map(params.get("tags"), self.tag_rules)
            record = {
                **oidc,
                "identityProviderConfigArn": build_arn(
                    "eks", context.region, context.account,
                    f"identityproviderconfig/{cluster}/oidc/{name}/{uuid.uuid4()}",
                ),
                "clusterName": cluster,
                "tags": tags,
                "status": "ACTIVE",
            }  # fmt: skip
            self.idps.put(scope, _key(cluster, name), record)
            update = self.new_update(
                context, cluster, "", "AssociateIdentityProviderConfig",
                [self.param("IdentityProviderConfig", [{"type": "oidc", "name": name}])],
            )  # fmt: skip
        return {"update": update, "tags": tags}

    def _idp(self: Provider, context: RequestContext, cluster: str, config: dict) -> dict:  # type: ignore[misc]
        self.cluster_record(context, cluster)
        record = self.idps.get(self.scope_of(context), _key(cluster, config["name"]))
        if config.get("type") != "oidc" or record is None:
            raise errors.not_found(
                f"Identity provider config {config['name']} not found.", clusterName=cluster
            )
        return record

    def describe_identity_provider_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._idp(context, params["clusterName"], params["identityProviderConfig"])
        return {"identityProviderConfig": {"oidc": record}}

    def list_identity_provider_configs(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster = params["clusterName"]
        self.cluster_record(context, cluster)
        scope, prefix = self.scope_of(context), _key(cluster)
        return pagination.paginate_keys(
            self.store, "eks", "ListIdentityProviderConfigs", params,
            lambda after: self.idps.scan(scope, prefix=prefix, start_after=after),
            bad_token=_bad_token, default_limit=100, bind=prefix,
            render=lambda row_key, _record: {"type": "oidc", "name": row_key[len(prefix):]},
        )  # fmt: skip

    def disassociate_identity_provider_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        cluster, config = params["clusterName"], params["identityProviderConfig"]
        with self.store.transaction():
            self._idp(context, cluster, config)
            self.idps.delete(self.scope_of(context), _key(cluster, config["name"]))
            update = self.new_update(
                context, cluster, "", "DisassociateIdentityProviderConfig",
                [self.param("IdentityProviderConfig", [{"type": "oidc", "name": config["name"]}])],
            )  # fmt: skip
        return {"update": update}


def _show_entry(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if k != "policies"}
