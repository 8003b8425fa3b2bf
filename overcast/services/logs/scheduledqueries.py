"""Scheduled queries: an Insights query, its schedule and where its results go.

Definitions are stored and validated (schedule expression, time zone, offsets, window, log
groups, S3 destination); nothing runs them in the background, so a query's history stays
empty, as AWS's does until the first run.

Table (scope = account/region): scheduled_queries  name → definition
"""

from __future__ import annotations

import re
import uuid
import zoneinfo
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from overcast.common.arns import build_arn
from overcast.common.pagination import paginate_keys
from overcast.common.times import epoch_millis
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.store import Table

from .schedules import valid_schedule

if TYPE_CHECKING:
    from .provider import Provider

_S3_URI = re.compile(r"^s3://[a-z0-9][.\-a-z0-9]{1,61}[a-z0-9](/.*)?$")
#: Members a definition takes from Create/Update as they are.
_DEFINITION = (
    "description", "queryLanguage", "queryString", "logGroupIdentifiers", "scheduleExpression",
    "timezone", "startTimeOffset", "endTimeOffset", "destinationConfiguration", "scheduleStartTime",
    "scheduleEndTime", "executionRoleArn", "state",
)  # fmt: skip
_SUMMARY = (
    "scheduledQueryArn", "name", "state", "scheduleType", "lastTriggeredTime", "lastExecutionStatus",
    "scheduleExpression", "timezone", "destinationConfiguration", "creationTime", "lastUpdatedTime",
)  # fmt: skip


def _validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


def _not_found(identifier: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"Scheduled query {identifier} does not exist.", 400)


def _check_definition(query: dict) -> None:
    expression = query["scheduleExpression"]
    if not valid_schedule(expression):
        raise _validation(f"Invalid schedule expression: {expression}")
    zone = query.get("timezone")
    if zone is not None:
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise _validation(f"Invalid timezone: {zone}") from None
    start, end = query.get("startTimeOffset"), query.get("endTimeOffset")
    for name, offset in (("startTimeOffset", start), ("endTimeOffset", end)):
        if offset is not None and offset < 0:
            raise _validation(f"{name} must not be negative.")
    if start is not None and end is not None and end >= start:
        raise _validation("endTimeOffset must be less than startTimeOffset.")
    first, last = query.get("scheduleStartTime"), query.get("scheduleEndTime")
    if first is not None and last is not None and last <= first:
        raise _validation("scheduleEndTime must be after scheduleStartTime.")
    s3 = (query.get("destinationConfiguration") or {}).get("s3Configuration")
    if s3 is not None and not _S3_URI.match(s3["destinationIdentifier"]):
        raise _validation(f"Invalid S3 destinationIdentifier: {s3['destinationIdentifier']}")


class ScheduledQueriesMixin:
    @property
    def _scheduled_queries(self: Provider) -> Table:  # type: ignore[misc]
        return self.store.table("logs", "scheduled_queries")

    def _check_log_groups(self: Provider, scope: str, identifiers: list[str] | None) -> None:  # type: ignore[misc]
        for identifier in identifiers or ():
            name = identifier.split(":log-group:", 1)[1] if identifier.startswith("arn:") else identifier
            if self.groups.get(scope, name.removesuffix(":*")) is None:
                raise ServiceError(
                    "ResourceNotFoundException", f"Log group {identifier} does not exist.", 400
                )

    def _scheduled_query(self: Provider, scope: str, identifier: str) -> dict:  # type: ignore[misc]
        if identifier.startswith("arn:"):
            for _, query in self._scheduled_queries.scan(scope):
                if query["scheduledQueryArn"] == identifier:
                    return query
            raise _not_found(identifier)
        query = self._scheduled_queries.get(scope, identifier)
        if query is None:
            raise _not_found(identifier)
        return query

    def create_scheduled_query(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        name = params["name"]
        query: dict[str, Any] = {k: params[k] for k in _DEFINITION if params.get(k) is not None}
        query.setdefault("state", "ENABLED")
        _check_definition(query)
        self._check_log_groups(scope, query.get("logGroupIdentifiers"))
        if self._scheduled_queries.get(scope, name) is not None:
            raise ServiceError("ConflictException", f"A scheduled query named {name} already exists.", 400)
        now = epoch_millis()
        query.update(
            scheduledQueryArn=build_arn(
                "logs", context.region, context.account, f"scheduled-query:{uuid.uuid4()}"
            ),
            name=name,
            scheduleType="CUSTOMER_MANAGED",
            creationTime=now,
            lastUpdatedTime=now,
            tags=dict(params.get("tags") or {}),
        )
        self._scheduled_queries.put(scope, name, query)
        return {"scheduledQueryArn": query["scheduledQueryArn"], "state": query["state"]}

    @staticmethod
    def _query_shape(query: dict) -> dict:
        return {k: v for k, v in query.items() if k != "tags"}

    def get_scheduled_query(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._query_shape(self._scheduled_query(self._scope(context), params["identifier"]))

    def update_scheduled_query(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        query = self._scheduled_query(scope, params["identifier"])
        updated = {**query, **{k: params[k] for k in _DEFINITION if params.get(k) is not None}}
        _check_definition(updated)
        self._check_log_groups(scope, updated.get("logGroupIdentifiers"))
        updated["lastUpdatedTime"] = epoch_millis()
        self._scheduled_queries.put(scope, updated["name"], updated)
        return self._query_shape(updated)

    def delete_scheduled_query(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        query = self._scheduled_query(scope, params["identifier"])
        self._scheduled_queries.delete(scope, query["name"])
        return {}

    def list_scheduled_queries(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        state, kind = params.get("state"), params.get("scheduleType")

        def queries_after(after: str | None) -> Iterator[tuple[str, dict]]:
            for name, query in self._scheduled_queries.scan(scope, start_after=after):
                if (state is None or query["state"] == state) and (
                    kind is None or query["scheduleType"] == kind
                ):
                    yield name, query

        return paginate_keys(
            self.store, "logs", "ListScheduledQueries", params, queries_after,
            bad_token=lambda: _validation("The specified nextToken is invalid."), default_limit=1000,
            render=lambda _, query: {k: query[k] for k in _SUMMARY if k in query}, bind=f"{state}/{kind}",
        )  # fmt: skip

    def get_scheduled_query_history(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        query = self._scheduled_query(self._scope(context), params["identifier"])
        if params["endTime"] < params["startTime"]:
            raise _validation("endTime must not be before startTime.")
        # No run has happened: queries are not executed on their schedule here.
        return {"name": query["name"], "scheduledQueryArn": query["scheduledQueryArn"], "triggerHistory": []}
