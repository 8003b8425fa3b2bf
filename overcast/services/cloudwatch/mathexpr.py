"""Metric math: the expression language of GetMetricData and metric-math alarms.

Values are scalars, time series (`Series`: timestamp → value) and arrays of time series
(METRICS(), SEARCH(), [m1, m2]). Arithmetic and comparisons work element-wise on the
timestamps series share, and broadcast scalars; an array with a series or scalar applies to
each of its series. The functions are AWS's (a table below): those that reduce a single series
(SUM(m1), AVG(m1)) give a scalar, over an array they give a series, as documented.
"""

from __future__ import annotations

import math
import statistics as pystats
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from itertools import pairwise
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import LarkError

GRAMMAR = r"""
?start: expr
?expr: or_
?or_: and_ (OR and_)*
?and_: not_ (AND not_)*
?not_: NOT not_ -> negate
     | compare
?compare: sum (COMPOP sum)?
?sum: product (ADDOP product)*
?product: power (MULOP power)*
?power: unary (POW unary)?
?unary: "-" unary -> neg
      | atom
?atom: NUMBER -> number
     | STRING -> string
     | NAME "(" [args] ")" -> call
     | NAME -> ref
     | "(" expr ")"
     | "[" [args] "]" -> array
args: expr ("," expr)*
OR: "OR" | "||"
AND: "AND" | "&&"
NOT: "NOT" | "!"
COMPOP: "==" | "!=" | ">=" | "<=" | ">" | "<"
ADDOP: "+" | "-"
MULOP: "*" | "/"
POW: "^"
NAME: /[A-Za-z_][A-Za-z0-9_]*/
NUMBER: /\d+(\.\d*)?([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?/
STRING: /"([^"\\]|\\.)*"|'([^'\\]|\\.)*'/
%ignore /\s+/
"""


class MathError(Exception):
    """An expression AWS refuses; the message is what it says."""


@dataclass
class Series:
    label: str
    points: dict[int, float] = field(default_factory=dict)
    id: str = ""

    def map(self, fn: Callable[[float], float | None]) -> Series:
        out: dict[int, float] = {}
        for ts, value in self.points.items():
            result = fn(value)
            if result is not None and not (isinstance(result, float) and math.isnan(result)):
                out[ts] = result
        return Series(self.label, out, self.id)

    def ordered(self) -> list[tuple[int, float]]:
        return sorted(self.points.items())


Value = float | Series | list[Series]


@dataclass
class Context:
    """What an expression can see: the other queries' results by id, the request's period
    and time range, and how to run a SEARCH."""

    resolve: Callable[[str], Value]
    period: int
    start: int
    end: int
    all_metrics: Callable[[str], list[Series]]
    search: Callable[[str, str, int], list[Series]] = lambda q, s, p: []
    #: A metric query's values over the two weeks before the range (what its anomaly model
    #: learns from), by the query's id; empty for anything else.
    history: Callable[[str], Series] = lambda ident: Series("")
    grid: list[int] = field(default_factory=list)

    def timeline(self) -> list[int]:
        if not self.grid:
            self.grid = list(range(self.start, self.end, self.period))
        return self.grid


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr")


@lru_cache(maxsize=512)
def parse(text: str) -> Tree:
    try:
        return _parser().parse(text)
    except LarkError as error:
        raise MathError(f"Syntax error in expression {text!r}: {str(error).splitlines()[0]}") from None


def references(text: str) -> set[str]:
    """The query ids an expression names."""
    tree = parse(text)
    found: set[str] = set()
    for node in tree.iter_subtrees():
        if node.data == "ref":
            found.add(str(node.children[0]))
    if isinstance(tree, Token):
        return found
    return found


def evaluate(text: str, context: Context) -> Value:
    return _eval(parse(text), context)


def _eval(node: Any, ctx: Context) -> Any:
    if isinstance(node, Token):
        raise MathError(f"Unexpected {node}")
    kind = node.data
    if kind == "number":
        return float(node.children[0])
    if kind == "string":
        raw = str(node.children[0])[1:-1]
        return bytes(raw, "utf-8").decode("unicode_escape")
    if kind == "ref":
        name = str(node.children[0])
        if name in _CONSTANTS:
            return _CONSTANTS[name](ctx)
        return ctx.resolve(name)
    if kind == "neg":
        return _unary(_eval(node.children[0], ctx), lambda v: -v)
    if kind == "negate":
        return _unary(_eval(node.children[1], ctx), lambda v: 0.0 if v else 1.0)
    if kind == "array":
        args = node.children[0].children if node.children and node.children[0] is not None else []
        out: list[Series] = []
        for arg in args:
            value = _eval(arg, ctx)
            if isinstance(value, list):
                out.extend(value)
            elif isinstance(value, Series):
                out.append(value)
            else:
                raise MathError("An array may contain only time series.")
        return out
    if kind == "call":
        name = str(node.children[0]).upper()
        arg_nodes = (
            node.children[1].children if len(node.children) > 1 and node.children[1] is not None else []
        )
        if name == "SEARCH":
            return _search(arg_nodes, ctx)
        function = FUNCTIONS.get(name)
        if function is None:
            raise MathError(f"Unknown function {name}.")
        return function(ctx, [_eval(arg, ctx) for arg in arg_nodes])
    if kind in ("or_", "and_", "compare", "sum", "product", "power"):
        children = node.children
        value = _eval(children[0], ctx)
        for position in range(1, len(children), 2):
            op = str(children[position])
            value = _binary(value, _eval(children[position + 1], ctx), _OPERATORS[op])
        return value
    raise MathError(f"Unsupported expression element {kind}.")


def _search(arg_nodes: list[Any], ctx: Context) -> list[Series]:
    if len(arg_nodes) not in (2, 3):
        raise MathError("SEARCH takes a search expression, a statistic and optionally a period.")
    values = [_eval(arg, ctx) for arg in arg_nodes]
    query, stat = values[0], values[1]
    if not isinstance(query, str) or not isinstance(stat, str):
        raise MathError("SEARCH's search expression and statistic are strings.")
    period = int(values[2]) if len(values) == 3 else ctx.period
    return ctx.search(query, stat, period)


def _div(a: float, b: float) -> float | None:
    if b == 0:
        return None
    return a / b


def _pow(a: float, b: float) -> float | None:
    try:
        result = a**b
    except (OverflowError, ZeroDivisionError):
        return None
    return result if isinstance(result, float | int) else None


_OPERATORS: dict[str, Callable[[float, float], float | None]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": _div,
    "^": _pow,
    "==": lambda a, b: float(a == b),
    "!=": lambda a, b: float(a != b),
    ">=": lambda a, b: float(a >= b),
    "<=": lambda a, b: float(a <= b),
    ">": lambda a, b: float(a > b),
    "<": lambda a, b: float(a < b),
    "AND": lambda a, b: float(bool(a) and bool(b)),
    "&&": lambda a, b: float(bool(a) and bool(b)),
    "OR": lambda a, b: float(bool(a) or bool(b)),
    "||": lambda a, b: float(bool(a) or bool(b)),
}


def _unary(value: Any, fn: Callable[[float], float]) -> Any:
    if isinstance(value, list):
        return [s.map(fn) for s in value]
    if isinstance(value, Series):
        return value.map(fn)
    if isinstance(value, str):
        raise MathError("A string is not a number.")
    return fn(value)


def _binary(a: Any, b: Any, op: Callable[[float, float], float | None]) -> Any:
    if isinstance(a, str) or isinstance(b, str):
        raise MathError("A string cannot be used in arithmetic.")
    if isinstance(a, list):
        if isinstance(b, list):
            raise MathError("Arithmetic between two arrays of time series is not supported.")
        return [_binary(s, b, op) for s in a]
    if isinstance(b, list):
        return [_binary(a, s, op) for s in b]
    if isinstance(a, Series) and isinstance(b, Series):
        points: dict[int, float] = {}
        for ts, value in a.points.items():
            if ts in b.points:
                result = op(value, b.points[ts])
                if result is not None:
                    points[ts] = float(result)
        return Series(a.label, points, a.id)
    if isinstance(a, Series):
        return a.map(lambda v: op(v, b))
    if isinstance(b, Series):
        return b.map(lambda v: op(a, v))
    result = op(a, b)
    return math.nan if result is None else float(result)


# -- functions -------------------------------------------------------------------------------------


def _want(args: list[Any], count: int | tuple[int, ...], name: str) -> None:
    counts = (count,) if isinstance(count, int) else count
    if len(args) not in counts:
        raise MathError(f"Function {name} takes {' or '.join(map(str, counts))} arguments.")


def _series_arg(value: Any, name: str) -> Series:
    if not isinstance(value, Series):
        raise MathError(f"Function {name} expects a time series.")
    return value


def _reducer(name: str, fn: Callable[[list[float]], float]) -> Callable[[Context, list[Any]], Any]:
    def apply(ctx: Context, args: list[Any]) -> Any:
        _want(args, 1, name)
        value = args[0]
        if isinstance(value, Series):
            values = [v for _, v in value.ordered()]
            return fn(values) if values else math.nan
        if isinstance(value, list):
            label = name
            stamps = sorted({ts for s in value for ts in s.points})
            out: dict[int, float] = {}
            for ts in stamps:
                present = [s.points[ts] for s in value if ts in s.points]
                if present:
                    out[ts] = fn(present)
            return Series(label, out)
        if isinstance(value, float):
            return value
        raise MathError(f"Function {name} expects a time series or an array of time series.")

    return apply


def _elementwise(name: str, fn: Callable[[float], float | None]) -> Callable[[Context, list[Any]], Any]:
    def apply(ctx: Context, args: list[Any]) -> Any:
        _want(args, 1, name)
        return _unary(args[0], lambda v: _safe(fn, v))

    return apply


def _safe(fn: Callable[[float], float | None], value: float) -> float:
    try:
        result = fn(value)
    except (ValueError, OverflowError, ZeroDivisionError):
        return math.nan
    return math.nan if result is None else result


def _per_series(
    name: str, fn: Callable[[Context, Series, list[Any]], Series], extra: tuple[int, ...] = (0,)
) -> Callable[[Context, list[Any]], Any]:
    def apply(ctx: Context, args: list[Any]) -> Any:
        if len(args) - 1 not in extra:
            raise MathError(f"Function {name} takes {' or '.join(str(n + 1) for n in extra)} arguments.")
        target = args[0]
        if isinstance(target, list):
            return [fn(ctx, s, args[1:]) for s in target]
        return fn(ctx, _series_arg(target, name), args[1:])

    return apply


def _rate(ctx: Context, s: Series, _: list[Any]) -> Series:
    ordered = s.ordered()
    out = {}
    for (t0, v0), (t1, v1) in pairwise(ordered):
        if t1 > t0:
            out[t1] = (v1 - v0) / (t1 - t0)
    return Series(s.label, out, s.id)


def _diff(ctx: Context, s: Series, _: list[Any]) -> Series:
    ordered = s.ordered()
    return Series(s.label, {t1: v1 - v0 for (_, v0), (t1, v1) in pairwise(ordered)}, s.id)


def _diff_time(ctx: Context, s: Series, _: list[Any]) -> Series:
    ordered = s.ordered()
    return Series(s.label, {t1: float(t1 - t0) for (t0, _), (t1, _) in pairwise(ordered)}, s.id)


def _running_sum(ctx: Context, s: Series, _: list[Any]) -> Series:
    total, out = 0.0, {}
    for ts, value in s.ordered():
        total += value
        out[ts] = total
    return Series(s.label, out, s.id)


def _fill(ctx: Context, s: Series, args: list[Any]) -> Series:
    how = args[0]
    out: dict[int, float] = {}
    ordered = s.ordered()
    known = dict(ordered)
    timeline = ctx.timeline()
    if isinstance(how, Series):
        for ts in timeline:
            if ts in known:
                out[ts] = known[ts]
            elif ts in how.points:
                out[ts] = how.points[ts]
        return Series(s.label, out, s.id)
    if isinstance(how, str):
        mode = how.upper()
    elif isinstance(how, float):
        for ts in timeline:
            out[ts] = known.get(ts, how)
        return Series(s.label, out, s.id)
    else:
        raise MathError("FILL's second argument is a value, REPEAT or LINEAR.")
    if mode not in ("REPEAT", "LINEAR"):
        raise MathError("FILL's second argument is a value, REPEAT or LINEAR.")
    stamps = [ts for ts, _ in ordered]
    for ts in timeline:
        if ts in known:
            out[ts] = known[ts]
            continue
        before = [t for t in stamps if t < ts]
        after = [t for t in stamps if t > ts]
        if mode == "REPEAT":
            if before:
                out[ts] = known[before[-1]]
            elif after:
                out[ts] = known[after[0]]
        elif before and after:
            t0, t1 = before[-1], after[0]
            out[ts] = known[t0] + (known[t1] - known[t0]) * (ts - t0) / (t1 - t0)
        elif before:
            out[ts] = known[before[-1]]
        elif after:
            out[ts] = known[after[0]]
    return Series(s.label, out, s.id)


def _if(ctx: Context, args: list[Any]) -> Any:
    _want(args, (2, 3), "IF")
    condition, then = args[0], args[1]
    otherwise = args[2] if len(args) == 3 else None
    if isinstance(condition, list):
        return [_if(ctx, [c, then, *([otherwise] if otherwise is not None else [])]) for c in condition]
    if not isinstance(condition, Series):
        if isinstance(condition, str):
            raise MathError("IF's condition must be a number or a time series.")
        chosen = then if condition else otherwise
        return chosen if chosen is not None else math.nan

    def pick(value: Any, ts: int) -> float | None:
        if isinstance(value, Series):
            return value.points.get(ts)
        if value is None:
            return None
        return float(value)

    out: dict[int, float] = {}
    for ts, flag in condition.points.items():
        result = pick(then if flag else otherwise, ts)
        if result is not None:
            out[ts] = result
    return Series(condition.label, out, condition.id)


def _metrics(ctx: Context, args: list[Any]) -> list[Series]:
    _want(args, (0, 1), "METRICS")
    wanted = args[0] if args else ""
    if not isinstance(wanted, str):
        raise MathError("METRICS takes a string filter.")
    return ctx.all_metrics(wanted)


def _remove_empty(ctx: Context, args: list[Any]) -> Any:
    _want(args, 1, "REMOVE_EMPTY")
    value = args[0]
    if isinstance(value, list):
        return [s for s in value if s.points]
    return value


def _sort(ctx: Context, args: list[Any]) -> list[Series]:
    _want(args, (3, 4), "SORT")
    array, function, order = args[0], args[1], args[2]
    if not isinstance(array, list):
        array = [_series_arg(array, "SORT")]
    if not isinstance(function, str):
        function = str(function)
    reducers: dict[str, Callable[[list[float]], float]] = {
        "AVG": pystats.fmean,
        "MAX": max,
        "MIN": min,
        "SUM": math.fsum,
    }
    reducer = reducers.get(function.upper(), pystats.fmean)
    keyed = [(reducer([v for v in s.points.values()]) if s.points else -math.inf, s) for s in array]
    keyed.sort(key=lambda pair: pair[0], reverse=str(order).upper() == "DESC")
    ranked = [s for _, s in keyed]
    if len(args) == 4:
        ranked = ranked[: int(args[3])]
    return ranked


def _slice(ctx: Context, args: list[Any]) -> list[Series]:
    _want(args, (2, 3), "SLICE")
    array = args[0] if isinstance(args[0], list) else [_series_arg(args[0], "SLICE")]
    start = int(args[1])
    end = int(args[2]) if len(args) == 3 else len(array)
    return array[start:end]


def _time_series(ctx: Context, args: list[Any]) -> Series:
    _want(args, 1, "TIME_SERIES")
    value = args[0]
    if isinstance(value, Series):
        return value
    if not isinstance(value, float):
        raise MathError("TIME_SERIES takes a number.")
    return Series("TIME_SERIES", {ts: value for ts in ctx.timeline()})


def _stamped(name: str, fn: Callable[[datetime], float]) -> Callable[[Context, list[Any]], Any]:
    def apply(ctx: Context, args: list[Any]) -> Any:
        _want(args, 1, name)
        target = args[0]
        if isinstance(target, list):
            return [
                Series(s.label, {ts: fn(datetime.fromtimestamp(ts, UTC)) for ts in s.points}, s.id)
                for s in target
            ]
        s = _series_arg(target, name)
        return Series(s.label, {ts: fn(datetime.fromtimestamp(ts, UTC)) for ts in s.points}, s.id)

    return apply


def _datapoint_count(values: list[float]) -> float:
    return float(len(values))


def _first(ctx: Context, args: list[Any]) -> Any:
    _want(args, 1, "FIRST")
    if isinstance(args[0], list):
        return args[0][0] if args[0] else Series("FIRST")
    s = _series_arg(args[0], "FIRST")
    ordered = s.ordered()
    return ordered[0][1] if ordered else math.nan


def _last(ctx: Context, args: list[Any]) -> Any:
    _want(args, 1, "LAST")
    if isinstance(args[0], list):
        return args[0][-1] if args[0] else Series("LAST")
    s = _series_arg(args[0], "LAST")
    ordered = s.ordered()
    return ordered[-1][1] if ordered else math.nan


def _anomaly_band(ctx: Context, args: list[Any]) -> list[Series]:
    """The band a value is expected in: the metric's mean over its history (the two weeks
    before the range) ± `width` standard deviations (default 2)."""
    _want(args, (1, 2), "ANOMALY_DETECTION_BAND")
    metric = _series_arg(args[0], "ANOMALY_DETECTION_BAND")
    width = float(args[1]) if len(args) == 2 else 2.0
    if not isinstance(args[-1], float) and len(args) == 2:
        raise MathError("ANOMALY_DETECTION_BAND's second argument is a number of standard deviations.")
    # The model learns from the history; with none yet, from the range itself.
    learned = list(ctx.history(metric.id).points.values()) or list(metric.points.values())
    if not learned:
        return [
            Series(f"{metric.label} (lower)", {}, metric.id),
            Series(f"{metric.label} (upper)", {}, metric.id),
        ]
    mean = pystats.fmean(learned)
    spread = pystats.pstdev(learned) if len(learned) > 1 else 0.0
    stamps = sorted(set(ctx.timeline()) | set(metric.points))
    return [
        Series(f"{metric.label} (lower)", {ts: mean - width * spread for ts in stamps}, metric.id),
        Series(f"{metric.label} (upper)", {ts: mean + width * spread for ts in stamps}, metric.id),
    ]


def _stddev(values: list[float]) -> float:
    return pystats.pstdev(values) if len(values) > 1 else 0.0


FUNCTIONS: dict[str, Callable[[Context, list[Any]], Any]] = {
    "ABS": _elementwise("ABS", abs),
    "CEIL": _elementwise("CEIL", lambda v: float(math.ceil(v))),
    "FLOOR": _elementwise("FLOOR", lambda v: float(math.floor(v))),
    "LOG": _elementwise("LOG", lambda v: math.log(v) if v > 0 else None),
    "LOG10": _elementwise("LOG10", lambda v: math.log10(v) if v > 0 else None),
    "SUM": _reducer("SUM", math.fsum),
    "AVG": _reducer("AVG", pystats.fmean),
    "MIN": _reducer("MIN", min),
    "MAX": _reducer("MAX", max),
    "STDDEV": _reducer("STDDEV", _stddev),
    "DATAPOINT_COUNT": _reducer("DATAPOINT_COUNT", _datapoint_count),
    "RATE": _per_series("RATE", _rate),
    "DIFF": _per_series("DIFF", _diff),
    "DIFF_TIME": _per_series("DIFF_TIME", _diff_time),
    "RUNNING_SUM": _per_series("RUNNING_SUM", _running_sum),
    "FILL": _per_series("FILL", _fill, (1,)),
    "IF": _if,
    "METRICS": _metrics,
    "REMOVE_EMPTY": _remove_empty,
    "SORT": _sort,
    "SLICE": _slice,
    "TIME_SERIES": _time_series,
    "FIRST": _first,
    "LAST": _last,
    "MINUTE": _stamped("MINUTE", lambda d: float(d.minute)),
    "HOUR": _stamped("HOUR", lambda d: float(d.hour)),
    "DAY": _stamped("DAY", lambda d: float(d.isoweekday())),
    "DATE": _stamped("DATE", lambda d: float(d.day)),
    "MONTH": _stamped("MONTH", lambda d: float(d.month)),
    "YEAR": _stamped("YEAR", lambda d: float(d.year)),
    "EPOCH": _stamped("EPOCH", lambda d: float(int(d.timestamp()))),
    "ANOMALY_DETECTION_BAND": _anomaly_band,
    "PERIOD": lambda ctx, args: _unary(args[0], lambda v: float(ctx.period)) if args else float(ctx.period),
}

#: Words that are values rather than query ids.
_CONSTANTS: dict[str, Callable[[Context], Any]] = {
    "REPEAT": lambda ctx: "REPEAT",
    "LINEAR": lambda ctx: "LINEAR",
    "ASC": lambda ctx: "ASC",
    "DESC": lambda ctx: "DESC",
}
