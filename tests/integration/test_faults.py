"""Faults of the machine: a server killed mid-upload, a disk that fills up."""

from __future__ import annotations

import http.client
import time
from pathlib import Path

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.conftest import Server

UPLOAD_SIZE = 8 << 20


def s3_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


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
