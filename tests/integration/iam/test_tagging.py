"""Tag/Untag/List…Tags behave alike for every taggable IAM resource."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.integration.iam.conftest import trust, unique
from tests.integration.iam.test_account import SAML_METADATA


def _make(iam, kind: str) -> tuple[str, str]:
    """Create one resource of a kind → (request member, its name or ARN)."""
    name = unique("tg")
    if kind == "user":
        iam.create_user(UserName=name)
        return "UserName", name
    if kind == "role":
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust({"AWS": "000000000000"}))
        return "RoleName", name
    if kind == "policy":
        document = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
        return "PolicyArn", iam.create_policy(PolicyName=name, PolicyDocument=document)["Policy"]["Arn"]
    if kind == "instance_profile":
        iam.create_instance_profile(InstanceProfileName=name)
        return "InstanceProfileName", name
    if kind == "open_id_connect_provider":
        return "OpenIDConnectProviderArn", iam.create_open_id_connect_provider(
            Url=f"https://{name}.example.com", ThumbprintList=["a" * 40]
        )["OpenIDConnectProviderArn"]
    if kind == "saml_provider":
        return "SAMLProviderArn", iam.create_saml_provider(Name=name, SAMLMetadataDocument=SAML_METADATA)[
            "SAMLProviderArn"
        ]
    return "SerialNumber", iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"][
        "SerialNumber"
    ]


@pytest.mark.parametrize(
    "kind",
    ["user", "role", "policy", "instance_profile", "open_id_connect_provider", "saml_provider", "mfa_device"],
)
def test_tag_untag_and_list(client, kind):
    iam = client("iam")
    member, value = _make(iam, kind)
    tag, untag, listing = (
        getattr(iam, f"tag_{kind}"),
        getattr(iam, f"untag_{kind}"),
        getattr(iam, f"list_{kind}_tags"),
    )
    tag(**{member: value}, Tags=[{"Key": "team", "Value": "blue"}, {"Key": "env", "Value": "dev"}])
    tag(**{member: value}, Tags=[{"Key": "team", "Value": "red"}])
    assert listing(**{member: value})["Tags"] == [
        {"Key": "team", "Value": "red"},
        {"Key": "env", "Value": "dev"},
    ]
    page = listing(**{member: value}, MaxItems=1)
    assert page["IsTruncated"] and page["Tags"] == [{"Key": "team", "Value": "red"}]
    untag(**{member: value}, TagKeys=["team"])
    assert listing(**{member: value})["Tags"] == [{"Key": "env", "Value": "dev"}]
    with pytest.raises(ClientError) as error:
        tag(**{member: value}, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert error.value.response["Error"]["Code"] == "LimitExceeded"


def test_tags_of_missing_resources_and_aws_managed_policies(client):
    iam = client("iam")
    with pytest.raises(ClientError) as error:
        iam.tag_user(UserName=unique("nobody"), Tags=[{"Key": "k", "Value": "v"}])
    assert error.value.response["Error"]["Code"] == "NoSuchEntity"
    assert iam.list_policy_tags(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")["Tags"] == []
