"""Cache clusters, replication groups, snapshots and serverless caches: every node a real engine
process. A replication group's member clusters are one-node Redis clusters, the first the
primary and the others its replicas (`--replicaof`); failover promotes a replica with
REPLICAOF NO ONE and points the others at it. Snapshots are the primary's RDB dump (SAVE),
copied; a cluster created from one starts with that dump in its data directory."""

from __future__ import annotations

import re
import secrets
import shutil
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from overcast.common import pagination
from overcast.context import RequestContext
from overcast.engines.process import free_port
from overcast.errors import ServiceError
from overcast.services.elasticache import catalog
from overcast.services.elasticache.engines import Node, Resp, RespError, admin, check_installed, launch

if TYPE_CHECKING:
    #: What the provider's parts derive from: to the type checker, the whole provider.
    _Base = Any
else:
    _Base = object

_ID = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{0,39}$")
RUNNING = ("available", "modifying", "snapshotting", "rebooting cache cluster nodes")
_ZONE = "{}a"


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message)


def combination(message: str) -> ServiceError:
    return ServiceError("InvalidParameterCombination", message)


def check_id(value: str, what: str) -> str:
    if not _ID.match(value) or value.endswith("-") or "--" in value:
        raise invalid(
            f"Invalid {what}: {value}. {what} must be 1-40 alphanumeric characters or hyphens,"
            " begin with a letter, and contain no two consecutive hyphens nor end with a hyphen."
            if len(value) <= 40
            else f"{what} must be no more than 40 characters."
        )
    return value.lower()


_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


def check_window(window: str | None) -> None:
    """A daily SnapshotWindow hh24:mi-hh24:mi (UTC), at least 60 minutes long."""
    if window is None:
        return
    match = _WINDOW.match(window)
    if not match:
        raise invalid(f"Invalid snapshot window: {window}. The format is hh24:mi-hh24:mi.")
    start = int(match.group(1)) * 60 + int(match.group(2))
    end = int(match.group(3)) * 60 + int(match.group(4))
    if (end - start) % 1440 < 60:
        raise invalid("The snapshot window must be at least 60 minutes long.")


def check_token(token: str) -> None:
    if not 16 <= len(token) <= 128 or any(c in token for c in '@"/ ') or not token.isprintable():
        raise invalid(
            "Invalid AuthToken provided. AuthToken must be 16-128 printable characters and must not"
            " contain '/', '\"', '@' or spaces."
        )


class NodeMixin(_Base):
    # -- rows and engines ---------------------------------------------------------------------------

    def cluster_row(self, scope: str, cluster_id: str) -> dict[str, Any]:
        row = self.clusters.get(scope, cluster_id.lower())
        if row is None:
            raise ServiceError("CacheClusterNotFound", f"Cache cluster {cluster_id} not found.", 404)
        return row

    def group_row(self, scope: str, group_id: str) -> dict[str, Any]:
        row = self.replication_groups.get(scope, group_id.lower())
        if row is None:
            raise ServiceError(
                "ReplicationGroupNotFoundFault", f"Replication group {group_id} not found.", 404
            )
        return row

    def ports_in_use(self) -> set[int]:
        ports: set[int] = set()
        for scope in self.clusters.scopes():
            for _, row in self.clusters.scan(scope):
                ports.update(n["port"] for n in row["nodes"])
                ports.update(n["bus"] for n in row["nodes"] if n.get("bus"))
        for scope in self.serverless.scopes():
            for _, row in self.serverless.scan(scope):
                ports.add(row["node"]["port"])
        return ports

    def new_node(self, scope: str, cluster_id: str, number: int, taken: set[int]) -> dict[str, Any]:
        port = free_port(self.ports_in_use() | taken)
        taken.add(port)
        node_id = f"{number:04d}"
        key = f"{scope.replace('/', '-')}-{cluster_id}-{node_id}"
        return {"id": node_id, "key": key, "port": port, "created": time.time(), "status": "creating"}

    def node_of(self, row: dict[str, Any], node: dict[str, Any], scope: str) -> Node:
        desc = row["desc"]
        replica_of: tuple[str, int] | None = None
        group = None
        if desc.get("ReplicationGroupId"):
            group = self.replication_groups.get(scope, desc["ReplicationGroupId"])
            source = (group or {}).get("migrating")
            global_port = self.global_primary_port(scope, group) if group is not None else None
            if source and source.get("state", "syncing") == "syncing" and row.get("role") == "primary":
                replica_of = (source["Address"], source["Port"])
            elif global_port and row.get("role") == "primary":
                replica_of = ("127.0.0.1", global_port)
            elif group is not None and group.get("cluster_mode"):
                pass  # a Redis Cluster replica follows its primary by CLUSTER REPLICATE
            elif group is not None and row.get("role") == "replica":
                primary = self.clusters.get(scope, group["primary"])
                if primary is not None:
                    replica_of = ("127.0.0.1", primary["nodes"][0]["port"])
        return Node(
            key=node["key"],
            port=node["port"],
            engine=desc["Engine"],
            password=row.get("password"),
            admin_password=row["admin"],
            replica_of=replica_of,
            tls=self.tls_for(row),
            memory_mb=catalog.node_memory(desc["CacheNodeType"]),
            parameters=self.engine_parameters(scope, desc["CacheParameterGroup"]["CacheParameterGroupName"]),
            cluster_bus=node.get("bus", 0) if group is not None and group.get("cluster_mode") else 0,
        )

    def set_cluster(self, scope: str, cluster_id: str, status: str | None = None, **changes: Any) -> None:
        with self.store.transaction():
            row = self.clusters.get(scope, cluster_id)
            if row is None:
                return
            if status is not None:
                row["desc"]["CacheClusterStatus"] = status
            for name, value in changes.items():
                if name.startswith("_"):
                    row[name[1:]] = value
                else:
                    row["desc"][name] = value
            self.clusters.put(scope, cluster_id, row)

    def set_group(self, scope: str, group_id: str, status: str | None = None, **changes: Any) -> None:
        with self.store.transaction():
            row = self.replication_groups.get(scope, group_id)
            if row is None:
                return
            if status is not None:
                row["desc"]["Status"] = status
            for name, value in changes.items():
                if name.startswith("_"):
                    row[name[1:]] = value
                else:
                    row["desc"][name] = value
            self.replication_groups.put(scope, group_id, row)

    def start_node(self, scope: str, cluster_id: str, node: dict[str, Any]) -> None:
        """Start one node's engine and wait until it answers (in background work)."""
        if self.closing:
            raise RuntimeError("Overcast is stopping")
        row = self.cluster_row(scope, cluster_id)
        spec = self.node_of(row, node, scope)
        self.owner_of_key[node["key"]] = (scope, "cache-cluster", cluster_id)
        self.supervisor.home(node["key"])
        if spec.tls is not None:
            self.write_tls(node["key"])
        failed: list[str] = []
        self.supervisor.start(node["key"], launch(self.supervisor, spec), on_failed=failed.append)
        if not self.supervisor.wait_ready(node["key"]) or failed:
            raise RuntimeError(failed[0] if failed else "the engine did not become ready")

    def cluster_failed(self, scope: str, cluster_id: str, why: str) -> None:
        self.set_cluster(scope, cluster_id, "incompatible-network" if "port" in why else "failed")
        self.record_event(scope, "cache-cluster", cluster_id, why)
        row = self.clusters.get(scope, cluster_id)
        if row is not None and row["desc"].get("ReplicationGroupId"):
            self.set_group(scope, row["desc"]["ReplicationGroupId"], "create-failed")

    def admin_call(self, scope: str, cluster_id: str, *args: Any, node_index: int = 0) -> Any:
        row = self.cluster_row(scope, cluster_id)
        with admin(row["nodes"][node_index]["port"], row["admin"], tls=self.tls_for(row)) as conn:
            return conn.call(*args)

    def resume_nodes(self) -> None:
        """After Overcast restarts: every node that was running runs again (in the background)."""
        for scope in self.clusters.scopes():
            for cluster_id, row in self.clusters.scan(scope):
                status = row["desc"]["CacheClusterStatus"]
                if status in RUNNING or status == "creating":
                    self.background(
                        scope, cluster_id, partial(self._run_cluster, scope, cluster_id),
                        "restart", partial(self.cluster_failed, scope, cluster_id),
                    )  # fmt: skip
                elif status == "deleting":
                    self.background(
                        scope, cluster_id, partial(self._delete_cluster, scope, cluster_id, None),
                        "deletion", partial(self.cluster_failed, scope, cluster_id),
                    )  # fmt: skip
        for scope in self.replication_groups.scopes():
            for group_id, _ in self.replication_groups.scan(scope):
                self.schedule_snapshots(scope, "group", group_id)
        for scope in self.serverless.scopes():
            for name, row in self.serverless.scan(scope):
                if row["desc"]["Status"] in ("available", "creating", "modifying"):
                    self.background(
                        scope, f"serverless/{name}", partial(self._run_serverless, scope, name),
                        "restart", partial(self.serverless_failed, scope, name),
                    )  # fmt: skip
                elif row["desc"]["Status"] == "deleting":
                    self.background(
                        scope, f"serverless/{name}", partial(self._delete_serverless, scope, name, None),
                        "deletion", partial(self.serverless_failed, scope, name),
                    )  # fmt: skip

    def _run_cluster(self, scope: str, cluster_id: str, first: bool = False) -> None:
        row = self.cluster_row(scope, cluster_id)
        snapshot = row.get("restore")
        for node in row["nodes"]:
            if first and row["desc"]["Engine"] != "memcached" and row.get("role") != "replica":
                if snapshot:
                    self.restore_into(scope, snapshot, node["key"])
                elif row.get("restore_file"):
                    self.restore_file_into(row["restore_file"], node["key"])
            self.start_node(scope, cluster_id, node)
            node["status"] = "available"
        self.apply_users_to_cluster(scope, cluster_id)
        with self.store.transaction():
            current = self.clusters.get(scope, cluster_id)
            if current is None:
                return
            for node in current["nodes"]:
                node["status"] = "available"
            current["desc"]["CacheClusterStatus"] = "available"
            current.pop("restore", None)
            self.clusters.put(scope, cluster_id, current)
        if first:
            self.record_event(scope, "cache-cluster", cluster_id, "Cache cluster created")
        self.schedule_snapshots(scope, "cluster", cluster_id)
        group_id = row["desc"].get("ReplicationGroupId")
        if group_id:
            self.group_settled(scope, group_id, first)

    # -- cache clusters -----------------------------------------------------------------------------

    def create_cache_cluster(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        check_window(params.get("SnapshotWindow"))
        cluster_id = check_id(params["CacheClusterId"], "CacheClusterId")
        group_id = params.get("ReplicationGroupId")
        if group_id:
            group = self.group_row(scope, group_id)
            return self.add_member(context, group, cluster_id, params)
        engine = catalog.check_engine(params.get("Engine"))
        version = catalog.resolve_version(engine, params.get("EngineVersion"))
        node_type = catalog.check_node_type(params.get("CacheNodeType"))
        count = params.get("NumCacheNodes")
        if count is None:
            count = 1
        if engine != "memcached" and count != 1:
            raise invalid("Cluster must have exactly one node for engine redis.".replace("redis", engine))
        if not 1 <= count <= 40:
            raise invalid("NumCacheNodes must be between 1 and 40.")
        token = params.get("AuthToken")
        if token:
            if engine == "memcached":
                raise combination("AuthToken is not supported for memcached.")
            check_token(token)
        snapshot = params.get("SnapshotName")
        if snapshot:
            if engine == "memcached":
                raise combination("Snapshot restore is not supported for memcached.")
            self.snapshot_row(scope, snapshot)
        imported = self.import_rdb(context, cluster_id, params.get("SnapshotArns"), engine)
        group_name = self.parameter_group_for(
            scope, params.get("CacheParameterGroupName"), catalog.family(engine, version)
        )
        subnet = self.subnet_group_for(scope, params.get("CacheSubnetGroupName"))
        for name in params.get("CacheSecurityGroupNames") or []:
            self.security_group_row(scope, name)
        check_installed(engine)
        tags = self.tags_from(params)
        with self.store.transaction():
            if self.clusters.get(scope, cluster_id) is not None:
                raise ServiceError("CacheClusterAlreadyExists", f"Cache cluster {cluster_id} already exists.")
            taken: set[int] = set()
            nodes = [self.new_node(scope, cluster_id, n + 1, taken) for n in range(count)]
            port = params.get("Port")
            if port and engine != "memcached" and count == 1 and port not in self.ports_in_use():
                from overcast.engines.process import port_open

                if not port_open(port):
                    nodes[0]["port"] = port
            desc = self.new_cluster_desc(
                context, cluster_id, params, engine, version, node_type, group_name, subnet
            )
            desc["NumCacheNodes"] = count
            desc["AuthTokenEnabled"] = bool(token)
            if token:
                desc["AuthTokenLastModifiedDate"] = time.time()
            row = {
                "desc": desc, "nodes": nodes, "password": token, "admin": secrets.token_urlsafe(18),
                "tags": tags, "restore": snapshot, "restore_file": imported,
                "tls": bool(params.get("TransitEncryptionEnabled")) and engine != "memcached",
            }  # fmt: skip
            self.clusters.put(scope, cluster_id, row)
        self.background(
            scope, cluster_id, partial(self._run_cluster, scope, cluster_id, True), "creation",
            partial(self.cluster_failed, scope, cluster_id),
        )  # fmt: skip
        return {"CacheCluster": self.render_cluster(scope, self.cluster_row(scope, cluster_id), True)}

    def new_cluster_desc(
        self, context: RequestContext, cluster_id: str, params: dict[str, Any], engine: str, version: str,
        node_type: str, group_name: str, subnet: str | None,
    ) -> dict[str, Any]:  # fmt: skip
        zone = params.get("PreferredAvailabilityZone") or _ZONE.format(context.region)
        desc: dict[str, Any] = {
            "CacheClusterId": cluster_id,
            "ClientDownloadLandingPage": "https://console.aws.amazon.com/elasticache/home#client-download:",
            "CacheNodeType": node_type,
            "Engine": engine,
            "EngineVersion": version,
            "CacheClusterStatus": "creating",
            "PreferredAvailabilityZone": "Multiple" if params.get("AZMode") == "cross-az" else zone,
            "CacheClusterCreateTime": time.time(),
            "PreferredMaintenanceWindow": params.get("PreferredMaintenanceWindow") or "sun:05:00-sun:06:00",
            "PendingModifiedValues": {},
            "CacheSecurityGroups": [
                {"CacheSecurityGroupName": n, "Status": "active"}
                for n in params.get("CacheSecurityGroupNames") or []
            ],
            "CacheParameterGroup": {
                "CacheParameterGroupName": group_name,
                "ParameterApplyStatus": "in-sync",
                "CacheNodeIdsToReboot": [],
            },
            "AutoMinorVersionUpgrade": params.get("AutoMinorVersionUpgrade", True),
            "SecurityGroups": [
                {"SecurityGroupId": g, "Status": "active"} for g in params.get("SecurityGroupIds") or []
            ],
            "SnapshotRetentionLimit": params.get("SnapshotRetentionLimit") or 0,
            "SnapshotWindow": params.get("SnapshotWindow") or "05:00-06:00",
            "TransitEncryptionEnabled": bool(params.get("TransitEncryptionEnabled")),
            "AtRestEncryptionEnabled": False,
            "ARN": self.arn(context, "cluster", cluster_id),
            "ReplicationGroupLogDeliveryEnabled": False,
            "LogDeliveryConfigurations": [],
            "NetworkType": params.get("NetworkType") or "ipv4",
            "IpDiscovery": params.get("IpDiscovery") or "ipv4",
        }
        if subnet:
            desc["CacheSubnetGroupName"] = subnet
        if params.get("NotificationTopicArn"):
            desc["NotificationConfiguration"] = {
                "TopicArn": params["NotificationTopicArn"],
                "TopicStatus": "active",
            }
        if engine == "memcached":
            desc.pop("SnapshotRetentionLimit")
            desc.pop("SnapshotWindow")
        return desc

    def render_cluster(self, scope: str, row: dict[str, Any], show_nodes: bool) -> dict[str, Any]:
        desc = dict(row["desc"])
        if (desc["Engine"] == "memcached" and desc["CacheClusterStatus"] != "creating") or (
            desc["Engine"] == "memcached" and row["nodes"]
        ):
            desc["ConfigurationEndpoint"] = {"Address": "127.0.0.1", "Port": row["nodes"][0]["port"]}
        if show_nodes:
            desc["CacheNodes"] = [
                {
                    "CacheNodeId": node["id"],
                    "CacheNodeStatus": node.get("status", "available"),
                    "CacheNodeCreateTime": node["created"],
                    "Endpoint": {"Address": "127.0.0.1", "Port": node["port"]},
                    "ParameterGroupStatus": "in-sync",
                    "CustomerAvailabilityZone": desc["PreferredAvailabilityZone"]
                    if desc["PreferredAvailabilityZone"] != "Multiple"
                    else _ZONE.format(scope.partition("/")[2]),
                }
                for node in row["nodes"]
            ]
        return desc

    def describe_cache_clusters(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        show = bool(params.get("ShowCacheNodeInfo"))
        if params.get("CacheClusterId"):
            rows = [self.cluster_row(scope, params["CacheClusterId"])]
        else:
            rows = [row for _, row in self.clusters.scan(scope)]
            if params.get("ShowCacheClustersNotInReplicationGroups"):
                rows = [r for r in rows if not r["desc"].get("ReplicationGroupId")]
        return self.page("DescribeCacheClusters", params, [self.render_cluster(scope, r, show) for r in rows])

    def modify_cache_cluster(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        check_window(params.get("SnapshotWindow"))
        cluster_id = params["CacheClusterId"].lower()
        row = self.cluster_row(scope, cluster_id)
        desc = row["desc"]
        if desc["CacheClusterStatus"] != "available":
            raise ServiceError(
                "InvalidCacheClusterState", f"Cache cluster {cluster_id} is not in available state."
            )
        changes: dict[str, Any] = {}
        for name in (
            "PreferredMaintenanceWindow",
            "SnapshotWindow",
            "AutoMinorVersionUpgrade",
            "SnapshotRetentionLimit",
        ):
            if params.get(name) is not None:
                changes[name] = params[name]
        if params.get("NotificationTopicArn"):
            changes["NotificationConfiguration"] = {
                "TopicArn": params["NotificationTopicArn"],
                "TopicStatus": "active",
            }
        if params.get("SecurityGroupIds") is not None:
            changes["SecurityGroups"] = [
                {"SecurityGroupId": g, "Status": "active"} for g in params["SecurityGroupIds"]
            ]
        if params.get("CacheSecurityGroupNames") is not None:
            for name in params["CacheSecurityGroupNames"]:
                self.security_group_row(scope, name)
            changes["CacheSecurityGroups"] = [
                {"CacheSecurityGroupName": n, "Status": "active"} for n in params["CacheSecurityGroupNames"]
            ]
        if params.get("EngineVersion"):
            changes["EngineVersion"] = catalog.resolve_version(desc["Engine"], params["EngineVersion"])
        if params.get("CacheNodeType"):
            changes["CacheNodeType"] = catalog.check_node_type(params["CacheNodeType"])
        group_name = params.get("CacheParameterGroupName")
        if group_name:
            group = self.parameter_group_row(scope, group_name)
            if group["desc"]["CacheParameterGroupFamily"] != catalog.family(
                desc["Engine"], desc["EngineVersion"]
            ):
                raise combination(
                    f"The parameter group family {group['desc']['CacheParameterGroupFamily']} does not match the"
                    " cluster's engine version."
                )
            changes["CacheParameterGroup"] = {
                "CacheParameterGroupName": group["desc"]["CacheParameterGroupName"],
                "ParameterApplyStatus": "in-sync", "CacheNodeIdsToReboot": [],
            }  # fmt: skip
        count = params.get("NumCacheNodes")
        remove = params.get("CacheNodeIdsToRemove") or []
        token = params.get("AuthToken")
        strategy = params.get("AuthTokenUpdateStrategy")
        if token:
            check_token(token)
            if not desc.get("AuthTokenEnabled") and strategy not in (None, "ROTATE", "SET"):
                raise combination("AuthTokenUpdateStrategy must be SET or ROTATE.")
        if strategy == "DELETE" and not desc.get("TransitEncryptionEnabled"):
            raise combination("Auth token can only be deleted when in-transit encryption is enabled.")
        if count is not None:
            if desc["Engine"] != "memcached" and count != 1:
                raise invalid(
                    "Cluster must have exactly one node for engine redis.".replace("redis", desc["Engine"])
                )
            if not 1 <= count <= 40:
                raise invalid("NumCacheNodes must be between 1 and 40.")
            current = len(row["nodes"])
            if count < current and len(remove) != current - count:
                raise invalid(
                    f"The number of cache node IDs to remove ({len(remove)}) must equal the reduction in"
                    f" NumCacheNodes ({current - count})."
                )
            known = {n["id"] for n in row["nodes"]}
            for node_id in remove:
                if node_id not in known:
                    raise invalid(f"Cache node {node_id} does not exist in cluster {cluster_id}.")
        self.set_cluster(scope, cluster_id, **changes)
        self.schedule_snapshots(scope, "cluster", cluster_id)
        if changes.get("CacheNodeType") and desc["Engine"] != "memcached":
            self.resize(scope, cluster_id, changes["CacheNodeType"])
        needs_work = (
            (count is not None and count != len(row["nodes"])) or group_name or token or strategy == "DELETE"
        )
        if needs_work:
            self.set_cluster(scope, cluster_id, "modifying")
            self.background(
                scope, cluster_id,
                partial(self._modify_cluster, scope, cluster_id, count, remove, group_name, token, strategy),
                "modification", partial(self.cluster_failed, scope, cluster_id),
            )  # fmt: skip
        return {"CacheCluster": self.render_cluster(scope, self.cluster_row(scope, cluster_id), True)}

    def _modify_cluster(
        self, scope: str, cluster_id: str, count: int | None, remove: list[str], group_name: str | None,
        token: str | None, strategy: str | None,
    ) -> None:  # fmt: skip
        row = self.cluster_row(scope, cluster_id)
        if count is not None and count > len(row["nodes"]):
            taken: set[int] = set()
            highest = max(int(n["id"]) for n in row["nodes"])
            added = [
                self.new_node(scope, cluster_id, highest + n + 1, taken)
                for n in range(count - len(row["nodes"]))
            ]
            self.set_cluster(scope, cluster_id, _nodes=row["nodes"] + added, NumCacheNodes=count)
            for node in added:
                self.start_node(scope, cluster_id, node)
            self.record_event(
                scope, "cache-cluster", cluster_id, f"Added cache nodes {', '.join(n['id'] for n in added)}"
            )
        elif count is not None and count < len(row["nodes"]):
            for node in row["nodes"]:
                if node["id"] in remove:
                    self.supervisor.stop(node["key"])
                    self.supervisor.remove_home(node["key"])
            kept = [n for n in row["nodes"] if n["id"] not in remove]
            self.set_cluster(scope, cluster_id, _nodes=kept, NumCacheNodes=len(kept))
            self.record_event(scope, "cache-cluster", cluster_id, f"Removed cache nodes {', '.join(remove)}")
        if group_name:
            self.apply_parameters_to_cluster(scope, cluster_id)
        if token or strategy == "DELETE":
            row = self.cluster_row(scope, cluster_id)
            new = None if strategy == "DELETE" else token
            for index, _ in enumerate(row["nodes"]):
                self.admin_call(
                    scope, cluster_id, "CONFIG", "SET", "requirepass", new or "", node_index=index
                )
            self.set_cluster(
                scope,
                cluster_id,
                _password=new,
                AuthTokenEnabled=bool(new),
                AuthTokenLastModifiedDate=time.time(),
            )
        self.set_cluster(scope, cluster_id, "available")
        for node in self.cluster_row(scope, cluster_id)["nodes"]:
            node["status"] = "available"
        self.record_event(scope, "cache-cluster", cluster_id, "Cache cluster modified")

    def reboot_cache_cluster(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        cluster_id = params["CacheClusterId"].lower()
        row = self.cluster_row(scope, cluster_id)
        if row["desc"]["CacheClusterStatus"] != "available":
            raise ServiceError(
                "InvalidCacheClusterState", f"Cache cluster {cluster_id} is not in available state."
            )
        wanted = params.get("CacheNodeIdsToReboot") or []
        known = {n["id"] for n in row["nodes"]}
        for node_id in wanted:
            if node_id not in known:
                raise invalid(f"Cache node {node_id} does not exist in cluster {cluster_id}.")
        self.set_cluster(scope, cluster_id, "rebooting cache cluster nodes")

        def reboot() -> None:
            current = self.cluster_row(scope, cluster_id)
            for node in current["nodes"]:
                if node["id"] in wanted:
                    if current["desc"]["Engine"] != "memcached":
                        # A reboot keeps the data where persistence is on (the node saves first).
                        try:
                            self.admin_call(
                                scope, cluster_id, "SAVE", node_index=current["nodes"].index(node)
                            )
                        except RespError:
                            pass
                    self.supervisor.stop(node["key"])
                    self.start_node(scope, cluster_id, node)
                    self.record_event(
                        scope, "cache-cluster", cluster_id, f"Cache node {node['id']} restarted"
                    )
            self.apply_users_to_cluster(scope, cluster_id)
            self.set_cluster(scope, cluster_id, "available")
            cp = current["desc"]["CacheParameterGroup"]
            if cp.get("ParameterApplyStatus") == "pending-reboot":
                self.set_cluster(
                    scope,
                    cluster_id,
                    CacheParameterGroup=dict(cp, ParameterApplyStatus="in-sync", CacheNodeIdsToReboot=[]),
                )

        self.background(scope, cluster_id, reboot, "reboot", partial(self.cluster_failed, scope, cluster_id))
        return {"CacheCluster": self.render_cluster(scope, self.cluster_row(scope, cluster_id), True)}

    def delete_cache_cluster(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        cluster_id = params["CacheClusterId"].lower()
        row = self.cluster_row(scope, cluster_id)
        desc = row["desc"]
        if desc.get("ReplicationGroupId"):
            group = self.group_row(scope, desc["ReplicationGroupId"])
            if group["primary"] == cluster_id and len(group["members"]) > 1:
                raise ServiceError(
                    "InvalidReplicationGroupState",
                    f"Cannot delete the primary cluster {cluster_id} of replication group"
                    f" {desc['ReplicationGroupId']}; delete its replicas or the replication group.",
                )
            if len(group["members"]) == 1:
                raise ServiceError(
                    "InvalidReplicationGroupState",
                    f"Cannot delete the last cluster of replication group {desc['ReplicationGroupId']}.",
                )
        if desc["CacheClusterStatus"] in ("creating", "deleting", "modifying", "snapshotting"):
            raise ServiceError(
                "InvalidCacheClusterState", f"Cache cluster {cluster_id} is not in available state."
            )
        final = params.get("FinalSnapshotIdentifier")
        if final:
            if desc["Engine"] == "memcached":
                raise combination("Snapshots are not supported for memcached.")
            if self.snapshots.get(scope, final) is not None:
                raise ServiceError("SnapshotAlreadyExistsFault", f"Snapshot {final} already exists.")
        self.set_cluster(scope, cluster_id, "deleting")
        self.background(
            scope, cluster_id, partial(self._delete_cluster, scope, cluster_id, final), "deletion",
            partial(self.cluster_failed, scope, cluster_id),
        )  # fmt: skip
        return {"CacheCluster": self.render_cluster(scope, self.cluster_row(scope, cluster_id), False)}

    def _delete_cluster(self, scope: str, cluster_id: str, final: str | None) -> None:
        row = self.cluster_row(scope, cluster_id)
        if final:
            self.take_snapshot(scope, final, cluster_id, None, "manual", {})
        for node in row["nodes"]:
            self.supervisor.stop(node["key"])
            self.supervisor.remove_home(node["key"])
            self.owner_of_key.pop(node["key"], None)
        with self.store.transaction():
            self.clusters.delete(scope, cluster_id)
            group_id = row["desc"].get("ReplicationGroupId")
            if group_id:
                group = self.replication_groups.get(scope, group_id)
                if group is not None and cluster_id in group["members"]:
                    group["members"].remove(cluster_id)
                    self.replication_groups.put(scope, group_id, group)
        self.record_event(scope, "cache-cluster", cluster_id, "Cache cluster deleted")

    # -- replication groups -------------------------------------------------------------------------

    def group_description(
        self,
        context: RequestContext,
        params: dict,
        group_id: str,
        members: list[str],
        node_type: str,
        token: str | None,
        transit: bool,
        user_groups: Any,
        engine: str,
        cluster_mode: bool,
        failover: bool,
        multi_az: bool,
    ) -> dict[str, Any]:
        """A new replication group's description, cluster mode enabled or not."""
        return {
            "ReplicationGroupId": group_id,
            "Description": params.get("ReplicationGroupDescription") or " ",
            "GlobalReplicationGroupInfo": {},
            "Status": "creating",
            "PendingModifiedValues": {},
            "MemberClusters": members,
            "AutomaticFailover": "enabled" if failover else "disabled",
            "MultiAZ": "enabled" if multi_az else "disabled",
            "SnapshotRetentionLimit": params.get("SnapshotRetentionLimit") or 0,
            "SnapshotWindow": params.get("SnapshotWindow") or "05:00-06:00",
            "ClusterEnabled": cluster_mode,
            "CacheNodeType": node_type,
            "AuthTokenEnabled": bool(token),
            "TransitEncryptionEnabled": transit,
            "AtRestEncryptionEnabled": bool(params.get("AtRestEncryptionEnabled")),
            "ARN": self.arn(context, "replicationgroup", group_id),
            "UserGroupIds": list(user_groups),
            "LogDeliveryConfigurations": [],
            "ReplicationGroupCreateTime": time.time(),
            "DataTiering": "disabled",
            "AutoMinorVersionUpgrade": params.get("AutoMinorVersionUpgrade", True),
            "NetworkType": params.get("NetworkType") or "ipv4",
            "IpDiscovery": params.get("IpDiscovery") or "ipv4",
            "ClusterMode": "enabled" if cluster_mode else "disabled",
            "Engine": engine,
        }

    def create_replication_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        check_window(params.get("SnapshotWindow"))
        group_id = check_id(params["ReplicationGroupId"], "ReplicationGroupId")
        global_id = params.get("GlobalReplicationGroupId")
        if global_id:
            joined = self.join_global(context, group_id, global_id)
            params = {
                **params, "Engine": joined["Engine"], "EngineVersion": joined["EngineVersion"],
                "CacheNodeType": joined["CacheNodeType"],
            }  # fmt: skip
        primary_id = params.get("PrimaryClusterId")
        existing = self.cluster_row(scope, primary_id) if primary_id else None
        if existing is not None:
            if existing["desc"].get("ReplicationGroupId"):
                raise combination(f"Cluster {primary_id} is already a member of a replication group.")
            if existing["desc"]["Engine"] == "memcached":
                raise combination("Replication groups are not supported for memcached.")
        engine = catalog.check_engine(
            params.get("Engine") or (existing["desc"]["Engine"] if existing else None)
        )
        if engine == "memcached":
            raise invalid("Replication groups are supported for the redis and valkey engines only.")
        version = catalog.resolve_version(
            engine, params.get("EngineVersion") or (existing["desc"]["EngineVersion"] if existing else None)
        )
        node_type = catalog.check_node_type(
            params.get("CacheNodeType") or (existing["desc"]["CacheNodeType"] if existing else None)
        )
        shards = params.get("NumNodeGroups") or len(params.get("NodeGroupConfiguration") or []) or 1
        cluster_mode = params.get("ClusterMode")
        group_param = params.get("CacheParameterGroupName") or ""
        sharded = shards > 1 or cluster_mode == "enabled" or group_param.endswith("cluster.on")
        if sharded:
            return self.create_sharded_group(context, params, group_id, engine, version, node_type, shards)
        replicas = params.get("ReplicasPerNodeGroup")
        count = params.get("NumCacheClusters")
        config = (params.get("NodeGroupConfiguration") or [{}])[0]
        if replicas is None and config.get("ReplicaCount") is not None:
            replicas = config["ReplicaCount"]
        if count is None:
            count = (replicas or 0) + 1
        if not 1 <= count <= 6:
            raise invalid("NumCacheClusters must be between 1 and 6.")
        failover = bool(params.get("AutomaticFailoverEnabled"))
        multi_az = bool(params.get("MultiAZEnabled"))
        if failover and count < 2:
            raise combination(
                "Redis with cluster mode disabled with automatic failover enabled requires at least 2 nodes."
            )
        if multi_az and not failover:
            raise combination("Multi-AZ requires automatic failover to be enabled.")
        token = params.get("AuthToken")
        transit = bool(params.get("TransitEncryptionEnabled"))
        if token:
            check_token(token)
            if not transit:
                raise combination("The AUTH token requires in-transit encryption (TransitEncryptionEnabled).")
        user_groups = params.get("UserGroupIds") or []
        if token and user_groups:
            raise combination("AuthToken and UserGroupIds cannot both be specified.")
        for user_group in user_groups:
            self.user_group_row(scope, user_group)
        snapshot = params.get("SnapshotName")
        if snapshot:
            self.snapshot_row(scope, snapshot)
        imported = self.import_rdb(context, group_id, params.get("SnapshotArns"), engine)
        fam = catalog.family(engine, version)
        group_name = self.parameter_group_for(scope, params.get("CacheParameterGroupName"), fam)
        subnet = self.subnet_group_for(scope, params.get("CacheSubnetGroupName"))
        check_installed(engine)
        member_ids = [f"{group_id}-{n:03d}" for n in range(1, count + 1)]
        if existing is not None:
            member_ids = [existing["desc"]["CacheClusterId"], *member_ids[: count - 1]]
        tags = self.tags_from(params)
        admin_password = existing["admin"] if existing else secrets.token_urlsafe(18)
        with self.store.transaction():
            if self.replication_groups.get(scope, group_id) is not None:
                raise ServiceError(
                    "ReplicationGroupAlreadyExists", f"Replication group {group_id} already exists."
                )
            for member in member_ids[1 if existing else 0 :]:
                if self.clusters.get(scope, member) is not None:
                    raise ServiceError("CacheClusterAlreadyExists", f"Cache cluster {member} already exists.")
            taken: set[int] = set()
            zones = params.get("PreferredCacheClusterAZs") or []
            for index, member in enumerate(member_ids):
                if existing is not None and index == 0:
                    existing["desc"]["ReplicationGroupId"] = group_id
                    existing["role"] = "primary"
                    if token:
                        existing["password"] = token
                    self.clusters.put(scope, member, existing)
                    continue
                member_params = {
                    **params,
                    "PreferredAvailabilityZone": zones[index] if index < len(zones) else None,
                    "AZMode": None,
                }
                desc = self.new_cluster_desc(
                    context, member, member_params, engine, version, node_type, group_name, subnet
                )
                desc.update(
                    ReplicationGroupId=group_id, NumCacheNodes=1, AuthTokenEnabled=bool(token),
                    AtRestEncryptionEnabled=bool(params.get("AtRestEncryptionEnabled")),
                )  # fmt: skip
                self.clusters.put(
                    scope, member,
                    {
                        "desc": desc, "nodes": [self.new_node(scope, member, 1, taken)], "password": token,
                        "admin": admin_password, "tags": dict(tags),
                        "role": "primary" if index == 0 else "replica", "restore": snapshot if index == 0 else None,
                        "restore_file": imported if index == 0 else None,
                        "tls": transit and params.get("TransitEncryptionMode") != "preferred",
                    },
                )  # fmt: skip
            desc = self.group_description(
                context, params, group_id, member_ids, node_type, token, transit, user_groups, engine,
                cluster_mode=False, failover=failover, multi_az=multi_az,
            )  # fmt: skip
            if transit:
                desc["TransitEncryptionMode"] = params.get("TransitEncryptionMode") or "required"
            if params.get("KmsKeyId"):
                desc["KmsKeyId"] = params["KmsKeyId"]
            if token:
                desc["AuthTokenLastModifiedDate"] = time.time()
            if desc["SnapshotRetentionLimit"]:
                desc["SnapshottingClusterId"] = member_ids[-1]
            if global_id:
                desc["GlobalReplicationGroupInfo"] = {
                    "GlobalReplicationGroupId": global_id, "GlobalReplicationGroupMemberRole": "SECONDARY",
                }  # fmt: skip
            self.replication_groups.put(
                scope, group_id,
                {
                    "desc": desc, "members": member_ids, "primary": member_ids[0], "password": token, "tags": tags,
                    "global": global_id,
                },
            )  # fmt: skip
        if global_id:
            self.joined_global(context, group_id, global_id, desc["AutomaticFailover"])
        for user_group in user_groups:
            self.link_user_group(scope, user_group, group_id, True)
        self.background(
            scope, group_id, partial(self._build_group, scope, group_id, existing is not None), "creation",
            partial(self.group_failed, scope, group_id),
        )  # fmt: skip
        return {"ReplicationGroup": self.render_group(scope, self.group_row(scope, group_id))}

    def _build_group(self, scope: str, group_id: str, had_primary: bool) -> None:
        group = self.group_row(scope, group_id)
        for index, member in enumerate(group["members"]):
            if index == 0 and had_primary:
                if group.get("password"):
                    self.admin_call(scope, member, "CONFIG", "SET", "requirepass", group["password"])
                self.set_cluster(scope, member, "available")
                continue
            self.set_cluster(scope, member, "creating")
            self._run_cluster(scope, member, first=True)
        self.wait_replicas(scope, group_id)
        self.set_group(scope, group_id, "available")
        self.record_event(scope, "replication-group", group_id, "Replication group created")
        self.schedule_snapshots(scope, "group", group_id)

    def wait_replicas(self, scope: str, group_id: str, timeout: float = 30.0) -> None:
        """Until every replica has finished its first sync with the primary."""
        group = self.group_row(scope, group_id)
        deadline = time.monotonic() + timeout
        for member in group["members"]:
            if member == group["primary"]:
                continue
            while time.monotonic() < deadline:
                info = self.admin_call(scope, member, "INFO", "replication")
                text = info.decode() if isinstance(info, bytes) else str(info)
                if "master_link_status:up" in text:
                    break
                time.sleep(0.05)

    def group_settled(self, scope: str, group_id: str, first: bool) -> None:
        """A member cluster became available again after work of its own (reboot, restart)."""
        group = self.replication_groups.get(scope, group_id)
        if group is not None and not first and group["desc"]["Status"] not in ("creating", "deleting"):
            self.set_group(scope, group_id, "available")

    def group_failed(self, scope: str, group_id: str, why: str) -> None:
        self.set_group(scope, group_id, "create-failed")
        self.record_event(scope, "replication-group", group_id, why)

    def render_group(self, scope: str, group: dict[str, Any]) -> dict[str, Any]:
        desc = dict(group["desc"])
        desc["MemberClusters"] = list(group["members"])
        if group.get("cluster_mode"):
            return self.render_sharded(scope, group, desc)
        members = []
        primary_port = None
        replica_ports = []
        for member in group["members"]:
            row = self.clusters.get(scope, member)
            if row is None:
                continue
            port = row["nodes"][0]["port"]
            role = "primary" if member == group["primary"] else "replica"
            if role == "primary":
                primary_port = port
            else:
                replica_ports.append(port)
            members.append(
                {
                    "CacheClusterId": member,
                    "CacheNodeId": "0001",
                    "ReadEndpoint": {"Address": "127.0.0.1", "Port": port},
                    "PreferredAvailabilityZone": row["desc"]["PreferredAvailabilityZone"],
                    "CurrentRole": role,
                }
            )
        group_status = "available" if desc["Status"] == "available" else desc["Status"]
        node_group: dict[str, Any] = {
            "NodeGroupId": "0001",
            "Status": group_status,
            "NodeGroupMembers": members,
        }
        if primary_port is not None:
            node_group["PrimaryEndpoint"] = {"Address": "127.0.0.1", "Port": primary_port}
            node_group["ReaderEndpoint"] = {
                "Address": "127.0.0.1", "Port": replica_ports[0] if replica_ports else primary_port,
            }  # fmt: skip
        desc["NodeGroups"] = [node_group]
        return desc

    def describe_replication_groups(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        if params.get("ReplicationGroupId"):
            rows = [self.group_row(scope, params["ReplicationGroupId"])]
        else:
            rows = [row for _, row in self.replication_groups.scan(scope)]
        return self.page("DescribeReplicationGroups", params, [self.render_group(scope, r) for r in rows])

    def modify_replication_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        check_window(params.get("SnapshotWindow"))
        group_id = params["ReplicationGroupId"].lower()
        group = self.group_row(scope, group_id)
        desc = group["desc"]
        if desc["Status"] != "available":
            raise ServiceError(
                "InvalidReplicationGroupState", f"Replication group {group_id} is not in available state."
            )
        failover = params.get("AutomaticFailoverEnabled")
        multi_az = params.get("MultiAZEnabled")
        count = len(group["members"])
        if failover is True and count < 2:
            raise combination("Automatic failover requires at least one replica.")
        if multi_az is True and not (
            failover if failover is not None else desc["AutomaticFailover"] == "enabled"
        ):
            raise combination("Multi-AZ requires automatic failover to be enabled.")
        if failover is False and (multi_az if multi_az is not None else desc["MultiAZ"] == "enabled"):
            raise combination("Automatic failover cannot be disabled while Multi-AZ is enabled.")
        changes: dict[str, Any] = {}
        if params.get("ReplicationGroupDescription") is not None:
            changes["Description"] = params["ReplicationGroupDescription"]
        if failover is not None:
            changes["AutomaticFailover"] = "enabled" if failover else "disabled"
        if multi_az is not None:
            changes["MultiAZ"] = "enabled" if multi_az else "disabled"
        for name in ("SnapshotRetentionLimit", "SnapshotWindow", "AutoMinorVersionUpgrade"):
            if params.get(name) is not None:
                changes[name] = params[name]
        if params.get("CacheNodeType"):
            changes["CacheNodeType"] = catalog.check_node_type(params["CacheNodeType"])
        if params.get("SnapshottingClusterId"):
            if params["SnapshottingClusterId"] not in group["members"]:
                raise invalid(f"Cluster {params['SnapshottingClusterId']} is not a member of {group_id}.")
            changes["SnapshottingClusterId"] = params["SnapshottingClusterId"]
        if params.get("TransitEncryptionEnabled") is not None:
            changes["TransitEncryptionEnabled"] = params["TransitEncryptionEnabled"]
            if params["TransitEncryptionEnabled"]:
                changes["TransitEncryptionMode"] = params.get("TransitEncryptionMode") or "preferred"
        token = params.get("AuthToken")
        strategy = params.get("AuthTokenUpdateStrategy")
        if token:
            check_token(token)
        if (token or strategy) and not (
            params.get("TransitEncryptionEnabled") or desc["TransitEncryptionEnabled"]
        ):
            raise combination("The AUTH token requires in-transit encryption (TransitEncryptionEnabled).")
        adding = params.get("UserGroupIdsToAdd") or []
        removing = params.get("UserGroupIdsToRemove") or []
        for user_group in adding:
            self.user_group_row(scope, user_group)
        for user_group in removing:
            if user_group not in desc.get("UserGroupIds", []):
                raise invalid(f"User group {user_group} is not associated with {group_id}.")
        if (adding or removing) and desc.get("AuthTokenEnabled"):
            raise combination("A replication group with an AUTH token cannot use user groups.")
        if params.get("RemoveUserGroups"):
            removing = list(desc.get("UserGroupIds", []))
        primary = params.get("PrimaryClusterId")
        if primary and primary not in group["members"]:
            raise invalid(f"Cluster {primary} is not a member of {group_id}.")
        group_name = params.get("CacheParameterGroupName")
        if group_name:
            self.parameter_group_row(scope, group_name)
        version = params.get("EngineVersion")
        if version:
            changes["EngineVersion"] = catalog.resolve_version(desc["Engine"], version)
            del changes["EngineVersion"]  # the member clusters carry it
        self.set_group(scope, group_id, **changes)
        self.schedule_snapshots(scope, "group", group_id)
        if version or group_name or params.get("CacheNodeType"):
            for member in group["members"]:
                member_changes: dict[str, Any] = {}
                if version:
                    member_changes["EngineVersion"] = catalog.resolve_version(desc["Engine"], version)
                if params.get("CacheNodeType"):
                    member_changes["CacheNodeType"] = params["CacheNodeType"]
                if group_name:
                    member_changes["CacheParameterGroup"] = {
                        "CacheParameterGroupName": group_name, "ParameterApplyStatus": "in-sync",
                        "CacheNodeIdsToReboot": [],
                    }  # fmt: skip
                self.set_cluster(scope, member, **member_changes)
                if params.get("CacheNodeType"):
                    self.resize(scope, member, params["CacheNodeType"])
        if (
            token
            or strategy == "DELETE"
            or adding
            or removing
            or (primary and primary != group["primary"])
            or group_name
        ):
            self.set_group(scope, group_id, "modifying")
            self.background(
                scope, group_id,
                partial(self._modify_group, scope, group_id, token, strategy, adding, removing, primary, group_name),
                "modification", partial(self.group_failed, scope, group_id),
            )  # fmt: skip
        return {"ReplicationGroup": self.render_group(scope, self.group_row(scope, group_id))}

    def _modify_group(
        self, scope: str, group_id: str, token: str | None, strategy: str | None, adding: list[str],
        removing: list[str], primary: str | None, group_name: str | None,
    ) -> None:  # fmt: skip
        group = self.group_row(scope, group_id)
        if token or strategy == "DELETE":
            new = None if strategy == "DELETE" else token
            for member in group["members"]:
                self.admin_call(scope, member, "CONFIG", "SET", "requirepass", new or "")
                self.set_cluster(scope, member, _password=new, AuthTokenEnabled=bool(new))
            self.set_group(
                scope,
                group_id,
                _password=new,
                AuthTokenEnabled=bool(new),
                AuthTokenLastModifiedDate=time.time(),
            )
        if adding or removing:
            ids = [g for g in group["desc"].get("UserGroupIds", []) if g not in removing] + [
                g for g in adding if g not in group["desc"].get("UserGroupIds", [])
            ]
            self.set_group(scope, group_id, UserGroupIds=ids)
            for user_group in adding:
                self.link_user_group(scope, user_group, group_id, True)
            for user_group in removing:
                self.link_user_group(scope, user_group, group_id, False)
            for member in group["members"]:
                self.apply_users_to_cluster(scope, member)
        if group_name:
            for member in group["members"]:
                self.apply_parameters_to_cluster(scope, member)
        if primary and primary != group["primary"]:
            self.promote(scope, group_id, primary)
        self.set_group(scope, group_id, "available")
        self.record_event(scope, "replication-group", group_id, "Replication group modified")

    def promote(self, scope: str, group_id: str, new_primary: str, down: str | None = None) -> None:
        """Make `new_primary` the group's primary: REPLICAOF NO ONE on it, the others follow it
        (all but `down`, a member whose engine is stopped: it follows when it starts again)."""
        group = self.group_row(scope, group_id)
        old = group["primary"]
        new_row = self.cluster_row(scope, new_primary)
        port = new_row["nodes"][0]["port"]
        self.admin_call(scope, new_primary, "REPLICAOF", "NO", "ONE")
        with self.store.transaction():
            current = self.group_row(scope, group_id)
            current["primary"] = new_primary
            self.replication_groups.put(scope, group_id, current)
            for member in current["members"]:
                row = self.clusters.get(scope, member)
                if row is not None:
                    row["role"] = "primary" if member == new_primary else "replica"
                    self.clusters.put(scope, member, row)
        for member in group["members"]:
            if member in (new_primary, down):
                continue
            try:
                self.admin_call(scope, member, "REPLICAOF", "127.0.0.1", str(port))
            except RespError as error:
                self.record_event(
                    scope, "cache-cluster", member, f"Could not follow the new primary: {error}"
                )
        self.refresh_launches(scope, group_id)
        if down is not None:
            # The failed primary comes back as a replica of the new one.
            down_row = self.cluster_row(scope, down)
            self.start_node(scope, down, down_row["nodes"][0])
        self.wait_replicas(scope, group_id)
        self.record_event(
            scope, "replication-group", group_id, f"Failover from {old} to {new_primary} completed"
        )

    def refresh_launches(self, scope: str, group_id: str) -> None:
        """Each running member's command line as its role now is, so that the supervisor
        restarts a crashed member as primary or as a replica of the current primary."""
        group = self.group_row(scope, group_id)
        for member in group["members"]:
            row = self.clusters.get(scope, member)
            if row is None:
                continue
            node = row["nodes"][0]
            if self.supervisor.running(node["key"]):
                self.supervisor.start(node["key"], launch(self.supervisor, self.node_of(row, node, scope)))

    def node_crashed(self, scope: str, cluster_id: str, key: str) -> None:
        """A member's engine exited unexpectedly (the supervisor restarts it). Where it was a
        group's primary and automatic failover is enabled, a replica takes over, as on AWS."""
        row = self.clusters.get(scope, cluster_id)
        group_id = (row or {}).get("desc", {}).get("ReplicationGroupId")
        if row is None or not group_id:
            return
        group = self.replication_groups.get(scope, group_id)
        if group is not None and group.get("cluster_mode"):
            return  # Redis Cluster's own failover promotes a replica of the shard
        if (
            group is None
            or group["primary"] != cluster_id
            or group["desc"]["AutomaticFailover"] != "enabled"
            or group["desc"]["Status"] != "available"
        ):
            return
        replicas = [m for m in group["members"] if m != cluster_id]
        if not replicas:
            return
        self.set_group(scope, group_id, "modifying")

        def failover() -> None:
            self.supervisor.stop(key)
            self.promote(scope, group_id, replicas[0], down=cluster_id)
            self.set_group(scope, group_id, "available")

        self.background(
            scope, group_id, failover, "automatic failover", partial(self.group_failed, scope, group_id)
        )

    def test_failover(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        group_id = params["ReplicationGroupId"].lower()
        group = self.group_row(scope, group_id)
        if group.get("cluster_mode"):
            if group["desc"]["Status"] != "available":
                raise ServiceError(
                    "InvalidReplicationGroupState", f"Replication group {group_id} is not in available state."
                )
            self.sharded_test_failover(scope, group, params["NodeGroupId"])
            return {"ReplicationGroup": self.render_group(scope, self.group_row(scope, group_id))}
        if params["NodeGroupId"] != "0001":
            raise ServiceError(
                "NodeGroupNotFoundFault", f"The node group {params['NodeGroupId']} was not found.", 404
            )
        if group["desc"]["AutomaticFailover"] != "enabled":
            raise combination(f"Automatic failover is not enabled for replication group {group_id}.")
        if group["desc"]["Status"] != "available":
            raise ServiceError(
                "InvalidReplicationGroupState", f"Replication group {group_id} is not in available state."
            )
        replicas = [m for m in group["members"] if m != group["primary"]]
        if not replicas:
            raise combination(f"Replication group {group_id} has no replica to fail over to.")
        self.set_group(scope, group_id, "modifying")
        self.record_event(
            scope, "replication-group", group_id, "Test Failover API called for node group 0001"
        )

        def failover() -> None:
            self.promote(scope, group_id, replicas[0])
            self.set_group(scope, group_id, "available")

        self.background(scope, group_id, failover, "failover", partial(self.group_failed, scope, group_id))
        return {"ReplicationGroup": self.render_group(scope, self.group_row(scope, group_id))}

    def add_member(
        self, context: RequestContext, group: dict[str, Any], cluster_id: str, params: dict[str, Any]
    ) -> dict:
        scope = self.scope_of(context)
        group_id = group["desc"]["ReplicationGroupId"]
        self._add_replicas(context, scope, group_id, [cluster_id], params.get("PreferredAvailabilityZone"))
        return {"CacheCluster": self.render_cluster(scope, self.cluster_row(scope, cluster_id), True)}

    def _add_replicas(
        self,
        context: RequestContext,
        scope: str,
        group_id: str,
        member_ids: list[str],
        zone: str | None = None,
    ) -> None:
        group = self.group_row(scope, group_id)
        if group["desc"]["Status"] != "available":
            raise ServiceError(
                "InvalidReplicationGroupState", f"Replication group {group_id} is not in available state."
            )
        if len(group["members"]) + len(member_ids) > 6:
            raise ServiceError(
                "NodeQuotaForClusterExceeded", "A replication group can have at most 5 replicas."
            )
        primary = self.cluster_row(scope, group["primary"])
        with self.store.transaction():
            taken: set[int] = set()
            for member in member_ids:
                if self.clusters.get(scope, member) is not None:
                    raise ServiceError("CacheClusterAlreadyExists", f"Cache cluster {member} already exists.")
                desc = dict(primary["desc"])
                desc.update(
                    CacheClusterId=member, CacheClusterStatus="creating", CacheClusterCreateTime=time.time(),
                    ARN=self.arn(context, "cluster", member),
                    PreferredAvailabilityZone=zone or desc["PreferredAvailabilityZone"],
                )  # fmt: skip
                self.clusters.put(
                    scope, member,
                    {
                        "desc": desc, "nodes": [self.new_node(scope, member, 1, taken)],
                        "password": primary.get("password"), "admin": primary["admin"], "tags": {}, "role": "replica",
                        "tls": primary.get("tls", False),
                    },
                )  # fmt: skip
            current = self.group_row(scope, group_id)
            current["members"] += member_ids
            current["desc"]["Status"] = "modifying"
            self.replication_groups.put(scope, group_id, current)

        def build() -> None:
            for member in member_ids:
                self._run_cluster(scope, member, first=True)
            self.wait_replicas(scope, group_id)
            self.set_group(scope, group_id, "available")

        self.background(
            scope, group_id, build, "replica creation", partial(self.group_failed, scope, group_id)
        )

    def increase_replica_count(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        group_id = params["ReplicationGroupId"].lower()
        group = self.group_row(scope, group_id)
        if group.get("cluster_mode"):
            raise combination(
                "Changing the replica count of a cluster mode enabled group is not supported here."
            )
        wanted = params.get("NewReplicaCount")
        if wanted is None:
            configs = params.get("ReplicaConfiguration") or []
            wanted = configs[0]["NewReplicaCount"] if configs else None
        if wanted is None:
            raise invalid("Either NewReplicaCount or ReplicaConfiguration must be provided.")
        current = len(group["members"]) - 1
        if wanted <= current:
            raise invalid(
                f"The new replica count ({wanted}) must be greater than the current count ({current})."
            )
        names: list[str] = []
        number = 1
        while len(names) < wanted - current:
            name = f"{group_id}-{number:03d}"
            if name not in group["members"] and self.clusters.get(scope, name) is None:
                names.append(name)
            number += 1
        self._add_replicas(context, scope, group_id, names)
        return {"ReplicationGroup": self.render_group(scope, self.group_row(scope, group_id))}

    def decrease_replica_count(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        group_id = params["ReplicationGroupId"].lower()
        group = self.group_row(scope, group_id)
        if group.get("cluster_mode"):
            raise combination(
                "Changing the replica count of a cluster mode enabled group is not supported here."
            )
        if group["desc"]["Status"] != "available":
            raise ServiceError(
                "InvalidReplicationGroupState", f"Replication group {group_id} is not in available state."
            )
        replicas = [m for m in group["members"] if m != group["primary"]]
        remove = list(params.get("ReplicasToRemove") or [])
        wanted = params.get("NewReplicaCount")
        if wanted is None:
            configs = params.get("ReplicaConfiguration") or []
            wanted = configs[0]["NewReplicaCount"] if configs else None
        if remove:
            for member in remove:
                if member not in replicas:
                    raise invalid(f"Cluster {member} is not a replica of {group_id}.")
        elif wanted is not None:
            if wanted >= len(replicas):
                raise invalid(
                    f"The new replica count ({wanted}) must be less than the current count ({len(replicas)})."
                )
            remove = replicas[wanted:]
        else:
            raise invalid(
                "Either NewReplicaCount, ReplicaConfiguration or ReplicasToRemove must be provided."
            )
        left = len(replicas) - len(remove)
        if left < 1 and group["desc"]["AutomaticFailover"] == "enabled":
            raise combination(
                "A replication group with automatic failover enabled needs at least one replica."
            )
        self.set_group(scope, group_id, "modifying")
        for member in remove:
            self.set_cluster(scope, member, "deleting")

        def shrink() -> None:
            for member in remove:
                self._delete_cluster(scope, member, None)
            self.set_group(scope, group_id, "available")

        self.background(
            scope, group_id, shrink, "replica removal", partial(self.group_failed, scope, group_id)
        )
        return {"ReplicationGroup": self.render_group(scope, self.group_row(scope, group_id))}

    def delete_replication_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        group_id = params["ReplicationGroupId"].lower()
        group = self.group_row(scope, group_id)
        if group["desc"]["Status"] in ("creating", "deleting", "modifying", "snapshotting"):
            raise ServiceError(
                "InvalidReplicationGroupState", f"Replication group {group_id} is not in available state."
            )
        final = params.get("FinalSnapshotIdentifier")
        if final and self.snapshots.get(scope, final) is not None:
            raise ServiceError("SnapshotAlreadyExistsFault", f"Snapshot {final} already exists.")
        retain = bool(params.get("RetainPrimaryCluster"))
        self.set_group(scope, group_id, "deleting")

        def delete() -> None:
            current = self.group_row(scope, group_id)
            if final:
                self.take_snapshot(scope, final, None, group_id, "manual", {})
            for member in list(current["members"]):
                if retain and member == current["primary"]:
                    continue
                self.set_cluster(scope, member, "deleting")
                self._delete_cluster(scope, member, None)
            if retain:
                primary = current["primary"]
                self.set_cluster(scope, primary, ReplicationGroupId=None, _role=None)
                with self.store.transaction():
                    row = self.clusters.get(scope, primary)
                    if row is not None:
                        row["desc"].pop("ReplicationGroupId", None)
                        self.clusters.put(scope, primary, row)
            for user_group in current["desc"].get("UserGroupIds", []):
                self.link_user_group(scope, user_group, group_id, False)
            with self.store.transaction():
                self.replication_groups.delete(scope, group_id)
            self.record_event(scope, "replication-group", group_id, "Replication group deleted")

        self.background(scope, group_id, delete, "deletion", partial(self.group_failed, scope, group_id))
        return {"ReplicationGroup": self.render_group(scope, self.group_row(scope, group_id))}

    def modify_replication_group_shard_configuration(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        if self.group_row(scope, params["ReplicationGroupId"].lower()).get("cluster_mode"):
            return self.reshard(context, params)
        raise combination(
            "Resharding needs cluster mode enabled, which this replication group does not have."
        )

    # -- snapshots ----------------------------------------------------------------------------------

    def snapshot_row(self, scope: str, name: str) -> dict[str, Any]:
        row = self.snapshots.get(scope, name)
        if row is None:
            raise ServiceError("SnapshotNotFoundFault", f"Snapshot {name} not found.", 404)
        return row

    def create_snapshot(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["SnapshotName"]
        cluster_id = (params.get("CacheClusterId") or "").lower() or None
        group_id = (params.get("ReplicationGroupId") or "").lower() or None
        if cluster_id and group_id:
            raise combination("Only one of CacheClusterId and ReplicationGroupId may be provided.")
        if not cluster_id and not group_id:
            raise invalid(
                "The input parameters must contain either a CacheClusterId or a ReplicationGroupId."
            )
        if cluster_id:
            row = self.cluster_row(scope, cluster_id)
            if row["desc"]["Engine"] == "memcached":
                raise combination("Snapshots are not supported for memcached.")
            if row["desc"]["CacheClusterStatus"] != "available":
                raise ServiceError(
                    "InvalidCacheClusterState", f"Cache cluster {cluster_id} is not in available state."
                )
        else:
            group = self.group_row(scope, group_id or "")
            if group.get("cluster_mode"):
                raise combination(
                    "Snapshots of replication groups with cluster mode enabled are not supported here."
                )
            if group["desc"]["Status"] != "available":
                raise ServiceError(
                    "InvalidReplicationGroupState", f"Replication group {group_id} is not in available state."
                )
        if self.snapshots.get(scope, name) is not None:
            raise ServiceError("SnapshotAlreadyExistsFault", f"Snapshot {name} already exists.")
        desc = self.snapshot_desc(scope, name, cluster_id, group_id, "manual", self.tags_from(params))
        self.background(
            scope, f"snapshot/{name}", partial(self._save_snapshot, scope, name), "snapshot",
            partial(self.snapshot_failed, scope, name),
        )  # fmt: skip
        return {"Snapshot": desc}

    def take_snapshot(
        self,
        scope: str,
        name: str,
        cluster_id: str | None,
        group_id: str | None,
        source: str,
        tags: dict[str, str],
    ) -> None:
        """A snapshot made now, in the caller's background work."""
        self.snapshot_desc(scope, name, cluster_id, group_id, source, tags)
        self._save_snapshot(scope, name)

    def snapshot_desc(
        self,
        scope: str,
        name: str,
        cluster_id: str | None,
        group_id: str | None,
        source: str,
        tags: dict[str, str],
    ) -> dict[str, Any]:
        group = self.group_row(scope, group_id) if group_id else None
        source_cluster = group["primary"] if group is not None else cluster_id
        row = self.cluster_row(scope, source_cluster or "")
        cdesc = row["desc"]
        desc: dict[str, Any] = {
            "SnapshotName": name,
            "SnapshotStatus": "creating",
            "SnapshotSource": source,
            "CacheNodeType": cdesc["CacheNodeType"],
            "Engine": cdesc["Engine"],
            "EngineVersion": cdesc["EngineVersion"],
            "NumCacheNodes": 1,
            "PreferredAvailabilityZone": cdesc["PreferredAvailabilityZone"],
            "CacheClusterCreateTime": cdesc["CacheClusterCreateTime"],
            "PreferredMaintenanceWindow": cdesc["PreferredMaintenanceWindow"],
            "Port": row["nodes"][0]["port"],
            "CacheParameterGroupName": cdesc["CacheParameterGroup"]["CacheParameterGroupName"],
            "AutoMinorVersionUpgrade": cdesc.get("AutoMinorVersionUpgrade", True),
            "SnapshotRetentionLimit": cdesc.get("SnapshotRetentionLimit", 0),
            "SnapshotWindow": cdesc.get("SnapshotWindow", "05:00-06:00"),
            "NodeSnapshots": [],
            "ARN": self.arn(scope, "snapshot", name),
            "DataTiering": "disabled",
        }
        if cdesc.get("CacheSubnetGroupName"):
            desc["CacheSubnetGroupName"] = cdesc["CacheSubnetGroupName"]
        if group is not None:
            desc.update(
                ReplicationGroupId=group_id, ReplicationGroupDescription=group["desc"]["Description"],
                NumNodeGroups=1, AutomaticFailover=group["desc"]["AutomaticFailover"],
            )  # fmt: skip
            desc.pop("NumCacheNodes")
        else:
            desc["CacheClusterId"] = cluster_id
        with self.store.transaction():
            if self.snapshots.get(scope, name) is not None:
                raise ServiceError("SnapshotAlreadyExistsFault", f"Snapshot {name} already exists.")
            self.snapshots.put(scope, name, {"desc": desc, "tags": tags, "source": source_cluster})
        return desc

    def _save_snapshot(self, scope: str, name: str) -> None:
        row = self.snapshot_row(scope, name)
        cluster_id = row["source"]
        cluster = self.cluster_row(scope, cluster_id)
        group_id = row["desc"].get("ReplicationGroupId")
        previous = cluster["desc"]["CacheClusterStatus"]
        self.set_cluster(scope, cluster_id, "snapshotting")
        if group_id:
            self.set_group(scope, group_id, "snapshotting")
        try:
            self.admin_call(scope, cluster_id, "SAVE")
            source = self.supervisor.root / cluster["nodes"][0]["key"] / "dump.rdb"
            target = self.supervisor.store_copy(
                cluster["nodes"][0]["key"], f"snapshot-{scope.replace('/', '-')}-{name}.rdb"
            )
            shutil.copyfile(source, target)
            size = target.stat().st_size
        finally:
            if previous in RUNNING:
                self.set_cluster(scope, cluster_id, "available" if previous == "snapshotting" else previous)
            if group_id:
                self.set_group(scope, group_id, "available")
        with self.store.transaction():
            current = self.snapshots.get(scope, name)
            if current is None:
                return
            current["file"] = str(target)
            current["desc"]["SnapshotStatus"] = "available"
            current["desc"]["NodeSnapshots"] = [
                {
                    "CacheClusterId": cluster_id,
                    "NodeGroupId": "0001",
                    "CacheNodeId": "0001",
                    "CacheSize": f"{max(size / 1048576, 0.001):.3f} MB",
                    "CacheNodeCreateTime": cluster["nodes"][0]["created"],
                    "SnapshotCreateTime": time.time(),
                }
            ]
            self.snapshots.put(scope, name, current)

    def snapshot_failed(self, scope: str, name: str, why: str) -> None:
        with self.store.transaction():
            row = self.snapshots.get(scope, name)
            if row is not None:
                row["desc"]["SnapshotStatus"] = "failed"
                self.snapshots.put(scope, name, row)

    def restore_into(self, scope: str, snapshot: str, key: str) -> None:
        row = self.snapshot_row(scope, snapshot)
        if not row.get("file"):
            raise RuntimeError(f"snapshot {snapshot} has no data")
        self.restore_file_into(row["file"], key)

    def restore_file_into(self, path: str, key: str) -> None:
        home = self.supervisor.home(key)
        target = home / "dump.rdb"
        shutil.copyfile(path, target)
        self.supervisor.own(target)

    def import_rdb(
        self, context: RequestContext, name: str, arns: list[str] | None, engine: str
    ) -> str | None:
        """An RDB file in S3 (SnapshotArns: arn:aws:s3:::bucket/key) to seed a new cluster: read
        now, kept beside the snapshots until the cluster's node starts with it."""
        if not arns:
            return None
        if engine == "memcached":
            raise combination("Snapshot restore is not supported for memcached.")
        if len(arns) != 1:
            raise invalid("Exactly one RDB file can seed a cluster with cluster mode disabled.")
        arn = arns[0]
        bucket, _, key = arn.split(":::", 1)[-1].partition("/") if arn.startswith("arn:") else ("", "", "")
        if not bucket or not key:
            raise invalid(f"Invalid S3 ARN for the RDB file: {arn}")
        try:
            data = self.runtime.provider("s3").read_object(context.account, context.region, bucket, key)
        except ServiceError as error:
            raise invalid(f"The RDB file {arn} cannot be read: {error.message}") from None
        if not data.startswith(b"REDIS"):
            raise invalid(f"The file {arn} is not an RDB file.")
        target = self.supervisor.store_copy(
            "", f"import-{self.scope_of(context).replace('/', '-')}-{name}.rdb"
        )
        target.write_bytes(data)
        return str(target)

    async def _export_rdb(self, context: RequestContext, path: str, bucket: str, key: str) -> None:
        from pathlib import Path

        await self.runtime.provider("s3").write_object(
            context.account, context.region, bucket, key, Path(path).read_bytes(), "application/octet-stream"
        )

    def describe_snapshots(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        if params.get("CacheClusterId") and params.get("ReplicationGroupId"):
            raise combination("Only one of CacheClusterId and ReplicationGroupId may be provided.")
        if params.get("SnapshotName"):
            rows = [self.snapshot_row(scope, params["SnapshotName"])]
        else:
            rows = [row for _, row in self.snapshots.scan(scope)]
        if params.get("CacheClusterId"):
            cluster_id = params["CacheClusterId"].lower()
            rows = [
                r
                for r in rows
                if r["desc"].get("CacheClusterId") == cluster_id or r.get("source") == cluster_id
            ]
            if not rows:
                self.cluster_row(scope, cluster_id)
        if params.get("ReplicationGroupId"):
            self.group_row(scope, params["ReplicationGroupId"])
            rows = [
                r for r in rows if r["desc"].get("ReplicationGroupId") == params["ReplicationGroupId"].lower()
            ]
        if params.get("SnapshotSource"):
            rows = [r for r in rows if r["desc"]["SnapshotSource"] == params["SnapshotSource"]]
        return self.page("DescribeSnapshots", params, [r["desc"] for r in rows])

    def delete_snapshot(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["SnapshotName"]
        row = self.snapshot_row(scope, name)
        if row["desc"]["SnapshotStatus"] != "available":
            raise ServiceError("InvalidSnapshotState", f"Snapshot {name} is not in available state.")
        with self.store.transaction():
            self.snapshots.delete(scope, name)
        if row.get("file"):
            from pathlib import Path

            Path(row["file"]).unlink(missing_ok=True)
        return {"Snapshot": dict(row["desc"], SnapshotStatus="deleting")}

    async def copy_snapshot(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        source = self.snapshot_row(scope, params["SourceSnapshotName"])
        name = params["TargetSnapshotName"]
        if source["desc"]["SnapshotStatus"] != "available":
            raise ServiceError(
                "InvalidSnapshotState", f"Snapshot {params['SourceSnapshotName']} is not in available state."
            )
        if params.get("TargetBucket"):
            # An export: the RDB file written to the bucket as <name>-0001.rdb; no new snapshot.
            try:
                await self._export_rdb(context, source["file"], params["TargetBucket"], f"{name}-0001.rdb")
            except ServiceError as error:
                raise invalid(
                    f"The snapshot cannot be exported to {params['TargetBucket']}: {error.message}"
                ) from None
            return {"Snapshot": dict(source["desc"], SnapshotName=name, SnapshotStatus="exporting")}
        with self.store.transaction():
            if self.snapshots.get(scope, name) is not None:
                raise ServiceError("SnapshotAlreadyExistsFault", f"Snapshot {name} already exists.")
            target = self.supervisor.store_copy("", f"snapshot-{scope.replace('/', '-')}-{name}.rdb")
            shutil.copyfile(source["file"], target)
            desc = dict(
                source["desc"],
                SnapshotName=name,
                SnapshotSource="manual",
                ARN=self.arn(context, "snapshot", name),
            )
            self.snapshots.put(
                scope, name, {**source, "desc": desc, "file": str(target), "tags": self.tags_from(params)}
            )
        return {"Snapshot": desc}

    # -- serverless caches --------------------------------------------------------------------------

    def serverless_row(self, scope: str, name: str) -> dict[str, Any]:
        row = self.serverless.get(scope, name)
        if row is None:
            raise ServiceError("ServerlessCacheNotFoundFault", f"Serverless cache {name} not found.", 404)
        return row

    def create_serverless_cache(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = check_id(params["ServerlessCacheName"], "ServerlessCacheName")
        engine = catalog.check_engine(params["Engine"])
        major = params.get("MajorEngineVersion") or {"redis": "7", "valkey": "8", "memcached": "1.6"}[engine]
        version = catalog.resolve_version(engine, major if "." in major else f"{major}.x")
        user_group = params.get("UserGroupId")
        if user_group:
            if engine == "memcached":
                raise combination("User groups are not supported for memcached.")
            self.user_group_row(scope, user_group)
        snapshot = (params.get("SnapshotArnsToRestore") or [None])[0]
        if snapshot:
            snapshot = snapshot.rsplit(":", 1)[-1]
            if self.serverless_snapshots.get(scope, snapshot) is None:
                raise ServiceError(
                    "ServerlessCacheSnapshotNotFoundFault",
                    f"Serverless cache snapshot {snapshot} not found.",
                    404,
                )
        check_installed(engine)
        limits = params.get("CacheUsageLimits") or {}
        with self.store.transaction():
            if self.serverless.get(scope, name) is not None:
                raise ServiceError(
                    "ServerlessCacheAlreadyExistsFault", f"Serverless cache {name} already exists."
                )
            port = free_port(self.ports_in_use())
            desc: dict[str, Any] = {
                "ServerlessCacheName": name,
                "Description": params.get("Description") or "",
                "CreateTime": time.time(),
                "Status": "creating",
                "Engine": engine,
                "MajorEngineVersion": major.split(".")[0] if engine != "memcached" else "1.6",
                "FullEngineVersion": version,
                "SecurityGroupIds": params.get("SecurityGroupIds") or [],
                "Endpoint": {"Address": "127.0.0.1", "Port": port},
                "ReaderEndpoint": {"Address": "127.0.0.1", "Port": port},
                "ARN": self.arn(context, "serverlesscache", name),
                "SubnetIds": params.get("SubnetIds") or [],
                "SnapshotRetentionLimit": params.get("SnapshotRetentionLimit") or 0,
                "DailySnapshotTime": params.get("DailySnapshotTime") or "04:00",
            }
            if limits:
                desc["CacheUsageLimits"] = limits
            if params.get("KmsKeyId"):
                desc["KmsKeyId"] = params["KmsKeyId"]
            if user_group:
                desc["UserGroupId"] = user_group
            memory = 256
            if (limits.get("DataStorage") or {}).get("Maximum"):
                unit = limits["DataStorage"].get("Unit", "GB")
                memory = int(min(256, limits["DataStorage"]["Maximum"] * (1024 if unit == "GB" else 1)))
            key = f"{scope.replace('/', '-')}-serverless-{name}"
            self.serverless.put(
                scope, name,
                {"desc": desc, "node": {"key": key, "port": port, "memory": memory}, "admin": secrets.token_urlsafe(18),
                 "tags": self.tags_from(params), "restore": snapshot},
            )  # fmt: skip
        if user_group:
            self.link_user_group(scope, user_group, name, True, serverless=True)
        self.background(
            scope, f"serverless/{name}", partial(self._run_serverless, scope, name, True), "creation",
            partial(self.serverless_failed, scope, name),
        )  # fmt: skip
        return {"ServerlessCache": desc}

    def serverless_node(self, scope: str, row: dict[str, Any]) -> Node:
        desc = row["desc"]
        migration = row.get("migrating") or {}
        return Node(
            replica_of=(migration["Address"], migration["Port"]) if migration.get("state") == "syncing" else None,
            key=row["node"]["key"], port=row["node"]["port"], engine=desc["Engine"], admin_password=row["admin"],
            memory_mb=row["node"].get("memory", 256),
        )  # fmt: skip

    def _run_serverless(self, scope: str, name: str, first: bool = False) -> None:
        if self.closing:
            raise RuntimeError("Overcast is stopping")
        row = self.serverless_row(scope, name)
        key = row["node"]["key"]
        self.owner_of_key[key] = (scope, "serverless-cache", name)
        self.supervisor.home(key)
        if first and row.get("restore"):
            snap = self.serverless_snapshots.get(scope, row["restore"])
            if snap is not None and snap.get("file"):
                shutil.copyfile(snap["file"], self.supervisor.root / key / "dump.rdb")
                self.supervisor.own(self.supervisor.root / key / "dump.rdb")
        failed: list[str] = []
        self.supervisor.start(
            key, launch(self.supervisor, self.serverless_node(scope, row)), on_failed=failed.append
        )
        if not self.supervisor.wait_ready(key) or failed:
            raise RuntimeError(failed[0] if failed else "the engine did not become ready")
        if row["desc"].get("UserGroupId"):
            self.apply_users(scope, row["desc"]["UserGroupId"], row["node"]["port"], row["admin"])
        with self.store.transaction():
            current = self.serverless.get(scope, name)
            if current is not None:
                current["desc"]["Status"] = "available"
                current.pop("restore", None)
                self.serverless.put(scope, name, current)
        if first:
            self.record_event(scope, "serverless-cache", name, "Serverless cache created")

    def serverless_failed(self, scope: str, name: str, why: str) -> None:
        with self.store.transaction():
            row = self.serverless.get(scope, name)
            if row is not None:
                row["desc"]["Status"] = "create-failed"
                self.serverless.put(scope, name, row)
        self.record_event(scope, "serverless-cache", name, why)

    def describe_serverless_caches(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        if params.get("ServerlessCacheName"):
            rows = [self.serverless_row(scope, params["ServerlessCacheName"])]
        else:
            rows = [row for _, row in self.serverless.scan(scope)]
        limit = params.get("MaxResults")
        if limit is not None and not 1 <= limit <= 100:
            raise invalid("MaxResults must be between 1 and 100.")
        return pagination.paginate_list(
            self.store, "elasticache", "DescribeServerlessCaches", params, [r["desc"] for r in rows],
            bad_token=lambda: invalid("Invalid NextToken"), default_limit=100,
        )  # fmt: skip

    def modify_serverless_cache(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["ServerlessCacheName"].lower()
        row = self.serverless_row(scope, name)
        if row["desc"]["Status"] != "available":
            raise ServiceError(
                "InvalidServerlessCacheStateFault", f"Serverless cache {name} is not in available state."
            )
        changes: dict[str, Any] = {}
        for field in (
            "Description",
            "CacheUsageLimits",
            "SnapshotRetentionLimit",
            "DailySnapshotTime",
            "SecurityGroupIds",
        ):
            if params.get(field) is not None:
                changes[field] = params[field]
        new_group = params.get("UserGroupId")
        if new_group:
            self.user_group_row(scope, new_group)
        if params.get("RemoveUserGroup") and new_group:
            raise combination("UserGroupId and RemoveUserGroup cannot both be specified.")
        with self.store.transaction():
            row = self.serverless_row(scope, name)
            old_group = row["desc"].get("UserGroupId")
            row["desc"].update(changes)
            if new_group:
                row["desc"]["UserGroupId"] = new_group
            if params.get("RemoveUserGroup"):
                row["desc"].pop("UserGroupId", None)
            self.serverless.put(scope, name, row)
        if new_group or params.get("RemoveUserGroup"):
            if old_group:
                self.link_user_group(scope, old_group, name, False, serverless=True)
            if new_group:
                self.link_user_group(scope, new_group, name, True, serverless=True)
            self.apply_users(scope, new_group, row["node"]["port"], row["admin"])
        return {"ServerlessCache": self.serverless_row(scope, name)["desc"]}

    def delete_serverless_cache(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["ServerlessCacheName"].lower()
        row = self.serverless_row(scope, name)
        if row["desc"]["Status"] not in ("available", "create-failed"):
            raise ServiceError(
                "InvalidServerlessCacheStateFault", f"Serverless cache {name} is not in available state."
            )
        final = params.get("FinalSnapshotName")
        if final and self.serverless_snapshots.get(scope, final) is not None:
            raise ServiceError(
                "ServerlessCacheSnapshotAlreadyExistsFault", f"Snapshot {final} already exists."
            )
        with self.store.transaction():
            row["desc"]["Status"] = "deleting"
            self.serverless.put(scope, name, row)
        self.background(
            scope, f"serverless/{name}", partial(self._delete_serverless, scope, name, final), "deletion",
            partial(self.serverless_failed, scope, name),
        )  # fmt: skip
        return {"ServerlessCache": row["desc"]}

    def _delete_serverless(self, scope: str, name: str, final: str | None) -> None:
        row = self.serverless_row(scope, name)
        if final:
            self.serverless_snapshot_desc(scope, name, final, "manual", {})
            self._save_serverless_snapshot(scope, final)
        self.supervisor.stop(row["node"]["key"])
        self.supervisor.remove_home(row["node"]["key"])
        if row["desc"].get("UserGroupId"):
            self.link_user_group(scope, row["desc"]["UserGroupId"], name, False, serverless=True)
        with self.store.transaction():
            self.serverless.delete(scope, name)
        self.record_event(scope, "serverless-cache", name, "Serverless cache deleted")

    def serverless_snapshot_desc(
        self, scope: str, cache: str, name: str, source: str, tags: dict[str, str], kms: str | None = None
    ) -> dict[str, Any]:
        row = self.serverless_row(scope, cache)
        desc = {
            "ServerlessCacheSnapshotName": name,
            "ARN": self.arn(scope, "serverlesscachesnapshot", name),
            "SnapshotType": source,
            "Status": "creating",
            "CreateTime": time.time(),
            "ServerlessCacheConfiguration": {
                "ServerlessCacheName": cache,
                "Engine": row["desc"]["Engine"],
                "MajorEngineVersion": row["desc"]["MajorEngineVersion"],
            },
        }
        if kms:
            desc["KmsKeyId"] = kms
        with self.store.transaction():
            self.serverless_snapshots.put(scope, name, {"desc": desc, "tags": tags, "cache": cache})
        return desc

    def _save_serverless_snapshot(self, scope: str, name: str) -> None:
        snap = self.serverless_snapshots.get(scope, name)
        if snap is None:
            return
        row = self.serverless_row(scope, snap["cache"])
        with admin(row["node"]["port"], row["admin"]) as conn:
            conn.call("SAVE")
        target = self.supervisor.store_copy("", f"serverless-{scope.replace('/', '-')}-{name}.rdb")
        shutil.copyfile(self.supervisor.root / row["node"]["key"] / "dump.rdb", target)
        with self.store.transaction():
            current = self.serverless_snapshots.get(scope, name)
            if current is not None:
                current["file"] = str(target)
                current["desc"]["Status"] = "available"
                current["desc"]["BytesUsedForCache"] = str(target.stat().st_size)
                self.serverless_snapshots.put(scope, name, current)

    def create_serverless_cache_snapshot(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        cache = params["ServerlessCacheName"].lower()
        row = self.serverless_row(scope, cache)
        name = params["ServerlessCacheSnapshotName"]
        if row["desc"]["Engine"] == "memcached":
            raise combination("Snapshots are not supported for memcached.")
        if row["desc"]["Status"] != "available":
            raise ServiceError(
                "InvalidServerlessCacheStateFault", f"Serverless cache {cache} is not in available state."
            )
        if self.serverless_snapshots.get(scope, name) is not None:
            raise ServiceError(
                "ServerlessCacheSnapshotAlreadyExistsFault", f"Snapshot {name} already exists."
            )
        desc = self.serverless_snapshot_desc(
            scope, cache, name, "manual", self.tags_from(params), params.get("KmsKeyId")
        )
        self.background(
            scope, f"serverless/{cache}", partial(self._save_serverless_snapshot, scope, name), "snapshot",
            lambda why: self._serverless_snapshot_failed(scope, name),
        )  # fmt: skip
        return {"ServerlessCacheSnapshot": desc}

    def _serverless_snapshot_failed(self, scope: str, name: str) -> None:
        with self.store.transaction():
            row = self.serverless_snapshots.get(scope, name)
            if row is not None:
                row["desc"]["Status"] = "failed"
                self.serverless_snapshots.put(scope, name, row)

    def describe_serverless_cache_snapshots(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        rows = [row for _, row in self.serverless_snapshots.scan(scope)]
        if params.get("ServerlessCacheSnapshotName"):
            rows = [
                r
                for r in rows
                if r["desc"]["ServerlessCacheSnapshotName"] == params["ServerlessCacheSnapshotName"]
            ]
            if not rows:
                raise ServiceError(
                    "ServerlessCacheSnapshotNotFoundFault",
                    f"Serverless cache snapshot {params['ServerlessCacheSnapshotName']} not found.", 404,
                )  # fmt: skip
        if params.get("ServerlessCacheName"):
            rows = [r for r in rows if r["cache"] == params["ServerlessCacheName"].lower()]
        if params.get("SnapshotType"):
            rows = [r for r in rows if r["desc"]["SnapshotType"] == params["SnapshotType"]]
        return pagination.paginate_list(
            self.store, "elasticache", "DescribeServerlessCacheSnapshots", params, [r["desc"] for r in rows],
            bad_token=lambda: invalid("Invalid NextToken"), default_limit=50,
        )  # fmt: skip

    def delete_serverless_cache_snapshot(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["ServerlessCacheSnapshotName"]
        row = self.serverless_snapshots.get(scope, name)
        if row is None:
            raise ServiceError(
                "ServerlessCacheSnapshotNotFoundFault", f"Serverless cache snapshot {name} not found.", 404
            )
        if row["desc"]["Status"] != "available":
            raise ServiceError(
                "InvalidServerlessCacheSnapshotStateFault", f"Snapshot {name} is not in available state."
            )
        with self.store.transaction():
            self.serverless_snapshots.delete(scope, name)
        if row.get("file"):
            from pathlib import Path

            Path(row["file"]).unlink(missing_ok=True)
        return {"ServerlessCacheSnapshot": dict(row["desc"], Status="deleting")}

    def copy_serverless_cache_snapshot(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        source_name = params["SourceServerlessCacheSnapshotName"]
        source = self.serverless_snapshots.get(scope, source_name)
        if source is None:
            raise ServiceError(
                "ServerlessCacheSnapshotNotFoundFault",
                f"Serverless cache snapshot {source_name} not found.",
                404,
            )
        if source["desc"]["Status"] != "available":
            raise ServiceError(
                "InvalidServerlessCacheSnapshotStateFault",
                f"Snapshot {source_name} is not in available state.",
            )
        name = params["TargetServerlessCacheSnapshotName"]
        with self.store.transaction():
            if self.serverless_snapshots.get(scope, name) is not None:
                raise ServiceError(
                    "ServerlessCacheSnapshotAlreadyExistsFault", f"Snapshot {name} already exists."
                )
            target = self.supervisor.store_copy("", f"serverless-{scope.replace('/', '-')}-{name}.rdb")
            shutil.copyfile(source["file"], target)
            desc = dict(
                source["desc"], ServerlessCacheSnapshotName=name, ARN=self.arn(context, "serverlesscachesnapshot", name),
                SnapshotType="manual",
            )  # fmt: skip
            self.serverless_snapshots.put(
                scope, name, {**source, "desc": desc, "file": str(target), "tags": self.tags_from(params)}
            )
        return {"ServerlessCacheSnapshot": desc}

    # -- online migration from a self-managed Redis -------------------------------------------------
    # The target's primary becomes a replica of the source (REPLICAOF) until the migration is
    # completed (REPLICAOF NO ONE): the source's data really arrives, and keeps arriving.

    def _migration_source(self, params: dict[str, Any], required: bool = True) -> tuple[str, int] | None:
        endpoints = params.get("CustomerNodeEndpointList") or []
        if not endpoints and not required:
            return None
        if len(endpoints) != 1 or not endpoints[0].get("Address") or not endpoints[0].get("Port"):
            raise invalid("CustomerNodeEndpointList must name exactly one node (Address and Port).")
        return str(endpoints[0]["Address"]), int(endpoints[0]["Port"])

    def _check_source(self, source: tuple[str, int]) -> None:
        try:
            with Resp(source[1], timeout=3.0, host=source[0]) as conn:
                conn.call("PING")
        except RespError as error:
            raise invalid(f"Cannot connect to the source Redis at {source[0]}:{source[1]}: {error}") from None

    def _migration_target(self, scope: str, params: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        """("group" | "serverless", its id, its row), from ReplicationGroupId or ServerlessCacheName."""
        group_id = params.get("ReplicationGroupId")
        cache = params.get("ServerlessCacheName")
        if bool(group_id) == bool(cache):
            raise combination("Exactly one of ReplicationGroupId and ServerlessCacheName must be provided.")
        if group_id:
            return "group", group_id.lower(), self.group_row(scope, group_id)
        row = self.serverless_row(scope, (cache or "").lower())
        if row["desc"]["Engine"] == "memcached":
            raise combination("Migration is supported for the redis and valkey engines only.")
        return "serverless", (cache or "").lower(), row

    def _target_call(self, scope: str, kind: str, row: dict[str, Any], *args: Any) -> Any:
        if kind == "group":
            return self.admin_call(scope, row["primary"], *args)
        with admin(row["node"]["port"], row["admin"]) as conn:
            return conn.call(*args)

    def _set_migration(self, scope: str, kind: str, name: str, migration: dict[str, Any] | None) -> None:
        if kind == "group":
            status = "migrating" if migration and migration["state"] == "syncing" else "available"
            self.set_group(scope, name, status, _migrating=migration)
            return
        with self.store.transaction():
            row = self.serverless.get(scope, name)
            if row is not None:
                row["migrating"] = migration
                self.serverless.put(scope, name, row)

    def _answer(self, scope: str, kind: str, name: str) -> dict[str, Any]:
        if kind == "group":
            return {"ReplicationGroup": self.render_group(scope, self.group_row(scope, name))}
        return {"ServerlessCache": self.serverless_row(scope, name)["desc"]}

    def _check_target_ready(self, kind: str, name: str, row: dict[str, Any]) -> None:
        status = row["desc"]["Status"]
        if status != "available":
            if kind == "group":
                raise ServiceError(
                    "InvalidReplicationGroupState", f"Replication group {name} is not in available state."
                )
            raise ServiceError(
                "InvalidServerlessCacheStateFault", f"Serverless cache {name} is not in available state."
            )

    def prepare_migration(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        kind, name, row = self._migration_target(
            scope, {"ServerlessCacheName": params["ServerlessCacheName"]}
        )
        self._check_target_ready(kind, name, row)
        source = self._migration_source(params)
        assert source is not None
        self._check_source(source)
        self._set_migration(scope, kind, name, {"Address": source[0], "Port": source[1], "state": "prepared"})
        self.record_event(scope, "serverless-cache", name, f"Migration from {source[0]}:{source[1]} prepared")
        return self._answer(scope, kind, name)

    def start_migration(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        kind, name, row = self._migration_target(scope, params)
        prepared = row.get("migrating") or None
        if kind == "group" or not prepared or prepared.get("state") == "syncing":
            self._check_target_ready(kind, name, row)
        if kind == "group" and (row["desc"].get("AuthTokenEnabled") or row["desc"].get("UserGroupIds")):
            raise combination("Online migration needs a replication group without AUTH or user groups.")
        source = self._migration_source(params, required=bool(kind == "group" or not prepared))
        if source is None and prepared:
            source = (prepared["Address"], prepared["Port"])
        assert source is not None
        self._check_source(source)
        if params.get("ClearTargetCacheData"):
            self._target_call(scope, kind, row, "FLUSHALL")
        self._target_call(scope, kind, row, "REPLICAOF", source[0], str(source[1]))
        self._set_migration(scope, kind, name, {"Address": source[0], "Port": source[1], "state": "syncing"})
        source_type = "replication-group" if kind == "group" else "serverless-cache"
        self.record_event(scope, source_type, name, f"Migration from {source[0]}:{source[1]} started")
        return self._answer(scope, kind, name)

    def stop_migration(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        kind, name, row = self._migration_target(
            scope, {"ServerlessCacheName": params["ServerlessCacheName"]}
        )
        migration = row.get("migrating")
        if not migration or migration.get("state") != "syncing":
            raise ServiceError(
                "InvalidServerlessCacheStateFault", f"Serverless cache {name} has no migration syncing."
            )
        self._target_call(scope, kind, row, "REPLICAOF", "NO", "ONE")
        self._set_migration(scope, kind, name, dict(migration, state="stopped"))
        self.record_event(scope, "serverless-cache", name, "Migration stopped")
        return self._answer(scope, kind, name)

    def test_migration(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        group_id = params["ReplicationGroupId"].lower()
        group = self.group_row(scope, group_id)
        self._check_target_ready("group", group_id, group)
        source = self._migration_source(params)
        assert source is not None
        self._check_source(source)
        self.record_event(
            scope, "replication-group", group_id, f"Test migration from {source[0]}:{source[1]} succeeded"
        )
        return {"ReplicationGroup": self.render_group(scope, group)}

    def complete_migration(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        kind, name, row = self._migration_target(scope, params)
        migration = row.get("migrating")
        if not migration or migration.get("state") not in ("syncing", "stopped"):
            if kind == "group":
                raise ServiceError(
                    "ReplicationGroupNotUnderMigrationFault",
                    f"Replication group {name} is not under migration.",
                )
            raise ServiceError(
                "InvalidServerlessCacheStateFault", f"Serverless cache {name} is not under migration."
            )
        if not params.get("Force") and migration["state"] == "syncing":
            info = self._target_call(scope, kind, row, "INFO", "replication")
            text = info.decode() if isinstance(info, bytes) else str(info)
            if "master_link_status:up" not in text:
                raise ServiceError(
                    "InvalidReplicationGroupState" if kind == "group" else "InvalidServerlessCacheStateFault",
                    "The migration has not caught up with the source yet; use Force to complete it anyway.",
                )
        self._target_call(scope, kind, row, "REPLICAOF", "NO", "ONE")
        self._set_migration(scope, kind, name, None)
        source_type = "replication-group" if kind == "group" else "serverless-cache"
        self.record_event(scope, source_type, name, "Migration completed")
        return self._answer(scope, kind, name)

    async def export_serverless_cache_snapshot(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["ServerlessCacheSnapshotName"]
        row = self.serverless_snapshots.get(scope, name)
        if row is None:
            raise ServiceError(
                "ServerlessCacheSnapshotNotFoundFault", f"Serverless cache snapshot {name} not found.", 404
            )
        if row["desc"]["Status"] != "available":
            raise ServiceError(
                "InvalidServerlessCacheSnapshotStateFault", f"Snapshot {name} is not in available state."
            )
        try:
            await self._export_rdb(context, row["file"], params["S3BucketName"], f"{name}-0001.rdb")
        except ServiceError as error:
            raise invalid(
                f"The snapshot cannot be exported to {params['S3BucketName']}: {error.message}"
            ) from None
        return {"ServerlessCacheSnapshot": row["desc"]}

    # -- automatic backups --------------------------------------------------------------------------
    # A Redis cluster or replication group with SnapshotRetentionLimit > 0 is snapshotted daily at
    # the start of its SnapshotWindow (runtime.scheduler's clock); snapshots older than the limit,
    # in days, are deleted.

    def schedule_snapshots(self, scope: str, kind: str, name: str) -> None:
        table = self.replication_groups if kind == "group" else self.clusters
        row = table.get(scope, name)
        key = f"elasticache/snapshot/{scope}/{kind}/{name}"
        if row is None or not row["desc"].get("SnapshotRetentionLimit"):
            self.runtime.scheduler.cancel_prefix(key)
            return
        if kind == "cluster" and (
            row["desc"].get("ReplicationGroupId") or row["desc"]["Engine"] == "memcached"
        ):
            return
        window = row["desc"].get("SnapshotWindow") or "05:00-06:00"
        now = self.runtime.scheduler.now()
        day = datetime.fromtimestamp(now, UTC).replace(
            hour=int(window[0:2]), minute=int(window[3:5]), second=0, microsecond=0
        )
        due = day.timestamp() if day.timestamp() > now else day.timestamp() + 86400

        def fire(_key: str, when: float) -> None:
            current = table.get(scope, name)
            if current is None:
                return
            status = current["desc"]["Status" if kind == "group" else "CacheClusterStatus"]
            if status != "available":
                self.schedule_snapshots(scope, kind, name)
                return

            def work() -> None:
                try:
                    self._automatic_snapshot(scope, kind, name, when)
                finally:
                    self.schedule_snapshots(scope, kind, name)

            self.background(
                scope, name, work, "automatic snapshot",
                lambda why: self.record_event(scope, "replication-group" if kind == "group" else "cache-cluster", name, why),
            )  # fmt: skip

        self.runtime.scheduler.at(key, due, fire)

    def _automatic_snapshot(self, scope: str, kind: str, name: str, when: float) -> None:
        stamp = datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d-%H-%M")
        snapshot = f"automatic.{name}-{stamp}"
        if self.snapshots.get(scope, snapshot) is None:
            self.take_snapshot(
                scope,
                snapshot,
                name if kind == "cluster" else None,
                name if kind == "group" else None,
                "automated",
                {},
            )
        source_type = "replication-group" if kind == "group" else "cache-cluster"
        self.record_event(scope, source_type, name, f"Automatic snapshot {snapshot} succeeded")
        table = self.replication_groups if kind == "group" else self.clusters
        row = table.get(scope, name)
        limit = (row or {}).get("desc", {}).get("SnapshotRetentionLimit") or 0
        field = "ReplicationGroupId" if kind == "group" else "CacheClusterId"
        for old_name, old in list(self.snapshots.scan(scope)):
            desc = old["desc"]
            if desc["SnapshotSource"] != "automated" or desc.get(field) != name:
                continue
            taken = (desc.get("NodeSnapshots") or [{}])[0].get("SnapshotCreateTime") or when
            if when - taken >= limit * 86400:
                with self.store.transaction():
                    self.snapshots.delete(scope, old_name)
                if old.get("file"):
                    Path(old["file"]).unlink(missing_ok=True)

    def resize(self, scope: str, cluster_id: str, node_type: str) -> None:
        """A new node type: its memory becomes the running Redis nodes' maxmemory."""
        row = self.cluster_row(scope, cluster_id)
        memory = f"{catalog.node_memory(node_type)}mb"
        for index in range(len(row["nodes"])):
            try:
                self.admin_call(scope, cluster_id, "CONFIG", "SET", "maxmemory", memory, node_index=index)
            except RespError as error:
                self.record_event(scope, "cache-cluster", cluster_id, f"maxmemory not applied: {error}")
