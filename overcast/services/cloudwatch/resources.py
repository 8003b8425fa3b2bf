"""CloudWatch's CloudFormation resource types (AWS::CloudWatch::*): metric and composite
alarms, dashboards, anomaly detectors, metric streams and Contributor Insights rules, through
the CloudWatch provider's own operations."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from overcast.common.arns import build_arn
from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceGone,
    ResourceHandler,
    ResourceRequest,
)

#: The alarm settings drift detection reads back, as DescribeAlarms gives them.
_ALARM_READ = (
    "AlarmDescription",
    "ActionsEnabled",
    "AlarmActions",
    "OKActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "Dimensions",
    "Period",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
)

_INTS = frozenset(
    {
        "Period",
        "EvaluationPeriods",
        "DatapointsToAlarm",
        "ActionsSuppressorWaitPeriod",
        "ActionsSuppressorExtensionPeriod",
    }
)
_FLOATS = frozenset({"Threshold"})
_BOOLS = frozenset({"ActionsEnabled", "ReturnData", "IncludeLinkedAccountsMetrics", "ApplyOnTransformedLogs"})


def _typed(value: Any, name: str = "") -> Any:
    """Template values (which a parameter may have made strings) as the API's types."""
    if isinstance(value, dict):
        return {key: _typed(item, key) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item, name) for item in value]
    if name in _INTS and isinstance(value, str):
        return int(value)
    if name in _FLOATS and isinstance(value, str | int):
        return float(value)
    if name in _BOOLS and isinstance(value, str):
        return value.lower() == "true"
    return value


def _arn(request: ResourceRequest, kind: str, name: str) -> str:
    return build_arn(
        "cloudwatch", request.region, request.account, f"{kind}{':' if kind == 'alarm' else '/'}{name}"
    )


async def _retag(request: ResourceRequest, arn: str) -> None:
    old = {tag["Key"] for tag in request.old_properties.get("Tags") or []}
    new = request.properties.get("Tags") or []
    removed = sorted(old - {tag["Key"] for tag in new})
    if removed:
        await request.call("cloudwatch", "UntagResource", {"ResourceARN": arn, "TagKeys": removed})
    if new:
        await request.call(
            "cloudwatch",
            "TagResource",
            {"ResourceARN": arn, "Tags": [{"Key": t["Key"], "Value": str(t["Value"])} for t in new]},
        )


_ALARM_FIELDS = (
    "AlarmDescription",
    "ActionsEnabled",
    "AlarmActions",
    "OKActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Metrics",
    "ThresholdMetricId",
)


class Alarm(ResourceHandler):
    identifier = "AlarmName"
    attributes = frozenset({"Arn"})
    replace_on = frozenset({"AlarmName"})
    name_property = "AlarmName"
    required = ("ComparisonOperator", "EvaluationPeriods")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        name = request.properties.get("AlarmName") or request.physical_name(255)
        await self._put(request, name, tags=True)
        return name, {"Arn": _arn(request, "alarm", name)}

    async def _put(self, request: ResourceRequest, name: str, tags: bool) -> None:
        properties = request.properties
        params: dict[str, Any] = {"AlarmName": name}
        params.update(
            {key: _typed(properties[key], key) for key in _ALARM_FIELDS if properties.get(key) is not None}
        )
        if tags and properties.get("Tags"):
            params["Tags"] = [{"Key": t["Key"], "Value": str(t["Value"])} for t in properties["Tags"]]
        await request.call("cloudwatch", "PutMetricAlarm", params)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._put(request, request.physical_id, tags=False)
        arn = _arn(request, "alarm", request.physical_id)
        await _retag(request, arn)
        return {"Arn": arn}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        found = await request.call("cloudwatch", "DescribeAlarms", {"AlarmNames": [request.physical_id]})
        if not found.get("MetricAlarms"):
            raise ResourceGone
        alarm = found["MetricAlarms"][0]
        return {key: alarm[key] for key in _ALARM_READ if key in alarm}

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        found = await request.call("cloudwatch", "DescribeAlarms", {"AlarmNames": [request.physical_id]})
        if not found.get("MetricAlarms"):
            raise ResourceFailed(f"Alarm {request.physical_id} does not exist")
        return {"Arn": found["MetricAlarms"][0]["AlarmArn"]}

    async def delete(self, request: ResourceRequest) -> None:
        await _delete_alarm(request)


async def _delete_alarm(request: ResourceRequest) -> None:
    try:
        await request.call("cloudwatch", "DeleteAlarms", {"AlarmNames": [request.physical_id]})
    except ResourceFailed as error:
        if error.code != "ResourceNotFound":
            raise


_COMPOSITE_FIELDS = (
    "AlarmRule",
    "AlarmDescription",
    "ActionsEnabled",
    "AlarmActions",
    "OKActions",
    "InsufficientDataActions",
    "ActionsSuppressor",
    "ActionsSuppressorWaitPeriod",
    "ActionsSuppressorExtensionPeriod",
)


class CompositeAlarm(ResourceHandler):
    identifier = "AlarmName"
    attributes = frozenset({"Arn"})
    replace_on = frozenset({"AlarmName"})
    name_property = "AlarmName"
    required = ("AlarmRule",)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        name = request.properties.get("AlarmName") or request.physical_name(255)
        await self._put(request, name, tags=True)
        return name, {"Arn": _arn(request, "alarm", name)}

    async def _put(self, request: ResourceRequest, name: str, tags: bool) -> None:
        properties = request.properties
        params: dict[str, Any] = {"AlarmName": name}
        params.update(
            {
                key: _typed(properties[key], key)
                for key in _COMPOSITE_FIELDS
                if properties.get(key) is not None
            }
        )
        if tags and properties.get("Tags"):
            params["Tags"] = [{"Key": t["Key"], "Value": str(t["Value"])} for t in properties["Tags"]]
        await request.call("cloudwatch", "PutCompositeAlarm", params)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._put(request, request.physical_id, tags=False)
        arn = _arn(request, "alarm", request.physical_id)
        await _retag(request, arn)
        return {"Arn": arn}

    async def delete(self, request: ResourceRequest) -> None:
        await _delete_alarm(request)


class Dashboard(ResourceHandler):
    identifier = "DashboardName"
    replace_on = frozenset({"DashboardName"})
    name_property = "DashboardName"
    required = ("DashboardBody",)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        name = request.properties.get("DashboardName") or request.physical_name(255)
        await self._put(request, name)
        return name, {}

    @staticmethod
    async def _put(request: ResourceRequest, name: str) -> None:
        body = request.properties["DashboardBody"]
        text = body if isinstance(body, str) else json.dumps(body)
        await request.call("cloudwatch", "PutDashboard", {"DashboardName": name, "DashboardBody": text})

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._put(request, request.physical_id)
        return {}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        try:
            found = await request.call("cloudwatch", "GetDashboard", {"DashboardName": request.physical_id})
        except ResourceFailed as error:
            if error.code in ("ResourceNotFound", "ResourceNotFoundException"):
                raise ResourceGone from error
            raise
        return {"DashboardBody": found.get("DashboardBody", "")}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("cloudwatch", "DeleteDashboards", {"DashboardNames": [request.physical_id]})
        except ResourceFailed as error:
            if error.code not in ("ResourceNotFound", "ResourceNotFoundException"):
                raise


def _moment(value: Any) -> Any:
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


class AnomalyDetector(ResourceHandler):
    attributes = frozenset({"Id"})
    replace_on = frozenset(
        {
            "MetricName",
            "Namespace",
            "Stat",
            "Dimensions",
            "SingleMetricAnomalyDetector",
            "MetricMathAnomalyDetector",
        }
    )

    @staticmethod
    def _key(properties: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {}
        single = properties.get("SingleMetricAnomalyDetector")
        if single:
            params["SingleMetricAnomalyDetector"] = _typed(single)
        elif properties.get("MetricMathAnomalyDetector"):
            params["MetricMathAnomalyDetector"] = _typed(properties["MetricMathAnomalyDetector"])
        else:
            params["SingleMetricAnomalyDetector"] = {
                key: properties[key]
                for key in ("Namespace", "MetricName", "Dimensions", "Stat", "AccountId")
                if properties.get(key) is not None
            }
        return params

    async def _put(self, request: ResourceRequest) -> str:
        properties = request.properties
        params = self._key(properties)
        config = properties.get("Configuration")
        if config:
            params["Configuration"] = {
                **({"MetricTimezone": config["MetricTimeZone"]} if config.get("MetricTimeZone") else {}),
                "ExcludedTimeRanges": [
                    {"StartTime": _moment(window["StartTime"]), "EndTime": _moment(window["EndTime"])}
                    for window in config.get("ExcludedTimeRanges") or []
                ],
            }
        if properties.get("MetricCharacteristics"):
            params["MetricCharacteristics"] = _typed(properties["MetricCharacteristics"])
        output = await request.call("cloudwatch", "PutAnomalyDetector", params)
        return str(output.get("AnomalyDetectorId") or request.physical_name(255))

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        physical_id = await self._put(request)
        return physical_id, {"Id": physical_id}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._put(request)
        return {"Id": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("cloudwatch", "DeleteAnomalyDetector", self._key(request.properties))
        except ResourceFailed as error:
            if error.code != "ResourceNotFoundException":
                raise


_STREAM_FIELDS = (
    "FirehoseArn",
    "RoleArn",
    "OutputFormat",
    "IncludeFilters",
    "ExcludeFilters",
    "StatisticsConfigurations",
    "IncludeLinkedAccountsMetrics",
)


class MetricStream(ResourceHandler):
    identifier = "Name"
    attributes = frozenset({"Arn", "CreationDate", "LastUpdateDate", "State"})
    replace_on = frozenset({"Name"})
    name_property = "Name"
    required = ("FirehoseArn", "RoleArn", "OutputFormat")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        name = request.properties.get("Name") or request.physical_name(255)
        await self._put(request, name, tags=True)
        return name, await self._attributes(request, name)

    async def _put(self, request: ResourceRequest, name: str, tags: bool) -> None:
        properties = request.properties
        params: dict[str, Any] = {"Name": name}
        params.update(
            {key: _typed(properties[key], key) for key in _STREAM_FIELDS if properties.get(key) is not None}
        )
        if tags and properties.get("Tags"):
            params["Tags"] = [{"Key": t["Key"], "Value": str(t["Value"])} for t in properties["Tags"]]
        await request.call("cloudwatch", "PutMetricStream", params)

    @staticmethod
    async def _attributes(request: ResourceRequest, name: str) -> dict[str, Any]:
        stream = await request.call("cloudwatch", "GetMetricStream", {"Name": name})
        return {
            "Arn": stream["Arn"],
            "CreationDate": _iso(stream.get("CreationDate")),
            "LastUpdateDate": _iso(stream.get("LastUpdateDate")),
            "State": stream.get("State", ""),
        }

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._put(request, request.physical_id, tags=False)
        attributes = await self._attributes(request, request.physical_id)
        await _retag(request, attributes["Arn"])
        return attributes

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._attributes(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        await request.call("cloudwatch", "DeleteMetricStream", {"Name": request.physical_id})


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value).astimezone().isoformat()
    return str(value or "")


class InsightRule(ResourceHandler):
    identifier = "RuleName"
    attributes = frozenset({"Arn", "RuleName"})
    replace_on = frozenset({"RuleName"})
    name_property = "RuleName"
    required = ("RuleBody", "RuleState")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        name = request.properties.get("RuleName") or request.physical_name(128)
        await self._put(request, name, tags=True)
        return name, {"Arn": _arn(request, "insight-rule", name), "RuleName": name}

    async def _put(self, request: ResourceRequest, name: str, tags: bool) -> None:
        properties = request.properties
        body = properties["RuleBody"]
        params: dict[str, Any] = {
            "RuleName": name,
            "RuleState": properties.get("RuleState") or "ENABLED",
            "RuleDefinition": body if isinstance(body, str) else json.dumps(body),
        }
        if properties.get("ApplyOnTransformedLogs") is not None:
            params["ApplyOnTransformedLogs"] = _typed(
                properties["ApplyOnTransformedLogs"], "ApplyOnTransformedLogs"
            )
        if tags and properties.get("Tags"):
            params["Tags"] = [{"Key": t["Key"], "Value": str(t["Value"])} for t in properties["Tags"]]
        await request.call("cloudwatch", "PutInsightRule", params)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._put(request, request.physical_id, tags=False)
        arn = _arn(request, "insight-rule", request.physical_id)
        await _retag(request, arn)
        return {"Arn": arn, "RuleName": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        await request.call("cloudwatch", "DeleteInsightRules", {"RuleNames": [request.physical_id]})


class AlarmMuteRule(ResourceHandler):
    """A rule that mutes alarms' actions on a schedule (PutAlarmMuteRule)."""

    replace_on = frozenset({"Name"})
    name_property = "Name"
    required = ("Rule",)
    attributes = frozenset({"Arn", "MuteType", "Status", "LastUpdatedTimestamp"})

    async def _put(self, request: ResourceRequest, name: str, tags: bool) -> dict[str, Any]:
        properties = request.properties
        params: dict[str, Any] = {"Name": name, "Rule": properties["Rule"]}
        for key in ("Description", "MuteTargets", "StartDate", "ExpireDate"):
            if properties.get(key) is not None:
                params[key] = properties[key]
        given = request.user_tags(properties.get("Tags"))
        if tags and given:
            params["Tags"] = given
        await request.call("cloudwatch", "PutAlarmMuteRule", params)
        found = await request.call("cloudwatch", "GetAlarmMuteRule", {"AlarmMuteRuleName": name})
        return {
            "Arn": found["AlarmMuteRuleArn"],
            "MuteType": found.get("MuteType", ""),
            "Status": found.get("Status", ""),
            "LastUpdatedTimestamp": str(found.get("LastUpdatedTimestamp", "")),
        }

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        name = request.properties.get("Name") or request.physical_name(255)
        return name, await self._put(request, name, tags=True)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._put(request, request.physical_id, tags=False)

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call(
                "cloudwatch", "DeleteAlarmMuteRule", {"AlarmMuteRuleName": request.physical_id}
            )
        except ResourceFailed as error:
            if error.code != "ResourceNotFoundException":
                raise

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        try:
            found = await request.call(
                "cloudwatch", "GetAlarmMuteRule", {"AlarmMuteRuleName": request.physical_id}
            )
        except ResourceFailed as error:
            if error.code == "ResourceNotFoundException":
                raise ResourceGone from error
            raise
        return {
            key: found[key] for key in ("Rule", "Description", "MuteTargets") if found.get(key) is not None
        }


class OTelEnrichment(ResourceHandler):
    """The account's OTel enrichment: creating it starts enrichment, deleting it stops it; its
    Ref is the account id."""

    attributes = frozenset({"AccountId"})

    @staticmethod
    def _params(properties: dict[str, Any]) -> dict[str, Any]:
        return {key: properties[key] for key in ("IncludeFilters", "ExcludeFilters") if properties.get(key)}

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        state = await request.call("cloudwatch", "GetOTelEnrichment", {})
        if state.get("Status") == "Running":
            raise ResourceFailed(
                f"OTel enrichment is already running in account {request.account}: only one "
                "AWS::CloudWatch::OTelEnrichment can exist per account.",
                "AlreadyExists",
            )
        await request.call("cloudwatch", "StartOTelEnrichment", self._params(request.properties))
        return request.account, {"AccountId": request.account}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        params = self._params(request.properties)
        params.setdefault("IncludeFilters", [])
        params.setdefault("ExcludeFilters", [])
        await request.call("cloudwatch", "UpdateOTelEnrichment", params)
        return {"AccountId": request.account}

    async def delete(self, request: ResourceRequest) -> None:
        await request.call("cloudwatch", "StopOTelEnrichment", {})


HANDLERS = {
    "AWS::CloudWatch::Alarm": Alarm,
    "AWS::CloudWatch::CompositeAlarm": CompositeAlarm,
    "AWS::CloudWatch::Dashboard": Dashboard,
    "AWS::CloudWatch::AnomalyDetector": AnomalyDetector,
    "AWS::CloudWatch::MetricStream": MetricStream,
    "AWS::CloudWatch::InsightRule": InsightRule,
    "AWS::CloudWatch::AlarmMuteRule": AlarmMuteRule,
    "AWS::CloudWatch::OTelEnrichment": OTelEnrichment,
}
