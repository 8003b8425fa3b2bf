"""Alarms evaluated for real on the (sped-up) scheduler: metric → alarm → SNS → SQS as the
guide sets it up, metric-math and composite alarms, TreatMissingData, SetAlarmState, history,
actions switched off, and Lambda functions as actions."""

from __future__ import annotations

import importlib
import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

# "lambda" is a keyword: the package is imported by name.
create_function = importlib.import_module("tests.integration.lambda.helpers").create


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_for(check, timeout: float = 40.0, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(every)


def state(cw, name: str, kind: str = "MetricAlarms") -> dict:
    alarms = cw.describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm", "CompositeAlarm"])[kind]
    return alarms[0]


def queue_on_topic(fast) -> tuple[str, str]:
    sns, sqs = fast("sns"), fast("sqs")
    topic = sns.create_topic(Name=unique("ops-alerts"))["TopicArn"]
    url = sqs.create_queue(QueueName=unique("alerts"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return topic, url


def test_metric_alarm_to_sns_to_sqs(fast):
    cw, sqs = fast("cloudwatch"), fast("sqs")
    topic, url = queue_on_topic(fast)
    function = unique("my-api")
    name = unique("lambda-errors-high")
    cw.put_metric_alarm(
        AlarmName=name,
        MetricName="Errors",
        Namespace="Custom/Lambda",
        Dimensions=[{"Name": "FunctionName", "Value": function}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=5,
        ComparisonOperator="GreaterThanThreshold",
        AlarmActions=[topic],
        OKActions=[topic],
        TreatMissingData="notBreaching",
    )
    assert wait_for(lambda: state(cw, name)["StateValue"] == "OK")
    cw.put_metric_data(
        Namespace="Custom/Lambda",
        MetricData=[
            {"MetricName": "Errors", "Value": 9, "Dimensions": [{"Name": "FunctionName", "Value": function}]}
        ],
    )
    alarm = wait_for(lambda: (a := state(cw, name))["StateValue"] == "ALARM" and a)
    assert alarm["StateReason"].startswith("Threshold Crossed: 1 datapoint [9.0 (")
    assert alarm["StateReason"].endswith("was greater than the threshold (5.0).")
    reason = json.loads(alarm["StateReasonData"])
    assert reason["statistic"] == "Sum" and reason["recentDatapoints"] == [9.0] and reason["threshold"] == 5.0

    def alarm_message():
        for message in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            envelope = json.loads(message["Body"])
            body = json.loads(envelope["Message"])
            if body["NewStateValue"] == "ALARM":
                return envelope, body
        return None

    envelope, body = wait_for(alarm_message)
    assert envelope["Subject"] == f'ALARM: "{name}" in US East (N. Virginia)'
    assert body["AlarmName"] == name and body["OldStateValue"] == "OK"
    assert body["AWSAccountId"] == "000000000000" and body["Region"] == "US East (N. Virginia)"
    assert body["AlarmArn"] == alarm["AlarmArn"]
    trigger = body["Trigger"]
    assert trigger["MetricName"] == "Errors" and trigger["Statistic"] == "SUM" and trigger["Threshold"] == 5.0
    assert trigger["Dimensions"] == [{"value": function, "name": "FunctionName"}]
    assert trigger["TreatMissingData"] == "notBreaching"
    history = cw.describe_alarm_history(AlarmName=name)["AlarmHistoryItems"]
    kinds = [item["HistoryItemType"] for item in history]
    assert "ConfigurationUpdate" in kinds and "StateUpdate" in kinds and "Action" in kinds
    updates = cw.describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert updates[0]["HistorySummary"] == "Alarm updated from OK to ALARM"


def test_treat_missing_data_breaching_alarms_without_data(fast):
    cw = fast("cloudwatch")
    name = unique("missing")
    cw.put_metric_alarm(
        AlarmName=name, MetricName="Nothing", Namespace="Custom/None", Statistic="Average", Period=60,
        EvaluationPeriods=2, Threshold=1, ComparisonOperator="LessThanThreshold", TreatMissingData="breaching",
    )  # fmt: skip
    alarm = wait_for(lambda: (a := state(cw, name))["StateValue"] == "ALARM" and a)
    assert "no datapoints were received for 2 periods" in alarm["StateReason"]
    missing = unique("insufficient")
    cw.put_metric_alarm(
        AlarmName=missing, MetricName="Nothing", Namespace="Custom/None", Statistic="Average", Period=60,
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="LessThanThreshold",
    )  # fmt: skip
    time.sleep(1.5)
    assert state(cw, missing)["StateValue"] == "INSUFFICIENT_DATA"


def test_metric_math_alarm(fast):
    cw = fast("cloudwatch")
    ns = unique("Math")
    cw.put_metric_data(
        Namespace=ns,
        MetricData=[{"MetricName": "Errors", "Value": 3}, {"MetricName": "Requests", "Value": 100}],
    )
    name = unique("error-rate")

    def stat(ident, metric):
        return {
            "Id": ident,
            "MetricStat": {"Metric": {"Namespace": ns, "MetricName": metric}, "Period": 60, "Stat": "Sum"},
            "ReturnData": False,
        }

    cw.put_metric_alarm(
        AlarmName=name,
        Metrics=[
            stat("e", "Errors"),
            stat("r", "Requests"),
            {"Id": "rate", "Expression": "100 * e / r", "ReturnData": True},
        ],
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
    )
    alarm = wait_for(lambda: (a := state(cw, name))["StateValue"] == "ALARM" and a)
    assert "[3.0 (" in alarm["StateReason"]
    with pytest.raises(ClientError) as error:
        cw.put_metric_alarm(
            AlarmName=unique("bad"), Metrics=[stat("e", "Errors")], EvaluationPeriods=1, Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
        )  # fmt: skip
    assert error.value.response["Error"]["Code"] == "ValidationError"


def test_composite_alarm_rule_and_suppressor(fast):
    cw = fast("cloudwatch")
    first, second, quiet = unique("a"), unique("b"), unique("quiet")
    for name in (first, second, quiet):
        cw.put_metric_alarm(
            AlarmName=name, MetricName="M", Namespace=unique("C"), Statistic="Sum", Period=60, EvaluationPeriods=1,
            Threshold=1, ComparisonOperator="GreaterThanThreshold", TreatMissingData="ignore",
            ActionsEnabled=False,
        )  # fmt: skip
    # Without data, "ignore" leaves each where SetAlarmState puts it.
    for name in (first, second, quiet):
        cw.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="start")
    composite = unique("both")
    cw.put_composite_alarm(
        AlarmName=composite,
        AlarmRule=f'ALARM("{first}") AND NOT OK({second})',
        ActionsSuppressor=quiet,
    )
    comp = state(cw, composite, "CompositeAlarms")
    assert comp["StateValue"] == "OK" and comp["ActionsSuppressor"] == quiet
    cw.set_alarm_state(AlarmName=first, StateValue="ALARM", StateReason="testing")
    cw.set_alarm_state(AlarmName=second, StateValue="ALARM", StateReason="testing")
    comp = wait_for(lambda: (a := state(cw, composite, "CompositeAlarms"))["StateValue"] == "ALARM" and a)
    assert "transitioned to ALARM" in comp["StateReason"]
    assert {t["arn"].split(":")[-1] for t in json.loads(comp["StateReasonData"])["triggeringAlarms"]} == {
        first,
        second,
    }
    assert comp["ActionsSuppressedBy"] == "None"
    # With the suppressor in ALARM, the composite's next transition takes no action.
    cw.set_alarm_state(AlarmName=quiet, StateValue="ALARM", StateReason="maintenance")
    cw.set_alarm_state(AlarmName=second, StateValue="OK", StateReason="testing")
    comp = wait_for(lambda: (a := state(cw, composite, "CompositeAlarms"))["StateValue"] == "OK" and a)
    assert comp["ActionsSuppressedBy"] == "Alarm"
    children = cw.describe_alarms(ChildrenOfAlarmName=composite)
    assert sorted(a["AlarmName"] for a in children["MetricAlarms"]) == sorted([first, second])
    parents = cw.describe_alarms(ParentsOfAlarmName=first)["CompositeAlarms"]
    assert [a["AlarmName"] for a in parents] == [composite]
    with pytest.raises(ClientError) as error:
        cw.delete_alarms(AlarmNames=[first])
    assert error.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(ClientError) as error:
        cw.put_composite_alarm(AlarmName=unique("x"), AlarmRule="ALARM(does-not-exist)")
    assert "do not exist" in error.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as error:
        cw.put_composite_alarm(AlarmName=unique("x"), AlarmRule="ALARM(")
    assert error.value.response["Error"]["Code"] == "ValidationError"
    cw.delete_alarms(AlarmNames=[composite, first])


def test_set_alarm_state_actions_switch_and_lookups(fast):
    cw, sqs = fast("cloudwatch"), fast("sqs")
    topic, url = queue_on_topic(fast)
    ns = unique("Switch")
    name = unique("switch")
    cw.put_metric_alarm(
        AlarmName=name, MetricName="M", Namespace=ns, Statistic="Maximum", Period=300, EvaluationPeriods=1,
        Threshold=10, ComparisonOperator="GreaterThanOrEqualToThreshold", AlarmActions=[topic],
        Tags=[{"Key": "team", "Value": "ops"}],
    )  # fmt: skip
    cw.disable_alarm_actions(AlarmNames=[name])
    assert state(cw, name)["ActionsEnabled"] is False
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="by hand", StateReasonData='{"a": 1}')
    alarm = state(cw, name)
    assert alarm["StateValue"] == "ALARM" and alarm["StateReason"] == "by hand"
    time.sleep(1)
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    with pytest.raises(ClientError) as error:
        cw.set_alarm_state(AlarmName=unique("none"), StateValue="OK", StateReason="x")
    assert error.value.response["Error"]["Code"] == "ResourceNotFound"
    with pytest.raises(ClientError) as error:
        cw.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="x", StateReasonData="{bad")
    assert (
        error.value.response["Error"]["Code"] == "InvalidFormat"
        or error.value.response["Error"]["Code"] == "InvalidParameterValue"
    )
    found = cw.describe_alarms_for_metric(MetricName="M", Namespace=ns)["MetricAlarms"]
    assert [a["AlarmName"] for a in found] == [name]
    assert cw.describe_alarms_for_metric(MetricName="M", Namespace=ns, Period=60)["MetricAlarms"] == []
    arn = alarm["AlarmArn"]
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "ops"}]
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "tier", "Value": "1"}])
    cw.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "tier", "Value": "1"}]
    # The next evaluation judges the data again: a datapoint at the threshold keeps it in ALARM.
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "M", "Value": 10}])
    wait_for(lambda: cw.describe_alarms(AlarmNamePrefix=name, StateValue="ALARM")["MetricAlarms"])
    assert cw.describe_alarms(AlarmNamePrefix=name, StateValue="OK")["MetricAlarms"] == []
    cw.delete_alarms(AlarmNames=[name])
    with pytest.raises(ClientError) as error:
        cw.list_tags_for_resource(ResourceARN=arn)
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"


@pytest.mark.parametrize(
    "change",
    [
        {"ComparisonOperator": "Bigger"},
        {"TreatMissingData": "sometimes"},
        {"DatapointsToAlarm": 5},
        {"Period": 45},
        {"Statistic": "Median"},
        {"AlarmActions": ["not-an-arn"]},
    ],
)
def test_put_metric_alarm_refusals(fast, change):
    cw = fast("cloudwatch")
    params = {
        "AlarmName": unique("bad"), "MetricName": "M", "Namespace": "N", "Statistic": "Sum", "Period": 60,
        "EvaluationPeriods": 2, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold", **change,
    }  # fmt: skip
    with pytest.raises(ClientError) as error:
        cw.put_metric_alarm(**params)
    assert error.value.response["Error"]["Code"] == "ValidationError"


def test_lambda_function_as_alarm_action(fast):
    cw, logs = fast("cloudwatch"), fast("logs")
    function = create_function(
        fast("lambda"),
        "import json\ndef handler(event, context):\n    print('ALARM-EVENT ' + json.dumps(event))\n",
    )
    arn = fast("lambda").get_function(FunctionName=function)["Configuration"]["FunctionArn"]
    name = unique("to-lambda")
    cw.put_metric_alarm(
        AlarmName=name, MetricName="M", Namespace=unique("L"), Statistic="Sum", Period=60, EvaluationPeriods=1,
        Threshold=1, ComparisonOperator="GreaterThanThreshold", AlarmActions=[arn], AlarmDescription="to lambda",
    )  # fmt: skip
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="for the function")

    def event():
        try:
            found = logs.filter_log_events(
                logGroupName=f"/aws/lambda/{function}", filterPattern="ALARM-EVENT"
            )
        except ClientError:
            return None
        for item in found["events"]:
            return json.loads(item["message"].split("ALARM-EVENT ", 1)[1])
        return None

    payload = wait_for(event, timeout=60)
    assert payload["source"] == "aws.cloudwatch" and payload["alarmArn"].endswith(f":alarm:{name}")
    data = payload["alarmData"]
    assert data["alarmName"] == name and data["state"]["value"] == "ALARM"
    assert data["state"]["reason"] == "for the function"
    assert data["previousState"]["value"] == "INSUFFICIENT_DATA"
    assert data["configuration"]["description"] == "to lambda"
    assert data["configuration"]["metrics"][0]["metricStat"]["stat"] == "Sum"


def test_state_changes_reach_eventbridge(fast):
    cw, events, sqs = fast("cloudwatch"), fast("events"), fast("sqs")
    url = sqs.create_queue(QueueName=unique("alarm-events"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    name = unique("watched")
    rule = unique("alarm-changes")
    events.put_rule(
        Name=rule,
        EventPattern=json.dumps(
            {
                "source": ["aws.cloudwatch"],
                "detail-type": ["CloudWatch Alarm State Change"],
                "detail": {"alarmName": [name]},
            }
        ),
    )
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": arn}])
    cw.put_metric_alarm(
        AlarmName=name, MetricName="M", Namespace=unique("EB"), Statistic="Sum", Period=300, EvaluationPeriods=1,
        Threshold=1, ComparisonOperator="GreaterThanThreshold", TreatMissingData="ignore",
    )  # fmt: skip
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="to the bus")

    def received():
        return sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages")

    [message] = wait_for(received)
    event = json.loads(message["Body"])
    assert event["source"] == "aws.cloudwatch" and event["resources"] == [state(cw, name)["AlarmArn"]]
    assert (
        event["detail"]["state"]["value"] == "ALARM"
        and event["detail"]["previousState"]["value"] == "INSUFFICIENT_DATA"
    )


def test_guide_alarm_with_the_cli(aws):
    aws(
        "cloudwatch", "put-metric-alarm",
        "--alarm-name", "lambda-errors-high",
        "--metric-name", "Errors",
        "--namespace", "AWS/Lambda",
        "--dimensions", "Name=FunctionName,Value=my-api",
        "--statistic", "Sum",
        "--period", "300",
        "--evaluation-periods", "2",
        "--threshold", "5",
        "--comparison-operator", "GreaterThanThreshold",
        "--alarm-actions", "arn:aws:sns:us-east-1:123456789012:ops-alerts",
        "--treat-missing-data", "notBreaching",
    )  # fmt: skip
    [alarm] = aws("cloudwatch", "describe-alarms", "--alarm-names", "lambda-errors-high")["MetricAlarms"]
    assert alarm["Namespace"] == "AWS/Lambda" and alarm["Dimensions"] == [
        {"Name": "FunctionName", "Value": "my-api"}
    ]
    assert alarm["AlarmActions"] == ["arn:aws:sns:us-east-1:123456789012:ops-alerts"]
    assert alarm["EvaluationPeriods"] == 2 and alarm["TreatMissingData"] == "notBreaching"
    found = aws(
        "cloudwatch", "describe-alarms-for-metric", "--metric-name", "Errors", "--namespace", "AWS/Lambda"
    )
    assert "lambda-errors-high" in [a["AlarmName"] for a in found["MetricAlarms"]]


def test_log_alarm_runs_its_query_on_schedule(fast):
    cw, logs = fast("cloudwatch"), fast("logs")
    group = f"/aws/lambda/{unique('api')}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": now, "message": m} for m in ("ERROR boom", "ERROR again", "INFO fine")],
    )
    name = unique("log-errors")
    cw.put_log_alarm(
        AlarmName=name,
        ScheduledQueryConfiguration={
            "QueryString": "filter @message like /ERROR/",
            "LogGroupIdentifiers": [group],
            "ScheduledQueryRoleARN": "arn:aws:iam::000000000000:role/alarms",
            "ScheduleConfiguration": {"ScheduleExpression": "rate(1 minute)", "StartTimeOffset": 600},
            "AggregationExpression": "count(*)",
        },
        QueryResultsToEvaluate=1,
        QueryResultsToAlarm=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
    )

    def log_alarm():
        alarms = cw.describe_alarms(AlarmNames=[name], AlarmTypes=["LogAlarm"])["LogAlarms"]
        return alarms[0] if alarms and alarms[0]["StateValue"] == "ALARM" else None

    alarm = wait_for(log_alarm)
    assert "[2.0 (" in alarm["StateReason"] and "greater than the threshold (1.0)" in alarm["StateReason"]
    assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"] == []
    with pytest.raises(ClientError) as error:
        cw.put_log_alarm(
            AlarmName=unique("bad"),
            ScheduledQueryConfiguration={
                "QueryString": "filter", "LogGroupIdentifiers": [group],
                "ScheduledQueryRoleARN": "arn:aws:iam::000000000000:role/alarms",
                "ScheduleConfiguration": {"ScheduleExpression": "cron(0 1 * * ? *)", "StartTimeOffset": 600},
                "AggregationExpression": "count(*)",
            },
            QueryResultsToEvaluate=1, QueryResultsToAlarm=1, Threshold=1, ComparisonOperator="GreaterThanThreshold",
        )  # fmt: skip
    assert error.value.response["Error"]["Code"] == "ValidationError"
    cw.delete_alarms(AlarmNames=[name])


def test_alarm_on_an_anomaly_band(fast):
    cw = fast("cloudwatch")
    ns = unique("Band")
    now = time.time()
    history = [
        {"MetricName": "Latency", "Value": 10.0 + (i % 3), "Timestamp": now - 3600 * (i + 1)}
        for i in range(48)
    ]
    cw.put_metric_data(Namespace=ns, MetricData=history)
    stat = {"Metric": {"Namespace": ns, "MetricName": "Latency"}, "Period": 60, "Stat": "Average"}
    from datetime import UTC, datetime, timedelta

    moment = datetime.now(UTC)
    band = cw.get_metric_data(
        MetricDataQueries=[
            {"Id": "m1", "MetricStat": stat, "ReturnData": False},
            {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)"},
        ],
        StartTime=moment - timedelta(minutes=10), EndTime=moment,
    )["MetricDataResults"]  # fmt: skip
    lower, upper = (r["Values"][0] for r in band)
    assert 5 < lower < 10 and 12 < upper < 15
    name = unique("latency-anomaly")
    cw.put_metric_alarm(
        AlarmName=name,
        Metrics=[
            {"Id": "m1", "MetricStat": stat, "ReturnData": True},
            {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)"},
        ],
        ThresholdMetricId="ad1",
        ComparisonOperator="LessThanLowerOrGreaterThanUpperThreshold",
        EvaluationPeriods=1,
        TreatMissingData="notBreaching",
    )
    wait_for(lambda: state(cw, name)["StateValue"] == "OK")
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Latency", "Value": 500.0}])
    alarm = wait_for(lambda: (a := state(cw, name))["StateValue"] == "ALARM" and a)
    assert "[500.0 (" in alarm["StateReason"]


def test_alarms_keep_evaluating_after_a_restart(tmp_path):
    from tests.conftest import Server

    data_dir = str(tmp_path / "data")
    env = {"OVERCAST_SCHEDULE_SPEED": "60"}
    server = Server("--data-dir", data_dir, "--quiet", env=env)
    try:
        cw = boto3_client(server.endpoint)
        cw.put_metric_alarm(
            AlarmName="durable", MetricName="M", Namespace="Durable", Statistic="Sum", Period=60,
            EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching",
        )  # fmt: skip
        wait_for(lambda: state(cw, "durable")["StateValue"] == "OK")
    finally:
        server.stop(kill=True)
    server = Server("--data-dir", data_dir, "--quiet", env=env)
    try:
        cw = boto3_client(server.endpoint)
        cw.put_metric_data(Namespace="Durable", MetricData=[{"MetricName": "M", "Value": 5}])
        wait_for(lambda: state(cw, "durable")["StateValue"] == "ALARM")
        kinds = [
            i["HistorySummary"] for i in cw.describe_alarm_history(AlarmName="durable")["AlarmHistoryItems"]
        ]
        assert (
            "Alarm updated from OK to ALARM" in kinds
            and "Alarm updated from INSUFFICIENT_DATA to OK" in kinds
        )
    finally:
        server.stop()


def boto3_client(endpoint: str):
    import boto3

    return boto3.client(
        "cloudwatch",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
