"""EventBridge Scheduler's resource types: a schedule group and a schedule that really fires
into a queue, updated in place and deleted with their stack; and a SAM function with a
ScheduleV2 event that the schedule really invokes."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.integration.cloudformation.conftest import outputs, resources, settle

TEMPLATE = """
Parameters:
  When: {Type: String}
  Greeting: {Type: String, Default: hello}
Resources:
  Queue:
    Type: AWS::SQS::Queue
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: scheduler.amazonaws.com}, Action: "sts:AssumeRole"}]
      Policies:
        - PolicyName: send
          PolicyDocument:
            Statement: [{Effect: Allow, Action: "sqs:SendMessage", Resource: !GetAtt Queue.Arn}]
  Group:
    Type: AWS::Scheduler::ScheduleGroup
    Properties:
      Tags: [{Key: team, Value: blue}]
  Once:
    Type: AWS::Scheduler::Schedule
    Properties:
      GroupName: !Ref Group
      Description: once
      ScheduleExpression: !Sub "at(${When})"
      FlexibleTimeWindow: {Mode: "OFF"}
      Target:
        Arn: !GetAtt Queue.Arn
        RoleArn: !GetAtt Role.Arn
        Input: !Sub '{"say": "${Greeting}"}'
        RetryPolicy: {MaximumRetryAttempts: "3", MaximumEventAgeInSeconds: 600}
Outputs:
  Queue: {Value: !Ref Queue}
  Group: {Value: !Ref Group}
  GroupArn: {Value: !GetAtt Group.Arn}
  GroupState: {Value: !GetAtt Group.State}
  Once: {Value: !Ref Once}
  OnceArn: {Value: !GetAtt Once.Arn}
"""


def _at(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")


def test_schedule_group_and_schedule(cfn, client, stack_name):
    later = _at(3600)
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=TEMPLATE,
        Capabilities=["CAPABILITY_IAM"],
        Parameters=[{"ParameterKey": "When", "ParameterValue": later}],
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)
    scheduler = client("scheduler")
    group = scheduler.get_schedule_group(Name=out["Group"])
    assert group["Arn"] == out["GroupArn"] and out["GroupState"] == "ACTIVE"
    assert scheduler.list_tags_for_resource(ResourceArn=out["GroupArn"])["Tags"] == [
        {"Key": "team", "Value": "blue"}
    ]
    schedule = scheduler.get_schedule(Name=out["Once"], GroupName=out["Group"])
    assert schedule["Arn"] == out["OnceArn"] and schedule["ScheduleExpression"] == f"at({later})"
    assert schedule["Target"]["RetryPolicy"] == {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 600}

    # Updated in place to fire in a moment, with another input: the queue really receives it.
    cfn.update_stack(
        StackName=stack_name,
        TemplateBody=TEMPLATE,
        Capabilities=["CAPABILITY_IAM"],
        Parameters=[
            {"ParameterKey": "When", "ParameterValue": _at(2)},
            {"ParameterKey": "Greeting", "ParameterValue": "hi"},
        ],
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert outputs(stack)["OnceArn"] == out["OnceArn"]
    sqs = client("sqs")
    deadline = time.monotonic() + 30
    messages: list = []
    while not messages and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=out["Queue"], WaitTimeSeconds=1).get("Messages", [])
    assert [json.loads(m["Body"]) for m in messages] == [{"say": "hi"}]

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError) as gone:
        scheduler.get_schedule_group(Name=out["Group"])
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"


SAM = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  When: {Type: String}
Resources:
  Seen:
    Type: AWS::Serverless::SimpleTable
    Properties:
      PrimaryKey: {Name: id, Type: String}
  Tick:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Timeout: 30
      Environment: {Variables: {TABLE: !Ref Seen}}
      Policies: [{DynamoDBCrudPolicy: {TableName: !Ref Seen}}]
      InlineCode: |
        import os, boto3
        def handler(event, context):
            boto3.client("dynamodb").put_item(TableName=os.environ["TABLE"], Item={"id": {"S": event["id"]}})
      Events:
        Soon:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: !Sub "at(${When})"
            Input: '{"id": "tick"}'
Outputs:
  Table: {Value: !Ref Seen}
"""


def test_sam_function_with_schedule_v2_event(cfn, client, stack_name):
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=SAM,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
        Parameters=[{"ParameterKey": "When", "ParameterValue": _at(5)}],
    )
    stack = settle(cfn, stack_name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    assert resources(cfn, stack_name)["TickSoon"]["ResourceType"] == "AWS::Scheduler::Schedule"
    table = outputs(stack)["Table"]
    dynamodb = client("dynamodb")
    deadline = time.monotonic() + 60
    item = None
    while item is None and time.monotonic() < deadline:
        item = dynamodb.get_item(TableName=table, Key={"id": {"S": "tick"}}).get("Item")
        time.sleep(0.3)
    assert item == {"id": {"S": "tick"}}

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE"
