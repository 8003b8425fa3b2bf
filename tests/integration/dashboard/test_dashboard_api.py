"""The dashboard's page and JSON API over HTTP: the token, the cross-site refusals, calls made as
the selected account through Overcast's own API, the request log, and sign-in under
--enforce-iam."""

from __future__ import annotations

import http.client
import json
import re
import uuid

import boto3
import pytest

from tests.conftest import Server

JSON = {"Content-Type": "application/json"}


def call(server_or_endpoint, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    port = int(str(getattr(server_or_endpoint, "endpoint", server_or_endpoint)).rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), response.read()


def page_token(server) -> str:
    status, headers, body = call(server, "GET", "/_overcast/")
    assert status == 200
    match = re.search(rb'name="overcast-token" content="([^"]+)"', body)
    assert match is not None
    assert f"overcast-dashboard={match[1].decode()}" in headers["set-cookie"]
    assert "SameSite=Strict" in headers["set-cookie"] and "HttpOnly" in headers["set-cookie"]
    return match[1].decode()


def api(server, route: str, payload: dict, token: str | None, extra: dict | None = None):
    headers = {**JSON, **({"X-Overcast-Token": token} if token else {}), **(extra or {})}
    status, _, body = call(server, "POST", f"/_overcast/api/{route}", json.dumps(payload).encode(), headers)
    return status, json.loads(body)


def test_the_page_and_its_assets_are_served_without_a_network(endpoint):
    status, headers, body = call(endpoint, "GET", "/_overcast/")
    assert status == 200 and b'<script type="module" src="/_overcast/ui/app.js">' in body
    assert "default-src 'self'" in headers["content-security-policy"]
    for asset in re.findall(rb'(?:src|href)="(/_overcast/ui/[^"]+)"', body):
        assert call(endpoint, "GET", asset.decode())[0] == 200
    status, headers, body = call(endpoint, "GET", "/_overcast/ui/pages/index.js")
    assert status == 200 and headers["content-type"] == "text/javascript"
    for module in re.findall(rb'import\("\./([a-z0-9]+\.js)"\)', body):
        assert call(endpoint, "GET", f"/_overcast/ui/pages/{module.decode()}")[0] == 200
    assert call(endpoint, "GET", "/_overcast/ui/../../gateway.py")[0] == 404
    assert call(endpoint, "GET", "/_overcast/ui/nothing.js")[0] == 404


def test_calls_go_through_the_api_as_the_selected_account(endpoint):
    token = page_token(endpoint)
    account = "123456789012"
    bucket = f"dash-api-{uuid.uuid4().hex[:8]}"
    status, answer = api(
        endpoint,
        "call",
        {"service": "s3", "operation": "CreateBucket", "params": {"Bucket": bucket}, "account": account},
        token,
    )
    assert status == 200 and "error" not in answer, answer
    put = {"Bucket": bucket, "Key": "k", "Body": {"$base64": "aGVsbG8="}}
    assert (
        "error"
        not in api(
            endpoint,
            "call",
            {"service": "s3", "operation": "PutObject", "params": put, "account": account},
            token,
        )[1]
    )
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=account,
        aws_secret_access_key="x",
        region_name="us-east-1",
    )
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"hello"
    other = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    assert bucket not in [b["Name"] for b in other.list_buckets()["Buckets"]]

    _, answer = api(
        endpoint,
        "call",
        {
            "service": "s3",
            "operation": "GetObject",
            "params": {"Bucket": bucket, "Key": "k"},
            "account": account,
        },
        token,
    )
    assert answer["output"]["Body"]["$text"] == "hello" and answer["output"]["ContentLength"] == 5
    # AWS's own errors come back as AWS said them; the model's checks as botocore says them.
    _, answer = api(
        endpoint,
        "call",
        {
            "service": "s3",
            "operation": "GetObject",
            "params": {"Bucket": bucket, "Key": "nope"},
            "account": account,
        },
        token,
    )
    assert answer["error"]["code"] == "NoSuchKey" and answer["error"]["status"] == 404
    _, answer = api(
        endpoint,
        "call",
        {"service": "s3", "operation": "GetObject", "params": {"Bucket": bucket}, "account": account},
        token,
    )
    assert answer["error"]["code"] == "ParamValidationError" and "Key" in answer["error"]["message"]
    _, answer = api(
        endpoint,
        "call",
        {"service": "s3", "operation": "Frobnicate", "params": {}, "account": account},
        token,
    )
    assert answer["error"]["code"] == "UnknownOperation"
    status, answer = api(
        endpoint, "call", {"service": "s3", "operation": "ListBuckets", "account": "12"}, token
    )
    assert status == 400 and "12-digit" in answer["error"]


def test_state_changing_calls_refuse_what_another_site_could_send(endpoint):
    token = page_token(endpoint)
    payload = {"service": "sqs", "operation": "CreateQueue", "params": {"QueueName": "csrf"}}
    assert api(endpoint, "call", payload, None)[0] == 403  # no token
    assert api(endpoint, "call", payload, "forged")[0] == 403
    assert api(endpoint, "call", payload, token, {"Origin": "http://evil.example"})[0] == 403
    assert api(endpoint, "call", payload, token, {"Sec-Fetch-Site": "cross-site"})[0] == 403
    assert api(endpoint, "call", payload, token, {"Host": "evil.example:4566"})[0] == 403
    assert api(endpoint, "call", payload, token, {"Cookie": "overcast-dashboard=stale"})[0] == 403
    # A form post (a "simple" request no preflight guards) is not taken.
    status, _, _ = call(
        endpoint,
        "POST",
        "/_overcast/api/call",
        b"service=sqs",
        {"Content-Type": "text/plain", "X-Overcast-Token": token},
    )
    assert status == 403
    assert call(endpoint, "GET", "/_overcast/api/requests")[0] == 405
    sqs = boto3.client(
        "sqs",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    assert not any(url.endswith("/csrf") for url in sqs.list_queues().get("QueueUrls", []))
    # The same call from the page itself goes through.
    status, answer = api(
        endpoint, "call", payload, token, {"Origin": endpoint, "Cookie": f"overcast-dashboard={token}"}
    )
    assert status == 200 and answer["output"]["QueueUrl"].endswith("/csrf")


def test_the_request_log_keeps_failures_with_their_input(endpoint):
    token = page_token(endpoint)
    account = "210987654321"
    sqs = boto3.client(
        "sqs",
        endpoint_url=endpoint,
        aws_access_key_id=account,
        aws_secret_access_key="x",
        region_name="eu-west-1",
    )
    name = f"absent-{uuid.uuid4().hex[:6]}"
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName=name)
    sqs.list_queues()
    status, answer = api(endpoint, "requests", {"account": account}, token)
    assert status == 200
    failed, listed = answer["requests"][-2:]
    assert (failed["service"], failed["operation"], failed["status"]) == ("sqs", "GetQueueUrl", 400)
    assert failed["error_code"] == "QueueDoesNotExist" and failed["input"] == {"QueueName": name}
    assert failed["region"] == "eu-west-1" and failed["ms"] >= 0
    assert listed["operation"] == "ListQueues" and listed["error_code"] == "" and listed["input"] is None
    _, errors_only = api(endpoint, "requests", {"account": account, "errors": True}, token)
    assert [entry["operation"] for entry in errors_only["requests"]] == ["GetQueueUrl"]
    _, later = api(endpoint, "requests", {"account": account, "since": listed["seq"]}, token)
    assert later["requests"] == []
    # The CLI's route says the same.
    status, _, body = call(endpoint, "GET", f"/_overcast/requests?account={account}&errors=1")
    assert status == 200 and [e["operation"] for e in json.loads(body)["requests"]] == ["GetQueueUrl"]


def test_overview_and_engines(endpoint):
    token = page_token(endpoint)
    status, overview = api(endpoint, "overview", {}, token)
    assert status == 200 and overview["services"]["s3"] in ("running", "available")
    assert isinstance(overview["engines"], list)
    planes = {plane["name"]: plane for plane in overview["data_planes"]}
    port = endpoint.rsplit(":", 1)[1]
    assert planes["Lambda function URL"]["path_forms"] == [
        f"http://localhost:{port}/_aws/lambda-url/{{url-id}}/{{path}}"
    ]
    status, _, body = call(endpoint, "GET", "/_overcast/ps")
    assert status == 200 and "engines" in json.loads(body)
    status, answer = api(endpoint, "operations", {"service": "sqs"}, token)
    assert (
        status == 200 and answer["emulated"] and answer["operations"]["SendMessage"]["QueueUrl"]["required"]
    )


@pytest.fixture(scope="module")
def enforced_board():
    instance = Server("--ephemeral", "--quiet", "--enforce-iam")
    yield instance
    instance.stop()


def test_under_enforce_iam_the_page_acts_as_the_signed_in_principal(enforced_board):
    server = enforced_board
    token = page_token(server)
    assert b'name="overcast-enforce-iam" content="true"' in call(server, "GET", "/_overcast/")[2]
    assert api(server, "overview", {}, token)[0] == 401
    assert api(server, "call", {"service": "sts", "operation": "GetCallerIdentity"}, token)[0] == 401
    root = {"accessKeyId": "test", "secretAccessKey": "test"}
    assert (
        api(server, "overview", {"credentials": {"accessKeyId": "test", "secretAccessKey": "wrong"}}, token)[
            0
        ]
        == 403
    )
    assert api(server, "overview", {"credentials": root}, token)[0] == 200

    iam = boto3.client(
        "iam",
        endpoint_url=server.endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    iam.create_user(UserName="viewer")
    key = iam.create_access_key(UserName="viewer")["AccessKey"]
    viewer = {"accessKeyId": key["AccessKeyId"], "secretAccessKey": key["SecretAccessKey"]}
    status, answer = api(
        server, "call", {"service": "sts", "operation": "GetCallerIdentity", "credentials": viewer}, token
    )
    assert status == 200 and answer["output"]["Arn"].endswith(":user/viewer")
    status, answer = api(
        server, "call", {"service": "sqs", "operation": "ListQueues", "credentials": viewer}, token
    )
    assert answer["error"]["code"] in ("AccessDenied", "AccessDeniedException"), answer  # no policy allows it
    assert api(server, "requests", {"credentials": viewer}, token)[0] == 403  # not an admin


def test_the_log_tells_the_page_s_own_calls_from_the_user_s(endpoint):
    token = page_token(endpoint)
    account = "303030303030"
    api(endpoint, "call", {"service": "sqs", "operation": "ListQueues", "account": account}, token)
    api(
        endpoint,
        "call",
        {"service": "sqs", "operation": "GetQueueUrl", "params": {"QueueName": "x"}, "account": account},
        token,
    )
    boto3.client(
        "sqs",
        endpoint_url=endpoint,
        aws_access_key_id=account,
        aws_secret_access_key="x",
        region_name="us-east-1",
    ).list_queues()
    _, answer = api(endpoint, "requests", {"account": account}, token)
    assert [(e["operation"], e["dashboard"]) for e in answer["requests"]] == [
        ("ListQueues", True),
        ("GetQueueUrl", True),
        ("ListQueues", False),
    ]
