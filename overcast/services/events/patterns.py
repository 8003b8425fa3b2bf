"""EventBridge's event pattern language: validated as AWS validates it, compiled once, matched
against events (rules, TestEventPattern and archives use this one engine).

A pattern is a JSON object. A key whose value is an object descends into the event's object of
that name; a key whose value is an array is a leaf: the event's value there (or, when it is an
array, any of its elements) must match one of the array's matchers. A matcher is an exact value
(string, number, boolean, null) or an object naming one match type: prefix, suffix,
equals-ignore-case, wildcard, anything-but, numeric, exists, cidr. `$or` at any level holds two
or more patterns of which one must match, next to the level's other keys.

An object pattern met by an array of objects matches when one element matches all of it (AWS's
array consistency). Numbers compare by value (5 matches 5.0), never with strings.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from overcast.common import jsontext

#: An event value the pattern looks for and the event does not have.
MISSING: Any = object()
_REASON = "Event pattern is not valid. Reason: "
#: Numeric values EventBridge matches: ±5.0e9, as its documentation bounds them.
_NUMERIC_LIMIT = 5.0e9
_LOWER_OPS = (">", ">=")
_UPPER_OPS = ("<", "<=")
#: More wildcards than this in one value makes AWS refuse the rule as too complex.
_MAX_WILDCARDS = 5

Leaf = Callable[[Any], bool]


class PatternError(ValueError):
    """A pattern AWS refuses: the message is AWS's InvalidEventPatternException message."""

    def __init__(self, reason: str) -> None:
        super().__init__(_REASON + reason)


# -- parsing -------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise PatternError(
        f"Unrecognized token '{name}': was expecting (JSON String, Number, Array, Object or token "
        "'null', 'true' or 'false')"
    )


def parse(text: str) -> dict:
    """The pattern a rule's EventPattern text holds, or PatternError."""
    try:
        pattern = jsontext.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise PatternError(_json_reason(text, error)) from None
    if not isinstance(pattern, dict):
        raise PatternError("Filter is not an object")
    compile_pattern(pattern)
    return pattern


def _json_reason(text: str, error: json.JSONDecodeError) -> str:
    """Jackson's wording (AWS parses with it) for the commonest JSON mistakes."""
    at = text[error.pos : error.pos + 1]
    if error.msg.startswith("Expecting property name") and at:
        return (
            f"Unexpected character ('{at}' (code {ord(at)})): was expecting double-quote to start field name"
        )
    if error.msg.startswith("Expecting value") and at:
        token = re.match(r"[A-Za-z_][\w-]*", text[error.pos :])
        if token:
            return (
                f"Unrecognized token '{token.group(0)}': was expecting (JSON String, Number, Array, "
                "Object or token 'null', 'true' or 'false')"
            )
        return f"Unexpected character ('{at}' (code {ord(at)})): expected a valid value"
    return error.msg


# -- compiling -------------------------------------------------------------------------------


class Node:
    """One object level of a pattern: leaf matchers per key, nested levels per key, and the
    `$or` alternatives."""

    __slots__ = ("alternatives", "leaves", "nested")

    def __init__(self) -> None:
        self.leaves: list[tuple[str, list[Leaf], bool]] = []  # (key, matchers, absent matches)
        self.nested: list[tuple[str, Node]] = []
        self.alternatives: list[Node] = []

    def matches(self, value: Any) -> bool:
        if isinstance(value, list):
            return any(self.matches(item) for item in value if isinstance(item, dict))
        source = value if isinstance(value, dict) else {}
        for key, matchers, absent_matches in self.leaves:
            found = source.get(key, MISSING)
            if found is MISSING:
                found = _dotted(source, key)
            if not _leaf_matches(matchers, absent_matches, found):
                return False
        for key, node in self.nested:
            found = source.get(key, MISSING)
            if found is MISSING:
                found = _dotted(source, key)
            if not node.matches(found):
                return False
        return not self.alternatives or any(node.matches(value) for node in self.alternatives)


def _dotted(source: dict, key: str) -> Any:
    """AWS matches on dot-joined paths: a pattern key "a.b" finds the event's a → b, and a
    pattern level "a" finds the event's keys "a.<rest>". Looked up only when the key itself
    is not there."""
    index = key.find(".")
    while index > 0:
        head = source.get(key[:index])
        if isinstance(head, dict):
            found = head.get(key[index + 1 :], MISSING)
            return _dotted(head, key[index + 1 :]) if found is MISSING else found
        index = key.find(".", index + 1)
    inner = {name[len(key) + 1 :]: value for name, value in source.items() if name.startswith(key + ".")}
    return inner or MISSING


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _leaf_values(value: Any) -> Iterator[Any]:
    if isinstance(value, list):
        for item in value:
            if not isinstance(item, (dict, list)):
                yield item
    elif value is not MISSING and not isinstance(value, dict):
        yield value


def _leaf_matches(matchers: list[Leaf], absent_matches: bool, value: Any) -> bool:
    if value.__class__ in _SCALARS:  # the common case: one plain value
        return any(matcher(value) for matcher in matchers)
    found = False
    for item in _leaf_values(value):
        found = True
        for matcher in matchers:
            if matcher(item):
                return True
    return absent_matches and not found


def compile_pattern(pattern: dict) -> Node:
    """The matcher of a parsed pattern; PatternError where AWS refuses it."""
    node = Node()
    for key, value in pattern.items():
        if key == "$or":
            node.alternatives = _alternatives(value)
        elif isinstance(value, dict):
            node.nested.append((key, compile_pattern(value)))
        elif isinstance(value, list):
            if not value:
                raise PatternError("Empty arrays are not allowed")
            matchers = [_matcher(item) for item in value]
            absent = any(isinstance(item, dict) and item.get("exists") is False for item in value)
            node.leaves.append((key, matchers, absent))
        else:
            raise PatternError(f'"{key}" must be an object or an array')
    return node


def _alternatives(value: Any) -> list[Node]:
    if not isinstance(value, list) or len(value) < 2 or not all(isinstance(item, dict) for item in value):
        raise PatternError("Or relationship must be an array of at least two objects")
    return [compile_pattern(item) for item in value]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _exact(expected: Any) -> Leaf:
    if _is_number(expected):
        return lambda value: _is_number(value) and value == expected
    if isinstance(expected, bool):
        return lambda value: value is expected
    if expected is None:
        return lambda value: value is None
    return lambda value: isinstance(value, str) and value == expected


def _matcher(item: Any) -> Leaf:
    if not isinstance(item, dict):
        if isinstance(item, list):
            raise PatternError("Match value must be String, number, true, false, or null")
        return _exact(item)
    if len(item) != 1:
        raise PatternError(
            "Only one key allowed in match expression" if item else "Empty objects are not allowed"
        )
    kind, argument = next(iter(item.items()))
    build = _MATCH_TYPES.get(kind)
    if build is None:
        raise PatternError(f"Unrecognized match type {kind}")
    return build(argument)


def _string_argument(argument: Any, name: str) -> str:
    if not isinstance(argument, str):
        raise PatternError(f"{name} match pattern must be a string")
    return argument


def _prefix(argument: Any) -> Leaf:
    if isinstance(argument, dict) and set(argument) == {"equals-ignore-case"}:
        folded = _string_argument(argument["equals-ignore-case"], "equals-ignore-case").casefold()
        return lambda value: isinstance(value, str) and value.casefold().startswith(folded)
    text = _string_argument(argument, "prefix")
    return lambda value: isinstance(value, str) and value.startswith(text)


def _suffix(argument: Any) -> Leaf:
    if isinstance(argument, dict) and set(argument) == {"equals-ignore-case"}:
        folded = _string_argument(argument["equals-ignore-case"], "equals-ignore-case").casefold()
        return lambda value: isinstance(value, str) and value.casefold().endswith(folded)
    text = _string_argument(argument, "suffix")
    return lambda value: isinstance(value, str) and value.endswith(text)


def _equals_ignore_case(argument: Any) -> Leaf:
    folded = _string_argument(argument, "equals-ignore-case").casefold()
    return lambda value: isinstance(value, str) and value.casefold() == folded


def wildcard_regex(text: str) -> re.Pattern[str]:
    """The regular expression of a wildcard value: `*` any run of characters, `\\*` a star."""
    parts: list[str] = []
    stars = 0
    index = 0
    previous_star = False
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] in "*\\":
            parts.append(re.escape(text[index + 1]))
            index += 2
            previous_star = False
            continue
        if char == "*":
            if previous_star:
                raise PatternError(f"Consecutive wildcard characters at pos {index}")
            stars += 1
            parts.append(".*")
            previous_star = True
        else:
            parts.append(re.escape(char))
            previous_star = False
        index += 1
    if stars > _MAX_WILDCARDS:
        raise PatternError(
            "Rule is too complex - try using fewer wildcard characters or fewer repeating character "
            "sequences after a wildcard character"
        )
    return re.compile("".join(parts), re.DOTALL)


def _wildcard(argument: Any) -> Leaf:
    regex = wildcard_regex(_string_argument(argument, "wildcard"))
    return lambda value: isinstance(value, str) and regex.fullmatch(value) is not None


def _exists(argument: Any) -> Leaf:
    if not isinstance(argument, bool):
        raise PatternError("exists match pattern must be either true or false.")
    # Absence is judged by the leaf as a whole (see compile_pattern): a value that is there
    # matches `exists: true` only.
    return lambda value: argument


def _numeric(argument: Any) -> Leaf:
    if not isinstance(argument, list):
        raise PatternError("Value of numeric must be an array.")
    if not argument:
        raise PatternError("Empty arrays are not allowed")
    checks: list[Callable[[float], bool]] = []
    index = 0
    previous: str | None = None
    while index < len(argument):
        operator = argument[index]
        if not isinstance(operator, str) or operator not in _NUMERIC_OPS:
            raise PatternError(f"Unrecognized numeric range operator: {operator}")
        if previous is not None and (previous not in _LOWER_OPS or operator not in _UPPER_OPS):
            raise PatternError(f"Bad numeric range operator: {operator}")
        if index + 1 >= len(argument) or not _is_number(argument[index + 1]):
            raise PatternError(f"Value of {operator} must be numeric")
        bound = float(argument[index + 1])
        if not -_NUMERIC_LIMIT <= bound <= _NUMERIC_LIMIT:
            raise PatternError(f"Value of {operator} must be between -5.0E9 and 5.0E9 inclusive")
        if operator == "=" and len(argument) > 2:
            raise PatternError("Bad numeric range operator: =")
        checks.append(_bound_check(_NUMERIC_OPS[operator], bound))
        previous = operator
        index += 2
    return lambda value: _is_number(value) and all(check(float(value)) for check in checks)


def _bound_check(compare: Callable[[float, float], bool], bound: float) -> Callable[[float], bool]:
    return lambda number: compare(number, bound)


_NUMERIC_OPS: dict[str, Callable[[float, float], bool]] = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    if text.count("/") != 1:
        raise PatternError("Malformed CIDR, one '/' required")
    address, _, bits = text.partition("/")
    if not bits.isdigit():
        raise PatternError("Malformed CIDR, mask bits must be an integer")
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise PatternError(f"Nonstandard IP address: {address}") from None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise PatternError(f"Malformed CIDR, mask bits must be an integer: {bits}") from None


def _cidr(argument: Any) -> Leaf:
    # AWS words a CIDR that is not a string as it does a prefix.
    network = _network(_string_argument(argument, "prefix"))

    def matches(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            return ipaddress.ip_address(value) in network
        except ValueError:
            return False

    return matches


# -- anything-but ----------------------------------------------------------------------------

_BUT_SCALAR = "Value of anything-but must be an array or single string/number value."


def _anything_but(argument: Any) -> Leaf:
    if isinstance(argument, dict):
        if len(argument) != 1:
            raise PatternError(_BUT_SCALAR)
        kind, inner = next(iter(argument.items()))
        build = _BUT_TYPES.get(kind)
        if build is None:
            raise PatternError(f"Unsupported anything-but pattern: {kind}")
        excluded = build(inner)
        return lambda value: not excluded(value)
    if isinstance(argument, list):
        if not argument:
            raise PatternError("Empty arrays are not allowed")
        for item in argument:
            if not (isinstance(item, str) or _is_number(item)):
                raise PatternError("Inside anything but list, start|null|boolean is not supported.")
        excluded_values = [_exact(item) for item in argument]
        return lambda value: not any(check(value) for check in excluded_values)
    if isinstance(argument, str) or _is_number(argument):
        same = _exact(argument)
        return lambda value: not same(value)
    raise PatternError(_BUT_SCALAR)


def _strings(argument: Any, check: Callable[[Any], str]) -> list[str]:
    items = argument if isinstance(argument, list) else [argument]
    if isinstance(argument, list) and not argument:
        raise PatternError("Empty arrays are not allowed")
    return [check(item) for item in items]


def _affix_argument(argument: Any) -> str:
    if isinstance(argument, dict):
        raise PatternError(_BUT_SCALAR)
    if not isinstance(argument, str):
        raise PatternError("prefix/suffix match pattern must be a string")
    if not argument:
        raise PatternError("Null prefix/suffix not allowed")
    return argument


def _but_prefix(argument: Any) -> Leaf:
    texts = _strings(argument, _affix_argument)
    return lambda value: isinstance(value, str) and any(value.startswith(text) for text in texts)


def _but_suffix(argument: Any) -> Leaf:
    texts = _strings(argument, _affix_argument)
    return lambda value: isinstance(value, str) and any(value.endswith(text) for text in texts)


def _ignore_case_argument(argument: Any) -> str:
    if not isinstance(argument, str):
        raise PatternError(
            "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
        )
    return argument.casefold()


def _but_ignore_case(argument: Any) -> Leaf:
    texts = set(_strings(argument, _ignore_case_argument))
    return lambda value: isinstance(value, str) and value.casefold() in texts


def _but_wildcard(argument: Any) -> Leaf:
    regexes = [
        wildcard_regex(text) for text in _strings(argument, lambda item: _string_argument(item, "wildcard"))
    ]
    return lambda value: isinstance(value, str) and any(regex.fullmatch(value) for regex in regexes)


_BUT_TYPES: dict[str, Callable[[Any], Leaf]] = {
    "prefix": _but_prefix,
    "suffix": _but_suffix,
    "equals-ignore-case": _but_ignore_case,
    "wildcard": _but_wildcard,
}

_MATCH_TYPES: dict[str, Callable[[Any], Leaf]] = {
    "prefix": _prefix,
    "suffix": _suffix,
    "equals-ignore-case": _equals_ignore_case,
    "wildcard": _wildcard,
    "anything-but": _anything_but,
    "numeric": _numeric,
    "exists": _exists,
    "cidr": _cidr,
}


# -- what an index can key on ----------------------------------------------------------------


def fixed_values(pattern: dict, key: str) -> frozenset[str] | None:
    """The exact strings a top-level leaf (`source`, `detail-type`) must equal for the pattern
    to match, or None when the pattern allows other values there (no such leaf, a match type
    other than an exact string, or a `$or` that may not require it)."""
    if "$or" in pattern:
        return None
    values = pattern.get(key)
    if not isinstance(values, list) or not values or not all(isinstance(item, str) for item in values):
        return None
    return frozenset(values)
