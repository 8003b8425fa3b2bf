"""Under --enforce-iam a Lambda integration needs the function's permission: its resource
policy must let apigateway.amazonaws.com invoke it for the method's execute-api ARN."""

from __future__ import annotations

import importlib
import json

import boto3
import pytest

from .helpers import Api, call, lambda_uri, unique

_lambda = importlib.import_module("tests.integration.lambda.helpers")
HANDLER = "import json\ndef handler(event, context):\n    return {'statusCode': 200, 'body': json.dumps({'ok': True})}\n"


@pytest.fixture(scope="module")
def root(enforced):
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    return lambda service: session.client(service, endpoint_url=enforced.endpoint)


def test_lambda_proxy_needs_the_functions_permission(root, enforced):
    iam, lam, apigw = root("iam"), root("lambda"), root("apigateway")
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
    api = Api(apigw)
    api.method(
        "/p/{id}", "GET", {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": lambda_uri(arn)}
    )
    api.deploy("s")
    url = api.url(enforced.endpoint, "s", "/p/1")
    refused = call(url)
    assert refused.status == 500
    assert refused.json() == {"message": "Internal server error"}
    lam.add_permission(
        FunctionName=name,
        StatementId="other-api",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn="arn:aws:execute-api:us-east-1:000000000000:otherapi/*/GET/p/{id}",
    )
    assert call(url).status == 500
    lam.add_permission(
        FunctionName=name,
        StatementId="this-api",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:000000000000:{api.id}/*/GET/p/*",
    )
    allowed = call(url)
    assert allowed.status == 200, allowed.body
    assert allowed.json() == {"ok": True}


def test_aws_integration_acts_as_its_credentials_role(root, enforced):
    iam, sqs, apigw = root("iam"), root("sqs"), root("apigateway")
    queue_url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "apigateway.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    allowed = iam.create_role(RoleName=unique("apigw"), AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(
        RoleName=allowed["RoleName"],
        PolicyName="send",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queue_arn}],
            }
        ),
    )
    bare = iam.create_role(RoleName=unique("apigw"), AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    queue_path = queue_url.split("://", 1)[1].split("/", 1)[1]
    api = Api(apigw)
    for path, role in (("/ok", allowed["Arn"]), ("/denied", bare["Arn"])):
        api.method(
            path,
            "POST",
            {
                "type": "AWS",
                "integrationHttpMethod": "POST",
                "uri": f"arn:aws:apigateway:us-east-1:sqs:path/{queue_path}",
                "credentials": role,
                "requestParameters": {
                    "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"
                },
                "requestTemplates": {
                    "application/json": "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"
                },
            },
            responses={"200": {}},
        )
    api.deploy("s")
    sent = call(
        api.url(enforced.endpoint, "s", "/ok"),
        method="POST",
        body="{}",
        headers={"Content-Type": "application/json"},
    )
    assert sent.status == 200
    assert b"MessageId" in sent.body
    denied = call(
        api.url(enforced.endpoint, "s", "/denied"),
        method="POST",
        body="{}",
        headers={"Content-Type": "application/json"},
    )
    # The default integration response maps the service's refusal to 200, as on AWS.
    assert denied.status == 200
    assert b"AccessDenied" in denied.body


def test_aws_iam_methods_need_execute_api_invoke(root, enforced):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    iam, apigw = root("iam"), root("apigateway")
    api = Api(apigw)
    api.method(
        "/private",
        "GET",
        {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
        responses={
            "200": {"responseTemplates": {"application/json": '{"caller": "$context.identity.userArn"}'}}
        },
        authorizationType="AWS_IAM",
    )
    api.deploy("s")
    url = api.url(enforced.endpoint, "s", "/private")

    def user(allowed: bool) -> tuple[str, Credentials]:
        name = unique("caller")
        arn = iam.create_user(UserName=name)["User"]["Arn"]
        if allowed:
            iam.put_user_policy(
                UserName=name,
                PolicyName="invoke",
                PolicyDocument=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "execute-api:Invoke",
                                "Resource": f"arn:aws:execute-api:us-east-1:000000000000:{api.id}/*/GET/private",
                            }
                        ],
                    }
                ),
            )
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return arn, Credentials(key["AccessKeyId"], key["SecretAccessKey"])

    def signed(credentials: Credentials) -> dict[str, str]:
        request = AWSRequest(method="GET", url=url)
        SigV4Auth(credentials, "execute-api", "us-east-1").add_auth(request)
        return dict(request.headers.items())

    allowed_arn, allowed = user(True)
    answer = call(url, headers=signed(allowed))
    assert answer.status == 200, answer.body
    assert answer.json() == {"caller": allowed_arn}
    denied_arn, denied = user(False)
    refused = call(url, headers=signed(denied))
    assert refused.status == 403
    assert refused.json()["message"].startswith(
        f"User: {denied_arn} is not authorized to perform: execute-api:Invoke"
    )
    # The API's resource policy can grant what the caller's own policies do not.
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
                                "Principal": {"AWS": denied_arn},
                                "Action": "execute-api:Invoke",
                                "Resource": "execute-api:/*",
                            }
                        ],
                    }
                ),
            }
        ],
    )
    api.deploy("s")
    assert call(url, headers=signed(denied)).status == 200
