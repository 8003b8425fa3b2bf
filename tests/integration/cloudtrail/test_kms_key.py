"""A trail's KmsKeyId is resolved through KMS (a key that does not exist or cannot be used is
refused), and the trail's log files are written to S3 with SSE-KMS under it."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.integration.cloudtrail.policies import trail_bucket
from tests.integration.cloudtrail.test_delivery import LOG_KEY, clients, keys, records, wait_for


@pytest.fixture(scope="module")
def fast_server():
    server = Server("--ephemeral", "--quiet", env={"OVERCAST_CLOUDTRAIL_DELIVERY_SECONDS": "1"})
    yield server
    server.stop()


def _kms(server: Server):
    import boto3

    session = boto3.session.Session(
        aws_access_key_id="123456789012", aws_secret_access_key="test", region_name="us-east-1"
    )
    return session.client("kms", endpoint_url=server.endpoint)


def _code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"]


def test_kms_key_is_checked_and_encrypts_the_log_files(fast_server):
    s3, ct, sts = clients(fast_server.endpoint)
    kms = _kms(fast_server)
    bucket = f"trail-kms-{uuid.uuid4().hex[:8]}"
    trail_bucket(s3, bucket)
    missing = "arn:aws:kms:us-east-1:123456789012:key/134f2428-cec1-4b25-a1ae-9048164dba47"
    assert _code(ct.create_trail, Name="kms-missing", S3BucketName=bucket, KmsKeyId=missing) == (
        "KmsKeyNotFoundException"
    )
    disabled = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=disabled)
    assert (
        _code(ct.create_trail, Name="kms-disabled", S3BucketName=bucket, KmsKeyId=disabled) == "KmsException"
    )

    key = kms.create_key()["KeyMetadata"]
    trail = ct.create_trail(Name="kms-trail", S3BucketName=bucket, S3KeyPrefix="audit", KmsKeyId=key["KeyId"])
    assert trail["KmsKeyId"] == key["Arn"]
    ct.start_logging(Name="kms-trail")
    sts.get_caller_identity()
    log_key = wait_for(lambda: keys(s3, bucket, LOG_KEY))[0]
    head = s3.head_object(Bucket=bucket, Key=log_key)
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", key["Arn"])
    assert records(s3, bucket, log_key)
    assert _code(ct.update_trail, Name="kms-trail", KmsKeyId=missing) == "KmsKeyNotFoundException"
