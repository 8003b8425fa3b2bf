"""Publish and PublishBatch end to end: what SQS queues and HTTP endpoints receive (AWS's
envelope, verified against the certificate Overcast serves), raw delivery, per-protocol
messages, FIFO order and deduplication, dead-letter queues, and the errors bad input gets."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.request

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from tests.integration.sns.conftest import unique
from tests.integration.sns.test_topics import error_of

ENVELOPE_KEYS = ["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion", "Signature",
                 "SigningCertURL", "UnsubscribeURL", "MessageAttributes"]  # fmt: skip


def verify(envelope: dict) -> None:
    """The standard recipe: fetch SigningCertURL, rebuild the string to sign, check it."""
    with urllib.request.urlopen(envelope["SigningCertURL"], timeout=5) as response:
        certificate = x509.load_pem_x509_certificate(response.read())
    names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    if envelope["Type"] != "Notification":
        names = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    text = "".join(f"{name}\n{envelope[name]}\n" for name in names if name in envelope)
    algorithm = hashes.SHA256() if envelope["SignatureVersion"] == "2" else hashes.SHA1()
    certificate.public_key().verify(
        base64.b64decode(envelope["Signature"]), text.encode(), padding.PKCS1v15(), algorithm
    )


@pytest.mark.parametrize("version", ["1", "2"])
def test_envelope_to_sqs_is_signed(sns, make_queue, version):
    topic = sns.create_topic(Name=unique(), Attributes={"SignatureVersion": version})["TopicArn"]
    q = make_queue()
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q.arn)["SubscriptionArn"]
    attributes = {
        "store": {"DataType": "String", "StringValue": "example_corp"},
        "price": {"DataType": "Number", "StringValue": "9.5"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    }
    message_id = sns.publish(TopicArn=topic, Message="héllo \"world\"", Subject="Order Placed",
                             MessageAttributes=attributes)["MessageId"]  # fmt: skip
    (received,) = q.receive()
    body = received["Body"]
    assert body.startswith('{\n  "Type" : "Notification",\n  "MessageId" : ')
    envelope = json.loads(body)
    assert list(envelope) == ENVELOPE_KEYS
    assert envelope["MessageId"] == message_id
    assert envelope["TopicArn"] == topic
    assert envelope["Message"] == 'héllo "world"'
    assert envelope["Subject"] == "Order Placed"
    assert envelope["SignatureVersion"] == version
    assert envelope["Timestamp"].endswith("Z") and len(envelope["Timestamp"]) == 24
    assert envelope["MessageAttributes"] == {
        "store": {"Type": "String", "Value": "example_corp"},
        "price": {"Type": "Number", "Value": "9.5"},
        "blob": {"Type": "Binary", "Value": "AAE="},
    }
    assert "MessageAttributes" not in received  # not raw: the attributes travel in the envelope
    verify(envelope)
    # The UnsubscribeURL is AWS's (no Version parameter) and works when visited.
    assert "Version=" not in envelope["UnsubscribeURL"]
    assert envelope["UnsubscribeURL"].endswith(f"/?Action=Unsubscribe&SubscriptionArn={subscription}")
    with urllib.request.urlopen(envelope["UnsubscribeURL"], timeout=5) as response:
        assert response.status == 200
    assert error_of(sns.get_subscription_attributes, SubscriptionArn=subscription)[0] == "NotFound"


def test_envelope_without_subject_or_attributes(sns, topic, subscribed_queue):
    q, _ = subscribed_queue
    sns.publish(TopicArn=topic, Message="plain")
    (envelope,) = q.bodies()
    assert list(envelope) == [k for k in ENVELOPE_KEYS if k not in ("Subject", "MessageAttributes")]
    verify(envelope)


def test_raw_delivery_maps_attributes(sns, topic, subscribed_queue):
    q, subscription = subscribed_queue
    sns.set_subscription_attributes(SubscriptionArn=subscription, AttributeName="RawMessageDelivery",
                                    AttributeValue="true")  # fmt: skip
    sns.publish(TopicArn=topic, Message='{"raw": true}', MessageAttributes={
        "store": {"DataType": "String", "StringValue": "example_corp"},
        "count": {"DataType": "Number", "StringValue": "3"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\xff"},
        "tags": {"DataType": "String.Array", "StringValue": '["a", "b"]'},
    })  # fmt: skip
    (received,) = q.receive()
    assert received["Body"] == '{"raw": true}'
    assert received["MessageAttributes"] == {
        "store": {"DataType": "String", "StringValue": "example_corp"},
        "count": {"DataType": "Number", "StringValue": "3"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\xff"},
        "tags": {"DataType": "String.Array", "StringValue": '["a", "b"]'},
    }


def test_message_structure_json(sns, topic, subscribed_queue, recorded):
    q, _ = subscribed_queue
    address = f"{unique('u')}@example.com"
    sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+15555550111")
    message = json.dumps({"default": "for everyone", "sqs": "for queues", "sms": "for phones"})
    sns.publish(TopicArn=topic, Message=message, MessageStructure="json")
    assert q.bodies()[0]["Message"] == "for queues"
    assert [m["Message"] for m in recorded(topic_arn=topic)] == ["for phones"]
    assert address  # no email subscription: nothing else recorded
    assert error_of(sns.publish, TopicArn=topic, Message='{"sqs": "x"}', MessageStructure="json")[1] == (
        "Invalid parameter: Message Structure - No default entry in JSON message body"
    )
    assert error_of(sns.publish, TopicArn=topic, Message="not json", MessageStructure="json")[1] == (
        "Invalid parameter: Message Structure - JSON message body failed to parse"
    )


def test_publish_validation(sns, topic):
    def publish(**kwargs):
        return error_of(sns.publish, TopicArn=topic, **kwargs)[:2]

    assert publish(Message="") == ("InvalidParameter", "Invalid parameter: Empty message")
    assert publish(Message="x", Subject="") == ("InvalidParameter", "Invalid parameter: Subject")
    assert publish(Message="x", Subject="line\nbreak") == ("InvalidParameter", "Invalid parameter: Subject")
    assert publish(Message="x", Subject="s" * 101) == ("InvalidParameter", "Invalid parameter: Subject")
    assert publish(Message="x" * 262145) == ("InvalidParameter", "Invalid parameter: Message too long")
    assert publish(Message="x", MessageDeduplicationId="d") == (
        "InvalidParameter",
        "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter"
        " that is not valid for this topic type",
    )
    assert publish(Message="x", MessageAttributes={"a": {"DataType": "Text", "StringValue": "v"}}) == (
        "ParameterValueInvalid",
        "The message attribute 'a' has an invalid message attribute type, the set of supported type prefixes is"
        " Binary, Number, and String.",
    )
    assert publish(Message="x", MessageAttributes={"n": {"DataType": "Number", "StringValue": "ten"}}) == (
        "ParameterValueInvalid",
        "Could not cast message attribute 'n' value to number.",
    )
    assert publish(Message="x", MessageAttributes={"s": {"DataType": "String", "StringValue": ""}}) == (
        "ParameterValueInvalid",
        "The message attribute 's' must contain non-empty message attribute value for message attribute type 'String'.",
    )
    assert publish(Message="x", MessageAttributes={"b": {"DataType": "Binary", "StringValue": "v"}}) == (
        "ParameterValueInvalid",
        "The message attribute 'b' with type 'Binary' must use field 'Binary'.",
    )
    assert publish(Message="x", MessageAttributes={"a b": {"DataType": "String", "StringValue": "v"}})[1] == (
        "Invalid non-alphanumeric character '#x20' was found in the message attribute name. Can only include"
        " alphanumeric characters, hyphens, underscores, or dots."
    )
    assert publish(Message="x", MessageAttributes={".a": {"DataType": "String", "StringValue": "v"}})[1] == (
        "Invalid message attribute name starting with character '.' was found."
    )


def test_publish_batch(sns, topic, subscribed_queue):
    q, _ = subscribed_queue
    # A message AWS refuses fails the whole batch (AWS's recorded answers), and nothing is sent.
    good = [
        {"Id": "one", "Message": "first", "Subject": "s1"},
        {
            "Id": "two",
            "Message": "second",
            "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}},
        },
    ]
    bad_attribute = {"Id": "attr", "Message": "x",
                     "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "z"}}}  # fmt: skip
    assert error_of(sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=[*good, bad_attribute])[
        :2
    ] == ("ParameterValueInvalid", "Could not cast message attribute 'n' value to number.")
    assert error_of(sns.publish_batch, TopicArn=topic,
                    PublishBatchRequestEntries=[*good, {"Id": "bad", "Message": ""}])[:2] == (
        "InvalidParameter", "Invalid parameter: Empty message"
    )  # fmt: skip
    result = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=good)
    assert [s["Id"] for s in result["Successful"]] == ["one", "two"]
    assert all(s["MessageId"] for s in result["Successful"])
    assert result["Failed"] == []
    messages = sorted(q.bodies(2), key=lambda m: m["Message"])
    assert [m["Message"] for m in messages] == ["first", "second"]
    assert messages[0]["Subject"] == "s1"
    assert messages[1]["MessageAttributes"] == {"k": {"Type": "String", "Value": "v"}}


def test_publish_batch_limits(sns, topic):
    def batch(entries):
        return error_of(sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=entries)[:2]

    assert batch([{"Id": str(i), "Message": "m"} for i in range(11)]) == (
        "TooManyEntriesInBatchRequest",
        "The batch request contains more entries than permissible.",
    )
    assert batch([]) == ("EmptyBatchRequest", "The batch request doesn't contain any entries.")
    assert batch([{"Id": "a", "Message": "m"}, {"Id": "a", "Message": "n"}]) == (
        "BatchEntryIdsNotDistinct",
        "Two or more batch entries in the request have the same Id.",
    )
    assert batch([{"Id": "a b", "Message": "m"}]) == (
        "InvalidBatchEntryId",
        "The Id of a batch entry in the batch request contains an impermissible character: a b",
    )
    assert batch([{"Id": "message.id", "Message": "m"}]) == (
        "InvalidBatchEntryId",
        "The Id of a batch entry in the batch request contains an impermissible character: message.id",
    )
    assert batch([{"Id": "i" * 81, "Message": "m"}]) == (
        "InvalidBatchEntryId",
        f"The Id of a batch entry in the batch request is too long: {'i' * 81}",
    )
    assert batch([{"Id": "a", "Message": "x" * 200000}, {"Id": "b", "Message": "y" * 70000}]) == (
        "BatchRequestTooLong",
        "The length of all the messages put together is more than the limit.",
    )


def test_fifo_topic_to_fifo_queue_keeps_order_and_dedups(sns, make_queue):
    topic = sns.create_topic(Name=unique() + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    q = make_queue(fifo=True)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q.arn, Attributes={"RawMessageDelivery": "true"})
    assert error_of(sns.publish, TopicArn=topic, Message="m")[1] == (
        "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
    )
    assert error_of(sns.publish, TopicArn=topic, Message="m", MessageGroupId="g")[1] == (
        "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or"
        " MessageDeduplicationId provided explicitly"
    )
    sequences = []
    for i in range(12):
        output = sns.publish(TopicArn=topic, Message=f"m{i}", MessageGroupId=f"g{i % 2}",
                             MessageDeduplicationId=f"d{i}")  # fmt: skip
        sequences.append(output["SequenceNumber"])
    duplicate = sns.publish(
        TopicArn=topic, Message="m3 again", MessageGroupId="g1", MessageDeduplicationId="d3"
    )
    assert duplicate["SequenceNumber"] == sequences[3]
    assert (
        sequences == sorted(sequences) and len(set(sequences)) == 12 and all(len(s) == 20 for s in sequences)
    )
    received = q.receive(12)
    assert len(received) == 12
    by_group: dict[str, list[str]] = {}
    for message in received:
        attributes = message["Attributes"]
        by_group.setdefault(attributes["MessageGroupId"], []).append(message["Body"])
        assert attributes["MessageDeduplicationId"] == "d" + message["Body"][1:]
    assert by_group == {"g0": [f"m{i}" for i in range(0, 12, 2)], "g1": [f"m{i}" for i in range(1, 12, 2)]}
    q.assert_empty()


def test_fifo_content_based_dedup(sns, make_queue):
    topic = sns.create_topic(Name=unique() + ".fifo",
                             Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]  # fmt: skip
    q = make_queue(fifo=True)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q.arn)
    first = sns.publish(TopicArn=topic, Message="same", MessageGroupId="g")
    second = sns.publish(TopicArn=topic, Message="same", MessageGroupId="g")
    assert first["MessageId"] == second["MessageId"]
    (envelope,) = q.bodies()
    assert envelope["Message"] == "same"
    assert envelope["SequenceNumber"] == first["SequenceNumber"]
    q.assert_empty()


def test_missing_queue_goes_to_the_dead_letter_queue(sns, topic, make_queue):
    dlq = make_queue()
    gone = f"arn:aws:sqs:us-east-1:000000000000:{unique('missing')}"
    redrive = json.dumps({"deadLetterTargetArn": dlq.arn})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=gone, Attributes={"RedrivePolicy": redrive})
    sns.publish(TopicArn=topic, Message="lost without a queue")
    (envelope,) = dlq.bodies()
    assert envelope["Message"] == "lost without a queue"


def test_lambda_subscription_dead_letters_when_the_function_is_not_there(sns, topic, make_queue):
    dlq = make_queue()
    function = f"arn:aws:lambda:us-east-1:000000000000:function:{unique('fn')}"
    redrive = json.dumps({"deadLetterTargetArn": dlq.arn})
    arn = sns.subscribe(
        TopicArn=topic, Protocol="lambda", Endpoint=function, Attributes={"RedrivePolicy": redrive}
    )["SubscriptionArn"]
    assert arn.startswith(topic + ":")
    sns.publish(TopicArn=topic, Message="to a function")
    (envelope,) = dlq.bodies(wait=10)
    assert envelope["Message"] == "to a function"


def test_http_notifications(sns, topic, http_endpoint):
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=http_endpoint.url + "/n")
    confirmation = json.loads(http_endpoint.next()[2])
    verify(confirmation)
    with urllib.request.urlopen(confirmation["SubscribeURL"], timeout=5):
        pass
    message_id = sns.publish(TopicArn=topic, Message="over http", Subject="S")["MessageId"]
    _path, headers, body = http_endpoint.next()
    envelope = json.loads(body)
    assert headers["x-amz-sns-message-type"] == "Notification"
    assert headers["x-amz-sns-message-id"] == message_id
    assert headers["x-amz-sns-topic-arn"] == topic
    assert headers["x-amz-sns-subscription-arn"].startswith(topic + ":")
    assert headers["user-agent"] == "Amazon Simple Notification Service Agent"
    assert envelope["Message"] == "over http" and envelope["Subject"] == "S"
    verify(envelope)
    subscription = headers["x-amz-sns-subscription-arn"]
    sns.set_subscription_attributes(SubscriptionArn=subscription, AttributeName="RawMessageDelivery",
                                    AttributeValue="true")  # fmt: skip
    sns.publish(TopicArn=topic, Message="raw over http")
    _path, headers, body = http_endpoint.next()
    assert body == b"raw over http" and headers["x-amz-sns-rawdelivery"] == "true"
    assert headers["accept-encoding"] == "gzip,deflate"  # as AWS's deliveries say (recorded)
    # The confirmation of an unsubscribe still names the subscription it ends (AWS recorded).
    sns.unsubscribe(SubscriptionArn=subscription)
    _path, headers, body = http_endpoint.next()
    assert headers["x-amz-sns-message-type"] == "UnsubscribeConfirmation"
    assert headers["x-amz-sns-subscription-arn"] == subscription
    assert json.loads(body)["Type"] == "UnsubscribeConfirmation"


def test_http_retries_then_dead_letter(sns, topic, http_endpoint, make_queue):
    dlq = make_queue()
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=http_endpoint.url + "/flaky")
    confirmation = json.loads(http_endpoint.next()[2])
    subscription = sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])["SubscriptionArn"]
    policy = {
        "healthyRetryPolicy": {
            "numRetries": 2,
            "numNoDelayRetries": 2,
            "minDelayTarget": 1,
            "maxDelayTarget": 1,
        }
    }
    for name, value in (("DeliveryPolicy", json.dumps(policy)),
                        ("RedrivePolicy", json.dumps({"deadLetterTargetArn": dlq.arn}))):  # fmt: skip
        sns.set_subscription_attributes(
            SubscriptionArn=subscription, AttributeName=name, AttributeValue=value
        )
    effective = json.loads(sns.get_subscription_attributes(SubscriptionArn=subscription)["Attributes"][
        "EffectiveDeliveryPolicy"])  # fmt: skip
    assert effective["healthyRetryPolicy"]["numNoDelayRetries"] == 2
    http_endpoint.statuses["/flaky"] = 503
    sns.publish(TopicArn=topic, Message="never accepted")
    attempts = [http_endpoint.next() for _ in range(3)]  # the first try and two retries
    assert {json.loads(body)["Message"] for _, _, body in attempts} == {"never accepted"}
    (dead,) = dlq.bodies()
    assert dead["Message"] == "never accepted"
    assert http_endpoint.requests.empty()


def test_https_endpoint_with_a_self_signed_certificate(sns, topic, https_endpoint):
    sns.subscribe(TopicArn=topic, Protocol="https", Endpoint=https_endpoint.url + "/secure")
    confirmation = json.loads(https_endpoint.next()[2])
    sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])
    sns.publish(TopicArn=topic, Message="over tls")
    path, _headers, body = https_endpoint.next()
    assert path == "/secure" and json.loads(body)["Message"] == "over tls"


def test_fifo_topic_envelope_is_unsigned(sns, make_queue):
    topic = sns.create_topic(Name=unique() + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    q = make_queue(fifo=True)
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q.arn)["SubscriptionArn"]
    output = sns.publish(TopicArn=topic, Message="Test", MessageGroupId="g", MessageDeduplicationId="d")
    (received,) = q.receive()
    envelope = json.loads(received["Body"])
    assert list(envelope) == ["Type", "MessageId", "SequenceNumber", "TopicArn", "Message", "Timestamp",
                              "UnsubscribeURL"]  # fmt: skip
    assert envelope["SequenceNumber"] == output["SequenceNumber"]
    assert envelope["UnsubscribeURL"].endswith(f"/?Action=Unsubscribe&SubscriptionArn={subscription}")


def test_publishers_trace_header_reaches_the_queue(sns, topic, subscribed_queue):
    q, _ = subscribed_queue
    trace = "Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72;Sampled=1"

    def add_trace_header(request, **_):
        request.headers["X-Amzn-Trace-Id"] = trace

    sns.meta.events.register("before-send.sns.Publish", add_trace_header)
    try:
        sns.publish(TopicArn=topic, Message="traced")
    finally:
        sns.meta.events.unregister("before-send.sns.Publish", add_trace_header)
    (received,) = q.receive()
    assert received["Attributes"]["AWSTraceHeader"] == trace


def test_standard_topic_message_group_reaches_a_standard_queue(sns, topic, subscribed_queue, make_queue):
    q, _ = subscribed_queue
    sns.publish(TopicArn=topic, Message="grouped", MessageGroupId="my-group-id-1")
    (received,) = q.receive()
    assert received["Attributes"]["MessageGroupId"] == "my-group-id-1"
    # A FIFO topic's group is not handed to a standard queue.
    fifo_topic = sns.create_topic(Name=unique() + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    standard = make_queue()
    sns.subscribe(TopicArn=fifo_topic, Protocol="sqs", Endpoint=standard.arn)
    sns.publish(TopicArn=fifo_topic, Message="m", MessageGroupId="g", MessageDeduplicationId="d")
    (received,) = standard.receive()
    assert "MessageGroupId" not in received["Attributes"]


def _status_events(logs, group: str, count: int = 1, wait: float = 5.0) -> list[dict]:
    """The delivery status records in a log group, once `count` arrived (or `wait` passed)."""
    import time as clock

    deadline = clock.monotonic() + wait
    while True:
        try:
            streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
            found = [json.loads(e["message"]) for s in streams
                     for e in logs.get_log_events(logGroupName=group, logStreamName=s["logStreamName"])["events"]]  # fmt: skip
        except logs.exceptions.ResourceNotFoundException:
            found = []
        if len(found) >= count or clock.monotonic() > deadline:
            return found
        clock.sleep(0.1)


def test_http_delivery_status_logs(client, sns, topic, http_endpoint):
    logs = client("logs")
    role = "arn:aws:iam::000000000000:role/sns-feedback"
    name = topic.rsplit(":", 1)[1]
    for attribute, value in (("HTTPSuccessFeedbackRoleArn", role), ("HTTPSuccessFeedbackSampleRate", "100"),
                             ("HTTPFailureFeedbackRoleArn", role)):  # fmt: skip
        sns.set_topic_attributes(TopicArn=topic, AttributeName=attribute, AttributeValue=value)
    url = f"{http_endpoint.url}/hook"
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=url)
    token = json.loads(http_endpoint.next()[2])["Token"]
    sns.confirm_subscription(TopicArn=topic, Token=token)
    http_endpoint.statuses["/hook"] = 202
    message_id = sns.publish(TopicArn=topic, Message="over http")["MessageId"]
    http_endpoint.next()
    [success] = _status_events(logs, f"sns/us-east-1/000000000000/{name}")
    assert success["status"] == "SUCCESS" and success["notification"]["messageId"] == message_id
    assert success["delivery"]["destination"] == url and success["delivery"]["statusCode"] == 202
    assert success["notification"]["messageMD5Sum"] == hashlib.md5(b"over http").hexdigest()
    # A POST that fails for good (no retries left) is logged as a failure.
    failing = f"{http_endpoint.url}/fail"
    no_retries = json.dumps(
        {"healthyRetryPolicy": {"numRetries": 0, "minDelayTarget": 1, "maxDelayTarget": 1}}
    )
    sns.subscribe(
        TopicArn=topic, Protocol="http", Endpoint=failing, Attributes={"DeliveryPolicy": no_retries}
    )
    token = json.loads(http_endpoint.next()[2])["Token"]
    sns.confirm_subscription(TopicArn=topic, Token=token)
    http_endpoint.statuses["/fail"] = 500
    failed_id = sns.publish(TopicArn=topic, Message="fails")["MessageId"]
    [failure] = _status_events(logs, f"sns/us-east-1/000000000000/{name}/Failure")
    assert failure["status"] == "FAILURE" and failure["notification"]["messageId"] == failed_id
    assert failure["delivery"]["destination"] == failing


def test_delivery_status_logs(client, sns, topic, subscribed_queue):
    logs = client("logs")
    q, subscription = subscribed_queue
    role = "arn:aws:iam::000000000000:role/sns-feedback"
    name = topic.rsplit(":", 1)[1]
    sns.publish(TopicArn=topic, Message="before logging")  # not logged: no feedback role yet
    q.receive()
    for attribute, value in (("SQSSuccessFeedbackRoleArn", role), ("SQSSuccessFeedbackSampleRate", "100"),
                             ("SQSFailureFeedbackRoleArn", role)):  # fmt: skip
        sns.set_topic_attributes(TopicArn=topic, AttributeName=attribute, AttributeValue=value)
    message_id = sns.publish(TopicArn=topic, Message="logged")["MessageId"]
    (received,) = q.receive()
    gone = f"arn:aws:sqs:us-east-1:000000000000:{unique('gone')}"
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=gone)
    failed_id = sns.publish(TopicArn=topic, Message="partly failed")["MessageId"]

    successes = _status_events(logs, f"sns/us-east-1/000000000000/{name}", count=2)
    assert [e["notification"]["messageId"] for e in successes] == [message_id, failed_id]
    first = successes[0]
    assert first["status"] == "SUCCESS"
    assert first["notification"]["topicArn"] == topic
    assert first["notification"]["messageMD5Sum"] == hashlib.md5(b"logged").hexdigest()
    assert first["delivery"]["destination"] == q.arn and first["delivery"]["statusCode"] == 200
    assert json.loads(first["delivery"]["providerResponse"])["sqsMessageId"] == received["MessageId"]
    (failure,) = _status_events(logs, f"sns/us-east-1/000000000000/{name}/Failure")
    assert failure["status"] == "FAILURE" and failure["notification"]["messageId"] == failed_id
    assert failure["delivery"]["destination"] == gone
    assert subscription  # the queue's own subscription stayed
