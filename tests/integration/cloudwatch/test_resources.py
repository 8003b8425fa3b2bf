"""Dashboards (bodies checked as AWS checks them), metric streams, anomaly detectors and
Contributor Insights rules: real state, validated."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def cw(client):
    return client("cloudwatch")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


BODY = {
    "widgets": [
        {"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6,
         "properties": {"metrics": [["AWS/Lambda", "Errors", "FunctionName", "my-api"]], "period": 300, "stat": "Sum", "region": "us-east-1"}},
        {"type": "text", "x": 12, "y": 0, "width": 6, "height": 3, "properties": {"markdown": "# Ops"}},
    ]
}  # fmt: skip


def test_dashboard_lifecycle(cw):
    name = unique("ops")
    assert (
        cw.put_dashboard(DashboardName=name, DashboardBody=json.dumps(BODY))["DashboardValidationMessages"]
        == []
    )
    got = cw.get_dashboard(DashboardName=name)
    assert json.loads(got["DashboardBody"]) == BODY
    assert got["DashboardArn"] == f"arn:aws:cloudwatch::000000000000:dashboard/{name}"
    entries = cw.list_dashboards(DashboardNamePrefix=name)["DashboardEntries"]
    assert [(e["DashboardName"], e["Size"]) for e in entries] == [(name, len(json.dumps(BODY)))]
    cw.delete_dashboards(DashboardNames=[name])
    with pytest.raises(ClientError) as error:
        cw.get_dashboard(DashboardName=name)
    assert error.value.response["Error"]["Code"] == "ResourceNotFound"
    with pytest.raises(ClientError) as error:
        cw.delete_dashboards(DashboardNames=[name])
    assert error.value.response["Error"]["Code"] == "ResourceNotFound"


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        ("not json", "", "The field DashboardBody must be a valid JSON object"),
        ("{}", "", "Should have required property 'widgets'"),
        ('{"widgets": [{"properties": {}}]}', "/widgets/0", "Should have required property 'type'"),
        (
            '{"widgets": [{"type": "chart", "properties": {}}]}',
            "/widgets/0/type",
            "Should be equal to one of the allowed values",
        ),
        (
            '{"widgets": [{"type": "text", "width": 30, "properties": {"markdown": "x"}}]}',
            "/widgets/0/width",
            "Should be <= 24",
        ),
        (
            '{"widgets": [{"type": "metric", "properties": {}}]}',
            "/widgets/0/properties",
            "Should have required property 'metrics'",
        ),
    ],
)
def test_dashboard_body_validation(cw, body, path, message):
    with pytest.raises(ClientError) as error:
        cw.put_dashboard(DashboardName=unique("bad"), DashboardBody=body)
    response = error.value.response
    assert response["Error"]["Code"] == "InvalidParameterInput"
    assert message in response["Error"]["Message"]
    assert f'"dataPath": "{path}"' in response["Error"]["Message"]


def test_metric_streams(cw):
    name = unique("stream")
    arn = cw.put_metric_stream(
        Name=name,
        FirehoseArn="arn:aws:firehose:us-east-1:000000000000:deliverystream/metrics",
        RoleArn="arn:aws:iam::000000000000:role/stream",
        OutputFormat="json",
        IncludeFilters=[{"Namespace": "AWS/Lambda"}],
    )["Arn"]
    assert arn.endswith(f":metric-stream/{name}")
    stream = cw.get_metric_stream(Name=name)
    assert stream["State"] == "running" and stream["OutputFormat"] == "json"
    assert [f["Namespace"] for f in stream["IncludeFilters"]] == ["AWS/Lambda"]
    cw.stop_metric_streams(Names=[name])
    assert cw.get_metric_stream(Name=name)["State"] == "stopped"
    assert name in [e["Name"] for e in cw.list_metric_streams()["Entries"]]
    with pytest.raises(ClientError) as error:
        cw.put_metric_stream(
            Name=unique("bad"), FirehoseArn="arn:aws:firehose:us-east-1:000000000000:deliverystream/x",
            RoleArn="arn:aws:iam::000000000000:role/r", OutputFormat="json",
            IncludeFilters=[{"Namespace": "A"}], ExcludeFilters=[{"Namespace": "B"}],
        )  # fmt: skip
    assert error.value.response["Error"]["Code"] == "InvalidParameterCombination"
    cw.delete_metric_stream(Name=name)
    with pytest.raises(ClientError) as error:
        cw.get_metric_stream(Name=name)
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_anomaly_detectors(cw):
    ns = unique("Anomaly")
    spec = {
        "Namespace": ns,
        "MetricName": "Latency",
        "Dimensions": [{"Name": "Api", "Value": "a"}],
        "Stat": "Average",
    }
    first = cw.put_anomaly_detector(SingleMetricAnomalyDetector=spec)
    again = cw.put_anomaly_detector(SingleMetricAnomalyDetector=spec, Configuration={"MetricTimezone": "UTC"})
    assert first.get("AnomalyDetectorId") == again.get("AnomalyDetectorId")
    [detector] = cw.describe_anomaly_detectors(Namespace=ns)["AnomalyDetectors"]
    assert detector["StateValue"] == "PENDING_TRAINING"
    assert detector["SingleMetricAnomalyDetector"]["MetricName"] == "Latency"
    assert detector["Configuration"]["MetricTimezone"] == "UTC"
    cw.delete_anomaly_detector(SingleMetricAnomalyDetector=spec)
    assert cw.describe_anomaly_detectors(Namespace=ns)["AnomalyDetectors"] == []
    with pytest.raises(ClientError) as error:
        cw.delete_anomaly_detector(SingleMetricAnomalyDetector=spec)
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"


RULE = {
    "Schema": {"Name": "CloudWatchLogRule", "Version": 1},
    "LogGroupNames": ["/aws/lambda/*"],
    "LogFormat": "JSON",
    "Contribution": {"Keys": ["$.ip"]},
    "AggregateOn": "Count",
}


def test_insight_rules(cw):
    name = unique("top-ips")
    cw.put_insight_rule(RuleName=name, RuleDefinition=json.dumps(RULE))
    rules = {r["Name"]: r for r in cw.describe_insight_rules()["InsightRules"]}
    assert rules[name]["State"] == "ENABLED" and rules[name]["Schema"] == "CloudWatchLogRule/1"
    cw.disable_insight_rules(RuleNames=[name])
    assert {r["Name"]: r for r in cw.describe_insight_rules()["InsightRules"]}[name]["State"] == "DISABLED"
    failures = cw.delete_insight_rules(RuleNames=[name, unique("none")])["Failures"]
    assert len(failures) == 1
    with pytest.raises(ClientError) as error:
        cw.put_insight_rule(RuleName=unique("bad"), RuleDefinition=json.dumps({**RULE, "AggregateOn": "Max"}))
    assert error.value.response["Error"]["Code"] == "InvalidParameterValue"
    table = "arn:aws:dynamodb:us-east-1:000000000000:table/orders"
    out = cw.put_managed_insight_rules(
        ManagedRules=[{"TemplateName": "DynamoDBContributorInsights-PartitionKey", "ResourceARN": table}]
    )
    assert out["Failures"] == []
    managed = cw.list_managed_insight_rules(ResourceARN=table)["ManagedRules"]
    assert managed[0]["TemplateName"] == "DynamoDBContributorInsights-PartitionKey"


def test_insight_rule_report_over_log_events(client, cw):
    logs = client("logs")
    group = f"/app/{unique('web')}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = int(__import__("time").time() * 1000)
    lines = [("1.1.1.1", 200, 10), ("1.1.1.1", 500, 30), ("2.2.2.2", 200, 5), ("3.3.3.3", 404, 1)]
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[
            {"timestamp": now, "message": json.dumps({"ip": ip, "status": st, "bytes": b})}
            for ip, st, b in lines
        ],
    )
    name = unique("bytes-by-ip")
    rule = {**RULE, "LogGroupNames": [group], "AggregateOn": "Sum",
            "Contribution": {"Keys": ["$.ip"], "ValueOf": "$.bytes", "Filters": [{"Match": "$.status", "LessThan": 404}]}}  # fmt: skip
    cw.put_insight_rule(RuleName=name, RuleDefinition=json.dumps(rule))
    from datetime import UTC, datetime, timedelta

    moment = datetime.now(UTC)
    report = cw.get_insight_rule_report(
        RuleName=name, StartTime=moment - timedelta(minutes=5), EndTime=moment + timedelta(minutes=1), Period=60,
        Metrics=["UniqueContributors", "Sum"],
    )  # fmt: skip
    assert report["KeyLabels"] == ["$.ip"] and report["AggregationStatistic"] == "Sum"
    assert [(c["Keys"], c["ApproximateAggregateValue"]) for c in report["Contributors"]] == [
        (["1.1.1.1"], 10.0),
        (["2.2.2.2"], 5.0),
    ]
    assert report["AggregateValue"] == 15.0 and report["ApproximateUniqueCount"] == 2
    assert report["MetricDatapoints"][0]["UniqueContributors"] == 2.0
    with pytest.raises(ClientError) as error:
        cw.get_insight_rule_report(
            RuleName=unique("none"), StartTime=moment - timedelta(minutes=5), EndTime=moment, Period=60
        )
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
