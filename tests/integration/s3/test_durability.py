"""Objects and versions survive a restart and a kill -9: every acknowledged write is there,
bodies included, and no body lives under a path derived from its key."""

from __future__ import annotations

import boto3

from tests.conftest import Server


def _client(server: Server):
    return boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )


def test_restart_and_kill_keep_every_acknowledged_object(tmp_path):
    data_dir = tmp_path / "state"
    server = Server("--data-dir", str(data_dir), "--quiet")
    try:
        s3 = _client(server)
        s3.create_bucket(Bucket="durable")
        s3.put_bucket_versioning(Bucket="durable", VersioningConfiguration={"Status": "Enabled"})
        v1 = s3.put_object(Bucket="durable", Key="../escape", Body=b"one")["VersionId"]
        s3.put_object(Bucket="durable", Key="../escape", Body=b"two")
        big = b"z" * (3 * 1024 * 1024)
        s3.put_object(Bucket="durable", Key="big", Body=big)
        acknowledged = []
        for n in range(50):
            s3.put_object(Bucket="durable", Key=f"acked/{n}", Body=str(n).encode())
            acknowledged.append(n)
    finally:
        server.stop(kill=True)
    # Nothing was written outside the data dir, and no file is named after a key.
    assert not (tmp_path / "escape").exists()
    assert not list(data_dir.rglob("escape")) and not list(data_dir.rglob("acked"))

    server = Server("--data-dir", str(data_dir), "--quiet")
    try:
        s3 = _client(server)
        assert s3.get_object(Bucket="durable", Key="../escape")["Body"].read() == b"two"
        assert s3.get_object(Bucket="durable", Key="../escape", VersionId=v1)["Body"].read() == b"one"
        assert s3.get_object(Bucket="durable", Key="big")["Body"].read() == big
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket="durable", Prefix="acked/")["Contents"]}
        assert keys == {f"acked/{n}" for n in acknowledged}
        assert s3.get_bucket_versioning(Bucket="durable")["Status"] == "Enabled"
    finally:
        server.stop()
    server = Server("--data-dir", str(data_dir), "--quiet")  # and after a clean stop
    try:
        assert _client(server).get_object(Bucket="durable", Key="acked/49")["Body"].read() == b"49"
    finally:
        server.stop()
