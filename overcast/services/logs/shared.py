"""What the Logs mixins share: key separator, clock, errors and the group lookup by name or ARN."""

from __future__ import annotations

import time
from typing import Any

from overcast.errors import ServiceError

SEP = "\x01"


def now_ms() -> int:
    return int(time.time() * 1000)


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message, 400)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, 400)


def invalid_operation(message: str) -> ServiceError:
    return ServiceError("InvalidOperationException", message, 400)


def bad_token() -> ServiceError:
    return invalid("The specified nextToken is invalid.")


def group_name_of(identifier: str) -> str:
    """A log group's name from its name or ARN (either form, with or without the `:*`)."""
    if identifier.startswith("arn:") and ":log-group:" in identifier:
        name = identifier.split(":log-group:", 1)[1]
        return name[:-2] if name.endswith(":*") else name
    return identifier


def validation(value: Any, member: str, constraint: str) -> ServiceError:
    return invalid(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"
    )
