"""After /_overcast/state/reset, SQS's background work of the old state stops: a long poll
waiting on an old queue answers at once (empty) and takes nothing of the new state, and a
delayed message of the old state never appears."""

from __future__ import annotations

import json
import threading
import time
import urllib.request

import boto3
import pytest

from tests.conftest import Server


@pytest.fixture(scope="module")
def own_server():
    server = Server("--ephemeral", "--quiet")  # a reset must not take the other tests' state
    yield server
    server.stop()


@pytest.fixture
def sqs(own_server):
    return boto3.client("sqs", endpoint_url=own_server.endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip


def _reset(server: Server) -> None:
    request = urllib.request.Request(
        f"{server.endpoint}/_overcast/state/reset",
        method="POST",
        data=b"",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_reset_ends_long_polls_of_the_old_state(own_server, sqs):
    url = sqs.create_queue(QueueName="polled")["QueueUrl"]
    outcome: dict = {}

    def poll() -> None:
        started = time.monotonic()
        outcome["answer"] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20)
        outcome["seconds"] = time.monotonic() - started

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.5)  # the poll is waiting
    _reset(own_server)
    # The same name in the new state, with a message: the old poll must not take it.
    url = sqs.create_queue(QueueName="polled")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="of the new state")
    poller.join(timeout=25)
    assert not poller.is_alive()
    assert "Messages" not in outcome["answer"]
    assert outcome["seconds"] < 5
    [message] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert message["Body"] == "of the new state"


def test_reset_drops_delayed_messages_of_the_old_state(own_server, sqs):
    url = sqs.create_queue(QueueName="delayed")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="old", DelaySeconds=1)
    _reset(own_server)
    url = sqs.create_queue(QueueName="delayed", Attributes={"ReceiveMessageWaitTimeSeconds": "3"})["QueueUrl"]
    # Waiting past the old message's delay: nothing of the old state becomes visible.
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=3)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "0"


def test_reset_stops_message_move_tasks_of_the_old_state(own_server, sqs):
    def queues():
        dlq = sqs.create_queue(QueueName="moved-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        target = sqs.create_queue(QueueName="moved-target")["QueueUrl"]
        target_arn = sqs.get_queue_attributes(QueueUrl=target, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
        sqs.create_queue(QueueName="moved-source", Attributes={"RedrivePolicy": redrive})
        return dlq, dlq_arn, target, target_arn

    dlq, dlq_arn, _, target_arn = queues()
    for i in range(20):
        sqs.send_message(QueueUrl=dlq, MessageBody=f"old {i}")
    sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=target_arn, MaxNumberOfMessagesPerSecond=2)
    time.sleep(0.3)
    _reset(own_server)
    # The same queues in the new state: the old task must not move their messages.
    dlq, dlq_arn, target, _ = queues()
    for i in range(5):
        sqs.send_message(QueueUrl=dlq, MessageBody=f"new {i}")
    time.sleep(2)
    counts = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
    assert counts["Attributes"]["ApproximateNumberOfMessages"] == "5"
    assert "Messages" not in sqs.receive_message(QueueUrl=target)
    assert sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"] == []
