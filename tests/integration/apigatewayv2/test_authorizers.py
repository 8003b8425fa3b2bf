"""Authorizers of HTTP APIs: JWT (issuer, audience, expiry and scopes checked against the
issuer's JWKS, served here on loopback), Lambda REQUEST authorizers with simple and IAM
policy responses and their cache, and AWS_IAM (SigV4)."""

from __future__ import annotations

import base64
import json
import time

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.integration.apigateway.helpers import call

from .helpers import LocalServer, function, unique, url

ECHO = """
def handler(event, context):
    return {"authorizer": event["requestContext"].get("authorizer")}
"""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Issuer:
    """An OpenID issuer on loopback: its discovery document and key set, and tokens it signs."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = self.key.public_key().public_numbers()
        jwks = {
            "keys": [
                {
                    "kty": "RSA",
                    "kid": "k1",
                    "use": "sig",
                    "alg": "RS256",
                    "n": _b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
                    "e": _b64(numbers.e.to_bytes(3, "big")),
                }
            ]
        }

        def answer(handler, body):
            if handler.path.endswith("/.well-known/openid-configuration"):
                document = {"issuer": self.url, "jwks_uri": self.url + "/keys"}
                return 200, {"Content-Type": "application/json"}, json.dumps(document).encode()
            if handler.path.endswith("/keys"):
                return 200, {"Content-Type": "application/json"}, json.dumps(jwks).encode()
            return 404, {}, b""

        self.server = LocalServer(answer)
        self.url = self.server.url

    def token(self, **claims) -> str:
        body = {"iss": self.url, "aud": "my-app", "sub": "user-1", "exp": int(time.time()) + 600, **claims}
        header = _b64(json.dumps({"alg": "RS256", "kid": "k1", "typ": "JWT"}).encode())
        payload = _b64(json.dumps(body).encode())
        signature = self.key.sign(f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{header}.{payload}.{_b64(signature)}"


@pytest.fixture(scope="module")
def issuer():
    found = Issuer()
    yield found
    found.server.close()


@pytest.fixture(scope="module")
def echo_function(client):
    return function(client("lambda"), ECHO)


def _api_with_route(apigw, target: str, route_key: str, **route) -> tuple[str, str]:
    api_id = apigw.create_api(Name=unique("auth"), ProtocolType="HTTP")["ApiId"]
    integration = apigw.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=target, PayloadFormatVersion="2.0"
    )["IntegrationId"]
    return api_id, integration


def test_jwt_authorizer(client, endpoint, issuer, echo_function):
    apigw = client("apigatewayv2")
    api_id, integration = _api_with_route(apigw, echo_function, "GET /secure")
    authorizer = apigw.create_authorizer(
        ApiId=api_id,
        AuthorizerType="JWT",
        Name="jwt",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": issuer.url, "Audience": ["my-app"]},
    )["AuthorizerId"]
    apigw.create_route(
        ApiId=api_id,
        RouteKey="GET /secure",
        Target=f"integrations/{integration}",
        AuthorizationType="JWT",
        AuthorizerId=authorizer,
    )
    apigw.create_route(
        ApiId=api_id,
        RouteKey="GET /admin",
        Target=f"integrations/{integration}",
        AuthorizationType="JWT",
        AuthorizerId=authorizer,
        AuthorizationScopes=["admin"],
    )
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    secure = url(endpoint, api_id, "$default", "/secure")

    missing = call(secure)
    assert missing.status == 401 and missing.json() == {"message": "Unauthorized"}
    good = call(secure, headers={"Authorization": f"Bearer {issuer.token(scope='read write')}"})
    assert good.status == 200, good.body
    jwt = good.json()["authorizer"]["jwt"]
    assert jwt["claims"]["sub"] == "user-1" and jwt["scopes"] == ["read", "write"]
    for bad in (
        issuer.token(aud="someone-else"),
        issuer.token(exp=int(time.time()) - 10),
        issuer.token(iss="https://elsewhere.example"),
        issuer.token()[:-4] + "AAAA",
    ):
        refused = call(secure, headers={"Authorization": f"Bearer {bad}"})
        assert refused.status == 401, bad
    admin = url(endpoint, api_id, "$default", "/admin")
    assert call(admin, headers={"Authorization": issuer.token(scope="read")}).status == 403
    assert call(admin, headers={"Authorization": issuer.token(scope="admin")}).status == 200


AUTHORIZER = """
import json
def handler(event, context):
    token = event["headers"].get("x-token", "")
    print(json.dumps({"called": token}))
    if event.get("version") == "2.0" and token.startswith("simple"):
        return {"isAuthorized": token == "simple-ok", "context": {"user": token, "route": event["routeKey"]}}
    effect = "Allow" if token.endswith("-ok") else "Deny"
    return {
        "principalId": "me",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event.get("routeArn") or event.get("methodArn")}
        ]},
        "context": {"user": token},
    }
"""

COUNTER = """
import json
def handler(event, context):
    return {"isAuthorized": True, "context": {"seen": event["identitySource"][0]}}
"""


def test_lambda_authorizer_simple_and_policy_responses(client, endpoint, echo_function):
    apigw, lam = client("apigatewayv2"), client("lambda")
    authorizer_arn = function(lam, AUTHORIZER)
    api_id, integration = _api_with_route(apigw, echo_function, "GET /a")
    simple = apigw.create_authorizer(
        ApiId=api_id,
        AuthorizerType="REQUEST",
        Name="simple",
        AuthorizerUri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{authorizer_arn}/invocations",
        AuthorizerPayloadFormatVersion="2.0",
        EnableSimpleResponses=True,
        IdentitySource=["$request.header.X-Token"],
    )["AuthorizerId"]
    policy = apigw.create_authorizer(
        ApiId=api_id,
        AuthorizerType="REQUEST",
        Name="policy",
        AuthorizerUri=authorizer_arn,
        AuthorizerPayloadFormatVersion="1.0",
        IdentitySource=["$request.header.X-Token"],
    )["AuthorizerId"]
    for key, authorizer in (("GET /simple", simple), ("GET /policy", policy)):
        apigw.create_route(
            ApiId=api_id,
            RouteKey=key,
            Target=f"integrations/{integration}",
            AuthorizationType="CUSTOM",
            AuthorizerId=authorizer,
        )
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    simple_url = url(endpoint, api_id, "$default", "/simple")
    assert call(simple_url).status == 401  # no identity source: the function is not called
    allowed = call(simple_url, headers={"X-Token": "simple-ok"})
    assert allowed.status == 200, allowed.body
    assert allowed.json()["authorizer"]["lambda"] == {"user": "simple-ok", "route": "GET /simple"}
    denied = call(simple_url, headers={"X-Token": "simple-no"})
    assert denied.status == 403 and denied.json() == {"message": "Forbidden"}
    policy_url = url(endpoint, api_id, "$default", "/policy")
    answered = call(policy_url, headers={"X-Token": "policy-ok"})
    assert answered.status == 200, answered.body
    assert answered.json()["authorizer"]["lambda"] == {"user": "policy-ok"}
    assert answered.json()["authorizer"]["principalId"] == "me"
    assert call(policy_url, headers={"X-Token": "policy-no"}).status == 403


def test_lambda_authorizer_results_are_cached_by_identity(client, endpoint, echo_function):
    apigw, lam, logs = client("apigatewayv2"), client("lambda"), client("logs")
    authorizer_arn = function(lam, COUNTER)
    api_id, integration = _api_with_route(apigw, echo_function, "GET /c")
    authorizer = apigw.create_authorizer(
        ApiId=api_id,
        AuthorizerType="REQUEST",
        Name="cached",
        AuthorizerUri=authorizer_arn,
        AuthorizerPayloadFormatVersion="2.0",
        EnableSimpleResponses=True,
        IdentitySource=["$request.querystring.user"],
        AuthorizerResultTtlInSeconds=300,
    )["AuthorizerId"]
    apigw.create_route(
        ApiId=api_id,
        RouteKey="GET /c",
        Target=f"integrations/{integration}",
        AuthorizationType="CUSTOM",
        AuthorizerId=authorizer,
    )
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    name = authorizer_arn.rsplit(":", 1)[1]
    for user in ("u1", "u1", "u2", "u1"):
        answer = call(url(endpoint, api_id, "$default", f"/c?user={user}"))
        assert answer.json()["authorizer"]["lambda"] == {"seen": user}
    group = f"/aws/lambda/{name}"
    deadline = time.monotonic() + 10
    starts: list = []
    while time.monotonic() < deadline:
        events = logs.filter_log_events(logGroupName=group)["events"]
        starts = [e for e in events if e["message"].startswith("START")]
        if len(starts) >= 2:
            break
        time.sleep(0.2)
    assert len(starts) == 2  # u1 once, u2 once: the rest came from the cache
    apigw.reset_authorizers_cache(ApiId=api_id, StageName="$default")
    call(url(endpoint, api_id, "$default", "/c?user=u1"))


def test_iam_authorization_verifies_the_signature(client, endpoint, echo_function):
    apigw = client("apigatewayv2")
    api_id, integration = _api_with_route(apigw, echo_function, "GET /iam")
    apigw.create_route(
        ApiId=api_id, RouteKey="GET /iam", Target=f"integrations/{integration}", AuthorizationType="AWS_IAM"
    )
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    target = url(endpoint, api_id, "$default", "/iam")
    assert call(target).status == 403
    request = AWSRequest(method="GET", url=target)
    SigV4Auth(Credentials("test", "test"), "execute-api", "us-east-1").add_auth(request)
    signed = call(target, headers=dict(request.headers))
    assert signed.status == 200, signed.body
    assert signed.json()["authorizer"]["iam"]["accessKey"] == "test"
    request = AWSRequest(method="GET", url=target)
    SigV4Auth(Credentials("test", "wrong"), "execute-api", "us-east-1").add_auth(request)
    assert call(target, headers=dict(request.headers)).status == 403
