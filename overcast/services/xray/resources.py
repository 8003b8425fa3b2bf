"""X-Ray's CloudFormation resource types, AWS::XRay::Group and AWS::XRay::SamplingRule,
through the X-Ray provider's own operations."""

from __future__ import annotations

import json
from typing import Any

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceHandler,
    ResourceRequest,
    as_bool,
)


class Group(ResourceHandler):
    replace_on = frozenset({"GroupName"})
    name_property = "GroupName"
    required = ("GroupName",)
    attributes = frozenset({"GroupARN"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {"GroupName": properties["GroupName"]}
        for key in ("FilterExpression", "InsightsConfiguration"):
            if properties.get(key):
                params[key] = properties[key]
        tags = request.user_tags(properties.get("Tags"))
        if tags:
            params["Tags"] = tags
        arn = (await request.call("xray", "CreateGroup", params))["Group"]["GroupARN"]
        return arn, {"GroupARN": arn}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        properties = request.properties
        params: dict[str, Any] = {"GroupARN": request.physical_id}
        for key in ("FilterExpression", "InsightsConfiguration"):
            if key in properties:
                params[key] = properties[key]
        await request.call("xray", "UpdateGroup", params)
        return {"GroupARN": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("xray", "DeleteGroup", {"GroupARN": request.physical_id})
        except ResourceFailed as error:
            if error.code != "InvalidRequestException":
                raise


_NUMBERS = ("FixedRate", "Priority", "ReservoirSize", "Version")


def _rule(rule: dict[str, Any]) -> dict[str, Any]:
    shaped = dict(rule)
    for key in _NUMBERS:
        if key in shaped:
            shaped[key] = float(shaped[key]) if key == "FixedRate" else int(shaped[key])
    return shaped


class SamplingRule(ResourceHandler):
    required = ("SamplingRule",)
    attributes = frozenset({"RuleARN"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {"SamplingRule": _rule(properties["SamplingRule"])}
        tags = request.user_tags(properties.get("Tags"))
        if tags:
            params["Tags"] = tags
        arn = (await request.call("xray", "CreateSamplingRule", params))["SamplingRuleRecord"][
            "SamplingRule"
        ]["RuleARN"]
        return arn, {"RuleARN": arn}

    def needs_replacement(self, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
        before, after = old.get("SamplingRule") or {}, new.get("SamplingRule") or {}
        return ["SamplingRule"] if before.get("RuleName") != after.get("RuleName") else []

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        rule = _rule(request.properties["SamplingRule"])
        rule.pop("Version", None)
        rule.pop("RuleName", None)
        await request.call(
            "xray", "UpdateSamplingRule", {"SamplingRuleUpdate": {**rule, "RuleARN": request.physical_id}}
        )
        return {"RuleARN": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("xray", "DeleteSamplingRule", {"RuleARN": request.physical_id})
        except ResourceFailed as error:
            if error.code != "InvalidRequestException":
                raise


class ResourcePolicy(ResourceHandler):
    replace_on = frozenset({"PolicyName"})
    name_property = "PolicyName"
    required = ("PolicyName", "PolicyDocument")

    async def _put(self, request: ResourceRequest) -> None:
        properties = request.properties
        document = properties["PolicyDocument"]
        params: dict[str, Any] = {
            "PolicyName": properties["PolicyName"],
            "PolicyDocument": document if isinstance(document, str) else json.dumps(document),
        }
        if properties.get("BypassPolicyLockoutCheck") is not None:
            params["BypassPolicyLockoutCheck"] = as_bool(properties["BypassPolicyLockoutCheck"])
        await request.call("xray", "PutResourcePolicy", params)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await self._put(request)
        return request.properties["PolicyName"], {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._put(request)
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        await request.call("xray", "DeleteResourcePolicy", {"PolicyName": request.physical_id})


class TransactionSearchConfig(ResourceHandler):
    """Transaction Search for the account: spans go to CloudWatch Logs, and the Default
    indexing rule samples IndexingPercentage of them. Deleting it sends segments back to
    X-Ray. Its Ref is the account id."""

    attributes = frozenset({"AccountId"})

    async def _index(self, request: ResourceRequest) -> None:
        percentage = request.properties.get("IndexingPercentage")
        if percentage is None:
            return
        await request.call(
            "xray",
            "UpdateIndexingRule",
            {"Name": "Default", "Rule": {"Probabilistic": {"DesiredSamplingPercentage": float(percentage)}}},
        )

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        current = await request.call("xray", "GetTraceSegmentDestination", {})
        if current.get("Destination") == "CloudWatchLogs":
            raise ResourceFailed(
                f"Transaction Search is already enabled in account {request.account}.", "AlreadyExists"
            )
        await request.call("xray", "UpdateTraceSegmentDestination", {"Destination": "CloudWatchLogs"})
        await self._index(request)
        return request.account, {"AccountId": request.account}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._index(request)
        return {"AccountId": request.account}

    async def delete(self, request: ResourceRequest) -> None:
        await request.call("xray", "UpdateTraceSegmentDestination", {"Destination": "XRay"})


HANDLERS = {
    "AWS::XRay::Group": Group,
    "AWS::XRay::SamplingRule": SamplingRule,
    "AWS::XRay::ResourcePolicy": ResourcePolicy,
    "AWS::XRay::TransactionSearchConfig": TransactionSearchConfig,
}
