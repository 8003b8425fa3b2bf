"""Custom endpoints of Aurora clusters (CreateDBClusterEndpoint and friends).

A custom endpoint is an address of its own on the cluster's port that reaches the members it
names: its static members, or every member but the excluded ones — only readers for a READER
endpoint, any member for ANY. Here each is a forwarder (forwarding.py) on a 127.0.1.x address,
choosing among the members that are available at each new connection, in turn, as Aurora's DNS
answers with one of them. Members added later join an endpoint without static members."""

from __future__ import annotations

import hashlib
from typing import Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.rds.common import (
    MixinBase,
    arn,
    check_identifier,
    invalid,
)
from overcast.services.rds.forwarding import bind_free

#: Custom endpoints a cluster may have (AWS's quota).
CUSTOM_ENDPOINTS_PER_CLUSTER = 5
ENDPOINT_BLOCK = "127.0.1"


def endpoint_not_found(identifier: str) -> ServiceError:
    return ServiceError("DBClusterEndpointNotFoundFault", f"DBClusterEndpoint {identifier} not found.")


class ClusterEndpointMixin(MixinBase):
    def _endpoint_row(self, scope: str, identifier: str) -> dict[str, Any]:
        row = self.cluster_endpoints.get(scope, identifier.lower())
        if row is None:
            raise endpoint_not_found(identifier)
        return row

    def _check_members(self, scope: str, cluster: dict[str, Any], names: list[str] | None) -> list[str]:
        out = []
        for name in names or []:
            member = name.lower()
            if member not in cluster["members"]:
                raise invalid(
                    f"DB instance {name} is not a member of DB cluster"
                    f" {cluster['desc']['DBClusterIdentifier']}."
                )
            out.append(member)
        return out

    def endpoint_members(self, scope: str, row: dict[str, Any]) -> list[str]:
        """The members a custom endpoint reaches now."""
        cluster = self.clusters.get(scope, row["desc"]["DBClusterIdentifier"])
        if cluster is None:
            return []
        desc = row["desc"]
        if desc.get("StaticMembers"):
            return [m for m in desc["StaticMembers"] if m in cluster["members"]]
        excluded = set(desc.get("ExcludedMembers") or [])
        return [
            m
            for m in cluster["members"]
            if m not in excluded and (desc["CustomEndpointType"] == "ANY" or m != cluster.get("writer"))
        ]

    def _endpoint_targets(self, scope: str, identifier: str) -> list[tuple[str, int]]:
        row = self.cluster_endpoints.get(scope, identifier)
        if row is None:
            return []
        targets = []
        for member in self.endpoint_members(scope, row):
            instance = self.instances.get(scope, member)
            if instance is not None and instance["desc"].get("DBInstanceStatus") == "available":
                targets.append((instance.get("address") or "127.0.0.1", instance["port"]))
        return targets

    def open_cluster_endpoint(self, scope: str, row: dict[str, Any]) -> str:
        """Start (or restart) the endpoint's forwarder; its address."""
        identifier = row["desc"]["DBClusterEndpointIdentifier"]
        key = f"cluster-endpoint/{scope}/{identifier}"
        self.close_forwarder(key)
        cluster = self.clusters.get(scope, row["desc"]["DBClusterIdentifier"])
        port = cluster["port"] if cluster else 0
        taken = {f.address[0] for f in self.forwarders.values()}
        forwarder = bind_free(
            ENDPOINT_BLOCK,
            port,
            taken,
            lambda: self._endpoint_targets(scope, identifier),
            identifier,
            preferred=row.get("address"),
        )
        self.forwarders[key] = forwarder
        return forwarder.address[0]

    def _render_endpoint(self, row: dict[str, Any]) -> dict[str, Any]:
        return dict(row["desc"])

    def cluster_custom_endpoints(self, scope: str, cluster_id: str) -> list[dict[str, Any]]:
        return [
            row
            for _, row in self.cluster_endpoints.scan(scope)
            if row["desc"]["DBClusterIdentifier"] == cluster_id
        ]

    def create_db_cluster_endpoint(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        identifier = check_identifier(params["DBClusterEndpointIdentifier"], "DBClusterEndpointIdentifier")
        kind = params["EndpointType"].upper()
        if kind not in ("READER", "ANY"):
            raise invalid(
                f"Invalid endpoint type: {params['EndpointType']}. Valid values are READER and ANY."
            )
        if params.get("StaticMembers") and params.get("ExcludedMembers"):
            raise invalid("StaticMembers and ExcludedMembers cannot both be specified.")
        with self.store.transaction():
            cluster = self.cluster_row(scope, params["DBClusterIdentifier"])
            cluster_id = cluster["desc"]["DBClusterIdentifier"]
            if cluster["desc"]["Status"] != "available":
                raise ServiceError(
                    "InvalidDBClusterStateFault", f"DB cluster {cluster_id} is not in available state."
                )
            if self.cluster_endpoints.get(scope, identifier) is not None:
                raise ServiceError(
                    "DBClusterEndpointAlreadyExistsFault",
                    f"DB Cluster Endpoint {identifier} already exists.",
                )
            if len(self.cluster_custom_endpoints(scope, cluster_id)) >= CUSTOM_ENDPOINTS_PER_CLUSTER:
                raise ServiceError(
                    "DBClusterEndpointQuotaExceededFault",
                    f"Cannot create more than {CUSTOM_ENDPOINTS_PER_CLUSTER} custom endpoints per DB cluster.",
                    403,
                )
            static = self._check_members(scope, cluster, params.get("StaticMembers"))
            excluded = self._check_members(scope, cluster, params.get("ExcludedMembers"))
            resource = "cluster-endpoint-" + hashlib.sha256(f"{scope}/{identifier}".encode()).hexdigest()[:26]
            row: dict[str, Any] = {
                "scope": scope,
                "desc": {
                    "DBClusterEndpointIdentifier": identifier,
                    "DBClusterIdentifier": cluster_id,
                    "DBClusterEndpointResourceIdentifier": resource,
                    "Endpoint": "",
                    "Status": "available",
                    "EndpointType": "CUSTOM",
                    "CustomEndpointType": kind,
                    "StaticMembers": static,
                    "ExcludedMembers": excluded,
                    "DBClusterEndpointArn": arn(context, "cluster-endpoint", identifier),
                },
                "tags": {t["Key"]: t.get("Value", "") for t in params.get("Tags") or []},
            }
            try:
                row["address"] = self.open_cluster_endpoint(scope, row)
            except OSError as error:
                raise ServiceError(
                    "InsufficientDBClusterCapacityFault", f"No address for the endpoint: {error}", 403
                ) from None
            row["desc"]["Endpoint"] = row["address"]
            self.cluster_endpoints.put(scope, identifier, row)
        return self._render_endpoint(row)

    def modify_db_cluster_endpoint(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self._endpoint_row(scope, params["DBClusterEndpointIdentifier"])
            desc = row["desc"]
            cluster = self.cluster_row(scope, desc["DBClusterIdentifier"])
            if params.get("StaticMembers") and params.get("ExcludedMembers"):
                raise invalid("StaticMembers and ExcludedMembers cannot both be specified.")
            if params.get("EndpointType"):
                kind = params["EndpointType"].upper()
                if kind not in ("READER", "ANY"):
                    raise invalid(
                        f"Invalid endpoint type: {params['EndpointType']}. Valid values are READER and ANY."
                    )
                desc["CustomEndpointType"] = kind
            if "StaticMembers" in params:
                desc["StaticMembers"] = self._check_members(scope, cluster, params["StaticMembers"])
                if desc["StaticMembers"]:
                    desc["ExcludedMembers"] = []
            if "ExcludedMembers" in params:
                desc["ExcludedMembers"] = self._check_members(scope, cluster, params["ExcludedMembers"])
                if desc["ExcludedMembers"]:
                    desc["StaticMembers"] = []
            self.cluster_endpoints.put(scope, desc["DBClusterEndpointIdentifier"], row)
        # The forwarder asks for its members at each connection: the change applies at once.
        return self._render_endpoint(row)

    def delete_db_cluster_endpoint(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self._endpoint_row(scope, params["DBClusterEndpointIdentifier"])
            identifier = row["desc"]["DBClusterEndpointIdentifier"]
            self.cluster_endpoints.delete(scope, identifier)
        self.close_forwarder(f"cluster-endpoint/{scope}/{identifier}")
        return {**self._render_endpoint(row), "Status": "deleting"}

    def drop_cluster_endpoints(self, scope: str, cluster_id: str) -> None:
        """A deleted cluster's custom endpoints go with it."""
        for row in self.cluster_custom_endpoints(scope, cluster_id):
            identifier = row["desc"]["DBClusterEndpointIdentifier"]
            self.cluster_endpoints.delete(scope, identifier)
            self.close_forwarder(f"cluster-endpoint/{scope}/{identifier}")

    def custom_endpoint_listing(self, scope: str, cluster_ids: list[str]) -> list[dict[str, Any]]:
        return [
            self._render_endpoint(row)
            for _, row in self.cluster_endpoints.scan(scope)
            if row["desc"]["DBClusterIdentifier"] in cluster_ids
        ]


def custom_type_filter(endpoint: dict[str, Any]) -> list[str]:
    kind = endpoint.get("CustomEndpointType")
    return [kind.lower()] if kind else []
