"""OpsCenter OpsItems: Create/Get/Update/Delete/DescribeOpsItems, their related items
(Associate/DisassociateOpsItemRelatedItem, ListOpsItemRelatedItems) and their events
(ListOpsItemEvents), with OperationalData's reserved /aws/ keys read as AWS reads them:
/aws/dedup deduplicates open OpsItems, /aws/resources and /aws/automations feed the
ResourceId and AutomationId filters."""

from __future__ import annotations

import json
import secrets
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from overcast.common import jsontext
from overcast.common.arns import build_arn
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ssm import ops_filters, records

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

#: The /aws/ keys OperationalData may use; every other key under a reserved prefix is refused.
AWS_KEYS = frozenset(
    {"/aws/resources", "/aws/automations", "/aws/dedup", "/aws/insights", "/aws/accessrequest"}
)
_RESERVED = ("amazon", "aws", "amzn", "ssm", "/amazon", "/aws", "/amzn", "/ssm")
CATEGORIES = ("Availability", "Cost", "Performance", "Recovery", "Security")
SEVERITIES = ("1", "2", "3", "4")
#: AWS's limit on an OpsItem's OperationalData, in bytes of its JSON.
DATA_LIMIT = 20 * 1024
_OPEN = frozenset({"Open", "InProgress", "Pending"})
_TIMES = ("ActualStartTime", "ActualEndTime", "PlannedStartTime", "PlannedEndTime")
SUMMARY_FIELDS = (
    "CreatedBy", "CreatedTime", "LastModifiedBy", "LastModifiedTime", "Priority", "Source", "Status", "OpsItemId",
    "Title", "OperationalData", "Category", "Severity", "OpsItemType", *_TIMES,
)  # fmt: skip
_EDITABLE = ("Description", "Notifications", "Priority", "RelatedOpsItems", "Status", "Title", "Category",
             "Severity", *_TIMES)  # fmt: skip
_ASSOCIATION_TYPES = ("IsParentOf", "RelatesTo")


def _epoch(value: Any) -> Any:
    """A timestamp member as epoch seconds, the form the filters compare."""
    return value.timestamp() if isinstance(value, datetime) else value


def invalid_parameter(names: list[str], message: str) -> ServiceError:
    return ServiceError("OpsItemInvalidParameterException", message, ParameterNames=names)


def item_missing(item_id: str) -> ServiceError:
    return ServiceError("OpsItemNotFoundException", f"OpsItemId {item_id} not found.")


def _check_data(data: dict[str, Any]) -> None:
    for key in data:
        if key not in AWS_KEYS and key.lower().startswith(_RESERVED):
            raise invalid_parameter(
                ["OperationalData"],
                f"OperationalData key {key} is not valid: keys can't begin with amazon, aws, amzn, ssm, "
                "/amazon, /aws, /amzn or /ssm.",
            )
    if len(json.dumps(data)) > DATA_LIMIT:
        raise invalid_parameter(["OperationalData"], "OperationalData exceeds the maximum size of 20 KB.")


def _check_fields(record: dict[str, Any]) -> None:
    if record.get("Category") is not None and record["Category"] not in CATEGORIES:
        raise invalid_parameter(["Category"], f"Category must be one of {', '.join(CATEGORIES)}.")
    if record.get("Severity") is not None and record["Severity"] not in SEVERITIES:
        raise invalid_parameter(["Severity"], f"Severity must be one of {', '.join(SEVERITIES)}.")


def _dedup(data: dict[str, Any]) -> str | None:
    entry = data.get("/aws/dedup")
    if not entry:
        return None
    try:
        found = jsontext.loads(entry.get("Value", ""))
    except ValueError:
        raise invalid_parameter(
            ["OperationalData"], "The /aws/dedup value must be JSON with a dedupString."
        ) from None
    return str(found.get("dedupString")) if isinstance(found, dict) and found.get("dedupString") else None


class OpsItemMixin:
    def _ops_item(self: Provider, context: RequestContext, item_id: str) -> dict[str, Any]:  # type: ignore[misc]
        record = self.ops_items.get(self._scope(context), item_id)
        if record is None:
            raise item_missing(item_id)
        return record

    def _ops_event(  # type: ignore[misc]
        self: Provider, where: str, item: dict[str, Any], detail_type: str, detail: dict, by: str
    ) -> None:
        now = time.time()
        event_id = records.new_uuid()
        self.ops_events.put(
            where,
            f"{now:020.6f}/{event_id}",
            {"OpsItemId": item["OpsItemId"], "EventId": event_id, "Source": "aws.ssm", "DetailType": detail_type,
             "Detail": json.dumps(detail, default=str, sort_keys=True), "CreatedBy": {"Arn": by}, "CreatedTime": now},
        )  # fmt: skip

    def create_ops_item(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where, now = self._scope(context), time.time()
        data = params.get("OperationalData") or {}
        _check_data(data)
        _check_fields(params)
        tags = self._checked_tags(params.get("Tags"))
        with self.store.transaction():
            dedup = _dedup(data)
            if dedup is not None:
                for _, other in self.ops_items.scan(where):
                    if other["Status"] in _OPEN and _dedup(other.get("OperationalData") or {}) == dedup:
                        raise ServiceError(
                            "OpsItemAlreadyExistsException",
                            f"An open OpsItem with dedupString {dedup} already exists.",
                            OpsItemId=other["OpsItemId"],
                        )
            item_id = "oi-" + secrets.token_hex(6)
            arn = build_arn("ssm", context.region, context.account, f"opsitem/{item_id}")
            record: dict[str, Any] = {
                "OpsItemId": item_id,
                "OpsItemArn": arn,
                "Title": params["Title"],
                "Description": params["Description"],
                "Source": params["Source"],
                "Status": "Open",
                "OpsItemType": params.get("OpsItemType") or "/aws/issue",
                "OperationalData": data,
                "CreatedBy": context.principal_arn,
                "LastModifiedBy": context.principal_arn,
                "CreatedTime": now,
                "LastModifiedTime": now,
                "Version": records.new_uuid(),
                "AccountId": params.get("AccountId") or context.account,
                "tags": tags,
            }
            for field in ("Notifications", "Priority", "RelatedOpsItems", "Category", "Severity", *_TIMES):
                if params.get(field) is not None:
                    record[field] = _epoch(params[field])
            self.ops_items.put(where, item_id, record)
            self._ops_event(
                where, record, "OpsItem Create", {"Title": record["Title"]}, context.principal_arn
            )
        return {"OpsItemId": item_id, "OpsItemArn": arn}

    def get_ops_item(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._ops_item(context, params["OpsItemId"])
        # AWS lists an OpsItem's notifications and related OpsItems even when there are none.
        item: dict[str, Any] = {"Notifications": [], "RelatedOpsItems": []}
        item.update((k, v) for k, v in record.items() if k not in ("tags", "AccountId"))
        return {"OpsItem": item}

    def update_ops_item(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where = self._scope(context)
        _check_fields(params)
        with self.store.transaction():
            record = self._ops_item(context, params["OpsItemId"])
            changed = {field: _epoch(params[field]) for field in _EDITABLE if params.get(field) is not None}
            record.update(changed)
            data = dict(record.get("OperationalData") or {})
            data.update(params.get("OperationalData") or {})
            for key in params.get("OperationalDataToDelete") or ():
                data.pop(key, None)
            _check_data(data)
            record["OperationalData"] = data
            record["LastModifiedBy"] = context.principal_arn
            record["LastModifiedTime"] = time.time()
            record["Version"] = records.new_uuid()
            self.ops_items.put(where, record["OpsItemId"], record)
            self._ops_event(where, record, "OpsItem Update", changed, context.principal_arn)
        return {}

    def delete_ops_item(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where, item_id = self._scope(context), params["OpsItemId"]
        with self.store.transaction():
            # AWS answers an OpsItem that is not there as deleted: the call is idempotent.
            self.ops_items.delete(where, item_id)
            for key, _ in list(self.ops_related.scan(where, prefix=item_id + "/")):
                self.ops_related.delete(where, key)
        return {}

    def describe_ops_items(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        filters = params.get("OpsItemFilters") or []
        ops_filters.check(filters)
        found = [
            {field: record[field] for field in SUMMARY_FIELDS if record.get(field) is not None}
            for _, record in self.ops_items.scan(self._scope(context))
            if ops_filters.matches(record, filters)
        ]
        found.sort(key=lambda item: item["CreatedTime"], reverse=True)
        return records.page(self.store, "DescribeOpsItems", params, found)

    # -- related items -----------------------------------------------------------------------

    def associate_ops_item_related_item(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where, item_id = self._scope(context), params["OpsItemId"]
        if params["AssociationType"] not in _ASSOCIATION_TYPES:
            raise invalid_parameter(
                ["AssociationType"], f"AssociationType must be one of {', '.join(_ASSOCIATION_TYPES)}."
            )
        with self.store.transaction():
            self._ops_item(context, item_id)
            for _, related in self.ops_related.scan(where, prefix=item_id + "/"):
                if related["ResourceUri"] == params["ResourceUri"]:
                    raise ServiceError(
                        "OpsItemRelatedItemAlreadyExistsException",
                        f"The resource {params['ResourceUri']} is already associated with OpsItem {item_id}.",
                        ResourceUri=params["ResourceUri"],
                        OpsItemId=item_id,
                    )
            association_id = records.new_uuid()
            now, by = time.time(), {"Arn": context.principal_arn}
            self.ops_related.put(
                where,
                f"{item_id}/{association_id}",
                {"OpsItemId": item_id, "AssociationId": association_id, "ResourceType": params["ResourceType"],
                 "AssociationType": params["AssociationType"], "ResourceUri": params["ResourceUri"],
                 "CreatedBy": by, "CreatedTime": now, "LastModifiedBy": by, "LastModifiedTime": now},
            )  # fmt: skip
        return {"AssociationId": association_id}

    def disassociate_ops_item_related_item(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where, item_id = self._scope(context), params["OpsItemId"]
        with self.store.transaction():
            self._ops_item(context, item_id)
            if not self.ops_related.delete(where, f"{item_id}/{params['AssociationId']}"):
                raise ServiceError(
                    "OpsItemRelatedItemAssociationNotFoundException",
                    f"The association {params['AssociationId']} doesn't exist.",
                )
        return {}

    def list_ops_item_related_items(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        item_id = params.get("OpsItemId")
        prefix = item_id + "/" if item_id else ""
        filters = params.get("Filters") or []
        found = [
            related
            for _, related in self.ops_related.scan(self._scope(context), prefix=prefix)
            if all(related.get(f["Key"]) in f["Values"] for f in filters)
        ]
        return records.page(self.store, "ListOpsItemRelatedItems", params, found)

    def list_ops_item_events(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        wanted = {value for f in params.get("Filters") or () for value in f["Values"]}
        found = [
            event
            for _, event in self.ops_events.scan(self._scope(context), reverse=True)
            if not wanted or event["OpsItemId"] in wanted
        ]
        return records.page(self.store, "ListOpsItemEvents", params, found)
