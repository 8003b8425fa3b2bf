"""DynamoDB global tables, both versions. Mixed into the Provider.

A global table is a group of same-named tables in several regions of one account. Each member's
record holds the group (`replica_group`: region → that replica's settings) and its version; its
Schema lists the other members' scopes, and every write to a member is applied to the others in
the same store transaction (provider.py `_apply`), with their own indexes and stream records.

Version 2019.11.21 grows and shrinks the group with UpdateTable's ReplicaUpdates, creating (and
deleting) the replica tables itself. Version 2017.11.29 (CreateGlobalTable, UpdateGlobalTable)
joins tables the caller created in each region, and has a record of its own per account.
"""

from __future__ import annotations

import functools
import time
import uuid
from typing import TYPE_CHECKING, Any

from overcast.common.arns import build_arn, partition
from overcast.common.times import iso_millis
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.dynamodb.kmskeys import sse_description
from overcast.services.dynamodb.rows import unpack
from overcast.services.dynamodb.schema import SEPARATOR
from overcast.services.dynamodb.values import invalid, validation
from overcast.store import scope as make_scope

if TYPE_CHECKING:
    from overcast.services.dynamodb.provider import Provider

CURRENT, LEGACY = "2019.11.21", "2017.11.29"
NOT_IN_GROUP = (
    "Update global table operation failed because one or more replicas were not part of the global table."
)
#: What a replica's entry in DescribeTable's Replicas carries, from its settings.
REPLICA_SETTINGS = ("KMSMasterKeyId", "ProvisionedThroughputOverride", "OnDemandThroughputOverride")


def global_not_found(name: str) -> ServiceError:
    return ServiceError("GlobalTableNotFoundException", f"Global table not found: {name}", 400)


def region_of(scope: str) -> str:
    return scope.partition("/")[2]


class GlobalTablesMixin:
    # -- the group ------------------------------------------------------------------------------

    def _member_scopes(self: Provider, account: str, group: dict) -> list[tuple[str, str]]:  # type: ignore[misc]
        return [(make_scope(account, region), region) for region in group]

    def _set_group(self: Provider, account: str, name: str, group: dict, version: str) -> None:  # type: ignore[misc]
        """Write the group to every member's record; a table left alone is no longer global."""
        for scope, _region in self._member_scopes(account, group):
            record = self._tables.get(scope, name)
            if record is None:
                continue
            record = dict(record)
            if len(group) > 1:
                record["replica_group"] = group
                record["global_version"] = version
            else:
                record.pop("replica_group", None)
                record.pop("global_version", None)
            self._save(scope, record)

    def _replicas_of(self: Provider, record: dict, own_region: str) -> list[dict]:  # type: ignore[misc]
        group = record.get("replica_group") or {}
        account = record["TableArn"].split(":")[4]
        out = []
        for region, settings in sorted(group.items()):
            if region == own_region:
                continue
            entry = {"RegionName": region, "ReplicaStatus": "ACTIVE"}
            entry.update({k: settings[k] for k in REPLICA_SETTINGS if settings.get(k) is not None})
            if settings.get("TableClassOverride"):
                entry["ReplicaTableClassSummary"] = {"TableClass": settings["TableClassOverride"]}
            entry["ReplicaArn"] = build_arn("dynamodb", region, account, f"table/{record['TableName']}")
            out.append(entry)
        return out

    def _ensure_stream(self: Provider, context: RequestContext, scope: str, record: dict) -> dict:  # type: ignore[misc]
        """Replication rides on the table's stream: turn one on (NEW_AND_OLD_IMAGES) if it is off."""
        stream = record.get("stream")
        if stream and stream.get("enabled"):
            return record
        arn = record["TableArn"]
        settings = self._stream_settings(
            context, arn, {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        )
        assert settings is not None
        record = {**record, "stream": settings}
        self.streams.open_stream(scope, record, settings)
        return record

    def _index_items(self: Provider, scope: str, name: str) -> None:  # type: ignore[misc]
        """Write the index entries of every item of a table whose rows were copied in (a copy
        is no change of the items: it leaves no stream record)."""
        schema = self.schema(scope, name)
        if schema is None or not schema.indexes:
            return
        after = None
        while True:
            rows = list(self._items.scan(scope, prefix=schema.storage, start_after=after, limit=500))
            with self.store.transaction():
                for _key, (size, body) in rows:
                    item = unpack(body)
                    for index in schema.indexes.values():
                        entry = index.entry_key(item, schema)
                        if entry is not None:
                            self._put(
                                scope,
                                entry,
                                index.project(item, schema),
                                size if index.projection == "ALL" else None,
                            )
            if len(rows) < 500:
                return
            after = rows[-1][0]

    # -- version 2019.11.21: UpdateTable ReplicaUpdates -------------------------------------------

    def _update_replicas(  # type: ignore[misc]
        self: Provider, context: RequestContext, scope: str, record: dict, updates: list
    ) -> None:
        if record.get("global_version") == LEGACY:
            raise validation(
                "One or more parameter values were invalid: Replica updates are not supported for a global table"
                f" of version {LEGACY}; use UpdateGlobalTable"
            )
        for update in updates:
            kinds = [k for k in ("Create", "Update", "Delete") if update.get(k) is not None]
            if len(kinds) != 1:
                raise validation(
                    "One or more parameter values were invalid: exactly one of Create, Update or Delete"
                )
            record = self._require(scope, record["TableName"])
            spec = update[kinds[0]]
            region = spec["RegionName"]
            group = dict(record.get("replica_group") or {context.region: {}})
            if kinds[0] == "Create":
                self._create_replica(context, scope, record, region, spec, group)
            elif region not in group:
                raise validation(NOT_IN_GROUP)
            elif kinds[0] == "Update":
                group[region] = {**group[region], **{k: v for k, v in spec.items() if k != "RegionName"}}
                self._set_group(context.account, record["TableName"], group, CURRENT)
            else:
                self._delete_replica(context, record["TableName"], region, group)

    def _create_replica(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        scope: str,
        record: dict,
        region: str,
        spec: dict,
        group: dict,
    ) -> None:
        name = record["TableName"]
        target = make_scope(context.account, region)
        if region in group or self._tables.get(target, name) is not None:
            raise validation(
                f"Failed to create a the new replica of table with name: '{name}' because one or more replicas"
                " already existed as tables."
            )
        if region not in _regions(context.region):
            raise validation(f"One or more parameter values were invalid: Invalid region name: {region}")
        with self.store.transaction():
            record = self._ensure_stream(context, scope, record)
            self._save(scope, record)
            replica = self._replica_record(context, record, region, spec)
            replica["stream"] = self._stream_settings(
                context, replica["TableArn"], {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
            )
            self.streams.open_stream(target, replica, replica["stream"])
            self._save(target, replica)
        self._copy_rows(scope, record["storage"] + SEPARATOR, replica["storage"] + SEPARATOR, target)
        self._index_items(target, name)
        group[region] = {k: v for k, v in spec.items() if k != "RegionName"}
        self._set_group(context.account, name, group, CURRENT)

    def _replica_record(  # type: ignore[misc]
        self: Provider, context: RequestContext, record: dict, region: str, spec: dict
    ) -> dict:
        """A new table in `region` shaped like `record` (its keys, indexes, billing, class)."""
        now = time.time()
        table_id = str(uuid.uuid4())
        arn = build_arn("dynamodb", region, context.account, f"table/{record['TableName']}")
        replica = {
            key: record[key]
            for key in (
                "AttributeDefinitions",
                "KeySchema",
                "billing",
                "throughput",
                "key_layout",
                "table_class",
            )
            if key in record
        }
        replica.update(
            {
                "TableName": record["TableName"],
                "TableStatus": "ACTIVE",
                "CreationDateTime": now,
                "TableArn": arn,
                "TableId": table_id,
                "DeletionProtectionEnabled": False,
                "billing_changed": now,
                "storage": table_id.replace("-", ""),
                "tags": {},
                "ttl": record.get("ttl"),
                "pitr": False,
            }
        )
        if spec.get("TableClassOverride"):
            replica["table_class"] = spec["TableClassOverride"]
        for kind in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes"):
            if record.get(kind):
                replica[kind] = [
                    {**index, "IndexArn": f"{arn}/index/{index['IndexName']}", "storage": uuid.uuid4().hex}
                    for index in record[kind]
                ]
        if spec.get("KMSMasterKeyId") or record.get("sse"):
            replica["sse"] = sse_description(
                self.runtime, context.account, region, spec.get("KMSMasterKeyId")
            )
        return replica

    def _delete_replica(self: Provider, context: RequestContext, name: str, region: str, group: dict) -> None:  # type: ignore[misc]
        target = make_scope(context.account, region)
        record = self._tables.get(target, name)
        group = {r: s for r, s in group.items() if r != region}
        if record is not None:
            self._drop_table(target, record)
        self._set_group(context.account, name, group, CURRENT)

    def _leave_group(self: Provider, scope: str, record: dict) -> None:  # type: ignore[misc]
        """A member table is being deleted: the others carry on without it."""
        group = record.get("replica_group")
        if not group:
            return
        region = region_of(scope)
        account = scope.partition("/")[0]
        rest = {r: s for r, s in group.items() if r != region}
        self._set_group(account, record["TableName"], rest, record.get("global_version") or CURRENT)
        if record.get("global_version") == LEGACY:
            saved = self._globals.get(make_scope(account), record["TableName"])
            if saved is not None:
                self._globals.put(
                    make_scope(account), record["TableName"], {**saved, "regions": sorted(rest)}
                )

    # -- version 2017.11.29 ---------------------------------------------------------------------

    def _global(self: Provider, context: RequestContext, name: str) -> dict:  # type: ignore[misc]
        found = self._globals.get(make_scope(context.account), name)
        if found is None:
            raise global_not_found(name)
        return found

    def _global_description(self: Provider, context: RequestContext, found: dict) -> dict:  # type: ignore[misc]
        group = []
        for region in found["regions"]:
            entry: dict[str, Any] = {"RegionName": region, "ReplicaStatus": "ACTIVE"}
            table = self._tables.get(make_scope(context.account, region), found["name"])
            if table is not None:
                entry["ReplicaArn"] = table["TableArn"]
            group.append(entry)
        return {
            "ReplicationGroup": group,
            "GlobalTableArn": found["arn"],
            "CreationDateTime": found["created"],
            "GlobalTableStatus": "ACTIVE",
            "GlobalTableName": found["name"],
        }

    def _check_legacy_member(self: Provider, context: RequestContext, name: str, region: str) -> None:  # type: ignore[misc]
        table = self._tables.get(make_scope(context.account, region), name)
        if table is None:
            raise ServiceError("TableNotFoundException", f"Table not found: {name} in region {region}", 400)
        stream = table.get("stream")
        if not stream or not stream.get("enabled") or stream["view"] != "NEW_AND_OLD_IMAGES":
            raise validation(
                f"One or more parameter values were invalid: Table: {name} in region {region} must have"
                " DynamoDB Streams enabled with StreamViewType set to NEW_AND_OLD_IMAGES"
            )
        if table.get("replica_group"):
            raise ServiceError(
                "GlobalTableAlreadyExistsException",
                f"Table {name} in region {region} is already a replica",
                400,
            )

    def create_global_table(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["GlobalTableName"]
        if self._globals.get(make_scope(context.account), name) is not None:
            raise ServiceError(
                "GlobalTableAlreadyExistsException", "Global table with this name already exists", 400
            )
        if any(not r.get("RegionName") for r in params["ReplicationGroup"]):
            raise validation("One or more parameter values were invalid: Every replica needs a RegionName")
        regions = sorted({r["RegionName"] for r in params["ReplicationGroup"]})
        for region in regions:
            self._check_legacy_member(context, name, region)
        for region in regions:
            scope = make_scope(context.account, region)
            if self._items.count(scope, self._tables.get(scope, name)["storage"] + SEPARATOR):
                raise validation(
                    f"One or more parameter values were invalid: Table: {name} in region {region} is not empty"
                )
        found = {
            "name": name,
            "arn": build_arn("dynamodb", "", context.account, f"global-table/{name}", global_service=True),
            "created": time.time(),
            "regions": regions,
        }
        with self.store.transaction():
            self._globals.put(make_scope(context.account), name, found)
            self._set_group(context.account, name, {r: {} for r in regions}, LEGACY)
        return {"GlobalTableDescription": self._global_description(context, found)}

    def describe_global_table(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {
            "GlobalTableDescription": self._global_description(
                context, self._global(context, params["GlobalTableName"])
            )
        }

    def update_global_table(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        found = self._global(context, params["GlobalTableName"])
        name = found["name"]
        regions = set(found["regions"])
        for update in params["ReplicaUpdates"]:
            if update.get("Create"):
                region = update["Create"]["RegionName"]
                if region in regions:
                    raise ServiceError(
                        "ReplicaAlreadyExistsException", f"Replica already exists in region {region}", 400
                    )
                self._check_legacy_member(context, name, region)
                regions.add(region)
            elif update.get("Delete"):
                region = update["Delete"]["RegionName"]
                if region not in regions:
                    raise ServiceError(
                        "ReplicaNotFoundException", f"Replica not found in region {region}", 400
                    )
                regions.discard(region)
        found = {**found, "regions": sorted(regions)}
        with self.store.transaction():
            self._globals.put(make_scope(context.account), name, found)
            # Tables that left the group stand alone again; the rest share the new group.
            for region in set(params_regions(params, "Delete")):
                self._set_group(context.account, name, {region: {}}, LEGACY)
            self._set_group(context.account, name, {r: {} for r in regions}, LEGACY)
        return {"GlobalTableDescription": self._global_description(context, found)}

    def list_global_tables(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        limit = params.get("Limit") or 100
        if limit > 100:
            raise validation(
                f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must"
                " have value less than or equal to 100"
            )
        region = params.get("RegionName")
        found = []
        for name, entry in self._globals.scan(
            make_scope(context.account), start_after=params.get("ExclusiveStartGlobalTableName")
        ):
            if region is not None and region not in entry["regions"]:
                continue
            found.append(
                {"GlobalTableName": name, "ReplicationGroup": [{"RegionName": r} for r in entry["regions"]]}
            )
            if len(found) > limit:
                break
        out: dict = {"GlobalTables": found[:limit]}
        if len(found) > limit:
            out["LastEvaluatedGlobalTableName"] = found[limit - 1]["GlobalTableName"]
        return out

    def _replica_settings(self: Provider, context: RequestContext, name: str, region: str) -> dict:  # type: ignore[misc]
        table = self._tables.get(make_scope(context.account, region), name)
        out: dict[str, Any] = {"RegionName": region, "ReplicaStatus": "ACTIVE"}
        if table is None:
            return out
        billing = {"BillingMode": table["billing"]}
        if table["billing"] == "PAY_PER_REQUEST":
            billing["LastUpdateToPayPerRequestDateTime"] = table["billing_changed"]
        out["ReplicaBillingModeSummary"] = billing
        throughput = table.get("throughput") or {}
        out["ReplicaProvisionedReadCapacityUnits"] = throughput.get("ReadCapacityUnits", 0)
        out["ReplicaProvisionedWriteCapacityUnits"] = throughput.get("WriteCapacityUnits", 0)
        gsis = []
        for index in table.get("GlobalSecondaryIndexes") or ():
            index_throughput = index.get("throughput") or {}
            gsis.append(
                {
                    "IndexName": index["IndexName"],
                    "IndexStatus": index.get("IndexStatus", "ACTIVE"),
                    "ProvisionedReadCapacityUnits": index_throughput.get("ReadCapacityUnits", 0),
                    "ProvisionedWriteCapacityUnits": index_throughput.get("WriteCapacityUnits", 0),
                }
            )
        if gsis:
            out["ReplicaGlobalSecondaryIndexSettings"] = gsis
        if table.get("table_class"):
            out["ReplicaTableClassSummary"] = {"TableClass": table["table_class"]}
        return out

    def describe_global_table_settings(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        found = self._global(context, params["GlobalTableName"])
        return {
            "GlobalTableName": found["name"],
            "ReplicaSettings": [self._replica_settings(context, found["name"], r) for r in found["regions"]],
        }

    def update_global_table_settings(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        found = self._global(context, params["GlobalTableName"])
        name = found["name"]
        by_region = {u["RegionName"]: u for u in params.get("ReplicaSettingsUpdate") or ()}
        unknown = [r for r in by_region if r not in found["regions"]]
        if unknown:
            raise ServiceError("ReplicaNotFoundException", f"Replica not found in region {unknown[0]}", 400)
        billing = params.get("GlobalTableBillingMode")
        write_units = params.get("GlobalTableProvisionedWriteCapacityUnits")
        index_writes = {
            u["IndexName"]: u for u in params.get("GlobalTableGlobalSecondaryIndexSettingsUpdate") or ()
        }
        with self.store.transaction():
            for region in found["regions"]:
                scope = make_scope(context.account, region)
                table = self._tables.get(scope, name)
                if table is None:
                    continue
                table = dict(table)
                if billing is not None and billing != table["billing"]:
                    table["billing"] = billing
                    table["billing_changed"] = time.time()
                    table["billing_switched"] = True
                    if billing == "PAY_PER_REQUEST":
                        table["throughput"] = None
                throughput = dict(
                    table.get("throughput") or {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0}
                )
                if write_units is not None:
                    throughput["WriteCapacityUnits"] = write_units
                update = by_region.get(region) or {}
                if update.get("ReplicaProvisionedReadCapacityUnits") is not None:
                    throughput["ReadCapacityUnits"] = update["ReplicaProvisionedReadCapacityUnits"]
                if table["billing"] == "PROVISIONED":
                    table["throughput"] = throughput
                if update.get("ReplicaTableClass"):
                    table["table_class"] = update["ReplicaTableClass"]
                gsis = [dict(i) for i in table.get("GlobalSecondaryIndexes") or ()]
                names = {i["IndexName"] for i in gsis}
                replica_reads = {
                    u["IndexName"]: u for u in update.get("ReplicaGlobalSecondaryIndexSettingsUpdate") or ()
                }
                missing = [n for n in (*index_writes, *replica_reads) if n not in names]
                if missing:
                    raise ServiceError(
                        "IndexNotFoundException",
                        f"Requested resource not found: Index: {missing[0]} not found",
                        400,
                    )
                for index in gsis:
                    index_throughput = dict(
                        index.get("throughput") or {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0}
                    )
                    write = index_writes.get(index["IndexName"], {}).get("ProvisionedWriteCapacityUnits")
                    read = replica_reads.get(index["IndexName"], {}).get("ProvisionedReadCapacityUnits")
                    if write is not None:
                        index_throughput["WriteCapacityUnits"] = write
                    if read is not None:
                        index_throughput["ReadCapacityUnits"] = read
                    if table["billing"] == "PROVISIONED":
                        index["throughput"] = index_throughput
                    else:
                        index.pop("throughput", None)
                if gsis:
                    table["GlobalSecondaryIndexes"] = gsis
                self._save(scope, table)
        return {
            "GlobalTableName": name,
            "ReplicaSettings": [self._replica_settings(context, name, r) for r in found["regions"]],
        }

    # -- replica auto scaling -------------------------------------------------------------------

    def _scaling(self: Provider, settings: dict | None) -> dict:  # type: ignore[misc]
        return dict(settings) if settings else {"AutoScalingDisabled": True}

    def describe_table_replica_auto_scaling(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        record = self._require(scope, params["TableName"])
        return {"TableAutoScalingDescription": self._auto_scaling(context, record)}

    def _auto_scaling(self: Provider, context: RequestContext, record: dict) -> dict:  # type: ignore[misc]
        replicas = []
        group = record.get("replica_group") or {}
        scaling = record.get("autoscaling") or {}
        for region in sorted(group):
            table = self._tables.get(make_scope(context.account, region), record["TableName"])
            if table is None:
                continue
            own = scaling.get(region) or {}
            replicas.append(
                {
                    "RegionName": region,
                    "ReplicaStatus": "ACTIVE",
                    "ReplicaProvisionedReadCapacityAutoScalingSettings": self._scaling(own.get("read")),
                    "ReplicaProvisionedWriteCapacityAutoScalingSettings": self._scaling(scaling.get("write")),
                    "GlobalSecondaryIndexes": [
                        {
                            "IndexName": index["IndexName"],
                            "IndexStatus": index.get("IndexStatus", "ACTIVE"),
                            "ProvisionedReadCapacityAutoScalingSettings": self._scaling(
                                (own.get("indexes") or {}).get(index["IndexName"])
                            ),
                            "ProvisionedWriteCapacityAutoScalingSettings": self._scaling(
                                (scaling.get("index_writes") or {}).get(index["IndexName"])
                            ),
                        }
                        for index in table.get("GlobalSecondaryIndexes") or ()
                    ],
                }
            )
        return {"TableName": record["TableName"], "TableStatus": record["TableStatus"], "Replicas": replicas}

    def update_table_replica_auto_scaling(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        record = self._require(scope, params["TableName"])
        if record["billing"] != "PROVISIONED":
            raise validation(
                "One or more parameter values were invalid: Auto scaling applies only to tables in PROVISIONED"
                " billing mode"
            )
        group = record.get("replica_group") or {context.region: {}}
        scaling = {k: v for k, v in (record.get("autoscaling") or {}).items()}
        if params.get("ProvisionedWriteCapacityAutoScalingUpdate"):
            scaling["write"] = _scaling_update(params["ProvisionedWriteCapacityAutoScalingUpdate"])
        index_names = {i["IndexName"] for i in record.get("GlobalSecondaryIndexes") or ()}
        for update in params.get("GlobalSecondaryIndexUpdates") or ():
            if update["IndexName"] not in index_names:
                raise ServiceError(
                    "ResourceNotFoundException",
                    f"Requested resource not found: Index: {update['IndexName']} not found",
                    400,
                )
            if update.get("ProvisionedWriteCapacityAutoScalingUpdate"):
                writes = dict(scaling.get("index_writes") or {})
                writes[update["IndexName"]] = _scaling_update(
                    update["ProvisionedWriteCapacityAutoScalingUpdate"]
                )
                scaling["index_writes"] = writes
        for update in params.get("ReplicaUpdates") or ():
            region = update["RegionName"]
            if region not in group:
                raise validation(NOT_IN_GROUP)
            own = dict(scaling.get(region) or {})
            if update.get("ReplicaProvisionedReadCapacityAutoScalingUpdate"):
                own["read"] = _scaling_update(update["ReplicaProvisionedReadCapacityAutoScalingUpdate"])
            for index_update in update.get("ReplicaGlobalSecondaryIndexUpdates") or ():
                if index_update["IndexName"] not in index_names:
                    raise ServiceError(
                        "ResourceNotFoundException",
                        f"Requested resource not found: Index: {index_update['IndexName']} not found",
                        400,
                    )
                if index_update.get("ProvisionedReadCapacityAutoScalingUpdate"):
                    indexes = dict(own.get("indexes") or {})
                    indexes[index_update["IndexName"]] = _scaling_update(
                        index_update["ProvisionedReadCapacityAutoScalingUpdate"]
                    )
                    own["indexes"] = indexes
            scaling[region] = own
        record = {**record, "autoscaling": scaling}
        self._save(scope, record)
        if record.get("replica_group"):
            # Every replica answers the same settings.
            for member_scope, _region in self._member_scopes(context.account, group):
                if member_scope != scope and (member := self._tables.get(member_scope, record["TableName"])):
                    self._save(member_scope, {**member, "autoscaling": scaling})
        return {"TableAutoScalingDescription": self._auto_scaling(context, record)}


def _scaling_update(update: dict) -> dict:
    """An AutoScalingSettingsUpdate as the AutoScalingSettingsDescription it becomes."""
    minimum, maximum = update.get("MinimumUnits"), update.get("MaximumUnits")
    if minimum is not None and maximum is not None and minimum > maximum:
        raise invalid("MinimumUnits must be less than or equal to MaximumUnits")
    out: dict[str, Any] = {
        k: update[k]
        for k in ("MinimumUnits", "MaximumUnits", "AutoScalingDisabled", "AutoScalingRoleArn")
        if k in update
    }
    out.setdefault("AutoScalingDisabled", False)
    policy = update.get("ScalingPolicyUpdate")
    if policy:
        out["ScalingPolicies"] = [
            {
                "PolicyName": policy.get("PolicyName") or f"DynamoDBReadCapacityUtilization-{iso_millis()}",
                "TargetTrackingScalingPolicyConfiguration": policy[
                    "TargetTrackingScalingPolicyConfiguration"
                ],
            }
        ]
    return out


def params_regions(params: dict, kind: str) -> list[str]:
    return [u[kind]["RegionName"] for u in params.get("ReplicaUpdates") or () if u.get(kind)]


@functools.lru_cache(maxsize=8)
def _regions(near: str) -> frozenset[str]:
    """The regions of the partition `near` is in, from botocore's endpoint data."""
    import botocore.session

    session = botocore.session.get_session()
    name = partition(near)
    regions = frozenset(session.get_available_regions("dynamodb", partition_name=name))
    return regions or frozenset({near})
