"""ELBv2's CloudFormation resource types: AWS::ElasticLoadBalancingV2::LoadBalancer,
TargetGroup, Listener and ListenerRule, through the provider's own operations."""

from __future__ import annotations

from typing import Any

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceHandler,
    ResourceRequest,
    as_bool,
    as_int,
    read_or_gone,
)

_INT_KEYS = frozenset(
    {"Order", "Weight", "DurationSeconds", "SessionTimeout", "Port", "Priority", "HealthCheckIntervalSeconds"}
)
_BOOL_KEYS = frozenset({"Enabled", "UseExistingClientSecret", "IsDefault", "IgnoreClientCertificateExpiry"})


def _typed(value: Any, parent: str = "") -> Any:
    """A template's value with the numbers and booleans the API takes as such (a template may
    give "80" or "true"); a redirect's port stays text, as the API takes it."""
    if isinstance(value, list):
        return [_typed(v, parent) for v in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if parent == "RedirectConfig":
                out[key] = str(item)
            elif key in _INT_KEYS and item is not None and not isinstance(item, (dict, list)):
                out[key] = int(item)
            elif key in _BOOL_KEYS and item is not None:
                out[key] = as_bool(item)
            else:
                out[key] = _typed(item, key)
        return out
    return value


def _attributes(given: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    return [
        {
            "Key": a["Key"],
            "Value": str(a["Value"]).lower() if isinstance(a["Value"], bool) else str(a["Value"]),
        }
        for a in given or []
    ]


async def _retag(request: ResourceRequest, arn: str) -> None:
    old = {t["Key"] for t in request.old_properties.get("Tags") or []}
    new = [
        {"Key": t["Key"], "Value": str(t["Value"])} for t in request.user_tags(request.properties.get("Tags"))
    ]
    gone = sorted(old - {t["Key"] for t in new})
    if gone:
        await request.call("elbv2", "RemoveTags", {"ResourceArns": [arn], "TagKeys": gone})
    if new:
        await request.call("elbv2", "AddTags", {"ResourceArns": [arn], "Tags": new})


async def _delete(request: ResourceRequest, operation: str, params: dict[str, Any], *gone: str) -> None:
    try:
        await request.call("elbv2", operation, params)
    except ResourceFailed as error:
        if error.code not in gone:
            raise


class LoadBalancer(ResourceHandler):
    attributes = frozenset(
        {
            "CanonicalHostedZoneID",
            "DNSName",
            "LoadBalancerArn",
            "LoadBalancerFullName",
            "LoadBalancerName",
            "SecurityGroups",
        }
    )
    replace_on = frozenset({"Name", "Type", "Scheme"})
    name_property = "Name"

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {"Name": properties.get("Name") or request.physical_name(32)}
        for key in ("Type", "Scheme", "Subnets", "SecurityGroups", "IpAddressType"):
            if properties.get(key):
                params[key] = properties[key]
        if properties.get("SubnetMappings"):
            params["SubnetMappings"] = properties["SubnetMappings"]
        tags = [{"Key": t["Key"], "Value": str(t["Value"])} for t in request.tags(properties.get("Tags"))]
        if tags:
            params["Tags"] = tags
        lb = (await request.call("elbv2", "CreateLoadBalancer", params))["LoadBalancers"][0]
        if properties.get("LoadBalancerAttributes"):
            await request.call(
                "elbv2",
                "ModifyLoadBalancerAttributes",
                {
                    "LoadBalancerArn": lb["LoadBalancerArn"],
                    "Attributes": _attributes(properties["LoadBalancerAttributes"]),
                },
            )
        return lb["LoadBalancerArn"], self._outputs(lb)

    @staticmethod
    def _outputs(lb: dict[str, Any]) -> dict[str, Any]:
        return {
            "CanonicalHostedZoneID": lb["CanonicalHostedZoneId"],
            "DNSName": lb["DNSName"],
            "LoadBalancerArn": lb["LoadBalancerArn"],
            "LoadBalancerFullName": lb["LoadBalancerArn"].split(":loadbalancer/", 1)[1],
            "LoadBalancerName": lb["LoadBalancerName"],
            "SecurityGroups": lb.get("SecurityGroups") or [],
        }

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        arn, properties, old = request.physical_id, request.properties, request.old_properties
        if properties.get("SecurityGroups") != old.get("SecurityGroups") and properties.get("SecurityGroups"):
            await request.call(
                "elbv2",
                "SetSecurityGroups",
                {"LoadBalancerArn": arn, "SecurityGroups": properties["SecurityGroups"]},
            )
        if properties.get("Subnets") != old.get("Subnets") and properties.get("Subnets"):
            await request.call(
                "elbv2", "SetSubnets", {"LoadBalancerArn": arn, "Subnets": properties["Subnets"]}
            )
        if properties.get("IpAddressType") != old.get("IpAddressType") and properties.get("IpAddressType"):
            await request.call(
                "elbv2",
                "SetIpAddressType",
                {"LoadBalancerArn": arn, "IpAddressType": properties["IpAddressType"]},
            )
        if properties.get("LoadBalancerAttributes") != old.get("LoadBalancerAttributes") and properties.get(
            "LoadBalancerAttributes"
        ):
            await request.call(
                "elbv2",
                "ModifyLoadBalancerAttributes",
                {"LoadBalancerArn": arn, "Attributes": _attributes(properties["LoadBalancerAttributes"])},
            )
        await _retag(request, arn)
        return await self.adopt(request)

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        found = await request.call(
            "elbv2", "DescribeLoadBalancers", {"LoadBalancerArns": [request.physical_id]}
        )
        return self._outputs(found["LoadBalancers"][0])

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        found = await read_or_gone(
            request,
            "elbv2",
            "DescribeLoadBalancers",
            {"LoadBalancerArns": [request.physical_id]},
            "LoadBalancerNotFound",
        )
        lb = found["LoadBalancers"][0]
        return {
            "Name": lb["LoadBalancerName"],
            "Type": lb["Type"],
            "Subnets": [z["SubnetId"] for z in lb["AvailabilityZones"]],
            "IpAddressType": lb["IpAddressType"],
        }

    async def delete(self, request: ResourceRequest) -> None:
        await _delete(
            request, "DeleteLoadBalancer", {"LoadBalancerArn": request.physical_id}, "LoadBalancerNotFound"
        )


_HEALTH = (
    "HealthCheckEnabled",
    "HealthCheckIntervalSeconds",
    "HealthCheckPath",
    "HealthCheckPort",
    "HealthCheckProtocol",
    "HealthCheckTimeoutSeconds",
    "HealthyThresholdCount",
    "UnhealthyThresholdCount",
    "Matcher",
)
_HEALTH_INTS = (
    "HealthCheckIntervalSeconds",
    "HealthCheckTimeoutSeconds",
    "HealthyThresholdCount",
    "UnhealthyThresholdCount",
)


def _health(properties: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _HEALTH:
        if properties.get(key) is None:
            continue
        value = properties[key]
        if key in _HEALTH_INTS:
            value = int(value)
        elif key == "HealthCheckEnabled":
            value = as_bool(value)
        elif key == "HealthCheckPort":
            value = str(value)
        out[key] = value
    return out


def _targets(given: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    out = []
    for target in given or []:
        entry: dict[str, Any] = {"Id": target["Id"]}
        if target.get("Port") is not None:
            entry["Port"] = int(target["Port"])
        if target.get("AvailabilityZone"):
            entry["AvailabilityZone"] = target["AvailabilityZone"]
        out.append(entry)
    return out


class TargetGroup(ResourceHandler):
    attributes = frozenset({"LoadBalancerArns", "TargetGroupArn", "TargetGroupFullName", "TargetGroupName"})
    replace_on = frozenset(
        {"Name", "Protocol", "Port", "VpcId", "TargetType", "ProtocolVersion", "IpAddressType"}
    )
    name_property = "Name"

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {
            "Name": properties.get("Name") or request.physical_name(32),
            **_health(properties),
        }
        for key in ("Protocol", "VpcId", "TargetType", "ProtocolVersion", "IpAddressType"):
            if properties.get(key):
                params[key] = properties[key]
        if properties.get("Port") is not None:
            params["Port"] = int(properties["Port"])
        tags = [{"Key": t["Key"], "Value": str(t["Value"])} for t in request.tags(properties.get("Tags"))]
        if tags:
            params["Tags"] = tags
        tg = (await request.call("elbv2", "CreateTargetGroup", params))["TargetGroups"][0]
        arn = tg["TargetGroupArn"]
        if properties.get("TargetGroupAttributes"):
            await request.call(
                "elbv2",
                "ModifyTargetGroupAttributes",
                {"TargetGroupArn": arn, "Attributes": _attributes(properties["TargetGroupAttributes"])},
            )
        targets = _targets(properties.get("Targets"))
        if targets:
            await request.call("elbv2", "RegisterTargets", {"TargetGroupArn": arn, "Targets": targets})
        return arn, await self.adopt_arn(request, arn)

    @staticmethod
    async def adopt_arn(request: ResourceRequest, arn: str) -> dict[str, Any]:
        tg = (await request.call("elbv2", "DescribeTargetGroups", {"TargetGroupArns": [arn]}))[
            "TargetGroups"
        ][0]
        return {
            "LoadBalancerArns": tg["LoadBalancerArns"],
            "TargetGroupArn": arn,
            "TargetGroupFullName": arn.split(":", 5)[5],
            "TargetGroupName": tg["TargetGroupName"],
        }

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return await self.adopt_arn(request, request.physical_id)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        arn, properties, old = request.physical_id, request.properties, request.old_properties
        health = _health(properties)
        if health != _health(old) and health:
            await request.call("elbv2", "ModifyTargetGroup", {"TargetGroupArn": arn, **health})
        if properties.get("TargetGroupAttributes") != old.get("TargetGroupAttributes") and properties.get(
            "TargetGroupAttributes"
        ):
            await request.call(
                "elbv2",
                "ModifyTargetGroupAttributes",
                {"TargetGroupArn": arn, "Attributes": _attributes(properties["TargetGroupAttributes"])},
            )
        new_targets, old_targets = _targets(properties.get("Targets")), _targets(old.get("Targets"))
        gone = [t for t in old_targets if t not in new_targets]
        if gone:
            await request.call("elbv2", "DeregisterTargets", {"TargetGroupArn": arn, "Targets": gone})
        added = [t for t in new_targets if t not in old_targets]
        if added:
            await request.call("elbv2", "RegisterTargets", {"TargetGroupArn": arn, "Targets": added})
        await _retag(request, arn)
        return await self.adopt(request)

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        found = await read_or_gone(
            request,
            "elbv2",
            "DescribeTargetGroups",
            {"TargetGroupArns": [request.physical_id]},
            "TargetGroupNotFound",
        )
        tg = found["TargetGroups"][0]
        return {k: tg[k] for k in ("Protocol", "Port", "VpcId", "TargetType") if k in tg}

    async def delete(self, request: ResourceRequest) -> None:
        await _delete(
            request, "DeleteTargetGroup", {"TargetGroupArn": request.physical_id}, "TargetGroupNotFound"
        )


class Listener(ResourceHandler):
    attributes = frozenset({"ListenerArn"})
    replace_on = frozenset({"LoadBalancerArn"})
    required = ("LoadBalancerArn", "DefaultActions")

    @staticmethod
    def _params(properties: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {"DefaultActions": _typed(properties["DefaultActions"])}
        for key in ("Protocol", "SslPolicy", "AlpnPolicy"):
            if properties.get(key):
                params[key] = properties[key]
        if properties.get("Port") is not None:
            params["Port"] = int(properties["Port"])
        if properties.get("Certificates"):
            params["Certificates"] = [
                {"CertificateArn": c["CertificateArn"]} for c in properties["Certificates"]
            ]
        if properties.get("MutualAuthentication"):
            params["MutualAuthentication"] = _typed(properties["MutualAuthentication"])
        return params

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params = {"LoadBalancerArn": properties["LoadBalancerArn"], **self._params(properties)}
        listener = (await request.call("elbv2", "CreateListener", params))["Listeners"][0]
        arn = listener["ListenerArn"]
        if properties.get("ListenerAttributes"):
            await request.call(
                "elbv2",
                "ModifyListenerAttributes",
                {"ListenerArn": arn, "Attributes": _attributes(properties["ListenerAttributes"])},
            )
        return arn, {"ListenerArn": arn}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call(
            "elbv2",
            "ModifyListener",
            {"ListenerArn": request.physical_id, **self._params(request.properties)},
        )
        if request.properties.get("ListenerAttributes"):
            await request.call(
                "elbv2",
                "ModifyListenerAttributes",
                {
                    "ListenerArn": request.physical_id,
                    "Attributes": _attributes(request.properties["ListenerAttributes"]),
                },
            )
        return {"ListenerArn": request.physical_id}

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call("elbv2", "DescribeListeners", {"ListenerArns": [request.physical_id]})
        return {"ListenerArn": request.physical_id}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        found = await read_or_gone(
            request, "elbv2", "DescribeListeners", {"ListenerArns": [request.physical_id]}, "ListenerNotFound"
        )
        listener = found["Listeners"][0]
        return {k: listener[k] for k in ("LoadBalancerArn", "Port", "Protocol") if k in listener}

    async def delete(self, request: ResourceRequest) -> None:
        await _delete(request, "DeleteListener", {"ListenerArn": request.physical_id}, "ListenerNotFound")


class ListenerRule(ResourceHandler):
    attributes = frozenset({"IsDefault", "RuleArn"})
    replace_on = frozenset({"ListenerArn"})
    required = ("Actions", "Conditions", "Priority")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        if not properties.get("ListenerArn"):
            raise ResourceFailed("ListenerArn must be specified")
        params = {
            "ListenerArn": properties["ListenerArn"],
            "Priority": as_int(properties["Priority"]),
            "Conditions": _typed(properties["Conditions"]),
            "Actions": _typed(properties["Actions"]),
        }
        rule = (await request.call("elbv2", "CreateRule", params))["Rules"][0]
        return rule["RuleArn"], {"RuleArn": rule["RuleArn"], "IsDefault": rule["IsDefault"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        arn, properties, old = request.physical_id, request.properties, request.old_properties
        if str(properties.get("Priority")) != str(old.get("Priority")):
            await request.call(
                "elbv2",
                "SetRulePriorities",
                {"RulePriorities": [{"RuleArn": arn, "Priority": as_int(properties["Priority"])}]},
            )
        await request.call(
            "elbv2",
            "ModifyRule",
            {
                "RuleArn": arn,
                "Conditions": _typed(properties["Conditions"]),
                "Actions": _typed(properties["Actions"]),
            },
        )
        return {"RuleArn": arn, "IsDefault": False}

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        rule = (await request.call("elbv2", "DescribeRules", {"RuleArns": [request.physical_id]}))["Rules"][0]
        return {"RuleArn": rule["RuleArn"], "IsDefault": rule["IsDefault"]}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        found = await read_or_gone(
            request, "elbv2", "DescribeRules", {"RuleArns": [request.physical_id]}, "RuleNotFound"
        )
        rule = found["Rules"][0]
        return {"Priority": int(rule["Priority"]) if rule["Priority"] != "default" else rule["Priority"]}

    async def delete(self, request: ResourceRequest) -> None:
        await _delete(request, "DeleteRule", {"RuleArn": request.physical_id}, "RuleNotFound")


class ListenerCertificate(ResourceHandler):
    """Extra certificates of an HTTPS or TLS listener (those beyond its default one)."""

    required = ("ListenerArn", "Certificates")
    updatable = False

    @staticmethod
    def _certificates(properties: dict[str, Any]) -> list[dict[str, str]]:
        return [{"CertificateArn": c["CertificateArn"]} for c in properties.get("Certificates") or []]

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        await request.call(
            "elbv2",
            "AddListenerCertificates",
            {"ListenerArn": p["ListenerArn"], "Certificates": self._certificates(p)},
        )
        return request.physical_name(255), {}

    async def delete(self, request: ResourceRequest) -> None:
        p = request.properties
        await _delete(
            request,
            "RemoveListenerCertificates",
            {"ListenerArn": p["ListenerArn"], "Certificates": self._certificates(p)},
            "ListenerNotFound",
        )


def _bundle(properties: dict[str, Any]) -> dict[str, Any]:
    params = {
        "CaCertificatesBundleS3Bucket": properties["CaCertificatesBundleS3Bucket"],
        "CaCertificatesBundleS3Key": properties["CaCertificatesBundleS3Key"],
    }
    if properties.get("CaCertificatesBundleS3ObjectVersion"):
        params["CaCertificatesBundleS3ObjectVersion"] = properties["CaCertificatesBundleS3ObjectVersion"]
    return params


class TrustStore(ResourceHandler):
    identifier = "TrustStoreArn"
    name_property = "Name"
    replace_on = frozenset({"Name"})
    required = ("CaCertificatesBundleS3Bucket", "CaCertificatesBundleS3Key")
    attributes = frozenset({"TrustStoreArn", "Status", "NumberOfCaCertificates"})

    @staticmethod
    def _attributes(store: dict[str, Any]) -> dict[str, Any]:
        return {
            "TrustStoreArn": store["TrustStoreArn"],
            "Status": store["Status"],
            "NumberOfCaCertificates": store["NumberOfCaCertificates"],
        }

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        params = {"Name": p.get("Name") or request.physical_name(32), **_bundle(p)}
        tags = [{"Key": t["Key"], "Value": str(t["Value"])} for t in request.user_tags(p.get("Tags"))]
        if tags:
            params["Tags"] = tags
        store = (await request.call("elbv2", "CreateTrustStore", params))["TrustStores"][0]
        return store["TrustStoreArn"], self._attributes(store)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        arn = request.physical_id
        if _bundle(request.properties) != _bundle(request.old_properties):
            await request.call(
                "elbv2", "ModifyTrustStore", {"TrustStoreArn": arn, **_bundle(request.properties)}
            )
        await _retag(request, arn)
        return await self.adopt(request)

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        found = await request.call("elbv2", "DescribeTrustStores", {"TrustStoreArns": [request.physical_id]})
        return self._attributes(found["TrustStores"][0])

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        found = await read_or_gone(
            request,
            "elbv2",
            "DescribeTrustStores",
            {"TrustStoreArns": [request.physical_id]},
            "TrustStoreNotFound",
        )
        return {"Name": found["TrustStores"][0]["Name"]}

    async def delete(self, request: ResourceRequest) -> None:
        await _delete(
            request, "DeleteTrustStore", {"TrustStoreArn": request.physical_id}, "TrustStoreNotFound"
        )


class TrustStoreRevocation(ResourceHandler):
    """Revocation lists added to a trust store; its physical id is "{RevocationId}|{TrustStoreArn}"."""

    required = ("TrustStoreArn", "RevocationContents")
    updatable = False
    attributes = frozenset({"RevocationId", "TrustStoreRevocations"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        contents = []
        for content in p.get("RevocationContents") or []:
            entry = {
                k: content[k]
                for k in ("S3Bucket", "S3Key", "S3ObjectVersion", "RevocationType")
                if content.get(k)
            }
            contents.append(entry)
        added = (
            await request.call(
                "elbv2",
                "AddTrustStoreRevocations",
                {"TrustStoreArn": p["TrustStoreArn"], "RevocationContents": contents},
            )
        )["TrustStoreRevocations"]
        ids = [r["RevocationId"] for r in added]
        physical_id = "|".join([",".join(str(i) for i in ids), p["TrustStoreArn"]])
        revocations = [
            {k: r[k] for k in ("RevocationId", "RevocationType", "NumberOfRevokedEntries", "TrustStoreArn")}
            for r in added
        ]
        return physical_id, {"RevocationId": ids[0] if ids else 0, "TrustStoreRevocations": revocations}

    async def delete(self, request: ResourceRequest) -> None:
        ids_text, arn = request.physical_id.split("|", 1)
        ids = [int(i) for i in ids_text.split(",") if i]
        if ids:
            await _delete(
                request,
                "RemoveTrustStoreRevocations",
                {"TrustStoreArn": arn, "RevocationIds": ids},
                "TrustStoreNotFound",
                "RevocationIdNotFound",
            )


HANDLERS = {
    "AWS::ElasticLoadBalancingV2::LoadBalancer": LoadBalancer,
    "AWS::ElasticLoadBalancingV2::TargetGroup": TargetGroup,
    "AWS::ElasticLoadBalancingV2::Listener": Listener,
    "AWS::ElasticLoadBalancingV2::ListenerRule": ListenerRule,
    "AWS::ElasticLoadBalancingV2::ListenerCertificate": ListenerCertificate,
    "AWS::ElasticLoadBalancingV2::TrustStore": TrustStore,
    "AWS::ElasticLoadBalancingV2::TrustStoreRevocation": TrustStoreRevocation,
}
