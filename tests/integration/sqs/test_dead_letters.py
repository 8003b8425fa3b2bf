"""Dead-letter queues: redrive after maxReceiveCount, RedrivePolicy and RedriveAllowPolicy
validation, ListDeadLetterSourceQueues, and message move tasks."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from tests.integration.sqs.conftest import unique
from tests.integration.sqs.test_queues import error_of


def arn_of(sqs, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def queue_with_dlq(sqs, max_receive_count=2, fifo=False):
    suffix = ".fifo" if fifo else ""
    extra = {"FifoQueue": "true", "ContentBasedDeduplication": "true"} if fifo else {}
    dlq = sqs.create_queue(QueueName=unique("dlq") + suffix, Attributes=extra)["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": str(max_receive_count)})
    source = sqs.create_queue(QueueName=unique("src") + suffix, Attributes={**extra, "RedrivePolicy": policy})
    return source["QueueUrl"], dlq


def test_message_moves_after_max_receive_count(any_sqs):
    source, dlq = queue_with_dlq(any_sqs, max_receive_count=2)
    sent = any_sqs.send_message(QueueUrl=source, MessageBody="poison",
                                MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})  # fmt: skip
    for attempt in (1, 2):
        message = any_sqs.receive_message(QueueUrl=source, VisibilityTimeout=0, AttributeNames=["All"])[
            "Messages"
        ][0]
        assert message["Attributes"]["ApproximateReceiveCount"] == str(attempt)
    assert "Messages" not in any_sqs.receive_message(QueueUrl=source)
    moved = any_sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"], MessageAttributeNames=["All"])[
        "Messages"
    ][0]
    assert moved["MessageId"] == sent["MessageId"]
    assert moved["Body"] == "poison"
    assert moved["MessageAttributes"] == {"k": {"DataType": "String", "StringValue": "v"}}
    assert moved["Attributes"]["DeadLetterQueueSourceArn"] == arn_of(any_sqs, source)
    # The count goes on from the source queue's (AWS's recorded answer: 2 after one receive
    # from a queue with maxReceiveCount 1).
    assert moved["Attributes"]["ApproximateReceiveCount"] == "3"


def test_fifo_dead_letter_queue(sqs):
    source, dlq = queue_with_dlq(sqs, max_receive_count=1, fifo=True)
    sqs.send_message(QueueUrl=source, MessageBody="first", MessageGroupId="g")
    sqs.send_message(QueueUrl=source, MessageBody="second", MessageGroupId="g")
    assert sqs.receive_message(QueueUrl=source, VisibilityTimeout=0)["Messages"][0]["Body"] == "first"
    # "first" was received once: it goes to the DLQ and the group moves on to "second".
    assert sqs.receive_message(QueueUrl=source)["Messages"][0]["Body"] == "second"
    moved = sqs.receive_message(QueueUrl=dlq, AttributeNames=["MessageGroupId"])["Messages"][0]
    assert moved["Body"] == "first" and moved["Attributes"]["MessageGroupId"] == "g"


@pytest.mark.parametrize(
    "policy, code, reason",
    [
        ("{not json", "InvalidAttributeValue", None),
        (json.dumps({"maxReceiveCount": "3"}), "InvalidParameterValue",
         "Redrive policy does not contain mandatory attribute: deadLetterTargetArn."),
        (json.dumps({"deadLetterTargetArn": "DLQ"}), "InvalidParameterValue",
         "Redrive policy does not contain mandatory attribute: maxReceiveCount."),
        # Wrongly capitalised keys: AWS names the missing maxReceiveCount (recorded from AWS).
        (json.dumps({"MaxReceiveCount": "4", "DeadLetterTargetArn": "DLQ"}), "InvalidParameterValue",
         "Redrive policy does not contain mandatory attribute: maxReceiveCount."),
        (json.dumps({"deadLetterTargetArn": "DLQ", "maxReceiveCount": "invalid"}), "InvalidParameterValue",
         "Invalid value for maxReceiveCount: invalid, valid values are from 1 to 1000 both inclusive."),
        (json.dumps({"deadLetterTargetArn": "DLQ", "maxReceiveCount": 1001}), "InvalidParameterValue",
         "Invalid value for maxReceiveCount: 1001, valid values are from 1 to 1000 both inclusive."),
        (json.dumps({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:missing-dlq", "maxReceiveCount": 1}),
         "InvalidParameterValue", "Dead-letter target does not exist."),
    ],
)  # fmt: skip
def test_bad_redrive_policies(any_sqs, queue, policy, code, reason):
    dlq = any_sqs.create_queue(QueueName=unique("dlq"))["QueueUrl"]
    policy = policy.replace('"DLQ"', json.dumps(arn_of(any_sqs, dlq)))
    with pytest.raises(ClientError) as excinfo:
        any_sqs.set_queue_attributes(QueueUrl=queue, Attributes={"RedrivePolicy": policy})
    got_code, message, status = error_of(excinfo)
    assert (got_code, status) == (code, 400)
    if reason is None:
        assert message == "Invalid value for the parameter RedrivePolicy."
    else:
        assert message == f"Value {policy} for parameter RedrivePolicy is invalid. Reason: {reason}"


def test_redrive_allow_policy(sqs):
    dlq = sqs.create_queue(QueueName=unique("dlq"))["QueueUrl"]
    dlq_arn = arn_of(sqs, dlq)
    allowed = sqs.create_queue(QueueName=unique("allowed"))["QueueUrl"]
    other = sqs.create_queue(QueueName=unique("other"))["QueueUrl"]
    sqs.set_queue_attributes(
        QueueUrl=dlq,
        Attributes={"RedriveAllowPolicy": json.dumps({"redrivePermission": "byQueue",
                                                      "sourceQueueArns": [arn_of(sqs, allowed)]})},
    )  # fmt: skip
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5})
    sqs.set_queue_attributes(QueueUrl=allowed, Attributes={"RedrivePolicy": policy})
    with pytest.raises(ClientError) as excinfo:
        sqs.set_queue_attributes(QueueUrl=other, Attributes={"RedrivePolicy": policy})
    assert error_of(excinfo)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as excinfo:
        sqs.set_queue_attributes(
            QueueUrl=dlq, Attributes={"RedriveAllowPolicy": json.dumps({"redrivePermission": "some"})}
        )
    assert error_of(excinfo)[0] == "InvalidParameterValue"
    stored = sqs.get_queue_attributes(QueueUrl=allowed, AttributeNames=["RedrivePolicy"])["Attributes"][
        "RedrivePolicy"
    ]
    assert json.loads(stored) == json.loads(policy)
    sqs.set_queue_attributes(QueueUrl=allowed, Attributes={"RedrivePolicy": ""})
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=allowed, AttributeNames=["RedrivePolicy"])


def test_list_dead_letter_source_queues(any_sqs):
    dlq = any_sqs.create_queue(QueueName=unique("dlq"))["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": arn_of(any_sqs, dlq), "maxReceiveCount": 3})
    sources = sorted(
        any_sqs.create_queue(QueueName=unique("s"), Attributes={"RedrivePolicy": policy})["QueueUrl"]
        for _ in range(3)
    )
    assert sorted(any_sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"]) == sources
    first = any_sqs.list_dead_letter_source_queues(QueueUrl=dlq, MaxResults=2)
    rest = any_sqs.list_dead_letter_source_queues(QueueUrl=dlq, MaxResults=2, NextToken=first["NextToken"])
    assert sorted(first["queueUrls"] + rest["queueUrls"]) == sources and "NextToken" not in rest
    assert any_sqs.list_dead_letter_source_queues(QueueUrl=sources[0]).get("queueUrls", []) == []


def wait_for_task(sqs, dlq_arn: str, status: str = "COMPLETED") -> dict:
    deadline = time.monotonic() + 10
    while True:
        task = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]
        if task["Status"] == status or time.monotonic() > deadline:
            return task
        time.sleep(0.05)


def test_message_move_task_redrives_back_to_source(any_sqs):
    source, dlq = queue_with_dlq(any_sqs, max_receive_count=1)
    for i in range(3):
        any_sqs.send_message(QueueUrl=source, MessageBody=f"m{i}")
    for _ in range(3):
        any_sqs.receive_message(QueueUrl=source, VisibilityTimeout=0)
    assert "Messages" not in any_sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10)
    dlq_arn = arn_of(any_sqs, dlq)
    handle = any_sqs.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]
    assert handle
    task = wait_for_task(any_sqs, dlq_arn)
    assert task["Status"] == "COMPLETED"
    assert task["ApproximateNumberOfMessagesMoved"] == 3
    assert task["ApproximateNumberOfMessagesToMove"] == 3
    assert task["SourceArn"] == dlq_arn and "TaskHandle" not in task
    bodies = sorted(
        m["Body"] for m in any_sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10)["Messages"]
    )
    assert bodies == ["m0", "m1", "m2"]


def test_message_move_task_to_destination_with_rate_and_cancel(any_sqs):
    sqs = any_sqs
    _source, dlq = queue_with_dlq(sqs, max_receive_count=1)
    destination = sqs.create_queue(QueueName=unique("dest"))["QueueUrl"]
    sqs.send_message_batch(QueueUrl=dlq, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(10)])
    dlq_arn = arn_of(sqs, dlq)
    handle = sqs.start_message_move_task(
        SourceArn=dlq_arn, DestinationArn=arn_of(sqs, destination), MaxNumberOfMessagesPerSecond=5
    )["TaskHandle"]
    with pytest.raises(ClientError) as excinfo:
        sqs.start_message_move_task(SourceArn=dlq_arn)
    assert error_of(excinfo)[1] == (
        "There is already a task running. Only one active task is allowed for a source queue arn at a given time."
    )
    running = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]
    assert running["Status"] == "RUNNING" and running["TaskHandle"] == handle
    assert running["MaxNumberOfMessagesPerSecond"] == 5
    time.sleep(0.5)
    moved = sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]
    assert 1 <= moved < 10
    task = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]
    assert task["Status"] == "CANCELLED"
    count = sqs.get_queue_attributes(QueueUrl=destination, AttributeNames=["ApproximateNumberOfMessages"])
    assert int(count["Attributes"]["ApproximateNumberOfMessages"]) == task["ApproximateNumberOfMessagesMoved"]
    with pytest.raises(ClientError) as excinfo:
        sqs.start_message_move_task(SourceArn=arn_of(sqs, destination))
    assert error_of(excinfo) == (
        "InvalidParameterValue",
        "Source queue must be configured as a Dead Letter Queue.",
        400,
    )
    with pytest.raises(ClientError) as excinfo:
        sqs.start_message_move_task(SourceArn="arn:aws:sqs:us-east-1:000000000000:no-such-queue")
    assert error_of(excinfo)[2] == 404


def test_fifo_batch_after_head_goes_to_dead_letter_queue(sqs):
    source, dlq = queue_with_dlq(sqs, max_receive_count=1, fifo=True)
    for body in ("m1", "m2", "m3"):
        sqs.send_message(QueueUrl=source, MessageBody=body, MessageGroupId="g")
    first = sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=1, VisibilityTimeout=0)["Messages"]
    assert [m["Body"] for m in first] == ["m1"]
    # m1 was received once already: it moves, and the batch holds each of the rest once.
    rest = sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in rest] == ["m2", "m3"]
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]] == [
        "m1"
    ]
