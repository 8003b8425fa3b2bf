"""Lake's state machines, called on the provider directly: a query cancelled before it runs
never runs, and a deleted event data store is gone once its seven-day wait is over."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.cloudtrail import lake
from overcast.services.cloudtrail.channels import refresh_due

ACCOUNT, REGION = "000000000000", "us-east-1"


@pytest.fixture
def cloudtrail(runtime):
    return runtime.provider("cloudtrail")


@pytest.fixture
def context():
    return RequestContext.internal("cloudtrail", ACCOUNT, REGION)


def test_a_query_cancelled_while_queued_never_runs(runtime, cloudtrail, context):
    store = cloudtrail.create_event_data_store(
        context, {"Name": "queued", "TerminationProtectionEnabled": False}
    )
    store_id = store["EventDataStoreArn"].rsplit("/", 1)[1]
    # No loop is attached yet, so the query waits in the queue.
    query_id = cloudtrail.start_query(context, {"QueryStatement": f"SELECT eventID FROM {store_id}"})[
        "QueryId"
    ]
    assert cloudtrail.describe_query(context, {"QueryId": query_id})["QueryStatus"] == "QUEUED"
    assert cloudtrail.cancel_query(context, {"QueryId": query_id}) == {
        "QueryId": query_id,
        "QueryStatus": "CANCELLED",
    }
    asyncio.run(cloudtrail._run_query(ACCOUNT, REGION, query_id))
    assert cloudtrail.get_query_results(context, {"QueryId": query_id})["QueryStatus"] == "CANCELLED"
    with pytest.raises(ServiceError) as again:
        cloudtrail.cancel_query(context, {"QueryId": query_id})
    assert again.value.code == "InactiveQueryException"


def test_a_deleted_store_is_gone_after_its_wait(cloudtrail, context, monkeypatch):
    arn = cloudtrail.create_event_data_store(
        context, {"Name": "brief", "TerminationProtectionEnabled": False}
    )["EventDataStoreArn"]
    cloudtrail.delete_event_data_store(context, {"EventDataStore": arn})
    deleted_at = lake._now_us()
    monkeypatch.setattr(lake, "_now_us", lambda: deleted_at + 6 * lake.DAY_US)
    assert cloudtrail.get_event_data_store(context, {"EventDataStore": arn})["Status"] == "PENDING_DELETION"
    monkeypatch.setattr(lake, "_now_us", lambda: deleted_at + 8 * lake.DAY_US)
    with pytest.raises(ServiceError) as gone:
        cloudtrail.get_event_data_store(context, {"EventDataStore": arn})
    assert gone.value.code == "EventDataStoreNotFoundException"
    assert cloudtrail.list_event_data_stores(context, {})["EventDataStores"] == []


def test_queries_are_kept_for_seven_days(cloudtrail, context):
    store = cloudtrail.create_event_data_store(
        context, {"Name": "kept", "TerminationProtectionEnabled": False}
    )
    statement = f"SELECT eventID FROM {store['EventDataStoreArn'].rsplit('/', 1)[1]}"
    old = cloudtrail.start_query(context, {"QueryStatement": statement})["QueryId"]
    cloudtrail.cancel_query(context, {"QueryId": old})
    scope = f"{ACCOUNT}/{REGION}"
    record = cloudtrail.lake_queries.get(scope, old)
    record["CreationTime"] -= timedelta(days=8)
    cloudtrail.lake_queries.put(scope, old, record)
    cloudtrail.start_query(context, {"QueryStatement": statement})
    with pytest.raises(ServiceError) as gone:
        cloudtrail.describe_query(context, {"QueryId": old})
    assert gone.value.code == "QueryIdNotFoundException"


def test_dashboards_refresh_on_their_schedule(cloudtrail, context):
    store = cloudtrail.create_event_data_store(
        context, {"Name": "sched", "TerminationProtectionEnabled": False}
    )
    widget = {
        "QueryStatement": f"SELECT eventName FROM {store['EventDataStoreArn'].rsplit('/', 1)[1]}",
        "ViewProperties": {"View": "Table"},
    }
    schedule = {"Frequency": {"Unit": "HOURS", "Value": 1}, "Status": "ENABLED"}
    cloudtrail.create_dashboard(context, {"Name": "hourly", "Widgets": [widget], "RefreshSchedule": schedule})
    cloudtrail.create_dashboard(context, {"Name": "manual", "Widgets": [widget]})
    created = cloudtrail.dashboards.get(f"{ACCOUNT}/{REGION}", "hourly")["CreatedTimestamp"]
    assert cloudtrail.refresh_due_dashboards(created + timedelta(minutes=59)) == 0
    assert cloudtrail.refresh_due_dashboards(created + timedelta(minutes=61)) == 1
    refreshed = cloudtrail.get_dashboard(context, {"DashboardId": "hourly"})
    alias = refreshed["Widgets"][0]["QueryAlias"]
    described = cloudtrail.describe_query(
        context, {"QueryAlias": alias, "RefreshId": refreshed["LastRefreshId"]}
    )
    assert described["QueryStatus"] == "QUEUED"
    assert "LastRefreshId" not in cloudtrail.get_dashboard(context, {"DashboardId": "manual"})

    cloudtrail.delete_event_data_store(context, {"EventDataStore": store["EventDataStoreArn"]})
    assert cloudtrail.refresh_due_dashboards(created + timedelta(hours=3)) == 1
    assert (
        "inactive" in cloudtrail.get_dashboard(context, {"DashboardId": "hourly"})["LastRefreshFailureReason"]
    )


def test_daily_refresh_waits_for_its_time_of_day():
    daily = {
        "RefreshSchedule": {
            "Frequency": {"Unit": "DAYS", "Value": 1},
            "Status": "ENABLED",
            "TimeOfDay": "06:30",
        },
        "CreatedTimestamp": datetime(2026, 1, 1, 8, 0, tzinfo=UTC),
    }
    assert not refresh_due(daily, datetime(2026, 1, 2, 6, 29, tzinfo=UTC))
    assert refresh_due(daily, datetime(2026, 1, 2, 6, 31, tzinfo=UTC))
    daily["LastRefreshAt"] = datetime(2026, 1, 2, 6, 31, tzinfo=UTC)
    assert not refresh_due(daily, datetime(2026, 1, 3, 6, 0, tzinfo=UTC))
    daily["RefreshSchedule"]["Status"] = "DISABLED"
    assert not refresh_due(daily, datetime(2026, 1, 9, 7, 0, tzinfo=UTC))


def test_imports_stop_restart_and_one_at_a_time(cloudtrail, context):
    store = cloudtrail.create_event_data_store(
        context, {"Name": "imports", "TerminationProtectionEnabled": False}
    )
    source = {
        "S3": {
            "S3LocationUri": "s3://some-bucket/AWSLogs",
            "S3BucketRegion": REGION,
            "S3BucketAccessRoleArn": f"arn:aws:iam::{ACCOUNT}:role/import",
        }
    }
    params = {"Destinations": [store["EventDataStoreArn"]], "ImportSource": source}
    # No loop is attached, so the import waits to start.
    import_id = cloudtrail.start_import(context, params)["ImportId"]
    with pytest.raises(ServiceError) as ongoing:
        cloudtrail.start_import(context, params)
    assert ongoing.value.code == "AccountHasOngoingImportException"
    stopped = cloudtrail.stop_import(context, {"ImportId": import_id})
    assert stopped["ImportStatus"] == "STOPPED" and stopped["ImportStatistics"]["FilesCompleted"] == 0
    asyncio.run(cloudtrail._run_import(ACCOUNT, import_id))
    assert cloudtrail.get_import(context, {"ImportId": import_id})["ImportStatus"] == "STOPPED"
    assert cloudtrail.start_import(context, {"ImportId": import_id})["ImportStatus"] == "INITIALIZING"
    listed = cloudtrail.list_imports(context, {"ImportStatus": "INITIALIZING"})["Imports"]
    assert [i["ImportId"] for i in listed] == [import_id]
    bad = {**params, "ImportSource": {"S3": {**source["S3"], "S3BucketAccessRoleArn": "not-a-role"}}}
    with pytest.raises(ServiceError) as invalid:
        cloudtrail.start_import(context, bad)
    assert invalid.value.code == "InvalidImportSourceException"
