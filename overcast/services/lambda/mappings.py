"""Event source mappings: the pollers that read SQS queues and DynamoDB streams and invoke a
function with batches, as Lambda's pollers do.

Tables (scope = account/region):
  mappings   uuid → EventSourceMappingConfiguration (+ internal fields)
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from overcast import services
from overcast.common import jsontext
from overcast.common.pagination import paginate_list
from overcast.common.tagging import tag_map
from overcast.context import RequestContext
from overcast.errors import ServiceError

from . import names
from .filtering import matches_any, parse_criteria, sqs_view
from .names import conflict, function_arn, invalid, not_found

if TYPE_CHECKING:
    # The methods below run as the Provider this mixin is part of, so their self is typed as
    # it; mypy wants a self type to be a supertype of the class that declares the method, hence
    # the `type: ignore[misc]` on each of them.
    from .provider import Provider

log = logging.getLogger(__name__)

_SQS_DEFAULT_BATCH, _SQS_MAX_BATCH = 10, 10000
_STREAM_DEFAULT_BATCH, _STREAM_MAX_BATCH = 100, 10000
_INTERNAL = {"account", "region", "position", "tags", "positions", "finished", "latest_at", "windows"}


def _source_service(arn: str) -> str:
    parts = arn.split(":")
    return parts[2] if len(parts) >= 6 and parts[0] == "arn" else ""


class MappingsMixin:
    def start_mappings(self: Provider) -> None:  # type: ignore[misc]
        self.mappings = self.store.table("lambda", "mappings")
        self._pollers: dict[str, asyncio.Task] = {}
        self._stream_wakers: dict[str, asyncio.Event] = {}
        self._stream_subscription: Callable[[], None] | None = None
        self.resume_mappings()

    def resume_mappings(self: Provider) -> None:  # type: ignore[misc]
        for scope in self.mappings.scopes():
            for key, mapping in self.mappings.scan(scope):
                if mapping["State"] in ("Enabled", "Enabling", "Creating", "Updating"):
                    self._start_poller(scope, key)

    def reset_mappings(self: Provider) -> None:  # type: ignore[misc]
        for task in list(self._pollers.values()):
            task.cancel()
        self._pollers.clear()

    # -- control plane --------------------------------------------------------------------

    def _out(self: Provider, mapping: dict) -> dict:  # type: ignore[misc]
        return {k: copy.deepcopy(v) for k, v in mapping.items() if k not in _INTERNAL}

    def create_event_source_mapping(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        source = params.get("EventSourceArn")
        if not source:
            raise invalid("Unrecognized event source.")
        service = _source_service(source)
        if service == "sqs" and params.get("DestinationConfig"):
            raise invalid("Unsupported DestinationConfig parameter for given event source mapping type.")
        name, qualifier = names.parse_function(params["FunctionName"], None, context.account, context.region)
        try:
            self.resolve(context.account, context.region, name, qualifier)
        except ServiceError as error:
            if error.code != "ResourceNotFoundException":
                raise
            raise invalid("Function does not exist") from None
        arn = function_arn(context.account, context.region, name, qualifier)
        now = datetime.now(UTC)
        mapping_id = str(uuid.uuid4())
        enabled = params.get("Enabled", True)
        mapping: dict[str, Any] = {
            "UUID": mapping_id,
            "EventSourceArn": source,
            "FunctionArn": arn,
            "LastModified": now,
            "State": "Enabled" if enabled else "Disabled",
            # AWS words it per source: SQS mappings say USER_INITIATED, stream mappings User action.
            "StateTransitionReason": "USER_INITIATED" if service == "sqs" else "User action",
            "EventSourceMappingArn": f"arn:{arn.split(':')[1]}:lambda:{context.region}:{context.account}:"
            f"event-source-mapping:{mapping_id}",
            "account": context.account,
            "region": context.region,
        }
        if service == "sqs":
            if params.get("DestinationConfig"):
                raise invalid("Unsupported DestinationConfig parameter for given event source mapping type.")
            if params.get("StartingPosition"):
                raise invalid("StartingPosition is not valid for SQS event sources.")
            if not self._sqs_queue(source):
                raise invalid(
                    "Error occurred while ReceiveMessage. SQS Error Code: "
                    "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does "
                    "not exist."
                )
            batch = params.get("BatchSize") or _SQS_DEFAULT_BATCH
            window = params.get("MaximumBatchingWindowInSeconds") or 0
            if batch > _SQS_MAX_BATCH:
                raise invalid(f"BatchSize must be less than or equal to {_SQS_MAX_BATCH}")
            if batch > 10 and not window:
                raise invalid(
                    "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
                    "greater than 10"
                )
            for existing in self._mappings_for_source(scope, source):
                if existing["FunctionArn"] == arn:
                    raise conflict(
                        f'An event source mapping with SQS arn (" {source} ") and function (" {name} ") '
                        f"already exists. Please update or delete the existing mapping with UUID "
                        f"{existing['UUID']}"
                    )
            mapping.update(
                BatchSize=batch,
                MaximumBatchingWindowInSeconds=window,
                FunctionResponseTypes=params.get("FunctionResponseTypes") or [],
            )
            if params.get("ScalingConfig"):
                mapping["ScalingConfig"] = params["ScalingConfig"]
        elif service in ("dynamodb", "kinesis"):
            if service == "dynamodb" and "/stream/" not in source:
                raise invalid(f"Stream not found: {source}")
            position = params.get("StartingPosition")
            if not position:
                raise invalid(
                    "1 validation error detected: Value null at 'startingPosition' failed to satisfy "
                    "constraint: Member must not be null."
                )
            if service == "dynamodb" and position == "AT_TIMESTAMP":
                raise invalid(f"Unsupported starting position for arn type: {source}")
            for existing in self._mappings_for_source(scope, source):
                if existing["FunctionArn"] == arn:
                    raise conflict(
                        f'The event source arn (" {source} ") and function (" {name} ") provided mapping already '
                        f"exists. Please update or delete the existing mapping with UUID {existing['UUID']}"
                    )
            batch = params.get("BatchSize") or _STREAM_DEFAULT_BATCH
            if batch > _STREAM_MAX_BATCH:
                raise invalid(f"BatchSize must be less than or equal to {_STREAM_MAX_BATCH}")
            mapping.update(
                StartingPosition=position,
                BatchSize=batch,
                MaximumBatchingWindowInSeconds=params.get("MaximumBatchingWindowInSeconds") or 0,
                ParallelizationFactor=params.get("ParallelizationFactor") or 1,
                LastProcessingResult="No records processed",
                DestinationConfig={
                    "OnFailure": dict((params.get("DestinationConfig") or {}).get("OnFailure") or {})
                },
                MaximumRecordAgeInSeconds=params.get("MaximumRecordAgeInSeconds", -1),
                BisectBatchOnFunctionError=bool(params.get("BisectBatchOnFunctionError")),
                MaximumRetryAttempts=params.get("MaximumRetryAttempts", -1),
                TumblingWindowInSeconds=params.get("TumblingWindowInSeconds") or 0,
                FunctionResponseTypes=params.get("FunctionResponseTypes") or [],
            )
            if params.get("StartingPositionTimestamp"):
                mapping["StartingPositionTimestamp"] = params["StartingPositionTimestamp"]
            if service == "dynamodb" and not self._stream_exists(context.account, context.region, source):
                raise invalid(f"Stream not found: {source}")
            if service == "kinesis":
                self._check_kinesis_source(context, source, params)
                mapping["latest_at"] = now.timestamp()
            if service == "dynamodb" and position == "LATEST":
                # LATEST means the records written after the mapping was created: the position
                # is fixed now and stored with the mapping, so a restart before the first record
                # neither skips what arrived meanwhile nor reads what came before.
                mapping["position"] = self._stream_end(scope, source)
        else:
            raise invalid(f"Unsupported event source {source}")
        if (params.get("FilterCriteria") or {}).get("Filters"):
            parse_criteria(params["FilterCriteria"])
            mapping["FilterCriteria"] = params["FilterCriteria"]
        if params.get("Tags"):
            mapping["tags"] = tag_map(params["Tags"], names.TAG_RULES)
        self.mappings.put(scope, mapping_id, mapping)
        if enabled:
            self._start_poller(scope, mapping_id)
        out = self._out(mapping)
        out["State"] = "Creating" if enabled else "Disabled"
        return out

    def _mappings_for_source(self: Provider, scope: str, source: str) -> list[dict]:  # type: ignore[misc]
        return [m for _, m in self.mappings.scan(scope) if m["EventSourceArn"] == source]

    def _mapping(self: Provider, context: RequestContext, mapping_id: str) -> dict:  # type: ignore[misc]
        mapping = self.mappings.get(self._scope(context), mapping_id)
        if mapping is None:
            raise not_found("The resource you requested does not exist.")
        return mapping

    def get_event_source_mapping(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._out(self._mapping(context, params["UUID"]))

    def list_event_source_mappings(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        source = params.get("EventSourceArn")
        function = None
        if params.get("FunctionName"):
            name, qualifier = names.parse_function(
                params["FunctionName"], None, context.account, context.region
            )
            function = function_arn(context.account, context.region, name, qualifier)
        items = [
            self._out(m)
            for _, m in self.mappings.scan(scope)
            if (source is None or m["EventSourceArn"] == source)
            and (function is None or m["FunctionArn"] == function)
        ]
        return paginate_list(
            self.store, "lambda", "ListEventSourceMappings", params, items,
            bad_token=names.bad_marker, default_limit=100, bind=f"{source} {function}",
        )  # fmt: skip

    def update_event_source_mapping(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        mapping = self._mapping(context, params["UUID"])
        if params.get("FunctionName"):
            name, qualifier = names.parse_function(
                params["FunctionName"], None, context.account, context.region
            )
            self.resolve(context.account, context.region, name, qualifier)
            mapping["FunctionArn"] = function_arn(context.account, context.region, name, qualifier)
        if "FilterCriteria" in params:
            parse_criteria(params["FilterCriteria"])
        if _source_service(mapping["EventSourceArn"]) == "sqs":
            batch = params.get("BatchSize", mapping.get("BatchSize")) or _SQS_DEFAULT_BATCH
            window = params.get(
                "MaximumBatchingWindowInSeconds", mapping.get("MaximumBatchingWindowInSeconds")
            )
            if batch > 10 and not window:
                raise invalid(
                    "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
                    "greater than 10"
                )
        for field in (
            "BatchSize",
            "MaximumBatchingWindowInSeconds",
            "FunctionResponseTypes",
            "FilterCriteria",
            "MaximumRecordAgeInSeconds",
            "BisectBatchOnFunctionError",
            "MaximumRetryAttempts",
            "ParallelizationFactor",
            "ScalingConfig",
            "TumblingWindowInSeconds",
        ):
            if field in params:
                mapping[field] = params[field]
        if "DestinationConfig" in params:
            mapping["DestinationConfig"] = {
                "OnFailure": dict((params["DestinationConfig"] or {}).get("OnFailure") or {})
            }
        if "Enabled" in params:
            mapping["State"] = "Enabled" if params["Enabled"] else "Disabled"
        mapping["LastModified"] = datetime.now(UTC)
        self.mappings.put(scope, mapping["UUID"], mapping)
        self._stop_poller(mapping["UUID"])
        if mapping["State"] == "Enabled":
            self._start_poller(scope, mapping["UUID"])
        out = self._out(mapping)
        out["State"] = (
            "Updating"
            if mapping["State"] == "Enabled"
            else "Disabling"
            if "Enabled" in params
            else mapping["State"]
        )
        return out

    def delete_event_source_mapping(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        mapping = self._mapping(context, params["UUID"])
        self._stop_poller(mapping["UUID"])
        self.mappings.delete(scope, mapping["UUID"])
        out = self._out(mapping)
        out["State"] = "Deleting"
        return out

    # -- pollers -----------------------------------------------------------------------------

    def _start_poller(self: Provider, scope: str, mapping_id: str) -> None:  # type: ignore[misc]
        mapping = self.mappings.get(scope, mapping_id)
        if mapping is None:
            return
        service = _source_service(mapping["EventSourceArn"])
        if service == "sqs":
            coroutine = self._poll_sqs(scope, mapping_id)
        elif service == "dynamodb":
            coroutine = self._poll_stream(scope, mapping_id)
        elif service == "kinesis":
            coroutine = self._poll_kinesis(scope, mapping_id)
        else:
            return

        generation = self._generation

        async def run() -> None:
            if generation != self._generation:
                coroutine.close()
                return  # spawned for a state since reset or replaced
            # run() is only ever executed as a task, so it has one.
            self._pollers[mapping_id] = cast(asyncio.Task, asyncio.current_task())
            try:
                await coroutine
            except asyncio.CancelledError:
                pass
            finally:
                if self._pollers.get(mapping_id) is asyncio.current_task():
                    del self._pollers[mapping_id]

        self.runtime.spawn(run(), name=f"lambda poller {mapping_id}")

    def _stop_poller(self: Provider, mapping_id: str) -> None:  # type: ignore[misc]
        task = self._pollers.pop(mapping_id, None)
        if task is not None:
            task.cancel()

    def _sqs_queue(self: Provider, arn: str):  # type: ignore[misc]
        if "sqs" not in services.implemented():
            return None
        return self.runtime.provider("sqs").queue_by_arn(arn)

    async def _poll_sqs(self: Provider, scope: str, mapping_id: str) -> None:  # type: ignore[misc]
        account, region = scope.split("/")
        sqs = self.runtime.provider("sqs")
        context = RequestContext.internal("sqs", account, region)
        idle = 0.0
        while True:
            mapping = self.mappings.get(scope, mapping_id)
            if mapping is None or mapping["State"] != "Enabled":
                return
            queue = self._sqs_queue(mapping["EventSourceArn"])
            if queue is None:
                await asyncio.sleep(5)
                continue
            try:
                batch = await self._sqs_batch(sqs, context, queue.name, mapping)
            except ServiceError as error:
                log.warning("polling %s failed: %s", mapping["EventSourceArn"], error.message)
                await asyncio.sleep(min(5.0, idle + 1))
                idle += 1
                continue
            if not batch:
                # A long poll that came back empty at once (the queue went away, or a zero
                # wait): pause, so this loop always yields and can be cancelled.
                await asyncio.sleep(0.2)
                continue
            idle = 0.0
            await self._process_sqs(sqs, context, queue.name, mapping, batch)

    async def _sqs_batch(  # type: ignore[misc]
        self: Provider, sqs, context: RequestContext, queue: str, mapping: dict
    ) -> list[dict]:
        size = mapping["BatchSize"]
        window = mapping.get("MaximumBatchingWindowInSeconds") or 0
        loop = asyncio.get_running_loop()
        deadline: float | None = None
        batch: list[dict] = []
        while len(batch) < size:
            wait = 20 if deadline is None else max(0, int(deadline - loop.time() + 0.999))
            answer = await sqs.receive_message(
                context,
                {
                    "QueueUrl": queue,
                    "MaxNumberOfMessages": min(10, size - len(batch)),
                    "WaitTimeSeconds": wait,
                    "MessageSystemAttributeNames": ["All"],
                    "MessageAttributeNames": ["All"],
                },
            )
            messages = answer.get("Messages") or []
            batch.extend(messages)
            if not batch:
                return []
            if deadline is None:
                if not window:
                    break
                deadline = loop.time() + window
            if loop.time() >= deadline or (not messages and wait == 0):
                break
        return batch

    async def _process_sqs(  # type: ignore[misc]
        self: Provider, sqs, context: RequestContext, queue: str, mapping: dict, batch: list[dict]
    ) -> None:
        source = mapping["EventSourceArn"]
        region = source.split(":")[3]
        records = []
        for message in batch:
            attributes = {}
            for key, value in (message.get("MessageAttributes") or {}).items():
                shaped = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
                if "StringValue" in value:
                    shaped["stringValue"] = value["StringValue"]
                if "BinaryValue" in value:
                    binary = value["BinaryValue"]
                    shaped["binaryValue"] = (
                        base64.b64encode(binary).decode() if isinstance(binary, bytes) else binary
                    )
                attributes[key] = shaped
            record = {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": dict(message.get("Attributes") or {}),
                "messageAttributes": attributes,
                "md5OfBody": message.get("MD5OfBody"),
                "eventSource": "aws:sqs",
                "eventSourceARN": source,
                "awsRegion": region,
            }
            if message.get("MD5OfMessageAttributes"):
                record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
            records.append(record)
        patterns = parse_criteria(mapping.get("FilterCriteria"))
        if patterns:
            # Messages no filter matches are deleted unseen, as Lambda documents for SQS.
            kept = [matches_any(patterns, sqs_view(record)) for record in records]
            dropped = [m["ReceiptHandle"] for m, keep in zip(batch, kept, strict=True) if not keep]
            batch = [m for m, keep in zip(batch, kept, strict=True) if keep]
            records = [r for r, keep in zip(records, kept, strict=True) if keep]
            self._delete_messages(sqs, context, queue, source, dropped)
            if not records:
                return
        name, qualifier = self._mapping_function(mapping)
        account = mapping["account"]
        try:
            outcome, _ = await self.execute(
                account, mapping["region"], name, qualifier, json.dumps({"Records": records}).encode()
            )
        except ServiceError as error:
            log.warning("invoking %s for %s failed: %s", name, source, error.message)
            return  # the messages become visible again after their visibility timeout
        if outcome.error is not None:
            return
        done = [m["ReceiptHandle"] for m in batch]
        if "ReportBatchItemFailures" in (mapping.get("FunctionResponseTypes") or ()):
            failed = _batch_item_failures(outcome.payload, {m["MessageId"] for m in batch})
            if failed is None:
                return  # a malformed response fails the whole batch
            done = [m["ReceiptHandle"] for m in batch if m["MessageId"] not in failed]
        self._delete_messages(sqs, context, queue, source, done)

    def _delete_messages(  # type: ignore[misc]
        self: Provider, sqs, context: RequestContext, queue: str, source: str, handles: list[str]
    ) -> None:
        for start in range(0, len(handles), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": handle}
                for i, handle in enumerate(handles[start : start + 10])
            ]
            try:
                sqs.delete_message_batch(context, {"QueueUrl": queue, "Entries": entries})
            except ServiceError as error:
                log.warning("deleting messages from %s failed: %s", source, error.message)

    @staticmethod
    def _mapping_function(mapping: dict) -> tuple[str, str | None]:
        parts = mapping["FunctionArn"].split(":")
        return parts[6], (parts[7] if len(parts) > 7 else None)

    # -- DynamoDB streams ---------------------------------------------------------------------

    def _stream_end(self: Provider, scope: str, arn: str) -> str:  # type: ignore[misc]
        """The sequence number of a DynamoDB stream's newest record (zero when it has none)."""
        from overcast.services.dynamodb.streams import sequence_text

        account, _, region = scope.partition("/")
        _oldest, newest = self.runtime.provider("dynamodb").stream_bounds(account, region, arn)
        return sequence_text(newest)

    def _stream_exists(self: Provider, account: str, region: str, arn: str) -> bool:  # type: ignore[misc]
        if "dynamodbstreams" not in services.implemented():
            return False
        streams = self.runtime.provider("dynamodbstreams")
        context = RequestContext.internal("dynamodbstreams", account, region)
        try:
            streams.describe_stream(context, {"StreamArn": arn})
        except ServiceError:
            return False
        return True

    def _wake_streams(self: Provider, event: Any) -> None:  # type: ignore[misc]
        for waker in list(self._stream_wakers.values()):
            waker.set()

    async def _poll_stream(self: Provider, scope: str, mapping_id: str) -> None:  # type: ignore[misc]
        from .streams import poll_stream

        if self._stream_subscription is None:
            self._stream_subscription = self.runtime.bus.subscribe("dynamodb:stream", self._wake_streams)
        waker = self._stream_wakers.setdefault(mapping_id, asyncio.Event())
        try:
            await poll_stream(self, scope, mapping_id, waker)
        finally:
            self._stream_wakers.pop(mapping_id, None)

    # -- Kinesis streams ----------------------------------------------------------------------

    def _check_kinesis_source(self: Provider, context: RequestContext, source: str, params: dict) -> None:  # type: ignore[misc]
        if (
            "kinesis" not in services.implemented()
            or self.runtime.provider("kinesis").stream_by_arn(source) is None
        ):
            raise invalid(f"Stream not found: {source}")
        factor = params.get("ParallelizationFactor")
        if factor is not None and not 1 <= factor <= 10:
            raise invalid("ParallelizationFactor must be between 1 and 10.")
        window = params.get("TumblingWindowInSeconds")
        if window is not None and not 0 <= window <= 900:
            raise invalid("TumblingWindowInSeconds must be between 0 and 900.")
        if params.get("StartingPosition") == "AT_TIMESTAMP" and not params.get("StartingPositionTimestamp"):
            raise invalid(
                "StartingPositionTimestamp must be provided with the AT_TIMESTAMP starting position."
            )

    def _wake_kinesis(self: Provider, stream_arn: Any) -> None:  # type: ignore[misc]
        for mapping_id, waker in list(self._kinesis_wakers.items()):
            if self._kinesis_sources.get(mapping_id) == stream_arn:
                waker.set()

    async def _poll_kinesis(self: Provider, scope: str, mapping_id: str) -> None:  # type: ignore[misc]
        from .kinesis import KinesisPoller

        if not hasattr(self, "_kinesis_wakers"):
            self._kinesis_wakers: dict[str, asyncio.Event] = {}
            self._kinesis_sources: dict[str, str] = {}
            self.runtime.bus.subscribe("kinesis:records", self._wake_kinesis)
        mapping = self.mappings.get(scope, mapping_id)
        if mapping is None:
            return
        waker = self._kinesis_wakers.setdefault(mapping_id, asyncio.Event())
        self._kinesis_sources[mapping_id] = mapping["EventSourceArn"]
        try:
            await KinesisPoller(self, scope, mapping_id, waker).run()
        finally:
            self._kinesis_wakers.pop(mapping_id, None)
            self._kinesis_sources.pop(mapping_id, None)


def _batch_item_failures(payload: bytes, ids: set[str]) -> set[str] | None:
    """The message ids a ReportBatchItemFailures response names; None if the response is
    malformed (then the whole batch counts as failed, as on AWS)."""
    try:
        result = jsontext.loads(payload, jsontext.MAX_PAYLOAD_DEPTH) if payload else None
    except ValueError:
        return None
    if result is None or result == {} or not isinstance(result, dict):
        return set()
    failures = result.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return None
    failed = set()
    for item in failures:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not identifier or identifier not in ids:
            return None
        failed.add(identifier)
    return failed
