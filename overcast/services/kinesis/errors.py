"""Kinesis's errors, worded as Kinesis words them."""

from __future__ import annotations

from overcast.errors import ServiceError


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidArgumentException", message)


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message)


def in_use(message: str) -> ServiceError:
    return ServiceError("ResourceInUseException", message)


def limit(message: str) -> ServiceError:
    return ServiceError("LimitExceededException", message)


def stream_missing(name: str, account: str) -> ServiceError:
    return not_found(f"Stream {name} under account {account} not found.")


def dry_run() -> ServiceError:
    return ServiceError("DryRunOperationException", "Request would have succeeded, but DryRun flag is set.")
