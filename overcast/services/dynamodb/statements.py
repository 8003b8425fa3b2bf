"""ExecuteStatement, BatchExecuteStatement and ExecuteTransaction: PartiQL statements (parsed by
partiql.py) run on the same item engine as the expression API."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from overcast.common.pagination import decode_token, encode_token
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.dynamodb import expressions as E
from overcast.services.dynamodb import partiql
from overcast.services.dynamodb.rows import unpack
from overcast.services.dynamodb.schema import Schema
from overcast.services.dynamodb.values import MAX_ITEM_SIZE, encode_key_value, item_size, validation

if TYPE_CHECKING:
    # The methods below run as the Provider this mixin is part of, so their self is typed as
    # it; mypy wants a self type to be a supertype of the class that declares the method, hence
    # the `type: ignore[misc]` on each of them.
    from overcast.services.dynamodb.provider import Provider

PAGE_BYTES = 1024 * 1024


class _Plan:
    __slots__ = ("b", "key", "key_value", "schema", "scope", "statement")

    def __init__(self, statement, scope, schema, b, key=None, key_value=None) -> None:
        self.statement, self.scope, self.schema, self.b = statement, scope, schema, b
        self.key, self.key_value = key, key_value


class StatementsMixin:
    # Declared here because the methods below assign it; the Provider's __init__ sets it first.
    _deferred: list[tuple[Schema, list]] | None

    def _plan(self: Provider, context: RequestContext, text: str, parameters: list | None) -> _Plan:  # type: ignore[misc]
        statement = partiql.parse(text)
        parameters = parameters or []
        if statement.parameters != len(parameters):
            raise validation("Number of parameters in request and statement don't match.")
        scope, schema = self._table(context, statement.table)
        if statement.index is not None and statement.index not in schema.indexes:
            raise validation("The table does not have the specified index")  # PartiQL names no index (AWS)
        b = E.Bindings({}, ())
        b.names = statement.names
        b.values = {k: partiql.bind(node, parameters) for k, node in statement.literals.items()}
        b.legacy = True
        plan = _Plan(statement, scope, schema, b)
        if statement.kind in ("UPDATE", "DELETE"):
            plan.key_value = self._statement_key(statement, schema, b)
            plan.key = schema.check_key(plan.key_value)
        elif statement.kind == "INSERT":
            value = partiql.bind(statement.item, parameters)
            if "M" not in value:
                raise validation("Unsupported type passed: INSERT takes a tuple, {...}, as its VALUE")
            item = value["M"]
            plan.key = schema.check_item_keys(item)
            if item_size(item) > MAX_ITEM_SIZE:
                raise validation("Item size has exceeded the maximum allowed size")
            plan.key_value = item
        return plan

    def _statement_key(self: Provider, statement, schema: Schema, b: E.Bindings) -> dict:  # type: ignore[misc]
        equalities = partiql.key_equalities(statement.where, statement.names)
        key = {}
        for name in schema.key_tuple:
            if name not in equalities:
                raise validation("Where clause does not contain a mandatory equality on all key attributes")
            key[name] = b.values[equalities[name][1]]
        return key

    def _run_write(self: Provider, plan: _Plan, region: str, return_on_failure: str | None) -> None:  # type: ignore[misc]
        statement, schema, b = plan.statement, plan.schema, plan.b
        if statement.kind == "INSERT":
            item = plan.key_value

            def compute(old):
                if old is not None:
                    raise ServiceError("DuplicateItemException", "Duplicate primary key exists in table", 400)
                return item

            self._write(plan.scope, region, schema, plan.key, compute, None, b, None, True)
            return
        exists = (
            "fn",
            "attribute_exists",
            (("path", (next(k for k, v in statement.names.items() if v == schema.hash),)),),
        )
        condition = ("and", exists, statement.where)
        if statement.kind == "DELETE":
            self._write(
                plan.scope, region, schema, plan.key, lambda old: None, condition, b, return_on_failure, True
            )
            return
        clauses = {}
        if statement.sets:
            clauses["SET"] = statement.sets
        if statement.removes:
            clauses["REMOVE"] = statement.removes

        def update(old):
            new = E.apply_update(old, clauses, b, schema.key_tuple)
            schema.check_item_keys(new)
            if item_size(new) > MAX_ITEM_SIZE:
                raise validation("Item size to update has exceeded the maximum allowed size")
            return new

        self._write(plan.scope, region, schema, plan.key, update, condition, b, return_on_failure, True)

    def _run_select(self: Provider, plan: _Plan, limit: int | None, token: str | None) -> dict:  # type: ignore[misc]
        statement, schema, b = plan.statement, plan.schema, plan.b
        index = schema.indexes.get(statement.index) if statement.index else None
        equalities = partiql.key_equalities(statement.where, statement.names)
        hash_names = index.hash_names if index else (schema.hash,)
        range_names = index.range_names if index else ((schema.range,) if schema.range else ())
        prefix = index.storage if index else schema.storage
        if all(name in equalities for name in hash_names):
            encoded = "".join(encode_key_value(b.values[equalities[name][1]]) for name in hash_names)
            prefix += (index or schema).partition(encoded)
            for name in range_names:  # the leading sort key attributes given by equality
                if name not in equalities:
                    break
                prefix += encode_key_value(b.values[equalities[name][1]])
        start = None
        if token:
            try:
                start = decode_token(self.store, "ExecuteStatement", token, bind=prefix)
            except ValueError:
                raise validation("Invalid NextToken") from None
            if not isinstance(start, str):
                raise validation("Invalid NextToken")
        items, size, scanned, last, more = [], 0, 0, None, False
        for key, (weight, body) in self._items.scan(plan.scope, prefix=prefix, start_after=start):
            item = unpack(body)
            if size + weight > PAGE_BYTES and scanned:
                more = True
                break
            size += weight
            scanned += 1
            last = key
            if statement.where is None or E.evaluate(statement.where, item, b):
                items.append(E.project(item, statement.projection, b) if statement.projection else item)
            if limit is not None and scanned >= limit:
                more = True
                break
        out: dict = {"Items": items}
        if more and last is not None:
            out["NextToken"] = encode_token(self.store, "ExecuteStatement", last, bind=prefix)
        return out

    def execute_statement(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        plan = self._plan(context, params["Statement"], params.get("Parameters"))
        if plan.statement.kind == "SELECT":
            return self._run_select(plan, params.get("Limit"), params.get("NextToken"))
        self._run_write(plan, context.region, params.get("ReturnValuesOnConditionCheckFailure"))
        return {"Items": []}

    def batch_execute_statement(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        statements = params["Statements"]
        plans: list[_Plan | ServiceError] = []
        for entry in statements:
            try:
                plans.append(self._plan(context, entry["Statement"], entry.get("Parameters")))
            except ServiceError as error:
                plans.append(error)
        kinds = {p.statement.kind == "SELECT" for p in plans if isinstance(p, _Plan)}
        if len(kinds) > 1:
            raise validation("Statements in a batch must all be reads or all be writes")
        responses = []
        for entry, plan in zip(statements, plans, strict=False):
            if isinstance(plan, ServiceError):
                code = "ResourceNotFound" if plan.code == "ResourceNotFoundException" else "ValidationError"
                responses.append({"Error": {"Code": code, "Message": plan.message}})
                continue
            result: dict = {"TableName": plan.schema.name}
            try:
                if plan.statement.kind == "SELECT":
                    key = self._statement_key(plan.statement, plan.schema, plan.b)
                    item = self._get(plan.scope, plan.schema.check_key(key))
                    if item is not None and (
                        plan.statement.where is None or E.evaluate(plan.statement.where, item, plan.b)
                    ):
                        result["Item"] = (
                            E.project(item, plan.statement.projection, plan.b)
                            if plan.statement.projection
                            else item
                        )
                else:
                    self._run_write(plan, context.region, entry.get("ReturnValuesOnConditionCheckFailure"))
            except ServiceError as error:
                code = {
                    "ConditionalCheckFailedException": "ConditionalCheckFailed",
                    "DuplicateItemException": "DuplicateItem",
                }.get(error.code, "ValidationError")
                failure = {"Code": code, "Message": error.message}
                if error.fields.get("Item"):
                    failure["Item"] = error.fields["Item"]
                result = {"TableName": plan.schema.name, "Error": failure}
            responses.append(result)
        return {"Responses": responses}

    def execute_transaction(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        entries = params["TransactStatements"]
        plans = [self._plan(context, e["Statement"], e.get("Parameters")) for e in entries]
        reads = [p.statement.kind == "SELECT" for p in plans]
        if any(reads) and not all(reads):
            raise validation("Transaction must contain either all reads or all writes")
        if all(reads):
            responses = []
            with self.store.transaction():
                for plan in plans:
                    key = self._statement_key(plan.statement, plan.schema, plan.b)
                    item = self._get(plan.scope, plan.schema.check_key(key))
                    responses.append(
                        {
                            "Item": E.project(item, plan.statement.projection, plan.b)
                            if item and plan.statement.projection
                            else item
                        }
                        if item
                        else {}
                    )
            return {"Responses": responses}
        seen = set()
        for plan in plans:
            if (plan.scope, plan.key) in seen:
                raise validation("Transaction request cannot include multiple operations on one item")
            seen.add((plan.scope, plan.key))
        token = params.get("ClientRequestToken")
        if token:
            from overcast.services.dynamodb.transactions import TOKEN_LIFETIME, _fingerprint

            previous = self._tokens.get(plans[0].scope, "partiql:" + token)
            if previous is not None and previous["at"] > time.time() - TOKEN_LIFETIME:
                if previous["fingerprint"] != _fingerprint(params):
                    raise ServiceError(
                        "IdempotentParameterMismatchException",
                        "The request uses the same client token"
                        " as a previous, but non-identical request. Please check your client token.",
                        400,
                    )
                return {"Responses": []}
        published: list[tuple[Schema, list]] = []
        self._deferred = published
        try:
            self._transact_statements(entries, plans, context, params, token)
        finally:
            self._deferred = None
        for schema, records in published:
            self._publish(schema, records)
        # A write transaction answers an empty list of responses (AWS).
        return {"Responses": []}

    def _transact_statements(self: Provider, entries, plans, context, params, token) -> None:  # type: ignore[misc]
        with self.store.transaction():
            reasons, failed = [], False
            for entry, plan in zip(entries, plans, strict=False):
                try:
                    with self.store.transaction():
                        self._run_write(
                            plan, context.region, entry.get("ReturnValuesOnConditionCheckFailure")
                        )
                    reasons.append({"Code": "None"})
                except ServiceError as error:
                    failed = True
                    code = {
                        "ConditionalCheckFailedException": "ConditionalCheckFailed",
                        "DuplicateItemException": "DuplicateItem",
                    }.get(error.code, "ValidationError")
                    reason = {"Code": code, "Message": error.message}
                    if error.fields.get("Item"):
                        reason["Item"] = error.fields["Item"]
                    reasons.append(reason)
            if failed:
                codes = ", ".join(r["Code"] for r in reasons)
                raise ServiceError(
                    "TransactionCanceledException",
                    "Transaction cancelled, please refer cancellation"
                    f" reasons for specific reasons [{codes}]",
                    400,
                    CancellationReasons=reasons,
                )
            if token:
                from overcast.services.dynamodb.transactions import _fingerprint

                self._tokens.put(
                    plans[0].scope,
                    "partiql:" + token,
                    {"fingerprint": _fingerprint(params), "at": time.time()},
                )
