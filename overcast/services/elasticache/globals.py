"""Global datastores: a primary replication group in one region and secondary ones in others,
each secondary's primary node a real replica (REPLICAOF) of the global primary's primary.
Failover makes a secondary the primary; disassociating makes it stand alone. Global datastores
here have cluster mode disabled (one node group), so resharding them is refused as AWS refuses it
for such datastores."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from overcast.common.arns import build_arn
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.elasticache import catalog
from overcast.services.elasticache.engines import RespError

if TYPE_CHECKING:
    #: What the provider's parts derive from: to the type checker, the whole provider.
    _Base = Any
else:
    _Base = object


def global_prefix(region: str) -> str:
    """The five letters AWS puts before a global datastore's suffix (one per region)."""
    digest = hashlib.sha256(region.encode()).digest()
    return "".join("abcdefghijklmnopqrstuvwxyz"[b % 26] for b in digest[:5])


def not_found(group_id: str) -> ServiceError:
    return ServiceError(
        "GlobalReplicationGroupNotFoundFault", f"Global replication group {group_id} not found.", 404
    )


def bad_state(group_id: str) -> ServiceError:
    return ServiceError(
        "InvalidGlobalReplicationGroupState",
        f"Global replication group {group_id} is not in available state.",
    )


class GlobalMixin(_Base):
    def global_row(self, account: str, group_id: str) -> dict[str, Any]:
        row = self.global_groups.get(account, group_id)
        if row is None:
            raise not_found(group_id)
        return row

    def global_primary_port(self, scope: str, group: dict[str, Any]) -> int | None:
        """For a secondary's primary: the port of the global primary's primary node."""
        found = group.get("global")
        if not found:
            return None
        row = self.global_groups.get(scope.partition("/")[0], found)
        if row is None:
            return None
        for member in row["desc"]["Members"]:
            if member["Role"] == "PRIMARY":
                primary_scope = f"{scope.partition('/')[0]}/{member['ReplicationGroupRegion']}"
                if (
                    primary_scope == scope
                    and member["ReplicationGroupId"] == group["desc"]["ReplicationGroupId"]
                ):
                    return None
                primary_group = self.replication_groups.get(primary_scope, member["ReplicationGroupId"])
                if primary_group is None:
                    return None
                cluster = self.clusters.get(primary_scope, primary_group["primary"])
                return int(cluster["nodes"][0]["port"]) if cluster else None
        return None

    def render_global(self, row: dict[str, Any], members: bool = True) -> dict[str, Any]:
        desc = dict(row["desc"])
        if not members:
            desc.pop("Members", None)
        return desc

    def create_global_replication_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        primary_id = params["PrimaryReplicationGroupId"].lower()
        group = self.group_row(scope, primary_id)
        if group.get("global"):
            raise ServiceError(
                "InvalidReplicationGroupState",
                f"Replication group {primary_id} already belongs to a global datastore.",
            )
        if group["desc"]["Status"] != "available":
            raise ServiceError(
                "InvalidReplicationGroupState", f"Replication group {primary_id} is not available."
            )
        group_id = f"{global_prefix(context.region)}-{params['GlobalReplicationGroupIdSuffix']}"
        primary_cluster = self.cluster_row(scope, group["primary"])
        cdesc = primary_cluster["desc"]
        desc = {
            "GlobalReplicationGroupId": group_id,
            "GlobalReplicationGroupDescription": params.get("GlobalReplicationGroupDescription") or " ",
            "Status": "primary-only",
            "CacheNodeType": cdesc["CacheNodeType"],
            "Engine": cdesc["Engine"],
            "EngineVersion": cdesc["EngineVersion"],
            "Members": [
                {
                    "ReplicationGroupId": primary_id,
                    "ReplicationGroupRegion": context.region,
                    "Role": "PRIMARY",
                    "AutomaticFailover": group["desc"]["AutomaticFailover"],
                    "Status": "associated",
                }
            ],
            "ClusterEnabled": False,
            "GlobalNodeGroups": [{"GlobalNodeGroupId": f"{group_id}-0001", "Slots": "0-16383"}],
            "AuthTokenEnabled": bool(group["desc"].get("AuthTokenEnabled")),
            "TransitEncryptionEnabled": bool(group["desc"].get("TransitEncryptionEnabled")),
            "AtRestEncryptionEnabled": bool(group["desc"].get("AtRestEncryptionEnabled")),
            "ARN": build_arn("elasticache", context.region, context.account, f"globalreplicationgroup:{group_id}")
            .replace(f":{context.region}:", "::"),
        }  # fmt: skip
        with self.store.transaction():
            if self.global_groups.get(context.account, group_id) is not None:
                raise ServiceError(
                    "GlobalReplicationGroupAlreadyExistsFault",
                    f"Global replication group {group_id} already exists.",
                )
            self.global_groups.put(context.account, group_id, {"desc": desc, "tags": self.tags_from(params)})
            self.set_group(scope, primary_id, _global=group_id)
            self.set_group(scope, primary_id, GlobalReplicationGroupInfo={
                "GlobalReplicationGroupId": group_id, "GlobalReplicationGroupMemberRole": "PRIMARY",
            })  # fmt: skip
        self.record_event(scope, "replication-group", primary_id, f"Global datastore {group_id} created")
        return {"GlobalReplicationGroup": desc}

    def join_global(self, context: RequestContext, group_id: str, global_id: str) -> dict[str, Any]:
        """A new replication group joins a global datastore as a secondary: its settings."""
        row = self.global_row(context.account, global_id)
        if any(m["ReplicationGroupRegion"] == context.region for m in row["desc"]["Members"]):
            raise ServiceError(
                "InvalidGlobalReplicationGroupState",
                f"Global replication group {global_id} already has a member in {context.region}.",
            )
        return row["desc"]

    def joined_global(self, context: RequestContext, group_id: str, global_id: str, failover: str) -> None:
        with self.store.transaction():
            row = self.global_row(context.account, global_id)
            row["desc"]["Members"].append(
                {
                    "ReplicationGroupId": group_id,
                    "ReplicationGroupRegion": context.region,
                    "Role": "SECONDARY",
                    "AutomaticFailover": failover,
                    "Status": "associated",
                }
            )
            row["desc"]["Status"] = "available"
            self.global_groups.put(context.account, global_id, row)

    def describe_global_replication_groups(self, context: RequestContext, params: dict) -> dict:
        rows = [row for _, row in self.global_groups.scan(context.account)]
        if params.get("GlobalReplicationGroupId"):
            rows = [self.global_row(context.account, params["GlobalReplicationGroupId"])]
        show = bool(params.get("ShowMemberInfo"))
        return self.page(
            "DescribeGlobalReplicationGroups", params, [self.render_global(r, show) for r in rows]
        )

    def modify_global_replication_group(self, context: RequestContext, params: dict) -> dict:
        global_id = params["GlobalReplicationGroupId"]
        with self.store.transaction():
            row = self.global_row(context.account, global_id)
            desc = row["desc"]
            if params.get("GlobalReplicationGroupDescription") is not None:
                desc["GlobalReplicationGroupDescription"] = params["GlobalReplicationGroupDescription"]
            if params.get("CacheNodeType"):
                desc["CacheNodeType"] = catalog.check_node_type(params["CacheNodeType"])
            if params.get("EngineVersion"):
                desc["EngineVersion"] = catalog.resolve_version(desc["Engine"], params["EngineVersion"])
            if params.get("AutomaticFailoverEnabled") is not None:
                for member in desc["Members"]:
                    member["AutomaticFailover"] = (
                        "enabled" if params["AutomaticFailoverEnabled"] else "disabled"
                    )
            self.global_groups.put(context.account, global_id, row)
        return {"GlobalReplicationGroup": desc}

    def delete_global_replication_group(self, context: RequestContext, params: dict) -> dict:
        global_id = params["GlobalReplicationGroupId"]
        row = self.global_row(context.account, global_id)
        if len(row["desc"]["Members"]) > 1:
            raise ServiceError(
                "InvalidGlobalReplicationGroupState",
                f"Global replication group {global_id} still has secondary members: disassociate them first.",
            )
        if not params.get("RetainPrimaryReplicationGroup"):
            raise ServiceError(
                "InvalidParameterValue", "RetainPrimaryReplicationGroup must be true: the primary is kept."
            )
        for member in row["desc"]["Members"]:
            scope = f"{context.account}/{member['ReplicationGroupRegion']}"
            self.set_group(scope, member["ReplicationGroupId"], _global=None, GlobalReplicationGroupInfo={})
        with self.store.transaction():
            self.global_groups.delete(context.account, global_id)
        return {"GlobalReplicationGroup": dict(row["desc"], Status="deleting")}

    def disassociate_global_replication_group(self, context: RequestContext, params: dict) -> dict:
        global_id = params["GlobalReplicationGroupId"]
        group_id = params["ReplicationGroupId"].lower()
        region = params["ReplicationGroupRegion"]
        row = self.global_row(context.account, global_id)
        member = next(
            (m for m in row["desc"]["Members"] if m["ReplicationGroupId"] == group_id and m["ReplicationGroupRegion"] == region),
            None,
        )  # fmt: skip
        if member is None:
            raise ServiceError(
                "InvalidParameterValue",
                f"Replication group {group_id} in {region} is not a member of {global_id}.",
            )
        if member["Role"] == "PRIMARY":
            raise ServiceError(
                "InvalidParameterValue", "The primary replication group cannot be disassociated."
            )
        scope = f"{context.account}/{region}"
        group = self.group_row(scope, group_id)
        self.set_group(scope, group_id, _global=None, GlobalReplicationGroupInfo={})
        try:
            self.admin_call(scope, group["primary"], "REPLICAOF", "NO", "ONE")
        except RespError as error:
            self.record_event(scope, "replication-group", group_id, f"Could not stop replicating: {error}")
        with self.store.transaction():
            row = self.global_row(context.account, global_id)
            row["desc"]["Members"] = [
                m for m in row["desc"]["Members"]
                if not (m["ReplicationGroupId"] == group_id and m["ReplicationGroupRegion"] == region)
            ]  # fmt: skip
            if len(row["desc"]["Members"]) == 1:
                row["desc"]["Status"] = "primary-only"
            self.global_groups.put(context.account, global_id, row)
        self.record_event(
            scope, "replication-group", group_id, f"Disassociated from global datastore {global_id}"
        )
        return {"GlobalReplicationGroup": row["desc"]}

    def failover_global_replication_group(self, context: RequestContext, params: dict) -> dict:
        global_id = params["GlobalReplicationGroupId"]
        group_id = params["PrimaryReplicationGroupId"].lower()
        region = params["PrimaryRegion"]
        row = self.global_row(context.account, global_id)
        members = row["desc"]["Members"]
        target = next(
            (
                m
                for m in members
                if m["ReplicationGroupId"] == group_id and m["ReplicationGroupRegion"] == region
            ),
            None,
        )
        if target is None:
            raise ServiceError(
                "InvalidParameterValue",
                f"Replication group {group_id} in {region} is not a member of {global_id}.",
            )
        if target["Role"] == "PRIMARY":
            raise ServiceError(
                "InvalidParameterValue", f"Replication group {group_id} is already the primary."
            )
        old = next(m for m in members if m["Role"] == "PRIMARY")
        new_scope = f"{context.account}/{region}"
        old_scope = f"{context.account}/{old['ReplicationGroupRegion']}"
        new_group = self.group_row(new_scope, group_id)
        self.admin_call(new_scope, new_group["primary"], "REPLICAOF", "NO", "ONE")
        with self.store.transaction():
            row = self.global_row(context.account, global_id)
            for member in row["desc"]["Members"]:
                chosen = (
                    member["ReplicationGroupId"] == group_id and member["ReplicationGroupRegion"] == region
                )
                member["Role"] = "PRIMARY" if chosen else "SECONDARY"
            self.global_groups.put(context.account, global_id, row)
        new_port = self.cluster_row(new_scope, new_group["primary"])["nodes"][0]["port"]
        for member in row["desc"]["Members"]:
            if member["Role"] != "SECONDARY":
                continue
            scope = f"{context.account}/{member['ReplicationGroupRegion']}"
            group = self.group_row(scope, member["ReplicationGroupId"])
            try:
                self.admin_call(scope, group["primary"], "REPLICAOF", "127.0.0.1", str(new_port))
            except RespError as error:
                self.record_event(
                    scope, "replication-group", member["ReplicationGroupId"], f"Could not follow: {error}"
                )
            self.set_group(scope, member["ReplicationGroupId"], GlobalReplicationGroupInfo={
                "GlobalReplicationGroupId": global_id, "GlobalReplicationGroupMemberRole": "SECONDARY",
            })  # fmt: skip
        self.set_group(new_scope, group_id, GlobalReplicationGroupInfo={
            "GlobalReplicationGroupId": global_id, "GlobalReplicationGroupMemberRole": "PRIMARY",
        })  # fmt: skip
        self.record_event(
            old_scope,
            "replication-group",
            old["ReplicationGroupId"],
            f"Global datastore {global_id} failed over to {group_id} in {region}",
        )
        return {"GlobalReplicationGroup": row["desc"]}

    def _cluster_mode_only(self, context: RequestContext, params: dict) -> dict:
        global_id = params["GlobalReplicationGroupId"]
        self.global_row(context.account, global_id)
        raise ServiceError(
            "InvalidParameterValue",
            f"Global replication group {global_id} has cluster mode disabled: its node groups cannot be changed.",
        )

    def increase_node_groups_in_global_replication_group(self, context: RequestContext, params: dict) -> dict:
        return self._cluster_mode_only(context, params)

    def decrease_node_groups_in_global_replication_group(self, context: RequestContext, params: dict) -> dict:
        return self._cluster_mode_only(context, params)

    def rebalance_slots_in_global_replication_group(self, context: RequestContext, params: dict) -> dict:
        return self._cluster_mode_only(context, params)
