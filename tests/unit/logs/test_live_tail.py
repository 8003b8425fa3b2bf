"""Live Tail sessions inside the provider: the documented session limit ends a session with a
SessionTimeoutException, and more than 500 events a second are sampled down to 500."""

from __future__ import annotations

import asyncio
import time

import pytest

from overcast.context import RequestContext

ACCOUNT, REGION = "123456789012", "eu-west-1"


@pytest.fixture
def logs(runtime):
    provider = runtime.provider("logs")
    context = RequestContext.internal("logs", ACCOUNT, REGION)
    provider.create_log_group(context, {"logGroupName": "g"})
    provider.create_log_stream(context, {"logGroupName": "g", "logStreamName": "s"})
    return provider


def run_session(logs, write=None) -> list[dict]:
    context = RequestContext.internal("logs", ACCOUNT, REGION)

    async def session() -> list[dict]:
        stream = logs.start_live_tail(context, {"logGroupIdentifiers": ["g"]})["responseStream"]
        events = [await anext(stream)]
        if write is not None:
            write()
        events.extend([event async for event in stream])
        return events

    return asyncio.run(session())


def test_a_session_times_out_after_its_limit(logs, monkeypatch):
    monkeypatch.setenv("OVERCAST_LOGS_LIVE_TAIL_SECONDS", "1.5")
    events = run_session(logs)
    assert list(events[0]) == ["sessionStart"]
    # An update a second (two in 1.5 s, one on a machine slow enough to lose half a second).
    kinds = [next(iter(e)) for e in events[1:]]
    assert kinds[-1] == "SessionTimeoutException"
    assert kinds[:-1] in (["sessionUpdate"], ["sessionUpdate", "sessionUpdate"])
    assert logs._live_tails == []


def test_more_than_500_events_in_a_second_are_sampled(logs, monkeypatch):
    monkeypatch.setenv("OVERCAST_LOGS_LIVE_TAIL_SECONDS", "1")
    now = int(time.time() * 1000)
    lines = [(now, f"line {i:04d}") for i in range(700)]
    events = run_session(logs, lambda: logs.write(ACCOUNT, REGION, "g", "s", lines))
    update = events[1]["sessionUpdate"]
    assert update["sessionMetadata"] == {"sampled": True}
    messages = [e["message"] for e in update["sessionResults"]]
    assert len(messages) == 500 and messages == sorted(messages)


def test_stopping_the_server_ends_open_sessions(logs):
    context = RequestContext.internal("logs", ACCOUNT, REGION)

    async def session() -> list[dict]:
        stream = logs.start_live_tail(context, {"logGroupIdentifiers": ["g"]})["responseStream"]
        events = [await anext(stream)]
        asyncio.get_running_loop().call_later(0.1, logs.stop)
        events.extend([event async for event in stream])
        return events

    events = asyncio.run(asyncio.wait_for(session(), timeout=5))
    assert [list(e) for e in events] == [["sessionStart"], ["SessionStreamingException"]]
    assert logs._live_tails == []
