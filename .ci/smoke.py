"""Smoke test of a plain install (the README's first command, no test extras).

Usage: python .ci/smoke.py PLAIN_VENV

Starts PLAIN_VENV/bin/overcast on a free port, makes one call of every emulated service, runs
a Python Lambda function that imports boto3 and writes to DynamoDB, and (where node exists) a
Node.js function that does the same with the AWS SDK for JavaScript v3. The driver itself runs
in the test environment (it needs boto3 only as a client); everything the server does runs from
the plain install, so a runtime dependency missing from it fails here.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::000000000000:role/smoke"

#: One call of every emulated service: service → (operation, parameters).
CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "apigateway": ("get_rest_apis", {}),
    "apigatewayv2": ("get_apis", {}),
    "apigatewaymanagementapi": ("get_connection", {"ConnectionId": "none"}),
    "application-autoscaling": ("describe_scalable_targets", {"ServiceNamespace": "ecs"}),
    "autoscaling": ("describe_auto_scaling_groups", {}),
    "cloudformation": ("list_stacks", {}),
    "cloudfront": ("list_distributions", {}),
    "cloudtrail": ("describe_trails", {}),
    "cloudwatch": ("list_metrics", {}),
    "dynamodb": ("list_tables", {}),
    "ecr": ("describe_repositories", {}),
    "ec2": ("describe_vpcs", {}),
    "elasticache": ("describe_cache_clusters", {}),
    "dynamodbstreams": ("list_streams", {}),
    "ec2-instance-connect": (
        "send_ssh_public_key",
        {
            "InstanceId": "i-0123456789abcdef0",
            "InstanceOSUser": "ec2-user",
            "SSHPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
        },
    ),
    "ecs": ("list_clusters", {}),
    "eks": ("list_clusters", {}),
    "elb": ("describe_load_balancers", {}),
    "elbv2": ("describe_load_balancers", {}),
    "events": ("list_event_buses", {}),
    "iam": ("list_users", {}),
    "kinesis": ("list_streams", {}),
    "kms": ("generate_random", {"NumberOfBytes": 32}),
    "lambda": ("list_functions", {}),
    "logs": ("describe_log_groups", {}),
    "rds": ("describe_db_instances", {}),
    "rds-data": (
        "execute_statement",
        {
            "resourceArn": "arn:aws:rds:us-east-1:000000000000:cluster:smoke",
            "secretArn": "arn:aws:secretsmanager:us-east-1:000000000000:secret:smoke",
            "sql": "SELECT 1",
        },
    ),
    "s3": ("list_buckets", {}),
    "scheduler": ("list_schedules", {}),
    "secretsmanager": ("list_secrets", {}),
    "servicediscovery": ("list_namespaces", {}),
    "sns": ("list_topics", {}),
    "sqs": ("list_queues", {}),
    "ssm": ("get_parameter", {"Name": "/aws/service/global-infrastructure/regions/us-east-1"}),
    "route53": ("list_hosted_zones", {}),
    "route53resolver": ("list_resolver_rules", {}),
    "acm": ("list_certificates", {}),
    "sts": ("get_caller_identity", {}),
    "xray": ("get_sampling_rules", {}),
}

PYTHON_HANDLER = """
import boto3
def handler(event, context):
    boto3.client("dynamodb").put_item(TableName=event["table"], Item={"id": {"S": "python"}})
    return {"ok": True}
"""

NODE_HANDLER = """
const { DynamoDBClient, PutItemCommand } = require("@aws-sdk/client-dynamodb");
exports.handler = async (event) => {
  await new DynamoDBClient({}).send(new PutItemCommand({ TableName: event.table, Item: { id: { S: "node" } } }));
  return { ok: true };
};
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(venv: Path, workdir: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with open(Path(workdir, "server.log"), "w") as log:
        process = subprocess.Popen(
            [str(venv / "bin" / "overcast"), "start", "--port", str(port), "--ephemeral"],
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"overcast exited with {process.returncode}:\n{server_log(workdir)}")
        try:
            with urllib.request.urlopen(f"{endpoint}/_overcast/health", timeout=1):
                return process, endpoint
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("overcast did not become healthy in 60 s")


def server_log(workdir: str) -> str:
    return Path(workdir, "server.log").read_text(errors="replace")[-20000:]


def implemented(venv: Path) -> set[str]:
    """The services the plain install emulates, as it reports them."""
    code = "from overcast import services; print(' '.join(sorted(services.implemented())))"
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code], check=True, capture_output=True, text=True
    )
    return set(out.stdout.split())


def function_zip(filename: str, source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(filename, source)
    return buffer.getvalue()


def lambda_writes_item(client: Callable[[str], Any], runtime: str, filename: str, source: str) -> None:
    lam, ddb = client("lambda"), client("dynamodb")
    table = f"smoke-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    name = f"smoke-{uuid.uuid4().hex[:8]}"
    lam.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=ROLE,
        Handler=f"{filename.split('.')[0]}.handler",
        Code={"ZipFile": function_zip(filename, source)},
        Timeout=60,
    )
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 300}
    )
    response = lam.invoke(FunctionName=name, Payload=json.dumps({"table": table}).encode())
    payload = json.loads(response["Payload"].read())
    if response.get("FunctionError") or payload != {"ok": True}:
        raise AssertionError(f"{runtime} function failed: {payload}")
    key = "node" if runtime.startswith("nodejs") else "python"
    if "Item" not in ddb.get_item(TableName=table, Key={"id": {"S": key}}):
        raise AssertionError(f"{runtime} function did not write its item")


def dashboard_is_served(endpoint: str) -> None:
    """The dashboard's page and every module it loads come from the install itself."""
    import re

    with urllib.request.urlopen(f"{endpoint}/_overcast/", timeout=30) as response:
        page = response.read().decode()
    assets = re.findall(r'(?:src|href)="(/_overcast/ui/[^"]+)"', page)
    with urllib.request.urlopen(f"{endpoint}/_overcast/ui/pages/index.js", timeout=30) as response:
        assets += [
            f"/_overcast/ui/pages/{name}"
            for name in re.findall(r'import\("\./([a-z0-9]+\.js)"\)', response.read().decode())
        ]
    for asset in assets:
        with urllib.request.urlopen(f"{endpoint}{asset}", timeout=30) as response:
            response.read()


#: Services whose every call needs a live resource: their smoke call is answered with this
#: error (the management API of WebSocket connections: no connection is open).
EXPECTED_ERRORS = {
    "apigatewaymanagementapi": "GoneException",
    "ec2-instance-connect": "EC2InstanceNotFoundException",
    "rds-data": "HttpEndpointNotEnabledException",
}


def answers(service_client: Any, service: str, operation: str, params: dict[str, Any]) -> object:
    try:
        return getattr(service_client, operation)(**params)
    except ClientError as error:
        if error.response["Error"]["Code"] != EXPECTED_ERRORS.get(service):
            raise
        return None


def main() -> int:
    venv = Path(sys.argv[1]).resolve()
    workdir = tempfile.mkdtemp(prefix="overcast-smoke-")
    process, endpoint = start(venv, workdir)
    config = Config(retries={"max_attempts": 1}, read_timeout=300)

    def client(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=config,
        )

    checks: list[tuple[str, Callable[[], object]]] = []
    services = implemented(venv)
    uncovered = services - CALLS.keys()
    if uncovered:
        print(f"no smoke call for {', '.join(sorted(uncovered))}: add one to CALLS in .ci/smoke.py")
        return 1
    for service in sorted(services):
        operation, params = CALLS[service]
        checks.append(
            (f"{service}.{operation}", lambda s=service, o=operation, p=params: answers(client(s), s, o, p))
        )
    checks.append(("dashboard page and modules", lambda: dashboard_is_served(endpoint)))
    checks.append(
        (
            "python lambda with boto3",
            lambda: lambda_writes_item(client, "python3.12", "index.py", PYTHON_HANDLER),
        )
    )
    if shutil.which("node"):
        checks.append(
            (
                "node lambda with sdk v3",
                lambda: lambda_writes_item(client, "nodejs20.x", "index.js", NODE_HANDLER),
            )
        )
    else:
        print("skipped: node lambda with sdk v3 (no node on this machine)")
    passed = failed = 0
    try:
        for name, check in checks:
            try:
                check()
            except Exception as error:
                failed += 1
                print(f"FAILED {name}: {type(error).__name__}: {error}")
            else:
                passed += 1
                print(f"ok {name}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        if failed:
            print("server log:\n" + server_log(workdir))
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"smoke: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.pop("AWS_ENDPOINT_URL", None)
    sys.exit(main())
