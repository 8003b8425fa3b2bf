"""STS: the guide's assume-role flow, trust policies decided by the engine, MFA, external ids,
durations, session tokens, federation, web identity and SAML."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.integration.iam.conftest import now_step, totp, trust, unique


def code(error) -> str:
    return error.value.response["Error"]["Code"]


def message(error) -> str:
    return error.value.response["Error"]["Message"]


def test_guide_assume_role_with_the_cli(aws):
    account = {"AWS_ACCESS_KEY_ID": "123456789012"}
    aws(
        "iam",
        "create-role",
        "--role-name",
        "DeployRole",
        "--assume-role-policy-document",
        trust({"AWS": "arn:aws:iam::123456789012:root"}),
        env=account,
    )
    # As in the guide: assume the role, export the credentials, ask who we are.
    out = aws(
        "sts",
        "assume-role",
        "--role-arn",
        "arn:aws:iam::123456789012:role/DeployRole",
        "--role-session-name",
        "deploy-session",
        env=account,
    )
    credentials = out["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA") and credentials["SessionToken"]
    assert out["AssumedRoleUser"]["Arn"] == "arn:aws:sts::123456789012:assumed-role/DeployRole/deploy-session"
    identity = aws(
        "sts",
        "get-caller-identity",
        env={
            "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
            "AWS_SESSION_TOKEN": credentials["SessionToken"],
        },
    )
    assert identity["Arn"] == "arn:aws:sts::123456789012:assumed-role/DeployRole/deploy-session"
    assert identity["Account"] == "123456789012"
    assert identity["UserId"] == f"{out['AssumedRoleUser']['AssumedRoleId']}"
    assert identity["UserId"].startswith("AROA") and identity["UserId"].endswith(":deploy-session")
    role = aws("iam", "get-role", "--role-name", "DeployRole", env=account)["Role"]
    assert role["RoleLastUsed"]["Region"] == "us-east-1"


def test_role_must_exist(signed):
    with pytest.raises(ClientError) as error:
        signed("sts", "123456789012").assume_role(
            RoleArn="arn:aws:iam::123456789012:role/Nope", RoleSessionName="s1"
        )
    assert code(error) == "AccessDenied"
    assert message(error) == (
        "User: arn:aws:iam::123456789012:root is not authorized to perform: sts:AssumeRole "
        "on resource: arn:aws:iam::123456789012:role/Nope"
    )
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_trust_policy_decides(signed):
    iam = signed("iam", "123456789012")
    name = unique("svc-role")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    with pytest.raises(ClientError) as error:
        signed("sts", "123456789012").assume_role(
            RoleArn=f"arn:aws:iam::123456789012:role/{name}", RoleSessionName="s1"
        )
    assert code(error) == "AccessDenied"
    other = unique("other-role")
    iam.create_role(RoleName=other, AssumeRolePolicyDocument=trust({"AWS": "arn:aws:iam::210987654321:root"}))
    with pytest.raises(ClientError):
        signed("sts", "123456789012").assume_role(
            RoleArn=f"arn:aws:iam::123456789012:role/{other}", RoleSessionName="s1"
        )
    assumed = signed("sts", "210987654321").assume_role(
        RoleArn=f"arn:aws:iam::123456789012:role/{other}", RoleSessionName="xx"
    )
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::123456789012:assumed-role/{other}/xx"


def test_external_id(signed):
    iam = signed("iam", "123456789012")
    name = unique("ext")
    iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=trust(
            {"AWS": "999988887777"}, Condition={"StringEquals": {"sts:ExternalId": "secret-id"}}
        ),
    )
    sts = signed("sts", "999988887777")
    arn = f"arn:aws:iam::123456789012:role/{name}"
    with pytest.raises(ClientError):
        sts.assume_role(RoleArn=arn, RoleSessionName="s1")
    with pytest.raises(ClientError):
        sts.assume_role(RoleArn=arn, RoleSessionName="s1", ExternalId="wrong-id")
    assert sts.assume_role(RoleArn=arn, RoleSessionName="s1", ExternalId="secret-id")["Credentials"]


def test_durations(signed):
    iam = signed("iam", "123456789012")
    name = unique("dur")
    iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=trust({"AWS": "123456789012"}), MaxSessionDuration=7200
    )
    sts = signed("sts", "123456789012")
    arn = f"arn:aws:iam::123456789012:role/{name}"
    before = datetime.now(UTC)
    credentials = sts.assume_role(RoleArn=arn, RoleSessionName="s1", DurationSeconds=7200)["Credentials"]
    assert timedelta(seconds=7190) < credentials["Expiration"] - before < timedelta(seconds=7210)
    with pytest.raises(ClientError) as error:
        sts.assume_role(RoleArn=arn, RoleSessionName="s1", DurationSeconds=7201)
    assert code(error) == "ValidationError"
    assert message(error) == "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    chained = signed(
        "sts", credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
    )
    with pytest.raises(ClientError) as error:
        chained.assume_role(RoleArn=arn, RoleSessionName="again", DurationSeconds=7200)
    assert "role chaining" in message(error)
    assert chained.assume_role(RoleArn=arn, RoleSessionName="again")["AssumedRoleUser"]["Arn"].endswith(
        f"{name}/again"
    )


def test_session_name_is_validated(signed):
    iam = signed("iam", "123456789012")
    name = unique("sn")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust({"AWS": "123456789012"}))
    with pytest.raises(ClientError) as error:
        signed("sts", "123456789012").assume_role(
            RoleArn=f"arn:aws:iam::123456789012:role/{name}", RoleSessionName="bad name"
        )
    assert code(error) == "ValidationError"


def test_session_tags_need_tag_session(signed):
    iam = signed("iam", "123456789012")
    plain, tagging = unique("tags"), unique("tags-ok")
    iam.create_role(RoleName=plain, AssumeRolePolicyDocument=trust({"AWS": "123456789012"}))
    iam.create_role(
        RoleName=tagging,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "123456789012"},
                        "Action": ["sts:AssumeRole", "sts:TagSession"],
                        "Condition": {"StringEquals": {"aws:RequestTag/project": "blue"}},
                    }
                ],
            }
        ),
    )
    sts = signed("sts", "123456789012")
    with pytest.raises(ClientError):
        sts.assume_role(
            RoleArn=f"arn:aws:iam::123456789012:role/{plain}",
            RoleSessionName="s1",
            Tags=[{"Key": "project", "Value": "blue"}],
        )
    with pytest.raises(ClientError):
        sts.assume_role(
            RoleArn=f"arn:aws:iam::123456789012:role/{tagging}",
            RoleSessionName="s1",
            Tags=[{"Key": "project", "Value": "red"}],
        )
    out = sts.assume_role(
        RoleArn=f"arn:aws:iam::123456789012:role/{tagging}",
        RoleSessionName="s1",
        Tags=[{"Key": "project", "Value": "blue"}],
    )
    assert out["PackedPolicySize"] >= 0


def test_guide_cross_account_trust_with_mfa(signed):
    """The guide's cross-account trust: account 987654321098 may assume the role only with MFA."""
    trusting = signed("iam", "123456789012")
    name = unique("xacct")
    trusting.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::987654321098:root"},
                        "Action": "sts:AssumeRole",
                        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                    }
                ],
            }
        ),
    )
    role_arn = f"arn:aws:iam::123456789012:role/{name}"
    home = signed("iam", "987654321098")
    user = unique("dev")
    home.create_user(UserName=user)
    key = home.create_access_key(UserName=user)["AccessKey"]
    device = home.create_virtual_mfa_device(VirtualMFADeviceName=unique("phone"))["VirtualMFADevice"]
    step = now_step()
    home.enable_mfa_device(
        UserName=user,
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1=totp(device["Base32StringSeed"], step - 1),
        AuthenticationCode2=totp(device["Base32StringSeed"], step),
    )
    sts = signed("sts", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError) as error:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="no-mfa")
    assert code(error) == "AccessDenied"
    assert message(error).startswith(f"User: arn:aws:iam::987654321098:user/{user} is not authorized")
    with pytest.raises(ClientError) as error:
        sts.assume_role(
            RoleArn=role_arn,
            RoleSessionName="bad-code",
            SerialNumber=device["SerialNumber"],
            TokenCode="000000",
        )
    assert code(error) == "AccessDenied"
    out = sts.assume_role(
        RoleArn=role_arn,
        RoleSessionName="with-mfa",
        SerialNumber=device["SerialNumber"],
        TokenCode=totp(device["Base32StringSeed"], step + 1),
    )
    credentials = out["Credentials"]
    identity = signed(
        "sts", credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
    ).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::123456789012:assumed-role/{name}/with-mfa"
    # A one-time code is good once.
    with pytest.raises(ClientError):
        sts.assume_role(
            RoleArn=role_arn,
            RoleSessionName="replay",
            SerialNumber=device["SerialNumber"],
            TokenCode=totp(device["Base32StringSeed"], step + 1),
        )


def test_get_session_token_and_federation_token(signed, client):
    iam = client("iam")
    user = unique("st")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    sts = signed("sts", key["AccessKeyId"], key["SecretAccessKey"])
    credentials = sts.get_session_token(DurationSeconds=900)["Credentials"]
    as_session = signed(
        "sts", credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
    )
    assert as_session.get_caller_identity()["Arn"] == f"arn:aws:iam::000000000000:user/{user}"
    with pytest.raises(ClientError) as error:
        as_session.get_session_token()
    assert code(error) == "AccessDenied"
    federated = sts.get_federation_token(Name="visitor")
    assert federated["FederatedUser"]["Arn"] == "arn:aws:sts::000000000000:federated-user/visitor"
    fc = federated["Credentials"]
    assert (
        signed("sts", fc["AccessKeyId"], fc["SecretAccessKey"], fc["SessionToken"]).get_caller_identity()[
            "Arn"
        ]
        == "arn:aws:sts::000000000000:federated-user/visitor"
    )


def _jwt(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'kid': 'k'})}.{part(claims)}.c2lnbmF0dXJl"


def test_assume_role_with_web_identity(signed, client):
    iam = client("iam")
    host = f"{unique('oidc')}.example.com"
    provider = iam.create_open_id_connect_provider(
        Url=f"https://{host}", ClientIDList=["my-app"], ThumbprintList=["f" * 40]
    )["OpenIDConnectProviderArn"]
    name = unique("web")
    iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Federated": provider},
                        "Action": "sts:AssumeRoleWithWebIdentity",
                        "Condition": {"StringEquals": {f"{host}:sub": "user-1"}},
                    }
                ],
            }
        ),
    )
    unsigned = signed("sts")
    arn = f"arn:aws:iam::000000000000:role/{name}"
    claims = {"iss": f"https://{host}", "aud": "my-app", "sub": "user-1", "exp": int(time.time()) + 600}
    out = unsigned.assume_role_with_web_identity(
        RoleArn=arn, RoleSessionName="web", WebIdentityToken=_jwt(claims)
    )
    assert out["SubjectFromWebIdentityToken"] == "user-1" and out["Audience"] == "my-app"
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::000000000000:assumed-role/{name}/web"
    with pytest.raises(ClientError) as error:
        unsigned.assume_role_with_web_identity(
            RoleArn=arn, RoleSessionName="web", WebIdentityToken=_jwt({**claims, "sub": "user-2"})
        )
    assert code(error) == "AccessDenied"
    with pytest.raises(ClientError) as error:
        unsigned.assume_role_with_web_identity(
            RoleArn=arn, RoleSessionName="web", WebIdentityToken=_jwt({**claims, "aud": "other"})
        )
    assert code(error) == "InvalidIdentityToken"
    with pytest.raises(ClientError) as error:
        unsigned.assume_role_with_web_identity(
            RoleArn=arn,
            RoleSessionName="web",
            WebIdentityToken=_jwt({**claims, "exp": int(time.time()) - 10}),
        )
    assert code(error) == "ExpiredTokenException"
    with pytest.raises(ClientError) as error:
        unsigned.assume_role_with_web_identity(RoleArn=arn, RoleSessionName="web", WebIdentityToken="x" * 20)
    assert code(error) == "InvalidIdentityToken"


def test_assume_role_with_saml(signed, client):
    from tests.integration.iam.test_account import SAML_METADATA

    iam = client("iam")
    provider = iam.create_saml_provider(Name=unique("corp"), SAMLMetadataDocument=SAML_METADATA)[
        "SAMLProviderArn"
    ]
    name = unique("saml")
    iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Federated": provider},
                        "Action": "sts:AssumeRoleWithSAML",
                        "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
                    }
                ],
            }
        ),
    )
    role_arn = f"arn:aws:iam::000000000000:role/{name}"
    expires = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assertion = f"""<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">
<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">
<saml:Issuer>https://idp.example.com/saml</saml:Issuer>
<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">jdoe</saml:NameID></saml:Subject>
<saml:Conditions NotOnOrAfter="{expires}"><saml:AudienceRestriction>
<saml:Audience>https://signin.aws.amazon.com/saml</saml:Audience></saml:AudienceRestriction></saml:Conditions>
<saml:AttributeStatement>
<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role"><saml:AttributeValue>{role_arn},{provider}</saml:AttributeValue></saml:Attribute>
<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>jdoe@example.com</saml:AttributeValue></saml:Attribute>
</saml:AttributeStatement></saml:Assertion></samlp:Response>"""
    out = signed("sts").assume_role_with_saml(
        RoleArn=role_arn, PrincipalArn=provider, SAMLAssertion=base64.b64encode(assertion.encode()).decode()
    )
    assert out["Subject"] == "jdoe" and out["SubjectType"] == "persistent"
    assert out["Issuer"] == "https://idp.example.com/saml"
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::000000000000:assumed-role/{name}/jdoe@example.com"


def test_get_access_key_info_decodes_the_account(signed):
    # An AWS documentation example key: its account is encoded in the id.
    assert signed("sts").get_access_key_info(AccessKeyId="ASIAQNZGKIQY56JQ7WML")["Account"] == "029608264753"


def test_decode_authorization_message(signed):
    from overcast.services.sts.provider import Provider

    details = {"allowed": False, "context": {"action": "ec2:RunInstances"}}
    encoded = Provider.encode_authorization_message(details)
    decoded = signed("sts").decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"]
    assert json.loads(decoded) == details
    with pytest.raises(ClientError) as error:
        signed("sts").decode_authorization_message(EncodedMessage="not-a-message")
    assert code(error) == "InvalidAuthorizationMessageException"


def test_session_policy_is_validated(signed):
    iam = signed("iam", "123456789012")
    name = unique("sp")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust({"AWS": "123456789012"}))
    sts = signed("sts", "123456789012")
    arn = f"arn:aws:iam::123456789012:role/{name}"
    with pytest.raises(ClientError) as error:
        sts.assume_role(RoleArn=arn, RoleSessionName="s1", Policy='{"Version": "2012-10-17", "Statement": []')
    assert code(error) == "MalformedPolicyDocument" and message(error) == "Syntax errors in policy."
    big = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": [f"s3:Get{i:04d}" for i in range(200)], "Resource": "*"}
            ],
        }
    )
    with pytest.raises(ClientError) as error:
        sts.assume_role(RoleArn=arn, RoleSessionName="s1", Policy=big)
    assert code(error) == "PackedPolicyTooLarge"
    out = sts.assume_role(
        RoleArn=arn,
        RoleSessionName="s1",
        Policy=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        ),
    )
    assert 0 < out["PackedPolicySize"] < 100
