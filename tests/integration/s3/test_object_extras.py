"""Object operations beside the main path: annotations, GetPart, torrents, UpdateObjectEncryption,
and S3's answers where a directory bucket, S3 Select or Object Lambda would be needed."""

from __future__ import annotations

import hashlib

from tests.integration.s3.conftest import error_of

MIB = 1024 * 1024


# -- annotations ---------------------------------------------------------------------------------


def test_annotations_put_get_list_delete(s3, bucket):
    s3.put_object(Bucket=bucket, Key="doc", Body=b"body")
    put = s3.put_object_annotation(
        Bucket=bucket, Key="doc", AnnotationName="summary", AnnotationPayload=b"short"
    )
    assert put["ETag"] == f'"{hashlib.md5(b"short").hexdigest()}"'
    algorithm = next(name for name in put if name.startswith("Checksum") and name != "ChecksumType")
    s3.put_object_annotation(Bucket=bucket, Key="doc", AnnotationName="sum2", AnnotationPayload=b"x")
    s3.put_object_annotation(Bucket=bucket, Key="doc", AnnotationName="other", AnnotationPayload=b"y")
    got = s3.get_object_annotation(Bucket=bucket, Key="doc", AnnotationName="summary", ChecksumMode="ENABLED")
    assert got["AnnotationPayload"].read() == b"short" and got["ContentLength"] == 5
    assert got[algorithm] == put[algorithm]
    listed = s3.list_object_annotations(Bucket=bucket, Key="doc", AnnotationPrefix="sum")
    assert [a["AnnotationName"] for a in listed["Annotations"]] == ["sum2", "summary"]
    first = s3.list_object_annotations(Bucket=bucket, Key="doc", MaxAnnotationResults=2)
    assert [a["AnnotationName"] for a in first["Annotations"]] == ["other", "sum2"]
    rest = s3.list_object_annotations(
        Bucket=bucket, Key="doc", ContinuationToken=first["NextContinuationToken"]
    )
    assert [a["AnnotationName"] for a in rest["Annotations"]] == [
        "summary"
    ] and "NextContinuationToken" not in rest
    s3.delete_object_annotation(Bucket=bucket, Key="doc", AnnotationName="summary")
    assert error_of(s3.get_object_annotation, Bucket=bucket, Key="doc", AnnotationName="summary")[:2] == (
        "NoSuchAnnotation",
        404,
    )


def test_annotations_follow_their_version(s3, bucket):
    s3.put_object(Bucket=bucket, Key="doc", Body=b"one")
    s3.put_object_annotation(Bucket=bucket, Key="doc", AnnotationName="n", AnnotationPayload=b"v")
    s3.put_object(Bucket=bucket, Key="doc", Body=b"two")  # replaces the unversioned object
    assert s3.list_object_annotations(Bucket=bucket, Key="doc")["Annotations"] == []


def test_annotation_errors(s3, bucket):
    assert error_of(
        s3.put_object_annotation, Bucket=bucket, Key="none", AnnotationName="n", AnnotationPayload=b"v"
    )[:2] == ("NoSuchKey", 404)
    s3.put_object(Bucket=bucket, Key="doc", Body=b"one")
    assert error_of(
        s3.put_object_annotation, Bucket=bucket, Key="doc", AnnotationName="n" * 513, AnnotationPayload=b"v"
    )[:2] == ("AnnotationNameTooLong", 400)
    assert error_of(
        s3.put_object_annotation, Bucket=bucket, Key="doc", AnnotationName="n", AnnotationPayload=b"\xff\xfe"
    )[:2] == ("UnsupportedMediaType", 415)
    assert error_of(
        s3.put_object_annotation,
        Bucket=bucket,
        Key="doc",
        AnnotationName="n",
        AnnotationPayload=b"v",
        ObjectIfMatch='"0123"',
    )[:2] == ("PreconditionFailed", 412)


# -- GetPart --------------------------------------------------------------------------------------


def test_get_part_in_progress_and_completed(s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big", ChecksumAlgorithm="SHA256")["UploadId"]
    first, second = b"a" * (5 * MIB), b"b" * 100
    etags = [
        s3.upload_part(
            Bucket=bucket, Key="big", UploadId=upload, PartNumber=n, Body=body, ChecksumAlgorithm="SHA256"
        )
        for n, body in ((1, first), (2, second))
    ]
    part = s3.get_part(Bucket=bucket, Key="big", UploadId=upload, PartNumber=2, ChecksumMode="ENABLED")
    assert part["Body"].read() == second and part["MultipartUploadStatus"] == "IN_PROGRESS"
    assert part["ETag"] == etags[1]["ETag"] and part["ChecksumSHA256"] == etags[1]["ChecksumSHA256"]
    ranged = s3.get_part(Bucket=bucket, Key="big", UploadId=upload, PartNumber=1, Range="bytes=0-9")
    assert ranged["Body"].read() == b"a" * 10 and ranged["ContentRange"] == f"bytes 0-9/{5 * MIB}"
    assert error_of(s3.get_part, Bucket=bucket, Key="big", UploadId=upload, PartNumber=3)[:2] == (
        "NoSuchPart",
        404,
    )
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="big",
        UploadId=upload,
        MultipartUpload={
            "Parts": [
                {"PartNumber": n, "ETag": e["ETag"], "ChecksumSHA256": e["ChecksumSHA256"]}
                for n, e in enumerate(etags, 1)
            ]
        },
    )
    done = s3.get_part(Bucket=bucket, Key="big", UploadId=upload, PartNumber=2)
    assert done["Body"].read() == second and done["MultipartUploadStatus"] == "COMPLETED"
    assert error_of(s3.get_part, Bucket=bucket, Key="big", UploadId="nope", PartNumber=1)[:2] == (
        "NoSuchUpload",
        404,
    )


# -- torrents -------------------------------------------------------------------------------------


def test_torrent_describes_the_object(s3, bucket):
    body = bytes(range(256)) * 2000  # 512,000 bytes: two pieces
    s3.put_object(Bucket=bucket, Key="dir/file.bin", Body=body)
    torrent = s3.get_object_torrent(Bucket=bucket, Key="dir/file.bin")["Body"].read()
    pieces = hashlib.sha1(body[: 256 * 1024]).digest() + hashlib.sha1(body[256 * 1024 :]).digest()
    assert b"6:lengthi512000e" in torrent and b"4:name8:file.bin" in torrent
    assert b"6:pieces40:" + pieces in torrent and torrent.startswith(b"d8:announce")
    assert error_of(s3.get_object_torrent, Bucket=bucket, Key="missing")[:2] == ("NoSuchKey", 404)


# -- UpdateObjectEncryption -----------------------------------------------------------------------


def test_update_object_encryption_changes_the_key_only(s3, bucket, client):
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    before = s3.head_object(Bucket=bucket, Key="k")
    key_arn = client("kms").create_key()["KeyMetadata"]["Arn"]
    s3.update_object_encryption(
        Bucket=bucket, Key="k", ObjectEncryption={"SSEKMS": {"KMSKeyArn": key_arn, "BucketKeyEnabled": True}}
    )
    after = s3.head_object(Bucket=bucket, Key="k")
    assert after["ServerSideEncryption"] == "aws:kms" and after["SSEKMSKeyId"] == key_arn
    assert after["BucketKeyEnabled"] is True
    assert after["ETag"] == put["ETag"] and after["LastModified"] == before["LastModified"]
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"data"
    other_account = key_arn.replace("000000000000", "111111111111")
    assert error_of(
        s3.update_object_encryption,
        Bucket=bucket,
        Key="k",
        ObjectEncryption={"SSEKMS": {"KMSKeyArn": other_account}},
    )[:2] == ("AccessDenied", 403)
    assert error_of(
        s3.update_object_encryption,
        Bucket=bucket,
        Key="none",
        ObjectEncryption={"SSEKMS": {"KMSKeyArn": key_arn}},
    )[:2] == ("NoSuchKey", 404)


# -- what needs a directory bucket, S3 Select or Object Lambda ------------------------------------


def test_directory_bucket_operations_on_a_general_purpose_account(s3, bucket):
    assert error_of(s3.create_session, Bucket=bucket)[:2] == ("InvalidRequest", 400)
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")
    assert error_of(s3.rename_object, Bucket=bucket, Key="b", RenameSource="a")[:2] == ("InvalidRequest", 400)


def test_select_is_closed_to_this_account(s3, bucket):
    s3.put_object(Bucket=bucket, Key="data.csv", Body=b"a,b\n1,2\n")
    code, status, _ = error_of(
        s3.select_object_content,
        Bucket=bucket,
        Key="data.csv",
        Expression="select * from s3object",
        ExpressionType="SQL",
        InputSerialization={"CSV": {}},
        OutputSerialization={"CSV": {}},
    )
    assert (code, status) == ("MethodNotAllowed", 405)
