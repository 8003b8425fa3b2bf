"""Stack operations (LastOperations and DescribeEvents by operation id), stack aliases,
organizations access and stacks imported into a stack set."""

from __future__ import annotations

import json
import random
import time
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.integration.cloudformation.conftest import settle

QUEUE = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 30}}}}
BAD = {
    "Resources": {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 30}},
        "Broken": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 999999}},
    }
}


def test_describe_events_by_operation(cfn, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=json.dumps(QUEUE))
    created = settle(cfn, stack_name)
    assert created["StackStatus"] == "CREATE_COMPLETE"
    [create] = created["LastOperations"]
    assert create["OperationType"] == "CREATE_STACK"
    cfn.update_stack(StackName=stack_name, TemplateBody=json.dumps(BAD))
    updated = settle(cfn, stack_name)
    assert updated["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    kinds = [entry["OperationType"] for entry in updated["LastOperations"]]
    assert kinds[:2] == ["ROLLBACK", "UPDATE_STACK"]
    update_id = updated["LastOperations"][1]["OperationId"]

    events = cfn.describe_events(OperationId=create["OperationId"])["OperationEvents"]
    assert {event["OperationType"] for event in events} == {"CREATE_STACK"}
    assert {event["LogicalResourceId"] for event in events} == {stack_name, "Queue"}
    assert events[0]["ResourceStatus"] == "CREATE_COMPLETE"  # newest first
    failed = cfn.describe_events(StackName=stack_name, Filters={"FailedEvents": True})["OperationEvents"]
    assert failed and all(event["ResourceStatus"].endswith("_FAILED") for event in failed)
    assert {event["EventType"] for event in failed} == {"PROVISIONING_ERROR"}
    assert {event["OperationId"] for event in failed} == {update_id}
    everything = cfn.describe_events(StackName=stack_name)["OperationEvents"]
    assert len({event["OperationId"] for event in everything}) == 3
    with pytest.raises(ClientError):
        cfn.describe_events()


def test_describe_events_of_a_change_set(cfn, stack_name):
    cfn.create_change_set(
        StackName=stack_name, ChangeSetName="first", ChangeSetType="CREATE", TemplateBody=json.dumps(QUEUE)
    )
    deadline = time.monotonic() + 30
    while cfn.describe_change_set(StackName=stack_name, ChangeSetName="first")["Status"] != "CREATE_COMPLETE":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    cfn.execute_change_set(StackName=stack_name, ChangeSetName="first")
    settle(cfn, stack_name)
    events = cfn.describe_events(StackName=stack_name, ChangeSetName="first")["OperationEvents"]
    assert {event["LogicalResourceId"] for event in events} == {stack_name, "Queue"}


def test_stack_alias(cfn, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=json.dumps(QUEUE))
    settle(cfn, stack_name)
    alias = f"a-{uuid.uuid4().hex[:8]}"
    cfn.set_alias(StackName=stack_name, AliasName=alias)
    found = cfn.describe_stacks(StackName=alias)["Stacks"][0]
    assert (found["StackName"], found["AliasName"]) == (stack_name, alias)
    assert cfn.describe_stack_resources(StackName=alias)["StackResources"][0]["LogicalResourceId"] == "Queue"
    with pytest.raises(ClientError) as second:
        cfn.set_alias(StackName=stack_name, AliasName=f"{alias}-2")
    assert second.value.response["Error"]["Code"] == "LimitExceededException"
    with pytest.raises(ClientError) as taken:
        cfn.set_alias(StackName=stack_name, AliasName=stack_name)
    assert taken.value.response["Error"]["Code"] == "AlreadyExistsException"
    cfn.remove_alias(AliasName=alias)
    with pytest.raises(ClientError):
        cfn.describe_stacks(StackName=alias)
    assert "AliasName" not in cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    with pytest.raises(ClientError) as unknown:
        cfn.remove_alias(AliasName=alias)
    assert unknown.value.response["Error"]["Code"] == "ValidationError"


def test_organizations_access(endpoint):
    account = str(random.randint(10**11, 10**12 - 1))
    cfn = boto3.client(
        "cloudformation",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=account,
        aws_secret_access_key="t",
    )
    assert cfn.describe_organizations_access()["Status"] == "DISABLED"
    with pytest.raises(ClientError) as inactive:
        cfn.deactivate_organizations_access()
    assert inactive.value.response["Error"]["Code"] == "InvalidOperationException"
    cfn.activate_organizations_access()
    assert cfn.describe_organizations_access()["Status"] == "ENABLED"
    cfn.deactivate_organizations_access()
    assert cfn.describe_organizations_access()["Status"] == "DISABLED"


def test_import_stacks_to_stack_set(cfn, stack_name):
    template = json.dumps(QUEUE)
    cfn.create_stack(StackName=stack_name, TemplateBody=template)
    stack_id = settle(cfn, stack_name)["StackId"]
    set_name = f"set-{uuid.uuid4().hex[:8]}"
    cfn.create_stack_set(StackSetName=set_name, TemplateBody=template)
    operation_id = cfn.import_stacks_to_stack_set(StackSetName=set_name, StackIds=[stack_id])["OperationId"]
    deadline = time.monotonic() + 30
    while (
        cfn.describe_stack_set_operation(StackSetName=set_name, OperationId=operation_id)[
            "StackSetOperation"
        ]["Status"]
        == "RUNNING"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    [instance] = cfn.list_stack_instances(StackSetName=set_name)["Summaries"]
    assert (instance["StackId"], instance["Status"]) == (stack_id, "CURRENT")
    with pytest.raises(ClientError) as twice:
        cfn.import_stacks_to_stack_set(StackSetName=set_name, StackIds=[stack_id])
    assert twice.value.response["Error"]["Code"] == "InvalidOperationException"
    with pytest.raises(ClientError) as missing:
        cfn.import_stacks_to_stack_set(
            StackSetName=set_name, StackIds=["arn:aws:cloudformation:us-east-1:000000000000:stack/none/abc"]
        )
    assert missing.value.response["Error"]["Code"] == "StackNotFoundException"
