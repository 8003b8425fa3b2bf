"""Classic ELB's CloudFormation resource type: AWS::ElasticLoadBalancing::LoadBalancer,
through the provider's own operations."""

from __future__ import annotations

from typing import Any

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceHandler,
    ResourceRequest,
    as_bool,
    read_or_gone,
)


def _listeners(properties: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for given in properties.get("Listeners") or []:
        listener: dict[str, Any] = {
            "Protocol": given["Protocol"],
            "LoadBalancerPort": int(given["LoadBalancerPort"]),
            "InstancePort": int(given["InstancePort"]),
        }
        if given.get("InstanceProtocol"):
            listener["InstanceProtocol"] = given["InstanceProtocol"]
        if given.get("SSLCertificateId"):
            listener["SSLCertificateId"] = given["SSLCertificateId"]
        out.append(listener)
    return out


def _health_check(properties: dict[str, Any]) -> dict[str, Any] | None:
    given = properties.get("HealthCheck")
    if not given:
        return None
    return {
        "Target": given["Target"],
        "Interval": int(given["Interval"]),
        "Timeout": int(given["Timeout"]),
        "HealthyThreshold": int(given["HealthyThreshold"]),
        "UnhealthyThreshold": int(given["UnhealthyThreshold"]),
    }


def _attributes(properties: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if properties.get("CrossZone") is not None:
        out["CrossZoneLoadBalancing"] = {"Enabled": as_bool(properties["CrossZone"])}
    draining = properties.get("ConnectionDrainingPolicy")
    if draining:
        out["ConnectionDraining"] = {"Enabled": as_bool(draining["Enabled"])}
        if draining.get("Timeout") is not None:
            out["ConnectionDraining"]["Timeout"] = int(draining["Timeout"])
    settings = properties.get("ConnectionSettings")
    if settings:
        out["ConnectionSettings"] = {"IdleTimeout": int(settings["IdleTimeout"])}
    logs = properties.get("AccessLoggingPolicy")
    if logs:
        out["AccessLog"] = {"Enabled": as_bool(logs["Enabled"]), "S3BucketName": logs.get("S3BucketName")}
        if logs.get("EmitInterval") is not None:
            out["AccessLog"]["EmitInterval"] = int(logs["EmitInterval"])
        if logs.get("S3BucketPrefix"):
            out["AccessLog"]["S3BucketPrefix"] = logs["S3BucketPrefix"]
    return out


class LoadBalancer(ResourceHandler):
    attributes = frozenset(
        {
            "CanonicalHostedZoneName",
            "CanonicalHostedZoneNameID",
            "DNSName",
            "SourceSecurityGroup.GroupName",
            "SourceSecurityGroup.OwnerAlias",
        }
    )
    replace_on = frozenset({"LoadBalancerName", "Scheme"})
    name_property = "LoadBalancerName"
    required = ("Listeners",)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("LoadBalancerName") or request.physical_name(32)
        params: dict[str, Any] = {"LoadBalancerName": name, "Listeners": _listeners(properties)}
        for key in ("AvailabilityZones", "Subnets", "SecurityGroups", "Scheme"):
            if properties.get(key):
                params[key] = properties[key]
        tags = [{"Key": t["Key"], "Value": str(t["Value"])} for t in request.tags(properties.get("Tags"))]
        if tags:
            params["Tags"] = tags
        await request.call("elb", "CreateLoadBalancer", params)
        await self._configure(request, name, properties, {})
        return name, await self._outputs(request, name)

    async def _configure(self, request: ResourceRequest, name: str, properties: dict, old: dict) -> None:
        check = _health_check(properties)
        if check and check != _health_check(old):
            await request.call(
                "elb", "ConfigureHealthCheck", {"LoadBalancerName": name, "HealthCheck": check}
            )
        attributes = _attributes(properties)
        if attributes and attributes != _attributes(old):
            await request.call(
                "elb",
                "ModifyLoadBalancerAttributes",
                {"LoadBalancerName": name, "LoadBalancerAttributes": attributes},
            )
        for policy in properties.get("AppCookieStickinessPolicy") or []:
            if policy not in (old.get("AppCookieStickinessPolicy") or []):
                await request.call(
                    "elb",
                    "CreateAppCookieStickinessPolicy",
                    {
                        "LoadBalancerName": name,
                        "PolicyName": policy["PolicyName"],
                        "CookieName": policy["CookieName"],
                    },
                )
        for policy in properties.get("LBCookieStickinessPolicy") or []:
            if policy not in (old.get("LBCookieStickinessPolicy") or []):
                params: dict[str, Any] = {"LoadBalancerName": name, "PolicyName": policy["PolicyName"]}
                if policy.get("CookieExpirationPeriod") is not None:
                    params["CookieExpirationPeriod"] = int(policy["CookieExpirationPeriod"])
                await request.call("elb", "CreateLBCookieStickinessPolicy", params)
        for policy in properties.get("Policies") or []:
            if policy in (old.get("Policies") or []):
                continue
            await request.call(
                "elb",
                "CreateLoadBalancerPolicy",
                {
                    "LoadBalancerName": name,
                    "PolicyName": policy["PolicyName"],
                    "PolicyTypeName": policy["PolicyType"],
                    "PolicyAttributes": [
                        {"AttributeName": a["Name"], "AttributeValue": str(a["Value"])}
                        for a in policy.get("Attributes") or []
                    ],
                },
            )
            for port in policy.get("InstancePorts") or []:
                await request.call(
                    "elb",
                    "SetLoadBalancerPoliciesForBackendServer",
                    {
                        "LoadBalancerName": name,
                        "InstancePort": int(port),
                        "PolicyNames": [policy["PolicyName"]],
                    },
                )
        for given in properties.get("Listeners") or []:
            if given.get("PolicyNames"):
                await request.call(
                    "elb",
                    "SetLoadBalancerPoliciesOfListener",
                    {
                        "LoadBalancerName": name,
                        "LoadBalancerPort": int(given["LoadBalancerPort"]),
                        "PolicyNames": list(given["PolicyNames"]),
                    },
                )
        instances, was = set(properties.get("Instances") or []), set(old.get("Instances") or [])
        if instances - was:
            await request.call(
                "elb",
                "RegisterInstancesWithLoadBalancer",
                {"LoadBalancerName": name, "Instances": [{"InstanceId": i} for i in sorted(instances - was)]},
            )
        if was - instances:
            await request.call(
                "elb",
                "DeregisterInstancesFromLoadBalancer",
                {"LoadBalancerName": name, "Instances": [{"InstanceId": i} for i in sorted(was - instances)]},
            )

    @staticmethod
    async def _outputs(request: ResourceRequest, name: str) -> dict[str, Any]:
        found = (await request.call("elb", "DescribeLoadBalancers", {"LoadBalancerNames": [name]}))[
            "LoadBalancerDescriptions"
        ][0]
        return {
            "CanonicalHostedZoneName": found.get("CanonicalHostedZoneName") or found["DNSName"],
            "CanonicalHostedZoneNameID": found["CanonicalHostedZoneNameID"],
            "DNSName": found["DNSName"],
            "SourceSecurityGroup.GroupName": found["SourceSecurityGroup"]["GroupName"],
            "SourceSecurityGroup.OwnerAlias": found["SourceSecurityGroup"]["OwnerAlias"],
        }

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        name, properties, old = request.physical_id, request.properties, request.old_properties
        new_listeners, old_listeners = _listeners(properties), _listeners(old)
        gone = [x["LoadBalancerPort"] for x in old_listeners if x not in new_listeners]
        if gone:
            await request.call(
                "elb", "DeleteLoadBalancerListeners", {"LoadBalancerName": name, "LoadBalancerPorts": gone}
            )
        added = [x for x in new_listeners if x not in old_listeners]
        if added:
            await request.call(
                "elb", "CreateLoadBalancerListeners", {"LoadBalancerName": name, "Listeners": added}
            )
        if properties.get("SecurityGroups") and properties.get("SecurityGroups") != old.get("SecurityGroups"):
            await request.call(
                "elb",
                "ApplySecurityGroupsToLoadBalancer",
                {"LoadBalancerName": name, "SecurityGroups": properties["SecurityGroups"]},
            )
        await self._configure(request, name, properties, old)
        old_tags = {t["Key"] for t in old.get("Tags") or []}
        new_tags = [
            {"Key": t["Key"], "Value": str(t["Value"])} for t in request.user_tags(properties.get("Tags"))
        ]
        removed = sorted(old_tags - {t["Key"] for t in new_tags})
        if removed:
            await request.call(
                "elb", "RemoveTags", {"LoadBalancerNames": [name], "Tags": [{"Key": k} for k in removed]}
            )
        if new_tags:
            await request.call("elb", "AddTags", {"LoadBalancerNames": [name], "Tags": new_tags})
        return await self._outputs(request, name)

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._outputs(request, request.physical_id)

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        found = await read_or_gone(
            request,
            "elb",
            "DescribeLoadBalancers",
            {"LoadBalancerNames": [request.physical_id]},
            "LoadBalancerNotFound",
        )
        description = found["LoadBalancerDescriptions"][0]
        return {"Scheme": description["Scheme"], "Subnets": description["Subnets"]}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("elb", "DeleteLoadBalancer", {"LoadBalancerName": request.physical_id})
        except ResourceFailed as error:
            if error.code != "LoadBalancerNotFound":
                raise


HANDLERS = {"AWS::ElasticLoadBalancing::LoadBalancer": LoadBalancer}
