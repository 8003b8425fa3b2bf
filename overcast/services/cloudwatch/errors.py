"""CloudWatch's errors, worded as AWS words them (the query codes, which all three protocols
answer with)."""

from __future__ import annotations

from overcast.errors import ServiceError


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message)


def combination(message: str) -> ServiceError:
    return ServiceError("InvalidParameterCombination", message)


def missing(name: str) -> ServiceError:
    return ServiceError("MissingParameter", f"The parameter {name} is required.")


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFound", message, 404)


def resource_not_found(kind: str, ident: str, message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, 404, ResourceType=kind, ResourceId=ident)


def limit(message: str) -> ServiceError:
    return ServiceError("LimitExceeded", message)


def bad_token() -> ServiceError:
    return ServiceError("InvalidNextToken", "The service cannot return the next page: invalid NextToken.")


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationError", message)
