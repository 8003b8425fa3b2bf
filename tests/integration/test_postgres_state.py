"""State in PostgreSQL (`overcast start --state postgresql://...`): what services write is in
the database and a restarted Overcast serves it again; a URL that cannot be used stops the start
with a clear message."""

from __future__ import annotations

import subprocess
import sys

import boto3
import pytest

from tests.conftest import ROOT, Server


def _session() -> boto3.session.Session:
    return boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )


def test_state_in_postgresql_survives_a_restart(postgres, tmp_path):
    url = postgres.database()
    first = Server("--state", url, "--data-dir", str(tmp_path / "files"), "--quiet")
    try:
        session = _session()
        s3 = session.client("s3", endpoint_url=first.endpoint)
        s3.create_bucket(Bucket="pg-bucket")
        s3.put_object(Bucket="pg-bucket", Key="small", Body=b"hello")
        s3.put_object(Bucket="pg-bucket", Key="large", Body=b"x" * (2 * 1024 * 1024))  # a body kept as a file
        ddb = session.client("dynamodb", endpoint_url=first.endpoint)
        ddb.create_table(
            TableName="pg-table", AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
        )  # fmt: skip
        ddb.put_item(TableName="pg-table", Item={"id": {"S": "a\x00b"}, "n": {"N": "1"}})
        sqs = session.client("sqs", endpoint_url=first.endpoint)
        queue = sqs.create_queue(QueueName="pg-queue")["QueueUrl"]
        sqs.send_message(QueueUrl=queue, MessageBody="kept")
        assert first.health()["data_dir"]
    finally:
        first.stop()
    second = Server("--state", url, "--data-dir", str(tmp_path / "files"), "--quiet")
    try:
        session = _session()
        s3 = session.client("s3", endpoint_url=second.endpoint)
        assert s3.get_object(Bucket="pg-bucket", Key="small")["Body"].read() == b"hello"
        assert len(s3.get_object(Bucket="pg-bucket", Key="large")["Body"].read()) == 2 * 1024 * 1024
        ddb = session.client("dynamodb", endpoint_url=second.endpoint)
        item = ddb.get_item(TableName="pg-table", Key={"id": {"S": "a\x00b"}})["Item"]
        assert item["n"] == {"N": "1"}
        sqs = session.client("sqs", endpoint_url=second.endpoint)
        url_of = sqs.get_queue_url(QueueName="pg-queue")["QueueUrl"]
        assert [m["Body"] for m in sqs.receive_message(QueueUrl=url_of).get("Messages", [])] == ["kept"]
    finally:
        second.stop()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "postgresql://postgres@127.0.0.1:1/db",
            "cannot use the PostgreSQL state at postgresql://postgres@127.0.0.1:1/db",
        ),
        ("mysql://x@y/z", "expected postgresql://user:password@host:port/database"),
    ],
)
def test_a_state_url_that_cannot_be_used_stops_the_start(tmp_path, url, message):
    result = subprocess.run(
        [sys.executable, "-m", "overcast", "start", "--port", "0", "--state", url, "--data-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert message in result.stderr + result.stdout
