"""EventBridge's errors, worded as AWS words them."""

from __future__ import annotations

from overcast.errors import ServiceError


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message)


def exists(message: str) -> ServiceError:
    return ServiceError("ResourceAlreadyExistsException", message)


def limit(message: str = "The requested resource exceeds the maximum number allowed.") -> ServiceError:
    return ServiceError("LimitExceededException", message)


def invalid_pattern(message: str) -> ServiceError:
    return ServiceError("InvalidEventPatternException", message)


def illegal_status(message: str) -> ServiceError:
    return ServiceError("IllegalStatusException", message)


def bus_not_found(name: str) -> ServiceError:
    return not_found(f"Event bus {name} does not exist.")


def rule_not_found(name: str, bus: str) -> ServiceError:
    return not_found(f"Rule {name} does not exist on EventBus {bus}.")
