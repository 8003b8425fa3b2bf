"""On a server started with --enforce-iam, a schedule's target is invoked as its execution role:
the role must trust scheduler.amazonaws.com and its policies must allow the call."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from tests.integration.events.conftest import Queue

OFF = {"Mode": "OFF"}


@pytest.fixture(scope="module")
def root(enforced):
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    return lambda service: session.client(service, endpoint_url=enforced.endpoint)


def role(iam, service: str, allow: str | None) -> str:
    name = f"sched-{uuid.uuid4().hex[:8]}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    if allow:
        document = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": allow, "Resource": "*"}],
        }
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(document))
    return arn


def schedule_now(scheduler, target: dict) -> None:
    moment = datetime.now(UTC) + timedelta(seconds=1)
    scheduler.create_schedule(
        Name=f"s-{uuid.uuid4().hex[:8]}", ScheduleExpression=f"at({moment.strftime('%Y-%m-%dT%H:%M:%S')})",
        FlexibleTimeWindow=OFF, Target=target,
    )  # fmt: skip


def test_an_allowed_role_delivers(root):
    queue = Queue(root("sqs"), f"q-{uuid.uuid4().hex[:8]}")
    arn = role(root("iam"), "scheduler.amazonaws.com", "sqs:SendMessage")
    schedule_now(root("scheduler"), {"Arn": queue.arn, "RoleArn": arn, "Input": "as the role"})
    assert [m["Body"] for m in queue.messages(1, timeout=6)] == ["as the role"]


@pytest.mark.parametrize(
    ("service", "allow", "code"),
    [
        ("scheduler.amazonaws.com", "sns:Publish", "AccessDenied"),  # SQS's own word for it
        ("lambda.amazonaws.com", "sqs:SendMessage", "AccessDeniedException"),  # cannot be assumed
    ],
)
def test_a_role_that_may_not_is_dead_lettered(root, service, allow, code):
    queue = Queue(root("sqs"), f"q-{uuid.uuid4().hex[:8]}")
    dead = Queue(root("sqs"), f"dlq-{uuid.uuid4().hex[:8]}")
    arn = role(root("iam"), service, allow)
    schedule_now(
        root("scheduler"),
        {"Arn": queue.arn, "RoleArn": arn, "Input": "refused", "DeadLetterConfig": {"Arn": dead.arn}},
    )
    messages = dead.messages(1, timeout=6, MessageAttributeNames=["All"])
    assert [m["Body"] for m in messages] == ["refused"]
    assert messages[0]["MessageAttributes"]["ERROR_CODE"]["StringValue"] == code
    assert queue.messages(1, timeout=0.5) == []
