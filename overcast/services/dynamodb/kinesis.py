"""Kinesis Data Streams destinations: each item change of a table streaming to a Kinesis data
stream becomes one record there, in the shape DynamoDB writes (the change as a JSON document,
images in DynamoDB JSON, both of them always, ApproximateCreationDateTime in the destination's
precision), keyed by the item's partition key. The record goes through the delivery outbox in
the change's own transaction, so a change that commits reaches the stream."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import TYPE_CHECKING, Any

from overcast.services.dynamodb.values import item_size

if TYPE_CHECKING:
    from overcast.runtime import Runtime
    from overcast.services.dynamodb.schema import Schema


def _json_value(value: object) -> object:
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    return str(value)


def deliver(
    runtime: Runtime, schema: Schema, region: str, old: dict | None, new: dict | None, identity: dict | None
) -> None:
    changed: dict[str, Any] = new if new is not None else old  # type: ignore[assignment]
    keys = schema.key_of(changed)
    now = time.time()
    body: dict[str, Any] = {"Keys": keys}
    if new is not None:
        body["NewImage"] = new
    if old is not None:
        body["OldImage"] = old
    body["SizeBytes"] = item_size(keys) + sum(item_size(image) for image in (new, old) if image is not None)
    hash_value = next(iter(changed[schema.hash].values()))
    partition_key = _json_value(hash_value) if not isinstance(hash_value, str) else hash_value
    for stream_arn, precision in schema.kinesis:
        stamp = int(now * 1_000_000) if precision == "MICROSECOND" else int(now * 1000)
        record = {
            "awsRegion": region,
            "dynamodb": {
                "ApproximateCreationDateTime": stamp,
                **body,
                "ApproximateCreationDateTimePrecision": precision,
            },
            "eventID": str(uuid.uuid4()),
            "eventName": "INSERT" if old is None else ("REMOVE" if new is None else "MODIFY"),
            "userIdentity": identity,
            "recordFormat": "application/json",
            "tableName": schema.name,
            "eventSource": "aws:dynamodb",
        }
        data = json.dumps(record, default=_json_value).encode()
        runtime.bus.deliver(
            stream_arn, data, source="dynamodb", partition_key=str(partition_key)[:256] or "-"
        )
