"""Durable executions driven for real: a function with a DurableConfig checkpoints a step,
waits, waits on a callback completed from outside, and succeeds; the control plane shows its
state, history, pause/resume/stop and deletion."""

from __future__ import annotations

import json
import time

import pytest

from .helpers import create, unique

# A handler speaking the durable execution protocol directly (what the durable functions SDK
# does for a function): replay from the operations it is given, checkpoint what it does.
DURABLE = """
import json
import boto3

lam = boto3.client("lambda")

def handler(event, context):
    arn, token = event["DurableExecutionArn"], event["CheckpointToken"]
    ops = {op["Id"]: op for op in event["InitialExecutionState"]["Operations"]}
    execution = next(op for op in ops.values() if op["Type"] == "EXECUTION")
    data = json.loads(execution["ExecutionDetails"]["InputPayload"])

    def checkpoint(update):
        nonlocal token
        answer = lam.checkpoint_durable_execution(DurableExecutionArn=arn, CheckpointToken=token, Updates=[update])
        token = answer["CheckpointToken"]
        return answer["NewExecutionState"]["Operations"]

    if "double" not in ops:
        ops["double"] = checkpoint(
            {"Id": "double", "Type": "STEP", "Action": "SUCCEED", "Name": "double", "Payload": json.dumps(data["n"] * 2)}
        )[0]
    if "pause" not in ops:
        checkpoint({"Id": "pause", "Type": "WAIT", "Action": "START", "WaitOptions": {"WaitSeconds": 1}})
        return {"Status": "PENDING"}
    if ops["pause"]["Status"] != "SUCCEEDED":
        return {"Status": "PENDING"}
    if "approval" not in ops:
        checkpoint({"Id": "approval", "Type": "CALLBACK", "Action": "START", "CallbackOptions": {"TimeoutSeconds": 60}})
        return {"Status": "PENDING"}
    if ops["approval"]["Status"] != "SUCCEEDED":
        return {"Status": "PENDING"}
    result = {"doubled": json.loads(ops["double"]["StepDetails"]["Result"]), "approval": ops["approval"]["CallbackDetails"]["Result"]}
    return {"Status": "SUCCEEDED", "Result": json.dumps(result)}
"""


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def history(lam, arn) -> list[dict]:
    return lam.get_durable_execution_history(DurableExecutionArn=arn)["Events"]


def test_a_durable_execution_runs_to_its_end(client):
    lam = client("lambda")
    name = create(
        lam, DURABLE, Timeout=30, DurableConfig={"ExecutionTimeout": 300, "RetentionPeriodInDays": 1}
    )
    answer = lam.invoke(
        FunctionName=name,
        InvocationType="Event",
        Payload=json.dumps({"n": 21}),
        DurableExecutionName="order-1",
    )
    assert answer["StatusCode"] == 202
    arn = answer["DurableExecutionArn"]
    assert f":function:{name}:$LATEST/durable-execution/order-1/" in arn
    started = wait_for(
        lambda: [e for e in history(lam, arn) if e["EventType"] == "CallbackStarted"], timeout=60
    )
    callback = started[0]["CallbackStartedDetails"]["CallbackId"]
    running = lam.get_durable_execution(DurableExecutionArn=arn)
    assert running["Status"] == "RUNNING" and running["DurableExecutionName"] == "order-1"
    assert json.loads(running["InputPayload"]) == {"n": 21}
    listed = lam.list_durable_executions_by_function(FunctionName=name, Statuses=["RUNNING"])
    assert [e["DurableExecutionArn"] for e in listed["DurableExecutions"]] == [arn]
    lam.send_durable_execution_callback_success(CallbackId=callback, Result=b'"approved"')
    done = wait_for(
        lambda: (got := lam.get_durable_execution(DurableExecutionArn=arn))["Status"] == "SUCCEEDED" and got,
        timeout=60,
    )
    assert json.loads(done["Result"]) == {"doubled": 42, "approval": '"approved"'}
    types = [e["EventType"] for e in history(lam, arn)]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded"
    for expected in ("StepSucceeded", "WaitStarted", "WaitSucceeded", "CallbackStarted", "CallbackSucceeded"):
        assert expected in types
    with pytest.raises(lam.exceptions.CallbackTimeoutException):
        lam.send_durable_execution_callback_success(CallbackId=callback, Result=b"again")
    lam.delete_durable_execution(DurableExecutionArn=arn)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_durable_execution(DurableExecutionArn=arn)


def test_pause_resume_and_stop(client):
    lam = client("lambda")
    name = create(lam, DURABLE, Timeout=30, DurableConfig={"ExecutionTimeout": 300})
    arn = lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"n": 1}))[
        "DurableExecutionArn"
    ]
    # Waiting on its callback, with the invocation that started the wait over (else that
    # invocation's completion may be recorded after the stop below).
    wait_for(
        lambda: {"CallbackStarted", "InvocationCompleted"} <= {e["EventType"] for e in history(lam, arn)},
        timeout=60,
    )
    lam.pause_durable_execution(DurableExecutionArn=arn, Reason="maintenance")
    paused = lam.get_durable_execution(DurableExecutionArn=arn)
    assert paused["Status"] == "PAUSED" and paused["PauseDetails"]["Reason"] == "maintenance"
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.delete_durable_execution(DurableExecutionArn=arn)
    lam.resume_durable_execution(DurableExecutionArn=arn)
    assert lam.get_durable_execution(DurableExecutionArn=arn)["Status"] == "RUNNING"
    stopped = lam.stop_durable_execution(DurableExecutionArn=arn)
    assert stopped["StopTimestamp"]
    assert lam.get_durable_execution(DurableExecutionArn=arn)["Status"] == "STOPPED"
    assert history(lam, arn)[-1]["EventType"] == "ExecutionStopped"


def test_a_callback_completed_while_paused_runs_on_when_resumed(client):
    lam = client("lambda")
    name = create(lam, DURABLE, Timeout=30, DurableConfig={"ExecutionTimeout": 300})
    arn = lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"n": 2}))[
        "DurableExecutionArn"
    ]
    started = wait_for(
        lambda: (
            {"CallbackStarted", "InvocationCompleted"} <= {e["EventType"] for e in history(lam, arn)}
            and [e for e in history(lam, arn) if e["EventType"] == "CallbackStarted"]
        ),
        timeout=60,
    )
    lam.pause_durable_execution(DurableExecutionArn=arn)
    invocations = sum(e["EventType"] == "InvocationCompleted" for e in history(lam, arn))
    callback = started[0]["CallbackStartedDetails"]["CallbackId"]
    lam.send_durable_execution_callback_success(CallbackId=callback, Result=b'"late"')
    time.sleep(1)
    assert lam.get_durable_execution(DurableExecutionArn=arn)["Status"] == "PAUSED"
    assert sum(e["EventType"] == "InvocationCompleted" for e in history(lam, arn)) == invocations
    lam.resume_durable_execution(DurableExecutionArn=arn)
    done = wait_for(
        lambda: (got := lam.get_durable_execution(DurableExecutionArn=arn))["Status"] == "SUCCEEDED" and got,
        timeout=60,
    )
    assert json.loads(done["Result"]) == {"doubled": 4, "approval": '"late"'}


def test_executions_that_do_not_exist(client):
    lam = client("lambda")
    name = create(lam, DURABLE, DurableConfig={"ExecutionTimeout": 60})
    missing = (
        f"arn:aws:lambda:us-east-1:000000000000:function:{name}:$LATEST/durable-execution/x/{unique('id')}"
    )
    for call in (
        lambda: lam.get_durable_execution(DurableExecutionArn=missing),
        lambda: lam.get_durable_execution_history(DurableExecutionArn=missing),
        lambda: lam.stop_durable_execution(DurableExecutionArn=missing),
        lambda: lam.pause_durable_execution(DurableExecutionArn=missing),
        lambda: lam.resume_durable_execution(DurableExecutionArn=missing),
        lambda: lam.delete_durable_execution(DurableExecutionArn=missing),
        lambda: lam.send_durable_execution_callback_success(CallbackId="nope", Result=b"1"),
    ):
        with pytest.raises(lam.exceptions.ResourceNotFoundException):
            call()
    assert lam.list_durable_executions_by_function(FunctionName=name)["DurableExecutions"] == []
