"""Durable executions: functions whose configuration has a DurableConfig run as durable
executions, driven the way Lambda drives them. Each invocation of the function receives
{"DurableExecutionArn", "CheckpointToken", "InitialExecutionState": {"Operations", "NextMarker"}}
and returns {"Status": SUCCEEDED | FAILED | PENDING, "Result", "Error"}; the durable functions SDK
in the function records its progress with CheckpointDurableExecution in between. A PENDING
execution is invoked again when its earliest wait or step retry is due, when a callback is
completed (SendDurableExecutionCallback*) or when it is resumed.

Tables (scope = account/region):
  durable_executions  function SEP execution id → execution (operations and history included)
  durable_callbacks   callback id → {"key": execution key, "op": operation id}
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

from overcast.common import jsontext
from overcast.common.pagination import paginate_list
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.store import scope as store_scope

from .names import bad_marker, conflict, function_arn, invalid, not_found

if TYPE_CHECKING:
    # The methods below run as the Provider this mixin is part of, so their self is typed as
    # it; mypy wants a self type to be a supertype of the class that declares the method, hence
    # the `type: ignore[misc]` on each of them.
    from .provider import Provider

log = logging.getLogger(__name__)

SEP = "\x01"
TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED"})
DEFAULT_EXECUTION_TIMEOUT = 86400
#: Event type prefixes per operation type (ExecutionStarted, StepSucceeded, ...).
_EVENT_PREFIX = {
    "EXECUTION": "Execution",
    "CONTEXT": "Context",
    "STEP": "Step",
    "WAIT": "Wait",
    "CALLBACK": "Callback",
    "CHAINED_INVOKE": "ChainedInvoke",
}
_DETAILS = {
    "EXECUTION": "ExecutionDetails",
    "CONTEXT": "ContextDetails",
    "STEP": "StepDetails",
    "WAIT": "WaitDetails",
    "CALLBACK": "CallbackDetails",
    "CHAINED_INVOKE": "ChainedInvokeDetails",
}
#: What an operation record keeps for Overcast's own use, never shown.
_INTERNAL_OP_KEYS = frozenset({"duration", "heartbeat"})
_ACTION_STATUS = {"START": "STARTED", "SUCCEED": "SUCCEEDED", "FAIL": "FAILED", "CANCEL": "CANCELLED"}
_ACTION_EVENT = {"START": "Started", "SUCCEED": "Succeeded", "FAIL": "Failed", "CANCEL": "Cancelled"}


def execution_not_found(arn: str) -> ServiceError:
    return not_found(f"The durable execution {arn} does not exist.")


def _error(error: dict | None) -> dict:
    return {"Payload": copy.deepcopy(error)} if error else {}


class DurableMixin:
    def start_durable(self: Provider) -> None:  # type: ignore[misc]
        self.durable_executions = self.store.table("lambda", "durable_executions")
        self.durable_callbacks = self.store.table("lambda", "durable_callbacks")
        self._durable_tasks: dict[str, asyncio.Task] = {}

    # -- lookups --------------------------------------------------------------------------------

    def _execution_key(self: Provider, context: RequestContext, arn: str) -> tuple[str, str]:  # type: ignore[misc]
        """(scope, key) of an execution ARN: ...:function:NAME:VERSION/durable-execution/EXEC/ID."""
        head, _, tail = arn.partition("/durable-execution/")
        parts = head.split(":")
        pieces = tail.split("/")
        if len(parts) != 8 or len(pieces) != 2:
            raise execution_not_found(arn)
        return store_scope(parts[4], parts[3]), parts[6] + SEP + pieces[1]

    def _execution(self: Provider, context: RequestContext, arn: str) -> tuple[str, str, dict]:  # type: ignore[misc]
        scope, key = self._execution_key(context, arn)
        record = self.durable_executions.get(scope, key)
        if record is None or record["arn"] != arn or scope != self._scope(context):
            raise execution_not_found(arn)
        return scope, key, record

    # -- starting and driving ------------------------------------------------------------------------

    async def invoke_durable(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        name: str,
        version: str,
        config: dict,
        payload: bytes,
        execution_name: str | None,
        wait: bool,
    ) -> dict:
        """Start (or, for a name already used with the same input, find) a durable execution;
        with `wait`, drive it to its end and answer like Invoke."""
        scope = self._scope(context)
        execution_name = execution_name or str(uuid.uuid4())
        for key, existing in self.durable_executions.scan(scope, prefix=name + SEP):
            if existing["name"] == execution_name:
                if existing["input"] != payload.decode():
                    raise conflict(f"Durable execution with name {execution_name} already exists.")
                return self._invoke_answer(existing, wait)
        execution_id = uuid.uuid4().hex
        qualified = function_arn(context.account, context.region, name, version)
        now = time.time()
        durable = copy.deepcopy(config.get("DurableConfig") or {})
        record: dict[str, Any] = {
            "arn": f"{qualified}/durable-execution/{execution_name}/{execution_id}",
            "name": execution_name,
            "function": name,
            "version": version,
            "function_arn": qualified,
            "status": "RUNNING",
            "input": payload.decode(),
            "start": now,
            "config": durable,
            "token": uuid.uuid4().hex,
            "operations": [
                {
                    "Id": execution_id,
                    "Type": "EXECUTION",
                    "StartTimestamp": now,
                    "Status": "STARTED",
                    "ExecutionDetails": {"InputPayload": payload.decode()},
                }
            ],
            "events": [],
        }
        self._event(
            record,
            "ExecutionStarted",
            execution_id,
            ExecutionStartedDetails={
                "Input": {"Payload": payload.decode()},
                "ExecutionTimeout": durable.get("ExecutionTimeout") or DEFAULT_EXECUTION_TIMEOUT,
            },
        )
        key = name + SEP + execution_id
        self.durable_executions.put(scope, key, record)
        if wait:
            await self._drive(scope, key)
            return self._invoke_answer(self.durable_executions.get(scope, key) or record, True)
        self._spawn_drive(scope, key)
        return self._invoke_answer(record, False)

    def _invoke_answer(self: Provider, record: dict, wait: bool) -> dict:  # type: ignore[misc]
        out: dict[str, Any] = {"DurableExecutionArn": record["arn"], "ExecutedVersion": record["version"]}
        if not wait:
            return {**out, "StatusCode": 202, "Payload": b""}
        out["StatusCode"] = 200
        if record["status"] == "SUCCEEDED":
            out["Payload"] = (record.get("result") or "null").encode()
        else:
            error = record.get("error") or {"ErrorMessage": f"The durable execution is {record['status']}."}
            out["FunctionError"] = "Unhandled"
            out["Payload"] = json.dumps(
                {"errorMessage": error.get("ErrorMessage", ""), "errorType": error.get("ErrorType", "")}
            ).encode()
        return out

    def _spawn_drive(self: Provider, scope: str, key: str, delay: float = 0.0) -> None:  # type: ignore[misc]
        generation = self._generation

        async def run() -> None:
            if delay:
                await asyncio.sleep(delay)
            if generation == self._generation:
                await self._drive(scope, key)

        self.runtime.spawn(run(), name=f"lambda durable {key}")

    async def _drive(self: Provider, scope: str, key: str) -> None:  # type: ignore[misc]
        """Invoke the function for the execution until it ends or waits on something outside."""
        account, region = scope.split("/")
        while True:
            record = self.durable_executions.get(scope, key)
            if record is None or record["status"] not in ("RUNNING",) or record.get("invoking"):
                return
            if self._timed_out(record):
                self._end_execution(
                    record, "TIMED_OUT", error={"ErrorMessage": "The durable execution timed out."}
                )
                self.durable_executions.put(scope, key, record)
                return
            self._settle_due(record)
            record["invoking"] = True
            record["token"] = uuid.uuid4().hex
            self.durable_executions.put(scope, key, record)
            event = {
                "DurableExecutionArn": record["arn"],
                "CheckpointToken": record["token"],
                "InitialExecutionState": {
                    "Operations": [self._op_out(op) for op in record["operations"]],
                    "NextMarker": "",
                },
            }
            started = time.time()
            request_id, outcome_error, answer = str(uuid.uuid4()), None, None
            try:
                outcome, request_id = await self.execute(
                    account, region, record["function"], record["version"], json.dumps(event).encode()
                )
                outcome_error = outcome.error
                if outcome_error is None:
                    answer = jsontext.loads(outcome.payload or b"null", jsontext.MAX_PAYLOAD_DEPTH)
            except (ServiceError, ValueError) as error:
                outcome_error = {"errorType": type(error).__name__, "errorMessage": str(error)}
            record = self.durable_executions.get(scope, key)
            if record is None:
                return
            record.pop("invoking", None)
            woken = record.pop("woken", False)
            completed: dict[str, Any] = {
                "StartTimestamp": started,
                "EndTimestamp": time.time(),
                "RequestId": request_id,
            }
            if outcome_error is not None:
                completed["Error"] = {
                    "Payload": {
                        "ErrorType": str(outcome_error.get("errorType", "")),
                        "ErrorMessage": str(outcome_error.get("errorMessage", "")),
                    }
                }
            self._event(
                record,
                "InvocationCompleted",
                record["operations"][0]["Id"],
                InvocationCompletedDetails=completed,
            )
            if record["status"] not in ("RUNNING", "PAUSING"):
                self.durable_executions.put(scope, key, record)
                return  # stopped (or ended by a checkpoint) meanwhile
            if outcome_error is not None:
                self._end_execution(record, "FAILED", error=completed["Error"]["Payload"])
            elif isinstance(answer, dict) and answer.get("Status") == "SUCCEEDED":
                self._end_execution(record, "SUCCEEDED", result=answer.get("Result") or record.get("result"))
            elif isinstance(answer, dict) and answer.get("Status") == "FAILED":
                self._end_execution(record, "FAILED", error=answer.get("Error") or {})
            elif isinstance(answer, dict) and answer.get("Status") == "PENDING":
                if record["status"] == "PAUSING":
                    record["status"] = "PAUSED"
                    if woken:
                        record["woken"] = True  # resuming invokes it for what completed
            else:
                self._end_execution(
                    record,
                    "FAILED",
                    error={
                        "ErrorType": "InvalidDurableExecutionOutput",
                        "ErrorMessage": "The function did not return a durable execution output "
                        "(use the durable functions SDK in a function with a DurableConfig).",
                    },
                )
            self.durable_executions.put(scope, key, record)
            if record["status"] != "RUNNING":
                return
            if woken:
                continue  # something it waits on completed during the invocation
            due = self._next_due(record)
            if due is None:
                return  # waits on a callback or a chained invocation: they drive it on
            await asyncio.sleep(max(0.0, due - time.time()))

    def _wake_execution(self: Provider, scope: str, key: str, record: dict) -> None:  # type: ignore[misc]
        """Store the record and invoke the function again for what just completed; during an
        invocation, the running drive does so once that invocation ends; while paused, resuming
        does."""
        if record.get("invoking") or record["status"] == "PAUSED":
            record["woken"] = True
        self.durable_executions.put(scope, key, record)
        if record["status"] == "RUNNING" and not record.get("invoking"):
            self._spawn_drive(scope, key)

    def _timed_out(self: Provider, record: dict) -> bool:  # type: ignore[misc]
        timeout = record["config"].get("ExecutionTimeout") or DEFAULT_EXECUTION_TIMEOUT
        return time.time() - record["start"] - record.get("paused_for", 0.0) > timeout

    @staticmethod
    def _next_due(record: dict) -> float | None:
        moments = []
        for op in record["operations"]:
            if op["Type"] == "WAIT" and op["Status"] == "STARTED":
                moments.append(op["WaitDetails"]["ScheduledEndTimestamp"])
            elif op["Type"] == "STEP" and op["Status"] == "PENDING":
                moments.append(op["StepDetails"].get("NextAttemptTimestamp", 0))
        return min(moments) if moments else None

    def _settle_due(self: Provider, record: dict) -> None:  # type: ignore[misc]
        """Waits whose time has come succeed; steps whose retry is due become READY."""
        now = time.time()
        for op in record["operations"]:
            if (
                op["Type"] == "WAIT"
                and op["Status"] == "STARTED"
                and op["WaitDetails"]["ScheduledEndTimestamp"] <= now
            ):
                op.update(Status="SUCCEEDED", EndTimestamp=now)
                self._event(
                    record,
                    "WaitSucceeded",
                    op["Id"],
                    op,
                    WaitSucceededDetails={"Duration": op.get("duration", 0)},
                )
            elif op["Type"] == "STEP" and op["Status"] == "PENDING":
                if op["StepDetails"].get("NextAttemptTimestamp", 0) <= now:
                    op["Status"] = "READY"

    def _end_execution(  # type: ignore[misc]
        self: Provider, record: dict, status: str, result: str | None = None, error: dict | None = None
    ) -> None:
        now = time.time()
        record.update(status=status, end=now)
        execution = record["operations"][0]
        execution.update(Status=status, EndTimestamp=now)
        if result is not None:
            record["result"] = result
        if error is not None:
            record["error"] = error
        if status == "SUCCEEDED":
            self._event(
                record,
                "ExecutionSucceeded",
                execution["Id"],
                ExecutionSucceededDetails={"Result": {"Payload": record.get("result") or ""}},
            )
        elif status == "FAILED":
            self._event(
                record, "ExecutionFailed", execution["Id"], ExecutionFailedDetails={"Error": _error(error)}
            )
        elif status == "TIMED_OUT":
            self._event(
                record,
                "ExecutionTimedOut",
                execution["Id"],
                ExecutionTimedOutDetails={"Error": _error(error)},
            )
        elif status == "STOPPED":
            self._event(
                record, "ExecutionStopped", execution["Id"], ExecutionStoppedDetails={"Error": _error(error)}
            )

    @staticmethod
    def _event(record: dict, event_type: str, op_id: str, op: dict | None = None, **details: Any) -> None:
        event: dict[str, Any] = {
            "EventType": event_type,
            "EventId": len(record["events"]) + 1,
            "Id": op_id,
            "EventTimestamp": time.time(),
            **details,
        }
        for field in ("Name", "ParentId", "SubType"):
            if op is not None and op.get(field):
                event[field] = op[field]
        record["events"].append(event)

    # -- the SDK's operations -----------------------------------------------------------------------

    def checkpoint_durable_execution(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, key, record = self._execution(context, params["DurableExecutionArn"])
        if params["CheckpointToken"] != record["token"] or record["status"] in TERMINAL:
            raise invalid("Invalid checkpoint token.")
        changed: dict[str, dict] = {}
        for update in params.get("Updates") or ():
            op = self._apply_update(context, scope, key, record, update)
            changed[op["Id"]] = op
        record["token"] = uuid.uuid4().hex
        self.durable_executions.put(scope, key, record)
        return {
            "CheckpointToken": record["token"],
            "NewExecutionState": {"Operations": [self._op_out(op) for op in changed.values()]},
        }

    def _apply_update(  # type: ignore[misc]
        self: Provider, context: RequestContext, scope: str, key: str, record: dict, update: dict
    ) -> dict:
        now = time.time()
        kind, action = update["Type"], update["Action"]
        if kind == "EXECUTION":
            execution = record["operations"][0]
            if action == "SUCCEED":
                self._end_execution(record, "SUCCEEDED", result=update.get("Payload") or "")
            elif action == "FAIL":
                self._end_execution(record, "FAILED", error=update.get("Error") or {})
            else:
                raise invalid(f"Action {action} is not valid for an operation of type EXECUTION.")
            return execution
        op = next((o for o in record["operations"] if o["Id"] == update["Id"]), None)
        if op is None:
            if action not in ("START", "SUCCEED", "FAIL"):
                raise invalid(f"Operation {update['Id']} does not exist.")
            op = {
                "Id": update["Id"],
                "Type": kind,
                "StartTimestamp": now,
                "Status": "STARTED",
                _DETAILS[kind]: {},
            }
            for field in ("ParentId", "Name", "SubType"):
                if update.get(field):
                    op[field] = update[field]
            record["operations"].append(op)
        elif op["Type"] != kind:
            raise invalid(f"Operation {update['Id']} is of type {op['Type']}, not {kind}.")
        details = op.setdefault(_DETAILS[kind], {})
        prefix = _EVENT_PREFIX[kind]
        if action == "RETRY":
            if kind != "STEP":
                raise invalid(f"Action RETRY is not valid for an operation of type {kind}.")
            delay = (update.get("StepOptions") or {}).get("NextAttemptDelaySeconds") or 0
            details.update(Attempt=details.get("Attempt", 0) + 1, NextAttemptTimestamp=now + delay)
            if update.get("Error"):
                details["Error"] = update["Error"]
            if update.get("Payload") is not None:
                details["Result"] = update["Payload"]
            op["Status"] = "PENDING"
            return op
        op["Status"] = _ACTION_STATUS[action]
        if action == "START":
            extra = self._start_operation(context, scope, key, record, op, update)
            self._event(record, f"{prefix}Started", op["Id"], op, **extra)
            return op
        op["EndTimestamp"] = now
        if action == "SUCCEED":
            details["Result"] = update.get("Payload") or ""
            self._event(
                record,
                f"{prefix}Succeeded",
                op["Id"],
                op,
                **{f"{prefix}SucceededDetails": self._succeeded_details(kind, details)},
            )
        elif action == "FAIL":
            details["Error"] = update.get("Error") or {}
            self._event(
                record,
                f"{prefix}Failed",
                op["Id"],
                op,
                **{f"{prefix}FailedDetails": self._failed_details(kind, details)},
            )
        else:
            self._event(record, f"{prefix}Cancelled", op["Id"], op)
        return op

    @staticmethod
    def _succeeded_details(kind: str, details: dict) -> dict:
        out: dict[str, Any] = {"Result": {"Payload": details.get("Result") or ""}}
        if kind == "STEP":
            out["RetryDetails"] = {"CurrentAttempt": details.get("Attempt", 0)}
        return out

    @staticmethod
    def _failed_details(kind: str, details: dict) -> dict:
        out: dict[str, Any] = {"Error": _error(details.get("Error"))}
        if kind == "STEP":
            out["RetryDetails"] = {"CurrentAttempt": details.get("Attempt", 0)}
        return out

    def _start_operation(  # type: ignore[misc]
        self: Provider, context: RequestContext, scope: str, key: str, record: dict, op: dict, update: dict
    ) -> dict:
        """What starting an operation sets going; returns its Started event's details."""
        now = time.time()
        kind = op["Type"]
        if kind == "WAIT":
            seconds = (update.get("WaitOptions") or {}).get("WaitSeconds") or 0
            op["WaitDetails"] = {"ScheduledEndTimestamp": now + seconds}
            op["duration"] = seconds
            return {"WaitStartedDetails": {"Duration": seconds, "ScheduledEndTimestamp": now + seconds}}
        if kind == "CALLBACK":
            callback_id = (
                base64.urlsafe_b64encode(uuid.uuid4().bytes + uuid.uuid4().bytes).decode().rstrip("=")
            )
            op["CallbackDetails"] = {"CallbackId": callback_id}
            self.durable_callbacks.put(scope, callback_id, {"key": key, "op": op["Id"]})
            options = update.get("CallbackOptions") or {}
            started = {"CallbackId": callback_id}
            if options.get("TimeoutSeconds"):
                started["Timeout"] = options["TimeoutSeconds"]
            if options.get("HeartbeatTimeoutSeconds"):
                started["HeartbeatTimeout"] = options["HeartbeatTimeoutSeconds"]
            return {"CallbackStartedDetails": started}
        if kind == "CHAINED_INVOKE":
            options = update.get("ChainedInvokeOptions") or {}
            self.runtime.spawn(
                self._chained_invoke(
                    scope, key, op["Id"], options["FunctionName"], update.get("Payload") or "{}"
                ),
                name=f"lambda durable chained invoke {key}",
            )
            return {
                "ChainedInvokeStartedDetails": {
                    "FunctionName": options["FunctionName"],
                    "Input": {"Payload": update.get("Payload") or ""},
                }
            }
        if kind == "STEP":
            op["StepDetails"] = {"Attempt": op.get("StepDetails", {}).get("Attempt", 0)}
        return {}

    async def _chained_invoke(  # type: ignore[misc]
        self: Provider, scope: str, key: str, op_id: str, function: str, payload: str
    ) -> None:
        from . import names

        account, region = scope.split("/")
        try:
            name, qualifier = names.parse_function(function, None, account, region)
            outcome, _ = await self.execute(account, region, name, qualifier, payload.encode())
            error = outcome.error
            result = None if error else outcome.payload.decode()
        except ServiceError as failure:
            error, result = {"errorType": failure.code, "errorMessage": failure.message}, None
        record = self.durable_executions.get(scope, key)
        if record is None:
            return
        op = next((o for o in record["operations"] if o["Id"] == op_id), None)
        if op is None or op["Status"] != "STARTED":
            return
        op["EndTimestamp"] = time.time()
        if error is None:
            op.update(Status="SUCCEEDED", ChainedInvokeDetails={"Result": result or ""})
            self._event(
                record,
                "ChainedInvokeSucceeded",
                op_id,
                op,
                ChainedInvokeSucceededDetails={"Result": {"Payload": result or ""}},
            )
        else:
            shaped = {
                "ErrorType": str(error.get("errorType", "")),
                "ErrorMessage": str(error.get("errorMessage", "")),
            }
            op.update(Status="FAILED", ChainedInvokeDetails={"Error": shaped})
            self._event(
                record,
                "ChainedInvokeFailed",
                op_id,
                op,
                ChainedInvokeFailedDetails={"Error": {"Payload": shaped}},
            )
        self._wake_execution(scope, key, record)

    def _op_out(self: Provider, op: dict) -> dict:  # type: ignore[misc]
        return {k: copy.deepcopy(v) for k, v in op.items() if k not in _INTERNAL_OP_KEYS}

    def get_durable_execution_state(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, _, record = self._execution(context, params["DurableExecutionArn"])
        if params["CheckpointToken"] != record["token"]:
            raise invalid("Invalid checkpoint token.")
        operations = [self._op_out(op) for op in record["operations"]]
        return paginate_list(
            self.store, "lambda", "GetDurableExecutionState", params, operations,
            bad_token=bad_marker, default_limit=1000, bind=record["arn"],
        )  # fmt: skip

    # -- callbacks --------------------------------------------------------------------------------

    def _callback(self: Provider, context: RequestContext, callback_id: str) -> tuple[str, str, dict, dict]:  # type: ignore[misc]
        scope = self._scope(context)
        link = self.durable_callbacks.get(scope, callback_id)
        record = self.durable_executions.get(scope, link["key"]) if link else None
        op = (
            next((o for o in record["operations"] if o["Id"] == link["op"]), None)
            if record and link
            else None
        )
        if record is None or op is None or link is None:
            raise not_found(f"The callback {callback_id} does not exist.")
        if op["Status"] != "STARTED" or record["status"] in TERMINAL:
            raise ServiceError(
                "CallbackTimeoutException",
                f"The callback {callback_id} is no longer active.",
                400,
                Type="User",
            )
        return scope, link["key"], record, op

    def _complete_callback(  # type: ignore[misc]
        self: Provider, context: RequestContext, callback_id: str, result: str | None, error: dict | None
    ) -> dict:
        scope, key, record, op = self._callback(context, callback_id)
        op["EndTimestamp"] = time.time()
        if error is None:
            op.update(Status="SUCCEEDED")
            op["CallbackDetails"]["Result"] = result or ""
            self._event(
                record,
                "CallbackSucceeded",
                op["Id"],
                op,
                CallbackSucceededDetails={"Result": {"Payload": result or ""}},
            )
        else:
            op.update(Status="FAILED")
            op["CallbackDetails"]["Error"] = error
            self._event(
                record, "CallbackFailed", op["Id"], op, CallbackFailedDetails={"Error": _error(error)}
            )
        # The id stays known until the execution is deleted: a late answer to it is told it
        # is no longer active, as a Step Functions task token is.
        self._wake_execution(scope, key, record)
        return {}

    def send_durable_execution_callback_success(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        raw = params.get("Result") or b""
        # The result reaches the function as text: bytes that are no UTF-8 arrive replaced.
        result = raw.decode(errors="replace") if isinstance(raw, (bytes, bytearray)) else str(raw)
        return self._complete_callback(context, params["CallbackId"], result, None)

    def send_durable_execution_callback_failure(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        return self._complete_callback(context, params["CallbackId"], None, params.get("Error") or {})

    def send_durable_execution_callback_heartbeat(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        scope, key, record, op = self._callback(context, params["CallbackId"])
        op["heartbeat"] = time.time()
        self.durable_executions.put(scope, key, record)
        return {}

    # -- the control plane ---------------------------------------------------------------------------

    def _summary(self: Provider, record: dict) -> dict:  # type: ignore[misc]
        out = {
            "DurableExecutionArn": record["arn"],
            "DurableExecutionName": record["name"],
            "FunctionArn": record["function_arn"],
            "Status": record["status"],
            "StartTimestamp": record["start"],
        }
        if record.get("end"):
            out["EndTimestamp"] = record["end"]
        if record["config"].get("KMSKeyArn"):
            out["KMSKeyArn"] = record["config"]["KMSKeyArn"]
        return out

    def get_durable_execution(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, _, record = self._execution(context, params["DurableExecutionArn"])
        out = self._summary(record)
        out.pop("KMSKeyArn", None)
        out["Version"] = record["version"]
        include = params.get("IncludeExecutionData", True)
        out["ExecutionDataIncluded"] = bool(include)
        if include:
            out["InputPayload"] = record["input"]
            if record.get("result") is not None:
                out["Result"] = record["result"]
            if record.get("error"):
                out["Error"] = copy.deepcopy(record["error"])
        if record["config"]:
            out["DurableConfig"] = copy.deepcopy(record["config"])
        if record.get("pause"):
            out["PauseDetails"] = copy.deepcopy(record["pause"])
        timeout = record["config"].get("ExecutionTimeout") or DEFAULT_EXECUTION_TIMEOUT
        out["ExpectedExecutionTimeoutTimestamp"] = record["start"] + record.get("paused_for", 0.0) + timeout
        return out

    def list_durable_executions_by_function(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record, qualifier = self._function(context, params["FunctionName"], params.get("Qualifier"))
        name = record["config"]["FunctionName"]
        statuses = set(params.get("Statuses") or ())
        after, before = params.get("StartedAfter"), params.get("StartedBefore")
        items = [
            self._summary(execution)
            for _, execution in self.durable_executions.scan(self._scope(context), prefix=name + SEP)
            if (qualifier is None or execution["version"] == qualifier)
            and (not statuses or execution["status"] in statuses)
            and (params.get("DurableExecutionName") in (None, execution["name"]))
            and (after is None or execution["start"] > after.timestamp())
            and (before is None or execution["start"] < before.timestamp())
        ]
        items.sort(key=lambda item: item["StartTimestamp"], reverse=bool(params.get("ReverseOrder")))
        return paginate_list(
            self.store, "lambda", "ListDurableExecutionsByFunction", params, items,
            bad_token=bad_marker, default_limit=50, bind=name,
        )  # fmt: skip

    def get_durable_execution_history(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, _, record = self._execution(context, params["DurableExecutionArn"])
        events = copy.deepcopy(record["events"])
        if not params.get("IncludeExecutionData", True):
            for event in events:
                for key in [k for k in event if k.endswith("Details")]:
                    event[key] = {
                        k: v for k, v in event[key].items() if k not in ("Input", "Result", "Error")
                    }
        if params.get("ReverseOrder"):
            events.reverse()
        return paginate_list(
            self.store, "lambda", "GetDurableExecutionHistory", params, events,
            bad_token=bad_marker, default_limit=100, bind=record["arn"],
        )  # fmt: skip

    def stop_durable_execution(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, key, record = self._execution(context, params["DurableExecutionArn"])
        if record["status"] in TERMINAL:
            raise conflict(
                f"The durable execution {record['arn']} has already ended with status {record['status']}."
            )
        self._end_execution(
            record,
            "STOPPED",
            error=params.get("Error") or {"ErrorMessage": "The durable execution was stopped."},
        )
        self.durable_executions.put(scope, key, record)
        return {"StopTimestamp": record["end"]}

    def pause_durable_execution(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, key, record = self._execution(context, params["DurableExecutionArn"])
        if record["status"] != "RUNNING":
            raise conflict(
                f"The durable execution {record['arn']} is {record['status']} and cannot be paused."
            )
        now = time.time()
        record["pause"] = {
            "PauseRequestTimestamp": now,
            "ExecutionTimeoutPaused": bool(params.get("ExecutionTimeoutPaused")),
        }
        if params.get("Reason"):
            record["pause"]["Reason"] = params["Reason"]
        # Between invocations the execution pauses at once; during one, at its next checkpoint.
        record["status"] = "PAUSING" if record.get("invoking") else "PAUSED"
        paused = copy.deepcopy(record["pause"])
        if "Reason" in paused:
            paused["Reason"] = {"Payload": paused["Reason"]}
        self._event(record, "ExecutionPaused", record["operations"][0]["Id"], ExecutionPausedDetails=paused)
        self.durable_executions.put(scope, key, record)
        return {}

    def resume_durable_execution(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, key, record = self._execution(context, params["DurableExecutionArn"])
        if record["status"] not in ("PAUSED", "PAUSING"):
            raise conflict(
                f"The durable execution {record['arn']} is {record['status']} and cannot be resumed."
            )
        now = time.time()
        pause = record.pop("pause")
        if pause.get("ExecutionTimeoutPaused"):
            record["paused_for"] = record.get("paused_for", 0.0) + now - pause["PauseRequestTimestamp"]
        record["status"] = "RUNNING"
        resumed: dict[str, Any] = {"ResumeRequestTimestamp": now}
        if params.get("Reason"):
            resumed["Reason"] = {"Payload": params["Reason"]}
        self._event(
            record, "ExecutionResumed", record["operations"][0]["Id"], ExecutionResumedDetails=resumed
        )
        # Resuming invokes the function only for what completed or came due while it was paused;
        # during an invocation (PAUSING), the running drive carries on by itself.
        woken = not record.get("invoking") and record.pop("woken", False)
        self.durable_executions.put(scope, key, record)
        due = self._next_due(record)
        if woken:
            self._spawn_drive(scope, key)
        elif due is not None and not record.get("invoking"):
            self._spawn_drive(scope, key, delay=max(0.0, due - now))
        return {}

    def delete_durable_execution(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, key, record = self._execution(context, params["DurableExecutionArn"])
        if record["status"] not in TERMINAL:
            raise conflict(
                f"The durable execution {record['arn']} is {record['status']}: only ended executions can be deleted."
            )
        for op in record["operations"]:
            callback = (op.get("CallbackDetails") or {}).get("CallbackId")
            if callback:
                self.durable_callbacks.delete(scope, callback)
        self.durable_executions.delete(scope, key)
        return {"DeletionRequestTimestamp": time.time()}
