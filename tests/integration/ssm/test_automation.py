"""Automation against the real server: executions run their steps on Overcast's own services
(API calls with selected outputs, branches, assertions, waits, Lambda), wait for signals,
stop, fail as AWS reports failed steps; targets, change requests and previews."""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile

import pytest
from botocore.exceptions import ClientError

RUNNING = ("Pending", "InProgress", "Waiting", "Cancelling", "RunbookInProgress", "Scheduled")


def _code(error: pytest.ExceptionInfo) -> str:
    return error.value.response["Error"]["Code"]


def _document(
    ssm, steps: list[dict], parameters: dict | None = None, outputs: list | None = None, kind="Automation"
):
    name = f"Auto-{uuid.uuid4().hex[:10]}"
    body: dict = {"schemaVersion": "0.3", "description": "test", "mainSteps": steps}
    if parameters:
        body["parameters"] = parameters
    if outputs:
        body["outputs"] = outputs
    ssm.create_document(Content=json.dumps(body), Name=name, DocumentType=kind)
    return name


def _until(
    ssm, execution_id: str, done=lambda e: e["AutomationExecutionStatus"] not in RUNNING, seconds=30.0
):
    deadline = time.time() + seconds
    while True:
        execution = ssm.get_automation_execution(AutomationExecutionId=execution_id)["AutomationExecution"]
        if done(execution) or time.time() > deadline:
            return execution
        time.sleep(0.1)


def test_api_calls_outputs_and_branches(ssm):
    source = f"/auto/{uuid.uuid4().hex[:8]}"
    ssm.put_parameter(Name=source, Value="blue", Type="String")
    name = _document(
        ssm,
        [
            {"name": "read", "action": "aws:executeAwsApi",
             "inputs": {"Service": "ssm", "Api": "GetParameter", "Name": "{{ Source }}"},
             "outputs": [{"Name": "Colour", "Selector": "$.Parameter.Value", "Type": "String"},
                         {"Name": "Version", "Selector": "$.Parameter.Version", "Type": "Integer"}]},
            {"name": "choose", "action": "aws:branch",
             "inputs": {"Choices": [{"NextStep": "copy", "Variable": "{{ read.Colour }}", "StringEquals": "blue"}],
                        "Default": "never"}},
            {"name": "never", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}, "isEnd": True},
            {"name": "copy", "action": "aws:executeAwsApi",
             "inputs": {"Service": "ssm", "Api": "PutParameter", "Name": "{{ Source }}-copy",
                        "Value": "{{ read.Colour }} from {{ global:ACCOUNT_ID }}", "Type": "String"}},
            {"name": "check", "action": "aws:assertAwsResourceProperty",
             "inputs": {"Service": "ssm", "Api": "GetParameter", "Name": "{{ Source }}-copy",
                        "PropertySelector": "$.Parameter.Value", "DesiredValues": ["blue from 000000000000"]}},
        ],
        parameters={"Source": {"type": "String"}},
        outputs=["read.Colour", "read.Version"],
    )  # fmt: skip
    execution_id = ssm.start_automation_execution(DocumentName=name, Parameters={"Source": [source]})[
        "AutomationExecutionId"
    ]
    execution = _until(ssm, execution_id)
    assert execution["AutomationExecutionStatus"] == "Success", execution.get("FailureMessage")
    assert execution["Outputs"] == {"read.Colour": ["blue"], "read.Version": ["1"]}
    assert execution["Parameters"] == {"Source": [source]}
    assert [(s["StepName"], s["StepStatus"]) for s in execution["StepExecutions"]] == [
        ("read", "Success"), ("choose", "Success"), ("copy", "Success"), ("check", "Success"),
    ]  # fmt: skip
    assert ssm.get_parameter(Name=f"{source}-copy")["Parameter"]["Value"] == "blue from 000000000000"
    steps = ssm.describe_automation_step_executions(
        AutomationExecutionId=execution_id, Filters=[{"Key": "StepName", "Values": ["read"]}]
    )["StepExecutions"]
    assert steps[0]["Outputs"] == {"Colour": ["blue"], "Version": ["1"]}
    listed = ssm.describe_automation_executions(Filters=[{"Key": "ExecutionId", "Values": [execution_id]}])
    assert listed["AutomationExecutionMetadataList"][0]["DocumentName"] == name


def test_failures_abort_continue_or_jump(ssm):
    failing = {"name": "fail", "action": "aws:executeAwsApi",
               "inputs": {"Service": "ssm", "Api": "GetParameter", "Name": "/no/such/parameter"}}  # fmt: skip
    after = {"name": "after", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}}
    aborted = ssm.start_automation_execution(DocumentName=_document(ssm, [failing, after]))[
        "AutomationExecutionId"
    ]
    execution = _until(ssm, aborted)
    assert execution["AutomationExecutionStatus"] == "Failed"
    assert "ParameterNotFound" in execution["FailureMessage"]
    assert [s["StepName"] for s in execution["StepExecutions"]] == ["fail"]
    continued = _document(ssm, [{**failing, "onFailure": "Continue"}, after])
    execution = _until(ssm, ssm.start_automation_execution(DocumentName=continued)["AutomationExecutionId"])
    assert execution["AutomationExecutionStatus"] == "Success"
    assert [s["StepStatus"] for s in execution["StepExecutions"]] == ["Failed", "Success"]
    jumped = _document(
        ssm,
        [{**failing, "onFailure": "step:recover"}, {**after, "isEnd": True}, {**after, "name": "recover"}],
    )
    execution = _until(ssm, ssm.start_automation_execution(DocumentName=jumped)["AutomationExecutionId"])
    assert [s["StepName"] for s in execution["StepExecutions"]] == ["fail", "recover"]


def test_unsupported_actions_fail_their_step(ssm):
    execution_id = ssm.start_automation_execution(
        DocumentName="AWS-RestartEC2Instance", Parameters={"InstanceId": ["i-0123456789abcdef0"]}
    )["AutomationExecutionId"]
    execution = _until(ssm, execution_id)
    assert execution["AutomationExecutionStatus"] == "Failed"
    step = execution["StepExecutions"][0]
    assert step["StepStatus"] == "Failed" and "aws:changeInstanceState" in step["FailureMessage"]


def test_pause_and_approve_wait_for_signals(ssm):
    name = _document(
        ssm,
        [
            {"name": "hold", "action": "aws:pause", "inputs": {}},
            {
                "name": "ask",
                "action": "aws:approve",
                "inputs": {"Approvers": ["me"], "MinRequiredApprovals": 1},
            },
        ],
    )
    execution_id = ssm.start_automation_execution(DocumentName=name)["AutomationExecutionId"]
    waiting = _until(ssm, execution_id, lambda e: e["AutomationExecutionStatus"] == "Waiting")
    assert waiting["AutomationExecutionStatus"] == "Waiting" and waiting["CurrentStepName"] == "hold"
    with pytest.raises(ClientError) as error:
        ssm.send_automation_signal(AutomationExecutionId=execution_id, SignalType="Approve")
    assert _code(error) == "InvalidAutomationSignalException"
    ssm.send_automation_signal(AutomationExecutionId=execution_id, SignalType="Resume")
    _until(
        ssm,
        execution_id,
        lambda e: e.get("CurrentStepName") == "ask" and e["AutomationExecutionStatus"] == "Waiting",
    )
    ssm.send_automation_signal(
        AutomationExecutionId=execution_id, SignalType="Approve", Payload={"Comment": ["looks good"]}
    )
    execution = _until(ssm, execution_id)
    assert execution["AutomationExecutionStatus"] == "Success"
    assert execution["StepExecutions"][1]["Outputs"]["ApprovalStatus"] == ["Approved"]
    rejected = ssm.start_automation_execution(DocumentName=name)["AutomationExecutionId"]
    _until(ssm, rejected, lambda e: e["AutomationExecutionStatus"] == "Waiting")
    ssm.send_automation_signal(AutomationExecutionId=rejected, SignalType="Resume")
    _until(
        ssm,
        rejected,
        lambda e: e.get("CurrentStepName") == "ask" and e["AutomationExecutionStatus"] == "Waiting",
    )
    ssm.send_automation_signal(AutomationExecutionId=rejected, SignalType="Reject")
    assert _until(ssm, rejected)["AutomationExecutionStatus"] == "Failed"


def test_stop_cancels_a_running_step(ssm):
    name = _document(ssm, [{"name": "nap", "action": "aws:sleep", "inputs": {"Duration": "PT1H"}}])
    execution_id = ssm.start_automation_execution(DocumentName=name)["AutomationExecutionId"]
    _until(ssm, execution_id, lambda e: bool(e["StepExecutions"]))
    ssm.stop_automation_execution(AutomationExecutionId=execution_id, Type="Cancel")
    execution = _until(ssm, execution_id)
    assert execution["AutomationExecutionStatus"] == "Cancelled"
    assert execution["StepExecutions"][0]["StepStatus"] == "Cancelled"
    with pytest.raises(ClientError) as error:
        ssm.stop_automation_execution(AutomationExecutionId=execution_id)
    assert _code(error) == "InvalidAutomationStatusUpdateException"


def test_step_timeout_and_wait_for_property(ssm):
    source = f"/wait/{uuid.uuid4().hex[:8]}"
    ssm.put_parameter(Name=source, Value="starting", Type="String")
    name = _document(
        ssm,
        [{"name": "wait", "action": "aws:waitForAwsResourceProperty", "timeoutSeconds": 2,
          "inputs": {"Service": "ssm", "Api": "GetParameter", "Name": source,
                     "PropertySelector": "$.Parameter.Value", "DesiredValues": ["ready"]}}],
    )  # fmt: skip
    timed_out = ssm.start_automation_execution(DocumentName=name)["AutomationExecutionId"]
    assert _until(ssm, timed_out)["AutomationExecutionStatus"] == "TimedOut"
    waiting = ssm.start_automation_execution(DocumentName=name)["AutomationExecutionId"]
    ssm.put_parameter(Name=source, Value="ready", Type="String", Overwrite=True)
    assert _until(ssm, waiting)["AutomationExecutionStatus"] == "Success"


def test_invoke_lambda_function(ssm, client):
    lam = client("lambda")
    function = f"auto-{uuid.uuid4().hex[:8]}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "handler.py", "def handler(event, context):\n    return {'doubled': event['n'] * 2}\n"
        )
    lam.create_function(
        FunctionName=function, Runtime="python3.12", Role="arn:aws:iam::000000000000:role/r",
        Handler="handler.handler", Code={"ZipFile": buffer.getvalue()},
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(
        FunctionName=function, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200}
    )
    name = _document(
        ssm,
        [{"name": "call", "action": "aws:invokeLambdaFunction",
          "inputs": {"FunctionName": function, "InputPayload": {"n": 21}}}],
        outputs=["call.Payload", "call.StatusCode"],
    )  # fmt: skip
    execution = _until(
        ssm, ssm.start_automation_execution(DocumentName=name)["AutomationExecutionId"], seconds=60
    )
    assert execution["AutomationExecutionStatus"] == "Success", execution.get("FailureMessage")
    assert json.loads(execution["Outputs"]["call.Payload"][0]) == {"doubled": 42}
    assert execution["Outputs"]["call.StatusCode"] == ["200"]


def test_targets_as_parameter_values_run_children(ssm):
    prefix = f"/targets/{uuid.uuid4().hex[:8]}"
    name = _document(
        ssm,
        [{"name": "write", "action": "aws:executeAwsApi",
          "inputs": {"Service": "ssm", "Api": "PutParameter", "Name": "{{ Target }}", "Value": "x", "Type": "String"}}],
        parameters={"Target": {"type": "String"}},
    )  # fmt: skip
    parent = ssm.start_automation_execution(
        DocumentName=name, TargetParameterName="Target", MaxConcurrency="2",
        Targets=[{"Key": "ParameterValues", "Values": [f"{prefix}/a", f"{prefix}/b", f"{prefix}/c"]}],
    )["AutomationExecutionId"]  # fmt: skip
    execution = _until(ssm, parent)
    assert execution["AutomationExecutionStatus"] == "Success"
    assert execution["ResolvedTargets"]["ParameterValues"] == [f"{prefix}/a", f"{prefix}/b", f"{prefix}/c"]
    children = ssm.describe_automation_executions(Filters=[{"Key": "ParentExecutionId", "Values": [parent]}])
    assert len(children["AutomationExecutionMetadataList"]) == 3
    assert len(ssm.get_parameters_by_path(Path=prefix)["Parameters"]) == 3


def test_start_errors_and_idempotency(ssm):
    name = _document(
        ssm,
        [{"name": "nap", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}}],
        parameters={"P": {"type": "String"}},
    )
    for kwargs, code in (
        ({"DocumentName": "No-Such-Automation"}, "AutomationDefinitionNotFoundException"),
        ({"DocumentName": name, "DocumentVersion": "9", "Parameters": {"P": ["x"]}}, "AutomationDefinitionVersionNotFoundException"),
        ({"DocumentName": name}, "InvalidAutomationExecutionParametersException"),
        ({"DocumentName": name, "Parameters": {"P": ["x"], "Q": ["y"]}}, "InvalidAutomationExecutionParametersException"),
        ({"DocumentName": "AWS-RunShellScript"}, "AutomationDefinitionNotFoundException"),
    ):  # fmt: skip
        with pytest.raises(ClientError) as error:
            ssm.start_automation_execution(**kwargs)
        assert _code(error) == code, kwargs
    token = str(uuid.uuid4())
    first = ssm.start_automation_execution(DocumentName=name, Parameters={"P": ["x"]}, ClientToken=token)
    again = ssm.start_automation_execution(DocumentName=name, Parameters={"P": ["x"]}, ClientToken=token)
    assert first["AutomationExecutionId"] == again["AutomationExecutionId"]
    with pytest.raises(ClientError) as error:
        ssm.start_automation_execution(DocumentName=name, Parameters={"P": ["other"]}, ClientToken=token)
    assert _code(error) == "IdempotentParameterMismatch"
    for call in (
        ssm.get_automation_execution,
        ssm.stop_automation_execution,
        ssm.describe_automation_step_executions,
    ):
        with pytest.raises(ClientError) as error:
            call(AutomationExecutionId=str(uuid.uuid4()))
        assert _code(error) == "AutomationExecutionNotFoundException"


def test_change_request_runs_its_runbooks_once_approved(ssm):
    runbook = _document(
        ssm,
        [{"name": "nap", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}}],
        parameters={"P": {"type": "String"}},
    )
    template = _document(
        ssm,
        [{"name": "approve", "action": "aws:approve", "inputs": {"Approvers": ["me"]}}],
        kind="Automation.ChangeTemplate",
    )
    with pytest.raises(ClientError) as error:
        ssm.start_change_request_execution(DocumentName=template, Runbooks=[{"DocumentName": runbook}])
    assert _code(error) == "AutomationDefinitionNotApprovedException"
    ssm.update_document_metadata(Name=template, DocumentReviews={"Action": "SendForReview"})
    ssm.update_document_metadata(Name=template, DocumentReviews={"Action": "Approve"})
    execution_id = ssm.start_change_request_execution(
        DocumentName=template,
        ChangeRequestName="change",
        Runbooks=[{"DocumentName": runbook, "Parameters": {"P": ["v"]}}],
    )["AutomationExecutionId"]
    _until(ssm, execution_id, lambda e: e["AutomationExecutionStatus"] == "Waiting")
    ssm.send_automation_signal(AutomationExecutionId=execution_id, SignalType="Approve")
    execution = _until(ssm, execution_id)
    assert execution["AutomationExecutionStatus"] == "Success"
    assert (execution["AutomationSubtype"], execution["ChangeRequestName"]) == ("ChangeRequest", "change")
    children = ssm.describe_automation_executions(
        Filters=[{"Key": "ParentExecutionId", "Values": [execution_id]}]
    )
    assert [c["DocumentName"] for c in children["AutomationExecutionMetadataList"]] == [runbook]


def test_execution_preview(ssm):
    name = _document(
        ssm,
        [
            {"name": "read", "action": "aws:executeAwsApi", "inputs": {"Service": "ssm", "Api": "DescribeParameters"}},
            {"name": "write", "action": "aws:executeAwsApi",
             "inputs": {"Service": "ssm", "Api": "PutParameter", "Name": "/p", "Value": "v", "Type": "String"}},
            {"name": "nap", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}},
        ],
    )  # fmt: skip
    preview_id = ssm.start_execution_preview(DocumentName=name)["ExecutionPreviewId"]
    preview = ssm.get_execution_preview(ExecutionPreviewId=preview_id)
    assert preview["Status"] == "Success"
    automation = preview["ExecutionPreview"]["Automation"]
    assert automation["StepPreviews"] == {"Mutating": 1, "NonMutating": 2}
    assert automation["Regions"] == ["us-east-1"] and automation["TotalAccounts"] == 1
    with pytest.raises(ClientError) as error:
        ssm.get_execution_preview(ExecutionPreviewId=str(uuid.uuid4()))
    assert _code(error) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as error:  # the model leaves a target's Key optional
        ssm.start_execution_preview(DocumentName=name, ExecutionInputs={"Automation": {"Targets": [{}]}})
    assert _code(error) == "ValidationException"


def test_run_command_and_nested_automation(ssm):
    child = _document(
        ssm,
        [{"name": "echo", "action": "aws:executeAwsApi", "inputs": {"Service": "ssm", "Api": "DescribeDocument",
          "Name": "{{ Doc }}"}, "outputs": [{"Name": "Kind", "Selector": "$.Document.DocumentType", "Type": "String"}]}],
        parameters={"Doc": {"type": "String"}},
        outputs=["echo.Kind"],
    )  # fmt: skip
    parent = _document(
        ssm,
        [
            {"name": "command", "action": "aws:runCommand",
             "inputs": {"DocumentName": "AWS-RunShellScript", "Targets": [{"Key": "tag:Role", "Values": ["none"]}],
                        "Parameters": {"commands": ["uptime"]}}},
            {"name": "nested", "action": "aws:executeAutomation",
             "inputs": {"DocumentName": child, "RuntimeParameters": {"Doc": "AWS-RunShellScript"}}},
        ],
        outputs=["command.CommandId", "nested.Output"],
    )  # fmt: skip
    execution = _until(
        ssm, ssm.start_automation_execution(DocumentName=parent)["AutomationExecutionId"], seconds=60
    )
    assert execution["AutomationExecutionStatus"] == "Success", execution.get("FailureMessage")
    nested = ssm.describe_automation_executions(
        Filters=[{"Key": "ParentExecutionId", "Values": [execution["AutomationExecutionId"]]}]
    )["AutomationExecutionMetadataList"]
    assert [n["DocumentName"] for n in nested] == [child]
    command_id = execution["Outputs"]["command.CommandId"][0]
    assert ssm.list_commands(CommandId=command_id)["Commands"][0]["Status"] == "Success"
    assert json.loads(execution["Outputs"]["nested.Output"][0]) == {"echo.Kind": ["Command"]}


SCRIPT = """
import boto3

def handler(events, context):
    ssm = boto3.client("ssm")
    value = ssm.get_parameter(Name=events["name"])["Parameter"]["Value"]
    print("read", value)
    return {"value": value.upper(), "count": len(value)}

def broken(events, context):
    raise ValueError("no good")
"""


def test_execute_script_runs_python_against_overcast(ssm):
    source = f"/script/{uuid.uuid4().hex[:8]}"
    ssm.put_parameter(Name=source, Value="quiet", Type="String")
    step = {"name": "script", "action": "aws:executeScript",
            "inputs": {"Runtime": "python3.11", "Handler": "handler", "Script": SCRIPT, "InputPayload": {"name": source}},
            "outputs": [{"Name": "Loud", "Selector": "$.Payload.value", "Type": "String"},
                        {"Name": "Count", "Selector": "$.Payload.count", "Type": "Integer"}]}  # fmt: skip
    name = _document(ssm, [step], outputs=["script.Loud", "script.Count"])
    execution = _until(
        ssm, ssm.start_automation_execution(DocumentName=name)["AutomationExecutionId"], seconds=60
    )
    assert execution["AutomationExecutionStatus"] == "Success", execution.get("FailureMessage")
    assert execution["Outputs"] == {"script.Loud": ["QUIET"], "script.Count": ["5"]}
    broken = _document(ssm, [{**step, "inputs": {**step["inputs"], "Handler": "broken"}, "outputs": []}])
    execution = _until(
        ssm, ssm.start_automation_execution(DocumentName=broken)["AutomationExecutionId"], seconds=60
    )
    assert execution["AutomationExecutionStatus"] == "Failed"
    assert "ValueError: no good" in execution["StepExecutions"][0]["FailureMessage"]


def test_assume_role_must_exist(ssm, client):
    name = _document(
        ssm, [{"name": "nap", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}}],
        parameters={"AutomationAssumeRole": {"type": "String", "default": ""}},
    )  # fmt: skip
    body = json.loads(ssm.get_document(Name=name)["Content"])
    ssm.update_document(Name=name, Content=json.dumps({**body, "assumeRole": "{{ AutomationAssumeRole }}"}),
                        DocumentVersion="$LATEST")  # fmt: skip
    ssm.update_document_default_version(Name=name, DocumentVersion="2")
    role = f"automation-{uuid.uuid4().hex[:8]}"
    arn = f"arn:aws:iam::000000000000:role/{role}"
    missing = ssm.start_automation_execution(DocumentName=name, Parameters={"AutomationAssumeRole": [arn]})
    execution = _until(ssm, missing["AutomationExecutionId"])
    assert execution["AutomationExecutionStatus"] == "Failed"
    assert execution["FailureMessage"] == "The defined assume role is unable to be assumed."
    trust = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},'
             '"Action":"sts:AssumeRole"}]}')  # fmt: skip
    client("iam").create_role(RoleName=role, AssumeRolePolicyDocument=trust)
    try:
        found = ssm.start_automation_execution(DocumentName=name, Parameters={"AutomationAssumeRole": [arn]})
        assert _until(ssm, found["AutomationExecutionId"])["AutomationExecutionStatus"] == "Success"
        without = ssm.start_automation_execution(DocumentName=name)
        assert _until(ssm, without["AutomationExecutionId"])["AutomationExecutionStatus"] == "Success"
    finally:
        client("iam").delete_role(RoleName=role)


def test_documents_over_the_size_limit_are_refused(ssm):
    big = {"schemaVersion": "0.3", "description": "x" * 70_000,
           "mainSteps": [{"name": "nap", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}}]}  # fmt: skip
    with pytest.raises(ClientError) as error:
        ssm.create_document(
            Content=json.dumps(big), Name=f"Big-{uuid.uuid4().hex[:8]}", DocumentType="Automation"
        )
    assert _code(error) == "MaxDocumentSizeExceeded"


def test_interactive_mode_runs_steps_when_started(ssm):
    name = _document(
        ssm,
        [{"name": "first", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}},
         {"name": "second", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}}],
    )  # fmt: skip
    execution_id = ssm.start_automation_execution(DocumentName=name, Mode="Interactive")[
        "AutomationExecutionId"
    ]
    waiting = _until(ssm, execution_id, lambda e: e["AutomationExecutionStatus"] == "Waiting")
    assert waiting["StepExecutions"] == [] and waiting["Mode"] == "Interactive"
    with pytest.raises(ClientError) as error:
        ssm.send_automation_signal(
            AutomationExecutionId=execution_id, SignalType="StartStep", Payload={"StepName": ["nope"]}
        )
    assert _code(error) == "AutomationStepNotFoundException"
    ssm.send_automation_signal(
        AutomationExecutionId=execution_id, SignalType="StartStep", Payload={"StepName": ["second"]}
    )
    execution = _until(ssm, execution_id)
    assert execution["AutomationExecutionStatus"] == "Success"
    assert [s["StepName"] for s in execution["StepExecutions"]] == ["second"]


def test_step_inputs_are_reported_json_encoded(ssm):
    name = _document(ssm, [{"name": "nap", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}}])
    execution = _until(ssm, ssm.start_automation_execution(DocumentName=name)["AutomationExecutionId"])
    assert execution["StepExecutions"][0]["Inputs"] == {"Duration": '"PT0S"'}


def test_auto_approved_change_request(ssm):
    runbook = _document(ssm, [{"name": "nap", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}}])
    template = _document(
        ssm, [{"name": "approve", "action": "aws:approve", "inputs": {"Approvers": ["me"]}}],
        kind="Automation.ChangeTemplate",
    )  # fmt: skip
    ssm.update_document_metadata(Name=template, DocumentReviews={"Action": "SendForReview"})
    ssm.update_document_metadata(Name=template, DocumentReviews={"Action": "Approve"})
    execution_id = ssm.start_change_request_execution(
        DocumentName=template, AutoApprove=True, Runbooks=[{"DocumentName": runbook}]
    )["AutomationExecutionId"]
    assert _until(ssm, execution_id)["AutomationExecutionStatus"] == "Success"


def test_parameter_store_references_in_inputs(ssm):
    source = f"/refs/{uuid.uuid4().hex[:8]}"
    ssm.put_parameter(Name=source, Value="stored", Type="String")
    name = _document(
        ssm,
        [{"name": "copy", "action": "aws:executeAwsApi",
          "inputs": {"Service": "ssm", "Api": "PutParameter", "Name": f"{source}-copy",
                     "Value": f"{{{{ ssm:{source} }}}} again", "Type": "String"}},
         {"name": "missing", "action": "aws:sleep", "inputs": {"Duration": "{{ ssm:/no/such/parameter }}"}}],
    )  # fmt: skip
    execution = _until(ssm, ssm.start_automation_execution(DocumentName=name)["AutomationExecutionId"])
    assert ssm.get_parameter(Name=f"{source}-copy")["Parameter"]["Value"] == "stored again"
    assert execution["AutomationExecutionStatus"] == "Failed"
    assert "ssm:/no/such/parameter" in execution["StepExecutions"][1]["FailureMessage"]


def test_variables_are_updated_and_read(ssm):
    name = f"Vars-{uuid.uuid4().hex[:8]}"
    body = {
        "schemaVersion": "0.3",
        "variables": {"Counter": {"type": "String", "default": "start"}},
        "mainSteps": [
            {"name": "set", "action": "aws:updateVariable", "inputs": {"Name": "variable:Counter", "Value": "next"}},
            {"name": "use", "action": "aws:branch",
             "inputs": {"Choices": [{"NextStep": "done", "Variable": "{{ variable:Counter }}", "StringEquals": "next"}],
                        "Default": "wrong"}},
            {"name": "wrong", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}, "isEnd": True},
            {"name": "done", "action": "aws:updateVariable", "inputs": {"Name": "variable:Nope", "Value": "x"}},
        ],
    }  # fmt: skip
    ssm.create_document(Content=json.dumps(body), Name=name, DocumentType="Automation")
    execution = _until(ssm, ssm.start_automation_execution(DocumentName=name)["AutomationExecutionId"])
    assert execution["Variables"] == {"Counter": ["next"]}
    assert [s["StepName"] for s in execution["StepExecutions"]] == ["set", "use", "done"]
    assert execution["AutomationExecutionStatus"] == "Failed"
    assert "variable:Nope" in execution["StepExecutions"][2]["FailureMessage"]


def test_loop_over_iterators_and_while_a_condition_holds(ssm):
    prefix = f"/loop/{uuid.uuid4().hex[:8]}"
    name = f"Loop-{uuid.uuid4().hex[:8]}"
    body = {
        "schemaVersion": "0.3",
        "variables": {"Count": {"type": "String", "default": "0"}},
        "mainSteps": [
            {"name": "each", "action": "aws:loop",
             "inputs": {"Iterators": ["a", "b", "c"],
                        "Steps": [{"name": "write", "action": "aws:executeAwsApi",
                                   "inputs": {"Service": "ssm", "Api": "PutParameter", "Type": "String",
                                              "Name": f"{prefix}/{{{{ each.CurrentIteratorValue }}}}",
                                              "Value": "n{{ each.CurrentIteration }}"}}]}},
            {"name": "until", "action": "aws:loop",
             "inputs": {"MaxIterations": 5,
                        "LoopCondition": {"Variable": "{{ variable:Count }}", "StringEquals": "0"},
                        "Steps": [{"name": "bump", "action": "aws:updateVariable",
                                   "inputs": {"Name": "variable:Count", "Value": "{{ until.CurrentIteration }}"}}]}},
        ],
    }  # fmt: skip
    ssm.create_document(Content=json.dumps(body), Name=name, DocumentType="Automation")
    execution = _until(ssm, ssm.start_automation_execution(DocumentName=name)["AutomationExecutionId"])
    assert execution["AutomationExecutionStatus"] == "Success", execution.get("FailureMessage")
    written = ssm.get_parameters_by_path(Path=prefix)["Parameters"]
    assert sorted((p["Name"].rsplit("/", 1)[1], p["Value"]) for p in written) == [
        ("a", "n1"),
        ("b", "n2"),
        ("c", "n3"),
    ]
    writes = [s for s in execution["StepExecutions"] if s["StepName"] == "write"]
    assert [w["ParentStepDetails"]["IteratorValue"] for w in writes] == ["a", "b", "c"]
    assert execution["Variables"] == {"Count": ["1"]}
    assert [s["StepName"] for s in execution["StepExecutions"]].count("bump") == 1


def test_malformed_steps_and_rate_controls_are_refused(ssm):
    for step in (
        {"name": "s", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}, "maxAttempts": "x"},
        {"name": "s", "action": "aws:sleep", "inputs": "not a map"},
        {"name": "s", "action": "aws:loop", "inputs": {"Iterators": ["a"], "Steps": []}},
    ):
        with pytest.raises(ClientError) as error:
            _document(ssm, [step])
        assert _code(error) == "InvalidDocumentContent", step
    name = _document(ssm, [{"name": "s", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}}],
                     parameters={"T": {"type": "String"}})  # fmt: skip
    for kwargs, code in (
        ({"Targets": [{"Key": "ParameterValues", "Values": []}]}, "InvalidTarget"),
        (
            {"Targets": [{"Key": "ParameterValues", "Values": ["a"]}], "MaxErrors": "many"},
            "ValidationException",
        ),
        (
            {"Targets": [{"Key": "ParameterValues", "Values": ["a"]}], "MaxConcurrency": "0"},
            "ValidationException",
        ),
    ):
        with pytest.raises(ClientError) as error:
            ssm.start_automation_execution(DocumentName=name, TargetParameterName="T", **kwargs)
        assert _code(error) == code, kwargs
    looping = _document(ssm, [{"name": "l", "action": "aws:loop", "inputs": {
        "Iterators": ["a"], "MaxIterations": "many",
        "Steps": [{"name": "n", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}}]}}])  # fmt: skip
    execution = _until(ssm, ssm.start_automation_execution(DocumentName=looping)["AutomationExecutionId"])
    assert execution["AutomationExecutionStatus"] == "Failed"
    assert "MaxIterations" in execution["StepExecutions"][0]["FailureMessage"]
