"""StackSets with self-managed permissions: instances are real stacks in their own Overcast
accounts and regions; updates reach them; deleting instances deletes (or retains) them."""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.exceptions import ClientError

TEMPLATE = """
Parameters:
  Timeout: {Type: Number, Default: 30}
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties: {VisibilityTimeout: !Ref Timeout}
Outputs:
  Url: {Value: !Ref Queue}
"""


def finished(cfn, name: str, operation_id: str) -> dict:
    deadline = time.monotonic() + 60
    while True:
        operation = cfn.describe_stack_set_operation(StackSetName=name, OperationId=operation_id)[
            "StackSetOperation"
        ]
        if operation["Status"] not in ("RUNNING", "QUEUED") or time.monotonic() > deadline:
            return operation
        time.sleep(0.1)


def regional(endpoint: str, service: str, account: str, region: str):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=account,
        aws_secret_access_key="test",
    )


def test_stack_set_instances(cfn, endpoint, stack_name):
    cfn.create_stack_set(StackSetName=stack_name, TemplateBody=TEMPLATE)
    with pytest.raises(ClientError) as exists:
        cfn.create_stack_set(StackSetName=stack_name, TemplateBody=TEMPLATE)
    assert exists.value.response["Error"]["Code"] == "NameAlreadyExistsException"
    accounts, regions = ["111111111111", "222222222222"], ["us-east-1", "eu-west-1"]
    operation_id = cfn.create_stack_instances(StackSetName=stack_name, Accounts=accounts, Regions=regions)[
        "OperationId"
    ]
    assert finished(cfn, stack_name, operation_id)["Status"] == "SUCCEEDED"
    instances = cfn.list_stack_instances(StackSetName=stack_name)["Summaries"]
    assert sorted((i["Account"], i["Region"], i["Status"]) for i in instances) == sorted(
        (account, region, "CURRENT") for account in accounts for region in regions
    )
    instance = cfn.describe_stack_instance(
        StackSetName=stack_name, StackInstanceAccount="222222222222", StackInstanceRegion="eu-west-1"
    )["StackInstance"]
    remote = regional(endpoint, "cloudformation", "222222222222", "eu-west-1")
    stack = remote.describe_stacks(StackName=instance["StackId"])["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    url = stack["Outputs"][0]["OutputValue"]
    sqs = regional(endpoint, "sqs", "222222222222", "eu-west-1")
    assert (
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"][
            "VisibilityTimeout"
        ]
        == "30"
    )

    update = cfn.update_stack_set(
        StackSetName=stack_name,
        UsePreviousTemplate=True,
        Parameters=[{"ParameterKey": "Timeout", "ParameterValue": "45"}],
    )["OperationId"]
    assert finished(cfn, stack_name, update)["Status"] == "SUCCEEDED"
    assert (
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"][
            "VisibilityTimeout"
        ]
        == "45"
    )
    results = cfn.list_stack_set_operation_results(StackSetName=stack_name, OperationId=update)["Summaries"]
    assert len(results) == 4 and {r["Status"] for r in results} == {"SUCCEEDED"}
    assert [op["Action"] for op in cfn.list_stack_set_operations(StackSetName=stack_name)["Summaries"]] == [
        "UPDATE",
        "CREATE",
    ]

    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "99"})
    drift = cfn.detect_stack_set_drift(StackSetName=stack_name)["OperationId"]
    assert finished(cfn, stack_name, drift)["Status"] == "SUCCEEDED"
    statuses = {
        (i["Account"], i["Region"]): i["DriftStatus"]
        for i in cfn.list_stack_instances(StackSetName=stack_name)["Summaries"]
    }
    assert statuses[("222222222222", "eu-west-1")] == "DRIFTED"
    assert statuses[("111111111111", "us-east-1")] == "IN_SYNC"
    drifts = cfn.list_stack_instance_resource_drifts(
        StackSetName=stack_name,
        StackInstanceAccount="222222222222",
        StackInstanceRegion="eu-west-1",
        OperationId=drift,
    )["Summaries"]
    assert [(d["LogicalResourceId"], d["StackResourceDriftStatus"]) for d in drifts] == [
        ("Queue", "MODIFIED")
    ]

    with pytest.raises(ClientError) as not_empty:
        cfn.delete_stack_set(StackSetName=stack_name)
    assert not_empty.value.response["Error"]["Code"] == "StackSetNotEmptyException"
    removal = cfn.delete_stack_instances(
        StackSetName=stack_name, Accounts=accounts, Regions=regions, RetainStacks=False
    )
    assert finished(cfn, stack_name, removal["OperationId"])["Status"] == "SUCCEEDED"
    assert (
        remote.describe_stacks(StackName=instance["StackId"])["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    )
    assert cfn.list_stack_instances(StackSetName=stack_name)["Summaries"] == []
    cfn.delete_stack_set(StackSetName=stack_name)
    with pytest.raises(ClientError) as gone:
        cfn.describe_stack_set(StackSetName=stack_name)
    assert gone.value.response["Error"]["Code"] == "StackSetNotFoundException"
