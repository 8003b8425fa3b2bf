"""CloudTrail Lake around the event data stores: channels, dashboards, resource policies,
imports of log files from S3, federation, event configuration, Insights data, delegated admins;
and the trail checks AWS makes (an SNS topic that must exist, GetTrailStatus's members)."""

from __future__ import annotations

import gzip
import json
import time

import pytest
from botocore.exceptions import ClientError

from tests.integration.cloudtrail.policies import allow_trail_topic, trail_bucket

ACTIVITY = [
    {"Name": "custom", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["ActivityAuditLog"]}]}
]


def code_of(call, *args, **kwargs) -> str:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"]["Code"]


def wait_for(check, what: str):
    for _ in range(100):
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen")


def test_channel_lifecycle(ours, account):
    ct = ours("cloudtrail")
    management = ct.create_event_data_store(Name="mgmt", TerminationProtectionEnabled=False)[
        "EventDataStoreArn"
    ]
    custom = ct.create_event_data_store(
        Name="custom", AdvancedEventSelectors=ACTIVITY, TerminationProtectionEnabled=False
    )["EventDataStoreArn"]
    destination = [{"Type": "EVENT_DATA_STORE", "Location": management}]
    assert code_of(ct.create_channel, Name="chan", Source="Custom", Destinations=destination) == (
        "InvalidEventDataStoreCategoryException"
    )
    assert code_of(ct.create_channel, Name="chan", Source="not a source", Destinations=destination) == (
        "InvalidSourceException"
    )
    created = ct.create_channel(
        Name="chan",
        Source="Custom",
        Destinations=[{"Type": "EVENT_DATA_STORE", "Location": custom}],
        Tags=[{"Key": "k", "Value": "v"}],
    )
    arn = created["ChannelArn"]
    assert arn.startswith(f"arn:aws:cloudtrail:us-east-1:{account}:channel/")
    assert created["Tags"] == [{"Key": "k", "Value": "v"}]
    got = ct.get_channel(Channel=arn)
    assert (
        got["Name"] == "chan" and got["Source"] == "Custom" and got["Destinations"][0]["Location"] == custom
    )
    assert ct.list_channels()["Channels"] == [{"ChannelArn": arn, "Name": "chan"}]
    assert code_of(ct.create_channel, Name="chan", Source="Custom", Destinations=created["Destinations"]) == (
        "ChannelAlreadyExistsException"
    )
    assert ct.update_channel(Channel=arn, Name="renamed")["Name"] == "renamed"
    assert ct.list_tags(ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"] == [
        {"Key": "k", "Value": "v"}
    ]
    assert code_of(ct.delete_event_data_store, EventDataStore=custom) == "ChannelExistsForEDSException"
    ct.delete_channel(Channel=arn)
    assert code_of(ct.get_channel, Channel=arn) == "ChannelNotFoundException"
    assert (
        code_of(ct.get_channel, Channel="arn:aws:cloudtrail:us-east-1:1:nope/x")
        == "ChannelARNInvalidException"
    )


def test_dashboard_refresh_runs_its_widgets(ours, account):
    ct, sqs = ours("cloudtrail"), ours("sqs")
    store = ct.create_event_data_store(Name="dash", TerminationProtectionEnabled=False)["EventDataStoreArn"]
    sqs.create_queue(QueueName="dash-q")
    widget = {
        "QueryStatement": f"SELECT eventName, COUNT(*) AS n FROM {store.rsplit('/', 1)[1]} "
        "WHERE eventSource = 'sqs.amazonaws.com' AND eventTime > ? GROUP BY eventName",
        "QueryParameters": ["$StartTime$"],
        "ViewProperties": {"View": "Table"},
    }
    created = ct.create_dashboard(
        Name="ops",
        Widgets=[widget],
        RefreshSchedule={"Frequency": {"Unit": "HOURS", "Value": 6}, "Status": "ENABLED"},
    )
    assert created["DashboardArn"] == f"arn:aws:cloudtrail:us-east-1:{account}:dashboard/ops"
    assert created["Type"] == "CUSTOM" and created["Widgets"][0]["QueryAlias"]
    assert code_of(ct.create_dashboard, Name="ops") == "ConflictException"
    bad = {"QueryStatement": "SELECT 1", "ViewProperties": {"View": "Table"}}
    assert code_of(ct.create_dashboard, Name="bad", Widgets=[bad]) == "InvalidQueryStatementException"

    refresh_id = ct.start_dashboard_refresh(DashboardId="ops")["RefreshId"]
    alias = created["Widgets"][0]["QueryAlias"]
    described = wait_for(
        lambda: (
            (d := ct.describe_query(QueryAlias=alias, RefreshId=refresh_id))["QueryStatus"] == "FINISHED"
            and d
        ),
        "the widget's query",
    )
    rows = ct.get_query_results(QueryId=described["QueryId"])["QueryResultRows"]
    assert rows == [[{"eventName": "CreateQueue"}, {"n": "1"}]]
    got = ct.get_dashboard(DashboardId=created["DashboardArn"])
    assert got["LastRefreshId"] == refresh_id and got["Status"] == "CREATED"
    assert [d["DashboardArn"] for d in ct.list_dashboards(NamePrefix="ops")["Dashboards"]] == [
        created["DashboardArn"]
    ]
    assert ct.update_dashboard(DashboardId="ops", TerminationProtectionEnabled=True)[
        "TerminationProtectionEnabled"
    ]
    assert code_of(ct.delete_dashboard, DashboardId="ops") == "ConflictException"
    ct.update_dashboard(DashboardId="ops", TerminationProtectionEnabled=False)
    ct.delete_dashboard(DashboardId="ops")
    assert code_of(ct.get_dashboard, DashboardId="ops") == "ResourceNotFoundException"


def test_resource_policies(ours, account):
    ct = ours("cloudtrail")
    store = ct.create_event_data_store(Name="shared", TerminationProtectionEnabled=False)["EventDataStoreArn"]
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                    "Action": "cloudtrail:StartQuery",
                    "Resource": store,
                }
            ],
        }
    )
    assert code_of(ct.get_resource_policy, ResourceArn=store) == "ResourcePolicyNotFoundException"
    put = ct.put_resource_policy(ResourceArn=store, ResourcePolicy=policy)
    assert put["ResourceArn"] == store and put["ResourcePolicy"] == policy
    assert ct.get_resource_policy(ResourceArn=store)["ResourcePolicy"] == policy
    assert code_of(ct.put_resource_policy, ResourceArn=store, ResourcePolicy="{}") == (
        "ResourcePolicyNotValidException"
    )
    ct.delete_resource_policy(ResourceArn=store)
    assert code_of(ct.delete_resource_policy, ResourceArn=store) == "ResourcePolicyNotFoundException"
    assert code_of(ct.get_resource_policy, ResourceArn="arn:aws:s3:::bucket/x") == (
        "ResourceTypeNotSupportedException"
    )
    missing = f"arn:aws:cloudtrail:us-east-1:{account}:eventdatastore/00000000-0000-4000-8000-000000000000"
    assert code_of(ct.get_resource_policy, ResourceArn=missing) == "ResourceNotFoundException"


def _log_file(records: list[dict]) -> bytes:
    return gzip.compress(json.dumps({"Records": records}).encode())


def test_import_reads_cloudtrail_log_files_from_s3(ours, account):
    ct, s3 = ours("cloudtrail"), ours("s3")
    bucket = f"ct-import-{account}"
    s3.create_bucket(Bucket=bucket)
    event = {
        "eventVersion": "1.09",
        "eventTime": "2024-03-01T10:00:00Z",
        "eventSource": "ec2.amazonaws.com",
        "eventName": "RunInstances",
        "awsRegion": "us-east-1",
        "eventID": "11111111-2222-4333-8444-555555555555",
        "userIdentity": {"type": "IAMUser", "userName": "alice"},
        "readOnly": False,
    }
    later = dict(event, eventTime="2024-06-01T10:00:00Z", eventID="11111111-2222-4333-8444-666666666666")
    prefix = f"AWSLogs/{account}/CloudTrail/us-east-1/2024/03/01"
    s3.put_object(Bucket=bucket, Key=f"{prefix}/a.json.gz", Body=_log_file([event, later]))
    s3.put_object(Bucket=bucket, Key=f"{prefix}/broken.json.gz", Body=b"not a log file")
    # Ten years of retention: events older than a store's retention are not in it.
    store = ct.create_event_data_store(
        Name="imported", TerminationProtectionEnabled=False, StartIngestion=False, RetentionPeriod=3653
    )
    started = ct.start_import(
        Destinations=[store["EventDataStoreArn"]],
        ImportSource={
            "S3": {
                "S3LocationUri": f"s3://{bucket}/AWSLogs",
                "S3BucketRegion": "us-east-1",
                "S3BucketAccessRoleArn": f"arn:aws:iam::{account}:role/import",
            }
        },
        EndEventTime="2024-04-01T00:00:00Z",
    )
    import_id = started["ImportId"]
    assert started["ImportStatus"] == "INITIALIZING"
    done = wait_for(
        lambda: (g := ct.get_import(ImportId=import_id))["ImportStatus"] == "COMPLETED" and g, "the import"
    )
    assert (
        done["ImportStatistics"]["FilesCompleted"] == 1 and done["ImportStatistics"]["EventsCompleted"] == 1
    )
    [failure] = ct.list_import_failures(ImportId=import_id)["Failures"]
    assert failure["Location"] == f"s3://{bucket}/{prefix}/broken.json.gz" and failure["Status"] == "FAILED"
    assert [i["ImportId"] for i in ct.list_imports(Destination=store["EventDataStoreArn"])["Imports"]] == [
        import_id
    ]

    store_id = store["EventDataStoreArn"].rsplit("/", 1)[1]
    query_id = ct.start_query(
        QueryStatement=f"SELECT eventName, userIdentity.userName, eventTime FROM {store_id}"
    )["QueryId"]
    wait_for(lambda: ct.describe_query(QueryId=query_id)["QueryStatus"] == "FINISHED", "the query")
    assert ct.get_query_results(QueryId=query_id)["QueryResultRows"] == [
        [{"eventName": "RunInstances"}, {"userName": "alice"}, {"eventTime": "2024-03-01 10:00:00.000"}]
    ]
    assert (
        code_of(ct.get_import, ImportId="00000000-0000-4000-8000-000000000000") == "ImportNotFoundException"
    )


def test_federation_event_configuration_insights_and_organizations(ours, account):
    ct = ours("cloudtrail")
    store = ct.create_event_data_store(Name="fed", TerminationProtectionEnabled=False)["EventDataStoreArn"]
    role = f"arn:aws:iam::{account}:role/federation"
    assert code_of(ct.enable_federation, EventDataStore=store, FederationRoleArn=role) == (
        "InsufficientDependencyServiceAccessPermissionException"
    )
    assert ct.disable_federation(EventDataStore=store)["FederationStatus"] == "DISABLED"
    assert ct.get_event_data_store(EventDataStore=store)["FederationStatus"] == "DISABLED"

    assert ct.get_event_configuration(EventDataStore=store)["MaxEventSize"] == "Standard"
    selectors = [{"Type": "RequestContext", "Equals": ["aws:SourceIp"]}]
    put = ct.put_event_configuration(
        EventDataStore=store, MaxEventSize="Large", ContextKeySelectors=selectors
    )
    assert put["EventDataStoreArn"] == store and put["ContextKeySelectors"] == selectors
    assert ct.get_event_configuration(EventDataStore=store)["MaxEventSize"] == "Large"
    assert code_of(ct.get_event_configuration) == "InvalidParameterCombinationException"

    assert ct.list_insights_data(InsightSource=store, DataType="InsightsEvents")["Events"] == []
    sqs = ours("sqs")
    sqs.create_queue(QueueName="insight-q")
    metrics = ct.list_insights_metric_data(
        EventSource="sqs.amazonaws.com", EventName="CreateQueue", InsightType="ApiCallRateInsight", Period=60
    )
    assert sum(metrics["Values"]) == 1.0 and len(metrics["Timestamps"]) == 1

    assert code_of(ct.register_organization_delegated_admin, MemberAccountId="111122223333") == (
        "OrganizationsNotInUseException"
    )
    assert code_of(ct.deregister_organization_delegated_admin, DelegatedAdminAccountId="111122223333") == (
        "OrganizationsNotInUseException"
    )


def test_trail_with_a_missing_sns_topic_is_refused(ours, account):
    ct, s3, sns = ours("cloudtrail"), ours("s3"), ours("sns")
    bucket = f"ct-sns-{account}"
    trail_bucket(s3, bucket)
    assert code_of(ct.create_trail, Name="sns-trail", S3BucketName=bucket, SnsTopicName="nope") == (
        "InsufficientSnsTopicPolicyException"
    )
    topic = sns.create_topic(Name="trail-topic")["TopicArn"]
    # The topic's default policy lets only its own account publish: not CloudTrail.
    assert code_of(ct.create_trail, Name="sns-trail", S3BucketName=bucket, SnsTopicName="trail-topic") == (
        "InsufficientSnsTopicPolicyException"
    )
    allow_trail_topic(sns, topic)
    created = ct.create_trail(Name="sns-trail", S3BucketName=bucket, SnsTopicName="trail-topic")
    assert created["SnsTopicARN"] == f"arn:aws:sns:us-east-1:{account}:trail-topic"
    status = ct.get_trail_status(Name="sns-trail")
    assert status["IsLogging"] is False
    for member in ("LatestDeliveryAttemptTime", "LatestDeliveryAttemptSucceeded", "TimeLoggingStarted"):
        assert status[member] == ""
