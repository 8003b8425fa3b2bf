"""The errors STS answers most: AccessDenied (403) and ValidationError (400)."""

from __future__ import annotations

from overcast.errors import ServiceError


def access_denied(message: str) -> ServiceError:
    return ServiceError("AccessDenied", message, 403)


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationError", message, 400)
