"""The event bus and the runtime's background work, on a real event loop."""

from __future__ import annotations

import asyncio

import pytest

from overcast import services
from overcast.bus import DeliveryError, arn_service
from overcast.config import Config
from overcast.runtime import Runtime
from overcast.services.base import BaseProvider


class Inbox(BaseProvider):
    """A stand-in service that takes deliveries: refuses the first `refusals` of them."""

    service = "sqs"
    refusals = 0

    def start(self) -> None:
        self.received: list[tuple[str, object, dict]] = []
        self.tries = 0

    def deliver(self, target_arn, message, **options):
        self.tries += 1
        if target_arn.endswith(":missing"):
            raise DeliveryError("no such queue", retryable=False)
        if self.tries <= self.refusals:
            raise DeliveryError("busy")
        self.received.append((target_arn, message, options))


@pytest.fixture
def runtime(monkeypatch):
    monkeypatch.setattr(services, "implemented", lambda: frozenset({"sqs"}))
    monkeypatch.setattr(services, "provider_class", lambda name: Inbox)
    monkeypatch.setattr(Inbox, "refusals", 0)
    runtime = Runtime(Config(data_dir=None))
    yield runtime
    runtime.close()


def run(runtime: Runtime, coroutine_fn):
    async def main():
        runtime.attach_loop(asyncio.get_running_loop())
        return await coroutine_fn()

    return asyncio.run(main())


def test_arn_service():
    assert arn_service("arn:aws:sqs:us-east-1:000000000000:q") == "sqs"
    with pytest.raises(DeliveryError):
        arn_service("not-an-arn")


def test_publish_reaches_every_subscriber_after_the_caller_returns(runtime):
    seen = []

    async def scenario():
        runtime.bus.subscribe("t", seen.append)

        async def async_subscriber(event):
            seen.append(("async", event))

        runtime.bus.subscribe("t", async_subscriber)
        runtime.bus.publish("t", 1)
        runtime.bus.publish("other", 2)
        assert seen == []  # not inside the publishing call
        await asyncio.sleep(0.01)

    run(runtime, scenario)
    assert seen == [1, ("async", 1)]


def test_delivery_is_retried_then_succeeds(runtime, monkeypatch):
    monkeypatch.setattr(Inbox, "refusals", 2)

    async def scenario():
        runtime.bus.deliver("arn:aws:sqs:us-east-1:000000000000:q", "hello", backoff=0.01, subject="s")
        await asyncio.sleep(0.2)

    run(runtime, scenario)
    inbox = runtime.provider("sqs")
    assert inbox.tries == 3
    assert inbox.received == [("arn:aws:sqs:us-east-1:000000000000:q", "hello", {"subject": "s"})]


def test_exhausted_delivery_reaches_the_failure_handler(runtime, monkeypatch):
    monkeypatch.setattr(Inbox, "refusals", 10)
    failed = []

    async def scenario():
        runtime.bus.register_failure_handler(
            "sqs.test", lambda message, reason, args: failed.append((message, reason, args))
        )
        runtime.bus.deliver(
            "arn:aws:sqs:us-east-1:000000000000:q", "m", attempts=2, backoff=0.01, on_failure="sqs.test"
        )
        runtime.bus.deliver(
            "arn:aws:sqs:us-east-1:000000000000:missing",
            "m2",
            backoff=0.01,
            on_failure="sqs.test",
            failure_args={"dead_letter": "x"},
        )
        await asyncio.sleep(0.2)

    run(runtime, scenario)
    assert sorted(failed) == [("m", "busy", {}), ("m2", "no such queue", {"dead_letter": "x"})]
    assert runtime.bus.outbox.pending() == 0


def test_try_deliver_leaves_a_provider_not_yet_loaded_to_the_outbox(runtime):
    # Loading a provider inside the caller's store transaction could deadlock with a thread
    # loading providers at start; the caller's durable fallback delivers it instead.
    assert runtime.bus.try_deliver("arn:aws:sqs:us-east-1:000000000000:q", "m") is False
    assert "sqs" not in runtime.providers
    runtime.provider("sqs")
    assert runtime.bus.try_deliver("arn:aws:sqs:us-east-1:000000000000:q", "m") is True
    assert runtime.providers["sqs"].received[-1][:2] == ("arn:aws:sqs:us-east-1:000000000000:q", "m")


def test_delivery_to_a_service_overcast_does_not_run_is_refused(runtime):
    async def scenario():
        with pytest.raises(DeliveryError) as caught:
            await runtime.bus.deliver_now("arn:aws:kafka:us-east-1:000000000000:x", "m")
        return caught.value

    assert not run(runtime, scenario).retryable


def test_periodic_work_runs_until_close_and_survives_failures(runtime):
    calls = []

    def work():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first call fails")

    async def scenario():
        runtime.every(0.01, work, "test")
        await asyncio.sleep(0.1)
        runtime.close()
        count = len(calls)
        await asyncio.sleep(0.05)
        return count, len(calls)

    before, after = run(runtime, scenario)
    assert before >= 3 and after == before


def test_work_spawned_before_the_loop_starts_once_it_is_attached(runtime):
    done = []

    async def work():
        done.append(True)

    runtime.spawn(work())

    async def scenario():
        await asyncio.sleep(0.01)

    run(runtime, scenario)
    assert done == [True]


def test_services_with_state_start_with_the_loop(runtime):
    runtime.store.table("sqs", "queues").put("000000000000/us-east-1", "q", {})
    assert runtime.store.services_with_state() == {"sqs"}

    async def scenario():
        await asyncio.sleep(0)

    run(runtime, scenario)
    assert "sqs" in runtime.providers
