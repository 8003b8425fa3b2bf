"""Answers AWS records for S3 where they differ from what the model alone would suggest:
checksum header validation, ranged-read checksums, expected bucket owners, copy ranges and
other refusals, as recorded against AWS (LocalStack's validated snapshots)."""

from __future__ import annotations

import base64
import zlib

import pytest

from tests.integration.s3.conftest import error_of, unique

MIB = 1024 * 1024


def crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def test_malformed_checksum_header_is_an_invalid_request(s3, bucket):
    code, status, message = error_of(
        s3.put_object, Bucket=bucket, Key="k", Body=b"data", ChecksumAlgorithm="CRC32", ChecksumCRC32="nope"
    )
    assert (code, status, message) == (
        "InvalidRequest",
        400,
        "Value for x-amz-checksum-crc32 header is invalid.",
    )
    code, status, message = error_of(
        s3.put_object,
        Bucket=bucket,
        Key="k",
        Body=b"data",
        ChecksumAlgorithm="CRC32",
        ChecksumCRC32=crc32(b"x"),
    )
    assert (code, message) == ("BadDigest", "The CRC32 you specified did not match the calculated checksum.")


def test_ranged_reads_keep_checksums_only_for_the_whole_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"0123456789", ChecksumAlgorithm="CRC32")
    whole = s3.head_object(Bucket=bucket, Key="k", Range="bytes=0-100", ChecksumMode="ENABLED")
    assert whole["ContentRange"] == "bytes 0-9/10" and whole["ChecksumCRC32"] == crc32(b"0123456789")
    partial = s3.head_object(Bucket=bucket, Key="k", Range="bytes=0-4", ChecksumMode="ENABLED")
    assert "ChecksumCRC32" not in partial and "ChecksumType" not in partial


def test_part_reads_give_the_part_checksum(s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", ChecksumAlgorithm="CRC32")["UploadId"]
    bodies = [b"a" * (5 * MIB), b"tail"]
    parts = [
        s3.upload_part(
            Bucket=bucket, Key="mp", UploadId=upload, PartNumber=n, Body=body, ChecksumAlgorithm="CRC32"
        )
        for n, body in enumerate(bodies, 1)
    ]
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=upload,
        MultipartUpload={
            "Parts": [
                {"PartNumber": n, "ETag": p["ETag"], "ChecksumCRC32": p["ChecksumCRC32"]}
                for n, p in enumerate(parts, 1)
            ]
        },
    )
    second = s3.get_object(Bucket=bucket, Key="mp", PartNumber=2, ChecksumMode="ENABLED")
    assert second["Body"].read() == b"tail" and second["ChecksumCRC32"] == crc32(b"tail")
    assert second["ChecksumType"] == "COMPOSITE"


@pytest.mark.parametrize("owner", ["0000", "abcd", "0000000000020", "aa000000000$"])
def test_malformed_expected_bucket_owner(s3, bucket, owner):
    for call, kwargs in (
        (s3.get_bucket_policy, {}),
        (s3.put_object, {"Key": "k", "Body": b"x"}),
        (s3.list_objects_v2, {}),
    ):
        code, status, message = error_of(call, Bucket=bucket, ExpectedBucketOwner=owner, **kwargs)
        assert (code, status) == ("InvalidBucketOwnerAWSAccountID", 400)
        assert (
            message
            == f"The value of the expected bucket owner parameter must be an AWS Account ID... [{owner}]"
        )


def test_someone_elses_expected_bucket_owner_is_denied(s3, bucket):
    assert error_of(s3.list_objects_v2, Bucket=bucket, ExpectedBucketOwner="111122223333")[:2] == (
        "AccessDenied",
        403,
    )
    s3.list_objects_v2(Bucket=bucket, ExpectedBucketOwner="000000000000")


def test_upload_part_copy_ranges_beyond_the_source(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"0123456789")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    source = {"Bucket": bucket, "Key": "src"}
    common = {"Bucket": bucket, "Key": "dst", "UploadId": upload, "PartNumber": 1, "CopySource": source}
    code, status, message = error_of(s3.upload_part_copy, CopySourceRange="bytes=0-100", **common)
    assert (code, status, message) == (
        "InvalidArgument",
        400,
        "Range specified is not valid for source object of size: 10",
    )
    code, status, message = error_of(s3.upload_part_copy, CopySourceRange="bytes=100-200", **common)
    assert (code, status, message) == (
        "InvalidRequest",
        400,
        "The specified copy range is invalid for the source object size",
    )
    copied = s3.upload_part_copy(CopySourceRange="bytes=0-4", **common)
    assert copied["ServerSideEncryption"] == "AES256"
    parts = s3.list_parts(Bucket=bucket, Key="dst", UploadId=upload)
    assert parts["Initiator"]["DisplayName"]


def test_bucket_level_refusals_in_aws_order(s3):
    name = unique("dotted.bucket")
    s3.create_bucket(Bucket=name)
    code, _, _ = error_of(
        s3.put_bucket_accelerate_configuration, Bucket=name, AccelerateConfiguration={"Status": "Bogus"}
    )
    assert code == "InvalidRequest"
    code, status, message = error_of(s3.put_bucket_versioning, Bucket=name, VersioningConfiguration={})
    assert (code, status, message) == (
        "IllegalVersioningConfigurationException",
        400,
        "The Versioning element must be specified",
    )
    put = s3.put_bucket_policy(
        Bucket=name,
        Policy='{"Statement":[{"Effect":"Allow","Principal":{"AWS":"000000000000"},"Action":"s3:GetObject",'
        f'"Resource":"arn:aws:s3:::{name}/*"}}]}}',
    )
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 204
