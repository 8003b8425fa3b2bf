"""OpsMetadata (Create/Get/Update/Delete/ListOpsMetadata): key-value metadata attached to a
resource id (Application Manager's `/aws/ssm/<app>/appmanager`, ...), named by an ARN
built from that id, and GetOpsSummary over the OpsItems really stored."""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from overcast.common.arns import build_arn
from overcast.common.pagination import decode_token, encode_token
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ssm import records
from overcast.services.ssm.ops_items import _SUMMARY

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

_RESOURCE_ID = re.compile(r"^/?[a-zA-Z0-9\-_./]+$")
#: AWS's limit on the metadata keys of one OpsMetadata object.
KEY_LIMIT = 5
_LIST_FILTERS = ("ResourceId",)
_OPS_ITEM_TYPE = "AWS:OpsItem"
_LISTED = ("ResourceId", "OpsMetadataArn", "LastModifiedDate", "LastModifiedUser", "CreationDate")


def _invalid(message: str) -> ServiceError:
    return ServiceError("OpsMetadataInvalidArgumentException", message)


def _missing(arn: str) -> ServiceError:
    return ServiceError("OpsMetadataNotFoundException", f"OpsMetadata object {arn} does not exist.")


def _key_of(arn: str) -> str:
    """The stored key (the resource id without its leading slash) an OpsMetadata ARN names."""
    return arn.split(":opsmetadata/", 1)[-1]


def _check_keys(metadata: dict[str, Any]) -> None:
    if len(metadata) > KEY_LIMIT:
        raise ServiceError(
            "OpsMetadataKeyLimitExceededException",
            f"An OpsMetadata object can have at most {KEY_LIMIT} metadata keys.",
        )


class OpsMetadataMixin:
    def create_ops_metadata(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        resource_id = params["ResourceId"]
        if not _RESOURCE_ID.match(resource_id):
            raise _invalid(f"ResourceId {resource_id} is not valid.")
        metadata = params.get("Metadata") or {}
        _check_keys(metadata)
        key = resource_id.lstrip("/")
        arn = build_arn("ssm", context.region, context.account, f"opsmetadata/{key}")
        where, now = self._scope(context), time.time()
        tags = self._checked_tags(params.get("Tags"))
        with self.store.transaction():
            if self.ops_metadata.get(where, key) is not None:
                raise ServiceError(
                    "OpsMetadataAlreadyExistsException",
                    f"OpsMetadata object for {resource_id} already exists.",
                )
            self.ops_metadata.put(
                where, key,
                {"ResourceId": resource_id, "OpsMetadataArn": arn, "Metadata": metadata, "CreationDate": now,
                 "LastModifiedDate": now, "LastModifiedUser": context.principal_arn, "tags": tags},
            )  # fmt: skip
        return {"OpsMetadataArn": arn}

    def _ops_metadata_record(self: Provider, context: RequestContext, arn: str) -> dict[str, Any]:  # type: ignore[misc]
        record = self.ops_metadata.get(self._scope(context), _key_of(arn))
        if record is None:
            raise _missing(arn)
        return record

    def get_ops_metadata(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._ops_metadata_record(context, params["OpsMetadataArn"])
        keys = sorted(record["Metadata"])
        start = 0
        if params.get("NextToken"):
            try:
                start = int(
                    decode_token(self.store, "GetOpsMetadata", params["NextToken"], record["OpsMetadataArn"])
                )
            except (ValueError, TypeError):
                raise _invalid("The NextToken is not valid.") from None
        end = start + (params.get("MaxResults") or 10)
        out: dict[str, Any] = {
            "ResourceId": record["ResourceId"],
            "Metadata": {k: record["Metadata"][k] for k in keys[start:end]},
        }
        if end < len(keys):
            out["NextToken"] = encode_token(self.store, "GetOpsMetadata", end, record["OpsMetadataArn"])
        return out

    def update_ops_metadata(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            record = self._ops_metadata_record(context, params["OpsMetadataArn"])
            metadata = dict(record["Metadata"])
            missing = [k for k in params.get("KeysToDelete") or () if k not in metadata]
            if missing:
                raise _invalid(f"Metadata keys {', '.join(missing)} do not exist.")
            metadata.update(params.get("MetadataToUpdate") or {})
            for key in params.get("KeysToDelete") or ():
                metadata.pop(key, None)
            _check_keys(metadata)
            record.update(
                Metadata=metadata, LastModifiedDate=time.time(), LastModifiedUser=context.principal_arn
            )
            self.ops_metadata.put(self._scope(context), _key_of(record["OpsMetadataArn"]), record)
        return {"OpsMetadataArn": record["OpsMetadataArn"]}

    def delete_ops_metadata(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            self._ops_metadata_record(context, params["OpsMetadataArn"])
            self.ops_metadata.delete(self._scope(context), _key_of(params["OpsMetadataArn"]))
        return {}

    def list_ops_metadata(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        filters = params.get("Filters") or []
        for given in filters:
            if given["Key"] not in _LIST_FILTERS:
                raise _invalid(
                    f"Filter key {given['Key']} is not valid. Valid keys: {', '.join(_LIST_FILTERS)}."
                )
        found = [
            {k: record[k] for k in _LISTED}
            for _, record in self.ops_metadata.scan(self._scope(context))
            if all(record["ResourceId"] in f["Values"] for f in filters)
        ]
        return records.page(self.store, "ListOpsMetadata", params, found)

    # -- GetOpsSummary -----------------------------------------------------------------------

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
    entry = {field: record[field] for field in _SUMMARY if record.get(field) is not None}
    entry["_capture"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record["LastModifiedTime"]))
    return entry


def _content(item: dict[str, Any]) -> dict[str, str]:
    return {
        k: (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(v)) if k.endswith("Time") else str(v))
        for k, v in item.items()
        if not k.startswith("_") and not isinstance(v, dict | list)
    }


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
