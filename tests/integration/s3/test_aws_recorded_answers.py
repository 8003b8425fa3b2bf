"""Answers AWS records for S3 where they differ from what the model alone would suggest:
checksum header validation, ranged-read checksums, expected bucket owners, copy ranges and
other refusals, as recorded against AWS (LocalStack's validated snapshots)."""

from __future__ import annotations

import base64
import hashlib
import zlib

import pytest
from botocore.exceptions import ClientError

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


def test_conditional_write_headers_s3_does_not_take(s3, bucket):
    cases = (
        ({"IfNoneMatch": '"abc"'}, "If-None-Match"),
        ({"IfMatch": "*"}, "If-Match"),
        ({"IfMatch": '"abc"', "IfNoneMatch": "*"}, "If-Match,If-None-Match"),
    )
    for headers, named in cases:
        with pytest.raises(ClientError) as caught:
            s3.put_object(Bucket=bucket, Key="k", Body=b"x", **headers)
        error = caught.value.response["Error"]
        assert (error["Code"], error["Header"]) == ("NotImplemented", named)
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501


def _one_part_upload(s3, bucket, key):
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1, Body=b"part")
    return upload, {"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}


def test_completing_after_the_key_changed_conflicts(s3, bucket):
    first = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["ETag"]
    upload, parts = _one_part_upload(s3, bucket, "k")
    second = s3.put_object(Bucket=bucket, Key="k", Body=b"two")["ETag"]
    common = {"Bucket": bucket, "Key": "k", "UploadId": upload, "MultipartUpload": parts}
    assert error_of(s3.complete_multipart_upload, IfMatch=first, **common)[:2] == ("PreconditionFailed", 412)
    assert error_of(s3.complete_multipart_upload, IfMatch=second, **common)[:2] == (
        "ConditionalRequestConflict",
        409,
    )
    upload, parts = _one_part_upload(s3, bucket, "k")
    s3.complete_multipart_upload(
        Bucket=bucket, Key="k", UploadId=upload, MultipartUpload=parts, IfMatch=second
    )


def test_completing_if_none_match_after_a_delete_conflicts(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"one")
    upload, parts = _one_part_upload(s3, bucket, "k")
    common = {"Bucket": bucket, "Key": "k", "UploadId": upload, "MultipartUpload": parts, "IfNoneMatch": "*"}
    assert error_of(s3.complete_multipart_upload, **common)[:2] == ("PreconditionFailed", 412)
    s3.delete_object(Bucket=bucket, Key="k")
    assert error_of(s3.complete_multipart_upload, **common)[:2] == ("ConditionalRequestConflict", 409)


def test_version_ids_that_cannot_exist_are_invalid(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    foreign = "HPniJFCxqTsMuIH9KX8K8wEjNUgmABCD"
    assert error_of(s3.get_object, Bucket=bucket, Key="k", VersionId=foreign)[:2] == ("InvalidArgument", 400)
    assert error_of(s3.delete_object, Bucket=bucket, Key="k", VersionId=foreign)[:2] == (
        "InvalidArgument",
        400,
    )
    deleted = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "k", "VersionId": foreign}]})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    gone = s3.put_object(Bucket=bucket, Key="k", Body=b"y")["VersionId"]
    s3.delete_object(Bucket=bucket, Key="k", VersionId=gone)
    again = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "k", "VersionId": gone}]})
    assert again["Deleted"] == [{"Key": "k", "VersionId": gone}]  # deleted already: deleted again
    # An id one character off is no id at all.
    tampered = gone[:-4] + ("ABCD" if gone[-4:] != "ABCD" else "WXYZ")
    assert error_of(s3.delete_object, Bucket=bucket, Key="k", VersionId=tampered)[:2] == (
        "InvalidArgument",
        400,
    )
    assert error_of(s3.get_object, Bucket=bucket, Key="k", VersionId=gone)[:2] == ("NoSuchVersion", 404)
    assert len(gone) == 32 and all(c.isalnum() or c in "._" for c in gone)
    assert deleted["Errors"] == [
        {
            "Key": "k",
            "VersionId": foreign,
            "Code": "NoSuchVersion",
            "Message": "The specified version does not exist.",
        }
    ]


def test_create_bucket_with_tags(s3):
    name = unique("tagged")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"Tags": [{"Key": "team", "Value": "web"}]})
    assert s3.get_bucket_tagging(Bucket=name)["TagSet"] == [{"Key": "team", "Value": "web"}]
    code, _, message = error_of(
        s3.create_bucket,
        Bucket=unique("tagged"),
        CreateBucketConfiguration={"Tags": [{"Key": "aws:x", "Value": "v"}]},
    )
    assert code == "InvalidTag" and message.startswith("User-defined tag keys can't start with")


def test_tagging_header_not_url_encoded(s3, bucket):
    code, status, _ = error_of(
        s3.put_object, Bucket=bucket, Key="k", Body=b"x", Tagging="key1=val1,key2=val2"
    )
    assert (code, status) == ("InvalidArgument", 400)


def _unchecked_client(client):
    from botocore.config import Config

    # No checksum of the client's own: S3's default applies.
    return client("s3", config=Config(request_checksum_calculation="when_required"))


def test_objects_written_without_a_checksum_get_crc64nvme(client, bucket):
    s3 = _unchecked_client(client)
    s3.put_object(Bucket=bucket, Key="plain", Body=b"test data..")
    head = s3.head_object(Bucket=bucket, Key="plain", ChecksumMode="ENABLED")
    assert (head["ChecksumCRC64NVME"], head["ChecksumType"]) == ("qUVrWYOrIAM=", "FULL_OBJECT")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"test data..")
    assert "ChecksumCRC64NVME" not in part
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    assert (done["ChecksumCRC64NVME"], done["ChecksumType"]) == ("qUVrWYOrIAM=", "FULL_OBJECT")


def test_copy_source_conditions_name_the_copy_source_header(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    with pytest.raises(ClientError) as caught:
        s3.upload_part_copy(
            Bucket=bucket,
            Key="dst",
            UploadId=upload,
            PartNumber=1,
            CopySource={"Bucket": bucket, "Key": "src"},
            CopySourceIfMatch='"nope"',
        )
    assert caught.value.response["Error"]["Condition"] == "x-amz-copy-source-If-Match"


def test_null_versions_are_named_by_reads_and_copies_once_versioning_is_on(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert "VersionId" not in s3.head_object(Bucket=bucket, Key="k")  # never versioned
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert "VersionId" not in s3.put_object(Bucket=bucket, Key="k", Body=b"y")
    assert s3.get_object(Bucket=bucket, Key="k")["VersionId"] == "null"
    assert s3.head_object(Bucket=bucket, Key="k")["VersionId"] == "null"
    copied = s3.copy_object(Bucket=bucket, Key="k", CopySource=f"{bucket}/k", MetadataDirective="REPLACE")
    assert copied["VersionId"] == "null"


def test_expiration_header_names_the_rule_that_expires_the_object(s3, bucket):
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {"ID": "long", "Filter": {"Prefix": "t"}, "Status": "Enabled", "Expiration": {"Days": 30}},
                {"ID": "short", "Filter": {"Prefix": "test"}, "Status": "Enabled", "Expiration": {"Days": 7}},
                {
                    "ID": "tagged",
                    "Filter": {"Tag": {"Key": "tmp", "Value": "yes"}},
                    "Status": "Enabled",
                    "Expiration": {"Days": 1},
                },
            ]
        },
    )
    put = s3.put_object(Bucket=bucket, Key="test-1", Body=b"x")
    assert put["Expiration"].endswith('GMT", rule-id="short"') and put["Expiration"].startswith(
        'expiry-date="'
    )
    head = s3.head_object(Bucket=bucket, Key="test-1")
    assert head["Expiration"] == put["Expiration"]
    assert s3.put_object(Bucket=bucket, Key="t-2", Body=b"x")["Expiration"].endswith('rule-id="long"')
    tagged = s3.put_object(Bucket=bucket, Key="other", Body=b"x", Tagging="tmp=yes")
    assert tagged["Expiration"].endswith('rule-id="tagged"')
    assert s3.get_object(Bucket=bucket, Key="other")["Expiration"] == tagged["Expiration"]
    assert "Expiration" not in s3.put_object(Bucket=bucket, Key="plain", Body=b"x")


def test_bucket_arns_in_listings_and_head(s3, bucket):
    arn = f"arn:aws:s3:::{bucket}"
    assert s3.head_bucket(Bucket=bucket)["BucketArn"] == arn
    listed = s3.list_buckets(Prefix=bucket)["Buckets"]
    assert [(b["Name"], b["BucketArn"]) for b in listed] == [(bucket, arn)]


def test_refusals_recorded_against_aws(s3, bucket):
    code, _, _ = error_of(s3.put_object, Bucket=bucket, Key="k", Body=b"x", StorageClass="OUTPOSTS")
    assert code == "InvalidStorageClass"
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    code, _, message = error_of(s3.get_object, Bucket=bucket, Key="k", PartNumber=1, Range="bytes=0-0")
    assert (code, message) == (
        "InvalidRequest",
        "Cannot specify both Range header and partNumber query parameter",
    )
    for bypass in (True, False):
        code, _, message = error_of(
            s3.delete_object, Bucket=bucket, Key="k", BypassGovernanceRetention=bypass
        )
        assert (code, message) == (
            "InvalidArgument",
            "x-amz-bypass-governance-retention is only applicable to Object Lock enabled buckets.",
        )
    code, _, message = error_of(s3.list_buckets, BucketRegion="eu-east-1")
    assert (code, message) == ("InvalidArgument", "Argument value eu-east-1 is not a valid AWS Region")
    code, _, message = error_of(s3.create_bucket, Bucket=unique("own"), ObjectOwnership="RandomValue")
    assert (code, message) == ("InvalidArgument", "Invalid x-amz-object-ownership header: RandomValue")


def test_lower_case_checksum_mode(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"test-checksum", ChecksumAlgorithm="SHA256")
    assert "ChecksumSHA256" in s3.get_object(Bucket=bucket, Key="k", ChecksumMode="enabled")


def test_timestamps_are_whole_seconds(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"][0]["LastModified"]
    assert listed.microsecond == 0


def test_object_lock_mode_must_be_known(s3):
    name = unique("locked")
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    import datetime

    until = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=10)
    code, _, message = error_of(
        s3.put_object,
        Bucket=name,
        Key="k",
        Body=b"x",
        ObjectLockMode="BAD-VALUE",
        ObjectLockRetainUntilDate=until,
    )
    assert (code, message) == ("InvalidArgument", "Unknown wormMode directive.")


def test_object_parts_are_listed_only_for_composite_checksums(s3, bucket):
    upload, parts = _one_part_upload(s3, bucket, "plain")
    s3.complete_multipart_upload(Bucket=bucket, Key="plain", UploadId=upload, MultipartUpload=parts)
    attributes = s3.get_object_attributes(Bucket=bucket, Key="plain", ObjectAttributes=["ObjectParts"])
    assert attributes["ObjectParts"] == {"TotalPartsCount": 1}


def test_list_multipart_uploads_names_the_last_upload(s3, bucket):
    first = s3.create_multipart_upload(Bucket=bucket, Key="a")["UploadId"]
    second = s3.create_multipart_upload(Bucket=bucket, Key="b")["UploadId"]
    listed = s3.list_multipart_uploads(Bucket=bucket)
    assert (listed["NextKeyMarker"], listed["NextUploadIdMarker"]) == ("b", second)
    assert "Prefix" not in listed and listed["IsTruncated"] is False
    page = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=1)
    assert (page["NextKeyMarker"], page["NextUploadIdMarker"], page["IsTruncated"]) == ("a", first, True)
    code, _, message = error_of(
        s3.list_multipart_uploads, Bucket=bucket, KeyMarker="a", UploadIdMarker=second
    )
    assert (code, message) == ("InvalidArgument", "Invalid uploadId marker")


def test_rfc2047_encoded_metadata_is_kept_decoded(s3, bucket):
    s3.put_object(
        Bucket=bucket,
        Key="k",
        Body=b"x",
        Metadata={"b64": "=?UTF-8?B?YWJj?=", "q": "=?UTF-8?Q?actually-ascii?=", "plain": "v"},
    )
    assert s3.head_object(Bucket=bucket, Key="k")["Metadata"] == {
        "b64": "abc",
        "q": "actually-ascii",
        "plain": "v",
    }


def test_malformed_content_md5_and_copy_source(s3, bucket):
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ContentMD5="000")
    error = caught.value.response["Error"]
    assert (error["Code"], error["Message"], error["Content-MD5"]) == (
        "InvalidDigest",
        "The Content-MD5 you specified was invalid.",
        "000",
    )
    with pytest.raises(ClientError) as caught:
        s3.copy_object(Bucket=bucket, Key="k", CopySource="wrongformat")
    error = caught.value.response["Error"]
    assert (error["ArgumentName"], error["ArgumentValue"]) == ("x-amz-copy-source", "x-amz-copy-source")


def test_multipart_location_is_url_encoded(s3, bucket):
    upload, parts = _one_part_upload(s3, bucket, "test-unicode_\u2014_file")
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="test-unicode_\u2014_file", UploadId=upload, MultipartUpload=parts
    )
    assert done["Location"].endswith("/test-unicode_%E2%80%94_file")


def test_a_marker_inside_a_common_prefix_skips_it(s3, bucket):
    for key in ("folder/aSubfolder/subFile1", "folder/aSubfolder/subFile2", "folder/file1", "folder/file2"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    common = {"Bucket": bucket, "Prefix": "folder/", "Delimiter": "/", "MaxKeys": 1}
    listed = s3.list_objects(Marker="folder/aSubfolder/subFile1", **common)
    assert [o["Key"] for o in listed["Contents"]] == ["folder/file1"] and "CommonPrefixes" not in listed
    versions = s3.list_object_versions(KeyMarker="folder/aSubfolder/subFile1", **common)
    assert [v["Key"] for v in versions["Versions"]] == ["folder/file1"] and "CommonPrefixes" not in versions


def test_metadata_mostly_outside_ascii_is_b_encoded(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Metadata={"r": "=?UTF-8?B?77+977+977+9?="})
    assert s3.head_object(Bucket=bucket, Key="k")["Metadata"] == {"r": "=?UTF-8?B?77+977+977+9?="}


def test_a_past_retention_date_is_echoed_as_aws_writes_it(s3):
    import datetime

    name = unique("locked")
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    with pytest.raises(ClientError) as caught:
        s3.put_object_retention(
            Bucket=name,
            Key="k",
            Retention={
                "Mode": "GOVERNANCE",
                "RetainUntilDate": datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
            },
        )
    assert caught.value.response["Error"]["ArgumentValue"] == "Tue Dec 31 16:00:00 PST 2019"


def test_empty_routing_rules_and_upload_id_marker_without_key_marker(s3, bucket):
    code, _, _ = error_of(
        s3.put_bucket_website,
        Bucket=bucket,
        WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}, "RoutingRules": []},
    )
    assert code == "MalformedXML"
    upload = s3.create_multipart_upload(Bucket=bucket, Key="a")["UploadId"]
    assert s3.list_multipart_uploads(Bucket=bucket, UploadIdMarker=upload)["UploadIdMarker"] == ""


def test_copies_of_multipart_objects_are_whole(s3, bucket):
    upload, parts = _one_part_upload(s3, bucket, "mp")
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload=parts)
    copied = s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "mp"})
    import hashlib

    assert copied["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"part").hexdigest()}"' != done["ETag"]


def test_declared_multipart_size_must_match(s3, bucket):
    upload, parts = _one_part_upload(s3, bucket, "mp")
    code, _, message = error_of(
        s3.complete_multipart_upload,
        Bucket=bucket,
        Key="mp",
        UploadId=upload,
        MultipartUpload=parts,
        MpuObjectSize=5,
    )
    assert (code, message) == (
        "InvalidRequest",
        "The provided 'x-amz-mp-object-size' header value 5 does not match what was computed: 4",
    )
    s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload=parts, MpuObjectSize=4
    )


def test_a_plus_in_the_copy_source_is_a_space(s3, bucket, endpoint):
    from tests.integration.s3.conftest import signed_raw

    s3.put_object(Bucket=bucket, Key="test key.txt", Body=b"body")
    host = endpoint.split("://", 1)[1]
    status, _, _ = signed_raw(
        endpoint, "PUT", host, f"/{bucket}/dest", {"x-amz-copy-source": f"{bucket}%2Ftest+key.txt"}, b""
    )
    assert status == 200
    assert s3.get_object(Bucket=bucket, Key="dest")["Body"].read() == b"body"


def test_a_copy_source_given_as_a_whole_url(s3, bucket, endpoint):
    # AWS recorded: a path-style URL of the source object is taken for its path.
    from tests.integration.s3.conftest import signed_raw

    s3.put_object(Bucket=bucket, Key="source", Body=b"body")
    host = endpoint.split("://", 1)[1]
    status, _, answer = signed_raw(
        endpoint, "PUT", host, f"/{bucket}/dest", {"x-amz-copy-source": f"{endpoint}/{bucket}/source"}, b""
    )
    assert status == 200 and b"<CopyObjectResult" in answer
    assert s3.get_object(Bucket=bucket, Key="dest")["Body"].read() == b"body"


def test_completing_a_checksummed_upload_as_aws_checks_it(s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="c", ChecksumAlgorithm="CRC32")["UploadId"]
    part = s3.upload_part(
        Bucket=bucket, Key="c", UploadId=upload, PartNumber=1, Body=b"data", ChecksumAlgorithm="CRC32"
    )
    common = {"Bucket": bucket, "Key": "c", "UploadId": upload}
    bare = {"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}
    code, _, message = error_of(s3.complete_multipart_upload, MultipartUpload=bare, **common)
    assert code == "InvalidRequest" and "must include the checksum for each part" in message
    full = {"Parts": [{"PartNumber": 1, "ETag": part["ETag"], "ChecksumCRC32": part["ChecksumCRC32"]}]}
    code, _, message = error_of(
        s3.complete_multipart_upload, MultipartUpload=full, ChecksumType="FULL_OBJECT", **common
    )
    assert message == (
        "The upload was created using the COMPOSITE checksum mode. The complete request must use the same "
        "checksum mode."
    )
    other = s3.create_multipart_upload(Bucket=bucket, Key="s", ChecksumAlgorithm="SHA256")["UploadId"]
    code, _, message = error_of(
        s3.upload_part,
        Bucket=bucket,
        Key="s",
        UploadId=other,
        PartNumber=1,
        Body=b"x",
        ChecksumAlgorithm="CRC32",
    )
    assert (
        message
        == "Checksum Type mismatch occurred, expected checksum Type: sha256, actual checksum Type: crc32"
    )
    done = s3.complete_multipart_upload(MultipartUpload=full, **common)
    assert done["ChecksumType"] == "COMPOSITE"
    copied = s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "c"})
    assert (
        copied["CopyObjectResult"]["ChecksumCRC32"] == part["ChecksumCRC32"]
    )  # one part: its sum is the whole


def test_bad_part_digest_names_the_expected_digest_in_base64(s3, bucket):
    sent = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    received = base64.b64encode(hashlib.md5(b"data").digest()).decode()
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="k", Body=b"data", ContentMD5=sent)
    # PutObject names it in hex, UploadPart as it was sent.
    assert caught.value.response["Error"]["ExpectedDigest"] == hashlib.md5(b"other").hexdigest()
    assert caught.value.response["Error"]["CalculatedDigest"] == received
    upload = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    with pytest.raises(ClientError) as caught:
        s3.upload_part(Bucket=bucket, Key="k", UploadId=upload, PartNumber=1, Body=b"data", ContentMD5=sent)
    error = caught.value.response["Error"]
    assert (error["Code"], error["ExpectedDigest"], error["CalculatedDigest"]) == (
        "BadDigest",
        sent,
        received,
    )


def test_website_configuration_refusals(s3, bucket):
    def refusal(configuration: dict) -> tuple:
        with pytest.raises(ClientError) as caught:
            s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=configuration)
        error = caught.value.response["Error"]
        return error["Code"], error["Message"], error.get("ArgumentName"), error.get("ArgumentValue")

    not_well_formed = "The IndexDocument Suffix is not well formed"
    assert refusal({"IndexDocument": {"Suffix": "/index.html"}}) == (
        "InvalidArgument", not_well_formed, "IndexDocument", "/index.html",
    )  # fmt: skip
    # An empty element: botocore reads its empty ArgumentValue as None.
    assert refusal({"IndexDocument": {"Suffix": ""}}) == (
        "InvalidArgument",
        not_well_formed,
        "IndexDocument",
        None,
    )
    assert refusal(
        {"RedirectAllRequestsTo": {"HostName": "test"}, "IndexDocument": {"Suffix": "i.html"}}
    ) == (
        "InvalidArgument",
        "RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.",
        "RedirectAllRequestsTo",
        "not null",
    )
    assert refusal({"ErrorDocument": {"Key": "/index.html"}}) == (
        "InvalidArgument",
        "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
        "IndexDocument",
        "null",
    )


def test_an_empty_legal_hold_is_malformed_before_the_lock_is_checked(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    code, status, _ = error_of(s3.put_object_legal_hold, Bucket=bucket, Key="k")
    assert (code, status) == ("MalformedXML", 400)
    code, status, message = error_of(
        s3.put_object_legal_hold, Bucket=bucket, Key="k", LegalHold={"Status": "ON"}
    )
    assert (code, status, message) == ("InvalidRequest", 400, "Bucket is missing Object Lock Configuration")


def test_create_bucket_with_malformed_tags(endpoint):
    import boto3
    from botocore.config import Config

    s3 = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
        aws_secret_access_key="test", config=Config(parameter_validation=False),
    )  # fmt: skip
    name = unique("tags")
    for tag in ({"Key": None, "Value": "value1"}, {"Key": "key1", "Value": None}):
        code, status, _ = error_of(s3.create_bucket, Bucket=name, CreateBucketConfiguration={"Tags": [tag]})
        assert (code, status) == ("MalformedXML", 400)
    assert error_of(s3.head_bucket, Bucket=name)[:2] == ("404", 404)


def test_configuration_refusals_recorded_against_aws(s3, bucket):
    code, status, message = error_of(s3.put_bucket_policy, Bucket=bucket, Policy="")
    assert (code, status, message) == (
        "MalformedPolicy", 400, "Policies must be valid JSON and the first byte must be '{'",
    )  # fmt: skip
    with pytest.raises(ClientError) as caught:
        s3.get_object_tagging(Bucket=bucket, Key="fake-key")
    assert caught.value.response["Error"]["Key"] == f"{bucket}/fake-key"
    for call in (s3.delete_object_tagging, s3.put_object_tagging):
        extra = {"Tagging": {"TagSet": []}} if call == s3.put_object_tagging else {}
        with pytest.raises(ClientError) as caught:
            call(Bucket=bucket, Key="fake-key", **extra)
        assert caught.value.response["Error"]["Key"] == "fake-key"
    with pytest.raises(ClientError) as caught:
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "AES256",
                            "KMSMasterKeyID": "key",
                        }
                    }
                ]
            },
        )
    error = caught.value.response["Error"]
    assert (error["Code"], error["ArgumentName"]) == ("InvalidArgument", "ApplyServerSideEncryptionByDefault")
    assert "ArgumentValue" not in error


def test_a_full_object_upload_completed_with_another_algorithm(s3, bucket):
    created = s3.create_multipart_upload(
        Bucket=bucket, Key="f", ChecksumAlgorithm="CRC32C", ChecksumType="FULL_OBJECT"
    )
    common = {"Bucket": bucket, "Key": "f", "UploadId": created["UploadId"]}
    part = s3.upload_part(PartNumber=1, Body=b"abc", ChecksumAlgorithm="CRC32C", **common)
    parts = {"Parts": [{"PartNumber": 1, "ETag": part["ETag"], "ChecksumCRC32C": part["ChecksumCRC32C"]}]}
    crc64 = base64.b64encode(bytes(8)).decode()
    code, status, message = error_of(
        s3.complete_multipart_upload, MultipartUpload=parts, ChecksumCRC64NVME=crc64, **common
    )
    assert (code, status, message) == (
        "BadDigest", 400, "The crc32c you specified did not match the calculated checksum.",
    )  # fmt: skip
    done = s3.complete_multipart_upload(MultipartUpload=parts, **common)
    assert done["ChecksumType"] == "FULL_OBJECT"


def test_a_tagging_document_without_a_tag_set_removes_the_tags(client, bucket):
    """`<Tagging/>` with no TagSet (what an SDK sends for a null TagSet): S3 takes it as an empty
    tag set, removing a bucket's or an object's tags (AWS recorded), though the model requires
    the TagSet."""
    from botocore.config import Config

    s3 = client("s3", config=Config(parameter_validation=False))
    bodies: list[bytes] = []
    s3.meta.events.register(
        "before-send.s3.PutBucketTagging", lambda request, **_: bodies.append(request.body)
    )
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "team", "Value": "a"}]})
    answer = s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": None})
    assert b"TagSet" not in bodies[-1]
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_of(s3.get_bucket_tagging, Bucket=bucket)[:2] == ("NoSuchTagSet", 404)

    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="team=a")
    assert (
        s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": None})["ResponseMetadata"][
            "HTTPStatusCode"
        ]
        == 200
    )
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []


def test_answers_name_the_server_as_s3_does(s3, bucket):
    """S3's answers, errors included, carry `Server: AmazonS3` (AWS recorded)."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    for answer in (
        s3.get_object(Bucket=bucket, Key="k"),
        s3.head_object(Bucket=bucket, Key="k"),
        s3.list_objects_v2(Bucket=bucket),
    ):
        assert answer["ResponseMetadata"]["HTTPHeaders"]["server"] == "AmazonS3"
    with pytest.raises(ClientError) as raised:
        s3.get_object(Bucket=bucket, Key="missing")
    assert raised.value.response["ResponseMetadata"]["HTTPHeaders"]["server"] == "AmazonS3"
