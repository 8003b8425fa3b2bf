"""A DynamoDB Streams mapping created at LATEST reads the records written after it was created,
even when the server restarts before it has processed any."""

from __future__ import annotations

import time

import boto3

from tests.conftest import Server

from .helpers import create, unique
from .test_triggers import RECORDER, recorded


def clients(server: Server):
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    return [session.client(s, endpoint_url=server.endpoint) for s in ("lambda", "dynamodb", "logs")]


def test_latest_position_survives_a_restart_before_the_first_batch(tmp_path):
    data_dir = str(tmp_path / "data")
    server = Server("--data-dir", data_dir, "--quiet")
    try:
        lam, ddb, _ = clients(server)
        table = unique("tbl")
        stream_arn = ddb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
        )["TableDescription"]["LatestStreamArn"]
        ddb.put_item(TableName=table, Item={"pk": {"S": "before"}})
        name = create(lam, RECORDER)
        # Throttled, the function cannot take a batch before the crash: nothing is processed.
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
        lam.create_event_source_mapping(
            EventSourceArn=stream_arn, FunctionName=name, StartingPosition="LATEST", BatchSize=10
        )
        ddb.put_item(TableName=table, Item={"pk": {"S": "after-create"}})
        time.sleep(1.0)  # the poller sees the record and is throttled
    finally:
        server.stop(kill=True)
    server = Server("--data-dir", data_dir, "--quiet")
    try:
        lam, ddb, logs = clients(server)
        lam.delete_function_concurrency(FunctionName=name)
        ddb.put_item(TableName=table, Item={"pk": {"S": "after-restart"}})
        deadline = time.monotonic() + 30
        keys: list[str] = []
        while time.monotonic() < deadline and len(keys) < 2:
            keys = [r["dynamodb"]["Keys"]["pk"]["S"] for e in recorded(logs, name) for r in e["Records"]]
            time.sleep(0.1)
        assert keys == ["after-create", "after-restart"]
    finally:
        server.stop()
