"""On a server started with --enforce-iam, a schedule's target is invoked as its execution role:
the role must trust scheduler.amazonaws.com and its policies must allow the call."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError

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
    ("service", "allow"),
    [
        ("scheduler.amazonaws.com", "sns:Publish"),  # may neither send the message nor the dead letter
        ("lambda.amazonaws.com", "sqs:SendMessage"),  # not assumable by the Scheduler at all
    ],
)
def test_a_role_that_may_not_delivers_nothing(root, service, allow):
    queue = Queue(root("sqs"), f"q-{uuid.uuid4().hex[:8]}")
    dead = Queue(root("sqs"), f"dlq-{uuid.uuid4().hex[:8]}")
    arn = role(root("iam"), service, allow)
    schedule_now(
        root("scheduler"),
        {"Arn": queue.arn, "RoleArn": arn, "Input": "refused", "DeadLetterConfig": {"Arn": dead.arn}},
    )
    assert dead.messages(1, timeout=3) == []  # dead letters are sent as the role too: lost
    assert queue.messages(1, timeout=0.5) == []


def test_a_refused_call_is_dead_lettered_as_the_role(root):
    queue = Queue(root("sqs"), f"q-{uuid.uuid4().hex[:8]}")
    dead = Queue(root("sqs"), f"dlq-{uuid.uuid4().hex[:8]}")
    # The role may send to the dead-letter queue only.
    arn = role(root("iam"), "scheduler.amazonaws.com", None)
    document = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": dead.arn}]}  # fmt: skip
    root("iam").put_role_policy(
        RoleName=arn.rsplit("/", 1)[1], PolicyName="dlq", PolicyDocument=json.dumps(document)
    )
    schedule_now(
        root("scheduler"),
        {"Arn": queue.arn, "RoleArn": arn, "Input": "refused", "DeadLetterConfig": {"Arn": dead.arn}},
    )
    messages = dead.messages(1, timeout=6, MessageAttributeNames=["All"])
    assert [m["Body"] for m in messages] == ["refused"]
    assert messages[0]["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "AccessDenied"  # SQS's word
    assert queue.messages(1, timeout=0.5) == []


def user_client(root, enforced, actions: list[str]):
    iam = root("iam")
    name = f"u-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
    }
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(document))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    session = boto3.session.Session(
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        region_name="us-east-1",
    )
    return session.client("scheduler", endpoint_url=enforced.endpoint)


def test_creating_a_schedule_needs_pass_role_on_its_role(root, enforced):
    arn = role(root("iam"), "scheduler.amazonaws.com", "sqs:SendMessage")
    target = {"Arn": "arn:aws:sqs:us-east-1:000000000000:anywhere", "RoleArn": arn}
    without = user_client(root, enforced, ["scheduler:*"])
    with pytest.raises(ClientError) as refused:
        without.create_schedule(
            Name="no-pass", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow=OFF, Target=target
        )
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "iam:PassRole" in refused.value.response["Error"]["Message"]
    allowed = user_client(root, enforced, ["scheduler:*", "iam:PassRole"])
    created = allowed.create_schedule(
        Name="with-pass", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow=OFF, Target=target
    )
    assert created["ScheduleArn"].endswith("schedule/default/with-pass")
    reader = user_client(root, enforced, ["scheduler:GetSchedule"])
    assert reader.get_schedule(Name="with-pass")["Target"]["RoleArn"] == arn
    with pytest.raises(ClientError) as refused:
        reader.delete_schedule(Name="with-pass")
    assert "scheduler:DeleteSchedule" in refused.value.response["Error"]["Message"]
    assert "schedule/default/with-pass" in refused.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("allow", "delivered"), [(["sqs:SendMessage", "kms:Decrypt"], True), ("sqs:SendMessage", False)]
)
def test_an_input_sealed_with_a_customer_key_needs_kms_decrypt(root, allow, delivered):
    queue = Queue(root("sqs"), f"q-{uuid.uuid4().hex[:8]}")
    dead = Queue(root("sqs"), f"dlq-{uuid.uuid4().hex[:8]}")
    key = root("kms").create_key()["KeyMetadata"]["Arn"]
    arn = role(root("iam"), "scheduler.amazonaws.com", allow)
    moment = datetime.now(UTC) + timedelta(seconds=1)
    root("scheduler").create_schedule(
        Name=f"s-{uuid.uuid4().hex[:8]}", ScheduleExpression=f"at({moment.strftime('%Y-%m-%dT%H:%M:%S')})",
        FlexibleTimeWindow=OFF, KmsKeyArn=key,
        Target={"Arn": queue.arn, "RoleArn": arn, "Input": "sealed", "DeadLetterConfig": {"Arn": dead.arn}},
    )  # fmt: skip
    if delivered:
        assert [m["Body"] for m in queue.messages(1, timeout=6)] == ["sealed"]
    else:
        messages = dead.messages(1, timeout=6, MessageAttributeNames=["All"])
        assert (
            messages
            and messages[0]["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "AccessDeniedException"
        )
        assert "kms:Decrypt" in messages[0]["MessageAttributes"]["ERROR_MESSAGE"]["StringValue"]
