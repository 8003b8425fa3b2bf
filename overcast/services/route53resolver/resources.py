"""Route 53 Resolver's CloudFormation resource types, through the Resolver provider's own
operations: ResolverEndpoint, ResolverRule, ResolverRuleAssociation, FirewallDomainList,
FirewallRuleGroup, FirewallRuleGroupAssociation, ResolverQueryLoggingConfig and
ResolverQueryLoggingConfigAssociation."""

from __future__ import annotations

from typing import Any

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceHandler,
    ResourceRequest,
    read_or_gone,
)

SERVICE = "route53resolver"
MISSING = "ResourceNotFoundException"


async def _delete(request: ResourceRequest, operation: str, params: dict[str, Any]) -> None:
    try:
        await request.call(SERVICE, operation, params)
    except ResourceFailed as error:
        if error.code != MISSING:
            raise


def _tags(request: ResourceRequest) -> dict[str, Any]:
    tags = request.user_tags(request.properties.get("Tags"))
    return {"Tags": tags} if tags else {}


def _targets(given: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    out = []
    for target in given or []:
        entry: dict[str, Any] = {
            k: target[k] for k in ("Ip", "Ipv6", "Protocol", "ServerNameIndication") if target.get(k)
        }
        if target.get("Port") is not None:
            entry["Port"] = int(target["Port"])
        out.append(entry)
    return out


class ResolverEndpoint(ResourceHandler):
    identifier = "ResolverEndpointId"
    required = ("Direction", "IpAddresses", "SecurityGroupIds")
    replace_on = frozenset(
        {"Direction", "IpAddresses", "SecurityGroupIds", "OutpostArn", "PreferredInstanceType"}
    )
    attributes = frozenset(
        {
            "Arn",
            "Direction",
            "HostVPCId",
            "IpAddressCount",
            "Name",
            "OutpostArn",
            "PreferredInstanceType",
            "ResolverEndpointId",
            "ResolverEndpointType",
        }
    )

    @staticmethod
    async def _attributes(request: ResourceRequest, ident: str) -> dict[str, Any]:
        got = await request.call(SERVICE, "GetResolverEndpoint", {"ResolverEndpointId": ident})
        endpoint = got["ResolverEndpoint"]
        out = {
            k: endpoint.get(k, "") for k in ("Arn", "Direction", "HostVPCId", "Name", "ResolverEndpointType")
        }
        out.update(
            ResolverEndpointId=ident,
            IpAddressCount=str(endpoint["IpAddressCount"]),
            OutpostArn=endpoint.get("OutpostArn", ""),
            PreferredInstanceType=endpoint.get("PreferredInstanceType", ""),
        )
        return out

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {
            "CreatorRequestId": request.physical_name(255),
            "Direction": properties["Direction"],
            "SecurityGroupIds": list(properties["SecurityGroupIds"]),
            "IpAddresses": [
                {k: v for k, v in ip.items() if k in ("SubnetId", "Ip", "Ipv6")}
                for ip in properties["IpAddresses"]
            ],
            **_tags(request),
        }
        for key in ("Name", "ResolverEndpointType", "Protocols", "OutpostArn", "PreferredInstanceType"):
            if properties.get(key):
                params[key] = properties[key]
        endpoint = (await request.call(SERVICE, "CreateResolverEndpoint", params))["ResolverEndpoint"]
        return endpoint["Id"], await self._attributes(request, endpoint["Id"])

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        params: dict[str, Any] = {"ResolverEndpointId": request.physical_id}
        for key in ("Name", "ResolverEndpointType", "Protocols"):
            if request.properties.get(key):
                params[key] = request.properties[key]
        await request.call(SERVICE, "UpdateResolverEndpoint", params)
        return await self._attributes(request, request.physical_id)

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        got = await read_or_gone(
            request, SERVICE, "GetResolverEndpoint", {"ResolverEndpointId": request.physical_id}, MISSING
        )
        return {"Name": got["ResolverEndpoint"].get("Name", "")}

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._attributes(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        await _delete(request, "DeleteResolverEndpoint", {"ResolverEndpointId": request.physical_id})


class ResolverRule(ResourceHandler):
    identifier = "ResolverRuleId"
    required = ("RuleType",)
    replace_on = frozenset({"RuleType", "DomainName"})
    attributes = frozenset({"Arn", "DomainName", "Name", "ResolverEndpointId", "ResolverRuleId", "TargetIps"})

    @staticmethod
    async def _attributes(request: ResourceRequest, ident: str) -> dict[str, Any]:
        rule = (await request.call(SERVICE, "GetResolverRule", {"ResolverRuleId": ident}))["ResolverRule"]
        return {
            "Arn": rule["Arn"],
            "DomainName": rule.get("DomainName", ""),
            "Name": rule.get("Name", ""),
            "ResolverEndpointId": rule.get("ResolverEndpointId", ""),
            "ResolverRuleId": ident,
            "TargetIps": rule.get("TargetIps", []),
        }

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {
            "CreatorRequestId": request.physical_name(255),
            "RuleType": properties["RuleType"],
            **_tags(request),
        }
        for key in ("Name", "DomainName", "ResolverEndpointId"):
            if properties.get(key):
                params[key] = properties[key]
        if properties.get("TargetIps"):
            params["TargetIps"] = _targets(properties["TargetIps"])
        rule = (await request.call(SERVICE, "CreateResolverRule", params))["ResolverRule"]
        return rule["Id"], await self._attributes(request, rule["Id"])

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        properties = request.properties
        config: dict[str, Any] = {}
        if properties.get("Name") is not None:
            config["Name"] = properties["Name"]
        if properties.get("TargetIps"):
            config["TargetIps"] = _targets(properties["TargetIps"])
        if properties.get("ResolverEndpointId"):
            config["ResolverEndpointId"] = properties["ResolverEndpointId"]
        await request.call(
            SERVICE, "UpdateResolverRule", {"ResolverRuleId": request.physical_id, "Config": config}
        )
        return await self._attributes(request, request.physical_id)

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        got = await read_or_gone(
            request, SERVICE, "GetResolverRule", {"ResolverRuleId": request.physical_id}, MISSING
        )
        return {"Name": got["ResolverRule"].get("Name", "")}

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._attributes(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        await _delete(request, "DeleteResolverRule", {"ResolverRuleId": request.physical_id})


class ResolverRuleAssociation(ResourceHandler):
    updatable = False
    required = ("ResolverRuleId", "VPCId")
    attributes = frozenset({"Name", "ResolverRuleAssociationId", "ResolverRuleId", "VPCId"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params = {"ResolverRuleId": properties["ResolverRuleId"], "VPCId": properties["VPCId"]}
        if properties.get("Name"):
            params["Name"] = properties["Name"]
        made = (await request.call(SERVICE, "AssociateResolverRule", params))["ResolverRuleAssociation"]
        return made["Id"], {
            "Name": made.get("Name", ""),
            "ResolverRuleAssociationId": made["Id"],
            "ResolverRuleId": made["ResolverRuleId"],
            "VPCId": made["VPCId"],
        }

    async def delete(self, request: ResourceRequest) -> None:
        properties = request.properties
        await _delete(
            request,
            "DisassociateResolverRule",
            {"ResolverRuleId": properties["ResolverRuleId"], "VPCId": properties["VPCId"]},
        )


class FirewallDomainList(ResourceHandler):
    identifier = "Id"
    replace_on = frozenset({"Name"})
    attributes = frozenset(
        {
            "Arn",
            "CreationTime",
            "CreatorRequestId",
            "DomainCount",
            "Id",
            "ManagedOwnerName",
            "ModificationTime",
            "Status",
            "StatusMessage",
        }
    )

    @staticmethod
    async def _attributes(request: ResourceRequest, ident: str) -> dict[str, Any]:
        got = await request.call(SERVICE, "GetFirewallDomainList", {"FirewallDomainListId": ident})
        row = got["FirewallDomainList"]
        out = {k: str(row.get(k, "")) for k in FirewallDomainList.attributes}
        out["DomainCount"] = str(row.get("DomainCount", 0))
        return out

    async def _domains(self, request: ResourceRequest, ident: str) -> None:
        properties = request.properties
        if properties.get("DomainFileUrl"):
            await request.call(
                SERVICE,
                "ImportFirewallDomains",
                {
                    "FirewallDomainListId": ident,
                    "Operation": "REPLACE",
                    "DomainFileUrl": properties["DomainFileUrl"],
                },
            )
        elif properties.get("Domains") is not None or request.old_properties.get("Domains"):
            await request.call(
                SERVICE,
                "UpdateFirewallDomains",
                {
                    "FirewallDomainListId": ident,
                    "Operation": "REPLACE",
                    "Domains": list(properties.get("Domains") or []),
                },
            )

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        params = {
            "CreatorRequestId": request.physical_name(255),
            "Name": request.properties.get("Name") or request.physical_name(64),
            **_tags(request),
        }
        made = (await request.call(SERVICE, "CreateFirewallDomainList", params))["FirewallDomainList"]
        await self._domains(request, made["Id"])
        return made["Id"], await self._attributes(request, made["Id"])

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._domains(request, request.physical_id)
        return await self._attributes(request, request.physical_id)

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._attributes(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        await _delete(request, "DeleteFirewallDomainList", {"FirewallDomainListId": request.physical_id})


RULE_KEYS = (
    "FirewallDomainListId",
    "Priority",
    "Action",
    "BlockResponse",
    "BlockOverrideDomain",
    "BlockOverrideDnsType",
    "BlockOverrideTtl",
    "FirewallDomainRedirectionAction",
    "Qtype",
)


class FirewallRuleGroup(ResourceHandler):
    identifier = "Id"
    replace_on = frozenset({"Name"})
    attributes = frozenset(
        {
            "Arn",
            "CreationTime",
            "CreatorRequestId",
            "Id",
            "ModificationTime",
            "OwnerId",
            "RuleCount",
            "ShareStatus",
            "Status",
            "StatusMessage",
        }
    )

    @staticmethod
    async def _attributes(request: ResourceRequest, ident: str) -> dict[str, Any]:
        row = (await request.call(SERVICE, "GetFirewallRuleGroup", {"FirewallRuleGroupId": ident}))[
            "FirewallRuleGroup"
        ]
        return {k: str(row.get(k, "")) for k in FirewallRuleGroup.attributes}

    async def _rules(
        self, request: ResourceRequest, ident: str, rules: list[dict[str, Any]], old: list[dict[str, Any]]
    ) -> None:
        for rule in old:
            await _delete(
                request,
                "DeleteFirewallRule",
                {
                    k: v
                    for k, v in {
                        "FirewallRuleGroupId": ident,
                        "FirewallDomainListId": rule.get("FirewallDomainListId"),
                        "Qtype": rule.get("Qtype"),
                    }.items()
                    if v
                },
            )
        for number, rule in enumerate(rules):
            params: dict[str, Any] = {k: rule[k] for k in RULE_KEYS if rule.get(k) is not None}
            params["Priority"] = int(params["Priority"])
            if "BlockOverrideTtl" in params:
                params["BlockOverrideTtl"] = int(params["BlockOverrideTtl"])
            params.update(
                FirewallRuleGroupId=ident,
                CreatorRequestId=f"{request.physical_name(200)}-{number}",
                Name=rule.get("Name") or f"rule-{params['Priority']}",
            )
            await request.call(SERVICE, "CreateFirewallRule", params)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        params = {
            "CreatorRequestId": request.physical_name(255),
            "Name": request.properties.get("Name") or request.physical_name(64),
            **_tags(request),
        }
        made = (await request.call(SERVICE, "CreateFirewallRuleGroup", params))["FirewallRuleGroup"]
        await self._rules(request, made["Id"], list(request.properties.get("FirewallRules") or []), [])
        return made["Id"], await self._attributes(request, made["Id"])

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._rules(
            request,
            request.physical_id,
            list(request.properties.get("FirewallRules") or []),
            list(request.old_properties.get("FirewallRules") or []),
        )
        return await self._attributes(request, request.physical_id)

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._attributes(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        await self._rules(
            request, request.physical_id, [], list(request.properties.get("FirewallRules") or [])
        )
        await _delete(request, "DeleteFirewallRuleGroup", {"FirewallRuleGroupId": request.physical_id})


class FirewallRuleGroupAssociation(ResourceHandler):
    identifier = "Id"
    required = ("FirewallRuleGroupId", "VpcId", "Priority")
    replace_on = frozenset({"FirewallRuleGroupId", "VpcId"})
    attributes = frozenset(
        {
            "Arn",
            "CreationTime",
            "CreatorRequestId",
            "Id",
            "ManagedOwnerName",
            "ModificationTime",
            "Status",
            "StatusMessage",
        }
    )

    @staticmethod
    async def _attributes(request: ResourceRequest, ident: str) -> dict[str, Any]:
        got = await request.call(
            SERVICE, "GetFirewallRuleGroupAssociation", {"FirewallRuleGroupAssociationId": ident}
        )
        row = got["FirewallRuleGroupAssociation"]
        return {k: str(row.get(k, "")) for k in FirewallRuleGroupAssociation.attributes}

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params = {
            "CreatorRequestId": request.physical_name(255),
            "FirewallRuleGroupId": properties["FirewallRuleGroupId"],
            "VpcId": properties["VpcId"],
            "Priority": int(properties["Priority"]),
            "Name": properties.get("Name") or request.physical_name(64),
            "MutationProtection": properties.get("MutationProtection") or "DISABLED",
            **_tags(request),
        }
        made = (await request.call(SERVICE, "AssociateFirewallRuleGroup", params))[
            "FirewallRuleGroupAssociation"
        ]
        return made["Id"], await self._attributes(request, made["Id"])

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        properties = request.properties
        params: dict[str, Any] = {
            "FirewallRuleGroupAssociationId": request.physical_id,
            "Priority": int(properties["Priority"]),
            "MutationProtection": properties.get("MutationProtection") or "DISABLED",
        }
        if properties.get("Name"):
            params["Name"] = properties["Name"]
        await request.call(SERVICE, "UpdateFirewallRuleGroupAssociation", params)
        return await self._attributes(request, request.physical_id)

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._attributes(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        ident = {"FirewallRuleGroupAssociationId": request.physical_id}
        try:
            await request.call(
                SERVICE, "UpdateFirewallRuleGroupAssociation", {**ident, "MutationProtection": "DISABLED"}
            )
        except ResourceFailed as error:
            if error.code == MISSING:
                return
            raise
        await _delete(request, "DisassociateFirewallRuleGroup", ident)


class ResolverQueryLoggingConfig(ResourceHandler):
    identifier = "Id"
    updatable = False
    attributes = frozenset(
        {
            "Arn",
            "AssociationCount",
            "CreationTime",
            "CreatorRequestId",
            "Id",
            "OwnerId",
            "ShareStatus",
            "Status",
        }
    )

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params = {
            "CreatorRequestId": request.physical_name(255),
            "Name": properties.get("Name") or request.physical_name(64),
            "DestinationArn": properties["DestinationArn"],
            **_tags(request),
        }
        made = (await request.call(SERVICE, "CreateResolverQueryLogConfig", params))["ResolverQueryLogConfig"]
        got = await request.call(
            SERVICE, "GetResolverQueryLogConfig", {"ResolverQueryLogConfigId": made["Id"]}
        )
        row = got["ResolverQueryLogConfig"]
        return made["Id"], {k: str(row.get(k, "")) for k in self.attributes}

    async def delete(self, request: ResourceRequest) -> None:
        await _delete(
            request, "DeleteResolverQueryLogConfig", {"ResolverQueryLogConfigId": request.physical_id}
        )


class ResolverQueryLoggingConfigAssociation(ResourceHandler):
    identifier = "Id"
    updatable = False
    attributes = frozenset({"CreationTime", "Error", "ErrorMessage", "Id", "Status"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        made = (
            await request.call(
                SERVICE,
                "AssociateResolverQueryLogConfig",
                {
                    "ResolverQueryLogConfigId": properties["ResolverQueryLogConfigId"],
                    "ResourceId": properties["ResourceId"],
                },
            )
        )["ResolverQueryLogConfigAssociation"]
        got = await request.call(
            SERVICE,
            "GetResolverQueryLogConfigAssociation",
            {"ResolverQueryLogConfigAssociationId": made["Id"]},
        )
        row = got["ResolverQueryLogConfigAssociation"]
        return made["Id"], {k: str(row.get(k, "")) for k in self.attributes}

    async def delete(self, request: ResourceRequest) -> None:
        properties = request.properties
        await _delete(
            request,
            "DisassociateResolverQueryLogConfig",
            {
                "ResolverQueryLogConfigId": properties["ResolverQueryLogConfigId"],
                "ResourceId": properties["ResourceId"],
            },
        )


HANDLERS = {
    "AWS::Route53Resolver::ResolverEndpoint": ResolverEndpoint,
    "AWS::Route53Resolver::ResolverRule": ResolverRule,
    "AWS::Route53Resolver::ResolverRuleAssociation": ResolverRuleAssociation,
    "AWS::Route53Resolver::FirewallDomainList": FirewallDomainList,
    "AWS::Route53Resolver::FirewallRuleGroup": FirewallRuleGroup,
    "AWS::Route53Resolver::FirewallRuleGroupAssociation": FirewallRuleGroupAssociation,
    "AWS::Route53Resolver::ResolverQueryLoggingConfig": ResolverQueryLoggingConfig,
    "AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation": ResolverQueryLoggingConfigAssociation,
}
