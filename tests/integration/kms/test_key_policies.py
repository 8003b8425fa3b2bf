"""Key policies under --enforce-iam: a key whose policy delegates to the account lets IAM
policies decide; a key whose policy names only other principals refuses a user that only IAM
allows, whatever that user's IAM policies say."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

ACCOUNT = "000000000000"


@pytest.fixture(scope="module")
def root(enforced):
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    return lambda service: session.client(service, endpoint_url=enforced.endpoint)


@pytest.fixture(scope="module")
def user_kms(root, enforced):
    iam = root("iam")
    iam.create_user(UserName="kms-user")
    allow_all_kms = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}],
    }
    iam.put_user_policy(UserName="kms-user", PolicyName="kms", PolicyDocument=json.dumps(allow_all_kms))
    key = iam.create_access_key(UserName="kms-user")["AccessKey"]
    return boto3.client(
        "kms", endpoint_url=enforced.endpoint, region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
    )  # fmt: skip


def test_default_policy_delegates_to_iam(root, user_kms):
    key = root("kms").create_key()["KeyMetadata"]["KeyId"]
    blob = user_kms.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    assert user_kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


def test_policy_without_delegation_refuses_iam_only_access(root, user_kms):
    admin_only = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/admin"},
                       "Action": "kms:*", "Resource": "*"}],
    }  # fmt: skip
    kms = root("kms")
    key = kms.create_key(Policy=json.dumps(admin_only), BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]
    with pytest.raises(ClientError) as error:
        user_kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"
    assert error.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{ACCOUNT}:user/kms-user is not authorized to perform: kms:Encrypt on resource: "
        f"{key['Arn']} because no resource-based policy allows the kms:Encrypt action"
    )
    # A grant to the user stands in for the key policy.
    kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:user/kms-user",
                     Operations=["Encrypt"])  # fmt: skip
    assert user_kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    with pytest.raises(ClientError) as error:
        user_kms.describe_key(KeyId=key["KeyId"])
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"


def test_policy_naming_the_user_allows_it(root, user_kms):
    names_user = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/kms-user"},
                       "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"}],
    }  # fmt: skip
    key = root("kms").create_key(Policy=json.dumps(names_user))["KeyMetadata"]["KeyId"]
    blob = user_kms.encrypt(KeyId=key, Plaintext=b"y")["CiphertextBlob"]
    assert user_kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"y"
