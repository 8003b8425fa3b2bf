"""CloudWatch's resource types: alarms, a composite alarm, a dashboard, an anomaly detector, a
metric stream and a Contributor Insights rule, each checked through CloudWatch, updated in
place and deleted with their stack."""

from __future__ import annotations

import json

from tests.integration.cloudformation.conftest import outputs, settle

TEMPLATE = """
Parameters:
  Threshold: {Type: Number, Default: 5}
  State: {Type: String, Default: ENABLED}
Resources:
  Errors:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: too many errors
      Namespace: App
      MetricName: Errors
      Dimensions: [{Name: Service, Value: api}]
      Statistic: Sum
      Period: 60
      EvaluationPeriods: 1
      Threshold: !Ref Threshold
      ComparisonOperator: GreaterThanThreshold
      TreatMissingData: notBreaching
      Tags: [{Key: team, Value: blue}]
  Ratio:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: !Sub "${AWS::StackName}-ratio"
      EvaluationPeriods: 2
      DatapointsToAlarm: 1
      Threshold: 0.5
      ComparisonOperator: GreaterThanOrEqualToThreshold
      Metrics:
        - Id: e
          MetricStat: {Metric: {Namespace: App, MetricName: Errors}, Period: 60, Stat: Sum}
          ReturnData: false
        - Id: r
          MetricStat: {Metric: {Namespace: App, MetricName: Requests}, Period: 60, Stat: Sum}
          ReturnData: false
        - Id: ratio
          Expression: e / r
          ReturnData: true
  Both:
    Type: AWS::CloudWatch::CompositeAlarm
    Properties:
      AlarmRule: !Sub "ALARM(\\"${Errors}\\") AND ALARM(\\"${Ratio}\\")"
      AlarmDescription: both
  Board:
    Type: AWS::CloudWatch::Dashboard
    Properties:
      DashboardBody: !Sub '{"widgets": [{"type": "text", "x": 0, "y": 0, "width": 6, "height": 3, "properties": {"markdown": "${AWS::StackName}"}}]}'
  Detector:
    Type: AWS::CloudWatch::AnomalyDetector
    Properties:
      Namespace: App
      MetricName: Latency
      Stat: Average
      Dimensions: [{Name: Stack, Value: !Ref "AWS::StackName"}]
  Stream:
    Type: AWS::CloudWatch::MetricStream
    Properties:
      FirehoseArn: !Sub "arn:aws:firehose:${AWS::Region}:${AWS::AccountId}:deliverystream/metrics"
      RoleArn: !Sub "arn:aws:iam::${AWS::AccountId}:role/metric-stream"
      OutputFormat: json
      IncludeFilters: [{Namespace: App}]
  Rule:
    Type: AWS::CloudWatch::InsightRule
    Properties:
      RuleState: !Ref State
      RuleBody: '{"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": ["/app"], "LogFormat": "JSON", "Contribution": {"Keys": ["$.ip"], "Filters": []}, "AggregateOn": "Count"}'
Outputs:
  Errors: {Value: !Ref Errors}
  ErrorsArn: {Value: !GetAtt Errors.Arn}
  Ratio: {Value: !Ref Ratio}
  Both: {Value: !Ref Both}
  BothArn: {Value: !GetAtt Both.Arn}
  Board: {Value: !Ref Board}
  Detector: {Value: !Ref Detector}
  Stream: {Value: !Ref Stream}
  StreamArn: {Value: !GetAtt Stream.Arn}
  StreamState: {Value: !GetAtt Stream.State}
  Rule: {Value: !Ref Rule}
  RuleArn: {Value: !GetAtt Rule.Arn}
"""


def test_cloudwatch_types(cfn, client, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=TEMPLATE)
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)
    cloudwatch = client("cloudwatch")
    mine = [{"Name": "Stack", "Value": stack_name}]

    alarm = cloudwatch.describe_alarms(AlarmNames=[out["Errors"]])["MetricAlarms"][0]
    assert alarm["AlarmArn"] == out["ErrorsArn"] and alarm["Threshold"] == 5.0
    assert {"Key": "team", "Value": "blue"} in cloudwatch.list_tags_for_resource(
        ResourceARN=out["ErrorsArn"]
    )["Tags"]
    ratio = cloudwatch.describe_alarms(AlarmNames=[out["Ratio"]])["MetricAlarms"][0]
    assert ratio["AlarmName"] == f"{stack_name}-ratio" and len(ratio["Metrics"]) == 3
    composite = cloudwatch.describe_alarms(AlarmNames=[out["Both"]], AlarmTypes=["CompositeAlarm"])
    assert composite["CompositeAlarms"][0]["AlarmArn"] == out["BothArn"]
    assert out["Errors"] in composite["CompositeAlarms"][0]["AlarmRule"]
    board = json.loads(cloudwatch.get_dashboard(DashboardName=out["Board"])["DashboardBody"])
    assert board["widgets"][0]["properties"]["markdown"] == stack_name
    detectors = cloudwatch.describe_anomaly_detectors(Namespace="App", MetricName="Latency", Dimensions=mine)[
        "AnomalyDetectors"
    ]
    assert [d["AnomalyDetectorId"] for d in detectors] == [out["Detector"]]
    stream = cloudwatch.get_metric_stream(Name=out["Stream"])
    assert stream["Arn"] == out["StreamArn"] and stream["State"] == out["StreamState"]
    rules = {r["Name"]: r for r in cloudwatch.describe_insight_rules()["InsightRules"]}
    assert rules[out["Rule"]]["State"] == "ENABLED"
    assert out["RuleArn"].endswith(f":insight-rule/{out['Rule']}")

    # Updated in place: the threshold, the rule's state, the stream's output format.
    cfn.update_stack(
        StackName=stack_name,
        TemplateBody=TEMPLATE.replace("OutputFormat: json", "OutputFormat: opentelemetry1.0"),
        Parameters=[
            {"ParameterKey": "Threshold", "ParameterValue": "9"},
            {"ParameterKey": "State", "ParameterValue": "DISABLED"},
        ],
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert outputs(stack)["Errors"] == out["Errors"]
    assert cloudwatch.describe_alarms(AlarmNames=[out["Errors"]])["MetricAlarms"][0]["Threshold"] == 9.0
    rules = {r["Name"]: r for r in cloudwatch.describe_insight_rules()["InsightRules"]}
    assert rules[out["Rule"]]["State"] == "DISABLED"
    assert cloudwatch.get_metric_stream(Name=out["Stream"])["OutputFormat"] == "opentelemetry1.0"

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    left = cloudwatch.describe_alarms(
        AlarmNames=[out["Errors"], out["Ratio"], out["Both"]], AlarmTypes=["MetricAlarm", "CompositeAlarm"]
    )
    assert left["MetricAlarms"] == [] and left["CompositeAlarms"] == []
    assert out["Board"] not in {d["DashboardName"] for d in cloudwatch.list_dashboards()["DashboardEntries"]}
    assert (
        cloudwatch.describe_anomaly_detectors(Namespace="App", MetricName="Latency", Dimensions=mine)[
            "AnomalyDetectors"
        ]
        == []
    )
    assert out["Stream"] not in {s["Name"] for s in cloudwatch.list_metric_streams()["Entries"]}
    assert out["Rule"] not in {r["Name"] for r in cloudwatch.describe_insight_rules()["InsightRules"]}
