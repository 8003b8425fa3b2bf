"""CloudTrail Lake's SQL, run for real on SQLite.

Lake queries are Trino-flavoured SELECT statements whose FROM names an event data store by its
id (or ARN). A statement is tokenized, checked (SELECT/WITH only), its `?` parameters bound, its
event data store references swapped for tables, and Lake's syntax for nested columns
(`userIdentity.arn`, `requestParameters['bucketName']`, `element_at(...)`, `timestamp '...'`)
turned into SQLite's json functions. Each referenced event data store becomes an in-memory table
with Lake's column names, one row per event; the statement runs under an authorizer that allows
reading and nothing else, so a query cannot touch anything but its own copy of the events.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from overcast.common import jsontext
from overcast.errors import ServiceError

#: Lake's columns for CloudTrail events, in its schema's order. Struct, map and array columns
#: hold JSON text; their members are read with json_extract.
COLUMNS = (
    "eventVersion",
    "userIdentity",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "errorMessage",
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "requestID",
    "eventID",
    "readOnly",
    "resources",
    "eventType",
    "apiVersion",
    "managementEvent",
    "recipientAccountId",
    "sharedEventID",
    "annotation",
    "vpcEndpointId",
    "serviceEventDetails",
    "addendum",
    "edgeDeviceDetails",
    "insightDetails",
    "eventCategory",
    "tlsDetails",
    "sessionCredentialFromConsole",
)
NESTED = frozenset(
    {
        "useridentity",
        "requestparameters",
        "responseelements",
        "additionaleventdata",
        "resources",
        "serviceeventdetails",
        "addendum",
        "edgedevicedetails",
        "insightdetails",
        "tlsdetails",
    }
)
BOOLEANS = frozenset({"readOnly", "managementEvent", "sessionCredentialFromConsole"})
_CANONICAL = {name.lower(): name for name in COLUMNS}

_TOKEN = re.compile(
    r"""
    (?P<space>\s+|--[^\n]*|/\*.*?\*/)
  | (?P<string>'(?:[^']|'')*')
  | (?P<quoted>"(?:[^"]|"")*")
  | (?P<arn>arn:[\w-]+:cloudtrail:[\w-]+:\d{12}:eventdatastore/[\w-]+)
  | (?P<uuid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})
  | (?P<number>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
  | (?P<symbol><>|!=|<=|>=|\|\||[-+*/%(),.;=<>\[\]?])
    """,
    re.VERBOSE | re.DOTALL,
)

#: Lake's limit on a query's run time; a longer query ends TIMED_OUT.
TIMEOUT_SECONDS = 3600


def query_error(message: str) -> ServiceError:
    return ServiceError("InvalidQueryStatementException", message, 400)


@dataclass
class Token:
    kind: str
    text: str


@dataclass
class Prepared:
    """A statement ready for SQLite: its text, and the event data store each table stands for."""

    sql: str
    stores: list[str] = field(default_factory=list)
    #: The eventTime range (microseconds, either end open) every matching event lies in, when
    #: the statement's conditions say so plainly; only events in it need loading.
    since_us: int | None = None
    until_us: int | None = None


def tokenize(statement: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(statement):
        match = _TOKEN.match(statement, position)
        if match is None:
            raise query_error(
                f"Query statement has a syntax error near '{statement[position : position + 20]}'."
            )
        kind = match.lastgroup or "space"
        if kind != "space":
            tokens.append(Token(kind, match.group()))
        position = match.end()
    return tokens


def prepare(statement: str, parameters: Sequence[str] | None, resolve: Callable[[str], str]) -> Prepared:
    """The SQLite form of a Lake statement. `resolve` maps an event data store reference (an
    id or ARN, as written) to the store's id, raising AWS's error for an unknown one."""
    tokens = tokenize(statement)
    while tokens and tokens[-1].text == ";":
        tokens.pop()
    if not tokens or tokens[0].text.upper() not in ("SELECT", "WITH"):
        raise query_error("Only SELECT statements are supported.")
    if any(t.text == ";" for t in tokens):
        raise query_error("A query can hold only one statement.")
    tokens = _bind(tokens, parameters or ())
    prepared = Prepared("")
    out: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        previous = tokens[index - 1].text.upper() if index else ""
        if token.kind in ("uuid", "arn") or (
            previous in ("FROM", "JOIN") and token.kind == "quoted" and _looks_like_store(token.text)
        ):
            if previous not in ("FROM", "JOIN", ","):
                raise query_error(f"Event data store reference {token.text} must follow FROM or JOIN.")
            store_id = resolve(token.text.strip('"'))
            if store_id not in prepared.stores:
                prepared.stores.append(store_id)
            out.append(f"eds_{prepared.stores.index(store_id)}")
            index += 1
            continue
        if (
            token.kind == "word"
            and token.text.lower() == "timestamp"
            and _kind(tokens, index + 1) == "string"
        ):
            index += 1  # timestamp '2024-01-01 00:00:00' is the string: eventTime compares as text
            continue
        if token.kind == "word" and token.text.lower() == "interval":
            raise query_error("INTERVAL literals are not supported; use date_add('unit', n, timestamp).")
        if token.kind == "word" and token.text.lower() in NESTED and previous != ".":
            consumed, text = _nested(tokens, index)
            if consumed:
                out.append(text)
                index += consumed
                continue
        out.append(token.text)
        index += 1
    if not prepared.stores:
        raise query_error("The query must name an event data store in its FROM clause.")
    prepared.sql = " ".join(out)
    prepared.since_us, prepared.until_us = _time_bounds(tokens)
    return prepared


_LOWER = frozenset({">", ">=", "="})
_UPPER = frozenset({"<", "<=", "="})
#: Literals in Lake's own time layout, which order as text the way the times they name do.
_TIME_LITERAL = re.compile(r"'\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2}(\.\d{1,6})?)?'")


def _time_bounds(tokens: list[Token]) -> tuple[int | None, int | None]:
    """The eventTime range a statement's WHERE clause bounds its events to, when it is a plain
    conjunction over one store (no OR, NOT, subquery, join or union): comparisons of eventTime
    with literals. Anything else leaves the range open, and the engine still applies every
    condition to the events loaded."""
    words = {t.text.upper() for t in tokens if t.kind == "word"}
    if words & {"OR", "NOT", "JOIN", "UNION", "WITH", "EXCEPT", "INTERSECT"}:
        return None, None
    if sum(1 for t in tokens if t.text.upper() == "SELECT") != 1:
        return None, None
    plain = [
        t
        for i, t in enumerate(tokens)
        if not (t.kind == "word" and t.text.lower() == "timestamp" and _kind(tokens, i + 1) == "string")
    ]
    since = until = None
    for index in range(len(plain) - 2):
        column, operator, literal = plain[index : index + 3]
        if (
            column.kind != "word"
            or column.text.lower() != "eventtime"
            or not _TIME_LITERAL.fullmatch(literal.text)
        ):
            continue
        if index and plain[index - 1].text == ".":
            continue
        moment = _parse_time(literal.text[1:-1])
        if moment is None:
            continue
        us = int(moment.timestamp() * 1_000_000)
        if operator.text in _LOWER:
            since = us if since is None else max(since, us)
        if operator.text in _UPPER:
            # A literal is read to the second at most; the whole second may hold matching events.
            bound = us + 1_000_000
            until = bound if until is None else min(until, bound)
    return since, until


def _looks_like_store(quoted: str) -> bool:
    match = _TOKEN.fullmatch(quoted.strip('"'))
    return match is not None and match.lastgroup in ("uuid", "arn")


def _kind(tokens: list[Token], index: int) -> str:
    return tokens[index].kind if index < len(tokens) else ""


def _bind(tokens: list[Token], parameters: Sequence[str]) -> list[Token]:
    holes = sum(1 for t in tokens if t.text == "?")
    if holes != len(parameters):
        raise ServiceError(
            "InvalidParameterException",
            f"The query has {holes} parameters (?) but {len(parameters)} QueryParameters were given.",
            400,
        )
    values = iter(parameters)
    return [
        Token("string", "'" + next(values).replace("'", "''") + "'") if t.text == "?" else t for t in tokens
    ]


def _nested(tokens: list[Token], index: int) -> tuple[int, str]:
    """`column.member.member` or `column['key']` at index, as a json_extract call."""
    column = _CANONICAL[tokens[index].text.lower()]
    path: list[str] = []
    position = index + 1
    while position < len(tokens):
        token = tokens[position]
        if token.text == "." and _kind(tokens, position + 1) in ("word", "quoted"):
            path.append(tokens[position + 1].text.strip('"'))
            position += 2
        elif (
            token.text == "["
            and _kind(tokens, position + 1) in ("string", "number")
            and position + 2 < len(tokens)
            and tokens[position + 2].text == "]"
        ):
            key = tokens[position + 1]
            if key.kind == "number":  # Lake's arrays count from 1
                path.append(f"[{int(float(key.text)) - 1}]")
            else:
                path.append(key.text[1:-1].replace("''", "'"))
            position += 3
        else:
            break
    if not path:
        return 0, ""
    return position - index, f"lake_member({column}, {_json_path(path)})"


def _json_path(members: Iterable[str]) -> str:
    path = "$"
    for member in members:
        path += member if member.startswith("[") else '."' + member.replace('"', '\\"') + '"'
    return "'" + path.replace("'", "''") + "'"


# -- functions Lake has and SQLite lacks ---------------------------------------------------------

_UNITS = {
    "second": timedelta(seconds=1),
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def lake_time(value: datetime) -> str:
    """A timestamp as Lake shows it: 2024-05-01 10:00:00.000."""
    return value.astimezone(UTC).strftime(_TIME_FORMAT)[:-3]


def _parse_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    text = str(text).strip().replace("T", " ").rstrip("Z")
    for layout in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, layout).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _member(document: str | None, path: str) -> object:
    if document is None:
        return None
    try:
        value = jsontext.loads(document)
        for part in re.findall(r'\."((?:[^"\\]|\\.)*)"|\[(\d+)\]', path):
            name, position = part
            if position:
                value = value[int(position)] if isinstance(value, list) else None
            else:
                # Lake's struct members are case-insensitive, as Trino's are.
                name = name.replace('\\"', '"')
                if not isinstance(value, dict):
                    return None
                value = value.get(
                    name, next((v for k, v in value.items() if k.lower() == name.lower()), None)
                )
            if value is None:
                return None
    except (ValueError, IndexError, TypeError):
        return None
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bool):
        return int(value)
    return value


def _element_at(document: str | None, key: object) -> object:
    if isinstance(key, int):
        return _member(document, f"[{key - 1}]")
    return _member(document, '."' + str(key).replace('"', '\\"') + '"')


def _date_add(unit: str, amount: int, value: str | None) -> str | None:
    moment = _parse_time(value)
    step = _UNITS.get(str(unit).lower())
    if moment is None or step is None:
        return None
    return lake_time(moment + step * int(amount))


def _date_diff(unit: str, start: str | None, end: str | None) -> int | None:
    first, last = _parse_time(start), _parse_time(end)
    step = _UNITS.get(str(unit).lower())
    if first is None or last is None or step is None:
        return None
    return int((last - first) / step)


def _from_iso8601(text: str | None) -> str | None:
    moment = _parse_time(text)
    return None if moment is None else lake_time(moment)


def _date_trunc(unit: str, value: str | None) -> str | None:
    moment = _parse_time(value)
    if moment is None:
        return None
    parts = {"second": 6, "minute": 5, "hour": 4, "day": 3, "month": 2, "year": 1}.get(str(unit).lower())
    if parts is None:
        return None
    fields = [moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second]
    floor = [1, 1, 1, 0, 0, 0]  # the smallest month, day, hour ... a unit truncates to
    year, month, day, hour, minute, second = fields[:parts] + floor[parts:]
    return lake_time(datetime(year, month, day, hour, minute, second, tzinfo=UTC))


def _functions(now: datetime) -> dict[str, tuple[int, Callable]]:
    stamp = lake_time(now)
    return {
        "lake_member": (2, _member),
        "element_at": (2, _element_at),
        "now": (0, lambda: stamp),
        "current_timestamp": (0, lambda: stamp),
        "date_add": (3, _date_add),
        "date_diff": (3, _date_diff),
        "date_trunc": (2, _date_trunc),
        "from_iso8601_timestamp": (1, _from_iso8601),
        "to_iso8601": (1, lambda v: None if _parse_time(v) is None else _parse_time(v).isoformat()),  # type: ignore[union-attr]
        "json_extract_scalar": (2, lambda doc, path: _member(doc, _dotted(path))),
        "cardinality": (1, lambda doc: len(json.loads(doc)) if doc else None),
        "regexp_like": (
            2,
            lambda value, pattern: None if value is None else int(bool(re.search(pattern, value))),
        ),
        "strpos": (2, lambda value, part: None if value is None else value.find(part) + 1),
    }


def _dotted(path: str) -> str:
    members = [m for m in str(path).lstrip("$").split(".") if m]
    return _json_path(members).strip("'").replace("''", "'")


# -- running --------------------------------------------------------------------------------------

_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}


def _authorize(action: int, table: str | None, *_: object) -> int:
    # Reading is all a query may do, and only the event data stores' tables (the connection
    # holds nothing else but SQLite's own catalog).
    if action not in _ALLOWED:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_READ and (table or "").lower().startswith("sqlite_"):
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def event_row(event: dict, ts: datetime) -> tuple:
    """An event's values in COLUMNS order."""
    values: list[object] = []
    for name in COLUMNS:
        if name == "eventTime":
            values.append(lake_time(ts))
        else:
            value = event.get(name)
            if isinstance(value, dict | list):
                value = json.dumps(value, separators=(",", ":"))
            elif isinstance(value, bool):
                value = int(value)
            values.append(value)
    return tuple(values)


@dataclass
class Outcome:
    columns: list[str]
    rows: list[list[dict[str, str]]]
    scanned: int
    bytes_scanned: int


def run(
    prepared: Prepared,
    tables: Sequence[Iterable[tuple]],
    *,
    cancelled: Callable[[], bool] = lambda: False,
    now: datetime | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> Outcome:
    """Run a prepared statement over the event rows of each of its stores (event_row tuples)."""
    connection = sqlite3.connect(":memory:", check_same_thread=False)
    try:
        for name, (arity, function) in _functions(now or datetime.now(UTC)).items():
            connection.create_function(name, arity, function, deterministic=name != "now")
        scanned = size = 0
        columns = ", ".join(f'"{c}"' for c in COLUMNS)
        marks = ", ".join("?" for _ in COLUMNS)
        for position, rows in enumerate(tables):
            connection.execute(f"CREATE TABLE eds_{position} ({columns})")
            batch = list(rows)
            scanned += len(batch)
            # What the stored events weigh: the text of their values.
            size += sum(len(str(value)) for row in batch for value in row if value is not None)
            connection.executemany(f"INSERT INTO eds_{position} VALUES ({marks})", batch)
        deadline = time.monotonic() + timeout
        state = {"timed_out": False}

        def interrupt() -> int:
            if time.monotonic() > deadline:
                state["timed_out"] = True
                return 1
            return 1 if cancelled() else 0

        connection.set_progress_handler(interrupt, 10_000)
        connection.set_authorizer(_authorize)
        try:
            cursor = connection.execute(prepared.sql)
            names = [_column_name(i, d[0]) for i, d in enumerate(cursor.description or ())]
            found = cursor.fetchall()
        except sqlite3.OperationalError as error:
            if "interrupted" in str(error):
                raise (
                    TimeoutError("timed out") if state["timed_out"] else InterruptedError("cancelled")
                ) from None
            raise query_error(_message(str(error))) from None
        except sqlite3.Error as error:
            raise query_error(_message(str(error))) from None
        rendered = [
            [{name: _render(name, value)} for name, value in zip(names, row, strict=True)] for row in found
        ]
        return Outcome(names, rendered, scanned, size)
    finally:
        connection.close()


def _column_name(position: int, name: str) -> str:
    # Trino names a member access after the member, and any other expression _col<position>.
    member = re.fullmatch(r"lake_member\(\w+, '\$.*\.\"((?:[^\"]|\\\")*)\"'\)", name)
    if member:
        return member.group(1)
    return f"_col{position}" if re.search(r"[^\w$]", name) else name


def check(prepared: Prepared) -> None:
    """Raise AWS's error for a statement SQLite cannot run (an unknown column, a syntax
    error), before the query is started: Lake refuses those in StartQuery itself."""
    run(prepared, [() for _ in prepared.stores])


def _render(name: str, value: object) -> str:
    if value is None:
        return ""
    if name in BOOLEANS and value in (0, 1):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _message(text: str) -> str:
    text = re.sub(r"\beds_\d+\b", "the event data store", text)
    if text.startswith("no such column"):
        return f"Query statement has an invalid column: {text.split(':', 1)[1].strip()}."
    if text.startswith(("not authorized", "access to")):
        return "Only SELECT statements over event data stores are supported."
    return f"Query statement has a syntax error: {text}."
