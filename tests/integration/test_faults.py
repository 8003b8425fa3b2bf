"""Faults of the machine: a server killed mid-upload, a disk that fills up."""

from __future__ import annotations

import contextlib
import http.client
import subprocess
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.conftest import Server

UPLOAD_SIZE = 8 << 20


def client(service: str, endpoint: str):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


def s3_client(endpoint: str):
    return client("s3", endpoint)


def start_upload(endpoint: str, bucket: str, key: str, size: int) -> http.client.HTTPConnection:
    """A signed PUT whose body is only begun: the server streams it into a scratch file."""
    host = endpoint.removeprefix("http://")
    request = AWSRequest(
        "PUT",
        f"{endpoint}/{bucket}/{key}",
        headers={"Content-Length": str(size), "x-amz-content-sha256": "UNSIGNED-PAYLOAD"},
    )
    SigV4Auth(Credentials("test", "test"), "s3", "us-east-1").add_auth(request)
    connection = http.client.HTTPConnection(host, timeout=30)
    connection.putrequest("PUT", f"/{bucket}/{key}", skip_accept_encoding=True)
    for name, value in request.headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    connection.send(b"x" * (size // 4))
    return connection


def scratch_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "files" / "s3").glob(".upload-*"))


def test_kill_9_mid_upload_leaves_no_temporary_after_restart(tmp_path):
    data_dir = tmp_path / "data"
    server = Server("--data-dir", str(data_dir), "--quiet")
    try:
        s3 = s3_client(server.endpoint)
        s3.create_bucket(Bucket="kept")
        s3.put_object(Bucket="kept", Key="small", Body=b"small body")
        s3.put_object(Bucket="kept", Key="large", Body=b"L" * (1 << 20))
        connection = start_upload(server.endpoint, "kept", "cut-short", UPLOAD_SIZE)
        deadline = time.monotonic() + 30
        while not scratch_files(data_dir) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert scratch_files(data_dir), "the upload never reached a scratch file"
    finally:
        server.stop(kill=True)
    connection.close()
    assert scratch_files(data_dir)  # what kill -9 leaves behind

    restarted = Server("--data-dir", str(data_dir), "--quiet")
    try:
        assert scratch_files(data_dir) == []
        s3 = s3_client(restarted.endpoint)
        assert s3.get_object(Bucket="kept", Key="small")["Body"].read() == b"small body"
        assert s3.get_object(Bucket="kept", Key="large")["Body"].read() == b"L" * (1 << 20)
        listed = [item["Key"] for item in s3.list_objects_v2(Bucket="kept")["Contents"]]
        assert listed == ["large", "small"]
        s3.put_object(Bucket="kept", Key="cut-short", Body=b"again")
        assert s3.get_object(Bucket="kept", Key="cut-short")["Body"].read() == b"again"
    finally:
        restarted.stop()


@contextlib.contextmanager
def small_disk(where: Path, size: str = "4m"):
    """A tmpfs of `size` at `where` (root only; skipped where mounting is not permitted)."""
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"a small tmpfs cannot be mounted here to fill: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def refused_for_space(call, *args, **kwargs) -> dict:
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    response = raised.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert "storage is full" in response["Error"]["Message"]
    return response["Error"]


def fill_with_objects(s3, bucket: str, prefix: str) -> list[str]:
    """Put 256 KiB objects until the disk refuses one; the keys stored."""
    stored = []
    for number in range(64):
        key = f"{prefix}{number}"
        try:
            s3.put_object(Bucket=bucket, Key=key, Body=b"f" * (256 << 10))
        except ClientError as error:
            assert error.response["Error"]["Code"] == "InternalError", error.response
            assert "storage is full" in error.response["Error"]["Message"]
            return stored
        stored.append(key)
    raise AssertionError("a 4 MiB disk took 16 MiB of objects")


def reset(endpoint: str) -> int:
    request = urllib.request.Request(
        f"{endpoint}/_overcast/state/reset",
        method="POST",
        data=b"",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status


def test_a_full_disk_answers_aws_errors_and_deletes_and_reset_free_it(tmp_path):
    with small_disk(tmp_path / "disk") as disk:
        server = Server("--data-dir", str(disk / "data"), "--quiet")
        try:
            s3, dynamodb, sqs = (client(name, server.endpoint) for name in ("s3", "dynamodb", "sqs"))
            s3.create_bucket(Bucket="filling")
            dynamodb.create_table(
                TableName="items",
                KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
            dynamodb.put_item(TableName="items", Item={"k": {"S": "before"}})
            queue = sqs.create_queue(QueueName="waiting")["QueueUrl"]
            stored = fill_with_objects(s3, "filling", "first-")
            assert stored

            # Every write says the storage is full, in its service's own error.
            assert refused_for_space(s3.put_object, Bucket="filling", Key="tiny", Body=b"x")["Code"] == (
                "InternalError"
            )
            item = {"k": {"S": "more"}, "v": {"S": "v" * 2000}}
            error = refused_for_space(dynamodb.put_item, TableName="items", Item=item)
            assert error["Code"] == "InternalServerError"
            assert refused_for_space(sqs.send_message, QueueUrl=queue, MessageBody="m")["Code"] == (
                "InternalFailure"
            )
            with pytest.raises(ClientError):  # recorded by CloudTrail, whose flushes now fail
                sqs.create_queue(QueueName="refused")
            time.sleep(1.5)  # several flush and checkpoint cycles on the full disk
            # Reads go on.
            assert s3.head_object(Bucket="filling", Key=stored[0])["ContentLength"] == 256 << 10
            assert dynamodb.get_item(TableName="items", Key={"k": {"S": "before"}})["Item"]

            # Deletes free space, and the next write succeeds.
            dynamodb.delete_item(TableName="items", Key={"k": {"S": "before"}})
            for key in stored[:4]:
                s3.delete_object(Bucket="filling", Key=key)
            deadline = time.monotonic() + 10
            while True:
                try:
                    s3.put_object(Bucket="filling", Key="after", Body=b"room again")
                    break
                except ClientError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)  # the store looks for room twice a second
            dynamodb.put_item(TableName="items", Item={"k": {"S": "after"}})
            sqs.send_message(QueueUrl=queue, MessageBody="after")
            assert s3.get_object(Bucket="filling", Key="after")["Body"].read() == b"room again"

            # Full again: a reset empties it, and writes work at once.
            fill_with_objects(s3, "filling", "second-")
            assert reset(server.endpoint) == 200
            s3.create_bucket(Bucket="fresh")
            s3.put_object(Bucket="fresh", Key="k", Body=b"y" * (256 << 10))
            assert [o["Key"] for o in s3.list_objects_v2(Bucket="fresh")["Contents"]] == ["k"]
            time.sleep(1)  # background flushes (checkpoints, CloudTrail) ran meanwhile
        finally:
            output = server.stop()
    # Each condition is said once, when it begins (and once when it ends): two fillings, and
    # CloudTrail's flush that could not write meanwhile.
    assert "Traceback" not in output, output
    lines = output.splitlines()
    assert sum("is full: writes answer an error" in line for line in lines) == 2, output
    assert sum("has room again" in line for line in lines) == 2, output
    assert sum("cloudtrail-flush cannot write: the disk is full" in line for line in lines) in (1, 2), output
