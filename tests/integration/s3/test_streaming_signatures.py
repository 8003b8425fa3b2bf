"""Signed streaming uploads (STREAMING-AWS4-HMAC-SHA256-PAYLOAD and its -TRAILER variant) on a
server that verifies signatures (--enforce-iam): every chunk signature, chained from the seed
signature, and the trailer signature are checked; a tampered upload is refused and stores
nothing. The chunk signatures here are computed by this test, per AWS's SigV4 streaming spec."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
import zlib

import boto3
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.integration.s3.conftest import raw

EMPTY = hashlib.sha256(b"").hexdigest()
REGION = "us-east-1"


def client_for(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name=REGION,
    )


def _key(secret: str, date: str) -> bytes:
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (REGION, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _sign(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def streaming_put(
    endpoint: str,
    path: str,
    data: bytes,
    chunk_size: int = 65536,
    trailer: bool = False,
    tamper=None,
    secret: str = "test",
    query: str = "",
):
    """PUT `data` as a signed aws-chunked body; `tamper(framed) -> framed` alters the wire bytes
    after signing. Returns (status, headers, body)."""
    marker = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" if trailer else "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    host = endpoint.split("//", 1)[1]
    headers = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data))}
    if trailer:
        headers["x-amz-trailer"] = "x-amz-checksum-crc32"
    url = f"http://{host}{path}" + (f"?{query}" if query else "")
    request = AWSRequest(method="PUT", url=url, data=b"", headers=headers)
    signer = S3SigV4Auth(Credentials("test", secret), "s3", REGION)
    signer.payload = lambda _request: marker
    signer.add_auth(request)
    amz_date = request.headers["X-Amz-Date"]
    seed = request.headers["Authorization"].rsplit("Signature=", 1)[1]
    key = _key(secret, amz_date[:8])
    scope = f"{amz_date[:8]}/{REGION}/s3/aws4_request"
    previous, framed = seed, bytearray()
    pieces = [data[i : i + chunk_size] for i in range(0, len(data), chunk_size)] + [b""]
    for piece in pieces:
        previous = _sign(
            key,
            f"AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{previous}\n{EMPTY}\n"
            f"{hashlib.sha256(piece).hexdigest()}",
        )
        framed += f"{len(piece):x};chunk-signature={previous}\r\n".encode() + piece
        if piece:
            framed += b"\r\n"
    if trailer:
        checksum = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
        canonical = f"x-amz-checksum-crc32:{checksum}\n"
        signature = _sign(
            key,
            f"AWS4-HMAC-SHA256-TRAILER\n{amz_date}\n{scope}\n{previous}\n"
            f"{hashlib.sha256(canonical.encode()).hexdigest()}",
        )
        framed += f"x-amz-checksum-crc32:{checksum}\r\nx-amz-trailer-signature:{signature}\r\n\r\n".encode()
    else:
        framed += b"\r\n"
    body = bytes(tamper(bytes(framed)) if tamper else framed)
    sent = dict(request.headers.items())
    sent["Host"] = host
    return raw(endpoint, "PUT", path + (f"?{query}" if query else ""), sent, body)


def flip_byte(offset_from_end: int):
    def tamper(framed: bytes) -> bytes:
        changed = bytearray(framed)
        changed[len(changed) - offset_from_end] ^= 0x01
        return bytes(changed)

    return tamper


def flip_first_data_byte(framed: bytes) -> bytes:
    start = framed.index(b"\r\n") + 2
    changed = bytearray(framed)
    changed[start] ^= 0x01
    return bytes(changed)


def test_signed_chunks_are_verified_small_and_streamed(enforced):
    endpoint = enforced.endpoint
    s3 = client_for(endpoint)
    bucket = f"stream-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    small = b"hello, chunked world"
    status, _, body = streaming_put(endpoint, f"/{bucket}/small", small, chunk_size=8)
    assert status == 200, body
    assert s3.get_object(Bucket=bucket, Key="small")["Body"].read() == small
    big = bytes(range(256)) * 8192  # 2 MiB: arrives in many reads, decoded as it streams
    status, _, body = streaming_put(endpoint, f"/{bucket}/big", big)
    assert status == 200, body
    got = s3.get_object(Bucket=bucket, Key="big")
    assert got["ContentLength"] == len(big) and got["Body"].read() == big
    assert got["ETag"] == f'"{hashlib.md5(big).hexdigest()}"'


@pytest.mark.parametrize(
    "size,tamper",
    [
        (20, flip_first_data_byte),  # in memory: first chunk
        (2 * 1024 * 1024, flip_first_data_byte),  # streamed: first chunk
        (2 * 1024 * 1024, flip_byte(200)),  # streamed: last data chunk
    ],
)
def test_tampered_chunk_is_refused_and_nothing_is_stored(enforced, size, tamper):
    endpoint = enforced.endpoint
    s3 = client_for(endpoint)
    bucket = f"stream-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    status, _, body = streaming_put(
        endpoint, f"/{bucket}/k", b"x" * size, chunk_size=min(size, 65536), tamper=tamper
    )
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_wrong_secret_fails_at_the_seed(enforced):
    endpoint = enforced.endpoint
    s3 = client_for(endpoint)
    bucket = f"stream-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    status, _, body = streaming_put(endpoint, f"/{bucket}/k", b"data", secret="not-the-secret")
    assert status == 403 and b"SignatureDoesNotMatch" in body


def test_signed_trailer_is_verified(enforced):
    endpoint = enforced.endpoint
    s3 = client_for(endpoint)
    bucket = f"stream-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    data = b"trailing checksum " * 5000
    status, _, body = streaming_put(endpoint, f"/{bucket}/ok", data, trailer=True)
    assert status == 200, body
    head = s3.head_object(Bucket=bucket, Key="ok", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()

    def forge_trailer_signature(framed: bytes) -> bytes:
        head_part, _, signature = framed.rpartition(b"x-amz-trailer-signature:")
        return head_part + b"x-amz-trailer-signature:" + (b"0" * 64) + signature[64:]

    status, _, body = streaming_put(
        endpoint, f"/{bucket}/forged", data, trailer=True, tamper=forge_trailer_signature
    )
    assert status == 403 and b"SignatureDoesNotMatch" in body
    status, _, body = streaming_put(
        endpoint, f"/{bucket}/forged", data[:100], trailer=True, tamper=forge_trailer_signature
    )
    assert status == 403 and b"SignatureDoesNotMatch" in body
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["ok"]


def test_signed_upload_part_is_verified(enforced):
    endpoint = enforced.endpoint
    s3 = client_for(endpoint)
    bucket = f"stream-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    part = b"p" * (1024 * 1024)
    query = f"partNumber=1&uploadId={upload}"
    status, _, body = streaming_put(endpoint, f"/{bucket}/mp", part, query=query, tamper=flip_byte(100))
    assert status == 403 and b"SignatureDoesNotMatch" in body
    assert s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload).get("Parts", []) == []
    status, headers, body = streaming_put(endpoint, f"/{bucket}/mp", part, query=query)
    assert status == 200, body
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": headers["etag"]}]},
    )
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == part


def test_unsigned_streaming_and_sdk_uploads_still_work_when_enforcing(enforced, tmp_path):
    endpoint = enforced.endpoint
    s3 = client_for(endpoint)
    bucket = f"stream-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    from tests.integration.s3.conftest import signed_raw

    data = b"unsigned chunks"
    checksum = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    framed = (
        f"{len(data):x}\r\n".encode() + data + f"\r\n0\r\nx-amz-checksum-crc32:{checksum}\r\n\r\n".encode()
    )
    host = endpoint.split("//", 1)[1]
    status, _, body = signed_raw(
        endpoint,
        "PUT",
        host,
        f"/{bucket}/u",
        {
            "Content-Encoding": "aws-chunked",
            "x-amz-decoded-content-length": str(len(data)),
            "x-amz-trailer": "x-amz-checksum-crc32",
        },
        framed,
        payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    )
    assert status == 200, body
    assert s3.get_object(Bucket=bucket, Key="u")["Body"].read() == data
    big = tmp_path / "big.bin"
    big.write_bytes(b"z" * (9 * 1024 * 1024))
    s3.upload_file(str(big), bucket, "multipart")  # s3transfer: multipart, default checksums
    assert s3.head_object(Bucket=bucket, Key="multipart")["ContentLength"] == 9 * 1024 * 1024


def test_chunk_signatures_are_not_checked_without_enforcement(endpoint):
    s3 = client_for(endpoint)
    bucket = f"stream-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    status, _, body = streaming_put(endpoint, f"/{bucket}/k", b"as before", tamper=flip_first_data_byte)
    assert status == 200, body  # signatures are only verified with IAM enforcement on
