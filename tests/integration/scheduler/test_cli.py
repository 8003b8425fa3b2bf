"""The aws CLI drives the Scheduler as AWS's user guide shows it: a universal target sending an
SQS message that carries <aws.scheduler.scheduled-time>."""

from __future__ import annotations

import json
import uuid

from .conftest import ROLE


def test_the_user_guides_universal_target_example(aws):
    queue = aws("sqs", "create-queue", "--queue-name", f"cli-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    name = f"cli-{uuid.uuid4().hex[:8]}"
    target = {
        "RoleArn": ROLE,
        "Arn": "arn:aws:scheduler:::aws-sdk:sqs:sendMessage",
        "Input": json.dumps({"MessageBody": "<aws.scheduler.scheduled-time>", "QueueUrl": queue}),
    }
    created = aws(
        "scheduler", "create-schedule", "--name", name, "--schedule-expression", "rate(5 minutes)",
        "--target", json.dumps(target), "--flexible-time-window", '{ "Mode": "OFF"}',
    )  # fmt: skip
    assert created["ScheduleArn"].endswith(f":schedule/default/{name}")
    got = aws("scheduler", "get-schedule", "--name", name)
    assert got["Target"]["Arn"] == target["Arn"] and got["FlexibleTimeWindow"] == {"Mode": "OFF"}
    listed = aws("scheduler", "list-schedules", "--name-prefix", name)["Schedules"]
    assert [s["Name"] for s in listed] == [name]
    aws("scheduler", "delete-schedule", "--name", name)
    assert aws("scheduler", "list-schedules", "--name-prefix", name)["Schedules"] == []
