"""Kinesis's resource types: a stream and a consumer, checked through Kinesis, the stream
updated in place and both deleted with their stack; and a SAM function with a Kinesis event
that really receives the stream's records."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from tests.integration.cloudformation.conftest import outputs, resources, settle

TEMPLATE = """
Parameters:
  Shards: {Type: Number, Default: 1}
  Retention: {Type: Number, Default: 24}
Resources:
  Stream:
    Type: AWS::Kinesis::Stream
    Properties:
      ShardCount: !Ref Shards
      RetentionPeriodHours: !Ref Retention
      StreamEncryption: {EncryptionType: KMS, KeyId: alias/aws/kinesis}
      Tags: [{Key: team, Value: blue}]
  OnDemand:
    Type: AWS::Kinesis::Stream
    Properties:
      Name: !Sub "${AWS::StackName}-ondemand"
      StreamModeDetails: {StreamMode: ON_DEMAND}
  Policy:
    Type: AWS::Kinesis::ResourcePolicy
    Properties:
      ResourceArn: !GetAtt Stream.Arn
      ResourcePolicy:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}, Action: "kinesis:GetRecords", Resource: !GetAtt Stream.Arn}
  Consumer:
    Type: AWS::Kinesis::StreamConsumer
    Properties:
      ConsumerName: reader
      StreamARN: !GetAtt Stream.Arn
Outputs:
  Stream: {Value: !Ref Stream}
  Arn: {Value: !GetAtt Stream.Arn}
  OnDemand: {Value: !Ref OnDemand}
  Consumer: {Value: !Ref Consumer}
  ConsumerArn: {Value: !GetAtt Consumer.ConsumerARN}
  ConsumerStatus: {Value: !GetAtt Consumer.ConsumerStatus}
  ConsumerStream: {Value: !GetAtt Consumer.StreamARN}
"""


def test_stream_and_consumer(cfn, client, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=TEMPLATE)
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)
    kinesis = client("kinesis")
    summary = kinesis.describe_stream_summary(StreamName=out["Stream"])["StreamDescriptionSummary"]
    assert summary["StreamARN"] == out["Arn"] and summary["OpenShardCount"] == 1
    assert summary["RetentionPeriodHours"] == 24
    assert (summary["EncryptionType"], summary["KeyId"]) == ("KMS", "alias/aws/kinesis")
    assert {"Key": "team", "Value": "blue"} in kinesis.list_tags_for_stream(StreamName=out["Stream"])["Tags"]
    on_demand = kinesis.describe_stream_summary(StreamName=out["OnDemand"])["StreamDescriptionSummary"]
    assert on_demand["StreamModeDetails"]["StreamMode"] == "ON_DEMAND"
    consumer = kinesis.describe_stream_consumer(ConsumerARN=out["Consumer"])["ConsumerDescription"]
    assert consumer["ConsumerName"] == "reader" and out["ConsumerArn"] == out["Consumer"]
    assert out["ConsumerStatus"] == "ACTIVE" and out["ConsumerStream"] == out["Arn"]
    policy = json.loads(kinesis.get_resource_policy(ResourceARN=out["Arn"])["Policy"])
    assert policy["Statement"][0]["Action"] == "kinesis:GetRecords"

    cfn.update_stack(
        StackName=stack_name,
        TemplateBody=TEMPLATE,
        Parameters=[
            {"ParameterKey": "Shards", "ParameterValue": "2"},
            {"ParameterKey": "Retention", "ParameterValue": "48"},
        ],
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert outputs(stack)["Arn"] == out["Arn"]
    deadline = time.monotonic() + 30
    while True:
        summary = kinesis.describe_stream_summary(StreamName=out["Stream"])["StreamDescriptionSummary"]
        if summary["StreamStatus"] == "ACTIVE" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert summary["OpenShardCount"] == 2 and summary["RetentionPeriodHours"] == 48

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    for name in (out["Stream"], out["OnDemand"]):
        with pytest.raises(ClientError) as gone:
            kinesis.describe_stream_summary(StreamName=name)
        assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"


SAM = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Events:
    Type: AWS::Kinesis::Stream
    Properties: {ShardCount: 1}
  Seen:
    Type: AWS::Serverless::SimpleTable
    Properties:
      PrimaryKey: {Name: id, Type: String}
  Reader:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Timeout: 30
      Environment: {Variables: {TABLE: !Ref Seen}}
      Policies: [{DynamoDBCrudPolicy: {TableName: !Ref Seen}}]
      InlineCode: |
        import base64, json, os, boto3
        def handler(event, context):
            table = boto3.client("dynamodb")
            for record in event["Records"]:
                body = json.loads(base64.b64decode(record["kinesis"]["data"]))
                table.put_item(TableName=os.environ["TABLE"], Item={"id": {"S": body["id"]}})
      Events:
        FromStream:
          Type: Kinesis
          Properties:
            Stream: !GetAtt Events.Arn
            StartingPosition: TRIM_HORIZON
            BatchSize: 10
Outputs:
  Stream: {Value: !Ref Events}
  Table: {Value: !Ref Seen}
"""


def test_sam_function_with_kinesis_event(cfn, client, stack_name):
    cfn.create_stack(
        StackName=stack_name, TemplateBody=SAM, Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
    )
    stack = settle(cfn, stack_name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    assert resources(cfn, stack_name)["ReaderFromStream"]["ResourceType"] == "AWS::Lambda::EventSourceMapping"
    out = outputs(stack)
    client("kinesis").put_record(
        StreamName=out["Stream"], Data=json.dumps({"id": "k1"}).encode(), PartitionKey="p"
    )
    dynamodb = client("dynamodb")
    deadline = time.monotonic() + 60
    item = None
    while item is None and time.monotonic() < deadline:
        item = dynamodb.get_item(TableName=out["Table"], Key={"id": {"S": "k1"}}).get("Item")
        time.sleep(0.3)
    assert item == {"id": {"S": "k1"}}

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE"


def test_existing_stream_and_rest_api_imported(cfn, client, stack_name):
    kinesis, apigw = client("kinesis"), client("apigateway")
    name = f"{stack_name}-imported"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    api = apigw.create_rest_api(name=name)["id"]
    body = f"""
Resources:
  Stream:
    Type: AWS::Kinesis::Stream
    DeletionPolicy: Retain
    Properties: {{Name: {name}, ShardCount: 1}}
  Api:
    Type: AWS::ApiGateway::RestApi
    DeletionPolicy: Retain
    Properties: {{Name: {name}}}
Outputs:
  Arn: {{Value: !GetAtt Stream.Arn}}
  Root: {{Value: !GetAtt Api.RootResourceId}}
"""
    cfn.create_change_set(
        StackName=stack_name,
        ChangeSetName="imp",
        ChangeSetType="IMPORT",
        TemplateBody=body,
        ResourcesToImport=[
            {
                "ResourceType": "AWS::Kinesis::Stream",
                "LogicalResourceId": "Stream",
                "ResourceIdentifier": {"Name": name},
            },
            {
                "ResourceType": "AWS::ApiGateway::RestApi",
                "LogicalResourceId": "Api",
                "ResourceIdentifier": {"RestApiId": api},
            },
        ],
    )
    cfn.execute_change_set(StackName=stack_name, ChangeSetName="imp")
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "IMPORT_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)
    assert (
        out["Arn"]
        == kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    )
    assert out["Root"] == apigw.get_rest_api(restApiId=api)["rootResourceId"]
    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    kinesis.delete_stream(StreamName=name)  # retained, so still there to delete
    apigw.delete_rest_api(restApiId=api)
