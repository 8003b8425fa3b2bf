"""Queue attributes: which exist, their defaults, and AWS's validation of each."""

from __future__ import annotations

import json
import re

from overcast.common import jsontext
from overcast.services.sqs import errors

#: Integer attributes: (least, greatest, default).
INTEGERS: dict[str, tuple[int, int, int]] = {
    "DelaySeconds": (0, 900, 0),
    "MaximumMessageSize": (1024, 1_048_576, 1_048_576),
    "MessageRetentionPeriod": (60, 1_209_600, 345_600),
    "ReceiveMessageWaitTimeSeconds": (0, 20, 0),
    "VisibilityTimeout": (0, 43_200, 30),
    "KmsDataKeyReusePeriodSeconds": (60, 86_400, 300),
}
BOOLEANS = frozenset({"FifoQueue", "ContentBasedDeduplication", "SqsManagedSseEnabled"})
ENUMS: dict[str, tuple[str, ...]] = {
    "DeduplicationScope": ("queue", "messageGroup"),
    "FifoThroughputLimit": ("perQueue", "perMessageGroupId"),
}
FIFO_ONLY = frozenset({"FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"})
#: Computed when asked for, never set.
COMPUTED = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
)
SETTABLE = frozenset(INTEGERS) | BOOLEANS | frozenset(ENUMS) | {
    "Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId",
}  # fmt: skip

#: What a new queue starts with (the rest are absent until set).
STANDARD_DEFAULTS = {
    "DelaySeconds": "0",
    "MaximumMessageSize": "1048576",
    "MessageRetentionPeriod": "345600",
    "ReceiveMessageWaitTimeSeconds": "0",
    "VisibilityTimeout": "30",
    "SqsManagedSseEnabled": "true",
}
FIFO_DEFAULTS = {
    **STANDARD_DEFAULTS,
    "FifoQueue": "true",
    "ContentBasedDeduplication": "false",
    "DeduplicationScope": "queue",
    "FifoThroughputLimit": "perQueue",
}
#: Attributes that, set to these values, are dropped (AWS stops listing them).
DROPPED_WHEN = {"KmsMasterKeyId": "", "KmsDataKeyReusePeriodSeconds": "300", "RedrivePolicy": "", "Policy": "",
                "RedriveAllowPolicy": ""}  # fmt: skip

MAX_RECEIVE_COUNT = (1, 1000)
_INTEGER_TEXT = re.compile(r"-?[0-9]{1,20}")


def normalize(name: str, value: str, fifo: bool, creating: bool) -> str:
    """The stored form of one attribute a client sets, or the error AWS answers."""
    if name not in SETTABLE:
        raise errors.unknown_attribute(name)
    if name in FIFO_ONLY and not fifo:
        if name in ENUMS:
            raise errors.fifo_only_attribute(name)
        raise errors.unknown_attribute(name)
    if name == "FifoQueue" and not creating and value.strip().lower() != "true":
        raise errors.invalid_attribute_value(name, "Modifying queue type is not supported.")
    if name in INTEGERS:
        low, high, _ = INTEGERS[name]
        text = value.strip()
        # ASCII digits only, and few of them: int() reads other scripts' digits, and refuses
        # (ValueError) a string of more than 4,300 digits.
        if not (_INTEGER_TEXT.fullmatch(text) and low <= int(text) <= high):
            raise errors.invalid_attribute_value(name)
        return str(int(text))
    if name in BOOLEANS:
        lowered = value.strip().lower()
        if lowered not in ("true", "false"):
            raise errors.invalid_attribute_value(name)
        return lowered
    if name in ENUMS:
        if value not in ENUMS[name]:
            raise errors.invalid_attribute_value(name)
        return value
    if name == "Policy":
        return _policy(value)
    if name == "RedriveAllowPolicy":
        return _redrive_allow_policy(value)
    if name == "RedrivePolicy" and value:
        # Stored as AWS answers it back: compact, maxReceiveCount a number.
        target, count = parse_redrive_policy(value)
        return json.dumps({"deadLetterTargetArn": target, "maxReceiveCount": count}, separators=(",", ":"))
    return value


def _json_map(name: str, value: str) -> dict:
    try:
        document = jsontext.loads(value)
    except ValueError:
        raise errors.invalid_attribute_value(name) from None
    if not isinstance(document, dict):
        raise errors.invalid_attribute_value(name)
    return document


def _policy(value: str) -> str:
    if value == "":
        return value
    document = _json_map("Policy", value)
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise errors.invalid_attribute_value("Policy", "Policy document must contain a Statement.")
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") not in ("Allow", "Deny"):
            raise errors.invalid_attribute_value(
                "Policy", "Each statement must have an Effect of Allow or Deny."
            )
        if "Action" not in statement and "NotAction" not in statement:
            raise errors.invalid_attribute_value("Policy", "Each statement must name an Action.")
    return value


def parse_redrive_policy(value: str) -> tuple[str, int]:
    """(deadLetterTargetArn, maxReceiveCount) of a RedrivePolicy, validated as AWS does."""
    document = _json_map("RedrivePolicy", value)

    def invalid(reason: str):
        return errors.invalid_value(value, "RedrivePolicy", reason)

    # Mandatory attributes first, maxReceiveCount before deadLetterTargetArn: AWS answers a policy
    # spelled {"MaxReceiveCount", "DeadLetterTargetArn"} with the missing maxReceiveCount.
    for key in ("maxReceiveCount", "deadLetterTargetArn"):
        if key not in document:
            raise invalid(f"Redrive policy does not contain mandatory attribute: {key}.")
    for key in document:
        if key not in ("deadLetterTargetArn", "maxReceiveCount"):
            raise invalid("Only following attributes are supported: [deadLetterTargetArn, maxReceiveCount].")
    target = document["deadLetterTargetArn"]
    count = document["maxReceiveCount"]
    try:
        number = int(count)
    except (TypeError, ValueError):
        number = None
    if (
        isinstance(count, bool)
        or number is None
        or not MAX_RECEIVE_COUNT[0] <= number <= MAX_RECEIVE_COUNT[1]
    ):
        raise invalid(
            f"Invalid value for maxReceiveCount: {count}, valid values are from 1 to 1000 both inclusive."
        )
    if not isinstance(target, str) or target.count(":") != 5 or not target.startswith("arn:"):
        raise invalid("Invalid value for deadLetterTargetArn.")
    return target, number


_PERMISSIONS = ("allowAll", "denyAll", "byQueue")


def _redrive_allow_policy(value: str) -> str:
    if value == "":
        return value
    document = _json_map("RedriveAllowPolicy", value)

    def invalid(reason: str):
        return errors.invalid_value(value, "RedriveAllowPolicy", reason)

    permission = document.get("redrivePermission")
    if permission not in _PERMISSIONS:
        raise invalid("Amazon SQS can't create the redrive allow policy, as it’s in an unsupported format.")
    sources = document.get("sourceQueueArns")
    if permission == "byQueue":
        if not isinstance(sources, list) or not sources or not all(isinstance(a, str) for a in sources):
            raise invalid(
                "Amazon SQS can't create the redrive allow policy, as it’s in an unsupported format."
            )
        if len(sources) > 10:
            raise invalid(
                "Amazon SQS can't create the redrive allow policy. The maximum number of source queue ARNs you can specify is 10."
            )
    elif sources is not None:
        raise invalid("Amazon SQS can't create the redrive allow policy, as it’s in an unsupported format.")
    return value


def allows_redrive_from(allow_policy: str | None, source_arn: str) -> bool:
    if not allow_policy:
        return True
    document = json.loads(allow_policy)
    permission = document.get("redrivePermission")
    if permission == "denyAll":
        return False
    if permission == "byQueue":
        return source_arn in document.get("sourceQueueArns", ())
    return True


def int_value(attributes: dict[str, str], name: str) -> int:
    value = attributes.get(name)
    return int(value) if value else INTEGERS[name][2]
