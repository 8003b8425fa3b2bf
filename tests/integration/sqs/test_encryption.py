"""Server-side encryption of message bodies: SSE-KMS under the queue's KmsMasterKeyId (a data
key reused for KmsDataKeyReusePeriodSeconds, KMS's refusal answered with its KMS.* code) and
SSE-SQS, the default; no body reaches the data directory in clear."""

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
    data_dir = tmp_path_factory.mktemp("sqs-at-rest")
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


@pytest.fixture(scope="module")
def sqs(state):
    return _client(state[0], "sqs")


@pytest.fixture(scope="module")
def kms(state):
    return _client(state[0], "kms")


def _on_disk(data_dir: Path, marker: str) -> bool:
    return any(marker.encode() in path.read_bytes() for path in data_dir.rglob("*") if path.is_file())


def _queue(sqs, **attributes: str) -> str:
    return sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:10]}", Attributes=attributes)["QueueUrl"]


def _code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"]


@pytest.mark.parametrize("attributes", [{}, {"KmsMasterKeyId": "alias/aws/sqs"}, {"KmsMasterKeyId": "own"}])
def test_bodies_are_stored_encrypted(state, sqs, kms, attributes):
    if attributes.get("KmsMasterKeyId") == "own":
        attributes = {"KmsMasterKeyId": kms.create_key()["KeyMetadata"]["KeyId"]}
    url = _queue(sqs, **attributes)
    bodies = [f"body-{uuid.uuid4().hex}" for _ in range(3)]
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": bodies[0] + "-batch"}])
    assert not any(_on_disk(state[1], body) for body in bodies)
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in received) == sorted([*bodies, bodies[0] + "-batch"])


def test_an_unencrypted_queue_keeps_bodies_in_clear(state, sqs):
    url = _queue(sqs, SqsManagedSseEnabled="false")
    body = f"clear-{uuid.uuid4().hex}"
    sqs.send_message(QueueUrl=url, MessageBody=body)
    assert _on_disk(state[1], body)  # the check above sees a body kept in clear
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == body


def test_kms_refusals_at_send(sqs, kms):
    missing = _queue(sqs, KmsMasterKeyId="alias/does-not-exist")  # not checked until a send
    assert _code(sqs.send_message, QueueUrl=missing, MessageBody="x") == "KMS.NotFoundException"
    failed = sqs.send_message_batch(QueueUrl=missing, Entries=[{"Id": "a", "MessageBody": "x"}])["Failed"]
    assert (failed[0]["Code"], failed[0]["SenderFault"]) == ("KMS.NotFoundException", True)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    url = _queue(sqs, KmsMasterKeyId=key, KmsDataKeyReusePeriodSeconds="60")
    kms.disable_key(KeyId=key)
    with pytest.raises(ClientError) as caught:
        sqs.send_message(QueueUrl=url, MessageBody="x")
    error = caught.value.response["Error"]
    assert error["Code"] == "KMS.DisabledException" and "Error Code: DisabledException" in error["Message"]
    kms.enable_key(KeyId=key)
    sqs.send_message(QueueUrl=url, MessageBody="once enabled")
    # Within the reuse period the data key is used without asking KMS again, as SQS documents.
    kms.disable_key(KeyId=key)
    sqs.send_message(QueueUrl=url, MessageBody="reused key")
    bodies = {m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]}
    assert bodies == {"once enabled", "reused key"}


def test_dead_lettered_message_still_opens(sqs, kms):
    dlq = _queue(sqs, SqsManagedSseEnabled="false")
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    source = _queue(
        sqs,
        KmsMasterKeyId=kms.create_key()["KeyMetadata"]["KeyId"],
        VisibilityTimeout="0",
        RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1}),
    )
    sqs.send_message(QueueUrl=source, MessageBody="to the dead letters")
    assert sqs.receive_message(QueueUrl=source)["Messages"][0]["Body"] == "to the dead letters"
    assert "Messages" not in sqs.receive_message(QueueUrl=source)  # moved on this receive
    assert (
        sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1)["Messages"][0]["Body"] == "to the dead letters"
    )


def test_a_receive_needs_the_key_once_its_data_key_is_no_longer_held(tmp_path):
    """After a restart no data key is held: receiving a message sealed under a key disabled
    since fails with KMS's refusal; enabled again, the message is there."""
    data_dir = tmp_path / "state"
    server = Server("--data-dir", str(data_dir), "--quiet")
    try:
        sqs, kms = _client(server, "sqs"), _client(server, "kms")
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        url = _queue(sqs, KmsMasterKeyId=key)
        sqs.send_message(QueueUrl=url, MessageBody="kept")
        kms.disable_key(KeyId=key)
    finally:
        server.stop()
    server = Server("--data-dir", str(data_dir), "--quiet")
    try:
        sqs, kms = _client(server, "sqs"), _client(server, "kms")
        assert _code(sqs.receive_message, QueueUrl=url, VisibilityTimeout=0) == "KMS.DisabledException"
        kms.enable_key(KeyId=key)
        assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "kept"
    finally:
        server.stop()
