"""What overcast.common gives every service, seen on the wire: list tokens that are opaque,
refused when altered or reused for another listing, and good after a restart; and AWS's tag
limits, answered with each service's own error."""

from __future__ import annotations

import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def flipped(token: str) -> str:
    middle = len(token) // 2
    return token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]


def make_queues(sqs, count: int) -> str:
    prefix = f"tok{uuid.uuid4().hex[:8]}"
    for n in range(count):
        sqs.create_queue(QueueName=f"{prefix}-{n}")
    return prefix


def test_pages_walk_every_item_and_tokens_are_opaque(client):
    sqs = client("sqs")
    prefix = make_queues(sqs, 3)
    urls, kwargs = [], {"QueueNamePrefix": prefix, "MaxResults": 1}
    while True:
        page = sqs.list_queues(**kwargs)
        urls += page["QueueUrls"]
        if "NextToken" not in page:
            break
        assert prefix not in page["NextToken"]  # no queue name shows through
        kwargs["NextToken"] = page["NextToken"]
    assert [url.rsplit("/", 1)[1] for url in urls] == [f"{prefix}-{n}" for n in range(3)]


def test_an_altered_token_is_refused(client):
    sqs = client("sqs")
    prefix = make_queues(sqs, 2)
    token = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=1)["NextToken"]
    assert error_of(sqs.list_queues, QueueNamePrefix=prefix, MaxResults=1, NextToken=flipped(token)) == (
        "InvalidParameterValue",
        "Invalid NextToken value.",
    )


def test_a_token_is_refused_for_another_listing(client):
    sqs = client("sqs")
    prefix, other = make_queues(sqs, 2), make_queues(sqs, 2)
    token = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=1)["NextToken"]
    assert error_of(sqs.list_queues, QueueNamePrefix=other, MaxResults=1, NextToken=token)[0] == (
        "InvalidParameterValue"
    )


@pytest.mark.parametrize(
    "service,call,kwargs,code",
    [
        ("sns", "list_topics", {"NextToken": "forged"}, "InvalidParameter"),
        ("iam", "list_users", {"Marker": "1"}, "ValidationError"),
        ("lambda", "list_functions", {"Marker": "my-function"}, "InvalidParameterValueException"),
        ("logs", "describe_log_groups", {"nextToken": "forged"}, "InvalidParameterException"),
        ("cloudtrail", "list_trails", {"NextToken": "forged"}, "InvalidNextTokenException"),
        ("s3", "list_buckets", {"MaxBuckets": 1, "ContinuationToken": "forged"}, "InvalidArgument"),
    ],
)
def test_each_service_refuses_a_forged_token_with_its_own_error(client, service, call, kwargs, code):
    assert error_of(getattr(client(service), call), **kwargs)[0] == code


def test_tokens_survive_a_restart(tmp_path):
    def sqs_of(server: Server):
        return boto3.client(
            "sqs",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    first = Server("--data-dir", str(tmp_path), "--quiet")
    try:
        prefix = make_queues(sqs_of(first), 2)
        token = sqs_of(first).list_queues(QueueNamePrefix=prefix, MaxResults=1)["NextToken"]
    finally:
        first.stop()
    second = Server("--data-dir", str(tmp_path), "--quiet")
    try:
        page = sqs_of(second).list_queues(QueueNamePrefix=prefix, MaxResults=1, NextToken=token)
        assert page["QueueUrls"][0].endswith(f"{prefix}-1")
    finally:
        second.stop()


def test_tag_limits_with_each_services_errors(client):
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=f"tags{uuid.uuid4().hex[:8]}")["QueueUrl"]
    name = url.rsplit("/", 1)[1]
    sqs.tag_queue(QueueUrl=url, Tags={f"k{n}": "v" for n in range(50)})
    assert error_of(sqs.tag_queue, QueueUrl=url, Tags={"one-more": "v"}) == (
        "InvalidParameterValue",
        f"Too many tags added for queue {name}.",
    )
    assert error_of(sqs.tag_queue, QueueUrl=url, Tags={"aws:owner": "me"})[0] == "InvalidParameterValue"

    sns = client("sns")
    topic = sns.create_topic(Name=f"tags{uuid.uuid4().hex[:8]}")["TopicArn"]
    assert error_of(sns.tag_resource, ResourceArn=topic, Tags=[{"Key": "semi;colon", "Value": "v"}])[0] == (
        "InvalidParameter"
    )
    assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == []

    logs = client("logs")
    assert error_of(logs.create_log_group, logGroupName=f"/tags/{uuid.uuid4().hex}", tags={"aws:x": "1"})[
        0
    ] == ("InvalidParameterException")

    iam = client("iam")
    user = f"tags{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user, Tags=[{"Key": f"k{n}", "Value": "v"} for n in range(50)])
    assert (
        error_of(iam.tag_user, UserName=user, Tags=[{"Key": "one-more", "Value": "v"}])[0] == "LimitExceeded"
    )
    assert error_of(iam.tag_user, UserName=user, Tags=[{"Key": "aws:x", "Value": "v"}])[0] == "InvalidInput"
