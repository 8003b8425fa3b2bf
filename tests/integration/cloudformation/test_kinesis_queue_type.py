"""AWS::Kinesis::Queue and AWS::Kinesis::Channel: a queue over an on-demand stream made by a stack, receiving the
stream's records, its attributes updated in place and the queue deleted with its stack."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from tests.integration.cloudformation.conftest import outputs, settle

TEMPLATE = """
Parameters:
  Visibility: {Type: Number, Default: 30}
Resources:
  Stream:
    Type: AWS::Kinesis::Stream
    Properties:
      StreamModeDetails: {StreamMode: ON_DEMAND}
  Queue:
    Type: AWS::Kinesis::Queue
    Properties:
      StreamConfigurationList:
        - StreamARN: !GetAtt Stream.Arn
          StartingPosition: {Type: TRIM_HORIZON}
      QueueAttributes: {VisibilityTimeoutSeconds: !Ref Visibility}
      Tags: [{Key: team, Value: blue}]
  Channel:
    Type: AWS::Kinesis::Channel
    Properties:
      ServiceExecutionRoleARN: !Sub "arn:aws:iam::${AWS::AccountId}:role/channel"
      StreamConfigurationList:
        - StreamARN: !GetAtt Stream.Arn
          RecordConfiguration: {RecordFormatType: JSON}
      S3DestinationConfiguration:
        DataFreshnessInSeconds: !Ref Visibility
        StorageConfiguration:
          BucketARN: arn:aws:s3:::channel-bucket
          ExpectedBucketOwner: !Ref AWS::AccountId
          CompressionType: GZIP
Outputs:
  Stream: {Value: !Ref Stream}
  Queue: {Value: !Ref Queue}
  QueueArn: {Value: !GetAtt Queue.Arn}
  Channel: {Value: !Ref Channel}
"""


def _active(kinesis, arn: str) -> dict:
    for _ in range(50):
        description = kinesis.describe_queue(QueueARN=arn)["QueueDescription"]
        if description["QueueStatus"] == "ACTIVE":
            return description
        time.sleep(0.1)
    raise AssertionError("the queue never became ACTIVE")


def test_queue_type(cfn, client, stack_name):
    kinesis = client("kinesis")
    cfn.create_stack(StackName=stack_name, TemplateBody=TEMPLATE)
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)
    arn = out["Queue"]
    assert out["QueueArn"] == arn and ":queue/" in arn
    assert _active(kinesis, arn)["QueueAttributes"]["VisibilityTimeoutSeconds"] == 30
    assert kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "blue"}]
    kinesis.put_record(StreamName=out["Stream"], Data=b"hello", PartitionKey="k")
    got = kinesis.receive_queue_records(QueueARN=arn)["QueueRecords"]
    assert [r["Data"] for r in got] == [b"hello"]

    cfn.update_stack(
        StackName=stack_name,
        TemplateBody=TEMPLATE,
        Parameters=[{"ParameterKey": "Visibility", "ParameterValue": "90"}],
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert outputs(stack)["Queue"] == arn
    assert _active(kinesis, arn)["QueueAttributes"]["VisibilityTimeoutSeconds"] == 90
    channel = kinesis.describe_channel(ChannelARN=out["Channel"])["ChannelDescription"]
    assert channel["S3DestinationConfiguration"]["DataFreshnessInSeconds"] == 90

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError) as caught:
        kinesis.describe_queue(QueueARN=arn)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as caught:
        kinesis.describe_channel(ChannelARN=out["Channel"])
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
