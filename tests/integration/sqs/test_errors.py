"""SQS errors on the wire, exactly as AWS answers them (recorded AWS responses): the JSON
protocol's namespaced `__type` and `x-amzn-query-error` header, the query protocol's XML with its
`<Detail/>`, and the wording of errors whose text AWS changes by context."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

import pytest
from botocore.exceptions import ClientError

from tests.integration.sqs.conftest import unique
from tests.integration.sqs.test_queues import error_of

AUTH = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=x"


@dataclass
class Answer:
    status: int
    headers: dict
    text: str

    def json(self):
        return json.loads(self.text)


def post(url: str, data: bytes, headers: dict) -> Answer:
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Answer(response.status, dict(response.headers), response.read().decode())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read().decode())


def json_call(endpoint: str, operation: str, body: dict) -> Answer:
    headers = {"X-Amz-Target": f"AmazonSQS.{operation}", "Content-Type": "application/x-amz-json-1.0",
               "Authorization": AUTH}  # fmt: skip
    return post(endpoint + "/", json.dumps(body).encode(), headers)


def query_call(endpoint: str, **params: str) -> Answer:
    data = urllib.parse.urlencode({**params, "Version": "2012-11-05"}).encode()
    return post(
        endpoint + "/", data, {"Authorization": AUTH, "Content-Type": "application/x-www-form-urlencoded"}
    )


@pytest.mark.parametrize(
    "operation, body, json_type, query_code, message",
    [
        ("GetQueueUrl", {"QueueName": "missing-q"}, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue",
         "The specified queue does not exist."),
        ("SendMessage", {"QueueUrl": "QUEUE", "MessageBody": ""}, "MissingRequiredParameterException",
         "MissingParameter", "The request must contain the parameter MessageBody."),
        ("ReceiveMessage", {"QueueUrl": "QUEUE", "MaxNumberOfMessages": 11}, "InvalidParameterValueException",
         "InvalidParameterValue",
         "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."),
        ("GetQueueAttributes", {"QueueUrl": "QUEUE", "AttributeNames": ["Foobar"]}, "InvalidAttributeName",
         "InvalidAttributeName", "Unknown Attribute Foobar."),
    ],
)  # fmt: skip
def test_json_error_wire_shape(endpoint, queue, operation, body, json_type, query_code, message):
    body = {k: (queue if v == "QUEUE" else v) for k, v in body.items()}
    response = json_call(endpoint, operation, body)
    assert response.status == 400
    assert response.headers["x-amzn-query-error"] == f"{query_code};Sender"
    assert response.json() == {"__type": f"com.amazonaws.sqs#{json_type}", "message": message}


def test_query_error_wire_shape(endpoint, queue):
    response = query_call(endpoint, Action="GetQueueUrl", QueueName=unique("missing"))
    assert response.status == 400
    text = response.text
    assert (
        "<Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code>"
        "<Message>The specified queue does not exist for this wsdl version.</Message><Detail/></Error>"
    ) in text
    response = query_call(
        endpoint, Action="GetQueueAttributes", QueueUrl=queue, **{"AttributeName.1": "Foobar"}
    )
    assert response.status == 400
    assert ("<Code>InvalidAttributeName</Code><Message>Unknown Attribute Foobar.</Message><Detail/>"
            in response.text)  # fmt: skip


def test_oversized_batch_entry_is_worded_as_a_batch_entry(any_sqs):
    queue = any_sqs.create_queue(QueueName=unique(), Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    result = any_sqs.send_message_batch(QueueUrl=queue, Entries=[
        {"Id": "fits", "MessageBody": "a" * 1024}, {"Id": "big", "MessageBody": "a" * 1025},
    ])  # fmt: skip
    assert [e["Id"] for e in result["Successful"]] == ["fits"]
    assert result["Failed"] == [{
        "Id": "big", "SenderFault": True, "Code": "InvalidParameterValue",
        "Message": "One or more parameters cannot be validated. Reason: Message must be shorter than 1024 bytes.",
    }]  # fmt: skip
    with pytest.raises(ClientError) as excinfo:
        any_sqs.send_message(QueueUrl=queue, MessageBody="a" * 1025)
    assert error_of(excinfo) == (
        "InvalidParameterValue", "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.",
        400,
    )  # fmt: skip


def test_fifo_queue_type_attribute_and_empty_deduplication_id(any_sqs):
    queue = any_sqs.create_queue(QueueName=unique() + ".fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    any_sqs.set_queue_attributes(QueueUrl=queue, Attributes={"FifoQueue": "true"})  # unchanged: accepted
    with pytest.raises(ClientError) as excinfo:
        any_sqs.send_message(QueueUrl=queue, MessageBody="m", MessageGroupId="g", MessageDeduplicationId="")
    assert error_of(excinfo) == (
        "InvalidParameterValue",
        "Value  for parameter MessageDeduplicationId is invalid. Reason: MessageDeduplicationId can only include"
        " alphanumeric and punctuation characters. 1 to 128 in length.",
        400,
    )  # fmt: skip


def test_earlier_receipt_handle_still_changes_visibility_on_a_standard_queue(any_sqs):
    queue = any_sqs.create_queue(QueueName=unique())["QueueUrl"]
    any_sqs.send_message(QueueUrl=queue, MessageBody="m")
    first = any_sqs.receive_message(QueueUrl=queue, VisibilityTimeout=0)["Messages"][0]["ReceiptHandle"]
    second = any_sqs.receive_message(QueueUrl=queue)["Messages"][0]["ReceiptHandle"]
    assert first != second
    any_sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=first, VisibilityTimeout=0)
    result = any_sqs.change_message_visibility_batch(
        QueueUrl=queue, Entries=[{"Id": "a", "ReceiptHandle": first, "VisibilityTimeout": 5}]
    )
    assert [e["Id"] for e in result["Successful"]] == ["a"]


def test_tag_queue_needs_tags(any_sqs):
    queue = any_sqs.create_queue(QueueName=unique())["QueueUrl"]
    with pytest.raises(ClientError) as excinfo:
        any_sqs.tag_queue(QueueUrl=queue, Tags={})
    assert error_of(excinfo) == ("MissingParameter", "The request must contain the parameter Tags.", 400)


def test_cancel_move_task_of_a_missing_source_queue(sqs):
    missing = "arn:aws:sqs:us-east-1:000000000000:" + unique("gone")
    handle = base64.b64encode(json.dumps({"taskId": "10f57157-fc38-4da9-a113-4de7e12d05dd",
                                          "sourceArn": missing}).encode()).decode()  # fmt: skip
    with pytest.raises(ClientError) as excinfo:
        sqs.cancel_message_move_task(TaskHandle=handle)
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        "The resource that you specified for the SourceArn parameter doesn't exist.",
        404,
    )
    with pytest.raises(ClientError) as excinfo:
        sqs.cancel_message_move_task(TaskHandle="foobared")
    assert error_of(excinfo) == ("InvalidParameterValue", "Value for parameter TaskHandle is invalid.", 400)
