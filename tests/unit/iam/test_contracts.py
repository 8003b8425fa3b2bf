"""What other services rely on of IAM: the roles and SAML providers STS issues credentials
through (role, note_role_used, saml_provider), and the keys IAM and STS issue, which the
runtime resolves for every signed request (resolve_key, through runtime.resolve_key and
runtime.secret_for); and for STS, the account's outbound web identity federation
(outbound_federation) and global endpoint token version (global_endpoint_token_version); for
SNS, whether another account's queue lets it deliver (service_may_deliver)."""

from __future__ import annotations

import json

import pytest

from overcast.config import Config
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.runtime import Runtime

ACCOUNT = "123456789012"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}],
    }
)
SAML_METADATA = '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>'


@pytest.fixture
def iam(runtime):
    return runtime.provider("iam")


@pytest.fixture
def context():
    return RequestContext.internal("iam", ACCOUNT)


def test_role_is_the_record_by_name_in_its_account(iam, context):
    created = iam.create_role(context, {"RoleName": "Deployer", "AssumeRolePolicyDocument": TRUST})["Role"]
    role = iam.role(ACCOUNT, "Deployer")
    assert role is not None
    assert role["Arn"] == created["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/Deployer"
    assert role["RoleId"] == created["RoleId"]
    assert role["RoleName"] == "Deployer"
    assert json.loads(role["AssumeRolePolicyDocument"]) == json.loads(TRUST)
    assert role["MaxSessionDuration"] == 3600
    assert iam.role(ACCOUNT, "deployer") is not None  # IAM names are case-insensitive
    assert iam.role("210987654321", "Deployer") is None
    assert iam.role(ACCOUNT, "Nobody") is None


def test_note_role_used_is_what_get_role_reports(iam, context):
    iam.create_role(context, {"RoleName": "Used", "AssumeRolePolicyDocument": TRUST})
    assert iam.get_role(context, {"RoleName": "Used"})["Role"]["RoleLastUsed"] == {}
    iam.note_role_used(ACCOUNT, "Used", "eu-west-1")
    last_used = iam.get_role(context, {"RoleName": "Used"})["Role"]["RoleLastUsed"]
    assert last_used["Region"] == "eu-west-1"
    assert last_used["LastUsedDate"] is not None
    iam.note_role_used(ACCOUNT, "Gone", "eu-west-1")  # no such role: nothing to note
    assert iam.role(ACCOUNT, "Gone") is None


def test_saml_provider_by_arn(iam, context):
    arn = iam.create_saml_provider(context, {"Name": "corp", "SAMLMetadataDocument": SAML_METADATA})[
        "SAMLProviderArn"
    ]
    record = iam.saml_provider(ACCOUNT, arn)
    assert record is not None
    assert record["SAMLMetadataDocument"] == SAML_METADATA
    assert iam.saml_provider("210987654321", arn) is None
    assert iam.saml_provider(ACCOUNT, arn + "-other") is None


def test_issued_keys_resolve_to_their_principal_and_secret(runtime, iam, context):
    iam.create_user(context, {"UserName": "alice"})
    key = iam.create_access_key(context, {"UserName": "alice"})["AccessKey"]
    record = runtime.resolve_key(key["AccessKeyId"])
    assert record is not None
    assert record["Account"] == ACCOUNT
    assert record["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert runtime.secret_for(key["AccessKeyId"]) == key["SecretAccessKey"]
    assert runtime.resolve_key("AKIAIOSFODNN7EXAMPLE") is None
    assert runtime.secret_for("AKIAIOSFODNN7EXAMPLE") is None
    assert runtime.secret_for("test") == "test"


def test_a_deleted_key_no_longer_resolves(runtime, iam, context):
    iam.create_user(context, {"UserName": "bob"})
    key = iam.create_access_key(context, {"UserName": "bob"})["AccessKey"]
    assert runtime.resolve_key(key["AccessKeyId"]) is not None
    iam.delete_access_key(context, {"UserName": "bob", "AccessKeyId": key["AccessKeyId"]})
    assert runtime.resolve_key(key["AccessKeyId"]) is None


def test_authorize_refuses_only_under_enforcement(iam):
    anonymous = RequestContext.internal("s3", ACCOUNT)
    anonymous.extra.pop("internal", None)
    anonymous.access_key_id = None
    target = [("s3:DeleteObject", "arn:aws:s3:::no-such-bucket/key")]
    iam.authorize(anonymous, {}, target)  # without --enforce-iam nothing is refused

    enforcing = Runtime(Config(data_dir=None, enforce_iam=True))
    try:
        with pytest.raises(ServiceError) as refused:
            enforcing.provider("iam").authorize(anonymous, {}, target)
        assert refused.value.code == "AccessDenied"
    finally:
        enforcing.close()


def test_service_may_deliver_reads_the_targets_policy_only_under_enforcement(iam):
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:news"
    other = "210987654321"
    assert iam.service_may_deliver(
        "sns.amazonaws.com", "sqs:SendMessage", "arn:aws:sqs:us-east-1:x:q", topic, ACCOUNT
    )

    enforcing = Runtime(Config(data_dir=None, enforce_iam=True))
    try:
        sqs = enforcing.provider("sqs")
        url = sqs.create_queue(RequestContext.internal("sqs", other, "us-east-1"), {"QueueName": "inbox"})[
            "QueueUrl"
        ]
        queue = f"arn:aws:sqs:us-east-1:{other}:inbox"
        deliverable = enforcing.provider("iam").service_may_deliver
        assert not deliverable("sns.amazonaws.com", "sqs:SendMessage", queue, topic, ACCOUNT)
        statement = {
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue,
            "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
        }
        sqs.set_queue_attributes(
            RequestContext.internal("sqs", other, "us-east-1"),
            {
                "QueueUrl": url,
                "Attributes": {"Policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})},
            },
        )
        assert deliverable("sns.amazonaws.com", "sqs:SendMessage", queue, topic, ACCOUNT)
        assert not deliverable("sns.amazonaws.com", "sqs:SendMessage", queue, topic + "-other", ACCOUNT)
        assert not deliverable("events.amazonaws.com", "sqs:SendMessage", queue, topic, ACCOUNT)
    finally:
        enforcing.close()


def test_outbound_federation_is_what_iam_enabled(iam, context):
    assert iam.outbound_federation(ACCOUNT) is None
    issuer = iam.enable_outbound_web_identity_federation(context, {})["IssuerIdentifier"]
    assert iam.outbound_federation(ACCOUNT) == {"IssuerIdentifier": issuer}
    assert iam.outbound_federation("210987654321") is None
    iam.disable_outbound_web_identity_federation(context, {})
    assert iam.outbound_federation(ACCOUNT) is None


def test_global_endpoint_token_version_follows_the_preference(iam, context):
    assert iam.global_endpoint_token_version(ACCOUNT) == 1
    iam.set_security_token_service_preferences(context, {"GlobalEndpointTokenVersion": "v2Token"})
    assert iam.global_endpoint_token_version(ACCOUNT) == 2
    assert iam.global_endpoint_token_version("210987654321") == 1
