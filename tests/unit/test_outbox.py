"""The bus's outbox: pending deliveries are rows of the store, retried on their schedule,
dead-lettered through a named handler, and resumed by the next run on the same data dir."""

from __future__ import annotations

import asyncio
import time

import pytest

from overcast import services
from overcast.config import Config
from overcast.outbox import HOLD_SETTING, backoff_delays, hold_seconds, new_entry, next_step, owner_of
from overcast.runtime import Runtime
from tests.unit.test_bus import Inbox

QUEUE = "arn:aws:sqs:us-east-1:000000000000:q"


class DeadLetteringInbox(Inbox):
    """Registers its failure handler when it starts, as a real owner does."""

    def start(self) -> None:
        super().start()
        self.dead: list[tuple[object, str, dict]] = []
        self.runtime.bus.register_failure_handler("sqs.dead_letter", self.dead_letter)

    def dead_letter(self, message, reason, args) -> None:
        self.dead.append((message, reason, args))


@pytest.fixture
def make_runtime(monkeypatch, tmp_path):
    monkeypatch.setattr(services, "implemented", lambda: frozenset({"sqs"}))
    monkeypatch.setattr(services, "provider_class", lambda name: DeadLetteringInbox)
    opened: list[Runtime] = []

    def make(refusals: int = 0, durable: bool = True) -> Runtime:
        monkeypatch.setattr(Inbox, "refusals", refusals)
        runtime = Runtime(Config(data_dir=tmp_path / "data" if durable else None))
        opened.append(runtime)
        return runtime

    yield make
    for runtime in opened:
        runtime.close()


def run(runtime: Runtime, scenario):
    async def main():
        runtime.attach_loop(asyncio.get_running_loop())
        return await scenario()

    return asyncio.run(main())


def rows(runtime: Runtime) -> list[dict]:
    table = runtime.store.table("bus", "outbox")
    return [entry for owner in table.scopes() for _, entry in table.scan(owner)]


def test_schedule_of_retries():
    assert backoff_delays(3, 1.0) == [1.0, 2.0]
    assert backoff_delays(1, 5.0) == backoff_delays(0, 5.0) == []
    entry = new_entry(QUEUE, "m", {}, [0.0, 20.0], None, None, due=100.0)
    entry["attempts"] = 1
    assert next_step(entry, retryable=True, now=100.0) == 100.0  # a no-delay retry
    entry["attempts"] = 2
    assert next_step(entry, retryable=True, now=100.0) == 120.0
    entry["attempts"] = 3
    assert next_step(entry, retryable=True, now=100.0) is None  # used up
    entry["attempts"] = 1
    assert next_step(entry, retryable=False, now=100.0) is None  # refused for good


def test_owner_is_the_service_naming_the_handler_else_the_target():
    assert owner_of(QUEUE, "sns.dead_letter") == "sns"
    assert owner_of(QUEUE, None) == "sqs"


def test_hold_setting(monkeypatch):
    monkeypatch.delenv(HOLD_SETTING, raising=False)
    assert hold_seconds() == 0.0
    monkeypatch.setenv(HOLD_SETTING, "2.5")
    assert hold_seconds() == 2.5
    monkeypatch.setenv(HOLD_SETTING, "soon")
    assert hold_seconds() == 0.0


def test_refused_attempt_is_recorded_then_retried_on_schedule(make_runtime):
    runtime = make_runtime(refusals=1)

    async def scenario():
        runtime.bus.deliver(QUEUE, "m", delays=[0.3], subject="s")
        await asyncio.sleep(0.1)
        (entry,) = rows(runtime)
        assert entry["attempts"] == 1 and entry["reason"] == "busy"
        assert entry["due"] > time.time() + 0.1
        assert runtime.provider("sqs").received == []
        await asyncio.sleep(0.4)

    run(runtime, scenario)
    assert runtime.provider("sqs").received == [(QUEUE, "m", {"subject": "s"})]
    assert rows(runtime) == []


def test_exhausted_delivery_is_dead_lettered_and_removed(make_runtime):
    runtime = make_runtime(refusals=10)

    async def scenario():
        runtime.bus.deliver(
            QUEUE, "m", delays=[0.0, 0.01], on_failure="sqs.dead_letter", failure_args={"a": 1}
        )
        await asyncio.sleep(0.2)

    run(runtime, scenario)
    inbox = runtime.provider("sqs")
    assert inbox.tries == 3
    assert inbox.dead == [("m", "busy", {"a": 1})]
    assert rows(runtime) == []


def test_a_failing_failure_handler_still_removes_the_entry(make_runtime):
    runtime = make_runtime(refusals=10)

    def broken(message, reason, args):
        runtime.store.table("sqs", "side").put("s", "k", {})
        raise RuntimeError("broken")

    async def scenario():
        runtime.bus.register_failure_handler("sqs.broken", broken)
        runtime.bus.deliver(QUEUE, "m", attempts=1, on_failure="sqs.broken")
        await asyncio.sleep(0.05)

    run(runtime, scenario)
    assert rows(runtime) == []
    assert runtime.store.table("sqs", "side").get("s", "k") is None  # its writes rolled back


def test_delivery_written_in_a_rolled_back_transaction_never_happens(make_runtime):
    runtime = make_runtime()

    async def scenario():
        with pytest.raises(RuntimeError), runtime.store.transaction():
            runtime.bus.deliver(QUEUE, "undone")
            raise RuntimeError("the state change failed")
        runtime.bus.deliver(QUEUE, "done")
        await asyncio.sleep(0.05)

    run(runtime, scenario)
    assert [message for _, message, _ in runtime.provider("sqs").received] == ["done"]


def test_pending_delivery_resumes_after_a_restart_with_its_schedule(make_runtime):
    first = make_runtime(refusals=10)

    async def fail_once():
        first.bus.deliver(QUEUE, "survivor", delays=[0.5, 0.5], on_failure="sqs.dead_letter")
        await asyncio.sleep(0.1)

    run(first, fail_once)
    first.close()  # the process is gone while the retry waits

    second = make_runtime(refusals=0)
    (entry,) = rows(second)
    assert entry["attempts"] == 1
    due = entry["due"]

    async def resumed():
        await asyncio.sleep(0.05)
        assert "sqs" in second.providers  # the entry's owner started with the loop
        assert second.providers["sqs"].received == []  # not before its time
        await asyncio.sleep(max(0.0, due - time.time()) + 0.2)

    run(second, resumed)
    assert second.providers["sqs"].received == [(QUEUE, "survivor", {})]
    assert rows(second) == []


def test_resumed_delivery_dead_letters_through_the_handler_its_owner_registers(make_runtime):
    first = make_runtime(refusals=10)

    async def fail_once():
        first.bus.deliver(
            QUEUE, "doomed", delays=[0.2], on_failure="sqs.dead_letter", failure_args={"dlq": "d"}
        )
        await asyncio.sleep(0.05)

    run(first, fail_once)
    first.close()

    second = make_runtime(refusals=10)

    async def resumed():
        await asyncio.sleep(0.4)

    run(second, resumed)
    assert second.providers["sqs"].dead == [("doomed", "busy", {"dlq": "d"})]
    assert rows(second) == []


def test_an_empty_outbox_runs_no_worker(make_runtime):
    runtime = make_runtime()

    async def scenario():
        await asyncio.sleep(0)
        idle = runtime.bus.outbox._worker_running
        runtime.bus.deliver(QUEUE, "later", delays=[])
        await asyncio.sleep(0.05)
        return idle

    assert run(runtime, scenario) is False
    assert runtime.bus.outbox._worker_running is False
    assert rows(runtime) == []


def test_held_delivery_waits_before_its_first_attempt(make_runtime, monkeypatch):
    monkeypatch.setenv(HOLD_SETTING, "0.3")
    runtime = make_runtime()

    async def scenario():
        runtime.bus.deliver(QUEUE, "held")
        await asyncio.sleep(0.1)
        assert runtime.bus.outbox._worker_running  # sleeping until the entry is due
        assert runtime.provider("sqs").received == []
        await asyncio.sleep(0.4)

    run(runtime, scenario)
    assert runtime.provider("sqs").received == [(QUEUE, "held", {})]
    assert runtime.bus.outbox._worker_running is False


def test_imported_state_resumes_its_pending_deliveries(make_runtime, tmp_path):
    source = make_runtime(refusals=10)

    async def refused():
        source.bus.deliver(QUEUE, "exported", delays=[60.0])
        await asyncio.sleep(0.05)

    run(source, refused)
    table = source.store.table("bus", "outbox")
    ((key, entry),) = table.scan("sqs")
    table.put("sqs", key, {**entry, "due": time.time()})  # due at once in the copy
    source.store.export_to(tmp_path / "state.tar.gz")
    target = make_runtime(refusals=0, durable=False)

    async def imported():
        target.store.import_from(tmp_path / "state.tar.gz")
        await asyncio.sleep(0.1)

    run(target, imported)
    assert target.providers["sqs"].received == [(QUEUE, "exported", {})]
    assert rows(target) == []


class WritingInbox(DeadLetteringInbox):
    """Writes a row for each message, then refuses the first `refusals` tries."""

    def deliver(self, target_arn, message, **options):
        self.store.table("sqs", "inbox").put("s", f"{self.tries:03d}", message)
        return super().deliver(target_arn, message, **options)


def test_a_refused_attempt_leaves_none_of_the_targets_writes(make_runtime, monkeypatch):
    monkeypatch.setattr(services, "provider_class", lambda name: WritingInbox)
    runtime = make_runtime(refusals=1)

    async def scenario():
        runtime.bus.deliver(QUEUE, "once", delays=[0.01])
        await asyncio.sleep(0.1)

    run(runtime, scenario)
    # The refused try's row was rolled back with it; the accepted one committed with the
    # entry's removal.
    assert list(runtime.store.table("sqs", "inbox").scan("s")) == [("001", "once")]
    assert rows(runtime) == []


def test_try_deliver_leaves_an_asynchronous_target_untouched(make_runtime):
    runtime = make_runtime()
    started = []

    async def later(target_arn, message, **options):
        started.append(message)

    async def scenario():
        inbox = runtime.provider("sqs")
        assert runtime.bus.try_deliver(QUEUE, "sync") is True
        inbox.deliver = later
        assert runtime.bus.try_deliver(QUEUE, "async") is False
        await asyncio.sleep(0.01)
        return inbox.received

    assert run(runtime, scenario) == [(QUEUE, "sync", {})]
    assert started == []
