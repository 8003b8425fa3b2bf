"""Answers where S3's status or headers are not what its model alone says: re-creating one's own
bucket in us-east-1, RestoreObject's 202/200/409, and delete markers on GET/HEAD/DELETE."""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.integration.s3.conftest import error_of, unique


def status_of(response: dict) -> int:
    return response["ResponseMetadata"]["HTTPStatusCode"]


def headers_of_error(call, *args, **kwargs) -> tuple[int, dict, dict]:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    response = caught.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["ResponseMetadata"]["HTTPHeaders"],
        response["Error"],
    )


# -- re-creating a bucket one owns ----------------------------------------------------------------


def test_recreate_in_us_east_1_keeps_bucket_objects_and_configuration(s3, aws):
    name = unique("recreate")
    created = s3.create_bucket(Bucket=name)
    assert created["Location"] == f"/{name}" and created["BucketArn"] == f"arn:aws:s3:::{name}"
    s3.put_object(Bucket=name, Key="keep.txt", Body=b"kept")
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "team", "Value": "web"}]})
    s3.put_bucket_website(Bucket=name, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": False,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )

    again = s3.create_bucket(Bucket=name)
    assert status_of(again) == 200 and again["Location"] == f"/{name}"
    made = aws("s3", "mb", f"s3://{name}", "--region", "us-east-1", check=False)  # the guide's mb, again
    assert made.returncode == 0 and f"make_bucket: {name}" in made.stdout
    aws("s3api", "create-bucket", "--bucket", name)

    assert s3.get_object(Bucket=name, Key="keep.txt")["Body"].read() == b"kept"
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    assert s3.get_bucket_tagging(Bucket=name)["TagSet"] == [{"Key": "team", "Value": "web"}]
    assert s3.get_bucket_website(Bucket=name)["IndexDocument"] == {"Suffix": "index.html"}
    assert (
        s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]["IgnorePublicAcls"] is False
    )
    assert s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}
    ]
    assert [b["Name"] for b in s3.list_buckets(Prefix=name)["Buckets"]] == [name]


def test_recreate_with_tags_or_in_another_region_is_already_owned(s3, endpoint):
    name = unique("recreate")
    s3.create_bucket(Bucket=name)
    assert error_of(
        s3.create_bucket, Bucket=name, CreateBucketConfiguration={"Tags": [{"Key": "k", "Value": "v"}]}
    ) == (
        "BucketAlreadyOwnedByYou",
        409,
        "Your previous request to create the named bucket succeeded and you already own it.",
    )
    west = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="eu-west-1",
    )
    west_name = unique("recreate")
    west.create_bucket(Bucket=west_name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    west.put_object(Bucket=west_name, Key="k", Body=b"v")
    assert error_of(
        west.create_bucket, Bucket=west_name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )[:2] == ("BucketAlreadyOwnedByYou", 409)
    assert west.get_object(Bucket=west_name, Key="k")["Body"].read() == b"v"


def test_recreate_resets_the_bucket_acl_as_aws_documents(s3):
    name = unique("recreate")
    s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
    s3.delete_public_access_block(Bucket=name)
    s3.put_bucket_acl(Bucket=name, ACL="public-read")
    assert len(s3.get_bucket_acl(Bucket=name)["Grants"]) == 2
    s3.create_bucket(Bucket=name)
    assert [g["Permission"] for g in s3.get_bucket_acl(Bucket=name)["Grants"]] == ["FULL_CONTROL"]
    # Nothing else is reset: ACLs stay enabled and the public access block stays deleted.
    assert s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "ObjectWriter"}
    ]
    assert error_of(s3.get_public_access_block, Bucket=name)[:2] == (
        "NoSuchPublicAccessBlockConfiguration",
        404,
    )


# -- RestoreObject ------------------------------------------------------------------------------


def test_restore_object_statuses(s3, bucket, aws):
    s3.put_object(Bucket=bucket, Key="cold", Body=b"ice", StorageClass="GLACIER")
    started = s3.restore_object(Bucket=bucket, Key="cold", RestoreRequest={"Days": 1})
    assert status_of(started) == 202
    assert error_of(s3.restore_object, Bucket=bucket, Key="cold", RestoreRequest={"Days": 2}) == (
        "RestoreAlreadyInProgress",
        409,
        "Object restore is already in progress",
    )
    deadline = time.monotonic() + 15
    while 'ongoing-request="false"' not in (s3.head_object(Bucket=bucket, Key="cold").get("Restore") or ""):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    first_expiry = s3.head_object(Bucket=bucket, Key="cold")["Restore"]
    extended = s3.restore_object(Bucket=bucket, Key="cold", RestoreRequest={"Days": 5})
    assert status_of(extended) == 200  # already restored: only the expiry moves
    second_expiry = s3.head_object(Bucket=bucket, Key="cold")["Restore"]
    assert second_expiry.startswith('ongoing-request="false"') and second_expiry != first_expiry
    assert s3.get_object(Bucket=bucket, Key="cold")["Body"].read() == b"ice"
    # The CLI sees the same: a new restore of another archived object succeeds (202).
    s3.put_object(Bucket=bucket, Key="colder", Body=b"ice", StorageClass="DEEP_ARCHIVE")
    aws("s3api", "restore-object", "--bucket", bucket, "--key", "colder", "--restore-request", "Days=1")
    assert s3.head_object(Bucket=bucket, Key="colder")["Restore"] == 'ongoing-request="true"'


@pytest.mark.parametrize("storage_class", ["GLACIER", "DEEP_ARCHIVE"])
def test_copy_of_an_unrestored_archived_object(s3, bucket, storage_class):
    # The model names ObjectNotInActiveTierError, but S3 itself answers a copy from an archived
    # source with InvalidObjectState and this text (as S3 clients have logged it since 2013).
    s3.put_object(Bucket=bucket, Key="cold", Body=b"ice", StorageClass=storage_class)
    with pytest.raises(ClientError) as caught:
        s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "cold"})
    error = caught.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
        "InvalidObjectState",
        403,
    )
    assert error["Error"]["Message"] == "Operation is not valid for the source object's storage class"
    assert error["Error"]["StorageClass"] == storage_class
    upload = s3.create_multipart_upload(Bucket=bucket, Key="parts")["UploadId"]
    with pytest.raises(ClientError) as caught:
        s3.upload_part_copy(
            Bucket=bucket,
            Key="parts",
            UploadId=upload,
            PartNumber=1,
            CopySource={"Bucket": bucket, "Key": "cold"},
        )
    assert caught.value.response["Error"]["Code"] == "InvalidObjectState"
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="copy")
    # Once restored, the archived object is a copy source like any other.
    s3.restore_object(Bucket=bucket, Key="cold", RestoreRequest={"Days": 1})
    deadline = time.monotonic() + 15
    while 'ongoing-request="false"' not in (s3.head_object(Bucket=bucket, Key="cold").get("Restore") or ""):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "cold"})
    copied = s3.get_object(Bucket=bucket, Key="copy")
    assert copied["Body"].read() == b"ice" and copied.get("StorageClass", "STANDARD") == "STANDARD"


# -- delete markers ------------------------------------------------------------------------------


def test_get_and_head_of_a_deleted_key_say_delete_marker(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket=bucket, Key="gone", Body=b"v1")["VersionId"]
    deleted = s3.delete_object(Bucket=bucket, Key="gone")
    assert status_of(deleted) == 204 and deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    headers = deleted["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amz-delete-marker"] == "true" and headers["x-amz-version-id"] == marker

    status, headers, error = headers_of_error(s3.get_object, Bucket=bucket, Key="gone")
    assert (status, error["Code"], error["Key"]) == (404, "NoSuchKey", "gone")
    assert headers["x-amz-delete-marker"] == "true" and headers["x-amz-version-id"] == marker
    status, headers, _ = headers_of_error(s3.head_object, Bucket=bucket, Key="gone")
    assert (
        status == 404 and headers["x-amz-delete-marker"] == "true" and headers["x-amz-version-id"] == marker
    )

    status, headers, error = headers_of_error(s3.get_object, Bucket=bucket, Key="gone", VersionId=marker)
    assert (status, error["Code"], error["Method"], error["ResourceType"]) == (
        405,
        "MethodNotAllowed",
        "GET",
        "DeleteMarker",
    )
    assert "DeleteMarker" not in error and "VersionId" not in error
    assert headers["x-amz-delete-marker"] == "true" and headers["x-amz-version-id"] == marker
    assert headers["allow"] == "DELETE" and headers["last-modified"].endswith(" GMT")
    status, headers, _ = headers_of_error(s3.head_object, Bucket=bucket, Key="gone", VersionId=marker)
    assert (
        status == 405 and headers["x-amz-delete-marker"] == "true" and headers["x-amz-version-id"] == marker
    )
    assert headers["last-modified"].endswith(" GMT")

    # The real version is still there; a key that never existed has no marker headers.
    assert s3.get_object(Bucket=bucket, Key="gone", VersionId=version)["Body"].read() == b"v1"
    status, headers, _ = headers_of_error(s3.get_object, Bucket=bucket, Key="never")
    assert status == 404 and "x-amz-delete-marker" not in headers

    # Deleting the marker by id says it was one; deleting the version by id does not.
    removed = s3.delete_object(Bucket=bucket, Key="gone", VersionId=marker)
    assert removed["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"] == "true"
    assert removed["VersionId"] == marker
    assert s3.get_object(Bucket=bucket, Key="gone")["Body"].read() == b"v1"
    removed = s3.delete_object(Bucket=bucket, Key="gone", VersionId=version)
    assert "x-amz-delete-marker" not in removed["ResponseMetadata"]["HTTPHeaders"]
    assert removed["ResponseMetadata"]["HTTPHeaders"]["x-amz-version-id"] == version


def test_delete_marker_headers_in_a_suspended_bucket_and_unversioned_deletes(s3, bucket, aws):
    plain = s3.delete_object(Bucket=bucket, Key="nothing")
    assert status_of(plain) == 204
    assert not {"x-amz-delete-marker", "x-amz-version-id"} & set(plain["ResponseMetadata"]["HTTPHeaders"])
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert (deleted["DeleteMarker"], deleted["VersionId"]) == (True, "null")
    status, headers, _ = headers_of_error(s3.head_object, Bucket=bucket, Key="k")
    assert (status, headers["x-amz-delete-marker"], headers["x-amz-version-id"]) == (404, "true", "null")
    # The CLI's head-object fails the same way.
    result = aws("s3api", "head-object", "--bucket", bucket, "--key", "k", check=False)
    assert result.returncode != 0 and "404" in result.stderr


def test_configuration_of_a_delete_marker_is_method_not_allowed(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    tags = {"TagSet": [{"Key": "a", "Value": "b"}]}
    for call, kwargs, method in (
        (s3.put_object_tagging, {"Tagging": tags}, "PUT"),
        (s3.get_object_tagging, {}, "GET"),
        (s3.delete_object_tagging, {}, "DELETE"),
        (s3.put_object_acl, {"ACL": "private"}, "PUT"),
    ):
        for version in ({}, {"VersionId": marker}):
            status, headers, error = headers_of_error(call, Bucket=bucket, Key="k", **kwargs, **version)
            assert (status, error["Code"], error["Method"], error["ResourceType"]) == (
                405,
                "MethodNotAllowed",
                method,
                "DeleteMarker",
            ), (call, version)
            assert headers["x-amz-delete-marker"] == "true"
    # GetObjectAcl of the current (deleted) key is NoSuchKey; by the marker's id, 405.
    assert error_of(s3.get_object_acl, Bucket=bucket, Key="k")[:2] == ("NoSuchKey", 404)
    status, _, error = headers_of_error(s3.get_object_acl, Bucket=bucket, Key="k", VersionId=marker)
    assert (status, error["Method"]) == (405, "GET")


# -- smaller answers AWS-verified suites pin down ------------------------------------------------


def test_part_number_1_of_a_whole_object_is_a_partial_answer(s3, bucket):
    s3.put_object(Bucket=bucket, Key="whole", Body=b"x" * 10)
    for call in (s3.get_object, s3.head_object):
        plain = call(Bucket=bucket, Key="whole")
        assert status_of(plain) == 200 and "content-range" not in plain["ResponseMetadata"]["HTTPHeaders"]
        part = call(Bucket=bucket, Key="whole", PartNumber=1)
        assert status_of(part) == 206 and part["ContentLength"] == 10
        assert part["ResponseMetadata"]["HTTPHeaders"]["content-range"] == "bytes 0-9/10"
    assert error_of(s3.get_object, Bucket=bucket, Key="whole", PartNumber=2)[:2] == ("InvalidPartNumber", 416)


def test_put_bucket_tagging_is_204_and_tag_text_is_checked(s3, bucket):
    put = s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "a b+c-=._:/@", "Value": "ü 1"}]})
    assert status_of(put) == 204
    assert error_of(
        s3.put_bucket_tagging, Bucket=bucket, Tagging={"TagSet": [{"Key": "k1,k2", "Value": "v"}]}
    ) == ("InvalidTag", 400, "The TagKey you have provided is invalid")
    assert error_of(
        s3.put_bucket_tagging, Bucket=bucket, Tagging={"TagSet": [{"Key": "k", "Value": "v1,v2"}]}
    ) == ("InvalidTag", 400, "The TagValue you have provided is invalid")
    assert error_of(
        s3.put_bucket_tagging, Bucket=bucket, Tagging={"TagSet": [{"Key": "aws:x", "Value": "v"}]}
    ) == ("InvalidTag", 400, "System tags cannot be added/updated by requester")
    assert error_of(s3.put_object, Bucket=bucket, Key="k", Body=b"", Tagging="aws:foo=bar") == (
        "InvalidTag",
        400,
        "Your TagKey cannot be prefixed with aws:",
    )
    s3.put_object(Bucket=bucket, Key="k", Body=b"")
    assert error_of(
        s3.put_object_tagging, Bucket=bucket, Key="k", Tagging={"TagSet": [{"Key": "aws:x", "Value": "v"}]}
    ) == ("InvalidTag", 400, "Your TagKey cannot be prefixed with aws:")


def test_object_lock_configuration_without_a_body(s3, bucket, endpoint):
    from tests.integration.s3.conftest import signed_raw

    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    host = endpoint.split("//", 1)[1]
    status, _, body = signed_raw(endpoint, "PUT", host, f"/{bucket}?object-lock")
    assert status == 400 and b"<Code>MissingRequestBodyError</Code>" in body
    assert b"<Message>Request Body is empty</Message>" in body
    assert error_of(s3.put_object_lock_configuration, Bucket=bucket, ObjectLockConfiguration={})[:2] == (
        "MalformedXML",
        400,
    )


def test_completing_an_upload_twice_answers_the_same(s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    first = s3.upload_part(
        Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"0" * 5 * 1024 * 1024
    )
    second = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=2, Body=b"1")
    parts = {"Parts": [{"ETag": first["ETag"], "PartNumber": 1}, {"ETag": second["ETag"], "PartNumber": 2}]}
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload=parts)
    again = s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload=parts, IfNoneMatch="*"
    )
    assert status_of(again) == 200 and again["ETag"] == done["ETag"]
    s3.put_object(Bucket=bucket, Key="mp", Body=b"replaced")
    assert error_of(
        s3.complete_multipart_upload, Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload=parts
    )[:2] == ("NoSuchUpload", 404)


def test_copy_in_place_of_a_named_version_and_composite_checksum_attributes(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"two")
    copied = s3.copy_object(
        Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "k", "VersionId": version}
    )
    assert copied["CopySourceVersionId"] == version
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"one"
    assert error_of(s3.copy_object, Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "k"})[
        :2
    ] == ("InvalidRequest", 400)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", ChecksumAlgorithm="SHA256")["UploadId"]
    part = s3.upload_part(
        Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"some value", ChecksumAlgorithm="SHA256"
    )
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=upload,
        MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": part["ETag"], "ChecksumSHA256": part["ChecksumSHA256"]}]
        },
    )
    attributes = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=["Checksum"])
    assert attributes["Checksum"]["ChecksumSHA256"] == "DnKotDi4EtYGwNMDKmnR6SqH3bWVOlo2BC+tsz9rHqw="
    head = s3.head_object(Bucket=bucket, Key="mp", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == "DnKotDi4EtYGwNMDKmnR6SqH3bWVOlo2BC+tsz9rHqw=-1"


def test_a_204_answer_has_no_content_length(s3, bucket):
    # RFC 9110 forbids Content-Length on a 204, and AWS sends none; the connection stays usable.
    for _ in range(3):
        s3.put_object(Bucket=bucket, Key="gone", Body=b"x")
        deleted = s3.delete_object(Bucket=bucket, Key="gone")
        assert status_of(deleted) == 204
        assert "content-length" not in deleted["ResponseMetadata"]["HTTPHeaders"]
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
