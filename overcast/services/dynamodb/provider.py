"""Amazon DynamoDB: items, queries, batches and transactions over indexed store keys.

Items live in the store's "items" table under `<table storage id>|<hash bucket><encoded key>`,
where the bucket (schema.py) spreads partitions as DynamoDB does and the encoding (values.py)
preserves DynamoDB's key order, so GetItem is one lookup, Query one range scan and a parallel
Scan segment one range of buckets. Rows are `[size, JSON text]` (rows.py). Each secondary index keeps its own entries (`<index storage id>|<index key><table
key>` → the projected item), written in the same store transaction as the item, together with
the table's stream record.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable
from typing import Any, cast

from overcast.config import tuning
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.protocols.serializers.json import RawJson, Spliced
from overcast.services.base import BaseProvider
from overcast.services.dynamodb import expressions as E
from overcast.services.dynamodb import kinesis as kinesis_destinations
from overcast.services.dynamodb import legacy, metrics
from overcast.services.dynamodb.backups import BackupsMixin
from overcast.services.dynamodb.bulk import BulkMixin
from overcast.services.dynamodb.exports import ExportsMixin
from overcast.services.dynamodb.globaltables import GlobalTablesMixin
from overcast.services.dynamodb.insights import InsightsMixin
from overcast.services.dynamodb.layouts import LAYOUTS
from overcast.services.dynamodb.policies import PoliciesMixin
from overcast.services.dynamodb.reads import ReadsMixin
from overcast.services.dynamodb.rows import pack, text, unpack
from overcast.services.dynamodb.schema import Schema, not_found
from overcast.services.dynamodb.settings import TableSettingsMixin
from overcast.services.dynamodb.statements import StatementsMixin
from overcast.services.dynamodb.streams import SERVICE_IDENTITY, StreamReadsMixin, Streams
from overcast.services.dynamodb.tables import TablesMixin, table_name
from overcast.services.dynamodb.transactions import TransactionsMixin
from overcast.services.dynamodb.values import (
    MAX_ITEM_SIZE,
    check_item,
    item_size,
    validation,
)
from overcast.services.dynamodb.vectors import VectorsMixin
from overcast.store import scope as make_scope

log = logging.getLogger(__name__)

CONDITION_FAILED = "The conditional request failed"
#: Seconds between sweeps for expired items (AWS takes up to days; tests want less).
TTL_INTERVAL = tuning("OVERCAST_DYNAMODB_TTL_INTERVAL")
PURGE_BATCH = 500
#: A BatchGetItem response holds at most 16 MB of items (AWS).
BATCH_GET_BYTES = 16 * 1024 * 1024


def condition_failed(old: dict | None, return_values: str | None) -> ServiceError:
    # With the old item, AWS spells the message "Message" (and leaves out "message").
    fields: dict[str, Any] = (
        {"Item": old, "Message": CONDITION_FAILED} if return_values == "ALL_OLD" and old else {}
    )
    return ServiceError("ConditionalCheckFailedException", CONDITION_FAILED, 400, **fields)


def mixed_parameters(legacy_names: list[str], expression_names: list[str]) -> ServiceError:
    return validation(
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters:"
        f" {{{', '.join(legacy_names)}}} Expression parameters: {{{', '.join(expression_names)}}}"
    )


def check_mixing(params: dict, legacy_names: tuple, expression_names: tuple) -> None:
    used_legacy = [n for n in legacy_names if params.get(n) is not None]
    used_expr = [n for n in expression_names if params.get(n) is not None]
    if used_legacy and used_expr:
        raise mixed_parameters(used_legacy, used_expr)


def capacity(
    schema: Schema, units: float, mode: str | None, write: bool, index_units: dict | None = None
) -> dict | None:
    if mode is None or mode == "NONE":
        return None
    total = units + sum((index_units or {}).values())
    out = {"TableName": schema.name, "CapacityUnits": total}
    out["WriteCapacityUnits" if write else "ReadCapacityUnits"] = total
    if mode == "INDEXES":
        kind = "WriteCapacityUnits" if write else "ReadCapacityUnits"
        out["Table"] = {"CapacityUnits": units, kind: units}
        gsis = {
            n: {"CapacityUnits": u, kind: u}
            for n, u in (index_units or {}).items()
            if not schema.indexes[n].local
        }
        lsis = {
            n: {"CapacityUnits": u, kind: u}
            for n, u in (index_units or {}).items()
            if schema.indexes[n].local
        }
        if gsis:
            out["GlobalSecondaryIndexes"] = gsis
        if lsis:
            out["LocalSecondaryIndexes"] = lsis
    return out


def write_units(size: int) -> float:
    return float(max(1, math.ceil(size / 1024)))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return float(units) if consistent else units / 2


class Provider(
    TablesMixin,
    TableSettingsMixin,
    BackupsMixin,
    GlobalTablesMixin,
    ExportsMixin,
    BulkMixin,
    PoliciesMixin,
    InsightsMixin,
    VectorsMixin,
    ReadsMixin,
    TransactionsMixin,
    StatementsMixin,
    StreamReadsMixin,
    BaseProvider,
):
    service = "dynamodb"
    layouts = LAYOUTS

    def __init__(self, runtime) -> None:
        super().__init__(runtime)
        store = self.store
        self._tables = store.table("dynamodb", "tables")
        self._items = store.table("dynamodb", "items")
        self._purges = store.table("dynamodb", "purges")
        self._tokens = store.table("dynamodb", "tokens")
        self._backups = store.table("dynamodb", "backups")
        #: Point-in-time recovery's change history (backups.py), kept only while it is enabled.
        self._history = store.table("dynamodb", "history")
        #: Global tables of version 2017.11.29, by account (globaltables.py).
        self._globals = store.table("dynamodb", "globals")
        #: Exports to S3 and imports from it, by ARN (exports.py).
        self._exports = store.table("dynamodb", "exports")
        self._imports = store.table("dynamodb", "imports")
        #: Bulk operations (bulk.py), by ARN.
        self._bulk = store.table("dynamodb", "bulk_operations")
        #: Stream records of replicas a write reached (global tables), published with the write's own.
        self._replicated: list[tuple[Schema, dict]] = []
        self._schemas: dict[tuple[str, str], Schema] = {}
        self.streams = Streams(store)
        self._purging = False
        #: While a multi-statement transaction runs, the stream records it will announce once
        #: it commits (None otherwise).
        self._deferred: list[tuple[Schema, list]] | None = None
        self._ttl_cursor: dict[tuple[str, str], str | None] = {}

    def reset(self) -> None:
        self.state_replaced()

    def state_replaced(self) -> None:
        self._schemas.clear()
        self._ttl_cursor.clear()
        self.streams.forget_cached()

    def after_request(self, context: RequestContext, params, output, error) -> None:
        metrics.observe(self.runtime, context, params, output, error)

    def start(self) -> None:
        self.runtime.every(TTL_INTERVAL, self._background, name="dynamodb ttl and streams")
        # Work that a restart interrupted: purges of deleted tables, index backfills.
        for scope in self._purges.scopes():
            self._schedule_purge()
            break
        for scope in self._tables.scopes():
            for name, record in self._tables.scan(scope):
                for index in record.get("GlobalSecondaryIndexes") or ():
                    if index.get("IndexStatus") == "CREATING":
                        self._start_backfill(scope, name, index["IndexName"])

    # -- shared helpers ---------------------------------------------------------------------------

    def _get(self, scope: str, key: str) -> dict | None:
        """An item (or index entry); rows hold [size, item] so reads never recompute sizes."""
        row = self._items.get(scope, key)
        return None if row is None else unpack(row[1])

    def _put(self, scope: str, key: str, item: dict, size: int | None = None) -> None:
        self._items.put(scope, key, [item_size(item) if size is None else size, pack(item)])

    def _table(self, context: RequestContext, name: str) -> tuple[str, Schema]:
        scope = make_scope(context.account, context.region)
        schema = self.schema(scope, name)
        if schema is None and name.startswith("arn:"):
            schema = self.schema(scope, table_name(name))
        if schema is None:
            raise not_found()
        return scope, schema

    def _condition(
        self, params: dict, b: E.Bindings, placeholders: legacy.Placeholders | None
    ) -> tuple | None:
        text = params.get("ConditionExpression")
        if text is not None:
            tree = b.parse("condition", text).tree
            E.check_condition_values(tree, b, "ConditionExpression")
            return tree
        if params.get("Expected") and placeholders is not None:  # a legacy parameter: it has them
            return legacy.expected(params["Expected"], params.get("ConditionalOperator"), placeholders)
        return None

    def _bindings(
        self, params: dict, expression_params: tuple, legacy_params: tuple
    ) -> tuple[E.Bindings, legacy.Placeholders | None]:
        check_mixing(params, legacy_params, expression_params)
        b = E.Bindings(params, expression_params)
        if any(params.get(n) for n in legacy_params):
            placeholders = legacy.Placeholders()
            b.names = placeholders.names
            b.values = placeholders.values
            b.legacy = True
            return b, placeholders
        return b, None

    def _apply(
        self,
        scope: str,
        region: str,
        schema: Schema,
        key: str,
        old: dict | None,
        new: dict | None,
        identity: dict | None = None,
        size: int | None = None,
        replicate: bool = True,
    ) -> dict | None:
        """Write one item change with its index entries and stream record (inside a transaction
        when there is more than the item to write), and to the table's replicas in other regions
        when it is a global table. Returns the table's own stream record, if any."""
        items = self._items
        if schema.history:
            self._record_history(scope, schema.storage, key, old)
        if new is None:
            items.delete(scope, key)
        else:
            if size is None:
                size = item_size(new)
            items.put(scope, key, [size, pack(new)])
        for index in schema.indexes.values():
            old_key = index.entry_key(old, schema) if old is not None else None
            new_key = index.entry_key(new, schema) if new is not None else None
            if old_key is not None and old_key != new_key:
                items.delete(scope, old_key)
            if new is not None and new_key is not None:
                self._put(
                    scope, new_key, index.project(new, schema), size if index.projection == "ALL" else None
                )
        if replicate and schema.replicas:
            self._replicate(schema, key, new, identity)
        if schema.kinesis and old != new:
            kinesis_destinations.deliver(self.runtime, schema, region, old, new, identity)
        stream_arn, stream_view = schema.stream_arn, schema.stream_view  # set together
        if stream_arn is not None and stream_view is not None and old != new:
            changed = cast(dict, new if new is not None else old)  # old != new: one is an item
            return self.streams.append(
                scope, region, stream_arn, stream_view, schema.key_of(changed), old, new, identity
            )
        return None

    def _replicate(self, schema: Schema, key: str, new: dict | None, identity: dict | None) -> None:
        """Apply an item change to the other members of the table's global table."""
        suffix = key[len(schema.storage) :]
        for scope in schema.replicas:
            replica = self.schema(scope, schema.name)
            if replica is None:
                continue
            replica_key = replica.storage + suffix
            old = self._get(scope, replica_key)
            record = self._apply(
                scope, scope.partition("/")[2], replica, replica_key, old, new, identity, replicate=False
            )
            if record is not None:
                self._replicated.append((replica, record))

    def _publish(self, schema: Schema, records: list) -> None:
        if records and self._deferred is not None:
            self._deferred.append((schema, records))
        elif records:
            self.runtime.bus.publish("dynamodb:stream", {"stream_arn": schema.stream_arn, "records": records})
        if self._replicated:
            replicated, self._replicated = self._replicated, []
            for replica, record in replicated:
                self._publish(replica, [record])

    def _write(
        self,
        scope: str,
        region: str,
        schema: Schema,
        key: str,
        compute,
        condition,
        b,
        return_on_failure,
        needs_old: bool,
        size: int | None = None,
    ) -> tuple[dict | None, dict | None]:
        """Read-check-write one item atomically: `compute(old)` gives the new item (None deletes);
        `size` is the new item's size when the caller already knows it."""
        record = None
        if not needs_old and schema.plain and condition is None:
            new = compute(None)
            self._put(scope, key, new, size) if new is not None else self._items.delete(scope, key)
            return None, new
        with self.store.transaction():
            old = self._get(scope, key)
            if condition is not None and not E.evaluate(condition, old or {}, b):
                # A write refused by its condition still consumes capacity: the item's size.
                account, region = scope.split("/")
                spent = write_units(item_size(old) if old else 0)
                metrics.consumed(self.runtime, account, region, schema, spent, True)
                raise condition_failed(old, return_on_failure)
            new = compute(old)
            record = self._apply(scope, region, schema, key, old, new, size=size if new is not None else None)
        if record is not None:
            self._publish(schema, [record])
        return old, new

    def _write_response(
        self,
        context: RequestContext,
        schema: Schema,
        params: dict,
        old: dict | None,
        new: dict | None,
        new_size: int | None = None,
    ) -> dict:
        out: dict = {}
        # The larger of the item before and after (the item before is unknown, so not
        # counted, where a plain put never read it).
        if new_size is None:
            new_size = item_size(new) if new else 0
        units = write_units(max(item_size(old), new_size) if old else new_size)
        index_units = (
            {
                name: units
                for name, index in schema.indexes.items()
                if (old is not None and index.entry_key(old, schema))
                or (new is not None and index.entry_key(new, schema))
            }
            if schema.indexes
            else None
        )
        metrics.consumed(self.runtime, context.account, context.region, schema, units, True, index_units)
        mode = params.get("ReturnConsumedCapacity")
        if mode and mode != "NONE":
            out["ConsumedCapacity"] = capacity(schema, units, mode, True, index_units)
        if params.get("ReturnItemCollectionMetrics") == "SIZE" and schema.has_lsi:
            source = new if new is not None else old
            if source is not None:
                out["ItemCollectionMetrics"] = {
                    "ItemCollectionKey": {schema.hash: source[schema.hash]},
                    "SizeEstimateRangeGB": [0.0, 1.0],
                }
        return out

    # -- items ------------------------------------------------------------------------------------

    def put_item(self, context: RequestContext, params: dict) -> dict | Awaitable[dict]:
        scope, schema = self._table(context, params["TableName"])
        b, placeholders = self._bindings(params, ("ConditionExpression",), ("Expected",))
        return_values = params.get("ReturnValues") or "NONE"
        if return_values not in ("NONE", "ALL_OLD"):
            raise validation("Return values set to invalid value")
        item = check_item(params["Item"])
        key = schema.check_item_keys(item)
        size = item_size(item)
        if size > MAX_ITEM_SIZE:
            raise validation("Item size has exceeded the maximum allowed size")
        condition = self._condition(params, b, placeholders)
        b.check_unused()
        if schema.plain and condition is None and return_values == "NONE" and self.store.can_group():
            # The item is the whole write: committed with the other requests' writes of this
            # turn of the event loop (group commit), answered once that commit returned.
            with self.store.grouped(single=True) as committed:
                self._put(scope, key, item, size)
            return self._put_answer(committed, context, schema, params, item, size)
        old, new = self._write(
            scope,
            context.region,
            schema,
            key,
            lambda old: item,
            condition,
            b,
            params.get("ReturnValuesOnConditionCheckFailure"),
            return_values == "ALL_OLD",
            size,
        )
        out = self._write_response(context, schema, params, old, new, size)
        if return_values == "ALL_OLD" and old:
            out["Attributes"] = old
        return out

    async def _put_answer(
        self,
        committed: asyncio.Future[None],
        context: RequestContext,
        schema: Schema,
        params: dict,
        item: dict,
        size: int,
    ) -> dict:
        await committed
        return self._write_response(context, schema, params, None, item, size)

    def get_item(self, context: RequestContext, params: dict) -> dict:
        scope, schema = self._table(context, params["TableName"])
        if (
            "ProjectionExpression" in params
            or "AttributesToGet" in params
            or "ExpressionAttributeNames" in params
        ):
            b, placeholders = self._bindings(params, ("ProjectionExpression",), ("AttributesToGet",))
            key = schema.check_key(params["Key"])
            projection = self._projection(params, b, placeholders)
            b.check_unused()
        else:
            b = None
            key = schema.check_key(params["Key"])
            projection = None
        row = self._items.get(scope, key)
        out: dict = {}
        if row is not None:
            if projection and b is not None:  # a projection comes with its bindings
                out["Item"] = E.project(unpack(row[1]), projection, b)
            elif context.extra.get("internal"):
                out["Item"] = unpack(row[1])
            else:
                # The stored JSON text goes to the wire as it is.
                out = Spliced(Item=RawJson(text(row[1]).encode()))
        units = read_units(row[0] if row is not None else 0, bool(params.get("ConsistentRead")))
        metrics.consumed(self.runtime, context.account, context.region, schema, units, False)
        mode = params.get("ReturnConsumedCapacity")
        if mode and mode != "NONE":
            out["ConsumedCapacity"] = capacity(schema, units, mode, False)
        return out

    def _projection(self, params: dict, b: E.Bindings, placeholders) -> tuple | None:
        text = params.get("ProjectionExpression")
        if text is not None:
            return b.parse("projection", text).tree
        names = params.get("AttributesToGet")
        if names:
            if len(set(names)) != len(names):
                raise validation(
                    f"One or more parameter values were invalid: Duplicate value in attribute name: {names[0]}"
                )
            return legacy.projection(names, placeholders)
        return None

    def delete_item(self, context: RequestContext, params: dict) -> dict:
        scope, schema = self._table(context, params["TableName"])
        b, placeholders = self._bindings(params, ("ConditionExpression",), ("Expected",))
        return_values = params.get("ReturnValues") or "NONE"
        if return_values not in ("NONE", "ALL_OLD"):
            raise validation("Return values set to invalid value")
        key = schema.check_key(params["Key"])
        condition = self._condition(params, b, placeholders)
        b.check_unused()
        old, _new = self._write(
            scope,
            context.region,
            schema,
            key,
            lambda old: None,
            condition,
            b,
            params.get("ReturnValuesOnConditionCheckFailure"),
            return_values == "ALL_OLD",
        )
        out = self._write_response(context, schema, params, old, None)
        if return_values == "ALL_OLD" and old:
            out["Attributes"] = old
        return out

    def _update_clauses(self, params: dict, b: E.Bindings, placeholders) -> dict:
        text = params.get("UpdateExpression")
        if text is not None:
            clauses = b.parse("update", text).tree
            E.check_update_values(clauses, b)
            return clauses
        if params.get("AttributeUpdates"):
            return legacy.attribute_updates(params["AttributeUpdates"], placeholders)
        return {}

    def update_item(self, context: RequestContext, params: dict) -> dict:
        scope, schema = self._table(context, params["TableName"])
        b, placeholders = self._bindings(
            params, ("UpdateExpression", "ConditionExpression"), ("AttributeUpdates", "Expected")
        )
        return_values = params.get("ReturnValues") or "NONE"
        if return_values not in ("NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"):
            raise validation("Return values set to invalid value")
        key_value = params["Key"]
        key = schema.check_key(key_value)
        clauses = self._update_clauses(params, b, placeholders)
        condition = self._condition(params, b, placeholders)
        b.check_unused()
        key_names = schema.key_tuple

        def compute(old: dict | None) -> dict:
            base = old if old is not None else dict(key_value)
            new = E.apply_update(base, clauses, b, key_names) if clauses else dict(base)
            schema.check_item_keys(new)
            if item_size(new) > MAX_ITEM_SIZE:
                raise validation("Item size to update has exceeded the maximum allowed size")
            return new

        old, new = self._write(
            scope,
            context.region,
            schema,
            key,
            compute,
            condition,
            b,
            params.get("ReturnValuesOnConditionCheckFailure"),
            True,
        )
        out = self._write_response(context, schema, params, old, new)
        if return_values == "ALL_OLD":
            if old:
                out["Attributes"] = old
        elif return_values == "ALL_NEW":
            out["Attributes"] = new
        elif return_values in ("UPDATED_OLD", "UPDATED_NEW"):
            source = old if return_values == "UPDATED_OLD" else new
            if source:
                attributes = E.project(source, tuple(E.updated_paths(clauses, b)), b)
                if attributes:
                    out["Attributes"] = attributes
        return out

    # -- batches ----------------------------------------------------------------------------------

    def batch_get_item(self, context: RequestContext, params: dict) -> dict:
        requests = params["RequestItems"]
        total = sum(len(spec["Keys"]) for spec in requests.values())
        if total > 100:
            raise validation("Too many items requested for the BatchGetItem call")
        plans = []
        for name, spec in requests.items():
            # AWS checks the projection (unused names included) before the table.
            b, placeholders = self._bindings(spec, ("ProjectionExpression",), ("AttributesToGet",))
            projection = self._projection(spec, b, placeholders)
            b.check_unused()
            scope, schema = self._table(context, name)
            keys = []
            seen = set()
            for key_value in spec["Keys"]:
                key = schema.check_key(key_value)
                if key in seen:
                    raise validation("Provided list of item keys contains duplicates")
                seen.add(key)
                keys.append(key)
            plans.append((name, scope, schema, keys, projection, b, bool(spec.get("ConsistentRead"))))
        responses: dict = {}
        unprocessed: dict = {}
        consumed = []
        mode = params.get("ReturnConsumedCapacity")
        total = 0
        for name, scope, schema, keys, projection, b, consistent in plans:
            found = responses.setdefault(name, [])
            units = 0.0
            for position, key in enumerate(keys):
                row = self._items.get(scope, key)
                if row is not None and total + row[0] > BATCH_GET_BYTES:
                    # A response stops at 16 MB; the keys it did not reach come back to retry.
                    spec = requests[name]
                    unprocessed[name] = {
                        **{k: v for k, v in spec.items() if k != "Keys"},
                        "Keys": spec["Keys"][position:],
                    }
                    break
                if row is not None:
                    total += row[0]
                    item = unpack(row[1])
                    units += read_units(row[0], consistent)
                    found.append(E.project(item, projection, b) if projection else item)
                else:
                    units += read_units(0, consistent)
            metrics.consumed(self.runtime, context.account, context.region, schema, units, False)
            if mode and mode != "NONE":
                consumed.append(capacity(schema, units, mode, False))
        out: dict = {"Responses": responses, "UnprocessedKeys": unprocessed}
        if consumed:
            out["ConsumedCapacity"] = consumed
        return out

    def batch_write_item(self, context: RequestContext, params: dict) -> dict:
        requests = params["RequestItems"]
        total = sum(len(entries) for entries in requests.values())
        if total > 25:
            raise validation("Too many items requested for the BatchWriteItem call")
        plans = []
        for name, entries in requests.items():
            scope, schema = self._table(context, name)
            seen = set()
            for entry in entries:
                put, delete = entry.get("PutRequest"), entry.get("DeleteRequest")
                if (put is None) == (delete is None):
                    raise validation(
                        "Supplied AttributeValue has more than one datatypes set, must contain exactly one"
                        " of the supported datatypes"
                    )
                if put is not None:
                    if any(name not in put["Item"] for name in schema.key_tuple):
                        # BatchWriteItem words a missing key like a bad Key (PutItem does not).
                        raise validation("The provided key element does not match the schema")
                    item = check_item(put["Item"])
                    key = schema.check_item_keys(item)
                    if item_size(item) > MAX_ITEM_SIZE:
                        raise validation("Item size has exceeded the maximum allowed size")
                else:
                    item = None
                    key = schema.check_key(delete["Key"])
                if key in seen:
                    raise validation("Provided list of item keys contains duplicates")
                seen.add(key)
                plans.append((scope, schema, key, item))
        published = []
        with self.store.transaction():
            for scope, schema, key, item in plans:
                old = self._get(scope, key)
                record = self._apply(scope, context.region, schema, key, old, item)
                if record is not None:
                    published.append((schema, record))
        for schema, record in published:
            self._publish(schema, [record])
        out: dict = {"UnprocessedItems": {}}
        per_table: dict[str, tuple[Schema, float]] = {}
        for scope, schema, key, item in plans:
            units = write_units(item_size(item) if item else 0)
            previous = per_table.get(schema.name, (schema, 0.0))[1]
            per_table[schema.name] = (schema, previous + units)
        for schema, units in per_table.values():
            metrics.consumed(self.runtime, context.account, context.region, schema, units, True)
        mode = params.get("ReturnConsumedCapacity")
        if mode and mode != "NONE":
            out["ConsumedCapacity"] = [capacity(s, u, mode, True) for s, u in per_table.values()]
        return out

    # -- background work --------------------------------------------------------------------------

    def _schedule_purge(self) -> None:
        if not self._purging:
            self._purging = True
            self.runtime.spawn(self._purge(), name="dynamodb purge")

    async def _purge(self) -> None:
        """Delete the items and index entries of deleted tables and indexes, a batch at a time."""
        try:
            while True:
                work = [
                    (scope, prefix)
                    for scope in self._purges.scopes()
                    for prefix, _ in self._purges.scan(scope)
                ]
                if not work:
                    return
                for scope, prefix in work:
                    # A table's item rows and index entries, then its recovery history.
                    for table in (self._items, self._history):
                        while True:
                            keys = [k for k, _ in table.scan(scope, prefix=prefix + "|", limit=PURGE_BATCH)]
                            with self.store.transaction():
                                for key in keys:
                                    table.delete(scope, key)
                            if len(keys) < PURGE_BATCH:
                                break
                            await asyncio.sleep(0)
                    self._purges.delete(scope, prefix)
        finally:
            self._purging = False

    def _start_backfill(self, scope: str, table: str, index_name: str) -> None:
        self.runtime.spawn(
            self._backfill(scope, table, index_name), name=f"dynamodb backfill {table}/{index_name}"
        )

    async def _backfill(self, scope: str, table: str, index_name: str) -> None:
        """Index the existing items of a table into a new GSI, then mark it ACTIVE. Writes made
        meanwhile maintain the index themselves (it is in the schema from the start)."""
        after = None
        while True:
            await asyncio.sleep(0)
            schema = self.schema(scope, table)
            if schema is None or index_name not in schema.indexes:
                return
            index = schema.indexes[index_name]
            with self.store.transaction():
                rows = list(
                    self._items.scan(scope, prefix=schema.storage, start_after=after, limit=PURGE_BATCH)
                )
                for _key, (size, body) in rows:
                    item = unpack(body)
                    entry = index.entry_key(item, schema)
                    if entry is not None:
                        self._put(
                            scope,
                            entry,
                            index.project(item, schema),
                            size if index.projection == "ALL" else None,
                        )
            if rows:
                after = rows[-1][0]
            if len(rows) < PURGE_BATCH:
                break
        record = self._tables.get(scope, table)
        if record is None:
            return
        record = dict(record)
        gsis = []
        for spec in record.get("GlobalSecondaryIndexes") or ():
            spec = dict(spec)
            if spec["IndexName"] == index_name:
                spec["IndexStatus"] = "ACTIVE"
                spec.pop("Backfilling", None)
            gsis.append(spec)
        record["GlobalSecondaryIndexes"] = gsis
        if all(s.get("IndexStatus") == "ACTIVE" for s in gsis):
            record["TableStatus"] = "ACTIVE"
        self._save(scope, record)

    def _background(self) -> None:
        now = time.time()
        for scope in self._tables.scopes():
            region = scope.partition("/")[2]
            for name, record in list(self._tables.scan(scope)):
                if record.get("ttl"):
                    self._expire(scope, region, name, record["ttl"], now)
                if record.get("pitr"):
                    days = record.get("pitr_days") or 35
                    self._trim_history(scope, record["storage"] + "|", now - days * 86400)
        for scope in self.streams.meta.scopes():
            self.streams.trim(scope, now)
        self._expire_backups(now)
        # Transaction tokens are remembered for ten minutes (AWS's idempotency window).
        for scope in self._tokens.scopes():
            stale = [token for token, seen in self._tokens.scan(scope, limit=1000) if seen["at"] < now - 600]
            if stale:
                with self.store.transaction():
                    for token in stale:
                        self._tokens.delete(scope, token)

    def _expire(self, scope: str, region: str, table: str, attribute: str, now: float) -> None:
        """Delete items whose TTL attribute (epoch seconds) has passed: a bounded slice of the
        table per tick, resuming where the last tick stopped, as AWS's background sweep does."""
        schema = self.schema(scope, table)
        if schema is None:
            return
        cursor_key = (scope, table)
        after = self._ttl_cursor.get(cursor_key)
        rows = list(self._items.scan(scope, prefix=schema.storage, start_after=after, limit=2000))
        self._ttl_cursor[cursor_key] = rows[-1][0] if len(rows) == 2000 else None
        expired = []
        for key, (_, body) in rows:
            item = unpack(body)
            value = item.get(attribute)
            if value is None or "N" not in value:
                continue
            try:
                expires = float(value["N"])
            except ValueError:
                continue
            # Values more than five years in the past are not treated as expiry times (AWS).
            if expires <= now and expires > now - 5 * 365 * 86400:
                expired.append((key, item))
        if not expired:
            return
        records = []
        with self.store.transaction():
            for key, item in expired:
                current = self._get(scope, key)
                if current is None:
                    continue
                record = self._apply(scope, region, schema, key, current, None, identity=SERVICE_IDENTITY)
                if record is not None:
                    records.append(record)
        self._publish(schema, records)
