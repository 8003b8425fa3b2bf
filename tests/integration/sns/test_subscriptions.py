"""Subscriptions: Subscribe per protocol and its confirmation rules, the HTTP/S handshake over a
real socket, email confirmations through the inspection endpoint, listing, attributes and
their validation (filter policies included)."""

from __future__ import annotations

import base64
import io
import json
import time
import urllib.request
import zipfile

import pytest

from tests.integration.sns.conftest import unique
from tests.integration.sns.test_topics import error_of


def test_sqs_subscription_is_confirmed_at_once(sns, topic, make_queue):
    q = make_queue()
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q.arn)["SubscriptionArn"]
    assert arn.startswith(topic + ":")
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attributes["PendingConfirmation"] == "false"
    assert attributes["ConfirmationWasAuthenticated"] == "true"
    assert attributes["RawMessageDelivery"] == "false"
    assert attributes["Protocol"] == "sqs" and attributes["Endpoint"] == q.arn
    assert attributes["TopicArn"] == topic and attributes["Owner"] == "000000000000"
    assert "FilterPolicy" not in attributes
    # Subscribing the same endpoint again answers the same subscription.
    assert sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q.arn)["SubscriptionArn"] == arn
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsConfirmed"] == "1"


def test_subscribe_validation(sns, topic):
    def subscribe(protocol, endpoint, **kwargs):
        return error_of(sns.subscribe, TopicArn=topic, Protocol=protocol, Endpoint=endpoint, **kwargs)[:2]

    assert subscribe("ftp", "ftp://x") == (
        "InvalidParameter",
        "Invalid parameter: Amazon SNS does not support this protocol string: ftp",
    )
    assert subscribe("http", "https://example.com") == (
        "InvalidParameter",
        "Invalid parameter: Endpoint must match the specified protocol",
    )
    assert subscribe("sqs", "not-an-arn") == ("InvalidParameter", "Invalid parameter: SQS endpoint ARN")
    assert subscribe("sqs", "arn:aws:sqs:us-east-1:000000000000:q.fifo")[1].endswith(
        "FIFO SQS Queues can not be subscribed to standard SNS topics"
    )
    assert subscribe("sms", "call me")[1] == "Invalid SMS endpoint: call me"
    for number in ("+15--551234567", "NAA+15551234567", "+15551234567.", "/+15551234567"):
        assert subscribe("sms", number)[1] == f"Invalid SMS endpoint: {number}"
    assert subscribe("sqs", "arn:aws:sqs:us-east-1:000000000000:q", Attributes={"Bogus": "1"}) == (
        "InvalidParameter",
        "Invalid parameter: Attributes Reason: AttributeName",
    )
    assert subscribe(
        "sqs", "arn:aws:sqs:us-east-1:000000000000:q", Attributes={"RawMessageDelivery": "maybe"}
    )[1] == (
        "Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [maybe]. Must be true or false."
    )
    assert subscribe("email", "a@example.com", Attributes={"RawMessageDelivery": "true"})[1] == (
        "Invalid parameter: Attributes Reason: Delivery protocol [email] does not support raw message delivery."
    )
    missing = f"arn:aws:sns:us-east-1:000000000000:{unique()}"
    assert error_of(sns.subscribe, TopicArn=missing, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:0:q")[
        :2
    ] == ("NotFound", "Topic does not exist")


def test_fifo_topics_take_fifo_queues(sns, make_queue):
    arn = sns.create_topic(Name=unique() + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    q = make_queue(fifo=True)
    assert sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=q.arn)["SubscriptionArn"].startswith(arn)
    code, _, _ = error_of(sns.subscribe, TopicArn=arn, Protocol="email", Endpoint="a@example.com")
    assert code == "InvalidParameter"


def test_http_handshake_and_subscribe_url(sns, topic, http_endpoint):
    url = http_endpoint.url + "/hook"
    assert (
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=url)["SubscriptionArn"]
        == "pending confirmation"
    )
    path, headers, body = http_endpoint.next()
    assert path == "/hook"
    assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert headers["x-amz-sns-topic-arn"] == topic
    assert headers["content-type"].startswith("text/plain")
    confirmation = json.loads(body)
    assert list(confirmation) == ["Type", "MessageId", "Token", "TopicArn", "Message", "SubscribeURL", "Timestamp",
                                  "SignatureVersion", "Signature", "SigningCertURL"]  # fmt: skip
    assert confirmation["Type"] == "SubscriptionConfirmation" and confirmation["TopicArn"] == topic
    assert confirmation["Message"].startswith(f"You have chosen to subscribe to the topic {topic}.")

    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [s["SubscriptionArn"] for s in listed] == ["PendingConfirmation"]
    # Visiting SubscribeURL (as an endpoint's owner would) confirms it; AWS's link has no Version.
    assert "Version=" not in confirmation["SubscribeURL"]
    with urllib.request.urlopen(confirmation["SubscribeURL"], timeout=5) as response:
        answer = response.read().decode()
    assert response.status == 200 and "<SubscriptionArn>" in answer
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    arn = listed[0]["SubscriptionArn"]
    assert arn.startswith(topic + ":")
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attributes["PendingConfirmation"] == "false"
    assert json.loads(attributes["EffectiveDeliveryPolicy"])["healthyRetryPolicy"]["numRetries"] == 3

    sns.unsubscribe(SubscriptionArn=arn)
    path, headers, body = http_endpoint.next()
    assert headers["x-amz-sns-message-type"] == "UnsubscribeConfirmation"
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    # The UnsubscribeConfirmation carries a token of its own (AWS's recorded messages do), and
    # its SubscribeURL restores the subscription, as the message says.
    farewell = json.loads(body)
    assert farewell["Token"] != confirmation["Token"]
    assert farewell["Message"].startswith(f"You have chosen to deactivate subscription {arn}.")
    assert farewell["Token"] in farewell["SubscribeURL"]
    with urllib.request.urlopen(farewell["SubscribeURL"], timeout=5) as response:
        assert f"<SubscriptionArn>{arn}</SubscriptionArn>" in response.read().decode()
    assert [
        s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    ] == [arn]
    assert (
        sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"] == "false"
    )
    sns.publish(TopicArn=topic, Message="back again")
    assert json.loads(http_endpoint.next()[2])["Message"] == "back again"
    # The old subscription token confirms nothing any more.
    assert error_of(sns.confirm_subscription, TopicArn=topic, Token=confirmation["Token"])[:2] == (
        "InvalidParameter",
        "Invalid parameter: Token",
    )
    sns.unsubscribe(SubscriptionArn=arn)
    assert http_endpoint.next()[1]["x-amz-sns-message-type"] == "UnsubscribeConfirmation"


def test_return_subscription_arn_and_confirm_with_token(sns, topic, http_endpoint):
    arn = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=http_endpoint.url,
                        ReturnSubscriptionArn=True)["SubscriptionArn"]  # fmt: skip
    assert arn.startswith(topic + ":")
    token = json.loads(http_endpoint.next()[2])["Token"]
    assert sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"] == "true"
    assert error_of(sns.confirm_subscription, TopicArn=topic, Token="0" * 64)[:2] == (
        "InvalidParameter",
        "Invalid parameter: Token",
    )
    # A topic that does not exist is answered as a token that does not.
    assert error_of(sns.confirm_subscription, TopicArn=topic + "x", Token=token)[:2] == (
        "InvalidParameter",
        "Invalid parameter: Token",
    )
    assert error_of(sns.confirm_subscription, TopicArn=topic, Token="randomtoken")[:2] == (
        "InvalidParameter",
        "Invalid token",
    )
    confirmed = sns.confirm_subscription(TopicArn=topic, Token=token, AuthenticateOnUnsubscribe="true")
    assert confirmed["SubscriptionArn"] == arn
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attributes["PendingConfirmation"] == "false"
    assert attributes["ConfirmationWasAuthenticated"] == "true"


def test_email_confirmation_is_recorded(sns, topic, recorded):
    address = f"{unique('user')}@example.com"
    assert sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=address)["SubscriptionArn"] == (
        "pending confirmation"
    )
    messages = [m for m in recorded(topic_arn=topic) if m["Endpoint"] == address]
    assert len(messages) == 1 and messages[0]["Type"] == "SubscriptionConfirmation"
    confirmed = sns.confirm_subscription(TopicArn=topic, Token=messages[0]["Token"])["SubscriptionArn"]
    assert confirmed.startswith(topic + ":")
    sns.publish(TopicArn=topic, Message="hello by mail", Subject="Greetings")
    mails = [m for m in recorded(topic_arn=topic) if m["Type"] == "Notification"]
    assert mails[0]["Message"] == "hello by mail" and mails[0]["Subject"] == "Greetings"
    assert mails[0]["Endpoint"] == address and mails[0]["SubscriptionArn"] == confirmed


def test_sms_subscriptions_and_direct_sms(sns, topic, recorded, endpoint):
    arn = sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+15555550100")["SubscriptionArn"]
    assert arn.startswith(topic + ":")
    sns.publish(TopicArn=topic, Message="to the phones")
    assert [m["Message"] for m in recorded(topic_arn=topic)] == ["to the phones"]
    number = "+1555555" + unique("")[-4:].translate(str.maketrans("abcdef", "123456"))
    sns.publish(PhoneNumber=number, Message="direct")
    direct = recorded(phone_number=number)
    assert [(m["Message"], m["PhoneNumber"]) for m in direct] == [("direct", number)]
    assert error_of(sns.publish, PhoneNumber="12ab", Message="x")[1] == (
        "Invalid parameter: PhoneNumber Reason: 12ab is not valid to publish to"
    )
    request = urllib.request.Request(
        f"{endpoint}/_overcast/sns/messages?phone_number=%2B{number[1:]}", method="DELETE"
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.loads(response.read()) == {"deleted": 1}
    assert recorded(phone_number=number) == []


def test_subscription_listing_pages(sns, topic, make_queue):
    q = make_queue()
    arns = {sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q.arn.replace(q.arn.split(":")[-1], f"x{i}"))[
        "SubscriptionArn"] for i in range(103)}  # fmt: skip
    first = sns.list_subscriptions_by_topic(TopicArn=topic)
    assert len(first["Subscriptions"]) == 100
    # SNS's tokens are standard base64 with padding (AWS recorded), decodable as such.
    assert base64.b64decode(first["NextToken"], validate=True)
    second = sns.list_subscriptions_by_topic(TopicArn=topic, NextToken=first["NextToken"])
    assert "NextToken" not in second
    assert {s["SubscriptionArn"] for s in first["Subscriptions"] + second["Subscriptions"]} == arns
    everything = [s["SubscriptionArn"] for page in sns.get_paginator("list_subscriptions").paginate()
                  for s in page["Subscriptions"]]  # fmt: skip
    assert arns <= set(everything)


def test_subscription_attributes(sns, subscribed_queue):
    _, arn = subscribed_queue
    policy = {"store": ["example_corp"], "price": [{"numeric": [">", 0, "<=", 100]}]}
    sns.set_subscription_attributes(
        SubscriptionArn=arn, AttributeName="FilterPolicy", AttributeValue=json.dumps(policy)
    )
    sns.set_subscription_attributes(
        SubscriptionArn=arn, AttributeName="RawMessageDelivery", AttributeValue="true"
    )
    redrive = json.dumps({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:dlq"})
    sns.set_subscription_attributes(
        SubscriptionArn=arn, AttributeName="RedrivePolicy", AttributeValue=redrive
    )
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert json.loads(attributes["FilterPolicy"]) == policy
    assert attributes["FilterPolicyScope"] == "MessageAttributes"
    assert attributes["RawMessageDelivery"] == "true"
    assert attributes["RedrivePolicy"] == redrive
    sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="FilterPolicy", AttributeValue="")
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert "FilterPolicy" not in attributes and "FilterPolicyScope" not in attributes


@pytest.mark.parametrize(
    "policy, message",
    [
        ({"a": ["x"], "b": ["x"], "c": ["x"], "d": ["x"], "e": ["x"], "f": ["x"]},
         "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys"),
        ({"a": list(range(13)), "b": list(range(12))}, "Invalid parameter: FilterPolicy: Filter policy is too complex"),
        ({"a": [[1]]}, "Invalid parameter: FilterPolicy: Match value must be String, number, true, false, or null"),
        ({"a": [{"wat": 1}]}, "Invalid parameter: FilterPolicy: Unrecognized match type wat"),
        ({"a": [{"exists": "yes"}]}, "Invalid parameter: FilterPolicy: exists match pattern must be either true or false."),
        ({"a": [{"prefix": 5}]}, "Invalid parameter: FilterPolicy: prefix match pattern must be a string"),
        ({"a": [{"numeric": [">", "x"]}]}, "Invalid parameter: FilterPolicy: Value of > must be numeric"),
        ({"a": [{"numeric": ["~", 1]}]}, "Invalid parameter: FilterPolicy: Unrecognized numeric range operator: ~"),
        ({"a": [{"numeric": [">", 5, "<", 1]}]}, "Invalid parameter: FilterPolicy: Bottom must be less than top"),
        ({"a": [{"numeric": ["=", 5, "<", 9]}]}, "Invalid parameter: FilterPolicy: Too many elements in numeric expression"),
        ({"a": []}, "Invalid parameter: FilterPolicy: Empty arrays are not allowed"),
        ({"a": "x"}, 'Invalid parameter: FilterPolicy: "a" must be an object or an array'),
        ({"a": {"b": ["x"]}}, "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"),
        # A malformed nested key is reported before the scope's refusal of nesting (recorded from AWS).
        ({"key": {"not-an-operator": "value"}}, 'Invalid parameter: FilterPolicy: "not-an-operator" must be an object or an array'),
        ({"key": {"suffix": "value"}}, 'Invalid parameter: FilterPolicy: "suffix" must be an object or an array'),
        ({"a": [{"cidr": "10.0.0.0"}]}, "Invalid parameter: FilterPolicy: Malformed CIDR, one '/' required"),
    ],
)  # fmt: skip
def test_filter_policy_validation(sns, subscribed_queue, policy, message):
    _, arn = subscribed_queue
    code, text, status = error_of(sns.set_subscription_attributes, SubscriptionArn=arn, AttributeName="FilterPolicy",
                                  AttributeValue=json.dumps(policy))  # fmt: skip
    assert (code, text, status) == ("InvalidParameter", message, 400)


def test_filter_policy_errors_on_subscribe_and_scope(sns, topic, make_queue):
    q = make_queue()
    _code, message, _ = error_of(sns.subscribe, TopicArn=topic, Protocol="sqs", Endpoint=q.arn,
                                Attributes={"FilterPolicy": '{"a": [{"exists": 1}]}'})  # fmt: skip
    assert (
        message
        == "Invalid parameter: Attributes Reason: FilterPolicy: exists match pattern must be either true or false."
    )
    nested = json.dumps({"detail": {"kind": ["a"]}})
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q.arn, ReturnSubscriptionArn=True,
                        Attributes={"FilterPolicyScope": "MessageBody", "FilterPolicy": nested})["SubscriptionArn"]  # fmt: skip
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attributes["FilterPolicyScope"] == "MessageBody"
    assert error_of(sns.set_subscription_attributes, SubscriptionArn=arn, AttributeName="FilterPolicyScope",
                    AttributeValue="MessageAttributes")[1] == (
        "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"
    )  # fmt: skip
    assert error_of(sns.set_subscription_attributes, SubscriptionArn=arn, AttributeName="FilterPolicyScope",
                    AttributeValue="Body")[1] == (
        "Invalid parameter: FilterPolicyScope: Invalid value [Body]. Please use either MessageBody or MessageAttributes"
    )  # fmt: skip


def test_bad_subscription_attributes(sns, subscribed_queue):
    _, arn = subscribed_queue

    def set_attribute(name, value):
        return error_of(
            sns.set_subscription_attributes, SubscriptionArn=arn, AttributeName=name, AttributeValue=value
        )

    assert set_attribute("Protocol", "http")[1] == "Invalid parameter: AttributeName"
    # Worded as AWS's JSON parser words it (recorded from AWS).
    assert set_attribute("RedrivePolicy", "{invalid json}")[1] == (
        "Invalid parameter: RedrivePolicy: failed to parse JSON. Unexpected character ('i' (code 105)): was expecting"
        " double-quote to start field name\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION`"
        " disabled); line: 1, column: 2]"
    )
    assert set_attribute("FilterPolicy", "{invalid json}")[1] == (
        "Invalid parameter: FilterPolicy: failed to parse JSON. Unexpected character ('i' (code 105)): was expecting"
        " double-quote to start field name\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION`"
        " disabled); line: 1, column: 2]"
    )
    assert set_attribute("RedrivePolicy", '{"deadLetterTargetArn": "x"}')[1] == (
        "Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn"
    )
    assert (
        set_attribute("DeliveryPolicy", '{"healthyRetryPolicy": {"numRetries": 101}}')[0]
        == "InvalidParameter"
    )
    assert set_attribute("FilterPolicy", "{bad json")[1].startswith(
        "Invalid parameter: FilterPolicy: failed to parse JSON."
    )
    missing = arn.rsplit(":", 1)[0] + ":00000000-0000-0000-0000-000000000000"
    assert error_of(sns.get_subscription_attributes, SubscriptionArn=missing) == (
        "NotFound",
        "Subscription does not exist",
        404,
    )
    sns.unsubscribe(SubscriptionArn=missing)  # unsubscribing what is gone succeeds


def test_subscriptions_through_the_cli(aws, make_queue):
    topic = aws("sns", "create-topic", "--name", unique())["TopicArn"]
    q = make_queue()
    arn = aws("sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint", q.arn,
              "--attributes", '{"RawMessageDelivery": "true"}')["SubscriptionArn"]  # fmt: skip
    listed = aws("sns", "list-subscriptions-by-topic", "--topic-arn", topic)["Subscriptions"]
    assert [s["SubscriptionArn"] for s in listed] == [arn]
    aws("sns", "unsubscribe", "--subscription-arn", arn)
    assert aws("sns", "list-subscriptions-by-topic", "--topic-arn", topic)["Subscriptions"] == []


def test_subscribe_again_compares_attributes_by_meaning(sns, topic, make_queue):
    q = make_queue()
    policy = {"kind": ["a", "b"]}
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q.arn,
                        Attributes={"FilterPolicy": json.dumps(policy)})["SubscriptionArn"]  # fmt: skip
    again = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q.arn, Attributes={
        "FilterPolicy": json.dumps(policy, indent=2), "RawMessageDelivery": "false",
    })["SubscriptionArn"]  # fmt: skip
    assert again == arn
    assert error_of(sns.subscribe, TopicArn=topic, Protocol="sqs", Endpoint=q.arn,
                    Attributes={"RawMessageDelivery": "true"})[1] == (
        "Invalid parameter: Attributes Reason: Subscription already exists with different attributes"
    )  # fmt: skip


def test_another_accounts_queue_confirms_from_the_queue(sns, topic, client):
    import boto3

    other = boto3.client("sqs", endpoint_url=client("sqs").meta.endpoint_url, region_name="us-east-1",
                         aws_access_key_id="444455556666", aws_secret_access_key="x")  # fmt: skip
    url = other.create_queue(QueueName=unique("cross"))["QueueUrl"]
    queue_arn = other.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    assert queue_arn.split(":")[4] == "444455556666"
    assert (
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]
        == "pending confirmation"
    )
    (message,) = other.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
    confirmation = json.loads(message["Body"])
    assert confirmation["Type"] == "SubscriptionConfirmation" and confirmation["TopicArn"] == topic
    with urllib.request.urlopen(confirmation["SubscribeURL"], timeout=5) as response:
        assert response.status == 200
    (listed,) = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert listed["SubscriptionArn"].startswith(topic + ":") and listed["Endpoint"] == queue_arn


def test_subscription_principal_is_the_subscriber(client, sns, topic, make_queue):
    import boto3

    iam = client("iam")
    user = iam.create_user(UserName=unique("subscriber"))["User"]
    key = iam.create_access_key(UserName=user["UserName"])["AccessKey"]
    as_user = boto3.client(
        "sns", endpoint_url=sns.meta.endpoint_url, region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
    )  # fmt: skip
    q = make_queue()
    arn = as_user.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q.arn)["SubscriptionArn"]
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attributes["SubscriptionPrincipal"] == user["Arn"]


def test_sms_endpoint_digits_may_be_grouped(sns, topic):
    arn = sns.subscribe(
        TopicArn=topic, Protocol="sms", Endpoint="+12/34-567.890", ReturnSubscriptionArn=True
    )["SubscriptionArn"]
    assert sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["Endpoint"] == "+1234567890"


def test_fifo_topic_dead_letter_queues_follow_the_subscribed_queue(sns, make_queue):
    topic = sns.create_topic(Name=unique() + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    standard, fifo, standard_dlq = make_queue(), make_queue(fifo=True), make_queue()
    redrive = json.dumps({"deadLetterTargetArn": standard_dlq.arn})
    # A standard queue subscribed to a FIFO topic takes a standard dead-letter queue...
    to_standard = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=standard.arn)["SubscriptionArn"]
    sns.set_subscription_attributes(
        SubscriptionArn=to_standard, AttributeName="RedrivePolicy", AttributeValue=redrive
    )
    # ...a FIFO queue's subscription needs a FIFO one.
    to_fifo = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=fifo.arn)["SubscriptionArn"]
    assert (
        error_of(
            sns.set_subscription_attributes,
            SubscriptionArn=to_fifo,
            AttributeName="RedrivePolicy",
            AttributeValue=redrive,
        )[1]
        == "Invalid parameter: RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic."
    )


CONFIRMING_HANDLER = """
import json, urllib.request
def handler(event, context):
    body = json.loads(event["body"])
    if body["Type"] == "SubscriptionConfirmation":
        urllib.request.urlopen(body["SubscribeURL"], timeout=10).read()
    return {"statusCode": 200}
"""


def test_an_http_subscription_to_a_function_url_is_delivered_without_dns(client, sns, topic):
    # Function URLs live under localhost.localstack.cloud, which public DNS resolves to
    # 127.0.0.1; SNS reaches them even where no DNS answers (offline, sandboxed).
    lam = client("lambda")
    name = unique("fn")
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", CONFIRMING_HANDLER)
    lam.create_function(
        FunctionName=name, Runtime="python3.12", Role="arn:aws:iam::000000000000:role/lambda-role",
        Handler="handler.handler", Code={"ZipFile": code.getvalue()},
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 300}
    )
    url = lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    assert ".localhost.localstack.cloud:" in url
    arn = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=url, ReturnSubscriptionArn=True)[
        "SubscriptionArn"
    ]
    deadline = time.monotonic() + 30
    while (
        sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"] != "false"
    ):
        assert time.monotonic() < deadline, "the function never confirmed the subscription"
        time.sleep(0.2)
