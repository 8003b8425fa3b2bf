"""Delivery of matched events to targets, through the durable outbox (overcast/bus.py).

SQS, SNS and Lambda targets are handed to their services' `deliver` (SQS FIFO queues with the
target's MessageGroupId, the event id as deduplication id). Another event bus, a CloudWatch
Logs log group and an API destination are EventBridge's own work: their entries name the rule
and come back to this provider's `deliver`. Each entry retries on the target's RetryPolicy
(MaximumRetryAttempts, default 185; MaximumEventAgeInSeconds, default 86400: the retry waits
stop where the event would be older) and, when it fails for good, goes to the target's
DeadLetterConfig queue with AWS's message attributes (ERROR_CODE, ERROR_MESSAGE, RULE_ARN,
TARGET_ARN)."""

from __future__ import annotations

import logging
import time
import uuid
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from overcast.bus import DeliveryError
from overcast.common import jsontext
from overcast.config import tuning
from overcast.outbox import hold_seconds
from overcast.services.events import metrics
from overcast.services.events.transform import TransformError, extract, payload
from overcast.store import scope as store_scope

if TYPE_CHECKING:
    from overcast.services.events.provider import Provider

log = logging.getLogger(__name__)

DEFAULT_RETRIES = 185
DEFAULT_MAX_AGE = 86400
#: The longest wait between two retries (AWS backs off exponentially, with a ceiling).
_MAX_WAIT = 300.0
FAILURE_HANDLER = "events.target_failed"
#: Services whose deliver takes a message synchronously, so that the rule's transaction can
#: include it (another bus is not among them: a cycle of buses would recurse).
AT_ONCE = frozenset({"sqs", "sns", "lambda", "logs"})


def retry_delays(target: dict) -> tuple[float, ...]:
    """The waits before each retry: exponential from one second, capped, and cut where the
    event would exceed its maximum age."""
    policy = target.get("RetryPolicy") or {}
    retries = policy.get("MaximumRetryAttempts", DEFAULT_RETRIES)
    max_age = policy.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE)
    return _delays(retries, max_age, tuning("OVERCAST_EVENTS_RETRY_DELAY_SCALE"))


@lru_cache(maxsize=64)
def _delays(retries: int, max_age: int, scale: float) -> tuple[float, ...]:
    delays: list[float] = []
    elapsed = 0.0
    for retry in range(retries):
        wait = min(2.0**retry, _MAX_WAIT)
        if elapsed + wait > max_age:
            break
        elapsed += wait
        delays.append(wait * scale)
    return tuple(delays)


def _arn_parts(arn: str) -> list[str]:
    return arn.split(":", 5)


class DeliveryMixin:
    def start_delivery(self: Provider) -> None:  # type: ignore[misc]
        self.runtime.bus.register_failure_handler(FAILURE_HANDLER, self.target_failed)
        # OVERCAST_DELIVERY_HOLD_SECONDS holds every delivery in the outbox, on purpose.
        self._deliver_at_once = not hold_seconds()

    def dispatch(self: Provider, scope: str, rule: dict, target: dict, event: dict, text: str) -> None:  # type: ignore[misc]
        """Write one target's delivery of an event to the outbox (in the open transaction)."""
        arn = target["Arn"]
        parts = _arn_parts(arn)
        service = parts[2] if len(parts) > 2 else ""
        resource = parts[5] if len(parts) > 5 else ""
        options: dict[str, Any] = {}
        if arn.startswith("arn:aws:events:") and arn.endswith(":::"):
            # An archive rule's own target: the event is kept at once, in this transaction.
            try:
                self.keep_archived(scope, payload(target, event, text, rule))
            except TransformError:
                pass
            return
        if service == "events" and resource.startswith("event-bus/"):
            message: Any = event
            destination, options["forward"] = rule["Arn"], arn
        else:
            try:
                message = payload(target, event, text, rule)
            except TransformError as error:
                log.warning("EventBridge did not deliver to %s (rule %s): %s", arn, rule["Arn"], error)
                return
            destination = arn
            if service == "sqs" and resource.endswith(".fifo"):
                options["group_id"] = (target.get("SqsParameters") or {}).get("MessageGroupId")
                options["deduplication_id"] = event["id"]
            elif service == "kinesis":
                # The record's partition key, from the event (its id when the path finds none).
                path = (target.get("KinesisParameters") or {}).get("PartitionKeyPath")
                key = extract(event, path) if path else None
                options["partition_key"] = key if isinstance(key, str) else event["id"]
            elif service == "logs":
                destination, options["log_group"] = rule["Arn"], arn
                options["time"] = event.get("time")
                options["stream"] = event["id"]
            elif service == "events" and resource.startswith("api-destination/"):
                destination, options["api_destination"] = rule["Arn"], arn
                options["http"] = target.get("HttpParameters") or {}
        dimensions = metrics.rule_dimensions(rule.get("EventBusName") or "default", rule["Name"])
        metrics.count(self.runtime, scope, "Invocations", {}, dimensions)
        failure_args = {"rule": rule["Arn"], "target": arn, "event": text}
        dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn")
        if dead_letter:
            failure_args["dead_letter"] = dead_letter
        bus = self.runtime.bus
        if service in AT_ONCE and self._deliver_at_once:
            # A queue, topic or function takes the event at once, in this transaction: no
            # outbox row. Refused, it goes the durable way below, retried then dead-lettered.
            try:
                if bus.try_deliver(destination, message, **options):
                    return
            except DeliveryError:
                pass
        bus.deliver(
            destination, message, delays=retry_delays(target), on_failure=FAILURE_HANDLER,
            failure_args=failure_args, **options,
        )  # fmt: skip

    def deliver(self: Provider, target_arn: str, message: Any, **options: Any) -> Any:  # type: ignore[misc]
        """EventBridge's own deliveries: an event forwarded to another bus (this or another
        account or region), a log group's entry, an API destination's HTTP call."""
        if options.get("forward"):
            return self._forward(options["forward"], message, _arn_parts(target_arn)[4])
        if options.get("log_group"):
            return self._write_log(options["log_group"], message, options)
        if options.get("api_destination"):
            return self.invoke_api_destination(options["api_destination"], message, options.get("http") or {})
        raise DeliveryError(f"EventBridge cannot deliver to {target_arn}", retryable=False)

    def _forward(self: Provider, bus_arn: str, event: dict, sender: str) -> dict:  # type: ignore[misc]
        parts = _arn_parts(bus_arn)
        if len(parts) < 6 or not parts[5].startswith("event-bus/"):
            raise DeliveryError(f"not an event bus: {bus_arn}", retryable=False)
        scope = store_scope(parts[4], parts[3])
        name = parts[5][len("event-bus/") :]
        record = self.bus_record(scope, name)
        if record is None:
            raise DeliveryError(f"Event bus {name} does not exist.", retryable=False)
        if parts[4] != sender and not policy_allows(record.get("Policy"), sender):
            # Another account's bus takes events only where its policy lets the sender in.
            raise DeliveryError(
                f"Account {sender} is not authorized to put events on event bus {bus_arn}.", retryable=False
            )
        # A bus in another region gives the event an id of its own (AWS's recorded behaviour;
        # another account's bus in the same region keeps it).
        if parts[3] != event.get("region"):
            event = {**event, "id": str(uuid.uuid4())}
        self.route(scope, name, event)
        return {}

    def _write_log(self: Provider, group_arn: str, message: str, options: dict) -> dict:  # type: ignore[misc]
        parts = _arn_parts(group_arn)
        if len(parts) < 6 or not parts[5].startswith("log-group:"):
            raise DeliveryError(f"not a log group: {group_arn}", retryable=False)
        group = parts[5][len("log-group:") :].removesuffix(":*")
        account, region = parts[4], parts[3]
        if not self.runtime.serves("logs"):
            raise DeliveryError("Overcast does not run logs", retryable=False)
        logs = self.runtime.provider("logs")
        if not logs.group_exists(account, region, group):
            raise DeliveryError(f"The specified log group does not exist: {group}", retryable=False)
        stamp = _millis(options.get("time"))
        logs.write(
            account, region, group, options.get("stream") or "events", [(stamp, message)], create=False
        )
        return {}

    def target_failed(self: Provider, message: Any, reason: str, args: dict) -> None:  # type: ignore[misc]
        """A target that could not take an event: to its dead-letter queue, with AWS's
        attributes saying why, or logged when it has none."""
        dead_letter = args.get("dead_letter")
        rule_arn = args.get("rule") or ""
        parts = _arn_parts(rule_arn)
        if len(parts) == 6:
            scope = store_scope(parts[4], parts[3])
            dimensions = metrics.rule_arn_dimensions(rule_arn)
            metrics.count(self.runtime, scope, "FailedInvocations", {}, dimensions)
            if dead_letter:
                metrics.count(self.runtime, scope, "InvocationsSentToDlq", dimensions)
        if not dead_letter:
            log.warning(
                "EventBridge could not deliver to %s (rule %s): %s",
                args.get("target"),
                args.get("rule"),
                reason,
            )
            return
        code = "SDK_CLIENT_ERROR"
        if "does not exist" in reason or "not found" in reason.lower():
            code = "RESOURCE_NOT_FOUND"
        attributes = {
            "ERROR_CODE": {"DataType": "String", "StringValue": code},
            "ERROR_MESSAGE": {"DataType": "String", "StringValue": reason[:1000] or "delivery failed"},
            "RULE_ARN": {"DataType": "String", "StringValue": args["rule"]},
            "TARGET_ARN": {"DataType": "String", "StringValue": args["target"]},
        }
        self.runtime.bus.deliver(dead_letter, args["event"], attributes=attributes, attempts=3)


def policy_allows(policy_text: str | None, account: str) -> bool:
    """Whether a bus policy lets `account` put events: an Allow of events:PutEvents (or
    events:*) to "*" or to the account, with no Deny of it. A condition is met only by what
    Overcast can know: aws:PrincipalAccount; an account here belongs to no organization."""
    if not policy_text:
        return False
    try:
        statements = jsontext.loads(policy_text).get("Statement") or []
    except (ValueError, AttributeError):
        return False
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for statement in statements:
        if not isinstance(statement, dict) or not _names_put_events(statement.get("Action")):
            continue
        if not _names_account(statement.get("Principal"), account) or not _condition_met(
            statement.get("Condition"), account
        ):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def _names_put_events(action: Any) -> bool:
    actions = action if isinstance(action, list) else [action]
    return any(item in ("events:PutEvents", "events:*", "*") for item in actions)


def _names_account(principal: Any, account: str) -> bool:
    if principal == "*":
        return True
    values = principal.get("AWS") if isinstance(principal, dict) else None
    for value in values if isinstance(values, list) else [values]:
        if (
            value == "*"
            or value == account
            or (isinstance(value, str) and value.split(":")[4:5] == [account])
        ):
            return True
    return False


def _condition_met(condition: Any, account: str) -> bool:
    if not condition:
        return True
    for operator, tests in condition.items():
        if not isinstance(tests, dict):
            return False
        for key, expected in tests.items():
            wanted = expected if isinstance(expected, list) else [expected]
            if key.lower() != "aws:principalaccount" or operator not in ("StringEquals", "StringLike"):
                return False
            if account not in wanted:
                return False
    return True


def _millis(moment: Any) -> int:
    if isinstance(moment, str):
        try:
            from datetime import datetime

            return int(datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp() * 1000)
        except ValueError:
            pass
    return int(time.time() * 1000)
