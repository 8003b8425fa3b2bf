"""Blue/green deployments of DB instances.

The green environment is a real copy of the blue instance that follows it: a streaming (or
binlog) read replica named `<blue>-green-<suffix>`, with the target's class, engine version
(within the same major: a major upgrade would need logical replication, which is not built) and
parameter group. Switchover promotes the green instance once it has caught up and swaps the
two: green takes blue's identifier and endpoint port, so applications reconnect to the same
address and find the green database, and blue is kept as `<blue>-old1` on green's old port."""

from __future__ import annotations

import secrets
import string
import time
from typing import Any

from overcast.common import tagging
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.rds.common import MixinBase, apply_filters, arn, check_max_records, invalid, iso

ALPHABET = string.ascii_lowercase + string.digits


def deployment_not_found(identifier: str) -> ServiceError:
    return ServiceError(
        "BlueGreenDeploymentNotFoundFault", f"BlueGreenDeployment {identifier} not found.", 404
    )


class BlueGreenMixin(MixinBase):
    def _deployment(self, scope: str, identifier: str) -> dict[str, Any]:
        row = self.blue_green.get(scope, identifier)
        if row is None:
            raise deployment_not_found(identifier)
        return row

    def _render_deployment(self, scope: str, row: dict[str, Any]) -> dict[str, Any]:
        desc = dict(row["desc"])
        if desc["Status"] == "PROVISIONING":
            green = self.instances.get(scope, row["green"])
            if green is not None and green["desc"]["DBInstanceStatus"] == "available":
                desc["Status"] = "AVAILABLE"
                desc["Tasks"] = [{"Name": "CREATING_READ_REPLICA_OF_SOURCE", "Status": "COMPLETED"}]
                desc["SwitchoverDetails"] = [{**d, "Status": "AVAILABLE"} for d in desc["SwitchoverDetails"]]
            elif green is None or green["desc"]["DBInstanceStatus"] == "failed":
                desc["Status"] = "PROVISIONING_FAILED"
        desc["TagList"] = tagging.tag_list(row.get("tags"))
        return desc

    def create_blue_green_deployment(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["BlueGreenDeploymentName"]
        source = params["Source"]
        parts = source.split(":")
        kind, resource = (parts[-2], parts[-1]) if len(parts) >= 3 and parts[0] == "arn" else ("", "")
        if kind == "cluster":
            if self.clusters.get(scope, resource.lower()) is None:
                raise ServiceError("DBClusterNotFoundFault", f"DBCluster {source} not found.", 404)
            raise ServiceError(
                "SourceClusterNotSupportedFault",
                "Blue/green deployments of DB clusters are not supported here: use a DB instance.",
            )
        if kind != "db":
            raise invalid(f"The source {source} is not a DB instance or DB cluster ARN.")
        blue = self.instances.get(scope, resource.lower())
        if blue is None:
            raise ServiceError("DBInstanceNotFound", f"DBInstance {source} not found.", 404)
        if blue["desc"].get("MasterUserSecret"):
            raise ServiceError(
                "SourceDatabaseNotSupportedFault",
                f"The source DB instance {source} isn't supported for a blue/green deployment.",
            )
        if any(r["desc"]["BlueGreenDeploymentName"] == name for _, r in self.blue_green.scan(scope)):
            raise ServiceError(
                "BlueGreenDeploymentAlreadyExistsFault",
                f"A blue/green deployment with the specified name {name} already exists.",
            )
        bdesc = blue["desc"]
        blue_id = bdesc["DBInstanceIdentifier"]
        if bdesc.get("ReadReplicaSourceDBInstanceIdentifier"):
            raise ServiceError("InvalidDBInstanceState", "The source DB instance can't be a read replica.")
        if any(r["desc"].get("Source") == bdesc["DBInstanceArn"] for _, r in self.blue_green.scan(scope)):
            raise ServiceError(
                "BlueGreenDeploymentAlreadyExistsFault",
                f"A blue/green deployment already exists for the source {source}.",
            )
        version = params.get("TargetEngineVersion")
        if version:
            from overcast.services.rds import catalog

            version = catalog.resolve_version(bdesc["Engine"], version)
            if version.split(".")[0] != bdesc["EngineVersion"].split(".")[0]:
                raise ServiceError(
                    "InvalidParameterCombination",
                    "A major version upgrade in a blue/green deployment needs logical replication, which"
                    " is not supported here: choose a version of the same major.",
                )
        green_id = f"{blue_id}-green-" + "".join(secrets.choice(ALPHABET) for _ in range(6))
        replica_params: dict[str, Any] = {
            "DBInstanceIdentifier": green_id,
            "SourceDBInstanceIdentifier": blue_id,
            "DBInstanceClass": params.get("TargetDBInstanceClass") or bdesc["DBInstanceClass"],
        }
        if params.get("TargetDBParameterGroupName"):
            replica_params["DBParameterGroupName"] = params["TargetDBParameterGroupName"]
        green = self.create_db_instance_read_replica(context, replica_params)["DBInstance"]
        if version:
            self.set_status(scope, green_id, green["DBInstanceStatus"], EngineVersion=version)
        identifier = "bgd-" + "".join(secrets.choice(ALPHABET) for _ in range(16))
        detail = {
            "SourceMember": bdesc["DBInstanceArn"],
            "TargetMember": green["DBInstanceArn"],
            "Status": "PROVISIONING",
        }
        row = {
            "desc": {
                "BlueGreenDeploymentIdentifier": identifier,
                "BlueGreenDeploymentName": name,
                "Source": bdesc["DBInstanceArn"],
                "Target": green["DBInstanceArn"],
                "SwitchoverDetails": [detail],
                "Tasks": [{"Name": "CREATING_READ_REPLICA_OF_SOURCE", "Status": "IN_PROGRESS"}],
                "Status": "PROVISIONING",
                "CreateTime": iso(),
            },
            "blue": blue_id,
            "green": green_id,
            "tags": tagging.tag_map(params.get("Tags"), self.tag_rules),
            "arn": arn(context, "deployment", identifier),
        }
        self.blue_green.put(scope, identifier, row)
        return {"BlueGreenDeployment": self._render_deployment(scope, row)}

    def describe_blue_green_deployments(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        scope = self.scope_of(context)
        if params.get("BlueGreenDeploymentIdentifier"):
            rows = [self._deployment(scope, params["BlueGreenDeploymentIdentifier"])]
        else:
            rows = [row for _, row in self.blue_green.scan(scope)]
        items = [self._render_deployment(scope, row) for row in rows]
        items = apply_filters(
            items,
            params.get("Filters"),
            {
                "blue-green-deployment-identifier": lambda d: d["BlueGreenDeploymentIdentifier"],
                "blue-green-deployment-name": lambda d: d["BlueGreenDeploymentName"],
                "source": lambda d: d["Source"],
                "target": lambda d: d["Target"],
            },
        )
        return self.page("DescribeBlueGreenDeployments", params, items)

    def switchover_blue_green_deployment(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        identifier = params["BlueGreenDeploymentIdentifier"]
        timeout = params.get("SwitchoverTimeout") or 300
        if timeout < 30:
            raise invalid("SwitchoverTimeout must be at least 30 seconds.")
        with self.store.transaction():
            row = self._deployment(scope, identifier)
            current = self._render_deployment(scope, row)
            if current["Status"] != "AVAILABLE":
                raise ServiceError(
                    "InvalidBlueGreenDeploymentStateFault",
                    f"The blue/green deployment {identifier} is {current['Status']}, not AVAILABLE.",
                )
            row["desc"].update(
                Status="SWITCHOVER_IN_PROGRESS",
                Tasks=current["Tasks"],
                SwitchoverDetails=[
                    {**d, "Status": "SWITCHOVER_IN_PROGRESS"} for d in current["SwitchoverDetails"]
                ],
            )
            self.blue_green.put(scope, identifier, row)
        self.background(
            scope, row["blue"], lambda: self._switchover(scope, identifier, timeout), "blue/green switchover"
        )
        return {"BlueGreenDeployment": self._render_deployment(scope, row)}

    def _switchover(self, scope: str, identifier: str, timeout: float) -> None:
        row = self._deployment(scope, identifier)
        blue_id, green_id = row["blue"], row["green"]
        try:
            self._wait_caught_up(scope, blue_id, green_id, timeout)
            self.promote(scope, green_id)
            old_id = f"{blue_id}-old1"
            blue, green = self.instance_row(scope, blue_id), self.instance_row(scope, green_id)
            for instance in (blue, green):
                self.supervisor.stop(instance["key"])
            with self.store.transaction():
                blue, green = self.instance_row(scope, blue_id), self.instance_row(scope, green_id)
                blue["port"], green["port"] = green["port"], blue["port"]
                account, _, region = scope.partition("/")
                context = RequestContext.internal("rds", account, region)
                for instance, new_id in ((blue, old_id), (green, blue_id)):
                    instance["desc"]["DBInstanceIdentifier"] = new_id
                    instance["desc"]["DBInstanceArn"] = arn(context, "db", new_id)
                    instance["desc"]["DBInstanceStatus"] = "modifying"
                    instance["desc"]["ReadReplicaDBInstanceIdentifiers"] = []
                    self.instance_by_key[instance["key"]] = (scope, new_id)
                self.instances.delete(scope, blue_id)
                self.instances.delete(scope, green_id)
                self.instances.put(scope, old_id, blue)
                self.instances.put(scope, blue_id, green)
            self.restart_engine(scope, blue_id)
            self.set_status(scope, blue_id, "available")
            self.restart_engine(scope, old_id)
            self.set_status(scope, old_id, "available")
        except Exception as error:
            with self.store.transaction():
                current = self._deployment(scope, identifier)
                current["desc"]["Status"] = "SWITCHOVER_FAILED"
                current["desc"]["StatusDetails"] = str(error)
                self.blue_green.put(scope, identifier, current)
            raise
        with self.store.transaction():
            current = self._deployment(scope, identifier)
            new_arn = green["desc"]["DBInstanceArn"]
            old_arn = blue["desc"]["DBInstanceArn"]
            current["desc"].update(
                Status="SWITCHOVER_COMPLETED",
                Source=old_arn,
                Target=new_arn,
                SwitchoverDetails=[
                    {"SourceMember": old_arn, "TargetMember": new_arn, "Status": "SWITCHOVER_COMPLETED"}
                ],
            )
            current["blue"], current["green"] = old_id, blue_id
            self.blue_green.put(scope, identifier, current)
        self.record_event(
            scope,
            "db-instance",
            blue_id,
            f"Blue/green deployment {identifier} switched over",
            "configuration change",
        )

    def _wait_caught_up(self, scope: str, blue_id: str, green_id: str, timeout: float) -> None:
        """Until the green replica has replayed what the blue primary has written."""
        from overcast.services.rds.engines import PostgresEngine

        blue, green = self.instance_row(scope, blue_id), self.instance_row(scope, green_id)
        engine = self.engine_of(blue)
        deadline = time.monotonic() + timeout
        if isinstance(engine, PostgresEngine):
            target = engine.sql(self.supervisor, self.server(blue), "SELECT pg_current_wal_lsn()").strip()
            while True:
                done = engine.sql(
                    self.supervisor,
                    self.server(green),
                    f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn",
                ).strip()
                if done == "t":
                    return
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        "The green environment did not catch up within the switchover timeout."
                    )
                time.sleep(0.05)
        else:
            status = engine.sql(self.supervisor, self.server(blue), "SHOW MASTER STATUS")
            fields = status.split("\t")
            if len(fields) >= 2:
                target_file, target_pos = fields[0], fields[1]
                condition = f"SELECT MASTER_POS_WAIT('{target_file}', {int(target_pos)}, {int(timeout)})"
                engine.sql(self.supervisor, self.server(green), condition)

    def delete_blue_green_deployment(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        identifier = params["BlueGreenDeploymentIdentifier"]
        with self.store.transaction():
            row = self._deployment(scope, identifier)
            desc = self._render_deployment(scope, row)
            if desc["Status"] == "SWITCHOVER_IN_PROGRESS":
                raise ServiceError(
                    "InvalidBlueGreenDeploymentStateFault",
                    f"The blue/green deployment {identifier} is switching over.",
                )
            switched = desc["Status"] == "SWITCHOVER_COMPLETED"
            if params.get("DeleteTarget") and switched:
                raise invalid(
                    "DeleteTarget can't be used after a switchover: the target is now in production."
                )
            self.blue_green.delete(scope, identifier)
        if params.get("DeleteTarget") and self.instances.get(scope, row["green"]) is not None:
            self.delete_db_instance(
                context, {"DBInstanceIdentifier": row["green"], "SkipFinalSnapshot": True}
            )
        elif not switched and self.instances.get(scope, row["green"]) is not None:
            # The green instance is kept as a standalone instance, as RDS leaves it.
            green = self.instance_row(scope, row["green"])
            if (
                green["desc"].get("ReadReplicaSourceDBInstanceIdentifier")
                and green["desc"]["DBInstanceStatus"] == "available"
            ):
                self.promote_read_replica(context, {"DBInstanceIdentifier": row["green"]})
        return {"BlueGreenDeployment": {**desc, "Status": "DELETING"}}

    def switchover_read_replica(self, context: RequestContext, params: dict) -> dict:
        """RDS switches a replica over with its primary only for Oracle standbys (Data Guard); the
        engines here (PostgreSQL, MySQL, MariaDB) are promoted with PromoteReadReplica instead."""
        scope = self.scope_of(context)
        identifier = params["DBInstanceIdentifier"]
        if identifier.startswith("arn:"):
            identifier = identifier.rsplit(":", 1)[-1]
        row = self.instance_row(scope, identifier)
        desc = row["desc"]
        if not desc.get("ReadReplicaSourceDBInstanceIdentifier"):
            raise ServiceError("InvalidDBInstanceState", f"DB instance {identifier} is not a read replica.")
        raise ServiceError(
            "InvalidDBInstanceState",
            f"Switchover is supported only for RDS for Oracle replicas; {desc['Engine']} replica"
            f" {desc['DBInstanceIdentifier']} can be promoted with PromoteReadReplica.",
        )
