"""Subscription filter policies: validated once when set, compiled to plain predicates, and
evaluated per message against its attributes (FilterPolicyScope=MessageAttributes) or its
JSON body (MessageBody).

A policy is an object of keys to arrays of conditions (or, on the body, to nested objects);
"$or" at any level is an array of alternative objects. A message matches when, in some
alternative, every key matches one of its conditions. Conditions: exact strings, numbers,
true/false/null, and one-key objects: prefix, suffix, equals-ignore-case, anything-but (a
value, a list, or a prefix/suffix/equals-ignore-case object), numeric ranges, exists, cidr.

Values are typed as AWS types them: a String attribute is a string, a Number attribute a
number, a String.Array attribute each of its elements; Binary attributes never match. Strings
match string conditions only, numbers numeric ones.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
from typing import Any, TypeGuard

from overcast.common import jsontext
from overcast.errors import ServiceError

MAX_KEYS = 5
MAX_COMBINATIONS = 150
_NUMERIC_OPERATORS = ("<", "<=", "=", ">", ">=")
_ABSENT: tuple = ()

Predicate = Callable[[Any], bool]


class PolicyError(Exception):
    """A policy AWS would refuse; the message is AWS's reason, without the prefix."""


def _invalid(prefix: str, reason: str) -> ServiceError:
    return ServiceError("InvalidParameter", f"{prefix}{reason}", 400)


_EXPECTED_VALUE = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"


def json_failure(text: str, error: json.JSONDecodeError) -> str:
    """Why a policy is not JSON, worded as SNS's JSON parser words it, with its location."""
    at = error.pos
    char = text[at] if at < len(text) else ""
    if not char:
        reason = "Unexpected end-of-input"
        at = len(text)
    elif error.msg.startswith("Expecting property name"):
        reason = f"Unexpected character ('{char}' (code {ord(char)})): was expecting double-quote to start field name"
    elif char.isalpha():
        token = re.split(r"[^A-Za-z0-9_$]", text[at:], maxsplit=1)[0]
        reason = f"Unrecognized token '{token}': was expecting {_EXPECTED_VALUE}"
        at += len(token)
    else:
        reason = (
            f"Unexpected character ('{char}' (code {ord(char)})): expected a valid value {_EXPECTED_VALUE}"
        )
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    return (
        f"{reason}\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled);"
        f" line: {line}, column: {column}]"
    )


def compile_policy(text: str, scope: str, prefix: str = "Invalid parameter: ") -> FilterPolicy:
    """The compiled policy, or InvalidParameter with AWS's reason. `prefix` is how the
    operation introduces it (Subscribe says "Invalid parameter: Attributes Reason: ")."""
    try:
        policy = jsontext.loads(text)
    except json.JSONDecodeError as error:
        raise _invalid(prefix, f"FilterPolicy: failed to parse JSON. {json_failure(text, error)}") from None
    if not isinstance(policy, dict):
        raise _invalid(prefix, "FilterPolicy: Filter policy must be a JSON object")
    try:
        if len(policy) > MAX_KEYS:
            raise PolicyError("FilterPolicy: Filter policy can not have more than 5 keys")
        branches, combinations = _flatten(policy, (), 1)
        if combinations > MAX_COMBINATIONS:
            raise PolicyError("FilterPolicy: Filter policy is too complex")
        # Checked once the policy is otherwise valid: AWS reports a malformed nested key first.
        if scope != "MessageBody" and any(len(path) > 1 for branch in branches for path, _ in branch):
            raise PolicyError("Filter policy scope MessageAttributes does not support nested filter policy")
    except PolicyError as error:
        raise _invalid(prefix, str(error)) from None
    return FilterPolicy(branches, scope)


def _flatten(policy: dict, path: tuple, depth: int) -> tuple[list[list], int]:
    """The policy as alternatives, each a list of (path, matcher); and its combination count
    (values multiplied across keys, times the key's depth; alternatives add up)."""
    branches: list[list] = [[]]
    combinations = 1
    for key, value in policy.items():
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2 or not all(isinstance(v, dict) for v in value):
                raise PolicyError('FilterPolicy: "$or" must be an array of at least two objects')
            alternatives: list[list] = []
            total = 0
            for option in value:
                sub_branches, sub_combinations = _flatten(option, path, depth)
                alternatives.extend(sub_branches)
                total += sub_combinations
            branches = [branch + alt for branch in branches for alt in alternatives]
            combinations *= total
        elif isinstance(value, dict):
            sub_branches, sub_combinations = _flatten(value, (*path, key), depth + 1)
            branches = [branch + sub for branch in branches for sub in sub_branches]
            combinations *= sub_combinations
        elif isinstance(value, list):
            if not value:
                raise PolicyError("FilterPolicy: Empty arrays are not allowed")
            matcher = _key_matcher([_condition(rule) for rule in value])
            branches = [[*branch, ((*path, key), matcher)] for branch in branches]
            combinations *= len(value) * depth
        else:
            raise PolicyError(f'FilterPolicy: "{key}" must be an object or an array')
    return branches, combinations


# -- conditions ------------------------------------------------------------------------------

_EXISTS_TRUE = object()
_EXISTS_FALSE = object()


def _key_matcher(conditions: list) -> Callable[[tuple], bool]:
    """Whether a key's values (empty when the key is absent) meet any of its conditions."""
    exists_true = _EXISTS_TRUE in conditions
    exists_false = _EXISTS_FALSE in conditions
    predicates = [c for c in conditions if c is not _EXISTS_TRUE and c is not _EXISTS_FALSE]

    def matches(values: tuple) -> bool:
        if not values:
            return exists_false
        if exists_true:
            return True
        for value in values:
            for predicate in predicates:
                if predicate(value):
                    return True
        return False

    return matches


def _fixed(number: Any) -> float:
    """A number as SNS compares it: to five digits after the decimal point (AWS documents
    that accuracy, so 100.123456789 and 100.1234567 are the same number to a filter)."""
    return round(float(number), 5)


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _condition(rule: Any):
    if rule is None:
        return lambda value: value is None
    if isinstance(rule, bool):
        return lambda value: value is rule
    if isinstance(rule, str):
        return lambda value: value == rule
    if _is_number(rule):
        number = _fixed(rule)
        return lambda value: _is_number(value) and value == number
    if not isinstance(rule, dict):
        raise PolicyError("FilterPolicy: Match value must be String, number, true, false, or null")
    if len(rule) != 1:
        raise PolicyError("FilterPolicy: Only one key allowed in match expression")
    ((operator, operand),) = rule.items()
    if operator == "exists":
        if not isinstance(operand, bool):
            raise PolicyError("FilterPolicy: exists match pattern must be either true or false.")
        return _EXISTS_TRUE if operand else _EXISTS_FALSE
    if operator in ("prefix", "suffix", "equals-ignore-case"):
        return _string_condition(operator, operand)
    if operator == "anything-but":
        return _anything_but(operand)
    if operator == "numeric":
        return _numeric(operand)
    if operator == "cidr":
        return _cidr(operand)
    raise PolicyError(f"FilterPolicy: Unrecognized match type {operator}")


def _string_condition(operator: str, operand: Any) -> Predicate:
    if not isinstance(operand, str):
        raise PolicyError(f"FilterPolicy: {operator} match pattern must be a string")
    if operator == "prefix":
        return lambda value: isinstance(value, str) and value.startswith(operand)
    if operator == "suffix":
        return lambda value: isinstance(value, str) and value.endswith(operand)
    folded = operand.casefold()
    return lambda value: isinstance(value, str) and value.casefold() == folded


def _anything_but(operand: Any) -> Predicate:
    if isinstance(operand, dict):
        if len(operand) != 1:
            raise PolicyError("FilterPolicy: Only one key allowed in match expression")
        ((operator, inner),) = operand.items()
        # SNS's anything-but takes prefix and equals-ignore-case, not suffix (AWS's recorded answer).
        if operator not in ("prefix", "equals-ignore-case"):
            raise PolicyError(f"FilterPolicy: Unsupported anything-but pattern: {operator}")
        if operator == "equals-ignore-case" and isinstance(inner, list):
            if not inner or not all(isinstance(item, str) for item in inner):
                raise PolicyError("FilterPolicy: equals-ignore-case match pattern must be a string")
            folded = {item.casefold() for item in inner}
            return lambda value: isinstance(value, str) and value.casefold() not in folded
        positive = _string_condition(operator, inner)
        return lambda value: isinstance(value, str) and not positive(value)
    values = operand if isinstance(operand, list) else [operand]
    if isinstance(operand, list) and not operand:
        raise PolicyError("FilterPolicy: Empty arrays are not allowed")
    strings: set[str] = set()
    numbers: set[float] = set()
    for item in values:
        if isinstance(item, str):
            strings.add(item)
        elif _is_number(item):
            numbers.add(_fixed(item))
        else:
            raise PolicyError(
                "FilterPolicy: Value of anything-but must be an array or single string/number value."
            )

    def matches(value: Any) -> bool:
        if isinstance(value, str):
            return value not in strings
        if _is_number(value):
            return value not in numbers
        return False

    return matches


def _numeric(operand: Any) -> Predicate:
    if not isinstance(operand, list) or not operand:
        raise PolicyError("FilterPolicy: Invalid member in numeric match: ]")
    terms = list(operand)
    checks: list[tuple[str, float]] = []
    operator = terms.pop(0)
    if not isinstance(operator, str):
        raise PolicyError(f"FilterPolicy: Invalid member in numeric match: {_json_text(operator)}")
    if operator not in _NUMERIC_OPERATORS:
        raise PolicyError(f"FilterPolicy: Unrecognized numeric range operator: {operator}")
    value = terms.pop(0) if terms else None
    if not _is_number(value):
        raise PolicyError(
            f"FilterPolicy: Value of {'equals' if operator == '=' else operator} must be numeric"
        )
    checks.append((operator, _fixed(value)))
    if terms:
        if operator not in (">", ">="):
            raise PolicyError("FilterPolicy: Too many elements in numeric expression")
        upper = terms.pop(0)
        if not isinstance(upper, str):
            raise PolicyError(f"FilterPolicy: Bad value in numeric range: {_json_text(upper)}")
        if upper not in ("<", "<="):
            raise PolicyError(f"FilterPolicy: Bad numeric range operator: {upper}")
        top = terms.pop(0) if terms else None
        if not _is_number(top):
            raise PolicyError(f"FilterPolicy: Value of {upper} must be numeric")
        if top <= value:
            raise PolicyError("FilterPolicy: Bottom must be less than top")
        if terms:
            raise PolicyError("FilterPolicy: Too many terms in numeric range expression")
        checks.append((upper, _fixed(top)))

    def matches(candidate: Any) -> bool:
        if not _is_number(candidate):
            return False
        for op, bound in checks:
            if op == "=":
                ok = candidate == bound
            elif op == "<":
                ok = candidate < bound
            elif op == "<=":
                ok = candidate <= bound
            elif op == ">":
                ok = candidate > bound
            else:
                ok = candidate >= bound
            if not ok:
                return False
        return True

    return matches


def _cidr(operand: Any) -> Predicate:
    if not isinstance(operand, str):
        raise PolicyError("FilterPolicy: prefix match pattern must be a string")
    address, slash, mask = operand.partition("/")
    if not slash or "/" in mask:
        raise PolicyError("FilterPolicy: Malformed CIDR, one '/' required")
    if not mask.isdigit():
        raise PolicyError("FilterPolicy: Malformed CIDR, mask bits must be an integer")
    try:
        network = ipaddress.ip_network(operand, strict=False)
    except ValueError:
        raise PolicyError(f"FilterPolicy: Nonstandard IP address: {address}") from None

    def matches(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            return ipaddress.ip_address(value) in network
        except ValueError:
            return False

    return matches


def _json_text(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else value


# -- evaluation ------------------------------------------------------------------------------


class FilterPolicy:
    __slots__ = ("branches", "scope")

    def __init__(self, branches: list[list], scope: str) -> None:
        self.branches = branches
        self.scope = scope

    def matches(self, attributes: dict | None, body: str) -> bool:
        if self.scope == "MessageBody":
            try:
                document = jsontext.loads(body)
            except ValueError:
                return False  # AWS filters bodies that are JSON objects only
            if not isinstance(document, dict):
                return False
            lookup = lambda path: _body_values(document, path)  # noqa: E731
        else:
            attributes = attributes or {}
            lookup = lambda path: _attribute_values(attributes.get(path[0]))  # noqa: E731
        for branch in self.branches:
            for path, matcher in branch:
                if not matcher(lookup(path)):
                    break
            else:
                return True
        return False


def _attribute_values(attribute: dict | None) -> tuple:
    if attribute is None:
        return _ABSENT
    data_type = attribute.get("DataType", "")
    value = attribute.get("StringValue")
    if data_type.startswith("Binary") or value is None:
        return _ABSENT
    if data_type.startswith("Number"):
        try:
            return (_fixed(value),)
        except ValueError:
            return _ABSENT
    if data_type == "String.Array":
        try:
            items = jsontext.loads(value)
        except ValueError:
            return _ABSENT
        if isinstance(items, dict):
            return _ABSENT
        if not isinstance(items, list):
            # A String.Array whose value is one JSON scalar ("100") is matched as that one
            # value, as AWS matches it: a numeric filter value accepts it.
            items = [items]
        return tuple(_fixed(i) if _is_number(i) else i for i in items if not isinstance(i, (dict, list)))
    return (value,)


def _body_values(document: Any, path: tuple) -> tuple:
    """Every leaf value at `path`, looking into arrays on the way (any element may match). A
    body key may hold dots itself: "object.nested" in a policy finds {"object": {"nested": v}}
    and {"object.nested": v} alike, as AWS matches the flattened names."""
    found: list = []
    _collect(document, ".".join(path), 0, found)
    return tuple(found) if found else _ABSENT


def _collect(node: Any, target: str, start: int, found: list) -> None:
    if isinstance(node, list):
        for item in node:
            _collect(item, target, start, found)
        return
    if not isinstance(node, dict):
        return
    for key, child in node.items():
        if not target.startswith(key, start):
            continue
        end = start + len(key)
        if end == len(target):
            for leaf in child if isinstance(child, list) else (child,):
                if not isinstance(leaf, (dict, list)):
                    found.append(_fixed(leaf) if _is_number(leaf) else leaf)
        elif target[end] == ".":
            _collect(child, target, end + 1, found)
