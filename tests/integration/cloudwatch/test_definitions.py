"""Alarm mute rules (which really mute actions), metric data query definitions, OTel
enrichment, resource metrics configurations and the default dataset's KMS key."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def at(moment: datetime) -> str:
    return f"at({moment.strftime('%Y-%m-%dT%H:%M:%S')})"


def test_an_active_mute_rule_mutes_alarm_actions(fast):
    cw, sns, sqs = fast("cloudwatch"), fast("sns"), fast("sqs")
    topic = sns.create_topic(Name=unique("muted"))["TopicArn"]
    url = sqs.create_queue(QueueName=unique("muted"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    alarm = unique("noisy")
    cw.put_metric_alarm(
        AlarmName=alarm, MetricName="M", Namespace=unique("Mute"), Statistic="Sum", Period=300,
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold", AlarmActions=[topic],
        TreatMissingData="ignore",
    )  # fmt: skip
    rule = unique("maintenance")
    now = datetime.now(UTC)
    cw.put_alarm_mute_rule(
        Name=rule,
        Rule={"Schedule": {"Expression": at(now - timedelta(minutes=1)), "Duration": "PT1H"}},
        MuteTargets={"AlarmNames": [alarm]},
    )
    got = cw.get_alarm_mute_rule(AlarmMuteRuleName=rule)
    assert got["Status"] == "ACTIVE" and got["MuteType"] == "ONE_TIME"
    listed = cw.list_alarm_mute_rules(AlarmName=alarm)["AlarmMuteRuleSummaries"]
    assert [s["AlarmMuteRuleArn"] for s in listed] == [got["AlarmMuteRuleArn"]]
    cw.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="muted")
    time.sleep(1)
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    actions = cw.describe_alarm_history(AlarmName=alarm, HistoryItemType="Action")["AlarmHistoryItems"]
    assert "muted" in actions[0]["HistorySummary"]
    cw.delete_alarm_mute_rule(AlarmMuteRuleName=rule)
    cw.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="back")
    cw.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="heard")
    deadline = time.monotonic() + 10
    bodies: list[str] = []
    while not bodies and time.monotonic() < deadline:
        bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])]
    assert bodies and '"NewStateReason": "heard"' in bodies[0].replace('":"', '": "')
    with pytest.raises(ClientError) as error:
        cw.get_alarm_mute_rule(AlarmMuteRuleName=rule)
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_mute_rule_schedules(fast):
    cw = fast("cloudwatch")
    later = unique("later")
    cw.put_alarm_mute_rule(
        Name=later,
        Rule={"Schedule": {"Expression": at(datetime.now(UTC) + timedelta(days=1)), "Duration": "PT2H"}},
    )
    assert cw.get_alarm_mute_rule(AlarmMuteRuleName=later)["Status"] == "SCHEDULED"
    always = unique("cron")
    cw.put_alarm_mute_rule(
        Name=always, Rule={"Schedule": {"Expression": "cron(* * * * ? *)", "Duration": "PT5M"}}
    )
    rule = cw.get_alarm_mute_rule(AlarmMuteRuleName=always)
    assert rule["Status"] == "ACTIVE" and rule["MuteType"] == "RECURRING"
    for bad in ({"Expression": "rate(5 minutes)", "Duration": "PT1H"}, {"Expression": "cron(nope)", "Duration": "PT1H"},
                {"Expression": "cron(0 1 * * ? *)", "Duration": "an hour"}):  # fmt: skip
        with pytest.raises(ClientError) as error:
            cw.put_alarm_mute_rule(Name=unique("bad"), Rule={"Schedule": bad})
        assert error.value.response["Error"]["Code"] == "ValidationError"


def test_metric_data_query_definitions(fast):
    cw = fast("cloudwatch")
    path = f"team/{unique('errors')}"
    created = cw.put_metric_data_query_definition(Path=path, Expression="SUM(METRICS())", Type="METRIC_MATH")
    ident = created["Id"]
    assert cw.get_metric_data_query_definition(Id=ident)["Expression"] == "SUM(METRICS())"
    updated = cw.put_metric_data_query_definition(
        Id=ident, Path=path, Expression="m1 * 2", Type="METRIC_MATH"
    )
    assert updated["CreatedAt"] == created["CreatedAt"] and updated["Expression"] == "m1 * 2"
    with pytest.raises(ClientError) as error:
        cw.put_metric_data_query_definition(Path=path, Expression="1", Type="METRIC_MATH")
    assert error.value.response["Error"]["Code"] == "ConflictException"
    assert ident in [d["Id"] for d in cw.list_metric_data_query_definitions()["Items"]]
    cw.delete_metric_data_query_definition(Id=ident)
    cw.delete_metric_data_query_definition(Id=ident)
    with pytest.raises(ClientError) as error:
        cw.get_metric_data_query_definition(Id=ident)
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_otel_enrichment_resource_configurations_and_dataset_key(fast):
    cw, kms = fast("cloudwatch"), fast("kms")
    assert cw.get_otel_enrichment()["Status"] == "Stopped"
    cw.start_otel_enrichment(IncludeFilters=[{"Namespace": "AWS/EC2"}])
    assert cw.get_otel_enrichment()["Status"] == "Running"
    cw.stop_otel_enrichment()
    assert cw.get_otel_enrichment()["Status"] == "Stopped"
    table = f"arn:aws:dynamodb:us-east-1:000000000000:table/{unique('t')}"
    cw.create_resource_metrics_configuration(ResourceArn=table)
    with pytest.raises(ClientError) as error:
        cw.create_resource_metrics_configuration(ResourceArn=table)
    assert error.value.response["Error"]["Code"] == "ConflictException"
    assert (
        cw.get_resource_metrics_configuration(ResourceArn=table)["ResourceMetricsConfiguration"][
            "ResourceArn"
        ]
        == table
    )
    cw.delete_resource_metrics_configuration(ResourceArn=table)
    assert "KmsKeyArn" not in cw.get_dataset(DatasetIdentifier="default")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    cw.associate_dataset_kms_key(DatasetIdentifier="default", KmsKeyArn=key)
    assert cw.get_dataset(DatasetIdentifier="default")["KmsKeyArn"] == key
    cw.disassociate_dataset_kms_key(DatasetIdentifier="default")
    with pytest.raises(ClientError) as error:
        cw.get_dataset(DatasetIdentifier="other")
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
