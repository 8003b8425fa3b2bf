"""Function names, ARNs and qualifiers, and Lambda's errors for them."""

from __future__ import annotations

import re

from overcast.common.arns import build_arn
from overcast.common.tagging import TagProblem, TagRules, refusals
from overcast.errors import ServiceError

_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_QUALIFIER = re.compile(r"^(\$LATEST|[a-zA-Z0-9_-]{1,128})$")
ROLE = re.compile(r"^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$")
ALIAS = re.compile(r"^(?!^[0-9]+$)([a-zA-Z0-9-_]+)$")
FUNCTION_NAME_PATTERN = (
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?"
    r"(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"
)


def invalid(message: str, **fields) -> ServiceError:
    return ServiceError("InvalidParameterValueException", message, 400, Type="User", **fields)


TAG_RULES = TagRules(
    refuse=refusals(
        "InvalidParameterValueException",
        {TagProblem.TOO_MANY: "Number of tags exceeds resource tag limit."},
        Type="User",
    )
)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, 404, Type="User")


def conflict(message: str) -> ServiceError:
    return ServiceError("ResourceConflictException", message, 409, Type="User")


def function_arn(account: str, region: str, name: str, qualifier: str | None = None) -> str:
    arn = build_arn("lambda", region, account, f"function:{name}")
    return f"{arn}:{qualifier}" if qualifier else arn


def parse_function(value: str, qualifier: str | None, account: str, region: str) -> tuple[str, str | None]:
    """(name, qualifier) from a FunctionName parameter: a name, name:qualifier, a partial ARN
    (123456789012:function:name) or a full ARN, each with an optional qualifier."""
    derived = None
    if value.startswith("arn:"):
        parts = value.split(":")
        if len(parts) not in (7, 8) or parts[2] != "lambda" or parts[5] != "function":
            raise _bad_name(value)
        if parts[4] != account:
            raise ServiceError(
                "AccessDeniedException",
                f"User is not authorized to access a function in account {parts[4]}",
                403,
            )
        name = parts[6]
        derived = parts[7] if len(parts) == 8 else None
    elif ":function:" in value:
        parts = value.split(":")
        if len(parts) not in (3, 4):
            raise _bad_name(value)
        name = parts[2]
        derived = parts[3] if len(parts) == 4 else None
    elif ":" in value:
        name, _, derived = value.partition(":")
    else:
        name = value
    if not _NAME.match(name) or (derived is not None and not _QUALIFIER.match(derived)):
        raise _bad_name(value)
    if derived is not None and qualifier is not None and derived != qualifier:
        raise invalid("The derived qualifier from the function name does not match the specified qualifier.")
    return name, derived if derived is not None else qualifier


def _bad_name(value: str) -> ServiceError:
    return ServiceError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at 'functionName' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {FUNCTION_NAME_PATTERN}",
        400,
    )


def function_not_found(account: str, region: str, name: str, qualifier: str | None = None) -> ServiceError:
    return not_found(f"Function not found: {function_arn(account, region, name, qualifier)}")


def bad_marker() -> ServiceError:
    return invalid("Invalid Marker.")
