"""Custom domain names with their API mappings and routing rules, and VPC links."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.services.apigatewayv2.common import bad_request, conflict, given, new_id, not_found, now, public

if TYPE_CHECKING:
    from overcast.services.apigatewayv2.provider import Provider

#: The hosted zone of regional API Gateway endpoints, by region (AWS's published ids).
_HOSTED_ZONES = {
    "us-east-1": "Z1UJRXOUMOOFQ8",
    "us-east-2": "ZOJJZC49E0EPZ",
    "us-west-1": "Z2MUQ32089INYE",
    "us-west-2": "Z2OJLYMUO9EFXC",
    "eu-west-1": "ZLY8HYME6SFDD",
    "eu-central-1": "Z1U9ULNL0V5AJ3",
}
_MAPPING_KEY = re.compile(r"^[A-Za-z0-9$\-_.+!*'()/]*$")


def _page(params: dict[str, Any], items: list[Any]) -> dict[str, Any]:
    """A page of a listing that botocore has no paginator for: the token is the next offset."""
    limit_text, token = str(params.get("MaxResults") or "100"), str(params.get("NextToken") or "0")
    if not limit_text.isdigit() or int(limit_text) < 1:
        raise bad_request("MaxResults must be a positive number")
    if not token.isdigit():
        raise bad_request("Invalid NextToken")
    start, limit = int(token), int(limit_text)
    out: dict[str, Any] = {"Items": items[start : start + limit]}
    if start + limit < len(items):
        out["NextToken"] = str(start + limit)
    return out


def _out(record: dict[str, Any]) -> dict[str, Any]:
    return public({k: v for k, v in record.items() if k not in ("Mappings", "Rules")})


class DomainsMixin:
    # -- domain names ----------------------------------------------------------------------------

    def _domain(self: Provider, context: RequestContext, name: str) -> dict[str, Any]:  # type: ignore[misc]
        record = self.domains.get(self.scope_of(context), name.lower())
        if record is None:
            raise not_found("The domain name resource specified in the request was not found.", "DomainName")
        return record

    def _save_domain(self: Provider, context: RequestContext, record: dict[str, Any]) -> None:  # type: ignore[misc]
        scope = self.scope_of(context)
        self.domains.put(scope, record["DomainName"], record)
        self.domain_homes[record["DomainName"]] = scope
        self.domain_records.pop(record["DomainName"], None)

    def create_domain_name(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        name = params["DomainName"].lower()
        if not re.fullmatch(r"(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*", name):
            raise bad_request(f"Invalid domain name {params['DomainName']}")
        scope = self.scope_of(context)
        if self.domains.get(scope, name) is not None or name in self.domain_homes:
            raise conflict("The domain name resource already exists.")
        configurations = []
        for given_configuration in params.get("DomainNameConfigurations") or [{}]:
            configuration = dict(given_configuration)
            configuration.setdefault("EndpointType", "REGIONAL")
            configuration.setdefault("SecurityPolicy", "TLS_1_2")
            configuration.setdefault("IpAddressType", "ipv4")
            configuration.update(
                ApiGatewayDomainName=f"d-{new_id(10)}.execute-api.{context.region}.amazonaws.com",
                HostedZoneId=_HOSTED_ZONES.get(context.region, "Z1UJRXOUMOOFQ8"),
                DomainNameStatus="AVAILABLE",
            )
            if configuration.get("CertificateArn"):
                configuration.setdefault("CertificateUploadDate", now())
            configurations.append(configuration)
        record = given(params)
        record.update(
            DomainName=name,
            DomainNameArn=self.arn(context.region, f"/domainnames/{name}"),
            DomainNameConfigurations=configurations,
            ApiMappingSelectionExpression="$request.basepath",
            RoutingMode=params.get("RoutingMode") or "API_MAPPING_ONLY",
            Tags=dict(params.get("Tags") or {}),
            Mappings={},
            Rules={},
        )
        if params.get("MutualTlsAuthentication"):
            record["MutualTlsAuthentication"] = dict(params["MutualTlsAuthentication"])
        self._save_domain(context, record)
        return _out(record)

    def get_domain_name(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        return _out(self._domain(context, params["DomainName"]))

    def get_domain_names(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        items = [_out(record) for _, record in self.domains.scan(self.scope_of(context))]
        return self.page("GetDomainNames", params, items)

    def update_domain_name(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        record = self._domain(context, params["DomainName"])
        changes = given(params, "DomainName")
        if "DomainNameConfigurations" in changes:
            old = record.get("DomainNameConfigurations") or [{}]
            merged = []
            for index, configuration in enumerate(changes.pop("DomainNameConfigurations")):
                base = dict(old[index] if index < len(old) else old[0])
                base.update(configuration)
                merged.append(base)
            record["DomainNameConfigurations"] = merged
        record.update(changes)
        self._save_domain(context, record)
        return _out(record)

    def delete_domain_name(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        record = self._domain(context, params["DomainName"])
        self.domains.delete(self.scope_of(context), record["DomainName"])
        self.domain_homes.pop(record["DomainName"], None)
        self.domain_records.pop(record["DomainName"], None)
        return {}

    # -- API mappings ----------------------------------------------------------------------------

    def _check_mapping(  # type: ignore[misc]
        self: Provider, context: RequestContext, record: dict[str, Any], domain: dict[str, Any]
    ) -> None:
        key = record.get("ApiMappingKey") or ""
        if key.startswith("/") or "//" in key:
            raise bad_request("API mapping key should not start with a '/' or have consecutive '/'s.")
        if key.endswith("/"):
            raise bad_request("API mapping key should not end with a '/'.")
        if not _MAPPING_KEY.match(key):
            raise bad_request(f"Invalid API mapping key {key}")
        doc = self.load(context, record["ApiId"])
        if record["Stage"] not in doc["Stages"]:
            raise bad_request(f"Invalid stage identifier specified: {record['Stage']}")
        if doc["Api"]["ProtocolType"] == "WEBSOCKET" and "/" in key:
            raise bad_request("API mapping keys of WebSocket APIs have a single level.")
        for other in domain["Mappings"].values():
            if (other.get("ApiMappingKey") or "") == key and other["ApiMappingId"] != record["ApiMappingId"]:
                raise conflict(f"The API mapping key {key or '(none)'} already exists for this domain name.")

    def create_api_mapping(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        domain = self._domain(context, params["DomainName"])
        record = given(params, "DomainName")
        record["ApiMappingId"] = new_id(6)
        record.setdefault("ApiMappingKey", "")
        self._check_mapping(context, record, domain)
        domain["Mappings"][record["ApiMappingId"]] = record
        self._save_domain(context, domain)
        return public(record)

    def _mapping(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        domain = self._domain(context, params["DomainName"])
        record = domain["Mappings"].get(params["ApiMappingId"])
        if record is None:
            raise not_found("The api mapping resource specified in the request was not found.", "ApiMapping")
        return domain, record

    def get_api_mapping(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        return public(self._mapping(context, params)[1])

    def get_api_mappings(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        domain = self._domain(context, params["DomainName"])
        items = [public(r) for r in domain["Mappings"].values()]
        return _page(params, items)

    def update_api_mapping(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        domain, record = self._mapping(context, params)
        updated = {**record, **given(params, "DomainName", "ApiMappingId")}
        self._check_mapping(context, updated, domain)
        domain["Mappings"][record["ApiMappingId"]] = updated
        self._save_domain(context, domain)
        return public(updated)

    def delete_api_mapping(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        domain, record = self._mapping(context, params)
        del domain["Mappings"][record["ApiMappingId"]]
        self._save_domain(context, domain)
        return {}

    # -- routing rules ---------------------------------------------------------------------------

    def _check_rule(  # type: ignore[misc]
        self: Provider, context: RequestContext, domain: dict[str, Any], record: dict[str, Any]
    ) -> None:
        if not 1 <= record["Priority"] <= 1000000:
            raise bad_request("Priority must be between 1 and 1000000")
        if len(record["Actions"]) != 1 or "InvokeApi" not in record["Actions"][0]:
            raise bad_request("A routing rule has exactly one InvokeApi action.")
        for other in domain["Rules"].values():
            if other["Priority"] == record["Priority"] and other["RoutingRuleId"] != record["RoutingRuleId"]:
                raise conflict(f"A routing rule with priority {record['Priority']} already exists.")

    def create_routing_rule(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        domain = self._domain(context, params["DomainName"])
        record = given(params, "DomainName", "DomainNameId")
        record["RoutingRuleId"] = new_id(6)
        record["RoutingRuleArn"] = (
            f"arn:aws:apigateway:{context.region}:{context.account}:/domainnames/{domain['DomainName']}"
            f"/routingrules/{record['RoutingRuleId']}"
        )
        self._check_rule(context, domain, record)
        domain["Rules"][record["RoutingRuleId"]] = record
        self._save_domain(context, domain)
        return public(record)

    def _rule(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        domain = self._domain(context, params["DomainName"])
        record = domain["Rules"].get(params["RoutingRuleId"])
        if record is None:
            raise not_found(
                f"Invalid RoutingRule identifier specified {params['RoutingRuleId']}", "RoutingRule"
            )
        return domain, record

    def get_routing_rule(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        return public(self._rule(context, params)[1])

    def list_routing_rules(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        domain = self._domain(context, params["DomainName"])
        items = sorted((public(r) for r in domain["Rules"].values()), key=lambda r: r["Priority"])
        page = self.page("ListRoutingRules", params, items)
        return page

    def put_routing_rule(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        domain, record = self._rule(context, params)
        updated = {**record, **given(params, "DomainName", "DomainNameId")}
        self._check_rule(context, domain, updated)
        domain["Rules"][record["RoutingRuleId"]] = updated
        self._save_domain(context, domain)
        return public(updated)

    def delete_routing_rule(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        domain, record = self._rule(context, params)
        del domain["Rules"][record["RoutingRuleId"]]
        self._save_domain(context, domain)
        return {}

    # -- VPC links -------------------------------------------------------------------------------

    def _vpc_link(self: Provider, context: RequestContext, link_id: str) -> dict[str, Any]:  # type: ignore[misc]
        record = self.vpc_links.get(self.scope_of(context), link_id)
        if record is None:
            raise not_found(f"Invalid VpcLink identifier specified {link_id}", "VpcLink")
        return record

    def create_vpc_link(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        record = given(params)
        record.update(
            VpcLinkId=new_id(6),
            CreatedDate=now(),
            SecurityGroupIds=list(params.get("SecurityGroupIds") or []),
            Tags=dict(params.get("Tags") or {}),
            VpcLinkStatus="AVAILABLE",
            VpcLinkStatusMessage="VPC link is ready to route traffic",
            VpcLinkVersion="V2",
        )
        self.vpc_links.put(self.scope_of(context), record["VpcLinkId"], record)
        return public(record)

    def get_vpc_link(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        return public(self._vpc_link(context, params["VpcLinkId"]))

    def get_vpc_links(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        items = sorted(
            (public(r) for _, r in self.vpc_links.scan(self.scope_of(context))),
            key=lambda r: r["CreatedDate"],
        )
        return _page(params, items)

    def update_vpc_link(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        record = self._vpc_link(context, params["VpcLinkId"])
        if params.get("Name"):
            record["Name"] = params["Name"]
        self.vpc_links.put(self.scope_of(context), record["VpcLinkId"], record)
        return public(record)

    def delete_vpc_link(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        record = self._vpc_link(context, params["VpcLinkId"])
        self.vpc_links.delete(self.scope_of(context), record["VpcLinkId"])
        return {}
