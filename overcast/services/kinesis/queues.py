"""Kinesis queues: a queue reads records from its streams and hands them to queue consumers one
by one, as a message queue does: a received record is in flight (invisible) until its visibility
timeout passes or it is acknowledged; a record received MaxReceiveCount times without being
acknowledged becomes a dead-letter record, which has its own receive/acknowledge/visibility/
restore operations on the same queue ARN. Acknowledging never touches the stream itself.

Tables (scope = account/region):
  queues         queue id (the ARN's resource id) → the queue (its streams, attributes, per-shard read cursors, tags)
  queue_records  "<queue id>/<record id>" → a record the queue has taken from a stream and
                 tracks (its data, receive count, visibility, dead-letter state, receipt handle)
"""

from __future__ import annotations

import asyncio
import base64
import re
import secrets
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.common import tagging
from overcast.common.arns import parse_arn
from overcast.store import scope as store_scope

from .errors import in_use, invalid, limit, not_found

if TYPE_CHECKING:
    from overcast.context import RequestContext

    from .provider import Provider

QUEUE_NAME = re.compile(r"^[a-zA-Z0-9_.-]{1,128}$")
# CreateQueue and UpdateQueue are asynchronous: the queue answers CREATING/UPDATING for this long.
SETTLE_SECONDS = 0.5
# AWS documents the dead-letter default (BUILT_IN, 6 receives) but not the visibility default;
# 30 seconds is the message-queue convention (SQS's default) and is what an absent value means here.
DEFAULT_VISIBILITY = 30
RESOURCE_TAG_RULES = tagging.TagRules(
    refuse=tagging.refusals("InvalidArgumentException", limit=200), max_tags=200
)
DEFAULT_MAX_RECEIVES = 6
MAX_QUEUES_PER_STREAM = 20
INGEST_BATCH = 100
POLL_SECONDS = 0.1


def _when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _epoch(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


def queue_status(row: dict[str, Any], now: float | None = None) -> str:
    if (now or time.time()) < row["settled"]:
        return row["pending"]
    return "ACTIVE"


def _stream_ids(row: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"StreamARN": s["StreamARN"], "StreamCreationTimestamp": _when(s["created"])} for s in row["streams"]
    ]


def queue_description(row: dict[str, Any]) -> dict[str, Any]:
    configs = []
    for s in row["streams"]:
        config: dict[str, Any] = {"StreamARN": s["StreamARN"]}
        if s.get("StartingPosition"):
            position = {"Type": s["StartingPosition"]["Type"]}
            if s["StartingPosition"].get("Timestamp") is not None:
                position["Timestamp"] = _when(s["StartingPosition"]["Timestamp"])
            config["StartingPosition"] = position
        configs.append(config)
    return {
        "QueueName": row["QueueName"],
        "QueueARN": row["QueueARN"],
        "QueueStatus": queue_status(row),
        "QueueCreationTimestamp": _when(row["created"]),
        "StreamConfigurationList": configs,
        "QueueAttributes": row["attributes"],
    }


def _attributes(given: dict[str, Any] | None, current: dict[str, Any] | None = None) -> dict[str, Any]:
    out = dict(
        current
        or {
            "VisibilityTimeoutSeconds": DEFAULT_VISIBILITY,
            "DeadLetterConfiguration": {"TargetType": "BUILT_IN", "MaxReceiveCount": DEFAULT_MAX_RECEIVES},
        }
    )
    given = given or {}
    if "VisibilityTimeoutSeconds" in given:
        out["VisibilityTimeoutSeconds"] = _visibility(given["VisibilityTimeoutSeconds"])
    dead = given.get("DeadLetterConfiguration")
    if dead is not None:
        kind = dead.get("TargetType")
        if kind not in ("BUILT_IN", "NONE"):
            raise invalid(f"Invalid TargetType: {kind}. Valid values are BUILT_IN and NONE.")
        config: dict[str, Any] = {"TargetType": kind}
        if kind == "BUILT_IN":
            count = dead.get("MaxReceiveCount", DEFAULT_MAX_RECEIVES)
            if not 1 <= count <= 1000:
                raise invalid(f"MaxReceiveCount {count} is not valid: it must be between 1 and 1000.")
            config["MaxReceiveCount"] = count
        elif dead.get("MaxReceiveCount") is not None:
            raise invalid("MaxReceiveCount can only be given when TargetType is BUILT_IN.")
        out["DeadLetterConfiguration"] = config
    return out


def _visibility(value: Any) -> int:
    if not isinstance(value, int) or not 0 <= value <= 43200:
        raise invalid(f"VisibilityTimeoutSeconds {value} is not valid: it must be between 0 and 43200.")
    return value


class QueuesMixin:
    def init_queues(self: Provider) -> None:  # type: ignore[misc]
        self.queues = self.store.table("kinesis", "queues")
        self.queue_records = self.store.table("kinesis", "queue_records")

    # -- finding queues ------------------------------------------------------------------------

    def _queue(self: Provider, arn: str) -> tuple[str, dict[str, Any]]:  # type: ignore[misc]
        parsed = parse_arn(arn)
        if parsed is None or parsed.service != "kinesis" or not parsed.resource.startswith("queue/"):
            raise invalid(f"Invalid QueueARN: {arn}")
        scope = store_scope(parsed.account, parsed.region)
        row = self.queues.get(scope, parsed.resource.split("/", 1)[1])
        if row is None or row["QueueARN"] != arn:
            raise not_found(f"Queue {arn} under account {parsed.account} not found.")
        return scope, row

    # -- the queue's lifecycle -----------------------------------------------------------------

    def create_queue(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["QueueName"]
        if not QUEUE_NAME.match(name):
            raise invalid(f"Invalid QueueName: {name}. It must match [a-zA-Z0-9_.-]{{1,128}}.")
        configs = params["StreamConfigurationList"]
        if len(configs) != 1:
            # AWS documents exactly one entry: a queue delivers records from a single data stream.
            raise invalid("StreamConfigurationList must have exactly one entry.")
        attributes = _attributes(params.get("QueueAttributes"))
        tags = tagging.tag_map(params.get("Tags"), RESOURCE_TAG_RULES)
        scope = self.scope_of(context)
        now = time.time()
        with self.store.transaction():
            if any(q["QueueName"] == name for _, q in self.queues.scan(scope)):
                raise in_use(f"Queue {name} under account {context.account} already exists.")
            streams: list[dict[str, Any]] = []
            cursors: dict[str, dict[str, int]] = {}
            for config in configs:
                arn = config["StreamARN"]
                stream_scope, stream = self._stream_of_arn(arn)
                if stream["mode"] != "ON_DEMAND":
                    raise invalid(
                        f"Stream {stream['StreamName']} is in PROVISIONED mode: queues are supported only "
                        "on data streams in ON_DEMAND capacity mode."
                    )
                self.check_active(stream)
                readers = sum(1 for _ in self.consumers.scan(stream_scope, prefix=stream["StreamName"] + "/"))
                readers += sum(
                    1 for _, q in self.queues.scan(scope) if any(s["StreamARN"] == arn for s in q["streams"])
                )
                if readers >= MAX_QUEUES_PER_STREAM:
                    raise limit(
                        f"Stream {stream['StreamName']} already has {readers} registered consumers and queues; "
                        f"the limit is {MAX_QUEUES_PER_STREAM}."
                    )
                position = dict(config.get("StartingPosition") or {"Type": "LATEST"})
                kind = position.get("Type")
                if kind not in ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"):
                    raise invalid(f"Invalid StartingPosition Type: {kind}.")
                stamp = position.get("Timestamp")
                if kind == "AT_TIMESTAMP":
                    if stamp is None:
                        raise invalid("StartingPosition Timestamp must be given for AT_TIMESTAMP.")
                    position["Timestamp"] = _epoch(stamp)
                elif stamp is not None:
                    raise invalid(
                        f"StartingPosition Timestamp can only be given for AT_TIMESTAMP, not {kind}."
                    )
                cursors[arn] = {
                    str(shard["index"]): self.start_counter(
                        stream_scope, stream, shard, kind, None, position.get("Timestamp")
                    )
                    for shard in stream["shards"]
                }
                streams.append({"StreamARN": arn, "created": stream["created"], "StartingPosition": position})
            # The ARN's resource id is generated, not derived from the name (as AWS documents).
            queue_id = secrets.token_hex(12)
            row = {
                "QueueName": name,
                "id": queue_id,
                "QueueARN": f"arn:aws:kinesis:{context.region}:{context.account}:queue/{queue_id}",
                "created": now,
                "settled": now + SETTLE_SECONDS,
                "pending": "CREATING",
                "streams": streams,
                "attributes": attributes,
                "cursors": cursors,
                "tags": tags,
            }
            self.queues.put(scope, queue_id, row)
        return {"QueueDescription": queue_description(row)}

    def describe_queue(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, row = self._queue(params["QueueARN"])
        return {"QueueDescription": queue_description(row)}

    def update_queue(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            scope, row = self._queue(params["QueueARN"])
            status = queue_status(row)
            if status != "ACTIVE":
                raise in_use(f"Queue {row['QueueARN']} is {status}; it can be updated once it is ACTIVE.")
            row["attributes"] = _attributes(params["QueueAttributes"], row["attributes"])
            row["settled"] = time.time() + SETTLE_SECONDS
            row["pending"] = "UPDATING"
            self.queues.put(scope, row["id"], row)
        return {"QueueDescription": queue_description(row)}

    def delete_queue(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            scope, row = self._queue(params["QueueARN"])
            name = row["id"]
            for key, _ in list(self.queue_records.scan(scope, prefix=name + "/")):
                self.queue_records.delete(scope, key)
            self.queues.delete(scope, name)
        return {}

    def list_queues(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        rows, token = self.stream_filtered_page(context, params, self.queues, "ListQueues", "id")
        out: dict[str, Any] = {
            "QueueSummaries": [
                {
                    "QueueName": row["QueueName"],
                    "QueueARN": row["QueueARN"],
                    "QueueStatus": queue_status(row),
                    "QueueCreationTimestamp": _when(row["created"]),
                    "Streams": _stream_ids(row),
                }
                for row in rows
            ]
        }
        if token:
            out["NextToken"] = token
        return out

    def stream_filtered_page(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict, table: Any, operation: str, key: str
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A List operation's rows of queues or channels: after NextToken, reading one of the
        StreamFilter's streams when one is given; MaxResults of them, and the next token."""
        count = params.get("MaxResults", 100)
        if not 1 <= count <= 10000:
            raise invalid(f"MaxResults {count} is not valid: it must be between 1 and 10000.")
        wanted = {f["StreamARN"] for f in params.get("StreamFilter") or []}
        scope = self.scope_of(context)
        after = None
        if params.get("NextToken"):
            after = self._token_position(operation, params["NextToken"], scope)
        rows = [
            row
            for name, row in table.scan(scope)
            if (after is None or name > after)
            and (not wanted or any(s["StreamARN"] in wanted for s in row["streams"]))
        ]
        token = self._token(operation, rows[count - 1][key], scope) if len(rows) > count else None
        return rows[:count], token

    # -- taking records from the streams -------------------------------------------------------

    def _ingest(self: Provider, scope: str, row: dict[str, Any]) -> None:  # type: ignore[misc]
        """Track the records written to the queue's streams since it last looked."""
        moved = False
        name = row["id"]
        for config in row["streams"]:
            found = self.stream_by_arn(config["StreamARN"])
            if found is None:
                continue
            stream_scope, stream = found
            cursors = row["cursors"].setdefault(config["StreamARN"], {})
            for shard in stream["shards"]:
                index = str(shard["index"])
                # A shard born of resharding after the queue was made is read from its start.
                counter = cursors.get(index, int(shard["floor"]))
                if counter >= self.head_of(stream_scope, stream, shard):
                    continue
                records, after, _, _ = self.read_shard(stream_scope, stream, shard, counter, INGEST_BATCH)
                for record in records:
                    record_id = record["SequenceNumber"]
                    self.queue_records.put(
                        scope,
                        f"{name}/{record_id}",
                        {
                            "id": record_id,
                            "stream": stream["StreamARN"],
                            "PartitionKey": record["PartitionKey"],
                            "Data": record["Data"],
                            "arrival": record["ApproximateArrivalTimestamp"],
                            "count": 0,
                            "first": None,
                            "visible": 0.0,
                            "dead": False,
                            "handle": None,
                        },
                    )
                if after != counter:
                    cursors[index] = after
                    moved = True
        if moved:
            self.queues.put(scope, name, row)

    def _receive(self: Provider, params: dict, dead: bool) -> list[dict[str, Any]]:  # type: ignore[misc]
        from .provider import hour_seconds

        count = params.get("Limit", 1)
        if not 1 <= count <= 10:
            raise invalid(f"Limit {count} is not valid: it must be between 1 and 10.")
        out: list[dict[str, Any]] = []
        with self.store.transaction():
            scope, row = self._queue(params["QueueARN"])
            now = time.time()
            if queue_status(row, now) == "CREATING":
                return out
            timeout = params.get("VisibilityTimeoutSeconds")
            timeout = (
                row["attributes"]["VisibilityTimeoutSeconds"] if timeout is None else _visibility(timeout)
            )
            dead_config = row["attributes"].get("DeadLetterConfiguration") or {}
            most = dead_config.get("MaxReceiveCount") if dead_config.get("TargetType") == "BUILT_IN" else None
            horizons: dict[str, float] = {}
            taken: set[str] = set()
            # The records already tracked first; the streams are read only when those fall short,
            # so a slow consumer does not make the queue copy the whole stream ahead of it.
            for ingested in (False, True):
                if ingested:
                    if dead or len(out) >= count:
                        break
                    self._ingest(scope, row)
                for key, record in self.queue_records.scan(scope, prefix=row["id"] + "/"):
                    if len(out) >= count:
                        break
                    if record["stream"] not in horizons:
                        found = self.stream_by_arn(record["stream"])
                        horizons[record["stream"]] = (
                            now + 1
                            if found is None
                            else now - found[1]["RetentionPeriodHours"] * hour_seconds()
                        )
                    if record["arrival"] < horizons[record["stream"]]:
                        # Past the stream's retention (or its stream is gone): the queue stops delivering it.
                        self.queue_records.delete(scope, key)
                        continue
                    if record["visible"] > now or key in taken:
                        continue
                    if not record["dead"] and most is not None and record["count"] >= most:
                        record["dead"] = True
                        record["handle"] = None
                        self.queue_records.put(scope, key, record)
                    if record["dead"] != dead:
                        continue
                    if not dead:
                        record["count"] += 1
                    if record["first"] is None:
                        record["first"] = now
                    record["visible"] = now + timeout
                    record["handle"] = f"{record['id']}.{secrets.token_hex(16)}"
                    self.queue_records.put(scope, key, record)
                    taken.add(key)
                    out.append(
                        {
                            "ReceiptHandle": record["handle"],
                            "RecordId": record["id"],
                            "PartitionKey": record["PartitionKey"],
                            "Data": base64.b64decode(record["Data"]),
                            # Epoch seconds, as the JSON protocol writes instants (CBOR
                            # callers get datetimes back in _receive_waiting).
                            "ApproximateArrivalTimestamp": record["arrival"],
                            "FirstReceiveTimestamp": record["first"],
                            "ReceiveCount": record["count"],
                        }
                    )
        return out

    async def _receive_waiting(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict, dead: bool
    ) -> dict:
        wait = params.get("WaitTimeSeconds")
        if wait is not None and not 1 <= wait <= 20:
            raise invalid(f"WaitTimeSeconds {wait} is not valid: it must be between 1 and 20.")
        deadline = time.monotonic() + (wait or 0)
        while True:
            records = self._receive(params, dead)
            if records or time.monotonic() >= deadline:
                if context.protocol == "json-cbor":
                    for record in records:
                        for field in ("ApproximateArrivalTimestamp", "FirstReceiveTimestamp"):
                            record[field] = _when(record[field])
                return {"QueueRecords": records}
            await asyncio.sleep(POLL_SECONDS)

    async def receive_queue_records(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return await self._receive_waiting(context, params, dead=False)

    async def receive_dead_letter_queue_records(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        return await self._receive_waiting(context, params, dead=True)

    # -- acting on received records ------------------------------------------------------------

    def _each_handle(  # type: ignore[misc]
        self: Provider, params: dict, dead: bool, act: Any
    ) -> dict:
        entries = params["Entries"]
        if not 1 <= len(entries) <= 10:
            raise invalid(f"Entries has {len(entries)} entries: it must have between 1 and 10.")
        successful: list[dict[str, str]] = []
        failed: list[dict[str, str]] = []
        with self.store.transaction():
            scope, row = self._queue(params["QueueARN"])
            now = time.time()
            for entry in entries:
                handle = entry["ReceiptHandle"]
                key = f"{row['id']}/{handle.split('.', 1)[0]}"
                record = self.queue_records.get(scope, key)
                if record is None or record["handle"] != handle or record["dead"] != dead:
                    failed.append(
                        {
                            "ReceiptHandle": handle,
                            "ErrorCode": "InvalidArgumentException",
                            "ErrorMessage": f"The receipt handle {handle} is not valid for this queue.",
                        }
                    )
                    continue
                problem = act(scope, key, record, entry, now)
                if problem:
                    failed.append(
                        {
                            "ReceiptHandle": handle,
                            "ErrorCode": "InvalidArgumentException",
                            "ErrorMessage": problem,
                        }
                    )
                else:
                    successful.append({"ReceiptHandle": handle})
        return {"Successful": successful, "Failed": failed}

    def _acknowledge(  # type: ignore[misc]
        self: Provider, scope: str, key: str, record: dict, entry: dict, now: float
    ) -> str | None:
        self.queue_records.delete(scope, key)
        return None

    def _revisit(self: Provider, scope: str, key: str, record: dict, entry: dict, now: float) -> str | None:  # type: ignore[misc]
        if record["visible"] <= now:
            return f"The record of receipt handle {entry['ReceiptHandle']} is not in flight."
        record["visible"] = now + _visibility(entry["VisibilityTimeoutSeconds"])
        self.queue_records.put(scope, key, record)
        return None

    def _restore(self: Provider, scope: str, key: str, record: dict, entry: dict, now: float) -> str | None:  # type: ignore[misc]
        record.update(dead=False, count=0, visible=0.0, handle=None)
        self.queue_records.put(scope, key, record)
        return None

    def acknowledge_queue_records(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._each_handle(params, False, self._acknowledge)

    def acknowledge_dead_letter_queue_records(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._each_handle(params, True, self._acknowledge)

    def update_queue_records_visibility(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._each_handle(params, False, self._revisit)

    def update_dead_letter_queue_records_visibility(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        return self._each_handle(params, True, self._revisit)

    def restore_dead_letter_queue_records(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._each_handle(params, True, self._restore)
