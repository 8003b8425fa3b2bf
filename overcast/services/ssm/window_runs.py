"""Maintenance windows that run: each enabled window has a timer that sleeps until its next
scheduled time, then runs the window's tasks in Priority order and records the execution,
its task executions and their invocations (Describe/GetMaintenanceWindowExecution(s),
...ExecutionTask(s), ...TaskInvocation(s), CancelMaintenanceWindowExecution).

A LAMBDA task invokes its function through Lambda's provider, once per resolved target (once
when it has none), with the pseudo-parameters ({{WINDOW_ID}}, {{TARGET_ID}}, ...) substituted
in its payload. RUN_COMMAND and AUTOMATION tasks go through SSM's own SendCommand and
StartAutomationExecution where Overcast has them; where it has not, or where no managed node
exists to run on, the invocation records the failure AWS gives in that case. Overcast has no
Step Functions yet, so a STEP_FUNCTIONS task records AWS's StateMachineDoesNotExist.

OVERCAST_SSM_WINDOW_HOUR_SECONDS is the length of an hour for a timer's wait: the schedule's
times are the real calendar's, and the wait for the next one is scaled, so tests see a window
due in a minute run in a fraction of a second."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast import config
from overcast.common.arns import parse_arn
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ssm import records
from overcast.services.ssm.window_tasks import INVOCATION_MEMBER

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

log = logging.getLogger(__name__)

_STATUS_FILTER = ("Status",)
_RUN_FIELDS = ("WindowId", "WindowExecutionId", "Status", "StatusDetails", "StartTime", "EndTime")
_TASK_FIELDS = (
    "TaskExecutionId", "TaskArn", "ServiceRole", "Type", "TaskParameters", "Priority", "MaxConcurrency", "MaxErrors",
    "Status", "StatusDetails", "StartTime", "EndTime", "AlarmConfiguration", "TriggeredAlarms",
)  # fmt: skip
_INVOCATION_FIELDS = (
    "WindowExecutionId", "TaskExecutionId", "InvocationId", "ExecutionId", "TaskType", "Parameters",
    "Status", "StatusDetails", "StartTime", "EndTime", "OwnerInformation", "WindowTargetId",
)  # fmt: skip
_PSEUDO = re.compile(r"\{\{\s*([A-Z_]+)\s*\}\}")
_FINISHED = frozenset({"SUCCESS", "FAILED", "TIMED_OUT", "CANCELLED", "SKIPPED_OVERLAPPING"})
FAILED_TASKS = "One or more tasks in the orchestration failed."
HISTORY_SECONDS = 30 * 86400
INTERRUPTED = "Overcast stopped while the execution was running."
CUTOFF = "The maintenance window reached its cutoff before the task started."


def _hour_seconds() -> float:
    return config.tuning("OVERCAST_SSM_WINDOW_HOUR_SECONDS")


def _run_missing(execution_id: str) -> ServiceError:
    return records.does_not_exist(f"Maintenance window execution {execution_id} does not exist")


def _pick(record: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {field: record[field] for field in fields if record.get(field) is not None}


def substitute(value: Any, values: dict[str, str]) -> Any:
    """`value` with the pseudo-parameters it names replaced (text, lists and maps of text)."""
    if isinstance(value, str):
        return _PSEUDO.sub(lambda m: values.get(m.group(1), m.group(0)), value)
    if isinstance(value, bytes):
        return substitute(value.decode("utf-8", "replace"), values).encode()
    if isinstance(value, list):
        return [substitute(item, values) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, values) for key, item in value.items()}
    return value


class WindowRunMixin:
    # -- the timers --------------------------------------------------------------------------

    def _resume_windows(self: Provider) -> None:  # type: ignore[misc]
        self._end_interrupted_runs()
        for where in self.windows.scopes():
            for _, record in self.windows.scan(where):
                self._plan_window(where, record)

    def _plan_window(self: Provider, where: str, record: dict[str, Any]) -> None:  # type: ignore[misc]
        self._wake_window(where, record["WindowId"])
        if record.get("Enabled"):
            self.runtime.spawn(
                self._window_timer(where, record["WindowId"], record.get("Revision", 0)),
                f"ssm-window-{record['WindowId']}",
            )

    def _wake_window(self: Provider, where: str, window_id: str) -> None:  # type: ignore[misc]
        """Wake the window's sleeping timer, so that a changed or deleted window's old timer
        ends now instead of at its next due time. Called from handler threads."""
        waker = self.window_wakers.pop(f"{where}/{window_id}", None)
        loop = self.runtime.loop
        if waker is not None and loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(waker.set)

    def _current(self: Provider, where: str, window_id: str, revision: int) -> dict[str, Any] | None:  # type: ignore[misc]
        """The window, while the timer for `revision` is still the one that should run it."""
        record = self.windows.get(where, window_id)
        if record is None or record.get("Revision", 0) != revision or not record.get("Enabled"):
            return None
        return record

    async def _window_timer(self: Provider, where: str, window_id: str, revision: int) -> None:  # type: ignore[misc]
        while True:
            record = self._current(where, window_id, revision)
            if record is None:
                return
            upcoming = self._next_run(record)
            if upcoming is None:
                return
            due, match = upcoming
            wait = (due.timestamp() - time.time()) * _hour_seconds() / 3600
            waker = asyncio.Event()
            self.window_wakers[f"{where}/{window_id}"] = waker
            try:
                await asyncio.wait_for(waker.wait(), max(0.0, wait))
                continue  # Woken: the window changed; the loop's first check decides.
            except TimeoutError:
                pass
            with self.store.transaction():
                record = self._current(where, window_id, revision)
                if record is None:
                    return
                # The match, not the run time: with an offset the next match comes before it.
                record["LastScheduled"] = match.timestamp()
                self.windows.put(where, window_id, record)
            if window_id in self.running_windows:
                # The previous run has not ended: AWS skips this one and records that it did.
                self._record_skipped(where, window_id)
                continue
            self.running_windows.add(window_id)
            self.runtime.spawn(self._run_and_release(where, record), f"ssm-window-run-{window_id}")

    async def _run_and_release(self: Provider, where: str, window: dict[str, Any]) -> None:  # type: ignore[misc]
        try:
            await self.run_window(where, window)
        except Exception:
            log.exception("maintenance window %s failed to run", window["WindowId"])
        finally:
            self.running_windows.discard(window["WindowId"])

    def _record_skipped(self: Provider, where: str, window_id: str) -> None:  # type: ignore[misc]
        execution_id, now = records.new_uuid(), time.time()
        with self.store.transaction():
            self.window_runs.put(
                where,
                execution_id,
                {"WindowId": window_id, "WindowExecutionId": execution_id, "Status": "SKIPPED_OVERLAPPING",
                 "StatusDetails": "The previous execution of the maintenance window had not ended.",
                 "StartTime": now, "EndTime": now, "Tasks": []},
            )  # fmt: skip
            self.window_run_index.put(where, f"{window_id}/{now:020.6f}/{execution_id}", execution_id)
            self._forget_old_runs(where, window_id, now)

    def _end_interrupted_runs(self: Provider) -> None:  # type: ignore[misc]
        """Runs a stopped server left unfinished end as failed: nothing carries them on."""
        with self.store.transaction():
            # Only the runs under way are listed in window_runs_open: no scan of the history.
            for where in self.window_runs_open.scopes():
                for execution_id, _ in list(self.window_runs_open.scan(where)):
                    self.window_runs_open.delete(where, execution_id)
                    run = self.window_runs.get(where, execution_id)
                    if run is None or run["Status"] in _FINISHED:
                        continue
                    now = time.time()
                    for task_run in run["Tasks"]:
                        if task_run["Status"] not in _FINISHED:
                            task_run.update(Status="FAILED", StatusDetails=INTERRUPTED, EndTime=now)
                    run.update(Status="FAILED", StatusDetails=INTERRUPTED, EndTime=now)
                    self.window_runs.put(where, execution_id, run)

    # -- one run -----------------------------------------------------------------------------

    async def run_window(self: Provider, where: str, window: dict[str, Any]) -> str:  # type: ignore[misc]
        """Run the window's tasks now and record the execution; its id."""
        window_id, execution_id, now = window["WindowId"], records.new_uuid(), time.time()
        tasks = sorted(
            (task for _, task in self.window_tasks.scan(where, prefix=window_id + "/")),
            key=lambda task: task.get("Priority", 1),
        )
        run: dict[str, Any] = {
            "WindowId": window_id,
            "WindowExecutionId": execution_id,
            "Status": "IN_PROGRESS",
            "StartTime": now,
            "Tasks": [self._task_run(task) for task in tasks],
        }
        with self.store.transaction():
            self.window_runs.put(where, execution_id, run)
            self.window_runs_open.put(where, execution_id, True)
            self.window_run_index.put(where, f"{window_id}/{now:020.6f}/{execution_id}", execution_id)
            self._forget_old_runs(where, window_id, now)
        # No task starts after the window's end less its cutoff (hours on the scaled clock).
        cutoff_at = now + (window["Duration"] - window["Cutoff"]) * _hour_seconds()
        timed_out = False
        # Tasks of one priority run together; a lower number runs first.
        positions = sorted(range(len(tasks)), key=lambda n: tasks[n].get("Priority", 1))
        for priority in sorted({task.get("Priority", 1) for task in tasks}):
            current = self.window_runs.get(where, execution_id)
            if current is None:
                return execution_id
            if current["Status"] == "CANCELLING":
                break
            if time.time() >= cutoff_at:
                timed_out = True
                break
            group = [n for n in positions if tasks[n].get("Priority", 1) == priority]
            await asyncio.gather(*(self._run_task(where, window, run, n, tasks[n], cutoff_at) for n in group))
        final = self.window_runs.get(where, execution_id)
        if final is None:
            return execution_id
        for task_run in final["Tasks"]:
            if task_run["Status"] == "PENDING":
                task_run.update(Status="TIMED_OUT" if timed_out else "CANCELLED", EndTime=time.time())
                if timed_out:
                    task_run["StatusDetails"] = CUTOFF
        if final["Status"] == "CANCELLING":
            final["Status"] = "CANCELLED"
        elif timed_out:
            final.update(Status="TIMED_OUT", StatusDetails=CUTOFF)
        elif not final["Tasks"]:
            final.update(Status="SUCCESS", StatusDetails="No tasks to execute.")
        elif any(task_run["Status"] != "SUCCESS" for task_run in final["Tasks"]):
            final.update(Status="FAILED", StatusDetails=FAILED_TASKS)
        else:
            final["Status"] = "SUCCESS"
        final["EndTime"] = time.time()
        with self.store.transaction():
            self.window_runs.put(where, execution_id, final)
            self.window_runs_open.delete(where, execution_id)
        return execution_id

    async def _run_task(  # type: ignore[misc]
        self: Provider, where: str, window: dict, run: dict, position: int, task: dict, cutoff_at: float
    ) -> None:
        """Run one task of an execution and record it. Each read and write of the execution
        happens with no wait in between, so tasks running together keep each other's states."""
        execution_id = run["WindowExecutionId"]
        current = self.window_runs.get(where, execution_id)
        if current is None:
            return
        task_run = current["Tasks"][position]
        task_run.update(Status="IN_PROGRESS", StartTime=time.time())
        self._save_run(where, current)
        deadline = cutoff_at if task.get("CutoffBehavior") == "CANCEL_TASK" else None
        invocations = await self._invoke_task(where, window, run, task, task_run, deadline)
        current = self.window_runs.get(where, execution_id)
        if current is None:
            return
        task_run = current["Tasks"][position]
        task_run["Invocations"] = invocations
        failed = [i for i in invocations if i["Status"] != "SUCCESS"]
        task_run["Status"] = "FAILED" if failed or not invocations else "SUCCESS"
        if any(i["Status"] == "CANCELLED" for i in invocations):
            task_run["Status"] = "CANCELLED"
        if not invocations:
            task_run["StatusDetails"] = "No invocations to execute."
        elif failed:
            task_run["StatusDetails"] = failed[0].get("StatusDetails", "Failed")
        task_run["EndTime"] = time.time()
        self._save_run(where, current)

    def _forget_old_runs(self: Provider, where: str, window_id: str, now: float) -> None:  # type: ignore[misc]
        """AWS keeps a window's execution history for 30 days: older runs go."""
        oldest = f"{window_id}/{now - HISTORY_SECONDS:020.6f}"
        for key, execution_id in list(
            self.window_run_index.scan(where, prefix=window_id + "/", end_before=oldest)
        ):
            self.window_runs.delete(where, execution_id)
            self.window_run_index.delete(where, key)

    def _save_run(self: Provider, where: str, run: dict[str, Any]) -> None:  # type: ignore[misc]
        with self.store.transaction():
            self.window_runs.put(where, run["WindowExecutionId"], run)

    @staticmethod
    def _task_run(task: dict[str, Any]) -> dict[str, Any]:
        run = {
            "TaskExecutionId": records.new_uuid(),
            "WindowTaskId": task["WindowTaskId"],
            "TaskArn": task["TaskArn"],
            "Type": task["TaskType"],
            "Priority": task.get("Priority", 1),
            "Status": "PENDING",
            "Invocations": [],
        }
        if task.get("TaskParameters"):
            run["TaskParameters"] = [task["TaskParameters"]]
        for source, field in (("ServiceRoleArn", "ServiceRole"), ("MaxConcurrency", "MaxConcurrency"),
                              ("MaxErrors", "MaxErrors"), ("AlarmConfiguration", "AlarmConfiguration")):  # fmt: skip
            if task.get(source) is not None:
                run[field] = task[source]
        return run

    def _resolve_targets(self: Provider, where: str, window: dict, task: dict) -> list[dict[str, str]]:  # type: ignore[misc]
        """Each resource the task runs against: its id, type, and the window target naming it.
        Only instance ids resolve: tags and resource groups name no resource Overcast has."""
        found: list[dict[str, str]] = []
        for target in task.get("Targets") or ():
            if target["Key"] == "InstanceIds":
                found.extend({"TARGET_ID": value, "TARGET_TYPE": "INSTANCE"} for value in target["Values"])
                continue
            for target_id in target["Values"]:
                registered = self.window_targets.get(where, f"{window['WindowId']}/{target_id}")
                if registered is None:
                    continue
                for named in registered.get("Targets") or ():
                    if named["Key"] == "InstanceIds":
                        found.extend(
                            {"TARGET_ID": value, "TARGET_TYPE": registered["ResourceType"],
                             "WINDOW_TARGET_ID": target_id, "OwnerInformation": registered.get("OwnerInformation", "")}
                            for value in named["Values"]
                        )  # fmt: skip
        return found

    async def _invoke_task(  # type: ignore[misc]
        self: Provider,
        where: str,
        window: dict,
        run: dict,
        task: dict,
        task_run: dict,
        deadline: float | None,
    ) -> list[dict[str, Any]]:
        targets = self._resolve_targets(where, window, task)
        if task["TaskType"] in ("LAMBDA", "STEP_FUNCTIONS", "AUTOMATION") and not task.get("Targets"):
            targets = [{}]
        limit = _count(task.get("MaxConcurrency"), len(targets), at_least_one=True) or len(targets)
        max_errors = _count(task.get("MaxErrors"), len(targets), at_least_one=False)
        gate, errors = asyncio.Semaphore(max(1, limit)), 0
        found: list[dict[str, Any] | None] = [None] * len(targets)

        async def invoke(n: int, target: dict[str, str]) -> None:
            nonlocal errors
            async with gate:
                # Past MaxErrors, the task is sent to no further target.
                if max_errors is not None and errors > max_errors:
                    return
                invocation = await self._invoke_one(where, window, run, task, task_run, target, deadline)
                if invocation["Status"] != "SUCCESS":
                    errors += 1
                found[n] = invocation

        await asyncio.gather(*(invoke(n, target) for n, target in enumerate(targets)))
        return [invocation for invocation in found if invocation is not None]

    async def _invoke_one(  # type: ignore[misc]
        self: Provider,
        where: str,
        window: dict,
        run: dict,
        task: dict,
        task_run: dict,
        target: dict[str, str],
        deadline: float | None,
    ) -> dict[str, Any]:
        values = {
            "WINDOW_ID": window["WindowId"],
            "WINDOW_EXECUTION_ID": run["WindowExecutionId"],
            "WINDOW_TASK_ID": task["WindowTaskId"],
            "TASK_EXECUTION_ID": task_run["TaskExecutionId"],
            "WINDOW_TARGET_ID": target.get("WINDOW_TARGET_ID", ""),
            "TARGET_ID": target.get("TARGET_ID", ""),
            "TARGET_TYPE": target.get("TARGET_TYPE", ""),
            "RESOURCE_ID": target.get("TARGET_ID", ""),
            "RESOURCE_TYPE": target.get("TARGET_TYPE", ""),
        }
        member = INVOCATION_MEMBER[task["TaskType"]]
        parameters = substitute((task.get("TaskInvocationParameters") or {}).get(member) or {}, values)
        invocation: dict[str, Any] = {
            "InvocationId": records.new_uuid(),
            "TaskType": task["TaskType"],
            "StartTime": time.time(),
            "Parameters": json.dumps(_described(task, parameters, target), sort_keys=True),
        }
        if target.get("WINDOW_TARGET_ID"):
            invocation["WindowTargetId"] = target["WINDOW_TARGET_ID"]
        if target.get("OwnerInformation"):
            invocation["OwnerInformation"] = target["OwnerInformation"]
        account, region = where.split("/", 1)
        try:
            started = self._start_task(account, region, task, parameters, target)
            if deadline is None:
                execution_id, details = await started
            else:
                execution_id, details = await asyncio.wait_for(started, max(0.0, deadline - time.time()))
            invocation.update(Status="SUCCESS", ExecutionId=execution_id)
            if details:
                invocation["StatusDetails"] = details
        except ServiceError as error:
            invocation.update(Status="FAILED", StatusDetails=f"{error.code}: {error.message}"[:250])
        except TimeoutError:
            invocation.update(
                Status="CANCELLED", StatusDetails="Cancelled at the maintenance window's cutoff."
            )
        except TaskFailed as failure:
            invocation.update(Status="FAILED", StatusDetails=failure.details[:250])
            if failure.execution_id:
                invocation["ExecutionId"] = failure.execution_id
        except Exception:
            # A fault of Overcast's own fails this invocation, not the whole execution.
            log.exception("maintenance window task %s failed to start", task["WindowTaskId"])
            invocation.update(
                Status="FAILED", StatusDetails="InternalServerError: the task could not be started."
            )
        invocation["EndTime"] = time.time()
        return invocation

    async def _start_task(  # type: ignore[misc]
        self: Provider, account: str, region: str, task: dict, parameters: dict, target: dict
    ) -> tuple[str, str]:
        """Run one invocation: (the id of what it started, details)."""
        task_type, arn = task["TaskType"], task["TaskArn"]
        if task_type == "LAMBDA":
            return await self._invoke_lambda(account, region, arn, parameters)
        context = RequestContext.internal("ssm", account, region)
        if task_type == "RUN_COMMAND":
            instance = target.get("TARGET_ID")
            if not instance:
                raise TaskFailed("The task has no targets to run on.")
            handler = getattr(self, "send_command", None)
            if handler is None:
                # No managed node exists in Overcast for Run Command to reach.
                raise ServiceError(
                    "InvalidInstanceId",
                    f"Instances [[{instance}]] not in a valid state for account {account}",
                )
            sent = await _answer(
                handler(
                    context, {"DocumentName": arn, "InstanceIds": [instance], **_command(parameters, task)}
                )
            )
            return str(sent["Command"]["CommandId"]), ""
        if task_type == "AUTOMATION":
            handler = getattr(self, "start_automation_execution", None)
            if handler is None:
                raise ServiceError("AutomationDefinitionNotFoundException", f"Document {arn} does not exist.")
            given = {k: v for k, v in parameters.items() if v}
            started = await _answer(handler(context, {"DocumentName": arn, **given}))
            return str(started["AutomationExecutionId"]), ""
        # STEP_FUNCTIONS: Overcast has no Step Functions yet, so no state machine exists.
        raise ServiceError("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")

    async def _invoke_lambda(  # type: ignore[misc]
        self: Provider, account: str, region: str, arn: str, parameters: dict
    ) -> tuple[str, str]:
        name, qualifier = _function(arn)
        qualifier = parameters.get("Qualifier") or qualifier
        payload = parameters.get("Payload") or b""
        if isinstance(payload, str):
            payload = payload.encode()
        lam = self.runtime.provider("lambda")
        outcome, request_id = await lam.execute(
            account, region, name, qualifier, payload, parameters.get("ClientContext") or ""
        )
        if outcome.error is not None:
            message = outcome.error.get("errorMessage") or json.dumps(outcome.error)
            raise TaskFailed(f"Lambda function error: {message}", request_id)
        return request_id, ""

    # -- the operations ----------------------------------------------------------------------

    def _run(self: Provider, context: RequestContext, execution_id: str) -> dict[str, Any]:  # type: ignore[misc]
        record = self.window_runs.get(self._scope(context), execution_id)
        if record is None:
            raise _run_missing(execution_id)
        return record

    def _task_of(self: Provider, context: RequestContext, execution_id: str, task_id: str) -> dict[str, Any]:  # type: ignore[misc]
        for task_run in self._run(context, execution_id)["Tasks"]:
            if task_run["TaskExecutionId"] == task_id:
                return task_run
        raise records.does_not_exist(f"Maintenance window execution task {task_id} does not exist")

    def describe_maintenance_window_executions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where, window_id = self._scope(context), params["WindowId"]
        wanted = records.filter_values(
            params.get("Filters"), ("ExecutedBefore", "ExecutedAfter"), "DescribeMaintenanceWindowExecutions"
        )
        before = [_moment(v) for v in wanted.get("ExecutedBefore", [])]
        after = [_moment(v) for v in wanted.get("ExecutedAfter", [])]
        found = []
        for _, execution_id in self.window_run_index.scan(where, prefix=window_id + "/", reverse=True):
            run = self.window_runs.get(where, execution_id)
            if run is None:
                continue
            if any(run["StartTime"] >= b for b in before) or any(run["StartTime"] <= a for a in after):
                continue
            found.append(_pick(run, _RUN_FIELDS))
        return records.page(self.store, "DescribeMaintenanceWindowExecutions", params, found)

    def get_maintenance_window_execution(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        run = self._run(context, params["WindowExecutionId"])
        out = _pick(run, _RUN_FIELDS)
        out.pop("WindowId", None)
        out["TaskIds"] = [task_run["TaskExecutionId"] for task_run in run["Tasks"]]
        return out

    def describe_maintenance_window_execution_tasks(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        execution_id = params["WindowExecutionId"]
        run = self._run(context, execution_id)
        wanted = records.filter_values(
            params.get("Filters"), _STATUS_FILTER, "DescribeMaintenanceWindowExecutionTasks"
        )
        found = []
        for task_run in run["Tasks"]:
            if records.matches(task_run, wanted, {}):
                item = _pick(task_run, _TASK_FIELDS)
                for field in ("ServiceRole", "Priority", "MaxConcurrency", "MaxErrors", "TaskParameters"):
                    item.pop(field, None)
                item["TaskType"] = item.pop("Type")
                found.append({"WindowExecutionId": execution_id, **item})
        return records.page(self.store, "DescribeMaintenanceWindowExecutionTasks", params, found)

    def get_maintenance_window_execution_task(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        task_run = self._task_of(context, params["WindowExecutionId"], params["TaskId"])
        return {"WindowExecutionId": params["WindowExecutionId"], **_pick(task_run, _TASK_FIELDS)}

    def describe_maintenance_window_execution_task_invocations(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        execution_id, task_id = params["WindowExecutionId"], params["TaskId"]
        task_run = self._task_of(context, execution_id, task_id)
        wanted = records.filter_values(
            params.get("Filters"), _STATUS_FILTER, "DescribeMaintenanceWindowExecutionTaskInvocations"
        )
        found = [
            _pick(
                {"WindowExecutionId": execution_id, "TaskExecutionId": task_id, **invocation},
                _INVOCATION_FIELDS,
            )
            for invocation in task_run["Invocations"]
            if records.matches(invocation, wanted, {})
        ]
        return records.page(self.store, "DescribeMaintenanceWindowExecutionTaskInvocations", params, found)

    def get_maintenance_window_execution_task_invocation(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        execution_id, task_id = params["WindowExecutionId"], params["TaskId"]
        for invocation in self._task_of(context, execution_id, task_id)["Invocations"]:
            if invocation["InvocationId"] == params["InvocationId"]:
                return _pick(
                    {"WindowExecutionId": execution_id, "TaskExecutionId": task_id, **invocation},
                    _INVOCATION_FIELDS,
                )
        raise records.does_not_exist(
            f"Maintenance window execution task invocation {params['InvocationId']} does not exist"
        )

    def cancel_maintenance_window_execution(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        execution_id = params["WindowExecutionId"]
        with self.store.transaction():
            run = self._run(context, execution_id)
            if run["Status"] not in _FINISHED:
                run["Status"] = "CANCELLING"
                self.window_runs.put(self._scope(context), execution_id, run)
        return {"WindowExecutionId": execution_id}


class TaskFailed(Exception):
    """A task invocation that ran and failed: what AWS records, and the id of what ran."""

    def __init__(self, details: str, execution_id: str = "") -> None:
        super().__init__(details)
        self.details = details
        self.execution_id = execution_id


async def _answer(result: Any) -> dict[str, Any]:
    """A handler's answer, awaited when the handler is async."""
    if inspect.isawaitable(result):
        result = await result
    return dict(result)


def _count(text: str | None, total: int, at_least_one: bool) -> int | None:
    """A MaxConcurrency or MaxErrors value ("10" or "10%" of `total` targets); None unset."""
    if not text:
        return None
    if text.endswith("%"):
        count = int(total * int(text[:-1]) / 100)
        return max(1, count) if at_least_one else count
    return int(text)


def _function(arn: str) -> tuple[str, str | None]:
    """(function name, qualifier) of a Lambda TaskArn: an ARN (possibly qualified) or a name."""
    parsed = parse_arn(arn) if arn.startswith("arn:") else None
    if parsed is None:
        name, _, qualifier = arn.partition(":")
        return name, qualifier or None
    parts = parsed.resource.split(":")
    return parts[1] if len(parts) > 1 else parts[0], parts[2] if len(parts) > 2 else None


def _command(parameters: dict, task: dict) -> dict[str, Any]:
    given = {k: v for k, v in parameters.items() if v not in (None, "", {}, [])}
    for field in ("MaxConcurrency", "MaxErrors"):
        if task.get(field):
            given[field] = task[field]
    return given


def _described(task: dict, parameters: dict, target: dict[str, str]) -> dict[str, Any]:
    """An invocation's Parameters as AWS describes them: the task's invocation parameters in
    lowerCamel, with what it was sent to ({"documentName":..,"instanceIds":[..],...})."""
    described = {key[:1].lower() + key[1:]: _printable(value) for key, value in parameters.items()}
    if task["TaskType"] in ("RUN_COMMAND", "AUTOMATION"):
        described["documentName"] = task["TaskArn"]
    if task["TaskType"] == "RUN_COMMAND":
        described["instanceIds"] = [target["TARGET_ID"]] if target.get("TARGET_ID") else []
        for field in ("MaxConcurrency", "MaxErrors"):
            if task.get(field):
                described[field[:1].lower() + field[1:]] = task[field]
    return described


def _printable(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):
        return {k: _printable(v) for k, v in value.items()}
    return value


def _moment(text: str) -> float:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ServiceError(
            "ValidationException", f"Invalid filter value {text}: expected an ISO-8601 time."
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
