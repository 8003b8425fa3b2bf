"""CloudWatch Logs lookup tables and scheduled queries through boto3."""

from __future__ import annotations

import uuid

import pytest

ROLE = "arn:aws:iam::000000000000:role/query-role"


@pytest.fixture
def logs(client):
    return client("logs")


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def test_lookup_table_lifecycle(logs):
    name = unique("users")
    body = "id,name\n1,ann\n2,bob\n"
    created = logs.create_lookup_table(lookupTableName=name, tableBody=body, description="people")
    arn = created["lookupTableArn"]
    assert arn == f"arn:aws:logs:us-east-1:000000000000:lookup-table:{name}"
    got = logs.get_lookup_table(lookupTableArn=arn)
    assert got["lookupTableName"] == name and got["tableBody"] == body
    assert got["description"] == "people" and got["sizeBytes"] == len(body)
    with pytest.raises(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_lookup_table(lookupTableName=name, tableBody=body)
    [listed] = logs.describe_lookup_tables(lookupTableNamePrefix=name)["lookupTables"]
    assert listed["tableFields"] == ["id", "name"] and listed["recordsCount"] == 2
    updated = logs.update_lookup_table(lookupTableArn=arn, tableBody="id,name,team\n1,ann,x\n")
    assert updated["lastUpdatedTime"] >= created["createdAt"]
    [listed] = logs.describe_lookup_tables(lookupTableNamePrefix=name)["lookupTables"]
    assert listed["tableFields"] == ["id", "name", "team"] and listed["recordsCount"] == 1
    logs.delete_lookup_table(lookupTableArn=arn)
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.get_lookup_table(lookupTableArn=arn)


@pytest.mark.parametrize(
    "body",
    ["id,name\n1,ann,extra\n", "id,id\n1,2\n", "id,\n1,2\n", "\n\n"],
    ids=["ragged-row", "repeated-column", "unnamed-column", "no-header"],
)
def test_lookup_table_csv_is_checked(logs, body):
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.create_lookup_table(lookupTableName=unique("bad"), tableBody=body)


def test_lookup_table_source_must_be_one_of_body_or_query(logs):
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.create_lookup_table(lookupTableName=unique("t"))
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.create_lookup_table(lookupTableName=unique("t"), tableBody="a\n1\n", queryId="q-1")
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.create_lookup_table(lookupTableName=unique("t"), queryId="q-1")


def test_lookup_tables_page(logs):
    prefix = unique("paged")
    for i in range(3):
        logs.create_lookup_table(lookupTableName=f"{prefix}_{i}", tableBody="a\n1\n")
    first = logs.describe_lookup_tables(lookupTableNamePrefix=prefix, maxResults=2)
    rest = logs.describe_lookup_tables(
        lookupTableNamePrefix=prefix, maxResults=2, nextToken=first["nextToken"]
    )
    names = [t["lookupTableName"] for t in first["lookupTables"] + rest["lookupTables"]]
    assert names == [f"{prefix}_{i}" for i in range(3)] and "nextToken" not in rest


def test_scheduled_query_lifecycle(logs):
    group = f"/sq/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    name = unique("errors-hourly")
    created = logs.create_scheduled_query(
        name=name,
        queryLanguage="CWLI",
        queryString="fields @message | filter @message like /ERROR/",
        logGroupIdentifiers=[group],
        scheduleExpression="cron(0 * * * ? *)",
        timezone="Europe/Paris",
        startTimeOffset=3600,
        destinationConfiguration={
            "s3Configuration": {"destinationIdentifier": "s3://results-bucket/errors", "roleArn": ROLE}
        },
        executionRoleArn=ROLE,
    )
    assert created["state"] == "ENABLED"
    arn = created["scheduledQueryArn"]
    got = logs.get_scheduled_query(identifier=name)
    assert got["scheduledQueryArn"] == arn and got["scheduleType"] == "CUSTOMER_MANAGED"
    assert got["timezone"] == "Europe/Paris" and got["logGroupIdentifiers"] == [group]
    assert logs.get_scheduled_query(identifier=arn)["name"] == name
    with pytest.raises(logs.exceptions.ConflictException):
        logs.create_scheduled_query(
            name=name, queryLanguage="CWLI", queryString="fields @message",
            scheduleExpression="rate(5 minutes)", executionRoleArn=ROLE,
        )  # fmt: skip
    updated = logs.update_scheduled_query(
        identifier=name,
        queryLanguage="CWLI",
        queryString="fields @message | limit 5",
        scheduleExpression="rate(1 hour)",
        executionRoleArn=ROLE,
        state="DISABLED",
    )
    assert updated["state"] == "DISABLED" and updated["scheduleExpression"] == "rate(1 hour)"
    assert updated["timezone"] == "Europe/Paris"
    listed = logs.list_scheduled_queries(state="DISABLED")["scheduledQueries"]
    assert name in [q["name"] for q in listed]
    assert name not in [q["name"] for q in logs.list_scheduled_queries(state="ENABLED")["scheduledQueries"]]
    history = logs.get_scheduled_query_history(identifier=name, startTime=0, endTime=2**40)
    assert history["name"] == name and history["triggerHistory"] == []
    logs.delete_scheduled_query(identifier=arn)
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.get_scheduled_query(identifier=name)


@pytest.mark.parametrize(
    "change",
    [
        {"scheduleExpression": "cron(0 * * * * *)"},  # neither day field is "?"
        {"scheduleExpression": "cron(0 12 * *)"},
        {"scheduleExpression": "rate(5 minute)"},
        {"scheduleExpression": "every hour"},
        {"timezone": "Mars/Olympus"},
        {"startTimeOffset": 60, "endTimeOffset": 120},
        {"scheduleStartTime": 2000, "scheduleEndTime": 1000},
        {
            "destinationConfiguration": {
                "s3Configuration": {"destinationIdentifier": "https://bucket/x", "roleArn": ROLE}
            }
        },
    ],
)
def test_scheduled_query_definition_is_checked(logs, change):
    params = {
        "name": unique("bad"),
        "queryLanguage": "CWLI",
        "queryString": "fields @message",
        "scheduleExpression": "cron(0/15 8-17 ? * MON-FRI *)",
        "executionRoleArn": ROLE,
    }
    logs.create_scheduled_query(**{**params, "name": unique("good")})
    with pytest.raises(logs.exceptions.ValidationException):
        logs.create_scheduled_query(**{**params, **change})


def test_scheduled_query_needs_existing_log_groups(logs):
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.create_scheduled_query(
            name=unique("q"), queryLanguage="CWLI", queryString="fields @message",
            logGroupIdentifiers=["/no/such/group"], scheduleExpression="rate(1 day)", executionRoleArn=ROLE,
        )  # fmt: skip
