"""The data dir and everything Overcast writes in it are owner-only whatever the umask: the
state holds every IAM secret key, KMS key material and S3 body. A wider data dir left by an
earlier version is tightened at start, with one log line."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import boto3

from tests.conftest import BIN, Server


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def start_with_umask(*args: str) -> Server:
    previous = os.umask(0)  # the child inherits it: Overcast must not depend on it
    try:
        return Server(*args)
    finally:
        os.umask(previous)


def test_everything_in_a_new_data_dir_is_owner_only(tmp_path):
    data = tmp_path / "data"
    server = start_with_umask("--data-dir", str(data), "--quiet")
    try:
        s3 = boto3.client(
            "s3", endpoint_url=server.endpoint, region_name="us-east-1",
            aws_access_key_id="test", aws_secret_access_key="test",
        )  # fmt: skip
        s3.create_bucket(Bucket="private-bodies")
        s3.put_object(Bucket="private-bodies", Key="big", Body=b"x" * (1 << 20))
        assert mode(data) == 0o700
        for name in ("state.sqlite", "state.sqlite-wal", "state.sqlite-shm", "overcast.lock"):
            assert mode(data / name) == 0o600, name
        created = [path for path in data.rglob("*") if path.name not in ("state.sqlite",)]
        assert any(path.is_file() and "s3" in path.parts for path in created)  # a body file
        for path in created:
            wanted = 0o700 if path.is_dir() else 0o600
            assert mode(path) & 0o077 == 0, (path, oct(mode(path)), oct(wanted))
    finally:
        server.stop()


def test_a_wider_data_dir_is_tightened_at_start(tmp_path):
    data = tmp_path / "data"
    first = Server("--data-dir", str(data), "--quiet")
    first.stop()
    os.chmod(data, 0o755)
    os.chmod(data / "state.sqlite", 0o644)
    server = Server("--data-dir", str(data))
    try:
        assert mode(data) == 0o700 and mode(data / "state.sqlite") == 0o600
    finally:
        output = server.stop()
    lines = [line for line in output.splitlines() if "readable by others" in line]
    assert len(lines) == 1 and str(data) in lines[0] and "0755" in lines[0]


def test_an_export_is_owner_only(tmp_path):
    data = tmp_path / "data"
    Server("--data-dir", str(data), "--quiet").stop()
    target = tmp_path / "export.tar.gz"
    previous = os.umask(0)
    try:
        result = subprocess.run(
            [str(BIN / "overcast"), "state", "export", str(target), "--data-dir", str(data)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    finally:
        os.umask(previous)
    assert result.returncode == 0, result.stderr
    assert mode(target) == 0o600
