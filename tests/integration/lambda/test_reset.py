"""After /_overcast/state/reset, Lambda's background work of the old state ends: code being
unpacked for deleted functions is dropped quietly and the old mappings stop polling."""

from __future__ import annotations

import io
import time
import urllib.request
import zipfile

import boto3

from tests.conftest import Server

from .helpers import ROLE, unique


def reset(endpoint: str) -> None:
    request = urllib.request.Request(f"{endpoint}/_overcast/state/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def big_package() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
        for i in range(300):
            archive.writestr(f"pad/f{i}.py", "x = 1\n" * 500)
    return buffer.getvalue()


def test_reset_ends_the_old_state_work():
    server = Server("--ephemeral")
    try:
        session = boto3.session.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
        )
        lam = session.client("lambda", endpoint_url=server.endpoint)
        sqs = session.client("sqs", endpoint_url=server.endpoint)
        package = big_package()
        for _ in range(4):
            lam.create_function(
                FunctionName=unique("fn"),
                Runtime="python3.12",
                Role=ROLE,
                Handler="handler.handler",
                Code={"ZipFile": package},
            )
            reset(server.endpoint)

        name = unique("fn")
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=ROLE,
            Handler="handler.handler",
            Code={"ZipFile": package},
        )
        queue = unique("q")
        url = sqs.create_queue(QueueName=queue)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name)
        time.sleep(0.5)
        reset(server.endpoint)
        # The same queue again, in the new state: no poller of the old mapping may take from it.
        url = sqs.create_queue(QueueName=queue)["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="stays")
        time.sleep(2)
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["ApproximateNumberOfMessages"] == "1"
    finally:
        output = server.stop()
    assert "FileNotFoundError" not in output
    assert "Traceback" not in output
