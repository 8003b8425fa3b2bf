"""Small helpers the Resolver's modules share: its errors, its timestamps, its domain names."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from overcast.errors import ServiceError


def error(code: str, message: str, status: int = 400) -> ServiceError:
    return ServiceError(code, message, status)


def invalid(message: str) -> ServiceError:
    return error("InvalidParameterException", message)


def validation(message: str) -> ServiceError:
    return error("ValidationException", message)


def now() -> str:
    """Resolver's timestamps are RFC 3339 strings with milliseconds."""
    moment = datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def domain(name: str) -> str:
    """A domain name as Resolver shows it: lower case, with the trailing dot."""
    name = name.strip().lower()
    return name if name.endswith(".") else name + "."


def trace_id() -> str:
    """A trace id as Resolver's messages quote it: `1-{8 hex}-{24 hex}`."""
    return f"1-{secrets.token_hex(4)}-{secrets.token_hex(12)}"


#: AWS's words for a missing resource, by kind (the code each message starts with).
NOT_FOUND = {
    "Resolver endpoint": '[RSLVR-00105] Resolver endpoint with ID "{id}" does not exist.',
    "Resolver rule": '[RSLVR-00703] Resolver rule with ID "{id}" does not exist.',
    "Resolver rule association": '[RSLVR-00704] Resolver rule association with ID "{id}" does not exist.',
    "Resolver query logging configuration": (
        '[RSLVR-01601] The specified query logging configuration doesn\'t exist. Trace Id: "{trace}"'
    ),
    "Resolver query logging configuration association": (
        "[RSLVR-01602] The specified query logging configuration association doesn't exist. "
        'Trace Id: "{trace}"'
    ),
}


def not_found(noun: str, ident: str) -> ServiceError:
    template = NOT_FOUND.get(
        noun, '[RSLVR-02025] Can\u2019t find the resource with ID "{id}". Trace Id: "{trace}"'
    )
    return error("ResourceNotFoundException", template.format(id=ident, trace=trace_id()))
