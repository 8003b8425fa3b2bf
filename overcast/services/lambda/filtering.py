"""Event filtering of event source mappings: FilterCriteria patterns in EventBridge's pattern
grammar, applied to each record before the function sees it. A record that matches no filter is
dropped (SQS messages are deleted, stream records skipped), as Lambda documents.

An SQS record's `body` is matched as JSON when it parses as a JSON object, else as the plain
string; stream records are matched as they are delivered (`dynamodb.NewImage...`)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from overcast.common import jsontext

from .names import invalid

_NUMERIC_OPS: dict[str, Callable[[float, float], bool]] = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
_MISSING = object()


def bad_pattern() -> Exception:
    return invalid("Invalid filter pattern definition.")


def parse_criteria(criteria: dict | None) -> list[dict]:
    """The patterns of a FilterCriteria, each parsed and checked; InvalidParameterValue if any
    is not a JSON object of EventBridge's grammar."""
    patterns = []
    for entry in (criteria or {}).get("Filters") or ():
        text = entry.get("Pattern")
        if text is None:
            continue
        try:
            pattern = jsontext.loads(text)
        except ValueError:
            raise bad_pattern() from None
        if not isinstance(pattern, dict):
            raise bad_pattern()
        _check(pattern)
        patterns.append(pattern)
    return patterns


def _check(pattern: dict) -> None:
    for key, value in pattern.items():
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2 or not all(isinstance(p, dict) for p in value):
                raise bad_pattern()
            for branch in value:
                _check(branch)
        elif isinstance(value, dict):
            _check(value)
        elif isinstance(value, list):
            if not value:
                raise bad_pattern()  # an empty list of values matches nothing: AWS refuses it
            for matcher in value:
                if isinstance(matcher, dict):
                    _check_matcher(matcher)
                elif isinstance(matcher, list):
                    raise bad_pattern()
        else:
            raise bad_pattern()


def _check_matcher(matcher: dict) -> None:
    if len(matcher) != 1:
        raise bad_pattern()
    ((kind, operand),) = matcher.items()
    if kind == "numeric":
        if not isinstance(operand, list) or len(operand) not in (2, 4):
            raise bad_pattern()
        for op, number in zip(operand[::2], operand[1::2], strict=True):
            if op not in _NUMERIC_OPS or isinstance(number, bool) or not isinstance(number, (int, float)):
                raise bad_pattern()
    elif kind == "exists":
        if not isinstance(operand, bool):
            raise bad_pattern()
    elif kind in ("prefix", "suffix"):
        if not isinstance(operand, str) and not (
            isinstance(operand, dict) and set(operand) == {"equals-ignore-case"}
        ):
            raise bad_pattern()
    elif kind in ("equals-ignore-case", "wildcard", "cidr"):
        if not isinstance(operand, str):
            raise bad_pattern()
    elif kind == "anything-but":
        if isinstance(operand, dict):
            _check_matcher(operand)
    else:
        raise bad_pattern()


def matches_any(patterns: list[dict], record: dict) -> bool:
    """True when there are no patterns, or the record matches one of them."""
    return not patterns or any(matches(pattern, record) for pattern in patterns)


def matches(pattern: dict, event: Any) -> bool:
    for key, expected in pattern.items():
        if key == "$or":
            if not any(matches(branch, event) for branch in expected):
                return False
            continue
        value = event.get(key, _MISSING) if isinstance(event, dict) else _MISSING
        if isinstance(expected, dict):
            if value is _MISSING or not matches(expected, value):
                return False
        elif not _field_matches(expected, value):
            return False
    return True


def _field_matches(matchers: list, value: Any) -> bool:
    if isinstance(value, dict):
        # A field whose value is an object is no leaf: matching (exists included) looks only at
        # leaves, so to a pattern it is not there (a DynamoDB image's {"S": ...} matches
        # `exists: false`, as AWS delivers it).
        value = _MISSING
    if value is _MISSING:
        return any(isinstance(m, dict) and m.get("exists") is False for m in matchers)
    values = value if isinstance(value, list) else [value]
    if not values:
        return False
    return any(_one(matcher, item) for matcher in matchers for item in values)


def _one(matcher: Any, value: Any) -> bool:
    if not isinstance(matcher, dict):
        return (matcher == value and type(matcher) is type(value)) or _numbers_equal(matcher, value)
    ((kind, operand),) = matcher.items()
    if kind == "exists":
        return operand is True
    if kind == "prefix":
        return isinstance(value, str) and _affix(operand, value, str.startswith)
    if kind == "suffix":
        return isinstance(value, str) and _affix(operand, value, str.endswith)
    if kind == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == operand.lower()
    if kind == "wildcard":
        return (
            isinstance(value, str)
            and re.fullmatch(".*".join(map(re.escape, operand.split("*"))), value) is not None
        )
    if kind == "numeric":
        return _numeric(operand, value)
    if kind == "cidr":
        return _in_cidr(operand, value)
    if kind == "anything-but":
        if isinstance(operand, dict):
            return isinstance(value, str) and not _one(operand, value)
        excluded = operand if isinstance(operand, list) else [operand]
        return not any(_one(item, value) for item in excluded)
    return False


def _affix(operand: Any, value: str, test: Callable[[str, str], bool]) -> bool:
    if isinstance(operand, dict):
        return test(value.lower(), operand["equals-ignore-case"].lower())
    return test(value, operand)


def _numbers_equal(matcher: Any, value: Any) -> bool:
    numeric = (int, float)
    return (
        isinstance(matcher, numeric)
        and isinstance(value, numeric)
        and not isinstance(matcher, bool)
        and not isinstance(value, bool)
        and float(matcher) == float(value)
    )


def _numeric(operand: list, value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return all(
        _NUMERIC_OPS[op](float(value), float(number))
        for op, number in zip(operand[::2], operand[1::2], strict=True)
    )


def _in_cidr(network: str, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False


def sqs_view(record: dict) -> dict:
    """An SQS record as filters see it: its body parsed when it is a JSON object."""
    body = record.get("body")
    try:
        parsed = jsontext.loads(body) if isinstance(body, str) else None
    except ValueError:
        parsed = None
    return {**record, "body": parsed} if isinstance(parsed, dict) else record
