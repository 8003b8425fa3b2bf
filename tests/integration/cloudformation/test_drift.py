"""Drift detection: properties changed or resources deleted outside CloudFormation are found
by reading each resource back from its service."""

from __future__ import annotations

import json
import time

from tests.integration.cloudformation.conftest import resources, settle

TEMPLATE = """
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 30
      DelaySeconds: 0
  Parameter:
    Type: AWS::SSM::Parameter
    Properties:
      Type: String
      Value: original
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: news
  Secret:
    Type: AWS::SecretsManager::Secret
    Properties:
      SecretString: s
"""


def wait_detection(cfn, detection_id: str) -> dict:
    while True:
        status = cfn.describe_stack_drift_detection_status(StackDriftDetectionId=detection_id)
        if status["DetectionStatus"] != "DETECTION_IN_PROGRESS":
            return status
        time.sleep(0.1)


def test_drift_detection(cfn, client, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=TEMPLATE)
    assert settle(cfn, stack_name)["StackStatus"] == "CREATE_COMPLETE"
    made = {name: r["PhysicalResourceId"] for name, r in resources(cfn, stack_name).items()}
    assert (
        cfn.describe_stacks(StackName=stack_name)["Stacks"][0]["DriftInformation"]["StackDriftStatus"]
        == "NOT_CHECKED"
    )

    first = wait_detection(cfn, cfn.detect_stack_drift(StackName=stack_name)["StackDriftDetectionId"])
    assert first["StackDriftStatus"] == "IN_SYNC"
    assert first["DriftedStackResourceCount"] == 0

    client("sqs").set_queue_attributes(QueueUrl=made["Queue"], Attributes={"VisibilityTimeout": "99"})
    client("ssm").delete_parameter(Name=made["Parameter"])
    second = wait_detection(cfn, cfn.detect_stack_drift(StackName=stack_name)["StackDriftDetectionId"])
    assert second["StackDriftStatus"] == "DRIFTED"
    assert second["DriftedStackResourceCount"] == 2
    drifts = {
        d["LogicalResourceId"]: d
        for d in cfn.describe_stack_resource_drifts(StackName=stack_name)["StackResourceDrifts"]
    }
    assert drifts["Queue"]["StackResourceDriftStatus"] == "MODIFIED"
    assert drifts["Queue"]["PropertyDifferences"] == [
        {
            "PropertyPath": "/VisibilityTimeout",
            "ExpectedValue": "30",
            "ActualValue": "99",
            "DifferenceType": "NOT_EQUAL",
        }
    ]
    assert json.loads(drifts["Queue"]["ActualProperties"])["VisibilityTimeout"] == "99"
    assert drifts["Parameter"]["StackResourceDriftStatus"] == "DELETED"
    assert drifts["Topic"]["StackResourceDriftStatus"] == "IN_SYNC"
    assert drifts["Secret"]["StackResourceDriftStatus"] == "NOT_CHECKED"
    only_modified = cfn.describe_stack_resource_drifts(
        StackName=stack_name, StackResourceDriftStatusFilters=["MODIFIED"]
    )
    assert [d["LogicalResourceId"] for d in only_modified["StackResourceDrifts"]] == ["Queue"]
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    assert stack["DriftInformation"]["StackDriftStatus"] == "DRIFTED"

    client("sqs").set_queue_attributes(QueueUrl=made["Queue"], Attributes={"VisibilityTimeout": "30"})
    one = cfn.detect_stack_resource_drift(StackName=stack_name, LogicalResourceId="Queue")[
        "StackResourceDrift"
    ]
    assert one["StackResourceDriftStatus"] == "IN_SYNC"
    cfn.delete_stack(StackName=stack_name)
