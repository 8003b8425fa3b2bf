"""STS's newer operations: scoped-down credentials for real (and enforced), and the answers AWS
gives an account without an organization, delegation requests, outbound federation or
workload identity providers."""

from __future__ import annotations

import base64
import json
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ACCOUNT = "123456789012"


def make_client(endpoint: str, service: str, key: str, secret: str = "test", token: str | None = None):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
    )


def with_credentials(endpoint: str, service: str, credentials: dict):
    return make_client(
        endpoint,
        service,
        credentials["AccessKeyId"],
        credentials["SecretAccessKey"],
        credentials["SessionToken"],
    )


def error_of(call, *args, **kwargs) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def allow(*actions: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}],
        }
    )


@pytest.fixture
def role_session(endpoint):
    iam = make_client(endpoint, "iam", ACCOUNT)
    name = f"scoped-{uuid.uuid4().hex[:8]}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    assumed = make_client(endpoint, "sts", ACCOUNT).assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{name}", RoleSessionName="worker", DurationSeconds=1800
    )
    return assumed


def test_scoped_credentials_keep_the_callers_identity(endpoint, role_session):
    sts = with_credentials(endpoint, "sts", role_session["Credentials"])
    scoped = sts.get_scoped_credentials(
        Policy=allow("sqs:ListQueues"), DurationSeconds=600, ScopedSessionDescription="read queues"
    )
    session_arn = role_session["AssumedRoleUser"]["Arn"]
    assert scoped["SessionInfo"]["Arn"] == session_arn
    assert scoped["SessionInfo"]["ScopedSessionId"].startswith(
        role_session["AssumedRoleUser"]["AssumedRoleId"]
    )
    assert scoped["ScopedPoliciesCount"] == 1
    assert scoped["Credentials"]["Expiration"] <= role_session["Credentials"]["Expiration"]
    assert (
        with_credentials(endpoint, "sts", scoped["Credentials"]).get_caller_identity()["Arn"] == session_arn
    )

    assert error_of(sts.get_scoped_credentials, DurationSeconds=7200) == ("InsufficientSessionLifetime", 400)
    assert error_of(sts.get_scoped_credentials, Policy="{not json") == ("MalformedPolicyDocument", 400)
    long_term = make_client(endpoint, "sts", ACCOUNT)
    assert error_of(long_term.get_scoped_credentials) == ("InvalidSubjectCredentials", 400)


def test_scoped_credentials_are_bounded_by_their_policy(enforced):
    root_iam = make_client(enforced.endpoint, "iam", "test")
    name = f"scoper-{uuid.uuid4().hex[:8]}"
    root_iam.create_user(UserName=name)
    root_iam.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=allow("sqs:*", "sts:*"))
    key = root_iam.create_access_key(UserName=name)["AccessKey"]
    user_sts = make_client(enforced.endpoint, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    session = user_sts.get_session_token(DurationSeconds=900)["Credentials"]
    scoped = with_credentials(enforced.endpoint, "sts", session).get_scoped_credentials(
        Policy=allow("sqs:ListQueues")
    )["Credentials"]
    sqs = with_credentials(enforced.endpoint, "sqs", scoped)
    sqs.list_queues()
    assert error_of(sqs.create_queue, QueueName=f"q-{uuid.uuid4().hex[:8]}")[0] == "AccessDenied"
    with_credentials(enforced.endpoint, "sqs", session).create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")


def test_scopes_stack_on_a_session_policy(enforced):
    root_iam = make_client(enforced.endpoint, "iam", "test")
    name = f"stacker-{uuid.uuid4().hex[:8]}"
    root_iam.create_user(UserName=name)
    root_iam.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=allow("sqs:*", "sts:*"))
    key = root_iam.create_access_key(UserName=name)["AccessKey"]
    user_sts = make_client(enforced.endpoint, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    # The session's own policy allows listing and URLs; the scope allows listing and creating.
    federated = user_sts.get_federation_token(
        Name="stacked", Policy=allow("sqs:ListQueues", "sqs:GetQueueUrl", "sts:*")
    )["Credentials"]
    scoped_response = with_credentials(enforced.endpoint, "sts", federated).get_scoped_credentials(
        Policy=allow("sqs:ListQueues", "sqs:CreateQueue")
    )
    assert scoped_response["ScopedPoliciesCount"] == 2
    sqs = with_credentials(enforced.endpoint, "sqs", scoped_response["Credentials"])
    sqs.list_queues()  # both allow it
    assert error_of(sqs.create_queue, QueueName=f"q-{uuid.uuid4().hex[:8]}")[0] == "AccessDenied"
    assert error_of(sqs.get_queue_url, QueueName="anything")[0] == "AccessDenied"


def _jwt_part(token: str, index: int) -> dict:
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_web_identity_tokens_once_outbound_federation_is_enabled(endpoint, role_session):
    account = f"{uuid.uuid4().int % 10**12:012d}"
    iam = make_client(endpoint, "iam", account)
    sts = make_client(endpoint, "sts", account)
    audience = ["https://api.example.com"]
    assert error_of(sts.get_web_identity_token, Audience=audience, SigningAlgorithm="RS256") == (
        "OutboundWebIdentityFederationDisabledException",
        403,
    )
    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    answer = sts.get_web_identity_token(
        Audience=audience, SigningAlgorithm="ES384", DurationSeconds=900, Tags=[{"Key": "job", "Value": "42"}]
    )
    token = answer["WebIdentityToken"]
    header, claims = _jwt_part(token, 0), _jwt_part(token, 1)
    assert header["alg"] == "ES384" and header["typ"] == "JWT" and header["kid"]
    assert claims["iss"] == issuer and claims["aud"] == audience[0]
    assert claims["sub"] == f"arn:aws:iam::{account}:root"
    assert claims["exp"] - claims["iat"] == 900
    assert int(answer["Expiration"].timestamp()) == claims["exp"]
    assert claims["https://sts.amazonaws.com/"] == {
        "aws_account": account,
        "source_region": "us-east-1",
        "principal_id": f"arn:aws:iam::{account}:root",
        "request_tags": {"job": "42"},
    }
    # Two audiences are a list; the default lifetime is five minutes.
    answer = sts.get_web_identity_token(Audience=["a", "b"], SigningAlgorithm="RS256")
    claims = _jwt_part(answer["WebIdentityToken"], 1)
    assert claims["aud"] == ["a", "b"] and claims["exp"] - claims["iat"] == 300
    assert _jwt_part(answer["WebIdentityToken"], 0)["alg"] == "RS256"
    iam.disable_outbound_web_identity_federation()
    assert error_of(sts.get_web_identity_token, Audience=audience, SigningAlgorithm="RS256")[0] == (
        "OutboundWebIdentityFederationDisabledException"
    )


def test_a_role_sessions_web_identity_token_names_the_role(endpoint, role_session):
    iam = make_client(endpoint, "iam", ACCOUNT)
    try:
        iam.enable_outbound_web_identity_federation()
    except ClientError:
        pass  # already enabled by an earlier test
    sts = with_credentials(endpoint, "sts", role_session["Credentials"])
    token = sts.get_web_identity_token(Audience=["x"], SigningAlgorithm="RS256")["WebIdentityToken"]
    role_arn = (
        role_session["AssumedRoleUser"]["Arn"].replace(":sts::", ":iam::").replace("assumed-role", "role")
    )
    role_arn = role_arn.rsplit("/", 1)[0]
    claims = _jwt_part(token, 1)
    assert claims["sub"] == role_arn
    assert claims["https://sts.amazonaws.com/"]["principal_id"] == role_arn
    iam.disable_outbound_web_identity_federation()


def _csr(curve: ec.EllipticCurve) -> str:
    key = ec.generate_private_key(curve)
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "workload")]))
        .sign(key, hashes.SHA256())
    )
    return request.public_bytes(serialization.Encoding.PEM).decode()


def test_answers_without_the_setup_each_operation_needs(endpoint, role_session):
    sts = make_client(endpoint, "sts", ACCOUNT)
    task = {"arn": "arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy"}
    assert error_of(sts.assume_root, TargetPrincipal="111122223333", TaskPolicyArn=task) == (
        "AccessDenied",
        403,
    )
    session = with_credentials(endpoint, "sts", role_session["Credentials"])
    assert error_of(session.assume_root, TargetPrincipal="111122223333", TaskPolicyArn=task) == (
        "AccessDenied",
        403,
    )
    wrong_task = {"arn": "arn:aws:iam::aws:policy/AdministratorAccess"}
    assert error_of(sts.assume_root, TargetPrincipal="111122223333", TaskPolicyArn=wrong_task) == (
        "ValidationError",
        400,
    )
    assert error_of(sts.get_delegated_access_token, TradeInToken="token") == (
        "ExpiredTradeInTokenException",
        400,
    )
    assert error_of(
        sts.get_web_identity_token, Audience=["https://api.example.com"], SigningAlgorithm="RS256"
    ) == (
        "OutboundWebIdentityFederationDisabledException",
        403,
    )
    assert error_of(sts.get_web_identity_token, Audience=["a"], SigningAlgorithm="HS256") == (
        "ValidationError",
        400,
    )
    assert error_of(sts.get_certificate, CertificateSigningRequest="not a csr") == (
        "MalformedCertificateSigningRequestException",
        400,
    )
    assert error_of(sts.get_certificate, CertificateSigningRequest=_csr(ec.SECP192R1())) == (
        "MalformedCertificateSigningRequestException",
        400,
    )
    assert error_of(session.get_certificate, CertificateSigningRequest=_csr(ec.SECP256R1())) == (
        "AccessDenied",
        403,
    )
    provider = f"arn:aws:iam::{ACCOUNT}:workload-identity-provider/build"
    assert error_of(sts.get_trust_bundles, ProviderArn=provider) == ("ResourceNotFoundException", 404)
    assert error_of(sts.issue_workload_identity_context, AttestationDocument="{}") == ("AccessDenied", 403)
