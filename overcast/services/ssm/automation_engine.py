"""The Automation runner: an execution's steps run one after another in the background, each
recorded as a StepExecution. A step's inputs have their `{{ }}` references written in; its
outputs are selected from what its action answered; onFailure (Abort, Continue, step:NAME),
nextStep, isEnd, maxAttempts and timeoutSeconds steer what runs next. aws:pause and
aws:approve wait for SendAutomationSignal; StopAutomationExecution cancels. Every change is
stored, and an execution a restart interrupted resumes at the step it had reached."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ssm import automation_actions as actions
from overcast.services.ssm import templating

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

TERMINAL = frozenset(
    {"Success", "Failed", "TimedOut", "Cancelled", "Rejected", "CompletedWithSuccess", "CompletedWithFailure"}
)


log = logging.getLogger(__name__)
#: Step statuses of a step that has not ended.
_OPEN = frozenset({"InProgress", "Waiting", "Pending"})


class Signals:
    """Wake-ups for executions waiting on a signal or a stop (in memory: what waits is the
    coroutine of this process; the signal itself is stored with the execution)."""

    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}

    def event(self, execution_id: str) -> asyncio.Event:
        return self._events.setdefault(execution_id, asyncio.Event())

    def wake(self, execution_id: str) -> None:
        event = self._events.get(execution_id)
        if event is not None:
            event.set()

    def forget(self, execution_id: str) -> None:
        self._events.pop(execution_id, None)


def lookup_for(record: dict, provider: Provider) -> Any:
    values = record["values"]
    outputs = record["stepOutputs"]

    def lookup(name: str) -> Any:
        if name in values:
            return values[name]
        if name.startswith("ssm:"):
            # A Parameter Store parameter, read as the execution's account reads it.
            context = RequestContext.internal("ssm", record["account"], record["region"])
            try:
                return provider.get_parameter(context, {"Name": name[4:]})["Parameter"]["Value"]
            except ServiceError:
                return templating.missing()
        if name.startswith("global:"):
            return {
                "global:ACCOUNT_ID": record["account"],
                "global:REGION": record["region"],
                "global:DATE": time.strftime("%Y-%m-%d", time.gmtime()),
                "global:DATE_TIME": time.strftime("%m-%d-%Y_%H.%M.%S", time.gmtime()),
                "global:AWS_PARTITION": "aws",
            }.get(name, templating.missing())
        if name.startswith("variable:") and name[9:] in (record.get("Variables") or {}):
            value = record["Variables"][name[9:]]
            return value[0] if len(value) == 1 else value
        if name in ("automation:EXECUTION_ID", "automation:AUTOMATION_EXECUTION_ID"):
            return record["AutomationExecutionId"]
        step, _, output = name.partition(".")
        if output and step in outputs and output in outputs[step]:
            return outputs[step][output]
        return templating.missing()

    return lookup


def _step_index(steps: list[dict], name: str) -> int | None:
    return next((i for i, step in enumerate(steps) if step.get("name") == name), None)


class Runner:
    """Runs one execution to its end."""

    def __init__(self, provider: Provider, where: str, execution_id: str) -> None:
        self.provider = provider
        self.where = where
        self.execution_id = execution_id

    # -- records -----------------------------------------------------------------------------

    def load(self) -> dict | None:
        return self.provider.automations.get(self.where, self.execution_id)

    def save(self, record: dict) -> None:
        with self.provider.store.transaction():
            self.provider.automations.put(self.where, self.execution_id, record)

    def finish(self, record: dict, status: str, failure: str | None = None) -> None:
        record["AutomationExecutionStatus"] = status
        record["ExecutionEndTime"] = time.time()
        record.pop("CurrentStepName", None)
        record.pop("CurrentAction", None)
        if failure:
            record["FailureMessage"] = failure
        outputs: dict[str, list[str]] = {}
        for reference in record.get("declaredOutputs") or []:
            step, _, name = reference.partition(".")
            value = record["stepOutputs"].get(step, {}).get(name)
            outputs[reference] = (
                templating.output_strings(value)
                if value is not None
                else ["No output available yet because the step is not successfully executed"]
            )
        record["Outputs"] = outputs
        self.save(record)
        self.provider.automation_signals.forget(self.execution_id)
        self.provider.automation_finished(self.where, record)

    # -- the loop ----------------------------------------------------------------------------

    async def run(self) -> None:
        try:
            await self._run()
        except Exception:
            # A fault of the engine itself ends the execution visibly rather than leaving it
            # InProgress forever.
            log.exception("automation execution %s failed", self.execution_id)
            record = self.load()
            if record is not None and record["AutomationExecutionStatus"] not in TERMINAL:
                self._cancel_open_steps(record)
                self.finish(record, "Failed", "The execution failed on an internal error.")

    async def _run(self) -> None:
        record = self.load()
        if record is None:
            return
        scheduled = record.get("ScheduledTime")
        if scheduled and scheduled > time.time() and record["AutomationExecutionStatus"] == "Scheduled":
            if not await self._wait(record, scheduled - time.time(), until_signal=False):
                return
            record = self.load()
            if record is None:
                return
        if record["AutomationExecutionStatus"] in ("Pending", "Scheduled"):
            if isinstance(record.get("assumeRole"), str) and "{{" in record["assumeRole"]:
                try:
                    record["assumeRole"] = templating.substitute(
                        record["assumeRole"], lookup_for(record, self.provider)
                    )
                except templating.Unresolved:
                    record["assumeRole"] = ""
            problem = self.provider.assume_role_problem(record)
            if problem is not None:
                self.finish(record, "Failed", problem)
                return
            record["AutomationExecutionStatus"] = "InProgress"
            self.save(record)
        while True:
            record = self.load()
            if record is None or record["AutomationExecutionStatus"] in TERMINAL:
                return
            if record["AutomationExecutionStatus"] == "Cancelling":
                self._cancel_open_steps(record)
                self.finish(record, "Cancelled")
                return
            steps = record["mainSteps"]
            position = record["position"]
            if position is None or position >= len(steps):
                await self.provider.after_steps(self, record)
                return
            if record.get("Mode") == "Interactive" and not record.get("granted"):
                # Interactive mode: each step runs when a StartStep signal names it.
                if not await self._await_start(record):
                    return
                continue
            await self._run_step(record, steps[position])

    async def _await_start(self, record: dict) -> bool:
        """Wait for StartStep; False when the execution is gone."""
        record.update(AutomationExecutionStatus="Waiting", awaitingStart=True, pendingSignals=[])
        self.save(record)
        event = self.provider.automation_signals.event(self.execution_id)
        while True:
            event.clear()
            current = self.load()
            if current is None:
                return False
            if current["AutomationExecutionStatus"] == "Cancelling":
                return True
            for signal in current.get("pendingSignals") or []:
                target = _step_index(current["mainSteps"], signal.get("StepName", ""))
                if signal["SignalType"] == "StartStep" and target is not None:
                    current.update(
                        position=target, granted=True, awaitingStart=False, pendingSignals=[],
                        AutomationExecutionStatus="InProgress",
                    )  # fmt: skip
                    self.save(current)
                    return True
            await event.wait()

    async def _run_step(self, record: dict, step: dict) -> None:
        execution_id = self._start_step(record, step, None)
        status, failure, run = await self._attempts(record, step, execution_id)
        latest = self._finish_step(execution_id, step, status, failure, run)
        if latest is None:
            return
        latest.pop("granted", None)
        self._advance(latest, step, latest["lastStatus"], failure, run)
        self.save(latest)

    def _start_step(self, record: dict, step: dict, parent: dict | None) -> str:
        """Record the step's execution as started (a step a restart interrupted goes on as
        the same step execution); returns its id."""
        name, action = step.get("name", ""), step.get("action", "")
        execution: dict[str, Any] = {
            "StepName": name,
            "Action": action,
            "StepExecutionId": str(uuid.uuid4()),
            "ExecutionStartTime": time.time(),
            "StepStatus": "InProgress",
            "OnFailure": step.get("onFailure", "Abort"),
            "MaxAttempts": int(step.get("maxAttempts", 1)),
            "IsEnd": bool(step.get("isEnd", False)),
            "IsCritical": bool(step.get("isCritical", True)),
        }
        if "timeoutSeconds" in step:
            execution["TimeoutSeconds"] = int(step["timeoutSeconds"])
        if step.get("nextStep"):
            execution["NextStep"] = step["nextStep"]
        if parent is not None:
            execution["ParentStepDetails"] = parent
        previous = record["StepExecutions"][-1] if record["StepExecutions"] else None
        if (
            parent is None
            and previous is not None
            and previous["StepName"] == name
            and previous["StepStatus"] in _OPEN
        ):
            # A restart interrupted this step: it runs again as the same step execution, and
            # a signal sent meanwhile is kept for it.
            record["StepExecutions"].pop()
            execution["StepExecutionId"] = previous["StepExecutionId"]
            execution["ExecutionStartTime"] = previous["ExecutionStartTime"]
        else:
            record["pendingSignals"] = []
        record["StepExecutions"].append(execution)
        record["CurrentStepName"], record["CurrentAction"] = name, action
        self.save(record)
        return execution["StepExecutionId"]

    def _finish_step(
        self, execution_id: str, step: dict, status: str, failure: str | None, run: actions.StepRun | None
    ) -> dict | None:
        """Record how the step ended and its outputs; returns the saved record (with the
        final status as `lastStatus`: a cancellation overrides the step's own)."""
        record = self.load()
        if record is None:
            return None
        execution = next(e for e in record["StepExecutions"] if e["StepExecutionId"] == execution_id)
        if record["AutomationExecutionStatus"] == "Cancelling" and status != "Success":
            status, failure = "Cancelled", None
        execution["StepStatus"] = status
        execution["ExecutionEndTime"] = time.time()
        if run is not None:
            # AWS reports each input JSON-encoded ("\"stopped\"", "[\"i-1\"]").
            execution["Inputs"] = {key: json.dumps(value, default=str) for key, value in run.inputs.items()}
        if failure:
            execution["FailureMessage"] = failure
            execution["FailureDetails"] = {
                "FailureStage": "Invocation",
                "FailureType": "Execution",
                "Details": {},
            }
        if run is not None and status == "Success":
            outputs = self._outputs(step, run)
            record["stepOutputs"][step.get("name", "")] = outputs
            if outputs:
                execution["Outputs"] = {k: templating.output_strings(v) for k, v in outputs.items()}
        record["lastStatus"] = status
        self.save(record)
        return record

    async def _loop(self, step: dict, run: actions.StepRun) -> tuple[str, str | None]:
        """aws:loop: the nested Steps once per iterator value (or while LoopCondition holds),
        at most MaxIterations times; {{ loop.CurrentIteratorValue }} is the value."""
        name = step.get("name", "")
        values = run.inputs.get("Iterators")
        if isinstance(values, str):
            values = [values]
        condition = (step.get("inputs") or {}).get("LoopCondition")
        if values is None and condition is None:
            return "Failed", "aws:loop needs Iterators or a LoopCondition."
        if values is not None and not isinstance(values, list):
            return "Failed", "Iterators must be a list of values."
        try:
            limit = int(run.inputs.get("MaxIterations", 100))
        except (TypeError, ValueError):
            return "Failed", f"MaxIterations {run.inputs.get('MaxIterations')} is not a number."
        nested = (step.get("inputs") or {}).get("Steps") or []
        loop_execution = (self.load() or {}).get("StepExecutions", [{}])[-1].get("StepExecutionId", "")
        iteration = 0
        while iteration < limit and (values is None or iteration < len(values)):
            value = values[iteration] if values is not None else None
            iteration += 1
            record = self.load()
            if record is None:
                return "Cancelled", None
            current = {"CurrentIteration": iteration}
            if value is not None:
                current["CurrentIteratorValue"] = value
            record["stepOutputs"][name] = current
            self.save(record)
            run.outputs.update(current)
            parent = {"StepExecutionId": loop_execution, "StepName": name, "Action": "aws:loop",
                      "Iteration": iteration}  # fmt: skip
            if value is not None:
                parent["IteratorValue"] = templating.output_strings(value)[0]
            status, failure = await self._run_nested(nested, parent)
            if status != "Success":
                return status, failure
            if condition is not None and values is None:
                latest = self.load() or record
                try:
                    holds = actions.choice_holds(
                        templating.substitute(condition, lookup_for(latest, self.provider))
                    )
                except (templating.Unresolved, actions.StepFailed):
                    return "Failed", "The LoopCondition can't be evaluated."
                if not holds:
                    break
        return "Success", None

    async def _run_nested(self, steps: list[dict], parent: dict) -> tuple[str, str | None]:
        """One iteration of a loop's steps, with their own onFailure/nextStep/isEnd."""
        index = 0
        while 0 <= index < len(steps):
            record = self.load()
            if record is None or record["AutomationExecutionStatus"] == "Cancelling":
                return "Cancelled", None
            step = steps[index]
            execution_id = self._start_step(record, step, parent)
            status, failure, run = await self._attempts(record, step, execution_id)
            latest = self._finish_step(execution_id, step, status, failure, run)
            if latest is None:
                return "Cancelled", None
            status = latest["lastStatus"]
            if status == "Cancelled":
                return status, None
            on_failure = step.get("onFailure", "Abort")
            if status != "Success" and on_failure != "Continue":
                if isinstance(on_failure, str) and on_failure.startswith("step:"):
                    target = _step_index(steps, on_failure[5:])
                    index = target if target is not None else len(steps)
                    continue
                return status, f"Step {step.get('name')} failed: {failure}"
            chosen = run.next_step if run is not None and status == "Success" else None
            if chosen:
                target = _step_index(steps, chosen)
                index = target if target is not None else len(steps)
            elif step.get("isEnd"):
                break
            elif step.get("nextStep"):
                target = _step_index(steps, step["nextStep"])
                index = target if target is not None else len(steps)
            else:
                index += 1
        return "Success", None

    async def _attempts(
        self, record: dict, step: dict, execution_id: str
    ) -> tuple[str, str | None, actions.StepRun | None]:
        attempts = max(1, int(step.get("maxAttempts", 1)))
        status, failure, run = "Failed", None, None
        for _ in range(attempts):
            status, failure, run = await self._attempt(record, step)
            if status in ("Success", "Cancelled"):
                break
        return status, failure, run

    async def _attempt(self, record: dict, step: dict) -> tuple[str, str | None, actions.StepRun | None]:
        action = step.get("action", "")
        given = step.get("inputs") or {}
        if action == "aws:loop":
            # The nested steps' references are resolved per iteration, when each runs.
            given = {key: value for key, value in given.items() if key not in ("Steps", "LoopCondition")}
        try:
            inputs = templating.substitute(given, lookup_for(record, self.provider))
        except templating.Unresolved as missing:
            return (
                "Failed",
                f"The reference {{{{ {missing} }}}} in the step's inputs can't be resolved.",
                None,
            )
        # API calls are made as the assumed role when the document names one, else as the caller.
        principal = record.get("assumeRole") or record["ExecutedBy"]
        run = actions.StepRun(
            self.provider, self.execution_id, record["account"], record["region"], principal, step, inputs
        )
        if action in actions.WAITING:
            status, failure = await self._wait_signal(record, step, run)
            return status, failure, run
        if action == "aws:updateVariable":
            return (*self._update_variable(run), run)
        if action == "aws:loop":
            return (*await self._loop(step, run), run)
        perform = actions.ACTIONS.get(action)
        if perform is None:
            return (
                "Failed",
                f"The action {action} is not supported by Overcast's Automation engine; the step was not run.",
                run,
            )
        timeout = step.get("timeoutSeconds")
        try:
            if timeout:
                await asyncio.wait_for(self._cancellable(perform(run)), float(timeout))
            else:
                await self._cancellable(perform(run))
        except TimeoutError:
            return "TimedOut", f"Step timed out after {timeout} seconds.", run
        except actions.StepFailed as failed:
            return "Failed", str(failed), run
        except _Cancelled:
            return "Cancelled", None, run
        return "Success", None, run

    async def _cancellable(self, work: Any) -> None:
        """Run `work`, ending it early when the execution is cancelled."""
        task = asyncio.ensure_future(work)
        event = self.provider.automation_signals.event(self.execution_id)
        while not task.done():
            event.clear()
            waiter = asyncio.ensure_future(event.wait())
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            record = self.load()
            if not task.done() and (record is None or record["AutomationExecutionStatus"] == "Cancelling"):
                task.cancel()
                raise _Cancelled()
        task.result()

    async def _wait(self, record: dict, seconds: float, until_signal: bool = True) -> bool:
        """Sleep up to `seconds`, waking for signals; False when the execution was stopped."""
        deadline = time.time() + seconds
        event = self.provider.automation_signals.event(self.execution_id)
        while time.time() < deadline:
            event.clear()
            try:
                await asyncio.wait_for(event.wait(), max(0.0, deadline - time.time()))
            except TimeoutError:
                pass
            current = self.load()
            if current is None or current["AutomationExecutionStatus"] == "Cancelling":
                if current is not None:
                    self.finish(current, "Cancelled")
                return False
        return True

    async def _wait_signal(self, record: dict, step: dict, run: actions.StepRun) -> tuple[str, str | None]:
        """aws:pause (until Resume) and aws:approve (until enough Approve, or a Reject)."""
        approve = step.get("action") == "aws:approve"
        needed = int(run.inputs.get("MinRequiredApprovals", 1)) if approve else 0
        if approve and record.get("autoApprove"):
            run.outputs.update(ApprovalStatus="Approved", ApproverDecisions=[])
            return "Success", None
        record = self.load() or record
        record["AutomationExecutionStatus"] = "Waiting"
        record["StepExecutions"][-1]["StepStatus"] = "Waiting" if not approve else "Pending"
        self.save(record)
        event = self.provider.automation_signals.event(self.execution_id)
        timeout = step.get("timeoutSeconds")
        deadline = time.time() + float(timeout) if timeout else None
        approvals: list[dict] = []
        while True:
            event.clear()
            latest = self.load()
            if latest is None:
                return "Cancelled", None
            record = latest
            if record["AutomationExecutionStatus"] == "Cancelling":
                return "Cancelled", None
            for signal in record.get("pendingSignals") or []:
                kind = signal["SignalType"]
                if kind == "Resume" and not approve:
                    return self._resumed(record, "Success", None)
                if kind == "Reject" and approve:
                    run.outputs.update(ApprovalStatus="Rejected", ApproverDecisions=[*approvals, signal])
                    return self._resumed(record, "Failed", "The request was rejected.")
                if kind == "Approve" and approve:
                    approvals.append(signal)
            record["pendingSignals"] = []
            self.save(record)
            if approve and len(approvals) >= needed:
                run.outputs.update(ApprovalStatus="Approved", ApproverDecisions=approvals)
                return self._resumed(record, "Success", None)
            remaining = None if deadline is None else deadline - time.time()
            if remaining is not None and remaining <= 0:
                return self._resumed(record, "TimedOut", f"Step timed out after {timeout} seconds.")
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                pass

    def _update_variable(self, run: actions.StepRun) -> tuple[str, str | None]:
        """aws:updateVariable: set one of the document's variables (`variable:NAME`)."""
        target, value = run.inputs.get("Name"), run.inputs.get("Value")
        record = self.load()
        if record is None:
            return "Cancelled", None
        variables = record.get("Variables") or {}
        if not isinstance(target, str) or not target.startswith("variable:") or target[9:] not in variables:
            return (
                "Failed",
                f"{target} is not a variable of the document (variables are named variable:NAME).",
            )
        variables[target[9:]] = templating.output_strings(value if value is not None else "")
        record["Variables"] = variables
        self.save(record)
        return "Success", None

    def _resumed(self, record: dict, status: str, failure: str | None) -> tuple[str, str | None]:
        record["AutomationExecutionStatus"] = "InProgress"
        record["pendingSignals"] = []
        self.save(record)
        return status, failure

    @staticmethod
    def _outputs(step: dict, run: actions.StepRun) -> dict[str, Any]:
        outputs = dict(run.outputs)
        for declared in step.get("outputs") or []:
            name, selector, kind = (
                declared.get("Name"),
                declared.get("Selector"),
                declared.get("Type", "String"),
            )
            if not name or not selector:
                continue
            try:
                outputs[name] = templating.typed_output(templating.select(run.response, selector), kind)
            except (ValueError, TypeError):
                continue
        return outputs

    def _advance(
        self, record: dict, step: dict, status: str, failure: str | None, run: actions.StepRun | None
    ) -> None:
        steps = record["mainSteps"]
        position = record["position"]
        counters = record["ProgressCounters"]
        counter = {
            "Success": "SuccessSteps",
            "Failed": "FailedSteps",
            "Cancelled": "CancelledSteps",
            "TimedOut": "TimedOutSteps",
        }
        counters[counter.get(status, "FailedSteps")] = counters.get(counter.get(status, "FailedSteps"), 0) + 1
        if status == "Cancelled":
            record["position"] = len(steps)
            record["AutomationExecutionStatus"] = "Cancelling"
            return
        if status != "Success":
            on_failure = step.get("onFailure", "Abort")
            if on_failure == "Continue":
                status = "Success"
            elif isinstance(on_failure, str) and on_failure.startswith("step:"):
                target = _step_index(steps, on_failure[5:])
                record["position"] = target if target is not None else len(steps)
                return
            else:
                record["position"] = None
                self.finish(
                    record,
                    "TimedOut" if status == "TimedOut" else "Failed",
                    f"Step {step.get('name')} failed: {failure}",
                )
                return
        if run is not None and run.next_step:
            target = _step_index(steps, run.next_step)
            record["position"] = target if target is not None else len(steps)
        elif step.get("isEnd"):
            record["position"] = len(steps)
        elif step.get("nextStep"):
            target = _step_index(steps, step["nextStep"])
            record["position"] = target if target is not None else len(steps)
        else:
            record["position"] = position + 1

    def _cancel_open_steps(self, record: dict) -> None:
        for execution in record["StepExecutions"]:
            if execution["StepStatus"] in ("InProgress", "Pending", "Waiting"):
                execution["StepStatus"] = "Cancelled"
                execution["ExecutionEndTime"] = time.time()


class _Cancelled(Exception):
    pass
