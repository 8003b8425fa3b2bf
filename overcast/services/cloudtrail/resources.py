"""CloudTrail's CloudFormation resource type AWS::CloudTrail::Trail, through the CloudTrail
provider's own operations."""

from __future__ import annotations

from typing import Any

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceHandler,
    ResourceRequest,
    as_bool,
)

_SETTINGS = (
    "S3BucketName",
    "S3KeyPrefix",
    "SnsTopicName",
    "CloudWatchLogsLogGroupArn",
    "CloudWatchLogsRoleArn",
)
_FLAGS = (
    "IncludeGlobalServiceEvents",
    "IsMultiRegionTrail",
    "EnableLogFileValidation",
    "IsOrganizationTrail",
)


def _settings(properties: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {key: properties[key] for key in _SETTINGS if properties.get(key)}
    for key in _FLAGS:
        if key in properties:
            params[key] = as_bool(properties[key])
    if properties.get("KMSKeyId"):
        params["KmsKeyId"] = properties["KMSKeyId"]
    return params


class Trail(ResourceHandler):
    replace_on = frozenset({"TrailName"})
    name_property = "TrailName"
    required = ("IsLogging", "S3BucketName")
    attributes = frozenset({"Arn", "SnsTopicArn"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("TrailName") or request.physical_name(128)
        params = {"Name": name, **_settings(properties)}
        tags = request.user_tags(properties.get("Tags"))
        if tags:
            params["TagsList"] = tags
        output = await request.call("cloudtrail", "CreateTrail", params)
        try:
            await self._selectors(request, name, properties, {})
            if as_bool(properties.get("IsLogging")):
                await request.call("cloudtrail", "StartLogging", {"Name": name})
        except ResourceFailed:
            await request.call("cloudtrail", "DeleteTrail", {"Name": name})
            raise
        return name, {"Arn": output["TrailARN"], "SnsTopicArn": output.get("SnsTopicARN", "")}

    @staticmethod
    async def _selectors(
        request: ResourceRequest, name: str, new: dict[str, Any], old: dict[str, Any]
    ) -> None:
        for key in ("EventSelectors", "AdvancedEventSelectors"):
            if new.get(key) != old.get(key) and new.get(key):
                await request.call("cloudtrail", "PutEventSelectors", {"TrailName": name, key: new[key]})
        if new.get("InsightSelectors") != old.get("InsightSelectors") and new.get("InsightSelectors"):
            await request.call(
                "cloudtrail",
                "PutInsightSelectors",
                {"TrailName": name, "InsightSelectors": new["InsightSelectors"]},
            )

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        name, new, old = request.physical_id, request.properties, request.old_properties
        output = await request.call("cloudtrail", "UpdateTrail", {"Name": name, **_settings(new)})
        await self._selectors(request, name, new, old)
        logging, was_logging = as_bool(new.get("IsLogging")), as_bool(old.get("IsLogging"))
        if logging != was_logging:
            await request.call("cloudtrail", "StartLogging" if logging else "StopLogging", {"Name": name})
        return {"Arn": output["TrailARN"], "SnsTopicArn": output.get("SnsTopicARN", "")}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("cloudtrail", "DeleteTrail", {"Name": request.physical_id})
        except ResourceFailed as error:
            if error.code != "TrailNotFoundException":
                raise


class EventDataStore(ResourceHandler):
    replace_on = frozenset({"Name"})
    name_property = "Name"
    attributes = frozenset({"EventDataStoreArn", "CreatedTimestamp", "Status", "UpdatedTimestamp"})
    _SETTINGS = ("AdvancedEventSelectors", "KmsKeyId", "BillingMode")
    _FLAGS = ("MultiRegionEnabled", "OrganizationEnabled", "TerminationProtectionEnabled")

    def _params(self, properties: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {key: properties[key] for key in self._SETTINGS if properties.get(key)}
        for key in self._FLAGS:
            if key in properties:
                params[key] = as_bool(properties[key])
        if properties.get("RetentionPeriod") is not None:
            params["RetentionPeriod"] = int(properties["RetentionPeriod"])
        return params

    @staticmethod
    def _attributes(store: dict[str, Any]) -> dict[str, Any]:
        return {
            "EventDataStoreArn": store["EventDataStoreArn"],
            "CreatedTimestamp": str(store.get("CreatedTimestamp", "")),
            "Status": store.get("Status", ""),
            "UpdatedTimestamp": str(store.get("UpdatedTimestamp", "")),
        }

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params = {"Name": properties.get("Name") or request.physical_name(128), **self._params(properties)}
        tags = request.user_tags(properties.get("Tags"))
        if tags:
            params["TagsList"] = tags
        store = await request.call("cloudtrail", "CreateEventDataStore", params)
        return store["EventDataStoreArn"], self._attributes(store)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        store = await request.call(
            "cloudtrail",
            "UpdateEventDataStore",
            {"EventDataStore": request.physical_id, **self._params(request.properties)},
        )
        return self._attributes(store)

    async def delete(self, request: ResourceRequest) -> None:
        if as_bool(request.properties.get("TerminationProtectionEnabled", True)):
            await request.call(
                "cloudtrail",
                "UpdateEventDataStore",
                {"EventDataStore": request.physical_id, "TerminationProtectionEnabled": False},
            )
        try:
            await request.call("cloudtrail", "DeleteEventDataStore", {"EventDataStore": request.physical_id})
        except ResourceFailed as error:
            if error.code != "EventDataStoreNotFoundException":
                raise


HANDLERS = {
    "AWS::CloudTrail::Trail": Trail,
    "AWS::CloudTrail::EventDataStore": EventDataStore,
}
