"""Run Command against the real server. No node is managed (there is no EC2 or SSM Agent),
so instance ids are refused as AWS refuses ids that are not managed nodes, and targets match
nothing: the command is recorded and ends with no invocations, as on AWS."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError


def _code(error: pytest.ExceptionInfo) -> str:
    return error.value.response["Error"]["Code"]


def test_targets_matching_no_node_complete_with_nothing_to_run(ssm):
    sent = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        Targets=[{"Key": "tag:Env", "Values": ["nowhere"]}],
        Parameters={"commands": ["echo hi"]},
        Comment="c",
        OutputS3BucketName="out",
        OutputS3KeyPrefix="p/",
        TimeoutSeconds=60,
        MaxConcurrency="10%",
        MaxErrors="1",
    )["Command"]
    assert (sent["Status"], sent["StatusDetails"], sent["TargetCount"]) == ("Success", "Success", 0)
    assert (sent["CompletedCount"], sent["ErrorCount"], sent["DeliveryTimedOutCount"]) == (0, 0, 0)
    assert sent["Parameters"] == {"commands": ["echo hi"]} and sent["DocumentVersion"] == "1"
    assert (sent["MaxConcurrency"], sent["MaxErrors"], sent["TimeoutSeconds"]) == ("10%", "1", 60)
    assert sent["ExpiresAfter"] > sent["RequestedDateTime"]
    listed = ssm.list_commands(CommandId=sent["CommandId"])["Commands"]
    assert [c["CommandId"] for c in listed] == [sent["CommandId"]]
    assert ssm.list_command_invocations(CommandId=sent["CommandId"])["CommandInvocations"] == []
    done = ssm.list_commands(Filters=[{"key": "ExecutionStage", "value": "Complete"}])["Commands"]
    assert sent["CommandId"] in [c["CommandId"] for c in done]
    with pytest.raises(ClientError) as error:
        ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId="i-0123456789abcdef0")
    assert _code(error) == "InvocationDoesNotExist"
    ssm.cancel_command(CommandId=sent["CommandId"])
    assert ssm.list_commands(CommandId=sent["CommandId"])["Commands"][0]["Status"] == "Success"


def test_instances_that_are_not_managed_nodes_are_refused(ssm):
    with pytest.raises(ClientError) as error:
        ssm.send_command(
            DocumentName="AWS-RunShellScript",
            InstanceIds=["i-0123456789abcdef0"],
            Parameters={"commands": ["ls"]},
        )
    assert _code(error) == "InvalidInstanceId"
    with pytest.raises(ClientError) as error:
        ssm.send_command(
            DocumentName="AWS-RunShellScript", InstanceIds=["i-0123456789abcdef0", "i-0123456789abcdef0"],
            Parameters={"commands": ["ls"]},
        )  # fmt: skip
    assert _code(error) == "DuplicateInstanceId"


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({}, "commands"),
        ({"commands": ["ls"], "colour": ["red"]}, "colour"),
        ({"commands": ["ls"], "executionTimeout": ["forever"]}, "executionTimeout"),
        ({"commands": ["ls"], "workingDirectory": ["a", "b"]}, "workingDirectory"),
    ],
)
def test_parameters_are_checked_against_the_document(ssm, parameters, message):
    with pytest.raises(ClientError) as error:
        ssm.send_command(
            DocumentName="AWS-RunShellScript",
            Targets=[{"Key": "tag:a", "Values": ["b"]}],
            Parameters=parameters,
        )
    assert _code(error) == "InvalidParameters"
    assert message in error.value.response["Error"]["Message"]


def test_document_and_selection_errors(ssm):
    target = [{"Key": "InstanceIds", "Values": ["*"]}]
    for kwargs, code in (
        ({"DocumentName": "No-Such-Doc", "Targets": target}, "InvalidDocument"),
        ({"DocumentName": "AWS-RestartEC2Instance", "Targets": target}, "InvalidDocument"),
        ({"DocumentName": "AWS-RunShellScript", "DocumentVersion": "9", "Targets": target,
          "Parameters": {"commands": ["ls"]}}, "InvalidDocumentVersion"),
        ({"DocumentName": "AWS-RunShellScript", "Parameters": {"commands": ["ls"]}}, "InvalidParameters"),
        ({"DocumentName": "AWS-RunShellScript", "Targets": [{"Key": "colour", "Values": ["x"]}],
          "Parameters": {"commands": ["ls"]}}, "InvalidParameters"),
    ):  # fmt: skip
        with pytest.raises(ClientError) as error:
            ssm.send_command(**kwargs)
        assert _code(error) == code, kwargs
    for call in (ssm.list_commands, ssm.list_command_invocations):
        with pytest.raises(ClientError) as error:
            call(CommandId=str(uuid.uuid4()))
        assert _code(error) == "InvalidCommandId"
    with pytest.raises(ClientError) as error:
        ssm.cancel_command(CommandId=str(uuid.uuid4()))
    assert _code(error) == "InvalidCommandId"


def test_own_document_with_defaults(ssm):
    name = f"Cmd-{uuid.uuid4().hex[:8]}"
    content = {
        "schemaVersion": "2.2",
        "description": "d",
        "parameters": {"Who": {"type": "String", "default": "world", "allowedValues": ["world", "moon"]}},
        "mainSteps": [
            {"action": "aws:runShellScript", "name": "hi", "inputs": {"runCommand": ["echo {{ Who }}"]}}
        ],
    }
    ssm.create_document(Content=json.dumps(content), Name=name, DocumentType="Command")
    sent = ssm.send_command(DocumentName=name, Targets=[{"Key": "tag-key", "Values": ["x"]}])["Command"]
    assert sent["DocumentName"] == name and sent["Parameters"] == {}
    with pytest.raises(ClientError) as error:
        ssm.send_command(
            DocumentName=name, Targets=[{"Key": "tag-key", "Values": ["x"]}], Parameters={"Who": ["sun"]}
        )
    assert _code(error) == "InvalidParameters"
    first = ssm.list_commands(Filters=[{"key": "DocumentName", "value": name}])["Commands"]
    assert [c["CommandId"] for c in first] == [sent["CommandId"]]


def test_the_aws_cli(aws):
    sent = aws(
        "ssm", "send-command", "--document-name", "AWS-RunShellScript", "--targets", "Key=tag:Env,Values=none",
        "--parameters", "commands=uptime", "--comment", "from the cli",
    )["Command"]  # fmt: skip
    assert sent["Status"] == "Success" and sent["Parameters"] == {"commands": ["uptime"]}
    listed = aws("ssm", "list-commands", "--command-id", sent["CommandId"])["Commands"]
    assert listed[0]["Comment"] == "from the cli"
    refused = aws("ssm", "send-command", "--document-name", "AWS-RunShellScript", "--instance-ids",
                  "i-0123456789abcdef0", "--parameters", "commands=uptime", check=False)  # fmt: skip
    assert refused.returncode != 0 and "InvalidInstanceId" in refused.stderr
    documents = aws("ssm", "list-documents", "--filters", "Key=Owner,Values=Amazon")["DocumentIdentifiers"]
    assert "AWS-RunShellScript" in [d["Name"] for d in documents]


def test_status_notifications_reach_the_topic(ssm, client):
    sns, sqs = client("sns"), client("sqs")
    topic = sns.create_topic(Name=f"commands-{uuid.uuid4().hex[:8]}")["TopicArn"]
    queue = sqs.create_queue(QueueName=f"commands-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    sent = ssm.send_command(
        DocumentName="AWS-RunShellScript", Targets=[{"Key": "tag:Env", "Values": ["none"]}],
        Parameters={"commands": ["ls"]}, ServiceRoleArn="arn:aws:iam::000000000000:role/notify",
        NotificationConfig={"NotificationArn": topic, "NotificationEvents": ["Success"], "NotificationType": "Command"},
    )["Command"]  # fmt: skip
    messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=10).get("Messages", [])
    assert len(messages) == 1
    body = json.loads(messages[0]["Body"])
    assert (body["commandId"], body["status"], body["documentName"]) == (
        sent["CommandId"], "Success", "AWS-RunShellScript",
    )  # fmt: skip
    with pytest.raises(ClientError) as error:
        ssm.send_command(
            DocumentName="AWS-RunShellScript", Targets=[{"Key": "tag:Env", "Values": ["none"]}],
            Parameters={"commands": ["ls"]}, NotificationConfig={"NotificationArn": queue_arn},
        )  # fmt: skip
    assert _code(error) == "InvalidNotificationConfig"


@pytest.mark.parametrize(("member", "value"), [("MaxErrors", "many"), ("MaxConcurrency", "0")])
def test_rate_controls_outside_their_patterns(ssm, member, value):
    with pytest.raises(ClientError) as error:
        ssm.send_command(
            DocumentName="AWS-RunShellScript", Targets=[{"Key": "tag:a", "Values": ["b"]}],
            Parameters={"commands": ["ls"]}, **{member: value},
        )  # fmt: skip
    assert _code(error) == "ValidationException"
    with pytest.raises(ClientError) as error:
        ssm.create_association(
            Name="AWS-RunShellScript", Targets=[{"Key": "tag:a", "Values": ["b"]}],
            Parameters={"commands": ["ls"]}, **{member: value},
        )  # fmt: skip
    assert _code(error) == "ValidationException"
