"""Under --enforce-iam: the control plane authorizes apigateway:{VERB} on the resource a
request's path names, AWS_IAM routes need execute-api:Invoke on the route, and a Lambda
integration needs the function's permission for API Gateway."""

from __future__ import annotations

import importlib
import json

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.integration.apigateway.helpers import call

from .helpers import unique, url

_lambda = importlib.import_module("tests.integration.lambda.helpers")
HANDLER = "def handler(event, context):\n    return {'ok': True}\n"


@pytest.fixture(scope="module")
def root(enforced):
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    return lambda service: session.client(service, endpoint_url=enforced.endpoint)


def user(iam, statements: list[dict]) -> tuple[str, dict]:
    name = unique("user")
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    if statements:
        iam.put_user_policy(
            UserName=name,
            PolicyName="p",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
        )
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return arn, {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


def test_control_plane_actions_are_verbs_on_paths(root, enforced):
    iam, apigw = root("iam"), root("apigatewayv2")
    api_id = apigw.create_api(Name=unique("api"), ProtocolType="HTTP")["ApiId"]
    _, keys = user(
        iam,
        [
            {
                "Effect": "Allow",
                "Action": "apigateway:GET",
                "Resource": f"arn:aws:apigateway:us-east-1::/apis/{api_id}",
            }
        ],
    )
    own = boto3.client("apigatewayv2", endpoint_url=enforced.endpoint, region_name="us-east-1", **keys)
    assert own.get_api(ApiId=api_id)["ApiId"] == api_id
    with pytest.raises(ClientError) as listing:
        own.get_apis()
    assert listing.value.response["Error"]["Code"] == "AccessDeniedException"
    with pytest.raises(ClientError) as deleting:
        own.delete_api(ApiId=api_id)
    assert deleting.value.response["Error"]["Code"] == "AccessDeniedException"


def test_iam_routes_and_lambda_permissions(root, enforced):
    iam, lam, apigw = root("iam"), root("lambda"), root("apigatewayv2")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName=unique("exec"), AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    name = unique("fn")
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": _lambda.zip_bytes({"handler.py": HANDLER})},
    )
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200}
    )
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    api_id = apigw.create_api(Name=unique("api"), ProtocolType="HTTP", Target=arn)["ApiId"]
    integration = apigw.get_integrations(ApiId=api_id)["Items"][0]["IntegrationId"]
    apigw.create_route(
        ApiId=api_id,
        RouteKey="GET /private",
        Target=f"integrations/{integration}",
        AuthorizationType="AWS_IAM",
    )
    public = url(enforced.endpoint, api_id, "$default", "/open")
    assert call(public).status == 500  # the function has not let API Gateway invoke it
    lam.add_permission(
        FunctionName=name,
        StatementId="apigw",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:000000000000:{api_id}/*",
    )
    assert call(public).json() == {"ok": True}

    private = url(enforced.endpoint, api_id, "$default", "/private")
    route_arn = f"arn:aws:execute-api:us-east-1:000000000000:{api_id}/$default/GET/private"
    allowed_arn, allowed = user(
        iam, [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": route_arn}]
    )
    denied_arn, denied = user(iam, [])

    def signed(keys: dict) -> dict[str, str]:
        request = AWSRequest(method="GET", url=private)
        SigV4Auth(
            Credentials(keys["aws_access_key_id"], keys["aws_secret_access_key"]), "execute-api", "us-east-1"
        ).add_auth(request)
        return dict(request.headers.items())

    assert call(private, headers=signed(allowed)).json() == {"ok": True}
    refused = call(private, headers=signed(denied))
    assert refused.status == 403
    assert refused.json()["message"].startswith(
        f"User: {denied_arn} is not authorized to perform: execute-api:Invoke"
    )
    assert allowed_arn != denied_arn
