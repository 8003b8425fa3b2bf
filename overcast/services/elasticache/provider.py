"""Amazon ElastiCache on real engines: every cache node is a `redis-server` (engines redis and
valkey) or `memcached` process that Overcast runs on 127.0.0.1 (engines.py,
overcast/engines/process.py); the endpoint the API returns is that process.

Cache clusters and replication groups (nodes.py: a Redis primary with real replicas through
REPLICAOF, failover promoting a replica), snapshots as RDB dumps with restore, serverless caches
(one engine each), users and user groups as ACL users on the engines, parameter groups applied
with CONFIG SET (groups.py); events, tags and the catalog here."""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any

from overcast.common import pagination, tagging
from overcast.common.arns import build_arn
from overcast.context import RequestContext
from overcast.engines.process import Supervisor
from overcast.errors import ServiceError
from overcast.http import Response
from overcast.services.base import BaseProvider
from overcast.services.elasticache import catalog, tls
from overcast.services.elasticache.globals import GlobalMixin
from overcast.services.elasticache.groups import GroupMixin
from overcast.services.elasticache.nodes import NodeMixin
from overcast.services.elasticache.sharded import ShardedMixin
from overcast.store import scope as store_scope

log = logging.getLogger(__name__)

#: ARN resource type → (table, the error when it is absent).
TAGGED = {
    "cluster": ("clusters", "CacheClusterNotFound", "Cache cluster {} not found."),
    "replicationgroup": ("replication_groups", "ReplicationGroupNotFoundFault", "Replication group {} not found."),
    "snapshot": ("snapshots", "SnapshotNotFoundFault", "Snapshot {} not found."),
    "parametergroup": ("parameter_groups", "CacheParameterGroupNotFound", "CacheParameterGroup {} not found."),
    "subnetgroup": ("subnet_groups", "CacheSubnetGroupNotFoundFault", "CacheSubnetGroup {} not found."),
    "securitygroup": ("security_groups", "CacheSecurityGroupNotFound", "CacheSecurityGroup {} not found."),
    "user": ("users", "UserNotFound", "User {} not found."),
    "usergroup": ("user_groups", "UserGroupNotFound", "User group {} not found."),
    "serverlesscache": ("serverless", "ServerlessCacheNotFoundFault", "Serverless cache {} not found."),
    "serverlesscachesnapshot": (
        "serverless_snapshots", "ServerlessCacheSnapshotNotFoundFault", "Serverless cache snapshot {} not found.",
    ),
    "reserved-instance": ("reserved", "ReservedCacheNodeNotFound", "Reserved cache node {} not found."),
}  # fmt: skip


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message)


def combination(message: str) -> ServiceError:
    return ServiceError("InvalidParameterCombination", message)


class Provider(NodeMixin, ShardedMixin, GroupMixin, GlobalMixin, BaseProvider):
    service = "elasticache"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        table = self.store.table
        self.clusters = table("elasticache", "clusters")
        self.replication_groups = table("elasticache", "replication_groups")
        self.snapshots = table("elasticache", "snapshots")
        self.parameter_groups = table("elasticache", "parameter_groups")
        self.subnet_groups = table("elasticache", "subnet_groups")
        self.security_groups = table("elasticache", "security_groups")
        self.users = table("elasticache", "users")
        self.user_groups = table("elasticache", "user_groups")
        self.serverless = table("elasticache", "serverless")
        self.serverless_snapshots = table("elasticache", "serverless_snapshots")
        self.reserved = table("elasticache", "reserved")
        self.events = table("elasticache", "events")
        #: Account-wide facts: the in-transit encryption authority.
        self.settings = table("elasticache", "settings")
        self._tls_context: ssl.SSLContext | None = None
        self.closing = False
        #: Background work threads, waited for when Overcast stops.
        self.work: list[threading.Thread] = []
        #: Global datastores, by account (they span regions).
        self.global_groups = table("elasticache", "global_groups")
        self.supervisor = Supervisor(runtime, "elasticache", self.engine_event)
        self.locks: dict[str, threading.Lock] = {}
        #: Engine key → (scope, source type, source id), for the supervisor's events.
        self.owner_of_key: dict[str, tuple[str, str, str]] = {}
        self.tag_rules = tagging.TagRules(
            refuse=tagging.refusals("InvalidParameterValue", {}, limit=50),
            max_tags=50,
            reserved_prefix="aws:",
        )
        self._sequence = 0

    # -- lifecycle ----------------------------------------------------------------------------------

    def start(self) -> None:
        threading.Thread(
            target=self._quietly(self.resume_nodes), name="elasticache resume", daemon=True
        ).start()

    def _quietly(self, work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                work()
            except Exception:
                log.exception("elasticache background work failed")

        return run

    def reset(self) -> None:
        # As when Overcast stops: work under way ends (none starts an engine meanwhile) before
        # the engines stop, so that none is started on a supervisor already closed.
        self.closing = True
        self._finish_work(5.0)
        self.closing = False
        self.supervisor.close()
        for scope in self.clusters.scopes():
            for _, row in self.clusters.scan(scope):
                for node in row["nodes"]:
                    self.supervisor.remove_home(node["key"])
        for scope in self.serverless.scopes():
            for _, row in self.serverless.scan(scope):
                self.supervisor.remove_home(row["node"]["key"])
        self.supervisor = Supervisor(self.runtime, "elasticache", self.engine_event)
        self.owner_of_key.clear()

    def state_replaced(self) -> None:
        self.owner_of_key.clear()
        self._tls_context = None
        threading.Thread(
            target=self._quietly(self.resume_nodes), name="elasticache resume", daemon=True
        ).start()

    def stop(self) -> None:
        # No engine starts once Overcast begins to stop: close() stops the ones running.
        self.closing = True

    def close(self) -> None:
        self.closing = True
        # Work under way (a deletion stopping its engines) finishes first, so that no engine
        # outlives Overcast; none starts meanwhile.
        self._finish_work()
        self.supervisor.close()

    def _finish_work(self, seconds: float = 20.0) -> None:
        deadline = time.monotonic() + seconds
        for thread in list(self.work):
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))

    def engines(self) -> list[dict[str, Any]]:
        """Each cache node's engine process (`overcast ps`, the dashboard's overview)."""
        rows = []
        for table, kind in ((self.clusters, "cluster"), (self.serverless, "serverless")):
            for scope in table.scopes():
                account, _, region = scope.partition("/")
                for name, row in table.scan(scope):
                    nodes = row["nodes"] if kind == "cluster" else [dict(row["node"], id="0001")]
                    engine = row["desc"]["Engine"]
                    for node in nodes:
                        running = self.supervisor.running(node["key"])
                        rows.append(
                            {
                                "kind": f"{engine} cache node",
                                "name": f"{row['desc'].get('CacheClusterId') or row['desc'].get('ServerlessCacheName')}/{node['id']}",
                                "state": "running" if running else "stopped",
                                "pid": self.supervisor.pid(node["key"]) if running else None,
                                "endpoint": f"127.0.0.1:{node['port']}",
                                "account": account,
                                "region": region,
                            }
                        )
        return rows

    # -- in-transit encryption ----------------------------------------------------------------------

    def authority(self) -> dict[str, str]:
        """The CA and node certificate (made once per data dir)."""
        found = self.settings.get("global", "tls")
        if found is None:
            with self.store.transaction():
                found = self.settings.get("global", "tls")
                if found is None:
                    found = tls.new_authority()
                    self.settings.put("global", "tls", found)
        return dict(found)

    def tls_for(self, row: dict[str, Any]) -> ssl.SSLContext | None:
        """How to reach a node of this cluster: TLS trusting the CA, or None for plain TCP."""
        if not row.get("tls"):
            return None
        if self._tls_context is None:
            self._tls_context = tls.client_context(self.authority()["ca"])
        return self._tls_context

    def write_tls(self, key: str) -> None:
        """The node's certificate, key and the CA, in its home where the engine reads them."""
        found = self.authority()
        directory = self.supervisor.home(key) / "tls"
        directory.mkdir(mode=0o700, exist_ok=True)
        self.supervisor.own(directory)
        for name, text in (("ca.crt", found["ca"]), ("node.crt", found["cert"]), ("node.key", found["key"])):
            path = directory / name
            path.write_text(text)
            path.chmod(0o600)
            self.supervisor.own(path)

    def internal_request(self, request: Any, subpath: str) -> Response | None:
        if subpath.rstrip("/") == "ca.pem" and request.method == "GET":
            return Response(200, {"Content-Type": "application/x-pem-file"}, self.authority()["ca"].encode())
        return None

    # -- shared helpers -----------------------------------------------------------------------------

    @staticmethod
    def scope_of(context: RequestContext) -> str:
        return store_scope(context.account, context.region)

    @staticmethod
    def arn(context: RequestContext | str, kind: str, name: str) -> str:
        if isinstance(context, str):
            account, _, region = context.partition("/")
        else:
            account, region = context.account, context.region
        return build_arn("elasticache", region, account, f"{kind}:{name}")

    def page(self, operation: str, params: dict[str, Any], items: list[Any]) -> dict[str, Any]:
        limit = params.get("MaxRecords")
        if limit is not None and not 20 <= limit <= 100:
            raise invalid("MaxRecords must be between 20 and 100.")
        return pagination.paginate_list(
            self.store,
            "elasticache",
            operation,
            params,
            items,
            bad_token=lambda: invalid("Invalid marker"),
            default_limit=100,
        )

    def background(
        self, scope: str, name: str, work: Callable[[], None], what: str, fail: Callable[[str], None]
    ) -> None:
        """A resource's slow work in its own thread, one piece at a time per resource."""
        lock = self.locks.setdefault(f"{scope}/{name}", threading.Lock())

        def run() -> None:
            with lock:
                try:
                    work()
                except Exception as error:
                    log.warning("elasticache %s %s failed: %s", name, what, error, exc_info=True)
                    try:
                        fail(f"The {what} failed: {error}")
                    except Exception:
                        log.exception("elasticache %s: recording a failure", name)

        thread = threading.Thread(target=run, name=f"elasticache {name} {what}", daemon=True)
        self.work = [t for t in self.work if t.is_alive()] + [thread]
        thread.start()

    # -- events -------------------------------------------------------------------------------------

    def record_event(self, scope: str, source_type: str, source: str, message: str) -> None:
        moment = time.time()
        self._sequence += 1
        event = {"SourceIdentifier": source, "SourceType": source_type, "Message": message, "Date": moment}
        with self.store.transaction():
            self.events.put(scope, f"{moment:017.6f}-{self._sequence:08d}", event)

    def engine_event(self, key: str, message: str) -> None:
        found = self.owner_of_key.get(key)
        if found is not None:
            self.record_event(found[0], found[1], found[2], f"{message} (node {key.rsplit('-', 1)[-1]})")
            if found[1] == "cache-cluster":
                self.node_crashed(found[0], found[2], key)

    def describe_events(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        now = time.time()
        start = params.get("StartTime")
        end = params.get("EndTime")
        start_at = start.timestamp() if start is not None else now - 60 * (params.get("Duration") or 60)
        end_at = end.timestamp() if end is not None else now + 1
        source_type = params.get("SourceType")
        if source_type and source_type not in (
            "cache-cluster", "cache-parameter-group", "cache-security-group", "cache-subnet-group",
            "replication-group", "serverless-cache", "serverless-cache-snapshot", "user", "user-group",
        ):  # fmt: skip
            raise invalid(f"Invalid SourceType: {source_type}")
        if params.get("SourceIdentifier") and not source_type:
            raise invalid("SourceType must be provided when SourceIdentifier is provided.")
        found = []
        for _, event in self.events.scan(scope):
            if not start_at <= event["Date"] <= end_at:
                continue
            if source_type and event["SourceType"] != source_type:
                continue
            if params.get("SourceIdentifier") and event["SourceIdentifier"] != params["SourceIdentifier"]:
                continue
            found.append(event)
        found.sort(key=lambda e: e["Date"], reverse=True)
        return self.page("DescribeEvents", params, found)

    # -- tags ---------------------------------------------------------------------------------------

    def _tagged(self, resource: str) -> tuple[Any, str, str, dict[str, Any]]:
        parts = resource.split(":")
        if len(parts) < 7 or parts[0] != "arn" or parts[2] != "elasticache" or parts[5] not in TAGGED:
            raise ServiceError("InvalidARN", f"Invalid ARN: {resource}")
        kind, name = parts[5], ":".join(parts[6:])
        table_name, code, message = TAGGED[kind]
        table = getattr(self, table_name)
        scope = store_scope(parts[4], parts[3])
        row = table.get(scope, name)
        if row is None:
            raise ServiceError(code, message.format(name), 404)
        return table, scope, name, row

    def list_tags_for_resource(self, context: RequestContext, params: dict) -> dict:
        _, _, _, row = self._tagged(params["ResourceName"])
        return {"TagList": tagging.tag_list(row.get("tags"))}

    def add_tags_to_resource(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            table, scope, name, row = self._tagged(params["ResourceName"])
            row["tags"] = tagging.add_tags(row.get("tags"), params.get("Tags") or [], self.tag_rules)
            table.put(scope, name, row)
        return {"TagList": tagging.tag_list(row["tags"])}

    def remove_tags_from_resource(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            table, scope, name, row = self._tagged(params["ResourceName"])
            missing = [k for k in params.get("TagKeys") or [] if k not in (row.get("tags") or {})]
            if missing:
                raise ServiceError("TagNotFound", f"Tag {missing[0]} not found.", 404)
            row["tags"] = tagging.remove_tags(row.get("tags"), params.get("TagKeys"))
            table.put(scope, name, row)
        return {"TagList": tagging.tag_list(row["tags"])}

    def tags_from(self, params: dict[str, Any]) -> dict[str, str]:
        return tagging.tag_map(params.get("Tags"), self.tag_rules)

    # -- catalog ------------------------------------------------------------------------------------

    def describe_cache_engine_versions(self, context: RequestContext, params: dict) -> dict:
        engine = params.get("Engine")
        if engine and engine.lower() not in catalog.VERSIONS:
            return {"CacheEngineVersions": []}
        found = []
        for name, versions in catalog.VERSIONS.items():
            if engine and engine.lower() != name:
                continue
            for version, fam in versions:
                if params.get("EngineVersion") and params["EngineVersion"] != version:
                    continue
                if params.get("CacheParameterGroupFamily") and params["CacheParameterGroupFamily"] != fam:
                    continue
                found.append(
                    {
                        "Engine": name,
                        "EngineVersion": version,
                        "CacheParameterGroupFamily": fam,
                        "CacheEngineDescription": catalog.ENGINE_DESCRIPTION[name],
                        "CacheEngineVersionDescription": f"{catalog.ENGINE_DESCRIPTION[name]} {version}",
                    }
                )
        if params.get("DefaultOnly"):
            found = [v for v in found if v["EngineVersion"] == catalog.DEFAULT_VERSION[v["Engine"]]]
        return self.page("DescribeCacheEngineVersions", params, found)

    def describe_reserved_cache_nodes_offerings(self, context: RequestContext, params: dict) -> dict:
        found = [
            o
            for o in catalog.offerings()
            if (not params.get("ReservedCacheNodesOfferingId")
                or o["ReservedCacheNodesOfferingId"] == params["ReservedCacheNodesOfferingId"])
            and (not params.get("CacheNodeType") or o["CacheNodeType"] == params["CacheNodeType"])
            and (not params.get("Duration") or str(o["Duration"]) == str(params["Duration"])
                 or str(int(o["Duration"]) // 31536000) == str(params["Duration"]))
            and (not params.get("ProductDescription") or o["ProductDescription"] == params["ProductDescription"])
            and (not params.get("OfferingType") or o["OfferingType"] == params["OfferingType"])
        ]  # fmt: skip
        if params.get("ReservedCacheNodesOfferingId") and not found:
            raise ServiceError(
                "ReservedCacheNodesOfferingNotFound",
                f"Reserved cache node offering {params['ReservedCacheNodesOfferingId']} not found.",
                404,
            )
        return self.page("DescribeReservedCacheNodesOfferings", params, found)

    def purchase_reserved_cache_nodes_offering(self, context: RequestContext, params: dict) -> dict:
        offering_id = params["ReservedCacheNodesOfferingId"]
        offering = next(
            (o for o in catalog.offerings() if o["ReservedCacheNodesOfferingId"] == offering_id), None
        )
        if offering is None:
            raise ServiceError(
                "ReservedCacheNodesOfferingNotFound",
                f"Reserved cache node offering {offering_id} not found.",
                404,
            )
        scope = self.scope_of(context)
        node_id = (
            params.get("ReservedCacheNodeId") or f"ri-{time.strftime('%Y-%m-%d-%H-%M-%S')}-{self._next()}"
        )
        count = params.get("CacheNodeCount") or 1
        with self.store.transaction():
            if self.reserved.get(scope, node_id) is not None:
                raise ServiceError(
                    "ReservedCacheNodeAlreadyExists", f"Reserved cache node {node_id} already exists."
                )
            desc = {
                "ReservedCacheNodeId": node_id,
                "ReservedCacheNodesOfferingId": offering_id,
                "CacheNodeType": offering["CacheNodeType"],
                "StartTime": time.time(),
                "Duration": offering["Duration"],
                "FixedPrice": offering["FixedPrice"] * count,
                "UsagePrice": offering["UsagePrice"],
                "CacheNodeCount": count,
                "ProductDescription": offering["ProductDescription"],
                "OfferingType": offering["OfferingType"],
                "State": "payment-pending",
                "RecurringCharges": offering["RecurringCharges"],
                "ReservationARN": self.arn(context, "reserved-instance", node_id),
            }
            self.reserved.put(scope, node_id, {"desc": desc, "tags": self.tags_from(params)})
        return {"ReservedCacheNode": desc}

    def _next(self) -> int:
        self._sequence += 1
        return self._sequence

    def describe_reserved_cache_nodes(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        found = []
        for name, row in self.reserved.scan(scope):
            desc = dict(row["desc"])
            if time.time() - desc["StartTime"] > 60 and desc["State"] == "payment-pending":
                desc["State"] = "active"
            if params.get("ReservedCacheNodeId") and name != params["ReservedCacheNodeId"]:
                continue
            if params.get("CacheNodeType") and desc["CacheNodeType"] != params["CacheNodeType"]:
                continue
            found.append(desc)
        if params.get("ReservedCacheNodeId") and not found:
            raise ServiceError(
                "ReservedCacheNodeNotFound",
                f"Reserved cache node {params['ReservedCacheNodeId']} not found.",
                404,
            )
        return self.page("DescribeReservedCacheNodes", params, found)

    def describe_service_updates(self, context: RequestContext, params: dict) -> dict:
        # Service updates are AWS's patches to its fleet; the engines here are the machine's own.
        return self.page("DescribeServiceUpdates", params, [])

    def describe_update_actions(self, context: RequestContext, params: dict) -> dict:
        return self.page("DescribeUpdateActions", params, [])

    def batch_apply_update_action(self, context: RequestContext, params: dict) -> dict:
        return self._no_update(params)

    def batch_stop_update_action(self, context: RequestContext, params: dict) -> dict:
        return self._no_update(params)

    def _no_update(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["ServiceUpdateName"]
        raise ServiceError("ServiceUpdateNotFoundFault", f"The service update {name} was not found.", 404)

    def list_allowed_node_type_modifications(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        if params.get("CacheClusterId"):
            row = self.cluster_row(scope, params["CacheClusterId"])
        elif params.get("ReplicationGroupId"):
            group = self.group_row(scope, params["ReplicationGroupId"])
            row = self.cluster_row(scope, group["primary"])
        else:
            raise invalid("The parameter CacheClusterId or ReplicationGroupId must be provided.")
        current = row["desc"]["CacheNodeType"]
        if row["desc"]["Engine"] == "memcached":
            return {"ScaleUpModifications": [], "ScaleDownModifications": []}
        size = catalog.NODE_TYPES[current]
        return {
            "ScaleUpModifications": sorted(t for t, m in catalog.NODE_TYPES.items() if m > size),
            "ScaleDownModifications": sorted(t for t, m in catalog.NODE_TYPES.items() if m < size),
        }
