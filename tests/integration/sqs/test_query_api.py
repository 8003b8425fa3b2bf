"""SQS's query API as AWS answers it beyond what SDKs send (LocalStack's AWS-validated
TestSqsQueryApi and test_marker_serialization_json_protocol): GETs of a queue URL, empty results
as one self-closing element, and JSON answers to a client that sends `Accept: application/json`."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

from tests.integration.sqs.conftest import unique
from tests.integration.sqs.test_errors import AUTH, Answer


def get(url: str, params: dict | None = None, accept: str | None = None) -> Answer:
    headers = {"Authorization": AUTH}
    if accept:
        headers["Accept"] = accept
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    request = urllib.request.Request(url + query, headers=headers, method="GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Answer(response.status, dict(response.headers), response.read().decode())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read().decode())


def test_get_of_a_queue_url_without_an_action_is_an_unknown_operation(queue):
    for accept in (None, "application/json"):
        answer = get(queue, accept=accept)
        assert (answer.status, answer.text) == (404, "<UnknownOperationException/>")


def test_an_empty_result_is_one_self_closing_element(queue):
    answer = get(queue, {"Action": "ReceiveMessage"})
    assert answer.status == 200
    assert "<ReceiveMessageResult/><ResponseMetadata>" in answer.text
    get(queue, {"Action": "SendMessage", "MessageBody": "foobar"})
    answer = get(queue, {"Action": "ReceiveMessage"})
    assert "<Body>foobar</Body>" in answer.text and "<MD5OfBody>" in answer.text


def test_query_answers_json_to_a_client_that_accepts_it(endpoint, sqs, queue):
    body = '{"foo": "ba\rr", "foo2": "ba&quot;r&quot;"}'
    sqs.send_message(
        QueueUrl=queue,
        MessageBody=body,
        MessageAttributes={"colour": {"DataType": "String", "StringValue": "blue"}},
    )
    answer = get(
        endpoint + "/",
        {
            "Action": "ReceiveMessage",
            "QueueUrl": queue,
            "Version": "2012-11-05",
            "MessageAttributeName.1": "All",
        },
        accept="application/json",
    )
    assert answer.status == 200
    assert {k.lower(): v for k, v in answer.headers.items()}["content-type"] == "application/json"
    document = answer.json()["ReceiveMessageResponse"]
    assert document["ResponseMetadata"]["RequestId"]
    (message,) = document["ReceiveMessageResult"]["messages"]
    assert message["Body"] == body
    assert message["MessageAttributes"] == [
        {"Name": "colour", "Value": {"DataType": "String", "StringValue": "blue"}}
    ]

    answer = get(
        queue, {"Action": "GetQueueAttributes", "AttributeName.1": "QueueArn"}, accept="application/json"
    )
    attributes = answer.json()["GetQueueAttributesResponse"]["GetQueueAttributesResult"]["Attributes"]
    assert attributes == [
        {"Name": "QueueArn", "Value": f"arn:aws:sqs:us-east-1:000000000000:{queue.rsplit('/', 1)[1]}"}
    ]

    listed = get(endpoint + "/", {"Action": "ListQueues", "Version": "2012-11-05"}, accept="application/json")
    assert queue in listed.json()["ListQueuesResponse"]["ListQueuesResult"]["QueueUrls"]
    # Without the header the same request is answered in XML.
    assert (
        "<ListQueuesResponse" in get(endpoint + "/", {"Action": "ListQueues", "Version": "2012-11-05"}).text
    )


def test_query_errors_are_json_to_a_client_that_accepts_it(queue):
    answer = get(queue, {"Action": "ListQueues"}, accept="application/json")
    assert answer.status == 400
    document = answer.json()
    assert document["Error"] == {
        "Type": "Sender",
        "Code": "InvalidAction",
        "Message": "The action ListQueues is not valid for this endpoint.",
    }
    assert document["RequestId"]
    missing = get(queue + unique("-gone"), {"Action": "GetQueueAttributes"}, accept="application/json")
    assert missing.status == 400
    assert missing.json()["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert missing.json()["Error"]["Message"] == "The specified queue does not exist for this wsdl version."
