"""The pytest plugin `pip install overcast` registers (entry point `pytest11`).

Fixtures:

* `overcast` — one Overcast for the test session (in this process, on a free port, state in
  memory), started on first use and stopped at the end; or the one --overcast-endpoint names.
* `overcast_account` — a fresh 12-digit account for each test: tests never see each other's
  resources, so they run in parallel (pytest-xdist) with no reset between them.
* `aws_client("s3", region_name=...)` and `aws_resource("dynamodb")` — boto3 clients and
  resources acting as that account against that server.

A test marked `@pytest.mark.overcast_reset` starts from empty state instead. When a test that
used Overcast fails, its report shows the requests its account made (the failures with their
input).
"""

from __future__ import annotations

import itertools
import os
import random
from typing import Any

import pytest

_counter = itertools.count(1)
_ACCOUNT_KEY = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("overcast", "Overcast, a local AWS cloud")
    group.addoption(
        "--overcast-endpoint",
        default=None,
        help="use the Overcast answering there instead of starting one in the test process",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "overcast_reset: start this test from Overcast's empty state")
    _rewrite_only_this_plugin(config)


def _rewrite_only_this_plugin(config: pytest.Config) -> None:
    """pytest rewrites the asserts of every module of a distribution that registers a plugin,
    which here is all of Overcast: a server, not test code. Rewriting it cost every in-process
    import and once tripped CPython's AST recursion check on a large module. Only this module
    is left marked. (pytest keeps the set privately; if that changes, nothing is done.)"""
    try:
        from _pytest.assertion.rewrite import assertstate_key

        marked = config.stash[assertstate_key].hook._must_rewrite  # type: ignore[union-attr]
    except (ImportError, KeyError, AttributeError):
        return
    if "overcast" in marked:
        marked.discard("overcast")
        marked.add(__name__)


@pytest.fixture(scope="session")
def overcast(request: pytest.FixtureRequest):
    """The session's Overcast: `.endpoint`, `.reset()`, `.requests(account=...)`."""
    from overcast.testing import InProcessServer, RemoteServer

    endpoint = request.config.getoption("overcast_endpoint")
    server: Any = RemoteServer(endpoint) if endpoint else InProcessServer()
    server.start()
    yield server
    server.stop()


def _new_account() -> str:
    """A 12-digit account no other test of this run uses: the process id and a counter make it
    unique across xdist workers, a random head across runs against a long-lived server."""
    head = random.randint(100, 999)
    return f"{head}{os.getpid() % 100000:05d}{next(_counter) % 10000:04d}"


@pytest.fixture
def overcast_account(request: pytest.FixtureRequest, overcast) -> str:
    if request.node.get_closest_marker("overcast_reset") is not None:
        overcast.reset()
    account = _new_account()
    request.node.stash[_ACCOUNT_KEY] = account
    return account


@pytest.fixture
def aws_client(overcast, overcast_account):
    """`aws_client("sqs")` → a boto3 client for the test's account (keyword arguments go to
    boto3's client(); region_name defaults to us-east-1)."""
    import boto3

    session = boto3.session.Session(
        aws_access_key_id=overcast_account, aws_secret_access_key="overcast", region_name="us-east-1"
    )

    def make(service: str, **kwargs: Any):
        return session.client(service, endpoint_url=overcast.endpoint, **kwargs)

    return make


@pytest.fixture
def aws_resource(overcast, overcast_account):
    """`aws_resource("dynamodb")` → a boto3 resource for the test's account."""
    import boto3

    session = boto3.session.Session(
        aws_access_key_id=overcast_account, aws_secret_access_key="overcast", region_name="us-east-1"
    )

    def make(service: str, **kwargs: Any):
        return session.resource(service, endpoint_url=overcast.endpoint, **kwargs)

    return make


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    account = item.stash.get(_ACCOUNT_KEY, None)
    server = getattr(item, "funcargs", {}).get("overcast")
    if account is None or server is None:
        return
    try:
        entries = server.requests(account=account, limit=50)
    except Exception as error:  # the report must not fail for want of the log
        report.sections.append(("Overcast requests", f"(the request log could not be read: {error})"))
        return
    report.sections.append(("Overcast requests", format_requests(entries, account)))


def format_requests(entries: list[dict[str, Any]], account: str) -> str:
    if not entries:
        return f"account {account} made no requests"
    lines = [f"account {account}, oldest first:"]
    for entry in entries:
        line = f"  {entry['service']}.{entry['operation']} {entry['status']} {entry['ms']:.1f}ms"
        if entry["error_code"]:
            line += f"  {entry['error_code']}: {entry['error_message']}"
            if entry.get("input") is not None:
                line += f"\n      input: {entry['input']}"
        lines.append(line)
    return "\n".join(lines)
