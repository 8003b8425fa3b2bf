"""Logs Insights: queries run over a group's stored events (Scheduled → Running → Complete, or
Cancelled), their results and statistics, the log records behind each @ptr, the fields a group's
events carry, and saved query definitions.

Tables (scope = account/region):
  queries             query id → query record (with its results once complete)
  query_definitions   definition id → query definition
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import Iterator
from itertools import compress, islice
from typing import TYPE_CHECKING, Any

from overcast.common import jsontext
from overcast.common.arns import build_arn
from overcast.common.pagination import decode_token, encode_token, paginate_list
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.store import scope as store_scope

from .insights import Millis, Record, discovered_fields, message_test, raw_filters, run, show
from .insights_parser import QueryError, parse_query
from .insights_sql import check_sql, named_groups, run_sql
from .shared import SEP, bad_token, group_name_of, invalid, not_found, now_ms

if TYPE_CHECKING:
    from overcast.store import Store, Table

    from .provider import Provider

#: Log groups one query may search, as AWS allows.
MAX_QUERY_GROUPS = 50
#: Events a query takes from the store at a time.
_BATCH = 5000
DEFAULT_QUERY_LIMIT = 10_000
QUERY_RESULTS_KEPT_MS = 7 * 86_400_000
#: GetLogGroupFields looks at the events of this window (before now, or around `time`).
_FIELDS_WINDOW_MS = 15 * 60_000
_SYSTEM_FIELDS = ("@timestamp", "@message", "@logStream", "@log", "@ingestionTime")
_FINISHED = ("Complete", "Failed", "Cancelled", "Timeout")
#: Marks the queries this process scheduled: one still Scheduled from another (before a
#: restart) has no run waiting for it.
_THIS_PROCESS = uuid.uuid4().hex


def _malformed(error: QueryError) -> ServiceError:
    return ServiceError(
        "MalformedQueryException",
        str(error),
        400,
        queryCompileError={
            "location": {"startCharOffset": error.start, "endCharOffset": error.end},
            "message": str(error),
        },
    )


def _offset_page(
    store: Store, operation: str, params: dict, key: str, items: list, default: int, bind: str
) -> dict:
    """One page of `items` for an operation botocore gives no paginator (its token is ours)."""
    start = 0
    if params.get("nextToken"):
        try:
            start = decode_token(store, operation, params["nextToken"], bind)
        except ValueError:
            raise bad_token() from None
        if not isinstance(start, int) or isinstance(start, bool) or start < 0:
            raise bad_token()
    size = params.get("maxResults") or default
    out: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        out["nextToken"] = encode_token(store, operation, start + size, bind)
    return out


def pointer(group: str, key: str) -> str:
    """The @ptr of an event: which group and which of its events."""
    return base64.urlsafe_b64encode(json.dumps([group, key]).encode()).decode().rstrip("=")


def _read_pointer(text: str) -> tuple[str, str]:
    try:
        group, key = jsontext.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, TypeError):
        raise invalid("The log record pointer is invalid.") from None
    if not isinstance(group, str) or not isinstance(key, str):
        raise invalid("The log record pointer is invalid.")
    return group, key


def event_record(account: str, group: str, key: str, event: dict, with_pointer: bool = True) -> Record:
    """An event as Insights sees it: its discovered fields under its system fields (@ptr left
    out where the query can neither read nor show it)."""
    record = discovered_fields(event["m"])
    record.update(
        {
            "@timestamp": Millis(event["t"]),
            "@message": event["m"],
            "@logStream": event["s"],
            "@log": f"{account}:{group}",
            "@ingestionTime": Millis(event["i"]),
        }
    )
    if with_pointer:
        record["@ptr"] = pointer(group, key)
    return record


class _Plan:
    """How a query reads a group's events: its leading filters on the system fields run on
    the stored events (a lone `@message like` as a bare search), so only the events they keep
    become records; what is left runs on those records."""

    def __init__(self, query: str, commands: list) -> None:
        # The `unmask` command shows events as they were before a data protection policy masked them.
        self.unmasked = any(command.kind == "unmask" for command in commands)
        self.test, self.rest, needed = raw_filters(commands)
        test = self.test
        self.by_message = message_test(commands)
        if self.by_message is None and test is not None and needed <= {"@message"}:
            self.by_message = lambda message: test({"@message": message})
        # A query that ends in statistics shows no event: its records need no pointer unless it reads one.
        self.with_pointer = "@ptr" in query or not any(command.kind == "stats" for command in commands)
        self.scanned = self.scanned_bytes = 0

    def records(
        self, rows: Iterator[tuple[str, dict]], account: str, group: str, prefix: str
    ) -> Iterator[Record]:
        test, by_message, with_pointer = self.test, self.by_message, self.with_pointer
        log_name = f"{account}:{group}"
        while batch := list(islice(rows, _BATCH)):
            if self.unmasked:
                batch = [(key, {**event, "m": event["u"]} if "u" in event else event) for key, event in batch]
            messages = [event["m"] for _, event in batch]
            self.scanned += len(batch)
            text = "".join(messages)
            self.scanned_bytes += len(text) if text.isascii() else len(text.encode())
            if by_message is not None:
                batch = list(compress(batch, map(by_message, messages)))
            elif test is not None:
                batch = [
                    (key, event)
                    for key, event in batch
                    if test(
                        {"@message": event["m"], "@timestamp": Millis(event["t"]), "@logStream": event["s"],
                         "@log": log_name, "@ingestionTime": Millis(event["i"])}
                    )
                ]  # fmt: skip
            for key, event in batch:
                yield event_record(account, group, key[len(prefix) :], event, with_pointer)


class Queries:
    @property
    def queries(self: Provider) -> Table:  # type: ignore[misc]
        return self.store.table("logs", "queries")

    @property
    def query_definitions(self: Provider) -> Table:  # type: ignore[misc]
        return self.store.table("logs", "query_definitions")

    def expire_queries(self: Provider) -> None:  # type: ignore[misc]
        """Forget queries older than the seven days AWS keeps their results."""
        cutoff = now_ms() - QUERY_RESULTS_KEPT_MS
        for scope in self.queries.scopes():
            old = [key for key, query in self.queries.scan(scope) if query["createTime"] < cutoff]
            with self.store.transaction():
                for key in old:
                    self.queries.delete(scope, key)

    # -- running -------------------------------------------------------------------------------

    def start_query(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        given = [k for k in ("logGroupName", "logGroupNames", "logGroupIdentifiers") if params.get(k)]
        language = params.get("queryLanguage") or "CWLI"
        if len(given) > 1:
            raise invalid("Only one of logGroupName, logGroupNames or logGroupIdentifiers may be given.")
        names: list[str] = []
        if params.get("logGroupName"):
            names = [params["logGroupName"]]
        elif given:
            names = [group_name_of(n) for n in params[given[0]]]
        if language == "SQL":
            # SQL names its groups in the statement (FROM `group`).
            named = [group_name_of(n) for n in named_groups(params["queryString"])]
            names += [n for n in named if n not in names and self.groups.get(scope, n) is not None]
        if not names:
            raise invalid("Log group names or identifiers must be specified.")
        if len(names) > MAX_QUERY_GROUPS:
            raise invalid(f"A query can search at most {MAX_QUERY_GROUPS} log groups.")
        for name in names:
            if self.groups.get(scope, name) is None:
                raise not_found(f"Log group '{name}' does not exist for account ID '{context.account}'")
        start, end = params["startTime"], params["endTime"]
        if end < start:
            raise invalid("End time should not be before the start time.")
        if language == "PPL":
            raise invalid("Query language PPL is not supported by this emulation; use CWLI or SQL.")
        try:
            if language == "SQL":
                check_sql(params["queryString"])
            else:
                parse_query(params["queryString"])
        except QueryError as error:
            raise _malformed(error) from None
        query_id = str(uuid.uuid4())
        sources = " ".join(f'"{name}"' for name in names)
        record = {
            "queryId": query_id,
            "queryLanguage": language,
            "queryString": (
                params["queryString"]
                if language == "SQL"
                else f"SOURCE {sources} START={start}000 END={end}999 | {params['queryString']}"
            ),
            "userQuery": params["queryString"],
            "status": "Scheduled",
            "createTime": now_ms(),
            "logGroupName": names[0],
            "groups": names,
            "startTime": start,
            "endTime": end,
            "limit": params.get("limit") or DEFAULT_QUERY_LIMIT,
            "account": context.account,
            "scheduledBy": _THIS_PROCESS,
        }
        self.queries.put(scope, query_id, record)
        self._schedule_query(scope, query_id)
        return {"queryId": query_id}

    def _schedule_query(self: Provider, scope: str, query_id: str) -> None:  # type: ignore[misc]
        try:
            asyncio.get_running_loop().call_soon(self.execute_query, scope, query_id)
        except RuntimeError:
            self.execute_query(scope, query_id)

    def run_insights_query(  # type: ignore[misc]
        self: Provider, account: str, region: str, query: str, groups: list[str], start: int, end: int
    ) -> list[list[dict[str, str]]]:
        """Run a Logs Insights query to its end over the groups' events in [start, end]
        (epoch seconds) and return its result rows: CloudWatch's log alarms run theirs so.
        Raises QueryError for a query Insights refuses; groups that do not exist are skipped."""
        if self._pending:
            self.flush()
        scope = store_scope(account, region)
        plan = _Plan(query, parse_query(query))
        low, high = start * 1000, end * 1000 + 999
        records: list[Record] = []
        for group in groups:
            name = group_name_of(group)
            if self.groups.get(scope, name) is None:
                continue
            prefix = name + SEP
            rows = self.group_events.scan(
                scope,
                prefix=prefix,
                start_after=prefix + f"{low:015d}",
                end_before=prefix + f"{high + 1:015d}",
            )
            records.extend(plan.records(rows, account, name, prefix))
        return run(plan.rest, records, 10000).render()

    def execute_query(self: Provider, scope: str, query_id: str) -> None:  # type: ignore[misc]
        """Run a scheduled query to its end and keep its results with it."""
        if self._pending:
            self.flush()
        record = self.queries.get(scope, query_id)
        if record is None or record["status"] != "Scheduled":
            return
        record["status"] = "Running"
        self.queries.put(scope, query_id, record)
        began = time.monotonic()
        low, high = record["startTime"] * 1000, record["endTime"] * 1000 + 999
        tables: dict[str, list[Record]] = {}
        commands = parse_query(record["userQuery"]) if record["queryLanguage"] == "CWLI" else []
        plan = _Plan(record["userQuery"], commands)
        try:
            for group in record["groups"]:
                prefix = group + SEP
                rows = self.group_events.scan(
                    scope,
                    prefix=prefix,
                    start_after=prefix + f"{low:015d}",
                    end_before=prefix + f"{high + 1:015d}",
                )
                tables.setdefault(group, []).extend(plan.records(rows, record["account"], group, prefix))
            records = [r for group_records in tables.values() for r in group_records]
            if record["queryLanguage"] == "SQL":
                results, matched = run_sql(record["userQuery"], tables, record["limit"])
            else:
                outcome = run(plan.rest, records, record["limit"])
                results, matched = outcome.render(), outcome.matched
        except QueryError as error:
            record.update(status="Failed", error=str(error))
            self.queries.put(scope, query_id, record)
            return
        current = self.queries.get(scope, query_id)
        if current is None or current["status"] != "Running":  # stopped meanwhile
            return
        record.update(
            status="Complete",
            results=results,
            statistics={
                "recordsMatched": float(matched),
                "recordsScanned": float(plan.scanned),
                "estimatedRecordsSkipped": 0.0,
                "bytesScanned": float(plan.scanned_bytes),
                "estimatedBytesSkipped": 0.0,
                "logGroupsScanned": float(len(record["groups"])),
            },
            queryDuration=int((time.monotonic() - began) * 1000),
            bytesScanned=float(plan.scanned_bytes),
        )
        self.queries.put(scope, query_id, record)

    def _query(self: Provider, scope: str, query_id: str) -> dict:  # type: ignore[misc]
        record = self.queries.get(scope, query_id)
        if record is None:
            raise not_found(f"Query ID {query_id} does not exist")
        if record["status"] == "Scheduled" and record.get("scheduledBy") != _THIS_PROCESS:
            # Scheduled before a restart: it runs now.
            self.execute_query(scope, query_id)
            record = self.queries.get(scope, query_id)
        return record

    def get_query_results(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        record = self._query(scope, params["queryId"])
        results = record.get("results") or []
        statistics = record.get("statistics") or {
            "recordsMatched": 0.0,
            "recordsScanned": 0.0,
            "estimatedRecordsSkipped": 0.0,
            "bytesScanned": 0.0,
            "estimatedBytesSkipped": 0.0,
            "logGroupsScanned": 0.0,
        }
        out: dict[str, Any] = {
            "queryLanguage": record["queryLanguage"],
            "status": record["status"],
            "statistics": statistics,
        }
        key_setting = self.account_settings.get(scope, "queryResultKms")
        if key_setting and key_setting.get("kmsKeyId"):
            out["encryptionKey"] = key_setting["kmsKeyId"]
        page_size = params.get("maxItems")
        if page_size:
            start = 0
            if params.get("nextToken"):
                try:
                    start = decode_token(
                        self.store, "GetQueryResults", params["nextToken"], params["queryId"]
                    )
                except ValueError:
                    raise bad_token() from None
                if not isinstance(start, int):
                    raise bad_token()
            if start + page_size < len(results):
                out["nextToken"] = encode_token(
                    self.store, "GetQueryResults", start + page_size, params["queryId"]
                )
            results = results[start : start + page_size]
        out["results"] = results
        return out

    def stop_query(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        record = self.queries.get(scope, params["queryId"])
        if record is None:
            raise not_found(f"Query ID {params['queryId']} does not exist")
        if record["status"] in _FINISHED:
            raise invalid(f"Query {params['queryId']} is not running (its status is {record['status']}).")
        record["status"] = "Cancelled"
        self.queries.put(scope, record["queryId"], record)
        return {"success": True}

    def describe_queries(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        group, status = params.get("logGroupName"), params.get("status")
        language = params.get("queryLanguage")
        found = [
            record
            for _, record in self.queries.scan(scope)
            if (not group or group in record["groups"])
            and (not status or record["status"] == status)
            and (not language or record["queryLanguage"] == language)
        ]
        found.sort(key=lambda r: r["createTime"], reverse=True)
        fields = ("queryLanguage", "queryId", "queryString", "status", "createTime", "logGroupName")
        return paginate_list(
            self.store, "logs", "DescribeQueries", params, found, bad_token=bad_token, default_limit=1000,
            render=lambda record: {f: record[f] for f in fields}, bind=f"{group}{SEP}{status}{SEP}{language}",
        )  # fmt: skip

    def list_log_groups_for_query(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        record = self.queries.get(scope, params["queryId"])
        if record is None:
            raise not_found(f"Query ID {params['queryId']} does not exist")
        arns = [
            build_arn("logs", context.region, context.account, f"log-group:{g}") for g in record["groups"]
        ]
        return _offset_page(
            self.store, "ListLogGroupsForQuery", params, "logGroupIdentifiers", arns, 50, params["queryId"]
        )

    # -- records and fields ----------------------------------------------------------------------

    def get_log_record(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        group, key = _read_pointer(params["logRecordPointer"])
        event = self.group_events.get(scope, group + SEP + key)
        if event is None:
            raise not_found("The specified log record does not exist.")
        if params.get("unmask") and "u" in event:
            event = {**event, "m": event["u"]}
        record = event_record(context.account, group, key, event)
        record.pop("@ptr")
        record["@timestamp"] = int(record["@timestamp"])
        record["@ingestionTime"] = int(record["@ingestionTime"])
        return {"logRecord": {name: show(value) for name, value in record.items() if value is not None}}

    def get_log_object(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        """Large log objects come only from AWS's own vended sources; no event here has one, so
        every pointer is one AWS would not find."""
        self._scope(context)
        raise not_found("The specified log object does not exist.")

    def get_log_group_fields(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        params = dict(params)
        if params.get("logGroupIdentifier") and not params.get("logGroupName"):
            params["logGroupName"] = group_name_of(params.pop("logGroupIdentifier"))
        group = self._group_name(params)
        self._group(scope, group)
        moment = params.get("time")
        if moment is None:
            high = now_ms()
            low = high - _FIELDS_WINDOW_MS
        else:
            low, high = moment * 1000 - _FIELDS_WINDOW_MS // 2, moment * 1000 + _FIELDS_WINDOW_MS // 2
        prefix = group + SEP
        counts: dict[str, int] = {}
        total = 0
        rows = self.group_events.scan(
            scope, prefix=prefix, start_after=prefix + f"{low:015d}", end_before=prefix + f"{high + 1:015d}"
        )
        for _, event in rows:
            total += 1
            for name in discovered_fields(event["m"]):
                counts[name] = counts.get(name, 0) + 1
        if not total:
            return {"logGroupFields": []}
        fields = [{"name": name, "percent": 100} for name in _SYSTEM_FIELDS]
        fields += [{"name": n, "percent": round(100 * c / total)} for n, c in sorted(counts.items())]
        return {"logGroupFields": fields}

    # -- query definitions -------------------------------------------------------------------

    def put_query_definition(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        definition_id = params.get("queryDefinitionId")
        if definition_id and self.query_definitions.get(scope, definition_id) is None:
            raise not_found("Query definition does not exist.")
        definition_id = definition_id or str(uuid.uuid4())
        record: dict[str, Any] = {
            "queryLanguage": params.get("queryLanguage") or "CWLI",
            "queryDefinitionId": definition_id,
            "name": params["name"],
            "queryString": params["queryString"],
            "lastModified": now_ms(),
        }
        for optional in ("logGroupNames", "parameters"):
            if params.get(optional):
                record[optional] = params[optional]
        self.query_definitions.put(scope, definition_id, record)
        return {"queryDefinitionId": definition_id}

    def describe_query_definitions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        prefix = params.get("queryDefinitionNamePrefix") or ""
        language = params.get("queryLanguage")
        found = [
            record
            for _, record in self.query_definitions.scan(scope)
            if record["name"].startswith(prefix) and (not language or record["queryLanguage"] == language)
        ]
        found.sort(key=lambda r: (r["name"], r["queryDefinitionId"]))
        return _offset_page(
            self.store,
            "DescribeQueryDefinitions",
            params,
            "queryDefinitions",
            found,
            1000,
            f"{prefix}{SEP}{language}",
        )

    def delete_query_definition(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        if not self.query_definitions.delete(scope, params["queryDefinitionId"]):
            raise not_found("Query definition does not exist.")
        return {"success": True}
