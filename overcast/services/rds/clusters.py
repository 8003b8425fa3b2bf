"""Aurora clusters: a writer and reader instances as a PostgreSQL or MariaDB primary and its
replicas, with the cluster (writer) and reader endpoints."""

from __future__ import annotations

from typing import Any

from overcast.context import RequestContext
from overcast.services.rds.common import MixinBase, not_found


class ClusterMixin(MixinBase):
    def cluster_row(self, scope: str, identifier: str) -> dict[str, Any]:
        row = self.clusters.get(scope, identifier.lower())
        if row is None:
            raise not_found("DBClusterNotFoundFault", f"DBCluster {identifier} not found.")
        return row

    def create_cluster_instance(self, context: RequestContext, params: dict) -> dict:
        self.cluster_row(self.scope_of(context), params["DBClusterIdentifier"])
        raise NotImplementedError

    def forget_cluster_member(self, scope: str, cluster: str, identifier: str) -> None:
        return None
