"""CloudFront's CloudFormation resource types, through the provider's own operations. A
template writes CloudFront's lists plainly (`Aliases: [a, b]`) where the API wraps them in
{Quantity, Items}; `to_api` translates one into the other."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, ClassVar

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceHandler,
    ResourceRequest,
    as_bool,
)

#: Template members that are plain lists where the API has {Quantity, Items}.
_WRAPPED = frozenset(
    {
        "Aliases",
        "CacheBehaviors",
        "CustomErrorResponses",
        "Origins",
        "AllowedMethods",
        "CachedMethods",
        "LambdaFunctionAssociations",
        "FunctionAssociations",
        "Headers",
        "QueryStringCacheKeys",
        "WhitelistedNames",
        "Cookies",
        "QueryStrings",
        "OriginSslProtocols",
        "CustomHeaders",
        "Locations",
        "KeyValueStoreAssociations",
        "TrustedKeyGroups",
        "TrustedSigners",
        "StatusCodes",
        "Members",
    }
)
#: Template names the API spells otherwise.
_RENAMED = {
    "AcmCertificateArn": "ACMCertificateArn",
    "SslSupportMethod": "SSLSupportMethod",
    "IamCertificateId": "IAMCertificateId",
    "OriginSSLProtocols": "OriginSslProtocols",
    "OriginCustomHeaders": "CustomHeaders",
    "Locations": "Items",
    "SourceArn": "SourceARN",
}
_INTEGERS = frozenset(
    {
        "HTTPPort",
        "HTTPSPort",
        "OriginReadTimeout",
        "OriginKeepaliveTimeout",
        "ErrorCode",
        "ErrorCachingMinTTL",
        "MinTTL",
        "DefaultTTL",
        "MaxTTL",
        "ConnectionAttempts",
        "ConnectionTimeout",
        "AccessControlMaxAgeSec",
        "SamplingRate",
    }
)
_BOOLEANS = frozenset(
    {
        "Enabled",
        "Compress",
        "QueryString",
        "IncludeCookies",
        "CloudFrontDefaultCertificate",
        "IsIPV6Enabled",
        "SmoothStreaming",
        "EnableAcceptEncodingGzip",
        "EnableAcceptEncodingBrotli",
        "Override",
        "OriginOverride",
        "AccessControlAllowCredentials",
        "Protection",
        "ModeBlock",
        "IncludeSubdomains",
        "Preload",
        "Staging",
        "IncludeBody",
    }
)


def _scalar(name: str, value: Any) -> Any:
    if name in _INTEGERS and isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    if name in _BOOLEANS and isinstance(value, str):
        return value.lower() == "true"
    return value


def to_api(value: Any, name: str = "") -> Any:
    """A template's value in the API's shape."""
    if isinstance(value, dict):
        converted: dict[str, Any] = {}
        for key, inner in value.items():
            target = str(key) if key == "Locations" else _RENAMED.get(str(key), str(key))
            converted[target] = to_api(inner, target)
        if "Items" in converted and isinstance(converted["Items"], list) and "Quantity" not in converted:
            converted["Quantity"] = len(converted["Items"])
        geo = converted.pop("Locations", None)
        if geo is not None:
            converted.update(geo)
        if "RestrictionType" in converted:
            converted.setdefault("Quantity", 0)
        if name in ("DefaultCacheBehavior", "CacheBehavior") or "TargetOriginId" in converted:
            _behaviour(converted)
        if "DomainName" in converted and "Id" in converted:
            _origin(converted)
        return converted
    if isinstance(value, list):
        items = [to_api(inner, name.removesuffix("s")) for inner in value]
        if name in _WRAPPED:
            return {"Quantity": len(items), **({"Items": items} if items else {})}
        return items
    return _scalar(name, value)


def _behaviour(behaviour: dict[str, Any]) -> None:
    cached = behaviour.pop("CachedMethods", None)
    if cached is not None:
        behaviour.setdefault("AllowedMethods", {"Quantity": 2, "Items": ["GET", "HEAD"]})
        behaviour["AllowedMethods"]["CachedMethods"] = cached
    for member in ("TrustedKeyGroups", "TrustedSigners"):
        if member in behaviour:
            behaviour[member]["Enabled"] = behaviour[member]["Quantity"] > 0
    if not behaviour.get("CachePolicyId") and "ForwardedValues" not in behaviour:
        behaviour["ForwardedValues"] = {"QueryString": False, "Cookies": {"Forward": "none"}}


def _origin(origin: dict[str, Any]) -> None:
    if "S3OriginConfig" in origin:
        origin["S3OriginConfig"].setdefault("OriginAccessIdentity", "")
    custom = origin.get("CustomOriginConfig")
    if custom is not None:
        custom.setdefault("HTTPPort", 80)
        custom.setdefault("HTTPSPort", 443)


class Distribution(ResourceHandler):
    identifier = "Id"
    attributes = frozenset({"DomainName", "Id"})
    required = ("DistributionConfig",)

    def _config(self, request: ResourceRequest, reference: str) -> dict[str, Any]:
        config = to_api(request.properties["DistributionConfig"])
        config["CallerReference"] = reference
        config.setdefault("Comment", "")
        return dict(config)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        config = self._config(request, str(uuid.uuid4()))
        tags = [tag for tag in request.user_tags(request.properties.get("Tags"))]
        output = await request.call(
            "cloudfront",
            "CreateDistributionWithTags",
            {"DistributionConfigWithTags": {"DistributionConfig": config, "Tags": {"Items": tags}}},
        )
        distribution = output["Distribution"]
        return distribution["Id"], {"DomainName": distribution["DomainName"], "Id": distribution["Id"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        current = await request.call("cloudfront", "GetDistributionConfig", {"Id": request.physical_id})
        config = self._config(request, current["DistributionConfig"]["CallerReference"])
        output = await request.call(
            "cloudfront",
            "UpdateDistribution",
            {"Id": request.physical_id, "IfMatch": current["ETag"], "DistributionConfig": config},
        )
        distribution = output["Distribution"]
        return {"DomainName": distribution["DomainName"], "Id": distribution["Id"]}

    async def delete(self, request: ResourceRequest) -> None:
        # As CloudFormation does: disable, wait for the change to deploy, then delete.
        try:
            current = await request.call("cloudfront", "GetDistributionConfig", {"Id": request.physical_id})
        except ResourceFailed as failure:
            if failure.code == "NoSuchDistribution":
                return
            raise
        etag = current["ETag"]
        if current["DistributionConfig"].get("Enabled"):
            config = dict(current["DistributionConfig"], Enabled=False)
            output = await request.call(
                "cloudfront",
                "UpdateDistribution",
                {"Id": request.physical_id, "IfMatch": etag, "DistributionConfig": config},
            )
            etag = output["ETag"]
        for _ in range(600):
            state = await request.call("cloudfront", "GetDistribution", {"Id": request.physical_id})
            if state["Distribution"]["Status"] == "Deployed":
                break
            await asyncio.sleep(0.1)
        await request.call("cloudfront", "DeleteDistribution", {"Id": request.physical_id, "IfMatch": etag})

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        output = await request.call("cloudfront", "GetDistribution", {"Id": request.physical_id})
        return {"DomainName": output["Distribution"]["DomainName"], "Id": request.physical_id}


class _ConfigResource(ResourceHandler):
    """A resource made from one `<Kind>Config` property and named by its Id."""

    kind = ""
    property_name = ""
    operation = ""
    attributes = frozenset({"Id"})
    identifier = "Id"

    def config(self, request: ResourceRequest) -> dict[str, Any]:
        return dict(to_api(request.properties.get(self.property_name) or {}))

    def attributes_of(self, resource: dict[str, Any]) -> dict[str, Any]:
        found = {"Id": resource["Id"]}
        if "LastModifiedTime" in resource:
            found["LastModifiedTime"] = str(resource["LastModifiedTime"])
        return found

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        output = await request.call(
            "cloudfront", f"Create{self.operation}", {f"{self.kind}Config": self.config(request)}
        )
        resource = output[self.kind]
        return resource["Id"], self.attributes_of(resource)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        current = await request.call("cloudfront", f"Get{self.operation}", {"Id": request.physical_id})
        config = self.config(request)
        if "CallerReference" in current[self.kind][f"{self.kind}Config"]:
            config["CallerReference"] = current[self.kind][f"{self.kind}Config"]["CallerReference"]
        output = await request.call(
            "cloudfront",
            f"Update{self.operation}",
            {"Id": request.physical_id, "IfMatch": current["ETag"], f"{self.kind}Config": config},
        )
        return self.attributes_of(output[self.kind])

    async def delete(self, request: ResourceRequest) -> None:
        try:
            current = await request.call("cloudfront", f"Get{self.operation}", {"Id": request.physical_id})
        except ResourceFailed as failure:
            if failure.code.startswith("NoSuch"):
                return
            raise
        await request.call(
            "cloudfront", f"Delete{self.operation}", {"Id": request.physical_id, "IfMatch": current["ETag"]}
        )

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        output = await request.call("cloudfront", f"Get{self.operation}", {"Id": request.physical_id})
        return self.attributes_of(output[self.kind])


class CachePolicy(_ConfigResource):
    kind = operation = "CachePolicy"
    property_name = "CachePolicyConfig"
    attributes = frozenset({"Id", "LastModifiedTime"})


class OriginRequestPolicy(_ConfigResource):
    kind = operation = "OriginRequestPolicy"
    property_name = "OriginRequestPolicyConfig"
    attributes = frozenset({"Id", "LastModifiedTime"})


class ResponseHeadersPolicy(_ConfigResource):
    kind = operation = "ResponseHeadersPolicy"
    property_name = "ResponseHeadersPolicyConfig"
    attributes = frozenset({"Id", "LastModifiedTime"})


class OriginAccessControl(_ConfigResource):
    kind = operation = "OriginAccessControl"
    property_name = "OriginAccessControlConfig"


class KeyGroup(_ConfigResource):
    kind = operation = "KeyGroup"
    property_name = "KeyGroupConfig"
    attributes = frozenset({"Id", "LastModifiedTime"})

    def config(self, request: ResourceRequest) -> dict[str, Any]:
        given = dict(request.properties.get("KeyGroupConfig") or {})
        return {key: value for key, value in given.items()}


class PublicKey(_ConfigResource):
    kind = operation = "PublicKey"
    property_name = "PublicKeyConfig"
    attributes = frozenset({"Id", "CreatedTime"})

    def attributes_of(self, resource: dict[str, Any]) -> dict[str, Any]:
        return {"Id": resource["Id"], "CreatedTime": str(resource.get("CreatedTime", ""))}


class CloudFrontOriginAccessIdentity(_ConfigResource):
    kind = operation = "CloudFrontOriginAccessIdentity"
    property_name = "CloudFrontOriginAccessIdentityConfig"
    attributes = frozenset({"Id", "S3CanonicalUserId"})

    def config(self, request: ResourceRequest) -> dict[str, Any]:
        config = dict(request.properties.get(self.property_name) or {})
        config.setdefault("CallerReference", str(uuid.uuid4()))
        config.setdefault("Comment", "")
        return config

    def attributes_of(self, resource: dict[str, Any]) -> dict[str, Any]:
        return {"Id": resource["Id"], "S3CanonicalUserId": resource["S3CanonicalUserId"]}


class ContinuousDeploymentPolicy(_ConfigResource):
    """Routes part of a primary distribution's traffic to its staging distribution."""

    kind = operation = "ContinuousDeploymentPolicy"
    property_name = "ContinuousDeploymentPolicyConfig"
    attributes = frozenset({"Id", "LastModifiedTime"})

    def config(self, request: ResourceRequest) -> dict[str, Any]:
        given = request.properties.get(self.property_name) or {}
        names = [str(n) for n in given.get("StagingDistributionDnsNames") or []]
        config: dict[str, Any] = {
            "Enabled": as_bool(given.get("Enabled", False)),
            "StagingDistributionDnsNames": {"Quantity": len(names), "Items": names},
        }
        # The older flat form (Type with Single*PolicyConfig) means the same as TrafficConfig.
        traffic = dict(given.get("TrafficConfig") or {})
        if not traffic and given.get("Type"):
            traffic = {"Type": given["Type"]}
            if given.get("SingleHeaderPolicyConfig"):
                traffic["SingleHeaderConfig"] = given["SingleHeaderPolicyConfig"]
            if given.get("SingleWeightPolicyConfig"):
                traffic["SingleWeightConfig"] = given["SingleWeightPolicyConfig"]
        if traffic:
            weight = traffic.get("SingleWeightConfig")
            if weight:
                weight = {**weight, "Weight": float(weight["Weight"])}
                sticky = weight.get("SessionStickinessConfig")
                if sticky:
                    weight["SessionStickinessConfig"] = {k: int(v) for k, v in sticky.items()}
                traffic["SingleWeightConfig"] = weight
            config["TrafficConfig"] = traffic
        return config


class Function(ResourceHandler):
    identifier = "FunctionARN"
    attributes = frozenset({"FunctionARN", "FunctionMetadata.FunctionARN", "Stage"})
    replace_on = frozenset({"Name"})
    name_property = "Name"
    required = ("FunctionCode", "FunctionConfig")

    @staticmethod
    def _config(properties: dict[str, Any]) -> dict[str, Any]:
        config = dict(to_api(properties["FunctionConfig"]))
        config.setdefault("Comment", "")
        return config

    async def _publish(self, request: ResourceRequest, name: str, etag: str) -> dict[str, Any]:
        if str(request.properties.get("AutoPublish", "false")).lower() == "true":
            summary = (await request.call("cloudfront", "PublishFunction", {"Name": name, "IfMatch": etag}))[
                "FunctionSummary"
            ]
        else:
            summary = (await request.call("cloudfront", "DescribeFunction", {"Name": name}))[
                "FunctionSummary"
            ]
        arn = summary["FunctionMetadata"]["FunctionARN"]
        return {
            "FunctionARN": arn,
            "FunctionMetadata.FunctionARN": arn,
            "Stage": summary["FunctionMetadata"]["Stage"],
        }

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        name = request.properties.get("Name") or request.physical_name(64)
        output = await request.call(
            "cloudfront",
            "CreateFunction",
            {
                "Name": name,
                "FunctionConfig": self._config(request.properties),
                "FunctionCode": str(request.properties["FunctionCode"]).encode(),
            },
        )
        attributes = await self._publish(request, name, output["ETag"])
        return attributes["FunctionARN"], attributes

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        name = request.physical_id.rpartition("/")[2]
        current = await request.call("cloudfront", "DescribeFunction", {"Name": name})
        output = await request.call(
            "cloudfront",
            "UpdateFunction",
            {
                "Name": name,
                "IfMatch": current["ETag"],
                "FunctionConfig": self._config(request.properties),
                "FunctionCode": str(request.properties["FunctionCode"]).encode(),
            },
        )
        return await self._publish(request, name, output["ETag"])

    async def delete(self, request: ResourceRequest) -> None:
        name = request.physical_id.rpartition("/")[2]
        try:
            current = await request.call("cloudfront", "DescribeFunction", {"Name": name})
        except ResourceFailed as failure:
            if failure.code == "NoSuchFunctionExists":
                return
            raise
        await request.call("cloudfront", "DeleteFunction", {"Name": name, "IfMatch": current["ETag"]})


class KeyValueStore(ResourceHandler):
    identifier = "Name"
    attributes = frozenset({"Arn", "Id", "Status"})
    replace_on = frozenset({"Name", "ImportSource"})
    name_property = "Name"

    @staticmethod
    def _attributes(store: dict[str, Any]) -> dict[str, Any]:
        return {"Arn": store["ARN"], "Id": store["Id"], "Status": store["Status"]}

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("Name") or request.physical_name(64)
        params: dict[str, Any] = {"Name": name, "Comment": properties.get("Comment") or ""}
        if properties.get("ImportSource"):
            params["ImportSource"] = to_api(properties["ImportSource"])
        output = await request.call("cloudfront", "CreateKeyValueStore", params)
        return name, self._attributes(output["KeyValueStore"])

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        current = await request.call("cloudfront", "DescribeKeyValueStore", {"Name": request.physical_id})
        output = await request.call(
            "cloudfront",
            "UpdateKeyValueStore",
            {
                "Name": request.physical_id,
                "IfMatch": current["ETag"],
                "Comment": request.properties.get("Comment") or "",
            },
        )
        return self._attributes(output["KeyValueStore"])

    async def delete(self, request: ResourceRequest) -> None:
        try:
            current = await request.call("cloudfront", "DescribeKeyValueStore", {"Name": request.physical_id})
        except ResourceFailed as failure:
            if failure.code == "EntityNotFound":
                return
            raise
        await request.call(
            "cloudfront", "DeleteKeyValueStore", {"Name": request.physical_id, "IfMatch": current["ETag"]}
        )


async def _gone_ok(request: ResourceRequest, operation: str, params: dict[str, Any]) -> dict[str, Any] | None:
    """A read that answers None when the resource no longer exists (NoSuch...)."""
    try:
        return await request.call("cloudfront", operation, params)
    except ResourceFailed as failure:
        if failure.code.startswith("NoSuch"):
            return None
        raise


class RealtimeLogConfig(ResourceHandler):
    identifier = "Arn"
    name_property = "Name"
    replace_on = frozenset({"Name"})
    required = ("EndPoints", "Fields", "Name", "SamplingRate")
    attributes = frozenset({"Arn"})

    @staticmethod
    def _settings(properties: dict[str, Any]) -> dict[str, Any]:
        # The template spells the stream's keys RoleArn/StreamArn, the API RoleARN/StreamARN.
        endpoints = [
            {
                "StreamType": endpoint["StreamType"],
                "KinesisStreamConfig": {
                    "RoleARN": endpoint["KinesisStreamConfig"]["RoleArn"],
                    "StreamARN": endpoint["KinesisStreamConfig"]["StreamArn"],
                },
            }
            for endpoint in properties["EndPoints"]
        ]
        return {
            "EndPoints": endpoints,
            "Fields": [str(f) for f in properties["Fields"]],
            "SamplingRate": int(float(properties["SamplingRate"])),
        }

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        output = await request.call(
            "cloudfront",
            "CreateRealtimeLogConfig",
            {"Name": request.properties["Name"], **self._settings(request.properties)},
        )
        arn = output["RealtimeLogConfig"]["ARN"]
        return arn, {"Arn": arn}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call(
            "cloudfront",
            "UpdateRealtimeLogConfig",
            {"ARN": request.physical_id, **self._settings(request.properties)},
        )
        return {"Arn": request.physical_id}

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call("cloudfront", "GetRealtimeLogConfig", {"ARN": request.physical_id})
        return {"Arn": request.physical_id}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        from overcast.services.cloudformation.handlers import ResourceGone

        found = await _gone_ok(request, "GetRealtimeLogConfig", {"ARN": request.physical_id})
        if found is None:
            raise ResourceGone
        config = found["RealtimeLogConfig"]
        return {"Name": config["Name"], "Fields": config["Fields"], "SamplingRate": config["SamplingRate"]}

    async def delete(self, request: ResourceRequest) -> None:
        if await _gone_ok(request, "GetRealtimeLogConfig", {"ARN": request.physical_id}) is not None:
            await request.call("cloudfront", "DeleteRealtimeLogConfig", {"ARN": request.physical_id})


class MonitoringSubscription(ResourceHandler):
    """A distribution's additional CloudWatch metrics; its physical id is the distribution's id."""

    required = ("DistributionId", "MonitoringSubscription")
    replace_on = frozenset({"DistributionId"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        distribution = request.properties["DistributionId"]
        await request.call(
            "cloudfront",
            "CreateMonitoringSubscription",
            {
                "DistributionId": distribution,
                "MonitoringSubscription": request.properties["MonitoringSubscription"],
            },
        )
        return distribution, {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        # CloudFront has no update for a subscription: it is replaced for the same distribution.
        await self.delete(request)
        await request.call(
            "cloudfront",
            "CreateMonitoringSubscription",
            {
                "DistributionId": request.physical_id,
                "MonitoringSubscription": request.properties["MonitoringSubscription"],
            },
        )
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone_ok(request, "DeleteMonitoringSubscription", {"DistributionId": request.physical_id})


class _Versioned(ResourceHandler):
    """A CloudFront resource changed and deleted under its current ETag (IfMatch): Get, then
    Update or Delete with the ETag the Get gave; one that must be disabled first is."""

    kind: ClassVar[str]
    #: How Get<kind> names the resource.
    get_key: ClassVar[str] = "Id"
    disable_first: ClassVar[bool] = False

    def _changes(self, properties: dict[str, Any]) -> dict[str, Any]:
        """What Update<kind> takes besides Id and IfMatch."""
        raise NotImplementedError

    def _attributes(self, output: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    async def _current(self, request: ResourceRequest) -> dict[str, Any]:
        return await request.call("cloudfront", f"Get{self.kind}", {self.get_key: request.physical_id})

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        current = await self._current(request)
        changes = self._changes(request.properties)
        output = await request.call(
            "cloudfront",
            f"Update{self.kind}",
            {"Id": request.physical_id, "IfMatch": current["ETag"], **changes},
        )
        return self._attributes(output)

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return self._attributes(await self._current(request))

    async def delete(self, request: ResourceRequest) -> None:
        if self.disable_first:
            await _disable_then_delete(request, self.kind, {self.get_key: request.physical_id})
            return
        current = await _gone_ok(request, f"Get{self.kind}", {self.get_key: request.physical_id})
        if current is not None:
            await request.call(
                "cloudfront", f"Delete{self.kind}", {"Id": request.physical_id, "IfMatch": current["ETag"]}
            )


class VpcOrigin(_Versioned):
    kind = "VpcOrigin"
    identifier = "Id"
    required = ("VpcOriginEndpointConfig",)
    attributes = frozenset({"Id", "Arn", "AccountId", "Status", "CreatedTime", "LastModifiedTime"})

    @staticmethod
    def _config(properties: dict[str, Any]) -> dict[str, Any]:
        given = properties["VpcOriginEndpointConfig"]
        protocols = given.get("OriginSSLProtocols") or ["TLSv1", "SSLv3"]
        return {
            "Name": given["Name"],
            "Arn": given["Arn"],
            "HTTPPort": int(given.get("HTTPPort", 80)),
            "HTTPSPort": int(given.get("HTTPSPort", 443)),
            "OriginProtocolPolicy": given.get("OriginProtocolPolicy", "match-viewer"),
            "OriginSslProtocols": {"Quantity": len(protocols), "Items": list(protocols)},
        }

    @staticmethod
    def _attributes(output: dict[str, Any]) -> dict[str, Any]:
        origin = output["VpcOrigin"]
        return {
            "Id": origin["Id"],
            "Arn": origin["Arn"],
            "AccountId": origin["AccountId"],
            "Status": origin["Status"],
            "CreatedTime": str(origin["CreatedTime"]),
            "LastModifiedTime": str(origin["LastModifiedTime"]),
        }

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = {"VpcOriginEndpointConfig": self._config(request.properties)}
        tags = request.user_tags(request.properties.get("Tags"))
        if tags:
            params["Tags"] = {"Items": tags}
        output = await request.call("cloudfront", "CreateVpcOrigin", params)
        return output["VpcOrigin"]["Id"], self._attributes(output)

    def _changes(self, properties: dict[str, Any]) -> dict[str, Any]:
        return {"VpcOriginEndpointConfig": self._config(properties)}


class AnycastIpList(_Versioned):
    kind = "AnycastIpList"
    identifier = "Id"
    name_property = "Name"
    required = ("Name", "IpCount")
    replace_on = frozenset({"Name", "IpCount", "IpamCidrConfigs", "Tags"})
    attributes = frozenset(
        {
            "Id",
            "ETag",
            "AnycastIpList.Id",
            "AnycastIpList.Arn",
            "AnycastIpList.Name",
            "AnycastIpList.Status",
            "AnycastIpList.AnycastIps",
            "AnycastIpList.IpCount",
            "AnycastIpList.IpAddressType",
            "AnycastIpList.LastModifiedTime",
        }
    )

    @staticmethod
    def _attributes(output: dict[str, Any]) -> dict[str, Any]:
        found = output["AnycastIpList"]
        attributes: dict[str, Any] = {"Id": found["Id"], "ETag": output["ETag"]}
        for key in ("Id", "Arn", "Name", "Status", "AnycastIps", "IpCount", "IpAddressType"):
            if key in found:
                attributes[f"AnycastIpList.{key}"] = found[key]
        attributes["AnycastIpList.LastModifiedTime"] = str(found.get("LastModifiedTime", ""))
        return attributes

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        params: dict[str, Any] = {"Name": p["Name"], "IpCount": int(p["IpCount"])}
        if p.get("IpAddressType"):
            params["IpAddressType"] = p["IpAddressType"]
        if p.get("IpamCidrConfigs"):
            params["IpamCidrConfigs"] = p["IpamCidrConfigs"]
        tags = request.user_tags((p.get("Tags") or {}).get("Items"))
        if tags:
            params["Tags"] = {"Items": tags}
        output = await request.call("cloudfront", "CreateAnycastIpList", params)
        return output["AnycastIpList"]["Id"], self._attributes(output)

    def _changes(self, properties: dict[str, Any]) -> dict[str, Any]:
        return {"IpAddressType": properties.get("IpAddressType") or "ipv4"}


class StreamingDistribution(ResourceHandler):
    """An RTMP distribution: CloudFront discontinued them, and the stack fails with its refusal."""

    required = ("StreamingDistributionConfig",)
    attributes = frozenset({"DomainName"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        config = dict(to_api(request.properties["StreamingDistributionConfig"]))
        config.setdefault("CallerReference", str(uuid.uuid4()))
        output = await request.call(
            "cloudfront", "CreateStreamingDistribution", {"StreamingDistributionConfig": config}
        )
        found = output["StreamingDistribution"]
        return found["Id"], {"DomainName": found["DomainName"]}

    async def delete(self, request: ResourceRequest) -> None:
        await _gone_ok(request, "DeleteStreamingDistribution", {"Id": request.physical_id, "IfMatch": "*"})


async def _disable_then_delete(request: ResourceRequest, kind: str, get: dict[str, Any]) -> None:
    """A connection group or distribution tenant must be disabled before it goes: CloudFormation
    disables it, then deletes it."""
    current = await _gone_ok(request, f"Get{kind}", get)
    if current is None:
        return
    found = current[kind]
    etag = current["ETag"]
    if found.get("Enabled"):
        params: dict[str, Any] = {"Id": found["Id"], "IfMatch": etag, "Enabled": False}
        if kind == "DistributionTenant":
            params["DistributionId"] = found["DistributionId"]
        etag = (await request.call("cloudfront", f"Update{kind}", params))["ETag"]
    await request.call("cloudfront", f"Delete{kind}", {"Id": found["Id"], "IfMatch": etag})


def _tag_items(request: ResourceRequest, given: Any) -> dict[str, Any] | None:
    tags = request.user_tags(given)
    return {"Items": tags} if tags else None


class ConnectionGroup(_Versioned):
    kind = "ConnectionGroup"
    get_key = "Identifier"
    disable_first = True
    identifier = "Id"
    name_property = "Name"
    required = ("Name",)
    replace_on = frozenset({"Name"})
    attributes = frozenset(
        {"Id", "Arn", "Status", "RoutingEndpoint", "ETag", "CreatedTime", "LastModifiedTime", "IsDefault"}
    )

    @staticmethod
    def _attributes(output: dict[str, Any]) -> dict[str, Any]:
        group = output["ConnectionGroup"]
        return {
            "Id": group["Id"],
            "Arn": group["Arn"],
            "Status": group["Status"],
            "RoutingEndpoint": group["RoutingEndpoint"],
            "ETag": output["ETag"],
            "CreatedTime": str(group["CreatedTime"]),
            "LastModifiedTime": str(group["LastModifiedTime"]),
            "IsDefault": group["IsDefault"],
        }

    @staticmethod
    def _settings(properties: dict[str, Any]) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "Ipv6Enabled": as_bool(properties.get("Ipv6Enabled", True)),
            "Enabled": as_bool(properties.get("Enabled", True)),
        }
        if properties.get("AnycastIpListId"):
            settings["AnycastIpListId"] = properties["AnycastIpListId"]
        return settings

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        params = {"Name": request.properties["Name"], **self._settings(request.properties)}
        tags = _tag_items(request, request.properties.get("Tags"))
        if tags:
            params["Tags"] = tags
        output = await request.call("cloudfront", "CreateConnectionGroup", params)
        return output["ConnectionGroup"]["Id"], self._attributes(output)

    def _changes(self, properties: dict[str, Any]) -> dict[str, Any]:
        return self._settings(properties)


class DistributionTenant(_Versioned):
    kind = "DistributionTenant"
    get_key = "Identifier"
    disable_first = True
    identifier = "Id"
    name_property = "Name"
    required = ("DistributionId", "Name", "Domains")
    replace_on = frozenset({"Name"})
    attributes = frozenset(
        {"Id", "Arn", "Status", "ETag", "CreatedTime", "LastModifiedTime", "DomainResults"}
    )

    @staticmethod
    def _attributes(output: dict[str, Any]) -> dict[str, Any]:
        tenant = output["DistributionTenant"]
        return {
            "Id": tenant["Id"],
            "Arn": tenant["Arn"],
            "Status": tenant["Status"],
            "ETag": output["ETag"],
            "CreatedTime": str(tenant["CreatedTime"]),
            "LastModifiedTime": str(tenant["LastModifiedTime"]),
            "DomainResults": tenant["Domains"],
        }

    @staticmethod
    def _settings(properties: dict[str, Any]) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "DistributionId": properties["DistributionId"],
            "Domains": [{"Domain": d} if isinstance(d, str) else d for d in properties["Domains"]],
            "Enabled": as_bool(properties.get("Enabled", True)),
            "Parameters": properties.get("Parameters") or [],
        }
        for key in ("ConnectionGroupId", "ManagedCertificateRequest"):
            if properties.get(key):
                settings[key] = properties[key]
        if properties.get("Customizations"):
            settings["Customizations"] = to_api(properties["Customizations"])
        return settings

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        params = {"Name": request.properties["Name"], **self._settings(request.properties)}
        tags = _tag_items(request, request.properties.get("Tags"))
        if tags:
            params["Tags"] = tags
        output = await request.call("cloudfront", "CreateDistributionTenant", params)
        return output["DistributionTenant"]["Id"], self._attributes(output)

    def _changes(self, properties: dict[str, Any]) -> dict[str, Any]:
        return self._settings(properties)


class TrustStore(_Versioned):
    """A CA bundle (read from S3) that viewer mTLS verifies client certificates against."""

    kind = "TrustStore"
    get_key = "Identifier"
    identifier = "Id"
    name_property = "Name"
    required = ("Name", "CaCertificatesBundleSource")
    replace_on = frozenset({"Name"})
    attributes = frozenset({"Id", "Arn", "Status", "ETag", "NumberOfCaCertificates"})

    @staticmethod
    def _attributes(output: dict[str, Any]) -> dict[str, Any]:
        store = output["TrustStore"]
        return {
            "Id": store["Id"],
            "Arn": store["Arn"],
            "Status": store["Status"],
            "ETag": output["ETag"],
            "NumberOfCaCertificates": store["NumberOfCaCertificates"],
        }

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = {
            "Name": request.properties["Name"],
            "CaCertificatesBundleSource": request.properties["CaCertificatesBundleSource"],
        }
        tags = _tag_items(request, request.properties.get("Tags"))
        if tags:
            params["Tags"] = tags
        output = await request.call("cloudfront", "CreateTrustStore", params)
        return output["TrustStore"]["Id"], self._attributes(output)

    def _changes(self, properties: dict[str, Any]) -> dict[str, Any]:
        return {"CaCertificatesBundleSource": properties["CaCertificatesBundleSource"]}


class ConnectionFunction(ResourceHandler):
    """A function run on viewer TLS connections; published to LIVE when AutoPublish is true."""

    identifier = "Id"
    name_property = "Name"
    required = ("Name", "ConnectionFunctionConfig", "ConnectionFunctionCode")
    replace_on = frozenset({"Name"})
    attributes = frozenset(
        {"Id", "ConnectionFunctionArn", "Stage", "Status", "ETag", "CreatedTime", "LastModifiedTime"}
    )

    @staticmethod
    def _config(properties: dict[str, Any]) -> dict[str, Any]:
        config = dict(to_api(properties["ConnectionFunctionConfig"]))
        config.setdefault("Comment", "")
        return config

    async def _finish(self, request: ResourceRequest, ident: str, etag: str) -> dict[str, Any]:
        stage = "DEVELOPMENT"
        if as_bool(request.properties.get("AutoPublish", False)):
            await request.call("cloudfront", "PublishConnectionFunction", {"Id": ident, "IfMatch": etag})
            stage = "LIVE"
        output = await request.call(
            "cloudfront", "DescribeConnectionFunction", {"Identifier": ident, "Stage": stage}
        )
        summary = output["ConnectionFunctionSummary"]
        return {
            "Id": summary["Id"],
            "ConnectionFunctionArn": summary["ConnectionFunctionArn"],
            "Stage": summary["Stage"],
            "Status": summary["Status"],
            "ETag": output["ETag"],
            "CreatedTime": str(summary["CreatedTime"]),
            "LastModifiedTime": str(summary["LastModifiedTime"]),
        }

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        params: dict[str, Any] = {
            "Name": p["Name"],
            "ConnectionFunctionConfig": self._config(p),
            "ConnectionFunctionCode": str(p["ConnectionFunctionCode"]).encode(),
        }
        tags = _tag_items(request, p.get("Tags"))
        if tags:
            params["Tags"] = tags
        output = await request.call("cloudfront", "CreateConnectionFunction", params)
        ident = output["ConnectionFunctionSummary"]["Id"]
        return ident, await self._finish(request, ident, output["ETag"])

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        current = await request.call(
            "cloudfront",
            "DescribeConnectionFunction",
            {"Identifier": request.physical_id, "Stage": "DEVELOPMENT"},
        )
        output = await request.call(
            "cloudfront",
            "UpdateConnectionFunction",
            {
                "Id": request.physical_id,
                "IfMatch": current["ETag"],
                "ConnectionFunctionConfig": self._config(request.properties),
                "ConnectionFunctionCode": str(request.properties["ConnectionFunctionCode"]).encode(),
            },
        )
        return await self._finish(request, request.physical_id, output["ETag"])

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        output = await request.call(
            "cloudfront",
            "DescribeConnectionFunction",
            {"Identifier": request.physical_id, "Stage": "DEVELOPMENT"},
        )
        return {"Id": request.physical_id, "ETag": output["ETag"]}

    async def delete(self, request: ResourceRequest) -> None:
        current = await _gone_ok(
            request, "DescribeConnectionFunction", {"Identifier": request.physical_id, "Stage": "DEVELOPMENT"}
        )
        if current is not None:
            await request.call(
                "cloudfront",
                "DeleteConnectionFunction",
                {"Id": request.physical_id, "IfMatch": current["ETag"]},
            )


HANDLERS = {
    "AWS::CloudFront::Distribution": Distribution,
    "AWS::CloudFront::CachePolicy": CachePolicy,
    "AWS::CloudFront::OriginRequestPolicy": OriginRequestPolicy,
    "AWS::CloudFront::ResponseHeadersPolicy": ResponseHeadersPolicy,
    "AWS::CloudFront::OriginAccessControl": OriginAccessControl,
    "AWS::CloudFront::CloudFrontOriginAccessIdentity": CloudFrontOriginAccessIdentity,
    "AWS::CloudFront::KeyGroup": KeyGroup,
    "AWS::CloudFront::PublicKey": PublicKey,
    "AWS::CloudFront::Function": Function,
    "AWS::CloudFront::KeyValueStore": KeyValueStore,
    "AWS::CloudFront::RealtimeLogConfig": RealtimeLogConfig,
    "AWS::CloudFront::MonitoringSubscription": MonitoringSubscription,
    "AWS::CloudFront::VpcOrigin": VpcOrigin,
    "AWS::CloudFront::AnycastIpList": AnycastIpList,
    "AWS::CloudFront::StreamingDistribution": StreamingDistribution,
    "AWS::CloudFront::ConnectionGroup": ConnectionGroup,
    "AWS::CloudFront::DistributionTenant": DistributionTenant,
    "AWS::CloudFront::TrustStore": TrustStore,
    "AWS::CloudFront::ContinuousDeploymentPolicy": ContinuousDeploymentPolicy,
    "AWS::CloudFront::ConnectionFunction": ConnectionFunction,
}
