"""CloudWatch Logs through boto3 and the aws CLI: groups, streams, events, filters, retention,
tags."""

from __future__ import annotations

import json
import time
import uuid

import pytest


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def logs(client):
    return client("logs")


def test_groups_and_streams(logs):
    group = f"/test/{unique('g')}"
    logs.create_log_group(logGroupName=group, tags={"env": "dev"})
    with pytest.raises(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=group)
    described = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert [g["logGroupName"] for g in described] == [group]
    assert described[0]["arn"] == f"arn:aws:logs:us-east-1:000000000000:log-group:{group}:*"
    for name in ("b", "a", "c"):
        logs.create_log_stream(logGroupName=group, logStreamName=name)
    page = logs.describe_log_streams(logGroupName=group, limit=2)
    assert [s["logStreamName"] for s in page["logStreams"]] == ["a", "b"]
    rest = logs.describe_log_streams(logGroupName=group, limit=2, nextToken=page["nextToken"])
    assert [s["logStreamName"] for s in rest["logStreams"]] == ["c"] and "nextToken" not in rest
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.describe_log_streams(logGroupName=group, logStreamNamePrefix="a", orderBy="LastEventTime")
    logs.delete_log_stream(logGroupName=group, logStreamName="c")
    assert len(logs.describe_log_streams(logGroupName=group)["logStreams"]) == 2
    assert logs.list_tags_log_group(logGroupName=group)["tags"] == {"env": "dev"}
    arn = described[0]["logGroupArn"]
    logs.tag_resource(resourceArn=arn, tags={"team": "x"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "dev", "team": "x"}
    logs.put_retention_policy(logGroupName=group, retentionInDays=7)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["retentionInDays"] == 7
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.put_retention_policy(logGroupName=group, retentionInDays=8)
    logs.delete_log_group(logGroupName=group)
    with pytest.raises(logs.exceptions.ResourceNotFoundException) as raised:
        logs.describe_log_streams(logGroupName=group)
    assert raised.value.response["Error"]["Message"] == "The specified log group does not exist."


def test_put_and_get_events_with_tokens(logs):
    group, stream = f"/test/{unique('g')}", "s"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    events = [{"timestamp": now + i, "message": f"line {i}"} for i in range(5)]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": now + 5, "message": "x"}, {"timestamp": now, "message": "y"}],
        )
    old = logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": now - 15 * 86400 * 1000, "message": "ancient"}],
    )
    assert old["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1}
    head = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True, limit=2)
    assert [e["message"] for e in head["events"]] == ["line 0", "line 1"]
    following = logs.get_log_events(
        logGroupName=group, logStreamName=stream, nextToken=head["nextForwardToken"], limit=2
    )
    assert [e["message"] for e in following["events"]] == ["line 2", "line 3"]
    back = logs.get_log_events(
        logGroupName=group, logStreamName=stream, nextToken=following["nextBackwardToken"], limit=1
    )
    assert [e["message"] for e in back["events"]] == ["line 1"]
    latest = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=2)
    assert [e["message"] for e in latest["events"]] == ["line 3", "line 4"]
    end = logs.get_log_events(logGroupName=group, logStreamName=stream, nextToken=latest["nextForwardToken"])
    assert end["events"] == [] and end["nextForwardToken"] == latest["nextForwardToken"]
    window = logs.get_log_events(
        logGroupName=group, logStreamName=stream, startTime=now + 1, endTime=now + 3, startFromHead=True
    )
    assert [e["message"] for e in window["events"]] == ["line 1", "line 2"]
    stream_info = logs.describe_log_streams(logGroupName=group)["logStreams"][0]
    assert stream_info["firstEventTimestamp"] == now and stream_info["lastEventTimestamp"] == now + 4


def test_filter_log_events_patterns(logs):
    group = f"/test/{unique('g')}"
    logs.create_log_group(logGroupName=group)
    now = int(time.time() * 1000)
    lines = {
        "web": [
            "127.0.0.1 GET /index 200 512",
            "10.0.0.1 POST /login 500 0",
            "ERROR disk full on /dev/sda",
            "WARN slow request",
        ],
        "api": [
            json.dumps({"level": "ERROR", "latency": 250, "user": {"id": "u1"}}),
            json.dumps({"level": "INFO", "latency": 20, "user": {"id": "u2"}}),
        ],
    }
    for stream, messages in lines.items():
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(messages)],
        )

    def matching(pattern, **kwargs):
        found = logs.filter_log_events(logGroupName=group, filterPattern=pattern, **kwargs)["events"]
        return sorted(e["message"] for e in found)

    assert matching("ERROR") == sorted(["ERROR disk full on /dev/sda", lines["api"][0]])
    assert matching('"disk full"') == ["ERROR disk full on /dev/sda"]
    assert matching("?WARN ?POST") == sorted(["10.0.0.1 POST /login 500 0", "WARN slow request"])
    assert matching("ERROR -disk") == [lines["api"][0]]
    assert matching('{ $.level = "ERROR" }') == [lines["api"][0]]
    assert matching("{ $.latency > 100 }") == [lines["api"][0]]
    assert matching('{ $.user.id = "u2" && $.latency < 100 }') == [lines["api"][1]]
    assert matching("{ $.missing NOT EXISTS && $.level = INF* }") == [lines["api"][1]]
    assert matching("[ip, method, path, status = 5*, bytes]") == ["10.0.0.1 POST /login 500 0"]
    assert matching("[ip, method = GET, ...]") == ["127.0.0.1 GET /index 200 512"]
    assert matching("", logStreamNames=["api"]) == sorted(lines["api"])
    assert len(matching("", logStreamNamePrefix="we")) == 4
    page = logs.filter_log_events(logGroupName=group, limit=2)
    assert len(page["events"]) == 2 and page["nextToken"]
    rest = logs.filter_log_events(logGroupName=group, nextToken=page["nextToken"])
    assert len(rest["events"]) == 4
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.filter_log_events(logGroupName=group, filterPattern="{ $.x = ")


def test_cli_log_commands(aws):
    group = f"/cli/{unique('g')}"
    aws("logs", "create-log-group", "--log-group-name", group)
    aws("logs", "create-log-stream", "--log-group-name", group, "--log-stream-name", "s")
    aws(
        "logs",
        "put-log-events",
        "--log-group-name",
        group,
        "--log-stream-name",
        "s",
        "--log-events",
        f"timestamp={int(time.time() * 1000)},message=hello-cli",
    )
    found = aws("logs", "filter-log-events", "--log-group-name", group, "--filter-pattern", "hello")
    assert [e["message"] for e in found["events"]] == ["hello-cli"]


def test_group_identifier_is_the_arn_without_its_wildcard(logs):
    group = f"/test/{unique('g')}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    described = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    assert described["arn"] == described["logGroupArn"] + ":*"
    streams = logs.describe_log_streams(logGroupIdentifier=described["logGroupArn"])["logStreams"]
    assert [s["logStreamName"] for s in streams] == ["s"]
    logs.get_log_events(logGroupIdentifier=described["logGroupArn"], logStreamName="s")
    for call in (
        lambda: logs.describe_log_streams(logGroupIdentifier=described["arn"]),
        lambda: logs.get_log_events(logGroupIdentifier=described["arn"], logStreamName="s"),
    ):
        with pytest.raises(logs.exceptions.InvalidParameterException) as error:
            call()
        assert error.value.response["Error"]["Message"] == (
            f"1 validation error detected: Value '{described['arn']}' at 'logGroupIdentifier' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [\\w#+=/:,.@-]*"
        )
