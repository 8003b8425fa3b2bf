"""Function names, ARNs and qualifiers, and Lambda's errors for them."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from overcast.common.arns import build_arn
from overcast.common.tagging import TagProblem, TagRules, refusals
from overcast.errors import ServiceError

#: A name in a FunctionName: the pattern has no length limit, so a longer name passes and is
#: simply not found (CreateFunction refuses names over MAX_NAME itself).
_NAME = re.compile(r"^[a-zA-Z0-9_.-]+$")
_QUALIFIER = re.compile(r"^(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9_$-]{1,128})$")
MAX_NAME = 64
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
    (123456789012:function:name) or a full ARN, each with an optional qualifier. The model's
    pattern was checked before (`pattern_violations`); an ARN of another region names a
    function this region cannot reach."""
    derived = None
    if value.startswith("arn:"):
        parts = value.split(":")
        if len(parts) == 6 and parts[2] == "lambda" and parts[5] == "function":
            # The pattern reads "arn:...:123456789012:function" as the function named "function".
            parts.append("function")
            parts[5] = "function"
        if len(parts) not in (7, 8) or parts[2] != "lambda" or parts[5] != "function":
            raise _bad_name(value)
        if parts[3] != region:
            raise not_found(f"Functions from '{parts[3]}' are not reachable in this region ('{region}')")
        if parts[4] != account:
            raise ServiceError(
                "AccessDeniedException",
                f"User is not authorized to access a function in account {parts[4]}",
                403,
            )
        name = parts[6]
        derived = parts[7] if len(parts) == 8 else None
    elif ":function:" in value or value.startswith("function:"):
        parts = value.split(":")
        if parts[0] == "function":
            parts.insert(0, account)
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


def check_new_name(name: str) -> None:
    """A function's own name is at most 64 characters (longer ones only name functions that
    cannot exist); AWS says so with InvalidParameterValueException."""
    if len(name) > MAX_NAME:
        raise invalid(
            f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_NAME}"
        )


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


#: The members whose model patterns Lambda checks before anything else, with their wire names.
CHECKED_PATTERNS = {
    "FunctionName": "functionName",
    "Qualifier": "qualifier",
    "StatementId": "statementId",
    "Arn": "arn",
}


def pattern_violations(operation: Any, params: dict) -> list[str]:
    """Coral's texts for the FunctionName/Qualifier values that break the operation's own model
    pattern (each operation has its own: CreateFunction's admits no dots or $LATEST.PUBLISHED)."""
    shape = operation.input_shape
    found = []
    for member, wire in CHECKED_PATTERNS.items():
        value = params.get(member)
        if not isinstance(value, str) or shape is None or member not in shape.members:
            continue
        pattern = shape.members[member].metadata.get("pattern")
        compiled = _compiled(pattern) if pattern else None
        if compiled is not None and compiled.fullmatch(value) is None:
            found.append(
                f"Value '{value}' at '{wire}' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {pattern}"
            )
    return found


def runtime_enum_violations(operation: Any, params: dict) -> list[str]:
    """Coral's texts for layer runtimes outside the model's Runtime enum. The Runtime shape is
    checked by the provider (CreateFunction's wording is its own), so the layer operations'
    uses of it are checked here, as the protocol would."""
    shape = operation.input_shape
    found = []
    for member, wire in (
        ("CompatibleRuntime", "compatibleRuntime"),
        ("CompatibleRuntimes", "compatibleRuntimes"),
    ):
        value = params.get(member)
        if value is None or shape is None or member not in shape.members:
            continue
        target = shape.members[member]
        enum = (target.member if target.type_name == "list" else target).enum
        values = value if isinstance(value, list) else [value]
        if any(item not in enum for item in values):
            shown = f"[{', '.join(values)}]" if isinstance(value, list) else value
            quoted = f"'{shown}'"
            found.append(
                f"Value {quoted} at '{wire}' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(enum)}]"
            )
    return found


def validation_error(violations: list[str]) -> ServiceError:
    count = len(violations)
    noun = "error" if count == 1 else "errors"
    return ServiceError(
        "ValidationException", f"{count} validation {noun} detected: {'; '.join(violations)}", 400
    )


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
