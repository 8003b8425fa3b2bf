"""Multipart uploads through boto3 and the aws CLI (s3transfer)."""

from __future__ import annotations

import base64
import hashlib
import zlib

import pytest
from botocore.exceptions import ClientError

from tests.integration.s3.conftest import error_of

MB = 1024 * 1024


def test_multipart_lifecycle(s3, bucket):
    upload = s3.create_multipart_upload(
        Bucket=bucket, Key="big", ContentType="video/mp4", Metadata={"m": "1"}
    )
    upload_id = upload["UploadId"]
    part1 = b"a" * (5 * MB)
    part2 = b"b" * 1024
    e1 = s3.upload_part(Bucket=bucket, Key="big", UploadId=upload_id, PartNumber=1, Body=part1)["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="big", UploadId=upload_id, PartNumber=2, Body=part2)["ETag"]
    listed = s3.list_parts(Bucket=bucket, Key="big", UploadId=upload_id)
    assert [(p["PartNumber"], p["Size"]) for p in listed["Parts"]] == [(1, 5 * MB), (2, 1024)]
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("big", upload_id)]
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="big",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]},
    )
    expected = hashlib.md5(hashlib.md5(part1).digest() + hashlib.md5(part2).digest()).hexdigest() + "-2"
    assert done["ETag"] == f'"{expected}"'
    got = s3.get_object(Bucket=bucket, Key="big")
    assert got["Body"].read() == part1 + part2
    assert got["ContentType"] == "video/mp4" and got["Metadata"] == {"m": "1"}
    second = s3.get_object(Bucket=bucket, Key="big", PartNumber=2)
    assert second["Body"].read() == part2 and second["PartsCount"] == 2
    attributes = s3.get_object_attributes(Bucket=bucket, Key="big", ObjectAttributes=["ObjectParts", "ETag"])
    assert attributes["ObjectParts"]["TotalPartsCount"] == 2
    assert error_of(s3.list_parts, Bucket=bucket, Key="big", UploadId=upload_id)[:2] == ("NoSuchUpload", 404)
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)


def test_multipart_errors(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    e1 = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"small")["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=2, Body=b"small")["ETag"]
    code, status, message = error_of(
        s3.complete_multipart_upload,
        Bucket=bucket,
        Key="k",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]},
    )
    assert (code, status, message) == (
        "EntityTooSmall",
        400,
        "Your proposed upload is smaller than the minimum allowed size",
    )
    assert error_of(
        s3.complete_multipart_upload,
        Bucket=bucket,
        Key="k",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}]},
    )[:2] == ("InvalidPartOrder", 400)
    assert error_of(
        s3.complete_multipart_upload,
        Bucket=bucket,
        Key="k",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"0000"'}]},
    )[:2] == ("InvalidPart", 400)
    assert error_of(s3.upload_part, Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=10001, Body=b"")[
        :2
    ] == ("InvalidArgument", 400)
    # One small part alone is fine: the last part may be any size.
    s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=10000, Body=b"last")
    s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)
    assert error_of(s3.abort_multipart_upload, Bucket=bucket, Key="k", UploadId=upload_id)[:2] == (
        "NoSuchUpload",
        404,
    )
    assert error_of(s3.upload_part, Bucket=bucket, Key="k", UploadId="nope", PartNumber=1, Body=b"")[:2] == (
        "NoSuchUpload",
        404,
    )


def test_upload_part_copy_and_checksums(s3, bucket):
    source = bytes(range(256)) * (6 * MB // 256)
    s3.put_object(Bucket=bucket, Key="src", Body=source)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="dst", ChecksumAlgorithm="CRC32")["UploadId"]
    copied = s3.upload_part_copy(
        Bucket=bucket,
        Key="dst",
        UploadId=upload_id,
        PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "src"},
        CopySourceRange=f"bytes=0-{5 * MB - 1}",
    )
    tail = b"tail"
    crc_tail = base64.b64encode(zlib.crc32(tail).to_bytes(4, "big")).decode()
    part2 = s3.upload_part(
        Bucket=bucket, Key="dst", UploadId=upload_id, PartNumber=2, Body=tail, ChecksumAlgorithm="CRC32"
    )
    assert part2["ChecksumCRC32"] == crc_tail
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="dst",
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [
                {
                    "PartNumber": 1,
                    "ETag": copied["CopyPartResult"]["ETag"],
                    "ChecksumCRC32": copied["CopyPartResult"]["ChecksumCRC32"],
                },
                {"PartNumber": 2, "ETag": part2["ETag"], "ChecksumCRC32": crc_tail},
            ]
        },
    )
    assert done["ChecksumCRC32"].endswith("-2") and done["ChecksumType"] == "COMPOSITE"
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == source[: 5 * MB] + tail
    assert error_of(
        s3.upload_part_copy, Bucket=bucket, Key="dst", UploadId="x", PartNumber=1, CopySource=f"{bucket}/src"
    )[:2] == ("NoSuchUpload", 404)


def test_full_object_crc64(s3, bucket):
    data1, data2 = b"x" * (5 * MB), b"y" * 100
    upload_id = s3.create_multipart_upload(
        Bucket=bucket, Key="f", ChecksumAlgorithm="CRC64NVME", ChecksumType="FULL_OBJECT"
    )["UploadId"]
    parts = []
    for number, data in ((1, data1), (2, data2)):
        result = s3.upload_part(
            Bucket=bucket,
            Key="f",
            UploadId=upload_id,
            PartNumber=number,
            Body=data,
            ChecksumAlgorithm="CRC64NVME",
        )
        parts.append(
            {"PartNumber": number, "ETag": result["ETag"], "ChecksumCRC64NVME": result["ChecksumCRC64NVME"]}
        )
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="f", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    whole = s3.put_object(Bucket=bucket, Key="whole", Body=data1 + data2, ChecksumAlgorithm="CRC64NVME")
    assert done["ChecksumCRC64NVME"] == whole["ChecksumCRC64NVME"] and done["ChecksumType"] == "FULL_OBJECT"


def test_cli_cp_100mb(aws, s3, bucket, tmp_path):
    source = tmp_path / "big.bin"
    block = hashlib.sha256(b"seed").digest() * (MB // 32)
    with open(source, "wb") as handle:
        for _ in range(100):
            handle.write(block)
    result = aws("s3", "cp", str(source), f"s3://{bucket}/big.bin", check=False)
    assert result.returncode == 0, result.stderr
    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ContentLength"] == 100 * MB and head["ETag"].endswith('-13"')
    back = tmp_path / "back.bin"
    result = aws("s3", "cp", f"s3://{bucket}/big.bin", str(back), check=False)
    assert result.returncode == 0, result.stderr
    assert back.stat().st_size == 100 * MB
    with open(back, "rb") as handle:
        assert handle.read(MB) == block and handle.read(MB) == block


def test_conditional_complete(s3, bucket):
    s3.put_object(Bucket=bucket, Key="taken", Body=b"first")
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="taken")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="taken", UploadId=upload_id, PartNumber=1, Body=b"second")[
        "ETag"
    ]
    parts = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
    assert error_of(
        s3.complete_multipart_upload,
        Bucket=bucket,
        Key="taken",
        UploadId=upload_id,
        MultipartUpload=parts,
        IfNoneMatch="*",
    )[:2] == ("PreconditionFailed", 412)
    s3.complete_multipart_upload(Bucket=bucket, Key="taken", UploadId=upload_id, MultipartUpload=parts)
    assert s3.get_object(Bucket=bucket, Key="taken")["Body"].read() == b"second"


def test_list_uploads_pagination(s3, bucket):
    ids = [s3.create_multipart_upload(Bucket=bucket, Key=f"u/{n}")["UploadId"] for n in range(3)]
    page = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=2)
    assert [u["UploadId"] for u in page["Uploads"]] == ids[:2] and page["IsTruncated"]
    rest = s3.list_multipart_uploads(
        Bucket=bucket, KeyMarker=page["NextKeyMarker"], UploadIdMarker=page["NextUploadIdMarker"]
    )
    assert [u["UploadId"] for u in rest["Uploads"]] == ids[2:]
    grouped = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["u/"]


def test_list_parts_counts_are_int32_arguments(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    for member, wire in (("MaxParts", "max-parts"), ("PartNumberMarker", "part-number-marker")):
        assert error_of(s3.list_parts, Bucket=bucket, Key="k", UploadId=upload_id, **{member: -42}) == (
            "InvalidArgument",
            400,
            f"Argument {wire} must be an integer between 0 and 2147483647",
        )
        assert error_of(
            s3.list_parts, Bucket=bucket, Key="k", UploadId=upload_id, **{member: 2147483648}
        ) == ("InvalidArgument", 400, f"Provided {wire} not an integer or within integer range")
    assert error_of(s3.list_multipart_uploads, Bucket=bucket, MaxUploads=-1) == (
        "InvalidArgument",
        400,
        "Argument max-uploads must be an integer between 0 and 2147483647",
    )
    assert error_of(s3.list_multipart_uploads, Bucket=bucket, MaxUploads=2147483648) == (
        "InvalidArgument",
        400,
        "Provided max-uploads not an integer or within integer range",
    )
    assert s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id, MaxParts=2147483647)["MaxParts"] == 1000


def test_list_parts_next_marker(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    empty = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)
    assert (empty["PartNumberMarker"], empty["NextPartNumberMarker"], empty["IsTruncated"]) == (0, 0, False)
    for number in (1, 2, 3):
        s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=number, Body=b"x")
    first = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id, MaxParts=2)
    assert [p["PartNumber"] for p in first["Parts"]] == [1, 2]
    assert (first["NextPartNumberMarker"], first["IsTruncated"]) == (2, True)
    rest = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id, PartNumberMarker=2, MaxParts=2)
    assert [p["PartNumber"] for p in rest["Parts"]] == [3]
    assert (rest["PartNumberMarker"], rest["NextPartNumberMarker"], rest["IsTruncated"]) == (2, 3, False)


def test_complete_without_parts_and_too_small_part_fields(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    assert error_of(s3.complete_multipart_upload, Bucket=bucket, Key="k", UploadId=upload_id) == (
        "InvalidRequest",
        400,
        "You must specify at least one part",
    )
    parts = [
        {
            "PartNumber": n,
            "ETag": s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=n, Body=b"data")[
                "ETag"
            ],
        }
        for n in (1, 2)
    ]
    with pytest.raises(ClientError) as caught:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
    error = caught.value.response["Error"]
    assert error["Code"] == "EntityTooSmall"
    # The error names the part's ETag bare, without the quotes its header carries.
    assert (error["ETag"], error["PartNumber"], error["ProposedSize"], error["MinSizeAllowed"]) == (
        parts[0]["ETag"].strip('"'),
        "1",
        "4",
        str(5 * MB),
    )


def test_requested_kms_encryption_is_kept_and_echoed(s3, bucket, client):
    key = client("kms").create_key()["KeyMetadata"]
    key_arn = key["Arn"]  # a key named by id is answered as its ARN
    created = s3.create_multipart_upload(
        Bucket=bucket,
        Key="mp",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key["KeyId"],
        BucketKeyEnabled=True,
    )
    assert (created["ServerSideEncryption"], created["SSEKMSKeyId"], created["BucketKeyEnabled"]) == (
        "aws:kms",
        key_arn,
        True,
    )
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=created["UploadId"], PartNumber=1, Body=b"bytes")
    assert (part["ServerSideEncryption"], part["SSEKMSKeyId"]) == ("aws:kms", key_arn)
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=created["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    assert (done["ServerSideEncryption"], done["SSEKMSKeyId"]) == ("aws:kms", key_arn)
    head = s3.head_object(Bucket=bucket, Key="mp")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"], head["BucketKeyEnabled"]) == (
        "aws:kms",
        key_arn,
        True,
    )
    # Without a key id, S3 uses the account's AWS managed key for S3.
    put = s3.put_object(Bucket=bucket, Key="obj", Body=b"x", ServerSideEncryption="aws:kms")
    assert put["ServerSideEncryption"] == "aws:kms" and ":key/" in put["SSEKMSKeyId"]
    assert s3.head_object(Bucket=bucket, Key="obj")["SSEKMSKeyId"] == put["SSEKMSKeyId"]
    assert (
        s3.put_object(Bucket=bucket, Key="s3", Body=b"x", ServerSideEncryption="AES256")[
            "ServerSideEncryption"
        ]
        == "AES256"
    )
    assert "SSEKMSKeyId" not in s3.head_object(Bucket=bucket, Key="s3")
