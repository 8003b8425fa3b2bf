"""The in-process event bus (DESIGN.md §5): how one service reaches another.

Two ways in, both safe to call from a request handler (the work runs on the event loop once
the handler has returned, so a slow subscriber never slows the request that caused it):

* ``runtime.bus.publish(topic, event)`` announces a fact ("s3:ObjectCreated", "dynamodb
  stream record") to whoever subscribed to the topic with ``runtime.bus.subscribe``. Facts
  are in memory: a subscriber that must not miss one keeps its own durable state.
* ``runtime.bus.deliver(target_arn, message, **options)`` hands a message to the resource an
  ARN names: an SQS queue, an SNS topic, a Lambda function. The service that owns the ARN
  receives it in its provider's ``deliver(target_arn, message, **options)``.

Deliveries are durable (overcast/outbox.py): ``deliver`` writes the pending delivery to the
store's outbox *in the store transaction that is open*, so call it inside the
``store.transaction()`` that writes the state change causing it; the two commit together and
a crash can lose neither. A worker then attempts it; a refused delivery is retried on its
schedule — ``attempts`` tries with exponential ``backoff``, or the explicit ``delays`` (the
wait before each retry) — and each attempt's count and the next attempt's time are written
back, so a restart resumes the schedule where it stopped. When the target refuses for good
or the attempts are used up, the failure handler named by ``on_failure`` gets the message,
the reason and ``failure_args`` (and can dead-letter it, in the transaction that removes the
entry); without one the loss is logged, never silent. The entry is removed once the target
takes the message: delivery is at-least-once, as AWS promises.

An entry holds no code, only data (target ARN, message, options, schedule, the handler's
*name*), so it can be resumed by a later process. A service that names failure handlers
registers them when it starts::

    def start(self):
        self.runtime.bus.register_failure_handler("sns.dead_letter", self.dead_letter)

    self.runtime.bus.deliver(endpoint, body, on_failure="sns.dead_letter",
                             failure_args={"dead_letter": dlq_arn})

Every service that sends to another (EventBridge targets, the Scheduler, CloudWatch alarm
actions, API destinations, ...) delivers this way, with its own named handlers for what AWS
does with a message it cannot deliver. The service named before the dot owns the entry: at start the runtime starts the owners of
pending entries (``Bus.resume``), which re-registers their handlers before anything is due.
``OVERCAST_DELIVERY_HOLD_SECONDS`` holds every delivery that long before its first attempt
(tests use it to kill Overcast between a write and its delivery).

A provider's ``deliver`` either does its work before it returns (SQS, Lambda's queue, SNS's
fan-out) or returns a coroutine that does all of it (an HTTP POST). The outbox attempts a
synchronous target inside a store transaction that also removes the entry: the target's
writes and the removal commit together, once.

``deliver_now`` attempts once and raises DeliveryError: for callers that want the answer
(S3's test event). ``try_deliver`` delivers synchronously inside the caller's transaction,
or says it cannot; SNS's fan-out uses it and falls back to ``deliver`` when refused.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from overcast.outbox import FailureHandler, Outbox, backoff_delays, new_entry

if TYPE_CHECKING:
    from overcast.runtime import Runtime

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A target refused a message. Not retryable when retrying cannot help (no such queue)."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


def arn_service(arn: str) -> str:
    """The service an ARN belongs to: arn:aws:sqs:us-east-1:000000000000:q → sqs."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or not parts[2]:
        raise DeliveryError(f"not an ARN: {arn!r}", retryable=False)
    return parts[2]


class Bus:
    def __init__(self, runtime: Runtime) -> None:
        # Imported here, where it is complete (services import this module): a function-level
        # import on every delivery costs more than the rest of hand_over.
        from overcast import services

        self._services = services
        self._runtime = runtime
        self._subscribers: dict[str, list[Callable[[Any], Any]]] = defaultdict(list)
        self.outbox = Outbox(runtime, self.hand_over)

    # -- publish / subscribe ------------------------------------------------------------------

    def subscribe(self, topic: str, callback: Callable[[Any], Any]) -> Callable[[], None]:
        """Call `callback(event)` (sync or async) for every event published on `topic`.
        Returns a function that ends the subscription."""
        self._subscribers[topic].append(callback)
        return lambda: self._subscribers[topic].remove(callback)

    def has_subscribers(self, topic: str) -> bool:
        """Whether anyone listens on `topic`: publishers whose events are costly to build skip
        building them when no one would receive them."""
        return bool(self._subscribers.get(topic))

    def publish(self, topic: str, event: Any) -> None:
        for callback in list(self._subscribers.get(topic, ())):
            self._runtime.spawn(_call(callback, event), name=f"bus {topic}")

    # -- delivery to a resource ---------------------------------------------------------------

    async def deliver_now(self, target_arn: str, message: Any, **options: Any) -> Any:
        """Deliver once, now; raises DeliveryError if the target refuses or does not exist."""
        result = self.hand_over(target_arn, message, **options)
        if inspect.isawaitable(result):
            result = await result
        return result

    def hand_over(self, target_arn: str, message: Any, **options: Any) -> Any:
        """Call the target's deliver: its result, or the awaitable of a target that delivers
        asynchronously (a provider's deliver either does its work before it returns, or
        returns a coroutine that does it all). Raises DeliveryError if refused."""
        service = arn_service(target_arn)
        runtime = self._runtime
        services = self._services
        if service not in services.implemented() or not runtime.config.service_enabled(service):
            raise DeliveryError(f"Overcast does not run {service}, the service of {target_arn}", False)
        return runtime.provider(service).deliver(target_arn, message, **options)

    def try_deliver(self, target_arn: str, message: Any, **options: Any) -> bool:
        """Deliver now, synchronously, if the target takes deliveries that way: True once it
        took the message, False (nothing done) when its deliver is a coroutine, which only
        deliver() or deliver_now() can await. Raises DeliveryError if refused. Called inside a
        store transaction, the target's writes join it.

        False too when the target's provider is not loaded yet: loading it takes the runtime's
        lock and then the store's, so a caller inside a store transaction would wait for a
        thread loading providers (at start) that waits for the store: a deadlock. The caller's
        fallback, deliver(), hands it over later, outside any transaction."""
        service = arn_service(target_arn)
        runtime = self._runtime
        if (
            service not in runtime.providers
            and service in self._services.implemented()
            and runtime.config.service_enabled(service)
        ):
            return False
        result = self.hand_over(target_arn, message, **options)
        if inspect.iscoroutine(result):
            result.close()  # not started: its work is left to the caller's fallback
            return False
        if inspect.isawaitable(result):
            self._runtime.spawn(_call(lambda: result), f"deliver {target_arn}")
        return True

    def deliver(
        self,
        target_arn: str,
        message: Any,
        *,
        attempts: int = 3,
        backoff: float = 1.0,
        delays: Sequence[float] | None = None,
        on_failure: str | None = None,
        failure_args: dict | None = None,
        **options: Any,
    ) -> None:
        """Deliver in the background, durably: up to `attempts` tries, waiting backoff,
        2×backoff, ... between them (or the waits `delays` lists), then the failure handler
        registered as `on_failure`. Message, options and failure_args are stored: JSON-like
        values (and bytes)."""
        schedule = backoff_delays(attempts, backoff) if delays is None else list(delays)
        entry = new_entry(target_arn, message, options, schedule, on_failure, failure_args, time.time())
        self.outbox.add(entry)

    def register_failure_handler(self, name: str, handler: FailureHandler) -> None:
        """Name `handler(message, reason, failure_args)` as "<service>.<name>" for deliver's
        on_failure. It runs synchronously, inside the transaction that removes the entry."""
        self.outbox.register(name, handler)

    def resume(self) -> None:
        """Resume the deliveries a previous run left pending (called once the loop runs)."""
        self.outbox.resume()


async def _call(callback: Callable, *args: Any) -> None:
    result = callback(*args)
    if inspect.isawaitable(result):
        await result
