"""A data dir written by the previous release (tests/fixtures/state-format-1.tar.gz, made by
tests/fixtures/make_state_fixture.py) is upgraded in place at start and reads back whole through
boto3; a data dir of a newer format, or with a table at a newer layout, is refused."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import boto3
import pytest

from overcast.store import Store
from overcast.store.sqlite import SCHEMA_VERSION
from tests.conftest import ROOT, Server, free_port
from tests.fixtures import make_state_fixture as F

FIXTURE = ROOT / "tests" / "fixtures" / "state-format-1.tar.gz"


def unpacked(target: Path) -> Path:
    with tarfile.open(FIXTURE, "r:gz") as tar:
        tar.extractall(target, filter="data")
    return target


def client(server: Server, name: str):  # type: ignore[no-untyped-def]
    return boto3.client(
        name,
        endpoint_url=server.endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name=F.REGION,
    )


def check_s3(server: Server) -> None:
    s3 = client(server, "s3")
    small = s3.get_object(Bucket=F.BUCKET, Key=F.SMALL_KEY)
    assert small["Body"].read() == F.SMALL_BODY
    assert small["ContentType"] == "text/plain" and small["Metadata"] == {"origin": "fixture"}
    tags = s3.get_object_tagging(Bucket=F.BUCKET, Key=F.SMALL_KEY)["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("kind", "small"), ("release", "previous")]
    assert s3.get_object(Bucket=F.BUCKET, Key=F.LARGE_KEY)["Body"].read() == F.large_body(F.LARGE_SIZE)
    multipart = s3.get_object(Bucket=F.BUCKET, Key=F.MULTIPART_KEY)["Body"].read()
    assert multipart == b"".join(F.large_body(size, n) for n, size in enumerate(F.MULTIPART_PARTS, 1))
    for key in F.LEGACY_KEYS:
        assert s3.get_object(Bucket=F.BUCKET, Key=key)["Body"].read() == f"written as {key}\n".encode()
    listed = s3.list_objects_v2(Bucket=F.BUCKET)["Contents"]
    assert [o["Key"] for o in listed] == sorted([F.SMALL_KEY, F.LARGE_KEY, F.MULTIPART_KEY, *F.LEGACY_KEYS])
    assert {o["Key"]: o["Size"] for o in listed}[F.LARGE_KEY] == F.LARGE_SIZE
    uploads = s3.list_multipart_uploads(Bucket=F.BUCKET)["Uploads"]
    assert [u["Key"] for u in uploads] == [F.PENDING_UPLOAD_KEY]
    parts = s3.list_parts(Bucket=F.BUCKET, Key=F.PENDING_UPLOAD_KEY, UploadId=uploads[0]["UploadId"])["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in parts] == [(1, len(b"part one"))]

    versions = s3.list_object_versions(Bucket=F.VERSIONED_BUCKET)
    doc = [v for v in versions["Versions"] if v["Key"] == F.VERSIONED_KEY]
    assert [v["IsLatest"] for v in doc] == [True, False]
    bodies = [
        s3.get_object(Bucket=F.VERSIONED_BUCKET, Key=F.VERSIONED_KEY, VersionId=v["VersionId"])["Body"].read()
        for v in doc
    ]
    assert bodies == list(reversed(F.VERSION_BODIES))  # newest first; the older row was layout 1
    assert [m["Key"] for m in versions["DeleteMarkers"]] == [F.DELETED_KEY]
    gone = [v for v in versions["Versions"] if v["Key"] == F.DELETED_KEY]
    assert len(gone) == 1 and not gone[0]["IsLatest"]
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket=F.VERSIONED_BUCKET, Key=F.DELETED_KEY)


def check_messaging(server: Server) -> None:
    sqs = client(server, "sqs")
    url = sqs.get_queue_url(QueueName=F.QUEUE)["QueueUrl"]
    received = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], VisibilityTimeout=0
    )["Messages"]
    assert sorted(m["Body"] for m in received) == ["first message", "second message"]
    second = next(m for m in received if m["Body"] == "second message")
    assert second["MessageAttributes"]["colour"]["StringValue"] == "blue"
    fifo = sqs.get_queue_url(QueueName=F.FIFO_QUEUE)["QueueUrl"]
    fifo_messages = sqs.receive_message(QueueUrl=fifo, VisibilityTimeout=0)["Messages"]
    assert [m["Body"] for m in fifo_messages] == ["fifo message"]

    sns = client(server, "sns")
    topics = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    assert [arn.rsplit(":", 1)[1] for arn in topics] == [F.TOPIC]
    assert sns.get_topic_attributes(TopicArn=topics[0])["Attributes"]["DisplayName"] == "Fixture"
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topics[0])["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"].rsplit(":", 1)[1]) for s in subscriptions] == [("sqs", F.QUEUE)]


def check_dynamodb(server: Server) -> None:
    dynamodb = client(server, "dynamodb")
    table = dynamodb.describe_table(TableName=F.TABLE)["Table"]
    assert table["ItemCount"] in (0, 4)  # DynamoDB refreshes the count about every six hours
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["by-colour"]
    items = dynamodb.query(
        TableName=F.TABLE, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "a"}}
    )["Items"]
    assert [(i["sk"]["N"], i["colour"]["S"]) for i in items] == [("1", "red"), ("2", "blue")]
    red = dynamodb.query(
        TableName=F.TABLE,
        IndexName="by-colour",
        KeyConditionExpression="colour = :c",
        ExpressionAttributeValues={":c": {"S": "red"}},
    )["Items"]
    assert sorted(i["pk"]["S"] for i in red) == ["a", "b"]
    binary = dynamodb.get_item(TableName=F.TABLE, Key={"pk": {"S": "bin"}, "sk": {"N": "0"}})["Item"]
    assert binary["blob"]["B"] == b"\x00\xff"
    assert dynamodb.scan(TableName=F.TABLE)["Count"] == 4

    # The table of the key layout before the hashed one, rekeyed at start.
    plain = dynamodb.query(
        TableName=F.PLAIN_TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "p1"}},
    )["Items"]
    assert [i["sk"]["N"] for i in plain] == ["1", "4", "7", "10"]
    red = dynamodb.query(
        TableName=F.PLAIN_TABLE,
        IndexName="by-colour",
        KeyConditionExpression="colour = :c",
        ExpressionAttributeValues={":c": {"S": "red"}},
    )["Items"]
    assert sorted(int(i["sk"]["N"]) for i in red) == [1, 3, 5, 7, 9, 11]
    segments = [
        dynamodb.scan(TableName=F.PLAIN_TABLE, Segment=segment, TotalSegments=4)["Items"]
        for segment in range(4)
    ]
    assert sorted(int(i["sk"]["N"]) for items in segments for i in items) == list(range(12))

    streams = client(server, "dynamodbstreams")
    stream = streams.describe_stream(StreamArn=table["LatestStreamArn"])["StreamDescription"]
    iterator = streams.get_shard_iterator(
        StreamArn=table["LatestStreamArn"],
        ShardId=stream["Shards"][0]["ShardId"],
        ShardIteratorType="TRIM_HORIZON",
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert [r["eventName"] for r in records] == ["INSERT"] * 4


def check_the_rest(server: Server) -> None:
    function = client(server, "lambda").get_function(FunctionName=F.FUNCTION)["Configuration"]
    assert function["Runtime"] == "python3.12" and function["Handler"] == "handler.handler"
    assert function["Environment"]["Variables"] == {"FIXTURE": "yes"}

    iam = client(server, "iam")
    user = iam.get_user(UserName=F.USER)["User"]
    assert user["Tags"] == [{"Key": "team", "Value": "fixture"}]
    assert len(iam.list_access_keys(UserName=F.USER)["AccessKeyMetadata"]) == 1
    role = iam.get_role(RoleName=F.ROLE)["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"
    }
    attached = iam.list_attached_role_policies(RoleName=F.ROLE)["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == [F.POLICY]
    assert [
        p["PolicyName"] for p in iam.list_attached_user_policies(UserName=F.USER)["AttachedPolicies"]
    ] == [F.POLICY]

    logs = client(server, "logs")
    events = logs.get_log_events(logGroupName=F.LOG_GROUP, logStreamName=F.LOG_STREAM, startFromHead=True)
    assert [e["message"] for e in events["events"]] == ["first event", "second event"]

    trails = client(server, "cloudtrail").describe_trails(trailNameList=[F.TRAIL])["trailList"]
    assert [(t["Name"], t["S3BucketName"]) for t in trails] == [(F.TRAIL, F.TRAIL_BUCKET)]


def test_the_previous_release_data_dir_is_upgraded_in_place_and_reads_back(tmp_path: Path) -> None:
    data_dir = unpacked(tmp_path / "data")
    server = Server("--data-dir", str(data_dir), "--quiet")
    try:
        check_s3(server)
        check_messaging(server)
        check_dynamodb(server)
        check_the_rest(server)
    finally:
        server.stop()
    with Store.open(data_dir) as store:  # upgraded in place: S3 rows are all of the current layout
        layouts = {name: layout for name, (layout, _) in store._backend.layouts().items()}
        assert layouts["s3/objects"] == layouts["s3/versions"] == 3 and layouts["dynamodb/tables"] == 3
        for name in ("objects", "versions"):
            table = store.table("s3", name)
            assert all(type(row) is bytes for scope in table.scopes() for _, row in table.scan(scope))
    with sqlite3.connect(data_dir / "state.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    # A second start has nothing to migrate and still reads everything.
    server = Server("--data-dir", str(data_dir), "--quiet")
    try:
        check_s3(server)
    finally:
        server.stop()


def start_refused(data_dir: Path) -> str:
    """Start a server on data_dir; it must exit without serving. Returns its output."""
    process = subprocess.run(
        [sys.executable, "-m", "overcast", "start", "--port", str(free_port()), "--data-dir", str(data_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode != 0
    return process.stdout + process.stderr


def test_an_older_overcast_refuses_a_newer_data_dir(tmp_path: Path) -> None:
    data_dir = unpacked(tmp_path / "data")
    Store.open(data_dir).close()  # upgraded to this version's format
    with sqlite3.connect(data_dir / "state.sqlite") as db:  # as the next format's release leaves it
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        db.execute("UPDATE meta SET value = '99.0.0' WHERE name = 'written_by'")
    output = start_refused(data_dir)
    assert f"was written by a newer Overcast (99.0.0) (data dir format {SCHEMA_VERSION + 1})" in output
    assert "Upgrade Overcast or use another data dir" in output
    assert "Traceback" not in output
    with sqlite3.connect(data_dir / "state.sqlite") as db:  # left as it was
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        assert db.execute("SELECT value FROM meta WHERE name = 'written_by'").fetchone() == ("99.0.0",)


def test_an_older_overcast_refuses_a_table_at_a_newer_layout(tmp_path: Path) -> None:
    data_dir = unpacked(tmp_path / "data")
    with Store.open(data_dir) as store:  # a release whose S3 rows moved to layout 4, same format
        store._backend.set_layout("s3/objects", 4, None)
    output = start_refused(data_dir)
    assert "s3/objects holds rows of layout 4, written by a newer Overcast" in output
    assert "Traceback" not in output
