"""Condition operators (IAM JSON policy reference, "Condition operators"): each compares one
request value against one policy value; the set qualifiers, IfExists and negation are applied
around them in `evaluate_condition`."""

from __future__ import annotations

import base64
import ipaddress
import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=4096)
def wildcard(pattern: str, ignore_case: bool = False) -> re.Pattern:
    """`*` is any run of characters, `?` any one character; nothing else is special."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", re.S | (re.I if ignore_case else 0))


def like(value: str, pattern: str, ignore_case: bool = False) -> bool:
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern:
        return value.lower() == pattern.lower() if ignore_case else value == pattern
    return wildcard(pattern, ignore_case).match(value) is not None


def arn_like(value: str, pattern: str) -> bool:
    """ARNs compare component by component (arn:partition:service:region:account:resource), so
    a wildcard in one component never spans a colon into the next."""
    if pattern == "*":
        return True
    pattern_parts = pattern.split(":", 5)
    value_parts = value.split(":", 5)
    if len(value_parts) != 6 or len(pattern_parts) < 3:
        return False
    # IAM reads a short ARN pattern ("arn:aws:sqs:us-east-1:*") as if the rest were "*".
    pattern_parts += ["*"] * (6 - len(pattern_parts))
    return all(like(v, p) for v, p in zip(value_parts, pattern_parts, strict=False))


def _number(text: Any) -> Decimal | None:
    try:
        return Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        return None


def parse_date(text: Any) -> datetime | None:
    if isinstance(text, datetime):
        return text if text.tzinfo else text.replace(tzinfo=UTC)
    text = str(text).strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", text):  # epoch seconds
        return datetime.fromtimestamp(float(text), UTC)
    candidate = text.replace("Z", "+00:00").replace("z", "+00:00")
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        for form in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y%m%dT%H%M%S%z", "%Y-%m-%d"):
            try:
                parsed = datetime.strptime(text, form)
                break
            except ValueError:
                continue
        else:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ip_in(value: str, network: str) -> bool:
    try:
        address = ipaddress.ip_address(str(value).strip())
        net = ipaddress.ip_network(str(network).strip(), strict=False)
    except ValueError:
        return False
    return address.version == net.version and address in net


def _bool_equal(value: Any, expected: Any) -> bool:
    return str(value).lower() == str(expected).lower()


def _binary_equal(value: Any, expected: Any) -> bool:
    if isinstance(value, (bytes, bytearray)):
        value = base64.b64encode(value).decode()
    return str(value) == str(expected)


def _compare(parse: Callable[[Any], Any], test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(value: Any, expected: Any) -> bool:
        a, b = parse(value), parse(expected)
        return a is not None and b is not None and test(a, b)

    return compare


#: name → (positive test(request_value, policy_value), negated). A negated operator is true
#: when the positive test matches none of the policy's values.
OPERATORS: dict[str, tuple[Callable[[Any, Any], bool], bool]] = {}


def _add(name: str, test: Callable[[Any, Any], bool], negated_name: str | None = None) -> None:
    OPERATORS[name] = (test, False)
    if negated_name:
        OPERATORS[negated_name] = (test, True)


_add("StringEquals", lambda v, p: str(v) == p, "StringNotEquals")
_add("StringEqualsIgnoreCase", lambda v, p: str(v).lower() == p.lower(), "StringNotEqualsIgnoreCase")
_add("StringLike", lambda v, p: like(str(v), p), "StringNotLike")
_add("NumericEquals", _compare(_number, lambda a, b: a == b), "NumericNotEquals")
_add("NumericLessThan", _compare(_number, lambda a, b: a < b))
_add("NumericLessThanEquals", _compare(_number, lambda a, b: a <= b))
_add("NumericGreaterThan", _compare(_number, lambda a, b: a > b))
_add("NumericGreaterThanEquals", _compare(_number, lambda a, b: a >= b))
_add("DateEquals", _compare(parse_date, lambda a, b: a == b), "DateNotEquals")
_add("DateLessThan", _compare(parse_date, lambda a, b: a < b))
_add("DateLessThanEquals", _compare(parse_date, lambda a, b: a <= b))
_add("DateGreaterThan", _compare(parse_date, lambda a, b: a > b))
_add("DateGreaterThanEquals", _compare(parse_date, lambda a, b: a >= b))
_add("Bool", _bool_equal)
_add("BinaryEquals", _binary_equal)
_add("IpAddress", _ip_in, "NotIpAddress")
_add("ArnEquals", lambda v, p: arn_like(str(v), p), "ArnNotEquals")
_add("ArnLike", lambda v, p: arn_like(str(v), p), "ArnNotLike")
# Null is handled on its own: it tests the key's presence, not its value.
OPERATORS["Null"] = (lambda v, p: True, False)

#: Operators whose policy values may hold policy variables (${aws:username}).
VARIABLE_OPERATORS = frozenset(name for name in OPERATORS if name.startswith(("String", "Arn")))


@lru_cache(maxsize=512)
def parse_operator(text: str) -> tuple[str, str | None, bool] | None:
    """ "ForAnyValue:StringLikeIfExists" → ("StringLike", "ForAnyValue", True); None if unknown."""
    qualifier = None
    for prefix in ("ForAnyValue:", "ForAllValues:"):
        if text.startswith(prefix):
            qualifier = prefix[:-1]
            text = text[len(prefix) :]
            break
    if_exists = text.endswith("IfExists") and text != "IfExists"
    if if_exists:
        text = text[: -len("IfExists")]
    if text not in OPERATORS or (if_exists and text == "Null"):
        return None
    return text, qualifier, if_exists


def evaluate_condition(
    operator: str,
    qualifier: str | None,
    if_exists: bool,
    present: bool,
    request_values: list,
    policy_values: tuple,
) -> bool:
    """One operator/key entry of a Condition block (values of one key are ORed)."""
    if operator == "Null":
        want_missing = any(str(value).lower() == "true" for value in policy_values)
        missing = not present or (qualifier is None and not request_values)
        return missing == want_missing
    test, negated = OPERATORS[operator]
    if not present:
        if qualifier == "ForAllValues":
            return True  # vacuously: every one of no values matches
        if qualifier == "ForAnyValue":
            return False
        return if_exists or negated

    def matches(value: Any) -> bool:
        hit = any(test(value, expected) for expected in policy_values)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(matches(value) for value in request_values)
    if qualifier == "ForAnyValue":
        return any(matches(value) for value in request_values)
    if negated:
        return not any(any(test(value, expected) for expected in policy_values) for value in request_values)
    return any(matches(value) for value in request_values)
