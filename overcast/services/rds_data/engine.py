"""Sessions on a cluster's writer engine for the Data API: pg8000 for PostgreSQL, PyMySQL for
MySQL-compatible clusters (both imported only when a session opens, so an idle Overcast does
not load them). Each runs one statement at a time and reports rows, columns and counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from overcast.errors import ServiceError
from overcast.services.rds_data import values as v

CONNECT_SECONDS = 10
#: How long the Data API waits for a statement (AWS: 45 seconds).
STATEMENT_SECONDS = 45
#: Statement words after which the engine's count is of rows changed.
DML = ("INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE")


def database_error(message: str) -> ServiceError:
    return ServiceError("DatabaseErrorException", message)


@dataclass
class Result:
    columns: list[dict[str, Any]] = field(default_factory=list)
    #: Per column: whether its values are JSON documents (returned as their text).
    json_columns: list[bool] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    updated: int = 0
    generated: list[dict[str, Any]] = field(default_factory=list)
    returns_rows: bool = False


def _first_word(sql: str) -> str:
    stripped = sql.lstrip(" \t\r\n(")
    return stripped.split(None, 1)[0].upper() if stripped else ""


class PostgresSession:
    def __init__(self, port: int, user: str, password: str, database: str) -> None:
        import pg8000.native

        try:
            self.conn = pg8000.native.Connection(
                user,
                host="127.0.0.1",
                port=port,
                password=password,
                database=database,
                timeout=STATEMENT_SECONDS,
            )
        except pg8000.native.DatabaseError as exc:
            raise database_error(self._message(exc)) from None
        except (OSError, pg8000.native.InterfaceError) as exc:
            raise ServiceError(
                "DatabaseUnavailableException", f"The database is unavailable: {exc}", 504
            ) from None

    @staticmethod
    def _message(exc: Exception) -> str:
        info = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
        if not info:
            return str(exc)
        text = f"{info.get('S', 'ERROR')}: {info.get('M', '')}"
        if info.get("P"):
            text += f"\n  Position: {info['P']}"
        if info.get("C"):
            text += f"; SQLState: {info['C']}"
        return text

    def execute(self, sql: str, params: dict[str, Any], types: dict[str, int], metadata: bool) -> Result:
        import pg8000.native

        try:
            rows = self.conn.run(sql, types=types, **params) if params else self.conn.run(sql)
        except pg8000.native.DatabaseError as exc:
            raise database_error(self._message(exc)) from None
        except pg8000.native.InterfaceError as exc:
            raise database_error(str(exc)) from None
        result = Result()
        columns = self.conn.columns
        if columns:
            result.returns_rows = True
            result.rows = [list(r) for r in rows or []]
            result.json_columns = [c["type_oid"] in (v.JSON, v.JSONB) for c in columns]
            result.columns = self._metadata(columns) if metadata else []
        if _first_word(sql) in DML or (_first_word(sql) == "WITH" and not columns):
            result.updated = max(self.conn.row_count or 0, 0)
        return result

    def _metadata(self, columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
        tables: dict[tuple[Any, Any], tuple[str, str, bool]] = {}
        wanted = {(c["table_oid"], c["column_attrnum"]) for c in columns if c.get("table_oid")}
        if wanted:
            for oid, attnum, table, schema, notnull in self.conn.run(
                "SELECT a.attrelid::int8, a.attnum::int8, c.relname::text, n.nspname::text, a.attnotnull"
                " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE a.attrelid = ANY(:oids::oid[])",
                oids=sorted({str(t) for t, _ in wanted}),
            ):
                tables[(oid, attnum)] = (table, schema, notnull)
        out = []
        for column in columns:
            oid = column["type_oid"]
            name, jdbc, precision = v.pg_type(oid)
            modifier = column.get("type_modifier", -1)
            scale = 0
            if oid == v.NUMERIC and modifier >= 4:
                precision, scale = (modifier - 4) >> 16, (modifier - 4) & 0xFFFF
            elif oid in (v.VARCHAR, 1042) and modifier >= 4:
                precision = modifier - 4
            table, schema, notnull = tables.get(
                (column.get("table_oid"), column.get("column_attrnum")), ("", "", False)
            )
            out.append(
                {
                    "name": column["name"],
                    "label": column["name"],
                    "type": jdbc,
                    "typeName": name,
                    "schemaName": schema,
                    "tableName": table,
                    "isAutoIncrement": False,
                    "isSigned": jdbc in (-5, 4, 5, 2, 3, 6, 7, 8),
                    "isCurrency": name == "money",
                    "isCaseSensitive": jdbc in (1, 12, -1, 1111),
                    "nullable": 0 if notnull else (1 if table else 2),
                    "precision": precision,
                    "scale": scale,
                    "arrayBaseColumnType": v.pg_type(v.PG_ARRAYS[oid])[1] if oid in v.PG_ARRAYS else 0,
                }
            )
        return out

    def idle(self) -> bool:
        """Outside any transaction, so the next caller may have it."""
        return getattr(self.conn, "_transaction_status", b"I") == b"I"

    def begin(self) -> None:
        self.execute("BEGIN", {}, {}, False)

    def commit(self) -> None:
        self.execute("COMMIT", {}, {}, False)

    def rollback(self) -> None:
        self.execute("ROLLBACK", {}, {}, False)

    def close(self) -> None:
        try:
            self.conn.close()
        except Exception:
            pass


class MySQLSession:
    def __init__(self, port: int, user: str, password: str, database: str | None) -> None:
        import pymysql

        try:
            self.conn = pymysql.connect(
                host="127.0.0.1",
                port=port,
                user=user,
                password=password,
                database=database,
                autocommit=True,
                connect_timeout=CONNECT_SECONDS,
            )
        except pymysql.err.OperationalError as exc:
            code = exc.args[0] if exc.args else 0
            if code in (2003, 2006, 2013):
                raise ServiceError(
                    "DatabaseUnavailableException", "The database is unavailable.", 504
                ) from None
            raise database_error(self._message(exc)) from None

    @staticmethod
    def _message(exc: Exception) -> str:
        return str(exc.args[1]) if len(exc.args) > 1 else str(exc)

    def execute(self, sql: str, params: dict[str, Any], types: dict[str, int], metadata: bool) -> Result:
        import pymysql

        cursor = self.conn.cursor()
        try:
            cursor.execute(v.to_pyformat(sql) if params else sql, params or None)
        except pymysql.err.MySQLError as exc:
            raise database_error(self._message(exc)) from None
        except (KeyError, ValueError, TypeError) as exc:
            raise ServiceError("BadRequestException", f"Invalid parameters: {exc}") from None
        result = Result()
        if cursor.description:
            result.returns_rows = True
            result.rows = [list(r) for r in cursor.fetchall()]
            fields = cursor._result.fields if cursor._result is not None else []
            result.json_columns = [f.type_code == 245 for f in fields]
            if metadata:
                result.columns = [self._column(f) for f in fields]
        else:
            result.updated = max(cursor.rowcount, 0)
            if cursor.lastrowid:
                result.generated = [{"longValue": cursor.lastrowid}]
        cursor.close()
        return result

    @staticmethod
    def _column(f: Any) -> dict[str, Any]:
        name, jdbc = v.MYSQL_TYPES.get(f.type_code, ("UNKNOWN", 1111))
        unsigned = bool(f.flags & 32)
        if unsigned and jdbc in (-6, 5, 4, -5):
            name += " UNSIGNED"
        binary = f.charsetnr == 63
        if name == "VARCHAR" and binary:
            name, jdbc = "VARBINARY", -3
        return {
            "name": f.name,
            "label": f.name,
            "type": jdbc,
            "typeName": name,
            "schemaName": f.db or "",
            "tableName": f.org_table or "",
            "isAutoIncrement": bool(f.flags & 512),
            "isSigned": jdbc in (-6, 5, 4, -5, 3, 2, 6, 7, 8) and not unsigned,
            "isCurrency": False,
            "isCaseSensitive": jdbc in (1, 12, -1) and binary,
            "nullable": 0 if f.flags & 1 else 1,
            "precision": f.length if jdbc not in (3, 2) else f.length - (1 if f.scale else 0) - 1,
            "scale": f.scale,
            "arrayBaseColumnType": 0,
        }

    def idle(self) -> bool:
        return not (self.conn.server_status & 1)  # SERVER_STATUS_IN_TRANS

    def begin(self) -> None:
        self.conn.begin()

    def commit(self) -> None:
        self.conn.commit()

    def rollback(self) -> None:
        self.conn.rollback()

    def close(self) -> None:
        try:
            self.conn.close()
        except Exception:
            pass


Session = PostgresSession | MySQLSession
