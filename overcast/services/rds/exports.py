"""Snapshot exports to S3 (StartExportTask): the snapshot's data as Parquet files.

As on RDS, an export reads a snapshot, never the live instance: the snapshot's copy of the
engine's data is started as a private engine on a free port, each table of the databases,
schemas or tables asked for (ExportOnly, else all) is read and written to the bucket as
`<prefix>/<export id>/<database>/<schema>.<table>/1/part-00000-<uuid>.parquet` (for MySQL
engines `<database>/<database>.<table>/`), in parts of PART_ROWS rows, with the
export_info_<id>.json and export_tables_info_<id>_from_1_to_<n>.json files RDS writes beside
them; then the private engine stops and its copy is removed. The Parquet is written by
overcast/common/parquet.py, uncompressed (RDS compresses its parts with GZIP inside Parquet;
readers see the same tables)."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import threading
import uuid
from typing import Any

from overcast.common import parquet
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.rds.common import (
    MixinBase,
    apply_filters,
    check_identifier,
    check_max_records,
    invalid,
    iso,
    not_found,
)

log = logging.getLogger(__name__)

PART_ROWS = 100_000
ACTIVE = ("STARTING", "IN_PROGRESS", "CANCELING")
PG_KINDS = {
    "smallint": "int64",
    "integer": "int64",
    "bigint": "int64",
    "real": "double",
    "double precision": "double",
    "boolean": "boolean",
    "bytea": "binary",
}
MYSQL_KINDS = {
    "tinyint": "int64",
    "smallint": "int64",
    "mediumint": "int64",
    "int": "int64",
    "bigint": "int64",
    "float": "double",
    "double": "double",
    "binary": "binary",
    "varbinary": "binary",
    "tinyblob": "binary",
    "blob": "binary",
    "mediumblob": "binary",
    "longblob": "binary",
}


class ExportCanceled(Exception):
    pass


def task_not_found(identifier: str) -> ServiceError:
    return not_found("ExportTaskNotFound", f"Export task {identifier} not found.")


def _text(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _cell(value: Any, kind: str) -> Any:
    if value is None or kind != "string":
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


class ExportMixin(MixinBase):
    def _render_export(self, row: dict[str, Any]) -> dict[str, Any]:
        return dict(row["desc"])

    def _export_source(self, scope: str, source: str) -> tuple[dict[str, Any], str, str]:
        """The snapshot an export reads: its row, SNAPSHOT or CLUSTER, and its master user."""
        parts = source.split(":")
        if len(parts) < 7 or parts[0] != "arn" or parts[2] != "rds":
            raise invalid(f"The source ARN {source} is not valid.")
        kind, name = parts[5], ":".join(parts[6:])
        if kind == "snapshot":
            row = self.snapshot_row(scope, name)
            return row, "SNAPSHOT", row["desc"]["MasterUsername"]
        if kind == "cluster-snapshot":
            row = self._cluster_snapshot(scope, name)
            return row, "CLUSTER", row["desc"]["MasterUsername"]
        raise invalid(f"The source ARN {source} is not a DB snapshot or DB cluster snapshot.")

    def start_export_task(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        identifier = check_identifier(params["ExportTaskIdentifier"], "ExportTaskIdentifier")
        snapshot, source_type, _ = self._export_source(scope, params["SourceArn"])
        sdesc = snapshot["desc"]
        if sdesc.get("Status") != "available":
            raise ServiceError(
                "InvalidExportSourceState", "The snapshot to export must be in the available state."
            )
        if not params.get("IamRoleArn", "").startswith("arn:"):
            raise ServiceError(
                "IamRoleNotFound", f"The IAM role {params.get('IamRoleArn')} was not found.", 404
            )
        if not params.get("KmsKeyId"):
            raise ServiceError("KMSKeyNotAccessibleFault", "The KMS key is required.")
        for entry in params.get("ExportOnly") or []:
            if not entry or len(entry.split(".")) > 3:
                raise ServiceError("InvalidExportOnly", f"The ExportOnly entry {entry} is not valid.")
        bucket = params["S3BucketName"]
        s3 = self._export_s3()
        try:
            s3.head_bucket(self._s3_context(scope), {"Bucket": bucket})
        except ServiceError:
            raise ServiceError("InvalidS3BucketFault", f"The S3 bucket {bucket} doesn't exist.") from None
        with self.store.transaction():
            if self.export_tasks.get(scope, identifier) is not None:
                raise ServiceError(
                    "ExportTaskAlreadyExists",
                    f"Cannot start export task because a task with the identifier {identifier} already exists.",
                )
            row = {
                "desc": {
                    "ExportTaskIdentifier": identifier,
                    "SourceArn": params["SourceArn"],
                    "ExportOnly": params.get("ExportOnly") or [],
                    "SnapshotTime": sdesc.get("SnapshotCreateTime"),
                    "TaskStartTime": iso(),
                    "S3Bucket": bucket,
                    "S3Prefix": params.get("S3Prefix") or "",
                    "IamRoleArn": params["IamRoleArn"],
                    "KmsKeyId": params["KmsKeyId"],
                    "Status": "STARTING",
                    "PercentProgress": 0,
                    "TotalExtractedDataInGB": 0,
                    "SourceType": source_type,
                },
            }
            self.export_tasks.put(scope, identifier, row)
        threading.Thread(
            target=self._run_export, args=(scope, identifier), name=f"rds export {identifier}", daemon=True
        ).start()
        return self._render_export(row)

    def describe_export_tasks(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        scope = self.scope_of(context)
        tasks = [self._render_export(row) for _, row in self.export_tasks.scan(scope)]
        if params.get("ExportTaskIdentifier"):
            wanted = params["ExportTaskIdentifier"].lower()
            tasks = [t for t in tasks if t["ExportTaskIdentifier"] == wanted]
            if not tasks:
                raise task_not_found(params["ExportTaskIdentifier"])
        if params.get("SourceArn"):
            tasks = [t for t in tasks if t["SourceArn"] == params["SourceArn"]]
        if params.get("SourceType"):
            tasks = [t for t in tasks if t["SourceType"] == params["SourceType"]]
        tasks = apply_filters(
            tasks,
            params.get("Filters"),
            {
                "export-task-identifier": lambda t: t["ExportTaskIdentifier"],
                "s3-bucket": lambda t: t["S3Bucket"],
                "source-arn": lambda t: t["SourceArn"],
                "status": lambda t: t["Status"].lower(),
            },
        )
        return self.page("DescribeExportTasks", params, tasks)

    def cancel_export_task(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        identifier = params["ExportTaskIdentifier"].lower()
        with self.store.transaction():
            row = self.export_tasks.get(scope, identifier)
            if row is None:
                raise not_found(
                    "ExportTaskNotFound",
                    "Cannot cancel export task because a task with the identifier"
                    f" {params['ExportTaskIdentifier']} is not exist.",
                )
            if row["desc"]["Status"] not in ("STARTING", "IN_PROGRESS"):
                raise ServiceError(
                    "InvalidExportTaskStateFault",
                    f"Cannot cancel export task because the task is in {row['desc']['Status']} state.",
                )
            row["desc"]["Status"] = "CANCELING"
            self.export_tasks.put(scope, identifier, row)
        return self._render_export(row)

    def resume_exports(self) -> None:
        """Exports under way when Overcast stopped failed with it: say so."""
        for scope in self.export_tasks.scopes():
            for identifier, row in self.export_tasks.scan(scope):
                if row["desc"]["Status"] in ACTIVE:
                    self._finish_export(scope, identifier, "FAILED", cause="The export was interrupted.")

    # -- the work -------------------------------------------------------------------------------------

    def _export_s3(self) -> Any:
        if not self.runtime.config.service_enabled("s3"):
            raise ServiceError("InvalidS3BucketFault", "S3 is not enabled in this Overcast.")
        return self.runtime.provider("s3")

    @staticmethod
    def _s3_context(scope: str) -> RequestContext:
        account, _, region = scope.partition("/")
        return RequestContext.internal("s3", account, region)

    def _put(self, scope: str, bucket: str, key: str, body: bytes, content_type: str) -> None:
        params = {
            "Bucket": bucket,
            "Key": key,
            "Body": body,
            "ContentLength": len(body),
            "ContentType": content_type,
        }
        result = self._export_s3().put_object(self._s3_context(scope), params)
        if inspect.isawaitable(result):
            asyncio.run(result)  # type: ignore[arg-type]

    def _update_export(self, scope: str, identifier: str, **changes: Any) -> str:
        """Apply changes to the task; its status now (raises ExportCanceled when asked to)."""
        with self.store.transaction():
            row = self.export_tasks.get(scope, identifier)
            if row is None:
                raise ExportCanceled
            if row["desc"]["Status"] == "CANCELING":
                raise ExportCanceled
            row["desc"].update(changes)
            self.export_tasks.put(scope, identifier, row)
            return str(row["desc"]["Status"])

    def _finish_export(
        self, scope: str, identifier: str, status: str, cause: str = "", **changes: Any
    ) -> None:
        with self.store.transaction():
            row = self.export_tasks.get(scope, identifier)
            if row is None:
                return
            row["desc"].update(changes, Status=status, TaskEndTime=iso())
            if cause:
                row["desc"]["FailureCause"] = cause
            self.export_tasks.put(scope, identifier, row)

    def _run_export(self, scope: str, identifier: str) -> None:
        key = f"export-{identifier}-{uuid.uuid4().hex[:8]}"
        try:
            written = self._export(scope, identifier, key)
        except ExportCanceled:
            self._finish_export(scope, identifier, "CANCELED")
        except Exception as error:  # the task reports any failure as FAILED with its cause
            log.warning("rds export %s failed: %s", identifier, error)
            self._finish_export(scope, identifier, "FAILED", cause=str(error))
        else:
            self._finish_export(
                scope, identifier, "COMPLETE", PercentProgress=100, TotalExtractedDataInGB=written // 10**9
            )
        finally:
            self.supervisor.stop(key)
            self.supervisor.remove_home(key)

    def _export(self, scope: str, identifier: str, key: str) -> int:
        from overcast.engines.process import free_port
        from overcast.services.rds.engines import ENGINES, PostgresEngine, Server

        task = self.export_tasks.get(scope, identifier)["desc"]
        snapshot, _, master = self._export_source(scope, task["SourceArn"])
        sdesc = snapshot["desc"]
        engine = ENGINES[sdesc["Engine"]]
        server = Server(
            key=key,
            port=free_port(self.ports_in_use()),
            master_user=master,
            master_password=snapshot["password"],
            version=snapshot.get("runs") or sdesc["EngineVersion"],
        )
        self.supervisor.copy_home(snapshot["key"], key)
        engine.after_copy(self.supervisor, server)
        self.supervisor.start(key, engine.launch(self.supervisor, server))
        if not self.supervisor.wait_ready(key):
            raise RuntimeError("The snapshot's database engine did not start.")
        self._update_export(scope, identifier, Status="IN_PROGRESS")
        postgres = isinstance(engine, PostgresEngine)
        tables = self._pg_tables(server) if postgres else self._mysql_tables(server)
        only = task.get("ExportOnly") or []
        if only:
            tables = [t for t in tables if any(self._selected(t, entry, postgres) for entry in only)]
        base = "/".join(p for p in (task["S3Prefix"].strip("/"), identifier) if p)
        written = 0
        statuses = []
        for index, (database, schema, table) in enumerate(tables):
            rows_done = 0
            folder = f"{base}/{database}/{schema}.{table}/1"
            for part, (columns, rows) in enumerate(
                self._pg_read(server, database, schema, table)
                if postgres
                else self._mysql_read(server, database, table)
            ):
                body = parquet.write(columns, rows, created_by="Amazon RDS export (Overcast)")
                self._put(
                    scope, task["S3Bucket"], f"{folder}/part-{part:05d}-{uuid.uuid4()}.parquet", body,
                    "application/octet-stream",
                )  # fmt: skip
                written += len(body)
                rows_done += len(rows)
            statuses.append(
                {
                    "tableStatistics": {
                        "extractionStartTime": _text(task["TaskStartTime"]),
                        "rowCount": rows_done,
                    },
                    "target": f"{database}.{schema}.{table}",
                    "status": "COMPLETE",
                    "sizeGB": written / 10**9,
                }
            )
            self._update_export(
                scope, identifier, PercentProgress=int(100 * (index + 1) / max(len(tables), 1))
            )
        info = {
            "exportTaskIdentifier": identifier,
            "sourceArn": task["SourceArn"],
            "exportOnly": only,
            "snapshotTime": _text(task.get("SnapshotTime")),
            "taskStartTime": _text(task["TaskStartTime"]),
            "taskEndTime": iso().isoformat(),
            "s3Bucket": task["S3Bucket"],
            "s3Prefix": task["S3Prefix"],
            "exportedFilesPath": f"{base}/",
            "iamRoleArn": task["IamRoleArn"],
            "kmsKeyId": task["KmsKeyId"],
            "status": "COMPLETE",
            "percentProgress": 100,
            "totalExportedDataInGB": written / 10**9,
        }
        self._put(
            scope,
            task["S3Bucket"],
            f"{base}/export_info_{identifier}.json",
            json.dumps(info).encode(),
            "application/json",
        )
        count = max(len(statuses), 1)
        self._put(
            scope, task["S3Bucket"], f"{base}/export_tables_info_{identifier}_from_1_to_{count}.json",
            json.dumps({"perTableStatus": statuses}).encode(), "application/json",
        )  # fmt: skip
        return written

    @staticmethod
    def _selected(table: tuple[str, str, str], entry: str, postgres: bool) -> bool:
        database, schema, name = table
        parts = entry.split(".")
        have = [database, schema, name] if postgres else [database, name]
        return have[: len(parts)] == parts

    # PostgreSQL: every database but the system ones; every schema but the catalog's.

    def _pg_connect(self, server: Any, database: str) -> Any:
        import pg8000.native

        return pg8000.native.Connection(
            server.master_user, host=server.host, port=server.port, password=server.master_password,
            database=database, timeout=30,
        )  # fmt: skip

    def _pg_tables(self, server: Any) -> list[tuple[str, str, str]]:
        conn = self._pg_connect(server, "postgres")
        try:
            databases = [
                r[0]
                for r in conn.run(
                    "SELECT datname FROM pg_database WHERE NOT datistemplate AND datallowconn"
                    " AND datname NOT IN ('rdsadmin') ORDER BY datname"
                )
            ]
        finally:
            conn.close()
        out = []
        for database in databases:
            conn = self._pg_connect(server, database)
            try:
                rows = conn.run(
                    "SELECT table_schema, table_name FROM information_schema.tables"
                    " WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')"
                    " AND table_schema NOT LIKE 'pg_toast%' ORDER BY 1, 2"
                )
            finally:
                conn.close()
            out += [(database, schema, table) for schema, table in rows]
        return out

    def _pg_read(self, server: Any, database: str, schema: str, table: str) -> Any:
        from overcast.services.rds.engines import quote_ident

        conn = self._pg_connect(server, database)
        try:
            described = conn.run(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = :s AND table_name = :t ORDER BY ordinal_position",
                s=schema,
                t=table,
            )
            columns = [(name, PG_KINDS.get(kind, "string")) for name, kind in described]
            rows = conn.run(f"SELECT * FROM {quote_ident(schema)}.{quote_ident(table)}")
        finally:
            conn.close()
        yield from self._parts(columns, rows)

    # MySQL-compatible engines: a schema is a database.

    def _mysql_connect(self, server: Any, database: str | None = None) -> Any:
        import pymysql

        return pymysql.connect(
            host=server.host, port=server.port, user=server.master_user, password=server.master_password,
            database=database, connect_timeout=30,
        )  # fmt: skip

    def _mysql_tables(self, server: Any) -> list[tuple[str, str, str]]:
        with self._mysql_connect(server) as conn, conn.cursor() as cursor:
            cursor.execute(
                "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
                " AND table_schema NOT IN ('information_schema', 'mysql', 'performance_schema', 'sys')"
                " ORDER BY 1, 2"
            )
            return [(database, database, table) for database, table in cursor.fetchall()]

    def _mysql_read(self, server: Any, database: str, table: str) -> Any:
        with self._mysql_connect(server, database) as conn, conn.cursor() as cursor:
            cursor.execute(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                (database, table),
            )
            columns = [(name, MYSQL_KINDS.get(kind.lower(), "string")) for name, kind in cursor.fetchall()]
            quoted = "`" + table.replace("`", "``") + "`"
            cursor.execute(f"SELECT * FROM {quoted}")
            rows = cursor.fetchall()
        yield from self._parts(columns, rows)

    @staticmethod
    def _parts(columns: list[tuple[str, str]], rows: Any) -> Any:
        rows = [[_cell(v, kind) for v, (_, kind) in zip(row, columns, strict=False)] for row in rows]
        if not rows:
            yield columns, []
            return
        for start in range(0, len(rows), PART_ROWS):
            yield columns, rows[start : start + PART_ROWS]
