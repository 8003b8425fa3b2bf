"""EventBridge Scheduler fixtures: clients, unique names, queues a test reads back, and a server
whose schedule clock runs fast."""

from __future__ import annotations

import io
import uuid
import zipfile

import boto3
import pytest

from tests.conftest import Server
from tests.integration.events.conftest import Queue

ROLE = "arn:aws:iam::000000000000:role/scheduler-role"
#: One schedule minute in half a real second.
FAST = {"OVERCAST_SCHEDULE_SPEED": "120"}


def clients(server: Server):
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    return lambda service: session.client(service, endpoint_url=server.endpoint)


@pytest.fixture(scope="session")
def scheduler(client):
    return client("scheduler")


@pytest.fixture(scope="session")
def sqs(client):
    return client("sqs")


@pytest.fixture
def name() -> str:
    return f"s-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def fast():
    """A server of this module's own, its schedule clock 120 times the wall clock."""
    instance = Server("--ephemeral", "--quiet", env=FAST)
    yield clients(instance)
    instance.stop()


@pytest.fixture
def make_queue():
    return lambda sqs, fifo=False: Queue(sqs, f"q-{uuid.uuid4().hex[:10]}", fifo)


def zip_bytes(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return buffer.getvalue()
