"""What the benchmarks replay.

A scenario is data: a name, an optional setup run once with botocore against the server
under test (create the bucket, the table, the queue), and the HTTP request(s) the load
generator sends over and over, round-robin.

Each service's scenarios live in a module of this package named after it (sts.py, s3.py ...).

A request is either written out by hand (`HttpRequest`) or described as an AWS call
(`AwsCall`) that botocore serializes and SigV4-signs once; the signed bytes are replayed
as they are, which is fine because Overcast does not verify signatures by default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import botocore.session
from botocore.client import BaseClient
from botocore.config import Config

REGION = "us-east-1"
ACCESS_KEY = "test"  # not a 12-digit key id: account 000000000000
SECRET_KEY = "test"


@dataclass(frozen=True)
class HttpRequest:
    method: str
    #: Path and query string, as sent on the request line.
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass(frozen=True)
class AwsCall:
    service: str
    operation: str
    params: dict[str, Any] = field(default_factory=dict)


ClientFactory = Callable[[str], BaseClient]


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    requests: tuple[HttpRequest | AwsCall, ...]
    setup: Callable[[ClientFactory], None] | None = None


def _collect() -> tuple[Scenario, ...]:
    """Every module of this package (one per service) lists its scenarios in SCENARIOS."""
    import importlib
    import pkgutil

    found: list[Scenario] = []
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        found.extend(importlib.import_module(f"{__name__}.{module.name}").SCENARIOS)
    return tuple(found)


SCENARIOS: tuple[Scenario, ...] = _collect()


def by_name() -> dict[str, Scenario]:
    return {scenario.name: scenario for scenario in SCENARIOS}


def client_factory(endpoint: str) -> ClientFactory:
    session = botocore.session.get_session()
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30)

    def make(service: str) -> BaseClient:
        return session.create_client(
            service,
            region_name=REGION,
            endpoint_url=endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=config,
        )

    return make


# wrk and the Python generator compute Content-Length themselves; Expect: 100-continue
# would make the server send an interim response a replaying client cannot handle.
_DROPPED_HEADERS = {"content-length", "expect", "transfer-encoding"}


class _Captured(Exception):
    def __init__(self, request: HttpRequest) -> None:
        super().__init__("captured")
        self.request = request


def _capture(request: Any, **_: Any) -> None:
    """botocore `before-send` hook: the request is serialized and signed; stop it here."""
    url = urlsplit(request.url)
    path = url.path or "/"
    if url.query:
        path += "?" + url.query
    body = request.body
    if body is None:
        body = b""
    elif hasattr(body, "read"):
        body = body.read()
    elif isinstance(body, str):
        body = body.encode("utf-8")
    headers = tuple(
        (name, value.decode("latin-1") if isinstance(value, bytes) else str(value))
        for name, value in request.headers.items()
        if name.lower() not in _DROPPED_HEADERS
    )
    raise _Captured(HttpRequest(request.method, path, headers, bytes(body)))


def signed_request(call: AwsCall, make_client: ClientFactory) -> HttpRequest:
    client = make_client(call.service)
    client.meta.events.register("before-send", _capture)
    method = getattr(client, botocore.xform_name(call.operation))
    try:
        method(**call.params)
    except _Captured as captured:
        return captured.request
    raise RuntimeError(f"botocore sent {call.service} {call.operation} instead of handing it over")


def build_requests(scenario: Scenario, endpoint: str) -> list[HttpRequest]:
    """The scenario's requests, addressed (Host header, signature) to `endpoint`."""
    make_client = client_factory(endpoint)
    return [
        item if isinstance(item, HttpRequest) else signed_request(item, make_client)
        for item in scenario.requests
    ]
