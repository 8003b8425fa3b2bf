"""The in-process event bus (DESIGN.md §5): how one service reaches another.

Two ways in, both safe to call from a request handler (the work runs on the event loop once
the handler has returned, so a slow subscriber never slows the request that caused it):

* ``runtime.bus.publish(topic, event)`` announces a fact ("s3:ObjectCreated", "dynamodb
  stream record") to whoever subscribed to the topic with ``runtime.bus.subscribe``.
* ``runtime.bus.deliver(target_arn, message, **options)`` hands a message to the resource an
  ARN names: an SQS queue, an SNS topic, a Lambda function. The service that owns the ARN
  receives it in its provider's ``deliver(target_arn, message, **options)``. A refused delivery
  is retried with backoff; when the attempts are used up, ``on_failure`` (if given) gets the
  message and the reason, so the caller can dead-letter it; either way the loss is logged,
  never silent.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from overcast.runtime import Runtime

log = logging.getLogger("overcast.bus")


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
        self._runtime = runtime
        self._subscribers: dict[str, list[Callable[[Any], Any]]] = defaultdict(list)

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
        service = arn_service(target_arn)
        runtime = self._runtime
        from overcast import services

        if service not in services.implemented() or not runtime.config.service_enabled(service):
            raise DeliveryError(f"Overcast does not run {service}, the service of {target_arn}", False)
        provider = runtime.provider(service)
        result = provider.deliver(target_arn, message, **options)
        if inspect.isawaitable(result):
            result = await result
        return result

    def deliver(
        self,
        target_arn: str,
        message: Any,
        *,
        attempts: int = 3,
        backoff: float = 1.0,
        on_failure: Callable[[Any, str], Any] | None = None,
        **options: Any,
    ) -> None:
        """Deliver in the background: up to `attempts` tries, waiting backoff, 2×backoff, ...
        between them."""
        self._runtime.spawn(
            self._deliver(target_arn, message, attempts, backoff, on_failure, options),
            name=f"deliver {target_arn}",
        )

    async def _deliver(self, target_arn, message, attempts, backoff, on_failure, options) -> None:
        reason = ""
        for attempt in range(max(1, attempts)):
            if attempt:
                await asyncio.sleep(backoff * 2 ** (attempt - 1))
            try:
                await self.deliver_now(target_arn, message, **options)
                return
            except DeliveryError as error:
                reason = str(error)
                if not error.retryable:
                    break
            except Exception as error:  # a provider bug must not lose the message silently
                log.exception("delivery to %s failed", target_arn)
                reason = f"{type(error).__name__}: {error}"
        if on_failure is not None:
            try:
                await _call(on_failure, message, reason)
                return
            except Exception:
                log.exception("the failure handler for %s failed", target_arn)
        log.warning("message to %s dropped after %d attempt(s): %s", target_arn, attempts, reason)


async def _call(callback: Callable, *args: Any) -> None:
    result = callback(*args)
    if inspect.isawaitable(result):
        await result
