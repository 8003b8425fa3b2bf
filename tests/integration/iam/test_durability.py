"""Keys IAM and STS issue keep working across a restart, even after kill -9."""

from __future__ import annotations

import boto3

from tests.conftest import Server
from tests.integration.iam.conftest import trust


def _client(server, service, key="test", secret="test", token=None):
    return boto3.session.Session(
        aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token, region_name="us-east-1"
    ).client(service, endpoint_url=server.endpoint)


def test_issued_credentials_survive_kill_9(tmp_path):
    first = Server("--data-dir", str(tmp_path), "--quiet")
    try:
        iam = _client(first, "iam")
        iam.create_user(UserName="durable")
        key = iam.create_access_key(UserName="durable")["AccessKey"]
        iam.create_role(RoleName="durable-role", AssumeRolePolicyDocument=trust({"AWS": "000000000000"}))
        session = _client(first, "sts").assume_role(
            RoleArn="arn:aws:iam::000000000000:role/durable-role", RoleSessionName="kept"
        )["Credentials"]
    finally:
        first.stop(kill=True)
    second = Server("--data-dir", str(tmp_path), "--quiet", "--enforce-iam")
    try:
        as_user = _client(second, "sts", key["AccessKeyId"], key["SecretAccessKey"])
        assert as_user.get_caller_identity()["Arn"] == "arn:aws:iam::000000000000:user/durable"
        as_role = _client(
            second, "sts", session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"]
        )
        assert (
            as_role.get_caller_identity()["Arn"] == "arn:aws:sts::000000000000:assumed-role/durable-role/kept"
        )
    finally:
        second.stop()
