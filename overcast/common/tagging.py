"""Resource tags as AWS limits them, for every service: each service names its own errors.

    SNS_TAGS = TagRules(refuse=refusals(             # (problem, key) -> the service's error
        "InvalidParameter", {TagProblem.TOO_MANY: ("TagLimitExceeded", "Could not complete ...")}
    ))
    topic.tags = add_tags(topic.tags, params["Tags"], SNS_TAGS)       # TagResource
    topic.tags = remove_tags(topic.tags, params["TagKeys"])           # UntagResource
    return {"Tags": tag_list(topic.tags)}                             # ListTagsForResource

Tags are kept as a `{key: value}` dict in the resource's own record; requests carry them as
that map (SQS, Lambda, Logs) or as a list of {"Key", "Value"} (most others), and both are
accepted. The rules are AWS's common ones (the Tagging Best Practices and each service's
"tag restrictions"): at most 50 tags per resource; keys 1-128 and values 0-256 Unicode
characters; letters, digits, white space and `_ . : / = + - @`; the `aws:` prefix is AWS's own.
Lengths the model constrains were already refused by the protocol layer with the model's
validation message; these checks cover what the models leave out.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from overcast.errors import ServiceError

MAX_TAGS = 50
MAX_KEY = 128
MAX_VALUE = 256
_PUNCTUATION = frozenset("_.:/=+-@")


class TagProblem(enum.Enum):
    TOO_MANY = "too_many"  # the resource would hold more than max_tags
    DUPLICATE_KEY = "duplicate_key"  # one request names a key twice
    KEY_LENGTH = "key_length"  # empty, or longer than max_key
    VALUE_LENGTH = "value_length"
    KEY_CHARACTERS = "key_characters"
    VALUE_CHARACTERS = "value_characters"
    RESERVED_KEY = "reserved_key"  # starts with "aws:"


@dataclass(frozen=True)
class TagRules:
    """One service's tag limits. `refuse(problem, key)` builds the error the service answers
    with (its code and message) for a problem with tag `key` ("" for TOO_MANY)."""

    refuse: Callable[[TagProblem, str], Exception]
    max_tags: int = MAX_TAGS
    max_key: int = MAX_KEY
    max_value: int = MAX_VALUE
    check_characters: bool = True
    reserved_prefix: str | None = "aws:"


#: What each problem is called where a service words it no other way.
DEFAULT_MESSAGES: dict[TagProblem, str] = {
    TagProblem.TOO_MANY: "The number of tags exceeds the limit of {limit}.",
    TagProblem.DUPLICATE_KEY: "Duplicate tag key: {key}.",
    TagProblem.KEY_LENGTH: "Tag keys must be between 1 and 128 characters long.",
    TagProblem.VALUE_LENGTH: "The value of tag {key} is longer than 256 characters.",
    TagProblem.KEY_CHARACTERS: (
        "Tag key {key} may hold only Unicode letters, digits, white space and _ . : / = + - @."
    ),
    TagProblem.VALUE_CHARACTERS: (
        "The value of tag {key} may hold only Unicode letters, digits, white space and _ . : / = + - @."
    ),
    TagProblem.RESERVED_KEY: "Tag key {key} starts with aws:, which is reserved for AWS use.",
}


def refusals(
    code: str,
    overrides: Mapping[TagProblem, str | tuple[str, str]] | None = None,
    status: int = 400,
    limit: int = MAX_TAGS,
    **fields: Any,
) -> Callable[[TagProblem, str], ServiceError]:
    """A `refuse` for TagRules from data: the service answers `code` with DEFAULT_MESSAGES,
    except for the problems in `overrides` (a message, or a (code, message) pair). Messages
    may name `{key}` (the tag's key) and `{limit}`; `fields` are further members of the error
    (Lambda's Type="User")."""

    def refuse(problem: TagProblem, key: str) -> ServiceError:
        override = (overrides or {}).get(problem, DEFAULT_MESSAGES[problem])
        error_code, message = (code, override) if isinstance(override, str) else override
        return ServiceError(error_code, message.format(key=key, limit=limit), status, **fields)

    return refuse


def _allowed(text: str) -> bool:
    # AWS's pattern is ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$, which Python's re cannot spell.
    for char in text:
        if char.isalnum() or char in _PUNCTUATION:
            continue
        if unicodedata.category(char)[0] not in "LZN":
            return False
    return True


def check_tag(key: str, value: str | None, rules: TagRules) -> None:
    """Raise the service's error when one tag breaks its rules."""
    if not key or len(key) > rules.max_key:
        raise rules.refuse(TagProblem.KEY_LENGTH, key)
    if value is not None and len(value) > rules.max_value:
        raise rules.refuse(TagProblem.VALUE_LENGTH, key)
    if rules.check_characters:
        if not _allowed(key):
            raise rules.refuse(TagProblem.KEY_CHARACTERS, key)
        if value and not _allowed(value):
            raise rules.refuse(TagProblem.VALUE_CHARACTERS, key)
    if rules.reserved_prefix and key.lower().startswith(rules.reserved_prefix):
        raise rules.refuse(TagProblem.RESERVED_KEY, key)


def tag_map(given: Iterable[Mapping[str, Any]] | Mapping[str, str] | None, rules: TagRules) -> dict[str, str]:
    """The tags of a request, checked: a `{key: value}` map, or a list of {"Key", "Value"}
    (a missing Value is ""). A key given twice in a list is DUPLICATE_KEY."""
    if given is None:
        return {}
    if isinstance(given, Mapping):
        pairs: list[tuple[str, str]] = list(given.items())
    else:
        pairs = [(tag.get("Key") or "", tag.get("Value") or "") for tag in given]
    tags: dict[str, str] = {}
    for key, value in pairs:
        check_tag(key, value, rules)
        if key in tags:
            raise rules.refuse(TagProblem.DUPLICATE_KEY, key)
        tags[key] = value
    if len(tags) > rules.max_tags:
        raise rules.refuse(TagProblem.TOO_MANY, "")
    return tags


def add_tags(
    existing: Mapping[str, str] | None,
    given: Iterable[Mapping[str, Any]] | Mapping[str, str] | None,
    rules: TagRules,
) -> dict[str, str]:
    """`existing` with the request's tags added (a key already there takes the new value), or
    TOO_MANY when the resource would hold more than rules.max_tags."""
    merged = {**(existing or {}), **tag_map(given, rules)}
    if len(merged) > rules.max_tags:
        raise rules.refuse(TagProblem.TOO_MANY, "")
    return merged


def remove_tags(existing: Mapping[str, str] | None, keys: Iterable[str] | None) -> dict[str, str]:
    """`existing` without `keys`; a key the resource does not have is no error (AWS's way)."""
    gone = set(keys or ())
    return {key: value for key, value in (existing or {}).items() if key not in gone}


def tag_list(tags: Mapping[str, str] | None, key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    """Tags as the list most responses carry: [{"Key": k, "Value": v}, ...]."""
    return [{key: k, value: v} for k, v in (tags or {}).items()]
