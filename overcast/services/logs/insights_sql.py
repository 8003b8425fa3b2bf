"""Logs Insights' SQL query language, run by SQLite: each log group a query names in backticks
(`FROM \\`my-group\\``) becomes a table of its events in the time range — the system fields and
the fields discovered in the messages as columns — and the statement runs read-only."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from .insights import Millis, Record, show
from .insights_parser import QueryError

_QUOTED_NAME = re.compile(r"`([^`]+)`")
_READ_ONLY = re.compile(r"^\s*(select|with)\b", re.IGNORECASE)


def named_groups(query: str) -> list[str]:
    """The backtick-quoted names in a query, in order (group names or ARNs among them)."""
    return list(dict.fromkeys(_QUOTED_NAME.findall(query)))


def check_sql(query: str) -> None:
    if not _READ_ONLY.match(query) or not sqlite3.complete_statement(query.rstrip().rstrip(";") + ";"):
        raise QueryError("Only a single SELECT statement can be run.", 0, len(query))


def _value(value: Any) -> Any:
    if isinstance(value, Millis):
        return int(value)
    if isinstance(value, (list, dict)):
        return show(value)
    return value


def run_sql(
    query: str, tables: dict[str, list[Record]], limit: int
) -> tuple[list[list[dict[str, str]]], int]:
    """The statement's rows as Insights returns them, and how many it gave before the limit."""
    check_sql(query)
    connection = sqlite3.connect(":memory:")
    try:
        for name, records in tables.items():
            columns = list(dict.fromkeys(field for record in records for field in record))
            for system in ("@timestamp", "@message", "@logStream", "@log", "@ingestionTime", "@ptr"):
                if system not in columns:
                    columns.append(system)
            quoted = ", ".join('"' + column.replace('"', '""') + '"' for column in columns)
            table = '"' + name.replace('"', '""') + '"'
            connection.execute(f"CREATE TABLE {table} ({quoted})")
            marks = ", ".join("?" for _ in columns)
            connection.executemany(
                f"INSERT INTO {table} VALUES ({marks})",
                [[_value(record.get(column)) for column in columns] for record in records],
            )
        connection.execute("PRAGMA query_only = ON")
        try:
            cursor = connection.execute(query.rstrip().rstrip(";"))
            names = [description[0] for description in cursor.description or ()]
            rows = cursor.fetchall()
        except sqlite3.Error as error:
            raise QueryError(str(error), 0, len(query)) from None
    finally:
        connection.close()
    rendered = [
        [
            {"field": name, "value": show(value)}
            for name, value in zip(names, row, strict=True)
            if value is not None
        ]
        for row in rows[:limit]
    ]
    return rendered, len(rows)
