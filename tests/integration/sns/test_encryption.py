"""A topic's server-side encryption (KmsMasterKeyId): Publish has KMS generate the data key, so
a key missing or disabled refuses it with SNS's KMS* errors; an accepted notification waits
for its fan-out sealed, and reaches its subscribers in clear."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("sns-at-rest")
    server = Server("--data-dir", str(data_dir), "--quiet")
    yield server, data_dir
    server.stop()


def _client(server: Server, service: str):
    return boto3.client(
        service,
        endpoint_url=server.endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )


def _on_disk(data_dir: Path, marker: str) -> bool:
    return any(marker.encode() in path.read_bytes() for path in data_dir.rglob("*") if path.is_file())


def _error(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_encrypted_topic_delivers_and_keeps_nothing_in_clear(state):
    server, data_dir = state
    sns, sqs, kms = (_client(server, name) for name in ("sns", "sqs", "kms"))
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    topic = sns.create_topic(Name=f"t-{uuid.uuid4().hex[:8]}", Attributes={"KmsMasterKeyId": key})["TopicArn"]
    url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]  # SSE-SQS, the default
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    message = f"secret-{uuid.uuid4().hex}"
    sns.publish(TopicArn=topic, Message=message)
    batch = [{"Id": "1", "Message": message + "-batch"}]
    assert sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=batch)["Successful"][0]["Id"] == "1"
    received = []
    for _ in range(20):
        received += [
            m["Body"] for m in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
        ]
        if len(received) == 2:
            break
    assert sorted(received) == [message, message + "-batch"]
    assert not _on_disk(data_dir, message)


def test_kms_refusals_at_publish(state):
    server, _ = state
    sns, kms = _client(server, "sns"), _client(server, "kms")
    missing = sns.create_topic(Name=f"t-{uuid.uuid4().hex[:8]}", Attributes={"KmsMasterKeyId": "alias/none"})
    code, message = _error(sns.publish, TopicArn=missing["TopicArn"], Message="m")
    assert code == "KMSNotFound" and "Error Code: NotFoundException" in message
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    topic = sns.create_topic(Name=f"t-{uuid.uuid4().hex[:8]}", Attributes={"KmsMasterKeyId": key})["TopicArn"]
    kms.disable_key(KeyId=key)
    assert _error(sns.publish, TopicArn=topic, Message="m")[0] == "KMSDisabled"
    kms.enable_key(KeyId=key)
    assert sns.publish(TopicArn=topic, Message=json.dumps({"ok": True}))["MessageId"]
