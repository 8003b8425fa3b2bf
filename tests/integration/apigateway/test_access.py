"""Who may call a stage: Lambda TOKEN and REQUEST authorizers (their results cached by
identity source for the TTL), AWS_IAM with SigV4 verified, API keys with usage plans (quota:
403/429, throttle: 429), stage throttling."""

from __future__ import annotations

import importlib
import json
import time

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from .helpers import Api, call, lambda_uri

_lambda = importlib.import_module("tests.integration.lambda.helpers")

AUTHORIZER = """
def handler(event, context):
    token = event.get("authorizationToken") or (event.get("headers") or {}).get("x-token", "")
    if token == "deny":
        effect = "Deny"
    elif token in ("allow", "allow2"):
        effect = "Allow"
    else:
        raise Exception("Unauthorized")
    return {
        "principalId": "user-" + token,
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]},
        # Each run names itself, so the test sees which answers came from the cache.
        "context": {"tier": "gold", "kind": event["type"], "run": context.aws_request_id},
    }
"""

WHO = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({
        "authorizer": event["requestContext"].get("authorizer"),
        "identity": event["requestContext"]["identity"]})}
"""


@pytest.fixture(scope="module")
def apigw(client):
    return client("apigateway")


@pytest.fixture(scope="module")
def who_arn(client):
    lam = client("lambda")
    name = _lambda.create(lam, WHO)
    return lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]


@pytest.fixture(scope="module")
def authorizer_arn(client) -> str:
    lam = client("lambda")
    name = _lambda.create(lam, AUTHORIZER)
    return lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]


@pytest.mark.parametrize("kind", ["TOKEN", "REQUEST"])
def test_lambda_authorizer_allows_denies_and_caches(apigw, endpoint, who_arn, authorizer_arn, kind):
    arn = authorizer_arn
    api = Api(apigw)
    identity = "method.request.header.Authorization" if kind == "TOKEN" else "method.request.header.X-Token"
    authorizer = apigw.create_authorizer(
        restApiId=api.id,
        name="auth",
        type=kind,
        authorizerUri=lambda_uri(arn),
        identitySource=identity,
        authorizerResultTtlInSeconds=300,
    )
    api.method(
        "/secret",
        "GET",
        {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": lambda_uri(who_arn)},
        authorizationType="CUSTOM",
        authorizerId=authorizer["id"],
    )
    api.deploy("p")
    url = api.url(endpoint, "p", "/secret")
    header = "Authorization" if kind == "TOKEN" else "X-Token"
    allowed = call(url, headers={header: "allow"})
    assert allowed.status == 200, allowed.body
    seen = allowed.json()["authorizer"]
    assert seen["principalId"] == "user-allow"
    assert seen["tier"] == "gold"
    assert seen["kind"] == kind
    again = call(url, headers={header: "allow"})
    assert again.json()["authorizer"]["run"] == seen["run"]  # answered from the cache
    denied = call(url, headers={header: "deny"})
    assert denied.status == 403
    assert denied.json() == {
        "message": "User is not authorized to access this resource with an explicit deny"
    }
    assert denied.headers["x-amzn-errortype"] == "AccessDeniedException"
    refused = call(url, headers={header: "garbage"})
    assert refused.status == 401
    assert refused.json() == {"message": "Unauthorized"}
    missing = call(url)
    assert missing.status == 401
    apigw.flush_stage_authorizers_cache(restApiId=api.id, stageName="p")
    fresh = call(url, headers={header: "allow"})
    assert fresh.json()["authorizer"]["run"] != seen["run"]
    tested = apigw.test_invoke_authorizer(
        restApiId=api.id, authorizerId=authorizer["id"], headers={header: "allow2"}
    )
    assert tested["clientStatus"] == 200
    assert tested["principalId"] == "user-allow2"


def _signed(url: str, access_key: str = "test", secret: str = "test") -> dict[str, str]:
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(access_key, secret), "execute-api", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def test_aws_iam_authorization_verifies_the_signature(apigw, endpoint, who_arn):
    api = Api(apigw)
    api.method(
        "/iam",
        "GET",
        {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": lambda_uri(who_arn)},
        authorizationType="AWS_IAM",
    )
    api.deploy("p")
    url = api.url(endpoint, "p", "/iam")
    unsigned = call(url)
    assert unsigned.status == 403
    assert unsigned.json() == {"message": "Missing Authentication Token"}
    signed = call(url, headers=_signed(url))
    assert signed.status == 200, signed.body
    assert signed.json()["identity"]["accessKey"] == "test"
    forged = call(url, headers=_signed(url, secret="wrong"))
    assert forged.status == 403
    assert forged.headers["x-amzn-errortype"] == "InvalidSignatureException"


def test_api_keys_and_usage_plan_quota(apigw, endpoint):
    api = Api(apigw)
    api.method(
        "/metered",
        "GET",
        {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
        responses={
            "200": {"responseTemplates": {"application/json": '{"key": "$context.identity.apiKeyId"}'}}
        },
        apiKeyRequired=True,
    )
    api.deploy("p")
    key = apigw.create_api_key(name="k", enabled=True)
    plan = apigw.create_usage_plan(
        name="plan", apiStages=[{"apiId": api.id, "stage": "p"}], quota={"limit": 3, "period": "DAY"}
    )
    url = api.url(endpoint, "p", "/metered")
    assert call(url).status == 403
    assert call(url).headers["x-amzn-errortype"] == "ForbiddenException"
    # A key that is in no plan for the stage is refused too.
    assert call(url, headers={"x-api-key": key["value"]}).status == 403
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    for _ in range(3):
        answer = call(url, headers={"x-api-key": key["value"]})
        assert answer.status == 200, answer.body
        assert answer.json() == {"key": key["id"]}
    over = call(url, headers={"x-api-key": key["value"]})
    assert over.status == 429
    assert over.json() == {"message": "Limit Exceeded"}
    today = time.strftime("%Y-%m-%d", time.gmtime())
    usage = apigw.get_usage(usagePlanId=plan["id"], startDate=today, endDate=today)
    assert usage["items"][key["id"]] == [[3, 0]]
    apigw.update_usage(
        usagePlanId=plan["id"],
        keyId=key["id"],
        patchOperations=[{"op": "replace", "path": "/remaining", "value": "2"}],
    )
    assert call(url, headers={"x-api-key": key["value"]}).status == 200
    apigw.update_api_key(
        apiKey=key["id"], patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}]
    )
    assert call(url, headers={"x-api-key": key["value"]}).status == 403


def test_usage_plan_and_stage_throttling(apigw, endpoint):
    api = Api(apigw)
    api.method(
        "/busy",
        "GET",
        {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
        responses={"200": {}},
        apiKeyRequired=True,
    )
    api.method(
        "/stage",
        "GET",
        {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
        responses={"200": {}},
    )
    api.deploy("p")
    key = apigw.create_api_key(name="t", enabled=True)
    plan = apigw.create_usage_plan(
        name="slow",
        apiStages=[{"apiId": api.id, "stage": "p"}],
        throttle={"rateLimit": 0.01, "burstLimit": 2},
    )
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    url = api.url(endpoint, "p", "/busy")
    statuses = [call(url, headers={"x-api-key": key["value"]}).status for _ in range(4)]
    assert statuses[:2] == [200, 200]
    assert statuses[2:] == [429, 429]
    throttled = call(url, headers={"x-api-key": key["value"]})
    assert throttled.json() == {"message": "Too Many Requests"}
    apigw.update_stage(
        restApiId=api.id,
        stageName="p",
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "0.01"},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "1"},
        ],
    )
    stage = apigw.get_stage(restApiId=api.id, stageName="p")
    assert stage["methodSettings"]["*/*"]["throttlingBurstLimit"] == 1
    stage_url = api.url(endpoint, "p", "/stage")
    assert [call(stage_url).status for _ in range(2)] == [200, 429]


def test_authorizer_context_reaches_mapping_templates(apigw, endpoint, authorizer_arn):
    arn = authorizer_arn
    api = Api(apigw)
    authorizer = apigw.create_authorizer(
        restApiId=api.id,
        name="auth",
        type="TOKEN",
        authorizerUri=lambda_uri(arn),
        identitySource="method.request.header.Authorization",
        authorizerResultTtlInSeconds=0,
    )
    api.method(
        "/ctx",
        "GET",
        {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
        responses={
            "200": {
                "responseTemplates": {
                    "application/json": '{"p": "$context.authorizer.principalId", "t": "$context.authorizer.tier", '
                    '"run": "$context.authorizer.run"}'
                }
            }
        },
        authorizationType="CUSTOM",
        authorizerId=authorizer["id"],
    )
    api.deploy("p")
    url = api.url(endpoint, "p", "/ctx")
    first = json.loads(call(url, headers={"Authorization": "allow"}).body)
    assert {"p": first["p"], "t": first["t"]} == {"p": "user-allow", "t": "gold"}
    second = json.loads(call(url, headers={"Authorization": "allow"}).body)
    assert second["run"] != first["run"]  # a TTL of 0 caches nothing


def test_resource_policy_allows_and_denies_by_source_ip(apigw, endpoint):
    def policy(effect: str, cidr: str) -> str:
        return json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "execute-api:Invoke",
                        "Resource": "execute-api:/*",
                    },
                    {
                        "Effect": effect,
                        "Principal": "*",
                        "Action": "execute-api:Invoke",
                        "Resource": "execute-api:/*/GET/closed",
                        "Condition": {"IpAddress": {"aws:SourceIp": cidr}},
                    },
                ],
            }
        )

    api = Api(apigw, policy=policy("Deny", "127.0.0.0/8"))
    integration = {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}}
    api.method("/open", "GET", integration, responses={"200": {}})
    api.method("/closed", "GET", integration, responses={"200": {}})
    api.deploy("p")
    assert call(api.url(endpoint, "p", "/open")).status == 200
    denied = call(api.url(endpoint, "p", "/closed"))
    assert denied.status == 403
    assert denied.json()["message"].endswith("with an explicit deny")
    assert denied.headers["x-amzn-errortype"] == "AccessDeniedException"
    # A method without IAM authorization must be allowed by the policy when there is one.
    apigw.update_rest_api(
        restApiId=api.id,
        patchOperations=[
            {
                "op": "replace",
                "path": "/policy",
                "value": json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": "*",
                                "Action": "execute-api:Invoke",
                                "Resource": "execute-api:/*/GET/open",
                            }
                        ],
                    }
                ),
            }
        ],
    )
    api.deploy("p")
    assert call(api.url(endpoint, "p", "/open")).status == 200
    refused = call(api.url(endpoint, "p", "/closed"))
    assert refused.status == 403
    assert refused.json()["message"].startswith(
        "User: anonymous is not authorized to perform: execute-api:Invoke"
    )


def test_authorizer_context_with_nested_values_is_a_configuration_error(apigw, client, endpoint):
    lam = client("lambda")
    source = (
        "def handler(event, context):\n"
        "    return {'principalId': 'p', 'context': {'nested': {'no': 1}}, 'policyDocument': {\n"
        "        'Version': '2012-10-17', 'Statement': [{'Action': 'execute-api:Invoke', 'Effect': 'Allow',\n"
        "        'Resource': event['methodArn']}]}}\n"
    )
    name = _lambda.create(lam, source)
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    api = Api(apigw)
    authorizer = apigw.create_authorizer(
        restApiId=api.id,
        name="a",
        type="TOKEN",
        authorizerUri=lambda_uri(arn),
        identitySource="method.request.header.Authorization",
    )
    api.method(
        "/x",
        "GET",
        {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
        responses={"200": {}},
        authorizationType="CUSTOM",
        authorizerId=authorizer["id"],
    )
    api.deploy("p")
    answer = call(api.url(endpoint, "p", "/x"), headers={"Authorization": "t"})
    assert answer.status == 500
    assert answer.headers["x-amzn-errortype"] == "AuthorizerConfigurationException"
