"""Resource data syncs (Create/Delete/List/UpdateResourceDataSync): SyncToDestination names an
S3 bucket that must exist (asked of S3's provider), SyncFromSource names the accounts and
Regions whose OpsData Explorer gathers. Overcast has no AWS Organizations, so a source of type
AWS_ORGANIZATIONS records the state AWS gives an account outside any organization,
OrganizationNotExists. Nothing is copied yet: a sync carries no LastStatus until one ran."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ssm import records

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

#: AWS's quota of resource data syncs per account and Region.
SYNC_LIMIT = 5
TO_DESTINATION, FROM_SOURCE = "SyncToDestination", "SyncFromSource"
SOURCE_TYPES = ("AWS_ORGANIZATIONS", "SingleAccountMultiRegions")
ORGANIZATION_SOURCE_TYPES = ("EntireOrganization", "OrganizationalUnits")


def _invalid(message: str) -> ServiceError:
    return ServiceError("ResourceDataSyncInvalidConfigurationException", message)


def _missing(name: str, sync_type: str | None) -> ServiceError:
    error = ServiceError(
        "ResourceDataSyncNotFoundException", f"Resource data sync {name} is not found.", SyncName=name
    )
    if sync_type:
        error.fields["SyncType"] = sync_type
    return error


def _source(given: dict[str, Any]) -> dict[str, Any]:
    """The stored source with its state; the refusals AWS gives for a bad one."""
    source_type = given["SourceType"]
    if source_type not in SOURCE_TYPES:
        raise _invalid(f"SourceType {source_type} is not valid. Valid values: {', '.join(SOURCE_TYPES)}.")
    source = {k: v for k, v in given.items() if v is not None}
    organizations = given.get("AwsOrganizationsSource")
    if source_type == "AWS_ORGANIZATIONS":
        if not organizations:
            raise _invalid("AwsOrganizationsSource is required when SourceType is AWS_ORGANIZATIONS.")
        kind = organizations["OrganizationSourceType"]
        if kind not in ORGANIZATION_SOURCE_TYPES:
            raise _invalid(f"OrganizationSourceType {kind} is not valid.")
        if kind == "OrganizationalUnits" and not organizations.get("OrganizationalUnits"):
            raise _invalid(
                "OrganizationalUnits is required when OrganizationSourceType is OrganizationalUnits."
            )
        # No organization exists in Overcast: the state AWS reports for such an account.
        source["State"] = "OrganizationNotExists"
    elif organizations:
        raise _invalid("AwsOrganizationsSource can only be used when SourceType is AWS_ORGANIZATIONS.")
    return source


class DataSyncMixin:
    def _check_bucket(self: Provider, context: RequestContext, destination: dict[str, Any]) -> None:  # type: ignore[misc]
        bucket = destination["BucketName"]
        exists = False
        if self.runtime.config.service_enabled("s3"):
            s3 = self.runtime.provider("s3")
            try:
                s3.head_bucket(
                    RequestContext.internal("s3", context.account, context.region), {"Bucket": bucket}
                )
                exists = True
            except ServiceError:
                exists = False
        if not exists:
            raise _invalid(f"S3 bucket {bucket} does not exist or you don't have access to it.")

    def create_resource_data_sync(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where, name = self._scope(context), params["SyncName"]
        destination, source = params.get("S3Destination"), params.get("SyncSource")
        sync_type = params.get("SyncType") or (TO_DESTINATION if destination else FROM_SOURCE)
        record: dict[str, Any] = {"SyncName": name, "SyncType": sync_type}
        if sync_type == TO_DESTINATION:
            if not destination:
                raise _invalid("S3Destination is required for a SyncToDestination resource data sync.")
            self._check_bucket(context, destination)
            record["S3Destination"] = destination
            if source:
                record["SyncSource"] = _source(source)
        elif sync_type == FROM_SOURCE:
            if not source:
                raise _invalid("SyncSource is required for a SyncFromSource resource data sync.")
            if destination:
                raise _invalid("S3Destination can't be used with a SyncFromSource resource data sync.")
            record["SyncSource"] = _source(source)
        else:
            raise _invalid(
                f"SyncType {sync_type} is not valid. Valid values: {TO_DESTINATION}, {FROM_SOURCE}."
            )
        now = time.time()
        record.update(SyncCreatedTime=now, SyncLastModifiedTime=now)
        with self.store.transaction():
            if self.data_syncs.get(where, name) is not None:
                raise ServiceError(
                    "ResourceDataSyncAlreadyExistsException",
                    f"Resource data sync {name} already exists.",
                    SyncName=name,
                )
            if self.data_syncs.count(where) >= SYNC_LIMIT:
                raise ServiceError(
                    "ResourceDataSyncCountExceededException",
                    f"You have exceeded the allowed maximum of {SYNC_LIMIT} resource data syncs.",
                )
            self.data_syncs.put(where, name, record)
        return {}

    def update_resource_data_sync(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where, name = self._scope(context), params["SyncName"]
        with self.store.transaction():
            record = self.data_syncs.get(where, name)
            if record is None or record["SyncType"] != params["SyncType"]:
                raise _missing(name, params["SyncType"])
            if record["SyncType"] != FROM_SOURCE:
                raise _invalid("Only a SyncFromSource resource data sync can be updated.")
            new_source = _source(params["SyncSource"])
            if new_source["SourceType"] != record["SyncSource"]["SourceType"]:
                raise _invalid("The SourceType of a resource data sync can't be changed.")
            record.update(SyncSource=new_source, SyncLastModifiedTime=time.time())
            self.data_syncs.put(where, name, record)
        return {}

    def delete_resource_data_sync(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where, name = self._scope(context), params["SyncName"]
        with self.store.transaction():
            record = self.data_syncs.get(where, name)
            wanted = params.get("SyncType")
            if record is None or (wanted and record["SyncType"] != wanted):
                raise _missing(name, wanted)
            self.data_syncs.delete(where, name)
        return {}

    def list_resource_data_sync(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        sync_type = params.get("SyncType") or TO_DESTINATION
        if sync_type not in (TO_DESTINATION, FROM_SOURCE):
            raise _invalid(
                f"SyncType {sync_type} is not valid. Valid values: {TO_DESTINATION}, {FROM_SOURCE}."
            )
        found = [
            record
            for _, record in self.data_syncs.scan(self._scope(context))
            if record["SyncType"] == sync_type
        ]
        return records.page(self.store, "ListResourceDataSync", params, found)
