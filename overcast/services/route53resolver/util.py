"""Small helpers the Resolver's modules share: its errors, its timestamps, its domain names."""

from __future__ import annotations

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
