"""Function URLs with AuthType AWS_IAM: SigV4-signed requests (service `lambda`), verified, and
under --enforce-iam authorized by identity or resource policy for lambda:InvokeFunctionUrl."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from .helpers import create, unique

FORBIDDEN = (
    "Forbidden. For troubleshooting Function URL authorization issues, see: "
    "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"
)
ECHO = (
    "import json\ndef handler(event, context):\n"
    "    return {'statusCode': 200, 'body': json.dumps({'iam': event['requestContext'].get('authorizer', {})"
    ".get('iam'), 'body': event.get('body'), 'query': event.get('rawQueryString')})}\n"
)


def call(
    url: str,
    credentials: Credentials | None = None,
    service: str = "lambda",
    method: str = "POST",
    body: bytes = b'{"hello": 1}',
    path: str = "/things?a=1&b=two",
) -> tuple[int, dict, dict]:
    """Send a request to a function URL through 127.0.0.1, signed as botocore signs."""
    parts = urlsplit(url)
    full = f"{parts.scheme}://{parts.netloc}{path}"
    request = AWSRequest(method=method, url=full, data=body, headers={"Content-Type": "application/json"})
    if credentials is not None:
        SigV4Auth(credentials, service, "us-east-1").add_auth(request)
    headers = {"Host": parts.netloc, **dict(request.headers.items())}
    connection = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return (
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            json.loads(response.read() or b"null"),
        )
    finally:
        connection.close()


def url_function(lam, **extra) -> tuple[str, str]:
    name = create(lam, ECHO)
    url = lam.create_function_url_config(FunctionName=name, AuthType="AWS_IAM", **extra)["FunctionUrl"]
    return name, url


def test_unsigned_and_badly_signed_requests_are_forbidden(client):
    lam = client("lambda")
    _, url = url_function(lam)
    status, headers, body = call(url)
    assert (status, body) == (403, {"Message": FORBIDDEN})
    assert headers["x-amzn-errortype"] == "AccessDeniedException"
    assert call(url, Credentials("test", "not-the-secret"))[::2] == (403, {"Message": FORBIDDEN})
    assert call(url, Credentials("test", "test"), service="execute-api")[::2] == (403, {"Message": FORBIDDEN})


def test_signed_request_reaches_the_function_with_the_caller(client):
    lam = client("lambda")
    _, url = url_function(lam)
    status, _, body = call(url, Credentials("test", "test"))
    assert status == 200
    assert body["body"] == '{"hello": 1}' and body["query"] == "a=1&b=two"
    assert body["iam"]["accessKey"] == "test"
    assert body["iam"]["userArn"] == "arn:aws:iam::000000000000:root"
    assert body["iam"]["accountId"] == "000000000000"
    status, _, _ = call(url, Credentials("test", "test"), method="GET", body=b"", path="/")
    assert status == 200


def enforced_function(enforced) -> tuple:
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    lam = session.client("lambda", endpoint_url=enforced.endpoint)
    iam = session.client("iam", endpoint_url=enforced.endpoint)
    name = unique("fn")
    role = iam.create_role(
        RoleName=unique("exec"),
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    from .helpers import zip_bytes

    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": zip_bytes({"handler.py": ECHO})},
    )
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200}
    )
    return lam, iam, name


def test_enforcement_serves_a_none_url_only_with_a_public_permission(enforced):
    lam, _, name = enforced_function(enforced)
    url = lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    assert call(url)[::2] == (403, {"Message": FORBIDDEN})
    lam.add_permission(
        FunctionName=name,
        StatementId="public",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="AWS_IAM",
    )
    assert call(url)[0] == 403  # granted for the other auth type only
    lam.add_permission(
        FunctionName=name,
        StatementId="public-none",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    status, _, body = call(url)
    assert status == 200 and body["iam"] is None


def test_enforcement_needs_invoke_function_url_by_identity_or_resource_policy(enforced):
    lam, iam, name = enforced_function(enforced)
    url = lam.create_function_url_config(FunctionName=name, AuthType="AWS_IAM")["FunctionUrl"]
    function = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]

    assert call(url, Credentials("test", "test"))[0] == 200  # the account's root

    def user(policy: dict | None = None) -> tuple[Credentials, str]:
        user_name = unique("caller")
        arn = iam.create_user(UserName=user_name)["User"]["Arn"]
        if policy:
            iam.put_user_policy(UserName=user_name, PolicyName="p", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=user_name)["AccessKey"]
        return Credentials(key["AccessKeyId"], key["SecretAccessKey"]), arn

    nobody, _ = user()
    assert call(url, nobody)[::2] == (403, {"Message": FORBIDDEN})
    allowed, allowed_arn = user(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunctionUrl", "Resource": function}],
        }
    )
    status, _, body = call(url, allowed)
    assert status == 200 and body["iam"]["userArn"] == allowed_arn
    wrong_action, _ = user(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": function}],
        }
    )
    assert call(url, wrong_action)[0] == 403

    named, named_arn = user()
    other_account = Credentials("111111111111", "test")  # a root key signs with the root secret
    assert call(url, other_account)[0] == 403
    assert call(url, Credentials("AKIDNOONEISSUED", "x"))[0] == 403
    lam.add_permission(
        FunctionName=name,
        StatementId="by-user",
        Action="lambda:InvokeFunctionUrl",
        Principal=named_arn,
        FunctionUrlAuthType="AWS_IAM",
    )
    lam.add_permission(
        FunctionName=name,
        StatementId="by-account",
        Action="lambda:InvokeFunctionUrl",
        Principal="111111111111",
        FunctionUrlAuthType="AWS_IAM",
    )
    assert call(url, named)[0] == 200
    status, _, body = call(url, other_account)
    assert status == 200 and body["iam"]["accountId"] == "111111111111"
    assert call(url, Credentials(named.access_key, "wrong"))[0] == 403
    assert call(url, Credentials("111111111111", "anything"))[0] == 403
