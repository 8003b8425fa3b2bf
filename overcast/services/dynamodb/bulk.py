"""Bulk operations (StartBulkPutItems and its Describe/List/Cancel): items read from S3 files
(DynamoDB JSON or Ion lines, as exports write them; plain, gzip or zstd) and put into an
existing table in the background, IN_PROGRESS → COMPLETED, COMPLETED_WITH_ERRORS or FAILED, or
CANCELLING → CANCELLED when cancelled before the end. Items that cannot be put are counted and,
when the output configuration asks for ERROR, listed in `<output prefix>/<operation id>/errors.json`
(one JSON line per item: the item, its error code and message). Mixed into the Provider."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import TYPE_CHECKING, Any

from overcast.common.arns import build_arn
from overcast.common.pagination import decode_token, encode_token
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.dynamodb import transfer
from overcast.services.dynamodb.exports import failure_of
from overcast.services.dynamodb.values import MAX_ITEM_SIZE, check_item, item_size, validation
from overcast.store import scope as make_scope

if TYPE_CHECKING:
    from overcast.services.dynamodb.provider import Provider

TERMINAL = ("COMPLETED", "COMPLETED_WITH_ERRORS", "CANCELLED", "FAILED")
FIELDS = (
    "BulkOperationArn", "BulkOperationStatus", "TableDetails", "ClientToken", "InputS3Configuration",
    "OutputS3Configuration", "StartTime", "EndTime", "ProcessedItemCount", "ProcessedInputBytes",
    "TotalInputBytes", "BulkOperationUsage", "FailedItemCount", "FailureCode", "FailureMessage",
    "MaxWriteRequestUnits", "PerformanceTier",
)  # fmt: skip
#: Items put per store transaction; between batches the operation yields and sees a cancel.
BATCH = 500


def _hex_token(token: str) -> str:
    """A tamper-checked token in the model's shape for this listing: hex, in 16-digit groups."""
    text = token.encode().hex()
    return text + "0" * (-len(text) % 16)


def _not_found(arn: str) -> ServiceError:
    return ServiceError(
        "ResourceNotFoundException", f"Requested resource not found: Bulk operation: {arn} not found", 400
    )


class BulkMixin:
    def start_bulk_put_items(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        record = self._require(scope, params["TableName"])
        token = params.get("ClientToken")
        request = json.dumps(
            {k: v for k, v in params.items() if k != "ClientToken"}, sort_keys=True, default=str
        )
        if token:
            for _arn, previous in self._bulk.scan(scope):
                if previous.get("ClientToken") == token:
                    if previous["request"] != request:
                        raise ServiceError(
                            "IdempotentParameterMismatchException",
                            "The request uses the same client token as a previous, but non-identical request.",
                            400,
                        )
                    return {"BulkOperationDescription": self._bulk_description(previous)}
        if any(o.get("BulkOperationStatus") in ("IN_PROGRESS", "CANCELLING") and o["table"] == record["TableName"]
               for _arn, o in self._bulk.scan(scope)):  # fmt: skip
            raise ServiceError(
                "ResourceInUseException",
                f"A bulk operation is already in progress for table: {record['TableName']}",
                400,
            )
        arn = build_arn("dynamodb", context.region, context.account, f"bulk-operation/{uuid.uuid4()}")
        operation: dict[str, Any] = {
            "BulkOperationArn": arn,
            "BulkOperationStatus": "IN_PROGRESS",
            "TableDetails": [{"TableName": record["TableName"], "TableId": record["TableId"]}],
            "InputS3Configuration": params["InputS3Configuration"],
            "OutputS3Configuration": params["OutputS3Configuration"],
            "StartTime": time.time(),
            "ProcessedItemCount": 0,
            "ProcessedInputBytes": 0,
            "TotalInputBytes": 0,
            "FailedItemCount": 0,
            "BulkOperationUsage": [
                {"TableName": record["TableName"], "BulkPutBytes": 0, "Table": {"BulkPutBytes": 0}}
            ],
            "PerformanceTier": params.get("PerformanceTier") or "STANDARD",
            "table": record["TableName"],
            "request": request,
        }
        if token:
            operation["ClientToken"] = token
        if params.get("MaxWriteRequestUnits") is not None:
            operation["MaxWriteRequestUnits"] = params["MaxWriteRequestUnits"]
        self._bulk.put(scope, arn, operation)
        self.runtime.spawn(self._run_bulk(context, arn), name="dynamodb bulk put")
        return {"BulkOperationDescription": self._bulk_description(operation)}

    def _bulk_description(self: Provider, operation: dict) -> dict:  # type: ignore[misc]
        return {k: operation[k] for k in FIELDS if k in operation}

    def _bulk_operation(self: Provider, context: RequestContext, arn: str) -> tuple[str, dict]:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        operation = self._bulk.get(scope, arn)
        if operation is None:
            raise _not_found(arn)
        return scope, operation

    async def _run_bulk(self: Provider, context: RequestContext, arn: str) -> None:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        operation = self._bulk.get(scope, arn)
        if operation is None:
            return
        source = operation["InputS3Configuration"]
        s3 = self.runtime.provider("s3")
        counts = {
            "ProcessedItemCount": 0,
            "ProcessedInputBytes": 0,
            "TotalInputBytes": 0,
            "FailedItemCount": 0,
        }
        put_bytes = 0
        failures: list[dict] = []
        outcome: dict[str, Any] = {}
        try:
            keys = s3.object_keys(
                context.account, context.region, source["S3Bucket"], source.get("S3KeyPrefix") or ""
            )
            files = [
                (key, s3.read_object(context.account, context.region, source["S3Bucket"], key))
                for key in keys
            ]
            counts["TotalInputBytes"] = sum(len(data) for _key, data in files)
            for _key, data in files:
                counts["ProcessedInputBytes"] += len(data)
                try:
                    text = transfer.decompress(data, source.get("InputCompressionType") or "NONE").decode(
                        "utf-8"
                    )
                except (OSError, UnicodeDecodeError, ValueError, EOFError) as error:
                    counts["FailedItemCount"] += 1
                    failures.append({"ErrorCode": "InvalidInput", "ErrorMessage": str(error)})
                    continue
                items = (
                    transfer.ion_items(text)
                    if source.get("InputFormat") == "ION"
                    else transfer.json_items(text)
                )
                batch: list = []
                for item in items:
                    batch.append(item)
                    if len(batch) == BATCH:
                        put_bytes += self._bulk_batch(
                            context, scope, operation["table"], batch, counts, failures
                        )
                        batch = []
                        await asyncio.sleep(0)
                        if (self._bulk.get(scope, arn) or {}).get("BulkOperationStatus") == "CANCELLING":
                            raise asyncio.CancelledError
                put_bytes += self._bulk_batch(context, scope, operation["table"], batch, counts, failures)
            output = operation["OutputS3Configuration"]
            if failures and "ERROR" in (output.get("OutputType") or ["ERROR"]):
                prefix = (output.get("S3KeyPrefix") or "").rstrip("/")
                key = f"{prefix}/{arn.rsplit('/', 1)[1]}/errors.json".lstrip("/")
                body = "".join(json.dumps(f, default=transfer._base64) + "\n" for f in failures).encode()
                await s3.write_object(
                    context.account, context.region, output["S3Bucket"], key, body, "application/json"
                )
            outcome["BulkOperationStatus"] = (
                "COMPLETED_WITH_ERRORS" if counts["FailedItemCount"] else "COMPLETED"
            )
        except asyncio.CancelledError:
            outcome["BulkOperationStatus"] = "CANCELLED"
        except (ServiceError, ModuleNotFoundError) as error:
            code, message = failure_of(error)
            outcome = {"BulkOperationStatus": "FAILED", "FailureCode": code, "FailureMessage": message}
        current = self._bulk.get(scope, arn) or operation
        usage = [
            {"TableName": operation["table"], "BulkPutBytes": put_bytes, "Table": {"BulkPutBytes": put_bytes}}
        ]
        self._bulk.put(
            scope, arn, {**current, **counts, **outcome, "BulkOperationUsage": usage, "EndTime": time.time()}
        )

    def _bulk_batch(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        scope: str,
        table: str,
        items: list,
        counts: dict,
        failures: list,
    ) -> int:
        """Put a batch of parsed items (or their FormatErrors); the bytes put."""
        schema = self.schema(scope, table)
        put = 0
        if schema is None:
            raise ServiceError(
                "ResourceNotFoundException", f"Requested resource not found: Table: {table} not found", 400
            )
        published = []
        with self.store.transaction():
            for item in items:
                counts["ProcessedItemCount"] += 1
                try:
                    if isinstance(item, transfer.FormatError):
                        raise validation(str(item))
                    item = check_item(item)
                    key = schema.check_item_keys(item)
                    size = item_size(item)
                    if size > MAX_ITEM_SIZE:
                        raise validation("Item size has exceeded the maximum allowed size")
                except ServiceError as error:
                    counts["FailedItemCount"] += 1
                    entry: dict[str, Any] = {"ErrorCode": error.code, "ErrorMessage": error.message}
                    if not isinstance(item, transfer.FormatError):
                        entry["Item"] = item
                    failures.append(entry)
                    continue
                record = self._apply(
                    scope, context.region, schema, key, self._get(scope, key), item, size=size
                )
                if record is not None:
                    published.append(record)
                put += size
        self._publish(schema, published)
        return put

    def describe_bulk_operation(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _scope, operation = self._bulk_operation(context, params["BulkOperationArn"])
        return {"BulkOperationDescription": self._bulk_description(operation)}

    def list_bulk_operations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        ninety_days = time.time() - 90 * 86400
        rows = sorted(
            (o for _arn, o in self._bulk.scan(scope) if o["StartTime"] >= ninety_days),
            key=lambda o: -o["StartTime"],
        )
        summaries = [{k: o[k] for k in ("BulkOperationArn", "BulkOperationStatus", "StartTime", "EndTime") if k in o}
                     for o in rows]  # fmt: skip
        start = 0
        token = params.get("NextToken")
        if token:
            try:
                start = int(
                    decode_token(
                        self.store, "ListBulkOperations", bytes.fromhex(token).rstrip(b"\0").decode()
                    )
                )
            except (ValueError, TypeError):
                raise validation("Invalid NextToken") from None
        end = start + (params.get("MaxResults") or 25)
        out: dict = {"BulkOperationsSummaryList": summaries[start:end]}
        if end < len(summaries):
            out["NextToken"] = _hex_token(encode_token(self.store, "ListBulkOperations", end))
        return out

    def cancel_bulk_operation(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, operation = self._bulk_operation(context, params["BulkOperationArn"])
        status = operation["BulkOperationStatus"]
        if status == "IN_PROGRESS":
            status = "CANCELLING"
            self._bulk.put(scope, operation["BulkOperationArn"], {**operation, "BulkOperationStatus": status})
        return {"BulkOperationArn": operation["BulkOperationArn"], "BulkOperationStatus": status}
