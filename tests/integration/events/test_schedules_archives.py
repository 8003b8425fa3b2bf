"""Scheduled rules fire for real (on a server whose schedule clock runs fast), again after a
restart; archives keep their bus's matching events and replays send them back."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from tests.conftest import Server
from tests.integration.events.conftest import Queue


def clients(server: Server):
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    return session.client("events", endpoint_url=server.endpoint), session.client(
        "sqs", endpoint_url=server.endpoint
    )


@pytest.fixture
def fast_server(tmp_path):
    # One scheduler minute in half a real second.
    instance = Server("--data-dir", str(tmp_path / "data"), "--quiet", env={"OVERCAST_SCHEDULE_SPEED": "120"})
    yield instance, tmp_path / "data"
    instance.stop()


def test_a_rate_rule_fires_scheduled_events_and_survives_a_restart(fast_server):
    server, data_dir = fast_server
    events, sqs = clients(server)
    queue = Queue(sqs, "ticks")
    arn = events.put_rule(Name="tick", ScheduleExpression="rate(1 minute)")["RuleArn"]
    events.put_targets(Rule="tick", Targets=[{"Id": "q", "Arn": queue.arn}])
    bodies = queue.bodies(2, timeout=10)
    assert len(bodies) >= 2
    first = bodies[0]
    assert first["detail-type"] == "Scheduled Event" and first["source"] == "aws.events"
    assert first["resources"] == [arn] and first["detail"] == {}
    sqs.purge_queue(QueueUrl=queue.url)  # at most the tick in flight is left when it stops
    server.stop()
    restarted = Server("--data-dir", str(data_dir), "--quiet", env={"OVERCAST_SCHEDULE_SPEED": "120"})
    try:
        events, sqs = clients(restarted)
        # A minute is half a second here: more ticks than could have been left over arrive.
        assert len(Queue(sqs, "ticks").bodies(3, timeout=10)) >= 3
        events.disable_rule(Name="tick")
        time.sleep(1.5)
        Queue(sqs, "ticks").messages(10, timeout=1)  # drain what was in flight
        assert Queue(sqs, "ticks").messages(1, timeout=2) == []
    finally:
        restarted.stop()


def test_a_cron_rule_fires_on_its_minutes(fast_server):
    server, _ = fast_server
    events, sqs = clients(server)
    queue = Queue(sqs, "cron")
    events.put_rule(Name="every-minute", ScheduleExpression="cron(* * * * ? *)")
    events.put_targets(
        Rule="every-minute", Targets=[{"Id": "q", "Arn": queue.arn, "Input": '{"cron": true}'}]
    )
    assert queue.bodies(1, timeout=10) == [{"cron": True}]


def test_archive_and_replay(events, name, queue):
    bus_arn = events.create_event_bus(Name=name)["EventBusArn"]
    archive = events.create_archive(
        ArchiveName=name, EventSourceArn=bus_arn, EventPattern=json.dumps({"detail": {"keep": [True]}})
    )
    assert archive["State"] == "ENABLED"
    events.put_rule(Name=name, EventBusName=name, EventPattern=json.dumps({"source": [name]}))
    events.put_targets(Rule=name, EventBusName=name, Targets=[{"Id": "q", "Arn": queue.arn}])
    start = datetime.now(UTC) - timedelta(minutes=1)
    entries = [
        {
            "Source": name,
            "DetailType": "t",
            "Detail": json.dumps({"keep": keep, "n": n}),
            "EventBusName": name,
        }
        for n, keep in enumerate([True, False, True])
    ]
    events.put_events(Entries=entries)
    assert len(queue.bodies(3)) == 3
    described = events.describe_archive(ArchiveName=name)
    assert described["EventCount"] == 2 and described["SizeBytes"] > 0
    events.start_replay(
        ReplayName=name,
        EventSourceArn=archive["ArchiveArn"],
        EventStartTime=start,
        EventEndTime=datetime.now(UTC) + timedelta(minutes=1),
        Destination={"Arn": bus_arn},
    )
    replayed = queue.bodies(2)
    assert sorted(body["detail"]["n"] for body in replayed) == [0, 2]
    assert {body["replay-name"] for body in replayed} == {name}
    deadline = time.monotonic() + 5
    while events.describe_replay(ReplayName=name)["State"] != "COMPLETED" and time.monotonic() < deadline:
        time.sleep(0.1)
    replay = events.describe_replay(ReplayName=name)
    assert replay["State"] == "COMPLETED" and "ReplayEndTime" in replay and "EventLastReplayedTime" in replay
    assert [r["ReplayName"] for r in events.list_replays(NamePrefix=name)["Replays"]] == [name]
    assert [a["ArchiveName"] for a in events.list_archives(EventSourceArn=bus_arn)["Archives"]] == [name]


def test_an_archive_keeps_events_for_its_retention_days(events, name):
    bus_arn = events.create_event_bus(Name=name)["EventBusArn"]
    events.create_archive(ArchiveName=name, EventSourceArn=bus_arn, RetentionDays=1)
    old = {"Source": name, "DetailType": "t", "Detail": "{}", "EventBusName": name,
           "Time": datetime.now(UTC) - timedelta(days=2)}  # fmt: skip
    events.put_events(Entries=[old])
    assert events.describe_archive(ArchiveName=name)["EventCount"] == 0  # older than its retention
    events.put_events(Entries=[{**old, "Time": datetime.now(UTC) - timedelta(hours=23)}])
    assert events.describe_archive(ArchiveName=name)["EventCount"] == 1
    rule = events.describe_rule(Name=f"Events-Archive-{name}", EventBusName=name)
    assert rule["ManagedBy"] == "prod.vhs.events.aws.internal"
    assert json.loads(rule["EventPattern"]) == {"replay-name": [{"exists": False}]}
    events.delete_archive(ArchiveName=name)
    assert events.list_rules(EventBusName=name)["Rules"] == []


def test_a_delivery_survives_a_kill_between_putevents_and_its_target(tmp_path):
    """The matched event is in the outbox when PutEvents answers: a kill -9 before the target
    took it loses nothing, the restarted server delivers it."""
    data_dir = str(tmp_path / "data")
    held = Server("--data-dir", data_dir, "--quiet", env={"OVERCAST_DELIVERY_HOLD_SECONDS": "4"})
    try:
        events, sqs = clients(held)
        queue = Queue(sqs, "durable")
        events.put_rule(Name="keep", EventPattern=json.dumps({"source": ["durable.app"]}))
        events.put_targets(Rule="keep", Targets=[{"Id": "q", "Arn": queue.arn}])
        sent = events.put_events(Entries=[{"Source": "durable.app", "DetailType": "t", "Detail": '{"n": 1}'}])
        assert queue.messages(1, timeout=1) == []  # held back, not yet delivered
    finally:
        held.stop(kill=True)
    restarted = Server("--data-dir", data_dir, "--quiet")
    try:
        _, sqs = clients(restarted)
        [body] = Queue(sqs, "durable").bodies(1, timeout=20)  # due once the hold has passed
        assert body["id"] == sent["Entries"][0]["EventId"]
    finally:
        restarted.stop()
