"""TransactWriteItems and TransactGetItems: every action is checked first, then all are applied
in one store transaction (so a crash leaves all or none), with DynamoDB's per-action
CancellationReasons and ClientRequestToken idempotency."""

from __future__ import annotations

import hashlib
import json
import time
from typing import TYPE_CHECKING, Any, cast

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.dynamodb import expressions as E
from overcast.services.dynamodb import metrics
from overcast.services.dynamodb.values import MAX_ITEM_SIZE, check_item, item_size, validation

if TYPE_CHECKING:
    # The methods below run as the Provider this mixin is part of, so their self is typed as
    # it; mypy wants a self type to be a supertype of the class that declares the method, hence
    # the `type: ignore[misc]` on each of them.
    from overcast.services.dynamodb.provider import Provider

TOKEN_LIFETIME = 600.0
_ACTIONS = ("ConditionCheck", "Put", "Delete", "Update")


class _Cancel(Exception):
    def __init__(self, code: str, message: str, item: dict | None = None) -> None:
        self.code, self.message, self.item = code, message, item


def _fingerprint(params: dict) -> str:
    body = {k: v for k, v in params.items() if k != "ClientRequestToken"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=repr).encode()).hexdigest()


class TransactionsMixin:
    def transact_write_items(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope_region = context.region
        token = params.get("ClientRequestToken")
        fingerprint = _fingerprint(params) if token else None
        plans = []
        seen = set()
        for entry in params["TransactItems"]:
            actions = [a for a in _ACTIONS if entry.get(a) is not None]
            if len(actions) != 1:
                raise validation("TransactItems can only contain one of Check, Put, Update or Delete")
            action = actions[0]
            spec = entry[action]
            expression_params = {
                "Put": ("ConditionExpression",),
                "Delete": ("ConditionExpression",),
                "ConditionCheck": ("ConditionExpression",),
                "Update": ("UpdateExpression", "ConditionExpression"),
            }[action]
            # AWS checks an action's expressions (unused names included) before its table and key.
            b, _ = self._bindings(spec, expression_params, ())
            clauses = None
            if action == "Update":
                clauses = b.parse("update", spec["UpdateExpression"]).tree
                E.check_update_values(clauses, b)
            condition = None
            if spec.get("ConditionExpression") is not None:
                condition = b.parse("condition", spec["ConditionExpression"]).tree
                E.check_condition_values(condition, b, "ConditionExpression")
            elif action == "ConditionCheck":
                raise validation("The ConditionExpression parameter is required for ConditionCheck")
            b.check_unused()
            scope, schema = self._table(context, spec["TableName"])
            if action == "Put":
                item = check_item(spec["Item"])
                key = schema.check_item_keys(item)
                if item_size(item) > MAX_ITEM_SIZE:
                    raise validation("Item size has exceeded the maximum allowed size")
                payload: Any = item
            else:
                key = schema.check_key(spec["Key"])
                payload = clauses
            if (scope, key) in seen:
                raise validation("Transaction request cannot include multiple operations on one item")
            seen.add((scope, key))
            plans.append((action, scope, schema, key, spec, b, condition, payload))

        if token:
            scope0 = plans[0][1]
            previous = self._tokens.get(scope0, token)
            if previous is not None and previous["at"] > time.time() - TOKEN_LIFETIME:
                if previous["fingerprint"] != fingerprint:
                    raise ServiceError(
                        "IdempotentParameterMismatchException",
                        "The request uses the same client token as a previous, but non-identical request. Please"
                        " check your client token.",
                        400,
                    )
                return self._transact_response(context, params, plans)

        published = []
        with self.store.transaction():
            olds = [self._get(scope, key) for _, scope, _, key, *_ in plans]
            reasons = []
            news = []
            failed = False
            for (action, scope, schema, key, spec, b, condition, payload), old in zip(
                plans, olds, strict=False
            ):
                new: dict | None
                try:
                    if condition is not None and not E.evaluate(condition, old or {}, b):
                        returned = (
                            old if spec.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" else None
                        )
                        raise _Cancel("ConditionalCheckFailed", "The conditional request failed", returned)
                    if action == "Put":
                        new = payload
                    elif action == "Delete":
                        new = None
                    elif action == "Update":
                        base = old if old is not None else dict(spec["Key"])
                        updates = cast(dict, payload)  # an Update's payload is its parsed clauses
                        new = E.apply_update(base, updates, b, schema.key_tuple)
                        schema.check_item_keys(new)
                        if item_size(new) > MAX_ITEM_SIZE:
                            raise validation("Item size to update has exceeded the maximum allowed size")
                    else:
                        new = old
                    news.append(new)
                    reasons.append({"Code": "None"})
                except _Cancel as cancel:
                    failed = True
                    reason: dict[str, Any] = {"Code": cancel.code, "Message": cancel.message}
                    if cancel.item:
                        reason["Item"] = cancel.item
                    reasons.append(reason)
                    news.append(None)
                except ServiceError as error:
                    failed = True
                    reasons.append({"Code": "ValidationError", "Message": error.message})
                    news.append(None)
            if failed:
                codes = ", ".join(r["Code"] for r in reasons)
                raise ServiceError(
                    "TransactionCanceledException",
                    f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
                    400,
                    CancellationReasons=reasons,
                )
            for (action, scope, schema, key, *_), old, new in zip(plans, olds, news, strict=False):
                if action == "ConditionCheck":
                    continue
                record = self._apply(scope, scope_region, schema, key, old, new)
                if record is not None:
                    published.append((schema, record))
            if token:
                self._tokens.put(plans[0][1], token, {"fingerprint": fingerprint, "at": time.time()})
        for schema, record in published:
            self._publish(schema, [record])
        return self._transact_response(context, params, plans)

    def _transact_response(self: Provider, context: RequestContext, params: dict, plans: list) -> dict:  # type: ignore[misc]
        """Two write units an item (a transaction prepares and commits each)."""
        out: dict = {}
        per_table: dict = {}
        for _action, _scope, schema, _key, _spec, *_ in plans:
            current = per_table.get(schema.name, (schema, 0.0))[1]
            per_table[schema.name] = (schema, current + 2.0)
        for schema, units in per_table.values():
            metrics.consumed(self.runtime, context.account, context.region, schema, units, True)
        mode = params.get("ReturnConsumedCapacity")
        if mode and mode != "NONE":
            from overcast.services.dynamodb.provider import capacity

            out["ConsumedCapacity"] = [capacity(s, u, mode, True) for s, u in per_table.values()]
        return out

    def transact_get_items(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        plans = []
        for entry in params["TransactItems"]:
            spec = entry["Get"]
            scope, schema = self._table(context, spec["TableName"])
            b, placeholders = self._bindings(spec, ("ProjectionExpression",), ())
            key = schema.check_key(spec["Key"])
            projection = self._projection(spec, b, placeholders)
            b.check_unused()
            plans.append((scope, schema, key, projection, b))
        responses: list[dict] = []
        with self.store.transaction():
            for scope, schema, key, projection, b in plans:
                item = self._get(scope, key)
                if item is None:
                    responses.append({})
                else:
                    responses.append({"Item": E.project(item, projection, b) if projection else item})
        out: dict = {"Responses": responses}
        per_table: dict = {}
        for scope, schema, *_ in plans:
            current = per_table.get(schema.name, (schema, 0.0))[1]
            per_table[schema.name] = (schema, current + 2.0)
        for schema, units in per_table.values():
            metrics.consumed(self.runtime, context.account, context.region, schema, units, False)
        mode = params.get("ReturnConsumedCapacity")
        if mode and mode != "NONE":
            from overcast.services.dynamodb.provider import capacity

            out["ConsumedCapacity"] = [capacity(s, u, mode, False) for s, u in per_table.values()]
        return out
