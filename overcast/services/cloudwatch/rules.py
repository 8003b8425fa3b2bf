"""The alarm rule language of composite alarms: ALARM(x), OK(x), INSUFFICIENT_DATA(x), TRUE,
FALSE, AND, OR, NOT and parentheses, where x is an alarm name or ARN, quoted or not."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import LarkError

GRAMMAR = r"""
?start: or_
?or_: and_ ("OR"i and_)*
?and_: not_ ("AND"i not_)*
?not_: "NOT"i not_ -> negate
     | atom
?atom: STATE "(" target ")" -> state
     | "TRUE"i -> true
     | "FALSE"i -> false
     | "(" or_ ")"
STATE.2: "ALARM" | "OK" | "INSUFFICIENT_DATA"
?target: QUOTED | BARE
QUOTED: /"([^"\\]|\\.)*"/
BARE: /[^\s()"]+/
%ignore /\s+/
"""

MAX_RULE = 10240


class RuleError(Exception):
    pass


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="earley")


@lru_cache(maxsize=256)
def parse(rule: str) -> Tree:
    if len(rule) > MAX_RULE:
        raise RuleError("AlarmRule must be at most 10240 characters.")
    try:
        tree = _parser().parse(rule)
    except LarkError:
        raise RuleError("Error in alarm rule: syntax error.") from None
    return tree if isinstance(tree, Tree) else Tree("or_", [tree])


def _name(token: Any) -> str:
    text = str(token)
    if text.startswith('"'):
        text = text[1:-1].replace('\\"', '"')
    # An ARN names the alarm by its last part.
    if text.startswith("arn:") and ":alarm:" in text:
        text = text.split(":alarm:", 1)[1]
    return text


def children(rule: str) -> list[str]:
    """The alarm names a rule refers to, in order, without repeats."""
    found: list[str] = []
    for node in parse(rule).iter_subtrees_topdown():
        if node.data == "state":
            name = _name(node.children[1])
            if name not in found:
                found.append(name)
    return found


def evaluate(rule: str, state_of: Callable[[str], str | None]) -> bool:
    return _eval(parse(rule), state_of)


def _eval(node: Any, state_of: Callable[[str], str | None]) -> bool:
    if isinstance(node, Token):
        raise RuleError("Error in alarm rule.")
    kind = node.data
    if kind == "true":
        return True
    if kind == "false":
        return False
    if kind == "negate":
        return not _eval(node.children[0], state_of)
    if kind == "and_":
        return all(_eval(child, state_of) for child in node.children)
    if kind == "or_":
        return any(_eval(child, state_of) for child in node.children)
    if kind == "state":
        return state_of(_name(node.children[1])) == str(node.children[0])
    raise RuleError("Error in alarm rule.")
