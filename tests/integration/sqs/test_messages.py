"""SQS messages through boto3 and the query protocol: send, receive, delete, attributes and
their MD5s, delays, visibility, long polling, batches and their limits."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from tests.integration.sqs.conftest import unique
from tests.integration.sqs.test_queues import error_of

# MD5OfMessageAttributes values AWS returned for these attributes (recorded answers).
FOO_BAR = {"Foo": {"DataType": "String", "StringValue": "Bar"}}
FOO_BAR_MD5 = "ae7155c6026991b6d54b11589678bf9c"
BINARY = {
    "attr1": {
        "DataType": "Binary",
        "BinaryValue": b"traceparent\x1e00-774062d6c37081a5a0b9b5b88e30627c-2d2482211f6489da-01",
    }
}
BINARY_MD5 = "8cbe4db156db8a94db8b801b7addb984"


def count(sqs, url, name="ApproximateNumberOfMessages") -> int:
    return int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[name])["Attributes"][name])


def test_send_receive_delete(any_sqs, queue):
    sent = any_sqs.send_message(QueueUrl=queue, MessageBody="hello world", MessageAttributes=FOO_BAR)
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"hello world").hexdigest()
    assert sent["MD5OfMessageAttributes"] == FOO_BAR_MD5
    received = any_sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["All"], AttributeNames=["All"])
    (message,) = received["Messages"]
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == "hello world"
    assert message["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert message["MessageAttributes"] == FOO_BAR
    assert message["MD5OfMessageAttributes"] == FOO_BAR_MD5
    attributes = message["Attributes"]
    assert attributes["ApproximateReceiveCount"] == "1"
    assert attributes["SenderId"] == "000000000000"
    assert abs(int(attributes["SentTimestamp"]) / 1000 - time.time()) < 60
    assert int(attributes["ApproximateFirstReceiveTimestamp"]) >= int(attributes["SentTimestamp"])
    assert count(any_sqs, queue, "ApproximateNumberOfMessagesNotVisible") == 1
    any_sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    # Deleting again succeeds, as SQS does.
    any_sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    assert count(any_sqs, queue, "ApproximateNumberOfMessagesNotVisible") == 0
    assert "Messages" not in any_sqs.receive_message(QueueUrl=queue)


def test_binary_and_number_attributes_and_filters(any_sqs, queue):
    attributes = {
        **BINARY,
        "price": {"DataType": "Number", "StringValue": "12.50"},
        "order.id": {"DataType": "String.custom", "StringValue": "abc"},
        "order.kind": {"DataType": "String", "StringValue": "x"},
    }
    any_sqs.send_message(QueueUrl=queue, MessageBody="test", MessageAttributes=attributes)
    message = any_sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["attr1"], VisibilityTimeout=0)[
        "Messages"
    ][0]
    assert message["MessageAttributes"] == BINARY
    assert message["MD5OfMessageAttributes"] == BINARY_MD5
    message = any_sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["order.*"], VisibilityTimeout=0)[
        "Messages"
    ][0]
    assert set(message["MessageAttributes"]) == {"order.id", "order.kind"}
    message = any_sqs.receive_message(QueueUrl=queue, VisibilityTimeout=0)["Messages"][0]
    assert "MessageAttributes" not in message and "MD5OfMessageAttributes" not in message
    message = any_sqs.receive_message(QueueUrl=queue, MessageAttributeNames=[".*"])["Messages"][0]
    assert message["MessageAttributes"] == attributes


def test_system_attributes_trace_header(any_sqs, queue):
    trace = "Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72;Sampled=1"
    sent = any_sqs.send_message(
        QueueUrl=queue, MessageBody="test",
        MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": trace}},
    )  # fmt: skip
    expected = hashlib.md5(
        b"\x00\x00\x00\x0eAWSTraceHeader\x00\x00\x00\x06String\x01"
        + len(trace).to_bytes(4, "big")
        + trace.encode()
    ).hexdigest()
    assert sent["MD5OfMessageSystemAttributes"] == expected
    message = any_sqs.receive_message(QueueUrl=queue, MessageSystemAttributeNames=["AWSTraceHeader"])[
        "Messages"
    ][0]
    assert message["Attributes"] == {"AWSTraceHeader": trace}


def test_xray_trace_header_becomes_aws_trace_header(any_sqs, queue):
    trace = "Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72;Sampled=1"

    def add_trace_header(request, **_):
        request.headers["X-Amzn-Trace-Id"] = trace

    any_sqs.meta.events.register("before-send.sqs.SendMessage", add_trace_header)
    try:
        any_sqs.send_message(QueueUrl=queue, MessageBody="traced")
    finally:
        any_sqs.meta.events.unregister("before-send.sqs.SendMessage", add_trace_header)
    [message] = any_sqs.receive_message(QueueUrl=queue, MessageSystemAttributeNames=["AWSTraceHeader"])[
        "Messages"
    ]
    assert message["Attributes"] == {"AWSTraceHeader": trace}


@pytest.mark.parametrize(
    "attributes, message",
    [
        ({"a": {"DataType": "String", "StringValue": ""}},
         "Message (user) attribute 'a' must contain a non-empty value of type 'String'."),
        ({"n": {"DataType": "Number", "StringValue": "abc"}},
         "Can't cast the value of message (user) attribute 'n' to a number."),
        ({"AWS.x": {"DataType": "String", "StringValue": "v"}},
         "You can't use message attribute names beginning with 'AWS.' or 'Amazon.'. These strings are reserved for"
         " internal use. Additionally, they cannot start or end with '.'."),
        ({"t": {"DataType": "Text", "StringValue": "v"}},
         "The type of message (user) attribute 't' is invalid. You must use only the following supported type"
         " prefixes: Binary, Number, String."),
        ({f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)},
         "Number of message attributes [11] exceeds the allowed maximum [10]."),
    ],
)  # fmt: skip
def test_bad_message_attributes(any_sqs, queue, attributes, message):
    with pytest.raises(ClientError) as excinfo:
        any_sqs.send_message(QueueUrl=queue, MessageBody="x", MessageAttributes=attributes)
    assert error_of(excinfo) == ("InvalidParameterValue", message, 400)


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        (["Hel.*"], {"Hello", "Help.Me"}),
        (["Help.*"], {"Help.Me"}),
        (["*"], {"Hello", "Help.Me", "General"}),
        ([".*"], {"Hello", "Help.Me", "General"}),
        (["Foo", "Help"], set()),
        (["Foo", "Hello"], {"Hello"}),
    ],
)
def test_receive_selects_message_attributes_by_name_and_prefix(any_sqs, queue, wanted, expected):
    attributes = {
        name: {"DataType": "String", "StringValue": name} for name in ("Help.Me", "Hello", "General")
    }
    any_sqs.send_message(QueueUrl=queue, MessageBody="x", MessageAttributes=attributes)
    [message] = any_sqs.receive_message(QueueUrl=queue, MessageAttributeNames=wanted)["Messages"]
    assert set(message.get("MessageAttributes", {})) == expected
    if expected:
        chosen = {name: attributes[name] for name in expected}
        sent = any_sqs.send_message(QueueUrl=queue, MessageBody="y", MessageAttributes=chosen)
        assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    else:
        assert "MD5OfMessageAttributes" not in message


def test_message_attribute_names_may_hold_letters_beyond_ascii(any_sqs, queue):
    # AWS's recorded answer: "attr.1øßä" is a valid name.
    any_sqs.send_message(QueueUrl=queue, MessageBody="x",
                         MessageAttributes={"attr.1øßä": {"DataType": "String", "StringValue": "v"}})  # fmt: skip
    [message] = any_sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["All"])["Messages"]
    assert list(message["MessageAttributes"]) == ["attr.1øßä"]


@pytest.mark.parametrize("name", ["a b", "x/y", "a×b", "a÷b", "smile☺", "tab\tname"])
def test_message_attribute_names_are_limited_to_awss_characters(any_sqs, queue, name):
    with pytest.raises(ClientError) as excinfo:
        any_sqs.send_message(
            QueueUrl=queue,
            MessageBody="x",
            MessageAttributes={name: {"DataType": "String", "StringValue": "v"}},
        )
    assert error_of(excinfo) == (
        "InvalidParameterValue",
        "Message (user) attributes name can only contain upper and lower score characters, digits, periods,"
        " hyphens and underscores. ",
        400,
    )


def test_message_size_limits(any_sqs):
    url = any_sqs.create_queue(QueueName=unique())["QueueUrl"]
    any_sqs.send_message(QueueUrl=url, MessageBody="a" * 1_048_576)
    with pytest.raises(ClientError) as excinfo:
        any_sqs.send_message(QueueUrl=url, MessageBody="a" * 1_048_577)
    assert error_of(excinfo) == (
        "InvalidParameterValue", "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.",
        400,
    )  # fmt: skip
    # A queue limited to 256 KiB takes exactly 256 KiB, body and attributes together.
    small = any_sqs.create_queue(QueueName=unique(), Attributes={"MaximumMessageSize": "262144"})["QueueUrl"]
    any_sqs.send_message(QueueUrl=small, MessageBody="a" * (262_144 - 12), MessageAttributes=FOO_BAR)
    with pytest.raises(ClientError) as excinfo:
        any_sqs.send_message(QueueUrl=small, MessageBody="é" * 131_073)
    assert (
        error_of(excinfo)[1]
        == "One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes."
    )


def test_empty_and_invalid_bodies(any_sqs, queue):
    with pytest.raises(ClientError) as excinfo:
        any_sqs.send_message(QueueUrl=queue, MessageBody="")
    assert error_of(excinfo) == (
        "MissingParameter",
        "The request must contain the parameter MessageBody.",
        400,
    )
    with pytest.raises(ClientError) as excinfo:
        any_sqs.send_message(QueueUrl=queue, MessageBody="bad \x01 char")
    assert error_of(excinfo)[0] == "InvalidMessageContents"


def test_delay_per_queue_and_per_message(any_sqs):
    url = any_sqs.create_queue(QueueName=unique(), Attributes={"DelaySeconds": "1"})["QueueUrl"]
    any_sqs.send_message(QueueUrl=url, MessageBody="queue delay")
    any_sqs.send_message(QueueUrl=url, MessageBody="no delay", DelaySeconds=0)
    assert count(any_sqs, url, "ApproximateNumberOfMessagesDelayed") == 1
    assert [m["Body"] for m in any_sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == [
        "no delay"
    ]
    assert [m["Body"] for m in any_sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]] == [
        "queue delay"
    ]
    with pytest.raises(ClientError) as excinfo:
        any_sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=901)
    assert error_of(excinfo)[0] == "InvalidParameterValue"


def test_visibility_timeout_and_receive_count(any_sqs, queue):
    any_sqs.send_message(QueueUrl=queue, MessageBody="again")
    first = any_sqs.receive_message(QueueUrl=queue, VisibilityTimeout=1)["Messages"][0]
    assert "Messages" not in any_sqs.receive_message(QueueUrl=queue)
    second = any_sqs.receive_message(
        QueueUrl=queue, WaitTimeSeconds=5, AttributeNames=["ApproximateReceiveCount"]
    )
    (message,) = second["Messages"]
    assert message["MessageId"] == first["MessageId"]
    assert message["Attributes"]["ApproximateReceiveCount"] == "2"
    assert message["ReceiptHandle"] != first["ReceiptHandle"]


def test_change_visibility(any_sqs, queue):
    any_sqs.send_message(QueueUrl=queue, MessageBody="m")
    handle = any_sqs.receive_message(QueueUrl=queue)["Messages"][0]["ReceiptHandle"]
    any_sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=handle, VisibilityTimeout=0)
    message = any_sqs.receive_message(QueueUrl=queue)["Messages"][0]
    result = any_sqs.change_message_visibility_batch(
        QueueUrl=queue,
        Entries=[{"Id": "ok", "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": 100},
                 {"Id": "bad", "ReceiptHandle": "garbage", "VisibilityTimeout": 10}],
    )  # fmt: skip
    assert [e["Id"] for e in result["Successful"]] == ["ok"]
    assert result["Failed"] == [{
        "Id": "bad", "SenderFault": True, "Code": "ReceiptHandleIsInvalid",
        "Message": 'The input receipt handle "garbage" is not a valid receipt handle.',
    }]  # fmt: skip
    any_sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    with pytest.raises(ClientError) as excinfo:
        any_sqs.change_message_visibility(
            QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=5
        )
    assert error_of(excinfo) == (
        "InvalidParameterValue",
        f"Value {message['ReceiptHandle']} for parameter ReceiptHandle is invalid. Reason: Message does not exist or"
        " is not available for visibility timeout change.",
        400,
    )


def test_receive_parameter_errors(any_sqs, queue):
    for kwargs, text in (
        ({"MaxNumberOfMessages": 11}, "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."),
        ({"MaxNumberOfMessages": 0}, "Value 0 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."),
        ({"WaitTimeSeconds": 21}, "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided."),
    ):  # fmt: skip
        with pytest.raises(ClientError) as excinfo:
            any_sqs.receive_message(QueueUrl=queue, **kwargs)
        assert error_of(excinfo) == ("InvalidParameterValue", text, 400)
    with pytest.raises(ClientError) as excinfo:
        any_sqs.delete_message(QueueUrl=queue, ReceiptHandle="not-a-handle")
    assert error_of(excinfo) == (
        "ReceiptHandleIsInvalid",
        'The input receipt handle "not-a-handle" is not a valid receipt handle.',
        400,
    )


def test_max_number_of_messages_and_counts(any_sqs, queue):
    entries = [{"Id": str(i), "MessageBody": f"m{i}"} for i in range(10)]
    any_sqs.send_message_batch(QueueUrl=queue, Entries=entries)
    assert count(any_sqs, queue) == 10
    got = any_sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=7)["Messages"]
    assert len(got) == 7
    assert count(any_sqs, queue) == 3
    assert count(any_sqs, queue, "ApproximateNumberOfMessagesNotVisible") == 7
    result = any_sqs.delete_message_batch(
        QueueUrl=queue, Entries=[{"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]} for m in got]
    )
    # AWS leaves the empty Failed list out.
    assert len(result["Successful"]) == 7 and "Failed" not in result
    assert count(any_sqs, queue, "ApproximateNumberOfMessagesNotVisible") == 0


def test_batch_partial_failure_and_limits(any_sqs, queue):
    result = any_sqs.send_message_batch(
        QueueUrl=queue,
        Entries=[{"Id": "good", "MessageBody": "fine", "MessageAttributes": FOO_BAR},
                 {"Id": "bad", "MessageBody": "x", "DelaySeconds": 1000}],
    )  # fmt: skip
    (ok,) = result["Successful"]
    assert ok["Id"] == "good" and ok["MD5OfMessageAttributes"] == FOO_BAR_MD5
    assert result["Failed"] == [{
        "Id": "bad", "SenderFault": True, "Code": "InvalidParameterValue",
        "Message": "Value 1000 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.",
    }]  # fmt: skip
    cases = [
        ([], "AWS.SimpleQueueService.EmptyBatchRequest",
         "There should be at least one SendMessageBatchRequestEntry in the request."),
        ([{"Id": str(i), "MessageBody": "x"} for i in range(11)], "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
         "Maximum number of entries per request are 10. You have sent 11."),
        ([{"Id": "a b", "MessageBody": "x"}], "AWS.SimpleQueueService.InvalidBatchEntryId",
         "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80"
         " letters long."),
        ([{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}],
         "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id a repeated."),
        ([{"Id": "a", "MessageBody": "x" * 600_000}, {"Id": "b", "MessageBody": "y" * 448_577}],
         "AWS.SimpleQueueService.BatchRequestTooLong",
         "Batch requests cannot be longer than 1048576 bytes. You have sent 1048577 bytes."),
    ]  # fmt: skip
    for entries, code, message in cases:
        with pytest.raises(ClientError) as excinfo:
            any_sqs.send_message_batch(QueueUrl=queue, Entries=entries)
        assert error_of(excinfo) == (code, message, 400)


def test_long_poll_returns_as_soon_as_a_message_arrives(sqs, queue):
    result = {}

    def poll():
        started = time.monotonic()
        result["answer"] = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=20)
        result["took"] = time.monotonic() - started

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.5)
    sqs.send_message(QueueUrl=queue, MessageBody="wake up")
    poller.join(timeout=25)
    assert result["answer"]["Messages"][0]["Body"] == "wake up"
    assert result["took"] < 10, "the long poll waited for its timeout instead of the message"


def test_long_poll_wakes_when_visibility_ends(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="back")
    sqs.receive_message(QueueUrl=queue, VisibilityTimeout=1)
    started = time.monotonic()
    answer = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=10)
    assert answer["Messages"][0]["Body"] == "back"
    assert time.monotonic() - started < 8


def test_queue_wait_time_attribute_makes_receive_long_poll(sqs):
    url = sqs.create_queue(QueueName=unique(), Attributes={"ReceiveMessageWaitTimeSeconds": "1"})["QueueUrl"]
    started = time.monotonic()
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    assert time.monotonic() - started >= 0.9


def raw_receive(endpoint: str, url: str, wait: int) -> dict:
    request = urllib.request.Request(
        f"{endpoint}/", method="POST",
        data=json.dumps({"QueueUrl": url, "WaitTimeSeconds": wait}).encode(),
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.ReceiveMessage",
                 "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sqs/aws4_request, "
                                  "SignedHeaders=host, Signature=0"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_many_idle_long_polls_do_not_block_the_server(sqs, endpoint, queue):
    polls = 150
    with ThreadPoolExecutor(max_workers=polls) as pool:
        futures = [pool.submit(raw_receive, endpoint, queue, 3) for _ in range(polls)]
        time.sleep(0.5)
        started = time.monotonic()
        sqs.send_message(QueueUrl=queue, MessageBody="one")
        sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])
        assert time.monotonic() - started < 5, "idle long polls slowed the server down"
        answers = [future.result() for future in futures]
    delivered = [a for a in answers if a.get("Messages")]
    assert len(delivered) == 1 and delivered[0]["Messages"][0]["Body"] == "one"


def test_query_client_posting_to_the_queue_url(query_sqs, queue):
    # Old SDKs post query requests to the queue URL itself and leave QueueUrl out of the form.
    import botocore.awsrequest

    name = queue.rsplit("/", 1)[1]
    body = "Action=SendMessage&Version=2012-11-05&MessageBody=via+path"
    request = urllib.request.Request(
        queue, data=body.encode(), method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sqs/aws4_request, "
                                  "SignedHeaders=host, Signature=0"},
    )  # fmt: skip
    with urllib.request.urlopen(request) as response:
        assert b"<MessageId>" in response.read()
    assert botocore.awsrequest  # the request above used no SDK at all
    message = query_sqs.receive_message(QueueUrl=queue)["Messages"][0]
    assert message["Body"] == "via path" and name


def test_message_group_id_on_a_standard_queue(any_sqs, queue):
    # Standard queues take MessageGroupId (fair queues); deduplication ids stay FIFO-only.
    any_sqs.send_message(QueueUrl=queue, MessageBody="tenant", MessageGroupId="tenant-1")
    message = any_sqs.receive_message(QueueUrl=queue, MessageSystemAttributeNames=["MessageGroupId"])[
        "Messages"
    ][0]
    assert message["Attributes"] == {"MessageGroupId": "tenant-1"}
    with pytest.raises(ClientError) as excinfo:
        any_sqs.send_message(QueueUrl=queue, MessageBody="x", MessageDeduplicationId="d")
    assert error_of(excinfo) == (
        "InvalidParameterValue",
        "Value d for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter that is"
        " not valid for this queue type.",
        400,
    )
