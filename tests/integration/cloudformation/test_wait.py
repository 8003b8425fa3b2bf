"""Wait conditions: a WaitConditionHandle's presigned URL receives signals PUT to it (as
cfn-signal or curl send them) and its WaitCondition completes with their data; a
WaitCondition with a CreationPolicy counts SignalResource calls; a failure signal or the
timeout fails the stack."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError

from tests.integration.cloudformation.conftest import outputs, settle

HANDLE = """
Resources:
  Handle: {Type: AWS::CloudFormation::WaitConditionHandle}
  Wait:
    Type: AWS::CloudFormation::WaitCondition
    Properties:
      Handle: !Ref Handle
      Timeout: "60"
      Count: 2
  Signalled:
    Type: AWS::CloudFormation::WaitCondition
    CreationPolicy:
      ResourceSignal: {Count: 1, Timeout: PT1M}
Outputs:
  Data: {Value: !GetAtt Wait.Data}
"""


def waiting(cfn, stack: str, logical: str) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = {
            r["LogicalResourceId"]: r for r in cfn.describe_stack_resources(StackName=stack)["StackResources"]
        }
        if found.get(logical, {}).get("ResourceStatus") == "CREATE_IN_PROGRESS":
            return found
        time.sleep(0.1)
    raise AssertionError(f"{logical} never waited")


def put(url: str, signal: dict) -> None:
    request = urllib.request.Request(
        url, data=json.dumps(signal).encode(), method="PUT", headers={"Content-Type": ""}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_signals_complete_wait_conditions(cfn, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=HANDLE)
    found = waiting(cfn, stack_name, "Wait")
    url = found["Handle"]["PhysicalResourceId"]
    put(url, {"Status": "SUCCESS", "UniqueId": "one", "Data": "first", "Reason": "ok"})
    put(url, {"Status": "SUCCESS", "UniqueId": "two", "Data": "second", "Reason": "ok"})
    waiting(cfn, stack_name, "Signalled")
    with pytest.raises(ClientError) as unknown:
        cfn.signal_resource(StackName=stack_name, LogicalResourceId="Handle", UniqueId="x", Status="SUCCESS")
    assert "cannot be signaled" in unknown.value.response["Error"]["Message"]
    cfn.signal_resource(StackName=stack_name, LogicalResourceId="Signalled", UniqueId="i-1", Status="SUCCESS")
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    assert json.loads(outputs(stack)["Data"]) == {"one": "first", "two": "second"}
    cfn.delete_stack(StackName=stack_name)


def test_a_failure_signal_fails_the_stack(cfn, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=HANDLE)
    waiting(cfn, stack_name, "Signalled")
    cfn.signal_resource(StackName=stack_name, LogicalResourceId="Signalled", UniqueId="i-9", Status="FAILURE")
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = [
        e
        for e in cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
        if e["ResourceStatus"] == "CREATE_FAILED"
    ]
    reasons = {e["LogicalResourceId"]: e["ResourceStatusReason"] for e in failed}
    assert reasons["Signalled"] == "WaitCondition received failed message: '' for uniqueId: i-9"
    cfn.delete_stack(StackName=stack_name)


def test_wait_condition_timeout(cfn, stack_name):
    body = """
Resources:
  Handle: {Type: AWS::CloudFormation::WaitConditionHandle}
  Wait:
    Type: AWS::CloudFormation::WaitCondition
    Properties: {Handle: !Ref Handle, Timeout: "1"}
"""
    cfn.create_stack(StackName=stack_name, TemplateBody=body)
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = [
        e
        for e in cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
        if e["ResourceStatus"] == "CREATE_FAILED"
    ]
    assert (
        failed[0]["ResourceStatusReason"] == "WaitCondition timed out. Received 0 conditions when expecting 1"
    )
    cfn.delete_stack(StackName=stack_name)


@pytest.mark.slow
def test_stack_timeout_cancels_the_creation(cfn, stack_name):
    body = """
Resources:
  Handle: {Type: AWS::CloudFormation::WaitConditionHandle}
  Wait:
    Type: AWS::CloudFormation::WaitCondition
    Properties: {Handle: !Ref Handle, Timeout: "3600"}
"""
    cfn.create_stack(StackName=stack_name, TemplateBody=body, TimeoutInMinutes=1)
    stack = settle(cfn, stack_name, timeout=120)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert stack["StackStatusReason"] == "Create timed out"
    assert stack["TimeoutInMinutes"] == 1
    failed = [
        e
        for e in cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
        if e["ResourceStatus"] == "CREATE_FAILED"
    ]
    assert [(e["LogicalResourceId"], e["ResourceStatusReason"]) for e in failed] == [
        ("Wait", "Resource creation cancelled")
    ]
    cfn.delete_stack(StackName=stack_name)
