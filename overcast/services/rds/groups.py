"""Parameter groups (DB and cluster), option groups and subnet groups.

A parameter group's parameters are the engine's own: PostgreSQL's come from `postgres
--describe-config` of the installed server (static = needs a restart, as the engine says),
MariaDB's from a table of its common variables. Changes reach every instance using the group:
written to the engine's configuration, dynamic ones applied at once (a reload), static ones
pending the next reboot (ParameterApplyStatus pending-reboot)."""

from __future__ import annotations

import hashlib
import threading
from functools import lru_cache
from typing import Any

from overcast.common import pagination, tagging
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.rds import catalog
from overcast.services.rds.common import (
    MixinBase,
    apply_filters,
    arn,
    check_max_records,
    combination,
    invalid,
    not_found,
)
from overcast.services.rds.engines import ENGINES, PostgresEngine

#: MariaDB variables offered in MySQL/MariaDB parameter groups: (default, dynamic, type, allowed).
MARIADB_PARAMETERS: dict[str, tuple[str, bool, str, str]] = {
    "autocommit": ("1", True, "boolean", "0,1"),
    "binlog_format": ("MIXED", True, "string", "ROW,STATEMENT,MIXED"),
    "character_set_server": ("latin1", True, "string", "utf8mb4,utf8mb3,latin1,ascii"),
    "collation_server": ("latin1_swedish_ci", True, "string", ""),
    "connect_timeout": ("10", True, "integer", "2-31536000"),
    "general_log": ("0", True, "boolean", "0,1"),
    "innodb_buffer_pool_size": ("134217728", True, "integer", "5242880-9223372036854775807"),
    "innodb_flush_log_at_trx_commit": ("1", True, "integer", "0-3"),
    "innodb_lock_wait_timeout": ("50", True, "integer", "1-1073741824"),
    "innodb_log_file_size": ("100663296", False, "integer", "1048576-549755813888"),
    "interactive_timeout": ("28800", True, "integer", "1-31536000"),
    "local_infile": ("1", True, "boolean", "0,1"),
    "long_query_time": ("10", True, "float", "0-31536000"),
    "lower_case_table_names": ("0", False, "integer", "0,1"),
    "max_allowed_packet": ("16777216", True, "integer", "1024-1073741824"),
    "max_connections": ("151", True, "integer", "10-100000"),
    "net_read_timeout": ("30", True, "integer", "1-31536000"),
    "performance_schema": ("0", False, "boolean", "0,1"),
    "slow_query_log": ("0", True, "boolean", "0,1"),
    "sql_mode": (
        "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION",
        True,
        "string",
        "",
    ),
    "time_zone": ("SYSTEM", True, "string", ""),
    "tx_isolation": (
        "REPEATABLE-READ",
        True,
        "string",
        "READ-UNCOMMITTED,READ-COMMITTED,REPEATABLE-READ,SERIALIZABLE",
    ),
    "wait_timeout": ("28800", True, "integer", "1-31536000"),
}
#: PostgreSQL settings Overcast owns (the engine's address and files): not in parameter groups.
POSTGRES_OWNED = frozenset(
    {
        "port",
        "listen_addresses",
        "unix_socket_directories",
        "data_directory",
        "config_file",
        "hba_file",
        "ident_file",
        "external_pid_file",
        "primary_conninfo",
        "unix_socket_group",
        "unix_socket_permissions",
    }
)


@lru_cache(maxsize=8)
def _postgres_parameters(major: str) -> tuple[dict[str, Any], ...]:
    engine = ENGINES["postgres"]
    assert isinstance(engine, PostgresEngine)
    return tuple(p for p in engine.describe_config(major) if p["name"] not in POSTGRES_OWNED)


def engine_parameters(family: str) -> list[dict[str, Any]]:
    """The parameters of a family as DescribeEngineDefaultParameters lists them."""
    families = catalog.families()
    if family not in families:
        raise invalid(f"Invalid DB parameter group family: {family}")
    engine, version = families[family]
    out = []
    if "postgres" in engine:
        for p in _postgres_parameters(version.split(".")[0]):
            kind = {
                "bool": "boolean",
                "integer": "integer",
                "real": "float",
                "string": "string",
                "enum": "string",
            }.get(p["type"], "string")
            entry = {
                "ParameterName": p["name"],
                "Description": p["description"] or p["name"],
                "Source": "engine-default",
                "ApplyType": "static" if p["static"] else "dynamic",
                "DataType": kind,
                "IsModifiable": p["modifiable"],
                "ApplyMethod": "pending-reboot",
            }
            if p["range"]:
                entry["AllowedValues"] = p["range"]
            if p["default"]:
                entry["ParameterValue"] = p["default"]
            out.append(entry)
    else:
        for name, (default, dynamic, kind, allowed) in sorted(MARIADB_PARAMETERS.items()):
            entry = {
                "ParameterName": name,
                "ParameterValue": default,
                "Description": name.replace("_", " "),
                "Source": "engine-default",
                "ApplyType": "dynamic" if dynamic else "static",
                "DataType": kind,
                "IsModifiable": True,
                "ApplyMethod": "pending-reboot",
            }
            if allowed:
                entry["AllowedValues"] = allowed
            out.append(entry)
    return out


def _vpc_of(subnets: list[str]) -> str:
    return "vpc-" + hashlib.sha256(",".join(sorted(subnets)).encode()).hexdigest()[:17]


class GroupMixin(MixinBase):
    # -- parameter groups -----------------------------------------------------------------------------

    def _pg_table(self, cluster: bool) -> Any:
        return self.cluster_parameter_groups if cluster else self.parameter_groups

    def _pg_not_found(self, name: str, cluster: bool) -> ServiceError:
        if cluster:
            return not_found("DBParameterGroupNotFound", f"DBClusterParameterGroup not found: {name}")
        return not_found("DBParameterGroupNotFound", f"DBParameterGroup not found: {name}")

    def parameter_group(self, scope: str, name: str, cluster: bool = False) -> dict[str, Any]:
        """A group, or the default group of a family (default.<family>), which always exists."""
        row = self._pg_table(cluster).get(scope, name.lower())
        if row is not None:
            return row
        if name.startswith("default.") and name[len("default.") :] in catalog.families():
            account, _, region = scope.partition("/")
            context = RequestContext.internal("rds", account, region)
            kind = "cluster-pg" if cluster else "pg"
            return {
                "name": name,
                "family": name[len("default.") :],
                "description": f"Default parameter group for {name[len('default.') :]}",
                "arn": arn(context, kind, name),
                "values": {},
                "tags": {},
                "default": True,
            }
        raise self._pg_not_found(name, cluster)

    def parameter_group_for(self, context: RequestContext, name: str | None, family: str) -> str:
        if not name:
            return f"default.{family}"
        group = self.parameter_group(self.scope_of(context), name)
        if group["family"] != family:
            raise combination(
                f"The parameter group {name} with DBParameterGroupFamily {group['family']} can't be used for this instance. Use a parameter group with DBParameterGroupFamily {family}."
            )
        return str(group["name"])

    def group_values(self, scope: str, name: str) -> dict[str, str]:
        try:
            return dict(self.parameter_group(scope, name)["values"])
        except ServiceError:
            return {}

    def _render_pg(self, row: dict[str, Any], cluster: bool) -> dict[str, Any]:
        if cluster:
            return {
                "DBClusterParameterGroupName": row["name"],
                "DBParameterGroupFamily": row["family"],
                "Description": row["description"],
                "DBClusterParameterGroupArn": row["arn"],
            }
        return {
            "DBParameterGroupName": row["name"],
            "DBParameterGroupFamily": row["family"],
            "Description": row["description"],
            "DBParameterGroupArn": row["arn"],
        }

    def _create_pg(self, context: RequestContext, params: dict, cluster: bool) -> dict[str, Any]:
        name_key = "DBClusterParameterGroupName" if cluster else "DBParameterGroupName"
        name = params[name_key]
        family = params["DBParameterGroupFamily"]
        if family not in catalog.families():
            raise invalid(f"Invalid DB parameter group family: {family}")
        if name.lower().startswith("default.") or not name[0].isalpha():
            raise invalid(f"The parameter {name_key} is not a valid identifier: {name}")
        scope = self.scope_of(context)
        table = self._pg_table(cluster)
        with self.store.transaction():
            if table.get(scope, name.lower()) is not None:
                raise ServiceError("DBParameterGroupAlreadyExists", f"Parameter group {name} already exists")
            row = {
                "name": name.lower(),
                "family": family,
                "description": params["Description"],
                "arn": arn(context, "cluster-pg" if cluster else "pg", name.lower()),
                "values": {},
                "tags": tagging.tag_map(params.get("Tags"), self.tag_rules),
            }
            table.put(scope, name.lower(), row)
        return row

    def create_db_parameter_group(self, context: RequestContext, params: dict) -> dict:
        return {"DBParameterGroup": self._render_pg(self._create_pg(context, params, False), False)}

    def create_db_cluster_parameter_group(self, context: RequestContext, params: dict) -> dict:
        return {"DBClusterParameterGroup": self._render_pg(self._create_pg(context, params, True), True)}

    def _describe_pgs(self, context: RequestContext, params: dict, cluster: bool) -> list[dict[str, Any]]:
        check_max_records(params)
        scope = self.scope_of(context)
        name = params.get("DBClusterParameterGroupName" if cluster else "DBParameterGroupName")
        if name:
            return [self._render_pg(self.parameter_group(scope, name, cluster), cluster)]
        rows = [row for _, row in self._pg_table(cluster).scan(scope)]
        used = (
            {
                d["DBParameterGroups"][0]["DBParameterGroupName"]
                for _, r in self.instances.scan(scope)
                for d in [r["desc"]]
            }
            if not cluster
            else {r["desc"].get("DBClusterParameterGroup") for _, r in self.clusters.scan(scope)}
        )
        for default in sorted(n for n in used if n and n.startswith("default.")):
            rows.append(self.parameter_group(scope, default, cluster))
        return [self._render_pg(r, cluster) for r in rows]

    def describe_db_parameter_groups(self, context: RequestContext, params: dict) -> dict:
        return self.page("DescribeDBParameterGroups", params, self._describe_pgs(context, params, False))

    def describe_db_cluster_parameter_groups(self, context: RequestContext, params: dict) -> dict:
        return self.page(
            "DescribeDBClusterParameterGroups", params, self._describe_pgs(context, params, True)
        )

    def _delete_pg(self, context: RequestContext, name: str, cluster: bool) -> None:
        scope = self.scope_of(context)
        if name.startswith("default."):
            raise ServiceError("InvalidDBParameterGroupState", "Default parameter groups cannot be deleted.")
        with self.store.transaction():
            self.parameter_group(scope, name, cluster)
            in_use = (
                any(
                    r["desc"]["DBParameterGroups"][0]["DBParameterGroupName"] == name.lower()
                    for _, r in self.instances.scan(scope)
                )
                if not cluster
                else any(
                    r["desc"].get("DBClusterParameterGroup") == name.lower()
                    for _, r in self.clusters.scan(scope)
                )
            )
            if in_use:
                raise ServiceError(
                    "InvalidDBParameterGroupState",
                    f"One or more database instances are still members of this parameter group {name}, so the group cannot be deleted",
                )
            self._pg_table(cluster).delete(scope, name.lower())

    def delete_db_parameter_group(self, context: RequestContext, params: dict) -> dict:
        self._delete_pg(context, params["DBParameterGroupName"], False)
        return {}

    def delete_db_cluster_parameter_group(self, context: RequestContext, params: dict) -> dict:
        self._delete_pg(context, params["DBClusterParameterGroupName"], True)
        return {}

    def _modify_pg(
        self,
        context: RequestContext,
        name: str,
        changes: list[dict[str, Any]],
        cluster: bool,
        reset: bool = False,
    ) -> str:
        scope = self.scope_of(context)
        if name.startswith("default."):
            raise invalid("Default parameter groups cannot be modified: create your own group.")
        if not reset and not changes:
            raise invalid("The parameter Parameters must be provided and must not be blank.")
        with self.store.transaction():
            row = self.parameter_group(scope, name, cluster)
            known = {p["ParameterName"]: p for p in engine_parameters(row["family"])}
            immediate: dict[str, str | None] = {}
            for change in changes:
                pname = change.get("ParameterName") or ""
                spec = known.get(pname)
                if spec is None:
                    raise invalid(f"Could not find parameter with name: {pname}")
                if not spec["IsModifiable"]:
                    raise invalid(f"The parameter {pname} cannot be modified.")
                method = change.get("ApplyMethod") or "pending-reboot"
                if method == "immediate" and spec["ApplyType"] == "static":
                    raise combination(f"cannot use immediate apply method for static parameter {pname}")
                if reset:
                    row["values"].pop(pname, None)
                    value: str | None = None
                else:
                    if change.get("ParameterValue") is None:
                        raise invalid(f"The parameter value for {pname} must be provided.")
                    value = str(change["ParameterValue"])
                    row["values"][pname] = value
                if method == "immediate":
                    immediate[pname] = value
            if reset and not changes:
                row["values"] = {}
            self._pg_table(cluster).put(scope, row["name"], row)
        if not cluster:
            self.apply_group(scope, row["name"], immediate)
        return str(row["name"])

    def apply_group(self, scope: str, group: str, immediate: dict[str, str | None]) -> None:
        """A group changed: its instances get the dynamic changes applied now, the rest at reboot."""
        values = self.group_values(scope, group)
        for identifier, row in list(self.instances.scan(scope)):
            membership = row["desc"]["DBParameterGroups"][0]
            if membership["DBParameterGroupName"] != group:
                continue
            applied = dict(row.get("applied") or {})
            for pname, value in immediate.items():
                if value is None:
                    applied.pop(pname, None)
                else:
                    applied[pname] = value
            pending = applied != values
            with self.store.transaction():
                current = self.instances.get(scope, identifier)
                if current is None:
                    continue
                current["applied"] = applied
                current["desc"]["DBParameterGroups"][0]["ParameterApplyStatus"] = (
                    "pending-reboot" if pending else "applying" if immediate else "in-sync"
                )
                self.instances.put(scope, identifier, current)
            if immediate and current["desc"]["DBInstanceStatus"] == "available":
                self._reload_soon(scope, identifier)

    def _reload_soon(self, scope: str, identifier: str) -> None:
        def reload() -> None:
            row = self.instance_row(scope, identifier)
            engine = self.engine_of(row)
            source = row["desc"].get("ReadReplicaSourceDBInstanceIdentifier")
            primary = self.instances.get(scope, source) if source else None
            engine.configure(self.supervisor, self.server(row), self.server(primary) if primary else None)
            if self.supervisor.running(row["key"]):
                engine.reload(self.supervisor, self.server(row))
            with self.store.transaction():
                current = self.instances.get(scope, identifier)
                if (
                    current is not None
                    and current["desc"]["DBParameterGroups"][0]["ParameterApplyStatus"] == "applying"
                ):
                    current["desc"]["DBParameterGroups"][0]["ParameterApplyStatus"] = "in-sync"
                    self.instances.put(scope, identifier, current)

        threading.Thread(target=self._quietly(reload), daemon=True).start()

    def modify_db_parameter_group(self, context: RequestContext, params: dict) -> dict:
        return {
            "DBParameterGroupName": self._modify_pg(
                context, params["DBParameterGroupName"], params.get("Parameters") or [], False
            )
        }

    def reset_db_parameter_group(self, context: RequestContext, params: dict) -> dict:
        changes = [] if params.get("ResetAllParameters") else params.get("Parameters") or []
        if not params.get("ResetAllParameters") and not changes:
            raise combination("Either ResetAllParameters or Parameters must be given.")
        return {
            "DBParameterGroupName": self._modify_pg(
                context, params["DBParameterGroupName"], changes, False, reset=True
            )
        }

    def modify_db_cluster_parameter_group(self, context: RequestContext, params: dict) -> dict:
        return {
            "DBClusterParameterGroupName": self._modify_pg(
                context, params["DBClusterParameterGroupName"], params.get("Parameters") or [], True
            )
        }

    def reset_db_cluster_parameter_group(self, context: RequestContext, params: dict) -> dict:
        changes = [] if params.get("ResetAllParameters") else params.get("Parameters") or []
        return {
            "DBClusterParameterGroupName": self._modify_pg(
                context, params["DBClusterParameterGroupName"], changes, True, reset=True
            )
        }

    def _copy_pg(
        self,
        context: RequestContext,
        source: str,
        target: str,
        description: str,
        tags: Any,
        cluster: bool,
    ) -> dict[str, Any]:
        scope = self.scope_of(context)
        if source.startswith("arn:"):
            source = source.rsplit(":", 1)[-1]
        original = self.parameter_group(scope, source, cluster)
        row = self._create_pg(
            context,
            {
                ("DBClusterParameterGroupName" if cluster else "DBParameterGroupName"): target,
                "DBParameterGroupFamily": original["family"],
                "Description": description,
                "Tags": tags,
            },
            cluster,
        )
        with self.store.transaction():
            row["values"] = dict(original["values"])
            self._pg_table(cluster).put(scope, row["name"], row)
        return row

    def copy_db_parameter_group(self, context: RequestContext, params: dict) -> dict:
        row = self._copy_pg(
            context,
            params["SourceDBParameterGroupIdentifier"],
            params["TargetDBParameterGroupIdentifier"],
            params["TargetDBParameterGroupDescription"],
            params.get("Tags"),
            False,
        )
        return {"DBParameterGroup": self._render_pg(row, False)}

    def copy_db_cluster_parameter_group(self, context: RequestContext, params: dict) -> dict:
        row = self._copy_pg(
            context,
            params["SourceDBClusterParameterGroupIdentifier"],
            params["TargetDBClusterParameterGroupIdentifier"],
            params["TargetDBClusterParameterGroupDescription"],
            params.get("Tags"),
            True,
        )
        return {"DBClusterParameterGroup": self._render_pg(row, True)}

    def _parameters(
        self, context: RequestContext, name: str, source: str | None, cluster: bool
    ) -> list[dict[str, Any]]:
        row = self.parameter_group(self.scope_of(context), name, cluster)
        out = []
        for entry in engine_parameters(row["family"]):
            if entry["ParameterName"] in row["values"]:
                entry = {**entry, "ParameterValue": row["values"][entry["ParameterName"]], "Source": "user"}
            if source and entry["Source"] != source:
                continue
            out.append(entry)
        return out

    def describe_db_parameters(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        items = self._parameters(context, params["DBParameterGroupName"], params.get("Source"), False)
        items = apply_filters(
            items,
            params.get("Filters"),
            {"parameter-name": lambda p: p["ParameterName"], "apply-type": lambda p: p["ApplyType"]},
        )
        return self.page("DescribeDBParameters", params, items)

    def describe_db_cluster_parameters(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        items = self._parameters(context, params["DBClusterParameterGroupName"], params.get("Source"), True)
        return self.page("DescribeDBClusterParameters", params, items)

    def describe_engine_default_parameters(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        items = engine_parameters(params["DBParameterGroupFamily"])
        items = apply_filters(
            items,
            params.get("Filters"),
            {"parameter-name": lambda p: p["ParameterName"], "apply-type": lambda p: p["ApplyType"]},
        )
        start = 0
        if params.get("Marker"):
            try:
                start = int(
                    pagination.decode_token(self.store, "DescribeEngineDefaultParameters", params["Marker"])
                )
            except (ValueError, TypeError):
                raise invalid("Invalid marker") from None
        end = start + (params.get("MaxRecords") or 100)
        defaults: dict[str, Any] = {
            "DBParameterGroupFamily": params["DBParameterGroupFamily"],
            "Parameters": items[start:end],
        }
        if end < len(items):
            defaults["Marker"] = pagination.encode_token(self.store, "DescribeEngineDefaultParameters", end)
        return {"EngineDefaults": defaults}

    def describe_engine_default_cluster_parameters(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        items = engine_parameters(params["DBParameterGroupFamily"])
        return {
            "EngineDefaults": {
                "DBParameterGroupFamily": params["DBParameterGroupFamily"],
                "Parameters": items,
            }
        }

    # -- subnet groups --------------------------------------------------------------------------------

    def _subnet_group(self, scope: str, name: str) -> dict[str, Any]:
        row = self.subnet_groups.get(scope, name.lower())
        if row is None:
            raise not_found("DBSubnetGroupNotFoundFault", f"DB subnet group '{name}' does not exist.")
        return row

    def subnet_group_for(self, context: RequestContext, name: str | None) -> dict[str, Any] | None:
        if not name:
            return None
        if name == "default":
            return {
                "DBSubnetGroupName": "default",
                "DBSubnetGroupDescription": "default",
                "VpcId": "",
                "SubnetGroupStatus": "Complete",
                "Subnets": [],
            }
        return self._render_subnet_group(self._subnet_group(self.scope_of(context), name))

    def _render_subnet_group(self, row: dict[str, Any]) -> dict[str, Any]:
        return {
            "DBSubnetGroupName": row["name"],
            "DBSubnetGroupDescription": row["description"],
            "VpcId": row["vpc"],
            "SubnetGroupStatus": "Complete",
            "Subnets": [
                {
                    "SubnetIdentifier": subnet,
                    "SubnetAvailabilityZone": {"Name": row["region"] + "abcdef"[i % 6]},
                    "SubnetOutpost": {},
                    "SubnetStatus": "Active",
                }
                for i, subnet in enumerate(row["subnets"])
            ],
            "DBSubnetGroupArn": row["arn"],
            "SupportedNetworkTypes": ["IPV4"],
        }

    def _check_subnets(self, subnets: list[str]) -> None:
        if not subnets:
            raise invalid("The parameter SubnetIds must be provided and must not be blank.")
        for subnet in subnets:
            if not subnet.startswith("subnet-"):
                raise ServiceError("InvalidSubnet", f"The subnet ID '{subnet}' is not valid")
        if len(set(subnets)) < 2:
            raise ServiceError(
                "DBSubnetGroupDoesNotCoverEnoughAZs",
                "The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. Current AZ coverage: 1. Add subnets to cover at least 2 AZs.",
            )

    def create_db_subnet_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["DBSubnetGroupName"]
        if name.lower() == "default":
            raise invalid("The parameter DBSubnetGroupName must not be default.")
        subnets = params.get("SubnetIds") or []
        self._check_subnets(subnets)
        with self.store.transaction():
            if self.subnet_groups.get(scope, name.lower()) is not None:
                raise ServiceError(
                    "DBSubnetGroupAlreadyExists", f"The DB subnet group '{name}' already exists."
                )
            row = {
                "name": name.lower(),
                "description": params["DBSubnetGroupDescription"],
                "subnets": subnets,
                "vpc": _vpc_of(subnets),
                "region": context.region,
                "arn": arn(context, "subgrp", name.lower()),
                "tags": tagging.tag_map(params.get("Tags"), self.tag_rules),
            }
            self.subnet_groups.put(scope, name.lower(), row)
        return {"DBSubnetGroup": self._render_subnet_group(row)}

    def modify_db_subnet_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        subnets = params.get("SubnetIds") or []
        self._check_subnets(subnets)
        with self.store.transaction():
            row = self._subnet_group(scope, params["DBSubnetGroupName"])
            row["subnets"] = subnets
            if params.get("DBSubnetGroupDescription") is not None:
                row["description"] = params["DBSubnetGroupDescription"]
            self.subnet_groups.put(scope, row["name"], row)
        return {"DBSubnetGroup": self._render_subnet_group(row)}

    def describe_db_subnet_groups(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        scope = self.scope_of(context)
        if params.get("DBSubnetGroupName"):
            rows = [self._subnet_group(scope, params["DBSubnetGroupName"])]
        else:
            rows = [row for _, row in self.subnet_groups.scan(scope)]
        return self.page("DescribeDBSubnetGroups", params, [self._render_subnet_group(r) for r in rows])

    def delete_db_subnet_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["DBSubnetGroupName"].lower()
        with self.store.transaction():
            self._subnet_group(scope, name)
            for _, row in self.instances.scan(scope):
                if (row["desc"].get("DBSubnetGroup") or {}).get("DBSubnetGroupName") == name:
                    raise ServiceError(
                        "InvalidDBSubnetGroupStateFault",
                        f"Cannot delete the subnet group '{name}' because at least one database instance: {row['desc']['DBInstanceIdentifier']} is still using it.",
                    )
            self.subnet_groups.delete(scope, name)
        return {}

    # -- option groups --------------------------------------------------------------------------------

    def _option_group(self, scope: str, name: str) -> dict[str, Any]:
        row = self.option_groups.get(scope, name.lower())
        if row is None:
            if name.startswith("default:"):
                engine, _, major = name[len("default:") :].rpartition("-")
                info = catalog.ENGINES.get(engine)
                if info is not None:
                    account, _, region = scope.partition("/")
                    context = RequestContext.internal("rds", account, region)
                    return {
                        "name": name,
                        "engine": engine,
                        "major": major.replace("-", "."),
                        "description": f"Default option group for {engine} {major.replace('-', '.')}",
                        "options": [],
                        "arn": arn(context, "og", name),
                        "tags": {},
                    }
            raise not_found("OptionGroupNotFoundFault", f"Specified OptionGroupName: {name} not found.")
        return row

    def option_group_for(self, context: RequestContext, name: str | None, engine: str, version: str) -> str:
        major = version.split(".")[0] if "postgres" in engine else ".".join(version.split(".")[:2])
        if not name:
            return f"default:{engine}-{major.replace('.', '-')}"
        row = self._option_group(self.scope_of(context), name)
        if row["engine"] != engine:
            raise combination(f"The option group {name} is for engine {row['engine']}, not {engine}.")
        return str(row["name"])

    def _render_og(self, row: dict[str, Any]) -> dict[str, Any]:
        return {
            "OptionGroupName": row["name"],
            "OptionGroupDescription": row["description"],
            "EngineName": row["engine"],
            "MajorEngineVersion": row["major"],
            "Options": row["options"],
            "AllowsVpcAndNonVpcInstanceMemberships": True,
            "OptionGroupArn": row["arn"],
        }

    def create_option_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["OptionGroupName"]
        engine = params["EngineName"]
        info = catalog.engine_info(engine)
        major = params["MajorEngineVersion"]
        if not any(v == major or v.startswith(major + ".") for v in info.versions):
            raise invalid(f"Cannot find major version {major} for {engine}")
        if name.lower().startswith("default:"):
            raise invalid("The option group name cannot begin with default:")
        with self.store.transaction():
            if self.option_groups.get(scope, name.lower()) is not None:
                raise ServiceError("OptionGroupAlreadyExistsFault", f"Option group {name} already exists.")
            row = {
                "name": name.lower(),
                "engine": engine,
                "major": major,
                "description": params["OptionGroupDescription"],
                "options": [],
                "arn": arn(context, "og", name.lower()),
                "tags": tagging.tag_map(params.get("Tags"), self.tag_rules),
            }
            self.option_groups.put(scope, name.lower(), row)
        return {"OptionGroup": self._render_og(row)}

    def describe_option_groups(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        scope = self.scope_of(context)
        if params.get("OptionGroupName"):
            rows = [self._option_group(scope, params["OptionGroupName"])]
        else:
            rows = [row for _, row in self.option_groups.scan(scope)]
        if params.get("EngineName"):
            rows = [r for r in rows if r["engine"] == params["EngineName"]]
        if params.get("MajorEngineVersion"):
            rows = [r for r in rows if r["major"] == params["MajorEngineVersion"]]
        return self.page("DescribeOptionGroups", params, [self._render_og(r) for r in rows])

    def modify_option_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self._option_group(scope, params["OptionGroupName"])
            if row["name"].startswith("default:"):
                raise invalid("Default option groups cannot be modified.")
            available = {o["Name"] for o in self.option_catalog(row["engine"])}
            options = {o["OptionName"]: o for o in row["options"]}
            for include in params.get("OptionsToInclude") or []:
                if include["OptionName"] not in available:
                    raise invalid(
                        f"Option {include['OptionName']} is not available for engine {row['engine']}."
                    )
                options[include["OptionName"]] = {
                    "OptionName": include["OptionName"],
                    "OptionDescription": include["OptionName"],
                    "Persistent": False,
                    "Permanent": False,
                    "Port": include.get("Port"),
                    "OptionVersion": include.get("OptionVersion"),
                    "OptionSettings": [
                        {"Name": s.get("Name"), "Value": s.get("Value")}
                        for s in include.get("OptionSettings") or []
                    ],
                    "DBSecurityGroupMemberships": [],
                    "VpcSecurityGroupMemberships": [
                        {"VpcSecurityGroupId": sg, "Status": "active"}
                        for sg in include.get("VpcSecurityGroupMemberships") or []
                    ],
                }
                options[include["OptionName"]] = {
                    k: v for k, v in options[include["OptionName"]].items() if v is not None
                }
            for name in params.get("OptionsToRemove") or []:
                options.pop(name, None)
            row["options"] = list(options.values())
            self.option_groups.put(scope, row["name"], row)
        return {"OptionGroup": self._render_og(row)}

    def delete_option_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["OptionGroupName"].lower()
        with self.store.transaction():
            row = self._option_group(scope, name)
            if row["name"].startswith("default:"):
                raise ServiceError("InvalidOptionGroupStateFault", "Default option groups cannot be deleted.")
            for _, inst in self.instances.scan(scope):
                if (inst["desc"].get("OptionGroupMemberships") or [{}])[0].get("OptionGroupName") == name:
                    raise ServiceError(
                        "InvalidOptionGroupStateFault",
                        f"The option group '{name}' cannot be deleted because it is in use.",
                    )
            self.option_groups.delete(scope, name)
        return {}

    def copy_option_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        source = self._option_group(
            scope,
            params["SourceOptionGroupIdentifier"].rsplit(":", 1)[-1]
            if params["SourceOptionGroupIdentifier"].startswith("arn:")
            else params["SourceOptionGroupIdentifier"],
        )
        created = self.create_option_group(
            context,
            {
                "OptionGroupName": params["TargetOptionGroupIdentifier"],
                "EngineName": source["engine"],
                "MajorEngineVersion": source["major"],
                "OptionGroupDescription": params["TargetOptionGroupDescription"],
                "Tags": params.get("Tags"),
            },
        )
        with self.store.transaction():
            row = self._option_group(scope, created["OptionGroup"]["OptionGroupName"])
            row["options"] = list(source["options"])
            self.option_groups.put(scope, row["name"], row)
        return {"OptionGroup": self._render_og(row)}

    def option_catalog(self, engine: str) -> list[dict[str, Any]]:
        """The options an engine's option groups offer (PostgreSQL has none; MySQL-compatible
        engines offer the MariaDB audit plugin, which MariaDB itself provides)."""
        if "postgres" in engine:
            return []
        return [
            {
                "Name": "MARIADB_AUDIT_PLUGIN",
                "Description": "MariaDB Audit Plugin",
                "EngineName": engine,
                "MajorEngineVersion": "",
                "PortRequired": False,
                "OptionsDependedOn": [],
                "OptionsConflictsWith": [],
                "Persistent": False,
                "Permanent": False,
                "RequiresAutoMinorEngineVersionUpgrade": False,
                "VpcOnly": False,
                "SupportsOptionVersionDowngrade": False,
                "OptionGroupOptionSettings": [],
                "OptionGroupOptionVersions": [],
                "CopyableCrossAccount": True,
            }
        ]

    def describe_option_group_options(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        catalog.engine_info(params["EngineName"])
        items = [
            {**o, "MajorEngineVersion": params.get("MajorEngineVersion") or ""}
            for o in self.option_catalog(params["EngineName"])
        ]
        return self.page("DescribeOptionGroupOptions", params, items)

    # -- DB security groups: EC2-Classic, retired --------------------------------------------------

    def create_db_security_group(self, context: RequestContext, params: dict) -> dict:
        raise ServiceError(
            "InvalidParameterValue",
            "Non-VPC DB Security Groups can no longer be created. Use VPC security groups instead.",
        )

    def _no_security_group(self, name: str) -> ServiceError:
        return not_found("DBSecurityGroupNotFound", f"DBSecurityGroup {name} not found.")

    def describe_db_security_groups(self, context: RequestContext, params: dict) -> dict:
        if params.get("DBSecurityGroupName"):
            raise self._no_security_group(params["DBSecurityGroupName"])
        return {"DBSecurityGroups": []}

    def delete_db_security_group(self, context: RequestContext, params: dict) -> dict:
        raise self._no_security_group(params["DBSecurityGroupName"])

    def authorize_db_security_group_ingress(self, context: RequestContext, params: dict) -> dict:
        raise self._no_security_group(params["DBSecurityGroupName"])

    def revoke_db_security_group_ingress(self, context: RequestContext, params: dict) -> dict:
        raise self._no_security_group(params["DBSecurityGroupName"])
