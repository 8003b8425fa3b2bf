"""Kinds of RDS resource that cannot be created here (zero-ETL
integrations, shard groups, tenant databases, capacity reservations, custom engine versions, cluster groups, data groups): none exists, so listing them
finds none, and naming one gets the error AWS gives for a missing one. Their Create operations
are listed in tests/integration/operation_gaps.txt."""

from __future__ import annotations

from typing import Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.rds.common import MixinBase, check_max_records

#: Describe operation → (the list it answers, the member naming one, its error code, message).
LISTINGS: dict[str, tuple[str, str | None, str, str]] = {
    "DescribeBranches": ("Branches", "BranchName", "BranchNotFoundFault", "Branch {} not found."),
    "DescribeDBCapacityReservations": (
        "DBCapacityReservations",
        "DBCapacityReservationIdentifier",
        "DBCapacityReservationNotFoundFault",
        "DB capacity reservation {} not found.",
    ),
    "DescribeDBClusterAutomatedBackups": ("DBClusterAutomatedBackups", None, "", ""),
    "DescribeDBClusterGroupAutomatedBackupMembers": (
        "DBClusterGroupAutomatedBackupMembers",
        "DBClusterGroupIdentifier",
        "DBClusterGroupNotFound",
        "DBClusterGroup {} not found.",
    ),
    "DescribeDBClusterGroupAutomatedBackups": (
        "DBClusterGroupAutomatedBackups",
        "DBClusterGroupIdentifier",
        "DBClusterGroupNotFound",
        "DBClusterGroup {} not found.",
    ),
    "DescribeDBClusterGroupSnapshots": (
        "DBClusterGroupSnapshots",
        "DBClusterGroupSnapshotIdentifier",
        "DBClusterGroupSnapshotNotFound",
        "DBClusterGroupSnapshot {} not found.",
    ),
    "DescribeDBClusterGroups": (
        "DBClusterGroups",
        "DBClusterGroupIdentifier",
        "DBClusterGroupNotFound",
        "DBClusterGroup {} not found.",
    ),
    "DescribeDBClusterSnapshotDataGroups": (
        "DBClusterSnapshotDataGroups",
        "DataGroupIdentifier",
        "DataGroupNotFoundFault",
        "DataGroup {} not found.",
    ),
    "DescribeDataGroupRestoreWindows": (
        "DataGroupRestoreWindows",
        "DataGroupIdentifier",
        "DataGroupNotFoundFault",
        "DataGroup {} not found.",
    ),
    "DescribeDataGroups": (
        "DataGroups",
        "DataGroupIdentifier",
        "DataGroupNotFoundFault",
        "DataGroup {} not found.",
    ),
    "DescribeDBRecommendations": ("DBRecommendations", None, "", ""),
    "DescribeDBShardGroups": (
        "DBShardGroups",
        "DBShardGroupIdentifier",
        "DBShardGroupNotFound",
        "DBShardGroup {} not found.",
    ),
    "DescribeDBSnapshotTenantDatabases": ("DBSnapshotTenantDatabases", None, "", ""),
    "DescribeTenantDatabases": (
        "TenantDatabases",
        "TenantDBName",
        "TenantDatabaseNotFound",
        "TenantDatabase {} not found.",
    ),
    "DescribeIntegrations": (
        "Integrations",
        "IntegrationIdentifier",
        "IntegrationNotFoundFault",
        "Integration {} not found.",
    ),
}

#: Operations on one named resource of those kinds → (the member naming it, error code, message).
NAMED: dict[str, tuple[str, str, str]] = {
    **{
        op: ("IntegrationIdentifier", "IntegrationNotFoundFault", "Integration {} not found.")
        for op in ("DeleteIntegration", "ModifyIntegration", "ResyncIntegration")
    },
    **{
        op: ("DBShardGroupIdentifier", "DBShardGroupNotFound", "DBShardGroup {} not found.")
        for op in ("DeleteDBShardGroup", "ModifyDBShardGroup", "RebootDBShardGroup")
    },
    **{
        op: ("TenantDBName", "TenantDatabaseNotFound", "TenantDatabase {} not found.")
        for op in ("DeleteTenantDatabase", "ModifyTenantDatabase")
    },
    **{
        op: ("EngineVersion", "CustomDBEngineVersionNotFoundFault", "Custom engine version {} not found.")
        for op in ("DeleteCustomDBEngineVersion", "ModifyCustomDBEngineVersion")
    },
    "DeleteDBClusterAutomatedBackup": (
        "DbClusterResourceId",
        "DBClusterAutomatedBackupNotFoundFault",
        "No automated backup found for DB cluster resource {}.",
    ),
    **{
        op: (
            "DBCapacityReservationIdentifier",
            "DBCapacityReservationNotFoundFault",
            "DB capacity reservation {} not found.",
        )
        for op in ("CancelDBCapacityReservation", "ModifyDBCapacityReservation")
    },
    **{
        op: ("DataGroupIdentifier", "DataGroupNotFoundFault", "DataGroup {} not found.")
        for op in ("DeleteDataGroup", "ModifyDataGroup", "MoveDataGroup")
    },
    **{
        op: ("DBClusterGroupIdentifier", "DBClusterGroupNotFound", "DBClusterGroup {} not found.")
        for op in (
            "DeleteDBClusterGroup",
            "ModifyDBClusterGroup",
            "AddDBClusterToDBClusterGroup",
            "RemoveDBClusterFromDBClusterGroup",
        )
    },
    "DeleteDBClusterGroupSnapshot": (
        "DBClusterGroupSnapshotIdentifier",
        "DBClusterGroupSnapshotNotFound",
        "DBClusterGroupSnapshot {} not found.",
    ),
    "DeleteDBClusterGroupAutomatedBackup": (
        "DBClusterGroupResourceId",
        "DBClusterGroupAutomatedBackupNotFound",
        "No automated backup found for DB cluster group {}.",
    ),
    "DeleteBranch": ("BranchName", "BranchNotFoundFault", "Branch {} not found."),
    "ModifyDBRecommendation": ("RecommendationId", "ResourceNotFoundFault", "Recommendation {} not found."),
}


def _listing(operation: str) -> Any:
    list_key, member, code, message = LISTINGS[operation]

    def handler(self: Any, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        if member is not None and params.get(member):
            raise ServiceError(code, message.format(params[member]), 404)
        return {list_key: []}

    handler.__name__ = operation
    return handler


def _named(operation: str) -> Any:
    member, code, message = NAMED[operation]

    def handler(self: Any, context: RequestContext, params: dict) -> dict:
        raise ServiceError(code, message.format(params.get(member, "")), 404)

    handler.__name__ = operation
    return handler


def _snake(name: str) -> str:
    from botocore import xform_name

    return str(xform_name(name))


class AbsentMixin(MixinBase):
    """Handlers for the operations of LISTINGS and NAMED, one method each (set below)."""


for _operation in LISTINGS:
    setattr(AbsentMixin, _snake(_operation), _listing(_operation))
for _operation in NAMED:
    setattr(AbsentMixin, _snake(_operation), _named(_operation))
