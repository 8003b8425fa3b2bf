"""FIFO queues: group order, one in-flight batch per group, deduplication, sequence numbers,
receive attempts and the high-throughput attributes."""

from __future__ import annotations

import hashlib
import time

import pytest
from botocore.exceptions import ClientError

from tests.integration.sqs.conftest import unique
from tests.integration.sqs.test_queues import error_of


def fifo(sqs, **attributes) -> str:
    return sqs.create_queue(QueueName=unique("f") + ".fifo", Attributes={"FifoQueue": "true", **attributes})[
        "QueueUrl"
    ]


def test_group_order_and_one_batch_in_flight_per_group(any_sqs):
    url = fifo(any_sqs, ContentBasedDeduplication="true")
    for i in range(4):
        any_sqs.send_message(QueueUrl=url, MessageBody=f"a{i}", MessageGroupId="A")
    any_sqs.send_message(QueueUrl=url, MessageBody="b0", MessageGroupId="B")
    first = any_sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
    assert [m["Body"] for m in first] == ["a0", "a1"]
    # Group A has a batch in flight: only group B can be received now.
    second = any_sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in second] == ["b0"]
    assert "Messages" not in any_sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    for message in first:
        any_sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    third = any_sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in third] == ["a2", "a3"]


def test_expired_batch_comes_back_first_in_order(sqs):
    url = fifo(sqs, ContentBasedDeduplication="true")
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}", MessageGroupId="g")
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=1)
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=5)["Messages"]
    assert [m["Body"] for m in again] == ["m0", "m1", "m2"]


def test_content_based_and_explicit_deduplication(any_sqs):
    url = fifo(any_sqs, ContentBasedDeduplication="true")
    one = any_sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    two = any_sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    assert one["MessageId"] == two["MessageId"] and one["SequenceNumber"] == two["SequenceNumber"]
    three = any_sqs.send_message(
        QueueUrl=url, MessageBody="same", MessageGroupId="g", MessageDeduplicationId="other"
    )
    assert three["MessageId"] != one["MessageId"]
    assert int(three["SequenceNumber"]) > int(one["SequenceNumber"])
    assert len(three["SequenceNumber"]) == 20
    messages = any_sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])[
        "Messages"
    ]
    assert [m["MessageId"] for m in messages] == [one["MessageId"], three["MessageId"]]
    attributes = messages[0]["Attributes"]
    assert attributes["MessageGroupId"] == "g"
    assert attributes["MessageDeduplicationId"] == hashlib.sha256(b"same").hexdigest()
    assert attributes["SequenceNumber"] == one["SequenceNumber"]
    assert messages[1]["Attributes"]["MessageDeduplicationId"] == "other"
    # Deleting does not end the deduplication window.
    for message in messages:
        any_sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    any_sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    assert "Messages" not in any_sqs.receive_message(QueueUrl=url)


def test_deduplication_scope_per_message_group(sqs):
    per_queue = fifo(sqs)
    per_group = fifo(sqs, DeduplicationScope="messageGroup", FifoThroughputLimit="perMessageGroupId")
    for url, expected in ((per_queue, 1), (per_group, 2)):
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g1", MessageDeduplicationId="d")
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g2", MessageDeduplicationId="d")
        count = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        assert count["Attributes"]["ApproximateNumberOfMessages"] == str(expected)
    attributes = sqs.get_queue_attributes(QueueUrl=per_group, AttributeNames=["All"])["Attributes"]
    assert attributes["DeduplicationScope"] == "messageGroup"
    assert attributes["FifoThroughputLimit"] == "perMessageGroupId"
    sqs.set_queue_attributes(QueueUrl=per_group, Attributes={"FifoThroughputLimit": "perQueue"})
    with pytest.raises(ClientError) as excinfo:
        sqs.set_queue_attributes(QueueUrl=per_group, Attributes={"FifoThroughputLimit": "fast"})
    assert error_of(excinfo)[0] == "InvalidAttributeValue"
    with pytest.raises(ClientError) as excinfo:
        sqs.set_queue_attributes(QueueUrl=per_group, Attributes={"FifoQueue": "false"})
    assert error_of(excinfo) == (
        "InvalidAttributeValue", "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.",
        400,
    )  # fmt: skip


def test_a_changed_deduplication_scope_is_reported_but_deduplication_keeps_the_first(sqs):
    # AWS recorded: after SetQueueAttributes changes DeduplicationScope the queue reports the new
    # scope, yet deduplicates as it did when it was created, for old and new ids alike.
    def send(url: str, body: str, group: str, dedup: str) -> None:
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=dedup)

    def bodies(url: str) -> list[str]:
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        for message in received:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return sorted(message["Body"] for message in received)

    per_queue = fifo(sqs, DeduplicationScope="queue")
    send(per_queue, "1", "g1", "same")
    send(per_queue, "2", "g2", "same")
    assert bodies(per_queue) == ["1"]
    high = {"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}
    sqs.set_queue_attributes(QueueUrl=per_queue, Attributes=high)
    attributes = sqs.get_queue_attributes(QueueUrl=per_queue, AttributeNames=["All"])["Attributes"]
    assert attributes["DeduplicationScope"] == "messageGroup"
    send(per_queue, "3", "g3", "same")
    send(per_queue, "4", "g4", "new")
    assert bodies(per_queue) == ["4"]
    send(per_queue, "5", "g5", "new")
    assert bodies(per_queue) == []

    per_group = fifo(sqs, **high)
    send(per_group, "1", "g1", "same")
    send(per_group, "2", "g2", "same")
    assert bodies(per_group) == ["1", "2"]
    sqs.set_queue_attributes(
        QueueUrl=per_group, Attributes={"DeduplicationScope": "queue", "FifoThroughputLimit": "perQueue"}
    )
    send(per_group, "3", "g3", "same")
    assert bodies(per_group) == ["3"]


def test_fifo_send_errors(any_sqs):
    url = fifo(any_sqs)
    with pytest.raises(ClientError) as excinfo:
        any_sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    assert error_of(excinfo) == (
        "MissingParameter",
        "The request must contain the parameter MessageGroupId.",
        400,
    )
    with pytest.raises(ClientError) as excinfo:
        any_sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    assert error_of(excinfo) == (
        "InvalidParameterValue",
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
        400,
    )
    with pytest.raises(ClientError) as excinfo:
        any_sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d",
                             DelaySeconds=2)  # fmt: skip
    assert error_of(excinfo) == (
        "InvalidParameterValue",
        "Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for"
        " this queue type.",
        400,
    )
    with pytest.raises(ClientError) as excinfo:
        any_sqs.send_message(
            QueueUrl=url, MessageBody="x", MessageGroupId="group 123", MessageDeduplicationId="d"
        )
    assert error_of(excinfo)[1] == (
        "Value group 123 for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric"
        " and punctuation characters. 1 to 128 in length."
    )
    with pytest.raises(ClientError) as excinfo:
        any_sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "x", "MessageDeduplicationId": "d"}]
        )
    assert error_of(excinfo) == (
        "InvalidParameterValue",
        "The request must contain the parameter MessageGroupId.",
        400,
    )


def test_delete_with_expired_receipt_handle(sqs):
    url = fifo(sqs, ContentBasedDeduplication="true", VisibilityTimeout="1")
    sqs.send_message(QueueUrl=url, MessageBody="g1-m1", MessageGroupId="1")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    time.sleep(1.2)
    with pytest.raises(ClientError) as excinfo:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    assert error_of(excinfo) == (
        "InvalidParameterValue", f"Value {handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.",
        400,
    )  # fmt: skip


def test_receive_request_attempt_id_returns_the_same_batch(sqs):
    url = fifo(sqs, ContentBasedDeduplication="true")
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}", MessageGroupId="g")
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="attempt-1")[
        "Messages"
    ]
    retry = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="attempt-1")[
        "Messages"
    ]
    assert [(m["MessageId"], m["ReceiptHandle"]) for m in retry] == [
        (m["MessageId"], m["ReceiptHandle"]) for m in first
    ]
    for message in first:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    after = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="attempt-1")[
        "Messages"
    ]
    assert [m["Body"] for m in after] == ["m2"]


def bodies(response) -> list[str]:
    return [m["Body"] for m in response.get("Messages", [])]


def test_a_group_is_available_as_soon_as_its_head_is_visible(sqs):
    """As AWS behaves (recorded): a group hands out its visible head even while a later message
    of it is still in flight, and stops at that message."""
    queue = fifo(sqs, ContentBasedDeduplication="true", VisibilityTimeout="30")
    for body, group in (("g1-m1", "g1"), ("g1-m2", "g1"), ("g2-m1", "g2")):
        sqs.send_message(QueueUrl=queue, MessageBody=body, MessageGroupId=group)
    first = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=2)["Messages"]
    assert [m["Body"] for m in first] == ["g1-m1", "g1-m2"]
    sqs.change_message_visibility(
        QueueUrl=queue, ReceiptHandle=first[0]["ReceiptHandle"], VisibilityTimeout=0
    )
    assert bodies(sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=3)) == ["g2-m1", "g1-m1"]


def test_groups_freed_together_come_back_in_order(sqs):
    queue = fifo(sqs, ContentBasedDeduplication="true")
    for body in ("g1-m1", "g2-m1", "g2-m2", "g3-m1", "g1-m2"):
        sqs.send_message(QueueUrl=queue, MessageBody=body, MessageGroupId=body[:2])
    taken = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=3, VisibilityTimeout=0)
    assert bodies(taken) == ["g1-m1", "g1-m2", "g2-m1"]
    again = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=0)
    assert bodies(again) == ["g3-m1", "g1-m1", "g1-m2", "g2-m1", "g2-m2"]


def test_purge_ends_the_deduplication_window(sqs):
    queue = fifo(sqs)
    sqs.send_message(QueueUrl=queue, MessageBody="one", MessageGroupId="g", MessageDeduplicationId="d")
    sqs.purge_queue(QueueUrl=queue)
    sqs.send_message(QueueUrl=queue, MessageBody="two", MessageGroupId="g", MessageDeduplicationId="d")
    assert bodies(sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)) == ["two"]
