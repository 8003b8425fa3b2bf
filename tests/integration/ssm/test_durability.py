"""Documents, associations and an Automation execution waiting for a signal survive a kill -9:
the execution carries on from its step after the restart."""

from __future__ import annotations

import json
import time

import boto3

from tests.conftest import Server


def _ssm(server: Server):
    return boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    ).client("ssm", endpoint_url=server.endpoint)


def _until(ssm, execution_id: str, status: str, seconds: float = 30.0) -> dict:
    deadline = time.time() + seconds
    while True:
        execution = ssm.get_automation_execution(AutomationExecutionId=execution_id)["AutomationExecution"]
        if execution["AutomationExecutionStatus"] == status or time.time() > deadline:
            return execution
        time.sleep(0.1)


def test_a_waiting_execution_resumes_after_kill_9(tmp_path):
    document = {
        "schemaVersion": "0.3",
        "description": "durable",
        "mainSteps": [
            {"name": "hold", "action": "aws:pause", "inputs": {}},
            {"name": "write", "action": "aws:executeAwsApi",
             "inputs": {"Service": "ssm", "Api": "PutParameter", "Name": "/durable/done", "Value": "yes",
                        "Type": "String"}},
        ],
    }  # fmt: skip
    first = Server("--data-dir", str(tmp_path), "--quiet")
    try:
        ssm = _ssm(first)
        ssm.create_document(Content=json.dumps(document), Name="Durable", DocumentType="Automation")
        association = ssm.create_association(
            Name="AWS-RunShellScript", Targets=[{"Key": "tag:a", "Values": ["b"]}],
            Parameters={"commands": ["ls"]}, ScheduleExpression="rate(30 minutes)",
        )["AssociationDescription"]  # fmt: skip
        execution_id = ssm.start_automation_execution(DocumentName="Durable")["AutomationExecutionId"]
        assert _until(ssm, execution_id, "Waiting")["AutomationExecutionStatus"] == "Waiting"
    finally:
        first.stop(kill=True)
    second = Server("--data-dir", str(tmp_path), "--quiet")
    try:
        ssm = _ssm(second)
        assert ssm.describe_document(Name="Durable")["Document"]["DocumentType"] == "Automation"
        described = ssm.describe_association(AssociationId=association["AssociationId"])[
            "AssociationDescription"
        ]
        assert described["ScheduleExpression"] == "rate(30 minutes)"
        assert _until(ssm, execution_id, "Waiting")["AutomationExecutionStatus"] == "Waiting"
        ssm.send_automation_signal(AutomationExecutionId=execution_id, SignalType="Resume")
        finished = _until(ssm, execution_id, "Success")
        assert finished["AutomationExecutionStatus"] == "Success"
        assert [(s["StepName"], s["StepStatus"]) for s in finished["StepExecutions"]] == [
            ("hold", "Success"),
            ("write", "Success"),
        ]
        assert ssm.get_parameter(Name="/durable/done")["Parameter"]["Value"] == "yes"
    finally:
        second.stop()
