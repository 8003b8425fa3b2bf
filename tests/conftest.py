"""Fixtures shared by every test: a real Overcast server (ephemeral state, free port) started once
per test session, and boto3 / aws CLI wired to it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# Serializers fail on an output key the model does not have, rather than warn: a handler's bug
# surfaces in the test that meets it. The server processes inherit it, in-process runtimes read it.
os.environ.setdefault("OVERCAST_STRICT_WIRE", "1")

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(endpoint: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"overcast exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{endpoint}/_overcast/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("overcast did not become healthy")


class Server:
    """An Overcast child process."""

    def __init__(self, *args: str, env: dict | None = None) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = open(os.devnull, "w") if "--quiet" in args else None
        self.process = subprocess.Popen(
            [sys.executable, "-m", "overcast", "start", "--port", str(self.port), *args],
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        wait_healthy(self.endpoint, self.process)

    def health(self) -> dict:
        with urllib.request.urlopen(f"{self.endpoint}/_overcast/health", timeout=5) as response:
            return json.loads(response.read())

    def stop(self, kill: bool = False) -> str:
        if self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
        output, _ = self.process.communicate(timeout=30)
        return output


@pytest.fixture(scope="session")
def server():
    # Quiet: nobody reads this server's output, and a full pipe of request log lines would
    # block it mid-suite.
    instance = Server("--ephemeral", "--quiet")
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def enforced():
    """A second server that authorizes every request with IAM and verifies signatures
    (--enforce-iam), shared by the tests of every service that need one."""
    instance = Server("--ephemeral", "--quiet", "--enforce-iam")
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def postgres():
    """A private PostgreSQL server (tests/postgres.py); skips where the machine has none."""
    from tests.postgres import PostgresServer, binaries

    if binaries() is None:
        pytest.skip("no PostgreSQL binaries: install Debian's postgresql package")
    instance = PostgresServer()
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def endpoint(server) -> str:
    return server.endpoint


@pytest.fixture(scope="session")
def client(endpoint):
    """`client("sqs")` → a boto3 client for the test server."""
    import boto3

    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )

    def make(service: str, **kwargs):
        return session.client(service, endpoint_url=endpoint, **kwargs)

    return make


@pytest.fixture(scope="session")
def aws(endpoint):
    """`aws("sts", "get-caller-identity")` → the parsed JSON output of the real aws CLI."""

    def run(*args: str, check: bool = True, env: dict | None = None):
        command = [str(BIN / "aws"), "--endpoint-url", endpoint, "--output", "json", *args]
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, **CREDENTIALS, **(env or {})},
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed ({result.returncode}): {result.stderr}")
        if check:
            return json.loads(result.stdout) if result.stdout.strip() else None
        return result

    return run


def pytest_addoption(parser):
    group = parser.getgroup("overcast conformance")
    group.addoption(
        "--conformance-examples", type=int, help="examples per operation (default: the test's own)"
    )
    group.addoption(
        "--conformance-random", action="store_true", help="fresh examples instead of reproducible ones"
    )
    group.addoption("--conformance-services", help="'all' for every service botocore ships")


def pytest_configure(config):
    # The conformance modules read these when imported, which is after configuration.
    for option, variable in (
        ("conformance_examples", "OVERCAST_CONFORMANCE_EXAMPLES"),
        ("conformance_random", "OVERCAST_CONFORMANCE_RANDOM"),
        ("conformance_services", "OVERCAST_CONFORMANCE_SERVICES"),
    ):
        value = config.getoption(option)
        if value:
            os.environ[variable] = "1" if value is True else str(value)
