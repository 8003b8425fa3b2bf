"""A window's Run Command and Automation tasks go through SSM's own SendCommand and
StartAutomationExecution handlers when SSM has them (sync or async), once per target, with
the pseudo-parameters filled in; a handler's refusal fails only its invocation."""

from __future__ import annotations

import asyncio
import time

from overcast.errors import ServiceError
from overcast.store import scope

WHERE = scope("000000000000", "us-east-1")
WINDOW = {"WindowId": "mw-0123456789abcdef0", "Duration": 2, "Cutoff": 0, "AllowUnassociatedTargets": True}


def _task(ssm, task_id: str, task_type: str, arn: str, **extra) -> None:
    with ssm.store.transaction():
        ssm.window_tasks.put(
            WHERE,
            f"{WINDOW['WindowId']}/{task_id}",
            {"WindowId": WINDOW["WindowId"], "WindowTaskId": task_id, "TaskType": task_type, "TaskArn": arn,
             "Priority": 1, **extra},
        )  # fmt: skip


def _invocations(ssm, execution_id: str) -> dict[str, list[dict]]:
    run = ssm.window_runs.get(WHERE, execution_id)
    return {task["Type"]: task["Invocations"] for task in run["Tasks"]}


def test_run_command_and_automation_go_through_ssms_handlers(runtime):
    ssm = runtime.provider("ssm")
    sent: list[dict] = []

    async def send_command(context, params):
        sent.append(params)
        if params["InstanceIds"] == ["i-0bbbbbbbbbbbbbbbb"]:
            raise ServiceError("InvalidInstanceId", "not a managed node")
        return {"Command": {"CommandId": f"cmd-{len(sent)}"}}

    def start_automation_execution(context, params):
        sent.append(params)
        return {"AutomationExecutionId": "auto-1"}

    ssm.send_command = send_command
    ssm.start_automation_execution = start_automation_execution
    _task(
        ssm, "00000000-0000-0000-0000-000000000001", "RUN_COMMAND", "AWS-RunShellScript",
        Targets=[{"Key": "InstanceIds", "Values": ["i-0aaaaaaaaaaaaaaaa", "i-0bbbbbbbbbbbbbbbb"]}],
        TaskInvocationParameters={"RunCommand": {"Parameters": {"commands": ["echo {{TARGET_ID}}"]}}},
    )  # fmt: skip
    _task(
        ssm, "00000000-0000-0000-0000-000000000002", "AUTOMATION", "AWS-RestartEC2Instance",
        TaskInvocationParameters={"Automation": {"Parameters": {"Window": ["{{WINDOW_ID}}"]}}},
    )  # fmt: skip
    execution_id = asyncio.run(ssm.run_window(WHERE, {**WINDOW, "CreatedDate": time.time()}))

    by_type = _invocations(ssm, execution_id)
    commands = sorted(by_type["RUN_COMMAND"], key=lambda i: i["Status"])
    assert [i["Status"] for i in commands] == ["FAILED", "SUCCESS"]
    assert commands[0]["StatusDetails"] == "InvalidInstanceId: not a managed node"
    assert commands[1]["ExecutionId"].startswith("cmd-")
    assert by_type["AUTOMATION"][0]["ExecutionId"] == "auto-1"
    run_commands = [p for p in sent if "InstanceIds" in p]
    assert {p["Parameters"]["commands"][0] for p in run_commands} == {
        "echo i-0aaaaaaaaaaaaaaaa",
        "echo i-0bbbbbbbbbbbbbbbb",
    }
    automation = next(p for p in sent if "InstanceIds" not in p)
    assert automation == {
        "DocumentName": "AWS-RestartEC2Instance",
        "Parameters": {"Window": [WINDOW["WindowId"]]},
    }
    assert ssm.window_runs.get(WHERE, execution_id)["Status"] == "FAILED"
