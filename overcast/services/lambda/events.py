"""Asynchronous invocation (InvocationType=Event and deliveries from other services): a durable
queue, AWS's retries (two, after one then two minutes), maximum event age, then the on-failure
destination or the dead-letter queue; and the on-success destination.

Tables (scope = account/region):
  async_queue   event id → queued event
"""

from __future__ import annotations

import asyncio
import heapq
import json
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

from overcast.bus import DeliveryError
from overcast.common import jsontext
from overcast.common.times import iso_millis
from overcast.config import tuning
from overcast.errors import ServiceError
from overcast.store import scope as store_scope

from .mappings import MappingsMixin
from .names import function_arn

if TYPE_CHECKING:
    # The methods below run as the Provider this mixin is part of, so their self is typed as
    # it; mypy wants a self type to be a supertype of the class that declares the method, hence
    # the `type: ignore[misc]` on each of them.
    from .provider import Provider

log = logging.getLogger(__name__)

#: AWS waits one minute before the first retry and two before the second.
RETRY_SECONDS = tuning("OVERCAST_LAMBDA_ASYNC_RETRY_SECONDS")
DEFAULT_RETRIES = 2
DEFAULT_MAX_AGE = 21600


def _iso_now() -> str:
    return iso_millis()


class EventsMixin(MappingsMixin):
    def start_events(self: Provider) -> None:  # type: ignore[misc]
        self.async_queue = self.store.table("lambda", "async_queue")
        self._due: list[tuple[float, str, str]] = []
        self._wake: asyncio.Event | None = None
        for scope in self.async_queue.scopes():
            for key, event in self.async_queue.scan(scope):
                heapq.heappush(self._due, (event["due"], scope, key))
        self.runtime.spawn(self._async_worker(), name="lambda async invocations")
        self.start_mappings()

    def reset_events(self: Provider) -> None:  # type: ignore[misc]
        self._due.clear()
        self.reset_mappings()

    def resume_events(self: Provider) -> None:  # type: ignore[misc]
        """Take up the queued invocations and enabled mappings of a state just put in place."""
        for scope in self.async_queue.scopes():
            for key, event in self.async_queue.scan(scope):
                heapq.heappush(self._due, (event["due"], scope, key))
        if self._wake is not None:
            self._wake.set()
        self.resume_mappings()

    def enqueue(  # type: ignore[misc]
        self: Provider,
        account: str,
        region: str,
        name: str,
        qualifier: str | None,
        payload: bytes,
        source: str = "",
        trace_header: str | None = None,
    ) -> str:
        scope = store_scope(account, region)
        event_id = str(uuid.uuid4())
        now = time.time()
        event = {
            "name": name,
            "qualifier": qualifier,
            "payload": payload.decode("utf-8", "replace"),
            "attempts": 0,
            "enqueued": now,
            "due": now,
            "request_id": event_id,
        }
        if trace_header:
            event["trace_header"] = trace_header  # the caller's trace, continued when it runs
        self.async_queue.put(scope, event_id, event)
        heapq.heappush(self._due, (now, scope, event_id))
        if self._wake is not None:
            self._wake.set()
        return event_id

    def deliver(self: Provider, target_arn: str, message: Any, **options: Any) -> Any:  # type: ignore[misc]
        """Another service invokes a function asynchronously (S3 notifications, SNS, Logs
        subscriptions, destinations): the message is the event."""
        parts = target_arn.split(":")
        if len(parts) not in (7, 8) or parts[2] != "lambda" or parts[5] != "function":
            raise DeliveryError(f"not a function ARN: {target_arn}", retryable=False)
        account, region, name = parts[4], parts[3], parts[6]
        qualifier = parts[7] if len(parts) == 8 else None
        try:
            self.resolve(account, region, name, qualifier)
        except ServiceError as error:
            raise DeliveryError(error.message, retryable=False) from None
        if isinstance(message, (bytes, bytearray)):
            payload = bytes(message)
        elif isinstance(message, str):
            payload = message.encode()
        else:
            payload = json.dumps(message).encode()
        return {
            "RequestId": self.enqueue(account, region, name, qualifier, payload, options.get("source", ""))
        }

    async def _async_worker(self: Provider) -> None:  # type: ignore[misc]
        self._wake = asyncio.Event()
        while True:
            now = time.time()
            while self._due and self._due[0][0] <= now:
                _, scope, key = heapq.heappop(self._due)
                self.runtime.spawn(self._run_async(scope, key), name="lambda async invoke")
            timeout = max(0.0, self._due[0][0] - now) if self._due else None
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                pass

    async def _run_async(self: Provider, scope: str, key: str) -> None:  # type: ignore[misc]
        event = self.async_queue.get(scope, key)
        if event is None:
            return
        account, region = scope.split("/")
        name, qualifier = event["name"], event["qualifier"]
        if self.functions.get(scope, name) is None:
            self.async_queue.delete(scope, key)
            log.warning("async event for deleted function %s dropped", name)
            return
        invoke_config = self.invoke_config_for(scope, name, qualifier)
        max_age = invoke_config.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE)
        retries = invoke_config.get("MaximumRetryAttempts", DEFAULT_RETRIES)
        if time.time() - event["enqueued"] > max_age:
            await self._finish(scope, key, event, None, "EventAgeExceeded", invoke_config)
            return
        try:
            outcome, _request_id = await self.execute(
                account,
                region,
                name,
                qualifier,
                event["payload"].encode(),
                trace_header=event.get("trace_header"),
            )
        except ServiceError as error:
            if error.status == 429:  # throttled: AWS keeps retrying until the event is too old
                self._reschedule(scope, key, event, 1.0, count=False)
                return
            log.warning("async invocation of %s failed: %s", name, error.message)
            self.async_queue.delete(scope, key)
            return
        event["attempts"] += 1
        if outcome.error is None:
            await self._finish(scope, key, event, outcome, "Success", invoke_config)
        elif event["attempts"] <= retries:
            self._reschedule(scope, key, event, RETRY_SECONDS * event["attempts"])
        else:
            await self._finish(scope, key, event, outcome, "RetriesExhausted", invoke_config)

    def _reschedule(  # type: ignore[misc]
        self: Provider, scope: str, key: str, event: dict, delay: float, count: bool = True
    ) -> None:
        event["due"] = time.time() + delay
        self.async_queue.put(scope, key, event)
        heapq.heappush(self._due, (event["due"], scope, key))
        if self._wake is not None:
            self._wake.set()

    async def _finish(  # type: ignore[misc]
        self: Provider, scope: str, key: str, event: dict, outcome, condition: str, invoke_config: dict
    ) -> None:
        # The event leaves the queue in the transaction that hands its outcome on (a destination
        # or dead-letter delivery in the outbox): a crash loses neither, nor delivers both.
        with self.store.transaction():
            self.async_queue.delete(scope, key)
            account, region = scope.split("/")
            name, qualifier = event["name"], event["qualifier"]
            destinations = invoke_config.get("DestinationConfig") or {}
            kind = "OnSuccess" if condition == "Success" else "OnFailure"
            target = (destinations.get(kind) or {}).get("Destination")
            if target:
                try:
                    request_payload = jsontext.loads(event["payload"], jsontext.MAX_PAYLOAD_DEPTH)
                except ValueError:
                    request_payload = event["payload"]
                record: dict[str, Any] = {
                    "version": "1.0",
                    "timestamp": _iso_now(),
                    "requestContext": {
                        "requestId": event["request_id"],
                        "functionArn": function_arn(account, region, name, qualifier or "$LATEST"),
                        "condition": condition,
                        "approximateInvokeCount": event["attempts"],
                    },
                    "requestPayload": request_payload,
                }
                if outcome is not None:
                    response_context = {"statusCode": 200, "executedVersion": outcome.version}
                    if outcome.error is not None:
                        response_context["functionError"] = "Unhandled"
                        response_payload = outcome.error
                    else:
                        try:
                            response_payload = (
                                jsontext.loads(outcome.payload, jsontext.MAX_PAYLOAD_DEPTH)
                                if outcome.payload
                                else None
                            )
                        except ValueError:
                            response_payload = outcome.payload.decode("utf-8", "replace")
                    record["responseContext"] = response_context
                    record["responsePayload"] = response_payload
                message: Any = record if target.split(":")[2] == "lambda" else json.dumps(record)
                self.runtime.bus.deliver(target, message, source="lambda")
                return
            if condition == "Success":
                return
            version_record = self.functions.get(scope, name)
            dead_letter = ((version_record or {}).get("config", {}).get("DeadLetterConfig") or {}).get(
                "TargetArn"
            )
            if dead_letter:
                error = (outcome.error if outcome is not None else None) or {"errorMessage": condition}
                attributes = {
                    "RequestID": {"DataType": "String", "StringValue": event["request_id"]},
                    "ErrorCode": {"DataType": "Number", "StringValue": "200"},
                    "ErrorMessage": {
                        "DataType": "String",
                        "StringValue": str(error.get("errorMessage", ""))[:1024],
                    },
                }
                self.runtime.bus.deliver(
                    dead_letter, event["payload"], attributes=attributes, source="lambda"
                )
                return
            log.warning(
                "async event %s for %s dropped after %d attempt(s): %s",
                event["request_id"],
                name,
                event["attempts"],
                condition,
            )
