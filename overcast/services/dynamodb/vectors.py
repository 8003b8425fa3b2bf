"""Vector indexes (CreateTable VectorIndexes, UpdateTable VectorIndexUpdates) and SearchVectors.
Mixed into the Provider.

A vector index names an attribute holding each item's vector (a list of numbers of the index's
dimensions), a distance function, and a search schema: HASH attributes every search must give by
equality, INLINE_FILTER attributes a search may filter on. A search is exact: it scores every item
of the table that has a vector of the index's dimensions (and the schema's attributes), keeps
those its condition accepts, and returns the TopK best — the k smallest COSINE (1 - cosine
similarity, 0 to 2) or EUCLIDEAN distances, the k largest DOT_PRODUCT scores.
"""

from __future__ import annotations

import heapq
import math
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.dynamodb import expressions as E
from overcast.services.dynamodb.rows import unpack
from overcast.services.dynamodb.values import invalid, validation

if TYPE_CHECKING:
    from overcast.services.dynamodb.provider import Provider

DESCRIBED = ("IndexName", "SearchSchema", "Projection", "VectorAttribute", "Dimensions", "DistanceFunction")
#: AWS caps a vector at 4,096 dimensions... of 32-bit floats.
MAX_DIMENSIONS = 4096


def vector_of(value: dict | None, dimensions: int) -> list[float] | None:
    """The vector an attribute value holds (a list of numbers of the right length), else None."""
    if value is None:
        return None
    elements = value.get("L")
    if elements is None or len(elements) != dimensions:
        return None
    out = []
    for element in elements:
        number = element.get("N")
        if number is None:
            return None
        out.append(float(number))
    return out


def score(function: str, query: list[float], vector: list[float]) -> float | None:
    if function == "EUCLIDEAN":
        return math.sqrt(sum((a - b) ** 2 for a, b in zip(query, vector, strict=True)))
    dot = sum(a * b for a, b in zip(query, vector, strict=True))
    if function == "DOT_PRODUCT":
        return dot
    norms = math.sqrt(sum(a * a for a in query)) * math.sqrt(sum(b * b for b in vector))
    return None if norms == 0 else 1.0 - dot / norms  # a zero vector has no direction


class VectorsMixin:
    def _vector_index_record(  # type: ignore[misc]
        self: Provider, table_arn: str, spec: dict, defined: dict, taken: set
    ) -> dict:
        name = spec["IndexName"]
        self._check_name(name, "indexName")
        if name in taken:
            raise invalid(f"Duplicate index name: {name}")
        dimensions = spec["Dimensions"]
        if not 1 <= dimensions <= MAX_DIMENSIONS:
            raise invalid(f"Dimensions must be between 1 and {MAX_DIMENSIONS} for vector index: {name}")
        attribute = spec["VectorAttribute"]["AttributeName"]
        schema_elements = spec.get("SearchSchema") or []
        names = [element["AttributeName"] for element in schema_elements]
        if attribute in names or len(set(names)) != len(names):
            raise invalid(
                f"Search schema attributes must be distinct from each other and from the vector attribute: {name}"
            )
        record = {k: spec[k] for k in DESCRIBED if spec.get(k) is not None}
        record["Projection"] = self._check_projection(spec["Projection"], name)
        record["IndexStatus"] = "ACTIVE"
        record["IndexArn"] = f"{table_arn}/index/{name}"
        return record

    def _vector_descriptions(self: Provider, scope: str, record: dict) -> list[dict]:  # type: ignore[misc]
        out = []
        for index in record.get("VectorIndexes") or ():
            count = 0
            size = 0
            for _key, (item_bytes, body) in self._items.scan(scope, prefix=record["storage"] + "|"):
                if vector_of(
                    unpack(body).get(index["VectorAttribute"]["AttributeName"]), index["Dimensions"]
                ):
                    count += 1
                    size += item_bytes
            out.append({**index, "IndexSizeBytes": size, "ItemCount": count})
        return out

    def _update_vector_indexes(self: Provider, record: dict, updates: list) -> dict:  # type: ignore[misc]
        indexes = [dict(i) for i in record.get("VectorIndexes") or ()]
        defined = {a["AttributeName"]: a["AttributeType"] for a in record["AttributeDefinitions"]}
        for update in updates:
            if update.get("Create"):
                taken = {
                    i["IndexName"]
                    for kind in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes", "VectorIndexes")
                    for i in (indexes if kind == "VectorIndexes" else record.get(kind) or ())
                }
                indexes.append(
                    self._vector_index_record(record["TableArn"], update["Create"], defined, taken)
                )
            elif update.get("Delete"):
                name = update["Delete"]["IndexName"]
                if not any(i["IndexName"] == name for i in indexes):
                    raise ServiceError(
                        "ResourceNotFoundException",
                        f"Requested resource not found: Index: {name} not found for table: {record['TableName']}",
                        400,
                    )
                indexes = [i for i in indexes if i["IndexName"] != name]
            else:
                raise validation("A VectorIndexUpdate must have exactly one of Create or Delete")
        record = dict(record)
        if indexes:
            record["VectorIndexes"] = indexes
        else:
            record.pop("VectorIndexes", None)
        return record

    def search_vectors(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, schema = self._table(context, params["TableName"])
        record = self._require(scope, schema.name)
        index = next(
            (i for i in record.get("VectorIndexes") or () if i["IndexName"] == params["IndexName"]), None
        )
        if index is None:
            raise ServiceError(
                "ResourceNotFoundException",
                f"Requested resource not found: Vector index: {params['IndexName']} not found for table:"
                f" {schema.name}",
                400,
            )
        b, _ = self._bindings(params, ("SearchConditionExpression", "ProjectionExpression"), ())
        query = vector_of({"L": params["SearchVector"]}, index["Dimensions"])
        if query is None:
            raise validation(
                f"The search vector must be a list of {index['Dimensions']} numbers, the dimensions of vector index:"
                f" {index['IndexName']}"
            )
        condition = None
        given: dict[str, Any] = {}
        if params.get("SearchConditionExpression") is not None:
            condition = b.parse("condition", params["SearchConditionExpression"]).tree
            E.check_condition_values(condition, b, "SearchConditionExpression")
            given = _equalities(condition, b)
        elements = {e["AttributeName"]: e["SearchSchemaElementType"] for e in index.get("SearchSchema") or ()}
        for name, kind in elements.items():
            if kind == "HASH" and name not in given:
                raise validation(
                    f"SearchConditionExpression must give the partition key attribute {name} by equality"
                )
        unknown = [name for name in given if name not in elements]
        if unknown:
            raise validation(
                f"SearchConditionExpression may use only the search schema's attributes; found: {unknown[0]}"
            )
        projection = (
            b.parse("projection", params["ProjectionExpression"]).tree
            if params.get("ProjectionExpression")
            else None
        )
        b.check_unused()
        attribute = index["VectorAttribute"]["AttributeName"]
        function = index["DistanceFunction"]
        scored: list[tuple[float, int, dict]] = []
        for _key, (_size, body) in self._items.scan(scope, prefix=schema.storage):
            item = unpack(body)
            vector = vector_of(item.get(attribute), index["Dimensions"])
            if vector is None or any(name not in item for name in elements):
                continue
            if condition is not None and not E.evaluate(condition, item, b):
                continue
            value = score(function, query, vector)
            if value is not None:
                scored.append((value, len(scored), item))
        # Best first; equal scores in the table's scan order.
        sign = -1.0 if function == "DOT_PRODUCT" else 1.0
        results = []
        for value, _order, item in heapq.nsmallest(params["TopK"], scored, key=lambda e: (sign * e[0], e[1])):
            shown = self._vector_projection(item, index, schema)
            if projection is not None:
                shown = E.project(shown, projection, b)
            results.append({"Item": shown, "Score": value})
        out: dict = {"SearchResults": results}
        mode = params.get("ReturnConsumedCapacity")
        if mode and mode != "NONE":
            # A search reads each scored vector: 4 bytes (a 32-bit float) per dimension.
            searched = len(scored) * index["Dimensions"] * 4
            out["ConsumedCapacity"] = {"VectorSearchRequestBytes": float(searched)}
        return out

    def _vector_projection(self: Provider, item: dict, index: dict, schema) -> dict:  # type: ignore[misc]
        projection = index["Projection"]
        kind = projection["ProjectionType"]
        if kind == "ALL":
            return item
        keep = set(schema.key_names) | {e["AttributeName"] for e in index.get("SearchSchema") or ()}
        if kind == "INCLUDE":
            keep |= set(projection.get("NonKeyAttributes") or ())
        return {k: v for k, v in item.items() if k in keep}


def _equalities(tree: tuple, b: E.Bindings) -> dict[str, Any]:
    """The attributes a search condition gives by equality (AND of `name = :value` only)."""
    if tree[0] == "and":
        return {**_equalities(tree[1], b), **_equalities(tree[2], b)}
    if tree[0] == "cmp" and tree[1] == "=":
        left, right = tree[2], tree[3]
        if left[0] != "path" and right[0] == "path":
            left, right = right, left
        if left[0] == "path" and len(left[1]) == 1:
            return {b.name(left[1][0]): right}
    raise validation(
        "Invalid SearchConditionExpression: search schema attributes support only the equality operator (=),"
        " joined by AND"
    )
