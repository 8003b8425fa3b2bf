"""Drift detection of API Gateway, CloudWatch, Kinesis and Scheduler resources: each read back
from its service, in sync after creation, and drifted once changed behind CloudFormation."""

from __future__ import annotations

from tests.integration.cloudformation.conftest import resources, settle
from tests.integration.cloudformation.test_drift import wait_detection

TEMPLATE = """
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: drifting
      Description: as written
  Key:
    Type: AWS::ApiGateway::ApiKey
    Properties: {Enabled: true, Description: key}
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: App
      MetricName: Errors
      Statistic: Sum
      Period: 60
      EvaluationPeriods: 1
      Threshold: 5
      ComparisonOperator: GreaterThanThreshold
  Board:
    Type: AWS::CloudWatch::Dashboard
    Properties:
      DashboardBody: '{"widgets": [{"type": "text", "x": 0, "y": 0, "width": 6, "height": 3, "properties": {"markdown": "hi"}}]}'
  Stream:
    Type: AWS::Kinesis::Stream
    Properties: {ShardCount: 1, RetentionPeriodHours: 24}
  Schedule:
    Type: AWS::Scheduler::Schedule
    Properties:
      ScheduleExpression: rate(1 day)
      State: ENABLED
      FlexibleTimeWindow: {Mode: "OFF"}
      Target:
        Arn: !GetAtt Queue.Arn
        RoleArn: !Sub "arn:aws:iam::${AWS::AccountId}:role/scheduler"
  Queue:
    Type: AWS::SQS::Queue
"""


def test_new_types_drift(cfn, client, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=TEMPLATE)
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    made = {name: r["PhysicalResourceId"] for name, r in resources(cfn, stack_name).items()}
    first = wait_detection(cfn, cfn.detect_stack_drift(StackName=stack_name)["StackDriftDetectionId"])
    assert first["StackDriftStatus"] == "IN_SYNC", cfn.describe_stack_resource_drifts(StackName=stack_name)

    client("apigateway").update_rest_api(
        restApiId=made["Api"], patchOperations=[{"op": "replace", "path": "/description", "value": "changed"}]
    )
    alarm = client("cloudwatch").describe_alarms(AlarmNames=[made["Alarm"]])["MetricAlarms"][0]
    client("cloudwatch").put_metric_alarm(
        **{k: alarm[k] for k in ("AlarmName", "Namespace", "MetricName", "Statistic", "Period",
                                 "EvaluationPeriods", "ComparisonOperator")},
        Threshold=50.0,
    )  # fmt: skip
    client("kinesis").increase_stream_retention_period(StreamName=made["Stream"], RetentionPeriodHours=48)
    scheduler = client("scheduler")
    schedule = scheduler.get_schedule(Name=made["Schedule"])
    scheduler.update_schedule(
        Name=made["Schedule"],
        ScheduleExpression="rate(2 days)",
        FlexibleTimeWindow=schedule["FlexibleTimeWindow"],
        Target={"Arn": schedule["Target"]["Arn"], "RoleArn": schedule["Target"]["RoleArn"]},
    )
    second = wait_detection(cfn, cfn.detect_stack_drift(StackName=stack_name)["StackDriftDetectionId"])
    assert second["StackDriftStatus"] == "DRIFTED"
    drifts = {
        d["LogicalResourceId"]: d
        for d in cfn.describe_stack_resource_drifts(StackName=stack_name)["StackResourceDrifts"]
    }
    changed = {
        name: [(p["PropertyPath"], p["ActualValue"]) for p in drift.get("PropertyDifferences", [])]
        for name, drift in drifts.items()
        if drift["StackResourceDriftStatus"] == "MODIFIED"
    }
    assert changed == {
        "Api": [("/Description", "changed")],
        "Alarm": [("/Threshold", "50")],
        "Stream": [("/RetentionPeriodHours", "48")],
        "Schedule": [("/ScheduleExpression", "rate(2 days)")],
    }
    assert drifts["Key"]["StackResourceDriftStatus"] == "IN_SYNC"
    assert drifts["Board"]["StackResourceDriftStatus"] == "IN_SYNC"

    client("kinesis").delete_stream(StreamName=made["Stream"])
    one = cfn.detect_stack_resource_drift(StackName=stack_name, LogicalResourceId="Stream")[
        "StackResourceDrift"
    ]
    assert one["StackResourceDriftStatus"] == "DELETED"
    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
