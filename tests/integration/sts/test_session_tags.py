"""AssumeRole's checks of session tags, in AWS's words: keys are case-insensitive, transitive
keys must be among the tags, a chained session cannot override an inherited transitive tag;
and the session name is checked before the role ARN."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": ["sts:AssumeRole", "sts:TagSession"]}
        ],
    }
)


def client(endpoint, service, key=ACCOUNT, secret="test", token=None, **config):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=Config(**config) if config else None,
    )


def refusal(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


@pytest.fixture
def roles(endpoint):
    iam = client(endpoint, "iam")
    names = [f"tags-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    return [iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"] for name in names]


def test_session_tag_rules(endpoint, roles):
    sts = client(endpoint, "sts")
    first, second = roles
    tag = {"Key": "SessionTag1", "Value": "v1"}
    assert refusal(
        sts.assume_role, RoleArn=first, RoleSessionName="bad-keys", Tags=[tag], TransitiveTagKeys=["Other"]
    ) == (
        "InvalidParameterValue",
        "The specified transitive tag key must be included in the requested tags.",
    )
    sts.assume_role(RoleArn=first, RoleSessionName="case", Tags=[tag], TransitiveTagKeys=["sessiontag1"])
    twice = [tag, {"Key": "sessiontag1", "Value": "v2"}]
    assert refusal(sts.assume_role, RoleArn=first, RoleSessionName="dup", Tags=twice) == (
        "InvalidParameterValue",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    )

    keys = sts.assume_role(
        RoleArn=first, RoleSessionName="one", Tags=[tag], TransitiveTagKeys=["SessionTag1"]
    )["Credentials"]
    chained = client(endpoint, "sts", keys["AccessKeyId"], keys["SecretAccessKey"], keys["SessionToken"])
    for key in ("SessionTag1", "sessiontag1"):
        assert refusal(
            chained.assume_role, RoleArn=second, RoleSessionName="two", Tags=[{"Key": key, "Value": "v2"}]
        ) == (
            "InvalidParameterValue",
            "One of the specified transitive tag keys can't be set because it conflicts with a transitive "
            "tag key from the calling session.",
        )
    chained.assume_role(RoleArn=second, RoleSessionName="two", Tags=[{"Key": "Other", "Value": "v"}])


def test_session_name_is_checked_before_the_role_arn(endpoint):
    sts = client(endpoint, "sts", parameter_validation=False)
    code, message = refusal(
        sts.assume_role, RoleArn="arn:a:b:::something/test-role", RoleSessionName="Session1:2"
    )
    assert code == "ValidationError"
    assert message == (
        "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]*"
    )
