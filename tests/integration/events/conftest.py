"""EventBridge fixtures: clients, unique names, and a queue whose messages a test reads back."""

from __future__ import annotations

import json
import time
import uuid

import pytest


@pytest.fixture(scope="session")
def events(client):
    return client("events")


@pytest.fixture(scope="session")
def sqs(client):
    return client("sqs")


@pytest.fixture
def name() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


class Queue:
    def __init__(self, sqs, name: str, fifo: bool = False) -> None:
        attributes = {"FifoQueue": "true"} if fifo else {}
        self.sqs = sqs
        self.url = sqs.create_queue(QueueName=name + (".fifo" if fifo else ""), Attributes=attributes)[
            "QueueUrl"
        ]
        self.arn = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]

    def messages(self, count: int = 1, timeout: float = 5.0, **kwargs) -> list[dict]:
        """At least `count` messages (fewer if none come within the timeout), deleted once read."""
        found: list[dict] = []
        deadline = time.monotonic() + timeout
        while len(found) < count and time.monotonic() < deadline:
            answer = self.sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=1, **kwargs
            )
            for message in answer.get("Messages", []):
                found.append(message)
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return found

    def bodies(self, count: int = 1, timeout: float = 5.0) -> list:
        return [json.loads(message["Body"]) for message in self.messages(count, timeout)]


@pytest.fixture
def queue(sqs, name) -> Queue:
    return Queue(sqs, name)


@pytest.fixture
def make_queue(sqs):
    return lambda fifo=False: Queue(sqs, f"q-{uuid.uuid4().hex[:10]}", fifo)
