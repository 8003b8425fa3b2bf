"""DynamoDB's AWS/DynamoDB metrics, as AWS publishes them: consumed capacity by table (and by
global secondary index), SuccessfulRequestLatency and ReturnedItemCount by table and
operation, ConditionalCheckFailedRequests and TransactionConflict by table, ThrottledRequests by
table and operation, SystemErrors by table and operation, and UserErrors (every other 400) for
the account in the region."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from overcast.errors import ServiceError
from overcast.services.cloudwatch.publish import publish_metric
from overcast.services.dynamodb.tables import table_name

if TYPE_CHECKING:
    from overcast.context import RequestContext
    from overcast.runtime import Runtime
    from overcast.services.dynamodb.schema import Schema

NAMESPACE = "AWS/DynamoDB"
#: The operations whose latency AWS publishes by table, and how each names its tables.
_SINGLE = ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan")
_TABLES_OF = {
    **{operation: lambda params: (table_name(params.get("TableName") or ""),) for operation in _SINGLE},
    "BatchGetItem": lambda params: tuple(map(table_name, params.get("RequestItems") or ())),
    "BatchWriteItem": lambda params: tuple(map(table_name, params.get("RequestItems") or ())),
    "TransactGetItems": lambda params: _transact_tables(params),
    "TransactWriteItems": lambda params: _transact_tables(params),
}
#: Errors with a metric of their own, by table, instead of UserErrors.
_OWN_METRIC = {
    "ConditionalCheckFailedException": "ConditionalCheckFailedRequests",
    "TransactionConflictException": "TransactionConflict",
}

#: Errors of a request refused for exceeding throughput: ThrottledRequests by table and
#: operation, and Read/WriteThrottleEvents by table.
_THROTTLED = frozenset(
    ("ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded")
)
_WRITES = frozenset(("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"))


def _transact_tables(params: dict) -> tuple[str, ...]:
    names = []
    for entry in params.get("TransactItems") or ():
        for action in entry.values():
            if isinstance(action, dict) and action.get("TableName") not in names:
                names.append(action.get("TableName"))
    return tuple(table_name(name) for name in names if isinstance(name, str))


def consumed(
    runtime: Runtime,
    account: str,
    region: str,
    schema: Schema,
    units: float,
    write: bool,
    index_units: dict[str, float] | None = None,
) -> None:
    """Capacity one request consumed on a table: local secondary indexes count with the table,
    each global secondary index on its own as well as in the table's total."""
    metric = "ConsumedWriteCapacityUnits" if write else "ConsumedReadCapacityUnits"
    table = schema.name
    total = units + sum((index_units or {}).values())
    publish_metric(runtime, account, region, NAMESPACE, metric, {"TableName": table}, total, "Count")
    for name, spent in (index_units or {}).items():
        index = schema.indexes.get(name)
        if index is not None and not index.local:
            dims = {"TableName": table, "GlobalSecondaryIndexName": name}
            publish_metric(runtime, account, region, NAMESPACE, metric, dims, spent, "Count")


def observe(
    runtime: Runtime, context: RequestContext, params: dict | None, output: Any, error: Exception | None
) -> None:
    """The metrics of one answered request."""
    operation = context.operation_name
    account, region = context.account, context.region
    tables_of = _TABLES_OF.get(operation)
    tables = tables_of(params or {}) if tables_of is not None else ()
    tables = tuple(table for table in tables if table)
    if error is None:
        if not tables:
            return
        # Three significant digits: the aggregate keeps each distinct value (for percentiles),
        # which unrounded timings would make one per request.
        latency = float(f"{(time.perf_counter() - context.started) * 1000:.3g}")
        for table in tables:
            dims = {"TableName": table, "Operation": operation}
            publish_metric(runtime, account, region, NAMESPACE, "SuccessfulRequestLatency", dims, latency, "Milliseconds")  # fmt: skip
            if operation in ("Query", "Scan") and isinstance(output, dict) and "Count" in output:
                publish_metric(runtime, account, region, NAMESPACE, "ReturnedItemCount", dims, output["Count"], "Count")  # fmt: skip
        return
    code = error.code if isinstance(error, ServiceError) else ""
    status = error.status if isinstance(error, ServiceError) else 500
    own = _OWN_METRIC.get(code)
    if code in _THROTTLED:
        for table in tables:
            dims = {"TableName": table, "Operation": operation}
            publish_metric(runtime, account, region, NAMESPACE, "ThrottledRequests", dims, 1, "Count")
            events = "WriteThrottleEvents" if operation in _WRITES else "ReadThrottleEvents"
            publish_metric(runtime, account, region, NAMESPACE, events, {"TableName": table}, 1, "Count")
    elif own is not None:
        for table in tables:
            publish_metric(runtime, account, region, NAMESPACE, own, {"TableName": table}, 1, "Count")
    elif status >= 500:
        for table in tables:
            dims = {"TableName": table, "Operation": operation}
            publish_metric(runtime, account, region, NAMESPACE, "SystemErrors", dims, 1, "Count")
    else:
        publish_metric(runtime, account, region, NAMESPACE, "UserErrors", {}, 1, "Count")
