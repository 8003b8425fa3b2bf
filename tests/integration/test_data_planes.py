"""The data planes' URL forms the health endpoint (and so `overcast status`) lists are URLs that
answer: each form of a REST API, an HTTP API, a function URL and an S3 website is filled in
with a real resource's id and called with a plain HTTP client, by Host header and by path."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import urllib.request
from urllib.parse import urlsplit

import pytest

from tests.integration.apigateway.helpers import Api, call, unique

_lambda = importlib.import_module("tests.integration.lambda.helpers")

HANDLER = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"path": event.get("rawPath") or event.get("path")})}
"""


def _planes(endpoint: str) -> dict[str, dict]:
    with urllib.request.urlopen(f"{endpoint}/_overcast/health", timeout=30) as response:
        health = json.loads(response.read())
    return {plane["name"]: plane for plane in health["data_planes"]}


def _fill(form: str, **values: str) -> str:
    for name, value in values.items():
        form = form.replace("{" + name.replace("_", "-") + "}", value)
    assert "{" not in form, form
    return form


def _by_host(endpoint: str, url: str, method: str = "GET"):
    """Call a host-form URL through Overcast's address with its Host header, as a machine
    whose DNS resolves the name to Overcast would."""
    parts = urlsplit(url)
    target = f"{endpoint}{parts.path}" + (f"?{parts.query}" if parts.query else "")
    return call(target, method, headers={"Host": parts.netloc})


@pytest.fixture(scope="module")
def function(client):
    lam = client("lambda")
    name = _lambda.create(lam, HANDLER)
    return lam.get_function(FunctionName=name)["Configuration"]


def test_health_lists_every_data_plane_with_this_servers_address(endpoint):
    planes = _planes(endpoint)
    port = urlsplit(endpoint).port
    rest = planes["API Gateway REST API"]
    assert (
        rest["host_form"]
        == f"http://{{api-id}}.execute-api.localhost.localstack.cloud:{port}/{{stage}}/{{path}}"
    )
    assert rest["path_forms"] == [
        f"{endpoint}/restapis/{{api-id}}/{{stage}}/_user_request_/{{path}}",
        f"{endpoint}/_aws/execute-api/{{api-id}}/{{stage}}/{{path}}",
    ]
    assert planes["API Gateway WebSocket API"]["path_forms"] == [
        "ws" + endpoint[len("http") :] + "/_aws/execute-api/{api-id}/{stage}"
    ]
    assert planes["EC2 instance metadata"]["host_form"] is None
    assert planes["EKS cluster endpoint"]["path_forms"] == [
        f"{endpoint}/_aws/eks/{{account}}/{{region}}/{{cluster-name}}/"
    ]
    for name in ("API Gateway HTTP API", "Lambda function URL", "S3 website", "CloudFront distribution",
                 "Application Load Balancer"):  # fmt: skip
        assert planes[name]["host_form"].startswith("http://{") and planes[name]["path_forms"], name


def test_every_form_of_a_rest_api_answers(endpoint, client):
    api = Api(client("apigateway"))
    api.method(
        "/hello",
        "GET",
        {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
        responses={"200": {"responseTemplates": {"application/json": '{"stage": "$context.stage"}'}}},
    )
    api.deploy("dev")
    plane = _planes(endpoint)["API Gateway REST API"]
    values = {"api_id": api.id, "stage": "dev", "path": "hello"}
    answers = [_by_host(endpoint, _fill(plane["host_form"], **values))]
    answers += [call(_fill(form, **values)) for form in plane["path_forms"]]
    for answer in answers:
        assert answer.status == 200, answer
        assert answer.json() == {"stage": "dev"}


def test_every_form_of_an_http_api_answers(endpoint, client, function):
    v2 = client("apigatewayv2")
    api = v2.create_api(Name=unique("http"), ProtocolType="HTTP", Target=function["FunctionArn"])
    plane = _planes(endpoint)["API Gateway HTTP API"]
    values = {"api_id": api["ApiId"], "path": "some/where"}
    for answer in (
        _by_host(endpoint, _fill(plane["host_form"], **values)),
        *(call(_fill(form, **values)) for form in plane["path_forms"]),
    ):
        assert answer.status == 200, answer
        assert answer.json() == {"path": "/some/where"}


def test_every_form_of_a_function_url_answers(endpoint, client, function):
    lam = client("lambda")
    name = function["FunctionName"]
    url = lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    lam.add_permission(
        FunctionName=name,
        StatementId="url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    url_id = urlsplit(url).hostname.split(".")[0]
    plane = _planes(endpoint)["Lambda function URL"]
    values = {"url_id": url_id, "region": "us-east-1", "path": "a/b"}
    host_answer = _by_host(endpoint, _fill(plane["host_form"], **values))
    assert host_answer.status == 200, host_answer
    assert host_answer.json() == {"path": "/a/b"}
    for form in plane["path_forms"]:
        answer = call(_fill(form, **values))
        assert answer.status == 200, answer
        assert answer.json() == {"path": "/a/b"}  # the function sees the path after the URL id
    missing = call(_fill(plane["path_forms"][0], url_id="0" * 32, region="us-east-1", path=""))
    assert missing.status == 403


def test_every_form_of_an_s3_website_answers(endpoint, client):
    s3 = client("s3")
    bucket = unique("site")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    public_read = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_read))
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"<h1>home</h1>", ContentType="text/html")
    s3.put_object(Bucket=bucket, Key="docs/index.html", Body=b"<h1>docs</h1>", ContentType="text/html")
    plane = _planes(endpoint)["S3 website"]
    host_answer = _by_host(endpoint, _fill(plane["host_form"], bucket=bucket, key=""))
    assert (host_answer.status, host_answer.body) == (200, b"<h1>home</h1>")
    for form in plane["path_forms"]:
        answer = call(_fill(form, bucket=bucket, key="docs/"))
        assert (answer.status, answer.body) == (200, b"<h1>docs</h1>")
        # A folder without its slash redirects within the path form (urllib follows it).
        assert call(_fill(form, bucket=bucket, key="docs")).body == b"<h1>docs</h1>"
    request = urllib.request.Request(_fill(plane["path_forms"][0], bucket=bucket, key="docs"))
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as raised:
        opener.open(request, timeout=30)
    assert raised.value.code == 302
    assert raised.value.headers["Location"] == f"/_aws/s3-website/{bucket}/docs/"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_overcast_status_prints_the_data_planes(endpoint):
    result = subprocess.run(
        [sys.executable, "-m", "overcast", "status", "--endpoint", endpoint],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "DATA PLANES" in result.stdout
    assert f"  {endpoint}/restapis/{{api-id}}/{{stage}}/_user_request_/{{path}}" in result.stdout
    assert f"  {endpoint}/_aws/lambda-url/{{url-id}}/{{path}}" in result.stdout
