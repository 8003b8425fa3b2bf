"""Inventory: what managed nodes report (PutInventory, ListInventoryEntries), queried across
the fleet (GetInventory), the schemas of its types (GetInventorySchema: AWS's own `AWS:*`
types as the inventory documentation lists their attributes) and deletions of custom types.
Inventory is reported by managed nodes; none is managed here (nodes.py), so every node id is
refused as AWS refuses ids it does not manage, and the fleet-wide views are empty."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from overcast.common.pagination import paginate_list
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ssm import nodes

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

_S, _N = "string", "number"
#: AWS's inventory types: name → (version, attributes with their data types).
SCHEMAS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "AWS:Application": ("1.1", (
        ("Name", _S), ("ApplicationType", _S), ("Publisher", _S), ("Version", _S), ("InstalledTime", _S),
        ("Architecture", _S), ("URL", _S), ("Summary", _S), ("PackageId", _S), ("Release", _S), ("Epoch", _S),
    )),
    "AWS:AWSComponent": ("1.0", (
        ("Name", _S), ("ApplicationType", _S), ("Publisher", _S), ("Version", _S), ("InstalledTime", _S),
        ("Architecture", _S), ("URL", _S),
    )),
    "AWS:File": ("1.0", (
        ("Name", _S), ("Size", _N), ("Description", _S), ("FileVersion", _S), ("InstalledDate", _S),
        ("ModificationTime", _S), ("LastAccessTime", _S), ("ProductName", _S), ("InstalledDir", _S),
        ("ProductLanguage", _S), ("CompanyName", _S), ("ProductVersion", _S),
    )),
    "AWS:InstanceInformation": ("1.0", (
        ("AgentType", _S), ("AgentVersion", _S), ("ComputerName", _S), ("InstanceId", _S), ("IpAddress", _S),
        ("PlatformName", _S), ("PlatformType", _S), ("PlatformVersion", _S), ("ResourceType", _S),
        ("InstanceStatus", _S),
    )),
    "AWS:Network": ("1.0", (
        ("Name", _S), ("SubnetMask", _S), ("Gateway", _S), ("DHCPServer", _S), ("DNSServer", _S),
        ("MacAddress", _S), ("IPV4", _S), ("IPV6", _S),
    )),
    "AWS:WindowsUpdate": ("1.0", (("HotFixId", _S), ("Description", _S), ("InstalledTime", _S), ("InstalledBy", _S))),
    "AWS:Service": ("1.0", (
        ("Name", _S), ("DisplayName", _S), ("ServiceType", _S), ("Status", _S), ("DependentServices", _S),
        ("ServicesDependedOn", _S), ("StartType", _S),
    )),
    "AWS:WindowsRegistry": ("1.0", (("KeyPath", _S), ("ValueName", _S), ("ValueType", _S), ("Value", _S))),
    "AWS:WindowsRole": ("1.0", (
        ("Name", _S), ("DisplayName", _S), ("Path", _S), ("FeatureType", _S), ("DependsOn", _S),
        ("Description", _S), ("Installed", _S), ("InstallState", _S), ("SubFeatures", _S),
        ("ServerComponentDescriptor", _S), ("Parent", _S),
    )),
    "AWS:Tag": ("1.0", (("Key", _S), ("Value", _S))),
    "AWS:ResourceGroup": ("1.0", (("Name", _S), ("Arn", _S))),
    "AWS:InstanceDetailedInformation": ("1.0", (
        ("CPUModel", _S), ("CPUCores", _N), ("CPUs", _N), ("CPUSpeedMHz", _N), ("CPUSockets", _N),
        ("CPUHyperThreadEnabled", _S), ("OSServicePack", _S),
    )),
    "AWS:ComplianceItem": ("1.0", (
        ("ComplianceType", _S), ("ExecutionId", _S), ("ExecutionType", _S), ("ExecutionTime", _S), ("Id", _S),
        ("Title", _S), ("Status", _S), ("Severity", _S), ("DocumentName", _S), ("DocumentVersion", _S),
        ("Classification", _S), ("PatchBaselineId", _S), ("PatchSeverity", _S), ("PatchState", _S),
        ("PatchGroup", _S), ("InstalledTime", _S),
    )),
    "AWS:ComplianceSummary": ("1.0", (
        ("ComplianceType", _S), ("PatchGroup", _S), ("PatchBaselineId", _S), ("Status", _S),
        ("OverallSeverity", _S), ("ExecutionId", _S), ("ExecutionType", _S), ("ExecutionTime", _S),
        ("CompliantCriticalCount", _N), ("CompliantHighCount", _N), ("CompliantMediumCount", _N),
        ("CompliantLowCount", _N), ("CompliantInformationalCount", _N), ("CompliantUnspecifiedCount", _N),
        ("NonCompliantCriticalCount", _N), ("NonCompliantHighCount", _N), ("NonCompliantMediumCount", _N),
        ("NonCompliantLowCount", _N), ("NonCompliantInformationalCount", _N), ("NonCompliantUnspecifiedCount", _N),
    )),
}  # fmt: skip
#: The types GetInventory aggregates (GetInventorySchema with Aggregator).
AGGREGATABLE = ("AWS:Application", "AWS:AWSComponent", "AWS:InstanceInformation", "AWS:Network", "AWS:WindowsUpdate",
                "AWS:Service", "AWS:WindowsRole", "AWS:Tag", "AWS:InstanceDetailedInformation")  # fmt: skip
_TYPE_NAME = re.compile(r"^(AWS|Custom):[a-zA-Z0-9_\-]{1,100}$")


def _bad_token() -> ServiceError:
    return ServiceError("InvalidNextToken", "The specified token isn't valid.")


def _invalid_type(name: str) -> ServiceError:
    return ServiceError("InvalidTypeNameException", f"The type name {name} is not valid.")


def _known_type(name: str) -> bool:
    return name in SCHEMAS


def _attribute(expression: str, code: str) -> None:
    """`TypeName.Attribute` of a known type, or AWS's error `code`."""
    type_name, _, attribute = expression.rpartition(".")
    if not _known_type(type_name) or attribute not in {name for name, _ in SCHEMAS[type_name][1]}:
        raise ServiceError(code, f"{expression} is not a valid inventory attribute.")


def _aggregators(aggregators: list[dict]) -> None:
    for aggregator in aggregators:
        if aggregator.get("Expression"):
            _attribute(aggregator["Expression"], "InvalidAggregatorException")
        for group in aggregator.get("Groups") or []:
            for entry in group.get("Filters") or []:
                _attribute(entry["Key"], "InvalidFilter")
        _aggregators(aggregator.get("Aggregators") or [])


class InventoryMixin:
    def put_inventory(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        nodes.require_managed(context, [params["InstanceId"]])
        return {}

    def list_inventory_entries(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        nodes.require_managed(context, [params["InstanceId"]])
        return {}

    def get_inventory(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        for entry in params.get("Filters") or []:
            _attribute(entry["Key"], "InvalidFilter")
        _aggregators(params.get("Aggregators") or [])
        for wanted in params.get("ResultAttributes") or []:
            if not _known_type(wanted["TypeName"]):
                raise ServiceError(
                    "InvalidResultAttributeException", f"{wanted['TypeName']} is not a valid type."
                )
        return paginate_list(
            self.store, "ssm", "GetInventory", params, [], bad_token=_bad_token, default_limit=50
        )

    def get_inventory_schema(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        wanted = params.get("TypeName")
        if wanted and not _TYPE_NAME.match(wanted):
            raise _invalid_type(wanted)
        names = list(AGGREGATABLE) if params.get("Aggregator") else list(SCHEMAS)
        if params.get("SubType"):
            names = []
        if wanted:
            names = [name for name in names if name == wanted]

        def render(name: str) -> dict:
            version, attributes = SCHEMAS[name]
            return {
                "TypeName": name,
                "Version": version,
                "Attributes": [{"Name": attr, "DataType": kind} for attr, kind in attributes],
            }

        return paginate_list(
            self.store,
            "ssm",
            "GetInventorySchema",
            params,
            names,
            bad_token=_bad_token,
            default_limit=50,
            render=render,
        )

    def delete_inventory(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        # Only custom types can be deleted, and a custom type exists once a node reports it:
        # none has been reported here.
        raise _invalid_type(params["TypeName"])

    def describe_inventory_deletions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        if params.get("DeletionId"):
            raise ServiceError(
                "InvalidDeletionIdException", f"The deletion ID {params['DeletionId']} is not valid."
            )
        return paginate_list(
            self.store,
            "ssm",
            "DescribeInventoryDeletions",
            params,
            [],
            bad_token=_bad_token,
            default_limit=50,
        )
