"""Overcast's own endpoints that reveal or change state refuse what a web page on another site
could send (a foreign Origin or Host, Sec-Fetch-Site, simple-request content types) and, under
--enforce-iam, anyone but a signed admin; health stays open. The CLI keeps working."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import tarfile

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.conftest import BIN, CREDENTIALS, Server

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def own():
    """A server of this module's own: its state is reset and replaced here."""
    instance = Server("--ephemeral", "--quiet")
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def guarded():
    instance = Server("--ephemeral", "--quiet", "--enforce-iam")
    yield instance
    instance.stop()


def call(server: Server, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response.status, response.read()


def signed_call(server: Server, method: str, path: str, key: str, secret: str, body: bytes = b"", token=None):
    url = f"{server.endpoint}{path}"
    request = AWSRequest(method=method, url=url, data=body, headers=dict(JSON) if body else {})
    SigV4Auth(Credentials(key, secret, token), "overcast", "us-east-1").add_auth(request)
    return call(server, method, path, body, dict(request.headers.items()))


def queue_names(server: Server) -> list[str]:
    sqs = boto3.client(
        "sqs",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    return [url.rsplit("/", 1)[1] for url in sqs.list_queues().get("QueueUrls", [])]


def make_queue(server: Server, name: str) -> None:
    sqs = boto3.client(
        "sqs",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    sqs.create_queue(QueueName=name)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil", "Content-Type": "text/plain"},
        {"Origin": "http://evil", **JSON},
        {"Origin": "null", **JSON},
        {"Content-Type": "text/plain"},
        {"Content-Type": "application/x-www-form-urlencoded"},
        {"Content-Type": "multipart/form-data; boundary=x"},
        {"Sec-Fetch-Site": "cross-site", **JSON},
        {"Host": "evil.example:4566", **JSON},
        {"Host": "attacker.localhost.evil.com", **JSON},
    ],
)
@pytest.mark.parametrize("path", ["/_overcast/state/reset", "/_localstack/state/reset", "/moto-api/reset"])
def test_cross_site_reset_is_refused(own, path, headers):
    make_queue(own, "kept")
    status, body = call(own, "POST", path, b"", headers)
    assert status == 403, body
    assert "error" in json.loads(body)
    assert "kept" in queue_names(own)


def test_cross_site_import_is_refused(own, tmp_path):
    make_queue(own, "before-import")
    status, body = call(own, "GET", "/_overcast/state/export")
    assert status == 200
    for headers in ({"Origin": "http://evil", "Content-Type": "text/plain"}, {"Content-Type": "text/plain"}):
        status, answer = call(own, "POST", "/_overcast/state/import", body, headers)
        assert status == 403, answer


def test_export_refuses_a_foreign_host_or_origin(own):
    for headers in (
        {"Host": "rebound.example.com:4566"},
        {"Origin": "http://evil"},
        {"Sec-Fetch-Site": "cross-site"},
    ):
        status, body = call(own, "GET", "/_overcast/state/export", b"", headers)
        assert status == 403 and b"error" in body


def test_own_origin_and_loopback_hosts_are_served(own):
    port = own.port
    for headers in (
        {},
        {"Host": f"localhost:{port}", "Origin": f"http://localhost:{port}"},
        {"Host": f"127.0.0.1:{port}", "Sec-Fetch-Site": "same-origin"},
        {"Host": f"[::1]:{port}"},
        {"Host": "localhost.localstack.cloud:4566"},
    ):
        status, body = call(own, "GET", "/_overcast/state/export", b"", headers)
        assert status == 200 and tarfile.is_tarfile(__import__("io").BytesIO(body)), headers


def test_reset_with_json_or_no_body_still_works(own):
    make_queue(own, "gone-soon")
    assert call(own, "POST", "/_overcast/state/reset", b"", JSON)[0] == 200
    assert "gone-soon" not in queue_names(own)
    make_queue(own, "gone-too")
    assert call(own, "POST", "/moto-api/reset")[0] == 200  # what requests.post(url) sends
    assert "gone-too" not in queue_names(own)


def test_health_stays_open(own):
    for path in ("/_overcast/health", "/_localstack/health"):
        status, body = call(own, "GET", path, b"", {"Host": "evil.example", "Origin": "http://evil"})
        assert status == 200 and json.loads(body)["services"]


def test_service_internal_routes_are_guarded(own):
    status, _ = call(own, "GET", "/_overcast/sns/messages", b"", {"Host": "evil.example"})
    assert status == 403
    status, _ = call(own, "DELETE", "/_overcast/sns/messages", b"", {"Origin": "http://evil"})
    assert status == 403
    opt_out = json.dumps({"phoneNumber": "+15555550100"}).encode()
    status, _ = call(own, "POST", "/_overcast/sns/sms/opt-outs", opt_out, {"Content-Type": "text/plain"})
    assert status == 403
    assert call(own, "GET", "/_overcast/sns/messages")[0] == 200


def test_enforced_server_wants_a_signed_admin(guarded):
    status, body = call(guarded, "GET", "/_overcast/state/export")
    assert status == 403 and b"overcast:ExportState" in body
    assert call(guarded, "POST", "/_overcast/state/reset", b"", JSON)[0] == 403
    # A key whose secret Overcast cannot check is not taken at its word here.
    assert signed_call(guarded, "GET", "/_overcast/state/export", "111111111111", "anything")[0] == 403
    assert signed_call(guarded, "GET", "/_overcast/state/export", "test", "wrong")[0] == 403
    status, body = signed_call(guarded, "GET", "/_overcast/state/export", "test", "test")
    assert status == 200 and body[:2] == b"\x1f\x8b"
    # Signed, but still refused from another site.
    url = f"{guarded.endpoint}/_overcast/state/export"
    request = AWSRequest(method="GET", url=url, headers={"Origin": "http://evil"})
    SigV4Auth(Credentials("test", "test"), "overcast", "us-east-1").add_auth(request)
    assert call(guarded, "GET", "/_overcast/state/export", b"", dict(request.headers.items()))[0] == 403


def test_enforced_server_asks_iam_for_other_principals(guarded):
    iam = boto3.client(
        "iam",
        endpoint_url=guarded.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    iam.create_user(UserName="operator")
    iam.create_user(UserName="intern")
    allow = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "overcast:ExportState", "Resource": "*"}],
    }
    iam.put_user_policy(UserName="operator", PolicyName="export", PolicyDocument=json.dumps(allow))
    operator = iam.create_access_key(UserName="operator")["AccessKey"]
    intern = iam.create_access_key(UserName="intern")["AccessKey"]
    path = "/_overcast/state/export"
    status, _ = signed_call(guarded, "GET", path, operator["AccessKeyId"], operator["SecretAccessKey"])
    assert status == 200
    status, body = signed_call(guarded, "GET", path, intern["AccessKeyId"], intern["SecretAccessKey"])
    assert status == 403 and b"intern is not authorized to perform: overcast:ExportState" in body
    # ExportState does not reach reset.
    status, body = signed_call(
        guarded, "POST", "/_overcast/state/reset", operator["AccessKeyId"], operator["SecretAccessKey"], b"{}"
    )
    assert status == 403 and b"overcast:ResetState" in body


def test_cli_signs_under_enforcement(guarded, tmp_path):
    overcast = str(BIN / "overcast")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "none")
    target = tmp_path / "state.tar.gz"
    run = [overcast, "state", "export", str(target), "--endpoint", guarded.endpoint]
    unsigned = subprocess.run(run, capture_output=True, text=True, timeout=60, env=env)
    assert unsigned.returncode == 1 and "ExportState" in unsigned.stderr
    result = subprocess.run(run, capture_output=True, text=True, timeout=60, env={**env, **CREDENTIALS})
    assert result.returncode == 0, result.stderr
    assert tarfile.is_tarfile(target) and target.stat().st_mode & 0o077 == 0
    back = [overcast, "state", "import", str(target), "--endpoint", guarded.endpoint]
    result = subprocess.run(back, capture_output=True, text=True, timeout=60, env={**env, **CREDENTIALS})
    assert result.returncode == 0, result.stderr
    status = subprocess.run(
        [overcast, "status", "--endpoint", guarded.endpoint],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert status.returncode == 0 and "sts" in status.stdout
