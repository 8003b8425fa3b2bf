"""The stream pollers' engine. The DynamoDB Streams poller of an event source mapping reads the
stream through DynamoDB Streams' own handlers (woken by the "dynamodb:stream" bus topic); the
Kinesis poller (kinesis.py) reads each shard through Kinesis's. Both hand their batches to
_process here, which invokes the function in order, retries a failing batch (bisecting it when
asked) until MaximumRetryAttempts or MaximumRecordAgeInSeconds, then sends the batch's
description to the on-failure destination and moves on. The position is checkpointed in the
mapping, so a restart resumes after it."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from overcast.common import jsontext
from overcast.common.times import iso_millis, iso_seconds
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.cloudwatch.publish import publish_metric

from .filtering import matches_any, parse_criteria
from .invocation import metric_dimensions

log = logging.getLogger(__name__)

_IDLE_WAIT = 1.0
_RETRY_WAIT = 0.5


@dataclass(frozen=True)
class StreamKind:
    """What the engine needs to know of a stream's records."""

    #: The key of the batch description an on-failure destination receives.
    info_key: str
    sequence: Callable[[dict], str]
    #: When the record arrived, in epoch seconds.
    arrival: Callable[[dict], float]


DYNAMODB = StreamKind(
    "DDBStreamBatchInfo",
    lambda record: record["dynamodb"]["SequenceNumber"],
    lambda record: float(record["dynamodb"].get("ApproximateCreationDateTime", time.time())),
)
KINESIS = StreamKind(
    "KinesisBatchInfo",
    lambda record: record["kinesis"]["sequenceNumber"],
    lambda record: float(record["kinesis"]["approximateArrivalTimestamp"]),
)


def records_payload(batch: list[dict]) -> bytes:
    return json.dumps({"Records": batch}).encode()


async def poll_stream(provider, scope: str, mapping_id: str, waker: asyncio.Event) -> None:
    account, region = scope.split("/")
    streams = provider.runtime.provider("dynamodbstreams")
    context = RequestContext.internal("dynamodbstreams", account, region)
    iterator = None
    while True:
        mapping = provider.mappings.get(scope, mapping_id)
        if mapping is None or mapping["State"] != "Enabled":
            return
        arn = mapping["EventSourceArn"]
        try:
            if iterator is None:
                iterator = _iterator(streams, context, arn, mapping)
            answer = streams.get_records(context, {"ShardIterator": iterator, "Limit": mapping["BatchSize"]})
        except ServiceError as error:
            log.warning("reading %s failed: %s", arn, error.message)
            iterator = None
            await asyncio.sleep(_IDLE_WAIT)
            continue
        records = answer.get("Records") or []
        next_iterator = answer.get("NextShardIterator")
        if not records:
            if next_iterator is None:
                return  # the stream was disabled and is read to its end
            iterator = next_iterator
            waker.clear()
            try:
                await asyncio.wait_for(waker.wait(), _IDLE_WAIT)
            except TimeoutError:
                pass
            continue
        patterns = parse_criteria(mapping.get("FilterCriteria"))
        shaped = [
            shaped_record
            for record in records
            if matches_any(patterns, shaped_record := _lambda_record(record, arn))
        ]
        # Records no filter matches are skipped: the position moves past them all the same.
        result = (
            await _process(provider, mapping, shaped) if shaped else mapping.get("LastProcessingResult", "OK")
        )
        mapping = provider.mappings.get(scope, mapping_id)
        if mapping is None:
            return
        mapping["position"] = records[-1]["dynamodb"]["SequenceNumber"]
        mapping["LastProcessingResult"] = result
        provider.mappings.put(scope, mapping_id, mapping)
        iterator = next_iterator


def _shard_of(provider, mapping: dict) -> str:
    account, region = mapping["account"], mapping["region"]
    streams = provider.runtime.provider("dynamodbstreams")
    context = RequestContext.internal("dynamodbstreams", account, region)
    try:
        described = streams.describe_stream(context, {"StreamArn": mapping["EventSourceArn"]})
        return described["StreamDescription"]["Shards"][0]["ShardId"]
    except (ServiceError, IndexError, KeyError):
        return ""


def _iterator(streams, context: RequestContext, arn: str, mapping: dict) -> str:
    shard = streams.describe_stream(context, {"StreamArn": arn})["StreamDescription"]["Shards"][0]["ShardId"]
    params = {"StreamArn": arn, "ShardId": shard}
    if mapping.get("position"):
        params.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=mapping["position"])
        try:
            return streams.get_shard_iterator(context, params)["ShardIterator"]
        except ServiceError as error:
            if error.code != "TrimmedDataAccessException":
                raise
            # What followed the position has aged out of the stream: go on from the oldest left.
            del params["SequenceNumber"]
            params["ShardIteratorType"] = "TRIM_HORIZON"
    else:
        params["ShardIteratorType"] = (
            "TRIM_HORIZON" if mapping["StartingPosition"] == "TRIM_HORIZON" else "LATEST"
        )
    return streams.get_shard_iterator(context, params)["ShardIterator"]


def _json_value(value: object) -> object:
    # Binary attributes travel base64-encoded, as in every JSON view of DynamoDB data.
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    return str(value)


def _lambda_record(record: dict, arn: str) -> dict:
    shaped = json.loads(json.dumps(record, default=_json_value))
    shaped["eventSourceARN"] = arn
    return shaped


async def _process(
    provider,
    mapping: dict,
    records: list[dict],
    kind: StreamKind = DYNAMODB,
    shard_id: str | None = None,
    payload: Callable[[list[dict]], bytes] = records_payload,
) -> str:
    """Deliver one batch; returns the LastProcessingResult."""
    name, qualifier = provider._mapping_function(mapping)
    retries = mapping.get("MaximumRetryAttempts", -1)
    max_age = mapping.get("MaximumRecordAgeInSeconds", -1)
    bisect = mapping.get("BisectBatchOnFunctionError")
    pending = [records]
    result = "OK"
    while pending:
        batch = pending.pop(0)
        attempts = 0
        while True:
            failed_from, function_error = await _invoke(
                provider, mapping, name, qualifier, batch, kind, payload
            )
            attempts += 1
            if failed_from is None:
                break
            batch = batch[failed_from:]
            oldest = kind.arrival(batch[0])
            too_old = max_age not in (-1, None) and time.time() - oldest > max_age
            if (retries not in (-1, None) and attempts > retries) or too_old:
                _on_failure(
                    provider,
                    mapping,
                    batch,
                    attempts,
                    "RecordAgeExceeded" if too_old else "RetryAttemptsExhausted",
                    function_error,
                    kind,
                    shard_id,
                )
                result = "PROBLEM: Function call failed"
                break
            if bisect and len(batch) > 1:
                half = len(batch) // 2
                pending[:0] = [batch[:half], batch[half:]]
                break
            await asyncio.sleep(_RETRY_WAIT)
    return result


async def _invoke(
    provider,
    mapping: dict,
    name: str,
    qualifier: str | None,
    batch: list[dict],
    kind: StreamKind = DYNAMODB,
    payload: Callable[[list[dict]], bytes] = records_payload,
) -> tuple[int | None, bool]:
    """(None when the batch succeeded, else the index of the first record to retry from;
    whether the function itself failed, rather than reporting failed items)."""
    _iterator_age(provider, mapping, name, qualifier, kind.arrival(batch[-1]))
    try:
        outcome, _ = await provider.execute(
            mapping["account"], mapping["region"], name, qualifier, payload(batch)
        )
    except ServiceError as error:
        log.warning("invoking %s for %s failed: %s", name, mapping["EventSourceArn"], error.message)
        return 0, True
    if outcome.error is not None:
        return 0, True
    if "ReportBatchItemFailures" not in (mapping.get("FunctionResponseTypes") or ()):
        return None, False
    try:
        response = jsontext.loads(outcome.payload, jsontext.MAX_PAYLOAD_DEPTH) if outcome.payload else None
    except ValueError:
        return 0, False
    failures = (response or {}).get("batchItemFailures") if isinstance(response, dict) else None
    if not failures:
        return None, False
    sequences = [kind.sequence(record) for record in batch]
    try:
        return min(sequences.index(item["itemIdentifier"]) for item in failures), False
    except (ValueError, KeyError, TypeError):
        return 0, False


def _iterator_age(provider, mapping: dict, name: str, qualifier: str | None, arrival: float) -> None:
    """AWS/Lambda's IteratorAge of a stream invocation: how long the batch's last record waited
    in the stream before the function was invoked with it, by function (and version or alias)."""
    age_ms = max(0.0, (time.time() - arrival) * 1000)
    for each in metric_dimensions(name, qualifier):
        publish_metric(
            provider.runtime, mapping["account"], mapping["region"], "AWS/Lambda", "IteratorAge",
            each, age_ms, "Milliseconds",
        )  # fmt: skip


def _on_failure(
    provider,
    mapping: dict,
    batch: list[dict],
    attempts: int,
    condition: str,
    function_error: bool,
    kind: StreamKind = DYNAMODB,
    shard_id: str | None = None,
) -> None:
    destination = ((mapping.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    if not destination:
        log.warning(
            "batch of %d records from %s discarded after %d attempt(s)",
            len(batch),
            mapping["EventSourceArn"],
            attempts,
        )
        return
    first, last = batch[0], batch[-1]

    def iso(record: dict) -> str:
        if kind is DYNAMODB:
            return iso_seconds(int(kind.arrival(record)))  # whole seconds, as the stream records them
        return iso_millis(kind.arrival(record))

    record = {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": mapping["FunctionArn"],
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled" if function_error else None,
        },
        "version": "1.0",
        "timestamp": iso_millis(),
        kind.info_key: {
            "shardId": shard_id if shard_id is not None else _shard_of(provider, mapping),
            "startSequenceNumber": kind.sequence(first),
            "endSequenceNumber": kind.sequence(last),
            "approximateArrivalOfFirstRecord": iso(first),
            "approximateArrivalOfLastRecord": iso(last),
            "batchSize": len(batch),
            "streamArn": mapping["EventSourceArn"],
        },
    }
    message = record if destination.split(":")[2] == "lambda" else json.dumps(record)
    provider.runtime.bus.deliver(destination, message, source="lambda")
