"""What other services rely on: CloudWatch's `publish` (through publish.publish_metric, which
Lambda, SQS, SNS and Logs call), aggregated per minute in memory and written by `flush`, and
the Embedded Metric Format reader Logs uses. Also the roll-up of old datapoints."""

from __future__ import annotations

import json
import time

import pytest

from overcast.context import RequestContext
from overcast.services.cloudwatch.datastore import chunk_key, metric_id
from overcast.services.cloudwatch.publish import emf_metrics, publish_metric
from overcast.store import scope as store_scope

ACCOUNT, REGION = "111122223333", "eu-west-1"


@pytest.fixture
def cw(runtime):
    return runtime.provider("cloudwatch")


def statistics(
    cw, namespace: str, name: str, dims: list[dict], stat: str = "Sum", period: int = 60
) -> list[float]:
    context = RequestContext.internal("cloudwatch", ACCOUNT, REGION)
    now = time.time()
    out = cw.get_metric_statistics(
        context,
        {"Namespace": namespace, "MetricName": name, "Dimensions": dims, "Period": period,
         "Statistics": [stat], "StartTime": now - 600, "EndTime": now + 60},
    )  # fmt: skip
    return [p[stat] for p in out["Datapoints"]]


def test_publish_aggregates_until_flushed(cw):
    for value in (1, 2, 3):
        cw.publish(ACCOUNT, REGION, "AWS/SQS", "NumberOfMessagesSent", {"QueueName": "q"}, value, "Count")
    dims = [{"Name": "QueueName", "Value": "q"}]
    assert statistics(cw, "AWS/SQS", "NumberOfMessagesSent", dims) == []
    cw.flush()
    assert statistics(cw, "AWS/SQS", "NumberOfMessagesSent", dims) == [6.0]
    assert statistics(cw, "AWS/SQS", "NumberOfMessagesSent", dims, "SampleCount") == [3.0]


def test_publish_metric_and_emf(cw, runtime):
    publish_metric(runtime, ACCOUNT, REGION, "App", "Latency", {}, 120.0, "Milliseconds")
    publish_metric(runtime, ACCOUNT, REGION, "App", "Latency", {}, 80.0, "Bogus")
    line = json.dumps({
        "_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [
            {"Namespace": "App", "Dimensions": [["Service"]], "Metrics": [{"Name": "Orders", "Unit": "Count"}]}]},
        "Service": "checkout", "Orders": [2, 3],
    })  # fmt: skip
    assert emf_metrics("not json") == [] and emf_metrics('{"_aws": "broken"}') == []
    for namespace, name, dims, value, unit, moment in emf_metrics(line):
        publish_metric(runtime, ACCOUNT, REGION, namespace, name, dims, value, unit, moment)
    cw.flush()
    # An unknown unit is "None": a datapoint of its own beside the Milliseconds one.
    assert sorted(statistics(cw, "App", "Latency", [])) == [80.0, 120.0]
    assert statistics(cw, "App", "Orders", [{"Name": "Service", "Value": "checkout"}]) == [5.0]


def test_roll_up_folds_old_seconds_into_minutes_and_drops_the_oldest(cw):
    scope = store_scope(ACCOUNT, REGION)
    now = time.time()
    old = int(now) - 4 * 3600
    old -= old % 60
    cw.put_data(
        ACCOUNT,
        REGION,
        "Roll",
        [({"MetricName": "M", "Dimensions": []}, {(old + 1, 1, "None"): {"n": 1.0, "s": 2.0, "lo": 2.0, "hi": 2.0, "v": [[2.0, 1.0]]}}),
         ({"MetricName": "M", "Dimensions": []}, {(old + 2, 1, "None"): {"n": 1.0, "s": 4.0, "lo": 4.0, "hi": 4.0, "v": [[4.0, 1.0]]}})],
    )  # fmt: skip
    mid = metric_id("Roll", "M", [])
    assert cw.data.points.get(scope, chunk_key(mid, old, 1, "None")) is not None
    with cw.store.transaction():
        assert cw.data.roll_up(scope, now) >= 1
    assert cw.data.points.get(scope, chunk_key(mid, old, 1, "None")) is None
    [(ts, resolution, _, bucket)] = list(cw.data.buckets(scope, mid, old - 60, old + 60))
    assert (ts, resolution, bucket["n"], bucket["s"], bucket["v"]) == (
        old,
        60,
        2.0,
        6.0,
        [[2.0, 1.0], [4.0, 1.0]],
    )
    # Past 455 days nothing is kept.
    with cw.store.transaction():
        cw.data.roll_up(scope, now + 500 * 86400)
    assert list(cw.data.buckets(scope, mid, 0, now + 1)) == []


def test_an_alarm_just_after_its_period_ended_judges_that_period(cw):
    """A period just begun has no data yet: the alarm looks at the one that ended, where the
    breach is, rather than calling the new one missing."""
    context = RequestContext.internal("cloudwatch", ACCOUNT, REGION)
    cw.put_metric_alarm(
        context,
        {"AlarmName": "edge", "MetricName": "Errors", "Namespace": "Edge", "Statistic": "Sum", "Period": 60,
         "EvaluationPeriods": 1, "Threshold": 5, "ComparisonOperator": "GreaterThanThreshold",
         "TreatMissingData": "notBreaching"},
    )  # fmt: skip
    now = time.time()
    minute = int(now) - int(now) % 60
    cw.put_metric_data(
        context,
        {"Namespace": "Edge", "MetricData": [{"MetricName": "Errors", "Value": 9, "Timestamp": minute - 30}]},
    )
    scope = store_scope(ACCOUNT, REGION)
    cw.evaluate_alarm(scope, cw.alarms.get(scope, "edge"), now=minute + 1)
    alarm = cw.alarms.get(scope, "edge")
    assert alarm["StateValue"] == "ALARM"
    assert f"[9.0 ({time.strftime('%d/%m/%y %H:%M:%S', time.gmtime(minute - 60))})]" in alarm["StateReason"]


def test_dynamodb_requests_refused_for_throughput_count_as_throttled(cw, runtime):
    from overcast import protocols
    from overcast.errors import ServiceError
    from overcast.services.dynamodb import metrics as dynamodb_metrics

    context = RequestContext.internal("dynamodb", ACCOUNT, REGION)
    context.operation = protocols.service_model("dynamodb").operation_model("PutItem")
    refused = ServiceError("ProvisionedThroughputExceededException", "The level of configured provisioned throughput for the table was exceeded.")  # fmt: skip
    for _ in range(2):
        dynamodb_metrics.observe(runtime, context, {"TableName": "orders"}, None, refused)
    dynamodb_metrics.observe(
        runtime, context, {"TableName": "orders"}, None, ServiceError("ValidationException", "no")
    )
    cw.flush()
    dims = [{"Name": "TableName", "Value": "orders"}, {"Name": "Operation", "Value": "PutItem"}]
    assert statistics(cw, "AWS/DynamoDB", "ThrottledRequests", dims) == [2.0]
    assert statistics(cw, "AWS/DynamoDB", "WriteThrottleEvents", dims[:1]) == [2.0]
    assert statistics(cw, "AWS/DynamoDB", "UserErrors", []) == [1.0]


def test_publish_metrics_fans_one_event_out_to_each_dimension_set(cw, runtime):
    from overcast.services.cloudwatch.publish import publish_metrics

    sets = ((("ApiName", "shop"),), (("ApiName", "shop"), ("Stage", "prod")))
    for latency in (10.0, 30.0):
        publish_metrics(runtime, ACCOUNT, REGION, "AWS/ApiGateway", [("Count", 1.0, "Count"), ("Latency", latency, "Milliseconds")], sets)  # fmt: skip
    publish_metrics(runtime, ACCOUNT, REGION, "AWS/ApiGateway", [("Count", 1.0, "Count")], sets[:1])
    cw.flush()
    api = [{"Name": "ApiName", "Value": "shop"}]
    stage = [*api, {"Name": "Stage", "Value": "prod"}]
    assert statistics(cw, "AWS/ApiGateway", "Count", api) == [3.0]
    assert statistics(cw, "AWS/ApiGateway", "Count", stage) == [2.0]
    assert statistics(cw, "AWS/ApiGateway", "Latency", stage, "Average") == [20.0]
    assert statistics(cw, "AWS/ApiGateway", "Latency", api, "Maximum") == [30.0]
