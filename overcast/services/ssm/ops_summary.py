"""GetOpsSummary over the OpsItems really stored: each OpsItem as an AWS:OpsItem entity, or
the entities of its aggregators (count by an attribute, sum, ranges), after the OpsFilters
(`AWS:OpsItem.<attribute>` with Equal, NotEqual, BeginWith, LessThan, GreaterThan, Exists).
No other OpsData type is reported to Overcast, so other type names find nothing."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from overcast.common.times import iso_millis
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ssm import records

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

_OPS_ITEM_TYPE = "AWS:OpsItem"
_TIMES = ("ActualStartTime", "ActualEndTime", "PlannedStartTime", "PlannedEndTime")


class OpsSummaryMixin:
    def get_ops_summary(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where = self._scope(context)
        if params.get("SyncName") and self.data_syncs.get(where, params["SyncName"]) is None:
            raise ServiceError(
                "ResourceDataSyncNotFoundException",
                f"Resource data sync {params['SyncName']} is not found.",
                SyncName=params["SyncName"],
            )
        items = [
            _ops_entry(record)
            for _, record in self.ops_items.scan(where)
            if _passes(_ops_entry(record), params.get("Filters") or [])
        ]
        aggregators = params.get("Aggregators") or []
        entities: list[dict[str, Any]] = []
        if aggregators:
            for aggregator in aggregators:
                entities.extend(_aggregate(aggregator, items))
        elif all(r["TypeName"] == _OPS_ITEM_TYPE for r in params.get("ResultAttributes") or ()):
            entities = [
                {"Id": item["OpsItemId"], "Data": {_OPS_ITEM_TYPE: {"CaptureTime": item["_capture"],
                                                                    "Content": [_content(item)]}}}
                for item in items
            ]  # fmt: skip
        return records.page(self.store, "GetOpsSummary", params, entities)


def _ops_entry(record: dict[str, Any]) -> dict[str, Any]:
    """An OpsItem as GetOpsSummary's content shows it: every attribute as text, times with
    milliseconds, OperationalData as JSON with lowercase type and value (as AWS's output)."""
    entry: dict[str, Any] = {
        field: str(record[field])
        for field in ("AccountId", "Category", "CreatedBy", "Description", "LastModifiedBy", "OpsItemId",
                      "OpsItemType", "Priority", "Severity", "Source", "Status", "Title")
        if record.get(field) is not None
    }  # fmt: skip
    for field in ("CreatedTime", "LastModifiedTime", *_TIMES):
        if record.get(field) is not None:
            entry[field] = iso_millis(record[field])
    data = record.get("OperationalData") or {}
    entry["OperationalData"] = (
        json.dumps(
            {k: {"type": v.get("Type", "String"), "value": v.get("Value", "")} for k, v in data.items()}
        )
        if data
        else ""
    )
    entry["Notifications"] = json.dumps(record["Notifications"]) if record.get("Notifications") else ""
    entry["RelatedItems"] = json.dumps(record["RelatedOpsItems"]) if record.get("RelatedOpsItems") else ""
    entry["_capture"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record["LastModifiedTime"]))
    return entry


def _content(item: dict[str, Any]) -> dict[str, str]:
    return {k: v for k, v in item.items() if not k.startswith("_")}


def _attribute(item: dict[str, Any], key: str) -> str | None:
    """The value an OpsFilter key ("AWS:OpsItem.Status", or the bare attribute) names."""
    name = key.split(".", 1)[1] if "." in key else key
    value = _content(item).get(name)
    return value


def _passes(item: dict[str, Any], filters: list[dict[str, Any]]) -> bool:
    for given in filters:
        key = given["Key"]
        if "." in key and not key.startswith(_OPS_ITEM_TYPE + "."):
            return False
        value, operator = _attribute(item, key), given.get("Type") or "Equal"
        values = given["Values"]
        if operator == "Exists":
            if value is None:
                return False
            continue
        if value is None:
            return False
        if operator == "NotEqual":
            if not all(_compare(operator, value, v) for v in values):
                return False
        elif not any(_compare(operator, value, v) for v in values):
            return False
    return True


def _compare(operator: str, value: str, wanted: str) -> bool:
    if operator == "Equal":
        return value == wanted
    if operator == "NotEqual":
        return value != wanted
    if operator == "BeginWith":
        return value.startswith(wanted)
    if operator == "LessThan":
        return _number(value) < _number(wanted)
    return _number(value) > _number(wanted)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ServiceError("InvalidFilter", f"The filter value {text} is not a number.") from None


def _aggregate(aggregator: dict[str, Any], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    kind = aggregator.get("AggregatorType") or "count"
    type_name = aggregator.get("TypeName") or _OPS_ITEM_TYPE
    attribute = aggregator.get("AttributeName")
    if kind not in ("count", "sum", "range") or not attribute:
        raise ServiceError(
            "InvalidAggregatorException", "The aggregator needs an AggregatorType and an AttributeName."
        )
    if type_name != _OPS_ITEM_TYPE:
        return []  # No other OpsData type is reported to Overcast.
    chosen = [item for item in items if _passes(item, aggregator.get("Filters") or [])]
    if kind == "sum":
        total = sum(_number(_attribute(item, attribute) or "0") for item in chosen)
        return [{"Id": attribute, "Data": {type_name: {"Content": [{"Sum": f"{total:g}"}]}}}]
    if kind == "range":
        return [
            _range(type_name, attribute, name, bounds, chosen)
            for name, bounds in (aggregator.get("Values") or {}).items()
        ]
    counts = Counter(_attribute(item, attribute) for item in chosen)
    return [
        {"Id": str(value), "Data": {type_name: {"Content": [{attribute: str(value), "Count": str(count)}]}}}
        for value, count in sorted(counts.items(), key=lambda pair: str(pair[0]))
        if value is not None
    ]


def _range(
    type_name: str, attribute: str, name: str, bounds: str, items: list[dict[str, Any]]
) -> dict[str, Any]:
    low_text, _, high_text = bounds.partition("-")
    try:
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise ServiceError(
            "InvalidAggregatorException", f"Range {bounds} is not of the form low-high."
        ) from None
    count = sum(1 for item in items if low <= _number(_attribute(item, attribute) or "nan") <= high)
    return {"Id": name, "Data": {type_name: {"Content": [{attribute: name, "Count": str(count)}]}}}
