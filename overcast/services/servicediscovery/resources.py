"""Cloud Map's CloudFormation resource types: AWS::ServiceDiscovery::HttpNamespace,
PrivateDnsNamespace, PublicDnsNamespace, Service and Instance, through the Cloud Map provider's
own operations."""

from __future__ import annotations

from typing import Any

from overcast.services.cloudformation.handlers import ResourceHandler, ResourceRequest


async def _namespace_id(request: ResourceRequest, operation_id: str) -> str:
    done = await request.call("servicediscovery", "GetOperation", {"OperationId": operation_id})
    return str(done["Operation"]["Targets"]["NAMESPACE"])


class _Namespace(ResourceHandler):
    identifier = "Id"
    attributes = frozenset({"Id", "Arn"})
    replace_on = frozenset({"Name", "Vpc"})
    name_property = "Name"
    operation = ""
    update_operation = ""

    def params(self, request: ResourceRequest) -> dict[str, Any]:
        properties = request.properties
        params: dict[str, Any] = {"Name": properties["Name"], "CreatorRequestId": request.physical_name(64)}
        if properties.get("Description"):
            params["Description"] = properties["Description"]
        tags = request.user_tags(properties.get("Tags"))
        if tags:
            params["Tags"] = tags
        return params

    async def _attributes(self, request: ResourceRequest, ident: str) -> dict[str, Any]:
        namespace = (await request.call("servicediscovery", "GetNamespace", {"Id": ident}))["Namespace"]
        out = {"Id": ident, "Arn": namespace["Arn"]}
        zone = (namespace["Properties"].get("DnsProperties") or {}).get("HostedZoneId")
        if zone:
            out["HostedZoneId"] = zone
        return out

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        operation = await request.call("servicediscovery", self.operation, self.params(request))
        ident = await _namespace_id(request, operation["OperationId"])
        return ident, await self._attributes(request, ident)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        namespace: dict[str, Any] = {"Description": request.properties.get("Description") or ""}
        soa = ((request.properties.get("Properties") or {}).get("DnsProperties") or {}).get("SOA")
        if soa and self.update_operation != "UpdateHttpNamespace":
            namespace["Properties"] = {"DnsProperties": {"SOA": {"TTL": int(soa["TTL"])}}}
        await request.call(
            "servicediscovery", self.update_operation, {"Id": request.physical_id, "Namespace": namespace}
        )
        return await self._attributes(request, request.physical_id)

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._attributes(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        await request.call("servicediscovery", "DeleteNamespace", {"Id": request.physical_id})


class HttpNamespace(_Namespace):
    operation = "CreateHttpNamespace"
    update_operation = "UpdateHttpNamespace"


class PrivateDnsNamespace(_Namespace):
    attributes = frozenset({"Id", "Arn", "HostedZoneId"})
    operation = "CreatePrivateDnsNamespace"
    update_operation = "UpdatePrivateDnsNamespace"

    def params(self, request: ResourceRequest) -> dict[str, Any]:
        params = super().params(request)
        params["Vpc"] = request.properties["Vpc"]
        if request.properties.get("Properties"):
            params["Properties"] = request.properties["Properties"]
        return params


class PublicDnsNamespace(_Namespace):
    attributes = frozenset({"Id", "Arn", "HostedZoneId"})
    operation = "CreatePublicDnsNamespace"
    update_operation = "UpdatePublicDnsNamespace"

    def params(self, request: ResourceRequest) -> dict[str, Any]:
        params = super().params(request)
        if request.properties.get("Properties"):
            params["Properties"] = request.properties["Properties"]
        return params


def _dns_config(given: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {
        "DnsRecords": [{"Type": r["Type"], "TTL": int(r["TTL"])} for r in given.get("DnsRecords") or []]
    }
    if given.get("RoutingPolicy"):
        config["RoutingPolicy"] = given["RoutingPolicy"]
    if given.get("NamespaceId"):
        config["NamespaceId"] = given["NamespaceId"]
    return config


class Service(ResourceHandler):
    identifier = "Id"
    attributes = frozenset({"Id", "Arn", "Name"})
    replace_on = frozenset({"Name", "NamespaceId", "HealthCheckCustomConfig", "Type"})
    name_property = "Name"

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {"Name": properties.get("Name") or request.physical_name(64)}
        for key in ("NamespaceId", "Description", "Type", "HealthCheckConfig"):
            if properties.get(key):
                params[key] = properties[key]
        if properties.get("HealthCheckCustomConfig") is not None:
            params["HealthCheckCustomConfig"] = {
                k: int(v) for k, v in (properties["HealthCheckCustomConfig"] or {}).items()
            }
        if properties.get("DnsConfig"):
            params["DnsConfig"] = _dns_config(properties["DnsConfig"])
        tags = request.user_tags(properties.get("Tags"))
        if tags:
            params["Tags"] = tags
        service = (await request.call("servicediscovery", "CreateService", params))["Service"]
        if properties.get("ServiceAttributes"):
            await request.call(
                "servicediscovery",
                "UpdateServiceAttributes",
                {"ServiceId": service["Id"], "Attributes": dict(properties["ServiceAttributes"])},
            )
        return service["Id"], {"Id": service["Id"], "Arn": service["Arn"], "Name": service["Name"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        properties = request.properties
        change: dict[str, Any] = {"Description": properties.get("Description") or ""}
        if properties.get("DnsConfig"):
            change["DnsConfig"] = {"DnsRecords": _dns_config(properties["DnsConfig"])["DnsRecords"]}
        if properties.get("HealthCheckConfig"):
            change["HealthCheckConfig"] = properties["HealthCheckConfig"]
        await request.call(
            "servicediscovery", "UpdateService", {"Id": request.physical_id, "Service": change}
        )
        service = (await request.call("servicediscovery", "GetService", {"Id": request.physical_id}))[
            "Service"
        ]
        return {"Id": service["Id"], "Arn": service["Arn"], "Name": service["Name"]}

    async def delete(self, request: ResourceRequest) -> None:
        await request.call("servicediscovery", "DeleteService", {"Id": request.physical_id})


class Instance(ResourceHandler):
    replace_on = frozenset({"InstanceId", "ServiceId"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        ident = properties.get("InstanceId") or request.physical_name(64)
        await request.call(
            "servicediscovery",
            "RegisterInstance",
            {
                "ServiceId": properties["ServiceId"],
                "InstanceId": ident,
                "Attributes": {k: str(v) for k, v in (properties.get("InstanceAttributes") or {}).items()},
            },
        )
        return ident, {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call(
            "servicediscovery",
            "RegisterInstance",
            {
                "ServiceId": request.properties["ServiceId"],
                "InstanceId": request.physical_id,
                "Attributes": {
                    k: str(v) for k, v in (request.properties.get("InstanceAttributes") or {}).items()
                },
            },
        )
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        await request.call(
            "servicediscovery",
            "DeregisterInstance",
            {"ServiceId": request.properties["ServiceId"], "InstanceId": request.physical_id},
        )


HANDLERS = {
    "AWS::ServiceDiscovery::HttpNamespace": HttpNamespace,
    "AWS::ServiceDiscovery::PrivateDnsNamespace": PrivateDnsNamespace,
    "AWS::ServiceDiscovery::PublicDnsNamespace": PublicDnsNamespace,
    "AWS::ServiceDiscovery::Service": Service,
    "AWS::ServiceDiscovery::Instance": Instance,
}
