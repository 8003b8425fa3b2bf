"""Stack refactors move resources between stacks (and rename them) without touching them;
a refactor whose templates change anything else fails with the reason."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration.cloudformation.conftest import resources, settle

QUEUE = {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 40}}
TOPIC = {"Type": "AWS::SNS::Topic"}


def body(resources_: dict) -> str:
    return json.dumps({"Resources": resources_})


def test_move_a_resource_to_another_stack_and_a_new_one(cfn, client):
    source, destination, created = (f"r-{uuid.uuid4().hex[:8]}" for _ in range(3))
    cfn.create_stack(StackName=source, TemplateBody=body({"Queue": QUEUE, "Topic": TOPIC, "Other": TOPIC}))
    cfn.create_stack(StackName=destination, TemplateBody=body({"Keep": TOPIC}))
    assert settle(cfn, source)["StackStatus"] == "CREATE_COMPLETE"
    assert settle(cfn, destination)["StackStatus"] == "CREATE_COMPLETE"
    queue_url = resources(cfn, source)["Queue"]["PhysicalResourceId"]
    topic_arn = resources(cfn, source)["Topic"]["PhysicalResourceId"]

    refactor_id = cfn.create_stack_refactor(
        Description="split",
        EnableStackCreation=True,
        StackDefinitions=[
            {"StackName": source, "TemplateBody": body({"Other": TOPIC})},
            {"StackName": destination, "TemplateBody": body({"Keep": TOPIC, "Queue": QUEUE})},
            {"StackName": created, "TemplateBody": body({"Renamed": TOPIC})},
        ],
        ResourceMappings=[
            {
                "Source": {"StackName": source, "LogicalResourceId": "Topic"},
                "Destination": {"StackName": created, "LogicalResourceId": "Renamed"},
            }
        ],
    )["StackRefactorId"]
    described = cfn.describe_stack_refactor(StackRefactorId=refactor_id)
    assert (described["Status"], described["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    actions = cfn.list_stack_refactor_actions(StackRefactorId=refactor_id)["StackRefactorActions"]
    moves = {
        (a["ResourceMapping"]["Source"]["LogicalResourceId"], a["Detection"])
        for a in actions
        if a["Action"] == "MOVE"
    }
    assert moves == {("Queue", "AUTO"), ("Topic", "MANUAL")}
    assert [a["Entity"] for a in actions if a["Action"] == "CREATE"] == ["STACK"]

    cfn.execute_stack_refactor(StackRefactorId=refactor_id)
    assert cfn.describe_stack_refactor(StackRefactorId=refactor_id)["ExecutionStatus"] == "EXECUTE_COMPLETE"
    assert set(resources(cfn, source)) == {"Other"}
    assert resources(cfn, destination)["Queue"]["PhysicalResourceId"] == queue_url
    assert resources(cfn, created)["Renamed"]["PhysicalResourceId"] == topic_arn
    assert cfn.get_template(StackName=source)["TemplateBody"] == {"Resources": {"Other": TOPIC}}
    listed = cfn.list_stack_refactors(ExecutionStatusFilter=["EXECUTE_COMPLETE"])["StackRefactorSummaries"]
    assert refactor_id in {entry["StackRefactorId"] for entry in listed}
    # The queue itself was not touched, and deleting its new stack deletes it.
    client("sqs").get_queue_attributes(QueueUrl=queue_url)
    destination_id = cfn.describe_stacks(StackName=destination)["Stacks"][0]["StackId"]
    cfn.delete_stack(StackName=destination)
    assert settle(cfn, destination_id)["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError):
        client("sqs").get_queue_attributes(QueueUrl=queue_url)
    with pytest.raises(ClientError) as again:
        cfn.execute_stack_refactor(StackRefactorId=refactor_id)
    assert again.value.response["Error"]["Code"] == "ValidationError"


def test_a_refactor_that_changes_more_than_it_moves_fails(cfn):
    source, destination = (f"r-{uuid.uuid4().hex[:8]}" for _ in range(2))
    cfn.create_stack(StackName=source, TemplateBody=body({"Queue": QUEUE, "Topic": TOPIC}))
    cfn.create_stack(StackName=destination, TemplateBody=body({"Keep": TOPIC}))
    settle(cfn, source)
    settle(cfn, destination)
    dropped = cfn.create_stack_refactor(
        StackDefinitions=[
            {"StackName": source, "TemplateBody": body({"Topic": TOPIC})},
            {"StackName": destination, "TemplateBody": body({"Keep": TOPIC})},
        ]
    )["StackRefactorId"]
    described = cfn.describe_stack_refactor(StackRefactorId=dropped)
    assert (described["Status"], described["ExecutionStatus"]) == ("CREATE_FAILED", "UNAVAILABLE")
    assert "without being moved" in described["StatusReason"]
    missing = cfn.create_stack_refactor(
        StackDefinitions=[
            {"StackName": source, "TemplateBody": body({"Topic": TOPIC})},
            {"StackName": "no-such-stack-r", "TemplateBody": body({"Queue": QUEUE})},
        ]
    )["StackRefactorId"]
    assert "EnableStackCreation" in cfn.describe_stack_refactor(StackRefactorId=missing)["StatusReason"]
    with pytest.raises(ClientError) as unknown:
        cfn.describe_stack_refactor(
            StackRefactorId="arn:aws:cloudformation:us-east-1:000000000000:stackRefactor/nope"
        )
    assert unknown.value.response["Error"]["Code"] == "StackRefactorNotFoundException"
