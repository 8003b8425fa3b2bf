"""kill -9 loses no acknowledged SQS write: messages whose SendMessage answered, receives
(in-flight state and receive counts) and deletes all survive a crash of the server."""

from __future__ import annotations

import threading

import boto3
from botocore.config import Config

from tests.conftest import Server


def sqs_client(server: Server):
    return boto3.client(
        "sqs", endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="test",
        aws_secret_access_key="test", config=Config(retries={"total_max_attempts": 1}),
    )  # fmt: skip


def test_kill_9_keeps_acknowledged_messages_and_receive_state(tmp_path):
    data_dir = str(tmp_path / "data")
    server = Server("--data-dir", data_dir, "--quiet")
    try:
        sqs = sqs_client(server)
        url = sqs.create_queue(QueueName="crash")["QueueUrl"]
        fifo = sqs.create_queue(QueueName="crash.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        for i in range(6):
            sqs.send_message(QueueUrl=url, MessageBody=f"settled-{i}")
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=4, VisibilityTimeout=600)["Messages"]
        assert len(received) == 4
        sqs.delete_message(QueueUrl=url, ReceiptHandle=received[0]["ReceiptHandle"])
        fifo_sent = sqs.send_message(
            QueueUrl=fifo, MessageBody="f", MessageGroupId="g", MessageDeduplicationId="d"
        )

        # Keep sending while the server is killed: every answered send must survive.
        acknowledged: list[str] = []
        stop = threading.Event()

        def keep_sending() -> None:
            sender = sqs_client(server)
            i = 0
            while not stop.is_set():
                try:
                    acknowledged.append(
                        sender.send_message(QueueUrl=url, MessageBody=f"live-{i}")["MessageId"]
                    )
                except Exception:
                    return
                i += 1

        thread = threading.Thread(target=keep_sending)
        thread.start()
        while len(acknowledged) < 50:
            thread.join(timeout=0.01)
        server.stop(kill=True)
        stop.set()
        thread.join(timeout=30)
    finally:
        server.stop(kill=True)
    assert server.process.returncode == -9

    server = Server("--data-dir", data_dir, "--quiet")
    try:
        sqs = sqs_client(server)
        counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        # Three received messages are still in flight (600 s), the deleted one is gone.
        assert counts["ApproximateNumberOfMessagesNotVisible"] == "3"
        seen: dict[str, str] = {}
        while True:
            batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600)
            if "Messages" not in batch:
                break
            for message in batch["Messages"]:
                assert message["MessageId"] not in seen
                seen[message["MessageId"]] = message["Body"]
        missing = [mid for mid in acknowledged if mid not in seen]
        assert not missing, f"{len(missing)} acknowledged sends lost after kill -9"
        settled = {body for body in seen.values() if body.startswith("settled-")}
        assert len(settled) == 2  # 6 sent, 4 in flight (1 of them deleted)
        assert received[0]["MessageId"] not in seen
        # The in-flight messages keep their receive count across the crash.
        handle = received[1]["ReceiptHandle"]
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
        again = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"][0]
        assert again["MessageId"] == received[1]["MessageId"]
        assert again["Attributes"]["ApproximateReceiveCount"] == "2"
        # FIFO deduplication and sequence numbers survive too.
        repeat = sqs.send_message(
            QueueUrl=fifo, MessageBody="f", MessageGroupId="g", MessageDeduplicationId="d"
        )
        assert repeat["MessageId"] == fifo_sent["MessageId"]
        later = sqs.send_message(
            QueueUrl=fifo, MessageBody="f2", MessageGroupId="g", MessageDeduplicationId="d2"
        )
        assert int(later["SequenceNumber"]) > int(fifo_sent["SequenceNumber"])
    finally:
        server.stop()


def test_stopping_the_server_ends_long_polls():
    import time

    server = Server("--ephemeral", "--quiet")
    try:
        sqs = sqs_client(server)
        url = sqs.create_queue(QueueName="polled")["QueueUrl"]
        answers = []
        poller = threading.Thread(
            target=lambda: answers.append(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20))
        )
        poller.start()
        time.sleep(0.5)
        started = time.monotonic()
        server.stop()
        poller.join(timeout=30)
        # The poll answered (empty) at once instead of holding the stop for its 20 s.
        assert time.monotonic() - started < 12
        assert answers and "Messages" not in answers[0]
        assert server.process.returncode == 0
    finally:
        server.stop(kill=True)
