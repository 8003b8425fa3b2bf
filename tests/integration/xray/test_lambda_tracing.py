"""Lambda active and passive tracing: a function with TracingConfig Active whose handler, with
the X-Ray SDK patched into boto3, puts an item into DynamoDB makes one trace whose service
graph reads client → Lambda → function → DynamoDB; the handler sees _X_AMZN_TRACE_ID; a
caller's sampled X-Amzn-Trace-Id is continued, an untraced function records nothing."""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from pathlib import Path

import aws_xray_sdk
import boto3
import pytest
import wrapt

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
HANDLER = """
import json, os
import boto3
from aws_xray_sdk.core import patch

patch(["botocore"])
table = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def handler(event, context):
    table.put_item(Item={"id": context.aws_request_id})
    return {"trace": os.environ.get("_X_AMZN_TRACE_ID")}
"""


def package() -> bytes:
    """The handler with the X-Ray SDK (and wrapt, which it needs) beside it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", HANDLER)
        for module in (aws_xray_sdk, wrapt):
            root = Path(module.__file__).parent
            for path in root.rglob("*"):
                if path.is_file() and "__pycache__" not in path.parts:
                    archive.write(path, f"{root.name}/{path.relative_to(root)}")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def clients(daemon_server):
    server, _port = daemon_server

    def make(service: str):
        return boto3.client(
            service,
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    return make


@pytest.fixture(scope="module")
def table(clients):
    name = f"traced-{uuid.uuid4().hex[:8]}"
    clients("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def create_function(clients, table: str, mode: str) -> str:
    lam = clients("lambda")
    name = f"traced-{uuid.uuid4().hex[:8]}"
    lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=ROLE,
        Handler="handler.handler",
        Code={"ZipFile": package()},
        Environment={"Variables": {"TABLE": table}},
        TracingConfig={"Mode": mode},
        Timeout=30,
    )
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 300}
    )
    return name


def root_of(header: str) -> str:
    return dict(part.split("=", 1) for part in header.split(";"))["Root"]


def wait_for_trace(xray, trace_id: str, names: set[str], timeout: float = 15) -> list[dict]:
    """The trace's graph once it has every node in `names` (the SDK's subsegments come over UDP)."""
    deadline = time.monotonic() + timeout
    services: list[dict] = []
    while time.monotonic() < deadline:
        services = xray.get_trace_graph(TraceIds=[trace_id])["Services"]
        if names <= {s.get("Name") for s in services}:
            return services
        time.sleep(0.1)
    return services


def test_active_tracing_makes_one_trace_client_lambda_dynamodb(clients, table):
    name = create_function(clients, table, "Active")
    out = clients("lambda").invoke(FunctionName=name, Payload=b"{}")
    assert "FunctionError" not in out, out["Payload"].read()
    header = json.loads(out["Payload"].read())["trace"]
    assert header.endswith(";Sampled=1") and ";Parent=" in header
    xray = clients("xray")
    services = wait_for_trace(xray, root_of(header), {name, "DynamoDB"})
    nodes = {(s.get("Name"), s.get("Type")): s for s in services}
    client_node = nodes[(None, "client")]
    service_node = nodes[(name, "AWS::Lambda")]
    function_node = nodes[(name, "AWS::Lambda::Function")]
    dynamodb = nodes[("DynamoDB", "AWS::DynamoDB::Table")]
    assert [e["ReferenceId"] for e in client_node["Edges"]] == [service_node["ReferenceId"]]
    assert [e["ReferenceId"] for e in service_node["Edges"]] == [function_node["ReferenceId"]]
    assert [e["ReferenceId"] for e in function_node["Edges"]] == [dynamodb["ReferenceId"]]
    trace = xray.batch_get_traces(TraceIds=[root_of(header)])["Traces"][0]
    documents = [json.loads(s["Document"]) for s in trace["Segments"]]
    function_segment = next(d for d in documents if d.get("origin") == "AWS::Lambda::Function")
    assert {"Invocation", "Overhead"} <= {sub["name"] for sub in function_segment["subsegments"]}
    assert function_segment["id"] in header


def test_passive_tracing_continues_the_callers_trace(clients, table):
    name = create_function(clients, table, "PassThrough")
    lam = clients("lambda")
    root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
    parent = uuid.uuid4().hex[:16]

    def add_header(request, **kwargs):
        request.headers["X-Amzn-Trace-Id"] = f"Root={root};Parent={parent};Sampled=1"

    lam.meta.events.register("before-sign.lambda.Invoke", add_header)
    try:
        out = lam.invoke(FunctionName=name, Payload=b"{}")
    finally:
        lam.meta.events.unregister("before-sign.lambda.Invoke", add_header)
    header = json.loads(out["Payload"].read())["trace"]
    assert root_of(header) == root
    trace = clients("xray").batch_get_traces(TraceIds=[root])["Traces"][0]
    service_segment = next(
        json.loads(s["Document"])
        for s in trace["Segments"]
        if json.loads(s["Document"]).get("origin") == "AWS::Lambda"
    )
    assert service_segment["parent_id"] == parent


def test_an_untraced_function_records_nothing(clients, table):
    name = create_function(clients, table, "PassThrough")
    out = clients("lambda").invoke(FunctionName=name, Payload=b"{}")
    header = json.loads(out["Payload"].read())["trace"]
    assert header.endswith(";Sampled=0")
    assert clients("xray").batch_get_traces(TraceIds=[root_of(header)])["Traces"] == []


def test_a_nodejs_handler_sees_the_trace_header(clients):
    lam = clients("lambda")
    name = f"traced-node-{uuid.uuid4().hex[:8]}"
    source = "exports.handler = async () => ({ trace: process.env._X_AMZN_TRACE_ID || null });"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.js", source)
    lam.create_function(
        FunctionName=name,
        Runtime="nodejs20.x",
        Role=ROLE,
        Handler="index.handler",
        Code={"ZipFile": buffer.getvalue()},
        TracingConfig={"Mode": "Active"},
    )
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 300}
    )
    header = json.loads(lam.invoke(FunctionName=name)["Payload"].read())["trace"]
    assert header.endswith(";Sampled=1")
    segments = clients("xray").batch_get_traces(TraceIds=[root_of(header)])["Traces"][0]["Segments"]
    assert {json.loads(s["Document"])["origin"] for s in segments} == {"AWS::Lambda", "AWS::Lambda::Function"}


def test_an_asynchronous_invocation_continues_the_callers_trace(clients, table):
    name = create_function(clients, table, "PassThrough")
    lam = clients("lambda")
    root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"

    def add_header(request, **kwargs):
        request.headers["X-Amzn-Trace-Id"] = f"Root={root};Parent={uuid.uuid4().hex[:16]};Sampled=1"

    lam.meta.events.register("before-sign.lambda.Invoke", add_header)
    try:
        assert lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")["StatusCode"] == 202
    finally:
        lam.meta.events.unregister("before-sign.lambda.Invoke", add_header)
    services = wait_for_trace(clients("xray"), root, {name})
    assert {(s.get("Name"), s.get("Type")) for s in services} >= {
        (name, "AWS::Lambda"),
        (name, "AWS::Lambda::Function"),
    }
