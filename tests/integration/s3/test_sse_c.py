"""Server-side encryption with customer-provided keys: validated, remembered by the key's
digest, and required to read the object back (AWS's recorded answers)."""

from __future__ import annotations

import base64
import hashlib
import os

from tests.integration.s3.conftest import error_of

MIB = 1024 * 1024
KEY = os.urandom(32)
OTHER = os.urandom(32)


def md5_of(key: bytes) -> str:
    return base64.b64encode(hashlib.md5(key).digest()).decode()


def sse(key: bytes = KEY, prefix: str = "") -> dict:
    return {f"{prefix}SSECustomerAlgorithm": "AES256", f"{prefix}SSECustomerKey": key}


def test_put_and_read_with_the_key(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"secret", **sse())
    assert (put["SSECustomerAlgorithm"], put["SSECustomerKeyMD5"]) == ("AES256", md5_of(KEY))
    assert "ServerSideEncryption" not in put
    got = s3.get_object(Bucket=bucket, Key="k", **sse())
    assert got["Body"].read() == b"secret" and got["SSECustomerKeyMD5"] == md5_of(KEY)
    assert s3.head_object(Bucket=bucket, Key="k", **sse())["SSECustomerAlgorithm"] == "AES256"


def test_reads_need_the_right_key(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"secret", **sse())
    assert error_of(s3.get_object, Bucket=bucket, Key="k")[:2] == ("InvalidRequest", 400)
    assert error_of(s3.get_object, Bucket=bucket, Key="k", **sse(OTHER))[:2] == ("AccessDenied", 403)
    # A key of another length is just another key on a read (a write calls it invalid).
    assert error_of(s3.get_object, Bucket=bucket, Key="k", **sse(KEY + b"!"))[:2] == ("AccessDenied", 403)
    code, status, _ = error_of(
        s3.get_object, Bucket=bucket, Key="k", SSECustomerAlgorithm="KMS", SSECustomerKey=KEY
    )
    assert (code, status) == ("InvalidEncryptionAlgorithmError", 400)
    assert error_of(s3.head_object, Bucket=bucket, Key="k")[1] == 400


def test_writes_validate_the_key(s3, bucket):
    code, _, message = error_of(
        s3.put_object, Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="AES256", **sse()
    )
    assert code == "InvalidArgument" and "incompatible with the encryption method" in message
    code, _, message = error_of(
        s3.put_object,
        Bucket=bucket,
        Key="k",
        Body=b"x",
        SSECustomerAlgorithm="AES256",
        SSECustomerKey=b"short",
    )
    assert (code, message) == ("InvalidArgument", "The secret key was invalid for the specified algorithm.")


def test_copy_reads_the_source_with_its_key(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"secret", **sse())
    source = {"Bucket": bucket, "Key": "src"}
    assert error_of(s3.copy_object, Bucket=bucket, Key="dst", CopySource=source)[:2] == (
        "InvalidRequest",
        400,
    )
    s3.copy_object(Bucket=bucket, Key="dst", CopySource=source, **sse(prefix="CopySource"), **sse(OTHER))
    assert s3.get_object(Bucket=bucket, Key="dst", **sse(OTHER))["Body"].read() == b"secret"


def test_multipart_parts_give_the_upload_key(s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", **sse())["UploadId"]
    common = {"Bucket": bucket, "Key": "mp", "UploadId": upload, "PartNumber": 1, "Body": b"part"}
    assert error_of(s3.upload_part, **common)[:2] == ("InvalidRequest", 400)
    _, _, message = error_of(s3.upload_part, **common, **sse(OTHER))
    assert message == "The provided encryption parameters did not match the ones used originally."
    part = s3.upload_part(**common, **sse())
    assert part["SSECustomerKeyMD5"] == md5_of(KEY)
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    assert error_of(s3.get_object, Bucket=bucket, Key="mp")[:2] == ("InvalidRequest", 400)
    assert s3.get_object(Bucket=bucket, Key="mp", **sse())["Body"].read() == b"part"
