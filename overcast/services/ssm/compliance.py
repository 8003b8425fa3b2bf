"""Compliance (PutComplianceItems, ListComplianceItems, ListComplianceSummaries,
ListResourceComplianceSummaries): the items put per resource and compliance type, and the
summaries AWS aggregates from them — a resource is non-compliant for a type when one of its
items is, and its overall severity is that of its most severe item of that status."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ssm import records

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

#: The resource type AWS takes compliance for, and the ids it names (a node's id).
RESOURCE_TYPE = "ManagedInstance"
_NODE_ID = re.compile(r"^(i-[0-9a-f]{8}|i-[0-9a-f]{17}|mi-[0-9a-f]{17})$")
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED")
_SEVERITY_FIELDS = dict(zip(SEVERITIES, ("CriticalCount", "HighCount", "MediumCount", "LowCount",
                                         "InformationalCount", "UnspecifiedCount"), strict=True))  # fmt: skip
#: AWS's limits: items per call, bytes per item, custom compliance types per resource.
ITEM_LIMIT = 10000
ITEM_BYTES = 800 * 1024
CUSTOM_TYPE_LIMIT = 10
_ITEM_FILTERS = ("ComplianceType", "Status", "Severity", "Id", "Title", "ExecutionId", "ExecutionType")
_SUMMARY_FILTERS = ("ComplianceType", "Status", "OverallSeverity", "ResourceId", "ResourceType")


def _invalid_filter(key: str) -> ServiceError:
    return ServiceError("InvalidFilter", f"The filter key {key} is not valid.")


def _operator(kind: str, wanted: list[str]) -> Callable[[str], bool]:
    tests: dict[str, Callable[[str], bool]] = {
        "EQUAL": lambda v: v in wanted,
        "NOT_EQUAL": lambda v: v not in wanted,
        "BEGIN_WITH": lambda v: any(v.startswith(w) for w in wanted),
        "LESS_THAN": lambda v: any(v < w for w in wanted),
        "GREATER_THAN": lambda v: any(v > w for w in wanted),
    }
    return tests[kind]


def _filter(
    filters: list[dict[str, Any]] | None, allowed: tuple[str, ...]
) -> Callable[[dict[str, Any]], bool]:
    tests: list[tuple[str, Callable[[str], bool]]] = []
    for given in filters or ():
        key = given.get("Key") or ""
        if key not in allowed:
            raise _invalid_filter(key)
        tests.append((key, _operator(given.get("Type") or "EQUAL", list(given.get("Values") or []))))
    return lambda row: all(test(str(row.get(key, ""))) for key, test in tests)


def _severity_counts(items: list[dict[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(_SEVERITY_FIELDS.values(), 0)
    for item in items:
        counts[_SEVERITY_FIELDS[item["Severity"]]] += 1
    return counts


def _most_severe(items: list[dict[str, Any]]) -> str:
    return min((item["Severity"] for item in items), key=SEVERITIES.index, default="UNSPECIFIED")


def resource_summary(entry: dict[str, Any]) -> dict[str, Any]:
    """One resource's summary for one compliance type."""
    items = entry["Items"]
    compliant = [i for i in items if i["Status"] == "COMPLIANT"]
    failing = [i for i in items if i["Status"] != "COMPLIANT"]
    return {
        "ComplianceType": entry["ComplianceType"],
        "ResourceType": entry["ResourceType"],
        "ResourceId": entry["ResourceId"],
        "Status": "NON_COMPLIANT" if failing else "COMPLIANT",
        "OverallSeverity": _most_severe(failing or compliant),
        "ExecutionSummary": entry["ExecutionSummary"],
        "CompliantSummary": {
            "CompliantCount": len(compliant),
            "SeveritySummary": _severity_counts(compliant),
        },
        "NonCompliantSummary": {
            "NonCompliantCount": len(failing),
            "SeveritySummary": _severity_counts(failing),
        },
    }


class ComplianceMixin:
    def put_compliance_items(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        resource_type, resource_id = params["ResourceType"], params["ResourceId"]
        if resource_type != RESOURCE_TYPE:
            raise ServiceError("InvalidResourceType", "The resource type is not valid.")
        if not _NODE_ID.match(resource_id):
            raise ServiceError(
                "InvalidResourceId", "The resource ID is not valid. Verify the ID and try again."
            )
        given = params["Items"]
        if len(given) > ITEM_LIMIT:
            raise ServiceError(
                "TotalSizeLimitExceededException", f"More than {ITEM_LIMIT} items in one call."
            )
        for item in given:
            if len(json.dumps(item, default=str)) > ITEM_BYTES:
                raise ServiceError(
                    "ItemSizeLimitExceededException",
                    "A compliance item exceeds 800 KB.",
                    TypeName=params["ComplianceType"],
                )
        where, compliance_type = self._scope(context), params["ComplianceType"]
        prefix = f"{resource_type}|{resource_id}|"
        key = prefix + compliance_type
        with self.store.transaction():
            entry = self.compliance.get(where, key)
            if entry is None and compliance_type.startswith("Custom:"):
                custom = sum(1 for k, _ in self.compliance.scan(where, prefix=prefix) if "|Custom:" in k)
                if custom >= CUSTOM_TYPE_LIMIT:
                    raise ServiceError(
                        "ComplianceTypeCountLimitExceededException",
                        f"A resource can have at most {CUSTOM_TYPE_LIMIT} custom compliance types.",
                    )
            items = [dict(item) for item in given]
            if params.get("UploadType") == "PARTIAL" and entry is not None:
                # A partial upload replaces the items it names by Id and keeps the others.
                named = {item.get("Id") for item in items}
                items = [old for old in entry["Items"] if old.get("Id") not in named] + items
            self.compliance.put(
                where, key,
                {"ResourceType": resource_type, "ResourceId": resource_id, "ComplianceType": compliance_type,
                 "ExecutionSummary": params["ExecutionSummary"], "ItemContentHash": params.get("ItemContentHash"),
                 "Items": items},
            )  # fmt: skip
        return {}

    def _compliance_entries(self: Provider, context: RequestContext) -> list[dict[str, Any]]:  # type: ignore[misc]
        return [entry for _, entry in self.compliance.scan(self._scope(context))]

    def list_compliance_items(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        types = params.get("ResourceTypes") or []
        for resource_type in types:
            if resource_type != RESOURCE_TYPE:
                raise ServiceError("InvalidResourceType", "The resource type is not valid.")
        ids = params.get("ResourceIds") or []
        keep = _filter(params.get("Filters"), _ITEM_FILTERS)
        found = []
        for entry in self._compliance_entries(context):
            if (ids and entry["ResourceId"] not in ids) or (types and entry["ResourceType"] not in types):
                continue
            for item in entry["Items"]:
                row = {
                    "ComplianceType": entry["ComplianceType"],
                    "ResourceType": entry["ResourceType"],
                    "ResourceId": entry["ResourceId"],
                    **item,
                    "ExecutionSummary": entry["ExecutionSummary"],
                }
                flat = {**row, **{k: v for k, v in entry["ExecutionSummary"].items() if k != "ExecutionTime"}}
                if keep(flat):
                    found.append(row)
        return records.page(self.store, "ListComplianceItems", params, found)

    def list_resource_compliance_summaries(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        keep = _filter(params.get("Filters"), _SUMMARY_FILTERS)
        found = [s for s in map(resource_summary, self._compliance_entries(context)) if keep(s)]
        return records.page(self.store, "ListResourceComplianceSummaries", params, found)

    def list_compliance_summaries(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        keep = _filter(params.get("Filters"), _SUMMARY_FILTERS)
        by_type: dict[str, list[dict[str, Any]]] = {}
        for summary in map(resource_summary, self._compliance_entries(context)):
            if keep(summary):
                by_type.setdefault(summary["ComplianceType"], []).append(summary)
        found = []
        for compliance_type, summaries in sorted(by_type.items()):
            compliant = [{"Severity": s["OverallSeverity"]} for s in summaries if s["Status"] == "COMPLIANT"]
            failing = [{"Severity": s["OverallSeverity"]} for s in summaries if s["Status"] != "COMPLIANT"]
            found.append(
                {
                    "ComplianceType": compliance_type,
                    "CompliantSummary": {
                        "CompliantCount": len(compliant),
                        "SeveritySummary": _severity_counts(compliant),
                    },
                    "NonCompliantSummary": {
                        "NonCompliantCount": len(failing),
                        "SeveritySummary": _severity_counts(failing),
                    },
                }
            )
        return records.page(self.store, "ListComplianceSummaries", params, found)
