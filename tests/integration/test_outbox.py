"""Deliveries between services survive a kill -9: each test kills a durable Overcast while a
delivery is pending (waiting for a retry, or held by OVERCAST_DELIVERY_HOLD_SECONDS between
the write and its first attempt), restarts it on the same data dir, and sees it arrive."""

from __future__ import annotations

import json
import time

import boto3
import pytest

from tests.conftest import Server
from tests.integration.sns.conftest import Endpoint, Queue

HOLD = {"OVERCAST_DELIVERY_HOLD_SECONDS": "3"}


def client(server: Server, service: str):
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    return session.client(service, endpoint_url=server.endpoint)


@pytest.fixture
def endpoint():
    http = Endpoint()
    yield http
    http.close()


def test_sns_http_retry_survives_a_kill(tmp_path, endpoint):
    server = Server("--data-dir", str(tmp_path), "--quiet")
    try:
        sns = client(server, "sns")
        topic = sns.create_topic(Name="retried")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url + "/hook")
        confirmation = json.loads(endpoint.next()[2])
        subscription = sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])[
            "SubscriptionArn"
        ]
        policy = {"healthyRetryPolicy": {"numRetries": 3, "minDelayTarget": 4, "maxDelayTarget": 4}}
        sns.set_subscription_attributes(
            SubscriptionArn=subscription, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(policy)
        )
        endpoint.statuses["/hook"] = 500
        sns.publish(TopicArn=topic, Message="after a crash", Subject="S")
        _path, _headers, body = endpoint.next()  # the first attempt, answered 500
        first_attempt = time.monotonic()
        assert json.loads(body)["Message"] == "after a crash"
        time.sleep(1)  # Overcast records the failure and schedules the retry
    finally:
        server.stop(kill=True)  # during the four-second wait before the retry

    endpoint.statuses["/hook"] = 200
    server = Server("--data-dir", str(tmp_path), "--quiet")
    try:
        _path, headers, body = endpoint.next(timeout=15)
        assert time.monotonic() - first_attempt >= 3.9  # the retry kept its schedule
        envelope = json.loads(body)
        assert envelope["Message"] == "after a crash" and envelope["Subject"] == "S"
        assert headers["x-amz-sns-subscription-arn"] == subscription
        time.sleep(0.5)
        assert endpoint.requests.empty()
    finally:
        server.stop()


def test_s3_notification_to_sqs_survives_a_kill_after_put_object(tmp_path):
    server = Server("--data-dir", str(tmp_path), "--quiet", env=HOLD)
    try:
        s3, sqs = client(server, "s3"), client(server, "sqs")
        queue = Queue(sqs)
        s3.create_bucket(Bucket="outbox-bucket")
        s3.put_bucket_notification_configuration(
            Bucket="outbox-bucket",
            NotificationConfiguration={
                "QueueConfigurations": [
                    {"Id": "created", "QueueArn": queue.arn, "Events": ["s3:ObjectCreated:*"]}
                ]
            },
        )
        (test_event,) = queue.bodies()
        assert test_event["Event"] == "s3:TestEvent"
        s3.put_object(Bucket="outbox-bucket", Key="held.txt", Body=b"payload")
    finally:
        server.stop(kill=True)  # the notification is still held

    server = Server("--data-dir", str(tmp_path), "--quiet")
    try:
        queue.sqs = client(server, "sqs")
        (event,) = queue.bodies(wait=10)
        (record,) = event["Records"]
        assert record["eventName"] == "ObjectCreated:Put"
        assert record["s3"]["bucket"]["name"] == "outbox-bucket"
        assert record["s3"]["object"]["key"] == "held.txt" and record["s3"]["object"]["size"] == 7
        queue.assert_empty()
    finally:
        server.stop()


def test_sns_fan_out_to_sqs_survives_a_kill(tmp_path):
    server = Server("--data-dir", str(tmp_path), "--quiet", env=HOLD)
    try:
        sns, sqs = client(server, "sns"), client(server, "sqs")
        topic = sns.create_topic(Name="fan-out")["TopicArn"]
        queues = [Queue(sqs), Queue(sqs)]
        for queue in queues:
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue.arn)
        message_id = sns.publish(TopicArn=topic, Message="to every queue")["MessageId"]
        batch = sns.publish_batch(
            TopicArn=topic,
            PublishBatchRequestEntries=[
                {"Id": "a", "Message": "batched a"},
                {"Id": "b", "Message": "batched b"},
            ],
        )
        assert len(batch["Successful"]) == 2
    finally:
        server.stop(kill=True)  # before the fan-out

    server = Server("--data-dir", str(tmp_path), "--quiet")
    try:
        for queue in queues:
            queue.sqs = client(server, "sqs")
            envelopes = queue.bodies(count=3, wait=10)
            assert sorted(envelope["Message"] for envelope in envelopes) == [
                "batched a",
                "batched b",
                "to every queue",
            ]
            (single,) = [envelope for envelope in envelopes if envelope["Message"] == "to every queue"]
            assert single["MessageId"] == message_id and single["TopicArn"] == topic
            queue.assert_empty()
    finally:
        server.stop()
