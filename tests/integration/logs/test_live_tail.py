"""CloudWatch Logs Live Tail through boto3: the event stream of a session, its filters, its
errors, and a session ending when its client closes the connection."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from botocore.config import Config


@pytest.fixture
def logs(client):
    # StartLiveTail's endpoint has the host prefix "stream-", which no local name resolves.
    return client("logs", config=Config(inject_host_prefix=False))


def group_with_streams(logs, *streams: str) -> str:
    group = f"/tail/{uuid.uuid4().hex[:10]}"
    logs.create_log_group(logGroupName=group)
    for stream in streams:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    return group


def put(logs, group: str, stream: str, *messages: str) -> None:
    now = int(time.time() * 1000)
    events = [{"timestamp": now, "message": message} for message in messages]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def tail_until(stream, count: int, limit: float = 10) -> list[dict]:
    """The log events of a session's updates until `count` arrived (or `limit` seconds)."""
    found: list[dict] = []
    deadline = time.time() + limit
    for event in stream:
        found.extend(event.get("sessionUpdate", {}).get("sessionResults", []))
        if len(found) >= count or time.time() > deadline:
            break
    return found


def test_live_tail_streams_new_events_that_match(logs):
    group = group_with_streams(logs, "app", "other")
    response = logs.start_live_tail(logGroupIdentifiers=[group], logEventFilterPattern="ERROR")
    stream = response["responseStream"]
    start = next(iter(stream))["sessionStart"]
    assert start["logGroupIdentifiers"] == [group] and start["logEventFilterPattern"] == "ERROR"
    assert start["sessionId"] and start["requestId"]
    put(logs, group, "app", "ERROR disk full", "all fine")
    put(logs, group, "other", "ERROR in other")
    found = tail_until(stream, 2)
    stream.close()
    assert sorted(e["message"] for e in found) == ["ERROR disk full", "ERROR in other"]
    event = next(e for e in found if e["logStreamName"] == "app")
    assert event["logGroupIdentifier"].endswith(f":log-group:{group}")
    assert event["timestamp"] <= event["ingestionTime"]


def test_live_tail_of_chosen_streams_only(logs):
    group = group_with_streams(logs, "web-1", "db-1")
    stream = logs.start_live_tail(logGroupIdentifiers=[group], logStreamNamePrefixes=["web"])[
        "responseStream"
    ]
    next(iter(stream))
    put(logs, group, "db-1", "from db")
    put(logs, group, "web-1", "from web")
    found = tail_until(stream, 1)
    stream.close()
    assert [e["message"] for e in found] == ["from web"]


def test_live_tail_refuses_bad_input(logs):
    group = group_with_streams(logs)
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.start_live_tail(logGroupIdentifiers=[group + "-missing"])
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.start_live_tail(logGroupIdentifiers=[group], logStreamNames=["a"], logStreamNamePrefixes=["b"])
    other = group_with_streams(logs)
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.start_live_tail(logGroupIdentifiers=[group, other], logStreamNames=["a"])


def test_closing_the_connection_ends_the_session(client):
    # An account of its own: the quota is per account, and other tests' sessions end a moment
    # after they close their streams.
    logs = client(
        "logs",
        config=Config(inject_host_prefix=False),
        aws_access_key_id="333333333333",
        aws_secret_access_key="x",
    )
    group = group_with_streams(logs)

    def open_sessions(count: int) -> list:
        streams = []
        for _ in range(count):
            stream = logs.start_live_tail(logGroupIdentifiers=[group])["responseStream"]
            next(iter(stream))
            streams.append(stream)
        return streams

    streams = open_sessions(15)
    with pytest.raises(logs.exceptions.LimitExceededException):
        logs.start_live_tail(logGroupIdentifiers=[group])
    for stream in streams:
        stream.close()
    deadline = time.time() + 10
    while True:  # the server notices each closed connection as it happens
        try:
            stream = logs.start_live_tail(logGroupIdentifiers=[group])["responseStream"]
            break
        except logs.exceptions.LimitExceededException:
            assert time.time() < deadline, "closed sessions were never ended"
            time.sleep(0.2)
    stream.close()


def test_events_written_while_the_client_reads_arrive_in_order(logs):
    group = group_with_streams(logs, "s")
    stream = logs.start_live_tail(logGroupIdentifiers=[group])["responseStream"]
    next(iter(stream))
    writer = threading.Thread(target=put, args=(logs, group, "s", "first", "second"))
    writer.start()
    found = tail_until(stream, 2)
    writer.join()
    stream.close()
    assert [e["message"] for e in found] == ["first", "second"]
