"""Lambda event source mappings reading Kinesis: the event shape, batching, starting positions,
failures bisected and sent to an on-failure destination, parallelization and tumbling windows."""

from __future__ import annotations

import base64
import importlib
import json
import time

# "lambda" is a keyword: its test package is imported by name.
_helpers = importlib.import_module("tests.integration.lambda.helpers")
_triggers = importlib.import_module("tests.integration.lambda.test_triggers")
create, unique = _helpers.create, _helpers.unique
RECORDER, recorded = _triggers.RECORDER, _triggers.recorded


def _records(logs, name: str, count: int, timeout: float = 20.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    records: list[dict] = []
    while time.monotonic() < deadline:
        records = [r for event in recorded(logs, name, 1, timeout) for r in event["Records"]]
        if len(records) >= count:
            return records
        time.sleep(0.1)
    raise AssertionError(f"{name} saw {len(records)} records, expected {count}")


def test_mapping_delivers_kinesis_events_in_order(client, kinesis, stream):
    lam, logs = client("lambda"), client("logs")
    name, arn = stream["StreamName"], stream["StreamARN"]
    kinesis.put_record(StreamName=name, Data=b'{"n": 0}', PartitionKey="a", ExplicitHashKey="0")
    function = create(lam, RECORDER)
    mapping = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=function, StartingPosition="TRIM_HORIZON", BatchSize=10
    )
    assert mapping["StartingPosition"] == "TRIM_HORIZON" and mapping["ParallelizationFactor"] == 1
    for i in range(1, 4):
        kinesis.put_record(
            StreamName=name, Data=json.dumps({"n": i}).encode(), PartitionKey="a", ExplicitHashKey="0"
        )
    records = _records(logs, function, 4)
    assert [json.loads(base64.b64decode(r["kinesis"]["data"])) for r in records] == [
        {"n": i} for i in range(4)
    ]
    first = records[0]
    assert first["eventSource"] == "aws:kinesis" and first["eventName"] == "aws:kinesis:record"
    assert first["eventSourceARN"] == arn and first["awsRegion"] == "us-east-1"
    assert first["eventID"].startswith("shardId-000000000000:")
    assert first["kinesis"]["partitionKey"] == "a" and first["kinesis"]["kinesisSchemaVersion"] == "1.0"
    assert isinstance(first["kinesis"]["approximateArrivalTimestamp"], float)
    assert first["invokeIdentityArn"].startswith("arn:aws:iam::")
    lam.delete_event_source_mapping(UUID=mapping["UUID"])


def test_latest_skips_earlier_records_and_filters(client, kinesis, stream):
    lam, logs = client("lambda"), client("logs")
    name, arn = stream["StreamName"], stream["StreamARN"]
    kinesis.put_record(StreamName=name, Data=b'{"kind": "old"}', PartitionKey="a")
    function = create(lam, RECORDER)
    lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=function, StartingPosition="LATEST",
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"data": {"kind": ["keep"]}})}]},
    )  # fmt: skip
    kinesis.put_record(StreamName=name, Data=b'{"kind": "drop"}', PartitionKey="a")
    kinesis.put_record(StreamName=name, Data=b'{"kind": "keep"}', PartitionKey="a")
    records = _records(logs, function, 1)
    time.sleep(1.0)
    records = _records(logs, function, 1)
    assert [json.loads(base64.b64decode(r["kinesis"]["data"])) for r in records] == [{"kind": "keep"}]


def test_failures_bisect_then_reach_the_on_failure_queue(client, kinesis, stream):
    lam, sqs = client("lambda"), client("sqs")
    name, arn = stream["StreamName"], stream["StreamARN"]
    failing = create(
        lam,
        "import base64\n"
        "def handler(event, context):\n"
        "    for r in event['Records']:\n"
        "        if base64.b64decode(r['kinesis']['data']) == b'poison':\n"
        "            raise Exception('cannot process')\n",
    )
    queue = sqs.create_queue(QueueName=unique("kin-fail"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    for data in (b"good-1", b"poison", b"good-2", b"good-3"):
        kinesis.put_record(StreamName=name, Data=data, PartitionKey="k", ExplicitHashKey="0")
    lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=failing, StartingPosition="TRIM_HORIZON", BatchSize=4,
        MaximumRetryAttempts=2, BisectBatchOnFunctionError=True,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )  # fmt: skip
    message = None
    for _ in range(200):
        messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0).get("Messages", [])
        if messages:
            message = json.loads(messages[0]["Body"])
            break
        time.sleep(0.1)
    assert message is not None
    info = message["KinesisBatchInfo"]
    # Bisecting narrows the failure down to the one poison record.
    assert info["batchSize"] == 1 and info["shardId"] == "shardId-000000000000"
    assert info["streamArn"] == arn and info["startSequenceNumber"] == info["endSequenceNumber"]
    assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"
    iterator = kinesis.get_shard_iterator(
        StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=info["startSequenceNumber"],
    )["ShardIterator"]  # fmt: skip
    assert kinesis.get_records(ShardIterator=iterator, Limit=1)["Records"][0]["Data"] == b"poison"


def test_tumbling_window_carries_state(client, kinesis, stream):
    lam, logs = client("lambda"), client("logs")
    name, arn = stream["StreamName"], stream["StreamARN"]
    function = create(
        lam,
        "import json\n"
        "def handler(event, context):\n"
        "    print('EVENT ' + json.dumps(event))\n"
        "    total = event['state'].get('total', 0) + len(event['Records'])\n"
        "    return {'state': {'total': total}}\n",
    )
    lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=function, StartingPosition="TRIM_HORIZON", TumblingWindowInSeconds=2,
    )  # fmt: skip
    # One call: both records arrive at the same instant, so in the same window.
    kinesis.put_records(
        StreamName=name,
        Records=[{"Data": data, "PartitionKey": "k", "ExplicitHashKey": "0"} for data in (b"1", b"2")],
    )
    deadline = time.monotonic() + 20
    finals: list[dict] = []
    while time.monotonic() < deadline and not finals:
        events = recorded(logs, function, 1)
        finals = [e for e in events if e["isFinalInvokeForWindow"]]
        time.sleep(0.2)
    assert finals, "no final invocation for the window"
    events = recorded(logs, function, 1)
    assert all(e["shardId"] == "shardId-000000000000" and e["eventSourceARN"] == arn for e in events)
    assert {"start", "end"} <= set(events[0]["window"])
    seen = sum(len(e["Records"]) for e in events)
    assert seen == 2
    # The final invocation sees the state the window's batches built.
    assert finals[0]["state"] == {"total": 2} or finals[0]["Records"]


def test_checkpoints_survive_a_restart(tmp_path):
    """What a mapping processed before a kill is not delivered again after the restart."""
    import boto3

    from tests.conftest import Server

    def clients(server):
        session = boto3.session.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
        )
        return [session.client(s, endpoint_url=server.endpoint) for s in ("lambda", "kinesis", "logs")]

    data_dir = str(tmp_path / "data")
    server = Server("--data-dir", data_dir, "--quiet")
    try:
        lam, kinesis, logs = clients(server)
        kinesis.create_stream(StreamName="checkpointed", ShardCount=1)
        arn = kinesis.describe_stream_summary(StreamName="checkpointed")["StreamDescriptionSummary"][
            "StreamARN"
        ]
        function = create(lam, RECORDER)
        lam.create_event_source_mapping(
            EventSourceArn=arn, FunctionName=function, StartingPosition="TRIM_HORIZON"
        )
        kinesis.put_record(StreamName="checkpointed", Data=b"first", PartitionKey="k")
        assert len(_records(logs, function, 1)) == 1
        time.sleep(0.5)  # the checkpoint is written once the batch is done
    finally:
        server.stop(kill=True)
    server = Server("--data-dir", data_dir, "--quiet")
    try:
        lam, kinesis, logs = clients(server)
        kinesis.put_record(StreamName="checkpointed", Data=b"second", PartitionKey="k")
        records = _records(logs, function, 2)
        time.sleep(1.0)
        records = _records(logs, function, 2)
        assert [base64.b64decode(r["kinesis"]["data"]) for r in records] == [b"first", b"second"]
    finally:
        server.stop()


def test_at_timestamp_and_parallelization_keep_order_per_key(client, kinesis, stream):
    from datetime import UTC, datetime

    lam, logs = client("lambda"), client("logs")
    name, arn = stream["StreamName"], stream["StreamARN"]
    kinesis.put_record(
        StreamName=name, Data=b'{"key": "early", "n": 0}', PartitionKey="early", ExplicitHashKey="0"
    )
    time.sleep(1.1)
    since = datetime.now(UTC)
    sent = [(f"k{i % 4}", i) for i in range(20)]
    kinesis.put_records(
        StreamName=name,
        Records=[
            {"Data": json.dumps({"key": k, "n": n}).encode(), "PartitionKey": k, "ExplicitHashKey": "0"}
            for k, n in sent
        ],
    )
    function = create(lam, RECORDER)
    mapping = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=function, StartingPosition="AT_TIMESTAMP",
        StartingPositionTimestamp=since, ParallelizationFactor=4, BatchSize=20,
    )  # fmt: skip
    assert mapping["ParallelizationFactor"] == 4
    records = _records(logs, function, 20)
    seen = [json.loads(base64.b64decode(r["kinesis"]["data"])) for r in records]
    assert sorted(d["n"] for d in seen) == list(range(20))  # the earlier record is not read
    for key in {k for k, _ in sent}:
        assert [d["n"] for d in seen if d["key"] == key] == [n for k, n in sent if k == key]
