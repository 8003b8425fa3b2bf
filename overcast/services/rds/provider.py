"""Amazon RDS on real engines: every DB instance is a PostgreSQL or MariaDB server that Overcast
runs as a child process on 127.0.0.1 (engines.py, overcast/engines/process.py), with the port the
API returns as its endpoint — clients connect to the engine itself.

Instances (instances.py), snapshots as copies of the engine's data (snapshots.py), parameter,
option and subnet groups (groups.py), events and subscriptions to SNS (notify.py), Aurora
clusters of such instances (clusters.py); tags, engine versions and the account's facts here."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from overcast.common import pagination, tagging
from overcast.context import RequestContext
from overcast.engines.process import Supervisor
from overcast.errors import ServiceError
from overcast.services.base import BaseProvider
from overcast.services.rds import catalog
from overcast.services.rds.absent import AbsentMixin
from overcast.services.rds.bluegreen import BlueGreenMixin
from overcast.services.rds.cluster_endpoints import ClusterEndpointMixin
from overcast.services.rds.clusters import ClusterMixin
from overcast.services.rds.common import apply_filters, check_max_records, invalid, not_found
from overcast.services.rds.exports import ExportMixin
from overcast.services.rds.forwarding import Forwarder
from overcast.services.rds.global_clusters import GlobalClusterMixin
from overcast.services.rds.groups import GroupMixin
from overcast.services.rds.iam_auth import IAMAuthMixin
from overcast.services.rds.instances import InstanceMixin
from overcast.services.rds.notify import EventMixin
from overcast.services.rds.proxies import ProxyMixin
from overcast.services.rds.snapshots import SnapshotMixin
from overcast.store import scope as store_scope

#: Certificate authorities RDS offers for its endpoints' TLS (DescribeCertificates).
CERTIFICATES = (
    ("rds-ca-rsa2048-g1", "RSA2048"),
    ("rds-ca-rsa4096-g1", "RSA4096"),
    ("rds-ca-ecc384-g1", "ECC384"),
)
DEFAULT_CERTIFICATE = "rds-ca-rsa2048-g1"
#: AWS's default quotas for an account (DescribeAccountAttributes), by name: maximum.
QUOTAS = {
    "DBInstances": 40,
    "ReservedDBInstances": 40,
    "AllocatedStorage": 100000,
    "DBSecurityGroups": 25,
    "AuthorizationsPerDBSecurityGroup": 20,
    "DBParameterGroups": 50,
    "ManualSnapshots": 100,
    "EventSubscriptions": 20,
    "DBSubnetGroups": 50,
    "OptionGroups": 20,
    "SubnetsPerDBSubnetGroup": 20,
    "ReadReplicasPerMaster": 15,
    "DBClusters": 40,
    "DBClusterParameterGroups": 50,
    "DBClusterRoles": 5,
    "ManualClusterSnapshots": 100,
    "CustomEndpointsPerDBCluster": 5,
}
#: ARN resource types and the table each names (tags live on the row).
TAGGED = {
    "db": "instances",
    "snapshot": "snapshots",
    "pg": "parameter_groups",
    "cluster-pg": "cluster_parameter_groups",
    "subgrp": "subnet_groups",
    "og": "option_groups",
    "es": "subscriptions",
    "cluster": "clusters",
    "cluster-snapshot": "cluster_snapshots",
    "cluster-endpoint": "cluster_endpoints",
    "db-proxy": "proxies",
    "db-proxy-endpoint": "proxy_endpoints",
}
#: Kinds whose ARN names a resource id rather than the name the row is kept under.
BY_ARN = {"db-proxy": "DBProxyArn", "db-proxy-endpoint": "DBProxyEndpointArn"}


class Provider(
    InstanceMixin,
    SnapshotMixin,
    GroupMixin,
    EventMixin,
    ClusterMixin,
    GlobalClusterMixin,
    ClusterEndpointMixin,
    ProxyMixin,
    ExportMixin,
    BlueGreenMixin,
    AbsentMixin,
    IAMAuthMixin,
    BaseProvider,
):
    service = "rds"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.instances = self.store.table("rds", "instances")
        self.snapshots = self.store.table("rds", "snapshots")
        self.parameter_groups = self.store.table("rds", "parameter_groups")
        self.cluster_parameter_groups = self.store.table("rds", "cluster_parameter_groups")
        self.subnet_groups = self.store.table("rds", "subnet_groups")
        self.option_groups = self.store.table("rds", "option_groups")
        self.subscriptions = self.store.table("rds", "subscriptions")
        self.events = self.store.table("rds", "events")
        self.clusters = self.store.table("rds", "clusters")
        self.cluster_snapshots = self.store.table("rds", "cluster_snapshots")
        self.global_clusters = self.store.table("rds", "global_clusters")
        self.settings = self.store.table("rds", "settings")
        self.cluster_endpoints = self.store.table("rds", "cluster_endpoints")
        self.proxies = self.store.table("rds", "proxies")
        self.proxy_endpoints = self.store.table("rds", "proxy_endpoints")
        self.export_tasks = self.store.table("rds", "export_tasks")
        self.blue_green = self.store.table("rds", "blue_green")
        #: Listener key → the forwarder of a custom cluster endpoint or a proxy endpoint.
        self.forwarders: dict[str, Forwarder] = {}
        self.supervisor = Supervisor(runtime, "rds", self.engine_event)
        self.instance_locks: dict[str, threading.Lock] = {}
        #: Engine home key → (scope, instance id), for the supervisor's events.
        self.instance_by_key: dict[str, tuple[str, str]] = {}
        self.tag_rules = tagging.TagRules(
            refuse=tagging.refusals("InvalidParameterValue", {}, limit=50),
            max_tags=50,
            reserved_prefix="aws:",
        )

    # -- lifecycle ----------------------------------------------------------------------------------

    def start(self) -> None:
        # Engines that were running run again: started in the background, so Overcast answers
        # at once and each instance shows its status until its engine is back.
        threading.Thread(target=self._quietly(self.resume_instances), name="rds resume", daemon=True).start()
        self.resume_forwarders()
        self.resume_exports()

    def resume_forwarders(self) -> None:
        """The listeners of custom cluster endpoints and proxies, on the addresses they had."""
        import logging

        for scope in self.cluster_endpoints.scopes():
            for _, row in self.cluster_endpoints.scan(scope):
                try:
                    self.open_cluster_endpoint(scope, row)
                except OSError as error:
                    logging.getLogger(__name__).warning("rds endpoint %s: %s", row["desc"], error)
        for table, kind in ((self.proxies, "proxy"), (self.proxy_endpoints, "endpoint")):
            for scope in table.scopes():
                for _, row in table.scan(scope):
                    try:
                        self.open_proxy_listener(scope, kind, row)
                    except OSError as error:
                        logging.getLogger(__name__).warning("rds proxy %s: %s", row["desc"], error)

    def close_forwarder(self, key: str) -> None:
        forwarder = self.forwarders.pop(key, None)
        if forwarder is not None:
            forwarder.close()

    def close_forwarders(self) -> None:
        for key in list(self.forwarders):
            self.close_forwarder(key)

    def _quietly(self, work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                work()
            except Exception:
                import logging

                logging.getLogger(__name__).exception("rds background work failed")

        return run

    def reset(self) -> None:
        self.close_forwarders()
        self.supervisor.close()
        self.close_token_front()
        for scope in self.instances.scopes():
            for _, row in self.instances.scan(scope):
                self.supervisor.remove_home(row["key"])
            for _, row in self.snapshots.scan(scope):
                self.supervisor.remove_home(row["key"])
        self.supervisor = Supervisor(self.runtime, "rds", self.engine_event)
        self.instance_by_key.clear()
        self.runtime.scheduler.cancel_prefix("rds/")

    def state_replaced(self) -> None:
        # An imported state's instances run again where their engines' data is on this machine;
        # the others show as failed, with an event saying why.
        self.instance_by_key.clear()
        threading.Thread(target=self._quietly(self.resume_instances), name="rds resume", daemon=True).start()
        self.close_forwarders()
        self.resume_forwarders()

    def close(self) -> None:
        self.close_forwarders()
        self.supervisor.close()
        self.close_token_front()

    def engines(self) -> list[dict[str, Any]]:
        """Each DB instance's engine process (`overcast ps`, the dashboard's overview)."""
        rows = []
        for scope in self.instances.scopes():
            account, _, region = scope.partition("/")
            for _, row in self.instances.scan(scope):
                desc, key = row["desc"], row.get("key")
                if not key:
                    continue
                running = self.supervisor.running(key)
                rows.append(
                    {
                        "kind": f"{desc.get('Engine', 'database')} engine",
                        "name": desc.get("DBInstanceIdentifier"),
                        "state": "running" if running else "stopped",
                        "pid": self.supervisor.pid(key) if running else None,
                        "endpoint": f"127.0.0.1:{row.get('port')}",
                        "account": account,
                        "region": region,
                    }
                )
        return rows

    # -- shared helpers -------------------------------------------------------------------------------

    @staticmethod
    def scope_of(context: RequestContext) -> str:
        return store_scope(context.account, context.region)

    def page(self, operation: str, params: dict[str, Any], items: list[Any]) -> dict[str, Any]:
        return pagination.paginate_list(
            self.store,
            "rds",
            operation,
            params,
            items,
            bad_token=lambda: invalid("Invalid marker"),
            default_limit=100,
        )

    # -- tags -----------------------------------------------------------------------------------------

    def _tagged(self, context: RequestContext, resource: str) -> tuple[Any, str, str, dict[str, Any]]:
        parts = resource.split(":")
        if len(parts) < 7 or parts[0] != "arn" or parts[2] != "rds":
            raise invalid(
                f"The specified resource name does not match an RDS resource in this region: {resource}"
            )
        kind, name = parts[5], ":".join(parts[6:])
        table_name = TAGGED.get(kind)
        scope = store_scope(parts[4], parts[3])
        if table_name is None:
            raise invalid(
                f"The specified resource name does not match an RDS resource in this region: {resource}"
            )
        table = getattr(self, table_name)
        if kind in BY_ARN:
            found = next((k for k, r in table.scan(scope) if r["desc"][BY_ARN[kind]] == resource), None)
            name = found or name
        key = name if kind in ("es", "snapshot") and table.get(scope, name) is not None else name.lower()
        row = table.get(scope, key)
        if row is None:
            codes = {
                "db": ("DBInstanceNotFound", f"DBInstance {name} not found."),
                "snapshot": ("DBSnapshotNotFound", f"DBSnapshot {name} not found."),
                "cluster": ("DBClusterNotFoundFault", f"DBCluster {name} not found."),
                "es": ("SubscriptionNotFound", f"Subscription {name} not found."),
                "subgrp": ("DBSubnetGroupNotFoundFault", f"DB subnet group '{name}' does not exist."),
                "og": ("OptionGroupNotFoundFault", f"Specified OptionGroupName: {name} not found."),
                "db-proxy": ("DBProxyNotFoundFault", f"DBProxy {name} not found."),
                "db-proxy-endpoint": ("DBProxyEndpointNotFoundFault", f"DBProxyEndpoint {name} not found."),
                "cluster-endpoint": (
                    "DBClusterEndpointNotFoundFault",
                    f"DBClusterEndpoint {name} not found.",
                ),
                "cluster-snapshot": (
                    "DBClusterSnapshotNotFoundFault",
                    f"DBClusterSnapshot {name} not found.",
                ),
            }
            code, message = codes.get(
                kind, ("DBParameterGroupNotFound", f"DBParameterGroup not found: {name}")
            )
            raise not_found(code, message)
        return table, scope, key, row

    def add_tags_to_resource(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            table, scope, key, row = self._tagged(context, params["ResourceName"])
            row["tags"] = tagging.add_tags(row.get("tags"), params.get("Tags"), self.tag_rules)
            table.put(scope, key, row)
        return {}

    def remove_tags_from_resource(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            table, scope, key, row = self._tagged(context, params["ResourceName"])
            row["tags"] = tagging.remove_tags(row.get("tags"), params.get("TagKeys"))
            table.put(scope, key, row)
        return {}

    def list_tags_for_resource(self, context: RequestContext, params: dict) -> dict:
        _, _, _, row = self._tagged(context, params["ResourceName"])
        return {"TagList": tagging.tag_list(row.get("tags"))}

    def resource_tags(self, arn: str) -> dict[str, str] | None:
        parts = arn.split(":")
        if len(parts) < 7:
            return None
        context = RequestContext.internal("rds", parts[4], parts[3])
        try:
            return dict(self._tagged(context, arn)[3].get("tags") or {})
        except ServiceError:
            return None

    # -- what RDS offers ------------------------------------------------------------------------------

    def describe_db_engine_versions(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        engine = params.get("Engine")
        if engine and engine not in catalog.ENGINES:
            return {"DBEngineVersions": []}
        entries = []
        for info in catalog.ENGINES.values():
            if engine and info.engine != engine:
                continue
            versions = list(info.versions)
            if params.get("EngineVersion"):
                wanted = params["EngineVersion"]
                versions = [v for v in versions if v == wanted or v.startswith(wanted + ".")]
            if params.get("DefaultOnly"):
                versions = versions[:1]
            for version in versions:
                if (
                    params.get("DBParameterGroupFamily")
                    and info.family(version) != params["DBParameterGroupFamily"]
                ):
                    continue
                entries.append(catalog.engine_version_entry(info, version))
        entries = apply_filters(
            entries,
            params.get("Filters"),
            {
                "engine": lambda e: e["Engine"],
                "engine-version": lambda e: e["EngineVersion"],
                "db-parameter-group-family": lambda e: e["DBParameterGroupFamily"],
                "status": lambda e: e["Status"],
                "engine-mode": lambda e: ["provisioned"],
            },
        )
        return self.page("DescribeDBEngineVersions", params, entries)

    def describe_db_major_engine_versions(self, context: RequestContext, params: dict) -> dict:
        engine = params.get("Engine")
        out = []
        for info in catalog.ENGINES.values():
            if engine and info.engine != engine:
                continue
            majors: list[str] = []
            for version in info.versions:
                major = catalog.engine_version_entry(info, version)["MajorEngineVersion"]
                if major not in majors:
                    majors.append(major)
            for major in majors:
                if params.get("MajorEngineVersion") and major != params["MajorEngineVersion"]:
                    continue
                out.append(
                    {"Engine": info.engine, "MajorEngineVersion": major, "SupportedEngineLifecycles": []}
                )
        return self.page("DescribeDBMajorEngineVersions", params, out)

    def describe_orderable_db_instance_options(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params, 20, 10000)
        info = catalog.ENGINES.get(params["Engine"])
        if info is None:
            return {"OrderableDBInstanceOptions": []}
        versions = [
            v for v in info.versions if not params.get("EngineVersion") or v == params["EngineVersion"]
        ]
        classes = [
            c
            for c in catalog.INSTANCE_CLASSES
            if not params.get("DBInstanceClass") or c == params["DBInstanceClass"]
        ]
        if params.get("Vpc") is False:
            return {"OrderableDBInstanceOptions": []}
        if not info.engine.startswith("aurora"):
            classes = [c for c in classes if c != "db.serverless"]
        options = [catalog.orderable_option(info.engine, v, c) for v in versions for c in classes]
        if params.get("LicenseModel"):
            options = [o for o in options if o["LicenseModel"] == params["LicenseModel"]]
        return self.page("DescribeOrderableDBInstanceOptions", params, options)

    def describe_account_attributes(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        used = {
            "DBInstances": self.instances.count(scope),
            "DBParameterGroups": self.parameter_groups.count(scope),
            "ManualSnapshots": sum(
                1 for _, r in self.snapshots.scan(scope) if r["desc"]["SnapshotType"] == "manual"
            ),
            "EventSubscriptions": self.subscriptions.count(scope),
            "DBSubnetGroups": self.subnet_groups.count(scope),
            "OptionGroups": self.option_groups.count(scope),
            "DBClusters": self.clusters.count(scope),
            "DBClusterParameterGroups": self.cluster_parameter_groups.count(scope),
            "AllocatedStorage": sum(r["desc"]["AllocatedStorage"] for _, r in self.instances.scan(scope)),
        }
        return {
            "AccountQuotas": [
                {"AccountQuotaName": name, "Used": used.get(name, 0), "Max": limit}
                for name, limit in QUOTAS.items()
            ]
        }

    def describe_certificates(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        from datetime import UTC, datetime

        certificates = [
            {
                "CertificateIdentifier": name,
                "CertificateType": f"CA-{kind}",
                "Thumbprint": "",
                "ValidFrom": datetime(2021, 5, 25, tzinfo=UTC),
                "ValidTill": datetime(2061, 5, 25, tzinfo=UTC),
                "CertificateArn": f"arn:aws:rds:{context.region}::cert:{name}",
                "CustomerOverride": name == self.settings.get(self.scope_of(context), "certificate"),
            }
            for name, kind in CERTIFICATES
        ]
        if params.get("CertificateIdentifier"):
            certificates = [
                c for c in certificates if c["CertificateIdentifier"] == params["CertificateIdentifier"]
            ]
            if not certificates:
                raise not_found(
                    "CertificateNotFound", f"Certificate {params['CertificateIdentifier']} not found."
                )
        out = self.page("DescribeCertificates", params, certificates)
        out["DefaultCertificateForNewLaunches"] = self.default_certificate(self.scope_of(context))
        return out

    def modify_certificates(self, context: RequestContext, params: dict) -> dict:
        """The certificate authority new instances of the account get, instead of RDS's default."""
        scope = self.scope_of(context)
        known = {name for name, _ in CERTIFICATES}
        with self.store.transaction():
            if params.get("RemoveCustomerOverride"):
                self.settings.delete(scope, "certificate")
                chosen = DEFAULT_CERTIFICATE
            else:
                chosen = params.get("CertificateIdentifier") or ""
                if chosen not in known:
                    raise not_found("CertificateNotFound", f"Certificate {chosen} not found.")
                self.settings.put(scope, "certificate", chosen)
        certificate = next(
            c
            for c in self.describe_certificates(context, {})["Certificates"]
            if c["CertificateIdentifier"] == chosen
        )
        return {"Certificate": certificate}

    def default_certificate(self, scope: str) -> str:
        return str(self.settings.get(scope, "certificate") or DEFAULT_CERTIFICATE)

    def describe_source_regions(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        from botocore.session import get_session

        regions = get_session().get_available_regions("rds")
        items = [
            {
                "RegionName": region,
                "Endpoint": f"https://rds.{region}.amazonaws.com",
                "Status": "available",
                "SupportsDBInstanceAutomatedBackupsReplication": True,
            }
            for region in regions
            if region != context.region and (not params.get("RegionName") or region == params["RegionName"])
        ]
        return self.page("DescribeSourceRegions", params, items)

    def describe_pending_maintenance_actions(self, context: RequestContext, params: dict) -> dict:
        """Changes waiting for an instance's maintenance window are the pending actions here."""
        scope = self.scope_of(context)
        out = []
        for _, row in self.instances.scan(scope):
            pending = row.get("pending") or {}
            if not pending:
                continue
            arn = row["desc"]["DBInstanceArn"]
            if params.get("ResourceIdentifier") and params["ResourceIdentifier"] != arn:
                continue
            out.append(
                {
                    "ResourceIdentifier": arn,
                    "PendingMaintenanceActionDetails": [
                        {
                            "Action": "system-update",
                            "Description": "Apply the pending modifications: " + ", ".join(sorted(pending)),
                        }
                    ],
                }
            )
        return self.page("DescribePendingMaintenanceActions", params, out)

    def apply_pending_maintenance_action(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        resource = params["ResourceIdentifier"]
        identifier = resource.rsplit(":", 1)[-1]
        row = self.instance_row(scope, identifier)
        if params["OptInType"] not in ("immediate", "next-maintenance", "undo-opt-in"):
            raise invalid(f"Invalid OptInType: {params['OptInType']}")
        if not row.get("pending"):
            raise not_found("ResourceNotFoundFault", f"No pending maintenance action for {resource}.")
        if params["OptInType"] == "immediate":
            self.background(scope, identifier, lambda: self.apply_pending(scope, identifier), "maintenance")
        return {
            "ResourcePendingMaintenanceActions": {
                "ResourceIdentifier": resource,
                "PendingMaintenanceActionDetails": [
                    {"Action": params["ApplyAction"], "OptInStatus": params["OptInType"]}
                ],
            }
        }

    def describe_reserved_db_instances(self, context: RequestContext, params: dict) -> dict:
        # Reservations are bought with PurchaseReservedDBInstancesOffering, which this Overcast
        # does not sell: an account here holds none.
        check_max_records(params)
        if params.get("ReservedDBInstanceId"):
            raise not_found(
                "ReservedDBInstanceNotFound",
                f"Reserved DB instance {params['ReservedDBInstanceId']} not found.",
            )
        return {"ReservedDBInstances": []}

    # -- engine logs ----------------------------------------------------------------------------------

    def _log_path(self, context: RequestContext, identifier: str) -> Any:
        row = self.instance_row(self.scope_of(context), identifier)
        return self.supervisor.root / f"{row['key']}.log", row

    def describe_db_log_files(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params, 1, 10000)
        path, row = self._log_path(context, params["DBInstanceIdentifier"])
        name = "error/postgresql.log" if "postgres" in row["desc"]["Engine"] else "error/mysql-error.log"
        files = []
        if path.exists():
            stat = path.stat()
            files.append(
                {"LogFileName": name, "LastWritten": int(stat.st_mtime * 1000), "Size": stat.st_size}
            )
        if params.get("FilenameContains"):
            files = [f for f in files if params["FilenameContains"] in f["LogFileName"]]
        return self.page("DescribeDBLogFiles", params, files)

    def download_db_log_file_portion(self, context: RequestContext, params: dict) -> dict:
        path, row = self._log_path(context, params["DBInstanceIdentifier"])
        name = "error/postgresql.log" if "postgres" in row["desc"]["Engine"] else "error/mysql-error.log"
        if params["LogFileName"] != name or not path.exists():
            raise not_found(
                "DBLogFileNotFoundFault",
                f"DBLog File: {params['LogFileName']}, is not found on the DB instance",
            )
        data = path.read_bytes()
        lines = params.get("NumberOfLines")
        marker = params.get("Marker") or "0"
        try:
            start = int(marker.split(":")[-1])
        except ValueError:
            raise invalid("Invalid marker") from None
        chunk = data[start:]
        if lines:
            chunk = b"".join(chunk.splitlines(keepends=True)[:lines])
        else:
            chunk = chunk[: 1024 * 1024]
        end = start + len(chunk)
        return {
            "LogFileData": chunk.decode(errors="replace"),
            "Marker": f"0:{end}",
            "AdditionalDataPending": end < len(data),
        }

    # -- automated backups, roles, certificates -------------------------------------------------------

    def _automated_backups(self, scope: str) -> list[dict[str, Any]]:
        """An instance's automated backups: active while it lives, retained after a delete that
        kept them (DeleteAutomatedBackups false) until their retention runs out."""
        by_resource: dict[str, dict[str, Any]] = {}
        for _, snap in self.snapshots.scan(scope, prefix="rds:"):
            desc = snap["desc"]
            if desc["SnapshotType"] != "automated":
                continue
            entry = by_resource.setdefault(
                desc["DbiResourceId"],
                {
                    "DBInstanceArn": desc["DBSnapshotArn"].replace(
                        ":snapshot:" + desc["DBSnapshotIdentifier"], ":db:" + desc["DBInstanceIdentifier"]
                    ),
                    "DbiResourceId": desc["DbiResourceId"],
                    "Region": scope.partition("/")[2],
                    "DBInstanceIdentifier": desc["DBInstanceIdentifier"],
                    "RestoreWindow": {
                        "EarliestTime": desc["SnapshotCreateTime"],
                        "LatestTime": desc["SnapshotCreateTime"],
                    },
                    "AllocatedStorage": desc["AllocatedStorage"],
                    "Status": "retained",
                    "Port": desc["Port"],
                    "AvailabilityZone": desc["AvailabilityZone"],
                    "InstanceCreateTime": desc["InstanceCreateTime"],
                    "MasterUsername": desc["MasterUsername"],
                    "Engine": desc["Engine"],
                    "EngineVersion": desc["EngineVersion"],
                    "LicenseModel": desc["LicenseModel"],
                    "StorageType": desc["StorageType"],
                    "Encrypted": desc["Encrypted"],
                    "IAMDatabaseAuthenticationEnabled": desc["IAMDatabaseAuthenticationEnabled"],
                    "DBInstanceAutomatedBackupsArn": desc["DBSnapshotArn"].replace(
                        ":snapshot:" + desc["DBSnapshotIdentifier"],
                        ":auto-backup:ab-" + desc["DbiResourceId"][3:].lower(),
                    ),
                    "BackupTarget": "region",
                    "DedicatedLogVolume": False,
                },
            )
            window = entry["RestoreWindow"]
            window["EarliestTime"] = min(window["EarliestTime"], desc["SnapshotCreateTime"])
            window["LatestTime"] = max(window["LatestTime"], desc["SnapshotCreateTime"])
        for _, row in self.instances.scan(scope):
            live = by_resource.get(row["desc"]["DbiResourceId"])
            if live is not None:
                live["Status"] = "active"
                live["BackupRetentionPeriod"] = row["desc"]["BackupRetentionPeriod"]
        return list(by_resource.values())

    def describe_db_instance_automated_backups(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        backups = self._automated_backups(self.scope_of(context))
        if params.get("DbiResourceId"):
            backups = [b for b in backups if b["DbiResourceId"] == params["DbiResourceId"]]
        if params.get("DBInstanceIdentifier"):
            backups = [
                b for b in backups if b["DBInstanceIdentifier"] == params["DBInstanceIdentifier"].lower()
            ]
        if params.get("DBInstanceAutomatedBackupsArn"):
            backups = [
                b
                for b in backups
                if b["DBInstanceAutomatedBackupsArn"] == params["DBInstanceAutomatedBackupsArn"]
            ]
        backups = apply_filters(
            backups,
            params.get("Filters"),
            {
                "status": lambda b: b["Status"],
                "db-instance-id": lambda b: b["DBInstanceIdentifier"],
                "dbi-resource-id": lambda b: b["DbiResourceId"],
            },
        )
        return self.page("DescribeDBInstanceAutomatedBackups", params, backups)

    def delete_db_instance_automated_backup(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        resource = params.get("DbiResourceId")
        backups = [
            b
            for b in self._automated_backups(scope)
            if b["DbiResourceId"] == resource
            or b["DBInstanceAutomatedBackupsArn"] == params.get("DBInstanceAutomatedBackupsArn")
        ]
        if not backups:
            raise not_found(
                "DBInstanceAutomatedBackupNotFound",
                f"No automated backup found for DBI resource id {resource}.",
            )
        backup = backups[0]
        if backup["Status"] != "retained":
            raise ServiceError(
                "InvalidDBInstanceAutomatedBackupState",
                "Automated backups of a live instance cannot be deleted.",
            )
        for name, snap in list(self.snapshots.scan(scope, prefix="rds:")):
            if (
                snap["desc"]["DbiResourceId"] == backup["DbiResourceId"]
                and snap["desc"]["SnapshotType"] == "automated"
            ):
                self.remove_snapshot(scope, name)
        return {"DBInstanceAutomatedBackup": {**backup, "Status": "deleting"}}

    def _role(self, context: RequestContext, params: dict, cluster: bool, add: bool) -> dict:
        scope = self.scope_of(context)
        role = params["RoleArn"]
        with self.store.transaction():
            if cluster:
                row = self.cluster_row(scope, params["DBClusterIdentifier"])
                table, key = self.clusters, row["desc"]["DBClusterIdentifier"]
            else:
                row = self.instance_row(scope, params["DBInstanceIdentifier"])
                table, key = self.instances, row["desc"]["DBInstanceIdentifier"]
            roles = row["desc"].setdefault("AssociatedRoles", [])
            present = [r for r in roles if r["RoleArn"] == role]
            if add:
                if present:
                    code = "DBClusterRoleAlreadyExists" if cluster else "DBInstanceRoleAlreadyExists"
                    raise ServiceError(code, f"Role {role} is already associated with {key}.")
                entry = {"RoleArn": role, "Status": "ACTIVE"}
                if params.get("FeatureName"):
                    entry["FeatureName"] = params["FeatureName"]
                roles.append(entry)
            else:
                if not present:
                    code = "DBClusterRoleNotFound" if cluster else "DBInstanceRoleNotFound"
                    raise ServiceError(code, f"Role {role} is not associated with {key}.", 404)
                row["desc"]["AssociatedRoles"] = [r for r in roles if r["RoleArn"] != role]
            table.put(scope, key, row)
        return {}

    def add_role_to_db_instance(self, context: RequestContext, params: dict) -> dict:
        return self._role(context, params, cluster=False, add=True)

    def remove_role_from_db_instance(self, context: RequestContext, params: dict) -> dict:
        return self._role(context, params, cluster=False, add=False)

    def add_role_to_db_cluster(self, context: RequestContext, params: dict) -> dict:
        return self._role(context, params, cluster=True, add=True)

    def remove_role_from_db_cluster(self, context: RequestContext, params: dict) -> dict:
        return self._role(context, params, cluster=True, add=False)

    def describe_db_cluster_backtracks(self, context: RequestContext, params: dict) -> dict:
        # Backtracking needs a BacktrackWindow, which no cluster here has: none to list.
        self.cluster_row(self.scope_of(context), params["DBClusterIdentifier"])
        if params.get("BacktrackIdentifier"):
            raise not_found(
                "DBClusterBacktrackNotFoundFault", f"Backtrack {params['BacktrackIdentifier']} not found."
            )
        return {"DBClusterBacktracks": []}

    def modify_current_db_cluster_capacity(self, context: RequestContext, params: dict) -> dict:
        row = self.cluster_row(self.scope_of(context), params["DBClusterIdentifier"])
        raise ServiceError(
            "InvalidDBClusterStateFault",
            f"DB cluster {row['desc']['DBClusterIdentifier']} is not an Aurora Serverless v1 cluster: its capacity is its instances'.",
        )

    def promote_read_replica_db_cluster(self, context: RequestContext, params: dict) -> dict:
        row = self.cluster_row(self.scope_of(context), params["DBClusterIdentifier"])
        raise ServiceError(
            "InvalidDBClusterStateFault",
            f"DB cluster {row['desc']['DBClusterIdentifier']} is not a read replica cluster.",
        )
