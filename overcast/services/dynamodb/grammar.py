"""The DynamoDB expression language: a tokenizer and a recursive-descent parser.

    condition  := disjunct (OR disjunct)*
    disjunct   := conjunct (AND conjunct)*
    conjunct   := NOT conjunct | '(' condition ')' | function | comparison
    comparison := operand (comparator operand | BETWEEN operand AND operand
                           | IN '(' operand (',' operand)* ')')
    operand    := path | ':value' | function
    path       := element ('.' element | '[' digits ']')*       element := name | '#name'
    update     := (SET action (',' action)* | REMOVE path (',' path)*
                   | ADD path operand (',' ...)* | DELETE path operand (',' ...)*)+
    action     := path '=' value        value := operand (('+' | '-') operand)?
    projection := path (',' path)*

The result is a tree of tuples (cheap to walk, cached per distinct expression text):
    ("path", elements)   elements: str names, "#placeholders", int list indexes
    ("value", ":v") | ("literal", attribute_value)      ("fn", name, args)
    ("+" | "-", left, right)     ("cmp", op, left, right)    ("between", x, low, high)
    ("in", x, options)  ("and", a, b)  ("or", a, b)  ("not", a)
Errors are DynamoDB's ValidationException texts, "Invalid <Kind>: ...".
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, NamedTuple, cast

from overcast.services.dynamodb.reserved import RESERVED_WORDS
from overcast.services.dynamodb.values import validation

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<placeholder>\#[A-Za-z0-9_]+)
      | (?P<value>:[A-Za-z0-9_]+)
      | (?P<number>[0-9]+)
      | (?P<op><>|<=|>=|[=<>(),.\[\]+\-])
      | (?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)

CONDITION_FUNCTIONS = {
    "attribute_exists": 1,
    "attribute_not_exists": 1,
    "attribute_type": 2,
    "begins_with": 2,
    "contains": 2,
}
OPERAND_FUNCTIONS = {"size": 1}
UPDATE_FUNCTIONS = {"if_not_exists": 2, "list_append": 2}
ALL_FUNCTIONS = {**CONDITION_FUNCTIONS, **OPERAND_FUNCTIONS, **UPDATE_FUNCTIONS}
COMPARATORS = frozenset({"=", "<>", "<", "<=", ">", ">="})
MAX_DEPTH = 32
#: AWS's limit on the operators and functions in one expression.
MAX_OPERATORS = 300
#: Words the grammar itself uses: never attribute names, even where one could follow.
KEYWORDS = frozenset({"AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE", "ADD", "DELETE"})


class Token(NamedTuple):
    kind: str  # name, placeholder, value, number, op, other, eof
    text: str
    start: int
    end: int


class Parsed(NamedTuple):
    tree: Any
    #: "#name" and ":value" placeholders the expression uses, in order of first use.
    names: tuple[str, ...]
    values: tuple[str, ...]


def tokenize(text: str) -> list[Token]:
    tokens = []
    for match in _TOKEN.finditer(text):
        kind = cast(str, match.lastgroup)  # every alternative of _TOKEN is a named group
        if kind == "space":
            continue
        tokens.append(Token(kind, match.group(), match.start(), match.end()))
    tokens.append(Token("eof", "<EOF>", len(text), len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str, label: str) -> None:
        self.text = text
        self.label = label
        self.tokens = tokenize(text)
        self.pos = 0
        self.names: dict[str, None] = {}
        self.values: dict[str, None] = {}
        self.reserved: str | None = None
        self.depth = 0
        self.operators = 0

    # -- helpers -------------------------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def error(self, message: str) -> Exception:
        return validation(f"Invalid {self.label}: {message}")

    def syntax_error(self, token: Token | None = None) -> Exception:
        token = token or self.token
        index = self.tokens.index(token)
        start = self.tokens[index - 1].start if index > 0 else token.start
        if token.kind == "eof":
            end = self.tokens[index - 1].end if index > 0 else token.end
        else:
            end = self.tokens[index + 1].end if index + 1 < len(self.tokens) else token.end
        return self.error(f'Syntax error; token: "{token.text}", near: "{self.text[start:end]}"')

    def keyword(self, word: str) -> bool:
        token = self.token
        return token.kind == "name" and token.text.upper() == word

    def take_op(self, op: str) -> bool:
        token = self.token
        if token.kind == "op" and token.text == op:
            self.pos += 1
            return True
        return False

    def expect_op(self, op: str) -> None:
        if not self.take_op(op):
            raise self.syntax_error()

    def count_operator(self) -> None:
        """One more operator or function; past AWS's limit the expression is refused (which
        also bounds how deeply NOTs and nested function calls make the parser recurse)."""
        self.operators += 1
        if self.operators > MAX_OPERATORS:
            raise self.error(f"The expression contains too many operators; operator count: {self.operators}")

    def finish(self) -> None:
        if self.token.kind != "eof":
            raise self.syntax_error()

    # -- paths and operands ----------------------------------------------------------------

    def element(self) -> str:
        token = self.token
        if token.kind == "placeholder":
            self.names.setdefault(token.text)
        elif token.kind == "name":
            if token.text.upper() in KEYWORDS:
                raise self.syntax_error()
            if self.reserved is None and token.text.upper() in RESERVED_WORDS:
                self.reserved = token.text
        else:
            raise self.syntax_error()
        self.pos += 1
        return token.text

    def path(self) -> tuple:
        elements: list = [self.element()]
        while True:
            if self.take_op("."):
                elements.append(self.element())
            elif self.take_op("["):
                token = self.token
                if token.kind != "number":
                    raise self.syntax_error()
                self.pos += 1
                self.expect_op("]")
                elements.append(int(token.text))
            else:
                return ("path", tuple(elements))

    def operand(self) -> tuple:
        token = self.token
        if token.kind == "value":
            self.pos += 1
            self.values.setdefault(token.text)
            return ("value", token.text)
        if token.kind == "name" and self.tokens[self.pos + 1].text == "(":
            return self.function()
        if token.kind in ("name", "placeholder"):
            return self.path()
        raise self.syntax_error()

    def function(self) -> tuple:
        name_token = self.token
        name = name_token.text
        self.count_operator()
        self.pos += 2  # name and "("
        args = [self.operand()]
        while self.take_op(","):
            args.append(self.operand())
        self.expect_op(")")
        if name not in ALL_FUNCTIONS:
            raise self.error(f"Invalid function name; function: {name}")
        if len(args) != ALL_FUNCTIONS[name]:
            raise self.error(
                f"Incorrect number of operands for operator or function; operator or function: {name},"
                f" number of operands: {len(args)}"
            )
        if name in ("attribute_exists", "attribute_not_exists", "attribute_type", "size", "if_not_exists"):
            if args[0][0] != "path":
                raise self.error(
                    f"Operator or function requires a document path; operator or function: {name}"
                )
        return ("fn", name, tuple(args))

    # -- conditions -----------------------------------------------------------------------

    def _closes_right_after(self, opening: int) -> bool:
        """Whether the group opened at token `opening` is closed right before another ")": the
        whole of an enclosing group, which AWS calls redundant."""
        depth = 0
        for position in range(opening, len(self.tokens)):
            token = self.tokens[position]
            if token.kind == "op" and token.text == "(":
                depth += 1
            elif token.kind == "op" and token.text == ")":
                depth -= 1
                if depth == 0:
                    following = self.tokens[position + 1] if position + 1 < len(self.tokens) else None
                    return following is not None and following.kind == "op" and following.text == ")"
        return False

    def condition(self) -> tuple:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error("The expression has too many nested levels")
        left = self.disjunct()
        while self.keyword("OR"):
            self.pos += 1
            self.count_operator()
            left = ("or", left, self.disjunct())
        self.depth -= 1
        return left

    def disjunct(self) -> tuple:
        left = self.conjunct()
        while self.keyword("AND"):
            self.pos += 1
            self.count_operator()
            left = ("and", left, self.conjunct())
        return left

    def conjunct(self) -> tuple:
        if self.keyword("NOT"):
            negations = 0
            while self.keyword("NOT"):  # a loop, not recursion: a run of NOTs costs no stack
                self.pos += 1
                self.count_operator()
                negations += 1
            inner = self.conjunct()
            for _ in range(negations):
                inner = ("not", inner)
            return inner
        if self.take_op("("):
            if self.token.text == "(" and self._closes_right_after(self.pos):
                raise self.error("The expression has redundant parentheses;")
            inner = self.condition()
            self.expect_op(")")
            return inner
        left = self.operand()
        token = self.token
        if token.kind == "op" and token.text in COMPARATORS:
            self.pos += 1
            self.count_operator()
            right = self.operand()
            self.check_operand(left)
            self.check_operand(right)
            return ("cmp", token.text, left, right)
        if self.keyword("BETWEEN"):
            self.pos += 1
            self.count_operator()
            low = self.operand()
            if not self.keyword("AND"):
                raise self.syntax_error()
            self.pos += 1
            high = self.operand()
            for part in (left, low, high):
                self.check_operand(part)
            return ("between", left, low, high)
        if self.keyword("IN"):
            self.pos += 1
            self.count_operator()
            self.expect_op("(")
            options = [self.operand()]
            while self.take_op(","):
                options.append(self.operand())
            self.expect_op(")")
            for part in (left, *options):
                self.check_operand(part)
            return ("in", left, tuple(options))
        if left[0] == "fn":
            name = left[1]
            if name in CONDITION_FUNCTIONS:
                return left
            if name in UPDATE_FUNCTIONS:
                raise self.error(f"The function is not allowed in a condition expression; function: {name}")
            raise self.error(
                f"The function is not allowed to be used this way in an expression; function: {name}"
            )
        raise self.syntax_error()

    def check_operand(self, operand: tuple) -> None:
        if operand[0] == "fn":
            name = operand[1]
            if name in UPDATE_FUNCTIONS:
                raise self.error(f"The function is not allowed in a condition expression; function: {name}")
            if name not in OPERAND_FUNCTIONS:
                raise self.error(
                    f"The function is not allowed to be used this way in an expression; function: {name}"
                )

    # -- updates --------------------------------------------------------------------------

    def update(self) -> dict:
        clauses: dict[str, list] = {}
        if self.token.kind == "eof":
            raise self.syntax_error()
        while self.token.kind != "eof":
            token = self.token
            word = token.text.upper() if token.kind == "name" else ""
            if word not in ("SET", "REMOVE", "ADD", "DELETE"):
                raise self.syntax_error()
            if word in clauses:
                raise self.error(f'The "{word}" section can only be used once in an update expression;')
            self.pos += 1
            actions = clauses[word] = []
            while True:
                actions.append(self.update_action(word))
                if not self.take_op(","):
                    break
        return clauses

    def update_action(self, word: str) -> tuple:
        target = self.path()
        if word == "REMOVE":
            return target
        if word == "SET":
            self.expect_op("=")
            value = self.update_value()
            return (target, value)
        value = self.operand()
        if value[0] != "value":
            raise self.syntax_error(self.tokens[self.pos - 1])
        return (target, value)

    def update_value(self) -> tuple:
        left = self.update_operand()
        token = self.token
        if token.kind == "op" and token.text in "+-":
            self.pos += 1
            self.count_operator()
            return (token.text, left, self.update_operand())
        return left

    def update_operand(self) -> tuple:
        operand = self.operand()
        if operand[0] == "fn":
            name = operand[1]
            if name not in UPDATE_FUNCTIONS:
                raise self.error(f"The function is not allowed in an update expression; function: {name}")
            if name == "if_not_exists" or name == "list_append":
                for arg in operand[2]:
                    if arg[0] == "fn" and arg[1] not in UPDATE_FUNCTIONS:
                        raise self.error(
                            f"The function is not allowed in an update expression; function: {arg[1]}"
                        )
        return operand

    # -- projections ----------------------------------------------------------------------

    def projection(self) -> tuple:
        paths = [self.path()]
        while self.take_op(","):
            paths.append(self.path())
        return tuple(paths)


_LABELS = {
    "condition": "ConditionExpression",
    "filter": "FilterExpression",
    "key": "KeyConditionExpression",
    "update": "UpdateExpression",
    "projection": "ProjectionExpression",
}


#: AWS's limit on the length of any expression string (4 KB).
MAX_EXPRESSION_BYTES = 4096


@lru_cache(maxsize=4096)
def parse(kind: str, text: str) -> Parsed:
    """Parse an expression of `kind` (condition, filter, key, update, projection); cached by
    text, so a request repeating an expression pays only a dict lookup."""
    label = _LABELS[kind]
    if not text:
        raise validation(f"Invalid {label}: The expression can not be empty;")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_EXPRESSION_BYTES:
        raise validation(
            f"Invalid {label}: Expression size has exceeded the maximum allowed size; expression size: {size}"
        )
    parser = _Parser(text, label)
    tree: Any  # Parsed.tree: an update's clauses by word, else a tuple tree
    if kind == "update":
        tree = parser.update()
    elif kind == "projection":
        tree = parser.projection()
    else:
        tree = parser.condition()
    parser.finish()
    if parser.reserved is not None:
        raise parser.error(f"Attribute name is a reserved keyword; reserved keyword: {parser.reserved}")
    if kind == "update":
        _check_update_paths(parser, tree)
    elif kind == "projection":
        _check_overlaps(parser, list(tree))
    return Parsed(tree, tuple(parser.names), tuple(parser.values))


def update_paths(clauses: dict) -> list:
    """The document paths an update's actions write (each a ("path", elements) node)."""
    paths = []
    for word, actions in clauses.items():
        for action in actions:
            paths.append(action if word == "REMOVE" else action[0])
    return paths


def _check_update_paths(parser: _Parser, clauses: dict) -> None:
    _check_overlaps(parser, update_paths(clauses))


def _check_overlaps(parser: _Parser, paths: list) -> None:
    # Paths through expression attribute names are compared once the names are known (the
    # request's Bindings): what they name, not how, decides an overlap.
    message = overlap([path[1] for path in paths if not any(_is_placeholder(e) for e in path[1])])
    if message is not None:
        raise parser.error(message)


def _is_placeholder(element: object) -> bool:
    return type(element) is str and element[:1] == "#"


def overlap(paths: list[tuple]) -> str | None:
    """AWS's complaint about the first two of `paths` (element tuples) that overlap, if any."""
    seen: list[tuple] = []
    for elements in paths:
        for other in seen:
            shorter = min(len(other), len(elements))
            if other[:shorter] == elements[:shorter]:
                return (
                    "Two document paths overlap with each other; must remove or rewrite one of these paths;"
                    f" path one: {_show(other)}, path two: {_show(elements)}"
                )
        seen.append(elements)
    return None


def _show(elements: tuple) -> str:
    return "[" + ", ".join(f"[{e}]" if isinstance(e, int) else e for e in elements) + "]"
