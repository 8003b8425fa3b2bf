"""ParameterFilters (DescribeParameters, GetParametersByPath) and DescribeParameters' older
Filters: which keys and options AWS accepts where, and how a parameter matches them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from overcast.errors import ServiceError

#: Key → options it accepts (first one is the default), for DescribeParameters.
DESCRIBE_OPTIONS: dict[str, tuple[str, ...]] = {
    "Name": ("Equals", "BeginsWith", "Contains"),
    "Type": ("Equals", "BeginsWith"),
    "KeyId": ("Equals", "BeginsWith"),
    "Path": ("OneLevel", "Recursive"),
    "Tier": ("Equals", "BeginsWith"),
    "DataType": ("Equals",),
    "Label": ("Equals",),
}
#: GetParametersByPath takes only these (its Path is the request's own).
BY_PATH_KEYS = frozenset({"Type", "KeyId", "Label"})
TAG_OPTIONS = ("Equals", "BeginsWith")
#: Values each enumerated key accepts.
ENUMERATED: dict[str, tuple[str, ...]] = {
    "Type": ("String", "StringList", "SecureString"),
    "Tier": ("Standard", "Advanced", "Intelligent-Tiering"),
    "DataType": ("text", "aws:ec2:image", "aws:ssm:integration"),
}
#: DescribeParameters' older Filters: key → the record field it compares (BeginsWith for Name).
LEGACY_FIELDS = {"Name": "Name", "Type": "Type", "KeyId": "KeyId"}


def _invalid_key(key: str) -> ServiceError:
    return ServiceError("InvalidFilterKey", f"The following filter key is not valid: {key}.")


def check(filters: list[dict[str, Any]], by_path: bool) -> list[tuple[str, str, list[str]]]:
    """The filters as (key, option, values), or AWS's error for a key, option or value it refuses."""
    seen: set[str] = set()
    checked = []
    for given in filters:
        key = given["Key"]
        values = list(given.get("Values") or [])
        is_tag = key.startswith("tag:")
        if by_path and not is_tag and key not in BY_PATH_KEYS:
            raise ServiceError(
                "InvalidFilterKey",
                f"The following filter key is not valid: {key}. Valid filter keys include: [Type, KeyId, Label].",
            )
        options = TAG_OPTIONS if is_tag else DESCRIBE_OPTIONS.get(key)
        if options is None:
            raise _invalid_key(key)
        if key in seen:
            raise ServiceError(
                "InvalidFilterKey",
                f"The following filter is duplicated in the request: {key}. "
                "A request can contain only one occurrence of a specific filter.",
            )
        seen.add(key)
        option = given.get("Option") or options[0]
        if option not in options:
            raise ServiceError(
                "InvalidFilterOption",
                f"The following filter option is not valid: {option}. Valid options include: [{', '.join(options)}].",
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
            for value in values:
                if not value.startswith("/"):
                    raise ServiceError(
                        "InvalidFilterValue",
                        f"The following filter value is not valid: {value}. Valid values must begin with /.",
                    )
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
            if option != "Contains":
                # AWS compares names in their fully qualified form.
                have = have if have.startswith("/") else "/" + have
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
