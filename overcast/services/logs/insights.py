"""Runs a parsed Logs Insights query over log events: each event is a record of its system
fields (@timestamp, @message, @logStream, @log, @ingestionTime, @ptr) and the fields
discovered in it (JSON members, flattened with dots; Lambda's REPORT line), piped through the
query's commands. Results come out as AWS returns them: rows of {field, value} strings."""

from __future__ import annotations

import json
import math
import re
import statistics
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from overcast.common import jsontext

from .insights_parser import AGGREGATES, Binary, Call, Command, Field, Literal, QueryError, Unary

Record = dict[str, Any]
DEFAULT_FIELDS = ("@timestamp", "@message")


class Millis(int):
    """A point in time in epoch milliseconds: shown as Insights shows times."""


def show(value: Any) -> str:
    if isinstance(value, Millis):
        try:
            moment = datetime.fromtimestamp(int(value) / 1000, UTC)
        except (OverflowError, OSError, ValueError):  # beyond the calendar: the number itself
            return str(int(value))
        return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{int(value) % 1000:03d}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


# -- fields discovered in a message ----------------------------------------------------------


def _flatten(value: Any, prefix: str, out: Record) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _flatten(item, f"{prefix}.{index}", out)
    elif prefix:
        out[prefix] = value


_REPORT_FIELDS = (
    ("@requestId", r"RequestId: (\S+)", str),
    ("@duration", r"\tDuration: ([\d.]+) ms", float),
    ("@billedDuration", r"Billed Duration: ([\d.]+) ms", float),
    ("@memorySize", r"Memory Size: (\d+) MB", lambda v: int(v) * 1_000_000),
    ("@maxMemoryUsed", r"Max Memory Used: (\d+) MB", lambda v: int(v) * 1_000_000),
    ("@initDuration", r"Init Duration: ([\d.]+) ms", float),
)


def discovered_fields(message: str) -> Record:
    """The fields Insights finds in a message by itself: a JSON object's members, and the
    figures of a Lambda REPORT line."""
    out: Record = {}
    text = message.strip()
    if text.startswith("{"):
        try:
            document = jsontext.loads(text)
        except ValueError:
            document = None
        if isinstance(document, dict):
            _flatten(document, "", out)
    elif text.startswith("REPORT RequestId:"):
        out["@type"] = "REPORT"
        for name, pattern, convert in _REPORT_FIELDS:
            found = re.search(pattern, message)
            if found:
                out[name] = convert(found.group(1))
    return out


# -- values ---------------------------------------------------------------------------------------


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    try:
        text = str(value).strip()
        return int(text) if re.fullmatch(r"-?\d+", text) else float(text)
    except ValueError:
        return None


def _compare(op: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        pair: tuple[Any, Any] = (a, b)
    else:
        pair = (show(left), show(right))
    return {
        "=": lambda x, y: x == y,
        "!=": lambda x, y: x != y,
        "<": lambda x, y: x < y,
        "<=": lambda x, y: x <= y,
        ">": lambda x, y: x > y,
        ">=": lambda x, y: x >= y,
    }[op](*pair)


def _arithmetic(op: str, left: Any, right: Any) -> Any:
    a, b = _number(left), _number(right)
    if a is None or b is None:
        return None
    try:
        if op == "+":
            result: Any = a + b
        elif op == "-":
            result = a - b
        elif op == "*":
            result = a * b
        elif op == "/":
            result = a / b
        elif op == "%":
            result = a % b
        else:
            result = a**b
    except (ZeroDivisionError, OverflowError, ValueError):
        return None
    if isinstance(left, Millis) and op in "+-" and not isinstance(right, Millis):
        return Millis(int(result))
    return result


def _matches(value: Any, matcher: Any) -> bool:
    if value is None:
        return False
    if isinstance(matcher, re.Pattern):
        return matcher.search(show(value)) is not None
    return str(matcher) in show(value)


def _truthy(value: Any) -> bool:
    return value is not None and value is not False and value != ""


def _text_fn(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        if args and args[0] is None:
            return None
        return fn(show(args[0]), *args[1:])

    return call


def _number_fn(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        numbers = [_number(a) for a in args]
        if any(n is None for n in numbers):
            return None
        try:
            return fn(*numbers)
        except (ValueError, OverflowError, ZeroDivisionError):
            return None

    return call


def _floor_time(value: Any, period: Any) -> Any:
    stamp, size = _number(value), _number(period)
    if stamp is None or not size:
        return None
    return Millis(int(stamp) - int(stamp) % int(size))


def _ceil_time(value: Any, period: Any) -> Any:
    floor = _floor_time(value, period)
    if floor is None:
        return None
    return floor if floor == int(_number(value) or 0) else Millis(floor + int(_number(period) or 0))


def _substr(text: str, start: Any, length: Any = None) -> str:
    begin = int(_number(start) or 0)
    if length is None:
        return text[begin:]
    return text[begin : begin + int(_number(length) or 0)]


def _replace(text: str, old: Any, new: Any) -> str:
    return text.replace(show(old), show(new))


#: Scalar functions by their lower-case name: called with evaluated arguments.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "strlen": _text_fn(len),
    "toupper": _text_fn(str.upper),
    "tolower": _text_fn(str.lower),
    "trim": _text_fn(lambda s, chars=None: s.strip(chars)),
    "ltrim": _text_fn(lambda s, chars=None: s.lstrip(chars)),
    "rtrim": _text_fn(lambda s, chars=None: s.rstrip(chars)),
    "substr": _text_fn(_substr),
    "replace": _text_fn(_replace),
    "strcontains": _text_fn(lambda s, part: s.find(show(part)) >= 0),
    "concat": lambda *args: "".join(show(a) for a in args if a is not None),
    "abs": _number_fn(abs),
    "ceil": _number_fn(math.ceil),
    "floor": _number_fn(math.floor),
    "round": _number_fn(lambda x, digits=0: round(x, int(digits)) if digits else round(x)),
    "sqrt": _number_fn(math.sqrt),
    "pow": _number_fn(math.pow),
    "log": _number_fn(math.log),
    "greatest": lambda *args: max((n for n in map(_number, args) if n is not None), default=None),
    "least": lambda *args: min((n for n in map(_number, args) if n is not None), default=None),
    "coalesce": lambda *args: next((a for a in args if a is not None), None),
    "ispresent": lambda value: value is not None,
    "isempty": lambda value: value is None or value == "",
    "isblank": lambda value: value is None or show(value).strip() == "",
    "isvalidip": _text_fn(
        lambda s: re.fullmatch(r"(\d{1,3}\.){3}\d{1,3}|[0-9a-fA-F:]+:[0-9a-fA-F:]*", s) is not None
    ),
    "bin": lambda period, stamp=None: _floor_time(stamp, period),
    "datefloor": _floor_time,
    "dateceil": _ceil_time,
    "frommillis": lambda value: None if _number(value) is None else Millis(int(_number(value) or 0)),
    "tomillis": lambda value: None if _number(value) is None else int(_number(value) or 0),
    "list": lambda *items: list(items),
}


def evaluate(expr: Any, record: Record) -> Any:
    if isinstance(expr, Literal):
        return expr.value
    if isinstance(expr, Field):
        return record.get(expr.name)
    if isinstance(expr, Unary):
        if expr.op == "not":
            return not _truthy(evaluate(expr.operand, record))
        value = _number(evaluate(expr.operand, record))
        return None if value is None else -value
    if isinstance(expr, Binary):
        if expr.op == "and":
            return _truthy(evaluate(expr.left, record)) and _truthy(evaluate(expr.right, record))
        if expr.op == "or":
            return _truthy(evaluate(expr.left, record)) or _truthy(evaluate(expr.right, record))
        left, right = evaluate(expr.left, record), evaluate(expr.right, record)
        if expr.op in ("like", "=~"):
            return _matches(left, right)
        if expr.op == "in":
            options = right if isinstance(right, list) else [right]
            return any(_compare("=", left, option) for option in options)
        if expr.op in ("=", "!=", "<", "<=", ">", ">="):
            return _compare(expr.op, left, right)
        return _arithmetic(expr.op, left, right)
    if isinstance(expr, Call):
        if expr.name in AGGREGATES:
            return record.get(_aggregate_key(expr))
        function = FUNCTIONS.get(expr.name)
        if function is None:
            raise QueryError(f"unknown function: {expr.name}")
        args = [evaluate(arg, record) for arg in expr.args]
        if expr.name == "bin":
            args.append(record.get("@timestamp"))
        try:
            return function(*args)
        except TypeError:
            raise QueryError(f"wrong number of arguments to {expr.name}") from None
        except (OverflowError, ValueError):  # a value no number can hold (inf, NaN) gives null
            return None
    raise QueryError("unsupported expression")


# -- aggregates --------------------------------------------------------------------------------


def _aggregate_key(call: Call) -> str:
    return f"\x00agg{id(call)}"


def _aggregates_in(expr: Any) -> Iterable[Call]:
    if isinstance(expr, Call):
        if expr.name in AGGREGATES:
            yield expr
            return
        for arg in expr.args:
            yield from _aggregates_in(arg)
    elif isinstance(expr, Binary):
        yield from _aggregates_in(expr.left)
        yield from _aggregates_in(expr.right)
    elif isinstance(expr, Unary):
        yield from _aggregates_in(expr.operand)


def _aggregate(call: Call, records: list[Record]) -> Any:
    name = call.name
    target = call.args[0] if call.args else Literal("*")
    if name == "count" and target == Literal("*"):
        return len(records)
    values = [(evaluate(target, r), r) for r in records]
    present = [(v, r) for v, r in values if v is not None]
    if name == "count":
        return len(present)
    if name == "count_distinct":
        return len({show(v) for v, _ in present})
    if name in ("earliest", "latest", "sortsfirst", "sortslast"):
        if not present:
            return None
        chosen = min if name in ("earliest", "sortsfirst") else max
        return chosen(present, key=lambda pair: int(pair[1].get("@timestamp") or 0))[0]
    numbers = [n for n in (_number(v) for v, _ in present) if n is not None]
    if name in ("min", "max") and not numbers and present:
        texts = [show(v) for v, _ in present]
        return min(texts) if name == "min" else max(texts)
    if not numbers:
        return None
    if name == "sum":
        return sum(numbers)
    if name == "avg":
        return sum(numbers) / len(numbers)
    if name in ("min", "max"):
        found = min(numbers) if name == "min" else max(numbers)
        sample = next(v for v, _ in present if _number(v) == found)
        return sample if isinstance(sample, Millis) else found
    if name == "stddev":
        return statistics.pstdev(numbers) if len(numbers) > 1 else 0.0
    if name == "pct":
        if len(call.args) < 2:
            raise QueryError("pct needs a field and a percentile")
        rank = _number(evaluate(call.args[1], {})) or 0
        ordered = sorted(numbers)
        index = min(len(ordered) - 1, max(0, math.ceil(rank / 100 * len(ordered)) - 1))
        return ordered[index]
    raise QueryError(f"unknown aggregate: {name}")


def _stats(command: Command, records: list[Record]) -> list[Record]:
    groups: dict[tuple[str, ...], tuple[Record, list[Record]]] = {}
    for record in records:
        keys = {item.name: evaluate(item.expr, record) for item in command.by}
        groups.setdefault(tuple(show(v) for v in keys.values()), (keys, []))[1].append(record)
    if not command.by and not groups:
        groups[()] = ({}, [])
    out = []
    for keys, members in groups.values():
        row: Record = dict(keys)
        for item in command.items:
            scratch: Record = {}
            for call in _aggregates_in(item.expr):
                scratch[_aggregate_key(call)] = _aggregate(call, members)
            row[item.name] = evaluate(item.expr, scratch)
        out.append(row)
    return out


# -- the pipeline ------------------------------------------------------------------------------


def _sort_key(value: Any) -> tuple[int, Any]:
    number = _number(value)
    if number is not None:
        return (0, number)
    return (1, show(value))


def _sort(command: Command, records: list[Record]) -> list[Record]:
    for expr, descending in reversed(command.order):
        keyed = [(evaluate(expr, r), r) for r in records]
        present = [(value, r) for value, r in keyed if value is not None]
        present.sort(key=lambda pair: _sort_key(pair[0]), reverse=descending)
        records = [r for _, r in present] + [r for value, r in keyed if value is None]
    return records


def _parse(command: Command, records: list[Record]) -> list[Record]:
    assert command.pattern is not None
    for record in records:
        value = evaluate(command.source, record)
        found = command.pattern.search(show(value)) if value is not None else None
        if found is None:
            continue
        for index, name in enumerate(command.names):
            group = (
                found.group(f"g{index}") if f"g{index}" in command.pattern.groupindex else found.group(name)
            )
            if group is not None:
                record[name] = group
    return records


def _dedup(command: Command, records: list[Record]) -> list[Record]:
    seen: set[tuple[str, ...]] = set()
    out = []
    for record in records:
        values = [record.get(name) for name in command.names]
        if any(v is None for v in values):
            out.append(record)  # a null is never a duplicate
            continue
        key = tuple(show(v) for v in values)
        if key not in seen:
            seen.add(key)
            out.append(record)
    return out


class Outcome:
    """A query's result rows, the fields they show, and whether they are events (with @ptr)."""

    def __init__(self, rows: list[Record], visible: list[str], events: bool, matched: int) -> None:
        self.rows, self.visible, self.events = rows, visible, events
        #: Events that passed the query's filters (before any stats).
        self.matched = matched

    def render(self) -> list[list[dict[str, str]]]:
        shown = []
        for row in self.rows:
            cells = [
                {"field": name, "value": show(row[name])}
                for name in self.visible
                if row.get(name) is not None
            ]
            if self.events and "@ptr" in row and "@ptr" not in self.visible:
                cells.append({"field": "@ptr", "value": row["@ptr"]})
            shown.append(cells)
        return shown


def run(commands: list[Command], records: list[Record], limit: int) -> Outcome:
    """Pipe records (in time order) through the commands; at most `limit` rows come out."""
    visible: list[str] | None = None
    events = True
    matched: int | None = None
    # Without a sort, Insights gives the newest events first (and `limit` keeps those).
    records = sorted(records, key=lambda r: int(r.get("@timestamp") or 0), reverse=True)
    for command in commands:
        kind = command.kind
        if kind in ("stats", "limit", "dedup") and matched is None:
            matched = len(records)
        if kind in ("fields", "display"):
            names = [item.name for item in command.items]
            for record in records:
                for item in command.items:
                    if not isinstance(item.expr, Field) or item.name != item.expr.name:
                        record[item.name] = evaluate(item.expr, record)
            if kind == "display":
                visible = names
            else:
                visible = (visible or []) + [n for n in names if n not in (visible or [])]
        elif kind == "filter":
            records = [r for r in records if _truthy(evaluate(command.condition, r))]
        elif kind == "stats":
            records = _stats(command, records)
            visible = [item.name for item in (*command.by, *command.items)]
            events = False
        elif kind == "sort":
            records = _sort(command, records)
        elif kind == "limit":
            records = records[: command.count]
        elif kind == "parse":
            records = _parse(command, records)
        elif kind == "dedup":
            records = _dedup(command, records)
    shown = visible if visible is not None else list(DEFAULT_FIELDS)
    return Outcome(records[:limit], shown, events, len(records) if matched is None else matched)


# -- filters on the raw events --------------------------------------------------------------------

#: The fields an event has before its message is looked into (they win over any discovered field
#: of the same name): a filter on these alone can run on the stored event, before its record —
#: discovered fields, pointer and all — is built, so a query pays for the records it keeps.
RAW_FIELDS = frozenset(("@message", "@timestamp", "@logStream", "@log", "@ingestionTime"))


def _fields_in(expr: Any) -> set[str] | None:
    """The fields an expression reads; None when it reads what only a built record has."""
    if isinstance(expr, Literal):
        return set()
    if isinstance(expr, Field):
        return {expr.name}
    if isinstance(expr, Unary):
        return _fields_in(expr.operand)
    if isinstance(expr, Binary):
        left, right = _fields_in(expr.left), _fields_in(expr.right)
        return None if left is None or right is None else left | right
    if isinstance(expr, Call):
        if expr.name in AGGREGATES or expr.name not in FUNCTIONS:
            return None
        found: set[str] = {"@timestamp"} if expr.name == "bin" else set()
        for arg in expr.args:
            more = _fields_in(arg)
            if more is None:
                return None
            found |= more
        return found
    return None


def raw_filters(
    commands: list[Command],
) -> tuple[Callable[[Record], bool] | None, list[Command], frozenset[str]]:
    """The query's leading filters that read only RAW_FIELDS, as one test of a raw record, the
    commands left to run on the records that pass it, and the fields the test reads."""
    tests: list[Callable[[Record], bool]] = []
    needed: set[str] = set()
    at = 0
    while at < len(commands) and commands[at].kind == "filter":
        fields = _fields_in(commands[at].condition)
        if fields is None or not fields <= RAW_FIELDS:
            break
        tests.append(_compiled(commands[at].condition))
        needed |= fields
        at += 1
    if not tests:
        return None, commands, frozenset()
    if len(tests) == 1:
        return tests[0], commands[at:], frozenset(needed)
    return (lambda record: all(test(record) for test in tests)), commands[at:], frozenset(needed)


def message_test(commands: list[Command]) -> Callable[[str], Any] | None:
    """When the query's only leading filter is `@message like /re/` (or a string), that test
    as a function of the message alone — a bound `search`, which a scan calls at C speed."""
    if not commands or commands[0].kind != "filter" or (len(commands) > 1 and commands[1].kind == "filter"):
        return None
    condition = commands[0].condition
    if not (
        isinstance(condition, Binary)
        and condition.op in ("like", "=~")
        and condition.left == Field("@message")
        and isinstance(condition.right, Literal)
    ):
        return None
    matcher = condition.right.value
    if isinstance(matcher, re.Pattern):
        return matcher.search
    text = str(matcher)
    return lambda message: text in message


def _compiled(condition: Any) -> Callable[[Record], bool]:
    """A filter condition as a test; `field like /re/` (the usual one) as a bare search."""
    if (
        isinstance(condition, Binary)
        and condition.op in ("like", "=~")
        and isinstance(condition.left, Field)
        and condition.left.name in ("@message", "@logStream", "@log")
        and isinstance(condition.right, Literal)
    ):
        name, matcher = condition.left.name, condition.right.value
        if isinstance(matcher, re.Pattern):
            search = matcher.search
            return lambda record: search(record[name]) is not None
        text = str(matcher)
        return lambda record: text in record[name]
    return lambda record: _truthy(evaluate(condition, record))
