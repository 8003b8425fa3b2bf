"""Aurora global databases: a global cluster names one primary Aurora cluster (made from an
existing cluster by SourceDBClusterIdentifier, or the first cluster created into it with
CreateDBCluster's GlobalClusterIdentifier), with the engine, version and database name it
shares. Global clusters belong to the account, not a region (their ARNs have none).

A secondary cluster in another region — a replica of the primary across regions — is not
offered here: adding one is refused with a message saying so, and failover or switchover to
a cluster that is not a secondary member answers AWS's error for it."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from overcast.common import tagging
from overcast.common.arns import build_arn
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.rds.common import (
    MixinBase,
    apply_filters,
    check_identifier,
    check_max_records,
    combination,
    invalid,
    not_found,
)
from overcast.store import scope as store_scope


def global_not_found(identifier: str) -> ServiceError:
    return not_found("GlobalClusterNotFoundFault", f"Global cluster {identifier} not found.")


def invalid_global_state(message: str) -> ServiceError:
    return ServiceError("InvalidGlobalClusterStateFault", message)


class GlobalClusterMixin(MixinBase):
    def global_row(self, context: RequestContext, identifier: str) -> dict[str, Any]:
        if identifier.startswith("arn:"):
            identifier = identifier.rsplit(":", 1)[-1]
        row = self.global_clusters.get(store_scope(context.account), identifier.lower())
        if row is None:
            raise global_not_found(identifier)
        return row

    def render_global(self, row: dict[str, Any]) -> dict[str, Any]:
        desc = dict(row["desc"])
        members = []
        for member in row.get("members") or []:
            scope = member["scope"]
            cluster = self.clusters.get(scope, member["cluster"])
            if cluster is None:
                continue
            members.append(
                {
                    "DBClusterArn": cluster["desc"]["DBClusterArn"],
                    "Readers": [],
                    "IsWriter": True,
                    "GlobalWriteForwardingStatus": "disabled",
                    "SynchronizationStatus": "connected",
                }
            )
        desc["GlobalClusterMembers"] = members
        desc["TagList"] = tagging.tag_list(row.get("tags"))
        return desc

    def _cluster_by_name(self, context: RequestContext, name: str) -> tuple[str, dict[str, Any]]:
        """A cluster named by identifier or ARN (an ARN may name another region)."""
        scope = self.scope_of(context)
        if name.startswith("arn:"):
            parts = name.split(":")
            if len(parts) < 7 or parts[5] != "cluster":
                raise invalid(f"Invalid DB cluster ARN: {name}")
            scope = store_scope(parts[4], parts[3])
            name = parts[6]
        row = self.clusters.get(scope, name.lower())
        if row is None:
            raise not_found("DBClusterNotFoundFault", f"DBCluster {name} not found.")
        return scope, row

    def join_global(self, context: RequestContext, identifier: str, cluster_id: str) -> None:
        """CreateDBCluster into a global cluster: the first becomes its primary."""
        with self.store.transaction():
            row = self.global_row(context, identifier)
            if row.get("members"):
                raise combination(
                    "Secondary clusters of a global database (replicas in another region) are not"
                    " offered here: the global cluster already has its primary cluster."
                )
            scope = self.scope_of(context)
            cluster = self.cluster_row(scope, cluster_id)
            self._check_joins(row, cluster)
            row["members"] = [{"scope": scope, "cluster": cluster_id}]
            self.global_clusters.put(
                store_scope(context.account), row["desc"]["GlobalClusterIdentifier"], row
            )
            cluster["desc"]["GlobalClusterIdentifier"] = row["desc"]["GlobalClusterIdentifier"]
            self.clusters.put(scope, cluster_id, cluster)

    @staticmethod
    def _check_joins(row: dict[str, Any], cluster: dict[str, Any]) -> None:
        gdesc, cdesc = row["desc"], cluster["desc"]
        if cdesc.get("GlobalClusterIdentifier"):
            raise ServiceError(
                "InvalidDBClusterStateFault",
                f"Cluster {cdesc['DBClusterIdentifier']} is already a member of global cluster"
                f" {cdesc['GlobalClusterIdentifier']}.",
            )
        if gdesc.get("Engine") and gdesc["Engine"] != cdesc["Engine"]:
            raise combination(
                f"The engine of the DB cluster ({cdesc['Engine']}) doesn't match the engine of the global"
                f" cluster ({gdesc['Engine']})."
            )

    def create_global_cluster(self, context: RequestContext, params: dict) -> dict:
        identifier = check_identifier(params["GlobalClusterIdentifier"], "GlobalClusterIdentifier")
        account_scope = store_scope(context.account)
        source = params.get("SourceDBClusterIdentifier")
        cluster_scope, cluster = self._cluster_by_name(context, source) if source else ("", None)
        engine = (params.get("Engine") or "").lower() or None
        if cluster is not None:
            cdesc = cluster["desc"]
            if engine and engine != cdesc["Engine"]:
                raise combination(
                    f"The engine {engine} doesn't match the engine of the source DB cluster ({cdesc['Engine']})."
                )
            if params.get("EngineVersion") and params["EngineVersion"] != cdesc["EngineVersion"]:
                raise combination(
                    "The engine version doesn't match the engine version of the source DB cluster."
                )
            if params.get("DatabaseName") or params.get("StorageEncrypted") is not None:
                raise combination(
                    "DatabaseName and StorageEncrypted cannot be specified with SourceDBClusterIdentifier."
                )
            engine, version = cdesc["Engine"], cdesc["EngineVersion"]
            database, encrypted = cdesc.get("DatabaseName"), bool(cdesc.get("StorageEncrypted"))
        else:
            if not engine:
                raise invalid(
                    "The parameter Engine must be provided when SourceDBClusterIdentifier is absent."
                )
            if engine not in ("aurora-postgresql", "aurora-mysql"):
                raise invalid(f"The engine {engine} is not supported for global clusters.")
            from overcast.services.rds import catalog

            version = catalog.resolve_version(engine, params.get("EngineVersion"))
            database, encrypted = params.get("DatabaseName"), bool(params.get("StorageEncrypted"))
        digest = hashlib.sha256(f"{context.account}/{identifier}/{time.time_ns()}".encode()).hexdigest()
        desc = {
            "GlobalClusterIdentifier": identifier,
            "GlobalClusterResourceId": f"cluster-{digest[:16]}",
            "GlobalClusterArn": build_arn("rds", "", context.account, f"global-cluster:{identifier}"),
            "Status": "available",
            "Engine": engine,
            "EngineVersion": version,
            "EngineLifecycleSupport": params.get("EngineLifecycleSupport")
            or "open-source-rds-extended-support",
            "StorageEncrypted": encrypted,
            "DeletionProtection": bool(params.get("DeletionProtection")),
            "Endpoint": f"{identifier}.global-{digest[16:26]}.global.rds.amazonaws.com",
        }
        if database:
            desc["DatabaseName"] = database
        row: dict[str, Any] = {
            "desc": desc,
            "members": [],
            "tags": tagging.tag_map(params.get("Tags"), self.tag_rules),
        }
        with self.store.transaction():
            if self.global_clusters.get(account_scope, identifier) is not None:
                raise ServiceError(
                    "GlobalClusterAlreadyExistsFault", f"Global cluster {identifier} already exists."
                )
            if cluster is not None:
                self._check_joins(row, cluster)
                name = cluster["desc"]["DBClusterIdentifier"]
                row["members"] = [{"scope": cluster_scope, "cluster": name}]
                cluster["desc"]["GlobalClusterIdentifier"] = identifier
                self.clusters.put(cluster_scope, name, cluster)
            self.global_clusters.put(account_scope, identifier, row)
        return {"GlobalCluster": self.render_global(row)}

    def describe_global_clusters(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        if params.get("GlobalClusterIdentifier"):
            rows = [self.global_row(context, params["GlobalClusterIdentifier"])]
        else:
            rows = [row for _, row in self.global_clusters.scan(store_scope(context.account))]
        descs = apply_filters(
            [self.render_global(r) for r in rows],
            params.get("Filters"),
            {
                "global-cluster-id": lambda d: [d["GlobalClusterIdentifier"], d["GlobalClusterArn"]],
                "engine": lambda d: d["Engine"],
            },
        )
        return self.page("DescribeGlobalClusters", params, descs)

    def modify_global_cluster(self, context: RequestContext, params: dict) -> dict:
        account_scope = store_scope(context.account)
        with self.store.transaction():
            row = self.global_row(context, params["GlobalClusterIdentifier"])
            desc = row["desc"]
            old = desc["GlobalClusterIdentifier"]
            if params.get("DeletionProtection") is not None:
                desc["DeletionProtection"] = bool(params["DeletionProtection"])
            if params.get("EngineVersion") and params["EngineVersion"] != desc["EngineVersion"]:
                if params["EngineVersion"].split(".")[0] != desc["EngineVersion"].split(".")[
                    0
                ] and not params.get("AllowMajorVersionUpgrade"):
                    raise combination(
                        "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version."
                    )
                raise invalid_global_state(
                    "Upgrading the engine version of a global cluster is not offered here: its members run"
                    " on this machine's engine binaries."
                )
            new = params.get("NewGlobalClusterIdentifier")
            if new:
                new = check_identifier(new, "NewGlobalClusterIdentifier")
                if new != old and self.global_clusters.get(account_scope, new) is not None:
                    raise ServiceError(
                        "GlobalClusterAlreadyExistsFault", f"Global cluster {new} already exists."
                    )
                desc["GlobalClusterIdentifier"] = new
                desc["GlobalClusterArn"] = build_arn("rds", "", context.account, f"global-cluster:{new}")
                self.global_clusters.delete(account_scope, old)
                for member in row.get("members") or []:
                    cluster = self.clusters.get(member["scope"], member["cluster"])
                    if cluster is not None:
                        cluster["desc"]["GlobalClusterIdentifier"] = new
                        self.clusters.put(member["scope"], member["cluster"], cluster)
            self.global_clusters.put(account_scope, desc["GlobalClusterIdentifier"], row)
        return {"GlobalCluster": self.render_global(row)}

    def delete_global_cluster(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            row = self.global_row(context, params["GlobalClusterIdentifier"])
            desc = row["desc"]
            if desc.get("DeletionProtection"):
                raise invalid_global_state(
                    "Cannot delete protected Global Cluster, please disable deletion protection and try again."
                )
            if any(self.clusters.get(m["scope"], m["cluster"]) is not None for m in row.get("members") or []):
                raise invalid_global_state(
                    "Global Cluster must not have any members before it can be deleted."
                )
            self.global_clusters.delete(store_scope(context.account), desc["GlobalClusterIdentifier"])
        return {"GlobalCluster": {**self.render_global(row), "Status": "deleting"}}

    def remove_from_global_cluster(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            row = self.global_row(context, params["GlobalClusterIdentifier"])
            scope, cluster = self._cluster_by_name(context, params["DbClusterIdentifier"])
            name = cluster["desc"]["DBClusterIdentifier"]
            members = row.get("members") or []
            if not any(m["scope"] == scope and m["cluster"] == name for m in members):
                raise not_found(
                    "DBClusterNotFoundFault",
                    f"Cluster {params['DbClusterIdentifier']} is not a member of global cluster"
                    f" {row['desc']['GlobalClusterIdentifier']}",
                )
            row["members"] = [m for m in members if not (m["scope"] == scope and m["cluster"] == name)]
            cluster["desc"].pop("GlobalClusterIdentifier", None)
            self.clusters.put(scope, name, cluster)
            self.global_clusters.put(
                store_scope(context.account), row["desc"]["GlobalClusterIdentifier"], row
            )
        return {"GlobalCluster": self.render_global(row)}

    def _to_secondary(self, context: RequestContext, params: dict) -> dict:
        row = self.global_row(context, params["GlobalClusterIdentifier"])
        scope, cluster = self._cluster_by_name(context, params["TargetDbClusterIdentifier"])
        name = cluster["desc"]["DBClusterIdentifier"]
        if any(m["scope"] == scope and m["cluster"] == name for m in row.get("members") or []):
            raise invalid_global_state(
                f"DB cluster {params['TargetDbClusterIdentifier']} is already the primary cluster of global"
                f" cluster {row['desc']['GlobalClusterIdentifier']}."
            )
        raise not_found(
            "DBClusterNotFoundFault",
            f"Cluster {params['TargetDbClusterIdentifier']} is not a secondary member of global cluster"
            f" {row['desc']['GlobalClusterIdentifier']}",
        )

    def failover_global_cluster(self, context: RequestContext, params: dict) -> dict:
        return self._to_secondary(context, params)

    def switchover_global_cluster(self, context: RequestContext, params: dict) -> dict:
        return self._to_secondary(context, params)
