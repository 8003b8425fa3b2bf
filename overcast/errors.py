"""Errors a provider raises; the protocol layer turns them into each protocol's error shape."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """An AWS error: `code` is the error code clients match on (the modelled shape name or the
    documented code), `status` the HTTP status, `fields` any further modelled members.
    `headers` are response headers AWS sends with an error its model does not describe (S3's
    x-amz-delete-marker on a GET of a deleted key); set by the raiser, REST protocols only."""

    headers: dict[str, str] | None = None

    def __init__(
        self,
        code: str,
        message: str = "",
        status: int = 400,
        sender_fault: bool = True,
        **fields: Any,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault
        self.fields = fields

    def __repr__(self) -> str:
        return f"ServiceError({self.code!r}, {self.message!r}, status={self.status})"


def validation_error(message: str) -> ServiceError:
    """The generic input validation error most services answer with."""
    return ServiceError("ValidationException", message, 400)


def not_implemented(service: str, operation: str) -> ServiceError:
    return ServiceError(
        "NotImplemented",
        f"The operation {operation} of service {service} is not yet emulated by Overcast.",
        501,
        sender_fault=False,
    )


def internal_error(message: str = "We encountered an internal error. Please try again.") -> ServiceError:
    return ServiceError("InternalFailure", message, 500, sender_fault=False)
