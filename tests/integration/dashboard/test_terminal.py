"""What the terminal says: the table `overcast start` prints, one line per request (plain when
not a terminal, or JSON), and `overcast logs`, `ps`, `state reset` and `completion`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import boto3
import pytest

from tests.conftest import BIN, Server


def _get_page(server: Server) -> str:
    import urllib.request

    with urllib.request.urlopen(f"{server.endpoint}/_overcast/", timeout=30) as response:
        return response.read().decode()


def _post_api(server: Server, token: str, payload: dict) -> dict:
    import urllib.request

    request = urllib.request.Request(
        f"{server.endpoint}/_overcast/api/call",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "X-Overcast-Token": token},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "overcast"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", **(env or {})},
    )


def client(server: Server, service: str, account: str = "test"):
    return boto3.client(
        service,
        endpoint_url=server.endpoint,
        aws_access_key_id=account,
        aws_secret_access_key="test",
        region_name="us-east-1",
    )


def read_until(server: Server, needle: str, timeout: float = 20) -> str:
    """What the server printed up to the first line holding `needle`."""
    assert server.process.stdout is not None
    os.set_blocking(server.process.stdout.fileno(), True)
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = server.process.stdout.readline()
        seen.append(line)
        if needle in line:
            return "".join(seen)
    raise AssertionError(f"{needle!r} not printed: {''.join(seen)}")


@pytest.fixture(scope="module")
def talking():
    instance = Server("--ephemeral")
    yield instance
    instance.stop()


def test_start_prints_the_table_then_plain_lines_with_the_account_and_error(talking):
    s3 = client(talking, "s3", "222233334444")
    with pytest.raises(s3.exceptions.NoSuchBucket):
        s3.list_objects_v2(Bucket="nowhere-to-be-found")
    client(talking, "sqs", "222233334444").list_queues()
    printed = read_until(talking, "sqs.ListQueues 200")
    assert f"Dashboard      http://localhost:{talking.port}/_overcast/" in printed
    assert f"http://localhost:{talking.port}/_aws/execute-api/{{api-id}}/{{stage}}/{{path}}" in printed
    services = next(line for line in printed.splitlines() if line.strip().startswith("Services"))
    assert services.split()[1:3] == sorted(services.split()[1:3])  # the first of them, in order
    assert "apigateway" in printed
    assert "s3.ListObjectsV2 404 " in printed and "NoSuchBucket" in printed and "222233334444" in printed
    assert "\x1b[" not in printed  # a pipe is not a terminal: no colour


def test_json_lines_for_machines():
    server = Server("--ephemeral", "--log-format", "json")
    try:
        sqs = client(server, "sqs")
        with pytest.raises(sqs.exceptions.QueueDoesNotExist):
            sqs.get_queue_url(QueueName="missing")
        printed = read_until(server, '"GetQueueUrl"')
    finally:
        server.stop()
    record = json.loads(printed.strip().splitlines()[-1])
    assert record["service"] == "sqs" and record["status"] == 400
    assert record["error_code"] == "QueueDoesNotExist" and record["account"] == "000000000000"
    assert "Dashboard" not in printed  # the table is for people


def test_colour_when_forced():
    server = Server("--ephemeral", env={"FORCE_COLOR": "1"})
    try:
        client(server, "sts").get_caller_identity()
        printed = read_until(server, "sts.GetCallerIdentity")
    finally:
        server.stop()
    assert "\x1b[32msts.GetCallerIdentity 200" in printed


def test_logs_ps_and_state_reset(talking):
    sqs = client(talking, "sqs", "555566667777")
    url = sqs.create_queue(QueueName="kept")["QueueUrl"]
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName="absent")
    endpoint = ["--endpoint", talking.endpoint]
    result = run_cli("logs", "--account", "555566667777", *endpoint)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "sqs.CreateQueue 200" in lines[-2] and "sqs.GetQueueUrl 400" in lines[-1]
    assert "QueueDoesNotExist" in lines[-1]
    result = run_cli("logs", "--errors", "--json", "--service", "sqs", "--account", "555566667777", *endpoint)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["operation"], r["input"]) for r in records] == [("GetQueueUrl", {"QueueName": "absent"})]

    page = _get_page(talking)
    token = page.split('name="overcast-token" content="', 1)[1].split('"', 1)[0]
    _post_api(talking, token, {"service": "sqs", "operation": "ListQueues", "account": "555566667777"})
    shown = run_cli("logs", "--account", "555566667777", *endpoint).stdout.splitlines()
    hidden = run_cli("logs", "--account", "555566667777", "--hide-dashboard", *endpoint).stdout.splitlines()
    assert "sqs.ListQueues 200" in shown[-1] and len(hidden) == len(shown) - 1

    result = run_cli("ps", *endpoint)
    assert result.returncode == 0 and ("no engines running" in result.stdout or "SERVICE" in result.stdout)

    result = run_cli("state", "reset", *endpoint)
    assert result.returncode == 0, result.stderr
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName=url.rsplit("/", 1)[1])
    assert run_cli("state", "export", *endpoint).returncode == 1  # FILE is needed there


def test_logs_follow_prints_new_requests(talking):
    process = subprocess.Popen(
        [
            str(BIN / "overcast"),
            "logs",
            "--follow",
            "--account",
            "888899990000",
            "--endpoint",
            talking.endpoint,
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"},
    )
    try:
        time.sleep(1)
        client(talking, "sts", "888899990000").get_caller_identity()
        assert process.stdout is not None
        assert "sts.GetCallerIdentity 200" in process.stdout.readline()
    finally:
        process.terminate()
        process.wait(10)


def test_logs_says_when_nothing_answers():
    result = run_cli("logs", "--endpoint", "http://127.0.0.1:9")
    assert result.returncode == 1 and "not answering" in result.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completion_scripts(shell):
    result = run_cli("completion", shell)
    assert result.returncode == 0 and "complete -F _overcast overcast" in result.stdout
    if shutil.which("bash"):
        script = (
            result.stdout + '\nCOMP_WORDS=(overcast st); COMP_CWORD=1; _overcast; echo "${COMPREPLY[@]}"\n'
        )
        if shell == "zsh":
            script = script.replace("autoload -U +X bashcompinit && bashcompinit", "")
        said = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
        assert said.stdout.split() == ["start", "state", "status"], said.stderr
        logs = subprocess.run(
            [
                "bash",
                "-c",
                result.stdout.replace("autoload -U +X bashcompinit && bashcompinit", "")
                + '\nCOMP_WORDS=(overcast logs --s); COMP_CWORD=2; _overcast; echo "${COMPREPLY[@]}"\n',
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert logs.stdout.split() == ["--service"]


def test_the_in_process_imports_stay_light():
    """The CLI module loads the observing commands' module, which loads nothing heavy."""
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, overcast.cli; overcast.cli.build_parser(); print('botocore.session' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.strip() == "False", out.stderr
