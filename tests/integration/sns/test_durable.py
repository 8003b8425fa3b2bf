"""Topics, subscriptions (with their policies and pending tokens) and the signing certificate
survive a kill -9 of a durable Overcast."""

from __future__ import annotations

import json
import urllib.request

import boto3

from tests.conftest import Server
from tests.integration.sns.conftest import Queue


def clients(server: Server):
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    return session.client("sns", endpoint_url=server.endpoint), session.client(
        "sqs", endpoint_url=server.endpoint
    )


def test_state_and_certificate_survive_kill(tmp_path):
    server = Server("--data-dir", str(tmp_path), "--quiet")
    try:
        sns, sqs = clients(server)
        topic = sns.create_topic(Name="durable", Attributes={"DisplayName": "D"},
                                 Tags=[{"Key": "k", "Value": "v"}])["TopicArn"]  # fmt: skip
        q = Queue(sqs)
        subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q.arn, Attributes={
            "FilterPolicy": json.dumps({"kind": ["keep"]}), "RawMessageDelivery": "false",
        })["SubscriptionArn"]  # fmt: skip
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@example.com")
        sns.publish(TopicArn=topic, Message="before",
                    MessageAttributes={"kind": {"DataType": "String", "StringValue": "keep"}})  # fmt: skip
        (before,) = q.bodies()
        with urllib.request.urlopen(before["SigningCertURL"], timeout=5) as response:
            certificate = response.read()
    finally:
        server.stop(kill=True)

    server = Server("--data-dir", str(tmp_path), "--quiet")
    try:
        sns, sqs = clients(server)
        assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["DisplayName"] == "D"
        assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == [{"Key": "k", "Value": "v"}]
        listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        assert sorted(s["SubscriptionArn"] for s in listed) == sorted([subscription, "PendingConfirmation"])
        attributes = sns.get_subscription_attributes(SubscriptionArn=subscription)["Attributes"]
        assert json.loads(attributes["FilterPolicy"]) == {"kind": ["keep"]}
        q.sqs = sqs
        sns.publish(TopicArn=topic, Message="dropped by the filter")
        sns.publish(TopicArn=topic, Message="after",
                    MessageAttributes={"kind": {"DataType": "String", "StringValue": "keep"}})  # fmt: skip
        (after,) = q.bodies()
        assert after["Message"] == "after"
        assert after["SigningCertURL"].rsplit("/", 1)[1] == before["SigningCertURL"].rsplit("/", 1)[1]
        with urllib.request.urlopen(after["SigningCertURL"], timeout=5) as response:
            assert response.read() == certificate
    finally:
        server.stop()
