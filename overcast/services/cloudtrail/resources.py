"""CloudTrail's CloudFormation resource type AWS::CloudTrail::Trail, through the CloudTrail
provider's own operations."""

from __future__ import annotations

from typing import Any

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceHandler,
    ResourceRequest,
    as_bool,
    as_int,
    policy_text,
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


async def _ignore_missing(
    request: ResourceRequest, operation: str, params: dict[str, Any], *codes: str
) -> None:
    try:
        await request.call("cloudtrail", operation, params)
    except ResourceFailed as error:
        if error.code not in codes:
            raise


class Channel(ResourceHandler):
    identifier = "ChannelArn"
    replace_on = frozenset({"Source"})
    attributes = frozenset({"ChannelArn"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {
            "Name": properties.get("Name") or request.physical_name(128),
            "Source": properties.get("Source", "Custom"),
            "Destinations": list(properties.get("Destinations", [])),
        }
        tags = request.user_tags(properties.get("Tags"))
        if tags:
            params["Tags"] = tags
        arn = (await request.call("cloudtrail", "CreateChannel", params))["ChannelArn"]
        return arn, {"ChannelArn": arn}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        params: dict[str, Any] = {"Channel": request.physical_id}
        if request.properties.get("Name"):
            params["Name"] = request.properties["Name"]
        if request.properties.get("Destinations") != request.old_properties.get("Destinations"):
            params["Destinations"] = list(request.properties.get("Destinations", []))
        await request.call("cloudtrail", "UpdateChannel", params)
        return {"ChannelArn": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(
            request,
            "DeleteChannel",
            {"Channel": request.physical_id},
            "ChannelARNInvalidException",
            "ChannelNotFoundException",
        )

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        found = await request.call("cloudtrail", "GetChannel", {"Channel": request.physical_id})
        return {"ChannelArn": found["ChannelArn"]}


class Dashboard(ResourceHandler):
    identifier = "DashboardArn"
    replace_on = frozenset({"Name"})
    name_property = "Name"
    attributes = frozenset({"DashboardArn", "CreatedTimestamp", "Status", "Type", "UpdatedTimestamp"})

    @staticmethod
    def _widgets(properties: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {
                "QueryStatement": widget["QueryStatement"],
                "ViewProperties": dict(widget.get("ViewProperties") or {}),
                **(
                    {"QueryParameters": list(widget["QueryParameters"])}
                    if widget.get("QueryParameters")
                    else {}
                ),
            }
            for widget in properties.get("Widgets", [])
        ]

    @staticmethod
    def _schedule(properties: dict[str, Any]) -> dict[str, Any] | None:
        schedule = properties.get("RefreshSchedule")
        if not schedule:
            return None
        out: dict[str, Any] = dict(schedule)
        if isinstance(out.get("Frequency"), dict) and out["Frequency"].get("Value") is not None:
            out["Frequency"] = {**out["Frequency"], "Value": as_int(out["Frequency"]["Value"])}
        return out

    async def _attributes(self, request: ResourceRequest, arn: str) -> dict[str, Any]:
        found = await request.call("cloudtrail", "GetDashboard", {"DashboardId": arn})
        return {
            "DashboardArn": arn,
            "Type": found.get("Type", ""),
            "Status": found.get("Status", ""),
            "CreatedTimestamp": str(found.get("CreatedTimestamp", "")),
            "UpdatedTimestamp": str(found.get("UpdatedTimestamp", "")),
        }

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {
            "Name": properties.get("Name") or request.physical_name(128),
            "Widgets": self._widgets(properties),
        }
        schedule = self._schedule(properties)
        if schedule:
            params["RefreshSchedule"] = schedule
        if properties.get("TerminationProtectionEnabled") is not None:
            params["TerminationProtectionEnabled"] = as_bool(properties["TerminationProtectionEnabled"])
        tags = request.user_tags(properties.get("Tags"))
        if tags:
            params["TagsList"] = tags
        arn = (await request.call("cloudtrail", "CreateDashboard", params))["DashboardArn"]
        return arn, await self._attributes(request, arn)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        properties = request.properties
        params: dict[str, Any] = {"DashboardId": request.physical_id, "Widgets": self._widgets(properties)}
        schedule = self._schedule(properties)
        if schedule:
            params["RefreshSchedule"] = schedule
        params["TerminationProtectionEnabled"] = as_bool(
            properties.get("TerminationProtectionEnabled", False)
        )
        await request.call("cloudtrail", "UpdateDashboard", params)
        return await self._attributes(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(
            request, "DeleteDashboard", {"DashboardId": request.physical_id}, "ResourceNotFoundException"
        )

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._attributes(request, request.physical_id)


class ResourcePolicy(ResourceHandler):
    replace_on = frozenset({"ResourceArn"})
    required = ("ResourceArn", "ResourcePolicy")

    async def _put(self, request: ResourceRequest) -> None:
        await request.call(
            "cloudtrail",
            "PutResourcePolicy",
            {
                "ResourceArn": request.properties["ResourceArn"],
                "ResourcePolicy": policy_text(request.properties["ResourcePolicy"]),
            },
        )

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await self._put(request)
        return request.properties["ResourceArn"], {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._put(request)
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(
            request,
            "DeleteResourcePolicy",
            {"ResourceArn": request.physical_id},
            "ResourcePolicyNotFoundException",
            "ResourceNotFoundException",
            "ChannelNotFoundException",
            "ResourceARNNotValidException",
        )


HANDLERS = {
    "AWS::CloudTrail::Trail": Trail,
    "AWS::CloudTrail::EventDataStore": EventDataStore,
    "AWS::CloudTrail::Channel": Channel,
    "AWS::CloudTrail::Dashboard": Dashboard,
    "AWS::CloudTrail::ResourcePolicy": ResourcePolicy,
}
