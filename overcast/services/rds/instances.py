"""DB instances: each a real PostgreSQL or MariaDB server, a child process on its own port.

A row holds the instance as DescribeDBInstances shows it ("desc"), plus what only Overcast
needs: the engine home's key, the master password, the parameters written to the engine.
Work that takes time (initdb, a restart, a copy) runs in a background thread per instance,
which moves the status along as AWS does: creating → backing-up → available, modifying,
rebooting, stopping → stopped, starting, deleting."""

from __future__ import annotations

import hashlib
import logging
import secrets
import string
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from overcast.common import tagging
from overcast.common.arns import partition
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
    next_weekly,
    not_found,
)
from overcast.services.rds.engines import (
    ENGINES,
    IAM_ROLE,
    EngineError,
    MariaDBEngine,
    PostgresEngine,
    Server,
)

log = logging.getLogger(__name__)

#: States in which an instance's engine should be running (and is started again after a restart).
RUNNING_STATES = frozenset(
    {
        "available",
        "backing-up",
        "modifying",
        "rebooting",
        "starting",
        "storage-optimization",
        "resetting-master-credentials",
    }
)
RESERVED_USERS = {"postgres": {"postgres", "rdsadmin", "rds_superuser"}, "mysql": {"rdsadmin", "root"}}


def instance_not_found(identifier: str) -> ServiceError:
    return not_found("DBInstanceNotFound", f"DBInstance {identifier} not found.")


def not_available(identifier: str) -> ServiceError:
    return ServiceError("InvalidDBInstanceState", f"Instance {identifier} is not in available state.")


def _resource_id(scope: str, identifier: str) -> str:
    digest = hashlib.sha256(f"{scope}/{identifier}/{time.time_ns()}".encode()).digest()
    alphabet = string.ascii_uppercase + string.digits
    return "db-" + "".join(alphabet[b % len(alphabet)] for b in digest[:26])


def generated_password() -> str:
    alphabet = string.ascii_letters + string.digits + "!#$%&()*+,-.:;<=>?[]^_{|}~"
    return "".join(secrets.choice(alphabet) for _ in range(28))


def check_password(password: str, engine: str) -> None:
    low, high = (8, 128) if "postgres" in engine else (8, 41)
    if not low <= len(password) <= high or any(c in password for c in '/"@ '):
        raise invalid(
            "The parameter MasterUserPassword is not a valid password. Only printable ASCII characters"
            " besides '/', '@', '\"', ' ' may be used."
            if len(password) >= low
            else "The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters."
        )


class InstanceMixin(MixinBase):
    # -- rows ---------------------------------------------------------------------------------------

    def instance_row(self, scope: str, identifier: str) -> dict[str, Any]:
        row = self.instances.get(scope, identifier.lower())
        if row is None:
            raise instance_not_found(identifier)
        return row

    def server(self, row: dict[str, Any], password: str | None = None) -> Server:
        desc = row["desc"]
        iam, resource_id = self.iam_auth_of(row)
        postgres = isinstance(self.engine_of(row), PostgresEngine)
        return Server(
            key=row["key"],
            port=row["port"],
            master_user=desc["MasterUsername"],
            master_password=password or row["password"],
            version=row.get("runs") or desc["EngineVersion"],
            parameters=row.get("applied") or {},
            iam_auth_port=self.token_front_port() if iam and postgres else 0,
            iam_resource_id=resource_id,
            wal_archive=f"{self.supervisor.visible(row['key'])}/wal-archive"
            if postgres and desc.get("BackupRetentionPeriod")
            else "",
            host=row.get("address") or "127.0.0.1",
            listen=row.get("listen") or "",
        )

    def apply_iam_auth(self, scope: str, identifier: str) -> None:
        """IAM database authentication switched on or off: the running engine's client
        authentication follows at once (a reload), and the rds_iam role exists to grant."""
        row = self.instances.get(scope, identifier)
        if row is None or not self.supervisor.running(row["key"]):
            return
        engine = self.engine_of(row)
        if not isinstance(engine, PostgresEngine):
            return
        server = self.server(row)
        engine.write_hba(self.supervisor, server)
        try:
            engine.sql(self.supervisor, server, IAM_ROLE)
        except EngineError:
            pass  # a replica: the role comes from its primary
        engine.reload(self.supervisor, server)

    def engine_of(self, row: dict[str, Any]) -> PostgresEngine | MariaDBEngine:
        return ENGINES[row["desc"]["Engine"]]

    def set_status(self, scope: str, identifier: str, status: str, **changes: Any) -> dict[str, Any] | None:
        with self.store.transaction():
            row = self.instances.get(scope, identifier)
            if row is None:
                return None
            row["desc"]["DBInstanceStatus"] = status
            secret = row["desc"].get("MasterUserSecret")
            if status == "available" and secret and secret.get("SecretStatus") in ("creating", "rotating"):
                secret["SecretStatus"] = "active"
            for name, value in changes.items():
                if name.startswith("_"):
                    row[name[1:]] = value
                else:
                    row["desc"][name] = value
            self.instances.put(scope, identifier, row)
        return row

    def render_instance(self, row: dict[str, Any]) -> dict[str, Any]:
        desc = dict(row["desc"])
        desc["Endpoint"] = {
            "Address": row.get("address") or "127.0.0.1",
            "Port": row["port"],
            "HostedZoneId": "Z2R2ITUGPM61AM",
        }
        desc["DbInstancePort"] = 0
        desc["PendingModifiedValues"] = dict(row.get("pending") or {})
        if row.get("pending_password"):
            desc["PendingModifiedValues"]["MasterUserPassword"] = "****"
        desc["TagList"] = tagging.tag_list(row.get("tags"))
        if desc.get("BackupRetentionPeriod"):
            desc["LatestRestorableTime"] = iso(max(time.time() - 300, row["created"]))
        return desc

    # -- work in the background ---------------------------------------------------------------------

    def background(self, scope: str, identifier: str, work: Callable[[], None], what: str) -> None:
        """Run an instance's slow work in its own thread, one piece at a time per instance."""
        lock = self.instance_locks.setdefault(f"{scope}/{identifier}", threading.Lock())

        def run() -> None:
            with lock:
                try:
                    work()
                except (EngineError, OSError, ServiceError) as error:
                    log.warning("rds %s %s failed: %s", identifier, what, error)
                    self.set_status(scope, identifier, "failed")
                    self.record_event(
                        scope, "db-instance", identifier, f"The {what} failed: {error}", "failure"
                    )
                except Exception:
                    log.exception("rds %s %s failed", identifier, what)
                    self.set_status(scope, identifier, "failed")

        threading.Thread(target=run, name=f"rds {identifier} {what}", daemon=True).start()

    def run_engine(self, scope: str, identifier: str, then: str = "available") -> None:
        """Start the instance's engine and wait until it answers (in background work)."""
        row = self.instance_row(scope, identifier)
        engine = self.engine_of(row)
        server = self.server(row)
        failed: list[str] = []
        self.supervisor.start(
            row["key"],
            engine.launch(self.supervisor, server),
            on_failed=partial(self._engine_failed, scope, identifier, failed),
        )
        if not self.supervisor.wait_ready(row["key"]) or failed:
            raise EngineError(failed[0] if failed else "the engine did not become ready")

    def _engine_failed(self, scope: str, identifier: str, failures: list[str], why: str) -> None:
        failures.append(why)
        row = self.instances.get(scope, identifier)
        if row is not None and row["desc"]["DBInstanceStatus"] in RUNNING_STATES:
            self.set_status(scope, identifier, "failed")
            self.record_event(
                scope, "db-instance", identifier, f"The database engine stopped: {why}", "failure"
            )

    def engine_event(self, key: str, message: str) -> None:
        """The supervisor restarted a crashed engine: an event on its instance."""
        found = self.instance_by_key.get(key)
        if found is not None:
            self.record_event(found[0], "db-instance", found[1], message, "failure")

    def resume_instances(self) -> None:
        """After Overcast restarts: every instance that was running runs again (in the background)."""
        for scope in self.instances.scopes():
            for identifier, row in self.instances.scan(scope):
                self.instance_by_key[row["key"]] = (scope, identifier)
                status = row["desc"]["DBInstanceStatus"]
                if status in RUNNING_STATES:
                    self.background(scope, identifier, partial(self._resume, scope, identifier), "restart")
                elif status == "creating":
                    self.background(scope, identifier, partial(self._build, scope, identifier), "creation")
                elif status == "stopping":
                    self.set_status(scope, identifier, "stopped")
                elif status == "deleting":
                    self.background(
                        scope, identifier, partial(self._delete, scope, identifier, None), "deletion"
                    )
                self.schedule_backup(scope, identifier)

    def _resume(self, scope: str, identifier: str) -> None:
        self.run_engine(scope, identifier)
        self.set_status(scope, identifier, "available")

    # -- create ---------------------------------------------------------------------------------------

    def create_db_instance(self, context: RequestContext, params: dict) -> dict:
        identifier = check_identifier(params["DBInstanceIdentifier"])
        engine_name = params["Engine"].lower()
        if params.get("DBClusterIdentifier"):
            return self.create_cluster_instance(context, params)
        if engine_name.startswith("aurora"):
            raise combination("DBClusterIdentifier is required for the aurora engines.")
        info = catalog.engine_info(engine_name)
        version = catalog.resolve_version(engine_name, params.get("EngineVersion"))
        self.check_class(params["DBInstanceClass"])
        if not params.get("MasterUsername"):
            raise invalid("The parameter MasterUsername must be provided and must not be blank.")
        user = params["MasterUsername"]
        if not (
            user[0].isalpha()
            and user.replace("_", "a").isalnum()
            and len(user) <= (63 if "postgres" in engine_name else 32)
        ):
            raise invalid(
                "MasterUsername must start with a letter and contain only letters, digits and underscores."
            )
        if user.lower() in RESERVED_USERS.get("postgres" if "postgres" in engine_name else "mysql", set()):
            raise invalid(f"MasterUsername {user} cannot be used as it is a reserved word used by the engine")
        manage = bool(params.get("ManageMasterUserPassword"))
        password = params.get("MasterUserPassword")
        if manage and password:
            raise combination(
                "You can't specify MasterUserPassword and ManageMasterUserPassword at the same time."
            )
        if not manage:
            if not password:
                raise invalid("The parameter MasterUserPassword must be provided and must not be blank.")
            check_password(password, engine_name)
        else:
            password = generated_password()
        storage = params.get("AllocatedStorage") or 20
        if not 20 <= storage <= 65536:
            raise invalid(
                "Invalid storage size for engine name "
                + engine_name
                + " and storage type gp2: "
                + str(storage)
            )
        storage_type = params.get("StorageType") or "gp2"
        if storage_type not in catalog.STORAGE_TYPES:
            raise invalid(f"Invalid storage type: {storage_type}")
        retention = params.get("BackupRetentionPeriod", 1)
        if not 0 <= retention <= 35:
            raise invalid("Invalid backup retention period: must be between 0 and 35")
        scope = self.scope_of(context)
        group = self.parameter_group_for(context, params.get("DBParameterGroupName"), info.family(version))
        subnet_group = self.subnet_group_for(context, params.get("DBSubnetGroupName"))
        option_group = self.option_group_for(context, params.get("OptionGroupName"), engine_name, version)
        engine = ENGINES[engine_name]
        engine.check_installed(version)
        tags = tagging.tag_map(params.get("Tags"), self.tag_rules)
        for spec in params.get("TagSpecifications") or []:
            tags.update(tagging.tag_map(spec.get("Tags"), self.tag_rules))
        database = params.get("DBName")
        if database is not None and not (database[0].isalpha() and database.replace("_", "a").isalnum()):
            raise invalid(f"The parameter DBName is not a valid identifier: {database}")
        port = params.get("Port") or None
        with self.store.transaction():
            if self.instances.get(scope, identifier) is not None:
                raise ServiceError("DBInstanceAlreadyExists", "DB instance already exists")
            if port is not None and port in self.ports_in_use():
                raise invalid(f"The port {port} is already used by another DB instance on this machine.")
            port = port or self.new_port()
            desc = self.new_desc(
                context, identifier, params, engine_name, version, storage, storage_type, retention
            )
            desc.update(
                MasterUsername=user,
                DBName=database,
                DBParameterGroups=[{"DBParameterGroupName": group, "ParameterApplyStatus": "in-sync"}],
                DBSubnetGroup=subnet_group,
                OptionGroupMemberships=[{"OptionGroupName": option_group, "Status": "in-sync"}],
                VpcSecurityGroups=[
                    {"VpcSecurityGroupId": sg, "Status": "active"}
                    for sg in params.get("VpcSecurityGroupIds") or []
                ],
            )
            row = {
                "desc": desc,
                "key": f"{context.account}-{context.region}-{identifier}",
                "port": port,
                "password": password,
                "tags": tags,
                "created": time.time(),
                "applied": self.group_values(scope, group),
                "runs": engine.runs(version),
            }
            self.instances.put(scope, identifier, row)
            self.instance_by_key[row["key"]] = (scope, identifier)
        if manage:
            self.manage_secret(context, scope, identifier, password, params.get("MasterUserSecretKmsKeyId"))
        self.background(scope, identifier, lambda: self._build(scope, identifier), "creation")
        return {"DBInstance": self.render_instance(self.instance_row(scope, identifier))}

    def check_class(self, instance_class: str) -> None:
        if instance_class not in catalog.INSTANCE_CLASSES:
            raise invalid(f"Invalid DB Instance class: {instance_class}")

    def new_port(self) -> int:
        from overcast.engines.process import free_port

        return free_port(self.ports_in_use())

    def ports_in_use(self) -> set[int]:
        return {row["port"] for scope in self.instances.scopes() for _, row in self.instances.scan(scope)}

    def new_desc(
        self,
        context: RequestContext,
        identifier: str,
        params: dict[str, Any],
        engine_name: str,
        version: str,
        storage: int,
        storage_type: str,
        retention: int,
    ) -> dict[str, Any]:
        info = catalog.engine_info(engine_name)
        zone = params.get("AvailabilityZone") or f"{context.region}a"
        desc: dict[str, Any] = {
            "DBInstanceIdentifier": identifier,
            "DBInstanceClass": params["DBInstanceClass"],
            "Engine": engine_name,
            "DBInstanceStatus": "creating",
            "AllocatedStorage": storage,
            "InstanceCreateTime": iso(),
            "PreferredBackupWindow": check_backup_window(
                params.get("PreferredBackupWindow") or "03:00-03:30"
            ),
            "BackupRetentionPeriod": retention,
            "DBSecurityGroups": [],
            "AvailabilityZone": zone,
            "PreferredMaintenanceWindow": check_maintenance_window(
                params.get("PreferredMaintenanceWindow") or "sun:05:00-sun:05:30"
            ),
            "MultiAZ": bool(params.get("MultiAZ")),
            "EngineVersion": version,
            "AutoMinorVersionUpgrade": params.get("AutoMinorVersionUpgrade", True),
            "ReadReplicaDBInstanceIdentifiers": [],
            "LicenseModel": params.get("LicenseModel") or info.license,
            "PubliclyAccessible": bool(params.get("PubliclyAccessible")),
            "StorageType": storage_type,
            "StorageEncrypted": bool(params.get("StorageEncrypted")),
            "DbiResourceId": _resource_id(self.scope_of(context), identifier),
            "CACertificateIdentifier": params.get("CACertificateIdentifier")
            or self.default_certificate(self.scope_of(context)),
            "CopyTagsToSnapshot": bool(params.get("CopyTagsToSnapshot")),
            "MonitoringInterval": params.get("MonitoringInterval") or 0,
            "DBInstanceArn": arn(context, "db", identifier),
            "IAMDatabaseAuthenticationEnabled": bool(params.get("EnableIAMDatabaseAuthentication")),
            "PerformanceInsightsEnabled": bool(params.get("EnablePerformanceInsights")),
            "EnabledCloudwatchLogsExports": params.get("EnableCloudwatchLogsExports") or [],
            "DeletionProtection": bool(params.get("DeletionProtection")),
            "AssociatedRoles": [],
            "CustomerOwnedIpEnabled": False,
            "NetworkType": params.get("NetworkType") or "IPV4",
            "BackupTarget": "region",
            "CertificateDetails": {
                "CAIdentifier": params.get("CACertificateIdentifier")
                or self.default_certificate(self.scope_of(context))
            },
            "DedicatedLogVolume": False,
            "EngineLifecycleSupport": params.get("EngineLifecycleSupport")
            or "open-source-rds-extended-support",
        }
        if desc["MultiAZ"]:
            desc["SecondaryAvailabilityZone"] = f"{context.region}b"
        if params.get("Iops"):
            desc["Iops"] = params["Iops"]
        if storage_type == "gp3":
            desc["Iops"] = params.get("Iops") or 3000
            desc["StorageThroughput"] = params.get("StorageThroughput") or 125
        if params.get("MaxAllocatedStorage"):
            desc["MaxAllocatedStorage"] = params["MaxAllocatedStorage"]
        if desc["StorageEncrypted"]:
            desc["KmsKeyId"] = params.get("KmsKeyId") or arn(context, "key", "aws/rds").replace(
                ":rds:", ":kms:"
            ).replace("key:", "key/", 1)
        if params.get("PromotionTier") is not None:
            desc["PromotionTier"] = params["PromotionTier"]
        if params.get("CharacterSetName"):
            desc["CharacterSetName"] = params["CharacterSetName"]
        return desc

    def _build(self, scope: str, identifier: str) -> None:
        """Create the engine's server: initialize its data, start it, create the master user and
        the database, then the first backup."""
        row = self.instance_row(scope, identifier)
        engine = self.engine_of(row)
        server = self.server(row)
        desc = row["desc"]
        self.supervisor.remove_home(row["key"])
        if isinstance(engine, MariaDBEngine):
            self.record_event(
                scope,
                "db-instance",
                identifier,
                f"The {desc['Engine']} engine runs on MariaDB {engine.runs(None)} (MySQL-compatible) on this machine.",
                "notification",
            )
        elif row.get("runs") and row["runs"] != desc["EngineVersion"].split(".")[0]:
            self.record_event(
                scope,
                "db-instance",
                identifier,
                f"PostgreSQL {desc['EngineVersion'].split('.')[0]} is not installed on this machine:"
                f" the instance runs on PostgreSQL {row['runs']}, the nearest installed version.",
                "notification",
            )
        engine.initialize(self.supervisor, server, desc.get("DBName"))
        self.run_engine(scope, identifier)
        engine.create_master(self.supervisor, server, desc.get("DBName"))
        self.record_event(scope, "db-instance", identifier, "DB instance created", "creation")
        self.after_available(scope, identifier, first=True)

    def after_available(self, scope: str, identifier: str, first: bool = False) -> None:
        row = self.instance_row(scope, identifier)
        if first and row["desc"].get("BackupRetentionPeriod") and not row["desc"].get("DBClusterIdentifier"):
            self.set_status(scope, identifier, "backing-up")
            self.take_automated_snapshot(scope, identifier)
        self.set_status(scope, identifier, "available")
        self.schedule_backup(scope, identifier)

    # -- describe -------------------------------------------------------------------------------------

    def describe_db_instances(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        scope = self.scope_of(context)
        if params.get("DBInstanceIdentifier"):
            rows = [self.instance_row(scope, params["DBInstanceIdentifier"])]
        else:
            rows = [row for _, row in self.instances.scan(scope)]
        descs = [self.render_instance(row) for row in rows]
        descs = apply_filters(
            descs,
            params.get("Filters"),
            {
                "db-instance-id": lambda d: [d["DBInstanceIdentifier"], d["DBInstanceArn"]],
                "db-cluster-id": lambda d: d.get("DBClusterIdentifier"),
                "dbi-resource-id": lambda d: d["DbiResourceId"],
                "engine": lambda d: d["Engine"],
                "domain": lambda d: [],
            },
        )
        return self.page("DescribeDBInstances", params, descs)

    # -- modify ---------------------------------------------------------------------------------------

    def modify_db_instance(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        identifier = params["DBInstanceIdentifier"].lower()
        immediately = bool(params.get("ApplyImmediately"))
        restart = False
        new_password = params.get("MasterUserPassword")
        with self.store.transaction():
            row = self.instance_row(scope, identifier)
            desc = row["desc"]
            status = desc["DBInstanceStatus"]
            if status not in ("available", "storage-optimization"):
                raise not_available(identifier)
            pending = row.setdefault("pending", {})
            if params.get("DBInstanceClass") and params["DBInstanceClass"] != desc["DBInstanceClass"]:
                self.check_class(params["DBInstanceClass"])
                if immediately:
                    desc["DBInstanceClass"] = params["DBInstanceClass"]
                    restart = True
                else:
                    pending["DBInstanceClass"] = params["DBInstanceClass"]
            if params.get("AllocatedStorage") is not None:
                if params["AllocatedStorage"] < desc["AllocatedStorage"]:
                    raise invalid("Invalid storage size: it can only be increased.")
                if immediately:
                    desc["AllocatedStorage"] = params["AllocatedStorage"]
                else:
                    pending["AllocatedStorage"] = params["AllocatedStorage"]
            if params.get("EngineVersion") and params["EngineVersion"] != desc["EngineVersion"]:
                version = catalog.resolve_version(desc["Engine"], params["EngineVersion"])
                if version.split(".")[0] != desc["EngineVersion"].split(".")[0] and not params.get(
                    "AllowMajorVersionUpgrade"
                ):
                    raise combination(
                        "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version."
                    )
                if immediately:
                    desc["EngineVersion"] = version
                else:
                    pending["EngineVersion"] = version
            if params.get("DBPortNumber") is not None and params["DBPortNumber"] != row["port"]:
                if params["DBPortNumber"] in self.ports_in_use():
                    raise invalid(
                        f"The port {params['DBPortNumber']} is already used by another DB instance."
                    )
                row["port"] = params["DBPortNumber"]
                restart = True  # AWS changes the port at once, with a reboot
            for name, field in (
                ("MultiAZ", "MultiAZ"),
                ("StorageType", "StorageType"),
                ("Iops", "Iops"),
                ("StorageThroughput", "StorageThroughput"),
                ("CACertificateIdentifier", "CACertificateIdentifier"),
            ):
                if params.get(name) is not None and params[name] != desc.get(field):
                    if immediately:
                        desc[field] = params[name]
                    else:
                        pending[field] = params[name]
            if params.get("BackupRetentionPeriod") is not None:
                if not 0 <= params["BackupRetentionPeriod"] <= 35:
                    raise invalid("Invalid backup retention period: must be between 0 and 35")
                desc["BackupRetentionPeriod"] = params["BackupRetentionPeriod"]
            if params.get("PreferredBackupWindow"):
                desc["PreferredBackupWindow"] = check_backup_window(params["PreferredBackupWindow"])
            if params.get("PreferredMaintenanceWindow"):
                desc["PreferredMaintenanceWindow"] = check_maintenance_window(
                    params["PreferredMaintenanceWindow"]
                )
            for name, field in (
                ("DeletionProtection", "DeletionProtection"),
                ("PubliclyAccessible", "PubliclyAccessible"),
                ("AutoMinorVersionUpgrade", "AutoMinorVersionUpgrade"),
                ("CopyTagsToSnapshot", "CopyTagsToSnapshot"),
                ("EnableIAMDatabaseAuthentication", "IAMDatabaseAuthenticationEnabled"),
                ("EnablePerformanceInsights", "PerformanceInsightsEnabled"),
                ("MonitoringInterval", "MonitoringInterval"),
                ("MaxAllocatedStorage", "MaxAllocatedStorage"),
                ("NetworkType", "NetworkType"),
            ):
                if params.get(name) is not None:
                    desc[field] = params[name]
            if params.get("VpcSecurityGroupIds") is not None:
                desc["VpcSecurityGroups"] = [
                    {"VpcSecurityGroupId": sg, "Status": "active"} for sg in params["VpcSecurityGroupIds"]
                ]
            if params.get("DBSubnetGroupName"):
                desc["DBSubnetGroup"] = self.subnet_group_for(context, params["DBSubnetGroupName"])
            if params.get("OptionGroupName"):
                name = self.option_group_for(
                    context, params["OptionGroupName"], desc["Engine"], desc["EngineVersion"]
                )
                desc["OptionGroupMemberships"] = [{"OptionGroupName": name, "Status": "in-sync"}]
            if params.get("DBParameterGroupName"):
                family = catalog.engine_info(desc["Engine"]).family(desc["EngineVersion"])
                group = self.parameter_group_for(context, params["DBParameterGroupName"], family)
                if group != desc["DBParameterGroups"][0]["DBParameterGroupName"]:
                    desc["DBParameterGroups"] = [
                        {"DBParameterGroupName": group, "ParameterApplyStatus": "pending-reboot"}
                    ]
            cloudwatch = params.get("CloudwatchLogsExportConfiguration") or {}
            if cloudwatch:
                exports = set(desc.get("EnabledCloudwatchLogsExports") or [])
                exports |= set(cloudwatch.get("EnableLogTypes") or [])
                exports -= set(cloudwatch.get("DisableLogTypes") or [])
                desc["EnabledCloudwatchLogsExports"] = sorted(exports)
            manage = params.get("ManageMasterUserPassword")
            if manage is True and new_password:
                raise combination(
                    "You can't specify MasterUserPassword and ManageMasterUserPassword at the same time."
                )
            if new_password:
                check_password(new_password, desc["Engine"])
                row["pending_password"] = True
            new_name = params.get("NewDBInstanceIdentifier")
            if new_name:
                new_name = check_identifier(new_name, "NewDBInstanceIdentifier")
                if self.instances.get(scope, new_name) is not None:
                    raise ServiceError("DBInstanceAlreadyExists", "DB instance already exists")
            if restart:
                desc["DBInstanceStatus"] = "modifying"
            elif new_password:
                desc["DBInstanceStatus"] = "resetting-master-credentials"
            self.instances.put(scope, identifier, row)
            if new_name and new_name != identifier:
                if immediately:
                    self.instances.delete(scope, identifier)
                    desc["DBInstanceIdentifier"] = new_name
                    desc["DBInstanceArn"] = arn(context, "db", new_name)
                    self.instances.put(scope, new_name, row)
                    self.instance_by_key[row["key"]] = (scope, new_name)
                    identifier = new_name
                else:
                    pending["DBInstanceIdentifier"] = new_name
                    self.instances.put(scope, identifier, row)
        if manage is True and not row["desc"].get("MasterUserSecret"):
            new_password = generated_password()
            self.manage_secret(
                context, scope, identifier, new_password, params.get("MasterUserSecretKmsKeyId")
            )
        elif manage is False and row["desc"].get("MasterUserSecret"):
            self.unmanage_secret(context, scope, identifier)
        elif params.get("RotateMasterUserPassword") and row["desc"].get("MasterUserSecret"):
            new_password = generated_password()
            self.update_managed_secret(context, scope, identifier, new_password)
        if new_password or restart:
            self.background(
                scope,
                identifier,
                lambda: self._apply_modify(scope, identifier, new_password, restart),
                "modification",
            )
        if params.get("EnableIAMDatabaseAuthentication") is not None:
            self.background(scope, identifier, partial(self.apply_iam_auth, scope, identifier), "IAM auth")
        if pending := self.instance_row(scope, identifier).get("pending"):
            self.schedule_maintenance(scope, identifier, pending)
        self.record_event(
            scope,
            "db-instance",
            identifier,
            "Finished applying modification to DB instance class"
            if restart
            else "Updated to use the requested settings",
            "configuration change",
        )
        return {"DBInstance": self.render_instance(self.instance_row(scope, identifier))}

    def _apply_modify(self, scope: str, identifier: str, password: str | None, restart: bool) -> None:
        row = self.instance_row(scope, identifier)
        engine = self.engine_of(row)
        if password:
            engine.set_password(self.supervisor, self.server(row), password)
            row = (
                self.set_status(
                    scope,
                    identifier,
                    row["desc"]["DBInstanceStatus"],
                    _password=password,
                    _pending_password=False,
                )
                or row
            )
            self.record_event(
                scope,
                "db-instance",
                identifier,
                "The master password for the DB instance has been reset.",
                "configuration change",
            )
            for replica in row["desc"].get("ReadReplicaDBInstanceIdentifiers") or []:
                self.repoint_replica(scope, replica)
        if restart:
            self.restart_engine(scope, identifier)
        self.set_status(scope, identifier, "available")

    def restart_engine(self, scope: str, identifier: str) -> None:
        """Stop the engine and start it again with its current settings (port, parameters)."""
        row = self.instance_row(scope, identifier)
        self.supervisor.stop(row["key"])
        row = (
            self.set_status(
                scope,
                identifier,
                row["desc"]["DBInstanceStatus"],
                _applied=self.group_values(
                    scope, row["desc"]["DBParameterGroups"][0]["DBParameterGroupName"]
                ),
            )
            or row
        )
        row["desc"]["DBParameterGroups"][0]["ParameterApplyStatus"] = "in-sync"
        with self.store.transaction():
            self.instances.put(scope, identifier, row)
        source = row["desc"].get("ReadReplicaSourceDBInstanceIdentifier")
        primary = None
        if source:
            source_row = self.instances.get(scope, source)
            primary = self.server(source_row) if source_row is not None else None
        self.engine_of(row).configure(self.supervisor, self.server(row), primary)
        self.run_engine(scope, identifier)

    def schedule_maintenance(self, scope: str, identifier: str, pending: dict[str, Any]) -> None:
        """Changes not applied immediately wait for the instance's maintenance window."""
        row = self.instances.get(scope, identifier)
        if row is None:
            return
        due = next_weekly(row["desc"]["PreferredMaintenanceWindow"], self.runtime.scheduler.now())
        self.runtime.scheduler.at(
            f"rds/maintenance/{scope}/{identifier}",
            due,
            lambda key, when: self.background(
                scope, identifier, lambda: self.apply_pending(scope, identifier), "maintenance"
            ),
        )

    def apply_pending(self, scope: str, identifier: str) -> None:
        with self.store.transaction():
            row = self.instance_row(scope, identifier)
            pending = row.pop("pending", None) or {}
            pending.pop("DBInstanceIdentifier", None)
            row["desc"].update(pending)
            row["desc"]["DBInstanceStatus"] = "modifying"
            self.instances.put(scope, identifier, row)
        self.restart_engine(scope, identifier)
        self.set_status(scope, identifier, "available")
        self.record_event(
            scope,
            "db-instance",
            identifier,
            "Applied the pending modifications in the maintenance window",
            "maintenance",
        )

    # -- reboot, stop, start --------------------------------------------------------------------------

    def reboot_db_instance(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        identifier = params["DBInstanceIdentifier"].lower()
        with self.store.transaction():
            row = self.instance_row(scope, identifier)
            if row["desc"]["DBInstanceStatus"] != "available":
                raise not_available(identifier)
            if params.get("ForceFailover") and not row["desc"].get("MultiAZ"):
                raise combination("Cannot perform a failover: the instance is not Multi-AZ")
            row["desc"]["DBInstanceStatus"] = "rebooting"
            self.instances.put(scope, identifier, row)

        def reboot() -> None:
            self.restart_engine(scope, identifier)
            self.set_status(scope, identifier, "available")
            self.record_event(scope, "db-instance", identifier, "DB instance restarted", "availability")

        self.background(scope, identifier, reboot, "reboot")
        return {"DBInstance": self.render_instance(row)}

    def stop_db_instance(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        identifier = params["DBInstanceIdentifier"].lower()
        with self.store.transaction():
            row = self.instance_row(scope, identifier)
            desc = row["desc"]
            if desc.get("ReadReplicaSourceDBInstanceIdentifier") or desc.get(
                "ReadReplicaDBInstanceIdentifiers"
            ):
                raise ServiceError(
                    "InvalidDBInstanceState",
                    f"Cannot stop instance {identifier} because it has read replicas or is a read replica.",
                )
            if desc["DBInstanceStatus"] != "available":
                raise not_available(identifier)
            desc["DBInstanceStatus"] = "stopping"
            self.instances.put(scope, identifier, row)
        snapshot = params.get("DBSnapshotIdentifier")
        if snapshot:
            self.check_new_snapshot(scope, snapshot)

        def stop() -> None:
            if snapshot:
                self.take_snapshot(scope, identifier, snapshot.lower(), "manual")
            self.supervisor.stop(self.instance_row(scope, identifier)["key"])
            self.set_status(scope, identifier, "stopped")
            self.record_event(scope, "db-instance", identifier, "DB instance stopped", "notification")

        self.background(scope, identifier, stop, "stop")
        return {"DBInstance": self.render_instance(row)}

    def start_db_instance(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        identifier = params["DBInstanceIdentifier"].lower()
        with self.store.transaction():
            row = self.instance_row(scope, identifier)
            if row["desc"]["DBInstanceStatus"] != "stopped":
                raise ServiceError(
                    "InvalidDBInstanceState", f"Instance {identifier} is not stopped, it cannot be started."
                )
            row["desc"]["DBInstanceStatus"] = "starting"
            self.instances.put(scope, identifier, row)

        def start() -> None:
            self.restart_engine(scope, identifier)
            self.set_status(scope, identifier, "available")
            self.record_event(scope, "db-instance", identifier, "DB instance started", "notification")

        self.background(scope, identifier, start, "start")
        return {"DBInstance": self.render_instance(row)}

    # -- delete ---------------------------------------------------------------------------------------

    def delete_db_instance(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        identifier = params["DBInstanceIdentifier"].lower()
        final = params.get("FinalDBSnapshotIdentifier")
        skip = bool(params.get("SkipFinalSnapshot"))
        with self.store.transaction():
            row = self.instance_row(scope, identifier)
            desc = row["desc"]
            if desc.get("DeletionProtection"):
                raise invalid(
                    "The instance cannot be deleted: DeletionProtection is enabled. Disable it with ModifyDBInstance first."
                )
            if desc["DBInstanceStatus"] == "deleting":
                raise ServiceError(
                    "InvalidDBInstanceState", f"Instance {identifier} is already being deleted."
                )
            is_replica = bool(desc.get("ReadReplicaSourceDBInstanceIdentifier"))
            if not skip and not final and not is_replica and not desc.get("DBClusterIdentifier"):
                raise combination(
                    "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified."
                )
            if skip and final:
                raise combination("Cannot specify both FinalDBSnapshotIdentifier and SkipFinalSnapshot.")
            if final:
                final = check_identifier(final, "FinalDBSnapshotIdentifier")
                self.check_new_snapshot(scope, final)
            if final and desc["DBInstanceStatus"] not in ("available", "stopped"):
                raise not_available(identifier)
            desc["DBInstanceStatus"] = "deleting"
            row["keep_backups"] = params.get("DeleteAutomatedBackups") is False
            self.instances.put(scope, identifier, row)
        self.background(scope, identifier, lambda: self._delete(scope, identifier, final), "deletion")
        return {"DBInstance": self.render_instance(row)}

    def _delete(self, scope: str, identifier: str, final: str | None) -> None:
        row = self.instance_row(scope, identifier)
        if final:
            self.take_snapshot(scope, identifier, final, "manual")
        cluster_id = row["desc"].get("DBClusterIdentifier")
        cluster = self.clusters.get(scope, cluster_id) if cluster_id else None
        if cluster is not None and cluster.get("writer") == identifier:
            readers = [
                m
                for m in cluster["members"]
                if m != identifier
                and (self.instances.get(scope, m) or {}).get("desc", {}).get("DBInstanceStatus")
                == "available"
            ]
            if readers:  # the writer goes: a reader takes over, as Aurora fails over
                try:
                    self._failover(scope, cluster_id, identifier, readers[0], rejoin_old=False)
                except (EngineError, OSError, ServiceError) as error:
                    log.warning("rds %s: no failover before its deletion: %s", identifier, error)
                row = self.instance_row(scope, identifier)
        self.supervisor.stop(row["key"])
        desc = row["desc"]
        for replica in desc.get("ReadReplicaDBInstanceIdentifiers") or []:
            self.background(scope, replica, partial(self.promote, scope, replica), "promotion")
        source = desc.get("ReadReplicaSourceDBInstanceIdentifier")
        with self.store.transaction():
            self.instances.delete(scope, identifier)
            if source:
                source_row = self.instances.get(scope, source)
                if source_row is not None:
                    source_row["desc"]["ReadReplicaDBInstanceIdentifiers"] = [
                        r for r in source_row["desc"]["ReadReplicaDBInstanceIdentifiers"] if r != identifier
                    ]
                    self.instances.put(scope, source, source_row)
            if desc.get("DBClusterIdentifier"):
                self.forget_cluster_member(scope, desc["DBClusterIdentifier"], identifier)
        if desc.get("DBClusterIdentifier"):
            # The reader endpoint moves on if this member had it.
            self.place_reader_endpoint(scope, desc["DBClusterIdentifier"])
        self.instance_by_key.pop(row["key"], None)
        self.runtime.scheduler.cancel_prefix(f"rds/backup/{scope}/{identifier}")
        self.runtime.scheduler.cancel_prefix(f"rds/maintenance/{scope}/{identifier}")
        if not row.get("keep_backups"):
            self.drop_automated_snapshots(scope, identifier)
        self.supervisor.remove_home(row["key"])
        if desc.get("MasterUserSecret"):
            self.delete_managed_secret(scope, desc["MasterUserSecret"]["SecretArn"])
        self.record_event(scope, "db-instance", identifier, "DB instance deleted", "deletion")

    # -- read replicas --------------------------------------------------------------------------------

    def create_db_instance_read_replica(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        identifier = check_identifier(params["DBInstanceIdentifier"])
        source_id = params.get("SourceDBInstanceIdentifier")
        if not source_id:
            if params.get("SourceDBClusterIdentifier"):
                raise combination("Read replicas of Multi-AZ DB clusters are not offered here.")
            raise invalid("The parameter SourceDBInstanceIdentifier must be provided and must not be blank.")
        if source_id.startswith("arn:"):
            source_id = source_id.rsplit(":", 1)[-1]
        source_id = source_id.lower()
        with self.store.transaction():
            source = self.instance_row(scope, source_id)
            sdesc = source["desc"]
            if sdesc["DBInstanceStatus"] != "available":
                raise not_available(source_id)
            if not sdesc.get("BackupRetentionPeriod"):
                raise ServiceError(
                    "InvalidDBInstanceState",
                    "Automated backups are not enabled for this database instance. To enable automated backups, use ModifyDBInstance to set the backup retention period to a non-zero value.",
                )
            if self.instances.get(scope, identifier) is not None:
                raise ServiceError("DBInstanceAlreadyExists", "DB instance already exists")
            merged = {
                "DBInstanceClass": params.get("DBInstanceClass") or sdesc["DBInstanceClass"],
                "AvailabilityZone": params.get("AvailabilityZone"),
                "MultiAZ": params.get("MultiAZ"),
                "AutoMinorVersionUpgrade": params.get("AutoMinorVersionUpgrade", True),
                "StorageType": params.get("StorageType") or sdesc["StorageType"],
                "PubliclyAccessible": params.get("PubliclyAccessible"),
                "DeletionProtection": params.get("DeletionProtection"),
                "CopyTagsToSnapshot": params.get("CopyTagsToSnapshot"),
                "EnableIAMDatabaseAuthentication": params.get("EnableIAMDatabaseAuthentication"),
                "PreferredBackupWindow": sdesc["PreferredBackupWindow"],
                "PreferredMaintenanceWindow": sdesc["PreferredMaintenanceWindow"],
                "StorageEncrypted": sdesc.get("StorageEncrypted"),
            }
            self.check_class(merged["DBInstanceClass"])
            desc = self.new_desc(
                context,
                identifier,
                merged,
                sdesc["Engine"],
                sdesc["EngineVersion"],
                sdesc["AllocatedStorage"],
                merged["StorageType"],
                0,
            )
            desc.update(
                MasterUsername=sdesc["MasterUsername"],
                DBName=sdesc.get("DBName"),
                DBParameterGroups=[
                    {
                        "DBParameterGroupName": params.get("DBParameterGroupName")
                        or sdesc["DBParameterGroups"][0]["DBParameterGroupName"],
                        "ParameterApplyStatus": "in-sync",
                    }
                ],
                DBSubnetGroup=self.subnet_group_for(context, params["DBSubnetGroupName"])
                if params.get("DBSubnetGroupName")
                else sdesc.get("DBSubnetGroup"),
                OptionGroupMemberships=sdesc.get("OptionGroupMemberships"),
                VpcSecurityGroups=[
                    {"VpcSecurityGroupId": sg, "Status": "active"} for sg in params["VpcSecurityGroupIds"]
                ]
                if params.get("VpcSecurityGroupIds")
                else sdesc.get("VpcSecurityGroups"),
                ReadReplicaSourceDBInstanceIdentifier=source_id,
                ReplicaMode=params.get("ReplicaMode") or "open-read-only",
                StatusInfos=[{"StatusType": "read replication", "Normal": True, "Status": "replicating"}],
            )
            port = params.get("Port") or self.new_port()
            row = {
                "desc": desc,
                "key": f"{context.account}-{context.region}-{identifier}",
                "port": port,
                "password": source["password"],
                "tags": tagging.tag_map(params.get("Tags"), self.tag_rules),
                "created": time.time(),
                "applied": source.get("applied") or {},
                "runs": source.get("runs"),
            }
            self.instances.put(scope, identifier, row)
            self.instance_by_key[row["key"]] = (scope, identifier)
            sdesc["ReadReplicaDBInstanceIdentifiers"] = [
                *sdesc.get("ReadReplicaDBInstanceIdentifiers", []),
                identifier,
            ]
            self.instances.put(scope, source_id, source)

        def build() -> None:
            self.build_replica(scope, identifier, source_id)
            self.record_event(
                scope, "db-instance", identifier, "Replication for the Read Replica resumed", "read replica"
            )
            self.set_status(scope, identifier, "available")

        self.background(scope, identifier, build, "read replica creation")
        self.record_event(
            scope, "db-instance", source_id, f"Creating read replica {identifier}", "read replica"
        )
        return {"DBInstance": self.render_instance(self.instance_row(scope, identifier))}

    def build_replica(self, scope: str, identifier: str, source_id: str) -> None:
        """Make the instance a running replica of `source_id`: PostgreSQL by a base backup and
        streaming, MariaDB by a copy of the briefly stopped primary and binlog replication."""
        replica = self.instance_row(scope, identifier)
        primary = self.instance_row(scope, source_id)
        engine = self.engine_of(replica)
        self.supervisor.stop(replica["key"])
        self.supervisor.remove_home(replica["key"])
        if isinstance(engine, MariaDBEngine):
            # A consistent copy of MariaDB's files needs it stopped for a moment.
            self.supervisor.stop(primary["key"])
            try:
                self.supervisor.copy_home(primary["key"], replica["key"])
            finally:
                self.run_engine(scope, source_id)
        engine.make_replica(self.supervisor, self.server(primary), self.server(replica))
        self.run_engine(scope, identifier)
        if isinstance(engine, MariaDBEngine):
            engine.start_replication(self.supervisor, self.server(primary), self.server(replica))

    def repoint_replica(self, scope: str, identifier: str) -> None:
        """A replica's primary changed its master password: the replica connects with the new one."""
        row = self.instances.get(scope, identifier)
        if row is None:
            return
        source = self.instances.get(scope, row["desc"].get("ReadReplicaSourceDBInstanceIdentifier") or "")
        if source is None:
            return
        row = (
            self.set_status(scope, identifier, row["desc"]["DBInstanceStatus"], _password=source["password"])
            or row
        )
        engine = self.engine_of(row)
        if self.supervisor.running(row["key"]):
            engine.repoint(self.supervisor, self.server(row), self.server(source))
        else:
            engine.configure(self.supervisor, self.server(row), self.server(source))

    def promote_read_replica(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        identifier = params["DBInstanceIdentifier"].lower()
        with self.store.transaction():
            row = self.instance_row(scope, identifier)
            if not row["desc"].get("ReadReplicaSourceDBInstanceIdentifier"):
                raise ServiceError(
                    "InvalidDBInstanceState", f"DB Instance {identifier} is not a read replica."
                )
            if row["desc"]["DBInstanceStatus"] != "available":
                raise not_available(identifier)
            row["desc"]["DBInstanceStatus"] = "modifying"
            if params.get("BackupRetentionPeriod") is not None:
                row["desc"]["BackupRetentionPeriod"] = params["BackupRetentionPeriod"]
            if params.get("PreferredBackupWindow"):
                row["desc"]["PreferredBackupWindow"] = check_backup_window(params["PreferredBackupWindow"])
            self.instances.put(scope, identifier, row)
        self.background(scope, identifier, lambda: self.promote(scope, identifier), "promotion")
        return {"DBInstance": self.render_instance(row)}

    def promote(self, scope: str, identifier: str) -> None:
        row = self.instance_row(scope, identifier)
        engine = self.engine_of(row)
        if self.supervisor.running(row["key"]):
            engine.promote(self.supervisor, self.server(row))
        else:
            (self.supervisor.home(row["key"]) / "pgdata" / "standby.signal").unlink(missing_ok=True)
        source = row["desc"].get("ReadReplicaSourceDBInstanceIdentifier")
        with self.store.transaction():
            row = self.instance_row(scope, identifier)
            row["desc"].pop("ReadReplicaSourceDBInstanceIdentifier", None)
            row["desc"].pop("ReplicaMode", None)
            row["desc"].pop("StatusInfos", None)
            row["desc"]["DBInstanceStatus"] = "available"
            if not row["desc"].get("BackupRetentionPeriod"):
                row["desc"]["BackupRetentionPeriod"] = 1
            self.instances.put(scope, identifier, row)
            source_row = self.instances.get(scope, source or "")
            if source_row is not None:
                source_row["desc"]["ReadReplicaDBInstanceIdentifiers"] = [
                    r for r in source_row["desc"]["ReadReplicaDBInstanceIdentifiers"] if r != identifier
                ]
                self.instances.put(scope, source or "", source_row)
        self.record_event(
            scope,
            "db-instance",
            identifier,
            "Read replica has been promoted to a standalone DB instance",
            "read replica",
        )

    # -- the master password in Secrets Manager -------------------------------------------------------

    def manage_secret(
        self,
        context: RequestContext,
        scope: str,
        identifier: str,
        password: str,
        kms_key: str | None,
    ) -> None:
        import json

        if not self.runtime.serves("secretsmanager"):
            raise invalid("ManageMasterUserPassword needs Secrets Manager, which is disabled here.")
        row = self.instance_row(scope, identifier)
        name = f"rds!db-{row['desc']['DbiResourceId'][3:].lower()}"
        text = json.dumps({"username": row["desc"]["MasterUsername"], "password": password})
        secret_arn = self.runtime.provider("secretsmanager").create_managed_secret(
            context.account, context.region, name, text, "rds"
        )
        self.set_status(
            scope,
            identifier,
            row["desc"]["DBInstanceStatus"],
            MasterUserSecret={
                "SecretArn": secret_arn,
                # Active once the engine has the password (set_status, on becoming available).
                "SecretStatus": "creating",
                "KmsKeyId": self.secret_key_arn(context, kms_key),
            },
            _password=password if row["desc"]["DBInstanceStatus"] == "creating" else row["password"],
        )

    def secret_key_arn(self, context: RequestContext, kms_key: str | None) -> str:
        """The KMS key of a managed master password as RDS reports it: the key's ARN (the AWS
        managed key aws/secretsmanager unless another was named)."""
        if kms_key and (kms_key.startswith("arn:") or kms_key.startswith("alias/")):
            return kms_key
        if not kms_key:
            if not self.runtime.serves("kms"):
                return "alias/aws/secretsmanager"
            kms_key = self.runtime.provider("kms").managed_key(
                context.account, context.region, "alias/aws/secretsmanager"
            )
        return f"arn:{partition(context.region)}:kms:{context.region}:{context.account}:key/{kms_key}"

    def update_managed_secret(
        self, context: RequestContext, scope: str, identifier: str, password: str
    ) -> None:
        import json
        import uuid

        row = self.instance_row(scope, identifier)
        text = json.dumps({"username": row["desc"]["MasterUsername"], "password": password})
        internal = RequestContext.internal("rds", context.account, context.region)
        self.runtime.provider("secretsmanager").put_secret_value(
            internal,
            {
                "SecretId": row["desc"]["MasterUserSecret"]["SecretArn"],
                "SecretString": text,
                "ClientRequestToken": str(uuid.uuid4()),
            },
        )
        with self.store.transaction():
            row = self.instance_row(scope, identifier)
            secret = row["desc"].get("MasterUserSecret")
            if secret is not None:
                # Until the engine has the new password (set_status, on becoming available).
                secret["SecretStatus"] = "rotating"
                self.instances.put(scope, identifier, row)

    def unmanage_secret(self, context: RequestContext, scope: str, identifier: str) -> None:
        row = self.instance_row(scope, identifier)
        secret = row["desc"].pop("MasterUserSecret", None)
        with self.store.transaction():
            self.instances.put(scope, identifier, row)
        if secret:
            self.delete_managed_secret(scope, secret["SecretArn"])

    def delete_managed_secret(self, scope: str, secret_arn: str) -> None:
        account, _, region = scope.partition("/")
        internal = RequestContext.internal("rds", account, region)
        try:
            self.runtime.provider("secretsmanager").delete_secret(
                internal, {"SecretId": secret_arn, "ForceDeleteWithoutRecovery": True}
            )
        except ServiceError:
            pass

    # -- what can be changed --------------------------------------------------------------------------

    def describe_valid_db_instance_modifications(self, context: RequestContext, params: dict) -> dict:
        row = self.instance_row(self.scope_of(context), params["DBInstanceIdentifier"])
        desc = row["desc"]
        return {
            "ValidDBInstanceModificationsMessage": {
                "Storage": [
                    {
                        "StorageType": kind,
                        "StorageSize": [{"From": desc["AllocatedStorage"], "To": 65536, "Step": 1}],
                        "ProvisionedIops": [{"From": 1000, "To": 256000, "Step": 1}]
                        if kind.startswith("io") or kind == "gp3"
                        else [],
                        "SupportsStorageAutoscaling": True,
                    }
                    for kind in ("gp2", "gp3", "io1", "io2")
                ],
                "ValidProcessorFeatures": [],
                "SupportsDedicatedLogVolume": False,
            }
        }
