"""Exports of tables to S3 (ExportTableToPointInTime) and imports of S3 data into new tables
(ImportTable), with their descriptions and listings. Mixed into the Provider.

Both run in the background (IN_PROGRESS → COMPLETED or FAILED), reaching S3 only through its
provider's public methods (write_object, object_keys, read_object). An export reads the table as
it was at its export time through point-in-time recovery's history (backups.py), which is why it
needs recovery enabled, as AWS does; an incremental export writes each key changed in its window
with its images at the window's ends. File formats: transfer.py.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import time
import uuid
from typing import TYPE_CHECKING, Any

from overcast.common.pagination import decode_token, encode_token
from overcast.common.times import iso_millis
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.dynamodb import transfer
from overcast.services.dynamodb.rows import unpack
from overcast.services.dynamodb.schema import SEPARATOR, build
from overcast.services.dynamodb.values import MAX_ITEM_SIZE, check_item, item_size, validation
from overcast.store import scope as make_scope

if TYPE_CHECKING:
    from overcast.services.dynamodb.provider import Provider

#: Items per data file of an export.
ITEMS_PER_FILE = 10000
EXPORT_FIELDS = (
    "ExportArn", "ExportStatus", "StartTime", "EndTime", "ExportManifest", "TableArn", "TableId", "ExportTime",
    "ClientToken", "S3Bucket", "S3BucketOwner", "S3Prefix", "S3SseAlgorithm", "S3SseKmsKeyId", "FailureCode",
    "FailureMessage", "ExportFormat", "BilledSizeBytes", "ItemCount", "ExportType", "IncrementalExportSpecification",
)  # fmt: skip
IMPORT_LOG_GROUP = "/aws-dynamodb/imports"


def _epoch(moment: Any) -> float:
    return moment.timestamp() if hasattr(moment, "timestamp") else float(moment)


#: The package to install for a format's library, by the module Python could not find.
PACKAGES = {"amazon": "amazon-ion", "zstandard": "zstandard"}


def failure_of(error: ServiceError | ModuleNotFoundError) -> tuple[str, str]:
    """An S3 error (or a format library missing here) as an export's or import's FailureCode and
    FailureMessage."""
    if isinstance(error, ModuleNotFoundError):
        package = PACKAGES.get((error.name or "").split(".")[0], error.name)
        return (
            "UNKNOWN",
            f"Overcast needs the Python package {package} for this format: pip install {package}",
        )
    return (
        f"S3{error.code}",
        f"{error.message} (Service: Amazon S3; Status Code: {error.status}; Error Code: {error.code})",
    )


def _page(
    store, operation: str, params: dict, rows: list, limit_name: str, default: int, bind: str
) -> tuple[list, str | None]:
    start = 0
    if params.get("NextToken"):
        try:
            start = int(decode_token(store, operation, params["NextToken"], bind))
        except (ValueError, TypeError):
            raise validation("Invalid NextToken") from None
    end = start + (params.get(limit_name) or default)
    token = encode_token(store, operation, end, bind) if end < len(rows) else None
    return rows[start:end], token


class ExportsMixin:
    # -- exports ----------------------------------------------------------------------------------

    def export_table_to_point_in_time(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        arn = params["TableArn"]
        name = arn.split(":table/", 1)[1].split("/")[0] if ":table/" in arn else None
        table = (
            self._tables.get(scope, name)
            if name and arn.split(":")[3:5] == [context.region, context.account]
            else None
        )
        if table is None:
            raise ServiceError("TableNotFoundException", f"Table not found: {arn}", 400)
        if not table.get("pitr"):
            raise ServiceError(
                "PointInTimeRecoveryUnavailableException",
                f"Point in time recovery is not enabled for table '{table['TableName']}'",
                400,
            )
        token = params.get("ClientToken")
        if token:
            for _arn, previous in self._exports.scan(scope):
                if previous.get("ClientToken") == token:
                    if previous["request"] != _request_view(params):
                        raise ServiceError(
                            "ExportConflictException",
                            f"There was a conflict when attempting to export table {table['TableName']} with"
                            f" client token {token}",
                            400,
                        )
                    return {"ExportDescription": self._export_description(previous)}
        now = time.time()
        window = self._continuous_backups(table)["PointInTimeRecoveryDescription"]
        kind = params.get("ExportType") or "FULL_EXPORT"
        export_time = _epoch(params["ExportTime"]) if params.get("ExportTime") is not None else now
        incremental = params.get("IncrementalExportSpecification") or {}
        if kind == "INCREMENTAL_EXPORT":
            if incremental.get("ExportFromTime") is None or incremental.get("ExportToTime") is None:
                raise validation(
                    "ExportFromTime and ExportToTime must be specified for an incremental export"
                )
            start, end = _epoch(incremental["ExportFromTime"]), _epoch(incremental["ExportToTime"])
            if end - start < 15 * 60 or end - start > 24 * 3600:
                raise ServiceError(
                    "InvalidExportTimeException",
                    "Incremental export period must be between 15 minutes and 24 hours",
                    400,
                )
            if start < window["EarliestRestorableDateTime"] or end > now:
                raise ServiceError(
                    "InvalidExportTimeException",
                    "Incremental export period must be within the point in time recovery window of the table",
                    400,
                )
        elif export_time > now:
            raise ServiceError("InvalidExportTimeException", "Export time is after the current time", 400)
        elif export_time < window["EarliestRestorableDateTime"]:
            raise ServiceError(
                "InvalidExportTimeException",
                "Export time is before the earliest restorable time of the table",
                400,
            )
        export_id = f"{int(now * 1000):014d}-{uuid.uuid4().hex[:8]}"
        prefix = params.get("S3Prefix") or ""
        base = f"{prefix.rstrip('/')}/AWSDynamoDB/{export_id}" if prefix else f"AWSDynamoDB/{export_id}"
        export: dict[str, Any] = {
            "ExportArn": f"{table['TableArn']}/export/{export_id}",
            "ExportStatus": "IN_PROGRESS",
            "StartTime": now,
            "TableArn": table["TableArn"],
            "TableId": table["TableId"],
            "S3Bucket": params["S3Bucket"],
            "S3SseAlgorithm": params.get("S3SseAlgorithm") or "AES256",
            "ExportFormat": params.get("ExportFormat") or "DYNAMODB_JSON",
            "ExportType": kind,
            "request": _request_view(params),
            "base": base,
            "storage": table["storage"] + SEPARATOR,
            "record": table,
        }
        for name_, value in (
            ("ClientToken", token),
            ("S3BucketOwner", params.get("S3BucketOwner")),
            ("S3Prefix", params.get("S3Prefix")),
            ("S3SseKmsKeyId", params.get("S3SseKmsKeyId")),
        ):
            if value:
                export[name_] = value
        if kind == "INCREMENTAL_EXPORT":
            export["IncrementalExportSpecification"] = {
                "ExportFromTime": _epoch(incremental["ExportFromTime"]),
                "ExportToTime": _epoch(incremental["ExportToTime"]),
                "ExportViewType": incremental.get("ExportViewType") or "NEW_AND_OLD_IMAGES",
            }
        else:
            export["ExportTime"] = export_time
        self._exports.put(scope, export["ExportArn"], export)
        self.runtime.spawn(
            self._run_export(context.account, context.region, export["ExportArn"]), name="dynamodb export"
        )
        return {"ExportDescription": self._export_description(export)}

    def _export_description(self: Provider, export: dict) -> dict:  # type: ignore[misc]
        return {k: export[k] for k in EXPORT_FIELDS if k in export}

    def _export_lines(self: Provider, scope: str, export: dict) -> list[dict]:  # type: ignore[misc]
        """The records an export writes: the table's items at the export time, or the changes
        of an incremental export's window."""
        storage = export["storage"]
        if export["ExportType"] == "FULL_EXPORT":
            rewound = self._rows_at(scope, storage, export["ExportTime"])
            rows = {key: row for key, row in self._items.scan(scope, prefix=storage)}
            rows.update(rewound)
            return [{"Item": unpack(row[1])} for _key, row in sorted(rows.items()) if row is not None]
        spec = export["IncrementalExportSpecification"]
        schema = build(export["record"])
        before = self._rows_at(scope, storage, spec["ExportFromTime"])
        after = self._rows_at(scope, storage, spec["ExportToTime"])
        lines = []
        for key in sorted(before):
            old = before[key]
            new = after[key] if key in after else self._items.get(scope, key)
            if old == new:
                continue
            image = unpack((new or old)[1])
            line: dict[str, Any] = {
                "Metadata": {"WriteTimestampMicros": {"N": str(int(spec["ExportToTime"] * 1_000_000))}},
                "Keys": schema.key_of(image),
            }
            if new is not None:
                line["NewImage"] = unpack(new[1])
            if old is not None and spec["ExportViewType"] == "NEW_AND_OLD_IMAGES":
                line["OldImage"] = unpack(old[1])
            lines.append(line)
        return lines

    async def _run_export(self: Provider, account: str, region: str, arn: str) -> None:  # type: ignore[misc]
        scope = make_scope(account, region)
        export = self._exports.get(scope, arn)
        if export is None:
            return
        s3 = self.runtime.provider("s3")
        bucket, base = export["S3Bucket"], export["base"]
        try:
            lines = self._export_lines(scope, export)
            render = transfer.ion_line if export["ExportFormat"] == "ION" else transfer.json_line
            suffix = ".ion.gz" if export["ExportFormat"] == "ION" else ".json.gz"
            await s3.write_object(
                account, region, bucket, f"{base}/_started", b"", "application/octet-stream"
            )
            manifest_lines = []
            billed = 0
            for first in range(0, max(len(lines), 1), ITEMS_PER_FILE):
                chunk = lines[first : first + ITEMS_PER_FILE]
                if not chunk:
                    break
                text = "".join(render(line) for line in chunk).encode()
                data = gzip.compress(text)
                key = f"{base}/data/{uuid.uuid4().hex[:26]}{suffix}"
                await s3.write_object(account, region, bucket, key, data, "application/octet-stream")
                billed += len(text)
                manifest_lines.append(
                    {
                        "itemCount": len(chunk),
                        "md5Checksum": transfer.md5_base64(data),
                        "etag": hashlib.md5(data, usedforsecurity=False).hexdigest(),
                        "dataFileS3Key": key,
                    }
                )
            files = "".join(json.dumps(m, separators=(",", ":")) + "\n" for m in manifest_lines).encode()
            files_key = f"{base}/manifest-files.json"
            await s3.write_object(account, region, bucket, files_key, files, "application/json")
            await s3.write_object(
                account,
                region,
                bucket,
                f"{base}/manifest-files.md5",
                transfer.md5_hex(files).encode(),
                "text/plain",
            )
            end = time.time()
            summary = {
                "version": "2020-06-30",
                "exportArn": arn,
                "startTime": iso_millis(export["StartTime"]),
                "endTime": iso_millis(end),
                "tableArn": export["TableArn"],
                "tableId": export["TableId"],
                "exportTime": iso_millis(export.get("ExportTime", end)),
                "s3Bucket": bucket,
                "s3Prefix": export.get("S3Prefix"),
                "s3SseAlgorithm": export["S3SseAlgorithm"],
                "s3SseKmsKeyId": export.get("S3SseKmsKeyId"),
                "manifestFilesS3Key": files_key,
                "billedSizeBytes": billed,
                "itemCount": len(lines),
                "outputFormat": export["ExportFormat"],
                "exportType": export["ExportType"],
            }
            summary_data = json.dumps(summary, separators=(",", ":")).encode()
            summary_key = f"{base}/manifest-summary.json"
            await s3.write_object(account, region, bucket, summary_key, summary_data, "application/json")
            await s3.write_object(
                account,
                region,
                bucket,
                f"{base}/manifest-summary.md5",
                transfer.md5_hex(summary_data).encode(),
                "text/plain",
            )
            outcome = {
                "ExportStatus": "COMPLETED",
                "ExportManifest": summary_key,
                "BilledSizeBytes": billed,
                "ItemCount": len(lines),
            }
        except (ServiceError, ModuleNotFoundError) as error:
            code, message = failure_of(error)
            outcome = {"ExportStatus": "FAILED", "FailureCode": code, "FailureMessage": message}
        current = self._exports.get(scope, arn)
        if current is not None:
            self._exports.put(scope, arn, {**current, **outcome, "EndTime": time.time()})

    def describe_export(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        export = self._exports.get(make_scope(context.account, context.region), params["ExportArn"])
        if export is None:
            raise ServiceError("ExportNotFoundException", f"Export not found: {params['ExportArn']}", 400)
        return {"ExportDescription": self._export_description(export)}

    def list_exports(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        table = params.get("TableArn")
        rows = [
            {"ExportArn": e["ExportArn"], "ExportStatus": e["ExportStatus"], "ExportType": e["ExportType"]}
            for _arn, e in self._exports.scan(scope)
            if table is None or e["TableArn"] == table
        ]
        page, token = _page(self.store, "ListExports", params, rows, "MaxResults", 25, table or "")
        out: dict = {"ExportSummaries": page}
        if token:
            out["NextToken"] = token
        return out

    # -- imports ----------------------------------------------------------------------------------

    def import_table(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        token = params.get("ClientToken")
        if token:
            for _arn, previous in self._imports.scan(scope):
                if previous.get("ClientToken") == token:
                    if previous["request"] != _request_view(params):
                        raise ServiceError(
                            "IdempotentParameterMismatchException",
                            "The request uses the same client token as a previous, but non-identical request.",
                            400,
                        )
                    return {"ImportTableDescription": self._import_description(previous)}
        creation = dict(params["TableCreationParameters"])
        if creation.get("BillingMode") == "PROVISIONED" and not creation.get("ProvisionedThroughput"):
            raise validation(
                "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be"
                " specified when BillingMode is PROVISIONED"
            )
        fmt = params["InputFormat"]
        options = params.get("InputFormatOptions") or {}
        if fmt != "CSV" and options.get("Csv"):
            raise validation("InputFormatOptions Csv may only be specified when InputFormat is CSV")
        delimiter = (options.get("Csv") or {}).get("Delimiter") or ","
        if len(delimiter) != 1:
            raise validation("The CSV delimiter must be a single character")
        table = self.create_table(context, creation)["TableDescription"]
        record = dict(self._require(scope, table["TableName"]))
        record["TableStatus"] = "CREATING"
        self._save(scope, record)
        now = time.time()
        arn = f"{record['TableArn']}/import/{int(now * 1000):014d}-{uuid.uuid4().hex[:8]}"
        entry: dict[str, Any] = {
            "ImportArn": arn,
            "ImportStatus": "IN_PROGRESS",
            "TableArn": record["TableArn"],
            "TableId": record["TableId"],
            "S3BucketSource": params["S3BucketSource"],
            "ErrorCount": 0,
            "CloudWatchLogGroupArn": (
                f"arn:aws:logs:{context.region}:{context.account}:log-group:{IMPORT_LOG_GROUP}:*"
            ),
            "InputFormat": fmt,
            "InputCompressionType": params.get("InputCompressionType") or "NONE",
            "TableCreationParameters": params["TableCreationParameters"],
            "StartTime": now,
            "ProcessedSizeBytes": 0,
            "ProcessedItemCount": 0,
            "ImportedItemCount": 0,
            "request": _request_view(params),
        }
        if options:
            entry["InputFormatOptions"] = options
        if token:
            entry["ClientToken"] = token
        self._imports.put(scope, arn, entry)
        self.runtime.spawn(self._run_import(context, arn), name="dynamodb import")
        return {"ImportTableDescription": self._import_description(entry)}

    def _import_description(self: Provider, entry: dict) -> dict:  # type: ignore[misc]
        return {k: v for k, v in entry.items() if k != "request"}

    async def _run_import(self: Provider, context: RequestContext, arn: str) -> None:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        entry = self._imports.get(scope, arn)
        if entry is None:
            return
        source = entry["S3BucketSource"]
        name = entry["TableCreationParameters"]["TableName"]
        s3 = self.runtime.provider("s3")
        counts = {"ProcessedSizeBytes": 0, "ProcessedItemCount": 0, "ImportedItemCount": 0, "ErrorCount": 0}
        try:
            keys = s3.object_keys(
                context.account, context.region, source["S3Bucket"], source.get("S3KeyPrefix") or ""
            )
            for key in keys:
                data = s3.read_object(context.account, context.region, source["S3Bucket"], key)
                counts["ProcessedSizeBytes"] += len(data)
                self._import_file(context, scope, name, entry, data, counts)
        except (ServiceError, ModuleNotFoundError) as error:
            record = self._tables.get(scope, name)
            if record is not None:
                self._drop_table(scope, record)  # a source that cannot be read leaves no table
            code, message = failure_of(error)
            outcome = {"ImportStatus": "FAILED", "FailureCode": code, "FailureMessage": message}
        else:
            if counts["ErrorCount"]:
                outcome = {
                    "ImportStatus": "FAILED",
                    "FailureCode": "ItemValidationError",
                    "FailureMessage": "Some of the items failed validation checks and were not imported. Please"
                    f" check CloudWatch error logs for more details. ({counts['ErrorCount']} errors)",
                }
            else:
                outcome = {"ImportStatus": "COMPLETED"}
            record = self._tables.get(scope, name)
            if record is not None:
                self._save(scope, {**record, "TableStatus": "ACTIVE"})
        self._imports.put(scope, arn, {**entry, **counts, **outcome, "EndTime": time.time()})

    def _import_file(  # type: ignore[misc]
        self: Provider, context: RequestContext, scope: str, name: str, entry: dict, data: bytes, counts: dict
    ) -> None:
        schema = self.schema(scope, name)
        if schema is None:
            return
        try:
            text = transfer.decompress(data, entry["InputCompressionType"]).decode("utf-8")
        except (OSError, UnicodeDecodeError, ValueError, EOFError):
            counts["ErrorCount"] += 1
            return
        fmt = entry["InputFormat"]
        if fmt == "CSV":
            csv = (entry.get("InputFormatOptions") or {}).get("Csv") or {}
            items = transfer.csv_items(text, csv.get("Delimiter") or ",", csv.get("HeaderList"), schema.types)
        elif fmt == "ION":
            items = transfer.ion_items(text)
        else:
            items = transfer.json_items(text)
        with self.store.transaction():
            for item in items:
                counts["ProcessedItemCount"] += 1
                if isinstance(item, transfer.FormatError):
                    counts["ErrorCount"] += 1
                    continue
                try:
                    item = check_item(item)
                    key = schema.check_item_keys(item)
                    if item_size(item) > MAX_ITEM_SIZE:
                        raise validation("Item size has exceeded the maximum allowed size")
                except (ServiceError, transfer.FormatError, KeyError, TypeError, ValueError):
                    counts["ErrorCount"] += 1
                    continue
                self._apply(scope, context.region, schema, key, self._get(scope, key), item)
                counts["ImportedItemCount"] += 1

    def describe_import(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        entry = self._imports.get(make_scope(context.account, context.region), params["ImportArn"])
        if entry is None:
            raise ServiceError("ImportNotFoundException", f"Import not found: {params['ImportArn']}", 400)
        return {"ImportTableDescription": self._import_description(entry)}

    def list_imports(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        table = params.get("TableArn")
        rows = []
        for _arn, e in self._imports.scan(scope):
            if table is not None and e["TableArn"] != table:
                continue
            summary = {
                k: e[k]
                for k in ("ImportArn", "ImportStatus", "TableArn", "S3BucketSource", "CloudWatchLogGroupArn",
                          "InputFormat", "StartTime", "EndTime")
                if k in e
            }  # fmt: skip
            rows.append(summary)
        page, token = _page(self.store, "ListImports", params, rows, "PageSize", 25, table or "")
        out: dict = {"ImportSummaryList": page}
        if token:
            out["NextToken"] = token
        return out


def _request_view(params: dict) -> str:
    """A request's parameters, comparable across retries with its client token."""
    return json.dumps(params, sort_keys=True, default=str)
