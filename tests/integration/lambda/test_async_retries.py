"""Asynchronous invocation retries on their own server, where AWS's one- and two-minute
waits between attempts are shortened (OVERCAST_LAMBDA_ASYNC_RETRY_SECONDS)."""

from __future__ import annotations

import json
import time

import boto3
import pytest

from tests.conftest import Server

from .helpers import create, unique


@pytest.fixture(scope="module")
def fast_retries():
    server = Server("--ephemeral", "--quiet", env={"OVERCAST_LAMBDA_ASYNC_RETRY_SECONDS": "0.2"})
    yield server
    server.stop()


def test_event_invoke_is_retried_twice_then_dead_lettered(fast_retries):
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    lam = session.client("lambda", endpoint_url=fast_retries.endpoint)
    sqs = session.client("sqs", endpoint_url=fast_retries.endpoint)
    logs = session.client("logs", endpoint_url=fast_retries.endpoint)
    dlq = sqs.create_queue(QueueName=unique("dlq"))["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    name = create(
        lam,
        "def handler(event, context):\n    print('ATTEMPT')\n    raise ValueError('nope')\n",
        DeadLetterConfig={"TargetArn": dlq_arn},
    )
    assert lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"id": 1}')["StatusCode"] == 202
    message = None
    for _ in range(200):
        messages = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"]).get("Messages", [])
        if messages:
            message = messages[0]
            break
        time.sleep(0.05)
    assert message is not None
    assert json.loads(message["Body"]) == {"id": 1}
    assert message["MessageAttributes"]["ErrorMessage"]["StringValue"] == "nope"
    assert len(message["MessageAttributes"]["RequestID"]["StringValue"]) == 36
    attempts = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", filterPattern="ATTEMPT")["events"]
    assert len(attempts) == 3  # the first attempt and AWS's two retries
