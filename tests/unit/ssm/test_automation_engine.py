"""The Automation runner on a provider without HTTP: a fault of the engine ends the execution
as Failed instead of leaving it InProgress."""

from __future__ import annotations

import asyncio
import json

from overcast.context import RequestContext
from overcast.services.ssm.automation_engine import Runner
from overcast.store import scope

ACCOUNT, REGION = "000000000000", "us-east-1"
DOCUMENT = {
    "schemaVersion": "0.3",
    "mainSteps": [{"name": "nap", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}}],
}


def _execution(ssm) -> str:
    context = RequestContext.internal("ssm", ACCOUNT, REGION)
    ssm.create_document(
        context, {"Name": "Engine", "Content": json.dumps(DOCUMENT), "DocumentType": "Automation"}
    )
    document, version = ssm.document_for_run(context, "Engine")
    record = ssm._new_execution(context, document, version, {}, {})
    with ssm.store.transaction():
        ssm.automations.put(scope(ACCOUNT, REGION), record["AutomationExecutionId"], record)
    return record["AutomationExecutionId"]


def test_steps_run_to_success(runtime):
    ssm = runtime.provider("ssm")
    execution_id = _execution(ssm)
    asyncio.run(Runner(ssm, scope(ACCOUNT, REGION), execution_id).run())
    record = ssm.automations.get(scope(ACCOUNT, REGION), execution_id)
    assert record["AutomationExecutionStatus"] == "Success"
    assert [s["StepStatus"] for s in record["StepExecutions"]] == ["Success"]


def test_an_engine_fault_fails_the_execution(runtime, monkeypatch):
    ssm = runtime.provider("ssm")
    execution_id = _execution(ssm)

    async def broken(runner, record):
        raise RuntimeError("engine bug")

    monkeypatch.setattr(type(ssm), "after_steps", broken)
    asyncio.run(Runner(ssm, scope(ACCOUNT, REGION), execution_id).run())
    record = ssm.automations.get(scope(ACCOUNT, REGION), execution_id)
    assert record["AutomationExecutionStatus"] == "Failed"
    assert record["FailureMessage"] == "The execution failed on an internal error."
