"""What a schedule invokes, and how: every target is one API call, made on Overcast as the
schedule's execution role, as AWS makes it.

* Templated targets name a resource: a Lambda function (Invoke, asynchronous), an SQS queue
  (SendMessage; a FIFO queue with SqsParameters.MessageGroupId and the execution id as
  deduplication id), an SNS topic (Publish), an event bus (PutEvents with
  EventBridgeParameters), a Kinesis stream (PutRecord with KinesisParameters) where Overcast
  runs Kinesis, a Step Functions state machine (StartExecution) where it runs Step Functions.
* Universal targets, `arn:aws:scheduler:::aws-sdk:<service>:<apiAction>`, call that operation
  with the target's Input (JSON, the operation's members) as its parameters. <service> is the
  SDK's service identifier (sqs, dynamodb, cloudwatchlogs); AWS refuses read-only actions.

The Input's context attributes (<aws.scheduler.schedule-arn>, <aws.scheduler.scheduled-time>,
<aws.scheduler.execution-id>, <aws.scheduler.attempt-number>) are replaced at each attempt.

Under --enforce-iam the call is authorized as the role's session (the role must trust
scheduler.amazonaws.com, and its policies allow the action); without, as the account.

An invocation is a durable delivery (overcast/bus.py) to the schedule's own ARN, retried on
the target's RetryPolicy (exponential waits from one second, cut at MaximumEventAgeInSeconds;
waits run on the schedule clock, so OVERCAST_SCHEDULE_SPEED shortens them) and, when it fails
for good, sent to the DeadLetterConfig queue with the attributes AWS documents."""

from __future__ import annotations

import inspect
import json
import logging
import os
import time
from base64 import b64decode
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from overcast import protocols, services
from overcast.bus import DeliveryError
from overcast.common.arns import parse_arn, partition
from overcast.common.times import iso_seconds
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.http import Request
from overcast.outbox import hold_seconds
from overcast.policy import actions
from overcast.protocols.validation import validate_input
from overcast.services.base import overrides
from overcast.services.scheduler import errors, sealing

if TYPE_CHECKING:
    from overcast.services.scheduler.provider import Provider

log = logging.getLogger(__name__)

FAILURE_HANDLER = "scheduler.target_failed"
SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com"
UNIVERSAL_PREFIX = ":scheduler:::aws-sdk:"
#: AWS: "EventBridge Scheduler does not support read-only API actions ... that begin with".
READ_ONLY_PREFIXES = ("get", "describe", "list", "poll", "receive", "search", "scan", "query", "select",
                      "read", "lookup", "discover", "validate", "batchget", "batchdescribe", "batchread",
                      "transactget", "adminget", "adminlist", "testmigration", "retrieve", "testconnection",
                      "translatedocument", "isauthorized", "invokemodel")  # fmt: skip
#: The longest wait between two retries (AWS backs off exponentially, with a ceiling).
_MAX_WAIT = 300.0
#: Errors worth retrying even though the caller is at fault (AWS retries throttling).
_RETRIED_CODES = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException",
                            "ProvisionedThroughputExceededException", "RequestLimitExceeded"})  # fmt: skip
#: Role credentials are issued again when less than this is left of them.
_RENEW_MARGIN = 900.0


def universal_parts(arn: str) -> tuple[str, str] | None:
    """(SDK service identifier, apiAction) of a universal target's ARN, or None."""
    head, found, rest = arn.partition(UNIVERSAL_PREFIX)
    if not found or not head.startswith("arn:") or head.count(":") != 1:
        return None
    service, _, action = rest.partition(":")
    return (service, action) if service and action and ":" not in action else None


@lru_cache(maxsize=1)
def _sdk_services() -> dict[str, str]:
    """SDK service identifier (serviceId without spaces, lower case) → botocore service name,
    for the services Overcast runs."""
    found: dict[str, str] = {}
    for name in services.implemented():
        try:
            service_id = protocols.service_model(name).metadata.get("serviceId") or name
        except Exception:  # a service without a model of its own (none today)
            continue
        found[service_id.replace(" ", "").replace("-", "").lower()] = name
    return found


def resolve_universal(arn: str) -> tuple[str, str]:
    """(botocore service, operation name) a universal target ARN calls; ValidationException
    when it names no service or operation Overcast runs, or a read-only action."""
    parts = universal_parts(arn)
    if parts is None:
        raise errors.validation(f"Invalid target ARN {arn}.")
    sdk_service, action = parts
    if action.lower().startswith(READ_ONLY_PREFIXES):
        raise errors.validation(f"Read-only action {action} is not supported as a universal target.")
    service = _sdk_services().get(sdk_service.lower())
    if service is None:
        raise errors.validation(f"Service {sdk_service} in target ARN {arn} is not supported.")
    model = protocols.service_model(service)
    operation = next((name for name in model.operation_names if name.lower() == action.lower()), None)
    if operation is None:
        raise errors.validation(f"Action {action} of service {sdk_service} does not exist.")
    return service, operation


def check_target(target: dict, context: RequestContext) -> None:
    """ValidationException for a target AWS refuses when the schedule is written."""
    arn = target["Arn"]
    if universal_parts(arn) is not None:
        resolve_universal(arn)
        text = target.get("Input")
        if text is not None:
            try:
                value = json.loads(text)
            except ValueError:
                raise errors.validation("Input must be a valid JSON object.") from None
            if not isinstance(value, dict):
                raise errors.validation("Input must be a valid JSON object.")
    else:
        parsed = parse_arn(arn)
        if parsed is None or not parsed.service:
            raise errors.validation(f"Invalid target ARN {arn}.")
        if parsed.service == "events" and parsed.resource.startswith("event-bus/"):
            if not target.get("EventBridgeParameters"):
                raise errors.validation("EventBridgeParameters must be provided for an EventBridge target.")
        if parsed.service == "kinesis" and not target.get("KinesisParameters"):
            raise errors.validation("KinesisParameters must be provided for a Kinesis target.")
    dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn")
    if dead_letter is not None:
        parsed = parse_arn(dead_letter)
        if parsed is None or parsed.service != "sqs" or parsed.resource.endswith(".fifo"):
            raise errors.validation("DeadLetterConfig Arn must be the ARN of a standard SQS queue.")


def retry_delays(target: dict, speed: float) -> tuple[float, ...]:
    """Real seconds before each retry: exponential from one second, capped, cut where the
    invocation would outlive its maximum age, on the schedule clock (shortened by speed)."""
    policy = target.get("RetryPolicy") or {}
    return _delays(
        policy.get("MaximumRetryAttempts", 185), policy.get("MaximumEventAgeInSeconds", 86400), speed
    )


@lru_cache(maxsize=64)
def _delays(retries: int, max_age: int, speed: float) -> tuple[float, ...]:
    delays: list[float] = []
    elapsed = 0.0
    for retry in range(retries):
        wait = min(2.0**retry, _MAX_WAIT)
        if elapsed + wait > max_age:
            break
        elapsed += wait
        delays.append(wait / speed)
    return tuple(delays)


def with_context(
    text: str | None, schedule_arn: str, scheduled: float, execution: str, attempt: int
) -> str | None:
    """The Input with AWS's context attributes replaced."""
    if text is None or "<aws.scheduler." not in text:
        return text
    return (
        text.replace("<aws.scheduler.schedule-arn>", schedule_arn)
        .replace("<aws.scheduler.scheduled-time>", iso_seconds(scheduled))
        .replace("<aws.scheduler.execution-id>", execution)
        .replace("<aws.scheduler.attempt-number>", str(attempt))
    )


def _queue_url(arn: str) -> str:
    parts = arn.split(":")
    return f"https://sqs.{parts[3]}.amazonaws.com/{parts[4]}/{parts[5]}"


def templated_call(
    target: dict, text: str | None, schedule_arn: str, execution: str
) -> tuple[str, str, dict]:
    """(service, operation, parameters) of a templated target's invocation."""
    arn = target["Arn"]
    parsed = parse_arn(arn)
    service = parsed.service if parsed is not None else ""
    resource = parsed.resource if parsed is not None else ""
    body = text if text is not None else ""
    if service == "lambda":
        return "lambda", "Invoke", {"FunctionName": arn, "InvocationType": "Event",
                                    "Payload": (text if text is not None else "{}").encode()}  # fmt: skip
    if service == "sqs":
        params: dict[str, Any] = {"QueueUrl": _queue_url(arn), "MessageBody": body}
        if resource.endswith(".fifo"):
            params["MessageGroupId"] = (target.get("SqsParameters") or {}).get("MessageGroupId")
            params["MessageDeduplicationId"] = execution
        return "sqs", "SendMessage", {k: v for k, v in params.items() if v is not None}
    if service == "sns":
        return "sns", "Publish", {"TopicArn": arn, "Message": body}
    if service == "events" and resource.startswith("event-bus/"):
        parameters = target.get("EventBridgeParameters") or {}
        entry = {"EventBusName": arn, "Source": parameters.get("Source"), "DetailType": parameters.get("DetailType"),
                 "Detail": text if text is not None else "{}", "Resources": [schedule_arn]}  # fmt: skip
        return "events", "PutEvents", {"Entries": [entry]}
    if service == "kinesis":
        key = (target.get("KinesisParameters") or {}).get("PartitionKey")
        return "kinesis", "PutRecord", {"StreamARN": arn, "PartitionKey": key, "Data": body.encode()}
    if service == "states":
        return (
            "stepfunctions",
            "StartExecution",
            {"stateMachineArn": arn, "input": text if text is not None else "{}"},
        )
    raise DeliveryError(f"AWS.Scheduler.UnsupportedTarget: Overcast cannot invoke {arn}", retryable=False)


def coerce(shape: Any, value: Any, path: str = "") -> Any:
    """A JSON value as the operation's parser would give it for `shape`: timestamps as
    datetimes, blobs as bytes; DeliveryError for a value of the wrong kind."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            raise _bad_input(path or "Input", "an object")
        out = {}
        for given, item in value.items():
            # The API's own member names; PascalCase also names a camelCase API's members.
            name = given if given in shape.members else _folded_members(shape).get(given.lower(), given)
            member = shape.members.get(name)
            if member is None:
                raise DeliveryError(f"ValidationException: Unknown parameter {path + given} in Input.", False)
            out[name] = coerce(member, item, f"{path}{name}.")
        return out
    if kind == "list":
        if not isinstance(value, list):
            raise _bad_input(path.rstrip("."), "a list")
        return [coerce(shape.member, item, path) for item in value]
    if kind == "map":
        if not isinstance(value, dict):
            raise _bad_input(path.rstrip("."), "an object")
        return {key: coerce(shape.value, item, path) for key, item in value.items()}
    if kind == "timestamp":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise _bad_input(path.rstrip("."), "a timestamp") from None
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        raise _bad_input(path.rstrip("."), "a timestamp")
    if kind == "blob":
        if isinstance(value, str):
            try:
                return b64decode(value, validate=True)
            except ValueError:
                return value.encode()
        raise _bad_input(path.rstrip("."), "a string")
    if kind == "boolean" and not isinstance(value, bool):
        raise _bad_input(path.rstrip("."), "a boolean")
    if kind in ("integer", "long") and (isinstance(value, bool) or not isinstance(value, int)):
        raise _bad_input(path.rstrip("."), "an integer")
    if kind in ("float", "double") and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise _bad_input(path.rstrip("."), "a number")
    if kind == "string" and not isinstance(value, str):
        raise _bad_input(path.rstrip("."), "a string")
    return value


@lru_cache(maxsize=1024)
def _folded_members(shape: Any) -> dict[str, str]:
    return {name.lower(): name for name in shape.members}


def _bad_input(member: str, kind: str) -> DeliveryError:
    return DeliveryError(f"ValidationException: Input member {member} must be {kind}.", retryable=False)


def error_parts(reason: str) -> tuple[str, str]:
    """(code, message) of a failure reason worded "Code: message"."""
    code, found, message = reason.partition(": ")
    if found and code and " " not in code:
        return code, message
    return "AWS.Scheduler.InternalServerError", reason


class TargetsMixin:
    def start_targets(self: Provider) -> None:  # type: ignore[misc]
        self.runtime.bus.register_failure_handler(FAILURE_HANDLER, self.target_failed)
        #: execution id → (attempts made, whether the last failure was worth retrying): the
        #: attempt number of <aws.scheduler.attempt-number> and the dead letter's attributes.
        self._attempts: dict[str, tuple[int, bool]] = {}
        #: role ARN → (identity record of its session, when to renew it)
        self._sessions: dict[str, tuple[dict, float]] = {}

    def forget_sessions(self: Provider) -> None:  # type: ignore[misc]
        self._sessions.clear()

    @property
    def enforcing_iam(self: Provider) -> bool:  # type: ignore[misc]
        return bool(getattr(self.runtime.config, "enforce_iam", False))

    def invoke(self: Provider, record: dict, scheduled: float) -> None:  # type: ignore[misc]
        """One invocation of a schedule's target, in the open store transaction: made at once
        when the target's operation answers synchronously (its writes join the transaction),
        else, or when it must be retried, enqueued as a durable delivery."""
        target = record["Target"]
        execution = os.urandom(8).hex()
        failure_args: dict[str, Any] = {"schedule": record["Arn"], "target": target["Arn"], "execution": execution,
                                        "scheduled": scheduled, "retries": (target.get("RetryPolicy") or {}),
                                        "role": target["RoleArn"]}  # fmt: skip
        dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn")
        if dead_letter:
            failure_args["dead_letter"] = dead_letter
        message = sealing.sealed_input(record)
        options = {"target": target, "scheduled": scheduled, "execution": execution}
        delays = retry_delays(target, self.runtime.scheduler.speed)
        bus = self.runtime.bus
        if not hold_seconds():  # OVERCAST_DELIVERY_HOLD_SECONDS holds every delivery, on purpose
            try:
                if bus.try_deliver(record["Arn"], message, **options):
                    return
            except DeliveryError as error:
                if not error.retryable or not delays:
                    self.target_failed(message, str(error), failure_args)
                    return
                delays = delays[1:]  # that was the first attempt: the retries go on durably
        bus.deliver(
            record["Arn"],
            message,
            delays=delays,
            on_failure=FAILURE_HANDLER,
            failure_args=failure_args,
            **options,
        )

    def deliver(self: Provider, target_arn: str, message: Any, **options: Any) -> Any:  # type: ignore[misc]
        """One attempt at a schedule's invocation (the bus hands it back here): done before
        this returns when the target's operation is synchronous, else a coroutine doing it."""
        target = options["target"]
        if self._asynchronous(target):
            return self._attempt_async(
                target_arn, message, target, options["scheduled"], options["execution"]
            )
        call = self._prepare(target_arn, message, target, options["scheduled"], options["execution"])
        try:
            output = call.handler(call.context, call.params)
        except ServiceError as error:
            self._observed(call, None, error)
            raise self._refused(call.execution, call.attempt, _delivery_error(error)) from None
        self._observed(call, output, None)
        self._succeeded(call, output)
        return output

    async def _attempt_async(  # type: ignore[misc]
        self: Provider, schedule_arn: str, message: Any, target: dict, scheduled: float, execution: str
    ) -> None:
        call = self._prepare(schedule_arn, message, target, scheduled, execution)
        try:
            output = call.handler(call.context, call.params)
            if inspect.isawaitable(output):
                output = await output
        except ServiceError as error:
            self._observed(call, None, error)
            raise self._refused(call.execution, call.attempt, _delivery_error(error)) from None
        self._observed(call, output, None)
        self._succeeded(call, output)

    def _observed(self: Provider, call: _Call, output: Any, error: ServiceError | None) -> None:  # type: ignore[misc]
        """The call answered, as every request is observed: CloudTrail records it (made by
        the Scheduler, its source and agent scheduler.amazonaws.com, as on AWS)."""
        self.runtime.hooks(call.context.service).observe(call.context, call.params, output, error)

    def _asynchronous(self: Provider, target: dict) -> bool:  # type: ignore[misc]
        try:
            if universal_parts(target["Arn"]) is not None:
                service, operation = resolve_universal(target["Arn"])
            else:
                service, operation, _ = templated_call(target, "", "", "")
        except (ServiceError, DeliveryError):
            return False  # refused when prepared
        if not self.runtime.serves(service):
            return False
        return inspect.iscoroutinefunction(self.runtime.handler(service, operation))

    def _prepare(  # type: ignore[misc]
        self: Provider, schedule_arn: str, message: Any, target: dict, scheduled: float, execution: str
    ) -> _Call:
        """The attempt's call, authorized and checked; DeliveryError when it cannot be made."""
        attempt = self._attempts.get(execution, (0, True))[0] + 1
        self._attempts[execution] = (attempt, True)
        if len(self._attempts) > 100_000:
            self._attempts.clear()
        parts = schedule_arn.split(":")
        try:
            if isinstance(message, dict) and self.enforcing_iam:
                self._role_may(target["RoleArn"], parts[3], "kms:Decrypt", message.get("key") or "*")
            text = with_context(
                sealing.open_input(self.runtime, schedule_arn, message),
                schedule_arn,
                scheduled,
                execution,
                attempt,
            )
            if universal_parts(target["Arn"]) is not None:
                service, operation = resolve_universal_for_delivery(target["Arn"])
                model = protocols.service_model(service)
                try:
                    raw = json.loads(text) if text else {}
                except ValueError:
                    raise DeliveryError("ValidationException: Input is not valid JSON.", False) from None
                params = coerce(model.operation_model(operation).input_shape, raw)
            else:
                service, operation, params = templated_call(target, text, schedule_arn, execution)
            context, handler = self._context_for(
                target["RoleArn"], parts[4], parts[3], service, operation, params
            )
        except DeliveryError as error:
            raise self._refused(execution, attempt, error) from None
        return _Call(context, handler, params, execution, attempt)

    def _refused(self: Provider, execution: str, attempt: int, error: DeliveryError) -> DeliveryError:  # type: ignore[misc]
        self._attempts[execution] = (attempt, error.retryable)
        return error

    def _succeeded(self: Provider, call: _Call, output: Any) -> None:  # type: ignore[misc]
        if call.context.operation_name == "PutEvents" and (output or {}).get("FailedEntryCount"):
            failed = output["Entries"][0]
            error = DeliveryError(f"{failed.get('ErrorCode')}: {failed.get('ErrorMessage')}", retryable=False)
            raise self._refused(call.execution, call.attempt, error)
        self._attempts.pop(call.execution, None)

    def _context_for(  # type: ignore[misc]
        self: Provider, role_arn: str, account: str, region: str, service: str, operation: str, params: dict
    ) -> tuple[RequestContext, Any]:
        """The context of a call made as the role's session (authorized under --enforce-iam)
        and the operation's handler; DeliveryError("Code: message") when it is refused."""
        if service not in services.implemented() or not self.runtime.serves(service):
            raise DeliveryError(f"AWS.Scheduler.UnsupportedTarget: Overcast does not run {service}.", False)
        model = protocols.service_model(service)
        operation_model = model.operation_model(operation)
        context = RequestContext.internal(service, account, region)
        # A call an AWS service makes on your behalf comes from that service.
        context.request = Request(
            "POST", "/", "", {"user-agent": SCHEDULER_PRINCIPAL}, client_ip=SCHEDULER_PRINCIPAL
        )
        context.service_model = model
        context.operation = operation_model
        context.protocol = model.protocol
        handler = self.runtime.handler(service, operation)
        if handler is None:
            raise DeliveryError(
                f"AWS.Scheduler.UnsupportedTarget: Overcast does not run {service} {operation}.", False
            )
        try:
            if self.enforcing_iam:
                self._as_role(context, role_arn, params)
            validate_input(operation_model, model.protocol, params)
            # The service's own checks, as for a request (Lambda's names, a function of another
            # account reached through its policy); for a call with no HTTP behind it they are
            # synchronous.
            provider = self.runtime.provider(service)
            if overrides(provider, "check_request"):
                checked = provider.check_request(context, params)
                if inspect.iscoroutine(checked):
                    checked.close()
        except ServiceError as error:
            raise _delivery_error(error) from None
        return context, handler

    def _as_role(self: Provider, context: RequestContext, role_arn: str, params: dict) -> None:  # type: ignore[misc]
        """Make the context the role's session and authorize the call (--enforce-iam)."""
        identity = self._role_session(role_arn, context.region)
        context.extra["identity"] = identity
        context.access_key_id = identity["AccessKeyId"]
        context.account = identity["Account"]
        context.principal_arn = identity["Arn"]
        context.principal_id = identity["UserId"]
        model = context.service_model
        assert model is not None
        prefix = model.metadata.get("signingName") or model.metadata.get("endpointPrefix") or context.service
        targets = actions.resolve(
            context.service, prefix, context.operation_name, params, context, partition(context.region)
        )
        if targets:
            self.runtime.provider("iam").authorize(context, params, targets)

    def _role_may(self: Provider, role_arn: str, region: str, action: str, resource: str) -> None:  # type: ignore[misc]
        """Raise DeliveryError unless the role's session may do `action` on `resource`: what
        the Scheduler does for a target besides its call (open a sealed Input with
        kms:Decrypt, send a dead letter with sqs:SendMessage)."""
        service = action.partition(":")[0]
        context = RequestContext.internal(service, role_arn.split(":")[4], region)
        context.protocol = "json"
        try:
            identity = self._role_session(role_arn, region)
            context.extra["identity"] = identity
            context.access_key_id = identity["AccessKeyId"]
            context.principal_arn = identity["Arn"]
            self.runtime.provider("iam").authorize(context, {}, [(action, resource)])
        except ServiceError as error:
            raise _delivery_error(error) from None

    def _role_session(self: Provider, role_arn: str, region: str) -> dict:  # type: ignore[misc]
        cached = self._sessions.get(role_arn)
        if cached is not None and time.time() < cached[1]:
            return cached[0]
        try:
            issued = self.runtime.provider("sts").credentials_for_service(
                role_arn, "scheduler", SCHEDULER_PRINCIPAL, region
            )
        except ServiceError as error:
            raise ServiceError("AccessDeniedException", f"EventBridge Scheduler cannot assume {role_arn}: "
                               f"{error.message}")  from None  # fmt: skip
        credentials = issued["Credentials"]
        identity = self.runtime.provider("iam").resolve_key(credentials["AccessKeyId"])
        if identity is None:
            raise ServiceError("AccessDeniedException", f"EventBridge Scheduler cannot assume {role_arn}.")
        self._sessions[role_arn] = (identity, credentials["Expiration"].timestamp() - _RENEW_MARGIN)
        return identity

    def target_failed(self: Provider, message: Any, reason: str, args: dict) -> None:  # type: ignore[misc]
        """An invocation that failed for good: to the dead-letter queue with AWS's attributes,
        or logged when the target has none."""
        execution = args["execution"]
        attempts, retryable = self._attempts.pop(execution, (1, False))
        dead_letter = args.get("dead_letter")
        if not dead_letter:
            log.warning("EventBridge Scheduler could not invoke %s (schedule %s): %s",
                        args["target"], args["schedule"], reason)  # fmt: skip
            return
        if self.enforcing_iam and args.get("role"):
            try:
                self._role_may(args["role"], dead_letter.split(":")[3], "sqs:SendMessage", dead_letter)
            except DeliveryError as refused:
                # AWS sends dead letters as the execution role: one it may not send is lost.
                log.warning("EventBridge Scheduler could not dead-letter an invocation of %s to %s: %s",
                            args["target"], dead_letter, refused)  # fmt: skip
                return
        code, text = error_parts(reason)
        attributes = {
            "ERROR_CODE": code,
            "ERROR_MESSAGE": text[:1000] or "invocation failed",
            "EXECUTION_ID": execution,
            "SCHEDULE_ARN": args["schedule"],
            "TARGET_ARN": args["target"],
            "RETRY_ATTEMPTS": str(max(attempts - 1, 0)),
        }
        if retryable:
            policy = args.get("retries") or {}
            exhausted = attempts - 1 >= policy.get("MaximumRetryAttempts", 185)
            attributes["EXHAUSTED_RETRY_CONDITION"] = (
                "MaximumRetryAttempts" if exhausted else "MaximumEventAgeInSeconds"
            )
        try:
            opened = sealing.open_input(self.runtime, args["schedule"], message)
        except DeliveryError:
            opened = None
        body = with_context(opened, args["schedule"], args["scheduled"], execution, attempts) or "{}"
        self.runtime.bus.deliver(
            dead_letter, body, attempts=3,
            attributes={name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()},
        )  # fmt: skip


@dataclass
class _Call:
    context: RequestContext
    handler: Any
    params: dict
    execution: str
    attempt: int


def _delivery_error(error: ServiceError) -> DeliveryError:
    retryable = error.status >= 500 or error.code in _RETRIED_CODES
    return DeliveryError(f"{error.code}: {error.message}", retryable=retryable)


def resolve_universal_for_delivery(arn: str) -> tuple[str, str]:
    try:
        return resolve_universal(arn)
    except ServiceError as error:
        raise DeliveryError(f"{error.code}: {error.message}", retryable=False) from None
