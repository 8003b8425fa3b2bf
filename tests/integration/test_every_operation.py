"""Every operation of every implemented service's botocore model answers: AWS's behaviour or
AWS's own error, never 501 (Overcast's "not yet emulated"). Each operation is sent once through
boto3 with the smallest input the model allows, against a server of its own (the inputs are
nonsense names and values, and some operations change account-wide settings)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from overcast import services
from tests.conftest import Server

GAPS_FILE = Path(__file__).with_name("operation_gaps.txt")
GAPS = {
    tuple(line.split())
    for line in GAPS_FILE.read_text().splitlines()
    if line.strip() and not line.startswith("#")
}


def _implemented() -> list[str]:
    return sorted(services.implemented())


def _minimal(shape: Any, depth: int = 0) -> Any:
    """The smallest value the model accepts for a shape: required members only, lists of one."""
    kind = shape.type_name
    if kind == "structure":
        if depth > 6:
            return {}
        names = [n for n in shape.required_members if not shape.members[n].metadata.get("eventstream")]
        if not names and depth and shape.members:
            # A required structure with no required members: one member, so that the query
            # protocol, which drops empty structures, still sends it.
            names = [next(iter(shape.members))]
        return {name: _minimal(shape.members[name], depth + 1) for name in names}
    if kind == "list":
        return [_minimal(shape.member, depth + 1)]
    if kind == "map":
        return {"k": _minimal(shape.value, depth + 1)}
    if kind == "string":
        if shape.enum:
            return shape.enum[0]
        return "x" * max(int(shape.metadata.get("min", 1)), 1)
    if kind in ("integer", "long"):
        return int(shape.metadata.get("min", 1))
    if kind in ("float", "double"):
        return float(shape.metadata.get("min", 1))
    if kind == "boolean":
        return False
    if kind == "timestamp":
        return 0
    if kind == "blob":
        return b"x"
    return None


def _operations() -> list[Any]:
    session = botocore.session.get_session()
    cases = []
    for service in _implemented():
        for name in session.get_service_model(service).operation_names:
            gap = (service, name) in GAPS
            marks = [pytest.mark.xfail(strict=True, reason="a known gap")] if gap else []
            cases.append(pytest.param(service, name, marks=marks))
    return cases


@pytest.fixture(scope="module")
def walker():
    instance = Server("--ephemeral", "--quiet")
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    config = Config(
        parameter_validation=False,
        retries={"max_attempts": 1},
        read_timeout=20,
        connect_timeout=5,
        s3={"addressing_style": "path"},
        inject_host_prefix=False,
    )
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = session.client(service, endpoint_url=instance.endpoint, config=config)
        return clients[service]

    yield client
    instance.stop()


@pytest.mark.parametrize(("service", "operation"), _operations())
def test_operation_answers(walker, service: str, operation: str) -> None:
    client = walker(service)
    model = client.meta.service_model.operation_model(operation)
    params = _minimal(model.input_shape) if model.input_shape is not None else {}
    method = getattr(client, botocore.xform_name(operation))
    try:
        result = method(**params)
    except ClientError as error:
        status = error.response["ResponseMetadata"].get("HTTPStatusCode")
        code = error.response["Error"].get("Code")
        # An unroutable request ("UnknownService") is as unanswered as a 501.
        assert status != 501 and code not in ("NotImplemented", "UnknownService"), (
            f"{service}.{operation} answered {status} {code}: {error.response['Error'].get('Message')}"
        )
        assert status is None or status < 500, f"{service}.{operation} answered {status} {code}"
        return
    stream = result.get("Payload") or result.get("Body") if isinstance(result, dict) else None
    if hasattr(stream, "close"):
        stream.close()
