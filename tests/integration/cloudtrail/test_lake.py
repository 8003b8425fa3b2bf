"""CloudTrail Lake: event data stores (lifecycle, ingestion, deletion and restore) and the SQL
queries that run over the events they hold."""

from __future__ import annotations

import gzip
import json
import time
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError


def code_of(call, *args, **kwargs) -> str:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"]["Code"]


def finished(ct, query_id: str) -> dict:
    for _ in range(100):
        described = ct.describe_query(QueryId=query_id)
        if described["QueryStatus"] not in ("QUEUED", "RUNNING"):
            return described
        time.sleep(0.1)
    raise AssertionError(f"query {query_id} did not finish")


def rows_of(ct, query_id: str) -> list[dict]:
    return [
        {k: v for cell in row for k, v in cell.items()}
        for row in ct.get_query_results(QueryId=query_id)["QueryResultRows"]
    ]


@pytest.fixture
def store(ours) -> str:
    created = ours("cloudtrail").create_event_data_store(Name="lake", TerminationProtectionEnabled=False)
    return created["EventDataStoreArn"]


def test_event_data_store_lifecycle(ours, account):
    ct = ours("cloudtrail")
    created = ct.create_event_data_store(Name="audit-lake", TagsList=[{"Key": "team", "Value": "sec"}])
    arn = created["EventDataStoreArn"]
    store_id = arn.rsplit("/", 1)[1]
    assert arn == f"arn:aws:cloudtrail:us-east-1:{account}:eventdatastore/{store_id}"
    assert created["Status"] == "CREATED"
    assert created["MultiRegionEnabled"] is True and created["OrganizationEnabled"] is False
    assert created["TerminationProtectionEnabled"] is True
    assert created["RetentionPeriod"] == 366 and created["BillingMode"] == "EXTENDABLE_RETENTION_PRICING"
    assert created["AdvancedEventSelectors"][0]["FieldSelectors"] == [
        {"Field": "eventCategory", "Equals": ["Management"]}
    ]
    assert created["TagsList"] == [{"Key": "team", "Value": "sec"}]

    got = ct.get_event_data_store(EventDataStore=store_id)
    assert got["Status"] == "ENABLED" and got["EventDataStoreArn"] == arn
    assert [s["Name"] for s in ct.list_event_data_stores()["EventDataStores"]] == ["audit-lake"]
    assert code_of(ct.create_event_data_store, Name="audit-lake") == "EventDataStoreAlreadyExistsException"

    updated = ct.update_event_data_store(EventDataStore=arn, RetentionPeriod=90, MultiRegionEnabled=False)
    assert updated["RetentionPeriod"] == 90 and updated["MultiRegionEnabled"] is False
    assert code_of(ct.update_event_data_store, EventDataStore=arn, BillingMode="FIXED_RETENTION_PRICING") == (
        "InvalidParameterException"
    )

    assert (
        code_of(ct.start_event_data_store_ingestion, EventDataStore=arn)
        == "InvalidEventDataStoreStatusException"
    )
    ct.stop_event_data_store_ingestion(EventDataStore=arn)
    assert ct.get_event_data_store(EventDataStore=arn)["Status"] == "STOPPED_INGESTION"
    ct.start_event_data_store_ingestion(EventDataStore=arn)
    assert ct.get_event_data_store(EventDataStore=arn)["Status"] == "ENABLED"

    assert (
        code_of(ct.delete_event_data_store, EventDataStore=arn)
        == "EventDataStoreTerminationProtectedException"
    )
    ct.update_event_data_store(EventDataStore=arn, TerminationProtectionEnabled=False)
    ct.delete_event_data_store(EventDataStore=arn)
    assert ct.get_event_data_store(EventDataStore=arn)["Status"] == "PENDING_DELETION"
    assert code_of(ct.update_event_data_store, EventDataStore=arn, RetentionPeriod=30) == (
        "InactiveEventDataStoreException"
    )
    restored = ct.restore_event_data_store(EventDataStore=arn)
    assert restored["Status"] == "ENABLED"
    assert code_of(ct.restore_event_data_store, EventDataStore=arn) == "InvalidEventDataStoreStatusException"


def test_event_data_store_errors(ours, account):
    ct = ours("cloudtrail")
    missing = f"arn:aws:cloudtrail:us-east-1:{account}:eventdatastore/00000000-0000-4000-8000-000000000000"
    assert code_of(ct.get_event_data_store, EventDataStore=missing) == "EventDataStoreNotFoundException"
    assert code_of(ct.get_event_data_store, EventDataStore="arn:aws:cloudtrail:nope") == (
        "EventDataStoreARNInvalidException"
    )
    assert code_of(ct.create_event_data_store, Name="org", OrganizationEnabled=True) == (
        "OrganizationsNotInUseException"
    )
    assert code_of(
        ct.create_event_data_store, Name="fixed", BillingMode="FIXED_RETENTION_PRICING", RetentionPeriod=3000
    ) == ("InvalidParameterException")
    no_category = [{"Name": "x", "FieldSelectors": [{"Field": "eventName", "Equals": ["PutObject"]}]}]
    assert code_of(ct.create_event_data_store, Name="bad", AdvancedEventSelectors=no_category) == (
        "InvalidEventSelectorsException"
    )


def test_query_reads_the_events_the_store_ingested(ours, account, store):
    ct, s3 = ours("cloudtrail"), ours("s3")
    s3.create_bucket(Bucket=f"lake-{account}")
    ct.stop_event_data_store_ingestion(EventDataStore=store)
    s3.create_bucket(Bucket=f"lake-unseen-{account}")  # while ingestion was stopped
    ct.start_event_data_store_ingestion(EventDataStore=store)
    statement = (
        "SELECT eventName, userIdentity.arn, element_at(requestParameters, 'bucketName') AS bucket, "
        f"recipientAccountId FROM {store.rsplit('/', 1)[1]} WHERE eventSource = ? ORDER BY eventTime"
    )
    query_id = ct.start_query(QueryStatement=statement, QueryParameters=["s3.amazonaws.com"])["QueryId"]
    described = finished(ct, query_id)
    assert described["QueryStatus"] == "FINISHED"
    assert described["QueryString"] == statement
    assert described["QueryStatistics"]["EventsScanned"] >= 1
    assert rows_of(ct, query_id) == [
        {
            "eventName": "CreateBucket",
            "arn": f"arn:aws:iam::{account}:root",
            "bucket": f"lake-{account}",
            "recipientAccountId": account,
        }
    ]
    results = ct.get_query_results(QueryId=query_id)
    assert results["QueryStatus"] == "FINISHED"
    assert results["QueryStatistics"]["TotalResultsCount"] == 1
    listed = ct.list_queries(EventDataStore=store)["Queries"]
    assert [q["QueryId"] for q in listed] == [query_id] and listed[0]["QueryStatus"] == "FINISHED"


def test_query_aggregates_and_pages(ours, store):
    ct, sqs = ours("cloudtrail"), ours("sqs")
    for n in range(3):
        sqs.create_queue(QueueName=f"lake-q{n}")
    store_id = store.rsplit("/", 1)[1]
    query_id = ct.start_query(
        QueryStatement=f"SELECT eventName, COUNT(*) AS calls FROM {store_id} "
        "WHERE eventSource = 'sqs.amazonaws.com' AND readOnly = false GROUP BY eventName"
    )["QueryId"]
    finished(ct, query_id)
    assert rows_of(ct, query_id) == [{"eventName": "CreateQueue", "calls": "3"}]

    query_id = ct.start_query(
        QueryStatement=f"SELECT requestParameters['queueName'] FROM {store_id} "
        "WHERE eventName = 'CreateQueue' ORDER BY 1"
    )["QueryId"]
    finished(ct, query_id)
    first = ct.get_query_results(QueryId=query_id, MaxQueryResults=2)
    assert first["QueryResultRows"] == [[{"queueName": "lake-q0"}], [{"queueName": "lake-q1"}]]
    rest = ct.get_query_results(QueryId=query_id, MaxQueryResults=2, NextToken=first["NextToken"])
    assert rest["QueryResultRows"] == [[{"queueName": "lake-q2"}]] and "NextToken" not in rest
    assert (
        code_of(ct.get_query_results, QueryId=query_id, NextToken="forged-token")
        == "InvalidNextTokenException"
    )


def test_query_errors(ours, account, store):
    ct = ours("cloudtrail")
    store_id = store.rsplit("/", 1)[1]
    assert (
        code_of(ct.start_query, QueryStatement=f"DELETE FROM {store_id}") == "InvalidQueryStatementException"
    )
    assert (
        code_of(ct.start_query, QueryStatement=f"SELECT nope FROM {store_id}")
        == "InvalidQueryStatementException"
    )
    assert code_of(ct.start_query, QueryStatement="SELECT 1") == "InvalidQueryStatementException"
    assert code_of(ct.start_query, QueryStatement="SELECT * FROM 00000000-0000-4000-8000-000000000000") == (
        "EventDataStoreNotFoundException"
    )
    assert code_of(ct.start_query, QueryStatement=f"SELECT * FROM {store_id} WHERE eventName = ?") == (
        "InvalidParameterException"
    )
    assert (
        code_of(ct.describe_query, QueryId="00000000-0000-4000-8000-000000000000")
        == "QueryIdNotFoundException"
    )
    query_id = ct.start_query(QueryStatement=f"SELECT eventID FROM {store_id}")["QueryId"]
    finished(ct, query_id)
    assert code_of(ct.cancel_query, QueryId=query_id) == "InactiveQueryException"


def test_deleted_store_refuses_queries(ours, store):
    ct = ours("cloudtrail")
    ct.delete_event_data_store(EventDataStore=store)
    statement = f"SELECT eventID FROM {store.rsplit('/', 1)[1]}"
    assert code_of(ct.start_query, QueryStatement=statement) == "InactiveEventDataStoreException"
    assert code_of(ct.list_queries, EventDataStore=store) == "InactiveEventDataStoreException"


def test_generate_and_sample_queries(ours, store):
    ct = ours("cloudtrail")
    assert code_of(ct.generate_query, EventDataStores=[store], Prompt="show failed logins") == (
        "GenerateResponseException"
    )
    found = ct.search_sample_queries(SearchPhrase="access denied")["SearchResults"]
    assert found and found[0]["Name"] == "Access denied events" and "$EDS_ID" in found[0]["SQL"]
    assert all(0 < r["Relevance"] <= 1 for r in found)


def test_query_results_are_delivered_to_s3(ours, account, store):
    ct, s3 = ours("cloudtrail"), ours("s3")
    bucket = f"lake-results-{account}"
    s3.create_bucket(Bucket=bucket)
    store_id = store.rsplit("/", 1)[1]
    query_id = ct.start_query(
        QueryStatement=f"SELECT eventName FROM {store_id} WHERE eventName = 'CreateBucket'",
        DeliveryS3Uri=f"s3://{bucket}/lake",
    )["QueryId"]
    described = finished(ct, query_id)
    assert described["DeliveryS3Uri"] == f"s3://{bucket}/lake" and described["DeliveryStatus"] == "SUCCESS"
    [entry] = s3.list_objects_v2(Bucket=bucket, Prefix=f"lake/{account}/CloudTrail-Lake/Query/")["Contents"]
    assert entry["Key"].endswith(f"/{query_id}/result_1.csv.gz")
    body = gzip.decompress(s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read()).decode()
    assert body.splitlines() == ["eventName", "CreateBucket"]

    missing = ct.start_query(
        QueryStatement=f"SELECT eventID FROM {store_id}", DeliveryS3Uri="s3://no-such-bucket-x"
    )
    assert finished(ct, missing["QueryId"])["DeliveryStatus"] == "RESOURCE_NOT_FOUND"


def test_another_account_queries_a_store_its_policy_shares(ours, endpoint, account, store):
    ct = ours("cloudtrail")
    ct.list_trails()
    other = f"{int(account) % 10**12 + 1:012d}"
    guest = boto3.session.Session(
        aws_access_key_id=other, aws_secret_access_key="test", region_name="us-east-1"
    ).client("cloudtrail", endpoint_url=endpoint)
    statement = f"SELECT recipientAccountId, eventName FROM {store} WHERE eventName = 'ListTrails'"
    assert code_of(guest.start_query, QueryStatement=statement) == "AccessDeniedException"

    ct.put_resource_policy(
        ResourceArn=store,
        ResourcePolicy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{other}:root"},
                        "Action": "cloudtrail:StartQuery",
                        "Resource": store,
                    }
                ],
            }
        ),
    )
    query_id = guest.start_query(QueryStatement=statement)["QueryId"]
    assert finished(guest, query_id)["QueryStatus"] == "FINISHED"
    assert rows_of(guest, query_id) == [{"recipientAccountId": account, "eventName": "ListTrails"}]
    by_id = guest.start_query(
        QueryStatement=f"SELECT eventID FROM {store.rsplit('/', 1)[1]} LIMIT 1",
        EventDataStoreOwnerAccountId=account,
    )
    assert by_id["EventDataStoreOwnerAccountId"] == account
    assert finished(guest, by_id["QueryId"])["QueryStatus"] == "FINISHED"


def test_time_conditions_select_events_by_time(ours, account, store):
    ct, sqs = ours("cloudtrail"), ours("sqs")
    sqs.create_queue(QueueName="lake-timed")
    store_id = store.rsplit("/", 1)[1]
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    recent = ct.start_query(
        QueryStatement=f"SELECT eventName FROM {store_id} WHERE eventTime > '{hour_ago}' "
        "AND eventName = 'CreateQueue'"
    )["QueryId"]
    finished(ct, recent)
    assert rows_of(ct, recent) == [{"eventName": "CreateQueue"}]
    ancient = ct.start_query(
        QueryStatement=f"SELECT eventName FROM {store_id} WHERE eventTime < timestamp '2001-01-01 00:00:00'"
    )["QueryId"]
    finished(ct, ancient)
    assert (
        rows_of(ct, ancient) == []
        and ct.describe_query(QueryId=ancient)["QueryStatistics"]["EventsScanned"] == 0
    )
