"""Redis cluster mode enabled: a replication group of shards (node groups), each a primary and
its replicas, as a real Redis Cluster.

Every member is a redis-server with `cluster-enabled yes`, its cluster bus on a port of its own
(kept in its nodes.conf with its data, so the cluster re-forms by itself after a restart).
Creation starts the nodes, introduces them to each other (CLUSTER MEET), gives each shard's
primary its slots (CLUSTER ADDSLOTSRANGE: the NodeGroupConfiguration's Slots, else the 16384
slots split evenly) and makes each replica follow its primary (CLUSTER REPLICATE); the group is
available once every node reports cluster_state:ok. The configuration endpoint is a node of
the cluster, which answers CLUSTER SLOTS / CLUSTER NODES / CLUSTER SHARDS with every shard's
address, so cluster clients (redis-py's RedisCluster, Lettuce, ioredis) find the shards as on
ElastiCache. Resharding (ModifyReplicationGroupShardConfiguration) adds shards and moves slots
to them with their keys (CLUSTER SETSLOT / MIGRATE), or empties the removed shards into the
ones kept."""

from __future__ import annotations

import secrets
import time
from functools import partial
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.engines.process import free_port
from overcast.errors import ServiceError
from overcast.services.elasticache.engines import check_installed

if TYPE_CHECKING:
    _Base = Any
else:
    _Base = object

SLOTS = 16384
MAX_SHARDS = 90
MAX_REPLICAS = 5
#: Slots moved together when resharding (one pipeline of commands per step).
BATCH = 512


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message)


def combination(message: str) -> ServiceError:
    return ServiceError("InvalidParameterCombination", message)


def even_slots(shards: int) -> list[list[tuple[int, int]]]:
    return [[(i * SLOTS // shards, (i + 1) * SLOTS // shards - 1)] for i in range(shards)]


def parse_slots(text: str) -> list[tuple[int, int]]:
    """ "0-5460,10923-16383" → [(0, 5460), (10923, 16383)]."""
    ranges = []
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        try:
            start, end = int(low), int(high or low)
        except ValueError:
            raise invalid(f"Invalid slot range: {part}") from None
        if not 0 <= start <= end < SLOTS:
            raise invalid(f"Invalid slot range: {part}")
        ranges.append((start, end))
    return ranges


def slots_text(ranges: list[Any]) -> str:
    return ",".join(f"{a}-{b}" for a, b in ranges)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class ShardedMixin(_Base):
    # -- creation -------------------------------------------------------------------------------------

    def create_sharded_group(
        self,
        context: RequestContext,
        params: dict,
        group_id: str,
        engine: str,
        version: str,
        node_type: str,
        shards: int,
    ) -> dict:
        from overcast.services.elasticache import catalog
        from overcast.services.elasticache.nodes import check_token

        scope = self.scope_of(context)
        if params.get("GlobalReplicationGroupId") or params.get("PrimaryClusterId"):
            raise combination(
                "GlobalReplicationGroupId and PrimaryClusterId are not supported with cluster mode enabled here."
            )
        if params.get("NumCacheClusters"):
            raise combination("NumCacheClusters cannot be used with cluster mode enabled: use NumNodeGroups.")
        if not 1 <= shards <= MAX_SHARDS:
            raise invalid(f"NumNodeGroups must be between 1 and {MAX_SHARDS}.")
        configs = params.get("NodeGroupConfiguration") or []
        if configs and len(configs) != shards:
            raise invalid("The number of NodeGroupConfiguration entries must equal NumNodeGroups.")
        if params.get("AutomaticFailoverEnabled") is False:
            raise combination("Redis with cluster mode enabled requires automatic failover to be enabled.")
        default_replicas = params.get("ReplicasPerNodeGroup") or 0
        layout = []
        slot_plan = even_slots(shards)
        for index in range(shards):
            config = configs[index] if configs else {}
            replicas = config.get("ReplicaCount", default_replicas)
            if not 0 <= replicas <= MAX_REPLICAS:
                raise invalid(f"ReplicasPerNodeGroup must be between 0 and {MAX_REPLICAS}.")
            slots = parse_slots(config["Slots"]) if config.get("Slots") else slot_plan[index]
            shard_id = config.get("NodeGroupId") or f"{index + 1:04d}"
            layout.append((shard_id, replicas, slots))
        seen = bytearray(SLOTS)
        for _, _, ranges in layout:
            for low, high in ranges:
                if any(seen[low : high + 1]):
                    raise invalid("The node groups' slots must cover 0-16383 exactly once.")
                seen[low : high + 1] = b"\x01" * (high - low + 1)
        if not all(seen):
            raise invalid("The node groups' slots must cover 0-16383 exactly once.")
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
        if params.get("SnapshotName") or params.get("SnapshotArns"):
            raise combination("Seeding a cluster mode enabled group from a snapshot is not supported here.")
        fam = catalog.family(engine, version)
        group_name = self.parameter_group_for(
            scope, params.get("CacheParameterGroupName") or f"default.{fam}.cluster.on", fam
        )
        subnet = self.subnet_group_for(scope, params.get("CacheSubnetGroupName"))
        check_installed(engine)
        tags = self.tags_from(params)
        admin_password = secrets.token_urlsafe(18)
        shard_rows: list[dict[str, Any]] = [
            {
                "id": shard_id,
                "members": [f"{group_id}-{index + 1:04d}-{n + 1:03d}" for n in range(replicas + 1)],
                "slots": [list(r) for r in slots],
            }
            for index, (shard_id, replicas, slots) in enumerate(layout)
        ]
        for shard in shard_rows:
            shard["primary"] = shard["members"][0]
        members = [m for shard in shard_rows for m in shard["members"]]
        with self.store.transaction():
            if self.replication_groups.get(scope, group_id) is not None:
                raise ServiceError(
                    "ReplicationGroupAlreadyExists", f"Replication group {group_id} already exists."
                )
            for member in members:
                if self.clusters.get(scope, member) is not None:
                    raise ServiceError("CacheClusterAlreadyExists", f"Cache cluster {member} already exists.")
            taken: set[int] = set()
            for shard in shard_rows:
                for member in shard["members"]:
                    self._new_member(
                        context, scope, params, member, shard, engine, version, node_type, group_name,
                        subnet, token, transit, admin_password, tags, taken,
                    )  # fmt: skip
            desc = self.group_description(
                context, params, group_id, members, node_type, token, transit, user_groups, engine,
                cluster_mode=True, failover=True, multi_az=bool(params.get("MultiAZEnabled")),
            )  # fmt: skip
            if transit:
                desc["TransitEncryptionMode"] = params.get("TransitEncryptionMode") or "required"
            if params.get("KmsKeyId"):
                desc["KmsKeyId"] = params["KmsKeyId"]
            if token:
                desc["AuthTokenLastModifiedDate"] = time.time()
            self.replication_groups.put(
                scope, group_id,
                {
                    "desc": desc, "members": members, "primary": members[0], "password": token, "tags": tags,
                    "global": None, "cluster_mode": True, "shards": shard_rows,
                },
            )  # fmt: skip
        for user_group in user_groups:
            self.link_user_group(scope, user_group, group_id, True)
        self.background(
            scope, group_id, partial(self._build_sharded, scope, group_id), "creation",
            partial(self.group_failed, scope, group_id),
        )  # fmt: skip
        return {"ReplicationGroup": self.render_group(scope, self.group_row(scope, group_id))}

    def _new_member(
        self,
        context: RequestContext,
        scope: str,
        params: dict,
        member: str,
        shard: dict[str, Any],
        engine: str,
        version: str,
        node_type: str,
        group_name: str,
        subnet: Any,
        token: str | None,
        transit: bool,
        admin_password: str,
        tags: dict[str, str],
        taken: set[int],
    ) -> None:
        member_params = {**params, "PreferredAvailabilityZone": None, "AZMode": None}
        desc = self.new_cluster_desc(
            context, member, member_params, engine, version, node_type, group_name, subnet
        )
        desc.update(
            ReplicationGroupId=self.group_id_of(member),
            NumCacheNodes=1,
            AuthTokenEnabled=bool(token),
            AtRestEncryptionEnabled=bool(params.get("AtRestEncryptionEnabled")),
        )
        node = self.new_node(scope, member, 1, taken)
        node["bus"] = free_port(self.ports_in_use() | taken)
        taken.add(node["bus"])
        self.clusters.put(
            scope, member,
            {
                "desc": desc, "nodes": [node], "password": token, "admin": admin_password, "tags": dict(tags),
                "role": "primary" if member == shard["primary"] else "replica", "shard": shard["id"],
                "tls": transit and params.get("TransitEncryptionMode") != "preferred",
            },
        )  # fmt: skip

    @staticmethod
    def group_id_of(member: str) -> str:
        return member.rsplit("-", 2)[0]

    def _build_sharded(self, scope: str, group_id: str) -> None:
        group = self.group_row(scope, group_id)
        for member in group["members"]:
            self.set_cluster(scope, member, "creating")
            self._run_cluster(scope, member, first=True)
        self.form_cluster(scope, group_id)
        self.set_group(scope, group_id, "available")
        self.record_event(scope, "replication-group", group_id, "Replication group created")

    # -- the cluster itself ---------------------------------------------------------------------------

    def node_id(self, scope: str, member: str) -> str:
        return _text(self.admin_call(scope, member, "CLUSTER", "MYID"))

    def meet(self, scope: str, introducer: str, members: list[str]) -> None:
        for member in members:
            node = self.cluster_row(scope, member)["nodes"][0]
            self.admin_call(scope, introducer, "CLUSTER", "MEET", "127.0.0.1", node["port"], node["bus"])

    def wait_known(self, scope: str, member: str, ids: list[str], timeout: float = 30.0) -> None:
        """Until `member` knows every node of `ids`."""
        deadline = time.monotonic() + timeout
        while True:
            nodes = _text(self.admin_call(scope, member, "CLUSTER", "NODES"))
            known = {line.split(" ", 1)[0] for line in nodes.splitlines() if line}
            if set(ids) <= known:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"cache node {member} did not join the cluster")
            time.sleep(0.05)

    def wait_cluster_ok(self, scope: str, group_id: str, timeout: float = 60.0) -> None:
        self.wait_members_ok(scope, self.group_row(scope, group_id)["members"], timeout)

    def wait_members_ok(self, scope: str, members: list[str], timeout: float = 60.0) -> None:
        """Until each member sees the whole cluster healthy (and each replica is in sync)."""
        deadline = time.monotonic() + timeout
        for member in members:
            while True:
                info = _text(self.admin_call(scope, member, "CLUSTER", "INFO"))
                ok = "cluster_state:ok" in info
                if ok and self.cluster_row(scope, member).get("role") == "replica":
                    replication = _text(self.admin_call(scope, member, "INFO", "replication"))
                    ok = "master_link_status:up" in replication
                if ok:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"cache node {member} did not reach cluster_state:ok")
                time.sleep(0.05)

    def form_cluster(self, scope: str, group_id: str) -> None:
        group = self.group_row(scope, group_id)
        members = group["members"]
        ids = {member: self.node_id(scope, member) for member in members}
        self.meet(scope, members[0], members[1:])
        for shard in group["shards"]:
            args: list[Any] = [x for pair in shard["slots"] for x in pair]
            self.admin_call(scope, shard["primary"], "CLUSTER", "ADDSLOTSRANGE", *args)
        for shard in group["shards"]:
            for member in shard["members"]:
                if member == shard["primary"]:
                    continue
                self.wait_known(scope, member, list(ids.values()))
                self.admin_call(scope, member, "CLUSTER", "REPLICATE", ids[shard["primary"]])
        self.wait_cluster_ok(scope, group_id)

    def refresh_roles(self, scope: str, group: dict[str, Any]) -> None:
        """Redis Cluster fails over by itself when a primary is lost: read each shard's current
        primary from the engine so the API reports it."""
        try:
            nodes = _text(self.admin_call(scope, group["members"][0], "CLUSTER", "NODES"))
        except Exception:
            return
        primaries = {
            int(fields[1].split("@")[0].rsplit(":", 1)[1])
            for fields in (line.split(" ") for line in nodes.splitlines() if line)
            if "master" in fields[2].split(",") and "fail" not in fields[2]
        }
        for shard in group["shards"]:
            for member in shard["members"]:
                row = self.clusters.get(scope, member)
                if row is not None and row["nodes"][0]["port"] in primaries:
                    shard["primary"] = member

    # -- how the API shows it -------------------------------------------------------------------------

    def render_sharded(self, scope: str, group: dict[str, Any], desc: dict[str, Any]) -> dict[str, Any]:
        node_groups = []
        first_port = None
        for shard in group["shards"]:
            members = []
            for member in shard["members"]:
                row = self.clusters.get(scope, member)
                if row is None:
                    continue
                port = row["nodes"][0]["port"]
                first_port = first_port or port
                members.append(
                    {
                        "CacheClusterId": member,
                        "CacheNodeId": "0001",
                        "ReadEndpoint": {"Address": "127.0.0.1", "Port": port},
                        "PreferredAvailabilityZone": row["desc"]["PreferredAvailabilityZone"],
                        "CurrentRole": "primary" if member == shard["primary"] else "replica",
                    }
                )
            node_groups.append(
                {
                    "NodeGroupId": shard["id"],
                    "Status": "available" if desc["Status"] == "available" else desc["Status"],
                    "Slots": slots_text(shard["slots"]),
                    "NodeGroupMembers": members,
                }
            )
        desc["NodeGroups"] = node_groups
        if first_port is not None:
            desc["ConfigurationEndpoint"] = {"Address": "127.0.0.1", "Port": first_port}
        return desc

    # -- failover -------------------------------------------------------------------------------------

    def sharded_test_failover(self, scope: str, group: dict[str, Any], shard_id: str) -> None:
        """TestFailover on one shard: a replica takes over its primary (CLUSTER FAILOVER, the
        coordinated manual failover Redis Cluster offers)."""
        group_id = group["desc"]["ReplicationGroupId"]
        shard = next((s for s in group["shards"] if s["id"] == shard_id), None)
        if shard is None:
            raise ServiceError("NodeGroupNotFoundFault", f"The node group {shard_id} was not found.", 404)
        replicas = [m for m in shard["members"] if m != shard["primary"]]
        if not replicas:
            raise combination(f"Node group {shard_id} of {group_id} has no replica to fail over to.")
        self.set_group(scope, group_id, "modifying")
        self.record_event(
            scope, "replication-group", group_id, f"Test Failover API called for node group {shard_id}"
        )

        def failover() -> None:
            new = replicas[0]
            self.admin_call(scope, new, "CLUSTER", "FAILOVER")
            deadline = time.monotonic() + 30
            while "role:master" not in _text(self.admin_call(scope, new, "INFO", "replication")):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"cache node {new} did not take over node group {shard_id}")
                time.sleep(0.05)
            with self.store.transaction():
                current = self.group_row(scope, group_id)
                for entry in current["shards"]:
                    if entry["id"] == shard_id:
                        old, entry["primary"] = entry["primary"], new
                current["primary"] = current["shards"][0]["primary"]
                self.replication_groups.put(scope, group_id, current)
            self.set_cluster(scope, new, _role="primary")
            self.set_cluster(scope, old, _role="replica")
            self.wait_cluster_ok(scope, group_id)
            self.set_group(scope, group_id, "available")
            self.record_event(
                scope, "replication-group", group_id, f"Failover to replica node {new} completed"
            )

        self.background(scope, group_id, failover, "failover", partial(self.group_failed, scope, group_id))

    # -- resharding -----------------------------------------------------------------------------------

    def reshard(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        group_id = params["ReplicationGroupId"].lower()
        group = self.group_row(scope, group_id)
        if not params.get("ApplyImmediately"):
            raise invalid("ApplyImmediately must be true: resharding is applied immediately.")
        if group["desc"]["Status"] != "available":
            raise ServiceError(
                "InvalidReplicationGroupState", f"Replication group {group_id} is not in available state."
            )
        count = params["NodeGroupCount"]
        current = [s["id"] for s in group["shards"]]
        remove = params.get("NodeGroupsToRemove") or []
        retain = params.get("NodeGroupsToRetain") or []
        if remove and retain:
            raise combination("NodeGroupsToRemove and NodeGroupsToRetain cannot both be specified.")
        if not 1 <= count <= MAX_SHARDS:
            raise invalid(f"NodeGroupCount must be between 1 and {MAX_SHARDS}.")
        for shard_id in (*remove, *retain):
            if shard_id not in current:
                raise ServiceError("NodeGroupNotFoundFault", f"The node group {shard_id} was not found.", 404)
        if count < len(current):
            if retain:
                remove = [s for s in current if s not in retain]
            elif not remove:
                remove = current[count:]
            if len(current) - len(remove) != count:
                raise invalid("NodeGroupCount must equal the number of node groups kept.")
        elif remove or retain:
            raise combination(
                "NodeGroupsToRemove and NodeGroupsToRetain apply only when reducing NodeGroupCount."
            )
        adding = max(count - len(current), 0)
        replicas = len(group["shards"][0]["members"]) - 1
        used = {int(s["id"]) for s in group["shards"] if s["id"].isdigit()}
        new_shards: list[dict[str, Any]] = []
        number = 1
        while len(new_shards) < adding:
            if number not in used:
                members = [f"{group_id}-{number:04d}-{n + 1:03d}" for n in range(replicas + 1)]
                if any(self.clusters.get(scope, m) is not None for m in members):
                    raise ServiceError(
                        "CacheClusterAlreadyExists", f"Cache cluster {members[0]} already exists."
                    )
                new_shards.append(
                    {"id": f"{number:04d}", "members": members, "primary": members[0], "slots": []}
                )
            number += 1
        if new_shards:
            sample = self.cluster_row(scope, group["shards"][0]["primary"])
            desc = sample["desc"]
            with self.store.transaction():
                taken: set[int] = set()
                for shard in new_shards:
                    for member in shard["members"]:
                        self._new_member(
                            context, scope, {"TransitEncryptionMode": group["desc"].get("TransitEncryptionMode")},
                            member, shard, desc["Engine"], desc["EngineVersion"], desc["CacheNodeType"],
                            desc["CacheParameterGroup"]["CacheParameterGroupName"], desc.get("CacheSubnetGroupName"),
                            sample.get("password"), bool(sample.get("tls")), sample["admin"], dict(sample.get("tags") or {}),
                            taken,
                        )  # fmt: skip
        self.set_group(scope, group_id, "modifying")
        self.record_event(scope, "replication-group", group_id, "Resharding of the replication group started")
        self.background(
            scope, group_id, partial(self._reshard, scope, group_id, new_shards, remove), "resharding",
            partial(self.group_failed, scope, group_id),
        )  # fmt: skip
        return {"ReplicationGroup": self.render_group(scope, self.group_row(scope, group_id))}

    def _reshard(
        self, scope: str, group_id: str, new_shards: list[dict[str, Any]], remove: list[str]
    ) -> None:
        group = self.group_row(scope, group_id)
        for shard in new_shards:
            for member in shard["members"]:
                self.set_cluster(scope, member, "creating")
                self._run_cluster(scope, member, first=True)
        if new_shards:
            fresh = [m for s in new_shards for m in s["members"]]
            everyone = [self.node_id(scope, m) for m in (*group["members"], *fresh)]
            self.meet(scope, group["members"][0], fresh)
            # Slots can move to a node only once every node knows it (gossip spreads the MEET).
            for member in (*group["members"], *fresh):
                self.wait_known(scope, member, everyone)
            for shard in new_shards:
                primary_id = self.node_id(scope, shard["primary"])
                for member in shard["members"][1:]:
                    self.admin_call(scope, member, "CLUSTER", "REPLICATE", primary_id)
            # A node takes keys only once it sees every slot served (cluster_state:ok).
            self.wait_members_ok(scope, fresh)
        with self.store.transaction():
            group = self.group_row(scope, group_id)
            group["shards"] = group["shards"] + new_shards
            group["members"] = [m for s in group["shards"] for m in s["members"]]
            group["desc"]["MemberClusters"] = list(group["members"])
            self.replication_groups.put(scope, group_id, group)
        kept = [s for s in group["shards"] if s["id"] not in remove]
        owned = {s["id"]: {slot for a, b in s["slots"] for slot in range(a, b + 1)} for s in group["shards"]}
        targets = {
            s["id"]: SLOTS // len(kept) + (1 if i < SLOTS % len(kept) else 0) for i, s in enumerate(kept)
        }
        moves = plan_moves(owned, targets)
        by_id = {s["id"]: s for s in group["shards"]}
        self.move_slots(scope, by_id, moves)
        for shard_id, slots in owned.items():
            by_id[shard_id]["slots"] = [list(r) for r in ranges_of(slots)]
        gone = [m for s in group["shards"] if s["id"] in remove for m in s["members"]]
        if gone:
            gone_ids = [self.node_id(scope, m) for m in gone]
            stay = [m for s in kept for m in s["members"]]
            for member in stay:
                for node_id in gone_ids:
                    try:
                        self.admin_call(scope, member, "CLUSTER", "FORGET", node_id)
                    except Exception:  # already forgotten through gossip
                        pass
            for member in gone:
                self._delete_cluster(scope, member, None)
        with self.store.transaction():
            group = self.group_row(scope, group_id)
            group["shards"] = [
                {**by_id[s["id"]], "primary": s["primary"], "members": s["members"]}
                for s in group["shards"]
                if s["id"] not in remove
            ]
            group["members"] = [m for s in group["shards"] for m in s["members"]]
            group["primary"] = group["shards"][0]["primary"]
            self.replication_groups.put(scope, group_id, group)
        self.wait_cluster_ok(scope, group_id)
        self.set_group(scope, group_id, "available")
        self.record_event(
            scope, "replication-group", group_id, "Resharding of the replication group completed"
        )

    def move_slots(
        self, scope: str, shards: dict[str, dict[str, Any]], moves: list[tuple[int, str, str]]
    ) -> None:
        """Move each (slot, from shard, to shard) with its keys: IMPORTING / MIGRATING, MIGRATE
        the keys in batches, then the slot's new owner announced to both."""
        from overcast.services.elasticache.engines import ADMIN_USER, RespError, admin

        conns: dict[str, Any] = {}
        ids: dict[str, str] = {}

        def conn(shard_id: str) -> Any:
            if shard_id not in conns:
                row = self.cluster_row(scope, shards[shard_id]["primary"])
                conns[shard_id] = admin(row["nodes"][0]["port"], row["admin"], tls=self.tls_for(row))
                ids[shard_id] = _text(conns[shard_id].call("CLUSTER", "MYID"))
            return conns[shard_id]

        def run(shard_id: str, commands: list[tuple[Any, ...]], emptied: bool = False) -> list[Any]:
            replies = conn(shard_id).pipeline(commands)
            for reply in replies:
                # A primary that has given its last slot away becomes a replica of the node
                # that took it (Redis Cluster does so by itself): it has nothing left to announce.
                if isinstance(reply, RespError) and not (emptied and "only with masters" in str(reply)):
                    raise reply
            return replies

        try:
            # By (source, target) pair, in batches: IMPORTING on the target and MIGRATING on
            # the source for the batch, the keys of each slot migrated, then the new owner
            # announced to both — a handful of round trips per batch rather than per slot.
            pairs: dict[tuple[str, str], list[int]] = {}
            for slot, source, target in moves:
                pairs.setdefault((source, target), []).append(slot)
            for (source, target), slots in pairs.items():
                conn(source), conn(target)
                target_row = self.cluster_row(scope, shards[target]["primary"])
                port, password = target_row["nodes"][0]["port"], target_row["admin"]
                for start in range(0, len(slots), BATCH):
                    batch = slots[start : start + BATCH]
                    run(target, [("CLUSTER", "SETSLOT", s, "IMPORTING", ids[source]) for s in batch])
                    run(source, [("CLUSTER", "SETSLOT", s, "MIGRATING", ids[target]) for s in batch])
                    pending = list(batch)
                    while pending:
                        found = run(source, [("CLUSTER", "GETKEYSINSLOT", s, 1000) for s in pending])
                        with_keys = [(s, keys) for s, keys in zip(pending, found, strict=True) if keys]
                        for _, keys in with_keys:
                            conn(source).call(
                                "MIGRATE", "127.0.0.1", port, "", 0, 10000, "REPLACE", "AUTH2", ADMIN_USER,
                                password, "KEYS", *keys,
                            )  # fmt: skip
                        pending = [s for s, _ in with_keys]
                    run(target, [("CLUSTER", "SETSLOT", s, "NODE", ids[target]) for s in batch])
                    run(source, [("CLUSTER", "SETSLOT", s, "NODE", ids[target]) for s in batch], emptied=True)
        finally:
            for c in conns.values():
                c.close()


def plan_moves(owned: dict[str, set[int]], targets: dict[str, int]) -> list[tuple[int, str, str]]:
    """The slot moves that bring each shard to its target count (0 for shards being removed),
    taking the highest slots of the shards with too many; `owned` is updated to the result."""
    surplus: list[tuple[int, str]] = []
    for shard_id, slots in owned.items():
        extra = len(slots) - targets.get(shard_id, 0)
        if extra > 0:
            surplus += [(slot, shard_id) for slot in sorted(slots)[-extra:]]
    moves = []
    surplus.sort()
    for shard_id, target in targets.items():
        while len(owned[shard_id]) < target and surplus:
            slot, source = surplus.pop(0)
            owned[source].discard(slot)
            owned[shard_id].add(slot)
            moves.append((slot, source, shard_id))
    return moves


def ranges_of(slots: set[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for slot in sorted(slots):
        if out and out[-1][1] == slot - 1:
            out[-1] = (out[-1][0], slot)
        else:
            out.append((slot, slot))
    return out
