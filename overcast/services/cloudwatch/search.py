"""The search expression of metric math's SEARCH(): a schema `{Namespace,Dim1,Dim2}` (the
metrics of that namespace with exactly those dimensions), search terms (a word matches any
token of the namespace, metric name or a dimension's name or value; "a phrase" matches whole;
Name=value and Name="value" match a property exactly: MetricName, Namespace or a dimension),
AND / OR / NOT and parentheses; terms side by side are ANDed, as on AWS."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import LarkError

from overcast.services.cloudwatch.mathexpr import MathError

GRAMMAR = r"""
?start: or_
?or_: and_ ("OR" and_)*
?and_: not_ ("AND"? not_)*
?not_: "NOT" not_ -> negate
     | term
?term: schema
     | WORD "=" value -> exact
     | value -> partial
     | "(" or_ ")"
schema: "{" value ("," value)* "}"
?value: WORD | QUOTED
WORD: /[^\s(){}=,"]+/
QUOTED: /"([^"\\]|\\.)*"/
%ignore /\s+/
"""

#: Words inside a name: "CPUUtilization" → CPU, Utilization; "NetworkIn" → Network, In.
_TOKEN = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z0-9]+|[A-Z]+|[0-9]+")


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="earley")


def _text(node: Any) -> str:
    text = str(node)
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1].replace('\\"', '"')
    return text


def _tokens(text: str) -> set[str]:
    words = {text.lower()}
    for part in re.split(r"[^A-Za-z0-9]+", text):
        if part:
            words.add(part.lower())
            words.update(t.lower() for t in _TOKEN.findall(part))
    return words


Matcher = Callable[[dict[str, Any]], bool]


@lru_cache(maxsize=256)
def compile_search(query: str) -> Matcher:
    if len(query) > 1024:
        raise MathError("The search expression is longer than 1024 characters.")
    try:
        tree = _parser().parse(query)
    except LarkError as error:
        raise MathError(f"Invalid search expression {query!r}: {str(error).splitlines()[0]}") from None
    return _compile(tree)


def _compile(node: Any) -> Matcher:
    if isinstance(node, Token):
        return _compile(Tree("partial", [node]))
    kind = node.data
    if kind == "or_":
        parts = [_compile(child) for child in node.children]
        return lambda m: any(p(m) for p in parts)
    if kind == "and_":
        parts = [_compile(child) for child in node.children]
        return lambda m: all(p(m) for p in parts)
    if kind == "negate":
        inner = _compile(node.children[0])
        return lambda m: not inner(m)
    if kind == "schema":
        names = [_text(child) for child in node.children]
        namespace, dims = names[0], set(names[1:])

        def schema(m: dict[str, Any]) -> bool:
            return m["Namespace"] == namespace and {d["Name"] for d in m["Dimensions"]} == dims

        return schema
    if kind == "exact":
        name, value = _text(node.children[0]), _text(node.children[1])
        quoted = str(node.children[1]).startswith('"')

        def exact(m: dict[str, Any]) -> bool:
            if name == "MetricName":
                have = [m["MetricName"]]
            elif name == "Namespace":
                have = [m["Namespace"]]
            else:
                have = [d["Value"] for d in m["Dimensions"] if d["Name"] == name]
            if quoted:
                return value in have
            return any(value.lower() in _tokens(h) for h in have)

        return exact
    if kind == "partial":
        raw = str(node.children[0])
        value = _text(raw)
        phrase = raw.startswith('"')

        def partial(m: dict[str, Any]) -> bool:
            fields = [m["Namespace"], m["MetricName"]]
            for d in m["Dimensions"]:
                fields.extend((d["Name"], d["Value"]))
            if phrase:
                return any(value == f or value in f for f in fields)
            wanted = value.lower()
            return any(wanted in _tokens(f) for f in fields)

        return partial
    raise MathError(f"Invalid search expression element {kind}.")
