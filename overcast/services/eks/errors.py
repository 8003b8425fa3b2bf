"""EKS's errors, worded as AWS words them."""

from __future__ import annotations

from typing import Any

from overcast.errors import ServiceError


def invalid(message: str, **fields: Any) -> ServiceError:
    return ServiceError("InvalidParameterException", message, 400, **fields)


def bad_request(message: str, **fields: Any) -> ServiceError:
    return ServiceError("InvalidRequestException", message, 400, **fields)


def in_use(message: str, **fields: Any) -> ServiceError:
    return ServiceError("ResourceInUseException", message, 409, **fields)


def not_found(message: str, **fields: Any) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, 404, **fields)


def limit(message: str, **fields: Any) -> ServiceError:
    return ServiceError("ResourceLimitExceededException", message, 400, **fields)


def cluster_not_found(name: str) -> ServiceError:
    return not_found(f"No cluster found for name: {name}.", clusterName=name)


def tag_not_found(arn: str) -> ServiceError:
    """The tagging operations' own not-found error."""
    return ServiceError("NotFoundException", f"Resource {arn} not found.", 404)


def tag_bad_request(message: str) -> ServiceError:
    return ServiceError("BadRequestException", message, 400)
