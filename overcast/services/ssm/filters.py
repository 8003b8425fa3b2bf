"""ParameterFilters (DescribeParameters, GetParametersByPath) and DescribeParameters' older
Filters: which keys and options AWS accepts where, and how a parameter matches them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from overcast.errors import ServiceError

#: Key → options it accepts (the first is the default), per operation, as the model's
#: documentation of ParameterStringFilter lists them.
DESCRIBE_OPTIONS: dict[str, tuple[str, ...]] = {
    "Name": ("Equals", "BeginsWith", "Contains"),
    "Type": ("Equals", "BeginsWith"),
    "KeyId": ("Equals", "BeginsWith"),
    "Path": ("OneLevel", "Recursive"),
    "Tier": ("Equals", "BeginsWith"),
    "DataType": ("Equals", "BeginsWith"),
    "tag:": ("Equals", "BeginsWith"),
}
BY_PATH_OPTIONS: dict[str, tuple[str, ...]] = {
    "Type": ("Equals", "BeginsWith"),
    "KeyId": ("Equals", "BeginsWith"),
    "Label": ("Equals",),
}
#: How AWS lists the valid options in its refusal (not the order above).
_OPTIONS_TEXT = {"Path": "[Recursive, OneLevel]", "Label": "[Equals]"}
_KEYS_TEXT = {False: "[Path, Name, Type, KeyId, Tier]", True: "[Type, KeyId, Label]"}
KEY_PATTERN = re.compile(r"^(tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType)$")
#: Values each enumerated key accepts.
ENUMERATED: dict[str, tuple[str, ...]] = {
    "Type": ("String", "StringList", "SecureString"),
    "Tier": ("Standard", "Advanced", "Intelligent-Tiering"),
}
#: DescribeParameters' older Filters: key → the record field it compares (BeginsWith for Name).
LEGACY_FIELDS = {"Name": "Name", "Type": "Type", "KeyId": "KeyId"}
PATH_REQUIREMENTS = (
    "The parameter doesn't meet the parameter name requirements. The parameter name must begin "
    'with a forward slash "/". It can\'t be prefixed with "aws" or "ssm" (case-insensitive). It '
    "must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ "
    "(underscore). Special characters are not allowed. All sub-paths, if specified, must use the "
    'forward slash symbol "/". Valid example: /get/parameters2-/by1./path0_.'
)
COMMON_PARAMETERS = (
    'Filters for common parameters can\'t be prefixed with "aws" or "ssm" (case-insensitive). '
    "When using global parameters, please specify within a global namespace."
)


def _pattern_errors(filters: list[dict[str, Any]]) -> None:
    """The model's constraint on Key that the protocol layer leaves to the service."""
    found = [
        f"Value '{given['Key']}' at 'parameterFilters.{n}.member.key' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType"
        for n, given in enumerate(filters, 1)
        if not KEY_PATTERN.match(given["Key"])
    ]
    if found:
        plural = "s" if len(found) > 1 else ""
        raise ServiceError(
            "ValidationException", f"{len(found)} validation error{plural} detected: " + "; ".join(found)
        )


def _check_path(value: str) -> None:
    if value.lower().startswith(("/aws", "/ssm")):
        raise ServiceError("ValidationException", COMMON_PARAMETERS)
    if value != "/" and not PATH_VALUE.match(value):
        raise ServiceError("ValidationException", PATH_REQUIREMENTS)


PATH_VALUE = re.compile(r"^(/[A-Za-z0-9_.\-]+)+/?$")


def check(filters: list[dict[str, Any]], by_path: bool) -> list[tuple[str, str, list[str]]]:
    """The filters as (key, option, values), or AWS's error for a key, option or value it refuses."""
    _pattern_errors(filters)
    table = BY_PATH_OPTIONS if by_path else DESCRIBE_OPTIONS
    seen: set[str] = set()
    checked = []
    for given in filters:
        key = given["Key"]
        values = list(given.get("Values") or [])
        is_tag = key.startswith("tag:")
        options = table.get("tag:" if is_tag else key)
        if options is None:
            raise ServiceError(
                "InvalidFilterKey",
                f"The following filter key is not valid: {key}. Valid filter keys include: {_KEYS_TEXT[by_path]}.",
            )
        if key in seen:
            raise ServiceError(
                "InvalidFilterKey",
                f"The following filter is duplicated in the request: {key}. "
                "A request can contain only one occurrence of a specific filter.",
            )
        seen.add(key)
        option = given.get("Option") or options[0]
        if option not in options:
            listed = _OPTIONS_TEXT.get(key, "[BeginsWith, Equals]")
            raise ServiceError(
                "InvalidFilterOption",
                f"The following filter option is not valid: {option}. Valid options include: {listed}.",
            )
        if not values and not is_tag:
            raise ServiceError(
                "InvalidFilterValue", f"The following filter values are missing : null for filter key {key}."
            )
        allowed = ENUMERATED.get(key)
        for value in values:
            if allowed and option == "Equals" and value not in allowed:
                raise ServiceError(
                    "InvalidFilterValue",
                    f"The following filter value is not valid: {value}. Valid values include: [{', '.join(allowed)}].",
                )
            if key == "Path":
                _check_path(value)
        checked.append((key, option, values))
    return checked


def _compare(option: str) -> Callable[[str, str], bool]:
    return {
        "Equals": lambda have, want: have == want,
        "BeginsWith": lambda have, want: have.startswith(want),
        "Contains": lambda have, want: want in have,
    }[option]


def _in_path(name: str, path: str, recursive: bool) -> bool:
    full = name if name.startswith("/") else "/" + name
    prefix = path.rstrip("/") + "/"
    if not full.startswith(prefix):
        return False
    return recursive or "/" not in full[len(prefix) :]


def matches(record: dict[str, Any], filters: list[tuple[str, str, list[str]]]) -> bool:
    """Whether a parameter's record passes every filter."""
    for key, option, values in filters:
        if key == "Path":
            if not any(_in_path(record["Name"], value, option == "Recursive") for value in values):
                return False
            continue
        if key == "Label":
            if not set(values) & set(record.get("labels") or {}):
                return False
            continue
        if key.startswith("tag:"):
            tags = record.get("tags") or {}
            tag = key[4:]
            if tag not in tags:
                return False
            if values and not any(_compare(option)(tags[tag], value) for value in values):
                return False
            continue
        have = record.get(key)
        if key == "Name":
            have = record["Name"]
            # AWS compares names in their fully qualified form ("x" is "/x").
            have = have if have.startswith("/") else "/" + have
            if option != "Contains":
                values = [value if value.startswith("/") else "/" + value for value in values]
        if have is None or not any(_compare(option)(have, value) for value in values):
            return False
    return True


def legacy_matches(record: dict[str, Any], filters: list[dict[str, Any]]) -> bool:
    """DescribeParameters' Filters: Name begins with, Type and KeyId equal."""
    for given in filters:
        key, values = given["Key"], given.get("Values") or []
        have = record.get(LEGACY_FIELDS[key])
        if have is None:
            return False
        test = _compare("BeginsWith" if key == "Name" else "Equals")
        if not any(test(have, value) for value in values):
            return False
    return True
