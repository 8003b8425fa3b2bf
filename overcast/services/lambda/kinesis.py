"""The Kinesis poller of an event source mapping: one reader per shard, through Kinesis's own
handlers (woken by the "kinesis:records" bus topic). A shard's children are read once it is
read to its end, so records of a partition key stay in order across resharding. Batches go to
the stream engine (streams.py) in the Kinesis event shape; with a ParallelizationFactor above
one a batch is split by partition key into that many lanes delivered concurrently, and with
TumblingWindowInSeconds the function's state is carried from batch to batch within a window,
ending with the window's final invocation. Positions are checkpointed per shard in the mapping."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

from overcast.common import jsontext
from overcast.context import RequestContext
from overcast.errors import ServiceError

from .filtering import matches_any, parse_criteria
from .streams import KINESIS, _process

log = logging.getLogger(__name__)

_IDLE_WAIT = 1.0


def lambda_record(record: dict, arn: str, region: str, shard_id: str, role: str | None) -> dict:
    """A Kinesis record in the shape Lambda sends it."""
    arrival = record["ApproximateArrivalTimestamp"]
    shaped = {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": record["PartitionKey"],
            "sequenceNumber": record["SequenceNumber"],
            "data": data if isinstance(data := record["Data"], str) else base64.b64encode(data).decode(),
            "approximateArrivalTimestamp": round(
                arrival.timestamp() if isinstance(arrival, datetime) else float(arrival), 3
            ),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{record['SequenceNumber']}",
        "eventName": "aws:kinesis:record",
        "awsRegion": region,
        "eventSourceARN": arn,
    }
    if role:
        shaped["invokeIdentityArn"] = role
    return shaped


def filter_view(record: dict) -> dict:
    """A record as filter criteria see it: the fields of its "kinesis" member at the top (a
    pattern names `partitionKey` or `data`), its data decoded when it is a JSON object."""
    view = {**record, **record["kinesis"]}
    try:
        parsed = jsontext.loads(base64.b64decode(record["kinesis"]["data"]))
    except ValueError:
        return view
    if isinstance(parsed, dict):
        view["data"] = parsed
    return view


def _lane(partition_key: str, lanes: int) -> int:
    return (
        int.from_bytes(hashlib.md5(partition_key.encode(), usedforsecurity=False).digest()[:4], "big") % lanes
    )


class KinesisPoller:
    def __init__(self, provider, scope: str, mapping_id: str, waker: asyncio.Event) -> None:
        self.provider = provider
        self.scope = scope
        self.mapping_id = mapping_id
        self.waker = waker
        account, region = scope.split("/")
        self.region = region
        self.context = RequestContext.internal("kinesis", account, region)
        self.kinesis = provider.runtime.provider("kinesis")
        self.readers: dict[str, asyncio.Task] = {}
        self.shard_wakers: dict[str, asyncio.Event] = {}

    def mapping(self) -> dict | None:
        mapping = self.provider.mappings.get(self.scope, self.mapping_id)
        if mapping is None or mapping["State"] != "Enabled":
            return None
        return mapping

    def update(self, **changes: Any) -> None:
        """Write checkpoints into the stored mapping (read afresh: other shards write too)."""
        mapping = self.provider.mappings.get(self.scope, self.mapping_id)
        if mapping is None:
            return
        for key, value in changes.items():
            if key in ("positions", "windows"):
                mapping.setdefault(key, {}).update(value)
            elif key == "finished":
                mapping["finished"] = sorted(set(mapping.get("finished") or ()) | set(value))
            else:
                mapping[key] = value
        self.provider.mappings.put(self.scope, self.mapping_id, mapping)

    async def run(self) -> None:
        try:
            while (mapping := self.mapping()) is not None:
                self.start_readers(mapping)
                self.waker.clear()
                for event in self.shard_wakers.values():
                    event.set()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.waker.wait(), _IDLE_WAIT)
        finally:
            for task in self.readers.values():
                task.cancel()

    def start_readers(self, mapping: dict) -> None:
        try:
            shards = self.kinesis.list_shards(
                self.context, {"StreamARN": mapping["EventSourceArn"], "MaxResults": 10000}
            )["Shards"]
        except ServiceError as error:
            log.warning("listing the shards of %s failed: %s", mapping["EventSourceArn"], error.message)
            return
        finished = set(mapping.get("finished") or ())
        known = {s["ShardId"] for s in shards}
        for shard in shards:
            shard_id = shard["ShardId"]
            task = self.readers.get(shard_id)
            if shard_id in finished or (task is not None and not task.done()):
                continue
            parents = (shard.get("ParentShardId"), shard.get("AdjacentParentShardId"))
            if any(p and p in known and p not in finished for p in parents):
                continue  # its parents' records come first
            self.shard_wakers[shard_id] = asyncio.Event()
            self.readers[shard_id] = asyncio.get_running_loop().create_task(self.read(shard_id))

    def iterator(self, mapping: dict, shard_id: str) -> str:
        arn = mapping["EventSourceArn"]
        params: dict[str, Any] = {"StreamARN": arn, "ShardId": shard_id}
        position = (mapping.get("positions") or {}).get(shard_id)
        if position:
            params.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=position)
            try:
                return self.kinesis.get_shard_iterator(self.context, params)["ShardIterator"]
            except ServiceError as error:
                if error.code != "InvalidArgumentException":
                    raise
                params.pop("StartingSequenceNumber")
                params["ShardIteratorType"] = "TRIM_HORIZON"
        elif mapping["StartingPosition"] == "TRIM_HORIZON":
            params["ShardIteratorType"] = "TRIM_HORIZON"
        else:
            # LATEST is fixed when the mapping is created: the records that came after it.
            moment = mapping.get("StartingPositionTimestamp") or mapping.get("latest_at") or time.time()
            params.update(ShardIteratorType="AT_TIMESTAMP", Timestamp=moment)
        return self.kinesis.get_shard_iterator(self.context, params)["ShardIterator"]

    async def read(self, shard_id: str) -> None:
        iterator = None
        pending: list[dict] = []
        window_deadline: float | None = None
        loop = asyncio.get_running_loop()
        waker = self.shard_wakers[shard_id]
        while (mapping := self.mapping()) is not None:
            try:
                if iterator is None:
                    iterator = self.iterator(mapping, shard_id)
                answer = self.kinesis.read_records(iterator, mapping["BatchSize"] - len(pending))
            except ServiceError as error:
                log.warning("reading %s %s failed: %s", mapping["EventSourceArn"], shard_id, error.message)
                iterator = None
                await asyncio.sleep(_IDLE_WAIT)
                continue
            pending.extend(answer["Records"])
            next_iterator = answer.get("NextShardIterator")
            window = mapping.get("MaximumBatchingWindowInSeconds") or 0
            if pending and window and next_iterator is not None and len(pending) < mapping["BatchSize"]:
                if window_deadline is None:
                    window_deadline = loop.time() + window
                if loop.time() < window_deadline:
                    iterator = next_iterator
                    await self.pause(waker, window_deadline - loop.time())
                    continue
            window_deadline = None
            if pending:
                await self.deliver(mapping, shard_id, pending)
                pending = []
            elif mapping.get("TumblingWindowInSeconds"):
                await self.close_window(mapping, shard_id, force=next_iterator is None)
            if next_iterator is None:
                self.update(finished=[shard_id])
                self.waker.set()  # its children can start
                return
            iterator = next_iterator
            if not answer["Records"]:
                await self.pause(waker, _IDLE_WAIT)

    @staticmethod
    async def pause(waker: asyncio.Event, seconds: float) -> None:
        waker.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(waker.wait(), max(seconds, 0.01))

    async def deliver(self, mapping: dict, shard_id: str, records: list[dict]) -> None:
        arn = mapping["EventSourceArn"]
        role = self.role(mapping)
        shaped = [lambda_record(r, arn, self.region, shard_id, role) for r in records]
        patterns = parse_criteria(mapping.get("FilterCriteria"))
        if patterns:
            shaped = [r for r in shaped if matches_any(patterns, filter_view(r))]
        result = mapping.get("LastProcessingResult", "OK")
        if shaped:
            if mapping.get("TumblingWindowInSeconds"):
                result = await self.deliver_windowed(mapping, shard_id, shaped)
            else:
                lanes = max(1, int(mapping.get("ParallelizationFactor") or 1))
                groups: list[list[dict]] = [[] for _ in range(lanes)]
                for record in shaped:
                    groups[_lane(record["kinesis"]["partitionKey"], lanes)].append(record)
                results = await asyncio.gather(
                    *(_process(self.provider, mapping, group, KINESIS, shard_id) for group in groups if group)
                )
                result = next((r for r in results if r != "OK"), "OK")
        self.update(
            positions={shard_id: records[-1]["SequenceNumber"]},
            LastProcessingResult=result,
        )

    def role(self, mapping: dict) -> str | None:
        name, qualifier = self.provider._mapping_function(mapping)
        try:
            record = self.provider.resolve(mapping["account"], mapping["region"], name, qualifier)[1]
        except ServiceError:
            return None
        return (record.get("config") or {}).get("Role")

    # -- tumbling windows ----------------------------------------------------------------------

    def window_payload(self, mapping: dict, shard_id: str, window: dict, final: bool):
        def payload(batch: list[dict]) -> bytes:
            return json.dumps(
                {
                    "Records": batch,
                    "window": {"start": window["start"], "end": window["end"]},
                    "state": window["state"],
                    "shardId": shard_id,
                    "eventSourceARN": mapping["EventSourceArn"],
                    "isFinalInvokeForWindow": final,
                    "isWindowTerminatedEarly": False,
                }
            ).encode()

        return payload

    async def deliver_windowed(self, mapping: dict, shard_id: str, records: list[dict]) -> str:
        size = mapping["TumblingWindowInSeconds"]
        result = "OK"
        for record in records:
            start = int(record["kinesis"]["approximateArrivalTimestamp"] // size * size)
            window = self.window(mapping, shard_id)
            if window is not None and window["start_epoch"] != start:
                await self.close_window(mapping, shard_id, force=True)
                window = None
            if window is None:
                window = {
                    "start_epoch": start,
                    "start": _iso(start),
                    "end": _iso(start + size),
                    "state": {},
                    "records": [],
                }
            window["records"].append(record)
            self.update(windows={shard_id: window})
        window = self.window(mapping, shard_id)
        if window is not None and window["records"]:
            batch = window.pop("records")
            window["records"] = []
            result = await self.invoke_window(mapping, shard_id, window, batch, final=False)
        await self.close_window(mapping, shard_id)
        return result

    def window(self, mapping: dict, shard_id: str) -> dict | None:
        stored = self.provider.mappings.get(self.scope, self.mapping_id) or mapping
        return (stored.get("windows") or {}).get(shard_id)

    async def invoke_window(
        self, mapping: dict, shard_id: str, window: dict, batch: list[dict], final: bool
    ) -> str:
        name, qualifier = self.provider._mapping_function(mapping)
        try:
            outcome, _ = await self.provider.execute(
                mapping["account"], mapping["region"], name, qualifier,
                self.window_payload(mapping, shard_id, window, final)(batch),
            )  # fmt: skip
        except ServiceError as error:
            log.warning("invoking %s failed: %s", name, error.message)
            return "PROBLEM: Function call failed"
        if outcome.error is None and outcome.payload:
            try:
                answer = jsontext.loads(outcome.payload, jsontext.MAX_PAYLOAD_DEPTH)
            except ValueError:
                answer = None
            if isinstance(answer, dict) and isinstance(answer.get("state"), dict):
                window["state"] = answer["state"]
        self.update(windows={shard_id: window})
        return "OK" if outcome.error is None else "PROBLEM: Function call failed"

    async def close_window(self, mapping: dict, shard_id: str, force: bool = False) -> None:
        """The window's final invocation, once its time is over (or the shard ended)."""
        window = self.window(mapping, shard_id)
        if window is None:
            return
        if not force and time.time() < window["start_epoch"] + mapping["TumblingWindowInSeconds"]:
            return
        batch = window.get("records") or []
        window["records"] = []
        await self.invoke_window(mapping, shard_id, window, batch, final=True)
        stored = self.provider.mappings.get(self.scope, self.mapping_id)
        if stored is not None:
            stored.get("windows", {}).pop(shard_id, None)
            self.provider.mappings.put(self.scope, self.mapping_id, stored)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
