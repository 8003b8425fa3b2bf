"""Query and Scan: one range scan of the store per page, over the table's item keys or an
index's entries, with DynamoDB's Limit, 1 MB page, filter, projection and Select semantics."""

from __future__ import annotations

from typing import TYPE_CHECKING

from overcast.context import RequestContext
from overcast.protocols.serializers.json import RawJson, Spliced
from overcast.services.dynamodb import expressions as E
from overcast.services.dynamodb import legacy, metrics
from overcast.services.dynamodb.rows import text, unpack
from overcast.services.dynamodb.schema import Index, Schema, segment_bounds
from overcast.services.dynamodb.values import (
    HIGH,
    check_value,
    encode_key_value,
    encode_prefix,
    invalid,
    validation,
)

if TYPE_CHECKING:
    # The methods below run as the Provider this mixin is part of, so their self is typed as
    # it; mypy wants a self type to be a supertype of the class that declares the method, hence
    # the `type: ignore[misc]` on each of them.
    from overcast.services.dynamodb.provider import Provider

PAGE_BYTES = 1024 * 1024
_SELECTS = ("ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT")


def _key_error(message: str):
    return validation(f"Invalid KeyConditionExpression: {message}")


def _conditions(tree: tuple, out: list) -> list:
    kind = tree[0]
    if kind == "and":
        _conditions(tree[1], out)
        _conditions(tree[2], out)
    elif kind in ("or", "not"):
        raise _key_error(f"Invalid operator used in KeyConditionExpression: {kind.upper()}")
    elif kind == "in":
        raise _key_error("Invalid operator used in KeyConditionExpression: IN")
    else:
        out.append(tree)
    return out


def _subject(condition: tuple, b: E.Bindings) -> tuple[str, list]:
    """(attribute name, operand value nodes) of one key condition."""
    kind = condition[0]
    if kind == "cmp":
        if condition[1] == "<>":
            raise _key_error("Invalid operator used in KeyConditionExpression: <>")
        left, right = condition[2], condition[3]
        if left[0] == "path" and right[0] == "path":
            raise validation(
                "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"
            )
        if left[0] != "path" and right[0] == "path":
            left, right = right, left
        path, values = left, [right]
    elif kind == "between":
        path, values = condition[1], [condition[2], condition[3]]
    elif kind == "fn" and condition[1] == "begins_with":
        path, values = condition[2][0], [condition[2][1]]
    elif kind == "fn":
        raise _key_error(f"Invalid function name; function: {condition[1]}")
    else:
        raise validation("Query key condition not supported")
    if path[0] != "path" or len(path[1]) != 1 or any(v[0] not in ("value", "literal") for v in values):
        raise validation("Query key condition not supported")
    return b.name(path[1][0]), values


def _filter_paths(tree, b: E.Bindings, out: set) -> set:
    if type(tree) is tuple and tree:
        if tree[0] == "path":
            out.add(b.name(tree[1][0]))
        else:
            for part in tree[1:]:
                if type(part) is tuple:
                    _filter_paths(part, b, out)
    return out


class ReadsMixin:
    def _key_range(  # type: ignore[misc]
        self: Provider, schema: Schema, index: Index | None, tree: tuple, b: E.Bindings
    ) -> tuple[str, str | None, str | None]:
        hash_names = index.hash_names if index else (schema.hash,)
        range_names = index.range_names if index else ((schema.range,) if schema.range else ())
        conditions = _conditions(tree, [])
        by_name: dict[str, tuple] = {}
        for condition in conditions:
            name, values = _subject(condition, b)
            if name in by_name:
                raise validation("KeyConditionExpressions must only contain one condition per key")
            by_name[name] = (condition, [E.operand(v, {}, b) for v in values])
        for hash_name in hash_names:
            if hash_name not in by_name:
                raise validation(f"Query condition missed key schema element: {hash_name}")
        extra = [n for n in by_name if n not in hash_names and n not in range_names]
        if extra or len(by_name) > len(hash_names) + len(range_names):
            raise validation(
                f"Query condition missed key schema element: {range_names[0] if range_names else hash_names[0]}"
            )
        # Sort key attributes are given left to right; all but the last given by equality.
        given = [name for name in range_names if name in by_name]
        for position, name in enumerate(given):
            if range_names[position] != name:
                raise validation(f"Query condition missed key schema element: {range_names[position]}")
        for name in given[:-1]:
            condition = by_name[name][0]
            if condition[0] != "cmp" or condition[1] != "=":
                raise validation(
                    f"Query key condition not supported: only the last sort key attribute given ({given[-1]}) may"
                    f" use a range operator; {name} must use ="
                )
        for hash_name in hash_names:
            condition = by_name[hash_name][0]
            if condition[0] != "cmp" or condition[1] != "=":
                raise validation("Query key condition not supported")
        for name, (condition, found) in by_name.items():
            for value in found:
                kind = next(iter(value))
                if kind in ("S", "B") and not value[kind] and kind == schema.types[name]:
                    raise validation(
                        "One or more parameter values are not valid. The AttributeValue for a key attribute"
                        f" cannot contain an empty {'string' if kind == 'S' else 'binary'} value. Key: {name}"
                    )
                if kind != schema.types[name]:
                    if condition[0] == "fn":
                        raise _key_error(
                            f"Incorrect operand type for operator or function; operator or function:"
                            f" begins_with, operand type: {kind}"
                        )
                    raise invalid("Condition parameter type does not match schema type")
        target = index or schema
        encoded_hash = "".join(encode_key_value(by_name[name][1][0]) for name in hash_names)
        base = target.storage + target.partition(encoded_hash)
        for name in given[:-1]:
            base += encode_key_value(by_name[name][1][0])
        if not given:
            return base, None, None
        range_name = given[-1]
        condition, values = by_name[range_name]
        kind = condition[0]
        if kind == "fn":
            if schema.types[range_name] == "N":
                raise _key_error(
                    "Incorrect operand type for operator or function; operator or function: begins_with,"
                    " operand type: N"
                )
            return base + encode_prefix(values[0]), None, None
        if kind == "between":
            low, high = values
            from overcast.services.dynamodb.values import ordered

            order = ordered(low, high)  # both of the key's type (checked above): never None
            if order is not None and order > 0:
                raise validation(
                    "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or"
                    f" equal to lower bound; lower bound operand: AttributeValue: {{{next(iter(low))}:{next(iter(low.values()))}}},"
                    f" upper bound operand: AttributeValue: {{{next(iter(high))}:{next(iter(high.values()))}}}"
                )
            return base, base + encode_key_value(low)[:-1], base + encode_key_value(high) + HIGH
        op = condition[1]
        if condition[2][0] != "path":  # ":v < sk" reads as "sk > :v"
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}[op]
        encoded = base + encode_key_value(values[0])
        if op == "=":
            return encoded, None, None
        if op == "<":
            return base, None, encoded
        if op == "<=":
            return base, None, encoded + HIGH
        if op == ">":
            return base, encoded + HIGH, None
        return base, encoded[:-1], None

    def _read_target(self: Provider, schema: Schema, params: dict) -> Index | None:  # type: ignore[misc]
        name = params.get("IndexName")
        if name is None:
            return None
        index = schema.indexes.get(name)
        if index is None:
            raise validation(f"The table does not have the specified index: {name}")
        if params.get("ConsistentRead") and not index.local:
            raise validation("Consistent reads are not supported on global secondary indexes")
        if index.status == "CREATING":
            raise validation(f"Cannot read from backfilling global secondary index: {name}")
        return index

    def _start_key(self: Provider, schema: Schema, index: Index | None, start: dict | None) -> str | None:  # type: ignore[misc]
        if start is None:
            return None
        names = set(schema.key_tuple) | (set(index.key_names) if index else set())
        bad = validation(
            "The provided starting key is invalid: The provided key element does not match the schema"
        )
        if set(start) != names:
            raise bad
        for name, value in start.items():
            if type(value) is not dict or len(value) != 1 or next(iter(value)) != schema.types.get(name):
                raise bad
            check_value(value)
        if index is None:
            return schema.item_key(start)
        return index.entry_key(start, schema)

    def _select(self: Provider, params: dict, index: Index | None, projection, prefix: str = "") -> str:  # type: ignore[misc]
        """The effective Select; Query words these errors as Coral validation errors."""
        select = params.get("Select")
        if select is None:
            if projection is not None:
                return "SPECIFIC_ATTRIBUTES"
            return "ALL_PROJECTED_ATTRIBUTES" if index is not None else "ALL_ATTRIBUTES"
        if projection is not None and select != "SPECIFIC_ATTRIBUTES":
            which = (
                "ProjectionExpression"
                if params.get("ProjectionExpression") is not None
                else "AttributesToGet"
            )
            raise validation(f"{prefix}Cannot specify the {which} when choosing to get {select}")
        if select == "ALL_PROJECTED_ATTRIBUTES" and index is None:
            raise validation(
                f"{prefix}ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"
            )
        if select == "SPECIFIC_ATTRIBUTES" and projection is None:
            raise validation(
                f"{prefix}Must specify the AttributesToGet or ProjectionExpression when choosing to get"
                " SPECIFIC_ATTRIBUTES"
            )
        if select == "ALL_ATTRIBUTES" and index is not None and not index.local and index.projection != "ALL":
            raise invalid(
                f"Select type ALL_ATTRIBUTES is not supported for global secondary index {index.name}"
                " because its projection type is not ALL"
            )
        return select

    def _page(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        scope: str,
        schema: Schema,
        index: Index | None,
        params: dict,
        prefix: str,
        start_after: str | None,
        end_before: str | None,
        reverse: bool,
        filter_tree,
        b: E.Bindings,
        projection,
        select: str,
        raw: bool = False,
    ) -> dict:
        limit = params.get("Limit")
        rows = self._items.scan(
            scope,
            prefix=prefix,
            start_after=start_after,
            end_before=end_before,
            limit=limit,
            reverse=reverse,
        )
        items: list = []  # item dicts, or their JSON texts when spliced
        scanned = 0
        size = 0
        last = None
        more = False
        fetch_base = (
            index is not None
            and index.local
            and index.projection != "ALL"
            and (select == "ALL_ATTRIBUTES" or projection is not None)
        )
        evaluate = E.evaluate
        # Items returned as stored: their JSON text goes to the wire untouched.
        splice = raw and filter_tree is None and projection is None and not fetch_base and select != "COUNT"
        for _, (weight, body) in rows:
            if size + weight > PAGE_BYTES and scanned:
                more = True
                break
            size += weight
            scanned += 1
            last = body
            if splice:
                items.append(body if type(body) is str else text(body))
            else:
                item = unpack(body)
                if fetch_base:
                    item = self._get(scope, schema.item_key(item)) or item
                if filter_tree is None or evaluate(filter_tree, item, b):
                    items.append(item)
            if limit is not None and scanned >= limit:
                more = True
                break
        if last is not None:
            last = unpack(last)
        if splice:
            out: dict = Spliced(
                {
                    "Count": len(items),
                    "ScannedCount": scanned,
                    "Items": RawJson(("[" + ",".join(items) + "]").encode()),
                }
            )
            items = []
        else:
            out = {"Count": len(items), "ScannedCount": scanned}
        if select != "COUNT" and not splice:
            if projection is not None:
                items = [E.project(item, projection, b) for item in items]
            out["Items"] = items
        if more and last is not None:
            key = schema.key_of(last)
            if index is not None:
                for name in index.key_names:
                    key[name] = last[name]
            out["LastEvaluatedKey"] = key
        from overcast.services.dynamodb.provider import capacity, read_units

        units = read_units(size, bool(params.get("ConsistentRead")))
        if index is not None:
            metrics.consumed(
                self.runtime, context.account, context.region, schema, 0.0, False, {index.name: units}
            )
        else:
            metrics.consumed(self.runtime, context.account, context.region, schema, units, False)
        mode = params.get("ReturnConsumedCapacity")
        if mode and mode != "NONE":
            if index is not None:
                out["ConsumedCapacity"] = capacity(schema, 0.0, mode, False, {index.name: units})
            else:
                out["ConsumedCapacity"] = capacity(schema, units, mode, False)
        return out

    def _filter(self: Provider, params: dict, b: E.Bindings, placeholders, legacy_name: str) -> tuple | None:  # type: ignore[misc]
        text = params.get("FilterExpression")
        if text is not None:
            tree = b.parse("filter", text).tree
            E.check_condition_values(tree, b, "FilterExpression")
            return tree
        if params.get(legacy_name):
            return legacy.filter_conditions(
                params[legacy_name], params.get("ConditionalOperator"), placeholders
            )
        return None

    def query(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, schema = self._table(context, params["TableName"])
        b, placeholders = self._bindings(
            params,
            ("KeyConditionExpression", "FilterExpression", "ProjectionExpression"),
            ("KeyConditions", "QueryFilter", "AttributesToGet"),
        )
        index = self._read_target(schema, params)
        text = params.get("KeyConditionExpression")
        if text is not None:
            key_tree = b.parse("key", text).tree
        elif params.get("KeyConditions") and placeholders is not None:  # legacy parameters have them
            key_tree = legacy.filter_conditions(params["KeyConditions"], None, placeholders)
        else:
            raise validation(
                "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."
            )
        filter_tree = self._filter(params, b, placeholders, "QueryFilter")
        projection = self._projection(params, b, placeholders)
        b.check_unused()
        select = self._select(params, index, projection, "1 validation error detected: ")
        prefix, start_after, end_before = self._key_range(schema, index, key_tree, b)
        if filter_tree is not None:
            keys = set(index.key_names) if index else set(schema.key_tuple)
            for name in sorted(_filter_paths(filter_tree, b, set()) & keys):
                raise validation(
                    f"Filter Expression can only contain non-primary key attributes: Primary key attribute: {name}"
                )
        reverse = params.get("ScanIndexForward") is False
        start = self._start_key(schema, index, params.get("ExclusiveStartKey"))
        if start is not None:
            if reverse:
                end_before = start if end_before is None or start < end_before else end_before
            else:
                start_after = start if start_after is None or start > start_after else start_after
        return self._page(
            context,
            scope,
            schema,
            index,
            params,
            prefix,
            start_after,
            end_before,
            reverse,
            filter_tree,
            b,
            projection,
            select,
            raw=not context.extra.get("internal"),
        )

    def scan(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, schema = self._table(context, params["TableName"])
        b, placeholders = self._bindings(
            params, ("FilterExpression", "ProjectionExpression"), ("ScanFilter", "AttributesToGet")
        )
        index = self._read_target(schema, params)
        segment, total = params.get("Segment"), params.get("TotalSegments")
        if total is not None and segment is None:
            raise validation(
                "The Segment parameter is required but was not present in the request when parameter"
                " TotalSegments is present"
            )
        if segment is not None and total is None:
            raise validation(
                "The TotalSegments parameter is required but was not present in the request when"
                " Segment parameter is present"
            )
        if segment is not None and segment >= total:
            raise validation(
                f"The Segment parameter is zero-based and must be less than parameter TotalSegments:"
                f" Segment: {segment} is not less than TotalSegments: {total}"
            )
        filter_tree = self._filter(params, b, placeholders, "ScanFilter")
        projection = self._projection(params, b, placeholders)
        b.check_unused()
        select = self._select(params, index, projection)
        target = index or schema
        prefix = target.storage
        start = self._start_key(schema, index, params.get("ExclusiveStartKey"))
        end = None
        if segment is not None and total is not None and total > 1:  # one is never without the other
            # The segment's own range of hash buckets: N segments read the table once.
            low, end = segment_bounds(prefix, segment, total)
            if start is None or start < low:
                start = low
        return self._page(
            context,
            scope,
            schema,
            index,
            params,
            prefix,
            start,
            end,
            False,
            filter_tree,
            b,
            projection,
            select,
            raw=not context.extra.get("internal"),
        )
