"""The Data API's typed values, both ways: SqlParameter fields into the engine's parameters,
and the engine's results into Field / Value records, column metadata and the JSON format.

PostgreSQL types are told by their type oid (pg8000), MySQL's by their field type (PyMySQL);
the JDBC type numbers and names in the column metadata are those the engines' JDBC drivers
report, which is what the Data API answers."""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import uuid
from typing import Any

from overcast.errors import ServiceError

# -- placeholders -------------------------------------------------------------------------------


def split_named(sql: str) -> list[tuple[str, str]]:
    """The SQL as pieces: ("text", ...) and ("param", name) for each `:name` outside quotes,
    identifiers and comments (a `::` cast is text)."""
    out: list[tuple[str, str]] = []
    text: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c in "'\"`":
            end = i + 1
            while end < n:
                if sql[end] == c:
                    if end + 1 < n and sql[end + 1] == c:
                        end += 2
                        continue
                    break
                if sql[end] == "\\" and c != '"':
                    end += 1
                end += 1
            text.append(sql[i : end + 1])
            i = end + 1
        elif sql.startswith("--", i) or c == "#":
            end = sql.find("\n", i)
            end = n if end < 0 else end
            text.append(sql[i:end])
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end < 0 else end + 2
            text.append(sql[i:end])
            i = end
        elif c == ":" and sql.startswith("::", i):
            text.append("::")
            i += 2
        elif c == ":" and i + 1 < n and (sql[i + 1].isalpha() or sql[i + 1] == "_"):
            end = i + 1
            while end < n and (sql[end].isalnum() or sql[end] == "_"):
                end += 1
            if text:
                out.append(("text", "".join(text)))
                text = []
            out.append(("param", sql[i + 1 : end]))
            i = end
        else:
            text.append(c)
            i += 1
    if text:
        out.append(("text", "".join(text)))
    return out


def split_statements(sql: str) -> list[str]:
    """Statements separated by `;` outside quotes and comments (ExecuteSql takes several)."""
    statements, current = [], []
    for kind, piece in split_named(sql):
        if kind == "param":
            current.append(":" + piece)
            continue
        if piece.startswith(("'", '"', "`", "--", "/*", "#")):
            current.append(piece)
            continue
        for index, part in enumerate(piece.split(";")):
            if index:
                statements.append("".join(current))
                current = []
            current.append(part)
    statements.append("".join(current))
    return [s.strip() for s in statements if s.strip()]


def to_pyformat(sql: str) -> str:
    """`:name` placeholders as PyMySQL's `%(name)s` (a literal % doubled)."""
    return "".join(
        f"%({piece})s" if kind == "param" else piece.replace("%", "%%") for kind, piece in split_named(sql)
    )


# -- parameters in ------------------------------------------------------------------------------

#: PostgreSQL type oids.
BOOL, BYTEA, INT8, INT2, INT4, TEXT, JSON, FLOAT4, FLOAT8, UNKNOWN = (
    16,
    17,
    20,
    21,
    23,
    25,
    114,
    700,
    701,
    705,
)
VARCHAR, DATE, TIME, TIMESTAMP, TIMESTAMPTZ, NUMERIC, UUID, JSONB = (
    1043,
    1082,
    1083,
    1114,
    1184,
    1700,
    2950,
    3802,
)
HINT_OIDS = {
    "JSON": JSON,
    "UUID": UUID,
    "TIMESTAMP": TIMESTAMP,
    "DATE": DATE,
    "TIME": TIME,
    "DECIMAL": NUMERIC,
}


def bad_request(message: str) -> ServiceError:
    return ServiceError("BadRequestException", message)


def parameter_value(parameter: dict[str, Any]) -> tuple[Any, int]:
    """A SqlParameter's Python value and the PostgreSQL type it is sent as. A string is a
    VARCHAR unless its typeHint says otherwise, as on AWS."""
    field = parameter.get("value") or {}
    hint = parameter.get("typeHint")
    if hint is not None and hint not in HINT_OIDS:
        raise bad_request(f"Invalid typeHint: {hint}")
    if "arrayValue" in field:
        raise bad_request("Array parameters are not supported.")
    if field.get("isNull"):
        return None, UNKNOWN
    if "booleanValue" in field:
        return bool(field["booleanValue"]), BOOL
    if "longValue" in field:
        return int(field["longValue"]), INT8
    if "doubleValue" in field:
        return float(field["doubleValue"]), FLOAT8
    if "blobValue" in field:
        return bytes(field["blobValue"]), BYTEA
    if "stringValue" in field:
        text = field["stringValue"]
        if hint == "DECIMAL":
            try:
                return decimal.Decimal(text), NUMERIC
            except decimal.InvalidOperation:
                raise bad_request(f"Invalid DECIMAL value: {text}") from None
        return text, HINT_OIDS.get(hint or "", VARCHAR)
    if not field:
        return None, UNKNOWN
    raise bad_request("Parameter value must have exactly one member set.")


def parameters(items: list[dict[str, Any]] | None) -> tuple[dict[str, Any], dict[str, int]]:
    values: dict[str, Any] = {}
    types: dict[str, int] = {}
    for item in items or []:
        name = item.get("name")
        if not name:
            raise bad_request("Parameter name must be specified.")
        values[name], types[name] = parameter_value(item)
    return values, types


# -- results out --------------------------------------------------------------------------------

#: PostgreSQL oid → (type name, JDBC type, precision) as the PostgreSQL JDBC driver reports them.
PG_TYPES: dict[int, tuple[str, int, int]] = {
    BOOL: ("bool", -7, 1),
    BYTEA: ("bytea", -2, 2147483647),
    18: ("char", 1, 1),
    19: ("name", 12, 2147483647),
    INT8: ("int8", -5, 19),
    INT2: ("int2", 5, 5),
    INT4: ("int4", 4, 10),
    TEXT: ("text", 12, 2147483647),
    26: ("oid", -5, 10),
    JSON: ("json", 1111, 2147483647),
    FLOAT4: ("float4", 7, 8),
    FLOAT8: ("float8", 8, 17),
    UNKNOWN: ("unknown", 1111, 2147483647),
    1042: ("bpchar", 1, 2147483647),
    VARCHAR: ("varchar", 12, 2147483647),
    DATE: ("date", 91, 13),
    TIME: ("time", 92, 15),
    TIMESTAMP: ("timestamp", 93, 29),
    TIMESTAMPTZ: ("timestamptz", 93, 35),
    1186: ("interval", 1111, 49),
    1266: ("timetz", 92, 21),
    NUMERIC: ("numeric", 2, 0),
    UUID: ("uuid", 1111, 2147483647),
    JSONB: ("jsonb", 1111, 2147483647),
}
#: Array type oid → its element's oid.
PG_ARRAYS = {1000: BOOL, 1001: BYTEA, 1005: INT2, 1007: INT4, 1016: INT8, 1009: TEXT, 1015: VARCHAR}
PG_ARRAYS |= {1021: FLOAT4, 1022: FLOAT8, 1231: NUMERIC, 1182: DATE, 1115: TIMESTAMP, 2951: UUID}


def pg_type(oid: int) -> tuple[str, int, int]:
    if oid in PG_ARRAYS:
        return "_" + PG_TYPES[PG_ARRAYS[oid]][0], 2003, 2147483647
    return PG_TYPES.get(oid, ("unknown", 1111, 2147483647))


#: MySQL field type → (type name, JDBC type) as MySQL Connector/J reports them.
MYSQL_TYPES: dict[int, tuple[str, int]] = {
    0: ("DECIMAL", 3),
    1: ("TINYINT", -6),
    2: ("SMALLINT", 5),
    3: ("INT", 4),
    4: ("FLOAT", 7),
    5: ("DOUBLE", 8),
    6: ("NULL", 0),
    7: ("TIMESTAMP", 93),
    8: ("BIGINT", -5),
    9: ("MEDIUMINT", 4),
    10: ("DATE", 91),
    11: ("TIME", 92),
    12: ("DATETIME", 93),
    13: ("YEAR", 91),
    15: ("VARCHAR", 12),
    16: ("BIT", -7),
    245: ("JSON", -1),
    246: ("DECIMAL", 3),
    247: ("CHAR", 1),
    248: ("CHAR", 1),
    249: ("BLOB", -4),
    250: ("BLOB", -4),
    251: ("BLOB", -4),
    252: ("TEXT", -1),
    253: ("VARCHAR", 12),
    254: ("CHAR", 1),
    255: ("GEOMETRY", -2),
}


def text_of(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ", timespec="microseconds" if value.microsecond else "seconds")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        seconds = int(value.total_seconds())
        sign = "-" if seconds < 0 else ""
        seconds = abs(seconds)
        return f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


class Shaper:
    """Turns one result's values into Fields, honouring resultSetOptions."""

    def __init__(self, options: dict[str, Any] | None) -> None:
        options = options or {}
        self.decimal_as = options.get("decimalReturnType") or "STRING"
        self.long_as = options.get("longReturnType") or "LONG"

    def field(self, value: Any, json_column: bool = False) -> dict[str, Any]:
        if value is None:
            return {"isNull": True}
        if json_column:
            return {
                "stringValue": value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
            }
        if isinstance(value, bool):
            return {"booleanValue": value}
        if isinstance(value, int):
            return {"stringValue": str(value)} if self.long_as == "STRING" else {"longValue": value}
        if isinstance(value, float):
            return {"doubleValue": value}
        if isinstance(value, decimal.Decimal):
            if self.decimal_as == "DOUBLE_OR_LONG":
                if value == value.to_integral_value():
                    return {"longValue": int(value)}
                return {"doubleValue": float(value)}
            return {"stringValue": str(value)}
        if isinstance(value, bytes | bytearray | memoryview):
            return {"blobValue": bytes(value)}
        if isinstance(value, list | tuple):
            return {"arrayValue": self.array(list(value))}
        if isinstance(value, uuid.UUID):
            return {"stringValue": str(value)}
        return {"stringValue": text_of(value)}

    def array(self, items: list[Any]) -> dict[str, Any]:
        present = [i for i in items if i is not None]
        if present and all(isinstance(i, list | tuple) for i in present):
            return {"arrayValues": [self.array(list(i)) for i in present]}
        if present and all(isinstance(i, bool) for i in present):
            return {"booleanValues": present}
        if present and all(isinstance(i, int) and not isinstance(i, bool) for i in present):
            return {"longValues": present}
        if present and all(isinstance(i, float) for i in present):
            return {"doubleValues": present}
        return {"stringValues": [text_of(i) for i in present]}

    def json_value(self, value: Any, json_column: bool = False) -> Any:
        """A value in formatRecordsAs JSON."""
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if json_column:
            return json.dumps(value, separators=(",", ":"))
        if isinstance(value, decimal.Decimal):
            return self.field(value).popitem()[1]
        if isinstance(value, bytes | bytearray | memoryview):
            return base64.b64encode(bytes(value)).decode()
        if isinstance(value, list | tuple):
            return [self.json_value(i) for i in value]
        return text_of(value)


def legacy_value(value: Any, jdbc_type: int) -> dict[str, Any]:
    """ExecuteSql's Value shape."""
    if value is None:
        return {"isNull": True}
    if isinstance(value, bool):
        return {"bitValue": value}
    if isinstance(value, int):
        return {"bigIntValue": value} if jdbc_type == -5 else {"intValue": value}
    if isinstance(value, float):
        return {"realValue": value} if jdbc_type == 7 else {"doubleValue": value}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"blobValue": bytes(value)}
    if isinstance(value, list | tuple):
        return {"arrayValues": [legacy_value(v, 0) for v in value]}
    return {"stringValue": text_of(value)}
