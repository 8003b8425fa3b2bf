"""DynamoDB's on-demand backups and point-in-time recovery. Mixed into the Provider.

A backup copies the table's item rows, as they are, under its own storage prefix of the items
table, with the table's record beside it in the "backups" table; a restore copies them under a
new table's prefix and indexes them. Point-in-time recovery keeps, only while it is enabled, a
history of each change (`<table storage>|<time><sequence>` → the key and the row it replaced) in
the "history" table, trimmed to the recovery window: restoring to a time takes the current rows
and puts back, for each key changed since, the row the first later change replaced.
"""

from __future__ import annotations

import itertools
import time
import uuid
from typing import TYPE_CHECKING, Any

from overcast.common.arns import build_arn
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.dynamodb.kmskeys import sse_description
from overcast.services.dynamodb.rows import pack
from overcast.services.dynamodb.schema import SEPARATOR, build
from overcast.services.dynamodb.values import item_size, validation
from overcast.store import scope as make_scope

if TYPE_CHECKING:
    from overcast.services.dynamodb.provider import Provider

COPY_BATCH = 500
#: Days a deleted table's SYSTEM backup is kept when its recovery period is not known.
SYSTEM_BACKUP_DAYS = 35
_sequence = itertools.count()


def backup_not_found(arn: str) -> ServiceError:
    return ServiceError("BackupNotFoundException", f"Backup not found: {arn}", 400)


def table_exists(name: str) -> ServiceError:
    return ServiceError("TableAlreadyExistsException", f"Table already exists: {name}", 400)


def history_key(storage: str, moment: float) -> str:
    """A change's key in the history table: ordered by time, unique by a process counter."""
    return f"{storage}{moment:017.6f}{next(_sequence) % 1000000:06d}"


def history_time(storage: str, key: str) -> float:
    return float(key[len(storage) : len(storage) + 17])


class BackupsMixin:
    # -- history (point-in-time recovery) -----------------------------------------------------

    def _record_history(self: Provider, scope: str, storage: str, key: str, old: dict | None) -> None:  # type: ignore[misc]
        """Remember the row a change replaces (None: there was none); inside the change's transaction."""
        row = None if old is None else [item_size(old), pack(old)]
        self._history.put(scope, history_key(storage, time.time()), {"k": key, "o": row})

    def _trim_history(self: Provider, scope: str, storage: str, before: float | None) -> None:  # type: ignore[misc]
        """Drop a table's history older than `before` (all of it for None), a batch at a time."""
        end = None if before is None else f"{storage}{before:017.6f}"
        while True:
            keys = [k for k, _ in self._history.scan(scope, prefix=storage, end_before=end, limit=COPY_BATCH)]
            if not keys:
                return
            with self.store.transaction():
                for key in keys:
                    self._history.delete(scope, key)

    def _rows_at(self: Provider, scope: str, storage: str, moment: float) -> dict[str, Any]:  # type: ignore[misc]
        """The rows of the keys changed after `moment`, as they were at it (None: absent)."""
        restored: dict[str, Any] = {}
        start = f"{storage}{moment:017.6f}{999999:06d}"
        for _key, change in self._history.scan(scope, prefix=storage, start_after=start):
            restored.setdefault(change["k"], change["o"])
        return restored

    # -- copies ---------------------------------------------------------------------------------

    def _copy_rows(  # type: ignore[misc]
        self: Provider, scope: str, source: str, target: str, target_scope: str | None = None
    ) -> int:
        """Copy every item row under the storage prefix `source` to `target` (in `target_scope`,
        by default the same); the bytes copied."""
        total = 0
        after = None
        while True:
            rows = list(self._items.scan(scope, prefix=source, start_after=after, limit=COPY_BATCH))
            with self.store.transaction():
                for key, row in rows:
                    self._items.put(target_scope or scope, target + key[len(source) :], row)
                    total += row[0]
            if len(rows) < COPY_BATCH:
                return total
            after = rows[-1][0]

    def _restored_record(  # type: ignore[misc]
        self: Provider, context: RequestContext, source: dict, name: str, params: dict, summary: dict
    ) -> dict:
        """A new table's record shaped like `source` (a table record), with the restore's overrides."""
        self._check_name(name, "targetTableName")
        now = time.time()
        table_id = str(uuid.uuid4())
        arn = build_arn("dynamodb", context.region, context.account, f"table/{name}")
        record = {
            key: source[key]
            for key in ("AttributeDefinitions", "KeySchema", "billing", "throughput", "key_layout")
            if key in source
        }
        record.update(
            {
                "TableName": name,
                "TableStatus": "ACTIVE",
                "CreationDateTime": now,
                "TableArn": arn,
                "TableId": table_id,
                "DeletionProtectionEnabled": False,
                "billing_changed": now,
                "table_class": source.get("table_class"),
                "storage": table_id.replace("-", ""),
                "tags": {},
                "ttl": None,
                "pitr": False,
                "restore": {**summary, "RestoreDateTime": now, "RestoreInProgress": False},
            }
        )
        billing = params.get("BillingModeOverride")
        if billing is not None:
            record["billing"] = billing
            record["billing_switched"] = source.get("billing_switched") or billing == "PAY_PER_REQUEST"
        if params.get("ProvisionedThroughputOverride") is not None or billing is not None:
            record["throughput"] = self._check_throughput(
                record["billing"], params.get("ProvisionedThroughputOverride")
            )
        for kind, override in (
            ("LocalSecondaryIndexes", params.get("LocalSecondaryIndexOverride")),
            ("GlobalSecondaryIndexes", params.get("GlobalSecondaryIndexOverride")),
        ):
            specs = override if override is not None else source.get(kind) or ()
            local = kind == "LocalSecondaryIndexes"
            defined = {a["AttributeName"]: a["AttributeType"] for a in record["AttributeDefinitions"]}
            indexes = []
            for spec in specs:
                if override is None:
                    spec = {**spec, "ProvisionedThroughput": spec.get("throughput")}
                    spec = {k: v for k, v in spec.items() if v is not None}
                    if record["billing"] == "PAY_PER_REQUEST":
                        spec.pop("ProvisionedThroughput", None)
                indexes.append(self._index_record(context, arn, spec, defined, record["billing"], local))
            if indexes:
                record[kind] = indexes
        sse = params.get("SSESpecificationOverride")
        if sse and sse.get("Enabled"):
            record["sse"] = sse_description(
                self.runtime, context.account, context.region, sse.get("KMSMasterKeyId")
            )
        elif source.get("sse") and sse is None:
            record["sse"] = source["sse"]
        return record

    def _restore(  # type: ignore[misc]
        self: Provider, context: RequestContext, record: dict, rows_from: str, overrides: dict[str, Any]
    ) -> dict:
        """Create the restored table: copy the rows under `rows_from`, put back `overrides`
        (store key suffix → row or None), and index every item."""
        scope = make_scope(context.account, context.region)
        storage = record["storage"] + SEPARATOR
        with self.store.transaction():
            if self._record(scope, record["TableName"]) is not None:
                raise table_exists(record["TableName"])
            self._save(scope, record)
        self._copy_rows(scope, rows_from, storage)
        schema = build(record)
        with self.store.transaction():
            for suffix, row in overrides.items():
                if row is None:
                    self._items.delete(scope, storage + suffix)
                else:
                    self._items.put(scope, storage + suffix, row)
        self._index_items(scope, schema.name)
        description = self._describe(scope, record)
        # The restored table answers at once; the restore's own answer says CREATING, as AWS's does.
        description["TableStatus"] = "CREATING"
        return {"TableDescription": description}

    # -- backups --------------------------------------------------------------------------------

    def _backup_details(self: Provider, backup: dict, status: str | None = None) -> dict:  # type: ignore[misc]
        return {
            "BackupArn": backup["arn"],
            "BackupName": backup["name"],
            "BackupSizeBytes": backup["size"],
            "BackupStatus": status or backup["status"],
            "BackupType": backup.get("type", "USER"),
            "BackupCreationDateTime": backup["created"],
            **({"BackupExpiryDateTime": backup["expires"]} if backup.get("expires") else {}),
        }

    def _backup_description(self: Provider, backup: dict, status: str | None = None) -> dict:  # type: ignore[misc]
        table = backup["table"]
        source: dict = {
            "TableName": table["TableName"],
            "TableId": table["TableId"],
            "TableArn": table["TableArn"],
            "TableSizeBytes": backup["size"],
            "KeySchema": table["KeySchema"],
            "TableCreationDateTime": table["CreationDateTime"],
            "ProvisionedThroughput": {
                "ReadCapacityUnits": (table.get("throughput") or {}).get("ReadCapacityUnits", 0),
                "WriteCapacityUnits": (table.get("throughput") or {}).get("WriteCapacityUnits", 0),
            },
            "ItemCount": backup["count"],
            "BillingMode": table["billing"],
        }
        features: dict = {}
        if table.get("LocalSecondaryIndexes"):
            features["LocalSecondaryIndexes"] = [
                {k: i[k] for k in ("IndexName", "KeySchema", "Projection")}
                for i in table["LocalSecondaryIndexes"]
            ]
        if table.get("GlobalSecondaryIndexes"):
            features["GlobalSecondaryIndexes"] = [
                {
                    **{k: i[k] for k in ("IndexName", "KeySchema", "Projection")},
                    **({"ProvisionedThroughput": i["throughput"]} if i.get("throughput") else {}),
                }
                for i in table["GlobalSecondaryIndexes"]
            ]
        stream = table.get("stream")
        if stream and stream.get("enabled"):
            features["StreamDescription"] = {"StreamEnabled": True, "StreamViewType": stream["view"]}
        features["TimeToLiveDescription"] = (
            {"TimeToLiveStatus": "ENABLED", "AttributeName": table["ttl"]}
            if table.get("ttl")
            else {"TimeToLiveStatus": "DISABLED"}
        )
        if table.get("sse"):
            features["SSEDescription"] = table["sse"]
        return {
            "BackupDetails": self._backup_details(backup, status),
            "SourceTableDetails": source,
            "SourceTableFeatureDetails": features,
        }

    def _backup(self: Provider, context: RequestContext, arn: str) -> tuple[str, dict]:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        backup = self._backups.get(scope, arn)
        if backup is None:
            raise backup_not_found(arn)
        return scope, backup

    def create_backup(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        table = self._record(scope, params["TableName"])
        if table is None:
            raise ServiceError("TableNotFoundException", f"Table not found: {params['TableName']}", 400)
        name = params["BackupName"]
        self._check_name(name, "backupName")
        if table["TableStatus"] != "ACTIVE":
            raise ServiceError("TableInUseException", f"Table is being updated: {table['TableName']}", 400)
        backup = self._take_backup(scope, table, name)
        # The copy is complete here; the create's own answer says CREATING, as AWS's does.
        return {"BackupDetails": self._backup_details(backup, "CREATING")}

    def _take_backup(  # type: ignore[misc]
        self: Provider, scope: str, table: dict, name: str, kind: str = "USER", keep_days: float | None = None
    ) -> dict:
        """Copy a table's item rows into a new backup (USER, or SYSTEM kept for `keep_days`)."""
        now = time.time()
        arn = f"{table['TableArn']}/backup/{int(now * 1000):013d}-{uuid.uuid4().hex[:8]}"
        storage = "bk" + uuid.uuid4().hex + SEPARATOR
        backup: dict[str, Any] = {
            "arn": arn,
            "name": name,
            "created": now,
            "status": "CREATING",
            "type": kind,
            "table": table,
            "storage": storage,
            "size": 0,
            "count": 0,
        }
        if keep_days is not None:
            backup["expires"] = now + keep_days * 86400
        self._backups.put(scope, arn, backup)
        size = self._copy_rows(scope, table["storage"] + SEPARATOR, storage)
        backup.update(status="AVAILABLE", size=size, count=self._items.count(scope, storage))
        self._backups.put(scope, arn, backup)
        return backup

    def _backup_deleted_table(self: Provider, scope: str, table: dict) -> None:  # type: ignore[misc]
        """A table deleted with point-in-time recovery on leaves a SYSTEM backup, kept for its
        recovery period (AWS: 35 days), from which it can be restored."""
        if table.get("pitr"):
            days = table.get("pitr_days") or SYSTEM_BACKUP_DAYS
            name = f"{table['TableName']}$DeletedTableBackup"
            self._take_backup(scope, table, name, "SYSTEM", days)

    def _expire_backups(self: Provider, now: float) -> None:  # type: ignore[misc]
        for scope in self._backups.scopes():
            expired = [b for _arn, b in self._backups.scan(scope) if b.get("expires") and b["expires"] <= now]
            for backup in expired:
                with self.store.transaction():
                    self._backups.delete(scope, backup["arn"])
                    self._purges.put(scope, backup["storage"].rstrip(SEPARATOR), {"since": now})
            if expired:
                self._schedule_purge()

    def describe_backup(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _scope, backup = self._backup(context, params["BackupArn"])
        return {"BackupDescription": self._backup_description(backup)}

    def delete_backup(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, backup = self._backup(context, params["BackupArn"])
        if backup["status"] != "AVAILABLE":
            raise ServiceError("BackupInUseException", f"Backup is in use: {backup['arn']}", 400)
        with self.store.transaction():
            self._backups.delete(scope, backup["arn"])
            self._purges.put(scope, backup["storage"].rstrip(SEPARATOR), {"since": time.time()})
        self._schedule_purge()
        return {"BackupDescription": self._backup_description(backup, "DELETED")}

    def list_backups(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        kind = params.get("BackupType") or "ALL"
        name = params.get("TableName")
        if name is not None:
            name = name.split(":table/", 1)[1].split("/")[0] if ":table/" in name else name
        low = params.get("TimeRangeLowerBound")
        high = params.get("TimeRangeUpperBound")
        limit = params.get("Limit") or 100
        found = []
        for _arn, backup in self._backups.scan(scope, start_after=params.get("ExclusiveStartBackupArn")):
            if name is not None and backup["table"]["TableName"] != name:
                continue
            if kind != "ALL" and backup.get("type", "USER") != kind:
                continue
            created = backup["created"]
            if (low is not None and created < _epoch(low)) or (high is not None and created >= _epoch(high)):
                continue
            found.append(backup)
            if len(found) > limit:
                break
        out: dict = {
            "BackupSummaries": [
                {
                    "TableName": b["table"]["TableName"],
                    "TableId": b["table"]["TableId"],
                    "TableArn": b["table"]["TableArn"],
                    **self._backup_details(b),
                }
                for b in found[:limit]
            ]
        }
        if len(found) > limit:
            out["LastEvaluatedBackupArn"] = found[limit - 1]["arn"]
        return out

    def restore_table_from_backup(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, backup = self._backup(context, params["BackupArn"])
        name = params["TargetTableName"]
        if self._record(scope, name) is not None:
            raise table_exists(name)
        if backup["status"] != "AVAILABLE":
            raise ServiceError("BackupInUseException", f"Backup is in use: {backup['arn']}", 400)
        summary = {"SourceBackupArn": backup["arn"], "SourceTableArn": backup["table"]["TableArn"]}
        record = self._restored_record(context, backup["table"], name, params, summary)
        return self._restore(context, record, backup["storage"], {})

    # -- point in time ------------------------------------------------------------------------------

    def restore_table_to_point_in_time(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        source_name = params.get("SourceTableName") or params.get("SourceTableArn")
        if not source_name:
            raise validation("Either SourceTableArn or SourceTableName must be specified")
        source = self._record(scope, source_name)
        if source is None:
            raise ServiceError("SourceTableNotFoundException", f"Source table not found: {source_name}", 400)
        name = params["TargetTableName"]
        if self._record(scope, name) is not None:
            raise table_exists(name)
        if not source.get("pitr"):
            raise ServiceError(
                "PointInTimeRecoveryUnavailableException",
                f"Point in time recovery is not enabled for table '{source['TableName']}'",
                400,
            )
        window = self._continuous_backups(source)["PointInTimeRecoveryDescription"]
        earliest, latest = window["EarliestRestorableDateTime"], window["LatestRestorableDateTime"]
        if params.get("UseLatestRestorableTime"):
            moment = latest
        elif params.get("RestoreDateTime") is not None:
            moment = _epoch(params["RestoreDateTime"])
            if not earliest <= moment <= latest:
                raise ServiceError(
                    "InvalidRestoreTimeException",
                    "Only RestoreDateTime between EarliestRestorableDateTime and"
                    " LatestRestorableDateTime is allowed",
                    400,
                )
        else:
            raise validation("Either RestoreDateTime or UseLatestRestorableTime must be specified")
        storage = source["storage"] + SEPARATOR
        overrides = {key[len(storage) :]: row for key, row in self._rows_at(scope, storage, moment).items()}
        record = self._restored_record(context, source, name, params, {"SourceTableArn": source["TableArn"]})
        record["restore"]["RestoreDateTime"] = moment
        return self._restore(context, record, storage, overrides)


def _epoch(moment: Any) -> float:
    return moment.timestamp() if hasattr(moment, "timestamp") else float(moment)
