"""Lookup tables: CSV reference data that Logs Insights queries join on (`lookup`).

The CSV is checked as AWS documents it (a header row of column names, at most 10 MB, UTF-8)
and as a join needs it: column names present and unique, every record as wide as the header.

Table (scope = account/region): lookup_tables  name → the table with its CSV body
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from overcast.common.arns import build_arn, parse_arn
from overcast.common.times import epoch_millis
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.store import Table

from .paging import page_keys

if TYPE_CHECKING:
    from .provider import Provider

_DEFAULT_PAGE = 50


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message, 400)


def _not_found() -> ServiceError:
    return ServiceError("ResourceNotFoundException", "The specified lookup table does not exist.", 400)


def parse_csv(body: str) -> tuple[list[str], int]:
    """The column names and the number of records of a lookup table's CSV, or the error AWS
    gives for content that is not one."""
    try:
        rows = [row for row in csv.reader(io.StringIO(body, newline=""), strict=True) if row]
    except csv.Error as error:
        raise _invalid(f"The tableBody is not valid CSV: {error}.") from None
    if not rows:
        raise _invalid("The tableBody must include a header row with column names.")
    header = [name.strip() for name in rows[0]]
    if any(not name for name in header):
        raise _invalid("Every column in the header row of the tableBody must have a name.")
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise _invalid(f"The header row of the tableBody repeats the column name {duplicates[0]}.")
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise _invalid(
                f"Row {number} of the tableBody has {len(row)} fields; the header row has {len(header)}."
            )
    return header, len(rows) - 1


class LookupTablesMixin:
    @property
    def _lookup_tables(self: Provider) -> Table:  # type: ignore[misc]
        return self.store.table("logs", "lookup_tables")

    def _table_body(self: Provider, params: dict) -> str:  # type: ignore[misc]
        body, query_id = params.get("tableBody"), params.get("queryId")
        if body is not None and query_id is not None:
            raise _invalid("Specify either tableBody or queryId, not both.")
        if query_id is not None:
            # Insights query results are not kept by this Logs: no query of that id exists.
            raise ServiceError("ResourceNotFoundException", f"The query {query_id} does not exist.", 400)
        if body is None:
            raise _invalid("Specify either tableBody or queryId.")
        return body

    def create_lookup_table(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        name = params["lookupTableName"]
        body = self._table_body(params)
        fields, records = parse_csv(body)
        if self._lookup_tables.get(scope, name) is not None:
            raise ServiceError(
                "ResourceAlreadyExistsException", f"A lookup table named {name} already exists.", 400
            )
        now = epoch_millis()
        table: dict[str, Any] = {
            "lookupTableArn": build_arn("logs", context.region, context.account, f"lookup-table:{name}"),
            "lookupTableName": name,
            "description": params.get("description", ""),
            "tableBody": body,
            "tableFields": fields,
            "recordsCount": records,
            "sizeBytes": len(body.encode()),
            "createdAt": now,
            "lastUpdatedTime": now,
            "tags": dict(params.get("tags") or {}),
        }
        if params.get("kmsKeyId"):
            table["kmsKeyId"] = params["kmsKeyId"]
        self._lookup_tables.put(scope, name, table)
        return {"lookupTableArn": table["lookupTableArn"], "createdAt": now}

    def _lookup_table(self: Provider, context: RequestContext, arn: str) -> tuple[str, dict]:  # type: ignore[misc]
        scope = self._scope(context)
        parsed = parse_arn(arn)
        kind, _, name = parsed.resource.partition(":") if parsed else ("", "", "")
        if parsed is None or parsed.service != "logs" or kind != "lookup-table" or not name:
            raise _invalid(f"Invalid lookupTableArn: {arn}")
        table = self._lookup_tables.get(scope, name)
        if table is None or table["lookupTableArn"] != arn:
            raise _not_found()
        return scope, table

    def get_lookup_table(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, table = self._lookup_table(context, params["lookupTableArn"])
        keys = ("lookupTableArn", "lookupTableName", "description", "tableBody", "sizeBytes")
        out = {key: table[key] for key in keys}
        out["lastUpdatedTime"] = table["lastUpdatedTime"]
        if "kmsKeyId" in table:
            out["kmsKeyId"] = table["kmsKeyId"]
        return out

    def update_lookup_table(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, table = self._lookup_table(context, params["lookupTableArn"])
        body = self._table_body(params)
        table["tableFields"], table["recordsCount"] = parse_csv(body)
        table["tableBody"], table["sizeBytes"] = body, len(body.encode())
        if "description" in params:
            table["description"] = params["description"]
        if params.get("kmsKeyId"):
            table["kmsKeyId"] = params["kmsKeyId"]
        table["lastUpdatedTime"] = epoch_millis()
        self._lookup_tables.put(scope, table["lookupTableName"], table)
        return {"lookupTableArn": table["lookupTableArn"], "lastUpdatedTime": table["lastUpdatedTime"]}

    def delete_lookup_table(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, table = self._lookup_table(context, params["lookupTableArn"])
        self._lookup_tables.delete(scope, table["lookupTableName"])
        return {}

    def describe_lookup_tables(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        prefix = params.get("lookupTableNamePrefix") or ""
        keys = (
            "lookupTableArn",
            "lookupTableName",
            "description",
            "tableFields",
            "recordsCount",
            "sizeBytes",
        )

        def summary(table: dict) -> dict:
            out = {key: table[key] for key in keys}
            out["lastUpdatedTime"] = table["lastUpdatedTime"]
            if "kmsKeyId" in table:
                out["kmsKeyId"] = table["kmsKeyId"]
            return out

        limit = params.get("maxResults")
        if limit is not None and limit < 1:  # the model gives no minimum; a page holds one at least
            raise _invalid(
                f"1 validation error detected: Value '{limit}' at 'maxResults' failed to satisfy constraint: "
                "Member must have value greater than or equal to 1"
            )
        return page_keys(
            self.store, "DescribeLookupTables", params,
            lambda after: self._lookup_tables.scan(scope, prefix=prefix, start_after=after),
            result_key="lookupTables", limit=params.get("maxResults") or _DEFAULT_PAGE,
            bad_token=lambda: _invalid("The specified nextToken is invalid."), render=summary, bind=prefix,
        )  # fmt: skip
