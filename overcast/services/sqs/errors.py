"""SQS's errors, worded as SQS words them (codes resolve to the query API's
`AWS.SimpleQueueService.*` codes through the protocol layer's legacy model)."""

from __future__ import annotations

from overcast.common.tagging import TagProblem, TagRules, refusals
from overcast.errors import ServiceError


def queue_does_not_exist() -> ServiceError:
    return ServiceError("QueueDoesNotExist", "The specified queue does not exist.")


def invalid_parameter(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message)


def invalid_value(value: object, name: str, reason: str) -> ServiceError:
    return invalid_parameter(f"Value {value} for parameter {name} is invalid. Reason: {reason}")


def missing_parameter(name: str) -> ServiceError:
    return ServiceError("MissingParameter", f"The request must contain the parameter {name}.")


def unknown_attribute(name: str) -> ServiceError:
    return ServiceError("InvalidAttributeName", f"Unknown Attribute {name}.")


def invalid_attribute_value(name: str, reason: str = "") -> ServiceError:
    suffix = f" Reason: {reason}" if reason else ""
    return ServiceError("InvalidAttributeValue", f"Invalid value for the parameter {name}.{suffix}")


def receipt_handle_invalid(handle: str) -> ServiceError:
    return ServiceError(
        "ReceiptHandleIsInvalid", f'The input receipt handle "{handle}" is not a valid receipt handle.'
    )


def receipt_handle_expired(handle: str) -> ServiceError:
    return invalid_value(handle, "ReceiptHandle", "The receipt handle has expired.")


def not_available_for_visibility(handle: str) -> ServiceError:
    return invalid_value(
        handle, "ReceiptHandle", "Message does not exist or is not available for visibility timeout change."
    )


def resource_not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, 404)


def fifo_only_attribute(name: str) -> ServiceError:
    return ServiceError(
        "InvalidAttributeName", f"You can specify the {name} only when FifoQueue is set to true."
    )


def tag_rules(queue_name: str) -> TagRules:
    """SQS's tag limits, with its errors for tags of queue `queue_name`."""
    too_many = f"Too many tags added for queue {queue_name}.".replace("{", "{{").replace("}", "}}")
    return TagRules(refuse=refusals("InvalidParameterValue", {TagProblem.TOO_MANY: too_many}))
