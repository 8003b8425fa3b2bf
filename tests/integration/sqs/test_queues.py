"""SQS queues through boto3 (JSON protocol) and a query-protocol client: URLs, listing,
attributes, tags, policies, purge and delete."""

from __future__ import annotations

import json
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.integration.sqs.conftest import unique


def error_of(excinfo) -> tuple[str, str, int]:
    response = excinfo.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_create_get_url_and_default_url_form(any_sqs, endpoint):
    name = unique()
    url = any_sqs.create_queue(QueueName=name)["QueueUrl"]
    assert url == f"{endpoint}/000000000000/{name}"
    assert any_sqs.get_queue_url(QueueName=name)["QueueUrl"] == url
    # Creating again with the same (or no) attributes answers the same URL.
    assert any_sqs.create_queue(QueueName=name)["QueueUrl"] == url


def test_get_queue_url_of_missing_queue(any_sqs, query_sqs):
    with pytest.raises(ClientError) as excinfo:
        any_sqs.get_queue_url(QueueName=unique())
    # The query API words it as it always has.
    message = "The specified queue does not exist" + (
        " for this wsdl version." if any_sqs is query_sqs else "."
    )
    assert error_of(excinfo) == ("AWS.SimpleQueueService.NonExistentQueue", message, 400)


def test_get_queue_url_with_owner_account(endpoint, sqs):
    other = boto3.client(
        "sqs", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="111111111111", aws_secret_access_key="test",
    )  # fmt: skip
    name = unique()
    url = other.create_queue(QueueName=name)["QueueUrl"]
    assert "/111111111111/" in url
    with pytest.raises(ClientError):
        sqs.get_queue_url(QueueName=name)
    assert sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId="111111111111")["QueueUrl"] == url
    # The URL names the owner: the other account can send to it.
    sqs.send_message(QueueUrl=url, MessageBody="cross-account")
    assert other.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "cross-account"


def test_localstack_host_gets_localstack_urls(endpoint, server):
    port = server.port
    host = f"sqs.eu-west-1.localhost.localstack.cloud:{port}"
    name = unique()
    body = json.dumps({"QueueName": name}).encode()
    request = urllib.request.Request(
        f"{endpoint}/", data=body, method="POST",
        headers={
            "Host": host, "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.CreateQueue",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/eu-west-1/sqs/aws4_request, "
                             "SignedHeaders=host, Signature=0",
        },
    )  # fmt: skip
    with urllib.request.urlopen(request) as response:
        url = json.loads(response.read())["QueueUrl"]
    assert url == f"http://sqs.eu-west-1.localhost.localstack.cloud:{port}/000000000000/{name}"


def test_queue_url_forms_all_name_the_queue(sqs, endpoint):
    name = unique()
    sqs.create_queue(QueueName=name)
    for url in (
        f"https://sqs.us-east-1.amazonaws.com/000000000000/{name}",
        f"https://us-east-1.queue.amazonaws.com/000000000000/{name}",
        f"http://sqs.us-east-1.localhost.localstack.cloud:4566/000000000000/{name}",
        f"http://localhost:4566/queue/us-east-1/000000000000/{name}",
        f"http://localhost:4566/000000000000/{name}",
    ):
        sqs.send_message(QueueUrl=url, MessageBody=url)
    attributes = sqs.get_queue_attributes(QueueUrl=name, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "5"
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(QueueUrl="https://sqs.us-east-1.amazonaws.com/not-a-queue-url", MessageBody="x")
    # As AWS answers a URL that names no queue (moto's suite checks this against AWS).
    assert error_of(excinfo) == (
        "AWS.SimpleQueueService.NonExistentQueue",
        "The specified queue does not exist.",
        400,
    )


def test_list_queues_with_prefix_and_pages(any_sqs):
    prefix = unique("list")
    names = sorted(f"{prefix}-{i:02d}" for i in range(7))
    for name in names:
        any_sqs.create_queue(QueueName=name)
    everything = any_sqs.list_queues(QueueNamePrefix=prefix)
    assert [url.rsplit("/", 1)[1] for url in everything["QueueUrls"]] == names
    assert "NextToken" not in everything
    seen, token = [], None
    while True:
        kwargs = {"QueueNamePrefix": prefix, "MaxResults": 3}
        if token:
            kwargs["NextToken"] = token
        page = any_sqs.list_queues(**kwargs)
        seen += [url.rsplit("/", 1)[1] for url in page["QueueUrls"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == names
    assert "QueueUrls" not in any_sqs.list_queues(QueueNamePrefix=unique("none"))
    with pytest.raises(ClientError) as excinfo:
        any_sqs.list_queues(MaxResults=1001)
    assert error_of(excinfo)[0] == "InvalidParameterValue"


def test_default_attributes(any_sqs):
    url = any_sqs.create_queue(QueueName=unique())["QueueUrl"]
    attributes = any_sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    created = attributes.pop("CreatedTimestamp")
    assert created.isdigit() and attributes.pop("LastModifiedTimestamp") == created
    assert attributes.pop("QueueArn") == f"arn:aws:sqs:us-east-1:000000000000:{url.rsplit('/', 1)[1]}"
    assert attributes == {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
        "ApproximateNumberOfMessagesDelayed": "0",
        "DelaySeconds": "0",
        "MaximumMessageSize": "1048576",
        "MessageRetentionPeriod": "345600",
        "ReceiveMessageWaitTimeSeconds": "0",
        "VisibilityTimeout": "30",
        "SqsManagedSseEnabled": "true",
    }
    fifo = any_sqs.create_queue(QueueName=unique() + ".fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    attributes = any_sqs.get_queue_attributes(QueueUrl=fifo, AttributeNames=["All"])["Attributes"]
    assert attributes["FifoQueue"] == "true"
    assert attributes["ContentBasedDeduplication"] == "false"
    assert attributes["DeduplicationScope"] == "queue"
    assert attributes["FifoThroughputLimit"] == "perQueue"


def test_set_and_get_attributes(any_sqs):
    url = any_sqs.create_queue(QueueName=unique(), Attributes={"VisibilityTimeout": "20"})["QueueUrl"]
    any_sqs.set_queue_attributes(
        QueueUrl=url,
        Attributes={"DelaySeconds": "5", "MaximumMessageSize": "2048", "ReceiveMessageWaitTimeSeconds": "3",
                    "KmsMasterKeyId": "alias/aws/sqs"},
    )  # fmt: skip
    attributes = any_sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["VisibilityTimeout", "DelaySeconds", "MaximumMessageSize",
                                      "ReceiveMessageWaitTimeSeconds", "SqsManagedSseEnabled", "KmsMasterKeyId"]
    )["Attributes"]  # fmt: skip
    assert attributes == {
        "VisibilityTimeout": "20", "DelaySeconds": "5", "MaximumMessageSize": "2048",
        "ReceiveMessageWaitTimeSeconds": "3", "SqsManagedSseEnabled": "false", "KmsMasterKeyId": "alias/aws/sqs",
    }  # fmt: skip
    assert any_sqs.get_queue_attributes(QueueUrl=url).get("Attributes") is None


@pytest.mark.parametrize(
    "attributes, code, message",
    [
        ({"Bogus": "1"}, "InvalidAttributeName", "Unknown Attribute Bogus."),
        ({"QueueArn": "x"}, "InvalidAttributeName", "Unknown Attribute QueueArn."),
        ({"VisibilityTimeout": "43201"}, "InvalidAttributeValue", "Invalid value for the parameter VisibilityTimeout."),
        ({"DelaySeconds": "abc"}, "InvalidAttributeValue", "Invalid value for the parameter DelaySeconds."),
        ({"MaximumMessageSize": "1023"}, "InvalidAttributeValue", "Invalid value for the parameter MaximumMessageSize."),
        ({"MessageRetentionPeriod": "59"}, "InvalidAttributeValue",
         "Invalid value for the parameter MessageRetentionPeriod."),
        ({"FifoQueue": "true"}, "InvalidAttributeName", "Unknown Attribute FifoQueue."),
        ({"ContentBasedDeduplication": "true"}, "InvalidAttributeName", "Unknown Attribute ContentBasedDeduplication."),
        ({"DeduplicationScope": "messageGroup"}, "InvalidAttributeName",
         "You can specify the DeduplicationScope only when FifoQueue is set to true."),
        ({"Policy": "{not json"}, "InvalidAttributeValue", "Invalid value for the parameter Policy."),
    ],
)  # fmt: skip
def test_bad_attributes_get_the_documented_error(any_sqs, queue, attributes, code, message):
    with pytest.raises(ClientError) as excinfo:
        any_sqs.set_queue_attributes(QueueUrl=queue, Attributes=attributes)
    assert error_of(excinfo) == (code, message, 400)


def test_bad_attribute_names_when_reading(any_sqs, queue):
    with pytest.raises(ClientError) as excinfo:
        any_sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["Bogus"])
    assert error_of(excinfo) == ("InvalidAttributeName", "Unknown Attribute Bogus.", 400)


def test_create_rules(any_sqs):
    name = unique()
    any_sqs.create_queue(QueueName=name, Attributes={"DelaySeconds": "1"})
    with pytest.raises(ClientError) as excinfo:
        any_sqs.create_queue(QueueName=name, Attributes={"DelaySeconds": "2"})
    assert error_of(excinfo) == (
        "QueueAlreadyExists", "A queue already exists with the same name and a different value for attribute DelaySeconds",
        400,
    )  # fmt: skip
    with pytest.raises(ClientError) as excinfo:
        any_sqs.create_queue(QueueName="bad name!")
    assert error_of(excinfo) == (
        "InvalidParameterValue", "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
        400,
    )  # fmt: skip
    with pytest.raises(ClientError) as excinfo:
        any_sqs.create_queue(QueueName=unique(), Attributes={"FifoQueue": "true"})
    assert error_of(excinfo)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as excinfo:
        any_sqs.create_queue(QueueName=unique(), Attributes={"FifoQueue": "false"})
    assert error_of(excinfo) == ("InvalidAttributeName", "Unknown Attribute FifoQueue.", 400)


def test_tags(any_sqs):
    url = any_sqs.create_queue(QueueName=unique(), tags={"team": "core"})["QueueUrl"]
    any_sqs.tag_queue(QueueUrl=url, Tags={"env": "dev", "empty": ""})
    assert any_sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "core", "env": "dev", "empty": ""}
    any_sqs.untag_queue(QueueUrl=url, TagKeys=["team", "empty"])
    assert any_sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "dev"}
    any_sqs.untag_queue(QueueUrl=url, TagKeys=["env"])
    assert "Tags" not in any_sqs.list_queue_tags(QueueUrl=url)


def test_policy_stored_and_permissions(any_sqs, queue):
    arn = any_sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
                       "Resource": arn}],
    }  # fmt: skip
    any_sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": json.dumps(policy)})
    stored = any_sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["Policy"])["Attributes"]["Policy"]
    assert json.loads(stored) == policy
    any_sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": ""})
    assert "Attributes" not in any_sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["Policy"])

    any_sqs.add_permission(
        QueueUrl=queue, Label="p1", AWSAccountIds=["111111111111"], Actions=["SendMessage"]
    )
    with pytest.raises(ClientError) as excinfo:
        any_sqs.add_permission(
            QueueUrl=queue, Label="p1", AWSAccountIds=["111111111111"], Actions=["SendMessage"]
        )
    assert error_of(excinfo) == (
        "InvalidParameterValue",
        "Value p1 for parameter Label is invalid. Reason: Already exists.",
        400,
    )
    document = json.loads(
        any_sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["Policy"])["Attributes"]["Policy"]
    )
    assert document["Statement"] == [{
        "Sid": "p1", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
        "Action": "SQS:SendMessage", "Resource": arn,
    }]  # fmt: skip
    any_sqs.remove_permission(QueueUrl=queue, Label="p1")
    assert "Attributes" not in any_sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["Policy"])
    with pytest.raises(ClientError) as excinfo:
        any_sqs.remove_permission(QueueUrl=queue, Label="p1")
    assert error_of(excinfo)[1] == "Value p1 for parameter Label is invalid. Reason: can't find label."


def test_purge_once_a_minute(any_sqs, queue):
    any_sqs.send_message(QueueUrl=queue, MessageBody="a")
    any_sqs.purge_queue(QueueUrl=queue)
    assert "Messages" not in any_sqs.receive_message(QueueUrl=queue)
    with pytest.raises(ClientError) as excinfo:
        any_sqs.purge_queue(QueueUrl=queue)
    name = queue.rsplit("/", 1)[1]
    assert error_of(excinfo) == (
        "AWS.SimpleQueueService.PurgeQueueInProgress",
        f"Only one PurgeQueue operation on {name} is allowed every 60 seconds.",
        403,
    )


def test_delete_queue_and_name_reuse(any_sqs):
    name = unique()
    url = any_sqs.create_queue(QueueName=name)["QueueUrl"]
    any_sqs.send_message(QueueUrl=url, MessageBody="a")
    any_sqs.delete_queue(QueueUrl=url)
    with pytest.raises(ClientError) as excinfo:
        any_sqs.send_message(QueueUrl=url, MessageBody="a")
    assert error_of(excinfo)[0] == "AWS.SimpleQueueService.NonExistentQueue"
    with pytest.raises(ClientError) as excinfo:
        any_sqs.create_queue(QueueName=name)
    assert error_of(excinfo) == (
        "AWS.SimpleQueueService.QueueDeletedRecently",
        "You must wait 60 seconds after deleting a queue before you can create another with the same name.",
        400,
    )


def test_modelled_errors_are_catchable_by_class(sqs, query_sqs):
    for client in (sqs, query_sqs):
        with pytest.raises(client.exceptions.QueueDoesNotExist):
            client.get_queue_url(QueueName=unique())


def _signed_get(url: str, params: dict) -> tuple[int, str]:
    """A SigV4-signed GET of the query API, as a hand-written client sends it to a queue URL."""
    import urllib.error
    import urllib.parse
    import urllib.request

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    full = f"{url}?{urllib.parse.urlencode(params)}"
    request = AWSRequest(method="GET", url=full)
    SigV4Auth(Credentials("test", "test"), "sqs", "us-east-1").add_auth(request)
    prepared = urllib.request.Request(full, headers=dict(request.headers.items()), method="GET")
    try:
        with urllib.request.urlopen(prepared, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_service_actions_at_a_queue_url_are_refused(sqs):
    url = sqs.create_queue(QueueName=unique())["QueueUrl"]
    for action, extra in (("CreateQueue", {"QueueName": unique()}), ("ListQueues", {})):
        status, body = _signed_get(url, {"Action": action, **extra})
        assert status == 400
        assert "<Code>InvalidAction</Code>" in body
        assert f"<Message>The action {action} is not valid for this endpoint.</Message>" in body
    status, body = _signed_get(url, {"Action": "FooBar", "Version": "2012-11-05"})
    assert status == 400 and "<Type>Sender</Type>" in body
    assert "<Message>The action FooBar is not valid for this endpoint.</Message>" in body
    # A queue's own action at its URL works.
    status, body = _signed_get(url, {"Action": "SendMessage", "MessageBody": "hello"})
    assert status == 200 and "<MD5OfMessageBody>" in body
