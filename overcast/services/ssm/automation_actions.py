"""Automation's step actions, each run for real on Overcast's own services:
aws:executeAwsApi (the named operation of the named service, outputs by selector),
aws:assertAwsResourceProperty, aws:waitForAwsResourceProperty, aws:invokeLambdaFunction,
aws:sleep, aws:pause and aws:approve (resumed by SendAutomationSignal), aws:branch,
aws:runCommand (through Run Command), aws:executeAutomation (a child execution) and
aws:executeScript (automation_script.py). aws:updateVariable and aws:loop are the
engine's own.
An action not listed fails its step, saying so, as AWS reports a failed step."""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ssm import templating

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

#: Seconds between two reads of aws:waitForAwsResourceProperty.
POLL_SECONDS = 1.0
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


class StepFailed(Exception):
    """The step's action failed; the message is the step's FailureMessage."""


@dataclass
class StepRun:
    """One step being run: what its action needs and what it reports."""

    provider: Provider
    execution_id: str
    account: str
    region: str
    principal: str
    step: dict
    inputs: dict
    outputs: dict[str, Any] = field(default_factory=dict)
    #: The response selectors read (executeAwsApi, invokeLambdaFunction).
    response: Any = None
    #: aws:branch's choice of the next step.
    next_step: str | None = None


def plain(value: Any) -> Any:
    """An operation's output as JSON would carry it (dates as ISO text, bytes as text)."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode()
        except UnicodeDecodeError:
            return base64.b64encode(bytes(value)).decode()
    return value


async def call_api(run: StepRun, service: str, api: str, params: dict) -> dict:
    """Call operation `api` of `service` as the execution's principal, through the handler
    the HTTP path calls, after botocore's own check of the input against the model."""
    from botocore.exceptions import UnknownServiceError
    from botocore.validate import ParamValidator

    from overcast import protocols

    runtime = run.provider.runtime
    try:
        model = protocols.service_model(service)
    except (UnknownServiceError, KeyError, ValueError):
        raise StepFailed(f"The service {service} is not an AWS service name.") from None
    try:
        operation = model.operation_model(api)
    except Exception:
        raise StepFailed(f"The API {api} is not an operation of {service}.") from None
    report = ParamValidator().validate(params, operation.input_shape)
    if report.has_errors():
        raise StepFailed(f"Invalid input for {service}.{api}: {report.generate_report()}")
    handler = runtime.handler(service, api) if runtime.serves(service) else None
    if handler is None:
        raise StepFailed(f"{service}.{api} is not available in this Overcast.")
    context = RequestContext.internal(service, run.account, run.region, run.principal)
    context.service_model, context.operation = model, operation
    try:
        result = handler(context, params)
        if inspect.isawaitable(result):
            result = await result
    except ServiceError as error:
        raise StepFailed(
            f"An error occurred ({error.code}) when calling the {api} operation: {error.message}"
        ) from None
    return plain(result or {})


def _api_inputs(inputs: dict, *reserved: str) -> tuple[str, str, dict]:
    service, api = inputs.get("Service"), inputs.get("Api")
    if not isinstance(service, str) or not isinstance(api, str):
        raise StepFailed("The step's inputs need Service and Api.")
    params = {key: value for key, value in inputs.items() if key not in ("Service", "Api", *reserved)}
    return service.lower(), api[0].upper() + api[1:], params


async def execute_aws_api(run: StepRun) -> None:
    service, api, params = _api_inputs(run.inputs)
    run.response = await call_api(run, service, api, params)


def _property(run: StepRun, response: dict) -> list[Any]:
    selector = run.inputs.get("PropertySelector")
    if not isinstance(selector, str):
        raise StepFailed("The step's inputs need a PropertySelector.")
    try:
        return templating.select(response, selector)
    except ValueError as error:
        raise StepFailed(str(error)) from None


def _matches(found: list[Any], desired: list[Any]) -> bool:
    wanted = {templating.output_strings(value)[0] for value in desired}
    return bool(found) and all(templating.output_strings(value)[0] in wanted for value in found)


async def assert_property(run: StepRun) -> None:
    service, api, params = _api_inputs(run.inputs, "PropertySelector", "DesiredValues")
    desired = run.inputs.get("DesiredValues") or []
    found = _property(run, await call_api(run, service, api, params))
    if not _matches(found, desired):
        raise StepFailed(
            f"Expected values {desired} but found {templating.output_strings(found)} for property "
            f"{run.inputs.get('PropertySelector')}."
        )


async def wait_for_property(run: StepRun) -> None:
    service, api, params = _api_inputs(run.inputs, "PropertySelector", "DesiredValues")
    desired = run.inputs.get("DesiredValues") or []
    while True:
        found = _property(run, await call_api(run, service, api, params))
        if _matches(found, desired):
            return
        # The step's timeoutSeconds (the engine's) ends a wait that never matches.
        await asyncio.sleep(POLL_SECONDS)


async def invoke_lambda(run: StepRun) -> None:
    inputs = run.inputs
    params: dict[str, Any] = {"FunctionName": inputs.get("FunctionName")}
    for member in ("Qualifier", "InvocationType", "LogType", "ClientContext"):
        if inputs.get(member) is not None:
            params[member] = inputs[member]
    payload = inputs.get("Payload")
    if payload is None and inputs.get("InputPayload") is not None:
        payload = json.dumps(inputs["InputPayload"])
    if payload is not None:
        params["Payload"] = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
    response = await call_api(run, "lambda", "Invoke", params)
    run.response = response
    run.outputs.update(
        {
            key: response[key]
            for key in ("StatusCode", "FunctionError", "LogResult", "Payload")
            if key in response
        }
    )
    if "FunctionError" in response:
        raise StepFailed(f"The Lambda function returned an error: {response.get('Payload', '')}")


def duration_seconds(text: str) -> float:
    match = _DURATION.match(text or "")
    if match is None or not any(match.groups()):
        raise StepFailed(f"Duration {text} is not an ISO 8601 duration such as PT10M.")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return float(((days * 24 + hours) * 60 + minutes) * 60 + seconds)


async def sleep(run: StepRun) -> None:
    if run.inputs.get("Timestamp"):
        try:
            until = datetime.fromisoformat(str(run.inputs["Timestamp"]).replace("Z", "+00:00"))
        except ValueError:
            raise StepFailed(f"Timestamp {run.inputs['Timestamp']} is not ISO 8601.") from None
        if until.tzinfo is None:
            until = until.replace(tzinfo=UTC)
        seconds = until.timestamp() - time.time()
    else:
        seconds = duration_seconds(str(run.inputs.get("Duration", "")))
    await asyncio.sleep(max(0.0, seconds))


#: Branch operators: choice key → test of (variable value, operand).
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "StringEquals": lambda v, o: str(v) == str(o),
    "EqualsIgnoreCase": lambda v, o: str(v).lower() == str(o).lower(),
    "StartsWith": lambda v, o: str(v).startswith(str(o)),
    "EndsWith": lambda v, o: str(v).endswith(str(o)),
    "Contains": lambda v, o: (str(o) in v) if isinstance(v, (list, str)) else str(o) in str(v),
    "NumericEquals": lambda v, o: float(v) == float(o),
    "NumericGreater": lambda v, o: float(v) > float(o),
    "NumericLesser": lambda v, o: float(v) < float(o),
    "NumericGreaterOrEquals": lambda v, o: float(v) >= float(o),
    "NumericLesserOrEquals": lambda v, o: float(v) <= float(o),
    "BooleanEquals": lambda v, o: str(v).lower() == str(o).lower(),
}


def choice_holds(choice: dict) -> bool:
    if "And" in choice:
        return all(choice_holds(part) for part in choice["And"])
    if "Or" in choice:
        return any(choice_holds(part) for part in choice["Or"])
    if "Not" in choice:
        return not choice_holds(choice["Not"])
    for key, test in _OPERATORS.items():
        if key in choice:
            try:
                return test(choice.get("Variable"), choice[key])
            except (TypeError, ValueError):
                return False
    raise StepFailed(f"The choice {choice} names no operator.")


async def branch(run: StepRun) -> None:
    for choice in run.inputs.get("Choices") or []:
        if choice_holds(choice):
            run.next_step = choice.get("NextStep")
            return
    default = run.inputs.get("Default")
    if not default:
        raise StepFailed("No choice matched and the step has no Default.")
    run.next_step = default


def _string_lists(values: dict) -> dict[str, list[str]]:
    """Document parameter values as SSM's APIs take them (each a list of strings)."""
    return {key: templating.output_strings(value) for key, value in (values or {}).items()}


_COMMAND_DONE = frozenset({"Success", "Failed", "TimedOut", "Cancelled"})
_AUTOMATION_DONE = frozenset({"Success", "Failed", "TimedOut", "Cancelled", "Rejected", "CompletedWithSuccess",
                              "CompletedWithFailure"})  # fmt: skip


async def run_command(run: StepRun) -> None:
    """Send the command through Run Command and wait for it to end."""
    params = {key: value for key, value in run.inputs.items() if key != "Parameters"}
    if run.inputs.get("Parameters"):
        params["Parameters"] = _string_lists(run.inputs["Parameters"])
    for key in ("InstanceIds",):
        if isinstance(params.get(key), str):
            params[key] = [params[key]]
    command = (await call_api(run, "ssm", "SendCommand", params))["Command"]
    while command["Status"] not in _COMMAND_DONE:
        await asyncio.sleep(POLL_SECONDS)
        listed = await call_api(run, "ssm", "ListCommands", {"CommandId": command["CommandId"]})
        command = listed["Commands"][0]
    run.outputs.update(CommandId=command["CommandId"], Status=command["Status"])
    if command["Status"] != "Success":
        raise StepFailed(f"Command {command['CommandId']} ended {command['Status']}.")


async def execute_automation(run: StepRun) -> None:
    """Run another automation document as a child execution and wait for it to end."""
    params: dict[str, Any] = {"DocumentName": run.inputs.get("DocumentName")}
    for member in ("DocumentVersion", "TargetParameterName", "Targets", "TargetMaps", "MaxConcurrency", "MaxErrors",
                   "Tags", "TargetLocations"):  # fmt: skip
        if run.inputs.get(member) is not None:
            params[member] = run.inputs[member]
    if run.inputs.get("RuntimeParameters"):
        params["Parameters"] = _string_lists(run.inputs["RuntimeParameters"])
    child_id = (await call_api(run, "ssm", "StartAutomationExecution", params))["AutomationExecutionId"]
    run.provider.mark_nested(run.account, run.region, child_id, run.execution_id)
    while True:
        child = (await call_api(run, "ssm", "GetAutomationExecution", {"AutomationExecutionId": child_id}))[
            "AutomationExecution"
        ]
        if child["AutomationExecutionStatus"] in _AUTOMATION_DONE:
            break
        await asyncio.sleep(POLL_SECONDS)
    run.outputs.update(
        ExecutionId=child_id,
        Status=child["AutomationExecutionStatus"],
        Output=json.dumps(child.get("Outputs") or {}),
    )
    if child["AutomationExecutionStatus"] != "Success":
        raise StepFailed(f"Automation execution {child_id} ended {child['AutomationExecutionStatus']}.")


Action = Callable[[StepRun], Awaitable[None]]
ACTIONS: dict[str, Action] = {
    "aws:executeAwsApi": execute_aws_api,
    "aws:assertAwsResourceProperty": assert_property,
    "aws:waitForAwsResourceProperty": wait_for_property,
    "aws:invokeLambdaFunction": invoke_lambda,
    "aws:sleep": sleep,
    "aws:branch": branch,
    "aws:runCommand": run_command,
    "aws:executeAutomation": execute_automation,
}


def _script(run: StepRun) -> Awaitable[None]:
    from overcast.services.ssm.automation_script import execute_script

    return execute_script(run)


ACTIONS["aws:executeScript"] = _script
#: Actions that wait for SendAutomationSignal (the engine runs them).
WAITING = frozenset({"aws:pause", "aws:approve"})
