"""Schedules survive a restart: one that came due while Overcast was down fires once when it
starts again, and recurring schedules go on firing from the store."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from tests.conftest import Server
from tests.integration.events.conftest import Queue

from .conftest import FAST, ROLE, clients

OFF = {"Mode": "OFF"}


def test_a_schedule_due_while_down_fires_once_at_start(tmp_path):
    data = str(tmp_path / "data")
    server = Server("--data-dir", data, "--quiet")
    try:
        client = clients(server)
        queue = Queue(client("sqs"), "missed")
        moment = datetime.now(UTC) + timedelta(seconds=2)
        client("scheduler").create_schedule(
            Name="while-down", ScheduleExpression=f"at({moment.strftime('%Y-%m-%dT%H:%M:%S')})",
            FlexibleTimeWindow=OFF, Target={"Arn": queue.arn, "RoleArn": ROLE, "Input": "caught up"},
        )  # fmt: skip
    finally:
        server.stop(kill=True)  # no clean stop: the schedule is only in the store
    time.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()) + 1.5)

    restarted = Server("--data-dir", data, "--quiet")
    try:
        client = clients(restarted)
        queue = Queue(client("sqs"), "missed")
        assert [m["Body"] for m in queue.messages(2, timeout=4)] == ["caught up"]
        schedule = client("scheduler").get_schedule(Name="while-down")  # done, but kept (NONE)
        assert schedule["State"] == "ENABLED"
    finally:
        restarted.stop()

    again = Server("--data-dir", data, "--quiet")
    try:
        assert Queue(clients(again)("sqs"), "missed").messages(1, timeout=2) == []  # once, not again
    finally:
        again.stop()


def test_a_recurring_schedule_fires_again_after_a_restart(tmp_path):
    data = str(tmp_path / "data")
    server = Server("--data-dir", data, "--quiet", env=FAST)
    try:
        client = clients(server)
        queue = Queue(client("sqs"), "ticks")
        client("scheduler").create_schedule(
            Name="ticking", ScheduleExpression="rate(1 minute)", FlexibleTimeWindow=OFF,
            Target={"Arn": queue.arn, "RoleArn": ROLE, "Input": "tick"},
        )  # fmt: skip
        assert len(queue.messages(2, timeout=10)) >= 2
    finally:
        server.stop()
    restarted = Server("--data-dir", data, "--quiet", env=FAST)
    try:
        queue = Queue(clients(restarted)("sqs"), "ticks")
        queue.messages(10, timeout=0.5)
        assert len(queue.messages(2, timeout=10)) >= 2
    finally:
        restarted.stop()


def test_an_invocation_in_flight_survives_a_kill(tmp_path):
    """Fired, its delivery held in the outbox (OVERCAST_DELIVERY_HOLD_SECONDS), then kill -9: the
    restarted Overcast delivers it, once, and the schedule does not fire again."""
    data = str(tmp_path / "data")
    server = Server("--data-dir", data, "--quiet", env={"OVERCAST_DELIVERY_HOLD_SECONDS": "4"})
    try:
        client = clients(server)
        queue = Queue(client("sqs"), "held")
        moment = datetime.now(UTC) - timedelta(seconds=1)  # due at once
        client("scheduler").create_schedule(
            Name="in-flight", ScheduleExpression=f"at({moment.strftime('%Y-%m-%dT%H:%M:%S')})",
            FlexibleTimeWindow=OFF, Target={"Arn": queue.arn, "RoleArn": ROLE, "Input": "held then delivered"},
        )  # fmt: skip
        time.sleep(0.5)
        assert "Messages" not in client("sqs").receive_message(QueueUrl=queue.url, WaitTimeSeconds=0)  # held
    finally:
        server.stop(kill=True)
    restarted = Server("--data-dir", data, "--quiet")
    try:
        queue = Queue(clients(restarted)("sqs"), "held")
        assert [m["Body"] for m in queue.messages(2, timeout=8)] == ["held then delivered"]
    finally:
        restarted.stop()
