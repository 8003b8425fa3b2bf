"""SNS pieces that need no server: retry schedules, delivery policies, the string to sign,
the Lambda event shape, and the deliver() contract other services call."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from overcast.bus import DeliveryError
from overcast.config import Config
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.runtime import Runtime
from overcast.services.sns import delivery
from overcast.services.sns.signing import string_to_sign


def test_retry_schedule_phases():
    policy = {**delivery.DEFAULT_RETRY_POLICY, "numRetries": 6, "numNoDelayRetries": 1, "numMinDelayRetries": 1,
              "numMaxDelayRetries": 1, "minDelayTarget": 2, "maxDelayTarget": 20}  # fmt: skip
    delays = delivery.retry_delays(policy)
    assert len(delays) == 6
    assert delays[0] == 0 and delays[1] == 2 and delays[-1] == 20
    assert delays[2] < delays[3] < delays[4] == 20
    assert delivery.retry_delays(delivery.DEFAULT_RETRY_POLICY) == [20.0, 20.0, 20.0]


@pytest.mark.parametrize(
    "policy",
    [
        {"healthyRetryPolicy": {"numRetries": 101}},
        {"healthyRetryPolicy": {"minDelayTarget": 30, "maxDelayTarget": 20}},
        {"healthyRetryPolicy": {"numRetries": 1, "numNoDelayRetries": 2}},
        {"healthyRetryPolicy": {"backoffFunction": "cubic"}},
        {"throttlePolicy": {"maxReceivesPerSecond": 0}},
        {"nonsense": {}},
    ],
)
def test_bad_delivery_policies(policy):
    with pytest.raises(ServiceError) as caught:
        delivery.check_subscription_policy(json.dumps(policy), "Invalid parameter: ")
    assert caught.value.code == "InvalidParameter"
    assert caught.value.message.startswith("Invalid parameter: DeliveryPolicy: ")


def test_subscription_policy_overrides_topic_defaults_unless_disabled():
    topic = json.dumps({"http": {"defaultHealthyRetryPolicy": {"numRetries": 7}}})
    own = json.dumps({"healthyRetryPolicy": {"numRetries": 2}})
    assert delivery.effective_subscription_policy(topic, own)["healthyRetryPolicy"]["numRetries"] == 2
    locked = json.dumps(
        {"http": {"defaultHealthyRetryPolicy": {"numRetries": 7}, "disableSubscriptionOverrides": True}}
    )
    assert delivery.effective_subscription_policy(locked, own)["healthyRetryPolicy"]["numRetries"] == 7


def test_string_to_sign_orders_fields_and_skips_absent_subject():
    fields = {"Type": "Notification", "MessageId": "m", "TopicArn": "t", "Message": "hi", "Timestamp": "ts",
              "Subject": None}  # fmt: skip
    assert (
        string_to_sign(fields)
        == "Message\nhi\nMessageId\nm\nTimestamp\nts\nTopicArn\nt\nType\nNotification\n"
    )


@pytest.fixture
def runtime():
    runtime = Runtime(Config(data_dir=None))
    loop = asyncio.new_event_loop()
    runtime.attach_loop(loop)
    yield runtime, loop
    runtime.close()
    loop.close()


def test_deliver_contract_publishes_like_publish(runtime):
    runtime, _loop = runtime
    sns = runtime.provider("sns")
    context = RequestContext.internal("sns", "000000000000")
    arn = sns.create_topic(context, {"Name": "contract"})["TopicArn"]
    with pytest.raises(DeliveryError) as missing:
        sns.deliver(arn + "-missing", "m")
    assert missing.value.retryable is False
    with pytest.raises(DeliveryError) as refused:
        sns.deliver(arn, "")
    assert refused.value.retryable is False and "Empty message" in str(refused.value)
    output = sns.deliver(arn, json.dumps({"default": "d", "email": "e"}), subject="S", message_structure="json",
                         attributes={"k": {"DataType": "String", "StringValue": "v"}})  # fmt: skip
    assert set(output) == {"MessageId"}
    assert (
        sns.resource_policy(arn)
        == sns.get_topic_attributes(context, {"TopicArn": arn})["Attributes"]["Policy"]
    )
    assert sns.resource_policy(arn + "-missing") is None


def test_lambda_event_shape_and_signature(runtime):
    runtime, _ = runtime
    sns = runtime.provider("sns")
    context = RequestContext.internal("sns", "000000000000")
    arn = sns.create_topic(context, {"Name": "events", "Attributes": {"SignatureVersion": "2"}})["TopicArn"]
    from overcast.services.sns.publish import Notification, check_message

    entry = {"Message": "hello", "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}}
    note = Notification(sns.topics[arn], "hello", check_message(entry), entry, "http://localhost:4566")
    event = json.loads(note.lambda_event(sns.signer, arn + ":sub"))
    (record,) = event["Records"]
    assert record["EventSource"] == "aws:sns" and record["EventVersion"] == "1.0"
    assert record["EventSubscriptionArn"] == arn + ":sub"
    message = record["Sns"]
    assert list(message) == ["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion",
                             "Signature", "SigningCertUrl", "UnsubscribeUrl", "MessageAttributes"]  # fmt: skip
    assert message["Subject"] is None
    assert message["SignatureVersion"] == "1"  # as AWS's Lambda events say, though signed with SHA256
    assert message["MessageAttributes"] == {"k": {"Type": "String", "Value": "v"}}
    certificate = x509.load_pem_x509_certificate(sns.signer.certificate_pem)
    text = string_to_sign({**message, "Subject": None})
    certificate.public_key().verify(base64.b64decode(message["Signature"]), text.encode(), padding.PKCS1v15(),
                                    hashes.SHA256())  # fmt: skip


def test_retry_delay_scale_setting(monkeypatch):
    monkeypatch.setenv("OVERCAST_SNS_RETRY_DELAY_SCALE", "0.01")
    assert delivery.delay_scale() == 0.01
    monkeypatch.setenv("OVERCAST_SNS_RETRY_DELAY_SCALE", "soon")
    assert delivery.delay_scale() == 1.0
    monkeypatch.delenv("OVERCAST_SNS_RETRY_DELAY_SCALE")
    assert delivery.delay_scale() == 1.0


def test_a_delivery_the_outbox_retried_has_its_status_logged(runtime, monkeypatch):
    runtime, loop = runtime
    sns, sqs, logs = runtime.provider("sns"), runtime.provider("sqs"), runtime.provider("logs")
    context = RequestContext.internal("sns", "000000000000")
    topic = sns.create_topic(context, {"Name": "retried"})["TopicArn"]
    sqs.create_queue(RequestContext.internal("sqs", "000000000000"), {"QueueName": "retried"})
    queue = "arn:aws:sqs:us-east-1:000000000000:retried"
    sns.subscribe(context, {"TopicArn": topic, "Protocol": "sqs", "Endpoint": queue})
    for name, value in (("SQSSuccessFeedbackRoleArn", "arn:aws:iam::000000000000:role/feedback"),
                        ("SQSSuccessFeedbackSampleRate", "100")):  # fmt: skip
        sns.set_topic_attributes(context, {"TopicArn": topic, "AttributeName": name, "AttributeValue": value})
    real_deliver = type(sqs).deliver
    refusals = ["busy"]

    def busy_once(self, target_arn, message, **options):
        if refusals:  # the queue refuses the first try, as a target that cannot take it yet
            raise DeliveryError(refusals.pop())
        return real_deliver(self, target_arn, message, **options)

    monkeypatch.setattr(type(sqs), "deliver", busy_once)
    message_id = sns.publish(context, {"TopicArn": topic, "Message": "retried"})["MessageId"]
    group = "sns/us-east-1/000000000000/retried"
    events: list = []
    for _ in range(100):
        loop.run_until_complete(asyncio.sleep(0.1))
        try:
            events = logs.filter_log_events(
                RequestContext.internal("logs", "000000000000"), {"logGroupName": group}
            )["events"]
        except ServiceError:
            continue
        if events:
            break
    assert not refusals  # it was refused once, then retried
    [event] = [json.loads(e["message"]) for e in events]
    assert event["status"] == "SUCCESS" and event["notification"]["messageId"] == message_id
    assert event["delivery"]["destination"] == queue and event["delivery"]["statusCode"] == 200
