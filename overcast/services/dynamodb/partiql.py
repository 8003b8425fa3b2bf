"""DynamoDB's PartiQL subset: a tokenizer and recursive-descent parser for SELECT, INSERT,
UPDATE and DELETE, producing the same condition and update trees as the expression language
(grammar.py) over generated placeholders, so one evaluator serves both.

    SELECT * | path, ... FROM "table"["."index"] [WHERE condition]
    INSERT INTO "table" VALUE {'attr': value, ...}
    UPDATE "table" (SET path = value [+|- value] | REMOVE path)... WHERE condition
    DELETE FROM "table" WHERE condition

Values are 'strings', numbers, TRUE/FALSE, NULL, ? parameters, {maps}, [lists] and <<sets>>.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any, cast

from overcast.services.dynamodb import values as V
from overcast.services.dynamodb.values import validation

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<string>'(?:[^']|'')*')
      | (?P<quoted>"(?:[^"]|"")*")
      | (?P<number>-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op><<|>>|<>|!=|<=|>=|[=<>(),.\[\]{}:?*+\-])
      | (?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)
_FUNCTIONS = {"begins_with": 2, "contains": 2, "attribute_type": 2, "size": 1, "exists": 1}


def malformed(detail: str) -> Exception:
    return validation(f"Statement wasn't well formed, can't be processed: {detail}")


@dataclass
class Statement:
    kind: str  # SELECT, INSERT, UPDATE, DELETE
    table: str
    index: str | None = None
    where: Any = None  # condition tree, or None
    projection: tuple | None = None  # paths, or None for *
    item: Any = None  # INSERT's value node
    sets: list = field(default_factory=list)  # UPDATE's (path, value tree)
    removes: list = field(default_factory=list)
    names: dict = field(default_factory=dict)  # generated "#pN" -> attribute name
    literals: dict = field(default_factory=dict)  # generated ":pN" -> value node
    parameters: int = 0


class _Parser:
    def __init__(self, text: str) -> None:
        # Every alternative of _TOKEN is a named group, so each match has a lastgroup.
        self.tokens = [
            (cast(str, m.lastgroup), m.group()) for m in _TOKEN.finditer(text) if m.lastgroup != "space"
        ]
        self.tokens.append(("eof", ""))
        self.pos = 0
        self.statement: Statement  # parse() makes it once it has read the statement's verb

    @property
    def token(self) -> tuple[str, str]:
        return self.tokens[self.pos]

    def word(self, *words: str) -> bool:
        kind, text = self.token
        return kind == "name" and text.upper() in words

    def expect_word(self, word: str) -> None:
        if not self.word(word):
            raise self.unexpected()
        self.pos += 1

    def op(self, symbol: str) -> bool:
        if self.token == ("op", symbol):
            self.pos += 1
            return True
        return False

    def expect_op(self, symbol: str) -> None:
        if not self.op(symbol):
            raise self.unexpected()

    def unexpected(self) -> Exception:
        kind, text = self.token
        if kind == "eof":
            return malformed("Unexpected end of statement")
        return malformed(f"Unexpected token: {text}")

    # -- names and values -------------------------------------------------------------------

    def identifier(self) -> str:
        kind, text = self.token
        if kind == "quoted":
            self.pos += 1
            return text[1:-1].replace('""', '"')
        if kind == "name":
            self.pos += 1
            return text
        raise malformed("Expected identifier for simple path")

    def name_ref(self, name: str) -> str:
        names = self.statement.names
        key = f"#p{len(names)}"
        names[key] = name
        return key

    def literal_ref(self, node: Any) -> tuple:
        literals = self.statement.literals
        key = f":p{len(literals)}"
        literals[key] = node
        return ("value", key)

    def path(self) -> tuple:
        elements: list = [self.name_ref(self.identifier())]
        while True:
            if self.op("."):
                elements.append(self.name_ref(self.identifier()))
            elif self.op("["):
                kind, text = self.token
                self.pos += 1
                if kind == "number" and text.isdigit():
                    elements.append(int(text))
                elif kind == "string":
                    elements.append(self.name_ref(text[1:-1].replace("''", "'")))
                else:
                    raise malformed("Expected a list index or a map key")
                self.expect_op("]")
            else:
                return ("path", tuple(elements))

    def value(self) -> Any:
        """A literal or parameter, as a value node: ("av", attribute value) | ("param", n) |
        ("map", [(k, node)]) | ("list", [node]) | ("set", [node])."""
        kind, text = self.token
        if kind == "string":
            self.pos += 1
            return ("av", {"S": text[1:-1].replace("''", "'")})
        if kind == "number":
            self.pos += 1
            return ("av", {"N": text})
        if kind == "op" and text == "?":
            self.pos += 1
            index = self.statement.parameters
            self.statement.parameters += 1
            return ("param", index)
        if self.word("TRUE", "FALSE"):
            self.pos += 1
            return ("av", {"BOOL": text.upper() == "TRUE"})
        if self.word("NULL"):
            self.pos += 1
            return ("av", {"NULL": True})
        if self.op("{"):
            entries = []
            if not self.op("}"):
                while True:
                    key_kind, key_text = self.token
                    if key_kind != "string":
                        raise malformed("Expected a string key in a tuple")
                    self.pos += 1
                    self.expect_op(":")
                    entries.append((key_text[1:-1].replace("''", "'"), self.value()))
                    if self.op("}"):
                        break
                    self.expect_op(",")
            return ("map", entries)
        if self.op("["):
            items = []
            if not self.op("]"):
                while True:
                    items.append(self.value())
                    if self.op("]"):
                        break
                    self.expect_op(",")
            return ("list", items)
        if self.op("<<"):
            items = []
            while True:
                items.append(self.value())
                if self.op(">>"):
                    break
                self.expect_op(",")
            return ("set", items)
        raise self.unexpected()

    def operand(self) -> tuple:
        kind, text = self.token
        if kind == "name" and text.lower() in _FUNCTIONS and self.tokens[self.pos + 1] == ("op", "("):
            return self.function()
        if kind in ("name", "quoted") and not self.word("TRUE", "FALSE", "NULL"):
            return self.path()
        return self.literal_ref(self.value())

    def function(self) -> tuple:
        name = self.token[1].lower()
        self.pos += 2
        args = [self.operand()]
        while self.op(","):
            args.append(self.operand())
        self.expect_op(")")
        if len(args) != _FUNCTIONS[name]:
            raise malformed(f"Incorrect number of arguments for function {name}")
        if name == "exists":
            raise malformed("EXISTS is only supported in ExecuteTransaction condition checks")
        return ("fn", name, tuple(args))

    # -- conditions ---------------------------------------------------------------------------

    def condition(self) -> tuple:
        left = self.conjunction()
        while self.word("OR"):
            self.pos += 1
            left = ("or", left, self.conjunction())
        return left

    def conjunction(self) -> tuple:
        left = self.negation()
        while self.word("AND"):
            self.pos += 1
            left = ("and", left, self.negation())
        return left

    def negation(self) -> tuple:
        if self.word("NOT"):
            self.pos += 1
            return ("not", self.negation())
        if self.token == ("op", "("):
            self.pos += 1
            inner = self.condition()
            self.expect_op(")")
            return inner
        left = self.operand()
        kind, text = self.token
        if kind == "op" and text in ("=", "<>", "!=", "<", "<=", ">", ">="):
            self.pos += 1
            return ("cmp", "<>" if text == "!=" else text, left, self.operand())
        if self.word("BETWEEN"):
            self.pos += 1
            low = self.operand()
            self.expect_word("AND")
            return ("between", left, low, self.operand())
        if self.word("IN"):
            self.pos += 1
            closing = "]" if self.op("[") else (")" if self.op("(") else None)
            if closing is None:
                raise self.unexpected()
            options = [self.operand()]
            while self.op(","):
                options.append(self.operand())
            self.expect_op(closing)
            return ("in", left, tuple(options))
        if self.word("IS"):
            self.pos += 1
            negated = self.word("NOT")
            if negated:
                self.pos += 1
            test: tuple
            if self.word("MISSING"):
                self.pos += 1
                test = ("fn", "attribute_not_exists", (left,))
            elif self.word("NULL"):
                self.pos += 1
                test = ("fn", "attribute_type", (left, self.literal_ref(("av", {"S": "NULL"}))))
            else:
                raise self.unexpected()
            return ("not", test) if negated else test
        if left[0] == "fn" and left[1] != "size":
            return left
        raise self.unexpected()

    # -- statements ---------------------------------------------------------------------------

    def parse(self) -> Statement:
        if self.word("SELECT"):
            self.pos += 1
            self.statement = Statement("SELECT", "")
            projection = None
            if not self.op("*"):
                paths = [self.path()]
                while self.op(","):
                    paths.append(self.path())
                projection = tuple(paths)
            self.expect_word("FROM")
            self.statement.table = self.identifier()
            if self.op("."):
                self.statement.index = self.identifier()
            self.statement.projection = projection
            if self.word("WHERE"):
                self.pos += 1
                self.statement.where = self.condition()
        elif self.word("INSERT"):
            self.pos += 1
            self.expect_word("INTO")
            self.statement = Statement("INSERT", "")
            self.statement.table = self.identifier()
            self.expect_word("VALUE")
            self.statement.item = self.value()
        elif self.word("UPDATE"):
            self.pos += 1
            self.statement = Statement("UPDATE", "")
            self.statement.table = self.identifier()
            while self.word("SET", "REMOVE"):
                clause = self.token[1].upper()
                self.pos += 1
                if clause == "SET":
                    target = self.path()
                    self.expect_op("=")
                    value = self.operand()
                    if self.token in (("op", "+"), ("op", "-")):
                        symbol = self.token[1]
                        self.pos += 1
                        value = (symbol, value, self.operand())
                    self.statement.sets.append((target, value))
                else:
                    self.statement.removes.append(self.path())
            if not (self.statement.sets or self.statement.removes):
                raise self.unexpected()
            self.expect_word("WHERE")
            self.statement.where = self.condition()
        elif self.word("DELETE"):
            self.pos += 1
            self.expect_word("FROM")
            self.statement = Statement("DELETE", "")
            self.statement.table = self.identifier()
            self.expect_word("WHERE")
            self.statement.where = self.condition()
        else:
            raise self.unexpected()
        if self.token[0] != "eof":
            raise self.unexpected()
        return self.statement


@lru_cache(maxsize=1024)
def parse(text: str) -> Statement:
    if not text or not text.strip():
        raise malformed("Unexpected end of statement")
    try:
        return _Parser(text).parse()
    except RecursionError:  # thousands of nested brackets or parentheses in 8 KB of statement
        raise malformed("Expression nested too deeply") from None


def bind(node: Any, parameters: list, depth: int = 0) -> dict:
    """A value node as an attribute value, parameters filled in. `depth`: the maps and lists
    around it, refused past DynamoDB's limit before they could exhaust the stack."""
    kind = node[0]
    if depth > V.MAX_NESTING:
        raise validation(
            "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels"
            " beyond supported limit"
        )
    if kind == "av":
        value = dict(node[1])
        return V.check_value(value)
    if kind == "param":
        if node[1] >= len(parameters):
            raise validation("Number of parameters in request and statement don't match.")
        return V.check_value(dict(parameters[node[1]]))
    if kind == "map":
        return {"M": {k: bind(v, parameters, depth + 1) for k, v in node[1]}}
    if kind == "list":
        return {"L": [bind(v, parameters, depth + 1) for v in node[1]]}
    members = [bind(v, parameters) for v in node[1]]
    kinds = {next(iter(m)) for m in members}
    if len(kinds) != 1 or next(iter(kinds)) not in ("S", "N", "B"):
        raise validation("Unsupported type passed: a set must hold strings, numbers or binaries of one type")
    kind = kinds.pop()
    return V.check_value({kind + "S": [m[kind] for m in members]})


def key_equalities(tree: Any, names: dict) -> dict[str, tuple]:
    """attribute name -> value node, for the top-level `attr = value` conjuncts of a WHERE."""
    found: dict[str, tuple] = {}

    def walk(node: Any) -> None:
        if node is None:
            return
        if node[0] == "and":
            walk(node[1])
            walk(node[2])
        elif node[0] == "cmp" and node[1] == "=":
            left, right = node[2], node[3]
            if left[0] != "path":
                left, right = right, left
            if left[0] == "path" and len(left[1]) == 1 and right[0] == "value":
                found.setdefault(names[left[1][0]], right)

    walk(tree)
    return found


def decimal_of(value: dict) -> Decimal:
    return Decimal(value["N"])
