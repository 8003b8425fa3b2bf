"""State Manager associations against the real server: create (single and batch), versions,
updates, executions, schedules and AWS's errors. No node is managed, so targets reach nothing
and instance ids are refused."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

TARGETS = [{"Key": "tag:Role", "Values": ["web"]}]


def _code(error: pytest.ExceptionInfo) -> str:
    return error.value.response["Error"]["Code"]


@pytest.fixture
def association(ssm):
    name = f"assoc-{uuid.uuid4().hex[:8]}"
    made = ssm.create_association(
        Name="AWS-RunShellScript", Targets=TARGETS, Parameters={"commands": ["uptime"]},
        ScheduleExpression="rate(30 minutes)", AssociationName=name, MaxErrors="1", MaxConcurrency="2",
        ComplianceSeverity="HIGH", Tags=[{"Key": "k", "Value": "v"}],
    )["AssociationDescription"]  # fmt: skip
    yield made
    try:
        ssm.delete_association(AssociationId=made["AssociationId"])
    except ClientError:
        pass


def test_create_describe_and_list(ssm, association):
    assert association["AssociationVersion"] == "1" and association["DocumentVersion"] == "$DEFAULT"
    assert association["Targets"] == TARGETS and association["Parameters"] == {"commands": ["uptime"]}
    assert (association["MaxErrors"], association["ComplianceSeverity"]) == ("1", "HIGH")
    described = ssm.describe_association(AssociationId=association["AssociationId"])["AssociationDescription"]
    assert described["AssociationName"] == association["AssociationName"]
    assert described["Overview"]["Status"] == "Success"
    listed = ssm.list_associations(
        AssociationFilterList=[{"key": "AssociationName", "value": association["AssociationName"]}]
    )["Associations"]
    assert [a["AssociationId"] for a in listed] == [association["AssociationId"]]
    assert ssm.list_tags_for_resource(ResourceType="Association", ResourceId=association["AssociationId"])[
        "TagList"
    ] == [{"Key": "k", "Value": "v"}]
    with pytest.raises(ClientError) as error:
        ssm.create_association(
            Name="AWS-RunShellScript", Targets=TARGETS, Parameters={"commands": ["uptime"]},
            AssociationName=association["AssociationName"],
        )  # fmt: skip
    assert _code(error) == "AssociationAlreadyExists"


def test_updates_make_versions(ssm, association):
    association_id = association["AssociationId"]
    updated = ssm.update_association(
        AssociationId=association_id,
        Parameters={"commands": ["df -h"]},
        ScheduleExpression="cron(0 2 ? * SUN *)",
    )["AssociationDescription"]
    assert updated["AssociationVersion"] == "2" and updated["ScheduleExpression"] == "cron(0 2 ? * SUN *)"
    assert updated["AssociationName"] == association["AssociationName"]
    versions = ssm.list_association_versions(AssociationId=association_id)["AssociationVersions"]
    assert [(v["AssociationVersion"], v["Parameters"]) for v in versions] == [
        ("1", {"commands": ["uptime"]}),
        ("2", {"commands": ["df -h"]}),
    ]
    first = ssm.describe_association(AssociationId=association_id, AssociationVersion="1")[
        "AssociationDescription"
    ]
    assert (
        first["Parameters"] == {"commands": ["uptime"]} and first["ScheduleExpression"] == "rate(30 minutes)"
    )
    with pytest.raises(ClientError) as error:
        ssm.update_association(AssociationId=association_id, AssociationVersion="1", MaxErrors="2")
    assert _code(error) == "InvalidAssociationVersion"


def test_executions_and_start_once(ssm, association):
    association_id = association["AssociationId"]
    ssm.start_associations_once(AssociationIds=[association_id])
    executions = ssm.describe_association_executions(AssociationId=association_id)["AssociationExecutions"]
    assert len(executions) == 2 and all(e["Status"] == "Success" for e in executions)
    assert json.loads(executions[0]["ResourceCountByStatus"]) == {}
    targets = ssm.describe_association_execution_targets(
        AssociationId=association_id, ExecutionId=executions[0]["ExecutionId"]
    )["AssociationExecutionTargets"]
    assert targets == []
    with pytest.raises(ClientError) as error:
        ssm.describe_association_execution_targets(
            AssociationId=association_id, ExecutionId=str(uuid.uuid4())
        )
    assert _code(error) == "AssociationExecutionDoesNotExist"
    with pytest.raises(ClientError) as error:
        ssm.start_associations_once(AssociationIds=[str(uuid.uuid4())])
    assert _code(error) == "AssociationDoesNotExist"


@pytest.mark.parametrize(
    "schedule", ["rate(5 minutes)", "rate(1 hours)", "cron(0 2 * * * *)", "cron(99 2 ? * SUN *)", "every day"]
)
def test_schedules_are_validated(ssm, schedule):
    with pytest.raises(ClientError) as error:
        ssm.create_association(
            Name="AWS-RunShellScript",
            Targets=TARGETS,
            Parameters={"commands": ["ls"]},
            ScheduleExpression=schedule,
        )
    assert _code(error) == "InvalidSchedule"


def test_batch_reports_each_entry(ssm):
    result = ssm.create_association_batch(
        Entries=[
            {"Name": "AWS-RunShellScript", "Targets": TARGETS, "Parameters": {"commands": ["ls"]}},
            {"Name": "No-Such-Document", "Targets": TARGETS},
            {
                "Name": "AWS-RunShellScript",
                "InstanceId": "i-0123456789abcdef0",
                "Parameters": {"commands": ["ls"]},
            },
        ]
    )
    assert len(result["Successful"]) == 1
    assert [f["Entry"]["Name"] for f in result["Failed"]] == ["No-Such-Document", "AWS-RunShellScript"]
    assert {f["Fault"] for f in result["Failed"]} == {"Client"}
    ssm.delete_association(AssociationId=result["Successful"][0]["AssociationId"])


def test_missing_and_unmanaged(ssm):
    missing = str(uuid.uuid4())
    for call in (ssm.describe_association, ssm.delete_association, ssm.describe_association_executions):
        with pytest.raises(ClientError) as error:
            call(AssociationId=missing)
        assert _code(error) == "AssociationDoesNotExist"
    for call in (ssm.describe_effective_instance_associations, ssm.describe_instance_associations_status):
        with pytest.raises(ClientError) as error:
            call(InstanceId="i-0123456789abcdef0")
        assert _code(error) == "InvalidInstanceId"
    with pytest.raises(ClientError) as error:
        ssm.update_association_status(
            Name="AWS-RunShellScript", InstanceId="i-0123456789abcdef0",
            AssociationStatus={"Date": "2024-01-01", "Name": "Success", "Message": "m"},
        )  # fmt: skip
    assert _code(error) == "InvalidInstanceId"
    with pytest.raises(ClientError) as error:
        ssm.create_association(Name="AWS-RunShellScript", Targets=TARGETS, Parameters={"nope": ["x"]})
    assert _code(error) == "InvalidParameters"


def test_inventory_association_on_every_node(ssm):
    made = ssm.create_association(
        Name="AWS-GatherSoftwareInventory", Targets=[{"Key": "InstanceIds", "Values": ["*"]}],
        ScheduleExpression="rate(1 day)", Parameters={"applications": ["Enabled"], "files": [""]},
    )["AssociationDescription"]  # fmt: skip
    assert made["Name"] == "AWS-GatherSoftwareInventory"
    with pytest.raises(ClientError) as error:
        ssm.create_association(
            Name="AWS-GatherSoftwareInventory", Targets=[{"Key": "InstanceIds", "Values": ["*"]}],
            Parameters={"applications": ["Sometimes"]},
        )  # fmt: skip
    assert _code(error) == "InvalidParameters"
    ssm.delete_association(AssociationId=made["AssociationId"])


def test_a_closed_change_calendar_holds_the_association(ssm):
    calendar = f"Freeze-{uuid.uuid4().hex[:8]}"
    always_closed = (
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\nX-CALENDAR-TYPE:DEFAULT_CLOSED\nEND:VCALENDAR\n"
    )
    ssm.create_document(
        Content=always_closed, Name=calendar, DocumentType="ChangeCalendar", DocumentFormat="TEXT"
    )
    held = ssm.create_association(
        Name="AWS-RunShellScript", Targets=TARGETS, Parameters={"commands": ["ls"]}, CalendarNames=[calendar]
    )["AssociationDescription"]
    assert (
        ssm.describe_association_executions(AssociationId=held["AssociationId"])["AssociationExecutions"]
        == []
    )
    ssm.start_associations_once(AssociationIds=[held["AssociationId"]])
    assert (
        ssm.describe_association_executions(AssociationId=held["AssociationId"])["AssociationExecutions"]
        == []
    )
    with pytest.raises(ClientError) as error:
        ssm.create_association(
            Name="AWS-RunShellScript", Targets=TARGETS, Parameters={"commands": ["ls"]},
            CalendarNames=["AWS-RunShellScript"],
        )  # fmt: skip
    assert _code(error) == "InvalidDocument"
    ssm.delete_association(AssociationId=held["AssociationId"])


def test_an_automation_association_runs_its_runbook(ssm):
    target = f"/assoc-runbook/{uuid.uuid4().hex[:8]}"
    name = f"Runbook-{uuid.uuid4().hex[:8]}"
    body = {
        "schemaVersion": "0.3",
        "parameters": {"Target": {"type": "String"}},
        "mainSteps": [{"name": "write", "action": "aws:executeAwsApi",
                       "inputs": {"Service": "ssm", "Api": "PutParameter", "Name": "{{ Target }}", "Value": "ran",
                                  "Type": "String"}}],
    }  # fmt: skip
    ssm.create_document(Content=json.dumps(body), Name=name, DocumentType="Automation")
    made = ssm.create_association(Name=name, Parameters={"Target": [target]})["AssociationDescription"]
    deadline = time.time() + 30
    while time.time() < deadline:
        executions = ssm.describe_association_executions(AssociationId=made["AssociationId"])[
            "AssociationExecutions"
        ]
        if executions and executions[0]["Status"] != "InProgress":
            break
        time.sleep(0.2)
    assert executions[0]["Status"] == "Success"
    assert json.loads(executions[0]["ResourceCountByStatus"]) == {"Success": 1}
    assert ssm.get_parameter(Name=target)["Parameter"]["Value"] == "ran"
    runs = ssm.describe_automation_executions(Filters=[{"Key": "DocumentNamePrefix", "Values": [name]}])
    [run] = runs["AutomationExecutionMetadataList"]
    assert run["AssociationId"] == made["AssociationId"]
    described = ssm.describe_association(AssociationId=made["AssociationId"])["AssociationDescription"]
    assert described["Overview"]["Status"] == "Success"
    ssm.delete_association(AssociationId=made["AssociationId"])
