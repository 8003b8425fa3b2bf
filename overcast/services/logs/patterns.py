"""CloudWatch Logs filter patterns, compiled once into a predicate over a message.

Three forms, as AWS documents them:
  terms          ERROR "disk full" -DEBUG ?WARN ...   (all terms; ?terms any-of; -term none)
  JSON           { $.level = "ERROR" && ($.latency > 100 || $.user.id NOT EXISTS) }
  space-delimited [ip, user, ts, request = "GET*", status_code = 5*, bytes > 1000]
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from typing import Any

from overcast.common import jsontext

Predicate = Callable[[str], bool]


class PatternError(ValueError):
    pass


def compile_pattern(pattern: str | None) -> Predicate:
    text = (pattern or "").strip()
    if not text or text == '""':
        return lambda message: True
    if text.startswith("{"):
        if not text.endswith("}"):
            raise PatternError("Invalid character(s) in term")
        return _json_pattern(text[1:-1])
    if text.startswith("["):
        if not text.endswith("]"):
            raise PatternError("Invalid character(s) in term")
        return _delimited_pattern(text[1:-1])
    return _term_pattern(text)


# -- terms -------------------------------------------------------------------------------


def _term_pattern(text: str) -> Predicate:
    try:
        terms = shlex.split(text, posix=True)
    except ValueError as error:
        raise PatternError(str(error)) from None
    required: list[Predicate] = []
    excluded: list[Predicate] = []
    optional: list[Predicate] = []
    for term in terms:
        if term.startswith("?") and len(term) > 1:
            optional.append(_term(term[1:]))
        elif term.startswith("-") and len(term) > 1:
            excluded.append(_term(term[1:]))
        else:
            required.append(_term(term))

    def match(message: str) -> bool:
        if optional and not any(term(message) for term in optional):
            return False
        return all(term(message) for term in required) and not any(term(message) for term in excluded)

    return match


def _term(term: str) -> Predicate:
    if term.startswith("%") and term.endswith("%") and len(term) > 2:  # a regular expression
        try:
            regex = re.compile(term[1:-1])
        except re.error as error:
            raise PatternError(f"Invalid regular expression: {error}") from None
        return lambda message: regex.search(message) is not None
    if "*" in term:
        regex = re.compile(".*".join(re.escape(part) for part in term.split("*")))
        return lambda message: regex.search(message) is not None
    return lambda message: term in message


# -- values shared by JSON and space-delimited patterns ------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _compare(actual: Any, operator: str, expected: str, quoted: bool) -> bool:
    if operator in ("=", "!="):
        if not quoted and _number(expected) is not None and _number(actual) is not None:
            equal = _number(actual) == _number(expected)
        else:
            if isinstance(actual, (dict, list)) or actual is None:
                equal = False
            else:
                text = actual if isinstance(actual, str) else json.dumps(actual)
                if "*" in expected:
                    regex = re.compile("^" + ".*".join(re.escape(p) for p in expected.split("*")) + "$")
                    equal = regex.match(text) is not None
                else:
                    equal = text == expected
        return equal if operator == "=" else not equal
    left, right = _number(actual), _number(expected)
    if left is None or right is None:
        return False
    return {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[operator]


# -- JSON patterns --------------------------------------------------------------------------

_JSON_TOKEN = re.compile(
    r"\s*(?:(?P<and>&&)|(?P<or>\|\|)|(?P<lp>\()|(?P<rp>\))"
    r"|(?P<op>!=|<=|>=|=|<|>)"
    r"|(?P<kw>IS\s+NULL|IS\s+TRUE|IS\s+FALSE|NOT\s+EXISTS)\b"
    r"|(?P<selector>\$(?:\.[A-Za-z0-9_$@\-]+|\[\d+\]|\.\*|\[\*\])*)"
    r"|\"(?P<string>(?:[^\"\\]|\\.)*)\""
    r"|(?P<bare>[^\s()&|=!<>\"]+))"
)


def _json_tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _JSON_TOKEN.match(text, position)
        # Every alternative of a token is a named group, so a token always has its kind.
        if match is None or match.end() == position or match.lastgroup is None:
            raise PatternError("Invalid character(s) in term")
        position = match.end()
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "kw":
            value = " ".join(value.split())
        tokens.append((kind, value))
    return tokens


def _select(document: Any, selector: str) -> list[Any]:
    """The values a selector reaches ($.a.b[0], $.a[*].b); [] when it reaches nothing."""
    parts = re.findall(r"\.([^.\[]+)|\[(\d+|\*)\]", selector[1:])
    values = [document]
    for name, index in parts:
        following: list[Any] = []
        for value in values:
            if name:
                if name == "*":
                    if isinstance(value, dict):
                        following.extend(value.values())
                elif isinstance(value, dict) and name in value:
                    following.append(value[name])
            elif index == "*":
                if isinstance(value, list):
                    following.extend(value)
            elif isinstance(value, list) and int(index) < len(value):
                following.append(value[int(index)])
        values = following
    return values


_MISSING = object()


def _json_pattern(body: str) -> Predicate:
    tokens = _json_tokens(body)
    position = 0

    def peek() -> str | None:
        """The kind of the next token."""
        return tokens[position][0] if position < len(tokens) else None

    def take() -> tuple[str, str]:
        nonlocal position
        if position >= len(tokens):
            raise PatternError("Invalid filter pattern: unexpected end")
        position += 1
        return tokens[position - 1]

    def expression() -> Callable[[Any], bool]:
        left = conjunction()
        while peek() == "or":
            take()
            right = conjunction()
            left = (lambda a, b: lambda doc: a(doc) or b(doc))(left, right)
        return left

    def conjunction() -> Callable[[Any], bool]:
        left = condition()
        while peek() == "and":
            take()
            right = condition()
            left = (lambda a, b: lambda doc: a(doc) and b(doc))(left, right)
        return left

    def condition() -> Callable[[Any], bool]:
        kind, value = take()
        if kind == "lp":
            inner = expression()
            if take()[0] != "rp":
                raise PatternError("Invalid filter pattern: unbalanced parentheses")
            return inner
        if kind != "selector":
            raise PatternError(f"Invalid filter pattern near {value!r}")
        selector = value
        kind, value = take()
        if kind == "kw":
            if value == "NOT EXISTS":
                return lambda doc: not _select(doc, selector)
            if value == "IS NULL":
                return lambda doc: any(v is None for v in _select(doc, selector))
            flag = value == "IS TRUE"
            return lambda doc: any(v is flag for v in _select(doc, selector))
        if kind != "op":
            raise PatternError(f"Invalid filter pattern near {value!r}")
        operator = value
        kind, value = take()
        if kind == "string":
            expected, quoted = value.replace('\\"', '"'), True
        elif kind == "bare":
            expected, quoted = value, False
            if value in ("true", "false", "null") and operator in ("=", "!="):
                literal = {"true": True, "false": False, "null": None}[value]
                if operator == "=":
                    return lambda doc: any(v is literal for v in _select(doc, selector))
                return lambda doc: not any(v is literal for v in _select(doc, selector))
        else:
            raise PatternError(f"Invalid filter pattern near {value!r}")
        if operator == "!=":
            return lambda doc: (
                bool(values := _select(doc, selector))
                and not any(_compare(v, "=", expected, quoted) for v in values)
            )
        return lambda doc: any(_compare(v, operator, expected, quoted) for v in _select(doc, selector))

    predicate = expression()
    if position != len(tokens):
        raise PatternError("Invalid filter pattern: unexpected trailing text")

    def match(message: str) -> bool:
        start = message.find("{")
        if start < 0:
            return False
        try:
            document = jsontext.loads(message[start:])
        except ValueError:
            return False
        return predicate(document)

    return match


# -- space-delimited patterns -----------------------------------------------------------------

_FIELD = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9_.\-]+|\.\.\.)\s*(?:(?P<op>!=|<=|>=|=|<|>)\s*(?P<value>.+?))?\s*$"
)


def _split_fields(body: str) -> list[str]:
    fields: list[str] = []
    current: list[str] = []
    depth, quote = 0, False
    for char in body:
        if char == '"':
            quote = not quote
        if char == "," and not quote and depth == 0:
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
    fields.append("".join(current))
    return [field for field in fields if field.strip()]


def _tokenize_message(message: str) -> list[str]:
    """Split a log line on spaces, keeping "quoted strings" and [bracketed] groups whole."""
    return [a or b or c for a, b, c in re.findall(r'"([^"]*)"|\[([^\]]*)\]|(\S+)', message)]


def _value(text: str) -> tuple[str, bool]:
    text = text.strip()
    if len(text) > 1 and text.startswith('"') and text.endswith('"'):
        return text[1:-1], True
    return text, False


def _delimited_pattern(body: str) -> Predicate:
    """Fields separated by commas; a field may carry conditions joined by || and &&, each
    naming the field again: [ip, status = 4* || status = 5*, bytes > 100 && bytes < 500]."""
    fields = []
    for text in _split_fields(body):
        name = None
        alternatives = []  # OR of ANDs of (operator, value, quoted)
        for alternative in re.split(r"\|\|", text):
            conjunction = []
            for part in re.split(r"&&", alternative):
                parsed = _FIELD.match(part)
                if parsed is None or (name is not None and parsed.group("name") != name):
                    raise PatternError("Invalid character(s) in term")
                name = parsed.group("name")
                if parsed.group("op"):
                    conjunction.append((parsed.group("op"), *_value(parsed.group("value"))))
            if conjunction:
                alternatives.append(conjunction)
        fields.append((name, alternatives or None))
    has_ellipsis = any(name == "..." for name, _ in fields)

    def field_ok(value: str, condition) -> bool:
        if condition is None:
            return True
        return any(
            all(_compare(value, op, expected, quoted) for op, expected, quoted in conjunction)
            for conjunction in condition
        )

    def match(message: str) -> bool:
        values = _tokenize_message(message)
        if not has_ellipsis:
            if len(values) != len(fields):
                return False
            return all(field_ok(v, c) for v, (_, c) in zip(values, fields, strict=False))
        return _match_with_ellipsis(values, fields, field_ok)

    return match


def _match_with_ellipsis(values, fields, field_ok) -> bool:
    if not fields:
        return not values
    (name, condition), rest = fields[0], fields[1:]
    if name == "...":
        return any(_match_with_ellipsis(values[i:], rest, field_ok) for i in range(len(values) + 1))
    if not values or not field_ok(values[0], condition):
        return False
    return _match_with_ellipsis(values[1:], rest, field_ok)


def extracted_values(pattern: str | None, message: str) -> dict[str, str]:
    """The values a space-delimited pattern's named fields take in a message it matches, as
    TestMetricFilter reports them ({"$ip": "127.0.0.1", ...}); other patterns extract none."""
    text = (pattern or "").strip()
    if not (text.startswith("[") and text.endswith("]")) or not compile_pattern(text)(message):
        return {}
    names = []
    for field_text in _split_fields(text[1:-1]):
        parsed = _FIELD.match(re.split(r"\|\||&&", field_text)[0])
        names.append(parsed.group("name") if parsed else "")
    values = _tokenize_message(message)
    assigned = _assign(names, values)
    return {f"${name}": value for name, value in (assigned or []) if name and name != "..."}


def _assign(names: list[str], values: list[str]) -> list[tuple[str, str]] | None:
    """Fields matched to values left to right, an ellipsis taking as few values as it can
    (the match itself was decided by the pattern's predicate)."""
    if not names:
        return [] if not values else None
    name, rest = names[0], names[1:]
    if name == "...":
        for skip in range(len(values) + 1):
            tail = _assign(rest, values[skip:])
            if tail is not None:
                return tail
        return None
    if not values:
        return None
    tail = _assign(rest, values[1:])
    return None if tail is None else [(name, values[0]), *tail]
