"""Object encryption: the request's own SSE settings are stored and answered on every read,
and a copy onto the object's own key is allowed when it changes the encryption."""

from __future__ import annotations

import pytest

from tests.integration.s3.conftest import error_of, unique

IN_PLACE = (
    "InvalidRequest",
    400,
    "This copy request is illegal because it is trying to copy an object to itself "
    "without changing the object's metadata, storage class, website redirect location or encryption "
    "attributes.",
)


@pytest.fixture(scope="module")
def kms_key(client):
    """A KMS key of this account: S3 resolves the key an object names through KMS."""
    return client("kms").create_key()["KeyMetadata"]


@pytest.fixture(scope="module")
def key_id(kms_key):
    return kms_key["KeyId"]


@pytest.fixture(scope="module")
def key_arn(kms_key):
    """The ARN S3 reports for the key: KMS key ids are answered as key ARNs."""
    return kms_key["Arn"]


def test_put_object_keeps_its_own_encryption(s3, bucket, key_id, key_arn):
    put = s3.put_object(
        Bucket=bucket,
        Key="kms",
        Body=b"v",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key_id,
        BucketKeyEnabled=True,
    )
    arn = key_arn
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"], put["BucketKeyEnabled"]) == (
        "aws:kms",
        arn,
        True,
    )
    for read in (s3.head_object(Bucket=bucket, Key="kms"), s3.get_object(Bucket=bucket, Key="kms")):
        assert (read["ServerSideEncryption"], read["SSEKMSKeyId"], read["BucketKeyEnabled"]) == (
            "aws:kms",
            arn,
            True,
        )
    # Without a key id: the AWS managed key aws/s3; a key ARN is kept as given.
    managed = s3.put_object(Bucket=bucket, Key="managed", Body=b"v", ServerSideEncryption="aws:kms")
    assert ":key/" in managed["SSEKMSKeyId"] and "BucketKeyEnabled" not in managed
    again = s3.put_object(Bucket=bucket, Key="managed-2", Body=b"v", ServerSideEncryption="aws:kms")
    assert again["SSEKMSKeyId"] == managed["SSEKMSKeyId"]  # the one managed key, by its id
    s3.put_object(Bucket=bucket, Key="by-arn", Body=b"v", ServerSideEncryption="aws:kms", SSEKMSKeyId=arn)
    assert s3.head_object(Bucket=bucket, Key="by-arn")["SSEKMSKeyId"] == arn
    # SSE-S3 asked for: no key id, no bucket key.
    aes = s3.put_object(
        Bucket=bucket, Key="aes", Body=b"v", ServerSideEncryption="AES256", BucketKeyEnabled=True
    )
    head = s3.head_object(Bucket=bucket, Key="aes")
    assert aes["ServerSideEncryption"] == head["ServerSideEncryption"] == "AES256"
    assert "SSEKMSKeyId" not in head and "BucketKeyEnabled" not in head


def test_put_object_encryption_with_the_cli(bucket, aws, key_id, key_arn):
    aws(
        "s3api",
        "put-object",
        "--bucket",
        bucket,
        "--key",
        "cli",
        "--server-side-encryption",
        "aws:kms",
        "--ssekms-key-id",
        key_id,
    )
    head = aws("s3api", "head-object", "--bucket", bucket, "--key", "cli")
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key_arn


def test_multipart_upload_keeps_its_own_encryption(s3, bucket, key_id, key_arn):
    created = s3.create_multipart_upload(
        Bucket=bucket, Key="mp", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id
    )
    assert created["ServerSideEncryption"] == "aws:kms"
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=created["UploadId"], PartNumber=1, Body=b"x")
    completed = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=created["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    # Under a KMS key the default checksum is kept but not answered at completion (recorded
    # against AWS); GetObject shows it.
    assert "ChecksumType" not in completed and "ChecksumCRC64NVME" not in completed
    got = s3.get_object(Bucket=bucket, Key="mp", ChecksumMode="ENABLED")
    assert got["ChecksumType"] == "FULL_OBJECT" and got["ChecksumCRC64NVME"]
    head = s3.head_object(Bucket=bucket, Key="mp")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", key_arn)


def test_copy_in_place_with_bucket_encryption_configured(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    assert (
        error_of(s3.copy_object, Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "k"})
        == IN_PLACE
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}
            ]
        },
    )
    copied = s3.copy_object(Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "k"})
    assert copied["ServerSideEncryption"] == "AES256"
    s3.delete_bucket_encryption(Bucket=bucket)  # back to the default: the copy changes nothing again
    assert (
        error_of(s3.copy_object, Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "k"})
        == IN_PLACE
    )


def test_copy_in_place_that_changes_the_encryption(s3, bucket, key_id):
    s3.put_object(
        Bucket=bucket,
        Key="k",
        Body=b"v",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key_id,
        BucketKeyEnabled=True,
    )
    # The same settings again are a change of nothing but still allowed, as they are asked for.
    again = s3.copy_object(
        Bucket=bucket, Key="k", CopySource=f"{bucket}/k", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id
    )
    assert again["ServerSideEncryption"] == "aws:kms" and "BucketKeyEnabled" not in again
    # No settings: the copy takes the bucket's SSE-S3, a change from aws:kms.
    plain = s3.copy_object(Bucket=bucket, Key="k", CopySource=f"{bucket}/k")
    assert plain["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in plain
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in head
    assert error_of(s3.copy_object, Bucket=bucket, Key="k", CopySource=f"{bucket}/k") == IN_PLACE
    # A copy elsewhere does not carry the source's encryption: the destination's default applies.
    s3.put_object(Bucket=bucket, Key="src", Body=b"v", ServerSideEncryption="aws:kms")
    other = unique("enc")
    s3.create_bucket(Bucket=other)
    copy = s3.copy_object(Bucket=other, Key="dst", CopySource=f"{bucket}/src")
    assert copy["ServerSideEncryption"] == "AES256"
    assert s3.head_object(Bucket=other, Key="dst")["ServerSideEncryption"] == "AES256"


def test_kms_key_that_does_not_exist_is_refused(s3, bucket, client):
    account = client("sts").get_caller_identity()["Account"]
    missing = "134f2428-cec1-4b25-a1ae-9048164dba47"
    missing_arn = f"arn:aws:kms:us-east-1:{account}:key/{missing}"
    write = {"Bucket": bucket, "Key": "k", "ServerSideEncryption": "aws:kms"}
    assert error_of(s3.put_object, Body=b"v", SSEKMSKeyId="fake-key-id", **write) == (
        "KMS.NotFoundException",
        400,
        "Invalid keyId 'fake-key-id'",
    )
    for given in (missing, missing_arn):
        assert error_of(s3.put_object, Body=b"v", SSEKMSKeyId=given, **write) == (
            "KMS.NotFoundException",
            400,
            f"Key '{missing_arn}' does not exist",
        )
    other_region = f"arn:aws:kms:us-west-2:{account}:key/{missing}"
    assert error_of(s3.put_object, Body=b"v", SSEKMSKeyId=other_region, **write)[:3] == (
        "KMS.NotFoundException",
        400,
        "Invalid arn us-west-2",
    )
    assert (
        error_of(s3.create_multipart_upload, SSEKMSKeyId="fake-key-id", **write)[0] == "KMS.NotFoundException"
    )
    s3.put_object(Bucket=bucket, Key="src", Body=b"v")
    assert (
        error_of(s3.copy_object, CopySource=f"{bucket}/src", SSEKMSKeyId="fake-key-id", **write)[0]
        == "KMS.NotFoundException"
    )
    assert error_of(s3.head_object, Bucket=bucket, Key="k")[1] == 404  # nothing was written


def test_kms_key_disabled_or_deleted_after_the_write(s3, bucket, client):
    kms = client("kms")
    key = kms.create_key()["KeyMetadata"]
    put = s3.put_object(
        Bucket=bucket, Key="k", Body=b"secret", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"]
    )
    assert put["SSEKMSKeyId"] == key["Arn"]
    kms.disable_key(KeyId=key["KeyId"])
    disabled = ("KMS.DisabledException", 400, f"{key['Arn']} is disabled.")
    assert error_of(s3.get_object, Bucket=bucket, Key="k") == disabled
    assert s3.head_object(Bucket=bucket, Key="k")["SSEKMSKeyId"] == key["Arn"]  # no decryption
    assert (
        error_of(
            s3.put_object,
            Bucket=bucket,
            Key="k2",
            Body=b"v",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=key["KeyId"],
        )
        == disabled
    )
    assert error_of(s3.copy_object, Bucket=bucket, Key="copy", CopySource=f"{bucket}/k") == disabled
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    assert (
        error_of(
            s3.upload_part_copy,
            Bucket=bucket,
            Key="mp",
            UploadId=upload,
            PartNumber=1,
            CopySource=f"{bucket}/k",
        )
        == disabled
    )
    kms.enable_key(KeyId=key["KeyId"])
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"secret"
    assert (
        s3.copy_object(Bucket=bucket, Key="copy", CopySource=f"{bucket}/k")["ServerSideEncryption"]
        == "AES256"
    )
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert error_of(s3.get_object, Bucket=bucket, Key="k") == (
        "KMS.KMSInvalidStateException",
        400,
        f"{key['Arn']} is pending deletion.",
    )


def test_bucket_default_kms_encryption_uses_the_aws_managed_key(s3, bucket, client):
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
        },
    )
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    managed = client("kms").describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert put["SSEKMSKeyId"] == managed["Arn"] and managed["KeyManager"] == "AWS"
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
