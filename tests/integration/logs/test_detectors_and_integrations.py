"""CloudWatch Logs anomaly detectors, syslog configurations, integrations and import tasks
through boto3."""

from __future__ import annotations

import json
import time
import uuid

import pytest

ACCOUNT, REGION = "000000000000", "us-east-1"


@pytest.fixture
def logs(client):
    return client("logs")


@pytest.fixture
def group(logs) -> dict:
    name = f"/detect/{uuid.uuid4().hex[:10]}"
    logs.create_log_group(logGroupName=name)
    return logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]


def test_anomaly_detector_lifecycle(logs, group):
    arn = logs.create_log_anomaly_detector(
        logGroupArnList=[group["logGroupArn"]],
        detectorName="errors",
        evaluationFrequency="FIVE_MIN",
        filterPattern="ERROR",
        anomalyVisibilityTime=14,
    )["anomalyDetectorArn"]
    assert arn.startswith(f"arn:aws:logs:{REGION}:{ACCOUNT}:anomaly-detector:")
    got = logs.get_log_anomaly_detector(anomalyDetectorArn=arn)
    assert got["detectorName"] == "errors" and got["logGroupArnList"] == [group["logGroupArn"]]
    assert got["anomalyDetectorStatus"] == "TRAINING" and got["anomalyVisibilityTime"] == 14
    logs.update_log_anomaly_detector(anomalyDetectorArn=arn, enabled=False, evaluationFrequency="ONE_HOUR")
    got = logs.get_log_anomaly_detector(anomalyDetectorArn=arn)
    assert got["anomalyDetectorStatus"] == "PAUSED" and got["evaluationFrequency"] == "ONE_HOUR"
    listed = logs.list_log_anomaly_detectors(filterLogGroupArn=group["logGroupArn"])["anomalyDetectors"]
    assert [d["anomalyDetectorArn"] for d in listed] == [arn]
    assert logs.list_anomalies(anomalyDetectorArn=arn)["anomalies"] == []
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.update_anomaly(anomalyDetectorArn=arn, patternId="0" * 32, suppressionType="INFINITE")
    logs.delete_log_anomaly_detector(anomalyDetectorArn=arn)
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.get_log_anomaly_detector(anomalyDetectorArn=arn)
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.list_anomalies(anomalyDetectorArn=arn)


def test_anomaly_detector_input_is_checked(logs, group):
    missing = group["logGroupArn"] + "-gone"
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.create_log_anomaly_detector(logGroupArnList=[missing])
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.create_log_anomaly_detector(logGroupArnList=[group["logGroupArn"]], filterPattern='{ $.x = "')
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.create_log_anomaly_detector(logGroupArnList=[group["logGroupArn"]], kmsKeyId="not-a-key")
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.create_log_anomaly_detector(logGroupArnList=[group["logGroupArn"], group["logGroupArn"]])


def test_syslog_configurations(logs, group):
    name = group["logGroupName"]
    logs.put_syslog_configuration(logGroupIdentifier=name)
    listed = logs.list_syslog_configurations(logGroupIdentifier=name)["syslogConfigurations"]
    assert [c["logGroupArn"] for c in listed] == [group["logGroupArn"]]
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.put_syslog_configuration(logGroupIdentifier=name, vpcEndpointId="vpce-0123abcd")
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.put_syslog_configuration(logGroupIdentifier=name + "-gone")
    logs.delete_syslog_configuration(logGroupIdentifier=group["logGroupArn"])
    assert logs.list_syslog_configurations(logGroupIdentifier=name)["syslogConfigurations"] == []
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.delete_syslog_configuration(logGroupIdentifier=name)


def test_opensearch_integration_is_recorded_as_failed(logs):
    name = f"os-{uuid.uuid4().hex[:8]}"
    config = {
        "openSearchResourceConfig": {
            "dataSourceRoleArn": f"arn:aws:iam::{ACCOUNT}:role/os",
            "dashboardViewerPrincipals": [f"arn:aws:iam::{ACCOUNT}:role/viewer"],
            "retentionDays": 7,
        }
    }
    put = logs.put_integration(integrationName=name, resourceConfig=config, integrationType="OPENSEARCH")
    assert put == {
        "integrationName": name,
        "integrationStatus": "FAILED",
        "ResponseMetadata": put["ResponseMetadata"],
    }
    got = logs.get_integration(integrationName=name)
    collection = got["integrationDetails"]["openSearchIntegrationDetails"]["collection"]
    assert collection["status"]["status"] == "NOT_FOUND"
    summaries = logs.list_integrations(integrationNamePrefix=name)["integrationSummaries"]
    assert summaries == [
        {"integrationName": name, "integrationType": "OPENSEARCH", "integrationStatus": "FAILED"}
    ]
    logs.delete_integration(integrationName=name)
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.get_integration(integrationName=name)


def test_s3_table_integrations_and_imports_name_missing_resources(logs):
    integration = f"arn:aws:logs:{REGION}:{ACCOUNT}:integration/s3tables-1"
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.associate_source_to_s3_table_integration(
            integrationArn=integration, dataSource={"name": "cloudtrail", "type": "aws"}
        )
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.list_sources_for_s3_table_integration(integrationArn=integration)
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.disassociate_source_from_s3_table_integration(identifier="source-1")
    store = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE"
    role = f"arn:aws:iam::{ACCOUNT}:role/import"
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.create_import_task(importSourceArn=store, importRoleArn=role)
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.create_import_task(importSourceArn="arn:aws:s3:::bucket", importRoleArn=role)
    assert logs.describe_import_tasks(importSourceArn=store)["imports"] == []
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.describe_import_task_batches(importId="import-1")
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.cancel_import_task(importId="import-1")


def test_import_task_copies_an_event_data_stores_events(client, logs):
    cloudtrail, iam = client("cloudtrail"), client("iam")
    store = cloudtrail.create_event_data_store(
        Name=f"import-{uuid.uuid4().hex[:8]}", TerminationProtectionEnabled=False
    )
    store_arn = store["EventDataStoreArn"]
    user = f"imported-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)  # a management event the store records
    role = f"arn:aws:iam::{ACCOUNT}:role/import"
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.create_import_task(importSourceArn=store_arn, importRoleArn="not-a-role")
    created = logs.create_import_task(importSourceArn=store_arn, importRoleArn=role)
    store_id = store_arn.rsplit("/", 1)[1]
    destination = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:aws/cloudtrail/{store_id}"
    assert created["importDestinationArn"] == destination
    import_id = created["importId"]
    deadline = time.monotonic() + 10
    while True:
        [task] = logs.describe_import_tasks(importId=import_id)["imports"]
        if task["importStatus"] != "IN_PROGRESS" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert task["importStatus"] == "COMPLETED"
    assert task["importSourceArn"] == store_arn and task["importDestinationArn"] == destination
    assert task["importStatistics"]["bytesImported"] > 0
    assert task["creationTime"] <= task["lastUpdatedTime"]
    batches = logs.describe_import_task_batches(importId=import_id)
    assert batches["importId"] == import_id and batches["importSourceArn"] == store_arn
    assert batches["importBatches"] and {b["status"] for b in batches["importBatches"]} == {"COMPLETED"}
    assert (
        logs.describe_import_task_batches(importId=import_id, batchImportStatus=["FAILED"])["importBatches"]
        == []
    )
    events = logs.filter_log_events(logGroupName=f"aws/cloudtrail/{store_id}")["events"]
    created_users = [json.loads(e["message"]) for e in events if '"CreateUser"' in e["message"]]
    assert any(e["requestParameters"]["userName"] == user for e in created_users)
    assert import_id in [
        t["importId"] for t in logs.describe_import_tasks(importSourceArn=store_arn)["imports"]
    ]
    assert logs.describe_import_tasks(importId=import_id, importStatus="CANCELLED")["imports"] == []
    # A finished import cannot be cancelled.
    with pytest.raises(logs.exceptions.InvalidOperationException):
        logs.cancel_import_task(importId=import_id)
    # A window with no events imports nothing and is complete at once.
    empty = logs.create_import_task(
        importSourceArn=store_arn,
        importRoleArn=role,
        importFilter={"startEventTime": 0, "endEventTime": 1000},
    )
    [task] = logs.describe_import_tasks(importId=empty["importId"])["imports"]
    assert task["importStatus"] == "COMPLETED" and task["importFilter"] == {
        "startEventTime": 0,
        "endEventTime": 1000,
    }


def test_log_fields_of_a_data_source_the_account_lacks(logs, group):
    # No AWS service vends logs into this account, so it has no data source of this name.
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.get_log_fields(dataSourceName="amazon_vpc", dataSourceType="flow")
