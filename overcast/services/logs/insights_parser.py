"""The CloudWatch Logs Insights query language, parsed into commands over expression trees.

A query is commands joined by `|`: fields, display, filter, stats ... by ..., sort, limit,
parse (glob or regex), dedup. Expressions have literals, fields (`@message`, `a.b.c`,
`` `odd name` ``), functions, arithmetic, comparisons, `like`/`=~`, `in [...]`, and/or/not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


class QueryError(ValueError):
    """A query Insights cannot compile; `start`/`end` locate the offending text."""

    def __init__(self, message: str, start: int = 0, end: int = 0) -> None:
        super().__init__(message)
        self.start, self.end = start, end


def unexpected(text: str, symbol: str, start: int, end: int) -> QueryError:
    """Insights' wording for a symbol it cannot place, with its line and position (from 1)."""
    line = text.count("\n", 0, start) + 1
    position = start - (text.rfind("\n", 0, start) + 1) + 1
    return QueryError(f"unexpected symbol found {symbol} at line {line} and position {position}", start, end)


# -- tokens -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # name | number | duration | string | regex | op | pipe
    text: str
    start: int
    end: int
    value: Any = None


_DURATION_UNITS = {
    "ms": 1,
    "s": 1000,
    "sec": 1000,
    "m": 60_000,
    "min": 60_000,
    "h": 3_600_000,
    "hr": 3_600_000,
    "d": 86_400_000,
    "w": 7 * 86_400_000,
    "mo": 30 * 86_400_000,
    "q": 91 * 86_400_000,
    "y": 365 * 86_400_000,
}
_NUMBER = re.compile(r"\d+(\.\d+)?([eE][-+]?\d+)?")
_UNIT = re.compile(r"(ms|sec|min|hr|mo|s|m|h|d|w|q|y)(?![\w@.])")
_NAME = re.compile(r"[@A-Za-z_$][\w@.$]*(?<!\.)")
_OPERATORS = ("!=", "<=", ">=", "=~", "(", ")", ",", "[", "]", "+", "-", "*", "/", "%", "^", "=", "<", ">")
#: After these a `/` opens a regular expression rather than dividing.
_VALUE_KINDS = {"name", "number", "duration", "string", "regex"}


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    at = 0
    while at < len(text):
        char = text[at]
        if char.isspace():
            at += 1
            continue
        if char == "#":  # a comment runs to the end of its line
            newline = text.find("\n", at)
            at = len(text) if newline < 0 else newline
            continue
        if char == "|":
            tokens.append(Token("pipe", "|", at, at + 1))
            at += 1
            continue
        if char in "\"'":
            end, literal = _quoted(text, at, char)
            tokens.append(Token("string", text[at:end], at, end, literal))
            at = end
            continue
        if char == "`":
            end = text.find("`", at + 1)
            if end < 0:
                raise QueryError("unterminated quoted field name", at, len(text))
            tokens.append(Token("name", text[at : end + 1], at, end + 1, text[at + 1 : end]))
            at = end + 1
            continue
        previous = tokens[-1] if tokens else None
        value_before = previous is not None and (
            (previous.kind in _VALUE_KINDS and not _is_keyword(previous)) or previous.text in (")", "]")
        )
        # `parse @message /regex/`: the field before the pattern is no dividend.
        after_parse_field = (
            len(tokens) >= 2 and tokens[-2].kind == "name" and tokens[-2].text.lower() == "parse"
        )
        if char == "/" and (not value_before or after_parse_field):
            end, pattern = _regex(text, at)
            tokens.append(Token("regex", text[at:end], at, end, pattern))
            at = end
            continue
        number = _NUMBER.match(text, at)
        if number:
            end = number.end()
            unit = _UNIT.match(text, end)
            if unit and "." not in number.group() and not number.group(2):
                tokens.append(
                    Token(
                        "duration",
                        text[at : unit.end()],
                        at,
                        unit.end(),
                        int(number.group()) * _DURATION_UNITS[unit.group()],
                    )
                )
                at = unit.end()
                continue
            raw = number.group()
            value: Any = float(raw) if any(c in raw for c in ".eE") else int(raw)
            tokens.append(Token("number", raw, at, end, value))
            at = end
            continue
        name = _NAME.match(text, at)
        if name:
            tokens.append(Token("name", name.group(), at, name.end(), name.group()))
            at = name.end()
            continue
        for op in _OPERATORS:
            if text.startswith(op, at):
                tokens.append(Token("op", op, at, at + len(op)))
                at += len(op)
                break
        else:
            raise unexpected(text, char, at, at + 1)
    return tokens


def _quoted(text: str, at: int, quote: str) -> tuple[int, str]:
    out = []
    index = at + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            out.append(text[index + 1])
            index += 2
            continue
        if char == quote:
            return index + 1, "".join(out)
        out.append(char)
        index += 1
    raise QueryError("unterminated string", at, len(text))


def _regex(text: str, at: int) -> tuple[int, re.Pattern[str]]:
    index = at + 1
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == "/":
            source = text[at + 1 : index]
            end = index + 1
            flags = 0
            if source.startswith("(?i)"):
                source, flags = source[4:], re.IGNORECASE
            try:
                # Insights writes named groups as (?<name>...), as Java does.
                return end, re.compile(re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", source), flags)
            except re.error as error:
                raise QueryError(f"invalid regular expression: {error}", at, end) from None
        index += 1
    raise QueryError("unterminated regular expression", at, len(text))


_KEYWORDS = {"and", "or", "not", "like", "in", "as", "by", "asc", "desc"}


def _is_keyword(token: Token) -> bool:
    return token.kind == "name" and token.text.lower() in _KEYWORDS


# -- expression trees ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Field:
    name: str


@dataclass(frozen=True)
class Call:
    name: str  # lower case
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Unary:
    op: str  # "-" | "not"
    operand: Any


@dataclass(frozen=True)
class Binary:
    op: str  # arithmetic, comparison, and/or, like, =~, in, not in
    left: Any
    right: Any


@dataclass(frozen=True)
class Named:
    """An expression and the name its value goes by (its alias, else its own text)."""

    expr: Any
    name: str


# -- commands --------------------------------------------------------------------------------


@dataclass
class Command:
    kind: str
    items: list[Named] = field(default_factory=list)  # fields, display, stats aggregates
    by: list[Named] = field(default_factory=list)  # stats ... by
    condition: Any = None  # filter
    order: list[tuple[Any, bool]] = field(default_factory=list)  # sort: (expr, descending)
    count: int = 0  # limit
    source: Any = None  # parse: the field parsed
    pattern: re.Pattern[str] | None = None  # parse
    names: list[str] = field(default_factory=list)  # parse targets, dedup fields


AGGREGATES = frozenset(
    {
        "count",
        "count_distinct",
        "sum",
        "avg",
        "min",
        "max",
        "stddev",
        "pct",
        "earliest",
        "latest",
        "sortsfirst",
        "sortslast",
    }
)


class _Parser:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.at = 0

    # -- token access --
    def peek(self, offset: int = 0) -> Token | None:
        index = self.at + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            end = len(self.text)
            raise QueryError("unexpected end of query", end, end)
        self.at += 1
        return token

    def accept_op(self, op: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "op" and token.text == op:
            self.at += 1
            return True
        return False

    def accept_word(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "name" and token.text.lower() == word:
            self.at += 1
            return True
        return False

    def expect_op(self, op: str) -> None:
        if not self.accept_op(op):
            token = self.peek()
            where = (token.start, token.end) if token else (len(self.text), len(self.text))
            raise QueryError(f"expected '{op}'", *where)

    def done(self) -> bool:
        return self.peek() is None

    def fail(self, message: str) -> QueryError:
        token = self.peek()
        if token is None:
            return QueryError(message, len(self.text), len(self.text))
        return QueryError(f"{message}: {token.text}", token.start, token.end)

    # -- expressions --
    def expression(self) -> Any:
        left = self.conjunction()
        while self.accept_word("or"):
            left = Binary("or", left, self.conjunction())
        return left

    def conjunction(self) -> Any:
        left = self.negation()
        while self.accept_word("and"):
            left = Binary("and", left, self.negation())
        return left

    def negation(self) -> Any:
        if self.accept_word("not"):
            return Unary("not", self.negation())
        return self.comparison()

    def comparison(self) -> Any:
        left = self.additive()
        token = self.peek()
        if token is None:
            return left
        if token.kind == "op" and token.text in ("=", "!=", "<", "<=", ">", ">="):
            self.at += 1
            return Binary(token.text, left, self.additive())
        if token.kind == "op" and token.text == "=~":
            self.at += 1
            return Binary("=~", left, self.matcher())
        negated = False
        if _is_keyword(token) and token.text.lower() == "not":
            following = self.peek(1)
            if (
                following is not None
                and following.kind == "name"
                and following.text.lower() in ("like", "in")
            ):
                self.at += 1
                negated = True
                token = following
        if token.kind == "name" and token.text.lower() == "like":
            self.at += 1
            test = Binary("like", left, self.matcher())
            return Unary("not", test) if negated else test
        if token.kind == "name" and token.text.lower() == "in":
            self.at += 1
            test = Binary("in", left, self.primary())
            return Unary("not", test) if negated else test
        return left

    def matcher(self) -> Any:
        token = self.take()
        if token.kind == "regex":
            return Literal(token.value)
        if token.kind == "string":
            return Literal(token.value)
        raise QueryError(f"expected a string or regular expression: {token.text}", token.start, token.end)

    def additive(self) -> Any:
        left = self.multiplicative()
        while True:
            token = self.peek()
            if token is not None and token.kind == "op" and token.text in ("+", "-"):
                self.at += 1
                left = Binary(token.text, left, self.multiplicative())
            else:
                return left

    def multiplicative(self) -> Any:
        left = self.unary()
        while True:
            token = self.peek()
            if token is not None and token.kind == "op" and token.text in ("*", "/", "%"):
                self.at += 1
                left = Binary(token.text, left, self.unary())
            else:
                return left

    def unary(self) -> Any:
        if self.accept_op("-"):
            return Unary("-", self.unary())
        base = self.primary()
        if self.accept_op("^"):
            return Binary("^", base, self.unary())
        return base

    def primary(self) -> Any:
        token = self.take()
        if token.kind in ("number", "string", "regex", "duration"):
            return Literal(token.value)
        if token.kind == "op" and token.text == "(":
            inner = self.expression()
            self.expect_op(")")
            return inner
        if token.kind == "op" and token.text == "[":
            items = []
            if not self.accept_op("]"):
                items.append(self.expression())
                while self.accept_op(","):
                    items.append(self.expression())
                self.expect_op("]")
            return Call("list", tuple(items))
        if token.kind == "name" and not _is_keyword(token):
            following = self.peek()
            if (
                following is not None
                and following.kind == "op"
                and following.text == "("
                and token.text[0] != "`"
            ):
                self.at += 1
                args: list[Any] = []
                if not self.accept_op(")"):
                    args.append(self.argument())
                    while self.accept_op(","):
                        args.append(self.argument())
                    self.expect_op(")")
                return Call(token.text.lower(), tuple(args))
            return Field(token.value)
        raise unexpected(self.text, token.text, token.start, token.end)

    def argument(self) -> Any:
        if self.accept_op("*"):
            return Literal("*")
        return self.expression()

    def named(self) -> Named:
        start = self.peek()
        expr = self.expression()
        last = self.tokens[self.at - 1]
        name = self.text[start.start : last.end] if start else ""
        if isinstance(expr, Field):
            name = expr.name
        if self.accept_word("as"):
            alias = self.take()
            if alias.kind != "name":
                raise QueryError(f"expected a name after 'as': {alias.text}", alias.start, alias.end)
            name = alias.value
        return Named(expr, name)

    def named_list(self) -> list[Named]:
        items = [self.named()]
        while self.accept_op(","):
            items.append(self.named())
        return items

    # -- commands --
    def command(self) -> Command:
        head = self.take()
        kind = head.text.lower()
        parse = _COMMANDS.get(kind) if head.kind == "name" else None
        if parse is None:
            raise unexpected(self.text, head.text, head.start, head.end)
        command = parse(self)
        if not self.done():
            token = self.tokens[self.at]
            raise unexpected(self.text, token.text, token.start, token.end)
        return command

    def fields_command(self) -> Command:
        return Command("fields", items=self.named_list())

    def display_command(self) -> Command:
        return Command("display", items=self.named_list())

    def filter_command(self) -> Command:
        return Command("filter", condition=self.expression())

    def stats_command(self) -> Command:
        items = self.named_list()
        for item in items:
            if not _has_aggregate(item.expr):
                raise QueryError(f"stats needs an aggregate function: {item.name}")
        by: list[Named] = []
        if self.accept_word("by"):
            by = self.named_list()
        return Command("stats", items=items, by=by)

    def sort_command(self) -> Command:
        order = []
        while True:
            expr = self.expression()
            descending = False
            if self.accept_word("desc"):
                descending = True
            else:
                self.accept_word("asc")
            order.append((expr, descending))
            if not self.accept_op(","):
                return Command("sort", order=order)

    def limit_command(self) -> Command:
        token = self.take()
        if token.kind != "number" or not isinstance(token.value, int) or token.value < 1:
            raise QueryError(f"limit needs a positive whole number: {token.text}", token.start, token.end)
        return Command("limit", count=token.value)

    def unmask_command(self) -> Command:
        return Command("unmask")

    def dedup_command(self) -> Command:
        names = [self.named().name]
        while self.accept_op(","):
            names.append(self.named().name)
        return Command("dedup", names=names)

    def parse_command(self) -> Command:
        source: Any = Field("@message")
        token = self.peek()
        if token is not None and token.kind == "name":
            source = self.primary()
        pattern_token = self.take()
        if pattern_token.kind == "regex":
            pattern = pattern_token.value
            names = list(pattern.groupindex)
            if not names:
                raise QueryError(
                    "a parse regular expression needs named groups", pattern_token.start, pattern_token.end
                )
            return Command("parse", source=source, pattern=pattern, names=names)
        if pattern_token.kind != "string":
            raise QueryError(
                f"expected a pattern: {pattern_token.text}", pattern_token.start, pattern_token.end
            )
        glob = pattern_token.value
        if not self.accept_word("as"):
            raise self.fail("expected 'as'")
        names = [self.take().value]
        while self.accept_op(","):
            names.append(self.take().value)
        parts = glob.split("*")
        if len(parts) - 1 != len(names):
            raise QueryError(
                "the number of fields in 'as' must match the wildcards of the pattern",
                pattern_token.start,
                pattern_token.end,
            )
        regex = "".join(
            re.escape(part) + (f"(?P<g{index}>.*?)" if index < len(names) else "")
            for index, part in enumerate(parts)
        )
        # The last wildcard takes the rest of the message when the pattern ends with it.
        regex = (
            regex.replace(f"(?P<g{len(names) - 1}>.*?)", f"(?P<g{len(names) - 1}>.*)")
            if glob.endswith("*")
            else regex
        )
        compiled = re.compile(regex, re.DOTALL)
        return Command("parse", source=source, pattern=compiled, names=names)


_COMMANDS = {
    "fields": _Parser.fields_command,
    "display": _Parser.display_command,
    "filter": _Parser.filter_command,
    "stats": _Parser.stats_command,
    "sort": _Parser.sort_command,
    "limit": _Parser.limit_command,
    "dedup": _Parser.dedup_command,
    "parse": _Parser.parse_command,
    # filterIndex filters as filter does; it only lets AWS skip events by its field indexes.
    "filterindex": _Parser.filter_command,
    "unmask": _Parser.unmask_command,
}


def _has_aggregate(expr: Any) -> bool:
    if isinstance(expr, Call):
        return expr.name in AGGREGATES or any(_has_aggregate(arg) for arg in expr.args)
    if isinstance(expr, Binary):
        return _has_aggregate(expr.left) or _has_aggregate(expr.right)
    if isinstance(expr, Unary):
        return _has_aggregate(expr.operand)
    return False


def parse_query(text: str) -> list[Command]:
    """The commands of an Insights query, or QueryError."""
    tokens = tokenize(text)
    commands: list[Command] = []
    segment: list[Token] = []
    for token in [*tokens, None]:
        if token is None or token.kind == "pipe":
            if not segment:
                where = token.start if token else len(text)
                raise QueryError("expected a command", where, where + 1)
            commands.append(_Parser(text, segment).command())
            segment = []
        else:
            segment.append(token)
    return commands
