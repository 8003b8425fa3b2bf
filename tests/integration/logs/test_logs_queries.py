"""Logs Insights through boto3: queries over stored events, their records and fields, and saved
query definitions."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.config import Config


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def logs(client):
    return client("logs")


@pytest.fixture
def populated(logs):
    group = f"/insights/{unique('g')}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="web")
    now = int(time.time() * 1000)
    events = [
        {"timestamp": now - 3000, "message": json.dumps({"level": "ERROR", "latency": 120})},
        {"timestamp": now - 2000, "message": json.dumps({"level": "INFO", "latency": 30})},
        {"timestamp": now - 1000, "message": json.dumps({"level": "ERROR", "latency": 80})},
    ]
    logs.put_log_events(logGroupName=group, logStreamName="web", logEvents=events)
    yield group
    logs.delete_log_group(logGroupName=group)


def results(logs, query_id):
    for _ in range(50):
        got = logs.get_query_results(queryId=query_id)
        if got["status"] not in ("Scheduled", "Running"):
            return got
        time.sleep(0.1)
    raise AssertionError("query never finished")


def start(logs, group, text, **extra):
    now = int(time.time())
    return logs.start_query(
        logGroupName=group, startTime=now - 600, endTime=now + 60, queryString=text, **extra
    )["queryId"]


def test_query_fields_filter_sort(logs, populated):
    got = results(
        logs,
        start(
            logs, populated, "fields @timestamp, level, latency | filter level = 'ERROR' | sort latency desc"
        ),
    )
    assert got["status"] == "Complete"
    rows = [{c["field"]: c["value"] for c in row} for row in got["results"]]
    assert [(r["level"], r["latency"]) for r in rows] == [("ERROR", "120"), ("ERROR", "80")]
    assert all("@ptr" in r for r in rows)
    assert got["statistics"]["recordsScanned"] == 3.0 and got["statistics"]["recordsMatched"] == 2.0
    record = logs.get_log_record(logRecordPointer=rows[0]["@ptr"])["logRecord"]
    assert record["level"] == "ERROR" and record["@logStream"] == "web"
    assert record["@log"] == f"000000000000:{populated}" and record["@message"].startswith("{")
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.get_log_record(logRecordPointer="not-a-pointer!")


def test_query_stats_and_describe(logs, populated):
    query_id = start(logs, populated, "stats count(*) as n, avg(latency) as mean by level | sort n desc")
    got = results(logs, query_id)
    rows = [{c["field"]: c["value"] for c in row} for row in got["results"]]
    assert rows == [{"level": "ERROR", "n": "2", "mean": "100"}, {"level": "INFO", "n": "1", "mean": "30"}]
    [described] = logs.describe_queries(logGroupName=populated)["queries"]
    assert described["queryId"] == query_id and described["status"] == "Complete"
    assert described["queryString"].startswith(f'SOURCE "{populated}" START=')
    assert described["queryString"].endswith(
        "| stats count(*) as n, avg(latency) as mean by level | sort n desc"
    )
    assert logs.describe_queries(logGroupName=populated, status="Scheduled")["queries"] == []
    arns = logs.list_log_groups_for_query(queryId=query_id)["logGroupIdentifiers"]
    assert arns == [f"arn:aws:logs:us-east-1:000000000000:log-group:{populated}"]
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.stop_query(queryId=query_id)
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.get_query_results(queryId=str(uuid.uuid4()))


def test_query_errors(logs, populated):
    with pytest.raises(logs.exceptions.MalformedQueryException) as error:
        start(logs, populated, "fields @message | bogus")
    assert error.value.response["queryCompileError"]["location"]["startCharOffset"] == 18
    assert (
        error.value.response["Error"]["Message"] == "unexpected symbol found bogus at line 1 and position 19"
    )
    missing = unique("/missing")
    with pytest.raises(logs.exceptions.ResourceNotFoundException) as error:
        start(logs, missing, "fields @message")
    assert f"Log group '{missing}' does not exist" in error.value.response["Error"]["Message"]
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.start_query(logGroupName=populated, startTime=100, endTime=50, queryString="fields @message")


def test_log_group_fields(logs, populated):
    fields = {
        f["name"]: f["percent"] for f in logs.get_log_group_fields(logGroupName=populated)["logGroupFields"]
    }
    assert fields["@message"] == 100 and fields["level"] == 100 and fields["latency"] == 100


def test_query_definitions(logs):
    name = unique("saved")
    made = logs.put_query_definition(name=name, queryString="fields @message", logGroupNames=["/a"])
    definition_id = made["queryDefinitionId"]
    logs.put_query_definition(name=name, queryDefinitionId=definition_id, queryString="fields @timestamp")
    [found] = logs.describe_query_definitions(queryDefinitionNamePrefix=name)["queryDefinitions"]
    assert found["queryString"] == "fields @timestamp" and found["queryLanguage"] == "CWLI"
    assert "logGroupNames" not in found
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.put_query_definition(
            name=name, queryDefinitionId=str(uuid.uuid4()), queryString="fields @message"
        )
    assert logs.delete_query_definition(queryDefinitionId=definition_id)["success"] is True
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.delete_query_definition(queryDefinitionId=definition_id)


def test_sql_queries_run_on_sqlite(logs, populated):
    now = int(time.time())
    query_id = logs.start_query(
        queryLanguage="SQL",
        startTime=now - 600,
        endTime=now + 60,
        queryString=f"SELECT level, count(*) AS n, max(latency) AS worst FROM `{populated}` GROUP BY level ORDER BY n DESC",
    )["queryId"]
    got = results(logs, query_id)
    assert got["queryLanguage"] == "SQL" and got["status"] == "Complete"
    rows = [{c["field"]: c["value"] for c in row} for row in got["results"]]
    assert rows == [{"level": "ERROR", "n": "2", "worst": "120"}, {"level": "INFO", "n": "1", "worst": "30"}]
    with pytest.raises(logs.exceptions.MalformedQueryException):
        logs.start_query(
            queryLanguage="SQL", startTime=now - 600, endTime=now, queryString=f"DELETE FROM `{populated}`"
        )
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.start_query(queryLanguage="SQL", startTime=now - 600, endTime=now, queryString="SELECT 1")


def test_log_objects_are_never_found(client):
    # GetLogObject's endpoint has a host prefix (stream-): the test server is reached as is.
    logs = client("logs", config=Config(inject_host_prefix=False))
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.get_log_object(logObjectPointer="some-pointer")


def test_user_guide_insights_query_with_the_cli(aws, logs):
    """The user's guide's `aws logs start-query`, as written there (its `date` arithmetic done here)."""
    group = "/aws/lambda/my-api"
    try:
        logs.create_log_group(logGroupName=group)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    stream = unique("guide")
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[
            {"timestamp": now - 3000, "message": f"{stream} ERROR first"},
            {"timestamp": now - 2000, "message": f"{stream} INFO fine"},
            {"timestamp": now - 1000, "message": f"{stream} ERROR second"},
        ],
    )
    started = aws(
        "logs", "start-query",
        "--log-group-name", group,
        "--start-time", str(now // 1000 - 3600),
        "--end-time", str(now // 1000 + 1),
        "--query-string", "fields @timestamp, @message\n    | filter @message like /ERROR/\n    | sort @timestamp desc\n    | limit 20",
    )  # fmt: skip
    for _ in range(50):
        got = aws("logs", "get-query-results", "--query-id", started["queryId"])
        if got["status"] == "Complete":
            break
        time.sleep(0.1)
    messages = [{c["field"]: c["value"] for c in row}["@message"] for row in got["results"]]
    assert [m for m in messages if m.startswith(stream)] == [
        f"{stream} ERROR second",
        f"{stream} ERROR first",
    ]
