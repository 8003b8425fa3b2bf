"""Aurora clusters (aurora-postgresql, aurora-mysql): the cluster holds the master credentials
and the database name; its first instance is the writer — an engine on the cluster's port — and
every later one a reader streaming from it. The cluster endpoint is the writer: 127.0.0.1 on the
cluster's Port, which a failover keeps (the promoted reader takes the port over, the old writer
comes back as a reader), so clients of the cluster endpoint reconnect to the new writer as they
would through Aurora's DNS. The reader endpoint is READER_ADDRESS on the same port, where one
reader listens (its instance endpoint), or the writer while the cluster has no reader; the other
readers are reached at their own instance endpoints.

Cluster snapshots are base backups of the writer; restoring one seeds the new cluster's writer."""

from __future__ import annotations

import time
from functools import partial
from typing import Any

from overcast.common import tagging
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.rds import catalog
from overcast.services.rds.common import (
    MixinBase,
    apply_filters,
    arn,
    check_backup_window,
    check_identifier,
    check_maintenance_window,
    check_max_records,
    combination,
    invalid,
    iso,
    not_found,
)
from overcast.services.rds.engines import ENGINES, MariaDBEngine
from overcast.services.rds.instances import check_password, generated_password

CLUSTER_ENGINES = ("aurora-postgresql", "aurora-mysql")


#: The reader endpoint's address: on the cluster's port, one reader listens on it (the writer
#: while the cluster has no reader, as on Aurora); the cluster endpoint is 127.0.0.1 there.
READER_ADDRESS = "127.0.0.2"


def cluster_not_found(identifier: str) -> ServiceError:
    return not_found("DBClusterNotFoundFault", f"DBCluster {identifier} not found.")


def invalid_cluster_state(message: str) -> ServiceError:
    return ServiceError("InvalidDBClusterStateFault", message)


class ClusterMixin(MixinBase):
    def cluster_row(self, scope: str, identifier: str) -> dict[str, Any]:
        if identifier.startswith("arn:"):
            identifier = identifier.rsplit(":", 1)[-1]
        row = self.clusters.get(scope, identifier.lower())
        if row is None:
            raise cluster_not_found(identifier)
        return row

    def render_cluster(self, row: dict[str, Any]) -> dict[str, Any]:
        desc = dict(row["desc"])
        scope = row["scope"]
        members = []
        for member in row["members"]:
            instance = self.instances.get(scope, member)
            members.append(
                {
                    "DBInstanceIdentifier": member,
                    "IsClusterWriter": member == row.get("writer"),
                    "DBClusterParameterGroupStatus": "in-sync",
                    "PromotionTier": (instance or {}).get("desc", {}).get("PromotionTier", 1),
                }
            )
        desc["DBClusterMembers"] = members
        desc["Port"] = row["port"]
        desc["ReaderEndpoint"] = READER_ADDRESS
        desc["CustomEndpoints"] = [
            r["desc"]["Endpoint"] for r in self.cluster_custom_endpoints(scope, desc["DBClusterIdentifier"])
        ]
        desc["TagList"] = tagging.tag_list(row.get("tags"))
        desc["ReadReplicaIdentifiers"] = []
        return desc

    # -- create ---------------------------------------------------------------------------------------

    def create_db_cluster(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        identifier = check_identifier(params["DBClusterIdentifier"], "DBClusterIdentifier")
        engine_name = params["Engine"].lower()
        if engine_name not in CLUSTER_ENGINES:
            if engine_name in catalog.ENGINES:
                raise combination(
                    f"Multi-AZ DB clusters of {engine_name} are not offered here: use aurora-postgresql or"
                    " aurora-mysql, or a Multi-AZ DB instance."
                )
            raise invalid(f"Invalid DB engine: {engine_name}")
        version = catalog.resolve_version(engine_name, params.get("EngineVersion"))
        info = catalog.engine_info(engine_name)
        ENGINES[engine_name].check_installed(version)
        if params.get("SnapshotIdentifier") is None and not params.get("MasterUsername"):
            raise invalid("The parameter MasterUsername must be provided and must not be blank.")
        manage = bool(params.get("ManageMasterUserPassword"))
        password = params.get("MasterUserPassword")
        if manage and password:
            raise combination(
                "You can't specify MasterUserPassword and ManageMasterUserPassword at the same time."
            )
        if params.get("SnapshotIdentifier") is None:
            if manage:
                password = generated_password()
            elif not password:
                raise invalid("The parameter MasterUserPassword must be provided and must not be blank.")
            else:
                check_password(password, engine_name)
        family = info.family(version)
        group = params.get("DBClusterParameterGroupName") or f"default.{family}"
        self.parameter_group(scope, group, cluster=True)
        subnet_group = self.subnet_group_for(context, params.get("DBSubnetGroupName"))
        retention = params.get("BackupRetentionPeriod") or 1
        if not 1 <= retention <= 35:
            raise invalid("Invalid backup retention period: must be between 1 and 35")
        with self.store.transaction():
            if self.clusters.get(scope, identifier) is not None:
                raise ServiceError("DBClusterAlreadyExistsFault", "DB Cluster already exists")
            port = params.get("Port") or self.new_port()
            desc: dict[str, Any] = {
                "AllocatedStorage": 1,
                "AvailabilityZones": params.get("AvailabilityZones")
                or [f"{context.region}{z}" for z in "abc"],
                "BackupRetentionPeriod": retention,
                "DatabaseName": params.get("DatabaseName"),
                "DBClusterIdentifier": identifier,
                "DBClusterParameterGroup": group.lower(),
                "DBSubnetGroup": (subnet_group or {}).get("DBSubnetGroupName", "default"),
                "Status": "available",
                "Endpoint": "127.0.0.1",
                "ReaderEndpoint": READER_ADDRESS,
                "CustomEndpoints": [],
                "MultiAZ": False,
                "Engine": engine_name,
                "EngineVersion": version,
                "MasterUsername": params.get("MasterUsername"),
                "DBClusterOptionGroupMemberships": [],
                "PreferredBackupWindow": check_backup_window(
                    params.get("PreferredBackupWindow") or "03:00-03:30"
                ),
                "PreferredMaintenanceWindow": check_maintenance_window(
                    params.get("PreferredMaintenanceWindow") or "sun:05:00-sun:05:30"
                ),
                "VpcSecurityGroups": [
                    {"VpcSecurityGroupId": sg, "Status": "active"}
                    for sg in params.get("VpcSecurityGroupIds") or []
                ],
                "HostedZoneId": "Z2R2ITUGPM61AM",
                "StorageEncrypted": bool(params.get("StorageEncrypted")),
                "DbClusterResourceId": "cluster-" + self.new_desc_id(identifier),
                "DBClusterArn": arn(context, "cluster", identifier),
                "AssociatedRoles": [],
                "IAMDatabaseAuthenticationEnabled": bool(params.get("EnableIAMDatabaseAuthentication")),
                "ClusterCreateTime": iso(),
                "EnabledCloudwatchLogsExports": params.get("EnableCloudwatchLogsExports") or [],
                "EngineMode": params.get("EngineMode") or "provisioned",
                "DeletionProtection": bool(params.get("DeletionProtection")),
                "HttpEndpointEnabled": bool(params.get("EnableHttpEndpoint")),
                "CopyTagsToSnapshot": bool(params.get("CopyTagsToSnapshot")),
                "CrossAccountClone": False,
                "DomainMemberships": [],
                "NetworkType": params.get("NetworkType") or "IPV4",
                "AutoMinorVersionUpgrade": params.get("AutoMinorVersionUpgrade", True),
                "StorageType": params.get("StorageType") or "aurora",
                "EngineLifecycleSupport": params.get("EngineLifecycleSupport")
                or "open-source-rds-extended-support",
            }
            if params.get("ServerlessV2ScalingConfiguration"):
                desc["ServerlessV2ScalingConfiguration"] = params["ServerlessV2ScalingConfiguration"]
            if desc["StorageEncrypted"] and params.get("KmsKeyId"):
                desc["KmsKeyId"] = params["KmsKeyId"]
            row = {
                "scope": scope,
                "desc": desc,
                "password": password,
                "port": port,
                "members": [],
                "writer": None,
                "tags": tagging.tag_map(params.get("Tags"), self.tag_rules),
                "seed": params.get("seed"),
                "created": time.time(),
            }
            self.clusters.put(scope, identifier, row)
        if manage:
            import json

            text = json.dumps({"username": desc["MasterUsername"], "password": password})
            name = f"rds!cluster-{desc['DbClusterResourceId'][8:].lower()}"
            secret = self.runtime.provider("secretsmanager").create_managed_secret(
                context.account, context.region, name, text, "rds"
            )
            with self.store.transaction():
                row = self.cluster_row(scope, identifier)
                row["desc"]["MasterUserSecret"] = {
                    "SecretArn": secret,
                    "SecretStatus": "active",
                    "KmsKeyId": self.secret_key_arn(context, params.get("MasterUserSecretKmsKeyId")),
                }
                self.clusters.put(scope, identifier, row)
        if params.get("GlobalClusterIdentifier"):
            try:
                self.join_global(context, params["GlobalClusterIdentifier"], identifier)
            except ServiceError:
                with self.store.transaction():
                    self.clusters.delete(scope, identifier)
                raise
        self.record_event(scope, "db-cluster", identifier, "DB cluster created", "creation")
        rendered = self.render_cluster(self.cluster_row(scope, identifier))
        if manage:
            # The secret is made with the cluster: RDS answers the create while it is "creating".
            rendered["MasterUserSecret"] = {**rendered["MasterUserSecret"], "SecretStatus": "creating"}
        return {"DBCluster": rendered}

    def new_desc_id(self, identifier: str) -> str:
        import hashlib
        import string

        digest = hashlib.sha256(f"{identifier}/{time.time_ns()}".encode()).digest()
        alphabet = string.ascii_uppercase + string.digits
        return "".join(alphabet[b % len(alphabet)] for b in digest[:26])

    def create_cluster_instance(self, context: RequestContext, params: dict) -> dict:
        """An instance joining a cluster: the writer if it is the first, else a reader."""
        scope = self.scope_of(context)
        identifier = check_identifier(params["DBInstanceIdentifier"])
        cluster = self.cluster_row(scope, params["DBClusterIdentifier"])
        cdesc = cluster["desc"]
        if params["Engine"].lower() != cdesc["Engine"]:
            raise combination(
                f"The engine name requested for your DB instance ({params['Engine']}) doesn't match the"
                f" engine name of your DB cluster ({cdesc['Engine']})."
            )
        self.check_class(params["DBInstanceClass"])
        engine = ENGINES[cdesc["Engine"]]
        writer = cluster.get("writer")
        info = catalog.engine_info(cdesc["Engine"])
        with self.store.transaction():
            if self.instances.get(scope, identifier) is not None:
                raise ServiceError("DBInstanceAlreadyExists", "DB instance already exists")
            merged = {**params, "PreferredBackupWindow": cdesc["PreferredBackupWindow"]}
            merged.pop("PreferredMaintenanceWindow", None)
            desc = self.new_desc(
                context,
                identifier,
                merged,
                cdesc["Engine"],
                cdesc["EngineVersion"],
                1,
                "aurora",
                cdesc["BackupRetentionPeriod"],
            )
            desc.update(
                MasterUsername=cdesc["MasterUsername"],
                DBName=cdesc.get("DatabaseName"),
                DBClusterIdentifier=cdesc["DBClusterIdentifier"],
                DBParameterGroups=[
                    {
                        "DBParameterGroupName": self.parameter_group_for(
                            context, params.get("DBParameterGroupName"), info.family(cdesc["EngineVersion"])
                        ),
                        "ParameterApplyStatus": "in-sync",
                    }
                ],
                DBSubnetGroup=self.subnet_group_for(context, cdesc["DBSubnetGroup"])
                if cdesc["DBSubnetGroup"] != "default"
                else None,
                OptionGroupMemberships=[],
                VpcSecurityGroups=cdesc["VpcSecurityGroups"],
                StorageEncrypted=cdesc["StorageEncrypted"],
                PromotionTier=params.get("PromotionTier", 1),
                BackupRetentionPeriod=cdesc["BackupRetentionPeriod"],
            )
            row = {
                "desc": desc,
                "key": f"{context.account}-{context.region}-{identifier}",
                "port": cluster["port"] if writer is None else self.new_port(),
                # The first instance is the writer, and the reader endpoint until a reader joins.
                **({"listen": f"127.0.0.1,{READER_ADDRESS}"} if writer is None else {}),
                "password": cluster["password"],
                "tags": tagging.tag_map(params.get("Tags"), self.tag_rules),
                "created": time.time(),
                "applied": {},
                "runs": engine.runs(cdesc["EngineVersion"]),
            }
            if writer is not None:
                desc["StatusInfos"] = [
                    {"StatusType": "read replication", "Normal": True, "Status": "replicating"}
                ]
            self.instances.put(scope, identifier, row)
            self.instance_by_key[row["key"]] = (scope, identifier)
            cluster["members"].append(identifier)
            if writer is None:
                cluster["writer"] = identifier
            self.clusters.put(scope, cdesc["DBClusterIdentifier"], cluster)
        cluster_id = cdesc["DBClusterIdentifier"]
        if writer is None:
            seed = cluster.get("seed")
            if seed:

                def restore() -> None:
                    instance = self.instance_row(scope, identifier)
                    self.supervisor.copy_home(seed, instance["key"])
                    engine.after_copy(self.supervisor, self.server(instance))
                    self.run_engine(scope, identifier)
                    self.set_status(scope, identifier, "available")

                self.background(scope, identifier, restore, "creation")
            else:
                self.background(scope, identifier, lambda: self._build(scope, identifier), "creation")
        else:

            def join() -> None:
                deadline = time.monotonic() + 300
                while self.instance_row(scope, writer)["desc"]["DBInstanceStatus"] != "available":
                    if time.monotonic() > deadline:
                        raise ServiceError(
                            "InvalidDBClusterStateFault", "The cluster's writer never became available."
                        )
                    time.sleep(0.1)
                self.build_replica(scope, identifier, writer)
                self.place_reader_endpoint(scope, cluster_id, joining=(identifier,))
                self.set_status(scope, identifier, "available")

            self.background(scope, identifier, join, "reader creation")
        self.record_event(
            scope,
            "db-cluster",
            cluster_id,
            f"Added DB instance {identifier} to the DB cluster",
            "notification",
        )
        return {"DBInstance": self.render_instance(self.instance_row(scope, identifier))}

    def forget_cluster_member(self, scope: str, cluster: str, identifier: str) -> None:
        row = self.clusters.get(scope, cluster)
        if row is None:
            return
        row["members"] = [m for m in row["members"] if m != identifier]
        if row.get("writer") == identifier:
            row["writer"] = None
        self.clusters.put(scope, cluster, row)

    # -- describe, modify, delete ---------------------------------------------------------------------

    def describe_db_clusters(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        scope = self.scope_of(context)
        if params.get("DBClusterIdentifier"):
            rows = [self.cluster_row(scope, params["DBClusterIdentifier"])]
        else:
            rows = [row for _, row in self.clusters.scan(scope)]
        descs = apply_filters(
            [self.render_cluster(r) for r in rows],
            params.get("Filters"),
            {
                "db-cluster-id": lambda d: [d["DBClusterIdentifier"], d["DBClusterArn"]],
                "db-cluster-resource-id": lambda d: d["DbClusterResourceId"],
                "engine": lambda d: d["Engine"],
                "domain": lambda d: [],
                "clone-group-id": lambda d: [],
            },
        )
        return self.page("DescribeDBClusters", params, descs)

    def modify_db_cluster(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        password = params.get("MasterUserPassword")
        manage = params.get("ManageMasterUserPassword")
        managed = bool(self.cluster_row(scope, params["DBClusterIdentifier"])["desc"].get("MasterUserSecret"))
        if manage is True and password:
            raise combination(
                "You can't specify MasterUserPassword and ManageMasterUserPassword at the same time."
            )
        if manage is False and managed and not password:
            raise invalid("You must specify MasterUserPassword when you turn off ManageMasterUserPassword.")
        if params.get("RotateMasterUserPassword") and not (managed and manage is not False):
            raise combination(
                "You can specify RotateMasterUserPassword only when the master user password is managed in Secrets Manager."
            )
        if (manage is True and not managed) or params.get("RotateMasterUserPassword"):
            password = generated_password()
        with self.store.transaction():
            row = self.cluster_row(scope, params["DBClusterIdentifier"])
            desc = row["desc"]
            if desc["Status"] != "available":
                raise invalid_cluster_state(
                    f"DbCluster {desc['DBClusterIdentifier']} is not in available state."
                )
            if password:
                check_password(password, desc["Engine"])
            if params.get("BackupRetentionPeriod") is not None:
                desc["BackupRetentionPeriod"] = params["BackupRetentionPeriod"]
            if params.get("PreferredBackupWindow"):
                desc["PreferredBackupWindow"] = check_backup_window(params["PreferredBackupWindow"])
            if params.get("PreferredMaintenanceWindow"):
                desc["PreferredMaintenanceWindow"] = check_maintenance_window(
                    params["PreferredMaintenanceWindow"]
                )
            for name, field in (
                ("DeletionProtection", "DeletionProtection"),
                ("EnableHttpEndpoint", "HttpEndpointEnabled"),
                ("EnableIAMDatabaseAuthentication", "IAMDatabaseAuthenticationEnabled"),
                ("CopyTagsToSnapshot", "CopyTagsToSnapshot"),
                ("ServerlessV2ScalingConfiguration", "ServerlessV2ScalingConfiguration"),
            ):
                if params.get(name) is not None:
                    desc[field] = params[name]
            if params.get("DBClusterParameterGroupName"):
                self.parameter_group(scope, params["DBClusterParameterGroupName"], cluster=True)
                desc["DBClusterParameterGroup"] = params["DBClusterParameterGroupName"].lower()
            if params.get("VpcSecurityGroupIds") is not None:
                desc["VpcSecurityGroups"] = [
                    {"VpcSecurityGroupId": sg, "Status": "active"} for sg in params["VpcSecurityGroupIds"]
                ]
            if password:
                row["password"] = password
            dropped = desc.pop("MasterUserSecret", None) if manage is False else None
            self.clusters.put(scope, desc["DBClusterIdentifier"], row)
        if dropped:
            self.delete_managed_secret(scope, dropped["SecretArn"])
        import json

        text = json.dumps({"username": desc["MasterUsername"], "password": password})
        if manage is True and not managed:
            name = f"rds!cluster-{desc['DbClusterResourceId'][8:].lower()}"
            secret = self.runtime.provider("secretsmanager").create_managed_secret(
                context.account, context.region, name, text, "rds"
            )
            with self.store.transaction():
                row = self.cluster_row(scope, desc["DBClusterIdentifier"])
                row["desc"]["MasterUserSecret"] = {
                    "SecretArn": secret,
                    "SecretStatus": "active",
                    "KmsKeyId": self.secret_key_arn(context, params.get("MasterUserSecretKmsKeyId")),
                }
                self.clusters.put(scope, desc["DBClusterIdentifier"], row)
        elif params.get("RotateMasterUserPassword"):
            import uuid

            self.runtime.provider("secretsmanager").put_secret_value(
                RequestContext.internal("rds", context.account, context.region),
                {
                    "SecretId": desc["MasterUserSecret"]["SecretArn"],
                    "SecretString": text,
                    "ClientRequestToken": str(uuid.uuid4()),
                },
            )
        if params.get("EnableIAMDatabaseAuthentication") is not None:
            for member in row["members"]:
                self.background(scope, member, partial(self.apply_iam_auth, scope, member), "IAM auth")
        writer = row.get("writer")
        if password and writer:
            # The writer's role changes, and the readers replicate it; they follow with the new
            # password for their own connection to the writer.
            self.modify_db_instance(
                context,
                {"DBInstanceIdentifier": writer, "MasterUserPassword": password, "ApplyImmediately": True},
            )
        rendered = self.render_cluster(self.cluster_row(scope, row["desc"]["DBClusterIdentifier"]))
        if rendered.get("MasterUserSecret") and (
            (manage is True and not managed) or params.get("RotateMasterUserPassword")
        ):
            # As RDS answers while it makes or rotates the secret.
            status = "rotating" if params.get("RotateMasterUserPassword") else "creating"
            rendered["MasterUserSecret"] = {**rendered["MasterUserSecret"], "SecretStatus": status}
        return {"DBCluster": rendered}

    def delete_db_cluster(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        final = params.get("FinalDBSnapshotIdentifier")
        with self.store.transaction():
            row = self.cluster_row(scope, params["DBClusterIdentifier"])
            desc = row["desc"]
            if desc.get("DeletionProtection"):
                raise invalid(
                    "Cannot delete protected Cluster, please disable deletion protection and try again."
                )
            if row["members"]:
                raise invalid_cluster_state(
                    "Cluster cannot be deleted, it still contains DB instances in non-deleting state."
                )
            if desc.get("GlobalClusterIdentifier"):
                raise invalid_cluster_state(
                    "This cluster is a part of a global cluster, please remove it from globalcluster first"
                )
            if not params.get("SkipFinalSnapshot") and not final:
                raise combination(
                    "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified."
                )
            self.clusters.delete(scope, desc["DBClusterIdentifier"])
            self.drop_cluster_endpoints(scope, desc["DBClusterIdentifier"])
        if desc.get("MasterUserSecret"):
            self.delete_managed_secret(scope, desc["MasterUserSecret"]["SecretArn"])
        self.record_event(scope, "db-cluster", desc["DBClusterIdentifier"], "DB cluster deleted", "deletion")
        return {"DBCluster": {**self.render_cluster(row), "Status": "deleting"}}

    # -- failover -------------------------------------------------------------------------------------

    def failover_db_cluster(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        row = self.cluster_row(scope, params["DBClusterIdentifier"])
        writer = row.get("writer")
        readers = [m for m in row["members"] if m != writer]
        target = (params.get("TargetDBInstanceIdentifier") or "").lower() or None
        if writer is None or not readers:
            raise invalid_cluster_state("The DB cluster has no reader to fail over to.")
        if target is not None and target not in readers:
            raise invalid(f"DBInstance {target} is not a reader of the DB cluster.")
        target = target or min(
            readers, key=lambda r: (self.instance_row(scope, r)["desc"].get("PromotionTier", 1), r)
        )
        for member in row["members"]:
            if self.instance_row(scope, member)["desc"]["DBInstanceStatus"] != "available":
                raise invalid_cluster_state(f"Instance {member} is not in available state.")
        cluster_id = row["desc"]["DBClusterIdentifier"]
        with self.store.transaction():
            row["desc"]["Status"] = "failing-over"
            self.clusters.put(scope, cluster_id, row)

        def failover() -> None:
            try:
                self._failover(scope, cluster_id, writer, target)
            finally:
                self.background_cluster_done(scope, cluster_id)

        self.background(scope, cluster_id, failover, "failover")
        return {"DBCluster": self.render_cluster(row)}

    def _failover(self, scope: str, cluster_id: str, old: str, new: str, rejoin_old: bool = True) -> None:
        """The reader `new` becomes the writer on the cluster's port; `old` a reader of it."""
        cluster = self.cluster_row(scope, cluster_id)
        old_row, new_row = self.instance_row(scope, old), self.instance_row(scope, new)
        engine = self.engine_of(new_row)
        for member in (old, new) if rejoin_old else (new,):
            self.set_status(scope, member, "rebooting")
        self.supervisor.stop(old_row["key"])
        engine.promote(self.supervisor, self.server(new_row))
        self.supervisor.stop(new_row["key"])
        old_port, new_port = old_row["port"], new_row["port"]
        if new_port == old_port:  # the new writer held the reader endpoint, on the cluster's port
            new_port = self.new_port()
        with self.store.transaction():
            for member, port in ((new, old_port), (old, new_port)):
                current = self.instance_row(scope, member)
                current["port"] = port
                current["address"] = "127.0.0.1"
                current["listen"] = "127.0.0.1" if member == new else ""
                self.instances.put(scope, member, current)
            new_row = self.instance_row(scope, new)
            new_row["desc"].pop("StatusInfos", None)
            self.instances.put(scope, new, new_row)
            cluster["writer"] = new
            self.clusters.put(scope, cluster_id, cluster)
        engine.configure(self.supervisor, self.server(self.instance_row(scope, new)))
        self.run_engine(scope, new)
        self.set_status(scope, new, "available")
        self.record_event(
            scope, "db-cluster", cluster_id, f"Completed failover to DB instance: {new}", "failover"
        )
        rejoined = tuple(
            ([old] if rejoin_old else []) + [m for m in cluster["members"] if m not in (old, new)]
        )
        for member in rejoined:
            self._rejoin(scope, member, new, announce=False)
        self.place_reader_endpoint(scope, cluster_id, joining=rejoined)
        for member in rejoined:
            self.set_status(scope, member, "available")

    def place_reader_endpoint(self, scope: str, cluster_id: str, joining: tuple[str, ...] = ()) -> None:
        """Put the reader endpoint (READER_ADDRESS on the cluster's port) on one available
        reader — the one that has it, else the first — or on the writer when there is none;
        the other readers keep ports of their own. A member whose addresses change restarts,
        the one giving the endpoint up first."""
        cluster = self.clusters.get(scope, cluster_id)
        if cluster is None:
            return
        writer, port = cluster.get("writer"), cluster["port"]
        rows = {m: self.instances.get(scope, m) for m in cluster["members"]}
        readers = [
            m
            for m, row in rows.items()
            if m != writer
            and row is not None
            and (row["desc"]["DBInstanceStatus"] == "available" or m in joining)
        ]
        holder = next((m for m in readers if rows[m].get("address") == READER_ADDRESS), None)
        holder = holder or (readers[0] if readers else None)
        changes = []
        for member, row in rows.items():
            if row is None or (
                row["desc"]["DBInstanceStatus"] not in ("available", "rebooting") and member not in joining
            ):
                continue
            if member == writer:
                want = ("127.0.0.1", port, "127.0.0.1" if holder else f"127.0.0.1,{READER_ADDRESS}")
            elif member == holder:
                want = (READER_ADDRESS, port, READER_ADDRESS)
            else:
                want = ("127.0.0.1", row["port"] if row["port"] != port else self.new_port(), "")
            have = (row.get("address") or "127.0.0.1", row["port"], row.get("listen") or "")
            if want != have:
                changes.append((READER_ADDRESS in want[2], member, want))
        for _, member, (address, member_port, listen) in sorted(changes):
            with self.store.transaction():
                current = self.instance_row(scope, member)
                current.update(address=address, port=member_port, listen=listen)
                self.instances.put(scope, member, current)
            status = current["desc"]["DBInstanceStatus"]
            self.set_status(scope, member, "rebooting")
            self.supervisor.stop(current["key"])
            primary = None
            if member != writer and writer is not None:
                primary = self.server(self.instance_row(scope, writer))
            self.engine_of(current).configure(self.supervisor, self.server(current), primary)
            self.run_engine(scope, member)
            self.set_status(
                scope, member, status if status != "rebooting" or member in joining else "available"
            )

    def _rejoin(self, scope: str, member: str, writer: str, announce: bool = True) -> None:
        """A cluster member becomes (again) a reader of the current writer: a fresh base backup."""
        self.build_replica(scope, member, writer)
        with self.store.transaction():
            current = self.instance_row(scope, member)
            current["desc"]["StatusInfos"] = [
                {"StatusType": "read replication", "Normal": True, "Status": "replicating"}
            ]
            self.instances.put(scope, member, current)
        if announce:
            self.set_status(scope, member, "available")

    def background_cluster_done(self, scope: str, cluster_id: str) -> None:
        with self.store.transaction():
            row = self.clusters.get(scope, cluster_id)
            if row is not None:
                row["desc"]["Status"] = "available"
                self.clusters.put(scope, cluster_id, row)

    # -- the cluster's instances together -------------------------------------------------------------

    def _each_member(self, context: RequestContext, params: dict, operation: str, status: str) -> dict:
        scope = self.scope_of(context)
        row = self.cluster_row(scope, params["DBClusterIdentifier"])
        cluster_id = row["desc"]["DBClusterIdentifier"]
        handler = getattr(self, operation)
        for member in row["members"]:
            handler(context, {"DBInstanceIdentifier": member})
        with self.store.transaction():
            row["desc"]["Status"] = status
            self.clusters.put(scope, cluster_id, row)
        return {"DBCluster": self.render_cluster(row)}

    def stop_db_cluster(self, context: RequestContext, params: dict) -> dict:
        row = self.cluster_row(self.scope_of(context), params["DBClusterIdentifier"])
        if row["desc"]["Status"] != "available":
            raise invalid_cluster_state(
                f"DbCluster {row['desc']['DBClusterIdentifier']} is not in available state."
            )
        scope = self.scope_of(context)
        for member in row["members"]:
            self._stop_member(scope, member)
        with self.store.transaction():
            row["desc"]["Status"] = "stopped"
            self.clusters.put(scope, row["desc"]["DBClusterIdentifier"], row)
        return {"DBCluster": self.render_cluster(row)}

    def _stop_member(self, scope: str, member: str) -> None:
        self.set_status(scope, member, "stopping")

        def stop() -> None:
            self.supervisor.stop(self.instance_row(scope, member)["key"])
            self.set_status(scope, member, "stopped")

        self.background(scope, member, stop, "stop")

    def start_db_cluster(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        row = self.cluster_row(scope, params["DBClusterIdentifier"])
        if row["desc"]["Status"] != "stopped":
            raise invalid_cluster_state(
                f"DbCluster {row['desc']['DBClusterIdentifier']} is not in stopped state."
            )
        for member in row["members"]:
            self.set_status(scope, member, "starting")
            self.background(scope, member, partial(self._start_member, scope, member), "start")
        with self.store.transaction():
            row["desc"]["Status"] = "available"
            self.clusters.put(scope, row["desc"]["DBClusterIdentifier"], row)
        return {"DBCluster": self.render_cluster(row)}

    def _start_member(self, scope: str, member: str) -> None:
        self.restart_engine(scope, member)
        self.set_status(scope, member, "available")

    def reboot_db_cluster(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        row = self.cluster_row(scope, params["DBClusterIdentifier"])
        if row["desc"]["Status"] != "available":
            raise invalid_cluster_state(
                f"DbCluster {row['desc']['DBClusterIdentifier']} is not in available state."
            )
        for member in row["members"]:
            self.reboot_db_instance(context, {"DBInstanceIdentifier": member})
        return {"DBCluster": self.render_cluster(row)}

    # -- endpoints and the Data API switch ------------------------------------------------------------

    def describe_db_cluster_endpoints(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        scope = self.scope_of(context)
        rows = (
            [self.cluster_row(scope, params["DBClusterIdentifier"])]
            if params.get("DBClusterIdentifier")
            else [row for _, row in self.clusters.scan(scope)]
        )
        endpoints = []
        for row in rows:
            desc = self.render_cluster(row)
            for kind, address in (("WRITER", desc["Endpoint"]), ("READER", desc["ReaderEndpoint"])):
                endpoints.append(
                    {
                        "DBClusterEndpointIdentifier": f"{desc['DBClusterIdentifier']}-{kind.lower()}",
                        "DBClusterIdentifier": desc["DBClusterIdentifier"],
                        "Endpoint": address,
                        "Status": "available",
                        "EndpointType": kind,
                    }
                )
        endpoints += self.custom_endpoint_listing(scope, [row["desc"]["DBClusterIdentifier"] for row in rows])
        if params.get("DBClusterEndpointIdentifier"):
            endpoints = [
                e
                for e in endpoints
                if e["DBClusterEndpointIdentifier"] == params["DBClusterEndpointIdentifier"].lower()
            ]
        endpoints = apply_filters(
            endpoints,
            params.get("Filters"),
            {
                "db-cluster-endpoint-type": lambda e: e["EndpointType"].lower(),
                "db-cluster-endpoint-status": lambda e: e["Status"],
                "db-cluster-endpoint-custom-type": lambda e: (
                    [e["CustomEndpointType"].lower()] if e.get("CustomEndpointType") else []
                ),
            },
        )
        return self.page("DescribeDBClusterEndpoints", params, endpoints)

    def _http_endpoint(self, context: RequestContext, resource: str, enabled: bool) -> dict:
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self.cluster_row(scope, resource)
            row["desc"]["HttpEndpointEnabled"] = enabled
            self.clusters.put(scope, row["desc"]["DBClusterIdentifier"], row)
        return {"ResourceArn": row["desc"]["DBClusterArn"], "HttpEndpointEnabled": enabled}

    def enable_http_endpoint(self, context: RequestContext, params: dict) -> dict:
        return self._http_endpoint(context, params["ResourceArn"], True)

    def disable_http_endpoint(self, context: RequestContext, params: dict) -> dict:
        return self._http_endpoint(context, params["ResourceArn"], False)

    # -- cluster snapshots ----------------------------------------------------------------------------

    def _cluster_snapshot(self, scope: str, identifier: str) -> dict[str, Any]:
        if identifier.startswith("arn:"):
            identifier = identifier.rsplit(":", 1)[-1]
        row = self.cluster_snapshots.get(scope, identifier.lower())
        if row is None:
            raise not_found("DBClusterSnapshotNotFoundFault", f"DBClusterSnapshot {identifier} not found.")
        return row

    def _render_cluster_snapshot(self, row: dict[str, Any]) -> dict[str, Any]:
        return {**row["desc"], "TagList": tagging.tag_list(row.get("tags"))}

    def create_db_cluster_snapshot(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = check_identifier(params["DBClusterSnapshotIdentifier"], "DBClusterSnapshotIdentifier")
        cluster = self.cluster_row(scope, params["DBClusterIdentifier"])
        writer = cluster.get("writer")
        if writer is None or self.instance_row(scope, writer)["desc"]["DBInstanceStatus"] != "available":
            raise invalid_cluster_state("The DB cluster has no available writer instance to snapshot.")
        cdesc = cluster["desc"]
        with self.store.transaction():
            if self.cluster_snapshots.get(scope, name) is not None:
                raise ServiceError(
                    "DBClusterSnapshotAlreadyExistsFault",
                    f"Cannot create the cluster snapshot because one with the identifier {name} already exists.",
                )
            row = {
                "desc": {
                    "AvailabilityZones": cdesc["AvailabilityZones"],
                    "DBClusterSnapshotIdentifier": name,
                    "DBClusterIdentifier": cdesc["DBClusterIdentifier"],
                    "SnapshotCreateTime": iso(),
                    "Engine": cdesc["Engine"],
                    "EngineMode": cdesc["EngineMode"],
                    "AllocatedStorage": 1,
                    "Status": "creating",
                    "Port": cluster["port"],
                    "VpcId": "",
                    "ClusterCreateTime": cdesc["ClusterCreateTime"],
                    "MasterUsername": cdesc["MasterUsername"],
                    "EngineVersion": cdesc["EngineVersion"],
                    "LicenseModel": catalog.engine_info(cdesc["Engine"]).license,
                    "SnapshotType": "manual",
                    "PercentProgress": 0,
                    "StorageEncrypted": cdesc["StorageEncrypted"],
                    "DBClusterSnapshotArn": arn(context, "cluster-snapshot", name),
                    "IAMDatabaseAuthenticationEnabled": cdesc["IAMDatabaseAuthenticationEnabled"],
                    "DbClusterResourceId": cdesc["DbClusterResourceId"],
                    "StorageType": cdesc["StorageType"],
                },
                "key": self.snapshot_key(scope, "cluster-" + name),
                "password": cluster["password"],
                "DatabaseName": cdesc.get("DatabaseName"),
                "tags": tagging.tag_map(params.get("Tags"), self.tag_rules),
                "restore": [],
            }
            self.cluster_snapshots.put(scope, name, row)

        def copy() -> None:
            instance = self.instance_row(scope, writer)
            engine = self.engine_of(instance)
            self.supervisor.remove_home(row["key"])
            if isinstance(engine, MariaDBEngine):
                self.supervisor.stop(instance["key"])
                self.supervisor.copy_home(instance["key"], row["key"])
                self.run_engine(scope, writer)
            else:
                engine.base_backup(self.supervisor, self.server(instance), row["key"])
            with self.store.transaction():
                current = self.cluster_snapshots.get(scope, name)
                if current is not None:
                    current["desc"].update(Status="available", PercentProgress=100)
                    self.cluster_snapshots.put(scope, name, current)

        self.background(scope, writer, copy, "cluster snapshot")
        return {"DBClusterSnapshot": self._render_cluster_snapshot(row)}

    def describe_db_cluster_snapshots(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        scope = self.scope_of(context)
        if params.get("DBClusterSnapshotIdentifier"):
            rows = [self._cluster_snapshot(scope, params["DBClusterSnapshotIdentifier"])]
        else:
            rows = [row for _, row in self.cluster_snapshots.scan(scope)]
        if params.get("DBClusterIdentifier"):
            rows = [
                r for r in rows if r["desc"]["DBClusterIdentifier"] == params["DBClusterIdentifier"].lower()
            ]
        if params.get("SnapshotType"):
            rows = [r for r in rows if r["desc"]["SnapshotType"] == params["SnapshotType"]]
        descs = apply_filters(
            [self._render_cluster_snapshot(r) for r in rows],
            params.get("Filters"),
            {
                "db-cluster-id": lambda d: d["DBClusterIdentifier"],
                "db-cluster-snapshot-id": lambda d: d["DBClusterSnapshotIdentifier"],
                "snapshot-type": lambda d: d["SnapshotType"],
                "engine": lambda d: d["Engine"],
            },
        )
        return self.page("DescribeDBClusterSnapshots", params, descs)

    def delete_db_cluster_snapshot(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self._cluster_snapshot(scope, params["DBClusterSnapshotIdentifier"])
            if row["desc"]["Status"] != "available":
                raise ServiceError(
                    "InvalidDBClusterSnapshotStateFault",
                    "The cluster snapshot is not in the available state.",
                )
            self.cluster_snapshots.delete(scope, row["desc"]["DBClusterSnapshotIdentifier"])
        self.supervisor.remove_home(row["key"])
        return {"DBClusterSnapshot": {**self._render_cluster_snapshot(row), "Status": "deleted"}}

    def copy_db_cluster_snapshot(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        source = self._cluster_snapshot(scope, params["SourceDBClusterSnapshotIdentifier"])
        target = check_identifier(
            params["TargetDBClusterSnapshotIdentifier"], "TargetDBClusterSnapshotIdentifier"
        )
        if source["desc"]["Status"] != "available":
            raise ServiceError(
                "InvalidDBClusterSnapshotStateFault", "The source cluster snapshot is not available."
            )
        with self.store.transaction():
            if self.cluster_snapshots.get(scope, target) is not None:
                raise ServiceError(
                    "DBClusterSnapshotAlreadyExistsFault",
                    f"Cannot create the cluster snapshot because one with the identifier {target} already exists.",
                )
            row = {
                **source,
                "desc": {
                    **source["desc"],
                    "DBClusterSnapshotIdentifier": target,
                    "DBClusterSnapshotArn": arn(context, "cluster-snapshot", target),
                    "SourceDBClusterSnapshotArn": source["desc"]["DBClusterSnapshotArn"],
                    "SnapshotType": "manual",
                    "SnapshotCreateTime": iso(),
                },
                "key": self.snapshot_key(scope, "cluster-" + target),
                "tags": (dict(source.get("tags") or {}) if params.get("CopyTags") else {})
                | tagging.tag_map(params.get("Tags"), self.tag_rules),
                "restore": [],
            }
            self.supervisor.copy_home(source["key"], row["key"])
            self.cluster_snapshots.put(scope, target, row)
        return {"DBClusterSnapshot": self._render_cluster_snapshot(row)}

    def restore_db_cluster_from_snapshot(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        snapshot = self._cluster_snapshot(scope, params["SnapshotIdentifier"])
        sdesc = snapshot["desc"]
        if params["Engine"].lower() != sdesc["Engine"]:
            raise combination(
                f"The engine {params['Engine']} cannot restore a snapshot of {sdesc['Engine']}."
            )
        created = self.create_db_cluster(
            context,
            {
                **{
                    k: v
                    for k, v in params.items()
                    if k
                    in (
                        "DBClusterIdentifier",
                        "Port",
                        "DBSubnetGroupName",
                        "VpcSecurityGroupIds",
                        "Tags",
                        "DeletionProtection",
                        "EnableIAMDatabaseAuthentication",
                        "DBClusterParameterGroupName",
                        "CopyTagsToSnapshot",
                        "AvailabilityZones",
                        "BackupRetentionPeriod",
                    )
                },
                "Engine": sdesc["Engine"],
                "EngineVersion": params.get("EngineVersion") or sdesc["EngineVersion"],
                "MasterUsername": sdesc["MasterUsername"],
                "MasterUserPassword": snapshot["password"],
                "DatabaseName": snapshot.get("DatabaseName"),
                "EnableHttpEndpoint": params.get("EnableHttpEndpoint"),
                "seed": snapshot["key"],
            },
        )
        return created

    def describe_db_cluster_snapshot_attributes(self, context: RequestContext, params: dict) -> dict:
        row = self._cluster_snapshot(self.scope_of(context), params["DBClusterSnapshotIdentifier"])
        return {"DBClusterSnapshotAttributesResult": self._cluster_attributes(row)}

    def _cluster_attributes(self, row: dict[str, Any]) -> dict[str, Any]:
        return {
            "DBClusterSnapshotIdentifier": row["desc"]["DBClusterSnapshotIdentifier"],
            "DBClusterSnapshotAttributes": [
                {"AttributeName": "restore", "AttributeValues": list(row.get("restore") or [])}
            ],
        }

    def modify_db_cluster_snapshot_attribute(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        if params["AttributeName"] != "restore":
            raise invalid(f"Invalid cluster snapshot attribute name: {params['AttributeName']}")
        with self.store.transaction():
            row = self._cluster_snapshot(scope, params["DBClusterSnapshotIdentifier"])
            accounts = [
                a for a in row.get("restore") or [] if a not in set(params.get("ValuesToRemove") or [])
            ]
            for account in params.get("ValuesToAdd") or []:
                if account != "all" and not (len(account) == 12 and account.isdigit()):
                    raise invalid(f"Invalid AWS account id: {account}")
                if account not in accounts:
                    accounts.append(account)
            row["restore"] = accounts
            self.cluster_snapshots.put(scope, row["desc"]["DBClusterSnapshotIdentifier"], row)
        return {"DBClusterSnapshotAttributesResult": self._cluster_attributes(row)}

    def restore_db_cluster_to_point_in_time(self, context: RequestContext, params: dict) -> dict:
        """The latest restorable time: a new cluster seeded by a base backup of the source's
        writer taken now (its first instance starts on that copy). An earlier time: the
        newest manual cluster snapshot taken at or before it."""
        scope = self.scope_of(context)
        source_id = params.get("SourceDBClusterIdentifier")
        if not source_id:
            raise invalid("The parameter SourceDBClusterIdentifier must be provided.")
        source = self.cluster_row(scope, source_id)
        if params.get("UseLatestRestorableTime") and params.get("RestoreToTime"):
            raise combination("Cannot specify both RestoreToTime and UseLatestRestorableTime.")
        sdesc = source["desc"]
        common = {
            k: v
            for k, v in params.items()
            if k
            in (
                "DBClusterIdentifier",
                "Port",
                "DBSubnetGroupName",
                "VpcSecurityGroupIds",
                "Tags",
                "DeletionProtection",
                "EnableIAMDatabaseAuthentication",
                "DBClusterParameterGroupName",
                "CopyTagsToSnapshot",
            )
        }
        common.update(
            Engine=sdesc["Engine"],
            EngineVersion=sdesc["EngineVersion"],
            MasterUsername=sdesc["MasterUsername"],
            MasterUserPassword=source["password"],
            DatabaseName=sdesc.get("DatabaseName"),
        )
        restore_time = params.get("RestoreToTime")
        if restore_time is not None:
            moment = restore_time.timestamp() if hasattr(restore_time, "timestamp") else float(restore_time)
            candidates = [
                row
                for _, row in self.cluster_snapshots.scan(scope)
                if row["desc"]["DBClusterIdentifier"] == sdesc["DBClusterIdentifier"]
                and row["desc"]["Status"] == "available"
                and row["desc"]["SnapshotCreateTime"].timestamp() <= moment
            ]
            if not candidates:
                raise invalid(
                    "The restore time is before the earliest restorable time of the source cluster."
                )
            best = max(candidates, key=lambda r: r["desc"]["SnapshotCreateTime"])
            return self.create_db_cluster(context, {**common, "seed": best["key"]})
        writer = source.get("writer")
        if writer is None or self.instance_row(scope, writer)["desc"]["DBInstanceStatus"] != "available":
            raise invalid_cluster_state("The source cluster has no available writer to restore from.")
        key = self.snapshot_key(scope, f"pitr-{params['DBClusterIdentifier'].lower()}-{int(time.time())}")
        instance = self.instance_row(scope, writer)
        engine = self.engine_of(instance)
        if isinstance(engine, MariaDBEngine):
            self.supervisor.stop(instance["key"])
            try:
                self.supervisor.copy_home(instance["key"], key)
            finally:
                self.background(scope, writer, partial(self._start_member, scope, writer), "restart")
        else:
            # A base backup is a few hundred milliseconds for a small database: taken now, so the
            # new cluster holds what the source held at this request.
            engine.base_backup(self.supervisor, self.server(instance), key)
        return self.create_db_cluster(context, {**common, "seed": key})
