"""Objects: put/get/head/delete/copy, metadata and content headers, ranges, conditions,
checksums, DeleteObjects, GetObjectAttributes, keys as opaque strings, bad input."""

from __future__ import annotations

import base64
import hashlib
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.integration.s3.conftest import error_of, raw, signed_raw


def test_put_get_head_delete(s3, bucket):
    put = s3.put_object(
        Bucket=bucket,
        Key="hello.txt",
        Body=b"hello world",
        ContentType="text/plain",
        Metadata={"Owner": "me", "x": "1"},
        CacheControl="max-age=60",
        ContentDisposition="attachment",
        ContentLanguage="en",
        ContentEncoding="identity",
    )
    etag = '"' + hashlib.md5(b"hello world").hexdigest() + '"'
    assert put["ETag"] == etag
    got = s3.get_object(Bucket=bucket, Key="hello.txt")
    assert got["Body"].read() == b"hello world"
    assert (got["ContentType"], got["ContentLength"], got["ETag"]) == ("text/plain", 11, etag)
    assert got["Metadata"] == {"owner": "me", "x": "1"}
    assert (
        got["CacheControl"],
        got["ContentDisposition"],
        got["ContentLanguage"],
        got["ContentEncoding"],
    ) == ("max-age=60", "attachment", "en", "identity")
    head = s3.head_object(Bucket=bucket, Key="hello.txt")
    assert (
        head["ContentLength"] == 11 and head["ETag"] == etag and head["Metadata"] == {"owner": "me", "x": "1"}
    )
    s3.delete_object(Bucket=bucket, Key="hello.txt")
    assert error_of(s3.get_object, Bucket=bucket, Key="hello.txt") == (
        "NoSuchKey",
        404,
        "The specified key does not exist.",
    )
    assert error_of(s3.head_object, Bucket=bucket, Key="hello.txt")[:2] == ("404", 404)
    s3.delete_object(Bucket=bucket, Key="never-was")  # deleting nothing succeeds
    assert error_of(s3.get_object, Bucket="no-such-bucket-here-x", Key="k")[:2] == ("NoSuchBucket", 404)


def test_default_content_type_and_empty_body(s3, bucket):
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    got = s3.get_object(Bucket=bucket, Key="empty")
    assert got["Body"].read() == b"" and got["ContentLength"] == 0
    assert got["ContentType"] == "binary/octet-stream"
    assert got["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'


def test_large_body_round_trip(s3, bucket):
    data = bytes(range(256)) * 40000  # 10 MB: streamed in and out through files
    s3.put_object(Bucket=bucket, Key="big", Body=data)
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == data
    ranged = s3.get_object(Bucket=bucket, Key="big", Range="bytes=1000000-1000099")
    assert ranged["Body"].read() == data[1000000:1000100]
    assert ranged["ContentRange"] == f"bytes 1000000-1000099/{len(data)}"


@pytest.mark.parametrize(
    "spec,expected",
    [
        ("bytes=0-4", b"01234"),
        ("bytes=5-", b"56789"),
        ("bytes=-3", b"789"),
        ("bytes=8-100", b"89"),
    ],
)
def test_ranges(s3, bucket, spec, expected):
    s3.put_object(Bucket=bucket, Key="digits", Body=b"0123456789")
    got = s3.get_object(Bucket=bucket, Key="digits", Range=spec)
    assert got["Body"].read() == expected
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentLength"] == len(expected)


def test_bad_ranges(s3, bucket):
    s3.put_object(Bucket=bucket, Key="digits", Body=b"0123456789")
    code, status, message = error_of(s3.get_object, Bucket=bucket, Key="digits", Range="bytes=10-20")
    assert (code, status, message) == ("InvalidRange", 416, "The requested range is not satisfiable")
    # A range S3 cannot parse is ignored: the whole object, 200.
    whole = s3.get_object(Bucket=bucket, Key="digits", Range="bytes=abc")
    assert whole["Body"].read() == b"0123456789" and whole["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_conditional_reads(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"v")["ETag"]
    assert s3.get_object(Bucket=bucket, Key="k", IfMatch=etag)["Body"].read() == b"v"
    assert error_of(s3.get_object, Bucket=bucket, Key="k", IfMatch='"nope"')[:2] == (
        "PreconditionFailed",
        412,
    )
    assert error_of(s3.get_object, Bucket=bucket, Key="k", IfNoneMatch=etag)[:2] == ("304", 304)
    past = datetime.now(UTC) - timedelta(days=1)
    future = datetime.now(UTC) + timedelta(days=1)
    assert error_of(s3.get_object, Bucket=bucket, Key="k", IfUnmodifiedSince=past)[:2] == (
        "PreconditionFailed",
        412,
    )
    modified = s3.head_object(Bucket=bucket, Key="k")["LastModified"]
    assert error_of(s3.head_object, Bucket=bucket, Key="k", IfModifiedSince=modified)[:2] == ("304", 304)
    s3.get_object(Bucket=bucket, Key="k", IfModifiedSince=future)  # a date in the future is ignored
    s3.get_object(Bucket=bucket, Key="k", IfModifiedSince=past)
    # If-Match true wins over If-Unmodified-Since false (S3's documented precedence).
    s3.get_object(Bucket=bucket, Key="k", IfMatch=etag, IfUnmodifiedSince=past)


def test_not_modified_carries_the_validators(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"v")["ETag"]
    modified = s3.head_object(Bucket=bucket, Key="k")["ResponseMetadata"]["HTTPHeaders"]["last-modified"]
    for call, condition in (
        (s3.get_object, {"IfNoneMatch": etag}),
        (s3.head_object, {"IfNoneMatch": etag}),
        (s3.get_object, {"IfModifiedSince": modified}),
    ):
        with pytest.raises(ClientError) as caught:
            call(Bucket=bucket, Key="k", **condition)
        response = caught.value.response
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 304
        headers = response["ResponseMetadata"]["HTTPHeaders"]
        assert (headers["etag"], headers["last-modified"]) == (etag, modified)


def test_conditional_writes(s3, bucket):
    s3.put_object(Bucket=bucket, Key="once", Body=b"1", IfNoneMatch="*")
    assert error_of(s3.put_object, Bucket=bucket, Key="once", Body=b"2", IfNoneMatch="*")[:2] == (
        "PreconditionFailed",
        412,
    )
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"1"
    etag = s3.head_object(Bucket=bucket, Key="once")["ETag"]
    s3.put_object(Bucket=bucket, Key="once", Body=b"3", IfMatch=etag)
    assert error_of(s3.put_object, Bucket=bucket, Key="once", Body=b"4", IfMatch=etag)[:2] == (
        "PreconditionFailed",
        412,
    )
    assert error_of(s3.put_object, Bucket=bucket, Key="absent", Body=b"4", IfMatch=etag)[:2] == (
        "NoSuchKey",
        404,
    )


def test_copy_object_directives_and_conditions(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"payload", ContentType="text/plain", Metadata={"a": "1"})
    copied = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert copied["CopyObjectResult"]["ETag"] == s3.head_object(Bucket=bucket, Key="src")["ETag"]
    head = s3.head_object(Bucket=bucket, Key="dst")
    assert head["Metadata"] == {"a": "1"} and head["ContentType"] == "text/plain"
    s3.copy_object(
        Bucket=bucket,
        Key="dst2",
        CopySource=f"{bucket}/src",
        MetadataDirective="REPLACE",
        Metadata={"b": "2"},
        ContentType="application/json",
    )
    head = s3.head_object(Bucket=bucket, Key="dst2")
    assert head["Metadata"] == {"b": "2"} and head["ContentType"] == "application/json"
    assert s3.get_object(Bucket=bucket, Key="dst2")["Body"].read() == b"payload"
    assert error_of(s3.copy_object, Bucket=bucket, Key="src", CopySource=f"{bucket}/src")[:2] == (
        "InvalidRequest",
        400,
    )
    s3.copy_object(
        Bucket=bucket, Key="src", CopySource=f"{bucket}/src", MetadataDirective="REPLACE", Metadata={"c": "3"}
    )
    assert s3.head_object(Bucket=bucket, Key="src")["Metadata"] == {"c": "3"}
    assert error_of(
        s3.copy_object, Bucket=bucket, Key="x", CopySource=f"{bucket}/src", CopySourceIfMatch='"nope"'
    )[:2] == ("PreconditionFailed", 412)
    etag = s3.head_object(Bucket=bucket, Key="src")["ETag"]
    assert error_of(
        s3.copy_object, Bucket=bucket, Key="x", CopySource=f"{bucket}/src", CopySourceIfNoneMatch=etag
    )[:2] == ("PreconditionFailed", 412)
    assert error_of(s3.copy_object, Bucket=bucket, Key="x", CopySource=f"{bucket}/missing")[:2] == (
        "NoSuchKey",
        404,
    )


def test_delete_objects(s3, bucket):
    for key in ("a", "b", "c"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a"}, {"Key": "b"}, {"Key": "zz"}]})
    assert sorted(d["Key"] for d in result["Deleted"]) == ["a", "b", "zz"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["c"]
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "c"}], "Quiet": True})
    assert "Deleted" not in quiet


def test_get_object_attributes(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"12345", ChecksumAlgorithm="SHA256")
    got = s3.get_object_attributes(
        Bucket=bucket, Key="k", ObjectAttributes=["ETag", "Checksum", "ObjectSize", "StorageClass"]
    )
    assert got["ETag"] == hashlib.md5(b"12345").hexdigest()
    assert got["ObjectSize"] == 5 and got["StorageClass"] == "STANDARD"
    assert got["Checksum"]["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(b"12345").digest()).decode()


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"])
def test_checksums(s3, bucket, algorithm):
    put = s3.put_object(Bucket=bucket, Key="c", Body=b"checksummed body", ChecksumAlgorithm=algorithm)
    value = put[f"Checksum{algorithm}"]
    got = s3.get_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    assert got[f"Checksum{algorithm}"] == value and got["Body"].read() == b"checksummed body"
    head = s3.head_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    assert head[f"Checksum{algorithm}"] == value


def test_wrong_checksum_and_md5(s3, bucket, endpoint):
    wrong = base64.b64encode(zlib.crc32(b"other").to_bytes(4, "big")).decode()
    assert error_of(s3.put_object, Bucket=bucket, Key="k", Body=b"data", ChecksumCRC32=wrong)[:2] == (
        "BadDigest",
        400,
    )
    bad_md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    code, status, message = error_of(s3.put_object, Bucket=bucket, Key="k", Body=b"data", ContentMD5=bad_md5)
    assert (code, status, message) == (
        "BadDigest",
        400,
        "The Content-MD5 you specified did not match what we received.",
    )
    code, status, _ = error_of(s3.put_object, Bucket=bucket, Key="k", Body=b"data", ContentMD5="not-md5")
    assert (code, status) == ("InvalidDigest", 400)
    good = base64.b64encode(hashlib.md5(b"data").digest()).decode()
    s3.put_object(Bucket=bucket, Key="k", Body=b"data", ContentMD5=good)


def _aws_chunked(payload: bytes, chunk: int, trailer: tuple[str, str] | None) -> bytes:
    out = b""
    for start in range(0, len(payload), chunk):
        piece = payload[start : start + chunk]
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    out += b"0\r\n"
    if trailer:
        out += f"{trailer[0]}:{trailer[1]}\r\n".encode()
    return out + b"\r\n"


@pytest.mark.parametrize("size", [100, 3 * 1024 * 1024])
def test_aws_chunked_with_trailing_checksum(s3, bucket, endpoint, size):
    payload = (b"0123456789abcdef" * (size // 16 + 1))[:size]
    crc = base64.b64encode(zlib.crc32(payload).to_bytes(4, "big")).decode()
    body = _aws_chunked(payload, 65536, ("x-amz-checksum-crc32", crc))
    headers = {
        "Content-Encoding": "aws-chunked",
        "X-Amz-Content-SHA256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "X-Amz-Trailer": "x-amz-checksum-crc32",
        "X-Amz-Decoded-Content-Length": str(size),
        "Content-Length": str(len(body)),
    }
    streaming = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    status, _, answer = signed_raw(
        endpoint, "PUT", endpoint.split("//")[1], f"/{bucket}/chunked", headers, body, payload_hash=streaming
    )
    assert status == 200, answer
    got = s3.get_object(Bucket=bucket, Key="chunked", ChecksumMode="ENABLED")
    assert got["Body"].read() == payload and got["ChecksumCRC32"] == crc
    assert "ContentEncoding" not in got
    wrong = base64.b64encode(zlib.crc32(b"x").to_bytes(4, "big")).decode()
    body = _aws_chunked(payload, 65536, ("x-amz-checksum-crc32", wrong))
    status, _, answer = signed_raw(
        endpoint,
        "PUT",
        endpoint.split("//")[1],
        f"/{bucket}/chunked2",
        {**headers, "Content-Length": str(len(body))},
        body,
        payload_hash=streaming,
    )
    assert status == 400 and b"BadDigest" in answer
    assert error_of(s3.head_object, Bucket=bucket, Key="chunked2")[:2] == ("404", 404)


def test_metadata_too_large(s3, bucket):
    code, status, _ = error_of(s3.put_object, Bucket=bucket, Key="k", Body=b"", Metadata={"big": "x" * 2100})
    assert (code, status) == ("MetadataTooLarge", 400)


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/passwd",
        "a//b///c",
        "ünïcödé/日本語 key.txt",
        "with space & plus+",
        "trailing/",
        "%2F encoded",
        "k" * 1024,
        "./.",
        "?query#hash",
    ],
)
def test_keys_are_opaque(s3, bucket, key):
    s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [o["Key"] for o in listed] == [key]
    s3.delete_object(Bucket=bucket, Key=key)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_key_too_long(s3, bucket):
    assert error_of(s3.put_object, Bucket=bucket, Key="k" * 1025, Body=b"")[:2] == ("KeyTooLongError", 400)


def test_malformed_xml(s3, bucket, endpoint):
    host = endpoint.split("//")[1]
    status, _, body = signed_raw(
        endpoint, "POST", host, f"/{bucket}?delete", {"Content-MD5": "x"}, b"<Delete><Obj"
    )
    assert status == 400 and b"MalformedXML" in body
    status, _, body = signed_raw(endpoint, "PUT", host, f"/{bucket}?versioning", {}, b"<nope")
    assert status == 400 and b"MalformedXML" in body


def test_storage_class_archive_and_restore(s3, bucket):
    s3.put_object(Bucket=bucket, Key="cold", Body=b"ice", StorageClass="GLACIER")
    assert s3.head_object(Bucket=bucket, Key="cold")["StorageClass"] == "GLACIER"
    code, status, _ = error_of(s3.get_object, Bucket=bucket, Key="cold")
    assert (code, status) == ("InvalidObjectState", 403)
    s3.restore_object(Bucket=bucket, Key="cold", RestoreRequest={"Days": 1})
    assert s3.head_object(Bucket=bucket, Key="cold")["Restore"] == 'ongoing-request="true"'
    assert error_of(s3.restore_object, Bucket=bucket, Key="cold", RestoreRequest={"Days": 1})[:2] == (
        "RestoreAlreadyInProgress",
        409,
    )
    import time

    time.sleep(1.2)  # OVERCAST_S3_RESTORE_SECONDS defaults to 1
    restored = s3.head_object(Bucket=bucket, Key="cold")["Restore"]
    assert restored.startswith('ongoing-request="false", expiry-date="')
    assert s3.get_object(Bucket=bucket, Key="cold")["Body"].read() == b"ice"
    s3.put_object(Bucket=bucket, Key="warm", Body=b"x")
    assert error_of(s3.restore_object, Bucket=bucket, Key="warm", RestoreRequest={"Days": 1})[:2] == (
        "InvalidObjectState",
        403,
    )
    assert error_of(s3.put_object, Bucket=bucket, Key="k", Body=b"", StorageClass="FROZEN")[1] == 400


def test_presigned_urls(s3, bucket, endpoint):
    import urllib.error
    import urllib.request

    s3.put_object(Bucket=bucket, Key="private.pdf", Body=b"secret")
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "private.pdf"}, ExpiresIn=60
    )
    with urllib.request.urlopen(url) as response:
        assert response.read() == b"secret"
    tampered = url.replace("private.pdf", "private.pdX")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(tampered)
    assert caught.value.code == 403 and b"SignatureDoesNotMatch" in caught.value.read()
    expired = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "private.pdf"}, ExpiresIn=1
    )
    import time

    time.sleep(2.1)
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(expired)
    body = caught.value.read()
    assert (
        caught.value.code == 403 and b"<Code>AccessDenied</Code>" in body and b"Request has expired" in body
    )
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "up"}, ExpiresIn=60)
    status, _, _ = raw(endpoint, "PUT", put_url.split(endpoint, 1)[1], {}, b"uploaded")
    assert status == 200
    assert s3.get_object(Bucket=bucket, Key="up")["Body"].read() == b"uploaded"


def test_presigned_sigv4(client, bucket, endpoint):
    import urllib.error
    import urllib.request

    from botocore.config import Config

    v4 = client("s3", config=Config(signature_version="s3v4"))
    v4.put_object(Bucket=bucket, Key="v4.txt", Body=b"four")
    url = v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v4.txt"}, ExpiresIn=60)
    assert "X-Amz-Signature=" in url
    with urllib.request.urlopen(url) as response:
        assert response.read() == b"four"
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(url.replace("X-Amz-Expires=60", "X-Amz-Expires=61"))
    assert caught.value.code == 403 and b"SignatureDoesNotMatch" in caught.value.read()


def test_cli_presign(aws, s3, bucket):
    import urllib.request

    s3.put_object(Bucket=bucket, Key="private-file.pdf", Body=b"pdf")
    result = aws("s3", "presign", f"s3://{bucket}/private-file.pdf", "--expires-in", "3600", check=False)
    assert result.returncode == 0, result.stderr
    with urllib.request.urlopen(result.stdout.strip()) as response:
        assert response.read() == b"pdf"


@pytest.mark.parametrize("version", ["s3", "s3v4"])
def test_a_presigned_signature_with_any_characters_is_a_mismatch(client, bucket, endpoint, version):
    import re

    from botocore.config import Config

    signer = client("s3", config=Config(signature_version=version))
    signer.put_object(Bucket=bucket, Key="odd.txt", Body=b"x")
    url = signer.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "odd.txt"}, ExpiresIn=60
    )
    tampered = re.sub(r"((?:X-Amz-)?Signature)=[^&]+", r"\1=%C3%A9t%C3%A9", url)
    assert tampered != url
    status, _, body = raw(endpoint, "GET", tampered.split(endpoint, 1)[1], {}, b"")
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body
