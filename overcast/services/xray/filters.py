"""X-Ray's filter expression language, parsed with lark and compiled to a predicate over a
trace: keywords (responsetime, duration, http.status/url/method/useragent/clientip, user,
error/fault/throttle/ok/partial, annotation.KEY), the complex keywords service("name") and
edge("a", "b") with an optional { filter } evaluated on that node or edge, id(name:, type:),
AND/OR/NOT (also && || !) and the comparisons = != < <= > >= BEGINSWITH ENDSWITH CONTAINS."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lark import Lark, Token, Transformer, UnexpectedInput, v_args

GRAMMAR = r"""
?start: expr
?expr: or_expr
?or_expr: and_expr (OR and_expr)*
?and_expr: not_expr (AND not_expr)*
?not_expr: NOT not_expr -> negate
         | atom
?atom: "(" expr ")"
     | comparison
     | flag
     | service
     | edge
comparison: keyword OP value
flag: keyword
service: "service" "(" [service_ref] ")" [block]
edge: "edge" "(" service_ref "," service_ref ")" [block]
block: "{" [expr] "}"
?service_ref: STRING -> name_ref
            | "id" "(" id_arg ("," id_arg)* ")" -> id_ref
id_arg: CNAME ":" STRING
keyword: KEYWORD
?value: STRING -> string
      | SIGNED_NUMBER -> number
      | BOOLEAN -> boolean
OR.3: /(?i:or)\b/ | "||"
AND.3: /(?i:and)\b/ | "&&"
NOT.3: /(?i:not)\b/ | "!"
OP.3: "<=" | ">=" | "!=" | "=" | "<" | ">" | /(?i:beginswith|endswith|contains)\b/
BOOLEAN.2: /(?i:true|false)\b/
KEYWORD: /annotation(\.[A-Za-z0-9_]+|\[[^\]]+\])/ | /[a-z][a-z.]*[a-z]/
STRING: /"(\\.|[^"\\])*"/
%import common.SIGNED_NUMBER
%import common.CNAME
%import common.WS
%ignore WS
"""

_PARSER = Lark(GRAMMAR, parser="lalr", maybe_placeholders=True)

#: The simple keywords and how each is read from a view.
NUMBER_KEYWORDS = {"responsetime", "duration", "http.status"}
STRING_KEYWORDS = {"http.url", "http.method", "http.useragent", "http.clientip", "user", "name", "type"}
FLAG_KEYWORDS = {"error", "fault", "throttle", "ok", "partial"}


class FilterError(Exception):
    """The expression is not X-Ray's language; the message is X-Ray's."""


@dataclass
class View:
    """What a filter sees of a trace, of one service node in it, or of one edge."""

    responsetime: float = 0.0
    duration: float = 0.0
    http: Mapping[str, Any] = field(default_factory=dict)
    flags: Mapping[str, bool] = field(default_factory=dict)
    annotations: Mapping[str, list[Any]] = field(default_factory=dict)
    users: list[str] = field(default_factory=list)
    name: str = ""
    type: str = ""
    #: Node views by (name, type), and edge views by ((name, type), (name, type)).
    services: Mapping[tuple[str, str], View] = field(default_factory=dict)
    edges: Mapping[tuple[tuple[str, str], tuple[str, str]], View] = field(default_factory=dict)

    def read(self, keyword: str) -> Any:
        if keyword in ("responsetime", "duration"):
            return getattr(self, keyword)
        if keyword.startswith("http."):
            return self.http.get(keyword[5:])
        if keyword in ("name", "type"):
            return getattr(self, keyword)
        return None


Predicate = Callable[[View], bool]
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "beginswith": lambda a, b: a.startswith(b),
    "endswith": lambda a, b: a.endswith(b),
    "contains": lambda a, b: b in a,
}


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _annotation_key(keyword: str) -> str | None:
    if keyword.startswith("annotation."):
        return keyword[len("annotation.") :]
    if keyword.startswith("annotation["):
        return keyword[len("annotation[") : -1].strip('"')
    return None


def _matches(left: Any, op: str, right: Any) -> bool:
    if left is None:
        return op == "!="
    if isinstance(right, str) != isinstance(left, str) or isinstance(right, bool) != isinstance(left, bool):
        return False
    if op in ("beginswith", "endswith", "contains") and not isinstance(left, str):
        return False
    try:
        return _COMPARE[op](left, right)
    except TypeError:
        return False


def _ref_matches(ref: Mapping[str, str], key: tuple[str, str]) -> bool:
    return all(key[0 if part == "name" else 1] == wanted for part, wanted in ref.items())


@v_args(inline=True)
class _Compile(Transformer[Token, Predicate]):
    def keyword(self, token: Token) -> str:
        keyword = str(token)
        if (
            _annotation_key(keyword) is None
            and keyword not in NUMBER_KEYWORDS | STRING_KEYWORDS | FLAG_KEYWORDS
        ):
            raise FilterError(f"Invalid keyword: {keyword}")
        return keyword

    def string(self, token: Token) -> str:
        return _unquote(str(token))

    def number(self, token: Token) -> float:
        return float(token)

    def boolean(self, token: Token) -> bool:
        return str(token).lower() == "true"

    def comparison(self, keyword: str, op: Token, value: Any) -> Predicate:
        operator = str(op).lower()
        annotation = _annotation_key(keyword)
        if annotation is not None:
            return lambda view: any(
                _matches(v, operator, value) for v in view.annotations.get(annotation, ())
            )
        if keyword in FLAG_KEYWORDS:
            if not isinstance(value, bool) or operator not in ("=", "!="):
                raise FilterError(f"Invalid comparison for keyword {keyword}")
            flag = self.flag(keyword)
            return lambda view: (flag(view) == value) == (operator == "=")
        if keyword in NUMBER_KEYWORDS and not isinstance(value, float):
            raise FilterError(f"Invalid value for keyword {keyword}: expected a number")
        if keyword in STRING_KEYWORDS and not isinstance(value, str):
            raise FilterError(f"Invalid value for keyword {keyword}: expected a string")
        if keyword == "user":
            return lambda view: any(_matches(user, operator, value) for user in view.users)
        return lambda view: _matches(view.read(keyword), operator, value)

    def flag(self, keyword: str) -> Predicate:
        annotation = _annotation_key(keyword)
        if annotation is not None:
            return lambda view: annotation in view.annotations
        if keyword not in FLAG_KEYWORDS:
            raise FilterError(f"Keyword {keyword} needs a comparison")
        if keyword == "ok":
            return lambda view: not any(view.flags.get(name) for name in ("error", "fault", "throttle"))
        return lambda view: bool(view.flags.get(keyword))

    def negate(self, _not: Token, inner: Predicate) -> Predicate:
        return lambda view: not inner(view)

    def block(self, inner: Predicate | None) -> Predicate:
        return inner or (lambda view: True)

    def name_ref(self, token: Token) -> dict[str, str]:
        return {"name": _unquote(str(token))}

    def id_arg(self, name: Token, value: Token) -> tuple[str, str]:
        if str(name) not in ("name", "type"):
            raise FilterError(f"Invalid id() argument: {name}")
        return str(name), _unquote(str(value))

    def id_ref(self, *args: tuple[str, str]) -> dict[str, str]:
        return dict(args)

    def service(self, ref: dict[str, str] | None, block: Predicate | None) -> Predicate:
        inner = block or (lambda view: True)

        def check(view: View) -> bool:
            return any(
                (ref is None or _ref_matches(ref, key)) and inner(node) for key, node in view.services.items()
            )

        return check

    def edge(self, source: dict[str, str], target: dict[str, str], block: Predicate | None) -> Predicate:
        inner = block or (lambda view: True)

        def check(view: View) -> bool:
            return any(
                _ref_matches(source, a) and _ref_matches(target, b) and inner(edge)
                for (a, b), edge in view.edges.items()
            )

        return check


@v_args(inline=False)
class _Combine(_Compile):
    def or_expr(self, parts: list[Any]) -> Predicate:
        terms = [p for p in parts if not isinstance(p, Token)]
        return lambda view: any(term(view) for term in terms)

    def and_expr(self, parts: list[Any]) -> Predicate:
        terms = [p for p in parts if not isinstance(p, Token)]
        return lambda view: all(term(view) for term in terms)


@functools.lru_cache(maxsize=256)
def compile_filter(expression: str) -> Predicate:
    """The predicate `expression` means, or FilterError with X-Ray's wording."""
    try:
        tree = _PARSER.parse(expression)
    except UnexpectedInput as error:
        raise FilterError(
            f"Invalid filter expression: {expression[:200]!r} (at column {error.column})"
        ) from None
    try:
        predicate = _Combine().transform(tree)
    except Exception as error:  # lark wraps the transformer's errors in VisitError
        cause = error.__context__ if not isinstance(error, FilterError) else error
        if isinstance(cause, FilterError):
            raise cause from None
        raise FilterError(f"Invalid filter expression: {expression[:200]!r}") from None
    if not callable(predicate):
        raise FilterError(f"Invalid filter expression: {expression[:200]!r}")
    return predicate
