"""CloudTrail Lake queries: StartQuery runs the statement in the background (QUEUED → RUNNING →
FINISHED, FAILED, CANCELLED or TIMED_OUT) over the events of the event data stores it names
(lakesql.py), keeps the result rows for GetQueryResults and, given a DeliveryS3Uri, writes them
to S3 as CSV the way Lake does."""

from __future__ import annotations

import asyncio
import csv
import gzip
import io
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from overcast import policy
from overcast.common.pagination import decode_token, encode_token
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.cloudtrail import lakesql
from overcast.services.cloudtrail import trails as rules
from overcast.services.cloudtrail.lake import STORE_ARN, inactive, lake_gone, not_found
from overcast.services.cloudtrail.paging import page
from overcast.services.cloudtrail.samples import SAMPLE_QUERIES
from overcast.store import scope as store_scope

if TYPE_CHECKING:
    from overcast.services.cloudtrail.provider import Provider

#: Lake runs at most this many queries of an account at once.
MAX_CONCURRENT = 10
RESULTS_KEPT = timedelta(days=7)
_ACTIVE = ("QUEUED", "RUNNING")
#: Without enforcement the caller's own policies are not consulted, only the store's policy.
_ALLOW_ALL = policy.parse(
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
)
_TERMINAL = ("FINISHED", "FAILED", "CANCELLED", "TIMED_OUT")


def _bad_token() -> ServiceError:
    return rules.error("InvalidNextTokenException", "Invalid NextToken.")


def _query_not_found(query_id: str) -> ServiceError:
    return rules.error("QueryIdNotFoundException", f"The query ID {query_id} does not exist or is not valid.")


class QueryMixin:
    def _query(self: Provider, context: RequestContext, query_id: str | None, params: dict) -> dict:  # type: ignore[misc]
        if params.get("EventDataStore"):
            self.lake_store(context, params["EventDataStore"])
        query = self.lake_queries.get(store_scope(context.account, context.region), query_id or "")
        if query is None or (params.get("EventDataStore") and not self._query_on(context, query, params)):
            raise _query_not_found(query_id or "")
        return query

    def _query_on(self: Provider, context: RequestContext, query: dict, params: dict) -> bool:  # type: ignore[misc]
        return self.lake_store(context, params["EventDataStore"])["Id"] in query["Stores"]

    def _resolve_store(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        reference: str,
        owners: dict[str, str] | None = None,
        owner_account: str | None = None,
    ) -> str:
        """The id of the store a statement names, active; another account's store (its ARN, or
        its id with EventDataStoreOwnerAccountId) when its resource policy lets the caller query
        it, noted in `owners`."""
        match = STORE_ARN.fullmatch(reference)
        owner = match.group(2) if match else (owner_account or context.account)
        if owner == context.account:
            store = self.lake_store(context, reference)
        else:
            store = self._shared_store(context, reference, owner)
            if owners is not None:
                owners[store["Id"]] = owner
        if store["Status"] == "PENDING_DELETION":
            raise inactive(store)
        return store["Id"]

    def _shared_store(self: Provider, context: RequestContext, reference: str, owner: str) -> dict:  # type: ignore[misc]
        match = STORE_ARN.fullmatch(reference)
        region, store_id = (match.group(1), match.group(3)) if match else (context.region, reference)
        store = (
            self.data_stores.get(store_scope(owner, region), store_id) if region == context.region else None
        )
        if store is None or lake_gone(store):
            raise not_found(reference)
        arn = store["EventDataStoreArn"]
        text = self.policies.get(owner, arn)
        allowed = False
        if text:
            try:
                document = policy.parse(text, policy.RESOURCE)
            except policy.MalformedPolicy:
                document = None
            if document is not None:
                iam = self.runtime.provider("iam")
                principal = iam.principal_for(context.extra.get("identity"), context.account, context.region)
                request = policy.AuthorizationRequest(
                    principal, "cloudtrail:StartQuery", arn, owner, {}, context.region
                )
                allowed = policy.evaluate(request, [_ALLOW_ALL], document).allowed
        if not allowed:
            raise rules.error(
                "AccessDeniedException",
                f"User: {context.principal_arn} is not authorized to perform: cloudtrail:StartQuery on "
                f"resource: {arn} because no resource-based policy allows the cloudtrail:StartQuery action",
            )
        return store

    def start_query(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        statement = params.get("QueryStatement")
        if not statement:
            raise rules.error("InvalidParameterException", "QueryStatement is required.")
        owners: dict[str, str] = {}
        prepared = lakesql.prepare(
            statement,
            params.get("QueryParameters"),
            lambda ref: self._resolve_store(context, ref, owners, params.get("EventDataStoreOwnerAccountId")),
        )
        lakesql.check(prepared)
        if params.get("DeliveryS3Uri"):
            self._delivery_target(params["DeliveryS3Uri"])
        out = {"QueryId": self.launch_query(context, statement, prepared, params, owners=owners)}
        if params.get("EventDataStoreOwnerAccountId"):
            out["EventDataStoreOwnerAccountId"] = params["EventDataStoreOwnerAccountId"]
        return out

    def launch_query(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        statement: str,
        prepared: lakesql.Prepared,
        params: dict,
        refresh_id: str | None = None,
        owners: dict[str, str] | None = None,
    ) -> str:
        scope = store_scope(context.account, context.region)
        running = 0
        oldest = datetime.now(UTC) - RESULTS_KEPT
        for key, other in list(self.lake_queries.scan(scope)):
            if other["CreationTime"] < oldest and other["Status"] not in _ACTIVE:
                with self.store.transaction():  # Lake keeps a query and its results for 7 days
                    self.lake_queries.delete(scope, key)
            elif other["Status"] in _ACTIVE:
                running += 1
        if running >= MAX_CONCURRENT:
            raise rules.error(
                "MaxConcurrentQueriesException",
                f"You already have {MAX_CONCURRENT} queries running. Wait for one to finish, or cancel one.",
            )
        query_id = str(uuid.uuid4())
        query: dict[str, Any] = {
            "QueryId": query_id,
            "QueryString": statement,
            "Status": "QUEUED",
            "Stores": prepared.stores,
            "Owners": owners or {},
            "Sql": prepared.sql,
            "Since": prepared.since_us,
            "Until": prepared.until_us,
            "CreationTime": datetime.now(UTC),
            "Alias": params.get("QueryAlias"),
            "RefreshId": refresh_id,
            "DeliveryS3Uri": params.get("DeliveryS3Uri"),
            "Rows": [],
            "Scanned": 0,
            "Bytes": 0,
        }
        with self.store.transaction():
            self.lake_queries.put(scope, query_id, query)
        self.runtime.spawn(
            self._run_query(context.account, context.region, query_id), "cloudtrail-lake-query"
        )
        return query_id

    async def _run_query(self: Provider, account: str, region: str, query_id: str) -> None:  # type: ignore[misc]
        scope = store_scope(account, region)
        query = self.lake_queries.get(scope, query_id)
        if query is None or query["Status"] != "QUEUED":
            return
        query["Status"] = "RUNNING"
        self.lake_queries.put(scope, query_id, query)
        started = time.monotonic()
        tables = []
        for store_id in query["Stores"]:
            owner = query.get("Owners", {}).get(store_id, account)
            store = self.data_stores.get(store_scope(owner, region), store_id)
            events = (
                self.lake_events(store, query.get("Since"), query.get("Until")) if store is not None else ()
            )
            tables.append([lakesql.event_row(event, moment) for event, moment in events])

        def cancelled() -> bool:
            current = self.lake_queries.get(scope, query_id)
            return current is None or current["Status"] == "CANCELLED"

        prepared = lakesql.Prepared(query["Sql"], query["Stores"])
        outcome = None
        status, message = "FINISHED", None
        try:
            outcome = await asyncio.to_thread(lakesql.run, prepared, tables, cancelled=cancelled)
        except InterruptedError:
            status = "CANCELLED"
        except TimeoutError:
            status, message = "TIMED_OUT", "The query timed out."
        except ServiceError as error:
            status, message = "FAILED", error.message
        current = self.lake_queries.get(scope, query_id)
        if current is None or current["Status"] == "CANCELLED":
            return
        current["Status"] = status
        current["ExecutionMs"] = int((time.monotonic() - started) * 1000)
        if message:
            current["Error"] = message
        if outcome is not None:
            current["Rows"] = outcome.rows
            current["Columns"] = outcome.columns
            current["Scanned"] = outcome.scanned
            current["Bytes"] = outcome.bytes_scanned
        if status == "FINISHED" and current.get("DeliveryS3Uri"):
            current["DeliveryStatus"] = await self._deliver_results(account, region, current)
        self.lake_queries.put(scope, query_id, current)

    # -- results to S3 -------------------------------------------------------------------------------

    @staticmethod
    def _delivery_target(uri: str) -> tuple[str, str]:
        bucket, _, prefix = uri[len("s3://") :].partition("/")
        if not bucket:
            raise rules.error("InvalidS3BucketNameException", f"Invalid S3 bucket name in {uri}.")
        return bucket, prefix.strip("/")

    async def _deliver_results(self: Provider, account: str, region: str, query: dict) -> str:  # type: ignore[misc]
        bucket, prefix = self._delivery_target(query["DeliveryS3Uri"])
        if not await self.delivery.bucket_exists(account, region, bucket):
            return "RESOURCE_NOT_FOUND"
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(query.get("Columns") or [])
        for row in query["Rows"]:
            writer.writerow([next(iter(cell.values())) for cell in row])
        day = query["CreationTime"]
        key = "/".join(
            part
            for part in (
                prefix,
                account,
                "CloudTrail-Lake/Query",
                f"{day:%Y/%m/%d}",
                query["QueryId"],
                "result_1.csv.gz",
            )
            if part
        )
        try:
            await self.delivery._put(account, region, bucket, key, gzip.compress(text.getvalue().encode()))
        except ServiceError as error:
            return "ACCESS_DENIED" if error.status == 403 else "FAILED"
        return "SUCCESS"

    # -- reading ---------------------------------------------------------------------------------------

    def describe_query(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        if params.get("QueryAlias"):
            query = self._aliased(context, params["QueryAlias"], params.get("RefreshId"))
        elif params.get("QueryId"):
            query = self._query(context, params["QueryId"], params)
        else:
            raise rules.error("InvalidParameterException", "You must specify either QueryId or QueryAlias.")
        out: dict[str, Any] = {
            "QueryId": query["QueryId"],
            "QueryString": query["QueryString"],
            "QueryStatus": query["Status"],
            "QueryStatistics": {
                "EventsMatched": len(query["Rows"]),
                "EventsScanned": query["Scanned"],
                "BytesScanned": query["Bytes"],
                "ExecutionTimeInMillis": query.get("ExecutionMs", 0),
                "CreationTime": query["CreationTime"],
            },
        }
        if query.get("Error"):
            out["ErrorMessage"] = query["Error"]
        if query.get("DeliveryS3Uri"):
            out["DeliveryS3Uri"] = query["DeliveryS3Uri"]
            out["DeliveryStatus"] = query.get("DeliveryStatus") or (
                "PENDING"
                if query["Status"] in _ACTIVE
                else "CANCELLED"
                if query["Status"] != "FINISHED"
                else "UNKNOWN"
            )
        if query.get("Prompt"):
            out["Prompt"] = query["Prompt"]
        return out

    def _aliased(self: Provider, context: RequestContext, alias: str, refresh_id: str | None) -> dict:  # type: ignore[misc]
        found = [
            q
            for _k, q in self.lake_queries.scan(store_scope(context.account, context.region))
            if q.get("Alias") == alias and (refresh_id is None or q.get("RefreshId") == refresh_id)
        ]
        if not found:
            raise _query_not_found(alias)
        return max(found, key=lambda q: q["CreationTime"])

    def get_query_results(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        query = self._query(context, params["QueryId"], params)
        limit = params.get("MaxQueryResults") or 1000
        start = 0
        if params.get("NextToken"):
            try:
                start = decode_token(
                    self.store, "GetQueryResults", params["NextToken"], bind=query["QueryId"]
                )
            except ValueError:
                raise _bad_token() from None
            if not isinstance(start, int) or isinstance(start, bool) or start < 0:
                raise _bad_token()
        rows = query["Rows"] if query["Status"] == "FINISHED" else []
        page = rows[start : start + limit]
        out: dict[str, Any] = {
            "QueryStatus": query["Status"],
            "QueryStatistics": {
                "ResultsCount": len(page),
                "TotalResultsCount": len(rows),
                "BytesScanned": query["Bytes"],
            },
            "QueryResultRows": page,
        }
        if start + limit < len(rows):
            out["NextToken"] = encode_token(
                self.store, "GetQueryResults", start + limit, bind=query["QueryId"]
            )
        if query.get("Error"):
            out["ErrorMessage"] = query["Error"]
        return out

    def cancel_query(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        query = self._query(context, params["QueryId"], params)
        if query["Status"] in _TERMINAL:
            raise rules.error(
                "InactiveQueryException",
                f"The query {query['QueryId']} cannot be cancelled because it is in the {query['Status']} state.",
            )
        query["Status"] = "CANCELLED"
        with self.store.transaction():
            self.lake_queries.put(store_scope(context.account, context.region), query["QueryId"], query)
        return {"QueryId": query["QueryId"], "QueryStatus": "CANCELLED"}

    def list_queries(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        store = self.lake_store(context, params["EventDataStore"])
        if store["Status"] == "PENDING_DELETION":
            raise inactive(store)
        start, end = params.get("StartTime"), params.get("EndTime")
        if start and end and start > end:
            raise rules.error("InvalidDateRangeException", "The StartTime must be before the EndTime.")
        status = params.get("QueryStatus")
        found = sorted(
            (
                q
                for _k, q in self.lake_queries.scan(store_scope(context.account, context.region))
                if store["Id"] in q["Stores"]
                and (status is None or q["Status"] == status)
                and (start is None or q["CreationTime"] >= start)
                and (end is None or q["CreationTime"] <= end)
            ),
            key=lambda q: q["CreationTime"],
            reverse=True,
        )
        listed = [
            {"QueryId": q["QueryId"], "QueryStatus": q["Status"], "CreationTime": q["CreationTime"]}
            for q in found
        ]
        return page(
            self.store, "ListQueries", params, listed, "Queries", default_limit=1000, bind=store["Id"]
        )

    # -- generated and sample queries ------------------------------------------------------------------

    def generate_query(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        for reference in params["EventDataStores"]:
            self._resolve_store(context, reference)
        # Generating SQL from a prompt runs on Amazon Bedrock, which Overcast does not have:
        # AWS answers this error when it cannot produce a query.
        raise rules.error(
            "GenerateResponseException",
            "The query generator could not generate a query for this prompt: the generative AI model is not available.",
        )

    def search_sample_queries(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        words = [w for w in params["SearchPhrase"].lower().split() if w]
        scored = []
        for name, description, sql in SAMPLE_QUERIES:
            text = f"{name} {description}".lower()
            hits = sum(1 for word in words if word in text)
            if hits:
                scored.append((hits / len(words), name, description, sql))
        scored.sort(key=lambda item: -item[0])
        results = [
            {"Name": name, "Description": description, "SQL": sql, "Relevance": round(score, 4)}
            for score, name, description, sql in scored
        ]
        return page(
            self.store,
            "SearchSampleQueries",
            params,
            results,
            "SearchResults",
            default_limit=10,
            bind=params["SearchPhrase"],
        )
