"""The guide's S3 commands, run as written with the real aws CLI."""

from __future__ import annotations

from tests.integration.s3.conftest import unique


def cli(aws, *args):
    result = aws(*args, check=False)
    assert result.returncode == 0, f"{args}: {result.stderr}"
    return result.stdout


def test_guide_commands(aws, s3, tmp_path):
    bucket = unique("guide")
    cli(aws, "s3", "mb", f"s3://{bucket}", "--region", "us-east-1")
    local = tmp_path / "local-file.txt"
    local.write_text("hello from the guide")
    cli(aws, "s3", "cp", str(local), f"s3://{bucket}/remote-path/file.txt")
    archive = tmp_path / "archive.zip"
    archive.write_bytes(b"PK\x03\x04 zip")
    cli(aws, "s3", "cp", str(archive), f"s3://{bucket}/archives/", "--storage-class", "GLACIER")
    assert s3.head_object(Bucket=bucket, Key="archives/archive.zip")["StorageClass"] == "GLACIER"

    build = tmp_path / "build"
    (build / "css").mkdir(parents=True)
    (build / "index.html").write_text("<h1>hi</h1>")
    (build / "css" / "site.css").write_text("body{}")
    (build / "old.txt").write_text("old")
    cli(
        aws,
        "s3",
        "sync",
        str(build),
        f"s3://{bucket}/static/",
        "--delete",
        "--cache-control",
        "max-age=86400",
    )
    assert s3.head_object(Bucket=bucket, Key="static/index.html")["CacheControl"] == "max-age=86400"
    (build / "old.txt").unlink()
    out = cli(
        aws,
        "s3",
        "sync",
        str(build),
        f"s3://{bucket}/static/",
        "--delete",
        "--cache-control",
        "max-age=86400",
    )
    assert "delete: s3://" in out and "old.txt" in out
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="static/")["Contents"]]
    assert keys == ["static/css/site.css", "static/index.html"]
    # Nothing changed: nothing uploaded.
    assert cli(aws, "s3", "sync", str(build), f"s3://{bucket}/static/").strip() == ""

    downloaded = tmp_path / "downloaded.txt"
    cli(aws, "s3", "cp", f"s3://{bucket}/remote-path/file.txt", str(downloaded))
    assert downloaded.read_text() == "hello from the guide"
    local_data = tmp_path / "local-data"
    cli(aws, "s3", "sync", f"s3://{bucket}/static/", str(local_data))
    assert (local_data / "css" / "site.css").read_text() == "body{}"

    listing = cli(aws, "s3", "ls", f"s3://{bucket}/")
    assert "PRE static/" in listing and "PRE remote-path/" in listing
    summary = cli(aws, "s3", "ls", f"s3://{bucket}/", "--recursive", "--human-readable", "--summarize")
    assert "Total Objects: 4" in summary and "Total Size:" in summary and "static/css/site.css" in summary

    cli(aws, "s3", "rm", f"s3://{bucket}/remote-path/file.txt")
    cli(aws, "s3", "rm", f"s3://{bucket}/static/", "--recursive")
    remaining = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert remaining == ["archives/archive.zip"]

    presigned = cli(aws, "s3", "presign", f"s3://{bucket}/archives/archive.zip", "--expires-in", "3600")
    assert "X-Amz-Signature=" in presigned or "Signature=" in presigned

    cli(aws, "s3", "rm", f"s3://{bucket}", "--recursive")
    cli(aws, "s3", "rb", f"s3://{bucket}")


def test_guide_versioning_commands(aws, s3, tmp_path):
    bucket = unique("guidev")
    s3.create_bucket(Bucket=bucket)
    cli(
        aws,
        "s3api",
        "put-bucket-versioning",
        "--bucket",
        bucket,
        "--versioning-configuration",
        "Status=Enabled",
    )
    first = s3.put_object(Bucket=bucket, Key="my-file.txt", Body=b"first")["VersionId"]
    s3.put_object(Bucket=bucket, Key="my-file.txt", Body=b"second")
    listed = aws("s3api", "list-object-versions", "--bucket", bucket, "--prefix", "my-file.txt")
    assert len(listed["Versions"]) == 2
    restored = tmp_path / "restored.txt"
    aws(
        "s3api",
        "get-object",
        "--bucket",
        bucket,
        "--key",
        "my-file.txt",
        "--version-id",
        first,
        str(restored),
    )
    assert restored.read_bytes() == b"first"


def test_rb_force(aws, s3):
    bucket = unique("force")
    s3.create_bucket(Bucket=bucket)
    for n in range(3):
        s3.put_object(Bucket=bucket, Key=f"k{n}", Body=b"x")
    cli(aws, "s3", "rb", f"s3://{bucket}", "--force")
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
