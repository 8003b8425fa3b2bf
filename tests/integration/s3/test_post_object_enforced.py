"""Form uploads under --enforce-iam: the policy's signer is the caller, authorized for
s3:PutObject like any PutObject, temporary credentials included."""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlsplit

import boto3

from tests.integration.s3.conftest import raw
from tests.integration.s3.test_post_object import error, form_body


def client(endpoint: str, service: str, key: str = "test", secret: str = "test", token: str | None = None):
    session = boto3.session.Session(
        aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token, region_name="us-east-1"
    )
    return session.client(service, endpoint_url=endpoint)


def post(endpoint: str, form: dict, content: bytes):
    body, content_type = form_body(form["fields"], content)
    return raw(endpoint, "POST", urlsplit(form["url"]).path, {"Content-Type": content_type}, body)


def test_the_signer_needs_put_object(enforced):
    endpoint = enforced.endpoint
    root_s3, iam = client(endpoint, "s3"), client(endpoint, "iam")
    bucket = f"enf-post-{uuid.uuid4().hex[:12]}"
    root_s3.create_bucket(Bucket=bucket)
    user = f"uploader-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    signer = client(endpoint, "s3", key["AccessKeyId"], key["SecretAccessKey"])

    status, _, body = post(endpoint, signer.generate_presigned_post(bucket, "up.txt"), b"denied")
    assert status == 403 and error(body)["Code"] == "AccessDenied"

    iam.put_user_policy(
        UserName=user,
        PolicyName="put",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
                ],
            }
        ),
    )
    status, _, _ = post(endpoint, signer.generate_presigned_post(bucket, "up.txt"), b"allowed")
    assert status == 204

    # Temporary credentials: the form carries the session token.
    session = client(endpoint, "sts", key["AccessKeyId"], key["SecretAccessKey"]).get_session_token()[
        "Credentials"
    ]
    temporary = client(
        endpoint, "s3", session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"]
    )
    form = temporary.generate_presigned_post(bucket, "session.txt")
    assert "x-amz-security-token" in form["fields"]
    status, _, body = post(endpoint, form, b"from a session")
    assert status == 204, body
    assert root_s3.get_object(Bucket=bucket, Key="session.txt")["Body"].read() == b"from a session"


def test_a_form_signed_with_a_key_no_one_issued_is_refused(enforced):
    endpoint = enforced.endpoint
    bucket = f"enf-post-{uuid.uuid4().hex[:12]}"
    client(endpoint, "s3").create_bucket(Bucket=bucket)
    for key, secret in (("AKIDNOONEISSUED", "x"), ("123456789012", "not-the-root-secret")):
        signer = client(endpoint, "s3", key, secret)
        status, _, body = post(endpoint, signer.generate_presigned_post(bucket, "up.txt"), b"x")
        assert status == 403 and error(body)["Code"] in ("InvalidAccessKeyId", "SignatureDoesNotMatch"), key
    root = client(endpoint, "s3", "123456789012", "test")
    status, _, body = post(endpoint, root.generate_presigned_post(bucket, "up.txt"), b"x")
    assert status == 403 and error(body)["Code"] == "AccessDenied"  # another account's bucket
