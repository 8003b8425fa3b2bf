"""Enhanced fan-out: stream consumers and SubscribeToShard, whose answer is an event stream of
SubscribeToShardEvent messages pushed as records arrive (and at least every few seconds while
none do) until the subscription's five minutes are up, as Kinesis pushes them over HTTP/2."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.common import tagging
from overcast.common.arns import parse_arn
from overcast.config import tuning
from overcast.errors import ServiceError
from overcast.store import scope as store_scope

from . import shards as sh
from .errors import in_use, invalid, limit, not_found

if TYPE_CHECKING:
    from overcast.context import RequestContext

    from .provider import Provider

CONSUMER_NAME = re.compile(r"^[a-zA-Z0-9_.-]{1,128}$")
MAX_CONSUMERS = 20
HEARTBEAT_SECONDS = 5.0
EVENT_RECORDS = 10000


def consumer_output(consumer: dict[str, Any], with_stream: bool = True) -> dict[str, Any]:
    out = {
        "ConsumerName": consumer["ConsumerName"],
        "ConsumerARN": consumer["ConsumerARN"],
        "ConsumerStatus": consumer["ConsumerStatus"],
        "ConsumerCreationTimestamp": datetime.fromtimestamp(consumer["created"], UTC),
    }
    if with_stream:
        out["StreamARN"] = consumer["StreamARN"]
    return out


class ConsumersMixin:
    def start_consumers(self: Provider) -> None:  # type: ignore[misc]
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._subscriptions: dict[tuple[str, str], float] = {}
        self._stopping = False

    def end_subscriptions(self: Provider) -> None:  # type: ignore[misc]
        self._stopping = True
        for events in list(self._waiters.values()):
            for event in events:
                event.set()

    def notify(self: Provider, stream_arn: str) -> None:  # type: ignore[misc]
        """Records arrived (or the stream changed): wake the subscriptions and pollers reading it."""
        waiting = self.__dict__.get("_waiters", {}).get(stream_arn)
        if waiting:
            for event in waiting:
                event.set()
        if self.runtime.bus.has_subscribers("kinesis:records"):
            self.runtime.bus.publish("kinesis:records", stream_arn)

    # -- consumers -----------------------------------------------------------------------------

    def _stream_of_arn(self: Provider, arn: str) -> tuple[str, dict[str, Any]]:  # type: ignore[misc]
        found = self.stream_by_arn(arn)
        if found is None:
            parsed = parse_arn(arn)
            raise not_found(
                f"Stream {arn.rsplit('/', 1)[-1]} under account {parsed.account if parsed else ''} not found."
            )
        return found

    def register_stream_consumer(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["ConsumerName"]
        if not CONSUMER_NAME.match(name):
            raise invalid(f"Invalid ConsumerName {name}: it must match [a-zA-Z0-9_.-]+.")
        tags = tagging.tag_map(params.get("Tags"), _tag_rules())
        with self.store.transaction():
            scope, row = self._stream_of_arn(params["StreamARN"])
            stream = row["StreamName"]
            if self.consumers.get(scope, f"{stream}/{name}") is not None:
                raise in_use(f"Consumer {name} under stream {stream} already exists.")
            # A queue on the stream counts as one of its registered consumers.
            queues = sum(
                1
                for _, q in self.queues.scan(scope)
                if any(s["StreamARN"] == row["StreamARN"] for s in q["streams"])
            )
            if self.consumers.count(scope, stream + "/") + queues >= MAX_CONSUMERS:
                raise limit(f"Stream {stream} already has {MAX_CONSUMERS} registered consumers.")
            now = time.time()
            consumer = {
                "ConsumerName": name,
                "ConsumerARN": f"{row['StreamARN']}/consumer/{name}:{int(now)}",
                "ConsumerStatus": "ACTIVE",
                "created": now,
                "StreamARN": row["StreamARN"],
                "stream": stream,
                "tags": tags,
            }
            self.consumers.put(scope, f"{stream}/{name}", consumer)
        return {"Consumer": consumer_output(consumer, with_stream=False)}

    def find_consumer(self: Provider, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:  # type: ignore[misc]
        arn, name, stream_arn = params.get("ConsumerARN"), params.get("ConsumerName"), params.get("StreamARN")
        if arn:
            parsed = parse_arn(arn)
            parts = parsed.resource.split("/") if parsed else []
            if parsed is None or parsed.service != "kinesis":
                raise invalid(f"Invalid ConsumerARN: {arn}")
            scope = store_scope(parsed.account, parsed.region)
            consumer = None
            if len(parts) == 4 and parts[2] == "consumer":
                consumer = self.consumers.get(scope, f"{parts[1]}/{parts[3].split(':')[0]}")
            if consumer is None or consumer["ConsumerARN"] != arn:
                raise not_found(f"Consumer {arn}, account {parsed.account} not found.")
            return scope, consumer
        if not (name and stream_arn):
            raise invalid("Either ConsumerARN or both ConsumerName and StreamARN must be given.")
        scope, row = self._stream_of_arn(stream_arn)
        consumer = self.consumers.get(scope, f"{row['StreamName']}/{name}")
        if consumer is None:
            raise not_found(f"Consumer {name} under stream {row['StreamName']} not found.")
        return scope, consumer

    def describe_stream_consumer(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, consumer = self.find_consumer(params)
        return {"ConsumerDescription": consumer_output(consumer)}

    def deregister_stream_consumer(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            scope, consumer = self.find_consumer(params)
            self.consumers.delete(scope, f"{consumer['stream']}/{consumer['ConsumerName']}")
            self.policies.delete(scope, consumer["ConsumerARN"])
        self.notify(consumer["StreamARN"])
        return {}

    def list_stream_consumers(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        count = params.get("MaxResults", 100)
        if not 1 <= count <= 10000:
            raise invalid("MaxResults must be between 1 and 10000.")
        scope, row = self._stream_of_arn(params["StreamARN"])
        after = None
        if params.get("NextToken"):
            after = self._token_position("ListStreamConsumers", params["NextToken"], row["StreamARN"])
        prefix = row["StreamName"] + "/"
        found = [c for _, c in self.consumers.scan(scope, prefix=prefix, start_after=after, limit=count + 1)]
        out: dict[str, Any] = {"Consumers": [consumer_output(c, with_stream=False) for c in found[:count]]}
        if len(found) > count:
            out["NextToken"] = self._token(
                "ListStreamConsumers", prefix + found[count - 1]["ConsumerName"], row["StreamARN"]
            )
        return out

    # -- SubscribeToShard ----------------------------------------------------------------------

    def subscribe_to_shard(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, consumer = self.find_consumer({"ConsumerARN": params["ConsumerARN"]})
        row = self.cached_stream(scope, consumer["stream"])
        if row is None:
            raise not_found(f"Stream {consumer['stream']} not found.")
        shard = sh.find_shard(row, params["ShardId"])
        if shard is None:
            raise not_found(
                f"Shard {params['ShardId']} in stream {row['StreamName']} under account "
                f"{scope.split('/')[0]} does not exist"
            )
        position = params["StartingPosition"]
        counter = self.start_counter(
            scope, row, shard, position["Type"], position.get("SequenceNumber"), position.get("Timestamp")
        )
        self.check_dry_run(params)
        key = (consumer["ConsumerARN"], shard["ShardId"])
        started = self._subscriptions.get(key)
        # A subscription whose client went away before reading it never ends itself: it holds
        # the shard no longer than a subscription lasts.
        if started is not None and time.time() - started < tuning("OVERCAST_KINESIS_SUBSCRIPTION_SECONDS"):
            raise in_use(
                f"Another active subscription exists for this consumer: {consumer['ConsumerARN']} and shard "
                f"{shard['ShardId']}."
            )
        self._subscriptions[key] = now = time.time()
        return {
            "EventStream": self._push(scope, row["StreamName"], consumer, shard["index"], counter, key, now)
        }

    async def _push(  # type: ignore[misc]
        self: Provider, scope: str, name: str, consumer: dict[str, Any], index: int, counter: int,
        key: tuple[str, str], started: float,
    ) -> AsyncIterator[dict]:  # fmt: skip
        arn = consumer["ConsumerARN"]
        waker = asyncio.Event()
        stream_arn = consumer["StreamARN"]
        self._waiters.setdefault(stream_arn, set()).add(waker)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + tuning("OVERCAST_KINESIS_SUBSCRIPTION_SECONDS")
        try:
            while not self._stopping:
                row = self.cached_stream(scope, name)
                current = self.consumers.get(scope, f"{name}/{consumer['ConsumerName']}")
                if row is None or current is None or current["ConsumerARN"] != arn:
                    yield {"ResourceNotFoundException": {"message": f"Consumer {arn} not found."}}
                    return
                shard = next(s for s in row["shards"] if s["index"] == index)
                waker.clear()
                try:
                    records, counter, behind, ended = self.read_shard(
                        scope, row, shard, counter, EVENT_RECORDS
                    )
                except ServiceError as error:
                    yield {error.code: {"message": error.message}}
                    return
                event: dict[str, Any] = {
                    "Records": records,
                    "ContinuationSequenceNumber": sh.sequence_number(
                        row["stamp"], index, max(counter - 1, 0)
                    ),
                    "MillisBehindLatest": behind,
                }
                if ended:
                    event["ChildShards"] = sh.children_of(row, shard)
                yield {"SubscribeToShardEvent": event}
                if ended:
                    return
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return
                if not records or counter >= self.head_of(scope, row, shard):
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(waker.wait(), min(HEARTBEAT_SECONDS, remaining))
        finally:
            if self._subscriptions.get(key) == started:
                self._subscriptions.pop(key, None)
            waiting = self._waiters.get(stream_arn)
            if waiting is not None:
                waiting.discard(waker)
                if not waiting:
                    del self._waiters[stream_arn]


def _tag_rules() -> tagging.TagRules:
    from .provider import TAG_RULES

    return TAG_RULES
