"""Object bodies encrypted at rest: an SSE-KMS object's bytes are stored under its KMS data
key and an SSE-C object's under the customer's key, so no plaintext reaches the data
directory; reads (whole, ranged, by part), copies and multipart uploads answer the plaintext,
with ETags and checksums of the plaintext, as S3 does."""

from __future__ import annotations

import base64
import hashlib
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("at-rest")
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
def s3(state):
    return _client(state[0], "s3")


@pytest.fixture(scope="module")
def kms(state):
    return _client(state[0], "kms")


@pytest.fixture
def bucket(s3):
    name = f"rest-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def _body(size: int) -> tuple[bytes, bytes]:
    """A body of `size` bytes made of a marker that appears nowhere else."""
    marker = uuid.uuid4().hex.encode()
    return marker, (marker * (size // len(marker) + 1))[:size]


def _on_disk(data_dir: Path, marker: bytes) -> bool:
    return any(marker in path.read_bytes() for path in data_dir.rglob("*") if path.is_file())


@pytest.mark.parametrize("size", [1024, 300 * 1024])
def test_sse_kms_body_is_stored_encrypted_and_read_back(state, s3, bucket, size):
    marker, data = _body(size)
    put = s3.put_object(
        Bucket=bucket, Key="k", Body=data, ServerSideEncryption="aws:kms", ChecksumAlgorithm="SHA256"
    )
    assert put["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert put["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert not _on_disk(state[1], marker)
    got = s3.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got["Body"].read() == data and got["ChecksumSHA256"] == put["ChecksumSHA256"]
    for first, last in ((0, 0), (65_530, 65_545), (size - 10, size - 1), (100, size - 1)):
        if last < size:
            ranged = s3.get_object(Bucket=bucket, Key="k", Range=f"bytes={first}-{last}")
            assert ranged["Body"].read() == data[first : last + 1]
            assert ranged["ContentRange"] == f"bytes {first}-{last}/{size}"


def test_unencrypted_by_kms_body_stays_as_it_was(state, s3, bucket):
    marker, data = _body(20 * 1024)
    s3.put_object(Bucket=bucket, Key="plain", Body=data)
    assert s3.head_object(Bucket=bucket, Key="plain")["ServerSideEncryption"] == "AES256"
    assert s3.get_object(Bucket=bucket, Key="plain")["Body"].read() == data
    assert _on_disk(state[1], marker)  # the check above sees a body kept in clear


def test_update_object_encryption_seals_a_clear_body(state, s3, kms, bucket):
    marker, data = _body(20 * 1024)
    s3.put_object(Bucket=bucket, Key="k", Body=data)
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    s3.update_object_encryption(Bucket=bucket, Key="k", ObjectEncryption={"SSEKMS": {"KMSKeyArn": key_arn}})
    assert not _on_disk(state[1], marker)
    assert s3.get_object(Bucket=bucket, Key="k", Range="bytes=10-19")["Body"].read() == data[10:20]
    kms.disable_key(KeyId=key_arn)
    with pytest.raises(ClientError) as refused:
        s3.get_object(Bucket=bucket, Key="k")
    assert refused.value.response["Error"]["Code"] == "KMS.DisabledException"


def test_sse_c_body_is_stored_encrypted_under_the_customer_key(state, s3, bucket):
    marker, data = _body(200 * 1024)
    secret = b"c" * 32
    sse = {
        "SSECustomerAlgorithm": "AES256",
        "SSECustomerKey": base64.b64encode(secret).decode(),
        "SSECustomerKeyMD5": base64.b64encode(hashlib.md5(secret).digest()).decode(),
    }
    s3.put_object(Bucket=bucket, Key="c", Body=data, **sse)
    assert not _on_disk(state[1], marker)
    assert s3.get_object(Bucket=bucket, Key="c", **sse)["Body"].read() == data
    ranged = s3.get_object(Bucket=bucket, Key="c", Range="bytes=70000-70009", **sse)
    assert ranged["Body"].read() == data[70000:70010]
    # A copy under the same customer key reads back; one into SSE-KMS is re-encrypted.
    copy_source = {f"CopySource{name}": value for name, value in sse.items()}
    s3.copy_object(Bucket=bucket, Key="c2", CopySource={"Bucket": bucket, "Key": "c"}, **copy_source, **sse)
    assert s3.get_object(Bucket=bucket, Key="c2", **sse)["Body"].read() == data
    s3.copy_object(
        Bucket=bucket,
        Key="k",
        CopySource={"Bucket": bucket, "Key": "c"},
        ServerSideEncryption="aws:kms",
        **copy_source,
    )
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == data
    assert not _on_disk(state[1], marker)


def test_copy_reencrypts_under_the_copy_key(state, s3, kms, bucket):
    marker, data = _body(150 * 1024)
    first_key = kms.create_key()["KeyMetadata"]["KeyId"]
    second_key = kms.create_key()["KeyMetadata"]["KeyId"]
    s3.put_object(Bucket=bucket, Key="src", Body=data, ServerSideEncryption="aws:kms", SSEKMSKeyId=first_key)
    copied = s3.copy_object(
        Bucket=bucket,
        Key="dst",
        CopySource={"Bucket": bucket, "Key": "src"},
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=second_key,
    )
    assert copied["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert not _on_disk(state[1], marker)
    kms.disable_key(KeyId=first_key)
    try:
        with pytest.raises(ClientError) as refused:
            s3.get_object(Bucket=bucket, Key="src")
        assert refused.value.response["Error"]["Code"] == "KMS.DisabledException"
        # The copy is sealed under its own data key, from the second key: still readable.
        assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == data
    finally:
        kms.enable_key(KeyId=first_key)
    # Copied out of SSE-KMS into the default encryption, the body is read back in clear.
    s3.copy_object(Bucket=bucket, Key="clear", CopySource={"Bucket": bucket, "Key": "src"})
    assert s3.get_object(Bucket=bucket, Key="clear")["Body"].read() == data


def test_multipart_sse_kms_parts_and_copies(state, s3, bucket):
    marker, data = _body(5 * MIB + 70_000)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", ServerSideEncryption="aws:kms")["UploadId"]
    one = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=data[: 5 * MIB])
    s3.put_object(Bucket=bucket, Key="tail-src", Body=data[5 * MIB :], ServerSideEncryption="aws:kms")
    two = s3.upload_part_copy(
        Bucket=bucket,
        Key="mp",
        UploadId=upload,
        PartNumber=2,
        CopySource={"Bucket": bucket, "Key": "tail-src"},
    )
    assert two["CopyPartResult"]["ETag"] == f'"{hashlib.md5(data[5 * MIB :]).hexdigest()}"'
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=upload,
        MultipartUpload={
            "Parts": [
                {"PartNumber": 1, "ETag": one["ETag"]},
                {"PartNumber": 2, "ETag": two["CopyPartResult"]["ETag"]},
            ]
        },
    )
    assert not _on_disk(state[1], marker)
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == data
    across = s3.get_object(Bucket=bucket, Key="mp", Range=f"bytes={5 * MIB - 5}-{5 * MIB + 5}")
    assert across["Body"].read() == data[5 * MIB - 5 : 5 * MIB + 6]
    assert s3.get_object(Bucket=bucket, Key="mp", PartNumber=2)["Body"].read() == data[5 * MIB :]
    # A ranged part copy out of the multipart object (across its parts) into a plain upload.
    plain = s3.create_multipart_upload(Bucket=bucket, Key="plain")["UploadId"]
    span = s3.upload_part_copy(
        Bucket=bucket,
        Key="plain",
        UploadId=plain,
        PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "mp"},
        CopySourceRange=f"bytes={5 * MIB - 100}-{5 * MIB + 99}",
    )
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="plain",
        UploadId=plain,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": span["CopyPartResult"]["ETag"]}]},
    )
    assert s3.get_object(Bucket=bucket, Key="plain")["Body"].read() == data[5 * MIB - 100 : 5 * MIB + 100]
