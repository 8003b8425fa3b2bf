"""Secrets Manager's errors, worded as AWS words them."""

from __future__ import annotations

from overcast.errors import ServiceError

NOT_FOUND = "Secrets Manager can't find the specified secret."
MARKED_FOR_DELETION = "You can't perform this operation on the secret because it was marked for deletion."
REPLICA_READ_ONLY = (
    "Operation not permitted on a replica secret. Call must be made in primary secret's region."
)


def not_found(message: str = NOT_FOUND) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, 400)


def invalid_request(message: str) -> ServiceError:
    return ServiceError("InvalidRequestException", message, 400)


def invalid_parameter(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message, 400)


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


def exists(message: str) -> ServiceError:
    return ServiceError("ResourceExistsException", message, 400)


def value_not_found(kind: str, value: str) -> ServiceError:
    return not_found(f"Secrets Manager can't find the specified secret value for {kind}: {value}")
