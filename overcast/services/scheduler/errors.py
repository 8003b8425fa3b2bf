"""EventBridge Scheduler's errors, worded as AWS words them."""

from __future__ import annotations

from overcast.errors import ServiceError


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def conflict(message: str) -> ServiceError:
    return ServiceError("ConflictException", message, 409)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, 404)


def schedule_not_found(name: str) -> ServiceError:
    return not_found(f"Schedule {name} does not exist.")


def group_not_found(name: str) -> ServiceError:
    return not_found(f"Schedule group {name} does not exist.")


def quota(message: str) -> ServiceError:
    return ServiceError("ServiceQuotaExceededException", message, 402)
