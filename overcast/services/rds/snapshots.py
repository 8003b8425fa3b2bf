"""DB snapshots as real copies of an instance's data: a base backup of a running PostgreSQL
(pg_basebackup, consistent while it keeps serving), or a copy of the data directory taken while
the engine is stopped (MariaDB, or any stopped instance). Restoring starts a new instance on a
copy of the snapshot's data. Automated snapshots are taken at creation and then once a day in
the instance's backup window, and kept for its retention period."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from overcast.common import tagging
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.rds import catalog
from overcast.services.rds.common import (
    MixinBase,
    apply_filters,
    arn,
    check_identifier,
    check_max_records,
    combination,
    invalid,
    iso,
    next_daily,
    not_found,
)
from overcast.services.rds.engines import MariaDBEngine, PostgresEngine


def snapshot_not_found(identifier: str) -> ServiceError:
    return not_found("DBSnapshotNotFound", f"DBSnapshot {identifier} not found.")


class SnapshotMixin(MixinBase):
    def snapshot_key(self, scope: str, identifier: str) -> str:
        return "snapshot-" + (scope + "-" + identifier).replace("/", "-").replace(":", "-")

    def check_new_snapshot(self, scope: str, identifier: str) -> None:
        if self.snapshots.get(scope, identifier.lower()) is not None:
            raise ServiceError(
                "DBSnapshotAlreadyExists",
                f"Cannot create the snapshot because a snapshot with the identifier {identifier} already exists.",
            )

    def snapshot_row(self, scope: str, identifier: str) -> dict[str, Any]:
        if identifier.startswith("arn:"):
            parts = identifier.split(":")
            scope = f"{parts[4]}/{parts[3]}"
            identifier = ":".join(parts[6:])
        row = self.snapshots.get(scope, identifier.lower()) or self.snapshots.get(scope, identifier)
        if row is None:
            raise snapshot_not_found(identifier)
        return row

    def render_snapshot(self, row: dict[str, Any]) -> dict[str, Any]:
        desc = dict(row["desc"])
        desc["TagList"] = tagging.tag_list(row.get("tags"))
        return desc

    def new_snapshot_row(
        self, scope: str, instance: dict[str, Any], identifier: str, kind: str
    ) -> dict[str, Any]:
        account, _, region = scope.partition("/")
        idesc = instance["desc"]
        context = RequestContext.internal("rds", account, region)
        desc = {
            "DBSnapshotIdentifier": identifier,
            "DBInstanceIdentifier": idesc["DBInstanceIdentifier"],
            "SnapshotCreateTime": iso(),
            "Engine": idesc["Engine"],
            "AllocatedStorage": idesc["AllocatedStorage"],
            "Status": "creating",
            "Port": instance["port"],
            "AvailabilityZone": idesc["AvailabilityZone"],
            "VpcId": (idesc.get("DBSubnetGroup") or {}).get("VpcId", ""),
            "InstanceCreateTime": idesc["InstanceCreateTime"],
            "MasterUsername": idesc["MasterUsername"],
            "EngineVersion": idesc["EngineVersion"],
            "LicenseModel": idesc["LicenseModel"],
            "SnapshotType": kind,
            "OptionGroupName": (idesc.get("OptionGroupMemberships") or [{}])[0].get("OptionGroupName", ""),
            "PercentProgress": 0,
            "StorageType": idesc["StorageType"],
            "Encrypted": bool(idesc.get("StorageEncrypted")),
            "DBSnapshotArn": arn(context, "snapshot", identifier),
            "IAMDatabaseAuthenticationEnabled": idesc.get("IAMDatabaseAuthenticationEnabled", False),
            "DbiResourceId": idesc["DbiResourceId"],
            "ProcessorFeatures": [],
            "OriginalSnapshotCreateTime": iso(),
            "SnapshotDatabaseTime": iso(),
            "SnapshotTarget": "region",
            "DedicatedLogVolume": False,
            "MultiTenant": False,
        }
        if idesc.get("KmsKeyId"):
            desc["KmsKeyId"] = idesc["KmsKeyId"]
        tags = (
            dict(instance.get("tags") or {}) if idesc.get("CopyTagsToSnapshot") or kind == "automated" else {}
        )
        return {
            "desc": desc,
            "key": self.snapshot_key(scope, identifier),
            "password": instance["password"],
            "runs": instance.get("runs"),
            "tags": tags,
            "DBName": idesc.get("DBName"),
            "created": time.time(),
            "parameter_group": idesc["DBParameterGroups"][0]["DBParameterGroupName"],
        }

    def take_snapshot(
        self,
        scope: str,
        identifier: str,
        snapshot: str,
        kind: str,
        row: dict[str, Any] | None = None,
    ) -> None:
        """Copy an instance's data into a new snapshot (in background work)."""
        instance = self.instance_row(scope, identifier)
        with self.store.transaction():
            if row is None:
                row = self.new_snapshot_row(scope, instance, snapshot, kind)
                self.snapshots.put(scope, snapshot, row)
        self.record_event(
            scope,
            "db-snapshot",
            snapshot,
            "Creating manual snapshot" if kind == "manual" else "Creating automated snapshot",
            "creation",
        )
        self.record_event(scope, "db-instance", identifier, "Backing up DB instance", "backup")
        engine = self.engine_of(instance)
        key = row["key"]
        self.supervisor.remove_home(key)
        running = self.supervisor.running(instance["key"])
        if running and not isinstance(engine, MariaDBEngine):
            engine.base_backup(self.supervisor, self.server(instance), key)
        elif running:
            # A consistent copy of MariaDB's files needs it stopped: the brief I/O suspension
            # AWS documents for snapshots of a Single-AZ instance.
            self.supervisor.stop(instance["key"])
            self.supervisor.copy_home(instance["key"], key)
            self.run_engine(scope, identifier)
        else:
            self.supervisor.copy_home(instance["key"], key)
        size = sum(f.stat().st_size for f in self.supervisor.home(key).rglob("*") if f.is_file())
        with self.store.transaction():
            row = self.snapshots.get(scope, snapshot)
            if row is not None:
                row["desc"].update(Status="available", PercentProgress=100, FullSnapshotSizeInBytes=size)
                self.snapshots.put(scope, snapshot, row)
        self.record_event(
            scope,
            "db-snapshot",
            snapshot,
            "Manual snapshot created" if kind == "manual" else "Automated snapshot created",
            "creation",
        )
        self.record_event(scope, "db-instance", identifier, "Finished DB Instance backup", "backup")

    def take_automated_snapshot(self, scope: str, identifier: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d-%H-%M")
        name = f"rds:{identifier}-{stamp}"
        if self.snapshots.get(scope, name) is None:
            self.take_snapshot(scope, identifier, name, "automated")
        self.prune_automated(scope, identifier)

    def prune_automated(self, scope: str, identifier: str) -> None:
        instance = self.instances.get(scope, identifier)
        if instance is None:
            return
        keep_days = instance["desc"].get("BackupRetentionPeriod") or 0
        horizon = time.time() - keep_days * 86400
        for name, row in list(self.snapshots.scan(scope, prefix=f"rds:{identifier}-")):
            if row["desc"]["DBInstanceIdentifier"] == identifier and row["created"] < horizon:
                self.remove_snapshot(scope, name)

    def drop_automated_snapshots(self, scope: str, identifier: str) -> None:
        for name, row in list(self.snapshots.scan(scope, prefix=f"rds:{identifier}-")):
            if row["desc"]["SnapshotType"] == "automated":
                self.remove_snapshot(scope, name)

    def remove_snapshot(self, scope: str, name: str) -> None:
        row = self.snapshots.get(scope, name)
        if row is None:
            return
        with self.store.transaction():
            self.snapshots.delete(scope, name)
        self.supervisor.remove_home(row["key"])

    def schedule_backup(self, scope: str, identifier: str) -> None:
        """The next automated snapshot, at the start of the instance's daily backup window."""
        row = self.instances.get(scope, identifier)
        if row is None or not row["desc"].get("BackupRetentionPeriod"):
            return
        due = next_daily(row["desc"]["PreferredBackupWindow"], self.runtime.scheduler.now())

        def fire(key: str, when: float) -> None:
            current = self.instances.get(scope, identifier)
            if current is not None and current["desc"]["DBInstanceStatus"] == "available":
                self.background(
                    scope, identifier, lambda: self._daily_backup(scope, identifier), "automated backup"
                )
            else:
                self.schedule_backup(scope, identifier)

        self.runtime.scheduler.at(f"rds/backup/{scope}/{identifier}", due, fire)

    def _daily_backup(self, scope: str, identifier: str) -> None:
        self.set_status(scope, identifier, "backing-up")
        try:
            self.take_automated_snapshot(scope, identifier)
        finally:
            self.set_status(scope, identifier, "available")
            self.schedule_backup(scope, identifier)

    # -- operations -----------------------------------------------------------------------------------

    def create_db_snapshot(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        snapshot = check_identifier(params["DBSnapshotIdentifier"], "DBSnapshotIdentifier")
        identifier = params["DBInstanceIdentifier"].lower()
        with self.store.transaction():
            instance = self.instance_row(scope, identifier)
            if instance["desc"]["DBInstanceStatus"] not in ("available", "stopped"):
                raise ServiceError(
                    "InvalidDBInstanceState",
                    f"Cannot create a snapshot because the database instance {identifier} is not currently in the available state.",
                )
            self.check_new_snapshot(scope, snapshot)
            row = self.new_snapshot_row(scope, instance, snapshot, "manual")
            row["tags"].update(tagging.tag_map(params.get("Tags"), self.tag_rules))
            self.snapshots.put(scope, snapshot, row)
            if instance["desc"]["DBInstanceStatus"] == "available":
                instance["desc"]["DBInstanceStatus"] = "backing-up"
                self.instances.put(scope, identifier, instance)

        def work() -> None:
            try:
                self.take_snapshot(scope, identifier, snapshot, "manual", row)
            finally:
                current = self.instances.get(scope, identifier)
                if current is not None and current["desc"]["DBInstanceStatus"] == "backing-up":
                    self.set_status(scope, identifier, "available")

        self.background(scope, identifier, work, "snapshot")
        return {"DBSnapshot": self.render_snapshot(row)}

    def describe_db_snapshots(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        scope = self.scope_of(context)
        if params.get("DBSnapshotIdentifier"):
            rows = [self.snapshot_row(scope, params["DBSnapshotIdentifier"])]
        else:
            rows = [row for _, row in self.snapshots.scan(scope)]
            if params.get("IncludeShared"):
                rows += self.shared_snapshots(context)
        if params.get("DBInstanceIdentifier"):
            rows = [
                r for r in rows if r["desc"]["DBInstanceIdentifier"] == params["DBInstanceIdentifier"].lower()
            ]
        if params.get("DbiResourceId"):
            rows = [r for r in rows if r["desc"]["DbiResourceId"] == params["DbiResourceId"]]
        kind = params.get("SnapshotType")
        if kind:
            rows = [r for r in rows if r["desc"]["SnapshotType"] == kind]
        descs = apply_filters(
            [self.render_snapshot(r) for r in rows],
            params.get("Filters"),
            {
                "db-instance-id": lambda d: d["DBInstanceIdentifier"],
                "db-snapshot-id": lambda d: d["DBSnapshotIdentifier"],
                "dbi-resource-id": lambda d: d["DbiResourceId"],
                "snapshot-type": lambda d: d["SnapshotType"],
                "engine": lambda d: d["Engine"],
            },
        )
        return self.page("DescribeDBSnapshots", params, descs)

    def shared_snapshots(self, context: RequestContext) -> list[dict[str, Any]]:
        shared = []
        for scope in self.snapshots.scopes():
            if scope == self.scope_of(context) or not scope.endswith("/" + context.region):
                continue
            for _, row in self.snapshots.scan(scope):
                if context.account in (row.get("restore") or []) or "all" in (row.get("restore") or []):
                    shared.append(
                        {
                            **row,
                            "desc": {
                                **row["desc"],
                                "SnapshotType": "shared"
                                if context.account in row.get("restore", [])
                                else "public",
                            },
                        }
                    )
        return shared

    def delete_db_snapshot(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        row = self.snapshot_row(scope, params["DBSnapshotIdentifier"])
        desc = row["desc"]
        if desc["SnapshotType"] == "automated":
            raise ServiceError(
                "InvalidDBSnapshotState",
                "Cannot delete an automated snapshot: it is removed with its retention period.",
            )
        if desc["Status"] != "available":
            raise ServiceError(
                "InvalidDBSnapshotState",
                f"DBSnapshot {desc['DBSnapshotIdentifier']} is not in available state.",
            )
        self.remove_snapshot(scope, desc["DBSnapshotIdentifier"])
        self.record_event(
            scope, "db-snapshot", desc["DBSnapshotIdentifier"], "Manual snapshot deleted", "deletion"
        )
        return {"DBSnapshot": {**self.render_snapshot(row), "Status": "deleted"}}

    def copy_db_snapshot(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        source = self.snapshot_row(scope, params["SourceDBSnapshotIdentifier"])
        target = check_identifier(params["TargetDBSnapshotIdentifier"], "TargetDBSnapshotIdentifier")
        if source["desc"]["Status"] != "available":
            raise ServiceError("InvalidDBSnapshotState", "The source snapshot is not in the available state.")
        with self.store.transaction():
            self.check_new_snapshot(scope, target)
            row = {
                **source,
                "desc": {
                    **source["desc"],
                    "DBSnapshotIdentifier": target,
                    "DBSnapshotArn": arn(context, "snapshot", target),
                    "SnapshotType": "manual",
                    "Status": "creating",
                    "PercentProgress": 0,
                    "SourceDBSnapshotIdentifier": source["desc"]["DBSnapshotArn"],
                    "SnapshotCreateTime": iso(),
                },
                "key": self.snapshot_key(scope, target),
                "tags": (dict(source.get("tags") or {}) if params.get("CopyTags") else {})
                | tagging.tag_map(params.get("Tags"), self.tag_rules),
                "restore": [],
                "created": time.time(),
            }
            if params.get("KmsKeyId"):
                row["desc"]["KmsKeyId"] = params["KmsKeyId"]
                row["desc"]["Encrypted"] = True
            self.snapshots.put(scope, target, row)

        def copy() -> None:
            self.supervisor.copy_home(source["key"], row["key"])
            with self.store.transaction():
                current = self.snapshots.get(scope, target)
                if current is not None:
                    current["desc"].update(Status="available", PercentProgress=100)
                    self.snapshots.put(scope, target, current)

        self.background(scope, f"snapshot:{target}", copy, "snapshot copy")
        return {"DBSnapshot": self.render_snapshot(row)}

    def modify_db_snapshot(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self.snapshot_row(scope, params["DBSnapshotIdentifier"])
            if params.get("EngineVersion"):
                row["desc"]["EngineVersion"] = catalog.resolve_version(
                    row["desc"]["Engine"], params["EngineVersion"]
                )
            if params.get("OptionGroupName"):
                row["desc"]["OptionGroupName"] = params["OptionGroupName"]
            self.snapshots.put(scope, row["desc"]["DBSnapshotIdentifier"], row)
        return {"DBSnapshot": self.render_snapshot(row)}

    def modify_db_snapshot_attribute(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        if params["AttributeName"] != "restore":
            raise invalid(f"Invalid snapshot attribute name: {params['AttributeName']}")
        with self.store.transaction():
            row = self.snapshot_row(scope, params["DBSnapshotIdentifier"])
            if row["desc"]["SnapshotType"] == "automated":
                raise ServiceError(
                    "InvalidDBSnapshotState",
                    "Automated snapshots cannot be shared: copy it to a manual snapshot first.",
                )
            accounts = [
                a for a in row.get("restore") or [] if a not in set(params.get("ValuesToRemove") or [])
            ]
            for account in params.get("ValuesToAdd") or []:
                if account != "all" and not (len(account) == 12 and account.isdigit()):
                    raise invalid(f"Invalid AWS account id: {account}")
                if account not in accounts:
                    accounts.append(account)
            row["restore"] = accounts
            self.snapshots.put(scope, row["desc"]["DBSnapshotIdentifier"], row)
        return {"DBSnapshotAttributesResult": self._attributes(row)}

    def describe_db_snapshot_attributes(self, context: RequestContext, params: dict) -> dict:
        row = self.snapshot_row(self.scope_of(context), params["DBSnapshotIdentifier"])
        return {"DBSnapshotAttributesResult": self._attributes(row)}

    def _attributes(self, row: dict[str, Any]) -> dict[str, Any]:
        return {
            "DBSnapshotIdentifier": row["desc"]["DBSnapshotIdentifier"],
            "DBSnapshotAttributes": [
                {"AttributeName": "restore", "AttributeValues": list(row.get("restore") or [])}
            ],
        }

    # -- restore --------------------------------------------------------------------------------------

    def restore_db_instance_from_db_snapshot(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        if not params.get("DBSnapshotIdentifier"):
            if params.get("DBClusterSnapshotIdentifier"):
                raise combination(
                    "Restoring an instance from a Multi-AZ DB cluster snapshot is not offered here."
                )
            raise invalid("The parameter DBSnapshotIdentifier must be provided and must not be blank.")
        snapshot = self.snapshot_row(scope, params["DBSnapshotIdentifier"])
        if snapshot["desc"]["Status"] != "available":
            raise ServiceError("InvalidDBSnapshotState", "The snapshot is not in the available state.")
        return self.restore_into(context, params, snapshot["key"], snapshot, "restore from snapshot")

    def restore_into(
        self,
        context: RequestContext,
        params: dict,
        source_key: str,
        snapshot: dict[str, Any],
        what: str,
        prepare: Callable[[], None] | None = None,
        recover: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict:
        scope = self.scope_of(context)
        identifier = check_identifier(
            params.get("DBInstanceIdentifier") or params["TargetDBInstanceIdentifier"]
        )
        sdesc = snapshot["desc"]
        engine_name = (params.get("Engine") or sdesc["Engine"]).lower()
        if engine_name != sdesc["Engine"]:
            raise combination(f"The engine {engine_name} cannot restore a snapshot of {sdesc['Engine']}.")
        from overcast.services.rds.engines import ENGINES

        engine = ENGINES[engine_name]
        engine.check_installed(sdesc["EngineVersion"])
        info = catalog.engine_info(engine_name)
        merged = dict(params)
        merged.setdefault("DBInstanceClass", "db.t3.micro")
        if not merged.get("DBInstanceClass"):
            merged["DBInstanceClass"] = "db.t3.micro"
        self.check_class(merged["DBInstanceClass"])
        merged["StorageEncrypted"] = sdesc.get("Encrypted")
        with self.store.transaction():
            if self.instances.get(scope, identifier) is not None:
                raise ServiceError("DBInstanceAlreadyExists", "DB instance already exists")
            desc = self.new_desc(
                context,
                identifier,
                merged,
                engine_name,
                sdesc["EngineVersion"],
                params.get("AllocatedStorage") or sdesc["AllocatedStorage"],
                params.get("StorageType") or sdesc["StorageType"],
                params.get("BackupRetentionPeriod", 1) if "BackupRetentionPeriod" in params else 1,
            )
            group = self.parameter_group_for(
                context, params.get("DBParameterGroupName"), info.family(sdesc["EngineVersion"])
            )
            desc.update(
                MasterUsername=sdesc["MasterUsername"],
                DBName=snapshot.get("DBName"),
                DBParameterGroups=[{"DBParameterGroupName": group, "ParameterApplyStatus": "in-sync"}],
                DBSubnetGroup=self.subnet_group_for(context, params.get("DBSubnetGroupName")),
                OptionGroupMemberships=[
                    {
                        "OptionGroupName": self.option_group_for(
                            context, params.get("OptionGroupName"), engine_name, sdesc["EngineVersion"]
                        ),
                        "Status": "in-sync",
                    }
                ],
                VpcSecurityGroups=[
                    {"VpcSecurityGroupId": sg, "Status": "active"}
                    for sg in params.get("VpcSecurityGroupIds") or []
                ],
            )
            port = params.get("Port") or self.new_port()
            row = {
                "desc": desc,
                "key": f"{context.account}-{context.region}-{identifier}",
                "port": port,
                "password": snapshot["password"],
                "tags": tagging.tag_map(params.get("Tags"), self.tag_rules),
                "created": time.time(),
                "applied": self.group_values(scope, group),
                "runs": snapshot.get("runs"),
            }
            self.instances.put(scope, identifier, row)
            self.instance_by_key[row["key"]] = (scope, identifier)

        def build() -> None:
            instance = self.instance_row(scope, identifier)
            if prepare is not None:
                prepare()
            self.supervisor.copy_home(source_key, instance["key"])
            engine.after_copy(self.supervisor, self.server(instance))
            if recover is not None and isinstance(engine, PostgresEngine):
                recover(instance)
                self.run_engine(scope, identifier)
                engine.wait_promoted(self.supervisor, self.server(instance))
            else:
                self.run_engine(scope, identifier)
            self.record_event(
                scope,
                "db-instance",
                identifier,
                f"Restored from snapshot {sdesc['DBSnapshotIdentifier']}",
                "creation",
            )
            if prepare is not None:
                self.supervisor.remove_home(source_key)
            self.after_available(scope, identifier, first=True)

        self.background(scope, identifier, build, what)
        return {"DBInstance": self.render_instance(self.instance_row(scope, identifier))}

    def restore_db_instance_to_point_in_time(self, context: RequestContext, params: dict) -> dict:
        """The latest restorable time: a base backup of the running source taken now. An earlier
        RestoreTime: the newest automated snapshot taken at or before it."""
        scope = self.scope_of(context)
        source_id = (params.get("SourceDBInstanceIdentifier") or "").lower()
        if not source_id:
            raise invalid("The parameter SourceDBInstanceIdentifier must be provided.")
        source = self.instance_row(scope, source_id)
        if params.get("UseLatestRestorableTime") and params.get("RestoreTime"):
            raise combination("Cannot specify both RestoreTime and UseLatestRestorableTime.")
        if not source["desc"].get("BackupRetentionPeriod"):
            raise ServiceError(
                "PointInTimeRestoreNotEnabled",
                "Point-in-time restore is not enabled: the source has no automated backups.",
            )
        restore_time = params.get("RestoreTime")
        if restore_time is None:
            if source["desc"]["DBInstanceStatus"] not in ("available", "backing-up"):
                raise ServiceError(
                    "InvalidDBInstanceState", f"Instance {source_id} is not in available state."
                )
            name = f"pitr-{params['TargetDBInstanceIdentifier'].lower()}-{int(time.time())}"
            snapshot = self.new_snapshot_row(scope, source, name, "automated")
            engine = self.engine_of(source)
            key = snapshot["key"]

            def base() -> None:
                if isinstance(engine, MariaDBEngine):
                    self.supervisor.stop(source["key"])
                    self.supervisor.copy_home(source["key"], key)
                    self.run_engine(scope, source_id)
                else:
                    engine.base_backup(self.supervisor, self.server(source), key)

            return self.restore_into(context, params, key, snapshot, "point-in-time restore", prepare=base)
        moment = restore_time.timestamp() if hasattr(restore_time, "timestamp") else float(restore_time)
        if moment > time.time():
            raise invalid("The restore time must be before the latest restorable time of the source.")
        engine = self.engine_of(source)
        archive = self.supervisor.home(source["key"]) / "wal-archive"
        replay = isinstance(engine, PostgresEngine) and archive.is_dir() and any(archive.iterdir())
        candidates = [
            row
            for name, row in self.snapshots.scan(scope)
            if row["desc"].get("DBInstanceIdentifier") == source_id
            and row["created"] <= moment
            and row["desc"]["Status"] == "available"
            and (replay or name.startswith(f"rds:{source_id}-"))
        ]
        if not candidates:
            raise invalid("The restore time is before the earliest restorable time of the source.")
        best = max(candidates, key=lambda r: r["created"])
        if not replay:
            return self.restore_into(context, params, best["key"], best, "point-in-time restore")
        assert isinstance(engine, PostgresEngine)
        target = datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00")

        def recover(instance: dict[str, Any]) -> None:
            # The newest base backup before the moment, then the source's archived WAL replayed
            # up to it: what was committed until then, and nothing after.
            current = self.instances.get(scope, source_id)
            if current is not None and self.supervisor.running(current["key"]):
                engine.switch_wal(self.supervisor, self.server(current))
            engine.recover_to(
                self.supervisor,
                self.server(instance),
                source["key"],
                target,
            )

        return self.restore_into(context, params, best["key"], best, "point-in-time restore", recover=recover)
